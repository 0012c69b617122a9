/*
 * ops.c -- colour conversion, crop with padding, statistics (image.h).
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

/* ============================ Colour ====================================
 * Weights in 16-bit fixed point, summing to 65536 (exact for white):
 * 0.299 -> 19595, 0.587 -> 38470, 0.114 -> 7471. */
void sl__rgb_to_gray_row(uint8_t *dst, const uint8_t *rgb, size_t n,
                         enum sl_gray_weights w)
{
    uint32_t wr = 19595, wg = 38470, wb = 7471;
    if (w == SL_GRAY_BT601_BGR) {
        wr = 7471;
        wb = 19595;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)((wr * rgb[3 * i] + wg * rgb[3 * i + 1] +
                            wb * rgb[3 * i + 2] + 32768) >> 16);
}

sl_status sl_image_to_gray(struct sl_image **out, const struct sl_image *src,
                           enum sl_gray_weights w)
{
    if (!out || !image_ok(src) || (w != SL_GRAY_BT601 && w != SL_GRAY_BT601_BGR))
        return SL_ERR_INVALID;
    if (src->channels == 1)
        return sl_image_clone(out, src);
    struct sl_image *g;
    sl_status st = sl_image_new(&g, src->width, src->height, 1);
    if (st != SL_OK)
        return st;
    for (uint32_t y = 0; y < src->height; y++)
        sl__rgb_to_gray_row(g->data + y * g->stride, src->data + y * src->stride,
                            src->width, w);
    *out = g;
    return SL_OK;
}

sl_status sl_image_to_rgb(struct sl_image **out, const struct sl_image *src)
{
    if (!out || !image_ok(src))
        return SL_ERR_INVALID;
    if (src->channels == 3)
        return sl_image_clone(out, src);
    struct sl_image *c;
    sl_status st = sl_image_new(&c, src->width, src->height, 3);
    if (st != SL_OK)
        return st;
    for (uint32_t y = 0; y < src->height; y++) {
        const uint8_t *s = src->data + y * src->stride;
        uint8_t *d = c->data + y * c->stride;
        for (uint32_t x = 0; x < src->width; x++)
            d[3 * x] = d[3 * x + 1] = d[3 * x + 2] = s[x];
    }
    *out = c;
    return SL_OK;
}

/* ============================ Crop ====================================== */

sl_status sl_image_crop(struct sl_image **out, const struct sl_image *src,
                        int32_t x, int32_t y, uint32_t width, uint32_t height,
                        uint8_t fill)
{
    if (!out || !image_ok(src))
        return SL_ERR_INVALID;
    struct sl_image *d;
    sl_status st = sl_image_new(&d, width, height, src->channels);
    if (st != SL_OK)
        return st;
    size_t C = src->channels;
    /* the overlap of [x, x+width) with [0, src->width), in src coordinates */
    int64_t x0 = SL_MAX((int64_t)x, 0);
    int64_t x1 = SL_MIN((int64_t)x + width, (int64_t)src->width);
    for (uint32_t j = 0; j < height; j++) {
        uint8_t *row = d->data + j * d->stride;
        int64_t sy = (int64_t)y + j;
        if (sy < 0 || sy >= src->height || x1 <= x0) {
            memset(row, fill, width * C);
            continue;
        }
        size_t left = (size_t)(x0 - x), n = (size_t)(x1 - x0);
        memset(row, fill, left * C);
        memcpy(row + left * C, src->data + (size_t)sy * src->stride + (size_t)x0 * C,
               n * C);
        memset(row + (left + n) * C, fill, (width - left - n) * C);
    }
    *out = d;
    return SL_OK;
}

/* ============================ Statistics ================================ */

sl_status sl_image_mean_std(const struct sl_image *src, double mean[3],
                            double std[3])
{
    if (!image_ok(src) || !mean || !std)
        return SL_ERR_INVALID;
    uint32_t C = src->channels;
    uint64_t sum[3] = { 0 }, sq[3] = { 0 };
    for (uint32_t y = 0; y < src->height; y++) {
        const uint8_t *r = src->data + y * src->stride;
        uint64_t rs[3] = { 0 }, rq[3] = { 0 };
        for (uint32_t x = 0; x < src->width; x++)
            for (uint32_t c = 0; c < C; c++) {
                uint32_t v = r[(size_t)x * C + c];
                rs[c] += v;
                rq[c] += v * v;
            }
        for (uint32_t c = 0; c < C; c++) {
            sum[c] += rs[c];
            sq[c] += rq[c];
        }
    }
    double n = (double)src->width * src->height;
    for (uint32_t c = 0; c < C; c++) {
        double m = (double)sum[c] / n;
        double var = (double)sq[c] / n - m * m;
        mean[c] = m;
        std[c] = var > 0 ? sqrt(var) : 0;
    }
    return SL_OK;
}

/* Gray value times 1000: exact integers for the BT.601 weights. */
static inline int64_t gray1000(const uint8_t *p, uint32_t channels)
{
    if (channels == 1)
        return 1000 * (int64_t)p[0];
    return 299 * (int64_t)p[0] + 587 * (int64_t)p[1] + 114 * (int64_t)p[2];
}

sl_status sl_image_laplacian_var(const struct sl_image *src, double *out)
{
    if (!image_ok(src) || !out)
        return SL_ERR_INVALID;
    *out = 0;
    if (src->width < 3 || src->height < 3)
        return SL_OK;
    uint32_t C = src->channels;
    double sum = 0, sq = 0;
    for (uint32_t y = 1; y + 1 < src->height; y++) {
        const uint8_t *up = src->data + (y - 1) * src->stride;
        const uint8_t *r = up + src->stride, *dn = r + src->stride;
        double rs = 0, rq = 0;
        for (uint32_t x = 1; x + 1 < src->width; x++) {
            int64_t l = gray1000(up + x * C, C) + gray1000(dn + x * C, C) +
                        gray1000(r + (x - 1) * C, C) + gray1000(r + (x + 1) * C, C) -
                        4 * gray1000(r + x * C, C);
            double v = (double)l / 1000.0;
            rs += v;
            rq += v * v;
        }
        sum += rs;
        sq += rq;
    }
    double n = (double)(src->width - 2) * (src->height - 2);
    double m = sum / n, var = sq / n - m * m;
    *out = var > 0 ? var : 0;
    return SL_OK;
}
