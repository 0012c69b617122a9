/*
 * cmd_calib.c -- `shualian calib build|query`: calibration tables from
 * genuine/impostor score files (what `shualian eval` measures), and
 * threshold look-ups in them. Format: docs/calibration.md.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shualian/face.h"

#define SCORES_MAX_BYTES ((size_t)1 << 30)

/* One cosine score per line, in [-1, 1] (blank lines and '#' comments
 * allowed). The caller frees *out with sl__free. */
static sl_status read_scores(const char *path, float **out, size_t *n,
                             size_t *bad_line)
{
    uint8_t *text;
    size_t len;
    sl_status st = sl__read_file(path, SCORES_MAX_BYTES, &text, &len);
    if (st != SL_OK)
        return st;
    size_t cap = 1024, cnt = 0, line = 0;
    float *v = sl__malloc(cap * sizeof(float));
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
            float *nv = sl__realloc(v, 2 * cap * sizeof(float));
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
    sl__free(v);
out_free_text:
    sl__free(text);
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
        printf("usage: shualian calib build --genuine G.txt --impostor I.txt --out C.json\n"
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
    sl_status st = sl_calib_init(&c, model, source);
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
    if (gm <= im_mean) {        /* sl_calib_add refuses it too; say why here */
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
    if ((st = sl_calib_add(&c, mode, g, ng, im, ni)) != SL_OK) {
        rc = sl_cli_fail(st, cmd, "cannot build the '%s' table", mode);
        goto out;
    }
    if ((st = sl_calib_save(&c, out)) != SL_OK) {
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
    sl__free(im);
    sl__free(g);
    return rc;
}

static int calib_query(int argc, char **argv)
{
    const char *cmd = "calib query";
    if (sl_cli_wants_help(argc, argv)) {
        printf("usage: shualian calib query --calib C.json [--mode live]\n"
               "         (--far 1e-3 | --score S [--threshold far:1e-3|raw:0.3])\n\n"
               "--far prints the threshold for that false-accept rate; --score\n"
               "prints the decision for a cosine score (exit 1 when no match).\n");
        return SL_EXIT_OK;
    }
    const char *path = NULL, *mode = "live", *far_s = NULL, *score_s = NULL;
    const char *thr_s = "far:1e-3";
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!sl_cli_opt_known(a, "--calib --mode --far --score --threshold"))
            return sl_cli_usage_error(cmd, "unknown option %s", a);
        if (!v)
            return sl_cli_usage_error(cmd, "missing value after %s", a);
        if (strcmp(a, "--calib") == 0) path = v;
        else if (strcmp(a, "--mode") == 0) mode = v;
        else if (strcmp(a, "--far") == 0) far_s = v;
        else if (strcmp(a, "--score") == 0) score_s = v;
        else if (strcmp(a, "--threshold") == 0) thr_s = v;
        else return sl_cli_usage_error(cmd, "unknown option %s", a);
    }
    if (!path || (!far_s == !score_s))
        return sl_cli_usage_error(cmd, "--calib and one of --far / --score are required");
    sl_calib c;
    sl_status st = sl_calib_load(&c, path);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "cannot load %s", path);
    int rc;
    const sl_calib_table *t = sl_calib_get(&c, mode);
    if (!t) {
        rc = sl_cli_fail(SL_ERR_NOT_FOUND, cmd, "%s has no '%s' table", path, mode);
        goto out;
    }
    if (far_s) {
        double far, thr, frr;
        uint64_t sup;
        if (!sl_cli_parse_double(far_s, &far) ||
            sl_calib_threshold_for_far(&thr, &sup, t, far) != SL_OK) {
            rc = sl_cli_usage_error(cmd, "--far needs a number in (0, 1)");
            goto out;
        }
        sl_calib_rates_at(NULL, &frr, t, thr);
        rc = sl_cli_print(json_pack("{s:s, s:o, s:o, s:o, s:I}", "mode", mode,
                                    "far", sl_json_real(far, 6),
                                    "threshold", sl_json_real(thr, 9),
                                    "frr_estimate", sl_json_real(frr, 6),
                                    "support", (json_int_t)sup));
        goto out;
    }
    double score;
    sl_threshold_req req;
    if (!sl_cli_parse_double(score_s, &score) || sl_threshold_req_parse(&req, thr_s) != SL_OK) {
        rc = sl_cli_usage_error(cmd, "bad --score or --threshold (far:X, e.g. far:1e-3, "
                                "or raw:X, e.g. raw:0.35)");
        goto out;
    }
    sl_face_decision d;
    if ((st = sl_calib_decide(&d, t, score, req)) != SL_OK) {
        rc = sl_cli_fail(st, cmd, "cannot decide");
        goto out;
    }
    rc = sl_cli_print(json_pack("{s:b, s:o, s:o, s:o, s:o}", "match", d.match,
                                "score", sl_json_real(d.score, 6),
                                "threshold", sl_json_real(d.threshold, 9),
                                "far_estimate", sl_json_real(d.far_estimate, 6),
                                "frr_estimate", sl_json_real(d.frr_estimate, 6)));
    if (rc == SL_EXIT_OK && !d.match)
        rc = SL_EXIT_NEGATIVE;
out:
    sl_calib_free(&c);
    return rc;
}

int cmd_calib(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "build") == 0)
        return calib_build(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "query") == 0)
        return calib_query(argc - 1, argv + 1);
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    fprintf(help ? stdout : stderr,
            "usage: shualian calib <command> [<args>]\n\ncommands:\n"
            "  build      calibration table from genuine/impostor score files\n"
            "  query      threshold for a FAR, or the decision for a score\n");
    if (help)
        return SL_EXIT_OK;
    return argc >= 2 ? sl_cli_usage_error("calib", "'%s' is not a command", argv[1])
                     : sl_cli_usage_error("calib", "a command is needed");
}
