/*
 * resize.c -- bilinear / area resize (image.h), the reference version and
 * the separable fast path.
 *
 * Definition (both paths): along each axis, destination index i takes
 * source taps with weights that sum to 1:
 * - shrink by more than 2x (src/dst > 2): area averaging; destination
 *   pixel i covers [i * s, (i + 1) * s) in source pixel units (s = src/dst)
 *   and each source pixel weighs its overlap / s;
 * - otherwise bilinear: u = (i + 0.5) * s - 0.5 clamped to [0, src - 1];
 *   taps floor(u) and floor(u) + 1 with weights 1 - f and f.
 * The 2-D result is the product of the two axes' weights.
 *
 * Fast path, per destination row: the weighted sum of the source rows it
 * needs into one float row (the "vertical accumulate" kernel, the only
 * part whose cost scales with the source size; AVX2/AVX-512 versions in
 * resize_avx2.c / resize_avx512.c), then the horizontal taps. A 1920x1280
 * RGB photo to 320x240 reads each source byte about once.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "img.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static bool image_ok(const struct sl_image *img)
{
    return img && img->data && img->width > 0 && img->height > 0 &&
           (img->channels == 1 || img->channels == 3) &&
           img->stride >= (size_t)img->width * img->channels;
}

/* ============================ Kernel choice ============================= */

static sl__vacc_fn vacc = sl__vacc_c;
static sl__warp_row_fn warp_row = sl__warp_row_c;
#if defined(__SSE2__)
static const char *kernels_name = "sse2";     /* sl__vacc_c, hpass3 */
#else
static const char *kernels_name = "c";
#endif
static pthread_once_t pick_once = PTHREAD_ONCE_INIT;

static void pick(void)
{
    uint32_t f = sl_cpu_features();
#if defined(__x86_64__)
    if (f & SL_CPU_AVX2) {
        vacc = sl__vacc_avx2;
        warp_row = sl__warp_row_avx2;
        kernels_name = "avx2";
    }
    if (f & SL_CPU_AVX512F) {
        vacc = sl__vacc_avx512;          /* warp stays AVX2 (gathers) */
        kernels_name = "avx512";
    }
#else
    (void)f;
#endif
}

sl__warp_row_fn sl__img_warp_row(void)
{
    pthread_once(&pick_once, pick);
    return warp_row;
}

const char *sl__img_kernels_name(void)
{
    pthread_once(&pick_once, pick);
    return kernels_name;
}

/* The baseline kernel: SSE2 on x86-64 (part of the base ISA, so always
 * present), a plain loop elsewhere (-O2 does not vectorize it). */
void sl__vacc_c(float *acc, const uint8_t *row, size_t n, float wt, bool first)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128 w = _mm_set1_ps(wt);
    const __m128i z = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(row + i));
        __m128i lo = _mm_unpacklo_epi8(b, z), hi = _mm_unpackhi_epi8(b, z);
        __m128 v[4] = {
            _mm_cvtepi32_ps(_mm_unpacklo_epi16(lo, z)),
            _mm_cvtepi32_ps(_mm_unpackhi_epi16(lo, z)),
            _mm_cvtepi32_ps(_mm_unpacklo_epi16(hi, z)),
            _mm_cvtepi32_ps(_mm_unpackhi_epi16(hi, z)),
        };
        for (int k = 0; k < 4; k++) {
            __m128 p = _mm_mul_ps(w, v[k]);
            if (!first)
                p = _mm_add_ps(p, _mm_loadu_ps(acc + i + 4 * k));
            _mm_storeu_ps(acc + i + 4 * k, p);
        }
    }
#endif
    for (; i < n; i++)
        acc[i] = first ? wt * (float)row[i] : acc[i] + wt * (float)row[i];
}

/* ============================ Tap tables ================================ */

static uint32_t axis_maxtaps(uint32_t src, uint32_t dst)
{
    if ((uint64_t)src > 2 * (uint64_t)dst)
        return (src + dst - 1) / dst + 1;     /* ceil(s) + 1 */
    return 2;
}

/* Fills start/count/w (w has n * maxtaps floats) per the definition above;
 * the reference and the fast path share these tables. */
static void axis_build(struct sl__resize_axis *ax, uint32_t src, uint32_t dst)
{
    double s = (double)src / dst;
    ax->n = dst;
    for (uint32_t i = 0; i < dst; i++) {
        float *w = ax->w + (size_t)i * ax->maxtaps;
        if ((uint64_t)src > 2 * (uint64_t)dst) {
            /* exact in integers: pixel i covers [i*src, (i+1)*src) in
             * units of 1/dst source pixels */
            uint64_t a = (uint64_t)i * src, b = (uint64_t)(i + 1) * src;
            uint32_t s0 = (uint32_t)(a / dst);
            uint32_t s1 = (uint32_t)((b + dst - 1) / dst);
            ax->start[i] = s0;
            ax->count[i] = s1 - s0;
            for (uint32_t k = s0; k < s1; k++) {
                uint64_t lo = SL_MAX(a, (uint64_t)k * dst);
                uint64_t hi = SL_MIN(b, (uint64_t)(k + 1) * dst);
                w[k - s0] = (float)((double)(hi - lo) / src);
            }
        } else {
            double u = (i + 0.5) * s - 0.5;
            if (u < 0)
                u = 0;
            uint32_t x0 = (uint32_t)floor(u);
            double f = u - x0;
            if (x0 >= src - 1) {
                ax->start[i] = src - 1;
                ax->count[i] = 1;
                w[0] = 1.0f;
            } else {
                ax->start[i] = x0;
                ax->count[i] = 2;
                w[0] = (float)(1.0 - f);
                w[1] = (float)f;
            }
        }
    }
}

/* One allocation for both axes' tables (+ an optional float row). */
struct scratch {
    struct sl__resize_axis x, y;
    float *row;
    void  *block;
};

static sl_status scratch_init(struct scratch *sc, uint32_t sw, uint32_t sh,
                              uint32_t dw, uint32_t dh, size_t row_floats)
{
    sc->x.maxtaps = axis_maxtaps(sw, dw);
    sc->y.maxtaps = axis_maxtaps(sh, dh);
    size_t nf = (size_t)dw * sc->x.maxtaps + (size_t)dh * sc->y.maxtaps + row_floats;
    size_t nu = 2 * ((size_t)dw + dh);
    sc->block = sl__aligned_alloc(64, nf * sizeof(float) + nu * sizeof(uint32_t) + 64);
    if (!sc->block)
        return SL_ERR_NOMEM;
    float *f = sc->block;
    sc->row = f;                                  /* 64-byte aligned first */
    f += (row_floats + 15) & ~(size_t)15;
    sc->x.w = f;
    f += (size_t)dw * sc->x.maxtaps;
    sc->y.w = f;
    f += (size_t)dh * sc->y.maxtaps;
    uint32_t *u = (uint32_t *)f;
    sc->x.start = u;
    sc->x.count = u + dw;
    sc->y.start = u + 2 * (size_t)dw;
    sc->y.count = u + 2 * (size_t)dw + dh;
    axis_build(&sc->x, sw, dw);
    axis_build(&sc->y, sh, dh);
    return SL_OK;
}

static inline uint8_t to_u8(float v)
{
    int i = (int)(v + 0.5f);
    return (uint8_t)(i < 0 ? 0 : i > 255 ? 255 : i);
}

/* ============================ Reference ================================= */

sl_status sl__image_resize_ref(struct sl_image *dst, const struct sl_image *src)
{
    if (!image_ok(dst) || !image_ok(src) || dst->channels != src->channels)
        return SL_ERR_INVALID;
    struct scratch sc;
    sl_status st = scratch_init(&sc, src->width, src->height, dst->width,
                                dst->height, 0);
    if (st != SL_OK)
        return st;
    uint32_t C = src->channels;
    for (uint32_t j = 0; j < dst->height; j++) {
        const float *wy = sc.y.w + (size_t)j * sc.y.maxtaps;
        for (uint32_t i = 0; i < dst->width; i++) {
            const float *wx = sc.x.w + (size_t)i * sc.x.maxtaps;
            for (uint32_t c = 0; c < C; c++) {
                double v = 0;
                for (uint32_t ky = 0; ky < sc.y.count[j]; ky++) {
                    const uint8_t *r = src->data +
                                       (size_t)(sc.y.start[j] + ky) * src->stride;
                    for (uint32_t kx = 0; kx < sc.x.count[i]; kx++)
                        v += (double)wy[ky] * wx[kx] *
                             r[(size_t)(sc.x.start[i] + kx) * C + c];
                }
                long q = lround(v);
                dst->data[j * dst->stride + (size_t)i * C + c] =
                    (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
            }
        }
    }
    sl__free(sc.block);
    return SL_OK;
}

/* ============================ Fast path ================================= */

static void hpass3(uint8_t *d, const float *acc, const struct sl__resize_axis *ax)
{
#if defined(__SSE2__)
    /* one 4-float load per tap (R, G, B and the next sample, weighted but
     * unused): acc has at least one float of padding after the row */
    for (uint32_t i = 0; i < ax->n; i++) {
        const float *w = ax->w + (size_t)i * ax->maxtaps;
        const float *a = acc + (size_t)ax->start[i] * 3;
        __m128 v = _mm_setzero_ps();
        for (uint32_t k = 0; k < ax->count[i]; k++, a += 3)
            v = _mm_add_ps(v, _mm_mul_ps(_mm_set1_ps(w[k]), _mm_loadu_ps(a)));
        v = _mm_add_ps(v, _mm_set1_ps(0.5f));
        __m128i q = _mm_cvttps_epi32(_mm_max_ps(v, _mm_setzero_ps()));
        q = _mm_packs_epi32(q, q);
        q = _mm_packus_epi16(q, q);
        uint32_t px = (uint32_t)_mm_cvtsi128_si32(q);
        d[3 * i] = (uint8_t)px;
        d[3 * i + 1] = (uint8_t)(px >> 8);
        d[3 * i + 2] = (uint8_t)(px >> 16);
    }
#else
    for (uint32_t i = 0; i < ax->n; i++) {
        const float *w = ax->w + (size_t)i * ax->maxtaps;
        const float *a = acc + (size_t)ax->start[i] * 3;
        float r = 0, g = 0, b = 0;
        for (uint32_t k = 0; k < ax->count[i]; k++, a += 3) {
            r += w[k] * a[0];
            g += w[k] * a[1];
            b += w[k] * a[2];
        }
        d[3 * i] = to_u8(r);
        d[3 * i + 1] = to_u8(g);
        d[3 * i + 2] = to_u8(b);
    }
#endif
}

static void hpass1(uint8_t *d, const float *acc, const struct sl__resize_axis *ax)
{
    for (uint32_t i = 0; i < ax->n; i++) {
        const float *w = ax->w + (size_t)i * ax->maxtaps;
        const float *a = acc + ax->start[i];
        float v = 0;
        for (uint32_t k = 0; k < ax->count[i]; k++)
            v += w[k] * a[k];
        d[i] = to_u8(v);
    }
}

sl_status sl_image_resize_into(struct sl_image *dst, const struct sl_image *src)
{
    if (!image_ok(dst) || !image_ok(src) || dst->channels != src->channels)
        return SL_ERR_INVALID;
    pthread_once(&pick_once, pick);
    uint32_t C = src->channels;
    size_t n = (size_t)src->width * C;
    struct scratch sc;
    sl_status st = scratch_init(&sc, src->width, src->height, dst->width,
                                dst->height, n + 16);
    if (st != SL_OK)
        return st;
    memset(sc.row + n, 0, 16 * sizeof(float));    /* padding read by hpass3 */
    for (uint32_t j = 0; j < dst->height; j++) {
        const float *wy = sc.y.w + (size_t)j * sc.y.maxtaps;
        const uint8_t *r = src->data + (size_t)sc.y.start[j] * src->stride;
        for (uint32_t k = 0; k < sc.y.count[j]; k++, r += src->stride)
            vacc(sc.row, r, n, wy[k], k == 0);
        uint8_t *d = dst->data + j * dst->stride;
        if (C == 3)
            hpass3(d, sc.row, &sc.x);
        else
            hpass1(d, sc.row, &sc.x);
    }
    sl__free(sc.block);
    return SL_OK;
}

sl_status sl_image_resize(struct sl_image **out, const struct sl_image *src,
                          uint32_t width, uint32_t height)
{
    if (!out || !image_ok(src))
        return SL_ERR_INVALID;
    struct sl_image *d;
    sl_status st = sl_image_new(&d, width, height, src->channels);
    if (st != SL_OK)
        return st;
    st = sl_image_resize_into(d, src);
    if (st != SL_OK) {
        sl_image_free(d);
        return st;
    }
    *out = d;
    return SL_OK;
}
