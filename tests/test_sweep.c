/* Sweeps and the tornado: common random numbers across points, monotone
 * response to p_first within the Monte Carlo SE, tornado points equal to
 * plain runs, quantiles against R, `low`/`high` in the loader, the file
 * layout and the command's errors. */
#include "testutil.h"

#include "painsim/report.h"
#include "painsim/sweep.h"

TU_SCRATCH_DIR("sweep")

static const char *const scenario =
    "name: sw\n"
    "seed: 7\n"
    "patients: 2000\n"
    "horizon_days: 240\n"
    "block_size: 256\n"
    "treatments:\n"
    "  botox:\n"
    "    p_first: {dist: beta, alpha: 41.25, beta: 33.75}\n"
    "    duration: {median_days: {dist: lognormal, median: 90, sigma: 0.15, low: 70, high: 110}}\n"
    "    session_cost: {dist: gamma, shape: 16, scale: 187.5}\n"
    "cohort:\n"
    "  lumbar_levels: {dist: dirichlet, alpha: [5, 10, 20, 30, 35]}\n"
    "economics: {utility: {slope_per_cm: {dist: normal, mean: -0.041, sd: 0.004}}}\n"
    "strategies:\n"
    "  - name: botox\n"
    "    treatment: botox\n"
    "    schedule: {days: [0, 120]}\n"
    "  - name: physio\n"
    "    treatment: physio\n"
    "    schedule: {days: [0]}\n"
    "  - name: care\n"
    "    treatment: none\n";

static psim_sweep *run_sweep(psim_sweep_kind kind, const char *param, const double *values, int n,
                             psim_scenario **base, int threads)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sw.yaml", tu_dir);
    psim_sweep_spec spec = {.kind = kind,
                            .scenario_path = path,
                            .param = param,
                            .values = values,
                            .n_values = n,
                            .wtp = 2000000.0,
                            .threads = threads};
    psim_sweep *sw = NULL;
    psim_error err;
    psim_error_clear(&err);
    psim_status st = psim_sweep_run(&spec, &sw, base, &err);
    cr_assert_eq(st, PSIM_OK, "%s", err.message);
    return sw;
}

TestSuite(sweep, .init = tu_dir_init, .fini = tu_dir_fini);

/* An inert parameter (the pain history is drawn but drives nothing): with
 * common random numbers every point gives the same bits. */
Test(sweep, common_random_numbers_inert_parameter_gives_identical_points)
{
    tu_write_file("sw.yaml", scenario);
    const double v[] = {3.0, 13.78, 60.0};
    psim_sweep *sw = run_sweep(PSIM_SWEEP_VALUES, "cohort.pain_duration_months.mean", v, 3, NULL, 2);
    const size_t KS = (size_t)sw->n_points * (size_t)sw->n_strategies, S = (size_t)sw->n_strategies;
    cr_assert_eq(sw->n_points, 3);
    for (size_t k = 1; k < 3; k++) {
        cr_assert(memcmp(sw->cost, sw->cost + k * S, S * sizeof(double)) == 0, "cost at point %zu", k);
        cr_assert(memcmp(sw->qaly, sw->qaly + k * S, S * sizeof(double)) == 0, "qaly at point %zu", k);
        cr_assert(memcmp(sw->inmb, sw->inmb + k * S, S * sizeof(double)) == 0, "incremental NMB at point %zu", k);
        size_t D = (size_t)sw->n_days;
        cr_assert(memcmp(sw->mean_vas, sw->mean_vas + k * S * D, S * D * sizeof(double)) == 0, "VAS at point %zu",
                  k);
    }
    (void)KS;
    psim_sweep_destroy(sw);
}

/* First-session response follows p_first within 4 SE at every point and,
 * with common random numbers, never falls as p_first rises; QALYs of the
 * botox strategy rise (each step beyond 4 SE of the smaller estimate), the
 * comparator is untouched. */
Test(sweep, monotone_response_to_p_first)
{
    tu_write_file("sw.yaml", scenario);
    const double v[] = {0.2, 0.4, 0.6, 0.8};
    psim_sweep *sw = run_sweep(PSIM_SWEEP_VALUES, "treatments.botox.p_first", v, 4, NULL, 2);
    const size_t S = (size_t)sw->n_strategies;
    cr_assert_str_eq(sw->params[0].unit, "probability");
    for (size_t k = 0; k < 4; k++) {
        double fr = sw->first_response[k * S], se = sw->first_response_se[k * S];
        cr_assert_lt(fabs(fr - v[k]), 4.0 * se, "p_first %g: first response %g (SE %g)", v[k], fr, se);
        if (k > 0) {
            cr_assert_gt(fr, sw->first_response[(k - 1) * S], "first response falls at p_first %g", v[k]);
            double dq = sw->qaly[k * S] - sw->qaly[(k - 1) * S];
            cr_assert_gt(dq, 0.0, "QALYs fall at p_first %g", v[k]);
            double dn = sw->inmb[k * S] - sw->inmb[(k - 1) * S];
            cr_assert_gt(dn, 0.0, "incremental NMB falls at p_first %g", v[k]);
            /* physio and care do not use botox: the same bits */
            cr_assert_eq(sw->qaly[k * S + 1], sw->qaly[1]);
            cr_assert_eq(sw->cost[k * S + 2], sw->cost[2]);
        }
    }
    /* 0.2 -> 0.8 moves QALYs by far more than their SE */
    cr_assert_gt(sw->qaly[3 * S] - sw->qaly[0], 4.0 * sw->qaly_se[0]);
    psim_sweep_destroy(sw);
}

/* A tornado: the base point equals a plain run of the base case, a low or
 * high point equals a sweep at that value, low/high come from the scenario
 * when given, else from the distribution's 2.5% and 97.5% points. */
Test(sweep, tornado_points_are_runs_of_the_scenario)
{
    tu_write_file("sw.yaml", scenario);
    psim_scenario *base = NULL;
    psim_sweep *tw = run_sweep(PSIM_SWEEP_TORNADO, NULL, NULL, 0, &base, 2);
    const size_t S = (size_t)tw->n_strategies;
    /* p_first, median_days, session_cost, slope; the dirichlet is not varied */
    cr_assert_eq(tw->n_params, 4);
    cr_assert_eq(tw->n_points, 9);
    cr_assert_eq(tw->n_skipped, 1);
    cr_assert_str_eq(tw->skipped[0], "cohort.lumbar_levels");
    int pf = -1, md = -1;
    for (int p = 0; p < tw->n_params; p++) {
        if (strcmp(tw->params[p].name, "treatments.botox.p_first") == 0)
            pf = p;
        if (strcmp(tw->params[p].name, "treatments.botox.duration.median_days") == 0)
            md = p;
    }
    cr_assert(pf >= 0 && md >= 0);
    cr_assert_eq(tw->params[md].low, 70.0);
    cr_assert_eq(tw->params[md].high, 110.0);
    cr_assert_str_eq(tw->params[md].bounds, "scenario");
    cr_assert_float_eq(tw->params[pf].base, 41.25 / 75.0, 1e-15);
    cr_assert_eq(tw->point_parameter[0], -1);
    cr_assert_eq(tw->point_parameter[1 + 2 * pf], pf);
    cr_assert_eq(tw->point_level[1 + 2 * pf], 1);
    cr_assert_eq(tw->point_level[2 + 2 * pf], 2);

    /* the base point is a plain run of the base case */
    psim_results *res = tu_run(base, 1, NULL);
    for (size_t s = 0; s < S; s++) {
        double c = res->strategies[s].cost_sum / (double)res->patients;
        double q = res->strategies[s].qaly_sum / (double)res->patients;
        cr_assert_float_eq(tw->cost[s], c, 1e-9 * (fabs(c) + 1.0), "%s cost", tw->strategy[s]);
        cr_assert_float_eq(tw->qaly[s], q, 1e-12, "%s qaly", tw->strategy[s]);
    }
    psim_results_destroy(res);

    /* the high point of p_first is a sweep at that value (1 thread: any thread count gives the same bits) */
    double hv = tw->params[pf].high;
    psim_sweep *sw = run_sweep(PSIM_SWEEP_VALUES, "treatments.botox.p_first", &hv, 1, NULL, 1);
    size_t hk = (size_t)(2 + 2 * pf);
    cr_assert(memcmp(sw->cost, tw->cost + hk * S, S * sizeof(double)) == 0);
    cr_assert(memcmp(sw->qaly, tw->qaly + hk * S, S * sizeof(double)) == 0);
    cr_assert(memcmp(sw->inmb, tw->inmb + hk * S, S * sizeof(double)) == 0);
    psim_sweep_destroy(sw);
    psim_sweep_destroy(tw);
    psim_scenario_destroy(base);
}

/* psim_dist_quantile against R's qbeta, qgamma, qnorm, qlnorm, qunif. */
Test(sweep, quantiles_agree_with_r)
{
    const struct {
        psim_dist_kind kind;
        double p1, p2;
        const char *r;
    } cases[] = {
        {PSIM_DIST_BETA, 41.25, 33.75, "qbeta(p, 41.25, 33.75)"},
        {PSIM_DIST_BETA, 0.5, 0.5, "qbeta(p, 0.5, 0.5)"},
        {PSIM_DIST_BETA, 38.8, 1.2, "qbeta(p, 38.8, 1.2)"},
        {PSIM_DIST_BETA, 3, 72, "qbeta(p, 3, 72)"},
        {PSIM_DIST_GAMMA, 16, 187.5, "qgamma(p, shape = 16, scale = 187.5)"},
        {PSIM_DIST_GAMMA, 0.3, 2, "qgamma(p, shape = 0.3, scale = 2)"},
        {PSIM_DIST_GAMMA, 400, 0.01, "qgamma(p, shape = 400, scale = 0.01)"},
        {PSIM_DIST_NORMAL, -0.041, 0.005, "qnorm(p, -0.041, 0.005)"},
        {PSIM_DIST_LOGNORMAL, 90, 0.15, "qlnorm(p, log(90), 0.15)"},
        {PSIM_DIST_UNIFORM, 0.62, 0.78, "qunif(p, 0.62, 0.78)"},
    };
    const double ps[] = {1e-6, 0.025, 0.5, 0.975, 0.999999};
    const size_t nc = sizeof cases / sizeof *cases, np = sizeof ps / sizeof *ps;
    char cmd[4096];
    size_t o = (size_t)snprintf(cmd, sizeof cmd, "Rscript -e 'p <- c(1e-6, 0.025, 0.5, 0.975, 0.999999); "
                                                 "options(digits = 17); ");
    for (size_t c = 0; c < nc; c++)
        o += (size_t)snprintf(cmd + o, sizeof cmd - o, "cat(sprintf(\"%%.17g\", %s), \"\\n\"); ", cases[c].r);
    snprintf(cmd + o, sizeof cmd - o, "'");
    char *out;
    cr_assert_eq(tu_shell(cmd, &out), 0, "Rscript (r-base-core) must be installed: %s", out);
    char *p = out;
    for (size_t c = 0; c < nc; c++) {
        psim_dist d = {.kind = cases[c].kind, .p1 = cases[c].p1, .p2 = cases[c].p2, .dim = 1};
        for (size_t k = 0; k < np; k++) {
            char *end = NULL;
            double r = strtod(p, &end);
            cr_assert(end != p, "R printed too little: %s", out);
            p = end;
            double q = psim_dist_quantile(&d, ps[k]);
            cr_assert_float_eq(q, r, 1e-10 * fabs(r) + 1e-300, "%s at p = %g: painsim %.17g, R %.17g", cases[c].r,
                               ps[k], q, r);
        }
    }
    free(out);
}

/* `low` and `high` beside a distribution: both or neither, in range, around
 * the mean; printed back by the resolved scenario. */
Test(sweep, low_high_in_the_loader)
{
    static const char *const head = "name: t\nstrategies: [{name: b, treatment: botox, schedule: {days: [0]}}]\n"
                                    "treatments:\n  botox:\n    p_first: ";
    const struct {
        const char *value, *where, *what;
    } bad[] = {
        {"{dist: beta, alpha: 40, beta: 35, low: 0.4}", ":5:53:", "`low` needs `high`"},
        {"{dist: beta, alpha: 40, beta: 35, high: 0.6}", ":5:54:", "`high` needs `low`"},
        {"{dist: beta, alpha: 40, beta: 35, low: 0.6, high: 0.7}", ":5:53:", "must not be above"},
        {"{dist: beta, alpha: 40, beta: 35, low: 0.4, high: 0.5}", ":5:64:", "must not be below"},
        {"{dist: beta, alpha: 40, beta: 35, low: -0.1, high: 0.7}", ":5:53:", "[0, 1]"},
        {"{dist: fixed, value: 0.5, low: 0.5, high: 0.5}", ":5:56:", "must be above `low`"},
        {"{dist: beta, alpha: 40, beta: 35, low: 0.4, hihg: 0.7}", ":5:58:", "did you mean `high`"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s\n", head, bad[k].value);
        psim_scenario *scn = NULL;
        psim_error err;
        psim_error_clear(&err);
        cr_assert_eq(psim_scenario_load_text(text, strlen(text), "t.yaml", NULL, 0, &scn, &err), PSIM_ERR_INPUT,
                     "%s", bad[k].value);
        char msg[2048];
        psim_error_format(&err, msg, sizeof msg);
        cr_assert(strstr(msg, bad[k].where) && strstr(msg, bad[k].what), "%s: %s", bad[k].value, msg);
    }
    psim_scenario *dl = NULL;
    psim_error err;
    psim_error_clear(&err);
    const char *dirichlet = "name: t\nstrategies: [{name: c, treatment: none}]\n"
                            "cohort: {lumbar_levels: {dist: dirichlet, alpha: [1, 1, 1, 1, 1], low: 0}}\n";
    cr_assert_eq(psim_scenario_load_text(dirichlet, strlen(dirichlet), "t.yaml", NULL, 0, &dl, &err), PSIM_ERR_INPUT);
    cr_assert(strstr(err.message, "low"), "%s", err.message);

    char text[1024];
    snprintf(text, sizeof text, "%s%s\n", head, "{dist: fixed, value: 0.55, low: 0.4, high: 0.7}");
    psim_scenario *scn = tu_load(text);
    cr_assert_eq(scn->n_uncertain, 1);
    cr_assert(scn->uncertain[0].has_bounds);
    cr_assert_eq(scn->uncertain[0].low, 0.4);
    cr_assert_eq(scn->uncertain[0].high, 0.7);
    char *yaml = NULL;
    cr_assert_eq(psim_scenario_to_yaml(scn, &yaml, &err), PSIM_OK);
    cr_assert(strstr(yaml, "p_first: {dist: fixed, value: 0.55, low: 0.4, high: 0.7}"), "%s", yaml);
    psim_scenario *again = tu_load(yaml);
    cr_assert_eq(again->uncertain[0].low, 0.4);
    cr_assert_eq(again->uncertain[0].high, 0.7);
    free(yaml);
    psim_scenario_destroy(again);
    psim_scenario_destroy(scn);
}

static char *read_str_attr(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    cr_assert(a >= 0, "attribute %s", name);
    hid_t t = H5Aget_type(a);
    char *s = NULL;
    if (H5Tis_variable_str(t) > 0) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5T_CSET_UTF8);
        char *v = NULL;
        cr_assert(H5Aread(a, mt, &v) >= 0);
        size_t len = strlen(v) + 1;
        s = malloc(len);
        memcpy(s, v, len);
        H5free_memory(v);
        H5Tclose(mt);
    }
    H5Tclose(t);
    H5Aclose(a);
    cr_assert(s, "%s is a variable-length string", name);
    return s;
}

/* The command writes the documented layout and prints a table or CSV. */
Test(sweep, cli_writes_the_file_and_prints)
{
    tu_write_file("sw.yaml", scenario);
    char *out;
    cr_assert_eq(tu_painsim("sweep sw.yaml --param treatments.botox.p_first --range 0.3:0.7:3 --patients 300 -o s.h5 "
                         "--quiet --days 0,60,239",
                         &out),
                 0, "%s", out);
    cr_assert(strstr(out, "One-way sweep of `treatments.botox.p_first` (probability)"), "%s", out);
    cr_assert(strstr(out, "VAS day 239") && strstr(out, "(RUB/QALY)") && strstr(out, "care (the reference)"), "%s",
              out);
    free(out);
    char path[512];
    snprintf(path, sizeof path, "%s/s.h5", tu_dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0);
    char *mode = read_str_attr(f, "run_mode");
    cr_assert_str_eq(mode, "sweep");
    free(mode);
    hid_t g = H5Gopen2(f, "/sweep", H5P_DEFAULT);
    char *outcome = read_str_attr(g, "outcome_strategy");
    cr_assert_str_eq(outcome, "botox");
    free(outcome);
    H5Gclose(g);
    size_t n;
    double *pv = tu_read_double(f, "/sweep/point_value", &n);
    cr_assert_eq(n, 3u);
    cr_assert_float_eq(pv[1], 0.5, 1e-15);
    free(pv);
    double *mv = tu_read_double(f, "/sweep/mean_vas", &n);
    cr_assert_eq(n, 3u * 3u * 3u);
    free(mv);
    double *days = tu_read_double(f, "/sweep/days", &n);
    cr_assert_eq(n, 3u);
    cr_assert_eq(days[2], 239.0);
    free(days);
    tu_visit *v = tu_datasets(f);
    cr_assert_gt(v->n, 25);
    for (int k = 0; k < v->n; k++)
        cr_assert(H5Aexists_by_name(f, v->names[k], "units", H5P_DEFAULT) > 0, "%s has no units", v->names[k]);
    free(v);
    H5Fclose(f);

    cr_assert_eq(tu_painsim("tornado sw.yaml --patients 300 --quiet --format csv --strategy botox", &out), 0, "%s",
                 out);
    cr_assert(strncmp(out, "parameter,level,value,strategy,cost_RUB,", 40) == 0, "%s", out);
    cr_assert(strstr(out, "\ntreatments.botox.p_first,low,"), "%s", out);
    cr_assert(strstr(out, "\n,base,,botox,"), "%s", out);
    free(out);
    cr_assert(tu_exists("output/sw-tornado.h5"));
    cr_assert_eq(tu_painsim("tornado sw.yaml --patients 300 --quiet", &out), 2, "exists without --force: %s", out);
    free(out);
    cr_assert_eq(tu_painsim("tornado sw.yaml --patients 300 --quiet --force", &out), 0, "%s", out);
    cr_assert(strstr(out, "Tornado of scenario `sw`: incremental NMB of botox against care"), "%s", out);
    cr_assert(strstr(out, "not varied") && strstr(out, "cohort.lumbar_levels"), "%s", out);
    free(out);
}

Test(sweep, cli_errors_exit_2_and_write_nothing)
{
    tu_write_file("sw.yaml", scenario);
    char *out;
    cr_assert_eq(tu_painsim("sweep sw.yaml --values 1,2 -o e.h5", &out), 2);
    cr_assert(strstr(out, "--param"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("sweep sw.yaml --param treatments.botox.p_first -o e.h5", &out), 2);
    cr_assert(strstr(out, "--values") && strstr(out, "--range"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("sweep sw.yaml --param treatments.botox.p_first --values 0.1,x -o e.h5", &out), 2);
    free(out);
    cr_assert_eq(tu_painsim("sweep sw.yaml --param treatments.botox.p_first --range 0.7:0.3:3 -o e.h5", &out), 2);
    free(out);
    /* a value the loader refuses: located in the override */
    cr_assert_eq(tu_painsim("sweep sw.yaml --param treatments.botox.p_first --values 0.5,1.5 -o e.h5", &out), 2);
    cr_assert(strstr(out, "--set treatments.botox.p_first=1.5:1:"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("sweep sw.yaml --param treatments.botox.p_frist --values 0.5 -o e.h5", &out), 2);
    cr_assert(strstr(out, "p_first"), "did you mean: %s", out);
    free(out);
    cr_assert(!tu_exists("e.h5") && !tu_exists("e.h5.partial"));
    tu_write_file("certain.yaml", "name: c\nstrategies: [{name: c, treatment: none}]\n");
    cr_assert_eq(tu_painsim("tornado certain.yaml -o e.h5", &out), 2);
    cr_assert(strstr(out, "no uncertain parameter"), "%s", out);
    free(out);
    cr_assert(!tu_exists("e.h5"));
    cr_assert_eq(tu_painsim("help tornado", &out), 0);
    cr_assert(strstr(out, "97.5%"), "%s", out);
    free(out);
}
