/* A PSA split over the ranks of an MPI communicator: each rank simulates its
 * range of iterations (psim_psa_split), rank 0 gathers the rows in iteration
 * order (painsim/mpi.h). */
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "model/psa_internal.h"
#include "painsim/mpi.h"
#include "painsim/psa.h"

/* The status every rank agrees on: the error of the lowest failing rank. */
static psim_status agree(MPI_Comm comm, int rank, int size, psim_status st, psim_error *err)
{
    int mine = st != PSIM_OK ? rank : size, first = size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == size)
        return PSIM_OK;
    psim_error e;
    memset(&e, 0, sizeof e);
    if (rank == first) {
        e = *err;
        e.code = st;
    }
    MPI_Bcast(&e, (int)sizeof e, MPI_BYTE, first, comm);
    *err = e;
    return e.code;
}

psim_status psim_mpi_agree(MPI_Comm comm, psim_status st, psim_error *err)
{
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    return agree(comm, rank, size, st, err);
}

psim_status psim_mpi_psa_gather(MPI_Comm comm, const psim_scenario *scn, psim_status st, const psim_psa_sample *part,
                                psim_psa_sample **whole, psim_error *err)
{
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    *whole = NULL;
    st = agree(comm, rank, size, st, err);
    if (st != PSIM_OK)
        return st;
    const int I = scn->psa.iterations, S = part->n_strategies, C = part->n_cols;
    /* MPI counts are ints: every rank knows the sizes, so all refuse alike */
    if ((long long)I * (S > C ? S : C) > INT_MAX)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                              "a PSA of %d iterations x %d columns is too large to gather over MPI ranks; split "
                              "it into shards (run --shard i/K, then painsim merge)",
                              I, S > C ? S : C);
    int layout[2] = {part->first_iteration, part->iterations};
    int *all = NULL, *counts = NULL, *displs = NULL;
    psim_psa_sample *w = NULL;
    int ok = 1;
    if (rank == 0) {
        all = malloc(2 * (size_t)size * sizeof *all);
        counts = malloc((size_t)size * sizeof *counts);
        displs = malloc((size_t)size * sizeof *displs);
        w = psim_psa_sample_for(scn, 0, I);
        ok = all && counts && displs && w;
    }
    st = agree(comm, rank, size,
               ok ? PSIM_OK : psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the PSA tables"), err);
    if (st != PSIM_OK)
        goto cleanup;
    MPI_Gather(layout, 2, MPI_INT, all, 2, MPI_INT, 0, comm);
    /* the ranks' rows must tile the iterations in rank order */
    if (rank == 0) {
        int next = 0;
        for (int r = 0; r < size && ok; r++) {
            ok = all[2 * r] == next && all[2 * r + 1] >= 0;
            next += all[2 * r + 1];
        }
        ok = ok && next == I;
    }
    st = agree(comm, rank, size,
               ok ? PSIM_OK
                  : psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                                   "the MPI ranks' PSA iterations do not cover iterations 0 to %d once each", I - 1),
               err);
    if (st != PSIM_OK)
        goto cleanup;
    for (int k = 0; k < PSIM_PSA_ROW_TABLES; k++) {
        const int width = psim_psa_row_width_(part, k);
        if (width == 0)
            continue;
        if (rank == 0)
            for (int r = 0; r < size; r++) {
                counts[r] = all[2 * r + 1] * width;
                displs[r] = all[2 * r] * width;
            }
        MPI_Gatherv(psim_psa_row_table_(part, k), part->iterations * width, MPI_DOUBLE,
                    rank == 0 ? psim_psa_row_table_(w, k) : NULL, counts, displs, MPI_DOUBLE, 0, comm);
    }
    /* the run took as long as its slowest rank */
    double el = part->elapsed_seconds, most = 0.0;
    MPI_Reduce(&el, &most, 1, MPI_DOUBLE, MPI_MAX, 0, comm);
    if (rank == 0) {
        w->elapsed_seconds = most;
        *whole = w;
        w = NULL;
    }
cleanup:
    psim_psa_sample_destroy(w);
    free(all);
    free(counts);
    free(displs);
    return st;
}
