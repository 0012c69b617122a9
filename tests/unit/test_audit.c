/*
 * test_audit.c -- the audit chain (src/audit/) on SQLite, or PostgreSQL
 * with SL_TEST_STORE_URL (see test_store_fx.h): a chain verifies; each kind
 * of tampering done with plain SQL (edit, delete, delete + renumber,
 * insert, reorder, truncate, truncate + head rolled back, forged
 * checkpoint) is reported with the right record number and kind; appends
 * from two processes keep one valid chain; queries filter.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit.h"
#include "test.h"
#include "test_store_fx.h"

#define NREC 250
#define T0   1800000000000LL          /* record times: T0 + 10 ms * i */

static sl_keyring *keys(struct sl_t *t, const struct sl_t_fx *f, sl_suite suite)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/keys", f->dir);
    sl_keyring *k = NULL;
    sl_status st = sl__keyring_open(path, suite, true, &k);
    SL_CHECKF(t, st == SL_OK, "keyring: %s", sl_status_name(st));
    return k;
}

static int64_t time_shift;            /* rewrite tests: other record times */

static void rec_for(int i, struct sl_audit_rec *r, char *buf, size_t cap, uint8_t pidx[32])
{
    snprintf(buf, cap, "req-%d", i);
    memset(pidx, i % 7, 32);
    *r = (struct sl_audit_rec){
        .actor_kind = i % 3 ? "staff" : "device",
        .actor_id = i % 2 ? "clerk1" : "window-3",
        .action = i % 5 ? "face.compare" : "person.read",
        .object_type = "person", .object_id = "p-42",
        .id_masked = i % 7 ? "4101**********1234" : "1101**********0018",
        .person_idx = pidx,
        .purpose = i % 4 ? "matter-7" : NULL,
        .outcome = "ok", .request_id = buf,
        .at_ms = T0 + 10 * (int64_t)i + time_shift,
    };
}

/* Appends records first..last (1-based) in one transaction. */
static sl_status build(sl_store *s, const sl_keyring *k, int first, int last)
{
    sl_tx *tx;
    sl_status st = sl__tx_begin(s, &tx);
    for (int i = first; st == SL_OK && i <= last; i++) {
        struct sl_audit_rec r;
        char req[32];
        uint8_t pidx[32];
        rec_for(i, &r, req, sizeof(req), pidx);
        int64_t seq = 0;
        st = sl__audit_append(tx, k, &r, &seq);
        if (st == SL_OK && seq != i)
            st = SL_ERR_INTERNAL;
    }
    if (st != SL_OK) {
        if (tx)
            sl__tx_rollback(tx);
        return st;
    }
    return sl__tx_commit(tx);
}

SL_TEST(audit, chain_ok)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl_keyring *k = keys(t, &f, SL_SUITE_GM);
    SL_CHECK_EQ(t, build(s, k, 1, NREC), SL_OK);
    struct sl_audit_report rep;
    SL_CHECK_EQ(t, sl__audit_verify(s, k, NULL, &rep), SL_OK);
    SL_CHECKF(t, rep.ok, "%s", rep.detail);
    SL_CHECK_EQ(t, rep.records, NREC);
    SL_CHECK_EQ(t, rep.head, NREC);
    SL_CHECK_EQ(t, rep.checkpoints, 3);       /* at 1, 101, 201 */
    /* an explicit checkpoint of the head, then more records */
    sl_tx *tx;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__audit_checkpoint(tx, k, T0 + 99999), SL_OK);
    SL_CHECK_EQ(t, sl__audit_checkpoint(tx, k, T0 + 99999), SL_OK);  /* no-op */
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    SL_CHECK_EQ(t, build(s, k, NREC + 1, NREC + 5), SL_OK);
    struct sl_audit_anchor an = { .seq = NREC + 5 };
    SL_CHECK_EQ(t, sl__audit_verify(s, k, &an, &rep), SL_OK);
    SL_CHECKF(t, rep.ok, "%s", rep.detail);
    SL_CHECK_EQ(t, rep.checkpoints, 4);
    /* with a keyring that does not hold the chain's key: everything fails */
    struct sl_t_fx f2;
    memset(&f2, 0, sizeof(f2));
    if ((size_t)snprintf(f2.dir, sizeof(f2.dir), "%.200s/other", f.dir) >= sizeof(f2.dir))
        return;
    SL_CHECK(t, mkdir(f2.dir, 0700) == 0);
    sl_keyring *k2 = keys(t, &f2, SL_SUITE_GM);
    SL_CHECK_EQ(t, sl__audit_verify(s, k2, NULL, &rep), SL_OK);
    SL_CHECK(t, !rep.ok && rep.first_bad == 1);
    sl__keyring_free(k2);
    /* bad records are refused */
    struct sl_audit_rec bad = { .actor_kind = "staff", .outcome = "ok" };
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__audit_append(tx, k, &bad, NULL), SL_ERR_AUDIT_FIELD);
    char big[SL_AUDIT_FIELD_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    bad.action = big;
    SL_CHECK_EQ(t, sl__audit_append(tx, k, &bad, NULL), SL_ERR_AUDIT_FIELD);
    sl__tx_rollback(tx);
    sl__keyring_free(k);
    sl_t_fx_done(&f, s);
}

/* One tampering case: fresh chain of NREC, the SQL, then verify. */
struct tamper {
    const char *name;
    const char *sql[4];
    int64_t     expect_min;
    int64_t     want_seq;
    const char *want_kind;
};

static const struct tamper cases[] = {
    { "edit", { "UPDATE audit_log SET outcome = 'denied' WHERE seq = 37" }, 0, 37, "edited" },
    { "edit_time", { "UPDATE audit_log SET at_ms = at_ms + 1 WHERE seq = 120" }, 0, 120, "edited" },
    { "edit_masked_id", { "UPDATE audit_log SET id_masked = NULL WHERE seq = 1" }, 0, 1, "edited" },
    { "delete", { "DELETE FROM audit_log WHERE seq = 37" }, 0, 37, "deleted" },
    { "delete_renumber", { "DELETE FROM audit_log WHERE seq = 37",
                           "UPDATE audit_log SET seq = -(seq - 1) WHERE seq > 37",
                           "UPDATE audit_log SET seq = -seq WHERE seq < 0",
                           "UPDATE audit_head SET seq = seq - 1" }, 0, 37, "deleted" },
    { "insert", { "UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 37",
                  "UPDATE audit_log SET seq = -seq WHERE seq < 0",
                  /* a forged record 37: copies 38's fields, links to 36 */
                  "INSERT INTO audit_log (seq, at_ms, actor_kind, actor_id, action, object_type,"
                  " object_id, id_masked, person_idx, purpose, outcome, request_id, prev, hash)"
                  " SELECT 37, at_ms, actor_kind, 'intruder', action, object_type, object_id,"
                  " id_masked, person_idx, purpose, outcome, request_id, prev, hash"
                  " FROM audit_log WHERE seq = 38",
                  "UPDATE audit_head SET seq = seq + 1" }, 0, 37, "inserted" },
    { "insert_tail", { "INSERT INTO audit_log (seq, at_ms, actor_kind, actor_id, action, object_type,"
                       " object_id, id_masked, person_idx, purpose, outcome, request_id, prev, hash)"
                       " SELECT 251, at_ms, actor_kind, actor_id, action, object_type, object_id,"
                       " id_masked, person_idx, purpose, outcome, request_id, hash, hash"
                       " FROM audit_log WHERE seq = 250" }, 0, 251, "inserted" },
    { "reorder", { "UPDATE audit_log SET seq = -1 WHERE seq = 37",
                   "UPDATE audit_log SET seq = 37 WHERE seq = 38",
                   "UPDATE audit_log SET seq = 38 WHERE seq = -1" }, 0, 37, "reordered" },
    { "truncate", { "DELETE FROM audit_log WHERE seq > 240" }, 0, 241, "truncated" },
    /* the tail and the head rolled back: the checkpoint at 201 still names it */
    { "truncate_head", { "DELETE FROM audit_log WHERE seq > 150",
                         "UPDATE audit_head SET seq = 150, hash = "
                         "(SELECT hash FROM audit_log WHERE seq = 150)" }, 0, 151, "truncated" },
    /* ... and the checkpoints too: only an outside number can tell */
    { "truncate_all", { "DELETE FROM audit_log WHERE seq > 150",
                        "DELETE FROM audit_checkpoint WHERE seq > 150",
                        "UPDATE audit_head SET seq = 150, hash = "
                        "(SELECT hash FROM audit_log WHERE seq = 150)" }, 250, 151, "truncated" },
    { "head_deleted", { "DELETE FROM audit_head" }, 0, 251, "truncated" },
    { "checkpoint", { "UPDATE audit_checkpoint SET at_ms = at_ms + 1 WHERE seq = 101" }, 0, 101,
      "checkpoint" },
};

static void run_case(struct sl_t *t, const struct tamper *c)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl_keyring *k = keys(t, &f, SL_SUITE_GM);
    SL_CHECK_EQ(t, build(s, k, 1, NREC), SL_OK);
    for (size_t i = 0; i < SL_ARRAY_LEN(c->sql) && c->sql[i]; i++)
        SL_CHECKF(t, sl_t_exec1(s, c->sql[i]) == SL_OK, "%s: %s", c->name, c->sql[i]);
    struct sl_audit_report rep;
    struct sl_audit_anchor an = { .seq = c->expect_min };
    SL_CHECK_EQ(t, sl__audit_verify(s, k, c->expect_min ? &an : NULL, &rep), SL_OK);
    SL_CHECKF(t, !rep.ok && rep.first_bad == c->want_seq && rep.kind &&
                 strcmp(rep.kind, c->want_kind) == 0,
              "%s: want %s at %lld, got ok=%d %s at %lld (%s)", c->name, c->want_kind,
              (long long)c->want_seq, rep.ok, rep.kind ? rep.kind : "-",
              (long long)rep.first_bad, rep.detail);
    if (c->expect_min) {                      /* without the outside number: unseen */
        SL_CHECK_EQ(t, sl__audit_verify(s, k, NULL, &rep), SL_OK);
        SL_CHECK(t, rep.ok);
    }
    sl__keyring_free(k);
    sl_t_fx_done(&f, s);
}

SL_TEST(audit, tamper_edit)        { run_case(t, &cases[0]); run_case(t, &cases[1]); run_case(t, &cases[2]); }
SL_TEST(audit, tamper_delete)      { run_case(t, &cases[3]); run_case(t, &cases[4]); }
SL_TEST(audit, tamper_insert)      { run_case(t, &cases[5]); run_case(t, &cases[6]); }
SL_TEST(audit, tamper_reorder)     { run_case(t, &cases[7]); }
SL_TEST(audit, tamper_truncate)    { run_case(t, &cases[8]); run_case(t, &cases[9]); run_case(t, &cases[10]); run_case(t, &cases[11]); }
SL_TEST(audit, tamper_checkpoint)  { run_case(t, &cases[12]); }

/* Someone holding the key file rewrites the whole chain (new MACs, new
 * signed checkpoints): only a hash known from outside (a logged
 * checkpoint line) shows it. */
SL_TEST(audit, anchor_rewrite)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl_keyring *k = keys(t, &f, SL_SUITE_GM);
    SL_CHECK_EQ(t, build(s, k, 1, NREC), SL_OK);
    struct sl_audit_anchor an = { .seq = 201, .has_hash = true };
    sl_tx *tx;
    sl_rows *r = NULL;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__tx_query(tx, "SELECT hash FROM audit_checkpoint WHERE seq = 201", NULL, 0, &r), SL_OK);
    size_t n = 0;
    const void *h = sl__rows_count(r) ? sl__rows_blob(r, 0, 0, &n) : NULL;
    SL_CHECK(t, h && n == 32);
    if (h && n == 32)
        memcpy(an.hash, h, 32);
    sl__rows_free(r);
    sl__tx_rollback(tx);
    struct sl_audit_report rep;
    SL_CHECK_EQ(t, sl__audit_verify(s, k, &an, &rep), SL_OK);
    SL_CHECKF(t, rep.ok, "%s", rep.detail);
    /* the rewrite */
    SL_CHECK_EQ(t, sl_t_exec1(s, "DELETE FROM audit_log"), SL_OK);
    SL_CHECK_EQ(t, sl_t_exec1(s, "DELETE FROM audit_checkpoint"), SL_OK);
    SL_CHECK_EQ(t, sl_t_exec1(s, "UPDATE audit_head SET seq = 0, hash = NULL, cp_seq = 0, cp_ms = 0"), SL_OK);
    time_shift = 1;
    SL_CHECK_EQ(t, build(s, k, 1, NREC), SL_OK);
    time_shift = 0;
    SL_CHECK_EQ(t, sl__audit_verify(s, k, NULL, &rep), SL_OK);
    SL_CHECK(t, rep.ok);                      /* consistent in itself */
    SL_CHECK_EQ(t, sl__audit_verify(s, k, &an, &rep), SL_OK);
    SL_CHECKF(t, !rep.ok && rep.first_bad == 201 && strcmp(rep.kind, "edited") == 0,
              "got %s at %lld", rep.kind ? rep.kind : "ok", (long long)rep.first_bad);
    sl__keyring_free(k);
    sl_t_fx_done(&f, s);
}

/* ============================ Concurrent appends ========================== */

struct appender { sl_store *s; const sl_keyring *k; int n; sl_status st; };
struct app_ctx { const sl_keyring *k; int i; };

static sl_status append_one(sl_tx *tx, void *ctx);

static void *appender_thread(void *arg)
{
    struct appender *a = arg;
    for (int i = 0; i < a->n && a->st == SL_OK; i++) {
        struct app_ctx c = { a->k, NREC + 1 + i };
        a->st = sl__store_run(a->s, append_one, &c);
    }
    return NULL;
}

/* verify while another thread appends: never a false alarm (the walk stops
 * at the head it read; head, beyond-head and checkpoints in one snapshot) */
SL_TEST(audit, verify_during_appends)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl_keyring *k = keys(t, &f, SL_SUITE_GM);
    SL_CHECK_EQ(t, build(s, k, 1, NREC), SL_OK);
    struct appender a = { s, k, 150, SL_OK };
    pthread_t th;
    pthread_create(&th, NULL, appender_thread, &a);
    int runs = 0, bad = 0;
    struct sl_audit_report rep;
    do {
        SL_CHECK_EQ(t, sl__audit_verify(s, k, NULL, &rep), SL_OK);
        if (!rep.ok) {
            bad++;
            printf("  false alarm: %s (%s)\n", rep.detail, rep.kind);
        }
        runs++;
    } while (runs < 200 && rep.head < NREC + 150);
    pthread_join(th, NULL);
    SL_CHECK_EQ(t, a.st, SL_OK);
    SL_CHECK_EQ(t, bad, 0);
    SL_CHECK(t, runs >= 2);
    SL_CHECK_EQ(t, sl__audit_verify(s, k, NULL, &rep), SL_OK);
    SL_CHECK(t, rep.ok && rep.records == NREC + 150);
    sl__keyring_free(k);
    sl_t_fx_done(&f, s);
}


static sl_status append_one(sl_tx *tx, void *ctx)
{
    struct app_ctx *c = ctx;
    struct sl_audit_rec r;
    char req[32];
    uint8_t pidx[32];
    rec_for(c->i, &r, req, sizeof(req), pidx);
    return sl__audit_append(tx, c->k, &r, NULL);
}

static void child_appender(const char *url, const char *keyfile, int base, int n)
{
    sl_store *s;
    sl_keyring *k;
    if (sl__store_open(url, NULL, &s) != SL_OK)
        _exit(3);
    if (sl__keyring_open(keyfile, SL_SUITE_GM, false, &k) != SL_OK)
        _exit(4);
    for (int i = 0; i < n; i++) {
        struct app_ctx c = { k, base + i };
        if (sl__store_run(s, append_one, &c) != SL_OK)
            _exit(5);
    }
    sl__keyring_free(k);
    sl__store_close(s);
    _exit(0);
}

SL_TEST(audit, concurrent_processes)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl_keyring *k = keys(t, &f, SL_SUITE_GM);
    char keyfile[400];
    snprintf(keyfile, sizeof(keyfile), "%s/keys", f.dir);
    fflush(NULL);
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        if (pid[i] == 0)
            child_appender(f.url, keyfile, 1000 * (i + 1), 120);
    }
    for (int i = 0; i < 2; i++) {
        int ws = 0;
        waitpid(pid[i], &ws, 0);
        SL_CHECKF(t, WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "child %d status %d", i, ws);
    }
    struct sl_audit_report rep;
    struct sl_audit_anchor an = { .seq = 240 };
    SL_CHECK_EQ(t, sl__audit_verify(s, k, &an, &rep), SL_OK);
    SL_CHECKF(t, rep.ok, "%s", rep.detail);
    SL_CHECK_EQ(t, rep.records, 240);
    SL_CHECK(t, rep.checkpoints >= 2);
    struct sl_store_stats st;
    sl__store_stats(s, &st);
    printf("  %s: 2 processes x 120 appends: one chain of %lld records, %lld checkpoints\n",
           sl__store_kind_name(s), (long long)rep.records, (long long)rep.checkpoints);
    sl__keyring_free(k);
    sl_t_fx_done(&f, s);
}

SL_TEST(audit, intl_suite)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl_keyring *k = keys(t, &f, SL_SUITE_INTL);
    SL_CHECK_EQ(t, build(s, k, 1, 120), SL_OK);
    struct sl_audit_report rep;
    SL_CHECK_EQ(t, sl__audit_verify(s, k, NULL, &rep), SL_OK);
    SL_CHECKF(t, rep.ok, "%s", rep.detail);
    SL_CHECK_EQ(t, rep.checkpoints, 2);
    SL_CHECK_EQ(t, sl_t_exec1(s, "UPDATE audit_log SET purpose = 'x' WHERE seq = 60"), SL_OK);
    SL_CHECK_EQ(t, sl__audit_verify(s, k, NULL, &rep), SL_OK);
    SL_CHECK(t, !rep.ok && rep.first_bad == 60 && strcmp(rep.kind, "edited") == 0);
    sl__keyring_free(k);
    sl_t_fx_done(&f, s);
}

/* ============================ Query ======================================= */

static size_t query_count(struct sl_t *t, sl_store *s, const struct sl_audit_filter *fl,
                          json_t **keep)
{
    sl_tx *tx;
    json_t *a = NULL;
    if (sl__tx_begin(s, &tx) != SL_OK)
        return (size_t)-1;
    sl_status st = sl__audit_query(tx, fl, &a);
    sl__tx_rollback(tx);
    SL_CHECKF(t, st == SL_OK, "query: %s", sl_status_name(st));
    size_t n = a ? json_array_size(a) : (size_t)-1;
    if (keep)
        *keep = a;
    else
        json_decref(a);
    return n;
}

SL_TEST(audit, query)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl_keyring *k = keys(t, &f, SL_SUITE_GM);
    SL_CHECK_EQ(t, build(s, k, 1, 100), SL_OK);
    json_t *a = NULL;
    struct sl_audit_filter fl = { .action = "person.read" };
    SL_CHECK_EQ(t, query_count(t, s, &fl, &a), 20);      /* i % 5 == 0 */
    json_t *o = json_array_get(a, 0);
    SL_CHECK(t, o && json_integer_value(json_object_get(o, "seq")) == 5);
    SL_CHECK(t, strcmp(sl_json_str(json_object_get(o, "actor"), "id", ""), "window-3") == 0 ||
                strcmp(sl_json_str(json_object_get(o, "actor"), "id", ""), "clerk1") == 0);
    SL_CHECK(t, strcmp(sl_json_str(o, "request_id", ""), "req-5") == 0);
    SL_CHECK(t, strlen(sl_json_str(o, "hash", "")) == 64);
    SL_CHECK(t, strncmp(sl_json_str(o, "at", ""), "2027-01-15T", 11) == 0);
    json_decref(a);
    /* by person: masked id, or blind index (hex) */
    fl = (struct sl_audit_filter){ .person = "1101**********0018" };
    SL_CHECK_EQ(t, query_count(t, s, &fl, NULL), 14);    /* i % 7 == 0 */
    fl = (struct sl_audit_filter){ .person = "0303030303030303030303030303030303030303030303030303030303030303" };
    SL_CHECK_EQ(t, query_count(t, s, &fl, NULL), 14);    /* i % 7 == 3 */
    /* time window [from, to), paging, limit */
    fl = (struct sl_audit_filter){ .from_ms = T0 + 100, .to_ms = T0 + 200 };
    SL_CHECK_EQ(t, query_count(t, s, &fl, NULL), 10);
    fl = (struct sl_audit_filter){ .after_seq = 90 };
    SL_CHECK_EQ(t, query_count(t, s, &fl, NULL), 10);
    fl = (struct sl_audit_filter){ .limit = 7 };
    SL_CHECK_EQ(t, query_count(t, s, &fl, NULL), 7);
    fl = (struct sl_audit_filter){ .limit = 5000 };
    sl_tx *tx;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    SL_CHECK_EQ(t, sl__audit_query(tx, &fl, &a), SL_ERR_INVALID);
    sl__tx_rollback(tx);
    /* SQL metacharacters in a filter are a value, not SQL */
    fl = (struct sl_audit_filter){ .action = "x' OR '1'='1" };
    SL_CHECK_EQ(t, query_count(t, s, &fl, NULL), 0);
    sl__keyring_free(k);
    sl_t_fx_done(&f, s);
}

/* ============================ Allocation failures ========================= */

/* open, append, query, verify, close: with the k-th allocation failing,
 * every step either works or returns a code; nothing crashes or leaks
 * (the ASan build checks leaks). */
static sl_status alloc_scenario(const char *url, const sl_keyring *k)
{
    sl_store *s = NULL;
    sl_status st = sl__store_open(url, NULL, &s);
    if (st != SL_OK)
        return st;
    sl_tx *tx = NULL;
    st = sl__tx_begin(s, &tx);
    if (st == SL_OK) {
        struct sl_audit_rec r;
        char req[32];
        uint8_t pidx[32];
        rec_for(7, &r, req, sizeof(req), pidx);
        r.at_ms = T0 + 100000;                 /* a checkpoint too (time rule) */
        st = sl__audit_append(tx, k, &r, NULL);
        json_t *a = NULL;
        struct sl_audit_filter fl = { .person = "1101**********0018" };
        if (st == SL_OK)
            st = sl__audit_query(tx, &fl, &a);
        json_decref(a);
        if (st == SL_OK)
            st = sl__tx_commit(tx);
        else
            sl__tx_rollback(tx);
    }
    struct sl_audit_report rep;
    if (st == SL_OK)
        st = sl__audit_verify(s, k, NULL, &rep);
    if (st == SL_OK && !rep.ok)
        st = SL_ERR_AUDIT_BROKEN;
    sl__store_close(s);
    return st;
}

SL_TEST(audit, alloc_failures)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl_keyring *k = keys(t, &f, SL_SUITE_GM);
    SL_CHECK_EQ(t, build(s, k, 1, 3), SL_OK);
    sl__store_close(s);
    uint64_t c0 = sl__alloc_calls();
    SL_CHECK_EQ(t, alloc_scenario(f.url, k), SL_OK);
    long total = (long)(sl__alloc_calls() - c0);
    int nomem = 0;
    for (long i = 1; i <= total; i++) {
        sl__fail_after(i);
        sl_status st = alloc_scenario(f.url, k);
        sl__fail_after(0);
        if (st != SL_OK)
            nomem++;
        /* only out-of-memory, or the chain check after a partial failure */
        SL_CHECKF(t, st == SL_OK || SL_STATUS_PRIMARY(st) == SL_ERR_NOMEM,
                  "allocation %ld of %ld failed: got %s", i, total, sl_status_name(st));
    }
    printf("  %ld allocations walked, %d reported out of memory\n", total, nomem);
    /* and the chain is still whole */
    SL_CHECK_EQ(t, alloc_scenario(f.url, k), SL_OK);
    sl__keyring_free(k);
    sl_t_fx_done(&f, NULL);
}
