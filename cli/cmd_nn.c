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
 * The probes for benchmarks (nn fma, hold, dump) are in shualian-dev
 * (dev/nn_probe.c).
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
    st = sl_file_read(input, want * sizeof(float), &in, &inlen);
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
    outs = calloc((size_t)no, sizeof *outs);
    ocount = calloc((size_t)no, sizeof *ocount);
    if (!outs || !ocount)
        goto nomem;
    for (int i = 0; i < no; i++) {
        ocount[i] = sl_nn_model_output_size(m, i);
        outs[i] = malloc(ocount[i] * sizeof(float) + 1);
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
            st = sl_file_write(path, outs[i], ocount[i] * sizeof(float));
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
        times = calloc((size_t)repeat, sizeof *times);
        if (!times) {
            json_decref(o);
            goto nomem;
        }
        for (int w = 0; w < 3; w++)
            if (sl_nn_session_run(s, &inp, &want, outs, ocount))
                break;
        if (profile)
            sl_nn_session_set_profile(s, 1);
        uint64_t a0 = sl_alloc_count();
        for (long r = 0; r < repeat; r++) {
            uint64_t t0 = sl_time_mono_ns();
            st = sl_nn_session_run(s, &inp, &want, outs, ocount);
            times[r] = (double)(sl_time_mono_ns() - t0) / 1e6;
            if (st)
                break;
        }
        uint64_t allocs = sl_alloc_count() - a0;
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
            free(outs[i]);
    free(outs);
    free(ocount);
    free(times);
    sl_free(in);
    sl_nn_session_free(s);
    sl_nn_model_free(m);
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
    return sl_cli_usage_error("nn", "unknown subcommand '%s'", argv[1]);
}
