/*
 * prims.c -- store-backed primitives (store.h): single-use keys, token
 * buckets, counters, leases. All state is in rows (migration 1), so every
 * node sharing the database sees the same state; each function runs in the
 * caller's transaction.
 *
 * Races between nodes are settled by the database: on SQLite the writer
 * lock (BEGIN IMMEDIATE) makes transactions serial; on PostgreSQL the
 * SERIALIZABLE isolation makes one of two read-modify-writes of the same
 * row fail with SL_ERR_STORE_BUSY, and sl__store_run runs it again.
 */
#include <math.h>
#include <string.h>

#include "store/store_int.h"

sl_status sl__store_once(sl_tx *tx, const char *scope, const void *key, size_t n,
                         int64_t now_ms, int64_t expires_ms)
{
    if (!scope || (!key && n))
        return SL_ERR_INVALID;
    int64_t changes = 0;
    /* a fresh key inserts; an expired one is taken over; a live one is
     * left alone (0 rows changed) */
    sl_status st = sl__tx_exec(tx,
        "INSERT INTO store_once (scope, k, expires_ms) VALUES (?, ?, ?) "
        "ON CONFLICT (scope, k) DO UPDATE SET expires_ms = excluded.expires_ms "
        "WHERE store_once.expires_ms <= ?",
        SL_ARGS(SL_TEXT(scope), SL_BLOB(n ? key : "", n), SL_INT(expires_ms),
                SL_INT(now_ms)), &changes);
    if (st != SL_OK)
        return st;
    return changes == 1 ? SL_OK : SL_ERR_STORE_USED;
}

sl_status sl__store_bucket(sl_tx *tx, const char *cls, const char *key,
                           double rate_per_s, double burst, int64_t now_ms,
                           int64_t *retry_after_ms)
{
    if (retry_after_ms)
        *retry_after_ms = 0;
    if (!cls || !key || !(rate_per_s > 0) || !(burst >= 1) || !isfinite(burst) ||
        !isfinite(rate_per_s))
        return SL_ERR_INVALID;
    sl_rows *r;
    sl_status st = sl__tx_query(tx,
        "SELECT tokens, updated_ms FROM store_bucket WHERE cls = ? AND k = ?",
        SL_ARGS(SL_TEXT(cls), SL_TEXT(key)), &r);
    if (st != SL_OK)
        return st;
    double tokens = burst;
    if (sl__rows_count(r) == 1) {
        double have = sl__rows_real(r, 0, 0);
        int64_t since = now_ms - sl__rows_int(r, 0, 1);
        if (since < 0)
            since = 0;                  /* clock went back: no refill */
        tokens = SL_MIN(burst, have + (double)since * rate_per_s / 1000.0);
    }
    sl__rows_free(r);
    if (tokens < 1.0) {
        /* nothing written: the refill is a function of the stored row */
        if (retry_after_ms)
            *retry_after_ms = (int64_t)ceil((1.0 - tokens) * 1000.0 / rate_per_s - 1e-6);
        return SL_ERR_STORE_RATE;
    }
    tokens -= 1.0;
    int64_t full_ms = now_ms + (int64_t)ceil((burst - tokens) * 1000.0 / rate_per_s - 1e-6);
    return sl__tx_exec(tx,
        "INSERT INTO store_bucket (cls, k, tokens, updated_ms, full_ms) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (cls, k) DO UPDATE SET "
        "tokens = excluded.tokens, updated_ms = excluded.updated_ms, "
        "full_ms = excluded.full_ms",
        SL_ARGS(SL_TEXT(cls), SL_TEXT(key), SL_REAL(tokens), SL_INT(now_ms),
                SL_INT(full_ms)), NULL);
}

sl_status sl__store_counter(sl_tx *tx, const char *name, int64_t delta, int64_t *value)
{
    int64_t v;
    sl_status st = sl__tx_query_int(tx,
        "INSERT INTO store_counter (name, v) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET v = store_counter.v + excluded.v "
        "RETURNING v",
        SL_ARGS(SL_TEXT(name), SL_INT(delta)), &v);
    if (st == SL_OK && value)
        *value = v;
    return st;
}

sl_status sl__store_counter_set(sl_tx *tx, const char *name, int64_t value)
{
    return sl__tx_exec(tx,
        "INSERT INTO store_counter (name, v) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET v = excluded.v",
        SL_ARGS(SL_TEXT(name), SL_INT(value)), NULL);
}

sl_status sl__store_counter_get(sl_tx *tx, const char *name, int64_t *value)
{
    sl_status st = sl__tx_query_int(tx, "SELECT v FROM store_counter WHERE name = ?",
                                    SL_ARGS(SL_TEXT(name)), value);
    if (st == SL_ERR_NOT_FOUND) {
        *value = 0;
        st = SL_OK;
    }
    return st;
}

sl_status sl__store_lease(sl_tx *tx, const char *name, const char *holder,
                          int64_t now_ms, int64_t ttl_ms, bool *held)
{
    *held = false;
    if (!name || !holder || ttl_ms <= 0)
        return SL_ERR_INVALID;
    int64_t changes = 0;
    sl_status st = sl__tx_exec(tx,
        "INSERT INTO store_lease (name, holder, expires_ms) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
        "expires_ms = excluded.expires_ms "
        "WHERE store_lease.holder = excluded.holder OR store_lease.expires_ms <= ?",
        SL_ARGS(SL_TEXT(name), SL_TEXT(holder), SL_INT(now_ms + ttl_ms),
                SL_INT(now_ms)), &changes);
    if (st == SL_OK)
        *held = changes == 1;
    return st;
}

sl_status sl__store_lease_release(sl_tx *tx, const char *name, const char *holder)
{
    return sl__tx_exec(tx, "DELETE FROM store_lease WHERE name = ? AND holder = ?",
                       SL_ARGS(SL_TEXT(name), SL_TEXT(holder)), NULL);
}

sl_status sl__store_sweep(sl_tx *tx, int64_t now_ms, int64_t *removed)
{
    static const char *const sql[] = {
        "DELETE FROM store_once WHERE expires_ms <= ?",
        "DELETE FROM store_lease WHERE expires_ms <= ?",
        "DELETE FROM store_bucket WHERE full_ms <= ?",
    };
    int64_t total = 0;
    for (size_t i = 0; i < SL_ARRAY_LEN(sql); i++) {
        int64_t n = 0;
        sl_status st = sl__tx_exec(tx, sql[i], SL_ARGS(SL_INT(now_ms)), &n);
        if (st != SL_OK)
            return st;
        total += n;
    }
    if (removed)
        *removed = total;
    return SL_OK;
}
