/*
 * index.c -- the 1:N gallery (include/shualian/index.h): row storage,
 * add/remove, collections and watchlists, exact and IVF search.
 *
 * Workload: a search reads every live row once (exact) or the rows of a few
 * IVF lists; it must run at memory bandwidth, so the scan computes scores
 * for a block of rows with one kernel call, compares them with a per-query
 * cut (the k-th best so far, or the threshold) and only the rare rows above
 * it go through the scalar path (tombstone, filter, heap). int8 scores are
 * approximate: the top k + 32 candidates are rescored against the fp32
 * query before the final cut, so rank and score match an fp32 scan of the
 * stored templates.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if SL_HAVE_XNNPACK
#include <pthreadpool.h>          /* the default search pool (linked with nn) */
#endif

#include "index_format.h"
#include "index_int.h"

#define BLK_ROWS     256u   /* rows per kernel call, single query            */
#define BLK_BATCH    64u    /* rows per kernel call in a batch               */
#define I8_EXTRA     32u    /* extra candidates kept for int8 rescoring      */
#define I8_MARGIN    0.03f  /* int8 score error bound used for thresholds    */
#define FP_MARGIN    1e-3f
#define WATCH_MAX    4096u  /* watch candidates kept per search thread       */

/* ============================ Id map ===================================== */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static sl_status map_grow(struct sl__ix_map *m, size_t cap)
{
    uint64_t *keys = sl__malloc(cap * sizeof(*keys));
    uint32_t *vals = sl__malloc(cap * sizeof(*vals));
    if (!keys || !vals) {
        sl__free(keys);
        sl__free(vals);
        return SL_ERR_NOMEM;
    }
    memset(vals, 0xff, cap * sizeof(*vals));
    for (size_t i = 0; i < m->cap; i++) {
        if (m->vals[i] == UINT32_MAX)
            continue;
        size_t h = mix64(m->keys[i]) & (cap - 1);
        while (vals[h] != UINT32_MAX)
            h = (h + 1) & (cap - 1);
        keys[h] = m->keys[i];
        vals[h] = m->vals[i];
    }
    sl__free(m->keys);
    sl__free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return SL_OK;
}

/* Makes room for one more entry (so a later put cannot fail). */
static sl_status map_reserve(struct sl__ix_map *m)
{
    if ((m->len + 1) * 2 <= m->cap)
        return SL_OK;
    return map_grow(m, m->cap ? m->cap * 2 : 64);
}

sl_status sl__ix_map_put(struct sl__ix_map *m, uint64_t key, uint32_t val)
{
    sl_status st = map_reserve(m);
    if (st != SL_OK)
        return st;
    size_t h = mix64(key) & (m->cap - 1);
    while (m->vals[h] != UINT32_MAX && m->keys[h] != key)
        h = (h + 1) & (m->cap - 1);
    if (m->vals[h] == UINT32_MAX)
        m->len++;
    m->keys[h] = key;
    m->vals[h] = val;
    return SL_OK;
}

bool sl__ix_map_get(const struct sl__ix_map *m, uint64_t key, uint32_t *val)
{
    if (!m->cap)
        return false;
    size_t h = mix64(key) & (m->cap - 1);
    while (m->vals[h] != UINT32_MAX) {
        if (m->keys[h] == key) {
            *val = m->vals[h];
            return true;
        }
        h = (h + 1) & (m->cap - 1);
    }
    return false;
}

bool sl__ix_map_del(struct sl__ix_map *m, uint64_t key)
{
    if (!m->cap)
        return false;
    size_t mask = m->cap - 1, h = mix64(key) & mask;
    while (m->vals[h] != UINT32_MAX && m->keys[h] != key)
        h = (h + 1) & mask;
    if (m->vals[h] == UINT32_MAX)
        return false;
    /* backward-shift deletion keeps probe chains intact */
    size_t i = h;
    for (;;) {
        m->vals[i] = UINT32_MAX;
        size_t j = i;
        for (;;) {
            j = (j + 1) & mask;
            if (m->vals[j] == UINT32_MAX) {
                m->len--;
                return true;
            }
            size_t home = mix64(m->keys[j]) & mask;
            /* can the entry at j move to i? yes if home is not in (i, j] */
            bool between = i <= j ? (home > i && home <= j)
                                  : (home > i || home <= j);
            if (!between)
                break;
        }
        m->keys[i] = m->keys[j];
        m->vals[i] = m->vals[j];
        i = j;
    }
}

void sl__ix_map_free(struct sl__ix_map *m)
{
    sl__free(m->keys);
    sl__free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* ============================ Store ====================================== */

struct sl__ix_rows *sl__ix_rows_new(void)
{
    struct sl__ix_rows *s = sl__calloc(1, sizeof(*s));
    if (s) {
        atomic_init(&s->nrows, 0);
        atomic_init(&s->ndead, 0);
    }
    return s;
}

void sl__ix_rows_free(struct sl__ix_rows *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nchunks; i++) {
        sl__free(s->chunks[i]->block);
        sl__free(s->chunks[i]);
    }
    sl__free(s);
}

static size_t chunk_bytes(uint32_t stride)
{
    return (size_t)SL__IX_CHUNK_ROWS *
           (stride + 4 + 4 + 8 + 2 + 1 + 4) + 64;
}

sl_status sl__ix_rows_reserve(sl_index *ix, struct sl__ix_rows *s, size_t row)
{
    size_t ci = row >> SL__IX_CHUNK_SHIFT;
    if (ci < s->nchunks)
        return SL_OK;
    if (ci >= SL__IX_MAX_CHUNKS)
        return SL_ERR_INDEX_FULL;
    struct sl__ix_chunk *c = sl__calloc(1, sizeof(*c));
    size_t bytes = chunk_bytes(ix->stride);
    /* 2 MiB aligned + MADV_HUGEPAGE: the scan streams through every page,
     * and 4 KiB pages cost a TLB miss every 8 int8 rows */
    size_t align = bytes >= (4u << 20) ? (2u << 20) : 64u;
    uint8_t *b = c ? sl__aligned_alloc(align, bytes) : NULL;
    if (!b) {
        sl__free(c);
        return SL_ERR_NOMEM;
    }
#ifdef MADV_HUGEPAGE
    if (align == (2u << 20))
        (void)madvise(b, bytes & ~(size_t)((2u << 20) - 1), MADV_HUGEPAGE);
#endif
    size_t R = SL__IX_CHUNK_ROWS;
    c->block = b;
    c->codes = b;
    b += R * ix->stride;
    c->scale = (float *)b;
    b += R * 4;
    c->vsum = (int32_t *)b;
    b += R * 4;
    c->ids = (uint64_t *)b;
    b += R * 8;
    c->list = (_Atomic uint32_t *)b;
    b += R * 4;
    c->coll = (uint16_t *)b;
    b += R * 2;
    c->dead = (_Atomic uint8_t *)b;
    s->chunks[ci] = c;
    s->nchunks = ci + 1;
    return SL_OK;
}

void sl__ix_row_f32(const sl_index *ix, const struct sl__ix_rows *s,
                    size_t row, float *out)
{
    const struct sl__ix_chunk *c = sl__ix_chunk_of(s, row);
    size_t off = row & (SL__IX_CHUNK_ROWS - 1);
    const uint8_t *code = c->codes + off * ix->stride;
    if (ix->kind == SL_INDEX_INT8) {
        for (size_t i = 0; i < ix->pdim; i++)
            out[i] = (float)((const int8_t *)code)[i] * c->scale[off];
    } else if (ix->kind == SL_INDEX_FP16) {
        for (size_t i = 0; i < ix->pdim; i++)
            out[i] = sl__f16_to_f32(((const uint16_t *)code)[i]);
    } else {
        memcpy(out, code, ix->pdim * sizeof(float));
    }
}

/* Writes a unit vector (pdim floats) into row slot 'row' of s. */
static void rows_write(sl_index *ix, struct sl__ix_rows *s, size_t row,
                            uint64_t id, uint32_t coll, const float *unit,
                            uint32_t list)
{
    struct sl__ix_chunk *c = sl__ix_chunk_of(s, row);
    size_t off = row & (SL__IX_CHUNK_ROWS - 1);
    uint8_t *code = c->codes + off * ix->stride;
    if (ix->kind == SL_INDEX_INT8) {
        float sc = sl__ix_quantize(unit, ix->pdim, (int8_t *)code, &c->vsum[off]);
        /* scale so the dequantised row has unit length: scores stay cosines
         * of the stored direction (never above 1) */
        double ss = 0;
        for (size_t i = 0; i < ix->pdim; i++) {
            double v = ((const int8_t *)code)[i];
            ss += v * v;
        }
        c->scale[off] = ss > 0 ? (float)(1.0 / sqrt(ss)) : sc;
    } else if (ix->kind == SL_INDEX_FP16) {
        for (size_t i = 0; i < ix->pdim; i++)
            ((uint16_t *)code)[i] = sl__f32_to_f16(unit[i]);
        c->scale[off] = 1;
        c->vsum[off] = 0;
    } else {
        memcpy(code, unit, ix->pdim * sizeof(float));
        c->scale[off] = 1;
        c->vsum[off] = 0;
    }
    c->ids[off] = id;
    c->coll[off] = (uint16_t)coll;
    atomic_store_explicit(&c->dead[off], 0, memory_order_relaxed);
    atomic_store_explicit(&c->list[off], list, memory_order_relaxed);
}

/* ============================ Life cycle ================================= */

void sl_index_opts_default(struct sl_index_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->dim = SL_INDEX_DIM_DEFAULT;
    o->kind = SL_INDEX_INT8;
    o->threads = 1;
    o->sync = SL_INDEX_SYNC_ALWAYS;
    o->ivf_min_rows = 200000;    /* crossover measured: docs/index.md */
}

void sl_index_query_default(struct sl_index_query *q)
{
    memset(q, 0, sizeof(*q));
    q->k = 10;
    q->threshold = -1.0f;
    q->mode = SL_INDEX_AUTO;
}

/* ============================ Worker pool ================================ */

#if SL_HAVE_XNNPACK
static void run_pthreadpool(void *pool, sl_index_task_fn fn, void *ctx, size_t n)
{
    /* workers sleep in the kernel after the call instead of spinning: a
     * search is short and rare next to the CPU a spinning worker takes from
     * the other requests on a loaded machine */
    pthreadpool_parallelize_1d((pthreadpool_t)pool, fn, ctx, n,
                               PTHREADPOOL_FLAG_YIELD_WORKERS);
}
#endif

/* The caller's pool, or one made here once (threads > 1), never per query.
 * Without libpthreadpool and without a caller's pool, parts run serially. */
static sl_status pool_init(sl_index *ix)
{
    const struct sl_index_opts *o = &ix->opts;
    if (o->pool) {
        ix->pool = o->pool;
        ix->run = o->run;
#if SL_HAVE_XNNPACK
        if (!ix->run)
            ix->run = run_pthreadpool;
#endif
        return ix->run ? SL_OK : SL_ERR_INVALID;
    }
#if SL_HAVE_XNNPACK
    if (o->threads > 1) {
        pthreadpool_t tp = pthreadpool_create(o->threads);
        if (!tp)
            return SL_ERR_NOMEM;
        ix->own_pool = tp;
        ix->pool = tp;
        ix->run = run_pthreadpool;
    }
#endif
    return SL_OK;
}

static void pool_free(sl_index *ix)
{
#if SL_HAVE_XNNPACK
    if (ix->own_pool)
        pthreadpool_destroy((pthreadpool_t)ix->own_pool);
#endif
    ix->own_pool = NULL;
}

static sl_status index_alloc(sl_index **out, const struct sl_index_opts *o)
{
    sl_status st = SL_ERR_NOMEM;
    *out = NULL;
    if (o->dim < 1 || o->dim > SL_INDEX_DIM_MAX || o->kind > SL_INDEX_FP32 ||
        o->threads > SL_INDEX_THREADS_MAX || o->sync > SL_INDEX_SYNC_NONE ||
        o->open_mode > SL_INDEX_OPEN_READ)
        return SL_ERR_INVALID;
    sl_index *ix = sl__calloc(1, sizeof(*ix));
    if (!ix)
        goto fail;
    ix->opts = *o;
    if (ix->opts.threads == 0)
        ix->opts.threads = 1;
    ix->dim = o->dim;
    ix->pdim = (o->dim + 63u) & ~63u;
    ix->kind = o->kind;
    ix->stride = ix->pdim * (o->kind == SL_INDEX_INT8 ? 1u :
                             o->kind == SL_INDEX_FP16 ? 2u : 4u);
    ix->kern = sl__ix_kernels_best();
    ix->lock_fd = -1;
    ix->version = SL__IX_VERSION;
    atomic_init(&ix->nwatchcoll, 0);
    /* writer-preferring: a compact swap or IVF list growth waits for the
     * searches in flight (one scan at most) and new searches queue behind
     * it for that moment, so neither side starves */
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
#if defined(__GLIBC__)
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(&ix->swap_lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_rwlock_init(&ix->meta_lock, NULL);
    pthread_mutex_init(&ix->wlock, NULL);
    ix->rows = sl__ix_rows_new();
    if (!ix->rows)
        goto fail_ix;
    st = pool_init(ix);
    if (st != SL_OK)
        goto fail_ix;
    *out = ix;
    return SL_OK;

fail_ix:
    sl_index_free(ix);
fail:
    return st;
}

sl_status sl_index_create(sl_index **out, const char *dir,
                          const struct sl_index_opts *o)
{
    struct sl_index_opts d;
    if (!out)
        return SL_ERR_INVALID;
    *out = NULL;
    if (!o) {
        sl_index_opts_default(&d);
        o = &d;
    }
    sl_index *ix;
    sl_status st = index_alloc(&ix, o);
    if (st != SL_OK)
        return st;
    if (dir) {
        ix->dir = sl__strdup(dir);
        if (!ix->dir) {
            st = SL_ERR_NOMEM;
            goto fail;
        }
        st = sl__ix_persist_create(ix);
        if (st != SL_OK)
            goto fail;
    }
    *out = ix;
    return SL_OK;

fail:
    sl_index_free(ix);
    return st;
}

static sl_status compact_locked(sl_index *ix);

/* A version-1 directory opened for writing: a compaction writes both files
 * in the current version (index_format.h, Migration); its collections keep
 * no model, so they hold raw vectors as before. */
static sl_status migrate(sl_index *ix)
{
    sl_log_info("index: %s: migrating format version %u to %u", ix->dir,
                ix->version, SL__IX_VERSION);
    pthread_mutex_lock(&ix->wlock);
    sl_status st = compact_locked(ix);
    pthread_mutex_unlock(&ix->wlock);
    return st;
}

sl_status sl_index_open(sl_index **out, const char *dir,
                        const struct sl_index_opts *o)
{
    struct sl_index_opts d;
    sl_index_opts_default(&d);
    if (o) {
        d.threads = o->threads;
        d.sync = o->sync;
        d.ivf_min_rows = o->ivf_min_rows;
        d.ivf_nlist = o->ivf_nlist;
        d.ivf_nprobe = o->ivf_nprobe;
        d.open_mode = o->open_mode;
        d.lock_wait_ms = o->lock_wait_ms;
        d.pool = o->pool;
        d.run = o->run;
    }
    if (!out || !dir)
        return SL_ERR_INVALID;
    *out = NULL;
    sl_index *ix;
    sl_status st = index_alloc(&ix, &d);   /* dim/kind fixed by the files */
    if (st != SL_OK)
        return st;
    ix->read_only = d.open_mode == SL_INDEX_OPEN_READ;
    ix->dir = sl__strdup(dir);
    if (!ix->dir) {
        st = SL_ERR_NOMEM;
        goto fail;
    }
    st = sl__ix_persist_load(ix);
    if (st != SL_OK)
        goto fail;
    if (!ix->read_only && ix->version < SL__IX_VERSION) {
        st = migrate(ix);
        if (st != SL_OK)
            goto fail;
    }
    *out = ix;
    return SL_OK;

fail:
    sl_index_free(ix);
    return st;
}

void sl_index_free(sl_index *ix)
{
    if (!ix)
        return;
    pool_free(ix);
    sl__ix_log_close(ix);
    sl__ix_unlock(ix);
    sl__ix_rows_free(ix->rows);
    sl__ix_map_free(&ix->map);
    sl__ix_map_free(&ix->watchmap);
    sl__free(ix->watch);
    sl__ix_ivf_free(ix->ivf);
    pthread_rwlock_destroy(&ix->swap_lock);
    pthread_rwlock_destroy(&ix->meta_lock);
    pthread_mutex_destroy(&ix->wlock);
    sl__free(ix->dir);
    sl__free(ix);
}

/* ============================ Writes ===================================== */

/* Normalises vec (dim floats) into out (pdim floats, zero padded). */
static sl_status normalize(const sl_index *ix, const float *vec, size_t dim,
                           float *out)
{
    if (!vec)
        return SL_ERR_INVALID;
    if (dim != ix->dim)
        return SL_ERR_INDEX_DIM;
    double ss = 0;
    for (size_t i = 0; i < dim; i++) {
        if (!isfinite(vec[i]))
            return SL_ERR_INDEX_VECTOR;
        ss += (double)vec[i] * vec[i];
    }
    if (!(ss > 1e-30))
        return SL_ERR_INDEX_VECTOR;
    float inv = (float)(1.0 / sqrt(ss));
    for (size_t i = 0; i < dim; i++)
        out[i] = vec[i] * inv;
    for (size_t i = dim; i < ix->pdim; i++)
        out[i] = 0;
    return SL_OK;
}

/* Caller holds wlock; unit is normalised and padded. */
static sl_status add_locked(sl_index *ix, uint64_t id, uint32_t coll,
                            const float *unit, bool log, bool sync)
{
    sl_status st;
    uint32_t row32;
    if (coll >= SL_INDEX_COLL_MAX)
        return SL_ERR_INVALID;
    if (sl__ix_map_get(&ix->map, id, &row32))
        return SL_ERR_INDEX_DUP;
    struct sl__ix_rows *s = ix->rows;
    size_t row = atomic_load_explicit(&s->nrows, memory_order_relaxed);
    if (row >= UINT32_MAX - 1)
        return SL_ERR_INDEX_FULL;
    /* everything that can fail for lack of memory happens before the log */
    st = sl__ix_rows_reserve(ix, s, row);
    if (st != SL_OK)
        return st;
    st = map_reserve(&ix->map);
    if (st != SL_OK)
        return st;
    if (log && ix->dir) {
        st = sl__ix_log_add(ix, id, coll, unit, sync);
        if (st != SL_OK)
            return st;
    }
    rows_write(ix, s, row, id, coll, unit, SL__IX_NO_LIST);
    if (ix->ivf) {
        st = sl__ix_ivf_assign_row(ix, row, unit);
        if (st != SL_OK)
            sl_log_warn("index: row %zu left out of the IVF lists (%s)", row,
                        sl_status_name(st));
    }
    atomic_store_explicit(&s->nrows, row + 1, memory_order_release);
    st = sl__ix_map_put(&ix->map, id, (uint32_t)row);   /* reserved: cannot fail */
    ix->coll_rows[coll]++;
    return st;
}

sl_status sl__ix_apply_add(sl_index *ix, uint64_t id, uint32_t coll,
                           const float *vec)
{
    /* vec is the unit vector as logged: padded, checked, not renormalised,
     * so a replayed row is bit-identical to the row first stored */
    float *unit = sl__malloc(ix->pdim * sizeof(float));
    if (!unit)
        return SL_ERR_NOMEM;
    sl_status st = SL_OK;
    double ss = 0;
    for (size_t i = 0; i < ix->dim; i++) {
        if (!isfinite(vec[i]))
            st = SL_ERR_INDEX_VECTOR;
        unit[i] = vec[i];
        ss += (double)vec[i] * vec[i];
    }
    for (size_t i = ix->dim; i < ix->pdim; i++)
        unit[i] = 0;
    if (st == SL_OK && !(ss > 0.5 && ss < 1.5))
        st = SL_ERR_INDEX_VECTOR;
    if (st == SL_OK)
        st = add_locked(ix, id, coll, unit, false, false);
    sl__free(unit);
    return st;
}

sl_status sl_index_add(sl_index *ix, uint64_t id, uint32_t coll,
                       const float *vec, size_t dim)
{
    size_t added;
    return sl_index_add_batch(ix, &id, &coll, vec, 1, dim, &added);
}

sl_status sl_index_add_batch(sl_index *ix, const uint64_t *ids,
                             const uint32_t *colls, const float *vecs,
                             size_t n, size_t dim, size_t *added)
{
    return sl_index_add_batch_model(ix, NULL, ids, colls, vecs, n, dim, added);
}

bool sl__ix_model_ok(const char *model)
{
    size_t n = strnlen(model, SL_INDEX_MODEL_MAX);
    if (n >= SL_INDEX_MODEL_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (model[i] < 0x21 || model[i] > 0x7e)
            return false;
    return true;
}

sl_status sl__ix_apply_model(sl_index *ix, uint32_t coll, const char *model)
{
    if (coll >= SL_INDEX_COLL_MAX || !model || !sl__ix_model_ok(model))
        return SL_ERR_INVALID;
    pthread_rwlock_wrlock(&ix->meta_lock);
    struct sl__ix_coll *c = &ix->colls[coll];
    sl_status st = SL_OK;
    if (c->model_set && strcmp(c->model, model) != 0) {
        st = SL_ERR_INDEX_MODEL;
    } else {
        c->model_set = true;
        snprintf(c->model, sizeof(c->model), "%s", model);
    }
    pthread_rwlock_unlock(&ix->meta_lock);
    return st;
}

/* Caller holds wlock: may an add of model (or "": a raw vector) go into
 * coll? A collection without a model takes raw vectors; its first
 * template add, while it holds no raw rows, fixes (and logs) its model. */
static sl_status model_locked(sl_index *ix, uint32_t coll, const char *model)
{
    if (coll >= SL_INDEX_COLL_MAX)
        return SL_ERR_INVALID;
    const struct sl__ix_coll *c = &ix->colls[coll];
    if (c->model_set || (model[0] && ix->coll_rows[coll])) {
        const char *has = c->model_set ? c->model : "";
        if (strcmp(has, model) == 0)
            return SL_OK;
        sl_log_err("index: collection %u holds %s%s%s, not %s%s%s", coll,
                   has[0] ? "templates of model '" : "raw vectors", has,
                   has[0] ? "'" : "", model[0] ? "templates of model '" : "",
                   model[0] ? model : "raw vectors", model[0] ? "'" : "");
        return SL_ERR_INDEX_MODEL;
    }
    if (!model[0])
        return SL_OK;              /* raw vectors fix nothing */
    if (ix->dir) {
        sl_status st = sl__ix_log_model(ix, coll, model);
        if (st != SL_OK)
            return st;
    }
    return sl__ix_apply_model(ix, coll, model);
}

/* Refuses every write call on a read-only handle. */
#define WRITABLE(ix) \
    do { if ((ix)->read_only) return SL_ERR_INDEX_READONLY; } while (0)

sl_status sl_index_add_batch_model(sl_index *ix, const char *model_id,
                                   const uint64_t *ids, const uint32_t *colls,
                                   const float *vecs, size_t n, size_t dim,
                                   size_t *added)
{
    if (added)
        *added = 0;
    if (!ix || (!ids && n) || (!vecs && n))
        return SL_ERR_INVALID;
    WRITABLE(ix);
    const char *model = model_id ? model_id : "";
    if (!sl__ix_model_ok(model))
        return SL_ERR_INVALID;
    if (dim != ix->dim)
        return SL_ERR_INDEX_DIM;
    float *unit = sl__malloc(ix->pdim * sizeof(float));
    if (!unit)
        return SL_ERR_NOMEM;
    sl_status st = SL_OK;
    size_t done = 0;
    pthread_mutex_lock(&ix->wlock);
    for (size_t i = 0; i < n; i++) {
        uint32_t coll = colls ? colls[i] : 0;
        if (ids[i] > SL_INDEX_ID_MAX) {
            st = SL_ERR_INDEX_ID;
            break;
        }
        st = normalize(ix, vecs + i * dim, dim, unit);
        if (st == SL_OK)
            st = model_locked(ix, coll, model);
        if (st != SL_OK)
            break;
        bool last = i + 1 == n;
        st = add_locked(ix, ids[i], coll, unit, true,
                        last && ix->opts.sync == SL_INDEX_SYNC_ALWAYS);
        if (st != SL_OK)
            break;
        done++;
    }
    if (st != SL_OK && done && ix->dir && ix->opts.sync == SL_INDEX_SYNC_ALWAYS) {
        sl_status s2 = sl__ix_log_sync(ix);     /* ack what was added */
        if (s2 != SL_OK)
            st = s2;
    }
    pthread_mutex_unlock(&ix->wlock);
    sl__free(unit);
    if (added)
        *added = done;
    return st;
}

static sl_status remove_locked(sl_index *ix, uint64_t id, bool log)
{
    uint32_t row;
    if (!sl__ix_map_get(&ix->map, id, &row))
        return SL_ERR_NOT_FOUND;
    if (log && ix->dir) {
        sl_status st = sl__ix_log_del(ix, id);
        if (st != SL_OK)
            return st;
    }
    struct sl__ix_chunk *c = sl__ix_chunk_of(ix->rows, row);
    atomic_store_explicit(&c->dead[row & (SL__IX_CHUNK_ROWS - 1)], 1,
                          memory_order_release);
    ix->coll_rows[c->coll[row & (SL__IX_CHUNK_ROWS - 1)]]--;
    atomic_fetch_add(&ix->rows->ndead, 1);
    sl__ix_map_del(&ix->map, id);
    return SL_OK;
}

sl_status sl__ix_apply_remove(sl_index *ix, uint64_t id)
{
    return remove_locked(ix, id, false);
}

sl_status sl_index_remove(sl_index *ix, uint64_t id)
{
    if (!ix)
        return SL_ERR_INVALID;
    WRITABLE(ix);
    pthread_mutex_lock(&ix->wlock);
    sl_status st = remove_locked(ix, id, true);
    pthread_mutex_unlock(&ix->wlock);
    return st;
}

uint64_t sl_index_max_id(sl_index *ix)
{
    uint64_t max = 0;
    if (!ix)
        return 0;
    pthread_mutex_lock(&ix->wlock);
    for (size_t i = 0; i < ix->map.cap; i++)
        if (ix->map.vals[i] != UINT32_MAX && ix->map.keys[i] > max)
            max = ix->map.keys[i];
    pthread_mutex_unlock(&ix->wlock);
    return max;
}

int sl_index_contains(sl_index *ix, uint64_t id)
{
    uint32_t row;
    if (!ix)
        return 0;
    pthread_mutex_lock(&ix->wlock);
    bool ok = sl__ix_map_get(&ix->map, id, &row);
    pthread_mutex_unlock(&ix->wlock);
    return ok;
}

/* ============================ Collections, watchlists ==================== */

sl_status sl__ix_apply_coll(sl_index *ix, uint32_t coll, const char *name,
                            bool watch, float thr)
{
    if (coll >= SL_INDEX_COLL_MAX || !name || strlen(name) >= SL_INDEX_NAME_MAX ||
        !isfinite(thr))
        return SL_ERR_INVALID;
    pthread_rwlock_wrlock(&ix->meta_lock);
    struct sl__ix_coll *c = &ix->colls[coll];
    if (c->set && c->watch)
        atomic_fetch_sub(&ix->nwatchcoll, 1);
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->set = true;
    c->watch = watch;
    c->thr = thr;
    if (watch)
        atomic_fetch_add(&ix->nwatchcoll, 1);
    pthread_rwlock_unlock(&ix->meta_lock);
    return SL_OK;
}

sl_status sl_index_collection_set(sl_index *ix, uint32_t coll, const char *name,
                                  int is_watchlist, float watch_threshold)
{
    if (!ix || coll >= SL_INDEX_COLL_MAX || !name ||
        strlen(name) >= SL_INDEX_NAME_MAX || !isfinite(watch_threshold) ||
        (is_watchlist && !(watch_threshold >= -1.0f && watch_threshold <= 1.0f)))
        return SL_ERR_INVALID;
    WRITABLE(ix);
    pthread_mutex_lock(&ix->wlock);
    sl_status st = SL_OK;
    if (ix->dir)
        st = sl__ix_log_coll(ix, coll, name, is_watchlist != 0, watch_threshold);
    if (st == SL_OK)
        st = sl__ix_apply_coll(ix, coll, name, is_watchlist != 0, watch_threshold);
    pthread_mutex_unlock(&ix->wlock);
    return st;
}

sl_status sl_index_collection_set_model(sl_index *ix, uint32_t coll,
                                        const char *model_id)
{
    const char *model = model_id ? model_id : "";
    if (!ix || coll >= SL_INDEX_COLL_MAX || !sl__ix_model_ok(model))
        return SL_ERR_INVALID;
    WRITABLE(ix);
    pthread_mutex_lock(&ix->wlock);
    sl_status st = model_locked(ix, coll, model);
    if (st == SL_OK && ix->dir && ix->opts.sync == SL_INDEX_SYNC_ALWAYS)
        st = sl__ix_log_sync(ix);
    pthread_mutex_unlock(&ix->wlock);
    return st;
}

sl_status sl_index_collection_model(sl_index *ix, uint32_t coll, char *model,
                                    size_t cap)
{
    if (!ix || coll >= SL_INDEX_COLL_MAX)
        return SL_ERR_INVALID;
    sl_status st = SL_ERR_NOT_FOUND;
    pthread_rwlock_rdlock(&ix->meta_lock);
    if (ix->colls[coll].model_set) {
        if (model && cap)
            snprintf(model, cap, "%s", ix->colls[coll].model);
        st = SL_OK;
    }
    pthread_rwlock_unlock(&ix->meta_lock);
    return st;
}

sl_status sl_index_collection_get(sl_index *ix, uint32_t coll, char *name,
                                  size_t cap, int *is_watchlist,
                                  float *watch_threshold)
{
    if (!ix || coll >= SL_INDEX_COLL_MAX)
        return SL_ERR_INVALID;
    sl_status st = SL_ERR_NOT_FOUND;
    pthread_rwlock_rdlock(&ix->meta_lock);
    const struct sl__ix_coll *c = &ix->colls[coll];
    if (c->set) {
        if (name && cap)
            snprintf(name, cap, "%s", c->name);
        if (is_watchlist)
            *is_watchlist = c->watch;
        if (watch_threshold)
            *watch_threshold = c->thr;
        st = SL_OK;
    }
    pthread_rwlock_unlock(&ix->meta_lock);
    return st;
}

sl_status sl__ix_apply_watch(sl_index *ix, uint64_t id, uint32_t level,
                             const char *reason)
{
    if (!reason || strlen(reason) >= SL_INDEX_REASON_MAX || level > 255)
        return SL_ERR_INVALID;
    sl_status st = SL_OK;
    uint32_t at;
    pthread_rwlock_wrlock(&ix->meta_lock);
    if (!sl__ix_map_get(&ix->watchmap, id, &at)) {
        if (ix->nwatch == ix->capwatch) {
            size_t cap = ix->capwatch ? ix->capwatch * 2 : 64;
            void *p = sl__realloc(ix->watch, cap * sizeof(*ix->watch));
            if (!p) {
                st = SL_ERR_NOMEM;
                goto done;
            }
            ix->watch = p;
            ix->capwatch = cap;
        }
        st = sl__ix_map_put(&ix->watchmap, id, (uint32_t)ix->nwatch);
        if (st != SL_OK)
            goto done;
        at = (uint32_t)ix->nwatch++;
    }
    ix->watch[at].id = id;
    ix->watch[at].level = level;
    snprintf(ix->watch[at].reason, sizeof(ix->watch[at].reason), "%s", reason);
done:
    pthread_rwlock_unlock(&ix->meta_lock);
    return st;
}

sl_status sl_index_watch_set(sl_index *ix, uint64_t id, uint32_t level,
                             const char *reason)
{
    uint32_t row;
    if (!ix || !reason || strlen(reason) >= SL_INDEX_REASON_MAX || level > 255)
        return SL_ERR_INVALID;
    WRITABLE(ix);
    pthread_mutex_lock(&ix->wlock);
    sl_status st = SL_ERR_NOT_FOUND;
    if (sl__ix_map_get(&ix->map, id, &row)) {
        st = SL_OK;
        if (ix->dir)
            st = sl__ix_log_watch(ix, id, level, reason);
        if (st == SL_OK)
            st = sl__ix_apply_watch(ix, id, level, reason);
    }
    pthread_mutex_unlock(&ix->wlock);
    return st;
}

void sl_index_set_watch_hook(sl_index *ix, sl_index_watch_fn fn, void *user)
{
    if (!ix)
        return;
    pthread_rwlock_wrlock(&ix->meta_lock);
    ix->hook = fn;
    ix->hook_user = user;
    pthread_rwlock_unlock(&ix->meta_lock);
}

/* ============================ Search ===================================== */

struct cand {
    float    s;
    uint32_t row;
};

struct heap {
    struct cand *c;
    uint32_t     n, cap;
};

static void heap_push(struct heap *h, float s, uint32_t row)
{
    struct cand x = { s, row };
    size_t i;
    if (h->n < h->cap) {
        i = h->n++;
        while (i > 0) {                     /* sift up */
            size_t p = (i - 1) / 2;
            if (h->c[p].s <= s)
                break;
            h->c[i] = h->c[p];
            i = p;
        }
        h->c[i] = x;
        return;
    }
    if (s <= h->c[0].s)
        return;
    i = 0;                                  /* replace the root, sift down */
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        float ms = s;
        if (l < h->n && h->c[l].s < ms) {
            m = l;
            ms = h->c[l].s;
        }
        if (l + 1 < h->n && h->c[l + 1].s < ms)
            m = l + 1;
        if (m == i)
            break;
        h->c[i] = h->c[m];
        i = m;
    }
    h->c[i] = x;
}

struct wcand {
    uint32_t row, q;
};

/* Query-side data shared by every thread of one search. */
struct plan {
    sl_index            *ix;
    struct sl__ix_rows *s;
    size_t               nq, pdim;
    const float         *qf;       /* nq x pdim unit fp32                   */
    const int8_t        *qi;       /* nq x pdim int8                        */
    const uint8_t       *qu;       /* qi + 128                              */
    const float         *qs;       /* nq int8 query scales                  */
    float                thr_eff;  /* threshold minus the kernel's margin   */
    float                watch_min; /* lowest watch threshold minus margin  */
    uint32_t             kk;       /* candidates kept per query             */
    const uint64_t      *filter;   /* SL_INDEX_COLL_MAX bits or NULL        */
    const float         *wthr;     /* per-collection watch thr or NULL      */
    uint32_t             nprobe;
    const uint32_t      *probes;   /* nq x nprobe list numbers (IVF)        */
};

/* One thread's share: a row range (exact) or a query range (IVF). */
struct part {
    const struct plan *p;
    size_t             begin, end;
    struct heap       *heaps;      /* nq                                    */
    float             *cut;        /* nq                                    */
    float             *scores;     /* block buffer                          */
    uint32_t          *idx;        /* positions above the cut, one block    */
    struct wcand      *w;
    size_t             nw;
    sl_status          st;
    uint8_t           *gather;     /* IVF: gathered codes                   */
    float             *gscale;
    int32_t           *gvsum;
    uint32_t          *grows;
};

static inline float heap_cut(const struct plan *p, const struct heap *h)
{
    float c = h->n < h->cap ? p->thr_eff : SL_MAX(p->thr_eff, h->c[0].s);
    return SL_MIN(c, p->watch_min);
}

/* The rare path: a row whose approximate score beat the query's cut. */
static void consider(struct part *t, size_t j, uint32_t row, float s)
{
    const struct plan *p = t->p;
    const struct sl__ix_chunk *c = sl__ix_chunk_of(p->s, row);
    size_t off = row & (SL__IX_CHUNK_ROWS - 1);
    if (atomic_load_explicit(&c->dead[off], memory_order_acquire))
        return;
    uint32_t coll = c->coll[off];
    if (p->wthr && s >= p->wthr[coll] && t->nw < WATCH_MAX) {
        t->w[t->nw].row = row;
        t->w[t->nw].q = (uint32_t)j;
        t->nw++;
    }
    if (s < p->thr_eff)
        return;
    if (p->filter && !(p->filter[coll >> 6] & (1ull << (coll & 63))))
        return;
    heap_push(&t->heaps[j], s, row);
    t->cut[j] = heap_cut(p, &t->heaps[j]);
}

/* Scores n rows at codes for all queries into t->scores (n x nq). */
static void score_block(struct part *t, const uint8_t *codes,
                        const float *scale, const int32_t *vsum, size_t n)
{
    const struct plan *p = t->p;
    const struct sl__ix_kernels *k = p->ix->kern;
    if (p->nq == 1) {
        if (p->ix->kind == SL_INDEX_INT8)
            k->i8((const int8_t *)codes, p->pdim, n, p->qi, p->qu, vsum, scale,
                  p->qs[0], t->scores);
        else if (p->ix->kind == SL_INDEX_FP16)
            k->f16((const uint16_t *)codes, p->pdim, n, p->qf, t->scores);
        else
            k->f32((const float *)codes, p->pdim, n, p->qf, t->scores);
        return;
    }
    if (p->ix->kind == SL_INDEX_INT8)
        k->i8_batch((const int8_t *)codes, p->pdim, n, p->qi, p->qu, p->nq,
                    vsum, scale, p->qs, t->scores);
    else if (p->ix->kind == SL_INDEX_FP16)
        k->f16_batch((const uint16_t *)codes, p->pdim, n, p->qf, p->nq,
                     t->scores);
    else
        k->f32_batch((const float *)codes, p->pdim, n, p->qf, p->nq, t->scores);
}

static void scan_exact(struct part *t)
{
    const struct plan *p = t->p;
    size_t nq = p->nq, blk = nq == 1 ? BLK_ROWS : BLK_BATCH;
    for (size_t r = t->begin; r < t->end;) {
        const struct sl__ix_chunk *c = sl__ix_chunk_of(p->s, r);
        size_t off = r & (SL__IX_CHUNK_ROWS - 1);
        size_t n = SL_MIN(blk, SL__IX_CHUNK_ROWS - off);
        n = SL_MIN(n, t->end - r);
        score_block(t, c->codes + off * p->ix->stride, c->scale + off,
                    c->vsum + off, n);
        const float *sc = t->scores;
        const struct sl__ix_kernels *k = p->ix->kern;
        if (nq == 1) {
            size_t m = k->above1(sc, n, t->cut[0], t->idx);
            for (size_t a = 0; a < m; a++) {
                size_t i = t->idx[a];
                if (sc[i] > t->cut[0])
                    consider(t, 0, (uint32_t)(r + i), sc[i]);
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                size_t m = k->abovev(sc + i * nq, t->cut, nq, t->idx);
                for (size_t a = 0; a < m; a++) {
                    size_t j = t->idx[a];
                    if (sc[i * nq + j] > t->cut[j])
                        consider(t, j, (uint32_t)(r + i), sc[i * nq + j]);
                }
            }
        }
        r += n;
    }
}

/* IVF: queries [begin, end) of the plan, each over its probed lists; rows
 * are gathered into a contiguous block so the same kernels run. */
static void scan_ivf(struct part *t)
{
    const struct plan *p = t->p;
    const sl_index *ix = p->ix;
    const struct sl__ix_ivf *v = ix->ivf;
    struct plan one = *p;
    one.nq = 1;
    struct part sub = *t;
    sub.p = &one;
    for (size_t j = t->begin; j < t->end; j++) {
        one.qf = p->qf + j * p->pdim;
        one.qi = p->qi + j * p->pdim;
        one.qu = p->qu + j * p->pdim;
        one.qs = p->qs + j;
        sub.heaps = t->heaps + j;
        sub.cut = t->cut + j;
        sub.nw = t->nw;
        for (uint32_t pi = 0; pi < p->nprobe; pi++) {
            const struct sl__ix_list *l = &v->lists[p->probes[j * p->nprobe + pi]];
            uint32_t len = atomic_load_explicit(&l->len, memory_order_acquire);
            for (uint32_t b = 0; b < len; b += BLK_ROWS) {
                uint32_t n = SL_MIN(BLK_ROWS, len - b);
                uint32_t first = l->rows[b], last = l->rows[b + n - 1];
                if (last - first == n - 1 &&
                    (first >> SL__IX_CHUNK_SHIFT) == (last >> SL__IX_CHUNK_SHIFT)) {
                    /* a contiguous run (rows laid out by list): stream it */
                    const struct sl__ix_chunk *c = sl__ix_chunk_of(p->s, first);
                    size_t off = first & (SL__IX_CHUNK_ROWS - 1);
                    score_block(&sub, c->codes + off * ix->stride, c->scale + off,
                                c->vsum + off, n);
                    float cut = sub.cut[0];
                    for (uint32_t i = 0; i < n; i++)
                        if (t->scores[i] > cut) {
                            consider(&sub, 0, first + i, t->scores[i]);
                            cut = sub.cut[0];
                        }
                    continue;
                }
                for (uint32_t i = 0; i < n; i++) {
                    uint32_t row = l->rows[b + i];
                    if (i + 4 < n) {
                        uint32_t nr = l->rows[b + i + 4];
                        const uint8_t *np = sl__ix_chunk_of(p->s, nr)->codes +
                            (nr & (SL__IX_CHUNK_ROWS - 1)) * ix->stride;
                        for (uint32_t o = 0; o < ix->stride; o += 64)
                            __builtin_prefetch(np + o);
                    }
                    const struct sl__ix_chunk *c = sl__ix_chunk_of(p->s, row);
                    size_t off = row & (SL__IX_CHUNK_ROWS - 1);
                    memcpy(t->gather + (size_t)i * ix->stride,
                           c->codes + off * ix->stride, ix->stride);
                    t->gscale[i] = c->scale[off];
                    t->gvsum[i] = c->vsum[off];
                    t->grows[i] = row;
                }
                score_block(&sub, t->gather, t->gscale, t->gvsum, n);
                float cut = sub.cut[0];
                for (uint32_t i = 0; i < n; i++)
                    if (t->scores[i] > cut) {
                        /* consider() indexes heaps by query: use sub (j=0) */
                        consider(&sub, 0, t->grows[i], t->scores[i]);
                        cut = sub.cut[0];
                    }
            }
        }
        /* watch candidates were recorded with q = 0; fix the query number */
        for (size_t w = t->nw; w < sub.nw; w++)
            sub.w[w].q = (uint32_t)j;
        t->nw = sub.nw;
    }
}

static void part_main(struct part *t)
{
    if (t->p->probes)
        scan_ivf(t);
    else
        scan_exact(t);
}

static void part_task(void *ctx, size_t i)
{
    part_main(&((struct part *)ctx)[i]);
}

static sl_status part_init(struct part *t, const struct plan *p)
{
    memset(t, 0, sizeof(*t));
    t->p = p;
    size_t blk = p->nq == 1 ? BLK_ROWS : BLK_BATCH;
    t->heaps = sl__calloc(p->nq, sizeof(*t->heaps));
    t->cut = sl__malloc(p->nq * sizeof(float));
    t->scores = sl__malloc(blk * p->nq * sizeof(float));
    t->idx = sl__malloc(SL_MAX(blk, p->nq) * sizeof(uint32_t));
    t->w = sl__malloc(WATCH_MAX * sizeof(*t->w));
    struct cand *cs = sl__malloc(p->nq * p->kk * sizeof(*cs));
    if (p->probes) {
        t->gather = sl__aligned_alloc(64, (size_t)BLK_ROWS * p->ix->stride);
        t->gscale = sl__malloc(BLK_ROWS * sizeof(float));
        t->gvsum = sl__malloc(BLK_ROWS * sizeof(int32_t));
        t->grows = sl__malloc(BLK_ROWS * sizeof(uint32_t));
    }
    if (!t->heaps || !t->cut || !t->scores || !t->idx || !t->w || !cs ||
        (p->probes && (!t->gather || !t->gscale || !t->gvsum || !t->grows))) {
        sl__free(cs);
        return SL_ERR_NOMEM;
    }
    for (size_t j = 0; j < p->nq; j++) {
        t->heaps[j].c = cs + j * p->kk;
        t->heaps[j].cap = p->kk;
        t->cut[j] = heap_cut(p, &t->heaps[j]);
    }
    return SL_OK;
}

static void part_free(struct part *t)
{
    if (t->heaps)
        sl__free(t->heaps[0].c);
    sl__free(t->heaps);
    sl__free(t->cut);
    sl__free(t->scores);
    sl__free(t->idx);
    sl__free(t->w);
    sl__free(t->gather);
    sl__free(t->gscale);
    sl__free(t->gvsum);
    sl__free(t->grows);
}

static float exact_score(const sl_index *ix, const struct sl__ix_rows *s,
                         size_t row, const float *q, float *tmp)
{
    sl__ix_row_f32(ix, s, row, tmp);
    float acc = 0;
    for (size_t i = 0; i < ix->pdim; i++)
        acc += q[i] * tmp[i];
    return acc;
}

static int cmp_cand_desc(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? 1 : -1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* Prepared query vectors: unit fp32, int8 and u8 forms. */
struct qbuf {
    float   *qf;
    int8_t  *qi;
    uint8_t *qu;
    float   *qs;
};

static void qbuf_free(struct qbuf *b)
{
    sl__free(b->qf);
    sl__free(b->qi);
    sl__free(b->qu);
    sl__free(b->qs);
}

static sl_status qbuf_init(struct qbuf *b, const sl_index *ix, const float *vecs,
                           size_t nq, size_t dim)
{
    memset(b, 0, sizeof(*b));
    size_t pd = ix->pdim;
    b->qf = sl__aligned_alloc(64, nq * pd * sizeof(float));
    b->qi = sl__aligned_alloc(64, nq * pd);
    b->qu = sl__aligned_alloc(64, nq * pd);
    b->qs = sl__malloc(nq * sizeof(float));
    if (!b->qf || !b->qi || !b->qu || !b->qs)
        return SL_ERR_NOMEM;
    for (size_t j = 0; j < nq; j++) {
        sl_status st = normalize(ix, vecs + j * dim, dim, b->qf + j * pd);
        if (st != SL_OK)
            return st;
        int32_t sum;
        b->qs[j] = sl__ix_quantize(b->qf + j * pd, pd, b->qi + j * pd, &sum);
        for (size_t i = 0; i < pd; i++)
            b->qu[j * pd + i] = (uint8_t)(b->qi[j * pd + i] + 128);
    }
    return SL_OK;
}

static sl_status search_impl(sl_index *ix, const struct sl_index_query *q,
                             const float *vecs, size_t nq, size_t dim,
                             struct sl_index_hit *hits, size_t *counts)
{
    sl_status st;
    struct qbuf qb;
    struct part parts[SL_INDEX_THREADS_MAX];
    uint64_t filter[SL_INDEX_COLL_MAX / 64];
    float wthr[SL_INDEX_COLL_MAX];
    uint32_t *probes = NULL;
    struct cand *all = NULL;
    float *tmp = NULL;
    size_t nparts = 0;

    if (!ix || !q || !vecs || !hits || !counts || nq == 0)
        return SL_ERR_INVALID;
    if (q->k < 1 || q->k > SL_INDEX_K_MAX || !(q->threshold >= -2.0f) ||
        q->mode > SL_INDEX_IVF || q->threads > SL_INDEX_THREADS_MAX ||
        (q->ncolls && !q->colls))
        return SL_ERR_INVALID;
    if (dim != ix->dim)
        return SL_ERR_INDEX_DIM;
    st = qbuf_init(&qb, ix, vecs, nq, dim);
    if (st != SL_OK)
        goto out_q;

    struct plan p;
    memset(&p, 0, sizeof(p));
    p.ix = ix;
    p.nq = nq;
    p.pdim = ix->pdim;
    p.qf = qb.qf;
    p.qi = qb.qi;
    p.qu = qb.qu;
    p.qs = qb.qs;
    float margin = ix->kind == SL_INDEX_INT8 ? I8_MARGIN : FP_MARGIN;
    p.thr_eff = q->threshold - margin;
    p.kk = q->k + (ix->kind == SL_INDEX_INT8 ? I8_EXTRA : 8u);
    if (q->colls) {
        memset(filter, 0, sizeof(filter));
        for (size_t i = 0; i < q->ncolls; i++) {
            if (q->colls[i] >= SL_INDEX_COLL_MAX) {
                st = SL_ERR_INVALID;
                goto out_q;
            }
            filter[q->colls[i] >> 6] |= 1ull << (q->colls[i] & 63);
        }
        p.filter = filter;
    }
    if (q->model_id) {
        /* only the collections of the query's model; a listed one of
         * another model is an error, not an empty answer */
        if (!q->colls)
            memset(filter, 0xff, sizeof(filter));
        pthread_rwlock_rdlock(&ix->meta_lock);
        for (uint32_t c = 0; c < SL_INDEX_COLL_MAX; c++) {
            const struct sl__ix_coll *cc = &ix->colls[c];
            bool same = cc->model_set && strcmp(cc->model, q->model_id) == 0;
            bool listed = filter[c >> 6] & (1ull << (c & 63));
            if (listed && !same) {
                filter[c >> 6] &= ~(1ull << (c & 63));
                if (q->colls && (cc->model_set || atomic_load_explicit(
                                     &ix->coll_rows[c], memory_order_relaxed)))
                    st = SL_ERR_INDEX_MODEL;
            }
        }
        pthread_rwlock_unlock(&ix->meta_lock);
        if (st != SL_OK)
            goto out_q;
        p.filter = filter;
    }
    p.watch_min = INFINITY;
    sl_index_watch_fn hook = NULL;
    void *hook_user = NULL;
    if (atomic_load(&ix->nwatchcoll)) {
        pthread_rwlock_rdlock(&ix->meta_lock);
        hook = ix->hook;
        hook_user = ix->hook_user;
        for (size_t c = 0; c < SL_INDEX_COLL_MAX; c++) {
            wthr[c] = ix->colls[c].set && ix->colls[c].watch
                      ? ix->colls[c].thr - margin : INFINITY;
            p.watch_min = SL_MIN(p.watch_min, wthr[c]);
        }
        pthread_rwlock_unlock(&ix->meta_lock);
        if (hook)
            p.wthr = wthr;
        else
            p.watch_min = INFINITY;
    }

    pthread_rwlock_rdlock(&ix->swap_lock);
    p.s = ix->rows;
    size_t nrows = atomic_load_explicit(&p.s->nrows, memory_order_acquire);
    size_t live = nrows - atomic_load(&p.s->ndead);
    bool ivf = false;
    if (q->mode == SL_INDEX_IVF) {
        if (!ix->ivf) {
            st = SL_ERR_STATE;
            goto out_locked;
        }
        ivf = true;
    } else if (q->mode == SL_INDEX_AUTO) {
        ivf = ix->ivf && live >= ix->opts.ivf_min_rows;
    }
    size_t T = q->threads ? q->threads : ix->opts.threads;
    if (ivf) {
        uint32_t np = q->nprobe ? q->nprobe : ix->opts.ivf_nprobe;
        if (!np)
            np = SL_MAX(1u, ix->ivf->nlist / 32);
        np = SL_MIN(np, SL_MIN(ix->ivf->nlist, 1024u));
        p.nprobe = np;
        probes = sl__malloc(nq * np * sizeof(uint32_t));
        if (!probes) {
            st = SL_ERR_NOMEM;
            goto out_locked;
        }
        for (size_t j = 0; j < nq; j++)
            sl__ix_ivf_probe(ix, qb.qf + j * ix->pdim, np, probes + j * np);
        p.probes = probes;
        T = SL_MIN(T, nq);
    } else {
        /* at least 64k rows per extra thread: below that, spawning costs more */
        T = SL_MIN(T, SL_MAX((size_t)1, nrows / 65536));
    }
    for (nparts = 0; nparts < T; nparts++) {
        st = part_init(&parts[nparts], &p);
        if (st != SL_OK) {
            nparts++;
            goto out_locked;
        }
        size_t total = ivf ? nq : nrows;
        size_t step = ((total + T - 1) / T + 63) & ~(size_t)63;
        if (ivf)
            step = (total + T - 1) / T;
        parts[nparts].begin = SL_MIN(total, nparts * step);
        parts[nparts].end = SL_MIN(total, (nparts + 1) * step);
    }
    /* the parts run on the pool (made once, or the caller's); without one
     * serially -- the same parts either way, so the same results */
    if (nparts > 1 && ix->run) {
        ix->run(ix->pool, part_task, parts, nparts);
    } else {
        for (size_t i = 0; i < nparts; i++)
            part_main(&parts[i]);
    }

    /* merge, rescore exactly, cut to k */
    all = sl__malloc(nparts * p.kk * sizeof(*all));
    tmp = sl__aligned_alloc(64, ix->pdim * sizeof(float));
    if (!all || !tmp) {
        st = SL_ERR_NOMEM;
        goto out_locked;
    }
    for (size_t j = 0; j < nq; j++) {
        size_t n = 0;
        const float *qv = qb.qf + j * ix->pdim;
        for (size_t t = 0; t < nparts; t++)
            for (uint32_t h = 0; h < parts[t].heaps[j].n; h++) {
                uint32_t row = parts[t].heaps[j].c[h].row;
                all[n].row = row;
                all[n].s = exact_score(ix, p.s, row, qv, tmp);
                n++;
            }
        qsort(all, n, sizeof(*all), cmp_cand_desc);
        size_t m = 0;
        for (size_t i = 0; i < n && m < q->k; i++) {
            if (all[i].s < q->threshold)
                break;
            const struct sl__ix_chunk *c = sl__ix_chunk_of(p.s, all[i].row);
            size_t off = all[i].row & (SL__IX_CHUNK_ROWS - 1);
            struct sl_index_hit *hh = &hits[j * q->k + m++];
            hh->id = c->ids[off];
            hh->coll = c->coll[off];
            hh->score = all[i].s;
        }
        counts[j] = m;
    }
    if (hook) {
        pthread_rwlock_rdlock(&ix->meta_lock);
        for (size_t t = 0; t < nparts; t++)
            for (size_t w = 0; w < parts[t].nw; w++) {
                const struct wcand *wc = &parts[t].w[w];
                const struct sl__ix_chunk *c = sl__ix_chunk_of(p.s, wc->row);
                size_t off = wc->row & (SL__IX_CHUNK_ROWS - 1);
                uint32_t coll = c->coll[off];
                float s = exact_score(ix, p.s, wc->row,
                                      qb.qf + (size_t)wc->q * ix->pdim, tmp);
                if (!ix->colls[coll].watch || s < ix->colls[coll].thr)
                    continue;
                struct sl_index_watch_hit wh = {
                    c->ids[off], s, coll, 0, "", wc->q,
                };
                uint32_t at;
                if (sl__ix_map_get(&ix->watchmap, wh.id, &at)) {
                    wh.level = ix->watch[at].level;
                    wh.reason = ix->watch[at].reason;
                }
                hook(hook_user, &wh);
            }
        pthread_rwlock_unlock(&ix->meta_lock);
    }
    st = SL_OK;

out_locked:
    pthread_rwlock_unlock(&ix->swap_lock);
    for (size_t i = 0; i < nparts; i++)
        part_free(&parts[i]);
out_q:
    sl__free(all);
    sl__free(tmp);
    sl__free(probes);
    qbuf_free(&qb);
    return st;
}

sl_status sl_index_search(sl_index *ix, const struct sl_index_query *q,
                          const float *vec, size_t dim,
                          struct sl_index_hit *hits, size_t cap, size_t *n)
{
    if (!q || !n || cap < q->k)
        return SL_ERR_INVALID;
    *n = 0;
    return search_impl(ix, q, vec, 1, dim, hits, n);
}

sl_status sl_index_search_batch(sl_index *ix, const struct sl_index_query *q,
                                const float *vecs, size_t nq, size_t dim,
                                struct sl_index_hit *hits, size_t *counts)
{
    return search_impl(ix, q, vecs, nq, dim, hits, counts);
}

/* ============================ Stats, compact ============================= */

sl_status sl_index_stats(sl_index *ix, struct sl_index_stats *st)
{
    if (!ix || !st)
        return SL_ERR_INVALID;
    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&ix->wlock);
    pthread_rwlock_rdlock(&ix->swap_lock);
    size_t nrows = atomic_load(&ix->rows->nrows);
    st->dim = ix->dim;
    st->kind = ix->kind;
    st->dead = atomic_load(&ix->rows->ndead);
    st->live = nrows - st->dead;
    uint64_t bytes = (uint64_t)ix->rows->nchunks * chunk_bytes(ix->stride);
    bytes += ix->map.cap * (sizeof(uint64_t) + sizeof(uint32_t));
    if (ix->ivf) {
        st->ivf_nlist = ix->ivf->nlist;
        st->ivf_nprobe = ix->opts.ivf_nprobe ? ix->opts.ivf_nprobe
                                             : SL_MAX(1u, ix->ivf->nlist / 32);
        bytes += (uint64_t)ix->ivf->nlist * ix->pdim * 5;
        for (uint32_t l = 0; l < ix->ivf->nlist; l++)
            bytes += ix->ivf->lists[l].cap * 4ull;
    }
    st->bytes = bytes;
    /* per template: what a row costs at steady state (chunk share + map) */
    st->bytes_per_template = (ix->stride + 4 + 4 + 8 + 4 + 2 + 1) +
        (ix->map.len ? ix->map.cap * 12 / ix->map.len : 0) +
        (ix->ivf ? 4 : 0);
    st->log_records = ix->log_records;
    st->log_cut_bytes = ix->log_cut_bytes;
    for (size_t c = 0; c < SL_INDEX_COLL_MAX; c++)
        st->ncollections += ix->colls[c].set;
    st->kernel = ix->kern->name;
    st->read_only = ix->read_only;
    st->version = ix->version;
    st->log_damaged_record = ix->chk.torn_tail ? 0 : ix->chk.damaged_record;
    pthread_rwlock_unlock(&ix->swap_lock);
    pthread_mutex_unlock(&ix->wlock);
    return SL_OK;
}

/* Copies the live rows into new row storage and swaps it in. Caller holds
 * wlock. The IVF lists are rebuilt from the rows' list numbers. */
static sl_status compact_memory(sl_index *ix)
{
    struct sl__ix_rows *old = ix->rows, *s = sl__ix_rows_new();
    struct sl__ix_map map = { 0 };
    struct sl__ix_list *lists = NULL;
    sl_status st = SL_ERR_NOMEM;
    if (!s)
        return st;
    size_t nrows = atomic_load(&old->nrows), out = 0;
    float *tmp = sl__aligned_alloc(64, ix->pdim * sizeof(float));
    /* with an IVF, rows are laid out list by list (a counting sort on the
     * list number; rows without one last), so each list is a contiguous
     * run of rows that the IVF scan streams instead of gathering */
    uint32_t nl = ix->ivf ? ix->ivf->nlist : 0;
    size_t *start = sl__calloc((size_t)nl + 2, sizeof(size_t));
    uint32_t *order = sl__malloc(SL_MAX(nrows, (size_t)1) * sizeof(uint32_t));
    if (!tmp || !start || !order)
        goto fail;
    for (size_t r = 0; r < nrows; r++) {
        const struct sl__ix_chunk *c = sl__ix_chunk_of(old, r);
        uint32_t l = atomic_load(&c->list[r & (SL__IX_CHUNK_ROWS - 1)]);
        start[(l < nl ? l : nl) + 1]++;
    }
    for (size_t l = 1; l <= nl + 1; l++)
        start[l] += start[l - 1];
    for (size_t r = 0; r < nrows; r++) {
        const struct sl__ix_chunk *c = sl__ix_chunk_of(old, r);
        uint32_t l = atomic_load(&c->list[r & (SL__IX_CHUNK_ROWS - 1)]);
        order[start[l < nl ? l : nl]++] = (uint32_t)r;
    }
    for (size_t oi = 0; oi < nrows; oi++) {
        size_t r = order[oi];
        struct sl__ix_chunk *c = sl__ix_chunk_of(old, r);
        size_t off = r & (SL__IX_CHUNK_ROWS - 1);
        if (atomic_load(&c->dead[off]))
            continue;
        st = sl__ix_rows_reserve(ix, s, out);
        if (st != SL_OK)
            goto fail;
        struct sl__ix_chunk *d = sl__ix_chunk_of(s, out);
        size_t doff = out & (SL__IX_CHUNK_ROWS - 1);
        memcpy(d->codes + doff * ix->stride, c->codes + off * ix->stride,
               ix->stride);
        d->scale[doff] = c->scale[off];
        d->vsum[doff] = c->vsum[off];
        d->ids[doff] = c->ids[off];
        d->coll[doff] = c->coll[off];
        atomic_init(&d->dead[doff], 0);
        atomic_init(&d->list[doff], atomic_load(&c->list[off]));
        st = sl__ix_map_put(&map, c->ids[off], (uint32_t)out);
        if (st != SL_OK)
            goto fail;
        out++;
    }
    atomic_store(&s->nrows, out);
    if (ix->ivf) {
        lists = sl__calloc(nl, sizeof(*lists));
        if (!lists)
            goto fail;
        for (size_t r = 0; r < out; r++) {
            uint32_t l = atomic_load(&sl__ix_chunk_of(s, r)->list[r & (SL__IX_CHUNK_ROWS - 1)]);
            if (l < nl)
                lists[l].cap++;
        }
        for (uint32_t l = 0; l < nl; l++) {
            lists[l].cap = lists[l].cap + lists[l].cap / 4 + 16;
            lists[l].rows = sl__malloc(lists[l].cap * sizeof(uint32_t));
            if (!lists[l].rows)
                goto fail;
        }
        for (size_t r = 0; r < out; r++) {
            uint32_t l = atomic_load(&sl__ix_chunk_of(s, r)->list[r & (SL__IX_CHUNK_ROWS - 1)]);
            if (l < nl) {
                uint32_t n = atomic_load(&lists[l].len);
                lists[l].rows[n] = (uint32_t)r;
                atomic_store(&lists[l].len, n + 1);
            }
        }
    }
    pthread_rwlock_wrlock(&ix->swap_lock);
    ix->rows = s;
    struct sl__ix_map oldmap = ix->map;
    ix->map = map;
    if (ix->ivf) {
        struct sl__ix_list *ol = ix->ivf->lists;
        ix->ivf->lists = lists;
        lists = ol;
    }
    pthread_rwlock_unlock(&ix->swap_lock);
    sl__ix_map_free(&oldmap);
    if (lists)
        for (uint32_t l = 0; l < ix->ivf->nlist; l++)
            sl__free(lists[l].rows);
    sl__free(lists);
    sl__ix_rows_free(old);
    sl__free(tmp);
    sl__free(start);
    sl__free(order);
    return SL_OK;

fail:
    if (lists)
        for (uint32_t l = 0; l < ix->ivf->nlist; l++)
            sl__free(lists[l].rows);
    sl__free(lists);
    sl__ix_map_free(&map);
    sl__ix_rows_free(s);
    sl__free(tmp);
    sl__free(start);
    sl__free(order);
    return st;
}

sl_status sl_index_compact(sl_index *ix)
{
    if (!ix)
        return SL_ERR_INVALID;
    WRITABLE(ix);
    pthread_mutex_lock(&ix->wlock);
    sl_status st = compact_locked(ix);
    pthread_mutex_unlock(&ix->wlock);
    return st;
}

/* Caller holds wlock. */
static sl_status compact_locked(sl_index *ix)
{
    /* the automatic IVF: trained (or retrained once the gallery doubled)
     * when the live count reaches the measured crossover; then the rows
     * are compacted in list order */
    sl_status st = SL_OK;
    size_t live = atomic_load(&ix->rows->nrows) - atomic_load(&ix->rows->ndead);
    if (ix->opts.ivf_min_rows && live >= ix->opts.ivf_min_rows &&
        (!ix->ivf || live >= 2 * ix->ivf_trained_rows)) {
        st = sl__ix_ivf_train(ix, 0);
        if (st == SL_OK)
            ix->ivf_trained_rows = live;
    }
    if (st == SL_OK)
        st = compact_memory(ix);
    if (st == SL_OK && ix->dir)
        st = sl__ix_persist_snapshot(ix);
    return st;
}

sl_status sl_index_sync(sl_index *ix)
{
    if (!ix)
        return SL_ERR_INVALID;
    if (!ix->dir || ix->read_only)
        return SL_OK;
    pthread_mutex_lock(&ix->wlock);
    sl_status st = sl__ix_log_sync(ix);
    pthread_mutex_unlock(&ix->wlock);
    return st;
}

sl_status sl_index_ivf_train(sl_index *ix, uint32_t nlist)
{
    if (!ix)
        return SL_ERR_INVALID;
    pthread_mutex_lock(&ix->wlock);
    sl_status st = sl__ix_ivf_train(ix, nlist);
    if (st == SL_OK) {
        ix->ivf_trained_rows = atomic_load(&ix->rows->nrows) -
                               atomic_load(&ix->rows->ndead);
        st = compact_memory(ix);   /* rows in list order (memory only) */
    }
    pthread_mutex_unlock(&ix->wlock);
    return st;
}

/* ============================ Bandwidth probe ============================ */

struct bw_job {
    const struct sl__ix_kernels *k;
    const uint8_t *p;
    size_t         n;
    uint64_t       sink;
};

static void *bw_main(void *arg)
{
    struct bw_job *j = arg;
    j->sink = j->k->read(j->p, j->n);
    return NULL;
}

double sl_index_read_bandwidth(uint32_t threads, size_t bytes)
{
    if (!bytes)
        bytes = (size_t)1 << 30;
    threads = SL_CLAMP(threads, 1u, SL_INDEX_THREADS_MAX);
    size_t per = (bytes / threads) & ~(size_t)((2u << 20) - 1);
    if (!per)
        return 0;
    uint8_t *buf = sl__aligned_alloc(2u << 20, per * threads);
    if (!buf)
        return 0;
#ifdef MADV_HUGEPAGE
    (void)madvise(buf, per * threads, MADV_HUGEPAGE);
#endif
    memset(buf, 1, per * threads);
    const struct sl__ix_kernels *k = sl__ix_kernels_best();
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        struct bw_job jobs[SL_INDEX_THREADS_MAX];
        pthread_t tid[SL_INDEX_THREADS_MAX];
        bool started[SL_INDEX_THREADS_MAX] = { false };
        uint64_t t0 = sl_time_mono_ns();
        for (uint32_t t = 0; t < threads; t++) {
            jobs[t] = (struct bw_job){ k, buf + t * per, per, 0 };
            if (t && pthread_create(&tid[t], NULL, bw_main, &jobs[t]) == 0)
                started[t] = true;
        }
        bw_main(&jobs[0]);
        for (uint32_t t = 1; t < threads; t++) {
            if (started[t])
                pthread_join(tid[t], NULL);
            else
                bw_main(&jobs[t]);
        }
        double s = (double)(sl_time_mono_ns() - t0) / 1e9;
        volatile uint64_t sink = jobs[0].sink;
        (void)sink;
        best = SL_MAX(best, (double)(per * threads) / s / 1e9);
    }
    sl__free(buf);
    return best;
}
