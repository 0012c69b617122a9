/*
 * pose_geom.h -- head yaw from the 68 landmarks (module interface, not
 * public API): the alternative to fr_pose's yaw measured in docs/face.md
 * ("Head pose: which source per angle").
 */
#ifndef SL_FACE_POSE_GEOM_H
#define SL_FACE_POSE_GEOM_H

#include "shualian/face.h"

/* The nose's offset from the middle of the face contour, de-rotated by
 * the eye line, as a fraction of the contour's half-width: about 0 for a
 * frontal face, < 0 when the nose is towards the image left. NAN when the
 * landmarks are degenerate (contour width ~0, non-finite points). */
double sl__face_nose_offset(const sl_point2f lm[SL_FACE_LANDMARKS]);

/* Yaw in degrees from the 68 landmarks, in fr_pose's sign convention
 * (> 0 when the subject turns to their own right, i.e. the nose moves
 * towards the image left): -asin(clamp(0.87 * offset)), saturating at
 * +-90 degrees for |offset| >= 1.15. NAN like sl__face_nose_offset. */
double sl__face_yaw_geom_deg(const sl_point2f lm[SL_FACE_LANDMARKS]);

/* Whether the 68 landmarks fit the detected face: at least 95 % of them
 * inside box grown by 10 % of its size on each side, and their height at
 * least 0.6 of the box's (on 554 dev photos and mirrors the 1st percentile
 * is 0.94 and 0.61; 2.2 % fail either). Profiles fail: the points scatter
 * or shrink (tests/data/sample2.jpg: 0.91, 0.55). */
bool sl__face_landmarks_fit(const sl_point2f lm[SL_FACE_LANDMARKS],
                            const sl_face_box *box);

/* The yaw the quality check uses (sl_face_quality_meas): the landmarks'
 * (sl__face_yaw_geom_deg) when they fit the face, else fr_pose's
 * (pose_yaw, may be NAN). */
double sl__face_yaw_best_deg(const sl_point2f lm[SL_FACE_LANDMARKS],
                             const sl_face_box *box, double pose_yaw);

#endif
