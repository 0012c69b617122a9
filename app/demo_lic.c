/*
 * demo_lic.c -- the licence module's demo data (serve --demo; demo.h):
 * four issuing departments with their own signing keys (公安, 民政,
 * 不动产登记中心, 市场监管), five licence types, and licences for the demo
 * persons of share/shualian/demo/persons.json:
 *   resident ID e-copy and household register   every resident-ID person
 *   marriage certificate                        示例甲 <-> 示例乙
 *   property certificate                        示例甲, 示例丁 (as in
 *                                               exchange/land_property.json)
 *   business licence                            示例戊's company
 * plus a staff user with the issuer role. Idempotent: issuers, types and
 * licences (fixed serials) that exist are left alone. What a user needs
 * goes into cred.licences and cred.users.issuer (docs/licences.md).
 */
#include <stdio.h>
#include <string.h>

#include "acct/acct.h"
#include "base/base.h"
#include "demo.h"
#include "gov/app.h"
#include "gov/gov.h"
#include "gov/licstore.h"

static const struct { const char *key, *name, *first17; } issuers[] = {
    { "police",   "温州市公安局鹿城分局",         "11330302MB0000001" },
    { "civil",    "温州市鹿城区民政局",           "11330302MB0000002" },
    { "property", "温州市不动产登记中心",         "12330302MB0000003" },
    { "market",   "杭州市市场监督管理局",         "11330100MB0000004" },
};

static const struct { const char *code, *kind, *name, *issuer, *fields; } types[] = {
    { "100001", "resident_id", "居民身份证电子照", "police",
      "[\"name\",\"id_number\",\"sex\",\"birth_date\",\"address\",\"valid_to\"]" },
    { "100002", "household_register", "居民户口簿", "police",
      "[\"name\",\"id_number\",\"householder\",\"relation\",\"address\"]" },
    { "200001", "marriage_certificate", "结婚证", "civil",
      "[\"cert_no\",\"status\",\"holder_name\",\"spouse_name\",\"spouse_id_number\",\"registered_on\"]" },
    { "300001", "property_certificate", "不动产权证书", "property",
      "[\"cert_no\",\"address\",\"owners\",\"area_m2\",\"registered_on\"]" },
    { "400001", "business_licence", "营业执照", "market",
      "[\"uscc\",\"company_name\",\"legal_representative\",\"registered_capital\",\"established_on\"]" },
};

static void uscc_of(size_t i, char out[19])
{
    snprintf(out, 19, "%s", issuers[i].first17);
    out[17] = sl__uscc_check_char(issuers[i].first17);
    out[18] = '\0';
}

/* Issues one licence; an existing one (same fixed serial) is fine. */
static sl_status issue(struct sl__lic *L, const struct sl__lic_actor *a, json_t *ids,
                       const char *who, const char *kind, const char *number, size_t idx,
                       json_t *fields)
{
    char serial[16];
    snprintf(serial, sizeof serial, "DEMO%02zu", idx);
    json_t *req = json_pack("{s:s,s:s,s:o,s:s}", "kind", kind, "holder_id_number", number,
                            "fields", fields, "serial", serial);
    json_t *out = NULL;
    char why[200] = "";
    sl_status st = req ? sl__lic_issue(L, a, req, why, sizeof why, &out) : SL_ERR_NOMEM;
    json_decref(req);
    json_t *person = json_object_get(ids, who);
    if (!person) {
        person = json_object();
        json_object_set_new(ids, who, person);
    }
    if (st == SL_OK) {
        json_object_set(person, kind, json_object_get(out, "licence_id"));
        json_decref(out);
        return SL_OK;
    }
    if (st == SL_ERR_LIC_EXISTS) {   /* from an earlier start: the id is in why */
        const char *p = strstr(why, "1.2.156");
        char lid[SL_LICENCE_ID_MAX];
        snprintf(lid, sizeof lid, "%s", p ? p : "");
        char *sp = strchr(lid, ' ');
        if (sp) *sp = '\0';
        json_object_set_new(person, kind, json_string(lid));
        return SL_OK;
    }
    sl_log_warn("demo lic: %s for %s: %s (%s)", kind, who, sl_status_name(st), why);
    return st;
}

sl_status sl_demo_seed_lic(struct sl_demo *d)
{
    struct sl__lic L = { d->store, d->keys, d->gov, d->gov ? sl__gov_exchange(d->gov) : NULL };
    struct sl__lic_actor a = { "system", "serve --demo", d->hall, NULL };
    json_t *cred = json_object_get(d->cred, "licences");
    if (!cred) {
        cred = json_object();
        json_object_set_new(d->cred, "licences", cred);
    }
    /* the issuer staff user, once */
    json_t *users = json_object_get(d->cred, "users");
    if (json_is_object(users) && !json_object_get(users, "issuer")) {
        char pw[40];
        sl_status st = sl__random_token(pw, sizeof pw, 12);
        struct sl_acct_audit au = { .actor_kind = "system", .actor_id = "serve --demo",
                                    .action = "user.add" };
        if (st == SL_OK)
            st = sl__acct_user_add(d->acct, d->hall, "demo-issuer", pw, SL_ROLE_ISSUER, &au, NULL);
        if (st == SL_OK)
            json_object_set_new(users, "issuer", json_pack("{s:s,s:s}", "username", "demo-issuer",
                                                           "password", pw));
        else if (st != SL_ERR_ACCT_EXISTS)
            return st;
    }
    /* issuers and types (look up first) */
    json_t *have = NULL, *iss = json_object();
    sl_status st = sl__lic_issuer_list(&L, &have);
    if (st != SL_OK) { json_decref(iss); return st; }
    for (size_t i = 0; st == SL_OK && i < SL_ARRAY_LEN(issuers); i++) {
        char uscc[19];
        uscc_of(i, uscc);
        bool found = false;
        size_t j;
        json_t *e;
        json_array_foreach(have, j, e)
            found |= strcmp(sl_json_str(e, "uscc", ""), uscc) == 0;
        json_t *out = NULL;
        if (!found) st = sl__lic_issuer_add(&L, &a, d->hall, issuers[i].name, uscc, &out);
        json_decref(out);
        json_object_set_new(iss, issuers[i].key, json_pack("{s:s,s:s}", "name", issuers[i].name,
                                                           "uscc", uscc));
    }
    json_decref(have);
    json_object_set_new(cred, "issuers", iss);
    if (st != SL_OK) return st;
    st = sl__lic_type_list(&L, &have);
    for (size_t i = 0; st == SL_OK && i < SL_ARRAY_LEN(types); i++) {
        bool found = false;
        size_t j;
        json_t *e;
        json_array_foreach(have, j, e)
            found |= strcmp(sl_json_str(e, "code", ""), types[i].code) == 0;
        if (found) continue;
        size_t k = 0;
        while (strcmp(issuers[k].key, types[i].issuer) != 0) k++;
        char uscc[19];
        uscc_of(k, uscc);
        json_t *f = json_loads(types[i].fields, 0, NULL), *out = NULL;
        st = sl__lic_type_add(&L, &a, types[i].code, types[i].kind, types[i].name, f, uscc, &out);
        json_decref(f);
        json_decref(out);
    }
    json_decref(have);
    if (st != SL_OK) return st;

    /* licences for the demo persons */
    json_t *persons = NULL;
    st = sl_demo_persons(d, &persons);
    if (st != SL_OK) {
        sl_log_warn("demo lic: no persons.json: licences not seeded");
        return SL_OK;
    }
    json_t *ids = json_object();
    const json_t *list = json_object_get(persons, "persons");
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        if (st != SL_OK) break;
        if (strcmp(sl_json_str(p, "id_type", ""), "resident_id") != 0) continue;
        const char *no = sl_json_str(p, "id_number", ""), *nm = sl_json_str(p, "name", "");
        const char *sex = sl_json_str(p, "sex", ""), *bd = sl_json_str(p, "birth_date", "");
        const char *addr = strncmp(no, "330106", 6) == 0 ? "杭州市西湖区示例路2号" : "温州市鹿城区示例路1号";
        st = issue(&L, &a, ids, nm, "resident_id", no, i,
                   json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "name", nm, "id_number", no, "sex", sex,
                             "birth_date", bd, "address", addr, "valid_to",
                             sl_json_str(p, "valid_to", "")));
        if (st == SL_OK)
            st = issue(&L, &a, ids, nm, "household_register", no, i,
                       json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", nm, "id_number", no,
                                 "householder", nm, "relation", "户主", "address", addr));
    }
    /* 示例甲 (0) and 示例乙 (1) are married to each other */
    const json_t *jia = json_array_get(list, 0), *yi = json_array_get(list, 1);
    if (st == SL_OK && jia && yi) {
        st = issue(&L, &a, ids, sl_json_str(jia, "name", ""), "marriage_certificate",
                   sl_json_str(jia, "id_number", ""), 0,
                   json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "cert_no", "J330302-2015-000123",
                             "status", "married", "holder_name", sl_json_str(jia, "name", ""),
                             "spouse_name", sl_json_str(yi, "name", ""),
                             "spouse_id_number", sl_json_str(yi, "id_number", ""),
                             "registered_on", "2015-10-01"));
        if (st == SL_OK)
            st = issue(&L, &a, ids, sl_json_str(yi, "name", ""), "marriage_certificate",
                       sl_json_str(yi, "id_number", ""), 1,
                       json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "cert_no", "J330302-2015-000123",
                                 "status", "married", "holder_name", sl_json_str(yi, "name", ""),
                                 "spouse_name", sl_json_str(jia, "name", ""),
                                 "spouse_id_number", sl_json_str(jia, "id_number", ""),
                                 "registered_on", "2015-10-01"));
    }
    /* property certificates as in share/shualian/exchange/land_property.json */
    const json_t *ding = json_array_get(list, 3), *wu = json_array_get(list, 4);
    if (st == SL_OK && jia)
        st = issue(&L, &a, ids, sl_json_str(jia, "name", ""), "property_certificate",
                   sl_json_str(jia, "id_number", ""), 0,
                   json_pack("{s:s,s:s,s:[s],s:f,s:s}", "cert_no", "浙(2026)温州市不动产权第0012345号",
                             "address", "温州市鹿城区示例路1号1幢101室", "owners",
                             sl_json_str(jia, "name", ""), "area_m2", 89.5, "registered_on", "2026-06-18"));
    if (st == SL_OK && ding)
        st = issue(&L, &a, ids, sl_json_str(ding, "name", ""), "property_certificate",
                   sl_json_str(ding, "id_number", ""), 3,
                   json_pack("{s:s,s:s,s:[s],s:f,s:s}", "cert_no", "浙(2019)温州市不动产权第0054321号",
                             "address", "温州市鹿城区示例街8号", "owners", sl_json_str(ding, "name", ""),
                             "area_m2", 120.0, "registered_on", "2019-04-02"));
    if (st == SL_OK && wu)
        st = issue(&L, &a, ids, sl_json_str(wu, "name", ""), "business_licence",
                   sl_json_str(wu, "id_number", ""), 4,
                   json_pack("{s:s,s:s,s:s,s:s,s:s}", "uscc", "91330106MA2DEMO01X",
                             "company_name", "杭州示例科技有限公司",
                             "legal_representative", sl_json_str(wu, "name", ""),
                             "registered_capital", "1000000 CNY", "established_on", "2026-11-20"));
    json_decref(persons);
    json_object_set_new(cred, "licences", ids);
    return st;
}
