/*
 * warp_avx2.c -- one destination row of the affine warp, 8 pixels at a
 * time with AVX2 gathers (compiled with -mavx2 -mfma; called only when
 * sl_cpu_features() has SL_CPU_AVX2). Same arithmetic as sl__warp_px()
 * (float source point, 11-bit weights, integer blend), so results match
 * the C row exactly; groups of 8 that touch an edge, and the row tail, go
 * through sl__warp_px().
 *
 * Each gather reads 4 bytes at a pixel, one more than an RGB pixel (three
 * more for gray), so a group is taken here only when those bytes lie
 * inside the row: x0 + 3 <= W for RGB, x0 + 5 <= W for gray.
 */
#if defined(__x86_64__)   /* x86-64 only: nothing to compile elsewhere */
#include <immintrin.h>
#include <string.h>

#include "img.h"

#define WONE (1 << SL__WARP_WBITS)

void sl__warp_row_avx2(uint8_t *d, const struct sl_image *src, const float m[6],
                       uint32_t y, uint32_t w, uint8_t border)
{
    const int C = (int)src->channels;
    if ((uint64_t)src->stride * src->height >= (1u << 31) - 64) {
        sl__warp_row_c(d, src, m, y, w, border);      /* offsets need > 31 bits */
        return;
    }
    const float bx = m[1] * (float)y + m[2], by = m[4] * (float)y + m[5];
    const __m256 vm0 = _mm256_set1_ps(m[0]), vm3 = _mm256_set1_ps(m[3]);
    const __m256 vbx = _mm256_set1_ps(bx), vby = _mm256_set1_ps(by);
    const __m256 zero = _mm256_setzero_ps();
    const __m256 hix = _mm256_set1_ps((float)src->width - (C == 3 ? 2.0f : 4.0f));
    const __m256 hiy = _mm256_set1_ps((float)src->height - 1.0f);
    const __m256 scale = _mm256_set1_ps((float)WONE), half = _mm256_set1_ps(0.5f);
    const __m256 iota = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i vstride = _mm256_set1_epi32((int)src->stride);
    const __m256i vc = _mm256_set1_epi32(C), wone = _mm256_set1_epi32(WONE);
    const __m256i rnd = _mm256_set1_epi32(1 << (2 * SL__WARP_WBITS - 1));
    const __m256i ff = _mm256_set1_epi32(0xff);
    const int *base = (const int *)(const void *)src->data;
    uint32_t x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256 xf = _mm256_add_ps(_mm256_set1_ps((float)x), iota);
        __m256 xs = _mm256_add_ps(_mm256_mul_ps(vm0, xf), vbx);
        __m256 ys = _mm256_add_ps(_mm256_mul_ps(vm3, xf), vby);
        __m256 ok = _mm256_and_ps(
            _mm256_and_ps(_mm256_cmp_ps(xs, zero, _CMP_GE_OQ),
                          _mm256_cmp_ps(xs, hix, _CMP_LT_OQ)),
            _mm256_and_ps(_mm256_cmp_ps(ys, zero, _CMP_GE_OQ),
                          _mm256_cmp_ps(ys, hiy, _CMP_LT_OQ)));
        if (_mm256_movemask_ps(ok) != 0xff) {
            for (uint32_t k = x; k < x + 8; k++)
                sl__warp_px(d + (size_t)k * C, src, m[0] * (float)k + bx,
                            m[3] * (float)k + by, border);
            continue;
        }
        __m256i x0 = _mm256_cvttps_epi32(xs), y0 = _mm256_cvttps_epi32(ys);
        __m256i wx = _mm256_cvttps_epi32(_mm256_add_ps(
            _mm256_mul_ps(_mm256_sub_ps(xs, _mm256_cvtepi32_ps(x0)), scale), half));
        __m256i wy = _mm256_cvttps_epi32(_mm256_add_ps(
            _mm256_mul_ps(_mm256_sub_ps(ys, _mm256_cvtepi32_ps(y0)), scale), half));
        __m256i iwx = _mm256_sub_epi32(wone, wx), iwy = _mm256_sub_epi32(wone, wy);
        __m256i off = _mm256_add_epi32(_mm256_mullo_epi32(y0, vstride),
                                       _mm256_mullo_epi32(x0, vc));
        __m256i offd = _mm256_add_epi32(off, vstride);
        __m256i g00 = _mm256_i32gather_epi32(base, off, 1);
        __m256i g01 = _mm256_i32gather_epi32(base, _mm256_add_epi32(off, vc), 1);
        __m256i g10 = _mm256_i32gather_epi32(base, offd, 1);
        __m256i g11 = _mm256_i32gather_epi32(base, _mm256_add_epi32(offd, vc), 1);
        __m256i res = _mm256_setzero_si256();
        for (int c = 0; c < C; c++) {
            __m128i sh = _mm_cvtsi32_si128(8 * c);
            __m256i p00 = _mm256_and_si256(_mm256_srl_epi32(g00, sh), ff);
            __m256i p01 = _mm256_and_si256(_mm256_srl_epi32(g01, sh), ff);
            __m256i p10 = _mm256_and_si256(_mm256_srl_epi32(g10, sh), ff);
            __m256i p11 = _mm256_and_si256(_mm256_srl_epi32(g11, sh), ff);
            __m256i top = _mm256_add_epi32(_mm256_mullo_epi32(p00, iwx),
                                           _mm256_mullo_epi32(p01, wx));
            __m256i bot = _mm256_add_epi32(_mm256_mullo_epi32(p10, iwx),
                                           _mm256_mullo_epi32(p11, wx));
            __m256i v = _mm256_add_epi32(_mm256_add_epi32(_mm256_mullo_epi32(top, iwy),
                                                          _mm256_mullo_epi32(bot, wy)),
                                         rnd);
            v = _mm256_srli_epi32(v, 2 * SL__WARP_WBITS);
            res = _mm256_or_si256(res, _mm256_sll_epi32(v, sh));
        }
        uint8_t tmp[32];
        if (C == 3) {
            const __m256i pick = _mm256_setr_epi8(
                0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
                0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
            _mm256_storeu_si256((__m256i *)(void *)tmp, _mm256_shuffle_epi8(res, pick));
            memcpy(d + (size_t)x * 3, tmp, 12);
            memcpy(d + (size_t)x * 3 + 12, tmp + 16, 12);
        } else {
            const __m256i pick = _mm256_setr_epi8(
                0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
            _mm256_storeu_si256((__m256i *)(void *)tmp, _mm256_shuffle_epi8(res, pick));
            memcpy(d + x, tmp, 4);
            memcpy(d + x + 4, tmp + 16, 4);
        }
    }
    for (; x < w; x++)
        sl__warp_px(d + (size_t)x * C, src, m[0] * (float)x + bx,
                    m[3] * (float)x + by, border);
}
#else
typedef int sl__img_warp_avx2_unused;   /* ISO C: no empty translation unit */
#endif
