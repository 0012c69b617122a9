/*
 * test_id_session.c -- the model-free parts of a verification session's
 * face step (src/id/vsession.h): fusion of the best frames, the choice of
 * frames, and the rule from levels and factors to a result.
 */
#include <math.h>
#include <string.h>

#include "id/vsession.h"
#include "test.h"

SL_TEST(id, fuse_normalised_mean)
{
    float a[4] = { 1, 0, 0, 0 }, b[4] = { 0, 2, 0, 0 }, out[4];
    const float *e[2] = { a, b };
    SL_CHECK_EQ(t, sl__verif_fuse(e, 2, 4, out), SL_OK);
    /* each frame normalised first: b's length does not weigh more */
    SL_CHECK(t, fabsf(out[0] - out[1]) < 1e-6f);
    SL_CHECK(t, fabsf(out[0] * out[0] + out[1] * out[1] - 1.0f) < 1e-5f);
    float z[4] = { 0 };
    const float *ez[1] = { z };
    SL_CHECK_EQ(t, sl__verif_fuse(ez, 1, 4, out), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl__verif_fuse(e, 0, 4, out), SL_ERR_INVALID);
    float c[4] = { -1, 0, 0, 0 };
    const float *eo[2] = { a, c };
    SL_CHECK_EQ(t, sl__verif_fuse(eo, 2, 4, out), SL_ERR_INVALID);   /* opposite: zero mean */
}

SL_TEST(id, best_frames_by_rank)
{
    struct sl_verif_frame f[7];
    memset(f, 0, sizeof f);
    float ranks[7] = { 0.5f, 0.9f, 0.1f, 0.7f, 0.3f, 0.8f, 0.95f };
    for (int i = 0; i < 7; i++) {
        f[i].face = true;
        f[i].quality_ok = i != 6;     /* the best-ranked one failed quality */
        f[i].rank = ranks[i];
    }
    size_t idx[SL_VERIF_FUSE_MAX];
    size_t n = sl__verif_best(f, 7, SL_VERIF_FUSE_MAX, idx);
    SL_CHECK_EQ(t, n, (size_t)5);
    SL_CHECK_EQ(t, idx[0], (size_t)1);
    SL_CHECK_EQ(t, idx[1], (size_t)5);
    SL_CHECK_EQ(t, idx[2], (size_t)3);
    SL_CHECK_EQ(t, idx[3], (size_t)0);
    SL_CHECK_EQ(t, idx[4], (size_t)4);
    f[1].face = false;
    n = sl__verif_best(f, 7, 2, idx);
    SL_CHECK_EQ(t, n, (size_t)2);
    SL_CHECK(t, idx[0] == 5 && idx[1] == 3);
    SL_CHECK_EQ(t, sl__verif_best(f, 0, 5, idx), (size_t)0);
}

SL_TEST(id, rank_prefers_sharp_large_frontal)
{
    sl_quality_meas m = sl_quality_meas_empty();
    m.sharpness = 200;
    m.interocular_px = 60;
    m.yaw = 0;
    m.pitch = 0;
    float frontal = sl__verif_rank(&m);
    m.yaw = 30;
    SL_CHECK(t, sl__verif_rank(&m) < frontal);
    m.yaw = 0;
    m.sharpness = 50;
    SL_CHECK(t, sl__verif_rank(&m) < frontal);
    m.sharpness = 200;
    m.interocular_px = 100;
    SL_CHECK(t, sl__verif_rank(&m) > frontal);
}

SL_TEST(id, decision_levels_and_factors)
{
    const uint32_t all = SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_PERSON | SL_LEVEL_REAL_DOCUMENT;
    struct sl_verif_analysis a;
    memset(&a, 0, sizeof a);
    a.live = SL_VLIVE_LIVE;
    a.doc_ran = true;
    a.doc_match = true;
    struct sl_verif_decision_in in = { .levels_required = all, .real_name_ok = true, .a = &a };
    bool passed = false;
    SL_CHECK_EQ(t, sl__verif_levels(&in, &passed), all);
    SL_CHECK(t, passed);
    /* cannot judge: 实人 not reached */
    a.live = SL_VLIVE_RETRY;
    SL_CHECK_EQ(t, sl__verif_levels(&in, &passed), SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_DOCUMENT);
    SL_CHECK(t, !passed);
    /* a clerk's vouching stands for 实人 */
    in.clerk_vouched = true;
    SL_CHECK_EQ(t, sl__verif_levels(&in, &passed), all);
    SL_CHECK(t, passed);
    /* an identity switch voids 实人 and 实证 */
    a.identity_switch = true;
    SL_CHECK_EQ(t, sl__verif_levels(&in, &passed), (uint32_t)SL_LEVEL_REAL_NAME);
    SL_CHECK(t, !passed);
    a.identity_switch = false;
    /* no registry record: no 实证 even with a "match" */
    in.real_name_ok = false;
    SL_CHECK_EQ(t, sl__verif_levels(&in, &passed), (uint32_t)SL_LEVEL_REAL_PERSON);
    SL_CHECK(t, !passed);
    in.real_name_ok = true;
    /* a required factor that did not pass fails the whole */
    in.factors_required = SL_FACTOR_BANK_CARD;
    sl__verif_levels(&in, &passed);
    SL_CHECK(t, !passed);
    in.factors_passed = SL_FACTOR_BANK_CARD;
    sl__verif_levels(&in, &passed);
    SL_CHECK(t, passed);
    /* one level alone */
    struct sl_verif_decision_in rn = { .levels_required = SL_LEVEL_REAL_NAME, .real_name_ok = true };
    SL_CHECK_EQ(t, sl__verif_levels(&rn, &passed), (uint32_t)SL_LEVEL_REAL_NAME);
    SL_CHECK(t, passed);
    rn.levels_required = 0;
    sl__verif_levels(&rn, &passed);
    SL_CHECK(t, !passed);
    SL_CHECK(t, strcmp(sl__verif_live_name(SL_VLIVE_RETRY), "cannot_judge") == 0);
}
