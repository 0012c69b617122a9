/*
 * img_bench.c -- `shualian-dev img bench [--runs N] FILE...`: decode,
 * resize and warp timing, fast kernels vs the plain-C references
 * (bench/img.sh; docs/img.md), moved out of the product CLI.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev.h"
#include "img/img.h"


static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Median of runs, in microseconds. */
static double median_us(uint64_t *ns, long runs)
{
    qsort(ns, (size_t)runs, sizeof(*ns), cmp_u64);
    return (double)ns[runs / 2] / 1e3;
}

enum bench_op { B_RESIZE, B_RESIZE_REF, B_WARP, B_WARP_REF };

static sl_status bench_op(enum bench_op op, struct sl_image *dst,
                          const struct sl_image *src, const float m[6])
{
    switch (op) {
    case B_RESIZE:
        return sl_image_resize_into(dst, src);
    case B_RESIZE_REF:
        return sl__image_resize_ref(dst, src);
    case B_WARP:
        return sl_image_warp_affine(dst, src, m, 0);
    default:
        return sl__image_warp_affine_ref(dst, src, m, 0);
    }
}

static int img_bench(int argc, char **argv)
{
    static const char help[] =
        "usage: shualian-dev img bench [--runs N] FILE...\n\n"
        "Times (median of N runs, default 50) the decode of each FILE, and on\n"
        "the first one: resize to 320x240 (fast path and the reference), warp\n"
        "to 112x112 (fast and reference). The kernel set is chosen from the\n"
        "CPU; SL_CPU_DISABLE=avx512,avx2 forces the plain-C kernels.\n";
    if (sl_cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return SL_EXIT_OK;
    }
    struct { struct sl_image_limits lim; long runs; } o = {
        .lim = sl_image_limits_default(), .runs = 50 };
    const char *pos[16];
    int npos = 0, rc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, 100000, &o.runs))
                return sl_cli_usage_error("img bench", "--runs takes 1..100000");
        } else if (argv[i][0] == '-' || npos >= 16) {
            return sl_cli_usage_error("img bench", "unexpected argument '%s'", argv[i]);
        } else {
            pos[npos++] = argv[i];
        }
    }
    if (npos < 1)
        return sl_cli_usage_error("img bench", "expected at least one FILE");
    uint64_t *ns = calloc((size_t)o.runs, sizeof(*ns));
    json_t *res = json_object(), *dec = json_array();
    struct sl_image *first = NULL;
    if (!ns || !res || !dec) {
        rc = sl_cli_fail(SL_ERR_NOMEM, "img bench", NULL);
        goto out;
    }
    char cpu[128];
    json_object_set_new(res, "cpu", json_string(sl_cpu_describe(cpu, sizeof(cpu))));
    json_object_set_new(res, "kernels", json_string(sl__img_kernels_name()));
    json_object_set_new(res, "runs", json_integer(o.runs));
    json_object_set_new(res, "decode", dec);
    for (int f = 0; f < npos; f++) {
        uint8_t *b;
        size_t n;
        if ((rc = sl_cli_read_file("img bench", pos[f], o.lim.max_bytes, &b, &n)) >= 0)
            goto out;
        sl_status st = SL_OK;
        struct sl_image *img = NULL;
        for (long r = 0; r < o.runs && st == SL_OK; r++) {
            sl_image_free(img);
            img = NULL;
            uint64_t t0 = sl_time_mono_ns();
            st = sl_image_decode(b, n, &o.lim, 3, &img, NULL);
            ns[r] = sl_time_mono_ns() - t0;
        }
        sl__free(b);
        if (st != SL_OK) {
            rc = sl_cli_fail(st, "img bench", "%s: decode failed", pos[f]);
            goto out;
        }
        json_array_append_new(dec, json_pack("{s:o,s:i,s:i,s:o}", "file", sl_json_text(pos[f]),
                                             "width", (int)img->width, "height",
                                             (int)img->height, "median_us",
                                             sl_json_real(median_us(ns, o.runs), 4)));
        if (!first)
            first = img;
        else
            sl_image_free(img);
    }
    /* a face-alignment-like similarity: 180 px box, 10 degrees, to 112 */
    float s = 180.0f / 112.0f, a = 10.0f * 3.14159265f / 180.0f;
    float m[6] = { s * cosf(a), -s * sinf(a), first->width / 2.0f - 60,
                   s * sinf(a), s * cosf(a), first->height / 2.0f - 90 };
    static const struct { const char *name; enum bench_op op; uint32_t w, h; } ops[] = {
        { "resize_320x240_us", B_RESIZE, 320, 240 },
        { "resize_320x240_ref_us", B_RESIZE_REF, 320, 240 },
        { "resize_960x640_us", B_RESIZE, 960, 640 },
        { "resize_960x640_ref_us", B_RESIZE_REF, 960, 640 },
        { "warp_112x112_us", B_WARP, 112, 112 },
        { "warp_112x112_ref_us", B_WARP_REF, 112, 112 },
        { "warp_320x240_us", B_WARP, 320, 240 },
        { "warp_320x240_ref_us", B_WARP_REF, 320, 240 },
    };
    json_object_set_new(res, "source", json_pack("[i,i]", (int)first->width,
                                                 (int)first->height));
    for (size_t i = 0; i < SL_ARRAY_LEN(ops); i++) {
        struct sl_image *d = NULL;
        sl_status st = sl_image_new(&d, ops[i].w, ops[i].h, 3);
        long runs = (ops[i].op == B_RESIZE_REF && o.runs > 5) ? 5 : o.runs;
        for (long r = 0; r < runs && st == SL_OK; r++) {
            uint64_t t0 = sl_time_mono_ns();
            st = bench_op(ops[i].op, d, first, m);
            ns[r] = sl_time_mono_ns() - t0;
        }
        sl_image_free(d);
        if (st != SL_OK) {
            rc = sl_cli_fail(st, "img bench", "%s failed", ops[i].name);
            goto out;
        }
        json_object_set_new(res, ops[i].name, sl_json_real(median_us(ns, runs), 4));
    }
    rc = sl_cli_print(res);
    res = NULL;
out:
    json_decref(res);
    sl_image_free(first);
    free(ns);
    return rc;
}

int dev_img(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "bench") == 0)
        return img_bench(argc - 1, argv + 1);
    fputs("usage: shualian-dev img bench [--runs N] FILE...\n",
          argc < 2 || !sl_cli_wants_help(argc, argv) ? stderr : stdout);
    return argc >= 2 && sl_cli_wants_help(argc, argv) ? SL_EXIT_OK : SL_EXIT_USAGE;
}
