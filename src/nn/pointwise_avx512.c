/*
 * pointwise_avx512.c -- AVX-512 kernel of the 1x1 conv GEMM (pointwise.h):
 * 12 rows x 32 columns per micro-tile, 24 zmm accumulators, A broadcast
 * from memory, two B vectors per k from the packed panel. Bias and the
 * output clamp are applied before the (masked, for the last panel) store.
 */
#if defined(__x86_64__)   /* x86-64 only: nothing to compile elsewhere */
#include <immintrin.h>
#include <string.h>

#include "nn/pointwise.h"

#define MR SL_NN_PW_MR

static inline __mmask16 mask_n(long n)
{
    return n >= 16 ? (__mmask16)0xffff : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/* 12 rows of A (stride lda) x panel B [C][32] -> y rows (stride ldy),
 * columns [j, j + 32) masked to M. */
static void tile(const struct sl_nn_pw *w, const float *A, size_t lda, const float *B,
                 float *y, size_t ldy, size_t j)
{
    const size_t C = (size_t)w->C;
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00,
           c60 = c00, c61 = c00, c70 = c00, c71 = c00, c80 = c00, c81 = c00,
           c90 = c00, c91 = c00, ca0 = c00, ca1 = c00, cb0 = c00, cb1 = c00;
    for (size_t k = 0; k < C; k++, B += 32) {
        __m512 b0 = _mm512_load_ps(B), b1 = _mm512_load_ps(B + 16), a;
#define ROW(r, x0, x1)                              \
        a = _mm512_set1_ps(A[(r) * lda + k]);       \
        x0 = _mm512_fmadd_ps(a, b0, x0);            \
        x1 = _mm512_fmadd_ps(a, b1, x1);
        ROW(0, c00, c01) ROW(1, c10, c11) ROW(2, c20, c21) ROW(3, c30, c31)
        ROW(4, c40, c41) ROW(5, c50, c51) ROW(6, c60, c61) ROW(7, c70, c71)
        ROW(8, c80, c81) ROW(9, c90, c91) ROW(10, ca0, ca1) ROW(11, cb0, cb1)
#undef ROW
    }
    const __m512 lo = _mm512_set1_ps(w->lo), hi = _mm512_set1_ps(w->hi);
    const __m512 bb0 = _mm512_load_ps(w->bias + j), bb1 = _mm512_load_ps(w->bias + j + 16);
    __mmask16 k0 = mask_n((long)w->M - (long)j), k1 = mask_n((long)w->M - (long)j - 16);
#define ST(r, x0, x1)                                                                    \
    _mm512_mask_storeu_ps(y + (r) * ldy + j, k0,                                         \
                          _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(x0, bb0), lo), hi)); \
    _mm512_mask_storeu_ps(y + (r) * ldy + j + 16, k1,                                    \
                          _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(x1, bb1), lo), hi));
    ST(0, c00, c01) ST(1, c10, c11) ST(2, c20, c21) ST(3, c30, c31)
    ST(4, c40, c41) ST(5, c50, c51) ST(6, c60, c61) ST(7, c70, c71)
    ST(8, c80, c81) ST(9, c90, c91) ST(10, ca0, ca1) ST(11, cb0, cb1)
#undef ST
}

/* R-row variants (R = 4, 8) for the last, partial row block: a 7x7 map
 * (49 rows) would otherwise compute 12 rows for its last 1. */
#define TILE_SMALL(R)                                                              \
static void tile##R(const struct sl_nn_pw *w, const float *A, size_t lda,         \
                    const float *B, float *y, size_t ldy, size_t j)               \
{                                                                                  \
    const size_t C = (size_t)w->C;                                                 \
    __m512 c0[R], c1[R];                                                           \
    _Pragma("GCC unroll 8")                                                        \
    for (int r = 0; r < R; r++)                                                    \
        c0[r] = c1[r] = _mm512_setzero_ps();                                       \
    for (size_t k = 0; k < C; k++, B += 32) {                                      \
        __m512 b0 = _mm512_load_ps(B), b1 = _mm512_load_ps(B + 16);                \
        _Pragma("GCC unroll 8")                                                    \
        for (int r = 0; r < R; r++) {                                              \
            __m512 a = _mm512_set1_ps(A[(size_t)r * lda + k]);                     \
            c0[r] = _mm512_fmadd_ps(a, b0, c0[r]);                                 \
            c1[r] = _mm512_fmadd_ps(a, b1, c1[r]);                                 \
        }                                                                          \
    }                                                                              \
    const __m512 lo = _mm512_set1_ps(w->lo), hi = _mm512_set1_ps(w->hi);           \
    const __m512 bb0 = _mm512_load_ps(w->bias + j), bb1 = _mm512_load_ps(w->bias + j + 16); \
    __mmask16 k0 = mask_n((long)w->M - (long)j), k1 = mask_n((long)w->M - (long)j - 16); \
    _Pragma("GCC unroll 8")                                                        \
    for (int r = 0; r < R; r++) {                                                  \
        _mm512_mask_storeu_ps(y + (size_t)r * ldy + j, k0,                         \
            _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(c0[r], bb0), lo), hi));      \
        _mm512_mask_storeu_ps(y + (size_t)r * ldy + j + 16, k1,                    \
            _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(c1[r], bb1), lo), hi));      \
    }                                                                              \
}
TILE_SMALL(4)
TILE_SMALL(8)

void sl__nn_pw_blocks_avx512(const struct sl_nn_pw *w, const float *x, float *y, int b0, int b1)
{
    const size_t C = (size_t)w->C, M = (size_t)w->M, Mp = (size_t)w->Mp;
    for (int b = b0; b < b1; b++) {
        size_t r0 = (size_t)b * MR, nr = SL_MIN((size_t)MR, (size_t)w->P - r0);
        if (nr == MR) {
            for (size_t j = 0; j < Mp; j += 32)
                tile(w, x + r0 * C, C, w->W + j * C, y + r0 * M, M, j);
        } else {                         /* partial block via zero-padded scratch */
            float *ta = w->tail, *ty = w->tail + MR * C;
            memcpy(ta, x + r0 * C, nr * C * sizeof(float));
            for (size_t j = 0; j < Mp; j += 32) {
                if (nr <= 4)
                    tile4(w, ta, C, w->W + j * C, ty, M, j);
                else if (nr <= 8)
                    tile8(w, ta, C, w->W + j * C, ty, M, j);
                else
                    tile(w, ta, C, w->W + j * C, ty, M, j);
            }
            memcpy(y + r0 * M, ty, nr * M * sizeof(float));
        }
    }
}
#else
typedef int sl__nn_pointwise_avx512_unused;   /* ISO C: no empty translation unit */
#endif
