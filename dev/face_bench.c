/*
 * face_bench.c -- `shualian-dev face bench`: timing of the largest-face
 * pipeline per stage (bench/face.sh; docs/face.md "Speed"), moved out of
 * the product program. The engine set-up and image load are the few lines
 * the face commands use too (cli/cmd_face_engine.c keeps its own, static).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev.h"
#include "../cli/face_opts.h"
#include "shualian/engine.h"
#include "shualian/face_json.h"
#include "shualian/face.h"
#include "shualian/image.h"
#include "shualian/nn.h"

static int open_engine(sl_face_engine **e, sl_face_session **s, const struct fe_opts *o,
                       uint32_t models, const char *cmd)
{
    char err[512] = "";
    sl_face_engine_opts eo = { .models_dir = o->models, .models = models,
                               .backend = o->backend, .threads = 1,
                               .skip_model_check = o->no_model_check };
    sl_status st = sl_face_engine_new(e, &eo, err, sizeof(err));
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "%s", err[0] ? err : sl_status_str(st));
    if ((st = sl_face_session_new(s, *e)) != SL_OK) {
        sl_face_engine_free(*e);
        *e = NULL;
        return sl_cli_fail(st, cmd, "cannot create the engine session");
    }
    return -1;
}

static int load_image(struct sl_image **img, const char *path, const char *cmd)
{
    uint8_t *buf;
    size_t len;
    int rc = sl_cli_read_file(cmd, path, SL_IMAGE_DEFAULT_MAX_BYTES, &buf, &len);
    if (rc >= 0)
        return rc;
    sl_status st = sl_image_decode(buf, len, NULL, 3, img, NULL);
    sl_free(buf);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "%s: %s", path, sl_status_str(st));
    return -1;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* `shualian-dev face bench IMAGE... [--runs N] [--dump DIR]`: median wall time of the
 * largest-face pipeline (detect incl. resize, landmarks, align, embed,
 * passive liveness) per image on one thread, from decoded pixels; --dump
 * writes each decoded image as DIR/<k>.rgb (8-byte header: u32 width,
 * u32 height, little-endian; then RGB rows) for the ORT peer. */
int dev_face_bench(int argc, char **argv)
{
    const char *cmd = "face bench";
    if (sl_cli_wants_help(argc, argv)) {
        printf("usage: shualian-dev face bench IMAGE... [--runs N] [--dump DIR] [options]\n\n"
               "Times the largest-face pipeline (detect incl. resize, landmarks, align,\n"
               "embed, passive liveness) on one thread from decoded pixels; prints the\n"
               "median per image and per stage. --dump DIR writes the decoded pixels\n"
               "(DIR/<k>.rgb: u32 width, u32 height, RGB rows) for the ORT peer.\n");
        sl_cli_fe_help();
        return SL_EXIT_OK;
    }
    long runs = 30;
    const char *dump = NULL;
    /* pull our own options out before the common parser */
    char *rest[64];
    int nrest = 0;
    for (int i = 0; i < argc && nrest < 64; i++) {
        if (i > 0 && strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            if (!sl_cli_parse_long(argv[++i], 1, 100000, &runs))
                return sl_cli_usage_error(cmd, "bad --runs");
        } else if (i > 0 && strcmp(argv[i], "--dump") == 0 && i + 1 < argc) {
            dump = argv[++i];
        } else {
            rest[nrest++] = argv[i];
        }
    }
    struct fe_opts o;
    int rc = sl_cli_fe_parse(&o, nrest, rest, cmd);
    if (rc >= 0)
        return rc;
    if (o.npos < 1)
        return sl_cli_usage_error(cmd, "at least one image is expected");
    sl_face_engine *e = NULL;
    sl_face_session *s = NULL;
    double *t = NULL;
    json_t *out = NULL, *imgs = NULL;
    if ((rc = open_engine(&e, &s, &o, SL_FM_CORE | SL_FM_BIT(SL_FM_LIVENESS), cmd)) >= 0)
        return rc;
    if (!(t = sl__malloc((size_t)runs * sizeof(double))) || !(imgs = json_array())) {
        rc = sl_cli_fail(SL_ERR_NOMEM, cmd, NULL);
        goto out;
    }
    double all = 0;
    for (int k = 0; k < o.npos; k++) {
        struct sl_image *img = NULL;
        if ((rc = load_image(&img, o.pos[k], cmd)) >= 0)
            goto out;
        if (dump) {
            char p[4096];
            snprintf(p, sizeof(p), "%s/%d.rgb", dump, k);
            FILE *f = fopen(p, "wb");
            uint32_t hd[2] = { img->width, img->height };
            bool ok = f && fwrite(hd, 4, 2, f) == 2;
            for (uint32_t y = 0; ok && y < img->height; y++)
                ok = fwrite(img->data + y * img->stride, 1, (size_t)img->width * 3, f) ==
                     (size_t)img->width * 3;
            if (f)
                ok = fclose(f) == 0 && ok;
            if (!ok) {
                sl_image_free(img);
                rc = sl_cli_fail(SL_ERR_IO, cmd, "cannot write %s", p);
                goto out;
            }
        }
        /* the stages of sl_face_process, timed one by one */
        sl_face_result r;
        memset(&r, 0, sizeof(r));
        double *st_t = sl__malloc((size_t)runs * 5 * sizeof(double));
        struct sl_image *crop = NULL;
        sl_status st = st_t ? sl_image_new(&crop, 112, 112, 3) : SL_ERR_NOMEM;
        for (long i = -3; i < runs && st == SL_OK; i++) {
            uint64_t c0 = sl_time_mono_ns(), c1, c2, c3, c4, c5;
            size_t n = 0;
            st = sl_face_detect(s, img, &o.cfg, &r.box, 1, &n);
            c1 = sl_time_mono_ns();
            if (st != SL_OK || n == 0) {
                st = st == SL_OK ? SL_NO_FACE : st;
                break;
            }
            if ((st = sl_face_landmarks(s, img, &r.box, &o.cfg, r.lm)) == SL_OK)
                st = sl_face_points5(r.pts5, r.lm, (enum sl_face_pts5_rule)o.cfg.pts5);
            c2 = sl_time_mono_ns();
            if (st == SL_OK)
                st = sl_face_align(crop, img, r.pts5);
            c3 = sl_time_mono_ns();
            if (st == SL_OK)
                st = sl_face_embed_crop(s, crop, &o.cfg, r.emb);
            c4 = sl_time_mono_ns();
            if (st == SL_OK)
                st = sl_face_liveness(s, img, &r.box, &o.cfg, &r.live_score, NULL, NULL);
            c5 = sl_time_mono_ns();
            if (i >= 0) {
                t[i] = (double)(c5 - c0) / 1e6;
                double *q = st_t + (size_t)i * 5;
                q[0] = (double)(c1 - c0) / 1e6;
                q[1] = (double)(c2 - c1) / 1e6;
                q[2] = (double)(c3 - c2) / 1e6;
                q[3] = (double)(c4 - c3) / 1e6;
                q[4] = (double)(c5 - c4) / 1e6;
            }
        }
        sl_image_free(crop);
        if (st != SL_OK && st != SL_NO_FACE) {
            sl__free(st_t);
            sl_image_free(img);
            rc = sl_cli_fail(st, cmd, "%s: %s", o.pos[k], sl_status_str(st));
            goto out;
        }
        json_t *stages = json_object();
        static const char *const names[5] = { "detect_ms", "landmarks_ms", "align_ms",
                                              "embed_ms", "liveness_ms" };
        for (int q = 0; st == SL_OK && q < 5; q++) {
            double col[4096];
            long m = SL_MIN(runs, 4096L);
            for (long i = 0; i < m; i++)
                col[i] = st_t[(size_t)i * 5 + q];
            qsort(col, (size_t)m, sizeof(double), cmp_dbl);
            json_object_set_new(stages, names[q], sl_json_real(col[m / 2], 4));
        }
        sl__free(st_t);
        if (st == SL_NO_FACE)
            t[runs / 2] = NAN;
        else
            qsort(t, (size_t)runs, sizeof(double), cmp_dbl);
        double med = t[runs / 2];
        all += isfinite(med) ? med : 0;
        json_t *row = json_pack("{s:o, s:i, s:i, s:b, s:o, s:o, s:o, s:o}", "image",
                                sl_json_text(o.pos[k]),
                                "width", (int)img->width, "height", (int)img->height,
                                "face", st == SL_OK, "median_ms", sl_json_real(med, 4),
                                "min_ms", sl_json_real(st == SL_OK ? t[0] : NAN, 4),
                                "live_score", sl_json_real(st == SL_OK ? r.live_score : NAN, 5),
                                "stages", stages);
        if (st == SL_OK) {
            json_object_set_new(row, "box", sl_face_box_json(&r.box));
            json_t *ea = json_array();
            for (int i = 0; ea && i < 8; i++)
                json_array_append_new(ea, sl_json_real(r.emb[i], 6));
            json_object_set_new(row, "emb8", ea);
        }
        json_array_append_new(imgs, row);
        sl_image_free(img);
    }
    out = json_pack("{s:s, s:i, s:b, s:I, s:o, s:o}", "backend", sl_nn_backends(), "threads", 1,
                    "flip", o.cfg.flip, "runs", (json_int_t)runs,
                    "mean_of_medians_ms", sl_json_real(all / o.npos, 4), "images", imgs);
    imgs = NULL;
    rc = sl_cli_print(out);
    out = NULL;
out:
    json_decref(imgs);
    json_decref(out);
    sl__free(t);
    sl_face_session_free(s);
    sl_face_engine_free(e);
    return rc;
}
