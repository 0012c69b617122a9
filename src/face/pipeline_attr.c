/*
 * pipeline_attr.c -- the face engine's attribute stages (engine.h): passive
 * liveness, head pose, eye state, age and gender (SSR-Net merge), the whole
 * pipeline for the main face, quality measurements and active-liveness
 * frame signals.
 *
 * Crops and tensor layouts follow the models' original package where it is
 * right (shared/anchors/ort-pipeline.md); the measured deviations are in
 * docs/face.md.
 */
#include <math.h>
#include <string.h>

#include "face/pipeline.h"

static const int ORDER_RGB[3] = { 0, 1, 2 }, ORDER_BGR[3] = { 2, 1, 0 };
/* ImageNet mean/std in 0..255 units, R,G,B. */
static const float IMNET_MEAN[3] = { 123.675f, 116.28f, 103.53f };
static const float IMNET_ISTD[3] = { 1 / 58.395f, 1 / 57.12f, 1 / 57.375f };

/* Samples r of img into a new w x h RGB image. */
static sl_status crop_rgb(struct sl_image **out, const struct sl_image *img,
                          const double r[4], uint32_t w, uint32_t h)
{
    struct sl_image *c = NULL;
    sl_status st = sl_image_new(&c, w, h, img->channels);
    if (st != SL_OK)
        return st;
    if ((st = sl__face_sample(c, img, r[0], r[1], r[2], r[3], 0, true)) != SL_OK) {
        sl_image_free(c);
        return st;
    }
    *out = c;
    return SL_OK;
}

static bool box_ok(const sl_face_box *b)
{
    return b && isfinite(b->x0) && isfinite(b->y0) && isfinite(b->x1) &&
           isfinite(b->y1) && b->x1 > b->x0 && b->y1 > b->y0;
}

sl_status sl_face_liveness(sl_face_session *s, const struct sl_image *img,
                           const sl_face_box *box, const sl_face_config *cfg,
                           float *score, float probs[3], float *context)
{
    if (!s || !img || !img->data || !box_ok(box) || !score)
        return SL_ERR_INVALID;
    if (!s->in[SL_FM_LIVENESS])
        return SL_ERR_FACE_MODEL_NOT_LOADED;
    sl_face_config d = sl_face_config_default();
    if (!cfg)
        cfg = &d;
    sl_face_rect sq = sl_face_square(box);
    sl_face_box b = { (float)sq.x0, (float)sq.y0, (float)sq.x1, (float)sq.y1, box->score };
    sl_face_rect rc = sl_face_crop_scaled(&b, cfg->live_scale, img->width, img->height);
    double r[4] = { rc.x0, rc.y0, rc.x1, rc.y1 };
    struct sl_image *c = NULL;
    sl_status st = crop_rgb(&c, img, r, 128, 128);
    if (st != SL_OK)
        return st;
    static const float zero[3] = { 0, 0, 0 }, one[3] = { 1, 1, 1 };
    sl__face_planes(s->in[SL_FM_LIVENESS], c, cfg->live_bgr ? ORDER_BGR : ORDER_RGB,
                    zero, one);
    sl_image_free(c);
    if ((st = sl__face_run(s, SL_FM_LIVENESS)) != SL_OK)
        return st;
    float p[3];
    sl_face_softmax(p, s->out[SL_FM_LIVENESS][0], 3);
    if (probs)
        memcpy(probs, p, sizeof(p));
    *score = p[cfg->live_class < 3 ? cfg->live_class : 0];
    if (context)
        *context = sl_face_context_ratio(b.x0, b.y0, b.x1, b.y1, cfg->live_scale,
                                         (int32_t)img->width, (int32_t)img->height);
    return SL_OK;
}

sl_status sl_face_pose(sl_face_session *s, const struct sl_image *img,
                       const sl_face_box *box, float ypr[3])
{
    if (!s || !img || !img->data || !box_ok(box) || !ypr)
        return SL_ERR_INVALID;
    if (!s->in[SL_FM_POSE])
        return SL_ERR_FACE_MODEL_NOT_LOADED;
    sl_face_rect rc;
    sl_status st = sl_face_crop_pose(&rc, box, img->width, img->height);
    if (st != SL_OK)
        return st;
    double r[4] = { rc.x0, rc.y0, rc.x1, rc.y1 };
    struct sl_image *c = NULL;
    st = crop_rgb(&c, img, r, 224, 224);
    if (st != SL_OK)
        return st;
    /* Hopenet was trained on R,G,B with ImageNet statistics */
    sl__face_planes(s->in[SL_FM_POSE], c, ORDER_RGB, IMNET_MEAN, IMNET_ISTD);
    sl_image_free(c);
    if ((st = sl__face_run(s, SL_FM_POSE)) != SL_OK)
        return st;
    for (int k = 0; k < 3; k++)
        ypr[k] = sl_face_pose_decode(s->out[SL_FM_POSE][k]);
    /* fr_pose's signs are kept (face.h adopts them): yaw grows when the
     * subject turns to their own right (r = -0.62 against the nose offset
     * towards the image right on 40 dev faces), pitch > 0 chin up (r = -0.85
     * against the nose's relative drop), roll agrees with the eye line
     * (r = +0.80). */
    return SL_OK;
}

sl_status sl_face_eyes(sl_face_session *s, const struct sl_image *img,
                       const sl_point2f lm[SL_FACE_LANDMARKS], float open[2])
{
    if (!s || !img || !img->data || !lm || !open)
        return SL_ERR_INVALID;
    if (!s->in[SL_FM_EYE])
        return SL_ERR_FACE_MODEL_NOT_LOADED;
    for (int e = 0; e < 2; e++) {
        sl_face_rect rc;
        sl_status st = sl_face_crop_eye(&rc, lm, e);
        if (st != SL_OK)
            return st;
        double r[4] = { rc.x0, rc.y0, rc.x1, rc.y1 };
        struct sl_image *c = NULL;
        st = crop_rgb(&c, img, r, 24, 24);
        if (st != SL_OK)
            return st;
        sl__face_grey_plane(s->in[SL_FM_EYE], c, 0.114f, 0.587f, 0.299f, 1.0f / 255.0f);
        sl_image_free(c);
        if ((st = sl__face_run(s, SL_FM_EYE)) != SL_OK)
            return st;
        float p[2];
        sl_face_softmax(p, s->out[SL_FM_EYE][0], 2);
        open[e] = p[1];
    }
    return SL_OK;
}

/* SSR-Net's merge of its three stages into one value in [0, V]. Outputs:
 * 0..2 stage probabilities, 3..5 delta_k, 6..8 index offsets. */
static double ssr_merge(float *const *o, double V)
{
    double a = 0, b = 0, c = 0;
    for (int i = 0; i < 3; i++) {
        a += (i + o[6][i]) * o[0][i];
        b += (i + o[7][i]) * o[1][i];
        c += (i + o[8][i]) * o[2][i];
    }
    double d1 = 3 * (1 + o[3][0]), d2 = 3 * (1 + o[4][0]), d3 = 3 * (1 + o[5][0]);
    a /= d1;
    b /= d1 * d2;
    c /= d1 * d2 * d3;
    return (a + b + c) * V;
}

sl_status sl_face_age_gender(sl_face_session *s, const struct sl_image *img,
                             const sl_face_box *box, float *age, float *male)
{
    if (!s || !img || !img->data || !box_ok(box) || (!age && !male))
        return SL_ERR_INVALID;
    if ((age && !s->in[SL_FM_AGE]) || (male && !s->in[SL_FM_GENDER]))
        return SL_ERR_FACE_MODEL_NOT_LOADED;
    sl_face_rect sq = sl_face_square(box);
    sl_face_box b = { (float)sq.x0, (float)sq.y0, (float)sq.x1, (float)sq.y1, 0 };
    sl_face_rect rc = sl_face_crop_scaled(&b, 1.4, img->width, img->height);
    double r[4] = { rc.x0, rc.y0, rc.x1, rc.y1 };
    struct sl_image *c = NULL;
    sl_status st = crop_rgb(&c, img, r, 64, 64);
    if (st != SL_OK)
        return st;
    for (int k = 0; k < 2 && st == SL_OK; k++) {
        enum sl_face_model m = k ? SL_FM_GENDER : SL_FM_AGE;
        float *dst = k ? male : age;
        if (!dst)
            continue;
        sl__face_planes(s->in[m], c, ORDER_RGB, IMNET_MEAN, IMNET_ISTD);
        if ((st = sl__face_run(s, m)) == SL_OK)
            *dst = (float)ssr_merge(s->out[m], k ? 1.0 : 101.0);
    }
    sl_image_free(c);
    return st;
}

/* ---- whole pipeline ---- */

static void result_empty(sl_face_result *r)
{
    memset(r, 0, sizeof(*r));
    r->interocular = r->sharpness = r->luma_mean = r->luma_std = NAN;
    r->live_score = r->live_context = NAN;
    r->live_probs[0] = r->live_probs[1] = r->live_probs[2] = NAN;
    r->yaw = r->pitch = r->roll = NAN;
    r->eye_open[0] = r->eye_open[1] = NAN;
    r->mouth_open = r->age = r->male = NAN;
}

static sl_status analyse_one(sl_face_session *s, const struct sl_image *img,
                             const sl_face_config *cfg, uint32_t what,
                             sl_face_result *r)
{
    sl_status st = sl_face_landmarks(s, img, &r->box, cfg, r->lm);
    if (st != SL_OK)
        return st;
    if ((st = sl_face_points5(r->pts5, r->lm, (enum sl_face_pts5_rule)cfg->pts5)) != SL_OK)
        return st;
    r->interocular = (float)sl_face_interocular(r->pts5);
    r->mouth_open = sl_face_mouth_open_ratio(r->lm);
    struct sl_image *crop = NULL, *grey = NULL;
    if (what & (SL_FACE_DO_EMBED | SL_FACE_DO_QUALITY)) {
        if ((st = sl_image_new(&crop, SL_FACE_ALIGN_SIZE, SL_FACE_ALIGN_SIZE,
                               img->channels)) != SL_OK)
            goto out;
        if ((st = sl__face_align_ex(crop, img, r->pts5, cfg->antialias)) != SL_OK)
            goto out;
    }
    if (what & SL_FACE_DO_EMBED) {
        struct sl_image *rgb = NULL;
        const struct sl_image *src = crop;
        if (crop->channels != 3) {
            if ((st = sl_image_to_rgb(&rgb, crop)) != SL_OK)
                goto out;
            src = rgb;
        }
        st = sl_face_embed_crop(s, src, cfg, r->emb);
        sl_image_free(rgb);
        if (st != SL_OK)
            goto out;
        r->has_emb = true;
    }
    if (what & SL_FACE_DO_QUALITY) {
        double v, mu, sd;
        if ((st = sl_image_to_gray(&grey, crop, SL_GRAY_BT601)) != SL_OK ||
            (st = sl_quality_sharpness(&v, grey->data, (int32_t)grey->width,
                                       (int32_t)grey->height, grey->stride)) != SL_OK ||
            (st = sl_quality_luma(&mu, &sd, grey->data, (int32_t)grey->width,
                                  (int32_t)grey->height, grey->stride)) != SL_OK)
            goto out;
        r->sharpness = (float)v;
        r->luma_mean = (float)mu;
        r->luma_std = (float)sd;
    }
    if ((what & SL_FACE_DO_LIVENESS) && s->in[SL_FM_LIVENESS] &&
        (st = sl_face_liveness(s, img, &r->box, cfg, &r->live_score, r->live_probs,
                               &r->live_context)) != SL_OK)
        goto out;
    if ((what & SL_FACE_DO_POSE) && s->in[SL_FM_POSE]) {
        float ypr[3];
        if ((st = sl_face_pose(s, img, &r->box, ypr)) != SL_OK)
            goto out;
        r->yaw = ypr[0];
        r->pitch = ypr[1];
        r->roll = ypr[2];
    }
    if ((what & SL_FACE_DO_EYES) && s->in[SL_FM_EYE] &&
        (st = sl_face_eyes(s, img, r->lm, r->eye_open)) != SL_OK)
        goto out;
    if ((what & SL_FACE_DO_AGE) && (s->in[SL_FM_AGE] || s->in[SL_FM_GENDER]) &&
        (st = sl_face_age_gender(s, img, &r->box, s->in[SL_FM_AGE] ? &r->age : NULL,
                                 s->in[SL_FM_GENDER] ? &r->male : NULL)) != SL_OK)
        goto out;
    st = SL_OK;
out:
    sl_image_free(grey);
    sl_image_free(crop);
    return st;
}

sl_status sl_face_process(sl_face_session *s, const struct sl_image *img,
                          const sl_face_config *cfg, uint32_t what,
                          sl_face_result *out, size_t cap, size_t *n, size_t *n_found)
{
    if (!s || !img || !out || !cap || !n)
        return SL_ERR_INVALID;
    sl_face_config d = sl_face_config_default();
    if (!cfg)
        cfg = &d;
    sl_face_box boxes[64];
    size_t nb = 0;
    *n = 0;
    sl_status st = sl_face_detect(s, img, cfg, boxes, SL_ARRAY_LEN(boxes), &nb);
    if (st != SL_OK)
        return st;
    if (n_found)
        *n_found = nb;
    if (nb == 0)
        return SL_NO_FACE;
    size_t todo = (what & SL_FACE_DO_ALL_FACES) ? SL_MIN(nb, cap) : 1;
    for (size_t i = 0; i < todo; i++) {
        result_empty(&out[i]);
        out[i].box = boxes[i];
        if ((st = analyse_one(s, img, cfg, what, &out[i])) != SL_OK)
            return st;
    }
    *n = todo;
    return SL_OK;
}

sl_quality_meas sl_face_quality_meas(const struct sl_image *img, const sl_face_result *r,
                                     size_t face_count)
{
    sl_quality_meas m = sl_quality_meas_empty();
    if (!img)
        return m;
    m.image_w = (int32_t)img->width;
    m.image_h = (int32_t)img->height;
    m.face_count = (int32_t)face_count;
    if (!r || face_count == 0)
        return m;
    /* the face's extent: the detector box (which stops at the image edge)
     * joined with the 68 landmarks, which the landmark model places where
     * the jaw and brows would be even past the edge */
    m.box_x0 = r->box.x0;
    m.box_y0 = r->box.y0;
    m.box_x1 = r->box.x1;
    m.box_y1 = r->box.y1;
    for (int i = 0; i < SL_FACE_LANDMARKS; i++) {
        if (!isfinite(r->lm[i].x) || !isfinite(r->lm[i].y))
            continue;
        m.box_x0 = SL_MIN(m.box_x0, r->lm[i].x);
        m.box_y0 = SL_MIN(m.box_y0, r->lm[i].y);
        m.box_x1 = SL_MAX(m.box_x1, r->lm[i].x);
        m.box_y1 = SL_MAX(m.box_y1, r->lm[i].y);
    }
    m.interocular_px = r->interocular;
    m.sharpness = r->sharpness;
    m.luma_mean = r->luma_mean;
    m.luma_std = r->luma_std;
    m.yaw = r->yaw;
    m.pitch = r->pitch;
    /* the eye line is a direct measurement of roll; the pose net's roll
     * is only used when landmarks are missing */
    m.roll = isfinite(r->interocular) ? (float)sl_face_roll_deg(r->pts5) : r->roll;
    m.eye_open_left = r->eye_open[0];
    m.eye_open_right = r->eye_open[1];
    return m;
}

sl_status sl_face_frame_signal(sl_face_session *s, const struct sl_image *img,
                               const sl_face_config *cfg, int64_t t_ms, const float *ref,
                               float *emb_out, sl_frame_signal *out)
{
    if (!s || !img || !out)
        return SL_ERR_INVALID;
    sl_face_result *r = sl__malloc(sizeof(*r));
    if (!r)
        return SL_ERR_NOMEM;
    size_t n = 0;
    sl_frame_signal f = { .t_ms = t_ms, .face = false };
    f.eye_open_left = f.eye_open_right = f.yaw = f.pitch = f.roll = NAN;
    f.mouth_open = f.similarity = f.live_score = NAN;
    sl_status st = sl_face_process(s, img, cfg,
                                   SL_FACE_DO_EMBED | SL_FACE_DO_LIVENESS | SL_FACE_DO_POSE |
                                   SL_FACE_DO_EYES, r, 1, &n, NULL);
    if (st == SL_NO_FACE) {
        *out = f;
        st = SL_OK;
        goto out;
    }
    if (st != SL_OK)
        goto out;
    f.face = true;
    f.eye_open_left = r->eye_open[0];
    f.eye_open_right = r->eye_open[1];
    f.yaw = r->yaw;
    f.pitch = r->pitch;
    f.roll = r->roll;
    f.mouth_open = r->mouth_open;
    f.live_score = r->live_score;
    f.similarity = ref ? (float)sl_face_cosine(ref, r->emb, SL_FACE_EMBED_DIM) : 1.0f;
    if (emb_out)
        memcpy(emb_out, r->emb, sizeof(r->emb));
    *out = f;
out:
    sl__free(r);
    return st;
}
