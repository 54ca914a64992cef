/*
 * Decision uncertainty and the value of information (include/painsim/voi.h).
 *
 * psim_voi_decision: one pass over the iterations per WTP value (plus one per
 * strategy for the mean NMB); the EVPI SE uses Welford's running variance of
 * the per-iteration loss of the optimal strategy.
 *
 * psim_evppi: the regression estimator of Strong, Oakley & Brennan (2014).
 * Design choices:
 *
 *  - Columns.  A column whose range is zero (relative 1e-12) is dropped; when
 *    no column is left EVPPI is 0 with SE 0.  Each kept column is scaled to
 *    [0, 1], so one smoothing parameter is meaningful across columns.
 *
 *  - Marginal basis.  Cubic B-splines with K functions: breakpoints at the
 *    quantiles 0, 1/m, ..., 1 of the column (m = K - 3 intervals, as mgcv's
 *    "cr" basis places its knots), or equally spaced when the quantiles are
 *    too close together (many ties); three extra knots beyond each end.
 *    K = 10 for one column; 6, 5, 4 per margin for 2, 3, 4 columns (36, 125,
 *    256 coefficients); 10 per column for the additive model.
 *
 *  - Penalty.  Second divided differences of the coefficients with respect to
 *    the Greville abscissae (for equally spaced knots these are Eilers and
 *    Marx's second differences; for quantile knots they still vanish exactly
 *    on linear functions, so a linear effect is never shrunk).  P = D'D.
 *
 *  - p = 1..4: tensor product of the marginal bases (no separate intercept:
 *    the basis is a partition of unity), penalty sum_j I x .. x P_j x .. x I
 *    with ONE smoothing parameter.  p > 4: additive model, intercept plus,
 *    for each column, its B-spline basis centred over the data with the last
 *    function dropped (the centred functions sum to zero; the penalty does not
 *    depend on the representation because D annihilates constants), with the
 *    block-diagonal penalty and one smoothing parameter.
 *
 *  - Fit.  The responses are the incremental cost dC and QALYs dQ of strategy
 *    s against strategy 0, centred (the basis contains the constants and the
 *    penalty does not touch them, so centring changes only the intercept).
 *    For WTP lambda the response is y = lambda dQ - dC.  Once per call:
 *    A = X'X + ridge (ridge 1e-10 * max diag, so an empty basis function
 *    cannot make A singular), Cholesky A = R'R (dpotrf), the eigen
 *    decomposition R^-T P R^-1 = U diag(d) U' (dsyev), G = R^-1 U and
 *    F = X G (F'F = I up to the ridge).  Once per strategy: bC = F'dC,
 *    bQ = F'dQ and the residual sums of squares of the unpenalised fits,
 *    computed from the residual vectors (no cancellation).  Then for any
 *    smoothing parameter e^rho and any lambda, with b = lambda bQ - bC and
 *    f_j = 1 / (1 + e^rho d_j):
 *        edf = sum f_j,   RSS = RSS_0(lambda) + sum b_j^2 (1 - f_j)^2,
 *        GCV = n RSS / (n - edf)^2,   fitted values = mean(y) + F (f .* b),
 *    all O(k) except the fitted values.
 *
 *  - Smoothing parameter.  GCV (mgcv's default criterion for gam()), chosen
 *    per strategy and per lambda: 41 points of rho from -ln(d_max) - 3 to
 *    -ln(d_min+) + 12 (the whole range from the unpenalised fit to the null
 *    space fit), then golden-section search (40 steps) in the bracket around
 *    the best grid point.
 *
 *  - SE.  Coefficients are drawn from N(beta_hat, V), V = sigma^2 (X'X + sP)^-1
 *    with sigma^2 = RSS / (n - edf) (mgcv's Vp); in the eigen basis this is
 *    f .* b + sigma sqrt(f) .* z with z ~ N(0, I).  The z of strategy s are one
 *    PCG32 stream keyed (seed, 0, 0, PSIM_PURPOSE_PSA, 1000 + s), the same for
 *    every lambda (common random numbers: the SE curve is smooth in lambda).
 *    Each draw gives an EVPPI; the SE is their standard deviation.  The draws
 *    dominate the cost (n k D per strategy and lambda done directly); the
 *    scalings sqrt(f) of one strategy over the lambdas have low numerical
 *    rank, which evppi_draws exploits (see there).
 *
 * Everything is deterministic: reference BLAS/LAPACK, fixed loop orders.
 */
#include "painsim/voi.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "painsim/rng.h"

/* ---- decision uncertainty ----------------------------------------------- */

void psim_voi_decision(int n, int S, const double *cost, const double *qaly, int n_wtp, const double *wtp,
                       double *ceac, double *enmb, double *loss, int *ceaf_strategy, double *ceaf, double *evpi,
                       double *evpi_se)
{
    if (n <= 0 || S <= 0 || n_wtp <= 0 || !cost || !qaly || !wtp)
        return;
    for (int w = 0; w < n_wtp; w++) {
        const double lam = wtp[w];
        /* mean NMB of each strategy and the optimal one (ties: lowest index) */
        int best = 0;
        double best_mean = 0.0;
        for (int s = 0; s < S; s++) {
            double sum = 0.0;
            for (int i = 0; i < n; i++)
                sum += lam * qaly[(size_t)i * S + s] - cost[(size_t)i * S + s];
            double mean = sum / n;
            if (enmb)
                enmb[(size_t)w * S + s] = mean;
            if (s == 0 || mean > best_mean) {
                best = s;
                best_mean = mean;
            }
        }
        if (ceac)
            for (int s = 0; s < S; s++)
                ceac[(size_t)w * S + s] = 0.0;
        if (loss)
            for (int s = 0; s < S; s++)
                loss[(size_t)w * S + s] = 0.0;
        long n_best = 0;
        double m = 0.0, m2 = 0.0; /* Welford: mean and sum of squared deviations of the loss of `best` */
        for (int i = 0; i < n; i++) {
            const double *c = cost + (size_t)i * S, *q = qaly + (size_t)i * S;
            int arg = 0;
            double mx = lam * q[0] - c[0];
            for (int s = 1; s < S; s++) {
                double v = lam * q[s] - c[s];
                if (v > mx) {
                    mx = v;
                    arg = s;
                }
            }
            if (ceac)
                ceac[(size_t)w * S + arg] += 1.0;
            if (loss)
                for (int s = 0; s < S; s++)
                    loss[(size_t)w * S + s] += mx - (lam * q[s] - c[s]);
            n_best += arg == best;
            double li = mx - (lam * q[best] - c[best]);
            double delta = li - m;
            m += delta / (i + 1);
            m2 += delta * (li - m);
        }
        if (ceac)
            for (int s = 0; s < S; s++)
                ceac[(size_t)w * S + s] /= n;
        if (loss)
            for (int s = 0; s < S; s++)
                loss[(size_t)w * S + s] /= n;
        if (ceaf_strategy)
            ceaf_strategy[w] = best;
        if (ceaf)
            ceaf[w] = (double)n_best / n;
        if (evpi)
            evpi[w] = m;
        if (evpi_se)
            evpi_se[w] = n > 1 ? sqrt(m2 / (n - 1)) / sqrt((double)n) : 0.0;
    }
}

double psim_unit_normal_loss(double z)
{
    /* phi(z) - z (1 - Phi(z)), with 1 - Phi(z) = erfc(z / sqrt 2) / 2 */
    const double phi = exp(-0.5 * z * z) * 0.39894228040143267794;
    const double upper = 0.5 * erfc(z * 0.70710678118654752440);
    return phi - z * upper;
}

/* ---- EVPPI ---------------------------------------------------------------- */

psim_evppi_options psim_evppi_options_default(void)
{
    psim_evppi_options o;
    o.se_draws = 200;
    o.seed = 0x5eed0e7661ULL;
    return o;
}

#define VOI_MAX_TENSOR 4
#define VOI_K_ONE 10
#define VOI_K_ADDITIVE 10
#define VOI_GRID 41
#define VOI_GOLDEN_STEPS 40
#define VOI_RIDGE 1e-10

/* One column's cubic B-spline basis: knots t[0 .. K+3], breakpoints t[3 .. K]. */
typedef struct {
    int K;
    double t[VOI_K_ADDITIVE + 4 + 4];
} voi_spline;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Knots for u in [0, 1] (sorted copy in `sorted`). */
static void spline_knots(voi_spline *sp, int K, const double *sorted, int n)
{
    const int m = K - 3; /* intervals */
    double b[VOI_K_ADDITIVE];
    b[0] = 0.0;
    b[m] = 1.0;
    int ok = 1;
    for (int j = 1; j < m; j++) {
        double pos = (double)j * (n - 1) / m;
        int lo = (int)pos;
        double fr = pos - lo;
        b[j] = lo + 1 < n ? sorted[lo] * (1.0 - fr) + sorted[lo + 1] * fr : sorted[n - 1];
    }
    for (int j = 1; j <= m; j++)
        if (b[j] - b[j - 1] < 0.1 / m)
            ok = 0;
    if (!ok)
        for (int j = 1; j < m; j++)
            b[j] = (double)j / m;
    sp->K = K;
    for (int j = 0; j <= m; j++)
        sp->t[3 + j] = b[j];
    double h0 = b[1] - b[0], h1 = b[m] - b[m - 1];
    for (int j = 0; j < 3; j++) {
        sp->t[j] = b[0] - (3 - j) * h0;
        sp->t[m + 4 + j] = b[m] + (j + 1) * h1;
    }
}

/* The K basis values at u (Cox-de Boor; at most four are nonzero). */
static void spline_eval(const voi_spline *sp, double u, double *out)
{
    const int K = sp->K, m = K - 3;
    const double *t = sp->t;
    int l = 3; /* t[l] <= u < t[l + 1], l in 3 .. m + 2 */
    while (l < m + 2 && u >= t[l + 1])
        l++;
    double N[4] = {1.0, 0.0, 0.0, 0.0}, left[4], right[4];
    for (int j = 1; j <= 3; j++) {
        left[j] = u - t[l + 1 - j];
        right[j] = t[l + j] - u;
        double saved = 0.0;
        for (int r = 0; r < j; r++) {
            double tmp = N[r] / (right[r + 1] + left[j - r]);
            N[r] = saved + right[r + 1] * tmp;
            saved = left[j - r] * tmp;
        }
        N[j] = saved;
    }
    for (int j = 0; j < K; j++)
        out[j] = 0.0;
    for (int r = 0; r < 4; r++)
        out[l - 3 + r] = N[r];
}

/* P = D'D for the second divided differences w.r.t. the Greville abscissae. */
static void spline_penalty(const voi_spline *sp, double *P)
{
    const int K = sp->K;
    double g[VOI_K_ADDITIVE];
    for (int j = 0; j < K; j++)
        g[j] = (sp->t[j + 1] + sp->t[j + 2] + sp->t[j + 3]) / 3.0;
    memset(P, 0, sizeof(double) * (size_t)K * K);
    for (int r = 0; r + 2 < K; r++) {
        double a = 1.0 / (g[r + 1] - g[r]), c = 1.0 / (g[r + 2] - g[r + 1]);
        double row[3] = {a, -a - c, c};
        for (int x = 0; x < 3; x++)
            for (int y = 0; y < 3; y++)
                P[(size_t)(r + x) * K + (r + y)] += row[x] * row[y];
    }
}

/* Per-strategy sufficient statistics of the regressions. */
typedef struct {
    double *bC, *bQ;      /* F' dC, F' dQ (centred responses), k each */
    double mC, mQ;        /* means of dC and dQ */
    double rCC, rCQ, rQQ; /* cross products of the unpenalised residuals */
} voi_strategy;

typedef struct {
    int n, k;
    const double *d; /* eigenvalues */
    const voi_strategy *st;
} voi_fitctx;

static double gcv_at(const voi_fitctx *c, double lam, double rho, double *edf_out, double *rss_out)
{
    const double s = exp(rho);
    double edf = 0.0, pen = 0.0;
    for (int j = 0; j < c->k; j++) {
        double f = 1.0 / (1.0 + s * c->d[j]);
        double b = lam * c->st->bQ[j] - c->st->bC[j];
        edf += f;
        pen += b * b * (1.0 - f) * (1.0 - f);
    }
    double r0 = lam * lam * c->st->rQQ - 2.0 * lam * c->st->rCQ + c->st->rCC;
    if (r0 < 0.0)
        r0 = 0.0;
    double rss = r0 + pen;
    if (edf_out)
        *edf_out = edf;
    if (rss_out)
        *rss_out = rss;
    double den = c->n - edf;
    return c->n * rss / (den * den);
}

/* GCV-optimal log smoothing parameter: grid, then golden section. */
static double choose_rho(const voi_fitctx *c, double lam, double rho_lo, double rho_hi)
{
    double best = 0.0, best_rho = rho_lo;
    int best_i = 0;
    const double step = (rho_hi - rho_lo) / (VOI_GRID - 1);
    for (int i = 0; i < VOI_GRID; i++) {
        double rho = rho_lo + i * step;
        double v = gcv_at(c, lam, rho, NULL, NULL);
        if (i == 0 || v < best) {
            best = v;
            best_rho = rho;
            best_i = i;
        }
    }
    double a = best_i > 0 ? best_rho - step : best_rho;
    double b = best_i < VOI_GRID - 1 ? best_rho + step : best_rho;
    const double gr = 0.61803398874989484820;
    double x1 = b - gr * (b - a), x2 = a + gr * (b - a);
    double f1 = gcv_at(c, lam, x1, NULL, NULL), f2 = gcv_at(c, lam, x2, NULL, NULL);
    for (int it = 0; it < VOI_GOLDEN_STEPS; it++) {
        if (f1 <= f2) {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - gr * (b - a);
            f1 = gcv_at(c, lam, x1, NULL, NULL);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + gr * (b - a);
            f2 = gcv_at(c, lam, x2, NULL, NULL);
        }
    }
    double xm = f1 <= f2 ? x1 : x2, fm = f1 <= f2 ? f1 : f2;
    return fm < best ? xm : best_rho;
}

/* SE of EVPPI by posterior draws.  For strategy s and WTP index l the fitted
 * values of a draw are
 *     ybar_sl + F (w_sl + sigma_sl a_sl .* z_sd),   a_sl = sqrt(f(rho_sl)),
 * with the same z_sd (a k-vector per strategy and draw) at every l.  Done
 * directly this costs n k D per (s, l).  The W scaling vectors a_sl of one
 * strategy span a space of low numerical rank (the smoothing parameter takes
 * few distinct values along lambda), so we factor the W x k matrix of them by
 * SVD, a_sl = sum_r c_slr u_sr, keep the singular values above 1e-9 of the
 * largest (the dropped part changes no scaling by more than that), and form
 * H_sr = F diag(u_sr) Z_s once: then a draw at l is sum_r c_slr H_sr, which
 * costs n D per term.  A strategy whose rank exceeds W / 2 is done directly.
 * Rows are processed in blocks (everything is row-separable) to bound memory. */
static psim_status evppi_draws(int n, int k, int S1, int W, int D, uint64_t seed, const double *F,
                               const double *fbar, const double *w, const double *a, const double *sigma,
                               const double *ybar, double *evppi_se, psim_error *err)
{
    psim_status st = PSIM_OK;
    double *Z = NULL, *Am = NULL, *sv = NULL, *Uw = NULL, *Vt = NULL, *superb = NULL, *basis = NULL;
    double *coef = NULL, *T = NULL, *H = NULL, *E = NULL, *Mx = NULL, *Gm = NULL, *rowsum = NULL, *mg = NULL;
    int *rank = NULL;
    size_t *hoff = NULL;
    const int mn = W < k ? W : k;

    Z = malloc(sizeof *Z * (size_t)S1 * D * k);
    rank = malloc(sizeof *rank * (size_t)S1);
    hoff = malloc(sizeof *hoff * (size_t)S1);
    Am = malloc(sizeof *Am * (size_t)W * k);
    sv = malloc(sizeof *sv * (size_t)mn);
    Uw = malloc(sizeof *Uw * (size_t)W * mn);
    Vt = malloc(sizeof *Vt * (size_t)mn * k);
    superb = malloc(sizeof *superb * (size_t)(mn > 1 ? mn : 2));
    basis = malloc(sizeof *basis * (size_t)S1 * mn * k);
    coef = malloc(sizeof *coef * (size_t)S1 * W * mn);
    mg = malloc(sizeof *mg * (size_t)W * D);
    rowsum = calloc((size_t)W * D, sizeof *rowsum);
    if (!Z || !rank || !hoff || !Am || !sv || !Uw || !Vt || !superb || !basis || !coef || !mg || !rowsum)
        goto nomem;
    for (int s = 0; s < S1; s++) {
        psim_rng rng;
        psim_rng_keyed(&rng, seed, 0, 0, PSIM_PURPOSE_PSA, 1000u + (uint64_t)s);
        for (size_t e = 0; e < (size_t)D * k; e++)
            Z[(size_t)s * D * k + e] = psim_rng_normal(&rng);
    }

    /* low-rank factors of the scalings */
    size_t total_rank = 0;
    for (int s = 0; s < S1; s++) {
        memcpy(Am, a + (size_t)s * W * k, sizeof *Am * (size_t)W * k);
        lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'S', 'S', W, k, Am, k, sv, Uw, mn, Vt, k, superb);
        if (info != 0) {
            st = psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0, "psim_evppi: SVD failed (info %d)", (int)info);
            goto cleanup;
        }
        int r = 0;
        while (r < mn && sv[r] > 1e-9 * sv[0])
            r++;
        if (2 * r > W)
            r = -1; /* direct */
        rank[s] = r;
        hoff[s] = total_rank;
        for (int q = 0; q < r; q++) {
            memcpy(basis + ((size_t)s * mn + q) * k, Vt + (size_t)q * k, sizeof *Vt * (size_t)k);
            for (int l = 0; l < W; l++)
                coef[((size_t)s * W + l) * mn + q] = Uw[(size_t)l * mn + q] * sv[q] * sigma[(size_t)s * W + l];
        }
        if (r > 0)
            total_rank += (size_t)r;
    }

    /* mean over rows of each strategy's draw: O(k) each, via the column means of F */
    for (int l = 0; l < W; l++)
        for (int dd = 0; dd < D; dd++) {
            double best = 0.0;
            for (int s = 0; s < S1; s++) {
                const double *ws = w + ((size_t)s * W + l) * k, *as = a + ((size_t)s * W + l) * k;
                const double *z = Z + ((size_t)s * D + dd) * k;
                const double sg = sigma[(size_t)s * W + l];
                double m = ybar[(size_t)s * W + l];
                for (int j = 0; j < k; j++)
                    m += fbar[j] * (ws[j] + sg * as[j] * z[j]);
                best = m > best ? m : best;
            }
            mg[(size_t)l * D + dd] = best;
        }

    /* row blocks */
    size_t per_row = (size_t)D * (total_rank + 2) + (size_t)S1 * W;
    int nb = (int)(((size_t)1 << 22) / per_row);
    nb = nb < 1 ? 1 : (nb > n ? n : nb);
    T = malloc(sizeof *T * (size_t)k * D);
    H = malloc(sizeof *H * ((size_t)nb * D * total_rank + 1));
    E = malloc(sizeof *E * (size_t)nb * D);
    Mx = malloc(sizeof *Mx * (size_t)nb * D);
    Gm = malloc(sizeof *Gm * (size_t)nb * S1 * W);
    if (!T || !H || !E || !Mx || !Gm)
        goto nomem;
    for (int i0 = 0; i0 < n; i0 += nb) {
        const int m = n - i0 < nb ? n - i0 : nb;
        const double *Fb = F + (size_t)i0 * k;
        for (int s = 0; s < S1; s++) {
            /* mean fitted values of the rows: Gm[s][i][l] */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, W, k, 1.0, Fb, k, w + (size_t)s * W * k, k, 0.0,
                        Gm + (size_t)s * m * W, W);
            for (int q = 0; q < rank[s]; q++) {
                const double *u = basis + ((size_t)s * mn + q) * k;
                for (int j = 0; j < k; j++)
                    for (int dd = 0; dd < D; dd++)
                        T[(size_t)j * D + dd] = u[j] * Z[((size_t)s * D + dd) * k + j];
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, D, k, 1.0, Fb, k, T, D, 0.0,
                            H + (hoff[s] + (size_t)q) * m * D, D);
            }
        }
        for (int l = 0; l < W; l++) {
            for (size_t e = 0; e < (size_t)m * D; e++)
                Mx[e] = 0.0;
            for (int s = 0; s < S1; s++) {
                const size_t sl = (size_t)s * W + l;
                if (rank[s] < 0) {
                    const double *as = a + sl * k;
                    for (int j = 0; j < k; j++)
                        for (int dd = 0; dd < D; dd++)
                            T[(size_t)j * D + dd] = sigma[sl] * as[j] * Z[((size_t)s * D + dd) * k + j];
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, D, k, 1.0, Fb, k, T, D, 0.0, E, D);
                } else {
                    for (size_t e = 0; e < (size_t)m * D; e++)
                        E[e] = 0.0;
                    for (int q = 0; q < rank[s]; q++)
                        cblas_daxpy(m * D, coef[sl * mn + q], H + (hoff[s] + (size_t)q) * m * D, 1, E, 1);
                }
                const double *gm = Gm + (size_t)s * m * W;
                for (int i = 0; i < m; i++) {
                    const double base = ybar[sl] + gm[(size_t)i * W + l];
                    double *e = E + (size_t)i * D, *mx = Mx + (size_t)i * D;
                    for (int dd = 0; dd < D; dd++) {
                        double v = base + e[dd];
                        mx[dd] = v > mx[dd] ? v : mx[dd];
                    }
                }
            }
            double *rs = rowsum + (size_t)l * D;
            for (int i = 0; i < m; i++)
                for (int dd = 0; dd < D; dd++)
                    rs[dd] += Mx[(size_t)i * D + dd];
        }
    }
    for (int l = 0; l < W; l++) {
        double mu = 0.0, m2 = 0.0;
        for (int dd = 0; dd < D; dd++) {
            double x = rowsum[(size_t)l * D + dd] / n - mg[(size_t)l * D + dd];
            double delta = x - mu;
            mu += delta / (dd + 1);
            m2 += delta * (x - mu);
        }
        evppi_se[l] = D > 1 ? sqrt(m2 / (D - 1)) : 0.0;
    }
    goto cleanup;

nomem:
    st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "psim_evppi: out of memory for %d SE draws", D);
cleanup:
    free(Z);
    free(rank);
    free(hoff);
    free(Am);
    free(sv);
    free(Uw);
    free(Vt);
    free(superb);
    free(basis);
    free(coef);
    free(T);
    free(H);
    free(E);
    free(Mx);
    free(Gm);
    free(rowsum);
    free(mg);
    return st;
}

psim_status psim_evppi(int n, int S, const double *cost, const double *qaly, int n_wtp, const double *wtp,
                       int p, const double *X, const psim_evppi_options *opt, double *evppi, double *evppi_se,
                       psim_evppi_diag *diag, psim_error *err)
{
    psim_status st = PSIM_OK;
    int *keep = NULL;
    double *U = NULL, *sorted = NULL, *Xd = NULL, *A = NULL, *T = NULL, *F = NULL, *d = NULL;
    double *tmp = NULL, *fbar = NULL, *yC = NULL, *yQ = NULL, *resid = NULL, *mem_st = NULL;
    double *w = NULL, *sig_f = NULL, *mean_g = NULL;
    voi_strategy *sts = NULL;
    voi_spline *sp = NULL;
    double *cbuf = NULL;

    if (n < 20 || S < 1 || n_wtp < 0 || p < 1 || !cost || !qaly || (n_wtp > 0 && (!wtp || !evppi)) || !X)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                              "psim_evppi: needs n >= 20 (got %d), S >= 1 (got %d), p >= 1 (got %d) and its arrays",
                              n, S, p);
    psim_evppi_options o = opt ? *opt : psim_evppi_options_default();
    if (o.se_draws < 0)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "psim_evppi: se_draws must be >= 0, got %d",
                              o.se_draws);
    for (size_t i = 0; i < (size_t)n * S; i++)
        if (!isfinite(cost[i]) || !isfinite(qaly[i]))
            return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                                  "psim_evppi: cost or QALY of iteration %zu, strategy %zu is not finite", i / S,
                                  i % S);
    for (size_t i = 0; i < (size_t)n * p; i++)
        if (!isfinite(X[i]))
            return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                                  "psim_evppi: parameter column %zu of iteration %zu is not finite", i % p, i / p);
    for (int wi = 0; wi < n_wtp; wi++)
        if (!isfinite(wtp[wi]))
            return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0, "psim_evppi: WTP value %d is not finite", wi);

    psim_evppi_diag dg = {0, p > VOI_MAX_TENSOR, 0.0, 0.0};

    /* columns that vary */
    keep = malloc(sizeof *keep * (size_t)p);
    sp = malloc(sizeof *sp * (size_t)p);
    sorted = malloc(sizeof *sorted * (size_t)n);
    if (!keep || !sp || !sorted)
        goto nomem;
    int q = 0;
    double colmin[64], colrange[64];
    double *cmin = colmin, *crange = colrange;
    if (p > 64) {
        cbuf = malloc(sizeof *cbuf * 2 * (size_t)p);
        if (!cbuf)
            goto nomem;
        cmin = cbuf;
        crange = cbuf + p;
    }
    for (int j = 0; j < p; j++) {
        double lo = X[j], hi = X[j];
        for (int i = 1; i < n; i++) {
            double v = X[(size_t)i * p + j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        double scale = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
        if (hi - lo > 1e-12 * scale && hi > lo) {
            cmin[q] = lo;
            crange[q] = hi - lo;
            keep[q++] = j;
        }
    }
    if (q == 0 || S == 1) {
        for (int wi = 0; wi < n_wtp; wi++) {
            evppi[wi] = 0.0;
            if (evppi_se)
                evppi_se[wi] = 0.0;
        }
        dg.additive = 0;
        if (diag)
            *diag = dg;
        goto cleanup;
    }
    const int additive = q > VOI_MAX_TENSOR;
    dg.additive = additive;
    static const int k_tensor[VOI_MAX_TENSOR + 1] = {0, VOI_K_ONE, 6, 5, 4};
    const int Km = additive ? VOI_K_ADDITIVE : k_tensor[q];
    int k = 1;
    if (additive)
        k = 1 + q * (Km - 1);
    else
        for (int j = 0; j < q; j++)
            k *= Km;
    dg.basis = k;

    /* scaled columns (column-major in U: u[j * n + i]) and their splines */
    U = malloc(sizeof *U * (size_t)n * q);
    if (!U)
        goto nomem;
    for (int j = 0; j < q; j++) {
        for (int i = 0; i < n; i++) {
            double u = (X[(size_t)i * p + keep[j]] - cmin[j]) / crange[j];
            u = u < 0.0 ? 0.0 : (u > 1.0 ? 1.0 : u);
            U[(size_t)j * n + i] = u;
            sorted[i] = u;
        }
        qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
        spline_knots(&sp[j], Km, sorted, n);
    }

    /* design matrix X (n x k, row-major) and penalty P (k x k, in T) */
    Xd = malloc(sizeof *Xd * (size_t)n * k);
    T = calloc((size_t)k * k, sizeof *T);
    A = malloc(sizeof *A * (size_t)k * k);
    tmp = malloc(sizeof *tmp * (size_t)(k > VOI_K_ADDITIVE * VOI_K_ADDITIVE ? k : VOI_K_ADDITIVE * VOI_K_ADDITIVE));
    if (!Xd || !T || !A || !tmp)
        goto nomem;
    if (additive) {
        double bv[VOI_K_ADDITIVE];
        for (int i = 0; i < n; i++) {
            double *row = Xd + (size_t)i * k;
            row[0] = 1.0;
            for (int j = 0; j < q; j++) {
                spline_eval(&sp[j], U[(size_t)j * n + i], bv);
                memcpy(row + 1 + j * (Km - 1), bv, sizeof(double) * (size_t)(Km - 1));
            }
        }
        for (int c = 1; c < k; c++) { /* centre */
            double sum = 0.0;
            for (int i = 0; i < n; i++)
                sum += Xd[(size_t)i * k + c];
            double mean = sum / n;
            for (int i = 0; i < n; i++)
                Xd[(size_t)i * k + c] -= mean;
        }
        for (int j = 0; j < q; j++) {
            spline_penalty(&sp[j], tmp);
            int off = 1 + j * (Km - 1);
            for (int a = 0; a < Km - 1; a++)
                for (int b = 0; b < Km - 1; b++)
                    T[(size_t)(off + a) * k + off + b] = tmp[a * Km + b];
        }
    } else {
        double bv[VOI_MAX_TENSOR][VOI_K_ONE];
        int stride[VOI_MAX_TENSOR];
        for (int j = 0; j < q; j++)
            stride[j] = j == 0 ? 1 : stride[j - 1] * Km;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < q; j++)
                spline_eval(&sp[j], U[(size_t)j * n + i], bv[j]);
            double *row = Xd + (size_t)i * k;
            for (int c = 0; c < k; c++) {
                double v = 1.0;
                for (int j = 0; j < q; j++)
                    v *= bv[j][(c / stride[j]) % Km];
                row[c] = v;
            }
        }
        for (int j = 0; j < q; j++) {
            spline_penalty(&sp[j], tmp);
            for (int a = 0; a < k; a++) {
                int aj = (a / stride[j]) % Km;
                for (int bj = 0; bj < Km; bj++) {
                    int b = a + (bj - aj) * stride[j];
                    T[(size_t)a * k + b] += tmp[aj * Km + bj];
                }
            }
        }
    }

    /* A = X'X + ridge = R'R; M = R^-T P R^-1 = V diag(d) V'; G = R^-1 V; F = X G */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, k, n, 1.0, Xd, k, 0.0, A, k);
    double dmax = 0.0;
    for (int c = 0; c < k; c++)
        dmax = A[(size_t)c * k + c] > dmax ? A[(size_t)c * k + c] : dmax;
    for (int c = 0; c < k; c++) {
        A[(size_t)c * k + c] += VOI_RIDGE * dmax;
        for (int r = c + 1; r < k; r++)
            A[(size_t)r * k + c] = 0.0; /* R is upper triangular */
    }
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', k, A, k);
    if (info != 0) {
        st = psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0, "psim_evppi: Cholesky factorisation failed (info %d)",
                            (int)info);
        goto cleanup;
    }
    for (int r = 0; r < k; r++)
        for (int c = 0; c < r; c++)
            A[(size_t)r * k + c] = 0.0;
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, k, k, 1.0, A, k, T, k);
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, k, k, 1.0, A, k, T, k);
    for (int r = 0; r < k; r++)
        for (int c = r + 1; c < k; c++) {
            double v = 0.5 * (T[(size_t)r * k + c] + T[(size_t)c * k + r]);
            T[(size_t)r * k + c] = T[(size_t)c * k + r] = v;
        }
    d = malloc(sizeof *d * (size_t)k);
    if (!d)
        goto nomem;
    info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', k, T, k, d);
    if (info != 0) {
        st = psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0, "psim_evppi: eigen decomposition failed (info %d)",
                            (int)info);
        goto cleanup;
    }
    for (int j = 0; j < k; j++)
        d[j] = d[j] < 0.0 ? 0.0 : d[j];
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, k, k, 1.0, A, k, T, k);
    F = malloc(sizeof *F * (size_t)n * k);
    if (!F)
        goto nomem;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, k, 1.0, Xd, k, T, k, 0.0, F, k);
    free(Xd);
    Xd = NULL;
    fbar = calloc((size_t)k, sizeof *fbar);
    if (!fbar)
        goto nomem;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < k; c++)
            fbar[c] += F[(size_t)i * k + c];
    for (int c = 0; c < k; c++)
        fbar[c] /= n;

    /* range of log smoothing parameters */
    double dtop = d[k - 1], dpos = 0.0;
    for (int j = 0; j < k; j++)
        if (d[j] > 1e-12 * dtop) {
            dpos = d[j];
            break;
        }
    if (!(dtop > 0.0))
        dtop = dpos = 1.0;
    const double rho_lo = -log(dtop) - 3.0, rho_hi = -log(dpos) + 12.0;

    /* per-strategy statistics */
    const int S1 = S - 1;
    sts = calloc((size_t)S1, sizeof *sts);
    mem_st = malloc(sizeof *mem_st * (size_t)S1 * 2 * k);
    yC = malloc(sizeof *yC * (size_t)n);
    yQ = malloc(sizeof *yQ * (size_t)n);
    resid = malloc(sizeof *resid * (size_t)n * 2);
    if (!sts || !mem_st || !yC || !yQ || !resid)
        goto nomem;
    for (int s = 0; s < S1; s++) {
        voi_strategy *v = &sts[s];
        v->bC = mem_st + (size_t)s * 2 * k;
        v->bQ = v->bC + k;
        double sc = 0.0, sq = 0.0;
        for (int i = 0; i < n; i++) {
            yC[i] = cost[(size_t)i * S + s + 1] - cost[(size_t)i * S];
            yQ[i] = qaly[(size_t)i * S + s + 1] - qaly[(size_t)i * S];
            sc += yC[i];
            sq += yQ[i];
        }
        v->mC = sc / n;
        v->mQ = sq / n;
        for (int i = 0; i < n; i++) {
            yC[i] -= v->mC;
            yQ[i] -= v->mQ;
        }
        cblas_dgemv(CblasRowMajor, CblasTrans, n, k, 1.0, F, k, yC, 1, 0.0, v->bC, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, n, k, 1.0, F, k, yQ, 1, 0.0, v->bQ, 1);
        double *eC = resid, *eQ = resid + n;
        memcpy(eC, yC, sizeof *eC * (size_t)n);
        memcpy(eQ, yQ, sizeof *eQ * (size_t)n);
        cblas_dgemv(CblasRowMajor, CblasNoTrans, n, k, -1.0, F, k, v->bC, 1, 1.0, eC, 1);
        cblas_dgemv(CblasRowMajor, CblasNoTrans, n, k, -1.0, F, k, v->bQ, 1, 1.0, eQ, 1);
        v->rCC = cblas_ddot(n, eC, 1, eC, 1);
        v->rQQ = cblas_ddot(n, eQ, 1, eQ, 1);
        v->rCQ = cblas_ddot(n, eC, 1, eQ, 1);
    }
    free(resid);
    resid = NULL;

    /* ---- the fits and the estimate; coefficients kept for the SE draws ---- */
    const int W = n_wtp;
    w = malloc(sizeof *w * ((size_t)S1 * W * k + 1));   /* w[(s W + l) k + j] = f_j b_j */
    sig_f = malloc(sizeof *sig_f * ((size_t)S1 * W * k + 1)); /* sqrt(f_j) */
    mean_g = malloc(sizeof *mean_g * ((size_t)S1 * W * 2 + 1)); /* sigma and mean(y) per (s, l) */
    if (!w || !sig_f || !mean_g)
        goto nomem;
    double *sigma_sl = mean_g, *ybar_sl = mean_g + (size_t)S1 * W;
    double *g = yC; /* n-vectors reused: fitted values and their running maximum */
    double *gmax = yQ;
    int first_edf = 1;
    for (int wi = 0; wi < W; wi++) {
        const double lam = wtp[wi];
        double ybar_max = 0.0; /* max over strategies of mean fitted value, with strategy 0 at 0 */
        for (int i = 0; i < n; i++)
            gmax[i] = 0.0;
        for (int s = 0; s < S1; s++) {
            const voi_strategy *v = &sts[s];
            voi_fitctx c = {n, k, d, v};
            double rho = choose_rho(&c, lam, rho_lo, rho_hi);
            double edf, rss;
            gcv_at(&c, lam, rho, &edf, &rss);
            if (first_edf || edf < dg.edf_min)
                dg.edf_min = edf;
            if (first_edf || edf > dg.edf_max)
                dg.edf_max = edf;
            first_edf = 0;
            const double sm = exp(rho);
            double *ws = w + ((size_t)s * W + wi) * k, *as = sig_f + ((size_t)s * W + wi) * k;
            for (int j = 0; j < k; j++) {
                double f = 1.0 / (1.0 + sm * d[j]);
                ws[j] = f * (lam * v->bQ[j] - v->bC[j]);
                as[j] = sqrt(f);
            }
            sigma_sl[(size_t)s * W + wi] = n - edf > 0.0 ? sqrt(rss / (n - edf)) : 0.0;
            const double ybar = lam * v->mQ - v->mC;
            ybar_sl[(size_t)s * W + wi] = ybar;
            cblas_dgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0, F, k, ws, 1, 0.0, g, 1);
            for (int i = 0; i < n; i++) {
                double gi = g[i] + ybar;
                gmax[i] = gi > gmax[i] ? gi : gmax[i];
            }
            double mg = ybar + cblas_ddot(k, fbar, 1, ws, 1);
            ybar_max = mg > ybar_max ? mg : ybar_max;
        }
        double sum = 0.0;
        for (int i = 0; i < n; i++)
            sum += gmax[i];
        double e = sum / n - ybar_max;
        evppi[wi] = e > 0.0 ? e : 0.0;
        if (evppi_se)
            evppi_se[wi] = 0.0;
    }

    const int D = evppi_se ? o.se_draws : 0;
    if (D > 0 && W > 0) {
        st = evppi_draws(n, k, S1, W, D, o.seed, F, fbar, w, sig_f, sigma_sl, ybar_sl, evppi_se, err);
        if (st != PSIM_OK)
            goto cleanup;
    }
    if (diag)
        *diag = dg;
    goto cleanup;

nomem:
    st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "psim_evppi: out of memory (n %d, S %d, p %d)", n, S, p);
cleanup:
    free(cbuf);
    free(keep);
    free(sp);
    free(sorted);
    free(U);
    free(Xd);
    free(A);
    free(T);
    free(F);
    free(d);
    free(tmp);
    free(fbar);
    free(yC);
    free(yQ);
    free(resid);
    free(mem_st);
    free(sts);
    free(w);
    free(sig_f);
    free(mean_g);
    return st;
}
