/*
 * face_json.h -- JSON forms (jansson) of the active-liveness challenge, its
 * frame signals and result, and the quality reasons: what a program that
 * talks JSON (the CLI, the server, an integrator's own service) exchanges.
 * Formats: docs/face.md ("Active liveness: JSON"). Functions returning
 * json_t* return a new reference (NULL on allocation failure); parsers
 * borrow their input and check every field (SL_ERR_CHALLENGE_FORMAT).
 */
#ifndef SHUALIAN_FACE_JSON_H
#define SHUALIAN_FACE_JSON_H

#include <jansson.h>

#include "shualian/engine.h"
#include "shualian/face.h"

#ifdef __cplusplus
extern "C" {
#endif

SL_API json_t *sl_challenge_to_json(const sl_challenge *c);
SL_API sl_status sl_challenge_from_json(sl_challenge *out, const json_t *j);
SL_API sl_status sl_frames_from_json(sl_frame_signal *out, size_t cap, size_t *n,
                                     const json_t *j);
SL_API json_t *sl_challenge_result_to_json(const sl_challenge_result *r);
SL_API json_t *sl_quality_reasons_to_json(const enum sl_quality_reason *r, size_t n);

/* [x0, y0, x1, y1], 6 significant digits. */
SL_API json_t *sl_face_box_json(const sl_face_box *b);

/* {"preset", "pass", "reasons":[...], "measurements":{"image_w",
 * "image_h", "face_count", and with a face: "interocular_px", "sharpness",
 * "luma_mean", "luma_std", "yaw_checked", "pitch", "roll_eye_line",
 * "eye_open_left", "eye_open_right"}}: the quality block of `face quality`
 * and of each image side of `face verify`. yaw_checked is the yaw the
 * check used (68 landmarks, or fr_pose when they do not fit the face),
 * roll_eye_line the eye line's roll: named apart from fr_pose's own
 * yaw/pitch/roll (docs/face.md, "Head pose"). r: the first n failed
 * reasons (borrowed). */
SL_API json_t *sl_face_quality_json(const sl_quality_meas *m,
                                    const enum sl_quality_reason *r, size_t n,
                                    bool pass, const char *preset);

/* The verdict as `shualian face verify` prints it (sl_face_verdict_to_json
 * is its text); name_a/name_b label the sides. */
SL_API json_t *sl_face_verdict_json(const sl_face_verdict *v, const char *name_a,
                                    const char *name_b);

#ifdef __cplusplus
}
#endif

#endif
