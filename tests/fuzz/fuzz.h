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

#endif
