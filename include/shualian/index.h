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
 * Persistence: a directory holding `snapshot` (written by compact), `log`
 * (append-only, a CRC32C per record) and `lock`. Every add/remove/
 * collection/watch call returns only after its log record is written (and,
 * with the default sync policy, fdatasync'd): an acknowledged change is
 * never lost. The on-disk layout is documented in src/index/index_format.h.
 *
 * Processes: one writer at a time. A read-write open takes an exclusive
 * flock() on dir/lock for the life of the handle; a second read-write open
 * (another process or the same one) waits opts.lock_wait_ms and then fails
 * with SL_ERR_INDEX_LOCKED. A read-only open (opts.open_mode
 * SL_INDEX_OPEN_READ) takes no writer lock, never creates, truncates or
 * writes a file, and loads a consistent state: it holds a shared byte-range
 * lock on dir/lock while loading, which the writer takes exclusively for the
 * moments it replaces or cuts files (compact's renames, a torn-tail cut).
 * A read-only handle is a snapshot of the state at open; changes made later
 * by the writer are seen by opening again.
 *
 * Damage: only a torn tail (an incomplete or bad last record, what a crash
 * mid-append leaves) is cut, and only by a read-write open. A bad record
 * followed by valid ones is damage, not a crash: a read-write open fails
 * with SL_ERR_INDEX_DAMAGED (the record number is in the log message and in
 * sl_index_check()) until sl_index_repair() is run; a read-only open loads
 * the records before it and reports it in stats.log_damaged_record.
 *
 * Models: each collection remembers the model id of its templates (fixed by
 * its first template add, or by sl_index_collection_set_model; persisted).
 * A collection without a model holds raw vectors (benchmarks, imports).
 * Adding a template of another model, a raw vector into a collection with
 * a model, or a template into a collection holding raw vectors fails with
 * SL_ERR_INDEX_MODEL.
 *
 * Threads: any number of threads may search at once while one or more
 * threads add/remove (writers are serialised inside). Searches never wait
 * for adds/removes; only the in-memory swap at the end of compact and the
 * growth of an IVF list take a short exclusive lock. A search that uses
 * several threads runs its parts on the caller's pool (opts.pool/run) or on
 * a pool the index creates once at open: no thread is created per query.
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
#define SL_INDEX_MODEL_MAX     48u        /* model id, incl. NUL (= face.h's
                                             SL_FACE_MODEL_ID_MAX)          */
/* Ids are unsigned 64-bit values 0..SL_INDEX_ID_MAX: the top bit is kept
 * clear so that every id is exact as a JSON number and as a signed 64-bit
 * integer in a database column. Larger ids fail with SL_ERR_INDEX_ID. */
#define SL_INDEX_ID_MAX        0x7fffffffffffffffull

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

/* How sl_index_open opens a directory. */
enum sl_index_open_mode {
    SL_INDEX_OPEN_WRITE = 0,  /* read-write: takes the writer lock; cuts a
                                 torn log tail; migrates an old format       */
    SL_INDEX_OPEN_READ  = 1,  /* read-only: no lock held, no file changed;
                                 every write call fails SL_ERR_INDEX_READONLY */
};

/* A worker pool given by the caller: runs fn(ctx, i) for every i in
 * [0, n), possibly at once on the pool's threads, and returns when all are
 * done. pthreadpool's pthreadpool_parallelize_1d(pool, fn, ctx, n, 0) has
 * this shape. */
typedef void (*sl_index_task_fn)(void *ctx, size_t i);
typedef void (*sl_index_run_fn)(void *pool, sl_index_task_fn fn, void *ctx,
                                size_t n);

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
    uint32_t open_mode;    /* enum sl_index_open_mode (open only)            */
    uint32_t lock_wait_ms; /* read-write open/create: wait this long for the
                              writer lock held by another handle, then
                              SL_ERR_INDEX_LOCKED (0: fail at once)          */
    void    *pool;         /* borrowed worker pool for multi-threaded
                              searches (must outlive the index), or NULL    */
    sl_index_run_fn run;   /* runs tasks on pool; NULL with a pool: pool is a
                              pthreadpool_t (libpthreadpool). No pool: the
                              index makes one of threads-1 workers at open
                              (threads > 1) and keeps it until free        */
};
/* Fills defaults: dim 512, int8, 1 thread, sync always, read-write, no
 * lock wait, no pool. */
SL_API void sl_index_opts_default(struct sl_index_opts *o);

/* A new empty index. dir NULL: in memory only (nothing persisted); else
 * dir is created (it must not hold an index already). */
SL_API SL_NODISCARD sl_status sl_index_create(sl_index **out, const char *dir,
                                              const struct sl_index_opts *o);
/* Opens an index directory: loads the snapshot, replays the log. A torn
 * log tail is cut (read-write) or ignored (read-only) with a warning and
 * counted in stats.log_cut_bytes; a bad record before the end gives
 * SL_ERR_INDEX_DAMAGED (read-write; see sl_index_repair); a damaged
 * snapshot gives SL_ERR_CORRUPT-class codes; another writer holding the
 * directory gives SL_ERR_INDEX_LOCKED; no index there SL_ERR_NOT_FOUND.
 * A read-write open of a version-1 directory migrates it to the current
 * format (a compaction). From o only threads, sync, ivf_*, open_mode,
 * lock_wait_ms, pool and run are used (o may be NULL). */
SL_API SL_NODISCARD sl_status sl_index_open(sl_index **out, const char *dir,
                                            const struct sl_index_opts *o);
SL_API void sl_index_free(sl_index *ix);

/* Adds one template (copied; normalised to unit length). id must not be
 * live already (SL_ERR_INDEX_DUP) and at most SL_INDEX_ID_MAX
 * (SL_ERR_INDEX_ID). coll < SL_INDEX_COLL_MAX. A raw vector: no model id
 * (see sl_index_add_batch_model). */
SL_API SL_NODISCARD sl_status sl_index_add(sl_index *ix, uint64_t id,
                                           uint32_t coll, const float *vec,
                                           size_t dim);
/* Adds n templates (vecs is n x dim, row-major) with one log sync at the
 * end; on error *added says how many were added (acknowledged) and the
 * failing one is ids[*added]. Raw vectors (no model id). */
SL_API SL_NODISCARD sl_status sl_index_add_batch(sl_index *ix,
        const uint64_t *ids, const uint32_t *colls, const float *vecs,
        size_t n, size_t dim, size_t *added);
/* As sl_index_add_batch for templates made by model model_id (printable
 * ASCII, 1..SL_INDEX_MODEL_MAX-1 bytes; NULL or "": raw vectors). A
 * collection takes the model of its first template add; an add whose model
 * differs from its collection's fails with SL_ERR_INDEX_MODEL. */
SL_API SL_NODISCARD sl_status sl_index_add_batch_model(sl_index *ix,
        const char *model_id, const uint64_t *ids, const uint32_t *colls,
        const float *vecs, size_t n, size_t dim, size_t *added);
/* Largest live id, 0 when empty (the CLI numbers new adds after it). */
SL_API uint64_t sl_index_max_id(sl_index *ix);
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
/* Fixes the model of a collection before its first add (model_id NULL or
 * "": raw vectors only). SL_ERR_INDEX_MODEL if it already has another. */
SL_API SL_NODISCARD sl_status sl_index_collection_set_model(sl_index *ix,
        uint32_t coll, const char *model_id);
/* Copies the collection's model id ("" for raw vectors) into model (cap
 * bytes); SL_ERR_NOT_FOUND if nothing fixed it yet. */
SL_API SL_NODISCARD sl_status sl_index_collection_model(sl_index *ix,
        uint32_t coll, char *model, size_t cap);
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
    const char     *model_id;  /* the query's model: only collections of this
                                  model are searched, and a listed collection
                                  of another model is SL_ERR_INDEX_MODEL
                                  (NULL: no check)                          */
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
    uint32_t read_only;        /* 1: opened with SL_INDEX_OPEN_READ         */
    uint32_t version;          /* on-disk format version read at open       */
    uint64_t log_damaged_record; /* 1-based number of the first bad record
                                  followed by valid ones (read-only open);
                                  0: none                                   */
};
SL_API SL_NODISCARD sl_status sl_index_stats(sl_index *ix,
                                             struct sl_index_stats *st);

/* Diagnostic: memory read bandwidth in GB/s seen by the scan kernels,
 * best of 3 passes over a buffer of 'bytes' (0: 1 GiB) read by 'threads'
 * threads at once; 0 if the buffer cannot be allocated. */
SL_API double sl_index_read_bandwidth(uint32_t threads, size_t bytes);

/* Checks an index directory without changing it: *records valid log
 * records before any damage, *bad_bytes log bytes after them. SL_OK only
 * if all is intact. */
SL_API SL_NODISCARD sl_status sl_index_verify(const char *dir,
        uint64_t *snapshot_rows, uint64_t *records, uint64_t *bad_bytes);

/* What sl_index_check / sl_index_repair found. */
struct sl_index_check {
    uint32_t version;          /* format version of the files               */
    uint64_t snapshot_rows;
    uint64_t records;          /* valid log records before any damage       */
    uint64_t bad_bytes;        /* log bytes from the first bad record on    */
    uint64_t damaged_record;   /* 1-based number of the first bad record
                                  (0: none)                                 */
    uint64_t damaged_offset;   /* its byte offset in the log                */
    uint64_t salvaged;         /* valid records after the damage            */
    int      torn_tail;        /* 1: the damage is only a torn tail         */
};
/* Read-only check (as sl_index_verify) with the details. Returns SL_OK,
 * SL_ERR_INDEX_DAMAGED (a bad record followed by valid ones),
 * SL_ERR_INDEX_CHECKSUM (a torn tail only) or the open error. */
SL_API SL_NODISCARD sl_status sl_index_check(const char *dir,
                                             struct sl_index_check *out);
/* Repairs a damaged log, explicitly: takes the writer lock (o: lock_wait_ms;
 * may be NULL), copies the log as it is to dir/log.damaged-<ms> (its name
 * into backup, cap bytes), then rewrites the log keeping every valid
 * record (before and after the damage) and dropping only the bad bytes.
 * SL_OK also when there was nothing to repair (backup ""). */
SL_API SL_NODISCARD sl_status sl_index_repair(const char *dir,
        const struct sl_index_opts *o, struct sl_index_check *out,
        char *backup, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
