/*
 * fuzz_face_challenge.c -- challenge and frame-signal JSON from a client:
 * the first line is a challenge, the rest frames. Never crashes; whatever
 * parses is analysed.
 */
#include <stdint.h>
#include <string.h>

#include "base/base.h"
#include "base/json.h"
#include "face/face_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sl_frame_signal frames[SL_CHALLENGE_MAX_FRAMES];
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t n1 = nl ? (size_t)(nl - text) : size;
    char err[64];
    json_t *cj = sl_json_parse(text, n1, err, sizeof(err));
    json_t *fj = nl ? sl_json_parse(nl + 1, size - n1 - 1, err, sizeof(err)) : NULL;
    sl_challenge c;
    size_t n = 0;
    if (cj && sl_challenge_from_json(&c, cj) == SL_OK) {
        json_t *back = sl_challenge_to_json(&c);
        sl_challenge c2;
        SL_ASSERT(back && sl_challenge_from_json(&c2, back) == SL_OK);
        json_decref(back);
        if (fj && sl_frames_from_json(frames, SL_CHALLENGE_MAX_FRAMES, &n, fj) == SL_OK) {
            sl_challenge_result r;
            if (sl_challenge_analyse(&r, &c, frames, n, NULL) == SL_OK) {
                json_t *rj = sl_challenge_result_to_json(&r);
                json_decref(rj);
            }
        }
    }
    json_decref(fj);
    json_decref(cj);
    return 0;
}
