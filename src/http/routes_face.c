/*
 * routes_face.c -- engine routes for integrators: detect, quality, compare.
 * Each request checks one engine session out of the pool (never more
 * sessions than configured; a long wait is 503 + Retry-After). The 1:1
 * verdict is the library's (sl_face_verify): this file never decides a
 * match itself.
 */
#include <sodium.h>
#include <string.h>

#include "face/face_json.h"
#include "http/http_int.h"
#include "shualian/engine.h"
#include "shualian/face.h"
#include "shualian/image.h"

#define MAX_FACES 32

/* Decodes the base64 string field 'key' of r->json into new bytes. */
static sl_status b64_field(struct sl_req *r, const char *key, uint8_t **out, size_t *n)
{
    json_t *v = json_object_get(r->json, key);
    const char *s = json_string_value(v);
    size_t sn = json_string_length(v);
    size_t cap = sn / 4 * 3 + 3;
    uint8_t *buf = sl__malloc(cap);
    if (!buf)
        return SL_ERR_NOMEM;
    size_t len = 0;
    if (sodium_base642bin(buf, cap, s, sn, " \r\n", &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        sl__free(buf);
        snprintf(r->detail, sizeof r->detail, "/%s: not base64 (standard alphabet)", key);
        return SL_ERR_HTTP_FIELD_VALUE;
    }
    *out = buf;
    *n = len;
    return SL_OK;
}

static sl_status decode_image(struct sl_req *r, const char *key, struct sl_image **img)
{
    uint8_t *bytes = NULL;
    size_t n = 0;
    sl_status st = b64_field(r, key, &bytes, &n);
    if (st != SL_OK)
        return st;
    st = sl_image_decode(bytes, n, NULL, 3, img, NULL);
    sl__free(bytes);
    if (st != SL_OK)
        snprintf(r->detail, sizeof r->detail, "/%s: %s", key, sl_status_str(st));
    return st;
}

static json_t *box_json(const sl_face_box *b)
{
    return json_pack("{s:o,s:o,s:o,s:o,s:o}", "x0", sl_json_real(b->x0, 5),
                     "y0", sl_json_real(b->y0, 5), "x1", sl_json_real(b->x1, 5),
                     "y1", sl_json_real(b->y1, 5), "score", sl_json_real(b->score, 4));
}

static json_t *face_json(const sl_face_result *f)
{
    json_t *p5 = json_array();
    for (int i = 0; i < SL_FACE_POINTS5; i++)
        json_array_append_new(p5, json_pack("[o,o]", sl_json_real(f->pts5[i].x, 5),
                                            sl_json_real(f->pts5[i].y, 5)));
    return json_pack("{s:o,s:o,s:o}", "box", box_json(&f->box), "points5", p5,
                     "interocular", sl_json_real(f->interocular, 4));
}

/* Runs the pipeline on the request's image with a pooled session. */
static sl_status run_engine(struct sl_req *r, uint32_t what, struct sl_image **img,
                            sl_face_result *res, size_t *n, size_t *found)
{
    if (!r->srv->pool) {
        snprintf(r->detail, sizeof r->detail, "the server was started without face models");
        return SL_ERR_HTTP_UNAVAILABLE;
    }
    sl_status st = decode_image(r, "image", img);
    if (st != SL_OK)
        return st;
    sl_face_session *s = NULL;
    st = sl__pool_take(r->srv->pool, r->srv->metrics, &s);
    if (st != SL_OK)
        return st;
    sl_face_config cfg = sl_face_config_default();
    st = sl_face_process(s, *img, &cfg, what, res, MAX_FACES, n, found);
    sl__pool_give(r->srv->pool, s);
    if (st == SL_NO_FACE) {
        *n = *found = 0;
        st = SL_OK;
    }
    return st;
}

sl_status sl__h_face_detect(struct sl_req *r)
{
    struct sl_image *img = NULL;
    sl_face_result *res = sl__calloc(MAX_FACES, sizeof *res);
    if (!res)
        return SL_ERR_NOMEM;
    size_t n = 0, found = 0;
    bool all = json_is_true(json_object_get(r->json, "all_faces")) ||
               !json_object_get(r->json, "all_faces");
    sl_status st = run_engine(r, all ? SL_FACE_DO_ALL_FACES : 0, &img, res, &n, &found);
    if (st == SL_OK) {
        json_t *fa = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(fa, face_json(&res[i]));
        st = sl__reply_json(r, 200, json_pack("{s:i,s:i,s:I,s:o}", "width", (int)img->width,
                                              "height", (int)img->height, "face_count",
                                              (json_int_t)found, "faces", fa));
    }
    sl_image_free(img);
    sl__free(res);
    return st;
}

sl_status sl__h_face_quality(struct sl_req *r)
{
    struct sl_image *img = NULL;
    sl_face_result *res = sl__calloc(MAX_FACES, sizeof *res);
    if (!res)
        return SL_ERR_NOMEM;
    size_t n = 0, found = 0;
    sl_status st = run_engine(r, SL_FACE_DO_QUALITY | SL_FACE_DO_POSE | SL_FACE_DO_EYES,
                              &img, res, &n, &found);
    if (st == SL_OK) {
        sl_quality_meas m = found ? sl_face_quality_meas(img, &res[0], found)
                                  : sl_quality_meas_empty();
        sl_quality_thresholds th = sl_quality_preset_verify();
        enum sl_quality_reason reasons[32];
        size_t nr = sl_quality_check(reasons, SL_ARRAY_LEN(reasons), &m, &th);
        json_t *o = json_pack("{s:I,s:b,s:o}", "face_count", (json_int_t)found,
                              "pass", nr == 0 && found > 0,
                              "reasons", sl_quality_reasons_to_json(reasons, nr));
        if (found)
            json_object_set_new(o, "face", face_json(&res[0]));
        st = sl__reply_json(r, 200, o);
    }
    sl_image_free(img);
    sl__free(res);
    return st;
}

/* One side of a compare: image_<s> or template_<s> (exactly one). */
static sl_status compare_side(struct sl_req *r, char side, sl_face_input *in,
                              const char **label)
{
    char ik[16], tk[16];
    snprintf(ik, sizeof ik, "image_%c", side);
    snprintf(tk, sizeof tk, "template_%c", side);
    bool has_i = json_object_get(r->json, ik) != NULL;
    bool has_t = json_object_get(r->json, tk) != NULL;
    if (has_i == has_t) {
        snprintf(r->detail, sizeof r->detail, "give exactly one of /%s and /%s", ik, tk);
        return has_i ? SL_ERR_HTTP_FIELD_VALUE : SL_ERR_HTTP_FIELD_MISSING;
    }
    static const char *const names[2][2] = { { "image_a", "template_a" },
                                             { "image_b", "template_b" } };
    const char *key = names[side == 'b'][has_t];
    *label = key;   /* static: the verdict JSON names the side by its field */
    uint8_t *bytes = NULL;
    size_t n = 0;
    sl_status st = b64_field(r, key, &bytes, &n);
    if (st != SL_OK)
        return st;
    /* sniffing is the library's: a template where an image is expected
     * (or the reverse) is refused by its field name */
    bool is_tpl = n >= 4 && memcmp(bytes, SL_FACE_TEMPLATE_MAGIC, 4) == 0;
    if (is_tpl != has_t) {
        sl__free(bytes);
        snprintf(r->detail, sizeof r->detail, "/%s: %s", key,
                 has_t ? "not a face template" : "a template; send it as template_x");
        return has_t ? SL_ERR_FACE_TEMPLATE_FORMAT : SL_ERR_HTTP_FIELD_VALUE;
    }
    st = sl_face_input_decode(bytes, n, in);
    sl__free(bytes);
    if (st != SL_OK)
        snprintf(r->detail, sizeof r->detail, "/%s: %s", key, sl_status_str(st));
    return st;
}

static const char *outcome_of(const sl_face_verdict *v)
{
    if (v->no_face)
        return "no_face";
    return v->decision.match ? "match" : "no_match";
}

sl_status sl__h_face_compare(struct sl_req *r)
{
    if (!r->srv->pool) {
        snprintf(r->detail, sizeof r->detail, "the server was started without face models");
        return SL_ERR_HTTP_UNAVAILABLE;
    }
    sl_face_verify_opts vo = sl_face_verify_opts_default();
    const char *th = json_string_value(json_object_get(r->json, "threshold"));
    if (th && sl_face_threshold_parse(th, &vo.threshold) != SL_OK) {
        snprintf(r->detail, sizeof r->detail,
                 "/threshold: write far:X (false-accept rate, e.g. far:1e-3) or raw:X (cosine)");
        return SL_ERR_HTTP_FIELD_VALUE;
    }
    sl_face_input in[2] = { { NULL, NULL }, { NULL, NULL } };
    const char *label[2] = { "a", "b" };
    sl_face_verdict *v = NULL;
    sl_face_session *s = NULL;
    sl_status st = compare_side(r, 'a', &in[0], &label[0]);
    if (st == SL_OK)
        st = compare_side(r, 'b', &in[1], &label[1]);
    if (st == SL_OK && !(v = sl__malloc(sizeof *v)))
        st = SL_ERR_NOMEM;
    if (st == SL_OK)
        st = sl__pool_take(r->srv->pool, r->srv->metrics, &s);
    if (st == SL_OK) {
        st = sl_face_verify(s, &in[0], &in[1], &vo, v);
        sl__pool_give(r->srv->pool, s);
        if (st != SL_OK && v->failed_side >= 0)
            snprintf(r->detail, sizeof r->detail, "%s: %s", label[v->failed_side],
                     sl_status_str(st));
        else if (st == SL_ERR_FACE_FAR_UNSUPPORTED)
            snprintf(r->detail, sizeof r->detail, "the calibration measures FAR from 1 "
                     "impostor pair up to %g; ask within that or give raw:X", SL_FACE_FAR_MAX);
        sl__metrics_verify(r->srv->metrics, st == SL_OK ? outcome_of(v) : "error");
    }
    if (st == SL_OK) {
        /* the verdict exactly as `shualian face verify` renders it */
        json_t *o = sl_face_verdict_json(v, label[0], label[1]);
        st = o ? sl__reply_json(r, 200, o) : SL_ERR_NOMEM;
    }
    sl__free(v);
    sl_face_input_clear(&in[0]);
    sl_face_input_clear(&in[1]);
    return st;
}
