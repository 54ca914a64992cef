/*
 * painsim/scenario.h: the validated settings of one run (MODEL.md sections 1-4).
 *
 * A scenario is read from a YAML file (libyaml), every absent parameter takes
 * MODEL.md's default, `--set dotted.key=value` overrides are applied to the
 * document before validation, and every input error carries file:line:column
 * and what was expected.  psim_scenario_write_yaml prints the resolved
 * scenario with every default filled in; reading that text back gives the
 * same settings.
 *
 * Ownership: a psim_scenario is created by psim_scenario_load* and released
 * with psim_scenario_destroy (which accepts NULL).  It is plain data with fixed
 * capacity arrays; after loading it is read-only and may be shared by threads.
 */
#ifndef PAINSIM_SCENARIO_H
#define PAINSIM_SCENARIO_H

#include <stdint.h>
#include <stdio.h>

#include "painsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the model contract (MODEL.md) this code implements: the
 * model_version attribute of every file painsim writes and `painsim
 * --version`.  Readers show it and do not check it (files that say "1" read
 * as before). */
#define PSIM_MODEL_VERSION "1.1"

#define PSIM_NAME_MAX 64        /* names of scenarios, treatments, strategies, AEs */
#define PSIM_TEXT_MAX 1024      /* free-text description */
#define PSIM_MAX_AE 8           /* adverse-event types per treatment */
#define PSIM_MAX_SESSIONS 64    /* sessions per strategy */
#define PSIM_MAX_TREATMENTS 32
#define PSIM_MAX_STRATEGIES 32
#define PSIM_LUMBAR_LEVELS 5
#define PSIM_MAX_SET 64         /* --set overrides per call */
#define PSIM_MAX_REPORT_DAYS 16 /* output.report_days */

/* Contraindications of MODEL.md section 2, in this fixed order. */
#define PSIM_CONTRA_LIST(X)                     \
    X(anticoagulants, 0.05)                     \
    X(bleeding_disorder, 0.01)                  \
    X(infection, 0.02)                          \
    X(hypersensitivity, 0.005)                  \
    X(acute_muscle_trauma, 0.02)                \
    X(needle_phobia, 0.03)

enum {
#define PSIM_X_CONTRA(name, p) PSIM_CONTRA_##name,
    PSIM_CONTRA_LIST(PSIM_X_CONTRA)
#undef PSIM_X_CONTRA
        PSIM_N_CONTRA
};

/* Names of the contraindications, index by PSIM_CONTRA_*. */
extern const char *const psim_contra_names[PSIM_N_CONTRA];

typedef struct psim_truncnorm {
    double mean, sd, min, max;
} psim_truncnorm;

typedef struct psim_meansd {
    double mean, sd;
} psim_meansd;

typedef struct psim_cohort_params {
    psim_truncnorm baseline_vas;          /* cm on the 0-10 VAS */
    psim_truncnorm pain_duration_months;  /* months */
    double lumbar_levels[PSIM_LUMBAR_LEVELS]; /* P(L = 1..5), sums to 1 */
    double myofascial;                    /* probability */
    double contraindications[PSIM_N_CONTRA]; /* probabilities */
    double aspirin_recent;                /* probability */
    int aspirin_delay_days;               /* days the first session is delayed */
    double noise_sd;                      /* sigma of the AR(1) noise, cm */
    double noise_phi;                     /* AR(1) coefficient, [0, 1) */
} psim_cohort_params;

typedef struct psim_ae_spec {
    char name[PSIM_NAME_MAX];
    double p;     /* probability per session */
    int days;     /* how long one event lasts, days (>= 1) */
    double utility_decrement; /* subtracted from u(t) on each day the event lasts, >= 0 */
    double cost;  /* currency per event, >= 0, booked on the session day */
} psim_ae_spec;

/* Drug price models of MODEL.md section 5. */
typedef enum {
    PSIM_PRICE_NONE = 0,     /* no drug cost (the session cost covers everything) */
    PSIM_PRICE_PER_UNIT = 1, /* per_unit x units */
    PSIM_PRICE_PACKAGES = 2, /* cheapest cover of >= U units by packages and single units at per_unit */
    PSIM_PRICE_VIALS = 3     /* ceil(U / vial_units) vials; opened vials are wasted */
} psim_price_model;

#define PSIM_MAX_PACKAGES 8

typedef struct psim_price {
    psim_price_model model;
    double per_unit;                          /* currency per unit (per_unit, packages) */
    int n_packages;
    int package_units[PSIM_MAX_PACKAGES];     /* units in a package, >= 1 */
    double package_price[PSIM_MAX_PACKAGES];  /* currency per package */
    int vial_units;                           /* units per vial, >= 1 (vials) */
    double vial_price;                        /* currency per vial (vials) */
} psim_price;

typedef struct psim_treatment {
    char name[PSIM_NAME_MAX];
    char base[PSIM_NAME_MAX];  /* built-in treatment it derives from */
    int injection;             /* 1: needs eligibility (MODEL.md section 2) */
    double p_first, p_persist, p_recover; /* latent response chain */
    double antibody_risk;      /* per session */
    psim_meansd relief_responder;      /* fraction of B, responder Beta on [0.5, 1] */
    psim_meansd relief_non_responder;  /* fraction of B, Beta on [0, 0.5) */
    double onset_days, peak_days;      /* time course, days */
    double duration_median_days;       /* LogNormal median, days */
    double duration_sigma;             /* LogNormal sigma */
    double duration_shift_days;        /* plateau before the LogNormal part, days (v1.1, default 0):
                                        * D = shift + LogNormal(median, sigma), floored at peak */
    double half_life_days;             /* decay after the duration, days */
    int units_per_level;               /* 0: no dose */
    int max_units_per_session;
    int min_interval_days;             /* 0: none */
    psim_price price;                  /* drug cost of a session's dose */
    double session_cost;               /* currency per session (administration, visit) */
    int n_ae;
    psim_ae_spec ae[PSIM_MAX_AE];
} psim_treatment;

typedef enum {
    PSIM_SCHEDULE_DAYS = 0,   /* days: [d1, d2, ...] */
    PSIM_SCHEDULE_EVERY = 1,  /* every_days: k, sessions: n, start_day: s */
    PSIM_SCHEDULE_RELAPSE = 2 /* on_relapse: {threshold, max_sessions}; first session at start_day */
} psim_schedule_kind;

/* continue_if (MODEL.md section 4): which observed response decides whether
 * the next session is given. */
typedef enum {
    PSIM_CONTINUE_ALWAYS = 0,
    PSIM_CONTINUE_RESPONDED_FIRST = 1,    /* observed response after session 1 */
    PSIM_CONTINUE_RESPONDED_PREVIOUS = 2  /* observed response after the previous session */
} psim_continue_rule;

typedef struct psim_schedule {
    psim_schedule_kind kind;
    int n_days;
    int days[PSIM_MAX_SESSIONS];  /* PSIM_SCHEDULE_DAYS: strictly increasing */
    int every_days, sessions, start_day; /* PSIM_SCHEDULE_EVERY; start_day also for RELAPSE */
    int assess_after_days;        /* observed response is assessed this long after each session (default 21) */
    psim_continue_rule continue_if;  /* default always */
    double relapse_threshold;     /* RELAPSE: next session when VAS(t) > threshold x B (default 0.5) */
    int relapse_max_sessions;     /* RELAPSE: at most this many sessions (default 4) */
    int relapse_review_days;      /* RELAPSE (v1.1): check only on review days, last session + k x this;
                                   * 0 (default): any day */
} psim_schedule;

typedef struct psim_strategy {
    char name[PSIM_NAME_MAX];
    char treatment[PSIM_NAME_MAX];
    char fallback[PSIM_NAME_MAX];   /* treatment for ineligible patients, default "none" */
    int treatment_index;            /* into psim_scenario.treatments */
    int fallback_index;
    double baseline_shift;          /* cm added to B for this strategy's patients (trial arms
                                     * with unequal baselines), clamped to [0, 10]; default 0 */
    psim_schedule schedule;
} psim_strategy;

typedef struct psim_output_params {
    int record_every_days;  /* >= 1; day 0 always recorded */
    int trajectories;       /* 1: write /strategies/<s>/vas_mm */
    int compression;        /* gzip level 0-9 for trajectories, 0 = none */
    int n_report_days;      /* output.report_days: days the summary table, CSV and JSON show */
    int report_days[PSIM_MAX_REPORT_DAYS]; /* strictly increasing, each < horizon_days */
} psim_output_params;

#define PSIM_MAX_WTP 32

/* ---- parameter uncertainty (MODEL.md section 6) ------------------------
 * Any numeric (floating-point) parameter of the cohort, the treatments,
 * prices, costs, utilities and strategies may be given in the scenario as a
 * distribution, `{dist: beta, alpha: 40, beta: 35}`.  The scenario then holds
 * the distribution's mean in the parameter itself (the base case) and lists
 * the parameter in psim_scenario.uncertain; a PSA run draws every listed
 * parameter per iteration (sim/model/psa.c). */
typedef enum {
    PSIM_DIST_FIXED = 0,     /* {dist: fixed, value: x}: documented as certain */
    PSIM_DIST_BETA = 1,      /* {dist: beta, alpha: a, beta: b}, a, b > 0; on [0, 1] */
    PSIM_DIST_GAMMA = 2,     /* {dist: gamma, shape: k, scale: theta}, k, theta > 0 */
    PSIM_DIST_NORMAL = 3,    /* {dist: normal, mean: m, sd: s}, s > 0 */
    PSIM_DIST_LOGNORMAL = 4, /* {dist: lognormal, median: m, sigma: s}, m > 0, s > 0 */
    PSIM_DIST_UNIFORM = 5,   /* {dist: uniform, min: a, max: b}, a < b */
    PSIM_DIST_DIRICHLET = 6, /* {dist: dirichlet, alpha: [a1, ...]}, every a > 0 (cohort.lumbar_levels) */
    PSIM_DIST_EMPIRICAL = 7  /* {dist: empirical, file: draws.csv, column: name}: the rows of a CSV
                              * column (posterior draws of `painsim calibrate`); parameters from the
                              * same file take the same row in an iteration (joint draws) */
} psim_dist_kind;

#define PSIM_DIST_MAX_DIM PSIM_LUMBAR_LEVELS

typedef struct psim_dist {
    psim_dist_kind kind;
    /* fixed: value; beta: alpha, beta; gamma: shape, scale; normal: mean, sd;
     * lognormal: median, sigma; uniform: min, max.  Unused for dirichlet. */
    double p1, p2;
    int dim;                          /* values drawn: 1, or the dirichlet's length */
    double alpha[PSIM_DIST_MAX_DIM];  /* dirichlet concentrations */
    /* empirical: the file (absolute path), the column, and its values (in the
     * scenario's empirical_pool, from pool_offset; `values` points there once
     * the scenario is loaded) */
    char file[PSIM_ERROR_FILE_MAX];
    char column[PSIM_NAME_MAX];
    const double *values;
    int n_values;
    size_t pool_offset;
} psim_dist;

#define PSIM_MAX_UNCERTAIN 96
#define PSIM_PARAM_NAME_MAX 160
#define PSIM_SOURCE_MAX 256         /* bytes of psim_uncertain.source, with the NUL */

/* One parameter given as a distribution. */
typedef struct psim_uncertain {
    char name[PSIM_PARAM_NAME_MAX]; /* its scenario key: "treatments.botox.p_first",
                                     * "strategies.botox_q4m.baseline_shift", "cohort.lumbar_levels" */
    char unit[32];                  /* "probability", "days", "cm", "QALY/cm", the currency, ... */
    psim_dist dist;
    size_t offset;                  /* byte offset in psim_scenario of the (first) double it sets;
                                     * dist.dim consecutive doubles for a dirichlet */
    double lo, hi;                  /* the parameter's valid range (draws are kept inside it) */
    int line, column;               /* where the distribution was given (1-based) */
    char source[PSIM_SOURCE_MAX];   /* optional `source: "..."` text (where the distribution
                                     * comes from), "" when not given */
    int has_bounds;                 /* `low` and `high` given beside the distribution */
    double low, high;               /* the values a tornado uses (low <= mean <= high, in [lo, hi]);
                                     * else the 2.5% and 97.5% points of the distribution */
} psim_uncertain;

#define PSIM_MAX_EVPPI_GROUPS 16
#define PSIM_EVPPI_GROUP_MAX 4      /* regression columns of a group (a dirichlet of length 5 counts 4) */

typedef struct psim_evppi_group {
    char name[PSIM_NAME_MAX];
    int n;                          /* parameters in the group */
    int param[PSIM_EVPPI_GROUP_MAX]; /* indices into psim_scenario.uncertain */
} psim_evppi_group;

typedef struct psim_psa_settings {
    int iterations;       /* 0: base case, every distribution at its mean */
    int common_patients;  /* `patients: common`: iteration 0's patients in every iteration;
                           * 0 (`per_iteration`, the default): fresh patients per iteration */
    int n_groups;
    psim_evppi_group groups[PSIM_MAX_EVPPI_GROUPS];
} psim_psa_settings;

typedef struct psim_economics {
    char currency[16];          /* ISO 4217-like code used as the unit of costs, default "RUB" */
    double discount_costs;      /* annual rate r, costs discounted by (1 + r)^(-t / 365.25) */
    double discount_qalys;      /* annual rate for QALYs */
    double utility_u0;          /* u(t) = clamp(u0 + slope VAS(t), min, max) - AE decrements */
    double utility_slope;       /* per cm of VAS */
    double utility_min, utility_max;
    int n_wtp;
    double wtp[PSIM_MAX_WTP];   /* willingness to pay, currency per QALY, increasing */
    double population;          /* patients per year who face the decision, for population EVPI;
                                 * 0: not given (population figures are not reported) */
    double horizon_years;       /* years the decision holds, for population EVPI (default 10) */
} psim_economics;

typedef struct psim_scenario {
    char name[PSIM_NAME_MAX];
    char description[PSIM_TEXT_MAX];
    uint64_t seed;
    int64_t patients;        /* >= 1 */
    int horizon_days;        /* H >= 1 */
    int block_size;          /* patients per block, >= 1; fixes chunking and summation order */
    psim_cohort_params cohort;
    int n_treatments;        /* treatments used by strategies (own and fallback), resolved */
    psim_treatment treatments[PSIM_MAX_TREATMENTS];
    int n_strategies;
    psim_strategy strategies[PSIM_MAX_STRATEGIES];
    char reference[PSIM_NAME_MAX]; /* name of the reference strategy */
    int reference_index;
    psim_output_params output;
    psim_economics economics;
    /* The uncertain list is sorted by offset, which is the order in which
     * psim_scenario_write_yaml prints the parameters: reading that text back
     * gives the same list with the same indices. */
    int n_uncertain;         /* parameters given as distributions, in order of appearance */
    psim_uncertain uncertain[PSIM_MAX_UNCERTAIN];
    psim_psa_settings psa;
    char *source_text;       /* the scenario file as read (owned), NUL-terminated */
    double *empirical_pool;  /* values of the empirical distributions (owned) */
    size_t empirical_n, empirical_cap;
    char source_path[PSIM_ERROR_FILE_MAX];
} psim_scenario;

/* Load and validate a scenario file, applying n_set overrides "dotted.key=value"
 * (strategies are addressed by name or 0-based index: strategies.botox.treatment).
 * On success *out is a new scenario; on failure *out is NULL and err says where. */
psim_status psim_scenario_load(const char *path, const char *const *set, int n_set,
                               psim_scenario **out, psim_error *err) PSIM_MUST_CHECK;

/* The same from text in memory; `name` is used in error messages. */
psim_status psim_scenario_load_text(const char *text, size_t len, const char *name,
                                    const char *const *set, int n_set, psim_scenario **out,
                                    psim_error *err) PSIM_MUST_CHECK;

void psim_scenario_destroy(psim_scenario *scn);

/* Write the resolved scenario as YAML, every default filled in. */
psim_status psim_scenario_write_yaml(const psim_scenario *scn, FILE *fp,
                                     psim_error *err) PSIM_MUST_CHECK;

/* The resolved scenario with a comment beside each value: its unit, range
 * and source ([src]/[asm]; a treatment field changed from its built-in's
 * default is "[set in this scenario]").  Loads back to the same scenario. */
psim_status psim_scenario_write_explained(const psim_scenario *scn, FILE *fp, psim_error *err) PSIM_MUST_CHECK;

/* The same into a newly allocated NUL-terminated string (free with free()). */
psim_status psim_scenario_to_yaml(const psim_scenario *scn, char **text,
                                  psim_error *err) PSIM_MUST_CHECK;

/* Built-in treatment defaults (MODEL.md section 3): fills *t and returns 1 when
 * `name` is a built-in (botox, placebo, none, steroid_bupivacaine, lidocaine_tpi,
 * physio), else returns 0. */
int psim_treatment_builtin(const char *name, psim_treatment *t);

/* MODEL.md section 5 defaults: RUB, 3.5% discounting, u0 0.80, slope -0.041. */
void psim_economics_default(psim_economics *e);

/* Whether relief with this mean and sd is a Beta on [lo, hi] (or sd is 0,
 * a point mass): the rule loading checks, and a PSA checks on every draw. */
int psim_relief_feasible(psim_meansd r, double lo, double hi);

/* The mean of a distribution (dirichlet: alpha_k / sum alpha, into mean[0..dim)). */
void psim_dist_mean(const psim_dist *d, double *mean);

/* The p-quantile of a one-dimensional distribution, 0 < p < 1 (NaN for a
 * dirichlet; a fixed distribution's value). */
double psim_dist_quantile(const psim_dist *d, double p);

/* Name of a distribution kind ("beta", ...; never NULL). */
const char *psim_dist_name(psim_dist_kind k);

/* Names of the built-in treatments, NULL-terminated. */
extern const char *const psim_builtin_treatment_names[];

/* The planned session days (before eligibility, aspirin delay or response
 * rules); returns the count.  For on_relapse schedules only the first. */
int psim_schedule_planned_days(const psim_schedule *s, int *days, int cap);

#ifdef __cplusplus
}
#endif
#endif
