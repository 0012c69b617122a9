/*
 * test_face_pipeline.c -- the model-running face engine (engine.h) on the
 * npm test photos tests/data/sample1..6.jpg and, when present, the real
 * photos of ../shared/faces.
 *
 * What the photos show (looked at by eye): group photos of young women,
 * 1920 px wide, faces 170-300 px:
 *   sample1: 3 faces (two in Halloween make-up, heads tilted), sample2: 3
 *   (on a sofa, one looking down), sample3: 3 (on a leather sofa), sample4:
 *   4 (standing, hugging), sample5: 5 (on stairs, one lower left), sample6:
 *   4 (standing in a row). No person appears in two photos.
 * Skips with a reason when the models or the photos are absent.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "face/eval_int.h"
#include "face/pipeline.h"
#include "shualian/engine.h"
#include "test.h"

static sl_face_engine *g_eng;

static sl_face_engine *engine(struct sl_t *t)
{
    if (g_eng)
        return g_eng;
    char dir[1024], probe[1100];
    sl_t_path(dir, sizeof(dir), "models");
    snprintf(probe, sizeof(probe), "%s/fr_feature.onnx", dir);
    FILE *f = fopen(probe, "rb");
    if (!f) {
        sl_t_skip(t, "models not found in %s", dir);
        return NULL;
    }
    fclose(f);
    char err[256];
    sl_face_engine_opts o = { .models_dir = dir, .models = SL_FM_ALL, .threads = 1 };
    sl_status st = sl_face_engine_new(&g_eng, &o, err, sizeof(err));
    SL_CHECKF(t, st == SL_OK, "engine: %s", err);
    return st == SL_OK ? g_eng : NULL;
}

static struct sl_image *load(struct sl_t *t, const char *path)
{
    uint8_t *buf;
    size_t len;
    if (sl__read_file(path, 64u << 20, &buf, &len) != SL_OK) {
        sl_t_skip(t, "cannot read %s", path);
        return NULL;
    }
    struct sl_image *img = NULL;
    sl_status st = sl_image_decode(buf, len, NULL, 3, &img, NULL);
    sl__free(buf);
    SL_CHECKF(t, st == SL_OK, "decode %s", path);
    return img;
}

static struct sl_image *sample(struct sl_t *t, int k)
{
    const char *d = sl_t_data_dir();
    if (!d) {
        sl_t_skip(t, "tests/data not present");
        return NULL;
    }
    char p[1024];
    snprintf(p, sizeof(p), "%s/sample%d.jpg", d, k);
    return load(t, p);
}

SL_TEST(face_pipeline, detect_counts_and_boxes)
{
    sl_face_engine *e = engine(t);
    if (!e)
        return;
    sl_face_session *s = NULL;
    SL_CHECK_EQ(t, sl_face_session_new(&s, e), SL_OK);
    static const size_t want[6] = { 3, 3, 3, 4, 5, 4 };
    for (int k = 1; k <= 6; k++) {
        struct sl_image *img = sample(t, k);
        if (!img)
            break;
        sl_face_box b[16];
        size_t n = 0;
        SL_CHECK_EQ(t, sl_face_detect(s, img, NULL, b, 16, &n), SL_OK);
        SL_CHECKF(t, n == want[k - 1], "sample%d: %zu faces, want %zu", k, n, want[k - 1]);
        for (size_t i = 0; i < n; i++) {
            float w = b[i].x1 - b[i].x0, h = b[i].y1 - b[i].y0;
            SL_CHECKF(t, w > 120 && w < 400 && h > 150 && h < 400 && b[i].score >= 0.6f,
                      "sample%d face %zu: %.0fx%.0f score %.2f", k, i, w, h, b[i].score);
            if (i)
                SL_CHECK(t, w * h <= (b[i - 1].x1 - b[i - 1].x0) * (b[i - 1].y1 - b[i - 1].y0) + 1);
        }
        if (k == 1 && n >= 1) {
            /* the largest face of sample1 is the woman on the right, head
             * at about x 1470..1695, y 210..435 (checked on the image) */
            SL_CHECKF(t, fabsf(b[0].x0 - 1469) < 25 && fabsf(b[0].y0 - 211) < 25 &&
                         fabsf(b[0].x1 - 1695) < 25 && fabsf(b[0].y1 - 435) < 25,
                      "sample1 main box %.0f %.0f %.0f %.0f", b[0].x0, b[0].y0, b[0].x1, b[0].y1);
        }
        /* squash fitting and the package NMS also find every face */
        sl_face_config c = sl_face_config_default();
        c.det_fit = SL_DET_SQUASH;
        c.nms = SL_NMS_PACKAGE;
        c.nms_iou = 0.4f;
        size_t n2 = 0;
        SL_CHECK_EQ(t, sl_face_detect(s, img, &c, b, 16, &n2), SL_OK);
        SL_CHECKF(t, n2 == want[k - 1], "sample%d squash/package: %zu", k, n2);
        sl_image_free(img);
    }
    sl_face_session_free(s);
}

SL_TEST(face_pipeline, landmarks_inside_boxes)
{
    sl_face_engine *e = engine(t);
    if (!e)
        return;
    sl_face_session *s = NULL;
    SL_CHECK_EQ(t, sl_face_session_new(&s, e), SL_OK);
    sl_face_result *r = sl__calloc(8, sizeof(*r));
    for (int k = 1; r && k <= 6; k++) {
        struct sl_image *img = sample(t, k);
        if (!img)
            break;
        size_t n = 0, found = 0;
        SL_CHECK_EQ(t, sl_face_process(s, img, NULL, SL_FACE_DO_ALL_FACES, r, 8, &n, &found),
                    SL_OK);
        for (size_t i = 0; i < n; i++) {
            const sl_face_box *b = &r[i].box;
            float mx = 0.25f * (b->x1 - b->x0);   /* the jaw may pass the chin edge */
            size_t inside = 0;
            bool frac = false;
            for (int p = 0; p < SL_FACE_LANDMARKS; p++) {
                inside += r[i].lm[p].x >= b->x0 - mx && r[i].lm[p].x <= b->x1 + mx &&
                          r[i].lm[p].y >= b->y0 - mx && r[i].lm[p].y <= b->y1 + mx;
                frac |= r[i].lm[p].x != floorf(r[i].lm[p].x);
            }
            SL_CHECKF(t, inside == SL_FACE_LANDMARKS, "sample%d face %zu: %zu of 68 inside",
                      k, i, inside);
            SL_CHECK(t, frac);                       /* sub-pixel, not truncated */
            /* eyes above the nose above the mouth; left eye left of right */
            SL_CHECK(t, r[i].pts5[0].x < r[i].pts5[1].x);
            SL_CHECK(t, (r[i].pts5[0].y + r[i].pts5[1].y) / 2 < r[i].pts5[2].y);
            SL_CHECK(t, r[i].pts5[2].y < (r[i].pts5[3].y + r[i].pts5[4].y) / 2);
            SL_CHECKF(t, r[i].interocular > 40 && r[i].interocular < 160,
                      "interocular %.1f", r[i].interocular);
        }
        sl_image_free(img);
    }
    sl__free(r);
    sl_face_session_free(s);
}

/* Embeds the main face of img. */
static bool embed_main(struct sl_t *t, sl_face_session *s, const struct sl_image *img,
                       sl_face_result *r)
{
    size_t n = 0;
    sl_status st = sl_face_process(s, img, NULL, SL_FACE_DO_EMBED, r, 1, &n, NULL);
    SL_CHECKF(t, st == SL_OK && n == 1 && r->has_emb, "process: %s", sl_status_name(st));
    return st == SL_OK;
}

SL_TEST(face_pipeline, same_person_scores_higher)
{
    sl_face_engine *e = engine(t);
    if (!e)
        return;
    sl_face_session *s = NULL;
    SL_CHECK_EQ(t, sl_face_session_new(&s, e), SL_OK);
    struct sl_image *img = sample(t, 1);
    sl_face_result *r = sl__calloc(8, sizeof(*r));
    if (!img || !r)
        goto out;
    size_t n = 0;
    SL_CHECK_EQ(t, sl_face_process(s, img, NULL, SL_FACE_DO_EMBED | SL_FACE_DO_ALL_FACES, r,
                                   3, &n, NULL), SL_OK);
    SL_CHECK_EQ(t, n, 3);
    if (n != 3)
        goto out;
    /* the same woman in a different crop and scale (0.6x), as a new photo */
    for (size_t i = 0; i < n; i++) {
        const sl_face_box *b = &r[i].box;
        float w = b->x1 - b->x0;
        struct sl_image *c = NULL, *small = NULL;
        SL_CHECK_EQ(t, sl_image_crop(&c, img, (int32_t)(b->x0 - 0.8f * w),
                                     (int32_t)(b->y0 - 0.6f * w), (uint32_t)(2.7f * w),
                                     (uint32_t)(2.5f * w), 0), SL_OK);
        SL_CHECK_EQ(t, sl_image_resize(&small, c, (uint32_t)(c->width * 0.6),
                                       (uint32_t)(c->height * 0.6)), SL_OK);
        sl_face_result q;
        if (small && embed_main(t, s, small, &q)) {
            double same = sl_face_cosine(q.emb, r[i].emb, SL_FACE_EMBED_DIM);
            for (size_t j = 0; j < n; j++) {
                if (j == i)
                    continue;
                double diff = sl_face_cosine(q.emb, r[j].emb, SL_FACE_EMBED_DIM);
                SL_CHECKF(t, same > diff + 0.3, "face %zu: same %.3f vs other %zu %.3f", i,
                          same, j, diff);
            }
            SL_CHECKF(t, same > 0.7, "face %zu re-cropped: cosine %.3f", i, same);
        }
        sl_image_free(small);
        sl_image_free(c);
    }
    /* different people never reach the FAR 1e-3 region */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            SL_CHECKF(t, sl_face_cosine(r[i].emb, r[j].emb, SL_FACE_EMBED_DIM) < 0.33,
                      "faces %zu/%zu cosine %.3f", i, j,
                      sl_face_cosine(r[i].emb, r[j].emb, SL_FACE_EMBED_DIM));
    /* embeddings are unit length */
    double nn = 0;
    for (int k = 0; k < SL_FACE_EMBED_DIM; k++)
        nn += (double)r[0].emb[k] * r[0].emb[k];
    SL_CHECK(t, fabs(nn - 1) < 1e-4);
out:
    sl__free(r);
    sl_image_free(img);
    sl_face_session_free(s);
}

/* A single-face photo: the main face of sample6 with a margin. */
static struct sl_image *portrait(struct sl_t *t, sl_face_session *s, sl_face_box *box_out)
{
    struct sl_image *img = sample(t, 6);
    if (!img)
        return NULL;
    sl_face_box b[8];
    size_t n = 0;
    struct sl_image *c = NULL;
    if (sl_face_detect(s, img, NULL, b, 8, &n) == SL_OK && n) {
        float w = b[0].x1 - b[0].x0, h = b[0].y1 - b[0].y0;
        float cx = (b[0].x0 + b[0].x1) / 2, cy = (b[0].y0 + b[0].y1) / 2;
        SL_CHECK_EQ(t, sl_image_crop(&c, img, (int32_t)(cx - 0.9f * w), (int32_t)(cy - 1.0f * h),
                                     (uint32_t)(1.8f * w), (uint32_t)(2.0f * h), 0), SL_OK);
        if (box_out)
            *box_out = b[0];
    }
    sl_image_free(img);
    return c;
}

/* Runs the pipeline with quality, pose and eyes and returns the reasons. */
static size_t reasons_of(sl_face_session *s, const struct sl_image *img,
                         enum sl_quality_reason *out, sl_face_result *r)
{
    size_t n = 0, found = 0;
    sl_status st = sl_face_process(s, img, NULL,
                                   SL_FACE_DO_QUALITY | SL_FACE_DO_POSE | SL_FACE_DO_EYES, r, 1,
                                   &n, &found);
    if (st != SL_OK && st != SL_NO_FACE)
        return 0;
    sl_quality_meas m = sl_face_quality_meas(img, found ? r : NULL, found);
    sl_quality_thresholds th = sl_quality_preset_verify();
    th.min_image_side = 100;           /* crafted crops are small */
    return sl_quality_check(out, SL_Q_REASON_MAX, &m, &th);
}

static bool has_reason(const enum sl_quality_reason *v, size_t n, enum sl_quality_reason r)
{
    for (size_t i = 0; i < n && i < SL_Q_REASON_MAX; i++)
        if (v[i] == r)
            return true;
    return false;
}

SL_TEST(face_pipeline, quality_reasons_from_images)
{
    sl_face_engine *e = engine(t);
    if (!e)
        return;
    sl_face_session *s = NULL;
    SL_CHECK_EQ(t, sl_face_session_new(&s, e), SL_OK);
    sl_face_result r;
    enum sl_quality_reason rs[SL_Q_REASON_MAX];
    struct sl_image *p = portrait(t, s, NULL);
    if (!p)
        goto out;
    size_t n = reasons_of(s, p, rs, &r);
    SL_CHECKF(t, n == 0, "clean portrait: %zu reasons (first %s)", n,
              n ? sl_quality_reason_name(rs[0]) : "-");
    double roll0 = sl_face_roll_deg(r.pts5);

    /* darkened to 20 % */
    struct sl_image *d = NULL;
    SL_CHECK_EQ(t, sl_image_clone(&d, p), SL_OK);
    for (uint32_t y = 0; d && y < d->height; y++)
        for (uint32_t x = 0; x < d->width * 3; x++)
            d->data[y * d->stride + x] = (uint8_t)(d->data[y * d->stride + x] / 5);
    n = reasons_of(s, d, rs, &r);
    SL_CHECKF(t, has_reason(rs, n, SL_Q_TOO_DARK), "darkened: too_dark missing (%zu)", n);
    sl_image_free(d);

    /* blurred: shrink 8x and back */
    struct sl_image *sm = NULL, *bl = NULL;
    SL_CHECK_EQ(t, sl_image_resize(&sm, p, p->width / 8, p->height / 8), SL_OK);
    SL_CHECK_EQ(t, sl_image_resize(&bl, sm, p->width, p->height), SL_OK);
    n = reasons_of(s, bl, rs, &r);
    SL_CHECKF(t, has_reason(rs, n, SL_Q_BLURRED), "blurred: blurred missing (%zu, sharp %.1f)",
              n, r.sharpness);
    sl_image_free(bl);
    sl_image_free(sm);

    /* cropped: the left 45 % of the face is outside the picture */
    sl_face_box fb;
    size_t nb = 0;
    if (sl_face_detect(s, p, NULL, &fb, 1, &nb) == SL_OK && nb) {
        struct sl_image *c = NULL;
        int32_t x0 = (int32_t)(fb.x0 + 0.45f * (fb.x1 - fb.x0));
        SL_CHECK_EQ(t, sl_image_crop(&c, p, x0, 0, p->width - (uint32_t)x0, p->height, 0),
                    SL_OK);
        n = reasons_of(s, c, rs, &r);
        SL_CHECKF(t, has_reason(rs, n, SL_Q_FACE_CUT_BY_BORDER),
                  "cropped: %zu reasons, first %s", n, n ? sl_quality_reason_name(rs[0]) : "-");
        sl_image_free(c);
    }

    /* rotated by 40 degrees about the centre */
    struct sl_image *rot = NULL;
    SL_CHECK_EQ(t, sl_image_new(&rot, p->width, p->height, 3), SL_OK);
    if (rot) {
        double a = 40 * M_PI / 180, cx = p->width / 2.0, cy = p->height / 2.0;
        float m[6] = { (float)cos(a), (float)-sin(a), 0, (float)sin(a), (float)cos(a), 0 };
        m[2] = (float)(cx - m[0] * cx - m[1] * cy);
        m[5] = (float)(cy - m[3] * cx - m[4] * cy);
        SL_CHECK_EQ(t, sl_image_warp_affine(rot, p, m, 0), SL_OK);
        n = reasons_of(s, rot, rs, &r);
        SL_CHECKF(t, has_reason(rs, n, SL_Q_OFF_POSE_ROLL),
                  "rotated: off_pose_roll missing (%zu, first %s)", n,
                  n ? sl_quality_reason_name(rs[0]) : "-");
        if (n && has_reason(rs, n, SL_Q_OFF_POSE_ROLL))
            /* the warp turns the content by -40 degrees */
            SL_CHECKF(t, fabs(sl_face_roll_deg(r.pts5) - roll0 + 40) < 8,
                      "roll %.1f, before %.1f", sl_face_roll_deg(r.pts5), roll0);
        sl_image_free(rot);
    }

    /* a flat grey image has no face */
    struct sl_image *g = NULL;
    SL_CHECK_EQ(t, sl_image_new(&g, 320, 240, 3), SL_OK);
    if (g) {
        memset(g->data, 128, g->stride * g->height);
        n = reasons_of(s, g, rs, &r);
        SL_CHECK(t, n == 1 && rs[0] == SL_Q_NO_FACE);
        sl_image_free(g);
    }
    sl_image_free(p);
out:
    sl_face_session_free(s);
}

SL_TEST(face_pipeline, attributes_and_liveness_run)
{
    sl_face_engine *e = engine(t);
    if (!e)
        return;
    sl_face_session *s = NULL;
    SL_CHECK_EQ(t, sl_face_session_new(&s, e), SL_OK);
    struct sl_image *p = portrait(t, s, NULL);
    if (p) {
        sl_face_result r;
        size_t n = 0;
        SL_CHECK_EQ(t, sl_face_process(s, p, NULL, SL_FACE_DO_LIVENESS | SL_FACE_DO_POSE |
                                       SL_FACE_DO_EYES | SL_FACE_DO_AGE, &r, 1, &n, NULL), SL_OK);
        SL_CHECK(t, r.live_score >= 0 && r.live_score <= 1);
        SL_CHECK(t, fabsf(r.live_probs[0] + r.live_probs[1] + r.live_probs[2] - 1) < 1e-3f);
        SL_CHECKF(t, fabsf(r.yaw) < 30 && fabsf(r.pitch) < 30, "pose %.1f %.1f", r.yaw, r.pitch);
        SL_CHECKF(t, r.eye_open[0] > 0.5f && r.eye_open[1] > 0.5f, "eyes %.2f %.2f",
                  r.eye_open[0], r.eye_open[1]);
        SL_CHECKF(t, r.age > 12 && r.age < 60, "age %.1f", r.age);
        SL_CHECKF(t, r.male < 0.5f, "gender score %.2f (a woman)", r.male);
        /* frame signal: itself as reference gives similarity ~1 */
        sl_frame_signal f;
        float emb[SL_FACE_EMBED_DIM];
        SL_CHECK_EQ(t, sl_face_frame_signal(s, p, NULL, 5, NULL, emb, &f), SL_OK);
        SL_CHECK(t, f.face && f.t_ms == 5);
        SL_CHECK_EQ(t, sl_face_frame_signal(s, p, NULL, 6, emb, NULL, &f), SL_OK);
        SL_CHECKF(t, f.similarity > 0.99f, "self similarity %.4f", f.similarity);
        sl_image_free(p);
    }
    /* bad input: grey 1-channel works; NULL refused */
    SL_CHECK_EQ(t, sl_face_detect(s, NULL, NULL, NULL, 0, NULL), SL_ERR_INVALID);
    sl_face_session_free(s);
}

SL_TEST(face_pipeline, missing_models_are_coded)
{
    sl_face_engine *e = NULL;
    char err[256] = "";
    sl_face_engine_opts o = { .models_dir = "/nonexistent-models", .models = SL_FM_CORE, .threads = 1 };
    SL_CHECK_EQ(t, sl_face_engine_new(&e, &o, err, sizeof(err)), SL_ERR_FACE_MODELS_MISSING);
    SL_CHECK(t, e == NULL && strstr(err, "fr_detect") != NULL);
    /* a model that is not loaded is refused with its own code */
    sl_face_engine *g = engine(t);
    if (!g)
        return;
    sl_face_engine *core = NULL;
    char dir[1024];
    sl_t_path(dir, sizeof(dir), "models");
    sl_face_engine_opts oc = { .models_dir = dir, .models = SL_FM_CORE, .threads = 1 };
    SL_CHECK_EQ(t, sl_face_engine_new(&core, &oc, err, sizeof(err)), SL_OK);
    sl_face_session *s = NULL;
    SL_CHECK_EQ(t, sl_face_session_new(&s, core), SL_OK);
    struct sl_image *img = sample(t, 1);
    if (img && s) {
        sl_face_box b = { 100, 100, 300, 300, 1 };
        float sc;
        SL_CHECK_EQ(t, sl_face_liveness(s, img, &b, NULL, &sc, NULL, NULL),
                    SL_ERR_FACE_MODEL_NOT_LOADED);
    }
    sl_image_free(img);
    sl_face_session_free(s);
    sl_face_engine_free(core);
}

/* The compiled-in model sums are scripts/models.sha256's (what setup.sh
 * checks the download against). */
SL_TEST(face_pipeline, model_sums_match_setup_list)
{
    char path[1024];
    sl_t_path(path, sizeof(path), "scripts/models.sha256");
    uint8_t *text;
    size_t len;
    if (sl__read_file(path, 1u << 20, &text, &len) != SL_OK) {
        sl_t_skip(t, "cannot read %s", path);
        return;
    }
    char *buf = sl__malloc(len + 1);
    if (!buf) {
        sl__free(text);
        return;
    }
    memcpy(buf, text, len);
    buf[len] = 0;
    for (int m = 0; m < SL_FM_COUNT; m++) {
        char line[160];
        snprintf(line, sizeof(line), "%s  models/fr_%s.onnx\n", sl__face_model_sha256(m),
                 sl_face_model_name(m));
        SL_CHECKF(t, strstr(buf, line) != NULL, "not in %s: %s", path, line);
    }
    SL_CHECK(t, sl__face_model_sha256(SL_FM_COUNT) == NULL);
    sl__free(buf);
    sl__free(text);
}

/* The engine's configuration carries the calibration (no $SL_CALIB read):
 * a given table is copied, a table of another model is refused before any
 * model loads, a missing file is named. */
SL_TEST(face_pipeline, engine_calibration_config)
{
    static const float g[] = { 0.7f, 0.8f, 0.9f }, im[] = { 0.1f, 0.2f, 0.3f, 0.4f };
    sl_calib c;
    char err[256] = "";
    sl_face_engine *e = NULL;
    SL_CHECK_EQ(t, sl__calib_init(&c, "other-model-v2", "unit"), SL_OK);
    SL_CHECK_EQ(t, sl__calib_add(&c, "live", g, 3, im, 4), SL_OK);
    sl_face_engine_opts o = sl_face_engine_opts_default();
    o.models_dir = "/nonexistent-models";
    o.calib = &c;
    SL_CHECK_EQ(t, sl_face_engine_new(&e, &o, err, sizeof(err)), SL_ERR_FACE_CALIB_MODEL);
    SL_CHECK(t, e == NULL && strstr(err, "other-model-v2") != NULL);
    o.calib = NULL;
    o.calib_path = "/nonexistent-calib.json";
    SL_CHECK(t, sl_face_engine_new(&e, &o, err, sizeof(err)) != SL_OK && e == NULL &&
                strstr(err, "/nonexistent-calib.json") != NULL);
    sl_calib_free(&c);
    if (!engine(t))
        return;
    /* a valid table is copied: the caller may free its own at once */
    SL_CHECK_EQ(t, sl__calib_init(&c, SL_FACE_ENGINE_MODEL_ID, "unit table"), SL_OK);
    SL_CHECK_EQ(t, sl__calib_add(&c, "idphoto", g, 3, im, 4), SL_OK);
    char dir[1024];
    sl_t_path(dir, sizeof(dir), "models");
    o = sl_face_engine_opts_default();
    o.models_dir = dir;
    o.models = SL_FM_BIT(SL_FM_DETECT);
    o.calib = &c;
    SL_CHECK_EQ(t, sl_face_engine_new(&e, &o, err, sizeof(err)), SL_OK);
    sl_calib_free(&c);
    const sl_calib *ec = sl_face_engine_calib(e);
    SL_CHECK(t, ec && strcmp(ec->source, "unit table") == 0 &&
                sl_calib_get(ec, "idphoto") != NULL && sl_calib_get(ec, "idphoto")->pts != NULL);
    sl_face_engine_free(e);
}

SL_TEST(face_pipeline, calibration_loads)
{
    sl_calib c;
    SL_CHECK_EQ(t, sl_face_calib_load_default(&c, NULL), SL_OK);
    const sl_calib_table *tab = sl_calib_get(&c, "live");
    SL_CHECK(t, tab != NULL);
    double thr = 0;
    if (tab) {
        SL_CHECK_EQ(t, sl_calib_threshold_for_far(&thr, NULL, tab, 1e-3), SL_OK);
        SL_CHECKF(t, thr > 0.2 && thr < 0.6, "threshold at FAR 1e-3: %.3f", thr);
    }
    sl_calib_free(&c);
    SL_CHECK(t, sl_face_calib_load_default(&c, "/nonexistent.json") != SL_OK);
}

/* sl_face_verify: images, templates, no face, refusals; the JSON text. */
SL_TEST(face_pipeline, verify_verdicts)
{
    sl_face_engine *e = engine(t);
    if (!e)
        return;
    sl_face_session *s = NULL;
    SL_CHECK_EQ(t, sl_face_session_new(&s, e), SL_OK);
    struct sl_image *img = sample(t, 6), *black = NULL;
    sl_face_verdict *v = sl__malloc(sizeof(*v));
    sl_face_template *ta = sl__malloc(sizeof(*ta)), *tb = sl__malloc(sizeof(*tb));
    char *text = NULL;
    size_t len = 0;
    if (!img || !s || !v || !ta || !tb || sl_image_new(&black, 200, 200, 3) != SL_OK)
        goto out;
    memset(black->data, 0, (size_t)black->stride * black->height);
    sl_face_verify_opts o = sl_face_verify_opts_default();
    SL_CHECK(t, strcmp(o.threshold.text, "far:1e-3") == 0 && strcmp(o.mode, "live") == 0);
    sl_face_input ia = { img, NULL }, ib = { img, NULL }, ik = { black, NULL };

    SL_CHECK_EQ(t, sl_face_verify(s, &ia, &ib, &o, v), SL_OK);
    SL_CHECK(t, !v->no_face && v->decision.match && v->decision.score > 0.999 &&
                v->failed_side == -1);
    SL_CHECK(t, v->decision.threshold > 0.2 && v->decision.threshold < 0.6 &&
                fabs(v->decision.far_estimate - 1e-3) < 2e-4);
    SL_CHECK(t, v->side[0].face_count == 4 && !v->side[0].quality_pass &&
                v->side[0].n_reasons >= 1 && v->side[0].reasons[0] != SL_Q_NO_FACE);
    SL_CHECK(t, strcmp(v->calibration, sl_face_engine_calib(e)->source) == 0);
    SL_CHECK_EQ(t, sl_face_verdict_to_json(v, "a.jpg", "b.jpg", &text, &len), SL_OK);
    SL_CHECK(t, text && strncmp(text, "{\"match\":true,\"score\":", 22) == 0 &&
                strlen(text) == len && strstr(text, "\"image\":\"b.jpg\"") != NULL);
    sl_face_free(text);
    text = NULL;

    /* the main face's embedding as a stored template: against the image and itself */
    SL_CHECK_EQ(t, sl_face_template_init(ta, SL_FACE_ENGINE_MODEL_ID, SL_FACE_ELEM_F32,
                                         v->side[0].face.emb, SL_FACE_EMBED_DIM, true), SL_OK);
    sl_face_input it = { NULL, ta };
    SL_CHECK_EQ(t, sl_face_verify(s, &it, &ib, &o, v), SL_OK);
    SL_CHECK(t, v->decision.match && v->decision.score > 0.999 && v->side[0].is_template);
    SL_CHECK_EQ(t, sl_face_verify_templates(e, ta, ta, &o, v), SL_OK);
    SL_CHECK(t, v->decision.match && fabs(v->decision.score - 1) < 1e-6);

    /* no face is a verdict, not an error */
    SL_CHECK_EQ(t, sl_face_verify(s, &ia, &ik, &o, v), SL_OK);
    SL_CHECK(t, v->no_face && !v->decision.match && isnan(v->decision.score) &&
                v->side[1].face_count == 0 && v->side[1].reasons[0] == SL_Q_NO_FACE);
    SL_CHECK_EQ(t, sl_face_verdict_to_json(v, "a", "b", &text, &len), SL_OK);
    SL_CHECK(t, text && strstr(text, "\"score\":null,\"reason\":\"no_face\"") != NULL);
    sl_face_free(text);
    text = NULL;

    /* a template of another model names its side */
    *tb = *ta;
    memcpy(tb->model_id, "other-v9", 9);
    sl_face_input io = { NULL, tb };
    SL_CHECK_EQ(t, sl_face_verify(s, &ia, &io, &o, v), SL_ERR_FACE_TEMPLATE_MISMATCH);
    SL_CHECK(t, v->failed_side == 1 && strcmp(v->side[1].model_id, "other-v9") == 0);
    SL_CHECK_EQ(t, sl_face_verify_templates(e, tb, ta, &o, v), SL_ERR_FACE_TEMPLATE_MISMATCH);
    SL_CHECK(t, v->failed_side == 0);

    /* refusals before any model runs */
    SL_CHECK_EQ(t, sl_face_threshold_parse("far:1e-9", &o.threshold), SL_OK);
    SL_CHECK_EQ(t, sl_face_verify(s, &ia, &ib, &o, v), SL_ERR_FACE_FAR_UNSUPPORTED);
    o = sl_face_verify_opts_default();
    memcpy(o.mode, "idphoto", 8);
    SL_CHECK_EQ(t, sl_face_verify(s, &ia, &ib, &o, v), SL_ERR_NOT_FOUND);
    o = sl_face_verify_opts_default();
    sl_face_input both = { img, ta };
    SL_CHECK_EQ(t, sl_face_verify(s, &both, &ib, &o, v), SL_ERR_INVALID);
    SL_CHECK(t, v->failed_side == 0);
out:
    sl_face_free(text);
    sl__free(tb);
    sl__free(ta);
    sl__free(v);
    sl_image_free(black);
    sl_image_free(img);
    sl_face_session_free(s);
}

/* sl_face_input_decode: the template / image sniffing of the verify inputs */
SL_TEST(face_pipeline, verify_input_decode)
{
    sl_face_template *tp = sl__malloc(sizeof(*tp));
    uint8_t buf[SL_FACE_TEMPLATE_HEADER + 4 * SL_FACE_EMBED_DIM + 4];
    float emb[SL_FACE_EMBED_DIM];
    for (int i = 0; i < SL_FACE_EMBED_DIM; i++)
        emb[i] = (float)(i % 7) - 3;
    size_t len = 0;
    sl_face_input in;
    if (!tp)
        return;
    SL_CHECK_EQ(t, sl_face_template_init(tp, SL_FACE_ENGINE_MODEL_ID, SL_FACE_ELEM_F32, emb,
                                         SL_FACE_EMBED_DIM, true), SL_OK);
    SL_CHECK_EQ(t, sl_face_template_write(buf, sizeof(buf), &len, tp), SL_OK);
    SL_CHECK_EQ(t, sl_face_input_decode(buf, len, &in), SL_OK);
    SL_CHECK(t, in.tpl && !in.image && in.tpl->dim == SL_FACE_EMBED_DIM);
    sl_face_input_clear(&in);
    SL_CHECK(t, !in.tpl && !in.image);
    buf[len - 1] ^= 1;                      /* CRC broken */
    SL_CHECK_EQ(t, sl_face_input_decode(buf, len, &in), SL_ERR_FACE_TEMPLATE_FORMAT);
    SL_CHECK(t, !in.tpl && !in.image);
    SL_CHECK_EQ(t, sl_face_input_decode((const uint8_t *)"hello", 5, &in), SL_ERR_IMG_FORMAT);
    sl_face_input_clear(NULL);
    sl__free(tp);
}

/* ---- active liveness on real photos ----
 * One person's photos ordered by the measured yaw make a head-turn
 * sequence: frontal photos for the lead-in and between the actions, photos
 * turned >= 25 degrees for the turn (a mirrored copy gives the opposite
 * turn). The analysis must pass it, and fail it with the turns swapped. */

#define TURN_MAX 40

struct turn_frame {
    sl_frame_signal f;
    float           emb[SL_FACE_EMBED_DIM];
    char            path[1200];
};

static bool signal_of(sl_face_session *s, const char *path, bool mirror, struct turn_frame *tf)
{
    uint8_t *buf;
    size_t len;
    if (sl__read_file(path, 16u << 20, &buf, &len) != SL_OK)
        return false;
    struct sl_image *img = NULL;
    sl_status st = sl_image_decode(buf, len, NULL, 3, &img, NULL);
    sl__free(buf);
    if (st != SL_OK)
        return false;
    if (mirror) {
        for (uint32_t y = 0; y < img->height; y++) {
            uint8_t *r = img->data + y * img->stride;
            for (uint32_t a = 0, b = img->width - 1; a < b; a++, b--)
                for (int c = 0; c < 3; c++) {
                    uint8_t tmp = r[3 * a + c];
                    r[3 * a + c] = r[3 * b + c];
                    r[3 * b + c] = tmp;
                }
        }
    }
    st = sl_face_frame_signal(s, img, NULL, 0, NULL, tf->emb, &tf->f);
    sl_image_free(img);
    return st == SL_OK && tf->f.face;
}

/* Frames for challenge c: frontal except a turn (sign +1: the subject's
 * left, yaw < 0 in fr_pose's convention) in each step's window; swap
 * inverts every turn. */
static size_t build_turns(sl_frame_signal *out, size_t cap, const sl_challenge *c,
                          const struct turn_frame *front, size_t nf,
                          const struct turn_frame *left, const struct turn_frame *right,
                          bool swap)
{
    size_t n = 0, k = 0;
    for (int64_t t = c->issued_at_ms + 100; t < c->expires_at_ms - 100 && n < cap; t += 200) {
        const struct turn_frame *src = &front[k++ % nf];
        for (uint32_t i = 0; i < c->n_steps; i++) {
            const sl_challenge_step *st = &c->steps[i];
            int64_t mid0 = st->start_ms + (st->end_ms - st->start_ms) / 3;
            int64_t mid1 = st->start_ms + 2 * (st->end_ms - st->start_ms) / 3;
            if (t >= mid0 && t < mid1) {
                bool want_left = (st->action == SL_ACT_TURN_LEFT) != swap;
                src = want_left ? left : right;
            }
        }
        out[n] = src->f;
        out[n].t_ms = t;
        n++;
    }
    return n;
}

SL_TEST(face_pipeline, active_turns_on_real_photos)
{
    const char *faces = sl_t_faces_dir();
    if (!faces) {
        sl_t_skip(t, "../shared/faces not present");
        return;
    }
    sl_face_engine *e = engine(t);
    if (!e)
        return;
    sl_face_session *s = NULL;
    SL_CHECK_EQ(t, sl_face_session_new(&s, e), SL_OK);
    struct turn_frame *v = sl__calloc(TURN_MAX, sizeof(*v));
    sl_frame_signal *fr = sl__calloc(256, sizeof(*fr));
    if (!v || !fr)
        goto out;
    /* Madonna: 28 photos, several turned both ways */
    size_t nv = 0;
    for (int k = 1; k <= 1030 && nv < TURN_MAX; k++) {
        char p[1200];
        snprintf(p, sizeof(p), "%s/dev/Madonna/%d.jpg", faces, k);
        FILE *f = fopen(p, "rb");
        if (!f)
            continue;
        fclose(f);
        if (signal_of(s, p, false, &v[nv])) {
            snprintf(v[nv].path, sizeof(v[nv].path), "%s", p);
            nv++;
        }
    }
    SL_CHECKF(t, nv >= 20, "only %zu Madonna photos with a face", nv);
    /* reference: the most frontal photo; keep photos that look like it */
    size_t ref = 0;
    for (size_t i = 1; i < nv; i++)
        if (fabsf(v[i].f.yaw) < fabsf(v[ref].f.yaw))
            ref = i;
    static struct turn_frame front[TURN_MAX], left, right;
    size_t nf = 0;
    bool have_l = false, have_r = false;
    for (size_t i = 0; i < nv; i++) {
        v[i].f.similarity = (float)sl_face_cosine(v[ref].emb, v[i].emb, SL_FACE_EMBED_DIM);
        if (v[i].f.similarity < 0.5f)
            continue;
        if (fabsf(v[i].f.yaw) < 8 && fabsf(v[i].f.pitch) < 12)
            front[nf++] = v[i];
        if (fabsf(v[i].f.yaw) >= 25 && (!have_r || fabsf(v[i].f.yaw) > fabsf(right.f.yaw))) {
            right = v[i];
            have_r = true;
        }
    }
    /* the most turned photo and its mirror image: one turn each way */
    if (have_r && signal_of(s, right.path, true, &left)) {
        left.f.similarity = (float)sl_face_cosine(v[ref].emb, left.emb, SL_FACE_EMBED_DIM);
        SL_CHECKF(t, fabsf(right.f.yaw + left.f.yaw) < 8,
                  "mirror: yaw %.1f -> %.1f", right.f.yaw, left.f.yaw);
        have_l = true;
        if (right.f.yaw < 0) {                 /* fr_pose: yaw > 0 = own right */
            struct turn_frame tmp = left;
            left = right;
            right = tmp;
        }
    }
    SL_CHECKF(t, nf >= 2 && have_l && have_r, "frontal %zu, left %d, right %d", nf, have_l,
              have_r);
    if (nf < 2 || !have_l || !have_r)
        goto out;
    sl_challenge_opts o = sl_challenge_opts_default();
    o.min_steps = o.max_steps = 2;
    o.allowed = (1u << SL_ACT_TURN_LEFT) | (1u << SL_ACT_TURN_RIGHT);
    sl_challenge c;
    SL_CHECK_EQ(t, sl_challenge_new(&c, &o, 1700000000000), SL_OK);
    sl_liveness_cfg cfg = sl_liveness_cfg_default();
    cfg.live_min = cfg.spoof_max = 0;          /* news photos: judge the turns only */
    sl_challenge_result r;
    size_t n = build_turns(fr, 256, &c, front, nf, &left, &right, false);
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, fr, n, &cfg), SL_OK);
    SL_CHECKF(t, r.pass, "turn sequence from real photos should pass (step0 reason %u, "
              "step1 reason %u, overall %u reasons)", r.steps[0].reason, r.steps[1].reason,
              r.n_reasons);
    n = build_turns(fr, 256, &c, front, nf, &left, &right, true);
    SL_CHECK_EQ(t, sl_challenge_analyse(&r, &c, fr, n, &cfg), SL_OK);
    SL_CHECK(t, !r.pass);
out:
    sl__free(fr);
    sl__free(v);
    sl_face_session_free(s);
}

/* Garbage boxes and points into every stage: codes, never a crash (run
 * under ASan by the 20-asan suite). */
SL_TEST(face_pipeline, stages_survive_garbage)
{
    sl_face_engine *e = engine(t);
    if (!e)
        return;
    sl_face_session *s = NULL;
    SL_CHECK_EQ(t, sl_face_session_new(&s, e), SL_OK);
    struct sl_image *img = NULL, *grey = NULL, *crop = NULL;
    SL_CHECK_EQ(t, sl_image_new(&img, 97, 61, 3), SL_OK);
    SL_CHECK_EQ(t, sl_image_new(&grey, 40, 300, 1), SL_OK);
    SL_CHECK_EQ(t, sl_image_new(&crop, 112, 112, 3), SL_OK);
    if (!img || !grey || !crop || !s)
        goto out;
    memset(img->data, 90, img->stride * img->height);
    memset(grey->data, 200, grey->stride * grey->height);
    unsigned long long seed = 42;
    static const float special[] = { 0, -1, 1e9f, -1e9f, 1e30f, NAN, INFINITY, 0.5f, 60, 5000 };
    size_t bad = 0;
    for (int it = 0; it < 150; it++) {
        sl_face_box b;
        float *f = &b.x0;
        for (int k = 0; k < 4; k++)
            f[k] = it % 3 ? 150 * sl_t_randf(&seed) + 40
                          : special[(size_t)(sl_t_rand(&seed) % SL_ARRAY_LEN(special))];
        b.score = 1;
        sl_point2f lm[SL_FACE_LANDMARKS], p5[SL_FACE_POINTS5];
        for (int k = 0; k < SL_FACE_LANDMARKS; k++) {
            lm[k].x = it % 4 ? 100 * sl_t_randf(&seed) : special[k % SL_ARRAY_LEN(special)];
            lm[k].y = 100 * sl_t_randf(&seed);
        }
        for (int k = 0; k < SL_FACE_POINTS5; k++)
            p5[k] = lm[k * 7];
        const struct sl_image *im = it % 2 ? img : grey;
        float sc, ypr[3], open[2], age, male;
        sl_status st[6] = {
            sl_face_landmarks(s, im, &b, NULL, lm),
            sl_face_liveness(s, im, &b, NULL, &sc, NULL, NULL),
            sl_face_pose(s, im, &b, ypr),
            sl_face_eyes(s, im, lm, open),
            sl_face_age_gender(s, im, &b, &age, &male),
            sl_face_align(crop, img, p5),
        };
        for (int k = 0; k < 6; k++)
            bad += SL_STATUS_PRIMARY(st[k]) != SL_OK && SL_STATUS_PRIMARY(st[k]) != SL_ERR_INVALID;
    }
    SL_CHECKF(t, bad == 0, "%zu unexpected codes", bad);
    size_t n = 99;
    sl_face_box out[4];
    SL_CHECK_EQ(t, sl_face_detect(s, grey, NULL, out, 4, &n), SL_OK);
    SL_CHECK_EQ(t, n, 0);
    sl_face_result r;
    SL_CHECK_EQ(t, sl_face_process(s, img, NULL, SL_FACE_DO_EMBED, &r, 1, &n, NULL), SL_NO_FACE);
out:
    sl_image_free(crop);
    sl_image_free(grey);
    sl_image_free(img);
    sl_face_session_free(s);
}
