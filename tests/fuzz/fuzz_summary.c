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
 * Inputs that HDF5 1.10.8 itself cannot read safely are skipped, because
 * HDF5 fails on them inside the library before painsim sees any data, and
 * fuzzing would only find those defects again (`painsim summary` reads each
 * file in a child process, which reports such a file as damaged):
 *  - a global heap collection (where variable-length strings live) whose
 *    objects do not tile it: HDF5 loops forever on a free-space object of
 *    size 0 and reads past its buffer for an object longer than the
 *    collection;
 *  - a variable-length string in a dataset whose heap reference (collection
 *    address and object index, in the dataset's raw data, which has no
 *    checksum) names no object of a collection, or an object longer than the
 *    string's stored length: HDF5 indexes its object table without a bounds
 *    check (SIGSEGV in H5HG_read) or copies the object past its buffer.
 * The object headers and B-trees of the files painsim writes (format 1.10)
 * carry checksums, so attribute values and metadata need no such filter. */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "painsim/psa.h"
#include "painsim/report.h"

/* Per-process state of the harness (not of the library): the temporary
 * directory, the input file in it, /dev/null, what the last input gave (for
 * fuzz_last_outcome) and the fault planted on request. */
static char tmpdir[64];
static char inpath[96];
static FILE *devnull;
static int last_outcome;
static char last_message[PSIM_ERROR_TEXT_MAX + PSIM_ERROR_FILE_MAX + 64];

/* Faults planted in this harness when PAINSIM_FUZZ_PLANT names one, so that
 * a test can show that the mutation run (mutate.c) fails on a defect in
 * painsim's code and counts, without failing, a crash inside libhdf5:
 *   overflow  read one byte past a heap buffer after every input;
 *   leak      leave a buffer allocated after every input;
 *   hdf5      have HDF5 free a pointer it never allocated (a crash inside
 *             H5free_memory, as HDF5's own defects crash inside the library). */
typedef enum { PLANT_NONE, PLANT_OVERFLOW, PLANT_LEAK, PLANT_HDF5 } plant_kind;
static plant_kind plant;

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
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* damaged files are expected: no error stacks */
    const char *p = getenv("PAINSIM_FUZZ_PLANT");
    if (p && *p) {
        if (strcmp(p, "overflow") == 0)
            plant = PLANT_OVERFLOW;
        else if (strcmp(p, "leak") == 0)
            plant = PLANT_LEAK;
        else if (strcmp(p, "hdf5") == 0)
            plant = PLANT_HDF5;
        else {
            fprintf(stderr, "fuzz_summary: PAINSIM_FUZZ_PLANT=%s: expected overflow, leak or hdf5\n", p);
            abort();
        }
    }
}

/* The planted fault (see plant_kind); volatile so that the compiler keeps it. */
static void run_plant(const uint8_t *data, size_t size)
{
    if (plant == PLANT_OVERFLOW) {
        size_t n = size % 64 + 1;
        char *volatile buf = malloc(n);
        if (buf) {
            memset(buf, 1, n);
            volatile char c = buf[n]; /* one byte past the end */
            (void)c;
        }
        free(buf);
    } else if (plant == PLANT_LEAK) {
        char *volatile buf = malloc(64 + size % 64);
        if (buf)
            buf[0] = (char)(data && size ? data[0] : 0);
    } else if (plant == PLANT_HDF5) {
        static char not_allocated[16];
        H5free_memory(not_allocated + size % 8);
    }
}

int fuzz_last_outcome(char *msg, size_t cap)
{
    if (msg && cap)
        snprintf(msg, cap, "%s", last_outcome == 2 ? last_message : "");
    return last_outcome;
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
    last_outcome = 2;
    psim_error_format(err, last_message, sizeof last_message);
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The objects of the global heap collections in the input, as HDF5 reads them. */
typedef struct heap_obj {
    uint64_t collection; /* file address of the collection */
    unsigned idx;
    uint64_t size;
} heap_obj;

typedef struct heap_objs {
    heap_obj *v;
    size_t n, cap;
    int nomem;
} heap_objs;

static void heap_add(heap_objs *h, uint64_t coll, unsigned idx, uint64_t size)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 256;
        heap_obj *v = realloc(h->v, cap * sizeof *v);
        if (!v) {
            h->nomem = 1;
            return;
        }
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = (heap_obj){coll, idx, size};
}

/* 1 when every "GCOL" collection in data parses the way HDF5 1.10.8's
 * H5HG__cache_heap_deserialize walks it (8-byte lengths, as painsim writes):
 * a 16-byte header (signature, version, 3 reserved, size), then objects of a
 * 16-byte header (index, references, 4 reserved, size) and the data padded
 * to 8 bytes; index 0 is the free space, its size counts the header. */
static int global_heaps_walkable(const uint8_t *data, size_t size, heap_objs *objs)
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
            if (idx > 0)
                heap_add(objs, at, idx, obj);
            p += need;
        }
    }
    return 1;
}

typedef struct vlen_scan {
    const uint8_t *data;
    size_t size;
    const heap_objs *objs;
    int unsafe;
} vlen_scan;

static const heap_obj *heap_find(const heap_objs *h, uint64_t coll, unsigned idx)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].collection == coll && h->v[i].idx == idx)
            return &h->v[i];
    return NULL;
}

/* Checks the heap references of one dataset of variable-length strings or
 * sequences: 16 bytes an element (length, collection address, index). */
static void scan_vlen_dataset(hid_t d, vlen_scan *sc)
{
    hid_t dcpl = H5Dget_create_plist(d), sp = H5Dget_space(d);
    H5D_layout_t layout = dcpl >= 0 ? H5Pget_layout(dcpl) : H5D_LAYOUT_ERROR;
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    haddr_t off = H5Dget_offset(d);
    hsize_t bytes = H5Dget_storage_size(d);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    if (layout == H5D_CONTIGUOUS && off == HADDR_UNDEF && bytes == 0)
        return; /* never written: HDF5 gives the fill value */
    if (layout != H5D_CONTIGUOUS || n < 0 || off == HADDR_UNDEF || off > sc->size ||
        bytes != (hsize_t)n * 16 || bytes > sc->size - off) {
        sc->unsafe = 1; /* not what painsim writes: do not guess */
        return;
    }
    for (hssize_t k = 0; k < n && !sc->unsafe; k++) {
        const uint8_t *e = sc->data + off + (size_t)k * 16;
        uint32_t len = le32(e);
        uint64_t coll = le64(e + 4);
        unsigned idx = le32(e + 12);
        if (coll == 0 && len == 0)
            continue; /* a NULL string */
        const heap_obj *o = heap_find(sc->objs, coll, idx);
        if (!o || o->size > len)
            sc->unsafe = 1;
    }
}

static herr_t visit_object(hid_t root, const char *name, const H5O_info_t *info, void *op_data)
{
    vlen_scan *sc = op_data;
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    hid_t d = H5Dopen2(root, name, H5P_DEFAULT);
    hid_t t = d >= 0 ? H5Dget_type(d) : H5I_INVALID_HID;
    if (t >= 0 && (H5Tis_variable_str(t) > 0 || H5Tget_class(t) == H5T_VLEN))
        scan_vlen_dataset(d, sc);
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    return sc->unsafe ? 1 : 0;
}

/* 1 when HDF5 can read the input's variable-length data without failing
 * inside the library (see the top of this file). */
static int hdf5_can_read(const uint8_t *data, size_t size)
{
    heap_objs objs = {NULL, 0, 0, 0};
    int ok = global_heaps_walkable(data, size, &objs) && !objs.nomem;
    if (ok) {
        hid_t f = H5Fopen(inpath, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f >= 0) {
            vlen_scan sc = {data, size, &objs, 0};
            H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_NATIVE, visit_object, &sc, H5O_INFO_BASIC);
            ok = !sc.unsafe;
            H5Fclose(f);
        }
        H5Eclear2(H5E_DEFAULT);
    }
    free(objs.v);
    return ok;
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
    FILE *fp = fopen(inpath, "wb");
    if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp) != 0) {
        perror("fuzz_summary: cannot write the input file");
        abort();
    }
    last_outcome = -1;
    last_message[0] = '\0';
    if (!hdf5_can_read(data, size))
        return -1; /* skipped: libFuzzer keeps it out of the corpus */
    check_all_closed("the check of the variable-length data");
    last_outcome = 0;
    /* as `painsim summary` does: a file with /psa is a PSA file */
    int has_psa = psim_psa_file_has_psa(inpath);
    check_all_closed("psim_psa_file_has_psa");
    if (has_psa == 1)
        read_psa();
    else
        read_results();
    run_plant(data, size);
    return 0;
}
