/*
 * rekey.c -- associated data for encrypted columns and the batch
 * re-encryption loop (rekey.h). Workload: run by hand after a rotation;
 * each batch is one short transaction so the server's own transactions
 * interleave with it (SQLite writers wait at most one batch).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rekey/rekey.h"

#define BATCH_DEFAULT 200
#define BATCH_MAX     10000

static bool ident_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    return true;
}

static bool column_ok(const struct sl_enc_column *c)
{
    return c && ident_ok(c->table) && ident_ok(c->id_col) &&
           ident_ok(c->blob_col) && ident_ok(c->kind) &&
           (!c->ad_col || ident_ok(c->ad_col));
}

size_t sl__enc_ad_key(char *out, size_t cap, const struct sl_enc_column *c,
                      const char *key)
{
    if (c->ad)
        return c->ad(out, cap, c, key ? key : "");
    int w = snprintf(out, cap, "%s|%s|%s", c->table, key ? key : "", c->kind);
    return w < 0 ? 0 : (size_t)w >= cap ? cap - 1 : (size_t)w;
}

size_t sl__enc_ad(char *out, size_t cap, const struct sl_enc_column *c,
                  int64_t id)
{
    char key[24];
    snprintf(key, sizeof key, "%" PRId64, id);
    return sl__enc_ad_key(out, cap, c, key);
}

sl_status sl__enc_seal(const sl_keyring *k, const struct sl_enc_column *c,
                       int64_t id, const void *pt, size_t n, uint8_t **ct,
                       size_t *ctn)
{
    if (!column_ok(c))
        return SL_ERR_INVALID;
    char ad[SL_ENC_AD_MAX];
    size_t adn = sl__enc_ad(ad, sizeof(ad), c, id);
    return sl__seal(k, ad, adn, pt, n, ct, ctn);
}

sl_status sl__enc_open(const sl_keyring *k, const struct sl_enc_column *c,
                       int64_t id, const uint8_t *ct, size_t ctn, uint8_t **pt,
                       size_t *n)
{
    if (!column_ok(c))
        return SL_ERR_INVALID;
    char ad[SL_ENC_AD_MAX];
    size_t adn = sl__enc_ad(ad, sizeof(ad), c, id);
    return sl__open(k, ad, adn, ct, ctn, pt, n);
}

/* ============================ The batch loop ============================= */

struct batch {
    /* in */
    const sl_keyring           *k;
    const struct sl_enc_column *c;
    const char                 *select_sql;
    const char                 *update_sql;
    int64_t                     after;      /* ids > after                  */
    size_t                      limit;
    /* out, reset at every (re)run of the transaction */
    struct sl_rekey_report      r;
    size_t                      rows;
    int64_t                     last;
};

static sl_status batch_run(sl_tx *tx, void *ctx)
{
    struct batch *b = ctx;
    memset(&b->r, 0, sizeof(b->r));
    b->rows = 0;
    b->last = b->after;
    uint32_t cur = sl__keyring_current_kid(b->k);
    b->r.kid = cur;
    sl_rows *rows = NULL;
    sl_status st = sl__tx_query(tx, b->select_sql,
                                SL_ARGS(SL_INT(b->after), SL_INT(b->limit)),
                                &rows);
    if (st != SL_OK)
        return st;
    b->rows = sl__rows_count(rows);
    for (size_t i = 0; i < b->rows && st == SL_OK; i++) {
        int64_t id = sl__rows_int(rows, i, 0);
        b->last = id;
        size_t n = 0;
        const uint8_t *blob = sl__rows_blob(rows, i, 1, &n);
        if (!blob)
            continue;
        b->r.scanned++;
        uint32_t kid = 0;
        if (sl__sealed_kid(blob, n, &kid) == SL_OK && kid == cur) {
            b->r.current++;
            continue;
        }
        char ad[SL_ENC_AD_MAX];
        size_t adn = sl__enc_ad_key(ad, sizeof(ad), b->c, sl__rows_text(rows, i, 2));
        uint8_t *re = NULL;
        size_t ren = 0;
        sl_status rs = sl__reseal(b->k, ad, adn, blob, n, &re, &ren);
        if (rs == SL_OK) {
            st = sl__tx_exec(tx, b->update_sql,
                             SL_ARGS(SL_BLOB(re, ren), SL_INT(id)), NULL);
            sl__free(re);
            if (st == SL_OK)
                b->r.resealed++;
        } else if (SL_STATUS_PRIMARY(rs) == SL_ERR_NOMEM ||
                   SL_STATUS_PRIMARY(rs) == SL_ERR_INTERNAL) {
            st = rs;                        /* ours, not the row's: stop */
        } else {
            b->r.failed++;
            sl_log_warn("rekey: %s.%s id %" PRId64 " does not open: %s",
                        b->c->table, b->c->blob_col, id, sl_status_name(rs));
        }
    }
    sl__rows_free(rows);
    return st;
}

static void report_add(struct sl_rekey_report *a, const struct sl_rekey_report *b)
{
    a->scanned += b->scanned;
    a->resealed += b->resealed;
    a->current += b->current;
    a->failed += b->failed;
    a->kid = b->kid;
}

sl_status sl__rekey_column(sl_store *s, const sl_keyring *k,
                           const struct sl_enc_column *c,
                           const struct sl_rekey_opts *o,
                           struct sl_rekey_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    rep->kid = sl__keyring_current_kid(k);
    if (!column_ok(c))
        return SL_ERR_INVALID;
    size_t limit = o && o->batch ? o->batch : BATCH_DEFAULT;
    if (limit > BATCH_MAX)
        limit = BATCH_MAX;
    /* identifiers are checked above and come from the registry, not input */
    char sel[500], upd[300];
    snprintf(sel, sizeof(sel),
             "SELECT %s, %s, CAST(%s AS TEXT) AS ad_key FROM %s WHERE %s > ? AND %s IS NOT NULL "
             "ORDER BY %s LIMIT ?",
             c->id_col, c->blob_col, c->ad_col ? c->ad_col : c->id_col, c->table,
             c->id_col, c->blob_col, c->id_col);
    snprintf(upd, sizeof(upd), "UPDATE %s SET %s = ? WHERE %s = ?", c->table,
             c->blob_col, c->id_col);
    struct batch b = { .k = k, .c = c, .select_sql = sel, .update_sql = upd,
                       .after = INT64_MIN, .limit = limit };
    for (;;) {
        sl_status st = sl__store_run(s, batch_run, &b);
        if (st != SL_OK)
            return st;
        report_add(rep, &b.r);
        if (o && o->progress)
            o->progress(c, rep, o->ctx);
        if (b.rows < limit)
            return SL_OK;
        b.after = b.last;
    }
}

sl_status sl__rekey_all(sl_store *s, const sl_keyring *k,
                        const struct sl_enc_column *cols, size_t n,
                        const struct sl_rekey_opts *o,
                        struct sl_rekey_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    rep->kid = sl__keyring_current_kid(k);
    for (size_t i = 0; i < n; i++) {
        struct sl_rekey_report one;
        sl_status st = sl__rekey_column(s, k, &cols[i], o, &one);
        report_add(rep, &one);
        if (st != SL_OK)
            return st;
    }
    return SL_OK;
}

sl_status sl__rekey_rotate(sl_store *s, sl_keyring *k,
                           const struct sl_rekey_opts *o, uint32_t *new_kid,
                           struct sl_rekey_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    uint32_t kid = 0;
    sl_status st = sl__keyring_rotate(k, &kid);
    if (st != SL_OK)
        return st;
    if (new_kid)
        *new_kid = kid;
    int settle = o && o->settle_ms ? o->settle_ms : 2 * SL_CRYPTO_REFRESH_MS;
    if (settle > 0) {
        struct timespec ts = { settle / 1000, (long)(settle % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) != 0)
            ;                                   /* EINTR: sleep the rest */
    }
    size_t n = 0;
    const struct sl_enc_column *cols = sl__enc_columns(&n);
    return sl__rekey_all(s, k, cols, n, o, rep);
}
