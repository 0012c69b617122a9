/*
 * nn_probe.c -- `shualian-dev nn fma|hold|dump`: kernel and memory probes
 * for the nn benchmarks (bench/nn_bench.js), moved out of the product CLI.
 *
 *   nn fma [--seconds S]                     this core's FMA ceiling, GFLOP/s
 *                                            (x86-64 with AVX2 only)
 *   nn hold [--backend B] [--threads N] MODEL...
 *       holds one session per model, runs each once, prints peak RSS.
 *   nn dump MODEL                            the planned graph, one line a node
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "dev.h"
#include "shualian/nn.h"
#include "nn/nn_int.h"     /* nn dump: the planned graph */
/* FMA ceiling of one core: 12 independent accumulators in registers
 * (covers FMA latency x throughput), explicit FMA instructions. */
#if defined(__x86_64__)
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

#endif /* __x86_64__ */

static int cmd_fma(int argc, char **argv)
{
#if !defined(__x86_64__)
    (void)argc;
    (void)argv;
    return sl_cli_fail(SL_ERR_UNSUPPORTED, "nn fma", "needs x86-64 with AVX2+FMA");
#else
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
#endif
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


int dev_nn(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "fma") == 0)
        return cmd_fma(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "hold") == 0)
        return cmd_hold(argc - 1, argv + 1);
    if (argc == 3 && strcmp(argv[1], "dump") == 0) {
        char err[256];
        sl_nn_model *m = NULL;
        sl_status st = sl_nn_model_load_file(&m, argv[2], err, sizeof err);
        if (st)
            return sl_cli_fail(st, "nn dump", "%s", err);
        sl__nn_dump(m, stdout);
        sl_nn_model_free(m);
        return SL_EXIT_OK;
    }
    bool help = sl_cli_wants_help(argc, argv);
    fputs("usage: shualian-dev nn fma [--seconds S]\n"
          "       shualian-dev nn hold [--backend B] [--threads N] MODEL...\n"
          "       shualian-dev nn dump MODEL\n", help ? stdout : stderr);
    return help ? SL_EXIT_OK : SL_EXIT_USAGE;
}
