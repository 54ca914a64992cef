/*
 * painsim/calibrate.h: fit scenario parameters to published figures.
 *
 * A targets file (YAML, docs/calibration.md) names
 * - the parameters to fit: each a name, bounds [min, max], an optional start,
 *   and the scenario key(s) it sets (one value may set keys in several
 *   scenarios: a time course shared by several studies);
 * - the targets: published figures, each a count k of n (binomial) or a mean
 *   with its standard error (normal), tied to a quantity of one strategy of
 *   one scenario: observed response at day t, mean VAS at day t, persistence
 *   of response, adverse events per session;
 * - optionally more scenarios (by name and file) and the calibration settings.
 *
 * The objective is the deviance sum over targets: binomial
 * 2 [k ln(k / n p) + (n - k) ln((n - k) / n (1 - p))], normal ((m - x) / se)^2,
 * with the model quantities from cohort runs that reuse the scenario's seed at
 * every evaluation (common random numbers: the same patients at every
 * parameter value, so the objective does not jump with Monte Carlo noise).
 * It is minimised by Nelder-Mead from several starts in logit coordinates of
 * the bounded box.  The approximate posterior is IMIS (incremental mixture
 * importance sampling, Raftery & Bao 2010) from the uniform prior on the box,
 * likelihood exp(-deviance / 2), resampled to equally weighted draws.
 *
 * Ownership: psim_calib_load returns a problem owned by the caller
 * (psim_calib_destroy accepts NULL); results are caller-owned plain structs
 * released with psim_calib_fit_free / psim_calib_posterior_free.  Runs use the
 * library's OpenMP engine; a problem is used by one thread at a time.
 */
#ifndef PAINSIM_CALIBRATE_H
#define PAINSIM_CALIBRATE_H

#include <stdint.h>
#include <stdio.h>

#include "painsim/error.h"
#include "painsim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PSIM_CALIB_MAX_PARAMS 16
#define PSIM_CALIB_MAX_TARGETS 64
#define PSIM_CALIB_MAX_SCENARIOS 8
#define PSIM_CALIB_MAX_SETS 8       /* scenario keys one parameter sets */

typedef enum {
    PSIM_TARGET_OBSERVED_RESPONSE = 0, /* fraction of the treated with VAS(day) <= B/2 */
    PSIM_TARGET_MEAN_VAS = 1,          /* mean VAS on day, cm, all patients */
    PSIM_TARGET_PERSISTENCE = 2,       /* first responders with >= 2 sessions who respond at every later one */
    PSIM_TARGET_AE_PER_SESSION = 3     /* events of one adverse-event kind per session */
} psim_target_quantity;

typedef struct psim_calib_param {
    char name[PSIM_NAME_MAX];
    char unit[32];
    double lo, hi, start;          /* bounds and the first start (default: the midpoint) */
    int n_sets;
    int set_scenario[PSIM_CALIB_MAX_SETS]; /* index into the problem's scenarios */
    char set_key[PSIM_CALIB_MAX_SETS][PSIM_PARAM_NAME_MAX];
} psim_calib_param;

typedef struct psim_calib_target {
    char name[PSIM_PARAM_NAME_MAX];
    char source[PSIM_SOURCE_MAX];
    int scenario;                  /* index into the problem's scenarios */
    char strategy[PSIM_NAME_MAX];
    psim_target_quantity quantity;
    int day;                       /* observed_response, mean_vas */
    char ae[PSIM_NAME_MAX];        /* ae_per_session */
    int binomial;                  /* 1: count of n; 0: mean with se */
    double count, n;               /* binomial */
    double mean, se;               /* normal (se may come from sd / sqrt(n)) */
    int line, column;              /* where the target is given */
} psim_calib_target;

typedef struct psim_calib_settings {
    int64_t patients;              /* per scenario and evaluation (default 2000) */
    int starts;                    /* Nelder-Mead starts (default 3) */
    int max_evaluations;           /* per start (default 300) */
    int prior_samples;             /* IMIS: first sample from the prior; 0: no posterior (default 400) */
    int imis_rounds;               /* IMIS: mixture components added (default 10) */
    int imis_batch;                /* IMIS: draws per component (default 100) */
    int posterior_draws;           /* resampled draws written (default 1000) */
    uint64_t seed;                 /* for starts and IMIS draws (default 1) */
    int threads;                   /* 0: OpenMP's default */
} psim_calib_settings;

typedef struct psim_calib psim_calib;

/* Read a targets file; `scenario_path` is the scenario that targets and
 * parameters without `scenario:` refer to.  Input errors name file:line:column. */
psim_status psim_calib_load(const char *scenario_path, const char *targets_path, psim_calib **out,
                            psim_error *err) PSIM_MUST_CHECK;
void psim_calib_destroy(psim_calib *c);

int psim_calib_n_params(const psim_calib *c);
int psim_calib_n_targets(const psim_calib *c);
int psim_calib_n_scenarios(const psim_calib *c);
const psim_calib_param *psim_calib_param_at(const psim_calib *c, int k);
const psim_calib_target *psim_calib_target_at(const psim_calib *c, int k);
const char *psim_calib_scenario_name(const psim_calib *c, int k);
const char *psim_calib_quantity_name(psim_target_quantity q);
/* The settings of the file (its `calibration:` section over the defaults);
 * callers may change them before fitting. */
psim_calib_settings *psim_calib_settings_of(psim_calib *c);

/* One evaluation at theta[n_params]: the deviance and, when not NULL, each
 * target's model value, its Monte Carlo SE and its z = (model - figure) / SE
 * of the figure (binomial: sqrt(p (1 - p) / n) at the model's p). */
psim_status psim_calib_evaluate(psim_calib *c, const double *theta, double *deviance, double *model,
                                double *model_se, double *z, psim_error *err) PSIM_MUST_CHECK;

typedef struct psim_calib_fit {
    int n_params, n_targets, starts;
    double theta[PSIM_CALIB_MAX_PARAMS];     /* best over the starts */
    double se[PSIM_CALIB_MAX_PARAMS];        /* Laplace: sqrt of diag(2 H^-1), H the deviance's
                                              * Hessian by central differences at the fit; NaN
                                              * when H is not positive definite there */
    double deviance;
    double model[PSIM_CALIB_MAX_TARGETS], model_se[PSIM_CALIB_MAX_TARGETS], z[PSIM_CALIB_MAX_TARGETS];
    double target_deviance[PSIM_CALIB_MAX_TARGETS];
    /* per start */
    double start_theta[16][PSIM_CALIB_MAX_PARAMS], start_deviance[16];
    int start_evaluations[16];
    int evaluations;                          /* in all */
} psim_calib_fit;

/* Called after each start (may be NULL). */
typedef void (*psim_calib_progress_fn)(void *data, int start, int starts, double deviance,
                                       int evaluations);

/* Nelder-Mead from settings.starts starts (at most 16). */
psim_status psim_calib_run_fit(psim_calib *c, psim_calib_fit *fit, psim_calib_progress_fn progress,
                               void *progress_data, psim_error *err) PSIM_MUST_CHECK;

typedef struct psim_calib_posterior {
    int n_params, n_draws;
    double *draws;           /* [n_draws x n_params], row-major, equally weighted */
    int evaluations;         /* model evaluations behind the sample */
    double ess;              /* effective sample size of the importance weights */
    double mean[PSIM_CALIB_MAX_PARAMS], sd[PSIM_CALIB_MAX_PARAMS];
    double q025[PSIM_CALIB_MAX_PARAMS], q975[PSIM_CALIB_MAX_PARAMS];
} psim_calib_posterior;

/* IMIS from the uniform prior on the bounds (settings.prior_samples > 0). */
psim_status psim_calib_run_posterior(psim_calib *c, psim_calib_posterior *post,
                                     psim_error *err) PSIM_MUST_CHECK;
void psim_calib_posterior_free(psim_calib_posterior *post);

/* Write the draws as CSV: a header of parameter names, one draw per row. */
psim_status psim_calib_write_draws(const psim_calib *c, const psim_calib_posterior *post, FILE *fp,
                                   psim_error *err) PSIM_MUST_CHECK;

/* The same into the file `path`, written as PATH.partial and renamed when
 * complete, as run output is (psim_output_check: no links followed, an
 * existing file replaced only with force). */
psim_status psim_calib_write_draws_file(const psim_calib *c, const psim_calib_posterior *post, const char *path,
                                        int force, psim_error *err) PSIM_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
