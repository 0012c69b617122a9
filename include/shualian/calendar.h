/*
 * calendar.h -- the working-day calendar: weekends, the State Council's
 * public holidays and the 调休 make-up working days (weekend days that are
 * working days), from a data file of the annual notices.
 *
 * Statutory time limits of service matters are counted in working days
 * (e.g. 补证: "自遗失声明满15个工作日后3个工作日内办结"). A generic business
 * calendar gets these wrong twice a year: it counts the holiday weekdays
 * as working days and misses the make-up Saturdays and Sundays. This one
 * knows every year it has a notice for, and nothing else: a computation
 * that reaches a date of a year without a notice fails closed with
 * SL_ERR_CAL_RANGE -- never a silent weekend-only count.
 *
 * The file format (share/shualian/calendar-cn.txt is the shipped copy,
 * 2019-2026, and documents it at its top):
 *
 *     year 2019 <notice reference...>
 *     off  2019-02-04..2019-02-10 春节      holiday days (range inclusive)
 *     work 2019-02-02 春节调休               a weekend day that is worked
 *
 * Every date must lie in the year of the `year` line above it; a `work`
 * day must be a Saturday or Sunday; an `off` day must not also be `work`;
 * years are unique. A bad file is refused with SL_ERR_CAL_FORMAT and a
 * message naming the file, the line and the field.
 *
 * Dates are day numbers (sl_day: days since 1970-01-01, proleptic
 * Gregorian), converted with sl_day_parse / sl_day_format.
 *
 * Ownership: sl_calendar_load* return a calendar the caller frees with
 * sl_calendar_free (NULL is fine). A loaded calendar is immutable: any
 * number of threads may query it at once.
 */
#ifndef SHUALIAN_CALENDAR_H
#define SHUALIAN_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shualian/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t sl_day;               /* days since 1970-01-01             */
typedef struct sl_calendar sl_calendar;

#define SL_CAL_MSG_MAX 256u           /* size of an error message buffer   */

/* "YYYY-MM-DD" (exactly) -> day number; SL_ERR_INVALID for anything else,
 * including impossible dates such as 2019-02-29. */
SL_API SL_NODISCARD sl_status sl_day_parse(const char *s, sl_day *out);
/* day -> "YYYY-MM-DD" into buf (at least 11 bytes). */
SL_API void sl_day_format(sl_day d, char buf[11]);
/* 0 = Monday ... 6 = Sunday. */
SL_API int sl_day_weekday(sl_day d);
/* Calendar year of a day. */
SL_API int sl_day_year(sl_day d);

/* Load from text in memory. `name` (e.g. the file name) is used in error
 * messages; on failure `msg` (if not NULL, SL_CAL_MSG_MAX bytes) says
 * "name:line: field: what is wrong". *out is written only on SL_OK. */
SL_API SL_NODISCARD sl_status sl_calendar_load(const char *text, size_t n,
                                               const char *name,
                                               char *msg, sl_calendar **out);
/* Load a file (read whole, at most 1 MiB). */
SL_API SL_NODISCARD sl_status sl_calendar_load_file(const char *path,
                                                    char *msg,
                                                    sl_calendar **out);
/* The shipped calendar (share/shualian/calendar-cn.txt), compiled in. */
SL_API SL_NODISCARD sl_status sl_calendar_builtin(sl_calendar **out);
SL_API void sl_calendar_free(sl_calendar *cal);

/* First and last year with a notice; years between are all present. */
SL_API void sl_calendar_years(const sl_calendar *cal, int *first, int *last);
/* The notice reference of a year (owned by the calendar), NULL if absent. */
SL_API const char *sl_calendar_notice(const sl_calendar *cal, int year);

/* Is `d` a working day? SL_ERR_CAL_RANGE if its year has no notice. */
SL_API SL_NODISCARD sl_status sl_calendar_is_working(const sl_calendar *cal,
                                                     sl_day d, bool *out);
/* The holiday name of an `off` day or the make-up name of a `work` day
 * (owned by the calendar), NULL for an ordinary day. */
SL_API const char *sl_calendar_name(const sl_calendar *cal, sl_day d);

/* The n-th working day strictly after `from` (n >= 1), e.g. a hold of 15
 * working days declared on `from` ends at the end of the returned day.
 * n = 0 returns `from` itself if it is a working day, else the next one.
 * SL_ERR_CAL_RANGE if the count runs out of the loaded years;
 * SL_ERR_INVALID if n < 0 or n > 10000. */
SL_API SL_NODISCARD sl_status sl_calendar_add_working_days(
    const sl_calendar *cal, sl_day from, int n, sl_day *out);
/* Working days in (a, b]: 0 when b <= a. SL_ERR_CAL_RANGE as above. */
SL_API SL_NODISCARD sl_status sl_calendar_working_days_between(
    const sl_calendar *cal, sl_day a, sl_day b, int *out);

#ifdef __cplusplus
}
#endif

#endif
