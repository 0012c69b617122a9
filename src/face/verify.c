/*
 * verify.c -- the 1:1 verdict (engine.h: sl_face_verify and friends) and
 * its JSON, made once for the program and the server.
 *
 * Per side: a stored template (checked to be of this engine's model and
 * dimension, re-normalised) or an image run through the pipeline (main
 * face: embedding, quality crop statistics, pose, eyes) with its quality
 * reasons. Then, when both sides have a face: cosine, the threshold from
 * the engine's calibration table for the asked mode, the FAR/FRR
 * estimates there (sl_calib_decide). A side without a face is a verdict
 * (no_face), not an error.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "face/face_json.h"
#include "face/pipeline.h"

sl_face_verify_opts sl_face_verify_opts_default(void)
{
    sl_face_verify_opts o;
    memset(&o, 0, sizeof(o));
    o.cfg = sl_face_config_default();
    sl_status st = sl_face_threshold_parse("far:1e-3", &o.threshold);
    SL_ASSERT(st == SL_OK);   /* a constant the parser accepts */
    memcpy(o.mode, "live", 5);
    return o;
}

sl_status sl_face_input_decode(const uint8_t *buf, size_t len, sl_face_input *out)
{
    if (!out)
        return SL_ERR_INVALID;
    memset(out, 0, sizeof(*out));
    if (!buf)
        return SL_ERR_INVALID;
    if (len >= 4 && memcmp(buf, SL_FACE_TEMPLATE_MAGIC, 4) == 0) {
        sl_face_template *t = sl__malloc(sizeof(*t));
        if (!t)
            return SL_ERR_NOMEM;
        sl_status st = sl_face_template_read(t, buf, len);
        if (st != SL_OK) {
            sl__free(t);
            return st;
        }
        out->tpl = t;
        return SL_OK;
    }
    return sl_image_decode(buf, len, NULL, 3, &out->image, NULL);
}

void sl_face_input_clear(sl_face_input *in)
{
    if (!in)
        return;
    sl_image_free(in->image);
    sl__free(in->tpl);
    in->image = NULL;
    in->tpl = NULL;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = 0;
}

static void verdict_init(sl_face_verdict *v, const sl_face_engine *e,
                         const sl_face_verify_opts *o)
{
    memset(v, 0, sizeof(*v));
    v->failed_side = -1;
    v->decision = (sl_face_decision){ false, NAN, NAN, NAN, NAN };
    copy_str(v->request, sizeof(v->request), o->threshold.text);
    copy_str(v->mode, sizeof(v->mode), o->mode);
    v->enrol_preset = o->enrol_preset;
    copy_str(v->calibration, sizeof(v->calibration), e->calib.source);
    for (int k = 0; k < 2; k++)
        v->side[k].meas = sl_quality_meas_empty();
}

/* A stored template as a side: of this engine's model and dimension,
 * re-normalised into sd->face.emb. */
static sl_status side_template(sl_face_side *sd, const sl_face_template *t)
{
    sd->is_template = true;
    copy_str(sd->model_id, sizeof(sd->model_id), t->model_id);
    sl_face_template *mine = sl__malloc(sizeof(*mine));
    if (!mine)
        return SL_ERR_NOMEM;
    sl_status st = SL_ERR_FACE_TEMPLATE_MISMATCH;
    if (t->dim == SL_FACE_EMBED_DIM &&
        sl_face_template_init(mine, SL_FACE_ENGINE_MODEL_ID, SL_FACE_ELEM_F32, t->v, t->dim,
                              true) == SL_OK &&
        strcmp(t->model_id, SL_FACE_ENGINE_MODEL_ID) == 0) {
        memcpy(sd->face.emb, mine->v, sizeof(sd->face.emb));
        sd->face.has_emb = true;
        sd->face_count = 1;
        st = SL_OK;
    }
    sl__free(mine);
    return st;
}

/* An image as a side: the main face through the pipeline, and the quality
 * reasons of the image under the asked preset. */
static sl_status side_image(sl_face_side *sd, sl_face_session *s, const struct sl_image *img,
                            const sl_face_verify_opts *o)
{
    size_t n = 0, found = 0;
    sl_status st = sl_face_process(s, img, &o->cfg,
                                   SL_FACE_DO_EMBED | SL_FACE_DO_QUALITY | SL_FACE_DO_POSE |
                                   SL_FACE_DO_EYES, &sd->face, 1, &n, &found);
    if (st != SL_OK && st != SL_NO_FACE)
        return st;
    sd->face_count = found;
    sd->meas = sl_face_quality_meas(img, found ? &sd->face : NULL, found);
    sl_quality_thresholds th = o->enrol_preset ? sl_quality_preset_enrol()
                                               : sl_quality_preset_verify();
    size_t nr = sl_quality_check(sd->reasons, SL_ARRAY_LEN(sd->reasons), &sd->meas, &th);
    sd->quality_pass = nr == 0;
    sd->n_reasons = SL_MIN(nr, SL_ARRAY_LEN(sd->reasons));
    return SL_OK;
}

/* Both paths: s may be NULL when both inputs are templates. */
static sl_status verify(const sl_face_engine *e, sl_face_session *s, const sl_face_input *in[2],
                        const sl_face_verify_opts *o, sl_face_verdict *v)
{
    verdict_init(v, e, o);
    if (strnlen(o->mode, sizeof(o->mode)) == sizeof(o->mode))
        return SL_ERR_INVALID;
    const sl_calib_table *tab = sl_calib_get(&e->calib, o->mode);
    sl_status st = sl_face_threshold_check(&o->threshold, tab);
    if (st != SL_OK)
        return st;
    for (int k = 0; k < 2; k++) {
        if (!in[k]->tpl == !in[k]->image || (in[k]->image && !s))
            st = SL_ERR_INVALID;
        else if (in[k]->tpl)
            st = side_template(&v->side[k], in[k]->tpl);
        else
            st = side_image(&v->side[k], s, in[k]->image, o);
        if (st != SL_OK) {
            v->failed_side = k;
            return st;
        }
    }
    if (!v->side[0].face_count || !v->side[1].face_count) {
        v->no_face = true;
        return SL_OK;
    }
    double cosv = sl_face_cosine(v->side[0].face.emb, v->side[1].face.emb, SL_FACE_EMBED_DIM);
    return sl_calib_decide(&v->decision, tab, cosv, o->threshold.req);
}

sl_status sl_face_verify(sl_face_session *s, const sl_face_input *a, const sl_face_input *b,
                         const sl_face_verify_opts *o, sl_face_verdict *out)
{
    if (!s || !a || !b || !o || !out)
        return SL_ERR_INVALID;
    const sl_face_input *in[2] = { a, b };
    return verify(s->eng, s, in, o, out);
}

sl_status sl_face_verify_templates(const sl_face_engine *e, const sl_face_template *a,
                                   const sl_face_template *b, const sl_face_verify_opts *o,
                                   sl_face_verdict *out)
{
    if (!e || !a || !b || !o || !out)
        return SL_ERR_INVALID;
    /* the inputs only borrow: cast away const for the struct, never written */
    sl_face_input ia = { NULL, (sl_face_template *)a }, ib = { NULL, (sl_face_template *)b };
    const sl_face_input *in[2] = { &ia, &ib };
    return verify(e, NULL, in, o, out);
}

/* ---- JSON ---- */

static json_t *side_json(const sl_face_side *sd, const char *name, const char *preset)
{
    if (sd->is_template)
        return json_pack("{s:s, s:s}", "template", name, "model_id", sd->model_id);
    json_t *q = sl_face_quality_json(&sd->meas, sd->reasons, sd->n_reasons, sd->quality_pass,
                                      preset);
    if (!q)
        return NULL;
    json_object_set_new(q, "image", sl_json_text(name));
    json_object_set_new(q, "face_count", json_integer((json_int_t)sd->face_count));
    if (sd->face_count)
        json_object_set_new(q, "box", sl_face_box_json(&sd->face.box));
    return q;
}

json_t *sl_face_verdict_json(const sl_face_verdict *v, const char *name_a, const char *name_b)
{
    const char *preset = v->enrol_preset ? "enrol" : "verify";
    json_t *a = side_json(&v->side[0], name_a ? name_a : "", preset);
    json_t *b = side_json(&v->side[1], name_b ? name_b : "", preset);
    if (!a || !b) {
        json_decref(a);
        json_decref(b);
        return NULL;
    }
    if (v->no_face)
        return json_pack("{s:b, s:n, s:s, s:s, s:s, s:o, s:o}", "match", 0, "score", "reason",
                         "no_face", "zh", sl_face_reason_text(SL_NO_FACE, SL_LANG_ZH),
                         "en", sl_face_reason_text(SL_NO_FACE, SL_LANG_EN), "a", a, "b", b);
    const sl_face_decision *d = &v->decision;
    return json_pack("{s:b, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:o, s:o}",
                     "match", d->match, "score", sl_json_real(d->score, 6),
                     "threshold", sl_json_real(d->threshold, 6),
                     "far_estimate", sl_json_real(d->far_estimate, 4),
                     "frr_estimate", sl_json_real(d->frr_estimate, 4),
                     "request", v->request, "mode", v->mode,
                     "calibration", v->calibration, "a", a, "b", b);
}

sl_status sl_face_verdict_to_json(const sl_face_verdict *v, const char *name_a,
                                  const char *name_b, char **out, size_t *len)
{
    if (!v || !out || !len)
        return SL_ERR_INVALID;
    json_t *j = sl_face_verdict_json(v, name_a, name_b);
    if (!j)
        return SL_ERR_NOMEM;
    /* the flags of sl_json_print(), compact: the CLI's output byte for byte */
    char *text = json_dumps(j, JSON_REAL_PRECISION(10) | JSON_COMPACT);
    json_decref(j);
    if (!text)
        return SL_ERR_NOMEM;
    size_t n = strlen(text);
    char *copy = sl__malloc(n + 1);
    if (copy)
        memcpy(copy, text, n + 1);
    free(text);
    if (!copy)
        return SL_ERR_NOMEM;
    *out = copy;
    *len = n;
    return SL_OK;
}
