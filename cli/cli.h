/*
 * cli.h -- shared pieces of the shualian program's subcommands.
 *
 * Every subcommand is `int cmd_<name>(int argc, char **argv)` registered in
 * the table in main.c; argv[0] is the subcommand's own name. Each prints
 * its result as JSON on stdout; on failure (usage errors too) it prints
 *   {"error":{"code":"<stable name>","status":<n>,"message":"..."}}
 * on stdout, a one-line message on stderr, and exits with sl_cli_exit().
 * Usage errors have code "usage"; outcomes a citizen may see (no face, an
 * unreadable photo, a refused challenge) add "zh" and "en" texts. Strings
 * that are not UTF-8 (file names) have each bad byte replaced by U+FFFD.
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

/* Public API only, so that shualian links against libshualian.so as well
 * as the static library (tests/suites/17-api.sh). The server commands
 * (serve, admin, audit, matters) still include their modules' internal
 * headers themselves. */
#include "shualian/json.h"
#include "shualian/status.h"
#include "shualian/util.h"

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
/* Prints the JSON error {"error":{"code":"usage",...}} on stdout and
 * "shualian <cmd>: <msg>" with a hint to use --help on stderr; returns 2. */
int sl_cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The CLI's one file reader (sl_file_read: regular files only, a FIFO
 * cannot hang it, at most max bytes -- pass what is needed). Returns -1
 * with *out (free with sl_free) and *len set, or prints the error naming
 * path and returns the exit code. */
int sl_cli_read_file(const char *cmd, const char *path, size_t max, uint8_t **out,
                     size_t *len);
/* The error sl_cli_read_file prints for a failed sl_file_read(path, max)
 * (for callers that map some statuses themselves); returns the exit code. */
int sl_cli_read_fail(const char *cmd, const char *path, sl_status st, size_t max);
/* SL_OK if path can be written: an existing writable regular file, or a
 * new name in an existing writable directory. For outputs checked before
 * a long run. Creates nothing. */
sl_status sl_cli_check_writable(const char *path);
/* true if argv holds -h or --help (before a "--"). */
bool sl_cli_wants_help(int argc, char **argv);
/* true if option a is one of the space-separated names ("--in --out"): lets
 * a parser say "unknown option --x" rather than "missing value after --x". */
bool sl_cli_opt_known(const char *a, const char *names);
/* Prints obj (pretty when stdout is a terminal) and drops the reference;
 * returns 0, or 4 if stdout could not be written. */
int sl_cli_print(json_t *obj);
/* Parses a positive integer in [lo, hi]; false if not. */
bool sl_cli_parse_long(const char *s, long lo, long hi, long *out);
bool sl_cli_parse_double(const char *s, double *out);
/* qsort comparator for doubles, ascending (timing medians). */
int sl_cli_cmp_double(const void *a, const void *b);

/* Progress of a long run on stderr (cli/progress.c). On a terminal a bar
 * redrawn in place (carriage return) at most 10 times a second; otherwise
 * (a log file, CI) a plain line every SL_PROGRESS_LOG_SECONDS and one at
 * the end, so logs do not fill with redrawn frames. */
#define SL_PROGRESS_LOG_SECONDS 5
struct sl_cli_progress {
    const char *what;          /* "embedding", "pad" (borrowed)             */
    uint64_t    t0, last;      /* start and last print, monotonic ns        */
    bool        tty;           /* stderr is a terminal                      */
};
void sl_cli_progress_init(struct sl_cli_progress *p, const char *what);
/* done of total items, 'noface' of them without a face; final ends the
 * line (always printed). */
void sl_cli_progress_update(struct sl_cli_progress *p, size_t done, size_t total,
                            size_t noface, bool final);

/* Subcommands (cli/cmd_*.c). */
int cmd_version(int argc, char **argv);
int cmd_img(int argc, char **argv);
int cmd_nn(int argc, char **argv);
int cmd_face(int argc, char **argv);
int cmd_calib(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_calendar(int argc, char **argv);
int cmd_matters(int argc, char **argv);
/* The server's commands (app/: the composition root; they use the
 * internal modules, cli/ uses only the public API). */
int cmd_serve(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_gallery(int argc, char **argv);
int cmd_registry(int argc, char **argv);
int cmd_audit(int argc, char **argv);
/* face engine subcommands (cmd_face_engine.c), rows of cmd_face.c's table */
int sl_cli_face_detect(int argc, char **argv);
int sl_cli_face_landmarks(int argc, char **argv);
int sl_cli_face_embed(int argc, char **argv);
int sl_cli_face_quality(int argc, char **argv);
int sl_cli_face_live(int argc, char **argv);
int sl_cli_face_verify(int argc, char **argv);
/* Per-frame signals for `face challenge check --frames LIST` (lines
 * "t_ms<TAB>image"); the first face frame is the identity reference.
 * Returns -1 when fine, else the exit code (error already printed). */
struct sl_frame_signal;
int sl_cli_face_frames(const char *list, const char *models, struct sl_frame_signal *out,
                       size_t cap, size_t *n, const char *cmd);

#endif
