/*
 * The life of an output file: NAME.partial while it is written, NAME when it
 * is complete.
 *
 *   psim_outfile_begin   refuses a NAME it must not take (a directory, a FIFO,
 *                        a symbolic link at NAME.partial, an existing NAME
 *                        without force, a missing directory), detects a stale
 *                        NAME.partial left by a run that was killed (nobody
 *                        holds its lock) and removes it, then creates
 *                        NAME.partial with O_CREAT|O_EXCL|O_NOFOLLOW and holds
 *                        an exclusive flock on it for the whole run.  HDF5
 *                        opens the file through /proc/self/fd/N, so it writes
 *                        to exactly the file created, whatever is planted at
 *                        the name meanwhile.
 *   psim_outfile_commit  fsyncs the finished file, renames it to NAME without
 *                        replacing a file that appeared during the run (unless
 *                        force), and fsyncs the directory.
 *   psim_outfile_abort   removes NAME.partial (if it is still the file this
 *                        run created) and releases the lock.
 */
#ifndef PAINSIM_OUTFILE_H
#define PAINSIM_OUTFILE_H

#include "painsim/error.h"
#include "painsim/run.h"

typedef struct psim_outfile {
    char *path;           /* NAME */
    char *partial;        /* NAME.partial */
    char h5_name[64];     /* what HDF5 opens: /proc/self/fd/N, or the partial name */
    int fd;               /* NAME.partial, locked; -1 when none */
    int force;
    int committed;
} psim_outfile;

/* Start writing `path`.  `notice` (may be NULL) hears about a stale partial
 * file that was removed.  On failure nothing exists that did not before. */
psim_status psim_outfile_begin(psim_outfile *o, const char *path, int force, psim_notice_fn notice,
                               void *notice_data, psim_error *err) PSIM_MUST_CHECK;

/* Call after HDF5 closed the file. */
psim_status psim_outfile_commit(psim_outfile *o, psim_error *err) PSIM_MUST_CHECK;

/* Undo an unfinished file; accepts an outfile that never began or is committed. */
void psim_outfile_abort(psim_outfile *o);

#endif
