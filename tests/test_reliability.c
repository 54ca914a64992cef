#define _DEFAULT_SOURCE /* wait4 */
/* Reliability of the painsim command against hostile or unlucky surroundings:
 * planted links, signals, files that appear during a run, damaged files,
 * FIFOs, memory limits.  Each test reproduces a defect an audit found. */
#include "testutil.h"

#include <sys/resource.h>
#include <time.h>

TU_SCRATCH_DIR("rel")

TestSuite(rel, .init = tu_dir_init, .fini = tu_dir_fini, .timeout = 600);

static const char *const small =
    "name: small\n"
    "patients: 300\n"
    "horizon_days: 60\n"
    "block_size: 64\n"
    "strategies:\n"
    "  - name: botox\n"
    "    treatment: botox\n"
    "    schedule: {days: [0]}\n"
    "  - name: care\n"
    "    treatment: none\n";

static const char *const small_psa =
    "name: small_psa\n"
    "patients: 100\n"
    "horizon_days: 60\n"
    "treatments:\n"
    "  botox: {p_first: {dist: beta, alpha: 40, beta: 35}}\n"
    "psa: {iterations: 3}\n"
    "strategies:\n"
    "  - name: botox\n"
    "    treatment: botox\n"
    "    schedule: {days: [0]}\n"
    "  - name: care\n"
    "    treatment: none\n";

/* Runs for many seconds (about 4e9 patient-days) and writes little: long
 * enough to be signalled while it writes NAME.partial. */
static const char *const long_run =
    "name: long\n"
    "patients: 5000000\n"
    "horizon_days: 426\n"
    "output: {trajectories: false}\n"
    "strategies:\n"
    "  - name: botox\n"
    "    treatment: botox\n"
    "    schedule: {every_days: 120, sessions: 4}\n"
    "  - name: care\n"
    "    treatment: none\n";

/* Start the long run writing sig.h5 in the background, wait for sig.h5.partial,
 * then run `then` (a shell fragment that may use $pid); prints rc=<status>. */
static int during_long_run(const char *extra_args, const char *then, char **out)
{
    tu_write_file("long.yaml", long_run);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' run long.yaml -o sig.h5 -q %s >/dev/null 2>run_err.txt & pid=$!\n"
             "i=0; while [ ! -e sig.h5.partial ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\n"
             "[ -e sig.h5.partial ] || echo 'the run did not start writing'\n"
             "%s\n"
             "wait $pid; echo \"rc=$?\"; cat run_err.txt",
             PAINSIM_BIN, extra_args, then);
    return tu_shell(cmd, out);
}

Test(rel, force_never_writes_through_a_symlink_at_the_partial_name)
{
    tu_write_file("small.yaml", small);
    tu_write_file("victim.txt", "precious\n");
    char *out;
    cr_assert_eq(tu_shell("mkdir d && ln -s ../victim.txt d/out.h5.partial", NULL), 0);
    cr_assert_eq(tu_painsim("run small.yaml -o d/out.h5 --force -q", &out), 2, "%s", out);
    cr_assert(strstr(out, "d/out.h5.partial") && strstr(out, "symbolic link"), "%s", out);
    free(out);
    char *victim = tu_read_file("victim.txt");
    cr_assert_str_eq(victim, "precious\n", "the link's target was written");
    free(victim);
    cr_assert(!tu_exists("d/out.h5"));
    /* a dangling link is refused too, and a link at the output name itself */
    cr_assert_eq(tu_shell("rm d/out.h5.partial && ln -s ../nothing d/out.h5.partial", NULL), 0);
    cr_assert_eq(tu_painsim("run small.yaml -o d/out.h5 --force -q", &out), 2, "%s", out);
    free(out);
    cr_assert(!tu_exists("nothing"));
    cr_assert_eq(tu_shell("rm d/out.h5.partial && ln -s ../victim.txt d/out.h5", NULL), 0);
    cr_assert_eq(tu_painsim("run small.yaml -o d/out.h5 --force -q", &out), 2, "%s", out);
    cr_assert(strstr(out, "symbolic link"), "%s", out);
    free(out);
    victim = tu_read_file("victim.txt");
    cr_assert_str_eq(victim, "precious\n");
    free(victim);
    /* the same for the PSA file writer */
    tu_write_file("psa.yaml", small_psa);
    cr_assert_eq(tu_shell("rm d/out.h5 && ln -s ../victim.txt d/psa.h5.partial", NULL), 0);
    cr_assert_eq(tu_painsim("run psa.yaml -o d/psa.h5 --force -q", &out), 2, "%s", out);
    cr_assert(strstr(out, "symbolic link"), "%s", out);
    free(out);
    victim = tu_read_file("victim.txt");
    cr_assert_str_eq(victim, "precious\n");
    free(victim);
}

static void stops_cleanly_on(const char *signal_name)
{
    char then[128], *out;
    snprintf(then, sizeof then, "kill -%s $pid", signal_name);
    during_long_run("", then, &out);
    cr_assert(strstr(out, "rc=130"), "SIG%s: %s", signal_name, out);
    cr_assert(strstr(out, "interrupted"), "SIG%s: %s", signal_name, out);
    free(out);
    cr_assert(!tu_exists("sig.h5.partial"), "SIG%s left the partial file", signal_name);
    cr_assert(!tu_exists("sig.h5"));
}

Test(rel, hangup_quit_and_broken_pipe_stop_the_run_like_ctrl_c)
{
    stops_cleanly_on("HUP");
    stops_cleanly_on("QUIT");
    stops_cleanly_on("PIPE");
    stops_cleanly_on("INT");
}

Test(rel, a_stale_partial_file_of_a_killed_run_is_replaced_with_a_message)
{
    char *out;
    during_long_run("", "kill -KILL $pid", &out);
    cr_assert(strstr(out, "rc=137"), "%s", out);
    free(out);
    cr_assert(tu_exists("sig.h5.partial"), "SIGKILL cannot clean up: the partial file stays");
    tu_write_file("small.yaml", small);
    cr_assert_eq(tu_painsim("run small.yaml -o sig.h5 -q", &out), 0, "no --force needed: %s", out);
    cr_assert(strstr(out, "removed sig.h5.partial") && strstr(out, "no longer exists"), "%s", out);
    free(out);
    cr_assert(tu_exists("sig.h5") && !tu_exists("sig.h5.partial"));
}

Test(rel, a_second_run_says_plainly_that_another_run_is_writing)
{
    char *out;
    tu_write_file("small.yaml", small);
    char then[512];
    snprintf(then, sizeof then, "'%s' run small.yaml -o sig.h5 --force -q; echo \"second=$?\"; kill -TERM $pid",
             PAINSIM_BIN);
    during_long_run("", then, &out);
    cr_assert(strstr(out, "second=2"), "%s", out);
    cr_assert(strstr(out, "sig.h5.partial: another painsim run is writing this file now"), "%s", out);
    cr_assert(!strstr(out, "Resource temporarily unavailable"), "%s", out);
    free(out);
}

Test(rel, a_file_created_during_the_run_is_not_replaced_without_force)
{
    char *out;
    /* The long run is stopped after a while by the fixture below only if it
     * hangs; it normally finishes and must then refuse to replace sig.h5. */
    tu_write_file("long.yaml", long_run);
    cr_assert_eq(tu_shell("sed -i 's/patients: 5000000/patients: 400000/' long.yaml", NULL), 0);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "'%s' run long.yaml -o sig.h5 -q >/dev/null 2>run_err.txt & pid=$!\n"
             "i=0; while [ ! -e sig.h5.partial ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\n"
             "echo someone-else > sig.h5\n"
             "wait $pid; echo \"rc=$?\"; cat run_err.txt",
             PAINSIM_BIN);
    tu_shell(cmd, &out);
    cr_assert(strstr(out, "rc=2"), "%s", out);
    cr_assert(strstr(out, "was created by someone else while this run was writing it"), "%s", out);
    free(out);
    char *kept = tu_read_file("sig.h5");
    cr_assert_str_eq(kept, "someone-else\n");
    free(kept);
    cr_assert(!tu_exists("sig.h5.partial"));
}

Test(rel, output_into_a_missing_directory_is_bad_input_naming_it)
{
    tu_write_file("small.yaml", small);
    char *out;
    cr_assert_eq(tu_painsim("run small.yaml -o no/such/dir/x.h5 -q", &out), 2, "%s", out);
    cr_assert(strstr(out, "no/such/dir: the output directory does not exist"), "%s", out);
    free(out);
    tu_write_file("psa.yaml", small_psa);
    cr_assert_eq(tu_painsim("run psa.yaml -o no/such/dir/x.h5 -q", &out), 2, "%s", out);
    free(out);
    cr_assert(!tu_exists("no"));
}

Test(rel, a_fifo_as_scenario_or_painsim_file_is_refused_at_once)
{
    char *out;
    cr_assert_eq(tu_shell("mkfifo s.yaml f.h5", NULL), 0);
    /* timeout: before the fix each of these blocked for ever on open() */
    cr_assert_eq(tu_shell("timeout 20 '" PAINSIM_BIN "' validate s.yaml", &out), 2, "%s", out);
    cr_assert(strstr(out, "s.yaml: is a FIFO (named pipe); the scenario file must be a regular file"), "%s", out);
    free(out);
    cr_assert_eq(tu_shell("timeout 20 '" PAINSIM_BIN "' run s.yaml -o x.h5", &out), 2, "%s", out);
    free(out);
    cr_assert_eq(tu_shell("timeout 20 '" PAINSIM_BIN "' summary f.h5", &out), 2, "%s", out);
    cr_assert(strstr(out, "f.h5: is a FIFO (named pipe); the painsim file must be a regular file"), "%s", out);
    free(out);
    cr_assert_eq(tu_shell("mkdir dir.h5 && timeout 20 '" PAINSIM_BIN "' summary dir.h5", &out), 2, "%s", out);
    cr_assert(strstr(out, "is a directory"), "%s", out);
    free(out);
    cr_assert(!tu_exists("x.h5"));
}

/* Run painsim with args in the scratch directory; its exit status, wall time
 * and peak memory (including the reading child of `summary`). */
static int run_measured(const char *args, double *seconds, long *maxrss_kib)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && exec '%s' %s >/dev/null 2>err.txt", tu_dir, PAINSIM_BIN, args);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    cr_assert_eq(wait4(pid, &status, 0, &ru), pid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    *maxrss_kib = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Overwrite `len` bytes at the file offset of dataset `name`'s data plus `at`. */
static void damage_dataset(const char *file, const char *name, hsize_t at, const void *bytes, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tu_dir, file);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    cr_assert(d >= 0, "no dataset %s", name);
    haddr_t off = H5Dget_offset(d);
    if (off == HADDR_UNDEF) {
        /* chunked: the first chunk's address */
        hsize_t origin[H5S_MAX_RANK] = {0}, size = 0;
        unsigned mask = 0;
        cr_assert(H5Dget_chunk_info_by_coord(d, origin, &mask, &off, &size) >= 0, "%s has no data address", name);
    }
    H5Dclose(d);
    H5Fclose(f);
    FILE *fp = fopen(path, "r+b");
    cr_assert(fp);
    cr_assert_eq(fseek(fp, (long)(off + at), SEEK_SET), 0);
    cr_assert_eq(fwrite(bytes, 1, len, fp), len);
    fclose(fp);
}

Test(rel, a_damaged_string_length_is_a_damaged_file_quickly_and_in_little_memory)
{
    tu_write_file("small.yaml", small);
    char *out;
    cr_assert_eq(tu_painsim("run small.yaml -o s.h5 -q", &out), 0, "%s", out);
    free(out);
    /* the first string of /results/strategy claims 4 GiB: before the fix
     * summary allocated and zeroed 8.4 GB for 16+ s and exited 0 */
    const unsigned char huge[4] = {0xf0, 0xff, 0xff, 0xff};
    damage_dataset("s.h5", "/results/strategy", 0, huge, 4);
    double seconds = 0;
    long kib = 0;
    int rc = run_measured("summary s.h5", &seconds, &kib);
    char *err = NULL;
    tu_shell("cat err.txt", &err);
    cr_assert_eq(rc, 2, "%s", err);
    cr_assert(strstr(err, "s.h5: damaged file") && strstr(err, "/results/strategy"), "%s", err);
    cr_assert_lt(kib, 256 * 1024, "summary of a damaged file peaked at %ld KiB", kib);
    cr_assert_lt(seconds, 30.0, "summary of a damaged file took %.1f s", seconds);
    free(err);
}

typedef struct num_ds {
    char names[256][128];
    int n;
} num_ds;

static herr_t collect_numeric(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    num_ds *v = data;
    if (info->type != H5O_TYPE_DATASET || v->n >= 256)
        return 0;
    hid_t d = H5Dopen2(obj, name, H5P_DEFAULT);
    hid_t t = H5Dget_type(d);
    H5T_class_t c = H5Tget_class(t);
    if ((c == H5T_FLOAT || c == H5T_INTEGER) && H5Dget_storage_size(d) > 0)
        snprintf(v->names[v->n++], sizeof v->names[0], "/results/%s", name);
    H5Tclose(t);
    H5Dclose(d);
    return 0;
}

Test(rel, altered_bytes_in_the_results_are_detected_by_their_checksum)
{
    tu_write_file("small.yaml", small);
    char *out;
    cr_assert_eq(tu_painsim("run small.yaml -o s.h5 -q", &out), 0, "%s", out);
    free(out);
    char path[512];
    snprintf(path, sizeof path, "%s/s.h5", tu_dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "results", H5P_DEFAULT);
    num_ds *v = calloc(1, sizeof *v);
    H5Ovisit(g, H5_INDEX_NAME, H5_ITER_INC, collect_numeric, v);
    H5Gclose(g);
    H5Fclose(f);
    cr_assert_geq(v->n, 20, "only %d numeric datasets in /results", v->n);
    /* Before checksums, such flips printed different figures with exit 0.
     * Flip the lowest bit of the first byte of each dataset's data in turn. */
    for (int k = 0; k < v->n; k++) {
        cr_assert_eq(tu_shell("cp s.h5 d.h5", NULL), 0);
        unsigned char byte = 0;
        char dpath[512];
        snprintf(dpath, sizeof dpath, "%s/d.h5", tu_dir);
        hid_t df = H5Fopen(dpath, H5F_ACC_RDONLY, H5P_DEFAULT);
        hid_t d = H5Dopen2(df, v->names[k], H5P_DEFAULT);
        hsize_t origin[H5S_MAX_RANK] = {0}, size = 0;
        haddr_t off = HADDR_UNDEF;
        unsigned mask = 0;
        H5Dget_chunk_info_by_coord(d, origin, &mask, &off, &size);
        H5Dclose(d);
        H5Fclose(df);
        cr_assert(off != HADDR_UNDEF, "%s is not chunked (no checksum)", v->names[k]);
        FILE *fp = fopen(dpath, "r+b");
        cr_assert(fp);
        fseek(fp, (long)off, SEEK_SET);
        cr_assert_eq(fread(&byte, 1, 1, fp), 1);
        byte ^= 1;
        fseek(fp, (long)off, SEEK_SET);
        fwrite(&byte, 1, 1, fp);
        fclose(fp);
        int rc = tu_painsim("summary d.h5", &out);
        cr_assert_eq(rc, 2, "%s altered: summary exit %d: %s", v->names[k], rc, out);
        cr_assert(strstr(out, "checksum does not match"), "%s: %s", v->names[k], out);
        free(out);
    }
    free(v);
}

Test(rel, memory_is_estimated_before_the_run_and_a_run_above_the_limit_is_refused)
{
    tu_write_file("small.yaml", small);
    char *out;
    /* --dry-run: the plan and the estimate, nothing written */
    cr_assert_eq(tu_painsim("run small.yaml -o dry.h5 --dry-run --threads 2", &out), 0, "%s", out);
    cr_assert(strstr(out, "estimated peak") && strstr(out, "MiB") && strstr(out, "dry.h5 (would be written)"), "%s",
              out);
    free(out);
    cr_assert(!tu_exists("dry.h5") && !tu_exists("dry.h5.partial"));
    /* without -o the file would go to output/, which a dry run does not create */
    cr_assert(!tu_exists("output"));
    cr_assert_eq(tu_painsim("run small.yaml --dry-run --threads 2", &out), 0, "%s", out);
    cr_assert(strstr(out, "output/small.h5 (would be written, in the directory output/ that a real run creates)"),
              "%s", out);
    free(out);
    cr_assert(!tu_exists("output"), "a dry run created the output directory");
    /* before the fix, threads and block_size grew memory unchecked (1.1 GB at
     * block_size 262144); now the run is refused before it allocates */
    double seconds = 0;
    long kib = 0;
    int rc = run_measured("run small.yaml -o big.h5 --set block_size=262144 --set horizon_days=426 "
                          "--set patients=2000000 --threads 2 --max-memory 256M",
                          &seconds, &kib);
    char *err = NULL;
    tu_shell("cat err.txt", &err);
    cr_assert_eq(rc, 2, "%s", err);
    cr_assert(strstr(err, "would need about") && strstr(err, "more than the limit of 256 MiB (--max-memory)"), "%s",
              err);
    free(err);
    cr_assert_lt(kib, 128 * 1024, "refused run peaked at %ld KiB", kib);
    cr_assert(!tu_exists("big.h5") && !tu_exists("big.h5.partial"));
    cr_assert_eq(tu_painsim("run small.yaml --max-memory 12parsecs", &out), 2, "%s", out);
    cr_assert(strstr(out, "--max-memory expects a size"), "%s", out);
    free(out);

    /* the estimate is close to what a run uses when its blocks dominate:
     * 8 blocks of 8192 patients x 2 strategies x 426 recorded days */
    tu_write_file("wide.yaml", "name: wide\npatients: 100000\nhorizon_days: 426\nblock_size: 8192\n"
                               "strategies:\n  - {name: botox, treatment: botox, schedule: {every_days: 120, sessions: 4}}\n"
                               "  - {name: care, treatment: none}\n");
    cr_assert_eq(tu_painsim("run wide.yaml -o w.h5 --dry-run --threads 2", &out), 0, "%s", out);
    const char *p = strstr(out, "estimated peak ");
    cr_assert(p, "%s", out);
    double est_mib = atof(p + strlen("estimated peak "));
    free(out);
    rc = run_measured("run wide.yaml -o w.h5 --threads 2 -q", &seconds, &kib);
    cr_assert_eq(rc, 0);
    double used_mib = (double)kib / 1024.0;
#ifndef __SANITIZE_ADDRESS__
    /* (not under AddressSanitizer, whose shadow memory and quarantine are not the program's) */
    cr_assert(est_mib > 0.8 * used_mib && est_mib < 1.3 * used_mib, "estimate %.1f MiB, used %.1f MiB", est_mib,
              used_mib);
#else
    cr_assert(est_mib > 0 && used_mib > 0);
#endif
}

/* strace (installed by ./setup.sh test) shows the system calls in order.
 * LeakSanitizer cannot run under ptrace: a sanitizer build's leak check is
 * off for the traced runs (the variable is ignored by other builds). */
Test(rel, the_file_and_its_directory_are_synced_around_a_no_replace_rename)
{
    tu_write_file("small.yaml", small);
    char *out;
    cr_assert_eq(tu_shell("ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=fsync,rename,renameat,renameat2 -o trace.txt '" PAINSIM_BIN
                          "' run small.yaml -o s.h5 -q > /dev/null && grep -v exited trace.txt",
                          &out),
                 0, "%s", out);
    const char *sync_file = strstr(out, "fsync(");
    const char *rn = strstr(out, "renameat2(AT_FDCWD, \"s.h5.partial\", AT_FDCWD, \"s.h5\", RENAME_NOREPLACE)");
    cr_assert(sync_file && rn && sync_file < rn, "fsync of the file, then a no-replace rename: %s", out);
    cr_assert(strstr(rn, "fsync("), "the directory is synced after the rename: %s", out);
    free(out);
    /* with --force the rename may replace a regular file */
    cr_assert_eq(tu_shell("ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=fsync,rename,renameat,renameat2 -o trace.txt '" PAINSIM_BIN
                          "' run small.yaml -o s.h5 -q --force > /dev/null && grep -v exited trace.txt",
                          &out),
                 0, "%s", out);
    cr_assert(strstr(out, "rename(\"s.h5.partial\", \"s.h5\")") || strstr(out, "renameat(AT_FDCWD, \"s.h5.partial\""),
              "%s", out);
    free(out);
}

/* A file of hundreds of megabytes (trajectories) is written back to the disk
 * window by window while the run goes, and each window is dropped from the
 * page cache once it is on the disk (psim_outfile_stream): sync_file_range
 * starts the write-back of the new window, waits for the one before, and
 * fadvise(DONTNEED) releases that one, in file order.  Disk blocks are
 * allocated ahead (fallocate, KEEP_SIZE), and the finished file holds none
 * past its end (HDF5's close truncates the file to its end of allocation,
 * and psim_outfile_commit trims it again in case it did not). */
/* A scenario whose file is about 0.9 KB per patient (two strategies'
 * trajectories). */
static void write_big_scenario(const char *file, int patients)
{
    char text[512];
    snprintf(text, sizeof text,
             "name: big\n"
             "patients: %d\n"
             "horizon_days: 426\n"
             "strategies:\n"
             "  - name: botox\n"
             "    treatment: botox\n"
             "    schedule: {days: [0, 120, 240]}\n"
             "  - name: care\n"
             "    treatment: none\n",
             patients);
    tu_write_file(file, text);
}

Test(rel, a_large_output_is_written_back_and_dropped_from_the_page_cache_as_it_goes)
{
    write_big_scenario("big.yaml", 260000);
    char *out;
    /* one trace file per thread (-ff): the writer starts the windows, the
     * output file's flusher thread waits for them and drops them */
    cr_assert_eq(tu_shell("ASAN_OPTIONS=detect_leaks=0 strace -f -ff -e trace=sync_file_range,fadvise64,fallocate -o trace.txt '" PAINSIM_BIN
                          "' run big.yaml -o big.h5 -q > /dev/null && cat trace.txt.* | grep -v exited && "
                          "stat -c 'size %s allocated %b x %B' big.h5",
                          &out),
                 0, "%s", out);
    /* blocks allocated ahead, and none left past the end of the finished file */
    cr_assert(strstr(out, "fallocate(") && strstr(out, "FALLOC_FL_KEEP_SIZE"), "%s", out);
    long long blocks = 0, bsize = 0, size = 0;
    const char *al = strstr(out, "size ");
    cr_assert(al && sscanf(al, "size %lld allocated %lld x %lld", &size, &blocks, &bsize) == 3, "%s", out);
    cr_assert_gt(size, 3 * (64LL << 20), "a file of over 192 MiB: %s", out);
    cr_assert_lt(blocks * bsize, size + (1LL << 20), "%lld bytes allocated for a file of %lld: %s", blocks * bsize,
                 size, out);
    /* every window's write-back is started, and all but the newest are
     * dropped, in order (by the flusher, which may take several at once
     * when it is behind, and drops those due when the file is committed) */
    long long next_drop = 0, last_start = 0;
    int starts = 0, drops = 0;
    for (const char *p = out; (p = strstr(p, "sync_file_range(")) != NULL; p++) {
        long long off, len;
        int fd;
        char flags[160];
        cr_assert(sscanf(p, "sync_file_range(%d, %lld, %lld, %159[^)]", &fd, &off, &len, flags) == 4, "%s", out);
        if (strcmp(flags, "SYNC_FILE_RANGE_WRITE") == 0) {
            starts++;
            if (off > last_start)
                last_start = off;
            cr_assert(len >= 64LL << 20, "a window of at least 64 MiB: %s", p);
        } else {
            cr_assert(strstr(flags, "SYNC_FILE_RANGE_WAIT_AFTER"), "%s", p);
            cr_assert_eq(off, next_drop, "the windows are waited for in file order: %s", out);
            /* the next line of the trace that is not a fallocate */
            char line[256] = "";
            for (const char *nl = strchr(p, '\n'); nl && line[0] == '\0'; nl = strchr(nl + 1, '\n'))
                if (sscanf(nl + 1, "%255[^\n]", line) == 1 && strstr(line, "fallocate("))
                    line[0] = '\0';
            char want[128];
            snprintf(want, sizeof want, "fadvise64(%d, %lld, %lld, POSIX_FADV_DONTNEED)", fd, off, len);
            cr_assert(strstr(line, want), "the window waited for is then dropped: %s", out);
            next_drop = off + len;
            drops++;
        }
    }
    cr_assert(starts >= 3 && drops >= 1, "%d windows started, %d dropped: %s", starts, drops, out);
    cr_assert_eq(next_drop, last_start, "all but the newest window dropped: %s", out);
    cr_assert(next_drop < size, "%s", out);
    free(out);
    /* and the file reads back whole (every chunk's checksum holds) */
    cr_assert_eq(tu_painsim("summary big.h5 --format csv", &out), 0, "%s", out);
    free(out);
}

/* Every PSIM_OUTFILE_SYNC_WINDOWS windows (256 MiB) a thread of the output
 * file calls fdatasync while the run goes on, so that the fsync before the
 * rename finds most of the file on the disk already; the fsync still comes
 * last, from the main thread, after the flusher has finished. */
Test(rel, a_large_output_is_made_durable_as_it_goes_and_fsynced_at_the_end)
{
    write_big_scenario("big2.yaml", 360000);
    char *out;
    cr_assert_eq(tu_shell("ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=fdatasync,fsync,rename -o trace2.txt '" PAINSIM_BIN
                          "' run big2.yaml -o big2.h5 -q > /dev/null && grep -v exited trace2.txt && "
                          "stat -c 'size %s' big2.h5",
                          &out),
                 0, "%s", out);
    long long size = 0;
    const char *sz = strstr(out, "size ");
    cr_assert(sz && sscanf(sz, "size %lld", &size) == 1 && size > (256LL << 20) + (64LL << 20), "over 320 MiB: %s",
              out);
    /* the pid that renames is the main thread; fdatasync comes from another */
    int main_pid = -1, fd = -1, syncs = 0, last_sync_line = -1, fsync_line = -1, line;
    for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        int pid;
        if (sscanf(p, "%d rename(", &pid) == 1)
            main_pid = pid;
    }
    cr_assert_gt(main_pid, 0, "%s", out);
    line = 0;
    for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL, line++) {
        int pid, f;
        if (sscanf(p, "%d fdatasync(%d", &pid, &f) == 2) {
            cr_assert_neq(pid, main_pid, "fdatasync comes from the flusher thread: %s", out);
            syncs++;
            last_sync_line = line;
            fd = f;
        } else if (fd >= 0 && sscanf(p, "%d fsync(%d", &pid, &f) == 2 && f == fd && fsync_line < 0) {
            cr_assert_eq(pid, main_pid, "%s", out);
            fsync_line = line;
        }
    }
    cr_assert_geq(syncs, 1, "the file was synced as it was written: %s", out);
    cr_assert_gt(fsync_line, last_sync_line, "the final fsync comes after the flusher's last sync: %s", out);
    free(out);
    cr_assert_eq(tu_painsim("summary big2.h5 --format csv", &out), 0, "%s", out);
    free(out);
}
