/*
 * test_gov_calendar.c -- the working-day calendar against the State
 * Council's notices, 2019-2026: every make-up working day and every
 * weekday holiday, typed in here from the notices independently of the
 * shipped data file; the tricky counts; malformed files refused with
 * file:line:field.
 */
#include <stdlib.h>
#include <string.h>

#include "shualian/calendar.h"
#include "test.h"

static sl_day D(const char *s)
{
    sl_day d = 0;
    if (sl_day_parse(s, &d) != SL_OK)
        return -1;
    return d;
}

/* 调休 make-up working days (Saturdays/Sundays worked), per the notices. */
static const char *const makeup[] = {
    "2019-02-02", "2019-02-03", "2019-04-28", "2019-05-05", "2019-09-29", "2019-10-12",
    "2020-01-19", "2020-04-26", "2020-05-09", "2020-06-28", "2020-09-27", "2020-10-10",
    "2021-02-07", "2021-02-20", "2021-04-25", "2021-05-08", "2021-09-18", "2021-09-26",
    "2021-10-09",
    "2022-01-29", "2022-01-30", "2022-04-02", "2022-04-24", "2022-05-07", "2022-10-08",
    "2022-10-09",
    "2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07",
    "2023-10-08",
    "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14",
    "2024-09-29", "2024-10-12",
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
};

/* Holiday ranges (放假), inclusive, per the notices. */
static const char *const off[][2] = {
    { "2019-01-01", "2019-01-01" }, { "2019-02-04", "2019-02-10" },
    { "2019-04-05", "2019-04-07" }, { "2019-05-01", "2019-05-04" },
    { "2019-06-07", "2019-06-09" }, { "2019-09-13", "2019-09-15" },
    { "2019-10-01", "2019-10-07" },
    { "2020-01-01", "2020-01-01" }, { "2020-01-24", "2020-02-02" },
    { "2020-04-04", "2020-04-06" }, { "2020-05-01", "2020-05-05" },
    { "2020-06-25", "2020-06-27" }, { "2020-10-01", "2020-10-08" },
    { "2021-01-01", "2021-01-03" }, { "2021-02-11", "2021-02-17" },
    { "2021-04-03", "2021-04-05" }, { "2021-05-01", "2021-05-05" },
    { "2021-06-12", "2021-06-14" }, { "2021-09-19", "2021-09-21" },
    { "2021-10-01", "2021-10-07" },
    { "2022-01-01", "2022-01-03" }, { "2022-01-31", "2022-02-06" },
    { "2022-04-03", "2022-04-05" }, { "2022-04-30", "2022-05-04" },
    { "2022-06-03", "2022-06-05" }, { "2022-09-10", "2022-09-12" },
    { "2022-10-01", "2022-10-07" }, { "2022-12-31", "2022-12-31" },
    { "2023-01-01", "2023-01-02" }, { "2023-01-21", "2023-01-27" },
    { "2023-04-05", "2023-04-05" }, { "2023-04-29", "2023-05-03" },
    { "2023-06-22", "2023-06-24" }, { "2023-09-29", "2023-10-06" },
    { "2024-01-01", "2024-01-01" }, { "2024-02-10", "2024-02-17" },
    { "2024-04-04", "2024-04-06" }, { "2024-05-01", "2024-05-05" },
    { "2024-06-10", "2024-06-10" }, { "2024-09-15", "2024-09-17" },
    { "2024-10-01", "2024-10-07" },
    { "2025-01-01", "2025-01-01" }, { "2025-01-28", "2025-02-04" },
    { "2025-04-04", "2025-04-06" }, { "2025-05-01", "2025-05-05" },
    { "2025-05-31", "2025-06-02" }, { "2025-10-01", "2025-10-08" },
    { "2026-01-01", "2026-01-03" }, { "2026-02-15", "2026-02-23" },
    { "2026-04-04", "2026-04-06" }, { "2026-05-01", "2026-05-05" },
    { "2026-06-19", "2026-06-21" }, { "2026-09-25", "2026-09-27" },
    { "2026-10-01", "2026-10-07" },
};

SL_TEST(gov, calendar_days)
{
    char buf[11];
    SL_CHECK_EQ(t, D("1970-01-01"), 0);
    SL_CHECK_EQ(t, sl_day_weekday(D("2019-09-29")), 6);   /* Sunday  */
    SL_CHECK_EQ(t, sl_day_weekday(D("2024-02-29")), 3);   /* Thursday */
    sl_day_format(D("2024-02-29"), buf);
    SL_CHECK(t, strcmp(buf, "2024-02-29") == 0);
    sl_day d;
    SL_CHECK(t, sl_day_parse("2019-02-29", &d) != SL_OK);
    SL_CHECK(t, sl_day_parse("2019-13-01", &d) != SL_OK);
    SL_CHECK(t, sl_day_parse("2019-1-01", &d) != SL_OK);
    SL_CHECK(t, sl_day_parse("2019-01-01x", &d) != SL_OK);
    SL_CHECK(t, sl_day_parse("", &d) != SL_OK);
    for (sl_day x = D("2018-12-25"); x < D("2027-01-10"); x++) {
        sl_day y;
        sl_day_format(x, buf);
        SL_CHECK(t, sl_day_parse(buf, &y) == SL_OK && y == x);
    }
}

SL_TEST(gov, calendar_notices)
{
    sl_calendar *cal = NULL;
    SL_CHECK(t, sl_calendar_builtin(&cal) == SL_OK);
    if (!cal)
        return;
    int first, last;
    sl_calendar_years(cal, &first, &last);
    SL_CHECK_EQ(t, first, 2019);
    SL_CHECK_EQ(t, last, 2026);
    /* Expected status of every day: weekday unless listed. */
    sl_day d0 = D("2019-01-01"), d1 = D("2026-12-31");
    size_t n = (size_t)(d1 - d0 + 1);
    signed char *want = calloc(n, 1);
    for (size_t i = 0; i < n; i++)
        want[i] = sl_day_weekday(d0 + (sl_day)i) < 5;
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++)
        for (sl_day x = D(off[i][0]); x <= D(off[i][1]); x++)
            want[x - d0] = 0;
    for (size_t i = 0; i < sizeof makeup / sizeof makeup[0]; i++) {
        sl_day x = D(makeup[i]);
        SL_CHECKF(t, sl_day_weekday(x) >= 5, "%s is a weekend day", makeup[i]);
        want[x - d0] = 1;
    }
    int wrong = 0;
    for (size_t i = 0; i < n; i++) {
        bool w;
        if (sl_calendar_is_working(cal, d0 + (sl_day)i, &w) != SL_OK || w != want[i]) {
            char s[11];
            sl_day_format(d0 + (sl_day)i, s);
            SL_CHECKF(t, 0, "%s: calendar says %s", s, w ? "working" : "rest");
            if (++wrong > 5)
                break;
        }
    }
    free(want);
    SL_CHECK(t, strcmp(sl_calendar_name(cal, D("2019-09-29")), "国庆节调休") == 0);
    SL_CHECK(t, sl_calendar_name(cal, D("2019-09-24")) == NULL);
    SL_CHECK(t, strstr(sl_calendar_notice(cal, 2020), "2020") != NULL);
    sl_calendar_free(cal);
}

SL_TEST(gov, calendar_counts)
{
    sl_calendar *cal = NULL;
    SL_CHECK(t, sl_calendar_builtin(&cal) == SL_OK);
    if (!cal)
        return;
    struct { const char *from; int n; const char *want; } add[] = {
        /* National Day 2019: the Sunday 09-29 and Saturday 10-12 count. */
        { "2019-09-23", 15, "2019-10-17" },
        { "2019-09-27", 1, "2019-09-29" },
        { "2019-09-30", 1, "2019-10-08" },
        /* Spring Festival 2020, extended to 02-02; 01-19 (Sunday) worked. */
        { "2020-01-17", 1, "2020-01-19" },
        { "2020-01-23", 1, "2020-02-03" },
        /* Spring Festival 2024: both make-up Sundays. */
        { "2024-02-02", 1, "2024-02-04" },
        { "2024-02-09", 1, "2024-02-18" },
        /* A 15-day hold across New Year 2025->2026 (01-01..03 off, 01-04 worked). */
        { "2025-12-22", 15, "2026-01-13" },
        /* 补证: declared 2023-09-25 (Mid-Autumn + National Day, 10-07/08 worked); 15 working days then 3 more. */
        { "2023-09-25", 15, "2023-10-20" },
        { "2023-10-20", 3, "2023-10-25" },
        /* n = 0: the day itself if working, else the next working day. */
        { "2019-10-05", 0, "2019-10-08" },
        { "2019-10-08", 0, "2019-10-08" },
    };
    for (size_t i = 0; i < sizeof add / sizeof add[0]; i++) {
        sl_day r = 0;
        char s[11] = "";
        SL_CHECK(t, sl_calendar_add_working_days(cal, D(add[i].from), add[i].n, &r) == SL_OK);
        sl_day_format(r, s);
        SL_CHECKF(t, strcmp(s, add[i].want) == 0, "%s + %d = %s, want %s",
                  add[i].from, add[i].n, s, add[i].want);
        if (add[i].n > 0) {
            int back = -1;
            SL_CHECK(t, sl_calendar_working_days_between(cal, D(add[i].from), r, &back) == SL_OK);
            SL_CHECK_EQ(t, back, add[i].n);
        }
    }
    int n = -1;
    SL_CHECK(t, sl_calendar_working_days_between(cal, D("2019-10-01"), D("2019-10-07"), &n) == SL_OK);
    SL_CHECK_EQ(t, n, 0);
    SL_CHECK(t, sl_calendar_working_days_between(cal, D("2019-10-07"), D("2019-10-01"), &n) == SL_OK);
    SL_CHECK_EQ(t, n, 0);
    /* Fails closed outside the loaded years, never a weekday-only count. */
    sl_day r;
    bool w;
    SL_CHECK(t, sl_calendar_add_working_days(cal, D("2026-12-20"), 15, &r) == SL_ERR_CAL_RANGE);
    SL_CHECK(t, sl_calendar_add_working_days(cal, D("2018-12-28"), 1, &r) == SL_ERR_CAL_RANGE);
    SL_CHECK(t, sl_calendar_is_working(cal, D("2027-01-04"), &w) == SL_ERR_CAL_RANGE);
    SL_CHECK(t, sl_calendar_working_days_between(cal, D("2026-12-01"), D("2027-01-10"), &n) == SL_ERR_CAL_RANGE);
    SL_CHECK(t, sl_calendar_add_working_days(cal, D("2019-10-01"), -1, &r) == SL_ERR_INVALID);
    SL_CHECK(t, sl_calendar_add_working_days(cal, D("2019-10-01"), 10001, &r) == SL_ERR_INVALID);
    sl_calendar_free(cal);
}

static void bad_file(struct sl_t *t, const char *text, const char *want)
{
    char msg[SL_CAL_MSG_MAX];
    sl_calendar *cal = NULL;
    sl_status st = sl_calendar_load(text, strlen(text), "x.txt", msg, &cal);
    SL_CHECKF(t, st == SL_ERR_CAL_FORMAT, "%s: status %d", want, st);
    SL_CHECKF(t, strstr(msg, want) != NULL, "message '%s' lacks '%s'", msg, want);
    SL_CHECK(t, cal == NULL);
    sl_calendar_free(cal);
}

SL_TEST(gov, calendar_bad_files)
{
    bad_file(t, "", "x.txt:0: year: the file lists no year");
    bad_file(t, "off 2019-01-01 元旦\n", "x.txt:1: keyword");
    bad_file(t, "year 19 x\n", "x.txt:1: year");
    bad_file(t, "year 2019\n", "x.txt:1: notice");
    bad_file(t, "year 2019 n\nyear 2019 n\n", "x.txt:2: year: 2019 is listed twice");
    bad_file(t, "year 2019 n\n\n# c\nholiday 2019-01-01 x\n", "x.txt:4: keyword");
    bad_file(t, "year 2019 n\noff 2019-02-30 x\n", "x.txt:2: date");
    bad_file(t, "year 2019 n\noff 2020-01-01 x\n", "x.txt:2: date: '2020-01-01' is not in the year 2019");
    bad_file(t, "year 2019 n\noff 2019-01-05..2019-01-02 x\n", "x.txt:2: date: range");
    bad_file(t, "year 2019 n\noff 2019-01-01\n", "x.txt:2: name");
    bad_file(t, "year 2019 n\nwork 2019-01-02 x\n", "x.txt:2: date: 2019-01-02 is a weekday");
    bad_file(t, "year 2019 n\noff 2019-01-05 x\nwork 2019-01-05 y\n", "both as off and as work");
    bad_file(t, "year 2019 n\nyear 2021 n\n", "have a gap");
    bad_file(t, "year 2019 n\noff 2019-01-01..2019-13-01 x\n", "x.txt:2: date");
    char nul[] = "year 2019 n\n\0off";
    char msg[SL_CAL_MSG_MAX];
    sl_calendar *cal = NULL;
    SL_CHECK(t, sl_calendar_load(nul, sizeof nul - 1, "x.txt", msg, &cal) == SL_ERR_CAL_FORMAT);
    /* A good one-year file loads; CRLF line ends are fine. */
    const char *ok = "year 2030 test\r\noff 2030-01-01 元旦\r\nwork 2030-01-05 调休\r\n";
    SL_CHECK(t, sl_calendar_load(ok, strlen(ok), "ok.txt", msg, &cal) == SL_OK);
    bool w = true;
    SL_CHECK(t, sl_calendar_is_working(cal, D("2030-01-01"), &w) == SL_OK && !w);
    SL_CHECK(t, sl_calendar_is_working(cal, D("2030-01-05"), &w) == SL_OK && w);
    sl_calendar_free(cal);
    /* The shipped file itself loads from disk and matches the built-in. */
    char path[4096];
    sl_t_path(path, sizeof path, "share/shualian/calendar-cn.txt");
    SL_CHECK(t, sl_calendar_load_file(path,
                                      msg, &cal) == SL_OK);
    sl_calendar_free(cal);
    SL_CHECK(t, sl_calendar_load_file("/nonexistent/cal.txt", msg, &cal) != SL_OK);
}
