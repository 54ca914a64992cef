/* Internal: reading painsim files defensively, shared by the /results reader
 * (report_h5.c) and the /psa reader (psa_h5.c).  A missing, damaged or
 * foreign object is an input error naming the file and what was wrong; every
 * HDF5 call is checked. */
#ifndef PAINSIM_H5READ_H
#define PAINSIM_H5READ_H

#include <hdf5.h>

#include "painsim/error.h"

typedef struct psim_h5_reader {
    const char *path; /* the file, for messages */
    hid_t file;
    psim_error *err;
} psim_h5_reader;

/* PSIM_ERR_INPUT on rd's file with the message fmt % what; clears HDF5's error stack. */
psim_status psim_h5_bad(const psim_h5_reader *rd, const char *fmt, const char *what);

/* A variable-length string memory type with the character set of the file
 * type ft (HDF5 does not convert between ASCII and UTF-8); close it. */
hid_t psim_h5_str_type_like(hid_t ft);

/* A scalar string attribute (variable or fixed length) into out; objname
 * names obj in messages ("root", "/results"). */
psim_status psim_h5_read_attr_str(const psim_h5_reader *rd, hid_t obj, const char *objname, const char *name,
                                  char *out, size_t size);

/* A scalar numeric attribute converted to memtype. */
psim_status psim_h5_read_attr_num(const psim_h5_reader *rd, hid_t obj, const char *objname, const char *name,
                                  hid_t memtype, void *out);

#endif
