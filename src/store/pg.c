/*
 * pg.c -- the PostgreSQL 15 backend of the store (store.h), over libpq:
 * several server nodes share one database.
 *
 * Every transaction is BEGIN ISOLATION LEVEL SERIALIZABLE; serialization
 * failures (40001), deadlocks (40P01) and lock timeouts (55P03) become
 * SL_ERR_STORE_BUSY, which sl__store_run retries. Statements are prepared
 * once per connection (PQprepare, named s1, s2, ...) keyed by the SQL text
 * and the parameter types; '?' is rewritten to $1..$n outside quotes and
 * comments. Parameters go as text (integers, reals, text: declared int8,
 * float8, text) or binary (bytea); results come back as text and are
 * converted by column type (int2/4/8, oid -> INT; float4/8, numeric ->
 * REAL; bytea -> BLOB; bool -> INT 0/1; everything else TEXT).
 *
 * Migrations hold a session advisory lock (pg_advisory_lock) so two nodes
 * starting at once apply each migration once; it is taken outside the
 * migration transactions so that each of them sees the other's commits.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define STMT_CACHE 128
#define MIGRATE_LOCK_KEY "727300001"     /* pg_advisory_lock key */

/* type OIDs (catalog/pg_type_d.h is not in libpq-dev) */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23,
       OID_TEXT = 25, OID_OID = 26, OID_FLOAT4 = 700, OID_FLOAT8 = 701,
       OID_NUMERIC = 1700 };

struct pcached {
    char    *key;              /* types signature + '\n' + SQL              */
    char     name[16];
    uint64_t used;
};

struct pg_conn {
    PGconn        *pg;
    struct pcached cache[STMT_CACHE];
    uint64_t       clock;
    unsigned       next_name;
};

static sl_status map_state(const char *sqlstate)
{
    if (!sqlstate)
        return SL_ERR_STORE_IO;
    if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0 ||
        strcmp(sqlstate, "55P03") == 0)
        return SL_ERR_STORE_BUSY;
    if (strncmp(sqlstate, "23", 2) == 0)
        return SL_ERR_STORE_CONSTRAINT;
    if (strncmp(sqlstate, "08", 2) == 0)
        return SL_ERR_STORE_CONNECT;
    if (strcmp(sqlstate, "22021") == 0 || strcmp(sqlstate, "22P02") == 0)
        return SL_ERR_STORE_PARAM;     /* bad encoding / bad text for type */
    if (strcmp(sqlstate, "25006") == 0)
        return SL_ERR_STORE_PARAM;     /* a write in a read-only transaction */
    return SL_ERR_STORE_IO;
}

/* Message without the trailing newline; no parameter values (libpq's
 * primary message may quote a value for some type errors: we keep only
 * the SQLSTATE and the primary text, cut to the buffer). */
static sl_status fail_res(struct pg_conn *c, PGresult *res, char *err, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!msg)
        msg = PQerrorMessage(c->pg);
    sl__store_err(err, "postgresql %s: %s [%s]", what, msg, state ? state : "-");
    size_t n = strlen(err);
    while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
        err[--n] = 0;
    sl_status st = map_state(state);
    if (!res && PQstatus(c->pg) != CONNECTION_OK)
        st = SL_ERR_STORE_CONNECT;
    return st;
}

static void pg_disconnect(void *conn)
{
    struct pg_conn *c = conn;
    if (!c)
        return;
    for (int i = 0; i < STMT_CACHE; i++)
        sl__free(c->cache[i].key);
    PQfinish(c->pg);
    sl__free(c);
}

static sl_status simple(struct pg_conn *c, const char *sql, char *err)
{
    PGresult *res = PQexec(c->pg, sql);
    ExecStatusType t = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    sl_status st = SL_OK;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
        st = fail_res(c, res, err, sql);
    PQclear(res);
    return st;
}

static sl_status pg_connect(sl_store *s, void **out, char *err)
{
    struct pg_conn *c = sl__calloc(1, sizeof(*c));
    if (!c) {
        sl__store_err(err, "out of memory");
        return SL_ERR_NOMEM;
    }
    c->pg = PQconnectdb(s->target);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        sl__store_err(err, "postgresql connect: %s",
                      c->pg ? PQerrorMessage(c->pg) : "out of memory");
        size_t n = strlen(err);
        while (n && err[n - 1] == '\n')
            err[--n] = 0;
        pg_disconnect(c);
        return SL_ERR_STORE_CONNECT;
    }
    char sql[128];
    snprintf(sql, sizeof(sql),
             "SET lock_timeout = %d; SET client_min_messages = warning; "
             "SET TIME ZONE 'UTC'", s->busy_timeout_ms);
    sl_status st = simple(c, sql, err);
    if (st != SL_OK) {
        pg_disconnect(c);
        return SL_ERR_STORE_CONNECT;
    }
    *out = c;
    return SL_OK;
}

static bool pg_usable(void *conn)
{
    struct pg_conn *c = conn;
    return PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

static void pg_rollback(void *conn);

static sl_status pg_begin(void *conn, unsigned flags, char *err)
{
    sl_status st = simple(conn, (flags & SL_TXF_READ)
                                    ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                    : "BEGIN ISOLATION LEVEL SERIALIZABLE", err);
    if (st == SL_OK && (flags & SL_TXF_LAZY) && !(flags & SL_TXF_READ)) {
        st = simple(conn, "SET LOCAL synchronous_commit TO OFF", err);
        if (st != SL_OK)
            pg_rollback(conn);
    }
    return st;
}

static sl_status pg_commit(void *conn, char *err)
{
    struct pg_conn *c = conn;
    PGresult *res = PQexec(c->pg, "COMMIT");
    sl_status st = SL_OK;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        st = fail_res(c, res, err, "commit");
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {  /* "ROLLBACK": was aborted */
        sl__store_err(err, "postgresql commit: the transaction had failed and was rolled back");
        st = SL_ERR_STORE_IO;
    }
    PQclear(res);
    return st;
}

static void pg_rollback(void *conn)
{
    struct pg_conn *c = conn;
    if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        PQclear(PQexec(c->pg, "ROLLBACK"));
}

/* '?' -> $n outside '...' and "..." and -- comments. */
static char *rewrite(const char *sql, size_t *nparams)
{
    struct sl_buf b;
    sl_buf_init(&b, (size_t)1 << 24);
    size_t k = 0;
    for (const char *p = sql; *p; p++) {
        sl_status st = SL_OK;
        if (*p == '\'' || *p == '"') {
            const char *q = strchr(p + 1, *p);  /* '' inside is two literals: fine */
            size_t len = q ? (size_t)(q - p) + 1 : strlen(p);
            st = sl_buf_append(&b, p, len);
            p += len - 1;
        } else if (p[0] == '-' && p[1] == '-') {
            const char *q = strchr(p, '\n');
            size_t len = q ? (size_t)(q - p) : strlen(p);
            st = sl_buf_append(&b, p, len);
            p += len - 1;
        } else if (*p == '?') {
            st = sl_buf_appendf(&b, "$%zu", ++k);
        } else {
            st = sl_buf_append(&b, p, 1);
        }
        if (st != SL_OK)
            return NULL;
    }
    if (sl_buf_terminate(&b) != SL_OK)
        return NULL;
    *nparams = k;
    return b.data ? (char *)sl_buf_detach(&b, NULL) : sl__strdup("");
}

static unsigned oid_of(sl_vtype t)
{
    switch (t) {
    case SL_V_INT:  return OID_INT8;
    case SL_V_REAL: return OID_FLOAT8;
    case SL_V_TEXT: return OID_TEXT;
    case SL_V_BLOB: return OID_BYTEA;
    default:        return 0;
    }
}

static sl_status prepare(struct pg_conn *c, const char *sql, const sl_val *a, size_t n,
                         const char **name, char *err)
{
    /* key: one letter per parameter type, newline, SQL */
    struct sl_buf kb;
    sl_buf_init(&kb, (size_t)1 << 24);
    for (size_t i = 0; i < n; i++)
        if (sl_buf_append(&kb, &"nirtb"[a[i].t], 1) != SL_OK)
            return SL_ERR_NOMEM;
    if (sl_buf_appendf(&kb, "\n%s", sql) != SL_OK || sl_buf_terminate(&kb) != SL_OK)
        return SL_ERR_NOMEM;
    char *key = (char *)sl_buf_detach(&kb, NULL);

    int lru = 0;
    for (int i = 0; i < STMT_CACHE; i++) {
        if (c->cache[i].key && strcmp(c->cache[i].key, key) == 0) {
            c->cache[i].used = ++c->clock;
            *name = c->cache[i].name;
            sl__free(key);
            return SL_OK;
        }
        if (c->cache[i].used < c->cache[lru].used)
            lru = i;
    }
    size_t np = 0;
    char *q = rewrite(sql, &np);
    if (!q) {
        sl__free(key);
        return SL_ERR_NOMEM;
    }
    if (np != n) {
        sl__store_err(err, "postgresql: statement has %zu parameters, %zu given", np, n);
        sl__free(q);
        sl__free(key);
        return SL_ERR_STORE_PARAM;
    }
    Oid *types = sl__calloc(n ? n : 1, sizeof(*types));
    if (!types) {
        sl__free(q);
        sl__free(key);
        return SL_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        types[i] = oid_of(a[i].t);
    struct pcached *e = &c->cache[lru];
    if (e->key) {                                  /* evict: drop on server */
        char dealloc[48];
        snprintf(dealloc, sizeof(dealloc), "DEALLOCATE %s", e->name);
        PQclear(PQexec(c->pg, dealloc));
        sl__free(e->key);
        e->key = NULL;
    }
    char nm[16];
    snprintf(nm, sizeof(nm), "s%u", ++c->next_name);
    PGresult *res = PQprepare(c->pg, nm, q, (int)n, types);
    sl__free(q);
    sl__free(types);
    sl_status st = SL_OK;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
        st = fail_res(c, res, err, "prepare");
    PQclear(res);
    if (st != SL_OK) {
        sl__free(key);
        return st;
    }
    e->key = key;
    memcpy(e->name, nm, sizeof(nm));
    e->used = ++c->clock;
    *name = e->name;
    return SL_OK;
}

static sl_status read_rows(PGresult *res, sl_rows **out)
{
    int nr = PQntuples(res), nc = PQnfields(res);
    sl_rows *r = sl__rows_new((size_t)nc);
    if (!r)
        return SL_ERR_NOMEM;
    sl_status st = SL_OK;
    for (int j = 0; j < nc && st == SL_OK; j++)
        st = sl__rows_set_name(r, (size_t)j, PQfname(res, j));
    for (int i = 0; i < nr && st == SL_OK; i++) {
        st = sl__rows_push(r);
        for (int j = 0; j < nc && st == SL_OK; j++) {
            struct sl_cell *cl = sl__rows_cell(r, (size_t)i, (size_t)j);
            if (PQgetisnull(res, i, j))
                continue;                          /* stays SL_V_NULL */
            const char *v = PQgetvalue(res, i, j);
            switch (PQftype(res, j)) {
            case OID_INT2: case OID_INT4: case OID_INT8: case OID_OID:
                cl->t = SL_V_INT;
                cl->i = strtoll(v, NULL, 10);
                break;
            case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC:
                cl->t = SL_V_REAL;
                cl->r = strtod(v, NULL);
                break;
            case OID_BOOL:
                cl->t = SL_V_INT;
                cl->i = v[0] == 't';
                break;
            case OID_BYTEA: {
                size_t n = 0;
                unsigned char *b = PQunescapeBytea((const unsigned char *)v, &n);
                if (!b) {
                    st = SL_ERR_NOMEM;
                    break;
                }
                st = sl__cell_set_bytes(cl, SL_V_BLOB, b, n);
                PQfreemem(b);
                break;
            }
            default:
                st = sl__cell_set_bytes(cl, SL_V_TEXT, v, (size_t)PQgetlength(res, i, j));
                break;
            }
        }
    }
    if (st != SL_OK) {
        sl__rows_free(r);
        return st;
    }
    *out = r;
    return SL_OK;
}

static sl_status pg_stmt(void *conn, const char *sql, const sl_val *a, size_t n,
                         int64_t *changes, sl_rows **rows, char *err)
{
    struct pg_conn *c = conn;
    if (n > 65535) {
        sl__store_err(err, "postgresql: too many parameters");
        return SL_ERR_STORE_PARAM;
    }
    const char *name;
    sl_status st = prepare(c, sql, a, n, &name, err);
    if (st != SL_OK)
        return st;
    size_t cnt = n ? n : 1;
    const char **vals = sl__calloc(cnt, sizeof(*vals));
    int *lens = sl__calloc(cnt, sizeof(*lens));
    int *fmts = sl__calloc(cnt, sizeof(*fmts));
    char **owned = sl__calloc(cnt, sizeof(*owned));
    if (!vals || !lens || !fmts || !owned)
        st = SL_ERR_NOMEM;
    for (size_t i = 0; i < n && st == SL_OK; i++) {
        char num[40];
        switch (a[i].t) {
        case SL_V_INT:
            snprintf(num, sizeof(num), "%lld", (long long)a[i].i);
            owned[i] = sl__strdup(num);
            break;
        case SL_V_REAL:
            snprintf(num, sizeof(num), "%.17g", a[i].r);
            owned[i] = sl__strdup(num);
            break;
        case SL_V_TEXT:
            owned[i] = sl__malloc(a[i].n + 1);
            if (owned[i]) {
                if (a[i].n)
                    memcpy(owned[i], a[i].p, a[i].n);
                owned[i][a[i].n] = 0;
            }
            break;
        case SL_V_BLOB:
            if (a[i].n > (size_t)INT32_MAX) {
                sl__store_err(err, "postgresql: blob too large");
                st = SL_ERR_STORE_PARAM;
                break;
            }
            vals[i] = a[i].n ? a[i].p : "";
            lens[i] = (int)a[i].n;
            fmts[i] = 1;
            continue;
        default:
            vals[i] = NULL;
            continue;
        }
        if (st == SL_OK && !owned[i])
            st = SL_ERR_NOMEM;
        vals[i] = owned[i];
    }
    PGresult *res = NULL;
    if (st == SL_OK) {
        res = PQexecPrepared(c->pg, name, (int)n, vals, lens, fmts, 0);
        ExecStatusType t = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        if (t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK) {
            if (changes) {
                const char *ct = PQcmdTuples(res);
                *changes = *ct ? strtoll(ct, NULL, 10) : 0;
            }
            if (rows)
                st = read_rows(res, rows);
        } else {
            st = fail_res(c, res, err, "statement");
        }
    }
    PQclear(res);
    for (size_t i = 0; owned && i < n; i++)
        sl__free(owned[i]);
    sl__free(owned);
    sl__free(vals);
    sl__free(lens);
    sl__free(fmts);
    return st;
}

static sl_status pg_script(void *conn, const char *sql, char *err)
{
    return simple(conn, sql, err);
}

static sl_status pg_migrate_lock(void *conn, bool lock, char *err)
{
    return simple(conn, lock ? "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")"
                             : "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", err);
}

const struct sl_store_ops sl__store_pg_ops = {
    .name = "postgresql",
    .tokens = { "BIGSERIAL PRIMARY KEY", "BIGINT", "DOUBLE PRECISION", "BYTEA", "TEXT" },
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .usable = pg_usable,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .stmt = pg_stmt,
    .script = pg_script,
    .migrate_lock = pg_migrate_lock,
    .backup = NULL,
};
