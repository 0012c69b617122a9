/*
 * log.c -- one-line logging to stderr with ID numbers masked (base.h).
 *
 * Every message is formatted into a stack buffer, scanned for resident ID
 * numbers (15 digits, or 17 digits and a check character), masked, and
 * written with one write(2) so lines from several threads do not interleave.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base.h"

static atomic_int log_level = SL_LOG_INFO;

void sl_log_set_level(enum sl_log_level lv) { atomic_store(&log_level, (int)lv); }
enum sl_log_level sl_log_get_level(void) { return (enum sl_log_level)atomic_load(&log_level); }

bool sl_log_level_parse(const char *s, enum sl_log_level *out)
{
    static const char *names[] = { "debug", "info", "warn", "error", "off" };
    for (int i = 0; i < 5; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (enum sl_log_level)i;
            return true;
        }
    }
    return false;
}

size_t sl_mask_id(char *out, size_t cap, const char *id)
{
    size_t n = strlen(id);
    if (cap == 0)
        return n;
    size_t w = 0;
    for (size_t i = 0; i < n && w + 1 < cap; i++)
        out[w++] = (n > 8 && i >= 4 && i < n - 4) ? '*' : id[i];
    out[w] = 0;
    return n;
}

size_t sl_mask_ids_in(char *s)
{
    size_t count = 0;
    size_t i = 0;
    while (s[i]) {
        if (!isdigit((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (isdigit((unsigned char)s[j]))
            j++;
        size_t run = j - i;
        size_t len = 0;
        if (run == 17 && (s[j] == 'X' || s[j] == 'x') &&
            !isalnum((unsigned char)s[j + 1]))
            len = 18;
        else if ((run == 18 || run == 15) && !isalpha((unsigned char)s[j]))
            len = run;
        if (len && (i == 0 || !isalnum((unsigned char)s[i - 1]))) {
            for (size_t k = i + 4; k < i + len - 4; k++)
                s[k] = '*';
            count++;
            i += len;
        } else {
            i = j;
        }
    }
    return count;
}

void sl_log(enum sl_log_level lv, const char *fmt, ...)
{
    static const char *tags[] = { "debug", "info", "warn", "error" };
    if ((int)lv < atomic_load(&log_level) || lv >= SL_LOG_OFF)
        return;
    char line[2048];
    char ts[32];
    sl_time_iso8601(ts, sizeof(ts), sl_time_wall_ms());
    int h = snprintf(line, sizeof(line), "%s %-5s ", ts, tags[lv]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + h, sizeof(line) - (size_t)h - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)h + (m < 0 ? 0 : SL_MIN((size_t)m, sizeof(line) - (size_t)h - 2));
    line[len] = 0;
    sl_mask_ids_in(line + h);
    line[len++] = '\n';
    ssize_t rc = write(STDERR_FILENO, line, len);
    (void)rc;
}
