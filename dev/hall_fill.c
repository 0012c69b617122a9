/*
 * hall_fill.c -- `shualian-dev hall fill` and `hall load`: the portrait
 * library's cache load from the store at scale (docs/hall.md "Cache load
 * at scale", bench/hall_load.sh, `make bench-hall`).
 *
 *   shualian-dev hall fill --persons N [--fit CACHE|none] [--batch B]
 *                          --data DIR [--db URL] [--suite gm|intl]
 *   shualian-dev hall load --data DIR [--db URL] [--suite gm|intl]
 *
 * fill writes N persons into the demo hall (created if absent) of the
 * store the server then opens with the same --data/--db: one sample of a
 * fitted identity each (dev/fit_model.h, as `hall serve` generates them,
 * fitted to CACHE's real embeddings; "none" or no cache: the stand-in
 * model), through sl__hall_enrol_write -- the rows, the sealed template
 * (same key file, same ad) and the change-log row enrolment writes -- B
 * persons a transaction (default 20,000) instead of one, and without the
 * audit record (these are no one's data). Persons labelled "bench <i>"
 * already there count: a second fill adds only the missing ones.
 *
 * load times what `shualian serve` does at start (sl__hall_sync on an
 * empty cache) and prints one JSON line. Neither is in the product
 * program `shualian`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../app/app.h"
#include "acct/acct.h"
#include "crypto/crypto.h"
#include "dev.h"
#include "fit_model.h"
#include "hall/hall.h"

struct fill {
    const sl_keyring *k;
    int64_t hall;
    long first, n;        /* identities [first, first + n) */
    const float *rows;    /* n x DEV_DIM                   */
};

static sl_status fill_tx(sl_tx *tx, void *vctx)
{
    struct fill *f = vctx;
    sl_status st = SL_OK;
    for (long i = 0; i < f->n && st == SL_OK; i++) {
        char label[32];
        snprintf(label, sizeof label, "bench %ld", f->first + i);
        int64_t person = 0;
        st = sl__hall_enrol_write(tx, f->k, f->hall, f->rows + (size_t)i * DEV_DIM, label,
                                  &person);
    }
    return st;
}

static sl_status count_tx(sl_tx *tx, void *vctx)
{
    int64_t *io = vctx;   /* in: hall; out: count */
    return sl__tx_query_int(tx, "SELECT COUNT(*) FROM hall_person WHERE hall_id = ? AND"
                            " label LIKE 'bench %'", SL_ARGS(SL_INT(io[0])), &io[1]);
}

static double now_ms(void)
{
    return (double)sl_time_mono_ns() / 1e6;
}

static long rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb / 1024;
}

struct opts {
    long persons, batch;
    const char *fit, *data, *db, *suite;
};

static int parse(const char *cmd, int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return sl_cli_usage_error(cmd, "%s needs a value", argv[i]);
        const char *a = argv[i], *v = argv[++i];
        if (strcmp(a, "--persons") == 0) {
            if (!sl_cli_parse_long(v, 1, 50000000, &o->persons))
                return sl_cli_usage_error(cmd, "--persons: 1..50000000");
        } else if (strcmp(a, "--batch") == 0) {
            if (!sl_cli_parse_long(v, 1, 1000000, &o->batch))
                return sl_cli_usage_error(cmd, "--batch: 1..1000000");
        } else if (strcmp(a, "--fit") == 0) {
            o->fit = v;
        } else if (strcmp(a, "--data") == 0) {
            o->data = v;
        } else if (strcmp(a, "--db") == 0) {
            o->db = v;
        } else if (strcmp(a, "--suite") == 0) {
            o->suite = v;
        } else {
            return sl_cli_usage_error(cmd, "unknown option '%s'", a);
        }
    }
    if (!o->data)
        return sl_cli_usage_error(cmd, "--data DIR is needed (the server's data folder)");
    return -1;
}

static int hall_fill(int argc, char **argv)
{
    const char *cmd = "hall fill";
    struct opts o = { .persons = 100000, .batch = 20000, .fit = "build/face-eval-dev.cache" };
    int rc = parse(cmd, argc, argv, &o);
    if (rc >= 0)
        return rc;
    struct dev_model *m = sl__malloc(sizeof *m);
    if (!m)
        return sl_cli_fail(SL_ERR_NOMEM, cmd, "model");
    const char *desc = "fitted";
    size_t nreal = 0;
    char (*lab)[64] = NULL;
    float *real = strcmp(o.fit, "none") ? dev_cache_embeddings(o.fit, &nreal, &lab) : NULL;
    sl_status st = real ? dev_model_fit_rows(m, real, nreal)
                        : dev_model_init(m, false, NULL, &desc);
    sl__free(real);
    sl__free(lab);
    if (st != SL_OK) {
        sl__free(m);
        return sl_cli_fail(st, cmd, "template model: %s", sl_status_name(st));
    }
    sl_store *s = NULL;
    sl_keyring *k = NULL;
    sl_acct *a = NULL;
    rc = sl_cli_server_open(o.data, o.db, NULL, o.suite, true, NULL, &s, &k, &a, cmd);
    if (rc >= 0) {
        sl__free(m);
        return rc;
    }
    int64_t hall = 0;
    st = sl__acct_hall_find(a, "demo", &hall);
    if (st == SL_ERR_NOT_FOUND)
        st = sl__acct_hall_add(a, "demo", "hall", NULL, &hall);
    int64_t cnt[2] = { hall, 0 };
    if (st == SL_OK)
        st = sl__store_run(s, count_tx, cnt);
    float *rows = sl__malloc((size_t)o.batch * DEV_DIM * sizeof(float));
    if (st == SL_OK && !rows)
        st = SL_ERR_NOMEM;
    double t0 = now_ms(), tgen = 0, twrite = 0;
    long added = 0;
    float c[DEV_DIM];
    for (long i = cnt[1]; st == SL_OK && i < o.persons; i += o.batch) {
        long n = o.persons - i < o.batch ? o.persons - i : o.batch;
        double t1 = now_ms();
        for (long j = 0; j < n; j++) {
            uint64_t ident = (uint64_t)(i + j);
            dev_centre_of(m, ident, c);
            dev_sample_of(c, ident * 2, rows + (size_t)j * DEV_DIM);
        }
        double t2 = now_ms();
        struct fill f = { k, hall, i, n, rows };
        st = sl__store_run(s, fill_tx, &f);
        twrite += now_ms() - t2;
        tgen += t2 - t1;
        if (st == SL_OK)
            added += n;
        if (st == SL_OK && (i + n) / 100000 != i / 100000)
            sl_log_info("hall fill: %ld of %ld persons (%.0f persons/s)", i + n, o.persons,
                        (double)added * 1000.0 / (now_ms() - t0));
    }
    double ms = now_ms() - t0;
    if (st == SL_OK)
        printf("{\"step\":\"fill\",\"persons\":%ld,\"added\":%ld,\"model\":\"%s\",\"batch\":%ld,"
               "\"ms\":%.0f,\"generate_ms\":%.0f,\"write_ms\":%.0f,\"persons_per_s\":%.0f,"
               "\"load1\":%.2f}\n", o.persons, added, desc, o.batch, ms, tgen, twrite,
               added ? (double)added * 1000.0 / ms : 0.0, dev_load1());
    sl__free(rows);
    sl__free(m);
    sl__acct_free(a);
    sl__store_close(s);
    sl__keyring_free(k);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "%s", sl_status_str(st));
    return SL_EXIT_OK;
}

static int hall_load(int argc, char **argv)
{
    const char *cmd = "hall load";
    struct opts o = { 0 };
    int rc = parse(cmd, argc, argv, &o);
    if (rc >= 0)
        return rc;
    sl_store *s = NULL;
    sl_keyring *k = NULL;
    sl_acct *a = NULL;
    rc = sl_cli_server_open(o.data, o.db, NULL, o.suite, false, NULL, &s, &k, &a, cmd);
    if (rc >= 0)
        return rc;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    double t0 = now_ms();
    sl_status st = sl__hall_sync(s, k);
    double ms = now_ms() - t0;
    getrusage(RUSAGE_SELF, &r1);
    double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec -
                          r0.ru_stime.tv_sec) * 1e3 +
                 (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec -
                          r0.ru_stime.tv_usec) / 1e3;
    size_t n = sl__hall_cached_persons();
    if (st == SL_OK)
        printf("{\"step\":\"load\",\"persons\":%zu,\"watch\":%zu,\"ms\":%.0f,"
               "\"cpu_ms\":%.0f,\"persons_per_s\":%.0f,\"peak_rss_mb\":%ld,\"load1\":%.2f}\n",
               n, sl__hall_cached_watch(), ms, cpu, ms > 0 ? (double)n * 1000.0 / ms : 0.0,
               rss_mb(), dev_load1());
    sl__hall_cache_reset();
    sl__acct_free(a);
    sl__store_close(s);
    sl__keyring_free(k);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "%s", sl_status_str(st));
    return SL_EXIT_OK;
}

int dev_hall_fill(int argc, char **argv)
{
    return strcmp(argv[0], "fill") == 0 ? hall_fill(argc, argv) : hall_load(argc, argv);
}
