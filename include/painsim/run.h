/*
 * painsim/run.h: run a scenario over the whole cohort and write the HDF5 file.
 *
 * psim_run simulates every patient under every strategy, in fixed-size blocks
 * of patients spread over OpenMP threads; one thread (the caller's) writes the
 * blocks in order to NAME.partial, which is renamed to NAME when complete.
 * Summaries are per-block partial sums combined in block order, so the file is
 * byte-for-byte the same at any thread count (apart from the creation-time and
 * command-line attributes, which say when and how it was made).
 *
 * Memory does not grow with the cohort: a run holds two batches of blocks.
 */
#ifndef PAINSIM_RUN_H
#define PAINSIM_RUN_H

#include <signal.h>
#include <stdio.h>
#include <stdint.h>

#include "painsim/error.h"
#include "painsim/scenario.h"
#include "painsim/sink.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called by the writing thread after each batch of blocks. */
typedef void (*psim_progress_fn)(void *data, int64_t patients_done, int64_t patients_total,
                                 double elapsed_seconds);

/* Called with a one-line message about something the run did that the user
 * should hear of (for example: a stale NAME.partial of a killed run removed). */
typedef void (*psim_notice_fn)(void *data, const char *message);

typedef struct psim_run_options {
    int threads;                   /* 0: OpenMP's default */
    const char *output_path;       /* the HDF5 file; NULL: simulate and summarise only */
    int force;                     /* overwrite an existing output file */
    const char *command_line;      /* stored as a root attribute (may be NULL) */
    psim_progress_fn progress;     /* may be NULL */
    void *progress_data;
    volatile sig_atomic_t *cancel; /* when set to nonzero, the run stops with PSIM_ERR_INTERRUPTED */
    psim_notice_fn notice;         /* may be NULL */
    void *notice_data;
    /* The blocks to simulate: [first_block, first_block + n_blocks) of the
     * cohort's blocks of block_size patients; n_blocks 0: to the last block.
     * Default: all of them. */
    int64_t first_block, n_blocks;
    /* Written for the layout's provenance (painsim/sink.h); shard_count 0: no shards. */
    int shard_index, shard_count;
    /* PSA runs (painsim/psa.h): the iterations to simulate,
     * [psa_first_iteration, psa_first_iteration + psa_iterations) of the
     * scenario's psa.iterations; psa_iterations 0: to the last.  Default: all. */
    int psa_first_iteration, psa_iterations;
    /* Further sinks that receive every block (painsim/sink.h), after the
     * file of output_path if any. */
    const psim_sink *sinks;
    int n_sinks;
} psim_run_options;

psim_run_options psim_run_options_default(void);

/* Sums over the patients of the paired per-patient differences between two
 * strategies (common random numbers): cost, QALYs, their squares and their
 * product, enough for the mean and standard error of each difference and of
 * the incremental NMB (psim_econ_mean_se, psim_econ_nmb_se). */
typedef struct psim_pair_sums {
    double dcost_sum, dcost_sumsq, dqaly_sum, dqaly_sumsq, dcost_dqaly_sum;
} psim_pair_sums;

/* Summary of one strategy over the cohort. Response figures are over the
 * treated (patients who received the strategy's own treatment); costs, mean VAS
 * and counts per patient are over all patients (MODEL.md section 5). */
typedef struct psim_strategy_summary {
    char name[PSIM_NAME_MAX];
    char treatment[PSIM_NAME_MAX];
    int64_t patients;
    int64_t eligible;
    int64_t treated;
    int64_t with_session;       /* treated patients with at least one session */
    int64_t first_responders;   /* treated with R_1 = 1 */
    int64_t persist_den, persist_num; /* R_1 = 1 and >= 2 sessions; of those R_j = 1 at every later one */
    int64_t recover_den, recover_num; /* R_1 = 0 and >= 2 sessions; of those R_j = 1 at some later one */
    int64_t antibody;           /* patients who turned antibody-positive */
    double sessions_sum, sessions_sumsq; /* per patient, over all patients */
    double units_sum, units_sumsq;
    /* Economics per patient over all patients, discounted (MODEL.md section 5):
     * cost in the scenario's currency, QALYs; and the paired differences
     * this strategy minus the reference strategy (common random numbers). */
    double cost_sum, cost_sumsq, qaly_sum, qaly_sumsq, cost_qaly_sum;
    double dcost_sum, dcost_sumsq, dqaly_sum, dqaly_sumsq, dcost_dqaly_sum;
    /* pair[j]: the same sums for this strategy minus strategy j, for every
     * strategy j of the run (all zero for j = this strategy; pair[reference]
     * holds the same values as dcost_sum etc.).  The sequential comparisons
     * along the efficient frontier use them (MODEL.md section 6). */
    psim_pair_sums pair[PSIM_MAX_STRATEGIES];
    int n_ae;
    char ae_name[2 * PSIM_MAX_AE][PSIM_NAME_MAX];
    int64_t ae_count[2 * PSIM_MAX_AE];    /* events of each kind over the cohort */
    /* per day t = 0..horizon-1 */
    double *vas_sum, *vas_sumsq;                 /* all patients, cm */
    double *vas_treated_sum, *vas_treated_sumsq; /* treated patients, cm */
    int64_t *responders;                         /* treated with VAS(t) <= B/2 */
} psim_strategy_summary;

typedef struct psim_results {
    int n_strategies;
    int horizon_days;
    int64_t patients;
    uint64_t seed;
    char scenario[PSIM_NAME_MAX];
    char reference[PSIM_NAME_MAX];
    double elapsed_seconds;     /* wall time of the simulation and writing */
    psim_strategy_summary *strategies;
} psim_results;

/* Whether `path` may take a run's output: PSIM_OK when it does not exist,
 * or is a regular file and force is set; PSIM_ERR_EXISTS when it exists
 * without force, or when another run is writing NAME.partial (it holds the
 * lock); PSIM_ERR_USAGE when its directory is missing, when it is a directory,
 * a symbolic link, a FIFO or a device, or when NAME.partial is not a regular
 * file.  A NAME.partial whose writer is gone (stale) is fine: the run removes it. */
psim_status psim_output_check(const char *path, int force, psim_error *err) PSIM_MUST_CHECK;

/* What a run will hold in memory at its peak, in bytes, estimated from the
 * scenario and the thread count before anything is allocated.  Cohort runs:
 * two batches of 2 x threads blocks of block_size patients (each with every
 * strategy's trajectories when they are written), the summaries, HDF5's
 * buffers for one chunk, and the program itself.  PSA runs: the per-thread
 * scratch, the sums of a group of iterations, the sample and its analysis. */
typedef struct psim_memory_estimate {
    double total;      /* bytes */
    double blocks;     /* block buffers (cohort runs) or per-thread scratch (PSA) */
    double per_block;  /* one block (cohort runs) */
    int slots;         /* blocks in memory at once (cohort runs) */
    double summaries;  /* per-day summaries, PSA sums, sample and analysis */
    double writer;     /* HDF5: metadata cache and one chunk's filter buffers */
    double program;    /* code, libraries, HDF5 and OpenMP runtime */
} psim_memory_estimate;

psim_status psim_memory_estimate_run(const psim_scenario *scn, int threads, int write_file, psim_memory_estimate *out,
                                     psim_error *err) PSIM_MUST_CHECK;

/* Run the scenario.  On success *results (if results is not NULL) receives the
 * summaries (free with psim_results_destroy). */
psim_status psim_run(const psim_scenario *scn, const psim_run_options *opt, psim_results **results,
                     psim_error *err) PSIM_MUST_CHECK;

void psim_results_destroy(psim_results *r);

/* Empty totals (every sum zero, patients 0) for the scenario's strategies. */
psim_results *psim_results_create(const psim_scenario *scn, const psim_model *m);

/* total += part, sum by sum (the same additions psim_run makes block after
 * block); the two must have the same strategies and horizon. */
void psim_results_add(psim_results *total, const psim_results *part);

/* Blocks of the cohort: ceil(patients / block_size). */
int64_t psim_run_n_blocks(const psim_scenario *scn);

/* Shard `index` (0-based) of `count` takes blocks [*first, *first + *n):
 * contiguous ranges, the first n_blocks % count shards one block longer.
 * PSIM_ERR_USAGE when count < 1, index is outside [0, count) or there are
 * fewer blocks than shards. */
psim_status psim_run_shard_range(const psim_scenario *scn, int index, int count, int64_t *first, int64_t *n,
                                 psim_error *err) PSIM_MUST_CHECK;

/* Derived figures.  A proportion k / n with its binomial standard error. */
double psim_summary_proportion(int64_t k, int64_t n, double *se);
double psim_summary_mean_vas(const psim_strategy_summary *s, int day, double *se);
double psim_summary_mean_vas_treated(const psim_strategy_summary *s, int day, double *se);
double psim_summary_observed_response(const psim_strategy_summary *s, int day, double *se);
double psim_summary_first_response(const psim_strategy_summary *s, double *se);
double psim_summary_mean_sessions(const psim_strategy_summary *s, double *se);
double psim_summary_mean_units(const psim_strategy_summary *s, double *se);

#ifdef __cplusplus
}
#endif
#endif
