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
 *
 * Every HDF5 file painsim writes goes through the pair
 *   psim_outfile_h5_create  psim_outfile_begin, then H5Fcreate of the partial
 *                           file in the HDF5 1.10 format, without HDF5's own
 *                           file lock (the outfile holds one already);
 *   psim_outfile_h5_finish  flush, close and commit; or, after any failure,
 *                           close and remove the partial file.
 */
#ifndef PAINSIM_OUTFILE_H
#define PAINSIM_OUTFILE_H

#include <hdf5.h>
#include <pthread.h>

#include "painsim/error.h"
#include "painsim/run.h"

typedef struct psim_outfile {
    char *path;           /* NAME */
    char *partial;        /* NAME.partial */
    char h5_name[64];     /* what HDF5 opens: /proc/self/fd/N, or the partial name */
    int fd;               /* NAME.partial, locked; -1 when none */
    int force;
    int committed;
    long long flushed, dropped; /* psim_outfile_stream: bytes sent to the disk, and dropped from the cache */
    long long reserved;         /* psim_outfile_stream: disk blocks allocated ahead, up to this offset */
    int no_reserve;             /* allocating ahead failed (not supported, or the disk is full): stop */
    /* psim_outfile_stream's flusher thread, started with the second window
     * (the fields from drop_to on, and `dropped` while it runs, under mu) */
    int flusher_on;
    pthread_t flusher;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    long long drop_to;          /* the pages before this offset may be waited for and dropped */
    long long posted;           /* the end of the newest window whose write-back was started */
    long long synced;           /* fdatasync made the file durable up to here */
    int sync_stop;
    int sync_err;               /* errno of a failed fdatasync: reported by commit */
} psim_outfile;

/* Start writing `path`.  `notice` (may be NULL) hears about a stale partial
 * file that was removed.  On failure nothing exists that did not before. */
psim_status psim_outfile_begin(psim_outfile *o, const char *path, int force, psim_notice_fn notice,
                               void *notice_data, psim_error *err) PSIM_MUST_CHECK;

/* Streaming write-back of a large file while it is written: once another
 * PSIM_OUTFILE_STREAM_WINDOW bytes are at the end of the file, start writing
 * them to the disk; the windows before it are waited for and dropped from
 * the page cache by a thread of the outfile (the flusher), so that the
 * writer does not wait for the disk.  A run that writes gigabytes of
 * trajectories then holds a few windows of the file in memory instead of all
 * of it: no stall at the dirty-page limit, no flood of the page cache, and
 * pages that are recycled instead of fresh ones, which are costly to the
 * kernel in a virtual machine (measured: 3.8 GB written in 1.5 s of system
 * time instead of 5.5-9.6 s); the writer waits only when the flusher is
 * PSIM_OUTFILE_SYNC_WINDOWS windows behind (a slow disk).  Once the file is
 * past one window, its disk blocks are also allocated ahead of the writes,
 * four windows at a time (fallocate with KEEP_SIZE: the buffered writes then
 * land in allocated blocks instead of reserving them page by page, about 20%
 * less system time on ext4 here); the blocks past the end are released when
 * the file is committed.  Every PSIM_OUTFILE_SYNC_WINDOWS windows the
 * flusher also calls fdatasync: a disk with a write cache (a virtual
 * machine's, here) has then made most of the file durable by the end, and the
 * fsync before the rename waits for the last windows only (it waited 0.1-1.6
 * s at the end of a 3.8 GB run, with the host, otherwise).  A failed
 * fdatasync is reported by psim_outfile_commit (the kernel reports a
 * write-back error to one sync of a file only).  Without a thread (none could
 * be started) the writer waits and drops itself.  Call it between writes, as
 * often as convenient; it never fails the run (the hints are skipped where
 * the system lacks them). */
#define PSIM_OUTFILE_SYNC_WINDOWS 4
#define PSIM_OUTFILE_STREAM_WINDOW (64LL << 20)
void psim_outfile_stream(psim_outfile *o);

/* Call after HDF5 closed the file. */
psim_status psim_outfile_commit(psim_outfile *o, psim_error *err) PSIM_MUST_CHECK;

/* Undo an unfinished file; accepts an outfile that never began or is committed. */
void psim_outfile_abort(psim_outfile *o);

/* File access properties for an output file: a copy of `base` (or new ones
 * when base is H5P_DEFAULT) in the HDF5 1.10 format and without HDF5's own
 * file lock.  Close them; H5I_INVALID_HID on failure.  psim_outfile_h5_create
 * uses them; so do writers that must open the file otherwise (MPI-IO). */
hid_t psim_outfile_h5_fapl(hid_t base);

/* psim_outfile_begin(o, path, ...), then create NAME.partial as an HDF5 file
 * in *file.  `fapl` is H5P_DEFAULT or file access properties of the caller's
 * (a metadata cache size, say), copied before the format bounds and locking
 * are set.  HDF5 errors are silenced (reported through err) and HDF5 does
 * not close files again at exit.  On failure *file is H5I_INVALID_HID and
 * nothing exists that did not before. */
psim_status psim_outfile_h5_create(psim_outfile *o, const char *path, int force, psim_notice_fn notice,
                                   void *notice_data, hid_t fapl, hid_t *file, psim_error *err) PSIM_MUST_CHECK;

/* End an HDF5 output file begun by psim_outfile_h5_create.  `st` is the
 * status of the writing so far: when it is PSIM_OK, flush and close *file and
 * commit; when it is not, or any of these fails, close *file and abort (the
 * partial file is removed).  Objects opened in the file must be closed first.
 * Accepts *file == H5I_INVALID_HID and an outfile that never began; afterwards
 * *file is H5I_INVALID_HID and o released.  Returns the final status (`st`
 * itself when it was a failure). */
psim_status psim_outfile_h5_finish(psim_outfile *o, hid_t *file, psim_status st, psim_error *err) PSIM_MUST_CHECK;

#endif
