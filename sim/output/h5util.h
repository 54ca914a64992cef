/* Internal: small HDF5 helpers shared by the writer (h5out.c) and the
 * results reader/writer (report_h5.c).  Every helper checks every call and
 * returns a negative value (or H5I_INVALID_HID) on failure. */
#ifndef PAINSIM_H5UTIL_H
#define PAINSIM_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "painsim/error.h"
#include "painsim/scenario.h"
#include "painsim/sink.h"

/* A variable-length UTF-8 string type (close it with H5Tclose). */
hid_t psim_h5_str_type(void);

/* A scalar string attribute, or a scalar attribute of a numeric type. */
herr_t psim_h5_attr_str(hid_t obj, const char *name, const char *value);
herr_t psim_h5_attr_num(hid_t obj, const char *name, hid_t type, const void *value);

/* Dataset creation properties that protect the data with a checksum: chunked
 * (chunks of at most about 1 MiB, whole rows of the first dimension) with
 * HDF5's Fletcher32 filter, so that a reader detects altered bytes instead of
 * returning them.  Variable-length strings and empty datasets stay contiguous
 * (the strings' lengths are checked by the readers instead).  Close it. */
hid_t psim_h5_checked_dcpl(hid_t filetype, int rank, const hsize_t *dims);

/* A dataset of any rank with the file type `filetype`, written whole from buf
 * (memory type `memtype`), with `units` and `description` attributes; numeric
 * data carries a Fletcher32 checksum (psim_h5_checked_dcpl). */
/* A transfer property list for writing n variable-length strings, with
 * conversion buffers sized for them (H5Pclose it). */
hid_t psim_h5_str_dxpl(hsize_t n);
/* A scalar variable-length string dataset with units and description. */
herr_t psim_h5_write_str(hid_t loc, const char *name, const char *value, const char *units, const char *description);
herr_t psim_h5_write_ds(hid_t loc, const char *name, hid_t filetype, hid_t memtype, int rank, const hsize_t *dims,
                        const void *buf, const char *units, const char *description);

/* A 1-D dataset of n variable-length UTF-8 strings. */
herr_t psim_h5_write_strs(hid_t loc, const char *name, hsize_t n, const char **v, const char *units,
                          const char *description);

/* Provenance root attributes of every painsim file (docs/output-format.md):
 * git_commit (at build time, "unknown" outside git), hdf5_version,
 * mpi_version ("none" in the serial build), scenario_sha256 (of the resolved
 * scenario text, psim_scenario_to_yaml: it includes the seed and the cohort
 * size), file_kind ("run", "shard" or "merged"), and the layout: shard_index
 * (1-based) of shard_count, shard_first_patient and shard_patients,
 * shard_first_block and shard_blocks, with block_size patients per block.  A
 * whole run is shard 1 of 1.  layout NULL: the whole cohort. */
herr_t psim_h5_write_provenance(hid_t file, const psim_scenario *scn, const char *file_kind,
                                const psim_run_layout *layout);

/* The SHA-256 of the resolved scenario text, as 64 hex digits. */
psim_status psim_scenario_sha256(const psim_scenario *scn, char hex[65], psim_error *err) PSIM_MUST_CHECK;

/* HDF5 keeps error-printing settings per thread; the library reports errors
 * through psim_error, so silence printing in the calling thread. */
void psim_h5_quiet(void);

/* Fill err with "cannot <what>: <reason>", the reason taken from the
 * innermost HDF5 error (the system's message, such as "No space left on
 * device", when there is one); clears the error stack; returns code. */
psim_status psim_h5_fail(psim_error *err, psim_status code, const char *path, const char *what);

/* The checksum that HDF5's Fletcher32 filter appends to a chunk of `len`
 * bytes (stored little-endian after the data): sums of the big-endian 16-bit
 * words, folded to 16 bits after every 360 words, computed with the same
 * 32-bit wrap-around arithmetic, so the same value for any data; the
 * writer uses it to write whole chunks directly (H5Dwrite_chunk). */
uint32_t psim_h5_fletcher32(const void *data, size_t len);
/* The same without AVX2 (SSE2 or one word at a time): what
 * psim_h5_fletcher32 runs on CPUs without AVX2; for tests. */
uint32_t psim_h5_fletcher32_portable(const void *data, size_t len);

#endif
