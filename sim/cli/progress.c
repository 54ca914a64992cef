#include "progress.h"

#include <stdio.h>

/* Whether to draw now: at most every 0.2 s, and always the last update. */
static int due(cli_progress *p, int64_t done, int64_t total, double elapsed)
{
    if (!p->enabled || total <= 0)
        return 0;
    if (done < total && p->drawn && elapsed - p->last_draw < 0.2)
        return 0;
    p->last_draw = elapsed;
    p->drawn = 1;
    return 1;
}

void cli_progress_update(void *data, int64_t done, int64_t total, double elapsed)
{
    cli_progress *p = data;
    if (!due(p, done, total, elapsed))
        return;
    const int width = 30;
    double frac = (double)done / (double)total;
    int filled = (int)(frac * width);
    char bar[64];
    for (int k = 0; k < width; k++)
        bar[k] = k < filled ? '#' : '.';
    bar[width] = '\0';
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    double left = rate > 0 ? (double)(total - done) / rate : 0.0;
    double pdays = rate * (double)p->horizon_days * (double)p->n_strategies;
    fprintf(stderr, "\r[%s] %5.1f%%  %lld/%lld patients  %.0f patients/s  %.1f M patient-days/s  %.0f s left ",
            bar, 100.0 * frac, (long long)done, (long long)total, rate, pdays / 1e6, left);
    fflush(stderr);
}

void cli_progress_iterations(void *data, int64_t done, int64_t total, double elapsed)
{
    cli_progress *p = data;
    if (!due(p, done, total, elapsed))
        return;
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    fprintf(stderr, "\r%5.1f%%  %lld/%lld PSA iterations  %.1f iterations/s  %.0f s left ", 100.0 * done / total,
            (long long)done, (long long)total, rate, rate > 0 ? (double)(total - done) / rate : 0.0);
    fflush(stderr);
}

void cli_progress_finish(cli_progress *p)
{
    if (p->enabled && p->drawn) {
        fputc('\n', stderr);
        fflush(stderr);
    }
}
