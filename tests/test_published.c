/* The published figures the shipped scenarios reproduce (MODEL.md section 8).
 * Tolerance: the larger of 4 Monte Carlo standard errors and 3 percentage
 * points around the published figure, with the scenario's fixed seed.
 *
 * Every figure below is reached with per-study calibration (scenario headers,
 * scenarios/targets/).  One set of BoNT-A parameters for all four studies
 * (scenarios/targets/botox_joint.yaml: p_first per population, one shared
 * time course; docs/model.md section 7b) cannot reach four of them within
 * this tolerance, which is why it is not the default: Foster's 73.3% at 3
 * weeks (joint model 67.7%) and 60% at 8 weeks (65.8%), Jabbari's 53.3% at 3
 * weeks (57.4%) and Ney's 58.3% at 2 months (54.4%). */
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
    const psim_strategy_summary *bx = strategy(r, "botox_review");
    double se, v;
    v = psim_summary_observed_response(bx, 21, &se);
    check_figure("Jabbari first-series response at 3 weeks", v, se, 40.0 / 75.0);
    v = psim_summary_observed_response(bx, 60, &se);
    check_figure("Jabbari response at 2 months (day 60)", v, se, 39.0 / 75.0);
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

Test(published, ney2006_single_injection_benefit_at_4_and_6_months)
{
    psim_scenario *scn;
    psim_results *r = run_scenario("ney2006.yaml", &scn);
    const psim_strategy_summary *bx = strategy(r, "botox_once");
    double se, v;
    v = psim_summary_observed_response(bx, 21, &se);
    check_figure("Ney response at 3 weeks", v, se, 0.60);
    v = psim_summary_observed_response(bx, 60, &se);
    check_figure("Ney response at 2 months (day 60)", v, se, 0.58);
    v = psim_summary_observed_response(bx, 122, &se);
    check_figure("Ney benefit still present at 4 months (day 122)", v, se, 0.167);
    v = psim_summary_observed_response(bx, 183, &se);
    check_figure("Ney benefit still present at 6 months (day 183)", v, se, 0.083);
    psim_results_destroy(r);
    psim_scenario_destroy(scn);
}

/* Means: the larger of 4 Monte Carlo SE and 0.3 VAS points. */
static void check_mean(const char *what, double est, double se, double published)
{
    double tol = fmax(4.0 * se, 0.3);
    cr_log_info("%s: %.3f cm (SE %.3f), published %.2f, tolerance %.3f", what, est, se, published, tol);
    cr_expect(fabs(est - published) <= tol, "%s: simulated %.2f cm (SE %.3f), published %.2f +- %.2f", what,
              est, se, published, tol);
}

Test(published, porta2000_mean_vas_at_days_0_30_60)
{
    psim_scenario *scn;
    psim_results *r = run_scenario("porta2000.yaml", &scn);
    const psim_strategy_summary *bx = strategy(r, "botox"), *st = strategy(r, "steroid_bupivacaine");
    const int days[] = {0, 30, 60};
    const double bx_pub[] = {7.9, 7.9 - 3.9, 2.3}, st_pub[] = {7.3, 7.3 - 3.5, 4.9};
    for (int k = 0; k < 3; k++) {
        char what[96];
        double se, v;
        v = psim_summary_mean_vas(bx, days[k], &se);
        snprintf(what, sizeof what, "Porta BoNT-A mean VAS day %d", days[k]);
        check_mean(what, v, se, bx_pub[k]);
        v = psim_summary_mean_vas(st, days[k], &se);
        snprintf(what, sizeof what, "Porta methylprednisolone + bupivacaine mean VAS day %d", days[k]);
        check_mean(what, v, se, st_pub[k]);
    }
    psim_results_destroy(r);
    psim_scenario_destroy(scn);
}

/* De Andres 2003 (n = 77): 83.1% had no clinically significant adverse event
 * after BoNT-A.  With the default BoNT-A events (flu-like 5%, local 12.5%,
 * independent) one session leaves 1 - 0.95 x 0.875 = 16.9% with any. */
Test(published, de_andres2003_no_adverse_event_after_one_session)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/jabbari2006.yaml", PAINSIM_SOURCE_DIR);
    const char *set[] = {"strategies.botox_review.schedule.on_relapse.max_sessions=1"};
    psim_scenario *scn = tu_load_file(path, set, 1);
    char out[256];
    tu_tmpname(out, sizeof out, "deandres");
    psim_results *r = tu_run(scn, 0, out);
    hid_t f = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0);
    size_t n1, n2;
    unsigned char *flu = tu_read_raw(f, "/strategies/botox_review/adverse_events/flu_like", &n1);
    unsigned char *loc = tu_read_raw(f, "/strategies/botox_review/adverse_events/local", &n2);
    cr_assert(flu && loc && n1 == n2 && n1 == 2 * (size_t)scn->patients, "uint16 per patient");
    const uint16_t *a = (const uint16_t *)flu, *b = (const uint16_t *)loc;
    size_t none = 0, n = (size_t)scn->patients;
    for (size_t i = 0; i < n; i++)
        none += a[i] == 0 && b[i] == 0;
    double v = (double)none / (double)n;
    check_figure("De Andres: no adverse event after BoNT-A", v, sqrt(v * (1 - v) / (double)n), 0.831);
    free(flu);
    free(loc);
    H5Fclose(f);
    unlink(out);
    psim_results_destroy(r);
    psim_scenario_destroy(scn);
}
