/*
 * verif.c -- verification results (single-use, bound, signed) and consent
 * records (id.h).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "id/id_int.h"

static const char *const level_names[] = { "real_name", "real_person", "real_document" };

uint32_t sl__level_parse(const char *name)
{
    for (size_t i = 0; name && i < SL_ARRAY_LEN(level_names); i++)
        if (strcmp(name, level_names[i]) == 0)
            return 1u << i;
    return 0;
}

const char *sl__level_name(uint32_t bit)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(level_names); i++)
        if (bit == 1u << i)
            return level_names[i];
    return NULL;
}

const char *sl__method_name(enum sl_verif_method m)
{
    switch (m) {
    case SL_METHOD_FACE:           return "face";
    case SL_METHOD_ID_CARD:        return "id_card_reader";
    case SL_METHOD_CLERK_DOCUMENT: return "clerk_document_check";
    case SL_METHOD_ID_CODE:        return "identity_code";
    case SL_METHOD_CLERK_VOUCHED:  return "clerk_vouched";
    }
    return "unknown";
}

sl_status sl__verification_create_tx(sl_tx *tx, const struct sl_verification_new *v,
                                     int64_t *id)
{
    if (!v || !v->matter || !v->reference || !v->channel || !v->levels)
        return SL_ERR_INVALID;
    int64_t now = sl__now_ms();
    int64_t ttl = v->ttl_ms > 0 ? v->ttl_ms : SL_VERIF_TTL_MS;
    return sl__tx_query_int(tx,
        "INSERT INTO id_verification (person_id, matter, reference, channel, device,"
        " levels_required, levels_passed, passed, method, vouched_by, score, far,"
        " created_ms, expires_ms, used_ms)"
        " VALUES (?,?,?,?,?,?,0,0,?,?,0,0,?,?,0) RETURNING id",
        SL_ARGS(SL_INT(v->person_id), SL_TEXT(v->matter), SL_TEXT(v->reference),
                SL_TEXT(v->channel), SL_TEXT(v->device ? v->device : ""),
                SL_INT(v->levels), SL_INT(v->method ? v->method : SL_METHOD_FACE),
                SL_TEXT(v->vouched_by), SL_INT(now), SL_INT(now + ttl)), id);
}

sl_status sl__verification_finish_tx(sl_tx *tx, const sl_keyring *k, int64_t id,
                                     uint32_t levels_passed, bool passed,
                                     double score, double far,
                                     const char *result_json)
{
    uint8_t sig[SL_CRYPTO_SIG_BYTES];
    const char *js = result_json ? result_json : "";
    sl_status st = sl__sign(k, js, strlen(js), sig);
    if (st != SL_OK)
        return st;
    int64_t ch = 0;
    st = sl__tx_exec(tx,
        "UPDATE id_verification SET levels_passed = ?, passed = ?, score = ?, far = ?,"
        " result_json = ?, signature = ? WHERE id = ? AND used_ms = 0",
        SL_ARGS(SL_INT(levels_passed), SL_INT(passed ? 1 : 0), SL_REAL(score),
                SL_REAL(far), SL_TEXT(js), SL_BLOB(sig, sizeof sig), SL_INT(id)), &ch);
    if (st == SL_OK && ch == 0)
        st = SL_ERR_NOT_FOUND;
    return st;
}

sl_status sl__verification_factors_tx(sl_tx *tx, int64_t id, uint32_t factors_passed)
{
    int64_t ch = 0;
    sl_status st = sl__tx_exec(tx,
        "UPDATE id_verification SET factors_passed = ? WHERE id = ? AND used_ms = 0",
        SL_ARGS(SL_INT(factors_passed), SL_INT(id)), &ch);
    if (st == SL_OK && ch == 0)
        st = SL_ERR_NOT_FOUND;
    return st;
}

sl_status sl__verification_signature_tx(sl_tx *tx, int64_t id, char *b64, size_t cap)
{
    sl_rows *r = NULL;
    if (cap)
        b64[0] = 0;
    sl_status st = sl__tx_query(tx, "SELECT signature FROM id_verification WHERE id = ?",
                                SL_ARGS(SL_INT(id)), &r);
    if (st == SL_OK && sl__rows_count(r) == 0)
        st = SL_ERR_NOT_FOUND;
    if (st == SL_OK) {
        size_t n = 0;
        const void *p = sl__rows_blob(r, 0, 0, &n);
        if (p && n && sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL) <= cap)
            sodium_bin2base64(b64, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
    }
    sl__rows_free(r);
    return st;
}

sl_status sl__verification_get_tx(sl_tx *tx, int64_t id, struct sl_verification *out)
{
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT id, person_id, matter, reference, channel, device, levels_required,"
        " levels_passed, passed, method, vouched_by, score, far, created_ms, expires_ms,"
        " used_ms, result_json, factors_passed FROM id_verification WHERE id = ?",
        SL_ARGS(SL_INT(id)), &r);
    if (st == SL_OK && sl__rows_count(r) == 0)
        st = SL_ERR_NOT_FOUND;
    if (st == SL_OK) {
        memset(out, 0, sizeof *out);
        out->id = sl__rows_int(r, 0, 0);
        out->person_id = sl__rows_int(r, 0, 1);
        snprintf(out->matter, sizeof out->matter, "%s", sl__rows_text(r, 0, 2));
        snprintf(out->reference, sizeof out->reference, "%s", sl__rows_text(r, 0, 3));
        snprintf(out->channel, sizeof out->channel, "%s", sl__rows_text(r, 0, 4));
        snprintf(out->device, sizeof out->device, "%s", sl__rows_text(r, 0, 5));
        out->levels_required = (uint32_t)sl__rows_int(r, 0, 6);
        out->levels_passed = (uint32_t)sl__rows_int(r, 0, 7);
        out->passed = sl__rows_int(r, 0, 8) != 0;
        out->method = (enum sl_verif_method)sl__rows_int(r, 0, 9);
        const char *vb = sl__rows_text(r, 0, 10);
        snprintf(out->vouched_by, sizeof out->vouched_by, "%s", vb ? vb : "");
        out->score = sl__rows_real(r, 0, 11);
        out->far = sl__rows_real(r, 0, 12);
        out->created_ms = sl__rows_int(r, 0, 13);
        out->expires_ms = sl__rows_int(r, 0, 14);
        out->used_ms = sl__rows_int(r, 0, 15);
        const char *js = sl__rows_text(r, 0, 16);
        snprintf(out->result_json, sizeof out->result_json, "%s", js ? js : "");
        out->factors_passed = (uint32_t)sl__rows_int(r, 0, 17);
    }
    sl__rows_free(r);
    return st;
}

sl_status sl__verification_result_tx(sl_tx *tx, int64_t id, char **json)
{
    *json = NULL;
    sl_rows *r = NULL;
    sl_status st = sl__tx_query(tx, "SELECT result_json FROM id_verification WHERE id = ?",
                                SL_ARGS(SL_INT(id)), &r);
    if (st == SL_OK && sl__rows_count(r) == 0)
        st = SL_ERR_NOT_FOUND;
    if (st == SL_OK) {
        const char *js = sl__rows_text(r, 0, 0);
        *json = sl__strdup(js ? js : "");
        if (!*json)
            st = SL_ERR_NOMEM;
    }
    sl__rows_free(r);
    return st;
}

sl_status sl__verification_consume(sl_tx *tx, int64_t id, int64_t person,
                                   const char *matter, const char *reference,
                                   struct sl_verification *result)
{
    struct sl_verification v;
    sl_status st = sl__verification_get_tx(tx, id, &v);
    if (st != SL_OK)
        return st;
    if (v.person_id != person || !matter || strcmp(v.matter, matter) != 0 ||
        !reference || strcmp(v.reference, reference) != 0)
        return SL_ERR_ID_VERIF_BINDING;
    if (!v.passed)
        return SL_ERR_ID_VERIF_FAILED;
    if (v.used_ms)
        return SL_ERR_ID_VERIF_USED;
    int64_t now = sl__now_ms();
    if (now >= v.expires_ms)
        return SL_ERR_ID_VERIF_EXPIRED;
    int64_t ch = 0;
    st = sl__tx_exec(tx, "UPDATE id_verification SET used_ms = ? WHERE id = ? AND used_ms = 0",
                     SL_ARGS(SL_INT(now), SL_INT(id)), &ch);
    if (st != SL_OK)
        return st;
    if (ch == 0)
        return SL_ERR_ID_VERIF_USED;
    v.used_ms = now;
    if (result)
        *result = v;
    return SL_OK;
}

/* ============================ Consent ==================================== */
static sl_status audit_consent(sl_tx *tx, const sl_keyring *k, const struct sl_acct_audit *au,
                               int64_t cid, const char *purpose)
{
    return sl__id_audit(tx, k, au, "consent", cid, NULL, NULL, purpose, "ok");
}

sl_status sl__consent_record(sl_tx *tx, const sl_keyring *k, const struct sl_consent_new *c,
                             const struct sl_acct_audit *au, int64_t *id)
{
    if (!c || c->person_id <= 0 || !c->purpose || !c->purpose[0])
        return SL_ERR_INVALID;
    int64_t cid = 0;
    sl_status st = sl__tx_query_int(tx,
        "INSERT INTO id_consent (person_id, purpose, scope, channel, alternative, guardian,"
        " created_ms, expires_ms, withdrawn_ms) VALUES (?,?,?,?,?,?,?,?,0) RETURNING id",
        SL_ARGS(SL_INT(c->person_id), SL_TEXT(c->purpose), SL_TEXT(c->scope ? c->scope : ""),
                SL_TEXT(c->channel), SL_TEXT(c->alternative), SL_TEXT(c->guardian),
                SL_INT(sl__now_ms()), SL_INT(c->expires_ms)), &cid);
    if (st == SL_OK)
        st = audit_consent(tx, k, au, cid, c->purpose);
    if (st == SL_OK && id)
        *id = cid;
    return st;
}

sl_status sl__consent_check(sl_tx *tx, int64_t person, const char *purpose,
                            const char *scope, int64_t *id)
{
    if (!purpose)
        return SL_ERR_INVALID;
    int64_t cid = 0;
    sl_status st = sl__tx_query_int(tx,
        "SELECT id FROM id_consent WHERE person_id = ? AND purpose = ? AND withdrawn_ms = 0"
        " AND (expires_ms = 0 OR expires_ms > ?) AND (scope = '' OR scope = ?)"
        " ORDER BY id DESC LIMIT 1",
        SL_ARGS(SL_INT(person), SL_TEXT(purpose), SL_INT(sl__now_ms()),
                SL_TEXT(scope ? scope : "")), &cid);
    if (st == SL_ERR_NOT_FOUND)
        return SL_ERR_ID_CONSENT;
    if (st == SL_OK && id)
        *id = cid;
    return st;
}

sl_status sl__consent_withdraw(sl_tx *tx, const sl_keyring *k, int64_t person, int64_t id,
                               const struct sl_acct_audit *au)
{
    int64_t ch = 0;
    sl_status st = sl__tx_exec(tx,
        "UPDATE id_consent SET withdrawn_ms = ? WHERE id = ? AND person_id = ? AND withdrawn_ms = 0",
        SL_ARGS(SL_INT(sl__now_ms()), SL_INT(id), SL_INT(person)), &ch);
    if (st == SL_OK && ch == 0)
        st = SL_ERR_NOT_FOUND;
    if (st == SL_OK)
        st = audit_consent(tx, k, au, id, NULL);
    return st;
}
