/* Reading painsim files: the checks every reader shares (sim/output/h5read.h). */
#include "output/h5read.h"

#include <stdio.h>
#include <stdlib.h>

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

psim_status psim_h5_bad(const psim_h5_reader *rd, const char *fmt, const char *what)
{
    char msg[PSIM_ERROR_TEXT_MAX];
    snprintf(msg, sizeof msg, fmt, what);
    H5Eclear2(H5E_DEFAULT);
    return psim_error_set(rd->err, PSIM_ERR_INPUT, rd->path, 0, 0, "%s", msg);
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
