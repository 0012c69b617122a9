/*
 * store.c -- what both backends share (store.h): URL parsing, the
 * connection pool, transactions, the retry loop, migrations and backup.
 *
 * The pool keeps at most max_conns connections; a transaction checks one
 * out for its whole life and puts it back when it ends, so a connection is
 * used by one thread at a time (SQLite: "multi-thread" mode, no mutex per
 * call; libpq: a PGconn is not thread-safe). Broken connections are dropped
 * on return and reopened on demand.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

void sl__store_err(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, SL_STORE_ERRMSG, fmt, ap);
    va_end(ap);
}

/* ============================ Open / close =============================== */

sl_status sl__store_open(const char *url, const struct sl_store_opts *o,
                         sl_store **out)
{
    if (!url || !out)
        return SL_ERR_STORE_URL;
    const struct sl_store_ops *ops = NULL;
    const char *target = NULL;
    enum sl_store_kind kind = 0;
    if (strncmp(url, "sqlite:", 7) == 0) {
        ops = &sl__store_sqlite_ops;
        kind = SL_STORE_SQLITE;
        target = url + 7;
        if (strncmp(target, "//", 2) == 0)      /* sqlite:///abs/path */
            target += 2;
    } else if (strncmp(url, "postgresql://", 13) == 0 ||
               strncmp(url, "postgres://", 11) == 0) {
        ops = &sl__store_pg_ops;
        kind = SL_STORE_PG;
        target = url;
    } else if (strncmp(url, "postgresql:", 11) == 0) {  /* postgresql:conninfo */
        ops = &sl__store_pg_ops;
        kind = SL_STORE_PG;
        target = url + 11;
    }
    if (!ops || !*target) {
        sl_log_err("store: unknown store URL (want sqlite:PATH or postgresql://...)");
        return SL_ERR_STORE_URL;
    }

    sl_store *s = sl__calloc(1, sizeof(*s));
    if (!s)
        return SL_ERR_NOMEM;
    s->ops = ops;
    s->kind = kind;
    s->max_conns = o && o->max_conns > 0 ? o->max_conns : 8;
    s->busy_timeout_ms = o && o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 5000;
    s->max_retries = o && o->max_retries > 0 ? o->max_retries : 20;
    s->target = sl__strdup(target);
    s->idle = sl__calloc((size_t)s->max_conns, sizeof(*s->idle));
    if (!s->target || !s->idle) {
        sl__free(s->target);
        sl__free(s->idle);
        sl__free(s);
        return SL_ERR_NOMEM;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);

    /* open one connection now so a bad URL or path fails here */
    void *c;
    char err[SL_STORE_ERRMSG] = "";
    sl_status st = sl__store_conn_get(s, &c, err);
    if (st != SL_OK) {
        sl_log_err("store: cannot open %s database: %s", ops->name, err);
        sl__store_close(s);
        return st;
    }
    sl__store_conn_put(s, c);
    *out = s;
    return SL_OK;
}

void sl__store_close(sl_store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n_idle; i++)
        s->ops->disconnect(s->idle[i]);
    s->n_open -= s->n_idle;
    s->n_idle = 0;
    if (s->n_open != 0)
        sl_log_warn("store: closed with %d connection(s) still in use", s->n_open);
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    sl__free(s->idle);
    sl__free(s->target);
    sl__free(s);
}

enum sl_store_kind sl__store_kind(const sl_store *s) { return s->kind; }
const char *sl__store_kind_name(const sl_store *s) { return s->ops->name; }

void sl__store_stats(const sl_store *s, struct sl_store_stats *out)
{
    sl_store *m = (sl_store *)s;
    out->commits = atomic_load(&m->commits);
    out->rollbacks = atomic_load(&m->rollbacks);
    out->retries = atomic_load(&m->retries);
    pthread_mutex_lock(&m->mu);
    out->conns = (uint64_t)m->n_open;
    pthread_mutex_unlock(&m->mu);
}

/* ============================ Pool ======================================= */

sl_status sl__store_conn_get(sl_store *s, void **conn, char *err)
{
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->n_idle > 0) {
            void *c = s->idle[--s->n_idle];
            if (s->ops->usable(c)) {
                pthread_mutex_unlock(&s->mu);
                *conn = c;
                return SL_OK;
            }
            s->ops->disconnect(c);
            s->n_open--;
        }
        if (s->n_open < s->max_conns)
            break;
        /* all connections busy: wait, but not forever (a thread that holds
         * max_conns transactions and asks for one more would deadlock) */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += s->busy_timeout_ms / 1000;
        until.tv_nsec += (long)(s->busy_timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0 && s->n_idle == 0 &&
            s->n_open >= s->max_conns) {
            pthread_mutex_unlock(&s->mu);
            sl__store_err(err, "all %d connections are in use", s->max_conns);
            return SL_ERR_STORE_BUSY;
        }
    }
    s->n_open++;                       /* reserve the slot, connect unlocked */
    pthread_mutex_unlock(&s->mu);
    sl_status st = s->ops->connect(s, conn, err);
    if (st != SL_OK) {
        pthread_mutex_lock(&s->mu);
        s->n_open--;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    return st;
}

void sl__store_conn_put(sl_store *s, void *conn)
{
    pthread_mutex_lock(&s->mu);
    if (s->ops->usable(conn) && s->n_idle < s->max_conns) {
        s->idle[s->n_idle++] = conn;
    } else {
        s->ops->disconnect(conn);
        s->n_open--;
    }
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ============================ Transactions =============================== */

static sl_status tx_begin_on(sl_store *s, void *conn, bool keep, unsigned flags,
                             sl_tx **out)
{
    sl_tx *tx = sl__calloc(1, sizeof(*tx));
    if (!tx)
        return SL_ERR_NOMEM;
    tx->s = s;
    tx->conn = conn;
    tx->keep_conn = keep;
    tx->read_only = flags & SL_TXF_READ;
    sl_status st = s->ops->begin(conn, flags, tx->err);
    if (st != SL_OK) {
        if (st != SL_ERR_STORE_BUSY)
            sl_log_warn("store: begin failed: %s", tx->err);
        sl__free(tx);
        return st;
    }
    *out = tx;
    return SL_OK;
}

static void tx_end(sl_tx *tx)
{
    if (!tx->keep_conn)
        sl__store_conn_put(tx->s, tx->conn);
    sl__free(tx);
}

static sl_status tx_begin(sl_store *s, unsigned flags, sl_tx **out)
{
    void *conn;
    char err[SL_STORE_ERRMSG] = "";
    sl_status st = SL_OK;
    /* A pooled connection may have died while idle (server restart,
     * terminated backend); that shows only when it is used: then it is
     * dropped and begin is tried once more on a new connection. */
    for (int attempt = 0; attempt < 2; attempt++) {
        st = sl__store_conn_get(s, &conn, err);
        if (st != SL_OK) {
            if (st != SL_ERR_STORE_BUSY)
                sl_log_err("store: cannot connect: %s", err);
            return st;
        }
        st = tx_begin_on(s, conn, false, flags, out);
        if (st == SL_OK)
            return SL_OK;
        bool dead = !s->ops->usable(conn);
        sl__store_conn_put(s, conn);         /* drops it when dead */
        if (!dead)
            break;
    }
    return st;
}

sl_status sl__tx_begin(sl_store *s, sl_tx **out) { return tx_begin(s, 0, out); }
sl_status sl__tx_begin_read(sl_store *s, sl_tx **out) { return tx_begin(s, SL_TXF_READ, out); }

sl_status sl__tx_commit(sl_tx *tx)
{
    sl_store *s = tx->s;
    sl_status st = tx->failed;
    if (st != SL_OK) {
        s->ops->rollback(tx->conn);
    } else {
        st = s->ops->commit(tx->conn, tx->err);
        if (st != SL_OK) {
            if (st != SL_ERR_STORE_BUSY)
                sl_log_warn("store: commit failed: %s", tx->err);
            s->ops->rollback(tx->conn);
        }
    }
    atomic_fetch_add(st == SL_OK ? &s->commits : &s->rollbacks, 1);
    tx_end(tx);
    return st;
}

void sl__tx_rollback(sl_tx *tx)
{
    if (!tx)
        return;
    tx->s->ops->rollback(tx->conn);
    atomic_fetch_add(&tx->s->rollbacks, 1);
    tx_end(tx);
}

sl_store *sl__tx_store(const sl_tx *tx) { return tx->s; }
const char *sl__tx_errmsg(const sl_tx *tx) { return tx->err; }

static sl_status check_args(sl_tx *tx, const sl_val *args, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const sl_val *v = &args[i];
        if (v->t == SL_V_TEXT && v->n && memchr(v->p, 0, v->n)) {
            sl__store_err(tx->err, "parameter %zu: text holds a NUL byte", i + 1);
            return SL_ERR_STORE_PARAM;
        }
        if ((v->t == SL_V_TEXT || v->t == SL_V_BLOB) && v->n && !v->p) {
            sl__store_err(tx->err, "parameter %zu: NULL pointer with length", i + 1);
            return SL_ERR_STORE_PARAM;
        }
        if (v->t > SL_V_BLOB) {
            sl__store_err(tx->err, "parameter %zu: unknown type", i + 1);
            return SL_ERR_STORE_PARAM;
        }
    }
    return SL_OK;
}

static sl_status run_stmt(sl_tx *tx, const char *sql, const sl_val *args, size_t n,
                          int64_t *changes, sl_rows **rows)
{
    SL_ASSERT(tx && sql && (n == 0 || args));
    if (changes)
        *changes = 0;
    if (tx->failed != SL_OK)
        return SL_ERR_STATE;
    sl_status st = check_args(tx, args, n);
    if (st == SL_OK)
        st = tx->s->ops->stmt(tx->conn, sql, args, n, changes, rows, tx->err);
    if (st != SL_OK) {
        tx->failed = st;                 /* the transaction is poisoned */
        if (st != SL_ERR_STORE_BUSY)
            sl_log_warn("store: %s [%.120s]", tx->err, sql);
    }
    return st;
}

sl_status sl__tx_exec(sl_tx *tx, const char *sql, const sl_val *args, size_t n,
                      int64_t *changes)
{
    return run_stmt(tx, sql, args, n, changes, NULL);
}

sl_status sl__tx_query(sl_tx *tx, const char *sql, const sl_val *args, size_t n,
                       sl_rows **out)
{
    *out = NULL;
    return run_stmt(tx, sql, args, n, NULL, out);
}

sl_status sl__tx_query_int(sl_tx *tx, const char *sql, const sl_val *args,
                           size_t n, int64_t *out)
{
    sl_rows *r;
    *out = 0;
    sl_status st = sl__tx_query(tx, sql, args, n, &r);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(r) == 0 || sl__rows_cols(r) == 0)
        st = SL_ERR_NOT_FOUND;
    else if (!sl__rows_null(r, 0, 0))
        *out = sl__rows_int(r, 0, 0);
    sl__rows_free(r);
    return st;
}

/* ============================ Retry loop ================================= */

static void backoff(int attempt)
{
    /* 1..2^attempt ms, capped at 64 ms; jitter from the monotonic clock */
    unsigned cap = 1u << (attempt < 6 ? attempt : 6);
    unsigned ms = 1 + (unsigned)(sl_time_mono_ns() >> 10) % cap;
    struct timespec ts = { 0, (long)ms * 1000000L };
    nanosleep(&ts, NULL);
}

static sl_status run(sl_store *s, unsigned flags, sl_status (*fn)(sl_tx *tx, void *ctx),
                     void *ctx)
{
    sl_status st = SL_ERR_STORE_BUSY;
    for (int attempt = 0; attempt <= s->max_retries; attempt++) {
        if (attempt > 0) {
            atomic_fetch_add(&s->retries, 1);
            backoff(attempt);
        }
        sl_tx *tx;
        st = tx_begin(s, flags, &tx);
        if (st == SL_ERR_STORE_BUSY)
            continue;
        if (st != SL_OK)
            return st;
        st = fn(tx, ctx);
        if (st == SL_OK && tx->failed != SL_OK)
            st = tx->failed;             /* fn ignored a statement error */
        if (st != SL_OK) {
            sl__tx_rollback(tx);
            if (st == SL_ERR_STORE_BUSY)
                continue;
            return st;
        }
        st = sl__tx_commit(tx);
        if (st != SL_ERR_STORE_BUSY)
            return st;
    }
    sl_log_warn("store: transaction still busy after %d attempts", s->max_retries + 1);
    return st;
}

sl_status sl__store_run(sl_store *s, sl_status (*fn)(sl_tx *tx, void *ctx), void *ctx)
{
    return run(s, 0, fn, ctx);
}

sl_status sl__store_run_read(sl_store *s, sl_status (*fn)(sl_tx *tx, void *ctx), void *ctx)
{
    return run(s, SL_TXF_READ, fn, ctx);
}

sl_status sl__store_run_lazy(sl_store *s, sl_status (*fn)(sl_tx *tx, void *ctx), void *ctx)
{
    return run(s, SL_TXF_LAZY, fn, ctx);
}

/* ============================ Migrations ================================= */

char *sl__store_subst(const struct sl_store_ops *ops, const char *sql)
{
    static const char *names[SL_TOK_COUNT] = { "{id}", "{int}", "{real}", "{blob}", "{text}" };
    struct sl_buf b;
    sl_buf_init(&b, (size_t)1 << 24);
    for (const char *p = sql; *p;) {
        int tok = -1;
        if (*p == '{')
            for (int k = 0; k < SL_TOK_COUNT; k++)
                if (strncmp(p, names[k], strlen(names[k])) == 0)
                    tok = k;
        sl_status st = tok >= 0 ? sl_buf_append(&b, ops->tokens[tok], strlen(ops->tokens[tok]))
                                : sl_buf_append(&b, p, 1);
        if (st != SL_OK)
            return NULL;
        p += tok >= 0 ? strlen(names[tok]) : 1;
    }
    if (sl_buf_terminate(&b) != SL_OK)
        return NULL;
    if (!b.data)
        return sl__strdup("");
    return (char *)sl_buf_detach(&b, NULL);
}

static const char schema_table[] =
    "CREATE TABLE IF NOT EXISTS store_schema ("
    " version {int} PRIMARY KEY,"
    " name {text} NOT NULL,"
    " applied_ms {int} NOT NULL)";

static sl_status tx_script(sl_tx *tx, const char *sql)
{
    char *q = sl__store_subst(tx->s->ops, sql);
    if (!q)
        return SL_ERR_NOMEM;
    sl_status st = tx->s->ops->script(tx->conn, q, tx->err);
    sl__free(q);
    if (st != SL_OK)
        tx->failed = st;
    return st;
}

/* Reads the applied versions; checks them against the binary's list. */
static sl_status check_applied(sl_tx *tx, const struct sl_migration *m, size_t nm,
                               bool *applied)
{
    sl_rows *r;
    sl_status st = sl__tx_query(tx, "SELECT version, name FROM store_schema ORDER BY version",
                                NULL, 0, &r);
    if (st != SL_OK)
        return st;
    int bin_max = nm ? m[nm - 1].version : 0;
    for (size_t i = 0; i < sl__rows_count(r) && st == SL_OK; i++) {
        int64_t v = sl__rows_int(r, i, 0);
        const char *name = sl__rows_text(r, i, 1);
        size_t k = 0;
        while (k < nm && m[k].version != v)
            k++;
        if (k == nm) {
            sl_log_err("store: database schema version %lld is newer than this "
                       "program (max %d): upgrade shualian, or use a backup made "
                       "for this version", (long long)v, bin_max);
            st = SL_ERR_STORE_SCHEMA_NEWER;
        } else if (!name || strcmp(name, m[k].name) != 0) {
            sl_log_err("store: schema version %lld is '%s' in the database but "
                       "'%s' in this program", (long long)v, name ? name : "",
                       m[k].name);
            st = SL_ERR_STORE_SCHEMA;
        } else {
            applied[k] = true;
        }
    }
    sl__rows_free(r);
    return st;
}

static sl_status migrate_on(sl_store *s, void *conn)
{
    size_t nm;
    const struct sl_migration *m = sl__schema_list(&nm);
    for (size_t i = 1; i < nm; i++)
        SL_ASSERT(m[i].version > m[i - 1].version);
    bool *applied = sl__calloc(nm ? nm : 1, sizeof(bool));
    if (!applied)
        return SL_ERR_NOMEM;

    sl_tx *tx = NULL;
    sl_status st = tx_begin_on(s, conn, true, 0, &tx);
    if (st == SL_OK)
        st = tx_script(tx, schema_table);
    if (st == SL_OK)
        st = check_applied(tx, m, nm, applied);
    if (tx) {
        sl_status cst = sl__tx_commit(tx);
        if (st == SL_OK)
            st = cst;
    }
    for (size_t k = 0; k < nm && st == SL_OK; k++) {
        if (applied[k])
            continue;
        st = tx_begin_on(s, conn, true, 0, &tx);
        if (st != SL_OK)
            break;
        st = tx_script(tx, m[k].sql);
        if (st != SL_OK)
            sl_log_err("store: migration %d (%s) failed: %s", m[k].version,
                       m[k].name, tx->err);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "INSERT INTO store_schema (version, name, applied_ms) "
                             "VALUES (?, ?, ?)",
                             SL_ARGS(SL_INT(m[k].version), SL_TEXT(m[k].name),
                                     SL_INT(sl_time_wall_ms())), NULL);
        sl_status cst = sl__tx_commit(tx);
        if (st == SL_OK)
            st = cst;
        if (st == SL_OK)
            sl_log_info("store: applied migration %d (%s)", m[k].version, m[k].name);
    }
    sl__free(applied);
    return st;
}

sl_status sl__store_migrate(sl_store *s)
{
    void *conn;
    char err[SL_STORE_ERRMSG] = "";
    sl_status st = sl__store_conn_get(s, &conn, err);
    if (st != SL_OK) {
        sl_log_err("store: cannot connect: %s", err);
        return st;
    }
    if (s->ops->migrate_lock) {
        st = s->ops->migrate_lock(conn, true, err);
        if (st != SL_OK) {
            sl_log_err("store: cannot take the migration lock: %s", err);
            sl__store_conn_put(s, conn);
            return st;
        }
    }
    /* SQLite: BEGIN IMMEDIATE may time out while another process migrates */
    for (int attempt = 0; attempt <= s->max_retries; attempt++) {
        st = migrate_on(s, conn);
        if (st != SL_ERR_STORE_BUSY)
            break;
        backoff(attempt + 1);
    }
    if (s->ops->migrate_lock)
        (void)s->ops->migrate_lock(conn, false, err);
    sl__store_conn_put(s, conn);
    return st;
}

sl_status sl__store_schema_version(sl_store *s, int *db_version, int *binary_version)
{
    size_t nm;
    const struct sl_migration *m = sl__schema_list(&nm);
    if (binary_version)
        *binary_version = nm ? m[nm - 1].version : 0;
    if (!db_version)
        return SL_OK;
    *db_version = 0;
    sl_tx *tx;
    sl_status st = sl__tx_begin(s, &tx);
    if (st != SL_OK)
        return st;
    st = tx_script(tx, schema_table);
    int64_t v = 0;
    if (st == SL_OK)
        st = sl__tx_query_int(tx, "SELECT COALESCE(MAX(version), 0) FROM store_schema",
                              NULL, 0, &v);
    sl_status cst = sl__tx_commit(tx);
    if (st == SL_OK)
        st = cst;
    *db_version = (int)v;
    return st;
}

/* ============================ Backup ===================================== */

sl_status sl__store_backup(sl_store *s, const char *dest)
{
    if (!s->ops->backup) {
        sl_log_err("store: no online backup for %s: use pg_dump --format=custom "
                   "--file=DEST URL (see docs/store.md)", s->ops->name);
        return SL_ERR_STORE_BACKUP;
    }
    void *conn;
    char err[SL_STORE_ERRMSG] = "";
    sl_status st = sl__store_conn_get(s, &conn, err);
    if (st == SL_OK) {
        st = s->ops->backup(conn, dest, err);
        sl__store_conn_put(s, conn);
    }
    if (st != SL_OK)
        sl_log_err("store: backup to %s failed: %s", dest, err);
    return st;
}
