/* Printing a sweep or a tornado: aligned tables with units, or CSV. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output/jsonout.h"
#include "painsim/sweep.h"

static const char *const level_names[] = {"base", "low", "high", "value"};

static void num_or_dash(char *buf, size_t size, double v, int digits)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.*f", digits, v);
}

static void est(char *buf, size_t size, double v, double se, int digits)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (isnan(se))
        snprintf(buf, size, "%.*f", digits, v);
    else
        snprintf(buf, size, "%.*f (%.*f)", digits, v, digits, se);
}

/* A parameter value: the shortest text that reads back. */
static void value_text(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "-");
    else
        jo_shortest(buf, size, v);
}

#define NCOL_MAX (8 + PSIM_SWEEP_MAX_DAYS)
#define CELL 48

/* A sweep: one block per strategy, a row per value. */
static void print_blocks(const psim_sweep *sw, FILE *fp)
{
    const int S = sw->n_strategies, K = sw->n_points, D = sw->n_days;
    char head[NCOL_MAX][2][CELL];
    int nc = 0;
    const char *cur = sw->currency;
#define HEAD(a, b) (snprintf(head[nc][0], CELL, "%s", a), snprintf(head[nc][1], CELL, "%s", b), nc++)
    HEAD("value", sw->params[0].unit);
    char u[CELL];
    snprintf(u, sizeof u, "(%s)", cur);
    HEAD("cost", u);
    HEAD("QALY", "(QALY)");
    snprintf(u, sizeof u, "(%s/QALY)", cur);
    HEAD("ICER", u);
    snprintf(u, sizeof u, "(%s)", cur);
    HEAD("NMB", u);
    HEAD("incremental NMB", u);
    HEAD("first response", "(%)");
    for (int d = 0; d < D; d++) {
        char h[CELL];
        snprintf(h, sizeof h, "VAS day %d", sw->days[d]);
        HEAD(h, "(cm)");
    }
#undef HEAD
    char(*cells)[NCOL_MAX][CELL] = calloc((size_t)K, sizeof *cells);
    if (!cells)
        return;
    for (int s = 0; s < S; s++) {
        int w[NCOL_MAX];
        for (int c = 0; c < nc; c++) {
            int a = (int)strlen(head[c][0]), b = (int)strlen(head[c][1]);
            w[c] = a > b ? a : b;
        }
        for (int k = 0; k < K; k++) {
            size_t i = (size_t)k * (size_t)S + (size_t)s;
            int c = 0;
            value_text(cells[k][c], CELL, sw->point_value[k]);
            c++;
            est(cells[k][c++], CELL, sw->cost[i], sw->cost_se[i], 0);
            est(cells[k][c++], CELL, sw->qaly[i], sw->qaly_se[i], 4);
            num_or_dash(cells[k][c++], CELL, s == sw->reference ? NAN : sw->icer[i], 0);
            est(cells[k][c++], CELL, sw->nmb[i], sw->nmb_se[i], 0);
            if (s == sw->reference)
                snprintf(cells[k][c++], CELL, "reference");
            else
                est(cells[k][c++], CELL, sw->inmb[i], sw->inmb_se[i], 0);
            est(cells[k][c++], CELL, 100.0 * sw->first_response[i], 100.0 * sw->first_response_se[i], 1);
            for (int d = 0; d < D; d++) {
                size_t j = i * (size_t)D + (size_t)d;
                est(cells[k][c++], CELL, sw->mean_vas[j], sw->mean_vas_se[j], 2);
            }
            for (int q = 0; q < nc; q++) {
                int l = (int)strlen(cells[k][q]);
                w[q] = l > w[q] ? l : w[q];
            }
        }
        fprintf(fp, "\n%s%s\n", sw->strategy[s], s == sw->reference ? " (the reference)" : "");
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < nc; c++)
                fprintf(fp, "  %*s", w[c], head[c][r]);
            fputc('\n', fp);
        }
        for (int k = 0; k < K; k++) {
            for (int c = 0; c < nc; c++)
                fprintf(fp, "  %*s", w[c], cells[k][c]);
            fputc('\n', fp);
        }
    }
    free(cells);
}

typedef struct bar {
    int p;
    double lo, hi, width;
} bar;

static int bar_cmp(const void *a, const void *b)
{
    const bar *x = a, *y = b;
    if (x->width != y->width)
        return x->width < y->width ? 1 : -1;
    return x->p - y->p;
}

static void print_tornado(const psim_sweep *sw, FILE *fp)
{
    const int S = sw->n_strategies, P = sw->n_params, o = sw->outcome;
    const char *cur = sw->currency;
    char wtp[40];
    value_text(wtp, sizeof wtp, sw->wtp);
    fprintf(fp, "Tornado of scenario `%s`: incremental NMB of %s against %s at %s %s/QALY\n", sw->scenario,
            sw->strategy[o], sw->strategy[sw->reference], wtp, cur);
    fprintf(fp, "(%d points x %lld patients, seed %llu, common random numbers; each bar sets one parameter to its\n"
                "low and its high value, the others at the base case)\n",
            sw->n_points, (long long)sw->patients, (unsigned long long)sw->seed);
    fprintf(fp, "base case: %.0f %s (SE %.0f)\n\n", sw->inmb[o], cur, sw->inmb_se[o]);
    bar *bars = calloc((size_t)P + 1, sizeof *bars);
    if (!bars)
        return;
    int wn = (int)strlen("parameter"), wu = (int)strlen("unit");
    for (int p = 0; p < P; p++) {
        bars[p].p = p;
        bars[p].lo = sw->inmb[(size_t)(1 + 2 * p) * (size_t)S + (size_t)o];
        bars[p].hi = sw->inmb[(size_t)(2 + 2 * p) * (size_t)S + (size_t)o];
        bars[p].width = fabs(bars[p].hi - bars[p].lo);
        if (isnan(bars[p].width))
            bars[p].width = -1.0;
        int l = (int)strlen(sw->params[p].name);
        wn = l > wn ? l : wn;
        l = (int)strlen(sw->params[p].unit);
        wu = l > wu ? l : wu;
    }
    qsort(bars, (size_t)P, sizeof *bars, bar_cmp);
    char h1[64], h2[64], h3[64];
    snprintf(h1, sizeof h1, "at low (%s)", cur);
    snprintf(h2, sizeof h2, "at high (%s)", cur);
    snprintf(h3, sizeof h3, "width (%s)", cur);
    fprintf(fp, "  %-*s  %-*s  %12s  %12s  %16s  %16s  %14s  %s\n", wn, "parameter", wu, "unit", "low", "high", h1, h2,
            h3, "low and high from");
    for (int b = 0; b < P; b++) {
        const psim_sweep_param *q = &sw->params[bars[b].p];
        char lo[40], hi[40], a[40], c[40], w[40];
        value_text(lo, sizeof lo, q->low);
        value_text(hi, sizeof hi, q->high);
        num_or_dash(a, sizeof a, bars[b].lo, 0);
        num_or_dash(c, sizeof c, bars[b].hi, 0);
        num_or_dash(w, sizeof w, bars[b].width < 0 ? NAN : bars[b].width, 0);
        fprintf(fp, "  %-*s  %-*s  %12.6g  %12.6g  %16s  %16s  %14s  %s\n", wn, q->name, wu, q->unit, q->low, q->high,
                a, c, w, q->bounds);
    }
    free(bars);
    if (sw->n_skipped) {
        fputs("not varied (a dirichlet has no single low and high; a fixed value without low and high is certain):", fp);
        for (int k = 0; k < sw->n_skipped; k++)
            fprintf(fp, "%s %s", k ? "," : "", sw->skipped[k]);
        fputc('\n', fp);
    }
    fprintf(fp, "The incremental NMB's SE at each point is about %.0f %s; with common random numbers the\n"
                "differences between points are far more precise than that (see the CSV or the file).\n",
            sw->inmb_se[o], cur);
}

static void csv_num(FILE *fp, double v)
{
    char buf[40];
    fputc(',', fp);
    if (isfinite(v)) {
        jo_shortest(buf, sizeof buf, v);
        fputs(buf, fp);
    }
}

static void print_csv(const psim_sweep *sw, FILE *fp)
{
    const int S = sw->n_strategies, K = sw->n_points, D = sw->n_days;
    const char *c = sw->currency;
    char wtp[40];
    value_text(wtp, sizeof wtp, sw->wtp);
    fprintf(fp, "parameter,level,value,strategy,cost_%s,cost_se_%s,qaly,qaly_se,delta_cost_%s,delta_cost_se_%s,"
                "delta_qaly,delta_qaly_se,icer_%s_per_QALY,nmb_%s_at_%s,nmb_se_%s,incremental_nmb_%s_at_%s,"
                "incremental_nmb_se_%s,first_response,first_response_se",
            c, c, c, c, c, c, wtp, c, c, wtp, c);
    for (int d = 0; d < D; d++)
        fprintf(fp, ",mean_vas_day%d_cm,mean_vas_day%d_se_cm", sw->days[d], sw->days[d]);
    fputc('\n', fp);
    for (int k = 0; k < K; k++) {
        for (int s = 0; s < S; s++) {
            size_t i = (size_t)k * (size_t)S + (size_t)s;
            int p = sw->point_parameter[k];
            fprintf(fp, "%s,%s", p < 0 ? "" : sw->params[p].name, level_names[sw->point_level[k]]);
            csv_num(fp, sw->point_value[k]);
            fprintf(fp, ",%s", sw->strategy[s]);
            const double v[] = {sw->cost[i],          sw->cost_se[i],       sw->qaly[i],       sw->qaly_se[i],
                                sw->delta_cost[i],    sw->delta_cost_se[i], sw->delta_qaly[i], sw->delta_qaly_se[i],
                                sw->icer[i],          sw->nmb[i],           sw->nmb_se[i],     sw->inmb[i],
                                sw->inmb_se[i],       sw->first_response[i], sw->first_response_se[i]};
            for (size_t q = 0; q < sizeof v / sizeof *v; q++)
                csv_num(fp, v[q]);
            for (int d = 0; d < D; d++) {
                csv_num(fp, sw->mean_vas[i * (size_t)D + (size_t)d]);
                csv_num(fp, sw->mean_vas_se[i * (size_t)D + (size_t)d]);
            }
            fputc('\n', fp);
        }
    }
}

psim_status psim_sweep_print(const psim_sweep *sw, psim_sweep_format fmt, FILE *fp, psim_error *err)
{
    if (fmt == PSIM_SWEEP_CSV) {
        print_csv(sw, fp);
    } else if (sw->kind == PSIM_SWEEP_TORNADO) {
        print_tornado(sw, fp);
    } else {
        char wtp[40];
        value_text(wtp, sizeof wtp, sw->wtp);
        fprintf(fp, "One-way sweep of `%s`%s%s%s in scenario `%s`: %d points x %lld patients, seed %llu,\n"
                    "common random numbers (the same patients at every point).  NMB at %s %s/QALY; ICER and\n"
                    "incremental NMB against %s (paired).  Estimate (Monte Carlo SE).\n",
                sw->params[0].name, sw->params[0].unit[0] ? " (" : "", sw->params[0].unit,
                sw->params[0].unit[0] ? ")" : "", sw->scenario, sw->n_points, (long long)sw->patients,
                (unsigned long long)sw->seed, wtp, sw->currency, sw->strategy[sw->reference]);
        print_blocks(sw, fp);
    }
    if (fflush(fp) != 0 || ferror(fp))
        return psim_error_set(err, PSIM_ERR_IO, "standard output", 0, 0, "cannot write: %s", strerror(errno));
    return PSIM_OK;
}
