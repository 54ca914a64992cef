/* Internal: checks on the files painsim reads. */
#ifndef PAINSIM_FILES_H
#define PAINSIM_FILES_H

#include <stdio.h>

#include "painsim/error.h"

/* PSIM_OK when `path` is a regular file (symbolic links followed); otherwise
 * PSIM_ERR_INPUT naming what it is.  Never blocks: a FIFO is examined without
 * being opened for reading in blocking mode.  `what` says what the file was
 * meant to be ("scenario file", "painsim file"). */
psim_status psim_check_regular_input(const char *path, const char *what, psim_error *err) PSIM_MUST_CHECK;

/* An unlinked temporary file for spilling data, opened "w+b", in $TMPDIR
 * (as Slurm sets it: node-local scratch), else /tmp; NULL with errno set on
 * failure.  It disappears when closed or when the process ends. */
FILE *psim_spill_file(void);

#endif
