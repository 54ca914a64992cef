/* Calibration (painsim/calibrate.h): reading targets files with located
 * errors, recovering known parameters from figures the model produced, the
 * IMIS posterior, and the `painsim calibrate` command. */
#include "testutil.h"

#include "painsim/calibrate.h"

/* A one-session trial: response at 3 and 10 weeks depends on p_first and on
 * the duration median. */
static const char *const trial_scn =
    "name: trial\n"
    "seed: 77\n"
    "patients: 100\n"
    "horizon_days: 120\n"
    "cohort:\n"
    "  myofascial: 1\n"
    "  contraindications: {anticoagulants: 0, bleeding_disorder: 0, infection: 0, hypersensitivity: 0, acute_muscle_trauma: 0, needle_phobia: 0}\n"
    "  aspirin_recent: 0\n"
    "treatments:\n"
    "  bx: {base: botox}\n"
    "strategies:\n"
    "  - {name: arm, treatment: bx, schedule: {days: [0]}}\n";

static const char *const targets_fmt =
    "parameters:\n"
    "  - {name: p_first, set: treatments.bx.p_first, min: 0.3, max: 0.95, unit: probability}\n"
    "  - {name: median, set: treatments.bx.duration.median_days, min: 20, max: 150, unit: days}\n"
    "targets:\n"
    "  - {name: week 3, strategy: arm, quantity: observed_response, day: 21, count: %d, n: %d}\n"
    "  - {name: week 10, strategy: arm, quantity: observed_response, day: 70, count: %d, n: %d}\n"
    "  - {name: mean VAS week 10, strategy: arm, quantity: mean_vas, day: 70, mean: %.6f, se: %.6f}\n"
    "calibration: {patients: 1500, starts: 2, max_evaluations: 150, prior_samples: 150, imis_rounds: 6,\n"
    "  imis_batch: 60, posterior_draws: 500, seed: 3}\n";

static psim_calib *load_calib(const char *scn, const char *targets)
{
    char sp[512], tp[512];
    snprintf(sp, sizeof sp, "%s/%s", tu_dir, scn);
    snprintf(tp, sizeof tp, "%s/%s", tu_dir, targets);
    psim_calib *c = NULL;
    psim_error err;
    psim_error_clear(&err);
    psim_status st = psim_calib_load(sp, tp, &c, &err);
    char buf[2048];
    psim_error_format(&err, buf, sizeof buf);
    cr_assert_eq(st, PSIM_OK, "%s", buf);
    return c;
}

/* Figures made by the model itself at theta* = (0.7, 80 days), with n = 2000:
 * the fit must recover theta* within 3 of its standard errors. */
static const double truth[2] = {0.7, 80.0};
static const int n_fig = 2000;

static psim_calib *synthetic_problem(void)
{
    char text[4096];
    tu_write_file("trial.yaml", trial_scn);
    snprintf(text, sizeof text, targets_fmt, 1, n_fig, 1, n_fig, 3.0, 0.1);
    tu_write_file("targets.yaml", text);
    psim_calib *c = load_calib("trial.yaml", "targets.yaml");
    double dev, model[3], se[3];
    psim_error err;
    cr_assert_eq(psim_calib_evaluate(c, truth, &dev, model, se, NULL, &err), PSIM_OK, "%s", err.message);
    psim_calib_destroy(c);
    /* the mean's SE: what n_fig patients would give (sd of VAS about 2.5 cm) */
    snprintf(text, sizeof text, targets_fmt, (int)lround(model[0] * n_fig), n_fig, (int)lround(model[1] * n_fig),
             n_fig, model[2], 2.5 / sqrt((double)n_fig));
    tu_write_file("targets.yaml", text);
    return load_calib("trial.yaml", "targets.yaml");
}

Test(calibrate, recovers_parameters_from_figures_the_model_made, .timeout = 600)
{
    tu_dir_make("calib");
    psim_calib *c = synthetic_problem();
    cr_assert_eq(psim_calib_n_params(c), 2);
    cr_assert_eq(psim_calib_n_targets(c), 3);
    psim_calib_fit fit;
    psim_error err;
    cr_assert_eq(psim_calib_run_fit(c, &fit, NULL, NULL, &err), PSIM_OK, "%s", err.message);
    for (int p = 0; p < 2; p++) {
        cr_log_info("%s: fitted %.4f (SE %.4f), truth %.4f", psim_calib_param_at(c, p)->name, fit.theta[p],
                    fit.se[p], truth[p]);
        cr_assert(isfinite(fit.se[p]) && fit.se[p] > 0, "SE of %s: %g", psim_calib_param_at(c, p)->name, fit.se[p]);
        /* the SE must be informative: well below the width of the bounds */
        const psim_calib_param *q = psim_calib_param_at(c, p);
        cr_assert_lt(fit.se[p], 0.1 * (q->hi - q->lo));
        cr_assert_leq(fabs(fit.theta[p] - truth[p]), 3.0 * fit.se[p], "%s: %.4f vs %.4f +- 3 x %.4f", q->name,
                      fit.theta[p], truth[p], fit.se[p]);
    }
    /* at the fit the figures are met: deviance of 3 targets about chi2(1) */
    cr_assert_lt(fit.deviance, 9.0);
    for (int t = 0; t < 3; t++)
        cr_assert_lt(fabs(fit.z[t]), 3.0, "target %d: z %.2f", t, fit.z[t]);
    /* every start reports where it ended */
    for (int k = 0; k < fit.starts; k++)
        cr_assert(isfinite(fit.start_deviance[k]) && fit.start_evaluations[k] > 0);

    /* the posterior: centred on the truth, with a spread like the fit's SE */
    psim_calib_posterior post;
    cr_assert_eq(psim_calib_run_posterior(c, &post, &err), PSIM_OK, "%s", err.message);
    cr_assert_eq(post.n_draws, 500);
    cr_assert_gt(post.ess, 20.0, "effective sample size %.1f", post.ess);
    for (int p = 0; p < 2; p++) {
        cr_log_info("posterior %s: mean %.4f sd %.4f [%.4f, %.4f], ess %.1f", psim_calib_param_at(c, p)->name,
                    post.mean[p], post.sd[p], post.q025[p], post.q975[p], post.ess);
        cr_assert_leq(fabs(post.mean[p] - truth[p]), 3.0 * post.sd[p] + 3.0 * fit.se[p]);
        cr_assert(post.sd[p] > 0.25 * fit.se[p] && post.sd[p] < 4.0 * fit.se[p], "sd %.4f vs SE %.4f", post.sd[p],
                  fit.se[p]);
        cr_assert(post.q025[p] < post.mean[p] && post.mean[p] < post.q975[p]);
        for (int d = 0; d < post.n_draws; d++) {
            double v = post.draws[(size_t)d * 2 + p];
            cr_assert(v >= psim_calib_param_at(c, p)->lo && v <= psim_calib_param_at(c, p)->hi);
        }
    }
    psim_calib_posterior_free(&post);
    psim_calib_destroy(c);
    tu_dir_remove();
}

/* The objective is the same at the same parameters (common random numbers):
 * evaluating twice gives the same bits, whatever the thread count. */
Test(calibrate, objective_is_deterministic_across_threads)
{
    tu_dir_make("calibdet");
    psim_calib *c = synthetic_problem();
    double th[2] = {0.62, 95.0}, d1, d2, d3;
    psim_error err;
    psim_calib_settings_of(c)->threads = 1;
    cr_assert_eq(psim_calib_evaluate(c, th, &d1, NULL, NULL, NULL, &err), PSIM_OK);
    psim_calib_settings_of(c)->threads = 2;
    cr_assert_eq(psim_calib_evaluate(c, th, &d2, NULL, NULL, NULL, &err), PSIM_OK);
    cr_assert_eq(psim_calib_evaluate(c, th, &d3, NULL, NULL, NULL, &err), PSIM_OK);
    cr_assert(d1 == d2 && d2 == d3, "%.17g %.17g %.17g", d1, d2, d3);
    psim_calib_destroy(c);
    tu_dir_remove();
}

static void expect_load_error(const char *targets, const char *where, const char *phrase)
{
    tu_write_file("t.yaml", targets);
    char sp[512], tp[512];
    snprintf(sp, sizeof sp, "%s/trial.yaml", tu_dir);
    snprintf(tp, sizeof tp, "%s/t.yaml", tu_dir);
    psim_calib *c = NULL;
    psim_error err;
    psim_status st = psim_calib_load(sp, tp, &c, &err);
    cr_assert_eq(st, PSIM_ERR_INPUT, "accepted:\n%s", targets);
    cr_assert_null(c);
    char buf[2048];
    psim_error_format(&err, buf, sizeof buf);
    const char *rel = strstr(buf, "t.yaml:");
    cr_expect(rel && strncmp(rel, where, strlen(where)) == 0, "expected `%s` at the start of: %s", where, buf);
    cr_expect(strstr(buf, phrase), "expected `%s` in: %s", phrase, buf);
}

Test(calibrate, targets_file_errors_are_located)
{
    tu_dir_make("caliberr");
    tu_write_file("trial.yaml", trial_scn);
    const char *P = "parameters:\n  - {name: a, set: treatments.bx.p_first, min: 0.3, max: 0.9}\n"; /* lines 1-2 */
    const char *T = "targets:\n  - {name: x, strategy: arm, quantity: observed_response, day: 21, count: 3, n: 5}\n";
    char text[2048];
    snprintf(text, sizeof text, "%s%stargetz: 1\n", P, T);
    expect_load_error(text, "t.yaml:5:1: ", "unknown key `targetz` in the targets file");
    snprintf(text, sizeof text, "parameters:\n  - {name: a, set: treatments.bx.p_frist, min: 0.3, max: 0.9}\n%s", T);
    expect_load_error(text, "t.yaml:2:20: ", "parameter `a` at its min 0.3 in scenario `trial`");
    snprintf(text, sizeof text, "parameters:\n  - {name: a, set: treatments.bx.p_first, min: 0.3, max: 1.5}\n%s", T);
    expect_load_error(text, "t.yaml:2:20: ", "p_first` must be in [0, 1], got 1.5");
    snprintf(text, sizeof text, "parameters:\n  - {name: a, set: treatments.bx.p_first, min: 0.9, max: 0.3}\n%s", T);
    expect_load_error(text, "t.yaml:2:58: ", "needs min < max");
    snprintf(text, sizeof text, "parameters:\n  - {name: a, set: {other: treatments.bx.p_first}, min: 0.3, max: 0.9}\n%s", T);
    expect_load_error(text, "t.yaml:2:21: ", "no scenario is named `other` (scenarios: trial)");
    snprintf(text, sizeof text, "%stargets:\n  - {name: x, strategy: arms, quantity: observed_response, day: 21, count: 3, n: 5}\n", P);
    expect_load_error(text, "t.yaml:4:25: ", "scenario `trial` has no strategy `arms`");
    snprintf(text, sizeof text, "%stargets:\n  - {name: x, strategy: arm, quantity: response, day: 21, count: 3, n: 5}\n", P);
    expect_load_error(text, "t.yaml:4:40: ", "expected one of observed_response, mean_vas, persistence");
    snprintf(text, sizeof text, "%stargets:\n  - {name: x, strategy: arm, quantity: observed_response, day: 120, count: 3, n: 5}\n", P);
    expect_load_error(text, "t.yaml:4:64: ", "`day` must be an integer in [0, 119], got 120");
    snprintf(text, sizeof text, "%stargets:\n  - {name: x, strategy: arm, quantity: observed_response, day: 21, count: 6, n: 5}\n", P);
    expect_load_error(text, "t.yaml:4:75: ", "`count` must be an integer in [0, 5], got 6");
    snprintf(text, sizeof text, "%stargets:\n  - {name: x, strategy: arm, quantity: mean_vas, day: 21, mean: 3}\n", P);
    expect_load_error(text, "t.yaml:4:65: ", "a mean needs its `se`, or `sd` and `n`");
    snprintf(text, sizeof text, "%stargets:\n  - {name: x, strategy: arm, quantity: ae_per_session, ae: flu, count: 1, n: 5}\n", P);
    expect_load_error(text, "t.yaml:4:60: ", "treatment `bx` has no adverse event `flu`");
    snprintf(text, sizeof text, "%s%scalibration: {starts: 17}\n", P, T);
    expect_load_error(text, "t.yaml:5:23: ", "`calibration.starts` must be an integer in [1, 16], got 17");
    snprintf(text, sizeof text, "%s", P);
    expect_load_error(text, "t.yaml:1:1: ", "`targets`: expected a list of published figures");
    tu_dir_remove();
}

Test(calibrate, command_prints_the_fit_and_writes_draws, .timeout = 600)
{
    tu_dir_make("calibcli");
    psim_calib_destroy(synthetic_problem());
    char *out = NULL;
    int rc = tu_painsim("calibrate trial.yaml --targets targets.yaml --starts 1 --patients 800"
                      " -o draws.csv --threads 2", &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "Fitted parameters"), "%s", out);
    cr_assert(strstr(out, "week 3"), "%s", out);
    cr_assert(strstr(out, "Approximate posterior (IMIS"), "%s", out);
    free(out);
    /* the draws: a header and 500 rows of 2 numbers inside the bounds */
    char path[512];
    snprintf(path, sizeof path, "%s/draws.csv", tu_dir);
    FILE *fp = fopen(path, "r");
    cr_assert(fp);
    char line[256];
    cr_assert(fgets(line, sizeof line, fp));
    cr_assert_str_eq(line, "p_first,median\n");
    int rows = 0;
    double a, b;
    while (fscanf(fp, "%lf,%lf", &a, &b) == 2) {
        cr_assert(a >= 0.3 && a <= 0.95 && b >= 20 && b <= 150);
        rows++;
    }
    fclose(fp);
    cr_assert_eq(rows, 500);
    /* the draws feed a PSA: p_first and the median drawn jointly from the file */
    tu_write_file("trial_psa.yaml",
                  "name: trial_psa\nseed: 5\npatients: 50\nhorizon_days: 120\npsa: {iterations: 20}\n"
                  "treatments:\n  bx:\n    base: botox\n"
                  "    p_first: {dist: empirical, file: draws.csv, column: p_first}\n"
                  "    duration: {median_days: {dist: empirical, file: draws.csv, column: median}}\n"
                  "strategies:\n  - {name: arm, treatment: bx, schedule: {days: [0]}}\n"
                  "  - {name: sc, treatment: none}\nreference: sc\n");
    rc = tu_painsim("run trial_psa.yaml -o psa.h5 -q", &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(tu_exists("psa.h5"));
    free(out);
    /* --evaluate: the table at the starts, no fit */
    rc = tu_painsim("calibrate trial.yaml --targets targets.yaml --evaluate --patients 500", &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "evaluated at their starts, no fit") && strstr(out, "model at the starts") &&
                  !strstr(out, "Approximate posterior"),
              "%s", out);
    free(out);
    /* an existing file is not overwritten without --force; bad input is status 2 */
    rc = tu_painsim("calibrate trial.yaml --targets targets.yaml --starts 1 -o draws.csv", &out);
    cr_assert_eq(rc, 2, "%s", out);
    free(out);
    tu_write_file("bad.yaml", "parameters: 3\n");
    rc = tu_painsim("calibrate trial.yaml --targets bad.yaml", &out);
    cr_assert_eq(rc, 2, "%s", out);
    cr_assert(strstr(out, "bad.yaml:1:"), "%s", out);
    free(out);
    rc = tu_painsim("calibrate trial.yaml", &out);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(out, "missing --targets"), "%s", out);
    free(out);
    tu_dir_remove();
}

/* The shipped per-study calibrations: `painsim calibrate` on the shipped
 * targets (a smaller cohort and one start from the middle of the bounds)
 * finds the values the shipped scenario uses, within 2 of the fit's
 * standard errors. */
static double scenario_value(const psim_scenario *scn, const char *key)
{
    const psim_treatment *t = NULL;
    for (int k = 0; k < scn->n_treatments; k++)
        if (strcmp(scn->treatments[k].name, "botox") == 0)
            t = &scn->treatments[k];
    cr_assert(t, "no botox treatment in %s", scn->name);
    if (strcmp(key, "treatments.botox.p_first") == 0)
        return t->p_first;
    if (strcmp(key, "treatments.botox.duration.median_days") == 0)
        return t->duration_median_days;
    if (strcmp(key, "treatments.botox.duration.sigma") == 0)
        return t->duration_sigma;
    if (strcmp(key, "treatments.botox.duration.shift_days") == 0)
        return t->duration_shift_days;
    cr_assert_fail("no value for %s", key);
    return NAN;
}

/* Returns the number of parameters whose fit had a finite SE. */
static int check_shipped(const char *study)
{
    char sp[512], tp[512];
    snprintf(sp, sizeof sp, "%s/scenarios/%s.yaml", PAINSIM_SOURCE_DIR, study);
    snprintf(tp, sizeof tp, "%s/scenarios/targets/%s.yaml", PAINSIM_SOURCE_DIR, study);
    psim_calib *c = NULL;
    psim_error err;
    cr_assert_eq(psim_calib_load(sp, tp, &c, &err), PSIM_OK, "%s", err.message);
    psim_calib_settings *cs = psim_calib_settings_of(c);
    cs->patients = 2000;
    cs->starts = 1;
    psim_calib_fit fit;
    cr_assert_eq(psim_calib_run_fit(c, &fit, NULL, NULL, &err), PSIM_OK, "%s", err.message);
    psim_scenario *scn = tu_load_file(sp, NULL, 0);
    /* the shipped values meet the published figures under the same objective */
    double shipped[PSIM_CALIB_MAX_PARAMS], dev, z[PSIM_CALIB_MAX_TARGETS];
    for (int p = 0; p < psim_calib_n_params(c); p++)
        shipped[p] = scenario_value(scn, psim_calib_param_at(c, p)->set_key[0]);
    cr_assert_eq(psim_calib_evaluate(c, shipped, &dev, NULL, NULL, z, &err), PSIM_OK, "%s", err.message);
    for (int t = 0; t < psim_calib_n_targets(c); t++)
        cr_assert_lt(fabs(z[t]), 2.0, "%s, shipped values: %s z %.2f", study, psim_calib_target_at(c, t)->name, z[t]);
    int finite = 0;
    for (int p = 0; p < psim_calib_n_params(c); p++) {
        const psim_calib_param *q = psim_calib_param_at(c, p);
        cr_log_info("%s %s: fitted %.4f (SE %.4f), shipped %.4f", study, q->name, fit.theta[p], fit.se[p], shipped[p]);
        /* Where the deviance is curved upwards at the fit, the shipped value is
         * within 2 SE of the fitted one.  Where it is not (NaN: Ney's four
         * figures and four parameters leave a ridge of equally good time
         * courses, and the fit may stop where the ridge bends the wrong way)
         * the check of the shipped values above is what remains. */
        cr_assert(isnan(fit.se[p]) || fit.se[p] > 0, "%s %s: SE %g", study, q->name, fit.se[p]);
        if (isnan(fit.se[p]))
            continue;
        finite++;
        cr_assert_leq(fabs(fit.theta[p] - shipped[p]), 2.0 * fit.se[p], "%s %s: fitted %.4f, shipped %.4f, SE %.4f",
                      study, q->name, fit.theta[p], shipped[p], fit.se[p]);
    }
    /* and the fit meets the figures */
    for (int t = 0; t < psim_calib_n_targets(c); t++)
        cr_assert_lt(fabs(fit.z[t]), 2.0, "%s: %s z %.2f", study, psim_calib_target_at(c, t)->name, fit.z[t]);
    psim_scenario_destroy(scn);
    psim_calib_destroy(c);
    return finite;
}

Test(calibrate, shipped_targets_reproduce_the_shipped_scenarios, .timeout = 600)
{
    check_shipped("ney2006");
    /* Jabbari's two figures pin p_first down: its SE is always finite */
    cr_assert_gt(check_shipped("jabbari2006"), 0);
}
