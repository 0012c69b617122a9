/*
 * index_format.h -- the on-disk index: a directory with three files.
 * All integers little-endian; every struct below is written as is (x86-64
 * and aarch64 are both little-endian; a big-endian host is rejected).
 *
 * dir/log -- append-only change log (version 2; version 1 is read)
 *     0  struct sl__ix_log_head (64 bytes):
 *          magic "SLIXLOG1" (8), version u32, dim u32, kind u32, pad u32,
 *          base_seq u64 (the snapshot seq this log continues),
 *          created_ms i64, reserved [20], head_crc u32 (CRC32C of bytes 0..59)
 *    64  records, each:
 *          struct sl__ix_rec (24 bytes): magic u32 "LIXR", type u32,
 *          len u32 (payload bytes), crc u32 (CRC32C of type, len, seq and
 *          the payload), seq u64 (strictly increasing, > base_seq)
 *          payload (len bytes), then zero padding to a multiple of 8
 *        types: 1 ADD   { id u64, coll u32, dim u32, float[dim] unit vector }
 *               2 DEL   { id u64 }
 *               3 COLL  { coll u32, watch u32, thr f32, name[64] }
 *               4 WATCH { id u64, level u32, pad u32, reason[128] }
 *               5 MODEL { coll u32, pad u32, model[48] }   (version 2)
 *                 fixes the model id of a collection ("" = raw vectors
 *                 only); written before the first template ADD into it
 *   A record is valid only if its header, payload and crc are complete and
 *   match. Replay stops at the first invalid record. If no valid record
 *   follows it (checked at every 8-byte offset after it), it is a torn
 *   tail -- what a crash mid-append leaves -- and a read-write open cuts
 *   it (a read-only open leaves it). If valid records follow, the log is
 *   damaged: a read-write open refuses (SL_ERR_INDEX_DAMAGED) until
 *   `shualian index verify --repair DIR` (sl_index_repair) has copied the
 *   log to log.damaged-<ms> and rewritten it with every valid record; a
 *   read-only open serves the records before the damage and reports it.
 *
 * dir/snapshot -- the state at seq (version 2; version 1 is read), written
 *   by compact
 *     0  struct sl__ix_snap_head (128 bytes): magic "SLIXSNP1", version u32,
 *        dim u32, kind u32, pdim u32, rows u64, seq u64, ncoll u32,
 *        nwatch u32, nlist u32, pad u32, body_bytes u64, body_crc u32
 *        (CRC32C of the body), head_crc u32 (CRC32C of bytes 0..123)
 *   128  body, each section padded to 64 bytes:
 *        ncoll x struct sl__ix_coll_rec2 (128 bytes; version 1: 80-byte
 *          struct sl__ix_coll_rec, no model)
 *        nwatch x struct sl__ix_watch_rec (144 bytes)
 *        rows x id u64 | rows x coll u16 | rows x scale f32 | rows x vsum i32
 *        | rows x list u32 | rows x stride code bytes (int8: pdim, fp16:
 *        2*pdim, fp32: 4*pdim; padding dims are zero)
 *        nlist x pdim f32 IVF centroids (when nlist > 0)
 *   A snapshot that fails any check is an error (SL_ERR_INDEX_*): it was
 *   written to snapshot.tmp, fsync'd and renamed, so damage is not a crash.
 *
 * dir/lock -- empty but for the writer's pid (decimal). A read-write
 *   handle holds flock(LOCK_EX) on it for its whole life: one writer per
 *   directory. The byte-range lock on byte 0 (open file description locks,
 *   F_OFD_SETLKW) orders file replacement against loading: the writer
 *   holds it exclusively while it renames snapshot/log (compact) or cuts a
 *   file; a read-only open holds it shared while it maps and replays. A
 *   directory without a lock file (written by version 1) gets one at its
 *   first read-write open; read-only opens then load without it.
 *
 * Migration: a read-write open of a directory whose log or snapshot is
 *   version 1 compacts it at once (snapshot + log version 2). Its
 *   collections have no model (raw vectors, as they were added); a
 *   template add into one that holds rows is refused. A read-only open
 *   reads version 1 as is.
 *
 * fsync policy: a log record is write()n in one call; with SYNC_ALWAYS it
 * is fdatasync'd before the call that made it returns. compact writes
 * snapshot.tmp and log.tmp and fsyncs them, then (holding the byte-range
 * lock) renames snapshot.tmp over snapshot and log.tmp over log and fsyncs
 * the directory; records with seq <= the snapshot's seq are skipped on
 * replay, so a crash between the two renames loses nothing.
 *
 * Readers reject unknown versions; writers never reuse a version number.
 */
#ifndef SL_INDEX_FORMAT_H
#define SL_INDEX_FORMAT_H

#include <stdint.h>

#define SL__IX_LOG_MAGIC   "SLIXLOG1"
#define SL__IX_SNAP_MAGIC  "SLIXSNP1"
#define SL__IX_REC_MAGIC   0x5258494cu        /* "LIXR" */
#define SL__IX_VERSION     2u         /* written; 1 is still read */

enum { SL__IX_REC_ADD = 1, SL__IX_REC_DEL = 2, SL__IX_REC_COLL = 3,
       SL__IX_REC_WATCH = 4, SL__IX_REC_MODEL = 5 };

struct sl__ix_log_head {
    char     magic[8];
    uint32_t version, dim, kind, pad;
    uint64_t base_seq;
    int64_t  created_ms;
    uint8_t  reserved[20];
    uint32_t head_crc;
};

struct sl__ix_rec {
    uint32_t magic, type, len, crc;
    uint64_t seq;
};

struct sl__ix_rec_add_head {
    uint64_t id;
    uint32_t coll, dim;
};

struct sl__ix_coll_rec {
    uint32_t coll, watch;
    float    thr;
    uint32_t pad;
    char     name[64];
};

/* Version 2 collection record: flags bit 0 named (name, watch, thr are
 * set), bit 1 model fixed (model is its id, "" for raw vectors). */
struct sl__ix_coll_rec2 {
    uint32_t coll, watch;
    float    thr;
    uint32_t flags;
    char     name[64];
    char     model[48];
};
#define SL__IX_COLL_NAMED 1u
#define SL__IX_COLL_MODEL 2u

struct sl__ix_model_rec {
    uint32_t coll, pad;
    char     model[48];
};

struct sl__ix_watch_rec {
    uint64_t id;
    uint32_t level, pad;
    char     reason[128];
};

struct sl__ix_snap_head {
    char     magic[8];
    uint32_t version, dim, kind, pdim;
    uint64_t rows, seq;
    uint32_t ncoll, nwatch, nlist, pad;
    uint64_t body_bytes;
    uint8_t  reserved[56];
    uint32_t body_crc, head_crc;
};

_Static_assert(sizeof(struct sl__ix_log_head) == 64, "log head is on-disk");
_Static_assert(sizeof(struct sl__ix_rec) == 24, "record head is on-disk");
_Static_assert(sizeof(struct sl__ix_rec_add_head) == 16, "add head is on-disk");
_Static_assert(sizeof(struct sl__ix_coll_rec) == 80, "coll rec is on-disk");
_Static_assert(sizeof(struct sl__ix_coll_rec2) == 128, "coll rec 2 is on-disk");
_Static_assert(sizeof(struct sl__ix_model_rec) == 56, "model rec is on-disk");
_Static_assert(sizeof(struct sl__ix_watch_rec) == 144, "watch rec is on-disk");
_Static_assert(sizeof(struct sl__ix_snap_head) == 128, "snapshot head is on-disk");

#endif
