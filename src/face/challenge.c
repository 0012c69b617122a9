/*
 * challenge.c -- creating and validating active-liveness challenges.
 *
 * One challenge per verification attempt. Every random choice (nonce,
 * actions and their order, digits, digit display lengths) comes from
 * libsodium's CSPRNG, so a recorded video of an earlier attempt does not
 * fit a new challenge.
 */
#include <sodium.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"

#define ALL_ACTIONS 0x7eu       /* bits 1..6 */

sl_challenge_opts sl_challenge_opts_default(void)
{
    return (sl_challenge_opts){
        .min_steps = 2, .max_steps = 4, .allowed = 0, .lead_ms = 1500,
        .step_ms = 3000, .n_digits = 4, .digit_min_ms = 800,
        .digit_max_ms = 1400, .digit_tail_ms = 600, .grace_ms = 1000,
    };
}

static bool opts_ok(const sl_challenge_opts *o, uint32_t allowed)
{
    return o->min_steps >= SL_CHALLENGE_MIN_STEPS && o->min_steps <= o->max_steps &&
           o->max_steps <= SL_CHALLENGE_MAX_STEPS && (allowed & ~ALL_ACTIONS) == 0 &&
           (uint32_t)__builtin_popcount(allowed) >= o->min_steps &&
           o->lead_ms >= 0 && o->lead_ms <= 60000 &&
           o->step_ms >= 500 && o->step_ms <= 60000 &&
           o->n_digits >= 1 && o->n_digits <= SL_CHALLENGE_MAX_DIGITS &&
           o->digit_min_ms >= 200 && o->digit_min_ms <= o->digit_max_ms &&
           o->digit_max_ms <= 10000 && o->digit_tail_ms >= 0 &&
           o->digit_tail_ms <= 10000 && o->grace_ms >= 0 && o->grace_ms <= 60000;
}

static sl_status nonce_text(char out[SL_CHALLENGE_NONCE_TEXT],
                            const uint8_t nonce[SL_CHALLENGE_NONCE_BYTES])
{
    if (!sodium_bin2base64(out, SL_CHALLENGE_NONCE_TEXT, nonce,
                           SL_CHALLENGE_NONCE_BYTES,
                           sodium_base64_VARIANT_URLSAFE_NO_PADDING))
        return SL_ERR_INTERNAL;
    return SL_OK;
}

bool sl_challenge_nonce_parse(uint8_t out[SL_CHALLENGE_NONCE_BYTES],
                              const char *text)
{
    if (!out || !text || strlen(text) != SL_CHALLENGE_NONCE_TEXT - 1)
        return false;
    if (sodium_init() < 0)
        return false;
    uint8_t tmp[SL_CHALLENGE_NONCE_BYTES];
    size_t len = 0;
    const char *end = NULL;
    if (sodium_base642bin(tmp, sizeof(tmp), text, strlen(text), NULL, &len,
                          &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != sizeof(tmp) || !end || *end)
        return false;
    /* reject non-canonical texts (unused low bits set): re-encode and compare */
    char again[SL_CHALLENGE_NONCE_TEXT];
    if (nonce_text(again, tmp) != SL_OK || strcmp(again, text) != 0)
        return false;
    memcpy(out, tmp, sizeof(tmp));
    return true;
}

sl_status sl_challenge_new(sl_challenge *out, const sl_challenge_opts *o,
                           int64_t now_ms)
{
    sl_challenge_opts d = sl_challenge_opts_default();
    if (!o)
        o = &d;
    uint32_t allowed = o->allowed ? o->allowed : ALL_ACTIONS;
    if (!out || now_ms < 0 || !opts_ok(o, allowed))
        return SL_ERR_INVALID;
    if (sodium_init() < 0)
        return SL_ERR_INTERNAL;

    sl_challenge c;
    memset(&c, 0, sizeof(c));
    randombytes_buf(c.nonce, sizeof(c.nonce));
    sl_status st = nonce_text(c.nonce_text, c.nonce);
    if (st != SL_OK)
        return st;

    uint8_t pool[SL_ACT_MAX];
    uint32_t np = 0;
    for (uint8_t a = 1; a <= SL_ACT_MAX; a++)
        if (allowed & (1u << a))
            pool[np++] = a;
    for (uint32_t i = np - 1; i > 0; i--) {            /* Fisher-Yates */
        uint32_t j = randombytes_uniform(i + 1);
        uint8_t tmp = pool[i];
        pool[i] = pool[j];
        pool[j] = tmp;
    }
    uint32_t n = o->min_steps + randombytes_uniform(o->max_steps - o->min_steps + 1);
    n = SL_MIN(n, np);

    c.issued_at_ms = now_ms;
    int64_t t = now_ms + o->lead_ms;
    for (uint32_t i = 0; i < n; i++) {
        sl_challenge_step *s = &c.steps[i];
        s->action = pool[i];
        s->start_ms = t;
        if (s->action == SL_ACT_READ_DIGITS) {
            int32_t cum = 0;
            s->n_digits = (uint8_t)o->n_digits;
            for (uint32_t k = 0; k < o->n_digits; k++) {
                s->digits[k] = (char)('0' + randombytes_uniform(10));
                cum += o->digit_min_ms + (int32_t)randombytes_uniform(
                           (uint32_t)(o->digit_max_ms - o->digit_min_ms) + 1);
                s->digit_end_ms[k] = cum;
            }
            s->end_ms = t + cum + o->digit_tail_ms;
        } else {
            s->end_ms = t + o->step_ms;
        }
        t = s->end_ms;
    }
    c.n_steps = n;
    c.expires_at_ms = t + o->grace_ms;
    *out = c;
    return SL_OK;
}

sl_status sl_challenge_validate(const sl_challenge *c)
{
    /* times: epoch ms below 2^50 (year ~37,600), at most an hour long, so
     * no arithmetic on them can overflow */
    if (!c || c->n_steps < SL_CHALLENGE_MIN_STEPS ||
        c->n_steps > SL_CHALLENGE_MAX_STEPS || c->issued_at_ms < 0 ||
        c->issued_at_ms > ((int64_t)1 << 50) ||
        c->expires_at_ms < c->issued_at_ms ||
        c->expires_at_ms - c->issued_at_ms > 3600000)
        return SL_ERR_CHALLENGE_FORMAT;
    uint8_t nonce[SL_CHALLENGE_NONCE_BYTES];
    if (memchr(c->nonce_text, 0, sizeof(c->nonce_text)) == NULL ||
        !sl_challenge_nonce_parse(nonce, c->nonce_text) ||
        memcmp(nonce, c->nonce, sizeof(nonce)) != 0)
        return SL_ERR_CHALLENGE_FORMAT;
    int64_t prev_end = c->issued_at_ms;
    for (uint32_t i = 0; i < c->n_steps; i++) {
        const sl_challenge_step *s = &c->steps[i];
        if (s->action < 1 || s->action > SL_ACT_MAX || s->start_ms < prev_end ||
            s->end_ms <= s->start_ms || s->end_ms - s->start_ms > 600000)
            return SL_ERR_CHALLENGE_FORMAT;
        if (s->action == SL_ACT_READ_DIGITS) {
            if (s->n_digits < 1 || s->n_digits > SL_CHALLENGE_MAX_DIGITS ||
                strnlen(s->digits, sizeof(s->digits)) != s->n_digits)
                return SL_ERR_CHALLENGE_FORMAT;
            int32_t last = 0;
            for (uint32_t k = 0; k < s->n_digits; k++) {
                if (s->digits[k] < '0' || s->digits[k] > '9' ||
                    s->digit_end_ms[k] <= last)
                    return SL_ERR_CHALLENGE_FORMAT;
                last = s->digit_end_ms[k];
            }
            if (s->start_ms + last > s->end_ms)
                return SL_ERR_CHALLENGE_FORMAT;
        } else if (s->n_digits != 0) {
            return SL_ERR_CHALLENGE_FORMAT;
        }
        prev_end = s->end_ms;
    }
    if (c->expires_at_ms < prev_end)
        return SL_ERR_CHALLENGE_FORMAT;
    return SL_OK;
}
