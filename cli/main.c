/*
 * main.c -- the shualian program: dispatch to subcommands (cli.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { "calendar", cmd_calendar, "working days: holidays and 调休 make-up days, 2019-2026" },
    { "audit",   cmd_audit,   "audit log: verify the chain, query, append, checkpoint" },
    { "calib",   cmd_calib,   "calibration tables: query thresholds and decisions" },
    { "face",    cmd_face,    "face engine: challenge new|check (active liveness)" },
    { "img",     cmd_img,     "image files: info, convert (decode, EXIF orientation, limits)" },
    { "matters", cmd_matters, "service matters: check, list, show the catalogue; eval rules" },
    { "nn",      cmd_nn,      "ONNX engine: info, run (backends ref, xnnpack), timing" },
    { "index",   cmd_index,   "1:N gallery: create, add, remove, search, stats, compact, verify" },
    { "serve",   cmd_serve,   "the identity server (HTTP): accounts, face routes, demo hall" },
    { "admin",   cmd_admin,   "server administration: users, devices, halls, backup" },
    { "registry", cmd_registry, "population registry: import --csv FILE --photos DIR (resumable)" },
    { "gallery", cmd_gallery, "hall portrait library: import DIR (batch enrolment, duplicates)" },
    { "version", cmd_version, "print the version, CPU features and backends" },
    { NULL, NULL, NULL },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: shualian [--version] [--help] <command> [<args>]\n\n"
               "commands:\n");
    for (const struct command *c = commands; c->name; c++)
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f, "\nEach command takes --help. Output is JSON on stdout.\n"
               "Exit codes: 0 ok, 1 negative answer, 2 usage error, 3 input "
               "rejected,\n4 not found or I/O error, 5 other failure.\n");
}

int main(int argc, char **argv)
{
    sl_cpu_init();
    if (argc < 2) {
        usage(stderr);
        return sl_cli_usage_error("", "a command is needed");
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return SL_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
        return cmd_version(argc - 1, argv + 1);
    for (const struct command *c = commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->run(argc - 1, argv + 1);
    return sl_cli_usage_error("", "'%s' is not a command", argv[1]);
}
