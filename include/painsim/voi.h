/*
 * painsim/voi.h: decision uncertainty and the value of information from a
 * probabilistic sensitivity analysis (MODEL.md section 6).
 *
 * Input is a PSA sample: for each of n iterations the mean cost and QALYs of
 * each of S strategies, and the parameter values that iteration drew.  These
 * functions are pure: plain arrays in, plain arrays out, no I/O, no global
 * state; the caller owns every buffer.  They are deterministic (the same input
 * gives the same bits) and single-threaded.
 *
 * Net monetary benefit at willingness to pay lambda: NMB_s = lambda * QALY_s - cost_s.
 *
 * EVPPI (expected value of partial perfect information) is estimated by the
 * nonparametric regression method of Strong, Oakley & Brennan (2014, Med Decis
 * Making 34:311-326): the incremental NMB of each strategy against strategy 0
 * is regressed on the parameters of interest with a penalised regression
 * spline (the GAM-equivalent smoother described in sim/economics/voi.c), and
 * EVPPI = mean_i max_s g_s(x_i) - max_s mean_i g_s(x_i), with g_0 = 0.
 * Its standard error comes from draws of the spline coefficients from their
 * approximate posterior (as in Strong et al., section 2.4).
 *
 * Linear algebra is Debian's LAPACK/BLAS (reference implementation).
 */
#ifndef PAINSIM_VOI_H
#define PAINSIM_VOI_H

#include <stdint.h>

#include "painsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- decision uncertainty: cheap, closed-form summaries ---------------- */

/* Arrays are row-major: cost[i * S + s] is iteration i, strategy s. */

/* For each WTP value w (n_wtp of them):
 *   ceac[w * S + s]  fraction of iterations in which s has the highest NMB (ties: lowest index);
 *   enmb[w * S + s]  mean NMB of s over the iterations;
 *   loss[w * S + s]  expected opportunity loss of s: mean_i (max_t NMB_it - NMB_is);
 *   ceaf_strategy[w] index of the strategy with the highest mean NMB (ties: lowest index);
 *   ceaf[w]          ceac of that strategy (the cost-effectiveness acceptability frontier);
 *   evpi[w], evpi_se[w]  EVPI = loss of the optimal strategy, and its Monte Carlo SE
 *                        sd_i(loss_i) / sqrt(n).
 * Any output pointer may be NULL. */
void psim_voi_decision(int n, int S, const double *cost, const double *qaly, int n_wtp, const double *wtp,
                       double *ceac, double *enmb, double *loss, int *ceaf_strategy, double *ceaf, double *evpi,
                       double *evpi_se);

/* ---- EVPPI by nonparametric regression --------------------------------- */

typedef struct psim_evppi_options {
    int se_draws;      /* posterior draws of the coefficients for the SE (default 200; 0: no SE) */
    uint64_t seed;     /* seed of those draws (a PCG32 stream of its own) */
} psim_evppi_options;

psim_evppi_options psim_evppi_options_default(void);

/* Diagnostics of one EVPPI estimate (per WTP value where noted). */
typedef struct psim_evppi_diag {
    int basis;         /* coefficients of the smoother (columns of the design matrix) */
    int additive;      /* 1 when an additive model was used (more than 4 columns) */
    double edf_min, edf_max; /* effective degrees of freedom of the fits, over strategies and WTP */
} psim_evppi_diag;

/* EVPPI of the parameter columns X (n x p, row-major: X[i * p + j]) at each WTP
 * value.  p = 1 .. 4 uses a (tensor-product) penalised spline in all p columns;
 * p > 4 uses an additive model (a sum of one-column splines: no interactions).
 * A column that is constant contributes nothing.  evppi and evppi_se have room
 * for n_wtp values (evppi_se may be NULL); diag may be NULL.  Needs n >= 20.
 * Errors: PSIM_ERR_USAGE for bad sizes, PSIM_ERR_NOMEM, PSIM_ERR_INTERNAL when
 * LAPACK fails. */
psim_status psim_evppi(int n, int S, const double *cost, const double *qaly, int n_wtp, const double *wtp,
                       int p, const double *X, const psim_evppi_options *opt, double *evppi, double *evppi_se,
                       psim_evppi_diag *diag, psim_error *err) PSIM_MUST_CHECK;

/* Unit normal loss integral L(z) = phi(z) - z (1 - Phi(z)): for INB ~ N(mu, sigma^2)
 * between two strategies, EVPI = sigma * L(|mu| / sigma). */
double psim_unit_normal_loss(double z);

#ifdef __cplusplus
}
#endif
#endif
