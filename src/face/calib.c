/*
 * calib.c -- calibration tables (score -> estimated FAR/FRR) at run time:
 * parsing and validating their JSON file, threshold queries and the 1:1
 * decision. Building a table is tooling (calib_build.c, eval_int.h).
 *
 * Built once per model and data set by `shualian-dev eval` / `shualian-dev
 * calib build`; loaded once at start; queried per verification (a binary search
 * over at most SL_CALIB_MAX_POINTS points). The file is trusted no more
 * than any input: the parser checks every field and the ordering.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "base/json.h"
#include "face/calib_int.h"

/* ---- shared with calib_build.c (calib_int.h) ---- */

bool sl__calib_mode_ok(const char *m)
{
    size_t n = m ? strnlen(m, SL_CALIB_MODE_MAX) : 0;
    if (n == 0 || n >= SL_CALIB_MODE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((m[i] >= 'a' && m[i] <= 'z') || (m[i] >= '0' && m[i] <= '9') || m[i] == '_'))
            return false;
    return true;
}

void sl__calib_copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = 0;
}

void sl_calib_free(sl_calib *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_tables; i++) {
        sl__free(c->tables[i].pts);
        c->tables[i].pts = NULL;
        c->tables[i].n = 0;
    }
    c->n_tables = 0;
}

const sl_calib_table *sl_calib_get(const sl_calib *c, const char *mode)
{
    for (size_t i = 0; c && mode && i < c->n_tables; i++)
        if (strcmp(c->tables[i].mode, mode) == 0)
            return &c->tables[i];
    return NULL;
}

/* ---- queries ---- */

sl_status sl_calib_threshold_for_far(double *thr, uint64_t *support,
                                     const sl_calib_table *t, double far)
{
    if (!thr || !t || !t->pts || t->n == 0 || !(far > 0 && far < 1))
        return SL_ERR_INVALID;
    for (size_t k = 0; k < t->n_targets; k++)
        if (fabs(t->targets[k].far - far) <= 1e-9 * far) {
            *thr = t->targets[k].threshold;
            if (support)
                *support = t->targets[k].support;
            return SL_OK;
        }
    /* far falls as the threshold rises: first point with far <= target */
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->pts[mid].far > far)
            lo = mid + 1;
        else
            hi = mid;
    }
    *thr = lo < t->n ? t->pts[lo].threshold
                     : nextafter(t->pts[t->n - 1].threshold, INFINITY);
    if (support)
        *support = (uint64_t)floor(far * (double)t->n_impostor + 1e-9);
    return SL_OK;
}

void sl_calib_rates_at(double *far, double *frr, const sl_calib_table *t,
                       double score)
{
    double a = NAN, b = NAN;
    if (t && t->pts && t->n > 0 && !isnan(score)) {
        const sl_roc_point *p = t->pts;
        if (score <= p[0].threshold) {
            a = score < p[0].threshold ? 1.0 : p[0].far;
            b = score < p[0].threshold ? 0.0 : p[0].frr;
        } else if (score >= p[t->n - 1].threshold) {
            a = score > p[t->n - 1].threshold ? 0.0 : p[t->n - 1].far;
            b = score > p[t->n - 1].threshold ? 1.0 : p[t->n - 1].frr;
            /* above every score: nothing is accepted */
        } else {
            size_t lo = 0, hi = t->n - 1;           /* p[lo] <= s < p[hi] */
            while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (p[mid].threshold <= score)
                    lo = mid;
                else
                    hi = mid;
            }
            double w = (score - p[lo].threshold) / (p[hi].threshold - p[lo].threshold);
            a = p[lo].far + w * (p[hi].far - p[lo].far);
            b = p[lo].frr + w * (p[hi].frr - p[lo].frr);
        }
    }
    if (far)
        *far = a;
    if (frr)
        *frr = b;
}

sl_status sl_calib_decide(sl_face_decision *out, const sl_calib_table *t,
                          double score, sl_threshold_req req)
{
    if (!out || !isfinite(score) || !isfinite(req.value))
        return SL_ERR_INVALID;
    double thr;
    if (req.kind == SL_THRESHOLD_FAR) {
        sl_status st = sl_calib_threshold_for_far(&thr, NULL, t, req.value);
        if (st != SL_OK)
            return st;
    } else if (req.kind == SL_THRESHOLD_RAW) {
        thr = req.value;
    } else {
        return SL_ERR_INVALID;
    }
    sl_face_decision d = { score >= thr, score, thr, NAN, NAN };
    if (t)
        sl_calib_rates_at(&d.far_estimate, &d.frr_estimate, t, thr);
    *out = d;
    return SL_OK;
}

sl_status sl_face_threshold_parse(const char *text, sl_face_threshold_spec *out)
{
    if (!text || !out)
        return SL_ERR_INVALID;
    size_t len = strnlen(text, SL_FACE_THRESHOLD_TEXT_MAX);
    if (len >= SL_FACE_THRESHOLD_TEXT_MAX)
        return SL_ERR_FACE_THRESHOLD_SPEC;
    enum sl_threshold_kind kind;
    if (strncmp(text, "far:", 4) == 0)
        kind = SL_THRESHOLD_FAR;
    else if (strncmp(text, "raw:", 4) == 0)
        kind = SL_THRESHOLD_RAW;
    else
        return SL_ERR_FACE_THRESHOLD_SPEC;
    const char *num = text + 4;
    char *end;
    double v = strtod(num, &end);
    /* strtod skips leading blanks: a number must start right after ':' */
    if (end == num || *end || !isfinite(v) || num[0] == ' ' || num[0] == '\t')
        return SL_ERR_FACE_THRESHOLD_SPEC;
    if (kind == SL_THRESHOLD_FAR ? !(v > 0 && v < 1) : !(v >= -1 && v <= 1))
        return SL_ERR_FACE_THRESHOLD_SPEC;
    out->req = (sl_threshold_req){ kind, v };
    memcpy(out->text, text, len + 1);
    return SL_OK;
}

sl_status sl_threshold_req_parse(sl_threshold_req *out, const char *text)
{
    sl_face_threshold_spec spec;
    if (!out || sl_face_threshold_parse(text, &spec) != SL_OK)
        return SL_ERR_INVALID;
    *out = spec.req;
    return SL_OK;
}

sl_status sl_face_threshold_check(const sl_face_threshold_spec *spec,
                                  const sl_calib_table *t)
{
    if (!spec)
        return SL_ERR_INVALID;
    if (spec->req.kind == SL_THRESHOLD_RAW)
        return SL_OK;
    if (!t)
        return SL_ERR_NOT_FOUND;
    double far = spec->req.value;
    /* 1e-9 relative slack: "far:1e-7" with 10^7 impostor pairs is one pair */
    if (!(far > 0 && far <= SL_FACE_FAR_MAX) ||
        far * (double)t->n_impostor * (1 + 1e-9) < 1)
        return SL_ERR_FACE_FAR_UNSUPPORTED;
    return SL_OK;
}

static bool get_num(const json_t *v, double *out)
{
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return isfinite(*out);
}

static bool get_count(const json_t *obj, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static bool rate_ok(double r) { return r >= 0 && r <= 1; }

/* Cosine thresholds live in [-1, 1]; the slack covers float rounding of a
 * score of exactly +-1 and a target just above the highest impostor. */
#define THR_SLACK 1e-6
static bool thr_ok(double t) { return t >= -1 - THR_SLACK && t <= 1 + THR_SLACK; }

/* A target must agree with the ROC points: its threshold is the lowest with
 * FAR <= far, so points below it have FAR > far and points above it FAR <=
 * far (relative slack for the 9 printed digits); its support is
 * floor(far * impostor pairs). A file whose 1e-3 target says -0.9 while
 * the points say FAR 1.0 there is refused. */
static bool target_ok(const sl_calib_target *g, const sl_calib_table *t)
{
    double want = floor(g->far * (double)t->n_impostor + 1e-9);
    if (!thr_ok(g->threshold) || fabs((double)g->support - want) > 1)
        return false;
    for (size_t i = 0; i < t->n; i++) {
        const sl_roc_point *p = &t->pts[i];
        if (p->threshold < g->threshold - THR_SLACK && !(p->far > g->far * (1 - 1e-6)))
            return false;
        if (p->threshold > g->threshold + THR_SLACK && !(p->far <= g->far * (1 + 1e-6)))
            return false;
    }
    return true;
}

/* Every rule of docs/calibration.md ("Validation at load") that is not
 * about JSON types: counts, rates, cosine range, monotone points, targets
 * that agree with the points. */
static bool table_ok(const sl_calib_table *t)
{
    if (!sl__calib_mode_ok(t->mode) || t->n_genuine == 0 || t->n_impostor == 0 || !t->pts ||
        t->n < 1 || t->n > SL_CALIB_MAX_POINTS || t->n_targets > SL_CALIB_MAX_TARGETS)
        return false;
    const sl_roc_point *p = t->pts;
    for (size_t i = 0; i < t->n; i++)
        if (!rate_ok(p[i].far) || !rate_ok(p[i].frr) || !thr_ok(p[i].threshold) ||
            (i > 0 && (p[i].threshold <= p[i - 1].threshold || p[i].far > p[i - 1].far ||
                       p[i].frr < p[i - 1].frr)))
            return false;
    for (size_t k = 0; k < t->n_targets; k++) {
        const sl_calib_target *g = &t->targets[k];
        /* lower FAR, higher threshold: the targets are one monotone curve */
        bool order = k == 0 || g->far >= t->targets[k - 1].far ||
                     g->threshold >= t->targets[k - 1].threshold - THR_SLACK;
        if (!(g->far > 0 && g->far <= 1) || !rate_ok(g->frr) || !order || !target_ok(g, t))
            return false;
    }
    return true;
}

sl_status sl_calib_validate(const sl_calib *c)
{
    if (!c)
        return SL_ERR_INVALID;
    if (c->n_tables < 1 || c->n_tables > SL_CALIB_MAX_TABLES ||
        strnlen(c->model_id, sizeof(c->model_id)) == sizeof(c->model_id))
        return SL_ERR_FACE_CALIB_FORMAT;
    for (size_t i = 0; i < c->n_tables; i++) {
        if (!table_ok(&c->tables[i]))
            return SL_ERR_FACE_CALIB_FORMAT;
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->tables[j].mode, c->tables[i].mode) == 0)
                return SL_ERR_FACE_CALIB_FORMAT;
    }
    return SL_OK;
}

/* JSON -> table (types and sizes); table_ok() judges the values. */
static sl_status parse_table(sl_calib_table *t, const json_t *o)
{
    const json_t *pts = json_object_get(o, "points");
    const json_t *targets = json_object_get(o, "targets");
    const char *mode = json_string_value(json_object_get(o, "mode"));
    memset(t, 0, sizeof(*t));
    if (!json_is_object(o) || !sl__calib_mode_ok(mode) || !json_is_array(pts) ||
        json_array_size(pts) < 1 || json_array_size(pts) > SL_CALIB_MAX_POINTS ||
        (targets && (!json_is_array(targets) ||
                     json_array_size(targets) > SL_CALIB_MAX_TARGETS)) ||
        !get_count(o, "genuine", &t->n_genuine) ||
        !get_count(o, "impostor", &t->n_impostor))
        return SL_ERR_FACE_CALIB_FORMAT;
    sl__calib_copy_str(t->mode, sizeof(t->mode), mode);
    for (size_t k = 0; targets && k < json_array_size(targets); k++) {
        const json_t *e = json_array_get(targets, k);
        sl_calib_target *g = &t->targets[k];
        if (!json_is_object(e) || !get_num(json_object_get(e, "far"), &g->far) ||
            !get_num(json_object_get(e, "threshold"), &g->threshold) ||
            !get_num(json_object_get(e, "frr"), &g->frr) ||
            !get_count(e, "support", &g->support))
            return SL_ERR_FACE_CALIB_FORMAT;
        t->n_targets++;
    }
    size_t n = json_array_size(pts);
    sl_roc_point *p = sl__malloc(n * sizeof(*p));
    if (!p)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(pts, i);
        if (!json_is_array(e) || json_array_size(e) != 3 ||
            !get_num(json_array_get(e, 0), &p[i].threshold) ||
            !get_num(json_array_get(e, 1), &p[i].far) ||
            !get_num(json_array_get(e, 2), &p[i].frr)) {
            sl__free(p);
            return SL_ERR_FACE_CALIB_FORMAT;
        }
    }
    t->pts = p;
    t->n = n;
    if (!table_ok(t)) {
        sl__free(p);
        t->pts = NULL;
        t->n = 0;
        return SL_ERR_FACE_CALIB_FORMAT;
    }
    return SL_OK;
}

sl_status sl_calib_parse(sl_calib *out, const char *text, size_t len)
{
    if (!out || !text)
        return SL_ERR_INVALID;
    if (len > SL_CALIB_MAX_BYTES)
        return SL_ERR_TOO_LARGE;
    char err[128];
    json_t *root = sl_json_parse(text, len, err, sizeof(err));
    if (!root)
        return SL_ERR_FACE_CALIB_FORMAT;
    sl_status st = SL_ERR_FACE_CALIB_FORMAT;
    sl_calib c;
    memset(&c, 0, sizeof(c));
    const json_t *tables = json_object_get(root, "tables");
    const char *model = json_string_value(json_object_get(root, "model"));
    const char *source = json_string_value(json_object_get(root, "source"));
    const char *format = json_string_value(json_object_get(root, "format"));
    json_t *ver = json_object_get(root, "version");
    if (!format || strcmp(format, SL__CALIB_FORMAT) != 0 || !json_is_integer(ver) ||
        json_integer_value(ver) != SL__CALIB_VERSION || !model ||
        strlen(model) >= sizeof(c.model_id) || !json_is_array(tables) ||
        json_array_size(tables) < 1 || json_array_size(tables) > SL_CALIB_MAX_TABLES)
        goto out_free;
    sl__calib_copy_str(c.model_id, sizeof(c.model_id), model);
    sl__calib_copy_str(c.source, sizeof(c.source), source);
    for (size_t i = 0; i < json_array_size(tables); i++) {
        sl_calib_table t;
        st = parse_table(&t, json_array_get(tables, i));
        if (st != SL_OK)
            goto out_free;
        c.tables[c.n_tables++] = t;
        for (size_t j = 0; j + 1 < c.n_tables; j++)
            if (strcmp(c.tables[j].mode, t.mode) == 0) {
                st = SL_ERR_FACE_CALIB_FORMAT;
                goto out_free;
            }
    }
    *out = c;
    c.n_tables = 0;
    st = SL_OK;
out_free:
    sl_calib_free(&c);
    json_decref(root);
    return st;
}

sl_status sl_calib_load(sl_calib *out, const char *path)
{
    uint8_t *text;
    size_t len;
    if (!out || !path)
        return SL_ERR_INVALID;
    sl_status st = sl__read_file(path, SL_CALIB_MAX_BYTES, &text, &len);
    if (st != SL_OK)
        return st;
    st = sl_calib_parse(out, (const char *)text, len);
    sl__free(text);
    return st;
}
