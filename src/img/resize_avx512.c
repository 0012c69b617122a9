/*
 * resize_avx512.c -- the resize vertical-accumulate kernel with AVX-512F
 * (compiled with the AVX-512 flags; called only when sl_cpu_features() has
 * SL_CPU_AVX512F). Same contract and result as sl__vacc_c (img.h); the
 * tail uses a masked load/store instead of a scalar loop.
 */
#if defined(__x86_64__)   /* x86-64 only: nothing to compile elsewhere */
#include <immintrin.h>

#include "img.h"

void sl__vacc_avx512(float *acc, const uint8_t *row, size_t n, float wt, bool first)
{
    __m512 w = _mm512_set1_ps(wt);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 a = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(
            _mm_loadu_si128((const __m128i *)(row + i))));
        __m512 b = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(
            _mm_loadu_si128((const __m128i *)(row + i + 16))));
        if (first) {
            _mm512_storeu_ps(acc + i, _mm512_mul_ps(w, a));
            _mm512_storeu_ps(acc + i + 16, _mm512_mul_ps(w, b));
        } else {
            _mm512_storeu_ps(acc + i, _mm512_fmadd_ps(w, a, _mm512_loadu_ps(acc + i)));
            _mm512_storeu_ps(acc + i + 16,
                             _mm512_fmadd_ps(w, b, _mm512_loadu_ps(acc + i + 16)));
        }
    }
    while (i < n) {
        size_t left = n - i;
        __mmask16 m = left >= 16 ? (__mmask16)0xffff
                                 : (__mmask16)((1u << left) - 1);
        __m512 a = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(
            _mm_maskz_loadu_epi8(m, row + i)));
        __m512 v = first ? _mm512_mul_ps(w, a)
                         : _mm512_fmadd_ps(w, a, _mm512_maskz_loadu_ps(m, acc + i));
        _mm512_mask_storeu_ps(acc + i, m, v);
        i += left >= 16 ? 16 : left;
    }
}
#else
typedef int sl__img_resize_avx512_unused;   /* ISO C: no empty translation unit */
#endif
