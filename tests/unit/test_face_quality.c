/*
 * test_face_quality.c -- every quality reason triggered by a crafted
 * measurement, ordering, presets, messages, the pixel measures.
 */
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"
#include "test.h"

/* A measurement that passes both presets. */
static sl_quality_meas good(void)
{
    sl_quality_meas m = {
        .image_w = 1280, .image_h = 720, .face_count = 1,
        .box_x0 = 500, .box_y0 = 200, .box_x1 = 800, .box_y1 = 500,
        .interocular_px = 100, .sharpness = 400, .luma_mean = 120,
        .luma_std = 50, .yaw = 2, .pitch = -3, .roll = 1,
        .eye_open_left = 0.95f, .eye_open_right = 0.9f,
    };
    return m;
}

/* Checks that exactly reason r fails under th. */
static void expect_only(struct sl_t *t, const sl_quality_meas *m,
                        const sl_quality_thresholds *th,
                        enum sl_quality_reason r)
{
    enum sl_quality_reason out[SL_Q_REASON_MAX];
    size_t n = sl_quality_check(out, SL_Q_REASON_MAX, m, th);
    SL_CHECKF(t, n == 1 && out[0] == r, "expected only %s, got %zu reasons (first %s)",
              sl_quality_reason_name(r), n, n ? sl_quality_reason_name(out[0]) : "-");
}

SL_TEST(face, quality_each_reason)
{
    sl_quality_thresholds v = sl_quality_preset_verify();
    sl_quality_thresholds e = sl_quality_preset_enrol();
    sl_quality_meas m = good();
    enum sl_quality_reason out[SL_Q_REASON_MAX];
    SL_CHECK_EQ(t, sl_quality_check(out, SL_Q_REASON_MAX, &m, &v), 0);
    SL_CHECK_EQ(t, sl_quality_check(out, SL_Q_REASON_MAX, &m, &e), 0);

    m = good(); m.face_count = 0;                 expect_only(t, &m, &v, SL_Q_NO_FACE);
    m = good(); m.face_count = 2;                 expect_only(t, &m, &v, SL_Q_SEVERAL_FACES);
    m = good(); m.image_w = 320; m.image_h = 200; /* box still inside */
    m.box_x0 = 100; m.box_x1 = 200; m.box_y0 = 50; m.box_y1 = 150;
                                                  expect_only(t, &m, &v, SL_Q_LOW_RESOLUTION);
    m = good(); m.box_x0 = -200;                  /* 200 of 1000 px width outside */
                                                  expect_only(t, &m, &v, SL_Q_FACE_CUT_BY_BORDER);
    m = good(); m.interocular_px = 20;            expect_only(t, &m, &v, SL_Q_FACE_TOO_SMALL);
    m = good(); m.yaw = -40;                      expect_only(t, &m, &v, SL_Q_OFF_POSE_YAW);
    m = good(); m.pitch = 31;                     expect_only(t, &m, &v, SL_Q_OFF_POSE_PITCH);
    m = good(); m.roll = -27;                     expect_only(t, &m, &v, SL_Q_OFF_POSE_ROLL);
    m = good(); m.eye_open_left = 0.1f; m.eye_open_right = 0.2f;
                                                  expect_only(t, &m, &v, SL_Q_EYES_CLOSED);
    m = good(); m.luma_mean = 20;                 expect_only(t, &m, &v, SL_Q_TOO_DARK);
    m = good(); m.luma_mean = 240;                expect_only(t, &m, &v, SL_Q_OVER_EXPOSED);
    m = good(); m.luma_std = 5;                   expect_only(t, &m, &v, SL_Q_LOW_CONTRAST);
    m = good(); m.sharpness = 10;                 expect_only(t, &m, &v, SL_Q_BLURRED);
}

SL_TEST(face, quality_enrol_stricter)
{
    sl_quality_thresholds v = sl_quality_preset_verify();
    sl_quality_thresholds e = sl_quality_preset_enrol();
    /* one eye closed (wink): enrolment refuses, verification accepts */
    sl_quality_meas m = good();
    m.eye_open_left = 0.1f;
    enum sl_quality_reason out[SL_Q_REASON_MAX];
    SL_CHECK_EQ(t, sl_quality_check(out, SL_Q_REASON_MAX, &m, &v), 0);
    expect_only(t, &m, &e, SL_Q_EYES_CLOSED);
    /* a 20 degree yaw and 45 px eyes pass verification only */
    m = good(); m.yaw = 20;                       expect_only(t, &m, &e, SL_Q_OFF_POSE_YAW);
    SL_CHECK_EQ(t, sl_quality_check(out, SL_Q_REASON_MAX, &m, &v), 0);
    m = good(); m.interocular_px = 45;            expect_only(t, &m, &e, SL_Q_FACE_TOO_SMALL);
    SL_CHECK_EQ(t, sl_quality_check(out, SL_Q_REASON_MAX, &m, &v), 0);
    /* every numeric limit of enrol is at least as strict */
    SL_CHECK(t, e.min_image_side >= v.min_image_side && e.max_outside <= v.max_outside &&
                e.min_interocular_px >= v.min_interocular_px && e.max_yaw <= v.max_yaw &&
                e.max_pitch <= v.max_pitch && e.max_roll <= v.max_roll &&
                e.min_luma >= v.min_luma && e.max_luma <= v.max_luma &&
                e.min_luma_std >= v.min_luma_std && e.min_sharpness >= v.min_sharpness);
}

SL_TEST(face, quality_order_and_unmeasured)
{
    sl_quality_thresholds v = sl_quality_preset_verify();
    sl_quality_meas m = good();
    m.sharpness = 1;
    m.luma_mean = 10;
    m.yaw = 60;
    m.interocular_px = 10;
    m.face_count = 3;
    enum sl_quality_reason out[SL_Q_REASON_MAX];
    size_t n = sl_quality_check(out, SL_Q_REASON_MAX, &m, &v);
    SL_CHECK_EQ(t, n, 5);
    SL_CHECK(t, n == 5 && out[0] == SL_Q_SEVERAL_FACES && out[1] == SL_Q_FACE_TOO_SMALL &&
                out[2] == SL_Q_OFF_POSE_YAW && out[3] == SL_Q_TOO_DARK &&
                out[4] == SL_Q_BLURRED);
    /* cap smaller than the count: count still returned, only cap written */
    enum sl_quality_reason two[2];
    SL_CHECK_EQ(t, sl_quality_check(two, 2, &m, &v), 5);
    SL_CHECK(t, two[1] == SL_Q_FACE_TOO_SMALL);
    /* nothing measured but a face: nothing can fail */
    sl_quality_meas u = sl_quality_meas_empty();
    u.face_count = 1;
    SL_CHECK_EQ(t, sl_quality_check(out, SL_Q_REASON_MAX, &u, &v), 0);
    u.face_count = 0;
    SL_CHECK_EQ(t, sl_quality_check(out, SL_Q_REASON_MAX, &u, &v), 1);
}

SL_TEST(face, quality_messages)
{
    for (int r = 1; r <= SL_Q_REASON_MAX; r++) {
        const char *name = sl_quality_reason_name((enum sl_quality_reason)r);
        enum sl_quality_reason back;
        SL_CHECK(t, strcmp(name, "unknown") != 0);
        SL_CHECK(t, sl_quality_reason_parse(name, &back) && back == (enum sl_quality_reason)r);
        const char *zh = sl_quality_reason_msg((enum sl_quality_reason)r, SL_LANG_ZH);
        const char *en = sl_quality_reason_msg((enum sl_quality_reason)r, SL_LANG_EN);
        SL_CHECK(t, (unsigned char)zh[0] >= 0xe0 && en[0] >= 'a' && en[0] <= 'z');
    }
    SL_CHECK(t, strcmp(sl_quality_reason_name(SL_Q_FACE_TOO_SMALL), "face_too_small") == 0);
    SL_CHECK(t, strstr(sl_quality_reason_msg(SL_Q_OFF_POSE_YAW, SL_LANG_ZH), "请正对摄像头") != NULL);
    SL_CHECK(t, strstr(sl_quality_reason_msg(SL_Q_OFF_POSE_YAW, SL_LANG_EN), "please face the camera") != NULL);
    SL_CHECK(t, strcmp(sl_quality_reason_name((enum sl_quality_reason)99), "unknown") == 0);
    enum sl_quality_reason x;
    SL_CHECK(t, !sl_quality_reason_parse("nope", &x));
}

SL_TEST(face, quality_pixel_measures)
{
    static uint8_t img[16 * 16];
    memset(img, 100, sizeof(img));
    double v, mean, sd;
    SL_CHECK_EQ(t, sl_quality_sharpness(&v, img, 16, 16, 16), SL_OK);
    SL_CHECK(t, v == 0);
    SL_CHECK_EQ(t, sl_quality_luma(&mean, &sd, img, 16, 16, 16), SL_OK);
    SL_CHECK(t, mean == 100 && sd == 0);
    /* checkerboard 0/200: interior Laplacian is +-800, variance 640000 */
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++)
            img[y * 16 + x] = ((x + y) & 1) ? 200 : 0;
    SL_CHECK_EQ(t, sl_quality_sharpness(&v, img, 16, 16, 16), SL_OK);
    SL_CHECK(t, fabs(v - 640000) < 1e-6);
    SL_CHECK_EQ(t, sl_quality_luma(&mean, &sd, img, 16, 16, 16), SL_OK);
    SL_CHECK(t, mean == 100 && sd == 100);
    /* stride: only the first 4 of 8 bytes per row count */
    uint8_t s[4 * 8];
    memset(s, 255, sizeof(s));
    for (int y = 0; y < 4; y++)
        memset(s + y * 8, 10, 4);
    SL_CHECK_EQ(t, sl_quality_luma(&mean, &sd, s, 4, 4, 8), SL_OK);
    SL_CHECK(t, mean == 10);
    SL_CHECK_EQ(t, sl_quality_sharpness(&v, s, 2, 4, 8), SL_ERR_INVALID);
}
