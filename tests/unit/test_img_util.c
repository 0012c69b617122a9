/*
 * test_img_util.c -- see test_img_util.h.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "base/base.h"
#include "test.h"
#include "test_img_util.h"

const uint8_t t_quad_colors[4][3] = {
    { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 }, { 255, 255, 0 },
};

struct sl_image *t_quad_image(uint32_t w, uint32_t h)
{
    struct sl_image *img;
    if (sl_image_new(&img, w, h, 3) != SL_OK)
        return NULL;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            int q = (x >= w / 2) + 2 * (y >= h / 2);
            memcpy(img->data + y * img->stride + 3 * x, t_quad_colors[q], 3);
        }
    return img;
}

struct sl_image *t_random_image(uint32_t w, uint32_t h, uint32_t c,
                                unsigned long long *seed)
{
    struct sl_image *img;
    if (sl_image_new(&img, w, h, c) != SL_OK)
        return NULL;
    for (uint32_t y = 0; y < h; y++)
        for (size_t i = 0; i < (size_t)w * c; i++)
            img->data[y * img->stride + i] = (uint8_t)(sl_t_rand(seed) >> 56);
    return img;
}

struct sl_image *t_smooth_image(uint32_t w, uint32_t h, uint32_t c,
                                unsigned long long *seed)
{
    struct sl_image *img = t_random_image(w, h, c, seed);
    if (!img)
        return NULL;
    /* two passes of a horizontal and vertical [1 2 1]/4 blur */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t y = 0; y < h; y++) {
            uint8_t *r = img->data + y * img->stride;
            for (uint32_t x = 1; x + 1 < w; x++)
                for (uint32_t k = 0; k < c; k++)
                    r[x * c + k] = (uint8_t)((r[(x - 1) * c + k] + 2 * r[x * c + k] +
                                              r[(x + 1) * c + k] + 2) / 4);
        }
        for (uint32_t y = 1; y + 1 < h; y++) {
            uint8_t *r = img->data + y * img->stride;
            for (size_t i = 0; i < (size_t)w * c; i++)
                r[i] = (uint8_t)((r[i - img->stride] + 2 * r[i] + r[i + img->stride] + 2) / 4);
        }
    }
    return img;
}

/* ============================ JPEG writer =============================== */

struct t_jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
};

static void t_jerr_exit(j_common_ptr c)
{
    longjmp(((struct t_jerr *)c->err)->jb, 1);
}

uint8_t *t_jpeg_write(const uint8_t *pix, uint32_t w, uint32_t h, int comps,
                      bool progressive, bool ycck, int quality, size_t *len)
{
    struct jpeg_compress_struct c;
    struct t_jerr e;
    unsigned char *out = NULL;
    unsigned long n = 0;
    c.err = jpeg_std_error(&e.pub);
    e.pub.error_exit = t_jerr_exit;
    if (setjmp(e.jb)) {
        jpeg_destroy_compress(&c);
        free(out);
        return NULL;
    }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &n);
    c.image_width = w;
    c.image_height = h;
    c.input_components = comps;
    c.in_color_space = comps == 1 ? JCS_GRAYSCALE : comps == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&c);
    if (comps == 4)
        jpeg_set_colorspace(&c, ycck ? JCS_YCCK : JCS_CMYK);
    jpeg_set_quality(&c, quality, TRUE);
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < h) {
        JSAMPROW r = (JSAMPROW)(pix + (size_t)c.next_scanline * w * comps);
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *len = n;
    return out;
}

/* ============================ PNG writer ================================ */

struct t_mem {
    uint8_t *p;
    size_t   n, cap;
};

static void t_png_wr(png_structp png, png_bytep d, size_t n)
{
    struct t_mem *m = png_get_io_ptr(png);
    if (m->n + n > m->cap) {
        size_t cap = (m->cap + n) * 2;
        uint8_t *q = realloc(m->p, cap);
        if (!q)
            png_error(png, "oom");
        m->p = q;
        m->cap = cap;
    }
    memcpy(m->p + m->n, d, n);
    m->n += n;
}

static void t_png_flush(png_structp png)
{
    (void)png;
}

uint8_t *t_png_write(const uint8_t *rows, size_t rowbytes, uint32_t w, uint32_t h,
                     int bit_depth, int color_type, bool interlace,
                     const uint8_t *palette_rgb, int npal, const uint8_t *trns,
                     int ntrns, const uint8_t *exif, size_t exif_len, size_t *len)
{
    struct t_mem m = { 0 };
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info)
        return NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(m.p);
        return NULL;
    }
    png_set_write_fn(png, &m, t_png_wr, t_png_flush);
    png_set_IHDR(png, info, w, h, bit_depth, color_type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (palette_rgb) {
        png_color pal[256];
        for (int i = 0; i < npal; i++) {
            pal[i].red = palette_rgb[3 * i];
            pal[i].green = palette_rgb[3 * i + 1];
            pal[i].blue = palette_rgb[3 * i + 2];
        }
        png_set_PLTE(png, info, pal, npal);
    }
    if (trns)
        png_set_tRNS(png, info, trns, ntrns, NULL);
    if (exif)
        png_set_eXIf_1(png, info, (png_uint_32)exif_len, (png_bytep)exif);
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    for (int p = 0; p < passes; p++)
        for (uint32_t y = 0; y < h; y++)
            png_write_row(png, rows + y * rowbytes);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *len = m.n;
    return m.p;
}

/* ============================ EXIF ====================================== */

static void put16(uint8_t *p, unsigned v, bool be)
{
    p[be ? 0 : 1] = (uint8_t)(v >> 8);
    p[be ? 1 : 0] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v, bool be)
{
    for (int i = 0; i < 4; i++)
        p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

size_t t_tiff_orientation(uint8_t *out, int o, bool be)
{
    memset(out, 0, 64);
    out[0] = out[1] = be ? 'M' : 'I';
    put16(out + 2, 42, be);
    put32(out + 4, 8, be);
    put16(out + 8, 2, be);                 /* two entries            */
    put16(out + 10, 0x010f, be);           /* Make, ASCII, 4 bytes    */
    put16(out + 12, 2, be);
    put32(out + 14, 4, be);
    memcpy(out + 18, "abc", 4);
    put16(out + 22, 0x0112, be);           /* Orientation SHORT 1     */
    put16(out + 24, 3, be);
    put32(out + 26, 1, be);
    put16(out + 30, (unsigned)o, be);
    put32(out + 34, 0, be);                /* no next IFD            */
    return 38;
}

uint8_t *t_jpeg_with_exif(const uint8_t *jpg, size_t len, int o, bool be,
                          size_t *out_len)
{
    uint8_t tiff[64];
    size_t tl = t_tiff_orientation(tiff, o, be);
    size_t seg = 2 + 6 + tl;               /* length field counts itself */
    uint8_t *out = malloc(len + 2 + seg);
    if (!out)
        return NULL;
    memcpy(out, jpg, 2);                   /* SOI */
    out[2] = 0xff;
    out[3] = 0xe1;
    out[4] = (uint8_t)(seg >> 8);
    out[5] = (uint8_t)seg;
    memcpy(out + 6, "Exif\0\0", 6);
    memcpy(out + 12, tiff, tl);
    memcpy(out + 12 + tl, jpg + 2, len - 2);
    *out_len = len + 2 + seg;
    return out;
}

size_t t_png_chunk(uint8_t *p, const char *name, const uint8_t *data, uint32_t n)
{
    p[0] = (uint8_t)(n >> 24);
    p[1] = (uint8_t)(n >> 16);
    p[2] = (uint8_t)(n >> 8);
    p[3] = (uint8_t)n;
    memcpy(p + 4, name, 4);
    if (n)
        memcpy(p + 8, data, n);
    uLong crc = crc32(0, p + 4, 4 + n);
    p[8 + n] = (uint8_t)(crc >> 24);
    p[9 + n] = (uint8_t)(crc >> 16);
    p[10 + n] = (uint8_t)(crc >> 8);
    p[11 + n] = (uint8_t)crc;
    return 12 + n;
}

int t_max_diff(const struct sl_image *a, const struct sl_image *b)
{
    if (!a || !b || a->width != b->width || a->height != b->height ||
        a->channels != b->channels)
        return 999;
    int m = 0;
    for (uint32_t y = 0; y < a->height; y++)
        for (size_t i = 0; i < (size_t)a->width * a->channels; i++) {
            int d = abs(a->data[y * a->stride + i] - b->data[y * b->stride + i]);
            if (d > m)
                m = d;
        }
    return m;
}

const uint8_t *t_px(const struct sl_image *img, uint32_t x, uint32_t y)
{
    return img->data + y * img->stride + (size_t)x * img->channels;
}
