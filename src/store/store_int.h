/*
 * store_int.h -- private to src/store/: the backend vtable (sqlite.c, pg.c),
 * the connection pool and the in-memory result set that backends fill.
 */
#ifndef SL_STORE_INT_H
#define SL_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "store/store.h"

#define SL_STORE_ERRMSG 256

/* Schema tokens, in this order: {id} {int} {real} {blob} {text}. */
enum { SL_TOK_ID, SL_TOK_INT, SL_TOK_REAL, SL_TOK_BLOB, SL_TOK_TEXT, SL_TOK_COUNT };

/* A backend. 'conn' is the backend's own per-connection struct. Every
 * function that can fail writes a message (no parameter values) into
 * err[SL_STORE_ERRMSG]. */
enum { SL_TXF_READ = 1u << 0, SL_TXF_LAZY = 1u << 1 };
struct sl_store_ops {
    const char *name;                                /* "sqlite" | "postgresql" */
    const char *tokens[SL_TOK_COUNT];
    sl_status (*connect)(sl_store *s, void **conn, char *err);
    void      (*disconnect)(void *conn);
    /* false if the connection is broken and must be dropped. */
    bool      (*usable)(void *conn);
    /* flags: SL_TXF_READ: a snapshot that does not take the writer lock
     * (SQLite BEGIN DEFERRED; PostgreSQL REPEATABLE READ READ ONLY); a
     * write in it is refused with SL_ERR_STORE_PARAM. SL_TXF_LAZY: the
     * commit need not wait for the disk (SQLite synchronous=NORMAL for
     * this commit, WAL: consistent, the frames reach the disk with the
     * next full commit or checkpoint; PostgreSQL synchronous_commit off
     * for this transaction): only for rows whose loss at a power cut is
     * harmless (rate-limit buckets). */
    sl_status (*begin)(void *conn, unsigned flags, char *err);
    sl_status (*commit)(void *conn, char *err);
    void      (*rollback)(void *conn);
    /* One statement; rows != NULL: collect the result rows. */
    sl_status (*stmt)(void *conn, const char *sql, const sl_val *a, size_t n,
                      int64_t *changes, sl_rows **rows, char *err);
    /* Several ';'-separated statements, no parameters (migrations). */
    sl_status (*script)(void *conn, const char *sql, char *err);
    /* optional: a session-wide lock held around migrations (NULL: the
     * transaction's own lock suffices, as SQLite's BEGIN IMMEDIATE). */
    sl_status (*migrate_lock)(void *conn, bool lock, char *err);
    /* optional: online backup */
    sl_status (*backup)(void *conn, const char *dest, char *err);
};
extern const struct sl_store_ops sl__store_sqlite_ops;
extern const struct sl_store_ops sl__store_pg_ops;

struct sl_store {
    const struct sl_store_ops *ops;
    enum sl_store_kind kind;
    char           *target;        /* SQLite path | libpq conninfo/URI      */
    int             max_conns;
    int             busy_timeout_ms;
    int             max_retries;
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    void          **idle;          /* max_conns slots                       */
    int             n_idle;
    int             n_open;        /* idle + in use                         */
    atomic_uint_fast64_t commits, rollbacks, retries;
};

struct sl_tx {
    sl_store   *s;
    void       *conn;
    bool        keep_conn;         /* migrate: the caller releases the conn */
    bool        read_only;
    sl_status   failed;            /* first statement error, or SL_OK       */
    char        err[SL_STORE_ERRMSG];
};

/* Pool (store.c). */
sl_status sl__store_conn_get(sl_store *s, void **conn, char *err);
void      sl__store_conn_put(sl_store *s, void *conn);

/* Result sets (rows.c): backends build them with these. */
struct sl_cell {
    sl_vtype t;
    int64_t  i;
    double   r;
    char    *p;                    /* TEXT/BLOB bytes, NUL-terminated       */
    size_t   n;
};
struct sl_rows {
    size_t          cols;
    size_t          count;
    size_t          cap;           /* rows allocated                        */
    char          **names;
    struct sl_cell *cells;         /* count * cols                          */
};
sl_rows *sl__rows_new(size_t cols);
sl_status sl__rows_set_name(sl_rows *r, size_t col, const char *name);
/* Appends a row of NULL cells. */
sl_status sl__rows_push(sl_rows *r);
struct sl_cell *sl__rows_cell(sl_rows *r, size_t row, size_t col);
/* Copies n bytes (t = TEXT or BLOB). */
sl_status sl__cell_set_bytes(struct sl_cell *c, sl_vtype t, const void *p, size_t n);

/* "...{blob}..." with the backend's tokens; caller frees. */
char *sl__store_subst(const struct sl_store_ops *ops, const char *sql);
/* Writes a formatted message into err. */
void sl__store_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
