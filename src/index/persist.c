/*
^ * persist.c -- persistence of the index: CRC32C, the append-only log, the
 * snapshot, open = mmap + replay (format in index_format.h).
 *
 * Contract: a log record is complete on disk (and fdatasync'd under
 * SYNC_ALWAYS) before the change is applied in memory and acknowledged.
 * Damage is never a crash: a torn log tail is cut by a writer (warning), a
 * bad record followed by valid ones is SL_ERR_INDEX_DAMAGED until an
 * explicit repair, a bad snapshot is an SL_ERR_INDEX_* status. One writer
 * per directory (flock on dir/lock); read-only opens change no file.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "index_format.h"
#include "index_int.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define REC_MAX (sizeof(struct sl__ix_rec) + sizeof(struct sl__ix_rec_add_head) + \
                 4u * SL_INDEX_DIM_MAX + 8u)

struct sl__ix_log {
    int      fd;
    uint64_t size;          /* bytes of valid log                          */
    uint8_t *buf;           /* REC_MAX scratch for one record              */
};

/* ============================ CRC32C ===================================== */

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
                              crc_table[0][crc_table[t - 1][i] & 0xff];
}

static uint32_t crc_soft(uint32_t crc, const uint8_t *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        v ^= crc;
        crc = crc_table[7][v & 0xff] ^ crc_table[6][(v >> 8) & 0xff] ^
              crc_table[5][(v >> 16) & 0xff] ^ crc_table[4][(v >> 24) & 0xff] ^
              crc_table[3][(v >> 32) & 0xff] ^ crc_table[2][(v >> 40) & 0xff] ^
              crc_table[1][(v >> 48) & 0xff] ^ crc_table[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = _mm_crc32_u64(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}
#endif

/* CRC32C (Castagnoli) of p, continuing crc (start with 0). */
uint32_t sl__crc32c(uint32_t crc, const void *p, size_t n)
{
    crc = ~crc;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2"))
        crc = crc_hw(crc, p, n);
    else
#endif
        crc = crc_soft(crc, p, n);
    return ~crc;
}

/* ============================ Small file helpers ========================= */

static sl_status write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            sl_log_err("index: write: %s", strerror(errno));
            return SL_ERR_IO;
        }
        b += w;
        n -= (size_t)w;
    }
    return SL_OK;
}

static sl_status fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return SL_ERR_IO;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? SL_OK : SL_ERR_IO;
}

static void path_of(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

/* ============================ Locks ====================================== */

/* The byte-range lock on byte 0 of dir/lock (open file description locks:
 * per open, not per process, so two handles in one process exclude each
 * other too). type: F_RDLCK, F_WRLCK or F_UNLCK. */
static int range_lock(int fd, short type)
{
    struct flock fl;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 1;
    while (fcntl(fd, type == F_UNLCK ? F_OFD_SETLK : F_OFD_SETLKW, &fl) != 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* Writer: excludes read-only loads while files are replaced or cut. */
static void state_begin(sl_index *ix)
{
    if (ix->lock_fd >= 0 && range_lock(ix->lock_fd, F_WRLCK) != 0)
        sl_log_warn("index: byte-range lock: %s", strerror(errno));
}

static void state_end(sl_index *ix)
{
    if (ix->lock_fd >= 0)
        (void)range_lock(ix->lock_fd, F_UNLCK);
}

/* Takes the writer lock: flock(LOCK_EX) on dir/lock, held until
 * sl__ix_unlock. Waits up to opts.lock_wait_ms for another writer. */
static sl_status lock_writer(sl_index *ix)
{
    char p[4096];
    path_of(p, sizeof(p), ix->dir, "lock");
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        sl_log_err("index: cannot open %s: %s", p, strerror(e));
        return e == ENOENT || e == ENOTDIR ? SL_ERR_NOT_FOUND : SL_ERR_IO;
    }
    uint64_t deadline = sl_time_mono_ns() +
                        (uint64_t)ix->opts.lock_wait_ms * 1000000ull;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        if (e != EWOULDBLOCK || sl_time_mono_ns() >= deadline) {
            char pid[24] = "";
            ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
            pid[n > 0 ? n : 0] = 0;
            pid[strcspn(pid, "\n")] = 0;
            close(fd);
            if (e != EWOULDBLOCK) {
                sl_log_err("index: flock %s: %s", p, strerror(e));
                return SL_ERR_IO;
            }
            sl_log_err("index: %s is open for writing by another process or "
                       "handle (pid %s)", ix->dir, pid[0] ? pid : "unknown");
            return SL_ERR_INDEX_LOCKED;
        }
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    /* the holder's pid, for the message above (informational only) */
    char pid[24];
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
        sl_log_warn("index: cannot write the pid into %s", p);
    ix->lock_fd = fd;
    return SL_OK;
}

void sl__ix_unlock(sl_index *ix)
{
    if (ix->lock_fd >= 0)
        close(ix->lock_fd);       /* releases the flock and range locks */
    ix->lock_fd = -1;
}

/* ============================ Log writing ================================ */

static sl_status log_open_fd(sl_index *ix, uint64_t size)
{
    char p[4096];
    path_of(p, sizeof(p), ix->dir, "log");
    struct sl__ix_log *l = sl__calloc(1, sizeof(*l));
    uint8_t *buf = sl__aligned_alloc(64, REC_MAX);
    if (!l || !buf) {
        sl__free(l);
        sl__free(buf);
        return SL_ERR_NOMEM;
    }
    l->fd = open(p, O_WRONLY | O_CLOEXEC);
    if (l->fd < 0 || lseek(l->fd, (off_t)size, SEEK_SET) < 0) {
        sl_log_err("index: cannot open %s: %s", p, strerror(errno));
        if (l->fd >= 0)
            close(l->fd);
        sl__free(l);
        sl__free(buf);
        return SL_ERR_IO;
    }
    l->size = size;
    l->buf = buf;
    ix->log = l;
    return SL_OK;
}

void sl__ix_log_close(sl_index *ix)
{
    if (!ix->log)
        return;
    close(ix->log->fd);
    sl__free(ix->log->buf);
    sl__free(ix->log);
    ix->log = NULL;
}

/* Writes a fresh log (header only) to log.tmp and fsyncs it. */
static sl_status write_empty_log_tmp(sl_index *ix, uint64_t base_seq)
{
    char tmp[4096];
    path_of(tmp, sizeof(tmp), ix->dir, "log.tmp");
    struct sl__ix_log_head h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, SL__IX_LOG_MAGIC, 8);
    h.version = SL__IX_VERSION;
    h.dim = ix->dim;
    h.kind = ix->kind;
    h.base_seq = base_seq;
    h.created_ms = sl_time_wall_ms();
    h.head_crc = sl__crc32c(0, &h, offsetof(struct sl__ix_log_head, head_crc));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        sl_log_err("index: cannot create %s: %s", tmp, strerror(errno));
        return SL_ERR_IO;
    }
    sl_status st = write_all(fd, &h, sizeof(h));
    if (st == SL_OK && fsync(fd) != 0)
        st = SL_ERR_IO;
    close(fd);
    if (st != SL_OK)
        unlink(tmp);
    return st;
}

/* Writes a fresh log (header only) via log.tmp + rename. */
static sl_status write_empty_log(sl_index *ix, uint64_t base_seq)
{
    char tmp[4096], fin[4096];
    path_of(tmp, sizeof(tmp), ix->dir, "log.tmp");
    path_of(fin, sizeof(fin), ix->dir, "log");
    sl_status st = write_empty_log_tmp(ix, base_seq);
    if (st != SL_OK)
        return st;
    state_begin(ix);
    if (rename(tmp, fin) != 0)
        st = SL_ERR_IO;
    state_end(ix);
    if (st == SL_OK)
        st = fsync_dir(ix->dir);
    return st;
}

/* Appends one record (head + payload + padding) in a single write. On a
 * failed write the file is cut back so no torn record stays behind. */
static sl_status log_append(sl_index *ix, uint32_t type, const void *a,
                            size_t na, const void *b, size_t nb, bool sync)
{
    struct sl__ix_log *l = ix->log;
    if (!l)
        return SL_ERR_STATE;
    size_t len = na + nb, padded = (len + 7) & ~(size_t)7;
    size_t total = sizeof(struct sl__ix_rec) + padded;
    if (total > REC_MAX)
        return SL_ERR_INTERNAL;
    struct sl__ix_rec r = { SL__IX_REC_MAGIC, type, (uint32_t)len, 0,
                            ix->seq + 1 };
    uint8_t *buf = l->buf;
    memcpy(buf, &r, sizeof(r));
    memcpy(buf + sizeof(r), a, na);
    if (nb)
        memcpy(buf + sizeof(r) + na, b, nb);
    memset(buf + sizeof(r) + len, 0, padded - len);
    /* crc over type, len (bytes 4..11), seq (16..23) and the payload */
    uint32_t crc = sl__crc32c(0, buf + 4, 8);
    crc = sl__crc32c(crc, buf + 16, 8);
    crc = sl__crc32c(crc, buf + sizeof(r), len);
    memcpy(buf + 12, &crc, 4);
    sl_status st = write_all(l->fd, buf, total);
    if (st == SL_OK && sync && fdatasync(l->fd) != 0) {
        sl_log_err("index: fdatasync: %s", strerror(errno));
        st = SL_ERR_IO;
    }
    if (st != SL_OK) {
        state_begin(ix);
        if (ftruncate(l->fd, (off_t)l->size) != 0 ||
            lseek(l->fd, (off_t)l->size, SEEK_SET) < 0)
            sl_log_err("index: cannot cut a failed record: %s", strerror(errno));
        state_end(ix);
        return st;
    }
    l->size += total;
    ix->seq++;
    ix->log_records++;
    return SL_OK;
}

sl_status sl__ix_log_add(sl_index *ix, uint64_t id, uint32_t coll,
                         const float *vec, bool sync)
{
    struct sl__ix_rec_add_head h = { id, coll, ix->dim };
    return log_append(ix, SL__IX_REC_ADD, &h, sizeof(h), vec,
                      ix->dim * sizeof(float), sync);
}

sl_status sl__ix_log_del(sl_index *ix, uint64_t id)
{
    return log_append(ix, SL__IX_REC_DEL, &id, sizeof(id), NULL, 0,
                      ix->opts.sync == SL_INDEX_SYNC_ALWAYS);
}

sl_status sl__ix_log_coll(sl_index *ix, uint32_t coll, const char *name,
                          bool watch, float thr)
{
    struct sl__ix_coll_rec r;
    memset(&r, 0, sizeof(r));
    r.coll = coll;
    r.watch = watch;
    r.thr = thr;
    snprintf(r.name, sizeof(r.name), "%s", name);
    return log_append(ix, SL__IX_REC_COLL, &r, sizeof(r), NULL, 0,
                      ix->opts.sync == SL_INDEX_SYNC_ALWAYS);
}

sl_status sl__ix_log_watch(sl_index *ix, uint64_t id, uint32_t level,
                           const char *reason)
{
    struct sl__ix_watch_rec r;
    memset(&r, 0, sizeof(r));
    r.id = id;
    r.level = level;
    snprintf(r.reason, sizeof(r.reason), "%s", reason);
    return log_append(ix, SL__IX_REC_WATCH, &r, sizeof(r), NULL, 0,
                      ix->opts.sync == SL_INDEX_SYNC_ALWAYS);
}

sl_status sl__ix_log_model(sl_index *ix, uint32_t coll, const char *model)
{
    struct sl__ix_model_rec r;
    memset(&r, 0, sizeof(r));
    r.coll = coll;
    snprintf(r.model, sizeof(r.model), "%s", model ? model : "");
    return log_append(ix, SL__IX_REC_MODEL, &r, sizeof(r), NULL, 0, false);
}

sl_status sl__ix_log_sync(sl_index *ix)
{
    if (!ix->log)
        return SL_OK;
    return fdatasync(ix->log->fd) == 0 ? SL_OK : SL_ERR_IO;
}

sl_status sl__ix_persist_create(sl_index *ix)
{
    char p[4096];
    struct stat sb;
    if (mkdir(ix->dir, 0755) != 0 && errno != EEXIST) {
        sl_log_err("index: cannot create %s: %s", ix->dir, strerror(errno));
        return SL_ERR_IO;
    }
    for (int pass = 0; pass < 2; pass++) {
        /* before the lock (an open writer's dir is EXISTS, not LOCKED) and
         * again under it (two creates at once) */
        path_of(p, sizeof(p), ix->dir, "log");
        if (stat(p, &sb) == 0)
            return SL_ERR_INDEX_EXISTS;
        path_of(p, sizeof(p), ix->dir, "snapshot");
        if (stat(p, &sb) == 0)
            return SL_ERR_INDEX_EXISTS;
        if (pass == 0) {
            sl_status st = lock_writer(ix);
            if (st != SL_OK)
                return st;
        }
    }
    ix->version = SL__IX_VERSION;
    sl_status st = write_empty_log(ix, 0);
    if (st == SL_OK)
        st = log_open_fd(ix, sizeof(struct sl__ix_log_head));
    return st;
}

/* ============================ Snapshot writing =========================== */

struct bw {
    int      fd;
    uint8_t *buf;
    size_t   n, cap;
    uint32_t crc;
    uint64_t total;
    sl_status st;
};

static void bw_flush(struct bw *w)
{
    if (w->st == SL_OK && w->n)
        w->st = write_all(w->fd, w->buf, w->n);
    w->n = 0;
}

static void bw_put(struct bw *w, const void *p, size_t n)
{
    const uint8_t *b = p;
    w->crc = sl__crc32c(w->crc, p, n);
    w->total += n;
    while (n) {
        size_t m = SL_MIN(n, w->cap - w->n);
        memcpy(w->buf + w->n, b, m);
        w->n += m;
        b += m;
        n -= m;
        if (w->n == w->cap)
            bw_flush(w);
    }
}

static void bw_pad64(struct bw *w)
{
    static const uint8_t zero[64];
    size_t r = w->total & 63;
    if (r)
        bw_put(w, zero, 64 - r);
}

static uint64_t pad64(uint64_t n)
{
    return (n + 63) & ~(uint64_t)63;
}

/* Body size for the given counts; false on overflow. */
static size_t coll_rec_size(uint32_t version)
{
    return version == 1 ? sizeof(struct sl__ix_coll_rec)
                        : sizeof(struct sl__ix_coll_rec2);
}

static bool body_size(uint32_t version, uint64_t rows, uint32_t stride,
                      uint32_t ncoll, uint32_t nwatch, uint32_t nlist,
                      uint32_t pdim, uint64_t *out)
{
    if (rows > (1ull << 32) || nlist > (1u << 20))
        return false;
    uint64_t n = pad64((uint64_t)ncoll * coll_rec_size(version));
    n += pad64((uint64_t)nwatch * sizeof(struct sl__ix_watch_rec));
    n += pad64(rows * 8) + pad64(rows * 2) + pad64(rows * 4) * 3;
    n += pad64(rows * stride);
    n += pad64((uint64_t)nlist * pdim * 4);
    *out = n;
    return true;
}

sl_status sl__ix_persist_snapshot(sl_index *ix)
{
    char tmp[4096], fin[4096];
    struct bw w = { 0 };
    sl_status st = SL_OK;
    struct sl__ix_rows *s = ix->rows;
    uint64_t rows = atomic_load(&s->nrows);
    path_of(tmp, sizeof(tmp), ix->dir, "snapshot.tmp");
    path_of(fin, sizeof(fin), ix->dir, "snapshot");

    w.cap = 1 << 20;
    w.buf = sl__malloc(w.cap);
    if (!w.buf)
        return SL_ERR_NOMEM;
    w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w.fd < 0) {
        sl__free(w.buf);
        sl_log_err("index: cannot create %s: %s", tmp, strerror(errno));
        return SL_ERR_IO;
    }
    struct sl__ix_snap_head h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, SL__IX_SNAP_MAGIC, 8);
    h.version = SL__IX_VERSION;
    h.dim = ix->dim;
    h.kind = ix->kind;
    h.pdim = ix->pdim;
    h.rows = rows;
    h.seq = ix->seq;
    h.nlist = ix->ivf ? ix->ivf->nlist : 0;
    if (write_all(w.fd, &h, sizeof(h)) != SL_OK) {
        st = SL_ERR_IO;
        goto out;
    }
    /* collections */
    pthread_rwlock_rdlock(&ix->meta_lock);
    for (uint32_t c = 0; c < SL_INDEX_COLL_MAX; c++) {
        const struct sl__ix_coll *cc = &ix->colls[c];
        if (!cc->set && !cc->model_set)
            continue;
        struct sl__ix_coll_rec2 r;
        memset(&r, 0, sizeof(r));
        r.coll = c;
        r.flags = (cc->set ? SL__IX_COLL_NAMED : 0) |
                  (cc->model_set ? SL__IX_COLL_MODEL : 0);
        if (cc->set) {
            r.watch = cc->watch;
            r.thr = cc->thr;
            memcpy(r.name, cc->name, sizeof(r.name));
        }
        if (cc->model_set)
            memcpy(r.model, cc->model, sizeof(r.model));
        bw_put(&w, &r, sizeof(r));
        h.ncoll++;
    }
    bw_pad64(&w);
    for (size_t i = 0; i < ix->nwatch; i++) {
        uint32_t row;
        if (!sl__ix_map_get(&ix->map, ix->watch[i].id, &row))
            continue;                      /* the template was removed */
        struct sl__ix_watch_rec r;
        memset(&r, 0, sizeof(r));
        r.id = ix->watch[i].id;
        r.level = ix->watch[i].level;
        memcpy(r.reason, ix->watch[i].reason, sizeof(r.reason));
        bw_put(&w, &r, sizeof(r));
        h.nwatch++;
    }
    pthread_rwlock_unlock(&ix->meta_lock);
    bw_pad64(&w);
    /* the row sections, one column at a time */
    for (int col = 0; col < 6; col++) {
        for (uint64_t r = 0; r < rows; r++) {
            const struct sl__ix_chunk *c = sl__ix_chunk_of(s, r);
            size_t off = r & (SL__IX_CHUNK_ROWS - 1);
            uint32_t l;
            switch (col) {
            case 0: bw_put(&w, &c->ids[off], 8); break;
            case 1: bw_put(&w, &c->coll[off], 2); break;
            case 2: bw_put(&w, &c->scale[off], 4); break;
            case 3: bw_put(&w, &c->vsum[off], 4); break;
            case 4:
                l = atomic_load(&c->list[off]);
                bw_put(&w, &l, 4);
                break;
            default: bw_put(&w, c->codes + off * ix->stride, ix->stride); break;
            }
        }
        bw_pad64(&w);
    }
    if (ix->ivf) {
        bw_put(&w, ix->ivf->cent, (size_t)ix->ivf->nlist * ix->pdim * 4);
        bw_pad64(&w);
    }
    bw_flush(&w);
    if (w.st != SL_OK) {
        st = w.st;
        goto out;
    }
    uint64_t expect;
    if (!body_size(SL__IX_VERSION, rows, ix->stride, h.ncoll, h.nwatch,
                   h.nlist, ix->pdim, &expect) || expect != w.total) {
        st = SL_ERR_INTERNAL;
        goto out;
    }
    h.body_bytes = w.total;
    h.body_crc = w.crc;
    h.head_crc = sl__crc32c(0, &h, offsetof(struct sl__ix_snap_head, head_crc));
    if (pwrite(w.fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || fsync(w.fd) != 0) {
        st = SL_ERR_IO;
        goto out;
    }
out:
    close(w.fd);
    sl__free(w.buf);
    if (st == SL_OK)
        st = write_empty_log_tmp(ix, ix->seq);  /* the log that follows it */
    if (st != SL_OK) {
        unlink(tmp);
        return st;
    }
    /* both files replaced while no read-only open is loading; the snapshot
     * first: a crash between the renames leaves snapshot + old log, whose
     * records up to seq are skipped on replay */
    char ltmp[4096], lfin[4096];
    path_of(ltmp, sizeof(ltmp), ix->dir, "log.tmp");
    path_of(lfin, sizeof(lfin), ix->dir, "log");
    state_begin(ix);
    if (rename(tmp, fin) != 0 || rename(ltmp, lfin) != 0)
        st = SL_ERR_IO;
    state_end(ix);
    if (st == SL_OK)
        st = fsync_dir(ix->dir);
    if (st != SL_OK) {
        sl_log_err("index: compact: cannot install the new files in %s: %s",
                   ix->dir, strerror(errno));
        unlink(tmp);
        unlink(ltmp);
        return st;
    }
    sl__ix_log_close(ix);
    ix->version = SL__IX_VERSION;
    return log_open_fd(ix, sizeof(struct sl__ix_log_head));
}

/* ============================ Loading ==================================== */

struct mapped {
    uint8_t *p;
    size_t   n;
};

static sl_status map_file(const char *path, struct mapped *m, bool *absent)
{
    m->p = NULL;
    m->n = 0;
    *absent = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *absent = true;
            return SL_ERR_NOT_FOUND;
        }
        return SL_ERR_IO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return SL_ERR_IO;
    }
    m->n = (size_t)sb.st_size;
    if (m->n) {
        void *p = mmap(NULL, m->n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return SL_ERR_IO;
        }
        m->p = p;
    }
    close(fd);
    return SL_OK;
}

static void unmap(struct mapped *m)
{
    if (m->p)
        munmap(m->p, m->n);
    m->p = NULL;
}

static sl_status set_shape(sl_index *ix, uint32_t dim, uint32_t kind)
{
    if (dim < 1 || dim > SL_INDEX_DIM_MAX || kind > SL_INDEX_FP32)
        return SL_ERR_INDEX_FORMAT;
    ix->dim = dim;
    ix->kind = kind;
    ix->pdim = (dim + 63u) & ~63u;
    ix->stride = ix->pdim * (kind == SL_INDEX_INT8 ? 1u :
                             kind == SL_INDEX_FP16 ? 2u : 4u);
    ix->opts.dim = dim;
    ix->opts.kind = kind;
    return SL_OK;
}

sl_status sl__ix_ivf_from_snapshot(sl_index *ix, uint32_t nlist,
                                   const float *cent);

static sl_status load_snapshot(sl_index *ix, const struct mapped *m,
                               uint64_t *seq)
{
    struct sl__ix_snap_head h;
    if (m->n < sizeof(h))
        return SL_ERR_INDEX_TRUNCATED;
    memcpy(&h, m->p, sizeof(h));
    if (memcmp(h.magic, SL__IX_SNAP_MAGIC, 8) != 0)
        return SL_ERR_INDEX_FORMAT;
    if (sl__crc32c(0, &h, offsetof(struct sl__ix_snap_head, head_crc)) != h.head_crc)
        return SL_ERR_INDEX_CHECKSUM;
    if (h.version != SL__IX_VERSION && h.version != 1)
        return SL_ERR_INDEX_VERSION;
    ix->version = SL_MIN(ix->version, h.version);
    sl_status st = set_shape(ix, h.dim, h.kind);
    if (st != SL_OK)
        return st;
    uint64_t expect;
    if (h.pdim != ix->pdim || h.ncoll > SL_INDEX_COLL_MAX ||
        !body_size(h.version, h.rows, ix->stride, h.ncoll, h.nwatch, h.nlist,
                   ix->pdim, &expect) || expect != h.body_bytes)
        return SL_ERR_INDEX_FORMAT;
    if (m->n - sizeof(h) < h.body_bytes)
        return SL_ERR_INDEX_TRUNCATED;
    if (m->n - sizeof(h) > h.body_bytes)
        return SL_ERR_INDEX_FORMAT;
    const uint8_t *b = m->p + sizeof(h);
    if (sl__crc32c(0, b, h.body_bytes) != h.body_crc)
        return SL_ERR_INDEX_CHECKSUM;

    const uint8_t *p = b;
    for (uint32_t i = 0; i < h.ncoll; i++) {
        struct sl__ix_coll_rec2 r;
        memset(&r, 0, sizeof(r));
        if (h.version == 1) {
            struct sl__ix_coll_rec r1;
            memcpy(&r1, p + i * sizeof(r1), sizeof(r1));
            r.coll = r1.coll;
            r.watch = r1.watch;
            r.thr = r1.thr;
            r.flags = SL__IX_COLL_NAMED;
            memcpy(r.name, r1.name, sizeof(r.name));
        } else {
            memcpy(&r, p + i * sizeof(r), sizeof(r));
        }
        r.name[sizeof(r.name) - 1] = 0;
        r.model[sizeof(r.model) - 1] = 0;
        if ((r.flags & ~(SL__IX_COLL_NAMED | SL__IX_COLL_MODEL)) || !r.flags)
            return SL_ERR_INDEX_FORMAT;
        if (r.flags & SL__IX_COLL_NAMED) {
            st = sl__ix_apply_coll(ix, r.coll, r.name, r.watch != 0, r.thr);
            if (st != SL_OK)
                return SL_ERR_INDEX_FORMAT;
        }
        if (r.flags & SL__IX_COLL_MODEL) {
            st = sl__ix_apply_model(ix, r.coll, r.model);
            if (st != SL_OK)
                return SL_ERR_INDEX_FORMAT;
        }
    }
    p += pad64((uint64_t)h.ncoll * coll_rec_size(h.version));
    const uint8_t *wp = p;
    p += pad64((uint64_t)h.nwatch * sizeof(struct sl__ix_watch_rec));
    const uint8_t *ids = p;
    p += pad64(h.rows * 8);
    const uint8_t *colls = p;
    p += pad64(h.rows * 2);
    const uint8_t *scales = p;
    p += pad64(h.rows * 4);
    const uint8_t *vsums = p;
    p += pad64(h.rows * 4);
    const uint8_t *lists = p;
    p += pad64(h.rows * 4);
    const uint8_t *codes = p;
    p += pad64(h.rows * ix->stride);
    const float *cent = (const float *)p;

    struct sl__ix_rows *s = ix->rows;
    for (uint64_t r = 0; r < h.rows; r++) {
        st = sl__ix_rows_reserve(ix, s, r);
        if (st != SL_OK)
            return st;
        struct sl__ix_chunk *c = sl__ix_chunk_of(s, r);
        size_t off = r & (SL__IX_CHUNK_ROWS - 1);
        uint32_t l;
        memcpy(&c->ids[off], ids + r * 8, 8);
        memcpy(&c->coll[off], colls + r * 2, 2);
        memcpy(&c->scale[off], scales + r * 4, 4);
        memcpy(&c->vsum[off], vsums + r * 4, 4);
        memcpy(&l, lists + r * 4, 4);
        memcpy(c->codes + off * ix->stride, codes + r * ix->stride, ix->stride);
        if (c->coll[off] >= SL_INDEX_COLL_MAX || !isfinite(c->scale[off]) ||
            (l != SL__IX_NO_LIST && l >= h.nlist))
            return SL_ERR_INDEX_FORMAT;
        atomic_init(&c->dead[off], 0);
        atomic_init(&c->list[off], l);
        uint32_t prev;
        if (sl__ix_map_get(&ix->map, c->ids[off], &prev))
            return SL_ERR_INDEX_FORMAT;          /* duplicate id */
        st = sl__ix_map_put(&ix->map, c->ids[off], (uint32_t)r);
        if (st != SL_OK)
            return st;
        ix->coll_rows[c->coll[off]]++;
    }
    atomic_store(&s->nrows, h.rows);
    for (uint32_t i = 0; i < h.nwatch; i++) {
        struct sl__ix_watch_rec r;
        memcpy(&r, wp + i * sizeof(r), sizeof(r));
        r.reason[sizeof(r.reason) - 1] = 0;
        st = sl__ix_apply_watch(ix, r.id, r.level, r.reason);
        if (st != SL_OK)
            return st == SL_ERR_NOMEM ? st : SL_ERR_INDEX_FORMAT;
    }
    if (h.nlist) {
        st = sl__ix_ivf_from_snapshot(ix, h.nlist, cent);
        if (st != SL_OK)
            return st;
        ix->ivf_trained_rows = h.rows;
    }
    *seq = h.seq;
    return SL_OK;
}

/* Checks one record at off; returns its total size, 0 if it is not a
 * complete valid record. */
static size_t rec_check(const sl_index *ix, uint32_t version,
                        const uint8_t *p, size_t n, uint64_t last_seq,
                        struct sl__ix_rec *out)
{
    struct sl__ix_rec r;
    if (n < sizeof(r))
        return 0;
    memcpy(&r, p, sizeof(r));
    if (r.magic != SL__IX_REC_MAGIC || r.len > REC_MAX - sizeof(r) - 8)
        return 0;
    size_t padded = ((size_t)r.len + 7) & ~(size_t)7;
    if (n - sizeof(r) < padded)
        return 0;
    uint32_t crc = sl__crc32c(0, p + 4, 8);
    crc = sl__crc32c(crc, p + 16, 8);
    crc = sl__crc32c(crc, p + sizeof(r), r.len);
    if (crc != r.crc || r.seq <= last_seq)
        return 0;
    switch (r.type) {
    case SL__IX_REC_ADD:
        if (r.len != sizeof(struct sl__ix_rec_add_head) + ix->dim * 4u)
            return 0;
        break;
    case SL__IX_REC_DEL:
        if (r.len != 8)
            return 0;
        break;
    case SL__IX_REC_COLL:
        if (r.len != sizeof(struct sl__ix_coll_rec))
            return 0;
        break;
    case SL__IX_REC_WATCH:
        if (r.len != sizeof(struct sl__ix_watch_rec))
            return 0;
        break;
    case SL__IX_REC_MODEL:
        if (version < 2 || r.len != sizeof(struct sl__ix_model_rec))
            return 0;
        break;
    default:
        return 0;
    }
    *out = r;
    return sizeof(r) + padded;
}

static sl_status apply_rec(sl_index *ix, const struct sl__ix_rec *r,
                           const uint8_t *pl)
{
    switch (r->type) {
    case SL__IX_REC_ADD: {
        struct sl__ix_rec_add_head h;
        memcpy(&h, pl, sizeof(h));
        float *v = sl__malloc(ix->dim * sizeof(float));
        if (!v)
            return SL_ERR_NOMEM;
        memcpy(v, pl + sizeof(h), ix->dim * sizeof(float));
        sl_status st = sl__ix_apply_add(ix, h.id, h.coll, v);
        sl__free(v);
        return st;
    }
    case SL__IX_REC_DEL: {
        uint64_t id;
        memcpy(&id, pl, 8);
        return sl__ix_apply_remove(ix, id);
    }
    case SL__IX_REC_COLL: {
        struct sl__ix_coll_rec c;
        memcpy(&c, pl, sizeof(c));
        c.name[sizeof(c.name) - 1] = 0;
        return sl__ix_apply_coll(ix, c.coll, c.name, c.watch != 0, c.thr);
    }
    case SL__IX_REC_MODEL: {
        struct sl__ix_model_rec m;
        memcpy(&m, pl, sizeof(m));
        m.model[sizeof(m.model) - 1] = 0;
        return sl__ix_apply_model(ix, m.coll, m.model);
    }
    default: {
        struct sl__ix_watch_rec w;
        memcpy(&w, pl, sizeof(w));
        w.reason[sizeof(w.reason) - 1] = 0;
        return sl__ix_apply_watch(ix, w.id, w.level, w.reason);
    }
    }
}

/* After a bad record at off: counts the valid records that follow it
 * (records are 8-byte aligned, so every aligned offset is tried). 0 means
 * a torn tail: what a crash mid-append leaves. */
static uint64_t count_after(const sl_index *ix, uint32_t version,
                            const struct mapped *log, size_t off,
                            uint64_t last)
{
    uint64_t n = 0;
    for (size_t o = off + 8; o + sizeof(struct sl__ix_rec) <= log->n;) {
        struct sl__ix_rec r;
        size_t len = rec_check(ix, version, log->p + o, log->n - o, last, &r);
        if (len) {
            n++;
            last = r.seq;
            o += len;
        } else {
            o += 8;
        }
    }
    return n;
}

/* Checks the log head; sets *version. */
static sl_status log_head_check(const struct mapped *log,
                                struct sl__ix_log_head *h)
{
    if (log->n < sizeof(*h))
        return SL_ERR_INDEX_TRUNCATED;
    memcpy(h, log->p, sizeof(*h));
    if (memcmp(h->magic, SL__IX_LOG_MAGIC, 8) != 0)
        return SL_ERR_INDEX_FORMAT;
    if (sl__crc32c(0, h, offsetof(struct sl__ix_log_head, head_crc)) != h->head_crc)
        return SL_ERR_INDEX_CHECKSUM;
    if (h->version != SL__IX_VERSION && h->version != 1)
        return SL_ERR_INDEX_VERSION;
    return SL_OK;
}

/* Loads dir into ix. readonly: report damage, change nothing. */
static sl_status load(sl_index *ix, bool readonly, uint64_t *snap_rows)
{
    char sp[4096], lp[4096];
    struct mapped snap = { 0 }, log = { 0 };
    bool sabsent, labsent;
    uint64_t snap_seq = 0;
    sl_status st;
    int rfd = -1;
    path_of(sp, sizeof(sp), ix->dir, "snapshot");
    path_of(lp, sizeof(lp), ix->dir, "log");
    memset(&ix->chk, 0, sizeof(ix->chk));
    ix->version = SL__IX_VERSION;

    if (readonly) {
        /* a consistent pair of files: the writer replaces or cuts them
         * only under the exclusive byte-range lock */
        char kp[4096];
        path_of(kp, sizeof(kp), ix->dir, "lock");
        rfd = open(kp, O_RDONLY | O_CLOEXEC);
        if (rfd >= 0 && range_lock(rfd, F_RDLCK) != 0) {
            close(rfd);
            rfd = -1;
        }
    }
    st = map_file(sp, &snap, &sabsent);
    if (st != SL_OK && !sabsent)
        goto out;
    bool have_snap = !sabsent;
    if (have_snap) {
        st = load_snapshot(ix, &snap, &snap_seq);
        unmap(&snap);
        if (st != SL_OK) {
            sl_log_err("index: %s: %s", sp, sl_status_str(st));
            goto out;
        }
        *snap_rows = atomic_load(&ix->rows->nrows);
    }
    st = map_file(lp, &log, &labsent);
    if (st != SL_OK) {
        if (labsent && !have_snap)
            st = SL_ERR_NOT_FOUND;
        else if (labsent)
            st = SL_ERR_INDEX_FORMAT;
        goto out;
    }
    struct sl__ix_log_head h;
    st = log_head_check(&log, &h);
    if (st != SL_OK) {
        sl_log_err("index: %s: %s", lp, sl_status_str(st));
        goto out;
    }
    ix->version = SL_MIN(ix->version, h.version);
    if (have_snap ? (h.dim != ix->dim || h.kind != ix->kind || h.base_seq > snap_seq)
                  : h.base_seq != 0) {
        sl_log_err("index: %s does not continue %s (base seq %llu, snapshot "
                   "seq %llu)", lp, sp, (unsigned long long)h.base_seq,
                   (unsigned long long)snap_seq);
        st = SL_ERR_INDEX_FORMAT;
        goto out;
    }
    if (!have_snap) {
        st = set_shape(ix, h.dim, h.kind);
        if (st != SL_OK)
            goto out;
    }
    /* replay */
    size_t off = sizeof(h);
    uint64_t last = h.base_seq;
    while (off < log.n) {
        struct sl__ix_rec r;
        size_t n = rec_check(ix, h.version, log.p + off, log.n - off, last, &r);
        if (!n)
            break;
        if (r.seq > snap_seq) {
            st = apply_rec(ix, &r, log.p + off + sizeof(r));
            if (st == SL_ERR_NOMEM)
                goto out;
            if (st != SL_OK)
                sl_log_warn("index: log record seq %llu not applied (%s)",
                            (unsigned long long)r.seq, sl_status_name(st));
        }
        last = r.seq;
        ix->log_records++;
        off += n;
    }
    ix->seq = SL_MAX(last, snap_seq);
    ix->log_cut_bytes = log.n - off;
    ix->chk.version = ix->version;
    ix->chk.snapshot_rows = *snap_rows;
    ix->chk.records = ix->log_records;
    ix->chk.bad_bytes = log.n - off;
    st = SL_OK;
    if (off < log.n) {
        uint64_t after = count_after(ix, h.version, &log, off, last);
        ix->chk.damaged_record = ix->log_records + 1;
        ix->chk.damaged_offset = off;
        ix->chk.salvaged = after;
        ix->chk.torn_tail = after == 0;
        if (after) {
            /* not a crash: something changed bytes in the middle. Cutting
             * here would drop the valid records after it: refuse to write
             * until an explicit repair */
            sl_log(readonly ? SL_LOG_WARN : SL_LOG_ERROR,
                   "index: %s: record %llu (byte %zu) is damaged and %llu "
                   "valid record(s) follow it; %s -- run `shualian index "
                   "verify --repair %s` (it keeps a copy of the log)",
                   lp, (unsigned long long)ix->chk.damaged_record, off,
                   (unsigned long long)after,
                   readonly ? "read-only: serving the records before it"
                            : "not opened for writing", ix->dir);
            if (!readonly) {
                st = SL_ERR_INDEX_DAMAGED;
                goto out;
            }
        } else {
            sl_log_warn("index: %s: torn tail of %zu bytes at offset %zu %s",
                        lp, log.n - off, off,
                        readonly ? "(read-only: left as is)" : "cut");
            if (!readonly) {
                state_begin(ix);
                int fd = open(lp, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || ftruncate(fd, (off_t)off) != 0 || fsync(fd) != 0)
                    st = SL_ERR_IO;
                if (fd >= 0)
                    close(fd);
                state_end(ix);
                if (st != SL_OK)
                    goto out;
            }
        }
    }
    if (!readonly)
        st = log_open_fd(ix, off);
out:
    unmap(&snap);
    unmap(&log);
    if (rfd >= 0)
        close(rfd);          /* releases the shared range lock */
    return st;
}

/* true if dir holds an index (a log or a snapshot). */
static bool index_present(const char *dir)
{
    char p[4096];
    struct stat sb;
    path_of(p, sizeof(p), dir, "log");
    if (stat(p, &sb) == 0)
        return true;
    path_of(p, sizeof(p), dir, "snapshot");
    return stat(p, &sb) == 0;
}

sl_status sl__ix_persist_load(sl_index *ix)
{
    uint64_t rows = 0;
    if (!index_present(ix->dir))
        return SL_ERR_NOT_FOUND;
    if (!ix->read_only) {
        sl_status st = lock_writer(ix);
        if (st != SL_OK)
            return st;
    }
    return load(ix, ix->read_only, &rows);
}

/* A memory index whose dir is set, for check and repair. */
static sl_status scratch_index(const char *dir, sl_index **out)
{
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    sl_status st = sl_index_create(out, NULL, &o);
    if (st != SL_OK)
        return st;
    (*out)->dir = sl__strdup(dir);
    if (!(*out)->dir) {
        sl_index_free(*out);
        *out = NULL;
        return SL_ERR_NOMEM;
    }
    (*out)->read_only = true;
    return SL_OK;
}

sl_status sl_index_check(const char *dir, struct sl_index_check *out)
{
    uint64_t rows = 0;
    struct sl_index_check c;
    memset(&c, 0, sizeof(c));
    if (out)
        *out = c;
    if (!dir)
        return SL_ERR_INVALID;
    if (!index_present(dir))
        return SL_ERR_NOT_FOUND;
    sl_index *ix;
    sl_status st = scratch_index(dir, &ix);
    if (st != SL_OK)
        return st;
    st = load(ix, true, &rows);
    c = ix->chk;
    c.snapshot_rows = rows;
    c.records = ix->log_records;
    if (st == SL_OK && c.damaged_record)
        st = c.torn_tail ? SL_ERR_INDEX_CHECKSUM : SL_ERR_INDEX_DAMAGED;
    if (out)
        *out = c;
    sl_index_free(ix);
    return st;
}

sl_status sl_index_verify(const char *dir, uint64_t *snapshot_rows,
                          uint64_t *records, uint64_t *bad_bytes)
{
    struct sl_index_check c;
    sl_status st = sl_index_check(dir, &c);
    if (snapshot_rows)
        *snapshot_rows = c.snapshot_rows;
    if (records)
        *records = c.records;
    if (bad_bytes)
        *bad_bytes = c.bad_bytes;
    return st;
}

sl_status sl_index_repair(const char *dir, const struct sl_index_opts *o,
                          struct sl_index_check *out, char *backup, size_t cap)
{
    char lp[4096], tp[4096], bp[4096];
    struct mapped log = { 0 };
    bool absent;
    uint8_t *buf = NULL;
    if (backup && cap)
        backup[0] = 0;
    sl_status st = sl_index_check(dir, out);
    if (st == SL_OK || (st != SL_ERR_INDEX_DAMAGED && st != SL_ERR_INDEX_CHECKSUM))
        return st;                 /* intact, or not something we repair */
    sl_index *ix;
    st = scratch_index(dir, &ix);
    if (st != SL_OK)
        return st;
    ix->read_only = false;
    if (o)
        ix->opts.lock_wait_ms = o->lock_wait_ms;
    st = lock_writer(ix);
    if (st != SL_OK)
        goto out;
    path_of(lp, sizeof(lp), dir, "log");
    path_of(tp, sizeof(tp), dir, "log.tmp");
    snprintf(bp, sizeof(bp), "%s/log.damaged-%lld", dir,
             (long long)sl_time_wall_ms());
    st = map_file(lp, &log, &absent);
    if (st != SL_OK)
        goto out;
    struct sl__ix_log_head h;
    st = log_head_check(&log, &h);
    if (st == SL_OK)
        st = set_shape(ix, h.dim, h.kind);
    if (st != SL_OK)
        goto out;                  /* the head itself: nothing to keep */
    buf = sl__malloc(log.n);
    if (!buf) {
        st = SL_ERR_NOMEM;
        goto out;
    }
    /* keep every valid record in order, drop the bytes between them */
    size_t n = sizeof(h);
    uint64_t last = h.base_seq, kept = 0, dropped = 0;
    memcpy(buf, log.p, sizeof(h));
    for (size_t off = sizeof(h); off < log.n;) {
        struct sl__ix_rec r;
        size_t len = rec_check(ix, h.version, log.p + off, log.n - off, last, &r);
        if (len) {
            memcpy(buf + n, log.p + off, len);
            n += len;
            last = r.seq;
            kept++;
            off += len;
        } else {
            dropped += SL_MIN((size_t)8, log.n - off);
            off += 8;
        }
    }
    int fd = open(tp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        st = SL_ERR_IO;
        goto out;
    }
    st = write_all(fd, buf, n);
    if (st == SL_OK && fsync(fd) != 0)
        st = SL_ERR_IO;
    close(fd);
    if (st != SL_OK) {
        unlink(tp);
        goto out;
    }
    /* the damaged log stays under the backup name (a second link to the
     * same file), then the repaired one replaces it */
    state_begin(ix);
    if (link(lp, bp) != 0 || rename(tp, lp) != 0)
        st = SL_ERR_IO;
    state_end(ix);
    if (st == SL_OK)
        st = fsync_dir(dir);
    if (st != SL_OK) {
        sl_log_err("index: repair %s: %s", dir, strerror(errno));
        unlink(tp);
        goto out;
    }
    sl_log_warn("index: repaired %s: kept %llu records, dropped %llu bytes; "
                "the old log is %s", lp, (unsigned long long)kept,
                (unsigned long long)dropped, bp);
    if (backup && cap)
        snprintf(backup, cap, "%s", bp);
out:
    unmap(&log);
    sl__free(buf);
    sl_index_free(ix);
    return st;
}
