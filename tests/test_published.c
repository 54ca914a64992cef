/* The published figures the shipped scenarios reproduce (MODEL.md section 8).
 * Tolerance: the larger of 4 Monte Carlo standard errors and 3 percentage
 * points around the published figure, with the scenario's fixed seed. */
#include "testutil.h"

static const psim_strategy_summary *strategy(const psim_results *r, const char *name)
{
    for (int s = 0; s < r->n_strategies; s++)
        if (strcmp(r->strategies[s].name, name) == 0)
            return &r->strategies[s];
    cr_assert_fail("no strategy %s", name);
    return NULL;
}

static void check_figure(const char *what, double est, double se, double published)
{
    double tol = fmax(4.0 * se, 0.03);
    cr_log_info("%s: %.4f (SE %.4f), published %.4f, tolerance %.4f", what, est, se, published, tol);
    cr_expect(fabs(est - published) <= tol, "%s: simulated %.2f%% (SE %.2f), published %.2f%% +- %.2f",
              what, 100 * est, 100 * se, 100 * published, 100 * tol);
}

static psim_results *run_scenario(const char *file, psim_scenario **scn_out)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/%s", PAINSIM_SOURCE_DIR, file);
    psim_scenario *scn = tu_load_file(path, NULL, 0);
    cr_assert_geq(scn->patients, 10000, "%s: enough patients for a tight check", file);
    *scn_out = scn;
    return tu_run(scn, 0, NULL);
}

Test(published, foster2001_response_at_3_and_8_weeks)
{
    psim_scenario *scn;
    psim_results *r = run_scenario("foster2001.yaml", &scn);
    const psim_strategy_summary *bx = strategy(r, "botox"), *pl = strategy(r, "placebo");
    double se, v;
    v = psim_summary_observed_response(bx, 21, &se);
    check_figure("Foster BoNT-A response at 3 weeks", v, se, 11.0 / 15.0);
    v = psim_summary_observed_response(pl, 21, &se);
    check_figure("Foster placebo response at 3 weeks", v, se, 4.0 / 16.0);
    v = psim_summary_observed_response(bx, 56, &se);
    check_figure("Foster BoNT-A response at 8 weeks", v, se, 9.0 / 15.0);
    v = psim_summary_observed_response(pl, 56, &se);
    check_figure("Foster placebo response at 8 weeks", v, se, 2.0 / 16.0);
    psim_results_destroy(r);
    psim_scenario_destroy(scn);
}

Test(published, jabbari2006_first_series_persistence_and_flu_like)
{
    psim_scenario *scn;
    psim_results *r = run_scenario("jabbari2006.yaml", &scn);
    const psim_strategy_summary *bx = strategy(r, "botox_q4m");
    double se, v;
    v = psim_summary_observed_response(bx, 21, &se);
    check_figure("Jabbari first-series response at 3 weeks", v, se, 40.0 / 75.0);
    cr_assert_gt(bx->persist_den, 1000);
    v = (double)bx->persist_num / (double)bx->persist_den;
    se = sqrt(v * (1 - v) / (double)bx->persist_den);
    check_figure("Jabbari first responders who respond again", v, se, 0.91);
    int flu = -1;
    for (int k = 0; k < bx->n_ae; k++)
        if (strcmp(bx->ae_name[k], "flu_like") == 0)
            flu = k;
    cr_assert_geq(flu, 0);
    /* first cycle: every patient has session 1, so flu-like events in the
     * first cycle per patient are estimated by events per session */
    v = (double)bx->ae_count[flu] / bx->sessions_sum;
    se = sqrt(v * (1 - v) / bx->sessions_sum);
    check_figure("Jabbari flu-like reaction per cycle", v, se, 3.0 / 75.0);
    psim_results_destroy(r);
    psim_scenario_destroy(scn);
}
