/*
 * acct.c -- halls, staff users, sessions, devices (acct.h).
 *
 * Tables (migrations 100.., src/store/schema.c): acct_hall, acct_user,
 * acct_session, acct_device. Secrets are never stored: passwords as
 * Argon2id strings, session tokens and device keys as keyed MACs
 * (sl__mac purposes "acct-session", "acct-device"), so a copy of the
 * database does not let anyone log in. Failed-login counts and lockouts
 * are columns of acct_user, updated with "failed = failed + 1", so nodes
 * sharing one PostgreSQL count together.
 */
#include <sodium.h>
#include <string.h>

#include "acct/acct_int.h"

#define SESSION_TOUCH_MS 30000   /* idle expiry is extended at most this often */

/* ============================ Names ===================================== */

static const struct { uint32_t bit; const char *name; } bit_names[] = {
    { SL_ROLE_ADMIN, "admin" }, { SL_ROLE_CLERK, "clerk" },
    { SL_ROLE_REVIEWER, "reviewer" }, { SL_ROLE_AUDITOR, "auditor" },
    { SL_ROLE_ISSUER, "issuer" }, { SL_DEV_WINDOW, "window" },
    { SL_DEV_KIOSK, "kiosk" }, { SL_DEV_H5, "h5" }, { SL_ROLE_CITIZEN, "citizen" },
};

const char *sl__acct_bit_name(uint32_t bit)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(bit_names); i++)
        if (bit_names[i].bit == bit)
            return bit_names[i].name;
    return NULL;
}

uint32_t sl__acct_bit_parse(const char *name)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(bit_names); i++)
        if (strcmp(bit_names[i].name, name) == 0)
            return bit_names[i].bit;
    return 0;
}

bool sl__acct_roles_parse(const char *list, uint32_t *roles)
{
    uint32_t r = 0;
    char buf[128];
    if (strlen(list) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint32_t b = sl__acct_bit_parse(t);
        if (!b || !(b & SL_ROLE_ALL))
            return false;
        r |= b;
    }
    if (!r)
        return false;
    *roles = r;
    return true;
}

json_t *sl__acct_bits_json(uint32_t mask)
{
    json_t *a = json_array();
    for (size_t i = 0; i < SL_ARRAY_LEN(bit_names); i++)
        if (mask & bit_names[i].bit)
            json_array_append_new(a, json_string(bit_names[i].name));
    return a;
}

/* ============================ Module ==================================== */

sl_status sl__acct_new(sl_store *s, const sl_keyring *k, const struct sl_acct_opts *o,
                       sl_acct **out)
{
    sl_acct *a = sl__calloc(1, sizeof *a);
    if (!a)
        return SL_ERR_NOMEM;
    a->store = s;
    a->keys = k;
    if (o)
        a->o = *o;
    if (a->o.session_idle_ms <= 0)
        a->o.session_idle_ms = 30 * 60 * 1000;
    if (a->o.session_abs_ms <= 0)
        a->o.session_abs_ms = 12 * 3600 * 1000;
    if (a->o.lockout_after <= 0)
        a->o.lockout_after = 5;
    if (a->o.lockout_ms <= 0)
        a->o.lockout_ms = 15 * 60 * 1000;
    if (a->o.citizen_idle_ms <= 0)
        a->o.citizen_idle_ms = 10 * 60 * 1000;
    if (a->o.citizen_abs_ms <= 0)
        a->o.citizen_abs_ms = 30 * 60 * 1000;
    *out = a;
    return SL_OK;
}

void sl__acct_free(sl_acct *a)
{
    sl__free(a);
}

sl_store *sl__acct_store(const sl_acct *a) { return a->store; }
const sl_keyring *sl__acct_keyring(const sl_acct *a) { return a->keys; }

static sl_status ping_fn(sl_tx *tx, void *ctx)
{
    (void)ctx;
    int64_t v;
    return sl__tx_query_int(tx, "SELECT 1", NULL, 0, &v);
}

sl_status sl__acct_ping(sl_acct *a)
{
    return sl__store_run_read(a->store, ping_fn, NULL);
}

struct rate_ctx { const char *cls, *key; double per_s, burst; int64_t retry; sl_status res; };

static sl_status rate_fn(sl_tx *tx, void *ctx)
{
    struct rate_ctx *c = ctx;
    c->retry = 0;
    c->res = sl__store_bucket(tx, c->cls, c->key, c->per_s, c->burst, sl__now_ms(), &c->retry);
    return c->res == SL_ERR_STORE_RATE ? SL_OK : c->res;
}

sl_status sl__acct_rate_take(sl_acct *a, const char *cls, const char *key, double per_s,
                             double burst, int64_t *retry_ms)
{
    struct rate_ctx c = { cls, key, per_s, burst, 0, SL_OK };
    /* lazy: a token taken is lost at a power cut at worst (the bucket is a
     * throttle, not a record; lockouts and audit commit in full), and this
     * commit is on every request's path before its body is read */
    sl_status st = sl__store_run_lazy(a->store, rate_fn, &c);
    if (st != SL_OK)
        return st;
    if (c.res == SL_ERR_STORE_RATE) {
        *retry_ms = c.retry;
        return SL_ERR_HTTP_RATE;
    }
    return SL_OK;
}

sl_status sl__acct_rate_take_id(sl_acct *a, const char *cls, const char *id_number,
                                double per_s, double burst, int64_t *retry_ms)
{
    uint8_t idx[SL_CRYPTO_HASH_BYTES];
    char key[8 + 2 * SL_CRYPTO_HASH_BYTES + 1] = "id:";
    sl_status st = sl__mac(a->keys, "rate-id", id_number, strlen(id_number), idx);
    if (st == SL_OK)
        st = sl__hex_encode(key + 3, sizeof key - 3, idx, sizeof idx);
    if (st != SL_OK)
        return st;
    return sl__acct_rate_take(a, cls, key, per_s, burst, retry_ms);
}

struct audit_ctx { sl_acct *a; const struct sl_acct_audit *au; };

static sl_status audit_fn(sl_tx *tx, void *ctx)
{
    struct audit_ctx *c = ctx;
    return sl__acct_audit_tx(c->a, tx, c->au, "ok");
}

sl_status sl__acct_audit(sl_acct *a, const struct sl_acct_audit *au)
{
    struct audit_ctx c = { a, au };
    return sl__store_run(a->store, audit_fn, &c);
}

/* ============================ Halls ===================================== */

struct hall_ctx { sl_acct *a; const char *name, *kind; const struct sl_acct_audit *au;
                  int64_t id; sl_status res; };

static sl_status hall_add_fn(sl_tx *tx, void *ctx)
{
    struct hall_ctx *c = ctx;
    sl_rows *rows = NULL;
    c->res = SL_OK;
    sl_status st = sl__tx_query(tx, "INSERT INTO acct_hall (name, kind, created_ms) "
                                    "VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id",
                                SL_ARGS(SL_TEXT(c->name), SL_TEXT(c->kind), SL_INT(sl__now_ms())),
                                &rows);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(rows) == 0)
        c->res = SL_ERR_ACCT_EXISTS;
    else
        c->id = sl__rows_int(rows, 0, 0);
    sl__rows_free(rows);
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", (long long)c->id);
    if (c->au) {
        struct sl_acct_audit au = *c->au;
        au.object_type = "hall";
        au.object_id = c->res == SL_OK ? oid : c->name;
        return sl__acct_audit_tx(c->a, tx, &au, sl_status_name(c->res));
    }
    return SL_OK;
}

sl_status sl__acct_hall_add(sl_acct *a, const char *name, const char *kind,
                            const struct sl_acct_audit *au, int64_t *id)
{
    struct hall_ctx c = { a, name, kind ? kind : "hall", au, 0, SL_OK };
    sl_status st = sl__store_run(a->store, hall_add_fn, &c);
    if (st == SL_OK)
        st = c.res;
    if (st == SL_OK && id)
        *id = c.id;
    return st;
}

struct find_ctx { const char *sql; const char *key; int64_t id; bool found; };

static sl_status find_fn(sl_tx *tx, void *ctx)
{
    struct find_ctx *c = ctx;
    sl_rows *rows = NULL;
    sl_status st = sl__tx_query(tx, c->sql, SL_ARGS(SL_TEXT(c->key)), &rows);
    if (st != SL_OK)
        return st;
    c->found = sl__rows_count(rows) > 0;
    if (c->found)
        c->id = sl__rows_int(rows, 0, 0);
    sl__rows_free(rows);
    return SL_OK;
}

sl_status sl__acct_hall_find(sl_acct *a, const char *name, int64_t *id)
{
    struct find_ctx c = { "SELECT id FROM acct_hall WHERE name = ?", name, 0, false };
    sl_status st = sl__store_run_read(a->store, find_fn, &c);
    if (st == SL_OK && !c.found)
        st = SL_ERR_NOT_FOUND;
    if (st == SL_OK)
        *id = c.id;
    return st;
}

/* Runs a SELECT and hands each row to a JSON builder. */
struct list_ctx { const char *sql; json_t *(*row)(const sl_rows *r, size_t i); json_t *out; };

static sl_status list_fn(sl_tx *tx, void *ctx)
{
    struct list_ctx *c = ctx;
    sl_rows *rows = NULL;
    sl_status st = sl__tx_query(tx, c->sql, NULL, 0, &rows);
    if (st != SL_OK)
        return st;
    json_decref(c->out);
    c->out = json_array();
    for (size_t i = 0; i < sl__rows_count(rows); i++)
        json_array_append_new(c->out, c->row(rows, i));
    sl__rows_free(rows);
    return SL_OK;
}

static json_t *iso(int64_t ms)
{
    char t[32];
    sl_time_iso8601(t, sizeof t, ms);
    return json_string(t);
}

static json_t *hall_row(const sl_rows *r, size_t i)
{
    return json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)sl__rows_int(r, i, 0),
                     "name", sl__rows_text(r, i, 1), "kind", sl__rows_text(r, i, 2),
                     "created_at", iso(sl__rows_int(r, i, 3)));
}

static sl_status list(sl_acct *a, const char *sql, json_t *(*row)(const sl_rows *, size_t),
                      json_t **out)
{
    struct list_ctx c = { sql, row, NULL };
    sl_status st = sl__store_run_read(a->store, list_fn, &c);
    if (st != SL_OK) {
        json_decref(c.out);
        return st;
    }
    *out = c.out;
    return SL_OK;
}

sl_status sl__acct_hall_list(sl_acct *a, json_t **out)
{
    return list(a, "SELECT id, name, kind, created_ms FROM acct_hall ORDER BY id", hall_row, out);
}

/* ============================ Users ===================================== */

struct user_ctx { sl_acct *a; int64_t hall; const char *username; const char *hash;
                  uint32_t roles; const struct sl_acct_audit *au; int64_t id; sl_status res; };

static sl_status user_add_fn(sl_tx *tx, void *ctx)
{
    struct user_ctx *c = ctx;
    c->res = SL_OK;
    int64_t n = 0;
    sl_status st = sl__tx_query_int(tx, "SELECT count(*) FROM acct_hall WHERE id = ?",
                                    SL_ARGS(SL_INT(c->hall)), &n);
    if (st != SL_OK)
        return st;
    if (n == 0) {
        c->res = SL_ERR_NOT_FOUND;
    } else {
        sl_rows *rows = NULL;
        st = sl__tx_query(tx, "INSERT INTO acct_user (hall_id, username, pw_hash, roles, "
                              "disabled, failed, locked_until_ms, created_ms) "
                              "VALUES (?, ?, ?, ?, 0, 0, 0, ?) "
                              "ON CONFLICT (username) DO NOTHING RETURNING id",
                          SL_ARGS(SL_INT(c->hall), SL_TEXT(c->username), SL_TEXT(c->hash),
                                  SL_INT(c->roles), SL_INT(sl__now_ms())), &rows);
        if (st != SL_OK)
            return st;
        if (sl__rows_count(rows) == 0)
            c->res = SL_ERR_ACCT_EXISTS;
        else
            c->id = sl__rows_int(rows, 0, 0);
        sl__rows_free(rows);
    }
    if (c->au) {
        struct sl_acct_audit au = *c->au;
        au.object_type = "user";
        au.object_id = c->username;
        return sl__acct_audit_tx(c->a, tx, &au, sl_status_name(c->res));
    }
    return SL_OK;
}

sl_status sl__acct_user_add(sl_acct *a, int64_t hall, const char *username,
                            const char *password, uint32_t roles,
                            const struct sl_acct_audit *au, int64_t *id)
{
    if (strlen(password) < 8)
        return SL_ERR_ACCT_PASSWORD;
    if (!(roles & SL_ROLE_ALL) || (roles & ~(uint32_t)SL_ROLE_ALL))
        return SL_ERR_INVALID;
    char hash[SL_CRYPTO_PWHASH_BYTES];
    sl_status st = sl__password_hash(password, hash);
    if (st != SL_OK)
        return st;
    struct user_ctx c = { a, hall, username, hash, roles, au, 0, SL_OK };
    st = sl__store_run(a->store, user_add_fn, &c);
    sodium_memzero(hash, sizeof hash);
    if (st == SL_OK)
        st = c.res;
    if (st == SL_OK && id)
        *id = c.id;
    return st;
}

static json_t *user_row(const sl_rows *r, size_t i)
{
    return json_pack("{s:I,s:s,s:I,s:o,s:b,s:o}", "id", (json_int_t)sl__rows_int(r, i, 0),
                     "username", sl__rows_text(r, i, 1), "hall", (json_int_t)sl__rows_int(r, i, 2),
                     "roles", sl__acct_bits_json((uint32_t)sl__rows_int(r, i, 3)),
                     "disabled", sl__rows_int(r, i, 4) != 0,
                     "created_at", iso(sl__rows_int(r, i, 5)));
}

sl_status sl__acct_user_list(sl_acct *a, json_t **out)
{
    return list(a, "SELECT id, username, hall_id, roles, disabled, created_ms FROM acct_user "
                   "ORDER BY id", user_row, out);
}

struct disable_ctx { sl_acct *a; const char *username; const struct sl_acct_audit *au;
                     sl_status res; };

static sl_status user_disable_fn(sl_tx *tx, void *ctx)
{
    struct disable_ctx *c = ctx;
    int64_t n = 0;
    c->res = SL_OK;
    sl_status st = sl__tx_exec(tx, "UPDATE acct_user SET disabled = 1 WHERE username = ?",
                               SL_ARGS(SL_TEXT(c->username)), &n);
    if (st != SL_OK)
        return st;
    if (n == 0)
        c->res = SL_ERR_NOT_FOUND;
    else
        st = sl__tx_exec(tx, "UPDATE acct_session SET revoked = 1 WHERE user_id = "
                             "(SELECT id FROM acct_user WHERE username = ?)",
                         SL_ARGS(SL_TEXT(c->username)), NULL);
    if (st != SL_OK)
        return st;
    if (c->au) {
        struct sl_acct_audit au = *c->au;
        au.object_type = "user";
        au.object_id = c->username;
        return sl__acct_audit_tx(c->a, tx, &au, sl_status_name(c->res));
    }
    return SL_OK;
}

sl_status sl__acct_user_disable(sl_acct *a, const char *username,
                                const struct sl_acct_audit *au)
{
    struct disable_ctx c = { a, username, au, SL_OK };
    sl_status st = sl__store_run(a->store, user_disable_fn, &c);
    return st == SL_OK ? c.res : st;
}

/* ============================ Login and sessions ======================== */

struct login_read { const char *username; bool found; int64_t id, hall; uint32_t roles;
                    bool disabled; int64_t locked_until; char hash[SL_CRYPTO_PWHASH_BYTES]; };

static sl_status login_read_fn(sl_tx *tx, void *ctx)
{
    struct login_read *c = ctx;
    sl_rows *rows = NULL;
    sl_status st = sl__tx_query(tx, "SELECT id, hall_id, roles, disabled, locked_until_ms, "
                                    "pw_hash FROM acct_user WHERE username = ?",
                                SL_ARGS(SL_TEXT(c->username)), &rows);
    if (st != SL_OK)
        return st;
    c->found = sl__rows_count(rows) > 0;
    if (c->found) {
        c->id = sl__rows_int(rows, 0, 0);
        c->hall = sl__rows_int(rows, 0, 1);
        c->roles = (uint32_t)sl__rows_int(rows, 0, 2);
        c->disabled = sl__rows_int(rows, 0, 3) != 0;
        c->locked_until = sl__rows_int(rows, 0, 4);
        snprintf(c->hash, sizeof c->hash, "%s", sl__rows_text(rows, 0, 5));
    }
    sl__rows_free(rows);
    return SL_OK;
}

struct login_write { sl_acct *a; const struct login_read *u; bool ok; const uint8_t *th;
                     const struct sl_acct_audit *au; sl_status outcome; int64_t now, expires; };

static sl_status login_write_fn(sl_tx *tx, void *ctx)
{
    struct login_write *c = ctx;
    sl_status st = SL_OK;
    if (c->u->found && c->ok) {
        st = sl__tx_exec(tx, "UPDATE acct_user SET failed = 0 WHERE id = ?",
                         SL_ARGS(SL_INT(c->u->id)), NULL);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "INSERT INTO acct_session (user_id, token_hash, created_ms, "
                                 "last_ms, expires_ms, revoked) VALUES (?, ?, ?, ?, ?, 0)",
                             SL_ARGS(SL_INT(c->u->id), SL_BLOB(c->th, SL_CRYPTO_HASH_BYTES),
                                     SL_INT(c->now), SL_INT(c->now), SL_INT(c->expires)), NULL);
    } else if (c->u->found && c->outcome == SL_ERR_ACCT_LOGIN) {
        int64_t failed = 0;
        st = sl__tx_query_int(tx, "UPDATE acct_user SET failed = failed + 1 WHERE id = ? "
                                  "RETURNING failed", SL_ARGS(SL_INT(c->u->id)), &failed);
        if (st == SL_OK && failed >= c->a->o.lockout_after)
            st = sl__tx_exec(tx, "UPDATE acct_user SET failed = 0, locked_until_ms = ? "
                                 "WHERE id = ?",
                             SL_ARGS(SL_INT(c->now + c->a->o.lockout_ms), SL_INT(c->u->id)),
                             NULL);
    }
    if (st != SL_OK)
        return st;
    if (c->au) {
        struct sl_acct_audit au = *c->au;
        au.object_type = "user";
        au.object_id = c->u->username;
        return sl__acct_audit_tx(c->a, tx, &au, sl_status_name(c->outcome));
    }
    return SL_OK;
}

sl_status sl__acct_login(sl_acct *a, const char *username, const char *password,
                         const struct sl_acct_audit *au, char *token, size_t cap,
                         int64_t *expires_ms, uint32_t *roles, int64_t *retry_ms)
{
    struct login_read u = { .username = username };
    sl_status st = sl__store_run_read(a->store, login_read_fn, &u);
    if (st != SL_OK)
        return st;
    int64_t now = sl__now_ms();
    struct login_write w = { a, &u, false, NULL, au, SL_OK, now, now + a->o.session_abs_ms };
    uint8_t th[SL_CRYPTO_HASH_BYTES];
    if (!u.found) {
        w.outcome = SL_ERR_ACCT_LOGIN;
    } else if (u.locked_until > now) {
        w.outcome = SL_ERR_ACCT_LOCKED;
        if (retry_ms)
            *retry_ms = u.locked_until - now;
    } else if (u.disabled) {
        w.outcome = SL_ERR_ACCT_DISABLED;
    } else if (!sl__password_check(u.hash, password)) {
        w.outcome = SL_ERR_ACCT_LOGIN;
    } else {
        st = sl__random_token(token, cap, 32);
        if (st == SL_OK)
            st = sl__mac(a->keys, "acct-session", token, strlen(token), th);
        if (st != SL_OK)
            return st;
        w.ok = true;
        w.th = th;
    }
    st = sl__store_run(a->store, login_write_fn, &w);
    if (st != SL_OK)
        return st;
    if (w.ok) {
        *expires_ms = w.expires;
        *roles = u.roles;
    }
    return w.outcome;
}

struct bearer_ctx { const uint8_t *th; struct sl_principal *p; int64_t now, idle, last;
                   sl_status res; };

/* Read-only: GET-heavy traffic does not take the SQLite writer lock. */
static sl_status bearer_fn(sl_tx *tx, void *ctx)
{
    struct bearer_ctx *c = ctx;
    sl_rows *rows = NULL;
    c->res = SL_ERR_ACCT_SESSION;
    memset(c->p, 0, sizeof *c->p);
    sl_status st = sl__tx_query(tx,
        "SELECT s.id, s.last_ms, s.expires_ms, s.revoked, u.id, u.hall_id, u.roles, "
        "u.disabled, u.username FROM acct_session s JOIN acct_user u ON u.id = s.user_id "
        "WHERE s.token_hash = ?", SL_ARGS(SL_BLOB(c->th, SL_CRYPTO_HASH_BYTES)), &rows);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(rows) == 1) {
        int64_t last = sl__rows_int(rows, 0, 1), exp = sl__rows_int(rows, 0, 2);
        bool live = !sl__rows_int(rows, 0, 3) && !sl__rows_int(rows, 0, 7) &&
                    c->now < exp && c->now < last + c->idle;
        if (live) {
            c->res = SL_OK;
            c->last = last;
            c->p->kind = SL_PRIN_STAFF;
            c->p->session_id = sl__rows_int(rows, 0, 0);
            c->p->id = sl__rows_int(rows, 0, 4);
            c->p->hall_id = sl__rows_int(rows, 0, 5);
            c->p->bits = (uint32_t)sl__rows_int(rows, 0, 6) & SL_ROLE_ALL;
            snprintf(c->p->name, sizeof c->p->name, "%s", sl__rows_text(rows, 0, 8));
        }
    }
    sl__rows_free(rows);
    return SL_OK;
}

/* Extends the idle expiry (at most every SESSION_TOUCH_MS); never moves
 * last_ms backwards when two nodes touch at once. */
static sl_status touch_fn(sl_tx *tx, void *ctx)
{
    struct bearer_ctx *c = ctx;
    return sl__tx_exec(tx, "UPDATE acct_session SET last_ms = ? WHERE id = ? AND last_ms < ?",
                       SL_ARGS(SL_INT(c->now), SL_INT(c->p->session_id), SL_INT(c->now)), NULL);
}

sl_status sl__acct_auth_bearer(sl_acct *a, const char *token, struct sl_principal *p)
{
    size_t n = strlen(token);
    if (n == 0 || n > 128)
        return SL_ERR_ACCT_SESSION;
    if (strncmp(token, "cit_", 4) == 0)
        return sl__acct_citizen_auth(a, token, p);
    uint8_t th[SL_CRYPTO_HASH_BYTES];
    sl_status st = sl__mac(a->keys, "acct-session", token, n, th);
    if (st != SL_OK)
        return st;
    struct bearer_ctx c = { th, p, sl__now_ms(), a->o.session_idle_ms, 0, SL_OK };
    st = sl__store_run_read(a->store, bearer_fn, &c);
    if (st == SL_OK)
        st = c.res;
    if (st == SL_OK && c.now - c.last > SESSION_TOUCH_MS)
        st = sl__store_run(a->store, touch_fn, &c);
    if (st != SL_OK)
        memset(p, 0, sizeof *p);
    return st;
}

struct logout_ctx { sl_acct *a; const struct sl_principal *p; const struct sl_acct_audit *au; };

static sl_status logout_fn(sl_tx *tx, void *ctx)
{
    struct logout_ctx *c = ctx;
    sl_status st = sl__tx_exec(tx, "UPDATE acct_session SET revoked = 1 WHERE id = ?",
                               SL_ARGS(SL_INT(c->p->session_id)), NULL);
    if (st != SL_OK || !c->au)
        return st;
    struct sl_acct_audit au = *c->au;
    au.object_type = "session";
    return sl__acct_audit_tx(c->a, tx, &au, "ok");
}

sl_status sl__acct_logout(sl_acct *a, const struct sl_principal *p,
                          const struct sl_acct_audit *au)
{
    if (p->kind != SL_PRIN_STAFF)
        return SL_ERR_STATE;
    struct logout_ctx c = { a, p, au };
    return sl__store_run(a->store, logout_fn, &c);
}

/* ============================ Devices =================================== */

struct dev_ctx { sl_acct *a; int64_t hall; uint32_t cls; const char *label; const char *id;
                 const uint8_t *kh; const struct sl_acct_audit *au; sl_status res; };

static sl_status device_add_fn(sl_tx *tx, void *ctx)
{
    struct dev_ctx *c = ctx;
    int64_t n = 0;
    c->res = SL_OK;
    sl_status st = sl__tx_query_int(tx, "SELECT count(*) FROM acct_hall WHERE id = ?",
                                    SL_ARGS(SL_INT(c->hall)), &n);
    if (st != SL_OK)
        return st;
    if (n == 0)
        c->res = SL_ERR_NOT_FOUND;
    else
        st = sl__tx_exec(tx, "INSERT INTO acct_device (device_id, hall_id, class, label, "
                             "key_hash, revoked, created_ms) VALUES (?, ?, ?, ?, ?, 0, ?)",
                         SL_ARGS(SL_TEXT(c->id), SL_INT(c->hall), SL_INT(c->cls),
                                 SL_TEXT(c->label), SL_BLOB(c->kh, SL_CRYPTO_HASH_BYTES),
                                 SL_INT(sl__now_ms())), NULL);
    if (st != SL_OK || !c->au)
        return st;
    struct sl_acct_audit au = *c->au;
    au.object_type = "device";
    au.object_id = c->id;
    return sl__acct_audit_tx(c->a, tx, &au, sl_status_name(c->res));
}

sl_status sl__acct_device_add(sl_acct *a, int64_t hall, uint32_t cls, const char *label,
                              const struct sl_acct_audit *au, char *id_out, size_t id_cap,
                              char *key, size_t key_cap)
{
    if (!(cls & SL_DEV_ALL) || (cls & (cls - 1)))
        return SL_ERR_INVALID;
    uint8_t rnd[8];
    sl__random(rnd, sizeof rnd);
    char hex[17];
    sl_status st = sl__hex_encode(hex, sizeof hex, rnd, sizeof rnd);
    if (st != SL_OK)
        return st;
    if ((size_t)snprintf(id_out, id_cap, "dev_%s", hex) >= id_cap)
        return SL_ERR_INVALID;
    st = sl__random_token(key, key_cap, 32);
    uint8_t kh[SL_CRYPTO_HASH_BYTES];
    if (st == SL_OK)
        st = sl__mac(a->keys, "acct-device", key, strlen(key), kh);
    if (st != SL_OK)
        return st;
    struct dev_ctx c = { a, hall, cls, label, id_out, kh, au, SL_OK };
    st = sl__store_run(a->store, device_add_fn, &c);
    return st == SL_OK ? c.res : st;
}

static json_t *device_row(const sl_rows *r, size_t i)
{
    const char *label = sl__rows_text(r, i, 3);
    return json_pack("{s:s,s:I,s:s,s:s?,s:b,s:o}", "id", sl__rows_text(r, i, 0),
                     "hall", (json_int_t)sl__rows_int(r, i, 1),
                     "class", sl__acct_bit_name((uint32_t)sl__rows_int(r, i, 2)),
                     "label", label, "revoked", sl__rows_int(r, i, 4) != 0,
                     "created_at", iso(sl__rows_int(r, i, 5)));
}

sl_status sl__acct_device_list(sl_acct *a, json_t **out)
{
    return list(a, "SELECT device_id, hall_id, class, label, revoked, created_ms "
                   "FROM acct_device ORDER BY id", device_row, out);
}

struct revoke_ctx { sl_acct *a; const char *id; const struct sl_acct_audit *au; sl_status res; };

static sl_status device_revoke_fn(sl_tx *tx, void *ctx)
{
    struct revoke_ctx *c = ctx;
    int64_t n = 0;
    sl_status st = sl__tx_exec(tx, "UPDATE acct_device SET revoked = 1 WHERE device_id = ?",
                               SL_ARGS(SL_TEXT(c->id)), &n);
    if (st != SL_OK)
        return st;
    c->res = n ? SL_OK : SL_ERR_NOT_FOUND;
    if (!c->au)
        return SL_OK;
    struct sl_acct_audit au = *c->au;
    au.object_type = "device";
    au.object_id = c->id;
    return sl__acct_audit_tx(c->a, tx, &au, sl_status_name(c->res));
}

sl_status sl__acct_device_revoke(sl_acct *a, const char *device_id,
                                 const struct sl_acct_audit *au)
{
    struct revoke_ctx c = { a, device_id, au, SL_OK };
    sl_status st = sl__store_run(a->store, device_revoke_fn, &c);
    return st == SL_OK ? c.res : st;
}

struct devauth_ctx { const char *id; const uint8_t *kh; struct sl_principal *p; sl_status res; };

static sl_status devauth_fn(sl_tx *tx, void *ctx)
{
    struct devauth_ctx *c = ctx;
    sl_rows *rows = NULL;
    c->res = SL_ERR_ACCT_DEVICE;
    sl_status st = sl__tx_query(tx, "SELECT id, hall_id, class, key_hash, revoked "
                                    "FROM acct_device WHERE device_id = ?",
                                SL_ARGS(SL_TEXT(c->id)), &rows);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(rows) == 1) {
        size_t n = 0;
        const void *kh = sl__rows_blob(rows, 0, 3, &n);
        if (n == SL_CRYPTO_HASH_BYTES && sl__ct_equal(kh, c->kh, n) &&
            !sl__rows_int(rows, 0, 4)) {
            c->res = SL_OK;
            c->p->kind = SL_PRIN_DEVICE;
            c->p->id = sl__rows_int(rows, 0, 0);
            c->p->hall_id = sl__rows_int(rows, 0, 1);
            c->p->bits = (uint32_t)sl__rows_int(rows, 0, 2) & SL_DEV_ALL;
            snprintf(c->p->name, sizeof c->p->name, "%s", c->id);
        }
    }
    sl__rows_free(rows);
    return SL_OK;
}

sl_status sl__acct_auth_device(sl_acct *a, const char *cred, struct sl_principal *p)
{
    const char *colon = strchr(cred, ':');
    if (!colon || colon == cred || (size_t)(colon - cred) >= 64 || strlen(colon + 1) > 128)
        return SL_ERR_ACCT_DEVICE;
    char id[64];
    memcpy(id, cred, (size_t)(colon - cred));
    id[colon - cred] = '\0';
    uint8_t kh[SL_CRYPTO_HASH_BYTES];
    sl_status st = sl__mac(a->keys, "acct-device", colon + 1, strlen(colon + 1), kh);
    if (st != SL_OK)
        return st;
    memset(p, 0, sizeof *p);
    struct devauth_ctx c = { id, kh, p, SL_OK };
    st = sl__store_run_read(a->store, devauth_fn, &c);
    if (st == SL_OK)
        st = c.res;
    if (st != SL_OK)
        memset(p, 0, sizeof *p);
    return st;
}
