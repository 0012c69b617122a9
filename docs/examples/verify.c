/* verify.c -- 1:1 face verification with libshualian (docs/api.md).
 * cc -std=c17 verify.c $(pkg-config --cflags --libs shualian) -o verify
 * ./verify MODELS_DIR a.jpg b.jpg   (a template file works for a or b) */
#include <stdio.h>
#include <stdlib.h>
#include <shualian/engine.h>
#include <shualian/face.h>

static sl_status load(const char *path, sl_face_input *in)
{
    FILE *f = fopen(path, "rb");
    static uint8_t buf[16 << 20];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    return n ? sl_face_input_decode(buf, n, in) : SL_ERR_IO;
}

int main(int argc, char **argv)
{
    if (argc != 4) { fprintf(stderr, "usage: verify MODELS a.jpg b.jpg\n"); return 2; }
    sl_face_engine_opts o = sl_face_engine_opts_default();
    o.models_dir = argv[1];
    sl_face_engine *e = NULL;            /* owned: sl_face_engine_free   */
    sl_face_session *s = NULL;           /* owned: sl_face_session_free  */
    sl_face_input a = { 0 }, b = { 0 };  /* owned: sl_face_input_clear   */
    sl_face_verdict v;
    sl_face_verify_opts vo = sl_face_verify_opts_default();
    char err[256] = "", *json = NULL;
    size_t len = 0;
    sl_status st = sl_face_engine_new(&e, &o, err, sizeof err);
    if (st == SL_OK) st = sl_face_session_new(&s, e);
    if (st == SL_OK) st = load(argv[2], &a);
    if (st == SL_OK) st = load(argv[3], &b);
    if (st == SL_OK) st = sl_face_verify(s, &a, &b, &vo, &v);
    if (st == SL_OK) st = sl_face_verdict_to_json(&v, argv[2], argv[3], &json, &len);
    if (st == SL_OK) printf("%s\n", json);
    else fprintf(stderr, "verify: %s (%s) %s\n", sl_status_name(st), sl_status_str(st), err);
    sl_face_free(json);                  /* every free accepts NULL      */
    sl_face_input_clear(&a);
    sl_face_input_clear(&b);
    sl_face_session_free(s);
    sl_face_engine_free(e);
    return st == SL_OK ? (v.decision.match ? 0 : 1) : 3;
}
