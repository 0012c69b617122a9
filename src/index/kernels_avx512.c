/*
 * kernels_avx512.c -- AVX-512 (F/BW/VNNI) scan kernels; compiled with
 * -mavx512* and called only when sl_cpu_features() reports AVX512F+VNNI.
 * int8 uses vpdpbusd with the query shifted to u8 (q + 128) and subtracts
 * 128 * sum(codes) per row, so the gallery stays signed. Each is tested
 * against its plain-C reference in kernels.c (tests/unit/test_index.c).
 */
#if defined(__x86_64__)
#include <immintrin.h>

#include "index_int.h"

static inline float i8_score(__m512i acc, int32_t vsum, float scale, float qs)
{
    int32_t dot = _mm512_reduce_add_epi32(acc) - 128 * vsum;
    return (float)dot * scale * qs;
}

static void k_i8(const int8_t *codes, size_t pdim, size_t n, const int8_t *q,
                 const uint8_t *qu, const int32_t *vsum, const float *scale,
                 float qscale, float *out)
{
    (void)q;
    size_t r = 0;
    for (; r + 4 <= n; r += 4) {
        const int8_t *c = codes + r * pdim;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t i = 0; i < pdim; i += 64) {
            __m512i qv = _mm512_loadu_si512(qu + i);
            a0 = _mm512_dpbusd_epi32(a0, qv, _mm512_loadu_si512(c + i));
            a1 = _mm512_dpbusd_epi32(a1, qv, _mm512_loadu_si512(c + pdim + i));
            a2 = _mm512_dpbusd_epi32(a2, qv, _mm512_loadu_si512(c + 2 * pdim + i));
            a3 = _mm512_dpbusd_epi32(a3, qv, _mm512_loadu_si512(c + 3 * pdim + i));
        }
        out[r] = i8_score(a0, vsum[r], scale[r], qscale);
        out[r + 1] = i8_score(a1, vsum[r + 1], scale[r + 1], qscale);
        out[r + 2] = i8_score(a2, vsum[r + 2], scale[r + 2], qscale);
        out[r + 3] = i8_score(a3, vsum[r + 3], scale[r + 3], qscale);
    }
    for (; r < n; r++) {
        const int8_t *c = codes + r * pdim;
        __m512i a0 = _mm512_setzero_si512();
        for (size_t i = 0; i < pdim; i += 64)
            a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(qu + i),
                                     _mm512_loadu_si512(c + i));
        out[r] = i8_score(a0, vsum[r], scale[r], qscale);
    }
}

/* Sums of 16 vectors at once: element i of the result is the sum of a[i]
 * (a transpose-and-add tree: 45 operations instead of 16 full reductions). */
static inline __m512i hsum16(const __m512i *a)
{
    __m512i t[8], u[4], v[2];
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++)
        t[i] = _mm512_add_epi32(_mm512_unpacklo_epi32(a[2 * i], a[2 * i + 1]),
                                _mm512_unpackhi_epi32(a[2 * i], a[2 * i + 1]));
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++)
        u[i] = _mm512_add_epi32(_mm512_unpacklo_epi64(t[2 * i], t[2 * i + 1]),
                                _mm512_unpackhi_epi64(t[2 * i], t[2 * i + 1]));
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++)
        v[i] = _mm512_add_epi32(_mm512_shuffle_i32x4(u[2 * i], u[2 * i + 1], 0x88),
                                _mm512_shuffle_i32x4(u[2 * i], u[2 * i + 1], 0xdd));
    return _mm512_add_epi32(_mm512_shuffle_i32x4(v[0], v[1], 0x88),
                            _mm512_shuffle_i32x4(v[0], v[1], 0xdd));
}

/* 4 rows x 4 queries per tile; rows/queries left over go one at a time. */
static void k_i8_batch(const int8_t *codes, size_t pdim, size_t n,
                       const int8_t *q, const uint8_t *qu, size_t nq,
                       const int32_t *vsum, const float *scale,
                       const float *qscale, float *out)
{
    size_t r = 0;
    for (; r + 4 <= n; r += 4) {
        const int8_t *c = codes + r * pdim;
        size_t j = 0;
        for (; j + 4 <= nq; j += 4) {
            const uint8_t *u = qu + j * pdim;
            __m512i acc[16];
#pragma GCC unroll 16
            for (int t = 0; t < 16; t++)
                acc[t] = _mm512_setzero_si512();
            for (size_t i = 0; i < pdim; i += 64) {
                __m512i c0 = _mm512_loadu_si512(c + i);
                __m512i c1 = _mm512_loadu_si512(c + pdim + i);
                __m512i c2 = _mm512_loadu_si512(c + 2 * pdim + i);
                __m512i c3 = _mm512_loadu_si512(c + 3 * pdim + i);
#pragma GCC unroll 4
                for (int b = 0; b < 4; b++) {
                    __m512i qv = _mm512_loadu_si512(u + (size_t)b * pdim + i);
                    acc[0 * 4 + b] = _mm512_dpbusd_epi32(acc[0 * 4 + b], qv, c0);
                    acc[1 * 4 + b] = _mm512_dpbusd_epi32(acc[1 * 4 + b], qv, c1);
                    acc[2 * 4 + b] = _mm512_dpbusd_epi32(acc[2 * 4 + b], qv, c2);
                    acc[3 * 4 + b] = _mm512_dpbusd_epi32(acc[3 * 4 + b], qv, c3);
                }
            }
            /* lane a of the result holds rows r+a x queries j..j+3 */
            __m512i dots = hsum16(acc);
            __m512i vs = _mm512_set_epi32(
                vsum[r + 3], vsum[r + 3], vsum[r + 3], vsum[r + 3],
                vsum[r + 2], vsum[r + 2], vsum[r + 2], vsum[r + 2],
                vsum[r + 1], vsum[r + 1], vsum[r + 1], vsum[r + 1],
                vsum[r], vsum[r], vsum[r], vsum[r]);
            dots = _mm512_sub_epi32(dots, _mm512_slli_epi32(vs, 7));
            __m512 sc = _mm512_set_ps(
                scale[r + 3], scale[r + 3], scale[r + 3], scale[r + 3],
                scale[r + 2], scale[r + 2], scale[r + 2], scale[r + 2],
                scale[r + 1], scale[r + 1], scale[r + 1], scale[r + 1],
                scale[r], scale[r], scale[r], scale[r]);
            __m512 qsv = _mm512_broadcast_f32x4(_mm_loadu_ps(qscale + j));
            __m512 f = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(dots), sc), qsv);
            _mm_storeu_ps(out + r * nq + j, _mm512_extractf32x4_ps(f, 0));
            _mm_storeu_ps(out + (r + 1) * nq + j, _mm512_extractf32x4_ps(f, 1));
            _mm_storeu_ps(out + (r + 2) * nq + j, _mm512_extractf32x4_ps(f, 2));
            _mm_storeu_ps(out + (r + 3) * nq + j, _mm512_extractf32x4_ps(f, 3));
        }
        for (; j < nq; j++)
            for (size_t a = 0; a < 4; a++)
                k_i8(c + a * pdim, pdim, 1, q + j * pdim, qu + j * pdim,
                     vsum + r + a, scale + r + a, qscale[j],
                     &out[(r + a) * nq + j]);
    }
    for (; r < n; r++)
        for (size_t j = 0; j < nq; j++)
            k_i8(codes + r * pdim, pdim, 1, q + j * pdim, qu + j * pdim,
                 vsum + r, scale + r, qscale[j], &out[r * nq + j]);
}

static void k_f32(const float *codes, size_t pdim, size_t n, const float *q,
                  float *out)
{
    size_t r = 0;
    for (; r + 4 <= n; r += 4) {
        const float *c = codes + r * pdim;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t i = 0; i < pdim; i += 16) {
            __m512 qv = _mm512_loadu_ps(q + i);
            a0 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(c + i), a0);
            a1 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(c + pdim + i), a1);
            a2 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(c + 2 * pdim + i), a2);
            a3 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(c + 3 * pdim + i), a3);
        }
        out[r] = _mm512_reduce_add_ps(a0);
        out[r + 1] = _mm512_reduce_add_ps(a1);
        out[r + 2] = _mm512_reduce_add_ps(a2);
        out[r + 3] = _mm512_reduce_add_ps(a3);
    }
    for (; r < n; r++) {
        const float *c = codes + r * pdim;
        __m512 a0 = _mm512_setzero_ps();
        for (size_t i = 0; i < pdim; i += 16)
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(c + i), a0);
        out[r] = _mm512_reduce_add_ps(a0);
    }
}

static void k_f16(const uint16_t *codes, size_t pdim, size_t n, const float *q,
                  float *out)
{
    size_t r = 0;
    for (; r + 4 <= n; r += 4) {
        const uint16_t *c = codes + r * pdim;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t i = 0; i < pdim; i += 16) {
            __m512 qv = _mm512_loadu_ps(q + i);
#define LD(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
            a0 = _mm512_fmadd_ps(qv, LD(c + i), a0);
            a1 = _mm512_fmadd_ps(qv, LD(c + pdim + i), a1);
            a2 = _mm512_fmadd_ps(qv, LD(c + 2 * pdim + i), a2);
            a3 = _mm512_fmadd_ps(qv, LD(c + 3 * pdim + i), a3);
        }
        out[r] = _mm512_reduce_add_ps(a0);
        out[r + 1] = _mm512_reduce_add_ps(a1);
        out[r + 2] = _mm512_reduce_add_ps(a2);
        out[r + 3] = _mm512_reduce_add_ps(a3);
    }
    for (; r < n; r++) {
        const uint16_t *c = codes + r * pdim;
        __m512 a0 = _mm512_setzero_ps();
        for (size_t i = 0; i < pdim; i += 16)
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), LD(c + i), a0);
        out[r] = _mm512_reduce_add_ps(a0);
    }
}

static void k_f32_batch(const float *codes, size_t pdim, size_t n,
                        const float *q, size_t nq, float *out)
{
    size_t r = 0;
    for (; r + 4 <= n; r += 4) {
        const float *c = codes + r * pdim;
        size_t j = 0;
        for (; j + 4 <= nq; j += 4) {
            const float *u = q + j * pdim;
            __m512 acc[16];
#pragma GCC unroll 16
            for (int t = 0; t < 16; t++)
                acc[t] = _mm512_setzero_ps();
            for (size_t i = 0; i < pdim; i += 16) {
                __m512 c0 = _mm512_loadu_ps(c + i);
                __m512 c1 = _mm512_loadu_ps(c + pdim + i);
                __m512 c2 = _mm512_loadu_ps(c + 2 * pdim + i);
                __m512 c3 = _mm512_loadu_ps(c + 3 * pdim + i);
#pragma GCC unroll 4
                for (int b = 0; b < 4; b++) {
                    __m512 qv = _mm512_loadu_ps(u + (size_t)b * pdim + i);
                    acc[0 * 4 + b] = _mm512_fmadd_ps(qv, c0, acc[0 * 4 + b]);
                    acc[1 * 4 + b] = _mm512_fmadd_ps(qv, c1, acc[1 * 4 + b]);
                    acc[2 * 4 + b] = _mm512_fmadd_ps(qv, c2, acc[2 * 4 + b]);
                    acc[3 * 4 + b] = _mm512_fmadd_ps(qv, c3, acc[3 * 4 + b]);
                }
            }
#pragma GCC unroll 4
            for (int a = 0; a < 4; a++)
#pragma GCC unroll 4
                for (int b = 0; b < 4; b++)
                    out[(r + (size_t)a) * nq + j + (size_t)b] =
                        _mm512_reduce_add_ps(acc[a * 4 + b]);
        }
        for (; j < nq; j++)
            for (size_t a = 0; a < 4; a++)
                k_f32(c + a * pdim, pdim, 1, q + j * pdim, &out[(r + a) * nq + j]);
    }
    for (; r < n; r++)
        for (size_t j = 0; j < nq; j++)
            k_f32(codes + r * pdim, pdim, 1, q + j * pdim, &out[r * nq + j]);
}

/* fp16 batch: widen 4 rows to fp32 on the stack, then the fp32 tile. */
static void k_f16_batch(const uint16_t *codes, size_t pdim, size_t n,
                        const float *q, size_t nq, float *out)
{
    float tmp[4 * SL_INDEX_DIM_MAX] __attribute__((aligned(64)));
    for (size_t r = 0; r < n; r += 4) {
        size_t m = SL_MIN((size_t)4, n - r);
        for (size_t a = 0; a < m; a++)
            for (size_t i = 0; i < pdim; i += 16)
                _mm512_storeu_ps(tmp + a * pdim + i, LD(codes + (r + a) * pdim + i));
        k_f32_batch(tmp, pdim, m, q, nq, out + r * nq);
    }
}
#undef LD

static size_t k_above1(const float *s, size_t n, float cut, uint32_t *idx)
{
    size_t m = 0, i = 0;
    __m512 c = _mm512_set1_ps(cut);
    __m512i pos = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                    13, 14, 15);
    for (; i + 16 <= n; i += 16) {
        __mmask16 k = _mm512_cmp_ps_mask(_mm512_loadu_ps(s + i), c, _CMP_GT_OQ);
        if (k) {
            __m512i p = _mm512_add_epi32(pos, _mm512_set1_epi32((int)i));
            _mm512_mask_compressstoreu_epi32(idx + m, k, p);
            m += (size_t)__builtin_popcount(k);
        }
    }
    for (; i < n; i++)
        if (s[i] > cut)
            idx[m++] = (uint32_t)i;
    return m;
}

static size_t k_abovev(const float *s, const float *cut, size_t n, uint32_t *idx)
{
    size_t m = 0, i = 0;
    __m512i pos = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                    13, 14, 15);
    for (; i + 16 <= n; i += 16) {
        __mmask16 k = _mm512_cmp_ps_mask(_mm512_loadu_ps(s + i),
                                         _mm512_loadu_ps(cut + i), _CMP_GT_OQ);
        if (k) {
            __m512i p = _mm512_add_epi32(pos, _mm512_set1_epi32((int)i));
            _mm512_mask_compressstoreu_epi32(idx + m, k, p);
            m += (size_t)__builtin_popcount(k);
        }
    }
    for (; i < n; i++)
        if (s[i] > cut[i])
            idx[m++] = (uint32_t)i;
    return m;
}

static uint64_t k_read(const void *p, size_t bytes)
{
    const uint8_t *b = p;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < bytes; i += 256) {
        a0 = _mm512_xor_si512(a0, _mm512_loadu_si512(b + i));
        a1 = _mm512_xor_si512(a1, _mm512_loadu_si512(b + i + 64));
        a2 = _mm512_xor_si512(a2, _mm512_loadu_si512(b + i + 128));
        a3 = _mm512_xor_si512(a3, _mm512_loadu_si512(b + i + 192));
    }
    a0 = _mm512_xor_si512(_mm512_xor_si512(a0, a1), _mm512_xor_si512(a2, a3));
    return (uint64_t)_mm512_reduce_add_epi64(a0);
}

static const struct sl__ix_kernels kernels = {
    "avx512vnni", k_i8, k_f16, k_f32, k_i8_batch, k_f16_batch, k_f32_batch,
    k_above1, k_abovev, k_read,
};

const struct sl__ix_kernels *sl__ix_kernels_avx512(void)
{
    return &kernels;
}
#else
typedef int sl__ix_avx512_unused;
#endif
