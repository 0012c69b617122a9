/*
 * test_rekey.c -- encryption at rest over the store (src/rekey) on SQLite:
 * AD binding to the row, batch re-encryption after a key rotation (every
 * blob moves to the new key and still opens to the same plaintext; a second
 * run finds nothing to do; a tampered row is counted and skipped), and the
 * registry's entries being well-formed. PostgreSQL instead of SQLite when
 * SL_TEST_STORE_URL holds a postgresql:// URL (tests/suites/80-store.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "rekey/rekey.h"
#include "store/store.h"
#include "test.h"
#include "test_store_fx.h"

static const struct sl_enc_column photos = { "rk_items", "id", "photo", "photo", NULL, NULL };
static const struct sl_enc_column idnums = { "rk_items", "id", "idnum", "id_number", NULL, NULL };

struct fixture {
    struct sl_t_fx fx;         /* the store tests' database fixture       */
    char           keys[300];
    sl_keyring    *k;
    sl_store      *s;
};

/* SQLite in a temp dir, or PostgreSQL when SL_TEST_STORE_URL says so. */
static bool fixture_open(struct sl_t *t, struct fixture *f, sl_suite suite)
{
    f->k = NULL;
    f->s = sl_t_fx_open(t, &f->fx);
    if (!f->s)
        return false;
    snprintf(f->keys, sizeof(f->keys), "%s/keys", f->fx.dir);
    SL_CHECK_EQ(t, sl__keyring_open(f->keys, suite, true, &f->k), SL_OK);
    if (!f->k)
        return false;
    SL_CHECK_EQ(t, sl_t_exec1(f->s, f->fx.pg
        ? "CREATE TABLE rk_items (id BIGINT PRIMARY KEY, photo BYTEA, idnum BYTEA, note TEXT)"
        : "CREATE TABLE rk_items (id INTEGER PRIMARY KEY, photo BLOB, idnum BLOB, note TEXT)"),
        SL_OK);
    return true;
}

static void fixture_close(struct fixture *f)
{
    sl__keyring_free(f->k);
    sl_t_fx_done(&f->fx, f->s);      /* closes the store, removes the dir */
}

/* The plaintext of row id's column: deterministic, so it can be checked. */
static size_t plain_of(int64_t id, bool photo, uint8_t *out)
{
    if (!photo)
        return (size_t)sprintf((char *)out, "1101011990%08lld", (long long)id);
    size_t n = 100 + (size_t)(id % 300);
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(id * 31 + (int64_t)i);
    return n;
}

/* Inserts ids 1..n; every 10th has no photo (NULL). */
static void insert_rows(struct sl_t *t, struct fixture *f, int64_t n)
{
    sl_tx *tx = NULL;
    SL_ASSERT(sl__tx_begin(f->s, &tx) == SL_OK);
    uint8_t buf[512];
    for (int64_t id = 1; id <= n; id++) {
        uint8_t *c1 = NULL, *c2 = NULL;
        size_t n1 = 0, n2 = 0, pn;
        pn = plain_of(id, true, buf);
        if (id % 10 != 0)
            SL_ASSERT(sl__enc_seal(f->k, &photos, id, buf, pn, &c1, &n1) == SL_OK);
        pn = plain_of(id, false, buf);
        SL_ASSERT(sl__enc_seal(f->k, &idnums, id, buf, pn, &c2, &n2) == SL_OK);
        sl_val args[] = { SL_INT(id), c1 ? SL_BLOB(c1, n1) : SL_NULL,
                          SL_BLOB(c2, n2) };
        SL_CHECK_EQ(t, sl__tx_exec(tx, "INSERT INTO rk_items (id, photo, idnum)"
                                       " VALUES (?, ?, ?)", args, 3, NULL), SL_OK);
        sl__free(c1);
        sl__free(c2);
    }
    SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
}

/* Every row: kid of each blob == want_kid and it opens to plain_of(). */
static long check_rows(struct sl_t *t, struct fixture *f, uint32_t want_kid)
{
    sl_tx *tx = NULL;
    sl_rows *r = NULL;
    SL_ASSERT(sl__tx_begin(f->s, &tx) == SL_OK);
    SL_ASSERT(sl__tx_query(tx, "SELECT id, photo, idnum FROM rk_items ORDER BY id",
                           NULL, 0, &r) == SL_OK);
    long bad = 0;
    uint8_t want[512];
    for (size_t i = 0; i < sl__rows_count(r); i++) {
        int64_t id = sl__rows_int(r, i, 0);
        for (int col = 1; col <= 2; col++) {
            size_t n = 0;
            const uint8_t *b = sl__rows_blob(r, i, (size_t)col, &n);
            if (!b) {
                bad += !(col == 1 && id % 10 == 0);
                continue;
            }
            uint32_t kid = 0;
            uint8_t *pt = NULL;
            size_t pn = 0;
            const struct sl_enc_column *c = col == 1 ? &photos : &idnums;
            bool ok = sl__sealed_kid(b, n, &kid) == SL_OK && kid == want_kid &&
                      sl__enc_open(f->k, c, id, b, n, &pt, &pn) == SL_OK;
            size_t wn = plain_of(id, col == 1, want);
            ok = ok && pn == wn && memcmp(pt, want, wn) == 0;
            sl__free(pt);
            bad += !ok;
        }
    }
    sl__rows_free(r);
    sl__tx_rollback(tx);
    SL_CHECKF(t, bad == 0, "%ld blobs not under kid %u or not opening", bad,
              (unsigned)want_kid);
    return bad;
}

static void count_batches(const struct sl_enc_column *c,
                          const struct sl_rekey_report *r, void *ctx)
{
    (void)c;
    (void)r;
    (*(int *)ctx)++;
}

SL_TEST(rekey, ad_binds_row)
{
    struct fixture f;
    if (!fixture_open(t, &f, SL_SUITE_GM)) {
        fixture_close(&f);
        return;
    }
    uint8_t *ct, *pt;
    size_t ctn, n;
    SL_CHECK_EQ(t, sl__enc_seal(f.k, &idnums, 7, "110101199003074514", 18, &ct, &ctn),
                SL_OK);
    SL_CHECK_EQ(t, sl__enc_open(f.k, &idnums, 7, ct, ctn, &pt, &n), SL_OK);
    SL_CHECK(t, n == 18 && memcmp(pt, "110101199003074514", 18) == 0);
    sl__free(pt);
    /* moved to another row, kind or table: does not open */
    SL_CHECK_EQ(t, sl__enc_open(f.k, &idnums, 8, ct, ctn, &pt, &n), SL_ERR_CRYPTO_AUTH);
    SL_CHECK_EQ(t, sl__enc_open(f.k, &photos, 7, ct, ctn, &pt, &n), SL_ERR_CRYPTO_AUTH);
    const struct sl_enc_column other = { "rk_other", "id", "idnum", "id_number", NULL, NULL };
    SL_CHECK_EQ(t, sl__enc_open(f.k, &other, 7, ct, ctn, &pt, &n), SL_ERR_CRYPTO_AUTH);
    char ad[SL_ENC_AD_MAX];
    sl__enc_ad(ad, sizeof(ad), &idnums, 7);
    SL_CHECK(t, strcmp(ad, "rk_items|7|id_number") == 0);
    const struct sl_enc_column evil = { "rk_items; DROP TABLE x", "id", "idnum", "k", NULL, NULL };
    SL_CHECK_EQ(t, sl__enc_seal(f.k, &evil, 7, "x", 1, &pt, &n), SL_ERR_INVALID);
    struct sl_rekey_report rep;
    SL_CHECK_EQ(t, sl__rekey_column(f.s, f.k, &evil, NULL, &rep), SL_ERR_INVALID);
    sl__free(ct);
    fixture_close(&f);
}

SL_TEST(rekey, rotate_reencrypts_all)
{
    const sl_suite suites[] = { SL_SUITE_GM, SL_SUITE_INTL };
    for (size_t si = 0; si < SL_ARRAY_LEN(suites); si++) {
        struct fixture f;
        if (!fixture_open(t, &f, suites[si])) {
            fixture_close(&f);
            continue;
        }
        const int64_t N = 1000;
        insert_rows(t, &f, N);
        check_rows(t, &f, 1);
        uint32_t kid = 0;
        SL_CHECK_EQ(t, sl__keyring_rotate(f.k, &kid), SL_OK);
        SL_CHECK_EQ(t, kid, 2);
        /* tamper with one row's ID number: it is counted, logged, skipped */
        sl_tx *tx = NULL;
        SL_ASSERT(sl__tx_begin(f.s, &tx) == SL_OK);
        SL_CHECK_EQ(t, sl__tx_exec(tx, "UPDATE rk_items SET idnum = photo WHERE id = 5",
                                   NULL, 0, NULL), SL_OK);
        SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);

        const struct sl_enc_column cols[] = { photos, idnums };
        int batches = 0;
        struct sl_rekey_opts o = { .batch = 64, .progress = count_batches,
                                   .ctx = &batches };
        struct sl_rekey_report rep;
        enum sl_log_level lv = sl_log_get_level();
        sl_log_set_level(SL_LOG_OFF);            /* the expected warning */
        SL_CHECK_EQ(t, sl__rekey_all(f.s, f.k, cols, 2, &o, &rep), SL_OK);
        sl_log_set_level(lv);
        /* photos: 900 non-NULL; idnums: 1000, one of which fails */
        SL_CHECK_EQ(t, rep.scanned, 1900);
        SL_CHECK_EQ(t, rep.resealed, 1899);
        SL_CHECK_EQ(t, rep.failed, 1);
        SL_CHECK_EQ(t, rep.current, 0);
        SL_CHECK_EQ(t, rep.kid, 2);
        /* batches of 64 over the non-NULL blobs: 900 photos -> 15,
         * 1000 ID numbers -> 16 (the last one short in each) */
        SL_CHECK_EQ(t, batches, 15 + 16);
        /* restore row 5's ID number properly, then everything checks out */
        uint8_t buf[64], *c2;
        size_t pn = plain_of(5, false, buf), n2;
        SL_ASSERT(sl__enc_seal(f.k, &idnums, 5, buf, pn, &c2, &n2) == SL_OK);
        SL_ASSERT(sl__tx_begin(f.s, &tx) == SL_OK);
        SL_CHECK_EQ(t, sl__tx_exec(tx, "UPDATE rk_items SET idnum = ? WHERE id = 5",
                                   SL_ARGS(SL_BLOB(c2, n2)), NULL), SL_OK);
        SL_CHECK_EQ(t, sl__tx_commit(tx), SL_OK);
        sl__free(c2);
        check_rows(t, &f, 2);
        /* a second run has nothing to do */
        SL_CHECK_EQ(t, sl__rekey_all(f.s, f.k, cols, 2, NULL, &rep), SL_OK);
        SL_CHECK_EQ(t, rep.scanned, 1900);
        SL_CHECK_EQ(t, rep.current, 1900);
        SL_CHECK_EQ(t, rep.resealed, 0);
        SL_CHECK_EQ(t, rep.failed, 0);
        fixture_close(&f);
    }
}

SL_TEST(rekey, other_process_rotates)
{
    /* the admin process rotates and re-encrypts through its own keyring;
     * the server's keyring (f.k) opens the new blobs and seals under the new
     * key after its refresh */
    struct fixture f;
    if (!fixture_open(t, &f, SL_SUITE_GM)) {
        fixture_close(&f);
        return;
    }
    insert_rows(t, &f, 50);
    sl_keyring *admin = NULL;
    SL_ASSERT(sl__keyring_open(f.keys, SL_SUITE_GM, false, &admin) == SL_OK);
    SL_CHECK_EQ(t, sl__keyring_rotate(admin, NULL), SL_OK);
    const struct sl_enc_column cols[] = { photos, idnums };
    struct sl_rekey_report rep;
    SL_CHECK_EQ(t, sl__rekey_all(f.s, admin, cols, 2, NULL, &rep), SL_OK);
    SL_CHECK_EQ(t, rep.resealed, 45 + 50);
    check_rows(t, &f, 2);                        /* f.k reloads on kid 2 */
    SL_CHECK_EQ(t, sl__keyring_current_kid(f.k), 2);
    sl__keyring_free(admin);
    fixture_close(&f);
}

SL_TEST(rekey, registry_well_formed)
{
    size_t n = 0;
    const struct sl_enc_column *c = sl__enc_columns(&n);
    for (size_t i = 0; i < n; i++) {
        char ad[SL_ENC_AD_MAX];
        SL_CHECKF(t, c[i].table && c[i].id_col && c[i].blob_col && c[i].kind,
                  "entry %zu incomplete", i);
        SL_CHECKF(t, sl__enc_ad(ad, sizeof(ad), &c[i], INT64_MIN) < sizeof(ad),
                  "entry %zu: AD too long", i);
        for (size_t j = 0; j < i; j++)
            SL_CHECKF(t, strcmp(c[i].table, c[j].table) != 0 ||
                         strcmp(c[i].blob_col, c[j].blob_col) != 0,
                      "entry %zu repeats %s.%s", i, c[i].table, c[i].blob_col);
    }
    SL_CHECK(t, c[n].table == NULL);
}

SL_TEST(rekey, rotate_entry_point)
{
    /* the admin command's one call: rotates (no settle wait in tests) and
     * re-encrypts the registry (empty until modules add columns) */
    struct fixture f;
    if (!fixture_open(t, &f, SL_SUITE_INTL)) {
        fixture_close(&f);
        return;
    }
    struct sl_rekey_opts o = { .settle_ms = -1 };
    struct sl_rekey_report rep;
    uint32_t kid = 0;
    SL_CHECK_EQ(t, sl__rekey_rotate(f.s, f.k, &o, &kid, &rep), SL_OK);
    SL_CHECK_EQ(t, kid, 2);
    SL_CHECK_EQ(t, rep.kid, 2);
    SL_CHECK_EQ(t, rep.failed, 0);
    SL_CHECK_EQ(t, sl__keyring_current_kid(f.k), 2);
    fixture_close(&f);
}
