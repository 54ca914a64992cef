/* Internal: small HDF5 helpers shared by the writer (h5out.c) and the
 * results reader/writer (report_h5.c).  Every helper checks every call and
 * returns a negative value (or H5I_INVALID_HID) on failure. */
#ifndef PAINSIM_H5UTIL_H
#define PAINSIM_H5UTIL_H

#include <hdf5.h>

#include "painsim/error.h"

/* A variable-length UTF-8 string type (close it with H5Tclose). */
hid_t psim_h5_str_type(void);

/* A scalar string attribute, or a scalar attribute of a numeric type. */
herr_t psim_h5_attr_str(hid_t obj, const char *name, const char *value);
herr_t psim_h5_attr_num(hid_t obj, const char *name, hid_t type, const void *value);

/* HDF5 keeps error-printing settings per thread; the library reports errors
 * through psim_error, so silence printing in the calling thread. */
void psim_h5_quiet(void);

/* Fill err with "cannot <what>: <reason>", the reason taken from the
 * innermost HDF5 error (the system's message, such as "No space left on
 * device", when there is one); clears the error stack; returns code. */
psim_status psim_h5_fail(psim_error *err, psim_status code, const char *path, const char *what);

#endif
