/*
 * app.c -- applications in the store: see app.h. One transaction per
 * request holds the change, its timeline rows and its audit records.
 */
#include "gov/app_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <string.h>

#include "acct/acct.h"
#include "audit/audit.h"
#include "id/id.h"
#include "shualian/idnum.h"

#ifndef SL_DATADIR
#define SL_DATADIR "/usr/local/share"
#endif

sl_day sl__gov_today(void)
{
    return (sl_day)((sl__now_ms() + CN_OFFSET_MS) / DAY_MS);
}

static bool dir_exists(const char *d)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/.", d);
    FILE *f = fopen(p, "r");
    if (f) fclose(f);
    return f != NULL;
}

sl_status sl__gov_open(sl_store *s, const sl_keyring *k, const char *matters_dir,
                       const char *exchange_dir, char *err, size_t cap,
                       struct sl__gov **out)
{
    struct sl__gov *g = sl__calloc(1, sizeof *g);
    if (!g) return SL_ERR_NOMEM;
    g->store = s;
    g->keys = k;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->added = json_object();
    const char *md = matters_dir;
    if (!md) md = dir_exists("share/shualian/matters") ? "share/shualian/matters"
                                                      : SL_DATADIR "/shualian/matters";
    sl_status st = sl__catalogue_load_dir(md, err, cap, &g->cat);
    if (st == SL_OK) st = sl_calendar_builtin(&g->cal);
    if (st == SL_OK) {
        const char *xd = exchange_dir;
        if (!xd) xd = dir_exists("share/shualian/exchange") ? "share/shualian/exchange"
                                                           : SL_DATADIR "/shualian/exchange";
        if (dir_exists(xd)) st = sl__exchange_open_files(xd, err, cap, &g->x);
        else if (exchange_dir) {
            snprintf(err, cap, "%s: no such shared-data folder", exchange_dir);
            st = SL_ERR_NOT_FOUND;
        }
    }
    if (st != SL_OK) {
        sl__gov_free(g);
        return st;
    }
    *out = g;
    return SL_OK;
}

void sl__gov_free(struct sl__gov *g)
{
    if (!g) return;
    sl__gov_jobs_stop(g);
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    json_decref(g->added);
    sl__catalogue_free(g->cat);
    sl_calendar_free(g->cal);
    sl__exchange_free(g->x);
    sl__free(g);
}

const struct sl__catalogue *sl__gov_catalogue(const struct sl__gov *g)
{
    return g->cat;
}

/* ------------------------------------------------------------ helpers */

static sl_status audit(sl_tx *tx, struct sl__gov *g, const struct sl__gov_actor *a,
                       const char *action, int64_t app_id, const char *masked,
                       const uint8_t *pidx, const char *purpose)
{
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", (long long)app_id);
    struct sl_audit_rec r = {
        .actor_kind = a->kind, .actor_id = a->id, .action = action,
        .object_type = "application", .object_id = oid, .id_masked = masked,
        .person_idx = pidx, .purpose = purpose, .outcome = "ok",
        .request_id = a->request_id, .at_ms = sl__now_ms(),
    };
    return sl__audit_append(tx, g->keys, &r, NULL);
}

static bool json_has_string(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    return false;
}

static void day_str(sl_day d, char out[11])
{
    sl_day_format(d, out);
}

/* The application row, read in tx. */
struct row {
    int64_t id, hall_id, version;
    char    serial[40], matter[64], channel[16], state[24], masked[SL_ID_MAX];
    char    accepted[11], hold_end[11], deadline[11], claimed_by[64], opened_by[64];
    char   *form, *decision, *explain;
    uint8_t pidx[SL_CRYPTO_HASH_BYTES];
    int64_t person_id, proxy_person_id;   /* registry persons; 0 = none    */
    char    proxy_relation[32];           /* "" = not a proxy application */
};

static void row_free(struct row *r)
{
    sl__free(r->form);
    sl__free(r->decision);
    sl__free(r->explain);
}

static void cpy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

static char *dup_or_null(const char *s)
{
    return s ? sl__strdup(s) : NULL;
}

/* ------------------------------------------------------------ matters */

static sl_status matter_at(struct sl__gov *g, sl_tx *tx, const char *code, int version,
                           const json_t **out)
{
    if (!code) return SL_ERR_MATTER_UNKNOWN;
    if (version == 0) {
        const json_t *cm = sl__catalogue_get(g->cat, code, 0);
        int64_t v = cm ? json_integer_value(json_object_get(cm, "version")) : 0, dbv = 0;
        sl_status st = sl__tx_query_int(tx, "SELECT COALESCE(MAX(version), 0) FROM gov_matter"
                                            " WHERE code = ?", SL_ARGS(SL_TEXT(code)), &dbv);
        if (st != SL_OK) return st;
        version = (int)(dbv > v ? dbv : v);
        if (version == 0) return SL_ERR_MATTER_UNKNOWN;
    }
    const json_t *m = sl__catalogue_get(g->cat, code, version);
    if (m) {
        *out = m;
        return SL_OK;
    }
    char key[160];
    snprintf(key, sizeof key, "%s@%d", code, version);
    pthread_mutex_lock(&g->mu);
    m = json_object_get(g->added, key);
    pthread_mutex_unlock(&g->mu);
    if (m) {
        *out = m;
        return SL_OK;
    }
    sl_rows *rs = NULL;
    sl_status st = sl__tx_query(tx, "SELECT body FROM gov_matter WHERE code = ? AND version = ?",
                                SL_ARGS(SL_TEXT(code), SL_INT(version)), &rs);
    if (st != SL_OK) return st;
    if (sl__rows_count(rs) == 0) {
        sl__rows_free(rs);
        return SL_ERR_MATTER_UNKNOWN;
    }
    const char *body = sl__rows_text(rs, 0, 0);
    json_t *nm = NULL;
    char err[256];
    st = sl__matter_parse(body, strlen(body), key, err, sizeof err, &nm);
    sl__rows_free(rs);
    if (st != SL_OK) return st;
    pthread_mutex_lock(&g->mu);
    m = json_object_get(g->added, key);
    if (!m) {
        json_object_set_new(g->added, key, nm);
        m = nm;
    } else {
        json_decref(nm);
    }
    pthread_mutex_unlock(&g->mu);
    *out = m;
    return SL_OK;
}

sl_status sl__gov_matter_tx(struct sl__gov *g, sl_tx *tx, const char *code, int version,
                            const json_t **out)
{
    return matter_at(g, tx, code, version, out);
}

struct matter_ctx { struct sl__gov *g; const char *code; int version; const json_t *m; };

static sl_status matter_tx(sl_tx *tx, void *vctx)
{
    struct matter_ctx *c = vctx;
    return matter_at(c->g, tx, c->code, c->version, &c->m);
}

sl_status sl__gov_matter(struct sl__gov *g, const char *code, int version, const json_t **out)
{
    struct matter_ctx c = { g, code, version, NULL };
    sl_status st = sl__store_run(g->store, matter_tx, &c);
    if (st == SL_OK) *out = c.m;
    return st;
}

struct mlist_ctx { struct sl__gov *g; json_t *out; };

static json_t *matter_summary(const json_t *m, const char *source)
{
    return json_pack("{s:O,s:O,s:O,s:O,s:O,s:s}", "code", json_object_get(m, "code"),
                     "version", json_object_get(m, "version"), "name", json_object_get(m, "name"),
                     "channels", json_object_get(m, "channels"),
                     "time_limit", json_object_get(m, "time_limit"), "source", source);
}

static sl_status mlist_tx(sl_tx *tx, void *vctx)
{
    struct mlist_ctx *c = vctx;
    json_decref(c->out);
    c->out = json_array();
    for (size_t i = 0; i < sl__catalogue_count(c->g->cat); i++)
        json_array_append_new(c->out, matter_summary(sl__catalogue_at(c->g->cat, i), "shipped"));
    sl_rows *rs = NULL;
    sl_status st = sl__tx_query(tx, "SELECT code, version FROM gov_matter ORDER BY code, version",
                                NULL, 0, &rs);
    if (st != SL_OK) return st;
    for (size_t i = 0; st == SL_OK && i < sl__rows_count(rs); i++) {
        const json_t *m = NULL;
        st = matter_at(c->g, tx, sl__rows_text(rs, i, 0), (int)sl__rows_int(rs, i, 1), &m);
        if (st == SL_OK) json_array_append_new(c->out, matter_summary(m, "added"));
    }
    sl__rows_free(rs);
    return st;
}

sl_status sl__gov_matter_list(struct sl__gov *g, json_t **out)
{
    struct mlist_ctx c = { g, NULL };
    sl_status st = sl__store_run(g->store, mlist_tx, &c);
    if (st != SL_OK) {
        json_decref(c.out);
        return st;
    }
    *out = c.out;
    return SL_OK;
}

struct madd_ctx {
    struct sl__gov *g;
    const struct sl__gov_actor *a;
    const json_t *m;
    const char *text;
    char why[200];
};

static sl_status madd_tx(sl_tx *tx, void *vctx)
{
    struct madd_ctx *c = vctx;
    c->why[0] = '\0';
    const char *code = json_string_value(json_object_get(c->m, "code"));
    int64_t v = json_integer_value(json_object_get(c->m, "version"));
    const json_t *cur = NULL;
    sl_status st = matter_at(c->g, tx, code, 0, &cur);
    if (st == SL_OK) {
        int64_t cv = json_integer_value(json_object_get(cur, "version"));
        if (v <= cv) {
            snprintf(c->why, sizeof c->why, "version %lld is not newer than %lld",
                     (long long)v, (long long)cv);
            return SL_ERR_MATTER_VERSION;
        }
    } else if (st != SL_ERR_MATTER_UNKNOWN) {
        return st;
    }
    st = sl__tx_exec(tx, "INSERT INTO gov_matter (code, version, body, added_by, created_ms)"
                         " VALUES (?, ?, ?, ?, ?)",
                     SL_ARGS(SL_TEXT(code), SL_INT(v), SL_TEXT(c->text), SL_TEXT(c->a->id),
                             SL_INT(sl__now_ms())), NULL);
    if (st != SL_OK) return st;
    struct sl_audit_rec r = {
        .actor_kind = c->a->kind, .actor_id = c->a->id, .action = "matter.add",
        .object_type = "matter", .object_id = code, .outcome = "ok",
        .request_id = c->a->request_id, .at_ms = sl__now_ms(),
    };
    return sl__audit_append(tx, c->g->keys, &r, NULL);
}

sl_status sl__gov_matter_add(struct sl__gov *g, const struct sl__gov_actor *a, const char *text,
                             size_t n, char *err, size_t cap, json_t **out)
{
    json_t *m = NULL;
    sl_status st = sl__matter_parse(text, n, "request", err, cap, &m);
    if (st != SL_OK) return st;
    struct madd_ctx c = { .g = g, .a = a, .m = m, .text = text };
    st = sl__store_run(g->store, madd_tx, &c);
    if (st != SL_OK && c.why[0]) snprintf(err, cap, "%s", c.why);
    if (st == SL_OK) *out = matter_summary(m, "added");
    json_decref(m);
    return st;
}

#define ROW_COLS "id, hall_id, matter_version, serial, matter, channel, state, id_masked," \
                 " accepted_day, hold_end_day, deadline_day, claimed_by, form, decision," \
                 " explain, person_idx, opened_by, person_id, proxy_person_id, proxy_relation"

static void row_from(const sl_rows *rs, size_t i, struct row *r)
{
    memset(r, 0, sizeof *r);
    r->id = sl__rows_int(rs, i, 0);
    r->hall_id = sl__rows_int(rs, i, 1);
    r->version = sl__rows_int(rs, i, 2);
    cpy(r->serial, sizeof r->serial, sl__rows_text(rs, i, 3));
    cpy(r->matter, sizeof r->matter, sl__rows_text(rs, i, 4));
    cpy(r->channel, sizeof r->channel, sl__rows_text(rs, i, 5));
    cpy(r->state, sizeof r->state, sl__rows_text(rs, i, 6));
    cpy(r->masked, sizeof r->masked, sl__rows_text(rs, i, 7));
    cpy(r->accepted, sizeof r->accepted, sl__rows_text(rs, i, 8));
    cpy(r->hold_end, sizeof r->hold_end, sl__rows_text(rs, i, 9));
    cpy(r->deadline, sizeof r->deadline, sl__rows_text(rs, i, 10));
    cpy(r->claimed_by, sizeof r->claimed_by, sl__rows_text(rs, i, 11));
    r->form = dup_or_null(sl__rows_text(rs, i, 12));
    r->decision = dup_or_null(sl__rows_text(rs, i, 13));
    r->explain = dup_or_null(sl__rows_text(rs, i, 14));
    size_t n = 0;
    const void *p = sl__rows_blob(rs, i, 15, &n);
    if (p && n == sizeof r->pidx) memcpy(r->pidx, p, n);
    cpy(r->opened_by, sizeof r->opened_by, sl__rows_text(rs, i, 16));
    r->person_id = sl__rows_null(rs, i, 17) ? 0 : sl__rows_int(rs, i, 17);
    r->proxy_person_id = sl__rows_null(rs, i, 18) ? 0 : sl__rows_int(rs, i, 18);
    cpy(r->proxy_relation, sizeof r->proxy_relation, sl__rows_text(rs, i, 19));
}

static sl_status row_load(sl_tx *tx, int64_t id, struct row *r)
{
    sl_rows *rs = NULL;
    sl_status st = sl__tx_query(tx, "SELECT " ROW_COLS " FROM gov_app WHERE id = ?",
                                SL_ARGS(SL_INT(id)), &rs);
    if (st != SL_OK) return st;
    if (sl__rows_count(rs) == 0) {
        sl__rows_free(rs);
        return SL_ERR_APP_NOT_FOUND;
    }
    row_from(rs, 0, r);
    sl__rows_free(rs);
    return SL_OK;
}

/* Staff and devices see applications of their own hall; the system all.
 * An applicant's device (phone, kiosk) sees only the applications it
 * opened (until citizen sessions from branch id name the person). */
static sl_status may_see(const struct sl__gov_actor *a, const struct row *r)
{
    /* a citizen: their own applications (as the subject or the proxy) */
    if (a->person_id > 0)
        return r->person_id == a->person_id || r->proxy_person_id == a->person_id
               ? SL_OK : SL_ERR_APP_NOT_FOUND;
    if (a->hall_id != 0 && r->hall_id != a->hall_id) return SL_ERR_APP_NOT_FOUND;
    if (a->roles == (1u << SL_ACTOR_APPLICANT) && strcmp(r->opened_by, a->id) != 0)
        return SL_ERR_APP_NOT_FOUND;
    return SL_OK;
}

static json_t *j_day(const char *d)
{
    return d && *d ? json_string(d) : json_null();
}

/* The statement printed on receipts and shown with progress. */
static void statement(const json_t *m, const struct row *r, char *zh, size_t zc,
                      char *en, size_t ec)
{
    const json_t *tl = json_object_get(m, "time_limit");
    long long wd = sl_json_int(tl, "working_days", 0);
    const json_t *hold = json_array_get(json_object_get(m, "holds"), 0);
    if (hold && *r->hold_end) {
        long long hd = sl_json_int(hold, "working_days", 0);
        bool loss = strcmp(sl_json_str(hold, "id", ""), "loss_declaration") == 0;
        snprintf(zh, zc, "自%s（%s）满%lld个工作日（%s）后%lld个工作日内办结，即%s前办结",
                 loss ? "遗失声明" : "公告", r->accepted, hd, r->hold_end, wd, r->deadline);
        snprintf(en, ec, "Completed within %lld working days after the %s (%s) has run "
                 "%lld working days (%s), that is by %s", wd,
                 loss ? "loss declaration" : "notice", r->accepted, hd, r->hold_end, r->deadline);
    } else if (*r->deadline) {
        snprintf(zh, zc, "自受理之日（%s）起%lld个工作日内办结，即%s前办结",
                 r->accepted, wd, r->deadline);
        snprintf(en, ec, "Completed within %lld working days of acceptance (%s), that is by %s",
                 wd, r->accepted, r->deadline);
    } else {
        snprintf(zh, zc, "受理后告知办结时限");
        snprintf(en, ec, "The completion deadline is set at acceptance");
    }
}

static json_t *row_json(struct sl__gov *g, sl_tx *tx, const struct row *r)
{
    const json_t *m = NULL;
    if (matter_at(g, tx, r->matter, (int)r->version, &m) != SL_OK) m = NULL;
    int st = sl__app_state_parse(r->state);
    const char *zh = "", *en = "";
    if (st >= 0) sl__app_state_text((enum sl_app_state)st, &zh, &en);
    char szh[512], sen[512];
    statement(m, r, szh, sizeof szh, sen, sizeof sen);
    char t[11];
    day_str(sl__gov_today(), t);
    bool overdue = *r->deadline && strcmp(t, r->deadline) > 0 && st >= 0 &&
                   !sl__app_state_final((enum sl_app_state)st) &&
                   st != SL_APP_COMPLETED;
    json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:o,s:s,s:s,s:I,s:s,s:{s:s,s:s},"
                          "s:{s:o,s:o,s:o},s:{s:s,s:s},s:b}",
        "id", (json_int_t)r->id, "serial", r->serial, "matter", r->matter,
        "matter_version", (json_int_t)r->version,
        "name", json_deep_copy(json_object_get(m, "name")),
        "channel", r->channel, "state", r->state, "hall", (json_int_t)r->hall_id,
        "id_masked", r->masked,
        "next", "zh", zh, "en", en,
        "dates", "accepted", j_day(r->accepted), "hold_end", j_day(r->hold_end),
        "deadline", j_day(r->deadline),
        "statement", "zh", szh, "en", sen,
        "overdue", overdue);
    if (!o) return NULL;
    if (r->form) json_object_set_new(o, "form", sl_json_parse(r->form, strlen(r->form), NULL, 0));
    if (r->decision) json_object_set_new(o, "decision", json_string(r->decision));
    if (r->explain)
        json_object_set_new(o, "explanation",
                            sl_json_parse(r->explain, strlen(r->explain), NULL, 0));
    if (*r->claimed_by) json_object_set_new(o, "claimed_by", json_string(r->claimed_by));
    if (r->proxy_relation[0])
        json_object_set_new(o, "proxy", json_pack("{s:s,s:b}", "relation", r->proxy_relation,
                                                  "identified", r->proxy_person_id > 0));
    return o;
}

static sl_status timeline_add(sl_tx *tx, int64_t app_id, const char *kind, const char *actor,
                              const char *event, const char *from, const char *to,
                              const char *reason, json_t *entries)
{
    int64_t now = sl__now_ms();
    sl_status st = sl__tx_exec(tx,
        "INSERT INTO gov_timeline (app_id, at_ms, actor_kind, actor_id, event, from_state,"
        " to_state, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        SL_ARGS(SL_INT(app_id), SL_INT(now), SL_TEXT(kind), SL_TEXT(actor), SL_TEXT(event),
                SL_TEXT(from), SL_TEXT(to), SL_TEXT(reason)), NULL);
    if (st == SL_OK && entries) {
        char at[40];
        sl_time_iso8601(at, sizeof at, now);
        const char *zh = "", *en = "";
        int s = sl__app_state_parse(to);
        if (s >= 0) sl__app_state_text((enum sl_app_state)s, &zh, &en);
        json_array_append_new(entries, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:{s:s,s:s}}",
            "application", (json_int_t)app_id, "at", at, "actor", kind, "event", event,
            "from", from, "to", to, "reason", reason ? json_string(reason) : json_null(),
            "next", "zh", zh, "en", en));
    }
    return st;
}

/* ------------------------------------------------------------ create */

struct create_ctx {
    struct sl__gov *g;
    const struct sl__gov_actor *a;
    const json_t *m;
    const char *channel, *norm, *form_text;
    const char *relation;         /* proxy relation or NULL */
    int64_t id;
    char why[160];
};

/* Does the matter's "auth" name who? */
static bool auth_names(const json_t *m, const char *who)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(m, "auth"), i, e)
        if (strcmp(sl_json_str(e, "who", ""), who) == 0) return true;
    return false;
}

/* The registry person of the application's subject (0 if not registered);
 * the look-up is audited as the application's. */
static sl_status subject_person(sl_tx *tx, struct sl__gov *g, const struct sl__gov_actor *a,
                                const char *norm, const char *matter, int64_t *pid)
{
    struct sl_acct_audit au = { .actor_kind = a->kind, .actor_id = a->id,
                                .action = "person.read", .purpose = matter,
                                .request_id = a->request_id };
    struct sl_person p;
    sl_status st = sl__person_find_tx(tx, g->keys, SL_ID_RESIDENT, norm, false, &au, &p);
    *pid = st == SL_OK ? p.id : 0;
    return st == SL_ERR_ID_PERSON_UNKNOWN ? SL_OK : st;
}

static sl_status create_tx(sl_tx *tx, void *vctx)
{
    struct create_ctx *c = vctx;
    c->why[0] = '\0';
    int64_t n = 0, now = sl__now_ms(), pid = 0, proxy_pid = 0;
    const char *code = json_string_value(json_object_get(c->m, "code"));
    sl_status st = subject_person(tx, c->g, c->a, c->norm, code, &pid);
    if (st != SL_OK) return st;
    if (c->relation && !auth_names(c->m, "agent")) {
        snprintf(c->why, sizeof c->why, "matter %s cannot be applied for by a proxy", code);
        return SL_ERR_APP_FORM;
    }
    if (c->a->person_id > 0) {
        /* a citizen applies for themselves, or as the proxy of someone else */
        if (pid == c->a->person_id && c->relation) {
            snprintf(c->why, sizeof c->why, "a proxy applies for someone else");
            return SL_ERR_APP_FORM;
        }
        if (pid != c->a->person_id) {
            if (!c->relation) {
                snprintf(c->why, sizeof c->why, "a citizen applies for themselves, or as a proxy "
                         "(\"proxy\": {\"relation\"})");
                return SL_ERR_APP_FORBIDDEN;
            }
            proxy_pid = c->a->person_id;
        }
    }
    st = sl__store_counter(tx, "gov.serial", 1, &n);
    if (st != SL_OK) return st;
    char t[11], serial[40];
    day_str(sl__gov_today(), t);
    snprintf(serial, sizeof serial, "SL%.4s%.2s%.2s-%06lld", t, t + 5, t + 8, (long long)n);
    char ad[64];
    snprintf(ad, sizeof ad, "gov_app|%s", serial);
    uint8_t *ct = NULL;
    size_t ctn = 0;
    uint8_t pidx[SL_CRYPTO_HASH_BYTES];
    st = sl__mac(c->g->keys, "id_number", c->norm, strlen(c->norm), pidx);
    if (st == SL_OK) st = sl__seal(c->g->keys, ad, strlen(ad), c->norm, strlen(c->norm), &ct, &ctn);
    if (st != SL_OK) return st;
    char masked[SL_ID_MAX];
    sl_id_mask(c->norm, masked);
    sl_rows *rs = NULL;
    st = sl__tx_query(tx,
        "INSERT INTO gov_app (serial, matter, matter_version, channel, hall_id, state,"
        " person_idx, id_sealed, id_masked, form, opened_by, created_ms, updated_ms,"
        " person_id, proxy_person_id, proxy_relation)"
        " VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        SL_ARGS(SL_TEXT(serial), SL_TEXT(code),
                SL_INT(json_integer_value(json_object_get(c->m, "version"))),
                SL_TEXT(c->channel), SL_INT(c->a->hall_id), SL_BLOB(pidx, sizeof pidx),
                SL_BLOB(ct, ctn), SL_TEXT(masked), SL_TEXT(c->form_text), SL_TEXT(c->a->id),
                SL_INT(now), SL_INT(now), pid ? SL_INT(pid) : SL_NULL,
                proxy_pid ? SL_INT(proxy_pid) : SL_NULL, SL_TEXT(c->relation)), &rs);
    sl__free(ct);
    if (st != SL_OK) return st;
    c->id = sl__rows_int(rs, 0, 0);
    sl__rows_free(rs);
    char note[96] = "";
    if (c->relation)
        snprintf(note, sizeof note, "proxy (%s)%s", c->relation,
                 proxy_pid ? ": the proxy's citizen session" : ": proxy to verify at submit");
    st = timeline_add(tx, c->id, c->a->kind, c->a->id, "create", "", "draft",
                      note[0] ? note : NULL, NULL);
    if (st == SL_OK)
        st = audit(tx, c->g, c->a, "application.create", c->id, masked, pidx, code);
    return st;
}

sl_status sl__gov_app_create(struct sl__gov *g, const struct sl__gov_actor *a,
                             const char *matter, const char *channel,
                             const char *id_number, const json_t *form,
                             const struct sl__gov_proxy *proxy, json_t **out)
{
    const json_t *m = NULL;
    sl_status st = sl__gov_matter(g, matter, 0, &m);
    if (st != SL_OK) return st;
    if (!json_has_string(json_object_get(m, "channels"), channel)) return SL_ERR_APP_CHANNEL;
    char t[11];
    day_str(sl__gov_today(), t);
    struct sl_id_info info;
    st = sl_id_check(SL_ID_RESIDENT, id_number, t, NULL, &info);
    if (st != SL_OK) return st;
    /* the matter's form: required fields present, no unknown fields */
    json_t *fm = json_object();
    const json_t *fields = json_object_get(m, "form");
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        const json_t *v = form ? json_object_get(form, name) : NULL;
        if (v && json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= 1024)
            json_object_set(fm, name, (json_t *)v);
        else if (sl_json_bool(f, "required", false) || v) {
            json_decref(fm);
            return SL_ERR_APP_FORM;
        }
    }
    if (form && json_object_size(form) != json_object_size(fm)) {
        json_decref(fm);
        return SL_ERR_APP_FORM;
    }
    char *ft = json_dumps(fm, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(fm);
    if (!ft) return SL_ERR_NOMEM;
    struct create_ctx c = { .g = g, .a = a, .m = m, .channel = channel,
                            .norm = info.normalised, .form_text = ft,
                            .relation = proxy ? proxy->relation : NULL };
    st = sl__store_run(g->store, create_tx, &c);
    free(ft);
    if (st != SL_OK) {
        if (c.why[0] && out) *out = json_pack("{s:s}", "why", c.why);
        return st;
    }
    return sl__gov_app_get(g, a, c.id, out);
}

/* ------------------------------------------------------------ read */

struct get_ctx {
    struct sl__gov *g;
    const struct sl__gov_actor *a;
    int64_t id;
    bool audit;
    json_t *out;
};

static sl_status get_tx(sl_tx *tx, void *vctx)
{
    struct get_ctx *c = vctx;
    json_decref(c->out);
    c->out = NULL;
    struct row r;
    sl_status st = row_load(tx, c->id, &r);
    if (st != SL_OK) return st;
    st = may_see(c->a, &r);
    if (st == SL_OK) {
        c->out = row_json(c->g, tx, &r);
        if (!c->out) st = SL_ERR_NOMEM;
    }
    sl_rows *rs = NULL;
    if (st == SL_OK)
        st = sl__tx_query(tx, "SELECT at_ms, actor_kind, actor_id, event, from_state, to_state,"
                              " reason FROM gov_timeline WHERE app_id = ? ORDER BY id",
                          SL_ARGS(SL_INT(c->id)), &rs);
    if (st == SL_OK) {
        json_t *tl = json_array();
        for (size_t i = 0; i < sl__rows_count(rs); i++) {
            char at[40];
            sl_time_iso8601(at, sizeof at, sl__rows_int(rs, i, 0));
            const char *reason = sl__rows_text(rs, i, 6);
            json_array_append_new(tl, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o}",
                "at", at, "actor_kind", sl__rows_text(rs, i, 1), "actor",
                sl__rows_text(rs, i, 2), "event", sl__rows_text(rs, i, 3),
                "from", sl__rows_text(rs, i, 4), "to", sl__rows_text(rs, i, 5),
                "reason", reason ? json_string(reason) : json_null()));
        }
        sl__rows_free(rs);
        json_object_set_new(c->out, "timeline", tl);
        st = sl__tx_query(tx, "SELECT role, method, levels, at_ms, verification_id"
                              " FROM gov_app_auth WHERE app_id = ? ORDER BY id",
                          SL_ARGS(SL_INT(c->id)), &rs);
    }
    if (st == SL_OK) {
        json_t *au = json_array();
        for (size_t i = 0; i < sl__rows_count(rs); i++) {
            char at[40];
            sl_time_iso8601(at, sizeof at, sl__rows_int(rs, i, 3));
            uint32_t l = (uint32_t)sl__rows_int(rs, i, 2);
            json_t *levels = json_array();
            for (uint32_t b = 1; b <= SL_LEVEL_REAL_DOCUMENT; b <<= 1)
                if (l & b) json_array_append_new(levels, json_string(sl__level_name(b)));
            json_array_append_new(au, json_pack("{s:s,s:s,s:o,s:s,s:I}", "role",
                sl__rows_text(rs, i, 0), "method", sl__rows_text(rs, i, 1), "levels", levels,
                "at", at, "verification", (json_int_t)sl__rows_int(rs, i, 4)));
        }
        sl__rows_free(rs);
        json_object_set_new(c->out, "authentications", au);
    }
    if (st == SL_OK && c->audit)
        st = audit(tx, c->g, c->a, "application.read", r.id, r.masked, r.pidx, r.matter);
    row_free(&r);
    return st;
}

sl_status sl__gov_app_get(struct sl__gov *g, const struct sl__gov_actor *a, int64_t id,
                          json_t **out)
{
    struct get_ctx c = { .g = g, .a = a, .id = id, .audit = true };
    sl_status st = sl__store_run(g->store, get_tx, &c);
    if (st != SL_OK) {
        json_decref(c.out);
        return st;
    }
    *out = c.out;
    return SL_OK;
}

/* ------------------------------------------------------------ steps */

/* Adds to want every "shared.<source>.<field>" fact the rules read. */
static void want_rule_facts(const json_t *node, json_t *want, int depth)
{
    if (depth > SL_RULES_DEPTH_MAX + 4) return;
    if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) want_rule_facts(v, want, depth + 1);
        return;
    }
    if (!json_is_object(node)) return;
    const char *fact = json_string_value(json_object_get(node, "fact"));
    if (fact && strncmp(fact, "shared.", 7) == 0) {
        const char *src = fact + 7, *dot = strchr(src, '.');
        if (dot && dot > src) {
            char source[64];
            snprintf(source, sizeof source, "%.*s", (int)(dot - src), src);
            if (sl__shared_field_known(source, dot + 1)) {
                json_t *arr = json_object_get(want, source);
                if (!arr) json_object_set_new(want, source, arr = json_array());
                if (!json_has_string(arr, dot + 1)) json_array_append_new(arr, json_string(dot + 1));
            }
        }
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)node, k, v)
        if (json_is_object(v) || json_is_array(v)) want_rule_facts(v, want, depth + 1);
}

/* Shared data for the matter (only its fields), the applicant facts and the
 * rules' decision; the snapshot sealed into the row. */
static sl_status fetch_and_decide(sl_tx *tx, struct sl__gov *g, const struct sl__gov_actor *a,
                                  const struct row *r, const json_t *m)
{
    uint8_t *idp = NULL;
    size_t idn = 0;
    sl_rows *rs = NULL;
    sl_status st = sl__tx_query(tx, "SELECT id_sealed FROM gov_app WHERE id = ?",
                                SL_ARGS(SL_INT(r->id)), &rs);
    if (st != SL_OK) return st;
    char ad[64];
    snprintf(ad, sizeof ad, "gov_app|%s", r->serial);
    size_t ctn = 0;
    const uint8_t *ct = sl__rows_blob(rs, 0, 0, &ctn);
    st = sl__open(g->keys, ad, strlen(ad), ct, ctn, &idp, &idn);
    sl__rows_free(rs);
    if (st != SL_OK) return st;
    char idnum[SL_ID_MAX];
    snprintf(idnum, sizeof idnum, "%.*s", (int)idn, (const char *)idp);
    sodium_memzero(idp, idn);
    sl__free(idp);

    /* the fields each source is asked for: the matter's materials, plus
     * what its rules read */
    json_t *want = json_object();
    size_t i;
    json_t *mat;
    json_array_foreach(json_object_get(m, "materials"), i, mat) {
        const json_t *rb = json_object_get(mat, "replaced_by");
        const char *src = json_string_value(json_object_get(rb, "shared"));
        if (!src) continue;
        json_t *arr = json_object_get(want, src);
        if (!arr) json_object_set_new(want, src, arr = json_array());
        size_t j;
        json_t *f;
        json_array_foreach(json_object_get(rb, "fields"), j, f)
            if (!json_has_string(arr, json_string_value(f))) json_array_append(arr, f);
    }
    want_rule_facts(json_object_get(m, "rules"), want, 0);
    /* the applicant's registry facts: status from death and household
     * registration, age from the ID number (registry: branch id) */
    static const char *const reg_srcs[][2] = { { "civil_death", "deceased" },
                                                { "police_household", "status" } };
    json_t *reg = json_object();
    json_t *shared = json_object();
    if (g->x) {
        for (size_t s = 0; s < 2; s++) {
            json_t *fl = json_pack("[s]", reg_srcs[s][1]), *got = NULL;
            if (sl__exchange_fetch(g->x, reg_srcs[s][0], idnum, fl, &got) == SL_OK)
                json_object_set_new(reg, reg_srcs[s][0], got);
            json_decref(fl);
        }
        const char *src;
        json_t *fl;
        json_object_foreach(want, src, fl) {
            json_t *got = NULL;
            st = sl__exchange_fetch(g->x, src, idnum, fl, &got);
            if (st != SL_OK) break;
            json_object_set_new(shared, src, got);
        }
    }
    json_decref(want);
    if (st != SL_OK) {
        json_decref(reg);
        json_decref(shared);
        return st;
    }
    json_t *applicant = json_object();
    const json_t *dead = json_object_get(json_object_get(reg, "civil_death"), "deceased");
    const char *hs = json_string_value(json_object_get(json_object_get(reg, "police_household"),
                                                       "status"));
    if (json_is_true(dead)) json_object_set_new(applicant, "status", json_string("deceased"));
    else if (hs) json_object_set_new(applicant, "status", json_string(hs));
    json_decref(reg);
    char t[11];
    day_str(sl__gov_today(), t);
    if (strlen(idnum) == 18) {
        int by = atoi((char[5]){ idnum[6], idnum[7], idnum[8], idnum[9], 0 });
        int bmd = atoi((char[5]){ idnum[10], idnum[11], idnum[12], idnum[13], 0 });
        int ty = atoi((char[5]){ t[0], t[1], t[2], t[3], 0 });
        int tmd = atoi((char[5]){ t[5], t[6], t[8], t[9], 0 });
        json_object_set_new(applicant, "age", json_integer(ty - by - (tmd < bmd ? 1 : 0)));
    }
    sodium_memzero(idnum, sizeof idnum);
    /* the registry's record, when the subject has one: age from its birth
     * date (sl__id_age), and its status (a deceased/cancelled record) */
    if (r->person_id > 0) {
        struct sl_acct_audit au = { .actor_kind = a->kind, .actor_id = a->id,
                                    .action = "person.read", .purpose = r->matter,
                                    .request_id = a->request_id };
        struct sl_person p;
        st = sl__person_get_tx(tx, g->keys, r->person_id, false, &au, &p);
        if (st != SL_OK) {
            json_decref(shared);
            json_decref(applicant);
            return st;
        }
        int age = p.birth_date[0] ? sl__id_age(p.birth_date, t) : -1;
        if (age >= 0) json_object_set_new(applicant, "age", json_integer(age));
        if (p.status == SL_PERSON_DECEASED)
            json_object_set_new(applicant, "status", json_string("deceased"));
        else if (p.status == SL_PERSON_CANCELLED)
            json_object_set_new(applicant, "status", json_string("cancelled"));
    }
    json_t *appf = r->form ? sl_json_parse(r->form, strlen(r->form), NULL, 0) : json_object();
    json_t *facts = json_pack("{s:o,s:o,s:O}", "applicant", applicant, "application",
                              appf ? appf : json_object(), "shared", shared);
    enum sl__decision d = SL_DECIDE_REVIEW;
    json_t *explain = NULL;
    st = sl__rules_eval(json_object_get(m, "rules"), facts,
                        sl_json_bool(m, "auto_approve", false), &d, &explain);
    json_decref(facts);
    char *snap = json_dumps(shared, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(shared);
    char *ex = explain ? json_dumps(explain, JSON_COMPACT) : NULL;
    json_decref(explain);
    uint8_t *sealed = NULL;
    size_t sn = 0;
    char sad[80];
    snprintf(sad, sizeof sad, "gov_app|%s|shared", r->serial);
    if (st == SL_OK && snap)
        st = sl__seal(g->keys, sad, strlen(sad), snap, strlen(snap), &sealed, &sn);
    if (st == SL_OK)
        st = sl__tx_exec(tx, "UPDATE gov_app SET shared_sealed = ?, decision = ?, explain = ?"
                             " WHERE id = ?",
                         SL_ARGS(SL_BLOB(sealed, sn), SL_TEXT(sl__decision_name(d)),
                                 SL_TEXT(ex), SL_INT(r->id)), NULL);
    sl__free(sealed);
    free(snap);
    free(ex);
    if (st == SL_OK)
        st = audit(tx, g, a, "application.shared_fetch", r->id, r->masked, r->pidx, r->matter);
    return st;
}

/* One transition, recorded: state update, timeline row, audit record. */
static sl_status step(sl_tx *tx, struct sl__gov *g, const struct sl__gov_actor *a,
                      enum sl_app_actor as, struct row *r, const char *event,
                      const char *reason, json_t *entries, char *why, size_t cap)
{
    int from = sl__app_state_parse(r->state);
    if (from < 0) return SL_ERR_CORRUPT;
    enum sl_app_state to;
    sl_status st = sl__app_transition((enum sl_app_state)from, event, as, &to, why, cap);
    if (st != SL_OK) return st;
    const char *tn = sl__app_state_name(to);
    st = sl__tx_exec(tx, "UPDATE gov_app SET state = ?, updated_ms = ? WHERE id = ? AND state = ?",
                     SL_ARGS(SL_TEXT(tn), SL_INT(sl__now_ms()), SL_INT(r->id),
                             SL_TEXT(r->state)), NULL);
    if (st == SL_OK)
        st = timeline_add(tx, r->id, as == SL_ACTOR_SYSTEM ? "system" : a->kind,
                          as == SL_ACTOR_SYSTEM ? "gov" : a->id, event, r->state, tn,
                          reason, entries);
    if (st == SL_OK) {
        char action[48];
        snprintf(action, sizeof action, "application.%s", event);
        st = audit(tx, g, a, action, r->id, r->masked, r->pidx, r->matter);
    }
    if (st == SL_OK) cpy(r->state, sizeof r->state, tn);
    if (st == SL_OK && to == SL_APP_APPROVED)
        st = sl__gov_allowance_grant_tx(tx, g, a, r->id, r->matter, (int)r->version,
                                        r->person_id, r->pidx, r->masked, r->hall_id,
                                        r->proxy_person_id,
                                        r->proxy_relation[0] ? r->proxy_relation : NULL);
    return st;
}

static sl_status explain_reason(const struct row *r, char *out, size_t cap)
{
    /* the first failing rule's text, for the citizen */
    snprintf(out, cap, "rules: %s", r->decision ? r->decision : "review");
    if (!r->explain) return SL_OK;
    json_t *e = sl_json_parse(r->explain, strlen(r->explain), NULL, 0);
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(e, "rules"), i, rule) {
        const char *res = sl_json_str(rule, "result", "");
        if (strcmp(res, "true") != 0) {
            snprintf(out, cap, "%s: %s / %s (%s)", sl_json_str(rule, "id", ""),
                     sl_json_str(rule, "zh", ""), sl_json_str(rule, "en", ""), res);
            break;
        }
    }
    json_decref(e);
    return SL_OK;
}

/* After accept (and after a hold's release): the automatic steps. */
static sl_status auto_steps(sl_tx *tx, struct sl__gov *g, const struct sl__gov_actor *a,
                            struct row *r, const json_t *m, json_t *entries)
{
    char why[256], reason[600];
    sl_status st = SL_OK;
    if (strcmp(r->state, "accepted") == 0) {
        if (json_array_size(json_object_get(m, "holds")) > 0)
            return step(tx, g, a, SL_ACTOR_SYSTEM, r, "hold",
                        sl_json_str(json_array_get(json_object_get(m, "holds"), 0), "zh", NULL),
                        entries, why, sizeof why);
        st = step(tx, g, a, SL_ACTOR_SYSTEM, r, "review", NULL, entries, why, sizeof why);
    }
    if (st != SL_OK || strcmp(r->state, "in_review") != 0 || !r->decision) return st;
    explain_reason(r, reason, sizeof reason);
    if (strcmp(r->decision, "approve") == 0)
        st = step(tx, g, a, SL_ACTOR_SYSTEM, r, "approve", "auto-approved: every rule holds",
                  entries, why, sizeof why);
    else if (strcmp(r->decision, "refuse") == 0)
        st = step(tx, g, a, SL_ACTOR_SYSTEM, r, "reject", reason, entries, why, sizeof why);
    return st;
}

struct event_ctx {
    struct sl__gov *g;
    const struct sl__gov_actor *a;
    int64_t id;
    const char *event;
    const json_t *body;
    json_t *entries;
    char why[256];
};

static sl_status accept_dates(sl_tx *tx, struct sl__gov *g, struct row *r, const json_t *m)
{
    sl_day acc = sl__gov_today(), hold_end = 0, dl = 0;
    const json_t *hold = json_array_get(json_object_get(m, "holds"), 0);
    sl_status st = SL_OK;
    if (hold)
        st = sl_calendar_add_working_days(g->cal, acc, (int)sl_json_int(hold, "working_days", 0),
                                          &hold_end);
    const json_t *tl = json_object_get(m, "time_limit");
    if (st == SL_OK)
        st = sl_calendar_add_working_days(g->cal, hold ? hold_end : acc,
                                          (int)sl_json_int(tl, "working_days", 0), &dl);
    if (st != SL_OK) return st;
    day_str(acc, r->accepted);
    if (hold) day_str(hold_end, r->hold_end);
    day_str(dl, r->deadline);
    return sl__tx_exec(tx, "UPDATE gov_app SET accepted_day = ?, hold_end_day = ?,"
                           " deadline_day = ? WHERE id = ?",
                       SL_ARGS(SL_TEXT(r->accepted), SL_TEXT(hold ? r->hold_end : NULL),
                               SL_TEXT(r->deadline), SL_INT(r->id)), NULL);
}

/* The levels the matter's "auth" entries require of role ("subject": the
 * applicant / subject / each party / principal; "agent"). */
static uint32_t auth_levels(const json_t *m, bool agent, bool *named)
{
    uint32_t need = 0;
    *named = false;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(m, "auth"), i, e) {
        const char *who = sl_json_str(e, "who", "");
        bool is_agent = strcmp(who, "agent") == 0;
        bool is_subject = strcmp(who, "applicant") == 0 || strcmp(who, "subject") == 0 ||
                          strcmp(who, "each_party") == 0 || strcmp(who, "principal") == 0;
        if ((agent && !is_agent) || (!agent && !is_subject)) continue;
        *named = true;
        size_t k;
        json_t *l;
        json_array_foreach(json_object_get(e, "levels"), k, l)
            need |= sl__level_parse(json_string_value(l));
    }
    return need;
}

static bool verif_id(const json_t *v, int64_t *id)
{
    if (json_is_integer(v)) {
        *id = json_integer_value(v);
        return *id > 0;
    }
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > 20) return false;
    char *end = NULL;
    long long x = strtoll(s, &end, 10);
    if (*end || x <= 0) return false;
    *id = x;
    return true;
}

static void levels_text(uint32_t lv, char *out, size_t cap)
{
    out[0] = '\0';
    for (uint32_t b = 1; b <= SL_LEVEL_REAL_DOCUMENT; b <<= 1)
        if (lv & b)
            snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? "+" : "",
                     sl__level_name(b));
}

/* Submit: consumes each verification for (person, matter, reference =
 * the application id), records it in gov_app_auth, and checks that the
 * subject (and, for a proxy application, the agent) authenticated with
 * the levels the matter requires. */
static sl_status bind_verifications(sl_tx *tx, struct event_ctx *c, struct row *r,
                                    const json_t *m, char *note, size_t cap)
{
    const json_t *vs = json_object_get(c->body, "verifications");
    bool proxy = r->proxy_relation[0] != '\0', named_s, named_a;
    uint32_t need_s = auth_levels(m, false, &named_s), need_a = auth_levels(m, true, &named_a);
    bool have_s = !named_s, have_a = !proxy || !named_a;
    if (proxy && r->proxy_person_id > 0 && named_a) {
        have_a = true;   /* the proxy's own citizen session */
        snprintf(note, cap, "agent: citizen session");
    }
    if (r->person_id <= 0 && named_s) {
        snprintf(c->why, sizeof c->why, "the applicant has no registry record to verify against");
        return SL_ERR_APP_AUTH;
    }
    char ref[24];
    snprintf(ref, sizeof ref, "%lld", (long long)r->id);
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v) {
        int64_t vid = 0;
        if (!verif_id(v, &vid)) {
            snprintf(c->why, sizeof c->why, "verifications[%zu]: not a verification id", i);
            return SL_ERR_APP_AUTH;
        }
        struct sl_verification res;
        sl_status st = sl__verification_get_tx(tx, vid, &res);
        if (st == SL_ERR_NOT_FOUND) {
            snprintf(c->why, sizeof c->why, "verifications[%zu]: no such verification", i);
            return SL_ERR_APP_AUTH;
        }
        if (st != SL_OK) return st;
        bool agent;
        if (res.person_id > 0 && res.person_id == r->person_id) agent = false;
        else if (proxy && res.person_id > 0 &&
                 (r->proxy_person_id == 0 || res.person_id == r->proxy_person_id)) agent = true;
        else {
            snprintf(c->why, sizeof c->why, "verifications[%zu] is of another person", i);
            return SL_ERR_ID_VERIF_BINDING;
        }
        st = sl__verification_consume(tx, vid, res.person_id, r->matter, ref, &res);
        if (st != SL_OK) {
            snprintf(c->why, sizeof c->why, "verifications[%zu]: %s (it must be made for matter "
                     "%s, reference %s, and not used or expired)", i, sl_status_name(st),
                     r->matter, ref);
            return st;
        }
        uint32_t need = agent ? need_a : need_s;
        if ((res.levels_passed & need) != need) {
            char want[64], got[64];
            levels_text(need, want, sizeof want);
            levels_text(res.levels_passed, got, sizeof got);
            snprintf(c->why, sizeof c->why, "verifications[%zu]: the matter needs %s, it passed %s",
                     i, want, got[0] ? got : "none");
            return SL_ERR_APP_AUTH;
        }
        const char *method = sl__method_name(res.method);
        st = sl__tx_exec(tx, "INSERT INTO gov_app_auth (app_id, role, person_id, verification_id,"
                             " method, levels, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         SL_ARGS(SL_INT(r->id), SL_TEXT(agent ? "agent" : "subject"),
                                 SL_INT(res.person_id), SL_INT(vid),
                                 SL_TEXT(method ? method : "unknown"),
                                 SL_INT(res.levels_passed), SL_INT(sl__now_ms())), NULL);
        if (st == SL_OK && agent && r->proxy_person_id == 0) {
            st = sl__tx_exec(tx, "UPDATE gov_app SET proxy_person_id = ? WHERE id = ?",
                             SL_ARGS(SL_INT(res.person_id), SL_INT(r->id)), NULL);
            r->proxy_person_id = res.person_id;
        }
        if (st != SL_OK) return st;
        char lv[64];
        levels_text(res.levels_passed, lv, sizeof lv);
        size_t n = strlen(note);
        snprintf(note + n, cap - n, "%s%s verified: %s, %s", n ? "; " : "",
                 agent ? "agent" : "subject", method ? method : "?", lv);
        if (agent) have_a = true;
        else have_s = true;
    }
    if (!have_s) {
        snprintf(c->why, sizeof c->why, "the applicant's verification for this application "
                 "(matter %s, reference %s) is needed", r->matter, ref);
        return SL_ERR_APP_AUTH;
    }
    if (!have_a) {
        snprintf(c->why, sizeof c->why, "the proxy's own verification (or citizen session) "
                 "is needed");
        return SL_ERR_APP_AUTH;
    }
    return SL_OK;
}

static sl_status event_tx(sl_tx *tx, void *vctx)
{
    struct event_ctx *c = vctx;
    json_array_clear(c->entries);
    c->why[0] = '\0';
    struct row r;
    sl_status st = row_load(tx, c->id, &r);
    if (st != SL_OK) return st;
    st = may_see(c->a, &r);
    const json_t *m = NULL;
    if (st == SL_OK) st = matter_at(c->g, tx, r.matter, (int)r.version, &m);
    /* the actor role: the first of the caller's roles the table allows */
    enum sl_app_actor as = SL_ACTOR_N;
    sl_status best = SL_ERR_APP_FORBIDDEN;
    int from = sl__app_state_parse(r.state);
    for (int k = 0; st == SL_OK && k < SL_ACTOR_SYSTEM; k++) {
        if (!(c->a->roles & (1u << k))) continue;
        enum sl_app_state to;
        char w[256];
        sl_status t = sl__app_transition((enum sl_app_state)from, c->event,
                                         (enum sl_app_actor)k, &to, w, sizeof w);
        if (t == SL_OK) { as = (enum sl_app_actor)k; break; }
        if (best != SL_ERR_APP_TRANSITION) {
            best = t;
            cpy(c->why, sizeof c->why, w);
        }
    }
    if (st == SL_OK && as == SL_ACTOR_N) st = best;
    const char *reason = sl_json_str(c->body, "reason", NULL);
    char signed_reason[1400];
    if (st == SL_OK && as == SL_ACTOR_REVIEWER && *r.claimed_by &&
        strcmp(r.claimed_by, c->a->id) != 0) {
        snprintf(c->why, sizeof c->why, "claimed by %s", r.claimed_by);
        st = SL_ERR_APP_CLAIMED;
    }
    if (st == SL_OK && (strcmp(c->event, "return") == 0 || strcmp(c->event, "reject") == 0) &&
        (!reason || !*reason)) {
        snprintf(c->why, sizeof c->why, "'%s' needs a reason the applicant can read", c->event);
        st = SL_ERR_APP_FORM;
    }
    if (st == SL_OK && strcmp(c->event, "submit") == 0) {
        /* each required person's verification, bound to this application
         * and consumed single-use (sl__verification_consume) */
        char auth_note[400] = "";
        st = bind_verifications(tx, c, &r, m, auth_note, sizeof auth_note);
        if (st == SL_OK && auth_note[0]) {
            snprintf(signed_reason, sizeof signed_reason, "%s%s%s", reason ? reason : "",
                     reason ? "; " : "", auth_note);
            reason = signed_reason;
        }
        /* the applicant signs every commitment of the matter (承诺) */
        const json_t *signed_ = json_object_get(c->body, "commitments");
        size_t ci;
        json_t *cm;
        json_array_foreach(json_object_get(m, "commitments"), ci, cm) {
            if (st != SL_OK) break;
            const char *cid = sl_json_str(cm, "id", "");
            if (!json_has_string(signed_, cid)) {
                snprintf(c->why, sizeof c->why, "commitment '%s' not signed: %s", cid,
                         sl_json_str(cm, "zh", ""));
                st = SL_ERR_APP_FORM;
            }
        }
        json_t *sv;
        json_array_foreach(signed_, ci, sv) {
            if (st != SL_OK) break;
            bool known = false;
            size_t k;
            json_array_foreach(json_object_get(m, "commitments"), k, cm)
                if (json_is_string(sv) && strcmp(sl_json_str(cm, "id", ""), json_string_value(sv)) == 0)
                    known = true;
            if (!known) {
                snprintf(c->why, sizeof c->why, "'%s' is not a commitment of this matter",
                         json_is_string(sv) ? json_string_value(sv) : "?");
                st = SL_ERR_APP_FORM;
            }
        }
        if (st == SL_OK && json_array_size(signed_) > 0) {
            char *list = json_dumps(signed_, JSON_COMPACT);
            char prev[1000];
            snprintf(prev, sizeof prev, "%.900s", reason ? reason : "");
            snprintf(signed_reason, sizeof signed_reason, "%s%scommitments signed: %s",
                     prev, prev[0] ? "; " : "", list ? list : "");
            free(list);
            reason = signed_reason;
        }
        if (st == SL_OK) st = fetch_and_decide(tx, c->g, c->a, &r, m);
        if (st == SL_OK) {
            sl__free(r.decision);
            sl__free(r.explain);
            r.decision = r.explain = NULL;
            struct row r2;
            st = row_load(tx, c->id, &r2);
            if (st == SL_OK) {
                r.decision = r2.decision;
                r.explain = r2.explain;
                r2.decision = r2.explain = NULL;
                row_free(&r2);
            }
        }
    }
    if (st == SL_OK && strcmp(c->event, "accept") == 0) st = accept_dates(tx, c->g, &r, m);
    if (st == SL_OK)
        st = step(tx, c->g, c->a, as, &r, c->event, reason, c->entries, c->why, sizeof c->why);
    if (st == SL_OK && strcmp(c->event, "accept") == 0)
        st = auto_steps(tx, c->g, c->a, &r, m, c->entries);
    if (st == SL_OK && strcmp(c->event, "resubmit") == 0)
        st = sl__tx_exec(tx, "UPDATE gov_app SET claimed_by = NULL WHERE id = ?",
                         SL_ARGS(SL_INT(r.id)), NULL);
    row_free(&r);
    return st;
}

sl_status sl__gov_app_event(struct sl__gov *g, const struct sl__gov_actor *a, int64_t id,
                            const char *event, const json_t *body, json_t **out,
                            json_t **entries)
{
    struct event_ctx c = { .g = g, .a = a, .id = id, .event = event, .body = body,
                           .entries = json_array() };
    sl_status st = sl__store_run(g->store, event_tx, &c);
    if (st != SL_OK) {
        json_decref(c.entries);
        if (out && c.why[0]) *out = json_pack("{s:s}", "why", c.why);
        return st;
    }
    struct get_ctx gc = { .g = g, .a = a, .id = id, .audit = false };
    st = sl__store_run(g->store, get_tx, &gc);
    if (st != SL_OK) {
        json_decref(c.entries);
        return st;
    }
    *out = gc.out;
    *entries = c.entries;
    return SL_OK;
}

/* ------------------------------------------------------------ review */

struct claim_ctx { struct sl__gov *g; const struct sl__gov_actor *a; int64_t id; };

static sl_status claim_tx(sl_tx *tx, void *vctx)
{
    struct claim_ctx *c = vctx;
    struct row r;
    sl_status st = row_load(tx, c->id, &r);
    if (st != SL_OK) return st;
    st = may_see(c->a, &r);
    if (st == SL_OK && strcmp(r.state, "in_review") != 0) st = SL_ERR_APP_TRANSITION;
    if (st == SL_OK && *r.claimed_by && strcmp(r.claimed_by, c->a->id) != 0)
        st = SL_ERR_APP_CLAIMED;
    if (st == SL_OK)
        st = sl__tx_exec(tx, "UPDATE gov_app SET claimed_by = ? WHERE id = ?",
                         SL_ARGS(SL_TEXT(c->a->id), SL_INT(c->id)), NULL);
    if (st == SL_OK)
        st = audit(tx, c->g, c->a, "application.claim", r.id, r.masked, r.pidx, r.matter);
    row_free(&r);
    return st;
}

sl_status sl__gov_app_claim(struct sl__gov *g, const struct sl__gov_actor *a, int64_t id)
{
    struct claim_ctx c = { g, a, id };
    return sl__store_run(g->store, claim_tx, &c);
}

struct queue_ctx {
    struct sl__gov *g;
    const struct sl__gov_actor *a;
    const char *action;
    int64_t hall;
    const char *matter, *state;
    bool overdue_only;
    json_t *out;
};

static sl_status queue_tx(sl_tx *tx, void *vctx)
{
    struct queue_ctx *c = vctx;
    json_decref(c->out);
    c->out = json_array();
    sl_rows *rs = NULL;
    sl_status st = sl__tx_query(tx, "SELECT " ROW_COLS " FROM gov_app WHERE hall_id = ?"
                                " AND state = COALESCE(CAST(? AS TEXT), state)"
                                " AND matter = COALESCE(CAST(? AS TEXT), matter)"
                                " ORDER BY id DESC LIMIT 500",
                                SL_ARGS(SL_INT(c->hall), SL_TEXT(c->state), SL_TEXT(c->matter)),
                                &rs);
    if (st != SL_OK) return st;
    for (size_t i = 0; i < sl__rows_count(rs); i++) {
        struct row r;
        row_from(rs, i, &r);
        json_t *o = row_json(c->g, tx, &r);
        if (o && (!c->overdue_only || json_is_true(json_object_get(o, "overdue"))))
            json_array_append_new(c->out, o);
        else
            json_decref(o);
        row_free(&r);
    }
    sl__rows_free(rs);
    /* a list of personal data read: one audit record in the same tx */
    char hall[24];
    snprintf(hall, sizeof hall, "%lld", (long long)c->hall);
    struct sl_audit_rec ar = {
        .actor_kind = c->a->kind, .actor_id = c->a->id, .action = c->action,
        .object_type = "hall", .object_id = hall, .purpose = c->matter, .outcome = "ok",
        .request_id = c->a->request_id, .at_ms = sl__now_ms(),
    };
    return sl__audit_append(tx, c->g->keys, &ar, NULL);
}

static sl_status run_queue(struct queue_ctx *c, json_t **out)
{
    sl_status st = sl__store_run(c->g->store, queue_tx, c);
    if (st != SL_OK) {
        json_decref(c->out);
        return st;
    }
    *out = c->out;
    return SL_OK;
}

sl_status sl__gov_queue(struct sl__gov *g, const struct sl__gov_actor *a, const char *matter,
                        json_t **out)
{
    struct queue_ctx c = { g, a, "application.queue", a->hall_id, matter, "in_review", false, NULL };
    return run_queue(&c, out);
}

sl_status sl__gov_list(struct sl__gov *g, const struct sl__gov_actor *a, const char *state,
                       const char *matter, bool overdue_only, json_t **out)
{
    if (state && sl__app_state_parse(state) < 0) return SL_ERR_APP_FORM;
    struct queue_ctx c = { g, a, "application.list", a->hall_id, matter, state, overdue_only, NULL };
    return run_queue(&c, out);
}

struct mine_ctx { struct sl__gov *g; const struct sl__gov_actor *a; json_t *out; };

static sl_status mine_tx(sl_tx *tx, void *vctx)
{
    struct mine_ctx *c = vctx;
    json_decref(c->out);
    c->out = json_array();
    sl_rows *rs = NULL;
    sl_status st = sl__tx_query(tx, "SELECT " ROW_COLS " FROM gov_app WHERE person_id = ?"
                                " OR proxy_person_id = ? ORDER BY id DESC LIMIT 200",
                                SL_ARGS(SL_INT(c->a->person_id), SL_INT(c->a->person_id)), &rs);
    if (st != SL_OK) return st;
    for (size_t i = 0; i < sl__rows_count(rs); i++) {
        struct row r;
        row_from(rs, i, &r);
        json_t *o = row_json(c->g, tx, &r);
        if (o) {
            json_object_set_new(o, "as", json_string(r.person_id == c->a->person_id ? "subject"
                                                                                 : "proxy"));
            json_array_append_new(c->out, o);
        }
        row_free(&r);
    }
    sl__rows_free(rs);
    char pid[24];
    snprintf(pid, sizeof pid, "%lld", (long long)c->a->person_id);
    struct sl_audit_rec ar = {
        .actor_kind = c->a->kind, .actor_id = c->a->id, .action = "application.list.mine",
        .object_type = "person", .object_id = pid, .outcome = "ok",
        .request_id = c->a->request_id, .at_ms = sl__now_ms(),
    };
    return sl__audit_append(tx, c->g->keys, &ar, NULL);
}

sl_status sl__gov_my_apps(struct sl__gov *g, const struct sl__gov_actor *a, json_t **out)
{
    if (a->person_id <= 0) return SL_ERR_APP_FORBIDDEN;
    struct mine_ctx c = { g, a, NULL };
    sl_status st = sl__store_run(g->store, mine_tx, &c);
    if (st != SL_OK) {
        json_decref(c.out);
        return st;
    }
    *out = c.out;
    return SL_OK;
}

/* ------------------------------------------------------------ receipts */

#define RECEIPT_TAG "SLR1"

sl_status sl__gov_receipt(struct sl__gov *g, const struct sl__gov_actor *a, int64_t id,
                          json_t **out)
{
    json_t *app = NULL;
    sl_status st = sl__gov_app_get(g, a, id, &app);
    if (st != SL_OK) return st;
    const json_t *dates = json_object_get(app, "dates");
    const char *acc = json_string_value(json_object_get(dates, "accepted"));
    if (!acc) {
        json_decref(app);
        return SL_ERR_APP_TRANSITION;   /* no receipt before acceptance */
    }
    const char *he = json_string_value(json_object_get(dates, "hold_end"));
    char msg[256];
    snprintf(msg, sizeof msg, RECEIPT_TAG "|%s|%s|%s|%s|%s", sl_json_str(app, "serial", ""),
             sl_json_str(app, "matter", ""), acc, he ? he : "-",
             sl_json_str(dates, "deadline", ""));
    uint8_t sig[SL_CRYPTO_SIG_BYTES];
    st = sl__sign(g->keys, msg, strlen(msg), sig);
    if (st != SL_OK) {
        json_decref(app);
        return st;
    }
    char b64[sodium_base64_ENCODED_LEN(SL_CRYPTO_SIG_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char qr[400];
    snprintf(qr, sizeof qr, "%s|%s", msg, b64);
    json_object_set_new(app, "qr", json_string(qr));
    *out = app;
    return SL_OK;
}

struct serial_ctx { const char *serial; char state[24]; };

static sl_status serial_tx(sl_tx *tx, void *vctx)
{
    struct serial_ctx *c = vctx;
    sl_rows *rs = NULL;
    sl_status st = sl__tx_query(tx, "SELECT state FROM gov_app WHERE serial = ?",
                                SL_ARGS(SL_TEXT(c->serial)), &rs);
    if (st != SL_OK) return st;
    if (sl__rows_count(rs) == 0) st = SL_ERR_APP_NOT_FOUND;
    else cpy(c->state, sizeof c->state, sl__rows_text(rs, 0, 0));
    sl__rows_free(rs);
    return st;
}

sl_status sl__gov_receipt_verify(struct sl__gov *g, const char *content, json_t **out)
{
    if (!content || strlen(content) > 380 || strncmp(content, RECEIPT_TAG "|", 5) != 0)
        return SL_ERR_RECEIPT_INVALID;
    const char *bar = strrchr(content, '|');
    size_t mlen = (size_t)(bar - content);
    uint8_t sig[SL_CRYPTO_SIG_BYTES + 8];
    size_t sn = 0;
    if (sodium_base642bin(sig, sizeof sig, bar + 1, strlen(bar + 1), NULL, &sn, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        sl__verify(g->keys, content, mlen, sig, sn) != SL_OK)
        return SL_ERR_RECEIPT_INVALID;
    char parts[6][64] = { { 0 } };
    const char *p = content;
    for (int i = 0; i < 6; i++) {
        const char *e = strchr(p, '|');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        snprintf(parts[i], sizeof parts[i], "%.*s", (int)n, p);
        p = e ? e + 1 : p + n;
    }
    struct serial_ctx c = { .serial = parts[1] };
    sl_status st = sl__store_run(g->store, serial_tx, &c);
    if (st != SL_OK) return st;
    *out = json_pack("{s:b,s:s,s:s,s:s,s:o,s:s,s:s}", "valid", 1, "serial", parts[1],
                     "matter", parts[2], "accepted", parts[3],
                     "hold_end", strcmp(parts[4], "-") ? json_string(parts[4]) : json_null(),
                     "deadline", parts[5], "state", c.state);
    return *out ? SL_OK : SL_ERR_NOMEM;
}

/* ------------------------------------------------------------ notices */

struct notices_ctx { struct sl__gov *g; json_t *out; };

static sl_status notices_tx(sl_tx *tx, void *vctx)
{
    struct notices_ctx *c = vctx;
    json_decref(c->out);
    c->out = json_array();
    sl_rows *rs = NULL;
    sl_status st = sl__tx_query(tx, "SELECT serial, matter, matter_version, accepted_day,"
                                " hold_end_day, state FROM gov_app WHERE hold_end_day IS NOT NULL"
                                " ORDER BY id DESC LIMIT 200", NULL, 0, &rs);
    if (st != SL_OK) return st;
    for (size_t i = 0; i < sl__rows_count(rs); i++) {
        const json_t *m = NULL;
        if (matter_at(c->g, tx, sl__rows_text(rs, i, 1), (int)sl__rows_int(rs, i, 2), &m) != SL_OK)
            continue;
        const json_t *hold = json_array_get(json_object_get(m, "holds"), 0);
        if (!sl_json_bool(hold, "publish", false)) continue;
        json_array_append_new(c->out, json_pack("{s:s,s:s,s:O,s:O,s:s,s:s,s:b}",
            "serial", sl__rows_text(rs, i, 0), "matter", sl__rows_text(rs, i, 1),
            "matter_name", json_object_get(m, "name"), "notice", hold,
            "published", sl__rows_text(rs, i, 3), "ends", sl__rows_text(rs, i, 4),
            "running", strcmp(sl__rows_text(rs, i, 5), "on_hold") == 0));
    }
    sl__rows_free(rs);
    return SL_OK;
}

sl_status sl__gov_notices(struct sl__gov *g, json_t **out)
{
    struct notices_ctx c = { g, NULL };
    sl_status st = sl__store_run(g->store, notices_tx, &c);
    if (st != SL_OK) {
        json_decref(c.out);
        return st;
    }
    *out = c.out;
    return SL_OK;
}

/* ------------------------------------------------------------ the job */

struct tick_ctx { struct sl__gov *g; const char *holder; int released; json_t *entries; };

static sl_status tick_tx(sl_tx *tx, void *vctx)
{
    struct tick_ctx *c = vctx;
    c->released = 0;
    json_array_clear(c->entries);
    bool held = false;
    int64_t now = sl__now_ms();
    sl_status st = sl__store_lease(tx, "gov.holds", c->holder, now, 60000, &held);
    if (st != SL_OK || !held) return st;
    char t[11];
    day_str(sl__gov_today(), t);
    sl_rows *rs = NULL;
    st = sl__tx_query(tx, "SELECT " ROW_COLS " FROM gov_app WHERE state = 'on_hold'"
                      " AND hold_end_day < ? ORDER BY id LIMIT 100", SL_ARGS(SL_TEXT(t)), &rs);
    if (st != SL_OK) return st;
    struct sl__gov_actor sys = { .roles = 1u << SL_ACTOR_SYSTEM, .kind = "system",
                                 .id = "gov.holds" };
    char why[256];
    for (size_t i = 0; st == SL_OK && i < sl__rows_count(rs); i++) {
        struct row r;
        row_from(rs, i, &r);
        const json_t *m = NULL;
        if (matter_at(c->g, tx, r.matter, (int)r.version, &m) != SL_OK) m = NULL;
        char reason[128];
        snprintf(reason, sizeof reason, "hold ended %s", r.hold_end);
        st = step(tx, c->g, &sys, SL_ACTOR_SYSTEM, &r, "release", reason, c->entries,
                  why, sizeof why);
        if (st == SL_OK && m) st = auto_steps(tx, c->g, &sys, &r, m, c->entries);
        if (st == SL_OK) c->released++;
        row_free(&r);
    }
    sl__rows_free(rs);
    return st;
}

sl_status sl__gov_tick(struct sl__gov *g, const char *holder, int *released, json_t **entries)
{
    struct tick_ctx c = { g, holder, 0, json_array() };
    sl_status st = sl__store_run(g->store, tick_tx, &c);
    if (released) *released = st == SL_OK ? c.released : 0;
    if (entries && st == SL_OK) *entries = c.entries;
    else json_decref(c.entries);
    return st;
}

void sl__gov_holder(char *out, size_t cap)
{
    char host[128] = "host";
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "host");
    host[sizeof host - 1] = '\0';
    snprintf(out, cap, "%s:%ld", host, (long)getpid());
}

void sl__gov_jobs_stop(struct sl__gov *g)
{
    if (!g || !g->job_running) return;
    pthread_mutex_lock(&g->mu);
    g->job_stop = true;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->job, NULL);
    g->job_running = false;
    g->job_stop = false;
}

static void *job_main(void *arg)
{
    struct sl__gov *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->job_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += g->period_ms / 1000;
        ts.tv_nsec += (long)(g->period_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
        if (g->job_stop) break;
        pthread_mutex_unlock(&g->mu);
        int n = 0;
        json_t *entries = NULL;
        sl_status st = sl__gov_tick(g, g->holder, &n, &entries);
        if (st != SL_OK)
            sl_log_warn("gov: hold-release job: %s", sl_status_name(st));
        else if (n > 0 && g->on_entries)
            g->on_entries(g->on_ctx, entries);
        json_decref(entries);
        st = sl__gov_allowance_tick(g, g->holder, NULL, NULL, NULL);
        if (st != SL_OK)
            sl_log_warn("gov: allowance job: %s", sl_status_name(st));
        pthread_mutex_lock(&g->mu);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

sl_status sl__gov_jobs_start(struct sl__gov *g, const char *holder, int64_t period_ms,
                             void (*on_entries)(void *ctx, json_t *entries), void *ctx)
{
    if (g->job_running || period_ms <= 0) return SL_ERR_STATE;
    snprintf(g->holder, sizeof g->holder, "%s", holder);
    g->period_ms = period_ms;
    g->on_entries = on_entries;
    g->on_ctx = ctx;
    if (pthread_create(&g->job, NULL, job_main, g) != 0) return SL_ERR_INTERNAL;
    g->job_running = true;
    return SL_OK;
}
