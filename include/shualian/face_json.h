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

#include "shualian/face.h"

SL_API json_t *sl_challenge_to_json(const sl_challenge *c);
SL_API sl_status sl_challenge_from_json(sl_challenge *out, const json_t *j);
SL_API sl_status sl_frames_from_json(sl_frame_signal *out, size_t cap, size_t *n,
                                     const json_t *j);
SL_API json_t *sl_challenge_result_to_json(const sl_challenge_result *r);
SL_API json_t *sl_quality_reasons_to_json(const enum sl_quality_reason *r, size_t n);

#endif
