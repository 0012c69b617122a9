/*
 * cmd_nn.c -- `shualian nn ...`: the ONNX engine from the command line.
 *
 *   shualian nn info MODEL
 *       ops with counts (in the file and after the passes), params, MACs,
 *       arena bytes, weight bytes, inputs/outputs with shapes (JSON).
 *   shualian nn run MODEL --input IN.bin --out DIR [--backend ref|xnnpack]
 *                         [--threads N] [--repeat N]
 *       IN.bin: the single input, raw little-endian float32, ONNX layout.
 *       Writes DIR/<output name>.bin per output (same form). With --repeat
 *       N it times N runs after 3 warm-up runs and prints
 *       "median_ms=<x> p90_ms=<y>" on stderr (and the numbers in JSON).
 *   shualian nn hold [--backend B] [--threads N] MODEL...   (hidden, bench)
 *       holds one session per model, runs each once, prints peak RSS.
 *   shualian nn dump MODEL             (hidden) the planned graph, one line a node.
 *   shualian nn fma [--seconds S]      (hidden)
 *       measures this core's FMA ceiling in GFLOP/s (bench reference).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "cli.h"
#include "shualian/nn.h"
#include "nn/nn_int.h"     /* nn dump only: the planned graph */

/* Session options from the command line and the A/B switches of the
 * environment (SL_NN_WINOGRAD=0, SL_NN_PW=0, SL_NN_DW=0 turn our own
 * xnnpack-backend conv kernels off; the library never reads them). */
static struct sl_nn_options nn_options(const char *backend, long threads)
{
    static const struct { const char *env; unsigned bit; } sw[] = {
        { "SL_NN_WINOGRAD", SL_NN_KERNEL_WINOGRAD },
        { "SL_NN_PW", SL_NN_KERNEL_POINTWISE },
        { "SL_NN_DW", SL_NN_KERNEL_DWCONV },
    };
    struct sl_nn_options o = { .backend = backend, .threads = (int)threads };
    for (size_t i = 0; i < sizeof sw / sizeof sw[0]; i++) {
        const char *v = getenv(sw[i].env);
        if (v && v[0] == '0')
            o.kernels_off |= sw[i].bit;
    }
    return o;
}

static int usage(void)
{
    printf("usage: shualian nn info MODEL\n"
           "       shualian nn run MODEL --input IN.bin --out DIR [--backend ref|xnnpack]\n"
           "                       [--threads N] [--repeat N [--profile]]\n");
    return SL_EXIT_OK;
}

static json_t *shape_json(const int64_t *d, int r)
{
    json_t *a = json_array();
    for (int i = 0; i < r; i++)
        json_array_append_new(a, json_integer(d[i]));
    return a;
}

static json_t *io_json(const sl_nn_model *m, bool in)
{
    json_t *arr = json_array();
    int n = in ? sl_nn_model_num_inputs(m) : sl_nn_model_num_outputs(m);
    for (int i = 0; i < n; i++) {
        int64_t d[8];
        int r = in ? sl_nn_model_input_shape(m, i, d, 8) : sl_nn_model_output_shape(m, i, d, 8);
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(in ? sl_nn_model_input_name(m, i)
                                                       : sl_nn_model_output_name(m, i)));
        json_object_set_new(o, "shape", shape_json(d, r));
        json_array_append_new(arr, o);
    }
    return arr;
}

static int cmd_info(int argc, char **argv)
{
    if (argc != 2)
        return sl_cli_usage_error("nn info", "expected one MODEL");
    char err[256];
    sl_nn_model *m = NULL;
    sl_status st = sl_nn_model_load_file(&m, argv[1], err, sizeof err);
    if (st)
        return sl_cli_fail(st, "nn info", "%s", err);
    struct sl_nn_stats s;
    sl_nn_model_stats(m, &s);
    json_t *o = json_object(), *ops = json_object(), *run = json_object();
    for (int i = 0; i < s.nops; i++) {
        if (s.op_count[i])
            json_object_set_new(ops, s.op_name[i], json_integer(s.op_count[i]));
        if (s.op_run[i])
            json_object_set_new(run, s.op_name[i], json_integer(s.op_run[i]));
    }
    json_object_set_new(o, "model", sl_json_text(argv[1]));
    json_object_set_new(o, "ops", ops);
    json_object_set_new(o, "ops_after_passes", run);
    json_object_set_new(o, "nodes", json_integer(s.nodes_in_file));
    json_object_set_new(o, "nodes_run", json_integer(s.nodes_run));
    json_object_set_new(o, "params", json_integer((json_int_t)s.params));
    json_object_set_new(o, "macs", json_integer((json_int_t)s.macs));
    json_object_set_new(o, "arena_bytes", json_integer((json_int_t)s.arena_bytes));
    json_object_set_new(o, "weight_bytes", json_integer((json_int_t)s.weight_bytes));
    json_object_set_new(o, "backends", json_string(sl_nn_backends()));
    json_object_set_new(o, "inputs", io_json(m, true));
    json_object_set_new(o, "outputs", io_json(m, false));
    sl_nn_model_free(m);
    return sl_cli_print(o);
}

/* Output names become file names: keep [A-Za-z0-9._-], map the rest to _. */
static void safe_name(char *out, size_t cap, const char *name)
{
    size_t k = 0;
    for (; name[k] && k + 1 < cap; k++) {
        char c = name[k];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        out[k] = ok ? c : '_';
    }
    out[k] = 0;
    if (k == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
        snprintf(out, cap, "output");
}

static int cmd_run(int argc, char **argv)
{
    const char *model = NULL, *input = NULL, *outdir = NULL, *backend = NULL;
    long threads = 1, repeat = 0;
    bool profile = false;
    int rc = SL_EXIT_OTHER;
    sl_nn_model *m = NULL;
    sl_nn_session *s = NULL;
    uint8_t *in = NULL;
    float **outs = NULL;
    size_t *ocount = NULL;
    double *times = NULL;
    char err[256];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--input") == 0 && v) {
            input = v; i++;
        } else if (strcmp(a, "--out") == 0 && v) {
            outdir = v; i++;
        } else if (strcmp(a, "--backend") == 0 && v) {
            backend = v; i++;
        } else if (strcmp(a, "--threads") == 0 && v) {
            if (!sl_cli_parse_long(v, 1, 64, &threads))
                return sl_cli_usage_error("nn run", "--threads takes 1..64");
            i++;
        } else if (strcmp(a, "--repeat") == 0 && v) {
            if (!sl_cli_parse_long(v, 1, 100000, &repeat))
                return sl_cli_usage_error("nn run", "--repeat takes 1..100000");
            i++;
        } else if (strcmp(a, "--profile") == 0) {
            profile = true;
        } else if (a[0] != '-' && !model) {
            model = a;
        } else {
            return sl_cli_usage_error("nn run", "unknown or incomplete option '%s'", a);
        }
    }
    if (!model || !input)
        return sl_cli_usage_error("nn run", "MODEL and --input are required");
    if (backend && strcmp(backend, "ref") != 0 && strcmp(backend, "xnnpack") != 0)
        return sl_cli_usage_error("nn run", "--backend is ref or xnnpack");
    sl_status st = sl_nn_model_load_file(&m, model, err, sizeof err);
    if (st)
        return sl_cli_fail(st, "nn run", "%s", err);
    if (sl_nn_model_num_inputs(m) != 1) {
        rc = sl_cli_fail(SL_ERR_UNSUPPORTED, "nn run", "model has %d inputs, the CLI takes one",
                         sl_nn_model_num_inputs(m));
        goto out;
    }
    struct sl_nn_options nopt = nn_options(backend, threads);
    st = sl_nn_session_new_opts(&s, m, &nopt);
    if (st) {
        rc = sl_cli_fail(st, "nn run", "cannot create a %s session", backend ? backend : "default");
        goto out;
    }
    size_t inlen = 0, want = sl_nn_model_input_size(m, 0);
    /* read what the model takes and no more: a bigger file is refused
     * after want*4 bytes, whatever its size */
    st = sl__read_file(input, want * sizeof(float), &in, &inlen);
    if (st == SL_ERR_TOO_LARGE) {
        rc = sl_cli_fail(SL_ERR_MODEL_SHAPE, "nn run",
                         "input %s has more than %zu bytes, the model wants %zu floats",
                         input, want * sizeof(float), want);
        goto out;
    }
    if (st) {
        rc = sl_cli_read_fail("nn run", input, st, want * sizeof(float));
        goto out;
    }
    if (inlen != want * sizeof(float)) {
        rc = sl_cli_fail(SL_ERR_MODEL_SHAPE, "nn run",
                         "input %s has %zu bytes, the model wants %zu floats (%zu bytes)",
                         input, inlen, want, want * sizeof(float));
        goto out;
    }
    int no = sl_nn_model_num_outputs(m);
    outs = sl__calloc((size_t)no, sizeof *outs);
    ocount = sl__calloc((size_t)no, sizeof *ocount);
    if (!outs || !ocount)
        goto nomem;
    for (int i = 0; i < no; i++) {
        ocount[i] = sl_nn_model_output_size(m, i);
        outs[i] = sl__malloc(ocount[i] * sizeof(float) + 1);
        if (!outs[i])
            goto nomem;
    }
    const float *inp = (const float *)in;
    st = sl_nn_session_run(s, &inp, &want, outs, ocount);
    if (st) {
        rc = sl_cli_fail(st, "nn run", "run failed");
        goto out;
    }
    json_t *o = json_object();
    json_object_set_new(o, "model", sl_json_text(model));
    json_object_set_new(o, "backend", json_string(sl_nn_session_backend(s)));
    json_object_set_new(o, "threads", json_integer(threads));
    if (outdir) {
        mkdir(outdir, 0777);
        json_t *files = json_array();
        for (int i = 0; i < no; i++) {
            char nm[256], path[4096];
            safe_name(nm, sizeof nm, sl_nn_model_output_name(m, i));
            snprintf(path, sizeof path, "%s/%s.bin", outdir, nm);
            st = sl__write_file(path, outs[i], ocount[i] * sizeof(float));
            if (st) {
                json_decref(files);
                json_decref(o);
                rc = sl_cli_fail(st, "nn run", "cannot write %s", path);
                goto out;
            }
            json_array_append_new(files, json_string(path));
        }
        json_object_set_new(o, "files", files);
    }
    if (repeat > 0) {
        times = sl__calloc((size_t)repeat, sizeof *times);
        if (!times) {
            json_decref(o);
            goto nomem;
        }
        for (int w = 0; w < 3; w++)
            if (sl_nn_session_run(s, &inp, &want, outs, ocount))
                break;
        if (profile)
            sl_nn_session_set_profile(s, 1);
        uint64_t a0 = sl__alloc_calls();
        for (long r = 0; r < repeat; r++) {
            uint64_t t0 = sl_time_mono_ns();
            st = sl_nn_session_run(s, &inp, &want, outs, ocount);
            times[r] = (double)(sl_time_mono_ns() - t0) / 1e6;
            if (st)
                break;
        }
        uint64_t allocs = sl__alloc_calls() - a0;
        qsort(times, (size_t)repeat, sizeof *times, sl_cli_cmp_double);
        double med = times[repeat / 2], p90 = times[(repeat * 9) / 10 < repeat ? (repeat * 9) / 10 : repeat - 1];
        if (repeat % 2 == 0)
            med = (times[repeat / 2 - 1] + times[repeat / 2]) / 2;
        json_object_set_new(o, "repeat", json_integer(repeat));
        json_object_set_new(o, "median_ms", sl_json_real(med, 6));
        json_object_set_new(o, "p90_ms", sl_json_real(p90, 6));
        json_object_set_new(o, "allocs_per_run", json_real((double)allocs / (double)repeat));
        fprintf(stderr, "median_ms=%.4f p90_ms=%.4f\n", med, p90);
        if (profile) {
            json_t *pa = json_array();
            const char *op, *node, *bk;
            double ms;
            for (int k = 0; sl_nn_session_profile_step(s, k, &op, &node, &bk, &ms); k++) {
                json_t *e = json_object();
                json_object_set_new(e, "op", json_string(op));
                json_object_set_new(e, "node", json_string(node));
                json_object_set_new(e, "backend", json_string(bk));
                json_object_set_new(e, "ms", sl_json_real(ms / (double)repeat, 4));
                json_array_append_new(pa, e);
            }
            json_object_set_new(o, "profile", pa);
        }
    }
    rc = sl_cli_print(o);
    goto out;
nomem:
    rc = sl_cli_fail(SL_ERR_NOMEM, "nn run", "out of memory");
out:
    if (outs)
        for (int i = 0; i < sl_nn_model_num_outputs(m); i++)
            sl__free(outs[i]);
    sl__free(outs);
    sl__free(ocount);
    sl__free(times);
    sl__free(in);
    sl_nn_session_free(s);
    sl_nn_model_free(m);
    return rc;
}

/* FMA ceiling of one core: 12 independent accumulators in registers
 * (covers FMA latency x throughput), explicit FMA instructions. */
#include <immintrin.h>
#define FMA_BODY(T, SET1, FMA, ADD, LANES)                                     \
    T a0 = SET1(0.0f), a1 = SET1(0.1f), a2 = SET1(0.2f), a3 = SET1(0.3f);      \
    T a4 = SET1(0.4f), a5 = SET1(0.5f), a6 = SET1(0.6f), a7 = SET1(0.7f);      \
    T a8 = SET1(0.8f), a9 = SET1(0.9f), a10 = SET1(1.0f), a11 = SET1(1.1f);    \
    T ka = SET1(0.999999f), kb = SET1(1e-7f);                                  \
    uint64_t iters = 0, t0 = sl_time_mono_ns(), t1;                            \
    do {                                                                       \
        for (int r = 0; r < 100000; r++) {                                     \
            a0 = FMA(a0, ka, kb); a1 = FMA(a1, ka, kb); a2 = FMA(a2, ka, kb);  \
            a3 = FMA(a3, ka, kb); a4 = FMA(a4, ka, kb); a5 = FMA(a5, ka, kb);  \
            a6 = FMA(a6, ka, kb); a7 = FMA(a7, ka, kb); a8 = FMA(a8, ka, kb);  \
            a9 = FMA(a9, ka, kb); a10 = FMA(a10, ka, kb); a11 = FMA(a11, ka, kb); \
        }                                                                      \
        iters += 100000;                                                       \
        t1 = sl_time_mono_ns();                                                \
    } while ((double)(t1 - t0) < seconds * 1e9);                               \
    T t = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));   \
    t = ADD(t, ADD(ADD(a8, a9), ADD(a10, a11)));                               \
    float sink[LANES];                                                         \
    memcpy(sink, &t, sizeof sink);                                             \
    if (sink[0] == 12345.0f)                                                   \
        fprintf(stderr, "!");                                                  \
    return (double)iters * 12 * LANES * 2 / ((double)(t1 - t0));

__attribute__((target("avx2,fma")))
static double fma_gflops_avx2(double seconds)
{
    FMA_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 8)
}

__attribute__((target("avx512f")))
static double fma_gflops_avx512(double seconds)
{
    FMA_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16)
}

static int cmd_fma(int argc, char **argv)
{
    double sec = 1.0;
    if (argc == 3 && strcmp(argv[1], "--seconds") == 0)
        sl_cli_parse_double(argv[2], &sec);
    if (!(sl_cpu_features() & SL_CPU_AVX2))
        return sl_cli_fail(SL_ERR_UNSUPPORTED, "nn fma", "needs AVX2+FMA");
    json_t *o = json_object();
    double g2 = fma_gflops_avx2(sec), g5 = 0;
    if (sl_cpu_features() & SL_CPU_AVX512F)
        g5 = fma_gflops_avx512(sec);
    json_object_set_new(o, "fma_gflops_avx2", sl_json_real(g2, 5));
    if (g5 > 0)
        json_object_set_new(o, "fma_gflops_avx512", sl_json_real(g5, 5));
    json_object_set_new(o, "fma_gflops_per_core", sl_json_real(g5 > g2 ? g5 : g2, 5));
    return sl_cli_print(o);
}

/* Peak resident set of this process image in KiB: VmHWM from
 * /proc/self/status (getrusage's ru_maxrss keeps the parent's peak across
 * fork+exec on Linux, so a child of a big process would report that). */
static long peak_rss_kb(void)
{
    long kb = -1;
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "VmHWM:", 6) == 0)
                kb = strtol(line + 6, NULL, 10);
        fclose(f);
    }
    if (kb < 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        kb = ru.ru_maxrss;
    }
    return kb;
}

/* `nn hold [--backend B] [--threads N] MODEL...`: loads every model, opens
 * one session each, runs each once (on zeros) and reports the process's
 * peak resident memory (bench: ours vs ORT holding the same sessions). */
static int cmd_hold(int argc, char **argv)
{
    const char *backend = NULL;
    long threads = 1;
    int rc = SL_EXIT_OK, nm = 0;
    sl_nn_model *ms[32] = { NULL };
    sl_nn_session *ss[32] = { NULL };
    long base_kb = peak_rss_kb();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
            backend = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, 64, &threads))
                return sl_cli_usage_error("nn hold", "--threads takes 1..64");
            continue;
        }
        if (nm >= 32)
            return sl_cli_usage_error("nn hold", "at most 32 models");
        char err[256];
        sl_status st = sl_nn_model_load_file(&ms[nm], argv[i], err, sizeof err);
        if (st) {
            rc = sl_cli_fail(st, "nn hold", "%s", err);
            goto out;
        }
        st = sl_nn_session_new(&ss[nm], ms[nm], backend, (int)threads);
        nm++;
        if (st) {
            rc = sl_cli_fail(st, "nn hold", "cannot create a session for %s", argv[i]);
            goto out;
        }
    }
    for (int k = 0; k < nm; k++) {
        size_t ni = sl_nn_model_input_size(ms[k], 0);
        int no = sl_nn_model_num_outputs(ms[k]);
        float *in = sl__calloc(ni, sizeof(float));
        float *outs[64] = { NULL };
        size_t oc[64];
        bool ok = in && no <= 64;
        for (int i = 0; ok && i < no; i++) {
            oc[i] = sl_nn_model_output_size(ms[k], i);
            outs[i] = sl__calloc(oc[i] + 1, sizeof(float));
            ok = outs[i] != NULL;
        }
        const float *inp = in;
        if (ok && sl_nn_session_run(ss[k], &inp, &ni, outs, oc))
            ok = false;
        for (int i = 0; i < no && i < 64; i++)
            sl__free(outs[i]);
        sl__free(in);
        if (!ok) {
            rc = sl_cli_fail(SL_ERR_INTERNAL, "nn hold", "run failed");
            goto out;
        }
    }
    json_t *o = json_object();
    json_object_set_new(o, "models", json_integer(nm));
    json_object_set_new(o, "backend", json_string(nm ? sl_nn_session_backend(ss[0]) : "none"));
    json_object_set_new(o, "start_rss_kb", json_integer(base_kb));
    json_object_set_new(o, "peak_rss_kb", json_integer(peak_rss_kb()));
    rc = sl_cli_print(o);
out:
    for (int k = 0; k < 32; k++) {
        sl_nn_session_free(ss[k]);
        sl_nn_model_free(ms[k]);
    }
    return rc;
}

int cmd_nn(int argc, char **argv)
{
    if (argc < 2)
        return sl_cli_usage_error("nn", "a subcommand is needed (info, run)");
    if (sl_cli_wants_help(argc, argv))
        return usage();
    if (strcmp(argv[1], "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(argv[1], "dump") == 0 && argc == 3) {
        char err[256];
        sl_nn_model *m = NULL;
        sl_status st = sl_nn_model_load_file(&m, argv[2], err, sizeof err);
        if (st)
            return sl_cli_fail(st, "nn dump", "%s", err);
        sl__nn_dump(m, stdout);
        sl_nn_model_free(m);
        return SL_EXIT_OK;
    }
    if (strcmp(argv[1], "hold") == 0)
        return cmd_hold(argc - 1, argv + 1);
    if (strcmp(argv[1], "fma") == 0)
        return cmd_fma(argc - 1, argv + 1);
    return sl_cli_usage_error("nn", "unknown subcommand '%s'", argv[1]);
}
