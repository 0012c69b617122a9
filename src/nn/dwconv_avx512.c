/*
 * dwconv_avx512.c -- AVX-512 kernel of the depthwise 3x3 conv (dwconv.h):
 * 16 channels per zmm (masked tail); interior pixels run the 9 taps
 * unrolled, border pixels only their in-bounds taps.
 */
#if defined(__x86_64__)   /* x86-64 only: nothing to compile elsewhere */
#include <immintrin.h>

#include "nn/dwconv.h"

void sl__nn_dw_rows_avx512(const struct sl_nn_dw *d, const float *x, float *y, int r0, int r1)
{
    const size_t C = (size_t)d->C, Cp = (size_t)d->Cp, W = (size_t)d->W;
    const __m512 lo = _mm512_set1_ps(d->lo), hi = _mm512_set1_ps(d->hi);
    const float *wb = d->w;
    for (int oy = r0; oy < r1; oy++) {
        int iy0 = oy * d->s - d->pt;
        int i0 = iy0 < 0 ? -iy0 : 0, i1 = SL_MIN(3, d->H - iy0);
        float *yrow = y + (size_t)oy * (size_t)d->OW * C;
        /* channel chunk outer: its 9 weights and bias stay in registers
         * while the row's pixels stream by */
        for (size_t c = 0; c < C; c += 16) {
            __mmask16 k = C - c >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (C - c)) - 1u);
            const __m512 w0 = _mm512_load_ps(wb + 0 * Cp + c), w1 = _mm512_load_ps(wb + 1 * Cp + c),
                         w2 = _mm512_load_ps(wb + 2 * Cp + c), w3 = _mm512_load_ps(wb + 3 * Cp + c),
                         w4 = _mm512_load_ps(wb + 4 * Cp + c), w5 = _mm512_load_ps(wb + 5 * Cp + c),
                         w6 = _mm512_load_ps(wb + 6 * Cp + c), w7 = _mm512_load_ps(wb + 7 * Cp + c),
                         w8 = _mm512_load_ps(wb + 8 * Cp + c), bias = _mm512_load_ps(wb + 9 * Cp + c);
            const __m512 wt[9] = { w0, w1, w2, w3, w4, w5, w6, w7, w8 };
            for (int ox = 0; ox < d->OW; ox++) {
                int ix0 = ox * d->s - d->pl;
                int j0 = ix0 < 0 ? -ix0 : 0, j1 = SL_MIN(3, d->W - ix0);
                /* offset of tap (0, 0): < 0 at borders, where only the
                 * in-bounds taps are dereferenced */
                const ptrdiff_t base = ((ptrdiff_t)iy0 * (ptrdiff_t)W + ix0) * (ptrdiff_t)C + (ptrdiff_t)c;
                __m512 acc = bias;
                if (i0 == 0 && i1 == 3 && j0 == 0 && j1 == 3) {
#define TAP(i, j, wv) acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, x + base + (ptrdiff_t)(((i) * W + (j)) * C)), wv, acc);
                    TAP(0, 0, w0) TAP(0, 1, w1) TAP(0, 2, w2) TAP(1, 0, w3) TAP(1, 1, w4)
                    TAP(1, 2, w5) TAP(2, 0, w6) TAP(2, 1, w7) TAP(2, 2, w8)
#undef TAP
                } else {
                    for (int i = i0; i < i1; i++)
                        for (int j = j0; j < j1; j++)
                            acc = _mm512_fmadd_ps(
                                _mm512_maskz_loadu_ps(k, x + base + ((ptrdiff_t)i * (ptrdiff_t)W + j) * (ptrdiff_t)C),
                                wt[i * 3 + j], acc);
                }
                _mm512_mask_storeu_ps(yrow + (size_t)ox * C + c, k, _mm512_min_ps(_mm512_max_ps(acc, lo), hi));
            }
        }
    }
}
#else
typedef int sl__nn_dwconv_avx512_unused;   /* ISO C: no empty translation unit */
#endif
