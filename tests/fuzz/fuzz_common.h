/*
 * fuzz_common.h -- the body shared by the img decoder fuzz targets.
 *
 * Decodes with small limits (4096x4096, 16 Mpx, 4 MiB) so no input can
 * make the target run out of memory, picks the wanted channel count from
 * the last byte, feeds the raw bytes to the EXIF parsers as well, and on
 * success runs a few cheap operations on the result so their bounds are
 * exercised on odd sizes too.
 */
#ifndef SL_FUZZ_COMMON_H
#define SL_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>

#include "img/img.h"

/* Decodes inputs whose magic says 'format' (other inputs only go through
 * the EXIF parsers), so each target spends its time on its own decoder. */
static int fuzz_decode(const uint8_t *data, size_t size, enum sl_image_format format)
{
    const struct sl_image_limits lim = {
        .max_bytes = 4u << 20, .max_width = 4096, .max_height = 4096,
        .max_pixels = 16u * 1000 * 1000,
    };
    (void)sl__exif_orientation_tiff(data, size);
    (void)sl__exif_orientation_app1(data, size);
    if (sl_image_sniff(data, size) != format)
        return 0;
    int want = size ? data[size - 1] % 3 : 0;       /* 0, 1 or 2 -> 3 */
    if (want == 2)
        want = 3;
    struct sl_image *img = NULL;
    struct sl_image_info info;
    int st = sl_image_decode(data, size, &lim, want, &img, &info);
    if (st != SL_OK) {
        if (img)
            abort();                     /* *out must stay untouched */
        return 0;
    }
    if (!img || img->width == 0 || img->height == 0 ||
        img->width > 4096 || img->height > 4096 ||
        (want && img->channels != (uint32_t)want) ||
        info.orientation < 1 || info.orientation > 8)
        abort();
    /* touch every row end (ASan catches a short buffer) */
    volatile uint8_t sink = 0;
    for (uint32_t y = 0; y < img->height; y++)
        sink ^= img->data[y * img->stride + (size_t)img->width * img->channels - 1];
    (void)sink;
    double v;
    if (sl_image_laplacian_var(img, &v) != SL_OK)
        abort();
    struct sl_image *small = NULL;
    if (sl_image_resize(&small, img, 1 + img->width % 37, 1 + img->height % 29) != SL_OK)
        abort();
    sl_image_free(small);
    sl_image_free(img);
    return 0;
}

#endif
