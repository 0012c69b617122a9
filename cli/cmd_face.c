/*
 * cmd_face.c -- `shualian face ...`: the face engine from the command line.
 *
 * Subcommands are rows of a table; those that need models (detect,
 * landmarks, embed, quality, live, verify) are added as rows when the
 * engine is wired. Today: `face challenge new` and `face challenge check`,
 * which need no model (the check reads per-frame signals as JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shualian/face_json.h"
#include "shualian/face.h"

#define FACE_JSON_MAX_BYTES (16u << 20)

struct face_sub {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Reads and parses a JSON file; prints the error and returns NULL. */
static json_t *read_json(const char *what, const char *path, int *exit_code)
{
    uint8_t *text;
    size_t len;
    int rc = sl_cli_read_file(what, path, FACE_JSON_MAX_BYTES, &text, &len);
    if (rc >= 0) {
        *exit_code = rc;
        return NULL;
    }
    char err[160];
    json_t *j = sl_json_parse((const char *)text, len, err, sizeof(err));
    sl_free(text);
    if (!j)
        *exit_code = sl_cli_fail(SL_ERR_CHALLENGE_FORMAT, what, "%s: %s", path, err);
    return j;
}

/* ---- face challenge new ---- */

static int challenge_new(int argc, char **argv)
{
    const char *cmd = "face challenge new";
    if (sl_cli_wants_help(argc, argv)) {
        printf("usage: shualian face challenge new [--min-steps N] [--max-steps N]\n"
               "         [--actions a,b,...] [--digits N] [--step-ms MS] [--lead-ms MS]\n"
               "         [--now EPOCH_MS]\n\n"
               "Prints a new active-liveness challenge as JSON: a single-use random\n"
               "nonce and 2-4 distinct actions with absolute time windows.\n"
               "Actions: blink turn_left turn_right nod open_mouth read_digits.\n");
        return SL_EXIT_OK;
    }
    sl_challenge_opts o = sl_challenge_opts_default();
    int64_t now = sl_time_wall_ms();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!sl_cli_opt_known(a, "--min-steps --max-steps --digits --step-ms --lead-ms "
                                 "--now --actions"))
            return sl_cli_usage_error(cmd, "unknown option %s", a);
        if (!v)
            return sl_cli_usage_error(cmd, "missing value after %s", a);
        i++;
        if (strcmp(a, "--min-steps") == 0 && sl_cli_parse_long(v, 2, 4, &n))
            o.min_steps = (uint32_t)n;
        else if (strcmp(a, "--max-steps") == 0 && sl_cli_parse_long(v, 2, 4, &n))
            o.max_steps = (uint32_t)n;
        else if (strcmp(a, "--digits") == 0 && sl_cli_parse_long(v, 1, SL_CHALLENGE_MAX_DIGITS, &n))
            o.n_digits = (uint32_t)n;
        else if (strcmp(a, "--step-ms") == 0 && sl_cli_parse_long(v, 500, 60000, &n))
            o.step_ms = (int32_t)n;
        else if (strcmp(a, "--lead-ms") == 0 && sl_cli_parse_long(v, 0, 60000, &n))
            o.lead_ms = (int32_t)n;
        else if (strcmp(a, "--now") == 0 && sl_cli_parse_long(v, 0, 1L << 50, &n))
            now = n;
        else if (strcmp(a, "--actions") == 0) {
            char buf[256];
            snprintf(buf, sizeof(buf), "%s", v);
            o.allowed = 0;
            for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
                 tok = strtok_r(NULL, ",", &save)) {
                enum sl_action act;
                if (!sl_action_parse(tok, &act))
                    return sl_cli_usage_error(cmd, "unknown action '%s'", tok);
                o.allowed |= 1u << act;
            }
        } else
            return sl_cli_usage_error(cmd, "bad option or value: %s %s", a, v);
    }
    if (o.min_steps > o.max_steps)
        return sl_cli_usage_error(cmd, "--min-steps %u is more than --max-steps %u",
                                  (unsigned)o.min_steps, (unsigned)o.max_steps);
    sl_challenge c;
    sl_status st = sl_challenge_new(&c, &o, now);
    if (st != SL_OK)
        return sl_cli_fail(st, cmd, "cannot create a challenge with these options "
                                    "(at least min-steps distinct actions are needed)");
    json_t *j = sl_challenge_to_json(&c);
    if (!j)
        return sl_cli_fail(SL_ERR_NOMEM, cmd, NULL);
    return sl_cli_print(j);
}

/* ---- face challenge check ---- */

static bool set_cfg(sl_liveness_cfg *cfg, const char *opt, const char *v)
{
    double d;
    long n;
    if (strcmp(opt, "--yaw-sign") == 0 || strcmp(opt, "--pitch-sign") == 0) {
        if (!sl_cli_parse_long(v, -1, 1, &n) || n == 0)
            return false;
        *(opt[2] == 'y' ? &cfg->yaw_sign : &cfg->pitch_sign) = (int8_t)n;
        return true;
    }
    if (strcmp(opt, "--max-cycles-per-digit") == 0) {
        if (!sl_cli_parse_long(v, 1, 10, &n))
            return false;
        cfg->max_cycles_per_digit = (uint32_t)n;
        return true;
    }
    if (!sl_cli_parse_double(v, &d))
        return false;
    if (strcmp(opt, "--min-similarity") == 0)
        cfg->min_similarity = (float)d;
    else if (strcmp(opt, "--live-min") == 0)
        cfg->live_min = (float)d;
    else if (strcmp(opt, "--spoof-max") == 0)
        cfg->spoof_max = (float)d;
    else if (strcmp(opt, "--turn-deg") == 0)
        cfg->turn_deg = (float)d;
    else if (strcmp(opt, "--nod-deg") == 0)
        cfg->nod_deg = (float)d;
    else
        return false;
    return true;
}

static int challenge_check(int argc, char **argv)
{
    const char *cmd = "face challenge check";
    if (sl_cli_wants_help(argc, argv)) {
        printf("usage: shualian face challenge check --challenge C.json\n"
               "         (--signals S.json | --frames LIST [--models DIR])\n"
               "         [--min-similarity X] [--live-min X] [--spoof-max X]\n"
               "         [--turn-deg D] [--nod-deg D] [--yaw-sign 1|-1] [--pitch-sign 1|-1]\n"
               "         [--max-cycles-per-digit N]\n\n"
               "Judges a sequence of per-frame signals ({\"frames\":[{\"t_ms\",\"face\",\n"
               "\"eye_open_left\",\"eye_open_right\",\"yaw\",\"pitch\",\"roll\",\"mouth_open\",\n"
               "\"similarity\",\"live_score\"}]}) against a challenge. Exit 0 when it\n"
               "passes, 1 when it fails (reasons in the JSON). The nonce is not\n"
               "consumed here: a one-shot process has no registry.\n"
               "--frames LIST: lines 't_ms<TAB>image file'; the signals are measured\n"
               "from the images by the engine (eyes, pose, mouth, identity to the first\n"
               "face frame, passive score).\n");
        return SL_EXIT_OK;
    }
    const char *cpath = NULL, *spath = NULL, *fpath = NULL, *models = NULL;
    sl_liveness_cfg cfg = sl_liveness_cfg_default();
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!sl_cli_opt_known(a, "--challenge --signals --frames --models --min-similarity "
                                 "--live-min --spoof-max --turn-deg --nod-deg --yaw-sign "
                                 "--pitch-sign --max-cycles-per-digit"))
            return sl_cli_usage_error(cmd, "unknown option %s", a);
        if (!v)
            return sl_cli_usage_error(cmd, "missing value after %s", a);
        if (strcmp(a, "--challenge") == 0)
            cpath = v;
        else if (strcmp(a, "--signals") == 0)
            spath = v;
        else if (strcmp(a, "--frames") == 0)
            fpath = v;
        else if (strcmp(a, "--models") == 0)
            models = v;
        else if (!set_cfg(&cfg, a, v))
            return sl_cli_usage_error(cmd, "bad option or value: %s %s", a, v);
    }
    if (!cpath || !spath == !fpath)
        return sl_cli_usage_error(cmd, "--challenge and one of --signals, --frames are required");

    int rc = SL_EXIT_OTHER;
    sl_frame_signal *frames = NULL;
    json_t *cj = NULL, *sj = NULL;
    if (!(cj = read_json(cmd, cpath, &rc)))
        goto out;
    if (spath && !(sj = read_json(cmd, spath, &rc)))
        goto out;
    sl_challenge c;
    sl_status st = sl_challenge_from_json(&c, cj);
    if (st != SL_OK) {
        rc = sl_cli_fail(st, cmd, "%s is not a valid challenge", cpath);
        goto out;
    }
    frames = calloc(SL_CHALLENGE_MAX_FRAMES, sizeof(*frames));
    if (!frames) {
        rc = sl_cli_fail(SL_ERR_NOMEM, cmd, NULL);
        goto out;
    }
    size_t n = 0;
    if (fpath) {
        if ((rc = sl_cli_face_frames(fpath, models, frames, SL_CHALLENGE_MAX_FRAMES, &n, cmd)) >= 0)
            goto out;
        st = SL_OK;
    } else {
        st = sl_frames_from_json(frames, SL_CHALLENGE_MAX_FRAMES, &n, sj);
    }
    if (st != SL_OK) {
        rc = sl_cli_fail(st, cmd, "%s: frames are malformed or more than %d",
                         spath, SL_CHALLENGE_MAX_FRAMES);
        goto out;
    }
    sl_challenge_result r;
    st = sl_challenge_analyse(&r, &c, frames, n, &cfg);
    if (st == SL_ERR_CHALLENGE_SIGNAL) {
        rc = sl_cli_fail(st, cmd, "%s: a face frame has a signal out of its range "
                                  "(similarity -1..1; eye_open_*, live_score 0..1; yaw, "
                                  "pitch, roll -180..180; mouth_open 0..10)",
                         spath ? spath : fpath);
        goto out;
    }
    if (st != SL_OK) {
        rc = sl_cli_fail(st, cmd, "cannot analyse %s (times must increase; face "
                                  "frames need a similarity; thresholds consistent)", spath);
        goto out;
    }
    json_t *res = sl_challenge_result_to_json(&r);
    if (!res) {
        rc = sl_cli_fail(SL_ERR_NOMEM, cmd, NULL);
        goto out;
    }
    rc = sl_cli_print(res);
    if (rc == SL_EXIT_OK && !r.pass)
        rc = SL_EXIT_NEGATIVE;
out:
    free(frames);
    json_decref(sj);
    json_decref(cj);
    return rc;
}

static const struct face_sub challenge_subs[] = {
    { "new",   challenge_new,   "print a new challenge (nonce, actions, windows)" },
    { "check", challenge_check, "judge per-frame signals against a challenge" },
    { NULL, NULL, NULL },
};

static int dispatch(const char *prefix, const struct face_sub *subs, int argc,
                    char **argv)
{
    if (argc >= 2)
        for (const struct face_sub *s = subs; s->name; s++)
            if (strcmp(argv[1], s->name) == 0)
                return s->run(argc - 1, argv + 1);
    bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
                              strcmp(argv[1], "-h") == 0);
    FILE *f = help ? stdout : stderr;
    fprintf(f, "usage: shualian %s <command> [<args>]\n\ncommands:\n", prefix);
    for (const struct face_sub *s = subs; s->name; s++)
        fprintf(f, "  %-10s %s\n", s->name, s->summary);
    if (help)
        return SL_EXIT_OK;
    fputc('\n', stderr);
    return argc >= 2 ? sl_cli_usage_error(prefix, "'%s' is not a command", argv[1])
                     : sl_cli_usage_error(prefix, "a command is needed");
}

static int face_challenge(int argc, char **argv)
{
    return dispatch("face challenge", challenge_subs, argc, argv);
}

/* Model-backed rows (detect, landmarks, embed, quality, live, verify) go
 * here when the engine is wired. */
static const struct face_sub face_subs[] = {
    { "challenge", face_challenge, "active-liveness challenges: new, check" },
    { "detect",    sl_cli_face_detect,    "find faces: boxes, scores, 5 points" },
    { "embed",     sl_cli_face_embed,     "512-d embedding / template of the main face" },
    { "landmarks", sl_cli_face_landmarks, "68 landmarks of the main face (--all: every face)" },
    { "live",      sl_cli_face_live,      "passive liveness: live / spoof / cannot judge" },
    { "quality",   sl_cli_face_quality,   "quality reasons with zh/en messages" },
    { "verify",    sl_cli_face_verify,    "1:1: are A and B the same person (exit 0 yes, 1 no)" },
    { NULL, NULL, NULL },
};

int cmd_face(int argc, char **argv)
{
    return dispatch("face", face_subs, argc, argv);
}
