/*
 * test_img_util.h -- helpers shared by the img tests: synthetic images and
 * encoders written directly against libjpeg/libpng (so the tests can make
 * CMYK, progressive, 16-bit, palette, alpha and interlaced files without
 * external tools). Buffers returned are malloc'ed: free() them.
 */
#ifndef SL_TEST_IMG_UTIL_H
#define SL_TEST_IMG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shualian/image.h"

/* Quadrant pattern: TL red, TR green, BL blue, BR yellow (RGB). */
extern const uint8_t t_quad_colors[4][3];
struct sl_image *t_quad_image(uint32_t w, uint32_t h);
/* Random image (channels 1 or 3) from the PRNG state. */
struct sl_image *t_random_image(uint32_t w, uint32_t h, uint32_t c,
                                unsigned long long *seed);
/* Smooth random image: random values blurred so resize is well-posed. */
struct sl_image *t_smooth_image(uint32_t w, uint32_t h, uint32_t c,
                                unsigned long long *seed);

/* JPEG via libjpeg: comps 1 (gray), 3 (RGB) or 4 (CMYK, written as given
 * with an Adobe marker; ycck selects YCCK transform); progressive. */
uint8_t *t_jpeg_write(const uint8_t *pix, uint32_t w, uint32_t h, int comps,
                      bool progressive, bool ycck, int quality, size_t *len);
/* PNG via libpng: samples are bit_depth 8 or 16 (big-endian 16-bit rows
 * as libpng wants) or packed low-bit gray; color_type a PNG_COLOR_TYPE_*;
 * palette/trns optional. exif (TIFF bytes) optional: an eXIf chunk. */
uint8_t *t_png_write(const uint8_t *rows, size_t rowbytes, uint32_t w, uint32_t h,
                     int bit_depth, int color_type, bool interlace,
                     const uint8_t *palette_rgb, int npal, const uint8_t *trns,
                     int ntrns, const uint8_t *exif, size_t exif_len, size_t *len);

/* A TIFF block with IFD0 holding only orientation o (little or big endian);
 * returns its length (<= 64). */
size_t t_tiff_orientation(uint8_t *out, int o, bool big_endian);
/* Copy of a JPEG with an APP1 Exif segment (orientation o) after SOI. */
uint8_t *t_jpeg_with_exif(const uint8_t *jpg, size_t len, int o, bool big_endian,
                          size_t *out_len);

/* PNG chunk CRC helper: writes be32 length, name, data, CRC at p; returns
 * bytes written (12 + n). */
size_t t_png_chunk(uint8_t *p, const char *name, const uint8_t *data, uint32_t n);

/* Largest |a - b| over all samples (same size and channels required;
 * returns 999 otherwise). */
int t_max_diff(const struct sl_image *a, const struct sl_image *b);
/* Pixel pointer. */
const uint8_t *t_px(const struct sl_image *img, uint32_t x, uint32_t y);

#endif
