/*
 * ivf.c -- the IVF coarse quantiser: spherical k-means on a sample of the
 * live templates, every row assigned to its nearest centroid, per-list row
 * arrays; a query probes its nprobe nearest lists (docs/index.md).
 *
 * Workload: training runs the int8 batch kernel (centroids as the "gallery",
 * sample points as queries), so a 1M gallery trains in seconds; a search
 * scores the query against all centroids (fp32, nlist x pdim) and then
 * scans only the probed lists.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "index_int.h"

#define KM_ITERS   10u
#define KM_PER_LIST 48u    /* training sample: this many points per list   */
#define ASSIGN_Q   64u     /* points per batch-kernel call                 */

void sl__ix_ivf_free(struct sl__ix_ivf *v)
{
    if (!v)
        return;
    if (v->lists)
        for (uint32_t l = 0; l < v->nlist; l++)
            sl__free(v->lists[l].rows);
    sl__free(v->lists);
    sl__free(v->cent);
    sl__free(v->cent_i8);
    sl__free(v->cent_scale);
    sl__free(v);
}

static struct sl__ix_ivf *ivf_new(uint32_t nlist, uint32_t pdim)
{
    struct sl__ix_ivf *v = sl__calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->nlist = nlist;
    v->pdim = pdim;
    v->cent = sl__aligned_alloc(64, (size_t)nlist * pdim * sizeof(float));
    v->cent_i8 = sl__aligned_alloc(64, (size_t)nlist * pdim);
    v->cent_scale = sl__malloc(nlist * sizeof(float));
    v->lists = sl__calloc(nlist, sizeof(*v->lists));
    if (!v->cent || !v->cent_i8 || !v->cent_scale || !v->lists) {
        sl__ix_ivf_free(v);
        return NULL;
    }
    return v;
}

static void cent_quantize(struct sl__ix_ivf *v)
{
    for (uint32_t l = 0; l < v->nlist; l++) {
        int32_t sum;
        v->cent_scale[l] = sl__ix_quantize(v->cent + (size_t)l * v->pdim, v->pdim,
                                           v->cent_i8 + (size_t)l * v->pdim, &sum);
    }
}

/* Points to assign: fp32 unit vectors produced on demand. */
struct points {
    const sl_index            *ix;
    const struct sl__ix_rows *s;
    const uint32_t            *rows;   /* row numbers, or NULL: sample[]    */
    const float               *vecs;   /* n x pdim when rows is NULL        */
    size_t                     n;
};

struct assign_job {
    const struct points    *pts;
    const struct sl__ix_ivf *v;
    size_t                  begin, end;
    uint32_t               *out;      /* nearest list per point            */
    sl_status               st;
};

static void *assign_main(void *arg)
{
    struct assign_job *j = arg;
    const struct points *pt = j->pts;
    const sl_index *ix = pt->ix;
    const struct sl__ix_ivf *v = j->v;
    size_t pd = ix->pdim;
    float *qf = sl__aligned_alloc(64, ASSIGN_Q * pd * sizeof(float));
    int8_t *qi = sl__aligned_alloc(64, ASSIGN_Q * pd);
    uint8_t *qu = sl__aligned_alloc(64, ASSIGN_Q * pd);
    float *qs = sl__malloc(ASSIGN_Q * sizeof(float));
    float *sc = sl__malloc((size_t)v->nlist * ASSIGN_Q * sizeof(float));
    int32_t *vsum = sl__calloc(v->nlist, sizeof(int32_t));
    if (!qf || !qi || !qu || !qs || !sc || !vsum) {
        j->st = SL_ERR_NOMEM;
        goto out;
    }
    /* vpdpbusd-style kernels subtract 128*vsum of the "gallery" rows */
    for (uint32_t l = 0; l < v->nlist; l++) {
        int32_t s = 0;
        for (size_t i = 0; i < pd; i++)
            s += v->cent_i8[(size_t)l * pd + i];
        vsum[l] = s;
    }
    for (size_t b = j->begin; b < j->end; b += ASSIGN_Q) {
        size_t nq = SL_MIN((size_t)ASSIGN_Q, j->end - b);
        for (size_t q = 0; q < nq; q++) {
            float *f = qf + q * pd;
            if (pt->rows)
                sl__ix_row_f32(ix, pt->s, pt->rows[b + q], f);
            else
                memcpy(f, pt->vecs + (b + q) * pd, pd * sizeof(float));
            int32_t sum;
            qs[q] = sl__ix_quantize(f, pd, qi + q * pd, &sum);
            for (size_t i = 0; i < pd; i++)
                qu[q * pd + i] = (uint8_t)(qi[q * pd + i] + 128);
        }
        ix->kern->i8_batch(v->cent_i8, pd, v->nlist, qi, qu, nq, vsum,
                           v->cent_scale, qs, sc);
        for (size_t q = 0; q < nq; q++) {
            uint32_t best = 0;
            float bs = -INFINITY;
            for (uint32_t l = 0; l < v->nlist; l++)
                if (sc[(size_t)l * nq + q] > bs) {
                    bs = sc[(size_t)l * nq + q];
                    best = l;
                }
            j->out[b + q] = best;
        }
    }
out:
    sl__free(qf);
    sl__free(qi);
    sl__free(qu);
    sl__free(qs);
    sl__free(sc);
    sl__free(vsum);
    return NULL;
}

/* Nearest list of every point, split across the index's threads. */
static sl_status assign_all(const struct points *pt, const struct sl__ix_ivf *v,
                            uint32_t threads, uint32_t *out)
{
    struct assign_job jobs[SL_INDEX_THREADS_MAX];
    pthread_t tid[SL_INDEX_THREADS_MAX];
    size_t T = SL_MAX(1u, SL_MIN(threads, SL_INDEX_THREADS_MAX));
    size_t step = (pt->n + T - 1) / T;
    bool started[SL_INDEX_THREADS_MAX] = { false };
    for (size_t t = 0; t < T; t++) {
        jobs[t] = (struct assign_job){ pt, v, SL_MIN(pt->n, t * step),
                                       SL_MIN(pt->n, (t + 1) * step), out, SL_OK };
        if (t > 0 && pthread_create(&tid[t], NULL, assign_main, &jobs[t]) == 0)
            started[t] = true;
    }
    assign_main(&jobs[0]);
    for (size_t t = 1; t < T; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            assign_main(&jobs[t]);
    }
    for (size_t t = 0; t < T; t++)
        if (jobs[t].st != SL_OK)
            return jobs[t].st;
    return SL_OK;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

/* Builds every list from the rows' list numbers (rows without one and not
 * dead are assigned first). Caller holds wlock. */
static sl_status build_lists(sl_index *ix, struct sl__ix_ivf *v, bool assign)
{
    struct sl__ix_rows *s = ix->rows;
    size_t nrows = atomic_load(&s->nrows);
    uint32_t *rows = NULL, *lab = NULL;
    sl_status st = SL_ERR_NOMEM;
    if (assign) {
        size_t n = 0;
        rows = sl__malloc(SL_MAX(nrows, (size_t)1) * sizeof(uint32_t));
        if (!rows)
            goto out;
        for (size_t r = 0; r < nrows; r++) {
            const struct sl__ix_chunk *c = sl__ix_chunk_of(s, r);
            if (!atomic_load(&c->dead[r & (SL__IX_CHUNK_ROWS - 1)]))
                rows[n++] = (uint32_t)r;
        }
        lab = sl__malloc(SL_MAX(n, (size_t)1) * sizeof(uint32_t));
        if (!lab)
            goto out;
        struct points pt = { ix, s, rows, NULL, n };
        st = assign_all(&pt, v, ix->opts.threads, lab);
        if (st != SL_OK)
            goto out;
        for (size_t r = 0; r < nrows; r++) {
            struct sl__ix_chunk *c = sl__ix_chunk_of(s, r);
            atomic_store_explicit(&c->list[r & (SL__IX_CHUNK_ROWS - 1)],
                                  SL__IX_NO_LIST, memory_order_relaxed);
        }
        for (size_t i = 0; i < n; i++) {
            struct sl__ix_chunk *c = sl__ix_chunk_of(s, rows[i]);
            atomic_store_explicit(&c->list[rows[i] & (SL__IX_CHUNK_ROWS - 1)],
                                  lab[i], memory_order_relaxed);
        }
    }
    for (size_t r = 0; r < nrows; r++) {
        const struct sl__ix_chunk *c = sl__ix_chunk_of(s, r);
        uint32_t l = atomic_load(&c->list[r & (SL__IX_CHUNK_ROWS - 1)]);
        if (l < v->nlist)
            v->lists[l].cap++;
    }
    for (uint32_t l = 0; l < v->nlist; l++) {
        v->lists[l].cap += v->lists[l].cap / 4 + 16;
        v->lists[l].rows = sl__malloc(v->lists[l].cap * sizeof(uint32_t));
        if (!v->lists[l].rows)
            goto out;
        atomic_init(&v->lists[l].len, 0);
    }
    for (size_t r = 0; r < nrows; r++) {
        const struct sl__ix_chunk *c = sl__ix_chunk_of(s, r);
        size_t off = r & (SL__IX_CHUNK_ROWS - 1);
        uint32_t l = atomic_load(&c->list[off]);
        if (l < v->nlist && !atomic_load(&c->dead[off])) {
            uint32_t n = atomic_load_explicit(&v->lists[l].len, memory_order_relaxed);
            v->lists[l].rows[n] = (uint32_t)r;
            atomic_store_explicit(&v->lists[l].len, n + 1, memory_order_relaxed);
        }
    }
    st = SL_OK;
out:
    sl__free(rows);
    sl__free(lab);
    return st;
}

static void install(sl_index *ix, struct sl__ix_ivf *v)
{
    pthread_rwlock_wrlock(&ix->swap_lock);
    struct sl__ix_ivf *old = ix->ivf;
    ix->ivf = v;
    pthread_rwlock_unlock(&ix->swap_lock);
    sl__ix_ivf_free(old);
}

sl_status sl__ix_ivf_train(sl_index *ix, uint32_t nlist)
{
    struct sl__ix_rows *s = ix->rows;
    size_t nrows = atomic_load(&s->nrows);
    size_t live = nrows - atomic_load(&s->ndead);
    size_t pd = ix->pdim;
    sl_status st = SL_ERR_NOMEM;
    float *sample = NULL, *acc = NULL;
    uint32_t *cnt = NULL, *lab = NULL, *liverows = NULL;
    struct sl__ix_ivf *v = NULL;

    if (nlist == 0)
        nlist = ix->opts.ivf_nlist;
    if (nlist == 0) {                       /* ~ sqrt(N), a power of two */
        nlist = 16;
        while ((size_t)nlist * nlist < live && nlist < 65536)
            nlist *= 2;
    }
    if (live < 2 || nlist < 1 || nlist > live || nlist > (1u << 20))
        return SL_ERR_STATE;
    liverows = sl__malloc(live * sizeof(uint32_t));
    if (!liverows)
        goto out;
    size_t nl = 0;
    for (size_t r = 0; r < nrows; r++)
        if (!atomic_load(&sl__ix_chunk_of(s, r)->dead[r & (SL__IX_CHUNK_ROWS - 1)]))
            liverows[nl++] = (uint32_t)r;
    size_t ns = SL_MIN(live, (size_t)nlist * KM_PER_LIST);
    uint64_t seed = 0x9e3779b97f4a7c15ULL ^ live;
    for (size_t i = 0; i < ns; i++) {      /* partial Fisher-Yates sample */
        size_t j = i + rng_next(&seed) % (nl - i);
        uint32_t t = liverows[i];
        liverows[i] = liverows[j];
        liverows[j] = t;
    }
    sample = sl__aligned_alloc(64, ns * pd * sizeof(float));
    acc = sl__malloc((size_t)nlist * pd * sizeof(float));
    cnt = sl__malloc(nlist * sizeof(uint32_t));
    lab = sl__malloc(ns * sizeof(uint32_t));
    v = ivf_new(nlist, (uint32_t)pd);
    if (!sample || !acc || !cnt || !lab || !v)
        goto out;
    for (size_t i = 0; i < ns; i++)
        sl__ix_row_f32(ix, s, liverows[i], sample + i * pd);
    for (uint32_t l = 0; l < nlist; l++)   /* init: the first nlist samples */
        memcpy(v->cent + (size_t)l * pd, sample + (size_t)l * pd, pd * sizeof(float));
    struct points pt = { ix, s, NULL, sample, ns };
    for (uint32_t it = 0; it < KM_ITERS; it++) {
        cent_quantize(v);
        st = assign_all(&pt, v, ix->opts.threads, lab);
        if (st != SL_OK)
            goto out;
        memset(acc, 0, (size_t)nlist * pd * sizeof(float));
        memset(cnt, 0, nlist * sizeof(uint32_t));
        for (size_t i = 0; i < ns; i++) {
            float *a = acc + (size_t)lab[i] * pd;
            const float *x = sample + i * pd;
            for (size_t d = 0; d < pd; d++)
                a[d] += x[d];
            cnt[lab[i]]++;
        }
        for (uint32_t l = 0; l < nlist; l++) {
            float *c = v->cent + (size_t)l * pd;
            const float *a = acc + (size_t)l * pd;
            if (cnt[l] == 0) {              /* empty: reseed from a sample */
                memcpy(c, sample + (rng_next(&seed) % ns) * pd, pd * sizeof(float));
                continue;
            }
            double ss = 0;
            for (size_t d = 0; d < pd; d++)
                ss += (double)a[d] * a[d];
            float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0;
            for (size_t d = 0; d < pd; d++)
                c[d] = a[d] * inv;
        }
    }
    cent_quantize(v);
    st = build_lists(ix, v, true);
    if (st != SL_OK)
        goto out;
    install(ix, v);
    v = NULL;
    sl_log_info("index: IVF trained: %u lists on %zu samples of %zu", nlist, ns, live);
out:
    sl__ix_ivf_free(v);
    sl__free(sample);
    sl__free(acc);
    sl__free(cnt);
    sl__free(lab);
    sl__free(liverows);
    return st;
}

sl_status sl__ix_ivf_from_snapshot(sl_index *ix, uint32_t nlist,
                                   const float *cent)
{
    struct sl__ix_ivf *v = ivf_new(nlist, ix->pdim);
    if (!v)
        return SL_ERR_NOMEM;
    memcpy(v->cent, cent, (size_t)nlist * ix->pdim * sizeof(float));
    for (size_t i = 0; i < (size_t)nlist * ix->pdim; i++)
        if (!isfinite(v->cent[i])) {
            sl__ix_ivf_free(v);
            return SL_ERR_INDEX_FORMAT;
        }
    cent_quantize(v);
    sl_status st = build_lists(ix, v, false);
    if (st != SL_OK) {
        sl__ix_ivf_free(v);
        return st;
    }
    install(ix, v);
    return SL_OK;
}

static uint32_t nearest(const sl_index *ix, const float *q)
{
    const struct sl__ix_ivf *v = ix->ivf;
    uint32_t best = 0;
    float bs = -INFINITY, sc[64];
    for (uint32_t l = 0; l < v->nlist; l += 64) {
        uint32_t n = SL_MIN(64u, v->nlist - l);
        ix->kern->f32(v->cent + (size_t)l * ix->pdim, ix->pdim, n, q, sc);
        for (uint32_t i = 0; i < n; i++)
            if (sc[i] > bs) {
                bs = sc[i];
                best = l + i;
            }
    }
    return best;
}

sl_status sl__ix_ivf_assign_row(sl_index *ix, size_t row, const float *unit)
{
    struct sl__ix_ivf *v = ix->ivf;
    uint32_t l = nearest(ix, unit);
    struct sl__ix_list *li = &v->lists[l];
    uint32_t n = atomic_load_explicit(&li->len, memory_order_relaxed);
    if (n == li->cap) {
        uint32_t cap = li->cap * 2 + 16;
        uint32_t *p = sl__malloc(cap * sizeof(uint32_t));
        if (!p)
            return SL_ERR_NOMEM;
        memcpy(p, li->rows, n * sizeof(uint32_t));
        pthread_rwlock_wrlock(&ix->swap_lock);   /* no search reads old rows */
        uint32_t *old = li->rows;
        li->rows = p;
        li->cap = cap;
        pthread_rwlock_unlock(&ix->swap_lock);
        sl__free(old);
    }
    li->rows[n] = (uint32_t)row;
    struct sl__ix_chunk *c = sl__ix_chunk_of(ix->rows, row);
    atomic_store_explicit(&c->list[row & (SL__IX_CHUNK_ROWS - 1)], l,
                          memory_order_relaxed);
    atomic_store_explicit(&li->len, n + 1, memory_order_release);
    return SL_OK;
}

struct pick {
    float    s;
    uint32_t l;
};

void sl__ix_ivf_probe(const sl_index *ix, const float *q, uint32_t nprobe,
                      uint32_t *out)
{
    const struct sl__ix_ivf *v = ix->ivf;
    struct pick heap[1024];
    uint32_t n = 0, cap = SL_MIN(nprobe, 1024u);
    float sc[64];
    for (uint32_t l = 0; l < v->nlist; l += 64) {
        uint32_t m = SL_MIN(64u, v->nlist - l);
        ix->kern->f32(v->cent + (size_t)l * ix->pdim, ix->pdim, m, q, sc);
        for (uint32_t i = 0; i < m; i++) {
            float s = sc[i];
            size_t at;
            if (n < cap) {
                at = n++;
                while (at > 0 && heap[(at - 1) / 2].s > s) {
                    heap[at] = heap[(at - 1) / 2];
                    at = (at - 1) / 2;
                }
                heap[at] = (struct pick){ s, l + i };
            } else if (s > heap[0].s) {
                at = 0;
                for (;;) {
                    size_t c = 2 * at + 1, mn = at;
                    float ms = s;
                    if (c < n && heap[c].s < ms) {
                        mn = c;
                        ms = heap[c].s;
                    }
                    if (c + 1 < n && heap[c + 1].s < ms)
                        mn = c + 1;
                    if (mn == at)
                        break;
                    heap[at] = heap[mn];
                    at = mn;
                }
                heap[at] = (struct pick){ s, l + i };
            }
        }
    }
    for (uint32_t i = 0; i < nprobe; i++)
        out[i] = i < n ? heap[i].l : heap[0].l;
}
