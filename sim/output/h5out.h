/* Internal: the HDF5 writer (docs/output-format.md).  Used from one thread only. */
#ifndef PAINSIM_H5OUT_H
#define PAINSIM_H5OUT_H

#include "model/block.h"
#include "painsim/error.h"
#include "painsim/model.h"
#include "painsim/report.h"
#include "painsim/run.h"
#include "painsim/sink.h"
#include "output/outfile.h"

typedef struct psim_h5 psim_h5;

/* Lay out the file HDF5 opens as `h5_name` (psim_outfile's name for the
 * partial file it created) with every dataset sized for the cohort; errors
 * name `display` (the final file name). */
psim_status psim_h5_create(const char *h5_name, const char *display, const psim_model *m, const char *command_line,
                           psim_h5 **out, psim_error *err) PSIM_MUST_CHECK;

/* Write one block (blocks arrive in index order). */
psim_status psim_h5_write_block(psim_h5 *h, const psim_block *b, psim_error *err) PSIM_MUST_CHECK;

/* Write the per-day summaries and /results (from rep), then close the file. */
psim_status psim_h5_finish(psim_h5 *h, const psim_results *r, const psim_report *rep,
                           psim_error *err) PSIM_MUST_CHECK;

/* Close without finishing (after an error); accepts NULL. */
void psim_h5_close(psim_h5 *h);

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
} psim_h5_file_sink;

psim_sink psim_h5_file_sink_make(psim_h5_file_sink *fs, const char *path, int force, const char *command_line,
                                 psim_notice_fn notice, void *notice_data);

#endif
