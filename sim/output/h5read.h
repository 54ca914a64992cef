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

/* Whether HDF5's current error stack says a checksum (Fletcher32 on data,
 * or a metadata checksum) did not match. */
int psim_h5_checksum_failed(void);

/* PSIM_ERR_INPUT on rd's file with the message fmt % what, saying so when the
 * failure was a checksum mismatch; clears HDF5's error stack. */
psim_status psim_h5_bad(const psim_h5_reader *rd, const char *fmt, const char *what);

/* A variable-length string memory type with the character set of the file
 * type ft (HDF5 does not convert between ASCII and UTF-8); close it. */
hid_t psim_h5_str_type_like(hid_t ft);

/* A scalar string attribute (variable or fixed length) into out; objname
 * names obj in messages ("root", "/results"). */
psim_status psim_h5_read_attr_str(const psim_h5_reader *rd, hid_t obj, const char *objname, const char *name,
                                  char *out, size_t size);

/* The most memory a reader lets HDF5 allocate for the variable-length strings
 * of one dataset: painsim writes names of at most PSIM_NAME_MAX bytes, so a
 * larger length read from a file means the file is damaged. */
#define PSIM_H5_VLEN_STRING_MAX 4096
#define PSIM_H5_VLEN_TOTAL_MAX ((size_t)64 << 20)

/* Read the n variable-length strings of the 1-D dataset d (file type ft) into
 * out + k * cap, each cut to cap - 1 bytes.  HDF5 allocates the strings through
 * a bounded allocator: a string longer than PSIM_H5_VLEN_STRING_MAX bytes (a
 * damaged length) or more than PSIM_H5_VLEN_TOTAL_MAX in all makes the read
 * fail at once instead of allocating what the damaged length says; the
 * strings HDF5 converted before a failure are freed too.  Returns
 * 0, -1 when the data cannot be read (damaged), -2 when out of memory.
 * *bad_entry (may be NULL) is set when a string is missing (NULL, read as "")
 * or did not fit in cap. */
int psim_h5_read_strings(hid_t d, hid_t ft, hsize_t n, char *out, size_t cap, int *bad_entry);

/* Read every dataset of group g (named prefix in messages) that carries a
 * Fletcher32 checksum, so that altered bytes anywhere in it are found even in
 * datasets the reader does not use: PSIM_ERR_INPUT naming the first damaged
 * dataset.  Datasets without a checksum (files written before painsim had
 * them) are left to the readers. */
psim_status psim_h5_verify_group(const psim_h5_reader *rd, hid_t g, const char *prefix);

/* A scalar numeric attribute converted to memtype. */
psim_status psim_h5_read_attr_num(const psim_h5_reader *rd, hid_t obj, const char *objname, const char *name,
                                  hid_t memtype, void *out);

#endif
