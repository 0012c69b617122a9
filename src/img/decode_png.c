/*
 * decode_png.c -- PNG from memory through libpng.
 *
 * Hardening:
 * - the IHDR is parsed here first (magic, chunk name, length) and the
 *   limits are checked before libpng is even created;
 * - libpng errors longjmp back here, warnings are dropped, nothing is
 *   printed; libpng allocates through sl__malloc (failure injection);
 * - reading past the end of the buffer is SL_ERR_IMG_TRUNCATED;
 * - text, iCCP and sPLT chunks are skipped unread (zTXt/iCCP are
 *   compressed: a second decompression-bomb surface we do not need), and
 *   any other ancillary chunk is capped at 8 MB, at most 1000 of them.
 * Output: palette and low-bit gray are expanded, 16-bit is scaled to 8,
 * Adam7 is de-interlaced, alpha is composited on white (image.h).
 */
#include <setjmp.h>
#include <string.h>

#include <png.h>

#include "img.h"

struct pdec {
    png_structp      png;
    png_infop        info;
    const uint8_t   *buf;
    size_t           len;
    size_t           pos;
    bool             eof;      /* a read went past the end            */
    bool             nomem;    /* an allocation failed                */
    struct sl_image *img;
    uint8_t         *tmp;      /* decoded rows before conversion      */
};

static void p_read(png_structp png, png_bytep out, size_t n)
{
    struct pdec *d = png_get_io_ptr(png);
    if (n > d->len - d->pos) {
        d->eof = true;
        png_error(png, "truncated");
    }
    memcpy(out, d->buf + d->pos, n);
    d->pos += n;
}

static void p_error(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void p_warn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static png_voidp p_malloc(png_structp png, png_alloc_size_t n)
{
    void *p = sl__malloc(n);
    if (!p) {
        struct pdec *d = png_get_mem_ptr(png);
        if (d)
            d->nomem = true;
    }
    return p;
}

static void p_free(png_structp png, png_voidp p)
{
    (void)png;
    sl__free(p);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint8_t over_white(unsigned c, unsigned a)
{
    return (uint8_t)((c * a + 255 * (255 - a) + 127) / 255);
}

/* One decoded row with ch = 1..4 samples per pixel to outc = 1 or 3. */
static void convert_row(uint8_t *dst, const uint8_t *src, uint32_t w, int ch,
                        int outc)
{
    for (uint32_t x = 0; x < w; x++) {
        uint8_t rgb[3];
        const uint8_t *s = src + (size_t)x * (size_t)ch;
        switch (ch) {
        case 1:
            rgb[0] = rgb[1] = rgb[2] = s[0];
            break;
        case 2:
            rgb[0] = rgb[1] = rgb[2] = over_white(s[0], s[1]);
            break;
        case 3:
            memcpy(rgb, s, 3);
            break;
        default:
            rgb[0] = over_white(s[0], s[3]);
            rgb[1] = over_white(s[1], s[3]);
            rgb[2] = over_white(s[2], s[3]);
            break;
        }
        if (outc == 3)
            memcpy(dst + 3 * (size_t)x, rgb, 3);
        else if (ch <= 2)
            dst[x] = rgb[0];
        else
            sl__rgb_to_gray_row(dst + x, rgb, 1, SL_GRAY_BT601);
    }
}

static sl_status run(struct pdec *d, const struct sl_image_limits *lim, int want,
                     struct sl_image_info *info)
{
    static const png_byte skip[] = "tEXt\0zTXt\0iTXt\0iCCP\0sPLT";
    png_uint_32 w, h;
    int depth, color, interlace;
    sl_status st;

    if (setjmp(png_jmpbuf(d->png)))
        return d->nomem ? SL_ERR_NOMEM
               : d->eof ? SL_ERR_IMG_TRUNCATED : SL_ERR_IMG_CORRUPT;
    png_set_read_fn(d->png, d, p_read);
    png_set_user_limits(d->png, 0x7fffffffu, 0x7fffffffu);  /* checked by us */
    png_set_chunk_cache_max(d->png, 1000);
    png_set_chunk_malloc_max(d->png, 8u << 20);
    png_set_keep_unknown_chunks(d->png, PNG_HANDLE_CHUNK_NEVER, skip, 5);
    png_read_info(d->png, d->info);
    png_get_IHDR(d->png, d->info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    info->stored_width = w;
    info->stored_height = h;
    info->bit_depth = (uint32_t)depth;
    info->source_channels = png_get_channels(d->png, d->info);
    info->palette = color == PNG_COLOR_TYPE_PALETTE;
    if (info->palette)
        info->source_channels = 3;
    info->has_alpha = (color & PNG_COLOR_MASK_ALPHA) ||
                      png_get_valid(d->png, d->info, PNG_INFO_tRNS);
    info->interlaced = interlace != PNG_INTERLACE_NONE;
    st = sl__image_check_dims(lim, w, h);
    if (st != SL_OK)
        return st;
#ifdef PNG_eXIf_SUPPORTED
    {
        png_uint_32 n = 0;
        png_bytep ex = NULL;
        if (png_get_eXIf_1(d->png, d->info, &n, &ex) && ex && n)
            info->orientation = sl__exif_orientation_tiff(ex, n);
    }
#endif

    png_set_expand(d->png);
    if (depth == 16)
        png_set_scale_16(d->png);
    int passes = png_set_interlace_handling(d->png);
    png_read_update_info(d->png, d->info);
    int ch = png_get_channels(d->png, d->info);
    size_t rb = png_get_rowbytes(d->png, d->info);
    if (ch < 1 || ch > 4 || rb != (size_t)w * (size_t)ch)
        return SL_ERR_INTERNAL;
    int outc = want ? want : ((color & PNG_COLOR_MASK_COLOR) ? 3 : 1);
    bool direct = ch == outc;
    st = sl_image_new(&d->img, w, h, (uint32_t)outc);
    if (st != SL_OK)
        return st;
    if (!direct) {
        size_t n = rb;
        if (info->interlaced && sl__mul_overflow(rb, h, &n))
            return SL_ERR_IMG_PIXELS;
        d->tmp = sl__malloc(n);
        if (!d->tmp)
            return SL_ERR_NOMEM;
    }
    for (int pass = 0; pass < passes; pass++) {
        for (uint32_t y = 0; y < h; y++) {
            uint8_t *dst = d->img->data + y * d->img->stride;
            uint8_t *row = direct ? dst
                           : info->interlaced ? d->tmp + (size_t)y * rb : d->tmp;
            png_read_row(d->png, row, NULL);
            if (!direct && pass == passes - 1)
                convert_row(dst, row, w, ch, outc);
        }
    }
    png_read_end(d->png, NULL);
    return SL_OK;
}

sl_status sl__decode_png(const uint8_t *buf, size_t len,
                         const struct sl_image_limits *lim, int want_channels,
                         struct sl_image **out, struct sl_image_info *info)
{
    /* signature (8), IHDR length (4) and name (4), 13 bytes, CRC (4) */
    if (len < 33)
        return SL_ERR_IMG_TRUNCATED;
    if (be32(buf + 8) != 13 || memcmp(buf + 12, "IHDR", 4) != 0)
        return SL_ERR_IMG_CORRUPT;
    info->stored_width = be32(buf + 16);
    info->stored_height = be32(buf + 20);
    sl_status st = sl__image_check_dims(lim, info->stored_width,
                                        info->stored_height);
    if (st != SL_OK)
        return st;

    struct pdec *d = sl__calloc(1, sizeof(*d));
    if (!d)
        return SL_ERR_NOMEM;
    d->buf = buf;
    d->len = len;
    d->png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, d, p_error, p_warn,
                                      d, p_malloc, p_free);
    if (d->png)
        d->info = png_create_info_struct(d->png);
    if (!d->png || !d->info)
        st = SL_ERR_NOMEM;
    else
        st = run(d, lim, want_channels, info);
    if (d->png)
        png_destroy_read_struct(&d->png, d->info ? &d->info : NULL, NULL);
    sl__free(d->tmp);
    if (st == SL_OK)
        *out = d->img;
    else
        sl_image_free(d->img);
    sl__free(d);
    return st;
}
