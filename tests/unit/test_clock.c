/*
 * test_clock.c -- sl__now_ms() and the test clock file (base/clock.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "test.h"

SL_TEST(clock, parse)
{
    int64_t v = 0;
    SL_CHECK(t, sl__clock_parse("1780000000000\n", &v) == SL_OK);
    SL_CHECK_EQ(t, v, 1780000000000LL);
    SL_CHECK(t, sl__clock_parse("1970-01-01T00:00:01Z", &v) == SL_OK);
    SL_CHECK_EQ(t, v, 1000);
    SL_CHECK(t, sl__clock_parse(" 2026-12-04T11:00:00.250Z ", &v) == SL_OK);
    SL_CHECK_EQ(t, v, 1796382000250LL);
    SL_CHECK(t, sl__clock_parse("", &v) != SL_OK);
    SL_CHECK(t, sl__clock_parse("2026-12-04", &v) != SL_OK);
    SL_CHECK(t, sl__clock_parse("2026-13-04T11:00:00Z", &v) != SL_OK);
    SL_CHECK(t, sl__clock_parse("12ab", &v) != SL_OK);
}

static void write_clock(const char *path, const char *text)
{
    /* a new file each time: a new inode and size/mtime change */
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    rename(tmp, path);
}

SL_TEST(clock, file)
{
    char dir[] = "/tmp/sl-clock-XXXXXX";
    if (!mkdtemp(dir)) {
        sl_t_skip(t, "no temp dir");
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/clock", dir);
    int64_t wall = sl_time_wall_ms();
    SL_CHECK(t, sl__now_ms() >= wall - 1000);
    SL_CHECK(t, sl__clock_set_file(path) != SL_OK);       /* absent */
    write_clock(path, "1000\n");
    SL_CHECK(t, sl__clock_set_file(path) == SL_OK);
    SL_CHECK_EQ(t, sl__now_ms(), 1000);
    write_clock(path, "2026-12-04T11:00:00Z");
    SL_CHECK_EQ(t, sl__now_ms(), 1796382000000LL);
    write_clock(path, "garbage");                          /* keeps last */
    SL_CHECK_EQ(t, sl__now_ms(), 1796382000000LL);
    write_clock(path, "123456789");
    SL_CHECK_EQ(t, sl__now_ms(), 123456789);
    SL_CHECK(t, sl__clock_set_file(NULL) == SL_OK);
    SL_CHECK(t, sl__now_ms() >= wall);
    unlink(path);
    rmdir(dir);
}
