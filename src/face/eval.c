/*
 * eval.c -- the evaluation driver (eval_int.h; `shualian-dev eval`).
 *
 * One run per model/data-set change: thousands of images, each embedded
 * exactly once (the embedder is the slow part: ~25 ms per image), then
 * O(n^2 * dim) for all pairs and rank-1 (5,544 images: 15.4 M pairs, a few
 * seconds). Paths are made canonical with realpath() so an image named by
 * both the tree and the pairs file is embedded once.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/base.h"
#include "base/json.h"
#include "face/eval_int.h"

#define EVAL_DEFAULT_MAX_IMAGES 200000
#define EVAL_PAIRS_MAX_BYTES    (64u << 20)
#define EVAL_NO_FACE_LISTED     200

enum img_state { IMG_PENDING = 0, IMG_OK, IMG_NO_FACE, IMG_FAILED };

struct img {
    char   *path;       /* canonical full path, owned                       */
    int32_t label;      /* identity index in the tree, -1 outside it        */
    int32_t canon;      /* index of the entry that holds the embedding      */
    uint8_t state;      /* enum img_state                                   */
    float   live;       /* PAD score                                        */
};

struct img_list {
    struct img *v;
    size_t      n, cap, max;
};

struct pair {
    int32_t fold;
    size_t  a, b;       /* indices into the image list                      */
    bool    same;
};

static void seterr(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

static sl_status list_push(struct img_list *l, const char *dir, const char *name,
                           int32_t label)
{
    if (l->n >= l->max)
        return SL_ERR_TOO_LARGE;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        struct img *v = sl__realloc(l->v, cap * sizeof(*v));
        if (!v)
            return SL_ERR_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    size_t len = strlen(dir) + 1 + strlen(name) + 1;
    char *p = sl__malloc(len);
    if (!p)
        return SL_ERR_NOMEM;
    snprintf(p, len, "%s/%s", dir, name);
    l->v[l->n++] = (struct img){ p, label, (int32_t)l->n, IMG_PENDING, NAN };
    return SL_OK;
}

static void list_free(struct img_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        sl__free(l->v[i].path);
    sl__free(l->v);
    memset(l, 0, sizeof(*l));
}

static bool is_image(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && name[0] != '.' &&
           (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0 ||
            strcasecmp(dot, ".png") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir: sub-folders (want_dirs) or image files. The caller
 * frees each name and the array. */
static sl_status list_dir(char ***out, size_t *n, const char *dir, bool want_dirs)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR ? SL_ERR_NOT_FOUND : SL_ERR_IO;
    sl_status st = SL_OK;
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char full[PATH_MAX];
        struct stat sb;
        if (snprintf(full, sizeof(full), "%s/%s", dir, e->d_name) >= (int)sizeof(full) ||
            stat(full, &sb) != 0)
            continue;
        if (want_dirs ? !S_ISDIR(sb.st_mode) : !(S_ISREG(sb.st_mode) && is_image(e->d_name)))
            continue;
        if (cnt == cap) {
            size_t nc = cap ? 2 * cap : 64;
            char **nv = sl__realloc(v, nc * sizeof(*nv));
            if (!nv) {
                st = SL_ERR_NOMEM;
                goto out_fail;
            }
            v = nv;
            cap = nc;
        }
        if (!(v[cnt] = sl__strdup(e->d_name))) {
            st = SL_ERR_NOMEM;
            goto out_fail;
        }
        cnt++;
    }
    closedir(d);
    if (cnt)
        qsort(v, cnt, sizeof(*v), cmp_str);
    *out = v;
    *n = cnt;
    return SL_OK;
out_fail:
    for (size_t i = 0; i < cnt; i++)
        sl__free(v[i]);
    sl__free(v);
    closedir(d);
    return st;
}

static void names_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sl__free(v[i]);
    sl__free(v);
}

/* Adds every image of dir (label for all). */
static sl_status add_images(struct img_list *l, const char *dir, int32_t label)
{
    char **names;
    size_t n;
    sl_status st = list_dir(&names, &n, dir, false);
    if (st != SL_OK)
        return st;
    for (size_t i = 0; st == SL_OK && i < n; i++)
        st = list_push(l, dir, names[i], label);
    names_free(names, n);
    return st;
}

static sl_status add_tree(struct img_list *l, const char *root, size_t *n_ids)
{
    char **ids;
    size_t n;
    sl_status st = list_dir(&ids, &n, root, true);
    if (st != SL_OK)
        return st;
    for (size_t i = 0; st == SL_OK && i < n; i++) {
        char dir[PATH_MAX];
        if (snprintf(dir, sizeof(dir), "%s/%s", root, ids[i]) >= (int)sizeof(dir))
            continue;
        st = add_images(l, dir, (int32_t)i);
    }
    *n_ids = n;
    names_free(ids, n);
    return st;
}

/* ---- pairs file ---- */

static sl_status parse_pairs(struct pair **out, size_t *np, struct img_list *l,
                             const char *path, const char *base, char *err,
                             size_t errcap)
{
    uint8_t *text;
    size_t len;
    sl_status st = sl__read_file(path, EVAL_PAIRS_MAX_BYTES, &text, &len);
    if (st != SL_OK) {
        seterr(err, errcap, "cannot read pairs file %s", path);
        return st;
    }
    struct pair *v = NULL;
    size_t n = 0, cap = 0, line = 0;
    for (char *p = (char *)text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        line++;
        size_t ll = strlen(p);
        if (ll && p[ll - 1] == '\r')
            p[--ll] = 0;
        if (ll == 0 || p[0] == '#' || (line == 1 && strncmp(p, "lfw_fold", 8) == 0))
            continue;
        char *f[4], *save = NULL;
        int k = 0;
        for (char *tok = strtok_r(p, "\t", &save); tok && k < 4; tok = strtok_r(NULL, "\t", &save))
            f[k++] = tok;
        char *end;
        long fold = k == 4 ? strtol(f[0], &end, 10) : 0;
        if (k != 4 || *end || fold < INT32_MIN || fold > INT32_MAX ||
            (strcmp(f[3], "0") != 0 && strcmp(f[3], "1") != 0) ||
            strtok_r(NULL, "\t", &save) != NULL) {
            seterr(err, errcap, "%s:%zu: want 4 tab-separated fields: "
                                "lfw_fold, path1, path2, same_person (0/1)", path, line);
            st = SL_ERR_INVALID;
            goto out_fail;
        }
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 1024;
            struct pair *nv = sl__realloc(v, nc * sizeof(*nv));
            if (!nv) {
                st = SL_ERR_NOMEM;
                goto out_fail;
            }
            v = nv;
            cap = nc;
        }
        v[n] = (struct pair){ (int32_t)fold, l->n, l->n + 1, f[3][0] == '1' };
        if ((st = list_push(l, base, f[1], -1)) != SL_OK ||
            (st = list_push(l, base, f[2], -1)) != SL_OK)
            goto out_fail;
        n++;
    }
    /* a missing image is the pairs file's error, not "no face" (checked
     * after the format, so a malformed line is reported first) */
    for (size_t i = 0; i < 2 * n; i++) {
        const char *img = l->v[l->n - 2 * n + i].path;
        struct stat sb;
        if (stat(img, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            seterr(err, errcap, "%s: pair %zu: no image file %s (pair paths are relative "
                                "to the pairs file's folder)", path, i / 2 + 1, img);
            st = SL_ERR_NOT_FOUND;
            goto out_fail;
        }
    }
    sl__free(text);
    *out = v;
    *np = n;
    return SL_OK;
out_fail:
    sl__free(v);
    sl__free(text);
    return st;
}

/* Entries with the same path share one embedding: canon points at the
 * first (tree entries come first). */
static sl_status dedupe(struct img_list *l)
{
    size_t *idx = sl__malloc(SL_MAX(l->n, (size_t)1) * sizeof(*idx));
    if (!idx)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < l->n; i++)
        idx[i] = i;
    /* bottom-up merge sort of the indices by (path, index): qsort has no
     * context argument in C17 */
    struct img *v = l->v;
    size_t n = l->n;
    size_t *tmp = sl__malloc(SL_MAX(n, (size_t)1) * sizeof(*tmp));
    if (!tmp) {
        sl__free(idx);
        return SL_ERR_NOMEM;
    }
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = SL_MIN(lo + w, n), hi = SL_MIN(lo + 2 * w, n);
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi) {
                int c = strcmp(v[idx[a]].path, v[idx[b]].path);
                tmp[k++] = (c < 0 || (c == 0 && idx[a] < idx[b])) ? idx[a++] : idx[b++];
            }
            while (a < mid)
                tmp[k++] = idx[a++];
            while (b < hi)
                tmp[k++] = idx[b++];
        }
        size_t *s = idx;
        idx = tmp;
        tmp = s;
    }
    for (size_t i = 0; i < n; i++) {
        size_t cur = idx[i];
        if (i > 0 && strcmp(v[cur].path, v[idx[i - 1]].path) == 0)
            v[cur].canon = v[idx[i - 1]].canon;
        else
            v[cur].canon = (int32_t)cur;
    }
    sl__free(tmp);
    sl__free(idx);
    return SL_OK;
}

/* ---- helpers for JSON ---- */

static json_t *num_or_null(bool ok, double v)
{
    return ok ? sl_json_real(v, 6) : json_null();
}

static sl_status write_text(const char *path, const char *text, size_t len)
{
    return path ? sl__write_file(path, text, len) : SL_OK;
}

/* ---- the run ---- */

struct run {
    const sl__eval_opts    *o;
    const sl__eval_embedder *e;
    struct img_list         imgs;      /* tree images, then pair images     */
    struct img_list         pad;       /* real, then spoof                  */
    size_t                  n_tree, n_ids, n_pad_real;
    struct pair            *pairs;
    size_t                  n_pairs;
    float                  *emb;       /* imgs.n x dim                      */
    json_t                 *res;
};

static sl_status embed_all(struct run *r, size_t *noface, size_t *failed)
{
    size_t todo = 0, done = 0;
    for (size_t i = 0; i < r->imgs.n; i++)
        todo += r->imgs.v[i].canon == (int32_t)i;
    *noface = *failed = 0;
    for (size_t i = 0; i < r->imgs.n; i++) {
        struct img *m = &r->imgs.v[i];
        if (m->canon != (int32_t)i)
            continue;
        sl_status st = r->e->embed(r->e->ctx, m->path, r->emb + i * r->e->dim, r->e->dim);
        if (st == SL_OK && sl_face_l2_normalise(r->emb + i * r->e->dim, r->e->dim) != SL_OK)
            st = SL_ERR_INVALID;            /* zero or non-finite embedding */
        m->state = st == SL_OK ? IMG_OK : st == SL_NO_FACE ? IMG_NO_FACE : IMG_FAILED;
        *noface += m->state == IMG_NO_FACE;
        *failed += m->state == IMG_FAILED;
        if (st == SL_ERR_NOMEM)
            return st;
        done++;
        if (r->o->progress)
            r->o->progress(r->o->progress_ctx, "embedding", done, todo, *noface,
                           done == todo);
    }
    for (size_t i = 0; i < r->imgs.n; i++)
        r->imgs.v[i].state = r->imgs.v[r->imgs.v[i].canon].state;
    return SL_OK;
}

static sl_status eval_pairs(struct run *r)
{
    size_t n = r->n_pairs, missing = 0;
    float *sc = sl__malloc(SL_MAX(n, (size_t)1) * sizeof(float));
    bool *same = sl__malloc(SL_MAX(n, (size_t)1) * sizeof(bool));
    int32_t *fold = sl__malloc(SL_MAX(n, (size_t)1) * sizeof(int32_t));
    sl_status st = SL_ERR_NOMEM;
    if (!sc || !same || !fold)
        goto out;
    size_t dim = r->e->dim;
    for (size_t i = 0; i < n; i++) {
        const struct img *a = &r->imgs.v[r->pairs[i].a], *b = &r->imgs.v[r->pairs[i].b];
        same[i] = r->pairs[i].same;
        fold[i] = r->pairs[i].fold;
        if (a->state != IMG_OK || b->state != IMG_OK) {
            sc[i] = -2.0f;          /* no face: the pair is judged "different" */
            missing++;
            continue;
        }
        sc[i] = (float)sl_face_cosine(r->emb + (size_t)a->canon * dim,
                                      r->emb + (size_t)b->canon * dim, dim);
    }
    sl__kfold_result k = { 0, 0, 0 };
    double per[64];
    sl_status kst = n ? sl__metric_kfold_accuracy(&k, per, SL_ARRAY_LEN(per), sc, same, fold, n)
                      : SL_ERR_INVALID;
    if (kst == SL_ERR_NOMEM)
        goto out;
    json_t *folds = json_array();
    for (size_t f = 0; kst == SL_OK && f < k.nfolds && f < SL_ARRAY_LEN(per); f++)
        json_array_append_new(folds, sl_json_real(per[f], 6));
    json_object_set_new(r->res, "lfw_accuracy", num_or_null(kst == SL_OK, k.mean));
    json_object_set_new(r->res, "lfw_std", num_or_null(kst == SL_OK, k.std));
    json_object_set_new(r->res, "lfw_folds", folds);
    json_object_set_new(r->res, "pairs", json_integer((json_int_t)n));
    json_object_set_new(r->res, "pairs_no_face", json_integer((json_int_t)missing));
    st = SL_OK;
out:
    sl__free(fold);
    sl__free(same);
    sl__free(sc);
    return st;
}

static sl_status eval_all_pairs(struct run *r, char *err, size_t errcap)
{
    size_t dim = r->e->dim, m = 0;
    sl_status st = SL_ERR_NOMEM;
    float *e = NULL, *gen = NULL, *imp = NULL;
    int32_t *lab = NULL;
    size_t ng = 0, ni = 0;
    sl__roc roc = { 0, NULL };
    json_t *tar = json_object(), *thr = json_object(), *sup = json_object();
    if (!tar || !thr || !sup)
        goto out;
    e = sl__malloc(SL_MAX(r->n_tree, (size_t)1) * dim * sizeof(float));
    lab = sl__malloc(SL_MAX(r->n_tree, (size_t)1) * sizeof(int32_t));
    if (!e || !lab)
        goto out;
    for (size_t i = 0; i < r->n_tree; i++)
        if (r->imgs.v[i].state == IMG_OK) {
            memcpy(e + m * dim, r->emb + (size_t)r->imgs.v[i].canon * dim, dim * sizeof(float));
            lab[m++] = r->imgs.v[i].label;
        }
    static const double fars[] = { 1e-2, 1e-3, 1e-4 };
    static const char *const keys[] = { "1e-2", "1e-3", "1e-4" };
    double t[3], th[3], eer = 0, eer_t = 0, rank1 = 0;
    size_t probes = 0;
    bool have_pairs = false, have_rank1 = false;
    json_object_set_new(r->res, "all_pairs_skipped", json_boolean(m > SL__EVAL_ALL_PAIRS_MAX));
    if (m >= 2 && m <= SL__EVAL_ALL_PAIRS_MAX) {
        st = sl__metric_all_pairs(&gen, &ng, &imp, &ni, e, m, dim, lab);
        if (st != SL_OK)
            goto out;
        have_pairs = ng > 0 && ni > 0;
        st = sl__metric_rank1(&rank1, &probes, e, m, dim, lab);
        if (st == SL_ERR_NOMEM)
            goto out;
        have_rank1 = st == SL_OK;
    }
    if (have_pairs) {
        if ((st = sl__metric_tar_at_far(t, th, fars, 3, gen, ng, imp, ni)) != SL_OK ||
            (st = sl__metric_eer(&eer, &eer_t, gen, ng, imp, ni)) != SL_OK ||
            (st = sl__roc_compute(&roc, gen, ng, imp, ni, 2000)) != SL_OK)
            goto out;
    }
    for (int k = 0; k < 3; k++) {
        json_object_set_new(tar, keys[k], num_or_null(have_pairs, t[k]));
        json_object_set_new(thr, keys[k], num_or_null(have_pairs, th[k]));
        json_object_set_new(sup, keys[k], have_pairs
            ? json_integer((json_int_t)floor(fars[k] * (double)ni + 1e-9)) : json_null());
    }
    json_object_set_new(r->res, "genuine_pairs", json_integer((json_int_t)ng));
    json_object_set_new(r->res, "impostor_pairs", json_integer((json_int_t)ni));
    json_object_set(r->res, "tar_at_far", tar);
    json_object_set(r->res, "threshold_at_far", thr);
    json_object_set(r->res, "support_at_far", sup);
    json_object_set_new(r->res, "eer", num_or_null(have_pairs, eer));
    json_object_set_new(r->res, "eer_threshold", num_or_null(have_pairs, eer_t));
    json_object_set_new(r->res, "rank1", num_or_null(have_rank1, rank1));
    json_object_set_new(r->res, "rank1_probes", json_integer((json_int_t)probes));

    if (have_pairs && (r->o->det_svg || r->o->roc_svg)) {
        sl__plot_curve c = { r->o->model_id ? r->o->model_id : "model", roc.pts, roc.n };
        for (int k = 0; k < 2; k++) {
            const char *path = k ? r->o->roc_svg : r->o->det_svg;
            if (!path)
                continue;
            char *svg;
            size_t len;
            st = sl__plot_svg(&svg, &len, k ? SL__PLOT_ROC : SL__PLOT_DET,
                              k ? "ROC: all pairs" : "DET: all pairs", &c, 1);
            if (st != SL_OK)
                goto out;
            st = write_text(path, svg, len);
            sl_face_free(svg);
            if (st != SL_OK) {
                seterr(err, errcap, "cannot write %s", path);
                goto out;
            }
        }
    }
    if (have_pairs && r->o->calib_out) {
        sl_calib c;
        char src[128];
        /* the provenance text the shipped table carries (kept when the
         * command moved to shualian-dev: tables stay byte-identical) */
        snprintf(src, sizeof(src), "shualian eval, all pairs of %zu images", m);
        st = sl__calib_init(&c, r->o->model_id ? r->o->model_id : "unknown", src);
        if (st == SL_OK && (st = sl__calib_add(&c, "live", gen, ng, imp, ni)) == SL_OK)
            st = sl__calib_save(&c, r->o->calib_out);
        sl_calib_free(&c);
        if (st != SL_OK) {
            seterr(err, errcap, "cannot write calibration %s", r->o->calib_out);
            goto out;
        }
    }
    st = SL_OK;
out:
    sl__roc_free(&roc);
    json_decref(sup);
    json_decref(thr);
    json_decref(tar);
    sl_face_free(imp);
    sl_face_free(gen);
    sl__free(lab);
    sl__free(e);
    return st;
}

static sl_status eval_pad(struct run *r)
{
    size_t n = r->pad.n, nl = 0, na = 0, noface = 0;
    float *live = sl__malloc(SL_MAX(n, (size_t)1) * sizeof(float));
    float *att = sl__malloc(SL_MAX(n, (size_t)1) * sizeof(float));
    sl_status st = SL_ERR_NOMEM;
    if (!live || !att)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct img *m = &r->pad.v[i];
        float s = NAN;
        sl_status ls = r->e->live_score(r->e->ctx, m->path, &s);
        if (ls == SL_ERR_NOMEM)
            goto out;
        bool ok = ls == SL_OK && isfinite(s);
        m->state = ok ? IMG_OK : ls == SL_NO_FACE ? IMG_NO_FACE : IMG_FAILED;
        noface += m->state == IMG_NO_FACE;
        if (ok) {
            if (i < r->n_pad_real)
                live[nl++] = s;
            else
                att[na++] = s;
        }
        if (r->o->progress)
            r->o->progress(r->o->progress_ctx, "pad", i + 1, n, noface, i + 1 == n);
    }
    sl__pad_metrics pm = { 0, 0, 0, 0 };
    bool ok = nl > 0 && na > 0 &&
              sl__metric_pad(&pm, r->o->pad_threshold, live, nl, att, na) == SL_OK;
    json_object_set_new(r->res, "pad_real", json_integer((json_int_t)r->n_pad_real));
    json_object_set_new(r->res, "pad_spoof", json_integer((json_int_t)(n - r->n_pad_real)));
    json_object_set_new(r->res, "pad_no_face", json_integer((json_int_t)noface));
    json_object_set_new(r->res, "pad_threshold", sl_json_real(r->o->pad_threshold, 6));
    json_object_set_new(r->res, "apcer", num_or_null(ok, pm.apcer));
    json_object_set_new(r->res, "bpcer", num_or_null(ok, pm.bpcer));
    json_object_set_new(r->res, "acer", num_or_null(ok, pm.acer));
    json_object_set_new(r->res, "auc", num_or_null(ok, pm.auc));
    st = SL_OK;
out:
    sl__free(att);
    sl__free(live);
    return st;
}

/* realpath() of a directory into out; SL_ERR_NOT_FOUND if it is missing. */
static sl_status canon_dir(char out[PATH_MAX], const char *dir, char *err, size_t errcap)
{
    if (!realpath(dir, out)) {
        seterr(err, errcap, "cannot open %s", dir);
        return errno == ENOENT ? SL_ERR_NOT_FOUND : SL_ERR_IO;
    }
    return SL_OK;
}

sl_status sl__eval_run(json_t **out, const sl__eval_opts *o,
                       const sl__eval_embedder *e, char *err, size_t errcap)
{
    if (!out || !o || !e || (o->root || o->pairs ? !e->embed || e->dim == 0 ||
                             e->dim > SL_FACE_TEMPLATE_MAX_DIM : false) ||
        (o->pad_root && !e->live_score) || (!o->root && !o->pairs && !o->pad_root))
        return SL_ERR_INVALID;
    sl_status st = SL_ERR_NOMEM;
    struct run r;
    memset(&r, 0, sizeof(r));
    r.o = o;
    r.e = e;
    r.imgs.max = r.pad.max = o->max_images ? o->max_images : EVAL_DEFAULT_MAX_IMAGES;
    uint64_t t0 = sl_time_mono_ns();
    if (!(r.res = json_object()))
        goto out;

    char dir[PATH_MAX], base[PATH_MAX];
    if (o->root) {
        if ((st = canon_dir(dir, o->root, err, errcap)) != SL_OK)
            goto out;
        if ((st = add_tree(&r.imgs, dir, &r.n_ids)) != SL_OK) {
            seterr(err, errcap, "cannot list %s (or more than %zu images)", o->root, r.imgs.max);
            goto out;
        }
        if (r.imgs.n == 0) {
            seterr(err, errcap, "no images in %s (want %s/<identity>/<image>.jpg or .png)",
                   o->root, o->root);
            st = SL_ERR_INVALID;
            goto out;
        }
        r.n_tree = r.imgs.n;
    }
    if (o->pairs) {
        if (o->pairs_base) {
            snprintf(base, sizeof(base), "%s", o->pairs_base);
        } else {
            snprintf(base, sizeof(base), "%s", o->pairs);
            char *slash = strrchr(base, '/');
            if (slash)
                *slash = 0;
            else
                snprintf(base, sizeof(base), ".");
        }
        if ((st = canon_dir(dir, base, err, errcap)) != SL_OK)
            goto out;
        if ((st = parse_pairs(&r.pairs, &r.n_pairs, &r.imgs, o->pairs, dir, err, errcap)) != SL_OK)
            goto out;
    }
    if ((st = dedupe(&r.imgs)) != SL_OK)
        goto out;
    if (r.imgs.n) {
        size_t cells;
        if (sl__mul_overflow(r.imgs.n, e->dim * sizeof(float), &cells)) {
            st = SL_ERR_TOO_LARGE;
            goto out;
        }
        if (!(r.emb = sl__calloc(r.imgs.n, e->dim * sizeof(float)))) {
            st = SL_ERR_NOMEM;
            goto out;
        }
        size_t noface, failed;
        if ((st = embed_all(&r, &noface, &failed)) != SL_OK)
            goto out;
        size_t unique = 0;
        json_t *list = json_array();
        for (size_t i = 0; i < r.imgs.n; i++) {
            if (r.imgs.v[i].canon != (int32_t)i)
                continue;
            unique++;
            if (r.imgs.v[i].state != IMG_OK && json_array_size(list) < EVAL_NO_FACE_LISTED)
                json_array_append_new(list, sl_json_text(r.imgs.v[i].path));
        }
        json_object_set_new(r.res, "images", json_integer((json_int_t)unique));
        json_object_set_new(r.res, "identities", json_integer((json_int_t)r.n_ids));
        json_object_set_new(r.res, "no_face", json_integer((json_int_t)noface));
        json_object_set_new(r.res, "failed", json_integer((json_int_t)failed));
        json_object_set_new(r.res, "no_face_images", list);
    } else {
        json_object_set_new(r.res, "images", json_integer(0));
        json_object_set_new(r.res, "no_face", json_integer(0));
    }
    json_object_set_new(r.res, "lfw_accuracy", json_null());
    json_object_set_new(r.res, "tar_at_far", json_null());
    json_object_set_new(r.res, "eer", json_null());
    json_object_set_new(r.res, "rank1", json_null());
    if (o->pairs && (st = eval_pairs(&r)) != SL_OK)
        goto out;
    if (o->root && (st = eval_all_pairs(&r, err, errcap)) != SL_OK)
        goto out;
    if (o->pad_root) {
        if ((st = canon_dir(dir, o->pad_root, err, errcap)) != SL_OK)
            goto out;
        char sub[PATH_MAX + 8];
        snprintf(sub, sizeof(sub), "%s/real", dir);
        if ((st = add_images(&r.pad, sub, 1)) != SL_OK) {
            seterr(err, errcap, "cannot list %s", sub);
            goto out;
        }
        r.n_pad_real = r.pad.n;
        snprintf(sub, sizeof(sub), "%s/spoof", dir);
        if ((st = add_images(&r.pad, sub, 0)) != SL_OK) {
            seterr(err, errcap, "cannot list %s", sub);
            goto out;
        }
        if ((st = eval_pad(&r)) != SL_OK)
            goto out;
    }
    json_object_set_new(r.res, "seconds",
                        sl_json_real((double)(sl_time_mono_ns() - t0) / 1e9, 4));
    *out = r.res;
    r.res = NULL;
    st = SL_OK;
out:
    json_decref(r.res);
    sl__free(r.emb);
    sl__free(r.pairs);
    list_free(&r.pad);
    list_free(&r.imgs);
    return st;
}

static void row(FILE *f, const char *name, const json_t *v, bool percent)
{
    if (json_is_number(v))
        fprintf(f, "  %-28s %10.*f%s\n", name, percent ? 2 : 4,
                json_number_value(v) * (percent ? 100 : 1), percent ? " %" : "");
    else if (v)
        fprintf(f, "  %-28s %10s\n", name, "-");
}

void sl__eval_print_summary(FILE *f, const json_t *res)
{
    if (!f || !res)
        return;
    const json_t *tar = json_object_get(res, "tar_at_far");
    const json_t *thr = json_object_get(res, "threshold_at_far");
    fprintf(f, "\n  %-28s %10s\n", "metric", "value");
    fprintf(f, "  %-28s %10s\n", "----------------------------", "----------");
    fprintf(f, "  %-28s %10lld\n", "images", (long long)sl_json_int(res, "images", 0));
    fprintf(f, "  %-28s %10lld\n", "images with no face", (long long)sl_json_int(res, "no_face", 0));
    row(f, "LFW pairs accuracy (mean)", json_object_get(res, "lfw_accuracy"), true);
    row(f, "LFW pairs accuracy (std)", json_object_get(res, "lfw_std"), true);
    static const char *const keys[] = { "1e-2", "1e-3", "1e-4" };
    for (int k = 0; k < 3; k++) {
        char name[64];
        snprintf(name, sizeof(name), "TAR @ FAR %s", keys[k]);
        row(f, name, json_object_get(tar, keys[k]), true);
        snprintf(name, sizeof(name), "  threshold @ FAR %s", keys[k]);
        row(f, name, json_object_get(thr, keys[k]), false);
    }
    row(f, "EER", json_object_get(res, "eer"), true);
    row(f, "rank-1 identification", json_object_get(res, "rank1"), true);
    if (json_object_get(res, "apcer")) {
        row(f, "PAD APCER", json_object_get(res, "apcer"), true);
        row(f, "PAD BPCER", json_object_get(res, "bpcer"), true);
        row(f, "PAD ACER", json_object_get(res, "acer"), true);
        row(f, "PAD AUC", json_object_get(res, "auc"), false);
    }
    fputc('\n', f);
}
