/*
 * winograd_avx512.c -- the AVX-512 block kernel of Winograd F(4x4, 3x3)
 * (see winograd.h; same algorithm and scratch layout as winograd.c).
 * Input/output transforms work on 16 channels at a time (NHWC: one zmm
 * per pixel), the 36 GEMMs use a 12 x 32 register-blocked micro-kernel
 * (24 accumulators; A broadcast from memory, two B vectors per k).
 * Called only when sl_cpu_features() has SL_CPU_AVX512F.
 */
#if defined(__x86_64__)   /* x86-64 only: nothing to compile elsewhere */
#include <immintrin.h>
#include <string.h>

#include "nn/winograd.h"

#define TB SL_NN_WINO_TB

static inline __mmask16 tail_mask(size_t n)
{
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

/* B^T on 6 vectors in place-order: r[k*rs] from d[k*ds]. */
#define IN_1D(d0, d1, d2, d3, d4, d5, r)                                         \
    do {                                                                           \
        const __m512 f4 = _mm512_set1_ps(4.0f), f5 = _mm512_set1_ps(5.0f),         \
                     f2 = _mm512_set1_ps(2.0f);                                    \
        __m512 t4 = _mm512_fnmadd_ps(f4, d2, d4);       /* d4 - 4 d2 */            \
        __m512 t13 = _mm512_fnmadd_ps(f4, d1, d3);      /* d3 - 4 d1 */            \
        __m512 t2 = _mm512_sub_ps(d4, d2);              /* d4 - d2 */              \
        __m512 t31 = _mm512_mul_ps(f2, _mm512_sub_ps(d3, d1)); /* 2(d3 - d1) */    \
        r[0] = _mm512_fmadd_ps(f4, d0, _mm512_fnmadd_ps(f5, d2, d4));              \
        r[1] = _mm512_add_ps(t4, t13);                                             \
        r[2] = _mm512_sub_ps(t4, t13);                                             \
        r[3] = _mm512_add_ps(t2, t31);                                             \
        r[4] = _mm512_sub_ps(t2, t31);                                             \
        r[5] = _mm512_fmadd_ps(f4, d1, _mm512_fnmadd_ps(f5, d3, d5));              \
    } while (0)

/* A^T on 6 vectors -> 4. */
#define OUT_1D(m0, m1, m2, m3, m4, m5, o)                                        \
    do {                                                                           \
        __m512 s12 = _mm512_add_ps(m1, m2), d12 = _mm512_sub_ps(m1, m2);           \
        __m512 s34 = _mm512_add_ps(m3, m4), d34 = _mm512_sub_ps(m3, m4);           \
        o[0] = _mm512_add_ps(_mm512_add_ps(m0, s12), s34);                         \
        o[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), d34, d12);                    \
        o[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), s34, s12);                    \
        o[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), d34, d12), m5); \
    } while (0)

static void input_tile(const struct sl_nn_wino *w, const float *x, float *V, int t, int ti)
{
    const size_t C = (size_t)w->C, VS = SL_NN_WINO_VS(w->C);
    int iy0 = ti / w->tw * 4 - w->pt, ix0 = ti % w->tw * 4 - w->pl;
    bool inside = iy0 >= 0 && ix0 >= 0 && iy0 + 6 <= w->H && ix0 + 6 <= w->W;
    /* rows of in-bounds pixels: [j0, j1) of each row, rows [i0, i1) */
    int i0 = iy0 < 0 ? -iy0 : 0, i1 = SL_MIN(6, w->H - iy0);
    int j0 = ix0 < 0 ? -ix0 : 0, j1 = SL_MIN(6, w->W - ix0);
    for (size_t c = 0; c < C; c += 16) {
        __mmask16 k = tail_mask(C - c);
        __m512 tmp[36];
        for (int i = 0; i < 6; i++) {                   /* rows: d B */
            __m512 d[6], r[6];
            /* offset of pixel (i, 0): negative at a top/left border, where
             * only the in-bounds pixels are loaded */
            ptrdiff_t row = ((ptrdiff_t)(iy0 + i) * (ptrdiff_t)w->W + ix0) * (ptrdiff_t)C + (ptrdiff_t)c;
            if (inside && k == 0xffff) {
                for (int j = 0; j < 6; j++)
                    d[j] = _mm512_loadu_ps(x + row + (ptrdiff_t)j * (ptrdiff_t)C);
            } else {
                for (int j = 0; j < 6; j++)
                    d[j] = i >= i0 && i < i1 && j >= j0 && j < j1 ?
                           _mm512_maskz_loadu_ps(k, x + row + (ptrdiff_t)j * (ptrdiff_t)C) : _mm512_setzero_ps();
            }
            IN_1D(d[0], d[1], d[2], d[3], d[4], d[5], r);
            for (int j = 0; j < 6; j++)
                tmp[i * 6 + j] = r[j];
        }
        for (int j = 0; j < 6; j++) {                   /* columns: B^T (d B) */
            __m512 r[6];
            IN_1D(tmp[j], tmp[6 + j], tmp[12 + j], tmp[18 + j], tmp[24 + j], tmp[30 + j], r);
            for (int i = 0; i < 6; i++)
                _mm512_mask_storeu_ps(V + (size_t)(i * 6 + j) * VS + (size_t)t * C + c, k, r[i]);
        }
    }
}

/* Z[p] (TB x Mp) = V[p] (TB x C) x U[p] (C x Mp), all TB rows. */
static void gemm_block(const struct sl_nn_wino *w, const float *V, float *Z)
{
    const size_t C = (size_t)w->C, Mp = (size_t)w->Mp;
    for (size_t p = 0; p < 36; p++) {
        const float *A = V + p * SL_NN_WINO_VS(C);
        const float *B = w->U + p * C * Mp;
        float *Zp = Z + p * TB * Mp;
        for (size_t j = 0; j < Mp; j += 32) {
            __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                   c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00,
                   c60 = c00, c61 = c00, c70 = c00, c71 = c00, c80 = c00, c81 = c00,
                   c90 = c00, c91 = c00, ca0 = c00, ca1 = c00, cb0 = c00, cb1 = c00;
            const float *b = B + j;
            for (size_t k = 0; k < C; k++, b += Mp) {
                __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16), a;
#define ROW(r, x0, x1)                                        \
                a = _mm512_set1_ps(A[(r) * C + k]);           \
                x0 = _mm512_fmadd_ps(a, b0, x0);              \
                x1 = _mm512_fmadd_ps(a, b1, x1);
                ROW(0, c00, c01) ROW(1, c10, c11) ROW(2, c20, c21) ROW(3, c30, c31)
                ROW(4, c40, c41) ROW(5, c50, c51) ROW(6, c60, c61) ROW(7, c70, c71)
                ROW(8, c80, c81) ROW(9, c90, c91) ROW(10, ca0, ca1) ROW(11, cb0, cb1)
#undef ROW
            }
            float *z = Zp + j;
#define ST(r, x0, x1) _mm512_store_ps(z + (r) * Mp, x0); _mm512_store_ps(z + (r) * Mp + 16, x1);
            ST(0, c00, c01) ST(1, c10, c11) ST(2, c20, c21) ST(3, c30, c31)
            ST(4, c40, c41) ST(5, c50, c51) ST(6, c60, c61) ST(7, c70, c71)
            ST(8, c80, c81) ST(9, c90, c91) ST(10, ca0, ca1) ST(11, cb0, cb1)
#undef ST
        }
    }
}

static void output_tile(const struct sl_nn_wino *w, const float *Z, float *y, int t, int ti)
{
    const size_t M = (size_t)w->M, Mp = (size_t)w->Mp;
    int oy0 = ti / w->tw * 4, ox0 = ti % w->tw * 4;
    int nr = SL_MIN(4, w->OH - oy0), nc = SL_MIN(4, w->OW - ox0);
    const __m512 lo = _mm512_set1_ps(w->lo), hi = _mm512_set1_ps(w->hi);
    for (size_t m = 0; m < M; m += 16) {
        __mmask16 k = tail_mask(M - m);
        __m512 z[36], tmp[24];
        for (int p = 0; p < 36; p++)
            z[p] = _mm512_load_ps(Z + ((size_t)p * TB + (size_t)t) * Mp + m);
        for (int j = 0; j < 6; j++) {                   /* columns: A^T z */
            __m512 o[4];
            OUT_1D(z[j], z[6 + j], z[12 + j], z[18 + j], z[24 + j], z[30 + j], o);
            for (int i = 0; i < 4; i++)
                tmp[i * 6 + j] = o[i];
        }
        __m512 bias = _mm512_load_ps(w->bias + m);
        for (int i = 0; i < nr; i++) {                  /* rows: (A^T z) A */
            __m512 o[4];
            const __m512 *q = tmp + i * 6;
            OUT_1D(q[0], q[1], q[2], q[3], q[4], q[5], o);
            float *row = y + ((size_t)(oy0 + i) * (size_t)w->OW + (size_t)ox0) * M + m;
            for (int j = 0; j < nc; j++) {
                __m512 r = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(o[j], bias), lo), hi);
                _mm512_mask_storeu_ps(row + (size_t)j * M, k, r);
            }
        }
    }
}

void sl__nn_wino_blocks_avx512(const struct sl_nn_wino *w, const float *x, float *y,
                               int b0, int b1, int slot)
{
    float *V = w->scratch + (size_t)slot * w->scratch_floats;
    float *Z = V + 36 * SL_NN_WINO_VS(w->C);
    for (int blk = b0; blk < b1; blk++) {
        int t0 = blk * TB, nt = SL_MIN(TB, w->ntiles - t0);
        for (int t = 0; t < nt; t++)
            input_tile(w, x, V, t, t0 + t);
        gemm_block(w, V, Z);
        for (int t = 0; t < nt; t++)
            output_tile(w, Z, y, t, t0 + t);
    }
}
#else
typedef int sl__nn_winograd_avx512_unused;   /* ISO C: no empty translation unit */
#endif
