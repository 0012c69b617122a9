/*
 * test_gov_sub.c -- seed 002 (一人一事一认证 filings, signatures) and seed
 * 004 (remote delegation, third-party agreement) through src/gov/sub.h on
 * a fresh store (SQLite; PostgreSQL when SL_TEST_STORE_URL names one).
 * Verifications are made with the id.h library calls (what POST
 * /v1/verifications records), with the demo persons of
 * share/shualian/demo/persons.json.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "gov/sub.h"
#include "id/id.h"
#include "store/store.h"
#include "test.h"

struct fx {
    char dir[64], clock[128];
    sl_store *s;
    sl_keyring *k;
};

static void set_clock(struct fx *f, const char *iso)
{
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", f->clock);
    FILE *fp = fopen(tmp, "w");
    if (fp) {
        fputs(iso, fp);
        fclose(fp);
        if (rename(tmp, f->clock) == 0) (void)sl__clock_set_file(f->clock);
    }
}

static bool fx_open(struct sl_t *t, struct fx *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sl-sub-XXXXXX");
    if (!mkdtemp(f->dir)) {
        SL_CHECKF(t, false, "mkdtemp: %s", strerror(errno));
        return false;
    }
    snprintf(f->clock, sizeof f->clock, "%s/clock", f->dir);
    set_clock(f, "2026-12-04T02:00:00Z");
    char url[512], kp[128];
    const char *env = getenv("SL_TEST_STORE_URL");
    bool pg = env && *env && strncmp(env, "sqlite:", 7) != 0;
    if (pg) snprintf(url, sizeof url, "%s", env);
    else snprintf(url, sizeof url, "sqlite:%s/db.sqlite", f->dir);
    snprintf(kp, sizeof kp, "%s/keys", f->dir);
    SL_CHECK_EQ(t, sl__crypto_init(), SL_OK);
    SL_CHECK_EQ(t, sl__keyring_open(kp, SL_SUITE_INTL, true, &f->k), SL_OK);
    SL_CHECK_EQ(t, sl__store_open(url, NULL, &f->s), SL_OK);
    if (!f->s || !f->k) return false;
    if (pg) {
        sl_tx *tx = NULL;
        sl_status st = sl__tx_begin(f->s, &tx);
        if (st == SL_OK) st = sl__tx_exec(tx, "DROP SCHEMA IF EXISTS public CASCADE", NULL, 0, NULL);
        if (st == SL_OK) st = sl__tx_exec(tx, "CREATE SCHEMA public", NULL, 0, NULL);
        st = st == SL_OK ? sl__tx_commit(tx) : (sl__tx_rollback(tx), st);
        SL_CHECK_EQ(t, st, SL_OK);
        sl__store_close(f->s);
        f->s = NULL;
        SL_CHECK_EQ(t, sl__store_open(url, NULL, &f->s), SL_OK);
        if (!f->s) return false;
    }
    SL_CHECK_EQ(t, sl__store_migrate(f->s), SL_OK);
    return true;
}

static void fx_done(struct fx *f)
{
    sl__clock_set_file(NULL);
    sl__store_close(f->s);
    sl__keyring_free(f->k);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", f->dir);
}

/* The demo persons used here (persons.json). */
static const struct { const char *type, *num, *name; } P[] = {
    { "resident_id", "330106198203041010", "示例戊" },   /* 0 legal representative */
    { "resident_id", "330106198507091025", "示例己" },   /* 1 shareholder */
    { "hk_macao_permit", "H1234567801", "示例丑" },      /* 2 HK shareholder */
    { "passport", "GB5512345", "Demo Blair" },           /* 3 director */
    { "resident_id", "330106199206182016", "示例壬" },   /* 4 principal */
    { "resident_id", "330106199509222046", "示例癸" },   /* 5 agent */
    { "resident_id", "330302198805126615", "示例甲" },   /* 6 householder */
    { "resident_id", "330302199003034529", "示例乙" },   /* 7 moves in */
};
#define NP (sizeof P / sizeof P[0])

static bool add_persons(struct sl_t *t, struct fx *f, int64_t *ids)
{
    for (size_t i = 0; i < NP; i++) {
        ids[i] = 0;
        struct sl_person_new pn = { .id_type = sl_id_type_parse(P[i].type), .number = P[i].num,
                                    .name = P[i].name };
        const char *why = NULL;
        sl_status st = sl__person_add(f->s, f->k, &pn, NULL, &why, &ids[i]);
        SL_CHECKF(t, st == SL_OK, "person %zu: %s (%s)", i, sl_status_name(st), why ? why : "");
        if (st != SL_OK) return false;
    }
    return true;
}

/* A finished verification for (person, matter, ref). */
static int64_t verif(struct sl_t *t, struct fx *f, int64_t person, const char *matter,
                     const char *ref, bool passed, bool bank, const char *reason)
{
    sl_tx *tx = NULL;
    int64_t id = 0;
    SL_CHECK_EQ(t, sl__tx_begin(f->s, &tx), SL_OK);
    struct sl_verification_new vn = { .person_id = person, .matter = matter, .reference = ref,
        .channel = "h5", .device = "dev_test", .levels = SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_PERSON,
        .method = SL_METHOD_FACE };
    SL_CHECK_EQ(t, sl__verification_create_tx(tx, &vn, &id), SL_OK);
    char res[300];
    snprintf(res, sizeof res, "{\"passed\":%s,\"factors\":{\"bank_card\":%s},\"reasons\":[%s%s%s]}",
             passed ? "true" : "false", bank ? "true" : "false", reason ? "{\"code\":\"" : "",
             reason ? reason : "", reason ? "\"}" : "");
    if (bank) SL_CHECK_EQ(t, sl__verification_factors_tx(tx, id, SL_FACTOR_BANK_CARD), SL_OK);
    SL_CHECK_EQ(t, sl__verification_finish_tx(tx, f->k, id, passed ? vn.levels : SL_LEVEL_REAL_NAME,
                                              passed, passed ? 0.8 : 0.1, 1e-4, res), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    return id;
}

static json_t *party(const char *role, size_t i)
{
    return json_pack("{s:s,s:s,s:s,s:s}", "role", role, "id_type", P[i].type, "id_number",
                     P[i].num, "name", P[i].name);
}

static int64_t filing(struct sl_t *t, struct fx *f, const struct sl__sub_actor *a, const char *co)
{
    json_t *b = json_pack("{s:s,s:s,s:{s:s,s:i},s:[o,o,o]}", "kind", "company_registration",
                          "title", co, "document", "company", co, "capital_wan", 100,
                          "parties", party("legal_representative", 0), party("shareholder", 1),
                          party("shareholder", 2));
    char why[256] = "";
    json_t *out = NULL;
    sl_status st = sl__sub_create(f->s, f->k, a, b, why, sizeof why, &out);
    SL_CHECKF(t, st == SL_OK, "create: %s %s", sl_status_name(st), why);
    int64_t id = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    json_decref(b);
    return id;
}

static const struct sl__sub_actor CLERK = { .kind = "staff", .id = "clerk1", .hall_id = 1,
                                            .request_id = "req_test" };
static const struct sl__sub_actor PHONE = { .kind = "device", .id = "dev_h5", .hall_id = 1,
                                            .request_id = "req_test" };

SL_TEST(sub, filing_sign_submit)
{
    struct fx f;
    if (!fx_open(t, &f)) { fx_done(&f); return; }
    int64_t pid[NP];
    if (!add_persons(t, &f, pid)) { fx_done(&f); return; }
    int64_t a = filing(t, &f, &CLERK, "示例科技有限公司"), b = filing(t, &f, &CLERK, "另一公司");
    char ra[32], rb[32], why[512];
    snprintf(ra, sizeof ra, "sub_%" PRId64, a);
    snprintf(rb, sizeof rb, "sub_%" PRId64, b);
    json_t *out = NULL;
    /* nobody signed: refused, naming the three */
    SL_CHECK_EQ(t, sl__sub_submit(f.s, f.k, &CLERK, a, why, sizeof why, &out), SL_ERR_SUB_PARTIES);
    SL_CHECKF(t, strstr(why, "#1") && strstr(why, "#2") && strstr(why, "#3"), "why: %s", why);
    /* a verification made for the other filing does not count */
    int64_t vb = verif(t, &f, pid[0], "company_registration", rb, true, true, NULL);
    SL_CHECK_EQ(t, sl__sub_confirm(f.s, f.k, &PHONE, a, vb, why, sizeof why, &out),
                SL_ERR_ID_VERIF_BINDING);
    /* resident ID without the bank-card factor: refused, not consumed */
    int64_t v0 = verif(t, &f, pid[0], "company_registration", ra, true, false, NULL);
    SL_CHECK_EQ(t, sl__sub_confirm(f.s, f.k, &PHONE, a, v0, why, sizeof why, &out),
                SL_ERR_SUB_BANK_FACTOR);
    /* the seed's FAQ reasons */
    int64_t vf = verif(t, &f, pid[1], "company_registration", ra, false, true, "face_mismatch");
    SL_CHECK_EQ(t, sl__sub_confirm(f.s, f.k, &PHONE, a, vf, why, sizeof why, &out), SL_ERR_SUB_FACE);
    int64_t vq = verif(t, &f, pid[1], "company_registration", ra, false, true, "quality_dark");
    SL_CHECK_EQ(t, sl__sub_confirm(f.s, f.k, &PHONE, a, vq, why, sizeof why, &out),
                SL_ERR_SUB_QUALITY);
    int64_t vt = verif(t, &f, pid[1], "company_registration", ra, false, true, "engine_busy");
    SL_CHECK_EQ(t, sl__sub_confirm(f.s, f.k, &PHONE, a, vt, why, sizeof why, &out),
                SL_ERR_SUB_TRANSIENT);
    /* 戊 with the bank card: signed */
    int64_t v0b = verif(t, &f, pid[0], "company_registration", ra, true, true, NULL);
    sl_status st = sl__sub_confirm(f.s, f.k, &PHONE, a, v0b, why, sizeof why, &out);
    SL_CHECKF(t, st == SL_OK, "confirm: %s %s", sl_status_name(st), why);
    int64_t sig = json_integer_value(json_object_get(json_object_get(out, "signature"), "id"));
    json_decref(out);
    out = NULL;
    /* the same verification again: used */
    SL_CHECK_EQ(t, sl__sub_confirm(f.s, f.k, &PHONE, a, v0b, why, sizeof why, &out), SL_ERR_SUB_STATE);
    /* still missing two */
    SL_CHECK_EQ(t, sl__sub_submit(f.s, f.k, &CLERK, a, why, sizeof why, &out), SL_ERR_SUB_PARTIES);
    SL_CHECK(t, !strstr(why, "#1 ") && strstr(why, "#2"));
    int64_t v1 = verif(t, &f, pid[1], "company_registration", ra, true, true, NULL);
    SL_CHECK_EQ(t, sl__sub_confirm(f.s, f.k, &PHONE, a, v1, why, sizeof why, &out), SL_OK);
    json_decref(out);
    out = NULL;
    /* the HK permit holder needs no bank factor */
    int64_t v2 = verif(t, &f, pid[2], "company_registration", ra, true, false, NULL);
    st = sl__sub_confirm(f.s, f.k, &PHONE, a, v2, why, sizeof why, &out);
    SL_CHECKF(t, st == SL_OK, "HK: %s %s", sl_status_name(st), why);
    json_decref(out);
    out = NULL;
    SL_CHECK_EQ(t, sl__sub_submit(f.s, f.k, &CLERK, a, why, sizeof why, &out), SL_OK);
    SL_CHECK(t, strcmp(sl_json_str(out, "state", ""), "submitted") == 0);
    json_decref(out);
    out = NULL;
    /* the signature verifies; one changed byte of the document does not */
    json_t *sv = NULL;
    SL_CHECK_EQ(t, sl__sig_get(f.s, sig, &sv), SL_OK);
    const char *doc = sl_json_str(sv, "document", "");
    json_t *res = NULL;
    SL_CHECK_EQ(t, sl__sig_check(f.k, json_object_get(sv, "signature"), doc, &res), SL_OK);
    SL_CHECK(t, json_is_true(json_object_get(res, "valid")));
    json_decref(res);
    char *bad = sl__strdup(doc);
    if (bad) {
        char *p = strstr(bad, "100");
        if (p) p[0] = '9';
        SL_CHECK_EQ(t, sl__sig_check(f.k, json_object_get(sv, "signature"), bad, &res), SL_OK);
        SL_CHECK(t, json_is_false(json_object_get(res, "valid")));
        json_decref(res);
        sl__free(bad);
    }
    json_decref(sv);
    /* the evidence is in the signed reference: "<vid>@<hash>" */
    SL_CHECK_EQ(t, sl__sig_get(f.s, sig, &sv), SL_OK);
    char pre[32];
    snprintf(pre, sizeof pre, "%" PRId64 "@", v0b);
    SL_CHECK(t, strncmp(sl_json_str(json_object_get(sv, "signature"), "verification_id", ""), pre,
                        strlen(pre)) == 0);
    json_decref(sv);
    /* a passport holder (Demo Blair, director) signs without the bank factor */
    json_t *b2 = json_pack("{s:s,s:s,s:{s:s},s:[o]}", "kind", "company_registration", "title", "外资",
                           "document", "company", "外资", "parties", party("director", 3));
    SL_CHECK_EQ(t, sl__sub_create(f.s, f.k, &CLERK, b2, why, sizeof why, &out), SL_OK);
    json_decref(b2);
    int64_t c3 = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    out = NULL;
    char rc3[32];
    snprintf(rc3, sizeof rc3, "sub_%" PRId64, c3);
    int64_t vbl = verif(t, &f, pid[3], "company_registration", rc3, true, false, NULL);
    SL_CHECK_EQ(t, sl__sub_confirm(f.s, f.k, &PHONE, c3, vbl, why, sizeof why, &out), SL_OK);
    json_decref(out);
    out = NULL;
    SL_CHECK_EQ(t, sl__sub_submit(f.s, f.k, &CLERK, c3, why, sizeof why, &out), SL_OK);
    json_decref(out);
    fx_done(&f);
}

SL_TEST(sub, pending_seven_days_and_refuse)
{
    struct fx f;
    if (!fx_open(t, &f)) { fx_done(&f); return; }
    int64_t pid[NP];
    if (!add_persons(t, &f, pid)) { fx_done(&f); return; }
    struct sl__sub_actor filer = { .kind = "citizen", .id = "person:x", .person_id = pid[7],
                                   .request_id = "r" };
    int64_t old = filing(t, &f, &CLERK, "旧公司");
    set_clock(&f, "2026-12-12T02:00:00Z");   /* 8 days later */
    int64_t fresh = filing(t, &f, &filer, "新公司");
    struct sl__sub_actor me = { .kind = "citizen", .id = "person:0", .person_id = pid[0],
                                .request_id = "r" };
    json_t *out = NULL;
    SL_CHECK_EQ(t, sl__sub_pending(f.s, f.k, &me, pid[0], &out), SL_OK);
    json_t *items = json_object_get(out, "items");
    SL_CHECK_EQ(t, (long long)json_array_size(items), 1LL);
    SL_CHECK_EQ(t, (long long)json_integer_value(json_object_get(json_array_get(items, 0), "id")),
                (long long)fresh);
    json_decref(out);
    out = NULL;
    (void)old;
    /* a party refuses: recorded, the filer is told */
    char why[512];
    SL_CHECK_EQ(t, sl__sub_refuse(f.s, f.k, &me, fresh, 0, "不认识该公司", why, sizeof why, &out),
                SL_OK);
    json_decref(out);
    out = NULL;
    SL_CHECK_EQ(t, sl__sub_pending(f.s, f.k, &me, pid[0], &out), SL_OK);
    SL_CHECK_EQ(t, (long long)json_array_size(json_object_get(out, "items")), 0LL);
    json_decref(out);
    out = NULL;
    SL_CHECK_EQ(t, sl__sub_get(f.s, f.k, &filer, fresh, &out), SL_OK);
    json_t *ev = json_array_get(json_object_get(out, "events"), 0);
    SL_CHECK(t, strcmp(sl_json_str(ev, "kind", ""), "party_refused") == 0);
    SL_CHECK(t, strcmp(sl_json_str(json_object_get(ev, "detail"), "reason", ""), "不认识该公司") == 0);
    json_decref(out);
    out = NULL;
    /* the citizen filer sees it in their pending list too */
    SL_CHECK_EQ(t, sl__sub_pending(f.s, f.k, &filer, pid[7], &out), SL_OK);
    json_t *nt = json_array_get(json_object_get(out, "notices"), 0);
    SL_CHECK(t, strcmp(sl_json_str(nt, "kind", ""), "party_refused") == 0);
    SL_CHECK_EQ(t, (long long)json_integer_value(json_object_get(nt, "submission")), (long long)fresh);
    json_decref(out);
    out = NULL;
    SL_CHECK_EQ(t, sl__sub_submit(f.s, f.k, &filer, fresh, why, sizeof why, &out), SL_ERR_SUB_PARTIES);
    SL_CHECK(t, strstr(why, "refused") != NULL);
    /* another citizen cannot see the filing */
    struct sl__sub_actor other = { .kind = "citizen", .id = "p", .person_id = pid[5] };
    SL_CHECK_EQ(t, sl__sub_get(f.s, f.k, &other, fresh, &out), SL_ERR_SUB_NOT_FOUND);
    fx_done(&f);
}

SL_TEST(sub, delegation_and_agreement)
{
    struct fx f;
    if (!fx_open(t, &f)) { fx_done(&f); return; }
    int64_t pid[NP];
    if (!add_persons(t, &f, pid)) { fx_done(&f); return; }
    json_t *b = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s},s:{s:s,s:s,s:s}}", "kind", "delegation",
                          "matter", "hukou_move_in", "note", "委托代办户口迁入",
                          "principal", "id_type", P[4].type, "id_number", P[4].num, "name", P[4].name,
                          "agent", "id_type", P[5].type, "id_number", P[5].num, "name", P[5].name);
    char why[512] = "";
    json_t *out = NULL;
    /* a citizen asks only as one of the two parties: a third person's
     * request is refused and leaves no row */
    struct sl__sub_actor third = { .kind = "citizen", .id = "p6", .hall_id = 1, .person_id = pid[6] };
    sl_status st = sl__dlg_create(f.s, f.k, &third, b, why, sizeof why, &out);
    SL_CHECKF(t, st == SL_ERR_SUB_NOT_PARTY, "third person: %s %s", sl_status_name(st), why);
    SL_CHECK(t, out == NULL);
    struct sl__sub_actor agent = { .kind = "citizen", .id = "p5", .hall_id = 1, .person_id = pid[5] };
    st = sl__dlg_create(f.s, f.k, &agent, b, why, sizeof why, &out);
    SL_CHECKF(t, st == SL_OK, "the agent asks: %s %s", sl_status_name(st), why);
    json_decref(out);
    out = NULL;
    st = sl__dlg_create(f.s, f.k, &CLERK, b, why, sizeof why, &out);
    SL_CHECKF(t, st == SL_OK, "create: %s %s", sl_status_name(st), why);
    json_decref(b);
    int64_t d = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    out = NULL;
    char ref[32];
    snprintf(ref, sizeof ref, "dlg_%" PRId64, d);
    /* listed as the principal's pending items (the agent's request and the clerk's) */
    struct sl__sub_actor ren = { .kind = "citizen", .id = "p4", .person_id = pid[4] };
    SL_CHECK_EQ(t, sl__sub_pending(f.s, f.k, &ren, pid[4], &out), SL_OK);
    SL_CHECK_EQ(t, (long long)json_array_size(json_object_get(out, "items")), 2LL);
    json_decref(out);
    out = NULL;
    /* the agent's own face does not confirm the principal's delegation */
    int64_t va = verif(t, &f, pid[5], "delegation", ref, true, false, NULL);
    SL_CHECK_EQ(t, sl__dlg_confirm(f.s, f.k, &PHONE, d, va, why, sizeof why, &out),
                SL_ERR_SUB_NOT_PARTY);
    /* a wrong face (verification not passed) refused */
    int64_t vw = verif(t, &f, pid[4], "delegation", ref, false, false, "face_mismatch");
    SL_CHECK_EQ(t, sl__dlg_confirm(f.s, f.k, &PHONE, d, vw, why, sizeof why, &out), SL_ERR_SUB_FACE);
    /* bound to something else */
    int64_t vo = verif(t, &f, pid[4], "delegation", "dlg_999", true, false, NULL);
    SL_CHECK_EQ(t, sl__dlg_confirm(f.s, f.k, &PHONE, d, vo, why, sizeof why, &out),
                SL_ERR_ID_VERIF_BINDING);
    int64_t vp = verif(t, &f, pid[4], "delegation", ref, true, false, NULL);
    st = sl__dlg_confirm(f.s, f.k, &PHONE, d, vp, why, sizeof why, &out);
    SL_CHECKF(t, st == SL_OK, "confirm: %s %s", sl_status_name(st), why);
    SL_CHECK(t, strcmp(sl_json_str(out, "state", ""), "confirmed") == 0);
    SL_CHECK(t, json_is_object(json_object_get(out, "signature")));
    json_decref(out);
    out = NULL;
    /* agreement of the householder, kept with an application */
    sl_tx *tx = NULL;
    SL_CHECK_EQ(t, sl__tx_begin(f.s, &tx), SL_OK);
    char hex[65];
    uint8_t idx[32];
    SL_CHECK_EQ(t, sl__id_blind(f.k, SL_ID_RESIDENT, P[7].num, hex), SL_OK);
    SL_CHECK_EQ(t, sl__hex_decode(idx, sizeof idx, hex), SL_OK);
    SL_CHECK_EQ(t, sl__tx_exec(tx, "INSERT INTO gov_app (serial, matter, matter_version, channel, "
        "hall_id, state, person_idx, id_sealed, id_masked, form, opened_by, created_ms, updated_ms) "
        "VALUES ('T1','hukou_move_in',1,'phone',1,'draft',?,?,'3303**********4529','{}','t',1,1)",
        SL_ARGS(SL_BLOB(idx, 32), SL_BLOB("x", 1)), NULL), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    int64_t app = 1;
    b = json_pack("{s:s,s:s,s:I,s:{s:s,s:s,s:s},s:{s:s,s:s,s:s}}", "kind", "agreement",
                  "matter", "hukou_move_in", "application", (json_int_t)app,
                  "third_party", "id_type", P[6].type, "id_number", P[6].num, "name", P[6].name,
                  "applicant", "id_type", P[7].type, "id_number", P[7].num, "name", P[7].name);
    st = sl__dlg_create(f.s, f.k, &CLERK, b, why, sizeof why, &out);
    SL_CHECKF(t, st == SL_OK, "agreement: %s %s", sl_status_name(st), why);
    json_decref(b);
    int64_t g = json_integer_value(json_object_get(out, "id"));
    json_decref(out);
    out = NULL;
    snprintf(ref, sizeof ref, "dlg_%" PRId64, g);
    int64_t vg = verif(t, &f, pid[6], "agreement", ref, true, false, NULL);
    SL_CHECK_EQ(t, sl__dlg_confirm(f.s, f.k, &PHONE, g, vg, why, sizeof why, &out), SL_OK);
    json_decref(out);
    out = NULL;
    /* the applicant's commitment (seed 000), signed */
    int64_t vc = verif(t, &f, pid[7], "commitment", "app_1", true, false, NULL);
    st = sl__sub_commitment(f.s, f.k, &PHONE, app, vc, why, sizeof why, &out);
    SL_CHECKF(t, st == SL_OK, "commitment: %s %s", sl_status_name(st), why);
    SL_CHECK(t, strstr(sl_json_str(out, "document", ""), "承诺对因此产生的后果负全部责任") != NULL);
    json_decref(out);
    out = NULL;
    /* someone else's verification cannot sign the applicant's commitment */
    int64_t vx = verif(t, &f, pid[6], "commitment", "app_1", true, false, NULL);
    SL_CHECK_EQ(t, sl__sub_commitment(f.s, f.k, &PHONE, app, vx, why, sizeof why, &out),
                SL_ERR_SUB_NOT_PARTY);
    /* the application shows who agreed, with evidence, and the commitment */
    SL_CHECK_EQ(t, sl__sub_app_evidence(f.s, f.k, &CLERK, app, &out), SL_OK);
    json_t *ag = json_array_get(json_object_get(out, "agreements"), 0);
    SL_CHECK(t, strcmp(sl_json_str(ag, "state", ""), "confirmed") == 0);
    SL_CHECK_EQ(t, (long long)json_integer_value(json_object_get(ag, "verification_id")),
                (long long)vg);
    SL_CHECK_EQ(t, (long long)json_array_size(json_object_get(out, "commitments")), 1LL);
    json_decref(out);
    fx_done(&f);
}
