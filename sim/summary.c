/* Derived summary figures with their Monte Carlo standard errors, and the table. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "painsim/run.h"

static double mean_se(double sum, double sumsq, int64_t n, double *se)
{
    if (n <= 0) {
        if (se)
            *se = NAN;
        return NAN;
    }
    double mean = sum / (double)n;
    if (se) {
        if (n > 1) {
            double var = (sumsq - sum * mean) / (double)(n - 1);
            *se = var > 0.0 ? sqrt(var / (double)n) : 0.0;
        } else {
            *se = NAN;
        }
    }
    return mean;
}

static double prop_se(int64_t k, int64_t n, double *se)
{
    if (n <= 0) {
        if (se)
            *se = NAN;
        return NAN;
    }
    double p = (double)k / (double)n;
    if (se)
        *se = sqrt(p * (1.0 - p) / (double)n);
    return p;
}

static int clamp_day(const psim_strategy_summary *s, int day, int horizon)
{
    (void)s;
    return day < 0 ? 0 : (day >= horizon ? horizon - 1 : day);
}

double psim_summary_mean_vas(const psim_strategy_summary *s, int day, double *se)
{
    return mean_se(s->vas_sum[day], s->vas_sumsq[day], s->patients, se);
}

double psim_summary_mean_vas_treated(const psim_strategy_summary *s, int day, double *se)
{
    return mean_se(s->vas_treated_sum[day], s->vas_treated_sumsq[day], s->treated, se);
}

double psim_summary_observed_response(const psim_strategy_summary *s, int day, double *se)
{
    return prop_se(s->responders[day], s->treated, se);
}

double psim_summary_first_response(const psim_strategy_summary *s, double *se)
{
    return prop_se(s->first_responders, s->with_session, se);
}

double psim_summary_mean_sessions(const psim_strategy_summary *s, double *se)
{
    return mean_se(s->sessions_sum, s->sessions_sumsq, s->patients, se);
}

double psim_summary_mean_units(const psim_strategy_summary *s, double *se)
{
    return mean_se(s->units_sum, s->units_sumsq, s->patients, se);
}

/* ---- the table -------------------------------------------------------- */

#define LABEL_W 44
#define COL_W 18

static void print_cell(FILE *fp, double v, double se, int digits)
{
    char buf[64];
    if (isnan(v))
        snprintf(buf, sizeof buf, "-");
    else if (isnan(se))
        snprintf(buf, sizeof buf, "%.*f", digits, v);
    else
        snprintf(buf, sizeof buf, "%.*f (%.*f)", digits, v, digits, se);
    fprintf(fp, "%*s", COL_W, buf);
}

static void print_row_label(FILE *fp, const char *label)
{
    fprintf(fp, "%-*s", LABEL_W, label);
}

void psim_results_print_table(const psim_results *r, FILE *fp)
{
    const int H = r->horizon_days;
    fprintf(fp, "scenario %s: %lld patients, %d days, seed %llu\n", r->scenario,
            (long long)r->patients, H, (unsigned long long)r->seed);
    fprintf(fp, "figures: estimate (Monte Carlo standard error); response over the treated, "
                "VAS and counts over all patients\n\n");
    print_row_label(fp, "strategy");
    for (int s = 0; s < r->n_strategies; s++)
        fprintf(fp, "%*s", COL_W, r->strategies[s].name);
    fputc('\n', fp);
    print_row_label(fp, "treatment");
    for (int s = 0; s < r->n_strategies; s++)
        fprintf(fp, "%*s", COL_W, r->strategies[s].treatment);
    fputc('\n', fp);

    print_row_label(fp, "patients (n)");
    for (int s = 0; s < r->n_strategies; s++)
        fprintf(fp, "%*lld", COL_W, (long long)r->strategies[s].patients);
    fputc('\n', fp);
    print_row_label(fp, "eligible for injections (%)");
    for (int s = 0; s < r->n_strategies; s++) {
        double se, p = prop_se(r->strategies[s].eligible, r->strategies[s].patients, &se);
        print_cell(fp, 100.0 * p, 100.0 * se, 1);
    }
    fputc('\n', fp);
    print_row_label(fp, "treated with own treatment (n)");
    for (int s = 0; s < r->n_strategies; s++)
        fprintf(fp, "%*lld", COL_W, (long long)r->strategies[s].treated);
    fputc('\n', fp);
    print_row_label(fp, "first-session response, latent (%)");
    for (int s = 0; s < r->n_strategies; s++) {
        double se, p = psim_summary_first_response(&r->strategies[s], &se);
        print_cell(fp, 100.0 * p, 100.0 * se, 1);
    }
    fputc('\n', fp);
    static const int resp_days[] = {21, 56};
    static const char *const resp_labels[] = {"observed response, 3 wk (day 21) (%)",
                                              "observed response, 8 wk (day 56) (%)"};
    for (int d = 0; d < 2; d++) {
        if (resp_days[d] >= H)
            continue;
        print_row_label(fp, resp_labels[d]);
        for (int s = 0; s < r->n_strategies; s++) {
            double se, p = psim_summary_observed_response(&r->strategies[s], resp_days[d], &se);
            print_cell(fp, 100.0 * p, 100.0 * se, 1);
        }
        fputc('\n', fp);
    }
    static const double months[] = {0, 1, 3, 6, 14};
    for (int k = 0; k < 5; k++) {
        int day = clamp_day(NULL, (int)lround(months[k] * 30.44), H);
        if (k > 0 && day == clamp_day(NULL, (int)lround(months[k - 1] * 30.44), H))
            continue;
        char label[96];
        snprintf(label, sizeof label, "mean VAS, %g mo (day %d) (cm)", months[k], day);
        print_row_label(fp, label);
        for (int s = 0; s < r->n_strategies; s++) {
            double se, v = psim_summary_mean_vas(&r->strategies[s], day, &se);
            print_cell(fp, v, se, 2);
        }
        fputc('\n', fp);
    }
    print_row_label(fp, "sessions per patient (n)");
    for (int s = 0; s < r->n_strategies; s++) {
        double se, v = psim_summary_mean_sessions(&r->strategies[s], &se);
        print_cell(fp, v, se, 2);
    }
    fputc('\n', fp);
    print_row_label(fp, "dose per patient (U)");
    for (int s = 0; s < r->n_strategies; s++) {
        double se, v = psim_summary_mean_units(&r->strategies[s], &se);
        print_cell(fp, v, se, 0);
    }
    fputc('\n', fp);
    /* Adverse events: one row per kind that occurs in any strategy. */
    const char *kinds[64];
    int n_kinds = 0;
    for (int s = 0; s < r->n_strategies; s++) {
        for (int k = 0; k < r->strategies[s].n_ae; k++) {
            const char *name = r->strategies[s].ae_name[k];
            int seen = 0;
            for (int q = 0; q < n_kinds; q++)
                seen |= strcmp(kinds[q], name) == 0;
            if (!seen && n_kinds < 64)
                kinds[n_kinds++] = name;
        }
    }
    print_row_label(fp, "adverse events per patient, all (n)");
    for (int s = 0; s < r->n_strategies; s++) {
        const psim_strategy_summary *ss = &r->strategies[s];
        int64_t total = 0;
        for (int k = 0; k < ss->n_ae; k++)
            total += ss->ae_count[k];
        print_cell(fp, ss->patients ? (double)total / (double)ss->patients : NAN, NAN, 3);
    }
    fputc('\n', fp);
    for (int q = 0; q < n_kinds; q++) {
        char label[96];
        snprintf(label, sizeof label, "  %s (n)", kinds[q]);
        print_row_label(fp, label);
        for (int s = 0; s < r->n_strategies; s++) {
            const psim_strategy_summary *ss = &r->strategies[s];
            double v = 0.0;
            for (int k = 0; k < ss->n_ae; k++)
                if (strcmp(ss->ae_name[k], kinds[q]) == 0)
                    v = ss->patients ? (double)ss->ae_count[k] / (double)ss->patients : NAN;
            print_cell(fp, v, NAN, 3);
        }
        fputc('\n', fp);
    }
}
