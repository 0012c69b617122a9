/*
 * gov_cal_bench.c -- working-day calendar arithmetic per second: the
 * shipped calendar, sl_calendar_add_working_days from a random day of
 * 2019..2025 by 1..30 working days (the range of holds and time limits),
 * and sl_calendar_working_days_between over the same spans. Single thread,
 * best of 5 rounds of thread CPU time.
 *
 *   make bench-gov     (this, then bench/gov.sh over HTTP)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "shualian/calendar.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    sl_calendar *cal = NULL;
    if (sl_calendar_builtin(&cal) != SL_OK) {
        fprintf(stderr, "gov-cal-bench: no calendar\n");
        return 1;
    }
    sl_day d0 = 0, d1 = 0;
    if (sl_day_parse("2019-01-01", &d0) != SL_OK || sl_day_parse("2025-12-01", &d1) != SL_OK)
        return 1;
    enum { N = 200000 };
    static sl_day from[N];
    static int n[N];
    srand(12);
    for (int i = 0; i < N; i++) {
        from[i] = d0 + rand() % (d1 - d0);
        n[i] = 1 + rand() % 30;
    }
    double best_add = 1e9, best_between = 1e9;
    long sink = 0;
    for (int round = 0; round < 5; round++) {
        double t = cpu_s();
        for (int i = 0; i < N; i++) {
            sl_day out;
            if (sl_calendar_add_working_days(cal, from[i], n[i], &out) == SL_OK) sink += out;
        }
        t = cpu_s() - t;
        if (t < best_add) best_add = t;
        t = cpu_s();
        for (int i = 0; i < N; i++) {
            int w;
            if (sl_calendar_working_days_between(cal, from[i], from[i] + 3 * n[i], &w) == SL_OK)
                sink += w;
        }
        t = cpu_s() - t;
        if (t < best_between) best_between = t;
    }
    printf("{\"calendar_add_working_days_per_s\":%.0f,\"calendar_working_days_between_per_s\":%.0f,"
           "\"ops\":%d,\"sink\":%ld}\n", N / best_add, N / best_between, N, sink % 7);
    sl_calendar_free(cal);
    return 0;
}
