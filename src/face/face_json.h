/*
 * face_json.h -- JSON forms of face-engine objects for the CLI and the
 * server (module interface, not public API). Formats are documented in
 * docs/face.md ("Active liveness: JSON").
 *
 * Functions returning json_t* return a new reference (NULL on allocation
 * failure); parsers borrow their input and check every field.
 */
#ifndef SL_FACE_JSON_H
#define SL_FACE_JSON_H

#include <jansson.h>

#include "shualian/engine.h"
#include "shualian/face.h"

/* {"nonce", "issued_at", "expires_at", "steps":[{"action", "start", "end",
 *  "prompt":{"zh","en"}, ["digits", "digit_ends"]}]} (times: epoch ms). */
json_t *sl_challenge_to_json(const sl_challenge *c);
/* The inverse; prompts are ignored. SL_ERR_CHALLENGE_FORMAT if malformed
 * (sl_challenge_validate is applied). */
sl_status sl_challenge_from_json(sl_challenge *out, const json_t *j);

/* Frames from {"frames":[{...}]} or a bare array; each frame has "t_ms"
 * and "face" and optionally eye_open_left, eye_open_right, yaw, pitch,
 * roll, mouth_open, similarity, live_score (absent or null = NAN).
 * Writes at most cap frames; SL_ERR_TOO_LARGE if there are more. */
sl_status sl_frames_from_json(sl_frame_signal *out, size_t cap, size_t *n,
                              const json_t *j);

/* The analysis result with bilingual messages. */
json_t *sl_challenge_result_to_json(const sl_challenge_result *r);

/* Quality reasons as [{"code", "zh", "en"}]. */
json_t *sl_quality_reasons_to_json(const enum sl_quality_reason *r, size_t n);

/* [x0, y0, x1, y1], 6 significant digits. */
json_t *sl__face_box_json(const sl_face_box *b);

/* {"preset", "pass", "reasons":[...], "measurements":{"image_w",
 * "image_h", "face_count", and with a face: "interocular_px", "sharpness",
 * "luma_mean", "luma_std", "yaw", "pitch", "roll", "eye_open_left",
 * "eye_open_right"}}: the quality block of `face quality` and of each
 * image side of `face verify`. r: the first n failed reasons (borrowed). */
json_t *sl__face_quality_json(const sl_quality_meas *m, const enum sl_quality_reason *r,
                              size_t n, bool pass, const char *preset);

/* The verdict as `shualian face verify` prints it (sl_face_verdict_to_json
 * is its text); name_a/name_b label the sides. */
json_t *sl__face_verdict_json(const sl_face_verdict *v, const char *name_a,
                              const char *name_b);

#endif
