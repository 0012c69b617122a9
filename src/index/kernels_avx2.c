/*
 * kernels_avx2.c -- AVX2/FMA/F16C scan kernels; compiled with -mavx2 and
 * called only when sl_cpu_features() reports AVX2. int8 uses the
 * vpsignb + vpmaddubsw + vpmaddwd sequence (codes are in [-127,127], so the
 * 16-bit pair sums cannot saturate). Tested against kernels.c.
 */
#if defined(__x86_64__)
#include <immintrin.h>

#include "index_int.h"

static inline int32_t hsum_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v),
                              _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

static inline float hsum_ps(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline __m256i dot32(__m256i acc, __m256i qv, __m256i qa, __m256i c,
                            __m256i ones)
{
    __m256i p = _mm256_maddubs_epi16(qa, _mm256_sign_epi8(c, qv));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
}

static void k_i8(const int8_t *codes, size_t pdim, size_t n, const int8_t *q,
                 const uint8_t *qu, const int32_t *vsum, const float *scale,
                 float qscale, float *out)
{
    (void)qu;
    (void)vsum;
    const __m256i ones = _mm256_set1_epi16(1);
    size_t r = 0;
    for (; r + 2 <= n; r += 2) {
        const int8_t *c = codes + r * pdim;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0;
        for (size_t i = 0; i < pdim; i += 32) {
            __m256i qv = _mm256_loadu_si256((const __m256i *)(q + i));
            __m256i qa = _mm256_sign_epi8(qv, qv);
            a0 = dot32(a0, qv, qa, _mm256_loadu_si256((const __m256i *)(c + i)), ones);
            a1 = dot32(a1, qv, qa, _mm256_loadu_si256((const __m256i *)(c + pdim + i)), ones);
        }
        out[r] = (float)hsum_epi32(a0) * scale[r] * qscale;
        out[r + 1] = (float)hsum_epi32(a1) * scale[r + 1] * qscale;
    }
    for (; r < n; r++) {
        const int8_t *c = codes + r * pdim;
        __m256i a0 = _mm256_setzero_si256();
        for (size_t i = 0; i < pdim; i += 32) {
            __m256i qv = _mm256_loadu_si256((const __m256i *)(q + i));
            a0 = dot32(a0, qv, _mm256_sign_epi8(qv, qv),
                       _mm256_loadu_si256((const __m256i *)(c + i)), ones);
        }
        out[r] = (float)hsum_epi32(a0) * scale[r] * qscale;
    }
}

static void k_f32(const float *codes, size_t pdim, size_t n, const float *q,
                  float *out)
{
    for (size_t r = 0; r < n; r++) {
        const float *c = codes + r * pdim;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        for (size_t i = 0; i < pdim; i += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(c + i), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(c + i + 8), a1);
        }
        out[r] = hsum_ps(_mm256_add_ps(a0, a1));
    }
}

static void k_f16(const uint16_t *codes, size_t pdim, size_t n, const float *q,
                  float *out)
{
    for (size_t r = 0; r < n; r++) {
        const uint16_t *c = codes + r * pdim;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        for (size_t i = 0; i < pdim; i += 16) {
            __m256 c0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(c + i)));
            __m256 c1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(c + i + 8)));
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), c0, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), c1, a1);
        }
        out[r] = hsum_ps(_mm256_add_ps(a0, a1));
    }
}

static void k_i8_batch(const int8_t *codes, size_t pdim, size_t n,
                       const int8_t *q, const uint8_t *qu, size_t nq,
                       const int32_t *vsum, const float *scale,
                       const float *qscale, float *out)
{
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < nq; j++)
            k_i8(codes + r * pdim, pdim, 1, q + j * pdim, qu + j * pdim,
                 vsum + r, scale + r, qscale[j], &out[r * nq + j]);
}

static void k_f16_batch(const uint16_t *codes, size_t pdim, size_t n,
                        const float *q, size_t nq, float *out)
{
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < nq; j++)
            k_f16(codes + r * pdim, pdim, 1, q + j * pdim, &out[r * nq + j]);
}

static void k_f32_batch(const float *codes, size_t pdim, size_t n,
                        const float *q, size_t nq, float *out)
{
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < nq; j++)
            k_f32(codes + r * pdim, pdim, 1, q + j * pdim, &out[r * nq + j]);
}

static const struct sl__ix_kernels kernels = {
    "avx2", k_i8, k_f16, k_f32, k_i8_batch, k_f16_batch, k_f32_batch,
    sl__ix_above1_ref, sl__ix_abovev_ref, sl__ix_read_ref,
};

const struct sl__ix_kernels *sl__ix_kernels_avx2(void)
{
    return &kernels;
}
#else
typedef int sl__ix_avx2_unused;
#endif
