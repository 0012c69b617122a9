/*
 * test_store.c -- the store (src/store/) against a real database: SQLite in
 * a temp directory by default, PostgreSQL when SL_TEST_STORE_URL is set to a
 * postgresql:// URL (tests/suites/80-store.sh starts a throwaway server and
 * runs this module both ways; each test then starts from an empty schema).
 *
 * Covers: value round trips (SQL metacharacters stored verbatim), migrations
 * (idempotent, a newer database refused), poisoned transactions, constraint
 * codes, the retry loop, concurrency between threads and between processes
 * (counters, single-use keys, token buckets: exactly one winner), leases,
 * sweeping, backup (SQLite), and durability (a child that acknowledged
 * commits is SIGKILLed; every acknowledged row is there after reopening).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"
#include "test_store_fx.h"

/* ============================ Values and SQL ============================= */

SL_TEST(store, roundtrip)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    /* SQLite takes PostgreSQL's type names (affinity by name) */
    SL_CHECK_EQ(t, sl_t_exec1(s, "CREATE TABLE t1 (id BIGINT PRIMARY KEY, a BIGINT, "
                            "r DOUBLE PRECISION, x TEXT, b BYTEA)"), SL_OK);
    static const char *const nasty[] = {
        "Robert'); DROP TABLE t1; --", "a ? b ?? $1 $2", "\"quoted\" 'single' `back`",
        "身份证 410105199001011234 ✓", "back\\slash %s %n", "",
    };
    const uint8_t blob[] = { 0, 1, 2, 0, 0xff, '\'', '?', 0 };
    sl_tx *tx;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    for (size_t i = 0; i < SL_ARRAY_LEN(nasty); i++) {
        int64_t ch = -1;
        SL_CHECK_EQ(t, sl__tx_exec(tx, "INSERT INTO t1 (id, a, r, x, b) VALUES (?, ?, ?, ?, ?)",
                                   SL_ARGS(SL_INT(i + 1), SL_INT(i == 0 ? INT64_MIN : INT64_MAX),
                                           SL_REAL(0.1 * (double)i), SL_TEXT(nasty[i]),
                                           SL_BLOB(blob, sizeof(blob))), &ch), SL_OK);
        SL_CHECK_EQ(t, ch, 1);
    }
    SL_CHECK_EQ(t, sl__tx_exec(tx, "INSERT INTO t1 (id, a, r, x, b) VALUES (?, ?, ?, ?, ?)",
                               SL_ARGS(SL_INT(100), SL_NULL, SL_NULL, SL_TEXT(NULL), SL_NULL),
                               NULL), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);

    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    sl_rows *r = NULL;
    SL_CHECK_EQ(t, sl__tx_query(tx, "SELECT id, a, r, x, b FROM t1 WHERE id <= ? ORDER BY id",
                                SL_ARGS(SL_INT(100)), &r), SL_OK);
    SL_CHECK_EQ(t, sl__rows_count(r), SL_ARRAY_LEN(nasty) + 1);
    SL_CHECK_EQ(t, sl__rows_cols(r), 5);
    SL_CHECK(t, strcmp(sl__rows_name(r, 3), "x") == 0);
    for (size_t i = 0; i < SL_ARRAY_LEN(nasty) && i < sl__rows_count(r); i++) {
        SL_CHECK_EQ(t, sl__rows_int(r, i, 0), (long long)i + 1);
        SL_CHECK(t, sl__rows_int(r, i, 1) == (i == 0 ? INT64_MIN : INT64_MAX));
        SL_CHECK(t, sl__rows_real(r, i, 2) == 0.1 * (double)i);
        const char *x = sl__rows_text(r, i, 3);
        SL_CHECKF(t, x && strcmp(x, nasty[i]) == 0, "text %zu verbatim: got '%s'", i, x ? x : "(null)");
        size_t n = 0;
        const void *b = sl__rows_blob(r, i, 4, &n);
        SL_CHECK(t, n == sizeof(blob) && b && memcmp(b, blob, n) == 0);
    }
    size_t last = SL_ARRAY_LEN(nasty);
    if (sl__rows_count(r) > last) {
        for (size_t c = 1; c < 5; c++)
            SL_CHECK(t, sl__rows_null(r, last, c));
        SL_CHECK(t, sl__rows_text(r, last, 3) == NULL);
        SL_CHECK(t, strcmp(sl__rows_text(r, last, 0), "100") == 0);  /* int as text */
    }
    sl__rows_free(r);
    /* the table survived the "DROP TABLE" text */
    int64_t cnt = 0;
    SL_CHECK_EQ(t, sl__tx_query_int(tx, "SELECT count(*) FROM t1", NULL, 0, &cnt), SL_OK);
    SL_CHECK_EQ(t, cnt, SL_ARRAY_LEN(nasty) + 1);
    /* a metacharacter in a parameter used as a key finds exactly its row */
    SL_CHECK_EQ(t, sl__tx_query_int(tx, "SELECT id FROM t1 WHERE x = ?",
                                    SL_ARGS(SL_TEXT(nasty[0])), &cnt), SL_OK);
    SL_CHECK_EQ(t, cnt, 1);
    SL_CHECK_EQ(t, sl__tx_query_int(tx, "SELECT id FROM t1 WHERE x = ?",
                                    SL_ARGS(SL_TEXT("' OR '1'='1")), &cnt), SL_ERR_NOT_FOUND);
    /* '?' inside a literal is not a parameter */
    SL_CHECK_EQ(t, sl__tx_query_int(tx, "SELECT count(*) FROM t1 WHERE x <> 'what?' AND id > ?",
                                    SL_ARGS(SL_INT(0)), &cnt), SL_OK);
    SL_CHECK_EQ(t, cnt, SL_ARRAY_LEN(nasty));
    sl__tx_rollback(tx);
    sl_t_fx_done(&f, s);
}

SL_TEST(store, sqlite_file_mode)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    if (f.pg) {
        sl_t_skip(t, "SQLite only");
    } else {
        struct stat sb;
        SL_CHECK(t, stat(f.url + 7, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    }
    sl_t_fx_done(&f, s);
}

SL_TEST(store, pool_exhausted)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl__store_close(s);
    struct sl_store_opts o = { .max_conns = 1, .busy_timeout_ms = 200 };
    s = NULL;
    SL_CHECK_EQ(t, sl__store_open(f.url, &o, &s), SL_OK);
    sl_tx *a = NULL, *b = NULL;
    SL_CHECK_EQ(t, sl__tx_begin(s, &a), SL_OK);
    uint64_t t0 = sl_time_mono_ns();
    SL_CHECK_EQ(t, sl__tx_begin(s, &b), SL_ERR_STORE_BUSY);   /* waits, then gives up */
    double ms = (double)(sl_time_mono_ns() - t0) / 1e6;
    SL_CHECKF(t, ms >= 150 && ms < 5000, "waited %.0f ms", ms);
    sl__tx_rollback(a);
    SL_CHECK_EQ(t, sl__tx_begin(s, &b), SL_OK);
    sl__tx_rollback(b);
    sl_t_fx_done(&f, s);
}

/* A pooled PostgreSQL connection whose backend was terminated while idle
 * is noticed at the next begin, dropped, and replaced. */
SL_TEST(store, reconnect)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    if (!f.pg) {
        sl_t_skip(t, "PostgreSQL only");
        sl_t_fx_done(&f, s);
        return;
    }
    sl_tx *a = NULL, *b = NULL;
    SL_CHECK_EQ(t, sl__tx_begin(s, &a), SL_OK);
    SL_CHECK_EQ(t, sl__tx_begin(s, &b), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(a), SL_OK);         /* idle: [a] */
    int64_t killed = 0;
    SL_CHECK_EQ(t, sl__tx_query_int(b, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE pid <> pg_backend_pid() AND datname = current_database() "
                                       "AND backend_type = 'client backend'", NULL, 0, &killed), SL_OK);
    SL_CHECK(t, killed >= 1);
    sl_tx *c = NULL;
    SL_CHECK_EQ(t, sl__tx_begin(s, &c), SL_OK);      /* gets the dead one first */
    int64_t one = 0;
    if (c) {
        SL_CHECK_EQ(t, sl__tx_query_int(c, "SELECT 1", NULL, 0, &one), SL_OK);
        SL_CHECK_EQ(t, one, 1);
        SL_CHECK_EQ(t, sl__tx_commit(c), SL_OK);
    }
    SL_CHECK_EQ(t, sl__tx_commit(b), SL_OK);
    sl_t_fx_done(&f, s);
}

SL_TEST(store, returning_and_changes)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    const char *ddl = f.pg ? "CREATE TABLE t2 (id BIGSERIAL PRIMARY KEY, v TEXT)"
                           : "CREATE TABLE t2 (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)";
    SL_CHECK_EQ(t, sl_t_exec1(s, ddl), SL_OK);
    sl_tx *tx;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    int64_t id1 = 0, id2 = 0, ch = 0;
    SL_CHECK_EQ(t, sl__tx_query_int(tx, "INSERT INTO t2 (v) VALUES (?) RETURNING id",
                                    SL_ARGS(SL_TEXT("a")), &id1), SL_OK);
    SL_CHECK_EQ(t, sl__tx_query_int(tx, "INSERT INTO t2 (v) VALUES (?) RETURNING id",
                                    SL_ARGS(SL_TEXT("b")), &id2), SL_OK);
    SL_CHECK(t, id1 > 0 && id2 == id1 + 1);
    SL_CHECK_EQ(t, sl__tx_exec(tx, "UPDATE t2 SET v = ? WHERE id >= ?",
                               SL_ARGS(SL_TEXT("c"), SL_INT(id1)), &ch), SL_OK);
    SL_CHECK_EQ(t, ch, 2);
    SL_CHECK_EQ(t, sl__tx_exec(tx, "DELETE FROM t2 WHERE id = ?", SL_ARGS(SL_INT(-5)), &ch), SL_OK);
    SL_CHECK_EQ(t, ch, 0);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    sl_t_fx_done(&f, s);
}

SL_TEST(store, errors)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    SL_CHECK_EQ(t, sl_t_exec1(s, "CREATE TABLE t3 (k TEXT PRIMARY KEY, v TEXT NOT NULL)"), SL_OK);
    sl_tx *tx;
    /* duplicate key: a coded error, and the transaction is poisoned */
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__tx_exec(tx, "INSERT INTO t3 VALUES (?, ?)", SL_ARGS(SL_TEXT("a"), SL_TEXT("1")), NULL), SL_OK);
    SL_CHECK_EQ(t, sl__tx_exec(tx, "INSERT INTO t3 VALUES (?, ?)", SL_ARGS(SL_TEXT("a"), SL_TEXT("2")), NULL),
                SL_ERR_STORE_CONSTRAINT);
    SL_CHECK(t, sl__tx_errmsg(tx)[0] != 0);
    SL_CHECK_EQ(t, sl__tx_exec(tx, "INSERT INTO t3 VALUES (?, ?)", SL_ARGS(SL_TEXT("b"), SL_TEXT("3")), NULL),
                SL_ERR_STATE);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_ERR_STORE_CONSTRAINT);
    /* nothing of it committed */
    int64_t n = -1;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__tx_query_int(tx, "SELECT count(*) FROM t3", NULL, 0, &n), SL_OK);
    SL_CHECK_EQ(t, n, 0);
    /* NOT NULL violated */
    SL_CHECK_EQ(t, sl__tx_exec(tx, "INSERT INTO t3 VALUES (?, ?)", SL_ARGS(SL_TEXT("c"), SL_NULL), NULL),
                SL_ERR_STORE_CONSTRAINT);
    sl__tx_rollback(tx);
    /* NUL inside text, wrong parameter count, bad SQL */
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__tx_exec(tx, "INSERT INTO t3 VALUES (?, ?)",
                               SL_ARGS(SL_TEXT("d"), SL_TEXTN("x\0y", 3)), NULL), SL_ERR_STORE_PARAM);
    sl__tx_rollback(tx);
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__tx_exec(tx, "INSERT INTO t3 VALUES (?, ?)", SL_ARGS(SL_TEXT("d")), NULL),
                SL_ERR_STORE_PARAM);
    sl__tx_rollback(tx);
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, SL_STATUS_PRIMARY(sl__tx_exec(tx, "SELEC nonsense", NULL, 0, NULL)), SL_ERR_IO);
    sl__tx_rollback(tx);
    /* the pool still works after all that */
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__tx_query_int(tx, "SELECT count(*) FROM t3", NULL, 0, &n), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    sl_t_fx_done(&f, s);
}

SL_TEST(store, bad_url)
{
    sl_store *s = NULL;
    SL_CHECK_EQ(t, sl__store_open("mysql://x", NULL, &s), SL_ERR_STORE_URL);
    SL_CHECK_EQ(t, sl__store_open("sqlite:", NULL, &s), SL_ERR_STORE_URL);
    SL_CHECK_EQ(t, sl__store_open("/tmp/plain/path", NULL, &s), SL_ERR_STORE_URL);
    SL_CHECK_EQ(t, sl__store_open("sqlite:/nonexistent-dir-sl/x/db", NULL, &s), SL_ERR_STORE_CONNECT);
    SL_CHECK_EQ(t, sl__store_open("postgresql://127.0.0.1:1/none?connect_timeout=2", NULL, &s),
                SL_ERR_STORE_CONNECT);
    SL_CHECK(t, s == NULL);
}

/* ============================ Migrations ================================= */

SL_TEST(store, migrate)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    int dbv = -1, binv = -1;
    SL_CHECK_EQ(t, sl__store_schema_version(s, &dbv, &binv), SL_OK);
    SL_CHECK(t, binv >= 1 && dbv == binv);
    /* again: nothing to do */
    SL_CHECK_EQ(t, sl__store_migrate(s), SL_OK);
    sl_tx *tx;
    int64_t n = 0;
    size_t nm;
    sl__schema_list(&nm);
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__tx_query_int(tx, "SELECT count(*) FROM store_schema", NULL, 0, &n), SL_OK);
    SL_CHECK_EQ(t, n, (long long)nm);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);

    /* a database written by a newer program is refused */
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__tx_exec(tx, "INSERT INTO store_schema (version, name, applied_ms) VALUES (?, ?, ?)",
                               SL_ARGS(SL_INT(99999), SL_TEXT("from_the_future"), SL_INT(0)), NULL), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_migrate(s), SL_ERR_STORE_SCHEMA_NEWER);
    SL_CHECK_EQ(t, sl__store_schema_version(s, &dbv, NULL), SL_OK);
    SL_CHECK_EQ(t, dbv, 99999);

    /* a known version under another name is refused too */
    SL_CHECK_EQ(t, sl_t_exec1(s, "DELETE FROM store_schema WHERE version = 99999"), SL_OK);
    SL_CHECK_EQ(t, sl_t_exec1(s, "UPDATE store_schema SET name = 'renamed' WHERE version = 1"), SL_OK);
    SL_CHECK_EQ(t, sl__store_migrate(s), SL_ERR_STORE_SCHEMA);
    SL_CHECK_EQ(t, sl_t_exec1(s, "UPDATE store_schema SET name = 'store_primitives' WHERE version = 1"), SL_OK);
    SL_CHECK_EQ(t, sl__store_migrate(s), SL_OK);
    sl_t_fx_done(&f, s);
}

SL_TEST(store, subst_tokens)
{
    size_t n;
    const struct sl_migration *m = sl__schema_list(&n);
    SL_CHECK(t, n >= 1 && m[0].version == 1);
    for (size_t i = 1; i < n; i++)
        SL_CHECK(t, m[i].version > m[i - 1].version);
}

/* ============================ Retry loop ================================= */

struct flaky { int calls; int fail_first; };

static sl_status flaky_fn(sl_tx *tx, void *ctx)
{
    struct flaky *fl = ctx;
    fl->calls++;
    sl_status st = sl__store_counter(tx, "flaky", 1, NULL);
    if (st != SL_OK)
        return st;
    return fl->calls <= fl->fail_first ? SL_ERR_STORE_BUSY : SL_OK;
}

static sl_status failing_fn(sl_tx *tx, void *ctx)
{
    (void)ctx;
    sl_status st = sl__store_counter(tx, "flaky", 1000, NULL);
    return st != SL_OK ? st : SL_ERR_DENIED;
}

SL_TEST(store, run_retry)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    struct sl_store_stats a, b;
    sl__store_stats(s, &a);
    struct flaky fl = { 0, 3 };
    SL_CHECK_EQ(t, sl__store_run(s, flaky_fn, &fl), SL_OK);
    SL_CHECK_EQ(t, fl.calls, 4);
    sl__store_stats(s, &b);
    SL_CHECK_EQ(t, b.retries - a.retries, 3);
    /* a non-retryable error is returned and its changes rolled back */
    SL_CHECK_EQ(t, sl__store_run(s, failing_fn, NULL), SL_ERR_DENIED);
    sl_tx *tx;
    int64_t v = 0;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_counter_get(tx, "flaky", &v), SL_OK);
    SL_CHECK_EQ(t, v, 1);                       /* only the attempt that committed */
    sl__tx_rollback(tx);
    sl_t_fx_done(&f, s);
}

/* A lazy transaction (rate-limit buckets): committed and visible like any
 * other, run with the backend's no-wait commit setting (SQLite
 * synchronous=NORMAL, PostgreSQL synchronous_commit off) -- and the
 * connection goes back to full commits afterwards, also after a rollback. */
struct lazy_probe { bool pg; char seen[16]; int calls; bool fail; };

static sl_status sync_setting(sl_tx *tx, bool pg, char *out, size_t cap)
{
    sl_rows *rows = NULL;
    sl_status st = sl__tx_query(tx, pg ? "SHOW synchronous_commit" : "PRAGMA synchronous",
                                NULL, 0, &rows);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(rows) != 1)
        st = SL_ERR_INTERNAL;
    else if (pg)
        snprintf(out, cap, "%s", sl__rows_text(rows, 0, 0));
    else
        snprintf(out, cap, "%lld", (long long)sl__rows_int(rows, 0, 0));
    sl__rows_free(rows);
    return st;
}

static sl_status lazy_fn(sl_tx *tx, void *ctx)
{
    struct lazy_probe *p = ctx;
    p->calls++;
    sl_status st = sl__store_counter(tx, "lazy", 1, NULL);
    if (st == SL_OK)
        st = sync_setting(tx, p->pg, p->seen, sizeof p->seen);
    return st == SL_OK && p->fail ? SL_ERR_DENIED : st;
}

static sl_status after_fn(sl_tx *tx, void *ctx)
{
    struct lazy_probe *p = ctx;
    return sync_setting(tx, p->pg, p->seen, sizeof p->seen);
}

SL_TEST(store, lazy_commit)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    bool pg = sl__store_kind(s) == SL_STORE_PG;
    const char *lazy = pg ? "off" : "1", *full = pg ? "on" : "2";
    for (int round = 0; round < 2; round++) {
        struct lazy_probe p = { .pg = pg, .fail = round == 1 };
        SL_CHECK_EQ(t, sl__store_run_lazy(s, lazy_fn, &p), round ? SL_ERR_DENIED : SL_OK);
        SL_CHECK_EQ(t, p.calls, 1);
        SL_CHECK(t, strcmp(p.seen, lazy) == 0);
        /* every pooled connection is back at full commits */
        for (int i = 0; i < 4; i++) {
            struct lazy_probe q = { .pg = pg };
            SL_CHECK_EQ(t, sl__store_run(s, after_fn, &q), SL_OK);
            SL_CHECK(t, strcmp(q.seen, full) == 0);
        }
    }
    sl_tx *tx;
    int64_t v = 0;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_counter_get(tx, "lazy", &v), SL_OK);
    SL_CHECK_EQ(t, v, 1);                       /* the committed one, not the rolled back */
    sl__tx_rollback(tx);
    sl_t_fx_done(&f, s);
}

/* A real serialization failure (PostgreSQL): while fn's transaction has
 * read the counter, another transaction changes and commits it; fn's
 * update then fails with 40001 -> SL_ERR_STORE_BUSY, and sl__store_run
 * runs fn again, which then succeeds. On SQLite the second writer would
 * wait for the first (BEGIN IMMEDIATE), so this shape cannot occur there. */
struct interfere { sl_store *s; int calls; sl_status side; };

static sl_status interfere_fn(sl_tx *tx, void *ctx)
{
    struct interfere *c = ctx;
    c->calls++;
    int64_t v = 0;
    sl_status st = sl__store_counter_get(tx, "ser", &v);
    if (st != SL_OK)
        return st;
    if (c->calls == 1) {
        sl_tx *other;
        c->side = sl__tx_begin(c->s, &other);
        if (c->side == SL_OK) {
            c->side = sl__store_counter(other, "ser", 100, NULL);
            sl_status cst = sl__tx_commit(other);
            if (c->side == SL_OK)
                c->side = cst;
        }
    }
    return sl__store_counter_set(tx, "ser", v + 1);
}

SL_TEST(store, serialization_retry)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    if (!f.pg) {
        sl_t_skip(t, "PostgreSQL only (set SL_TEST_STORE_URL; SQLite serialises writers up front)");
        sl_t_fx_done(&f, s);
        return;
    }
    sl_tx *tx;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_counter_set(tx, "ser", 1), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    struct sl_store_stats a, b;
    sl__store_stats(s, &a);
    struct interfere c = { s, 0, SL_OK };
    SL_CHECK_EQ(t, sl__store_run(s, interfere_fn, &c), SL_OK);
    sl__store_stats(s, &b);
    SL_CHECK_EQ(t, c.side, SL_OK);
    SL_CHECK_EQ(t, c.calls, 2);                /* failed once, retried once */
    SL_CHECK_EQ(t, b.retries - a.retries, 1);
    int64_t v = 0;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_counter_get(tx, "ser", &v), SL_OK);
    sl__tx_rollback(tx);
    SL_CHECK_EQ(t, v, 102);                    /* 1 + 100 (other) + 1 (retry) */
    sl_t_fx_done(&f, s);
}

/* ============================ Concurrency: threads ======================= */

#define NTHREADS 4
#define NITER    150

struct worker {
    sl_store *s;
    int       id;
    int       wins;
    sl_status st;
    int64_t   now;
};

/* read-modify-write of one row (SELECT, then UPDATE): on PostgreSQL two
 * such transactions conflict and one is retried by sl__store_run */
static sl_status rmw_fn(sl_tx *tx, void *ctx)
{
    (void)ctx;
    int64_t v = 0;
    sl_status st = sl__store_counter_get(tx, "rmw", &v);
    if (st == SL_OK)
        st = sl__store_counter_set(tx, "rmw", v + 1);
    return st;
}

static sl_status inc_fn(sl_tx *tx, void *ctx)
{
    (void)ctx;
    return sl__store_counter(tx, "inc", 1, NULL);
}

static void *counter_thread(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < NITER && w->st == SL_OK; i++) {
        w->st = sl__store_run(w->s, rmw_fn, NULL);
        if (w->st == SL_OK)
            w->st = sl__store_run(w->s, inc_fn, NULL);
    }
    return NULL;
}

SL_TEST(store, threads_counter)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    pthread_t th[NTHREADS];
    struct worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){ .s = s, .id = i };
        pthread_create(&th[i], NULL, counter_thread, &w[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        SL_CHECKF(t, w[i].st == SL_OK, "thread %d: %s", i, sl_status_name(w[i].st));
    }
    sl_tx *tx;
    int64_t rmw = 0, inc = 0;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_counter_get(tx, "rmw", &rmw), SL_OK);
    SL_CHECK_EQ(t, sl__store_counter_get(tx, "inc", &inc), SL_OK);
    sl__tx_rollback(tx);
    SL_CHECK_EQ(t, rmw, NTHREADS * NITER);     /* no lost update */
    SL_CHECK_EQ(t, inc, NTHREADS * NITER);
    struct sl_store_stats st;
    sl__store_stats(s, &st);
    printf("  %s: %d threads x %d rmw+inc: %llu commits, %llu retries, %llu conns\n",
           sl__store_kind_name(s), NTHREADS, NITER, (unsigned long long)st.commits,
           (unsigned long long)st.retries, (unsigned long long)st.conns);
    sl_t_fx_done(&f, s);
}

#define NKEYS 40

struct once_ctx { int key; int64_t now; sl_status got; };

static sl_status once_fn(sl_tx *tx, void *ctx)
{
    struct once_ctx *c = ctx;
    char k[32];
    snprintf(k, sizeof(k), "nonce-%d", c->key);
    c->got = sl__store_once(tx, "test", k, strlen(k), c->now, c->now + 60000);
    return c->got == SL_ERR_STORE_USED ? SL_OK : c->got;
}

static void *once_thread(void *arg)
{
    struct worker *w = arg;
    for (int k = 0; k < NKEYS && w->st == SL_OK; k++) {
        struct once_ctx c = { k, 1000, SL_OK };
        w->st = sl__store_run(w->s, once_fn, &c);
        if (w->st == SL_OK && c.got == SL_OK)
            w->wins++;
    }
    return NULL;
}

SL_TEST(store, threads_once)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    pthread_t th[NTHREADS];
    struct worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){ .s = s, .id = i };
        pthread_create(&th[i], NULL, once_thread, &w[i]);
    }
    int wins = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        SL_CHECKF(t, w[i].st == SL_OK, "thread %d: %s", i, sl_status_name(w[i].st));
        wins += w[i].wins;
    }
    SL_CHECK_EQ(t, wins, NKEYS);               /* each key taken exactly once */

    /* expiry: a key is free again once its time has passed, not before */
    sl_tx *tx;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_once(tx, "test", "nonce-1", 7, 60999, 70000), SL_ERR_STORE_USED);
    SL_CHECK_EQ(t, sl__store_once(tx, "test", "nonce-1", 7, 61000, 70000), SL_OK);
    SL_CHECK_EQ(t, sl__store_once(tx, "test", "nonce-1", 7, 61001, 70000), SL_ERR_STORE_USED);
    SL_CHECK_EQ(t, sl__store_once(tx, "other", "nonce-1", 7, 61001, 70000), SL_OK);  /* scopes apart */
    const uint8_t bin[] = { 0, 0, 1 };
    SL_CHECK_EQ(t, sl__store_once(tx, "test", bin, 3, 0, 10), SL_OK);
    SL_CHECK_EQ(t, sl__store_once(tx, "test", bin, 2, 0, 10), SL_OK);                /* length counts */
    SL_CHECK_EQ(t, sl__store_once(tx, "test", bin, 3, 0, 10), SL_ERR_STORE_USED);
    int64_t removed = 0;
    SL_CHECK_EQ(t, sl__store_sweep(tx, 65000, &removed), SL_OK);
    SL_CHECK_EQ(t, removed, NKEYS - 1 + 2);    /* all nonce-k but the renewed one, and bin x2 */
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    sl_t_fx_done(&f, s);
}

struct bucket_ctx { int64_t now; sl_status got; int64_t retry; };

static sl_status bucket_fn(sl_tx *tx, void *ctx)
{
    struct bucket_ctx *c = ctx;
    c->got = sl__store_bucket(tx, "login", "198.51.100.7", 0.001, 60, c->now, &c->retry);
    return c->got == SL_ERR_STORE_RATE ? SL_OK : c->got;
}

static void *bucket_thread(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 30 && w->st == SL_OK; i++) {
        struct bucket_ctx c = { 5000, SL_OK, 0 };
        w->st = sl__store_run(w->s, bucket_fn, &c);
        if (w->st == SL_OK && c.got == SL_OK)
            w->wins++;
    }
    return NULL;
}

SL_TEST(store, bucket)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl_tx *tx;
    int64_t ra = -1;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    /* burst 3, 1 token/s */
    for (int i = 0; i < 3; i++)
        SL_CHECK_EQ(t, sl__store_bucket(tx, "c", "k", 1.0, 3, 10000, &ra), SL_OK);
    SL_CHECK_EQ(t, sl__store_bucket(tx, "c", "k", 1.0, 3, 10000, &ra), SL_ERR_STORE_RATE);
    SL_CHECK_EQ(t, ra, 1000);
    SL_CHECK_EQ(t, sl__store_bucket(tx, "c", "k", 1.0, 3, 10400, &ra), SL_ERR_STORE_RATE);
    SL_CHECK_EQ(t, ra, 600);
    SL_CHECK_EQ(t, sl__store_bucket(tx, "c", "k", 1.0, 3, 11000, &ra), SL_OK);
    SL_CHECK_EQ(t, sl__store_bucket(tx, "c", "k", 1.0, 3, 11000, &ra), SL_ERR_STORE_RATE);
    /* another key has its own bucket; a long pause refills only to burst */
    SL_CHECK_EQ(t, sl__store_bucket(tx, "c", "k2", 1.0, 3, 11000, &ra), SL_OK);
    for (int i = 0; i < 3; i++)
        SL_CHECK_EQ(t, sl__store_bucket(tx, "c", "k", 1.0, 3, 999999, &ra), SL_OK);
    SL_CHECK_EQ(t, sl__store_bucket(tx, "c", "k", 1.0, 3, 999999, &ra), SL_ERR_STORE_RATE);
    SL_CHECK_EQ(t, sl__store_bucket(tx, "c", "k", 0, 3, 0, &ra), SL_ERR_INVALID);
    /* sweep: k2 (2 tokens left at 11000) is full at 12000 */
    int64_t removed = -1;
    SL_CHECK_EQ(t, sl__store_sweep(tx, 11999, &removed), SL_OK);
    SL_CHECK_EQ(t, removed, 0);
    SL_CHECK_EQ(t, sl__store_sweep(tx, 12000, &removed), SL_OK);
    SL_CHECK_EQ(t, removed, 1);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);

    /* 4 threads x 30 takes from a 60-token bucket that does not refill in
     * the test's time: exactly 60 succeed */
    pthread_t th[NTHREADS];
    struct worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){ .s = s, .id = i };
        pthread_create(&th[i], NULL, bucket_thread, &w[i]);
    }
    int wins = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        SL_CHECKF(t, w[i].st == SL_OK, "thread %d: %s", i, sl_status_name(w[i].st));
        wins += w[i].wins;
    }
    SL_CHECK_EQ(t, wins, 60);
    sl_t_fx_done(&f, s);
}

SL_TEST(store, lease)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl_tx *tx;
    bool held = false;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_lease(tx, "sweep", "node-a", 1000, 500, &held), SL_OK);
    SL_CHECK(t, held);
    SL_CHECK_EQ(t, sl__store_lease(tx, "sweep", "node-b", 1200, 500, &held), SL_OK);
    SL_CHECK(t, !held);
    SL_CHECK_EQ(t, sl__store_lease(tx, "sweep", "node-a", 1400, 500, &held), SL_OK);  /* renew */
    SL_CHECK(t, held);
    SL_CHECK_EQ(t, sl__store_lease(tx, "sweep", "node-b", 1899, 500, &held), SL_OK);
    SL_CHECK(t, !held);
    SL_CHECK_EQ(t, sl__store_lease(tx, "sweep", "node-b", 1900, 500, &held), SL_OK);  /* expired */
    SL_CHECK(t, held);
    SL_CHECK_EQ(t, sl__store_lease_release(tx, "sweep", "node-a"), SL_OK);             /* not a's */
    SL_CHECK_EQ(t, sl__store_lease(tx, "sweep", "node-a", 1901, 500, &held), SL_OK);
    SL_CHECK(t, !held);
    SL_CHECK_EQ(t, sl__store_lease_release(tx, "sweep", "node-b"), SL_OK);
    SL_CHECK_EQ(t, sl__store_lease(tx, "sweep", "node-a", 1902, 500, &held), SL_OK);
    SL_CHECK(t, held);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    sl_t_fx_done(&f, s);
}

/* ============================ Backup ===================================== */

SL_TEST(store, backup)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    char dest[400];
    snprintf(dest, sizeof(dest), "%s/copy.sqlite", f.dir);
    if (f.pg) {
        SL_CHECK_EQ(t, sl__store_backup(s, dest), SL_ERR_STORE_BACKUP);  /* pg_dump, documented */
        sl_t_fx_done(&f, s);
        return;
    }
    sl_tx *tx;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_counter(tx, "backed-up", 42, NULL), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_backup(s, dest), SL_OK);
    /* a later change is not in the copy */
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_counter(tx, "backed-up", 1, NULL), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    char url[512];
    snprintf(url, sizeof(url), "sqlite:%s", dest);
    sl_store *c = NULL;
    SL_CHECK_EQ(t, sl__store_open(url, NULL, &c), SL_OK);
    if (c) {
        SL_CHECK_EQ(t, sl__store_migrate(c), SL_OK);     /* same schema: nothing to do */
        int64_t v = 0;
        SL_CHECK_EQ(t, sl__tx_begin(c, &tx), SL_OK);
        SL_CHECK_EQ(t, sl__store_counter_get(tx, "backed-up", &v), SL_OK);
        SL_CHECK_EQ(t, v, 42);
        sl__tx_rollback(tx);
        sl__store_close(c);
    }
    SL_CHECK(t, sl__store_backup(s, "/nonexistent-dir-sl/x") == SL_ERR_STORE_BACKUP);
    sl_t_fx_done(&f, s);
}

/* ============================ Processes ================================== */

/* Child: opens its own store and runs n increments. Exit 0 on success. */
static int child_counter(const char *url, int n)
{
    sl_store *s;
    if (sl__store_open(url, NULL, &s) != SL_OK)
        _exit(3);
    for (int i = 0; i < n; i++)
        if (sl__store_run(s, rmw_fn, NULL) != SL_OK)
            _exit(4);
    for (int k = 0; k < NKEYS; k++) {
        struct once_ctx c = { k, 1000, SL_OK };
        if (sl__store_run(s, once_fn, &c) != SL_OK)
            _exit(5);
        if (c.got == SL_OK) {                  /* record the win */
            if (sl__store_run(s, inc_fn, NULL) != SL_OK)
                _exit(6);
        }
    }
    sl__store_close(s);
    _exit(0);
}

SL_TEST(store, processes)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    fflush(NULL);
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        if (pid[i] == 0)
            child_counter(f.url, 200);
    }
    for (int i = 0; i < 2; i++) {
        int ws = 0;
        waitpid(pid[i], &ws, 0);
        SL_CHECKF(t, WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "child %d status %d", i, ws);
    }
    sl_tx *tx;
    int64_t rmw = 0, wins = 0;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__store_counter_get(tx, "rmw", &rmw), SL_OK);
    SL_CHECK_EQ(t, sl__store_counter_get(tx, "inc", &wins), SL_OK);
    sl__tx_rollback(tx);
    SL_CHECK_EQ(t, rmw, 400);
    SL_CHECK_EQ(t, wins, NKEYS);               /* each single-use key once */
    sl_t_fx_done(&f, s);
}

/* Child: inserts rows one transaction each and reports each committed id
 * on the pipe after sl__tx_commit returned (= acknowledged). */
static void child_writer(const char *url, int fd)
{
    sl_store *s;
    if (sl__store_open(url, NULL, &s) != SL_OK)
        _exit(3);
    for (int64_t id = 1;; id++) {
        sl_tx *tx;
        if (sl__tx_begin(s, &tx) != SL_OK)
            _exit(4);
        if (sl__tx_exec(tx, "INSERT INTO dur (id, v) VALUES (?, ?)",
                        SL_ARGS(SL_INT(id), SL_TEXT("acknowledged")), NULL) != SL_OK) {
            sl__tx_rollback(tx);
            _exit(5);
        }
        if (sl__tx_commit(tx) != SL_OK)
            _exit(6);
        if (write(fd, &id, sizeof(id)) != (ssize_t)sizeof(id))
            _exit(7);
    }
}

SL_TEST(store, durability_sigkill)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    SL_CHECK_EQ(t, sl_t_exec1(s, "CREATE TABLE dur (id BIGINT PRIMARY KEY, v TEXT)"), SL_OK);
    sl__store_close(s);
    int p[2];
    SL_ASSERT(pipe(p) == 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        child_writer(f.url, p[1]);
    }
    close(p[1]);
    int64_t acked = 0, id;
    while (acked < 300 && read(p[0], &id, sizeof(id)) == (ssize_t)sizeof(id))
        acked = id;
    kill(pid, SIGKILL);                       /* in the middle of a write */
    while (read(p[0], &id, sizeof(id)) == (ssize_t)sizeof(id))
        acked = id;                           /* acks sent before the kill */
    close(p[0]);
    int ws = 0;
    waitpid(pid, &ws, 0);
    SL_CHECK(t, WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
    SL_CHECK(t, acked >= 300);

    s = NULL;
    SL_CHECK_EQ(t, sl__store_open(f.url, NULL, &s), SL_OK);
    if (!s)
        return;
    sl_tx *tx;
    int64_t n = 0, mx = 0;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__tx_query_int(tx, "SELECT count(*) FROM dur WHERE id <= ?",
                                    SL_ARGS(SL_INT(acked)), &n), SL_OK);
    SL_CHECK_EQ(t, sl__tx_query_int(tx, "SELECT max(id) FROM dur", NULL, 0, &mx), SL_OK);
    sl__tx_rollback(tx);
    SL_CHECKF(t, n == acked, "%lld of %lld acknowledged rows present", (long long)n, (long long)acked);
    SL_CHECK(t, mx == acked || mx == acked + 1);  /* at most the unacknowledged one */
    printf("  %s: %lld acknowledged commits, all present after SIGKILL\n",
           sl__store_kind_name(s), (long long)acked);
    sl_t_fx_done(&f, s);
}

/* Two processes (two server nodes starting at once) migrate one empty
 * database at the same moment: each migration is applied exactly once and
 * both succeed (PostgreSQL: advisory lock; SQLite: BEGIN IMMEDIATE). */
SL_TEST(store, concurrent_migrate)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    char url[600];
    if (f.pg) {
        SL_CHECK_EQ(t, sl_t_exec1(s, "DROP SCHEMA public CASCADE"), SL_OK);
        SL_CHECK_EQ(t, sl_t_exec1(s, "CREATE SCHEMA public"), SL_OK);
        snprintf(url, sizeof(url), "%s", f.url);
    } else {
        snprintf(url, sizeof(url), "sqlite:%s/fresh.sqlite", f.dir);
    }
    sl__store_close(s);
    fflush(NULL);
    int pfd[2];
    SL_ASSERT(pipe(pfd) == 0);
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        if (pid[i] == 0) {
            char go;
            close(pfd[1]);
            if (read(pfd[0], &go, 1) != 0)    /* both start when the pipe closes */
                _exit(9);
            sl_store *c;
            if (sl__store_open(url, NULL, &c) != SL_OK)
                _exit(3);
            sl_status st = sl__store_migrate(c);
            sl__store_close(c);
            _exit(st == SL_OK ? 0 : 4);
        }
    }
    close(pfd[0]);
    close(pfd[1]);
    for (int i = 0; i < 2; i++) {
        int ws = 0;
        waitpid(pid[i], &ws, 0);
        SL_CHECKF(t, WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "child %d status %d", i, ws);
    }
    s = NULL;
    SL_CHECK_EQ(t, sl__store_open(url, NULL, &s), SL_OK);
    if (s) {
        size_t nm;
        sl__schema_list(&nm);
        sl_tx *tx;
        int64_t n = 0;
        SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
        SL_CHECK_EQ(t, sl__tx_query_int(tx, "SELECT count(*) FROM store_schema", NULL, 0, &n), SL_OK);
        sl__tx_rollback(tx);
        SL_CHECK_EQ(t, n, (long long)nm);
        SL_CHECK_EQ(t, sl__store_migrate(s), SL_OK);
    }
    sl_t_fx_done(&f, s);
}

/* Read-only transactions: a snapshot that runs beside a writer and refuses
 * to write. */
static sl_status count_fn(sl_tx *tx, void *ctx)
{
    return sl__tx_query_int(tx, "SELECT count(*) FROM store_counter", NULL, 0, ctx);
}

SL_TEST(store, read_only)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl_tx *r = NULL, *w = NULL;
    int64_t n0 = -1, n1 = -1, n2 = -1;
    SL_CHECK_EQ(t, sl__tx_begin_read(s, &r), SL_OK);
    SL_CHECK_EQ(t, sl__tx_query_int(r, "SELECT count(*) FROM store_counter", NULL, 0, &n0), SL_OK);
    /* a writer is not held up by the open reader (no busy wait) */
    uint64_t t0 = sl_time_mono_ns();
    SL_CHECK_EQ(t, sl__tx_begin(s, &w), SL_OK);
    SL_CHECK_EQ(t, sl__store_counter(w, "ro", 1, NULL), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(w), SL_OK);
    double ms = (double)(sl_time_mono_ns() - t0) / 1e6;
    SL_CHECKF(t, ms < 1000, "writer waited %.0f ms for the reader", ms);
    /* the reader keeps its snapshot */
    SL_CHECK_EQ(t, sl__tx_query_int(r, "SELECT count(*) FROM store_counter", NULL, 0, &n1), SL_OK);
    SL_CHECK_EQ(t, n1, n0);
    /* and may not write */
    SL_CHECK_EQ(t, sl__store_counter(r, "ro", 1, NULL), SL_ERR_STORE_PARAM);
    SL_CHECK_EQ(t, sl__tx_commit(r), SL_ERR_STORE_PARAM);
    SL_CHECK_EQ(t, sl__store_run_read(s, count_fn, &n2), SL_OK);
    SL_CHECK_EQ(t, n2, n0 + 1);
    sl_t_fx_done(&f, s);
}
