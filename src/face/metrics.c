/*
 * metrics.c -- verification, identification and PAD metrics for
 * `shualian-dev eval` and for building calibration tables (internal:
 * eval_int.h, not exported).
 *
 * Workload: one evaluation run over a dev set, e.g. 5,544 images give
 * 15.4 M all-pairs impostor scores. Everything works on sorted copies of the
 * score arrays (O(n log n)); nothing is binned, so small hand-computed cases
 * give exact answers. Memory: one float copy of each score array, plus the
 * (possibly thinned) ROC.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "face/eval_int.h"

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Float bits mapped so that unsigned order is numeric order. */
static uint32_t float_key(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}

static float key_float(uint32_t k)
{
    uint32_t u = (k & 0x80000000u) ? k & 0x7fffffffu : ~k;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* LSD radix sort, 3 passes of 11 bits: 15 M scores in ~0.2 s where qsort
 * takes seconds. tmp has n entries. */
static void radix_sort(uint32_t *a, uint32_t *tmp, size_t n)
{
    size_t count[2048];
    for (int pass = 0; pass < 3; pass++) {
        int shift = pass * 11;
        memset(count, 0, sizeof(count));
        for (size_t i = 0; i < n; i++)
            count[(a[i] >> shift) & 2047]++;
        size_t sum = 0;
        for (size_t b = 0; b < 2048; b++) {
            size_t c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[(a[i] >> shift) & 2047]++] = a[i];
        uint32_t *s = a;
        a = tmp;
        tmp = s;
    }
    /* three passes: the result is in the original tmp; copy back */
    memcpy(tmp, a, n * sizeof(*a));
}

/* A sorted (ascending) copy of n finite scores; *out owned by the caller. */
static sl_status sorted_copy(float **out, const float *in, size_t n)
{
    if (!in || n == 0)
        return SL_ERR_INVALID;
    size_t bytes;
    if (sl__mul_overflow(n, sizeof(float), &bytes))
        return SL_ERR_TOO_LARGE;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(in[i]))
            return SL_ERR_INVALID;
    float *c = sl__malloc(bytes);
    if (!c)
        return SL_ERR_NOMEM;
    if (n < 256) {
        memcpy(c, in, bytes);
        qsort(c, n, sizeof(float), cmp_float);
        *out = c;
        return SL_OK;
    }
    uint32_t *k = sl__malloc(bytes);
    if (!k) {
        sl__free(c);
        return SL_ERR_NOMEM;
    }
    uint32_t *ck = (uint32_t *)(void *)c;
    for (size_t i = 0; i < n; i++)
        ck[i] = float_key(in[i]);
    radix_sort(ck, k, n);
    for (size_t i = 0; i < n; i++)
        c[i] = key_float(ck[i]);
    sl__free(k);
    *out = c;
    return SL_OK;
}

/* First index with a[i] >= v (a ascending). */
static size_t lower_bound(const float *a, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* First index with a[i] > v. */
static size_t upper_bound(const float *a, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- walking the exact ROC from the highest threshold down ---- */

struct roc_walk {
    const float *g, *im;     /* sorted ascending                           */
    size_t ng, ni;
    size_t gabove, iabove;   /* scores >= the current threshold            */
};

/* Moves to the next lower distinct score; false when none is left. */
static bool walk_next(struct roc_walk *w, sl_roc_point *p)
{
    bool hg = w->gabove < w->ng, hi = w->iabove < w->ni;
    if (!hg && !hi)
        return false;
    float gv = hg ? w->g[w->ng - 1 - w->gabove] : -INFINITY;
    float iv = hi ? w->im[w->ni - 1 - w->iabove] : -INFINITY;
    float v = SL_MAX(gv, iv);
    while (w->gabove < w->ng && w->g[w->ng - 1 - w->gabove] >= v)
        w->gabove++;
    while (w->iabove < w->ni && w->im[w->ni - 1 - w->iabove] >= v)
        w->iabove++;
    p->threshold = v;
    p->far = (double)w->iabove / (double)w->ni;
    p->frr = (double)(w->ng - w->gabove) / (double)w->ng;
    return true;
}

static bool keep_point(const sl_roc_point *last, const sl_roc_point *p)
{
    if (fabs(p->frr - last->frr) >= 0.001)
        return true;
    if (last->far <= 0)
        return p->far > 0;
    return fabs(log10(p->far) - log10(last->far)) >= 0.01;
}

sl_status sl__roc_compute(sl__roc *out, const float *genuine, size_t ng,
                          const float *impostor, size_t ni, size_t max_points)
{
    float *g = NULL, *im = NULL;
    sl_roc_point *pts = NULL;
    sl_status st;
    if (!out)
        return SL_ERR_INVALID;
    if ((st = sorted_copy(&g, genuine, ng)) != SL_OK)
        goto out;
    if ((st = sorted_copy(&im, impostor, ni)) != SL_OK)
        goto out_free_g;

    /* distinct scores decide between exact and thinned */
    size_t distinct = 0;
    struct roc_walk w = { g, im, ng, ni, 0, 0 };
    sl_roc_point p;
    while (walk_next(&w, &p))
        distinct++;
    bool thin = max_points != 0 && distinct + 1 > SL_MAX(max_points, (size_t)16);

    size_t cap = thin ? 256 : distinct + 1, n = 0;
    pts = sl__malloc(cap * sizeof(*pts));
    if (!pts) {
        st = SL_ERR_NOMEM;
        goto out_free_im;
    }
    pts[n++] = (sl_roc_point){ INFINITY, 0.0, 1.0 };
    w = (struct roc_walk){ g, im, ng, ni, 0, 0 };
    size_t seen = 0;
    while (walk_next(&w, &p)) {
        seen++;
        if (thin && seen != distinct && !keep_point(&pts[n - 1], &p))
            continue;
        if (n == cap) {
            sl_roc_point *np = sl__realloc(pts, 2 * cap * sizeof(*pts));
            if (!np) {
                st = SL_ERR_NOMEM;
                goto out_free_pts;
            }
            pts = np;
            cap *= 2;
        }
        pts[n++] = p;
    }
    out->n = n;
    out->pts = pts;
    pts = NULL;
    st = SL_OK;
out_free_pts:
    sl__free(pts);
out_free_im:
    sl__free(im);
out_free_g:
    sl__free(g);
out:
    return st;
}

void sl__roc_free(sl__roc *roc)
{
    if (!roc)
        return;
    sl__free(roc->pts);
    roc->pts = NULL;
    roc->n = 0;
}

sl_status sl__metric_tar_at_far(double *tar, double *thr, const double *fars,
                                size_t nf, const float *genuine, size_t ng,
                                const float *impostor, size_t ni)
{
    float *g = NULL, *im = NULL;
    sl_status st;
    if (!tar || !fars || nf == 0)
        return SL_ERR_INVALID;
    for (size_t k = 0; k < nf; k++)
        if (!(fars[k] > 0 && fars[k] <= 1))
            return SL_ERR_INVALID;
    if ((st = sorted_copy(&g, genuine, ng)) != SL_OK)
        goto out;
    if ((st = sorted_copy(&im, impostor, ni)) != SL_OK)
        goto out_free_g;
    for (size_t k = 0; k < nf; k++) {
        /* allowed false accepts; the epsilon absorbs 1e-3 * 1000 = 0.999.. */
        double allowed = floor(fars[k] * (double)ni + 1e-9);
        if (allowed >= (double)ni) {
            tar[k] = 1.0;
            if (thr)
                thr[k] = -INFINITY;
            continue;
        }
        float v = im[ni - 1 - (size_t)allowed];
        tar[k] = (double)(ng - upper_bound(g, ng, v)) / (double)ng;
        if (thr)
            thr[k] = nextafterf(v, INFINITY);
    }
    sl__free(im);
out_free_g:
    sl__free(g);
out:
    return st;
}

sl_status sl__metric_eer(double *eer, double *thr, const float *genuine,
                         size_t ng, const float *impostor, size_t ni)
{
    float *g = NULL, *im = NULL;
    sl_status st;
    if (!eer)
        return SL_ERR_INVALID;
    if ((st = sorted_copy(&g, genuine, ng)) != SL_OK)
        goto out;
    if ((st = sorted_copy(&im, impostor, ni)) != SL_OK)
        goto out_free_g;
    struct roc_walk w = { g, im, ng, ni, 0, 0 };
    sl_roc_point prev = { INFINITY, 0, 1 }, p = prev;
    while (walk_next(&w, &p)) {
        if (p.far - p.frr >= 0)
            break;
        prev = p;
    }
    /* the last point has far = 1, frr = 0, so the loop always breaks */
    double d0 = prev.far - prev.frr, d1 = p.far - p.frr;
    double a = d1 - d0 > 0 ? -d0 / (d1 - d0) : 1.0;
    *eer = prev.far + a * (p.far - prev.far);
    if (thr)
        *thr = isfinite(prev.threshold)
                   ? prev.threshold + a * (p.threshold - prev.threshold)
                   : p.threshold;
    sl__free(im);
out_free_g:
    sl__free(g);
out:
    return st;
}

/* ---- k-fold accuracy ---- */

struct scored { float s; bool same; };

static int cmp_scored(const void *a, const void *b)
{
    return cmp_float(&((const struct scored *)a)->s, &((const struct scored *)b)->s);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Threshold with the best accuracy on tr (sorted by score, n > 0). */
static double best_threshold(const struct scored *tr, size_t n)
{
    long n_same = 0;
    for (size_t i = 0; i < n; i++)
        n_same += tr[i].same;
    long correct = n_same, best = correct;    /* t below min: accept all */
    double best_t = (double)tr[0].s - 1.0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && tr[j].s == tr[i].s) {
            correct += tr[j].same ? -1 : 1;  /* now rejected */
            j++;
        }
        if (correct > best) {
            best = correct;
            best_t = j < n ? ((double)tr[i].s + tr[j].s) / 2 : (double)tr[i].s + 1.0;
        }
        i = j;
    }
    return best_t;
}

sl_status sl__metric_kfold_accuracy(sl__kfold_result *out, double *per_fold,
                                    size_t cap, const float *score,
                                    const bool *same, const int32_t *fold,
                                    size_t n)
{
    sl_status st = SL_OK;
    if (!out || !score || !same || !fold || n == 0)
        return SL_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(score[i]))
            return SL_ERR_INVALID;
    int32_t *ids = sl__malloc(n * sizeof(*ids));
    struct scored *tr = sl__malloc(n * sizeof(*tr));
    double *acc = sl__malloc(n * sizeof(*acc));
    if (!ids || !tr || !acc) {
        st = SL_ERR_NOMEM;
        goto out_free;
    }
    memcpy(ids, fold, n * sizeof(*ids));
    qsort(ids, n, sizeof(*ids), cmp_i32);
    size_t nfolds = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || ids[i] != ids[i - 1])
            ids[nfolds++] = ids[i];
    if (nfolds < 2) {
        st = SL_ERR_INVALID;
        goto out_free;
    }
    for (size_t f = 0; f < nfolds; f++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (fold[i] != ids[f])
                tr[m++] = (struct scored){ score[i], same[i] };
        qsort(tr, m, sizeof(*tr), cmp_scored);
        double t = best_threshold(tr, m);
        size_t tot = 0, ok = 0;
        for (size_t i = 0; i < n; i++) {
            if (fold[i] != ids[f])
                continue;
            tot++;
            ok += ((double)score[i] >= t) == same[i];
        }
        acc[f] = (double)ok / (double)tot;
    }
    double mean = 0, var = 0;
    for (size_t f = 0; f < nfolds; f++)
        mean += acc[f];
    mean /= (double)nfolds;
    for (size_t f = 0; f < nfolds; f++)
        var += (acc[f] - mean) * (acc[f] - mean);
    out->mean = mean;
    out->std = sqrt(var / (double)nfolds);
    out->nfolds = nfolds;
    if (per_fold)
        for (size_t f = 0; f < nfolds && f < cap; f++)
            per_fold[f] = acc[f];
out_free:
    sl__free(acc);
    sl__free(tr);
    sl__free(ids);
    return st;
}

/* ---- identification and pair generation ---- */

/* Per-row inverse norms (0 for a zero row); caller frees. */
static sl_status inv_norms(double **out, const float *emb, size_t n, size_t dim)
{
    double *r = sl__malloc(n * sizeof(*r));
    if (!r)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        double ss = 0;
        for (size_t k = 0; k < dim; k++) {
            float v = emb[i * dim + k];
            if (!isfinite(v)) {
                sl__free(r);
                return SL_ERR_INVALID;
            }
            ss += (double)v * v;
        }
        r[i] = ss > 0 ? 1.0 / sqrt(ss) : 0.0;
    }
    *out = r;
    return SL_OK;
}

/* Eight independent partial sums: lets the compiler vectorise without
 * -ffast-math. */
static double dot(const float *a, const float *b, size_t dim)
{
    float s[8] = { 0 };
    size_t k = 0;
    for (; k + 8 <= dim; k += 8)
        for (int j = 0; j < 8; j++)
            s[j] += a[k + j] * b[k + j];
    double r = 0;
    for (; k < dim; k++)
        r += (double)a[k] * b[k];
    for (int j = 0; j < 8; j++)
        r += s[j];
    return r;
}

/* How many entries of sorted equal v. */
static size_t label_count(const int32_t *sorted, size_t n, int32_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < v) lo = mid + 1; else hi = mid;
    }
    size_t a = lo;
    hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] <= v) lo = mid + 1; else hi = mid;
    }
    return lo - a;
}

static bool dims_ok(const float *emb, size_t n, size_t dim, const int32_t *label)
{
    size_t cells;
    return emb && label && n >= 2 && dim >= 1 &&
           !sl__mul_overflow(n, dim, &cells) && cells <= SIZE_MAX / sizeof(float);
}

sl_status sl__metric_rank1(double *rank1, size_t *probes, const float *emb,
                           size_t n, size_t dim, const int32_t *label)
{
    if (!rank1 || !probes || !dims_ok(emb, n, dim, label))
        return SL_ERR_INVALID;
    sl_status st;
    double *in = NULL;
    int32_t *sl = sl__malloc(n * sizeof(*sl));
    if (!sl)
        return SL_ERR_NOMEM;
    memcpy(sl, label, n * sizeof(*sl));
    qsort(sl, n, sizeof(*sl), cmp_i32);
    if ((st = inv_norms(&in, emb, n, dim)) != SL_OK)
        goto out_free_sl;
    size_t np = 0, hits = 0;
    for (size_t i = 0; i < n; i++) {
        if (label_count(sl, n, label[i]) < 2)
            continue;
        np++;
        double best = -INFINITY;
        size_t bj = SIZE_MAX;
        for (size_t j = 0; j < n; j++) {
            if (j == i || in[j] == 0)
                continue;
            double c = dot(emb + i * dim, emb + j * dim, dim) * in[i] * in[j];
            if (c > best) {
                best = c;
                bj = j;
            }
        }
        if (in[i] != 0 && bj != SIZE_MAX && label[bj] == label[i])
            hits++;
    }
    if (np == 0) {
        st = SL_ERR_INVALID;
        goto out_free_in;
    }
    *rank1 = (double)hits / (double)np;
    *probes = np;
out_free_in:
    sl__free(in);
out_free_sl:
    sl__free(sl);
    return st;
}

sl_status sl__metric_all_pairs(float **gen, size_t *ng, float **imp, size_t *ni,
                               const float *emb, size_t n, size_t dim,
                               const int32_t *label)
{
    if (!gen || !ng || !imp || !ni || !dims_ok(emb, n, dim, label))
        return SL_ERR_INVALID;
    sl_status st;
    double *in = NULL;
    float *g = NULL, *im = NULL;
    size_t total;
    if (sl__mul_overflow(n, n - 1, &total))
        return SL_ERR_TOO_LARGE;
    total /= 2;
    size_t n_gen = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            n_gen += label[i] == label[j];
    size_t n_imp = total - n_gen;
    if ((st = inv_norms(&in, emb, n, dim)) != SL_OK)
        goto out;
    g = sl__malloc(SL_MAX(n_gen, (size_t)1) * sizeof(float));
    im = sl__malloc(SL_MAX(n_imp, (size_t)1) * sizeof(float));
    if (!g || !im) {
        st = SL_ERR_NOMEM;
        goto out_free;
    }
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            float c = (float)(dot(emb + i * dim, emb + j * dim, dim) * in[i] * in[j]);
            if (label[i] == label[j])
                g[a++] = c;
            else
                im[b++] = c;
        }
    *gen = g;
    *imp = im;
    *ng = n_gen;
    *ni = n_imp;
    g = im = NULL;
out_free:
    sl__free(im);
    sl__free(g);
    sl__free(in);
out:
    return st;
}

sl_status sl__metric_pad(sl__pad_metrics *out, double thr, const float *live,
                         size_t nl, const float *attack, size_t na)
{
    float *l = NULL, *a = NULL;
    sl_status st;
    if (!out || isnan(thr))
        return SL_ERR_INVALID;
    if ((st = sorted_copy(&l, live, nl)) != SL_OK)
        goto out;
    if ((st = sorted_copy(&a, attack, na)) != SL_OK)
        goto out_free_l;
    out->apcer = (double)(na - lower_bound(a, na, thr)) / (double)na;
    out->bpcer = (double)lower_bound(l, nl, thr) / (double)nl;
    out->acer = (out->apcer + out->bpcer) / 2;
    double u = 0;
    for (size_t i = 0; i < nl; i++) {
        size_t below = lower_bound(a, na, l[i]);
        size_t eq = upper_bound(a, na, l[i]) - below;
        u += (double)below + 0.5 * (double)eq;
    }
    out->auc = u / ((double)nl * (double)na);
    sl__free(a);
out_free_l:
    sl__free(l);
out:
    return st;
}
