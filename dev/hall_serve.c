/*
 * hall_serve.c -- `shualian-dev hall serve`: the real server (app/cmd_serve.c,
 * linked into shualian-dev) with N synthetic persons in the demo hall's
 * library, for identification at scale over HTTP (bench/hall_http.sh,
 * `make bench-hall`; docs/hall.md "Scale benchmark").
 *
 *   shualian-dev hall serve --persons N [--fit CACHE] [--probes P]
 *                           [--gen-threads T] [--report FILE]
 *                           -- <shualian serve options, with --demo>
 *
 * After the demo seeds (the demo persons enrolled the real way, through
 * the store) and before the server starts, the serve hook (app.h):
 *   1. loads the demo hall's cache from the store (sl__hall_sync);
 *   2. fits the template model (dev/fit_model.h, as `bench index --fit`)
 *      to the real embeddings of CACHE (an eval cache: `shualian-dev eval
 *      --faces ../shared/faces/dev --cache build/face-eval-dev.cache`);
 *   3. adds N persons, one sample of a fitted identity each (ids from
 *      SL_HALL_BENCH_ID0), straight into the in-memory library
 *      (sl__hall_bench_add: not the store, which takes hours at 10M here),
 *      scoring every one against P probes (another sample of P of the
 *      identities) on the way: the exact float top-1 of each probe;
 *   4. trains the IVF as a rebuild would (sl__hall_bench_index);
 *   3b. adds R real persons too (the first photo of R identities of CACHE
 *      with two; --real-probes, 200) whose second photo is a probe: recall
 *      on real faces among the synthetic ones;
 *   5. searches the P (+ R) probes through sl__hall_search (the identify route's
 *      call): in-process latency and recall@1 against the exact top-1;
 *      then P strangers (samples of identities not in the gallery): the
 *      share whose best score reaches the identify threshold (FPIR);
 * then the server starts as `shualian serve` would and serves until
 * SIGTERM. The report (JSON) goes to FILE (and stderr). The product
 * program `shualian` contains none of this: its hook is NULL.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../app/app.h"
#include "acct/acct.h"
#include "dev.h"
#include "face/eval_int.h"
#include "fit_model.h"
#include "hall/hall.h"
#include "shualian/index.h"

#define CHUNK 4096

struct best {
    float    score;
    uint64_t id;
};

struct hs {
    long persons, probes, threads;   /* probes: synthetic + real (below)   */
    long nsyn, nreal;                /* probes [0, nsyn) synthetic, then
                                        nreal pairs of real photos          */
    const char *fit, *report;
    int64_t hall;
    struct dev_model *m;
    float *pv;                    /* probes x 512                          */
    uint64_t *pident;             /* synthetic: the identity of each probe  */
    uint64_t *own;                /* each probe's own gallery id            */
    struct best *best;            /* per thread x probes                   */
    atomic_long next;             /* next chunk                            */
    atomic_int  failed;
    atomic_long done;
};

/* out[r * np + j] = rows[r] . probes[j] */
#if defined(__x86_64__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
static void score_block(const float *rows, size_t n, const float *probes, size_t np,
                        float *out)
{
    for (size_t r = 0; r < n; r++) {
        const float *x = rows + r * DEV_DIM;
        for (size_t j = 0; j < np; j++) {
            const float *q = probes + j * DEV_DIM;
            float p[16] = { 0 };
            for (size_t d = 0; d < DEV_DIM; d += 16)
                for (size_t u = 0; u < 16; u++)
                    p[u] += x[d + u] * q[d + u];
            float s = 0;
            for (size_t u = 0; u < 16; u++)
                s += p[u];
            out[r * np + j] = s;
        }
    }
}

static void *fill_main(void *arg)
{
    struct hs *h = ((void **)arg)[0];
    size_t t = (size_t)(uintptr_t)((void **)arg)[1];
    struct best *bt = h->best + t * (size_t)h->probes;
    float *rows = sl__malloc((size_t)CHUNK * DEV_DIM * sizeof(float));
    float *sc = sl__malloc((size_t)CHUNK * (size_t)h->probes * sizeof(float));
    uint64_t *ids = sl__malloc(CHUNK * sizeof(uint64_t));
    float c[DEV_DIM];
    if (!rows || !sc || !ids)
        atomic_store(&h->failed, 1);
    while (rows && sc && ids && !atomic_load(&h->failed)) {
        long ch = atomic_fetch_add(&h->next, 1);
        long lo = ch * CHUNK;
        if (lo >= h->persons)
            break;
        long hi = lo + CHUNK < h->persons ? lo + CHUNK : h->persons;
        size_t n = (size_t)(hi - lo);
        for (size_t i = 0; i < n; i++) {
            uint64_t ident = (uint64_t)lo + i;
            dev_centre_of(h->m, ident, c);
            dev_sample_of(c, ident * 2, rows + i * DEV_DIM);
            ids[i] = (uint64_t)SL_HALL_BENCH_ID0 + ident;
        }
        score_block(rows, n, h->pv, (size_t)h->probes, sc);
        for (size_t i = 0; i < n; i++)
            for (long j = 0; j < h->probes; j++)
                if (sc[i * (size_t)h->probes + (size_t)j] > bt[j].score)
                    bt[j] = (struct best){ sc[i * (size_t)h->probes + (size_t)j], ids[i] };
        if (sl__hall_bench_add(h->hall, ids, rows, n) != SL_OK)
            atomic_store(&h->failed, 1);
        long d = atomic_fetch_add(&h->done, (long)n) + (long)n;
        if (d / 1000000 != (d - (long)n) / 1000000)
            sl_log_info("hall serve: %ld of %ld synthetic persons added", d, h->persons);
    }
    sl__free(rows);
    sl__free(sc);
    sl__free(ids);
    return NULL;
}

/* The real embeddings of an eval cache (`shualian-dev eval --cache`; the
 * reader in src/face/evalcache.c): the photos with a face, unit length,
 * with their identity (the photo's folder) in *labels. NULL when there is
 * none (the reason logged). Also hall_fill.c's (fit_model.h). */
float *dev_cache_embeddings(const char *path, size_t *n, char (**labels)[64])
{
    sl__evcache c;
    char err[256];
    sl_status st = sl__evcache_read(&c, path, DEV_DIM, err, sizeof err);
    *n = 0;
    *labels = NULL;
    if (st != SL_OK) {
        sl_log_warn("hall serve: %s: %s (%s)", path, err, sl_status_name(st));
        return NULL;
    }
    float *out = c.n ? sl__malloc(c.n * DEV_DIM * sizeof(float)) : NULL;
    *labels = out ? sl__calloc(c.n, sizeof **labels) : NULL;
    size_t got = 0;
    for (size_t i = 0; *labels && i < c.n; i++) {
        if (c.v[i].state != SL__EVCACHE_FACE)
            continue;
        const char *name;
        size_t nl = sl__evcache_identity(c.v[i].path, &name);
        nl = nl < 63 ? nl : 63;
        memcpy((*labels)[got], name, nl);
        (*labels)[got][nl] = 0;
        float *e = out + got++ * DEV_DIM;
        memcpy(e, c.v[i].emb, DEV_DIM * sizeof(float));
        dev_normalize(e, DEV_DIM);
    }
    sl__evcache_free(&c);
    *n = got;
    if (!got) {
        sl__free(out);
        sl__free(*labels);
        *labels = NULL;
        return NULL;
    }
    return out;
}

static long rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb / 1024;
}


static double now_ms(void)
{
    return (double)sl_time_mono_ns() / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int hook(sl_store *s, sl_keyring *k, sl_acct *a, void *ctx)
{
    struct hs *h = ctx;
    const char *cmd = "hall serve";
    if (sl__acct_hall_find(a, "demo", &h->hall) != SL_OK)
        return sl_cli_usage_error(cmd, "the server must run with --demo (the demo hall)");
    double t0 = now_ms();
    sl_status st = sl__hall_sync(s, k);   /* the demo persons, from the store */
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "hall cache load: %s", sl_status_name(st));
    size_t real_persons = sl__hall_cached_persons();
    size_t nreal = 0;
    char (*lab)[64] = NULL;
    float *real = dev_cache_embeddings(h->fit, &nreal, &lab);
    if (!real)
        return sl_cli_fail(SL_ERR_IO, cmd, "%s: no eval cache with embeddings (shualian-dev eval "
                           "--faces ../shared/faces/dev --cache %s)", h->fit, h->fit);
    h->m = sl__calloc(1, sizeof *h->m);
    st = h->m ? dev_model_fit_rows(h->m, real, nreal) : SL_ERR_NOMEM;
    if (st != SL_OK) {
        sl__free(real);
        sl__free(lab);
        return sl_cli_fail(st, cmd, "model fit: %s", sl_status_name(st));
    }
    double t_fit = now_ms();

    /* real pairs: identities of the cache with two photos (consecutive
     * rows of one folder): the first photo enrolled, the second a probe;
     * up to --real-probes of them, spread over the cache */
    size_t npairs = 0;
    size_t *pair = sl__malloc(nreal * sizeof *pair);   /* row of the 1st photo */
    for (size_t r = 0; pair && r + 1 < nreal; r++)
        if (strcmp(lab[r], lab[r + 1]) == 0 && (r == 0 || strcmp(lab[r - 1], lab[r]) != 0))
            pair[npairs++] = r;
    sl__free(lab);
    size_t R = npairs < (size_t)h->nreal ? npairs : (size_t)h->nreal;
    h->nreal = (long)R;
    h->probes = h->nsyn + h->nreal;
    h->pv = sl__malloc((size_t)h->probes * DEV_DIM * sizeof(float));
    h->pident = sl__malloc((size_t)h->probes * sizeof(uint64_t));
    h->own = sl__malloc((size_t)h->probes * sizeof(uint64_t));
    h->best = sl__malloc((size_t)h->threads * (size_t)h->probes * sizeof *h->best);
    float *rg = sl__malloc((R ? R : 1) * DEV_DIM * sizeof(float));
    uint64_t *rid = sl__malloc((R ? R : 1) * sizeof(uint64_t));
    if (!pair || !h->pv || !h->pident || !h->own || !h->best || !rg || !rid) {
        sl__free(real);
        sl__free(pair);
        sl__free(rg);
        sl__free(rid);
        return sl_cli_fail(SL_ERR_NOMEM, cmd, "probes");
    }
    /* synthetic probes: another sample of P identities of the gallery */
    uint64_t rs = 0x5eed1234abcdULL;
    float c[DEV_DIM];
    for (long j = 0; j < h->nsyn; j++) {
        h->pident[j] = dev_rnd(&rs) % (uint64_t)h->persons;
        h->own[j] = (uint64_t)SL_HALL_BENCH_ID0 + h->pident[j];
        dev_centre_of(h->m, h->pident[j], c);
        dev_sample_of(c, h->pident[j] * 2 + 1, h->pv + (size_t)j * DEV_DIM);
    }
    for (size_t i = 0; i < (size_t)h->threads * (size_t)h->probes; i++)
        h->best[i] = (struct best){ -2.0f, 0 };
    for (size_t q = 0; q < R; q++) {
        size_t r = pair[(q * npairs) / R];
        rid[q] = (uint64_t)SL_HALL_BENCH_ID0 * 2 + q;   /* above every synthetic id */
        memcpy(rg + q * DEV_DIM, real + r * DEV_DIM, DEV_DIM * sizeof(float));
        size_t j = (size_t)h->nsyn + q;
        memcpy(h->pv + j * DEV_DIM, real + (r + 1) * DEV_DIM, DEV_DIM * sizeof(float));
        h->own[j] = rid[q];
    }
    sl__free(real);
    sl__free(pair);
    /* the real persons: in the gallery, and in every probe's exact top-1 */
    float *rsc = sl__malloc((R ? R : 1) * (size_t)h->probes * sizeof(float));
    st = rsc ? sl__hall_bench_add(h->hall, rid, rg, R) : SL_ERR_NOMEM;
    if (st == SL_OK && R)
        score_block(rg, R, h->pv, (size_t)h->probes, rsc);
    for (size_t i = 0; st == SL_OK && i < R; i++)
        for (long j = 0; j < h->probes; j++)
            if (rsc[i * (size_t)h->probes + (size_t)j] > h->best[j].score)
                h->best[j] = (struct best){ rsc[i * (size_t)h->probes + (size_t)j], rid[i] };
    sl__free(rsc);
    sl__free(rg);
    sl__free(rid);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "real persons: %s", sl_status_name(st));

    /* fill */
    pthread_t th[8];
    void *args[8][2];
    for (long t = 0; t < h->threads; t++) {
        args[t][0] = h;
        args[t][1] = (void *)(uintptr_t)t;
        if (pthread_create(&th[t], NULL, fill_main, args[t]) != 0)
            return sl_cli_fail(SL_ERR_NOMEM, cmd, "threads");
    }
    for (long t = 0; t < h->threads; t++)
        pthread_join(th[t], NULL);
    if (atomic_load(&h->failed))
        return sl_cli_fail(SL_ERR_NOMEM, cmd, "adding synthetic persons failed");
    double t_fill = now_ms();
    long rss_filled = rss_mb();
    struct sl_index_stats ist;
    memset(&ist, 0, sizeof ist);
    st = sl__hall_bench_index(h->hall, &ist);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "index: %s", sl_status_name(st));
    double t_index = now_ms();
    sl_log_info("hall serve: %ld synthetic persons indexed (nlist %u, nprobe %u); probing",
                h->persons, ist.ivf_nlist, ist.ivf_nprobe);

    /* in-process search of every probe, as the identify route calls it */
    double *ms = sl__malloc((size_t)h->probes * sizeof(double));
    if (!ms)
        return sl_cli_fail(SL_ERR_NOMEM, cmd, "probes");
    long agree = 0, found = 0, exact_found = 0, above = 0;
    long r_agree = 0, r_found = 0, r_exact = 0, r_above = 0;
    for (long j = 0; j < h->probes; j++) {
        struct best b = { -2.0f, 0 };
        for (long t = 0; t < h->threads; t++)
            if (h->best[t * h->probes + j].score > b.score)
                b = h->best[t * h->probes + j];
        struct sl_hall_cand cand[5];
        size_t n = 0;
        double a0 = now_ms();
        st = sl__hall_search(s, k, h->hall, h->pv + (size_t)j * DEV_DIM, cand, 5, &n);
        ms[j] = now_ms() - a0;
        if (st != SL_OK) {
            sl__free(ms);
            return sl_cli_fail(st, cmd, "search: %s", sl_status_name(st));
        }
        uint64_t own = h->own[j];
        bool is_syn = j < h->nsyn;
        *(is_syn ? &agree : &r_agree) += n > 0 && (uint64_t)cand[0].person == b.id;
        *(is_syn ? &found : &r_found) += n > 0 && (uint64_t)cand[0].person == own;
        *(is_syn ? &exact_found : &r_exact) += b.id == own;
        *(is_syn ? &above : &r_above) += n > 0 && cand[0].person == (int64_t)own &&
                                         cand[0].score >= SL_HALL_IDENT_THRESHOLD;
    }
    /* strangers: samples of identities not in the gallery; the open-set
     * decision must say "unknown" (FPIR at the identify threshold) */
    long false_pos = 0;
    double stranger_max = -1;
    for (long j = 0; j < h->nsyn; j++) {
        float v[DEV_DIM];
        uint64_t ident = (uint64_t)h->persons + 1000 + (uint64_t)j;
        dev_centre_of(h->m, ident, c);
        dev_sample_of(c, ident * 2 + 1, v);
        struct sl_hall_cand cand[1];
        size_t n = 0;
        st = sl__hall_search(s, k, h->hall, v, cand, 1, &n);
        if (st != SL_OK) {
            sl__free(ms);
            return sl_cli_fail(st, cmd, "search: %s", sl_status_name(st));
        }
        false_pos += n > 0 && cand[0].score >= SL_HALL_IDENT_THRESHOLD;
        if (n > 0 && cand[0].score > stranger_max)
            stranger_max = cand[0].score;
    }
    /* real probes at more lists: the nprobe real faces need */
    static const uint32_t sweep[] = { 64, 128, 256, 512 };
    double sweep_recall[4] = { 0 };
    for (size_t w = 0; w < 4 && ist.ivf_nlist; w++) {
        long ok = 0;
        for (long j = h->nsyn; j < h->probes; j++) {
            struct best b = { -2.0f, 0 };
            for (long t = 0; t < h->threads; t++)
                if (h->best[t * h->probes + j].score > b.score)
                    b = h->best[t * h->probes + j];
            int64_t id = 0;
            double sc = 0;
            if (sl__hall_bench_top1(h->hall, h->pv + (size_t)j * DEV_DIM, sweep[w], &id, &sc) == SL_OK)
                ok += (uint64_t)id == b.id;
        }
        sweep_recall[w] = R ? (double)ok / (double)R : 0;
    }
    qsort(ms, (size_t)h->probes, sizeof *ms, cmp_d);
    size_t P = (size_t)h->probes, PS = (size_t)h->nsyn, PR = R ? R : 1;
    double p50 = ms[P / 2], p99 = ms[(P * 99) / 100 < P ? (P * 99) / 100 : P - 1];
    sl__free(ms);
    double t_probe = now_ms();

    json_t *rep = json_pack(
        "{s:s, s:I, s:I, s:s, s:I, s:f, s:f, s:f, s:{s:s, s:I, s:I, s:I, s:I, s:s},"
        " s:{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f},"
        " s:{s:I, s:f, s:f, s:f, s:f, s:{s:f, s:f, s:f, s:f}}, s:I, s:I, s:f}",
        "bench", "hall serve: synthetic persons in the demo hall's library",
        "persons", (json_int_t)h->persons, "real_persons", (json_int_t)real_persons,
        "fit", h->fit, "fit_rows", (json_int_t)nreal,
        "fit_ms", t_fit - t0, "fill_ms", t_fill - t_fit, "index_build_ms", t_index - t_fill,
        "index", "mode", ist.ivf_nlist ? "ivf" : "exact int8",
        "nlist", (json_int_t)ist.ivf_nlist, "nprobe", (json_int_t)ist.ivf_nprobe,
        "bytes", (json_int_t)ist.bytes, "bytes_per_template", (json_int_t)ist.bytes_per_template,
        "kernel", ist.kernel ? ist.kernel : "",
        "in_process", "probes", (json_int_t)h->nsyn, "p50_ms", p50, "p99_ms", p99,
        "recall_at_1_vs_exact", (double)agree / (double)PS,
        "own_identity_first", (double)found / (double)PS,
        "own_identity_first_exact", (double)exact_found / (double)PS,
        "own_first_above_threshold", (double)above / (double)PS,
        "threshold", SL_HALL_IDENT_THRESHOLD,
        "strangers_above_threshold", (double)false_pos / (double)PS,
        "stranger_best_max", stranger_max,
        "probe_ms", t_probe - t_index,
        "real_pairs", "probes", (json_int_t)R,
        "recall_at_1_vs_exact", (double)r_agree / (double)PR,
        "own_identity_first", (double)r_found / (double)PR,
        "own_identity_first_exact", (double)r_exact / (double)PR,
        "own_first_above_threshold", (double)r_above / (double)PR,
        "recall_at_1_vs_exact_by_nprobe", "64", sweep_recall[0], "128", sweep_recall[1],
        "256", sweep_recall[2], "512", sweep_recall[3],
        "rss_mb_filled", (json_int_t)rss_filled, "rss_mb_indexed", (json_int_t)rss_mb(),
        "load_average", dev_load1());
    if (!rep)
        return sl_cli_fail(SL_ERR_NOMEM, cmd, "report");
    char *text = json_dumps(rep, JSON_COMPACT);
    json_decref(rep);
    if (!text)
        return sl_cli_fail(SL_ERR_NOMEM, cmd, "report");
    fprintf(stderr, "hall serve: %s\n", text);
    if (h->report) {
        FILE *f = fopen(h->report, "w");
        bool ok = f && fprintf(f, "%s\n", text) > 0;
        ok = f && fclose(f) == 0 && ok;
        if (!ok) {
            free(text);
            return sl_cli_fail(SL_ERR_IO, cmd, "cannot write %s", h->report);
        }
    }
    free(text);
    return -1;
}

static int hall_serve(int argc, char **argv)
{
    static struct hs h;
    h.persons = 100000;
    h.nsyn = 300;
    h.nreal = 200;
    h.threads = 2;
    h.fit = "build/face-eval-dev.cache";
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc)
            return sl_cli_usage_error("hall serve", "%s needs a value (serve options after --)",
                                      argv[i]);
        if (strcmp(argv[i], "--persons") == 0) {
            if (!sl_cli_parse_long(argv[++i], 1000, 50000000, &h.persons))
                return sl_cli_usage_error("hall serve", "--persons: 1000..50000000");
        } else if (strcmp(argv[i], "--probes") == 0) {
            if (!sl_cli_parse_long(argv[++i], 10, 100000, &h.nsyn))
                return sl_cli_usage_error("hall serve", "--probes: 10..100000");
        } else if (strcmp(argv[i], "--real-probes") == 0) {
            if (!sl_cli_parse_long(argv[++i], 0, 100000, &h.nreal))
                return sl_cli_usage_error("hall serve", "--real-probes: 0..100000");
        } else if (strcmp(argv[i], "--gen-threads") == 0) {
            if (!sl_cli_parse_long(argv[++i], 1, 8, &h.threads))
                return sl_cli_usage_error("hall serve", "--gen-threads: 1..8");
        } else if (strcmp(argv[i], "--fit") == 0) {
            h.fit = argv[++i];
        } else if (strcmp(argv[i], "--report") == 0) {
            h.report = argv[++i];
        } else {
            return sl_cli_usage_error("hall serve", "unknown option '%s' (serve options "
                                      "after --)", argv[i]);
        }
    }
    /* serve's argv: "serve" + what follows -- */
    char **sv = sl__calloc((size_t)(argc - i) + 2, sizeof *sv);
    if (!sv)
        return sl_cli_fail(SL_ERR_NOMEM, "hall serve", "argv");
    sv[0] = (char *)"serve";
    for (int j = i; j < argc; j++)
        sv[1 + j - i] = argv[j];
    sl_app_serve_hook = hook;
    sl_app_serve_hook_ctx = &h;
    int rc = cmd_serve(argc - i + 1, sv);
    sl__free(sv);
    sl__free(h.m);
    sl__free(h.pv);
    sl__free(h.pident);
    sl__free(h.own);
    sl__free(h.best);
    return rc;
}

int dev_hall(int argc, char **argv)
{
    if (argc < 2 || sl_cli_wants_help(argc, argv)) {
        printf("usage: shualian-dev hall serve --persons N [--fit CACHE] [--probes P]\n"
               "                               [--real-probes R] [--gen-threads T] [--report FILE]\n"
               "                               -- <shualian serve options, with --demo>\n\n"
               "The server with N synthetic persons (fitted to the real embeddings of\n"
               "CACHE, default build/face-eval-dev.cache) added to the demo hall's\n"
               "in-memory library after the demo seeds; recall@1 of the search mode\n"
               "against an exact scan and in-process latency in the report\n"
               "(bench/hall_http.sh).\n\n"
               "       shualian-dev hall fill --persons N [--fit CACHE|none] [--batch B]\n"
               "                              --data DIR [--db URL] [--suite gm|intl]\n"
               "       shualian-dev hall load --data DIR [--db URL] [--suite gm|intl]\n\n"
               "fill: N such persons written through the store as enrolment writes them\n"
               "(B a transaction); load: the cache load from that store, timed\n"
               "(bench/hall_load.sh).\n");
        return argc < 2 ? SL_EXIT_USAGE : SL_EXIT_OK;
    }
    if (strcmp(argv[1], "serve") == 0)
        return hall_serve(argc - 1, argv + 1);
    if (strcmp(argv[1], "fill") == 0 || strcmp(argv[1], "load") == 0)
        return dev_hall_fill(argc - 1, argv + 1);
    return sl_cli_usage_error("hall", "unknown subcommand '%s'", argv[1]);
}
