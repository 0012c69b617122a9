/*
 * util.c -- error printing, exit codes and argument helpers (cli.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "shualian/face.h"

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
    case SL_ERR_CORRUPT:
        /* a template is always the user's input here, not our store */
        return st == SL_ERR_FACE_TEMPLATE_FORMAT ? SL_EXIT_INPUT : SL_EXIT_OTHER;
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
    /* outcomes a citizen may see (no face, unreadable photo, refused
     * challenge) carry the zh/en text beside the machine code */
    const char *zh = sl_face_reason_text(st, SL_LANG_ZH);
    json_t *err = json_object_get(e, "error");
    if (zh && err) {
        json_object_set_new(err, "zh", json_string(zh));
        json_object_set_new(err, "en", json_string(sl_face_reason_text(st, SL_LANG_EN)));
    }
    if (e)
        sl_json_print(stdout, e, false);
    else        /* out of memory: the fixed text still goes out */
        fputs("{\"error\":{\"code\":\"nomem\",\"status\":1,\"message\":\"out of memory\"}}\n",
              stdout);
    json_decref(e);
    fflush(stdout);
    fprintf(stderr, "shualian: %s: %s (%s)\n", what,
            msg[0] ? msg : sl_status_str(st), sl_status_name(st));
    return sl_cli_exit(st);
}

int sl_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* like every failure, a JSON error on stdout: code "usage", exit 2 */
    json_t *e = sl_json_status(SL_ERR_INVALID, msg);
    json_object_set_new(json_object_get(e, "error"), "code", json_string("usage"));
    if (e)
        sl_json_print(stdout, e, false);
    json_decref(e);
    fflush(stdout);
    const char *sp = *cmd ? " " : "";       /* cmd "" for the program itself */
    fprintf(stderr, "shualian%s%s: %s\nTry 'shualian%s%s --help'.\n", sp, cmd, msg, sp, cmd);
    return SL_EXIT_USAGE;
}

int sl_cli_read_fail(const char *cmd, const char *path, sl_status st, size_t max)
{
    switch (SL_STATUS_PRIMARY(st)) {
    case SL_ERR_NOT_FOUND:
        return sl_cli_fail(st, cmd, "%s: no such file", path);
    case SL_ERR_UNSUPPORTED:
        return sl_cli_fail(st, cmd, "%s: not a regular file (a FIFO, device or socket "
                                    "is not read)", path);
    case SL_ERR_TOO_LARGE:
        return sl_cli_fail(st, cmd, "%s: larger than %zu bytes", path, max);
    default:
        return sl_cli_fail(st, cmd, "%s: cannot read: %s", path, sl_status_str(st));
    }
}

int sl_cli_read_file(const char *cmd, const char *path, size_t max, uint8_t **out,
                     size_t *len)
{
    sl_status st = sl_file_read(path, max, out, len);
    return st == SL_OK ? -1 : sl_cli_read_fail(cmd, path, st, max);
}

sl_status sl_cli_check_writable(const char *path)
{
    if (!path)
        return SL_OK;
    struct stat sb;
    if (stat(path, &sb) == 0)
        return S_ISREG(sb.st_mode) && access(path, W_OK) == 0 ? SL_OK : SL_ERR_IO;
    if (errno != ENOENT)
        return SL_ERR_IO;
    char dir[4096];
    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
        return SL_ERR_IO;
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = 0;
    else if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof(dir), ".");
    return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) && access(dir, W_OK | X_OK) == 0
               ? SL_OK : SL_ERR_IO;
}

bool sl_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

bool sl_cli_opt_known(const char *a, const char *names)
{
    size_t n = strlen(a);
    if (n == 0)
        return false;
    for (const char *p = names; (p = strstr(p, a)) != NULL; p += n)
        if ((p == names || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
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
