/*
 * test_face_model_out.c -- the engine's model-output arithmetic
 * (model_out.c): detector post-processing (both NMS flavours), crop
 * rectangles, landmark and pose decoding, on hand-computed cases. The
 * engine calls exactly these functions.
 */
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"
#include "test.h"

static bool near(double a, double b, double tol) { return fabs(a - b) <= tol; }

static bool rect_is(sl_face_rect r, double x0, double y0, double x1, double y1)
{
    return near(r.x0, x0, 1e-9) && near(r.y0, y0, 1e-9) && near(r.x1, x1, 1e-9) &&
           near(r.y1, y1, 1e-9);
}

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
    /* a 640x480 image stretched onto the whole 320x240 input */
    sl_face_det_map full = { { 0, 0, 640, 480 }, 0, 0, 320, 240 };
    SL_CHECK_EQ(t, sl_face_detect_decode(out, 8, &n, scores, boxes, 4, &full, 0.6f), SL_OK);
    /* prior 1 is below 0.6; the rest in prior order, x2 to the image */
    SL_CHECK(t, n == 3 && box_is(out[0], 160, 120, 320, 240) && near(out[0].score, 0.9, 1e-6));
    SL_CHECK(t, n == 3 && box_is(out[1], 384, 288, 448, 336) && box_is(out[2], 166.4f, 120, 320, 235.2f));
    /* engine NMS (IoU 0.3): prior 3 overlaps prior 0 (IoU 0.918) and goes */
    SL_CHECK_EQ(t, sl_face_det_nms(out, n, SL_NMS_IOU, 0.3f), 2);
    SL_CHECK(t, box_is(out[0], 160, 120, 320, 240) && box_is(out[1], 384, 288, 448, 336));
    /* package NMS keeps the smaller bottom edge of the pair (prior 3) */
    SL_CHECK_EQ(t, sl_face_detect_decode(out, 8, &n, scores, boxes, 4, &full, 0.6f), SL_OK);
    SL_CHECK_EQ(t, sl_face_det_nms(out, n, SL_NMS_PACKAGE, 0.4f), 2);
    SL_CHECK(t, box_is(out[0], 166.4f, 120, 320, 235.2f));
    /* letterbox: a 100x200 region at (10, 20) drawn 120x240 at x offset 100 */
    sl_face_det_map lb = { { 10, 20, 110, 220 }, 100, 0, 120, 240 };
    const float one[] = { 0, 1 }, b1[] = { 0.5f, 0.25f, 0.6875f, 0.75f };
    SL_CHECK_EQ(t, sl_face_detect_decode(out, 8, &n, one, b1, 1, &lb, 0.6f), SL_OK);
    /* x: (0.5*320 - 100) * 100/120 + 10 = 60; (220 - 100) * 100/120 + 10 = 110 */
    SL_CHECK(t, n == 1 && box_is(out[0], 60, 70, 110, 170));
    /* an empty box is dropped; the cap holds */
    const float flat[] = { 0.5f, 0.5f, 0.5f, 0.7f };
    SL_CHECK_EQ(t, sl_face_detect_decode(out, 8, &n, one, flat, 1, &full, 0.6f), SL_OK);
    SL_CHECK_EQ(t, n, 0);
    SL_CHECK_EQ(t, sl_face_detect_decode(out, 1, &n, scores, boxes, 4, &full, 0.6f), SL_OK);
    SL_CHECK_EQ(t, n, 1);
    sl_face_det_map bad = full;
    bad.ow = 0;
    SL_CHECK_EQ(t, sl_face_detect_decode(out, 8, &n, scores, boxes, 4, &bad, 0.6f),
                SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_face_det_nms(out, 0, SL_NMS_IOU, 0.3f), 0);
}

SL_TEST(face, crop_rects)
{
    /* square: side = height, same x centre, same top/bottom */
    sl_face_box tall = { 100, 100, 160, 200, 0 };
    SL_CHECK(t, rect_is(sl_face_square(&tall), 80, 100, 180, 200));
    sl_face_box b = { 100, 100, 200, 200, 0 };
    SL_CHECK(t, rect_is(sl_face_crop_scaled(&b, 2.7, 1000, 1000), 15, 15, 285, 285));
    /* too big for a 200x200 image: the scale drops to 2, then shifted in */
    sl_face_box c = { 0, 0, 100, 100, 0 };
    SL_CHECK(t, rect_is(sl_face_crop_scaled(&c, 2.7, 200, 200), 0, 0, 200, 200));
    sl_face_box e = { 150, 40, 190, 80, 0 };         /* near the right edge */
    SL_CHECK(t, rect_is(sl_face_crop_scaled(&e, 1.6, 200, 200), 136, 28, 200, 92));
    sl_face_rect r;
    /* pose: squared, + 1/4 each side, clipped to [0, w] x [0, h] */
    SL_CHECK_EQ(t, sl_face_crop_pose(&r, &b, 1000, 1000), SL_OK);
    SL_CHECK(t, rect_is(r, 75, 75, 225, 225));
    SL_CHECK_EQ(t, sl_face_crop_pose(&r, &c, 120, 120), SL_OK);
    SL_CHECK(t, rect_is(r, 0, 0, 120, 120));
    SL_CHECK_EQ(t, sl_face_crop_pose(&r, &tall, 1000, 1000), SL_OK);
    SL_CHECK(t, rect_is(r, 55, 75, 205, 225));
    sl_face_box off = { 500, 500, 600, 600, 0 };
    SL_CHECK_EQ(t, sl_face_crop_pose(&r, &off, 100, 100), SL_ERR_INVALID);
    /* eye: lid mean + 0.5, side 1.6 x corner distance */
    sl_point2f lm[68];
    memset(lm, 0, sizeof(lm));
    lm[36] = (sl_point2f){ 10, 20 }; lm[39] = (sl_point2f){ 20, 20 };
    lm[37] = (sl_point2f){ 13, 18 }; lm[38] = (sl_point2f){ 17, 18 };
    lm[40] = (sl_point2f){ 17, 22 }; lm[41] = (sl_point2f){ 13, 22 };
    SL_CHECK_EQ(t, sl_face_crop_eye(&r, lm, 0), SL_OK);
    SL_CHECK(t, rect_is(r, 7.5, 12.5, 23.5, 28.5));
    lm[39] = (sl_point2f){ 16, 28 };                  /* tilted: hypot 10 */
    SL_CHECK_EQ(t, sl_face_crop_eye(&r, lm, 0), SL_OK);
    SL_CHECK(t, rect_is(r, 7.5, 12.5, 23.5, 28.5));
    SL_CHECK_EQ(t, sl_face_crop_eye(&r, lm, 1), SL_ERR_INVALID);   /* all zero */
    SL_CHECK_EQ(t, sl_face_crop_eye(&r, lm, 2), SL_ERR_INVALID);
}

SL_TEST(face, landmark_and_pose_decode)
{
    float raw[136];
    for (int i = 0; i < 136; i++)
        raw[i] = (i % 2) ? 0.25f : 0.5f;
    raw[2 * 30] = 0.125f;
    sl_face_rect crop = { 100, 50, 164, 114 };
    sl_point2f lm[68];
    SL_CHECK_EQ(t, sl_face_landmarks_decode(lm, raw, &crop), SL_OK);
    /* edge -> centre coordinates: - 0.5 */
    SL_CHECK(t, near(lm[0].x, 131.5, 1e-5) && near(lm[0].y, 65.5, 1e-5));
    SL_CHECK(t, near(lm[30].x, 107.5, 1e-5));          /* sub-pixel kept */
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
    float v[3] = { 1, 2, 3 };
    sl_face_softmax(v, v, 3);                          /* in place */
    SL_CHECK(t, near(v[2], exp(2.0) / (1 + exp(1.0) + exp(2.0)), 1e-7));
}
