/* Value of information (include/painsim/voi.h): CEAC, loss and EVPI on a
 * sample small enough to do by hand; EVPI and EVPPI against closed forms for a
 * normal incremental net benefit; EVPPI of nonlinear and additive models
 * against the EVPI of the noise-free model; EVPPI against R's mgcv.
 * Statistical checks use 4 Monte Carlo or posterior standard errors with
 * fixed seeds. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "painsim/rng.h"
#include "painsim/voi.h"

#define TV_SEED 20240611u

static double *tv_alloc(size_t count)
{
    double *p = calloc(count, sizeof *p);
    cr_assert_not_null(p);
    return p;
}

static void tv_evppi(int n, int S, const double *cost, const double *qaly, int n_wtp, const double *wtp, int p,
                     const double *X, double *evppi, double *se, psim_evppi_diag *diag)
{
    psim_evppi_options opt = psim_evppi_options_default();
    psim_error err;
    psim_error_clear(&err);
    psim_status st = psim_evppi(n, S, cost, qaly, n_wtp, wtp, p, X, &opt, evppi, se, diag, &err);
    cr_assert_eq(st, PSIM_OK, "psim_evppi: %s", err.message);
}

/* (c) Four iterations, three strategies, done by hand. */
Test(voi, decision_summaries_by_hand)
{
    const double cost[4 * 3] = {0, 10, 30, 0, 20, 20, 0, 0, 40, 0, 30, 50};
    const double qaly[4 * 3] = {0, 1, 2, 0, 1, 1, 0, 0.5, 3, 0, 0.5, 0.5};
    const double wtp[2] = {0, 20};
    double ceac[6], enmb[6], loss[6], ceaf[2], evpi[2], se[2];
    int strat[2];
    psim_voi_decision(4, 3, cost, qaly, 2, wtp, ceac, enmb, loss, strat, ceaf, evpi, se);
    /* WTP 0: NMB = -cost; strategy 0 best in every row (row 2 ties 0 and 1: lowest index) */
    const double ceac0[3] = {1, 0, 0}, enmb0[3] = {0, -15, -35}, loss0[3] = {0, 15, 35};
    /* WTP 20: NMB rows {0,10,10} {0,0,0} {0,10,20} {0,-20,-40}; row maxima 10 0 20 0;
     * means 0, 0, -2.5: strategies 0 and 1 tie, the lower index wins */
    const double ceac1[3] = {0.5, 0.25, 0.25}, enmb1[3] = {0, 0, -2.5}, loss1[3] = {7.5, 7.5, 10};
    for (int s = 0; s < 3; s++) {
        cr_assert_float_eq(ceac[s], ceac0[s], 1e-15);
        cr_assert_float_eq(enmb[s], enmb0[s], 1e-12);
        cr_assert_float_eq(loss[s], loss0[s], 1e-12);
        cr_assert_float_eq(ceac[3 + s], ceac1[s], 1e-15);
        cr_assert_float_eq(enmb[3 + s], enmb1[s], 1e-12);
        cr_assert_float_eq(loss[3 + s], loss1[s], 1e-12);
    }
    cr_assert_eq(strat[0], 0);
    cr_assert_eq(strat[1], 0);
    cr_assert_float_eq(ceaf[0], 1.0, 1e-15);
    cr_assert_float_eq(ceaf[1], 0.5, 1e-15);
    cr_assert_float_eq(evpi[0], 0.0, 1e-12);
    cr_assert_float_eq(se[0], 0.0, 1e-12);
    cr_assert_float_eq(evpi[1], 7.5, 1e-12);
    /* losses of strategy 0 at WTP 20: 10 0 20 0, squared deviations sum to 275 */
    cr_assert_float_eq(se[1], sqrt(275.0 / 3.0) / 2.0, 1e-12);

    /* NULL outputs are allowed */
    double evpi_only[2];
    psim_voi_decision(4, 3, cost, qaly, 2, wtp, NULL, NULL, NULL, NULL, NULL, evpi_only, NULL);
    cr_assert_float_eq(evpi_only[1], 7.5, 1e-12);
}

Test(voi, unit_normal_loss)
{
    /* L(0) = 1 / sqrt(2 pi); L(z) - L(-z) = -z; L(1) = 0.0833154705876864 */
    cr_assert_float_eq(psim_unit_normal_loss(0.0), 0.39894228040143268, 1e-15);
    cr_assert_float_eq(psim_unit_normal_loss(1.0), 0.0833154705876864, 1e-13);
    for (double z = 0.25; z < 4.0; z += 0.5)
        cr_assert_float_eq(psim_unit_normal_loss(z) - psim_unit_normal_loss(-z), -z, 1e-13);
    cr_assert(psim_unit_normal_loss(8.0) > 0.0 && psim_unit_normal_loss(8.0) < 1e-15);
}

/* (a) dC = c + d theta, dQ = a + b theta: INB(lambda) ~ N(lambda a - c, (lambda b - d)^2). */
Test(voi, evpi_and_evppi_of_a_normal_inb)
{
    enum { N = 4000, NW = 3 };
    const double a = 0.01, b = 0.02, c = 300.0, dd = -200.0;
    const double wtp[NW] = {0.0, 20000.0, 50000.0};
    double *cost = tv_alloc(2 * N), *qaly = tv_alloc(2 * N), *theta = tv_alloc(N), *noise = tv_alloc(N);
    psim_rng rng;
    psim_rng_keyed(&rng, TV_SEED, 0, 0, PSIM_PURPOSE_PSA, 1);
    for (int i = 0; i < N; i++) {
        theta[i] = psim_rng_normal(&rng);
        noise[i] = psim_rng_normal(&rng);
        cost[2 * i] = 5000.0;
        qaly[2 * i] = 1.0;
        cost[2 * i + 1] = 5000.0 + c + dd * theta[i];
        qaly[2 * i + 1] = 1.0 + a + b * theta[i];
    }
    double evpi[NW], evpi_se[NW], ev[NW], ev_se[NW], evn[NW], evn_se[NW];
    psim_voi_decision(N, 2, cost, qaly, NW, wtp, NULL, NULL, NULL, NULL, NULL, evpi, evpi_se);
    psim_evppi_diag dg;
    tv_evppi(N, 2, cost, qaly, NW, wtp, 1, theta, ev, ev_se, &dg);
    cr_assert_eq(dg.basis, 10);
    cr_assert_eq(dg.additive, 0);
    tv_evppi(N, 2, cost, qaly, NW, wtp, 1, noise, evn, evn_se, NULL);
    for (int w = 0; w < NW; w++) {
        double mu = wtp[w] * a - c, sigma = fabs(wtp[w] * b - dd);
        double exact = sigma * psim_unit_normal_loss(fabs(mu) / sigma);
        fprintf(stderr, "normal INB, WTP %.0f: closed form %.4f, EVPI %.4f (MC SE %.4f), EVPPI(theta) %.4f (SE %.3g), "
                        "EVPPI(noise) %.4f (SE %.4f)\n",
                wtp[w], exact, evpi[w], evpi_se[w], ev[w], ev_se[w], evn[w], evn_se[w]);
        cr_assert(fabs(evpi[w] - exact) <= 4.0 * evpi_se[w], "WTP %g: EVPI %g, closed form %g, SE %g", wtp[w],
                  evpi[w], exact, evpi_se[w]);
        /* The INB is linear in theta, which the spline fits exactly (a linear function is not
         * penalised): the fitted values are the data up to rounding and the 1e-10 ridge. */
        cr_assert(fabs(ev[w] - evpi[w]) <= 1e-6 * evpi[w], "WTP %g: EVPPI(theta) %.10g, EVPI %.10g", wtp[w], ev[w],
                  evpi[w]);
        cr_assert(fabs(ev[w] - exact) <= 4.0 * evpi_se[w], "WTP %g: EVPPI %g, closed form %g", wtp[w], ev[w], exact);
        cr_assert(evn[w] >= 0.0 && evn[w] <= 4.0 * evn_se[w], "WTP %g: EVPPI(noise) %g, SE %g", wtp[w], evn[w],
                  evn_se[w]);
        cr_assert(evn[w] < 0.05 * evpi[w], "WTP %g: EVPPI(noise) %g vs EVPI %g", wtp[w], evn[w], evpi[w]);
    }
    free(cost);
    free(qaly);
    free(theta);
    free(noise);
}

/* Three strategies (0 the comparator) whose mean cost and QALYs depend on
 * x1 and x2 nonlinearly, plus iteration noise independent of the parameters
 * (sd_cost, sd_qaly); `clean` gets the noise-free values. */
static void nonlinear_sample(int n, double sd_cost, double sd_qaly, double *x, double *cost, double *qaly,
                             double *clean_cost, double *clean_qaly)
{
    psim_rng rng;
    psim_rng_keyed(&rng, TV_SEED, 0, 0, PSIM_PURPOSE_PSA, 2);
    for (int i = 0; i < n; i++) {
        double x1 = psim_rng_normal(&rng);
        double x2 = psim_rng_normal(&rng);
        x[2 * i] = x1;
        x[2 * i + 1] = x2;
        double c[3] = {1000.0, 1400.0 + 300.0 * x1 * x1, 1800.0 - 300.0 * x1 * x2};
        double q[3] = {1.0, 1.02 + 0.02 * x1, 1.03 + 0.005 * x2};
        for (int s = 0; s < 3; s++) {
            clean_cost[3 * i + s] = c[s];
            clean_qaly[3 * i + s] = q[s];
            double ec = psim_rng_normal(&rng);
            double eq = psim_rng_normal(&rng);
            cost[3 * i + s] = c[s] + sd_cost * ec;
            qaly[3 * i + s] = q[s] + sd_qaly * eq;
        }
    }
}

/* (b) EVPPI of (x1, x2) estimates the EVPI of the noise-free model; x1 alone is worth less. */
Test(voi, evppi_nonlinear_two_parameters)
{
    enum { N = 2000, NW = 2 };
    const double wtp[NW] = {20000.0, 30000.0};
    double *x = tv_alloc(2 * N), *x1 = tv_alloc(N), *cost = tv_alloc(3 * N), *qaly = tv_alloc(3 * N);
    double *cc = tv_alloc(3 * N), *cq = tv_alloc(3 * N);
    nonlinear_sample(N, 150.0, 0.005, x, cost, qaly, cc, cq);
    for (int i = 0; i < N; i++)
        x1[i] = x[2 * i];
    double target[NW], evpi[NW], evpi_se[NW], e12[NW], se12[NW], e1[NW], se1[NW];
    psim_voi_decision(N, 3, cc, cq, NW, wtp, NULL, NULL, NULL, NULL, NULL, target, NULL);
    psim_voi_decision(N, 3, cost, qaly, NW, wtp, NULL, NULL, NULL, NULL, NULL, evpi, evpi_se);
    psim_evppi_diag dg;
    tv_evppi(N, 3, cost, qaly, NW, wtp, 2, x, e12, se12, &dg);
    cr_assert_eq(dg.basis, 36);
    tv_evppi(N, 3, cost, qaly, NW, wtp, 1, x1, e1, se1, NULL);
    for (int w = 0; w < NW; w++) {
        fprintf(stderr, "nonlinear, WTP %.0f: noise-free EVPI %.3f, EVPI %.3f (SE %.3f), EVPPI(x1,x2) %.3f (SE %.3f), "
                        "EVPPI(x1) %.3f (SE %.3f), edf %.1f-%.1f\n",
                wtp[w], target[w], evpi[w], evpi_se[w], e12[w], se12[w], e1[w], se1[w], dg.edf_min, dg.edf_max);
        cr_assert(fabs(e12[w] - target[w]) <= 4.0 * se12[w], "WTP %g: EVPPI(x1,x2) %g, noise-free EVPI %g, SE %g",
                  wtp[w], e12[w], target[w], se12[w]);
        cr_assert(e12[w] < evpi[w]);
        cr_assert(e1[w] > 4.0 * se1[w], "WTP %g: EVPPI(x1) %g, SE %g", wtp[w], e1[w], se1[w]);
        cr_assert(e1[w] + 4.0 * sqrt(se1[w] * se1[w] + se12[w] * se12[w]) < e12[w],
                  "WTP %g: EVPPI(x1) %g, EVPPI(x1,x2) %g", wtp[w], e1[w], e12[w]);
    }
    free(x);
    free(x1);
    free(cost);
    free(qaly);
    free(cc);
    free(cq);
}

/* (b) Additive model: six parameters, each with a nonlinear effect of its own. */
Test(voi, evppi_additive_six_parameters)
{
    enum { N = 3000, P = 6, NW = 2 };
    const double wtp[NW] = {20000.0, 40000.0};
    double *x = tv_alloc((size_t)N * P), *cost = tv_alloc(3 * N), *qaly = tv_alloc(3 * N);
    double *cc = tv_alloc(3 * N), *cq = tv_alloc(3 * N);
    psim_rng rng;
    psim_rng_keyed(&rng, TV_SEED, 0, 0, PSIM_PURPOSE_PSA, 3);
    for (int i = 0; i < N; i++) {
        double *xi = x + (size_t)i * P;
        for (int j = 0; j < P; j++)
            xi[j] = psim_rng_uniform(&rng);
        double c1 = 1200.0 + 600.0 * xi[0] * xi[0] + 300.0 * sin(6.0 * xi[1]) + 200.0 * exp(xi[2]);
        double q1 = 1.04 + 0.02 * xi[3] - 0.03 * (xi[4] - 0.5) * (xi[4] - 0.5);
        double c2 = 1500.0 + 500.0 * sqrt(xi[5]) - 400.0 * xi[0];
        double q2 = 1.05 + 0.015 * cos(4.0 * xi[3]);
        double c[3] = {1000.0, c1, c2}, q[3] = {1.0, q1, q2};
        for (int s = 0; s < 3; s++) {
            cc[3 * i + s] = c[s];
            cq[3 * i + s] = q[s];
            double ec = psim_rng_normal(&rng);
            double eq = psim_rng_normal(&rng);
            cost[3 * i + s] = c[s] + 100.0 * ec;
            qaly[3 * i + s] = q[s] + 0.003 * eq;
        }
    }
    double target[NW], evpi[NW], ev[NW], se[NW];
    psim_voi_decision(N, 3, cc, cq, NW, wtp, NULL, NULL, NULL, NULL, NULL, target, NULL);
    psim_voi_decision(N, 3, cost, qaly, NW, wtp, NULL, NULL, NULL, NULL, NULL, evpi, NULL);
    psim_evppi_diag dg;
    tv_evppi(N, 3, cost, qaly, NW, wtp, P, x, ev, se, &dg);
    cr_assert_eq(dg.additive, 1);
    cr_assert_eq(dg.basis, 1 + P * 9);
    for (int w = 0; w < NW; w++) {
        fprintf(stderr, "additive p=6, WTP %.0f: noise-free EVPI %.3f, EVPI %.3f, EVPPI %.3f (SE %.3f), edf %.1f-%.1f\n",
                wtp[w], target[w], evpi[w], ev[w], se[w], dg.edf_min, dg.edf_max);
        cr_assert(fabs(ev[w] - target[w]) <= 4.0 * se[w], "WTP %g: EVPPI %g, noise-free EVPI %g, SE %g", wtp[w], ev[w],
                  target[w], se[w]);
    }
    free(x);
    free(cost);
    free(qaly);
    free(cc);
    free(cq);
}

Test(voi, evppi_degenerate_inputs)
{
    enum { N = 50 };
    double cost[2 * N], qaly[2 * N], x[2 * N];
    for (int i = 0; i < N; i++) {
        cost[2 * i] = 0.0;
        cost[2 * i + 1] = i;
        qaly[2 * i] = qaly[2 * i + 1] = 1.0;
        x[2 * i] = 3.0; /* constant */
        x[2 * i + 1] = 3.0;
    }
    const double wtp[1] = {100.0};
    double ev[1] = {-1.0}, se[1] = {-1.0};
    psim_evppi_diag dg;
    tv_evppi(N, 2, cost, qaly, 1, wtp, 2, x, ev, se, &dg);
    cr_assert_eq(ev[0], 0.0);
    cr_assert_eq(se[0], 0.0);
    cr_assert_eq(dg.basis, 0);

    psim_error err;
    psim_error_clear(&err);
    cr_assert_eq(psim_evppi(10, 2, cost, qaly, 1, wtp, 1, x, NULL, ev, se, NULL, &err), PSIM_ERR_USAGE);
    cr_assert_eq(err.code, PSIM_ERR_USAGE);
    cr_assert_eq(psim_evppi(N, 2, cost, qaly, 1, wtp, 0, x, NULL, ev, se, NULL, &err), PSIM_ERR_USAGE);
    qaly[7] = NAN;
    cr_assert_eq(psim_evppi(N, 2, cost, qaly, 1, wtp, 1, x, NULL, ev, se, NULL, &err), PSIM_ERR_INPUT);
}

Test(voi, evppi_is_deterministic)
{
    enum { N = 500, NW = 2 };
    const double wtp[NW] = {20000.0, 30000.0};
    double *x = tv_alloc(2 * N), *cost = tv_alloc(3 * N), *qaly = tv_alloc(3 * N);
    double *cc = tv_alloc(3 * N), *cq = tv_alloc(3 * N);
    nonlinear_sample(N, 150.0, 0.005, x, cost, qaly, cc, cq);
    double e1[NW], s1[NW], e2[NW], s2[NW];
    tv_evppi(N, 3, cost, qaly, NW, wtp, 2, x, e1, s1, NULL);
    tv_evppi(N, 3, cost, qaly, NW, wtp, 2, x, e2, s2, NULL);
    cr_assert(memcmp(e1, e2, sizeof e1) == 0 && memcmp(s1, s2, sizeof s1) == 0);
    free(x);
    free(cost);
    free(qaly);
    free(cc);
    free(cq);
}

/* ---- (d) cross-check against R's mgcv ------------------------------------ */

static double run_mgcv(const char *csv, double wtp, const char *cols)
{
    cr_assert(access("/usr/bin/Rscript", X_OK) == 0 || system("command -v Rscript >/dev/null 2>&1") == 0,
              "Rscript is needed for the mgcv cross-check (setup.sh installs r-base-core and r-cran-mgcv)");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "Rscript '%s/tests/mgcv_evppi.R' '%s' %.17g '%s' 2>&1", PAINSIM_SOURCE_DIR, csv, wtp,
             cols);
    FILE *f = popen(cmd, "r");
    cr_assert_not_null(f, "cannot run %s", cmd);
    char line[1024];
    double v = NAN;
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "evppi %lf", &v) == 1)
            found = 1;
        else
            fprintf(stderr, "mgcv_evppi.R: %s", line);
    int rc = pclose(f);
    cr_assert(rc == 0 && found, "%s failed (status %d)", cmd, rc);
    return v;
}

Test(voi, evppi_agrees_with_mgcv, .timeout = 600)
{
    enum { N = 2000, NW = 2 };
    const double wtp[NW] = {20000.0, 30000.0};
    double *x = tv_alloc(2 * N), *x1 = tv_alloc(N), *cost = tv_alloc(3 * N), *qaly = tv_alloc(3 * N);
    double *cc = tv_alloc(3 * N), *cq = tv_alloc(3 * N);
    nonlinear_sample(N, 150.0, 0.005, x, cost, qaly, cc, cq);
    for (int i = 0; i < N; i++)
        x1[i] = x[2 * i];

    char path[] = "/tmp/painsim_voi_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    cr_assert_not_null(f);
    const char *names[3] = {"usual care", "drug A", "drug B"};
    fprintf(f, "x1,x2");
    for (int s = 0; s < 3; s++)
        fprintf(f, ",cost:%s,qaly:%s", names[s], names[s]);
    fprintf(f, "\n");
    for (int i = 0; i < N; i++) {
        fprintf(f, "%.17g,%.17g", x[2 * i], x[2 * i + 1]);
        for (int s = 0; s < 3; s++)
            fprintf(f, ",%.17g,%.17g", cost[3 * i + s], qaly[3 * i + s]);
        fprintf(f, "\n");
    }
    cr_assert_eq(fclose(f), 0);

    double e1[NW], se1[NW], e12[NW], se12[NW];
    tv_evppi(N, 3, cost, qaly, NW, wtp, 1, x1, e1, se1, NULL);
    tv_evppi(N, 3, cost, qaly, NW, wtp, 2, x, e12, se12, NULL);
    for (int w = 0; w < NW; w++) {
        double r1 = run_mgcv(path, wtp[w], "x1");
        double r12 = run_mgcv(path, wtp[w], "x1,x2");
        fprintf(stderr, "mgcv, WTP %.0f: EVPPI(x1) C %.3f (SE %.3f) mgcv %.3f; EVPPI(x1,x2) C %.3f (SE %.3f) mgcv %.3f\n",
                wtp[w], e1[w], se1[w], r1, e12[w], se12[w], r12);
        cr_assert(fabs(e1[w] - r1) <= 4.0 * se1[w], "WTP %g: EVPPI(x1) %g, mgcv %g, SE %g", wtp[w], e1[w], r1, se1[w]);
        cr_assert(fabs(e12[w] - r12) <= 4.0 * se12[w], "WTP %g: EVPPI(x1,x2) %g, mgcv %g, SE %g", wtp[w], e12[w], r12,
                  se12[w]);
    }
    unlink(path);
    free(x);
    free(x1);
    free(cost);
    free(qaly);
    free(cc);
    free(cq);
}

/* ---- speed: n = 1000, 7 strategies, 32 WTP values, 200 SE draws ----------- */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

Test(voi, evppi_speed)
{
    enum { N = 1000, S = 7, NW = 32, PMAX = 20 };
    double *x = tv_alloc((size_t)N * PMAX), *cost = tv_alloc((size_t)N * S), *qaly = tv_alloc((size_t)N * S);
    psim_rng rng;
    psim_rng_keyed(&rng, TV_SEED, 0, 0, PSIM_PURPOSE_PSA, 4);
    for (int i = 0; i < N; i++) {
        double *xi = x + (size_t)i * PMAX;
        for (int j = 0; j < PMAX; j++)
            xi[j] = psim_rng_normal(&rng);
        for (int s = 0; s < S; s++) {
            double e = psim_rng_normal(&rng);
            cost[(size_t)i * S + s] = 1000.0 + 50.0 * s + 100.0 * xi[s % PMAX] * xi[(s + 1) % PMAX] + 50.0 * e;
            qaly[(size_t)i * S + s] = 1.0 + 0.005 * s + 0.01 * sin(xi[(s + 2) % PMAX]);
        }
    }
    double wtp[NW], ev[NW], se[NW];
    for (int w = 0; w < NW; w++)
        wtp[w] = 1000.0 * w;
    const int ps[3] = {1, 4, 20};
    for (int t = 0; t < 3; t++) {
        /* the first ps[t] columns, as a contiguous n x p array */
        double *xp = tv_alloc((size_t)N * ps[t]);
        for (int i = 0; i < N; i++)
            for (int j = 0; j < ps[t]; j++)
                xp[(size_t)i * ps[t] + j] = x[(size_t)i * PMAX + j];
        double t0 = seconds_now();
        tv_evppi(N, S, cost, qaly, NW, wtp, ps[t], xp, ev, se, NULL);
        double t1 = seconds_now();
        tv_evppi(N, S, cost, qaly, NW, wtp, ps[t], xp, ev, NULL, NULL);
        double t2 = seconds_now();
        fprintf(stderr, "speed n=%d S=%d %d WTP p=%d: %.3f s with 200 SE draws, %.3f s without\n", N, S, NW, ps[t],
                t1 - t0, t2 - t1);
        free(xp);
    }
    free(x);
    free(cost);
    free(qaly);
}
