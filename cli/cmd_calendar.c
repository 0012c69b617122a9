/*
 * cmd_calendar.c -- shualian calendar: working-day arithmetic on the
 * State Council holiday calendar (include/shualian/calendar.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "shualian/calendar.h"

static const char *HELP =
    "usage: shualian calendar <sub> [--file FILE] [args]\n"
    "\n"
    "Working days on the calendar of public holidays and 调休 make-up working\n"
    "days (the shipped share/shualian/calendar-cn.txt, 2019-2026, or --file).\n"
    "A date in a year the calendar has no notice for is refused (exit 3,\n"
    "code calendar_range), never counted as weekdays only.\n"
    "\n"
    "  add-working-days DATE N      the N-th working day after DATE\n"
    "  working-days-between A B     working days in (A, B]\n"
    "  day DATE                     is DATE a working day, and why\n"
    "  year YYYY                    every day of a year with its status\n"
    "  years                        the years loaded, their notices, and a\n"
    "                               warning when next year's notice is missing\n"
    "  check FILE                   validate a calendar file (e.g. a new\n"
    "                               year's notice) without using it\n"
    "\n"
    "Dates are YYYY-MM-DD. Output is JSON.\n";

static int load(const char *file, sl_calendar **cal)
{
    char msg[SL_CAL_MSG_MAX];
    sl_status st = file ? sl_calendar_load_file(file, msg, cal)
                        : sl_calendar_builtin(cal);
    if (st != SL_OK)
        return sl_cli_fail(st, "calendar", "%s", msg[0] ? msg : sl_status_str(st));
    return -1;
}

static int parse_date(const char *s, sl_day *d)
{
    if (sl_day_parse(s, d) != SL_OK)
        return sl_cli_fail(SL_ERR_INVALID, "calendar",
                           "'%s' is not a date YYYY-MM-DD", s);
    return -1;
}

static int range_fail(const sl_calendar *cal, const char *what)
{
    int first, last;
    sl_calendar_years(cal, &first, &last);
    return sl_cli_fail(SL_ERR_CAL_RANGE, "calendar",
                       "%s reaches outside the calendar's years %d-%d: load the "
                       "State Council's notice for that year (--file)",
                       what, first, last);
}

static json_t *day_json(const sl_calendar *cal, sl_day d)
{
    char s[11];
    bool working = false;
    sl_day_format(d, s);
    static const char *wd[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
    json_t *o = json_pack("{s:s, s:s}", "date", s, "weekday", wd[sl_day_weekday(d)]);
    if (o && sl_calendar_is_working(cal, d, &working) == SL_OK) {
        json_object_set_new(o, "working", json_boolean(working));
        const char *name = sl_calendar_name(cal, d);
        if (name)
            json_object_set_new(o, "name", json_string(name));
    }
    return o;
}

int cmd_calendar(int argc, char **argv)
{
    const char *file = NULL;
    const char *pos[3];
    int npos = 0;
    if (sl_cli_wants_help(argc, argv) || argc < 2) {
        fputs(HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? SL_EXIT_USAGE : SL_EXIT_OK;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--file") == 0) {
            if (++i == argc)
                return sl_cli_usage_error("calendar", "missing value after --file");
            file = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return sl_cli_usage_error("calendar", "unknown option %s", argv[i]);
        } else if (npos < 3) {
            pos[npos++] = argv[i];
        } else {
            return sl_cli_usage_error("calendar", "too many arguments");
        }
    }
    const char *sub = argv[1];
    int want = strcmp(sub, "add-working-days") == 0 ? 2
             : strcmp(sub, "working-days-between") == 0 ? 2
             : strcmp(sub, "day") == 0 ? 1
             : strcmp(sub, "check") == 0 ? 1
             : strcmp(sub, "year") == 0 ? 1
             : strcmp(sub, "years") == 0 ? 0 : -1;
    if (want < 0)
        return sl_cli_usage_error("calendar", "unknown sub-command '%s'", sub);
    if (npos != want)
        return sl_cli_usage_error("calendar", "%s takes %d argument%s", sub,
                                  want, want == 1 ? "" : "s");
    if (strcmp(sub, "check") == 0)
        file = pos[0];

    sl_calendar *cal = NULL;
    int rc = load(file, &cal);
    if (rc >= 0)
        return rc;
    json_t *out = NULL;
    sl_day a, b;
    if (strcmp(sub, "add-working-days") == 0) {
        long n;
        sl_day r;
        if ((rc = parse_date(pos[0], &a)) >= 0)
            goto done;
        if (!sl_cli_parse_long(pos[1], 0, 10000, &n)) {
            rc = sl_cli_usage_error("calendar", "N must be a whole number 0..10000");
            goto done;
        }
        sl_status st = sl_calendar_add_working_days(cal, a, (int)n, &r);
        if (st == SL_ERR_CAL_RANGE) {
            rc = range_fail(cal, "the count");
            goto done;
        }
        if (st != SL_OK) {
            rc = sl_cli_fail(st, "calendar", "%s", sl_status_str(st));
            goto done;
        }
        out = json_pack("{s:o, s:i, s:o}", "from", day_json(cal, a), "working_days",
                        (json_int_t)n, "result", day_json(cal, r));
    } else if (strcmp(sub, "working-days-between") == 0) {
        int n;
        if ((rc = parse_date(pos[0], &a)) >= 0 || (rc = parse_date(pos[1], &b)) >= 0)
            goto done;
        sl_status st = sl_calendar_working_days_between(cal, a, b, &n);
        if (st == SL_ERR_CAL_RANGE) {
            rc = range_fail(cal, "the interval");
            goto done;
        }
        out = json_pack("{s:o, s:o, s:i}", "from", day_json(cal, a), "to",
                        day_json(cal, b), "working_days", (json_int_t)n);
    } else if (strcmp(sub, "day") == 0) {
        bool w;
        if ((rc = parse_date(pos[0], &a)) >= 0)
            goto done;
        if (sl_calendar_is_working(cal, a, &w) == SL_ERR_CAL_RANGE) {
            rc = range_fail(cal, "the date");
            goto done;
        }
        out = day_json(cal, a);
    } else if (strcmp(sub, "year") == 0) {
        long y;
        char s0[11];
        if (!sl_cli_parse_long(pos[0], 1900, 9999, &y)) {
            rc = sl_cli_usage_error("calendar", "YYYY must be a year");
            goto done;
        }
        snprintf(s0, sizeof s0, "%04ld-01-01", y);
        bool w;
        if (sl_day_parse(s0, &a) != SL_OK || sl_calendar_is_working(cal, a, &w) != SL_OK) {
            rc = range_fail(cal, "the year");
            goto done;
        }
        json_t *days = json_array();
        for (sl_day d = a; sl_day_year(d) == (int)y; d++)
            json_array_append_new(days, day_json(cal, d));
        out = json_pack("{s:i, s:s, s:o}", "year", (json_int_t)y, "notice",
                        sl_calendar_notice(cal, (int)y), "days", days);
    } else {
        int first, last;
        sl_calendar_years(cal, &first, &last);
        json_t *years = json_array();
        for (int y = first; y <= last; y++)
            json_array_append_new(years, json_pack("{s:i, s:s}", "year", (json_int_t)y,
                                                   "notice", sl_calendar_notice(cal, y)));
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        int this_year = tm.tm_year + 1900;
        out = json_pack("{s:i, s:i, s:o}", "first", (json_int_t)first, "last",
                        (json_int_t)last, "years", years);
        if (out && last <= this_year)
            json_object_set_new(out, "warning", json_sprintf(
                "the calendar has no notice for %d: load it when the State Council "
                "publishes it, or deadlines reaching into %d will be refused",
                last + 1, last + 1));
        if (out && strcmp(sub, "check") == 0)
            json_object_set_new(out, "ok", json_true());
    }
    rc = out ? sl_cli_print(out) : sl_cli_fail(SL_ERR_NOMEM, "calendar", "out of memory");
done:
    sl_calendar_free(cal);
    return rc;
}
