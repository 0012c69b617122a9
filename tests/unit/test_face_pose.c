/*
 * test_face_pose.c -- yaw from the 68 landmarks (src/face/pose_geom.c) and
 * its use by the quality measurements (docs/face.md, "Head pose: which
 * source per angle").
 */
#include <math.h>
#include <string.h>

#include "face/pose_geom.h"
#include "shualian/engine.h"
#include "shualian/image.h"
#include "test.h"

/* A mirror-symmetric frontal layout around x = 100 (face 80 px wide, box
 * 60..140 x 40..150); nose (27-30) shifted by dx. */
static void frontal(sl_point2f lm[SL_FACE_LANDMARKS], float dx)
{
    for (int i = 0; i < SL_FACE_LANDMARKS; i++)
        lm[i] = (sl_point2f){ 100, 110 };
    for (int i = 0; i <= 16; i++) {          /* jaw: half ellipse */
        double a = M_PI * i / 16;
        lm[i] = (sl_point2f){ (float)(100 - 40 * cos(a)), (float)(80 + 65 * sin(a)) };
    }
    for (int i = 0; i < 6; i++) {            /* eyes: 36-41 left, 42-47 right */
        double a = 2 * M_PI * i / 6;
        lm[36 + i] = (sl_point2f){ (float)(80 + 8 * cos(a)), (float)(75 + 3 * sin(a)) };
        lm[42 + i] = (sl_point2f){ (float)(120 + 8 * cos(a)), (float)(75 + 3 * sin(a)) };
    }
    for (int i = 27; i <= 30; i++)
        lm[i] = (sl_point2f){ 100 + dx, (float)(75 + 8 * (i - 27)) };
    lm[8].y = 150;
    lm[19].y = lm[24].y = 45;                /* brows: top of the face */
}

static void transform(sl_point2f lm[SL_FACE_LANDMARKS], double deg, bool mirror)
{
    double c = cos(deg * M_PI / 180), s = sin(deg * M_PI / 180);
    sl_point2f o[SL_FACE_LANDMARKS];
    for (int i = 0; i < SL_FACE_LANDMARKS; i++) {
        double x = lm[i].x - 100, y = lm[i].y - 100;
        if (mirror)
            x = -x;
        o[i] = (sl_point2f){ (float)(100 + c * x - s * y), (float)(100 + s * x + c * y) };
    }
    if (mirror) {   /* the image-left eye of the mirror is the old right eye */
        for (int i = 0; i < 6; i++) {
            sl_point2f t = o[36 + i];
            o[36 + i] = o[42 + i];
            o[42 + i] = t;
        }
        for (int i = 0; i <= 8; i++) {
            sl_point2f t = o[i];
            o[i] = o[16 - i];
            o[16 - i] = t;
        }
    }
    memcpy(lm, o, sizeof(o));
}

SL_TEST(face, pose_geom_yaw)
{
    sl_point2f lm[SL_FACE_LANDMARKS];
    frontal(lm, 0);
    SL_CHECKF(t, fabs(sl__face_yaw_geom_deg(lm)) < 1e-4, "frontal yaw %g",
              sl__face_yaw_geom_deg(lm));
    /* nose 12 px towards the image left, the contour's half-width (mean of
     * points 0-2 to mean of 14-16) being 38.73 px: offset -0.3098, the
     * subject turned to their own right, yaw = asin(0.87 * 0.3098) > 0 */
    frontal(lm, -12);
    double y = sl__face_yaw_geom_deg(lm);
    SL_CHECKF(t, fabs(sl__face_nose_offset(lm) + 0.3098) < 1e-3, "offset %g",
              sl__face_nose_offset(lm));
    SL_CHECKF(t, fabs(y - 15.64) < 0.05, "yaw %g", y);
    /* the mirror image gives the opposite yaw; in-plane roll changes nothing */
    transform(lm, 0, true);
    SL_CHECKF(t, fabs(sl__face_yaw_geom_deg(lm) + y) < 1e-3, "mirror %g",
              sl__face_yaw_geom_deg(lm));
    frontal(lm, -12);
    transform(lm, 25, false);
    SL_CHECKF(t, fabs(sl__face_yaw_geom_deg(lm) - y) < 1e-3, "rolled %g",
              sl__face_yaw_geom_deg(lm));
    /* saturates at 90 degrees, NAN for degenerate input */
    frontal(lm, -60);
    SL_CHECKF(t, fabs(sl__face_yaw_geom_deg(lm) - 90) < 1e-9, "saturated %g",
              sl__face_yaw_geom_deg(lm));
    lm[5].x = NAN;
    SL_CHECK(t, isnan(sl__face_yaw_geom_deg(lm)));
    SL_CHECK(t, isnan(sl__face_yaw_geom_deg(NULL)));
    for (int i = 0; i < SL_FACE_LANDMARKS; i++)
        lm[i] = (sl_point2f){ 10, 10 };
    SL_CHECK(t, isnan(sl__face_yaw_geom_deg(lm)));
}

SL_TEST(face, pose_landmarks_fit)
{
    sl_point2f lm[SL_FACE_LANDMARKS];
    sl_face_box box = { .x0 = 60, .y0 = 40, .x1 = 140, .y1 = 150, .score = 1 };
    frontal(lm, 0);
    SL_CHECK(t, sl__face_landmarks_fit(lm, &box));
    /* a profile's landmarks: squeezed into the upper half of the box */
    for (int i = 0; i < SL_FACE_LANDMARKS; i++)
        lm[i].y = 40 + (lm[i].y - 40) * 0.5f;
    SL_CHECK(t, !sl__face_landmarks_fit(lm, &box));
    /* or scattered outside it */
    frontal(lm, 0);
    for (int i = 0; i < 5; i++)
        lm[i].x = 20;
    SL_CHECK(t, !sl__face_landmarks_fit(lm, &box));
    SL_CHECK(t, !sl__face_landmarks_fit(lm, NULL));
    /* the yaw the quality check uses: landmarks when they fit, else pose */
    frontal(lm, 0);
    SL_CHECK(t, fabs(sl__face_yaw_best_deg(lm, &box, 68.4)) < 1e-4);
    for (int i = 0; i < 5; i++)
        lm[i].x = 20;
    SL_CHECK(t, sl__face_yaw_best_deg(lm, &box, 68.4) == 68.4);
}

/* The defect: fr_pose said 68 degrees for a near-frontal face and the
 * quality check said "please face the camera". With frontal landmarks the
 * measured yaw is the landmarks' (failed before: it was fr_pose's 68.4). */
SL_TEST(face, pose_quality_uses_landmark_yaw)
{
    struct sl_image *img = NULL;
    SL_CHECK_EQ(t, sl_image_new(&img, 200, 200, 3), SL_OK);
    if (!img)
        return;
    static sl_face_result r;
    memset(&r, 0, sizeof(r));
    r.box = (sl_face_box){ .x0 = 60, .y0 = 40, .x1 = 140, .y1 = 150, .score = 1 };
    frontal(r.lm, 0);
    r.pts5[0] = (sl_point2f){ 80, 75 };
    r.pts5[1] = (sl_point2f){ 120, 75 };
    r.pts5[2] = (sl_point2f){ 100, 99 };
    r.pts5[3] = (sl_point2f){ 85, 120 };
    r.pts5[4] = (sl_point2f){ 115, 120 };
    r.interocular = 40;
    r.yaw = 68.4f;
    r.pitch = -11.7f;
    r.roll = -7.6f;
    sl_quality_meas m = sl_face_quality_meas(img, &r, 1);
    SL_CHECKF(t, fabsf(m.yaw) < 1e-3f, "yaw %g", (double)m.yaw);
    SL_CHECKF(t, fabsf(m.roll) < 1e-3f, "roll %g (eye line)", (double)m.roll);
    SL_CHECKF(t, m.pitch == r.pitch, "pitch %g", (double)m.pitch);
    sl_quality_thresholds th = sl_quality_preset_enrol();
    enum sl_quality_reason rs[SL_Q_REASON_MAX];
    size_t n = sl_quality_check(rs, SL_Q_REASON_MAX, &m, &th);
    for (size_t i = 0; i < n && i < SL_Q_REASON_MAX; i++)
        SL_CHECKF(t, rs[i] != SL_Q_OFF_POSE_YAW, "off_pose_yaw on a frontal face");
    /* pose not asked for (NAN): no yaw */
    r.yaw = NAN;
    m = sl_face_quality_meas(img, &r, 1);
    SL_CHECK(t, isnan(m.yaw));
    sl_image_free(img);
}
