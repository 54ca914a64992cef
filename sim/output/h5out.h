/* Internal: the HDF5 writer (docs/output-format.md).  Used from one thread only. */
#ifndef PAINSIM_H5OUT_H
#define PAINSIM_H5OUT_H

#include <hdf5.h>

#include "model/block.h"
#include "painsim/error.h"
#include "painsim/model.h"
#include "painsim/report.h"
#include "painsim/run.h"
#include "painsim/sink.h"
#include "output/outfile.h"

typedef struct psim_h5 psim_h5;

/* A merged file's virtual datasets: shard k (in block order) holds patients
 * [first[k], first[k] + patients[k]) and events[k * n_strategies + s] rows of
 * strategy s's events table, in the file names[k] (relative to the merged
 * file's directory). */
typedef struct psim_h5_vds {
    int copy; /* merge --copy: stored datasets, filled by psim_h5_copy_shard */
    int n;
    const char *const *names;
    const int64_t *first, *patients, *events;
} psim_h5_vds;

/* Begin `path` in `o` (psim_outfile_h5_create with force, notice and
 * notice_data) and lay it out with every dataset sized for the cohort.  `o`
 * must outlive the writer; after a failure the caller aborts it.  layout
 * (may be NULL: the whole cohort) goes into the provenance attributes; a
 * shard's layout (shard_count > 0) sizes the per-patient datasets for the
 * shard's patients and adds /partial_sums.  vds (may be NULL): a merged file,
 * whose per-patient datasets are virtual over the shards unless vds->copy. */
psim_status psim_h5_create(psim_outfile *o, const char *path, int force, psim_notice_fn notice, void *notice_data,
                           const char *command_line, const psim_model *m, const psim_run_layout *layout,
                           const psim_h5_vds *vds, psim_h5 **out, psim_error *err) PSIM_MUST_CHECK;

/* Write one block (blocks arrive in index order). */
psim_status psim_h5_write_block(psim_h5 *h, const psim_block *b, psim_error *err) PSIM_MUST_CHECK;

/* In a shard, the partial sums of block `index` (the next row of
 * /partial_sums; call it for every block, in order); nothing otherwise. */
psim_status psim_h5_write_partial(psim_h5 *h, int64_t index, const psim_results *partial,
                                  psim_error *err) PSIM_MUST_CHECK;

/* Read every per-patient dataset and events table of a shard (HDF5 checks
 * their checksums), and with h (a merged file made with copy) write them at
 * the shard's rows.  events[s] receives the rows of strategy s's events
 * table.  A shape that does not fit or a checksum that fails is PSIM_ERR_INPUT
 * naming the shard (`display`). */
psim_status psim_h5_copy_shard(psim_h5 *h, const psim_model *m, hid_t shard, const char *display, int64_t first,
                               int64_t patients, int64_t *events, psim_error *err) PSIM_MUST_CHECK;

/* Row `row` of a shard's /partial_sums: the block's index and its sums, into
 * part (from psim_results_create for the shard's scenario).  A shape that
 * does not fit the scenario is PSIM_ERR_INPUT (damaged). */
psim_status psim_h5_read_partial(hid_t file, const char *display, const psim_model *m, int64_t row,
                                 int64_t *block_index, psim_results *part, psim_error *err) PSIM_MUST_CHECK;

/* Write the per-day summaries and /results (from rep), then close the file
 * and commit its psim_outfile (psim_outfile_h5_finish); after a failure the
 * partial file is removed.  h is freed either way. */
psim_status psim_h5_finish(psim_h5 *h, const psim_results *r, const psim_report *rep,
                           psim_error *err) PSIM_MUST_CHECK;

/* Close without finishing (after an error); accepts NULL. */
void psim_h5_close(psim_h5 *h);

#ifdef PAINSIM_HAVE_MPI
#include <mpi.h>

/* A parallel file (MPI builds): every rank of comm calls psim_h5_create_par
 * with the same arguments and h5_name naming the same file; then every rank
 * calls psim_h5_write_block the same number of times (b == NULL when a rank
 * has no block in that round: all raw-data writes are collective), then
 * psim_h5_par_close, which writes each rank's events at its offset (the
 * counts of the ranks before it, MPI_Exscan) and closes the file.  What
 * parallel HDF5 1.10 cannot write (variable-length strings: the scenario
 * text, the /results tables) is left to one process afterwards:
 * psim_h5_reopen_serial then psim_h5_finish.  Any failure in between must end
 * every rank (MPI_Abort): a rank that leaves a collective call early would
 * leave the others waiting. */
psim_status psim_h5_create_par(const char *h5_name, const char *display, const psim_model *m,
                               const char *command_line, MPI_Comm comm, psim_h5 **out, psim_error *err) PSIM_MUST_CHECK;
psim_status psim_h5_par_close(psim_h5 *h, psim_error *err) PSIM_MUST_CHECK;
/* Open the closed parallel file on one process (serial access, the rank
 * whose psim_outfile `o` began it) and write /scenario/text and
 * /scenario/resolved; psim_h5_finish completes and commits it. */
psim_status psim_h5_reopen_serial(psim_outfile *o, const char *h5_name, const char *display, const psim_model *m,
                                  psim_h5 **out, psim_error *err) PSIM_MUST_CHECK;
#endif

/* The serial HDF5 file of a run as a sink (painsim/sink.h): created through
 * psim_outfile (NAME.partial, renamed when complete), laid out by
 * psim_h5_create, one psim_h5_write_block per block, and on finish the
 * summaries and /results of psim_report_from_results.  The strings must
 * outlive the run. */
typedef struct psim_h5_file_sink {
    const char *path;
    int force;
    const char *command_line;
    psim_notice_fn notice;
    void *notice_data;
    const psim_model *m;
    psim_outfile out;
    psim_h5 *h5;
    int shard;
} psim_h5_file_sink;

psim_sink psim_h5_file_sink_make(psim_h5_file_sink *fs, const char *path, int force, const char *command_line,
                                 psim_notice_fn notice, void *notice_data);

#endif
