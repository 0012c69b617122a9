/*
 * test_face_metrics.c -- ROC, TAR@FAR, EER, k-fold accuracy, rank-1, PAD
 * metrics and the SVG writer, on small cases computed by hand (the
 * expected numbers are derived in the comments).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "face/eval_int.h"
#include "test.h"

static bool near(double a, double b, double tol) { return fabs(a - b) <= tol; }

/* genuine 0.9 0.8 0.7 0.3, impostor 0.6 0.4 0.2 0.1 */
static const float G4[] = { 0.7f, 0.3f, 0.9f, 0.8f };
static const float I4[] = { 0.1f, 0.6f, 0.2f, 0.4f };

SL_TEST(face, roc_exact)
{
    sl__roc r;
    SL_CHECK_EQ(t, sl__roc_compute(&r, G4, 4, I4, 4, 0), SL_OK);
    /* thresholds desc: inf .9 .8 .7 .6 .4 .3 .2 .1 */
    static const double far[] = { 0, 0, 0, 0, .25, .5, .5, .75, 1 };
    static const double frr[] = { 1, .75, .5, .25, .25, .25, 0, 0, 0 };
    SL_CHECK_EQ(t, r.n, 9);
    for (size_t i = 0; i < r.n && i < 9; i++)
        SL_CHECKF(t, near(r.pts[i].far, far[i], 1e-12) && near(r.pts[i].frr, frr[i], 1e-12),
                  "point %zu: far %g frr %g", i, r.pts[i].far, r.pts[i].frr);
    SL_CHECK(t, isinf(r.pts[0].threshold) && near(r.pts[4].threshold, 0.6, 1e-7));
    sl__roc_free(&r);
    SL_CHECK(t, r.pts == NULL && r.n == 0);
    float bad[2] = { 0.5f, NAN };
    SL_CHECK_EQ(t, sl__roc_compute(&r, bad, 2, I4, 4, 0), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl__roc_compute(&r, G4, 0, I4, 4, 0), SL_ERR_INVALID);
}

SL_TEST(face, roc_thinned)
{
    enum { N = 20000 };
    float *g = malloc(N * sizeof(float)), *im = malloc(N * sizeof(float));
    unsigned long long s = 99;
    for (int i = 0; i < N; i++) {
        g[i] = 0.5f + 0.3f * sl_t_randf(&s);
        im[i] = 0.3f * sl_t_randf(&s);
    }
    sl__roc r;
    SL_CHECK_EQ(t, sl__roc_compute(&r, g, N, im, N, 500), SL_OK);
    SL_CHECKF(t, r.n > 16 && r.n < 3000, "thinned to %zu points", r.n);
    bool mono = true;
    for (size_t i = 1; i < r.n; i++)
        mono &= r.pts[i].far >= r.pts[i - 1].far && r.pts[i].frr <= r.pts[i - 1].frr &&
                r.pts[i].threshold < r.pts[i - 1].threshold;
    SL_CHECK(t, mono);
    SL_CHECK(t, r.pts[r.n - 1].far == 1 && r.pts[r.n - 1].frr == 0);
    sl__roc_free(&r);
    free(g);
    free(im);
}

SL_TEST(face, tar_at_far_and_eer)
{
    double fars[] = { 0.1, 0.25, 0.5, 1.0 }, tar[4], thr[4];
    SL_CHECK_EQ(t, sl__metric_tar_at_far(tar, thr, fars, 4, G4, 4, I4, 4), SL_OK);
    /* 0.1*4 -> 0 false accepts: above 0.6 -> TAR 3/4
     * 0.25*4 -> 1: above 0.4 -> 3/4;  0.5*4 -> 2: above 0.2 -> 4/4 */
    SL_CHECK(t, near(tar[0], .75, 1e-12) && near(tar[1], .75, 1e-12));
    SL_CHECK(t, near(tar[2], 1, 1e-12) && tar[3] == 1 && isinf(thr[3]));
    SL_CHECK(t, thr[0] > 0.6f && thr[0] < 0.6000001 && thr[1] > 0.4f && thr[1] < 0.4000001);
    /* the FAR at the returned threshold is within the target */
    double eer, et;
    SL_CHECK_EQ(t, sl__metric_eer(&eer, &et, G4, 4, I4, 4), SL_OK);
    /* crossing between (0.7: far 0, frr .25) and (0.6: .25, .25) -> 0.25 at 0.6 */
    SL_CHECK(t, near(eer, 0.25, 1e-12) && near(et, 0.6, 1e-7));
    /* ties: genuine {.5,.5}, impostor {.5,.1} */
    float g2[] = { .5f, .5f }, i2[] = { .5f, .1f };
    double f2[] = { 0.4, 0.5 }, t2[2];
    SL_CHECK_EQ(t, sl__metric_tar_at_far(t2, NULL, f2, 2, g2, 2, i2, 2), SL_OK);
    SL_CHECK(t, t2[0] == 0 && t2[1] == 1);
    /* (0,1) -> (.5,0): FAR = FRR at 1/3 */
    SL_CHECK_EQ(t, sl__metric_eer(&eer, NULL, g2, 2, i2, 2), SL_OK);
    SL_CHECK(t, near(eer, 1.0 / 3, 1e-12));
    double zero = 0;
    SL_CHECK_EQ(t, sl__metric_tar_at_far(t2, NULL, &zero, 1, g2, 2, i2, 2), SL_ERR_INVALID);
    /* 1e-3 of 1000 impostors is one allowed accept, not zero */
    float *many = malloc(1000 * sizeof(float));
    for (int i = 0; i < 1000; i++)
        many[i] = (float)i / 1000.0f;
    float gg[] = { 0.9985f };
    double f3 = 1e-3, t3;
    SL_CHECK_EQ(t, sl__metric_tar_at_far(&t3, NULL, &f3, 1, gg, 1, many, 1000), SL_OK);
    SL_CHECK(t, t3 == 1);       /* threshold just above 0.998, genuine 0.9985 accepted */
    free(many);
}

SL_TEST(face, kfold_accuracy)
{
    const float sc[] = { .9f, .2f, .8f, .5f, .6f, .7f, .3f };
    const bool same[] = { 1, 0, 1, 0, 1, 0, 1 };
    const int32_t fold[] = { 1, 1, 2, 2, 2, 3, 3 };
    sl__kfold_result r;
    double per[3];
    SL_CHECK_EQ(t, sl__metric_kfold_accuracy(&r, per, 3, sc, same, fold, 7), SL_OK);
    /* fold 1: trained on 2,3 -> best = accept all (ties: lowest) -> 1/2
     * fold 2: trained on 1,3 -> t = .25 -> 2/3
     * fold 3: trained on 1,2 -> t = .55 -> 0/2 */
    SL_CHECK_EQ(t, r.nfolds, 3);
    SL_CHECK(t, near(per[0], .5, 1e-12) && near(per[1], 2.0 / 3, 1e-12) && per[2] == 0);
    SL_CHECK(t, near(r.mean, (0.5 + 2.0 / 3) / 3, 1e-12));
    SL_CHECK(t, near(r.std, 0.2832788, 1e-6));
    const int32_t one[] = { 1, 1, 1, 1, 1, 1, 1 };
    SL_CHECK_EQ(t, sl__metric_kfold_accuracy(&r, NULL, 0, sc, same, one, 7), SL_ERR_INVALID);
}

SL_TEST(face, rank1_and_pairs)
{
    const float e[] = { 1, 0,  .8f, .6f,  0, 1,  .6f, .8f,  .99f, .14f };
    const int32_t lab[] = { 7, 7, 3, 3, 9 };
    double r1;
    size_t np;
    /* with distractor 9 next to image 0: only probe 2 finds its mate */
    SL_CHECK_EQ(t, sl__metric_rank1(&r1, &np, e, 5, 2, lab), SL_OK);
    SL_CHECK(t, np == 4 && near(r1, 0.25, 1e-12));
    /* without it: probes 0 and 2 hit */
    SL_CHECK_EQ(t, sl__metric_rank1(&r1, &np, e, 4, 2, lab), SL_OK);
    SL_CHECK(t, np == 4 && near(r1, 0.5, 1e-12));
    const int32_t alone[] = { 1, 2, 3, 4, 5 };
    SL_CHECK_EQ(t, sl__metric_rank1(&r1, &np, e, 5, 2, alone), SL_ERR_INVALID);

    float *g, *im;
    size_t ng, ni;
    SL_CHECK_EQ(t, sl__metric_all_pairs(&g, &ng, &im, &ni, e, 5, 2, lab), SL_OK);
    SL_CHECK(t, ng == 2 && ni == 8);
    SL_CHECK(t, near(g[0], .8, 1e-6) && near(g[1], .8, 1e-6));
    double sum = 0;
    for (size_t i = 0; i < ni; i++)
        sum += im[i];
    /* impostors: 0-2 0, 0-3 .6, 0-4 .990, 1-2 .6, 1-3 .96, 1-4 .876, 2-4 .140, 3-4 .706 */
    SL_CHECK(t, near(sum, 0 + .6 + .99 / 0.99985 + .6 + .96 + .876 / 0.99985 +
                          .14 / 0.99985 + .706 / 0.99985, 1e-4));
    sl_face_free(g);
    sl_face_free(im);
}

SL_TEST(face, pad_metrics)
{
    const float live[] = { .9f, .7f, .4f }, att[] = { .6f, .4f, .1f, .05f };
    sl__pad_metrics m;
    SL_CHECK_EQ(t, sl__metric_pad(&m, 0.5, live, 3, att, 4), SL_OK);
    SL_CHECK(t, near(m.apcer, .25, 1e-12) && near(m.bpcer, 1.0 / 3, 1e-12));
    SL_CHECK(t, near(m.acer, (.25 + 1.0 / 3) / 2, 1e-12));
    /* U = 4 + 4 + (2 + 0.5 tie) = 10.5 of 12 */
    SL_CHECK(t, near(m.auc, 10.5 / 12, 1e-12));
    /* reversed roles: AUC complements */
    sl__pad_metrics r;
    SL_CHECK_EQ(t, sl__metric_pad(&r, 0.5, att, 4, live, 3), SL_OK);
    SL_CHECK(t, near(r.auc, 1 - m.auc, 1e-12));
    SL_CHECK_EQ(t, sl__metric_pad(&m, NAN, live, 3, att, 4), SL_ERR_INVALID);
}

static size_t count_of(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

SL_TEST(face, svg_plots)
{
    sl__roc r;
    SL_CHECK_EQ(t, sl__roc_compute(&r, G4, 4, I4, 4, 0), SL_OK);
    sl__plot_curve c[2] = { { "model <a> & \"b\"", r.pts, r.n }, { "copy", r.pts, r.n } };
    char *svg;
    size_t len;
    SL_CHECK_EQ(t, sl__plot_svg(&svg, &len, SL__PLOT_DET, "DET: a<b", c, 2), SL_OK);
    SL_CHECK(t, strncmp(svg, "<?xml", 5) == 0 && strlen(svg) == len);
    SL_CHECK(t, strstr(svg, "</svg>\n") != NULL);
    SL_CHECK_EQ(t, count_of(svg, "<polyline"), 2);
    SL_CHECK(t, strstr(svg, "model &lt;a&gt; &amp; &quot;b&quot;") != NULL);
    SL_CHECK(t, strstr(svg, "DET: a&lt;b") != NULL);
    SL_CHECK(t, strstr(svg, "<a>") == NULL);
    /* lowest non-zero rate is 0.25 -> axes from 1e-1 */
    SL_CHECK(t, strstr(svg, ">1e-1<") != NULL && strstr(svg, ">1e-2<") == NULL);
    /* 9 points in each polyline */
    const char *p = strstr(svg, "points=\"");
    SL_CHECK(t, p && count_of(p, ",") >= 9);
    sl_face_free(svg);
    SL_CHECK_EQ(t, sl__plot_svg(&svg, &len, SL__PLOT_ROC, NULL, c, 1), SL_OK);
    SL_CHECK(t, strstr(svg, "true accept rate") != NULL && strstr(svg, ">0.5<") != NULL);
    sl_face_free(svg);
    SL_CHECK_EQ(t, sl__plot_svg(&svg, &len, SL__PLOT_ROC, NULL, c, 0), SL_ERR_INVALID);
    sl_roc_point badp = { 0, 2, 0 };
    sl__plot_curve bc = { "x", &badp, 1 };
    SL_CHECK_EQ(t, sl__plot_svg(&svg, &len, SL__PLOT_ROC, NULL, &bc, 1), SL_ERR_INVALID);
    sl__roc_free(&r);
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Large inputs take the radix-sort path: cross-check with brute force. */
SL_TEST(face, metrics_brute_force_crosscheck)
{
    enum { NG = 3000, NI = 5000 };
    static float g[NG], im[NI], sim[NI];
    unsigned long long s = 777;
    for (int i = 0; i < NG; i++)
        g[i] = roundf(0.4f * sl_t_randf(&s) * 1000) / 1000 + 0.3f;  /* ties, negatives */
    for (int i = 0; i < NI; i++)
        im[i] = roundf(0.5f * sl_t_randf(&s) * 1000) / 1000;
    im[7] = -0.0f;
    im[8] = 0.0f;
    memcpy(sim, im, sizeof(im));
    qsort(sim, NI, sizeof(float), cmp_f);
    double fars[] = { 1e-3, 1e-2, 0.1 }, tar[3], thr[3];
    SL_CHECK_EQ(t, sl__metric_tar_at_far(tar, thr, fars, 3, g, NG, im, NI), SL_OK);
    for (int k = 0; k < 3; k++) {
        size_t allowed = (size_t)floor(fars[k] * NI + 1e-9);
        float v = sim[NI - 1 - allowed];
        size_t acc = 0, fa = 0;
        for (int i = 0; i < NG; i++)
            acc += g[i] > v;
        for (int i = 0; i < NI; i++)
            fa += im[i] >= thr[k];
        SL_CHECK(t, fabs(tar[k] - (double)acc / NG) < 1e-12);
        SL_CHECKF(t, fa <= allowed, "far %g: %zu accepted, %zu allowed", fars[k], fa, allowed);
    }
    /* every ROC point equals a brute-force count at its threshold */
    sl__roc r;
    SL_CHECK_EQ(t, sl__roc_compute(&r, g, NG, im, NI, 0), SL_OK);
    bool ok = true;
    for (size_t p = 1; p < r.n; p += 37) {
        size_t fa = 0, fr = 0;
        for (int i = 0; i < NI; i++)
            fa += im[i] >= r.pts[p].threshold;
        for (int i = 0; i < NG; i++)
            fr += g[i] < r.pts[p].threshold;
        ok &= fabs(r.pts[p].far - (double)fa / NI) < 1e-12 &&
              fabs(r.pts[p].frr - (double)fr / NG) < 1e-12;
    }
    SL_CHECK(t, ok && r.n > 100);
    sl__roc_free(&r);
    /* AUC against the O(n^2) definition */
    sl__pad_metrics m;
    SL_CHECK_EQ(t, sl__metric_pad(&m, 0.3, g, 1000, im, 1000), SL_OK);
    double u = 0;
    for (int i = 0; i < 1000; i++)
        for (int j = 0; j < 1000; j++)
            u += g[i] > im[j] ? 1 : g[i] == im[j] ? 0.5 : 0;
    SL_CHECK(t, fabs(m.auc - u / 1e6) < 1e-12);
}
