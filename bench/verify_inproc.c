/*
 * verify_inproc.c -- the in-process reference for `make bench-serve`: the
 * same 1:1 verdict the server's /v1/faces/compare computes
 * (sl_face_verify on two images), timed on one thread without HTTP,
 * base64 or JSON. Prints {"runs","median_ms","per_s","mode"}.
 *   build/bench-verify MODELS A.jpg B.jpg RUNS [decoded|bytes]
 * decoded (default): the images are decoded once, only the verdict is timed.
 * bytes: each run starts from the JPEG bytes (sl_face_input_decode of both,
 * then sl_face_verify) -- what a program linking the library does with the
 * bytes a camera or an upload hands it, and what the server does per request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "shualian/engine.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6)
        return 2;
    bool from_bytes = argc == 6 && strcmp(argv[5], "bytes") == 0;
    if (argc == 6 && !from_bytes && strcmp(argv[5], "decoded") != 0)
        return 2;
    int runs = atoi(argv[4]);
    if (runs < 1 || runs > 10000)
        return 2;
    sl_face_engine_opts eo = sl_face_engine_opts_default();
    eo.models_dir = argv[1];
    eo.models = SL_FM_CORE | SL_FM_BIT(SL_FM_POSE) | SL_FM_BIT(SL_FM_EYE);
    sl_face_engine *e = NULL;
    sl_face_session *s = NULL;
    char err[256] = "";
    if (sl_face_engine_new(&e, &eo, err, sizeof err) != SL_OK ||
        sl_face_session_new(&s, e) != SL_OK) {
        fprintf(stderr, "engine: %s\n", err);
        return 1;
    }
    sl_face_input in[2] = { { NULL, NULL }, { NULL, NULL } };
    uint8_t *buf[2] = { NULL, NULL };
    size_t len[2] = { 0, 0 };
    for (int k = 0; k < 2; k++) {
        if (sl__read_file(argv[2 + k], 64 << 20, &buf[k], &len[k]) != SL_OK ||
            sl_face_input_decode(buf[k], len[k], &in[k]) != SL_OK) {
            fprintf(stderr, "cannot read %s\n", argv[2 + k]);
            return 1;
        }
    }
    sl_face_verify_opts vo = sl_face_verify_opts_default();
    sl_face_verdict *v = sl__malloc(sizeof *v);
    double *ms = sl__calloc((size_t)runs, sizeof *ms);
    if (!v || !ms)
        return 1;
    for (int i = 0; i < runs; i++) {
        uint64_t t0 = sl_time_mono_ns();
        if (from_bytes)
            for (int k = 0; k < 2; k++) {
                sl_face_input_clear(&in[k]);
                if (sl_face_input_decode(buf[k], len[k], &in[k]) != SL_OK)
                    return 1;
            }
        if (sl_face_verify(s, &in[0], &in[1], &vo, v) != SL_OK)
            return 1;
        ms[i] = (double)(sl_time_mono_ns() - t0) / 1e6;
    }
    double total = 0;
    for (int i = 0; i < runs; i++)
        total += ms[i];
    qsort(ms, (size_t)runs, sizeof *ms, cmp);
    double med = ms[runs / 2];
    /* per_s is throughput (runs over their summed time), as wrk's
     * requests/s is; per_s_median (1000 / median) ignores the slow tail */
    printf("{\"runs\":%d,\"median_ms\":%.2f,\"mean_ms\":%.2f,\"per_s\":%.1f,"
           "\"per_s_median\":%.1f,\"match\":%s,\"mode\":\"%s\"}\n",
           runs, med, total / runs, 1000.0 * runs / total, 1000.0 / med,
           v->decision.match ? "true" : "false", from_bytes ? "bytes" : "decoded");
    sl__free(buf[0]);
    sl__free(buf[1]);
    sl__free(ms);
    sl__free(v);
    sl_face_input_clear(&in[0]);
    sl_face_input_clear(&in[1]);
    sl_face_session_free(s);
    sl_face_engine_free(e);
    return 0;
}
