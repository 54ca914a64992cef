/* The report: dominance and the efficient frontier, ICER and NMB arithmetic,
 * standard errors against direct computation, the printed formats, the
 * /results group read back, damaged files, and `painsim summary`. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <sys/wait.h>

#include "testutil.h"

#include "painsim/report.h"

/* The command itself, to test its exit statuses before main.c calls it. */
#include "cli/summary_cmd.c"
#include "cli/reader_child.c"
#include "cli/cli_util.c"

static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static int close_rel(double a, double b, double tol)
{
    return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* ---- dominance and the frontier --------------------------------------- */

static int frontier_of(int n, const double *c, const double *e, psim_dominance *dom, int *on, int *fr)
{
    return psim_econ_frontier(n, c, e, dom, on, fr);
}

Test(frontier, textbook_extended_dominance)
{
    /* Drummond et al. style: A no treatment, B a cheap modest option, C a
     * dearer, much more effective one.  B's ICER against A (10000/QALY) is
     * higher than C's against B (5000/QALY): a mix of A and C beats B. */
    const double cost[] = {0, 10000, 25000};
    const double eff[] = {0, 1.0, 4.0};
    psim_dominance dom[3];
    int on[3], fr[3];
    int n = frontier_of(3, cost, eff, dom, on, fr);
    cr_assert_eq(n, 2);
    cr_assert_eq(fr[0], 0);
    cr_assert_eq(fr[1], 2);
    cr_assert_eq(dom[0], PSIM_DOMINANCE_NONE);
    cr_assert_eq(dom[1], PSIM_DOMINANCE_EXTENDED);
    cr_assert_eq(dom[2], PSIM_DOMINANCE_NONE);
    cr_assert(on[0] && !on[1] && on[2]);
}

Test(frontier, strong_dominance_and_order)
{
    /* input out of cost order; D costs more than B and gives less; E equal
     * cost to C with fewer QALYs; F equal QALYs to A at a higher cost */
    const double cost[] = {25000, 0, 30000, 10000, 25000, 5000};
    const double eff[] = {4.0, 0.0, 3.5, 1.5, 3.9, 0.0};
    /* indices: 0 C, 1 A, 2 D(strong by C), 3 B, 4 E(strong by C), 5 F(strong by A) */
    psim_dominance dom[6];
    int on[6], fr[6];
    int n = frontier_of(6, cost, eff, dom, on, fr);
    cr_assert_eq(dom[2], PSIM_DOMINANCE_STRONG);
    cr_assert_eq(dom[4], PSIM_DOMINANCE_STRONG);
    cr_assert_eq(dom[5], PSIM_DOMINANCE_STRONG);
    /* A (0,0) -> B (10000,1.5): 6667/QALY; B -> C (25000,4): 6000/QALY: B extended */
    cr_assert_eq(dom[3], PSIM_DOMINANCE_EXTENDED);
    cr_assert_eq(n, 2);
    cr_assert_eq(fr[0], 1);
    cr_assert_eq(fr[1], 0);
    cr_assert(on[1] && on[0] && !on[2] && !on[3] && !on[4] && !on[5]);
}

Test(frontier, iterative_extended_dominance)
{
    /* (0,0) (10,1) (25,2) (28,3): first pass removes (25,2) (15 > 3), then
     * (10,1) has 10 against (0,0) and 9 to (28,3): removed too. */
    const double cost[] = {0, 10, 25, 28};
    const double eff[] = {0, 1, 2, 3};
    psim_dominance dom[4];
    int on[4], fr[4];
    int n = frontier_of(4, cost, eff, dom, on, fr);
    cr_assert_eq(n, 2);
    cr_assert_eq(fr[0], 0);
    cr_assert_eq(fr[1], 3);
    cr_assert_eq(dom[1], PSIM_DOMINANCE_EXTENDED);
    cr_assert_eq(dom[2], PSIM_DOMINANCE_EXTENDED);
}

Test(frontier, collinear_points_stay)
{
    /* equal ICERs: not extendedly dominated (the rule is strict) */
    const double cost[] = {0, 10, 20};
    const double eff[] = {0, 1, 2};
    psim_dominance dom[3];
    int on[3], fr[3];
    cr_assert_eq(frontier_of(3, cost, eff, dom, on, fr), 3);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(dom[i], PSIM_DOMINANCE_NONE);
}

Test(frontier, identical_strategies_and_nan)
{
    /* 1 and 3 are the same point; 4 has no estimate */
    const double cost[] = {0, 100, 50, 100, NAN};
    const double eff[] = {0, 2, 0.2, 2, 1};
    psim_dominance dom[5];
    int on[5], fr[5];
    int n = frontier_of(5, cost, eff, dom, on, fr);
    /* 2: (0,0)->(50,0.2) 250/QALY; (50,0.2)->(100,2) 27.8/QALY: extended */
    cr_assert_eq(dom[2], PSIM_DOMINANCE_EXTENDED);
    cr_assert_eq(dom[1], PSIM_DOMINANCE_NONE);
    cr_assert_eq(dom[3], PSIM_DOMINANCE_NONE);
    cr_assert_eq(dom[4], PSIM_DOMINANCE_NONE);
    cr_assert_eq(on[4], 0);
    cr_assert_eq(n, 3);
    cr_assert_eq(fr[0], 0);
    cr_assert_eq(fr[1], 1);
    cr_assert_eq(fr[2], 3);
}

Test(frontier, single_and_dominant)
{
    const double c1[] = {5};
    const double e1[] = {1};
    psim_dominance dom[3];
    int on[3], fr[3];
    cr_assert_eq(frontier_of(1, c1, e1, dom, on, fr), 1);
    cr_assert(on[0]);
    /* one strategy cheaper and better than both others */
    const double c3[] = {10, 5, 20};
    const double e3[] = {1, 2, 1.5};
    cr_assert_eq(frontier_of(3, c3, e3, dom, on, fr), 1);
    cr_assert_eq(fr[0], 1);
    cr_assert_eq(dom[0], PSIM_DOMINANCE_STRONG);
    cr_assert_eq(dom[2], PSIM_DOMINANCE_STRONG);
    cr_assert_eq(frontier_of(0, c3, e3, dom, on, fr), 0);
}

/* ---- arithmetic and standard errors ----------------------------------- */

Test(econ_arith, icer)
{
    cr_assert_eq(psim_econ_icer(1000, 0.5), 2000);
    cr_assert_eq(psim_econ_icer(-1000, 0.5), -2000);
    cr_assert(isnan(psim_econ_icer(1000, 0.0)));
    cr_assert(isnan(psim_econ_icer(0.0, -0.0)));
    cr_assert(isnan(psim_econ_icer(NAN, 1.0)));
    cr_assert_str_eq(psim_dominance_name(PSIM_DOMINANCE_NONE), "none");
    cr_assert_str_eq(psim_dominance_name(PSIM_DOMINANCE_STRONG), "strong");
    cr_assert_str_eq(psim_dominance_name(PSIM_DOMINANCE_EXTENDED), "extended");
}

/* Small deterministic generator for per-patient values. */
static double uniform(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) * 0x1.0p-53;
}

Test(econ_arith, se_formulas_match_direct_computation)
{
    enum { N = 37 };
    double c[N], e[N];
    uint64_t st = 42;
    double cs = 0, css = 0, es = 0, ess = 0, ces = 0;
    for (int i = 0; i < N; i++) {
        c[i] = 20000 + 15000 * uniform(&st);
        e[i] = 0.4 + 0.3 * uniform(&st) + 0.00001 * c[i]; /* correlated with cost */
        cs += c[i];
        css += c[i] * c[i];
        es += e[i];
        ess += e[i] * e[i];
        ces += c[i] * e[i];
    }
    /* mean and SE of the cost, two-pass */
    double mc = 0;
    for (int i = 0; i < N; i++)
        mc += c[i];
    mc /= N;
    double v = 0;
    for (int i = 0; i < N; i++)
        v += (c[i] - mc) * (c[i] - mc);
    double se_direct = sqrt(v / (N - 1) / N);
    double se;
    double m = psim_econ_mean_se(cs, css, N, &se);
    cr_assert(close_rel(m, mc, 1e-13));
    cr_assert(close_rel(se, se_direct, 1e-9), "%.17g vs %.17g", se, se_direct);
    /* NMB at several lambdas */
    const double lambdas[] = {0, 50000, 1e6, 3e6};
    for (int k = 0; k < 4; k++) {
        double lam = lambdas[k], mn = 0, vn = 0;
        for (int i = 0; i < N; i++)
            mn += lam * e[i] - c[i];
        mn /= N;
        for (int i = 0; i < N; i++)
            vn += (lam * e[i] - c[i] - mn) * (lam * e[i] - c[i] - mn);
        double direct = sqrt(vn / (N - 1) / N);
        double got = psim_econ_nmb_se(lam, N, es, ess, cs, css, ces);
        cr_assert(close_rel(got, direct, 1e-7), "lambda %g: %.17g vs %.17g", lam, got, direct);
    }
    /* degenerate counts */
    cr_assert(isnan(psim_econ_mean_se(1, 1, 0, &se)) && isnan(se));
    cr_assert_eq(psim_econ_mean_se(3, 9, 1, &se), 3);
    cr_assert(isnan(se));
    cr_assert(isnan(psim_econ_nmb_se(1, 1, 1, 1, 1, 1, 1)));
    /* constant values: SE 0, not NaN from rounding */
    cr_assert_eq(psim_econ_nmb_se(2, 4, 4, 4, 8, 16, 8), 0.0);
}

/* ---- a synthetic run -------------------------------------------------- */

enum { SYN_S = 4, SYN_N = 50, SYN_H = 40 };

static const char *const syn_names[SYN_S] = {"care", "physio", "botox", "sham"};
static const double syn_cost[SYN_S] = {1000, 30000, 50000, 60000};
static const double syn_qaly[SYN_S] = {0.50, 0.52, 0.56, 0.50};

typedef struct syn {
    psim_results *res;
    psim_scenario *scn;
    double c[SYN_S][SYN_N], e[SYN_S][SYN_N];
} syn;

/* The economic sums of r->strategies from per-patient cost c[s * n + i] and
 * QALYs e[s * n + i]: per strategy, against the reference `ref`, and between
 * every two strategies (psim_strategy_summary.pair), as psim_run keeps them. */
static void fill_econ_sums(psim_results *r, int ref, int n, const double *c, const double *e)
{
    const int S = r->n_strategies;
    for (int s = 0; s < S; s++) {
        psim_strategy_summary *ss = &r->strategies[s];
        const double *cs = c + (size_t)s * (size_t)n, *es = e + (size_t)s * (size_t)n;
        for (int i = 0; i < n; i++) {
            double dc = cs[i] - c[(size_t)ref * (size_t)n + (size_t)i];
            double de = es[i] - e[(size_t)ref * (size_t)n + (size_t)i];
            ss->cost_sum += cs[i];
            ss->cost_sumsq += cs[i] * cs[i];
            ss->qaly_sum += es[i];
            ss->qaly_sumsq += es[i] * es[i];
            ss->cost_qaly_sum += cs[i] * es[i];
            ss->dcost_sum += dc;
            ss->dcost_sumsq += dc * dc;
            ss->dqaly_sum += de;
            ss->dqaly_sumsq += de * de;
            ss->dcost_dqaly_sum += dc * de;
            for (int j = 0; j < S; j++) {
                if (j == s)
                    continue;
                psim_pair_sums *ps = &ss->pair[j];
                double pc = cs[i] - c[(size_t)j * (size_t)n + (size_t)i];
                double pe = es[i] - e[(size_t)j * (size_t)n + (size_t)i];
                ps->dcost_sum += pc;
                ps->dcost_sumsq += pc * pc;
                ps->dqaly_sum += pe;
                ps->dqaly_sumsq += pe * pe;
                ps->dcost_dqaly_sum += pc * pe;
            }
        }
    }
}

/* Four strategies over SYN_N patients with known per-patient cost and QALY:
 * care (reference), physio (extendedly dominated), botox, sham (strongly
 * dominated by care). */
static syn *make_syn(const char *long_name)
{
    syn *y = calloc(1, sizeof *y);
    cr_assert(y);
    y->scn = calloc(1, sizeof *y->scn);
    cr_assert(y->scn);
    psim_economics_default(&y->scn->economics);
    snprintf(y->scn->reference, sizeof y->scn->reference, "care");
    psim_results *r = calloc(1, sizeof *r);
    cr_assert(r);
    y->res = r;
    r->n_strategies = SYN_S;
    r->horizon_days = SYN_H;
    r->patients = SYN_N;
    r->seed = 18446744073709551615ULL;
    snprintf(r->scenario, sizeof r->scenario, "synthetic \"quoted\"\\name");
    snprintf(r->reference, sizeof r->reference, "care");
    r->strategies = calloc(SYN_S, sizeof *r->strategies);
    cr_assert(r->strategies);
    uint64_t st = 7;
    for (int s = 0; s < SYN_S; s++) {
        psim_strategy_summary *ss = &r->strategies[s];
        snprintf(ss->name, sizeof ss->name, "%s", (s == 2 && long_name) ? long_name : syn_names[s]);
        snprintf(ss->treatment, sizeof ss->treatment, "%s", s == 0 ? "none" : syn_names[s]);
        ss->patients = SYN_N;
        ss->eligible = 40;
        ss->treated = s == 0 ? 0 : 40;
        ss->with_session = s == 0 ? 0 : 38;
        ss->first_responders = s == 0 ? 0 : 15 + s;
        ss->persist_den = s == 0 ? 0 : 10;
        ss->persist_num = s == 0 ? 0 : 7;
        ss->recover_den = s == 0 ? 0 : 20;
        ss->recover_num = s == 0 ? 0 : 3;
        ss->antibody = s;
        for (int i = 0; i < SYN_N; i++) {
            double sess = s == 0 ? 0 : (double)(i % 3);
            ss->sessions_sum += sess;
            ss->sessions_sumsq += sess * sess;
            ss->units_sum += 100 * sess;
            ss->units_sumsq += 100 * sess * 100 * sess;
            y->c[s][i] = syn_cost[s] + 200 * (uniform(&st) - 0.5);
            y->e[s][i] = syn_qaly[s] + 0.004 * (uniform(&st) - 0.5);
        }
        if (s == 2) {
            ss->n_ae = 2;
            snprintf(ss->ae_name[0], PSIM_NAME_MAX, "flu_like");
            snprintf(ss->ae_name[1], PSIM_NAME_MAX, "local");
            ss->ae_count[0] = 5;
            ss->ae_count[1] = 10;
        } else if (s == 1) {
            ss->n_ae = 1;
            snprintf(ss->ae_name[0], PSIM_NAME_MAX, "local");
            ss->ae_count[0] = 4;
        }
        ss->vas_sum = calloc(SYN_H, sizeof(double));
        ss->vas_sumsq = calloc(SYN_H, sizeof(double));
        ss->vas_treated_sum = calloc(SYN_H, sizeof(double));
        ss->vas_treated_sumsq = calloc(SYN_H, sizeof(double));
        ss->responders = calloc(SYN_H, sizeof(int64_t));
        cr_assert(ss->vas_sum && ss->vas_sumsq && ss->vas_treated_sum && ss->vas_treated_sumsq && ss->responders);
        for (int t = 0; t < SYN_H; t++) {
            for (int i = 0; i < SYN_N; i++) {
                double vas = 7.0 - 0.05 * t * s + 0.1 * (i % 5);
                ss->vas_sum[t] += vas;
                ss->vas_sumsq[t] += vas * vas;
                if (i < ss->treated) {
                    ss->vas_treated_sum[t] += vas;
                    ss->vas_treated_sumsq[t] += vas * vas;
                }
            }
            ss->responders[t] = ss->treated ? (t * s) % (ss->treated + 1) : 0;
        }
    }
    fill_econ_sums(r, 0, SYN_N, &y->c[0][0], &y->e[0][0]);
    return y;
}

static void free_syn(syn *y)
{
    psim_results_destroy(y->res);
    free(y->scn);
    free(y);
}

static psim_report *report_of(const syn *y)
{
    psim_report *rep = NULL;
    psim_error err;
    psim_error_clear(&err);
    cr_assert_eq(psim_report_from_results(y->res, y->scn, &rep, &err), PSIM_OK, "%s", err.message);
    cr_assert(rep);
    return rep;
}

/* Two-pass mean and SE of x[0..n). */
static double direct_se(const double *x, int n, double *mean)
{
    double m = 0, v = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m /= n;
    for (int i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    *mean = m;
    return sqrt(v / (n - 1) / n);
}

Test(report, from_results)
{
    syn *y = make_syn(NULL);
    psim_report *rep = report_of(y);
    cr_assert_eq(rep->n_strategies, SYN_S);
    cr_assert_eq(rep->reference_index, 0);
    cr_assert_str_eq(rep->currency, "RUB");
    cr_assert_eq(rep->n_wtp, y->scn->economics.n_wtp);
    cr_assert_eq(rep->seed, 18446744073709551615ULL);
    /* adverse-event kinds: union in order of first appearance */
    cr_assert_eq(rep->n_ae_kinds, 2);
    cr_assert_str_eq(rep->ae_kinds[0], "local");
    cr_assert_str_eq(rep->ae_kinds[1], "flu_like");
    cr_assert_float_eq(rep->strategies[2].ae_per_patient[0], 10.0 / SYN_N, 1e-15);
    cr_assert_float_eq(rep->strategies[2].ae_per_patient[1], 5.0 / SYN_N, 1e-15);
    cr_assert_float_eq(rep->strategies[2].ae_per_session[0], 10.0 / y->res->strategies[2].sessions_sum, 1e-15);
    cr_assert_eq(rep->strategies[1].ae_per_patient[1], 0.0);
    cr_assert_eq(rep->strategies[0].ae_per_session[0], 0.0);

    for (int s = 0; s < SYN_S; s++) {
        const psim_report_strategy *rs = &rep->strategies[s];
        double m, se, dc[SYN_N], de[SYN_N];
        se = direct_se(y->c[s], SYN_N, &m);
        cr_assert(close_rel(rs->cost.mean, m, 1e-12) && close_rel(rs->cost.se, se, 1e-6), "%s cost", rs->name);
        se = direct_se(y->e[s], SYN_N, &m);
        cr_assert(close_rel(rs->qaly.mean, m, 1e-12) && close_rel(rs->qaly.se, se, 1e-6), "%s qaly", rs->name);
        for (int i = 0; i < SYN_N; i++) {
            dc[i] = y->c[s][i] - y->c[0][i];
            de[i] = y->e[s][i] - y->e[0][i];
        }
        if (s == 0) {
            cr_assert_eq(rs->delta_cost.mean, 0.0);
            cr_assert_eq(rs->delta_cost.se, 0.0);
            cr_assert(isnan(rs->icer));
        } else {
            double mdc, mde;
            double sdc = direct_se(dc, SYN_N, &mdc), sde = direct_se(de, SYN_N, &mde);
            cr_assert(close_rel(rs->delta_cost.mean, mdc, 1e-9));
            cr_assert(close_rel(rs->delta_cost.se, sdc, 1e-6), "%.17g vs %.17g", rs->delta_cost.se, sdc);
            cr_assert(close_rel(rs->delta_qaly.mean, mde, 1e-9));
            cr_assert(close_rel(rs->delta_qaly.se, sde, 1e-6));
            cr_assert(close_rel(rs->icer, rs->delta_cost.mean / rs->delta_qaly.mean, 1e-15));
            /* paired SE is much smaller than the unpaired one would be? not here (independent
             * noise), but it must differ from sqrt(se_a^2 + se_b^2) only by the covariance */
        }
        for (int w = 0; w < rep->n_wtp; w++) {
            double lam = rep->wtp[w], x[SYN_N], xi[SYN_N], mx, mxi;
            for (int i = 0; i < SYN_N; i++) {
                x[i] = lam * y->e[s][i] - y->c[s][i];
                xi[i] = lam * de[i] - dc[i];
            }
            double sx = direct_se(x, SYN_N, &mx), sxi = direct_se(xi, SYN_N, &mxi);
            cr_assert(close_rel(rs->nmb[w], mx, 1e-9), "nmb %s %g", rs->name, lam);
            cr_assert(close_rel(rs->nmb_se[w], sx, 1e-6), "nmb_se %s %g: %.17g vs %.17g", rs->name, lam,
                      rs->nmb_se[w], sx);
            cr_assert(close_rel(rs->inmb[w], mxi, 1e-9), "inmb %s %g", rs->name, lam);
            if (s > 0)
                cr_assert(close_rel(rs->inmb_se[w], sxi, 1e-6), "inmb_se %s %g", rs->name, lam);
            else
                cr_assert_eq(rs->inmb_se[w], 0.0);
        }
        /* proportions */
        const psim_strategy_summary *ss = &y->res->strategies[s];
        if (ss->with_session) {
            double p = (double)ss->first_responders / (double)ss->with_session;
            cr_assert_float_eq(rs->first_response.mean, p, 1e-15);
            cr_assert_float_eq(rs->first_response.se, sqrt(p * (1 - p) / (double)ss->with_session), 1e-15);
            cr_assert_float_eq(rs->persistence_given_response.mean, 0.7, 1e-15);
            cr_assert_float_eq(rs->persistence_given_no_response.mean, 0.15, 1e-15);
        } else {
            cr_assert(isnan(rs->first_response.mean) && isnan(rs->persistence_given_response.mean));
            cr_assert(isnan(rs->observed_response[5]));
        }
        double vse;
        cr_assert_eq(rs->mean_vas[7], psim_summary_mean_vas(ss, 7, &vse));
        cr_assert_eq(rs->mean_vas_se[7], vse);
    }
    cr_assert_eq(rep->strategies[0].dominated, PSIM_DOMINANCE_NONE);
    cr_assert_eq(rep->strategies[1].dominated, PSIM_DOMINANCE_EXTENDED);
    cr_assert_eq(rep->strategies[2].dominated, PSIM_DOMINANCE_NONE);
    cr_assert_eq(rep->strategies[3].dominated, PSIM_DOMINANCE_STRONG);
    cr_assert_eq(rep->n_frontier, 2);
    cr_assert_eq(rep->frontier[0], 0);
    cr_assert_eq(rep->frontier[1], 2);
    cr_assert(rep->strategies[2].on_frontier && !rep->strategies[1].on_frontier);
    psim_report_destroy(rep);
    psim_report_destroy(NULL);
    free_syn(y);
}

Test(report, zero_delta_qaly_gives_nan_icer)
{
    syn *y = make_syn(NULL);
    /* make botox's QALYs identical to the reference's */
    psim_strategy_summary *ss = &y->res->strategies[2], *ref = &y->res->strategies[0];
    ss->qaly_sum = ref->qaly_sum;
    ss->dqaly_sum = 0;
    psim_report *rep = report_of(y);
    cr_assert(isnan(rep->strategies[2].icer));
    psim_report_destroy(rep);
    free_syn(y);
}

Test(report, bad_arguments)
{
    syn *y = make_syn(NULL);
    psim_report *rep = (psim_report *)1;
    psim_error err;
    snprintf(y->res->reference, sizeof y->res->reference, "nobody");
    cr_assert_neq(psim_report_from_results(y->res, y->scn, &rep, &err), PSIM_OK);
    cr_assert_null(rep);
    free_syn(y);
}

/* ---- printing --------------------------------------------------------- */

static char *print_to_string(const psim_report *rep, psim_report_format fmt)
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

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    cr_assert(fp);
    fputs(text, fp);
    cr_assert_eq(fclose(fp), 0);
}

static const char json_check_py[] =
    "import json, math, sys\n"
    "d = json.load(open(sys.argv[1]))\n"
    "for k in ['scenario', 'seed', 'patients', 'reference', 'currency', 'strategies']:\n"
    "    assert k in d, k\n"
    "assert d['seed'] == 18446744073709551615, d['seed']\n"
    "assert d['scenario'] == 'synthetic \"quoted\"\\\\name', d['scenario']\n"
    "assert d['currency'] == 'RUB'\n"
    "assert d['frontier'] == ['care', 'botox'], d['frontier']\n"
    "keys = ['name', 'treatment', 'eligible', 'first_response', 'persistence', 'observed_response',\n"
    "        'mean_vas', 'cost', 'qaly', 'sessions', 'units', 'adverse_events', 'incremental', 'dominated']\n"
    "by = {}\n"
    "for s in d['strategies']:\n"
    "    for k in keys:\n"
    "        assert k in s, (s['name'], k)\n"
    "    by[s['name']] = s\n"
    "    assert set(s['persistence']) == {'given_response', 'given_no_response'}\n"
    "    assert set(s['cost']) == {'mean', 'se'} and set(s['qaly']) == {'mean', 'se'}\n"
    "    for k in ['cost', 'qaly', 'icer', 'nmb']:\n"
    "        assert k in s['incremental'], k\n"
    "    for day in ['0', '21', '30', '39']:\n"
    "        assert day in s['mean_vas'] and day in s['observed_response'], day\n"
    "    assert '56' not in s['mean_vas'] and '40' not in s['mean_vas']\n"
    "    assert list(s['incremental']['nmb']) == ['0', '250000', '500000', '1000000', '1500000',\n"
    "                                            '2000000', '2500000', '3000000']\n"
    "    assert s['dominated'] in (None, 'strong', 'extended')\n"
    "    q = s['sequential']\n"
    "    assert set(q) == {'status', 'previous', 'cost', 'cost_se', 'qaly', 'qaly_se', 'icer'}, q\n"
    "    assert (q['status'] == 'compared') == (q['previous'] is not None)\n"
    "ref = by[d['reference']]\n"
    "assert ref['incremental']['icer'] is None and ref['dominated'] is None\n"
    "assert ref['first_response'] is None\n"
    "assert by['physio']['dominated'] == 'extended' and by['sham']['dominated'] == 'strong'\n"
    "assert set(by['botox']['adverse_events']) == {'local', 'flu_like'}\n"
    "assert by['botox']['adverse_events']['local'] == 0.2\n"
    "assert by['care']['sequential']['status'] == 'first_on_frontier'\n"
    "assert by['sham']['sequential']['status'] == 'dominated_strong'\n"
    "assert by['physio']['sequential']['status'] == 'dominated_extended'\n"
    "q = by['botox']['sequential']\n"
    "assert q['previous'] == 'care' and q['cost_se'] > 0 and q['qaly_se'] > 0\n"
    "assert abs(q['icer'] - q['cost'] / q['qaly']) < 1e-9 * abs(q['icer'])\n"
    "b = by['botox']\n"
    "assert abs(b['incremental']['icer'] - b['incremental']['cost'] / b['incremental']['qaly']) < 1e-6 * abs(b['incremental']['icer'])\n"
    "print('ok')\n";

Test(print, json_is_valid_and_has_the_keys)
{
    syn *y = make_syn(NULL);
    psim_report *rep = report_of(y);
    char *text = print_to_string(rep, PSIM_REPORT_JSON);
    char path[256], py[256], cmd[1024];
    tu_tmpname(path, sizeof path, "report.json");
    tu_tmpname(py, sizeof py, "check.py");
    write_text(path, text);
    write_text(py, json_check_py);
    snprintf(cmd, sizeof cmd, "python3 -m json.tool '%s' > /dev/null", path);
    cr_assert_eq(system(cmd), 0, "invalid JSON:\n%s", text);
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s'", py, path);
    cr_assert_eq(system(cmd), 0, "JSON contract:\n%s", text);
    /* NaN is never printed as a bare word */
    cr_assert_null(strstr(text, "nan"));
    cr_assert_null(strstr(text, "inf"));
    unlink(path);
    unlink(py);
    free(text);
    psim_report_destroy(rep);
    free_syn(y);
}

Test(print, numbers_round_trip)
{
    syn *y = make_syn(NULL);
    psim_report *rep = report_of(y);
    char *text = print_to_string(rep, PSIM_REPORT_JSON);
    /* the cost of botox, as printed, reads back to the same double */
    const char *p = strstr(text, "\"name\": \"botox\"");
    cr_assert(p);
    p = strstr(p, "\"cost\": {\"mean\": ");
    cr_assert(p);
    double v = strtod(p + strlen("\"cost\": {\"mean\": "), NULL);
    cr_assert_eq(v, rep->strategies[2].cost.mean);
    free(text);
    psim_report_destroy(rep);
    free_syn(y);
}

static int count_char(const char *s, size_t n, char c)
{
    int k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}

Test(print, csv_header_and_rows)
{
    syn *y = make_syn(NULL);
    snprintf(y->res->strategies[3].name, PSIM_NAME_MAX, "sham, \"placebo\"");
    psim_report *rep = report_of(y);
    char *text = print_to_string(rep, PSIM_REPORT_CSV);
    char *nl = strchr(text, '\n');
    cr_assert(nl);
    *nl = '\0';
    const char *header = text;
    static const char *const cols[] = {"strategy,treatment,patients_n,", ",cost_RUB,", ",cost_se_RUB,", ",qaly,",
                                       ",qaly_se,", ",delta_cost_RUB,", ",delta_qaly_se,", ",icer_RUB_per_QALY,",
                                       ",mean_vas_day21_cm,", ",mean_vas_day21_se_cm,",
                                       ",observed_response_day39_fraction,", ",dose_per_patient_U,",
                                       ",ae_local_per_patient_n,", ",nmb_at_250000_RUB,",
                                       ",incremental_nmb_se_at_3000000_RUB", ",dominated,on_frontier,",
                                       ",sequential_delta_cost_se_RUB,", ",sequential_icer_RUB_per_QALY"};
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
        cr_assert(strstr(header, cols[k]), "no %s in %s", cols[k], header);
    cr_assert_null(strstr(header, "day56"));
    int ncomma = count_char(header, strlen(header), ',');
    /* rows: same number of fields (the quoted name has one comma inside quotes) */
    char *row = nl + 1;
    int rows = 0;
    while (*row) {
        char *end = strchr(row, '\n');
        cr_assert(end);
        int inq = 0, fields = 0;
        for (char *q = row; q < end; q++) {
            if (*q == '"')
                inq = !inq;
            else if (*q == ',' && !inq)
                fields++;
        }
        cr_assert_eq(fields, ncomma, "row %d: %d commas, header %d", rows, fields, ncomma);
        rows++;
        row = end + 1;
    }
    cr_assert_eq(rows, SYN_S);
    cr_assert(strstr(nl + 1, "\"sham, \"\"placebo\"\"\","));
    free(text);
    psim_report_destroy(rep);
    free_syn(y);
}

Test(print, table_rows_and_width)
{
    char long_name[PSIM_NAME_MAX];
    memset(long_name, 'x', PSIM_NAME_MAX - 1);
    long_name[PSIM_NAME_MAX - 1] = '\0';
    syn *y = make_syn(long_name);
    psim_report *rep = report_of(y);
    char *text = print_to_string(rep, PSIM_REPORT_TABLE);
    const char *const want[] = {
        "patients (n)", "eligible for injections (%)", "first-session response, latent (%)",
        "observed response, 3 wk (day 21) (%)", "mean VAS, 0 mo (day 0) (cm)", "mean VAS, 1 mo (day 30) (cm)",
        "mean VAS, last day (day 39) (cm)", "sessions per patient (n)", "dose per patient (U)",
        "  local per patient (n)", "cost per patient, discounted (RUB)", "QALYs per patient, discounted (QALY)",
        "incremental cost vs reference (RUB)", "ICER vs reference (RUB/QALY)", "reference", "dominated (strong)",
        "dominated (extended)", "NMB at 250000 RUB/QALY (RUB)", "NMB at 3000000 RUB/QALY (RUB)",
        "efficient frontier (increasing cost): care -> xxxxxxxx", "persistence", long_name};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        cr_assert(strstr(text, want[k]), "no '%s' in\n%s", want[k], text);
    cr_assert_null(strstr(text, "day 56"), "%s", text);
    cr_assert_null(strstr(text, "6 mo"), "clamped days are shown once:\n%s", text);
    /* a 40-day horizon has no third month: its last day is named as such */
    cr_assert_null(strstr(text, "3 mo"), "%s", text);
    /* every row of the table has the same width, and the long name has room */
    const char *p = strstr(text, "\nstrategy");
    cr_assert(p);
    p++;
    size_t width = strcspn(p, "\n");
    int rows = 0;
    while (*p && *p != '\n') {
        size_t w = strcspn(p, "\n");
        cr_assert_eq(w, width, "row %d: %.*s", rows, (int)w, p);
        const char *name = strstr(p, long_name);
        if (name && name < p + w)
            cr_assert_eq(name[-1], ' ', "the long name touches its neighbour");
        p += w + 1;
        rows++;
    }
    cr_assert_geq(rows, 25);
    free(text);
    psim_report_destroy(rep);
    free_syn(y);
}

Test(print, write_error_is_io)
{
    syn *y = make_syn(NULL);
    psim_report *rep = report_of(y);
    FILE *fp = fopen("/dev/full", "w");
    if (fp) {
        psim_error err;
        psim_error_clear(&err);
        cr_assert_eq(psim_report_print(rep, PSIM_REPORT_JSON, fp, &err), PSIM_ERR_IO);
        fclose(fp);
    }
    psim_report_destroy(rep);
    free_syn(y);
}

/* ---- the HDF5 file ---------------------------------------------------- */

static void put_attr_str(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    cr_assert(H5Tset_size(t, H5T_VARIABLE) >= 0);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(a >= 0);
    cr_assert(H5Awrite(a, t, &value) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

static void put_attr_num(hid_t obj, const char *name, hid_t type, const void *v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(a >= 0);
    cr_assert(H5Awrite(a, type, v) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
}

static void put_daily(hid_t g, const char *name, const double *v, hsize_t n)
{
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(g, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(d >= 0);
    cr_assert(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Dclose(d);
    H5Sclose(sp);
}

/* A painsim-like file: root attributes, the daily arrays and (if with_results) /results. */
static void write_file(const char *path, const psim_report *rep, int with_results)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(f >= 0);
    put_attr_str(f, "painsim_version", "test");
    put_attr_str(f, "scenario_name", rep->scenario);
    put_attr_num(f, "seed", H5T_NATIVE_UINT64, &rep->seed);
    put_attr_num(f, "patients", H5T_NATIVE_INT64, &rep->patients);
    put_attr_num(f, "horizon_days", H5T_NATIVE_INT, &rep->horizon_days);
    put_attr_str(f, "reference", rep->reference);
    hid_t gs = H5Gcreate2(f, "strategies", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(gs >= 0);
    for (int s = 0; s < rep->n_strategies; s++) {
        const psim_report_strategy *rs = &rep->strategies[s];
        hid_t g = H5Gcreate2(gs, rs->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        hid_t gd = H5Gcreate2(g, "daily", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        cr_assert(g >= 0 && gd >= 0);
        hsize_t H = (hsize_t)rep->horizon_days;
        put_daily(gd, "mean_vas", rs->mean_vas, H);
        put_daily(gd, "mean_vas_se", rs->mean_vas_se, H);
        put_daily(gd, "mean_vas_treated", rs->mean_vas_treated, H);
        put_daily(gd, "mean_vas_treated_se", rs->mean_vas_treated_se, H);
        put_daily(gd, "observed_response", rs->observed_response, H);
        put_daily(gd, "observed_response_se", rs->observed_response_se, H);
        H5Gclose(gd);
        H5Gclose(g);
    }
    H5Gclose(gs);
    if (with_results) {
        psim_error err;
        psim_error_clear(&err);
        cr_assert_eq(psim_report_write_h5(f, rep, &err), PSIM_OK, "%s", err.message);
    }
    cr_assert(H5Fclose(f) >= 0);
}

static void assert_est(psim_estimate a, psim_estimate b, const char *what)
{
    cr_assert(same(a.mean, b.mean) && same(a.se, b.se), "%s: %g (%g) vs %g (%g)", what, a.mean, a.se, b.mean,
              b.se);
}

static void assert_same_report(const psim_report *a, const psim_report *b)
{
    cr_assert_str_eq(a->scenario, b->scenario);
    cr_assert_eq(a->seed, b->seed);
    cr_assert_eq(a->patients, b->patients);
    cr_assert_eq(a->horizon_days, b->horizon_days);
    cr_assert_str_eq(a->reference, b->reference);
    cr_assert_eq(a->reference_index, b->reference_index);
    cr_assert_str_eq(a->currency, b->currency);
    cr_assert_eq(a->n_wtp, b->n_wtp);
    for (int w = 0; w < a->n_wtp; w++)
        cr_assert_eq(a->wtp[w], b->wtp[w]);
    cr_assert_eq(a->n_strategies, b->n_strategies);
    cr_assert_eq(a->n_ae_kinds, b->n_ae_kinds);
    for (int q = 0; q < a->n_ae_kinds; q++)
        cr_assert_str_eq(a->ae_kinds[q], b->ae_kinds[q]);
    cr_assert_eq(a->n_frontier, b->n_frontier);
    for (int k = 0; k < a->n_frontier; k++)
        cr_assert_eq(a->frontier[k], b->frontier[k]);
    for (int s = 0; s < a->n_strategies; s++) {
        const psim_report_strategy *x = &a->strategies[s], *y = &b->strategies[s];
        cr_assert_str_eq(x->name, y->name);
        cr_assert_str_eq(x->treatment, y->treatment);
        cr_assert_eq(x->patients, y->patients);
        cr_assert_eq(x->eligible, y->eligible);
        cr_assert_eq(x->treated, y->treated);
        cr_assert_eq(x->with_session, y->with_session);
        cr_assert_eq(x->first_responders, y->first_responders);
        cr_assert_eq(x->antibody, y->antibody);
        assert_est(x->first_response, y->first_response, "first_response");
        assert_est(x->persistence_given_response, y->persistence_given_response, "persistence");
        assert_est(x->persistence_given_no_response, y->persistence_given_no_response, "late response");
        assert_est(x->sessions, y->sessions, "sessions");
        assert_est(x->units, y->units, "units");
        assert_est(x->cost, y->cost, "cost");
        assert_est(x->qaly, y->qaly, "qaly");
        assert_est(x->delta_cost, y->delta_cost, "delta_cost");
        assert_est(x->delta_qaly, y->delta_qaly, "delta_qaly");
        cr_assert(same(x->icer, y->icer));
        cr_assert_eq(x->seq_status, y->seq_status);
        cr_assert_eq(x->seq_prev, y->seq_prev);
        assert_est(x->seq_delta_cost, y->seq_delta_cost, "seq_delta_cost");
        assert_est(x->seq_delta_qaly, y->seq_delta_qaly, "seq_delta_qaly");
        cr_assert(same(x->seq_icer, y->seq_icer));
        cr_assert_eq(x->dominated, y->dominated);
        cr_assert_eq(x->on_frontier, y->on_frontier);
        for (int w = 0; w < a->n_wtp; w++)
            cr_assert(same(x->nmb[w], y->nmb[w]) && same(x->nmb_se[w], y->nmb_se[w]) &&
                      same(x->inmb[w], y->inmb[w]) && same(x->inmb_se[w], y->inmb_se[w]));
        for (int q = 0; q < a->n_ae_kinds; q++)
            cr_assert(same(x->ae_per_patient[q], y->ae_per_patient[q]) &&
                      same(x->ae_per_session[q], y->ae_per_session[q]));
        for (int t = 0; t < a->horizon_days; t++)
            cr_assert(same(x->mean_vas[t], y->mean_vas[t]) && same(x->mean_vas_se[t], y->mean_vas_se[t]) &&
                      same(x->mean_vas_treated[t], y->mean_vas_treated[t]) &&
                      same(x->mean_vas_treated_se[t], y->mean_vas_treated_se[t]) &&
                      same(x->observed_response[t], y->observed_response[t]) &&
                      same(x->observed_response_se[t], y->observed_response_se[t]),
                      "day %d of %s", t, x->name);
    }
}

typedef struct attr_check {
    int n, missing;
    char first_missing[256];
} attr_check;

static herr_t attr_cb(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    attr_check *c = data;
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    c->n++;
    if (H5Aexists_by_name(obj, name, "units", H5P_DEFAULT) <= 0 ||
        H5Aexists_by_name(obj, name, "description", H5P_DEFAULT) <= 0) {
        if (!c->missing++)
            snprintf(c->first_missing, sizeof c->first_missing, "%s", name);
    }
    return 0;
}

Test(h5, write_and_read_back)
{
    syn *y = make_syn(NULL);
    psim_report *rep = report_of(y);
    char path[256];
    tu_tmpname(path, sizeof path, "report-rt");
    write_file(path, rep, 1);

    /* units and description on every dataset of /results; the attributes */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0);
    hid_t g = H5Gopen2(f, "results", H5P_DEFAULT);
    cr_assert(g >= 0);
    attr_check c = {0};
    cr_assert(H5Ovisit(g, H5_INDEX_NAME, H5_ITER_INC, attr_cb, &c) >= 0);
    cr_assert_geq(c.n, 40);
    cr_assert_eq(c.missing, 0, "%s has no units or description", c.first_missing);
    H5Gclose(g);
    size_t n;
    double *icer = tu_read_double(f, "/results/icer", &n);
    cr_assert_eq(n, SYN_S);
    cr_assert(isnan(icer[0]));
    free(icer);
    double *nmb = tu_read_double(f, "/results/nmb", &n);
    cr_assert_eq(n, (size_t)SYN_S * (size_t)rep->n_wtp);
    cr_assert_eq(nmb[2 * rep->n_wtp + 1], rep->strategies[2].nmb[1]);
    free(nmb);
    double *pp = tu_read_double(f, "/results/adverse_events/flu_like/per_patient", &n);
    cr_assert_eq(n, SYN_S);
    cr_assert_eq(pp[2], 0.1);
    free(pp);
    hid_t d = H5Dopen2(f, "/results/icer", H5P_DEFAULT);
    hid_t a = H5Aopen(d, "units", H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    char *units = NULL;
    cr_assert(H5Aread(a, t, &units) >= 0);
    cr_assert_str_eq(units, "RUB/QALY");
    H5free_memory(units);
    H5Tclose(t);
    H5Aclose(a);
    H5Dclose(d);
    H5Fclose(f);

    psim_report *back = NULL;
    psim_error err;
    psim_error_clear(&err);
    cr_assert_eq(psim_report_read_h5(path, &back, &err), PSIM_OK, "%s", err.message);
    assert_same_report(rep, back);
    /* and the printed forms are identical */
    for (int fmt = 0; fmt < 3; fmt++) {
        char *x = print_to_string(rep, (psim_report_format)fmt), *z = print_to_string(back, (psim_report_format)fmt);
        cr_assert_str_eq(x, z);
        free(x);
        free(z);
    }
    psim_report_destroy(back);
    psim_report_destroy(rep);
    unlink(path);
    free_syn(y);
}

Test(h5, no_wtp_and_no_adverse_events)
{
    syn *y = make_syn(NULL);
    y->scn->economics.n_wtp = 0;
    for (int s = 0; s < SYN_S; s++)
        y->res->strategies[s].n_ae = 0;
    snprintf(y->scn->economics.currency, sizeof y->scn->economics.currency, "USD");
    psim_report *rep = report_of(y);
    cr_assert_eq(rep->n_ae_kinds, 0);
    char path[256];
    tu_tmpname(path, sizeof path, "report-empty");
    write_file(path, rep, 1);
    psim_report *back = NULL;
    psim_error err;
    cr_assert_eq(psim_report_read_h5(path, &back, &err), PSIM_OK, "%s", err.message);
    assert_same_report(rep, back);
    char *csv = print_to_string(back, PSIM_REPORT_CSV);
    cr_assert(strstr(csv, ",cost_USD,"));
    cr_assert_null(strstr(csv, "nmb"));
    free(csv);
    psim_report_destroy(back);
    psim_report_destroy(rep);
    unlink(path);
    free_syn(y);
}

/* ---- sequential ICERs along the frontier ------------------------------ */

/* Five strategies, given out of cost order, over SEQ_N patients:
 *   index  name    mean cost  mean QALY
 *   0      dear        50000       0.65   reference
 *   1      none            0       0.50
 *   2      worse       60000       0.60   strongly dominated by dear
 *   3      middle      30000       0.58   extendedly dominated: cheap -> middle
 *                                         666667/QALY > middle -> dear 285714/QALY
 *   4      cheap       10000       0.55
 * Frontier none -> cheap -> dear; sequential ICERs cheap vs none
 * 10000 / 0.05 = 200000 and dear vs cheap 40000 / 0.10 = 400000.  Each
 * patient has a part common to all strategies (so pairing matters) and a
 * part of the strategy's own; both sum to zero over the patients, so the
 * means are the table's. */
enum { SEQ_S = 5, SEQ_N = 40 };

typedef struct seq_case {
    psim_results *res;
    psim_scenario *scn;
    double c[SEQ_S][SEQ_N], e[SEQ_S][SEQ_N];
} seq_case;

static seq_case *make_seq_case(void)
{
    static const char *const names[SEQ_S] = {"dear", "none", "worse", "middle", "cheap"};
    static const double cost[SEQ_S] = {50000, 0, 60000, 30000, 10000};
    static const double qaly[SEQ_S] = {0.65, 0.50, 0.60, 0.58, 0.55};
    seq_case *y = calloc(1, sizeof *y);
    cr_assert(y);
    y->scn = calloc(1, sizeof *y->scn);
    cr_assert(y->scn);
    psim_economics_default(&y->scn->economics);
    snprintf(y->scn->reference, sizeof y->scn->reference, "dear");
    psim_results *r = calloc(1, sizeof *r);
    cr_assert(r);
    y->res = r;
    r->n_strategies = SEQ_S;
    r->horizon_days = 10;
    r->patients = SEQ_N;
    snprintf(r->scenario, sizeof r->scenario, "sequential");
    snprintf(r->reference, sizeof r->reference, "dear");
    r->strategies = calloc(SEQ_S, sizeof *r->strategies);
    cr_assert(r->strategies);
    for (int s = 0; s < SEQ_S; s++) {
        psim_strategy_summary *ss = &r->strategies[s];
        snprintf(ss->name, sizeof ss->name, "%s", names[s]);
        snprintf(ss->treatment, sizeof ss->treatment, "none");
        ss->patients = SEQ_N;
        for (int i = 0; i < SEQ_N; i++) {
            double common = (double)(i % 5 - 2), own = (double)((i * 7 + s) % 4) - 1.5;
            y->c[s][i] = cost[s] + 1000.0 * common + 100.0 * (s + 1) * own;
            y->e[s][i] = qaly[s] + 0.01 * common + 0.002 * (s + 1) * (double)((i * 3 + s) % 4 - 1.5);
        }
    }
    fill_econ_sums(r, 0, SEQ_N, &y->c[0][0], &y->e[0][0]);
    return y;
}

static void free_seq_case(seq_case *y)
{
    psim_results_destroy(y->res);
    free(y->scn);
    free(y);
}

Test(sequential, hand_computed_frontier)
{
    seq_case *y = make_seq_case();
    psim_report *rep = NULL;
    psim_error err;
    psim_error_clear(&err);
    cr_assert_eq(psim_report_from_results(y->res, y->scn, &rep, &err), PSIM_OK, "%s", err.message);
    cr_assert_eq(rep->n_frontier, 3);
    cr_assert(rep->frontier[0] == 1 && rep->frontier[1] == 4 && rep->frontier[2] == 0);
    const psim_seq_status want_status[SEQ_S] = {PSIM_SEQ_COMPARED, PSIM_SEQ_FIRST, PSIM_SEQ_DOMINATED_STRONG,
                                                PSIM_SEQ_DOMINATED_EXTENDED, PSIM_SEQ_COMPARED};
    const int want_prev[SEQ_S] = {4, -1, -1, -1, 1};
    const double want_dc[SEQ_S] = {40000, NAN, NAN, NAN, 10000};
    const double want_de[SEQ_S] = {0.10, NAN, NAN, NAN, 0.05};
    const double want_icer[SEQ_S] = {400000, NAN, NAN, NAN, 200000};
    for (int s = 0; s < SEQ_S; s++) {
        const psim_report_strategy *rs = &rep->strategies[s];
        cr_assert_eq(rs->seq_status, want_status[s], "%s: status %s", rs->name, psim_seq_status_name(rs->seq_status));
        cr_assert_eq(rs->seq_prev, want_prev[s], "%s: previous %d", rs->name, rs->seq_prev);
        if (want_prev[s] < 0) {
            cr_assert(isnan(rs->seq_delta_cost.mean) && isnan(rs->seq_delta_cost.se) &&
                      isnan(rs->seq_delta_qaly.mean) && isnan(rs->seq_delta_qaly.se) && isnan(rs->seq_icer),
                      "%s has sequential figures", rs->name);
            continue;
        }
        cr_assert(close_rel(rs->seq_delta_cost.mean, want_dc[s], 1e-12), "%s: dCost %.17g", rs->name,
                  rs->seq_delta_cost.mean);
        cr_assert(close_rel(rs->seq_delta_qaly.mean, want_de[s], 1e-12), "%s: dQALY %.17g", rs->name,
                  rs->seq_delta_qaly.mean);
        cr_assert(close_rel(rs->seq_icer, want_icer[s], 1e-9), "%s: ICER %.17g", rs->name, rs->seq_icer);
        /* SEs: those of the per-patient paired differences, computed directly */
        const int p = want_prev[s];
        double dc[SEQ_N], de[SEQ_N], mdc, mde;
        for (int i = 0; i < SEQ_N; i++) {
            dc[i] = y->c[s][i] - y->c[p][i];
            de[i] = y->e[s][i] - y->e[p][i];
        }
        double sdc = direct_se(dc, SEQ_N, &mdc), sde = direct_se(de, SEQ_N, &mde);
        cr_assert(close_rel(rs->seq_delta_cost.mean, mdc, 1e-12));
        cr_assert(close_rel(rs->seq_delta_cost.se, sdc, 1e-9), "%s: %.17g vs %.17g", rs->name,
                  rs->seq_delta_cost.se, sdc);
        cr_assert(close_rel(rs->seq_delta_qaly.se, sde, 1e-9), "%s: %.17g vs %.17g", rs->name,
                  rs->seq_delta_qaly.se, sde);
        /* pairing removes the common part: far below the unpaired SE */
        const psim_report_strategy *rp = &rep->strategies[p];
        cr_assert_lt(rs->seq_delta_cost.se, 0.5 * sqrt(rs->cost.se * rs->cost.se + rp->cost.se * rp->cost.se));
    }
    /* the reference is "dear", the sequential comparisons do not depend on it */
    cr_assert(close_rel(rep->strategies[4].icer, (10000.0 - 50000.0) / (0.55 - 0.65), 1e-9));
    cr_assert_str_eq(psim_seq_status_name(PSIM_SEQ_FIRST), "first_on_frontier");
    cr_assert_str_eq(psim_seq_status_name(PSIM_SEQ_DOMINATED_EXTENDED), "dominated_extended");

    /* the table's section */
    char *text = print_to_string(rep, PSIM_REPORT_TABLE);
    const char *const want[] = {
        "\nEfficient frontier (sequential ICERs)",
        "\n  none   first on the frontier",
        "\n  cheap  vs none   dCost 10000 RUB (SE ",
        "\n  dear   vs cheap  dCost 40000 RUB (SE ",
        "dQALY 0.1000 QALY (SE ",
        "ICER 400000 RUB/QALY\n",
        "ICER 200000 RUB/QALY\n",
        "\n  dominated, not on the frontier: worse (strongly), middle (extendedly)\n"};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        cr_assert(strstr(text, want[k]), "no '%s' in\n%s", want[k], text);
    free(text);
    /* JSON and CSV */
    text = print_to_string(rep, PSIM_REPORT_JSON);
    cr_assert(strstr(text, "\"sequential\": {\"status\": \"compared\", \"previous\": \"cheap\", \"cost\": 40000"),
              "%s", text);
    cr_assert(strstr(text, "\"sequential\": {\"status\": \"first_on_frontier\", \"previous\": null, \"cost\": null"),
              "%s", text);
    free(text);
    text = print_to_string(rep, PSIM_REPORT_CSV);
    cr_assert(strstr(text, ",sequential_status,sequential_previous,sequential_delta_cost_RUB,"
                           "sequential_delta_cost_se_RUB,sequential_delta_qaly,sequential_delta_qaly_se,"
                           "sequential_icer_RUB_per_QALY\n"),
              "%s", text);
    cr_assert(strstr(text, ",compared,cheap,40000,"), "%s", text);
    cr_assert(strstr(text, ",dominated_extended,,,,,,\n"), "%s", text);
    free(text);
    psim_report_destroy(rep);
    free_seq_case(y);
}

Test(sequential, written_and_read_back_and_older_files)
{
    seq_case *y = make_seq_case();
    psim_report *rep = NULL;
    psim_error err;
    psim_error_clear(&err);
    cr_assert_eq(psim_report_from_results(y->res, y->scn, &rep, &err), PSIM_OK, "%s", err.message);
    char path[256];
    tu_tmpname(path, sizeof path, "seq");
    write_file(path, rep, 1);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0);
    size_t n;
    double *icer = tu_read_double(f, "/results/sequential_icer", &n);
    cr_assert_eq(n, SEQ_S);
    cr_assert_eq(icer[0], rep->strategies[0].seq_icer);
    cr_assert(isnan(icer[1]));
    free(icer);
    double *se = tu_read_double(f, "/results/sequential_delta_cost_se", &n);
    cr_assert_eq(se[4], rep->strategies[4].seq_delta_cost.se);
    free(se);
    H5Fclose(f);
    psim_report *back = NULL;
    cr_assert_eq(psim_report_read_h5(path, &back, &err), PSIM_OK, "%s", err.message);
    assert_same_report(rep, back);
    for (int fmt = 0; fmt < 3; fmt++) {
        char *x = print_to_string(rep, (psim_report_format)fmt), *z = print_to_string(back, (psim_report_format)fmt);
        cr_assert_str_eq(x, z);
        free(x);
        free(z);
    }
    psim_report_destroy(back);

    /* a file from before the sequential datasets: the comparisons come from
     * the frontier and the means, without standard errors */
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0);
    static const char *const seq_ds[] = {"sequential_previous", "sequential_status", "sequential_delta_cost",
                                         "sequential_delta_cost_se", "sequential_delta_qaly",
                                         "sequential_delta_qaly_se", "sequential_icer"};
    for (size_t k = 0; k < sizeof seq_ds / sizeof seq_ds[0]; k++) {
        char name[128];
        snprintf(name, sizeof name, "/results/%s", seq_ds[k]);
        cr_assert(H5Ldelete(f, name, H5P_DEFAULT) >= 0, "%s", name);
    }
    H5Fclose(f);
    back = NULL;
    cr_assert_eq(psim_report_read_h5(path, &back, &err), PSIM_OK, "%s", err.message);
    for (int s = 0; s < SEQ_S; s++) {
        const psim_report_strategy *a = &rep->strategies[s], *b = &back->strategies[s];
        cr_assert_eq(a->seq_status, b->seq_status);
        cr_assert_eq(a->seq_prev, b->seq_prev);
        cr_assert(a->seq_prev < 0 ? isnan(b->seq_delta_cost.mean) : close_rel(a->seq_delta_cost.mean,
                                                                             b->seq_delta_cost.mean, 1e-12));
        cr_assert(a->seq_prev < 0 ? isnan(b->seq_icer) : close_rel(a->seq_icer, b->seq_icer, 1e-9));
        cr_assert(isnan(b->seq_delta_cost.se) && isnan(b->seq_delta_qaly.se));
    }
    char *text = print_to_string(back, PSIM_REPORT_TABLE);
    cr_assert(strstr(text, "\n  dear   vs cheap  dCost 40000 RUB (SE n/a)  dQALY 0.1000 QALY (SE n/a)  "
                           "ICER 400000 RUB/QALY\n"),
              "%s", text);
    free(text);
    psim_report_destroy(back);

    /* damaged: a status that names nothing */
    write_file(path, rep, 1);
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0 && H5Ldelete(f, "/results/sequential_previous", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    back = (psim_report *)1;
    cr_assert_eq(psim_report_read_h5(path, &back, &err), PSIM_ERR_INPUT);
    cr_assert(strstr(err.message, "/results/sequential_previous"), "%s", err.message);
    cr_assert_null(back);
    unlink(path);
    psim_report_destroy(rep);
    free_seq_case(y);
}

static psim_status read_status(const char *path, psim_error *err)
{
    psim_report *rep = (psim_report *)1;
    psim_error_clear(err);
    psim_status st = psim_report_read_h5(path, &rep, err);
    if (st != PSIM_OK)
        cr_assert_null(rep);
    psim_report_destroy(st == PSIM_OK ? rep : NULL);
    return st;
}

Test(h5, not_a_painsim_file)
{
    char path[256];
    psim_error err;
    /* missing */
    tu_tmpname(path, sizeof path, "does-not-exist");
    cr_assert_eq(read_status(path, &err), PSIM_ERR_INPUT);
    cr_assert_str_eq(err.file, path);
    /* text */
    tu_tmpname(path, sizeof path, "text");
    write_text(path, "name: not hdf5\n");
    cr_assert_eq(read_status(path, &err), PSIM_ERR_INPUT);
    cr_assert(strstr(err.message, "not an HDF5 file"), "%s", err.message);
    cr_assert_str_eq(err.file, path);
    unlink(path);
    /* HDF5 but not painsim */
    tu_tmpname(path, sizeof path, "other");
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(f >= 0);
    H5Fclose(f);
    cr_assert_eq(read_status(path, &err), PSIM_ERR_INPUT);
    cr_assert(strstr(err.message, "not a painsim file"), "%s", err.message);
    unlink(path);
    /* painsim file without /results */
    syn *y = make_syn(NULL);
    psim_report *rep = report_of(y);
    tu_tmpname(path, sizeof path, "nores");
    write_file(path, rep, 0);
    cr_assert_eq(read_status(path, &err), PSIM_ERR_INPUT);
    cr_assert(strstr(err.message, "/results"), "%s", err.message);
    cr_assert_str_eq(err.file, path);
    unlink(path);
    psim_report_destroy(rep);
    free_syn(y);
}

Test(h5, damaged_files_never_crash)
{
    syn *y = make_syn(NULL);
    psim_report *rep = report_of(y);
    char path[256], bad[256];
    tu_tmpname(path, sizeof path, "good");
    tu_tmpname(bad, sizeof bad, "bad");
    write_file(path, rep, 1);
    FILE *fp = fopen(path, "rb");
    cr_assert(fp);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)size);
    cr_assert(bytes && fread(bytes, 1, (size_t)size, fp) == (size_t)size);
    fclose(fp);
    psim_error err;
    /* truncated at several lengths */
    const double fractions[] = {0.02, 0.3, 0.6, 0.95};
    for (int k = 0; k < 4; k++) {
        fp = fopen(bad, "wb");
        fwrite(bytes, 1, (size_t)(fractions[k] * (double)size), fp);
        fclose(fp);
        cr_assert_eq(read_status(bad, &err), PSIM_ERR_INPUT, "truncated at %g", fractions[k]);
        cr_assert(err.message[0]);
    }
    /* a dataset of the wrong shape */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0);
    cr_assert(H5Ldelete(f, "/results/nmb", H5P_DEFAULT) >= 0);
    double one = 1;
    hsize_t dim = 1;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t d = H5Dcreate2(f, "/results/nmb", H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &one) >= 0);
    H5Dclose(d);
    H5Sclose(sp);
    /* and a daily array missing */
    cr_assert(H5Ldelete(f, "/strategies/botox/daily/observed_response_se", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    cr_assert_eq(read_status(path, &err), PSIM_ERR_INPUT);
    cr_assert(strstr(err.message, "/results/nmb"), "%s", err.message);
    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(H5Ldelete(f, "/results/nmb", H5P_DEFAULT) >= 0);
    H5Fclose(f);
    cr_assert_eq(read_status(path, &err), PSIM_ERR_INPUT);
    cr_assert(strstr(err.message, "no dataset /results/nmb"), "%s", err.message);
    unlink(path);
    unlink(bad);
    free(bytes);
    psim_report_destroy(rep);
    free_syn(y);
}

/* ---- painsim summary -------------------------------------------------- */

/* Run painsim_summary_command in a child with stdout and stderr in files. */
static int run_summary(const char *out_path, const char *const *args, int n)
{
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            _exit(99);
        dup2(fd, STDOUT_FILENO);
        char err_path[300];
        snprintf(err_path, sizeof err_path, "%s.err", out_path);
        int efd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (efd < 0)
            efd = open("/dev/null", O_WRONLY);
        dup2(efd, STDERR_FILENO);
        char *argv[16];
        for (int i = 0; i < n; i++)
            argv[i] = (char *)args[i];
        argv[n] = NULL;
        int rc = painsim_summary_command(n, argv);
        fflush(stdout);
        _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(summary_cmd, exit_statuses)
{
    syn *y = make_syn(NULL);
    psim_report *rep = report_of(y);
    char path[256], out[256], text[256];
    tu_tmpname(path, sizeof path, "cmd");
    tu_tmpname(out, sizeof out, "cmd-out");
    tu_tmpname(text, sizeof text, "cmd-text");
    write_file(path, rep, 1);
    write_text(text, "hello\n");
    {
        const char *a[] = {path};
        cr_assert_eq(run_summary(out, a, 1), 0);
    }
    {
        const char *a[] = {path, "--format", "json"};
        cr_assert_eq(run_summary(out, a, 3), 0);
        char cmd[512];
        snprintf(cmd, sizeof cmd, "python3 -m json.tool '%s' > /dev/null", out);
        cr_assert_eq(system(cmd), 0);
    }
    {
        const char *a[] = {"--format=csv", path};
        cr_assert_eq(run_summary(out, a, 2), 0);
    }
    {
        const char *a[] = {"--help"};
        cr_assert_eq(run_summary(out, a, 1), 0);
        FILE *fp = fopen(out, "r");
        char buf[4096] = "";
        size_t nr = fread(buf, 1, sizeof buf - 1, fp);
        buf[nr] = '\0';
        fclose(fp);
        cr_assert(strstr(buf, "usage: painsim summary") && strstr(buf, "example"));
    }
    {
        const char *a[] = {path, "--format", "xml"};
        cr_assert_eq(run_summary(out, a, 3), 2);
    }
    {
        const char *a[] = {path, "--bogus"};
        cr_assert_eq(run_summary(out, a, 2), 2);
    }
    cr_assert_eq(run_summary(out, NULL, 0), 2);
    {
        const char *a[] = {text};
        cr_assert_eq(run_summary(out, a, 1), 2);
    }
    {
        const char *a[] = {path};
        cr_assert_eq(run_summary("/dev/full", a, 1), 1);
    }
    unlink(path);
    unlink(out);
    unlink(text);
    snprintf(text, sizeof text, "%s.err", out);
    unlink(text);
    psim_report_destroy(rep);
    free_syn(y);
}

Test(summary_cmd, corrupted_metadata_is_bad_input_not_a_crash)
{
    syn *y = make_syn(NULL);
    psim_report *rep = report_of(y);
    char path[256], bad[256], out[256];
    tu_tmpname(path, sizeof path, "fuzz-good");
    tu_tmpname(bad, sizeof bad, "fuzz-bad");
    tu_tmpname(out, sizeof out, "fuzz-out");
    write_file(path, rep, 1);
    FILE *fp = fopen(path, "rb");
    cr_assert(fp);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)size), *copy = malloc((size_t)size);
    cr_assert(bytes && copy && fread(bytes, 1, (size_t)size, fp) == (size_t)size);
    fclose(fp);
    /* damage a few bytes of the metadata at the start and the end of the file */
    uint64_t st = 99;
    int counts[3] = {0, 0, 0};
    for (int k = 0; k < 120; k++) {
        memcpy(copy, bytes, (size_t)size);
        for (int j = 0; j < 4; j++) {
            long span = size < 4096 ? size : 4096;
            long off = (long)(uniform(&st) * (double)span);
            if (k % 2)
                off = size - 1 - off;
            copy[off] = (unsigned char)(uniform(&st) * 256.0);
        }
        fp = fopen(bad, "wb");
        cr_assert(fp && fwrite(copy, 1, (size_t)size, fp) == (size_t)size);
        fclose(fp);
        const char *a[] = {bad, "--format", "json"};
        int rc = run_summary(out, a, 3);
        if (rc != 0 && rc != 2) {
            char ep[300], msg[4096] = "";
            snprintf(ep, sizeof ep, "%s.err", out);
            FILE *ef = fopen(ep, "r");
            if (ef) {
                size_t nr = fread(msg, 1, sizeof msg - 1, ef);
                msg[nr] = '\0';
                fclose(ef);
            }
            /* In sanitizer builds AddressSanitizer stops HDF5's own out-of-bounds
             * read (the crash the command isolates) before it becomes a signal. */
            const char *f1 = strstr(msg, "    #1 ");
            const char *eol = f1 ? strchr(f1, '\n') : NULL;
            const char *lib = f1 ? strstr(f1, "libhdf5") : NULL;
            if (rc == 1 && strstr(msg, "AddressSanitizer") && lib && (!eol || lib < eol))
                continue;
            cr_assert_fail("damage %d: exit status %d:\n%s", k, rc, msg);
        }
        counts[rc]++;
    }
    cr_assert_gt(counts[2], 0);
    free(bytes);
    free(copy);
    unlink(path);
    unlink(bad);
    unlink(out);
    snprintf(bad, sizeof bad, "%s.err", out);
    unlink(bad);
    psim_report_destroy(rep);
    free_syn(y);
}
