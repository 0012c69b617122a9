/*
 * image.h -- 8-bit images: hardened JPEG/PNG decode from memory, encode,
 * resize, affine warp, crop, colour conversion and simple statistics.
 *
 * Images are 8 bits per sample, 1 channel (gray) or 3 channels (RGB, in
 * that order), rows top to bottom, pixels left to right, channels
 * interleaved. Row y starts at data + y * stride; stride >= width *
 * channels. Images made by this library have stride rounded up to 64 bytes
 * and data aligned to 64 bytes; code taking an image must accept any
 * stride >= width * channels.
 *
 * Decoding is meant for untrusted uploads: every limit in struct
 * sl_image_limits is checked from the header, before any pixel memory is
 * allocated, and each failure has its own status code (status.h):
 *   SL_ERR_IMG_EMPTY       0 bytes
 *   SL_ERR_IMG_FORMAT      neither JPEG nor PNG (magic bytes)
 *   SL_ERR_IMG_BYTES       more input bytes than limits->max_bytes
 *   SL_ERR_IMG_DIMENSIONS  zero width or height in the header
 *   SL_ERR_IMG_WIDTH       width  over limits->max_width
 *   SL_ERR_IMG_HEIGHT      height over limits->max_height
 *   SL_ERR_IMG_PIXELS      width * height over limits->max_pixels
 *   SL_ERR_IMG_TRUNCATED   the data ends before the image does
 *   SL_ERR_IMG_CORRUPT     anything else the decoder rejects
 *   SL_ERR_NOMEM           an allocation failed
 * The decoders never print, never exit, and are safe to call from several
 * threads at once (no global state).
 *
 * Colour handling:
 * - Alpha (PNG RGBA, gray+alpha, palette with tRNS) is composited on a
 *   white background: out = (c * a + 255 * (255 - a)) / 255, rounded.
 * - 16-bit PNG samples are scaled to 8 bits with rounding.
 * - CMYK and YCCK JPEGs are converted to RGB as R = C' * K' / 255 (and so
 *   on), where C', K' are the stored values when an Adobe APP14 marker is
 *   present (Photoshop writes inverted CMYK) and 255 - stored otherwise.
 *   No ICC colour management is applied.
 * - Gray output from a colour source uses the BT.601 weights
 *   0.299 R + 0.587 G + 0.114 B (for colour JPEGs: the decoded luma, which
 *   is the same weighting).
 * - EXIF orientation (JPEG APP1 "Exif", PNG eXIf) is applied, all 8
 *   values, so the decoded image is upright as a viewer would show it;
 *   info->orientation says which value was applied (1 = none).
 */
#ifndef SHUALIAN_IMAGE_H
#define SHUALIAN_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shualian/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ============================ Images ==================================== */

struct sl_image {
    uint32_t width;      /* pixels, >= 1                                    */
    uint32_t height;     /* pixels, >= 1                                    */
    uint32_t channels;   /* 1 (gray) or 3 (RGB)                             */
    size_t   stride;     /* bytes from one row to the next, >= width*channels */
    uint8_t *data;       /* owned by the image when made by sl_image_new()  */
};

/* Largest width or height sl_image_new() accepts (a sanity bound; decode
 * limits are normally much lower). */
#define SL_IMAGE_DIM_MAX 65535u

/* Makes a new image with uninitialised pixels (stride rounded up to 64,
 * data 64-byte aligned). On SL_OK the caller owns *out and frees it with
 * sl_image_free(). SL_ERR_INVALID for zero or too large dimensions or
 * channels other than 1 or 3; SL_ERR_NOMEM. *out is written only on SL_OK. */
SL_API SL_NODISCARD sl_status sl_image_new(struct sl_image **out, uint32_t width,
                                           uint32_t height, uint32_t channels);
/* Frees an image made by this library; NULL is a no-op. */
SL_API void sl_image_free(struct sl_image *img);
/* A new copy of src (caller frees). */
SL_API SL_NODISCARD sl_status sl_image_clone(struct sl_image **out,
                                             const struct sl_image *src);

/* ============================ Decode ==================================== */

struct sl_image_limits {
    size_t   max_bytes;   /* encoded input size; default 20 MiB             */
    uint32_t max_width;   /* default 8192                                   */
    uint32_t max_height;  /* default 8192                                   */
    uint64_t max_pixels;  /* width * height; default 40,000,000             */
};
#define SL_IMAGE_DEFAULT_MAX_BYTES  (20u * 1024u * 1024u)
#define SL_IMAGE_DEFAULT_MAX_WIDTH  8192u
#define SL_IMAGE_DEFAULT_MAX_HEIGHT 8192u
#define SL_IMAGE_DEFAULT_MAX_PIXELS 40000000u

/* The defaults above. */
SL_API struct sl_image_limits sl_image_limits_default(void);

enum sl_image_format {
    SL_IMAGE_FORMAT_UNKNOWN = 0,
    SL_IMAGE_FORMAT_JPEG    = 1,
    SL_IMAGE_FORMAT_PNG     = 2,
};

/* What the decoder found. Filled as far as decoding got, also on error. */
struct sl_image_info {
    enum sl_image_format format;
    uint32_t stored_width;    /* as stored, before orientation             */
    uint32_t stored_height;
    uint32_t source_channels; /* components in the file: 1 gray, 2 gray+alpha,
                                 3 colour, 4 RGBA or CMYK/YCCK             */
    uint32_t bit_depth;       /* bits per sample in the file (1..16)       */
    uint32_t orientation;     /* EXIF orientation applied, 1..8 (1 = none) */
    bool     progressive;     /* JPEG: progressive (multi-scan)            */
    bool     interlaced;      /* PNG: Adam7                                */
    bool     has_alpha;       /* alpha or tRNS present (composited on white) */
    bool     palette;         /* PNG palette image                         */
    bool     cmyk;            /* JPEG CMYK or YCCK                         */
    uint32_t warnings;        /* recoverable decoder warnings (ignored)    */
};

/* "jpeg", "png" or "unknown"; never NULL. */
SL_API const char *sl_image_format_name(enum sl_image_format f);
/* Guesses the format from the magic bytes only. */
SL_API enum sl_image_format sl_image_sniff(const uint8_t *buf, size_t len);

/* Decodes a JPEG or PNG held in buf[0..len) (borrowed: not kept after the
 * call) into a new 8-bit image, upright per EXIF orientation.
 * limits: NULL means sl_image_limits_default(). want_channels: 1 (gray),
 * 3 (RGB), or 0 (1 if the source is gray, else 3). info may be NULL.
 * On SL_OK the caller owns *out (sl_image_free). On error *out is not
 * written and nothing is leaked; the codes are listed at the top. */
SL_API SL_NODISCARD sl_status sl_image_decode(const uint8_t *buf, size_t len,
                                              const struct sl_image_limits *limits,
                                              int want_channels,
                                              struct sl_image **out,
                                              struct sl_image_info *info);

/* ============================ Encode ====================================
 * Output bytes are allocated by the library: free them with
 * sl_image_bytes_free(). *out and *out_len are written only on SL_OK. */

/* Baseline JPEG, quality 1..100 (0 means 90), 4:2:0 for RGB. */
SL_API SL_NODISCARD sl_status sl_image_encode_jpeg(const struct sl_image *img,
                                                   int quality, uint8_t **out,
                                                   size_t *out_len);
/* PNG (8-bit gray or RGB, not interlaced), zlib level 0..9 (-1 = default 6). */
SL_API SL_NODISCARD sl_status sl_image_encode_png(const struct sl_image *img,
                                                  int level, uint8_t **out,
                                                  size_t *out_len);
/* Frees bytes returned by the encoders; NULL is a no-op. */
SL_API void sl_image_bytes_free(uint8_t *p);

/* ============================ Operations ================================
 * src and dst are borrowed. Functions that make a new image write *out only
 * on SL_OK; the caller frees it. SL_ERR_INVALID for a NULL or malformed
 * image, a channel mismatch, or a zero output size. */

/* Resizes src into dst (both already made, same channel count; sizes are
 * taken from dst). Bilinear with pixel centres aligned (the source point
 * for destination x is (x + 0.5) * src_w / dst_w - 0.5, clamped); when
 * shrinking by more than 2x along an axis, that axis uses area averaging
 * (each destination pixel is the coverage-weighted mean of the source
 * pixels under it), which does not alias. Allocates one scratch block per
 * call (weight tables and a float row of src width * channels). */
SL_API SL_NODISCARD sl_status sl_image_resize_into(struct sl_image *dst,
                                                   const struct sl_image *src);
/* Same, into a new width x height image. */
SL_API SL_NODISCARD sl_status sl_image_resize(struct sl_image **out,
                                              const struct sl_image *src,
                                              uint32_t width, uint32_t height);

/* Affine warp, bilinear. m maps DESTINATION to SOURCE coordinates:
 *   xs = m[0] * xd + m[1] * yd + m[2]
 *   ys = m[3] * xd + m[4] * yd + m[5]
 * with pixel centres at integer coordinates (pixel (0,0) covers
 * [-0.5, 0.5)). Destination pixels whose 2x2 source neighbourhood falls
 * partly outside src blend with the constant 'border' value (all
 * channels); wholly outside gives 'border'. To warp with a source ->
 * destination matrix, invert it first with sl_image_affine_invert().
 * Bilinear sampling aliases when the warp shrinks by more than ~2x:
 * resize first. dst must already exist with src's channel count. */
SL_API SL_NODISCARD sl_status sl_image_warp_affine(struct sl_image *dst,
                                                   const struct sl_image *src,
                                                   const float m[6],
                                                   uint8_t border);
/* Inverts a 2x3 affine matrix; SL_ERR_INVALID if it is singular. */
SL_API SL_NODISCARD sl_status sl_image_affine_invert(float out[6],
                                                     const float m[6]);

/* Crops the rectangle (x, y, width, height) of src, which may extend past
 * any edge (x, y may be negative); the part outside src is filled with
 * 'fill' (all channels). */
SL_API SL_NODISCARD sl_status sl_image_crop(struct sl_image **out,
                                            const struct sl_image *src,
                                            int32_t x, int32_t y, uint32_t width,
                                            uint32_t height, uint8_t fill);

/* Weights for RGB -> gray. */
enum sl_gray_weights {
    SL_GRAY_BT601      = 0,  /* 0.299 R + 0.587 G + 0.114 B                 */
    SL_GRAY_BT601_BGR  = 1,  /* 0.114 R + 0.587 G + 0.299 B: BT.601 applied to
                                data in BGR order, as the face models'
                                original (OpenCV-based) package did          */
};
/* RGB -> gray with the given weights (rounded); a gray src is copied. */
SL_API SL_NODISCARD sl_status sl_image_to_gray(struct sl_image **out,
                                               const struct sl_image *src,
                                               enum sl_gray_weights w);
/* gray -> RGB (replicated); an RGB src is copied. */
SL_API SL_NODISCARD sl_status sl_image_to_rgb(struct sl_image **out,
                                              const struct sl_image *src);

/* Per-channel mean and population standard deviation of the samples, in
 * 0..255 units; only the first src->channels entries are written. */
SL_API SL_NODISCARD sl_status sl_image_mean_std(const struct sl_image *src,
                                                double mean[3], double std[3]);
/* Sharpness: the population variance of the 4-neighbour Laplacian
 * (0 1 0 / 1 -4 1 / 0 1 0) over the interior pixels of the gray image
 * (RGB is first converted with SL_GRAY_BT601 weights, unrounded).
 * Images narrower or shorter than 3 pixels give 0. */
SL_API SL_NODISCARD sl_status sl_image_laplacian_var(const struct sl_image *src,
                                                     double *out);

#ifdef __cplusplus
}
#endif
#endif
