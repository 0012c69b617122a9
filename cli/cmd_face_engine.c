/*
 * cmd_face_engine.c -- the model-backed `shualian face` subcommands:
 * detect, landmarks, embed, quality, live, verify (rows in cmd_face.c's
 * table), and the image-sequence mode of `face challenge check`.
 *
 * Every subcommand loads the models it needs (./models, --models DIR or
 * $SL_MODELS), runs the engine (engine.h) and prints JSON. --annotate
 * OUT.png draws the boxes (green: acceptable, red: a reason failed) and the
 * landmarks into a copy of the image.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "face_opts.h"
#include "face/face_json.h"
#include "shualian/engine.h"
#include "shualian/face.h"
#include "shualian/image.h"
#include "shualian/nn.h"

#define FE_IMAGE_MAX_BYTES SL_IMAGE_DEFAULT_MAX_BYTES
#define FE_MAX_FACES 32

/* calib: the calibration file of a command that decides (verify: --calib
 * or $SL_CALIB); NULL = the shipped table, so a broken $SL_CALIB does not
 * stop detect or embed. */
static int fe_engine(sl_face_engine **e, sl_face_session **s, const struct fe_opts *o,
                     uint32_t models, const char *calib, const char *cmd)
{
    char err[512] = "";
    sl_face_engine_opts eo = { .models_dir = o->models, .models = models,
                               .backend = o->backend, .threads = 1,
                               .calib_path = calib,
                               .skip_model_check = o->no_model_check };
    sl_status st = sl_face_engine_new(e, &eo, err, sizeof(err));
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "%s", err[0] ? err : sl_status_str(st));
    if ((st = sl_face_session_new(s, *e)) != SL_OK) {
        sl_face_engine_free(*e);
        *e = NULL;
        return sl_cli_fail(st, cmd, "cannot create the engine session");
    }
    return -1;
}

static int fe_load(struct sl_image **img, const char *path, const char *cmd)
{
    uint8_t *buf;
    size_t len;
    int rc = sl_cli_read_file(cmd, path, FE_IMAGE_MAX_BYTES, &buf, &len);
    if (rc >= 0)
        return rc;
    sl_status st = sl_image_decode(buf, len, NULL, 3, img, NULL);
    sl__free(buf);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "%s: %s", path, sl_status_str(st));
    return -1;
}

/* ---- drawing ---- */

static void put_px(struct sl_image *im, long x, long y, const uint8_t c[3])
{
    if (x < 0 || y < 0 || x >= (long)im->width || y >= (long)im->height)
        return;
    uint8_t *p = im->data + (size_t)y * im->stride + (size_t)x * 3;
    p[0] = c[0];
    p[1] = c[1];
    p[2] = c[2];
}

static void draw_box(struct sl_image *im, const sl_face_box *b, const uint8_t c[3], int t)
{
    long x0 = lround(b->x0), y0 = lround(b->y0), x1 = lround(b->x1), y1 = lround(b->y1);
    for (int k = 0; k < t; k++) {
        for (long x = x0 - k; x <= x1 + k; x++) {
            put_px(im, x, y0 - k, c);
            put_px(im, x, y1 + k, c);
        }
        for (long y = y0 - k; y <= y1 + k; y++) {
            put_px(im, x0 - k, y, c);
            put_px(im, x1 + k, y, c);
        }
    }
}

static void draw_dot(struct sl_image *im, sl_point2f p, const uint8_t c[3], int r)
{
    long cx = lround(p.x), cy = lround(p.y);
    for (long y = -r; y <= r; y++)
        for (long x = -r; x <= r; x++)
            if (x * x + y * y <= r * r)
                put_px(im, cx + x, cy + y, c);
}

/* Draws results (ok[i]: green, else red) into a copy and writes a PNG. */
static sl_status fe_annotate(const char *path, const struct sl_image *img,
                             const sl_face_result *r, size_t n, const bool *ok,
                             const sl_face_box *extra, size_t nextra)
{
    if (!path)
        return SL_OK;
    struct sl_image *im = NULL;
    sl_status st = sl_image_clone(&im, img);
    if (st != SL_OK)
        return st;
    static const uint8_t green[3] = { 40, 220, 60 }, red[3] = { 230, 40, 40 };
    static const uint8_t yellow[3] = { 250, 220, 0 }, blue[3] = { 60, 140, 255 };
    int t = (int)SL_MAX(2u, SL_MAX(im->width, im->height) / 400);
    for (size_t i = 0; i < nextra; i++)
        draw_box(im, &extra[i], blue, t);
    for (size_t i = 0; i < n; i++) {
        draw_box(im, &r[i].box, ok && !ok[i] ? red : green, t);
        int rad = (int)SL_MAX(1.0f, (r[i].box.x1 - r[i].box.x0) / 120);
        for (int k = 0; k < SL_FACE_LANDMARKS; k++)
            draw_dot(im, r[i].lm[k], yellow, rad);
        for (int k = 0; k < SL_FACE_POINTS5; k++)
            draw_dot(im, r[i].pts5[k], red, rad + 1);
    }
    uint8_t *png;
    size_t len;
    if ((st = sl_image_encode_png(im, 6, &png, &len)) == SL_OK) {
        st = sl__write_file(path, png, len);
        sl_image_bytes_free(png);
    }
    sl_image_free(im);
    return st;
}

/* ---- JSON pieces ---- */

static json_t *points_json(const sl_point2f *p, int n)
{
    json_t *a = json_array();
    for (int i = 0; a && i < n; i++)
        json_array_append_new(a, json_pack("[o,o]", sl_json_real(p[i].x, 6),
                                           sl_json_real(p[i].y, 6)));
    return a;
}

static json_t *face_json(const sl_face_result *r, bool lm68)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "box", sl__face_box_json(&r->box));
    json_object_set_new(o, "score", sl_json_real(r->box.score, 5));
    json_object_set_new(o, "points5", points_json(r->pts5, SL_FACE_POINTS5));
    if (lm68)
        json_object_set_new(o, "landmarks", points_json(r->lm, SL_FACE_LANDMARKS));
    json_object_set_new(o, "interocular", sl_json_real(r->interocular, 5));
    if (isfinite(r->yaw)) {
        json_object_set_new(o, "yaw", sl_json_real(r->yaw, 4));
        json_object_set_new(o, "pitch", sl_json_real(r->pitch, 4));
        json_object_set_new(o, "roll", sl_json_real(r->roll, 4));
    }
    if (isfinite(r->eye_open[0]))
        json_object_set_new(o, "eye_open", json_pack("[o,o]", sl_json_real(r->eye_open[0], 4),
                                                     sl_json_real(r->eye_open[1], 4)));
    if (isfinite(r->mouth_open))
        json_object_set_new(o, "mouth_open", sl_json_real(r->mouth_open, 4));
    if (isfinite(r->age))
        json_object_set_new(o, "age", sl_json_real(r->age, 4));
    if (isfinite(r->male)) {
        json_object_set_new(o, "male", sl_json_real(r->male, 4));
        json_object_set_new(o, "gender", json_string(r->male >= 0.5f ? "male" : "female"));
    }
    if (isfinite(r->live_score))
        json_object_set_new(o, "live_score", sl_json_real(r->live_score, 5));
    return o;
}

static json_t *quality_json(const struct sl_image *img, const sl_face_result *r,
                            size_t found, const char *preset, bool *pass)
{
    sl_quality_meas m = sl_face_quality_meas(img, found ? r : NULL, found);
    sl_quality_thresholds th = strcmp(preset, "enrol") == 0 ? sl_quality_preset_enrol()
                                                            : sl_quality_preset_verify();
    enum sl_quality_reason rs[SL_Q_REASON_MAX];
    size_t n = sl_quality_check(rs, SL_ARRAY_LEN(rs), &m, &th);
    *pass = n == 0;
    return sl__face_quality_json(&m, rs, SL_MIN(n, SL_ARRAY_LEN(rs)), n == 0, preset);
}

/* ---- subcommands ---- */

enum fe_kind { FE_DETECT, FE_LANDMARKS, FE_EMBED, FE_QUALITY, FE_LIVE };

static const char *const fe_usage[] = {
    "usage: shualian face detect IMAGE [--attributes] [options]\n\n"
    "Finds faces (largest first): boxes, scores and the 5 alignment points;\n"
    "--attributes adds age, gender (SSR-Net), head pose and eye state per face.\n",
    "usage: shualian face landmarks IMAGE [--all] [options]\n\n"
    "68 landmarks (sub-pixel) and the 5 points of the main face (--all: every face).\n",
    "usage: shualian face embed IMAGE [--template OUT.slft] [options]\n\n"
    "512-d L2-normalised embedding of the main face; --template writes it as a\n"
    "versioned template (SLFT v1, f32).\n",
    "usage: shualian face quality IMAGE [--preset verify|enrol] [options]\n\n"
    "Measures the main face (size, sharpness, light, pose, eyes, border, face count)\n"
    "and lists the failed reasons with zh/en messages. Exit 0 acceptable, 1 not.\n",
    "usage: shualian face live IMAGE [options]\n\n"
    "Passive liveness of the main face: live / spoof / cannot judge, with the score.\n"
    "Exit 0 live, 1 otherwise. Read docs/face.md for what this model can and cannot do.\n",
};

static int fe_run(enum fe_kind kind, int argc, char **argv, const char *cmd)
{
    if (sl_cli_wants_help(argc, argv)) {
        fputs(fe_usage[kind], stdout);
        sl_cli_fe_help();
        return SL_EXIT_OK;
    }
    struct fe_opts o;
    int rc = sl_cli_fe_parse(&o, argc, argv, cmd);
    if (rc >= 0)
        return rc;
    if (o.npos != 1)
        return sl_cli_usage_error(cmd, "one image file is expected");
    static const uint32_t models[] = {
        SL_FM_BIT(SL_FM_DETECT) | SL_FM_BIT(SL_FM_LANDMARK),
        SL_FM_BIT(SL_FM_DETECT) | SL_FM_BIT(SL_FM_LANDMARK),
        SL_FM_CORE,
        SL_FM_BIT(SL_FM_DETECT) | SL_FM_BIT(SL_FM_LANDMARK) | SL_FM_BIT(SL_FM_POSE) |
            SL_FM_BIT(SL_FM_EYE),
        SL_FM_BIT(SL_FM_DETECT) | SL_FM_BIT(SL_FM_LANDMARK) | SL_FM_BIT(SL_FM_LIVENESS),
    };
    static const uint32_t what[] = {
        0, 0, SL_FACE_DO_EMBED,
        SL_FACE_DO_QUALITY | SL_FACE_DO_POSE | SL_FACE_DO_EYES,
        SL_FACE_DO_LIVENESS,
    };
    sl_face_engine *e = NULL;
    sl_face_session *s = NULL;
    struct sl_image *img = NULL;
    sl_face_result *res = NULL;
    json_t *out = NULL;
    if ((rc = fe_load(&img, o.pos[0], cmd)) >= 0)
        goto out;
    uint32_t mods = models[kind];
    if (kind == FE_DETECT && o.attributes)
        mods |= SL_FM_BIT(SL_FM_AGE) | SL_FM_BIT(SL_FM_GENDER) | SL_FM_BIT(SL_FM_POSE) |
                SL_FM_BIT(SL_FM_EYE);
    if ((rc = fe_engine(&e, &s, &o, mods, NULL, cmd)) >= 0)
        goto out;
    if (!(res = sl__calloc(FE_MAX_FACES, sizeof(*res)))) {
        rc = sl_cli_fail(SL_ERR_NOMEM, cmd, NULL);
        goto out;
    }
    size_t n = 0, found = 0;
    uint32_t w = what[kind] | (o.all && kind <= FE_LANDMARKS ? SL_FACE_DO_ALL_FACES : 0);
    if (kind == FE_DETECT)
        w |= SL_FACE_DO_ALL_FACES |
             (o.attributes ? SL_FACE_DO_AGE | SL_FACE_DO_POSE | SL_FACE_DO_EYES : 0);
    sl_status st = sl_face_process(s, img, &o.cfg, w, res, FE_MAX_FACES, &n, &found);
    if (st != SL_OK && st != SL_NO_FACE) {
        rc = sl_cli_fail(st, cmd, "%s: %s", o.pos[0], sl_status_str(st));
        goto out;
    }
    out = json_pack("{s:o, s:i, s:i, s:I}", "image", sl_json_text(o.pos[0]), "width", (int)img->width,
                    "height", (int)img->height, "face_count", (json_int_t)found);
    if (!out) {
        rc = sl_cli_fail(SL_ERR_NOMEM, cmd, NULL);
        goto out;
    }
    bool ok = found > 0;
    if (kind == FE_DETECT || kind == FE_LANDMARKS) {
        json_t *fa = json_array();
        for (size_t i = 0; fa && i < n; i++)
            json_array_append_new(fa, face_json(&res[i], kind == FE_LANDMARKS));
        json_object_set_new(out, "faces", fa);
    } else if (found) {
        json_object_set_new(out, "face", face_json(&res[0], false));
    }
    if (kind == FE_EMBED && found) {
        json_t *ea = json_array();
        for (int i = 0; ea && i < SL_FACE_EMBED_DIM; i++)
            json_array_append_new(ea, sl_json_real(res[0].emb[i], 7));
        json_object_set_new(out, "embedding", ea);
        json_object_set_new(out, "model_id", json_string(SL_FACE_ENGINE_MODEL_ID));
        json_object_set_new(out, "flip_fusion", json_boolean(o.cfg.flip));
        if (o.template_out) {
            sl_face_template *t = sl__malloc(sizeof(*t));
            uint8_t buf[SL_FACE_TEMPLATE_HEADER + 4 * SL_FACE_TEMPLATE_MAX_DIM + 4];
            size_t len = 0;
            st = t ? sl_face_template_init(t, SL_FACE_ENGINE_MODEL_ID, SL_FACE_ELEM_F32,
                                           res[0].emb, SL_FACE_EMBED_DIM, true)
                   : SL_ERR_NOMEM;
            if (st == SL_OK)
                st = sl_face_template_write(buf, sizeof(buf), &len, t);
            sl__free(t);
            if (st == SL_OK)
                st = sl__write_file(o.template_out, buf, len);
            if (st != SL_OK) {
                rc = sl_cli_fail(st, cmd, "cannot write template %s", o.template_out);
                goto out;
            }
            json_object_set_new(out, "template", sl_json_text(o.template_out));
        }
    }
    if (kind == FE_QUALITY) {
        json_object_set_new(out, "quality", quality_json(img, res, found, o.preset, &ok));
    }
    if (kind == FE_LIVE) {
        sl_passive_thresholds th = sl_passive_defaults();
        sl_passive_decision d = found
            ? sl_passive_decide(res[0].live_score, res[0].live_context,
                                res[0].box.y1 - res[0].box.y0, &th)
            : (sl_passive_decision){ SL_PASSIVE_UNDETERMINED, SL_LR_NO_FACE, NAN };
        static const char *const verdicts[] = { "live", "spoof", "undetermined" };
        ok = d.verdict == SL_PASSIVE_LIVE;
        json_object_set_new(out, "verdict", json_string(verdicts[d.verdict]));
        json_object_set_new(out, "reason", json_pack("{s:s, s:s, s:s}",
                            "code", sl_live_reason_name(d.reason),
                            "zh", sl_live_reason_msg(d.reason, SL_LANG_ZH),
                            "en", sl_live_reason_msg(d.reason, SL_LANG_EN)));
        json_object_set_new(out, "score", sl_json_real(d.score, 5));
        if (found) {
            json_object_set_new(out, "context", sl_json_real(res[0].live_context, 4));
            json_object_set_new(out, "probs", json_pack("[o,o,o]",
                                sl_json_real(res[0].live_probs[0], 5),
                                sl_json_real(res[0].live_probs[1], 5),
                                sl_json_real(res[0].live_probs[2], 5)));
        }
    }
    bool okv[FE_MAX_FACES];
    for (size_t i = 0; i < n; i++)
        okv[i] = i == 0 ? ok : true;
    if ((st = fe_annotate(o.annotate, img, res, n, okv, NULL, 0)) != SL_OK) {
        rc = sl_cli_fail(st, cmd, "cannot write %s", o.annotate);
        goto out;
    }
    rc = sl_cli_print(out);
    out = NULL;
    if (rc == SL_EXIT_OK && (!found || (!ok && (kind == FE_QUALITY || kind == FE_LIVE))))
        rc = SL_EXIT_NEGATIVE;
out:
    json_decref(out);
    sl__free(res);
    sl_image_free(img);
    sl_face_session_free(s);
    sl_face_engine_free(e);
    return rc;
}

int sl_cli_face_detect(int argc, char **argv) { return fe_run(FE_DETECT, argc, argv, "face detect"); }
int sl_cli_face_landmarks(int argc, char **argv) { return fe_run(FE_LANDMARKS, argc, argv, "face landmarks"); }
int sl_cli_face_embed(int argc, char **argv) { return fe_run(FE_EMBED, argc, argv, "face embed"); }
int sl_cli_face_quality(int argc, char **argv) { return fe_run(FE_QUALITY, argc, argv, "face quality"); }
int sl_cli_face_live(int argc, char **argv) { return fe_run(FE_LIVE, argc, argv, "face live"); }

/* ---- verify ---- */

int sl_cli_face_verify(int argc, char **argv)
{
    const char *cmd = "face verify";
    if (sl_cli_wants_help(argc, argv)) {
        printf("usage: shualian face verify A B [--threshold far:1e-3|raw:0.35]\n"
               "         [--calib FILE] [--mode live] [--preset verify|enrol] [options]\n\n"
               "1:1 comparison of the main faces of two images: decision, cosine score,\n"
               "the threshold for the asked FAR (from the calibration table measured on\n"
               "the dev set; --calib, $SL_CALIB or the shipped table), the estimated\n"
               "FAR/FRR there, and the quality of both images. Exit 0 match, 1 no match\n"
               "(or no face). A or B may be a stored template (face embed --template)\n"
               "instead of an image, e.g. the registry photo's. --threshold is far:X\n"
               "(a false-accept rate, at most 0.1 and measured on the calibration set)\n"
               "or raw:X (a cosine in [-1, 1]); a bare number is refused.\n");
        sl_cli_fe_help();
        return SL_EXIT_OK;
    }
    struct fe_opts o;
    int rc = sl_cli_fe_parse(&o, argc, argv, cmd);
    if (rc >= 0)
        return rc;
    if (o.npos != 2)
        return sl_cli_usage_error(cmd, "two image files are expected");
    sl_face_verify_opts vo = sl_face_verify_opts_default();
    vo.cfg = o.cfg;
    vo.enrol_preset = strcmp(o.preset, "enrol") == 0;
    if (sl_face_threshold_parse(o.threshold, &vo.threshold) != SL_OK)
        return sl_cli_usage_error(cmd, "bad --threshold '%s': write far:X for a false-accept "
                                  "rate (e.g. far:1e-3) or raw:X for a cosine threshold "
                                  "(e.g. raw:0.35)", o.threshold);
    if (strlen(o.mode) >= sizeof(vo.mode))
        return sl_cli_usage_error(cmd, "bad --mode '%s'", o.mode);
    memcpy(vo.mode, o.mode, strlen(o.mode) + 1);
    sl_face_engine *e = NULL;
    sl_face_session *s = NULL;
    sl_face_input in[2] = { { NULL, NULL }, { NULL, NULL } };
    sl_face_verdict *v = NULL;
    /* an operand may be a stored template (SLFT) instead of an image */
    for (int k = 0; k < 2; k++) {
        uint8_t *buf;
        size_t len;
        sl_status st = sl__read_file(o.pos[k], FE_IMAGE_MAX_BYTES, &buf, &len);
        if (st != SL_OK) {
            rc = sl_cli_fail(st, cmd, "cannot read %s", o.pos[k]);
            goto out;
        }
        st = sl_face_input_decode(buf, len, &in[k]);
        sl__free(buf);
        if (st == SL_ERR_FACE_TEMPLATE_FORMAT) {
            rc = sl_cli_fail(st, cmd, "%s: not a readable template", o.pos[k]);
            goto out;
        }
        if (st != SL_OK) {
            rc = sl_cli_fail(st, cmd, "%s: %s", o.pos[k], sl_status_str(st));
            goto out;
        }
    }
    if ((rc = fe_engine(&e, &s, &o, SL_FM_CORE | SL_FM_BIT(SL_FM_POSE) | SL_FM_BIT(SL_FM_EYE),
                        o.calib, cmd)) >= 0)
        goto out;
    if (!(v = sl__malloc(sizeof(*v)))) {
        rc = sl_cli_fail(SL_ERR_NOMEM, cmd, NULL);
        goto out;
    }
    sl_status st = sl_face_verify(s, &in[0], &in[1], &vo, v);
    if (st != SL_OK) {
        int k = v->failed_side;
        if (st == SL_ERR_FACE_TEMPLATE_MISMATCH && k >= 0)
            rc = sl_cli_fail(st, cmd, "%s: template of model '%s', this engine makes '%s'",
                             o.pos[k], v->side[k].model_id, SL_FACE_ENGINE_MODEL_ID);
        else if (k >= 0)
            rc = sl_cli_fail(st, cmd, "%s: %s", o.pos[k], sl_status_str(st));
        else if (st == SL_ERR_NOT_FOUND)
            rc = sl_cli_fail(st, cmd, "no calibration table for mode '%s'", o.mode);
        else if (st == SL_ERR_FACE_FAR_UNSUPPORTED)
            rc = sl_cli_fail(st, cmd, "--threshold %s: the calibration (%s) measures FAR "
                             "from 1 impostor pair up to %g; ask within that or give raw:X",
                             o.threshold, v->calibration, SL_FACE_FAR_MAX);
        else
            rc = sl_cli_fail(st, cmd, "cannot decide (threshold request %s)", o.threshold);
        goto out;
    }
    json_t *out = sl__face_verdict_json(v, o.pos[0], o.pos[1]);
    if (!out) {
        rc = sl_cli_fail(SL_ERR_NOMEM, cmd, NULL);
        goto out;
    }
    if (!v->no_face && o.annotate && in[0].image) {
        /* side by side is not needed: annotate A */
        bool okv[1] = { v->decision.match };
        if ((st = fe_annotate(o.annotate, in[0].image, &v->side[0].face, 1, okv, NULL, 0)) !=
            SL_OK) {
            json_decref(out);
            rc = sl_cli_fail(st, cmd, "cannot write %s", o.annotate);
            goto out;
        }
    }
    rc = sl_cli_print(out);
    if (rc == SL_EXIT_OK && (v->no_face || !v->decision.match))
        rc = SL_EXIT_NEGATIVE;
out:
    sl__free(v);
    sl_face_input_clear(&in[0]);
    sl_face_input_clear(&in[1]);
    sl_face_session_free(s);
    sl_face_engine_free(e);
    return rc;
}

/* ---- bench ---- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* `face bench IMAGE... [--runs N] [--dump DIR]`: median wall time of the
 * largest-face pipeline (detect incl. resize, landmarks, align, embed,
 * passive liveness) per image on one thread, from decoded pixels; --dump
 * writes each decoded image as DIR/<k>.rgb (8-byte header: u32 width,
 * u32 height, little-endian; then RGB rows) for the ORT peer. */
int sl_cli_face_bench(int argc, char **argv)
{
    const char *cmd = "face bench";
    if (sl_cli_wants_help(argc, argv)) {
        printf("usage: shualian face bench IMAGE... [--runs N] [--dump DIR] [options]\n\n"
               "Times the largest-face pipeline (detect incl. resize, landmarks, align,\n"
               "embed, passive liveness) on one thread from decoded pixels; prints the\n"
               "median per image and per stage. --dump DIR writes the decoded pixels\n"
               "(DIR/<k>.rgb: u32 width, u32 height, RGB rows) for the ORT peer.\n");
        sl_cli_fe_help();
        return SL_EXIT_OK;
    }
    long runs = 30;
    const char *dump = NULL;
    /* pull our own options out before the common parser */
    char *rest[64];
    int nrest = 0;
    for (int i = 0; i < argc && nrest < 64; i++) {
        if (i > 0 && strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, 100000, &runs))
                return sl_cli_usage_error(cmd, "bad --runs");
        } else if (i > 0 && strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
            dump = argv[++i];
        } else {
            rest[nrest++] = argv[i];
        }
    }
    struct fe_opts o;
    int rc = sl_cli_fe_parse(&o, nrest, rest, cmd);
    if (rc >= 0)
        return rc;
    if (o.npos < 1)
        return sl_cli_usage_error(cmd, "at least one image is expected");
    sl_face_engine *e = NULL;
    sl_face_session *s = NULL;
    double *t = NULL;
    json_t *out = NULL, *imgs = NULL;
    if ((rc = fe_engine(&e, &s, &o, SL_FM_CORE | SL_FM_BIT(SL_FM_LIVENESS), NULL, cmd)) >= 0)
        return rc;
    if (!(t = sl__malloc((size_t)runs * sizeof(double))) || !(imgs = json_array())) {
        rc = sl_cli_fail(SL_ERR_NOMEM, cmd, NULL);
        goto out;
    }
    double all = 0;
    for (int k = 0; k < o.npos; k++) {
        struct sl_image *img = NULL;
        if ((rc = fe_load(&img, o.pos[k], cmd)) >= 0)
            goto out;
        if (dump) {
            char p[4096];
            snprintf(p, sizeof(p), "%s/%d.rgb", dump, k);
            FILE *f = fopen(p, "wb");
            uint32_t hd[2] = { img->width, img->height };
            bool ok = f && fwrite(hd, 4, 2, f) == 2;
            for (uint32_t y = 0; ok && y < img->height; y++)
                ok = fwrite(img->data + y * img->stride, 1, (size_t)img->width * 3, f) ==
                     (size_t)img->width * 3;
            if (f)
                ok = fclose(f) == 0 && ok;
            if (!ok) {
                sl_image_free(img);
                rc = sl_cli_fail(SL_ERR_IO, cmd, "cannot write %s", p);
                goto out;
            }
        }
        /* the stages of sl_face_process, timed one by one */
        sl_face_result r;
        memset(&r, 0, sizeof(r));
        double *st_t = sl__malloc((size_t)runs * 5 * sizeof(double));
        struct sl_image *crop = NULL;
        sl_status st = st_t ? sl_image_new(&crop, 112, 112, 3) : SL_ERR_NOMEM;
        for (long i = -3; i < runs && st == SL_OK; i++) {
            uint64_t c0 = sl_time_mono_ns(), c1, c2, c3, c4, c5;
            size_t n = 0;
            st = sl_face_detect(s, img, &o.cfg, &r.box, 1, &n);
            c1 = sl_time_mono_ns();
            if (st != SL_OK || n == 0) {
                st = st == SL_OK ? SL_NO_FACE : st;
                break;
            }
            if ((st = sl_face_landmarks(s, img, &r.box, &o.cfg, r.lm)) == SL_OK)
                st = sl_face_points5(r.pts5, r.lm, (enum sl_face_pts5_rule)o.cfg.pts5);
            c2 = sl_time_mono_ns();
            if (st == SL_OK)
                st = sl_face_align(crop, img, r.pts5);
            c3 = sl_time_mono_ns();
            if (st == SL_OK)
                st = sl_face_embed_crop(s, crop, &o.cfg, r.emb);
            c4 = sl_time_mono_ns();
            if (st == SL_OK)
                st = sl_face_liveness(s, img, &r.box, &o.cfg, &r.live_score, NULL, NULL);
            c5 = sl_time_mono_ns();
            if (i >= 0) {
                t[i] = (double)(c5 - c0) / 1e6;
                double *q = st_t + (size_t)i * 5;
                q[0] = (double)(c1 - c0) / 1e6;
                q[1] = (double)(c2 - c1) / 1e6;
                q[2] = (double)(c3 - c2) / 1e6;
                q[3] = (double)(c4 - c3) / 1e6;
                q[4] = (double)(c5 - c4) / 1e6;
            }
        }
        sl_image_free(crop);
        if (st != SL_OK && st != SL_NO_FACE) {
            sl__free(st_t);
            sl_image_free(img);
            rc = sl_cli_fail(st, cmd, "%s: %s", o.pos[k], sl_status_str(st));
            goto out;
        }
        json_t *stages = json_object();
        static const char *const names[5] = { "detect_ms", "landmarks_ms", "align_ms",
                                              "embed_ms", "liveness_ms" };
        for (int q = 0; st == SL_OK && q < 5; q++) {
            double col[4096];
            long m = SL_MIN(runs, 4096L);
            for (long i = 0; i < m; i++)
                col[i] = st_t[(size_t)i * 5 + q];
            qsort(col, (size_t)m, sizeof(double), cmp_dbl);
            json_object_set_new(stages, names[q], sl_json_real(col[m / 2], 4));
        }
        sl__free(st_t);
        if (st == SL_NO_FACE)
            t[runs / 2] = NAN;
        else
            qsort(t, (size_t)runs, sizeof(double), cmp_dbl);
        double med = t[runs / 2];
        all += isfinite(med) ? med : 0;
        json_t *row = json_pack("{s:o, s:i, s:i, s:b, s:o, s:o, s:o, s:o}", "image",
                                sl_json_text(o.pos[k]),
                                "width", (int)img->width, "height", (int)img->height,
                                "face", st == SL_OK, "median_ms", sl_json_real(med, 4),
                                "min_ms", sl_json_real(st == SL_OK ? t[0] : NAN, 4),
                                "live_score", sl_json_real(st == SL_OK ? r.live_score : NAN, 5),
                                "stages", stages);
        if (st == SL_OK) {
            json_object_set_new(row, "box", sl__face_box_json(&r.box));
            json_t *ea = json_array();
            for (int i = 0; ea && i < 8; i++)
                json_array_append_new(ea, sl_json_real(r.emb[i], 6));
            json_object_set_new(row, "emb8", ea);
        }
        json_array_append_new(imgs, row);
        sl_image_free(img);
    }
    out = json_pack("{s:s, s:i, s:b, s:I, s:o, s:o}", "backend", sl_nn_backends(), "threads", 1,
                    "flip", o.cfg.flip, "runs", (json_int_t)runs,
                    "mean_of_medians_ms", sl_json_real(all / o.npos, 4), "images", imgs);
    imgs = NULL;
    rc = sl_cli_print(out);
    out = NULL;
out:
    json_decref(imgs);
    json_decref(out);
    sl__free(t);
    sl_face_session_free(s);
    sl_face_engine_free(e);
    return rc;
}

/* ---- per-frame signals from image files (face challenge check --frames) ---- */

int sl_cli_face_frames(const char *list, const char *models, sl_frame_signal *out,
                       size_t cap, size_t *n, const char *cmd)
{
    uint8_t *text;
    size_t len;
    int rc = sl_cli_read_file(cmd, list, 4u << 20, &text, &len);
    if (rc >= 0)
        return rc;
    /* the frame limit before any work: counted on the text, not after
     * thousands of images have been analysed */
    size_t lines = 0;
    for (const char *p = (const char *)text; p && *p;) {
        const char *nl = strchr(p, '\n');
        const char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        lines += *q && *q != '\n' && *q != '\r' && *q != '#';
        p = nl ? nl + 1 : NULL;
    }
    if (lines > cap) {
        sl__free(text);
        return sl_cli_fail(SL_ERR_TOO_LARGE, cmd, "%s: %zu frames, at most %zu", list, lines,
                           cap);
    }
    sl_status st;
    struct fe_opts o;
    char *fake[1] = { (char *)cmd };
    (void)sl_cli_fe_parse(&o, 1, fake, cmd);
    if (models)
        o.models = models;
    sl_face_engine *e = NULL;
    sl_face_session *s = NULL;
    float *ref = NULL;
    rc = fe_engine(&e, &s, &o, SL_FM_ALL, NULL, cmd);
    if (rc >= 0)
        goto out;
    if (!(ref = sl__malloc(SL_FACE_EMBED_DIM * sizeof(float)))) {
        rc = sl_cli_fail(SL_ERR_NOMEM, cmd, NULL);
        goto out;
    }
    bool have_ref = false;
    *n = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line || *line == '#')
            continue;
        char *end;
        long long t_ms = strtoll(line, &end, 10);
        if (end == line || (*end != '\t' && *end != ' ')) {
            rc = sl_cli_fail(SL_ERR_CHALLENGE_FORMAT, cmd,
                             "%s: each line is 't_ms<TAB>image path'", list);
            goto out;
        }
        while (*end == '\t' || *end == ' ')
            end++;
        char *cr = strchr(end, '\r');
        if (cr)
            *cr = 0;
        if (*n >= cap) {
            rc = sl_cli_fail(SL_ERR_TOO_LARGE, cmd, "more than %zu frames", cap);
            goto out;
        }
        struct sl_image *img = NULL;
        if ((rc = fe_load(&img, end, cmd)) >= 0)
            goto out;
        st = sl_face_frame_signal(s, img, &o.cfg, (int64_t)t_ms, have_ref ? ref : NULL,
                                  have_ref ? NULL : ref, &out[*n]);
        sl_image_free(img);
        if (st != SL_OK) {
            rc = sl_cli_fail(st, cmd, "%s: %s", end, sl_status_str(st));
            goto out;
        }
        have_ref |= out[*n].face;
        (*n)++;
    }
    rc = -1;
out:
    sl__free(ref);
    sl__free(text);
    sl_face_session_free(s);
    sl_face_engine_free(e);
    return rc;
}
