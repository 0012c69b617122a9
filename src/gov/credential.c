/*
 * credential.c -- temporary identity credentials (seed 004): the short
 * verification code and the per-person monthly limit (lic.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gov/lic.h"

/* 32 symbols without the look-alikes 0 O 1 I. */
static const char CODE_ALPHABET[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

sl_status sl__cred_code(const sl_keyring *k, const char *serial,
                        char out[SL_CRED_CODE_LEN + 1])
{
    if (!k || !serial || !*serial || !out)
        return SL_ERR_INVALID;
    uint8_t h[SL_CRYPTO_HASH_BYTES];
    sl_status st = sl__mac(k, "credential code", serial, strlen(serial), h);
    if (st != SL_OK)
        return st;
    /* 5 bits per symbol from the first 5 bytes (40 bits) */
    uint64_t v = 0;
    for (int i = 0; i < 5; i++)
        v = v << 8 | h[i];
    for (unsigned i = 0; i < SL_CRED_CODE_LEN; i++)
        out[i] = CODE_ALPHABET[(v >> (5 * (SL_CRED_CODE_LEN - 1 - i))) & 31];
    out[SL_CRED_CODE_LEN] = '\0';
    return SL_OK;
}

void sl__cred_month(int64_t ms, char out[8])
{
    time_t t = (time_t)((ms + 8 * 3600 * 1000LL) / 1000);  /* UTC+8 */
    struct tm tm;
    if (ms < 0 || !gmtime_r(&t, &tm)) {
        snprintf(out, 8, "0000-00");
        return;
    }
    snprintf(out, 8, "%04u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u);
}

sl_status sl__cred_limit_check(unsigned issued_this_month, unsigned limit)
{
    if (limit == 0)
        return SL_ERR_INVALID;
    return issued_this_month < limit ? SL_OK : SL_ERR_CRED_LIMIT;
}
