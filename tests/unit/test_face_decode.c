/*
 * test_face_decode.c -- detector post-processing (both NMS flavours),
 * crop rectangles, landmark and pose decoding, on hand-computed cases.
 */
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"
#include "test.h"

static bool near(double a, double b, double tol) { return fabs(a - b) <= tol; }

static bool box_is(sl_face_box b, float x0, float y0, float x1, float y1)
{
    return near(b.x0, x0, 1e-3) && near(b.y0, y0, 1e-3) && near(b.x1, x1, 1e-3) &&
           near(b.y1, y1, 1e-3);
}

SL_TEST(face, nms_package_vs_iou)
{
    sl_face_box b[] = {
        { 0, 0, 10, 10, 0.9f }, { 1, 1, 11, 9, 0.95f }, { 50, 50, 60, 60, 0.7f },
    };
    size_t keep[8];
    /* package: by bottom edge: 1 (y1 9), 0, 2; 0 overlaps 1 by 10*9/100 */
    SL_CHECK_EQ(t, sl_face_nms(keep, 8, b, 3, SL_NMS_PACKAGE, 0.4f), 2);
    SL_CHECK(t, keep[0] == 1 && keep[1] == 2);
    SL_CHECK_EQ(t, sl_face_nms(keep, 8, b, 3, SL_NMS_IOU, 0.4f), 2);
    SL_CHECK(t, keep[0] == 1 && keep[1] == 2);
    /* the package keeps the box with the smaller bottom edge, not the
     * better score */
    sl_face_box c[] = { { 0, 0, 10, 10, 0.99f }, { 0, 0, 10, 8, 0.5f } };
    SL_CHECK_EQ(t, sl_face_nms(keep, 8, c, 2, SL_NMS_PACKAGE, 0.4f), 1);
    SL_CHECK(t, keep[0] == 1);
    SL_CHECK_EQ(t, sl_face_nms(keep, 8, c, 2, SL_NMS_IOU, 0.4f), 1);
    SL_CHECK(t, keep[0] == 0);
    /* degenerate boxes are dropped; cap limits the output */
    sl_face_box d[] = { { 5, 5, 5, 9, 1 }, { 0, 0, 1, 1, 1 }, { 3, 3, 4, NAN, 1 } };
    SL_CHECK_EQ(t, sl_face_nms(keep, 8, d, 3, SL_NMS_IOU, 0.4f), 1);
    SL_CHECK_EQ(t, sl_face_nms(keep, 1, b, 3, SL_NMS_IOU, 0.4f), 1);
}

SL_TEST(face, detect_decode)
{
    const float scores[] = { 0.1f, 0.9f,  0.5f, 0.5f,  0.2f, 0.8f,  0.1f, 0.85f };
    const float boxes[] = { 0.25f, 0.25f, 0.5f, 0.5f,   0.1f, 0.1f, 0.2f, 0.2f,
                            0.6f, 0.6f, 0.7f, 0.7f,     0.26f, 0.25f, 0.5f, 0.49f };
    sl_face_box out[8];
    size_t n = 99;
    sl_detect_cfg cfg = sl_detect_cfg_default();
    SL_CHECK_EQ(t, sl_face_detect_decode(out, 8, &n, scores, boxes, 4, 640, 480, &cfg), SL_OK);
    /* prior 1 is below 0.65; prior 3 duplicates prior 0 (package NMS keeps
     * prior 3: smaller bottom edge) */
    SL_CHECK_EQ(t, n, 2);
    /* prior 3: 320x240 units (83.2,60,160,117.6) -> image x2 (166.4,120,320,235.2)
     * -> square side 115.2 about (243.2,177.6) */
    SL_CHECK(t, n == 2 && box_is(out[0], 185.6f, 120, 300.8f, 235.2f) &&
                near(out[0].score, 0.85, 1e-6));
    /* prior 2: (384,288,448,336) -> square side 48 about (416,312) */
    SL_CHECK(t, n == 2 && box_is(out[1], 392, 288, 440, 336) && near(out[1].score, 0.8, 1e-6));
    cfg.nms = SL_NMS_IOU;
    SL_CHECK_EQ(t, sl_face_detect_decode(out, 8, &n, scores, boxes, 4, 640, 480, &cfg), SL_OK);
    /* IoU keeps the better-scored prior 0: (160,120,320,240) -> side 120 */
    SL_CHECK(t, n == 2 && box_is(out[0], 180, 120, 300, 240) && near(out[0].score, 0.9, 1e-6));
    /* clipping at the border; unclipped on request */
    const float edge[] = { 0.9f, 0.0f, 1.0f, 0.5f };
    const float sc1[] = { 0, 1 };
    cfg = sl_detect_cfg_default();
    SL_CHECK_EQ(t, sl_face_detect_decode(out, 8, &n, sc1, edge, 1, 320, 240, &cfg), SL_OK);
    SL_CHECK(t, n == 1 && box_is(out[0], 244, 0, 319, 120));
    cfg.clip = false;
    SL_CHECK_EQ(t, sl_face_detect_decode(out, 8, &n, sc1, edge, 1, 320, 240, &cfg), SL_OK);
    SL_CHECK(t, n == 1 && box_is(out[0], 244, 0, 364, 120));
    SL_CHECK_EQ(t, sl_face_detect_decode(out, 8, &n, sc1, edge, 1, 0, 240, &cfg), SL_ERR_INVALID);
}

SL_TEST(face, crop_rects)
{
    sl_face_box b = { 100, 100, 200, 200, 0 }, r;
    SL_CHECK_EQ(t, sl_face_crop_scaled(&r, &b, 2.7f, 1000, 1000), SL_OK);
    SL_CHECK(t, box_is(r, 15, 15, 285, 285));
    /* too big for a 200x200 image: scale drops to 1.99, then shifted in */
    sl_face_box c = { 0, 0, 100, 100, 0 };
    SL_CHECK_EQ(t, sl_face_crop_scaled(&r, &c, 2.7f, 200, 200), SL_OK);
    SL_CHECK(t, box_is(r, 0, 0, 199, 199));
    sl_face_box e = { 150, 40, 190, 80, 0 };         /* near the right edge */
    SL_CHECK_EQ(t, sl_face_crop_scaled(&r, &e, 1.6f, 200, 200), SL_OK);
    SL_CHECK(t, box_is(r, 135, 28, 199, 92));       /* 64 px, shifted 3 px left */
    SL_CHECK_EQ(t, sl_face_crop_pose(&r, &b, 1000, 1000), SL_OK);
    SL_CHECK(t, box_is(r, 75, 75, 225, 225));
    SL_CHECK_EQ(t, sl_face_crop_pose(&r, &c, 120, 120), SL_OK);
    SL_CHECK(t, box_is(r, 0, 0, 119, 119));
    sl_point2f lm[68];
    memset(lm, 0, sizeof(lm));
    lm[36] = (sl_point2f){ 10, 20 }; lm[39] = (sl_point2f){ 20, 20 };
    lm[37] = (sl_point2f){ 13, 18 }; lm[38] = (sl_point2f){ 17, 18 };
    lm[40] = (sl_point2f){ 17, 22 }; lm[41] = (sl_point2f){ 13, 22 };
    SL_CHECK_EQ(t, sl_face_crop_eye(&r, lm, 0, 100, 100), SL_OK);
    SL_CHECK(t, box_is(r, 7, 12, 23, 28));
    SL_CHECK_EQ(t, sl_face_crop_eye(&r, lm, 1, 100, 100), SL_ERR_INVALID);   /* all zero */
    sl_face_box z = { 5, 5, 5, 10, 0 };
    SL_CHECK_EQ(t, sl_face_crop_scaled(&r, &z, 2.7f, 100, 100), SL_ERR_INVALID);
}

SL_TEST(face, landmark_and_pose_decode)
{
    float raw[136];
    for (int i = 0; i < 136; i++)
        raw[i] = (i % 2) ? 0.25f : 0.5f;
    raw[2 * 30] = 0.125f;
    sl_face_box crop = { 100, 50, 164, 114, 0 };
    sl_point2f lm[68];
    SL_CHECK_EQ(t, sl_face_landmarks_decode(lm, raw, &crop), SL_OK);
    SL_CHECK(t, near(lm[0].x, 132, 1e-5) && near(lm[0].y, 66, 1e-5));
    SL_CHECK(t, near(lm[30].x, 108, 1e-5));            /* sub-pixel kept */
    raw[7] = NAN;
    SL_CHECK_EQ(t, sl_face_landmarks_decode(lm, raw, &crop), SL_ERR_INVALID);
    float logits[66];
    for (int i = 0; i < 66; i++)
        logits[i] = 1.0f;
    SL_CHECK(t, near(sl_face_pose_decode(logits), 3 * 32.5 - 99, 1e-4));
    logits[33] = 60;                                   /* all mass on bin 33 */
    SL_CHECK(t, near(sl_face_pose_decode(logits), 0, 1e-3));
    logits[33] = 1;
    logits[10] = 1000;                                 /* no overflow */
    SL_CHECK(t, near(sl_face_pose_decode(logits), 3 * 10 - 99, 1e-3));
    float p[3], in[3] = { 0, 0, 0 };
    sl_face_softmax(p, in, 3);
    SL_CHECK(t, near(p[0], 1.0 / 3, 1e-7) && near(p[0] + p[1] + p[2], 1, 1e-6));
}
