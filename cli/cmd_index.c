/*
 * cmd_index.c -- `shualian index create|add|remove|search|stats|compact|
 * verify`: the 1:N gallery (include/shualian/index.h) from the
 * command line. Templates come from files of raw little-endian float32
 * vectors (n x dim); the face engine hook (embed_images) is where images
 * will be turned into templates once face/ exists.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "shualian/index.h"

#define VEC_FILE_MAX (8ull << 30)

static const char *const usage_text =
    "usage: shualian index <sub> DIR [options]\n\n"
    "  create DIR [--dim 512] [--kind int8|fp16|fp32]\n"
    "  add DIR --vectors F.f32 [--first-id N | --ids F.u64] [--coll C]\n"
    "          [--sync always|none]      import raw float32 vectors (n x dim)\n"
    "  remove DIR ID...\n"
    "  search DIR --query F.f32 [--k 10] [--threshold T] [--coll C,C..]\n"
    "          [--mode auto|exact|ivf] [--nprobe N] [--threads T]\n"
    "  stats DIR\n"
    "  compact DIR [--ivf NLIST]      snapshot, drop tombstones, train IVF\n"
    "  verify DIR                     check files, change nothing\n"
    "  collection DIR ID NAME [--watch THRESHOLD]\n\n"
    "Output is JSON on stdout. Each subcommand takes --help.\n";

static int usage(const char *sub)
{
    (void)sub;
    fputs(usage_text, stdout);
    return SL_EXIT_OK;
}

/* Reads a raw float32 file of n x dim values. Caller frees *out. */
static sl_status read_vectors(const char *path, size_t dim, float **out,
                              size_t *n)
{
    uint8_t *buf;
    size_t len;
    sl_status st = sl__read_file(path, VEC_FILE_MAX, &buf, &len);
    if (st != SL_OK)
        return st;
    if (len == 0 || len % (dim * sizeof(float)) != 0) {
        sl__free(buf);
        return SL_ERR_INDEX_DIM;
    }
    *out = (float *)buf;           /* sl__read_file's buffer is 16-aligned */
    *n = len / (dim * sizeof(float));
    return SL_OK;
}

/* Hook for the face engine: images -> templates. Not built yet. */
static sl_status embed_images(char **paths, size_t n, float **out, size_t *dim)
{
    (void)paths;
    (void)n;
    (void)out;
    (void)dim;
    return SL_ERR_UNSUPPORTED;
}

static const char *kind_name(uint32_t k)
{
    return k == SL_INDEX_INT8 ? "int8" : k == SL_INDEX_FP16 ? "fp16" : "fp32";
}

static bool parse_kind(const char *s, uint32_t *k)
{
    if (strcmp(s, "int8") == 0)
        *k = SL_INDEX_INT8;
    else if (strcmp(s, "fp16") == 0)
        *k = SL_INDEX_FP16;
    else if (strcmp(s, "fp32") == 0)
        *k = SL_INDEX_FP32;
    else
        return false;
    return true;
}

static json_t *stats_json(sl_index *ix)
{
    struct sl_index_stats st;
    if (sl_index_stats(ix, &st) != SL_OK)
        return json_object();
    return json_pack("{s:i,s:s,s:I,s:I,s:I,s:I,s:i,s:i,s:I,s:I,s:i,s:s}",
                     "dim", (int)st.dim, "kind", kind_name(st.kind),
                     "live", (json_int_t)st.live, "dead", (json_int_t)st.dead,
                     "bytes", (json_int_t)st.bytes,
                     "bytes_per_template", (json_int_t)st.bytes_per_template,
                     "ivf_nlist", (int)st.ivf_nlist, "ivf_nprobe", (int)st.ivf_nprobe,
                     "log_records", (json_int_t)st.log_records,
                     "log_cut_bytes", (json_int_t)st.log_cut_bytes,
                     "collections", (int)st.ncollections, "kernel", st.kernel);
}

static int sub_create(int argc, char **argv)
{
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        long v;
        if (strcmp(argv[i], "--dim") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, SL_INDEX_DIM_MAX, &v))
                return sl_cli_usage_error("index create", "bad --dim");
            o.dim = (uint32_t)v;
        } else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc) {
            if (!parse_kind(argv[++i], &o.kind))
                return sl_cli_usage_error("index create", "bad --kind");
        } else if (argv[i][0] != '-' && !dir) {
            dir = argv[i];
        } else {
            return sl_cli_usage_error("index create", "unexpected '%s'", argv[i]);
        }
    }
    if (!dir)
        return sl_cli_usage_error("index create", "DIR missing");
    sl_index *ix;
    sl_status st = sl_index_create(&ix, dir, &o);
    if (st != SL_OK)
        return sl_cli_fail(st, "index create", "%s", dir);
    json_t *j = stats_json(ix);
    sl_index_free(ix);
    return sl_cli_print(j);
}

static int sub_add(int argc, char **argv)
{
    const char *dir = NULL, *vecs = NULL, *idfile = NULL;
    long first = 1, coll = 0;
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    char **images = NULL;
    size_t nimages = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--vectors") == 0 && i + 1 < argc) {
            vecs = argv[++i];
        } else if (strcmp(argv[i], "--ids") == 0 && i + 1 < argc) {
            idfile = argv[++i];
        } else if (strcmp(argv[i], "--first-id") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 0, LONG_MAX, &first))
                return sl_cli_usage_error("index add", "bad --first-id");
        } else if (strcmp(argv[i], "--coll") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 0, SL_INDEX_COLL_MAX - 1, &coll))
                return sl_cli_usage_error("index add", "bad --coll");
        } else if (strcmp(argv[i], "--sync") == 0 && i + 1 < argc) {
            i++;
            o.sync = strcmp(argv[i], "none") == 0 ? SL_INDEX_SYNC_NONE
                                                  : SL_INDEX_SYNC_ALWAYS;
        } else if (strcmp(argv[i], "--images") == 0) {
            images = argv + i + 1;          /* the rest: image files */
            nimages = (size_t)(argc - i - 1);
            break;
        } else if (argv[i][0] != '-' && !dir) {
            dir = argv[i];
        } else {
            return sl_cli_usage_error("index add", "unexpected '%s'", argv[i]);
        }
    }
    if (!dir || (!vecs && !images))
        return sl_cli_usage_error("index add", "DIR and --vectors are required");
    sl_index *ix;
    sl_status st = sl_index_open(&ix, dir, &o);
    if (st != SL_OK)
        return sl_cli_fail(st, "index add", "%s", dir);
    struct sl_index_stats ss;
    float *v = NULL;
    uint64_t *ids = NULL;
    uint32_t *colls = NULL;
    size_t n = 0, added = 0, idlen = 0;
    int rc;
    if (sl_index_stats(ix, &ss) != SL_OK) {
        rc = sl_cli_fail(SL_ERR_INTERNAL, "index add", "stats");
        goto out;
    }
    if (images) {
        size_t d;
        st = embed_images(images, nimages, &v, &d);
        rc = sl_cli_fail(st, "index add", "--images needs the face engine, "
                         "which is not built yet");
        goto out;
    }
    st = read_vectors(vecs, ss.dim, &v, &n);
    if (st != SL_OK) {
        rc = sl_cli_fail(st, "index add", "%s: not a whole number of %u-d "
                         "float32 vectors", vecs, ss.dim);
        goto out;
    }
    if (idfile) {
        st = sl__read_file(idfile, VEC_FILE_MAX, (uint8_t **)&ids, &idlen);
        if (st != SL_OK || idlen != n * 8) {
            rc = sl_cli_fail(st ? st : SL_ERR_INVALID, "index add",
                             "%s: want %zu u64 ids", idfile, n);
            goto out;
        }
    } else {
        ids = sl__malloc(n * sizeof(uint64_t));
        for (size_t i = 0; ids && i < n; i++)
            ids[i] = (uint64_t)first + i;
    }
    colls = sl__malloc(n * sizeof(uint32_t));
    if (!ids || !colls) {
        rc = sl_cli_fail(SL_ERR_NOMEM, "index add", "%zu vectors", n);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        colls[i] = (uint32_t)coll;
    st = sl_index_add_batch(ix, ids, colls, v, n, ss.dim, &added);
    if (st == SL_OK)
        st = sl_index_sync(ix);
    if (st != SL_OK) {
        rc = sl_cli_fail(st, "index add", "after %zu of %zu", added, n);
        goto out;
    }
    rc = sl_cli_print(json_pack("{s:I,s:o}", "added", (json_int_t)added,
                                "stats", stats_json(ix)));
out:
    sl__free(v);
    sl__free(ids);
    sl__free(colls);
    sl_index_free(ix);
    return rc;
}

static int sub_remove(int argc, char **argv)
{
    if (argc < 3)
        return sl_cli_usage_error("index remove", "DIR and ids required");
    sl_index *ix;
    sl_status st = sl_index_open(&ix, argv[1], NULL);
    if (st != SL_OK)
        return sl_cli_fail(st, "index remove", "%s", argv[1]);
    json_t *gone = json_array(), *missing = json_array();
    int rc = SL_EXIT_OK;
    for (int i = 2; i < argc; i++) {
        char *end;
        errno = 0;
        unsigned long long id = strtoull(argv[i], &end, 10);
        if (errno || *end || end == argv[i]) {
            rc = sl_cli_usage_error("index remove", "bad id '%s'", argv[i]);
            goto out;
        }
        st = sl_index_remove(ix, id);
        if (st == SL_OK)
            json_array_append_new(gone, json_integer((json_int_t)id));
        else if (st == SL_ERR_NOT_FOUND)
            json_array_append_new(missing, json_integer((json_int_t)id));
        else {
            rc = sl_cli_fail(st, "index remove", "%llu", id);
            goto out;
        }
    }
    rc = sl_cli_print(json_pack("{s:O,s:O}", "removed", gone, "not_found", missing));
out:
    json_decref(gone);
    json_decref(missing);
    sl_index_free(ix);
    return rc;
}

static bool parse_colls(const char *s, uint32_t *out, size_t cap, size_t *n)
{
    *n = 0;
    while (*s) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s || v >= SL_INDEX_COLL_MAX || *n == cap)
            return false;
        out[(*n)++] = (uint32_t)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return false;
    }
    return *n > 0;
}

static int sub_search(int argc, char **argv)
{
    const char *dir = NULL, *qfile = NULL;
    struct sl_index_query q;
    sl_index_query_default(&q);
    uint32_t colls[64];
    for (int i = 1; i < argc; i++) {
        long v;
        double d;
        if (strcmp(argv[i], "--query") == 0 && i + 1 < argc) {
            qfile = argv[++i];
        } else if (strcmp(argv[i], "--k") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, SL_INDEX_K_MAX, &v))
                return sl_cli_usage_error("index search", "bad --k");
            q.k = (uint32_t)v;
        } else if (strcmp(argv[i], "--threshold") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_double(argv[++i], &d) || d < -1 || d > 1)
                return sl_cli_usage_error("index search", "bad --threshold");
            q.threshold = (float)d;
        } else if (strcmp(argv[i], "--coll") == 0 && i + 1 < argc) {
            if (!parse_colls(argv[++i], colls, 64, &q.ncolls))
                return sl_cli_usage_error("index search", "bad --coll");
            q.colls = colls;
        } else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "exact") == 0)
                q.mode = SL_INDEX_EXACT;
            else if (strcmp(argv[i], "ivf") == 0)
                q.mode = SL_INDEX_IVF;
            else if (strcmp(argv[i], "auto") == 0)
                q.mode = SL_INDEX_AUTO;
            else
                return sl_cli_usage_error("index search", "bad --mode");
        } else if (strcmp(argv[i], "--nprobe") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, 1024, &v))
                return sl_cli_usage_error("index search", "bad --nprobe");
            q.nprobe = (uint32_t)v;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, SL_INDEX_THREADS_MAX, &v))
                return sl_cli_usage_error("index search", "bad --threads");
            q.threads = (uint32_t)v;
        } else if (argv[i][0] != '-' && !dir) {
            dir = argv[i];
        } else {
            return sl_cli_usage_error("index search", "unexpected '%s'", argv[i]);
        }
    }
    if (!dir || !qfile)
        return sl_cli_usage_error("index search", "DIR and --query are required");
    sl_index *ix;
    sl_status st = sl_index_open(&ix, dir, NULL);
    if (st != SL_OK)
        return sl_cli_fail(st, "index search", "%s", dir);
    struct sl_index_stats ss;
    float *v = NULL;
    size_t n = 0, *counts = NULL;
    struct sl_index_hit *hits = NULL;
    int rc;
    st = sl_index_stats(ix, &ss);
    if (st == SL_OK)
        st = read_vectors(qfile, ss.dim, &v, &n);
    if (st != SL_OK) {
        rc = sl_cli_fail(st, "index search", "%s", qfile);
        goto out;
    }
    hits = sl__malloc(n * q.k * sizeof(*hits));
    counts = sl__malloc(n * sizeof(size_t));
    if (!hits || !counts) {
        rc = sl_cli_fail(SL_ERR_NOMEM, "index search", "%zu queries", n);
        goto out;
    }
    st = sl_index_search_batch(ix, &q, v, n, ss.dim, hits, counts);
    if (st != SL_OK) {
        rc = sl_cli_fail(st, "index search", "%s", qfile);
        goto out;
    }
    json_t *res = json_array();
    size_t found = 0;
    for (size_t j = 0; j < n; j++) {
        json_t *arr = json_array();
        for (size_t i = 0; i < counts[j]; i++) {
            const struct sl_index_hit *h = &hits[j * q.k + i];
            json_array_append_new(arr, json_pack("{s:I,s:o,s:i}", "id",
                                  (json_int_t)h->id, "score",
                                  sl_json_real(h->score, 6), "coll", (int)h->coll));
        }
        found += counts[j] > 0;
        json_array_append_new(res, json_pack("{s:i,s:o}", "query", (int)j, "hits", arr));
    }
    rc = sl_cli_print(json_pack("{s:o}", "results", res));
    if (rc == SL_EXIT_OK && found == 0)
        rc = SL_EXIT_NEGATIVE;
out:
    sl__free(v);
    sl__free(hits);
    sl__free(counts);
    sl_index_free(ix);
    return rc;
}

static int sub_stats(int argc, char **argv)
{
    if (argc != 2)
        return sl_cli_usage_error("index stats", "DIR required");
    sl_index *ix;
    sl_status st = sl_index_open(&ix, argv[1], NULL);
    if (st != SL_OK)
        return sl_cli_fail(st, "index stats", "%s", argv[1]);
    json_t *j = stats_json(ix);
    sl_index_free(ix);
    return sl_cli_print(j);
}

static int sub_compact(int argc, char **argv)
{
    long nlist = -1;
    if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--ivf") == 0 &&
                       sl_cli_parse_long(argv[3], 0, 1 << 20, &nlist)))
        return sl_cli_usage_error("index compact", "usage: compact DIR [--ivf NLIST]");
    sl_index *ix;
    struct sl_index_opts o;
    sl_index_opts_default(&o);
    o.threads = 2;
    sl_status st = sl_index_open(&ix, argv[1], &o);
    if (st != SL_OK)
        return sl_cli_fail(st, "index compact", "%s", argv[1]);
    if (nlist >= 0)
        st = sl_index_ivf_train(ix, (uint32_t)nlist);
    if (st == SL_OK)
        st = sl_index_compact(ix);
    int rc = st == SL_OK ? sl_cli_print(stats_json(ix))
                         : sl_cli_fail(st, "index compact", "%s", argv[1]);
    sl_index_free(ix);
    return rc;
}

static int sub_verify(int argc, char **argv)
{
    if (argc != 2)
        return sl_cli_usage_error("index verify", "DIR required");
    uint64_t rows = 0, recs = 0, bad = 0;
    sl_status st = sl_index_verify(argv[1], &rows, &recs, &bad);
    json_t *j = json_pack("{s:b,s:s,s:I,s:I,s:I}", "ok", st == SL_OK,
                          "status", sl_status_name(st),
                          "snapshot_rows", (json_int_t)rows,
                          "log_records", (json_int_t)recs,
                          "damaged_tail_bytes", (json_int_t)bad);
    int rc = sl_cli_print(j);
    if (rc == SL_EXIT_OK && st != SL_OK)
        rc = sl_cli_exit(st);
    return rc;
}

static int sub_collection(int argc, char **argv)
{
    long id;
    double thr = 0;
    int watch = 0;
    if (argc != 4 && argc != 6)
        return sl_cli_usage_error("index collection", "DIR ID NAME [--watch T]");
    if (!sl_cli_parse_long(argv[2], 0, SL_INDEX_COLL_MAX - 1, &id))
        return sl_cli_usage_error("index collection", "bad ID");
    if (argc == 6) {
        if (strcmp(argv[4], "--watch") != 0 || !sl_cli_parse_double(argv[5], &thr))
            return sl_cli_usage_error("index collection", "bad --watch");
        watch = 1;
    }
    sl_index *ix;
    sl_status st = sl_index_open(&ix, argv[1], NULL);
    if (st != SL_OK)
        return sl_cli_fail(st, "index collection", "%s", argv[1]);
    st = sl_index_collection_set(ix, (uint32_t)id, argv[3], watch, (float)thr);
    int rc = st == SL_OK ? sl_cli_print(stats_json(ix))
                         : sl_cli_fail(st, "index collection", "%s", argv[3]);
    sl_index_free(ix);
    return rc;
}

int cmd_index(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return argc < 2 ? (fputs(usage_text, stderr), SL_EXIT_USAGE) : usage(NULL);
    const char *sub = argv[1];
    if (sl_cli_wants_help(argc - 1, argv + 1))
        return usage(sub);
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {
        { "create", sub_create }, { "add", sub_add }, { "remove", sub_remove },
        { "search", sub_search }, { "stats", sub_stats },
        { "compact", sub_compact }, { "verify", sub_verify },
        { "collection", sub_collection },
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(subs); i++)
        if (strcmp(sub, subs[i].name) == 0)
            return subs[i].run(argc - 1, argv + 1);
    return sl_cli_usage_error("index", "unknown subcommand '%s'", sub);
}
