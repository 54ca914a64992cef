/* One file written by every rank of an MPI run (painsim/mpi.h). */
#include "painsim/mpi.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "output/h5out.h"
#include "output/outfile.h"
#include "painsim/report.h"

enum { STATE_NONE, STATE_OPEN, STATE_CLOSED };

/* Partial sums per message to rank 0 (about 120 KiB each for the default
 * scenario). */
#define PARTS_PER_MESSAGE 16

struct psim_mpi_sink {
    MPI_Comm comm;
    int rank, size;
    const char *path, *command_line;
    int force;
    psim_notice_fn notice;
    void *notice_data;
    const psim_model *m;
    psim_outfile out;           /* rank 0 */
    char partial[PATH_MAX];     /* the name every rank opens */
    psim_h5 *h5;
    int state;
    int64_t my_blocks, max_blocks, written;
    /* Every block's partial sums must be added in block order.  Rank 0's
     * blocks come first: it adds them as they are written.  The other ranks
     * spill theirs, packed (record_size bytes each), to a temporary file and
     * send them to rank 0 in rank order at the end, a few at a time, so no
     * rank's memory grows with the cohort. */
    FILE *spill;                /* ranks > 0 */
    unsigned char *rec;         /* PARTS_PER_MESSAGE records */
    int spill_failed;
    size_t record_size;
    psim_results *total, *tmp;  /* rank 0 */
};

/* ---- failures ----------------------------------------------------------- */

/* A failure while the parallel file is open: the other ranks may be inside
 * a collective call that this rank will never make, so end them all. */
static void die(psim_mpi_sink *ms, const psim_error *err)
{
    char buf[PSIM_ERROR_TEXT_MAX + PSIM_ERROR_FILE_MAX + 64];
    if (err && err->code != PSIM_OK) {
        psim_error_format(err, buf, sizeof buf);
        fprintf(stderr, "painsim: error: rank %d: %s\n", ms->rank, buf);
    }
    fprintf(stderr, "painsim: rank %d of %d failed while the ranks were writing %s together: stopping every rank\n",
            ms->rank, ms->size, ms->path);
    fflush(stderr);
    MPI_Abort(ms->comm, 1);
}

/* Rank 0's status and error, given to every rank. */
static psim_status share_status(psim_mpi_sink *ms, psim_status st, psim_error *err)
{
    psim_error e;
    if (ms->rank == 0) {
        e = *err;
        e.code = st;
    }
    MPI_Bcast(&e, (int)sizeof e, MPI_BYTE, 0, ms->comm);
    if (ms->rank != 0 && e.code != PSIM_OK)
        *err = e;
    return e.code;
}

/* ---- partial sums -------------------------------------------------------- */

static size_t record_size(const psim_model *m)
{
    const psim_scenario *scn = psim_model_scenario(m);
    const size_t H = (size_t)scn->horizon_days;
    return sizeof(int64_t) + (size_t)scn->n_strategies * (sizeof(psim_strategy_summary) + 4 * H * sizeof(double) +
                                                           H * sizeof(int64_t));
}

static void pack(unsigned char *p, const psim_results *r)
{
    const size_t H = (size_t)r->horizon_days;
    memcpy(p, &r->patients, sizeof r->patients);
    p += sizeof r->patients;
    for (int s = 0; s < r->n_strategies; s++) {
        const psim_strategy_summary *ss = &r->strategies[s];
        memcpy(p, ss, sizeof *ss); /* its pointers are not used by unpack */
        p += sizeof *ss;
        const double *arr[4] = {ss->vas_sum, ss->vas_sumsq, ss->vas_treated_sum, ss->vas_treated_sumsq};
        for (int k = 0; k < 4; k++) {
            memcpy(p, arr[k], H * sizeof(double));
            p += H * sizeof(double);
        }
        memcpy(p, ss->responders, H * sizeof(int64_t));
        p += H * sizeof(int64_t);
    }
}

static void unpack(psim_results *r, const unsigned char *p)
{
    const size_t H = (size_t)r->horizon_days;
    memcpy(&r->patients, p, sizeof r->patients);
    p += sizeof r->patients;
    for (int s = 0; s < r->n_strategies; s++) {
        psim_strategy_summary *ss = &r->strategies[s];
        double *arr[4] = {ss->vas_sum, ss->vas_sumsq, ss->vas_treated_sum, ss->vas_treated_sumsq};
        int64_t *resp = ss->responders;
        memcpy(ss, p, sizeof *ss);
        p += sizeof *ss;
        ss->vas_sum = arr[0];
        ss->vas_sumsq = arr[1];
        ss->vas_treated_sum = arr[2];
        ss->vas_treated_sumsq = arr[3];
        ss->responders = resp;
        for (int k = 0; k < 4; k++) {
            memcpy(arr[k], p, H * sizeof(double));
            p += H * sizeof(double);
        }
        memcpy(resp, p, H * sizeof(int64_t));
        p += H * sizeof(int64_t);
    }
}

/* ---- the sink ------------------------------------------------------------ */

static psim_status sink_begin(void *data, const psim_model *m, const psim_run_layout *layout, psim_error *err)
{
    psim_mpi_sink *ms = data;
    psim_status st = PSIM_OK;
    ms->m = m;
    if (ms->rank == 0) {
        st = psim_output_check(ms->path, ms->force, err);
        if (st == PSIM_OK)
            st = psim_outfile_begin(&ms->out, ms->path, ms->force, ms->notice, ms->notice_data, err);
        if (st == PSIM_OK && snprintf(ms->partial, sizeof ms->partial, "%s", ms->out.partial) >= (int)sizeof ms->partial)
            st = psim_error_set(err, PSIM_ERR_USAGE, ms->path, 0, 0, "the output path is too long");
    }
    st = share_status(ms, st, err);
    if (st != PSIM_OK)
        return st;
    MPI_Bcast(ms->partial, (int)sizeof ms->partial, MPI_CHAR, 0, ms->comm);

    ms->record_size = record_size(m);
    ms->my_blocks = layout->n_blocks;
    long long mine = (long long)layout->n_blocks, most = 0;
    MPI_Allreduce(&mine, &most, 1, MPI_LONG_LONG, MPI_MAX, ms->comm);
    ms->max_blocks = most;
    ms->rec = malloc(ms->record_size * PARTS_PER_MESSAGE);
    if (ms->rank == 0) {
        ms->total = psim_results_create(psim_model_scenario(m), m);
        ms->tmp = psim_results_create(psim_model_scenario(m), m);
    } else {
        ms->spill = psim_spill_file();
    }
    int ok = ms->rec && (ms->rank != 0 ? ms->spill != NULL : (ms->total && ms->tmp)), all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, ms->comm);
    if (!all_ok)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0,
                              "out of memory, or no temporary file ($TMPDIR, else /tmp), for the partial sums of "
                              "the blocks");

    /* collective: every rank creates the same file */
    st = psim_h5_create_par(ms->partial, ms->path, m, ms->command_line, ms->comm, &ms->h5, err);
    ms->state = STATE_OPEN;
    if (st != PSIM_OK)
        die(ms, err);
    return PSIM_OK;
}

static psim_status sink_write_block(void *data, int64_t index, const psim_block *b, const psim_results *partial,
                                    psim_error *err)
{
    psim_mpi_sink *ms = data;
    (void)index;
    psim_status st = psim_h5_write_block(ms->h5, b, err);
    if (st != PSIM_OK)
        die(ms, err);
    if (ms->rank == 0) {
        psim_results_add(ms->total, partial); /* rank 0's blocks are the first ones */
    } else {
        pack(ms->rec, partial);
        if (fwrite(ms->rec, ms->record_size, 1, ms->spill) != 1)
            ms->spill_failed = 1; /* said after the collective part, by every rank */
    }
    ms->written++;
    return PSIM_OK;
}

static psim_status sink_finish(void *data, const psim_results *r, psim_error *err)
{
    psim_mpi_sink *ms = data;
    psim_status st = PSIM_OK;
    (void)r; /* this rank's totals; rank 0 adds every block's instead */
    /* the rounds of the ranks with more blocks */
    for (int64_t k = ms->written; k < ms->max_blocks; k++) {
        st = psim_h5_write_block(ms->h5, NULL, err);
        if (st != PSIM_OK)
            die(ms, err);
    }
    st = psim_h5_par_close(ms->h5, err);
    ms->h5 = NULL;
    if (st != PSIM_OK)
        die(ms, err);
    ms->state = STATE_CLOSED;

    /* the other ranks' partial sums to rank 0, in rank order = block order,
     * PARTS_PER_MESSAGE at a time; a rank whose spill file failed sends its
     * messages all the same (so that nobody waits) and says so after */
    long long mine = (long long)ms->my_blocks;
    int ok = !ms->spill_failed;
    if (ms->rank > 0 && ok && fseek(ms->spill, 0, SEEK_SET) != 0)
        ok = 0;
    for (int from = 1; from < ms->size; from++) {
        long long n = mine;
        MPI_Bcast(&n, 1, MPI_LONG_LONG, from, ms->comm);
        for (long long k = 0; k < n; k += PARTS_PER_MESSAGE) {
            int cnt = (int)(n - k < PARTS_PER_MESSAGE ? n - k : PARTS_PER_MESSAGE);
            int bytes = (int)((size_t)cnt * ms->record_size);
            if (ms->rank == from) {
                if (ok && fread(ms->rec, ms->record_size, (size_t)cnt, ms->spill) != (size_t)cnt)
                    ok = 0;
                MPI_Send(ms->rec, bytes, MPI_BYTE, 0, 0, ms->comm);
            } else if (ms->rank == 0) {
                MPI_Recv(ms->rec, bytes, MPI_BYTE, from, 0, ms->comm, MPI_STATUS_IGNORE);
                for (int q = 0; q < cnt; q++) {
                    unpack(ms->tmp, ms->rec + (size_t)q * ms->record_size);
                    psim_results_add(ms->total, ms->tmp);
                }
            }
        }
    }
    int all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, ms->comm);
    if (!all_ok)
        st = psim_error_set(err, PSIM_ERR_IO, NULL, 0, 0,
                            "a rank could not keep its blocks' partial sums in its temporary file ($TMPDIR, else "
                            "/tmp): full?");

    if (ms->rank == 0 && st == PSIM_OK) {
        /* what parallel HDF5 cannot write, rank 0 alone */
        psim_h5 *h = NULL;
        psim_report *rep = NULL;
        st = psim_h5_reopen_serial(&ms->out, ms->partial, ms->path, ms->m, &h, err);
        if (st == PSIM_OK)
            st = psim_report_from_results(ms->total, psim_model_scenario(ms->m), &rep, err);
        if (st == PSIM_OK) {
            /* closes the file and commits it, or removes it after a failure */
            st = psim_h5_finish(h, ms->total, rep, err);
            h = NULL;
        }
        psim_h5_close(h);
        psim_report_destroy(rep);
    }
    return share_status(ms, st, err);
}

static void sink_abort(void *data)
{
    psim_mpi_sink *ms = data;
    if (ms->state == STATE_OPEN)
        die(ms, NULL);
    if (ms->rank == 0)
        psim_outfile_abort(&ms->out);
}

/* ---- API ----------------------------------------------------------------- */

psim_status psim_mpi_sink_create(MPI_Comm comm, const char *path, int force, const char *command_line,
                                 psim_notice_fn notice, void *notice_data, psim_mpi_sink **out, psim_error *err)
{
    *out = NULL;
    psim_mpi_sink *ms = calloc(1, sizeof *ms);
    if (!ms)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
    ms->comm = comm;
    MPI_Comm_rank(comm, &ms->rank);
    MPI_Comm_size(comm, &ms->size);
    ms->path = path;
    ms->force = force;
    ms->command_line = command_line;
    ms->notice = notice;
    ms->notice_data = notice_data;
    ms->out.fd = -1;
    *out = ms;
    return PSIM_OK;
}

psim_sink psim_mpi_sink_get(psim_mpi_sink *ms)
{
    psim_sink s = {.data = ms, .begin = sink_begin, .write_block = sink_write_block, .finish = sink_finish,
                   .abort = sink_abort};
    return s;
}

const psim_results *psim_mpi_sink_totals(const psim_mpi_sink *ms)
{
    return ms->rank == 0 && ms->state == STATE_CLOSED ? ms->total : NULL;
}

void psim_mpi_sink_destroy(psim_mpi_sink *ms)
{
    if (!ms)
        return;
    psim_h5_close(ms->h5);
    free(ms->rec);
    if (ms->spill)
        fclose(ms->spill);
    psim_results_destroy(ms->total);
    psim_results_destroy(ms->tmp);
    free(ms);
}
