/* Creating, locking and publishing an output file safely (see outfile.h). */
#define _GNU_SOURCE /* renameat2 and RENAME_NOREPLACE (glibc 2.28) */
#include "output/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/h5util.h"
#include "painsim/run.h"

static const char *kind_of(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    return "not a regular file";
}

/* The directory part of `path` ("." when it has none), in buf. */
static void dir_of(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, size, ".");
    else if (slash == path)
        snprintf(buf, size, "/");
    else
        snprintf(buf, size, "%.*s", (int)(slash - path), path);
}

/* What is at NAME.partial: 0 nothing (or a stale file, which is removed
 * when `remove_stale`, and *stale set), or an error. */
static psim_status check_partial(const char *partial, int remove_stale, int *stale, psim_error *err)
{
    struct stat ls;
    *stale = 0;
    if (lstat(partial, &ls) != 0) {
        if (errno == ENOENT)
            return PSIM_OK;
        return psim_error_set(err, PSIM_ERR_IO, partial, 0, 0, "cannot examine the partial output file: %s",
                              strerror(errno));
    }
    if (!S_ISREG(ls.st_mode))
        return psim_error_set(err, PSIM_ERR_USAGE, partial, 0, 0,
                              "is %s, not a partial output file painsim wrote; painsim never writes through "
                              "or replaces it: remove it, or choose another name with -o",
                              kind_of(ls.st_mode));
    int fd = open(partial, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) /* its writer finished or removed it just now */
            return PSIM_OK;
        return psim_error_set(err, PSIM_ERR_IO, partial, 0, 0, "cannot open the partial output file: %s",
                              strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return psim_error_set(err, PSIM_ERR_EXISTS, partial, 0, 0,
                                  "another painsim run is writing this file now (it holds its lock); wait for "
                                  "it to finish, or choose another name with -o");
        return psim_error_set(err, PSIM_ERR_IO, partial, 0, 0, "cannot lock the partial output file: %s",
                              strerror(e));
    }
    /* Nobody holds the lock: the run that wrote it was killed.  Remove it only
     * if the name still refers to the file examined. */
    struct stat fs, now;
    if (remove_stale && fstat(fd, &fs) == 0 && lstat(partial, &now) == 0 && now.st_dev == fs.st_dev &&
        now.st_ino == fs.st_ino) {
        if (unlink(partial) != 0) {
            int e = errno;
            close(fd);
            return psim_error_set(err, PSIM_ERR_IO, partial, 0, 0,
                                  "cannot remove the stale partial output file of a run that no longer exists: %s",
                                  strerror(e));
        }
    }
    *stale = 1;
    close(fd);
    return PSIM_OK;
}

psim_status psim_output_check(const char *path, int force, psim_error *err)
{
    struct stat sb;
    char dir[4096];
    if (!path || !*path)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "the output file name is empty");
    if (strlen(path) > sizeof dir - 16)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "the output file name is too long");
    dir_of(path, dir, sizeof dir);
    if (stat(dir, &sb) != 0)
        return psim_error_set(err, PSIM_ERR_USAGE, dir, 0, 0,
                              "the output directory does not exist (%s), so %s cannot be written; create the "
                              "directory first or choose another name with -o",
                              strerror(errno), path);
    if (!S_ISDIR(sb.st_mode))
        return psim_error_set(err, PSIM_ERR_USAGE, dir, 0, 0,
                              "is not a directory, so it cannot hold the output file %s", path);
    if (lstat(path, &sb) == 0) {
        if (!S_ISREG(sb.st_mode))
            return psim_error_set(err, PSIM_ERR_USAGE, path, 0, 0,
                                  "exists and is %s; painsim only replaces regular files: choose another name "
                                  "with -o",
                                  kind_of(sb.st_mode));
        if (!force)
            return psim_error_set(err, PSIM_ERR_EXISTS, path, 0, 0,
                                  "output file exists; use --force to overwrite it or -o to choose another name");
    }
    char partial[4096 + 16];
    snprintf(partial, sizeof partial, "%s.partial", path);
    int stale;
    return check_partial(partial, 0, &stale, err);
}

psim_status psim_outfile_begin(psim_outfile *o, const char *path, int force, psim_notice_fn notice,
                               void *notice_data, psim_error *err)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->force = force;
    psim_status st = psim_output_check(path, force, err);
    if (st != PSIM_OK)
        return st;
    size_t len = strlen(path) + sizeof ".partial";
    o->path = strdup(path);
    o->partial = malloc(len);
    if (!o->path || !o->partial) {
        psim_outfile_abort(o);
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    snprintf(o->partial, len, "%s.partial", path);

    int stale = 0;
    st = check_partial(o->partial, 1, &stale, err);
    if (st != PSIM_OK) {
        psim_outfile_abort(o);
        return st;
    }
    if (stale && notice) {
        char msg[PSIM_ERROR_TEXT_MAX];
        snprintf(msg, sizeof msg,
                 "removed %s: a run that was writing it no longer exists (it was killed); writing it afresh",
                 o->partial);
        notice(notice_data, msg);
    }
    /* O_EXCL with O_CREAT never follows a symbolic link, even a dangling one. */
    o->fd = open(o->partial, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (o->fd < 0) {
        int e = errno;
        psim_outfile_abort(o);
        if (e == EEXIST)
            return psim_error_set(err, PSIM_ERR_EXISTS, o->partial, 0, 0,
                                  "another painsim run started writing this file just now; wait for it to "
                                  "finish, or choose another name with -o");
        return psim_error_set(err, PSIM_ERR_IO, path, 0, 0, "cannot create the output file %s: %s",
                              o->partial ? o->partial : path, strerror(e));
    }
    if (flock(o->fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        /* someone opened it between creation and locking: leave it to them */
        close(o->fd);
        o->fd = -1;
        psim_outfile_abort(o);
        return psim_error_set(err, PSIM_ERR_EXISTS, path, 0, 0, "cannot lock the partial output file: %s",
                              strerror(e));
    }
    /* HDF5 opens the file by name; /proc/self/fd/N names exactly the file
     * created above.  Without /proc (a bare chroot) use the name itself, after
     * checking below that it is still the same file. */
    snprintf(o->h5_name, sizeof o->h5_name, "/proc/self/fd/%d", o->fd);
    struct stat a, b;
    if (fstat(o->fd, &a) != 0 || stat(o->h5_name, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
        if (strlen(o->partial) >= sizeof o->h5_name || lstat(o->partial, &b) != 0 || !S_ISREG(b.st_mode) ||
            a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
            psim_outfile_abort(o);
            return psim_error_set(err, PSIM_ERR_IO, path, 0, 0,
                                  "the partial output file was replaced while it was being created");
        }
        snprintf(o->h5_name, sizeof o->h5_name, "%s", o->partial);
    }
    return PSIM_OK;
}

/* Wait for the write-back of [from, to) and drop it from the page cache. */
static void drop_range(int fd, long long from, long long to)
{
#if defined(__linux__)
    sync_file_range(fd, from, to - from,
                    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
    posix_fadvise(fd, from, to - from, POSIX_FADV_DONTNEED);
#else
    (void)fd, (void)from, (void)to;
#endif
}

/* The flusher thread: what waits for the disk, so that the writer does not.
 * It waits for the windows before the newest one to be written and drops
 * them from the page cache, and every PSIM_OUTFILE_SYNC_WINDOWS windows it
 * makes the file durable so far (fdatasync). */
static void *flusher_main(void *arg)
{
    psim_outfile *o = arg;
    const long long every = PSIM_OUTFILE_SYNC_WINDOWS * PSIM_OUTFILE_STREAM_WINDOW;
    pthread_mutex_lock(&o->mu);
    for (;;) {
        while (!o->sync_stop && o->drop_to <= o->dropped && o->posted < o->synced + every)
            pthread_cond_wait(&o->cv, &o->mu);
        /* asked to stop: the windows already due are still dropped when
         * the file is committed (their write-back is waited for by the
         * fsync anyway), none when it is abandoned; no more syncs */
        if (o->sync_stop && (o->sync_stop == 2 || o->drop_to <= o->dropped))
            break;
        const long long from = o->dropped, to = o->drop_to;
        const long long sync_to = !o->sync_stop && o->posted >= o->synced + every ? o->posted : -1;
        pthread_mutex_unlock(&o->mu);
        if (to > from)
            drop_range(o->fd, from, to);
        const int rc = sync_to >= 0 ? fdatasync(o->fd) : 0, e = errno;
        pthread_mutex_lock(&o->mu);
        if (to > from)
            o->dropped = to;
        if (sync_to >= 0) {
            o->synced = sync_to;
            if (rc != 0 && !o->sync_err)
                o->sync_err = e;
        }
        pthread_cond_broadcast(&o->cv); /* a writer may wait for the drops */
    }
    pthread_mutex_unlock(&o->mu);
    return NULL;
}

static int flusher_start(psim_outfile *o)
{
    if (pthread_mutex_init(&o->mu, NULL) != 0)
        return 0;
    if (pthread_cond_init(&o->cv, NULL) != 0) {
        pthread_mutex_destroy(&o->mu);
        return 0;
    }
    o->sync_stop = 0;
    o->drop_to = o->dropped;
    if (pthread_create(&o->flusher, NULL, flusher_main, o) != 0) {
        pthread_cond_destroy(&o->cv);
        pthread_mutex_destroy(&o->mu);
        return 0;
    }
    o->flusher_on = 1;
    return 1;
}

/* Stop the flusher: after the drops already due (`abandon` 0), or after the
 * step under way (1).  Returns the error of its syncs, 0 if none. */
static int flusher_stop(psim_outfile *o, int abandon)
{
    if (!o->flusher_on)
        return 0;
    pthread_mutex_lock(&o->mu);
    o->sync_stop = abandon ? 2 : 1;
    pthread_cond_broadcast(&o->cv);
    pthread_mutex_unlock(&o->mu);
    pthread_join(o->flusher, NULL);
    pthread_cond_destroy(&o->cv);
    pthread_mutex_destroy(&o->mu);
    o->flusher_on = 0;
    return o->sync_err;
}

void psim_outfile_stream(psim_outfile *o)
{
    struct stat st;
    if (!o || o->fd < 0 || fstat(o->fd, &st) != 0)
        return;
    const long long end = (long long)st.st_size, W = PSIM_OUTFILE_STREAM_WINDOW;
#if defined(__linux__)
    if (!o->no_reserve && end >= W && end + W > o->reserved) {
        long long from = o->reserved > end ? o->reserved : end;
        if (fallocate(o->fd, FALLOC_FL_KEEP_SIZE, from, 4 * W) == 0)
            o->reserved = from + 4 * W;
        else
            o->no_reserve = 1;
    }
#endif
    if (end - o->flushed < W)
        return;
#if defined(__linux__)
    /* start the write-back of the new window; the windows before it are
     * the flusher's to wait for and drop */
    sync_file_range(o->fd, o->flushed, end - o->flushed, SYNC_FILE_RANGE_WRITE);
    /* (o->dropped is the flusher's once it runs: read under its lock) */
    if (o->flusher_on || (o->flushed - o->dropped >= W && flusher_start(o))) {
        pthread_mutex_lock(&o->mu);
        o->drop_to = o->flushed;
        o->posted = end;
        pthread_cond_broadcast(&o->cv);
        /* memory stays bounded: a flusher more than a few windows behind
         * (a slow disk) holds the writer back */
        while (o->drop_to - o->dropped > PSIM_OUTFILE_SYNC_WINDOWS * W && !o->sync_stop)
            pthread_cond_wait(&o->cv, &o->mu);
        pthread_mutex_unlock(&o->mu);
    } else if (o->flushed - o->dropped >= W) {
        /* no thread to be had: wait here */
        drop_range(o->fd, o->dropped, o->flushed);
        o->dropped = o->flushed;
    }
#endif
    o->flushed = end;
}

static psim_status sync_dir(const char *path, psim_error *err)
{
    char dir[4096];
    dir_of(path, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return psim_error_set(err, PSIM_ERR_IO, dir, 0, 0, "cannot open the output directory to sync it: %s",
                              strerror(errno));
    int rc = fsync(dfd);
    int e = errno;
    close(dfd);
    /* Some file systems cannot sync a directory; that is not a failure of the run. */
    if (rc != 0 && e != EINVAL && e != EROFS)
        return psim_error_set(err, PSIM_ERR_IO, dir, 0, 0, "cannot sync the output directory: %s", strerror(e));
    return PSIM_OK;
}

psim_status psim_outfile_commit(psim_outfile *o, psim_error *err)
{
    if (o->fd < 0)
        return psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0, "no output file is being written");
    const int sync_err = flusher_stop(o, 0);
    if (sync_err)
        return psim_error_set(err, PSIM_ERR_IO, o->partial, 0, 0, "cannot write the output file to disk: %s",
                              strerror(sync_err));
    struct stat fs;
    /* release the blocks psim_outfile_stream allocated past the end */
    if (o->reserved > 0 && fstat(o->fd, &fs) == 0 && ftruncate(o->fd, fs.st_size) != 0)
        return psim_error_set(err, PSIM_ERR_IO, o->partial, 0, 0, "cannot trim the output file: %s", strerror(errno));
    if (fsync(o->fd) != 0)
        return psim_error_set(err, PSIM_ERR_IO, o->partial, 0, 0, "cannot write the output file to disk: %s",
                              strerror(errno));
    struct stat sb;
    if (o->force) {
        if (lstat(o->path, &sb) == 0 && !S_ISREG(sb.st_mode))
            return psim_error_set(err, PSIM_ERR_EXISTS, o->path, 0, 0,
                                  "became %s while this run was writing; it was left alone and the finished "
                                  "results were removed",
                                  kind_of(sb.st_mode));
        if (rename(o->partial, o->path) != 0)
            return psim_error_set(err, PSIM_ERR_IO, o->path, 0, 0, "cannot rename %s to the output name: %s",
                                  o->partial, strerror(errno));
    } else {
        int rc = renameat2(AT_FDCWD, o->partial, AT_FDCWD, o->path, RENAME_NOREPLACE);
        if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
            /* a file system without RENAME_NOREPLACE: link() never replaces either */
            rc = link(o->partial, o->path);
            if (rc == 0)
                unlink(o->partial);
        }
        if (rc != 0) {
            if (errno == EEXIST)
                return psim_error_set(err, PSIM_ERR_EXISTS, o->path, 0, 0,
                                      "was created by someone else while this run was writing it; it was left "
                                      "alone and the finished results were removed (run again with --force to "
                                      "replace it, or choose another name with -o)");
            return psim_error_set(err, PSIM_ERR_IO, o->path, 0, 0, "cannot rename %s to the output name: %s",
                                  o->partial, strerror(errno));
        }
    }
    o->committed = 1;
    psim_status st = sync_dir(o->path, err);
    close(o->fd);
    o->fd = -1;
    return st;
}

void psim_outfile_abort(psim_outfile *o)
{
    if (!o)
        return;
    flusher_stop(o, 1);
    if (o->fd >= 0) {
        struct stat a, b;
        /* remove the name only if it is still the file this run created */
        if (!o->committed && o->partial && fstat(o->fd, &a) == 0 && lstat(o->partial, &b) == 0 &&
            a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            unlink(o->partial);
        close(o->fd);
        o->fd = -1;
    }
    free(o->path);
    free(o->partial);
    o->path = o->partial = NULL;
}

hid_t psim_outfile_h5_fapl(hid_t base)
{
    hid_t p = base == H5P_DEFAULT ? H5Pcreate(H5P_FILE_ACCESS) : H5Pcopy(base);
    if (p < 0)
        return p;
    /* HDF5 1.10 file format: fixed-array chunk indices for fixed-size datasets
     * keep the index small and its memory bounded for large cohorts.  The
     * file was created and locked by psim_outfile_begin: HDF5's own lock
     * would conflict with that one. */
    if (H5Pset_libver_bounds(p, H5F_LIBVER_V110, H5F_LIBVER_V110) < 0 || H5Pset_file_locking(p, 0, 1) < 0) {
        H5Pclose(p);
        return H5I_INVALID_HID;
    }
    return p;
}

psim_status psim_outfile_h5_create(psim_outfile *o, const char *path, int force, psim_notice_fn notice,
                                   void *notice_data, hid_t fapl, hid_t *file, psim_error *err)
{
    *file = H5I_INVALID_HID;
    psim_status st = psim_outfile_begin(o, path, force, notice, notice_data, err);
    if (st != PSIM_OK)
        return st;
    /* Do not let HDF5 close files again at exit after a failed close (a full
     * disk): HDF5 1.10 can crash there.  The writers close what they open. */
    H5dont_atexit();
    /* The library reports HDF5 failures through psim_error, not on stderr. */
    psim_h5_quiet();
    hid_t p = psim_outfile_h5_fapl(fapl);
    if (p >= 0)
        *file = H5Fcreate(o->h5_name, H5F_ACC_TRUNC, H5P_DEFAULT, p);
    const char *what = p < 0 ? "set the file access properties" : "create the output file";
    if (*file < 0)
        st = psim_h5_fail(err, PSIM_ERR_HDF5, path, what);
    if (p >= 0)
        H5Pclose(p);
    if (st != PSIM_OK) {
        psim_outfile_abort(o);
        H5Eclear2(H5E_DEFAULT);
    }
    return st;
}

psim_status psim_outfile_h5_finish(psim_outfile *o, hid_t *file, psim_status st, psim_error *err)
{
    const char *path = o->path ? o->path : "the output file";
    if (st == PSIM_OK && *file < 0)
        st = psim_error_set(err, PSIM_ERR_INTERNAL, o->path, 0, 0, "no HDF5 file is open to finish");
    if (st == PSIM_OK && H5Fflush(*file, H5F_SCOPE_GLOBAL) < 0)
        st = psim_h5_fail(err, PSIM_ERR_HDF5, path, "flush the output file");
    if (*file >= 0) {
        /* Closing writes the last metadata: a failure here (disk full) is an error. */
        herr_t rc = H5Fclose(*file);
        *file = H5I_INVALID_HID;
        if (rc < 0 && st == PSIM_OK)
            st = psim_h5_fail(err, PSIM_ERR_HDF5, path, "close the output file");
    }
    if (st == PSIM_OK)
        st = psim_outfile_commit(o, err);
    psim_outfile_abort(o);
    H5Eclear2(H5E_DEFAULT);
    return st;
}
