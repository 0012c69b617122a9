/*
 * face_pose_eval.c -- `shualian-dev face pose-eval [--models DIR] LIST`:
 * the head-pose sources measured against each other on photos (docs/face.md,
 * "Head pose: which source per angle"). LIST holds one image path a line.
 * For each image and its mirror image it prints one TSV line:
 *   path  mirrored  yaw pitch roll (fr_pose, R,G,B planes)
 *         yaw pitch roll (fr_pose, B,G,R planes)  geometric_yaw  nose_offset
 *         eye_line_roll  interocular  landmarks_fit (0/1)
 * (NAN when there is no face). A correct estimator gives yaw(mirror) =
 * -yaw, pitch(mirror) = pitch, roll(mirror) = -roll; bench/pose_eval.py
 * turns the lines into the tables.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev.h"
#include "face/pose_geom.h"
#include "shualian/engine.h"
#include "shualian/face.h"
#include "shualian/image.h"

static void mirror(struct sl_image *im)
{
    uint32_t c = im->channels;
    for (uint32_t y = 0; y < im->height; y++) {
        uint8_t *row = im->data + y * im->stride;
        for (uint32_t a = 0, b = im->width - 1; a < b; a++, b--)
            for (uint32_t k = 0; k < c; k++) {
                uint8_t t = row[a * c + k];
                row[a * c + k] = row[b * c + k];
                row[b * c + k] = t;
            }
    }
}

static void swap_rb(struct sl_image *im)
{
    if (im->channels != 3)
        return;
    for (uint32_t y = 0; y < im->height; y++) {
        uint8_t *row = im->data + y * im->stride;
        for (uint32_t x = 0; x < im->width; x++) {
            uint8_t t = row[3 * x];
            row[3 * x] = row[3 * x + 2];
            row[3 * x + 2] = t;
        }
    }
}

static void one(sl_face_session *s, const char *path, struct sl_image *img, int mir)
{
    sl_face_config cfg = sl_face_config_default();
    sl_face_result *r = sl__malloc(sizeof *r);
    float bgr[3] = { NAN, NAN, NAN };
    size_t n = 0;
    if (!r)
        return;
    sl_status st = sl_face_process(s, img, &cfg, SL_FACE_DO_POSE, r, 1, &n, NULL);
    if (st == SL_OK && n == 1) {
        swap_rb(img);
        if (sl_face_pose(s, img, &r->box, bgr) != SL_OK)
            bgr[0] = bgr[1] = bgr[2] = NAN;
        swap_rb(img);
        printf("%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.5f\t%.3f\t%.2f\t%d\n",
               path, mir, r->yaw, r->pitch, r->roll, bgr[0], bgr[1], bgr[2],
               sl__face_yaw_geom_deg(r->lm), sl__face_nose_offset(r->lm),
               sl_face_roll_deg(r->pts5), r->interocular,
               sl__face_landmarks_fit(r->lm, &r->box));
    } else {
        printf("%s\t%d\tnan\tnan\tnan\tnan\tnan\tnan\tnan\tnan\tnan\tnan\t0\n", path, mir);
    }
    sl__free(r);
}

static int pose_eval(int argc, char **argv)
{
    sl_face_engine_opts eo = { .models = SL_FM_BIT(SL_FM_DETECT) |
                               SL_FM_BIT(SL_FM_LANDMARK) | SL_FM_BIT(SL_FM_POSE) };
    const char *list = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--models") == 0 && i + 1 < argc)
            eo.models_dir = argv[++i];
        else if (argv[i][0] != '-' && !list)
            list = argv[i];
        else
            return sl_cli_usage_error("face pose-eval", "unexpected '%s'", argv[i]);
    }
    if (!list)
        return sl_cli_usage_error("face pose-eval", "LIST required");
    FILE *f = fopen(list, "r");
    if (!f)
        return sl_cli_fail(SL_ERR_IO, "face pose-eval", "%s", list);
    char err[256];
    sl_face_engine *e = NULL;
    sl_face_session *s = NULL;
    sl_status st = sl_face_engine_new(&e, &eo, err, sizeof err);
    if (st == SL_OK)
        st = sl_face_session_new(&s, e);
    if (st != SL_OK) {
        fclose(f);
        sl_face_engine_free(e);
        return sl_cli_fail(st, "face pose-eval", "%s", err);
    }
    struct sl_image_limits lim = sl_image_limits_default();
    char path[4096];
    while (fgets(path, sizeof path, f)) {
        path[strcspn(path, "\r\n")] = 0;
        uint8_t *buf = NULL;
        size_t len = 0;
        struct sl_image *img = NULL;
        if (!path[0] || sl__read_file(path, lim.max_bytes, &buf, &len) != SL_OK ||
            sl_image_decode(buf, len, &lim, 3, &img, NULL) != SL_OK) {
            sl__free(buf);
            continue;
        }
        sl__free(buf);
        one(s, path, img, 0);
        mirror(img);
        one(s, path, img, 1);
        sl_image_free(img);
        fflush(stdout);
    }
    fclose(f);
    sl_face_session_free(s);
    sl_face_engine_free(e);
    return SL_EXIT_OK;
}

int dev_face(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "pose-eval") == 0)
        return pose_eval(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "bench") == 0)
        return dev_face_bench(argc - 1, argv + 1);
    bool help = sl_cli_wants_help(argc, argv);
    fputs("usage: shualian-dev face pose-eval [--models DIR] LIST\n"
          "       shualian-dev face bench IMAGE... [--runs N] [--dump DIR] [options]\n",
          help ? stdout : stderr);
    return help ? SL_EXIT_OK : SL_EXIT_USAGE;
}
