/*
 * sqlite.c -- the SQLite backend of the store (store.h): the embedded
 * default for one hall.
 *
 * Each pooled connection is opened with: journal_mode=WAL (readers never
 * block the writer), synchronous=FULL (every commit fsyncs the WAL: an
 * acknowledged write survives a crash and a power cut), foreign_keys=ON,
 * busy_timeout (waits for another writer, thread or process, instead of
 * failing at once). Transactions are BEGIN IMMEDIATE, so the writer lock is
 * taken before the first read and a transaction never has to be restarted
 * for a stale snapshot (SQLITE_BUSY_SNAPSHOT cannot happen).
 *
 * Prepared statements are cached per connection (SQL text -> statement,
 * least recently used dropped beyond STMT_CACHE).
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"

#define STMT_CACHE 64

struct cached {
    char         *sql;
    sqlite3_stmt *st;
    uint64_t      used;           /* LRU clock                           */
};

struct sq_conn {
    sqlite3      *db;
    bool          read_only;      /* the open transaction is read-only   */
    bool          lazy;           /* synchronous=NORMAL until it ends    */
    struct cached cache[STMT_CACHE];
    uint64_t      clock;
};

static sl_status map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW:
        return SL_OK;
    case SQLITE_BUSY: case SQLITE_LOCKED:
        return SL_ERR_STORE_BUSY;
    case SQLITE_CONSTRAINT:
        return SL_ERR_STORE_CONSTRAINT;
    case SQLITE_NOMEM:
        return SL_ERR_NOMEM;
    case SQLITE_RANGE: case SQLITE_TOOBIG:
        return SL_ERR_STORE_PARAM;
    default:
        return SL_ERR_STORE_IO;
    }
}

static sl_status fail(sqlite3 *db, int rc, char *err, const char *what)
{
    sl__store_err(err, "sqlite %s: %s (%d)", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
    return map_rc(rc);
}

static void sq_disconnect(void *conn)
{
    struct sq_conn *c = conn;
    if (!c)
        return;
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(c->cache[i].st);
        sl__free(c->cache[i].sql);
    }
    sqlite3_close(c->db);
    sl__free(c);
}

static sl_status sq_connect(sl_store *s, void **out, char *err)
{
    struct sq_conn *c = sl__calloc(1, sizeof(*c));
    if (!c) {
        sl__store_err(err, "out of memory");
        return SL_ERR_NOMEM;
    }
    /* a new database holds personal data: owner-only (0600) from the start;
     * SQLite gives its -wal and -shm files the same mode */
    int fd = open(s->target, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    int rc = sqlite3_open_v2(s->target, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        fail(c->db, rc, err, "open");
        sq_disconnect(c);
        return SL_ERR_STORE_CONNECT;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, s->busy_timeout_ms);
    /* journal_mode=WAL is persistent in the file; setting it again is a
     * no-op, but the first switch needs a moment without other users */
    static const char *const pragmas[] = {
        "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
        "PRAGMA foreign_keys=ON",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(pragmas); i++) {
        rc = sqlite3_exec(c->db, pragmas[i], NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            fail(c->db, rc, err, pragmas[i]);
            sq_disconnect(c);
            return SL_ERR_STORE_CONNECT;
        }
    }
    *out = c;
    return SL_OK;
}

static bool sq_usable(void *conn)
{
    struct sq_conn *c = conn;
    return sqlite3_get_autocommit(c->db) != 0;   /* no transaction left open */
}

static sl_status simple(struct sq_conn *c, const char *sql, char *err)
{
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? SL_OK : fail(c->db, rc, err, sql);
}

/* A lazy transaction's connection goes back to synchronous=FULL when the
 * transaction ends (the pragma is the connection's, set outside a
 * transaction). */
static void sq_unlazy(struct sq_conn *c)
{
    if (c->lazy) {
        sqlite3_exec(c->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
        c->lazy = false;
    }
}

static sl_status sq_begin(void *conn, unsigned flags, char *err)
{
    struct sq_conn *c = conn;
    c->read_only = flags & SL_TXF_READ;
    if ((flags & SL_TXF_LAZY) && !c->read_only) {
        sl_status st = simple(c, "PRAGMA synchronous=NORMAL", err);
        if (st != SL_OK)
            return st;
        c->lazy = true;
    }
    sl_status st = simple(c, c->read_only ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE", err);
    if (st != SL_OK)
        sq_unlazy(c);
    return st;
}

static sl_status sq_commit(void *conn, char *err)
{
    sl_status st = simple(conn, "COMMIT", err);
    if (st == SL_OK || sqlite3_get_autocommit(((struct sq_conn *)conn)->db))
        sq_unlazy(conn);
    return st;
}

static void sq_rollback(void *conn)
{
    struct sq_conn *c = conn;
    if (!sqlite3_get_autocommit(c->db))
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
    sq_unlazy(c);
}

static sl_status prepare(struct sq_conn *c, const char *sql, sqlite3_stmt **out, char *err)
{
    int lru = 0;
    for (int i = 0; i < STMT_CACHE; i++) {
        if (c->cache[i].sql && strcmp(c->cache[i].sql, sql) == 0) {
            c->cache[i].used = ++c->clock;
            *out = c->cache[i].st;
            return SL_OK;
        }
        if (c->cache[i].used < c->cache[lru].used)
            lru = i;
    }
    sqlite3_stmt *st = NULL;
    const char *tail;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
    if (rc != SQLITE_OK)
        return fail(c->db, rc, err, "prepare");
    if (!st) {
        sl__store_err(err, "sqlite prepare: empty statement");
        return SL_ERR_STORE_PARAM;
    }
    while (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';')
        tail++;
    if (*tail) {
        sqlite3_finalize(st);
        sl__store_err(err, "sqlite prepare: more than one statement");
        return SL_ERR_STORE_PARAM;
    }
    char *copy = sl__strdup(sql);
    if (!copy) {
        sqlite3_finalize(st);
        return SL_ERR_NOMEM;
    }
    sqlite3_finalize(c->cache[lru].st);
    sl__free(c->cache[lru].sql);
    c->cache[lru] = (struct cached){ copy, st, ++c->clock };
    *out = st;
    return SL_OK;
}

static sl_status bind(struct sq_conn *c, sqlite3_stmt *st, const sl_val *a, size_t n, char *err)
{
    if ((size_t)sqlite3_bind_parameter_count(st) != n) {
        sl__store_err(err, "sqlite: statement has %d parameters, %zu given",
                      sqlite3_bind_parameter_count(st), n);
        return SL_ERR_STORE_PARAM;
    }
    for (size_t i = 0; i < n; i++) {
        int k = (int)i + 1, rc;
        switch (a[i].t) {
        case SL_V_INT:  rc = sqlite3_bind_int64(st, k, a[i].i); break;
        case SL_V_REAL: rc = sqlite3_bind_double(st, k, a[i].r); break;
        case SL_V_TEXT: rc = sqlite3_bind_text64(st, k, a[i].n ? a[i].p : "", a[i].n,
                                                 SQLITE_STATIC, SQLITE_UTF8); break;
        case SL_V_BLOB: rc = a[i].n ? sqlite3_bind_blob64(st, k, a[i].p, a[i].n, SQLITE_STATIC)
                                    : sqlite3_bind_zeroblob(st, k, 0); break;
        default:        rc = sqlite3_bind_null(st, k); break;
        }
        if (rc != SQLITE_OK)
            return fail(c->db, rc, err, "bind");
    }
    return SL_OK;
}

static sl_status read_row(sqlite3_stmt *st, sl_rows *r)
{
    sl_status s = sl__rows_push(r);
    if (s != SL_OK)
        return s;
    for (size_t j = 0; j < r->cols && s == SL_OK; j++) {
        struct sl_cell *cl = sl__rows_cell(r, r->count - 1, j);
        int k = (int)j;
        switch (sqlite3_column_type(st, k)) {
        case SQLITE_INTEGER:
            cl->t = SL_V_INT;
            cl->i = sqlite3_column_int64(st, k);
            break;
        case SQLITE_FLOAT:
            cl->t = SL_V_REAL;
            cl->r = sqlite3_column_double(st, k);
            break;
        case SQLITE_TEXT: {
            const unsigned char *p = sqlite3_column_text(st, k);
            s = sl__cell_set_bytes(cl, SL_V_TEXT, p, (size_t)sqlite3_column_bytes(st, k));
            break;
        }
        case SQLITE_BLOB: {
            const void *p = sqlite3_column_blob(st, k);
            s = sl__cell_set_bytes(cl, SL_V_BLOB, p, (size_t)sqlite3_column_bytes(st, k));
            break;
        }
        default:
            cl->t = SL_V_NULL;
            break;
        }
    }
    return s;
}

static sl_status sq_stmt(void *conn, const char *sql, const sl_val *a, size_t n,
                         int64_t *changes, sl_rows **rows, char *err)
{
    struct sq_conn *c = conn;
    sqlite3_stmt *st = NULL;
    sl_status s = prepare(c, sql, &st, err);
    if (s != SL_OK)
        return s;
    if (c->read_only && !sqlite3_stmt_readonly(st)) {
        sl__store_err(err, "sqlite: a write in a read-only transaction");
        return SL_ERR_STORE_PARAM;
    }
    s = bind(c, st, a, n, err);
    sl_rows *r = NULL;
    if (s == SL_OK && rows) {
        r = sl__rows_new((size_t)sqlite3_column_count(st));
        if (!r)
            s = SL_ERR_NOMEM;
        for (size_t j = 0; r && j < r->cols && s == SL_OK; j++)
            s = sl__rows_set_name(r, j, sqlite3_column_name(st, (int)j));
    }
    while (s == SL_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            s = fail(c->db, rc, err, "step");
            break;
        }
        if (r)
            s = read_row(st, r);
    }
    if (s == SL_OK && changes)
        *changes = sqlite3_changes64(c->db);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (s != SL_OK) {
        sl__rows_free(r);
        return s;
    }
    if (rows)
        *rows = r;
    return SL_OK;
}

static sl_status sq_script(void *conn, const char *sql, char *err)
{
    struct sq_conn *c = conn;
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        sl__store_err(err, "sqlite: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return map_rc(rc);
    }
    return SL_OK;
}

/* Online backup into dest.tmp, then rename: dest is either the old file or
 * a complete copy, never half a database. */
static sl_status sq_backup(void *conn, const char *dest, char *err)
{
    struct sq_conn *c = conn;
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", dest) >= sizeof(tmp)) {
        sl__store_err(err, "destination path too long");
        return SL_ERR_STORE_BACKUP;
    }
    unlink(tmp);
    sqlite3 *out = NULL;
    int rc = sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        fail(out, rc, err, "backup open");
        sqlite3_close(out);
        return SL_ERR_STORE_BACKUP;
    }
    sqlite3_backup *b = sqlite3_backup_init(out, "main", c->db, "main");
    if (!b) {
        fail(out, sqlite3_errcode(out), err, "backup init");
        sqlite3_close(out);
        unlink(tmp);
        return SL_ERR_STORE_BACKUP;
    }
    do {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(10);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    int frc = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE || frc != SQLITE_OK) {
        fail(out, rc != SQLITE_DONE ? rc : frc, err, "backup");
        sqlite3_close(out);
        unlink(tmp);
        return SL_ERR_STORE_BACKUP;
    }
    /* the copy is a plain rollback-journal database; make it durable */
    rc = sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    sqlite3_close(out);
    if (rc != SQLITE_OK || rename(tmp, dest) != 0) {
        sl__store_err(err, "backup: cannot finish %s: %s", dest, strerror(errno));
        unlink(tmp);
        return SL_ERR_STORE_BACKUP;
    }
    return SL_OK;
}

const struct sl_store_ops sl__store_sqlite_ops = {
    .name = "sqlite",
    .tokens = { "INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "REAL", "BLOB", "TEXT" },
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .usable = sq_usable,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .stmt = sq_stmt,
    .script = sq_script,
    .migrate_lock = NULL,
    .backup = sq_backup,
};
