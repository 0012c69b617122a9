/*
 * fuzz_idcode.c -- libFuzzer target for the identity-code parser
 * (src/id/idcode.h: sl__idcode_parse) and the kiosk login text parser.
 * Untrusted input: whatever a scanner or a camera frame delivers. The
 * parser must never read out of bounds and, when it accepts, give fields
 * that satisfy the format's invariants. When bit 0 of the first byte is
 * set the input is base64url-encoded behind the "SLID1." prefix first, so
 * the fuzzer reaches the field checks and not only the alphabet check.
 * Run: docs/fuzzing.md.
 */
#include <string.h>

#include <sodium.h>

#include "id/idcode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_idcode c;
    char text[512];
    if (size > 0 && (data[0] & 1) && size - 1 <= 300) {
        memcpy(text, SL_IDCODE_PREFIX, 6);
        sodium_bin2base64(text + 6, sizeof text - 6, data + 1, size - 1,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        if (sl__idcode_parse(text, strlen(text), &c) == SL_OK) {
            SL_ASSERT(c.version == 1);
            SL_ASSERT(c.purpose == SL_IDCODE_IDENTIFY || c.purpose == SL_IDCODE_LOGIN);
            SL_ASSERT(c.expires_ms > c.issued_ms);
            SL_ASSERT(c.expires_ms - c.issued_ms <= SL_IDCODE_TTL_MAX_MS);
        }
        return 0;
    }
    (void)sl__idcode_parse((const char *)data, size, &c);
    if (size < sizeof text) {
        memcpy(text, data, size);
        text[size] = 0;
        char id[SL_KIOSK_LOGIN_ID_LEN + 1];
        if (sl__kiosk_login_parse(text, id, sizeof id) == SL_OK)
            SL_ASSERT(strlen(id) == SL_KIOSK_LOGIN_ID_LEN);
    }
    return 0;
}
