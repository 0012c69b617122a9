/*
 * test_id_registry.c -- registry, verification results and consent on a
 * fresh SQLite store (src/id/id.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "acct/acct.h"
#include "crypto/crypto.h"
#include "id/id.h"
#include "store/store.h"
#include "test.h"

struct idfx {
    char dir[64];
    sl_store *s;
    sl_keyring *k;
};

static bool idfx_open(struct sl_t *t, struct idfx *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sl-id-XXXXXX");
    if (!mkdtemp(f->dir)) {
        SL_CHECKF(t, false, "mkdtemp: %s", strerror(errno));
        return false;
    }
    char url[512], kp[128];
    /* PostgreSQL when SL_TEST_STORE_URL names one (schema wiped), as test_store.c */
    const char *env = getenv("SL_TEST_STORE_URL");
    bool pg = env && *env && strncmp(env, "sqlite:", 7) != 0;
    if (pg)
        snprintf(url, sizeof url, "%s", env);
    else
        snprintf(url, sizeof url, "sqlite:%s/db.sqlite", f->dir);
    snprintf(kp, sizeof kp, "%s/keys", f->dir);
    SL_CHECK_EQ(t, sl__crypto_init(), SL_OK);
    SL_CHECK_EQ(t, sl__keyring_open(kp, SL_SUITE_INTL, true, &f->k), SL_OK);
    SL_CHECK_EQ(t, sl__store_open(url, NULL, &f->s), SL_OK);
    if (!f->s || !f->k)
        return false;
    if (pg) {
        sl_tx *tx = NULL;
        sl_status st = sl__tx_begin(f->s, &tx);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "DROP SCHEMA IF EXISTS public CASCADE", NULL, 0, NULL);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "CREATE SCHEMA public", NULL, 0, NULL);
        st = st == SL_OK ? sl__tx_commit(tx) : (sl__tx_rollback(tx), st);
        SL_CHECK_EQ(t, st, SL_OK);
        sl__store_close(f->s);
        f->s = NULL;
        SL_CHECK_EQ(t, sl__store_open(url, NULL, &f->s), SL_OK);
        if (!f->s)
            return false;
    }
    SL_CHECK_EQ(t, sl__store_migrate(f->s), SL_OK);
    return true;
}

static void idfx_done(struct idfx *f)
{
    sl__store_close(f->s);
    sl__keyring_free(f->k);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
}

static void valid_number(const char *first17, char out[19])
{
    memcpy(out, first17, 17);
    out[17] = sl_id_check_char(first17);
    out[18] = 0;
}

SL_TEST(id, registry_add_find)
{
    struct idfx f;
    if (!idfx_open(t, &f))
        return;
    char num[19];
    valid_number("11010519491231002", num);
    float tmpl[4] = { 0.5f, 0.5f, 0.5f, 0.5f };
    struct sl_person_new p = { .id_type = SL_ID_RESIDENT, .number = num, .name = "张三丰",
                               .photo = "JPEG", .photo_n = 4, .tmpl = tmpl, .tmpl_dim = 4 };
    int64_t id = 0;
    SL_CHECK_EQ(t, sl__person_add(f.s, f.k, &p, NULL, NULL, &id), SL_OK);
    SL_CHECK(t, id > 0);
    /* the same number again */
    SL_CHECK_EQ(t, sl__person_add(f.s, f.k, &p, NULL, NULL, NULL), SL_ERR_ID_PERSON_EXISTS);
    /* a bad check digit says which check failed */
    char bad[19];
    memcpy(bad, num, sizeof bad);
    bad[17] = bad[17] == '1' ? '2' : '1';
    const char *why = NULL;
    p.number = bad;
    SL_CHECK_EQ(t, sl__person_add(f.s, f.k, &p, NULL, &why, NULL), SL_ERR_ID_CHECK_DIGIT);
    SL_CHECK(t, why && strcmp(why, "check_digit") == 0);

    struct sl_person out;
    struct sl_acct_audit au = { .actor_kind = "staff", .actor_id = "7", .action = "person.read" };
    SL_CHECK_EQ(t, sl__person_find(f.s, f.k, SL_ID_RESIDENT, num, true, &au, &out), SL_OK);
    SL_CHECK_EQ(t, out.id, id);
    SL_CHECK(t, strcmp(out.number, num) == 0);
    SL_CHECK(t, strcmp(out.name, "张三丰") == 0);
    SL_CHECK(t, strcmp(out.birth_date, "1949-12-31") == 0);
    SL_CHECK(t, out.has_photo && out.has_template && !out.masked);
    SL_CHECK_EQ(t, sl__person_find(f.s, f.k, SL_ID_RESIDENT, num, false, NULL, &out), SL_OK);
    SL_CHECK(t, out.masked && strcmp(out.number, num) != 0 && strchr(out.number, '*'));
    SL_CHECK(t, strcmp(out.name, "张**") == 0);
    char other[19];
    valid_number("11010519800101001", other);
    SL_CHECK_EQ(t, sl__person_find(f.s, f.k, SL_ID_RESIDENT, other, false, NULL, &out),
                SL_ERR_ID_PERSON_UNKNOWN);

    /* nothing in the database holds the number or the name in clear */
    sl_tx *tx = NULL;
    SL_CHECK_EQ(t, sl__tx_begin(f.s, &tx), SL_OK);
    int64_t n = -1;
    SL_CHECK_EQ(t, sl__person_face_count_tx(tx, &n), SL_OK);
    SL_CHECK_EQ(t, n, 1);
    json_t *rep = NULL;
    SL_CHECK_EQ(t, sl__person_face_report_tx(tx, &rep), SL_OK);
    SL_CHECK(t, rep && json_integer_value(json_object_get(rep, "persons_with_face_data")) == 1 &&
                json_is_false(json_object_get(rep, "warning")));
    json_decref(rep);
    float *tm = NULL;
    size_t dim = 0;
    SL_CHECK_EQ(t, sl__person_template_tx(tx, f.k, id, &tm, &dim), SL_OK);
    SL_CHECK(t, dim == 4 && tm && tm[3] == 0.5f);
    sl__free(tm);
    sl_rows *r = NULL;
    SL_CHECK_EQ(t, sl__tx_query(tx, "SELECT number_sealed, name_sealed FROM id_person", NULL, 0, &r), SL_OK);
    size_t bn = 0;
    const char *b = sl__rows_blob(r, 0, 0, &bn);
    SL_CHECK(t, b && !memmem(b, bn, num, 18));
    sl__rows_free(r);
    /* 实名: name, status and end date */
    struct sl_person rn;
    SL_CHECK_EQ(t, sl__person_real_name_tx(tx, f.k, SL_ID_RESIDENT, num, "张三丰", false, NULL, &rn), SL_OK);
    SL_CHECK(t, rn.masked && rn.id == id);
    SL_CHECK_EQ(t, sl__person_real_name_tx(tx, f.k, SL_ID_RESIDENT, num, "张三", false, NULL, &rn),
                SL_ERR_ID_NAME_MISMATCH);
    SL_CHECK_EQ(t, sl__person_real_name_tx(tx, f.k, SL_ID_RESIDENT, other, "张三丰", false, NULL, &rn),
                SL_ERR_ID_PERSON_UNKNOWN);
    char exp_num[19], dead_num[19];
    valid_number("11010519700101001", exp_num);
    valid_number("11010519300101001", dead_num);
    struct sl_person_new pe = { .id_type = SL_ID_RESIDENT, .number = exp_num, .name = "王五",
                                .valid_from = "2000-01-01", .valid_to = "2020-01-01" };
    SL_CHECK_EQ(t, sl__person_add_tx(tx, f.k, &pe, NULL, NULL, NULL), SL_OK);
    SL_CHECK_EQ(t, sl__person_real_name_tx(tx, f.k, SL_ID_RESIDENT, exp_num, "王五", false, NULL, &rn),
                SL_ERR_ID_DOC_EXPIRED);
    SL_CHECK(t, strcmp(rn.valid_to, "2020-01-01") == 0);
    struct sl_person_new pd = { .id_type = SL_ID_RESIDENT, .number = dead_num, .name = "赵六",
                                .status = SL_PERSON_DECEASED };
    SL_CHECK_EQ(t, sl__person_add_tx(tx, f.k, &pd, NULL, NULL, NULL), SL_OK);
    SL_CHECK_EQ(t, sl__person_real_name_tx(tx, f.k, SL_ID_RESIDENT, dead_num, "赵六", false, NULL, &rn),
                SL_ERR_ID_PERSON_STATUS);
    /* the look-up is in the audit chain under the person's index, masked */
    char blind[65];
    SL_CHECK_EQ(t, sl__id_blind(f.k, SL_ID_RESIDENT, num, blind), SL_OK);
    struct sl_audit_filter af = { .person = blind, .action = "person.read" };
    json_t *arr = NULL;
    SL_CHECK_EQ(t, sl__audit_query(tx, &af, &arr), SL_OK);
    SL_CHECK_EQ(t, json_array_size(arr), (size_t)1);
    char *dump = arr ? json_dumps(arr, 0) : NULL;
    SL_CHECK(t, dump && !strstr(dump, num) && strstr(dump, "****"));
    free(dump);
    json_decref(arr);
    sl__tx_rollback(tx);
    idfx_done(&f);
}

SL_TEST(id, verification_single_use)
{
    struct idfx f;
    if (!idfx_open(t, &f))
        return;
    char num[19];
    valid_number("44030419900307001", num);
    struct sl_person_new p = { .id_type = SL_ID_RESIDENT, .number = num, .name = "李四" };
    int64_t pid = 0;
    SL_CHECK_EQ(t, sl__person_add(f.s, f.k, &p, NULL, NULL, &pid), SL_OK);
    sl_tx *tx = NULL;
    SL_CHECK_EQ(t, sl__tx_begin(f.s, &tx), SL_OK);
    struct sl_verification_new vn = { .person_id = pid, .matter = "M1", .reference = "A1",
                                      .channel = "window", .device = "w1",
                                      .levels = SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_DOCUMENT };
    int64_t vid = 0, vid2 = 0;
    SL_CHECK_EQ(t, sl__verification_create_tx(tx, &vn, &vid), SL_OK);
    SL_CHECK_EQ(t, sl__verification_create_tx(tx, &vn, &vid2), SL_OK);
    /* not finished: not passed */
    SL_CHECK_EQ(t, sl__verification_consume(tx, vid, pid, "M1", "A1", NULL), SL_ERR_ID_VERIF_FAILED);
    SL_CHECK_EQ(t, sl__verification_factors_tx(tx, vid, SL_FACTOR_BANK_CARD), SL_OK);
    SL_CHECK_EQ(t, sl__verification_finish_tx(tx, f.k, vid, vn.levels, true, 0.8, 1e-4, "{}"), SL_OK);
    char sig[128];
    SL_CHECK_EQ(t, sl__verification_signature_tx(tx, vid, sig, sizeof sig), SL_OK);
    SL_CHECK(t, strlen(sig) > 40);
    /* a result longer than struct sl_verification keeps (1 KiB): the whole
     * text from sl__verification_result_tx, the reasons included */
    char longjs[2100];
    snprintf(longjs, sizeof longjs, "{\"pad\":\"%0*d\",\"reasons\":[{\"code\":\"dark\"}]}", 2000, 0);
    SL_CHECK_EQ(t, sl__verification_finish_tx(tx, f.k, vid2, 0, false, 0.1, 1e-4, longjs), SL_OK);
    char *full = NULL;
    SL_CHECK_EQ(t, sl__verification_result_tx(tx, vid2, &full), SL_OK);
    SL_CHECK(t, full && strcmp(full, longjs) == 0);
    sl__free(full);
    struct sl_verification cut;
    SL_CHECK_EQ(t, sl__verification_get_tx(tx, vid2, &cut), SL_OK);
    SL_CHECK(t, strlen(cut.result_json) < strlen(longjs) && !strstr(cut.result_json, "reasons"));
    SL_CHECK_EQ(t, sl__verification_result_tx(tx, 99999, &full), SL_ERR_NOT_FOUND);
    SL_CHECK_EQ(t, sl__verification_consume(tx, vid, pid + 1, "M1", "A1", NULL), SL_ERR_ID_VERIF_BINDING);
    SL_CHECK_EQ(t, sl__verification_consume(tx, vid, pid, "M2", "A1", NULL), SL_ERR_ID_VERIF_BINDING);
    SL_CHECK_EQ(t, sl__verification_consume(tx, vid, pid, "M1", "A2", NULL), SL_ERR_ID_VERIF_BINDING);
    struct sl_verification v;
    SL_CHECK_EQ(t, sl__verification_consume(tx, vid, pid, "M1", "A1", &v), SL_OK);
    SL_CHECK(t, v.passed && v.used_ms > 0 && v.levels_passed == vn.levels);
    SL_CHECK(t, v.factors_passed & SL_FACTOR_BANK_CARD);
    SL_CHECK_EQ(t, sl__verification_consume(tx, vid, pid, "M1", "A1", NULL), SL_ERR_ID_VERIF_USED);
    SL_CHECK_EQ(t, sl__verification_consume(tx, 99999, pid, "M1", "A1", NULL), SL_ERR_NOT_FOUND);

    /* consent: record, check (scope), withdraw */
    struct sl_consent_new c = { .person_id = pid, .purpose = "face_processing", .scope = "M1",
                                .channel = "window", .alternative = "clerk_document_check" };
    int64_t cid = 0, got = 0;
    SL_CHECK_EQ(t, sl__consent_check(tx, pid, "face_processing", "M1", NULL), SL_ERR_ID_CONSENT);
    SL_CHECK_EQ(t, sl__consent_record(tx, f.k, &c, NULL, &cid), SL_OK);
    SL_CHECK_EQ(t, sl__consent_check(tx, pid, "face_processing", "M1", &got), SL_OK);
    SL_CHECK_EQ(t, got, cid);
    SL_CHECK_EQ(t, sl__consent_check(tx, pid, "face_processing", "M2", NULL), SL_ERR_ID_CONSENT);
    SL_CHECK_EQ(t, sl__consent_check(tx, pid, "data_sharing", "M1", NULL), SL_ERR_ID_CONSENT);
    SL_CHECK_EQ(t, sl__consent_withdraw(tx, f.k, pid, cid, NULL), SL_OK);
    SL_CHECK_EQ(t, sl__consent_check(tx, pid, "face_processing", "M1", NULL), SL_ERR_ID_CONSENT);
    SL_CHECK_EQ(t, sl__consent_withdraw(tx, f.k, pid, cid, NULL), SL_ERR_NOT_FOUND);
    sl__tx_rollback(tx);

    SL_CHECK_EQ(t, sl__id_age("2015-06-02", "2026-06-01"), 10);
    SL_CHECK_EQ(t, sl__id_age("2012-06-01", "2026-06-01"), 14);
    SL_CHECK_EQ(t, sl__level_parse("real_person"), SL_LEVEL_REAL_PERSON);
    SL_CHECK_EQ(t, sl__level_parse("x"), 0u);
    idfx_done(&f);
}

SL_TEST(id, lockout_backoff)
{
    struct idfx f;
    if (!idfx_open(t, &f))
        return;
    sl_tx *tx = NULL;
    SL_CHECK_EQ(t, sl__tx_begin(f.s, &tx), SL_OK);
    const char *b = "abc";
    int64_t now = 1000000, until = 0;
    for (int i = 0; i < SL_ID_LOCK_FAILS - 1; i++) {
        SL_CHECK_EQ(t, sl__id_lock_fail(tx, b, now + i, &until), SL_OK);
        SL_CHECK_EQ(t, until, 0);
    }
    SL_CHECK_EQ(t, sl__id_lock_check(tx, b, now + 10, NULL), SL_OK);
    SL_CHECK_EQ(t, sl__id_lock_fail(tx, b, now + 10, &until), SL_OK);
    SL_CHECK_EQ(t, until, now + 10 + SL_ID_LOCK_MS);          /* 5th failure locks */
    SL_CHECK_EQ(t, sl__id_lock_check(tx, b, now + 11, &until), SL_ERR_ID_LOCKED);
    SL_CHECK_EQ(t, sl__id_lock_check(tx, "other", now + 11, NULL), SL_OK);
    /* released at the end; the next lock lasts twice as long */
    int64_t t2 = now + 10 + SL_ID_LOCK_MS;
    SL_CHECK_EQ(t, sl__id_lock_check(tx, b, t2, NULL), SL_OK);
    for (int i = 0; i < SL_ID_LOCK_FAILS; i++)
        SL_CHECK_EQ(t, sl__id_lock_fail(tx, b, t2 + i, &until), SL_OK);
    SL_CHECK_EQ(t, until, t2 + SL_ID_LOCK_FAILS - 1 + 2 * (int64_t)SL_ID_LOCK_MS);
    /* failures spread wider than the window never lock */
    const char *c = "spread";
    for (int i = 0; i < 10; i++) {
        SL_CHECK_EQ(t, sl__id_lock_fail(tx, c, now + (int64_t)i * (SL_ID_LOCK_WINDOW_MS / 4 + 1), &until), SL_OK);
        SL_CHECK_EQ(t, until, 0);
    }
    /* success resets */
    SL_CHECK_EQ(t, sl__id_lock_success(tx, b), SL_OK);
    SL_CHECK_EQ(t, sl__id_lock_check(tx, b, t2 + 1, NULL), SL_OK);
    sl__tx_rollback(tx);
    idfx_done(&f);
}

SL_TEST(id, bank_card_file)
{
    SL_CHECK(t, sl__bank_luhn("4111111111111111"));
    SL_CHECK(t, !sl__bank_luhn("4111111111111112"));
    SL_CHECK(t, !sl__bank_luhn("41111111111"));
    SL_CHECK(t, !sl__bank_luhn("4111-1111-1111-1111"));
    char path[] = "/tmp/sl-bank-XXXXXX";
    int fd = mkstemp(path);
    SL_CHECK(t, fd >= 0);
    if (fd < 0)
        return;
    const char *txt = "# card,id,name,phone\n4111111111111111,110105194912310021,张三丰,13800000000\n";
    SL_CHECK(t, write(fd, txt, strlen(txt)) == (ssize_t)strlen(txt));
    close(fd);
    struct sl_bank_verifier v;
    SL_CHECK_EQ(t, sl__bank_file_open(path, &v), SL_OK);
    struct sl_bank_check c = { "张三丰", "110105194912310021", "4111111111111111", "13800000000" };
    SL_CHECK_EQ(t, v.check(v.ctx, &c), SL_OK);
    c.phone = "13900000000";
    SL_CHECK_EQ(t, v.check(v.ctx, &c), SL_ERR_ID_BANK_MISMATCH);
    c.phone = "13800000000";
    c.name = "张三";
    SL_CHECK_EQ(t, v.check(v.ctx, &c), SL_ERR_ID_BANK_MISMATCH);
    c.name = "张三丰";
    c.card = "4111111111111112";
    SL_CHECK_EQ(t, v.check(v.ctx, &c), SL_ERR_ID_BANK_CARD);
    c.card = "5555555555554444";   /* valid Luhn, unknown to the bank */
    SL_CHECK_EQ(t, v.check(v.ctx, &c), SL_ERR_ID_BANK_MISMATCH);
    v.free(v.ctx);
    unlink(path);
}

SL_TEST(id, evidence_frame_retention)
{
    struct idfx f;
    if (!idfx_open(t, &f))
        return;
    sl_tx *tx = NULL;
    SL_CHECK_EQ(t, sl__tx_begin(f.s, &tx), SL_OK);
    int64_t now = sl__now_ms();
    SL_CHECK_EQ(t, sl__frame_keep_tx(tx, f.k, 7, "catalogue", "FRAME", 5, now + 60000, NULL), SL_OK);
    SL_CHECK_EQ(t, sl__frame_keep_tx(tx, f.k, 8, "", "FRAME", 5, now + 60000, NULL), SL_ERR_INVALID);
    uint8_t *p = NULL;
    size_t n = 0;
    SL_CHECK_EQ(t, sl__frame_get_tx(tx, f.k, 7, &p, &n), SL_OK);
    SL_CHECK(t, n == 5 && p && memcmp(p, "FRAME", 5) == 0);
    sl__free(p);
    SL_CHECK_EQ(t, sl__frame_get_tx(tx, f.k, 8, &p, &n), SL_ERR_NOT_FOUND);
    int64_t removed = -1;
    SL_CHECK_EQ(t, sl__frame_sweep_tx(tx, now + 1000, &removed), SL_OK);
    SL_CHECK_EQ(t, removed, 0);
    SL_CHECK_EQ(t, sl__frame_sweep_tx(tx, now + 60000, &removed), SL_OK);
    SL_CHECK_EQ(t, removed, 1);
    SL_CHECK_EQ(t, sl__frame_get_tx(tx, f.k, 7, &p, &n), SL_ERR_NOT_FOUND);
    sl__tx_rollback(tx);
    idfx_done(&f);
}
