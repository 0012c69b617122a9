/*
 * pipeline.c -- the face engine's core stages (engine.h): model loading,
 * sessions, detection (RFB-320), 68 landmarks, 5-point alignment and the
 * 512-d embedding.
 *
 * Per image: one detector run on a 320x240 canvas (~100 M MACs), one
 * landmark run (64x64 grey), one or two embedding runs (112x112, 221 M
 * MACs each; two with flip fusion). Scratch tensors live in the session,
 * so the stages allocate only the small resampled images.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "face/pipeline.h"

static const char *const model_names[SL_FM_COUNT] = {
    "detect", "landmark", "feature", "liveness", "eye", "pose", "age", "gender",
    "expression",
};

/* Expected input element counts and output counts of each model. */
static const size_t model_in[SL_FM_COUNT] = {
    3 * 240 * 320, 64 * 64, 3 * 112 * 112, 3 * 128 * 128, 24 * 24,
    3 * 224 * 224, 3 * 64 * 64, 3 * 64 * 64, 3 * 224 * 224,
};
static const int model_nout[SL_FM_COUNT] = { 2, 1, 1, 1, 1, 3, 9, 9, 1 };

/* SHA-256 of the shipped model files (scripts/models.sha256, from npm
 * faceplugin-face-recognition-js@0.0.1; a unit test compares the two). A
 * corrupt model otherwise runs and its garbage is blamed on the photo. */
static const char *const model_sha256[SL_FM_COUNT] = {
    "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854",   /* detect     */
    "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258",   /* landmark   */
    "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581",   /* feature    */
    "afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d",   /* liveness   */
    "1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de",   /* eye        */
    "72d032ec941b7153bf8d3f2c03a4c165453cc7e63d479041ec7c6ef087e5839d",   /* pose       */
    "74c9b01700cb9ef96f7190a2230218414ff99d231415c4b091a755780cad5e8a",   /* age        */
    "a003e8392a617ca834c7ca2c01e0895f5c354217fb56cd0373935e6e9b9c396e",   /* gender     */
    "88959314d9dc14d6c968cca31dc068e4350bf1944154e3bdd2eece5d0f318d05",   /* expression */
};

const char *sl__face_model_sha256(enum sl_face_model m)
{
    return (unsigned)m < SL_FM_COUNT ? model_sha256[m] : NULL;
}

const char *sl_face_model_name(enum sl_face_model m)
{
    return (unsigned)m < SL_FM_COUNT ? model_names[m] : "unknown";
}

sl_face_config sl_face_config_default(void)
{
    return (sl_face_config){
        .det_score = 0.6f, .nms_iou = 0.3f, .det_fit = SL_DET_LETTERBOX,
        .nms = SL_NMS_IOU, .det_pad = true, .min_face_px = 20.0f,
        .max_faces = 16, .flip = false, .feature_bgr = true, .refine = 1,
        .live_bgr = false, .live_scale = 2.7f, .live_class = 1, .antialias = true,
    };
}

static void seterr(char *err, size_t cap, const char *what, const char *path,
                   const char *why)
{
    if (err && cap)
        snprintf(err, cap, "%s %s%s%s", what, path, why[0] ? ": " : "", why);
}

/* true if SHA-256(p[0..n)) is the lowercase hex digest 'hex'. */
static bool sha256_is(const uint8_t *p, size_t n, const char *hex)
{
    unsigned char d[crypto_hash_sha256_BYTES];
    char got[2 * crypto_hash_sha256_BYTES + 1];
    if (sodium_init() < 0)      /* cannot happen after the first success */
        return false;
    crypto_hash_sha256(d, p, n);
    sodium_bin2hex(got, sizeof(got), d, sizeof(d));
    return strcmp(got, hex) == 0;
}

sl_face_engine_opts sl_face_engine_opts_default(void)
{
    return (sl_face_engine_opts){ .models = SL_FM_ALL, .threads = 1 };
}

/* Deep copy of a calibration (the points are the only owned memory). */
static sl_status calib_copy(sl_calib *dst, const sl_calib *src)
{
    *dst = *src;
    for (size_t i = 0; i < dst->n_tables; i++)
        dst->tables[i].pts = NULL;
    for (size_t i = 0; i < src->n_tables; i++) {
        size_t bytes = src->tables[i].n * sizeof(*src->tables[i].pts);
        if (!src->tables[i].pts || !(dst->tables[i].pts = sl__malloc(bytes))) {
            sl_calib_free(dst);
            return src->tables[i].pts ? SL_ERR_NOMEM : SL_ERR_INVALID;
        }
        memcpy(dst->tables[i].pts, src->tables[i].pts, bytes);
    }
    return SL_OK;
}

/* The engine's calibration: o->calib copied, else o->calib_path or the
 * shipped table; it must be of the model this engine embeds with. */
static sl_status engine_calib(sl_face_engine *e, const sl_face_engine_opts *o,
                              char *err, size_t cap)
{
    const char *which = o->calib ? "(given table)"
                      : o->calib_path && *o->calib_path ? o->calib_path
                      : "(share/shualian/face-calib.json or built-in)";
    sl_status st = o->calib ? sl_calib_validate(o->calib) : SL_OK;
    if (st == SL_OK)
        st = o->calib ? calib_copy(&e->calib, o->calib)
                      : sl_face_calib_load_default(&e->calib, o->calib_path);
    if (st != SL_OK) {
        seterr(err, cap, "cannot load calibration", which, sl_status_str(st));
        return st;
    }
    if (strcmp(e->calib.model_id, SL_FACE_ENGINE_MODEL_ID) != 0) {
        char why[160];
        snprintf(why, sizeof(why), "measured for model '%.48s', this engine embeds with '%s'",
                 e->calib.model_id, SL_FACE_ENGINE_MODEL_ID);
        seterr(err, cap, "calibration", which, why);
        sl_calib_free(&e->calib);
        return SL_ERR_FACE_CALIB_MODEL;
    }
    return SL_OK;
}

sl_status sl_face_engine_new(sl_face_engine **out, const sl_face_engine_opts *o,
                             char *err, size_t cap)
{
    if (!out)
        return SL_ERR_INVALID;
    sl_face_engine_opts d = { 0 };
    if (!o)
        o = &d;
    const char *dir = o->models_dir && *o->models_dir ? o->models_dir : "models";
    uint32_t want = o->models ? o->models : SL_FM_ALL;
    sl_status st = SL_ERR_NOMEM;
    sl_face_engine *e = sl__calloc(1, sizeof(*e));
    if (!e)
        goto out_fail;
    snprintf(e->backend, sizeof(e->backend), "%s", o->backend ? o->backend : "");
    e->threads = o->threads > 0 ? o->threads : 1;
    /* the calibration first: cheap, and a bad file fails before the models load */
    if ((st = engine_calib(e, o, err, cap)) != SL_OK)
        goto out_fail;
    for (int m = 0; m < SL_FM_COUNT; m++) {
        if (!(want & SL_FM_BIT(m)))
            continue;
        char path[4096], nerr[200] = "";
        snprintf(path, sizeof(path), "%s/fr_%s.onnx", dir, model_names[m]);
        uint8_t *buf = NULL;
        size_t len = 0;
        st = sl__read_file(path, SL_NN_MAX_FILE_BYTES, &buf, &len);
        if (st != SL_OK) {
            if (SL_STATUS_PRIMARY(st) == SL_ERR_NOT_FOUND || SL_STATUS_PRIMARY(st) == SL_ERR_IO) {
                st = SL_ERR_FACE_MODELS_MISSING;
                seterr(err, cap, "cannot read model", path, "");
            } else
                seterr(err, cap, "model", path, sl_status_str(st));
            goto out_fail;
        }
        if (!o->skip_model_check && !sha256_is(buf, len, model_sha256[m])) {
            sl__free(buf);
            st = SL_ERR_FACE_MODEL_CHECKSUM;
            seterr(err, cap, "model", path,
                   "checksum mismatch (not the shipped file: re-run scripts/setup.sh, or "
                   "skip the check for a custom model)");
            goto out_fail;
        }
        st = sl_nn_model_load_mem(&e->model[m], buf, len, nerr, sizeof(nerr));
        sl__free(buf);
        if (st != SL_OK) {
            seterr(err, cap, "model", path, nerr);
            goto out_fail;
        }
        if (sl_nn_model_num_inputs(e->model[m]) != 1 ||
            sl_nn_model_input_size(e->model[m], 0) != model_in[m] ||
            sl_nn_model_num_outputs(e->model[m]) != model_nout[m]) {
            st = SL_ERR_FACE_MODEL_SHAPE;
            seterr(err, cap, "model", path, "unexpected inputs or outputs");
            goto out_fail;
        }
    }
    *out = e;
    return SL_OK;
out_fail:
    sl_face_engine_free(e);
    return st;
}

void sl_face_engine_free(sl_face_engine *e)
{
    if (!e)
        return;
    for (int m = 0; m < SL_FM_COUNT; m++)
        sl_nn_model_free(e->model[m]);
    sl_calib_free(&e->calib);
    sl__free(e);
}

bool sl_face_engine_has(const sl_face_engine *e, enum sl_face_model m)
{
    return e && (unsigned)m < SL_FM_COUNT && e->model[m] != NULL;
}

const sl_calib *sl_face_engine_calib(const sl_face_engine *e)
{
    return e ? &e->calib : NULL;
}

sl_status sl_face_session_new(sl_face_session **out, const sl_face_engine *e)
{
    if (!out || !e)
        return SL_ERR_INVALID;
    sl_status st = SL_ERR_NOMEM;
    sl_face_session *s = sl__calloc(1, sizeof(*s));
    if (!s)
        goto out_fail;
    s->eng = e;
    if (!(s->emb_tmp = sl__aligned_alloc(64, SL_FACE_EMBED_DIM * sizeof(float))) ||
        !(s->cand = sl__malloc(PL_DET_ANCHORS * sizeof(*s->cand))))
        goto out_fail;
    for (int m = 0; m < SL_FM_COUNT; m++) {
        if (!e->model[m])
            continue;
        st = sl_nn_session_new(&s->nn[m], e->model[m], e->backend[0] ? e->backend : NULL,
                               e->threads);
        if (st != SL_OK)
            goto out_fail;
        st = SL_ERR_NOMEM;
        s->in_n[m] = sl_nn_model_input_size(e->model[m], 0);
        if (!(s->in[m] = sl__aligned_alloc(64, s->in_n[m] * sizeof(float))))
            goto out_fail;
        memset(s->in[m], 0, s->in_n[m] * sizeof(float));
        s->nout[m] = sl_nn_model_num_outputs(e->model[m]);
        for (int k = 0; k < s->nout[m] && k < PL_MAX_OUT; k++) {
            s->out_n[m][k] = sl_nn_model_output_size(e->model[m], k);
            if (!(s->out[m][k] = sl__aligned_alloc(64, SL_MAX(s->out_n[m][k], (size_t)1) *
                                                         sizeof(float))))
                goto out_fail;
        }
    }
    *out = s;
    return SL_OK;
out_fail:
    sl_face_session_free(s);
    return st;
}

void sl_face_session_free(sl_face_session *s)
{
    if (!s)
        return;
    for (int m = 0; m < SL_FM_COUNT; m++) {
        sl_nn_session_free(s->nn[m]);
        sl__free(s->in[m]);
        for (int k = 0; k < PL_MAX_OUT; k++)
            sl__free(s->out[m][k]);
    }
    sl__free(s->cand);
    sl__free(s->emb_tmp);
    sl__free(s);
}

sl_status sl__face_run(sl_face_session *s, enum sl_face_model m)
{
    if (!s || !s->nn[m])
        return SL_ERR_FACE_MODEL_NOT_LOADED;
    const float *in[1] = { s->in[m] };
    size_t inn[1] = { s->in_n[m] };
    return sl_nn_session_run(s->nn[m], in, inn, s->out[m], s->out_n[m]);
}

/* ---- image -> tensor helpers ---- */

sl_status sl__face_sample(struct sl_image *dst, const struct sl_image *src,
                          double x0, double y0, double x1, double y1, uint8_t fill,
                          bool antialias)
{
    if (!dst || !src || !(x1 > x0) || !(y1 > y0) || dst->channels != src->channels ||
        !isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
        return SL_ERR_INVALID;
    double sx = (x1 - x0) / dst->width, sy = (y1 - y0) / dst->height;
    if (fabs(x0) > 1e6 || fabs(y0) > 1e6 || fabs(x1) > 1e6 || fabs(y1) > 1e6)
        return SL_ERR_INVALID;
    if (!antialias || (sx <= 1.5 && sy <= 1.5)) {
        float m[6] = { (float)sx, 0, (float)(x0 + 0.5 * sx - 0.5),
                       0, (float)sy, (float)(y0 + 0.5 * sy - 0.5) };
        return sl_image_warp_affine(dst, src, m, fill);
    }
    /* area averaging: crop the whole pixels covered, then resize */
    int32_t ix0 = (int32_t)floor(x0 + 0.5), iy0 = (int32_t)floor(y0 + 0.5);
    int32_t ix1 = (int32_t)floor(x1 + 0.5), iy1 = (int32_t)floor(y1 + 0.5);
    if (ix1 <= ix0)
        ix1 = ix0 + 1;
    if (iy1 <= iy0)
        iy1 = iy0 + 1;
    if (ix0 >= 0 && iy0 >= 0 && ix1 <= (int32_t)src->width && iy1 <= (int32_t)src->height) {
        /* inside the image: resize from a view, no copy */
        struct sl_image view = {
            (uint32_t)(ix1 - ix0), (uint32_t)(iy1 - iy0), src->channels, src->stride,
            src->data + (size_t)iy0 * src->stride + (size_t)ix0 * src->channels,
        };
        return sl_image_resize_into(dst, &view);
    }
    struct sl_image *c = NULL;
    sl_status st = sl_image_crop(&c, src, ix0, iy0, (uint32_t)(ix1 - ix0),
                                 (uint32_t)(iy1 - iy0), fill);
    if (st == SL_OK)
        st = sl_image_resize_into(dst, c);
    sl_image_free(c);
    return st;
}

void sl__face_planes(float *dst, const struct sl_image *img, const int order[3],
                     const float mean[3], const float scale[3])
{
    size_t hw = (size_t)img->width * img->height;
    for (uint32_t y = 0; y < img->height; y++) {
        const uint8_t *row = img->data + y * img->stride;
        for (int k = 0; k < 3; k++) {
            float *d = dst + k * hw + (size_t)y * img->width;
            int c = img->channels == 3 ? order[k] : 0;
            uint32_t step = img->channels;
            float mu = mean[k], sc = scale[k];
            for (uint32_t x = 0; x < img->width; x++)
                d[x] = ((float)row[x * step + c] - mu) * sc;
        }
    }
}

void sl__face_grey_plane(float *dst, const struct sl_image *img, float wr, float wg,
                         float wb, float scale)
{
    for (uint32_t y = 0; y < img->height; y++) {
        const uint8_t *row = img->data + y * img->stride;
        float *d = dst + (size_t)y * img->width;
        if (img->channels == 1) {
            for (uint32_t x = 0; x < img->width; x++)
                d[x] = row[x] * scale;
        } else {
            for (uint32_t x = 0; x < img->width; x++)
                d[x] = (wr * row[3 * x] + wg * row[3 * x + 1] + wb * row[3 * x + 2]) * scale;
        }
    }
}

/* ---- detection ---- */

static double box_area(const sl_face_box *b)
{
    return SL_MAX(0.0, (double)b->x1 - b->x0) * SL_MAX(0.0, (double)b->y1 - b->y0);
}

static int cmp_area_desc(const void *a, const void *b)
{
    double x = box_area(a), y = box_area(b);
    return x > y ? -1 : x < y;
}

/* One detector run on the region r (edge coordinates, may extend past the
 * image) of img; candidates (image coordinates) into s->cand. */
static sl_status detect_region(sl_face_session *s, const struct sl_image *img,
                               const sl_face_config *cfg, const double r[4], size_t *nc)
{
    double rw = r[2] - r[0], rh = r[3] - r[1];
    uint32_t ow = PL_DET_W, oh = PL_DET_H, ox = 0, oy = 0;
    if (cfg->det_fit == SL_DET_LETTERBOX) {
        double sc = SL_MIN(PL_DET_W / rw, PL_DET_H / rh);
        ow = (uint32_t)SL_CLAMP(lround(rw * sc), 1, PL_DET_W);
        oh = (uint32_t)SL_CLAMP(lround(rh * sc), 1, PL_DET_H);
        ox = (PL_DET_W - ow) / 2;
        oy = (PL_DET_H - oh) / 2;
    }
    struct sl_image *v = NULL, *rgb = NULL;
    const struct sl_image *src = img;
    sl_status st;
    if (img->channels != 3) {
        if ((st = sl_image_to_rgb(&rgb, img)) != SL_OK)
            return st;
        src = rgb;
    }
    if ((st = sl_image_new(&v, ow, oh, 3)) != SL_OK)
        goto out;
    if ((st = sl__face_sample(v, src, r[0], r[1], r[2], r[3], 127, cfg->antialias)) != SL_OK)
        goto out;
    /* planes B,G,R, (v - 127) / 128; the letterbox margin is 0 */
    float *in = s->in[SL_FM_DETECT];
    if (!in) {
        st = SL_ERR_FACE_MODEL_NOT_LOADED;
        goto out;
    }
    memset(in, 0, s->in_n[SL_FM_DETECT] * sizeof(float));
    size_t plane = (size_t)PL_DET_W * PL_DET_H;
    for (uint32_t y = 0; y < oh; y++) {
        const uint8_t *row = v->data + y * v->stride;
        for (int k = 0; k < 3; k++) {
            float *d = in + k * plane + (size_t)(y + oy) * PL_DET_W + ox;
            int c = 2 - k;
            for (uint32_t x = 0; x < ow; x++)
                d[x] = ((float)row[3 * x + c] - 127.0f) * (1.0f / 128.0f);
        }
    }
    if ((st = sl__face_run(s, SL_FM_DETECT)) != SL_OK)
        goto out;
    size_t na = s->out_n[SL_FM_DETECT][0] / 2;
    sl_face_det_map map = { { r[0], r[1], r[2], r[3] }, ox, oy, ow, oh };
    st = sl_face_detect_decode(s->cand, PL_DET_ANCHORS, nc, s->out[SL_FM_DETECT][0],
                               s->out[SL_FM_DETECT][1], SL_MIN(na, (size_t)PL_DET_ANCHORS),
                               &map, cfg->det_score);
out:
    sl_image_free(v);
    sl_image_free(rgb);
    return st;
}

sl_status sl_face_detect(sl_face_session *s, const struct sl_image *img,
                         const sl_face_config *cfg, sl_face_box *out, size_t cap,
                         size_t *n)
{
    if (!s || !img || !img->data || !n || (cap && !out) ||
        (img->channels != 1 && img->channels != 3))
        return SL_ERR_INVALID;
    sl_face_config d = sl_face_config_default();
    if (!cfg)
        cfg = &d;
    *n = 0;
    double W = img->width, H = img->height;
    double r[4] = { 0, 0, W, H };
    size_t nc = 0;
    sl_status st = detect_region(s, img, cfg, r, &nc);
    if (st != SL_OK)
        return st;
    nc = sl_face_det_nms(s->cand, nc, (enum sl_nms_mode)cfg->nms, cfg->nms_iou);
    if (nc == 0 && cfg->det_pad) {
        /* tight crop: the face fills the image; give it a margin */
        double p = 0.5 * SL_MAX(W, H);
        double rp[4] = { -p, -p, W + p, H + p };
        if ((st = detect_region(s, img, cfg, rp, &nc)) != SL_OK)
            return st;
        nc = sl_face_det_nms(s->cand, nc, (enum sl_nms_mode)cfg->nms, cfg->nms_iou);
    }
    size_t kept = 0;
    for (size_t i = 0; i < nc; i++) {
        sl_face_box *b = &s->cand[i];
        if (SL_MIN(b->x1 - b->x0, b->y1 - b->y0) < cfg->min_face_px)
            continue;
        s->cand[kept++] = *b;
    }
    qsort(s->cand, kept, sizeof(*s->cand), cmp_area_desc);
    size_t lim = SL_MIN(kept, (size_t)(cfg->max_faces ? cfg->max_faces : 16));
    for (size_t i = 0; i < lim && i < cap; i++)
        out[i] = s->cand[i];
    *n = SL_MIN(lim, cap);
    return SL_OK;
}

/* ---- landmarks ---- */

static sl_status landmarks_in(sl_face_session *s, const struct sl_image *img,
                              const double r[4], bool aa, sl_point2f lm[SL_FACE_LANDMARKS])
{
    struct sl_image *c = NULL;
    sl_status st = sl_image_new(&c, 64, 64, img->channels);
    if (st != SL_OK)
        return st;
    if ((st = sl__face_sample(c, img, r[0], r[1], r[2], r[3], 0, aa)) != SL_OK)
        goto out;
    if (!s->in[SL_FM_LANDMARK]) {
        st = SL_ERR_FACE_MODEL_NOT_LOADED;
        goto out;
    }
    /* grey with the BT.601 weights applied to B,G,R (as the package) */
    sl__face_grey_plane(s->in[SL_FM_LANDMARK], c, 0.114f, 0.587f, 0.299f, 1.0f / 256.0f);
    if ((st = sl__face_run(s, SL_FM_LANDMARK)) != SL_OK)
        goto out;
    sl_face_rect rc = { r[0], r[1], r[2], r[3] };
    /* a non-finite point can only come from the model: ours to report */
    if (sl_face_landmarks_decode(lm, s->out[SL_FM_LANDMARK][0], &rc) != SL_OK)
        st = SL_ERR_INTERNAL;
out:
    sl_image_free(c);
    return st;
}

static sl_status warp_aa(struct sl_image *dst, const struct sl_image *img, const double m[6],
                         bool antialias);

/* Where the detector's square box sits, on average, in the 112x112 ArcFace
 * frame (centre, side; measured on 315 dev faces with 5-point alignment). */
#define PL_CANON_CX   55.94
#define PL_CANON_CY   62.95
#define PL_CANON_SIDE 114.7

/* Second landmark pass: the landmark model sees the face de-rotated and
 * scaled by the similarity fitted to the first pass's 5 points, framed as
 * the detector's average box would frame an upright face. */
static sl_status landmarks_aligned(sl_face_session *s, const struct sl_image *img, bool aa,
                                   sl_point2f lm[SL_FACE_LANDMARKS])
{
    sl_point2f p5[SL_FACE_POINTS5];
    sl_affine c2i;
    sl_status st = sl_face_points5(p5, lm, SL_FACE_PTS5_PIPELINE);
    if (st == SL_OK)
        st = sl_face_align_matrix(NULL, &c2i, p5);
    if (st != SL_OK)
        return st;
    /* 64x64 crop pixel (u, v) -> ArcFace frame -> image */
    const double k = PL_CANON_SIDE / 64, ox = PL_CANON_CX - PL_CANON_SIDE / 2 + 0.5 * k - 0.5;
    const double oy = PL_CANON_CY - PL_CANON_SIDE / 2 + 0.5 * k - 0.5;
    const double *c = c2i.m;
    double m[6] = { c[0] * k, c[1] * k, c[0] * ox + c[1] * oy + c[2],
                    c[3] * k, c[4] * k, c[3] * ox + c[4] * oy + c[5] };
    struct sl_image *cr = NULL;
    if ((st = sl_image_new(&cr, 64, 64, img->channels)) != SL_OK)
        return st;
    if ((st = warp_aa(cr, img, m, aa)) != SL_OK)
        goto out;
    if (!s->in[SL_FM_LANDMARK]) {
        st = SL_ERR_FACE_MODEL_NOT_LOADED;
        goto out;
    }
    sl__face_grey_plane(s->in[SL_FM_LANDMARK], cr, 0.114f, 0.587f, 0.299f, 1.0f / 256.0f);
    if ((st = sl__face_run(s, SL_FM_LANDMARK)) != SL_OK)
        goto out;
    const float *o = s->out[SL_FM_LANDMARK][0];
    for (int i = 0; i < SL_FACE_LANDMARKS; i++) {
        double u = o[2 * i] * 64 - 0.5, v = o[2 * i + 1] * 64 - 0.5;
        lm[i].x = (float)(m[0] * u + m[1] * v + m[2]);
        lm[i].y = (float)(m[3] * u + m[4] * v + m[5]);
        if (!isfinite(lm[i].x) || !isfinite(lm[i].y)) {
            st = SL_ERR_INTERNAL;
            goto out;
        }
    }
out:
    sl_image_free(cr);
    return st;
}

sl_status sl_face_landmarks(sl_face_session *s, const struct sl_image *img,
                            const sl_face_box *box, const sl_face_config *cfg,
                            sl_point2f lm68[SL_FACE_LANDMARKS])
{
    if (!s || !img || !img->data || !box || !lm68 || !(box->x1 > box->x0) ||
        !(box->y1 > box->y0))
        return SL_ERR_INVALID;
    sl_face_config d = sl_face_config_default();
    if (!cfg)
        cfg = &d;
    sl_face_rect sq = sl_face_square(box);
    double r[4] = { sq.x0, sq.y0, sq.x1, sq.y1 };
    sl_status st = landmarks_in(s, img, r, cfg->antialias, lm68);
    if (st == SL_OK && cfg->refine == 1) {
        /* re-centre the square on the landmarks' mean, same side, with the
         * detector's usual offset (the mean sits ~7 % of the side below the
         * box centre) */
        double mx = 0, my = 0;
        for (int i = 0; i < SL_FACE_LANDMARKS; i++) {
            mx += lm68[i].x + 0.5;
            my += lm68[i].y + 0.5;
        }
        mx /= SL_FACE_LANDMARKS;
        my /= SL_FACE_LANDMARKS;
        double side = r[2] - r[0];
        double nr[4] = { mx - side / 2, my - side / 2 - 0.07 * side,
                         mx + side / 2, my + side / 2 - 0.07 * side };
        st = landmarks_in(s, img, nr, cfg->antialias, lm68);
    } else if (st == SL_OK && cfg->refine == 2) {
        st = landmarks_aligned(s, img, cfg->antialias, lm68);
    }
    return st;
}

/* ---- alignment ---- */

sl_status sl_face_align(struct sl_image *crop, const struct sl_image *img,
                        const sl_point2f pts5[SL_FACE_POINTS5])
{
    return sl__face_align_ex(crop, img, pts5, true);
}

/* Warps img into dst with m (dst -> image, centre coordinates); when the
 * map shrinks by more than 1.5x (and antialias), the region under dst is
 * first shrunk by area averaging so the bilinear warp does not alias. */
static sl_status warp_aa(struct sl_image *dst, const struct sl_image *img, const double m[6],
                         bool antialias)
{
    double k = hypot(m[0], m[3]);          /* image pixels per dst pixel */
    if (!antialias || k <= 1.5) {
        float mf[6];
        for (int i = 0; i < 6; i++)
            mf[i] = (float)m[i];
        return sl_image_warp_affine(dst, img, mf, 0);
    }
    const double W = dst->width, H = dst->height;
    const double u[4] = { -0.5, W - 0.5, -0.5, W - 0.5 }, v[4] = { -0.5, -0.5, H - 0.5, H - 0.5 };
    double rx0 = 1e300, ry0 = 1e300, rx1 = -1e300, ry1 = -1e300;
    for (int i = 0; i < 4; i++) {
        double xs = m[0] * u[i] + m[1] * v[i] + m[2], ys = m[3] * u[i] + m[4] * v[i] + m[5];
        rx0 = SL_MIN(rx0, xs);
        rx1 = SL_MAX(rx1, xs);
        ry0 = SL_MIN(ry0, ys);
        ry1 = SL_MAX(ry1, ys);
    }
    rx0 = floor(rx0) - 2;
    ry0 = floor(ry0) - 2;
    rx1 = ceil(rx1) + 3;
    ry1 = ceil(ry1) + 3;
    if (!(rx1 - rx0 < 1e5) || !(ry1 - ry0 < 1e5))
        return SL_ERR_INVALID;
    uint32_t nw = (uint32_t)SL_MAX(1.0, ceil((rx1 - rx0) / k));
    uint32_t nh = (uint32_t)SL_MAX(1.0, ceil((ry1 - ry0) / k));
    struct sl_image *t = NULL;
    sl_status st = sl_image_new(&t, nw, nh, img->channels);
    if (st != SL_OK)
        return st;
    st = sl__face_sample(t, img, rx0, ry0, rx1, ry1, 0, true);
    if (st == SL_OK) {
        double fx = (rx1 - rx0) / nw, fy = (ry1 - ry0) / nh;
        float mf[6] = {
            (float)(m[0] / fx), (float)(m[1] / fx), (float)((m[2] - rx0 + 0.5) / fx - 0.5),
            (float)(m[3] / fy), (float)(m[4] / fy), (float)((m[5] - ry0 + 0.5) / fy - 0.5),
        };
        st = sl_image_warp_affine(dst, t, mf, 0);
    }
    sl_image_free(t);
    return st;
}

sl_status sl__face_align_ex(struct sl_image *crop, const struct sl_image *img,
                            const sl_point2f pts5[SL_FACE_POINTS5], bool antialias)
{
    if (!crop || !img || !pts5 || crop->width != SL_FACE_ALIGN_SIZE ||
        crop->height != SL_FACE_ALIGN_SIZE || crop->channels != img->channels)
        return SL_ERR_INVALID;
    sl_affine c2i;
    sl_status st = sl_face_align_matrix(NULL, &c2i, pts5);
    if (st != SL_OK)
        return st;
    return warp_aa(crop, img, c2i.m, antialias);
}

/* ---- embedding ---- */

sl_status sl_face_embed_crop(sl_face_session *s, const struct sl_image *crop,
                             const sl_face_config *cfg, float emb[SL_FACE_EMBED_DIM])
{
    if (!s || !crop || !emb || crop->width != SL_FACE_ALIGN_SIZE ||
        crop->height != SL_FACE_ALIGN_SIZE)
        return SL_ERR_INVALID;
    sl_face_config d = sl_face_config_default();
    if (!cfg)
        cfg = &d;
    float *in = s->in[SL_FM_FEATURE];
    if (!in)
        return SL_ERR_FACE_MODEL_NOT_LOADED;
    static const int bgr[3] = { 2, 1, 0 }, rgb[3] = { 0, 1, 2 };
    static const float mean[3] = { 127.5f, 127.5f, 127.5f };
    static const float sc[3] = { 1 / 128.0f, 1 / 128.0f, 1 / 128.0f };
    sl__face_planes(in, crop, cfg->feature_bgr ? bgr : rgb, mean, sc);
    sl_status st = sl__face_run(s, SL_FM_FEATURE);
    if (st != SL_OK)
        return st;
    memcpy(emb, s->out[SL_FM_FEATURE][0], SL_FACE_EMBED_DIM * sizeof(float));
    if (cfg->flip) {
        /* mirror every row of every plane in place */
        const size_t W = SL_FACE_ALIGN_SIZE;
        for (size_t r = 0; r < 3 * W; r++) {
            float *row = in + r * W;
            for (size_t a = 0, b = W - 1; a < b; a++, b--) {
                float t = row[a];
                row[a] = row[b];
                row[b] = t;
            }
        }
        if ((st = sl__face_run(s, SL_FM_FEATURE)) != SL_OK)
            return st;
        return sl_face_flip_fuse(emb, emb, s->out[SL_FM_FEATURE][0], SL_FACE_EMBED_DIM);
    }
    return sl_face_l2_normalise(emb, SL_FACE_EMBED_DIM);
}
