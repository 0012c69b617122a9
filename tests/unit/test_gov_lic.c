/*
 * test_gov_lic.c -- issue 14's pure core (src/gov/lic.h): e-signatures
 * bound to a verification (both suites; a changed document, field or key
 * fails), licence status steps and the use check, the selective-disclosure
 * consent check, and the temporary credential's code, month and limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "gov/gov.h"
#include "gov/lic.h"
#include "test.h"

static sl_keyring *ring(struct sl_t *t, sl_suite s, char *dir, size_t dcap,
                        char *path, size_t cap)
{
    snprintf(dir, dcap, "/tmp/sl-lic-XXXXXX");
    SL_ASSERT(mkdtemp(dir));
    snprintf(path, cap, "%s/keys", dir);
    sl_keyring *k = NULL;
    SL_CHECK_EQ(t, sl__keyring_open(path, s, true, &k), SL_OK);
    SL_ASSERT(k);
    return k;
}

static void unring(sl_keyring *k, const char *dir, const char *path)
{
    char p[600];
    sl__keyring_free(k);
    unlink(path);
    snprintf(p, sizeof p, "%s.lock", path);
    unlink(p);
    snprintf(p, sizeof p, "%s.tmp", path);
    unlink(p);
    rmdir(dir);
}

SL_TEST(gov_lic, esign_roundtrip_and_tamper)
{
    static const sl_suite suites[] = { SL_SUITE_GM, SL_SUITE_INTL };
    static const char doc[] = "承诺书: 本人承诺所填信息真实有效。";
    for (size_t si = 0; si < 2; si++) {
        char dir[64], path[128], dir2[64], path2[128];
        sl_keyring *k = ring(t, suites[si], dir, sizeof dir, path, sizeof path);
        sl_keyring *other = ring(t, suites[si], dir2, sizeof dir2, path2,
                                 sizeof path2);
        struct sl__esign r;
        SL_CHECK_EQ(t, sl__esign_make(k, doc, sizeof doc - 1, "ver_123",
                                      "match", 1764800000000LL, &r), SL_OK);
        SL_CHECK(t, strcmp(r.suite, sl__suite_name(suites[si])) == 0);
        SL_CHECK_EQ(t, r.kid, sl__keyring_current_sign_kid(k));
        SL_CHECK_EQ(t, sl__esign_verify(k, doc, sizeof doc - 1, &r), SL_OK);
        SL_CHECK_EQ(t, sl__esign_verify(k, NULL, 0, &r), SL_OK);
        char pub[SL_CRYPTO_PUBKEY_MAX];
        SL_CHECK_EQ(t, sl__public_key(k, r.kid, pub, sizeof pub), SL_OK);
        SL_CHECK_EQ(t, sl__esign_verify_public(pub, doc, sizeof doc - 1, &r),
                    SL_OK);
        /* another document */
        SL_CHECK_EQ(t, sl__esign_verify(k, doc, sizeof doc - 2, &r),
                    SL_ERR_CRYPTO_SIGNATURE);
        /* another hall's key */
        SL_CHECK(t, sl__esign_verify(other, doc, sizeof doc - 1, &r) != SL_OK);
        /* each signed field changed */
        struct sl__esign x = r;
        x.verification_id[4] = '9';
        SL_CHECK_EQ(t, sl__esign_verify(k, NULL, 0, &x),
                    SL_ERR_CRYPTO_SIGNATURE);
        x = r;
        x.signed_at_ms++;
        SL_CHECK_EQ(t, sl__esign_verify(k, NULL, 0, &x),
                    SL_ERR_CRYPTO_SIGNATURE);
        x = r;
        x.doc_hash[0] = x.doc_hash[0] == 'a' ? 'b' : 'a';
        SL_CHECK_EQ(t, sl__esign_verify(k, NULL, 0, &x),
                    SL_ERR_CRYPTO_SIGNATURE);
        x = r;
        x.sig[3] = 'z';
        SL_CHECK_EQ(t, sl__esign_verify(k, NULL, 0, &x), SL_ERR_ESIGN_FORMAT);
        /* a signature needs a passed verification and sane fields */
        SL_CHECK_EQ(t, sl__esign_make(k, doc, 3, "ver_1", "no_match", 1, &x),
                    SL_ERR_DENIED);
        SL_CHECK_EQ(t, sl__esign_make(k, doc, 3, "ver\n1", "match", 1, &x),
                    SL_ERR_ESIGN_FORMAT);
        SL_CHECK_EQ(t, sl__esign_make(k, doc, 3, "", "match", 1, &x),
                    SL_ERR_ESIGN_FORMAT);
        SL_CHECK_EQ(t, sl__esign_make(k, NULL, 3, "v", "match", 1, &x),
                    SL_ERR_INVALID);
        unring(k, dir, path);
        unring(other, dir2, path2);
    }
}

SL_TEST(gov_lic, status_steps_and_use)
{
    sl__lic_status s;
    SL_CHECK_EQ(t, sl__lic_step(SL_LIC_ISSUED, SL_LIC_SUSPEND, &s), SL_OK);
    SL_CHECK_EQ(t, s, SL_LIC_SUSPENDED);
    SL_CHECK_EQ(t, sl__lic_step(s, SL_LIC_RESUME, &s), SL_OK);
    SL_CHECK_EQ(t, s, SL_LIC_ISSUED);
    SL_CHECK_EQ(t, sl__lic_step(SL_LIC_ISSUED, SL_LIC_RESUME, &s),
                SL_ERR_LIC_TRANSITION);
    SL_CHECK_EQ(t, sl__lic_step(SL_LIC_SUSPENDED, SL_LIC_REVOKE, &s), SL_OK);
    SL_CHECK_EQ(t, s, SL_LIC_REVOKED);
    SL_CHECK_EQ(t, sl__lic_step(SL_LIC_REVOKED, SL_LIC_RESUME, &s),
                SL_ERR_LIC_TRANSITION);
    SL_CHECK_EQ(t, sl__lic_step(SL_LIC_REVOKED, SL_LIC_REVOKE, &s),
                SL_ERR_LIC_TRANSITION);
    SL_CHECK_EQ(t, sl__lic_status_parse("suspended", &s), SL_OK);
    SL_CHECK(t, strcmp(sl__lic_status_name(s), "suspended") == 0);
    SL_CHECK_EQ(t, sl__lic_status_parse("gone", &s), SL_ERR_INVALID);

    SL_CHECK_EQ(t, sl__lic_usable(SL_LIC_ISSUED, 100, 200, 100), SL_OK);
    SL_CHECK_EQ(t, sl__lic_usable(SL_LIC_ISSUED, 100, 0, 1000000), SL_OK);
    SL_CHECK_EQ(t, sl__lic_usable(SL_LIC_ISSUED, 100, 200, 200),
                SL_ERR_LIC_EXPIRED);
    SL_CHECK_EQ(t, sl__lic_usable(SL_LIC_ISSUED, 100, 200, 99),
                SL_ERR_LIC_EXPIRED);
    SL_CHECK_EQ(t, sl__lic_usable(SL_LIC_SUSPENDED, 100, 200, 150),
                SL_ERR_LIC_SUSPENDED);
    SL_CHECK_EQ(t, sl__lic_usable(SL_LIC_REVOKED, 100, 200, 150),
                SL_ERR_LIC_REVOKED);
}

SL_TEST(gov_lic, disclosure_needs_consent_for_every_field)
{
    const char *consent[] = { "name", "id_number", "address" };
    const char *ok[] = { "name", "address", "name" };
    const char *extra[] = { "name", "photo" };
    const char *missing = NULL;
    SL_CHECK_EQ(t, sl__lic_disclose_check(ok, 3, consent, 3, &missing), SL_OK);
    SL_CHECK_EQ(t, sl__lic_disclose_check(extra, 2, consent, 3, &missing),
                SL_ERR_LIC_CONSENT);
    SL_CHECK(t, missing && strcmp(missing, "photo") == 0);
    SL_CHECK_EQ(t, sl__lic_disclose_check(ok, 1, NULL, 0, &missing),
                SL_ERR_LIC_CONSENT);
    SL_CHECK_EQ(t, sl__lic_disclose_check(NULL, 0, NULL, 0, NULL), SL_OK);
    const char *empty[] = { "" };
    SL_CHECK_EQ(t, sl__lic_disclose_check(empty, 1, consent, 3, NULL),
                SL_ERR_INVALID);
}

SL_TEST(gov_lic, credential_code_month_limit)
{
    char dir[64], path[128];
    sl_keyring *k = ring(t, SL_SUITE_INTL, dir, sizeof dir, path, sizeof path);
    char a[SL_CRED_CODE_LEN + 1], b[SL_CRED_CODE_LEN + 1], c[SL_CRED_CODE_LEN + 1];
    SL_CHECK_EQ(t, sl__cred_code(k, "TC2026120400001", a), SL_OK);
    SL_CHECK_EQ(t, sl__cred_code(k, "TC2026120400001", b), SL_OK);
    SL_CHECK_EQ(t, sl__cred_code(k, "TC2026120400002", c), SL_OK);
    SL_CHECK_EQ(t, strlen(a), (size_t)SL_CRED_CODE_LEN);
    SL_CHECK(t, strcmp(a, b) == 0);
    SL_CHECK(t, strcmp(a, c) != 0);
    SL_CHECK(t, strpbrk(a, "0O1I") == NULL);
    SL_CHECK_EQ(t, sl__cred_code(k, "", a), SL_ERR_INVALID);
    unring(k, dir, path);

    char m[8];
    /* 2026-11-30 16:00 UTC is 2026-12-01 00:00 in the hall (UTC+8) */
    sl__cred_month(1796054400000LL, m);
    SL_CHECK(t, strcmp(m, "2026-12") == 0);
    sl__cred_month(1796054399000LL, m);
    SL_CHECK(t, strcmp(m, "2026-11") == 0);

    SL_CHECK_EQ(t, sl__cred_limit_check(0, 3), SL_OK);
    SL_CHECK_EQ(t, sl__cred_limit_check(2, 3), SL_OK);
    SL_CHECK_EQ(t, sl__cred_limit_check(3, 3), SL_ERR_CRED_LIMIT);
    SL_CHECK_EQ(t, sl__cred_limit_check(0, 0), SL_ERR_INVALID);
}

SL_TEST(gov_lic, esign_json_roundtrip)
{
    char dir[64], path[128];
    sl_keyring *k = ring(t, SL_SUITE_GM, dir, sizeof dir, path, sizeof path);
    struct sl__esign r, back;
    SL_CHECK_EQ(t, sl__esign_make(k, "doc", 3, "ver_9", "match", 42, &r), SL_OK);
    json_t *o = sl__esign_to_json(&r);
    SL_ASSERT(o);
    SL_CHECK_EQ(t, sl__esign_from_json(o, &back), SL_OK);
    SL_CHECK_EQ(t, sl__esign_verify(k, "doc", 3, &back), SL_OK);
    json_object_set_new(o, "kid", json_string("1"));
    SL_CHECK_EQ(t, sl__esign_from_json(o, &back), SL_ERR_ESIGN_FORMAT);
    json_object_set_new(o, "kid", json_integer(1));
    json_object_del(o, "sig");
    SL_CHECK_EQ(t, sl__esign_from_json(o, &back), SL_ERR_ESIGN_FORMAT);
    json_object_set_new(o, "sig", json_string("00"));
    SL_CHECK_EQ(t, sl__esign_from_json(o, &back), SL_OK);
    SL_CHECK_EQ(t, sl__esign_verify(k, NULL, 0, &back), SL_ERR_ESIGN_FORMAT);
    json_decref(o);
    unring(k, dir, path);
}

SL_TEST(gov_lic, disclose_releases_only_consented_asked_fields)
{
    json_t *f = json_pack("{s:s,s:s,s:s,s:s}", "name", "张三", "id_number",
                          "110101199003074514", "address", "北京市", "photo", "AAAA");
    SL_ASSERT(f);
    const char *consent[] = { "name", "address", "photo" };
    const char *asked[] = { "name", "address" };
    json_t *out = NULL;
    const char *missing = NULL;
    SL_CHECK_EQ(t, sl__lic_disclose(f, asked, 2, consent, 3, &out, &missing), SL_OK);
    SL_CHECK(t, out && json_object_size(out) == 2);
    SL_CHECK(t, out && !json_object_get(out, "id_number") && !json_object_get(out, "photo"));
    json_decref(out);
    out = NULL;
    const char *greedy[] = { "name", "id_number" };
    SL_CHECK_EQ(t, sl__lic_disclose(f, greedy, 2, consent, 3, &out, &missing),
                SL_ERR_LIC_CONSENT);
    SL_CHECK(t, out == NULL && missing && strcmp(missing, "id_number") == 0);
    const char *absent[] = { "name", "photo", "x" };
    const char *consent2[] = { "name", "photo", "x" };
    SL_CHECK_EQ(t, sl__lic_disclose(f, absent, 3, consent2, 3, &out, &missing),
                SL_ERR_NOT_FOUND);
    SL_CHECK(t, out == NULL);
    json_decref(f);
}

SL_TEST(gov_lic, licence_signature)
{
    char dir[64], path[128];
    sl_keyring *k = ring(t, SL_SUITE_GM, dir, sizeof dir, path, sizeof path);
    char id[SL_LICENCE_ID_MAX];
    snprintf(id, sizeof id, "1.2.156.3005.2.1001.TEST.A1.1.X");
    json_t *f = json_pack("{s:s,s:s}", "name", "张三", "address", "北京市");
    json_t *g = json_pack("{s:s,s:s}", "address", "北京市", "name", "张三");
    char sig[2 * SL_CRYPTO_SIG_BYTES + 1];
    SL_CHECK_EQ(t, sl__lic_sign(k, id, 1000, f, sig), SL_OK);
    SL_CHECK_EQ(t, sl__lic_verify(k, id, 1000, f, sig), SL_OK);
    SL_CHECK_EQ(t, sl__lic_verify(k, id, 1000, g, sig), SL_OK);   /* key order */
    SL_CHECK_EQ(t, sl__lic_verify(k, id, 1001, f, sig), SL_ERR_CRYPTO_SIGNATURE);
    json_object_set_new(g, "address", json_string("上海市"));
    SL_CHECK_EQ(t, sl__lic_verify(k, id, 1000, g, sig), SL_ERR_CRYPTO_SIGNATURE);
    id[20] = 'Z';
    SL_CHECK_EQ(t, sl__lic_verify(k, id, 1000, f, sig), SL_ERR_CRYPTO_SIGNATURE);
    SL_CHECK_EQ(t, sl__lic_verify(k, id, 1000, f, "00"), SL_ERR_ESIGN_FORMAT);
    json_decref(f);
    json_decref(g);
    unring(k, dir, path);
}
