/*
 * test_img_ops.c -- resize, warp, crop, colour, statistics: definitions
 * checked on hand-computed cases, and fast paths checked against the
 * reference versions (max abs difference <= 1), every kernel set the CPU
 * has (the plain-C one always).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "img/img.h"
#include "test.h"
#include "test_img_util.h"

static struct sl_image *mk(uint32_t w, uint32_t h, uint32_t c)
{
    struct sl_image *img = NULL;
    if (sl_image_new(&img, w, h, c) != SL_OK)
        return NULL;
    return img;
}

/* ============================ Resize ==================================== */

SL_TEST(img_ops, resize_definition)
{
    /* constant stays constant, any size */
    struct sl_image *src = mk(37, 23, 3), *d = NULL;
    for (uint32_t y = 0; y < 23; y++)
        memset(src->data + y * src->stride, 77, 37 * 3);
    uint32_t sizes[][2] = { { 1, 1 }, { 5, 3 }, { 36, 22 }, { 100, 7 }, { 8, 90 } };
    for (size_t i = 0; i < SL_ARRAY_LEN(sizes); i++) {
        SL_CHECK_EQ(t, sl_image_resize(&d, src, sizes[i][0], sizes[i][1]), SL_OK);
        int bad = 0;
        for (uint32_t y = 0; d && y < d->height; y++)
            for (uint32_t x = 0; x < d->width * 3; x++)
                bad += d->data[y * d->stride + x] != 77;
        SL_CHECK_EQ(t, bad, 0);
        sl_image_free(d);
        d = NULL;
    }
    sl_image_free(src);

    /* integer area shrink (4x) is the exact block mean */
    unsigned long long seed = 3;
    src = t_random_image(16, 8, 1, &seed);
    SL_CHECK_EQ(t, sl_image_resize(&d, src, 4, 2), SL_OK);
    for (uint32_t by = 0; d && by < 2; by++)
        for (uint32_t bx = 0; bx < 4; bx++) {
            unsigned sum = 0;
            for (uint32_t y = 0; y < 4; y++)
                for (uint32_t x = 0; x < 4; x++)
                    sum += src->data[(by * 4 + y) * src->stride + bx * 4 + x];
            SL_CHECK_EQ(t, d->data[by * d->stride + bx], (sum + 8) / 16);
        }
    sl_image_free(d);
    d = NULL;
    /* 3x shrink of a 1-row ramp 0,10,..: area mean of each triple */
    struct sl_image *ramp = mk(9, 1, 1);
    for (int x = 0; x < 9; x++)
        ramp->data[x] = (uint8_t)(10 * x);
    SL_CHECK_EQ(t, sl_image_resize(&d, ramp, 3, 1), SL_OK);
    SL_CHECK(t, d && d->data[0] == 10 && d->data[1] == 40 && d->data[2] == 70);
    sl_image_free(d);
    d = NULL;
    /* 2x bilinear upscale of 0,100: centres at -0.25, 0.25, 0.75, 1.25 */
    struct sl_image *two = mk(2, 1, 1);
    two->data[0] = 0;
    two->data[1] = 100;
    SL_CHECK_EQ(t, sl_image_resize(&d, two, 4, 1), SL_OK);
    SL_CHECK(t, d && d->data[0] == 0 && d->data[1] == 25 && d->data[2] == 75 &&
                d->data[3] == 100);
    sl_image_free(d);
    d = NULL;
    /* 2x shrink is bilinear at u = 2i + 0.5: the mean of each pair;
     * 2.25x is area: pixel 0 covers [0, 2.25) = (0 + 10 + 0.25*20) / 2.25 */
    ramp->width = 8;
    SL_CHECK_EQ(t, sl_image_resize(&d, ramp, 4, 1), SL_OK);
    SL_CHECK(t, d && d->data[0] == 5 && d->data[3] == 65);
    sl_image_free(d);
    d = NULL;
    ramp->width = 9;
    SL_CHECK_EQ(t, sl_image_resize(&d, ramp, 4, 1), SL_OK);
    SL_CHECK(t, d && d->data[0] == 7);
    sl_image_free(d);
    d = NULL;
    /* errors */
    SL_CHECK_EQ(t, sl_image_resize(&d, src, 0, 3), SL_ERR_INVALID);
    struct sl_image *c3 = mk(4, 4, 3);
    SL_CHECK_EQ(t, sl_image_resize_into(c3, src), SL_ERR_INVALID);
    SL_CHECK(t, d == NULL);
    sl_image_free(c3);
    sl_image_free(two);
    sl_image_free(ramp);
    sl_image_free(src);
}

SL_TEST(img_ops, resize_fast_vs_ref)
{
    unsigned long long seed = 11;
    struct { uint32_t sw, sh, dw, dh; } cases[] = {
        { 1920, 1280, 320, 240 }, { 640, 480, 112, 112 }, { 333, 217, 160, 100 },
        { 100, 80, 250, 170 },    { 64, 64, 31, 17 },     { 7, 5, 3, 11 },
        { 1, 1, 9, 4 },           { 500, 3, 7, 2 },       { 97, 61, 96, 60 },
    };
    int worst = 0;
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++)
        for (uint32_t c = 1; c <= 3; c += 2) {
            struct sl_image *s = t_random_image(cases[i].sw, cases[i].sh, c, &seed);
            struct sl_image *a = mk(cases[i].dw, cases[i].dh, c);
            struct sl_image *b = mk(cases[i].dw, cases[i].dh, c);
            SL_CHECK_EQ(t, sl_image_resize_into(a, s), SL_OK);
            SL_CHECK_EQ(t, sl__image_resize_ref(b, s), SL_OK);
            int md = t_max_diff(a, b);
            SL_CHECKF(t, md <= 1, "%ux%u->%ux%u c=%u: max diff %d", cases[i].sw,
                      cases[i].sh, cases[i].dw, cases[i].dh, c, md);
            if (md > worst)
                worst = md;
            sl_image_free(s);
            sl_image_free(a);
            sl_image_free(b);
        }
    SL_CHECK(t, worst <= 1);
}

SL_TEST(img_ops, vacc_kernels_agree)
{
    uint32_t f = sl_cpu_features();
    unsigned long long seed = 5;
    int have = 1;
    for (size_t n = 1; n < 300; n += 7) {
        uint8_t row[300];
        float a[320], b[320], c[320];
        for (size_t i = 0; i < n; i++)
            row[i] = (uint8_t)(sl_t_rand(&seed) >> 56);
        for (int first = 0; first < 2; first++) {
            for (size_t i = 0; i < 320; i++)
                a[i] = b[i] = c[i] = (float)i;
            sl__vacc_c(a, row, n, 0.37f, first);
            if (f & SL_CPU_AVX2)
                sl__vacc_avx2(b, row, n, 0.37f, first);
            else
                memcpy(b, a, sizeof(a));
            if (f & SL_CPU_AVX512F)
                sl__vacc_avx512(c, row, n, 0.37f, first);
            else
                memcpy(c, a, sizeof(a));
            for (size_t i = 0; i < 320; i++) {
                SL_CHECKF(t, fabsf(a[i] - b[i]) < 1e-3f && fabsf(a[i] - c[i]) < 1e-3f,
                          "n=%zu i=%zu: c %g avx2 %g avx512 %g", n, i, a[i], b[i], c[i]);
                if (fabsf(a[i] - b[i]) >= 1e-3f || fabsf(a[i] - c[i]) >= 1e-3f)
                    return;
            }
        }
    }
    have += !!(f & SL_CPU_AVX2) + !!(f & SL_CPU_AVX512F);
    if (have == 1)
        sl_t_skip(t, "CPU has neither AVX2 nor AVX-512 (only the C kernel checked)");
}

/* ============================ Warp ====================================== */

SL_TEST(img_ops, warp_definition)
{
    unsigned long long seed = 9;
    struct sl_image *s = t_random_image(20, 10, 3, &seed), *d = mk(20, 10, 3);
    const float id[6] = { 1, 0, 0, 0, 1, 0 };
    SL_CHECK_EQ(t, sl_image_warp_affine(d, s, id, 0), SL_OK);
    SL_CHECK_EQ(t, t_max_diff(d, s), 0);
    /* shift right by 3: dst x reads src x - 3; columns 0..2 are border */
    const float sh[6] = { 1, 0, -3, 0, 1, 0 };
    SL_CHECK_EQ(t, sl_image_warp_affine(d, s, sh, 200), SL_OK);
    SL_CHECK(t, t_px(d, 0, 4)[0] == 200 && t_px(d, 2, 9)[2] == 200);
    SL_CHECK(t, memcmp(t_px(d, 3, 5), t_px(s, 0, 5), 3) == 0);
    SL_CHECK(t, memcmp(t_px(d, 19, 0), t_px(s, 16, 0), 3) == 0);
    /* half-pixel shift blends neighbours; at the edge blends with border */
    const float half[6] = { 1, 0, 0.5f, 0, 1, 0 };
    SL_CHECK_EQ(t, sl_image_warp_affine(d, s, half, 0), SL_OK);
    int want = (t_px(s, 4, 2)[1] + t_px(s, 5, 2)[1] + 1) / 2;
    SL_CHECK(t, abs(t_px(d, 4, 2)[1] - want) <= 1);
    SL_CHECK(t, abs(t_px(d, 19, 2)[1] - (t_px(s, 19, 2)[1] + 1) / 2) <= 1);
    /* invert */
    const float m[6] = { 0.8f, -0.3f, 5, 0.25f, 1.1f, -2 };
    float inv[6], z[6] = { 0 };
    SL_CHECK_EQ(t, sl_image_affine_invert(inv, m), SL_OK);
    /* m(inv(p)) == p for a few points */
    for (int k = 0; k < 3; k++) {
        float x = (float)k * 7 - 3, y = (float)k * 2 + 1;
        float xi = inv[0] * x + inv[1] * y + inv[2], yi = inv[3] * x + inv[4] * y + inv[5];
        float xb = m[0] * xi + m[1] * yi + m[2], yb = m[3] * xi + m[4] * yi + m[5];
        SL_CHECK(t, fabsf(xb - x) < 1e-4f && fabsf(yb - y) < 1e-4f);
    }
    SL_CHECK_EQ(t, sl_image_affine_invert(inv, z), SL_ERR_INVALID);
    const float bad[6] = { NAN, 0, 0, 0, 1, 0 };
    SL_CHECK_EQ(t, sl_image_warp_affine(d, s, bad, 0), SL_ERR_INVALID);
    sl_image_free(s);
    sl_image_free(d);
}

SL_TEST(img_ops, warp_fast_vs_ref)
{
    unsigned long long seed = 21;
    int worst = 0;
    for (int i = 0; i < 40; i++) {
        uint32_t c = i % 2 ? 3 : 1;
        uint32_t sw = 20 + (uint32_t)(sl_t_rand(&seed) % 300);
        uint32_t sh = 20 + (uint32_t)(sl_t_rand(&seed) % 300);
        uint32_t dw = 1 + (uint32_t)(sl_t_rand(&seed) % 130);
        uint32_t dh = 1 + (uint32_t)(sl_t_rand(&seed) % 130);
        struct sl_image *s = t_random_image(sw, sh, c, &seed);
        struct sl_image *a = mk(dw, dh, c), *b = mk(dw, dh, c);
        float ang = sl_t_randf(&seed) * 3.14159f, sc = 0.3f + 2.0f * fabsf(sl_t_randf(&seed));
        float m[6] = { sc * cosf(ang), -sc * sinf(ang), sl_t_randf(&seed) * (float)sw,
                       sc * sinf(ang), sc * cosf(ang), sl_t_randf(&seed) * (float)sh };
        uint8_t border = (uint8_t)(sl_t_rand(&seed) >> 56);
        SL_CHECK_EQ(t, sl_image_warp_affine(a, s, m, border), SL_OK);
        SL_CHECK_EQ(t, sl__image_warp_affine_ref(b, s, m, border), SL_OK);
        int md = t_max_diff(a, b);
        SL_CHECKF(t, md <= 1, "case %d (%ux%u->%ux%u c=%u): max diff %d", i, sw, sh,
                  dw, dh, c, md);
        if (md > worst)
            worst = md;
        sl_image_free(s);
        sl_image_free(a);
        sl_image_free(b);
    }
    /* the benchmark's case: photo to 112x112 */
    struct sl_image *s = t_random_image(1920, 1280, 3, &seed);
    struct sl_image *a = mk(112, 112, 3), *b = mk(112, 112, 3);
    float m[6] = { 1.58f, -0.28f, 900, 0.28f, 1.58f, 550 };
    SL_CHECK_EQ(t, sl_image_warp_affine(a, s, m, 0), SL_OK);
    SL_CHECK_EQ(t, sl__image_warp_affine_ref(b, s, m, 0), SL_OK);
    SL_CHECK(t, t_max_diff(a, b) <= 1);
    sl_image_free(s);
    sl_image_free(a);
    sl_image_free(b);
}

/* ============================ Crop, colour, statistics ================== */

SL_TEST(img_ops, crop_with_padding)
{
    unsigned long long seed = 4;
    struct sl_image *s = t_random_image(10, 8, 3, &seed), *d = NULL;
    SL_CHECK_EQ(t, sl_image_crop(&d, s, -2, -3, 6, 5, 9), SL_OK);
    SL_CHECK(t, d && d->width == 6 && d->height == 5);
    SL_CHECK(t, d && t_px(d, 0, 0)[0] == 9 && t_px(d, 5, 2)[2] == 9 &&
                t_px(d, 1, 4)[1] == 9);
    SL_CHECK(t, d && memcmp(t_px(d, 2, 3), t_px(s, 0, 0), 3) == 0);
    SL_CHECK(t, d && memcmp(t_px(d, 5, 4), t_px(s, 3, 1), 3) == 0);
    sl_image_free(d);
    /* wholly outside */
    SL_CHECK_EQ(t, sl_image_crop(&d, s, 100, 100, 3, 3, 1), SL_OK);
    SL_CHECK(t, d && t_px(d, 1, 1)[0] == 1);
    sl_image_free(d);
    /* larger than the source on all sides */
    SL_CHECK_EQ(t, sl_image_crop(&d, s, -1, -1, 12, 10, 0), SL_OK);
    SL_CHECK(t, d && memcmp(t_px(d, 10, 8), t_px(s, 9, 7), 3) == 0 &&
                t_px(d, 11, 9)[0] == 0);
    sl_image_free(d);
    d = NULL;
    SL_CHECK_EQ(t, sl_image_crop(&d, s, 0, 0, 0, 3, 0), SL_ERR_INVALID);
    sl_image_free(s);
}

SL_TEST(img_ops, gray_weights)
{
    struct sl_image *s = mk(4, 1, 3), *g = NULL, *c = NULL;
    const uint8_t px[4][3] = { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 },
                               { 255, 255, 255 } };
    memcpy(s->data, px, sizeof(px));
    SL_CHECK_EQ(t, sl_image_to_gray(&g, s, SL_GRAY_BT601), SL_OK);
    SL_CHECK(t, g && g->data[0] == 76 && g->data[1] == 150 && g->data[2] == 29 &&
                g->data[3] == 255);
    sl_image_free(g);
    SL_CHECK_EQ(t, sl_image_to_gray(&g, s, SL_GRAY_BT601_BGR), SL_OK);
    SL_CHECK(t, g && g->data[0] == 29 && g->data[1] == 150 && g->data[2] == 76 &&
                g->data[3] == 255);
    SL_CHECK_EQ(t, sl_image_to_rgb(&c, g), SL_OK);
    SL_CHECK(t, c && c->channels == 3 && c->data[0] == 29 && c->data[1] == 29 &&
                c->data[2] == 29 && c->data[9] == 255);
    sl_image_free(c);
    sl_image_free(g);
    g = NULL;
    SL_CHECK_EQ(t, sl_image_to_gray(&g, s, (enum sl_gray_weights)7), SL_ERR_INVALID);
    sl_image_free(s);
}

SL_TEST(img_ops, mean_std_laplacian)
{
    struct sl_image *s = mk(10, 10, 1);
    for (uint32_t y = 0; y < 10; y++)
        for (uint32_t x = 0; x < 10; x++)
            s->data[y * s->stride + x] = (x + y) % 2 ? 255 : 0;
    double mean[3], sd[3], lv;
    SL_CHECK_EQ(t, sl_image_mean_std(s, mean, sd), SL_OK);
    SL_CHECK(t, fabs(mean[0] - 127.5) < 1e-9 && fabs(sd[0] - 127.5) < 1e-9);
    SL_CHECK_EQ(t, sl_image_laplacian_var(s, &lv), SL_OK);
    SL_CHECK(t, fabs(lv - 1020.0 * 1020.0) < 1e-6);
    struct sl_image *c = NULL;
    SL_CHECK_EQ(t, sl_image_to_rgb(&c, s), SL_OK);
    double lc;
    SL_CHECK_EQ(t, sl_image_laplacian_var(c, &lc), SL_OK);
    SL_CHECK(t, fabs(lc - lv) < 1e-6);                 /* gray == RGB gray */
    SL_CHECK_EQ(t, sl_image_mean_std(c, mean, sd), SL_OK);
    SL_CHECK(t, fabs(mean[2] - 127.5) < 1e-9 && fabs(sd[1] - 127.5) < 1e-9);
    for (uint32_t y = 0; y < 10; y++)
        memset(s->data + y * s->stride, 42, 10);
    SL_CHECK_EQ(t, sl_image_laplacian_var(s, &lv), SL_OK);
    SL_CHECK(t, lv == 0);
    /* blur lowers sharpness */
    unsigned long long seed = 1;
    struct sl_image *r = t_random_image(64, 64, 1, &seed), *b = NULL, *bb = NULL;
    double l1, l2;
    SL_CHECK_EQ(t, sl_image_resize(&b, r, 16, 16), SL_OK);
    SL_CHECK_EQ(t, sl_image_resize(&bb, b, 64, 64), SL_OK);
    SL_CHECK_EQ(t, sl_image_laplacian_var(r, &l1), SL_OK);
    SL_CHECK_EQ(t, sl_image_laplacian_var(bb, &l2), SL_OK);
    SL_CHECK(t, l2 < l1 / 4);
    sl_image_free(b);
    sl_image_free(bb);
    sl_image_free(r);
    sl_image_free(c);
    sl_image_free(s);
}

SL_TEST(img_ops, orient_roundtrip)
{
    /* orientation o followed by its inverse gives the original */
    static const uint32_t inverse[9] = { 0, 1, 2, 3, 4, 5, 8, 7, 6 };
    unsigned long long seed = 8;
    struct sl_image *s = t_random_image(7, 4, 3, &seed);
    for (uint32_t o = 1; o <= 8; o++) {
        struct sl_image *a = NULL, *b = NULL;
        SL_CHECK_EQ(t, sl__image_orient(&a, s, o), SL_OK);
        SL_CHECK_EQ(t, sl__image_orient(&b, a, inverse[o]), SL_OK);
        SL_CHECKF(t, t_max_diff(b, s) == 0, "orientation %u", o);
        sl_image_free(a);
        sl_image_free(b);
    }
    sl_image_free(s);
}

/* Row kernels against each other on images whose rows are exactly
 * width * channels bytes in an exactly sized malloc block, so ASan sees
 * any gather that reads past the pixels. */
SL_TEST(img_ops, warp_row_kernels_exact)
{
    if (!(sl_cpu_features() & SL_CPU_AVX2)) {
        sl_t_skip(t, "CPU has no AVX2: only the C row kernel exists");
        return;
    }
    unsigned long long seed = 77;
    long diffs = 0;
    for (int i = 0; i < 60; i++) {
        struct sl_image s;
        s.channels = i % 2 ? 3 : 1;
        s.width = 1 + (uint32_t)(sl_t_rand(&seed) % 40);
        s.height = 1 + (uint32_t)(sl_t_rand(&seed) % 40);
        s.stride = (size_t)s.width * s.channels;
        s.data = malloc(s.stride * s.height);
        for (size_t k = 0; k < s.stride * s.height; k++)
            s.data[k] = (uint8_t)(sl_t_rand(&seed) >> 56);
        uint32_t w = 1 + (uint32_t)(sl_t_rand(&seed) % 70);
        float ang = sl_t_randf(&seed) * 0.5f, sc = 0.2f + fabsf(sl_t_randf(&seed));
        float m[6] = { sc * cosf(ang), -sc * sinf(ang),
                       sl_t_randf(&seed) * (float)s.width,
                       sc * sinf(ang), sc * cosf(ang),
                       (sl_t_randf(&seed) + 1) * (float)s.height / 2 };
        uint8_t a[70 * 3], b[70 * 3];
        for (uint32_t y = 0; y < 30; y++) {
            sl__warp_row_c(a, &s, m, y, w, 17);
            sl__warp_row_avx2(b, &s, m, y, w, 17);
            diffs += memcmp(a, b, (size_t)w * s.channels) != 0;
        }
        free(s.data);
    }
    SL_CHECK_EQ(t, diffs, 0);
}

/* Large enough to cross the 64x64 tiles: every pixel against the EXIF
 * table written out per orientation. */
SL_TEST(img_ops, orient_every_pixel)
{
    unsigned long long seed = 12;
    const uint32_t W = 150, H = 70;
    for (uint32_t c = 1; c <= 3; c += 2) {
        struct sl_image *s = t_random_image(W, H, c, &seed);
        for (uint32_t o = 1; o <= 8; o++) {
            struct sl_image *d = NULL;
            SL_CHECK_EQ(t, sl__image_orient(&d, s, o), SL_OK);
            if (!d)
                continue;
            long bad = 0;
            for (uint32_t yd = 0; yd < d->height; yd++)
                for (uint32_t xd = 0; xd < d->width; xd++) {
                    uint32_t xs, ys;
                    switch (o) {
                    case 1: xs = xd; ys = yd; break;
                    case 2: xs = W - 1 - xd; ys = yd; break;
                    case 3: xs = W - 1 - xd; ys = H - 1 - yd; break;
                    case 4: xs = xd; ys = H - 1 - yd; break;
                    case 5: xs = yd; ys = xd; break;
                    case 6: xs = yd; ys = H - 1 - xd; break;
                    case 7: xs = W - 1 - yd; ys = H - 1 - xd; break;
                    default: xs = W - 1 - yd; ys = xd; break;
                    }
                    bad += memcmp(t_px(d, xd, yd), t_px(s, xs, ys), c) != 0;
                }
            SL_CHECKF(t, bad == 0, "orientation %u c=%u: %ld pixels wrong", o, c, bad);
            sl_image_free(d);
        }
        sl_image_free(s);
    }
}
