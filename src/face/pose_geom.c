/*
 * pose_geom.c -- head yaw from the 68 landmarks (pose_geom.h).
 *
 * Model: seen from above the head is a cylinder of half-width R (the jaw
 * contour at ear level, landmarks 0-2 and 14-16, is its silhouette) and the
 * nose (27-30, bridge to tip) stands at a distance D from its axis. A yaw
 * of a moves the nose by D*sin(a) from the contour's middle, so
 * sin(a) = offset * R/D. The gain R/D = 0.87 was fitted on the 1,047 dev
 * photos where fr_pose agrees with itself (mirror image and channel order
 * within 3 degrees): rms 4.4 degrees against fr_pose there (docs/face.md,
 * "Head pose: which source per angle"). The eye line removes in-plane roll
 * first.
 */
#include <math.h>

#include "face/pose_geom.h"

#define SL_FACE_YAW_GAIN 0.87     /* R/D */

static bool finite_pt(sl_point2f p)
{
    return isfinite(p.x) && isfinite(p.y);
}

double sl__face_nose_offset(const sl_point2f lm[SL_FACE_LANDMARKS])
{
    if (!lm)
        return NAN;
    for (int i = 0; i < SL_FACE_LANDMARKS; i++)
        if (!finite_pt(lm[i]))
            return NAN;
    /* eye centres (36-41 image-left eye, 42-47 image-right eye) */
    double lx = 0, ly = 0, rx = 0, ry = 0;
    for (int i = 0; i < 6; i++) {
        lx += lm[36 + i].x;
        ly += lm[36 + i].y;
        rx += lm[42 + i].x;
        ry += lm[42 + i].y;
    }
    double ex = rx - lx, ey = ry - ly, en = hypot(ex, ey);
    if (!(en > 1e-6))
        return NAN;
    double c = ex / en, s = ey / en;        /* unit eye-line direction */
    /* x along the eye line (de-rolled) */
#define ALONG(p) ((double)(p).x * c + (double)(p).y * s)
    double left = 0, right = 0, nose = 0;
    for (int i = 0; i < 3; i++) {
        left += ALONG(lm[i]);
        right += ALONG(lm[16 - i]);
    }
    for (int i = 27; i <= 30; i++)
        nose += ALONG(lm[i]);
#undef ALONG
    left /= 3;
    right /= 3;
    nose /= 4;
    double half = (right - left) / 2;
    if (!(half > 1e-6))
        return NAN;
    return (nose - (left + right) / 2) / half;
}

double sl__face_yaw_geom_deg(const sl_point2f lm[SL_FACE_LANDMARKS])
{
    double o = sl__face_nose_offset(lm);
    if (!isfinite(o))
        return NAN;
    double v = o * SL_FACE_YAW_GAIN;
    v = v > 1 ? 1 : v < -1 ? -1 : v;
    return -asin(v) * 180.0 / M_PI;
}

bool sl__face_landmarks_fit(const sl_point2f lm[SL_FACE_LANDMARKS],
                            const sl_face_box *box)
{
    if (!lm || !box)
        return false;
    double w = (double)box->x1 - box->x0, h = (double)box->y1 - box->y0;
    if (!(w > 0) || !(h > 0))
        return false;
    double x0 = box->x0 - 0.1 * w, x1 = box->x1 + 0.1 * w;
    double y0 = box->y0 - 0.1 * h, y1 = box->y1 + 0.1 * h;
    double top = INFINITY, bottom = -INFINITY;
    int in = 0;
    for (int i = 0; i < SL_FACE_LANDMARKS; i++) {
        in += lm[i].x >= x0 && lm[i].x <= x1 && lm[i].y >= y0 && lm[i].y <= y1;
        top = fmin(top, lm[i].y);
        bottom = fmax(bottom, lm[i].y);
    }
    return in >= 0.95 * SL_FACE_LANDMARKS && bottom - top >= 0.6 * h;
}

double sl__face_yaw_best_deg(const sl_point2f lm[SL_FACE_LANDMARKS],
                             const sl_face_box *box, double pose_yaw)
{
    double g = sl__face_yaw_geom_deg(lm);
    if (isfinite(g) && sl__face_landmarks_fit(lm, box))
        return g;
    return pose_yaw;
}
