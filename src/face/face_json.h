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
#include "shualian/face_json.h"   /* exported: the same five functions */

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

/* sl_face_box_json, sl_face_quality_json, sl_face_verdict_json: public,
 * include/shualian/face_json.h. */

#endif
