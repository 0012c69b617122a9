/*
 * resize_avx2.c -- the resize vertical-accumulate kernel with AVX2+FMA
 * (compiled with -mavx2 -mfma; called only when sl_cpu_features() has
 * SL_CPU_AVX2). Same contract and result as sl__vacc_c (img.h).
 */
#if defined(__x86_64__)   /* x86-64 only: nothing to compile elsewhere */
#include <immintrin.h>

#include "img.h"

void sl__vacc_avx2(float *acc, const uint8_t *row, size_t n, float wt, bool first)
{
    __m256 w = _mm256_set1_ps(wt);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(row + i));
        __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
        __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(b, 8)));
        if (first) {
            _mm256_storeu_ps(acc + i, _mm256_mul_ps(w, lo));
            _mm256_storeu_ps(acc + i + 8, _mm256_mul_ps(w, hi));
        } else {
            _mm256_storeu_ps(acc + i, _mm256_fmadd_ps(w, lo, _mm256_loadu_ps(acc + i)));
            _mm256_storeu_ps(acc + i + 8,
                             _mm256_fmadd_ps(w, hi, _mm256_loadu_ps(acc + i + 8)));
        }
    }
    for (; i < n; i++)
        acc[i] = first ? wt * (float)row[i] : acc[i] + wt * (float)row[i];
}
#else
typedef int sl__img_resize_avx2_unused;   /* ISO C: no empty translation unit */
#endif
