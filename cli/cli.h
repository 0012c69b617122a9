/*
 * cli.h -- shared pieces of the shualian program's subcommands.
 *
 * Every subcommand is `int cmd_<name>(int argc, char **argv)` registered in
 * the table in main.c; argv[0] is the subcommand's own name. Each prints
 * its result as JSON on stdout; on failure it prints
 *   {"error":{"code":"<stable name>","status":<n>,"message":"..."}}
 * on stdout, a one-line message on stderr, and exits with sl_cli_exit().
 *
 * Exit codes (documented in the man page and README):
 *   0  success
 *   1  the operation ran and the answer is negative (no match, not live,
 *      no face, a failing test)
 *   2  usage error (unknown option, missing argument)
 *   3  input rejected (invalid, unsupported or over a limit)
 *   4  not found, or an I/O error
 *   5  other failure (out of memory, corrupt store, internal error)
 */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* Public API only (the Makefile builds cli/ without -Isrc): shualian links
 * against libshualian.so as well as the static library. */
#include "shualian/json.h"
#include "shualian/status.h"
#include "shualian/util.h"
/* TEMPORARY: cmd_index.c and cmd_face_engine.c still call sl__ helpers */
#include "base/base.h"

#ifndef SL_ARRAY_LEN
#define SL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#endif
#ifndef SL_MIN
#define SL_MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef SL_MAX
#define SL_MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

enum {
    SL_EXIT_OK = 0, SL_EXIT_NEGATIVE = 1, SL_EXIT_USAGE = 2,
    SL_EXIT_INPUT = 3, SL_EXIT_IO = 4, SL_EXIT_OTHER = 5,
};

/* Maps a status to the exit code above. */
int sl_cli_exit(int st);
/* Prints the JSON error (stdout) and a message (stderr) for st; returns
 * sl_cli_exit(st). 'what' names the command and operand ("img info x.jpg"). */
int sl_cli_fail(int st, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints "shualian <cmd>: <msg>" and a hint to use --help; returns 2. */
int sl_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* true if argv holds -h or --help. */
bool sl_cli_wants_help(int argc, char **argv);
/* Prints obj (pretty when stdout is a terminal) and drops the reference;
 * returns 0, or 4 if stdout could not be written. */
int sl_cli_print(json_t *obj);
/* Parses a positive integer in [lo, hi]; false if not. */
bool sl_cli_parse_long(const char *s, long lo, long hi, long *out);
bool sl_cli_parse_double(const char *s, double *out);
/* qsort comparator for doubles, ascending (timing medians). */
int sl_cli_cmp_double(const void *a, const void *b);

/* Subcommands (cli/cmd_*.c). */
int cmd_version(int argc, char **argv);
int cmd_img(int argc, char **argv);
int cmd_nn(int argc, char **argv);
int cmd_face(int argc, char **argv);
int cmd_calib(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_eval(int argc, char **argv);
/* face engine subcommands (cmd_face_engine.c), rows of cmd_face.c's table */
int sl_cli_face_detect(int argc, char **argv);
int sl_cli_face_landmarks(int argc, char **argv);
int sl_cli_face_embed(int argc, char **argv);
int sl_cli_face_quality(int argc, char **argv);
int sl_cli_face_live(int argc, char **argv);
int sl_cli_face_verify(int argc, char **argv);
int sl_cli_face_bench(int argc, char **argv);
/* Per-frame signals for `face challenge check --frames LIST` (lines
 * "t_ms<TAB>image"); the first face frame is the identity reference.
 * Returns -1 when fine, else the exit code (error already printed). */
struct sl_frame_signal;
int sl_cli_face_frames(const char *list, const char *models, struct sl_frame_signal *out,
                       size_t cap, size_t *n, const char *cmd);

#endif
