/* Costs, QALYs and the response-guided and relapse-driven schedules
 * (MODEL.md sections 4-5), on patients whose course is known exactly. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "testutil.h"

#include "painsim/model.h"
#include "painsim/report.h"

/* A trial-like cohort without noise: B = 7 exactly, five lumbar levels. */
#define EXACT_COHORT                                                                             \
    "cohort:\n"                                                                                  \
    "  baseline_vas: {mean: 7.0, sd: 0, min: 4, max: 10}\n"                                      \
    "  lumbar_levels: [0, 0, 0, 0, 1]\n"                                                         \
    "  myofascial: 1\n"                                                                          \
    "  contraindications: {anticoagulants: 0, bleeding_disorder: 0, infection: 0,\n"             \
    "    hypersensitivity: 0, acute_muscle_trauma: 0, needle_phobia: 0}\n"                       \
    "  aspirin_recent: 0\n"                                                                      \
    "  noise: {sd: 0, phi: 0.9}\n"

#define SURE_BOTOX(extra)                                                                        \
    "  sure:\n"                                                                                  \
    "    base: botox\n"                                                                          \
    "    p_first: 1\n"                                                                           \
    "    p_persist: 1\n"                                                                         \
    "    antibody_risk: 0\n"                                                                     \
    "    relief: {responder: {mean: 0.7, sd: 0}, non_responder: {mean: 0.1, sd: 0}}\n"           \
    "    duration: {median_days: 90, sigma: 0}\n"                                                \
    "    adverse_events: {flu_like: {p: 0}, local: {p: 0}}\n" extra

Test(econ, utility_and_qalys_without_treatment)
{
    psim_scenario *scn = tu_load("patients: 1\nhorizon_days: 365\n" EXACT_COHORT
                                 "economics: {discount: {costs: 0, qalys: 0}}\n"
                                 "strategies: [{name: care, treatment: none}]\n");
    psim_model *m = tu_model(scn);
    tu_one *o = calloc(1, sizeof *o);
    tu_simulate(m, 0, 0, o);
    double u = 0.80 - 0.041 * 7.0;
    cr_assert_float_eq(o->out.qaly, u * 365.0 / 365.25, 1e-12, "qaly %.15f", o->out.qaly);
    cr_assert_eq(o->out.cost, 0.0);
    free(o);
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

Test(econ, session_costs_by_price_model_and_discounting)
{
    /* 5 levels x 50 U = 250 U per session */
    struct { const char *price; double drug; } cases[] = {
        {"{model: per_unit, per_unit: 100}", 25000.0},
        /* clinic list: cheapest cover of 250 U is 150 U + 100 U = 49,800 RUB */
        {"{model: packages, per_unit: 380, packages: [{units: 50, price: 14900}, {units: 100, price: 19900}, {units: 150, price: 29900}]}", 49800.0},
        /* 3 vials of 100 U, the opened third wasted */
        {"{model: vials, vial_units: 100, vial_price: 600}", 1800.0},
        {"{model: none}", 0.0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[4096];
        snprintf(text, sizeof text,
                 "patients: 1\nhorizon_days: 200\n" EXACT_COHORT
                 "economics: {discount: {costs: 0.035, qalys: 0}}\n"
                 "treatments:\n" SURE_BOTOX("    session_cost: 3000\n    price: %s\n")
                 "strategies: [{name: s, treatment: sure, schedule: {days: [0, 120]}}]\n",
                 cases[k].price);
        psim_scenario *scn = tu_load(text);
        psim_model *m = tu_model(scn);
        tu_one *o = calloc(1, sizeof *o);
        tu_simulate(m, 0, 0, o);
        cr_assert_eq(o->out.sessions, 2);
        cr_assert_eq(o->out.units, 500u);
        double per_session = cases[k].drug + 3000.0;
        double expect = per_session + per_session * pow(1.035, -120.0 / 365.25);
        cr_assert_float_eq(o->out.cost, expect, 1e-9 * expect, "%s: cost %.6f, expected %.6f", cases[k].price,
                           o->out.cost, expect);
        free(o);
        psim_model_destroy(m);
        psim_scenario_destroy(scn);
    }
}

Test(econ, adverse_events_cost_and_utility_decrement)
{
    psim_scenario *base = tu_load("patients: 1\nhorizon_days: 100\n" EXACT_COHORT
                                  "economics: {discount: {costs: 0, qalys: 0}}\n"
                                  "treatments:\n" SURE_BOTOX("    session_cost: 0\n    price: {model: none}\n")
                                  "strategies: [{name: s, treatment: sure, schedule: {days: [10]}}]\n");
    /* the same treatment with a certain flu-like reaction: 4 days at -0.1, 1000 per event */
    psim_scenario *ae = tu_load("patients: 1\nhorizon_days: 100\n" EXACT_COHORT
                 "economics: {discount: {costs: 0, qalys: 0}}\n"
                 "treatments:\n"
                 "  sure:\n    base: botox\n    p_first: 1\n    antibody_risk: 0\n"
                 "    relief: {responder: {mean: 0.7, sd: 0}, non_responder: {mean: 0.1, sd: 0}}\n"
                 "    duration: {median_days: 90, sigma: 0}\n"
                 "    session_cost: 0\n    price: {model: none}\n"
                 "    adverse_events: {flu_like: {p: 1, days: 4, utility_decrement: 0.1, cost: 1000}, local: {p: 0}}\n"
                 "strategies: [{name: s, treatment: sure, schedule: {days: [10]}}]\n");
    psim_model *m0 = tu_model(base), *m1 = tu_model(ae);
    tu_one *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    tu_simulate(m0, 0, 0, a);
    tu_simulate(m1, 0, 0, b);
    cr_assert_eq(b->ae[0], 1);
    cr_assert_float_eq(b->out.cost - a->out.cost, 1000.0, 1e-9);
    cr_assert_float_eq(a->out.qaly - b->out.qaly, 0.1 * 4.0 / 365.25, 1e-12, "QALY loss %.15f",
                       a->out.qaly - b->out.qaly);
    free(a);
    free(b);
    psim_model_destroy(m0);
    psim_model_destroy(m1);
    psim_scenario_destroy(base);
    psim_scenario_destroy(ae);
}

Test(econ, continue_if_responded_first)
{
    const char *fmt = "patients: 1\nhorizon_days: 426\n" EXACT_COHORT
                      "treatments:\n  t:\n    base: botox\n    p_first: %s\n    p_persist: 1\n    p_recover: 0\n"
                      "    antibody_risk: 0\n"
                      "    relief: {responder: {mean: 0.7, sd: 0}, non_responder: {mean: 0.1, sd: 0}}\n"
                      "    duration: {median_days: 90, sigma: 0}\n"
                      "strategies: [{name: s, treatment: t, schedule: {every_days: 120, sessions: 4, continue_if: %s}}]\n";
    struct { const char *p_first, *rule; int sessions; } cases[] = {
        {"1", "responded_first", 4},    /* VAS 2.1 <= 3.5 on day 21: continue */
        {"0", "responded_first", 1},    /* VAS 6.3 > 3.5: stop after the first */
        {"0", "always", 4},
        {"1", "responded_previous", 4},
        {"0", "responded_previous", 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[4096];
        snprintf(text, sizeof text, fmt, cases[k].p_first, cases[k].rule);
        psim_scenario *scn = tu_load(text);
        psim_model *m = tu_model(scn);
        tu_one *o = calloc(1, sizeof *o);
        tu_simulate(m, 0, 0, o);
        cr_assert_eq(o->out.sessions, cases[k].sessions, "p_first %s, %s: %d sessions", cases[k].p_first,
                     cases[k].rule, o->out.sessions);
        cr_assert_eq(o->observed[0], cases[k].p_first[0] == '1');
        free(o);
        psim_model_destroy(m);
        psim_scenario_destroy(scn);
    }
}

Test(econ, on_relapse_reinjects_when_pain_returns)
{
    psim_scenario *scn = tu_load("patients: 1\nhorizon_days: 426\n" EXACT_COHORT
                                 "treatments:\n" SURE_BOTOX("")
                                 "strategies: [{name: s, treatment: sure,\n"
                                 "  schedule: {on_relapse: {threshold: 0.5, max_sessions: 4}}}]\n");
    psim_model *m = tu_model(scn);
    tu_one *o = calloc(1, sizeof *o);
    tu_simulate(m, 0, 0, o);
    /* E = 0.7 up to day 90, then 0.7 x 2^-((t - 90) / 14); VAS = 7 (1 - E) > 3.5
     * first when 2^-((t-90)/14) < 5/7, i.e. t - 90 > 14 log2(1.4) = 6.80: day 97 */
    cr_assert_eq(o->out.sessions, 4);
    int expect[] = {0, 97, 194, 291};
    for (int j = 0; j < 4; j++)
        cr_assert_eq(o->day[j], expect[j], "session %d on day %d, expected %d", j + 1, o->day[j], expect[j]);
    cr_assert_leq(o->vas[96], 3.5, "day 96: VAS %.6f, not yet relapsed", o->vas[96]);
    free(o);
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

Test(econ, on_relapse_respects_the_minimum_interval)
{
    /* a non-responder relapses at once: sessions every 84 days (min interval) */
    psim_scenario *scn = tu_load("patients: 1\nhorizon_days: 426\n" EXACT_COHORT
                                 "treatments:\n  t:\n    base: botox\n    p_first: 0\n    p_recover: 0\n"
                                 "    antibody_risk: 0\n"
                                 "    relief: {non_responder: {mean: 0.1, sd: 0}}\n"
                                 "strategies: [{name: s, treatment: t,\n"
                                 "  schedule: {on_relapse: {threshold: 0.5, max_sessions: 6}}}]\n");
    psim_model *m = tu_model(scn);
    tu_one *o = calloc(1, sizeof *o);
    tu_simulate(m, 0, 0, o);
    cr_assert_eq(o->out.sessions, 6);
    for (int j = 0; j < 6; j++)
        cr_assert_eq(o->day[j], 84 * j);
    free(o);
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

/* Common random numbers make the paired differences more precise than the
 * difference of two independent means: Var(d) = Var(a) + Var(b) - 2 Cov(a, b),
 * and the shared baseline and noise make Cov(a, b) > 0.  Were the streams
 * independent, the ratio paired / unpaired SE would be 1 within about
 * 1 / sqrt(2n) = 0.011 (n = 4000); 0.9 is nine of those below. */
Test(econ, paired_differences_have_small_standard_errors)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/default.yaml", PAINSIM_SOURCE_DIR);
    const char *set[] = {"patients=4000"};
    psim_scenario *scn = tu_load_file(path, set, 1);
    psim_results *r = tu_run(scn, 2, NULL);
    const psim_strategy_summary *ref = &r->strategies[scn->reference_index];
    double n = (double)ref->patients;
    double var_ref = (ref->qaly_sumsq - ref->qaly_sum * ref->qaly_sum / n) / (n - 1);
    int checked = 0;
    for (int s = 0; s < r->n_strategies; s++) {
        if (s == scn->reference_index)
            continue;
        const psim_strategy_summary *ss = &r->strategies[s];
        double var_s = (ss->qaly_sumsq - ss->qaly_sum * ss->qaly_sum / n) / (n - 1);
        double var_d = (ss->dqaly_sumsq - ss->dqaly_sum * ss->dqaly_sum / n) / (n - 1);
        double se_unpaired = sqrt((var_s + var_ref) / n), se_paired = sqrt(var_d / n);
        cr_log_info("%s: SE of dQALY paired %.6f, unpaired %.6f", ss->name, se_paired, se_unpaired);
        cr_assert_lt(se_paired, 0.9 * se_unpaired, "%s: paired %.6f vs unpaired %.6f", ss->name, se_paired,
                     se_unpaired);
        /* the paired sums agree with the difference of the means */
        cr_assert_float_eq(ss->dqaly_sum / n, ss->qaly_sum / n - ref->qaly_sum / n, 1e-9);
        checked++;
    }
    cr_assert_gt(checked, 0);
    psim_results_destroy(r);
    psim_scenario_destroy(scn);
}

Test(econ, baseline_shift_moves_one_arm)
{
    psim_scenario *scn = tu_load("patients: 1\nhorizon_days: 10\n" EXACT_COHORT
                                 "strategies:\n  - {name: a, treatment: none}\n"
                                 "  - {name: b, treatment: none, baseline_shift: -0.6}\n"
                                 "  - {name: c, treatment: none, baseline_shift: 5}\n");
    psim_model *m = tu_model(scn);
    tu_one *o = calloc(1, sizeof *o);
    double expect[] = {7.0, 6.4, 10.0}; /* B = 7 shifted, clamped to 10 */
    for (int s = 0; s < 3; s++) {
        tu_simulate(m, s, 0, o);
        cr_assert_float_eq(o->vas[5], expect[s], 1e-12, "strategy %d: %.15f", s, o->vas[5]);
    }
    free(o);
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

/* Sequential ICERs on the shipped default scenario: the decisive comparison
 * (botox_relapse against steroid_bupivacaine) is in the table, its paired
 * standard errors are those of the per-patient differences stored in the
 * file, and the report read back from the file prints the same. */
static char *report_text(const psim_report *rep, psim_report_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    cr_assert(fp);
    psim_error err;
    psim_error_clear(&err);
    cr_assert_eq(psim_report_print(rep, fmt, fp, &err), PSIM_OK, "%s", err.message);
    fclose(fp);
    return buf;
}

static int index_of(const psim_report *rep, const char *name)
{
    for (int s = 0; s < rep->n_strategies; s++)
        if (strcmp(rep->strategies[s].name, name) == 0)
            return s;
    cr_assert_fail("no strategy %s", name);
    return -1;
}

Test(econ, sequential_icers_of_the_default_scenario)
{
    char path[1024], h5[256];
    snprintf(path, sizeof path, "%s/scenarios/default.yaml", PAINSIM_SOURCE_DIR);
    tu_tmpname(h5, sizeof h5, "seq-default");
    psim_scenario *scn = tu_load_file(path, NULL, 0);
    psim_results *r = tu_run(scn, 2, h5);
    psim_report *rep = NULL, *back = NULL;
    psim_error err;
    psim_error_clear(&err);
    cr_assert_eq(psim_report_from_results(r, scn, &rep, &err), PSIM_OK, "%s", err.message);
    const int relapse = index_of(rep, "botox_relapse"), steroid = index_of(rep, "steroid_bupivacaine");
    const psim_report_strategy *rs = &rep->strategies[relapse];
    cr_assert_eq(rs->seq_status, PSIM_SEQ_COMPARED);
    cr_assert_eq(rs->seq_prev, steroid);

    /* every compared frontier strategy against the per-patient columns */
    hid_t f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0);
    int compared = 0;
    for (int s = 0; s < rep->n_strategies; s++) {
        const psim_report_strategy *a = &rep->strategies[s];
        if (a->seq_status != PSIM_SEQ_COMPARED)
            continue;
        const psim_report_strategy *b = &rep->strategies[a->seq_prev];
        char name[PSIM_NAME_MAX + 64];
        size_t n, n2;
        snprintf(name, sizeof name, "/strategies/%s/cost", a->name);
        double *ca = tu_read_double(f, name, &n);
        snprintf(name, sizeof name, "/strategies/%s/qaly", a->name);
        double *ea = tu_read_double(f, name, &n2);
        snprintf(name, sizeof name, "/strategies/%s/cost", b->name);
        double *cb = tu_read_double(f, name, &n2);
        snprintf(name, sizeof name, "/strategies/%s/qaly", b->name);
        double *eb = tu_read_double(f, name, &n2);
        cr_assert_eq(n, (size_t)rep->patients);
        /* two-pass mean and SE of the paired differences */
        double mc = 0, me = 0, vc = 0, ve = 0;
        for (size_t i = 0; i < n; i++) {
            mc += ca[i] - cb[i];
            me += ea[i] - eb[i];
        }
        mc /= (double)n;
        me /= (double)n;
        for (size_t i = 0; i < n; i++) {
            vc += (ca[i] - cb[i] - mc) * (ca[i] - cb[i] - mc);
            ve += (ea[i] - eb[i] - me) * (ea[i] - eb[i] - me);
        }
        double sc = sqrt(vc / (double)(n - 1) / (double)n), se = sqrt(ve / (double)(n - 1) / (double)n);
        cr_assert_float_eq(a->seq_delta_cost.mean, mc, 1e-9 * fabs(mc), "%s: %.17g vs %.17g", a->name,
                           a->seq_delta_cost.mean, mc);
        cr_assert_float_eq(a->seq_delta_qaly.mean, me, 1e-9 * fabs(me), "%s", a->name);
        cr_assert_float_eq(a->seq_delta_cost.se, sc, 1e-7 * sc, "%s: SE %.17g vs %.17g", a->name,
                           a->seq_delta_cost.se, sc);
        cr_assert_float_eq(a->seq_delta_qaly.se, se, 1e-7 * se, "%s: SE %.17g vs %.17g", a->name,
                           a->seq_delta_qaly.se, se);
        cr_assert_float_eq(a->seq_icer, mc / me, 1e-8 * fabs(mc / me), "%s", a->name);
        free(ca);
        free(ea);
        free(cb);
        free(eb);
        compared++;
    }
    cr_assert_geq(compared, 2);
    H5Fclose(f);

    /* the table names the decisive comparison */
    char *table = report_text(rep, PSIM_REPORT_TABLE);
    const char *sec = strstr(table, "\nEfficient frontier (sequential ICERs)");
    cr_assert(sec, "%s", table);
    const char *line = strstr(sec, "\n  botox_relapse ");
    cr_assert(line, "%s", sec);
    size_t len = strcspn(line + 1, "\n");
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)len, line + 1);
    cr_assert(strstr(buf, "vs steroid_bupivacaine") && strstr(buf, "dCost ") && strstr(buf, " RUB (SE ") &&
                  strstr(buf, " QALY (SE ") && strstr(buf, " RUB/QALY"),
              "%s", buf);
    char icer[64];
    snprintf(icer, sizeof icer, "ICER %.0f RUB/QALY", rs->seq_icer);
    cr_assert(strstr(buf, icer), "no '%s' in %s", icer, buf);
    cr_log_info("%s", sec);

    /* `painsim summary FILE` prints what the run printed, in every format */
    cr_assert_eq(psim_report_read_h5(h5, &back, &err), PSIM_OK, "%s", err.message);
    for (int fmt = 0; fmt < 3; fmt++) {
        char *x = report_text(rep, (psim_report_format)fmt), *y = report_text(back, (psim_report_format)fmt);
        cr_assert_str_eq(x, y, "format %d", fmt);
        free(x);
        free(y);
    }
    free(table);
    psim_report_destroy(back);
    psim_report_destroy(rep);
    psim_results_destroy(r);
    psim_scenario_destroy(scn);
    unlink(h5);
}
