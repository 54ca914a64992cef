/*
 * painsim/merge.h: shards of a run merged into one file (docs/cluster.md).
 *
 * `painsim run SCENARIO --shard i/K` writes shard i of K: a contiguous range
 * of the cohort's blocks (psim_run_shard_range), its per-patient datasets and
 * each block's partial sums.  psim_merge checks that the shards belong
 * together (all K present, none twice, the same scenario_sha256 and painsim
 * version, the layout psim_run_shard_range gives, nothing damaged) and writes
 * one file whose per-patient datasets are HDF5 virtual datasets over the
 * shards (relative file names), or copies (copy = 1), and whose summaries and
 * /results come from the blocks' partial sums added in block order: the same
 * values as a run in one process (MODEL.md 7.5).
 *
 * The shards of a PSA run (`painsim run SCENARIO --psa N --shard i/K`) hold
 * contiguous ranges of iterations (psim_psa_split); their rows are joined in
 * iteration order, analysed (CEAC, EVPI, EVPPI, ...) and written as one PSA
 * file (the tables are copied: they are small), the same as a PSA run in
 * one process apart from the root attributes that say it was merged.
 */
#ifndef PAINSIM_MERGE_H
#define PAINSIM_MERGE_H

#include "painsim/error.h"
#include "painsim/run.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psim_merge_options {
    const char *output_path;   /* the merged file (required) */
    int force;                 /* overwrite an existing output file */
    int copy;                  /* one self-contained file instead of virtual datasets */
    const char *command_line;  /* stored as a root attribute (may be NULL) */
    int threads;               /* a PSA's analysis (EVPPI regressions); 0: OpenMP's default */
    psim_notice_fn notice;     /* may be NULL */
    void *notice_data;
} psim_merge_options;

psim_merge_options psim_merge_options_default(void);

/* Merge the n shard files (in any order).  A shard that is missing,
 * duplicated, from another scenario text, seed or painsim version, or
 * damaged is PSIM_ERR_INPUT with a message naming the file; nothing is
 * written then.  On success *results (if not NULL) receives the totals of a
 * cohort run; it stays NULL for a PSA run (read the file with
 * psim_psa_read_h5). */
psim_status psim_merge(const char *const *shards, int n, const psim_merge_options *opt, psim_results **results,
                       psim_error *err) PSIM_MUST_CHECK;

/* Whether the file at path can be read as a finished run: PSIM_ERR_INPUT for
 * a shard (merge it first) and for a merged file one of whose shards (the
 * sources of its virtual datasets) is missing or unreadable, naming it:
 * HDF5 would read the missing rows as fill values without an error. */
psim_status psim_file_check_sources(const char *path, psim_error *err) PSIM_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
