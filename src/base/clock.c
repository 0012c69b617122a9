/*
 * clock.c -- the one time source for everything that counts expiry
 * (sessions, lockouts, rate limits, audit timestamps): sl__now_ms().
 *
 * Wall clock, unless a test clock file is set (sl__clock_set_file, the
 * server's --clock FILE option). The file holds one time, either epoch
 * milliseconds ("1780000000000") or ISO-8601 UTC ("2026-12-04T11:00:00Z",
 * optional ".mmm" fraction). It is re-read whenever its modification time
 * size or inode changes, so several server nodes and a test script share one
 * settable clock and tests never sleep to let time pass. A file that cannot
 * be read or parsed keeps the last good value (and logs once per change).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base.h"

static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;
static char   *clock_path;          /* owned; NULL: wall clock             */
static int64_t clock_value;         /* last good value from the file       */
static struct timespec clock_mtime; /* of the last read                    */
static off_t   clock_size = -1;
static ino_t   clock_ino;

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

sl_status sl__clock_parse(const char *text, int64_t *out)
{
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' ||
                     text[n - 1] == ' ' || text[n - 1] == '\t'))
        n--;
    while (n > 0 && (*text == ' ' || *text == '\t')) {
        text++;
        n--;
    }
    if (all_digits(text, n)) {
        if (n > 15)
            return SL_ERR_INVALID;
        int64_t v = 0;
        for (size_t i = 0; i < n; i++)
            v = v * 10 + (text[i] - '0');
        *out = v;
        return SL_OK;
    }
    /* YYYY-MM-DDTHH:MM:SS[.mmm]Z */
    if (n < 20 || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != ' ') || text[13] != ':' ||
        text[16] != ':' || text[n - 1] != 'Z')
        return SL_ERR_INVALID;
    if (!all_digits(text, 4) || !all_digits(text + 5, 2) ||
        !all_digits(text + 8, 2) || !all_digits(text + 11, 2) ||
        !all_digits(text + 14, 2) || !all_digits(text + 17, 2))
        return SL_ERR_INVALID;
    int ms = 0;
    if (n != 20) {
        if (text[19] != '.' || n != 24 || !all_digits(text + 20, 3))
            return SL_ERR_INVALID;
        ms = digits(text + 20, 3);
    }
    struct tm tm = { 0 };
    tm.tm_year = digits(text, 4) - 1900;
    tm.tm_mon = digits(text + 5, 2) - 1;
    tm.tm_mday = digits(text + 8, 2);
    tm.tm_hour = digits(text + 11, 2);
    tm.tm_min = digits(text + 14, 2);
    tm.tm_sec = digits(text + 17, 2);
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return SL_ERR_INVALID;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return SL_ERR_INVALID;
    *out = (int64_t)t * 1000 + ms;
    return SL_OK;
}

/* Re-reads the file if it changed; called with clock_lock held. */
static void clock_refresh(void)
{
    struct stat st;
    if (stat(clock_path, &st) != 0)
        return;
    if (st.st_size == clock_size && st.st_ino == clock_ino &&
        st.st_mtim.tv_sec == clock_mtime.tv_sec &&
        st.st_mtim.tv_nsec == clock_mtime.tv_nsec)
        return;
    uint8_t *text = NULL;
    size_t len = 0;
    if (sl__read_file(clock_path, 128, &text, &len) != SL_OK)
        return;
    int64_t v;
    if (sl__clock_parse((const char *)text, &v) == SL_OK) {
        clock_value = v;
    } else {
        sl_log_warn("clock file %s: not epoch ms or ISO-8601 UTC; keeping "
                    "the last value", clock_path);
    }
    clock_size = st.st_size;
    clock_ino = st.st_ino;
    clock_mtime = st.st_mtim;
    sl__free(text);
}

sl_status sl__clock_set_file(const char *path)
{
    pthread_mutex_lock(&clock_lock);
    sl__free(clock_path);
    clock_path = NULL;
    clock_size = -1;
    sl_status st = SL_OK;
    if (path) {
        uint8_t *text = NULL;
        size_t len = 0;
        int64_t v = 0;
        st = sl__read_file(path, 128, &text, &len);
        if (st == SL_OK)
            st = sl__clock_parse((const char *)text, &v);
        sl__free(text);
        if (st == SL_OK) {
            clock_path = sl__strdup(path);
            if (!clock_path)
                st = SL_ERR_NOMEM;
            else {
                clock_value = v;
                clock_refresh();
            }
        }
    }
    pthread_mutex_unlock(&clock_lock);
    return st;
}

int64_t sl__now_ms(void)
{
    pthread_mutex_lock(&clock_lock);
    if (!clock_path) {
        pthread_mutex_unlock(&clock_lock);
        return sl_time_wall_ms();
    }
    clock_refresh();
    int64_t v = clock_value;
    pthread_mutex_unlock(&clock_lock);
    return v;
}
