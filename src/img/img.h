/*
 * img.h -- what other modules (face/, http/, cli/) and the img tests may
 * call besides the public image.h: the EXIF parser, orientation, the
 * reference (plain C) kernels kept as oracles, and the kernel picker.
 */
#ifndef SL_IMG_H
#define SL_IMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "shualian/image.h"

/* ============================ EXIF ======================================
 * Orientation (tag 0x0112 of IFD0) from a TIFF structure ("II*\0" or
 * "MM\0*" header first), bounds-checked, both byte orders. Returns 1..8,
 * or 1 when absent, malformed or out of range. */
uint32_t sl__exif_orientation_tiff(const uint8_t *tiff, size_t len);
/* Same, from the payload of a JPEG APP1 segment ("Exif\0\0" + TIFF);
 * returns 1 if the payload is not Exif. */
uint32_t sl__exif_orientation_app1(const uint8_t *p, size_t len);

/* Returns a new image that is src shown with EXIF orientation o (1..8):
 * the displayed image of a stored one. o = 1 gives a copy. */
sl_status sl__image_orient(struct sl_image **out, const struct sl_image *src,
                           uint32_t orientation);

/* ============================ Decoders ==================================
 * Called by sl_image_decode() after the common checks (non-empty, size,
 * magic). want_channels is 1 or 3, or 0 for "as the source". They return
 * the stored (not yet oriented) image and set info->orientation to the
 * EXIF value found (applied by the caller). */
sl_status sl__decode_jpeg(const uint8_t *buf, size_t len,
                          const struct sl_image_limits *lim, int want_channels,
                          struct sl_image **out, struct sl_image_info *info);
sl_status sl__decode_png(const uint8_t *buf, size_t len,
                         const struct sl_image_limits *lim, int want_channels,
                         struct sl_image **out, struct sl_image_info *info);
/* Checks width/height against lim: DIMENSIONS, WIDTH, HEIGHT, PIXELS. */
sl_status sl__image_check_dims(const struct sl_image_limits *lim,
                               uint64_t width, uint64_t height);

/* ============================ Colour helpers ============================ */
/* n RGB pixels -> n gray samples (rounded), weights per w. */
void sl__rgb_to_gray_row(uint8_t *dst, const uint8_t *rgb, size_t n,
                         enum sl_gray_weights w);

/* ============================ Kernels ===================================
 * The reference versions are straightforward per-pixel formulas in double
 * precision: the oracles the fast paths are tested against (max abs
 * difference <= 1). They are slow; do not use them in production paths. */
sl_status sl__image_resize_ref(struct sl_image *dst, const struct sl_image *src);
sl_status sl__image_warp_affine_ref(struct sl_image *dst,
                                    const struct sl_image *src,
                                    const float m[6], uint8_t border);

/* Resize internals: the separable path uses a weight table per axis; for
 * destination index i, taps [start[i], start[i] + count[i]) with weights
 * w[i * maxtaps + k] summing to 1. */
struct sl__resize_axis {
    uint32_t *start;
    uint32_t *count;
    float    *w;
    uint32_t  maxtaps;
    uint32_t  n;        /* destination size */
};

/* Vertical step: acc[i] (+)= wt * (float)row[i] for i < n. */
typedef void (*sl__vacc_fn)(float *acc, const uint8_t *row, size_t n, float wt,
                            bool first);
void sl__vacc_c(float *acc, const uint8_t *row, size_t n, float wt, bool first);
void sl__vacc_avx2(float *acc, const uint8_t *row, size_t n, float wt, bool first);
void sl__vacc_avx512(float *acc, const uint8_t *row, size_t n, float wt, bool first);

/* Warp internals: one destination row y of width w (img.h's contract of
 * sl_image_warp_affine), and one pixel at source point (xs, ys). The
 * weights are 11-bit fixed point (SL__WARP_WBITS) in every version. */
#define SL__WARP_WBITS 11
typedef void (*sl__warp_row_fn)(uint8_t *d, const struct sl_image *src,
                                const float m[6], uint32_t y, uint32_t w,
                                uint8_t border);
void sl__warp_row_c(uint8_t *d, const struct sl_image *src, const float m[6],
                    uint32_t y, uint32_t w, uint8_t border);
void sl__warp_row_avx2(uint8_t *d, const struct sl_image *src, const float m[6],
                       uint32_t y, uint32_t w, uint8_t border);
void sl__warp_px(uint8_t *d, const struct sl_image *src, float xs, float ys,
                 uint8_t border);
/* The row kernel picked once from sl_cpu_features(). */
sl__warp_row_fn sl__img_warp_row(void);

/* Which kernel set sl_image_resize_into()/warp use: "avx512", "avx2", or
 * the baseline ("sse2" on x86-64, "c" elsewhere), picked once from
 * sl_cpu_features(). */
const char *sl__img_kernels_name(void);

#endif
