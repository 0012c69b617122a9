/*
 * test_gov_licstore.c -- issue 14 in the store (src/gov/licstore.h) with
 * real verification results made by the id.h library (the HTTP routes of
 * verifications are another branch's): 免提交 for the housing-fund
 * withdrawal (refused and nothing fetched without consent; only the
 * matter's fields; every use on the holder's list; suspended, tampered
 * and withdrawn refused), the 房查证明 with the spouse from the marriage
 * licence and its QR (one changed byte fails), temporary credentials
 * (valid, expired on the test clock, revoked, the monthly limit).
 * SQLite by default; PostgreSQL with SL_TEST_STORE_URL.
 */
#include <stdio.h>
#include <string.h>

#include "gov/app.h"
#include "gov/gov.h"
#include "gov/licstore.h"
#include "id/id.h"
#include "test.h"
#include "test_store_fx.h"

#define JIA  "330302198805126615"   /* 示例甲: married to 示例乙, owns a home */
#define YI   "330302199003034529"   /* 示例乙 */
#define REN  "330106199206182016"   /* 示例壬: seed 004 temporary credential */

static void set_clock(const char *path, int64_t ms)
{
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    if (f) {
        fprintf(f, "%lld\n", (long long)ms);
        fclose(f);
    }
    rename(tmp, path);
}

static int64_t verif(struct sl_t *t, sl_store *s, const sl_keyring *k, int64_t pid,
                     const char *matter, const char *ref, bool passed)
{
    sl_tx *tx = NULL;
    int64_t vid = 0;
    SL_CHECK_EQ(t, sl__tx_begin(s, &tx), SL_OK);
    struct sl_verification_new vn = { .person_id = pid, .matter = matter, .reference = ref,
                                      .channel = "kiosk", .device = "dev_kiosk",
                                      .levels = SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_PERSON,
                                      .method = SL_METHOD_FACE };
    SL_CHECK_EQ(t, sl__verification_create_tx(tx, &vn, &vid), SL_OK);
    SL_CHECK_EQ(t, sl__verification_finish_tx(tx, k, vid, vn.levels, passed, 0.8, 1e-4, "{}"), SL_OK);
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
    return vid;
}

static int64_t count(sl_store *s, const char *sql, const char *arg)
{
    sl_tx *tx = NULL;
    int64_t n = -1;
    if (sl__tx_begin_read(s, &tx) != SL_OK) return -1;
    if (arg) (void)sl__tx_query_int(tx, sql, SL_ARGS(SL_TEXT(arg)), &n);
    else (void)sl__tx_query_int(tx, sql, NULL, 0, &n);
    sl__tx_rollback(tx);
    return n;
}

static int64_t person(struct sl_t *t, sl_store *s, const sl_keyring *k, const char *no, const char *nm)
{
    struct sl_person_new pn = { .id_type = SL_ID_RESIDENT, .number = no, .name = nm };
    int64_t pid = 0;
    SL_CHECK_EQ(t, sl__person_add(s, k, &pn, NULL, NULL, &pid), SL_OK);
    return pid;
}

static char uscc[3][19];

static void issuers_and_types(struct sl_t *t, struct sl__lic *L, const struct sl__lic_actor *a)
{
    static const char *const first[] = { "11330302MB0000001", "11330302MB0000002", "12330302MB0000003" };
    for (int i = 0; i < 3; i++) {
        snprintf(uscc[i], sizeof uscc[i], "%s", first[i]);
        uscc[i][17] = sl__uscc_check_char(first[i]);
        uscc[i][18] = '\0';
        json_t *out = NULL;
        SL_CHECK_EQ(t, sl__lic_issuer_add(L, a, 1, "issuer", uscc[i], &out), SL_OK);
        json_decref(out);
    }
    json_t *out = NULL;
    SL_CHECK_EQ(t, sl__lic_issuer_add(L, a, 1, "again", uscc[0], &out), SL_ERR_LIC_EXISTS);
    uscc[0][17] ^= 1;
    SL_CHECK_EQ(t, sl__lic_issuer_add(L, a, 1, "bad check", uscc[0], &out), SL_ERR_LIC_DATA);
    uscc[0][17] ^= 1;
    static const struct { const char *code, *kind, *fields; int iss; } ty[] = {
        { "100001", "resident_id", "[\"name\",\"id_number\",\"sex\",\"address\"]", 0 },
        { "200001", "marriage_certificate", "[\"status\",\"spouse_name\",\"spouse_id_number\"]", 1 },
        { "300001", "property_certificate", "[\"cert_no\",\"address\",\"owners\",\"area_m2\",\"registered_on\"]", 2 },
    };
    for (int i = 0; i < 3; i++) {
        json_t *f = json_loads(ty[i].fields, 0, NULL);
        SL_CHECK_EQ(t, sl__lic_type_add(L, a, ty[i].code, ty[i].kind, "t", f, uscc[ty[i].iss], &out), SL_OK);
        json_decref(out);
        json_decref(f);
    }
}

static json_t *issue(struct sl_t *t, struct sl__lic *L, const struct sl__lic_actor *a, const char *kind,
                     const char *holder, json_t *fields, sl_status want)
{
    json_t *req = json_pack("{s:s,s:s,s:o}", "kind", kind, "holder_id_number", holder, "fields", fields);
    json_t *out = NULL;
    char why[200] = "";
    SL_CHECKF(t, sl__lic_issue(L, a, req, why, sizeof why, &out) == want, "issue %s: %s", kind, why);
    json_decref(req);
    return out;
}

SL_TEST(gov_licstore, mianjiaoti_certificate_credential)
{
    struct sl_t_fx fx;
    sl_store *s = sl_t_fx_open(t, &fx);
    if (!s) return;
    char kp[300], clk[300], md[300], xd[300], err[200] = "";
    snprintf(kp, sizeof kp, "%s/keys", fx.dir);
    snprintf(clk, sizeof clk, "%s/clock", fx.dir);
    sl_keyring *k = NULL;
    SL_CHECK_EQ(t, sl__crypto_init(), SL_OK);
    SL_CHECK_EQ(t, sl__keyring_open(kp, SL_SUITE_GM, true, &k), SL_OK);
    const int64_t t0 = 1796349600000LL;   /* 2026-12-04T02:00:00Z (Friday 10:00 China) */
    set_clock(clk, t0);
    SL_CHECK_EQ(t, sl__clock_set_file(clk), SL_OK);
    SL_CHECK_EQ(t, sl_t_exec1(s, "INSERT INTO acct_hall (name, kind, created_ms) VALUES ('h','hall',0)"), SL_OK);
    struct sl__gov *g = NULL;
    SL_CHECKF(t, sl__gov_open(s, k, sl_t_path(md, sizeof md, "share/shualian/matters"),
                              sl_t_path(xd, sizeof xd, "share/shualian/exchange"), err, sizeof err, &g) == SL_OK,
              "gov: %s", err);
    if (!g) { sl__keyring_free(k); sl_t_fx_done(&fx, s); return; }
    struct sl__lic L = { s, k, g, sl__gov_exchange(g) };
    struct sl__lic_actor a = { "device", "dev_kiosk", 1, "req_test" };
    int64_t pj = person(t, s, k, JIA, "示例甲"), pren = person(t, s, k, REN, "示例壬");
    int64_t pyi = person(t, s, k, YI, "示例乙");
    issuers_and_types(t, &L, &a);

    /* licences of 示例甲; wrong data refused with a reason */
    json_t *o;
    o = issue(t, &L, &a, "resident_id", JIA, json_pack("{s:s,s:s,s:s,s:s}", "name", "示例甲", "id_number",
              JIA, "sex", "M", "address", "温州"), SL_OK);
    json_decref(o);
    o = issue(t, &L, &a, "resident_id", JIA, json_pack("{s:s}", "name", "x"), SL_ERR_LIC_DATA);
    o = issue(t, &L, &a, "marriage_certificate", JIA, json_pack("{s:s,s:s,s:s}", "status", "married",
              "spouse_name", "示例乙", "spouse_id_number", YI), SL_OK);
    json_decref(o);
    o = issue(t, &L, &a, "property_certificate", JIA, json_pack("{s:s,s:s,s:[s],s:f,s:s}", "cert_no", "C1",
              "address", "温州市鹿城区示例路1号", "owners", "示例甲", "area_m2", 89.5, "registered_on",
              "2026-06-18"), SL_OK);
    char prop_lid[SL_LICENCE_ID_MAX];
    snprintf(prop_lid, sizeof prop_lid, "%s", sl_json_str(o, "licence_id", ""));
    json_decref(o);
    {   /* a given id: check character, type and issuer parts validated */
        char lid[SL_LICENCE_ID_MAX];
        SL_CHECK_EQ(t, sl__licence_id_make("100001", uscc[0], "X9", 1, lid), SL_OK);
        json_t *req = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s}}", "kind", "resident_id",
                                "holder_id_number", YI, "licence_id", lid, "fields", "name", "示例乙",
                                "id_number", YI, "sex", "F", "address", "温州");
        char why[200] = "";
        lid[strlen(lid) - 1] = lid[strlen(lid) - 1] == 'A' ? 'B' : 'A';
        json_object_set_new(req, "licence_id", json_string(lid));
        SL_CHECK_EQ(t, sl__lic_issue(&L, &a, req, why, sizeof why, &o), SL_ERR_LICENCE_ID);
        SL_CHECK(t, strstr(why, "check") != NULL);
        SL_CHECK_EQ(t, sl__licence_id_make("300001", uscc[2], "X9", 1, lid), SL_OK);
        json_object_set_new(req, "licence_id", json_string(lid));
        SL_CHECK_EQ(t, sl__lic_issue(&L, &a, req, why, sizeof why, &o), SL_ERR_LICENCE_ID);
        SL_CHECK(t, strstr(why, "type code") != NULL);
        json_decref(req);
    }

    /* 免提交: the housing-fund withdrawal of 示例甲 */
    struct sl__gov_actor ga = { 1u << SL_ACTOR_APPLICANT, "device", "dev_kiosk", 1, "req", 0 };
    json_t *app = NULL;
    json_t *form = json_pack("{s:s,s:s}", "amount_cny", "100000", "bank_account", "6222020000000000");
    SL_CHECK_EQ(t, sl__gov_app_create(g, &ga, "gjj.tiqu", "kiosk", JIA, form, NULL, &app), SL_OK);
    json_decref(form);
    int64_t aid = sl_json_int(app, "id", 0);
    json_decref(app);
    char ref[24];
    snprintf(ref, sizeof ref, "%lld", (long long)aid);
    SL_CHECK_EQ(t, sl__lic_fetch(&L, &a, aid, &o), SL_ERR_LIC_CONSENT);
    SL_CHECK_EQ(t, count(s, "SELECT count(*) FROM lic_use", NULL), 0);
    SL_CHECK_EQ(t, count(s, "SELECT count(*) FROM audit_log WHERE action = ?", "licence.use"), 0);
    /* consent needs a passed verification of 示例甲 for this application */
    SL_CHECK_EQ(t, sl__lic_consent_give(&L, &a, aid, verif(t, s, k, pj, "gjj.tiqu", "999", true), NULL, 0, &o),
                SL_ERR_ID_VERIF_BINDING);
    SL_CHECK_EQ(t, sl__lic_consent_give(&L, &a, aid, verif(t, s, k, pj, "gjj.tiqu", ref, false), NULL, 0, &o),
                SL_ERR_ID_VERIF_FAILED);
    SL_CHECK_EQ(t, sl__lic_consent_give(&L, &a, aid, verif(t, s, k, pren, "gjj.tiqu", ref, true), NULL, 0, &o),
                SL_ERR_ID_VERIF_BINDING);
    json_t *cons = NULL;
    SL_CHECK_EQ(t, sl__lic_consent_give(&L, &a, aid, verif(t, s, k, pj, "gjj.tiqu", ref, true), "spouse:示例乙", 0,
                                        &cons), SL_OK);
    /* one consent record kind (id_consent), the proxy recorded with it */
    SL_CHECK_EQ(t, count(s, "SELECT count(*) FROM id_consent WHERE purpose = 'licence_use' AND guardian = ?",
                         "spouse:示例乙"), 3);
    SL_CHECK_EQ(t, json_array_size(json_object_get(cons, "consents")), 3);
    json_decref(cons);
    json_t *got = NULL;
    SL_CHECK_EQ(t, sl__lic_fetch(&L, &a, aid, &got), SL_OK);
    const json_t *mats = json_object_get(got, "materials");
    const json_t *idf = json_object_get(json_object_get(mats, "id_document"), "fields");
    SL_CHECK_EQ(t, json_object_size(idf), 2);          /* name, id_number: not sex, address */
    SL_CHECK(t, json_object_get(idf, "name") && !json_object_get(idf, "sex"));
    const json_t *mf = json_object_get(json_object_get(mats, "marriage_certificate"), "fields");
    SL_CHECK(t, json_object_get(mf, "spouse_name") && !json_object_get(mf, "spouse_id_number"));
    SL_CHECK_EQ(t, json_object_size(json_object_get(json_object_get(mats, "property_certificate"), "fields")), 4);
    json_decref(got);
    SL_CHECK_EQ(t, count(s, "SELECT count(*) FROM lic_use", NULL), 3);
    SL_CHECK_EQ(t, count(s, "SELECT count(*) FROM audit_log WHERE action = ?", "licence.use"), 3);
    /* the holder sees every use */
    json_t *mine = NULL;
    SL_CHECK_EQ(t, sl__lic_holder_person(&L, &a, pj, NULL, &mine), SL_OK);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(mine, "licences"), i, e) {
        SL_CHECK_EQ(t, json_array_size(json_object_get(e, "uses")), 1);
        SL_CHECK(t, strcmp(sl_json_str(json_array_get(json_object_get(e, "uses"), 0), "matter", ""), "gjj.tiqu") == 0);
        SL_CHECK(t, json_object_get(e, "fields") != NULL);
    }
    json_decref(mine);
    /* suspended: refused, resumed: fine again */
    SL_CHECK_EQ(t, sl__lic_change(&L, &a, prop_lid, SL_LIC_SUSPEND, "check", &o), SL_OK);
    json_decref(o);
    SL_CHECK_EQ(t, sl__lic_fetch(&L, &a, aid, &o), SL_ERR_LIC_SUSPENDED);
    SL_CHECK_EQ(t, sl__lic_change(&L, &a, prop_lid, SL_LIC_RESUME, NULL, &o), SL_OK);
    json_decref(o);
    SL_CHECK_EQ(t, sl__lic_fetch(&L, &a, aid, &o), SL_OK);
    json_decref(o);
    SL_CHECK_EQ(t, count(s, "SELECT count(*) FROM lic_use", NULL), 6);
    /* a tampered issuer signature is detected */
    SL_CHECK_EQ(t, sl_t_exec1(s, "UPDATE lic_licence SET sig = substr(sig, 1, 100) || "
                                 "CASE WHEN substr(sig, 101, 1) = 'a' THEN 'b' ELSE 'a' END || substr(sig, 102)"
                                 " WHERE type_id = 3"), SL_OK);
    SL_CHECK_EQ(t, sl__lic_check(&L, prop_lid, &o), SL_OK);
    SL_CHECK(t, json_is_false(json_object_get(o, "signature_valid")));
    json_decref(o);
    SL_CHECK_EQ(t, sl__lic_fetch(&L, &a, aid, &o), SL_ERR_LIC_TAMPERED);
    /* withdrawn consent: refused again */
    SL_CHECK_EQ(t, sl__lic_consent_withdraw(&L, &a, aid, 0, &o), SL_OK);
    json_decref(o);
    SL_CHECK_EQ(t, sl__lic_fetch(&L, &a, aid, &o), SL_ERR_LIC_CONSENT);
    SL_CHECK_EQ(t, count(s, "SELECT count(*) FROM lic_use", NULL), 6);

    /* 房查证明 for 示例乙 (spouse 示例甲 from her marriage licence? she has none:
     * only her own part), then 示例甲 with spouse */
    o = issue(t, &L, &a, "marriage_certificate", YI, json_pack("{s:s,s:s,s:s}", "status", "married",
              "spouse_name", "示例甲", "spouse_id_number", JIA), SL_OK);
    json_decref(o);
    json_t *pc = NULL;
    SL_CHECK_EQ(t, sl__lic_propcert_issue(&L, &a, verif(t, s, k, pyi, "gjj.tiqu", "", true), &pc),
                SL_ERR_ID_VERIF_BINDING);
    SL_CHECK_EQ(t, sl__lic_propcert_issue(&L, &a, verif(t, s, k, pyi, "bdc.fangcha_zhengming", "k", true), &pc),
                SL_OK);
    const json_t *sp = json_object_get(pc, "spouse");
    SL_CHECK(t, json_is_object(sp));
    SL_CHECK_EQ(t, sl_json_int(json_object_get(json_object_get(pc, "holder"), "properties"), "count", -1), 0);
    SL_CHECK_EQ(t, sl_json_int(json_object_get(sp, "properties"), "count", -1), 1);   /* 示例甲's home */
    char qr[400];
    snprintf(qr, sizeof qr, "%s", sl_json_str(pc, "qr", ""));
    json_decref(pc);
    SL_CHECK_EQ(t, sl__lic_propcert_verify(&L, qr, &o), SL_OK);
    SL_CHECK(t, json_is_true(json_object_get(o, "valid")) && json_is_true(json_object_get(o, "spouse_included")));
    json_decref(o);
    for (size_t at = 6; at < strlen(qr); at += 7) {   /* one changed byte anywhere fails */
        char bad[400];
        snprintf(bad, sizeof bad, "%s", qr);
        bad[at] = bad[at] == '1' ? '2' : '1';
        SL_CHECKF(t, sl__lic_propcert_verify(&L, bad, &o) == SL_ERR_PRINT_TOKEN, "byte %zu", at);
    }
    SL_CHECK_EQ(t, count(s, "SELECT count(*) FROM lic_use WHERE matter = ?", "bdc.fangcha_zhengming"), 1);
    /* the same for a kiosk citizen session's person (no verification) */
    SL_CHECK_EQ(t, sl__lic_propcert_issue_person(&L, &a, 0, &pc), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl__lic_propcert_issue_person(&L, &a, 999999, &pc), SL_ERR_ID_PERSON_UNKNOWN);
    SL_CHECK_EQ(t, sl__lic_propcert_issue_person(&L, &a, pyi, &pc), SL_OK);
    SL_CHECK(t, json_is_object(json_object_get(pc, "spouse")));
    SL_CHECK(t, strcmp(sl_json_str(pc, "holder_masked_name", ""), "示**") == 0);
    snprintf(qr, sizeof qr, "%s", sl_json_str(pc, "qr", ""));
    json_decref(pc);
    SL_CHECK_EQ(t, sl__lic_propcert_verify(&L, qr, &o), SL_OK);
    SL_CHECK(t, json_is_true(json_object_get(o, "valid")));
    json_decref(o);
    SL_CHECK_EQ(t, count(s, "SELECT count(*) FROM lic_use WHERE matter = ?", "bdc.fangcha_zhengming"), 2);

    /* temporary credentials of 示例壬: limit 3 a month */
    json_t *c1 = NULL, *c2 = NULL;
    SL_CHECK_EQ(t, sl__lic_cred_issue(&L, &a, verif(t, s, k, pren, "temp_credential", "w", true), NULL, 0, 3, &c1),
                SL_OK);
    int64_t v1 = verif(t, s, k, pren, "temp_credential", "w", true);
    SL_CHECK_EQ(t, sl__lic_cred_issue(&L, &a, v1, "hj.toukao", 2, 3, &c2), SL_OK);
    SL_CHECK_EQ(t, sl__lic_cred_issue(&L, &a, v1, NULL, 0, 3, &o), SL_ERR_ID_VERIF_USED);
    SL_CHECK_EQ(t, sl__lic_cred_issue(&L, &a, verif(t, s, k, pren, "temp_credential", "w", true), NULL, 0, 3, &o),
                SL_OK);
    json_decref(o);
    SL_CHECK_EQ(t, sl__lic_cred_issue(&L, &a, verif(t, s, k, pren, "temp_credential", "w", true), NULL, 0, 3, &o),
                SL_ERR_CRED_LIMIT);
    SL_CHECK_EQ(t, sl__lic_cred_verify(&L, sl_json_str(c1, "qr", ""), &o), SL_OK);
    SL_CHECK(t, strcmp(sl_json_str(o, "status", ""), "valid") == 0 && !json_object_get(o, "name"));
    json_decref(o);
    SL_CHECK_EQ(t, sl__lic_cred_verify(&L, sl_json_str(c1, "code", ""), &o), SL_OK);
    SL_CHECK(t, strcmp(sl_json_str(o, "status", ""), "valid") == 0);
    json_decref(o);
    char badqr[300];
    snprintf(badqr, sizeof badqr, "%s", sl_json_str(c1, "qr", ""));
    badqr[strlen(badqr) - 3] ^= 1;
    SL_CHECK_EQ(t, sl__lic_cred_verify(&L, badqr, &o), SL_ERR_PRINT_TOKEN);
    SL_CHECK_EQ(t, sl__lic_cred_verify(&L, "ABCDEFGH", &o), SL_ERR_PRINT_TOKEN);
    SL_CHECK_EQ(t, sl__lic_cred_revoke(&L, &a, sl_json_str(c1, "serial", ""), "lost"), SL_OK);
    SL_CHECK_EQ(t, sl__lic_cred_verify(&L, sl_json_str(c1, "qr", ""), &o), SL_OK);
    SL_CHECK(t, strcmp(sl_json_str(o, "status", ""), "revoked") == 0);
    json_decref(o);
    set_clock(clk, t0 + 3 * 3600 * 1000LL);   /* c2 was for 2 hours */
    SL_CHECK_EQ(t, sl__lic_cred_verify(&L, sl_json_str(c2, "code", ""), &o), SL_OK);
    SL_CHECK(t, strcmp(sl_json_str(o, "status", ""), "expired") == 0);
    json_decref(o);
    set_clock(clk, t0 + 30LL * 24 * 3600 * 1000);   /* January: the limit starts again */
    SL_CHECK_EQ(t, sl__lic_cred_issue(&L, &a, verif(t, s, k, pren, "temp_credential", "w", true), NULL, 0, 3, &o),
                SL_OK);
    json_decref(o);
    json_decref(c1);
    json_decref(c2);
    sl__clock_set_file(NULL);
    sl__gov_free(g);
    sl__keyring_free(k);
    sl_t_fx_done(&fx, s);
}
