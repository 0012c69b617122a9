/*
 * demo_sub.c -- the demo seed of seeds 002 and 004 (src/gov/sub.h): a
 * company filing pending for 示例戊 (legal representative), 示例己
 * (shareholder), 示例丑 (Hong Kong shareholder, no bank-card factor) and
 * Demo Blair (director, passport); and a delegation 示例壬 -> 示例癸
 * waiting for 示例壬's face. Idempotent: a demo item younger than the
 * 7-day pending window is reused, otherwise a fresh one is opened (so the
 * pending lists are never empty on a long-running demo). The ids go into
 * cred "sub" (docs/licences.md walks through them).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "acct/acct.h"
#include "demo.h"
#include "gov/sub.h"
#include "id/id.h"
#include "store/store.h"

#define DEMO_TITLE "示例科技（杭州）有限公司 设立登记"

static json_t *who(const json_t *p, const char *role)
{
    json_t *o = json_pack("{s:s,s:s,s:s}", "id_type", sl_json_str(p, "id_type", ""),
                          "id_number", sl_json_str(p, "id_number", ""), "name",
                          sl_json_str(p, "name", ""));
    if (o && role) json_object_set_new(o, "role", json_string(role));
    return o;
}

static const json_t *find(const json_t *persons, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(persons, "persons"), i, p)
        if (strcmp(sl_json_str(p, "name", ""), name) == 0) return p;
    return NULL;
}

/* Adds the person (no face data) when the registry seed has not. */
static sl_status ensure_person(struct sl_demo *d, const json_t *p)
{
    enum sl_id_type t = sl_id_type_parse(sl_json_str(p, "id_type", ""));
    struct sl_person out;
    const struct sl_acct_audit au = { .actor_kind = "system", .actor_id = "demo",
                                      .action = "demo.person.lookup", .purpose = "demo seed sub" };
    sl_status st = sl__person_find(d->store, d->keys, t, sl_json_str(p, "id_number", ""), false,
                                   &au, &out);
    if (st != SL_ERR_ID_PERSON_UNKNOWN) return st;
    struct sl_person_new pn = { .id_type = t, .number = sl_json_str(p, "id_number", ""),
                                .name = sl_json_str(p, "name", ""),
                                .valid_to = sl_json_str(p, "valid_to", NULL) };
    int64_t id = 0;
    return sl__person_add(d->store, d->keys, &pn, &au, NULL, &id);
}

struct recent { const char *sql; int64_t since, id; };

static sl_status recent_tx(sl_tx *tx, void *vc)
{
    struct recent *c = vc;
    c->id = 0;
    sl_status st = sl__tx_query_int(tx, c->sql, SL_ARGS(SL_INT(c->since)), &c->id);
    return st == SL_ERR_NOT_FOUND ? SL_OK : st;
}

sl_status sl_demo_seed_sub(struct sl_demo *d)
{
    json_t *persons = NULL;
    sl_status st = sl_demo_persons(d, &persons);
    if (st != SL_OK) return st;
    /* 甲 (householder) and 乙 (moves in): the third-party agreement of docs/licences.md */
    static const char *const names[] = { "示例戊", "示例己", "示例丑", "Demo Blair", "示例壬",
                                         "示例癸", "示例甲", "示例乙" };
    const json_t *p[8];
    for (size_t i = 0; i < 8; i++) {
        p[i] = find(persons, names[i]);
        if (!p[i]) {
            sl_log_warn("demo sub: %s missing from persons.json", names[i]);
            json_decref(persons);
            return SL_OK;
        }
        st = ensure_person(d, p[i]);
        if (st != SL_OK && i == 3) {
            /* persons.json's passport number fails sl_id_check: file without him */
            sl_log_warn("demo sub: %s: %s; the demo filing has no director", names[i],
                        sl_status_name(st));
            p[3] = NULL;
            st = SL_OK;
            continue;
        }
        if (st != SL_OK) {
            sl_log_warn("demo sub: person %s: %s", names[i], sl_status_name(st));
            json_decref(persons);
            return SL_OK;
        }
    }
    const struct sl__sub_actor a = { .kind = "system", .id = "demo", .hall_id = d->hall,
                                     .request_id = "demo" };
    int64_t since = sl__now_ms() - SL_SUB_PENDING_MS + 24 * 3600 * 1000;
    struct recent rf = { "SELECT max(id) FROM sub_submission WHERE filer_id = 'demo' AND "
                         "state = 'open' AND created_ms >= ?", since, 0 };
    struct recent rd = { "SELECT max(id) FROM sub_delegation WHERE created_by = 'demo' AND "
                         "state = 'pending' AND created_ms >= ?", since, 0 };
    st = sl__store_run_read(d->store, recent_tx, &rf);
    if (st == SL_OK) st = sl__store_run_read(d->store, recent_tx, &rd);
    char why[512] = "";
    json_t *out = NULL;
    if (st == SL_OK && rf.id == 0) {
        json_t *b = json_pack("{s:s,s:s,s:{s:s,s:s,s:i,s:s},s:[o,o,o]}",
            "kind", "company_registration", "title", DEMO_TITLE,
            "document", "company", "示例科技（杭州）有限公司", "address", "杭州市西湖区示例路1号",
            "capital_wan", 100, "business_scope", "软件开发",
            "parties", who(p[0], "legal_representative"), who(p[1], "shareholder"),
            who(p[2], "shareholder"));
        if (b && p[3])
            json_array_append_new(json_object_get(b, "parties"), who(p[3], "director"));
        st = b ? sl__sub_create(d->store, d->keys, &a, b, why, sizeof why, &out) : SL_ERR_NOMEM;
        json_decref(b);
        rf.id = json_integer_value(json_object_get(out, "id"));
        json_decref(out);
        out = NULL;
    }
    if (st == SL_OK && rd.id == 0) {
        json_t *b = json_pack("{s:s,s:s,s:s,s:o,s:o}", "kind", "delegation",
            "matter", "temp_id_credential", "note", "委托代办临时身份证明（演示）",
            "principal", who(p[4], NULL), "agent", who(p[5], NULL));
        st = b ? sl__dlg_create(d->store, d->keys, &a, b, why, sizeof why, &out) : SL_ERR_NOMEM;
        json_decref(b);
        rd.id = json_integer_value(json_object_get(out, "id"));
        json_decref(out);
    }
    json_decref(persons);
    if (st != SL_OK) {
        sl_log_warn("demo sub: %s %s", sl_status_name(st), why);
        return SL_OK;
    }
    char rs[32], rds[32];
    snprintf(rs, sizeof rs, "sub_%" PRId64, rf.id);
    snprintf(rds, sizeof rds, "dlg_%" PRId64, rd.id);
    json_object_set_new(d->cred, "sub", json_pack("{s:I,s:s,s:s,s:I,s:s,s:s}",
        "filing", (json_int_t)rf.id, "filing_reference", rs,
        "filing_verification_matter", "company_registration",
        "delegation", (json_int_t)rd.id, "delegation_reference", rds,
        "delegation_verification_matter", "delegation"));
    return SL_OK;
}
