/*
 * lic_core.c -- electronic licence status steps, the use check and the
 * selective-disclosure check (lic.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "gov/gov.h"
#include "gov/lic.h"

static const char *const NAMES[] = { NULL, "issued", "suspended", "revoked" };

const char *sl__lic_status_name(sl__lic_status s)
{
    return (s >= SL_LIC_ISSUED && s <= SL_LIC_REVOKED) ? NAMES[s] : "?";
}

sl_status sl__lic_status_parse(const char *name, sl__lic_status *out)
{
    if (!name || !out)
        return SL_ERR_INVALID;
    for (int i = SL_LIC_ISSUED; i <= SL_LIC_REVOKED; i++)
        if (strcmp(name, NAMES[i]) == 0) {
            *out = (sl__lic_status)i;
            return SL_OK;
        }
    return SL_ERR_INVALID;
}

sl_status sl__lic_step(sl__lic_status from, sl__lic_action a,
                       sl__lic_status *to)
{
    if (!to || from < SL_LIC_ISSUED || from > SL_LIC_REVOKED)
        return SL_ERR_INVALID;
    sl__lic_status next;
    switch (a) {
    case SL_LIC_SUSPEND:
        if (from != SL_LIC_ISSUED)
            return SL_ERR_LIC_TRANSITION;
        next = SL_LIC_SUSPENDED;
        break;
    case SL_LIC_RESUME:
        if (from != SL_LIC_SUSPENDED)
            return SL_ERR_LIC_TRANSITION;
        next = SL_LIC_ISSUED;
        break;
    case SL_LIC_REVOKE:
        if (from == SL_LIC_REVOKED)
            return SL_ERR_LIC_TRANSITION;
        next = SL_LIC_REVOKED;
        break;
    default:
        return SL_ERR_INVALID;
    }
    *to = next;
    return SL_OK;
}

sl_status sl__lic_usable(sl__lic_status s, int64_t valid_from_ms,
                         int64_t valid_to_ms, int64_t now_ms)
{
    if (s == SL_LIC_REVOKED)
        return SL_ERR_LIC_REVOKED;
    if (s == SL_LIC_SUSPENDED)
        return SL_ERR_LIC_SUSPENDED;
    if (s != SL_LIC_ISSUED)
        return SL_ERR_INVALID;
    if (now_ms < valid_from_ms || (valid_to_ms && now_ms >= valid_to_ms))
        return SL_ERR_LIC_EXPIRED;
    return SL_OK;
}

sl_status sl__lic_disclose_check(const char *const *asked, size_t na,
                                 const char *const *consented, size_t nc,
                                 const char **missing)
{
    if ((na && !asked) || (nc && !consented))
        return SL_ERR_INVALID;
    for (size_t j = 0; j < nc; j++)
        if (!consented[j] || !*consented[j])
            return SL_ERR_INVALID;
    for (size_t i = 0; i < na; i++) {
        if (!asked[i] || !*asked[i])
            return SL_ERR_INVALID;
        bool covered = false;
        for (size_t j = 0; j < nc && !covered; j++)
            covered = strcmp(asked[i], consented[j]) == 0;
        if (!covered) {
            if (missing)
                *missing = asked[i];
            return SL_ERR_LIC_CONSENT;
        }
    }
    return SL_OK;
}

sl_status sl__lic_disclose(const json_t *fields, const char *const *asked,
                           size_t na, const char *const *consented, size_t nc,
                           json_t **out, const char **missing)
{
    if (!json_is_object(fields) || !out)
        return SL_ERR_INVALID;
    sl_status st = sl__lic_disclose_check(asked, na, consented, nc, missing);
    if (st != SL_OK)
        return st;
    json_t *o = json_object();
    if (!o)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < na; i++) {
        json_t *v = json_object_get(fields, asked[i]);
        if (!v) {
            json_decref(o);
            if (missing)
                *missing = asked[i];
            return SL_ERR_NOT_FOUND;
        }
        if (json_object_set(o, asked[i], v) != 0) {
            json_decref(o);
            return SL_ERR_NOMEM;
        }
    }
    *out = o;
    return SL_OK;
}

/* The signed message of a licence (sl__malloc'd, caller frees). */
static sl_status lic_message(const char *id, int64_t at, const json_t *fields,
                             char **msg, size_t *len)
{
    if (!id || !*id || strlen(id) >= SL_LICENCE_ID_MAX || strchr(id, '\n') ||
        at < 0 || !json_is_object(fields))
        return SL_ERR_INVALID;
    char *js = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    if (!js)
        return SL_ERR_NOMEM;
    size_t cap = strlen(js) + SL_LICENCE_ID_MAX + 64;
    char *m = sl__malloc(cap);
    if (!m) {
        free(js);
        return SL_ERR_NOMEM;
    }
    int w = snprintf(m, cap, "shualian-licence-v1\n%s\n%" PRId64 "\n%s", id, at, js);
    free(js);
    if (w < 0 || (size_t)w >= cap) {
        sl__free(m);
        return SL_ERR_INVALID;
    }
    *msg = m;
    *len = (size_t)w;
    return SL_OK;
}

sl_status sl__lic_sign(const sl_keyring *k, const char *licence_id,
                       int64_t issued_at_ms, const json_t *fields,
                       char sig_hex[2 * SL_CRYPTO_SIG_BYTES + 1])
{
    if (!k || !sig_hex)
        return SL_ERR_INVALID;
    char *msg = NULL;
    size_t len = 0;
    sl_status st = lic_message(licence_id, issued_at_ms, fields, &msg, &len);
    if (st != SL_OK)
        return st;
    uint8_t sig[SL_CRYPTO_SIG_BYTES];
    st = sl__sign(k, msg, len, sig);
    sl__free(msg);
    if (st != SL_OK)
        return st;
    return sl__hex_encode(sig_hex, 2 * SL_CRYPTO_SIG_BYTES + 1, sig, sizeof sig);
}

sl_status sl__lic_verify(const sl_keyring *k, const char *licence_id,
                         int64_t issued_at_ms, const json_t *fields,
                         const char *sig_hex)
{
    uint8_t sig[SL_CRYPTO_SIG_BYTES];
    if (!k || !sig_hex || strlen(sig_hex) != 2 * SL_CRYPTO_SIG_BYTES ||
        sl__hex_decode(sig, sizeof sig, sig_hex) != SL_OK)
        return SL_ERR_ESIGN_FORMAT;
    char *msg = NULL;
    size_t len = 0;
    sl_status st = lic_message(licence_id, issued_at_ms, fields, &msg, &len);
    if (st != SL_OK)
        return st;
    st = sl__verify(k, msg, len, sig, sizeof sig);
    sl__free(msg);
    return st;
}
