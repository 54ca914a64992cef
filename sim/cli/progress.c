#include "progress.h"

#include <stdio.h>
#include <string.h>

void cli_progress_setup(cli_progress *p, int mode, int quiet, int stderr_is_tty)
{
    if (mode == CLI_PROGRESS_AUTO)
        mode = stderr_is_tty ? CLI_PROGRESS_BAR : CLI_PROGRESS_LINES;
    p->mode = mode;
    p->enabled = !quiet && mode != CLI_PROGRESS_NONE;
}

/* Whether to draw now.  The bar: at most every 0.2 s, and always the last
 * update.  Lines: when `every` seconds have passed since the start or the
 * previous line, and the last update if a line came before it (a run shorter
 * than `every` prints none).  JSON: the same, and always the last update. */
static int due(cli_progress *p, int64_t done, int64_t total, double elapsed)
{
    if (!p->enabled || total <= 0)
        return 0;
    if (p->mode == CLI_PROGRESS_BAR) {
        if (done < total && p->drawn && elapsed - p->last_draw < 0.2)
            return 0;
    } else {
        int waited = elapsed - p->last_draw >= p->every;
        if (done < total && !waited)
            return 0;
        if (done >= total && !waited && !p->drawn && p->mode == CLI_PROGRESS_LINES)
            return 0;
    }
    p->last_draw = elapsed;
    p->drawn = 1;
    return 1;
}

/* Whose work the counts are: a shard's, or an MPI rank's share. */
static void shard_text(const cli_progress *p, char *buf, size_t size, int json)
{
    if (p->shard_count > 0 && json)
        snprintf(buf, size, ",\"shard\":%d,\"shards\":%d", p->shard_index, p->shard_count);
    else if (p->shard_count > 0)
        snprintf(buf, size, "shard %d/%d: ", p->shard_index, p->shard_count);
    else if (p->ranks > 1 && json)
        snprintf(buf, size, ",\"rank\":%d,\"ranks\":%d", p->rank, p->ranks);
    else if (p->ranks > 1)
        snprintf(buf, size, "rank %d of %d: ", p->rank, p->ranks);
    else
        buf[0] = '\0';
}

/* One line for a log (lines) or a batch system (json). */
static void put_line(const cli_progress *p, const char *unit, int64_t done, int64_t total, double elapsed,
                     double rate, double pdays, double left)
{
    char sh[64];
    shard_text(p, sh, sizeof sh, p->mode == CLI_PROGRESS_JSON);
    if (p->mode == CLI_PROGRESS_JSON)
        fprintf(stderr,
                "{\"event\":\"progress\",\"unit\":\"%s\",\"done\":%lld,\"total\":%lld,\"fraction\":%.4f,"
                "\"elapsed_s\":%.3f,\"rate_per_s\":%.3f,\"patient_days_per_s\":%.6g,\"eta_s\":%.1f%s}\n",
                unit, (long long)done, (long long)total, (double)done / (double)total, elapsed, rate, pdays, left, sh);
    else
        fprintf(stderr,
                "painsim: %sprogress %.1f%%: %lld/%lld %s in %.1f s, %.1f %s/s, %.2f M patient-days/s, %.0f s left\n",
                sh, 100.0 * (double)done / (double)total, (long long)done, (long long)total, unit, elapsed, rate,
                unit, pdays / 1e6, left);
    fflush(stderr);
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
    if (p->mode != CLI_PROGRESS_BAR) {
        put_line(p, "patients", done, total, elapsed, rate, pdays, left);
        return;
    }
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
    if (p->mode != CLI_PROGRESS_BAR) {
        double pdays = rate * (double)p->patients * (double)p->horizon_days * (double)p->n_strategies;
        put_line(p, "iterations", done, total, elapsed, rate, pdays, left);
        return;
    }
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
    if (p->enabled && p->drawn && p->mode == CLI_PROGRESS_BAR) {
        fputc('\n', stderr);
        fflush(stderr);
    }
}
