/*
 * cmd_matters.c -- shualian matters: check and list the service-matter
 * catalogue (src/gov/catalogue.h), and evaluate a matter's eligibility
 * rules over a facts file, the way the server will.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "gov/catalogue.h"

#ifndef SL_DATADIR
#define SL_DATADIR "/usr/local/share"
#endif

static const char *HELP =
    "usage: shualian matters <sub> [--dir DIR] [args]\n"
    "\n"
    "The service-matter catalogue: one JSON file per matter version\n"
    "(share/shualian/matters/, or --dir). Every file is validated: a bad one\n"
    "is refused with file:line: field: what is wrong (exit 3).\n"
    "\n"
    "  check                  validate every matter file\n"
    "  list                   code, version, name, channels of each matter\n"
    "  show CODE              one matter (newest version)\n"
    "  eval CODE FACTS.json   evaluate CODE's eligibility rules over FACTS\n"
    "                         ({\"applicant\":{..},\"application\":{..},\"shared\":{..}}):\n"
    "                         decision approve|review|refuse with the explanation\n";

static const char *default_dir(void)
{
    static const char *const dirs[] = { "share/shualian/matters", SL_DATADIR "/shualian/matters" };
    for (size_t i = 0; i < 2; i++) {
        FILE *f;
        char probe[512];
        snprintf(probe, sizeof probe, "%s/bdc_buzheng.json", dirs[i]);
        if ((f = fopen(probe, "r"))) {
            fclose(f);
            return dirs[i];
        }
    }
    return dirs[0];
}

int cmd_matters(int argc, char **argv)
{
    const char *dir = NULL, *pos[2];
    int npos = 0;
    if (argc < 2 || sl_cli_wants_help(argc, argv)) {
        fputs(HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? SL_EXIT_USAGE : SL_EXIT_OK;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0) {
            if (++i == argc)
                return sl_cli_usage_error("matters", "missing value after --dir");
            dir = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return sl_cli_usage_error("matters", "unknown option %s", argv[i]);
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            return sl_cli_usage_error("matters", "too many arguments");
        }
    }
    const char *sub = argv[1];
    int want = !strcmp(sub, "check") || !strcmp(sub, "list") ? 0
             : !strcmp(sub, "show") ? 1 : !strcmp(sub, "eval") ? 2 : -1;
    if (want < 0)
        return sl_cli_usage_error("matters", "unknown sub-command '%s'", sub);
    if (npos != want)
        return sl_cli_usage_error("matters", "%s takes %d argument%s", sub, want,
                                  want == 1 ? "" : "s");
    if (!dir)
        dir = default_dir();
    char err[512] = "";
    struct sl__catalogue *cat = NULL;
    sl_status st = sl__catalogue_load_dir(dir, err, sizeof err, &cat);
    if (st != SL_OK)
        return sl_cli_fail(st, "matters", "%s", err[0] ? err : sl_status_str(st));
    json_t *out = NULL;
    int rc = 0;
    if (!strcmp(sub, "check") || !strcmp(sub, "list")) {
        json_t *list = json_array();
        for (size_t i = 0; i < sl__catalogue_count(cat); i++) {
            const json_t *m = sl__catalogue_at(cat, i);
            json_array_append_new(list, json_pack(
                "{s:O, s:O, s:O, s:O, s:b}", "code", json_object_get(m, "code"),
                "version", json_object_get(m, "version"), "name", json_object_get(m, "name"),
                "channels", json_object_get(m, "channels"), "auto_approve",
                json_is_true(json_object_get(m, "auto_approve"))));
        }
        out = json_pack("{s:s, s:i, s:o}", "dir", dir, "matters",
                        (json_int_t)sl__catalogue_count(cat), "list", list);
        if (out && !strcmp(sub, "check"))
            json_object_set_new(out, "ok", json_true());
    } else {
        const json_t *m = sl__catalogue_get(cat, pos[0], 0);
        if (!m) {
            rc = sl_cli_fail(SL_ERR_MATTER_UNKNOWN, "matters", "no matter has the code '%s' "
                             "(see 'shualian matters list')", pos[0]);
            goto done;
        }
        if (!strcmp(sub, "show")) {
            out = json_deep_copy(m);
        } else {
            uint8_t *buf;
            size_t n;
            char jerr[200];
            st = sl_file_read(pos[1], 1u << 20, &buf, &n);
            if (st != SL_OK) {
                rc = sl_cli_fail(st, "matters", "%s: %s", pos[1], sl_status_str(st));
                goto done;
            }
            json_t *facts = sl_json_parse((const char *)buf, n, jerr, sizeof jerr);
            sl_free(buf);
            if (!json_is_object(facts)) {
                json_decref(facts);
                rc = sl_cli_fail(SL_ERR_INVALID, "matters", "%s: %s", pos[1],
                                 facts ? "facts must be a JSON object" : jerr);
                goto done;
            }
            enum sl__decision d;
            json_t *explain = NULL;
            st = sl__rules_eval(json_object_get(m, "rules"), facts,
                                json_is_true(json_object_get(m, "auto_approve")), &d, &explain);
            json_decref(facts);
            if (st != SL_OK) {
                rc = sl_cli_fail(st, "matters", "%s", sl_status_str(st));
                goto done;
            }
            out = explain;
            json_object_set(out, "matter", json_object_get(m, "code"));
        }
    }
    rc = out ? sl_cli_print(out) : sl_cli_fail(SL_ERR_NOMEM, "matters", "out of memory");
done:
    sl__catalogue_free(cat);
    return rc;
}
