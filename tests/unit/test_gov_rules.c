/*
 * test_gov_rules.c -- eligibility rules (every operator, three-valued
 * logic, missing facts, malformed rules) and the matter catalogue
 * (the shipped files load; each kind of bad file refused at its line).
 */
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "gov/catalogue.h"
#include "test.h"

static json_t *J(const char *s)
{
    char err[200];
    json_t *j = sl_json_parse(s, strlen(s), err, sizeof err);
    if (!j)
        fprintf(stderr, "bad test JSON: %s\n", err);
    return j;
}

static const char *FACTS =
    "{\"applicant\": {\"age\": 35, \"status\": \"active\", \"sex\": \"F\", \"region\": \"330302\"},"
    " \"application\": {\"relation\": \"spouse\", \"reason\": \"购房\"},"
    " \"shared\": {\"land_property\": {\"count\": 1, \"usage\": \"residential\", \"region\": \"330302\","
    "                                   \"owners\": [\"A\", \"B\"], \"registered_on\": \"2020-05-01\"},"
    "              \"civil_marriage\": {\"status\": \"married\"},"
    "              \"civil_death\": {\"deceased\": false}}}";

/* Evaluates one condition as the only rule (else review) and returns the
 * rule's result word. */
static const char *one(struct sl_t *t, const char *cond, const json_t *facts, char *buf)
{
    char rules[1024];
    snprintf(rules, sizeof rules,
             "[{\"id\":\"r\",\"zh\":\"z\",\"en\":\"e\",\"check\":%s,\"else\":\"review\"}]", cond);
    json_t *r = J(rules);
    char err[300];
    SL_CHECKF(t, sl__rules_check(r, "rules", err, sizeof err) == SL_OK, "%s: %s", cond, err);
    enum sl__decision d;
    json_t *ex = NULL;
    SL_CHECK(t, sl__rules_eval(r, facts, true, &d, &ex) == SL_OK);
    snprintf(buf, 16, "%s", json_string_value(json_object_get(
        json_array_get(json_object_get(ex, "rules"), 0), "result")));
    json_decref(ex);
    json_decref(r);
    return buf;
}

SL_TEST(gov, rules_operators)
{
    json_t *f = J(FACTS);
    char b[16];
    struct { const char *cond, *want; } cases[] = {
        { "{\"fact\":\"applicant.age\",\"op\":\"ge\",\"value\":18}", "true" },
        { "{\"fact\":\"applicant.age\",\"op\":\"ge\",\"value\":80}", "false" },
        { "{\"fact\":\"applicant.age\",\"op\":\"gt\",\"value\":35}", "false" },
        { "{\"fact\":\"applicant.age\",\"op\":\"le\",\"value\":35}", "true" },
        { "{\"fact\":\"applicant.age\",\"op\":\"lt\",\"value\":35}", "false" },
        { "{\"fact\":\"applicant.age\",\"op\":\"eq\",\"value\":35}", "true" },
        { "{\"fact\":\"applicant.age\",\"op\":\"ne\",\"value\":35}", "false" },
        { "{\"fact\":\"applicant.status\",\"op\":\"eq\",\"value\":\"active\"}", "true" },
        { "{\"fact\":\"applicant.status\",\"op\":\"in\",\"value\":[\"deceased\",\"cancelled\"]}", "false" },
        { "{\"fact\":\"applicant.status\",\"op\":\"not_in\",\"value\":[\"deceased\",\"cancelled\"]}", "true" },
        { "{\"fact\":\"shared.land_property.owners\",\"op\":\"contains\",\"value\":\"B\"}", "true" },
        { "{\"fact\":\"shared.land_property.owners\",\"op\":\"contains\",\"value\":\"C\"}", "false" },
        { "{\"fact\":\"application.reason\",\"op\":\"contains\",\"value\":\"购\"}", "true" },
        { "{\"fact\":\"shared.land_property.region\",\"op\":\"prefix\",\"value\":\"3303\"}", "true" },
        { "{\"fact\":\"shared.land_property.region\",\"op\":\"prefix\",\"value\":\"4101\"}", "false" },
        { "{\"fact\":\"shared.land_property.registered_on\",\"op\":\"lt\",\"value\":\"2021-01-01\"}", "true" },
        { "{\"fact\":\"shared.civil_death.deceased\",\"op\":\"eq\",\"value\":false}", "true" },
        { "{\"fact\":\"shared.health_birth.cert_no\",\"op\":\"exists\"}", "false" },
        { "{\"fact\":\"shared.health_birth.cert_no\",\"op\":\"missing\"}", "true" },
        /* missing facts and type mismatches are unknown, not false */
        { "{\"fact\":\"shared.health_birth.cert_no\",\"op\":\"eq\",\"value\":\"x\"}", "unknown" },
        { "{\"fact\":\"applicant.status\",\"op\":\"gt\",\"value\":3}", "unknown" },
        { "{\"not\":{\"fact\":\"shared.health_birth.cert_no\",\"op\":\"eq\",\"value\":\"x\"}}", "unknown" },
        /* Kleene all/any */
        { "{\"all\":[{\"fact\":\"applicant.age\",\"op\":\"ge\",\"value\":18},"
          "{\"fact\":\"shared.hrss_social_security.status\",\"op\":\"eq\",\"value\":\"active\"}]}", "unknown" },
        { "{\"all\":[{\"fact\":\"applicant.age\",\"op\":\"ge\",\"value\":80},"
          "{\"fact\":\"shared.hrss_social_security.status\",\"op\":\"eq\",\"value\":\"active\"}]}", "false" },
        { "{\"any\":[{\"fact\":\"applicant.age\",\"op\":\"ge\",\"value\":18},"
          "{\"fact\":\"shared.hrss_social_security.status\",\"op\":\"eq\",\"value\":\"active\"}]}", "true" },
        { "{\"any\":[{\"fact\":\"applicant.age\",\"op\":\"ge\",\"value\":80},"
          "{\"fact\":\"shared.hrss_social_security.status\",\"op\":\"eq\",\"value\":\"active\"}]}", "unknown" },
        { "{\"not\":{\"fact\":\"applicant.age\",\"op\":\"ge\",\"value\":80}}", "true" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        SL_CHECKF(t, strcmp(one(t, cases[i].cond, f, b), cases[i].want) == 0, "%s -> %s, want %s",
                  cases[i].cond, b, cases[i].want);
    json_decref(f);
}

SL_TEST(gov, rules_decisions)
{
    json_t *f = J(FACTS);
    json_t *r = J("[{\"id\":\"age\",\"zh\":\"z\",\"en\":\"e\",\"check\":{\"fact\":\"applicant.age\",\"op\":\"ge\",\"value\":18},\"else\":\"refuse\"},"
                  " {\"id\":\"prop\",\"zh\":\"z\",\"en\":\"e\",\"check\":{\"fact\":\"shared.land_property.count\",\"op\":\"ge\",\"value\":1},\"else\":\"review\"}]");
    enum sl__decision d;
    json_t *ex = NULL;
    SL_CHECK(t, sl__rules_eval(r, f, true, &d, &ex) == SL_OK && d == SL_DECIDE_APPROVE);
    /* the explanation names the facts each rule read */
    json_t *facts0 = json_object_get(json_array_get(json_object_get(ex, "rules"), 0), "facts");
    SL_CHECK_EQ(t, json_integer_value(json_object_get(facts0, "applicant.age")), 35);
    json_decref(ex);
    /* the matter forbids auto-approval -> review */
    SL_CHECK(t, sl__rules_eval(r, f, false, &d, NULL) == SL_OK && d == SL_DECIDE_REVIEW);
    /* no property record -> review (missing fact); too young -> refuse */
    json_object_del(json_object_get(json_object_get(f, "shared"), "land_property"), "count");
    SL_CHECK(t, sl__rules_eval(r, f, true, &d, NULL) == SL_OK && d == SL_DECIDE_REVIEW);
    json_object_set_new(json_object_get(f, "applicant"), "age", json_integer(15));
    SL_CHECK(t, sl__rules_eval(r, f, true, &d, &ex) == SL_OK && d == SL_DECIDE_REFUSE);
    SL_CHECK(t, strcmp(json_string_value(json_object_get(ex, "decision")), "refuse") == 0);
    json_decref(ex);
    json_decref(r);
    json_decref(f);
}

static void bad_rule(struct sl_t *t, const char *rules, const char *want)
{
    char err[300] = "";
    json_t *r = J(rules);
    SL_CHECKF(t, r && sl__rules_check(r, "rules", err, sizeof err) == SL_ERR_RULES_FORMAT,
              "%s accepted", rules);
    SL_CHECKF(t, strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
    json_decref(r);
}

SL_TEST(gov, rules_malformed)
{
#define R(check, els) "[{\"id\":\"a\",\"zh\":\"z\",\"en\":\"e\",\"check\":" check ",\"else\":\"" els "\"}]"
    bad_rule(t, "{}", "rules: rules must be an array");
    bad_rule(t, "[{\"id\":\"a\",\"zh\":\"z\",\"check\":{},\"else\":\"refuse\"}]", "rules[0].en: missing");
    bad_rule(t, R("{\"fact\":\"applicant.age\",\"op\":\"ge\",\"value\":1}", "maybe"), "rules[0].else");
    bad_rule(t, R("{\"fact\":\"applicant.shoe_size\",\"op\":\"ge\",\"value\":1}", "refuse"),
             "rules[0].check.fact: 'applicant.shoe_size' is not a known fact");
    bad_rule(t, R("{\"fact\":\"shared.nosuch.x\",\"op\":\"eq\",\"value\":1}", "refuse"), "rules[0].check.fact");
    bad_rule(t, R("{\"fact\":\"shared.land_property.colour\",\"op\":\"eq\",\"value\":1}", "refuse"), "rules[0].check.fact");
    bad_rule(t, R("{\"fact\":\"applicant.age\",\"op\":\"approx\",\"value\":1}", "refuse"), "rules[0].check.op: unknown operator");
    bad_rule(t, R("{\"fact\":\"applicant.age\",\"op\":\"in\",\"value\":1}", "refuse"), "rules[0].check.value: 'in' needs a non-empty array");
    bad_rule(t, R("{\"fact\":\"applicant.age\",\"op\":\"exists\",\"value\":1}", "refuse"), "'exists' takes no value");
    bad_rule(t, R("{\"fact\":\"applicant.age\",\"op\":\"eq\"}", "refuse"), "rules[0].check.value");
    bad_rule(t, R("{\"fact\":\"applicant.age\",\"op\":\"eq\",\"value\":1,\"code\":\"system()\"}", "refuse"),
             "rules[0].check.code: unknown key");
    bad_rule(t, R("{\"all\":[]}", "refuse"), "rules[0].check: 'all' needs a non-empty array");
    bad_rule(t, R("{\"all\":[{\"fact\":\"applicant.age\",\"op\":\"eq\",\"value\":1}],\"any\":[]}", "refuse"),
             "must be the only key");
    bad_rule(t, R("{\"any\":[{\"all\":[{\"oops\":1}]}]}", "refuse"), "rules[0].check.any[0].all[0]");
    bad_rule(t, "[{\"id\":\"a\",\"zh\":\"z\",\"en\":\"e\",\"check\":{\"fact\":\"applicant.age\",\"op\":\"eq\",\"value\":1},\"else\":\"refuse\"},"
                " {\"id\":\"a\",\"zh\":\"z\",\"en\":\"e\",\"check\":{\"fact\":\"applicant.age\",\"op\":\"eq\",\"value\":1},\"else\":\"refuse\"}]",
             "rules[1].id: duplicate rule id");
    /* nesting deeper than the limit */
    char deep[2048] = "";
    for (int i = 0; i < 20; i++)
        strcat(deep, "{\"not\":");
    strcat(deep, "{\"fact\":\"applicant.age\",\"op\":\"eq\",\"value\":1}");
    for (int i = 0; i < 20; i++)
        strcat(deep, "}");
    char rules[4096];
    snprintf(rules, sizeof rules, "[{\"id\":\"a\",\"zh\":\"z\",\"en\":\"e\",\"check\":%s,\"else\":\"refuse\"}]", deep);
    bad_rule(t, rules, "nested deeper than");
#undef R
}

SL_TEST(gov, catalogue_shipped)
{
    char dir[4096], err[512] = "";
    struct sl__catalogue *c = NULL;
    sl_t_path(dir, sizeof dir, "share/shualian/matters");
    SL_CHECKF(t, sl__catalogue_load_dir(dir, err, sizeof err, &c) == SL_OK, "%s", err);
    SL_CHECK(t, sl__catalogue_count(c) >= 13);
    const char *need[] = { "bdc.buzheng", "bdc.gengzheng", "bdc.huanzheng", "hj.goufang_qianru",
                           "hj.toukao_qianru", "hj.chusheng_dengji", "hj.siwang_zhuxiao",
                           "hj.huaqiao_luohu", "zm.huji_zhengming", "zm.qinshu_guanxi",
                           "zm.wufanzui", "bdc.fangcha_zhengming", "gjj.tiqu" };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        SL_CHECKF(t, sl__catalogue_get(c, need[i], 0) != NULL, "%s missing", need[i]);
    const json_t *bz = sl__catalogue_get(c, "bdc.buzheng", 0);
    SL_CHECK_EQ(t, json_integer_value(json_object_get(json_array_get(json_object_get(bz, "holds"), 0),
                                                      "working_days")), 15);
    SL_CHECK(t, sl__catalogue_get(c, "bdc.buzheng", 99) == NULL);
    SL_CHECK(t, sl__catalogue_get(c, "no.such", 0) == NULL);
    sl__catalogue_free(c);
}

/* One valid matter; each bad case replaces a piece of it. */
static const char *GOOD =
    "{\n"
    "  \"code\": \"t.m\",\n"
    "  \"version\": 1,\n"
    "  \"name\": {\"zh\": \"名\", \"en\": \"n\"},\n"
    "  \"department\": {\"zh\": \"部\", \"en\": \"d\"},\n"
    "  \"channels\": [\"phone\"],\n"
    "  \"auth\": [{\"who\": \"applicant\", \"levels\": [\"real_name\"]}],\n"
    "  \"alternatives\": [\"clerk_document_check\"],\n"
    "  \"materials\": [\n"
    "    {\"id\": \"m1\", \"zh\": \"材\", \"en\": \"m\", \"provide\": \"exempt\",\n"
    "     \"replaced_by\": {\"shared\": \"land_property\", \"fields\": [\"count\"]}}\n"
    "  ],\n"
    "  \"rules\": [],\n"
    "  \"time_limit\": {\"working_days\": 3, \"from\": \"accepted\"}\n"
    "}\n";

static void bad_matter(struct sl_t *t, const char *from, const char *to, const char *want)
{
    char text[4096], err[512] = "";
    const char *at = strstr(GOOD, from);
    SL_CHECKF(t, at != NULL, "test bug: '%s' not in GOOD", from);
    if (!at)
        return;
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - GOOD), GOOD, to, at + strlen(from));
    json_t *m = NULL;
    sl_status st = sl__matter_parse(text, strlen(text), "m.json", err, sizeof err, &m);
    SL_CHECKF(t, st == SL_ERR_MATTER_FORMAT, "'%s' accepted", to);
    SL_CHECKF(t, strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
    json_decref(m);
}

SL_TEST(gov, catalogue_malformed)
{
    char err[512];
    json_t *m = NULL;
    SL_CHECKF(t, sl__matter_parse(GOOD, strlen(GOOD), "m.json", err, sizeof err, &m) == SL_OK, "%s", err);
    json_decref(m);
    bad_matter(t, "\"version\": 1", "\"version\": \"1\"", "m.json:3: version: must be a whole number");
    bad_matter(t, "\"code\": \"t.m\"", "\"code\": \"T M\"", "m.json:2: code");
    bad_matter(t, "\"en\": \"n\"}", "\"en\": \"\"}", "m.json:4: name.en: missing or empty");
    bad_matter(t, "[\"phone\"]", "[\"fax\"]", "m.json:6: channels[0]: 'fax' is not one of");
    bad_matter(t, "[\"phone\"]", "[\"phone\", \"phone\"]", "listed twice");
    bad_matter(t, "[\"real_name\"]", "[\"real_face\"]", "m.json:7: auth[0].levels[0]");
    bad_matter(t, "[\"clerk_document_check\"]", "[]", "m.json:8: alternatives: must be a non-empty array");
    bad_matter(t, "\"provide\": \"exempt\"", "\"provide\": \"maybe\"", "m.json:10: materials[0].provide");
    bad_matter(t, "\"land_property\"", "\"land_registry\"", "m.json:11: materials[0].replaced_by.shared: 'land_registry' is not a shared-data source");
    bad_matter(t, "[\"count\"]", "[\"colour\"]", "m.json:11: materials[0].replaced_by.fields[0]");
    bad_matter(t, "[\"count\"]", "[]", "non-empty array");
    bad_matter(t, "\"rules\": []", "\"rules\": [{\"id\":\"a\",\"zh\":\"z\",\"en\":\"e\",\"check\":{\"fact\":\"applicant.x\",\"op\":\"eq\",\"value\":1},\"else\":\"refuse\"}]",
               "m.json:13: rules[0].check.fact");
    bad_matter(t, "\"from\": \"accepted\"", "\"from\": \"hold_end\"", "m.json:14: time_limit.from: hold_end needs a hold");
    bad_matter(t, "\"working_days\": 3", "\"working_days\": -3", "m.json:14: time_limit.working_days");
    bad_matter(t, "\"rules\": []", "\"rules\": [], \"colour\": 1", "m.json:13: colour: unknown field");
    bad_matter(t, "\"version\": 1,", "\"version\": 1,,", "m.json: ");
    bad_matter(t, "\"auth\": [{\"who\": \"applicant\"", "\"auth\": [{\"who\": \"bystander\"", "auth[0].who");
}

SL_TEST(gov, application_states)
{
    enum sl_app_state s = SL_APP_DRAFT;
    char why[256];
    /* the seed 000 补证 path: hold, review, approve, complete, collect */
    struct { const char *ev; enum sl_app_actor who; enum sl_app_state want; } path[] = {
        { "request_auth", SL_ACTOR_CLERK, SL_APP_AWAITING_AUTH },
        { "submit", SL_ACTOR_CLERK, SL_APP_SUBMITTED },
        { "accept", SL_ACTOR_CLERK, SL_APP_ACCEPTED },
        { "hold", SL_ACTOR_SYSTEM, SL_APP_ON_HOLD },
        { "release", SL_ACTOR_SYSTEM, SL_APP_IN_REVIEW },
        { "return", SL_ACTOR_REVIEWER, SL_APP_RETURNED },
        { "resubmit", SL_ACTOR_APPLICANT, SL_APP_IN_REVIEW },
        { "approve", SL_ACTOR_REVIEWER, SL_APP_APPROVED },
        { "complete", SL_ACTOR_CLERK, SL_APP_COMPLETED },
        { "collect", SL_ACTOR_APPLICANT, SL_APP_COLLECTED },
    };
    for (size_t i = 0; i < sizeof path / sizeof path[0]; i++) {
        enum sl_app_state to;
        SL_CHECKF(t, sl__app_transition(s, path[i].ev, path[i].who, &to, why, sizeof why) == SL_OK,
                  "%s from %s: %s", path[i].ev, sl__app_state_name(s), why);
        SL_CHECK_EQ(t, to, path[i].want);
        s = to;
    }
    SL_CHECK(t, sl__app_state_final(s));
    /* every (state, event) pair outside the table is refused */
    const char *events[] = { "request_auth", "submit", "accept", "reject", "hold", "review",
                             "release", "approve", "return", "resubmit", "complete", "collect",
                             "withdraw" };
    int allowed = 0, refused = 0;
    for (int st = 0; st < SL_APP_N_STATES; st++)
        for (size_t e = 0; e < sizeof events / sizeof events[0]; e++) {
            enum sl_app_state to;
            sl_status r = sl__app_transition(st, events[e], SL_ACTOR_SYSTEM, &to, why, sizeof why);
            sl_status r2 = sl__app_transition(st, events[e], SL_ACTOR_CLERK, &to, why, sizeof why);
            sl_status r3 = sl__app_transition(st, events[e], SL_ACTOR_APPLICANT, &to, why, sizeof why);
            sl_status r4 = sl__app_transition(st, events[e], SL_ACTOR_REVIEWER, &to, why, sizeof why);
            if (r == SL_OK || r2 == SL_OK || r3 == SL_OK || r4 == SL_OK)
                allowed++;
            else
                refused += r == SL_ERR_APP_TRANSITION;
            if (sl__app_state_final(st))
                SL_CHECKF(t, r == SL_ERR_APP_TRANSITION && r2 == SL_ERR_APP_TRANSITION,
                          "%s left final state %s", events[e], sl__app_state_name(st));
        }
    SL_CHECK_EQ(t, allowed, 20);
    SL_CHECK_EQ(t, refused + allowed, SL_APP_N_STATES * 13);
    /* the refusals say what to do */
    enum sl_app_state to;
    SL_CHECK(t, sl__app_transition(SL_APP_ON_HOLD, "approve", SL_ACTOR_REVIEWER, &to, why, sizeof why)
                == SL_ERR_APP_TRANSITION);
    SL_CHECKF(t, strstr(why, "allowed now: release, withdraw") != NULL, "%s", why);
    SL_CHECK(t, sl__app_transition(SL_APP_IN_REVIEW, "approve", SL_ACTOR_APPLICANT, &to, why, sizeof why)
                == SL_ERR_APP_FORBIDDEN);
    SL_CHECK(t, sl__app_transition(SL_APP_ON_HOLD, "release", SL_ACTOR_CLERK, &to, why, sizeof why)
                == SL_ERR_APP_FORBIDDEN);
    SL_CHECK(t, sl__app_transition(SL_APP_DRAFT, "teleport", SL_ACTOR_CLERK, &to, why, sizeof why)
                == SL_ERR_APP_TRANSITION);
    SL_CHECK(t, sl__app_transition(SL_APP_COLLECTED, "withdraw", SL_ACTOR_APPLICANT, &to, why, sizeof why)
                == SL_ERR_APP_TRANSITION);
    SL_CHECKF(t, strstr(why, "is closed") != NULL, "%s", why);
    for (int st = 0; st < SL_APP_N_STATES; st++) {
        const char *zh, *en;
        sl__app_state_text(st, &zh, &en);
        SL_CHECK(t, zh[0] && en[0]);
        SL_CHECK_EQ(t, sl__app_state_parse(sl__app_state_name(st)), st);
    }
}

#include <stdlib.h>
#include <unistd.h>

#include "gov/exchange.h"

static void write_text(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

SL_TEST(gov, exchange_files)
{
    char dir[] = "/tmp/sl-exchange-XXXXXX";
    SL_CHECK(t, mkdtemp(dir) != NULL);
    write_text(dir, "land_property.json",
               "{\"records\": {\"11010519491231002X\": [{\"cert_no\": \"A1\", \"usage\": \"residential\", \"owners\": [\"x\"]},"
               " {\"cert_no\": \"A2\", \"usage\": \"shop\"}]}}");
    write_text(dir, "civil_marriage.json",
               "{\"records\": {\"11010519491231002X\": {\"status\": \"married\", \"spouse_name\": \"王某\", \"spouse_id_number\": \"440524188001010014\"}}}");
    char err[300] = "";
    struct sl__exchange *x = NULL;
    SL_CHECKF(t, sl__exchange_open_files(dir, err, sizeof err, &x) == SL_OK, "%s", err);
    json_t *fields = json_pack("[s,s,s]", "count", "cert_no", "usage"), *r = NULL;
    SL_CHECK(t, sl__exchange_fetch(x, "land_property", "11010519491231002X", fields, &r) == SL_OK);
    SL_CHECK_EQ(t, json_integer_value(json_object_get(r, "count")), 2);
    SL_CHECK(t, strcmp(json_string_value(json_object_get(r, "cert_no")), "A1") == 0);
    SL_CHECK(t, json_object_get(r, "owners") == NULL);          /* not asked for: not returned */
    json_decref(r);
    /* no record: an empty answer, count 0 */
    SL_CHECK(t, sl__exchange_fetch(x, "land_property", "440524188001010014", fields, &r) == SL_OK);
    SL_CHECK_EQ(t, json_integer_value(json_object_get(r, "count")), 0);
    SL_CHECK_EQ(t, json_object_size(r), 1);
    json_decref(r);
    json_decref(fields);
    /* only the named fields of the marriage record */
    fields = json_pack("[s]", "status");
    SL_CHECK(t, sl__exchange_fetch(x, "civil_marriage", "11010519491231002X", fields, &r) == SL_OK);
    SL_CHECK_EQ(t, json_object_size(r), 1);
    json_decref(r);
    json_decref(fields);
    /* unknown source / field refused */
    fields = json_pack("[s]", "spouse_blood_type");
    SL_CHECK(t, sl__exchange_fetch(x, "civil_marriage", "11010519491231002X", fields, &r) == SL_ERR_EXCHANGE_SOURCE);
    SL_CHECK(t, sl__exchange_fetch(x, "tax", "11010519491231002X", fields, &r) == SL_ERR_EXCHANGE_SOURCE);
    json_decref(fields);
    sl__exchange_free(x);
    /* a file for an unknown source, or a malformed one, is refused at open */
    write_text(dir, "tax.json", "{\"records\": {}}");
    SL_CHECK(t, sl__exchange_open_files(dir, err, sizeof err, &x) == SL_ERR_EXCHANGE_SOURCE);
    SL_CHECKF(t, strstr(err, "tax.json") != NULL, "%s", err);
    char p[512];
    snprintf(p, sizeof p, "%s/tax.json", dir);
    unlink(p);
    write_text(dir, "civil_death.json", "{\"records\": [1, 2]}");
    SL_CHECK(t, sl__exchange_open_files(dir, err, sizeof err, &x) == SL_ERR_EXCHANGE_FORMAT);
    SL_CHECKF(t, strstr(err, "civil_death.json") != NULL, "%s", err);
    const char *names[] = { "civil_death.json", "civil_marriage.json", "land_property.json" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

SL_TEST(gov, licence_identifiers)
{
    /* ISO 7064's own example for MOD 37,36 and GB 32100 codes */
    SL_CHECK_EQ(t, sl__iso7064_37_36("A12425GABC1234002"), 'M');
    SL_CHECK_EQ(t, sl__uscc_check_char("91350100M000100Y4"), '3');
    SL_CHECK_EQ(t, sl__uscc_check_char("91110108551385082"), 'Q');
    SL_CHECK_EQ(t, sl__uscc_check_char("9111010855138508I"), 0);   /* I is not in the set */
    char id[SL_LICENCE_ID_MAX], why[200];
    SL_CHECK(t, sl__licence_id_make("1001", "91350100M000100Y43", "2026A000123", 1, id) == SL_OK);
    struct sl__licence_id p;
    SL_CHECKF(t, sl__licence_id_parse(id, &p, why, sizeof why) == SL_OK, "%s: %s", id, why);
    SL_CHECK(t, strcmp(p.issuer, "91350100M000100Y43") == 0 && strcmp(p.serial, "2026A000123") == 0);
    /* every single-character change in the serial or version is caught */
    size_t n = strlen(id), caught = 0, tried = 0;
    for (size_t i = strlen("1.2.156.3005.2.1001.91350100M000100Y43."); i + 2 < n; i++) {
        if (id[i] == '.')
            continue;
        char m[SL_LICENCE_ID_MAX];
        memcpy(m, id, n + 1);
        m[i] = m[i] == '7' ? '8' : '7';
        tried++;
        caught += sl__licence_id_parse(m, NULL, why, sizeof why) == SL_ERR_LICENCE_ID;
    }
    SL_CHECK_EQ(t, caught, tried);
    struct { const char *id, *want; } bad[] = {
        { "1.2.156.3005.1.1001.91350100M000100Y43.X1.1.0", "prefix" },
        { "1.2.156.3005.2.1001.91350100M000100Y43.X1.1", "format" },
        { "1.2.156.3005.2.10A1.91350100M000100Y43.X1.1.0", "type" },
        { "1.2.156.3005.2.1001.91350100M000100Y44.X1.1.0", "issuer: the unified social credit code's check" },
        { "1.2.156.3005.2.1001.9135010OM000100Y43.X1.1.0", "issuer" },
        { "1.2.156.3005.2.1001.91350100M000100Y43.x1.1.0", "serial" },
        { "1.2.156.3005.2.1001.91350100M000100Y43.X1.12345.0", "version" },
        { "", "length" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        SL_CHECK(t, sl__licence_id_parse(bad[i].id, NULL, why, sizeof why) == SL_ERR_LICENCE_ID);
        SL_CHECKF(t, strncmp(why, bad[i].want, strlen(bad[i].want)) == 0, "%s: '%s', want '%s'",
                  bad[i].id, why, bad[i].want);
    }
}
