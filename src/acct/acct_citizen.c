/*
 * acct_citizen.c -- citizen sessions (acct.h, "Citizen sessions").
 *
 * Table acct_citizen_session (migration 102): the token only as its keyed
 * MAC (purpose "acct-citizen"), the person, the device and hall it was
 * opened at, the verification that opened it, created/last/expires, and a
 * revoked flag. The idle expiry is extended at most every 30 s, never
 * backwards, so nodes sharing one PostgreSQL agree.
 */
#include <string.h>

#include "acct/acct_int.h"

#define CITIZEN_TOUCH_MS 30000

sl_status sl__acct_citizen_open_tx(sl_acct *a, sl_tx *tx, int64_t person, int64_t hall,
                                   const char *device, int64_t verification,
                                   const struct sl_acct_audit *au,
                                   char *token, size_t cap, int64_t *expires_ms)
{
    if (cap < 72 || person <= 0)
        return SL_ERR_INVALID;
    memcpy(token, "cit_", 4);
    sl_status st = sl__random_token(token + 4, cap - 4, 32);
    uint8_t th[SL_CRYPTO_HASH_BYTES];
    if (st == SL_OK)
        st = sl__mac(a->keys, "acct-citizen", token, strlen(token), th);
    if (st != SL_OK)
        return st;
    int64_t now = sl__now_ms(), exp = now + a->o.citizen_abs_ms, id = 0;
    st = sl__tx_query_int(tx, "INSERT INTO acct_citizen_session (person_id, hall_id, device, "
                              "verification_id, token_hash, created_ms, last_ms, expires_ms, "
                              "revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id",
                          SL_ARGS(SL_INT(person), SL_INT(hall), SL_TEXT(device ? device : ""),
                                  SL_INT(verification), SL_BLOB(th, SL_CRYPTO_HASH_BYTES),
                                  SL_INT(now), SL_INT(now), SL_INT(exp)), &id);
    if (st != SL_OK)
        return st;
    *expires_ms = exp;
    if (!au)
        return SL_OK;
    struct sl_acct_audit x = *au;
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", (long long)id);
    x.object_type = "citizen_session";
    x.object_id = oid;
    return sl__acct_audit_tx(a, tx, &x, "ok");
}

struct cauth { const uint8_t *th; struct sl_principal *p; int64_t now, idle, last; sl_status res; };

static sl_status cauth_fn(sl_tx *tx, void *ctx)
{
    struct cauth *c = ctx;
    sl_rows *rows = NULL;
    c->res = SL_ERR_ACCT_SESSION;
    memset(c->p, 0, sizeof *c->p);
    sl_status st = sl__tx_query(tx,
        "SELECT id, person_id, hall_id, last_ms, expires_ms, revoked FROM acct_citizen_session "
        "WHERE token_hash = ?", SL_ARGS(SL_BLOB(c->th, SL_CRYPTO_HASH_BYTES)), &rows);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(rows) == 1) {
        int64_t last = sl__rows_int(rows, 0, 3), exp = sl__rows_int(rows, 0, 4);
        if (!sl__rows_int(rows, 0, 5) && c->now < exp && c->now < last + c->idle) {
            c->res = SL_OK;
            c->last = last;
            c->p->kind = SL_PRIN_CITIZEN;
            c->p->session_id = sl__rows_int(rows, 0, 0);
            c->p->id = sl__rows_int(rows, 0, 1);
            c->p->hall_id = sl__rows_int(rows, 0, 2);
            c->p->bits = SL_ROLE_CITIZEN;
            snprintf(c->p->name, sizeof c->p->name, "citizen:%lld", (long long)c->p->id);
        }
    }
    sl__rows_free(rows);
    return SL_OK;
}

static sl_status ctouch_fn(sl_tx *tx, void *ctx)
{
    struct cauth *c = ctx;
    return sl__tx_exec(tx, "UPDATE acct_citizen_session SET last_ms = ? WHERE id = ? AND last_ms < ?",
                       SL_ARGS(SL_INT(c->now), SL_INT(c->p->session_id), SL_INT(c->now)), NULL);
}

sl_status sl__acct_citizen_auth(sl_acct *a, const char *token, struct sl_principal *p)
{
    uint8_t th[SL_CRYPTO_HASH_BYTES];
    sl_status st = sl__mac(a->keys, "acct-citizen", token, strlen(token), th);
    if (st != SL_OK)
        return st;
    struct cauth c = { th, p, sl__now_ms(), a->o.citizen_idle_ms, 0, SL_OK };
    st = sl__store_run_read(a->store, cauth_fn, &c);
    if (st == SL_OK)
        st = c.res;
    if (st == SL_OK && c.now - c.last > CITIZEN_TOUCH_MS)
        st = sl__store_run(a->store, ctouch_fn, &c);
    if (st != SL_OK)
        memset(p, 0, sizeof *p);
    return st;
}

struct clogout { sl_acct *a; const struct sl_principal *p; const struct sl_acct_audit *au; };

static sl_status clogout_fn(sl_tx *tx, void *ctx)
{
    struct clogout *c = ctx;
    sl_status st = sl__tx_exec(tx, "UPDATE acct_citizen_session SET revoked = 1 WHERE id = ?",
                               SL_ARGS(SL_INT(c->p->session_id)), NULL);
    if (st != SL_OK || !c->au)
        return st;
    struct sl_acct_audit au = *c->au;
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", (long long)c->p->session_id);
    au.object_type = "citizen_session";
    au.object_id = oid;
    return sl__acct_audit_tx(c->a, tx, &au, "ok");
}

sl_status sl__acct_citizen_logout(sl_acct *a, const struct sl_principal *p,
                                  const struct sl_acct_audit *au)
{
    if (p->kind != SL_PRIN_CITIZEN)
        return SL_ERR_STATE;
    struct clogout c = { a, p, au };
    return sl__store_run(a->store, clogout_fn, &c);
}

sl_status sl__acct_citizen_revoke_person_tx(sl_acct *a, sl_tx *tx, int64_t person, int64_t *n)
{
    (void)a;
    int64_t k = 0;
    sl_status st = sl__tx_exec(tx, "UPDATE acct_citizen_session SET revoked = 1 "
                                   "WHERE person_id = ? AND revoked = 0",
                               SL_ARGS(SL_INT(person)), &k);
    if (n)
        *n = k;
    return st;
}
