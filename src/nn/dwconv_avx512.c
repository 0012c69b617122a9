/*
 * dwconv_avx512.c -- AVX-512 kernel of the depthwise 3x3 conv (dwconv.h):
 * 16 channels per zmm (masked tail); interior pixels run the 9 taps
 * unrolled, border pixels only their in-bounds taps.
 */
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
        for (int ox = 0; ox < d->OW; ox++) {
            int ix0 = ox * d->s - d->pl;
            int j0 = ix0 < 0 ? -ix0 : 0, j1 = SL_MIN(3, d->W - ix0);
            bool full = i0 == 0 && i1 == 3 && j0 == 0 && j1 == 3;
            const ptrdiff_t base = ((ptrdiff_t)iy0 * (ptrdiff_t)W + ix0) * (ptrdiff_t)C; /* may be < 0 at borders: only in-bounds sums are dereferenced */
            float *yp = yrow + (size_t)ox * C;
            for (size_t c = 0; c < C; c += 16) {
                __mmask16 k = C - c >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (C - c)) - 1u);
                __m512 acc = _mm512_load_ps(wb + 9 * Cp + c);
                if (full) {
#define TAP(i, j) acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, x + base + (ptrdiff_t)(((i) * W + (j)) * C + c)), \
                                        _mm512_load_ps(wb + ((i) * 3 + (j)) * Cp + c), acc);
                    TAP(0, 0) TAP(0, 1) TAP(0, 2) TAP(1, 0) TAP(1, 1) TAP(1, 2)
                    TAP(2, 0) TAP(2, 1) TAP(2, 2)
#undef TAP
                } else {
                    for (int i = i0; i < i1; i++)
                        for (int j = j0; j < j1; j++)
                            acc = _mm512_fmadd_ps(
                                _mm512_maskz_loadu_ps(k, x + base + ((ptrdiff_t)i * (ptrdiff_t)W + j) * (ptrdiff_t)C + (ptrdiff_t)c),
                                _mm512_load_ps(wb + (size_t)(i * 3 + j) * Cp + c), acc);
                }
                _mm512_mask_storeu_ps(yp + c, k, _mm512_min_ps(_mm512_max_ps(acc, lo), hi));
            }
        }
    }
}
