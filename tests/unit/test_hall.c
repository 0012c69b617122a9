/*
 * test_hall.c -- the portrait library and watchlists (src/hall/) on SQLite,
 * or PostgreSQL with SL_TEST_STORE_URL (test_store_fx.h), with synthetic
 * unit vectors: a person is scored by the L2-normalised mean of their
 * photos; withdrawal removes them at once; a second "node" (the cache
 * dropped and rebuilt) sees the same library; the watchlist check is exact
 * and skips expired entries; the exact scan's cost at 300,000 entries
 * (SL_SLOW=1; 20,000 otherwise) is printed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "face/eval_int.h"
#include "hall/hall.h"
#include "id/id.h"
#include "shualian/index.h"
#include "test.h"
#include "test_store_fx.h"

static sl_keyring *keys(struct sl_t *t, const struct sl_t_fx *f)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/keys", f->dir);
    sl_keyring *k = NULL;
    sl_status st = sl__keyring_open(path, SL_SUITE_GM, true, &k);
    SL_CHECKF(t, st == SL_OK, "keyring: %s", sl_status_name(st));
    return k;
}

static uint64_t rng = 88172645463325252ull;
static float gauss(void)
{
    double u = 0;
    for (int i = 0; i < 12; i++) {
        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
        u += (double)(rng >> 11) / 9007199254740992.0;
    }
    return (float)(u - 6.0);
}

static void unit(float *v)
{
    double s = 0;
    for (int i = 0; i < SL_HALL_DIM; i++)
        s += (double)v[i] * v[i];
    for (int i = 0; i < SL_HALL_DIM; i++)
        v[i] = (float)(v[i] / sqrt(s));
}

/* A random identity and noisy photos of it (cosine to the identity ~0.7). */
static void identity(float *id)
{
    for (int i = 0; i < SL_HALL_DIM; i++)
        id[i] = gauss();
    unit(id);
}
static void photo(const float *id, float *out)
{
    for (int i = 0; i < SL_HALL_DIM; i++)
        out[i] = id[i] + gauss() * 0.045f;
    unit(out);
}

static int64_t add_hall(struct sl_t *t, sl_store *s, const char *name)
{
    sl_tx *tx = NULL;
    int64_t id = 0;
    sl_status st = sl__tx_begin(s, &tx);
    if (st == SL_OK)
        st = sl__tx_query_int(tx, "INSERT INTO acct_hall (name, kind, created_ms) VALUES (?, 'hall', 0) RETURNING id",
                              SL_ARGS(SL_TEXT(name)), &id);
    if (st == SL_OK)
        st = sl__tx_commit(tx);
    else
        sl__tx_rollback(tx);
    SL_CHECKF(t, st == SL_OK, "hall: %s", sl_status_name(st));
    return id;
}

/* Every test's fixture: a fresh store (SQLite, or PostgreSQL with
 * SL_TEST_STORE_URL), its keyring and an empty library cache; s and k are
 * what the tests use. hall_fx_open is false (the test skipped) without a
 * store. */
struct hall_fx {
    struct sl_t_fx f;
    sl_store *s;
    sl_keyring *k;
};

static bool hall_fx_open(struct sl_t *t, struct hall_fx *x)
{
    x->s = sl_t_fx_open(t, &x->f);
    if (!x->s)
        return false;
    sl__hall_cache_reset();
    x->k = keys(t, &x->f);
    return true;
}

static void hall_fx_done(struct hall_fx *x)
{
    sl__keyring_free(x->k);
    sl_t_fx_done(&x->f, x->s);
    sl__hall_cache_reset();
}

SL_TEST(hall, library)
{
    struct hall_fx fx;
    if (!hall_fx_open(t, &fx))
        return;
    sl_store *s = fx.s;
    sl_keyring *k = fx.k;
    int64_t h = add_hall(t, s, "h1"), h2 = add_hall(t, s, "h2");
    float ida[SL_HALL_DIM], idb[SL_HALL_DIM], p[SL_HALL_DIM];
    identity(ida);
    identity(idb);
    int64_t pa = 0, pb = 0, pc = 0;
    photo(ida, p);
    SL_CHECK(t, sl__hall_enrol(s, k, h, p, "a", NULL, &pa) == SL_OK);
    photo(idb, p);
    SL_CHECK(t, sl__hall_enrol(s, k, h, p, "b", NULL, &pb) == SL_OK);
    photo(ida, p);
    SL_CHECK(t, sl__hall_enrol(s, k, h2, p, "a elsewhere", NULL, &pc) == SL_OK);

    /* a second photo: the mean of two is closer to the identity */
    struct sl_hall_cand c[4];
    size_t n = 0;
    photo(ida, p);
    SL_CHECK(t, sl__hall_search(s, k, h, p, c, 4, &n) == SL_OK);
    SL_CHECK_EQ(t, n, 2);
    SL_CHECK_EQ(t, c[0].person, pa);   /* other hall's person not searched */
    double one = c[0].score;
    bool added = false;
    int count = 0;
    float p2[SL_HALL_DIM];
    photo(ida, p2);
    SL_CHECK(t, sl__hall_add_photo(s, k, h, pa, p2, NULL, &added, &count) == SL_OK);
    SL_CHECK(t, added && count == 2);
    SL_CHECK(t, sl__hall_add_photo(s, k, h, pa, p2, NULL, &added, &count) == SL_OK);
    SL_CHECK(t, !added && count == 2);   /* the same photo adds nothing */
    SL_CHECK_EQ(t, sl__hall_add_photo(s, k, h2, pa, p2, NULL, &added, &count), SL_ERR_HALL_PERSON);
    SL_CHECK(t, sl__hall_search(s, k, h, p, c, 4, &n) == SL_OK);
    SL_CHECKF(t, c[0].person == pa && c[0].score > one && c[0].photos == 2,
              "mean of 2: %.4f (1 photo %.4f)", c[0].score, one);

    /* another node: a fresh cache rebuilt from the store gives the same */
    double before = c[0].score;
    sl__hall_cache_reset();
    SL_CHECK(t, sl__hall_search(s, k, h, p, c, 4, &n) == SL_OK);
    SL_CHECK(t, n == 2 && c[0].person == pa && fabs(c[0].score - before) < 1e-6);

    /* withdrawal: gone at once, templates deleted */
    int64_t removed = 0;
    SL_CHECK(t, sl__hall_withdraw(s, k, h, pa, NULL, &removed) == SL_OK);
    SL_CHECK_EQ(t, removed, 2);
    SL_CHECK(t, sl__hall_search(s, k, h, p, c, 4, &n) == SL_OK);
    SL_CHECK(t, n == 1 && c[0].person == pb);
    SL_CHECK_EQ(t, sl__hall_withdraw(s, k, h, pa, NULL, &removed), SL_ERR_HALL_PERSON);
    sl__hall_cache_reset();
    SL_CHECK(t, sl__hall_search(s, k, h, p, c, 4, &n) == SL_OK);
    SL_CHECK(t, n == 1 && c[0].person == pb);
    hall_fx_done(&fx);
}

/* A passed verification for person, created with the id.h library (what
 * POST /v1/verifications records at the window). */
static int64_t verified(struct sl_t *t, sl_store *s, const sl_keyring *k, int64_t person,
                        const char *matter, const char *ref, bool passed)
{
    sl_tx *tx = NULL;
    int64_t id = 0;
    struct sl_verification_new v = { .person_id = person, .matter = matter, .reference = ref,
        .channel = "window", .device = "w1", .levels = SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_PERSON,
        .method = SL_METHOD_FACE };
    sl_status st = sl__tx_begin(s, &tx);
    if (st == SL_OK)
        st = sl__verification_create_tx(tx, &v, &id);
    if (st == SL_OK)
        st = sl__verification_finish_tx(tx, k, id, v.levels, passed, 0.8, 1e-5, "{}");
    if (st == SL_OK)
        st = sl__tx_commit(tx);
    else
        sl__tx_rollback(tx);
    SL_CHECKF(t, st == SL_OK, "verification: %s", sl_status_name(st));
    return id;
}

/* Seed 000 情形一 -> 情形二 with the demo persons 示例丁 and 示例甲: enrolment
 * needs a passed hall_enrolment verification at that hall and the library
 * consent; a later verified visit adds a photo; the clerk's confirmation of
 * an identification yields a verification the matter consumes; withdrawal
 * deletes the templates and the consent at once. */
SL_TEST(hall, verified_visit)
{
    struct hall_fx fx;
    if (!hall_fx_open(t, &fx))
        return;
    sl_store *s = fx.s;
    sl_keyring *k = fx.k;
    int64_t h = add_hall(t, s, "vh1"), h2 = add_hall(t, s, "vh2");
    float idd[SL_HALL_DIM], ida[SL_HALL_DIM], p[SL_HALL_DIM];
    identity(idd);
    identity(ida);
    int64_t rd = 0, ra = 0;
    struct sl_person_new pd = { .id_type = SL_ID_RESIDENT, .number = "330302197508153022",
        .name = "示例丁", .tmpl = idd, .tmpl_dim = SL_HALL_DIM };
    struct sl_person_new pa = { .id_type = SL_ID_RESIDENT, .number = "330302198805126615",
        .name = "示例甲", .tmpl = ida, .tmpl_dim = SL_HALL_DIM };
    SL_CHECK_EQ(t, sl__person_add(s, k, &pd, NULL, NULL, &rd), SL_OK);
    SL_CHECK_EQ(t, sl__person_add(s, k, &pa, NULL, NULL, &ra), SL_OK);
    char ref[32], ref2[32];
    sl__hall_ref(h, ref, sizeof ref);
    sl__hall_ref(h2, ref2, sizeof ref2);

    struct sl_hall_visit_out o;
    photo(idd, p);
    struct sl_hall_visit v = { .hall = h, .emb = p, .consent_now = false, .channel = "window" };
    /* no consent: refused, the verification not consumed */
    v.verification = verified(t, s, k, rd, SL_HALL_ENROL_MATTER, ref, true);
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &v, &o), SL_ERR_HALL_CONSENT);
    /* a verification for another hall, another matter, or failed */
    int64_t good = v.verification;
    v.consent_now = true;
    v.verification = verified(t, s, k, rd, SL_HALL_ENROL_MATTER, ref2, true);
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &v, &o), SL_ERR_ID_VERIF_BINDING);
    v.verification = verified(t, s, k, rd, "citizen_login", ref, true);
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &v, &o), SL_ERR_ID_VERIF_BINDING);
    v.verification = verified(t, s, k, rd, SL_HALL_ENROL_MATTER, ref, false);
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &v, &o), SL_ERR_ID_VERIF_FAILED);
    v.verification = 987654;
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &v, &o), SL_ERR_NOT_FOUND);
    /* the capture of someone else than the verified person */
    float pa1[SL_HALL_DIM];
    photo(ida, pa1);
    v.verification = good;
    v.emb = pa1;
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &v, &o), SL_ERR_HALL_MISMATCH);
    struct sl_hall_cand c[4];
    size_t n = 9;
    SL_CHECK(t, sl__hall_search(s, k, h, p, c, 4, &n) == SL_OK);
    SL_CHECK_EQ(t, n, 0);   /* nothing enrolled by the refusals */
    /* consent given now + the verified capture: enrolled */
    v.emb = p;
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &v, &o), SL_OK);
    SL_CHECK(t, o.enrolled && o.added && o.templates == 1 && o.registry == rd && o.person > 0);
    int64_t lib = o.person;
    /* the verification is single use */
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &v, &o), SL_ERR_ID_VERIF_USED);
    /* a second verified visit: a photo added (consent recorded before) */
    float p2[SL_HALL_DIM];
    photo(idd, p2);
    struct sl_hall_visit v2 = { .hall = h, .emb = p2, .channel = "window",
        .verification = verified(t, s, k, rd, SL_HALL_ENROL_MATTER, ref, true) };
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &v2, &o), SL_OK);
    SL_CHECK(t, !o.enrolled && o.added && o.templates == 2 && o.person == lib);
    /* 示例甲 too */
    struct sl_hall_visit va = { .hall = h, .emb = pa1, .consent_now = true, .channel = "window",
        .verification = verified(t, s, k, ra, SL_HALL_ENROL_MATTER, ref, true) };
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &va, &o), SL_OK);
    int64_t liba = o.person;

    /* 情形二: identified (a capture recorded), the clerk confirms */
    float q[SL_HALL_DIM];
    photo(idd, q);
    SL_CHECK(t, sl__hall_search(s, k, h, q, c, 4, &n) == SL_OK);
    SL_CHECKF(t, n == 2 && c[0].person == lib && c[0].score >= SL_HALL_IDENT_THRESHOLD,
              "returning visitor: %.4f", n ? c[0].score : 0.0);
    int64_t cap = 0, cap_low = 0;
    SL_CHECK(t, sl__hall_capture_record(s, k, h, "w1", lib, c[0].score, NULL, 0,
                                        sl__now_ms(), &cap) == SL_OK);
    SL_CHECK(t, sl__hall_capture_record(s, k, h, "w1", 0, 0.2, NULL, 0, sl__now_ms(),
                                        &cap_low) == SL_OK);
    struct sl_hall_confirm cf = { .hall = h, .capture = cap, .person = liba,
        .matter = "id_card_reissue", .reference = "app-1", .clerk = "clerk1" };
    struct sl_hall_confirmed co;
    SL_CHECK_EQ(t, sl__hall_confirm(s, k, &cf, &co), SL_ERR_HALL_CONFIRM);   /* not proposed */
    cf.capture = cap_low;
    cf.person = lib;
    SL_CHECK_EQ(t, sl__hall_confirm(s, k, &cf, &co), SL_ERR_HALL_CONFIRM);   /* unknown */
    cf.hall = h2;
    cf.capture = cap;
    SL_CHECK_EQ(t, sl__hall_confirm(s, k, &cf, &co), SL_ERR_NOT_FOUND);      /* other hall */
    cf.hall = h;
    SL_CHECK_EQ(t, sl__hall_confirm(s, k, &cf, &co), SL_OK);
    SL_CHECK(t, co.registry == rd && co.verification > 0);
    SL_CHECK_EQ(t, sl__hall_confirm(s, k, &cf, &co), SL_ERR_HALL_CONFIRM);   /* once */
    /* the matter consumes it: face, 1:N, vouched by the clerk */
    sl_tx *tx = NULL;
    struct sl_verification got;
    SL_CHECK(t, sl__tx_begin(s, &tx) == SL_OK);
    SL_CHECK_EQ(t, sl__verification_consume(tx, co.verification, rd, "id_card_reissue", "app-1",
                                            &got), SL_OK);
    SL_CHECK(t, sl__tx_commit(tx) == SL_OK);
    SL_CHECK(t, got.passed && got.method == SL_METHOD_FACE && strcmp(got.vouched_by, "clerk1") == 0);
    SL_CHECKF(t, strstr(got.result_json, "\"mode\":\"1:N\"") != NULL, "%s", got.result_json);

    /* 示例甲 withdraws the consent through id's records: the library
     * follows when identification is about to propose her */
    bool purged = false;
    SL_CHECK_EQ(t, sl__hall_consent_enforce(s, k, h, liba, &purged), SL_OK);
    SL_CHECK(t, !purged);
    int64_t cid = 0;
    SL_CHECK(t, sl__tx_begin(s, &tx) == SL_OK);
    SL_CHECK_EQ(t, sl__consent_check(tx, ra, SL_HALL_CONSENT_PURPOSE, ref, &cid), SL_OK);
    SL_CHECK_EQ(t, sl__consent_withdraw(tx, k, ra, cid, NULL), SL_OK);
    SL_CHECK(t, sl__tx_commit(tx) == SL_OK);
    SL_CHECK_EQ(t, sl__hall_consent_enforce(s, k, h, liba, &purged), SL_OK);
    SL_CHECK(t, purged);
    SL_CHECK(t, sl__hall_search(s, k, h, pa1, c, 4, &n) == SL_OK);
    SL_CHECK(t, n == 1 && c[0].person == lib);

    /* withdrawal: templates and consent gone at once; no new confirmation */
    int64_t cap2 = 0, removed = 0;
    SL_CHECK(t, sl__hall_capture_record(s, k, h, "w1", lib, c[0].score, NULL, 0,
                                        sl__now_ms(), &cap2) == SL_OK);
    SL_CHECK(t, sl__hall_withdraw(s, k, h, lib, NULL, &removed) == SL_OK);
    SL_CHECK_EQ(t, removed, 2);
    SL_CHECK(t, sl__hall_search(s, k, h, q, c, 4, &n) == SL_OK);
    SL_CHECK(t, n == 0);
    SL_CHECK(t, sl__tx_begin(s, &tx) == SL_OK);
    SL_CHECK_EQ(t, sl__consent_check(tx, rd, SL_HALL_CONSENT_PURPOSE, ref, NULL), SL_ERR_ID_CONSENT);
    sl__tx_rollback(tx);
    cf.capture = cap2;
    SL_CHECK_EQ(t, sl__hall_confirm(s, k, &cf, &co), SL_ERR_HALL_CONFIRM);
    /* re-enrolment needs a new verification and a new consent */
    struct sl_hall_visit v3 = { .hall = h, .emb = p, .channel = "window",
        .verification = verified(t, s, k, rd, SL_HALL_ENROL_MATTER, ref, true) };
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &v3, &o), SL_ERR_HALL_CONSENT);
    v3.consent_now = true;
    SL_CHECK_EQ(t, sl__hall_enrol_verified(s, k, &v3, &o), SL_OK);
    SL_CHECK(t, o.enrolled && o.person != lib);
    hall_fx_done(&fx);
}

/* The scale bench's path (dev/hall_serve.c): persons added straight into
 * the cache sit beside store persons, are searched, survive a catch-up
 * sync, and a store person enrolled afterwards is still found first. */
SL_TEST(hall, bench_add)
{
    struct sl_t_fx f;
    sl_store *s = sl_t_fx_open(t, &f);
    if (!s)
        return;
    sl__hall_cache_reset();
    sl_keyring *k = keys(t, &f);
    int64_t h = add_hall(t, s, "h1");
    float ida[SL_HALL_DIM], p[SL_HALL_DIM];
    identity(ida);
    photo(ida, p);
    int64_t pa = 0;
    SL_CHECK(t, sl__hall_enrol(s, k, h, p, "a", NULL, &pa) == SL_OK);
    enum { NB = 2000 };
    float *rows = sl__malloc((size_t)NB * SL_HALL_DIM * sizeof(float));
    uint64_t *ids = sl__malloc(NB * sizeof *ids);
    SL_CHECK(t, rows && ids);
    for (size_t i = 0; rows && ids && i < NB; i++) {
        identity(rows + i * SL_HALL_DIM);
        ids[i] = (uint64_t)SL_HALL_BENCH_ID0 + i;
    }
    size_t before = sl__hall_cached_persons();
    SL_CHECK(t, sl__hall_bench_add(h, ids, rows, NB) == SL_OK);
    SL_CHECK_EQ(t, sl__hall_cached_persons(), before + NB);
    struct sl_index_stats ist;
    SL_CHECK(t, sl__hall_bench_index(h, &ist) == SL_OK);
    SL_CHECK_EQ(t, ist.live, before + NB);
    SL_CHECK(t, sl__hall_bench_index(h + 1000, &ist) == SL_ERR_NOT_FOUND);
    struct sl_hall_cand c[3];
    size_t n = 0;
    photo(rows + 77 * SL_HALL_DIM, p);
    SL_CHECK(t, sl__hall_search(s, k, h, p, c, 3, &n) == SL_OK);   /* syncs first */
    SL_CHECK(t, n > 0 && c[0].person == SL_HALL_BENCH_ID0 + 77);
    int64_t pb = 0;
    float idb[SL_HALL_DIM];
    identity(idb);
    photo(idb, p);
    SL_CHECK(t, sl__hall_enrol(s, k, h, p, "b", NULL, &pb) == SL_OK);
    photo(idb, p);
    SL_CHECK(t, sl__hall_search(s, k, h, p, c, 3, &n) == SL_OK);
    SL_CHECK(t, n > 0 && c[0].person == pb);
    SL_CHECK_EQ(t, sl__hall_cached_persons(), before + NB + 1);
    sl__free(rows);
    sl__free(ids);
    sl__keyring_free(k);
    sl_t_fx_done(&f, s);
    sl__hall_cache_reset();
}

static int alarms_seen;
static void on_alarm(void *ctx, int64_t hall, const struct sl_hall_hit *hit)
{
    (void)ctx; (void)hall; (void)hit;
    alarms_seen++;
}

SL_TEST(hall, watchlist)
{
    struct hall_fx fx;
    if (!hall_fx_open(t, &fx))
        return;
    sl_store *s = fx.s;
    sl_keyring *k = fx.k;
    int64_t h = add_hall(t, s, "h1");
    float ida[SL_HALL_DIM], idb[SL_HALL_DIM], p[SL_HALL_DIM];
    identity(ida);
    identity(idb);
    int64_t ea = 0, eb = 0;
    photo(ida, p);
    SL_CHECK(t, sl__hall_watch_add(s, k, h, p, "r", 2, "admin", 1000, NULL, &ea) == SL_OK);
    photo(idb, p);
    SL_CHECK(t, sl__hall_watch_add(s, k, h, p, "r", 1, "admin", 10, NULL, &eb) == SL_OK);
    sl__hall_on_alarm(on_alarm, NULL);
    alarms_seen = 0;
    struct sl_hall_hit hits[4];
    size_t n = 0;
    photo(ida, p);
    SL_CHECK(t, sl__hall_check_capture(s, k, h, p, 500, hits, 4, &n) == SL_OK);
    SL_CHECK(t, n == 1 && hits[0].entry == ea && hits[0].level == 2 && hits[0].alarm > 0);
    SL_CHECK_EQ(t, alarms_seen, 1);
    photo(idb, p);   /* b's entry expired at 10 */
    SL_CHECK(t, sl__hall_check_capture(s, k, h, p, 500, hits, 4, &n) == SL_OK);
    SL_CHECK_EQ(t, n, 0);
    float z[SL_HALL_DIM];
    identity(z);     /* a stranger: below the threshold */
    SL_CHECK(t, sl__hall_check_capture(s, k, h, z, 500, hits, 4, &n) == SL_OK);
    SL_CHECK_EQ(t, n, 0);
    SL_CHECK(t, sl__hall_alarm_ack(s, h, hits[0].alarm ? hits[0].alarm : 1, "clerk", k, NULL) == SL_OK);
    SL_CHECK_EQ(t, sl__hall_alarm_ack(s, h, 1, "clerk", k, NULL), SL_ERR_HALL_WATCH);
    SL_CHECK(t, sl__hall_watch_delete(s, k, h, ea, NULL) == SL_OK);
    photo(ida, p);
    SL_CHECK(t, sl__hall_check_capture(s, k, h, p, 500, hits, 4, &n) == SL_OK);
    SL_CHECK_EQ(t, n, 0);
    sl__hall_on_alarm(NULL, NULL);
    hall_fx_done(&fx);
}

/* Exact watchlist check cost: entries written in one transaction, the cache
 * loaded, then the per-capture scan timed (median of 21). */
SL_TEST(hall, watch_scan_cost)
{
    struct hall_fx fx;
    if (!hall_fx_open(t, &fx))
        return;
    sl_store *s = fx.s;
    sl_keyring *k = fx.k;
    int64_t h = add_hall(t, s, "h1");
    const char *slow = getenv("SL_SLOW");
    int N = slow && *slow == '1' ? 300000 : 20000;
    sl_tx *tx = NULL;
    sl_status st = sl__tx_begin(s, &tx);
    float v[SL_HALL_DIM];
    for (int i = 1; st == SL_OK && i <= N; i++) {
        identity(v);
        char ad[64];
        snprintf(ad, sizeof ad, "hall_watch|%d|template", i);
        uint8_t *ct = NULL;
        size_t ctn = 0;
        st = sl__seal(k, ad, strlen(ad), v, sizeof v, &ct, &ctn);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "INSERT INTO hall_watch (id, hall_id, reason, level, owner, expires_ms,"
                             " sealed, deleted, created_ms) VALUES (?, ?, 'bench', 1, 'test', ?, ?, 0, 0)",
                             SL_ARGS(SL_INT(i), SL_INT(h), SL_INT(INT64_MAX / 2), SL_BLOB(ct, ctn)), NULL);
        sl__free(ct);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "INSERT INTO hall_change (kind, ref_id, at_ms) VALUES ('watch', ?, 0)",
                             SL_ARGS(SL_INT(i)), NULL);
    }
    st = st == SL_OK ? sl__tx_commit(tx) : (sl__tx_rollback(tx), st);
    SL_CHECKF(t, st == SL_OK, "fill: %s", sl_status_name(st));
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    SL_CHECK(t, sl__hall_sync(s, k) == SL_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double load = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    SL_CHECK_EQ(t, sl__hall_cached_watch(), N);
    size_t n0 = 0;   /* the first check builds the scan's int8 copy: not timed */
    identity(v);
    SL_CHECK(t, sl__hall_check_capture(s, k, h, v, 1, NULL, 0, &n0) == SL_OK);
    double ms[21];
    for (int r = 0; r < 21; r++) {
        identity(v);
        size_t n = 0;
        clock_gettime(CLOCK_MONOTONIC, &a);
        SL_CHECK(t, sl__hall_check_capture(s, k, h, v, 1, NULL, 0, &n) == SL_OK);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms[r] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) * 1e-6;
    }
    for (int i = 1; i < 21; i++)
        for (int j = i; j > 0 && ms[j] < ms[j - 1]; j--) {
            double x = ms[j]; ms[j] = ms[j - 1]; ms[j - 1] = x;
        }
    printf("hall: exact watchlist check over %d entries: median %.2f ms, max %.2f ms per capture;"
           " cache load %.2f s (%s)\n", N, ms[10], ms[20], load, fx.f.pg ? "postgresql" : "sqlite");
    if (N == 300000)   /* a benchmark: the verdict is printed, not asserted (shared machine) */
        printf("hall: issue 13 target (<= 10 ms per capture at 300,000): %s\n",
               ms[10] <= 10.0 ? "met" : "NOT met");
    hall_fx_done(&fx);
}

/* Identification's exact library scan at 100,000 persons (one photo each),
 * in process (no HTTP, no embedding): SL_SLOW=1 only. */
/* The real embeddings of ../shared/faces dev (the cache `shualian-dev eval
 * --cache` writes, read by src/face/evalcache.c): *n of them (the photos
 * with a face), unit length, sl__malloc'd. NULL when the file is absent
 * or unreadable. */
static float *real_embeddings(const char *path, size_t *n)
{
    sl__evcache c;
    *n = 0;
    if (sl__evcache_read(&c, path, SL_HALL_DIM, NULL, 0) != SL_OK)
        return NULL;
    float *out = c.n ? sl__malloc(c.n * SL_HALL_DIM * sizeof(float)) : NULL;
    size_t got = 0;
    for (size_t i = 0; out && i < c.n; i++) {
        if (c.v[i].state != SL__EVCACHE_FACE)
            continue;
        float *e = out + got++ * SL_HALL_DIM;
        memcpy(e, c.v[i].emb, SL_HALL_DIM * sizeof(float));
        unit(e);
    }
    sl__evcache_free(&c);
    *n = got;
    if (got == 0) {
        sl__free(out);
        return NULL;
    }
    return out;
}

/* x = normalise(seed + sigma * g), g isotropic: cosine to seed about
 * 1 / sqrt(1 + sigma^2 * 512) in expectation. */
static void perturb(const float *seed, float sigma, float *x)
{
    for (int i = 0; i < SL_HALL_DIM; i++)
        x[i] = seed[i] + sigma * gauss();
    unit(x);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Identification at scale (make bench-hall; SL_HALL_N persons, default
 * 100,000): the library is backed by the src/index gallery (IVF from
 * 200,000 persons). Synthetic persons are perturbations of the real
 * embeddings of ../shared/faces dev (build/face-eval-dev.cache, or
 * SL_HALL_FIT): person = seed + noise at cosine ~0.6 to its seed (two
 * persons of one seed meet at ~0.36, below the threshold), so the
 * gallery has the clusters and the common mean direction of real
 * templates; a probe ("another photo") is the person + noise at cosine
 * ~0.7 (our engine's genuine scores). Sealed into the store, the cache
 * loaded from it (timed), then 100 probes of enrolled persons searched
 * through sl__hall_search: p50/p99 latency and recall@1 against an exact
 * float scan of the same gallery. */
SL_TEST(hall, ident_scan_cost)
{
    const char *slow = getenv("SL_SLOW");
    if (!slow || *slow != '1') {
        sl_t_skip(t, "SL_SLOW=1 (make bench-hall) runs it");
        return;
    }
    const char *fit = getenv("SL_HALL_FIT");
    size_t nseed = 0;
    float *seeds = real_embeddings(fit ? fit : "build/face-eval-dev.cache", &nseed);
    if (!seeds) {
        sl_t_skip(t, "no real embeddings (build/face-eval-dev.cache: shualian-dev eval --faces "
                     "../shared/faces/dev --cache build/face-eval-dev.cache)");
        return;
    }
    const char *en = getenv("SL_HALL_N");
    const int N = en && atoi(en) > 0 ? atoi(en) : 100000;
    struct hall_fx fx;
    if (!hall_fx_open(t, &fx)) {
        sl__free(seeds);
        return;
    }
    sl_store *s = fx.s;
    sl_keyring *k = fx.k;
    int64_t h = add_hall(t, s, "h1");
    float *gal = sl__malloc((size_t)N * SL_HALL_DIM * sizeof(float));
    SL_CHECK(t, gal != NULL);
    const float sig_person = 0.0589f;   /* 1/sqrt(1 + 512 s^2) = 0.6 */
    const float sig_probe = 0.0446f;    /* 0.7                         */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    sl_tx *tx = NULL;
    sl_status st = gal ? sl__tx_begin(s, &tx) : SL_ERR_NOMEM;
    for (int i = 1; st == SL_OK && i <= N; i++) {
        float *v = gal + (size_t)(i - 1) * SL_HALL_DIM;
        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
        perturb(seeds + (rng % nseed) * SL_HALL_DIM, sig_person, v);
        char ad[64];
        snprintf(ad, sizeof ad, "hall_template|%d|template", i);
        uint8_t *ct = NULL;
        size_t ctn = 0;
        st = sl__tx_exec(tx, "INSERT INTO hall_person (id, hall_id, consent_ms, withdrawn_ms, created_ms)"
                         " VALUES (?, ?, 0, 0, 0)", SL_ARGS(SL_INT(i), SL_INT(h)), NULL);
        if (st == SL_OK)
            st = sl__seal(k, ad, strlen(ad), v, SL_HALL_DIM * sizeof(float), &ct, &ctn);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "INSERT INTO hall_template (person_id, sealed, created_ms) VALUES (?, ?, 0)",
                             SL_ARGS(SL_INT(i), SL_BLOB(ct, ctn)), NULL);
        sl__free(ct);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "INSERT INTO hall_change (kind, ref_id, at_ms) VALUES ('person', ?, 0)",
                             SL_ARGS(SL_INT(i)), NULL);
        if (st == SL_OK && i % 200000 == 0) {   /* commit in parts */
            st = sl__tx_commit(tx);
            tx = NULL;
            if (st == SL_OK)
                st = sl__tx_begin(s, &tx);
        }
    }
    st = st == SL_OK ? sl__tx_commit(tx) : (tx ? (sl__tx_rollback(tx), st) : st);
    SL_CHECKF(t, st == SL_OK, "fill: %s", sl_status_name(st));
    clock_gettime(CLOCK_MONOTONIC, &b);
    double fill = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    clock_gettime(CLOCK_MONOTONIC, &a);
    SL_CHECK(t, sl__hall_sync(s, k) == SL_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double load = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    SL_CHECK_EQ(t, sl__hall_cached_persons(), N);
    enum { Q = 100 };
    double ms[Q];
    int agree = 0, found = 0;
    struct sl_hall_cand c[5];
    float v[SL_HALL_DIM];
    for (int r = 0; gal && r < Q; r++) {
        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
        int64_t who = (int64_t)(rng % (uint64_t)N);
        perturb(gal + (size_t)who * SL_HALL_DIM, sig_probe, v);
        size_t n = 0;
        clock_gettime(CLOCK_MONOTONIC, &a);
        SL_CHECK(t, sl__hall_search(s, k, h, v, c, 5, &n) == SL_OK);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms[r] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) * 1e-6;
        /* the exact answer: a float scan of the whole gallery */
        int64_t best = 0;
        double bs = -2;
        for (int i = 0; i < N; i++) {
            const float *g = gal + (size_t)i * SL_HALL_DIM;
            float p8[8] = { 0 };   /* eight partial sums: vectorised */
            for (int j = 0; j < SL_HALL_DIM; j += 8)
                for (int u = 0; u < 8; u++)
                    p8[u] += g[j + u] * v[j + u];
            double d = ((double)p8[0] + p8[4]) + ((double)p8[1] + p8[5]) +
                       ((double)p8[2] + p8[6]) + ((double)p8[3] + p8[7]);
            if (d > bs) {
                bs = d;
                best = i + 1;
            }
        }
        agree += n > 0 && c[0].person == best;
        found += n > 0 && c[0].person == who + 1;
    }
    qsort(ms, Q, sizeof ms[0], cmp_d);
    double recall = (double)agree / Q;
    printf("hall: library search over %d persons (src/index, %s, in process, no HTTP, no"
           " embedding): p50 %.2f ms, p99 %.2f ms; recall@1 vs exact %.3f; the enrolled person"
           " first %.3f; store fill %.1f s, cache load %.1f s (%s)\n", N,
           N >= 200000 ? "IVF" : "exact int8", ms[Q / 2], ms[Q * 99 / 100], recall,
           (double)found / Q, fill, load, fx.f.pg ? "postgresql" : "sqlite");
    SL_CHECKF(t, recall >= 0.99, "recall@1 %.3f", recall);
    sl__free(gal);
    sl__free(seeds);
    hall_fx_done(&fx);
}

/* The cache load from the store gives the library an in-memory add of the
 * same templates gives: persons written as the bench's store fill writes
 * them (sl__hall_enrol_write, many a transaction), others through
 * sl__hall_enrol, some with more photos (summed in template order), some
 * withdrawn, in two halls; after a rebuild from the store, every person's
 * best match and its exact score are those of an index filled directly
 * with each live person's L2-normalised mean (hall.c's computation). */
SL_TEST(hall, load_same_as_add)
{
    struct hall_fx fx;
    if (!hall_fx_open(t, &fx))
        return;
    sl_store *s = fx.s;
    sl_keyring *k = fx.k;
    int64_t halls[2] = { add_hall(t, s, "h1"), add_hall(t, s, "h2") };
    enum { NP = 700, MAXT = SL_HALL_MAX_PHOTOS };
    float *emb = sl__calloc((size_t)NP * MAXT * SL_HALL_DIM, sizeof(float));
    int nt[NP] = { 0 };
    int64_t pid[NP] = { 0 };
    bool gone[NP] = { false };
    float id[SL_HALL_DIM];
    SL_CHECK(t, emb != NULL);
    if (!emb) {
        hall_fx_done(&fx);
        return;
    }
    /* the fill's path: 600 persons, three transactions */
    for (int b = 0; b < 3; b++) {
        sl_tx *tx = NULL;
        sl_status st = sl__tx_begin(s, &tx);
        for (int i = b * 200; i < (b + 1) * 200 && st == SL_OK; i++) {
            identity(id);
            photo(id, emb + (size_t)i * MAXT * SL_HALL_DIM);
            nt[i] = 1;
            st = sl__hall_enrol_write(tx, k, halls[i % 2], emb + (size_t)i * MAXT * SL_HALL_DIM,
                                      "bench", &pid[i]);
        }
        if (st == SL_OK)
            st = sl__tx_commit(tx);
        else
            sl__tx_rollback(tx);
        SL_CHECKF(t, st == SL_OK, "fill: %s", sl_status_name(st));
    }
    /* enrolment's path, more photos, withdrawals */
    for (int i = 600; i < NP; i++) {
        identity(id);
        photo(id, emb + (size_t)i * MAXT * SL_HALL_DIM);
        nt[i] = 1;
        SL_CHECK(t, sl__hall_enrol(s, k, halls[i % 2], emb + (size_t)i * MAXT * SL_HALL_DIM,
                                   "enrolled", NULL, &pid[i]) == SL_OK);
    }
    for (int i = 3; i < NP; i += 13) {
        const float *first = emb + (size_t)i * MAXT * SL_HALL_DIM;
        for (int j = 1; j < 1 + i % 4; j++) {
            bool added = false;
            int count = 0;
            float *e = emb + ((size_t)i * MAXT + (size_t)nt[i]) * SL_HALL_DIM;
            photo(first, e);
            SL_CHECK(t, sl__hall_add_photo(s, k, halls[i % 2], pid[i], e, NULL, &added,
                                           &count) == SL_OK);
            if (added)
                nt[i]++;
        }
    }
    size_t live = NP;
    for (int i = 5; i < NP; i += 17) {
        int64_t removed = 0;
        SL_CHECK(t, sl__hall_withdraw(s, k, halls[i % 2], pid[i], NULL, &removed) == SL_OK);
        gone[i] = true;
        live--;
    }

    /* what an in-memory add of the same templates gives */
    sl_index *want[2] = { NULL, NULL };
    float *mean = sl__malloc((size_t)NP * SL_HALL_DIM * sizeof(float));
    SL_CHECK(t, mean != NULL);
    for (int h = 0; h < 2; h++) {
        struct sl_index_opts o;
        sl_index_opts_default(&o);
        o.dim = SL_HALL_DIM;
        o.sync = SL_INDEX_SYNC_NONE;
        SL_CHECK(t, sl_index_create(&want[h], NULL, &o) == SL_OK);
    }
    for (int i = 0; mean && i < NP; i++) {
        float *m = mean + (size_t)i * SL_HALL_DIM;
        memset(m, 0, SL_HALL_DIM * sizeof(float));
        for (int j = 0; j < nt[i]; j++)
            for (int d = 0; d < SL_HALL_DIM; d++)
                m[d] += emb[((size_t)i * MAXT + (size_t)j) * SL_HALL_DIM + d];
        double ss = 0;
        for (int d = 0; d < SL_HALL_DIM; d++)
            ss += (double)m[d] * m[d];
        float inv = (float)(1.0 / sqrt(ss));
        for (int d = 0; d < SL_HALL_DIM; d++)
            m[d] *= inv;
        if (!gone[i] && want[i % 2])
            SL_CHECK(t, sl_index_add(want[i % 2], (uint64_t)pid[i], (uint32_t)nt[i], m,
                                     SL_HALL_DIM) == SL_OK);
    }

    /* another node: the cache rebuilt from the store, in one page and one
     * thread, then in pages of 64 persons on 3 threads */
    int differ = 0;
    for (int run = 0; run < 2; run++) {
        sl__hall_set_load_page(run ? 64 : 0);
        setenv("SL_HALL_LOAD_THREADS", run ? "3" : "1", 1);
        sl__hall_cache_reset();
        SL_CHECK(t, sl__hall_sync(s, k) == SL_OK);
        SL_CHECK_EQ(t, sl__hall_cached_persons(), live);
        for (int i = 0; mean && i < NP; i++) {
            float q[SL_HALL_DIM];
            photo(mean + (size_t)i * SL_HALL_DIM, q);
            int64_t got = 0;
            double score = 0;
            SL_CHECK(t, sl__hall_bench_top1(halls[i % 2], q, 0, &got, &score) == SL_OK);
            struct sl_index_query qq;
            sl_index_query_default(&qq);
            qq.k = 1;
            qq.threshold = -1.0f;
            struct sl_index_hit hit = { 0 };
            size_t nh = 0;
            SL_CHECK(t, want[i % 2] &&
                        sl_index_search(want[i % 2], &qq, q, SL_HALL_DIM, &hit, 1, &nh) == SL_OK);
            if (nh != 1 || got != (int64_t)hit.id || score != hit.score ||
                (!gone[i] && got != pid[i]))
                differ++;
            if (differ == 1 && (nh != 1 || got != (int64_t)hit.id || score != hit.score))
                SL_CHECKF(t, false, "person %d: loaded %lld %.6f, added %lld %.6f", i,
                          (long long)got, score, (long long)hit.id, (double)hit.score);
        }
    }
    sl__hall_set_load_page(0);
    unsetenv("SL_HALL_LOAD_THREADS");
    SL_CHECKF(t, differ == 0, "%d of %d probes differ (2 loads)", differ, NP);
    for (int h = 0; h < 2; h++)
        sl_index_free(want[h]);
    sl__free(mean);
    sl__free(emb);
    hall_fx_done(&fx);
}
