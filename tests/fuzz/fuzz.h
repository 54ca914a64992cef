/* Fuzz targets of painsim (tests/fuzz): the libFuzzer entry point every target
 * defines.  The same function is driven by libFuzzer (PAINSIM_FUZZ=ON, clang),
 * by AFL++ (afl-clang-fast with driver.c) and by driver.c alone, which replays
 * files in every normal build (the corpus regression tests). */
#ifndef PAINSIM_FUZZ_H
#define PAINSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input; returns 0, or -1 when the target skipped the input (libFuzzer
 * then keeps it out of the corpus; the driver counts it).  A finding is a
 * crash, a sanitizer report, a leak or an abort() on a broken invariant; input
 * errors are not findings. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the last input gave, for the mutation runner (mutate.c): 0 when it was
 * read without an error, 2 an input error (its message, with the file name,
 * copied into msg), -1 when the target skipped it.  Defined by the targets
 * that mutate.c runs (fuzz_summary). */
int fuzz_last_outcome(char *msg, size_t cap);

#endif
