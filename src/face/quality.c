/*
 * quality.c -- quality reasons with bilingual advice, threshold presets,
 * and the two pixel measures (Laplacian variance, luma statistics).
 *
 * Runs once per captured image; the pixel measures touch one 112x112
 * crop. The reason table is the single source of codes and messages.
 */
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "shualian/face.h"

struct reason_row {
    enum sl_quality_reason r;
    const char *name;
    const char *zh;
    const char *en;
};

/* In the order the citizen should fix things. */
static const struct reason_row reasons[] = {
    { SL_Q_NO_FACE, "no_face",
      "未检测到人脸，请正对摄像头",
      "no face found: please look straight at the camera" },
    { SL_Q_SEVERAL_FACES, "several_faces",
      "画面中有多张人脸，请确保只有您一人在画面中",
      "several faces in view: make sure only you are in the picture" },
    { SL_Q_LOW_RESOLUTION, "low_resolution",
      "图像分辨率太低，请使用更清晰的摄像头或照片",
      "image resolution too low: use a better camera or a larger photo" },
    { SL_Q_FACE_CUT_BY_BORDER, "face_cut_by_border",
      "脸部超出画面，请将整张脸移到画面中央",
      "face cut off by the edge: move so your whole face is in the middle of the picture" },
    { SL_Q_FACE_TOO_SMALL, "face_too_small",
      "脸部太小，请靠近摄像头",
      "face too small: move closer to the camera" },
    { SL_Q_OFF_POSE_YAW, "off_pose_yaw",
      "请正对摄像头，不要左右转头",
      "please face the camera: do not turn your head to the side" },
    { SL_Q_OFF_POSE_PITCH, "off_pose_pitch",
      "请正对摄像头，不要抬头或低头",
      "please face the camera: do not tilt your head up or down" },
    { SL_Q_OFF_POSE_ROLL, "off_pose_roll",
      "请保持头部端正，不要歪头",
      "please hold your head upright: do not lean it to one side" },
    { SL_Q_EYES_CLOSED, "eyes_closed",
      "请睁开眼睛，并摘下墨镜",
      "please open your eyes and take off sunglasses" },
    { SL_Q_TOO_DARK, "too_dark",
      "光线太暗，请到光线充足的地方",
      "too dark: move to a brighter place" },
    { SL_Q_OVER_EXPOSED, "over_exposed",
      "光线太强，请避开强光直射",
      "too bright: move out of strong direct light" },
    { SL_Q_LOW_CONTRAST, "low_contrast",
      "画面对比度太低，请改善光照，避免逆光",
      "low contrast: improve the lighting and avoid light from behind you" },
    { SL_Q_BLURRED, "blurred",
      "图像模糊，请保持不动并擦拭镜头",
      "image blurred: hold still and clean the camera lens" },
};
_Static_assert(sizeof(reasons) / sizeof(reasons[0]) == SL_Q_REASON_MAX,
               "one row per quality reason");

static const struct reason_row *find_reason(enum sl_quality_reason r)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(reasons); i++)
        if (reasons[i].r == r)
            return &reasons[i];
    return NULL;
}

const char *sl_quality_reason_name(enum sl_quality_reason r)
{
    const struct reason_row *row = find_reason(r);
    return row ? row->name : "unknown";
}

const char *sl_quality_reason_msg(enum sl_quality_reason r, enum sl_lang lang)
{
    const struct reason_row *row = find_reason(r);
    if (!row)
        return lang == SL_LANG_ZH ? "未知原因" : "unknown reason";
    return lang == SL_LANG_ZH ? row->zh : row->en;
}

bool sl_quality_reason_parse(const char *name, enum sl_quality_reason *out)
{
    for (size_t i = 0; name && i < SL_ARRAY_LEN(reasons); i++)
        if (strcmp(reasons[i].name, name) == 0) {
            *out = reasons[i].r;
            return true;
        }
    return false;
}

sl_quality_thresholds sl_quality_preset_enrol(void)
{
    return (sl_quality_thresholds){
        .min_image_side = 480, .max_faces = 1, .max_outside = 0.02f,
        .min_interocular_px = 60, .max_yaw = 15, .max_pitch = 15,
        .max_roll = 10, .min_eye_open = 0.5f, .both_eyes = true,
        .min_luma = 70, .max_luma = 200, .min_luma_std = 30,
        .min_sharpness = 150,
    };
}

sl_quality_thresholds sl_quality_preset_verify(void)
{
    return (sl_quality_thresholds){
        .min_image_side = 240, .max_faces = 1, .max_outside = 0.10f,
        .min_interocular_px = 36, .max_yaw = 30, .max_pitch = 25,
        .max_roll = 25, .min_eye_open = 0.5f, .both_eyes = false,
        .min_luma = 40, .max_luma = 225, .min_luma_std = 18,
        .min_sharpness = 60,
    };
}

sl_quality_meas sl_quality_meas_empty(void)
{
    return (sl_quality_meas){
        .image_w = 0, .image_h = 0, .face_count = 0,
        .box_x0 = NAN, .box_y0 = NAN, .box_x1 = NAN, .box_y1 = NAN,
        .interocular_px = NAN, .sharpness = NAN, .luma_mean = NAN,
        .luma_std = NAN, .yaw = NAN, .pitch = NAN, .roll = NAN,
        .eye_open_left = NAN, .eye_open_right = NAN,
    };
}

/* Fraction of the box area outside [0, w] x [0, h]; NAN if unknown. */
static double outside_fraction(const sl_quality_meas *m)
{
    double x0 = m->box_x0, y0 = m->box_y0, x1 = m->box_x1, y1 = m->box_y1;
    if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1) ||
        x1 <= x0 || y1 <= y0 || m->image_w <= 0 || m->image_h <= 0)
        return NAN;
    double ix = SL_MAX(0.0, SL_MIN(x1, (double)m->image_w) - SL_MAX(x0, 0.0));
    double iy = SL_MAX(0.0, SL_MIN(y1, (double)m->image_h) - SL_MAX(y0, 0.0));
    return 1.0 - (ix * iy) / ((x1 - x0) * (y1 - y0));
}

/* NAN-aware comparisons: an unmeasured value never fails. */
static bool below(float v, float lim) { return !isnan(v) && v < lim; }
static bool above(float v, float lim) { return !isnan(v) && v > lim; }

size_t sl_quality_check(enum sl_quality_reason *out, size_t cap,
                        const sl_quality_meas *m,
                        const sl_quality_thresholds *th)
{
    bool fail[SL_Q_REASON_MAX + 1] = { false };
    if (!m || !th || m->face_count <= 0) {
        if (out && cap > 0)
            out[0] = SL_Q_NO_FACE;
        return 1;
    }
    fail[SL_Q_SEVERAL_FACES] = m->face_count > th->max_faces;
    fail[SL_Q_LOW_RESOLUTION] = m->image_w > 0 && m->image_h > 0 &&
                                SL_MIN(m->image_w, m->image_h) < th->min_image_side;
    double out_frac = outside_fraction(m);
    fail[SL_Q_FACE_CUT_BY_BORDER] = !isnan(out_frac) && out_frac > th->max_outside;
    fail[SL_Q_FACE_TOO_SMALL] = below(m->interocular_px, th->min_interocular_px);
    fail[SL_Q_OFF_POSE_YAW] = above(fabsf(m->yaw), th->max_yaw);
    fail[SL_Q_OFF_POSE_PITCH] = above(fabsf(m->pitch), th->max_pitch);
    fail[SL_Q_OFF_POSE_ROLL] = above(fabsf(m->roll), th->max_roll);
    bool l_closed = below(m->eye_open_left, th->min_eye_open);
    bool r_closed = below(m->eye_open_right, th->min_eye_open);
    fail[SL_Q_EYES_CLOSED] = th->both_eyes ? (l_closed || r_closed)
                                           : (l_closed && r_closed);
    fail[SL_Q_TOO_DARK] = below(m->luma_mean, th->min_luma);
    fail[SL_Q_OVER_EXPOSED] = above(m->luma_mean, th->max_luma);
    fail[SL_Q_LOW_CONTRAST] = below(m->luma_std, th->min_luma_std);
    fail[SL_Q_BLURRED] = below(m->sharpness, th->min_sharpness);

    size_t n = 0;
    for (size_t i = 0; i < SL_ARRAY_LEN(reasons); i++) {
        if (!fail[reasons[i].r])
            continue;
        if (out && n < cap)
            out[n] = reasons[i].r;
        n++;
    }
    return n;
}

sl_status sl_quality_sharpness(double *var, const uint8_t *grey, int32_t w,
                               int32_t h, size_t stride)
{
    if (!var || !grey || w < 3 || h < 3 || stride < (size_t)w)
        return SL_ERR_INVALID;
    double s = 0, ss = 0;
    for (int32_t y = 1; y < h - 1; y++) {
        const uint8_t *r = grey + (size_t)y * stride;
        for (int32_t x = 1; x < w - 1; x++) {
            int lap = r[x - 1] + r[x + 1] + r[x - stride] + r[x + stride] - 4 * r[x];
            s += lap;
            ss += (double)lap * lap;
        }
    }
    double n = (double)(w - 2) * (double)(h - 2);
    double mean = s / n;
    *var = SL_MAX(0.0, ss / n - mean * mean);
    return SL_OK;
}

sl_status sl_quality_luma(double *mean, double *std, const uint8_t *grey,
                          int32_t w, int32_t h, size_t stride)
{
    if (!mean || !std || !grey || w < 1 || h < 1 || stride < (size_t)w)
        return SL_ERR_INVALID;
    double s = 0, ss = 0;
    for (int32_t y = 0; y < h; y++)
        for (int32_t x = 0; x < w; x++) {
            double v = grey[(size_t)y * stride + x];
            s += v;
            ss += v * v;
        }
    double n = (double)w * (double)h;
    *mean = s / n;
    *std = sqrt(SL_MAX(0.0, ss / n - *mean * *mean));
    return SL_OK;
}
