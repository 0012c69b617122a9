/*
 * winograd.c -- Winograd F(4x4, 3x3) convolution: weight transform, the
 * plain C block kernel (oracle of the unit tests and fallback) and the
 * kernel pick. See winograd.h. Matrices (interpolation points 0, +-1, +-2):
 *
 *   B^T = [4  0 -5  0 1 0]   G = [ 1/4     0    0 ]   A^T = [1 1  1 1  1 0]
 *         [0 -4 -4  1 1 0]       [-1/6 -1/6 -1/6 ]         [0 1 -1 2 -2 0]
 *         [0  4 -4 -1 1 0]       [-1/6  1/6 -1/6 ]         [0 1  1 4  4 0]
 *         [0 -2 -1  2 1 0]       [1/24 1/12  1/6 ]         [0 1 -1 8 -8 1]
 *         [0  2 -1 -2 1 0]       [1/24 -1/12 1/6 ]
 *         [0  4  0 -5 0 1]       [  0    0    1  ]
 */
#include <string.h>

#include "nn/winograd.h"

/* G g for one column g[3] (double: the transform is done once). */
static void wt_1d(const double g[3], double u[6])
{
    u[0] = g[0] / 4.0;
    u[1] = -(g[0] + g[1] + g[2]) / 6.0;
    u[2] = -(g[0] - g[1] + g[2]) / 6.0;
    u[3] = g[0] / 24.0 + g[1] / 12.0 + g[2] / 6.0;
    u[4] = g[0] / 24.0 - g[1] / 12.0 + g[2] / 6.0;
    u[5] = g[2];
}

sl_status sl__nn_wino_init(struct sl_nn_wino *w, int H, int W, int C, int M,
                           int OH, int OW, int pt, int pl,
                           const float *wt, const float *bias,
                           float lo, float hi, int nworkers)
{
    memset(w, 0, sizeof *w);
    if (H < 1 || W < 1 || C < 1 || M < 1 || OH < 1 || OW < 1 || nworkers < 1 ||
        pt < 0 || pl < 0 || pt > 2 || pl > 2 || C > (1 << 16) || M > (1 << 16))
        return SL_ERR_INVALID;
    w->H = H; w->W = W; w->C = C; w->M = M; w->OH = OH; w->OW = OW;
    w->pt = pt; w->pl = pl; w->lo = lo; w->hi = hi;
    w->th = (OH + 3) / 4;
    w->tw = (OW + 3) / 4;
    w->ntiles = w->th * w->tw;
    w->nblocks = (w->ntiles + SL_NN_WINO_TB - 1) / SL_NN_WINO_TB;
    w->Mp = (M + 31) / 32 * 32;
    w->nscratch = nworkers;
    w->scratch_floats = 36 * SL_NN_WINO_VS(C) + (size_t)36 * SL_NN_WINO_TB * (size_t)w->Mp + 16;
    size_t Mp = (size_t)w->Mp, Cs = (size_t)C;
    w->U = sl__aligned_alloc(64, 36 * Cs * Mp * sizeof(float));
    w->bias = sl__aligned_alloc(64, Mp * sizeof(float));
    w->scratch = sl__aligned_alloc(64, (size_t)nworkers * w->scratch_floats * sizeof(float));
    if (!w->U || !w->bias || !w->scratch) {
        sl__nn_wino_free(w);
        return SL_ERR_NOMEM;
    }
    memset(w->U, 0, 36 * Cs * Mp * sizeof(float));
    memset(w->scratch, 0, (size_t)nworkers * w->scratch_floats * sizeof(float));
    for (size_t m = 0; m < Mp; m++)
        w->bias[m] = bias && m < (size_t)M ? bias[m] : 0.0f;
    for (size_t m = 0; m < (size_t)M; m++) {
        for (size_t c = 0; c < Cs; c++) {
            double g[3][3], t[6][3], u[6][6], col[3], r6[6];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    g[i][j] = wt[((m * 3 + (size_t)i) * 3 + (size_t)j) * Cs + c];
            for (int j = 0; j < 3; j++) {           /* G g */
                for (int i = 0; i < 3; i++)
                    col[i] = g[i][j];
                wt_1d(col, r6);
                for (int i = 0; i < 6; i++)
                    t[i][j] = r6[i];
            }
            for (int i = 0; i < 6; i++)             /* (G g) G^T */
                wt_1d(t[i], u[i]);
            for (int p = 0; p < 36; p++)
                w->U[((size_t)p * Cs + c) * Mp + m] = (float)u[p / 6][p % 6];
        }
    }
    return SL_OK;
}

void sl__nn_wino_free(struct sl_nn_wino *w)
{
    sl__free(w->U);
    sl__free(w->bias);
    sl__free(w->scratch);
    w->U = w->bias = w->scratch = NULL;
}

/* B^T d for one column d[6] (stride s). */
static void in_1d(const float *d, size_t s, float *r, size_t rs)
{
    float d0 = d[0], d1 = d[s], d2 = d[2 * s], d3 = d[3 * s], d4 = d[4 * s], d5 = d[5 * s];
    r[0] = 4.0f * d0 - 5.0f * d2 + d4;
    r[rs] = -4.0f * d1 - 4.0f * d2 + d3 + d4;
    r[2 * rs] = 4.0f * d1 - 4.0f * d2 - d3 + d4;
    r[3 * rs] = -2.0f * d1 - d2 + 2.0f * d3 + d4;
    r[4 * rs] = 2.0f * d1 - d2 - 2.0f * d3 + d4;
    r[5 * rs] = 4.0f * d1 - 5.0f * d3 + d5;
}

/* A^T m for one column m[6] (stride s). */
static void out_1d(const float *m, size_t s, float *o, size_t os)
{
    float m0 = m[0], m1 = m[s], m2 = m[2 * s], m3 = m[3 * s], m4 = m[4 * s], m5 = m[5 * s];
    o[0] = m0 + m1 + m2 + m3 + m4;
    o[os] = m1 - m2 + 2.0f * m3 - 2.0f * m4;
    o[2 * os] = m1 + m2 + 4.0f * m3 + 4.0f * m4;
    o[3 * os] = m1 - m2 + 8.0f * m3 - 8.0f * m4 + m5;
}

void sl__nn_wino_blocks_c(const struct sl_nn_wino *w, const float *x, float *y,
                          int b0, int b1, int slot)
{
    const size_t C = (size_t)w->C, Mp = (size_t)w->Mp, TB = SL_NN_WINO_TB;
    float *V = w->scratch + (size_t)slot * w->scratch_floats;
    float *Z = V + 36 * SL_NN_WINO_VS(C);
    for (int blk = b0; blk < b1; blk++) {
        int t0 = blk * SL_NN_WINO_TB;
        int nt = SL_MIN(SL_NN_WINO_TB, w->ntiles - t0);
        for (int t = 0; t < nt; t++) {
            int iy0 = (t0 + t) / w->tw * 4 - w->pt, ix0 = (t0 + t) % w->tw * 4 - w->pl;
            for (size_t c = 0; c < C; c++) {
                float d[36], tmp[36], v[36];
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++) {
                        int iy = iy0 + i, ix = ix0 + j;
                        d[i * 6 + j] = iy >= 0 && iy < w->H && ix >= 0 && ix < w->W ?
                                       x[((size_t)iy * (size_t)w->W + (size_t)ix) * C + c] : 0.0f;
                    }
                for (int j = 0; j < 6; j++)
                    in_1d(d + j, 6, tmp + j, 6);      /* B^T d: columns */
                for (int i = 0; i < 6; i++)
                    in_1d(tmp + i * 6, 1, v + i * 6, 1);  /* (B^T d) B: rows */
                for (int p = 0; p < 36; p++)
                    V[(size_t)p * SL_NN_WINO_VS(C) + (size_t)t * C + c] = v[p];
            }
        }
        for (size_t p = 0; p < 36; p++)
            for (size_t t = 0; t < (size_t)nt; t++) {
                const float *a = V + p * SL_NN_WINO_VS(C) + t * C;
                float *z = Z + (p * TB + t) * Mp;
                for (size_t m = 0; m < Mp; m++)
                    z[m] = 0.0f;
                for (size_t c = 0; c < C; c++) {
                    const float *u = w->U + (p * C + c) * Mp;
                    for (size_t m = 0; m < Mp; m++)
                        z[m] += a[c] * u[m];
                }
            }
        for (int t = 0; t < nt; t++) {
            int oy0 = (t0 + t) / w->tw * 4, ox0 = (t0 + t) % w->tw * 4;
            for (size_t m = 0; m < (size_t)w->M; m++) {
                float z[36], tmp[24], o[16];
                for (int p = 0; p < 36; p++)
                    z[p] = Z[((size_t)p * TB + (size_t)t) * Mp + m];
                for (int j = 0; j < 6; j++)
                    out_1d(z + j, 6, tmp + j, 6);     /* A^T z: 4 rows of 6 */
                for (int i = 0; i < 4; i++)
                    out_1d(tmp + i * 6, 1, o + i * 4, 1);
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++) {
                        int oy = oy0 + i, ox = ox0 + j;
                        if (oy >= w->OH || ox >= w->OW)
                            continue;
                        float r = o[i * 4 + j] + w->bias[m];
                        r = r < w->lo ? w->lo : r;
                        r = r > w->hi ? w->hi : r;
                        y[((size_t)oy * (size_t)w->OW + (size_t)ox) * (size_t)w->M + m] = r;
                    }
            }
        }
    }
}

sl_nn_wino_fn sl__nn_wino_pick(void)
{
#if defined(__x86_64__)
    if (sl_cpu_features() & SL_CPU_AVX512F)
        return sl__nn_wino_blocks_avx512;
#endif
    return sl__nn_wino_blocks_c;
}

bool sl__nn_wino_fast(void)
{
    return sl__nn_wino_pick() != sl__nn_wino_blocks_c;
}
