/*
 * warp.c -- affine warp with bilinear sampling and a constant border
 * (image.h): the reference (double, per-pixel formula) and the fast path.
 *
 * The fast path works in float with 11-bit fixed-point weights
 * (w = round(f * 2048)) and integer blending, walks each destination row
 * with the source point recomputed per pixel (no drift), and takes a
 * branch-free route for points whose 2x2 neighbourhood is inside the
 * source; only edge pixels test each neighbour. Typical use is face
 * alignment to 112x112, a few tens of microseconds.
 */
#include <math.h>
#include <string.h>

#include "img.h"

static bool image_ok(const struct sl_image *img)
{
    return img && img->data && img->width > 0 && img->height > 0 &&
           (img->channels == 1 || img->channels == 3) &&
           img->stride >= (size_t)img->width * img->channels;
}

static bool matrix_ok(const float m[6])
{
    for (int i = 0; i < 6; i++)
        if (!isfinite(m[i]) || fabsf(m[i]) > 1e6f)
            return false;
    return true;
}

sl_status sl_image_affine_invert(float out[6], const float m[6])
{
    if (!out || !m)
        return SL_ERR_INVALID;
    double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5];
    double det = a * e - b * d;
    if (!isfinite(det) || fabs(det) < 1e-12)
        return SL_ERR_INVALID;
    double ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
    out[0] = (float)ia;
    out[1] = (float)ib;
    out[2] = (float)(-(ia * c + ib * f));
    out[3] = (float)id;
    out[4] = (float)ie;
    out[5] = (float)(-(id * c + ie * f));
    return SL_OK;
}

/* ============================ Reference ================================= */

sl_status sl__image_warp_affine_ref(struct sl_image *dst, const struct sl_image *src,
                                    const float m[6], uint8_t border)
{
    if (!image_ok(dst) || !image_ok(src) || dst->channels != src->channels ||
        !m || !matrix_ok(m))
        return SL_ERR_INVALID;
    uint32_t C = src->channels;
    for (uint32_t y = 0; y < dst->height; y++) {
        for (uint32_t x = 0; x < dst->width; x++) {
            double xs = (double)m[0] * x + (double)m[1] * y + m[2];
            double ys = (double)m[3] * x + (double)m[4] * y + m[5];
            double fx0 = floor(xs), fy0 = floor(ys);
            double fx = xs - fx0, fy = ys - fy0;
            for (uint32_t c = 0; c < C; c++) {
                double v = 0;
                for (int k = 0; k < 4; k++) {
                    double sx = fx0 + (k & 1), sy = fy0 + (k >> 1);
                    double wgt = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
                    double s = border;
                    if (sx >= 0 && sy >= 0 && sx < src->width && sy < src->height)
                        s = src->data[(size_t)sy * src->stride + (size_t)sx * C + c];
                    v += wgt * s;
                }
                long q = lround(v);
                dst->data[y * dst->stride + (size_t)x * C + c] =
                    (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
            }
        }
    }
    return SL_OK;
}

/* ============================ Fast path ================================= */

/* Blend of four samples with 11-bit weights wx, wy in 0..2048; the sum
 * is at most 255 * 2048 * 2048 < 2^30. */
#define WBITS SL__WARP_WBITS
#define WONE  (1u << WBITS)
static inline uint8_t blend(uint32_t p00, uint32_t p01, uint32_t p10, uint32_t p11,
                            uint32_t wx, uint32_t wy)
{
    uint32_t top = p00 * (WONE - wx) + p01 * wx;
    uint32_t bot = p10 * (WONE - wx) + p11 * wx;
    return (uint8_t)((top * (WONE - wy) + bot * wy + (1u << (2 * WBITS - 1))) >>
                     (2 * WBITS));
}

void sl__warp_px(uint8_t *d, const struct sl_image *src, float xs, float ys,
                 uint8_t border)
{
    const uint32_t C = src->channels;
    const int W = (int)src->width, H = (int)src->height;
    const size_t ss = src->stride;
    const uint8_t bpx[3] = { border, border, border };
    if (!(xs > -1.0f && ys > -1.0f && xs < (float)W && ys < (float)H)) {
        memset(d, border, C);                          /* wholly outside */
        return;
    }
    /* xs, ys > -1 here, so truncation of xs + 1 is floor + 1 */
    int x0 = (int)(xs + 1.0f) - 1, y0 = (int)(ys + 1.0f) - 1;
    uint32_t wx = (uint32_t)((xs - (float)x0) * (float)WONE + 0.5f);
    uint32_t wy = (uint32_t)((ys - (float)y0) * (float)WONE + 0.5f);
    const uint8_t *p00, *p01, *p10, *p11;
    if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
        p00 = src->data + (size_t)y0 * ss + (size_t)x0 * C;
        p01 = p00 + C;
        p10 = p00 + ss;
        p11 = p10 + C;
    } else {
        bool inx0 = x0 >= 0, inx1 = x0 + 1 < W;
        bool iny0 = y0 >= 0, iny1 = y0 + 1 < H;
        const uint8_t *r0 = src->data + (size_t)(iny0 ? y0 : 0) * ss;
        const uint8_t *r1 = src->data + (size_t)(iny1 ? y0 + 1 : 0) * ss;
        size_t c0 = (size_t)(inx0 ? x0 : 0) * C;
        size_t c1 = (size_t)(inx1 ? x0 + 1 : 0) * C;
        p00 = iny0 && inx0 ? r0 + c0 : bpx;
        p01 = iny0 && inx1 ? r0 + c1 : bpx;
        p10 = iny1 && inx0 ? r1 + c0 : bpx;
        p11 = iny1 && inx1 ? r1 + c1 : bpx;
    }
    for (uint32_t c = 0; c < C; c++)
        d[c] = blend(p00[c], p01[c], p10[c], p11[c], wx, wy);
}

void sl__warp_row_c(uint8_t *d, const struct sl_image *src, const float m[6],
                    uint32_t y, uint32_t w, uint8_t border)
{
    const uint32_t C = src->channels;
    float bx = m[1] * (float)y + m[2], by = m[4] * (float)y + m[5];
    for (uint32_t x = 0; x < w; x++, d += C)
        sl__warp_px(d, src, m[0] * (float)x + bx, m[3] * (float)x + by, border);
}

sl_status sl_image_warp_affine(struct sl_image *dst, const struct sl_image *src,
                               const float m[6], uint8_t border)
{
    if (!image_ok(dst) || !image_ok(src) || dst->channels != src->channels ||
        !m || !matrix_ok(m))
        return SL_ERR_INVALID;
    sl__warp_row_fn row = sl__img_warp_row();
    for (uint32_t y = 0; y < dst->height; y++)
        row(dst->data + y * dst->stride, src, m, y, dst->width, border);
    return SL_OK;
}
