/*
 * allowance.c -- the elderly allowance (高龄津贴, seed 003): granted when
 * an application of a matter with "proof_of_life" is approved; periodic
 * proof of life by the same face check (a verification of the elder for
 * the allowance); reminders before due; payment suspended when overdue or
 * stopped on a death record; resumed by a new proof. See app.h.
 *
 * Tables gov_allowance and gov_allowance_event (migration 303). Every
 * change appends its event row and an audit record in one transaction;
 * the job runs under the store lease "gov.allowance" (one node at a time).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct/acct.h"
#include "audit/audit.h"
#include "gov/app_int.h"
#include "id/id.h"

#define ALLOW_CHECK_MS DAY_MS   /* death records are looked for once a day */

static json_t *iso(int64_t ms)
{
    char t[40];
    sl_time_iso8601(t, sizeof t, ms);
    return json_string(t);
}

static sl_status al_audit(sl_tx *tx, struct sl__gov *g, const char *kind, const char *actor,
                          const char *request_id, const char *action, int64_t id,
                          const char *masked, const uint8_t *pidx, const char *matter,
                          const char *outcome)
{
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", (long long)id);
    struct sl_audit_rec r = {
        .actor_kind = kind, .actor_id = actor, .action = action,
        .object_type = "allowance", .object_id = oid, .id_masked = masked,
        .person_idx = pidx, .purpose = matter, .outcome = outcome ? outcome : "ok",
        .request_id = request_id, .at_ms = sl__now_ms(),
    };
    return sl__audit_append(tx, g->keys, &r, NULL);
}

static sl_status al_event(sl_tx *tx, int64_t id, const char *kind, const char *akind,
                          const char *actor, int64_t verification, const char *note)
{
    return sl__tx_exec(tx, "INSERT INTO gov_allowance_event (allowance_id, at_ms, kind, actor_kind,"
                           " actor_id, verification_id, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       SL_ARGS(SL_INT(id), SL_INT(sl__now_ms()), SL_TEXT(kind), SL_TEXT(akind),
                               SL_TEXT(actor), verification ? SL_INT(verification) : SL_NULL,
                               SL_TEXT(note)), NULL);
}

sl_status sl__gov_allowance_grant_tx(sl_tx *tx, struct sl__gov *g, const struct sl__gov_actor *a,
                                     int64_t app_id, const char *matter, int version,
                                     int64_t person_id, const uint8_t *pidx, const char *masked,
                                     int64_t hall_id, int64_t proxy_person_id,
                                     const char *proxy_relation)
{
    const json_t *m = NULL;
    if (sl__gov_matter_tx(g, tx, matter, version, &m) != SL_OK) return SL_OK;
    const json_t *pol = json_object_get(m, "proof_of_life");
    if (!pol) return SL_OK;
    if (person_id <= 0) return SL_ERR_APP_AUTH;
    int64_t interval = sl_json_int(pol, "interval_days", 182);
    int64_t remind = sl_json_int(pol, "remind_days", 30);
    int64_t now = sl__now_ms(), id = 0;
    /* the application's approval is the first proof of life: the elder's
     * face was verified for it */
    sl_status st = sl__tx_query_int(tx,
        "INSERT INTO gov_allowance (app_id, matter, person_id, person_idx, id_masked, hall_id,"
        " proxy_person_id, proxy_relation, state, interval_days, remind_days, last_proof_ms,"
        " due_ms, reminded_ms, checked_ms, created_ms, updated_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, 0, ?, ?, ?) RETURNING id",
        SL_ARGS(SL_INT(app_id), SL_TEXT(matter), SL_INT(person_id),
                SL_BLOB(pidx, SL_CRYPTO_HASH_BYTES), SL_TEXT(masked), SL_INT(hall_id),
                proxy_person_id ? SL_INT(proxy_person_id) : SL_NULL, SL_TEXT(proxy_relation),
                SL_INT(interval), SL_INT(remind), SL_INT(now), SL_INT(now + interval * DAY_MS),
                SL_INT(now), SL_INT(now), SL_INT(now)), &id);
    if (st == SL_OK)
        st = al_event(tx, id, "granted", a->kind, a->id, 0, "application approved; the elder's "
                      "verification for it is the first proof of life");
    if (st == SL_OK)
        st = al_audit(tx, g, a->kind, a->id, a->request_id, "allowance.grant", id, masked, pidx,
                      matter, NULL);
    return st;
}

/* ------------------------------------------------------------ reading */

#define AL_COLS "id, app_id, matter, person_id, id_masked, hall_id, proxy_person_id," \
                " proxy_relation, state, interval_days, remind_days, last_proof_ms, due_ms," \
                " reminded_ms, checked_ms, person_idx"

struct al {
    int64_t id, app_id, person_id, hall_id, proxy_person_id, interval, remind;
    int64_t last_proof, due, reminded, checked;
    char matter[64], masked[SL_ID_MAX], relation[32], state[16];
    uint8_t pidx[SL_CRYPTO_HASH_BYTES];
};

static void al_from(const sl_rows *rs, size_t i, struct al *x)
{
    memset(x, 0, sizeof *x);
    x->id = sl__rows_int(rs, i, 0);
    x->app_id = sl__rows_int(rs, i, 1);
    snprintf(x->matter, sizeof x->matter, "%s", sl__rows_text(rs, i, 2));
    x->person_id = sl__rows_int(rs, i, 3);
    snprintf(x->masked, sizeof x->masked, "%s", sl__rows_text(rs, i, 4));
    x->hall_id = sl__rows_int(rs, i, 5);
    x->proxy_person_id = sl__rows_null(rs, i, 6) ? 0 : sl__rows_int(rs, i, 6);
    const char *rel = sl__rows_text(rs, i, 7);
    snprintf(x->relation, sizeof x->relation, "%s", rel ? rel : "");
    snprintf(x->state, sizeof x->state, "%s", sl__rows_text(rs, i, 8));
    x->interval = sl__rows_int(rs, i, 9);
    x->remind = sl__rows_int(rs, i, 10);
    x->last_proof = sl__rows_int(rs, i, 11);
    x->due = sl__rows_int(rs, i, 12);
    x->reminded = sl__rows_int(rs, i, 13);
    x->checked = sl__rows_int(rs, i, 14);
    size_t n = 0;
    const void *p = sl__rows_blob(rs, i, 15, &n);
    if (p && n == sizeof x->pidx) memcpy(x->pidx, p, n);
}

static void state_text(const char *state, const char **zh, const char **en)
{
    if (strcmp(state, "active") == 0) {
        *zh = "津贴正常发放。请在到期前完成生存认证（刷脸）。";
        *en = "The allowance is being paid. Prove you are alive (face check) before the due date.";
    } else if (strcmp(state, "suspended") == 0) {
        *zh = "生存认证已逾期，津贴暂停发放。完成一次刷脸认证即可恢复发放。";
        *en = "Proof of life is overdue and payment is suspended. One face check resumes it.";
    } else {
        *zh = "收到死亡登记信息，津贴已停止发放。如信息有误，请到民政窗口办理。";
        *en = "A death record was received and payment has stopped. If this is wrong, visit a "
              "civil-affairs window.";
    }
}

static sl_status al_json(sl_tx *tx, const struct al *x, json_t **out)
{
    const char *zh, *en;
    state_text(x->state, &zh, &en);
    json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:I,s:I,s:o,s:o,s:{s:s,s:s}}",
        "id", (json_int_t)x->id, "application", (json_int_t)x->app_id, "matter", x->matter,
        "id_masked", x->masked, "state", x->state, "interval_days", (json_int_t)x->interval,
        "remind_days", (json_int_t)x->remind, "last_proof_at", iso(x->last_proof),
        "due_at", iso(x->due), "next", "zh", zh, "en", en);
    if (!o) return SL_ERR_NOMEM;
    json_object_set_new(o, "payment", json_string(strcmp(x->state, "active") == 0 ? "paying"
                                                  : strcmp(x->state, "suspended") == 0
                                                      ? "suspended" : "stopped"));
    if (x->relation[0])
        json_object_set_new(o, "proxy", json_pack("{s:s,s:I}", "relation", x->relation,
                                                  "person_id", (json_int_t)x->proxy_person_id));
    sl_rows *rs = NULL;
    sl_status st = sl__tx_query(tx, "SELECT at_ms, kind, actor_kind, actor_id, verification_id,"
                                    " note FROM gov_allowance_event WHERE allowance_id = ?"
                                    " ORDER BY id", SL_ARGS(SL_INT(x->id)), &rs);
    if (st != SL_OK) {
        json_decref(o);
        return st;
    }
    json_t *ev = json_array(), *rem = json_array();
    for (size_t i = 0; i < sl__rows_count(rs); i++) {
        const char *note = sl__rows_text(rs, i, 5);
        json_t *e = json_pack("{s:o,s:s,s:s,s:s,s:o}", "at", iso(sl__rows_int(rs, i, 0)),
                              "kind", sl__rows_text(rs, i, 1), "actor_kind",
                              sl__rows_text(rs, i, 2), "actor", sl__rows_text(rs, i, 3),
                              "note", note ? json_string(note) : json_null());
        if (!sl__rows_null(rs, i, 4))
            json_object_set_new(e, "verification", json_integer(sl__rows_int(rs, i, 4)));
        if (strcmp(sl__rows_text(rs, i, 1), "reminder") == 0)
            json_array_append(rem, e);
        json_array_append_new(ev, e);
    }
    sl__rows_free(rs);
    json_object_set_new(o, "events", ev);
    json_object_set_new(o, "reminders", rem);
    *out = o;
    return SL_OK;
}

struct list_ctx { struct sl__gov *g; const struct sl__gov_actor *a; const char *state;
                  json_t *out; };

static sl_status list_tx(sl_tx *tx, void *vctx)
{
    struct list_ctx *c = vctx;
    json_decref(c->out);
    c->out = json_array();
    sl_rows *rs = NULL;
    sl_status st;
    if (c->a->person_id > 0)
        st = sl__tx_query(tx, "SELECT " AL_COLS " FROM gov_allowance WHERE person_id = ?"
                              " OR proxy_person_id = ? ORDER BY id DESC LIMIT 100",
                          SL_ARGS(SL_INT(c->a->person_id), SL_INT(c->a->person_id)), &rs);
    else
        st = sl__tx_query(tx, "SELECT " AL_COLS " FROM gov_allowance WHERE hall_id = ?"
                              " AND state = COALESCE(CAST(? AS TEXT), state)"
                              " ORDER BY id DESC LIMIT 500",
                          SL_ARGS(SL_INT(c->a->hall_id), SL_TEXT(c->state)), &rs);
    if (st != SL_OK) return st;
    for (size_t i = 0; st == SL_OK && i < sl__rows_count(rs); i++) {
        struct al x;
        al_from(rs, i, &x);
        json_t *o = NULL;
        st = al_json(tx, &x, &o);
        if (st == SL_OK) {
            if (c->a->person_id > 0)
                json_object_set_new(o, "as", json_string(x.person_id == c->a->person_id
                                                         ? "elder" : "proxy"));
            json_array_append_new(c->out, o);
        }
    }
    sl__rows_free(rs);
    if (st != SL_OK) return st;
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", (long long)(c->a->person_id > 0 ? c->a->person_id
                                                                       : c->a->hall_id));
    struct sl_audit_rec ar = {
        .actor_kind = c->a->kind, .actor_id = c->a->id, .action = "allowance.list",
        .object_type = c->a->person_id > 0 ? "person" : "hall", .object_id = oid,
        .outcome = "ok", .request_id = c->a->request_id, .at_ms = sl__now_ms(),
    };
    return sl__audit_append(tx, c->g->keys, &ar, NULL);
}

static sl_status run_list(struct list_ctx *c, json_t **out)
{
    sl_status st = sl__store_run(c->g->store, list_tx, c);
    if (st != SL_OK) {
        json_decref(c->out);
        return st;
    }
    *out = c->out;
    return SL_OK;
}

sl_status sl__gov_allowance_mine(struct sl__gov *g, const struct sl__gov_actor *a, json_t **out)
{
    if (a->person_id <= 0) return SL_ERR_APP_FORBIDDEN;
    struct list_ctx c = { g, a, NULL, NULL };
    return run_list(&c, out);
}

sl_status sl__gov_allowance_list(struct sl__gov *g, const struct sl__gov_actor *a,
                                 const char *state, json_t **out)
{
    if (state && strcmp(state, "active") != 0 && strcmp(state, "suspended") != 0 &&
        strcmp(state, "stopped") != 0)
        return SL_ERR_APP_FORM;
    struct sl__gov_actor staff = *a;
    staff.person_id = 0;
    struct list_ctx c = { g, &staff, state, NULL };
    return run_list(&c, out);
}

/* ------------------------------------------------------------ proof of life */

struct proof_ctx { struct sl__gov *g; const struct sl__gov_actor *a; int64_t id, vid;
                   json_t *out; };

static sl_status proof_tx(sl_tx *tx, void *vctx)
{
    struct proof_ctx *c = vctx;
    json_decref(c->out);
    c->out = NULL;
    sl_rows *rs = NULL;
    sl_status st = sl__tx_query(tx, "SELECT " AL_COLS " FROM gov_allowance WHERE id = ?",
                                SL_ARGS(SL_INT(c->id)), &rs);
    if (st != SL_OK) return st;
    if (sl__rows_count(rs) == 0) {
        sl__rows_free(rs);
        return SL_ERR_APP_NOT_FOUND;
    }
    struct al x;
    al_from(rs, 0, &x);
    sl__rows_free(rs);
    /* who may: the elder, the proxy (citizen sessions), staff and devices of the hall */
    if (c->a->person_id > 0 ? (x.person_id != c->a->person_id &&
                               x.proxy_person_id != c->a->person_id)
                            : (c->a->hall_id != 0 && c->a->hall_id != x.hall_id))
        return SL_ERR_APP_NOT_FOUND;
    if (strcmp(x.state, "stopped") == 0) return SL_ERR_APP_TRANSITION;
    char ref[40];
    snprintf(ref, sizeof ref, "allowance:%lld", (long long)x.id);
    struct sl_verification v;
    st = sl__verification_consume(tx, c->vid, x.person_id, x.matter, ref, &v);
    if (st != SL_OK) return st;
    if ((v.levels_passed & SL_LEVEL_REAL_PERSON) == 0) return SL_ERR_APP_AUTH;
    int64_t now = sl__now_ms();
    bool resumed = strcmp(x.state, "suspended") == 0;
    st = sl__tx_exec(tx, "UPDATE gov_allowance SET state = 'active', last_proof_ms = ?,"
                         " due_ms = ?, reminded_ms = 0, updated_ms = ? WHERE id = ?",
                     SL_ARGS(SL_INT(now), SL_INT(now + x.interval * DAY_MS), SL_INT(now),
                             SL_INT(x.id)), NULL);
    const char *method = sl__method_name(v.method);
    char note[128];
    snprintf(note, sizeof note, "the elder's face check (%s)", method ? method : "?");
    if (st == SL_OK) st = al_event(tx, x.id, "proof_of_life", c->a->kind, c->a->id, c->vid, note);
    if (st == SL_OK && resumed)
        st = al_event(tx, x.id, "resumed", c->a->kind, c->a->id, c->vid,
                      "payment resumed by a new proof of life");
    if (st == SL_OK)
        st = al_audit(tx, c->g, c->a->kind, c->a->id, c->a->request_id, "allowance.proof_of_life",
                      x.id, x.masked, x.pidx, x.matter, NULL);
    if (st != SL_OK) return st;
    snprintf(x.state, sizeof x.state, "active");
    x.last_proof = now;
    x.due = now + x.interval * DAY_MS;
    x.reminded = 0;
    return al_json(tx, &x, &c->out);
}

sl_status sl__gov_allowance_proof(struct sl__gov *g, const struct sl__gov_actor *a,
                                  int64_t allowance, int64_t verification, json_t **out)
{
    struct proof_ctx c = { g, a, allowance, verification, NULL };
    sl_status st = sl__store_run(g->store, proof_tx, &c);
    if (st != SL_OK) {
        json_decref(c.out);
        return st;
    }
    *out = c.out;
    return SL_OK;
}

/* ------------------------------------------------------------ the job */

/* Is there a death record for the elder: the registry's status, or the
 * civil-affairs death record from shared data (fetched bound to the
 * allowance's application, only the field needed, audited)? */
static sl_status death_record(sl_tx *tx, struct sl__gov *g, const struct al *x,
                              const struct sl__gov_actor *sys, bool *dead, char *why, size_t cap)
{
    *dead = false;
    struct sl_acct_audit au = { .actor_kind = "system", .actor_id = sys->id,
                                .action = "person.read", .purpose = x->matter };
    struct sl_person p;
    sl_status st = sl__person_get_tx(tx, g->keys, x->person_id, true, &au, &p);
    if (st != SL_OK) return st;
    if (p.status == SL_PERSON_DECEASED) {
        *dead = true;
        snprintf(why, cap, "registry: deceased");
    } else if (g->x) {
        json_t *fl = json_pack("[s,s]", "deceased", "date_of_death"), *got = NULL;
        st = sl__exchange_fetch(g->x, "civil_death", p.number, fl, &got);
        json_decref(fl);
        if (st == SL_OK && json_is_true(json_object_get(got, "deceased"))) {
            *dead = true;
            snprintf(why, cap, "civil affairs death record (%s)",
                     sl_json_str(got, "date_of_death", "date unknown"));
        }
        json_decref(got);
        if (st == SL_OK)
            st = al_audit(tx, g, "system", sys->id, NULL, "allowance.shared_fetch", x->id,
                          x->masked, x->pidx, "civil_death", NULL);
    }
    sodium_memzero(p.number, sizeof p.number);
    return st;
}

struct tick_ctx { struct sl__gov *g; const char *holder; int reminded, suspended, stopped; };

static sl_status tick_tx(sl_tx *tx, void *vctx)
{
    struct tick_ctx *c = vctx;
    c->reminded = c->suspended = c->stopped = 0;
    bool held = false;
    int64_t now = sl__now_ms();
    sl_status st = sl__store_lease(tx, "gov.allowance", c->holder, now, 60000, &held);
    if (st != SL_OK || !held) return st;
    sl_rows *rs = NULL;
    st = sl__tx_query(tx, "SELECT " AL_COLS " FROM gov_allowance WHERE state <> 'stopped'"
                          " AND (checked_ms <= ? OR due_ms <= ? OR (reminded_ms = 0 AND"
                          " due_ms - remind_days * 86400000 <= ?)) ORDER BY id LIMIT 200",
                      SL_ARGS(SL_INT(now - ALLOW_CHECK_MS), SL_INT(now), SL_INT(now)), &rs);
    if (st != SL_OK) return st;
    struct sl__gov_actor sys = { .roles = 1u << SL_ACTOR_SYSTEM, .kind = "system",
                                 .id = "gov.allowance" };
    for (size_t i = 0; st == SL_OK && i < sl__rows_count(rs); i++) {
        struct al x;
        al_from(rs, i, &x);
        if (now - x.checked >= ALLOW_CHECK_MS) {
            bool dead = false;
            char why[160] = "";
            st = death_record(tx, c->g, &x, &sys, &dead, why, sizeof why);
            if (st == SL_OK)
                st = sl__tx_exec(tx, "UPDATE gov_allowance SET checked_ms = ? WHERE id = ?",
                                 SL_ARGS(SL_INT(now), SL_INT(x.id)), NULL);
            if (st == SL_OK && dead) {
                st = sl__tx_exec(tx, "UPDATE gov_allowance SET state = 'stopped', updated_ms = ?"
                                     " WHERE id = ?", SL_ARGS(SL_INT(now), SL_INT(x.id)), NULL);
                if (st == SL_OK) st = al_event(tx, x.id, "stopped", "system", sys.id, 0, why);
                if (st == SL_OK)
                    st = al_audit(tx, c->g, "system", sys.id, NULL, "allowance.stop", x.id,
                                  x.masked, x.pidx, x.matter, NULL);
                if (st == SL_OK) c->stopped++;
                continue;
            }
        }
        if (st != SL_OK) break;
        if (strcmp(x.state, "active") == 0 && now >= x.due) {
            char note[96], d[40];
            sl_time_iso8601(d, sizeof d, x.due);
            snprintf(note, sizeof note, "proof of life overdue since %s", d);
            st = sl__tx_exec(tx, "UPDATE gov_allowance SET state = 'suspended', updated_ms = ?"
                                 " WHERE id = ?", SL_ARGS(SL_INT(now), SL_INT(x.id)), NULL);
            if (st == SL_OK) st = al_event(tx, x.id, "suspended", "system", sys.id, 0, note);
            if (st == SL_OK)
                st = al_audit(tx, c->g, "system", sys.id, NULL, "allowance.suspend", x.id,
                              x.masked, x.pidx, x.matter, NULL);
            if (st == SL_OK) c->suspended++;
        } else if (strcmp(x.state, "active") == 0 && x.reminded == 0 &&
                   now >= x.due - x.remind * DAY_MS) {
            char note[200], d[40];
            sl_time_iso8601(d, sizeof d, x.due);
            snprintf(note, sizeof note, "请于 %.10s 前完成生存认证 / prove you are alive by %.10s",
                     d, d);
            st = sl__tx_exec(tx, "UPDATE gov_allowance SET reminded_ms = ? WHERE id = ?",
                             SL_ARGS(SL_INT(now), SL_INT(x.id)), NULL);
            if (st == SL_OK) st = al_event(tx, x.id, "reminder", "system", sys.id, 0, note);
            if (st == SL_OK)
                st = al_audit(tx, c->g, "system", sys.id, NULL, "allowance.remind", x.id,
                              x.masked, x.pidx, x.matter, NULL);
            if (st == SL_OK) c->reminded++;
        }
    }
    sl__rows_free(rs);
    return st;
}

sl_status sl__gov_allowance_tick(struct sl__gov *g, const char *holder, int *reminded,
                                 int *suspended, int *stopped)
{
    struct tick_ctx c = { g, holder, 0, 0, 0 };
    sl_status st = sl__store_run(g->store, tick_tx, &c);
    if (reminded) *reminded = st == SL_OK ? c.reminded : 0;
    if (suspended) *suspended = st == SL_OK ? c.suspended : 0;
    if (stopped) *stopped = st == SL_OK ? c.stopped : 0;
    return st;
}
