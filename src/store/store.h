/*
 * store.h -- the server's one storage interface: SQLite (embedded default)
 * or PostgreSQL 15 (several nodes sharing one database), chosen by URL.
 *
 *   sqlite:PATH                      one file, WAL, one connection per
 *                                    concurrent transaction (pooled)
 *   postgresql://user@host:port/db   libpq; a pool of connections; also
 *   postgres://... or "host=... dbname=..." after "postgresql:" (libpq
 *   conninfo); ?host=/socket/dir is allowed (libpq URI rules)
 *
 * Workload: many short transactions (a login, an audit append, a token
 * bucket take) from the server's worker threads; writers are serialised by
 * the database, never by a lock of ours, so several processes/nodes may
 * share one database. Nothing here assumes one process owns the database:
 * counters, single-use keys, rate-limit buckets and leases are rows.
 *
 * SQL: callers write one portable subset that SQLite 3.40 and PostgreSQL 15
 * both accept; parameters are '?' (the PostgreSQL backend rewrites them to
 * $1..$n outside string literals). Every value is a parameter: never format
 * data into SQL. Portable forms we rely on: INSERT ... ON CONFLICT (cols) DO
 * NOTHING / DO UPDATE SET x = excluded.x, INSERT/UPDATE ... RETURNING,
 * CAST(? AS TEXT), COALESCE, LIMIT ?. Not portable (avoid): "? IS NULL"
 * without a CAST (PostgreSQL cannot type it), comparing a TEXT parameter
 * with an integer column (SQLite coerces, PostgreSQL refuses), FOR UPDATE
 * (SQLite has none; not needed: see the isolation rules below), booleans
 * (use {int} 0/1).
 *
 * Types: SL_V_INT is a 64-bit integer (SQLite INTEGER, PostgreSQL BIGINT),
 * SL_V_REAL a double, SL_V_TEXT UTF-8 without NUL bytes (a NUL gives
 * SL_ERR_STORE_PARAM on both backends), SL_V_BLOB bytes (BLOB / BYTEA).
 *
 * Isolation and concurrency:
 *   SQLite      every transaction is BEGIN IMMEDIATE: it takes the database's
 *               writer lock at the start (waiting up to busy_timeout_ms), so
 *               transactions are serial across threads and processes.
 *               Read-only transactions (sl__tx_begin_read) are BEGIN
 *               DEFERRED snapshots that run beside the writer (WAL).
 *   PostgreSQL  every transaction is SERIALIZABLE: two nodes doing a
 *               read-modify-write on the same row cannot both succeed; the
 *               loser gets a serialization failure (40001) or deadlock
 *               (40P01), reported as SL_ERR_STORE_BUSY. Read-only ones are
 *               REPEATABLE READ READ ONLY snapshots.
 *   sl__store_run() retries a transaction that failed with
 *   SL_ERR_STORE_BUSY (up to opts.max_retries, with a short random backoff),
 *   so callers that go through it never see serialization failures.
 *
 * Errors poison a transaction: after any failed sl__tx_exec/sl__tx_query
 * (PostgreSQL aborts the transaction on error; SQLite is made to behave the
 * same), further statements return SL_ERR_STATE and sl__tx_commit() rolls
 * back and returns the first error. Use ON CONFLICT instead of catching a
 * unique-constraint error when a conflict is an expected outcome.
 *
 * Durability: an acknowledged commit is on disk. SQLite runs WAL with
 * synchronous=FULL (the WAL is fsynced at every commit, so a commit also
 * survives power loss, not only a process crash; NORMAL would survive only
 * the crash -- we pay one fsync per commit). PostgreSQL: COMMIT returns
 * after the WAL flush (synchronous_commit = on, the server default).
 *
 * Schema: one ordered list of numbered migrations (schema.c) for both
 * dialects; see struct sl_migration. sl__store_migrate() applies the
 * missing ones; a database holding a version this binary does not know is
 * refused (SL_ERR_STORE_SCHEMA_NEWER) with a message naming both versions.
 *
 * Thread safety: sl_store is shared by all threads; an sl_tx and the
 * sl_rows it returns belong to one thread at a time.
 */
#ifndef SL_STORE_H
#define SL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/base.h"

/* Status codes: SL_ERR_STORE_* in include/shualian/status.h (details
 * 96..111). SL_ERR_STORE_BUSY means "run the transaction again". */

/* ============================ Handles and values ======================== */
typedef struct sl_store sl_store;   /* a pool of connections; thread-safe     */
typedef struct sl_tx    sl_tx;      /* one transaction on one connection      */
typedef struct sl_rows  sl_rows;    /* a fully read result set (in memory)    */

typedef enum sl_vtype { SL_V_NULL, SL_V_INT, SL_V_REAL, SL_V_TEXT, SL_V_BLOB } sl_vtype;

/* A parameter. For TEXT, p points at n bytes (no NUL needed at p[n]);
 * for BLOB, p/n are the bytes. The store copies what it needs. */
typedef struct sl_val {
    sl_vtype    t;
    int64_t     i;
    double      r;
    const void *p;
    size_t      n;
} sl_val;

static inline sl_val sl__v_int(int64_t x)  { sl_val v = { .t = SL_V_INT, .i = x }; return v; }
static inline sl_val sl__v_real(double x)  { sl_val v = { .t = SL_V_REAL, .r = x }; return v; }
/* NULL s gives an SQL NULL. */
static inline sl_val sl__v_text(const char *s)
{
    sl_val v = { .t = s ? SL_V_TEXT : SL_V_NULL, .p = s, .n = s ? strlen(s) : 0 };
    return v;
}
static inline sl_val sl__v_textn(const char *s, size_t n) { sl_val v = { .t = SL_V_TEXT, .p = s, .n = n }; return v; }
static inline sl_val sl__v_blob(const void *p, size_t n)  { sl_val v = { .t = SL_V_BLOB, .p = p, .n = n }; return v; }
#define SL_INT(x)     sl__v_int((int64_t)(x))
#define SL_REAL(x)    sl__v_real((double)(x))
#define SL_TEXT(s)    sl__v_text(s)
#define SL_TEXTN(s, n) sl__v_textn((s), (n))
#define SL_BLOB(p, n) sl__v_blob((p), (n))
#define SL_NULL       ((sl_val){ .t = SL_V_NULL })
/* Argument list helper: SL_ARGS(SL_INT(1), SL_TEXT("a")) expands to
 * (const sl_val[]){...}, count. */
#define SL_ARGS(...) (const sl_val[]){ __VA_ARGS__ }, \
    (sizeof((const sl_val[]){ __VA_ARGS__ }) / sizeof(sl_val))

/* ============================ Opening ==================================== */
enum sl_store_kind { SL_STORE_SQLITE = 1, SL_STORE_PG = 2 };

struct sl_store_opts {
    int max_conns;        /* connections open at most; 0 = 8. A caller
                             beyond this waits for a free one, at most
                             busy_timeout_ms (then SL_ERR_STORE_BUSY)    */
    int busy_timeout_ms;  /* SQLite: wait for the writer lock; 0 = 5000.
                             PostgreSQL: lock_timeout; 0 = 5000. Also the
                             wait for a free pooled connection           */
    int max_retries;      /* sl__store_run retries on SL_ERR_STORE_BUSY;
                             0 = 20                                      */
};

/* Opens the store (does not migrate). o may be NULL (defaults). Creates
 * the SQLite file if absent (its directory must exist). *out is written
 * only on SL_OK. Errors: SL_ERR_STORE_URL, SL_ERR_STORE_CONNECT. */
sl_status sl__store_open(const char *url, const struct sl_store_opts *o,
                         sl_store **out);
/* Closes every connection. All transactions must be finished. NULL ok. */
void      sl__store_close(sl_store *s);
enum sl_store_kind sl__store_kind(const sl_store *s);
/* "sqlite" or "postgresql" */
const char *sl__store_kind_name(const sl_store *s);

/* PostgreSQL LISTEN/NOTIFY (listen.c), for caches kept current across
 * nodes. sl__tx_notify sends payload on channel when tx commits (nothing
 * on SQLite). A listener calls fn(ctx, payload) on its own thread for each
 * notification, and state(ctx, up) when its connection comes up or is lost
 * (it reconnects every second; notifications sent while it was down are
 * lost: catch up with a query on up). SQLite: SL_ERR_UNSUPPORTED. */
typedef void (*sl_store_notify_fn)(void *ctx, const char *payload);
typedef void (*sl_store_state_fn)(void *ctx, bool up);
struct sl_store_listener;
sl_status sl__tx_notify(sl_tx *tx, const char *channel, const char *payload);
sl_status sl__store_listen_start(sl_store *s, const char *channel, sl_store_notify_fn fn,
                                 sl_store_state_fn state, void *ctx,
                                 struct sl_store_listener **out);
void      sl__store_listen_stop(struct sl_store_listener *l);

/* Applies missing migrations (schema.c) in version order, each in its own
 * transaction, under a database-wide lock (two nodes starting at once
 * apply each migration once). Refuses a database that holds a version
 * this binary does not know (SL_ERR_STORE_SCHEMA_NEWER; logged as
 * "database schema version N is newer than this program (max M)") or
 * whose name for a known version differs (SL_ERR_STORE_SCHEMA). */
sl_status sl__store_migrate(sl_store *s);
/* Highest applied version in the database (0 if none), and the highest
 * this binary knows. Either pointer may be NULL. */
sl_status sl__store_schema_version(sl_store *s, int *db_version, int *binary_version);

/* Copies the database to dest while it is in use.
 * SQLite: the online backup API into the file dest (replaced; the copy is
 * a consistent snapshot and a normal SQLite database).
 * PostgreSQL: SL_ERR_STORE_BACKUP with a log line pointing at pg_dump:
 *   pg_dump --format=custom --file=DEST 'postgresql://...'
 *   (restore: pg_restore --clean --dbname=URL DEST); see docs/store.md. */
sl_status sl__store_backup(sl_store *s, const char *dest);

/* Counters for tests and /metrics. */
struct sl_store_stats {
    uint64_t commits;     /* transactions committed                         */
    uint64_t rollbacks;   /* transactions rolled back (incl. failed commits) */
    uint64_t retries;     /* sl__store_run re-runs after SL_ERR_STORE_BUSY  */
    uint64_t conns;       /* connections currently open                     */
};
void sl__store_stats(const sl_store *s, struct sl_store_stats *out);

/* ============================ Transactions ============================== */
/* Takes a pooled connection (waiting if max_conns are busy) and begins
 * (SQLite BEGIN IMMEDIATE; PostgreSQL BEGIN ISOLATION LEVEL SERIALIZABLE).
 * SL_ERR_STORE_BUSY if the SQLite writer lock or a free connection was not
 * obtained in time. A pooled connection found dead (server restart) is
 * replaced once, transparently. */
sl_status sl__tx_begin(sl_store *s, sl_tx **out);
/* A read-only transaction: a consistent snapshot that does not take the
 * writer lock, so on SQLite readers run while a writer works (WAL) and on
 * PostgreSQL it never fails with a serialization error (BEGIN ISOLATION
 * LEVEL REPEATABLE READ READ ONLY). A statement that would write gives
 * SL_ERR_STORE_PARAM. Use it for GET routes, queries, verification. */
sl_status sl__tx_begin_read(sl_store *s, sl_tx **out);
/* Commits and frees tx. On failure the transaction is rolled back and tx
 * freed all the same; SL_ERR_STORE_BUSY means "run it again". */
sl_status sl__tx_commit(sl_tx *tx);
/* Rolls back and frees tx. NULL ok. */
void      sl__tx_rollback(sl_tx *tx);
sl_store *sl__tx_store(const sl_tx *tx);
/* The first error's message (database text), "" if none. Valid until the
 * tx is finished. Never contains parameter values. */
const char *sl__tx_errmsg(const sl_tx *tx);

/* One statement with n '?' parameters; *changes (may be NULL) gets the
 * rows inserted/updated/deleted. Statements are prepared once per
 * connection and cached. */
sl_status sl__tx_exec(sl_tx *tx, const char *sql, const sl_val *args, size_t n,
                      int64_t *changes);
/* One statement returning rows (SELECT, or ... RETURNING). *out is freed by
 * sl__rows_free. */
sl_status sl__tx_query(sl_tx *tx, const char *sql, const sl_val *args, size_t n,
                       sl_rows **out);
/* Convenience: first column of the first row as an integer (e.g.
 * "INSERT ... RETURNING id", "SELECT count(*)"). SL_ERR_NOT_FOUND if no
 * row; *out = 0 if the value is NULL. */
sl_status sl__tx_query_int(sl_tx *tx, const char *sql, const sl_val *args,
                           size_t n, int64_t *out);

/* Runs fn(tx, ctx) in a transaction: begin, fn, commit. If fn returns an
 * error the transaction is rolled back and that error returned. If fn,
 * begin or commit returns SL_ERR_STORE_BUSY, everything is run again (fn
 * must therefore reset whatever it writes into ctx). */
sl_status sl__store_run(sl_store *s, sl_status (*fn)(sl_tx *tx, void *ctx), void *ctx);
/* The same in a read-only transaction (sl__tx_begin_read). */
sl_status sl__store_run_read(sl_store *s, sl_status (*fn)(sl_tx *tx, void *ctx), void *ctx);
/* The same, committed without waiting for the disk: atomic and isolated
 * as any transaction, but a power cut may lose it (SQLite: the commit does
 * not fsync the WAL, the next full commit does; PostgreSQL:
 * synchronous_commit off). Only for rows whose loss is harmless -- the
 * rate-limit buckets, taken on every request before its body is read,
 * where an fsync (3 ms on SQLite here) was the largest wait of a request.
 * Never for anything acknowledged to a client. */
sl_status sl__store_run_lazy(sl_store *s, sl_status (*fn)(sl_tx *tx, void *ctx), void *ctx);

/* ============================ Result rows =============================== *
 * Row and column indexes are checked (programmer errors abort). Values are
 * converted on read: an integer column read as text gives its decimal
 * text; text read as an integer is parsed (0 if not a number). */
size_t      sl__rows_count(const sl_rows *r);
size_t      sl__rows_cols(const sl_rows *r);
bool        sl__rows_null(const sl_rows *r, size_t row, size_t col);
int64_t     sl__rows_int(const sl_rows *r, size_t row, size_t col);
double      sl__rows_real(const sl_rows *r, size_t row, size_t col);
/* NUL-terminated; NULL for an SQL NULL. Valid until sl__rows_free. */
const char *sl__rows_text(const sl_rows *r, size_t row, size_t col);
/* Bytes of a BLOB/BYTEA (or text); NULL (and *n = 0) for an SQL NULL. */
const void *sl__rows_blob(const sl_rows *r, size_t row, size_t col, size_t *n);
/* Column name (lower case on PostgreSQL). */
const char *sl__rows_name(const sl_rows *r, size_t col);
void        sl__rows_free(sl_rows *r);

/* ============================ Migrations (schema.c) ===================== *
 * One ordered list for every module (store, audit, acct, id, gov, hall):
 * version numbers are unique and increasing along the list; gaps are
 * fine. Version ranges per module so branches do not collide:
 *   store 1..49, audit 50..99, acct 100..199, id 200..299, gov 300..399,
 *   hall 400..499.
 * SQL may hold several statements (';'-separated) and these tokens, which
 * each backend substitutes:
 *   {id}    INTEGER PRIMARY KEY AUTOINCREMENT | BIGSERIAL PRIMARY KEY
 *   {int}   INTEGER                           | BIGINT
 *   {real}  REAL                              | DOUBLE PRECISION
 *   {blob}  BLOB                              | BYTEA
 *   {text}  TEXT                              | TEXT
 * A migration, once released, is never edited: add a new one. Table names
 * carry the module's name (store_*, audit_*, acct_*, ...). */
struct sl_migration {
    int         version;
    const char *name;      /* short, stable: stored and checked           */
    const char *sql;
};
/* The list and its length (schema.c). */
const struct sl_migration *sl__schema_list(size_t *n);

/* ============================ Store-backed primitives =================== *
 * Each runs inside the caller's transaction, so what it records commits
 * (or not) with the caller's change. Times are epoch milliseconds given by
 * the caller (sl__now_ms()), so tests can set the clock. */

/* Takes a single-use key (nonce, replay-cache entry, one-time token) in
 * scope, valid until expires_ms. SL_OK: the caller is the first to take it
 * (or the previous holder's entry had expired at now_ms). SL_ERR_STORE_USED:
 * it was taken before and has not expired. Exactly one of two concurrent
 * takers gets SL_OK. Expired entries are removed by sl__store_sweep. */
sl_status sl__store_once(sl_tx *tx, const char *scope, const void *key, size_t n,
                         int64_t now_ms, int64_t expires_ms);

/* Takes one token from the bucket (cls, key): capacity 'burst' tokens,
 * refilled at rate_per_s. A new bucket starts full. SL_OK if a token was
 * taken; SL_ERR_STORE_RATE if empty, with *retry_after_ms (may be NULL) the
 * wait until one token is available. */
sl_status sl__store_bucket(sl_tx *tx, const char *cls, const char *key,
                           double rate_per_s, double burst, int64_t now_ms,
                           int64_t *retry_after_ms);

/* Adds delta to the named counter (created at 0) and returns the new
 * value in *value (may be NULL). Use for sequences shared by nodes,
 * failed-login counts (reset with sl__store_counter_set), statistics. */
sl_status sl__store_counter(sl_tx *tx, const char *name, int64_t delta, int64_t *value);
sl_status sl__store_counter_set(sl_tx *tx, const char *name, int64_t value);
/* Reads a counter; 0 if it does not exist. */
sl_status sl__store_counter_get(sl_tx *tx, const char *name, int64_t *value);

/* Lease for scheduled-job election among nodes: holder takes (or renews)
 * the lease 'name' until now_ms + ttl_ms if it is free, expired, or
 * already its own. *held says whether holder has it after the call. */
sl_status sl__store_lease(sl_tx *tx, const char *name, const char *holder,
                          int64_t now_ms, int64_t ttl_ms, bool *held);
/* Gives the lease up if holder has it. */
sl_status sl__store_lease_release(sl_tx *tx, const char *name, const char *holder);

/* Deletes expired single-use keys and leases, and buckets idle long enough
 * to be full again; *removed (may be NULL) gets the row count. */
sl_status sl__store_sweep(sl_tx *tx, int64_t now_ms, int64_t *removed);

#endif
