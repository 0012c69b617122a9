/*
 * progress.c -- the one progress display of the CLI (cli.h): a bar redrawn
 * in place on a terminal, plain lines every few seconds into a log.
 */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"

void sl_cli_progress_init(struct sl_cli_progress *p, const char *what)
{
    p->what = what;
    p->t0 = sl_time_mono_ns();
    p->last = 0;
    p->tty = isatty(STDERR_FILENO) == 1;
}

void sl_cli_progress_update(struct sl_cli_progress *p, size_t done, size_t total,
                            size_t noface, bool final)
{
    uint64_t now = sl_time_mono_ns();
    uint64_t gap = p->tty ? 100000000ull : SL_PROGRESS_LOG_SECONDS * 1000000000ull;
    if (!final && p->last && now - p->last < gap)
        return;
    if (!final && !p->last && !p->tty && now - p->t0 < gap)
        return;             /* a log gets its first line after one period */
    p->last = now;
    double secs = (double)(now - p->t0) / 1e9;
    double rate = secs > 0 ? (double)done / secs : 0;
    double eta = rate > 0 && total > done ? (double)(total - done) / rate : 0;
    if (p->tty) {
        enum { W = 30 };
        int fill = total ? (int)((double)W * (double)done / (double)total) : W;
        char bar[W + 1];
        for (int i = 0; i < W; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[W] = 0;
        fprintf(stderr, "\r%-9s [%s] %zu/%zu  %.1f img/s  no face %zu  eta %.0fs ", p->what,
                bar, done, total, rate, noface, eta);
        if (final)
            fputc('\n', stderr);
    } else {
        fprintf(stderr, "%s: %zu/%zu  %.1f img/s  no face %zu  %s %.0fs\n", p->what, done,
                total, rate, noface, final ? "took" : "eta", final ? secs : eta);
    }
    fflush(stderr);
}
