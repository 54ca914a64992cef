/* Internal: one block of patients, as simulated by a worker and written by the
 * writer.  Buffers are allocated once per slot and reused for every block. */
#ifndef PAINSIM_BLOCK_H
#define PAINSIM_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "painsim/model.h"
#include "painsim/run.h"

/* Part `index` of `count` of n units (blocks of a cohort, iterations of a
 * PSA): contiguous ranges in index order, the first n % count parts one unit
 * longer.  The caller checks 0 <= index < count <= n. */
static inline void psim_split_even(int64_t n, int64_t index, int64_t count, int64_t *first, int64_t *len)
{
    int64_t base = n / count, extra = n % count;
    *first = index * base + (index < extra ? index : extra);
    *len = base + (index < extra ? 1 : 0);
}

/* Bytes after a block's vas_mm rows (block_size x n_recorded) that the
 * writer may use: it stores a chunk's checksum there (and zeros the rows
 * after the last patient of a short block) and writes the chunk to the file
 * from the block's own buffer, without copying it. */
#define PSIM_BLOCK_CHUNK_SLACK 4

typedef struct strat_block {
    uint8_t *vas_mm;        /* [block_size x n_recorded + PSIM_BLOCK_CHUNK_SLACK], NULL when trajectories are off */
    uint8_t *treated, *sessions, *antibody; /* [n] */
    uint32_t *units;        /* [n] */
    int32_t *session_day;   /* [n x max_sessions] */
    double *cost, *qaly;    /* [n] */
    int8_t *latent, *observed; /* [n x max_sessions] */
    uint16_t *ae_count;     /* [n_ae x n], kind-major so each kind is contiguous */
    uint16_t ae_tmp[PSIM_MAX_STRATEGY_AE];
    psim_event *events;
    size_t n_events, cap_events;
    int events_oom;
    /* partial summaries of this block */
    double *vas_t_sum, *vas_t_sumsq, *vas_u_sum, *vas_u_sumsq; /* [horizon], treated / untreated */
    uint32_t *responders;   /* [horizon] */
    int64_t treated_n, with_session, first_responders;
    int64_t persist_den, persist_num, recover_den, recover_num, antibody_n;
    double sessions_sum, sessions_sumsq, units_sum, units_sumsq;
    double cost_sum, cost_sumsq, qaly_sum, qaly_sumsq, cost_qaly_sum;
    double dcost_sum, dcost_sumsq, dqaly_sum, dqaly_sumsq, dcost_dqaly_sum;
    psim_pair_sums pair[PSIM_MAX_STRATEGIES]; /* this strategy minus strategy j (psim_strategy_summary.pair) */
    int64_t ae_total[PSIM_MAX_STRATEGY_AE];
} strat_block;

typedef struct psim_block {
    int64_t first;          /* index of the first patient */
    int n;                  /* patients in this block */
    int64_t eligible_n;
    double *baseline_vas, *pain_duration_months; /* [n] */
    uint8_t *lumbar_levels, *myofascial, *aspirin_recent, *eligible; /* [n] */
    uint8_t *contra[PSIM_N_CONTRA]; /* [n] each */
    double *eps;            /* [horizon] scratch noise path */
    double *eps_next;       /* [horizon] the next patient's, made with eps (psim_noise_path2) */
    double *effect;         /* [horizon] scratch for psim_simulate_patient */
    psim_session_draws draws; /* session draws of the current patient, shared by its strategies */
    strat_block s[PSIM_MAX_STRATEGIES];
} psim_block;

#endif
