/*
 * index.h -- the 1:N gallery: face templates, exact and IVF search,
 * watchlists, crash-safe persistence.
 *
 * Workload: up to tens of millions of 512-d L2-normalised templates on one
 * machine; top-k cosine search with a threshold and a collection filter;
 * adds and removes while searches run. Exact search is a blocked SIMD scan
 * (int8 with a per-vector scale by default, fp16 or fp32); above a measured
 * size an IVF coarse quantiser narrows the scan (docs/index.md).
 *
 * Persistence: a directory holding `snapshot` (written by compact) and
 * `log` (append-only, a CRC32C per record). Every add/remove/collection/
 * watch call returns only after its log record is written (and, with the
 * default sync policy, fdatasync'd): an acknowledged change is never lost.
 * The on-disk layout is documented in src/index/index_format.h.
 *
 * Threads: any number of threads may search at once while one or more
 * threads add/remove (writers are serialised inside). Searches never wait
 * for adds/removes; only the in-memory swap at the end of compact and the
 * growth of an IVF list take a short exclusive lock.
 *
 * Ownership: an sl_index is created by sl_index_create/sl_index_open and
 * released by sl_index_free (NULL is fine). Vectors and strings passed in
 * are copied; hit arrays are owned by the caller.
 */
#ifndef SHUALIAN_INDEX_H
#define SHUALIAN_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "shualian/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_index sl_index;

#define SL_INDEX_DIM_DEFAULT   512u
#define SL_INDEX_DIM_MAX       4096u
#define SL_INDEX_K_MAX         1024u      /* top-k limit per query          */
#define SL_INDEX_COLL_MAX      1024u      /* collection ids are 0..1023     */
#define SL_INDEX_NAME_MAX      64u        /* collection name, incl. NUL     */
#define SL_INDEX_REASON_MAX    128u       /* watch reason, incl. NUL        */
#define SL_INDEX_THREADS_MAX   64u

/* How templates are stored (and scanned). */
enum sl_index_kind {
    SL_INDEX_INT8 = 0,   /* int8 + per-vector scale: 1 byte/dim (default)  */
    SL_INDEX_FP16 = 1,   /* IEEE half: 2 bytes/dim                          */
    SL_INDEX_FP32 = 2,   /* 4 bytes/dim                                     */
};

/* When a log record is forced to stable storage. */
enum sl_index_sync {
    SL_INDEX_SYNC_ALWAYS = 0, /* fdatasync before each call returns (default) */
    SL_INDEX_SYNC_NONE   = 1, /* write() only: survives a process crash but not
                                 a power cut until sl_index_sync(); bulk import */
};

/* Which search path to use. */
enum sl_index_mode {
    SL_INDEX_AUTO  = 0,  /* IVF when trained and the gallery is above
                            ivf_min_rows, exact otherwise                    */
    SL_INDEX_EXACT = 1,
    SL_INDEX_IVF   = 2,  /* SL_ERR_STATE if no IVF is trained                */
};

struct sl_index_opts {
    uint32_t dim;          /* template dimension, 1..SL_INDEX_DIM_MAX (512)  */
    uint32_t kind;         /* enum sl_index_kind (create only)               */
    uint32_t threads;      /* threads one search may use, 1..64 (1)          */
    uint32_t sync;         /* enum sl_index_sync                             */
    uint64_t ivf_min_rows; /* AUTO mode uses IVF at or above this many live
                              rows (the measured crossover; docs/index.md);
                              sl_index_compact trains it there (0: never)   */
    uint32_t ivf_nlist;    /* lists when sl_index_ivf_train gets 0 (0: auto) */
    uint32_t ivf_nprobe;   /* default lists probed (0: auto)                 */
};
/* Fills defaults: dim 512, int8, 1 thread, sync always. */
SL_API void sl_index_opts_default(struct sl_index_opts *o);

/* A new empty index. dir NULL: in memory only (nothing persisted); else
 * dir is created (it must not hold an index already). */
SL_API SL_NODISCARD sl_status sl_index_create(sl_index **out, const char *dir,
                                              const struct sl_index_opts *o);
/* Opens an index directory: loads the snapshot, replays the log. A damaged
 * log tail (torn or corrupt record) is cut with a warning, counted in
 * stats.log_cut_bytes; a damaged snapshot gives SL_ERR_CORRUPT-class codes.
 * From o only threads, sync, ivf_* are used (o may be NULL). */
SL_API SL_NODISCARD sl_status sl_index_open(sl_index **out, const char *dir,
                                            const struct sl_index_opts *o);
SL_API void sl_index_free(sl_index *ix);

/* Adds one template (copied; normalised to unit length). id must not be
 * live already (SL_ERR_INDEX_DUP). coll < SL_INDEX_COLL_MAX. */
SL_API SL_NODISCARD sl_status sl_index_add(sl_index *ix, uint64_t id,
                                           uint32_t coll, const float *vec,
                                           size_t dim);
/* Adds n templates (vecs is n x dim, row-major) with one log sync at the
 * end; on error *added says how many were added (acknowledged). */
SL_API SL_NODISCARD sl_status sl_index_add_batch(sl_index *ix,
        const uint64_t *ids, const uint32_t *colls, const float *vecs,
        size_t n, size_t dim, size_t *added);
/* Tombstones id (SL_ERR_NOT_FOUND if not live). */
SL_API SL_NODISCARD sl_status sl_index_remove(sl_index *ix, uint64_t id);
/* true if id is live. */
SL_API int sl_index_contains(sl_index *ix, uint64_t id);

/* Names a collection and says whether it is a watchlist; a watchlist's
 * hits at or above watch_threshold go to the watch hook on every search. */
SL_API SL_NODISCARD sl_status sl_index_collection_set(sl_index *ix,
        uint32_t coll, const char *name, int is_watchlist,
        float watch_threshold);
/* Copies the collection's name (cap bytes); SL_ERR_NOT_FOUND if unnamed. */
SL_API SL_NODISCARD sl_status sl_index_collection_get(sl_index *ix,
        uint32_t coll, char *name, size_t cap, int *is_watchlist,
        float *watch_threshold);
/* Attaches a reason and a level (0..255) to a live template. */
SL_API SL_NODISCARD sl_status sl_index_watch_set(sl_index *ix, uint64_t id,
                                                 uint32_t level,
                                                 const char *reason);

/* One hit. */
struct sl_index_hit {
    uint64_t id;
    float    score;        /* cosine similarity, -1..1                       */
    uint32_t coll;
};

/* A watchlist hit, given to the hook during a search (reason borrowed for
 * the call only). The hook runs on the searching thread, after the scan;
 * it must not call back into the index. */
struct sl_index_watch_hit {
    uint64_t    id;
    float       score;
    uint32_t    coll;
    uint32_t    level;
    const char *reason;    /* "" when none was set                          */
    uint32_t    query;     /* query number within a batch                   */
};
typedef void (*sl_index_watch_fn)(void *user,
                                  const struct sl_index_watch_hit *hit);
/* Installs (fn NULL: removes) the watch hook; set it before searching. */
SL_API void sl_index_set_watch_hook(sl_index *ix, sl_index_watch_fn fn,
                                    void *user);

struct sl_index_query {
    uint32_t        k;         /* hits wanted, 1..SL_INDEX_K_MAX               */
    float           threshold; /* only hits with score >= threshold (-1: all)  */
    const uint32_t *colls;     /* only these collections (NULL: all)           */
    size_t          ncolls;
    uint32_t        mode;      /* enum sl_index_mode                           */
    uint32_t        nprobe;    /* IVF lists to probe (0: the index default)    */
    uint32_t        threads;   /* 0: the index's threads option                */
};
SL_API void sl_index_query_default(struct sl_index_query *q);  /* k 10 */

/* Top-k hits for one query vector, best first, into hits (cap >= q->k).
 * *n is the number of hits written. */
SL_API SL_NODISCARD sl_status sl_index_search(sl_index *ix,
        const struct sl_index_query *q, const float *vec, size_t dim,
        struct sl_index_hit *hits, size_t cap, size_t *n);
/* nq queries (vecs nq x dim) scanned together: hits is nq x q->k, counts
 * nq entries. Exact batches read the gallery once for all queries. */
SL_API SL_NODISCARD sl_status sl_index_search_batch(sl_index *ix,
        const struct sl_index_query *q, const float *vecs, size_t nq,
        size_t dim, struct sl_index_hit *hits, size_t *counts);

/* Trains the IVF coarse quantiser on the live templates (nlist 0: auto,
 * about 4 x sqrt(N)) and assigns every template to a list. */
SL_API SL_NODISCARD sl_status sl_index_ivf_train(sl_index *ix,
                                                 uint32_t nlist);

/* Writes a new snapshot without tombstones and empties the log; trains
 * the IVF when live rows >= ivf_min_rows and it is missing or the gallery
 * has doubled since it was trained. */
SL_API SL_NODISCARD sl_status sl_index_compact(sl_index *ix);
/* Forces written log records to stable storage (for SYNC_NONE). */
SL_API SL_NODISCARD sl_status sl_index_sync(sl_index *ix);

struct sl_index_stats {
    uint32_t dim, kind;
    uint64_t live;             /* templates searchable                      */
    uint64_t dead;             /* tombstones not yet compacted              */
    uint64_t bytes;            /* memory held for templates and tables      */
    uint64_t bytes_per_template;
    uint32_t ivf_nlist;        /* 0: no IVF                                 */
    uint32_t ivf_nprobe;
    uint64_t log_records;      /* records replayed at open + written since  */
    uint64_t log_cut_bytes;    /* damaged tail bytes cut at open            */
    uint32_t ncollections;
    const char *kernel;        /* "avx512vnni", "avx2", "neon", "ref"       */
};
SL_API SL_NODISCARD sl_status sl_index_stats(sl_index *ix,
                                             struct sl_index_stats *st);

/* Diagnostic: memory read bandwidth in GB/s seen by the scan kernels,
 * best of 3 passes over a buffer of 'bytes' (0: 1 GiB) read by 'threads'
 * threads at once; 0 if the buffer cannot be allocated. */
SL_API double sl_index_read_bandwidth(uint32_t threads, size_t bytes);

/* Checks an index directory without changing it: *records valid log
 * records, *bad_bytes damaged log tail. SL_OK only if all is intact. */
SL_API SL_NODISCARD sl_status sl_index_verify(const char *dir,
        uint64_t *snapshot_rows, uint64_t *records, uint64_t *bad_bytes);

#ifdef __cplusplus
}
#endif
#endif
