/*
 * cmd_audit.c -- `shualian audit verify|query|append|checkpoint`: the audit
 * chain (src/audit/audit.h) from the command line.
 *
 *   verify  walks the whole chain and every signed checkpoint; exit 0 when
 *           intact, 1 with {"ok":false,"first_bad_record":N,"kind":...}
 *           when damage is found (edited, deleted, inserted, reordered,
 *           truncated, checkpoint)
 *   query   the records an auditor asks for (person, action, actor, time)
 *   append  adds one record (an operator's note; tests build chains with it)
 *   checkpoint  signs the current head now
 *
 * The database is --db URL (or $SHUALIAN_DB); the key file --keys FILE (or
 * $SHUALIAN_KEYS), needed by verify, append and checkpoint. verify and
 * query never write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "app.h"

static const char usage_text[] =
    "usage: shualian audit <sub> [options]\n\n"
    "  verify [--db URL] [--keys FILE] [--expect N[:HASH]]\n"
    "        check the chain; exit 0 intact, 1 damage found (JSON names the\n"
    "        first bad record number and the kind); --expect: record N must\n"
    "        exist [with this hash] (from a logged 'audit checkpoint' line)\n"
    "  query [--db URL] [--person BLINDIDX|MASKED] [--action A] [--actor ID]\n"
    "        [--from T] [--to T] [--after SEQ] [--limit N]   (T: epoch ms or\n"
    "        ISO-8601 like 2026-12-04T10:00:00Z)\n"
    "  append [--db URL] [--keys FILE] --action A [--actor-kind K]\n"
    "        [--actor-id ID] [--object-type T] [--object-id ID] [--id-masked M]\n"
    "        [--purpose P] [--outcome O] [--request-id R] [--at MS] [--count N]\n"
    "  checkpoint [--db URL] [--keys FILE]\n\n"
    "--db defaults to $SHUALIAN_DB, --keys to $SHUALIAN_KEYS. URL is\n"
    "sqlite:PATH or postgresql://... Output is JSON on stdout.\n";

struct opts {
    const char *db, *keys, *person, *action, *actor, *actor_kind, *object_type,
               *object_id, *id_masked, *purpose, *outcome, *request_id;
    const char *expect;
    long long   after, limit, at, count, from, to;
};

/* epoch ms, or ISO-8601 "YYYY-MM-DD[THH:MM:SS[Z]]" (UTC) */
static bool parse_time(const char *s, long long *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s && !*end) {
        *out = v;
        return true;
    }
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) {
        memset(&tm, 0, sizeof(tm));
        rest = strptime(s, "%Y-%m-%d", &tm);
    }
    if (!rest || (*rest && strcmp(rest, "Z") != 0))
        return false;
    *out = (long long)timegm(&tm) * 1000;
    return true;
}

static int parse(int argc, char **argv, const char *cmd, struct opts *o)
{
    memset(o, 0, sizeof(*o));
    o->db = getenv("SHUALIAN_DB");
    o->keys = getenv("SHUALIAN_KEYS");
    o->count = 1;
    o->at = -1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **sp = NULL;
        long long *np = NULL;
        long long lo = 0, hi = 0;
        bool is_time = false;
        if (strcmp(a, "--db") == 0) sp = &o->db;
        else if (strcmp(a, "--keys") == 0) sp = &o->keys;
        else if (strcmp(a, "--person") == 0) sp = &o->person;
        else if (strcmp(a, "--action") == 0) sp = &o->action;
        else if (strcmp(a, "--actor") == 0) sp = &o->actor;
        else if (strcmp(a, "--actor-id") == 0) sp = &o->actor;
        else if (strcmp(a, "--actor-kind") == 0) sp = &o->actor_kind;
        else if (strcmp(a, "--object-type") == 0) sp = &o->object_type;
        else if (strcmp(a, "--object-id") == 0) sp = &o->object_id;
        else if (strcmp(a, "--id-masked") == 0) sp = &o->id_masked;
        else if (strcmp(a, "--purpose") == 0) sp = &o->purpose;
        else if (strcmp(a, "--outcome") == 0) sp = &o->outcome;
        else if (strcmp(a, "--request-id") == 0) sp = &o->request_id;
        else if (strcmp(a, "--expect") == 0) sp = &o->expect;
        else if (strcmp(a, "--after") == 0) { np = &o->after; hi = INT64_MAX / 2; }
        else if (strcmp(a, "--limit") == 0) { np = &o->limit; lo = 1; hi = 1000; }
        else if (strcmp(a, "--count") == 0) { np = &o->count; lo = 1; hi = 1000000; }
        else if (strcmp(a, "--at") == 0) { np = &o->at; is_time = true; }
        else if (strcmp(a, "--from") == 0) { np = &o->from; is_time = true; }
        else if (strcmp(a, "--to") == 0) { np = &o->to; is_time = true; }
        else
            return sl_cli_usage_error(cmd, "unknown option '%s'", a);
        if (!v)
            return sl_cli_usage_error(cmd, "%s needs a value", a);
        i++;
        if (sp) {
            *sp = v;
        } else if (is_time) {
            if (!parse_time(v, np))
                return sl_cli_usage_error(cmd, "%s: '%s' is not epoch ms or ISO-8601", a, v);
        } else {
            long x;
            if (!sl_cli_parse_long(v, (long)lo, (long)hi, &x))
                return sl_cli_usage_error(cmd, "%s: '%s' is not a number in [%lld, %lld]",
                                          a, v, lo, hi);
            *np = x;
        }
    }
    if (!o->db)
        return sl_cli_usage_error(cmd, "no database: give --db URL or set SHUALIAN_DB");
    return -1;
}

static int open_store(const struct opts *o, const char *cmd, sl_store **s)
{
    sl_status st = sl__store_open(o->db, NULL, s);
    return st == SL_OK ? -1 : sl_cli_fail(st, cmd, "cannot open the database");
}

/* The key file holds one suite; try gm, then intl. */
static int open_keys(const struct opts *o, const char *cmd, bool create, sl_keyring **k)
{
    if (!o->keys)
        return sl_cli_usage_error(cmd, "no key file: give --keys FILE or set SHUALIAN_KEYS");
    sl_status st = sl__keyring_open(o->keys, SL_SUITE_GM, create, k);
    if (st == SL_ERR_CRYPTO_SUITE)
        st = sl__keyring_open(o->keys, SL_SUITE_INTL, false, k);
    return st == SL_OK ? -1 : sl_cli_fail(st, cmd, "cannot open the key file %s", o->keys);
}

/* "N" or "N:HASH" */
static bool parse_anchor(const char *s, struct sl_audit_anchor *a)
{
    char *end;
    long long n = strtoll(s, &end, 10);
    if (end == s || n < 1)
        return false;
    a->seq = n;
    if (*end == 0)
        return true;
    if (*end != ':' || sl__hex_decode(a->hash, sizeof(a->hash), end + 1) != SL_OK)
        return false;
    a->has_hash = true;
    return true;
}

static int do_verify(const struct opts *o)
{
    const char *cmd = "audit verify";
    sl_store *s = NULL;
    sl_keyring *k = NULL;
    int rc = open_keys(o, cmd, false, &k);
    if (rc < 0)
        rc = open_store(o, cmd, &s);
    if (rc >= 0) {
        sl__keyring_free(k);
        return rc;
    }
    struct sl_audit_anchor anchor = { 0 };
    if (o->expect && !parse_anchor(o->expect, &anchor)) {
        sl__store_close(s);
        sl__keyring_free(k);
        return sl_cli_usage_error(cmd, "--expect: want N or N:HASH (64 hex digits), got '%s'",
                                  o->expect);
    }
    struct sl_audit_report rep;
    sl_status st = sl__audit_verify(s, k, o->expect ? &anchor : NULL, &rep);
    sl__store_close(s);
    sl__keyring_free(k);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "cannot read the audit log");
    json_t *out = json_pack("{s:b,s:I,s:I,s:I}", "ok", rep.ok, "records", (json_int_t)rep.records,
                            "checkpoints", (json_int_t)rep.checkpoints, "head",
                            (json_int_t)rep.head);
    if (!rep.ok) {
        json_object_set_new(out, "first_bad_record", json_integer(rep.first_bad));
        json_object_set_new(out, "kind", json_string(rep.kind));
        json_object_set_new(out, "detail", json_string(rep.detail));
        fprintf(stderr, "shualian audit verify: damage found: %s (%s)\n", rep.detail, rep.kind);
    }
    rc = sl_cli_print(out);
    return rc != SL_EXIT_OK ? rc : rep.ok ? SL_EXIT_OK : SL_EXIT_NEGATIVE;
}

static int do_query(const struct opts *o)
{
    const char *cmd = "audit query";
    sl_store *s = NULL;
    int rc = open_store(o, cmd, &s);
    if (rc >= 0)
        return rc;
    struct sl_audit_filter f = {
        .person = o->person, .action = o->action, .actor_id = o->actor,
        .from_ms = o->from, .to_ms = o->to, .after_seq = o->after, .limit = (int)o->limit,
    };
    sl_tx *tx;
    json_t *arr = NULL;
    sl_status st = sl__tx_begin_read(s, &tx);
    if (st == SL_OK) {
        st = sl__audit_query(tx, &f, &arr);
        sl__tx_rollback(tx);
    }
    sl__store_close(s);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "query failed");
    return sl_cli_print(json_pack("{s:o}", "records", arr));
}

struct append_ctx {
    const struct opts *o;
    const sl_keyring  *k;
    int64_t            first, last;
};

static sl_status append_fn(sl_tx *tx, void *ctx)
{
    struct append_ctx *c = ctx;
    const struct opts *o = c->o;
    c->first = c->last = 0;
    struct sl_audit_rec r = {
        .actor_kind = o->actor_kind ? o->actor_kind : "system",
        .actor_id = o->actor, .action = o->action, .object_type = o->object_type,
        .object_id = o->object_id, .id_masked = o->id_masked, .purpose = o->purpose,
        .outcome = o->outcome ? o->outcome : "ok", .request_id = o->request_id,
        .at_ms = o->at >= 0 ? o->at : sl_time_wall_ms(),
    };
    for (long long i = 0; i < o->count; i++) {
        int64_t seq;
        sl_status st = sl__audit_append(tx, c->k, &r, &seq);
        if (st != SL_OK)
            return st;
        if (!c->first)
            c->first = seq;
        c->last = seq;
    }
    return SL_OK;
}

static sl_status checkpoint_fn(sl_tx *tx, void *ctx)
{
    return sl__audit_checkpoint(tx, ctx, sl_time_wall_ms());
}

static int do_write(const struct opts *o, bool append)
{
    const char *cmd = append ? "audit append" : "audit checkpoint";
    if (append && !o->action)
        return sl_cli_usage_error(cmd, "--action is required");
    sl_store *s = NULL;
    sl_keyring *k = NULL;
    int rc = open_keys(o, cmd, append, &k);
    if (rc < 0)
        rc = open_store(o, cmd, &s);
    if (rc >= 0) {
        sl__keyring_free(k);
        return rc;
    }
    sl_status st = sl__store_migrate(s);
    struct append_ctx c = { o, k, 0, 0 };
    if (st == SL_OK)
        st = append ? sl__store_run(s, append_fn, &c)
                    : sl__store_run(s, checkpoint_fn, k);
    sl__store_close(s);
    sl__keyring_free(k);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "cannot write the audit log");
    if (!append)
        return sl_cli_print(json_pack("{s:b}", "ok", 1));
    return sl_cli_print(json_pack("{s:I,s:I}", "first", (json_int_t)c.first,
                                  "last", (json_int_t)c.last));
}

int cmd_audit(int argc, char **argv)
{
    if (argc < 2 || sl_cli_wants_help(argc, argv)) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? SL_EXIT_USAGE : SL_EXIT_OK;
    }
    const char *sub = argv[1];
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "audit %.40s", sub);
    bool known = strcmp(sub, "verify") == 0 || strcmp(sub, "query") == 0 ||
                 strcmp(sub, "append") == 0 || strcmp(sub, "checkpoint") == 0;
    if (!known)
        return sl_cli_usage_error("audit", "'%s' is not an audit subcommand", sub);
    struct opts o;
    int rc = parse(argc, argv, cmd, &o);
    if (rc >= 0)
        return rc;
    if (strcmp(sub, "verify") == 0)
        return do_verify(&o);
    if (strcmp(sub, "query") == 0)
        return do_query(&o);
    return do_write(&o, strcmp(sub, "append") == 0);
}
