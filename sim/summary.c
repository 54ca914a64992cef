/* Derived summary figures of a run with their Monte Carlo standard errors
 * (the tables are printed by sim/report_print.c). */
#include <math.h>

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
