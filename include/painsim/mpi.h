/*
 * painsim/mpi.h: one run split over the ranks of an MPI communicator, written
 * to one HDF5 file with parallel HDF5 (MPI builds: cmake -DPAINSIM_MPI=ON).
 *
 * Each rank runs psim_run over its own contiguous range of blocks
 * (psim_run_options.first_block, n_blocks: psim_run_shard_range(scn, rank,
 * size, ...)), OpenMP inside the rank, with this sink as its only output.  The
 * sink writes every block's per-patient rows into the shared file with
 * collective writes (a rank whose range is shorter joins the remaining
 * rounds with nothing to write), each strategy's events at the rank's offset
 * (MPI_Exscan of the counts; kept in a temporary file until then), and sends
 * each block's partial sums to rank 0 (kept in a temporary file until the end),
 * which adds them in block order: the file has the same datasets and /results
 * as a one-process run (MODEL.md 7.5).  Parallel HDF5 1.10 cannot write
 * variable-length strings, so rank 0 writes the scenario text, the daily
 * summaries and /results after the parallel part, reopening the file alone.
 *
 * The file is NAME.partial until rank 0 renames it, as for serial runs.  Bad
 * output names fail on every rank (PSIM_ERR_USAGE / PSIM_ERR_EXISTS, nothing
 * written).  A failure or an interruption while the parallel file is open
 * ends every rank with MPI_Abort (a rank leaving a collective write would
 * leave the others waiting); the partial file left behind is stale and the
 * next run removes it.
 *
 * A PSA splits into ranges of iterations instead (psim_mpi_psa_gather): the
 * tables are small (iterations x strategies), so rank 0 gathers them,
 * analyses the whole sample and writes the PSA file alone.
 *
 * Every rank of the communicator must create the sink and run; MPI must have
 * been initialised with at least MPI_THREAD_SERIALIZED (the writing thread is
 * the one OpenMP picks for it).
 */
#ifndef PAINSIM_MPI_H
#define PAINSIM_MPI_H

#ifdef PAINSIM_HAVE_MPI
#include <mpi.h>

#include "painsim/error.h"
#include "painsim/psa.h"
#include "painsim/run.h"
#include "painsim/sink.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psim_mpi_sink psim_mpi_sink;

/* The strings must outlive the run. */
psim_status psim_mpi_sink_create(MPI_Comm comm, const char *path, int force, const char *command_line,
                                 psim_notice_fn notice, void *notice_data, psim_mpi_sink **out,
                                 psim_error *err) PSIM_MUST_CHECK;

/* The sink to put in psim_run_options.sinks. */
psim_sink psim_mpi_sink_get(psim_mpi_sink *ms);

/* After a successful run: the totals over every rank's blocks, added in block
 * order (rank 0; NULL on the other ranks). */
const psim_results *psim_mpi_sink_totals(const psim_mpi_sink *ms);

void psim_mpi_sink_destroy(psim_mpi_sink *ms);

/* The status every rank of comm agrees on: PSIM_OK when st is PSIM_OK on
 * every rank, else the status and message of the lowest failing rank, on
 * every rank.  Every rank must call it. */
psim_status psim_mpi_agree(MPI_Comm comm, psim_status st, psim_error *err) PSIM_MUST_CHECK;

/* A PSA split over the ranks: every rank calls this after psim_psa_run of
 * its range psim_psa_split(I, rank, size, ...), with that run's status st and
 * sample part.  The ranks agree on the status first (a failure on one rank is
 * returned on every rank, with the lowest failing rank's message); then rank
 * 0 receives every rank's rows in iteration order in *whole (the same rows as
 * one process: each iteration's row does not depend on the range it ran in),
 * elapsed_seconds the slowest rank's; *whole is NULL on the other ranks. */
psim_status psim_mpi_psa_gather(MPI_Comm comm, const psim_scenario *scn, psim_status st, const psim_psa_sample *part,
                                psim_psa_sample **whole, psim_error *err) PSIM_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif /* PAINSIM_HAVE_MPI */
#endif
