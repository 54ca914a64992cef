/*
 * Probabilistic sensitivity analysis (include/painsim/psa.h): the engine, the
 * decision figures against closed forms, reproducibility at any thread count,
 * the variance partition, the file and `painsim summary`, and EVPPI against
 * R's mgcv on a sample exported from a real PSA run.
 *
 * Statistical checks use tolerances of 4 Monte Carlo standard errors with
 * fixed seeds.
 */
#include "painsim/psa.h"
#include "painsim/voi.h"
#include "testutil.h"

static psim_psa_sample *run_psa(const psim_scenario *scn, int threads)
{
    psim_run_options opt = psim_run_options_default();
    opt.threads = threads;
    psim_psa_sample *smp = NULL;
    psim_error err;
    psim_error_clear(&err);
    psim_status st = psim_psa_run(scn, &opt, &smp, &err);
    if (st != PSIM_OK) {
        char buf[2048];
        psim_error_format(&err, buf, sizeof buf);
        cr_assert_fail("PSA run failed: %s", buf);
    }
    return smp;
}

static psim_psa_analysis *analyse(const psim_psa_sample *smp, const psim_scenario *scn, int threads)
{
    psim_psa_analysis *a = NULL;
    psim_error err;
    psim_error_clear(&err);
    psim_status st =
        psim_psa_analyse(smp, &scn->economics, scn->psa.groups, scn->psa.n_groups, scn->seed, threads, &a, &err);
    if (st != PSIM_OK) {
        char buf[2048];
        psim_error_format(&err, buf, sizeof buf);
        cr_assert_fail("PSA analysis failed: %s", buf);
    }
    return a;
}

static int evppi_index(const psim_psa_sample *smp, const char *name)
{
    for (int k = 0; k < smp->n_params; k++)
        if (strncmp(smp->col_name[smp->param_col[k]], name, strlen(name)) == 0)
            return k;
    cr_assert_fail("no parameter %s", name);
    return -1;
}

/* Two strategies whose incremental NMB is linear in one normal parameter:
 * zero-effect courses (no response, no relief) that differ only in their
 * session cost, one session on day 0 (undiscounted; no aspirin delay), so QALYs are equal and
 * INB(a vs b) = 1050 - cost_a ~ N(50, 100^2) exactly, without patient noise.
 * EVPI = 100 L(0.5) (the unit normal loss integral).  A second uncertain
 * parameter (the cohort's mean pain duration) enters no outcome. */
static const char closed_form_yaml[] =
    "name: closed_form\n"
    "seed: 11\n"
    "patients: 4\n"
    "horizon_days: 30\n"
    "block_size: 4\n"
    "cohort:\n"
    "  aspirin_recent: 0\n"
    "  pain_duration_months: {mean: {dist: uniform, min: 10, max: 16}}\n"
    "treatments:\n"
    "  course_a: {base: physio, p_first: 0, relief: {non_responder: {mean: 0, sd: 0}},\n"
    "             session_cost: {dist: normal, mean: 1000, sd: 100}}\n"
    "  course_b: {base: physio, p_first: 0, relief: {non_responder: {mean: 0, sd: 0}}, session_cost: 1050}\n"
    "strategies:\n"
    "  - {name: a, treatment: course_a, schedule: {days: [0]}}\n"
    "  - {name: b, treatment: course_b, schedule: {days: [0]}}\n"
    "reference: b\n"
    "economics: {wtp: [0, 20000]}\n"
    "psa: {iterations: 4000}\n";

Test(psa, closed_form_evpi_and_evppi)
{
    psim_scenario *scn = tu_load(closed_form_yaml);
    cr_assert_eq(scn->n_uncertain, 2);
    psim_psa_sample *smp = run_psa(scn, 2);
    /* the model is exact here: INB is 1050 - the drawn session cost */
    int ks = evppi_index(smp, "treatments.course_a.session_cost");
    int col = smp->param_col[ks];
    for (int i = 0; i < smp->iterations; i++) {
        double c = smp->params[(size_t)i * smp->n_cols + col];
        cr_assert_float_eq(smp->cost[(size_t)i * 2 + 0], c, 1e-9 * c);
        cr_assert_eq(smp->qaly[(size_t)i * 2 + 0], smp->qaly[(size_t)i * 2 + 1]);
    }
    psim_psa_analysis *a = analyse(smp, scn, 0);
    double truth = 100.0 * psim_unit_normal_loss(0.5);
    cr_assert_float_eq(truth, 19.7797, 1e-3);
    int kd = evppi_index(smp, "cohort.pain_duration_months.mean");
    for (int w = 0; w < a->n_wtp; w++) {
        cr_log_info("wtp %g: EVPI %.3f (SE %.3f), EVPPI(cost) %.3f (SE %.3f), EVPPI(duration) %.3f (SE %.3f), "
                    "closed form %.3f",
                    a->wtp[w], a->evpi[w], a->evpi_se[w], a->evppi[(size_t)ks * a->n_wtp + w],
                    a->evppi_se[(size_t)ks * a->n_wtp + w], a->evppi[(size_t)kd * a->n_wtp + w],
                    a->evppi_se[(size_t)kd * a->n_wtp + w], truth);
        /* (a) the closed form */
        cr_assert(fabs(a->evpi[w] - truth) <= 4.0 * a->evpi_se[w], "EVPI %g vs %g (SE %g)", a->evpi[w], truth,
                  a->evpi_se[w]);
        /* (b) EVPPI of the only parameter that matters equals EVPI */
        double e = a->evppi[(size_t)ks * a->n_wtp + w], se = a->evppi_se[(size_t)ks * a->n_wtp + w];
        cr_assert(se > 0 && se < 0.25 * truth, "EVPPI SE %g", se);
        cr_assert(fabs(e - a->evpi[w]) <= 4.0 * se, "EVPPI %g vs EVPI %g (SE %g)", e, a->evpi[w], se);
        cr_assert(fabs(e - truth) <= 4.0 * se + 4.0 * a->evpi_se[w], "EVPPI %g vs closed form %g", e, truth);
        /* (c) a parameter that enters no outcome is worth nothing */
        double z = a->evppi[(size_t)kd * a->n_wtp + w], zse = a->evppi_se[(size_t)kd * a->n_wtp + w];
        cr_assert(z <= 4.0 * zse + 1e-9 && z < 0.1 * truth, "EVPPI of an unused parameter %g (SE %g)", z, zse);
        /* no patient noise: the noise-corrected EVPI is EVPI */
        cr_assert(fabs(a->evpi_corrected[w] - a->evpi[w]) <= 4.0 * a->evpi_corrected_se[w] + 1e-9);
    }
    /* the CEAC is P(INB > 0) = Phi(0.5) = 0.6915 for a, within 4 binomial SE */
    double p = 0.5 * erfc(-0.5 / sqrt(2.0)), se = sqrt(p * (1 - p) / smp->iterations);
    cr_assert(fabs(a->ceac[0] - p) <= 4 * se, "CEAC %g vs %g", a->ceac[0], p);
    cr_assert_eq(a->ceaf_strategy[0], 0);
    psim_psa_analysis_destroy(a);
    psim_psa_sample_destroy(smp);
    psim_scenario_destroy(scn);
}

/* A small PSA of three strategies with real patient noise. */
static const char small_yaml[] =
    "name: small\n"
    "seed: 20261202\n"
    "patients: 300\n"
    "horizon_days: 200\n"
    "block_size: 64\n"
    "cohort:\n"
    "  lumbar_levels: {dist: dirichlet, alpha: [5, 10, 20, 30, 35]}\n"
    "  pain_duration_months: {mean: {dist: uniform, min: 10, max: 16}}\n"
    "treatments:\n"
    "  botox:\n"
    "    p_first: {dist: beta, alpha: 40, beta: 35}\n"
    "    session_cost: {dist: gamma, shape: 16, scale: 250}\n"
    "  steroid_bupivacaine:\n"
    "    p_first: {dist: beta, alpha: 11, beta: 9}\n"
    "strategies:\n"
    "  - {name: botox, treatment: botox, schedule: {every_days: 100, sessions: 2}}\n"
    "  - {name: steroid, treatment: steroid_bupivacaine, schedule: {every_days: 100, sessions: 2}}\n"
    "  - {name: usual, treatment: none}\n"
    "reference: usual\n"
    "economics: {wtp: [0, 1000000, 3000000], population: 1000, horizon_years: 5}\n"
    "psa: {iterations: 60, evppi_groups: {efficacy: [treatments.botox.p_first, "
    "treatments.steroid_bupivacaine.p_first]}}\n";

Test(psa, same_bits_at_any_thread_count)
{
    psim_scenario *scn = tu_load(small_yaml);
    psim_psa_sample *s1 = run_psa(scn, 1);
    psim_psa_sample *s2 = run_psa(scn, 2);
    psim_psa_sample *s4 = run_psa(scn, 4);
    size_t IS = (size_t)s1->iterations * s1->n_strategies;
    size_t IC = (size_t)s1->iterations * s1->n_cols;
    cr_assert_eq(s1->n_cols, 9); /* 5 dirichlet categories + 4 scalars */
    int kl = evppi_index(s1, "cohort.lumbar_levels");
    cr_assert_eq(s1->param_dim[kl], 5);
    const psim_psa_sample *o[2] = {s2, s4};
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(memcmp(s1->params, o[k]->params, IC * sizeof(double)), 0);
        cr_assert_eq(memcmp(s1->cost, o[k]->cost, IS * sizeof(double)), 0);
        cr_assert_eq(memcmp(s1->qaly, o[k]->qaly, IS * sizeof(double)), 0);
        cr_assert_eq(memcmp(s1->cost_var, o[k]->cost_var, IS * sizeof(double)), 0);
        cr_assert_eq(memcmp(s1->dcost_dqaly_cov, o[k]->dcost_dqaly_cov, IS * sizeof(double)), 0);
    }
    /* every dirichlet draw sums to 1, and the draws vary */
    for (int i = 0; i < s1->iterations; i++) {
        double sum = 0;
        for (int c = 0; c < 5; c++)
            sum += s1->params[(size_t)i * s1->n_cols + s1->param_col[kl] + c];
        cr_assert_float_eq(sum, 1.0, 1e-12);
    }
    cr_assert_neq(s1->params[0], s1->params[s1->n_cols]);
    /* the analysis is deterministic too */
    psim_psa_analysis *a1 = analyse(s1, scn, 1), *a2 = analyse(s2, scn, 2);
    size_t W = (size_t)a1->n_wtp;
    cr_assert_eq(memcmp(a1->evppi, a2->evppi, (size_t)a1->n_evppi * W * sizeof(double)), 0);
    cr_assert_eq(memcmp(a1->group_evppi, a2->group_evppi, W * sizeof(double)), 0);
    cr_assert_eq(memcmp(a1->evpi_corrected_se, a2->evpi_corrected_se, W * sizeof(double)), 0);
    /* population EVPI: 1000 a year for 5 years at 3.5% */
    double f = 0;
    for (int y = 0; y < 5; y++)
        f += pow(1.035, -y);
    cr_assert_float_eq(a1->population_factor, 1000.0 * f, 1e-9);
    psim_psa_analysis_destroy(a1);
    psim_psa_analysis_destroy(a2);
    psim_psa_sample_destroy(s1);
    psim_psa_sample_destroy(s2);
    psim_psa_sample_destroy(s4);
    psim_scenario_destroy(scn);
}

/* A parameter's draws depend on its name only: adding another parameter
 * (before it in the file) leaves them unchanged. */
Test(psa, adding_a_parameter_keeps_the_others_draws)
{
    psim_scenario *a = tu_load(small_yaml);
    const char *set[] = {"cohort.myofascial={dist: beta, alpha: 95, beta: 5}"};
    psim_error err;
    psim_error_clear(&err);
    psim_scenario *b = NULL;
    psim_status st = psim_scenario_load_text(small_yaml, strlen(small_yaml), "inline.yaml", set, 1, &b, &err);
    cr_assert_eq(st, PSIM_OK, "%s", err.message);
    cr_assert_eq(b->n_uncertain, a->n_uncertain + 1);
    psim_scenario_destroy(b);
    /* the same through the file: a new parameter first in the cohort */
    char text[sizeof small_yaml + 128];
    const char *at = strstr(small_yaml, "cohort:\n") + strlen("cohort:\n");
    snprintf(text, sizeof text, "%.*s  myofascial: {dist: beta, alpha: 95, beta: 5}\n%s", (int)(at - small_yaml),
             small_yaml, at);
    b = tu_load(text);
    cr_assert_eq(b->n_uncertain, a->n_uncertain + 1);
    a->psa.iterations = b->psa.iterations = 5;
    a->patients = b->patients = 10;
    psim_psa_sample *sa = run_psa(a, 1), *sb = run_psa(b, 1);
    for (int ca = 0; ca < sa->n_cols; ca++) {
        int cb = -1;
        for (int k = 0; k < sb->n_cols; k++)
            if (strcmp(sa->col_name[ca], sb->col_name[k]) == 0)
                cb = k;
        cr_assert_geq(cb, 0);
        for (int i = 0; i < sa->iterations; i++)
            cr_assert_eq(sa->params[(size_t)i * sa->n_cols + ca], sb->params[(size_t)i * sb->n_cols + cb], "%s",
                         sa->col_name[ca]);
    }
    psim_psa_sample_destroy(sa);
    psim_psa_sample_destroy(sb);
    psim_scenario_destroy(a);
    psim_scenario_destroy(b);
}

/* Patients: `common` reuses iteration 0's patients, so with only an inert
 * parameter uncertain every iteration gives the same means; fresh patients
 * (the default) give different means whose spread is all patient noise, and
 * the variance partition says so. */
Test(psa, common_patients_and_the_variance_partition)
{
    const char *yaml = "name: noise\n"
                       "seed: 5\n"
                       "patients: 200\n"
                       "horizon_days: 120\n"
                       "cohort: {pain_duration_months: {mean: {dist: uniform, min: 10, max: 16}}}\n"
                       "strategies:\n"
                       "  - {name: botox, treatment: botox, schedule: {days: [0]}}\n"
                       "  - {name: usual, treatment: none}\n"
                       "psa: {iterations: 400, patients: common}\n";
    psim_scenario *scn = tu_load(yaml);
    cr_assert_eq(scn->psa.common_patients, 1);
    psim_psa_sample *smp = run_psa(scn, 2);
    for (int i = 1; i < smp->iterations; i++) {
        cr_assert_eq(smp->cost[(size_t)i * 2], smp->cost[0]);
        cr_assert_eq(smp->qaly[(size_t)i * 2], smp->qaly[0]);
    }
    psim_psa_sample_destroy(smp);
    scn->psa.common_patients = 0;
    smp = run_psa(scn, 2);
    psim_psa_analysis *a = analyse(smp, scn, 0);
    int differ = 0;
    for (int i = 1; i < smp->iterations; i++)
        differ += smp->qaly[(size_t)i * 2] != smp->qaly[0];
    cr_assert_gt(differ, smp->iterations / 2);
    /* all of the variance is patient noise: total / noise ~ 1, with relative
     * SE sqrt(2 / (I - 1)) for the sample variance of normal means */
    double tol = 4.0 * sqrt(2.0 / (smp->iterations - 1));
    for (int s = 0; s < 2; s++) {
        const psim_var_partition *p = &a->var_qaly[s];
        cr_log_info("qaly %d: total %g noise %g parameters %g share %.3f", s, p->total, p->noise, p->parameter,
                    p->noise_share);
        cr_assert(fabs(p->total / p->noise - 1.0) <= tol, "total %g noise %g", p->total, p->noise);
    }
    psim_psa_analysis_destroy(a);
    psim_psa_sample_destroy(smp);
    psim_scenario_destroy(scn);
}

/* A draw the model cannot use is an input error naming the iteration. */
Test(psa, invalid_draw_is_an_input_error)
{
    const char *yaml = "name: bad\n"
                       "patients: 10\n"
                       "horizon_days: 60\n"
                       "treatments:\n"
                       "  botox: {onset_days: {dist: uniform, min: 1, max: 30}, peak_days: 21}\n"
                       "strategies:\n"
                       "  - {name: botox, treatment: botox, schedule: {days: [0]}}\n"
                       "  - {name: usual, treatment: none}\n"
                       "psa: {iterations: 50}\n";
    psim_scenario *scn = NULL;
    psim_error err;
    psim_error_clear(&err);
    psim_status st = psim_scenario_load_text(yaml, strlen(yaml), "bad.yaml", NULL, 0, &scn, &err);
    if (st != PSIM_OK) { /* rejected on loading: fine too, as long as it is located */
        cr_assert_eq(st, PSIM_ERR_INPUT);
        cr_assert_gt(err.line, 0);
        return;
    }
    psim_run_options opt = psim_run_options_default();
    psim_psa_sample *smp = NULL;
    st = psim_psa_run(scn, &opt, &smp, &err);
    cr_assert_eq(st, PSIM_ERR_INPUT);
    cr_assert(strstr(err.message, "PSA iteration") && strstr(err.message, "peak_days"), "%s", err.message);
    cr_assert_null(smp);
    psim_scenario_destroy(scn);
}

/* ---- the command line ---------------------------------------------------- */

TU_SCRATCH_DIR("psa")

/* Run a command made from cmd_fmt with one %s argument, in the scratch directory. */
static int sh(const char *cmd_fmt, const char *arg, char **out)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, cmd_fmt, arg);
    return tu_shell(cmd, out);
}

#define write_file tu_write_file

Test(psa_cli, run_then_summary, .init = tu_dir_init, .fini = tu_dir_fini)
{
    write_file("small.yaml", small_yaml);
    char *out = NULL;
    int rc = sh("'%s' run small.yaml -o small.h5 -q", PAINSIM_BIN, &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "Probability that each strategy is cost-effective (CEAC)"), "%s", out);
    cr_assert(strstr(out, "EVPI per patient"), "%s", out);
    cr_assert(strstr(out, "EVPPI per patient"), "%s", out);
    cr_assert(strstr(out, "group efficacy"), "%s", out);
    cr_assert(strstr(out, "patients needed"), "%s", out);
    cr_assert(strstr(out, "Efficient frontier of the expected cost and QALYs"), "%s", out);
    char *sum = NULL;
    rc = sh("'%s' summary small.h5", PAINSIM_BIN, &sum);
    cr_assert_eq(rc, 0, "%s", sum);
    cr_assert_str_eq(sum, out, "summary differs from run");
    free(sum);
    /* a narrow terminal: the tables split into panels and the long lines
     * wrapped, no line over 80 columns, every strategy in every table that
     * lists them; --wide keeps the one wide table printed without a width */
    rc = sh("COLUMNS=80 '%s' summary small.h5", PAINSIM_BIN, &sum);
    cr_assert_eq(rc, 0, "%s", sum);
    int longest = 0;
    for (const char *p = sum; *p;) {
        int n = (int)strcspn(p, "\n");
        longest = n > longest ? n : longest;
        p += n + (p[n] == '\n');
    }
    cr_assert_leq(longest, 80, "a line of %d columns at COLUMNS=80:\n%s", longest, sum);
    const char *strategies[] = {"botox", "steroid", "usual"};
    for (int k = 0; k < 3; k++) {
        /* in the CEAC table and the NMB table, each split into panels */
        char row[64];
        snprintf(row, sizeof row, "\n  %s ", strategies[k]);
        int seen = 0;
        for (const char *p = strstr(sum, row); p; p = strstr(p + 1, row))
            seen++;
        cr_assert_geq(seen, 2, "%s: %d rows\n%s", strategies[k], seen, sum);
    }
    free(sum);
    char *wide = NULL;
    rc = sh("COLUMNS=80 '%s' summary small.h5 --wide", PAINSIM_BIN, &wide);
    cr_assert_eq(rc, 0, "%s", wide);
    rc = sh("env -u COLUMNS '%s' summary small.h5", PAINSIM_BIN, &sum);
    cr_assert_eq(rc, 0, "%s", sum);
    cr_assert_str_eq(wide, sum, "--wide is not the table printed without a width");
    longest = 0;
    for (const char *p = wide; *p;) {
        int n = (int)strcspn(p, "\n");
        longest = n > longest ? n : longest;
        p += n + (p[n] == '\n');
    }
    cr_assert_gt(longest, 80, "--wide: one table, however wide:\n%s", wide);
    free(wide);
    free(sum);
    /* JSON parses and carries SEs beside the estimates */
    rc = sh("'%s' summary small.h5 --format json > s.json && python3 -c \"import json; d = json.load(open('s.json')); "
            "b = d['by_wtp'][1]; assert d['mode'] == 'psa' and d['iterations'] == 60; "
            "assert set(b['evpi']) == {'value', 'se'}; assert 'treatments.botox.p_first' in b['evppi']; "
            "assert 'cohort.lumbar_levels' in b['evppi']; assert 'efficacy' in b['evppi_groups']; "
            "assert abs(sum(v['p_cost_effective'] for v in b['strategies'].values()) - 1) < 1e-12; "
            "f = d['frontier']; assert f[0]['previous'] is None and f[-1]['icer'] > 0; "
            "assert all(x['delta_cost']['se'] > 0 for x in f[1:])\"",
            PAINSIM_BIN, &sum);
    cr_assert_eq(rc, 0, "%s", sum);
    free(sum);
    /* tidy CSV: a header and one row per strategy x quantity x wtp */
    rc = sh("'%s' summary small.h5 --format csv-long > l.csv && python3 -c \"import csv; r = list(csv.DictReader(open('l.csv'))); "
            "assert all(x['scenario'] == 'small' for x in r); "
            "assert len([x for x in r if x['quantity'] == 'p_cost_effective']) == 3 * 3; "
            "assert len([x for x in r if x['quantity'] == 'evppi']) == 3 * (5 + 1)\"",
            PAINSIM_BIN, &sum);
    cr_assert_eq(rc, 0, "%s", sum);
    free(sum);
    /* the sample exports with one row per iteration */
    rc = sh("'%s' summary small.h5 --format samples | wc -l", PAINSIM_BIN, &sum);
    cr_assert_eq(rc, 0);
    cr_assert_eq(atoi(sum), 61, "%s", sum);
    free(sum);
    /* csv-long on a cohort-run file is a usage error */
    rc = sh("'%s' run small.yaml --psa 0 -o base.h5 -q", PAINSIM_BIN, &sum);
    cr_assert_eq(rc, 0, "%s", sum);
    free(sum);
    rc = sh("'%s' summary base.h5 --format csv-long", PAINSIM_BIN, &sum);
    cr_assert_eq(rc, 2, "%s", sum);
    cr_assert(strstr(sum, "PSA files"), "%s", sum);
    free(sum);
    /* an existing file is not overwritten without --force */
    rc = sh("'%s' run small.yaml -o small.h5 -q", PAINSIM_BIN, &sum);
    cr_assert_eq(rc, 2, "%s", sum);
    free(sum);
    free(out);
}

/* EVPPI against R's mgcv on the sample of a real PSA run. */
Test(psa_cli, evppi_matches_mgcv, .init = tu_dir_init, .fini = tu_dir_fini, .timeout = 600)
{
    const char *yaml = "name: mgcv\n"
                       "seed: 99\n"
                       "patients: 200\n"
                       "horizon_days: 240\n"
                       "treatments:\n"
                       "  botox:\n"
                       "    p_first: {dist: beta, alpha: 40, beta: 35}\n"
                       "    duration: {median_days: {dist: lognormal, median: 90, sigma: 0.25}}\n"
                       "strategies:\n"
                       "  - {name: usual, treatment: none}\n"
                       "  - {name: botox, treatment: botox, schedule: {every_days: 120, sessions: 2}}\n"
                       "economics: {wtp: [1400000, 2000000]}\n"
                       "psa: {iterations: 1000, patients: common,\n"
                       "      evppi_groups: {both: [treatments.botox.p_first, treatments.botox.duration.median_days]}}\n";
    write_file("mgcv.yaml", yaml);
    char *out = NULL;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' run mgcv.yaml -o mgcv.h5 -q --force > /dev/null && '%s' summary mgcv.h5 --format samples > sample.csv && "
             "'%s' summary mgcv.h5 --format json > mgcv.json",
             PAINSIM_BIN, PAINSIM_BIN, PAINSIM_BIN);
    int rc = sh("%s", cmd, &out);
    cr_assert_eq(rc, 0, "%s", out);
    free(out);
    const char *checks[][2] = {{"treatments.botox.p_first", "treatments.botox.p_first"},
                               {"treatments.botox.duration.median_days", "treatments.botox.duration.median_days"},
                               {"treatments.botox.p_first,treatments.botox.duration.median_days", "both"}};
    const double wtps[2] = {1400000, 2000000};
    for (int c = 0; c < 3; c++) {
        for (int w = 0; w < 2; w++) {
            snprintf(cmd, sizeof cmd,
                     "Rscript '%s/tests/mgcv_evppi.R' sample.csv %.0f '%s' && python3 -c \"import json; "
                     "d = json.load(open('mgcv.json')); b = d['by_wtp'][%d]; "
                     "e = b['evppi'].get('%s') or b['evppi_groups']['%s']; print('painsim', e['value'], e['se'])\"",
                     PAINSIM_SOURCE_DIR, wtps[w], checks[c][0], w, checks[c][1], checks[c][1]);
            rc = sh("%s", cmd, &out);
            cr_assert_eq(rc, 0, "R or python failed (setup.sh test installs r-base-core and r-cran-mgcv): %s", out);
            const char *pr = strstr(out, "evppi "), *pp = strstr(out, "painsim ");
            cr_assert(pr && pp, "%s", out);
            double r_val = atof(pr + 6), c_val = 0, c_se = 0;
            cr_assert_eq(sscanf(pp, "painsim %lf %lf", &c_val, &c_se), 2, "%s", out);
            cr_log_info("EVPPI(%s) at WTP %.0f: painsim %.2f (SE %.2f), mgcv %.2f", checks[c][1], wtps[w], c_val,
                        c_se, r_val);
            cr_assert(fabs(c_val - r_val) <= 4.0 * c_se + 1e-6 * fabs(r_val),
                      "EVPPI(%s) at WTP %.0f: painsim %g (SE %g) vs mgcv %g", checks[c][1], wtps[w], c_val, c_se,
                      r_val);
            free(out);
        }
    }
}

/* {dist: empirical, file, column}: posterior draws (such as `painsim
 * calibrate -o` writes) used by a PSA.  Columns of one file take the same row
 * in an iteration (the joint draws are kept), every drawn value is a row of the
 * file, rows are drawn uniformly, and the base case is the column mean. */
Test(psa, empirical_draws_keep_rows_together)
{
    tu_dir_make("empirical");
    /* 4 rows; p_first and the duration median vary together (median = 100 p) */
    tu_write_file("draws.csv", "p,median,unused\n0.5,50,1\n0.6,60,2\n0.7,70,3\n0.8,80,4\n");
    char text[2048];
    snprintf(text, sizeof text,
             "patients: 20\nhorizon_days: 60\npsa: {iterations: 400}\n"
             "treatments:\n  botox:\n    p_first: {dist: empirical, file: draws.csv, column: p}\n"
             "    duration: {median_days: {dist: empirical, file: draws.csv, column: median}}\n"
             "strategies:\n  - {name: b, treatment: botox, schedule: {days: [0]}}\n"
             "  - {name: sc, treatment: none}\nreference: sc\n");
    tu_write_file("scn.yaml", text);
    char path[512];
    snprintf(path, sizeof path, "%s/scn.yaml", tu_dir);
    psim_scenario *scn = tu_load_file(path, NULL, 0);
    cr_assert_eq(scn->n_uncertain, 2);
    /* base case: the column means */
    cr_assert_float_eq(scn->treatments[0].p_first, 0.65, 1e-12);
    cr_assert_float_eq(scn->treatments[0].duration_median_days, 65.0, 1e-12);
    /* quantiles of the column (linear between order statistics), for tornado and sweep ranges */
    for (int k = 0; k < 2; k++) {
        const psim_dist *d = &scn->uncertain[k].dist;
        double scale = d->values[0] > 1 ? 100.0 : 1.0;
        cr_assert_float_eq(psim_dist_quantile(d, 0.0), 0.5 * scale, 1e-12);
        cr_assert_float_eq(psim_dist_quantile(d, 0.5), 0.65 * scale, 1e-12);
        cr_assert_float_eq(psim_dist_quantile(d, 1.0), 0.8 * scale, 1e-12);
    }
    /* the resolved scenario names the file and reads back the same */
    char *y = NULL;
    psim_error err;
    cr_assert_eq(psim_scenario_to_yaml(scn, &y, &err), PSIM_OK);
    cr_assert(strstr(y, "{dist: empirical, file: ") && strstr(y, "column: \"median\"}"), "%s", y);
    psim_scenario *back = NULL;
    cr_assert_eq(psim_scenario_load_text(y, strlen(y), "resolved.yaml", NULL, 0, &back, &err), PSIM_OK, "%s",
                 err.message);
    cr_assert_eq(back->n_uncertain, 2);
    cr_assert_eq(back->uncertain[0].dist.n_values, 4);
    psim_scenario_destroy(back);
    free(y);

    psim_psa_sample *smp = run_psa(scn, 2);
    int cp = -1, cm = -1, count[4] = {0};
    for (int k = 0; k < smp->n_cols; k++) {
        if (strcmp(smp->col_name[k], "treatments.botox.p_first") == 0)
            cp = k;
        if (strcmp(smp->col_name[k], "treatments.botox.duration.median_days") == 0)
            cm = k;
    }
    cr_assert(cp >= 0 && cm >= 0);
    cr_assert(strstr(smp->col_dist[cp], "empirical(draws.csv:p, 4 rows)"), "%s", smp->col_dist[cp]);
    for (int i = 0; i < smp->iterations; i++) {
        double p = smp->params[(size_t)i * smp->n_cols + cp], m = smp->params[(size_t)i * smp->n_cols + cm];
        int row = (int)lround(p * 10) - 5;
        cr_assert(row >= 0 && row < 4 && fabs(p - (0.5 + 0.1 * row)) < 1e-12, "iteration %d: p %g", i, p);
        cr_assert_float_eq(m, 100.0 * p, 1e-9, "iteration %d: median %g with p %g (not the same row)", i, m, p);
        count[row]++;
    }
    /* rows uniformly: each 1/4 of 400, binomial SE sqrt(400 x 1/4 x 3/4) */
    for (int r = 0; r < 4; r++)
        cr_assert_leq(fabs(count[r] - 100.0), 4.0 * sqrt(400 * 0.25 * 0.75), "row %d drawn %d times", r, count[r]);
    psim_psa_sample_destroy(smp);
    psim_scenario_destroy(scn);

    /* errors name the scenario's line and column and what is wrong */
    struct {
        const char *value, *phrase;
    } bad[] = {
        {"{dist: empirical, file: nofile.csv, column: p}", "cannot open"},
        {"{dist: empirical, file: draws.csv, column: q}", "has no column `q` in its header line"},
        {"{dist: empirical, file: draws.csv, column: median}", "must be in [0, 1], but"},
        {"{dist: empirical, file: draws.csv}", "a empirical distribution needs `file` and `column`"},
    };
    tu_write_file("bad.csv", "p\n0.5\nx\n");
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        snprintf(text, sizeof text,
                 "treatments:\n  botox:\n    p_first: %s\nstrategies:\n  - {name: b, treatment: botox, schedule: {days: [0]}}\n",
                 bad[k].value);
        tu_write_file("bad.yaml", text);
        snprintf(path, sizeof path, "%s/bad.yaml", tu_dir);
        psim_scenario *s = NULL;
        psim_status st = psim_scenario_load(path, NULL, 0, &s, &err);
        char buf[2048];
        psim_error_format(&err, buf, sizeof buf);
        cr_assert_eq(st, PSIM_ERR_INPUT, "%s", bad[k].value);
        cr_assert(strstr(buf, "bad.yaml:3:"), "%s", buf);
        cr_assert(strstr(buf, bad[k].phrase), "expected `%s` in: %s", bad[k].phrase, buf);
    }
    snprintf(text, sizeof text,
             "treatments:\n  botox:\n    p_first: {dist: empirical, file: bad.csv, column: p}\n"
             "strategies:\n  - {name: b, treatment: botox, schedule: {days: [0]}}\n");
    tu_write_file("bad.yaml", text);
    psim_scenario *s = NULL;
    cr_assert_eq(psim_scenario_load(path, NULL, 0, &s, &err), PSIM_ERR_INPUT);
    cr_assert(strstr(err.message, "bad.csv line 3: expected a number in column `p`, got `x`"), "%s", err.message);
    tu_dir_remove();
}
