/*
 * index_int.h -- private to src/index: row storage, kernels, log/snapshot.
 *
 * Rows live in chunks of SL__IX_CHUNK_ROWS; a chunk's arrays never move, so
 * a search reads rows [0, nrows) published with a release store while a
 * writer appends behind them. Row data is padded to pdim = dim rounded up to
 * 64 elements (zeros), so every kernel steps in whole 64-byte lines.
 */
#ifndef SL_INDEX_INT_H
#define SL_INDEX_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "base/half.h"
#include "shualian/index.h"

#define SL__IX_CHUNK_SHIFT 14u
#define SL__IX_CHUNK_ROWS  (1u << SL__IX_CHUNK_SHIFT)   /* 16384 rows        */
#define SL__IX_MAX_CHUNKS  4096u                        /* 67M rows          */
#define SL__IX_NO_LIST     UINT32_MAX

/* ============================ Kernels ==================================== */
/* Each computes scores for n consecutive rows. i8: out[r] = scale[r] *
 * qscale * (sum q*code) where the SIMD versions may use qu = q + 128 and
 * subtract 128 * vsum[r]. Batch versions: nq queries (each pdim long),
 * out[r * nq + j]. pdim is a multiple of 64. */
struct sl__ix_kernels {
    const char *name;
    void (*i8)(const int8_t *codes, size_t pdim, size_t n, const int8_t *q,
               const uint8_t *qu, const int32_t *vsum, const float *scale,
               float qscale, float *out);
    void (*f16)(const uint16_t *codes, size_t pdim, size_t n, const float *q,
                float *out);
    void (*f32)(const float *codes, size_t pdim, size_t n, const float *q,
                float *out);
    void (*i8_batch)(const int8_t *codes, size_t pdim, size_t n,
                     const int8_t *q, const uint8_t *qu, size_t nq,
                     const int32_t *vsum, const float *scale,
                     const float *qscale, float *out);
    void (*f16_batch)(const uint16_t *codes, size_t pdim, size_t n,
                      const float *q, size_t nq, float *out);
    void (*f32_batch)(const float *codes, size_t pdim, size_t n,
                      const float *q, size_t nq, float *out);
    /* Writes the positions i < n with s[i] > cut (above1) or s[i] > cut[i]
     * (abovev) into idx, in order; returns how many. */
    size_t (*above1)(const float *s, size_t n, float cut, uint32_t *idx);
    size_t (*abovev)(const float *s, const float *cut, size_t n, uint32_t *idx);
    /* Reads bytes (a multiple of 256) at p as fast as it can; returns a
     * value that depends on every byte (the bandwidth probe). */
    uint64_t (*read)(const void *p, size_t bytes);
};
uint64_t sl__ix_read_ref(const void *p, size_t bytes);
size_t sl__ix_above1_ref(const float *s, size_t n, float cut, uint32_t *idx);
size_t sl__ix_abovev_ref(const float *s, const float *cut, size_t n,
                         uint32_t *idx);
/* The plain-C references (always present) and the picked set. */
const struct sl__ix_kernels *sl__ix_kernels_ref(void);
const struct sl__ix_kernels *sl__ix_kernels_best(void);
#if defined(__x86_64__)
const struct sl__ix_kernels *sl__ix_kernels_avx2(void);
const struct sl__ix_kernels *sl__ix_kernels_avx512(void);
#endif
#if defined(__aarch64__)
const struct sl__ix_kernels *sl__ix_kernels_neon(void);
#endif

/* Quantises v (pdim floats) to int8 in [-127,127]; returns the scale
 * (value = code * scale) and the code sum. */
float sl__ix_quantize(const float *v, size_t pdim, int8_t *out, int32_t *sum);

/* ============================ Rows ======================================= */
struct sl__ix_chunk {
    uint8_t         *codes;   /* SL__IX_CHUNK_ROWS x stride bytes, 64-aligned */
    float           *scale;   /* int8 dequantisation scale (others: 1)        */
    int32_t         *vsum;    /* int8: sum of the row's codes                 */
    uint64_t        *ids;
    uint16_t        *coll;
    _Atomic uint8_t *dead;    /* 1 = tombstoned                               */
    _Atomic uint32_t *list;   /* IVF list of the row, SL__IX_NO_LIST if none  */
    void            *block;   /* the one allocation holding all of the above  */
};

struct sl__ix_rows {
    struct sl__ix_chunk *chunks[SL__IX_MAX_CHUNKS];
    size_t               nchunks;     /* allocated chunks (writer only)      */
    _Atomic size_t       nrows;       /* published rows (release/acquire)    */
    _Atomic size_t       ndead;
};

/* u64 -> u32 open-addressing map (linear probing, backward-shift delete). */
struct sl__ix_map {
    uint64_t *keys;
    uint32_t *vals;               /* UINT32_MAX = empty slot                  */
    size_t    cap, len;           /* cap a power of two                       */
};
sl_status sl__ix_map_put(struct sl__ix_map *m, uint64_t key, uint32_t val);
bool      sl__ix_map_get(const struct sl__ix_map *m, uint64_t key,
                         uint32_t *val);
bool      sl__ix_map_del(struct sl__ix_map *m, uint64_t key);
void      sl__ix_map_free(struct sl__ix_map *m);

struct sl__ix_coll {
    char  name[SL_INDEX_NAME_MAX];
    bool  set, watch;
    float thr;
    bool  model_set;                 /* model fixed (by a first add)        */
    char  model[SL_INDEX_MODEL_MAX]; /* "" = raw vectors                    */
};

struct sl__ix_watch {
    uint64_t id;
    uint32_t level;
    char     reason[SL_INDEX_REASON_MAX];
};

/* IVF: centroids (nlist x pdim fp32, unit length) and per-list row arrays.
 * A list grows under the index's exclusive lock; readers load len with
 * acquire and never read past it. */
struct sl__ix_list {
    uint32_t        *rows;
    _Atomic uint32_t len;
    uint32_t         cap;
};
struct sl__ix_ivf {
    uint32_t            nlist, pdim;
    float              *cent;     /* nlist x pdim                          */
    int8_t             *cent_i8;  /* nlist x pdim int8 (assignment)        */
    float              *cent_scale;
    struct sl__ix_list *lists;
};

struct sl__ix_log;   /* persist.c */

struct sl_index {
    uint32_t dim, pdim, kind, stride;     /* stride: bytes per row's code  */
    struct sl_index_opts opts;
    const struct sl__ix_kernels *kern;

    pthread_rwlock_t swap_lock;  /* readers: searches; writer: compact swap,
                                    IVF list growth                        */
    pthread_mutex_t  wlock;      /* serialises writers (add/remove/meta)   */
    pthread_rwlock_t meta_lock;  /* collections + watch entries            */

    struct sl__ix_rows *rows;  
    struct sl__ix_map    map;    /* live id -> row (under wlock)            */
    struct sl__ix_coll   colls[SL_INDEX_COLL_MAX];
    _Atomic uint32_t     coll_rows[SL_INDEX_COLL_MAX]; /* live rows        */
    _Atomic uint32_t     nwatchcoll;  /* collections flagged as watchlists  */
    struct sl__ix_watch *watch;  /* watch entries (under meta_lock)        */
    size_t               nwatch, capwatch;
    struct sl__ix_map    watchmap; /* id -> watch index                     */
    struct sl__ix_ivf   *ivf;    /* NULL until trained                     */
    size_t               ivf_trained_rows; /* live rows at the last training */

    sl_index_watch_fn    hook;
    void                *hook_user;

    char                *dir;    /* NULL: memory only                      */
    struct sl__ix_log   *log;
    uint64_t             seq;    /* last sequence number written/replayed  */
    uint64_t             log_records, log_cut_bytes;
    bool                 replaying;
    bool                 read_only;   /* SL_INDEX_OPEN_READ                 */
    int                  lock_fd;     /* dir/lock, flock'd (writer); -1     */
    uint32_t             version;     /* oldest format version loaded      */
    struct sl_index_check chk;        /* what load found in the log        */

    /* worker pool for multi-threaded searches */
    void                *pool;
    sl_index_run_fn      run;
    void                *own_pool;    /* pthreadpool_t made at open, or NULL */
};

/* Row access. */
static inline struct sl__ix_chunk *sl__ix_chunk_of(const struct sl__ix_rows *s,
                                                   size_t row)
{
    return s->chunks[row >> SL__IX_CHUNK_SHIFT];
}

/* Applies (without logging) an add to memory; used by add and replay. */
sl_status sl__ix_apply_add(sl_index *ix, uint64_t id, uint32_t coll,
                           const float *vec);
sl_status sl__ix_apply_remove(sl_index *ix, uint64_t id);
sl_status sl__ix_apply_coll(sl_index *ix, uint32_t coll, const char *name,
                            bool watch, float thr);
sl_status sl__ix_apply_watch(sl_index *ix, uint64_t id, uint32_t level,
                             const char *reason);
sl_status sl__ix_apply_model(sl_index *ix, uint32_t coll, const char *model);
/* true if model is a valid model id ("" allowed: raw vectors). */
bool      sl__ix_model_ok(const char *model);
/* Copies the fp32 (dequantised) row into out (pdim floats). */
void sl__ix_row_f32(const sl_index *ix, const struct sl__ix_rows *s,
                    size_t row, float *out);
/* New empty row storage / freeing it. */
struct sl__ix_rows *sl__ix_rows_new(void);
void sl__ix_rows_free(struct sl__ix_rows *s);
/* Appends a row's data (writer only); publishes nothing. */
sl_status sl__ix_rows_reserve(sl_index *ix, struct sl__ix_rows *s,
                               size_t row);

/* ============================ Persistence (persist.c) ===================== */
uint32_t  sl__crc32c(uint32_t crc, const void *p, size_t n);
sl_status sl__ix_log_add(sl_index *ix, uint64_t id, uint32_t coll,
                         const float *vec, bool sync);
sl_status sl__ix_log_del(sl_index *ix, uint64_t id);
sl_status sl__ix_log_coll(sl_index *ix, uint32_t coll, const char *name,
                          bool watch, float thr);
sl_status sl__ix_log_watch(sl_index *ix, uint64_t id, uint32_t level,
                           const char *reason);
sl_status sl__ix_log_model(sl_index *ix, uint32_t coll, const char *model);
sl_status sl__ix_log_sync(sl_index *ix);
void      sl__ix_log_close(sl_index *ix);
/* Creates dir with an empty log (taking the writer lock); loads dir
 * (read-write: writer lock, then snapshot + replay; read-only: shared
 * byte-range lock while loading). */
sl_status sl__ix_persist_create(sl_index *ix);
sl_status sl__ix_persist_load(sl_index *ix);
/* Releases the writer lock (sl_index_free). */
void      sl__ix_unlock(sl_index *ix);
/* Writes a snapshot of the live rows of ix->rows and resets the log. */
sl_status sl__ix_persist_snapshot(sl_index *ix);

/* ============================ IVF (ivf.c) ================================ */
sl_status sl__ix_ivf_train(sl_index *ix, uint32_t nlist);
void      sl__ix_ivf_free(struct sl__ix_ivf *v);
/* Assigns one row (already stored) to its nearest list. */
sl_status sl__ix_ivf_assign_row(sl_index *ix, size_t row, const float *unit);
/* Nearest nprobe lists to q (pdim floats) into out. */
void      sl__ix_ivf_probe(const sl_index *ix, const float *q, uint32_t nprobe,
                           uint32_t *out);

#endif
