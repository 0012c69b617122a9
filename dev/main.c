/*
 * main.c -- shualian-dev: the development tools split out of the product
 * program (dev.h). Same output and exit-code conventions as shualian.
 */
#include <stdio.h>
#include <string.h>

#include "dev.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "bench", dev_bench, "benchmarks: index (1:N search speed, recall, memory)" },
    { "calib", dev_calib, "calib build: calibration table from genuine/impostor score files" },
    { "eval",  dev_eval,  "evaluate the face engine: LFW pairs, ROC, rank-1, PAD, calibration" },
    { "face",  dev_face,  "face bench|pose-eval: pipeline timing, head-pose sources" },
    { "hall",  dev_hall,  "hall serve|fill|load: N synthetic persons in the demo library, the store" },
    { "id",    dev_id,    "id fusion-calib: 实证 thresholds for fused frames (docs/identity.md)" },
    { "img",   dev_img,   "img bench: decode/resize/warp timing (bench/img.sh)" },
    { "index", dev_index, "index crashtest: SIGKILL durability driver (tests)" },
    { "nn",    dev_nn,    "nn fma|hold|dump: FMA ceiling, peak RSS, planned graph" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: shualian-dev <command> <sub> [<args>]\n\n"
               "Development tools (not installed). commands:\n");
    for (size_t i = 0; i < SL_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
    sl_cpu_init();
    if (argc < 2) {
        usage(stderr);
        return SL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return SL_EXIT_OK;
    }
    for (size_t i = 0; i < SL_ARRAY_LEN(commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "shualian-dev: '%s' is not a command. See 'shualian-dev --help'.\n",
            argv[1]);
    return SL_EXIT_USAGE;
}

double dev_load1(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double l = -1;
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}
