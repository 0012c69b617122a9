/*
 * face_opts.h -- options shared by the face-engine subcommands and
 * `shualian-dev eval` (engine configuration knobs, models folder, outputs).
 */
#ifndef SL_CLI_FACE_OPTS_H
#define SL_CLI_FACE_OPTS_H

#include "shualian/engine.h"

struct fe_opts {
    const char    *models, *backend, *annotate, *preset, *threshold, *calib;
    const char    *template_out, *mode;
    sl_face_config cfg;
    bool           all, attributes;
    bool           no_model_check;   /* --no-model-check: custom models   */
    /* shualian-dev eval */
    const char    *faces, *pairs, *pad, *json_out, *plot, *roc, *cache, *calib_out;
    long           threads, quality_min_side;
    const char    *quality_gate;
    double         pad_threshold;
    const char    *pos[8];
    int            npos;
};

/* Prints the common options. */
void sl_cli_fe_help(void);
/* Parses the common options (unknown ones are usage errors: "unknown
 * option --x"; --backend must be ref or xnnpack); positional arguments go
 * to o->pos, and every argument after "--" is one. Returns -1 when fine,
 * else the exit code. */
int sl_cli_fe_parse(struct fe_opts *o, int argc, char **argv, const char *cmd);

#endif
