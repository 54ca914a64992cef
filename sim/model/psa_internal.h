/* Internal: constructors shared by the PSA engine (sim/model/psa.c), its
 * analysis (sim/economics/psa_analysis.c) and the PSA file reader
 * (sim/output/psa_h5.c). */
#ifndef PAINSIM_PSA_INTERNAL_H
#define PAINSIM_PSA_INTERNAL_H

#include <hdf5.h>

#include "painsim/psa.h"

/* A sample of I iterations, S strategies, C parameter columns and P
 * parameters with every table allocated (zeroed) and the sizes set; names,
 * the column layout and the reference are the caller's to fill.  NULL when
 * out of memory. */
psim_psa_sample *psim_psa_sample_new_(int I, int S, int C, int P);

/* An analysis for S strategies, W WTP values, P parameters and G groups,
 * every array allocated (zeroed).  NULL when out of memory. */
psim_psa_analysis *psim_psa_analysis_new_(int S, int W, int P, int G);

/* The tables with one row per iteration: k = 0 the parameters [I x C],
 * 1 .. 8 cost, qaly, cost_var, qaly_var, cost_qaly_cov, dcost_var,
 * dqaly_var, dcost_dqaly_cov [I x S]; their row widths. */
#define PSIM_PSA_ROW_TABLES 9
double *psim_psa_row_table_(const psim_psa_sample *s, int k);
int psim_psa_row_width_(const psim_psa_sample *s, int k);

/* Write a PSA file (psim_psa_write_h5) or, with a == NULL, shard
 * opt->shard_index of opt->shard_count (psim_psa_write_shard_h5).
 * merged_shards > 0: a file merged from that many shards (file_kind
 * "merged"). */
psim_status psim_psa_write_h5_as_(const psim_scenario *scn, const psim_run_options *opt, const psim_psa_sample *smp,
                                  const psim_psa_analysis *a, int merged_shards, psim_error *err) PSIM_MUST_CHECK;

/* Read the rows of a PSA shard's /psa (an open file; path names it in
 * errors) into part, made by psim_psa_sample_for for the iterations the
 * shard's attributes give: its parameters and [iteration x strategy] tables
 * and its elapsed seconds.  A shard whose tables have another shape is
 * PSIM_ERR_INPUT (damaged). */
psim_status psim_psa_read_shard_h5(hid_t file, const char *path, psim_psa_sample *part,
                                   psim_error *err) PSIM_MUST_CHECK;

#endif
