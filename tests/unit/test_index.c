/*
 * test_index.c -- unit and differential tests for index/: SIMD kernels vs
 * the plain-C references, search vs an fp32 brute force (all kinds,
 * filters, thresholds, tombstones, batches, threads), IVF recall, the id
 * map, persistence round trips, corrupt and truncated files, watch hooks,
 * and readers + writers at once (run under TSan by tests/suites/65).
 */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "index/index_int.h"
#include "index/index_format.h"
#include "shualian/index.h"
#include "test.h"

/* ============================ Helpers ==================================== */

static void rand_unit(unsigned long long *rs, float *v, size_t dim)
{
    double ss = 0;
    for (size_t i = 0; i < dim; i++) {
        /* sum of uniforms ~ gaussian enough for direction tests */
        v[i] = sl_t_randf(rs) + sl_t_randf(rs) + sl_t_randf(rs);
        ss += (double)v[i] * v[i];
    }
    for (size_t i = 0; i < dim; i++)
        v[i] = (float)(v[i] / sqrt(ss));
}

/* A noisy copy of c with cosine about cosv. */
static void noisy(unsigned long long *rs, const float *c, float *out,
                  size_t dim, float cosv)
{
    float *n = malloc(dim * sizeof(float));
    rand_unit(rs, n, dim);
    double dot = 0;
    for (size_t i = 0; i < dim; i++)
        dot += (double)n[i] * c[i];
    double ss = 0;
    for (size_t i = 0; i < dim; i++) {
        n[i] -= (float)(dot * c[i]);
        ss += (double)n[i] * n[i];
    }
    float s = sqrtf(1 - cosv * cosv);
    for (size_t i = 0; i < dim; i++)
        out[i] = cosv * c[i] + s * (float)(n[i] / sqrt(ss));
    free(n);
}

static float dotf(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return (float)s;
}

static const char *tmpdir(char *buf, size_t cap, const char *tag)
{
    snprintf(buf, cap, "/tmp/sl-index-test-%d-%s", (int)getpid(), tag);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", buf);
    if (system(cmd) != 0)
        return NULL;
    return buf;
}

static void rmdir_all(const char *d)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    if (system(cmd) != 0)
        return;
}

/* ============================ Kernels ==================================== */

static void check_kernels(struct sl_t *t, const struct sl__ix_kernels *k)
{
    const struct sl__ix_kernels *r = sl__ix_kernels_ref();
    unsigned long long rs = 42;
    size_t pdims[] = { 64, 512, 576 };
    for (size_t pi = 0; pi < SL_ARRAY_LEN(pdims); pi++) {
        size_t pd = pdims[pi], n = 37, nq = 7;
        int8_t *c8 = sl__aligned_alloc(64, n * pd);
        uint16_t *c16 = sl__aligned_alloc(64, n * pd * 2);
        float *c32 = sl__aligned_alloc(64, n * pd * 4);
        float *qf = sl__aligned_alloc(64, nq * pd * 4);
        int8_t *qi = sl__aligned_alloc(64, nq * pd);
        uint8_t *qu = sl__aligned_alloc(64, nq * pd);
        float qs[7], scale[37], o1[37 * 7], o2[37 * 7];
        int32_t vsum[37];
        for (size_t i = 0; i < n; i++) {
            rand_unit(&rs, c32 + i * pd, pd);
            scale[i] = sl__ix_quantize(c32 + i * pd, pd, c8 + i * pd, &vsum[i]);
            for (size_t d = 0; d < pd; d++)
                c16[i * pd + d] = sl__f32_to_f16(c32[i * pd + d]);
        }
        /* extremes: every code at +-127 */
        for (size_t d = 0; d < pd; d++)
            c8[d] = (int8_t)(d & 1 ? 127 : -127);
        vsum[0] = 0;
        for (size_t j = 0; j < nq; j++) {
            int32_t s;
            rand_unit(&rs, qf + j * pd, pd);
            qs[j] = sl__ix_quantize(qf + j * pd, pd, qi + j * pd, &s);
            for (size_t d = 0; d < pd; d++)
                qu[j * pd + d] = (uint8_t)(qi[j * pd + d] + 128);
        }
        for (size_t d = 0; d < pd; d++) {
            qi[d] = (int8_t)(d & 2 ? -127 : 127);
            qu[d] = (uint8_t)(qi[d] + 128);
        }
        for (size_t nn = 1; nn <= n; nn += 6) {
            r->i8(c8, pd, nn, qi, qu, vsum, scale, qs[0], o1);
            k->i8(c8, pd, nn, qi, qu, vsum, scale, qs[0], o2);
            for (size_t i = 0; i < nn; i++)
                SL_CHECKF(t, fabsf(o1[i] - o2[i]) <= 1e-5f * (1 + fabsf(o1[i])),
                          "%s i8 pd %zu row %zu: %g vs %g", k->name, pd, i, o1[i], o2[i]);
            r->f16(c16, pd, nn, qf, o1);
            k->f16(c16, pd, nn, qf, o2);
            for (size_t i = 0; i < nn; i++)
                SL_CHECKF(t, fabsf(o1[i] - o2[i]) <= 1e-4f, "%s f16 row %zu", k->name, i);
            r->f32(c32, pd, nn, qf, o1);
            k->f32(c32, pd, nn, qf, o2);
            for (size_t i = 0; i < nn; i++)
                SL_CHECKF(t, fabsf(o1[i] - o2[i]) <= 1e-4f, "%s f32 row %zu", k->name, i);
            for (size_t q = 1; q <= nq; q += 3) {
                r->i8_batch(c8, pd, nn, qi, qu, q, vsum, scale, qs, o1);
                k->i8_batch(c8, pd, nn, qi, qu, q, vsum, scale, qs, o2);
                for (size_t i = 0; i < nn * q; i++)
                    SL_CHECKF(t, fabsf(o1[i] - o2[i]) <= 1e-5f * (1 + fabsf(o1[i])),
                              "%s i8 batch %zu", k->name, i);
                r->f16_batch(c16, pd, nn, qf, q, o1);
                k->f16_batch(c16, pd, nn, qf, q, o2);
                for (size_t i = 0; i < nn * q; i++)
                    SL_CHECKF(t, fabsf(o1[i] - o2[i]) <= 1e-4f, "%s f16 batch", k->name);
                r->f32_batch(c32, pd, nn, qf, q, o1);
                k->f32_batch(c32, pd, nn, qf, q, o2);
                for (size_t i = 0; i < nn * q; i++)
                    SL_CHECKF(t, fabsf(o1[i] - o2[i]) <= 1e-4f, "%s f32 batch", k->name);
            }
        }
        /* the threshold scans */
        float sv[77], cv[77];
        uint32_t i1[77], i2[77];
        for (size_t i = 0; i < 77; i++) {
            sv[i] = sl_t_randf(&rs);
            cv[i] = sl_t_randf(&rs);
        }
        for (size_t nn = 0; nn <= 77; nn += 11) {
            size_t m1 = sl__ix_above1_ref(sv, nn, 0.3f, i1);
            size_t m2 = k->above1(sv, nn, 0.3f, i2);
            SL_CHECK_EQ(t, m1, m2);
            SL_CHECK(t, memcmp(i1, i2, m1 * sizeof(uint32_t)) == 0);
            m1 = sl__ix_abovev_ref(sv, cv, nn, i1);
            m2 = k->abovev(sv, cv, nn, i2);
            SL_CHECK_EQ(t, m1, m2);
            SL_CHECK(t, memcmp(i1, i2, m1 * sizeof(uint32_t)) == 0);
        }
        sl__free(c8);
        sl__free(c16);
        sl__free(c32);
        sl__free(qf);
        sl__free(qi);
        sl__free(qu);
    }
}

SL_TEST(index, kernels_vs_ref)
{
    uint32_t f = sl_cpu_features();
    int tested = 0;
    (void)f;
#if defined(__x86_64__)
    if ((f & SL_CPU_AVX512F) && (f & SL_CPU_AVX512VNNI)) {
        check_kernels(t, sl__ix_kernels_avx512());
        tested++;
    }
    if (f & SL_CPU_AVX2) {
        check_kernels(t, sl__ix_kernels_avx2());
        tested++;
    }
#endif
#if defined(__aarch64__)
    check_kernels(t, sl__ix_kernels_neon());
    tested++;
#endif
    check_kernels(t, sl__ix_kernels_best());
    if (!tested)
        sl_t_skip(t, "no SIMD kernel on this CPU (only the reference ran)");
}

SL_TEST(index, half_float)
{
    float vals[] = { 0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 1e-5f, 6.1e-5f,
                     0.333333f, 1e9f, -1e-9f };
    for (size_t i = 0; i < SL_ARRAY_LEN(vals); i++) {
        float back = sl__f16_to_f32(sl__f32_to_f16(vals[i]));
        float tol = fabsf(vals[i]) * 1e-3f + 1e-7f;
        if (vals[i] > 65504.0f)
            SL_CHECK(t, isinf(back));
        else
            SL_CHECKF(t, fabsf(back - vals[i]) <= tol, "%g -> %g", vals[i], back);
    }
    /* every half round-trips exactly */
    for (uint32_t h = 0; h < 0x7c00; h++)
        SL_CHECK_EQ(t, sl__f32_to_f16(sl__f16_to_f32((uint16_t)h)), h);
}

SL_TEST(index, id_map)
{
    struct sl__ix_map m = { 0 };
    unsigned long long rs = 7;
    uint64_t keys[5000];
    for (uint32_t i = 0; i < 5000; i++) {
        keys[i] = sl_t_rand(&rs) & 0xffff;  /* force collisions */
        keys[i] = keys[i] * 5000 + i;
        SL_CHECK_EQ(t, sl__ix_map_put(&m, keys[i], i), SL_OK);
    }
    for (uint32_t i = 0; i < 5000; i += 2)
        SL_CHECK(t, sl__ix_map_del(&m, keys[i]));
    uint32_t v;
    int bad = 0;
    for (uint32_t i = 0; i < 5000; i++) {
        bool got = sl__ix_map_get(&m, keys[i], &v);
        if (got != (i % 2 == 1) || (got && v != i))
            bad++;
    }
    SL_CHECK_EQ(t, bad, 0);
    SL_CHECK_EQ(t, m.len, 2500);
    SL_CHECK(t, !sl__ix_map_del(&m, 123456789));
    sl__ix_map_free(&m);
}

/* ============================ Search vs brute force ====================== */

struct gal {
    size_t    n, dim;
    float    *v;      /* n x dim originals (unit)                         */
    uint64_t *ids;
    uint32_t *coll;
    bool     *dead;
};

static void gal_make(struct gal *g, size_t n, size_t dim, unsigned long long seed)
{
    unsigned long long rs = seed;
    g->n = n;
    g->dim = dim;
    g->v = malloc(n * dim * sizeof(float));
    g->ids = malloc(n * sizeof(uint64_t));
    g->coll = malloc(n * sizeof(uint32_t));
    g->dead = calloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        rand_unit(&rs, g->v + i * dim, dim);
        g->ids[i] = 1000000007ull * (i + 1);
        g->coll[i] = (uint32_t)(i % 5);
    }
}

static void gal_free(struct gal *g)
{
    free(g->v);
    free(g->ids);
    free(g->coll);
    free(g->dead);
}

/* Brute force over the stored rows of ix (dequantised), the oracle for the
 * scan + rescoring path: same rows, same filter, same threshold. */
static size_t brute(sl_index *ix, const struct gal *g, const float *q,
                    const struct sl_index_query *qq, struct sl_index_hit *out)
{
    size_t pd = ix->pdim, m = 0;
    float *row = malloc(pd * sizeof(float)), *qn = calloc(pd, sizeof(float));
    double ss = 0;
    for (size_t i = 0; i < g->dim; i++)
        ss += (double)q[i] * q[i];
    for (size_t i = 0; i < g->dim; i++)
        qn[i] = (float)(q[i] / sqrt(ss));
    struct sl_index_hit *all = malloc(g->n * sizeof(*all));
    size_t nrows = atomic_load(&ix->rows->nrows);
    for (size_t r = 0; r < nrows; r++) {
        struct sl__ix_chunk *c = sl__ix_chunk_of(ix->rows, r);
        size_t off = r & (SL__IX_CHUNK_ROWS - 1);
        if (atomic_load(&c->dead[off]))
            continue;
        bool ok = !qq->colls;
        for (size_t i = 0; qq->colls && i < qq->ncolls; i++)
            ok |= qq->colls[i] == c->coll[off];
        if (!ok)
            continue;
        sl__ix_row_f32(ix, ix->rows, r, row);
        float s = 0;
        for (size_t i = 0; i < pd; i++)
            s += qn[i] * row[i];
        if (s < qq->threshold)
            continue;
        all[m].id = c->ids[off];
        all[m].score = s;
        all[m].coll = c->coll[off];
        m++;
    }
    /* selection sort of the top k */
    size_t k = SL_MIN(m, (size_t)qq->k);
    for (size_t i = 0; i < k; i++) {
        size_t b = i;
        for (size_t j = i + 1; j < m; j++)
            if (all[j].score > all[b].score)
                b = j;
        struct sl_index_hit tmp = all[i];
        all[i] = all[b];
        all[b] = tmp;
        out[i] = all[i];
    }
    free(all);
    free(row);
    free(qn);
    return k;
}

static void check_same(struct sl_t *t, const struct sl_index_hit *a, size_t na,
                       const struct sl_index_hit *b, size_t nb, const char *what)
{
    SL_CHECKF(t, na == nb, "%s: %zu hits vs %zu", what, na, nb);
    for (size_t i = 0; i < SL_MIN(na, nb); i++)
        SL_CHECKF(t, fabsf(a[i].score - b[i].score) < 1e-4f &&
                     (a[i].id == b[i].id || fabsf(a[i].score - b[i].score) < 1e-6f),
                  "%s hit %zu: id %llu %.6f vs %llu %.6f", what, i,
                  (unsigned long long)a[i].id, a[i].score,
                  (unsigned long long)b[i].id, b[i].score);
}

static void search_vs_brute(struct sl_t *t, uint32_t kind, size_t dim)
{
    struct gal g;
    gal_make(&g, 2500, dim, 99 + kind);
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.dim = (uint32_t)dim;
    o.kind = kind;
    sl_index *ix;
    SL_CHECK_EQ(t, sl_index_create(&ix, NULL, &o), SL_OK);
    size_t added;
    SL_CHECK_EQ(t, sl_index_add_batch(ix, g.ids, g.coll, g.v, g.n, dim, &added), SL_OK);
    SL_CHECK_EQ(t, added, g.n);
    for (size_t i = 0; i < g.n; i += 7) {
        SL_CHECK_EQ(t, sl_index_remove(ix, g.ids[i]), SL_OK);
        g.dead[i] = true;
    }
    SL_CHECK_EQ(t, sl_index_remove(ix, g.ids[0]), SL_ERR_NOT_FOUND);
    unsigned long long rs = 5;
    float *q = malloc(dim * sizeof(float));
    struct sl_index_hit h1[64], h2[64];
    uint32_t filt[2] = { 1, 3 };
    int agree = 0, total = 0;
    for (int it = 0; it < 60; it++) {
        struct sl_index_query qq;
        sl_index_query_default(&qq);
        size_t src = (size_t)(sl_t_rand(&rs) % g.n);
        if (it % 3 == 0)
            rand_unit(&rs, q, dim);
        else
            noisy(&rs, g.v + src * dim, q, dim, 0.65f);
        qq.k = (uint32_t)(1 + it % 20);
        if (it % 4 == 1) {
            qq.colls = filt;
            qq.ncolls = 2;
        }
        if (it % 5 == 2)
            qq.threshold = 0.1f;
        if (it % 6 == 3)
            qq.threads = 2;
        size_t n1, n2;
        SL_CHECK_EQ(t, sl_index_search(ix, &qq, q, dim, h1, 64, &n1), SL_OK);
        n2 = brute(ix, &g, q, &qq, h2);
        check_same(t, h1, n1, h2, n2, "search vs brute");
        /* rank-1 against the original fp32 vectors (in-gallery queries) */
        if (it % 3 != 0 && !qq.colls && !g.dead[src] && n1) {
            total++;
            agree += h1[0].id == g.ids[src];
        }
    }
    SL_CHECKF(t, agree == total, "kind %u rank-1 %d/%d", kind, agree, total);
    /* batch == single, including IVF-less AUTO */
    size_t nq = 9;
    float *qs = malloc(nq * dim * sizeof(float));
    for (size_t j = 0; j < nq; j++)
        noisy(&rs, g.v + j * 31 * dim, qs + j * dim, dim, 0.7f);
    struct sl_index_query qq;
    sl_index_query_default(&qq);
    qq.k = 5;
    struct sl_index_hit hb[9 * 5];
    size_t counts[9];
    SL_CHECK_EQ(t, sl_index_search_batch(ix, &qq, qs, nq, dim, hb, counts), SL_OK);
    for (size_t j = 0; j < nq; j++) {
        size_t n1;
        SL_CHECK_EQ(t, sl_index_search(ix, &qq, qs + j * dim, dim, h1, 64, &n1), SL_OK);
        check_same(t, hb + j * 5, counts[j], h1, n1, "batch vs single");
    }
    /* bad input */
    size_t n1;
    SL_CHECK_EQ(t, sl_index_search(ix, &qq, q, dim + 1, h1, 64, &n1), SL_ERR_INDEX_DIM);
    qq.k = 0;
    SL_CHECK_EQ(t, sl_index_search(ix, &qq, q, dim, h1, 64, &n1), SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_index_add(ix, g.ids[1], 0, g.v, dim), SL_ERR_INDEX_DUP);
    float zero[700] = { 0 };
    SL_CHECK_EQ(t, sl_index_add(ix, 5, 0, zero, dim), SL_ERR_INDEX_VECTOR);
    zero[3] = NAN;
    SL_CHECK_EQ(t, sl_index_add(ix, 5, 0, zero, dim), SL_ERR_INDEX_VECTOR);
    SL_CHECK_EQ(t, sl_index_add(ix, 5, SL_INDEX_COLL_MAX, g.v, dim), SL_ERR_INVALID);
    free(qs);
    free(q);
    sl_index_free(ix);
    gal_free(&g);
}

SL_TEST(index, search_int8)  { search_vs_brute(t, SL_INDEX_INT8, 512); }
SL_TEST(index, search_fp16)  { search_vs_brute(t, SL_INDEX_FP16, 512); }
SL_TEST(index, search_fp32)  { search_vs_brute(t, SL_INDEX_FP32, 512); }
SL_TEST(index, search_odd_dim) { search_vs_brute(t, SL_INDEX_INT8, 100); }

/* int8 rank-1 agreement with an fp32 brute force over the originals. */
SL_TEST(index, int8_rank1_agreement)
{
    size_t n = 20000, dim = 512, nq = 1000;
    struct gal g;
    gal_make(&g, n, dim, 4242);
    sl_index *ix8, *ix32;
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    SL_CHECK_EQ(t, sl_index_create(&ix8, NULL, &o), SL_OK);
    o.kind = SL_INDEX_FP32;
    SL_CHECK_EQ(t, sl_index_create(&ix32, NULL, &o), SL_OK);
    size_t added;
    SL_CHECK_EQ(t, sl_index_add_batch(ix8, g.ids, NULL, g.v, n, dim, &added), SL_OK);
    SL_CHECK_EQ(t, sl_index_add_batch(ix32, g.ids, NULL, g.v, n, dim, &added), SL_OK);
    unsigned long long rs = 77;
    float *q = malloc(nq * dim * sizeof(float));
    for (size_t j = 0; j < nq; j++) {
        if (j % 2)
            rand_unit(&rs, q + j * dim, dim);   /* out of gallery: hard */
        else
            noisy(&rs, g.v + (j * 13 % n) * dim, q + j * dim, dim, 0.6f);
    }
    struct sl_index_query qq;
    sl_index_query_default(&qq);
    qq.k = 1;
    struct sl_index_hit *h8 = malloc(nq * sizeof(*h8)), *h32 = malloc(nq * sizeof(*h32));
    size_t *c8 = malloc(nq * sizeof(size_t)), *c32 = malloc(nq * sizeof(size_t));
    SL_CHECK_EQ(t, sl_index_search_batch(ix8, &qq, q, nq, dim, h8, c8), SL_OK);
    SL_CHECK_EQ(t, sl_index_search_batch(ix32, &qq, q, nq, dim, h32, c32), SL_OK);
    /* in-gallery: must agree (>= 99.9 %); out-of-gallery random probes have
     * near-tied top scores (gaps below the int8 step), so only >= 97 % */
    size_t agree_in = 0, agree_out = 0;
    for (size_t j = 0; j < nq; j++) {
        if (j % 2)
            agree_out += h8[j].id == h32[j].id;
        else
            agree_in += h8[j].id == h32[j].id;
    }
    SL_CHECKF(t, agree_in * 1000 >= (nq / 2) * 999, "in-gallery rank-1 agreement %zu/%zu",
              agree_in, nq / 2);
    SL_CHECKF(t, agree_out * 100 >= (nq / 2) * 97, "out-of-gallery rank-1 agreement %zu/%zu",
              agree_out, nq / 2);
    free(h8);
    free(h32);
    free(c8);
    free(c32);
    free(q);
    sl_index_free(ix8);
    sl_index_free(ix32);
    gal_free(&g);
}

/* Face-like (anisotropic) unit vectors: a shared mean of norm 0.3, a
 * rank-16 component with variances ~ 1/i and an isotropic residual, the
 * shape of the bench's fitted stand-in (cli/cmd_bench.c) in small. */
static void aniso_make(unsigned long long *rs, float *v, size_t n, size_t dim)
{
    enum { RK = 16 };
    unsigned long long ms = 4711;
    float *mean = malloc(dim * sizeof(float)), *basis = malloc(RK * dim * sizeof(float));
    rand_unit(&ms, mean, dim);
    for (size_t r = 0; r < RK; r++)
        rand_unit(&ms, basis + r * dim, dim);      /* near-orthogonal: enough */
    for (size_t i = 0; i < n; i++) {
        float *x = v + i * dim;
        for (size_t d = 0; d < dim; d++)
            x[d] = 0.3f * mean[d] + 0.25f * sl_t_randf(rs) / sqrtf((float)dim);
        for (size_t r = 0; r < RK; r++) {
            float z = 0.9f * (sl_t_randf(rs) + sl_t_randf(rs)) / sqrtf((float)(r + 1));
            for (size_t d = 0; d < dim; d++)
                x[d] += z * basis[r * dim + d];
        }
        double ss = 0;
        for (size_t d = 0; d < dim; d++)
            ss += (double)x[d] * x[d];
        for (size_t d = 0; d < dim; d++)
            x[d] = (float)(x[d] / sqrt(ss));
    }
    free(mean);
    free(basis);
}

/* Batch search (tile and leftover paths: 33 and 64 queries) == one query at
 * a time == the fp32 brute force over the stored rows, for k = 1, 10, 100,
 * with and without threshold and collection filter, over tombstones, on
 * isotropic and face-like data, 1 and 2 threads. The oracle any change to
 * the exact scan (pruning, new kernels) has to keep passing. */
static void batch_differential(struct sl_t *t, bool face_like)
{
    size_t n = 2000, dim = 512, nq = 64;
    struct gal g;
    gal_make(&g, n, dim, face_like ? 777 : 778);
    unsigned long long rs = face_like ? 31 : 32;
    if (face_like)
        aniso_make(&rs, g.v, n, dim);
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    sl_index *ix;
    SL_CHECK_EQ(t, sl_index_create(&ix, NULL, &o), SL_OK);
    size_t added;
    SL_CHECK_EQ(t, sl_index_add_batch(ix, g.ids, g.coll, g.v, n, dim, &added), SL_OK);
    for (size_t i = 3; i < n; i += 5) {
        SL_CHECK_EQ(t, sl_index_remove(ix, g.ids[i]), SL_OK);
        g.dead[i] = true;
    }
    float *qs = malloc(nq * dim * sizeof(float));
    if (face_like)
        aniso_make(&rs, qs, nq, dim);               /* out of gallery    */
    for (size_t j = 0; j < nq; j++) {
        if (j % 3 == 0)
            noisy(&rs, g.v + (j * 29 % n) * dim, qs + j * dim, dim, 0.7f);
        else if (!face_like)
            rand_unit(&rs, qs + j * dim, dim);
    }
    memcpy(qs + 5 * dim, g.v + 9 * dim, dim * sizeof(float));   /* exact copy */
    uint32_t ks[3] = { 1, 10, 100 }, filt[2] = { 1, 3 };
    struct sl_index_hit *hb = malloc(nq * 100 * sizeof(*hb)), h1[100], h2[100];
    size_t *cnt = malloc(nq * sizeof(size_t));
    int nbad = 0;
    size_t cut_by_thr = 0;
    for (int cfg = 0; cfg < 12; cfg++) {
        struct sl_index_query qq;
        sl_index_query_default(&qq);
        qq.mode = SL_INDEX_EXACT;
        qq.k = ks[cfg % 3];
        if ((cfg / 3) & 1)
            qq.threshold = face_like ? 0.55f : 0.15f;
        if ((cfg / 3) & 2) {
            qq.colls = filt;
            qq.ncolls = 2;
        }
        qq.threads = (uint32_t)(1 + cfg % 2);
        size_t nb = cfg % 2 ? 33 : nq;
        SL_CHECK_EQ(t, sl_index_search_batch(ix, &qq, qs, nb, dim, hb, cnt), SL_OK);
        for (size_t j = 0; j < nb; j++) {
            size_t n1, n2;
            SL_CHECK_EQ(t, sl_index_search(ix, &qq, qs + j * dim, dim, h1, 100, &n1), SL_OK);
            n2 = brute(ix, &g, qs + j * dim, &qq, h2);
            char what[96];
            snprintf(what, sizeof(what), "%s cfg %d q %zu: batch vs single",
                     face_like ? "face-like" : "isotropic", cfg, j);
            int before = t->fails;
            check_same(t, hb + j * qq.k, cnt[j], h1, n1, what);
            snprintf(what, sizeof(what), "%s cfg %d q %zu: single vs brute",
                     face_like ? "face-like" : "isotropic", cfg, j);
            check_same(t, h1, n1, h2, n2, what);
            for (size_t i = 0; i < n1; i++) {
                uint32_t row;
                bool live = sl__ix_map_get(&ix->map, h1[i].id, &row);
                SL_CHECKF(t, live, "hit %llu is a tombstone", (unsigned long long)h1[i].id);
            }
            cut_by_thr += qq.threshold > 0 && cnt[j] < qq.k;
            nbad += t->fails != before;
            if (nbad > 3)
                goto done;
        }
    }
    /* the thresholds must actually cut some result lists short */
    SL_CHECKF(t, cut_by_thr > 0, "threshold never cut a list (%zu)", cut_by_thr);
    /* the exact copy finds itself first with score ~1 */
    {
        struct sl_index_query qq;
        sl_index_query_default(&qq);
        size_t n1;
        SL_CHECK_EQ(t, sl_index_search(ix, &qq, qs + 5 * dim, dim, h1, 100, &n1), SL_OK);
        SL_CHECK(t, n1 > 0 && h1[0].id == g.ids[9] && h1[0].score > 0.999f);
    }
done:
    free(hb);
    free(cnt);
    free(qs);
    sl_index_free(ix);
    gal_free(&g);
}

SL_TEST(index, batch_differential_isotropic) { batch_differential(t, false); }
SL_TEST(index, batch_differential_face_like) { batch_differential(t, true); }

/* ============================ IVF ======================================== */

SL_TEST(index, ivf_recall)
{
    /* clustered data: 64 centres, members at cosine ~0.8 */
    size_t n = 20000, dim = 128, nc = 64, nq = 200;
    unsigned long long rs = 11;
    float *cent = malloc(nc * dim * sizeof(float));
    float *v = malloc(n * dim * sizeof(float));
    uint64_t *ids = malloc(n * sizeof(uint64_t));
    for (size_t c = 0; c < nc; c++)
        rand_unit(&rs, cent + c * dim, dim);
    for (size_t i = 0; i < n; i++) {
        noisy(&rs, cent + (i % nc) * dim, v + i * dim, dim, 0.8f);
        ids[i] = i + 1;
    }
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.dim = (uint32_t)dim;
    o.ivf_min_rows = 1;
    sl_index *ix;
    SL_CHECK_EQ(t, sl_index_create(&ix, NULL, &o), SL_OK);
    size_t added;
    SL_CHECK_EQ(t, sl_index_add_batch(ix, ids, NULL, v, n, dim, &added), SL_OK);
    struct sl_index_query qq;
    sl_index_query_default(&qq);
    qq.mode = SL_INDEX_IVF;
    struct sl_index_hit h1[10], h2[10];
    size_t n1, n2;
    SL_CHECK_EQ(t, sl_index_search(ix, &qq, v, dim, h1, 10, &n1), SL_ERR_STATE);
    SL_CHECK_EQ(t, sl_index_ivf_train(ix, 64), SL_OK);
    /* rows added after training go to their lists */
    float extra[128];
    noisy(&rs, cent, extra, dim, 0.9f);
    SL_CHECK_EQ(t, sl_index_add(ix, 999999, 0, extra, dim), SL_OK);
    SL_CHECK_EQ(t, sl_index_search(ix, &qq, extra, dim, h1, 10, &n1), SL_OK);
    SL_CHECK(t, n1 > 0 && h1[0].id == 999999);
    size_t hit1 = 0, full = 0;
    for (size_t j = 0; j < nq; j++) {
        float q[128];
        noisy(&rs, v + (j * 97 % n) * dim, q, dim, 0.7f);
        qq.mode = SL_INDEX_EXACT;
        SL_CHECK_EQ(t, sl_index_search(ix, &qq, q, dim, h2, 10, &n2), SL_OK);
        qq.mode = SL_INDEX_IVF;
        qq.nprobe = 8;
        SL_CHECK_EQ(t, sl_index_search(ix, &qq, q, dim, h1, 10, &n1), SL_OK);
        hit1 += n1 && n2 && h1[0].id == h2[0].id;
        qq.nprobe = 64;                     /* all lists: must equal exact */
        SL_CHECK_EQ(t, sl_index_search(ix, &qq, q, dim, h1, 10, &n1), SL_OK);
        full += n1 == n2 && h1[0].id == h2[0].id && h1[n1 - 1].id == h2[n2 - 1].id;
    }
    SL_CHECKF(t, full == nq, "nprobe=nlist equals exact %zu/%zu", full, nq);
    SL_CHECKF(t, hit1 * 100 >= nq * 95, "recall@1 nprobe 8: %zu/%zu", hit1, nq);
    /* compaction keeps the IVF lists in step with moved rows */
    for (size_t i = 0; i < n; i += 3)
        SL_CHECK_EQ(t, sl_index_remove(ix, ids[i]), SL_OK);
    SL_CHECK_EQ(t, sl_index_compact(ix), SL_OK);
    qq.nprobe = 64;
    float q[128];
    memcpy(q, v + 5 * dim, sizeof(q));
    SL_CHECK_EQ(t, sl_index_search(ix, &qq, q, dim, h1, 10, &n1), SL_OK);
    SL_CHECK(t, n1 > 0 && h1[0].id == ids[5] && h1[0].score > 0.99f);
    sl_index_free(ix);
    free(cent);
    free(v);
    free(ids);
}

/* ============================ Watchlists ================================= */

struct watch_seen {
    int      n;
    uint64_t id;
    uint32_t level;
    char     reason[64];
};

static void on_watch(void *user, const struct sl_index_watch_hit *h)
{
    struct watch_seen *w = user;
    w->n++;
    w->id = h->id;
    w->level = h->level;
    snprintf(w->reason, sizeof(w->reason), "%s", h->reason);
}

SL_TEST(index, watchlist_hook)
{
    size_t dim = 512;
    struct gal g;
    gal_make(&g, 500, dim, 3);
    sl_index *ix;
    SL_CHECK_EQ(t, sl_index_create(&ix, NULL, NULL), SL_OK);
    for (size_t i = 0; i < g.n; i++)
        g.coll[i] = i < 100 ? 7 : 1;
    size_t added;
    SL_CHECK_EQ(t, sl_index_add_batch(ix, g.ids, g.coll, g.v, g.n, dim, &added), SL_OK);
    SL_CHECK_EQ(t, sl_index_collection_set(ix, 7, "wanted", 1, 0.5f), SL_OK);
    SL_CHECK_EQ(t, sl_index_collection_set(ix, 1, "hall-1", 0, 0), SL_OK);
    SL_CHECK_EQ(t, sl_index_watch_set(ix, g.ids[42], 3, "fraud"), SL_OK);
    SL_CHECK_EQ(t, sl_index_watch_set(ix, 1, 3, "x"), SL_ERR_NOT_FOUND);
    struct watch_seen w = { 0 };
    sl_index_set_watch_hook(ix, on_watch, &w);
    float q[512];
    unsigned long long rs = 1;
    noisy(&rs, g.v + 42 * dim, q, dim, 0.7f);
    struct sl_index_query qq;
    sl_index_query_default(&qq);
    uint32_t only1 = 1;
    qq.colls = &only1;            /* the search itself looks at hall-1 only */
    qq.ncolls = 1;
    struct sl_index_hit h[10];
    size_t n;
    SL_CHECK_EQ(t, sl_index_search(ix, &qq, q, dim, h, 10, &n), SL_OK);
    SL_CHECK_EQ(t, w.n, 1);
    SL_CHECK(t, w.id == g.ids[42] && w.level == 3 && strcmp(w.reason, "fraud") == 0);
    for (size_t i = 0; i < n; i++)
        SL_CHECK_EQ(t, h[i].coll, 1);
    /* a query far from every watch entry raises nothing */
    w.n = 0;
    noisy(&rs, g.v + 300 * dim, q, dim, 0.7f);
    SL_CHECK_EQ(t, sl_index_search(ix, &qq, q, dim, h, 10, &n), SL_OK);
    SL_CHECK_EQ(t, w.n, 0);
    char name[64];
    int iw;
    float thr;
    SL_CHECK_EQ(t, sl_index_collection_get(ix, 7, name, sizeof(name), &iw, &thr), SL_OK);
    SL_CHECK(t, strcmp(name, "wanted") == 0 && iw == 1 && thr == 0.5f);
    SL_CHECK_EQ(t, sl_index_collection_get(ix, 9, name, sizeof(name), &iw, &thr),
                SL_ERR_NOT_FOUND);
    sl_index_free(ix);
    gal_free(&g);
}

/* ============================ Persistence ================================ */

static void same_results(struct sl_t *t, sl_index *a, sl_index *b,
                         const struct gal *g, const char *what)
{
    unsigned long long rs = 3;
    struct sl_index_query qq;
    sl_index_query_default(&qq);
    for (int it = 0; it < 10; it++) {
        float q[512];
        noisy(&rs, g->v + (size_t)(it * 37 % (int)g->n) * g->dim, q, g->dim, 0.7f);
        struct sl_index_hit h1[10], h2[10];
        size_t n1, n2;
        SL_CHECK_EQ(t, sl_index_search(a, &qq, q, g->dim, h1, 10, &n1), SL_OK);
        SL_CHECK_EQ(t, sl_index_search(b, &qq, q, g->dim, h2, 10, &n2), SL_OK);
        check_same(t, h1, n1, h2, n2, what);
    }
}

SL_TEST(index, persist_roundtrip)
{
    char d[256];
    if (!tmpdir(d, sizeof(d), "rt")) {
        sl_t_skip(t, "cannot prepare a temp dir");
        return;
    }
    for (uint32_t kind = 0; kind <= SL_INDEX_FP32; kind++) {
        rmdir_all(d);
        struct gal g;
        gal_make(&g, 700, 512, 21 + kind);
        struct sl_index_opts o;
        sl_index_opts_default(&o);
        o.kind = kind;
        o.sync = SL_INDEX_SYNC_NONE;
        sl_index *ix, *mem, *re;
        SL_CHECK_EQ(t, sl_index_create(&ix, d, &o), SL_OK);
        SL_CHECK_EQ(t, sl_index_create(&re, d, &o), SL_ERR_INDEX_EXISTS);
        SL_CHECK_EQ(t, sl_index_create(&mem, NULL, &o), SL_OK);
        size_t added;
        SL_CHECK_EQ(t, sl_index_add_batch(ix, g.ids, g.coll, g.v, 400, 512, &added), SL_OK);
        SL_CHECK_EQ(t, sl_index_add_batch(mem, g.ids, g.coll, g.v, 400, 512, &added), SL_OK);
        SL_CHECK_EQ(t, sl_index_collection_set(ix, 2, "watch", 1, 0.6f), SL_OK);
        SL_CHECK_EQ(t, sl_index_watch_set(ix, g.ids[3], 9, "why"), SL_OK);
        for (size_t i = 0; i < 400; i += 5) {
            SL_CHECK_EQ(t, sl_index_remove(ix, g.ids[i]), SL_OK);
            SL_CHECK_EQ(t, sl_index_remove(mem, g.ids[i]), SL_OK);
        }
        SL_CHECK_EQ(t, sl_index_sync(ix), SL_OK);
        sl_index_free(ix);
        SL_CHECK_EQ(t, sl_index_open(&re, d, NULL), SL_OK);
        struct sl_index_stats st;
        SL_CHECK_EQ(t, sl_index_stats(re, &st), SL_OK);
        SL_CHECK_EQ(t, st.live, 320);
        SL_CHECK_EQ(t, st.kind, kind);
        SL_CHECK_EQ(t, st.log_cut_bytes, 0);
        same_results(t, re, mem, &g, "reopened vs memory");
        /* compact: snapshot + fresh log; more changes after it */
        SL_CHECK_EQ(t, sl_index_compact(re), SL_OK);
        SL_CHECK_EQ(t, sl_index_add_batch(re, g.ids + 400, g.coll + 400,
                                          g.v + 400 * 512, 300, 512, &added), SL_OK);
        SL_CHECK_EQ(t, sl_index_add_batch(mem, g.ids + 400, g.coll + 400,
                                          g.v + 400 * 512, 300, 512, &added), SL_OK);
        SL_CHECK_EQ(t, sl_index_remove(re, g.ids[401]), SL_OK);
        SL_CHECK_EQ(t, sl_index_remove(mem, g.ids[401]), SL_OK);
        sl_index_free(re);
        SL_CHECK_EQ(t, sl_index_open(&re, d, NULL), SL_OK);
        SL_CHECK_EQ(t, sl_index_stats(re, &st), SL_OK);
        SL_CHECK_EQ(t, st.live, 619);
        SL_CHECK_EQ(t, st.ncollections, 1);
        same_results(t, re, mem, &g, "snapshot+log vs memory");
        char name[64];
        int iw;
        float thr;
        SL_CHECK_EQ(t, sl_index_collection_get(re, 2, name, 64, &iw, &thr), SL_OK);
        SL_CHECK(t, strcmp(name, "watch") == 0 && iw && thr == 0.6f);
        uint64_t rows, recs, bad;
        sl_index_free(re);
        SL_CHECK_EQ(t, sl_index_verify(d, &rows, &recs, &bad), SL_OK);
        SL_CHECK_EQ(t, rows, 320);
        SL_CHECK_EQ(t, recs, 301);
        SL_CHECK_EQ(t, bad, 0);
        sl_index_free(mem);
        gal_free(&g);
    }
    rmdir_all(d);
}

static long file_size(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

static bool copy_prefix(const char *from, const char *to, long n)
{
    uint8_t *buf;
    size_t len;
    if (sl__read_file(from, 1 << 28, &buf, &len) != SL_OK)
        return false;
    bool ok = sl__write_file(to, buf, (size_t)SL_MIN((long)len, n)) == SL_OK;
    sl__free(buf);
    return ok;
}

SL_TEST(index, corrupt_log_truncations)
{
    char d[256], lp[300], keep[300];
    if (!tmpdir(d, sizeof(d), "trunc")) {
        sl_t_skip(t, "cannot prepare a temp dir");
        return;
    }
    size_t dim = 64, nrec = 12;
    struct gal g;
    gal_make(&g, nrec, dim, 8);
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.dim = (uint32_t)dim;
    o.sync = SL_INDEX_SYNC_NONE;
    sl_index *ix;
    SL_CHECK_EQ(t, sl_index_create(&ix, d, &o), SL_OK);
    long bounds[16];
    snprintf(lp, sizeof(lp), "%s/log", d);
    snprintf(keep, sizeof(keep), "%s/log.keep", d);
    bounds[0] = file_size(lp);
    for (size_t i = 0; i < nrec; i++) {
        SL_CHECK_EQ(t, sl_index_add(ix, g.ids[i], 0, g.v + i * dim, dim), SL_OK);
        bounds[i + 1] = file_size(lp);
    }
    sl_index_free(ix);
    SL_CHECK(t, copy_prefix(lp, keep, 1L << 30));
    long full = bounds[nrec];
    /* every cut: at each boundary, one byte after it, mid-record, one before the next */
    for (size_t i = 0; i < nrec; i++) {
        long cuts[4] = { bounds[i], bounds[i] + 1,
                         (bounds[i] + bounds[i + 1]) / 2, bounds[i + 1] - 1 };
        for (int c = 0; c < 4; c++) {
            SL_CHECK(t, copy_prefix(keep, lp, cuts[c]));
            uint64_t rows, recs, bad;
            sl_status vs = sl_index_verify(d, &rows, &recs, &bad);
            SL_CHECK_EQ(t, recs, i);
            SL_CHECK(t, (vs == SL_OK) == (cuts[c] == bounds[i]));
            SL_CHECK_EQ(t, sl_index_open(&ix, d, &o), SL_OK);
            if (!ix)
                continue;
            struct sl_index_stats st;
            SL_CHECK_EQ(t, sl_index_stats(ix, &st), SL_OK);
            SL_CHECKF(t, st.live == i, "cut at %ld: %llu live, want %zu", cuts[c],
                      (unsigned long long)st.live, i);
            SL_CHECK_EQ(t, st.log_cut_bytes, (uint64_t)(cuts[c] - bounds[i]));
            /* the index keeps working after the cut: a new add survives */
            SL_CHECK_EQ(t, sl_index_add(ix, 777, 0, g.v, dim), SL_OK);
            sl_index_free(ix);
            SL_CHECK_EQ(t, sl_index_open(&ix, d, &o), SL_OK);
            if (ix) {
                SL_CHECK(t, sl_index_contains(ix, 777));
                SL_CHECK_EQ(t, sl_index_stats(ix, &st), SL_OK);
                SL_CHECK_EQ(t, st.live, i + 1);
                SL_CHECK_EQ(t, st.log_cut_bytes, 0);
                sl_index_free(ix);
            }
        }
    }
    /* flipped bytes: in the last record it is a torn tail (cut by a
     * writer); before it, valid records follow, so it is damage: a writer
     * refuses, a reader serves the records before it and changes nothing,
     * and an explicit repair keeps every other record (issue 9, item 3) */
    unsigned long long rs = 9;
    for (int it = 0; it < 40; it++) {
        uint8_t *buf;
        size_t len;
        SL_CHECK_EQ(t, sl__read_file(keep, 1 << 28, &buf, &len), SL_OK);
        long at = 64 + (long)(sl_t_rand(&rs) % (unsigned long long)(full - 64));
        buf[at] ^= (uint8_t)(1u << (sl_t_rand(&rs) % 8));
        SL_CHECK_EQ(t, sl__write_file(lp, buf, len), SL_OK);
        sl__free(buf);
        size_t rec = 0;
        while (rec < nrec && bounds[rec + 1] <= at)
            rec++;
        struct sl_index_stats st;
        struct sl_index_opts ro = o;
        ro.open_mode = SL_INDEX_OPEN_READ;
        SL_CHECK_EQ(t, sl_index_open(&ix, d, &ro), SL_OK);
        if (ix) {
            SL_CHECK_EQ(t, sl_index_stats(ix, &st), SL_OK);
            SL_CHECKF(t, st.live == rec, "flip at %ld: %llu live (read-only), "
                      "want %zu", at, (unsigned long long)st.live, rec);
            SL_CHECK_EQ(t, st.log_damaged_record, rec + 1 == nrec ? 0 : rec + 1);
            SL_CHECK_EQ(t, st.read_only, 1);
            SL_CHECK_EQ(t, sl_index_add(ix, 778, 0, g.v, dim), SL_ERR_INDEX_READONLY);
            sl_index_free(ix);
        }
        SL_CHECKF(t, file_size(lp) == full, "flip at %ld: a read-only open "
                  "changed the log (%ld bytes, was %ld)", at, file_size(lp), full);
        struct sl_index_check ck;
        sl_status vs = sl_index_check(d, &ck);
        SL_CHECK_EQ(t, file_size(lp), full);
        if (rec + 1 == nrec) {
            SL_CHECK_EQ(t, vs, SL_ERR_INDEX_CHECKSUM);
            SL_CHECK(t, ck.torn_tail);
            SL_CHECK_EQ(t, sl_index_open(&ix, d, &o), SL_OK);
            if (ix) {
                SL_CHECK_EQ(t, sl_index_stats(ix, &st), SL_OK);
                SL_CHECK_EQ(t, st.live, rec);
                sl_index_free(ix);
            }
            continue;
        }
        SL_CHECK_EQ(t, vs, SL_ERR_INDEX_DAMAGED);
        SL_CHECK_EQ(t, ck.damaged_record, rec + 1);
        SL_CHECK_EQ(t, (long)ck.damaged_offset, bounds[rec]);
        SL_CHECK_EQ(t, ck.salvaged, nrec - rec - 1);
        ix = NULL;
        SL_CHECK_EQ(t, sl_index_open(&ix, d, &o), SL_ERR_INDEX_DAMAGED);
        SL_CHECK(t, ix == NULL);
        SL_CHECK_EQ(t, file_size(lp), full);
        char bak[512];
        SL_CHECK_EQ(t, sl_index_repair(d, NULL, &ck, bak, sizeof(bak)), SL_OK);
        SL_CHECK_EQ(t, file_size(bak), full);       /* the old log, kept */
        SL_CHECK_EQ(t, file_size(lp), full - (bounds[rec + 1] - bounds[rec]));
        remove(bak);
        SL_CHECK_EQ(t, sl_index_check(d, &ck), SL_OK);
        SL_CHECK_EQ(t, sl_index_open(&ix, d, &o), SL_OK);
        if (ix) {
            SL_CHECK_EQ(t, sl_index_stats(ix, &st), SL_OK);
            SL_CHECKF(t, st.live == nrec - 1, "flip at %ld: %llu live after "
                      "repair, want %zu", at, (unsigned long long)st.live, nrec - 1);
            SL_CHECK(t, !sl_index_contains(ix, g.ids[rec]));
            sl_index_free(ix);
        }
    }
    /* a damaged header is an error, never a crash */
    for (long at = 0; at < 64; at += 5) {
        uint8_t *buf;
        size_t len;
        SL_CHECK_EQ(t, sl__read_file(keep, 1 << 28, &buf, &len), SL_OK);
        buf[at] ^= 0x40;
        SL_CHECK_EQ(t, sl__write_file(lp, buf, len), SL_OK);
        sl__free(buf);
        ix = NULL;
        sl_status st = sl_index_open(&ix, d, &o);
        SL_CHECK(t, SL_STATUS_PRIMARY(st) == SL_ERR_CORRUPT ||
                    SL_STATUS_PRIMARY(st) == SL_ERR_UNSUPPORTED);
        SL_CHECK(t, ix == NULL);
    }
    SL_CHECK(t, copy_prefix(keep, lp, 10));
    SL_CHECK_EQ(t, sl_index_open(&ix, d, &o), SL_ERR_INDEX_TRUNCATED);
    gal_free(&g);
    rmdir_all(d);
}

SL_TEST(index, corrupt_snapshot)
{
    char d[256], sp[300], keep[300];
    if (!tmpdir(d, sizeof(d), "snap")) {
        sl_t_skip(t, "cannot prepare a temp dir");
        return;
    }
    size_t dim = 64;
    struct gal g;
    gal_make(&g, 300, dim, 8);
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.dim = (uint32_t)dim;
    o.sync = SL_INDEX_SYNC_NONE;
    sl_index *ix;
    SL_CHECK_EQ(t, sl_index_create(&ix, d, &o), SL_OK);
    size_t added;
    SL_CHECK_EQ(t, sl_index_add_batch(ix, g.ids, g.coll, g.v, g.n, dim, &added), SL_OK);
    SL_CHECK_EQ(t, sl_index_collection_set(ix, 1, "c1", 0, 0), SL_OK);
    SL_CHECK_EQ(t, sl_index_compact(ix), SL_OK);
    sl_index_free(ix);
    snprintf(sp, sizeof(sp), "%s/snapshot", d);
    snprintf(keep, sizeof(keep), "%s/snapshot.keep", d);
    SL_CHECK(t, copy_prefix(sp, keep, 1L << 30));
    long full = file_size(keep);
    unsigned long long rs = 4;
    for (int it = 0; it < 60; it++) {
        uint8_t *buf;
        size_t len;
        SL_CHECK_EQ(t, sl__read_file(keep, 1 << 28, &buf, &len), SL_OK);
        long at = (long)(sl_t_rand(&rs) % (unsigned long long)full);
        buf[at] ^= 0x10;
        SL_CHECK_EQ(t, sl__write_file(sp, buf, len), SL_OK);
        sl__free(buf);
        ix = NULL;
        sl_status st = sl_index_open(&ix, d, &o);
        SL_CHECKF(t, SL_STATUS_PRIMARY(st) == SL_ERR_CORRUPT ||
                     SL_STATUS_PRIMARY(st) == SL_ERR_UNSUPPORTED,
                  "flip at %ld: %s", at, sl_status_name(st));
        sl_index_free(ix);
    }
    long cuts[] = { 0, 1, 100, 127, 128, full / 2, full - 1 };
    for (size_t i = 0; i < SL_ARRAY_LEN(cuts); i++) {
        SL_CHECK(t, copy_prefix(keep, sp, cuts[i]));
        ix = NULL;
        sl_status st = sl_index_open(&ix, d, &o);
        SL_CHECKF(t, SL_STATUS_PRIMARY(st) == SL_ERR_CORRUPT, "cut %ld: %s",
                  cuts[i], sl_status_name(st));
        sl_index_free(ix);
    }
    SL_CHECK(t, copy_prefix(keep, sp, full));
    SL_CHECK_EQ(t, sl_index_open(&ix, d, &o), SL_OK);
    sl_index_free(ix);
    gal_free(&g);
    rmdir_all(d);
}

/* ============================ Concurrency ================================ */

struct conc {
    sl_index       *ix;
    const struct gal *g;
    atomic_int      stop;
    atomic_long     searches;
    atomic_int      bad;
};

static void *conc_reader(void *arg)
{
    struct conc *c = arg;
    unsigned long long rs = (unsigned long long)(uintptr_t)arg ^ 0x55;
    struct sl_index_query qq;
    sl_index_query_default(&qq);
    while (!atomic_load(&c->stop)) {
        size_t src = (size_t)(sl_t_rand(&rs) % c->g->n);
        const float *q = c->g->v + src * c->g->dim;
        struct sl_index_hit h[10];
        size_t n;
        if (sl_index_search(c->ix, &qq, q, c->g->dim, h, 10, &n) != SL_OK)
            atomic_fetch_add(&c->bad, 1);
        /* a hit's score must match its own template: no torn rows */
        for (size_t i = 0; i < n; i++) {
            size_t j = (size_t)(h[i].id - 1);
            if (j >= c->g->n ||
                fabsf(h[i].score - dotf(q, c->g->v + j * c->g->dim, c->g->dim)) > 0.05f)
                atomic_fetch_add(&c->bad, 1);
        }
        atomic_fetch_add(&c->searches, 1);
    }
    return NULL;
}

SL_TEST(index, concurrent_readers_writers)
{
    size_t dim = 128, n = 6000;
    struct gal g;
    gal_make(&g, n, dim, 17);
    for (size_t i = 0; i < n; i++)
        g.ids[i] = i + 1;
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.dim = (uint32_t)dim;
    o.threads = 2;
    o.ivf_min_rows = 3000;
    sl_index *ix;
    SL_CHECK_EQ(t, sl_index_create(&ix, NULL, &o), SL_OK);
    size_t added;
    SL_CHECK_EQ(t, sl_index_add_batch(ix, g.ids, NULL, g.v, 2000, dim, &added), SL_OK);
    struct conc c = { .ix = ix, .g = &g };
    pthread_t rd[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&rd[i], NULL, conc_reader, &c);
    /* writer: adds, removes, trains IVF, compacts, all while searching */
    for (size_t i = 2000; i < n; i++) {
        if (sl_index_add(ix, g.ids[i], 0, g.v + i * dim, dim) != SL_OK)
            atomic_fetch_add(&c.bad, 1);
        if (i % 3 == 0 && sl_index_remove(ix, g.ids[i - 1000]) != SL_OK)
            atomic_fetch_add(&c.bad, 1);
        if (i == 3500 && sl_index_ivf_train(ix, 16) != SL_OK)
            atomic_fetch_add(&c.bad, 1);
        if (i == 4500 && sl_index_compact(ix) != SL_OK)
            atomic_fetch_add(&c.bad, 1);
    }
    atomic_store(&c.stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(rd[i], NULL);
    SL_CHECKF(t, atomic_load(&c.bad) == 0, "%d bad results", atomic_load(&c.bad));
    SL_CHECK(t, atomic_load(&c.searches) > 0);
    /* every acknowledged add is there, every removal gone */
    int missing = 0;
    for (size_t i = 0; i < n; i++) {
        bool removed = i >= 1000 && i < n - 1000 && (i + 1000) % 3 == 0 && i + 1000 >= 2000;
        if (sl_index_contains(ix, g.ids[i]) == removed)
            missing++;
    }
    SL_CHECK_EQ(t, missing, 0);
    sl_index_free(ix);
    gal_free(&g);
}

SL_TEST(index, alloc_failures)
{
    /* every allocation failure in create/add/search is a status, no crash */
    size_t dim = 64;
    struct gal g;
    gal_make(&g, 50, dim, 2);
    for (long k = 1; k < 60; k++) {
        sl_index *ix = NULL;
        sl__fail_after(k);
        sl_status st = sl_index_create(&ix, NULL, NULL);
        struct sl_index_opts o;
        sl_index_opts_default(&o);
        o.dim = (uint32_t)dim;
        sl_index_free(ix);
        ix = NULL;
        st = sl_index_create(&ix, NULL, &o);
        size_t added = 0;
        if (st == SL_OK)
            st = sl_index_add_batch(ix, g.ids, NULL, g.v, g.n, dim, &added);
        struct sl_index_query qq;
        sl_index_query_default(&qq);
        struct sl_index_hit h[10];
        size_t n;
        if (st == SL_OK)
            st = sl_index_search(ix, &qq, g.v, dim, h, 10, &n);
        sl__fail_after(0);
        SL_CHECK(t, st == SL_OK || st == SL_ERR_NOMEM);
        sl_index_free(ix);
    }
    gal_free(&g);
}

/* ============================ Writer lock, read-only, models, pool ======= */

SL_TEST(index, writer_lock)
{
    char d[256];
    if (!tmpdir(d, sizeof(d), "lock")) {
        sl_t_skip(t, "cannot prepare a temp dir");
        return;
    }
    struct gal g;
    gal_make(&g, 20, 64, 3);
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.dim = 64;
    sl_index *w, *w2 = NULL, *r;
    SL_CHECK_EQ(t, sl_index_create(&w, d, &o), SL_OK);
    size_t added;
    SL_CHECK_EQ(t, sl_index_add_batch(w, g.ids, NULL, g.v, 10, 64, &added), SL_OK);
    /* a second writer, even in the same process, is refused */
    SL_CHECK_EQ(t, sl_index_open(&w2, d, &o), SL_ERR_INDEX_LOCKED);
    SL_CHECK(t, w2 == NULL);
    o.lock_wait_ms = 30;
    uint64_t t0 = sl_time_mono_ns();
    SL_CHECK_EQ(t, sl_index_open(&w2, d, &o), SL_ERR_INDEX_LOCKED);
    SL_CHECK(t, sl_time_mono_ns() - t0 >= 25000000ull);
    o.lock_wait_ms = 0;
    /* a reader opens beside the writer and sees what was acknowledged */
    struct sl_index_opts ro = o;
    ro.open_mode = SL_INDEX_OPEN_READ;
    SL_CHECK_EQ(t, sl_index_open(&r, d, &ro), SL_OK);
    if (r) {
        struct sl_index_stats st;
        SL_CHECK_EQ(t, sl_index_stats(r, &st), SL_OK);
        SL_CHECK_EQ(t, st.live, 10);
        SL_CHECK_EQ(t, st.read_only, 1);
        SL_CHECK_EQ(t, sl_index_add(r, 5, 0, g.v, 64), SL_ERR_INDEX_READONLY);
        SL_CHECK_EQ(t, sl_index_remove(r, g.ids[0]), SL_ERR_INDEX_READONLY);
        SL_CHECK_EQ(t, sl_index_compact(r), SL_ERR_INDEX_READONLY);
        SL_CHECK_EQ(t, sl_index_collection_set(r, 1, "x", 0, 0), SL_ERR_INDEX_READONLY);
        sl_index_free(r);
    }
    /* compaction while a reader opens: the reader sees a consistent pair */
    SL_CHECK_EQ(t, sl_index_compact(w), SL_OK);
    SL_CHECK_EQ(t, sl_index_add_batch(w, g.ids + 10, NULL, g.v + 10 * 64, 10, 64,
                                      &added), SL_OK);
    SL_CHECK_EQ(t, sl_index_open(&r, d, &ro), SL_OK);
    if (r) {
        struct sl_index_stats st;
        SL_CHECK_EQ(t, sl_index_stats(r, &st), SL_OK);
        SL_CHECK_EQ(t, st.live, 20);
        sl_index_free(r);
    }
    sl_index_free(w);
    /* the lock goes with the handle */
    SL_CHECK_EQ(t, sl_index_open(&w2, d, &o), SL_OK);
    sl_index_free(w2);
    /* nothing there: not found, and no lock file left behind */
    char none[300], lk[320];
    snprintf(none, sizeof(none), "%s/none", d);
    SL_CHECK(t, mkdir(none, 0755) == 0);
    SL_CHECK_EQ(t, sl_index_open(&w2, none, &o), SL_ERR_NOT_FOUND);
    snprintf(lk, sizeof(lk), "%s/lock", none);
    SL_CHECK(t, access(lk, F_OK) != 0);
    gal_free(&g);
    rmdir_all(d);
}

/* Rewrites the log head as version 1 (what a version-1 writer made: the
 * records of a log without MODEL records are the same). */
static bool log_as_v1(const char *d)
{
    char lp[300];
    snprintf(lp, sizeof(lp), "%s/log", d);
    uint8_t *buf;
    size_t len;
    if (sl__read_file(lp, 1 << 28, &buf, &len) != SL_OK)
        return false;
    struct sl__ix_log_head h;
    memcpy(&h, buf, sizeof(h));
    h.version = 1;
    h.head_crc = sl__crc32c(0, &h, offsetof(struct sl__ix_log_head, head_crc));
    memcpy(buf, &h, sizeof(h));
    bool ok = sl__write_file(lp, buf, len) == SL_OK;
    sl__free(buf);
    return ok;
}

SL_TEST(index, format_v1_migration)
{
    char d[256], sp[300];
    if (!tmpdir(d, sizeof(d), "v1")) {
        sl_t_skip(t, "cannot prepare a temp dir");
        return;
    }
    struct gal g;
    gal_make(&g, 60, 64, 5);
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.dim = 64;
    o.sync = SL_INDEX_SYNC_NONE;
    sl_index *ix, *mem;
    SL_CHECK_EQ(t, sl_index_create(&ix, d, &o), SL_OK);
    SL_CHECK_EQ(t, sl_index_create(&mem, NULL, &o), SL_OK);
    size_t added;
    SL_CHECK_EQ(t, sl_index_add_batch(ix, g.ids, g.coll, g.v, 60, 64, &added), SL_OK);
    SL_CHECK_EQ(t, sl_index_add_batch(mem, g.ids, g.coll, g.v, 60, 64, &added), SL_OK);
    SL_CHECK_EQ(t, sl_index_collection_set(ix, 2, "two", 1, 0.5f), SL_OK);
    SL_CHECK_EQ(t, sl_index_remove(ix, g.ids[7]), SL_OK);
    SL_CHECK_EQ(t, sl_index_remove(mem, g.ids[7]), SL_OK);
    sl_index_free(ix);
    SL_CHECK(t, log_as_v1(d));
    /* read-only: read as is */
    struct sl_index_opts ro = o;
    ro.open_mode = SL_INDEX_OPEN_READ;
    struct sl_index_stats st;
    SL_CHECK_EQ(t, sl_index_open(&ix, d, &ro), SL_OK);
    if (ix) {
        SL_CHECK_EQ(t, sl_index_stats(ix, &st), SL_OK);
        SL_CHECK_EQ(t, st.version, 1);
        SL_CHECK_EQ(t, st.live, 59);
        sl_index_free(ix);
    }
    snprintf(sp, sizeof(sp), "%s/snapshot", d);
    SL_CHECK(t, access(sp, F_OK) != 0);
    /* read-write: migrated (compacted into version 2 files) */
    SL_CHECK_EQ(t, sl_index_open(&ix, d, &o), SL_OK);
    if (ix) {
        SL_CHECK_EQ(t, sl_index_stats(ix, &st), SL_OK);
        SL_CHECK_EQ(t, st.version, SL__IX_VERSION);
        SL_CHECK_EQ(t, st.live, 59);
        SL_CHECK_EQ(t, st.dead, 0);
        /* raw collections stay raw: a template add into one is refused */
        uint64_t id = 77;
        uint32_t c = 1;
        SL_CHECK_EQ(t, sl_index_add_batch_model(ix, "m-1", &id, &c, g.v, 1, 64,
                                                &added), SL_ERR_INDEX_MODEL);
        sl_index_free(ix);
    }
    SL_CHECK(t, access(sp, F_OK) == 0);
    SL_CHECK_EQ(t, sl_index_open(&ix, d, &o), SL_OK);
    if (ix) {
        same_results(t, ix, mem, &g, "migrated vs memory");
        char name[64];
        int iw;
        float thr;
        SL_CHECK_EQ(t, sl_index_collection_get(ix, 2, name, 64, &iw, &thr), SL_OK);
        SL_CHECK(t, strcmp(name, "two") == 0 && iw && thr == 0.5f);
        sl_index_free(ix);
    }
    uint64_t rows, recs, bad;
    SL_CHECK_EQ(t, sl_index_verify(d, &rows, &recs, &bad), SL_OK);
    sl_index_free(mem);
    gal_free(&g);
    rmdir_all(d);
}

SL_TEST(index, model_ids)
{
    char d[256];
    if (!tmpdir(d, sizeof(d), "model")) {
        sl_t_skip(t, "cannot prepare a temp dir");
        return;
    }
    struct gal g;
    gal_make(&g, 40, 64, 6);
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.dim = 64;
    sl_index *ix;
    SL_CHECK_EQ(t, sl_index_create(&ix, d, &o), SL_OK);
    uint32_t c0[10] = { 0 }, c1[10], c2[10];
    for (int i = 0; i < 10; i++) {
        c1[i] = 1;
        c2[i] = 2;
    }
    size_t added;
    SL_CHECK_EQ(t, sl_index_add_batch_model(ix, "fr_feature-v1", g.ids, c0, g.v,
                                            10, 64, &added), SL_OK);
    SL_CHECK_EQ(t, sl_index_add_batch(ix, g.ids + 10, c0, g.v + 640, 1, 64, &added),
                SL_ERR_INDEX_MODEL);
    SL_CHECK_EQ(t, sl_index_add_batch_model(ix, "other", g.ids + 10, c0, g.v + 640,
                                            1, 64, &added), SL_ERR_INDEX_MODEL);
    SL_CHECK_EQ(t, sl_index_add_batch(ix, g.ids + 10, c1, g.v + 640, 10, 64, &added),
                SL_OK);
    SL_CHECK_EQ(t, sl_index_add_batch_model(ix, "fr_feature-v1", g.ids + 20, c1,
                                            g.v + 1280, 1, 64, &added),
                SL_ERR_INDEX_MODEL);
    SL_CHECK_EQ(t, sl_index_add_batch_model(ix, "bad model", g.ids + 20, c2,
                                            g.v + 1280, 1, 64, &added),
                SL_ERR_INVALID);
    SL_CHECK_EQ(t, sl_index_collection_set_model(ix, 2, "other"), SL_OK);
    SL_CHECK_EQ(t, sl_index_add_batch_model(ix, "other", g.ids + 20, c2, g.v + 1280,
                                            10, 64, &added), SL_OK);
    uint64_t big = SL_INDEX_ID_MAX + 1ull;
    SL_CHECK_EQ(t, sl_index_add(ix, big, 1, g.v, 64), SL_ERR_INDEX_ID);
    SL_CHECK_EQ(t, sl_index_add(ix, SL_INDEX_ID_MAX, 1, g.v, 64), SL_OK);
    SL_CHECK_EQ(t, sl_index_max_id(ix), SL_INDEX_ID_MAX);
    sl_index_free(ix);
    /* persisted; searches of a model see only its collections */
    SL_CHECK_EQ(t, sl_index_open(&ix, d, &o), SL_OK);
    if (ix) {
        char m[SL_INDEX_MODEL_MAX];
        SL_CHECK_EQ(t, sl_index_collection_model(ix, 0, m, sizeof(m)), SL_OK);
        SL_CHECK(t, strcmp(m, "fr_feature-v1") == 0);
        SL_CHECK_EQ(t, sl_index_collection_model(ix, 1, m, sizeof(m)), SL_ERR_NOT_FOUND);
        SL_CHECK_EQ(t, sl_index_compact(ix), SL_OK);
        sl_index_free(ix);
    }
    SL_CHECK_EQ(t, sl_index_open(&ix, d, &o), SL_OK);
    if (ix) {
        char m[SL_INDEX_MODEL_MAX];
        SL_CHECK_EQ(t, sl_index_collection_model(ix, 2, m, sizeof(m)), SL_OK);
        SL_CHECK(t, strcmp(m, "other") == 0);
        struct sl_index_query q;
        sl_index_query_default(&q);
        q.k = 40;
        q.model_id = "fr_feature-v1";
        struct sl_index_hit hits[40];
        size_t n;
        SL_CHECK_EQ(t, sl_index_search(ix, &q, g.v + 640, 64, hits, 40, &n), SL_OK);
        SL_CHECK_EQ(t, n, 10);
        for (size_t i = 0; i < n; i++)
            SL_CHECK_EQ(t, hits[i].coll, 0);
        uint32_t want[2] = { 0, 1 };
        q.colls = want;
        q.ncolls = 2;
        SL_CHECK_EQ(t, sl_index_search(ix, &q, g.v, 64, hits, 40, &n),
                    SL_ERR_INDEX_MODEL);
        sl_index_free(ix);
    }
    gal_free(&g);
    rmdir_all(d);
}

struct pool_probe {
    _Atomic int calls;
    _Atomic int tasks;
};

/* A caller's pool: counts and runs the tasks in order on this thread. */
static void probe_run(void *pool, sl_index_task_fn fn, void *ctx, size_t n)
{
    struct pool_probe *p = pool;
    atomic_fetch_add(&p->calls, 1);
    for (size_t i = 0; i < n; i++) {
        atomic_fetch_add(&p->tasks, 1);
        fn(ctx, i);
    }
}

SL_TEST(index, caller_pool)
{
    size_t dim = 64, n = 3 * 65536 + 100;
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.dim = (uint32_t)dim;
    o.threads = 4;
    struct pool_probe probe = { 0, 0 };
    struct sl_index_opts po = o;
    po.pool = &probe;
    po.run = probe_run;
    sl_index *own, *mine, *one;
    SL_CHECK_EQ(t, sl_index_create(&own, NULL, &o), SL_OK);
    SL_CHECK_EQ(t, sl_index_create(&mine, NULL, &po), SL_OK);
    o.threads = 1;
    SL_CHECK_EQ(t, sl_index_create(&one, NULL, &o), SL_OK);
    if (!own || !mine || !one)
        return;
    float *v = malloc(4096 * dim * sizeof(float));
    uint64_t *ids = malloc(4096 * sizeof(uint64_t));
    unsigned long long rs = 11;
    for (size_t done = 0; done < n;) {
        size_t m = SL_MIN((size_t)4096, n - done);
        for (size_t i = 0; i < m; i++) {
            rand_unit(&rs, v + i * dim, dim);
            ids[i] = done + i + 1;
        }
        size_t added;
        SL_CHECK_EQ(t, sl_index_add_batch(own, ids, NULL, v, m, dim, &added), SL_OK);
        SL_CHECK_EQ(t, sl_index_add_batch(mine, ids, NULL, v, m, dim, &added), SL_OK);
        SL_CHECK_EQ(t, sl_index_add_batch(one, ids, NULL, v, m, dim, &added), SL_OK);
        done += m;
    }
    struct sl_index_query q;
    sl_index_query_default(&q);
    q.k = 20;
    q.mode = SL_INDEX_EXACT;
    for (int j = 0; j < 8; j++) {
        struct sl_index_hit a[20], b[20], c[20];
        size_t na, nb, nc;
        q.threads = 0;
        SL_CHECK_EQ(t, sl_index_search(own, &q, v + j * dim, dim, a, 20, &na), SL_OK);
        SL_CHECK_EQ(t, sl_index_search(mine, &q, v + j * dim, dim, b, 20, &nb), SL_OK);
        q.threads = 4;          /* the same parts, run serially */
        SL_CHECK_EQ(t, sl_index_search(one, &q, v + j * dim, dim, c, 20, &nc), SL_OK);
        SL_CHECK(t, na == nb && na == nc && na == 20);
        for (size_t i = 0; i < SL_MIN(na, SL_MIN(nb, nc)); i++) {
            SL_CHECK(t, a[i].id == b[i].id && a[i].id == c[i].id);
            SL_CHECK(t, memcmp(&a[i].score, &b[i].score, 4) == 0 &&
                        memcmp(&a[i].score, &c[i].score, 4) == 0);
        }
    }
    /* every search went through the caller's pool, in 3 parts */
    SL_CHECK_EQ(t, atomic_load(&probe.calls), 8);
    SL_CHECK_EQ(t, atomic_load(&probe.tasks), 24);
    free(v);
    free(ids);
    sl_index_free(own);
    sl_index_free(mine);
    sl_index_free(one);
}
