/*
 * fuzz_face_calib.c -- sl_calib_parse on arbitrary text: never crashes;
 * accepted files answer queries and survive a write/parse round trip.
 */
#include <math.h>
#include <stdint.h>

#include "base/base.h"
#include "face/eval_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_calib c, d;
    if (sl_calib_parse(&c, (const char *)data, size) != SL_OK)
        return 0;
    for (size_t i = 0; i < c.n_tables; i++) {
        double thr, far, frr;
        uint64_t sup;
        SL_ASSERT(sl_calib_threshold_for_far(&thr, &sup, &c.tables[i], 1e-3) == SL_OK);
        sl_calib_rates_at(&far, &frr, &c.tables[i], 0.3);
        SL_ASSERT(far >= 0 && far <= 1 && frr >= 0 && frr <= 1);
        sl_face_decision dec;
        (void)sl_calib_decide(&dec, &c.tables[i], 0.5,
                              (sl_threshold_req){ SL_THRESHOLD_FAR, 1e-2 });
    }
    char *text;
    size_t len;
    if (sl__calib_to_json(&text, &len, &c) == SL_OK) {
        sl_status st = sl_calib_parse(&d, text, len);
        if (st == SL_OK)
            sl_calib_free(&d);
        sl_face_free(text);
    }
    sl_calib_free(&c);
    return 0;
}
