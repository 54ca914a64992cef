/*
 * painsim/sweep.h: one-way sweeps and the tornado (painsim sweep, painsim tornado).
 *
 * A sweep runs the cohort once per value of one scenario key; a tornado once
 * at the base case and once at the low and at the high value of every
 * uncertain parameter (the `low`/`high` given beside its distribution, else
 * its 2.5% and 97.5% points).  Each point is a whole psim_run of the scenario
 * with `KEY=value` added to the --set overrides (the loader's machinery, so a
 * point is validated like a file) and psa.iterations 0; the seed and the
 * patients are the same at every point, so the points share their random
 * numbers (common random numbers) and differ only through the parameter.
 * Each point keeps, per strategy, the cost, QALYs, differences against the
 * reference, ICER, NMB and incremental NMB at one WTP, first-session response
 * and the mean VAS on chosen days, with Monte Carlo SEs.  The file layout is
 * in docs/output-format.md (/sweep).
 *
 * psim_sweep is plain data owned by the caller (psim_sweep_destroy accepts NULL).
 */
#ifndef PAINSIM_SWEEP_H
#define PAINSIM_SWEEP_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "painsim/error.h"
#include "painsim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { PSIM_SWEEP_VALUES = 0, PSIM_SWEEP_TORNADO = 1 } psim_sweep_kind;

#define PSIM_SWEEP_MAX_VALUES 1000
#define PSIM_SWEEP_MAX_DAYS 16

/* What to run. */
typedef struct psim_sweep_spec {
    psim_sweep_kind kind;
    const char *scenario_path;        /* the scenario file */
    const char *const *set;           /* its --set overrides (may be NULL) */
    int n_set;
    const char *param;                /* PSIM_SWEEP_VALUES: the scenario key, as --set takes it */
    const double *values;             /* PSIM_SWEEP_VALUES: n_values values */
    int n_values;
    double wtp;                       /* currency per QALY of the NMB columns; NaN: the largest of economics.wtp */
    const char *outcome_strategy;     /* NULL: the first strategy that is not the reference */
    const int *days;                  /* days of the mean VAS columns; NULL: psim_sweep_default_days */
    int n_days;
    int threads;                      /* 0: OpenMP's default */
    void (*progress)(void *data, int done, int total); /* after each point (may be NULL) */
    void *progress_data;
    volatile sig_atomic_t *cancel;    /* nonzero: stop with PSIM_ERR_INTERRUPTED */
} psim_sweep_spec;

typedef struct psim_sweep_param {
    char name[PSIM_PARAM_NAME_MAX];   /* scenario key, as --set takes it */
    char unit[32];                    /* "" when unknown */
    double base, low, high;           /* base: NaN in a sweep */
    char bounds[PSIM_PARAM_NAME_MAX]; /* "scenario", "2.5%/97.5% of beta(41.25, 33.75)" or "values" */
} psim_sweep_param;

typedef struct psim_sweep {
    psim_sweep_kind kind;
    char scenario[PSIM_NAME_MAX];
    uint64_t seed;
    int64_t patients;
    char currency[16];
    double wtp;
    int n_strategies;
    char strategy[PSIM_MAX_STRATEGIES][PSIM_NAME_MAX];
    int reference, outcome;           /* indices into strategy */
    int n_params;
    psim_sweep_param *params;         /* [P] */
    int n_skipped;                    /* tornado: uncertain parameters not varied (a dirichlet, a fixed value) */
    char (*skipped)[PSIM_PARAM_NAME_MAX];
    int n_points;                     /* K */
    int *point_parameter;             /* [K] index into params, -1: the base case */
    int *point_level;                 /* [K] 0 base, 1 low, 2 high, 3 value */
    double *point_value;              /* [K] NaN at the base case */
    int n_days;
    int days[PSIM_SWEEP_MAX_DAYS];
    /* [K x S], currency, QALY, currency/QALY, fraction */
    double *cost, *cost_se, *qaly, *qaly_se;
    double *delta_cost, *delta_cost_se, *delta_qaly, *delta_qaly_se, *icer;
    double *nmb, *nmb_se, *inmb, *inmb_se;
    double *first_response, *first_response_se;
    double *mean_vas, *mean_vas_se;   /* [K x S x D], cm */
    double elapsed_seconds;
} psim_sweep;

/* The default days of the mean VAS columns: 30, 90, 180 and the last day, those within the horizon. */
int psim_sweep_default_days(int horizon_days, int *days);

/* The scenario key of an uncertain parameter as --set takes it
 * (`treatments.botox.price.packages[1].price` -> `...packages.1.price`). */
void psim_sweep_set_key(const char *param_name, char *buf, size_t size);

/* Run the points.  *base receives the base scenario (the file's overrides and
 * psa.iterations 0; psim_scenario_destroy) when base is not NULL. */
psim_status psim_sweep_run(const psim_sweep_spec *spec, psim_sweep **out, psim_scenario **base,
                           psim_error *err) PSIM_MUST_CHECK;
void psim_sweep_destroy(psim_sweep *sw);

/* Write the /sweep file (as FILE.partial, renamed when complete). */
psim_status psim_sweep_write_h5(const char *path, int force, const psim_scenario *base, const char *command_line,
                                const psim_sweep *sw, psim_error *err) PSIM_MUST_CHECK;

typedef enum { PSIM_SWEEP_TABLE = 0, PSIM_SWEEP_CSV = 1 } psim_sweep_format;

/* table: a sweep prints one block per strategy (a row per value); a tornado
 * prints its bars, widest first.  csv: one row per point and strategy, units
 * in the column names. */
psim_status psim_sweep_print(const psim_sweep *sw, psim_sweep_format fmt, FILE *fp, psim_error *err) PSIM_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
