/*
 * sign.c -- electronic signatures over a document, bound to the signer's
 * consumed face verification (lic.h documents the signed message).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "gov/lic.h"

#define ESIGN_TAG "shualian-esign-v1\n"

static bool field_ok(const char *s, size_t cap)
{
    if (!s || !*s)
        return false;
    size_t n = strnlen(s, cap);
    if (n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e)
            return false;
    }
    return true;
}

/* The signed message into buf; SL_ERR_ESIGN_FORMAT if a field is bad. */
static sl_status message(const struct sl__esign *r, char *buf, size_t cap,
                         size_t *len)
{
    if (!field_ok(r->verification_id, sizeof r->verification_id) ||
        !field_ok(r->result, sizeof r->result) ||
        strnlen(r->doc_hash, sizeof r->doc_hash) != 2 * SL_CRYPTO_HASH_BYTES ||
        r->signed_at_ms < 0)
        return SL_ERR_ESIGN_FORMAT;
    int w = snprintf(buf, cap, ESIGN_TAG "%s\n%s\n%s\n%" PRId64 "\n",
                     r->doc_hash, r->verification_id, r->result,
                     r->signed_at_ms);
    if (w < 0 || (size_t)w >= cap)
        return SL_ERR_ESIGN_FORMAT;
    *len = (size_t)w;
    return SL_OK;
}

static sl_status doc_hash(sl_suite s, const void *doc, size_t n,
                          char out[2 * SL_CRYPTO_HASH_BYTES + 1])
{
    uint8_t h[SL_CRYPTO_HASH_BYTES];
    sl_status st = sl__hash(s, doc ? doc : "", doc ? n : 0, h);
    if (st != SL_OK)
        return st;
    return sl__hex_encode(out, 2 * SL_CRYPTO_HASH_BYTES + 1, h, sizeof h);
}

sl_status sl__esign_make(const sl_keyring *k, const void *doc, size_t n,
                         const char *verification_id, const char *result,
                         int64_t now_ms, struct sl__esign *out)
{
    if (!k || !out || (!doc && n))
        return SL_ERR_INVALID;
    struct sl__esign r;
    memset(&r, 0, sizeof r);
    if (!field_ok(verification_id, sizeof r.verification_id) ||
        !field_ok(result, sizeof r.result))
        return SL_ERR_ESIGN_FORMAT;
    if (strcmp(result, "match") != 0)
        return SL_ERR_DENIED;
    snprintf(r.verification_id, sizeof r.verification_id, "%s", verification_id);
    snprintf(r.result, sizeof r.result, "%s", result);
    r.signed_at_ms = now_ms;
    sl_suite s = sl__keyring_suite(k);
    snprintf(r.suite, sizeof r.suite, "%s", sl__suite_name(s));
    sl_status st = doc_hash(s, doc, n, r.doc_hash);
    if (st != SL_OK)
        return st;
    char msg[256];
    size_t len = 0;
    if ((st = message(&r, msg, sizeof msg, &len)) != SL_OK)
        return st;
    uint8_t sig[SL_CRYPTO_SIG_BYTES];
    if ((st = sl__sign(k, msg, len, sig)) != SL_OK)
        return st;
    /* the blob names its key id at bytes 5..8 (crypto.h), big-endian */
    r.kid = (uint32_t)sig[5] << 24 | (uint32_t)sig[6] << 16 |
            (uint32_t)sig[7] << 8 | sig[8];
    if ((st = sl__hex_encode(r.sig, sizeof r.sig, sig, sizeof sig)) != SL_OK)
        return st;
    *out = r;
    return SL_OK;
}

/* Shared by both verify forms: the message and the decoded blob, and the
 * document's hash compared when doc is given. */
static sl_status prepare(const struct sl__esign *r, const void *doc,
                         size_t n, char *msg, size_t cap, size_t *len,
                         uint8_t sig[SL_CRYPTO_SIG_BYTES])
{
    if (!r || (!doc && n))
        return SL_ERR_INVALID;
    sl_status st = message(r, msg, cap, len);
    if (st != SL_OK)
        return st;
    if (strnlen(r->sig, sizeof r->sig) != 2 * SL_CRYPTO_SIG_BYTES ||
        sl__hex_decode(sig, SL_CRYPTO_SIG_BYTES, r->sig) != SL_OK)
        return SL_ERR_ESIGN_FORMAT;
    sl_suite s;
    if (sl__suite_parse(r->suite, &s) != SL_OK)
        return SL_ERR_ESIGN_FORMAT;
    if (doc) {
        char h[2 * SL_CRYPTO_HASH_BYTES + 1];
        if ((st = doc_hash(s, doc, n, h)) != SL_OK)
            return st;
        if (!sl__ct_equal(h, r->doc_hash, sizeof h - 1))
            return SL_ERR_CRYPTO_SIGNATURE;
    }
    return SL_OK;
}

sl_status sl__esign_verify(const sl_keyring *k, const void *doc, size_t n,
                           const struct sl__esign *r)
{
    char msg[256];
    size_t len = 0;
    uint8_t sig[SL_CRYPTO_SIG_BYTES];
    if (!k)
        return SL_ERR_INVALID;
    sl_status st = prepare(r, doc, n, msg, sizeof msg, &len, sig);
    if (st != SL_OK)
        return st;
    return sl__verify(k, msg, len, sig, sizeof sig);
}

sl_status sl__esign_verify_public(const char *pubkey, const void *doc,
                                  size_t n, const struct sl__esign *r)
{
    char msg[256];
    size_t len = 0;
    uint8_t sig[SL_CRYPTO_SIG_BYTES];
    if (!pubkey)
        return SL_ERR_INVALID;
    sl_status st = prepare(r, doc, n, msg, sizeof msg, &len, sig);
    if (st != SL_OK)
        return st;
    return sl__verify_public(pubkey, msg, len, sig, sizeof sig);
}

json_t *sl__esign_to_json(const struct sl__esign *r)
{
    return json_pack("{s:s,s:s,s:s,s:I,s:s,s:I,s:s}", "doc_hash", r->doc_hash,
                     "verification_id", r->verification_id, "result", r->result,
                     "signed_at_ms", (json_int_t)r->signed_at_ms, "suite", r->suite,
                     "kid", (json_int_t)r->kid, "sig", r->sig);
}

/* Copies string member key into dst (cap); false if absent or too long. */
static bool copy_str(const json_t *o, const char *key, char *dst, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return false;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return strlen(dst) == json_string_length(v);   /* no embedded NUL */
}

sl_status sl__esign_from_json(const json_t *o, struct sl__esign *out)
{
    struct sl__esign r;
    memset(&r, 0, sizeof r);
    if (!json_is_object(o) || !out)
        return SL_ERR_ESIGN_FORMAT;
    const json_t *at = json_object_get(o, "signed_at_ms");
    const json_t *kid = json_object_get(o, "kid");
    if (!copy_str(o, "doc_hash", r.doc_hash, sizeof r.doc_hash) ||
        !copy_str(o, "verification_id", r.verification_id, sizeof r.verification_id) ||
        !copy_str(o, "result", r.result, sizeof r.result) ||
        !copy_str(o, "suite", r.suite, sizeof r.suite) ||
        !copy_str(o, "sig", r.sig, sizeof r.sig) ||
        !json_is_integer(at) || json_integer_value(at) < 0 ||
        !json_is_integer(kid) || json_integer_value(kid) < 0 ||
        json_integer_value(kid) > (json_int_t)UINT32_MAX)
        return SL_ERR_ESIGN_FORMAT;
    r.signed_at_ms = (int64_t)json_integer_value(at);
    r.kid = (uint32_t)json_integer_value(kid);
    *out = r;
    return SL_OK;
}
