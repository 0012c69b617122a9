/*
 * test_nn_wino.c -- Winograd F(4x4, 3x3) (src/nn/winograd.c and the
 * AVX-512 kernel when the CPU has it) against the direct convolution
 * formula written here: random shapes with odd sizes, every padding from
 * 0 to 2 per side (partial tiles at the borders), channel counts that are
 * not multiples of 16/32, fused Relu/Clip, work split over scratch slots.
 * Also the 1x1 conv GEMM (src/nn/pointwise.c, pointwise_avx512.c) and the
 * depthwise 3x3 conv (src/nn/dwconv.c, dwconv_avx512.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "nn/dwconv.h"
#include "nn/pointwise.h"
#include "nn/winograd.h"
#include "test.h"

static uint64_t wrng = 0x9e3779b97f4a7c15ull;

static float wrand(void)
{
    wrng ^= wrng << 13;
    wrng ^= wrng >> 7;
    wrng ^= wrng << 17;
    return (float)((double)(wrng >> 11) / (double)(1ull << 53)) * 2.0f - 1.0f;
}

/* y[OH][OW][M] = clamp(bias + sum x[H][W][C] * w[M][3][3][C]) */
static void direct(const float *x, const float *w, const float *b, float *y,
                   int H, int W, int C, int M, int OH, int OW, int pt, int pl,
                   float lo, float hi)
{
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int m = 0; m < M; m++) {
                double acc = b ? b[m] : 0.0;
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++) {
                        int iy = oy + i - pt, ix = ox + j - pl;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                            continue;
                        for (int c = 0; c < C; c++)
                            acc += (double)x[((size_t)iy * (size_t)W + (size_t)ix) * (size_t)C + (size_t)c] *
                                   w[(((size_t)m * 3 + (size_t)i) * 3 + (size_t)j) * (size_t)C + (size_t)c];
                    }
                float r = (float)acc;
                r = r < lo ? lo : r > hi ? hi : r;
                y[((size_t)oy * (size_t)OW + (size_t)ox) * (size_t)M + (size_t)m] = r;
            }
}

/* One shape on one kernel with nslots workers: max |diff| / max |ref|.
 * fp32 F(4x4,3x3) rounding is ~1e-5 of the output scale (measured up to
 * 1.2e-5 here); the gate is 5e-5 (a wrong transform gives ~1). */
static double run_case(struct sl_t *t, sl_nn_wino_fn fn, int H, int W, int C, int M,
                       int pt, int pl, int pb, int pr, int act, int nslots)
{
    int OH = H + pt + pb - 2, OW = W + pl + pr - 2;
    if (OH < 1 || OW < 1)
        return 0.0;
    size_t nx = (size_t)H * (size_t)W * (size_t)C, nw = (size_t)M * 9 * (size_t)C;
    size_t ny = (size_t)OH * (size_t)OW * (size_t)M;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = malloc((size_t)M * sizeof *b);
    float *y = malloc(ny * sizeof *y), *r = malloc(ny * sizeof *r);
    double err = 1.0;
    if (!x || !w || !b || !y || !r)
        goto done;
    float sc = 1.0f / sqrtf(9.0f * (float)C);
    for (size_t i = 0; i < nx; i++)
        x[i] = wrand();
    for (size_t i = 0; i < nw; i++)
        w[i] = wrand() * sc;
    for (int i = 0; i < M; i++)
        b[i] = wrand() * 0.1f;
    float lo = act == 0 ? -INFINITY : act == 1 ? 0.0f : -0.25f;
    float hi = act == 2 ? 0.5f : INFINITY;
    direct(x, w, act ? b : NULL, r, H, W, C, M, OH, OW, pt, pl, lo, hi);
    for (size_t i = 0; i < ny; i++)
        y[i] = NAN;
    struct sl_nn_wino wi;
    sl_status st = sl__nn_wino_init(&wi, H, W, C, M, OH, OW, pt, pl, w, act ? b : NULL, lo, hi, nslots);
    SL_CHECK_EQ(t, st, SL_OK);
    if (st)
        goto done;
    for (int s = 0; s < nslots; s++)
        fn(&wi, x, y, wi.nblocks * s / nslots, wi.nblocks * (s + 1) / nslots, s);
    double md = 0.0, mr = 0.0;
    bool finite = true;
    for (size_t i = 0; i < ny; i++) {
        finite = finite && isfinite(y[i]);
        md = fmax(md, fabs((double)y[i] - r[i]));
        mr = fmax(mr, fabs((double)r[i]));
    }
    err = mr > 0 ? md / mr : md;
    SL_CHECKF(t, finite && err <= 5e-5, "H%d W%d C%d M%d pads %d,%d,%d,%d act %d: rel err %.3g",
              H, W, C, M, pt, pl, pb, pr, act, err);
    sl__nn_wino_free(&wi);
done:
    free(x);
    free(w);
    free(b);
    free(y);
    free(r);
    return err;
}

SL_TEST(nn, winograd_vs_direct)
{
    sl_nn_wino_fn fns[2] = { sl__nn_wino_blocks_c, sl__nn_wino_pick() };
    int nf = fns[1] == fns[0] ? 1 : 2;
    for (int f = 0; f < nf; f++) {
        for (int k = 0; k < 40; k++) {
            int H = 1 + (int)((wrand() + 1.0f) * 7.0f), W = 1 + (int)((wrand() + 1.0f) * 9.0f);
            int C = 1 + (int)((wrand() + 1.0f) * 20.0f), M = 1 + (int)((wrand() + 1.0f) * 24.0f);
            int pt = k % 3, pl = (k / 3) % 3, pb = (k / 9) % 3, pr = (k + 1) % 3;
            run_case(t, fns[f], H, W, C, M, pt, pl, pb, pr, k % 3, 1 + k % 3);
        }
        /* exact multiples, fr_expression's shape class, a channel tail */
        run_case(t, fns[f], 16, 16, 32, 32, 1, 1, 1, 1, 1, 2);
        run_case(t, fns[f], 9, 11, 17, 33, 1, 1, 1, 1, 0, 1);
    }
}

/* fr_expression's 56x56x128 -> 32 with fan-in scaled random weights: the
 * error that goes into docs/nn.md. */
SL_TEST(nn, winograd_error_expression_shape)
{
    double e = run_case(t, sl__nn_wino_pick(), 56, 56, 128, 32, 1, 1, 1, 1, 0, 1);
    fprintf(stderr, "  winograd F(4x4,3x3) 56x56x128->32: max |diff| / max |direct| = %.3g\n", e);
    SL_CHECK(t, e <= 5e-5);
}

/* ============================ 1x1 conv GEMM (pointwise.h) =============== */
static void pw_case(struct sl_t *t, sl_nn_pw_fn fn, int P, int C, int M, int act, int split)
{
    size_t nx = (size_t)P * (size_t)C, nw = (size_t)M * (size_t)C, ny = (size_t)P * (size_t)M;
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w), *b = malloc((size_t)M * sizeof *b);
    float *y = malloc(ny * sizeof *y);
    if (!x || !w || !b || !y)
        goto done;
    for (size_t i = 0; i < nx; i++)
        x[i] = wrand();
    for (size_t i = 0; i < nw; i++)
        w[i] = wrand();
    for (int i = 0; i < M; i++)
        b[i] = wrand();
    float lo = act == 0 ? -INFINITY : act == 1 ? 0.0f : -0.25f, hi = act == 2 ? 0.5f : INFINITY;
    for (size_t i = 0; i < ny; i++)
        y[i] = NAN;
    struct sl_nn_pw pw;
    sl_status st = sl__nn_pw_init(&pw, P, C, M, w, act ? b : NULL, lo, hi);
    SL_CHECK_EQ(t, st, SL_OK);
    if (st)
        goto done;
    for (int s = 0; s < split; s++)      /* blocks in pieces, last first */
        fn(&pw, x, y, pw.nblocks * (split - 1 - s) / split, pw.nblocks * (split - s) / split);
    double md = 0.0;
    for (int r = 0; r < P; r++)
        for (int m = 0; m < M; m++) {
            double acc = act ? b[m] : 0.0;
            for (int c = 0; c < C; c++)
                acc += (double)x[(size_t)r * (size_t)C + (size_t)c] * w[(size_t)m * (size_t)C + (size_t)c];
            float ref = (float)acc;
            ref = ref < lo ? lo : ref > hi ? hi : ref;
            double d = fabs((double)y[(size_t)r * (size_t)M + (size_t)m] - ref);
            md = isfinite(y[(size_t)r * (size_t)M + (size_t)m]) ? fmax(md, d) : INFINITY;
        }
    SL_CHECKF(t, md <= 1e-5 * (double)C, "P%d C%d M%d act %d: max diff %.3g", P, C, M, act, md);
    sl__nn_pw_free(&pw);
done:
    free(x);
    free(w);
    free(b);
    free(y);
}

SL_TEST(nn, pointwise_gemm_vs_direct)
{
    sl_nn_pw_fn fns[2] = { sl__nn_pw_blocks_c, sl__nn_pw_pick() };
    int nf = fns[1] == fns[0] ? 1 : 2;
    for (int f = 0; f < nf; f++) {
        for (int k = 0; k < 30; k++) {
            int P = 1 + (int)((wrand() + 1.0f) * 40.0f), C = 1 + (int)((wrand() + 1.0f) * 40.0f);
            int M = 1 + (int)((wrand() + 1.0f) * 50.0f);
            pw_case(t, fns[f], P, C, M, k % 3, 1 + k % 3);
        }
        pw_case(t, fns[f], 48, 64, 64, 1, 2);          /* exact multiples */
        pw_case(t, fns[f], 13, 5, 33, 0, 1);           /* one full block + tail */
        for (int P = 13; P <= 23; P++)                 /* every tail 1..11 rows (4/8/12-row kernels) */
            pw_case(t, fns[f], P, 24, 40, 1, 1);
        pw_case(t, fns[f], 49, 64, 96, 2, 2);          /* 7x7 map: tail of 1 */
    }
}

/* ============================ Depthwise 3x3 (dwconv.h) ================== */
static void dw_case(struct sl_t *t, sl_nn_dw_fn fn, int H, int W, int C, int s, int pt, int pl,
                    int pb, int pr, int act)
{
    int OH = (H + pt + pb - 3) / s + 1, OW = (W + pl + pr - 3) / s + 1;
    if (OH < 1 || OW < 1)
        return;
    size_t nx = (size_t)H * (size_t)W * (size_t)C, ny = (size_t)OH * (size_t)OW * (size_t)C;
    float *x = malloc(nx * sizeof *x), *w = malloc((size_t)C * 9 * sizeof *w);
    float *b = malloc((size_t)C * sizeof *b), *y = malloc(ny * sizeof *y);
    if (!x || !w || !b || !y)
        goto done;
    for (size_t i = 0; i < nx; i++)
        x[i] = wrand();
    for (int i = 0; i < C * 9; i++)
        w[i] = wrand();
    for (int i = 0; i < C; i++)
        b[i] = wrand();
    float lo = act == 0 ? -INFINITY : act == 1 ? 0.0f : -0.25f, hi = act == 2 ? 0.5f : INFINITY;
    struct sl_nn_dw d;
    sl_status st = sl__nn_dw_init(&d, H, W, C, OH, OW, s, pt, pl, w, act ? b : NULL, lo, hi);
    SL_CHECK_EQ(t, st, SL_OK);
    if (st)
        goto done;
    for (size_t i = 0; i < ny; i++)
        y[i] = NAN;
    fn(&d, x, y, OH / 2, OH);                /* two row ranges */
    fn(&d, x, y, 0, OH / 2);
    double md = 0.0;
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int c = 0; c < C; c++) {
                double acc = act ? b[c] : 0.0;
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++) {
                        int iy = oy * s - pt + i, ix = ox * s - pl + j;
                        if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                            acc += (double)x[((size_t)iy * (size_t)W + (size_t)ix) * (size_t)C + (size_t)c] *
                                   w[c * 9 + i * 3 + j];
                    }
                float ref = (float)acc;
                ref = ref < lo ? lo : ref > hi ? hi : ref;
                float got = y[((size_t)oy * (size_t)OW + (size_t)ox) * (size_t)C + (size_t)c];
                md = isfinite(got) ? fmax(md, fabs((double)got - ref)) : INFINITY;
            }
    SL_CHECKF(t, md <= 1e-5, "H%d W%d C%d s%d pads %d,%d,%d,%d act %d: max diff %.3g", H, W, C, s,
              pt, pl, pb, pr, act, md);
    sl__nn_dw_free(&d);
done:
    free(x);
    free(w);
    free(b);
    free(y);
}

SL_TEST(nn, dwconv3x3_vs_direct)
{
    sl_nn_dw_fn fns[2] = { sl__nn_dw_rows_c, sl__nn_dw_pick() };
    int nf = fns[1] == fns[0] ? 1 : 2;
    for (int f = 0; f < nf; f++)
        for (int k = 0; k < 40; k++) {
            int H = 1 + (int)((wrand() + 1.0f) * 8.0f), W = 1 + (int)((wrand() + 1.0f) * 10.0f);
            int C = 1 + (int)((wrand() + 1.0f) * 20.0f);
            dw_case(t, fns[f], H, W, C, 1 + k % 2, k % 3, (k / 3) % 3, (k / 2) % 3, (k + 1) % 3, k % 3);
        }
}
