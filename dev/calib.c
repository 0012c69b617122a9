/*
 * calib.c -- `shualian-dev calib build`: a calibration table from
 * genuine/impostor score files (one cosine per line, what `shualian-dev
 * eval` measures). Building is development/ops tooling (the metrics behind
 * it are internal: src/face/eval_int.h); the product reads and queries the
 * shipped table (`shualian calib query`, the engine). Format:
 * docs/calibration.md.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev.h"
#include "face/eval_int.h"

#define SCORES_MAX_BYTES ((size_t)1 << 30)

/* One cosine score per line, in [-1, 1] (blank lines and '#' comments
 * allowed). The caller frees *out with free(). */
static sl_status read_scores(const char *path, float **out, size_t *n,
                             size_t *bad_line)
{
    uint8_t *text;
    size_t len;
    sl_status st = sl_file_read(path, SCORES_MAX_BYTES, &text, &len);
    if (st != SL_OK)
        return st;
    size_t cap = 1024, cnt = 0, line = 0;
    float *v = malloc(cap * sizeof(float));
    if (!v) {
        st = SL_ERR_NOMEM;
        goto out_free_text;
    }
    for (char *p = (char *)text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl)
            *nl = 0;
        line++;
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (*p == 0 || *p == '#')
            continue;
        char *end;
        errno = 0;
        float x = strtof(p, &end);
        while (*end == ' ' || *end == '\t' || *end == '\r')
            end++;
        if (end == p || *end || errno || !isfinite(x) || x < -1 || x > 1) {
            *bad_line = line;
            st = SL_ERR_INVALID;
            goto out_free_v;
        }
        if (cnt == cap) {
            float *nv = realloc(v, 2 * cap * sizeof(float));
            if (!nv) {
                st = SL_ERR_NOMEM;
                goto out_free_v;
            }
            v = nv;
            cap *= 2;
        }
        v[cnt++] = x;
    }
    if (cnt == 0) {
        *bad_line = 0;
        st = SL_ERR_INVALID;
        goto out_free_v;
    }
    *out = v;
    *n = cnt;
    v = NULL;
out_free_v:
    free(v);
out_free_text:
    sl_free(text);
    return st;
}

static json_t *targets_json(const sl_calib_table *t)
{
    json_t *a = json_array();
    for (size_t k = 0; a && k < t->n_targets; k++)
        json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:I}",
            "far", sl_json_real(t->targets[k].far, 3),
            "threshold", sl_json_real(t->targets[k].threshold, 6),
            "frr", sl_json_real(t->targets[k].frr, 6),
            "support", (json_int_t)t->targets[k].support));
    return a;
}

static int calib_build(int argc, char **argv)
{
    const char *cmd = "calib build";
    if (sl_cli_wants_help(argc, argv)) {
        printf("usage: shualian-dev calib build --genuine G.txt --impostor I.txt --out C.json\n"
               "         [--mode live|idphoto|...] [--model ID] [--source TEXT] [--append]\n\n"
               "Score files hold one cosine per line. --append adds or replaces the\n"
               "mode's table in an existing file of the same model.\n");
        return SL_EXIT_OK;
    }
    const char *gpath = NULL, *ipath = NULL, *out = NULL, *mode = "live";
    const char *model = "fr_feature", *source = "";
    bool append = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--append") == 0) {
            append = true;
            continue;
        }
        if (!sl_cli_opt_known(a, "--genuine --impostor --out --mode --model --source"))
            return sl_cli_usage_error(cmd, "unknown option %s", a);
        if (i + 1 >= argc)
            return sl_cli_usage_error(cmd, "missing value after %s", a);
        const char *v = argv[++i];
        if (strcmp(a, "--genuine") == 0) gpath = v;
        else if (strcmp(a, "--impostor") == 0) ipath = v;
        else if (strcmp(a, "--out") == 0) out = v;
        else if (strcmp(a, "--mode") == 0) mode = v;
        else if (strcmp(a, "--model") == 0) model = v;
        else if (strcmp(a, "--source") == 0) source = v;
        else return sl_cli_usage_error(cmd, "unknown option %s", a);
    }
    if (!gpath || !ipath || !out)
        return sl_cli_usage_error(cmd, "--genuine, --impostor and --out are required");

    int rc;
    float *g = NULL, *im = NULL;
    size_t ng = 0, ni = 0, bad = 0;
    sl_calib c;
    sl_status st = sl__calib_init(&c, model, source);
    if (st != SL_OK) {
        rc = sl_cli_fail(st, cmd, "model id too long");
        goto out;
    }
    const char *paths[2] = { gpath, ipath };
    for (int k = 0; k < 2; k++) {
        bad = 0;
        st = read_scores(paths[k], k ? &im : &g, k ? &ni : &ng, &bad);
        if (st == SL_ERR_INVALID && bad)
            rc = sl_cli_fail(st, cmd, "%s: line %zu: not a cosine score in [-1, 1]", paths[k], bad);
        else if (st == SL_ERR_INVALID)
            rc = sl_cli_fail(st, cmd, "%s: no scores", paths[k]);
        else if (st != SL_OK)
            rc = sl_cli_read_fail(cmd, paths[k], st, SCORES_MAX_BYTES);
        if (st != SL_OK)
            goto out;
    }
    double gm = 0, im_mean = 0;
    for (size_t i = 0; i < ng; i++)
        gm += g[i];
    for (size_t i = 0; i < ni; i++)
        im_mean += im[i];
    gm /= (double)ng;
    im_mean /= (double)ni;
    if (gm <= im_mean) {        /* sl__calib_add refuses it too; say why here */
        rc = sl_cli_fail(SL_ERR_INVALID, cmd, "the genuine scores (mean %.4f) are not above "
                         "the impostor scores (mean %.4f): are --genuine and --impostor "
                         "swapped?", gm, im_mean);
        goto out;
    }
    if (append) {
        sl_calib old;
        st = sl_calib_load(&old, out);
        if (st == SL_OK && strcmp(old.model_id, model) != 0) {
            sl_calib_free(&old);
            rc = sl_cli_fail(SL_ERR_FACE_TEMPLATE_MISMATCH, cmd,
                             "%s is for model %s, not %s", out, old.model_id, model);
            goto out;
        }
        if (st == SL_OK) {
            c = old;
            if (source[0])
                snprintf(c.source, sizeof(c.source), "%s", source);
        } else if (SL_STATUS_PRIMARY(st) != SL_ERR_NOT_FOUND) {
            rc = sl_cli_fail(st, cmd, "cannot append to %s", out);
            goto out;
        }
    }
    if ((st = sl__calib_add(&c, mode, g, ng, im, ni)) != SL_OK) {
        rc = sl_cli_fail(st, cmd, "cannot build the '%s' table", mode);
        goto out;
    }
    if ((st = sl__calib_save(&c, out)) != SL_OK) {
        rc = sl_cli_fail(st, cmd, "cannot write %s", out);
        goto out;
    }
    const sl_calib_table *t = sl_calib_get(&c, mode);
    rc = sl_cli_print(json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o}", "out", out,
                                "model", c.model_id, "mode", mode, "genuine", (json_int_t)ng,
                                "impostor", (json_int_t)ni, "points", (json_int_t)t->n,
                                "targets", targets_json(t)));
out:
    sl_calib_free(&c);
    free(im);
    free(g);
    return rc;
}

int dev_calib(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "build") == 0)
        return calib_build(argc - 1, argv + 1);
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    fprintf(help ? stdout : stderr,
            "usage: shualian-dev calib <command> [<args>]\n\ncommands:\n"
            "  build      calibration table from genuine/impostor score files\n"
            "(queries of a table: shualian calib query)\n");
    if (help)
        return SL_EXIT_OK;
    return argc >= 2 ? sl_cli_usage_error("calib", "'%s' is not a command", argv[1])
                     : sl_cli_usage_error("calib", "a command is needed");
}
