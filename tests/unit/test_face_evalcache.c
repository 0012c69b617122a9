/*
 * test_face_evalcache.c -- the eval cache's reader and writer
 * (src/face/evalcache.c): a written file reads back exactly and has the
 * documented layout; every truncation, a wrong magic or version, another
 * embedding size, a bad state, an impossible count, a FIFO and an absent
 * file are coded errors, never a partial result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "face/eval_int.h"
#include "test.h"

#define D 512

struct fixture {
    char dir[32], path[64];
    float emb[3][D];
    sl__evcache_entry v[3];
};

static void fx_make(struct fixture *f)
{
    static const char *const paths[3] = { "/faces/dev/Ann_Lee/1.jpg", "/faces/dev/Ann_Lee/2.jpg",
                                          "/faces/dev/Bo/1.jpg" };
    unsigned long long rs = 42;
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < D; j++)
            f->emb[i][j] = i == 2 ? 0.0f : sl_t_randf(&rs);
        f->v[i] = (sl__evcache_entry){ paths[i], 1000 + (int64_t)i, 7000000000 + (int64_t)i,
                                       i == 2 ? SL__EVCACHE_NOFACE : SL__EVCACHE_FACE,
                                       f->emb[i] };
    }
    strcpy(f->dir, "/tmp/sl-evc-XXXXXX");
    if (!mkdtemp(f->dir))
        f->dir[0] = 0;
    snprintf(f->path, sizeof f->path, "%s/c.cache", f->dir);
}

static void fx_done(struct fixture *f)
{
    remove(f->path);
    rmdir(f->dir);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    uint8_t *b = NULL;
    *len = 0;
    if (sl_file_read(path, 1u << 24, &b, len) != SL_OK)
        return NULL;
    return b;
}

/* The fixture's three entries written with dim floats and read back as
 * bytes (*len); NULL when that fails. */
static uint8_t *fx_written(struct fixture *f, size_t dim, size_t *len)
{
    fx_make(f);
    *len = 0;
    if (!f->dir[0] || sl__evcache_write(f->path, 9, f->v, 3, dim) != SL_OK)
        return NULL;
    return slurp(f->path, len);
}

SL_TEST(face, evalcache_roundtrip)
{
    struct fixture f;
    fx_make(&f);
    SL_ASSERT(f.dir[0]);
    SL_CHECK_EQ(t, sl__evcache_write(f.path, 0x1122334455667788ull, f.v, 3, D), SL_OK);
    size_t len;
    uint8_t *b = slurp(f.path, &len);
    SL_ASSERT(b);
    /* the layout the other readers (bench/hall_fusion.py) rely on */
    size_t want = 24;
    for (size_t i = 0; i < 3; i++)
        want += 2 + strlen(f.v[i].path) + 17 + D * 4;
    SL_CHECK_EQ(t, len, want);
    uint32_t ver;
    uint64_t cnt;
    uint16_t pl;
    memcpy(&ver, b + 4, 4);
    memcpy(&cnt, b + 16, 8);
    memcpy(&pl, b + 24, 2);
    SL_CHECK(t, memcmp(b, "SLEC", 4) == 0);
    SL_CHECK_EQ(t, ver, 1);
    SL_CHECK_EQ(t, cnt, 3);
    SL_CHECK_EQ(t, pl, strlen(f.v[0].path));
    SL_CHECK_EQ(t, b[24 + 2 + pl + 16], SL__EVCACHE_FACE);
    sl_free(b);

    sl__evcache c;
    char err[256];
    SL_CHECK_EQ(t, sl__evcache_read(&c, f.path, D, err, sizeof err), SL_OK);
    SL_CHECK_EQ(t, c.n, 3);
    SL_CHECK_EQ(t, c.dim, D);
    SL_CHECK(t, c.hash == 0x1122334455667788ull);
    for (size_t i = 0; i < c.n && i < 3; i++) {
        SL_CHECK(t, strcmp(c.v[i].path, f.v[i].path) == 0);
        SL_CHECK_EQ(t, c.v[i].size, f.v[i].size);
        SL_CHECK_EQ(t, c.v[i].mtime_ns, f.v[i].mtime_ns);
        SL_CHECK_EQ(t, c.v[i].state, f.v[i].state);
        SL_CHECK(t, memcmp(c.v[i].emb, f.emb[i], sizeof f.emb[i]) == 0);
    }
    const char *name;
    size_t nl = sl__evcache_identity(c.v[0].path, &name);
    SL_CHECK(t, nl == 7 && memcmp(name, "Ann_Lee", 7) == 0);
    nl = sl__evcache_identity("Bo/3.jpg", &name);
    SL_CHECK(t, nl == 2 && memcmp(name, "Bo", 2) == 0);
    SL_CHECK_EQ(t, sl__evcache_identity("/3.jpg", &name), 0);
    SL_CHECK_EQ(t, sl__evcache_identity("3.jpg", &name), 0);
    sl__evcache_free(&c);
    sl__evcache_free(&c);                       /* twice is fine */

    /* no entries: a valid empty cache */
    SL_CHECK_EQ(t, sl__evcache_write(f.path, 1, NULL, 0, D), SL_OK);
    SL_CHECK_EQ(t, sl__evcache_read(&c, f.path, D, err, sizeof err), SL_OK);
    SL_CHECK_EQ(t, c.n, 0);
    sl__evcache_free(&c);
    /* the writer refuses what the format cannot hold */
    sl__evcache_entry bad = f.v[0];
    bad.state = 0;
    SL_CHECK_EQ(t, sl__evcache_write(f.path, 1, &bad, 1, D), SL_ERR_INVALID);
    bad = f.v[0];
    bad.path = "";
    SL_CHECK_EQ(t, sl__evcache_write(f.path, 1, &bad, 1, D), SL_ERR_INVALID);
    fx_done(&f);
}

SL_TEST(face, evalcache_truncated)
{
    struct fixture f;
    size_t len;
    uint8_t *b = fx_written(&f, D, &len);
    SL_ASSERT(b);
    sl__evcache c;
    char err[256];
    size_t bad = 0;
    for (size_t cut = 0; cut < len; cut++) {
        sl_status st = sl__evcache_parse(&c, b, cut, D, err, sizeof err);
        bad += st != SL_ERR_CORRUPT || c.n != 0 || c.v != NULL;
        sl__evcache_free(&c);
    }
    SL_CHECK_EQ(t, bad, 0);
    /* the file cut short: the same through the file reader, with a reason */
    SL_ASSERT(truncate(f.path, (off_t)(len - 1)) == 0);
    SL_CHECK_EQ(t, sl__evcache_read(&c, f.path, D, err, sizeof err), SL_ERR_CORRUPT);
    SL_CHECKF(t, strstr(err, "truncated") != NULL, "err: %s", err);
    /* one byte too many */
    uint8_t *more = sl__malloc(len + 1);
    SL_ASSERT(more);
    memcpy(more, b, len);
    more[len] = 0;
    SL_CHECK_EQ(t, sl__evcache_parse(&c, more, len + 1, D, err, sizeof err), SL_ERR_CORRUPT);
    sl__free(more);
    sl_free(b);
    fx_done(&f);
}

SL_TEST(face, evalcache_wrong_magic_version_state)
{
    struct fixture f;
    size_t len;
    uint8_t *b = fx_written(&f, D, &len);
    SL_ASSERT(b);
    sl__evcache c;
    char err[256];
    SL_CHECK_EQ(t, sl__evcache_parse(&c, b, len, D, err, sizeof err), SL_OK);
    sl__evcache_free(&c);
    b[0] = 'X';                                             /* magic */
    SL_CHECK_EQ(t, sl__evcache_parse(&c, b, len, D, err, sizeof err), SL_ERR_CORRUPT);
    SL_CHECKF(t, strstr(err, "magic") != NULL, "err: %s", err);
    b[0] = 'S';
    b[4] = 2;                                               /* version */
    SL_CHECK_EQ(t, sl__evcache_parse(&c, b, len, D, err, sizeof err), SL_ERR_UNSUPPORTED);
    b[4] = 1;
    uint16_t pl;
    memcpy(&pl, b + 24, 2);
    b[24 + 2 + pl + 16] = 3;                                /* state */
    SL_CHECK_EQ(t, sl__evcache_parse(&c, b, len, D, err, sizeof err), SL_ERR_CORRUPT);
    b[24 + 2 + pl + 16] = 1;
    b[24] = 0, b[25] = 0;                                   /* path length 0 */
    SL_CHECK_EQ(t, sl__evcache_parse(&c, b, len, D, err, sizeof err), SL_ERR_CORRUPT);
    memcpy(b + 24, &pl, 2);
    uint64_t huge = 1ull << 40;                             /* count */
    memcpy(b + 16, &huge, 8);
    SL_CHECK_EQ(t, sl__evcache_parse(&c, b, len, D, err, sizeof err), SL_ERR_CORRUPT);
    SL_CHECK(t, c.v == NULL);
    SL_CHECK_EQ(t, sl__evcache_parse(&c, b, 3, D, err, sizeof err), SL_ERR_CORRUPT);
    SL_CHECK_EQ(t, sl__evcache_parse(&c, b, len, 0, err, sizeof err), SL_ERR_INVALID);
    sl_free(b);
    /* not there; not a regular file (a FIFO is not waited on) */
    fx_done(&f);
    SL_CHECK_EQ(t, sl__evcache_read(&c, f.path, D, err, sizeof err), SL_ERR_NOT_FOUND);
    SL_ASSERT(mkdtemp(strcpy(f.dir, "/tmp/sl-evc-XXXXXX")) != NULL);
    snprintf(f.path, sizeof f.path, "%s/fifo", f.dir);
    SL_ASSERT(mkfifo(f.path, 0600) == 0);
    SL_CHECK_EQ(t, sl__evcache_read(&c, f.path, D, err, sizeof err), SL_ERR_INVALID);
    fx_done(&f);
}

SL_TEST(face, evalcache_wrong_dims)
{
    struct fixture f;
    fx_make(&f);
    SL_ASSERT(f.dir[0]);
    sl__evcache c;
    char err[256];
    /* written with 256 floats, read as 512 and the other way round */
    SL_ASSERT(sl__evcache_write(f.path, 9, f.v, 3, 256) == SL_OK);
    SL_CHECK_EQ(t, sl__evcache_read(&c, f.path, D, err, sizeof err), SL_ERR_CORRUPT);
    SL_CHECK_EQ(t, sl__evcache_read(&c, f.path, 256, err, sizeof err), SL_OK);
    SL_CHECK_EQ(t, c.n, 3);
    sl__evcache_free(&c);
    SL_ASSERT(sl__evcache_write(f.path, 9, f.v, 3, D) == SL_OK);
    static const size_t dims[] = { 128, 256, 511, 513, 1024 };
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        sl_status st = sl__evcache_read(&c, f.path, dims[i], err, sizeof err);
        SL_CHECKF(t, st == SL_ERR_CORRUPT, "dim %zu: %s (%s)", dims[i], sl_status_name(st), err);
        sl__evcache_free(&c);
    }
    fx_done(&f);
}
