#include "output/h5util.h"

#include <stdio.h>
#include <string.h>

hid_t psim_h5_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

herr_t psim_h5_attr_str(hid_t obj, const char *name, const char *value)
{
    herr_t rc = -1;
    hid_t t = psim_h5_str_type(), sp = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    if (t >= 0 && sp >= 0) {
        a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0)
            rc = H5Awrite(a, t, &value);
    }
    if (a >= 0 && H5Aclose(a) < 0)
        rc = -1;
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

herr_t psim_h5_attr_num(hid_t obj, const char *name, hid_t type, const void *value)
{
    herr_t rc = -1;
    hid_t sp = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    if (sp >= 0) {
        a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0)
            rc = H5Awrite(a, type, value);
    }
    if (a >= 0 && H5Aclose(a) < 0)
        rc = -1;
    if (sp >= 0)
        H5Sclose(sp);
    return rc;
}

void psim_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* The innermost error (where HDF5 detected it): system errors read "...
 * errno = 28, error message = 'No space left on device', ...": keep the
 * system's message, else the first line. */
static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n != 0 || !e->desc)
        return 0;
    const char *msg = strstr(e->desc, "error message = '");
    if (msg) {
        msg += strlen("error message = '");
        const char *end = strchr(msg, '\'');
        int len = end ? (int)(end - msg) : (int)strlen(msg);
        snprintf(buf, 256, "%.*s", len, msg);
    } else {
        int len = (int)strcspn(e->desc, "\n");
        snprintf(buf, 256, "%.*s", len, e->desc);
    }
    return 0;
}

psim_status psim_h5_fail(psim_error *err, psim_status code, const char *path, const char *what)
{
    char detail[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, detail);
    H5Eclear2(H5E_DEFAULT);
    if (detail[0])
        return psim_error_set(err, code, path, 0, 0, "cannot %s: %s", what, detail);
    return psim_error_set(err, code, path, 0, 0, "cannot %s", what);
}

hid_t psim_h5_checked_dcpl(hid_t filetype, int rank, const hsize_t *dims)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0)
        return dcpl;
    size_t elem = H5Tget_size(filetype);
    int empty = rank < 1 || elem == 0;
    for (int k = 0; k < rank; k++)
        empty |= dims[k] == 0;
    if (empty || H5Tis_variable_str(filetype) != 0 || H5Tdetect_class(filetype, H5T_VLEN) != 0)
        return dcpl;
    hsize_t chunk[H5S_MAX_RANK];
    size_t row = elem;
    for (int k = 0; k < rank && k < H5S_MAX_RANK; k++) {
        chunk[k] = dims[k];
        if (k > 0)
            row *= (size_t)dims[k];
    }
    /* a row bigger than 1 MiB is one chunk per row (an HDF5 chunk must stay below 4 GiB) */
    hsize_t rows = row >= ((size_t)1 << 20) ? 1 : (hsize_t)(((size_t)1 << 20) / row);
    if (rows < chunk[0])
        chunk[0] = rows;
    if (row > ((size_t)1 << 31) || H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_fletcher32(dcpl) < 0) {
        H5Pclose(dcpl);
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
    }
    return dcpl;
}

herr_t psim_h5_write_ds(hid_t loc, const char *name, hid_t filetype, hid_t memtype, int rank,
                       const hsize_t *dims, const void *buf, const char *units, const char *description)
{
    herr_t rc = -1;
    hid_t sp = H5Screate_simple(rank, dims, NULL), d = H5I_INVALID_HID;
    if (sp < 0)
        return -1;
    hid_t dcpl = psim_h5_checked_dcpl(filetype, rank, dims);
    if (dcpl >= 0) {
        d = H5Dcreate2(loc, name, filetype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5Pclose(dcpl);
    }
    if (d >= 0) {
        hsize_t npts = 1;
        for (int k = 0; k < rank; k++)
            npts *= dims[k];
        rc = npts > 0 ? H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
        if (rc >= 0)
            rc = psim_h5_attr_str(d, "units", units);
        if (rc >= 0)
            rc = psim_h5_attr_str(d, "description", description);
        if (H5Dclose(d) < 0)
            rc = -1;
    }
    H5Sclose(sp);
    return rc;
}

herr_t psim_h5_write_strs(hid_t loc, const char *name, hsize_t n, const char **v, const char *units,
                          const char *description)
{
    hid_t t = psim_h5_str_type();
    if (t < 0)
        return -1;
    herr_t rc = psim_h5_write_ds(loc, name, t, t, 1, &n, v, units, description);
    H5Tclose(t);
    return rc;
}
