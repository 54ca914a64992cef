/* Calibration: Nelder-Mead from several starts and the IMIS posterior
 * (painsim/calibrate.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate/calib_internal.h"
#include "output/outfile.h"
#include "painsim/rng.h"

#define MAXP PSIM_CALIB_MAX_PARAMS

/* Bounded parameters in logit coordinates: theta = lo + (hi - lo) / (1 + e^-x). */
static void to_theta(const psim_calib *c, const double *x, double *theta)
{
    for (int p = 0; p < c->n_params; p++) {
        const psim_calib_param *q = &c->params[p];
        theta[p] = q->lo + (q->hi - q->lo) / (1.0 + exp(-x[p]));
    }
}

static double logit_of(const psim_calib_param *q, double theta)
{
    double u = (theta - q->lo) / (q->hi - q->lo);
    u = u < 1e-9 ? 1e-9 : (u > 1 - 1e-9 ? 1 - 1e-9 : u);
    return log(u / (1.0 - u));
}

typedef struct nm_eval {
    psim_calib *c;
    int evals;
    psim_error *err;
    psim_status st;
} nm_eval;

static double objective(nm_eval *e, const double *x)
{
    double theta[MAXP], dev = HUGE_VAL;
    if (e->st != PSIM_OK)
        return HUGE_VAL;
    to_theta(e->c, x, theta);
    e->st = psim_calib_evaluate(e->c, theta, &dev, NULL, NULL, NULL, e->err);
    e->evals++;
    return e->st == PSIM_OK ? dev : HUGE_VAL;
}

/* Nelder-Mead (Lagarias et al. 1998 coefficients: reflection 1, expansion 2,
 * contraction 1/2, shrink 1/2) from x0 with initial steps of `step`.  Stops
 * after max_evals evaluations, or when the simplex's deviances agree within
 * 1e-6 and its vertices within 1e-4 (logit units). */
static double nelder_mead(nm_eval *e, int n, double *x0, double step, int max_evals)
{
    double s[MAXP + 1][MAXP], f[MAXP + 1], xr[MAXP], xe[MAXP], xc[MAXP], cen[MAXP];
    for (int i = 0; i <= n; i++) {
        memcpy(s[i], x0, (size_t)n * sizeof *x0);
        if (i > 0)
            s[i][i - 1] += step;
        f[i] = objective(e, s[i]);
    }
    int start_evals = e->evals - (n + 1);
    while (e->st == PSIM_OK && e->evals - start_evals < max_evals) {
        /* order: insertion sort by f (ties keep their order) */
        for (int i = 1; i <= n; i++) {
            double fi = f[i], si[MAXP];
            memcpy(si, s[i], sizeof si);
            int j = i - 1;
            while (j >= 0 && f[j] > fi) {
                f[j + 1] = f[j];
                memcpy(s[j + 1], s[j], sizeof s[j]);
                j--;
            }
            f[j + 1] = fi;
            memcpy(s[j + 1], si, sizeof si);
        }
        double diam = 0.0;
        for (int i = 1; i <= n; i++)
            for (int k = 0; k < n; k++)
                diam = fmax(diam, fabs(s[i][k] - s[0][k]));
        if (f[n] - f[0] <= 1e-6 && diam <= 1e-4)
            break;
        for (int k = 0; k < n; k++) {
            cen[k] = 0.0;
            for (int i = 0; i < n; i++)
                cen[k] += s[i][k];
            cen[k] /= n;
        }
        for (int k = 0; k < n; k++)
            xr[k] = cen[k] + (cen[k] - s[n][k]);
        double fr = objective(e, xr);
        if (fr < f[0]) {
            for (int k = 0; k < n; k++)
                xe[k] = cen[k] + 2.0 * (cen[k] - s[n][k]);
            double fe = objective(e, xe);
            if (fe < fr) {
                memcpy(s[n], xe, (size_t)n * sizeof *xe);
                f[n] = fe;
            } else {
                memcpy(s[n], xr, (size_t)n * sizeof *xr);
                f[n] = fr;
            }
            continue;
        }
        if (fr < f[n - 1]) {
            memcpy(s[n], xr, (size_t)n * sizeof *xr);
            f[n] = fr;
            continue;
        }
        int outside = fr < f[n];
        for (int k = 0; k < n; k++)
            xc[k] = outside ? cen[k] + 0.5 * (xr[k] - cen[k]) : cen[k] + 0.5 * (s[n][k] - cen[k]);
        double fc = objective(e, xc);
        if (fc < (outside ? fr : f[n])) {
            memcpy(s[n], xc, (size_t)n * sizeof *xc);
            f[n] = fc;
            continue;
        }
        for (int i = 1; i <= n; i++) {
            for (int k = 0; k < n; k++)
                s[i][k] = s[0][k] + 0.5 * (s[i][k] - s[0][k]);
            f[i] = objective(e, s[i]);
        }
    }
    int best = 0;
    for (int i = 1; i <= n; i++)
        if (f[i] < f[best])
            best = i;
    memcpy(x0, s[best], (size_t)n * sizeof *x0);
    return f[best];
}

static int cholesky(int n, const double *a, double *L);

/* Standard errors from the curvature of the deviance at theta (deviance =
 * -2 log likelihood + const, so the covariance is about 2 H^-1).  Steps of 2%
 * of each parameter's range (smaller near a bound), large enough that the
 * common-random-number objective's small steps do not dominate. */
static psim_status laplace_se(psim_calib *c, const double *theta, double f0, double *se, int *evals,
                              psim_error *err)
{
    const int n = c->n_params;
    double h[MAXP], H[MAXP * MAXP] = {0}, L[MAXP * MAXP];
    for (int p = 0; p < n; p++) {
        const psim_calib_param *q = &c->params[p];
        double room = fmin(theta[p] - q->lo, q->hi - theta[p]);
        h[p] = fmin(0.02 * (q->hi - q->lo), 0.9 * room);
        if (!(h[p] > 0))
            h[p] = 1e-6 * (q->hi - q->lo);
    }
    double t[MAXP];
    psim_status st;
#define F(out)                                                                   \
    do {                                                                         \
        st = psim_calib_evaluate(c, t, &(out), NULL, NULL, NULL, err);           \
        if (st != PSIM_OK)                                                       \
            return st;                                                           \
        (*evals)++;                                                              \
    } while (0)
    for (int p = 0; p < n; p++) {
        double fp, fm;
        memcpy(t, theta, (size_t)n * sizeof *t);
        t[p] = theta[p] + h[p];
        F(fp);
        t[p] = theta[p] - h[p];
        F(fm);
        H[p * n + p] = (fp - 2.0 * f0 + fm) / (h[p] * h[p]);
        for (int q = 0; q < p; q++) {
            double fpp, fpm, fmp, fmm;
            memcpy(t, theta, (size_t)n * sizeof *t);
            t[p] = theta[p] + h[p];
            t[q] = theta[q] + h[q];
            F(fpp);
            t[q] = theta[q] - h[q];
            F(fpm);
            t[p] = theta[p] - h[p];
            F(fmm);
            t[q] = theta[q] + h[q];
            F(fmp);
            H[p * n + q] = H[q * n + p] = (fpp - fpm - fmp + fmm) / (4.0 * h[p] * h[q]);
        }
    }
#undef F
    if (!cholesky(n, H, L)) {
        for (int p = 0; p < n; p++)
            se[p] = NAN;
        return PSIM_OK;
    }
    /* diag(H^-1): solve L L^T x = e_p for each p */
    for (int p = 0; p < n; p++) {
        double y[MAXP], x[MAXP];
        for (int i = 0; i < n; i++) {
            double s = i == p ? 1.0 : 0.0;
            for (int k = 0; k < i; k++)
                s -= L[i * n + k] * y[k];
            y[i] = s / L[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++)
                s -= L[k * n + i] * x[k];
            x[i] = s / L[i * n + i];
        }
        se[p] = sqrt(2.0 * x[p]);
    }
    return PSIM_OK;
}

psim_status psim_calib_run_fit(psim_calib *c, psim_calib_fit *fit, psim_calib_progress_fn progress,
                               void *progress_data, psim_error *err)
{
    psim_error_clear(err);
    memset(fit, 0, sizeof *fit);
    const int n = c->n_params;
    const int starts = c->settings.starts < 16 ? c->settings.starts : 16;
    fit->n_params = n;
    fit->n_targets = c->n_targets;
    fit->starts = starts;
    fit->deviance = HUGE_VAL;
    nm_eval e = {c, 0, err, PSIM_OK};
    double best_x[MAXP];
    for (int k = 0; k < starts; k++) {
        double x[MAXP];
        if (k == 0) {
            for (int p = 0; p < n; p++)
                x[p] = logit_of(&c->params[p], c->params[p].start);
        } else {
            /* further starts: uniform in the middle 80% of the box */
            psim_rng rng;
            psim_rng_keyed(&rng, c->settings.seed, 0, (uint64_t)k, PSIM_PURPOSE_CALIBRATE, 0);
            for (int p = 0; p < n; p++) {
                double u = 0.1 + 0.8 * psim_rng_uniform(&rng);
                x[p] = log(u / (1.0 - u));
            }
        }
        int before = e.evals;
        double f = nelder_mead(&e, n, x, 0.8, c->settings.max_evaluations);
        if (e.st != PSIM_OK)
            return e.st;
        /* one restart from the point found (Nelder-Mead can stall on a face) */
        f = nelder_mead(&e, n, x, 0.2, c->settings.max_evaluations);
        if (e.st != PSIM_OK)
            return e.st;
        to_theta(c, x, fit->start_theta[k]);
        fit->start_deviance[k] = f;
        fit->start_evaluations[k] = e.evals - before;
        if (f < fit->deviance) {
            fit->deviance = f;
            memcpy(best_x, x, sizeof best_x);
        }
        if (progress)
            progress(progress_data, k, starts, f, e.evals - before);
    }
    to_theta(c, best_x, fit->theta);
    psim_status hs = laplace_se(c, fit->theta, fit->deviance, fit->se, &e.evals, err);
    if (hs != PSIM_OK)
        return hs;
    fit->evaluations = e.evals;
    psim_status st = psim_calib_evaluate(c, fit->theta, &fit->deviance, fit->model, fit->model_se, fit->z, err);
    if (st != PSIM_OK)
        return st;
    for (int t = 0; t < c->n_targets; t++) {
        const psim_calib_target *tg = &c->targets[t];
        if (tg->binomial) {
            double p = fit->model[t];
            p = p < 1e-9 ? 1e-9 : (p > 1 - 1e-9 ? 1 - 1e-9 : p);
            double k = tg->count, m = tg->n;
            fit->target_deviance[t] = 2.0 * ((k > 0 ? k * log(k / (m * p)) : 0.0) +
                                             (m - k > 0 ? (m - k) * log((m - k) / (m * (1 - p))) : 0.0));
        } else {
            fit->target_deviance[t] = fit->z[t] * fit->z[t];
        }
    }
    return PSIM_OK;
}

/* ---- IMIS ------------------------------------------------------------------ */

/* Cholesky factor L (lower) of the n x n matrix a (row-major); 0 if not positive definite. */
static int cholesky(int n, const double *a, double *L)
{
    memset(L, 0, (size_t)n * n * sizeof *L);
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++) {
            double s = a[i * n + j];
            for (int k = 0; k < j; k++)
                s -= L[i * n + k] * L[j * n + k];
            if (i == j) {
                if (!(s > 0))
                    return 0;
                L[i * n + i] = sqrt(s);
            } else {
                L[i * n + j] = s / L[j * n + j];
            }
        }
    return 1;
}

typedef struct gauss {
    double mu[MAXP], L[MAXP * MAXP], log_norm; /* log of (2 pi)^(-n/2) / det L */
} gauss;

static double gauss_pdf(const gauss *g, int n, const double *u)
{
    /* solve L y = u - mu; density exp(-|y|^2 / 2) x norm */
    double y[MAXP], q = 0.0;
    for (int i = 0; i < n; i++) {
        double s = u[i] - g->mu[i];
        for (int k = 0; k < i; k++)
            s -= g->L[i * n + k] * y[k];
        y[i] = s / g->L[i * n + i];
        q += y[i] * y[i];
    }
    return exp(g->log_norm - 0.5 * q);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

psim_status psim_calib_run_posterior(psim_calib *c, psim_calib_posterior *post, psim_error *err)
{
    psim_error_clear(err);
    memset(post, 0, sizeof *post);
    const int n = c->n_params;
    const psim_calib_settings *cs = &c->settings;
    const int N0 = cs->prior_samples, B = cs->imis_batch, R = cs->imis_rounds;
    if (N0 <= 0)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "no posterior: calibration.prior_samples is 0");
    const int cap = N0 + R * B;
    double *U = malloc((size_t)cap * n * sizeof *U);   /* points in the unit box */
    double *ll = malloc((size_t)cap * sizeof *ll);     /* log-likelihood, -deviance / 2 */
    double *w = malloc((size_t)cap * sizeof *w);
    double *qmix = calloc((size_t)cap, sizeof *qmix);  /* sum over components of their density */
    gauss *comp = malloc((size_t)(R > 0 ? R : 1) * sizeof *comp);
    int *order = malloc((size_t)cap * sizeof *order);
    double *dist = malloc((size_t)cap * sizeof *dist);
    psim_status st = PSIM_OK;
    if (!U || !ll || !w || !qmix || !comp || !order || !dist) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the IMIS sample");
        goto cleanup;
    }
    psim_rng rng;
    psim_rng_keyed(&rng, cs->seed, 1, 0, PSIM_PURPOSE_CALIBRATE, 1);
    int N = 0, evals = 0;
    /* evaluate the points [from, N) */
#define EVAL_NEW(from)                                                                      \
    for (int i = (from); i < N; i++) {                                                      \
        double th[MAXP], dev;                                                               \
        int inside = 1;                                                                     \
        for (int p = 0; p < n; p++) {                                                       \
            double u = U[(size_t)i * n + p];                                                \
            inside &= u > 0.0 && u < 1.0;                                                   \
            th[p] = c->params[p].lo + (c->params[p].hi - c->params[p].lo) * u;              \
        }                                                                                   \
        if (!inside) {                                                                      \
            ll[i] = -HUGE_VAL;                                                              \
            continue;                                                                       \
        }                                                                                   \
        st = psim_calib_evaluate(c, th, &dev, NULL, NULL, NULL, err);                       \
        if (st != PSIM_OK)                                                                  \
            goto cleanup;                                                                   \
        evals++;                                                                            \
        ll[i] = -0.5 * dev;                                                                 \
    }
    for (; N < N0; N++)
        for (int p = 0; p < n; p++)
            U[(size_t)N * n + p] = psim_rng_uniform(&rng);
    EVAL_NEW(0)
    for (int r = 0; r <= R; r++) {
        /* weights: likelihood x prior / mixture, the mixture being
         * (N0 / N) prior + (B / N) sum of the components so far (prior = 1 on the box) */
        double lmax = -HUGE_VAL;
        for (int i = 0; i < N; i++)
            lmax = fmax(lmax, ll[i]);
        double wsum = 0.0;
        for (int i = 0; i < N; i++) {
            double q = ((double)N0 + (double)B * qmix[i]) / (double)N;
            w[i] = isfinite(ll[i]) ? exp(ll[i] - lmax) / q : 0.0;
            wsum += w[i];
        }
        for (int i = 0; i < N; i++)
            w[i] /= wsum;
        if (r == R)
            break;
        /* a new component at the point of highest weight, with the weighted
         * covariance of its B nearest points (in the unit box, where the
         * prior's covariance is a multiple of the identity) */
        int best = 0;
        for (int i = 1; i < N; i++)
            if (w[i] > w[best])
                best = i;
        const double *mu = U + (size_t)best * n;
        for (int i = 0; i < N; i++) {
            double d2 = 0.0;
            for (int p = 0; p < n; p++) {
                double d = U[(size_t)i * n + p] - mu[p];
                d2 += d * d;
            }
            dist[i] = d2;
            order[i] = i;
        }
        /* partial selection of the B nearest (simple: sort indices by distance) */
        for (int i = 1; i < N; i++) {
            int oi = order[i], j = i - 1;
            while (j >= 0 && dist[order[j]] > dist[oi]) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = oi;
        }
        int nb = B < N ? B : N;
        double cov[MAXP * MAXP] = {0}, ws = 0.0;
        for (int a = 0; a < nb; a++) {
            int i = order[a];
            double wi = 0.5 * (w[i] + 1.0 / N); /* Raftery & Bao: weights averaged with 1/N */
            ws += wi;
            for (int p = 0; p < n; p++)
                for (int q = 0; q < n; q++)
                    cov[p * n + q] += wi * (U[(size_t)i * n + p] - mu[p]) * (U[(size_t)i * n + q] - mu[q]);
        }
        for (int p = 0; p < n * n; p++)
            cov[p] /= ws;
        for (int p = 0; p < n; p++)
            cov[p * n + p] += 1e-8;
        gauss *g = &comp[r];
        memcpy(g->mu, mu, (size_t)n * sizeof *mu);
        if (!cholesky(n, cov, g->L)) {
            memset(cov, 0, sizeof cov);
            for (int p = 0; p < n; p++)
                cov[p * n + p] = 1e-4;
            (void)cholesky(n, cov, g->L);
        }
        double logdet = 0.0;
        for (int p = 0; p < n; p++)
            logdet += log(g->L[p * n + p]);
        g->log_norm = -0.5 * n * log(6.283185307179586) - logdet;
        int from = N;
        for (int b = 0; b < B; b++, N++) {
            double z[MAXP];
            for (int p = 0; p < n; p++)
                z[p] = psim_rng_normal(&rng);
            for (int p = 0; p < n; p++) {
                double v = g->mu[p];
                for (int k = 0; k <= p; k++)
                    v += g->L[p * n + k] * z[k];
                U[(size_t)N * n + p] = v;
            }
        }
        EVAL_NEW(from)
        /* the new component's density at every point, the new points' density under the old ones */
        for (int i = 0; i < N; i++) {
            if (i >= from)
                for (int k = 0; k < r; k++)
                    qmix[i] += gauss_pdf(&comp[k], n, U + (size_t)i * n);
            qmix[i] += gauss_pdf(g, n, U + (size_t)i * n);
        }
    }
#undef EVAL_NEW
    {
        double s2 = 0.0;
        for (int i = 0; i < N; i++)
            s2 += w[i] * w[i];
        post->ess = s2 > 0 ? 1.0 / s2 : 0.0;
    }
    post->n_params = n;
    post->n_draws = cs->posterior_draws;
    post->evaluations = evals;
    post->draws = malloc((size_t)post->n_draws * n * sizeof *post->draws);
    if (!post->draws) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the posterior draws");
        goto cleanup;
    }
    /* systematic resampling: one uniform, then steps of 1 / draws */
    {
        double u0 = psim_rng_uniform(&rng) / post->n_draws, cum = w[0];
        int i = 0;
        for (int d = 0; d < post->n_draws; d++) {
            double target = u0 + (double)d / post->n_draws;
            while (cum < target && i < N - 1)
                cum += w[++i];
            for (int p = 0; p < n; p++)
                post->draws[(size_t)d * n + p] =
                    c->params[p].lo + (c->params[p].hi - c->params[p].lo) * U[(size_t)i * n + p];
        }
    }
    /* summaries: the weighted mean and sd, quantiles of the draws */
    for (int p = 0; p < n; p++) {
        double m = 0.0, v = 0.0;
        for (int i = 0; i < N; i++)
            m += w[i] * (c->params[p].lo + (c->params[p].hi - c->params[p].lo) * U[(size_t)i * n + p]);
        for (int i = 0; i < N; i++) {
            double d = c->params[p].lo + (c->params[p].hi - c->params[p].lo) * U[(size_t)i * n + p] - m;
            v += w[i] * d * d;
        }
        post->mean[p] = m;
        post->sd[p] = sqrt(v);
        double *col = dist; /* reuse: at least n_draws? not necessarily */
        double *tmp = post->n_draws <= cap ? col : malloc((size_t)post->n_draws * sizeof *tmp);
        if (!tmp) {
            st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
            goto cleanup;
        }
        for (int d = 0; d < post->n_draws; d++)
            tmp[d] = post->draws[(size_t)d * n + p];
        qsort(tmp, (size_t)post->n_draws, sizeof *tmp, cmp_double);
        post->q025[p] = tmp[(int)floor(0.025 * (post->n_draws - 1))];
        post->q975[p] = tmp[(int)ceil(0.975 * (post->n_draws - 1))];
        if (tmp != col)
            free(tmp);
    }
cleanup:
    free(U);
    free(ll);
    free(w);
    free(qmix);
    free(comp);
    free(order);
    free(dist);
    if (st != PSIM_OK)
        psim_calib_posterior_free(post);
    return st;
}

void psim_calib_posterior_free(psim_calib_posterior *post)
{
    if (!post)
        return;
    free(post->draws);
    post->draws = NULL;
    post->n_draws = 0;
}

psim_status psim_calib_write_draws(const psim_calib *c, const psim_calib_posterior *post, FILE *fp,
                                   psim_error *err)
{
    for (int p = 0; p < c->n_params; p++)
        fprintf(fp, "%s%s", p ? "," : "", c->params[p].name);
    fputc('\n', fp);
    for (int d = 0; d < post->n_draws; d++) {
        for (int p = 0; p < c->n_params; p++)
            fprintf(fp, "%s%.17g", p ? "," : "", post->draws[(size_t)d * c->n_params + p]);
        fputc('\n', fp);
    }
    if (fflush(fp) != 0 || ferror(fp))
        return psim_error_set(err, PSIM_ERR_IO, NULL, 0, 0, "cannot write the posterior draws");
    return PSIM_OK;
}

psim_status psim_calib_write_draws_file(const psim_calib *c, const psim_calib_posterior *post, const char *path,
                                        int force, psim_error *err)
{
    psim_outfile out;
    psim_status st = psim_outfile_begin(&out, path, force, NULL, NULL, err);
    if (st != PSIM_OK)
        return st;
    int fd = dup(out.fd);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!fp) {
        if (fd >= 0)
            close(fd);
        st = psim_error_set(err, PSIM_ERR_IO, path, 0, 0, "cannot write: %s", strerror(errno));
    } else {
        st = psim_calib_write_draws(c, post, fp, err);
        if (fclose(fp) != 0 && st == PSIM_OK)
            st = psim_error_set(err, PSIM_ERR_IO, path, 0, 0, "cannot write: %s", strerror(errno));
    }
    if (st == PSIM_OK)
        st = psim_outfile_commit(&out, err);
    psim_outfile_abort(&out);
    return st;
}
