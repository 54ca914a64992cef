/*
 * painsim/psa.h: probabilistic sensitivity analysis (MODEL.md section 6).
 *
 * A PSA run draws, for each iteration i = 0 .. I-1, one value of every
 * parameter that the scenario gives as a distribution (psim_scenario.uncertain),
 * from a stream keyed by (seed, i, "psa", a hash of the parameter's scenario
 * key), so adding, removing or reordering parameters never changes another's
 * draws; it then simulates the cohort under
 * every strategy with common random numbers and keeps, per iteration and
 * strategy, the mean cost and QALYs and their within-iteration (co)variances.
 * Patients are fresh in every iteration (keyed by the iteration) or, with
 * `psa.patients: common`, iteration 0's patients in every iteration.
 *
 * Work is split over OpenMP threads in (iteration, block of patients) items;
 * each item's partial sums are combined in index order, so the results are
 * the same bits at any thread count.  Memory is a few buffers per thread plus
 * the I x S tables; trajectories are not kept.
 *
 * psim_psa_analyse turns the sample into the decision figures: CEAC, CEAF,
 * expected loss, EVPI with its Monte Carlo SE, EVPPI for every uncertain
 * parameter and every declared group (Strong, Oakley & Brennan 2014, by
 * include/painsim/voi.h), the variance partition into parameter and patient
 * noise (O'Hagan, Stevenson & Madan 2007) and the noise-corrected EVPI.
 *
 * Ownership: results and analyses are created here and released with their
 * destroy functions (which accept NULL); they are plain data.
 */
#ifndef PAINSIM_PSA_H
#define PAINSIM_PSA_H

#include <stdint.h>

#include "painsim/error.h"
#include "painsim/rng.h"
#include "painsim/run.h"
#include "painsim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Draw one value (dist.dim values for a dirichlet) from the stream rng. */
void psim_dist_draw(const psim_dist *d, psim_rng *rng, double *out);

/* The sample of a PSA run.  Tables are row-major; [I x S] means x[i * S + s]. */
typedef struct psim_psa_sample {
    int iterations;            /* I: the rows of the tables */
    int first_iteration;       /* the first row's iteration (0 unless the run was split) */
    int iterations_total;      /* the scenario's psa.iterations */
    int n_strategies;          /* S */
    int n_params;              /* uncertain parameters (scenario order) */
    int n_cols;                /* parameter columns C (a dirichlet has one per category) */
    int64_t patients;          /* per iteration */
    int common_patients;       /* 1: the same patients in every iteration */
    int reference;             /* index of the reference strategy */
    char (*strategy)[PSIM_NAME_MAX];        /* [S] */
    char (*col_name)[PSIM_PARAM_NAME_MAX];  /* [C] "treatments.botox.p_first", "cohort.lumbar_levels[2]" */
    char (*col_unit)[32];                   /* [C] */
    char (*col_dist)[96];                   /* [C] "beta(40, 35)" */
    int *col_param;                         /* [C] index of the parameter the column belongs to */
    char (*param_name)[PSIM_PARAM_NAME_MAX]; /* [n_params] scenario key ("cohort.lumbar_levels") */
    int *param_col;                         /* [n_params] its first column */
    int *param_dim;                         /* [n_params] its number of columns */
    double *params;            /* [I x C] the drawn values */
    double *cost, *qaly;       /* [I x S] mean per patient (currency, QALY), discounted */
    double *cost_var, *qaly_var, *cost_qaly_cov; /* [I x S] per-patient sample (co)variances within the iteration */
    double *dcost_var, *dqaly_var, *dcost_dqaly_cov; /* [I x S] the same of the paired differences against the reference */
    double elapsed_seconds;
} psim_psa_sample;

void psim_psa_sample_destroy(psim_psa_sample *s);

/* An empty sample of iterations [first, first + n) of the scenario's PSA:
 * the strategies and the parameter columns set, the tables zeroed.  NULL when
 * out of memory. */
psim_psa_sample *psim_psa_sample_for(const psim_scenario *scn, int first, int n);

/* Copy the rows of part into whole at part's iterations (both made for the
 * same scenario); PSIM_ERR_INPUT when part's shape or iterations do not fit. */
psim_status psim_psa_sample_place(psim_psa_sample *whole, const psim_psa_sample *part,
                                  psim_error *err) PSIM_MUST_CHECK;

/* The iterations of part `index` (0-based) of `count` of a PSA of I
 * iterations: contiguous ranges, the first I % count parts one iteration
 * longer (how `run --shard i/K` and MPI ranks split a PSA; MODEL.md 7.5).
 * PSIM_ERR_USAGE when index is out of range or count > I. */
psim_status psim_psa_split(int I, int index, int count, int *first, int *n, psim_error *err) PSIM_MUST_CHECK;

/* Check a drawn parameter set (the cross-parameter rules that loading checks on
 * the means: peak >= onset, feasible relief Betas, positive durations and
 * half-lives, min < max of the truncated normals and of the utility range).  Returns PSIM_ERR_INPUT with a sentence
 * naming the parameters otherwise. */
psim_status psim_psa_check_params(const psim_scenario *scn, psim_error *err) PSIM_MUST_CHECK;

/* Run the PSA: scn->psa.iterations iterations of scn->patients patients, or
 * the range opt->psa_first_iteration, opt->psa_iterations of them (each
 * iteration's row is the same bits whichever range it is run in).
 * Uses opt's threads, cancel and progress (progress counts iterations); no
 * file is written here (see psim_psa_write_h5). */
psim_status psim_psa_run(const psim_scenario *scn, const psim_run_options *opt, psim_psa_sample **out,
                         psim_error *err) PSIM_MUST_CHECK;

/* Variance partition of one quantity's per-iteration means. */
typedef struct psim_var_partition {
    double total;              /* variance of the per-iteration means over iterations */
    double noise;              /* mean within-iteration variance of the mean (patient noise) */
    double parameter;          /* total - noise, at least 0 */
    double noise_share;        /* noise / total */
    double patients_needed;    /* patients per iteration for noise <= 5% of the PSA variance */
} psim_var_partition;

typedef struct psim_psa_analysis {
    int n_wtp, S, n_evppi, n_groups;
    double wtp[PSIM_MAX_WTP];  /* currency per QALY */
    char currency[16];
    double population;         /* patients per year (0: not given) */
    double horizon_years;
    double population_factor;  /* population x sum of discount factors over the horizon years */
    double *ceac;              /* [W x S] probability that s has the highest NMB */
    double *enmb, *enmb_se;    /* [W x S] expected NMB and its Monte Carlo SE */
    double *loss;              /* [W x S] expected opportunity loss */
    int *ceaf_strategy;        /* [W] optimal strategy by expected NMB */
    double *ceaf;              /* [W] its probability of being cost-effective */
    double *evpi, *evpi_se;    /* [W] per patient, currency */
    double *evpi_corrected, *evpi_corrected_se; /* [W] EVPPI of all parameters (noise-corrected EVPI) */
    double *evppi, *evppi_se;  /* [n_evppi x W] one per uncertain parameter (scenario order) */
    double *group_evppi, *group_evppi_se; /* [n_groups x W] */
    char (*group_name)[PSIM_NAME_MAX];
    char (*group_members)[PSIM_ERROR_TEXT_MAX];
    psim_var_partition *var_cost, *var_qaly; /* [S] */
    psim_var_partition *var_inmb;            /* [S x W] incremental NMB against the reference */
    psim_var_partition *var_inmb_opt;        /* [W] INB of the optimal strategy vs the reference,
                                              * or vs the runner-up when the optimum is the reference */
} psim_psa_analysis;

/* Analyse a sample.  groups come from the scenario (may be NULL with n_groups 0);
 * seed keys the draws behind the EVPPI standard errors; the EVPPI regressions
 * run over `threads` OpenMP threads (0: OpenMP's default) with the same result
 * at any count. */
psim_status psim_psa_analyse(const psim_psa_sample *smp, const psim_economics *ec, const psim_evppi_group *groups,
                             int n_groups, uint64_t seed, int threads, psim_psa_analysis **out,
                             psim_error *err) PSIM_MUST_CHECK;

void psim_psa_analysis_destroy(psim_psa_analysis *a);

/* ---- the file ----------------------------------------------------------- */

/* Write a PSA file (docs/output-format.md, group /psa) named by
 * opt->output_path: root attributes and /scenario as in a cohort run, then
 * /psa with the sample and the analysis.  Uses opt's force, command_line and
 * notice.  Written to NAME.partial and renamed when complete, as a cohort run
 * does (see psim_output_check); an existing NAME is an error unless force. */
psim_status psim_psa_write_h5(const psim_scenario *scn, const psim_run_options *opt, const psim_psa_sample *smp,
                              const psim_psa_analysis *a, psim_error *err) PSIM_MUST_CHECK;

/* Write shard opt->shard_index (0-based) of opt->shard_count of a PSA run:
 * the root attributes and /scenario as in psim_psa_write_h5, file_kind
 * "shard", and /psa with the sample's rows only (no analysis); `painsim
 * merge` (painsim/merge.h) joins the shards and analyses the whole sample. */
psim_status psim_psa_write_shard_h5(const psim_scenario *scn, const psim_run_options *opt,
                                    const psim_psa_sample *smp, psim_error *err) PSIM_MUST_CHECK;

/* Read the sample and the analysis back from a PSA file.  A file without /psa
 * gives PSIM_ERR_INPUT. *scenario_name receives the scenario's name. */
psim_status psim_psa_read_h5(const char *path, psim_psa_sample **smp, psim_psa_analysis **a,
                             char scenario_name[PSIM_NAME_MAX], psim_error *err) PSIM_MUST_CHECK;

/* 1 when the file has a /psa group, 0 when not, -1 when it cannot be opened. */
int psim_psa_file_has_psa(const char *path);

/* ---- printing ----------------------------------------------------------- */

typedef enum {
    PSIM_PSA_TABLE = 0,    /* aligned text tables with units */
    PSIM_PSA_CSV = 1,      /* wide: one row per WTP value */
    PSIM_PSA_CSV_LONG = 2, /* tidy: scenario,strategy,quantity,wtp,value,se,unit */
    PSIM_PSA_JSON = 3,     /* estimates with their SE beside them */
    PSIM_PSA_SAMPLES = 4   /* the per-iteration sample as CSV (parameters, cost:s, qaly:s) */
} psim_psa_format;

psim_status psim_psa_print(const char *scenario_name, const psim_psa_sample *smp, const psim_psa_analysis *a,
                           psim_psa_format fmt, FILE *fp, psim_error *err) PSIM_MUST_CHECK;

/* The same with the tables fitted to `width` columns (0: as psim_psa_print,
 * one table however wide): columns that do not fit beside the row labels go
 * to further panels, long lines are wrapped.  Only the table format uses it. */
psim_status psim_psa_print_width(const char *scenario_name, const psim_psa_sample *smp, const psim_psa_analysis *a,
                                 psim_psa_format fmt, int width, FILE *fp, psim_error *err) PSIM_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
