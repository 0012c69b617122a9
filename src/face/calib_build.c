/*
 * calib_build.c -- building calibration tables from genuine and impostor
 * scores (exact targets at FAR 1e-1..1e-6, a thinned ROC) and writing their
 * JSON file. Development/ops tooling (eval_int.h): `shualian-dev eval
 * --calib-out` and `shualian-dev calib build` run it once per model and
 * data set; the engine only reads tables (calib.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "base/json.h"
#include "face/calib_int.h"
#include "face/eval_int.h"

#define CALIB_ROC_POINTS 1024

static const double std_fars[] = { 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6 };

sl_status sl__calib_init(sl_calib *c, const char *model_id, const char *source)
{
    if (!c)
        return SL_ERR_INVALID;
    memset(c, 0, sizeof(*c));
    if (model_id && strlen(model_id) >= sizeof(c->model_id))
        return SL_ERR_INVALID;
    sl__calib_copy_str(c->model_id, sizeof(c->model_id), model_id);
    sl__calib_copy_str(c->source, sizeof(c->source), source);
    return SL_OK;
}

sl_status sl__calib_add(sl_calib *c, const char *mode, const float *genuine,
                        size_t ng, const float *impostor, size_t ni)
{
    if (!c || !sl__calib_mode_ok(mode) || !genuine || !impostor || ng == 0 || ni == 0)
        return SL_ERR_INVALID;
    /* cosine scores only, and genuine pairs must score above impostors on
     * average: otherwise the files are swapped or not scores at all, and
     * the table would hand out thresholds that accept everyone */
    double gsum = 0, isum = 0;
    for (size_t i = 0; i < ng; i++) {
        if (!(genuine[i] >= -1.0f && genuine[i] <= 1.0f))
            return SL_ERR_INVALID;
        gsum += genuine[i];
    }
    for (size_t i = 0; i < ni; i++) {
        if (!(impostor[i] >= -1.0f && impostor[i] <= 1.0f))
            return SL_ERR_INVALID;
        isum += impostor[i];
    }
    if (gsum / (double)ng <= isum / (double)ni)
        return SL_ERR_INVALID;
    size_t slot = c->n_tables;
    for (size_t i = 0; i < c->n_tables; i++)
        if (strcmp(c->tables[i].mode, mode) == 0)
            slot = i;
    if (slot == SL_CALIB_MAX_TABLES)
        return SL_ERR_TOO_LARGE;

    sl_calib_table t;
    memset(&t, 0, sizeof(t));
    sl__calib_copy_str(t.mode, sizeof(t.mode), mode);
    t.n_genuine = ng;
    t.n_impostor = ni;
    sl__roc roc;
    sl_status st = sl__roc_compute(&roc, genuine, ng, impostor, ni, CALIB_ROC_POINTS);
    if (st != SL_OK)
        return st;
    /* drop the (+inf, 0, 1) point, reverse to ascending thresholds */
    t.n = roc.n - 1;
    if (t.n < 1 || t.n > SL_CALIB_MAX_POINTS) {
        st = t.n < 1 ? SL_ERR_INVALID : SL_ERR_INTERNAL;
        goto out_free_roc;
    }
    t.pts = sl__malloc(t.n * sizeof(*t.pts));
    if (!t.pts) {
        st = SL_ERR_NOMEM;
        goto out_free_roc;
    }
    for (size_t i = 0; i < t.n; i++)
        t.pts[i] = roc.pts[roc.n - 1 - i];

    double tar[SL_ARRAY_LEN(std_fars)], thr[SL_ARRAY_LEN(std_fars)];
    st = sl__metric_tar_at_far(tar, thr, std_fars, SL_ARRAY_LEN(std_fars),
                               genuine, ng, impostor, ni);
    if (st != SL_OK)
        goto out_free_pts;
    for (size_t k = 0; k < SL_ARRAY_LEN(std_fars); k++)
        t.targets[t.n_targets++] = (sl_calib_target){
            std_fars[k], thr[k], 1 - tar[k],
            (uint64_t)floor(std_fars[k] * (double)ni + 1e-9) };

    if (slot < c->n_tables)
        sl__free(c->tables[slot].pts);
    else
        c->n_tables++;
    c->tables[slot] = t;
    t.pts = NULL;
    st = SL_OK;
out_free_pts:
    sl__free(t.pts);
out_free_roc:
    sl__roc_free(&roc);
    return st;
}

/* ---- JSON ---- */

static json_t *num(double v)
{
    return sl_json_real(v, 9);
}

static json_t *table_json(const sl_calib_table *t)
{
    json_t *o = json_object(), *targets = json_array(), *pts = json_array();
    if (!o || !targets || !pts)
        goto out_fail;
    for (size_t k = 0; k < t->n_targets; k++) {
        const sl_calib_target *g = &t->targets[k];
        json_t *e = json_pack("{s:o, s:o, s:o, s:I}", "far", num(g->far),
                              "threshold", num(g->threshold), "frr", num(g->frr),
                              "support", (json_int_t)g->support);
        if (!e || json_array_append_new(targets, e))
            goto out_fail;
    }
    for (size_t i = 0; i < t->n; i++) {
        json_t *e = json_pack("[o, o, o]", num(t->pts[i].threshold),
                              num(t->pts[i].far), num(t->pts[i].frr));
        if (!e || json_array_append_new(pts, e))
            goto out_fail;
    }
    if (json_object_set_new(o, "mode", json_string(t->mode)) ||
        json_object_set_new(o, "genuine", json_integer((json_int_t)t->n_genuine)) ||
        json_object_set_new(o, "impostor", json_integer((json_int_t)t->n_impostor)))
        goto out_fail;
    /* set_new steals the value even when it fails */
    int bad = json_object_set_new(o, "targets", targets);
    targets = NULL;
    if (bad)
        goto out_fail;
    bad = json_object_set_new(o, "points", pts);
    pts = NULL;
    if (bad)
        goto out_fail;
    return o;
out_fail:
    json_decref(pts);
    json_decref(targets);
    json_decref(o);
    return NULL;
}

sl_status sl__calib_to_json(char **out, size_t *len, const sl_calib *c)
{
    if (!out || !len || !c || c->n_tables == 0)
        return SL_ERR_INVALID;
    sl_status st = SL_ERR_NOMEM;
    json_t *root = json_object(), *tables = json_array();
    if (!root || !tables)
        goto out_free;
    for (size_t i = 0; i < c->n_tables; i++) {
        json_t *t = table_json(&c->tables[i]);
        if (!t || json_array_append_new(tables, t))
            goto out_free;
    }
    if (json_object_set_new(root, "format", json_string(SL__CALIB_FORMAT)) ||
        json_object_set_new(root, "version", json_integer(SL__CALIB_VERSION)) ||
        json_object_set_new(root, "model", json_string(c->model_id)) ||
        json_object_set_new(root, "source", json_string(c->source)))
        goto out_free;
    if (json_object_set(root, "tables", tables))
        goto out_free;
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_COMPACT |
                                  JSON_REAL_PRECISION(9) | JSON_PRESERVE_ORDER);
    if (!text)
        goto out_free;
    size_t n = strlen(text);
    char *copy = sl__malloc(n + 2);
    if (copy) {
        memcpy(copy, text, n);
        copy[n] = '\n';
        copy[n + 1] = 0;
        *out = copy;
        *len = n + 1;
        st = SL_OK;
    }
    free(text);
out_free:
    json_decref(tables);
    json_decref(root);
    return st;
}

sl_status sl__calib_save(const sl_calib *c, const char *path)
{
    char *text;
    size_t len;
    if (!path)
        return SL_ERR_INVALID;
    sl_status st = sl__calib_to_json(&text, &len, c);
    if (st != SL_OK)
        return st;
    st = sl__write_file(path, text, len);
    sl__free(text);
    return st;
}
