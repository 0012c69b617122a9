/*
 * face_opts.c -- parsing of the options shared by the face-engine
 * subcommands and `shualian-dev eval` (face_opts.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "face_opts.h"

void sl_cli_fe_help(void)
{
    printf("\ncommon options:\n"
           "  --models DIR        model folder (default ./models or $SL_MODELS)\n"
           "  --backend NAME      nn backend: ref or xnnpack\n"
           "  --annotate OUT.png  draw boxes and landmarks into a copy of the image\n"
           "  --flip | --no-flip  flip fusion: also embed the mirrored crop (2x time; off)\n"
           "  --feature-rgb       R,G,B planes into the embedding model (default B,G,R)\n"
           "  --det-fit letterbox|squash   --nms iou|package   --det-score X\n"
           "  --nms-iou X         --no-pad   --min-face PX   --refine N\n"
           "  --live-bgr|--live-rgb   --live-class N   --live-scale X   --no-antialias\n"
           "  --pts5 pipeline|mean6   5-point rule for the alignment\n"
           "  --no-model-check    do not compare the model files with the shipped SHA-256\n"
           "                      sums (for custom models)\n");
}

/* The options that take a value (the flags are matched in the parser). */
static bool takes_value(const char *a)
{
    static const char *const names[] = {
        "--models", "--backend", "--annotate", "--preset", "--threshold", "--calib",
        "--mode", "--template", "--faces", "--pairs", "--pad", "--json", "--plot",
        "--roc", "--cache", "--calib-out", "--quality", "--quality-min-side", "--threads",
        "--pad-threshold", "--det-fit", "--nms", "--det-score", "--nms-iou", "--min-face",
        "--refine", "--pts5", "--live-class", "--live-scale",
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(names); i++)
        if (strcmp(a, names[i]) == 0)
            return true;
    return false;
}

/* Parses options common to the subcommands; positional arguments go to
 * o->pos ("--" ends the options). Returns -1 when fine, else the exit code
 * to return. */
int sl_cli_fe_parse(struct fe_opts *o, int argc, char **argv, const char *cmd)
{
    memset(o, 0, sizeof(*o));
    o->cfg = sl_face_config_default();
    o->preset = "verify";
    o->threshold = "far:1e-3";
    o->mode = "live";
    o->threads = 2;
    o->quality_min_side = -1;
    o->pad_threshold = NAN;
    bool opts_done = false;
    /* the library reads no environment: the variables are mapped here, and
     * --models / --calib override them */
    const char *env = getenv("SL_MODELS");
    o->models = env && *env ? env : NULL;
    env = getenv("SL_CALIB");
    o->calib = env && *env ? env : NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d;
        long n;
        if (!opts_done && strcmp(a, "--") == 0) {
            opts_done = true;           /* the rest are operands, e.g. "-x.jpg" */
            continue;
        }
        if (opts_done || a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->npos >= (int)SL_ARRAY_LEN(o->pos))
                return sl_cli_usage_error(cmd, "too many arguments");
            o->pos[o->npos++] = a;
            continue;
        }
        /* flags without a value */
        if (strcmp(a, "--no-flip") == 0) { o->cfg.flip = false; continue; }
        if (strcmp(a, "--flip") == 0) { o->cfg.flip = true; continue; }
        if (strcmp(a, "--feature-rgb") == 0) { o->cfg.feature_bgr = false; continue; }
        if (strcmp(a, "--no-pad") == 0) { o->cfg.det_pad = false; continue; }
        if (strcmp(a, "--live-bgr") == 0) { o->cfg.live_bgr = true; continue; }
        if (strcmp(a, "--live-rgb") == 0) { o->cfg.live_bgr = false; continue; }
        if (strcmp(a, "--all") == 0) { o->all = true; continue; }
        if (strcmp(a, "--attributes") == 0) { o->attributes = true; continue; }
        if (strcmp(a, "--no-antialias") == 0) { o->cfg.antialias = false; continue; }
        if (strcmp(a, "--no-model-check") == 0) { o->no_model_check = true; continue; }
        if (!takes_value(a))
            return sl_cli_usage_error(cmd, "unknown option %s", a);
        if (!v)
            return sl_cli_usage_error(cmd, "missing value after %s", a);
        i++;
        if (strcmp(a, "--backend") == 0 && strcmp(v, "ref") != 0 && strcmp(v, "xnnpack") != 0)
            return sl_cli_usage_error(cmd, "--backend is ref or xnnpack, not '%s'", v);
        if (strcmp(a, "--models") == 0) o->models = v;
        else if (strcmp(a, "--backend") == 0) o->backend = v;
        else if (strcmp(a, "--annotate") == 0) o->annotate = v;
        else if (strcmp(a, "--preset") == 0 &&
                 (strcmp(v, "enrol") == 0 || strcmp(v, "verify") == 0)) o->preset = v;
        else if (strcmp(a, "--threshold") == 0) o->threshold = v;
        else if (strcmp(a, "--calib") == 0) o->calib = v;
        else if (strcmp(a, "--mode") == 0) o->mode = v;
        else if (strcmp(a, "--template") == 0) o->template_out = v;
        else if (strcmp(a, "--faces") == 0) o->faces = v;
        else if (strcmp(a, "--pairs") == 0) o->pairs = v;
        else if (strcmp(a, "--pad") == 0) o->pad = v;
        else if (strcmp(a, "--json") == 0) o->json_out = v;
        else if (strcmp(a, "--plot") == 0) o->plot = v;
        else if (strcmp(a, "--roc") == 0) o->roc = v;
        else if (strcmp(a, "--cache") == 0) o->cache = v;
        else if (strcmp(a, "--calib-out") == 0) o->calib_out = v;
        else if (strcmp(a, "--quality") == 0 &&
                 (strcmp(v, "enrol") == 0 || strcmp(v, "verify") == 0)) o->quality_gate = v;
        else if (strcmp(a, "--quality-min-side") == 0 && sl_cli_parse_long(v, 0, 100000, &n))
            o->quality_min_side = n;
        else if (strcmp(a, "--threads") == 0 && sl_cli_parse_long(v, 1, 64, &n))
            o->threads = n;
        else if (strcmp(a, "--pad-threshold") == 0 && sl_cli_parse_double(v, &d) && d >= 0 && d <= 1)
            o->pad_threshold = d;
        else if (strcmp(a, "--det-fit") == 0 && strcmp(v, "letterbox") == 0)
            o->cfg.det_fit = SL_DET_LETTERBOX;
        else if (strcmp(a, "--det-fit") == 0 && strcmp(v, "squash") == 0)
            o->cfg.det_fit = SL_DET_SQUASH;
        else if (strcmp(a, "--nms") == 0 && strcmp(v, "iou") == 0)
            o->cfg.nms = SL_NMS_IOU;
        else if (strcmp(a, "--nms") == 0 && strcmp(v, "package") == 0)
            o->cfg.nms = SL_NMS_PACKAGE;
        else if (strcmp(a, "--det-score") == 0 && sl_cli_parse_double(v, &d) && d > 0 && d < 1)
            o->cfg.det_score = (float)d;
        else if (strcmp(a, "--nms-iou") == 0 && sl_cli_parse_double(v, &d) && d > 0 && d <= 1)
            o->cfg.nms_iou = (float)d;
        else if (strcmp(a, "--min-face") == 0 && sl_cli_parse_double(v, &d) && d >= 0)
            o->cfg.min_face_px = (float)d;
        else if (strcmp(a, "--refine") == 0 && sl_cli_parse_long(v, 0, 2, &n))
            o->cfg.refine = (uint8_t)n;
        else if (strcmp(a, "--pts5") == 0 && strcmp(v, "pipeline") == 0)
            o->cfg.pts5 = SL_FACE_PTS5_PIPELINE;
        else if (strcmp(a, "--pts5") == 0 && strcmp(v, "mean6") == 0)
            o->cfg.pts5 = SL_FACE_PTS5_MEAN6;
        else if (strcmp(a, "--live-class") == 0 && sl_cli_parse_long(v, 0, 2, &n))
            o->cfg.live_class = (uint8_t)n;
        else if (strcmp(a, "--live-scale") == 0 && sl_cli_parse_double(v, &d) && d >= 1 && d <= 8)
            o->cfg.live_scale = (float)d;
        else
            return sl_cli_usage_error(cmd, "bad option or value: %s %s", a, v);
    }
    return -1;
}

