/*
 * painsim/sink.h: where a run's blocks go.
 *
 * psim_run simulates blocks of patients on OpenMP threads and hands them, in
 * block index order and from one thread only (the caller's), to each sink of
 * the run: begin once, write_block for every block of the run's range, then
 * finish with the totals, or abort after a failure (abort is also called
 * after a failed begin, write_block or finish).  The serial HDF5 file of
 * `painsim run` is one sink (psim_run creates it when
 * psim_run_options.output_path is set); shard files and a parallel HDF5 writer
 * are others.
 *
 * With every block it receives the block's partial sums as a psim_results
 * holding that block only (psim_results.patients = the block's patients, the
 * strategies' sums over those patients).  Adding the partial sums of blocks
 * 0, 1, ..., n_blocks - 1 in that order with psim_results_add gives the
 * totals of the whole cohort bit for bit, whatever process simulated them
 * (MODEL.md 7.3 and 7.5).
 *
 * A sink owns its data; the run never frees it.
 */
#ifndef PAINSIM_SINK_H
#define PAINSIM_SINK_H

#include <stdint.h>

#include "painsim/error.h"
#include "painsim/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One block of simulated patients: its per-patient columns (sim/model/block.h
 * inside the project).  Valid only during the write_block call. */
typedef struct psim_block psim_block;
typedef struct psim_results psim_results;

/* Which part of the cohort a run simulates: blocks [first_block, first_block
 * + n_blocks) of n_blocks_total, that is patients [first_patient,
 * first_patient + patients) of patients_total.  shard_count is 0 for a run of
 * the whole cohort in one file, else the run writes shard shard_index
 * (0-based) of shard_count. */
typedef struct psim_run_layout {
    int block_size;
    int64_t n_blocks_total, patients_total;
    int64_t first_block, n_blocks;
    int64_t first_patient, patients;
    int shard_index, shard_count;
} psim_run_layout;

typedef struct psim_sink {
    void *data;
    /* Before the first block.  m outlives the run's other calls. */
    psim_status (*begin)(void *data, const psim_model *m, const psim_run_layout *layout,
                         psim_error *err) PSIM_MUST_CHECK;
    /* Block `index` (absolute: patients index * block_size, ...), in index order. */
    psim_status (*write_block)(void *data, int64_t index, const psim_block *b, const psim_results *partial,
                               psim_error *err) PSIM_MUST_CHECK;
    /* After the last block: r holds the totals over the run's blocks. */
    psim_status (*finish)(void *data, const psim_results *r, psim_error *err) PSIM_MUST_CHECK;
    /* After a failure; must undo what begin created.  It may also follow a
     * successful finish (when a later sink fails), and must then be harmless.
     * A sink whose finish succeeded has released everything.  May be NULL. */
    void (*abort)(void *data);
} psim_sink;

/* A block's first patient and its number of patients. */
int64_t psim_block_first(const psim_block *b);
int psim_block_patients(const psim_block *b);

#ifdef __cplusplus
}
#endif
#endif
