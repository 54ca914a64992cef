/* Fuzz target: the reader and printers behind `painsim summary`.
 *
 * The input is the bytes of an HDF5 file.  They are written to a file in a
 * private temporary directory (the readers take a path), read the way
 * `painsim summary` reads it (a file with /psa by the PSA reader, any other by
 * the /results reader), and every output format is printed to /dev/null.
 * Damaged files are expected and fine as long as they give an input error
 * with a message; crashes, sanitizer reports, leaks and HDF5 objects left
 * open after a read are findings (abort()).
 *
 * Inputs that HDF5 1.10.8 itself cannot read safely are skipped: a global
 * heap collection (the variable-length strings) whose objects do not tile it.
 * HDF5 loops forever on a free-space object of size 0 and reads past its
 * buffer for an object longer than the collection, before painsim sees any
 * data; `painsim summary` reads files in a child process for such cases. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "painsim/psa.h"
#include "painsim/report.h"

/* Per-process state of the harness (not of the library): the temporary
 * directory, the input file in it, and /dev/null. */
static char tmpdir[64];
static char inpath[96];
static FILE *devnull;

static void cleanup(void)
{
    if (inpath[0])
        unlink(inpath);
    if (tmpdir[0])
        rmdir(tmpdir);
    if (devnull)
        fclose(devnull);
}

static void setup(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base || strlen(base) > 40)
        base = "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/painsim-fuzz-XXXXXX", base);
    if (!mkdtemp(tmpdir)) {
        perror("fuzz_summary: mkdtemp");
        abort();
    }
    snprintf(inpath, sizeof inpath, "%s/input.h5", tmpdir);
    devnull = fopen("/dev/null", "w");
    if (!devnull) {
        perror("fuzz_summary: /dev/null");
        abort();
    }
    atexit(cleanup);
}

static void fail(const char *what, const psim_error *err)
{
    fprintf(stderr, "fuzz_summary: %s\n", what);
    if (err) {
        char buf[PSIM_ERROR_TEXT_MAX + PSIM_ERROR_FILE_MAX + 64];
        psim_error_format(err, buf, sizeof buf);
        fprintf(stderr, "  error: %s (status %d)\n", buf, (int)err->code);
    }
    abort();
}

/* A failed read must be an input error (exit status 2) with a message. */
static void check_failure(psim_status st, const psim_error *err)
{
    if (err->code != st)
        fail("the error record's code differs from the returned status", err);
    if (st != PSIM_ERR_INPUT)
        fail("a damaged file is not reported as bad input", err);
    if (err->message[0] == '\0')
        fail("an error without a message", err);
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* 1 when every "GCOL" collection in data parses the way HDF5 1.10.8's
 * H5HG__cache_heap_deserialize walks it (8-byte lengths, as painsim writes):
 * a 16-byte header (signature, version, 3 reserved, size), then objects of a
 * 16-byte header (index, references, 4 reserved, size) and the data padded
 * to 8 bytes; index 0 is the free space, its size counts the header. */
static int global_heaps_walkable(const uint8_t *data, size_t size)
{
    for (size_t at = 0; at + 16 <= size; at++) {
        if (memcmp(data + at, "GCOL", 4) != 0)
            continue;
        uint64_t len = le64(data + at + 8);
        if (len < 16 || len > size - at)
            continue; /* HDF5 refuses to load it (past the end of the file) */
        uint64_t p = 16;
        while (p < len) {
            if (p + 16 > len)
                break; /* a tail too short for a header is free space */
            unsigned idx = (unsigned)data[at + p] | (unsigned)data[at + p + 1] << 8;
            uint64_t obj = le64(data + at + p + 8);
            uint64_t need = idx > 0 ? 16 + ((obj + 7) & ~(uint64_t)7) : obj;
            if (need == 0 || obj > len || need > len - p)
                return 0;
            p += need;
        }
    }
    return 1;
}

static void check_all_closed(const char *after)
{
    ssize_t n = H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL);
    if (n != 0) {
        fprintf(stderr, "fuzz_summary: %zd HDF5 objects left open after %s\n", n, after);
        abort();
    }
}

static void read_psa(void)
{
    psim_error err;
    psim_error_clear(&err);
    psim_psa_sample *smp = NULL;
    psim_psa_analysis *a = NULL;
    char name[PSIM_NAME_MAX];
    psim_status st = psim_psa_read_h5(inpath, &smp, &a, name, &err);
    check_all_closed("psim_psa_read_h5");
    if (st == PSIM_OK) {
        if (!smp || !a || !memchr(name, '\0', sizeof name))
            fail("psim_psa_read_h5 succeeded without a sample, an analysis or a name", NULL);
        static const psim_psa_format fmts[] = {PSIM_PSA_TABLE, PSIM_PSA_CSV, PSIM_PSA_CSV_LONG, PSIM_PSA_JSON,
                                               PSIM_PSA_SAMPLES};
        for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
            psim_error_clear(&err);
            psim_status pst = psim_psa_print(name, smp, a, fmts[i], devnull, &err);
            (void)pst; /* writing to /dev/null; any status is fine, a crash is not */
        }
    } else {
        if (smp || a)
            fail("psim_psa_read_h5 failed but returned data", &err);
        check_failure(st, &err);
    }
    psim_psa_sample_destroy(smp);
    psim_psa_analysis_destroy(a);
}

static void read_results(void)
{
    psim_error err;
    psim_error_clear(&err);
    psim_report *rep = NULL;
    psim_status st = psim_report_read_h5(inpath, &rep, &err);
    check_all_closed("psim_report_read_h5");
    if (st == PSIM_OK) {
        if (!rep)
            fail("psim_report_read_h5 succeeded without a report", NULL);
        static const psim_report_format fmts[] = {PSIM_REPORT_TABLE, PSIM_REPORT_CSV, PSIM_REPORT_JSON};
        for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
            psim_error_clear(&err);
            psim_status pst = psim_report_print(rep, fmts[i], devnull, &err);
            (void)pst;
        }
    } else {
        if (rep)
            fail("psim_report_read_h5 failed but returned a report", &err);
        check_failure(st, &err);
    }
    psim_report_destroy(rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!devnull)
        setup();
    if (!global_heaps_walkable(data, size))
        return 0;
    FILE *fp = fopen(inpath, "wb");
    if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp) != 0) {
        perror("fuzz_summary: cannot write the input file");
        abort();
    }
    /* as `painsim summary` does: a file with /psa is a PSA file */
    int has_psa = psim_psa_file_has_psa(inpath);
    check_all_closed("psim_psa_file_has_psa");
    if (has_psa == 1)
        read_psa();
    else
        read_results();
    return 0;
}
