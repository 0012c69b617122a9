/*
 * util.c -- error printing, exit codes and argument helpers (cli.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int sl_cli_exit(int st)
{
    switch (SL_STATUS_PRIMARY(st)) {
    case SL_OK:
        return SL_EXIT_OK;
    case SL_NO_FACE:
        return SL_EXIT_NEGATIVE;
    case SL_ERR_INVALID:
    case SL_ERR_UNSUPPORTED:
    case SL_ERR_TOO_LARGE:
    case SL_ERR_EXPIRED:
    case SL_ERR_DENIED:
    case SL_ERR_STATE:
        return SL_EXIT_INPUT;
    case SL_ERR_NOT_FOUND:
    case SL_ERR_IO:
        return SL_EXIT_IO;
    default:
        return SL_EXIT_OTHER;
    }
}

int sl_cli_fail(int st, const char *what, const char *fmt, ...)
{
    char msg[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
    }
    json_t *e = sl_json_status(st, msg[0] ? msg : NULL);
    sl_json_print(stdout, e, false);
    json_decref(e);
    fflush(stdout);
    fprintf(stderr, "shualian: %s: %s (%s)\n", what,
            msg[0] ? msg : sl_status_str(st), sl_status_name(st));
    return sl_cli_exit(st);
}

int sl_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "shualian %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'shualian %s --help'.\n", cmd);
    return SL_EXIT_USAGE;
}

bool sl_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

int sl_cli_print(json_t *obj)
{
    sl_status st = sl_json_print(stdout, obj, isatty(STDOUT_FILENO));
    json_decref(obj);
    if (fflush(stdout) != 0)
        st = SL_ERR_IO;
    return st == SL_OK ? SL_EXIT_OK : SL_EXIT_IO;
}

bool sl_cli_parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool sl_cli_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

int sl_cli_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
