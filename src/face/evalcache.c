/*
 * evalcache.c -- the one reader and writer of the evaluation's embedding
 * cache (format in eval_int.h): `shualian-dev eval --cache` writes it;
 * eval, `id fusion-calib`, `hall serve` and the hall unit tests read it.
 *
 * The reader takes the whole file into memory, checks every length against
 * what is left before it copies anything, and fails with a coded error on a
 * truncated or foreign file instead of using the records it got so far.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "face/eval_int.h"

#define EC_MAGIC    "SLEC"
#define EC_HEAD     24u                  /* magic, version, hash, count     */
#define EC_FIXED    (2u + 8u + 8u + 1u)  /* a record without path and floats */
#define EC_DIM_MAX  4096u

__attribute__((format(printf, 4, 5)))
static sl_status ec_fail(sl_status st, char *err, size_t cap, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return st;
}

void sl__evcache_free(sl__evcache *c)
{
    if (!c)
        return;
    sl__free(c->v);
    sl__free(c->paths);
    sl__free(c->embs);
    memset(c, 0, sizeof *c);
}

sl_status sl__evcache_parse(sl__evcache *out, const uint8_t *buf, size_t len,
                            size_t dim, char *err, size_t errcap)
{
    if (!out)
        return SL_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (err && errcap)
        err[0] = 0;
    if (!buf || dim == 0 || dim > EC_DIM_MAX)
        return ec_fail(SL_ERR_INVALID, err, errcap, "embedding size %zu: want 1..%u", dim,
                       EC_DIM_MAX);
    if (len < 4 || memcmp(buf, EC_MAGIC, 4) != 0)
        return ec_fail(SL_ERR_CORRUPT, err, errcap, "not an eval cache (no \"SLEC\" magic)");
    if (len < EC_HEAD)
        return ec_fail(SL_ERR_CORRUPT, err, errcap, "truncated header (%zu of %u bytes)", len,
                       EC_HEAD);
    uint32_t ver;
    uint64_t cnt;
    memcpy(&ver, buf + 4, 4);
    memcpy(&out->hash, buf + 8, 8);
    memcpy(&cnt, buf + 16, 8);
    if (ver != SL__EVCACHE_VERSION)
        return ec_fail(SL_ERR_UNSUPPORTED, err, errcap, "cache version %u: this build reads %u",
                       ver, SL__EVCACHE_VERSION);
    const size_t rec = EC_FIXED + dim * sizeof(float);   /* + the path        */
    const size_t body = len - EC_HEAD;
    if (cnt > body / (rec + 1))
        return ec_fail(SL_ERR_CORRUPT, err, errcap,
                       "%llu records of %zu floats cannot fit in %zu bytes (truncated, or "
                       "another embedding size)", (unsigned long long)cnt, dim, len);
    size_t n = (size_t)cnt;
    out->dim = dim;
    out->v = sl__calloc(n ? n : 1, sizeof *out->v);
    out->embs = sl__malloc((n ? n : 1) * dim * sizeof(float));
    out->paths = sl__malloc(body - n * rec + n + 1);   /* path bytes + NULs */
    if (!out->v || !out->embs || !out->paths) {
        sl__evcache_free(out);
        return ec_fail(SL_ERR_NOMEM, err, errcap, "no memory for %zu records", n);
    }
    size_t off = EC_HEAD, poff = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t pl;
        if (len - off < 2)
            goto truncated;
        memcpy(&pl, buf + off, 2);
        size_t avail = len - off - 2;
        if (pl == 0 || pl > SL__EVCACHE_PATH_MAX ||
            memchr(buf + off + 2, 0, avail < pl ? avail : pl)) {
            sl__evcache_free(out);
            return ec_fail(SL_ERR_CORRUPT, err, errcap, "record %zu at byte %zu: bad path length "
                           "%u or a NUL in the path", i, off, pl);
        }
        /* this record and the least the ones after it take must fit: the
         * paths then fit their block (sum of lengths <= body - n * rec) */
        if (len - off < (n - i) * rec + pl)
            goto truncated;
        sl__evcache_entry *e = &out->v[i];
        char *p = out->paths + poff;
        memcpy(p, buf + off + 2, pl);
        p[pl] = 0;
        poff += (size_t)pl + 1;
        e->path = p;
        off += 2u + pl;
        memcpy(&e->size, buf + off, 8);
        memcpy(&e->mtime_ns, buf + off + 8, 8);
        e->state = buf[off + 16];
        off += 17;
        if (e->state != SL__EVCACHE_FACE && e->state != SL__EVCACHE_NOFACE) {
            sl__evcache_free(out);
            return ec_fail(SL_ERR_CORRUPT, err, errcap, "record %zu: state %u (want 1 or 2)", i,
                           buf[off - 1]);
        }
        float *emb = out->embs + i * dim;
        memcpy(emb, buf + off, dim * sizeof(float));
        e->emb = emb;
        off += dim * sizeof(float);
    }
    if (off != len) {
        sl__evcache_free(out);
        return ec_fail(SL_ERR_CORRUPT, err, errcap, "%zu bytes after the last of %zu records "
                       "(another embedding size than %zu?)", len - off, n, dim);
    }
    out->n = n;
    return SL_OK;
truncated:
    sl__evcache_free(out);
    return ec_fail(SL_ERR_CORRUPT, err, errcap, "truncated at byte %zu of %zu (%zu records "
                   "announced)", off, len, n);
}

sl_status sl__evcache_read(sl__evcache *out, const char *path, size_t dim,
                           char *err, size_t errcap)
{
    if (!out)
        return SL_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (!path)
        return ec_fail(SL_ERR_INVALID, err, errcap, "no cache file named");
    /* a regular file or nothing: O_NONBLOCK so a FIFO cannot hang us */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return ec_fail(errno == ENOENT ? SL_ERR_NOT_FOUND : SL_ERR_IO, err, errcap,
                       "cannot open: %s", strerror(errno));
    struct stat sb;
    sl_status st = SL_OK;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (fstat(fd, &sb) != 0) {
        st = ec_fail(SL_ERR_IO, err, errcap, "cannot stat: %s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        st = ec_fail(SL_ERR_INVALID, err, errcap, "not a regular file");
        goto out;
    }
    if ((uint64_t)sb.st_size > SL__EVCACHE_MAX_BYTES) {
        st = ec_fail(SL_ERR_TOO_LARGE, err, errcap, "%lld bytes: over the %zu-byte limit",
                     (long long)sb.st_size, SL__EVCACHE_MAX_BYTES);
        goto out;
    }
    size_t cap = (size_t)sb.st_size;
    buf = sl__malloc(cap ? cap : 1);
    if (!buf) {
        st = ec_fail(SL_ERR_NOMEM, err, errcap, "no memory for %zu bytes", cap);
        goto out;
    }
    while (len < cap) {
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st = ec_fail(SL_ERR_IO, err, errcap, "cannot read: %s", strerror(errno));
            goto out;
        }
        if (r == 0)
            break;                       /* shrank meanwhile: parse what is there */
        len += (size_t)r;
    }
    st = sl__evcache_parse(out, buf, len, dim, err, errcap);
out:
    sl__free(buf);
    close(fd);
    return st;
}

sl_status sl__evcache_write(const char *path, uint64_t hash,
                            const sl__evcache_entry *v, size_t n, size_t dim)
{
    if (!path || (!v && n) || dim == 0 || dim > EC_DIM_MAX)
        return SL_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        size_t pl = v[i].path ? strlen(v[i].path) : 0;
        if (pl == 0 || pl > SL__EVCACHE_PATH_MAX || !v[i].emb ||
            (v[i].state != SL__EVCACHE_FACE && v[i].state != SL__EVCACHE_NOFACE))
            return SL_ERR_INVALID;
    }
    char tmp[4096 + 8];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return SL_ERR_INVALID;
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return SL_ERR_IO;
    uint32_t ver = SL__EVCACHE_VERSION;
    uint64_t cnt = n;
    bool ok = fwrite(EC_MAGIC, 4, 1, f) == 1 && fwrite(&ver, 4, 1, f) == 1 &&
              fwrite(&hash, 8, 1, f) == 1 && fwrite(&cnt, 8, 1, f) == 1;
    for (size_t i = 0; ok && i < n; i++) {
        const sl__evcache_entry *e = &v[i];
        uint16_t pl = (uint16_t)strlen(e->path);
        ok = fwrite(&pl, 2, 1, f) == 1 && fwrite(e->path, 1, pl, f) == pl &&
             fwrite(&e->size, 8, 1, f) == 1 && fwrite(&e->mtime_ns, 8, 1, f) == 1 &&
             fwrite(&e->state, 1, 1, f) == 1 &&
             fwrite(e->emb, sizeof(float), dim, f) == dim;
    }
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return SL_ERR_IO;
    }
    return SL_OK;
}

size_t sl__evcache_identity(const char *path, const char **name)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash || slash == path) {
        *name = path;
        return 0;
    }
    const char *dir = slash;
    while (dir > path && dir[-1] != '/')
        dir--;
    *name = dir;
    return (size_t)(slash - dir);
}
