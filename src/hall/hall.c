/*
 * hall.c -- the portrait library, watchlists and alarms over the store,
 * with a per-node in-memory cache kept current from hall_change (hall.h).
 */
#include "hall/hall.h"

#include <math.h>
#include <sodium.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "id/id.h"
#include "index/kernel.h"      /* the index's int8 scan kernel */
#include "shualian/index.h"

/* ============================ The cache ================================= */

struct vec {
    int64_t id;          /* person or watchlist entry                      */
    int64_t hall;
    int64_t expires_ms;  /* watchlist entries                              */
    int     level;       /* watchlist: level; persons: photos held         */
    float   v[SL_HALL_DIM];
};

struct vset {
    struct vec *a;
    size_t      n, cap;
};

/* A hall's library: the L2-normalised mean of each person's templates in
 * an in-memory src/index gallery (int8 rows, 520 B a person; IVF once it
 * holds ivf_min_rows, trained by compact), id = person, collection = the
 * number of photos held (1..SL_HALL_MAX_PHOTOS). */
struct lib {
    int64_t   hall;
    sl_index *ix;
    size_t    n;            /* live persons                               */
    size_t    compacted;    /* live persons at the last compact           */
};

static struct {
    pthread_mutex_t mu;
    int64_t         seen;       /* last hall_change id applied             */
    struct vset     watch;
    struct lib     *libs;
    size_t          n_libs;
    sl_hall_alarm_fn hook;
    void           *hook_ctx;
    int64_t         applied;    /* changes applied since start (progress)  */
    /* ids skipped over: on PostgreSQL a sequence value can commit after a
     * higher one; each gap is looked up again at every sync until it
     * appears or 60 s (wall clock) have passed (a rolled-back id) */
    struct gap { int64_t id; int64_t since_s; } gaps[1024];
    size_t          n_gaps;
    /* the watchlist scan's int8 copy (contiguous; row i = watch.a[i]),
     * rebuilt after a change; candidates near the threshold are rescored
     * on the float vectors (bound below), so decisions are the exact scan's */
    int8_t         *wq;
    float          *wscale;
    int32_t        *wvsum;      /* sum of each row's codes (the kernels')  */
    float          *wout;       /* scores of one scan                      */
    size_t          wq_n, wq_cap;
    bool            wq_dirty;
} C = { .mu = PTHREAD_MUTEX_INITIALIZER };

static atomic_bool ready;
static pthread_t   loader;
static bool        loader_on;
static struct { sl_store *s; const sl_keyring *k; } load_args;
/* PostgreSQL: a listener on channel hall_change applies every change as
 * it commits anywhere; while it is up, requests skip the catch-up query */
static struct sl_store_listener *listener;
static atomic_bool listening;

static struct vec *vset_find(struct vset *s, int64_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->a[i].id == id)
            return &s->a[i];
    return NULL;
}

static void vset_remove(struct vset *s, int64_t id)
{
    struct vec *e = vset_find(s, id);
    if (e) {
        *e = s->a[s->n - 1];
        s->n--;
    }
}

/* Appends (no look-up) when 'fresh', else replaces the same id. */
static sl_status vset_add(struct vset *s, const struct vec *v, bool fresh)
{
    struct vec *e = fresh ? NULL : vset_find(s, v->id);
    if (!e) {
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 64;
            struct vec *na = sl__malloc(nc * sizeof *na);
            if (!na)
                return SL_ERR_NOMEM;
            if (s->n)
                memcpy(na, s->a, s->n * sizeof *na);
            sl__free(s->a);
            s->a = na;
            s->cap = nc;
        }
        e = &s->a[s->n++];
    }
    *e = *v;
    return SL_OK;
}

static sl_status vset_put(struct vset *s, const struct vec *v)
{
    return vset_add(s, v, false);
}

static void libs_free(void)
{
    for (size_t i = 0; i < C.n_libs; i++)
        sl_index_free(C.libs[i].ix);
    sl__free(C.libs);
    C.libs = NULL;
    C.n_libs = 0;
}

/* hall's library (created when create); NULL if none. Caller holds C.mu. */
static struct lib *lib_of(int64_t hall, bool create, sl_status *st)
{
    for (size_t i = 0; i < C.n_libs; i++)
        if (C.libs[i].hall == hall)
            return &C.libs[i];
    if (!create)
        return NULL;
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.dim = SL_HALL_DIM;
    o.sync = SL_INDEX_SYNC_NONE;
    sl_index *ix = NULL;
    *st = sl_index_create(&ix, NULL, &o);
    if (*st != SL_OK)
        return NULL;
    struct lib *na = sl__malloc((C.n_libs + 1) * sizeof *na);
    if (!na) {
        sl_index_free(ix);
        *st = SL_ERR_NOMEM;
        return NULL;
    }
    if (C.n_libs)
        memcpy(na, C.libs, C.n_libs * sizeof *na);
    sl__free(C.libs);
    C.libs = na;
    C.libs[C.n_libs] = (struct lib){ .hall = hall, .ix = ix };
    return &C.libs[C.n_libs++];
}

/* Drops a person from every library (a withdrawn person's hall is not
 * read again). Caller holds C.mu. */
static void lib_drop(int64_t person)
{
    for (size_t i = 0; i < C.n_libs; i++)
        if (sl_index_contains(C.libs[i].ix, (uint64_t)person) &&
            sl_index_remove(C.libs[i].ix, (uint64_t)person) == SL_OK)
            C.libs[i].n--;
}

/* Puts (replaces) a person's mean. Caller holds C.mu. */
static sl_status lib_put(int64_t hall, int64_t person, int photos, const float *mean)
{
    lib_drop(person);
    sl_status st = SL_OK;
    struct lib *l = lib_of(hall, true, &st);
    if (!l)
        return st;
    uint32_t coll = (uint32_t)(photos < 1 ? 1 : photos > 1000 ? 1000 : photos);
    st = sl_index_add(l->ix, (uint64_t)person, coll, mean, SL_HALL_DIM);
    if (st == SL_OK)
        l->n++;
    return st;
}

/* Trains the IVF (and drops tombstones) once a library has grown to the
 * index's crossover, and again when it doubled. Caller holds C.mu. */
static void libs_compact(void)
{
    for (size_t i = 0; i < C.n_libs; i++) {
        struct lib *l = &C.libs[i];
        if (l->n >= 200000 && l->n >= 2 * l->compacted) {
            int64_t t0 = sl__now_ms();
            sl_status st = sl_index_compact(l->ix);
            if (st == SL_OK)
                l->compacted = l->n;
            sl_log_info("hall: library of hall %lld: %zu persons indexed (IVF), %s, %lld ms",
                        (long long)l->hall, l->n, sl_status_name(st),
                        (long long)(sl__now_ms() - t0));
        }
    }
}

sl_status sl__hall_bench_add(int64_t hall, const uint64_t *ids, const float *rows, size_t n)
{
    if (n == 0)
        return SL_OK;
    pthread_mutex_lock(&C.mu);
    sl_status st = SL_OK;
    struct lib *l = lib_of(hall, true, &st);
    size_t added = 0;
    if (l) {
        uint32_t *coll = sl__malloc(n * sizeof *coll);
        if (!coll)
            st = SL_ERR_NOMEM;
        for (size_t i = 0; coll && i < n; i++)
            coll[i] = 1;
        if (coll)
            st = sl_index_add_batch(l->ix, ids, coll, rows, n, SL_HALL_DIM, &added);
        sl__free(coll);
        l->n += added;
    }
    pthread_mutex_unlock(&C.mu);
    return st;
}

sl_status sl__hall_bench_index(int64_t hall, struct sl_index_stats *out)
{
    pthread_mutex_lock(&C.mu);
    libs_compact();
    sl_status st = SL_OK;
    struct lib *l = lib_of(hall, false, &st);
    st = l ? sl_index_stats(l->ix, out) : SL_ERR_NOT_FOUND;
    pthread_mutex_unlock(&C.mu);
    return st;
}

sl_status sl__hall_bench_top1(int64_t hall, const float emb[SL_HALL_DIM], uint32_t nprobe,
                              int64_t *id, double *score)
{
    pthread_mutex_lock(&C.mu);
    sl_status st = SL_OK;
    struct lib *l = lib_of(hall, false, &st);
    struct sl_index_hit hit;
    size_t nh = 0;
    *id = 0;
    *score = -1;
    if (l) {
        struct sl_index_query q;
        sl_index_query_default(&q);
        q.k = 1;
        q.threshold = -1.0f;
        q.nprobe = nprobe;
        st = sl_index_search(l->ix, &q, emb, SL_HALL_DIM, &hit, 1, &nh);
    } else {
        st = SL_ERR_NOT_FOUND;
    }
    pthread_mutex_unlock(&C.mu);
    if (st == SL_OK && nh) {
        *id = (int64_t)hit.id;
        *score = hit.score;
    }
    return st;
}

static void *load_main(void *arg)
{
    (void)arg;
    int64_t t0 = sl__now_ms();
    sl_status st = sl__hall_sync(load_args.s, load_args.k);
    if (st != SL_OK)
        sl_log_err("hall: cache load failed: %s (retried by the next request)", sl_status_name(st));
    else
        sl_log_info("hall: cache ready: %zu persons, %zu watchlist entries (%lld ms)",
                    sl__hall_cached_persons(), sl__hall_cached_watch(),
                    (long long)(sl__now_ms() - t0));
    atomic_store(&ready, st == SL_OK);
    return NULL;
}

static void on_notify(void *ctx, const char *payload)
{
    (void)ctx;
    (void)payload;
    sl_status st = sl__hall_sync(load_args.s, load_args.k);
    if (st != SL_OK) {
        atomic_store(&listening, false);   /* requests catch up themselves */
        sl_log_warn("hall: applying a notified change failed: %s", sl_status_name(st));
    }
}

static void on_listen_state(void *ctx, bool up)
{
    (void)ctx;
    if (!up) {
        atomic_store(&listening, false);
        return;
    }
    /* (re)connected: catch up on whatever was missed, then trust pushes
     * (a few tries: the pool's connections may have died with ours) */
    sl_status st = SL_ERR_IO;
    for (int i = 0; i < 5 && st != SL_OK; i++) {
        if (i) {
            struct timespec ts = { 0, 200 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
        st = sl__hall_sync(load_args.s, load_args.k);
    }
    atomic_store(&listening, st == SL_OK);
    sl_log_info("hall: listening for changes (LISTEN hall_change): %s", sl_status_name(st));
}

/* The catch-up before a search or capture check: skipped while the
 * listener applies changes as they commit (PostgreSQL). */
static sl_status sync_for_read(sl_store *s, const sl_keyring *k)
{
    if (atomic_load(&listening) && atomic_load(&ready))
        return SL_OK;
    return sl__hall_sync(s, k);
}

bool sl__hall_listening(void)
{
    return atomic_load(&listening);
}

sl_status sl__hall_load_start(sl_store *s, const sl_keyring *k)
{
    atomic_store(&ready, false);
    load_args.s = s;
    load_args.k = k;
    if (!listener) {
        sl_status lst = sl__store_listen_start(s, "hall_change", on_notify, on_listen_state,
                                               NULL, &listener);
        if (lst != SL_OK && lst != SL_ERR_UNSUPPORTED)
            sl_log_warn("hall: no change listener (%s): every request catches up",
                        sl_status_name(lst));
    }
    if (pthread_create(&loader, NULL, load_main, NULL) != 0)
        return SL_ERR_NOMEM;
    loader_on = true;
    return SL_OK;
}

void sl__hall_load_wait(void)
{
    if (loader_on)
        pthread_join(loader, NULL);
    loader_on = false;
    sl__store_listen_stop(listener);
    listener = NULL;
    atomic_store(&listening, false);
}

bool sl__hall_ready(void)
{
    return atomic_load(&ready);
}

void sl__hall_cache_reset(void)
{
    pthread_mutex_lock(&C.mu);
    libs_free();
    sl__free(C.watch.a);
    sl__free(C.wq);
    sl__free(C.wscale);
    sl__free(C.wvsum);
    sl__free(C.wout);
    C.wq = NULL;
    C.wscale = NULL;
    C.wvsum = NULL;
    C.wout = NULL;
    C.wq_n = C.wq_cap = 0;
    C.wq_dirty = true;
    memset(&C.watch, 0, sizeof C.watch);
    C.seen = 0;
    pthread_mutex_unlock(&C.mu);
}

size_t sl__hall_cached_persons(void)
{
    pthread_mutex_lock(&C.mu);
    size_t n = 0;
    for (size_t i = 0; i < C.n_libs; i++)
        n += C.libs[i].n;
    pthread_mutex_unlock(&C.mu);
    return n;
}

size_t sl__hall_cached_watch(void)
{
    pthread_mutex_lock(&C.mu);
    size_t n = C.watch.n;
    pthread_mutex_unlock(&C.mu);
    return n;
}

void sl__hall_on_alarm(sl_hall_alarm_fn fn, void *ctx)
{
    pthread_mutex_lock(&C.mu);
    C.hook = fn;
    C.hook_ctx = ctx;
    pthread_mutex_unlock(&C.mu);
}

static void normalise(float *v)
{
    double ss = 0;
    for (int i = 0; i < SL_HALL_DIM; i++)
        ss += (double)v[i] * v[i];
    float inv = ss > 0 ? (float)(1.0 / sqrt(ss)) : 0.0f;
    for (int i = 0; i < SL_HALL_DIM; i++)
        v[i] *= inv;
}

/* Eight independent partial sums: the compiler vectorises this without
 * -ffast-math (a single running sum would be a serial chain). */
static double dot(const float *a, const float *b)
{
    float p[8] = { 0 };
    for (int i = 0; i < SL_HALL_DIM; i += 8)
        for (int j = 0; j < 8; j++)
            p[j] += a[i + j] * b[i + j];
    return (double)(((p[0] + p[4]) + (p[1] + p[5])) + ((p[2] + p[6]) + (p[3] + p[7])));
}

/* ============================ Sealing =================================== */

static void ad_for(char *ad, size_t cap, const char *table, int64_t id)
{
    snprintf(ad, cap, "%s|%lld|template", table, (long long)id);
}

static sl_status seal_emb(const sl_keyring *k, const char *table, int64_t id,
                          const float *emb, uint8_t **ct, size_t *ctn)
{
    char ad[64];
    ad_for(ad, sizeof ad, table, id);
    return sl__seal(k, ad, strlen(ad), emb, SL_HALL_DIM * sizeof(float), ct, ctn);
}

static sl_status open_emb(const sl_keyring *k, const char *table, int64_t id,
                          const void *ct, size_t ctn, float *emb)
{
    char ad[64];
    ad_for(ad, sizeof ad, table, id);
    uint8_t *pt = NULL;
    size_t n = 0;
    sl_status st = sl__open(k, ad, strlen(ad), ct, ctn, &pt, &n);
    if (st != SL_OK)
        return st;
    if (n != SL_HALL_DIM * sizeof(float)) {
        sl__free(pt);
        return SL_ERR_CORRUPT;
    }
    memcpy(emb, pt, n);
    memset(pt, 0, n);
    sl__free(pt);
    return SL_OK;
}

/* ============================ Sync ====================================== */

/* Logs a change; on PostgreSQL every node's listener hears of it at commit. */
static sl_status change(sl_tx *tx, const char *kind, int64_t ref)
{
    sl_status st = sl__tx_exec(tx, "INSERT INTO hall_change (kind, ref_id, at_ms) VALUES (?, ?, ?)",
                               SL_ARGS(SL_TEXT(kind), SL_INT(ref), SL_INT(sl__now_ms())), NULL);
    return st == SL_OK ? sl__tx_notify(tx, "hall_change", kind) : st;
}

/* Reloads one person into the cache (or drops them). Caller holds C.mu. */
static sl_status load_person(sl_tx *tx, const sl_keyring *k, int64_t id)
{
    sl_rows *rows = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT p.hall_id, t.sealed FROM hall_person p JOIN hall_template t"
        " ON t.person_id = p.id WHERE p.id = ? AND p.withdrawn_ms = 0 ORDER BY t.id",
        SL_ARGS(SL_INT(id)), &rows);
    if (st != SL_OK)
        return st;
    size_t n = sl__rows_count(rows);
    if (n == 0) {
        lib_drop(id);
        sl__rows_free(rows);
        return SL_OK;
    }
    struct vec v = { .id = id, .hall = sl__rows_int(rows, 0, 0), .level = (int)n };
    float e[SL_HALL_DIM];
    for (size_t i = 0; i < n && st == SL_OK; i++) {
        size_t bn = 0;
        const void *b = sl__rows_blob(rows, i, 1, &bn);
        st = open_emb(k, "hall_template", id, b, bn, e);
        for (int j = 0; j < SL_HALL_DIM && st == SL_OK; j++)
            v.v[j] += e[j];
    }
    sl__rows_free(rows);
    if (st != SL_OK)
        return st;
    normalise(v.v);   /* the L2-normalised mean */
    return lib_put(v.hall, id, v.level, v.v);
}

static sl_status load_watch(sl_tx *tx, const sl_keyring *k, int64_t id)
{
    sl_rows *rows = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT hall_id, level, expires_ms, sealed FROM hall_watch"
        " WHERE id = ? AND deleted = 0 AND sealed IS NOT NULL",
        SL_ARGS(SL_INT(id)), &rows);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(rows) == 0) {
        vset_remove(&C.watch, id);
        C.wq_dirty = true;
        sl__rows_free(rows);
        return SL_OK;
    }
    struct vec v = { .id = id, .hall = sl__rows_int(rows, 0, 0),
                     .level = (int)sl__rows_int(rows, 0, 1),
                     .expires_ms = sl__rows_int(rows, 0, 2) };
    size_t bn = 0;
    const void *b = sl__rows_blob(rows, 0, 3, &bn);
    st = open_emb(k, "hall_watch", id, b, bn, v.v);
    sl__rows_free(rows);
    C.wq_dirty = true;
    return st == SL_OK ? vset_put(&C.watch, &v) : st;
}

struct sync_ctx {
    const sl_keyring *k;
};

/* Opens a sealed template with an opener (the load's: keyed contexts
 * reused, no allocation); a key id it does not hold goes through sl__open
 * (which reloads a rotated key file). Same results as open_emb. */
static sl_status open_fast(sl_opener *o, const sl_keyring *k, const char *table, int64_t id,
                           const void *ct, size_t ctn, float *emb)
{
    char ad[64];
    ad_for(ad, sizeof ad, table, id);
    size_t n = 0;
    sl_status st = sl__opener_open(o, ad, strlen(ad), ct, ctn, emb,
                                   SL_HALL_DIM * sizeof(float), &n);
    if (st == SL_ERR_CRYPTO_KEY_UNKNOWN)
        return open_emb(k, table, id, ct, ctn, emb);
    if (st == SL_ERR_TOO_LARGE || (st == SL_OK && n != SL_HALL_DIM * sizeof(float)))
        return SL_ERR_CORRUPT;
    return st;
}

/* The load opens a page's templates on up to LOAD_THREADS threads (the
 * suite's decryption and MAC are most of its time), each with its own
 * opener, into out[i] for row i; the means are then summed in row order
 * on the loader, so the library is the same whatever the thread count. */
#define LOAD_THREADS 4

struct load_part {
    const sl_rows *rows;
    size_t lo, hi;
    float *out;
    sl_opener *o;
    const sl_keyring *k;
    sl_status st;
};

static void *open_part(void *arg)
{
    struct load_part *p = arg;
    p->st = SL_OK;
    for (size_t i = p->lo; i < p->hi && p->st == SL_OK; i++) {
        size_t bn = 0;
        const void *b = sl__rows_blob(p->rows, i, 2, &bn);
        p->st = open_fast(p->o, p->k, "hall_template", sl__rows_int(p->rows, i, 0), b, bn,
                          p->out + i * SL_HALL_DIM);
    }
    return NULL;
}

static sl_status open_page(struct load_part *parts, size_t nt, const sl_rows *rows, size_t n,
                           float *out)
{
    pthread_t th[LOAD_THREADS];
    bool on[LOAD_THREADS] = { false };
    size_t per = (n + nt - 1) / nt;
    for (size_t t = 0; t < nt; t++) {
        parts[t].rows = rows;
        parts[t].lo = SL_MIN(n, t * per);
        parts[t].hi = SL_MIN(n, (t + 1) * per);
        parts[t].out = out;
        if (t > 0 && parts[t].lo < parts[t].hi)
            on[t] = pthread_create(&th[t], NULL, open_part, &parts[t]) == 0;
    }
    open_part(&parts[0]);
    sl_status st = parts[0].st;
    for (size_t t = 1; t < nt; t++) {
        if (on[t])
            pthread_join(th[t], NULL);
        else if (parts[t].lo < parts[t].hi)
            open_part(&parts[t]);   /* no thread: this one does it */
        if (st == SL_OK)
            st = parts[t].st;
    }
    return st;
}

/* Persons of one page, in person order, added to their hall's library in
 * runs of the same hall (one sl_index_add_batch each). Caller holds C.mu. */
struct load_batch {
    uint64_t *ids;
    uint32_t *coll;
    int64_t  *hall;
    float    *mean;
    size_t    n, cap;
};

static sl_status batch_flush(struct load_batch *b)
{
    sl_status st = SL_OK;
    for (size_t i = 0; i < b->n && st == SL_OK;) {
        size_t j = i;
        while (j < b->n && b->hall[j] == b->hall[i])
            j++;
        struct lib *l = lib_of(b->hall[i], true, &st);
        size_t added = 0;
        if (l)
            st = sl_index_add_batch(l->ix, b->ids + i, b->coll + i,
                                    b->mean + i * SL_HALL_DIM, j - i, SL_HALL_DIM, &added);
        if (l)
            l->n += added;
        i = j;
    }
    b->n = 0;
    return st;
}

static sl_status batch_grow(struct load_batch *b, size_t need)
{
    if (need <= b->cap)
        return SL_OK;
    size_t cap = need;
    uint64_t *ids = sl__malloc(cap * sizeof *ids);
    uint32_t *coll = sl__malloc(cap * sizeof *coll);
    int64_t *hall = sl__malloc(cap * sizeof *hall);
    float *mean = sl__malloc(cap * SL_HALL_DIM * sizeof *mean);
    if (!ids || !coll || !hall || !mean) {
        sl__free(ids);
        sl__free(coll);
        sl__free(hall);
        sl__free(mean);
        return SL_ERR_NOMEM;
    }
    sl__free(b->ids);
    sl__free(b->coll);
    sl__free(b->hall);
    sl__free(b->mean);
    *b = (struct load_batch){ ids, coll, hall, mean, 0, cap };
    return SL_OK;
}

static size_t load_page = 4096;   /* persons a page of the load       */

void sl__hall_set_load_page(size_t persons)
{
    load_page = persons ? persons : 4096;
}

/* The CPUs online, at most LOAD_THREADS; SL_HALL_LOAD_THREADS (1..4)
 * overrides it (the bench compares). */
static size_t load_threads(void)
{
    const char *e = getenv("SL_HALL_LOAD_THREADS");
    long n = e && *e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > LOAD_THREADS ? LOAD_THREADS : (size_t)n;
}

/* From nothing: every live template (paged by person, 4096 persons a
 * page, so 10M persons never sit in one result) and every entry; the
 * changes up to the log's last id read first are then all reflected (a
 * change committed meanwhile is applied again by the catch-up: idempotent).
 * A page's templates are opened on several threads (open_page), its
 * persons' means added to the libraries in one batch, the IVF trained
 * once at the end (libs_compact). */
static sl_status rebuild(sl_tx *tx, const sl_keyring *k)
{
    int64_t last = 0, after = 0;
    sl_status st = sl__tx_query_int(tx, "SELECT COALESCE(MAX(id), 0) FROM hall_change",
                                    NULL, 0, &last);
    sl_rows *rows = NULL;
    size_t loaded = 0, nt = load_threads(), tcap = 0;
    struct load_part parts[LOAD_THREADS];
    memset(parts, 0, sizeof parts);
    for (size_t t = 0; t < nt && st == SL_OK; t++) {
        parts[t].k = k;
        st = sl__opener_new(k, &parts[t].o);
    }
    /* PostgreSQL: a page's range query runs in ~10 ms; parallel workers
     * started for it cost ~50 ms more each page (this transaction only) */
    if (st == SL_OK && sl__store_kind(sl__tx_store(tx)) == SL_STORE_PG)
        st = sl__tx_exec(tx, "SET LOCAL max_parallel_workers_per_gather = 0", NULL, 0, NULL);
    float *tpl = NULL;                 /* the page's opened templates     */
    struct load_batch b = { 0 };
    int64_t t_query = 0, t_open = 0, t_add = 0;
    for (;;) {
        int64_t ta = sl__now_ms(), hi = 0;
        /* the page: the next 4096 live persons, (after, hi]; their
         * templates by a range on hall_template_person (an IN (subquery)
         * made PostgreSQL scan all of hall_template for every page) */
        if (st == SL_OK)
            st = sl__tx_query_int(tx,
                "SELECT COALESCE(MAX(id), 0) FROM (SELECT id FROM hall_person"
                " WHERE withdrawn_ms = 0 AND id > ? ORDER BY id LIMIT ?) s",
                SL_ARGS(SL_INT(after), SL_INT((int64_t)load_page)), &hi);
        if (st != SL_OK || hi == 0)
            break;
        st = sl__tx_query(tx,
            "SELECT t.person_id, p.hall_id, t.sealed FROM hall_template t JOIN hall_person p"
            " ON p.id = t.person_id WHERE t.person_id > ? AND t.person_id <= ?"
            " AND p.withdrawn_ms = 0 ORDER BY t.person_id, t.id",
            SL_ARGS(SL_INT(after), SL_INT(hi)), &rows);
        if (st != SL_OK)
            break;
        int64_t tb = sl__now_ms();
        size_t n = sl__rows_count(rows);
        if (n > tcap) {
            sl__free(tpl);
            tpl = sl__malloc(n * SL_HALL_DIM * sizeof *tpl);
            tcap = tpl ? n : 0;
            if (!tpl)
                st = SL_ERR_NOMEM;
        }
        if (st == SL_OK && n)
            st = open_page(parts, nt, rows, n, tpl);
        int64_t tc = sl__now_ms();
        if (st == SL_OK)
            st = batch_grow(&b, SL_MIN(n, load_page));
        /* the means, in row order (templates summed in template id order) */
        for (size_t i = 0; i < n && st == SL_OK;) {
            int64_t id = sl__rows_int(rows, i, 0);
            float *m = b.mean + b.n * SL_HALL_DIM;
            memset(m, 0, SL_HALL_DIM * sizeof *m);
            size_t j = i;
            for (; j < n && sl__rows_int(rows, j, 0) == id; j++)
                for (int d = 0; d < SL_HALL_DIM; d++)
                    m[d] += tpl[j * SL_HALL_DIM + d];
            normalise(m);
            size_t photos = j - i;
            b.ids[b.n] = (uint64_t)id;
            b.coll[b.n] = (uint32_t)(photos > 1000 ? 1000 : photos);
            b.hall[b.n] = sl__rows_int(rows, i, 1);
            b.n++;
            i = j;
        }
        after = hi;
        size_t persons = b.n;
        if (st == SL_OK)
            st = batch_flush(&b);
        t_query += tb - ta;
        t_open += tc - tb;
        t_add += sl__now_ms() - tc;
        sl__rows_free(rows);
        rows = NULL;
        if (st != SL_OK)
            break;
        if (loaded / 100000 != (loaded + persons) / 100000)
            sl_log_info("hall: cache loading: %zu persons", loaded + persons);
        loaded += persons;
    }
    if (tpl)
        sodium_memzero(tpl, tcap * SL_HALL_DIM * sizeof *tpl);
    sl__free(tpl);
    sl__free(b.ids);
    sl__free(b.coll);
    sl__free(b.hall);
    sl__free(b.mean);
    int64_t td = sl__now_ms();
    if (st == SL_OK)
        libs_compact();
    if (st == SL_OK && loaded)
        sl_log_info("hall: cache load: %zu persons: query %lld ms, open (%zu threads) %lld ms,"
                    " add %lld ms, index %lld ms", loaded, (long long)t_query, nt,
                    (long long)t_open, (long long)t_add, (long long)(sl__now_ms() - td));
    if (st == SL_OK)
        st = sl__tx_query(tx, "SELECT id, hall_id, level, expires_ms, sealed FROM hall_watch"
                          " WHERE deleted = 0 AND sealed IS NOT NULL", NULL, 0, &rows);
    size_t n = st == SL_OK ? sl__rows_count(rows) : 0;
    for (size_t i = 0; i < n && st == SL_OK; i++) {
        struct vec w = { .id = sl__rows_int(rows, i, 0), .hall = sl__rows_int(rows, i, 1),
                         .level = (int)sl__rows_int(rows, i, 2),
                         .expires_ms = sl__rows_int(rows, i, 3) };
        size_t bn = 0;
        const void *bl = sl__rows_blob(rows, i, 4, &bn);
        st = open_fast(parts[0].o, k, "hall_watch", w.id, bl, bn, w.v);
        if (st == SL_OK)
            st = vset_add(&C.watch, &w, true);
        C.wq_dirty = true;
        if (st == SL_OK && (i + 1) % 100000 == 0)
            sl_log_info("hall: cache loading: %zu of %zu watchlist entries", i + 1, n);
    }
    sl__rows_free(rows);
    for (size_t t = 0; t < nt; t++)
        sl__opener_free(parts[t].o);
    if (st == SL_OK)
        C.seen = last;
    return st;
}

static int64_t wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static sl_status apply(sl_tx *tx, const sl_keyring *k, const char *kind, int64_t ref)
{
    if (strcmp(kind, "person") == 0)
        return load_person(tx, k, ref);
    if (strcmp(kind, "watch") == 0)
        return load_watch(tx, k, ref);
    return SL_OK;
}

/* Looks the open gaps up again; drops those found or too old. */
static sl_status sync_gaps(sl_tx *tx, const sl_keyring *k)
{
    size_t w = 0;
    int64_t now = wall_s();
    for (size_t i = 0; i < C.n_gaps; i++) {
        sl_rows *rows = NULL;
        sl_status st = sl__tx_query(tx, "SELECT kind, ref_id FROM hall_change WHERE id = ?",
                                    SL_ARGS(SL_INT(C.gaps[i].id)), &rows);
        if (st != SL_OK)
            return st;
        bool found = sl__rows_count(rows) > 0;
        if (found)
            st = apply(tx, k, sl__rows_text(rows, 0, 0), sl__rows_int(rows, 0, 1));
        sl__rows_free(rows);
        if (st != SL_OK)
            return st;
        if (!found && now - C.gaps[i].since_s < 60)
            C.gaps[w++] = C.gaps[i];
    }
    C.n_gaps = w;
    return SL_OK;
}

static sl_status sync_tx(sl_tx *tx, void *vctx)
{
    struct sync_ctx *c = vctx;
    if (C.seen == 0) {   /* (re)building: start empty (a retried tx too) */
        libs_free();
        C.watch.n = 0;
        C.n_gaps = 0;
        sl_status rst = rebuild(tx, c->k);
        if (rst != SL_OK)
            return rst;
    }
    sl_status gst = sync_gaps(tx, c->k);
    if (gst != SL_OK)
        return gst;
    for (;;) {
        sl_rows *rows = NULL;
        sl_status st = sl__tx_query(tx,
            "SELECT id, kind, ref_id FROM hall_change WHERE id > ? ORDER BY id LIMIT 4096",
            SL_ARGS(SL_INT(C.seen)), &rows);
        if (st != SL_OK)
            return st;
        size_t n = sl__rows_count(rows);
        for (size_t i = 0; i < n && st == SL_OK; i++) {
            int64_t id = sl__rows_int(rows, i, 0);
            st = apply(tx, c->k, sl__rows_text(rows, i, 1), sl__rows_int(rows, i, 2));
            if (st == SL_OK) {
                /* remember skipped ids, except when (re)building from zero */
                for (int64_t g = C.seen + 1; C.seen > 0 && g < id && g < C.seen + 64 &&
                     C.n_gaps < SL_ARRAY_LEN(C.gaps); g++)
                    C.gaps[C.n_gaps++] = (struct gap){ g, wall_s() };
                C.seen = id;
                if (++C.applied % 100000 == 0)
                    sl_log_info("hall: cache loading: %lld changes applied",
                                (long long)C.applied);
            }
        }
        sl__rows_free(rows);
        if (st != SL_OK || n < 4096)
            return st;
    }
}

sl_status sl__hall_sync(sl_store *s, const sl_keyring *k)
{
    struct sync_ctx c = { k };
    pthread_mutex_lock(&C.mu);
    int64_t before = C.seen;
    sl_status st = sl__store_run(s, sync_tx, &c);
    (void)before;
    pthread_mutex_unlock(&C.mu);
    if (st == SL_OK)
        atomic_store(&ready, true);   /* a later successful sync also readies */
    return st;
}

/* ============================ Library =================================== */

static sl_status audit(sl_tx *tx, const sl_keyring *k, const struct sl_audit_rec *au,
                       const char *otype, int64_t oid)
{
    if (!au)
        return SL_OK;
    struct sl_audit_rec r = *au;
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)oid);
    r.object_type = otype;
    r.object_id = id;
    if (!r.at_ms)
        r.at_ms = sl__now_ms();
    return sl__audit_append(tx, k, &r, NULL);
}

/* Every change and look-up below is a ctx struct (inputs and results) and
 * a transaction function: run_copy runs fn in one store transaction and,
 * when it commits, copies n bytes of the ctx's result res to out (unless
 * out is NULL). */
static sl_status run_copy(sl_store *s, sl_status (*fn)(sl_tx *, void *), void *ctx,
                          const void *res, void *out, size_t n)
{
    sl_status st = sl__store_run(s, fn, ctx);
    if (st == SL_OK && out)
        memcpy(out, res, n);
    return st;
}

struct enrol_ctx {
    const sl_keyring *k;
    int64_t hall;
    const float *emb;
    const char *label;
    const struct sl_audit_rec *au;
    int64_t person;
};

sl_status sl__hall_enrol_write(sl_tx *tx, const sl_keyring *k, int64_t hall,
                               const float emb[SL_HALL_DIM], const char *label,
                               int64_t *person)
{
    int64_t now = sl__now_ms();
    sl_status st = sl__tx_query_int(tx,
        "INSERT INTO hall_person (hall_id, label, consent_ms, withdrawn_ms, created_ms)"
        " VALUES (?, ?, ?, 0, ?) RETURNING id",
        SL_ARGS(SL_INT(hall), SL_TEXT(label), SL_INT(now), SL_INT(now)), person);
    if (st != SL_OK)
        return st;
    uint8_t *ct = NULL;
    size_t ctn = 0;
    st = seal_emb(k, "hall_template", *person, emb, &ct, &ctn);
    if (st != SL_OK)
        return st;
    st = sl__tx_exec(tx, "INSERT INTO hall_template (person_id, sealed, created_ms) VALUES (?, ?, ?)",
                     SL_ARGS(SL_INT(*person), SL_BLOB(ct, ctn), SL_INT(now)), NULL);
    sl__free(ct);
    return st == SL_OK ? change(tx, "person", *person) : st;
}

static sl_status enrol_tx(sl_tx *tx, void *vctx)
{
    struct enrol_ctx *c = vctx;
    sl_status st = sl__hall_enrol_write(tx, c->k, c->hall, c->emb, c->label, &c->person);
    if (st == SL_OK)
        st = audit(tx, c->k, c->au, "person", c->person);
    return st;
}

sl_status sl__hall_enrol(sl_store *s, const sl_keyring *k, int64_t hall,
                         const float emb[SL_HALL_DIM], const char *label,
                         const struct sl_audit_rec *au, int64_t *person)
{
    struct enrol_ctx c = { k, hall, emb, label, au, 0 };
    sl_status st = run_copy(s, enrol_tx, &c, &c.person, person, sizeof *person);
    return st == SL_OK ? sl__hall_sync(s, k) : st;
}

struct photo_ctx {
    const sl_keyring *k;
    int64_t hall, person;
    const float *emb;
    const struct sl_audit_rec *au;
    bool added;
    int count;
};

static sl_status photo_tx(sl_tx *tx, void *vctx)
{
    struct photo_ctx *c = vctx;
    c->added = false;
    c->count = 0;
    sl_rows *rows = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT t.sealed FROM hall_person p JOIN hall_template t ON t.person_id = p.id"
        " WHERE p.id = ? AND p.hall_id = ? AND p.withdrawn_ms = 0",
        SL_ARGS(SL_INT(c->person), SL_INT(c->hall)), &rows);
    if (st != SL_OK)
        return st;
    size_t n = sl__rows_count(rows);
    bool near_dup = false;
    float e[SL_HALL_DIM];
    for (size_t i = 0; i < n && st == SL_OK; i++) {
        size_t bn = 0;
        const void *b = sl__rows_blob(rows, i, 0, &bn);
        st = open_emb(c->k, "hall_template", c->person, b, bn, e);
        if (st == SL_OK && dot(e, c->emb) > 0.95)
            near_dup = true;   /* differs too little to add anything */
    }
    sl__rows_free(rows);
    if (st != SL_OK)
        return st;
    if (n == 0)
        return SL_ERR_HALL_PERSON;
    c->count = (int)n;
    if (near_dup || n >= SL_HALL_MAX_PHOTOS)
        return SL_OK;
    uint8_t *ct = NULL;
    size_t ctn = 0;
    st = seal_emb(c->k, "hall_template", c->person, c->emb, &ct, &ctn);
    if (st != SL_OK)
        return st;
    st = sl__tx_exec(tx, "INSERT INTO hall_template (person_id, sealed, created_ms) VALUES (?, ?, ?)",
                     SL_ARGS(SL_INT(c->person), SL_BLOB(ct, ctn), SL_INT(sl__now_ms())), NULL);
    sl__free(ct);
    if (st == SL_OK)
        st = change(tx, "person", c->person);
    if (st == SL_OK)
        st = audit(tx, c->k, c->au, "person", c->person);
    c->added = st == SL_OK;
    c->count += c->added;
    return st;
}

sl_status sl__hall_add_photo(sl_store *s, const sl_keyring *k, int64_t hall,
                             int64_t person, const float emb[SL_HALL_DIM],
                             const struct sl_audit_rec *au, bool *added, int *count)
{
    struct photo_ctx c = { k, hall, person, emb, au, false, 0 };
    sl_status st = sl__store_run(s, photo_tx, &c);
    if (st != SL_OK)
        return st;
    *added = c.added;
    *count = c.count;
    return sl__hall_sync(s, k);
}

struct withdraw_ctx {
    const sl_keyring *k;
    int64_t hall, person;
    const struct sl_audit_rec *au;
    int64_t removed;
};

static sl_status withdraw_tx(sl_tx *tx, void *vctx)
{
    struct withdraw_ctx *c = vctx;
    int64_t ch = 0;
    sl_status st = sl__tx_exec(tx,
        "UPDATE hall_person SET withdrawn_ms = ? WHERE id = ? AND hall_id = ? AND withdrawn_ms = 0",
        SL_ARGS(SL_INT(sl__now_ms()), SL_INT(c->person), SL_INT(c->hall)), &ch);
    if (st != SL_OK)
        return st;
    if (ch == 0)
        return SL_ERR_HALL_PERSON;
    /* the consent this library rests on is withdrawn with it */
    int64_t reg = 0;
    st = sl__tx_query_int(tx, "SELECT registry_id FROM hall_person WHERE id = ?",
                          SL_ARGS(SL_INT(c->person)), &reg);
    char ref[32];
    sl__hall_ref(c->hall, ref, sizeof ref);
    for (int i = 0; st == SL_OK && reg > 0 && i < 64; i++) {
        int64_t cid = 0;
        st = sl__consent_check(tx, reg, SL_HALL_CONSENT_PURPOSE, ref, &cid);
        if (st == SL_ERR_ID_CONSENT) {
            st = SL_OK;
            break;
        }
        if (st == SL_OK)
            st = sl__consent_withdraw(tx, c->k, reg, cid, NULL);
    }
    if (st == SL_OK)
        st = sl__tx_exec(tx, "DELETE FROM hall_template WHERE person_id = ?",
                         SL_ARGS(SL_INT(c->person)), &c->removed);
    if (st == SL_OK)
        st = change(tx, "person", c->person);
    if (st == SL_OK)
        st = audit(tx, c->k, c->au, "person", c->person);
    return st;
}

sl_status sl__hall_withdraw(sl_store *s, const sl_keyring *k, int64_t hall,
                            int64_t person, const struct sl_audit_rec *au,
                            int64_t *removed)
{
    struct withdraw_ctx c = { k, hall, person, au, 0 };
    sl_status st = sl__store_run(s, withdraw_tx, &c);
    if (st != SL_OK)
        return st;
    pthread_mutex_lock(&C.mu);
    lib_drop(person);   /* at once, before any sync */
    pthread_mutex_unlock(&C.mu);
    if (removed)
        *removed = c.removed;
    return sl__hall_sync(s, k);
}

sl_status sl__hall_search(sl_store *s, const sl_keyring *k, int64_t hall,
                          const float emb[SL_HALL_DIM], struct sl_hall_cand *out,
                          size_t cap, size_t *n)
{
    sl_status st = sync_for_read(s, k);
    if (st != SL_OK)
        return st;
    *n = 0;
    if (cap == 0)
        return SL_OK;
    /* the index searches while others add (it is thread-safe); a library
     * is freed only by a rebuild or a reset, which hold C.mu */
    pthread_mutex_lock(&C.mu);
    struct lib *l = lib_of(hall, false, &st);
    struct sl_index_hit hits[32];
    size_t nh = 0;
    if (l) {
        struct sl_index_query q;
        sl_index_query_default(&q);
        q.k = (uint32_t)(cap < SL_ARRAY_LEN(hits) ? cap : SL_ARRAY_LEN(hits));
        q.threshold = -1.0f;
        st = sl_index_search(l->ix, &q, emb, SL_HALL_DIM, hits, SL_ARRAY_LEN(hits), &nh);
    }
    pthread_mutex_unlock(&C.mu);
    if (st != SL_OK)
        return st;
    for (size_t i = 0; i < nh && i < cap; i++)
        out[i] = (struct sl_hall_cand){ (int64_t)hits[i].id, hits[i].score, (int)hits[i].coll };
    *n = nh < cap ? nh : cap;
    return SL_OK;
}

/* ============================ Watchlists ================================ */

struct watch_ctx {
    const sl_keyring *k;
    int64_t hall;
    const float *emb;
    const char *reason, *owner;
    int level;
    int64_t expires_ms;
    const struct sl_audit_rec *au;
    int64_t entry;
};

static sl_status watch_add_tx(sl_tx *tx, void *vctx)
{
    struct watch_ctx *c = vctx;
    sl_status st = sl__tx_query_int(tx,
        "INSERT INTO hall_watch (hall_id, reason, level, owner, expires_ms, deleted, created_ms)"
        " VALUES (?, ?, ?, ?, ?, 0, ?) RETURNING id",
        SL_ARGS(SL_INT(c->hall), SL_TEXT(c->reason), SL_INT(c->level), SL_TEXT(c->owner),
                SL_INT(c->expires_ms), SL_INT(sl__now_ms())), &c->entry);
    if (st != SL_OK)
        return st;
    uint8_t *ct = NULL;
    size_t ctn = 0;
    st = seal_emb(c->k, "hall_watch", c->entry, c->emb, &ct, &ctn);
    if (st != SL_OK)
        return st;
    st = sl__tx_exec(tx, "UPDATE hall_watch SET sealed = ? WHERE id = ?",
                     SL_ARGS(SL_BLOB(ct, ctn), SL_INT(c->entry)), NULL);
    sl__free(ct);
    if (st == SL_OK)
        st = change(tx, "watch", c->entry);
    if (st == SL_OK)
        st = audit(tx, c->k, c->au, "watch_entry", c->entry);
    return st;
}

sl_status sl__hall_watch_add(sl_store *s, const sl_keyring *k, int64_t hall,
                             const float emb[SL_HALL_DIM], const char *reason,
                             int level, const char *owner, int64_t expires_ms,
                             const struct sl_audit_rec *au, int64_t *entry)
{
    struct watch_ctx c = { k, hall, emb, reason, owner, level, expires_ms, au, 0 };
    sl_status st = run_copy(s, watch_add_tx, &c, &c.entry, entry, sizeof *entry);
    return st == SL_OK ? sl__hall_sync(s, k) : st;
}

static sl_status watch_del_tx(sl_tx *tx, void *vctx)
{
    struct watch_ctx *c = vctx;
    int64_t ch = 0;
    sl_status st = sl__tx_exec(tx,
        "UPDATE hall_watch SET deleted = 1, sealed = NULL WHERE id = ? AND hall_id = ? AND deleted = 0",
        SL_ARGS(SL_INT(c->entry), SL_INT(c->hall)), &ch);
    if (st != SL_OK)
        return st;
    if (ch == 0)
        return SL_ERR_HALL_WATCH;
    st = change(tx, "watch", c->entry);
    if (st == SL_OK)
        st = audit(tx, c->k, c->au, "watch_entry", c->entry);
    return st;
}

sl_status sl__hall_watch_delete(sl_store *s, const sl_keyring *k, int64_t hall,
                                int64_t entry, const struct sl_audit_rec *au)
{
    struct watch_ctx c = { .k = k, .hall = hall, .au = au, .entry = entry };
    sl_status st = sl__store_run(s, watch_del_tx, &c);
    return st == SL_OK ? sl__hall_sync(s, k) : st;
}

/* Symmetric int8 with a per-vector scale: v ~ q * scale. */
static float quant(const float *v, int8_t *q)
{
    float m = 0;
    for (int i = 0; i < SL_HALL_DIM; i++)
        m = fabsf(v[i]) > m ? fabsf(v[i]) : m;
    float sc = m > 0 ? m / 127.0f : 1.0f;
    for (int i = 0; i < SL_HALL_DIM; i++)
        q[i] = (int8_t)lrintf(v[i] / sc);
    return sc;
}

/* Caller holds C.mu. */
static sl_status wq_refresh(void)
{
    if (!C.wq_dirty && C.wq_n == C.watch.n)
        return SL_OK;
    if (C.watch.n > C.wq_cap) {
        size_t nc = C.watch.n + C.watch.n / 2 + 64;
        int8_t *q = sl__malloc(nc * SL_HALL_DIM);
        float *sc = sl__malloc(nc * sizeof *sc);
        int32_t *vs = sl__malloc(nc * sizeof *vs);
        float *out = sl__malloc(nc * sizeof *out);
        if (!q || !sc || !vs || !out) {
            sl__free(q);
            sl__free(sc);
            sl__free(vs);
            sl__free(out);
            return SL_ERR_NOMEM;
        }
        sl__free(C.wq);
        sl__free(C.wscale);
        sl__free(C.wvsum);
        sl__free(C.wout);
        C.wq = q;
        C.wscale = sc;
        C.wvsum = vs;
        C.wout = out;
        C.wq_cap = nc;
    }
    for (size_t i = 0; i < C.watch.n; i++) {
        int8_t *row = C.wq + i * SL_HALL_DIM;
        C.wscale[i] = quant(C.watch.a[i].v, row);
        int32_t sum = 0;
        for (int j = 0; j < SL_HALL_DIM; j++)
            sum += row[j];
        C.wvsum[i] = sum;
    }
    C.wq_n = C.watch.n;
    C.wq_dirty = false;
    return SL_OK;
}

/* int8 error bound for unit vectors a, b with scales sa, sb (each element
 * off by at most half its scale): |a.b - qa.qb| <= (sa + sb) / 2 *
 * sqrt(512) (Cauchy-Schwarz on the L1 norms), plus 5 % for rounding of
 * the float arithmetic. Entries whose int8 score is within that bound of
 * the threshold are scored again in float: the decisions are exact. */
#define WQ_L1 22.628f   /* sqrt(512) */

struct alarm_ctx {
    int64_t hall;
    int64_t now;
    struct sl_hall_hit *hits;
    size_t n;
};

static sl_status alarm_tx(sl_tx *tx, void *vctx)
{
    struct alarm_ctx *c = vctx;
    for (size_t i = 0; i < c->n; i++) {
        sl_status st = sl__tx_query_int(tx,
            "INSERT INTO hall_alarm (hall_id, watch_id, score, at_ms) VALUES (?, ?, ?, ?) RETURNING id",
            SL_ARGS(SL_INT(c->hall), SL_INT(c->hits[i].entry), SL_REAL(c->hits[i].score),
                    SL_INT(c->now)), &c->hits[i].alarm);
        if (st != SL_OK)
            return st;
    }
    return SL_OK;
}

#define HITS_MAX 16

sl_status sl__hall_check_capture(sl_store *s, const sl_keyring *k, int64_t hall,
                                 const float emb[SL_HALL_DIM], int64_t now_ms,
                                 struct sl_hall_hit *hits, size_t cap, size_t *n)
{
    if (n)
        *n = 0;
    sl_status st = sync_for_read(s, k);
    if (st != SL_OK)
        return st;
    struct sl_hall_hit found[HITS_MAX];
    size_t nf = 0;
    int8_t qe[SL_HALL_DIM];
    float se = quant(emb, qe);
    pthread_mutex_lock(&C.mu);
    st = wq_refresh();
    if (st != SL_OK) {
        pthread_mutex_unlock(&C.mu);
        return st;
    }
    /* every entry is scanned (int8), and every one within the margin of
     * the threshold is scored again on its float vector: exact decisions */
    const float thr = (float)SL_HALL_WATCH_THRESHOLD;
    /* src/index's int8 kernel (AVX-512 VNNI / AVX2 / NEON / C, picked at
     * load) over the contiguous rows: out[i] = wscale[i] * se * (qe . row) */
    uint8_t qu[SL_HALL_DIM];
    for (int j = 0; j < SL_HALL_DIM; j++)
        qu[j] = (uint8_t)(qe[j] + 128);
    if (C.wq_n)
        sl__ix_scan_i8(C.wq, SL_HALL_DIM, C.wq_n, qe, qu, C.wvsum, C.wscale, se, C.wout);
    for (size_t i = 0; i < C.wq_n; i++) {
        float approx = C.wout[i];
        if (approx < thr - (C.wscale[i] + se) * 0.5f * WQ_L1 * 1.05f)
            continue;
        const struct vec *v = &C.watch.a[i];
        if (v->hall != hall || v->expires_ms <= now_ms)
            continue;
        double sc = dot(v->v, emb);
        if (sc >= SL_HALL_WATCH_THRESHOLD && nf < HITS_MAX)
            found[nf++] = (struct sl_hall_hit){ 0, v->id, v->level, sc };
    }
    sl_hall_alarm_fn hook = C.hook;
    void *hctx = C.hook_ctx;
    pthread_mutex_unlock(&C.mu);
    if (nf == 0)
        return SL_OK;
    struct alarm_ctx ac = { hall, now_ms, found, nf };
    st = sl__store_run(s, alarm_tx, &ac);
    if (st != SL_OK)
        return st;
    for (size_t i = 0; i < nf; i++) {
        if (hook)
            hook(hctx, hall, &found[i]);
        if (hits && i < cap)
            hits[i] = found[i];
    }
    if (n)
        *n = nf < cap ? nf : cap;
    return SL_OK;
}

struct ack_ctx {
    const sl_keyring *k;
    int64_t hall, alarm;
    const char *who;
    const struct sl_audit_rec *au;
};

static sl_status ack_tx(sl_tx *tx, void *vctx)
{
    struct ack_ctx *c = vctx;
    int64_t ch = 0;
    sl_status st = sl__tx_exec(tx,
        "UPDATE hall_alarm SET ack_by = ?, ack_ms = ? WHERE id = ? AND hall_id = ? AND ack_ms IS NULL",
        SL_ARGS(SL_TEXT(c->who), SL_INT(sl__now_ms()), SL_INT(c->alarm), SL_INT(c->hall)), &ch);
    if (st != SL_OK)
        return st;
    if (ch == 0)
        return SL_ERR_HALL_WATCH;
    return audit(tx, c->k, c->au, "alarm", c->alarm);
}

sl_status sl__hall_alarm_ack(sl_store *s, int64_t hall, int64_t alarm,
                             const char *who, const sl_keyring *k,
                             const struct sl_audit_rec *au)
{
    struct ack_ctx c = { k, hall, alarm, who, au };
    return sl__store_run(s, ack_tx, &c);
}

/* ============================ Capture trail ============================= */

sl_status sl__hall_retention(sl_tx *tx, int64_t now_ms, int64_t keep_ms, int64_t *removed)
{
    return sl__tx_exec(tx, "UPDATE hall_capture SET thumb = NULL WHERE at_ms < ? AND thumb IS NOT NULL",
                       SL_ARGS(SL_INT(now_ms - keep_ms)), removed);
}

struct cap_ctx {
    const sl_keyring *k;
    int64_t hall, person, now, id;
    const char *device;
    double score;
    const void *thumb;
    size_t thumb_n;
};

static sl_status cap_tx(sl_tx *tx, void *vctx)
{
    struct cap_ctx *c = vctx;
    sl_status st = sl__tx_query_int(tx,
        "INSERT INTO hall_capture (hall_id, device, at_ms, person_id, score) VALUES (?, ?, ?, ?, ?)"
        " RETURNING id",
        SL_ARGS(SL_INT(c->hall), SL_TEXT(c->device), SL_INT(c->now),
                c->person ? SL_INT(c->person) : SL_NULL, SL_REAL(c->score)), &c->id);
    if (st == SL_OK && c->thumb) {
        char ad[64];
        snprintf(ad, sizeof ad, "hall_capture|%lld|thumb", (long long)c->id);
        uint8_t *ct = NULL;
        size_t ctn = 0;
        st = sl__seal(c->k, ad, strlen(ad), c->thumb, c->thumb_n, &ct, &ctn);
        if (st == SL_OK)
            st = sl__tx_exec(tx, "UPDATE hall_capture SET thumb = ? WHERE id = ?",
                             SL_ARGS(SL_BLOB(ct, ctn), SL_INT(c->id)), NULL);
        sl__free(ct);
    }
    if (st == SL_OK)
        st = sl__hall_retention(tx, c->now, SL_HALL_THUMB_KEEP_MS, NULL);
    return st;
}

sl_status sl__hall_capture_record(sl_store *s, const sl_keyring *k, int64_t hall,
                                  const char *device, int64_t person, double score,
                                  const void *thumb, size_t thumb_n, int64_t now_ms,
                                  int64_t *id)
{
    struct cap_ctx c = { k, hall, person, now_ms, 0, device, score, thumb, thumb_n };
    return run_copy(s, cap_tx, &c, &c.id, id, sizeof *id);
}

struct trail_ctx {
    const sl_keyring *k;
    int64_t hall, person;
    const struct sl_audit_rec *au;
    json_t *out;
};

static sl_status trail_tx(sl_tx *tx, void *vctx)
{
    struct trail_ctx *c = vctx;
    json_decref(c->out);
    c->out = NULL;
    sl_rows *rows = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT id, at_ms, device, score, thumb IS NOT NULL FROM hall_capture"
        " WHERE person_id = ? AND hall_id = ? ORDER BY at_ms DESC, id DESC LIMIT 500",
        SL_ARGS(SL_INT(c->person), SL_INT(c->hall)), &rows);
    if (st != SL_OK)
        return st;
    json_t *a = json_array();
    for (size_t i = 0; i < sl__rows_count(rows); i++)
        json_array_append_new(a, json_pack("{s:I,s:I,s:s,s:o,s:b}",
            "capture_id", (json_int_t)sl__rows_int(rows, i, 0),
            "at_ms", (json_int_t)sl__rows_int(rows, i, 1),
            "device", sl__rows_text(rows, i, 2),
            "score", sl_json_real(sl__rows_real(rows, i, 3), 4),
            "thumbnail", sl__rows_int(rows, i, 4) != 0));
    sl__rows_free(rows);
    c->out = a;
    return audit(tx, c->k, c->au, "person", c->person);
}

sl_status sl__hall_trail(sl_store *s, const sl_keyring *k, int64_t hall, int64_t person,
                         const struct sl_audit_rec *au, json_t **out)
{
    struct trail_ctx c = { k, hall, person, au, NULL };
    sl_status st = sl__store_run(s, trail_tx, &c);
    if (st != SL_OK) {
        json_decref(c.out);
        return st;
    }
    *out = c.out;
    return SL_OK;
}

/* ============================ Verified visits =========================== */

void sl__hall_ref(int64_t hall, char *out, size_t cap)
{
    snprintf(out, cap, "hall:%lld", (long long)hall);
}

struct visit_ctx {
    const sl_keyring *k;
    const struct sl_hall_visit *v;
    struct sl_hall_visit_out o;
};

static sl_status visit_tx(sl_tx *tx, void *vctx)
{
    struct visit_ctx *c = vctx;
    const struct sl_hall_visit *v = c->v;
    memset(&c->o, 0, sizeof c->o);
    char ref[32];
    sl__hall_ref(v->hall, ref, sizeof ref);
    /* whom the verification names; consume binds it to this hall's matter */
    struct sl_verification ver;
    sl_status st = sl__verification_get_tx(tx, v->verification, &ver);
    if (st == SL_OK && ver.person_id <= 0)
        st = SL_ERR_ID_VERIF_FAILED;
    if (st == SL_OK)
        st = sl__verification_consume(tx, v->verification, ver.person_id,
                                      SL_HALL_ENROL_MATTER, ref, NULL);
    if (st != SL_OK)
        return st;
    int64_t reg = ver.person_id;
    c->o.registry = reg;
    if (v->consent_now) {
        struct sl_consent_new cn = {
            .person_id = reg, .purpose = SL_HALL_CONSENT_PURPOSE, .scope = ref,
            .channel = v->channel ? v->channel : "window",
            .alternative = "id_card_or_identity_code",
        };
        st = sl__consent_record(tx, c->k, &cn, v->consent_au, NULL);
        if (st != SL_OK)
            return st;
    }
    st = sl__consent_check(tx, reg, SL_HALL_CONSENT_PURPOSE, ref, NULL);
    if (st == SL_ERR_ID_CONSENT)
        return SL_ERR_HALL_CONSENT;
    if (st != SL_OK)
        return st;
    /* the capture is of the verified person */
    float *t = NULL;
    size_t dim = 0;
    st = sl__person_template_tx(tx, c->k, reg, &t, &dim);
    if (st == SL_OK) {
        bool same = dim == SL_HALL_DIM;
        if (same) {
            float u[SL_HALL_DIM];
            memcpy(u, t, sizeof u);
            normalise(u);
            same = dot(u, v->emb) >= SL_HALL_VISIT_MATCH;
        }
        sodium_memzero(t, dim * sizeof *t);
        sl__free(t);
        if (!same)
            return SL_ERR_HALL_MISMATCH;
    } else if (st != SL_ERR_NOT_FOUND) {
        return st;
    }
    /* already in the library: the visit adds a photo */
    int64_t person = 0;
    st = sl__tx_query_int(tx,
        "SELECT id FROM hall_person WHERE hall_id = ? AND registry_id = ? AND withdrawn_ms = 0"
        " ORDER BY id LIMIT 1", SL_ARGS(SL_INT(v->hall), SL_INT(reg)), &person);
    if (st == SL_OK) {
        struct photo_ctx pc = { c->k, v->hall, person, v->emb, v->au, false, 0 };
        st = photo_tx(tx, &pc);
        c->o.person = person;
        c->o.added = pc.added;
        c->o.templates = pc.count;
        return st;
    }
    if (st != SL_ERR_NOT_FOUND)
        return st;
    struct enrol_ctx ec = { c->k, v->hall, v->emb, v->label, v->au, 0 };
    st = enrol_tx(tx, &ec);
    if (st == SL_OK)
        st = sl__tx_exec(tx, "UPDATE hall_person SET registry_id = ? WHERE id = ?",
                         SL_ARGS(SL_INT(reg), SL_INT(ec.person)), NULL);
    c->o.person = ec.person;
    c->o.enrolled = c->o.added = true;
    c->o.templates = 1;
    return st;
}

sl_status sl__hall_enrol_verified(sl_store *s, const sl_keyring *k,
                                  const struct sl_hall_visit *v, struct sl_hall_visit_out *out)
{
    if (!v || !v->emb || v->hall <= 0 || v->verification <= 0)
        return SL_ERR_INVALID;
    struct visit_ctx c = { .k = k, .v = v };
    sl_status st = run_copy(s, visit_tx, &c, &c.o, out, sizeof *out);
    return st == SL_OK ? sl__hall_sync(s, k) : st;
}

struct confirm_ctx {
    const sl_keyring *k;
    const struct sl_hall_confirm *c;
    struct sl_hall_confirmed o;
};

static sl_status confirm_tx(sl_tx *tx, void *vctx)
{
    struct confirm_ctx *x = vctx;
    const struct sl_hall_confirm *c = x->c;
    sl_rows *rows = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT c.at_ms, COALESCE(c.person_id, 0), COALESCE(c.score, 0),"
        " COALESCE(c.verification_id, 0), COALESCE(p.registry_id, 0), COALESCE(p.withdrawn_ms, 0)"
        " FROM hall_capture c LEFT JOIN hall_person p ON p.id = c.person_id"
        " WHERE c.id = ? AND c.hall_id = ?",
        SL_ARGS(SL_INT(c->capture), SL_INT(c->hall)), &rows);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(rows) == 0) {
        sl__rows_free(rows);
        return SL_ERR_NOT_FOUND;
    }
    int64_t at = sl__rows_int(rows, 0, 0), person = sl__rows_int(rows, 0, 1);
    double score = sl__rows_real(rows, 0, 2);
    int64_t used = sl__rows_int(rows, 0, 3), reg = sl__rows_int(rows, 0, 4);
    int64_t gone = sl__rows_int(rows, 0, 5);
    sl__rows_free(rows);
    int64_t now = sl__now_ms();
    /* the proposal the clerk saw: this person, above the threshold, recent,
     * not confirmed before */
    if (used || person != c->person || person == 0 || gone || score < SL_HALL_IDENT_THRESHOLD ||
        now - at > SL_HALL_CONFIRM_MS || now < at)
        return SL_ERR_HALL_CONFIRM;
    if (reg <= 0)
        return SL_ERR_HALL_UNLINKED;
    char ref[32];
    sl__hall_ref(c->hall, ref, sizeof ref);
    st = sl__consent_check(tx, reg, SL_HALL_CONSENT_PURPOSE, ref, NULL);
    if (st == SL_ERR_ID_CONSENT)
        return SL_ERR_HALL_CONSENT;
    if (st != SL_OK)
        return st;
    uint32_t lv = SL_LEVEL_REAL_NAME | SL_LEVEL_REAL_PERSON;
    struct sl_verification_new vn = {
        .person_id = reg, .matter = c->matter, .reference = c->reference,
        .channel = "window", .device = c->device ? c->device : "", .levels = lv,
        .method = SL_METHOD_FACE, .vouched_by = c->clerk,
    };
    int64_t vid = 0;
    st = sl__verification_create_tx(tx, &vn, &vid);
    if (st != SL_OK)
        return st;
    /* per comparison below 1e-4 at this threshold (docs/hall.md) */
    double far = 1e-4;
    char js[768];
    json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:f,s:f,s:s,s:b}",
        "id", (json_int_t)vid, "person_id", (json_int_t)reg, "matter", c->matter,
        "reference", c->reference, "method", "face", "mode", "1:N",
        "hall", (json_int_t)c->hall, "capture_id", (json_int_t)c->capture,
        "library_person", (json_int_t)person, "score", round(score * 1e4) / 1e4,
        "far", far, "confirmed_by", c->clerk ? c->clerk : "", "passed", 1);
    if (!o)
        return SL_ERR_NOMEM;
    char *dump = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!dump)
        return SL_ERR_NOMEM;
    snprintf(js, sizeof js, "%s", dump);
    free(dump);
    st = sl__verification_finish_tx(tx, x->k, vid, lv, true, score, far, js);
    int64_t ch = 0;
    if (st == SL_OK)
        st = sl__tx_exec(tx, "UPDATE hall_capture SET verification_id = ? WHERE id = ?"
                         " AND verification_id IS NULL", SL_ARGS(SL_INT(vid), SL_INT(c->capture)), &ch);
    if (st == SL_OK && ch == 0)
        st = SL_ERR_HALL_CONFIRM;
    if (st == SL_OK)
        st = audit(tx, x->k, c->au, "person", person);
    struct sl_verification got;
    if (st == SL_OK)
        st = sl__verification_get_tx(tx, vid, &got);
    if (st == SL_OK)
        x->o = (struct sl_hall_confirmed){ vid, reg, score, got.expires_ms };
    return st;
}

sl_status sl__hall_confirm(sl_store *s, const sl_keyring *k, const struct sl_hall_confirm *c,
                           struct sl_hall_confirmed *out)
{
    if (!c || c->hall <= 0 || c->capture <= 0 || c->person <= 0 || !c->matter || !c->matter[0] ||
        !c->reference)
        return SL_ERR_INVALID;
    struct confirm_ctx x = { .k = k, .c = c };
    return run_copy(s, confirm_tx, &x, &x.o, out, sizeof *out);
}

/* ============================ Seed look-ups ============================= */

struct find_ctx {
    int64_t hall, key;
    const char *text;
    int64_t id, flag;
};

static sl_status person_of_tx(sl_tx *tx, void *vctx)
{
    struct find_ctx *c = vctx;
    sl_rows *rows = NULL;
    sl_status st = sl__tx_query(tx,
        "SELECT id, withdrawn_ms FROM hall_person WHERE hall_id = ? AND registry_id = ?"
        " ORDER BY withdrawn_ms = 0 DESC, id DESC LIMIT 1",
        SL_ARGS(SL_INT(c->hall), SL_INT(c->key)), &rows);
    if (st != SL_OK)
        return st;
    if (sl__rows_count(rows) == 0)
        st = SL_ERR_NOT_FOUND;
    else {
        c->id = sl__rows_int(rows, 0, 0);
        c->flag = sl__rows_int(rows, 0, 1);
    }
    sl__rows_free(rows);
    return st;
}

sl_status sl__hall_person_of(sl_store *s, int64_t hall, int64_t registry, int64_t *person,
                             bool *withdrawn)
{
    struct find_ctx c = { .hall = hall, .key = registry };
    sl_status st = run_copy(s, person_of_tx, &c, &c.id, person, sizeof *person);
    if (st == SL_OK)
        *withdrawn = c.flag != 0;
    return st;
}

static sl_status watch_find_tx(sl_tx *tx, void *vctx)
{
    struct find_ctx *c = vctx;
    return sl__tx_query_int(tx, "SELECT id FROM hall_watch WHERE hall_id = ? AND reason = ?"
                            " AND deleted = 0 ORDER BY id LIMIT 1",
                            SL_ARGS(SL_INT(c->hall), SL_TEXT(c->text)), &c->id);
}

sl_status sl__hall_watch_find(sl_store *s, int64_t hall, const char *reason, int64_t *entry)
{
    struct find_ctx c = { .hall = hall, .text = reason };
    return run_copy(s, watch_find_tx, &c, &c.id, entry, sizeof *entry);
}

/* ============================ Consent enforcement ======================= */

struct enforce_ctx {
    int64_t hall, person;
    bool gone;
};

static sl_status enforce_tx(sl_tx *tx, void *vctx)
{
    struct enforce_ctx *c = vctx;
    c->gone = false;
    int64_t reg = 0;
    sl_status st = sl__tx_query_int(tx, "SELECT registry_id FROM hall_person WHERE id = ?"
                                    " AND hall_id = ? AND withdrawn_ms = 0",
                                    SL_ARGS(SL_INT(c->person), SL_INT(c->hall)), &reg);
    if (st == SL_ERR_NOT_FOUND || (st == SL_OK && reg <= 0))
        return SL_OK;   /* gone already, or imported (consent recorded by the import) */
    char ref[32];
    sl__hall_ref(c->hall, ref, sizeof ref);
    if (st == SL_OK)
        st = sl__consent_check(tx, reg, SL_HALL_CONSENT_PURPOSE, ref, NULL);
    if (st == SL_ERR_ID_CONSENT) {
        c->gone = true;
        st = SL_OK;
    }
    return st;
}

sl_status sl__hall_consent_enforce(sl_store *s, const sl_keyring *k, int64_t hall,
                                   int64_t person, bool *purged)
{
    struct enforce_ctx c = { hall, person, false };
    *purged = false;
    sl_status st = sl__store_run_read(s, enforce_tx, &c);
    if (st != SL_OK || !c.gone)
        return st;
    struct sl_audit_rec au = { .actor_kind = "system", .actor_id = "hall",
                               .action = "hall.withdraw", .purpose = "consent withdrawn",
                               .outcome = "ok" };
    int64_t removed = 0;
    st = sl__hall_withdraw(s, k, hall, person, &au, &removed);
    if (st == SL_ERR_HALL_PERSON)
        st = SL_OK;   /* another request withdrew them meanwhile */
    *purged = st == SL_OK;
    if (*purged)
        sl_log_info("hall: library person %lld withdrawn: their consent was withdrawn (%lld templates deleted)",
                    (long long)person, (long long)removed);
    return st;
}

/* ======================= Candidates' masked names ======================== */

struct names_ctx {
    const sl_keyring *k;
    int64_t hall;
    const struct sl_hall_cand *cand;
    size_t n, cap;
    const struct sl_acct_audit *au;
    char *names;
};

static sl_status names_tx(sl_tx *tx, void *vctx)
{
    struct names_ctx *c = vctx;
    sl_status st = SL_OK;
    for (size_t i = 0; st == SL_OK && i < c->n; i++) {
        char *out = c->names + i * c->cap;
        out[0] = '\0';
        int64_t reg = 0;
        st = sl__tx_query_int(tx, "SELECT registry_id FROM hall_person WHERE id = ? AND hall_id = ?",
                              SL_ARGS(SL_INT(c->cand[i].person), SL_INT(c->hall)), &reg);
        if (st == SL_ERR_NOT_FOUND || (st == SL_OK && reg <= 0)) {
            st = SL_OK;   /* imported without a registry record: no name to show */
            continue;
        }
        struct sl_person p;
        if (st == SL_OK)
            st = sl__person_get_tx(tx, c->k, reg, false, c->au, &p);
        if (st == SL_ERR_ID_PERSON_UNKNOWN) {
            st = SL_OK;
            continue;
        }
        if (st == SL_OK)
            snprintf(out, c->cap, "%s", p.name);
        sodium_memzero(&p, sizeof p);
    }
    return st;
}

sl_status sl__hall_masked_names(sl_store *s, const sl_keyring *k, int64_t hall,
                                const struct sl_hall_cand *cand, size_t n,
                                const struct sl_acct_audit *au, char *names, size_t cap)
{
    if (n == 0)
        return SL_OK;
    if (!names || cap == 0)
        return SL_ERR_INVALID;
    struct names_ctx c = { k, hall, cand, n, cap, au, names };
    return sl__store_run(s, names_tx, &c);
}
