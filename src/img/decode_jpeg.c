/*
 * decode_jpeg.c -- JPEG from memory through the libjpeg API (libjpeg-turbo).
 *
 * Hardening:
 * - our own source manager: running out of data sets a flag and feeds a
 *   fake EOI, so a truncated file is reported as SL_ERR_IMG_TRUNCATED
 *   (libjpeg would only warn and return a grey-filled image);
 * - error_exit longjmps back here (never exit()); messages are never
 *   printed; warnings are counted, except "premature end of data segment"
 *   (-> truncated) and "bad Huffman code" (-> corrupt), which stop the
 *   decode instead of returning a partly grey image;
 * - width/height/pixel limits are checked after jpeg_read_header(), before
 *   jpeg_start_decompress() allocates anything proportional to the image;
 * - a progress monitor stops files with absurd scan counts (a known CPU
 *   bomb for progressive JPEG).
 * All decoder state lives in one heap block, so nothing that longjmp
 * crosses needs to be volatile.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "img.h"

#define MAX_SCANS 256           /* real progressive files have ~10      */
#define MSG_TOO_MANY_SCANS (-1) /* our own code in err.msg_code         */

struct jdec {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr         err;
    struct jpeg_source_mgr        src;
    struct jpeg_progress_mgr      prog;
    jmp_buf                       jb;
    bool                          created;   /* cinfo needs destroying */
    bool                          eof;       /* data ran out           */
    int                           code;      /* msg_code of the error  */
    unsigned                      warnings;
    struct sl_image              *img;
    uint8_t                      *row;       /* CMYK scanline scratch  */
};

static const JOCTET fake_eoi[2] = { 0xff, JPEG_EOI };

/* ============================ Source manager ============================ */

static void src_init(j_decompress_ptr c)
{
    (void)c;
}

static boolean src_fill(j_decompress_ptr c)
{
    struct jdec *d = (struct jdec *)c;    /* cinfo is the first member */
    d->eof = true;
    d->src.next_input_byte = fake_eoi;
    d->src.bytes_in_buffer = sizeof(fake_eoi);
    return TRUE;
}

static void src_skip(j_decompress_ptr c, long n)
{
    struct jdec *d = (struct jdec *)c;
    if (n <= 0)
        return;
    if ((size_t)n >= d->src.bytes_in_buffer) {
        bool exact = (size_t)n == d->src.bytes_in_buffer;
        d->src.next_input_byte += d->src.bytes_in_buffer;
        d->src.bytes_in_buffer = 0;
        if (!exact)
            src_fill(c);
        return;
    }
    d->src.next_input_byte += n;
    d->src.bytes_in_buffer -= (size_t)n;
}

static void src_term(j_decompress_ptr c)
{
    (void)c;
}

/* ============================ Errors and progress ======================= */

static void on_error(j_common_ptr c)
{
    struct jdec *d = (struct jdec *)c;
    d->code = c->err->msg_code;
    longjmp(d->jb, 1);
}

/* Warnings are counted, except the two that mean the pixels are not the
 * image: the scan's data ended before the scan did (a truncated file with
 * an EOI glued on, or our fake EOI at a real truncation) and an invalid
 * Huffman code. libjpeg would fill the rest with grey; we stop. */
static void on_emit(j_common_ptr c, int level)
{
    struct jdec *d = (struct jdec *)c;
    if (level >= 0)
        return;                                     /* trace messages */
    d->warnings++;
    int code = c->err->msg_code;
    if (code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE) {
        d->code = code;
        longjmp(d->jb, 1);
    }
}

static void on_output(j_common_ptr c)
{
    (void)c;
}

static void on_progress(j_common_ptr c)
{
    struct jdec *d = (struct jdec *)c;
    if (d->cinfo.input_scan_number > MAX_SCANS) {
        d->code = MSG_TOO_MANY_SCANS;
        longjmp(d->jb, 1);
    }
}

static sl_status map_error(const struct jdec *d, const struct sl_image_limits *lim)
{
    switch (d->code) {
    case JERR_OUT_OF_MEMORY:
        return SL_ERR_NOMEM;
    case JERR_NO_BACKING_STORE:
        return SL_ERR_IMG_PIXELS;   /* needs more than the pixel limit allows */
    case JERR_EMPTY_IMAGE:      /* also raised for 0 components */
        return d->cinfo.image_width == 0 || d->cinfo.image_height == 0
                   ? SL_ERR_IMG_DIMENSIONS : SL_ERR_IMG_CORRUPT;
    case JERR_IMAGE_TOO_BIG:
    case JERR_WIDTH_OVERFLOW: {
        sl_status st = sl__image_check_dims(lim, d->cinfo.image_width,
                                            d->cinfo.image_height);
        return st != SL_OK ? st : SL_ERR_IMG_PIXELS;
    }
    case JERR_BAD_PRECISION:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_NOT_COMPILED:
    case JERR_ARITH_NOTIMPL:
        return d->eof ? SL_ERR_IMG_TRUNCATED : SL_ERR_IMG_UNSUPPORTED;
    case JWRN_HIT_MARKER:
        return SL_ERR_IMG_TRUNCATED;
    default:
        return d->eof ? SL_ERR_IMG_TRUNCATED : SL_ERR_IMG_CORRUPT;
    }
}

/* ============================ CMYK ====================================== */

/* One CMYK/YCCK-decoded row (4 samples per pixel) to RGB or gray. With an
 * Adobe marker the samples are inverted (Photoshop), i.e. 255 = no ink. */
static void cmyk_row(uint8_t *dst, const uint8_t *src, uint32_t w, int outc,
                     bool adobe)
{
    for (uint32_t x = 0; x < w; x++) {
        unsigned c = src[4 * x], m = src[4 * x + 1], y = src[4 * x + 2],
                 k = src[4 * x + 3];
        if (!adobe) {
            c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k;
        }
        unsigned r = (c * k + 127) / 255, g = (m * k + 127) / 255,
                 b = (y * k + 127) / 255;
        if (outc == 3) {
            dst[3 * x] = (uint8_t)r;
            dst[3 * x + 1] = (uint8_t)g;
            dst[3 * x + 2] = (uint8_t)b;
        } else {
            uint8_t rgb[3] = { (uint8_t)r, (uint8_t)g, (uint8_t)b };
            sl__rgb_to_gray_row(dst + x, rgb, 1, SL_GRAY_BT601);
        }
    }
}

/* ============================ Decode ==================================== */

static uint32_t find_orientation(j_decompress_ptr c)
{
    for (jpeg_saved_marker_ptr m = c->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1 || m->data_length < 6 ||
            memcmp(m->data, "Exif\0\0", 6) != 0)
            continue;
        return sl__exif_orientation_app1(m->data, m->data_length);
    }
    return 1;
}

/* Everything that may longjmp. d is not modified by this function's
 * locals after setjmp, only through the pointer. */
static sl_status run(struct jdec *d, const uint8_t *buf, size_t len,
                     const struct sl_image_limits *lim, int want,
                     struct sl_image_info *info)
{
    j_decompress_ptr c = &d->cinfo;
    sl_status st;

    c->err = jpeg_std_error(&d->err);
    d->err.error_exit = on_error;
    d->err.emit_message = on_emit;
    d->err.output_message = on_output;
    if (setjmp(d->jb))
        return map_error(d, lim);
    d->created = true;
    jpeg_create_decompress(c);
    /* Bound libjpeg's whole-image buffers (progressive and multi-scan
     * files keep every DCT coefficient: 2 bytes per sample, up to 3
     * full-size components): past it libjpeg would need a backing store,
     * which it does not have, and stops with JERR_NO_BACKING_STORE. */
    uint64_t mem = lim->max_pixels > (1ull << 56) ? UINT64_MAX
                   : lim->max_pixels * 8 + (32u << 20);
    c->mem->max_memory_to_use = mem > (uint64_t)LONG_MAX ? LONG_MAX : (long)mem;
    d->src.init_source = src_init;
    d->src.fill_input_buffer = src_fill;
    d->src.skip_input_data = src_skip;
    d->src.resync_to_restart = jpeg_resync_to_restart;
    d->src.term_source = src_term;
    d->src.next_input_byte = buf;
    d->src.bytes_in_buffer = len;
    c->src = &d->src;
    d->prog.progress_monitor = on_progress;
    c->progress = &d->prog;
    jpeg_save_markers(c, JPEG_APP0 + 1, 0xffff);

    jpeg_read_header(c, TRUE);
    info->stored_width = c->image_width;
    info->stored_height = c->image_height;
    info->source_channels = (uint32_t)c->num_components;
    info->bit_depth = (uint32_t)c->data_precision;
    info->progressive = c->progressive_mode;
    info->cmyk = c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK;
    st = sl__image_check_dims(lim, c->image_width, c->image_height);
    if (st != SL_OK)
        return st;
    if (d->eof)                 /* header complete only thanks to fake EOI */
        return SL_ERR_IMG_TRUNCATED;
    info->orientation = find_orientation(c);

    int outc = want ? want : (c->num_components == 1 ? 1 : 3);
    if (info->cmyk)
        c->out_color_space = JCS_CMYK;
    else if (c->jpeg_color_space == JCS_UNKNOWN)
        return SL_ERR_IMG_UNSUPPORTED;
    else
        c->out_color_space = outc == 1 ? JCS_GRAYSCALE : JCS_RGB;

    jpeg_start_decompress(c);
    uint32_t w = c->output_width, h = c->output_height;
    int comps = info->cmyk ? 4 : outc;
    if (w != c->image_width || h != c->image_height || c->output_components != comps)
        return SL_ERR_INTERNAL;
    st = sl_image_new(&d->img, w, h, (uint32_t)outc);
    if (st != SL_OK)
        return st;
    if (info->cmyk) {
        d->row = sl__malloc((size_t)w * 4);
        if (!d->row)
            return SL_ERR_NOMEM;
    }
    while (c->output_scanline < h) {
        uint32_t y = c->output_scanline;
        JSAMPROW r = info->cmyk ? d->row : d->img->data + y * d->img->stride;
        if (jpeg_read_scanlines(c, &r, 1) != 1)
            return SL_ERR_IMG_TRUNCATED;      /* cannot suspend: defensive */
        if (info->cmyk)
            cmyk_row(d->img->data + y * d->img->stride, d->row, w, outc,
                     c->saw_Adobe_marker);
        if (d->eof)
            return SL_ERR_IMG_TRUNCATED;
    }
    jpeg_finish_decompress(c);
    return d->eof ? SL_ERR_IMG_TRUNCATED : SL_OK;
}

sl_status sl__decode_jpeg(const uint8_t *buf, size_t len,
                          const struct sl_image_limits *lim, int want_channels,
                          struct sl_image **out, struct sl_image_info *info)
{
    struct jdec *d = sl__calloc(1, sizeof(*d));
    if (!d)
        return SL_ERR_NOMEM;
    sl_status st = run(d, buf, len, lim, want_channels, info);
    info->warnings = d->warnings;
    if (d->created)
        jpeg_destroy_decompress(&d->cinfo);
    sl__free(d->row);
    if (st == SL_OK)
        *out = d->img;
    else
        sl_image_free(d->img);
    sl__free(d);
    return st;
}
