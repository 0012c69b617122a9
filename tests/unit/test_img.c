/*
 * test_img.c -- decode/encode tests for img/: every bad input gets its own
 * code, limits hold before allocation, EXIF orientation (all 8, both byte
 * orders), grayscale, CMYK/YCCK, progressive, 16-bit/palette/alpha/
 * interlaced PNG, allocation-failure injection.
 */
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "base/base.h"
#include "img/img.h"
#include "test.h"
#include "test_img_util.h"

/* Decodes and returns the status; *out is freed unless kept. */
static int dec(const uint8_t *b, size_t n, int want, struct sl_image_info *info)
{
    struct sl_image *img = NULL;
    int st = sl_image_decode(b, n, NULL, want, &img, info);
    sl_image_free(img);
    return st;
}

static uint8_t *small_jpeg(uint32_t w, uint32_t h, size_t *len)
{
    struct sl_image *q = t_quad_image(w, h);
    uint8_t *out = NULL;
    if (q && sl_image_encode_jpeg(q, 90, &out, len) != SL_OK)
        out = NULL;
    sl_image_free(q);
    return out;
}

static uint8_t *small_png(uint32_t w, uint32_t h, size_t *len)
{
    struct sl_image *q = t_quad_image(w, h);
    uint8_t *out = NULL;
    if (q && sl_image_encode_png(q, 6, &out, len) != SL_OK)
        out = NULL;
    sl_image_free(q);
    return out;
}

/* Offset of the first marker m (0xC0 SOF0, ...) in a JPEG, or 0. */
static size_t find_marker(const uint8_t *b, size_t n, uint8_t m)
{
    for (size_t i = 2; i + 1 < n; i++)
        if (b[i] == 0xff && b[i + 1] == m)
            return i;
    return 0;
}

/* Colour distance to the nearest of the quadrant colours: index. */
static int nearest_quad(const uint8_t *p)
{
    int best = -1, bd = 1 << 30;
    for (int q = 0; q < 4; q++) {
        int d = 0;
        for (int c = 0; c < 3; c++)
            d += abs(p[c] - t_quad_colors[q][c]);
        if (d < bd) {
            bd = d;
            best = q;
        }
    }
    return bd < 90 ? best : -1;
}

/* ============================ Basics ==================================== */

SL_TEST(img, limits_and_names)
{
    struct sl_image_limits l = sl_image_limits_default();
    SL_CHECK_EQ(t, l.max_bytes, 20u << 20);
    SL_CHECK_EQ(t, l.max_width, 8192);
    SL_CHECK_EQ(t, l.max_height, 8192);
    SL_CHECK_EQ(t, l.max_pixels, 40000000);
    SL_CHECK(t, strcmp(sl_status_name(SL_ERR_IMG_UNSUPPORTED), "img_unsupported") == 0);
    SL_CHECK(t, strcmp(sl_image_format_name(SL_IMAGE_FORMAT_PNG), "png") == 0);
    struct sl_image *img = NULL;
    SL_CHECK_EQ(t, sl_image_new(&img, 0, 5, 3), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_image_new(&img, 5, 5, 2), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_image_new(&img, 70000, 5, 1), SL_ERR_INVALID);
    SL_CHECK(t, img == NULL);
    SL_CHECK_EQ(t, sl_image_new(&img, 5, 7, 3), SL_OK);
    SL_CHECK(t, img && img->stride >= 15 && img->stride % 64 == 0 &&
                ((uintptr_t)img->data % 64) == 0);
    sl_image_free(img);
    sl_image_free(NULL);
    sl_image_bytes_free(NULL);
}

SL_TEST(img, decode_sample_photo)
{
    const char *dir = sl_t_data_dir();
    if (!dir) {
        sl_t_skip(t, "tests/data absent (npm test photos not installed)");
        return;
    }
    char path[4200];
    snprintf(path, sizeof(path), "%s/sample1.jpg", dir);
    uint8_t *b;
    size_t n;
    SL_CHECK_EQ(t, sl__read_file(path, 50u << 20, &b, &n), SL_OK);
    struct sl_image *img = NULL;
    struct sl_image_info info;
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 3, &img, &info), SL_OK);
    SL_CHECK(t, img && img->width == 1920 && img->height == 1280 && img->channels == 3);
    SL_CHECK_EQ(t, info.format, SL_IMAGE_FORMAT_JPEG);
    SL_CHECK_EQ(t, info.source_channels, 3);
    SL_CHECK_EQ(t, info.bit_depth, 8);
    SL_CHECK_EQ(t, info.orientation, 1);
    /* a photo is not flat grey: the decode really happened */
    double mean[3], sd[3];
    SL_CHECK_EQ(t, sl_image_mean_std(img, mean, sd), SL_OK);
    SL_CHECK(t, sd[0] > 10 && sd[1] > 10 && sd[2] > 10);
    sl_image_free(img);
    /* truncated real photo: half the bytes */
    SL_CHECK_EQ(t, dec(b, n / 2, 3, NULL), SL_ERR_IMG_TRUNCATED);
    SL_CHECK_EQ(t, dec(b, n - 2, 3, NULL), SL_ERR_IMG_TRUNCATED);
    sl__free(b);
    /* every test photo decodes, to RGB and to gray */
    for (int i = 1; i <= 6; i++) {
        snprintf(path, sizeof(path), "%s/sample%d.jpg", dir, i);
        if (sl__read_file(path, 50u << 20, &b, &n) != SL_OK) {
            SL_CHECKF(t, false, "cannot read %s", path);
            continue;
        }
        for (int want = 1; want <= 3; want += 2) {
            img = NULL;
            int st = sl_image_decode(b, n, NULL, want, &img, &info);
            SL_CHECKF(t, st == SL_OK && img->width == 1920 && img->height >= 1280 &&
                             img->channels == (uint32_t)want && info.warnings == 0,
                      "sample%d want %d: %s", i, want, sl_status_name(st));
            sl_image_free(img);
        }
        sl__free(b);
    }
}

SL_TEST(img, roundtrip_jpeg_png)
{
    struct sl_image *q = t_quad_image(40, 30), *g = NULL, *img = NULL;
    uint8_t *b;
    size_t n;
    struct sl_image_info info;
    SL_CHECK_EQ(t, sl_image_encode_png(q, -1, &b, &n), SL_OK);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 0, &img, &info), SL_OK);
    SL_CHECK_EQ(t, t_max_diff(q, img), 0);
    SL_CHECK_EQ(t, info.format, SL_IMAGE_FORMAT_PNG);
    sl_image_free(img);
    sl_image_bytes_free(b);

    SL_CHECK_EQ(t, sl_image_encode_jpeg(q, 95, &b, &n), SL_OK);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 3, &img, &info), SL_OK);
    SL_CHECK(t, img && img->width == 40 && img->height == 30);
    SL_CHECK(t, img && nearest_quad(t_px(img, 5, 5)) == 0 &&
                nearest_quad(t_px(img, 35, 5)) == 1 &&
                nearest_quad(t_px(img, 5, 25)) == 2 &&
                nearest_quad(t_px(img, 35, 25)) == 3);
    sl_image_free(img);
    sl_image_bytes_free(b);

    /* gray encode/decode, exact for PNG */
    SL_CHECK_EQ(t, sl_image_to_gray(&g, q, SL_GRAY_BT601), SL_OK);
    SL_CHECK_EQ(t, sl_image_encode_png(g, 9, &b, &n), SL_OK);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 0, &img, NULL), SL_OK);
    SL_CHECK(t, img && img->channels == 1 && t_max_diff(img, g) == 0);
    sl_image_free(img);
    sl_image_bytes_free(b);
    SL_CHECK_EQ(t, sl_image_encode_jpeg(g, 0, &b, &n), SL_OK);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 0, &img, &info), SL_OK);
    SL_CHECK(t, img && img->channels == 1 && info.source_channels == 1);
    SL_CHECK(t, img && t_max_diff(img, g) < 40);
    sl_image_free(img);
    sl_image_bytes_free(b);

    SL_CHECK_EQ(t, sl_image_encode_jpeg(q, 101, &b, &n), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_image_encode_png(NULL, 1, &b, &n), SL_ERR_INVALID);
    sl_image_free(g);
    sl_image_free(q);
}

/* ============================ Bad input ================================= */

SL_TEST(img, empty_and_wrong_magic)
{
    static const uint8_t gif[] = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    static const uint8_t bmp[] = "BM\x3e\x00\x00\x00\x00\x00\x00\x00";
    struct sl_image *img = NULL;
    SL_CHECK_EQ(t, sl_image_decode(NULL, 0, NULL, 3, &img, NULL), SL_ERR_IMG_EMPTY);
    SL_CHECK_EQ(t, sl_image_decode(gif, 0, NULL, 3, &img, NULL), SL_ERR_IMG_EMPTY);
    SL_CHECK_EQ(t, dec(gif, sizeof(gif) - 1, 3, NULL), SL_ERR_IMG_FORMAT);
    SL_CHECK_EQ(t, dec(bmp, sizeof(bmp) - 1, 3, NULL), SL_ERR_IMG_FORMAT);
    SL_CHECK_EQ(t, dec((const uint8_t *)"hello world", 11, 3, NULL), SL_ERR_IMG_FORMAT);
    SL_CHECK_EQ(t, dec((const uint8_t *)"\xff\xd8\x00\x00", 4, 3, NULL), SL_ERR_IMG_FORMAT);
    SL_CHECK_EQ(t, dec((const uint8_t *)"\x89PNG\r\n\x1a\x0a", 8, 3, NULL),
                SL_ERR_IMG_TRUNCATED);
    SL_CHECK_EQ(t, dec((const uint8_t *)"\x89PN", 3, 3, NULL), SL_ERR_IMG_TRUNCATED);
    SL_CHECK_EQ(t, dec((const uint8_t *)"\xff", 1, 3, NULL), SL_ERR_IMG_TRUNCATED);
    SL_CHECK_EQ(t, sl_image_decode(gif, 4, NULL, 2, &img, NULL), SL_ERR_INVALID);
    SL_CHECK(t, img == NULL);
}

SL_TEST(img, truncated_everywhere)
{
    size_t nj, np;
    uint8_t *j = small_jpeg(24, 16, &nj), *p = small_png(24, 16, &np);
    SL_CHECK(t, j && p);
    if (!j || !p)
        goto out;
    SL_CHECK_EQ(t, dec(j, nj, 3, NULL), SL_OK);
    SL_CHECK_EQ(t, dec(p, np, 3, NULL), SL_OK);
    long bad = 0;
    for (size_t cut = 1; cut < nj; cut++) {
        int st = dec(j, cut, 3, NULL);
        if (st != SL_ERR_IMG_TRUNCATED) {
            if (bad++ < 5)
                SL_CHECKF(t, false, "jpeg cut at %zu of %zu: %s", cut, nj,
                          sl_status_name(st));
        }
    }
    for (size_t cut = 1; cut < np; cut++) {
        int st = dec(p, cut, 3, NULL);
        if (st != SL_ERR_IMG_TRUNCATED) {
            if (bad++ < 10)
                SL_CHECKF(t, false, "png cut at %zu of %zu: %s", cut, np,
                          sl_status_name(st));
        }
    }
    SL_CHECK_EQ(t, bad, 0);
    /* cut inside the entropy-coded data and an EOI glued on: libjpeg alone
     * would return a partly grey image */
    size_t sos = find_marker(j, nj, 0xda);
    SL_CHECK(t, sos > 0);
    uint8_t *g = malloc(nj + 2);
    for (size_t cut = sos + 16; sos && cut + 2 < nj; cut++) {
        memcpy(g, j, cut);
        g[cut] = 0xff;
        g[cut + 1] = 0xd9;
        int st = dec(g, cut + 2, 3, NULL);
        if (st != SL_ERR_IMG_TRUNCATED && bad++ < 3)
            SL_CHECKF(t, false, "jpeg cut at %zu + EOI: %s", cut, sl_status_name(st));
    }
    free(g);
    SL_CHECK_EQ(t, bad, 0);
out:
    sl_image_bytes_free(j);
    sl_image_bytes_free(p);
}

SL_TEST(img, truncated_progressive_and_interlaced)
{
    unsigned long long seed = 7;
    struct sl_image *r = t_smooth_image(64, 48, 3, &seed);
    size_t nj, np;
    /* the image's rows are strided: pack them for the writers */
    uint8_t *packed = malloc(64 * 48 * 3);
    for (uint32_t y = 0; y < 48; y++)
        memcpy(packed + y * 64 * 3, r->data + y * r->stride, 64 * 3);
    uint8_t *j = t_jpeg_write(packed, 64, 48, 3, true, false, 90, &nj);
    uint8_t *p = t_png_write(packed, 64 * 3, 64, 48, 8, PNG_COLOR_TYPE_RGB, true,
                             NULL, 0, NULL, 0, NULL, 0, &np);
    SL_CHECK(t, j && p);
    struct sl_image_info info;
    SL_CHECK_EQ(t, dec(j, nj, 3, &info), SL_OK);
    SL_CHECK(t, info.progressive);
    SL_CHECK_EQ(t, dec(p, np, 3, &info), SL_OK);
    SL_CHECK(t, info.interlaced);
    long bad = 0;
    for (size_t cut = 1; j && cut < nj; cut += 3)
        bad += dec(j, cut, 3, NULL) != SL_ERR_IMG_TRUNCATED;
    for (size_t cut = 1; p && cut < np; cut += 3)
        bad += dec(p, cut, 3, NULL) != SL_ERR_IMG_TRUNCATED;
    SL_CHECK_EQ(t, bad, 0);
    free(packed);
    free(j);
    free(p);
    sl_image_free(r);
}

SL_TEST(img, corrupt_headers)
{
    size_t nj, np;
    uint8_t *j = small_jpeg(16, 16, &nj), *p = small_png(16, 16, &np);
    SL_CHECK(t, j && p);
    if (!j || !p)
        goto out;
    uint8_t *c = malloc(nj > np ? nj : np);
    /* JPEG: SOF0 with 0 components */
    size_t sof = find_marker(j, nj, 0xc0);
    SL_CHECK(t, sof > 0);
    memcpy(c, j, nj);
    c[sof + 9] = 0;
    SL_CHECK_EQ(t, dec(c, nj, 3, NULL), SL_ERR_IMG_CORRUPT);
    /* JPEG: a Huffman table claiming more than 256 codes */
    size_t dht = find_marker(j, nj, 0xc4);
    SL_CHECK(t, dht > 0);
    memcpy(c, j, nj);
    for (int i = 0; i < 16; i++)
        c[dht + 5 + i] = 0xff;
    SL_CHECK_EQ(t, dec(c, nj, 3, NULL), SL_ERR_IMG_CORRUPT);
    /* JPEG: 12-bit precision is a valid variant we do not decode */
    memcpy(c, j, nj);
    c[sof + 4] = 12;
    SL_CHECK_EQ(t, dec(c, nj, 3, NULL), SL_ERR_IMG_UNSUPPORTED);
    /* PNG: IHDR CRC wrong */
    memcpy(c, p, np);
    c[29] ^= 0x55;
    SL_CHECK_EQ(t, dec(c, np, 3, NULL), SL_ERR_IMG_CORRUPT);
    /* PNG: first chunk is not IHDR */
    memcpy(c, p, np);
    c[12] = 'X';
    SL_CHECK_EQ(t, dec(c, np, 3, NULL), SL_ERR_IMG_CORRUPT);
    /* PNG: bad colour type with a valid CRC */
    memcpy(c, p, np);
    c[25] = 5;
    t_png_chunk(c + 8, "IHDR", c + 16, 13);
    SL_CHECK_EQ(t, dec(c, np, 3, NULL), SL_ERR_IMG_CORRUPT);
    /* PNG: IDAT payload garbled (CRC fixed up so zlib sees it) */
    memcpy(c, p, np);
    size_t idat = 33;
    SL_CHECK(t, memcmp(c + idat + 4, "IDAT", 4) == 0);
    uint32_t ilen = (uint32_t)c[idat] << 24 | c[idat + 1] << 16 | c[idat + 2] << 8 |
                    c[idat + 3];
    for (uint32_t i = 2; i < ilen; i++)
        c[idat + 8 + i] = (uint8_t)(i * 37);
    t_png_chunk(c + idat, "IDAT", c + idat + 8, ilen);
    SL_CHECK_EQ(t, dec(c, np, 3, NULL), SL_ERR_IMG_CORRUPT);
    free(c);
out:
    sl_image_bytes_free(j);
    sl_image_bytes_free(p);
}

/* A PNG that is only signature + IHDR (+ IEND), dimensions as given. */
static size_t png_header_only(uint8_t *b, uint32_t w, uint32_t h)
{
    uint8_t ihdr[13] = { (uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8),
                         (uint8_t)w, (uint8_t)(h >> 24), (uint8_t)(h >> 16),
                         (uint8_t)(h >> 8), (uint8_t)h, 8, 2, 0, 0, 0 };
    memcpy(b, "\x89PNG\r\n\x1a\n", 8);
    size_t n = 8 + t_png_chunk(b + 8, "IHDR", ihdr, 13);
    return n + t_png_chunk(b + n, "IEND", NULL, 0);
}

SL_TEST(img, huge_and_zero_dimensions)
{
    uint8_t b[128];
    size_t n = png_header_only(b, 60000, 60000);
    uint64_t calls = sl__alloc_calls();
    SL_CHECK_EQ(t, dec(b, n, 3, NULL), SL_ERR_IMG_WIDTH);
    SL_CHECK_EQ(t, sl__alloc_calls() - calls, 0);     /* nothing allocated */
    n = png_header_only(b, 100, 60000);
    SL_CHECK_EQ(t, dec(b, n, 3, NULL), SL_ERR_IMG_HEIGHT);
    n = png_header_only(b, 8000, 8000);
    SL_CHECK_EQ(t, dec(b, n, 3, NULL), SL_ERR_IMG_PIXELS);
    n = png_header_only(b, 0x7fffffff, 1);
    SL_CHECK_EQ(t, dec(b, n, 3, NULL), SL_ERR_IMG_WIDTH);
    n = png_header_only(b, 0, 10);
    SL_CHECK_EQ(t, dec(b, n, 3, NULL), SL_ERR_IMG_DIMENSIONS);
    n = png_header_only(b, 10, 0);
    SL_CHECK_EQ(t, dec(b, n, 3, NULL), SL_ERR_IMG_DIMENSIONS);

    size_t nj;
    uint8_t *j = small_jpeg(16, 16, &nj);
    size_t sof = j ? find_marker(j, nj, 0xc0) : 0;
    SL_CHECK(t, sof > 0);
    if (!sof)
        goto out;
    struct { unsigned h, w; int want; } cases[] = {
        { 60000, 60000, SL_ERR_IMG_WIDTH }, { 60000, 100, SL_ERR_IMG_HEIGHT },
        { 8000, 8000, SL_ERR_IMG_PIXELS },  { 0, 16, SL_ERR_IMG_DIMENSIONS },
        { 16, 0, SL_ERR_IMG_DIMENSIONS },   { 65535, 65535, SL_ERR_IMG_WIDTH },
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        j[sof + 5] = (uint8_t)(cases[i].h >> 8);
        j[sof + 6] = (uint8_t)cases[i].h;
        j[sof + 7] = (uint8_t)(cases[i].w >> 8);
        j[sof + 8] = (uint8_t)cases[i].w;
        calls = sl__alloc_calls();
        int st = dec(j, nj, 3, NULL);
        SL_CHECKF(t, st == cases[i].want, "jpeg %ux%u: got %s want %s", cases[i].w,
                  cases[i].h, sl_status_name(st), sl_status_name(cases[i].want));
        /* only the decoder state block: no image buffer was made */
        SL_CHECK_EQ(t, sl__alloc_calls() - calls, 1);
    }
    /* custom limits and the byte limit */
    struct sl_image_limits l = sl_image_limits_default();
    struct sl_image *img = NULL;
    j[sof + 5] = 0; j[sof + 6] = 16; j[sof + 7] = 0; j[sof + 8] = 16;
    SL_CHECK_EQ(t, sl_image_decode(j, nj, &l, 3, &img, NULL), SL_OK);
    sl_image_free(img);
    l.max_width = 15;
    SL_CHECK_EQ(t, sl_image_decode(j, nj, &l, 3, &img, NULL), SL_ERR_IMG_WIDTH);
    l = sl_image_limits_default();
    l.max_pixels = 255;
    SL_CHECK_EQ(t, sl_image_decode(j, nj, &l, 3, &img, NULL), SL_ERR_IMG_PIXELS);
    l = sl_image_limits_default();
    l.max_bytes = nj - 1;
    SL_CHECK_EQ(t, sl_image_decode(j, nj, &l, 3, &img, NULL), SL_ERR_IMG_BYTES);
out:
    sl_image_bytes_free(j);
}

/* ============================ EXIF orientation ========================== */

/* Where the stored image's TL and TR corners appear when displayed, from
 * the EXIF 2.3 wording "the 0th row is the visual <row0>, the 0th column
 * is the visual <col0>": 0 TL, 1 TR, 2 BL, 3 BR (display corners). */
static const int orient_tl[9] = { 0, 0, 1, 3, 2, 0, 1, 3, 2 };
static const int orient_tr[9] = { 0, 1, 0, 2, 3, 2, 3, 1, 0 };

static void check_oriented(struct sl_t *t, const struct sl_image *img, int o,
                           uint32_t W, uint32_t H, const char *what)
{
    bool swap = o >= 5;
    SL_CHECKF(t, img->width == (swap ? H : W) && img->height == (swap ? W : H),
              "%s o=%d: size %ux%u", what, o, img->width, img->height);
    uint32_t w = img->width, h = img->height, m = 3;
    const uint8_t *corner[4] = { t_px(img, m, m), t_px(img, w - 1 - m, m),
                                 t_px(img, m, h - 1 - m),
                                 t_px(img, w - 1 - m, h - 1 - m) };
    /* stored TL is quadrant colour 0, stored TR is colour 1 */
    SL_CHECKF(t, nearest_quad(corner[orient_tl[o]]) == 0, "%s o=%d: stored TL", what, o);
    SL_CHECKF(t, nearest_quad(corner[orient_tr[o]]) == 1, "%s o=%d: stored TR", what, o);
}

SL_TEST(img, exif_orientation_all_8)
{
    const uint32_t W = 48, H = 32;
    size_t nj;
    uint8_t *j = small_jpeg(W, H, &nj);
    SL_CHECK(t, j != NULL);
    for (int be = 0; j && be < 2; be++)
        for (int o = 1; o <= 8; o++) {
            size_t n;
            uint8_t *e = t_jpeg_with_exif(j, nj, o, be, &n);
            struct sl_image *img = NULL;
            struct sl_image_info info;
            SL_CHECK_EQ(t, sl_image_decode(e, n, NULL, 3, &img, &info), SL_OK);
            SL_CHECK_EQ(t, info.orientation, o);
            SL_CHECK(t, info.stored_width == W && info.stored_height == H);
            if (img)
                check_oriented(t, img, o, W, H, be ? "jpeg MM" : "jpeg II");
            sl_image_free(img);
            free(e);
        }
    /* PNG eXIf chunk */
    struct sl_image *q = t_quad_image(W, H);
    uint8_t *packed = malloc(W * H * 3);
    for (uint32_t y = 0; y < H; y++)
        memcpy(packed + y * W * 3, q->data + y * q->stride, W * 3);
    for (int o = 1; o <= 8; o++) {
        uint8_t tiff[64];
        size_t tl = t_tiff_orientation(tiff, o, o & 1);
        size_t n;
        uint8_t *p = t_png_write(packed, W * 3, W, H, 8, PNG_COLOR_TYPE_RGB, false,
                                 NULL, 0, NULL, 0, tiff, tl, &n);
        struct sl_image *img = NULL;
        struct sl_image_info info;
        SL_CHECK_EQ(t, sl_image_decode(p, n, NULL, 3, &img, &info), SL_OK);
        SL_CHECK_EQ(t, info.orientation, o);
        if (img)
            check_oriented(t, img, o, W, H, "png eXIf");
        sl_image_free(img);
        free(p);
    }
    free(packed);
    sl_image_free(q);
    sl_image_bytes_free(j);
}

SL_TEST(img, exif_parser_malformed)
{
    uint8_t b[64];
    size_t n = t_tiff_orientation(b, 6, false);
    SL_CHECK_EQ(t, sl__exif_orientation_tiff(b, n), 6);
    n = t_tiff_orientation(b, 8, true);
    SL_CHECK_EQ(t, sl__exif_orientation_tiff(b, n), 8);
    /* every truncation is "no orientation" or the value, never a crash */
    for (size_t k = 0; k < n; k++) {
        uint32_t o = sl__exif_orientation_tiff(b, k);
        SL_CHECK(t, o == 1 || (k >= 32 && o == 8));
    }
    SL_CHECK_EQ(t, sl__exif_orientation_tiff(NULL, 10), 1);
    n = t_tiff_orientation(b, 9, false);             /* out of range */
    SL_CHECK_EQ(t, sl__exif_orientation_tiff(b, n), 1);
    n = t_tiff_orientation(b, 0, false);
    SL_CHECK_EQ(t, sl__exif_orientation_tiff(b, n), 1);
    n = t_tiff_orientation(b, 3, false);
    b[24] = 4;                                       /* type LONG       */
    SL_CHECK_EQ(t, sl__exif_orientation_tiff(b, n), 1);
    n = t_tiff_orientation(b, 3, false);
    b[4] = 0xf0; b[5] = 0xff; b[6] = 0xff; b[7] = 0xff; /* IFD far away */
    SL_CHECK_EQ(t, sl__exif_orientation_tiff(b, n), 1);
    n = t_tiff_orientation(b, 3, false);
    b[8] = 0xff; b[9] = 0xff;                        /* 65535 entries    */
    SL_CHECK_EQ(t, sl__exif_orientation_tiff(b, n), 3);
    n = t_tiff_orientation(b, 3, false);
    b[2] = 43;                                       /* bad magic        */
    SL_CHECK_EQ(t, sl__exif_orientation_tiff(b, n), 1);
    SL_CHECK_EQ(t, sl__exif_orientation_app1((const uint8_t *)"Exif\0", 5), 1);
    SL_CHECK_EQ(t, sl__exif_orientation_app1((const uint8_t *)"JFIF\0\0II", 8), 1);
}

/* ============================ Variants ================================== */

SL_TEST(img, jpeg_gray_cmyk_ycck_progressive)
{
    const uint32_t W = 32, H = 16;
    uint8_t gray[32 * 16], cmyk[32 * 16 * 4], rgb[32 * 16 * 3];
    for (uint32_t i = 0; i < W * H; i++) {
        gray[i] = (uint8_t)(i % W * 8);
        /* left half red, right half blue; stored Adobe-inverted:
         * red = C0 M255 Y255 K0 -> stored 255 0 0 255 */
        bool left = i % W < W / 2;
        uint8_t inv[4] = { 255, left ? 0 : 0, left ? 0 : 255, 255 };
        if (!left) {            /* blue = C255 M255 Y0 K0 -> 0 0 255 255 */
            inv[0] = 0;
            inv[1] = 0;
        }
        memcpy(cmyk + 4 * i, inv, 4);
        rgb[3 * i] = (uint8_t)(i * 3);
        rgb[3 * i + 1] = (uint8_t)(i * 5);
        rgb[3 * i + 2] = 100;
    }
    size_t n;
    struct sl_image *img = NULL;
    struct sl_image_info info;
    uint8_t *b = t_jpeg_write(gray, W, H, 1, false, false, 95, &n);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 0, &img, &info), SL_OK);
    SL_CHECK(t, img && img->channels == 1 && info.source_channels == 1);
    SL_CHECK(t, img && abs(t_px(img, 20, 8)[0] - 160) < 8);
    sl_image_free(img);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 3, &img, NULL), SL_OK);
    SL_CHECK(t, img && img->channels == 3 && t_px(img, 20, 8)[0] == t_px(img, 20, 8)[2]);
    sl_image_free(img);
    free(b);

    for (int ycck = 0; ycck < 2; ycck++) {
        b = t_jpeg_write(cmyk, W, H, 4, false, ycck, 95, &n);
        SL_CHECK(t, b != NULL);
        SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 3, &img, &info), SL_OK);
        SL_CHECK(t, info.cmyk && info.source_channels == 4);
        if (img) {
            const uint8_t *l = t_px(img, 4, 8), *r = t_px(img, 28, 8);
            SL_CHECKF(t, l[0] > 230 && l[1] < 25 && l[2] < 25,
                      "cmyk ycck=%d left %d %d %d", ycck, l[0], l[1], l[2]);
            SL_CHECKF(t, r[0] < 25 && r[1] < 25 && r[2] > 230,
                      "cmyk ycck=%d right %d %d %d", ycck, r[0], r[1], r[2]);
        }
        sl_image_free(img);
        img = NULL;
        SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 1, &img, NULL), SL_OK);
        SL_CHECK(t, img && img->channels == 1 && abs(t_px(img, 4, 8)[0] - 76) < 10);
        sl_image_free(img);
        free(b);
    }

    b = t_jpeg_write(rgb, W, H, 3, true, false, 95, &n);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 3, &img, &info), SL_OK);
    SL_CHECK(t, info.progressive);
    struct sl_image *base = NULL;
    free(b);
    b = t_jpeg_write(rgb, W, H, 3, false, false, 95, &n);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 3, &base, &info), SL_OK);
    SL_CHECK(t, !info.progressive);
    SL_CHECK(t, t_max_diff(img, base) <= 8);   /* same data, other coding */
    sl_image_free(base);
    sl_image_free(img);
    free(b);
}

SL_TEST(img, png_variants)
{
    const uint32_t W = 9, H = 7;   /* odd: exercises Adam7 and bit packing */
    uint8_t rows[9 * 7 * 8], want_rgb[9 * 7 * 3];
    size_t n;
    struct sl_image *img = NULL, *ref = NULL;
    struct sl_image_info info;
    uint8_t *b;

    /* 16-bit RGB: sample v*257 + small -> v after scaling */
    for (uint32_t i = 0; i < W * H * 3; i++) {
        unsigned v = (i * 29) % 256;
        unsigned s = v * 257 + (v & 1 ? 100 : 0);
        rows[2 * i] = (uint8_t)(s >> 8);
        rows[2 * i + 1] = (uint8_t)s;
        want_rgb[i] = (uint8_t)v;
    }
    b = t_png_write(rows, W * 6, W, H, 16, PNG_COLOR_TYPE_RGB, false, NULL, 0, NULL,
                    0, NULL, 0, &n);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 0, &img, &info), SL_OK);
    SL_CHECK(t, info.bit_depth == 16 && img && img->channels == 3);
    int bad = 0;
    for (uint32_t y = 0; img && y < H; y++)
        for (uint32_t i = 0; i < W * 3; i++)
            bad += img->data[y * img->stride + i] != want_rgb[y * W * 3 + i];
    SL_CHECK_EQ(t, bad, 0);
    sl_image_free(img);
    free(b);

    /* interlaced 16-bit == non-interlaced */
    b = t_png_write(rows, W * 6, W, H, 16, PNG_COLOR_TYPE_RGB, false, NULL, 0, NULL,
                    0, NULL, 0, &n);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 3, &ref, NULL), SL_OK);
    free(b);
    b = t_png_write(rows, W * 6, W, H, 16, PNG_COLOR_TYPE_RGB, true, NULL, 0, NULL,
                    0, NULL, 0, &n);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 3, &img, &info), SL_OK);
    SL_CHECK(t, info.interlaced && t_max_diff(img, ref) == 0);
    sl_image_free(img);
    img = NULL;
    /* interlaced decoded to gray == gray of the non-interlaced */
    struct sl_image *g = NULL, *g2 = NULL;
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 1, &g, NULL), SL_OK);
    SL_CHECK_EQ(t, sl_image_to_gray(&g2, ref, SL_GRAY_BT601), SL_OK);
    SL_CHECK(t, t_max_diff(g, g2) == 0);
    sl_image_free(g);
    sl_image_free(g2);
    sl_image_free(ref);
    free(b);

    /* palette with tRNS: index 0 opaque red, 1 transparent, 2 half blue */
    const uint8_t pal[9] = { 255, 0, 0, 0, 255, 0, 0, 0, 255 };
    const uint8_t trns[3] = { 255, 0, 128 };
    for (uint32_t i = 0; i < W * H; i++)
        rows[i] = (uint8_t)(i % 3);
    b = t_png_write(rows, W, W, H, 8, PNG_COLOR_TYPE_PALETTE, false, pal, 3, trns, 3,
                    NULL, 0, &n);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 3, &img, &info), SL_OK);
    SL_CHECK(t, info.palette && info.has_alpha);
    if (img) {
        const uint8_t *p0 = t_px(img, 0, 0), *p1 = t_px(img, 1, 0), *p2 = t_px(img, 2, 0);
        SL_CHECK(t, p0[0] == 255 && p0[1] == 0 && p0[2] == 0);
        SL_CHECK(t, p1[0] == 255 && p1[1] == 255 && p1[2] == 255);  /* white bg */
        SL_CHECKF(t, p2[0] == 127 && p2[1] == 127 && p2[2] == 255,
                  "half blue over white: %d %d %d", p2[0], p2[1], p2[2]);
    }
    sl_image_free(img);
    free(b);
    /* palette without tRNS, 4-bit */
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < (W + 1) / 2; x++)
            rows[y * 5 + x] = (uint8_t)(((2 * x) % 3) << 4 | ((2 * x + 1) % 3));
    b = t_png_write(rows, 5, W, H, 4, PNG_COLOR_TYPE_PALETTE, false, pal, 3, NULL, 0,
                    NULL, 0, &n);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 0, &img, &info), SL_OK);
    SL_CHECK(t, img && img->channels == 3 && !info.has_alpha);
    SL_CHECK(t, img && t_px(img, 4, 3)[0] == 0 && t_px(img, 4, 3)[1] == 255);  /* idx 1 */
    sl_image_free(img);
    free(b);

    /* RGBA: alpha 0 -> white, 255 -> colour */
    for (uint32_t i = 0; i < W * H; i++) {
        rows[4 * i] = 0;
        rows[4 * i + 1] = 0;
        rows[4 * i + 2] = 0;
        rows[4 * i + 3] = (uint8_t)(i % 2 ? 255 : 0);
    }
    b = t_png_write(rows, W * 4, W, H, 8, PNG_COLOR_TYPE_RGBA, true, NULL, 0, NULL, 0,
                    NULL, 0, &n);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 3, &img, &info), SL_OK);
    SL_CHECK(t, info.has_alpha && info.source_channels == 4);
    SL_CHECK(t, img && t_px(img, 0, 0)[0] == 255 && t_px(img, 1, 0)[0] == 0);
    sl_image_free(img);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 1, &img, NULL), SL_OK);
    SL_CHECK(t, img && img->channels == 1 && t_px(img, 0, 0)[0] == 255 &&
                t_px(img, 1, 0)[0] == 0);
    sl_image_free(img);
    free(b);

    /* gray + alpha, and 1-bit gray */
    for (uint32_t i = 0; i < W * H; i++) {
        rows[2 * i] = 100;
        rows[2 * i + 1] = 51;        /* 100*51/255 + 255*204/255 = 20 + 204 */
    }
    b = t_png_write(rows, W * 2, W, H, 8, PNG_COLOR_TYPE_GRAY_ALPHA, false, NULL, 0,
                    NULL, 0, NULL, 0, &n);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 0, &img, NULL), SL_OK);
    SL_CHECK(t, img && img->channels == 1 && t_px(img, 3, 3)[0] == 224);
    sl_image_free(img);
    free(b);
    for (uint32_t y = 0; y < H; y++) {
        rows[2 * y] = 0xaa;          /* 1010 1010 | 1 ... */
        rows[2 * y + 1] = 0x80;
    }
    b = t_png_write(rows, 2, W, H, 1, PNG_COLOR_TYPE_GRAY, true, NULL, 0, NULL, 0,
                    NULL, 0, &n);
    SL_CHECK_EQ(t, sl_image_decode(b, n, NULL, 0, &img, &info), SL_OK);
    SL_CHECK(t, img && info.bit_depth == 1 && img->channels == 1 &&
                t_px(img, 0, 2)[0] == 255 && t_px(img, 1, 2)[0] == 0 &&
                t_px(img, 8, 2)[0] == 255);
    sl_image_free(img);
    free(b);
}

/* ============================ Failure injection ========================= */

SL_TEST(img, alloc_failures)
{
    size_t nj, np;
    uint8_t *j = small_jpeg(20, 12, &nj), *p = small_png(20, 12, &np);
    struct sl_image *q = t_quad_image(20, 12);
    int other = 0, nomem = 0;
    for (long k = 1; k <= 40; k++) {
        struct sl_image *img = NULL;
        uint8_t *e = NULL;
        size_t en;
        int sts[4];
        sl__fail_after(k);
        sts[0] = sl_image_decode(j, nj, NULL, 3, &img, NULL);
        sl_image_free(img);
        img = NULL;
        sl__fail_after(k);
        sts[1] = sl_image_decode(p, np, NULL, 1, &img, NULL);
        sl_image_free(img);
        sl__fail_after(k);
        sts[2] = sl_image_encode_png(q, 6, &e, &en);
        sl_image_bytes_free(e);
        e = NULL;
        sl__fail_after(k);
        sts[3] = sl_image_encode_jpeg(q, 80, &e, &en);
        sl__fail_after(0);
        sl_image_bytes_free(e);
        for (int i = 0; i < 4; i++) {
            if (sts[i] == SL_ERR_NOMEM)
                nomem++;
            else if (sts[i] != SL_OK)
                other++;
        }
    }
    SL_CHECK_EQ(t, other, 0);
    SL_CHECK(t, nomem > 4);
    sl_image_free(q);
    sl_image_bytes_free(j);
    sl_image_bytes_free(p);
}
