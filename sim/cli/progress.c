#include "progress.h"

#include <stdio.h>
#include <string.h>

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

/* Print the first of the candidate lines that fits the terminal (the last
 * one always), so that a narrow terminal never wraps the line (a wrapped line
 * cannot be redrawn in place with \r). */
static void put_fitting(const cli_progress *p, char lines[][192], int n)
{
    int width = p->columns > 0 ? p->columns : 80;
    int k = 0;
    while (k < n - 1 && (int)strlen(lines[k]) >= width)
        k++;
    /* the whole width is cleared: a shorter line never leaves the end of a longer one */
    fprintf(stderr, "\r%-*.*s", width - 1, width - 1, lines[k]);
    fflush(stderr);
}

void cli_progress_update(void *data, int64_t done, int64_t total, double elapsed)
{
    cli_progress *p = data;
    if (!due(p, done, total, elapsed))
        return;
    double frac = (double)done / (double)total;
    char bar[2][40];
    const int bw[2] = {30, 10};
    for (int b = 0; b < 2; b++) {
        int filled = (int)(frac * bw[b]);
        for (int k = 0; k < bw[b]; k++)
            bar[b][k] = k < filled ? '#' : '.';
        bar[b][bw[b]] = '\0';
    }
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    double left = rate > 0 ? (double)(total - done) / rate : 0.0;
    double pdays = rate * (double)p->horizon_days * (double)p->n_strategies;
    char lines[4][192];
    snprintf(lines[0], sizeof lines[0], "[%s] %5.1f%%  %lld/%lld patients  %.0f patients/s  %.1f M patient-days/s  %.0f s left",
             bar[0], 100.0 * frac, (long long)done, (long long)total, rate, pdays / 1e6, left);
    snprintf(lines[1], sizeof lines[1], "[%s] %5.1f%%  %lld/%lld patients  %.0f s left", bar[0], 100.0 * frac,
             (long long)done, (long long)total, left);
    snprintf(lines[2], sizeof lines[2], "[%s] %5.1f%%  %.0f s left", bar[1], 100.0 * frac, left);
    snprintf(lines[3], sizeof lines[3], "%.0f%% %.0fs", 100.0 * frac, left);
    put_fitting(p, lines, 4);
}

void cli_progress_iterations(void *data, int64_t done, int64_t total, double elapsed)
{
    cli_progress *p = data;
    if (!due(p, done, total, elapsed))
        return;
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    double left = rate > 0 ? (double)(total - done) / rate : 0.0;
    char lines[3][192];
    snprintf(lines[0], sizeof lines[0], "%5.1f%%  %lld/%lld PSA iterations  %.1f iterations/s  %.0f s left",
             100.0 * done / total, (long long)done, (long long)total, rate, left);
    snprintf(lines[1], sizeof lines[1], "%5.1f%%  %lld/%lld iterations  %.0f s left", 100.0 * done / total,
             (long long)done, (long long)total, left);
    snprintf(lines[2], sizeof lines[2], "%.0f%% %.0fs", 100.0 * done / total, left);
    put_fitting(p, lines, 3);
}

void cli_progress_finish(cli_progress *p)
{
    if (p->enabled && p->drawn) {
        fputc('\n', stderr);
        fflush(stderr);
    }
}
