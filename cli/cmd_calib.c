/*
 * cmd_calib.c -- `shualian calib query`: threshold look-ups in a
 * calibration table (the shipped one or another), through the public
 * calibration calls only. Tables are built by the development program
 * (`shualian-dev calib build`, `shualian-dev eval --calib-out`). Format:
 * docs/calibration.md.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "shualian/face.h"

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
    if (argc >= 2 && strcmp(argv[1], "query") == 0)
        return calib_query(argc - 1, argv + 1);
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    fprintf(help ? stdout : stderr,
            "usage: shualian calib <command> [<args>]\n\ncommands:\n"
            "  query      threshold for a FAR, or the decision for a score\n"
            "(tables are built by the development program: shualian-dev calib build)\n");
    if (help)
        return SL_EXIT_OK;
    if (argc >= 2 && strcmp(argv[1], "build") == 0)
        return sl_cli_usage_error("calib", "'build' is a development tool: "
                                  "shualian-dev calib build");
    return argc >= 2 ? sl_cli_usage_error("calib", "'%s' is not a command", argv[1])
                     : sl_cli_usage_error("calib", "a command is needed");
}
