/*
 * image.c -- image objects, limits, the decode entry point (format sniffing,
 * common checks, EXIF orientation) (image.h, img.h).
 */
#include <string.h>

#include "img.h"

/* ============================ Images ==================================== */

sl_status sl_image_new(struct sl_image **out, uint32_t width, uint32_t height,
                       uint32_t channels)
{
    if (!out || width == 0 || height == 0 || width > SL_IMAGE_DIM_MAX ||
        height > SL_IMAGE_DIM_MAX || (channels != 1 && channels != 3))
        return SL_ERR_INVALID;
    size_t stride = ((size_t)width * channels + 63) & ~(size_t)63;
    size_t bytes;
    if (sl__mul_overflow(stride, height, &bytes))
        return SL_ERR_INVALID;
    struct sl_image *img = sl__malloc(sizeof(*img));
    if (!img)
        return SL_ERR_NOMEM;
    img->data = sl__aligned_alloc(64, bytes);
    if (!img->data) {
        sl__free(img);
        return SL_ERR_NOMEM;
    }
    img->width = width;
    img->height = height;
    img->channels = channels;
    img->stride = stride;
    *out = img;
    return SL_OK;
}

void sl_image_free(struct sl_image *img)
{
    if (!img)
        return;
    sl__free(img->data);
    sl__free(img);
}

sl_status sl_image_clone(struct sl_image **out, const struct sl_image *src)
{
    if (!out || !src || !src->data)
        return SL_ERR_INVALID;
    struct sl_image *img;
    sl_status st = sl_image_new(&img, src->width, src->height, src->channels);
    if (st != SL_OK)
        return st;
    size_t row = (size_t)src->width * src->channels;
    for (uint32_t y = 0; y < src->height; y++)
        memcpy(img->data + y * img->stride, src->data + y * src->stride, row);
    *out = img;
    return SL_OK;
}

/* ============================ Limits and sniffing ======================= */

struct sl_image_limits sl_image_limits_default(void)
{
    struct sl_image_limits l = {
        .max_bytes = SL_IMAGE_DEFAULT_MAX_BYTES,
        .max_width = SL_IMAGE_DEFAULT_MAX_WIDTH,
        .max_height = SL_IMAGE_DEFAULT_MAX_HEIGHT,
        .max_pixels = SL_IMAGE_DEFAULT_MAX_PIXELS,
    };
    return l;
}

const char *sl_image_format_name(enum sl_image_format f)
{
    switch (f) {
    case SL_IMAGE_FORMAT_JPEG:
        return "jpeg";
    case SL_IMAGE_FORMAT_PNG:
        return "png";
    default:
        return "unknown";
    }
}

enum sl_image_format sl_image_sniff(const uint8_t *buf, size_t len)
{
    static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    if (!buf)
        return SL_IMAGE_FORMAT_UNKNOWN;
    if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff)
        return SL_IMAGE_FORMAT_JPEG;
    if (len >= 8 && memcmp(buf, png_sig, 8) == 0)
        return SL_IMAGE_FORMAT_PNG;
    return SL_IMAGE_FORMAT_UNKNOWN;
}

sl_status sl__image_check_dims(const struct sl_image_limits *lim,
                               uint64_t width, uint64_t height)
{
    if (width == 0 || height == 0)
        return SL_ERR_IMG_DIMENSIONS;
    if (width > lim->max_width || width > SL_IMAGE_DIM_MAX)
        return SL_ERR_IMG_WIDTH;
    if (height > lim->max_height || height > SL_IMAGE_DIM_MAX)
        return SL_ERR_IMG_HEIGHT;
    if (width * height > lim->max_pixels)   /* both <= 65535: no overflow */
        return SL_ERR_IMG_PIXELS;
    return SL_OK;
}

/* ============================ Orientation ===============================
 * Display pixel (xd, yd) of an image stored W x H shows stored pixel
 * (xs, ys), per the EXIF 2.3 definition of tag 0x0112 ("the 0th row is the
 * visual top/bottom/left/right, the 0th column is the visual ..."):
 *   1 (xd, yd)            2 (W-1-xd, yd)        3 (W-1-xd, H-1-yd)
 *   4 (xd, H-1-yd)        5 (yd, xd)            6 (yd, H-1-xd)
 *   7 (W-1-yd, H-1-xd)    8 (W-1-yd, xd)
 * Orientations 5..8 swap width and height. */
sl_status sl__image_orient(struct sl_image **out, const struct sl_image *src,
                           uint32_t o)
{
    if (o < 2 || o > 8)
        return sl_image_clone(out, src);
    uint32_t W = src->width, H = src->height, C = src->channels;
    bool swap = o >= 5;
    struct sl_image *d;
    sl_status st = sl_image_new(&d, swap ? H : W, swap ? W : H, C);
    if (st != SL_OK)
        return st;
    const uint8_t *row0 = src->data, *rowl = src->data + (size_t)(H - 1) * src->stride;
    ptrdiff_t sstride = (ptrdiff_t)src->stride, c = (ptrdiff_t)C;
    ptrdiff_t step;                 /* source pointer step for xd + 1 */
    switch (o) {
    case 2: case 3: step = -c; break;
    case 4: step = c; break;
    case 5: case 8: step = sstride; break;
    default: step = -sstride; break;                       /* 6, 7 */
    }
    /* 64x64 tiles: for 5..8 a destination row walks a source column, so
     * without tiling every pixel would touch a new cache line */
    const uint32_t T = 64;
    for (uint32_t ty = 0; ty < d->height; ty += T) {
        uint32_t yend = SL_MIN(ty + T, d->height);
        for (uint32_t tx = 0; tx < d->width; tx += T) {
            uint32_t xend = SL_MIN(tx + T, d->width);
            for (uint32_t yd = ty; yd < yend; yd++) {
                const uint8_t *p;   /* stored pixel shown at (0, yd) */
                switch (o) {
                case 2: p = row0 + yd * src->stride + (W - 1) * c; break;
                case 3: p = rowl - yd * src->stride + (W - 1) * c; break;
                case 4: p = rowl - yd * src->stride; break;
                case 5: p = row0 + yd * c; break;
                case 6: p = rowl + yd * c; break;
                case 7: p = rowl + (W - 1 - yd) * c; break;
                default: p = row0 + (W - 1 - yd) * c; break;   /* 8 */
                }
                p += (ptrdiff_t)tx * step;
                uint8_t *drow = d->data + yd * d->stride;
                if (C == 3) {
                    for (uint32_t xd = tx; xd < xend; xd++, p += step) {
                        drow[3 * xd] = p[0];
                        drow[3 * xd + 1] = p[1];
                        drow[3 * xd + 2] = p[2];
                    }
                } else {
                    for (uint32_t xd = tx; xd < xend; xd++, p += step)
                        drow[xd] = p[0];
                }
            }
        }
    }
    *out = d;
    return SL_OK;
}

/* ============================ Decode entry ============================== */

sl_status sl_image_decode(const uint8_t *buf, size_t len,
                          const struct sl_image_limits *limits,
                          int want_channels, struct sl_image **out,
                          struct sl_image_info *info)
{
    struct sl_image_info local;
    struct sl_image_limits lim = limits ? *limits : sl_image_limits_default();
    struct sl_image *stored = NULL;
    sl_status st;

    if (!info)
        info = &local;
    memset(info, 0, sizeof(*info));
    info->orientation = 1;
    if (!out || (want_channels != 0 && want_channels != 1 && want_channels != 3))
        return SL_ERR_INVALID;
    if (!buf || len == 0)
        return SL_ERR_IMG_EMPTY;
    if (len > lim.max_bytes)
        return SL_ERR_IMG_BYTES;
    info->format = sl_image_sniff(buf, len);
    switch (info->format) {
    case SL_IMAGE_FORMAT_JPEG:
        st = sl__decode_jpeg(buf, len, &lim, want_channels, &stored, info);
        break;
    case SL_IMAGE_FORMAT_PNG:
        st = sl__decode_png(buf, len, &lim, want_channels, &stored, info);
        break;
    default:
        /* A prefix of a valid magic is a truncated file, not a wrong one. */
        if ((len < 3 && buf[0] == 0xff && (len < 2 || buf[1] == 0xd8)) ||
            (len < 8 && memcmp(buf, "\x89PNG\r\n\x1a\n", len) == 0))
            return SL_ERR_IMG_TRUNCATED;
        return SL_ERR_IMG_FORMAT;
    }
    if (st != SL_OK)
        return st;
    if (info->orientation < 2 || info->orientation > 8) {
        info->orientation = 1;
        *out = stored;
        return SL_OK;
    }
    st = sl__image_orient(out, stored, info->orientation);
    sl_image_free(stored);
    return st;
}
