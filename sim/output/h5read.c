/* Reading painsim files: the checks every reader shares (sim/output/h5read.h). */
#include "output/h5read.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "output/h5util.h"

hid_t psim_h5_str_type_like(hid_t ft)
{
    hid_t t = psim_h5_str_type();
    H5T_cset_t cset = H5Tget_cset(ft);
    if (t >= 0 && (cset < 0 || H5Tset_cset(t, cset) < 0)) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* The vlen allocator HDF5 calls for the strings of one read.  Every block
 * it hands out is linked into a list, so that what HDF5 leaves behind when a
 * read fails part-way (the strings it converted before the failure stay in
 * its conversion buffer, out of reach of H5Dvlen_reclaim) is freed too. */
typedef union vlen_block {
    struct {
        union vlen_block *prev, *next;
    } link;
    max_align_t align; /* the string after the header is aligned like malloc's */
} vlen_block;

typedef struct vlen_budget {
    size_t total;
    vlen_block head; /* sentinel of the circular list of live blocks */
} vlen_budget;

static void budget_init(vlen_budget *b)
{
    b->total = 0;
    b->head.link.prev = b->head.link.next = &b->head;
}

static void *bounded_alloc(size_t size, void *info)
{
    vlen_budget *b = info;
    if (size > PSIM_H5_VLEN_STRING_MAX + 1 || b->total + size > PSIM_H5_VLEN_TOTAL_MAX)
        return NULL;
    vlen_block *blk = malloc(sizeof *blk + size);
    if (!blk)
        return NULL;
    b->total += size;
    blk->link.prev = &b->head;
    blk->link.next = b->head.link.next;
    b->head.link.next->link.prev = blk;
    b->head.link.next = blk;
    return blk + 1;
}

static void unlink_free(vlen_block *blk)
{
    blk->link.prev->link.next = blk->link.next;
    blk->link.next->link.prev = blk->link.prev;
    free(blk);
}

static void bounded_free(void *p, void *info)
{
    (void)info;
    if (p)
        unlink_free((vlen_block *)p - 1);
}

/* Frees every block still live: after a successful read the strings (so no
 * H5Dvlen_reclaim is needed), after a failed one whatever HDF5 left. */
static void budget_free_all(vlen_budget *b)
{
    while (b->head.link.next != &b->head)
        unlink_free(b->head.link.next);
}

/* A variable-length string is stored in the dataset as its length (4 bytes,
 * little-endian), then where it lives in the global heap.  HDF5 allocates and
 * zeroes a conversion buffer of the stored length before it asks the vlen
 * allocator for memory, so a damaged length costs gigabytes before the
 * allocator can refuse: read the stored lengths of a contiguous dataset (the
 * layout painsim writes) and check them first.  0 when they are all at most
 * PSIM_H5_VLEN_STRING_MAX (or the layout is another one), -1 otherwise. */
static int stored_lengths_ok(hid_t d, hsize_t n)
{
    hid_t dcpl = H5Dget_create_plist(d);
    if (dcpl < 0)
        return -1;
    H5D_layout_t layout = H5Pget_layout(dcpl);
    H5Pclose(dcpl);
    if (layout == H5D_COMPACT || layout == H5D_CHUNKED)
        return 0; /* not written by painsim; the rlimit of the reading process bounds these */
    if (layout != H5D_CONTIGUOUS)
        return -1;
    haddr_t off = H5Dget_offset(d);
    hsize_t size = H5Dget_storage_size(d);
    if (off == HADDR_UNDEF || size == 0)
        return 0; /* never written: HDF5 returns the fill value (NULL strings) */
    if (size % n != 0 || size / n < 4 || size / n > 64)
        return -1;
    size_t elem = (size_t)(size / n);
    hid_t f = H5Iget_file_id(d), fapl = f >= 0 ? H5Fget_access_plist(f) : H5I_INVALID_HID;
    void *handle = NULL;
    int rc = -1;
    if (fapl >= 0 && H5Pget_driver(fapl) == H5FD_SEC2 && H5Fget_vfd_handle(f, fapl, &handle) >= 0 && handle) {
        int fd = *(int *)handle;
        unsigned char raw[64];
        rc = 0;
        for (hsize_t k = 0; k < n && rc == 0; k++) {
            if (pread(fd, raw, 4, (off_t)(off + k * elem)) != 4) {
                rc = -1;
                break;
            }
            uint32_t len = (uint32_t)raw[0] | (uint32_t)raw[1] << 8 | (uint32_t)raw[2] << 16 | (uint32_t)raw[3] << 24;
            if (len > PSIM_H5_VLEN_STRING_MAX)
                rc = -1;
        }
    } else if (fapl >= 0) {
        rc = 0; /* another file driver: the allocator and the rlimit bound the read */
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    if (f >= 0)
        H5Fclose(f);
    return rc;
}

int psim_h5_read_strings(hid_t d, hid_t ft, hsize_t n, char *out, size_t cap, int *bad_entry)
{
    if (bad_entry)
        *bad_entry = 0;
    if (n == 0)
        return 0;
    if (n > PSIM_H5_VLEN_TOTAL_MAX / sizeof(char *) || stored_lengths_ok(d, n) != 0) {
        H5Eclear2(H5E_DEFAULT);
        return -1;
    }
    char **v = calloc((size_t)n, sizeof *v);
    if (!v)
        return -2;
    vlen_budget budget;
    budget_init(&budget);
    hid_t mt = psim_h5_str_type_like(ft), dxpl = H5Pcreate(H5P_DATASET_XFER);
    int rc = -1;
    if (mt >= 0 && dxpl >= 0 &&
        H5Pset_vlen_mem_manager(dxpl, bounded_alloc, &budget, bounded_free, &budget) >= 0) {
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, dxpl, v) >= 0) {
            rc = 0;
            for (hsize_t k = 0; k < n; k++) {
                const char *s = v[k] ? v[k] : "";
                if (bad_entry && (!v[k] || strlen(s) >= cap))
                    *bad_entry = 1;
                snprintf(out + k * cap, cap, "%s", s);
            }
        }
    }
    /* the strings in v and what a failed read left in HDF5's buffers */
    budget_free_all(&budget);
    free(v);
    if (dxpl >= 0)
        H5Pclose(dxpl);
    if (mt >= 0)
        H5Tclose(mt);
    H5Eclear2(H5E_DEFAULT);
    return rc;
}

static herr_t find_checksum_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    if (e->desc && (strstr(e->desc, "Fletcher32") || strstr(e->desc, "checksum")))
        *(int *)data = 1;
    return 0;
}

int psim_h5_checksum_failed(void)
{
    int found = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, find_checksum_cb, &found);
    return found;
}

psim_status psim_h5_bad(const psim_h5_reader *rd, const char *fmt, const char *what)
{
    char msg[PSIM_ERROR_TEXT_MAX];
    snprintf(msg, sizeof msg, fmt, what);
    int checksum = psim_h5_checksum_failed();
    H5Eclear2(H5E_DEFAULT);
    return psim_error_set(rd->err, PSIM_ERR_INPUT, rd->path, 0, 0, "%s%s", msg,
                          checksum ? " (its checksum does not match: the bytes were altered after painsim wrote "
                                     "them)"
                                   : "");
}

psim_status psim_h5_read_attr_str(const psim_h5_reader *rd, hid_t obj, const char *objname, const char *name, char *out,
                                 size_t size)
{
    char what[160];
    snprintf(what, sizeof what, "%s attribute '%s'", objname, name);
    if (H5Aexists(obj, name) <= 0)
        return psim_h5_bad(rd, "not a complete painsim file: no %s", what);
    psim_status st = PSIM_OK;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), ft = H5I_INVALID_HID, mt = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    if (a < 0 || (ft = H5Aget_type(a)) < 0 || (sp = H5Aget_space(a)) < 0) {
        st = psim_h5_bad(rd, "damaged file: cannot open the %s", what);
        goto done;
    }
    if (H5Tget_class(ft) != H5T_STRING || H5Sget_simple_extent_npoints(sp) != 1) {
        st = psim_h5_bad(rd, "not a painsim file: the %s is not a string", what);
        goto done;
    }
    htri_t is_var = H5Tis_variable_str(ft);
    if (is_var > 0) {
        char *v = NULL;
        mt = psim_h5_str_type_like(ft);
        if (mt < 0 || H5Aread(a, mt, &v) < 0 || !v) {
            st = psim_h5_bad(rd, "damaged file: cannot read the %s", what);
            goto done;
        }
        snprintf(out, size, "%s", v);
        H5free_memory(v);
    } else if (is_var == 0) {
        size_t n = H5Tget_size(ft);
        if (n == 0 || n > 65536) {
            st = psim_h5_bad(rd, "damaged file: bad size of the %s", what);
            goto done;
        }
        char *v = calloc(n + 1, 1);
        mt = H5Tcopy(H5T_C_S1);
        if (!v || mt < 0 || H5Tset_size(mt, n) < 0 || H5Tset_cset(mt, H5Tget_cset(ft)) < 0 ||
            H5Aread(a, mt, v) < 0) {
            free(v);
            st = v ? psim_h5_bad(rd, "damaged file: cannot read the %s", what)
                   : psim_error_set(rd->err, PSIM_ERR_NOMEM, rd->path, 0, 0, "out of memory");
            goto done;
        }
        snprintf(out, size, "%s", v);
        free(v);
    } else {
        st = psim_h5_bad(rd, "damaged file: cannot read the %s", what);
    }
done:
    if (mt >= 0)
        H5Tclose(mt);
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    if (a >= 0)
        H5Aclose(a);
    return st;
}

psim_status psim_h5_read_attr_num(const psim_h5_reader *rd, hid_t obj, const char *objname, const char *name,
                                  hid_t memtype, void *out)
{
    char what[160];
    snprintf(what, sizeof what, "%s attribute '%s'", objname, name);
    if (H5Aexists(obj, name) <= 0)
        return psim_h5_bad(rd, "not a complete painsim file: no %s", what);
    psim_status st = PSIM_OK;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), ft = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    if (a < 0 || (ft = H5Aget_type(a)) < 0 || (sp = H5Aget_space(a)) < 0) {
        st = psim_h5_bad(rd, "damaged file: cannot open the %s", what);
    } else if ((H5Tget_class(ft) != H5T_INTEGER && H5Tget_class(ft) != H5T_FLOAT) ||
               H5Sget_simple_extent_npoints(sp) != 1) {
        st = psim_h5_bad(rd, "not a painsim file: the %s is not a number", what);
    } else if (H5Aread(a, memtype, out) < 0) {
        st = psim_h5_bad(rd, "damaged file: cannot read the %s", what);
    }
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    if (a >= 0)
        H5Aclose(a);
    return st;
}

/* Read every element of dataset d, a slab of rows at a time, so that HDF5
 * checks the checksum of every chunk.  0, -1, or -2 when a checksum did not
 * match (checked at once: the next HDF5 call clears the error stack). */
static int read_through(hid_t d)
{
    hid_t ft = H5Dget_type(d), mt = H5I_INVALID_HID, fs = H5Dget_space(d), ms = H5I_INVALID_HID;
    int rc = -1, rank = fs >= 0 ? H5Sget_simple_extent_ndims(fs) : -1;
    hsize_t dims[H5S_MAX_RANK] = {0}, start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK] = {0};
    void *buf = NULL;
    if (ft < 0 || rank < 0 || H5Sget_simple_extent_dims(fs, dims, NULL) < 0)
        goto done;
    mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
    size_t elem = mt >= 0 ? H5Tget_size(mt) : 0, row = elem;
    if (elem == 0)
        goto done;
    if (rank == 0) {
        buf = malloc(elem);
        rc = buf && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 ? 0 : psim_h5_checksum_failed() ? -2 : -1;
        goto done;
    }
    for (int k = 1; k < rank; k++)
        row *= (size_t)dims[k];
    if (row == 0 || dims[0] == 0) {
        rc = 0;
        goto done;
    }
    hsize_t rows = row >= ((size_t)8 << 20) ? 1 : (hsize_t)(((size_t)8 << 20) / row);
    buf = malloc(row * (size_t)(rows < dims[0] ? rows : dims[0]));
    if (!buf)
        goto done;
    rc = 0;
    for (hsize_t r0 = 0; r0 < dims[0] && rc == 0; r0 += rows) {
        start[0] = r0;
        count[0] = dims[0] - r0 < rows ? dims[0] - r0 : rows;
        for (int k = 1; k < rank; k++)
            count[k] = dims[k];
        ms = H5Screate_simple(rank, count, NULL);
        if (ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
            rc = -1;
        else if (H5Dread(d, mt, ms, fs, H5P_DEFAULT, buf) < 0)
            rc = psim_h5_checksum_failed() ? -2 : -1;
        if (ms >= 0)
            H5Sclose(ms);
        ms = H5I_INVALID_HID;
    }
done:
    free(buf);
    if (mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    if (fs >= 0)
        H5Sclose(fs);
    return rc;
}

typedef struct verify_ctx {
    const psim_h5_reader *rd;
    const char *prefix;
    psim_status st;
} verify_ctx;

static herr_t verify_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    verify_ctx *v = data;
    H5O_info_t oi;
    if (H5Oget_info_by_name2(g, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_DATASET)
        return 0;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return 0; /* the readers report what they need and cannot open */
    hid_t dcpl = H5Dget_create_plist(d);
    unsigned flags = 0;
    size_t nelmts = 0;
    unsigned config = 0;
    int checked = dcpl >= 0 && H5Pget_filter_by_id2(dcpl, H5Z_FILTER_FLETCHER32, &flags, &nelmts, NULL, 0, NULL,
                                                   &config) >= 0;
    if (dcpl >= 0)
        H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    int rc = checked ? read_through(d) : 0;
    if (rc != 0) {
        char full[512];
        snprintf(full, sizeof full, "%s/%s", v->prefix, name);
        v->st = psim_h5_bad(v->rd,
                            rc == -2 ? "damaged file: %s: its checksum does not match (the bytes were altered after "
                                       "painsim wrote them)"
                                     : "damaged file: %s cannot be read",
                            full);
    }
    H5Dclose(d);
    return v->st == PSIM_OK ? 0 : 1;
}

psim_status psim_h5_verify_group(const psim_h5_reader *rd, hid_t g, const char *prefix)
{
    verify_ctx v = {rd, prefix, PSIM_OK};
    /* In the native order of the name index: for a group with dense link
     * storage (a fractal heap, without checksums) HDF5 1.10.8 then decodes one
     * link at a time.  In any other order it first builds a table of all the
     * links, and when a damaged link fails to decode it frees pointers of the
     * table it never set (SIGSEGV in H5G__link_release_table). */
    herr_t it = H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, verify_cb, &v);
    if (it < 0 && v.st == PSIM_OK)
        v.st = psim_h5_bad(rd, "damaged file: the links of %s cannot be read", prefix);
    H5Eclear2(H5E_DEFAULT);
    return v.st;
}
