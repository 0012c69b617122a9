/*
 * geometry.c -- 68 -> 5 point reduction, least-squares similarity
 * (Umeyama, closed 2-D form), the ArcFace alignment matrix, eye-line roll.
 *
 * Runs once per detected face: a few dozen flops, no allocation.
 *
 * The 2-D similarity x -> a*x + t with complex a = s*e^{i*theta} has the
 * least-squares solution a = sum(conj(xs_i) * xd_i) / sum(|xs_i|^2) over the
 * centred point sets and t = mean_d - a * mean_s. This is exactly Umeyama's
 * estimate restricted to rotations (no reflection can arise).
 */
#include <math.h>

#include "base/base.h"
#include "shualian/face.h"

const sl_point2f sl_face_arcface_ref[SL_FACE_POINTS5] = {
    { 38.2946f, 51.6963f },
    { 73.5318f, 51.5014f },
    { 56.0252f, 71.7366f },
    { 41.5493f, 92.3655f },
    { 70.7299f, 92.2041f },
};

/* Below this RMS spread (pixels) a point set is treated as one point. */
#define GEOM_MIN_SPREAD 1e-4

static bool pt_finite(sl_point2f p)
{
    return isfinite(p.x) && isfinite(p.y);
}

static sl_point2f mean_of(const sl_point2f *lm, const int *idx, int n)
{
    double sx = 0, sy = 0;
    for (int i = 0; i < n; i++) {
        sx += lm[idx[i]].x;
        sy += lm[idx[i]].y;
    }
    return (sl_point2f){ (float)(sx / n), (float)(sy / n) };
}

sl_status sl_face_points5(sl_point2f out[SL_FACE_POINTS5],
                          const sl_point2f lm68[SL_FACE_LANDMARKS],
                          enum sl_face_pts5_rule rule)
{
    static const int eye_l4[] = { 37, 38, 40, 41 }, eye_r4[] = { 43, 44, 46, 47 };
    static const int eye_l6[] = { 36, 37, 38, 39, 40, 41 };
    static const int eye_r6[] = { 42, 43, 44, 45, 46, 47 };
    static const int mouth_l2[] = { 48, 60 }, mouth_r2[] = { 54, 64 };
    static const int nose[] = { 30 }, mouth_l1[] = { 48 }, mouth_r1[] = { 54 };

    if (!out || !lm68)
        return SL_ERR_INVALID;
    for (int i = 0; i < SL_FACE_LANDMARKS; i++)
        if (!pt_finite(lm68[i]))
            return SL_ERR_INVALID;
    sl_point2f p[SL_FACE_POINTS5];
    switch (rule) {
    case SL_FACE_PTS5_PIPELINE:
        p[0] = mean_of(lm68, eye_l4, 4);
        p[1] = mean_of(lm68, eye_r4, 4);
        p[3] = mean_of(lm68, mouth_l2, 2);
        p[4] = mean_of(lm68, mouth_r2, 2);
        break;
    case SL_FACE_PTS5_MEAN6:
        p[0] = mean_of(lm68, eye_l6, 6);
        p[1] = mean_of(lm68, eye_r6, 6);
        p[3] = mean_of(lm68, mouth_l1, 1);
        p[4] = mean_of(lm68, mouth_r1, 1);
        break;
    default:
        return SL_ERR_INVALID;
    }
    p[2] = mean_of(lm68, nose, 1);
    for (int i = 0; i < SL_FACE_POINTS5; i++)
        out[i] = p[i];
    return SL_OK;
}

sl_status sl_face_similarity(sl_affine *fwd, sl_affine *inv,
                             const sl_point2f *src, const sl_point2f *dst,
                             size_t n)
{
    if (!fwd || !src || !dst)
        return SL_ERR_INVALID;
    if (n < 2)
        return SL_ERR_FACE_DEGENERATE;
    double msx = 0, msy = 0, mdx = 0, mdy = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pt_finite(src[i]) || !pt_finite(dst[i]))
            return SL_ERR_INVALID;
        msx += src[i].x; msy += src[i].y;
        mdx += dst[i].x; mdy += dst[i].y;
    }
    msx /= (double)n; msy /= (double)n;
    mdx /= (double)n; mdy /= (double)n;

    double var_s = 0, var_d = 0, re = 0, im = 0;
    for (size_t i = 0; i < n; i++) {
        double sx = src[i].x - msx, sy = src[i].y - msy;
        double dx = dst[i].x - mdx, dy = dst[i].y - mdy;
        var_s += sx * sx + sy * sy;
        var_d += dx * dx + dy * dy;
        re += sx * dx + sy * dy;        /* Re(conj(s) * d) */
        im += sx * dy - sy * dx;        /* Im(conj(s) * d) */
    }
    double spread = GEOM_MIN_SPREAD * GEOM_MIN_SPREAD * (double)n;
    if (var_s < spread || var_d < spread)
        return SL_ERR_FACE_DEGENERATE;
    double ar = re / var_s, ai = im / var_s;
    /* |a| tiny: the sets are uncorrelated (e.g. a point set against its
     * own reflection through the centre of a symmetric pattern). */
    if (hypot(ar, ai) < 1e-9 * sqrt(var_d / var_s))
        return SL_ERR_FACE_DEGENERATE;

    sl_affine f = { { ar, -ai, mdx - (ar * msx - ai * msy),
                      ai,  ar, mdy - (ai * msx + ar * msy) } };
    if (inv) {
        sl_status st = sl_affine_invert(inv, &f);
        if (st != SL_OK)
            return st;
    }
    *fwd = f;
    return SL_OK;
}

sl_status sl_face_align_matrix(sl_affine *img_to_crop, sl_affine *crop_to_img,
                               const sl_point2f pts5[SL_FACE_POINTS5])
{
    sl_affine f, i;
    sl_status st = sl_face_similarity(&f, &i, pts5, sl_face_arcface_ref,
                                      SL_FACE_POINTS5);
    if (st != SL_OK)
        return st;
    if (img_to_crop)
        *img_to_crop = f;
    if (crop_to_img)
        *crop_to_img = i;
    return SL_OK;
}

sl_status sl_affine_invert(sl_affine *out, const sl_affine *a)
{
    if (!out || !a)
        return SL_ERR_INVALID;
    const double *m = a->m;
    double det = m[0] * m[4] - m[1] * m[3];
    double mag = fabs(m[0] * m[4]) + fabs(m[1] * m[3]);
    if (!isfinite(det) || det == 0 || fabs(det) < 1e-12 * mag)
        return SL_ERR_FACE_DEGENERATE;
    double i0 = m[4] / det, i1 = -m[1] / det;
    double i3 = -m[3] / det, i4 = m[0] / det;
    *out = (sl_affine){ { i0, i1, -(i0 * m[2] + i1 * m[5]),
                          i3, i4, -(i3 * m[2] + i4 * m[5]) } };
    return SL_OK;
}

sl_point2f sl_affine_apply(const sl_affine *a, sl_point2f p)
{
    const double *m = a->m;
    return (sl_point2f){ (float)(m[0] * p.x + m[1] * p.y + m[2]),
                         (float)(m[3] * p.x + m[4] * p.y + m[5]) };
}

double sl_affine_scale(const sl_affine *a)
{
    return hypot(a->m[0], a->m[3]);
}

double sl_affine_rotation_deg(const sl_affine *a)
{
    return atan2(a->m[3], a->m[0]) * (180.0 / M_PI);
}

double sl_face_interocular(const sl_point2f pts5[SL_FACE_POINTS5])
{
    return hypot((double)pts5[1].x - pts5[0].x, (double)pts5[1].y - pts5[0].y);
}

double sl_face_roll_deg(const sl_point2f pts5[SL_FACE_POINTS5])
{
    return atan2((double)pts5[1].y - pts5[0].y,
                 (double)pts5[1].x - pts5[0].x) * (180.0 / M_PI);
}
