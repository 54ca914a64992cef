#include "progress.h"

#include <stdio.h>

void cli_progress_update(void *data, int64_t done, int64_t total, double elapsed)
{
    cli_progress *p = data;
    if (!p->enabled || total <= 0)
        return;
    if (done < total && p->drawn && elapsed - p->last_draw < 0.2)
        return;
    p->last_draw = elapsed;
    p->drawn = 1;
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

void cli_progress_finish(cli_progress *p)
{
    if (p->enabled && p->drawn) {
        fputc('\n', stderr);
        fflush(stderr);
    }
}
