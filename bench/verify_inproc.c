/*
 * verify_inproc.c -- the in-process reference for `make bench-serve`: the
 * same 1:1 verdict the server's /v1/faces/compare computes
 * (sl_face_verify on two decoded images), timed on one thread without HTTP,
 * base64 or JSON. Prints {"runs","median_ms","per_s"}.
 *   build/bench-verify MODELS A.jpg B.jpg RUNS
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/base.h"
#include "shualian/engine.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 5)
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
    for (int k = 0; k < 2; k++) {
        uint8_t *buf = NULL;
        size_t len = 0;
        if (sl__read_file(argv[2 + k], 64 << 20, &buf, &len) != SL_OK ||
            sl_face_input_decode(buf, len, &in[k]) != SL_OK) {
            fprintf(stderr, "cannot read %s\n", argv[2 + k]);
            return 1;
        }
        sl__free(buf);
    }
    sl_face_verify_opts vo = sl_face_verify_opts_default();
    sl_face_verdict *v = sl__malloc(sizeof *v);
    double *ms = sl__calloc((size_t)runs, sizeof *ms);
    if (!v || !ms)
        return 1;
    for (int i = 0; i < runs; i++) {
        uint64_t t0 = sl_time_mono_ns();
        if (sl_face_verify(s, &in[0], &in[1], &vo, v) != SL_OK)
            return 1;
        ms[i] = (double)(sl_time_mono_ns() - t0) / 1e6;
    }
    qsort(ms, (size_t)runs, sizeof *ms, cmp);
    double med = ms[runs / 2];
    printf("{\"runs\":%d,\"median_ms\":%.2f,\"per_s\":%.1f,\"match\":%s}\n", runs, med,
           1000.0 / med, v->decision.match ? "true" : "false");
    sl__free(ms);
    sl__free(v);
    sl_face_input_clear(&in[0]);
    sl_face_input_clear(&in[1]);
    sl_face_session_free(s);
    sl_face_engine_free(e);
    return 0;
}
