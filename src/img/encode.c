/*
 * encode.c -- JPEG and PNG to memory (stored captures, annotated images).
 *
 * Output goes into a bounded sl_buf (cap: twice the raw pixel bytes plus
 * 1 MiB, far above what either format produces) and is handed to the
 * caller. Library errors longjmp back here as in the decoders.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include "img.h"

static bool image_ok(const struct sl_image *img)
{
    return img && img->data && img->width > 0 && img->height > 0 &&
           (img->channels == 1 || img->channels == 3) &&
           img->stride >= (size_t)img->width * img->channels;
}

static size_t out_cap(const struct sl_image *img)
{
    return (size_t)img->width * img->height * img->channels * 2 + (1u << 20);
}

void sl_image_bytes_free(uint8_t *p)
{
    sl__free(p);
}

/* ============================ JPEG ====================================== */

struct jenc {
    struct jpeg_compress_struct    c;       /* first: callbacks cast back */
    struct jpeg_error_mgr          err;
    struct jpeg_destination_mgr    dst;
    jmp_buf                        jb;
    bool                           created;
    sl_status                      fail;    /* set before our own longjmp */
    struct sl_buf                  out;
    uint8_t                        chunk[16384];
};

static void jenc_error(j_common_ptr c)
{
    struct jenc *e = (struct jenc *)c;
    if (e->fail == SL_OK)
        e->fail = c->err->msg_code == JERR_OUT_OF_MEMORY ? SL_ERR_NOMEM
                                                         : SL_ERR_INTERNAL;
    longjmp(e->jb, 1);
}

static void jenc_emit(j_common_ptr c, int level)
{
    (void)c;
    (void)level;
}

static void jenc_dst_init(j_compress_ptr c)
{
    struct jenc *e = (struct jenc *)c;
    e->dst.next_output_byte = e->chunk;
    e->dst.free_in_buffer = sizeof(e->chunk);
}

static void jenc_flush(struct jenc *e, size_t n)
{
    sl_status st = sl_buf_append(&e->out, e->chunk, n);
    if (st != SL_OK) {
        e->fail = st;
        longjmp(e->jb, 1);
    }
    e->dst.next_output_byte = e->chunk;
    e->dst.free_in_buffer = sizeof(e->chunk);
}

static boolean jenc_dst_empty(j_compress_ptr c)
{
    jenc_flush((struct jenc *)c, sizeof(((struct jenc *)c)->chunk));
    return TRUE;
}

static void jenc_dst_term(j_compress_ptr c)
{
    struct jenc *e = (struct jenc *)c;
    jenc_flush(e, sizeof(e->chunk) - e->dst.free_in_buffer);
}

static sl_status jenc_run(struct jenc *e, const struct sl_image *img, int quality)
{
    e->c.err = jpeg_std_error(&e->err);
    e->err.error_exit = jenc_error;
    e->err.emit_message = jenc_emit;
    if (setjmp(e->jb))
        return e->fail;
    e->created = true;
    jpeg_create_compress(&e->c);
    e->dst.init_destination = jenc_dst_init;
    e->dst.empty_output_buffer = jenc_dst_empty;
    e->dst.term_destination = jenc_dst_term;
    e->c.dest = &e->dst;
    e->c.image_width = img->width;
    e->c.image_height = img->height;
    e->c.input_components = (int)img->channels;
    e->c.in_color_space = img->channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&e->c);
    jpeg_set_quality(&e->c, quality, TRUE);
    jpeg_start_compress(&e->c, TRUE);
    while (e->c.next_scanline < img->height) {
        JSAMPROW r = img->data + e->c.next_scanline * img->stride;
        jpeg_write_scanlines(&e->c, &r, 1);
    }
    jpeg_finish_compress(&e->c);
    return SL_OK;
}

sl_status sl_image_encode_jpeg(const struct sl_image *img, int quality,
                               uint8_t **out, size_t *out_len)
{
    if (!image_ok(img) || !out || !out_len || quality < 0 || quality > 100)
        return SL_ERR_INVALID;
    struct jenc *e = sl__calloc(1, sizeof(*e));
    if (!e)
        return SL_ERR_NOMEM;
    sl_buf_init(&e->out, out_cap(img));
    sl_status st = jenc_run(e, img, quality ? quality : 90);
    if (e->created)
        jpeg_destroy_compress(&e->c);
    if (st == SL_OK)
        *out = sl_buf_detach(&e->out, out_len);
    sl_buf_free(&e->out);
    sl__free(e);
    return st;
}

/* ============================ PNG ======================================= */

struct penc {
    png_structp   png;
    png_infop     info;
    bool          nomem;
    struct sl_buf out;
};

static void penc_write(png_structp png, png_bytep p, size_t n)
{
    struct penc *e = png_get_io_ptr(png);
    if (sl_buf_append(&e->out, p, n) != SL_OK) {
        e->nomem = true;
        png_error(png, "out of memory");
    }
}

static void penc_flush(png_structp png)
{
    (void)png;
}

static void penc_error(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void penc_warn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static png_voidp penc_malloc(png_structp png, png_alloc_size_t n)
{
    void *p = sl__malloc(n);
    if (!p) {
        struct penc *e = png_get_mem_ptr(png);
        if (e)
            e->nomem = true;
    }
    return p;
}

static void penc_free(png_structp png, png_voidp p)
{
    (void)png;
    sl__free(p);
}

static sl_status penc_run(struct penc *e, const struct sl_image *img, int level)
{
    if (setjmp(png_jmpbuf(e->png)))
        return e->nomem ? SL_ERR_NOMEM : SL_ERR_INTERNAL;
    png_set_write_fn(e->png, e, penc_write, penc_flush);
    png_set_IHDR(e->png, e->info, img->width, img->height, 8,
                 img->channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(e->png, level < 0 ? 6 : level);
    png_write_info(e->png, e->info);
    for (uint32_t y = 0; y < img->height; y++)
        png_write_row(e->png, img->data + y * img->stride);
    png_write_end(e->png, NULL);
    return SL_OK;
}

sl_status sl_image_encode_png(const struct sl_image *img, int level,
                              uint8_t **out, size_t *out_len)
{
    if (!image_ok(img) || !out || !out_len || level < -1 || level > 9)
        return SL_ERR_INVALID;
    struct penc *e = sl__calloc(1, sizeof(*e));
    if (!e)
        return SL_ERR_NOMEM;
    sl_buf_init(&e->out, out_cap(img));
    sl_status st;
    e->png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, e, penc_error,
                                       penc_warn, e, penc_malloc, penc_free);
    if (e->png)
        e->info = png_create_info_struct(e->png);
    if (!e->png || !e->info)
        st = SL_ERR_NOMEM;
    else
        st = penc_run(e, img, level);
    if (e->png)
        png_destroy_write_struct(&e->png, e->info ? &e->info : NULL);
    if (st == SL_OK)
        *out = sl_buf_detach(&e->out, out_len);
    sl_buf_free(&e->out);
    sl__free(e);
    return st;
}
