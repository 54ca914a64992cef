/* Derived summary figures of a run with their Monte Carlo standard errors
 * (the tables are printed by sim/report_print.c). */
#include <math.h>

#include "painsim/report.h"
#include "painsim/run.h"

double psim_summary_proportion(int64_t k, int64_t n, double *se)
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
    return psim_econ_mean_se(s->vas_sum[day], s->vas_sumsq[day], s->patients, se);
}

double psim_summary_mean_vas_treated(const psim_strategy_summary *s, int day, double *se)
{
    return psim_econ_mean_se(s->vas_treated_sum[day], s->vas_treated_sumsq[day], s->treated, se);
}

double psim_summary_observed_response(const psim_strategy_summary *s, int day, double *se)
{
    return psim_summary_proportion(s->responders[day], s->treated, se);
}

double psim_summary_first_response(const psim_strategy_summary *s, double *se)
{
    return psim_summary_proportion(s->first_responders, s->with_session, se);
}

double psim_summary_mean_sessions(const psim_strategy_summary *s, double *se)
{
    return psim_econ_mean_se(s->sessions_sum, s->sessions_sumsq, s->patients, se);
}

double psim_summary_mean_units(const psim_strategy_summary *s, double *se)
{
    return psim_econ_mean_se(s->units_sum, s->units_sumsq, s->patients, se);
}
