/*
 * rng_internal.h: the scalar reference of the noise-path draws and the
 * versions for each instruction set, for tests (sim/core/rng.c).
 *
 * psim_rng_normal_zig_n and psim_rng_normal_zig_ar1_n take blocks of draws
 * with AVX-512 or AVX2 when the CPU has them; every version gives the same
 * doubles and leaves the generator in the same state as the scalar one.
 */
#ifndef PAINSIM_RNG_INTERNAL_H
#define PAINSIM_RNG_INTERNAL_H

#include "painsim/rng.h"

enum { PSIM_RNG_ISA_SCALAR = 0, PSIM_RNG_ISA_AVX2 = 1, PSIM_RNG_ISA_AVX512 = 2 };

/* One draw at a time (the code on CPUs without AVX2 and off x86-64). */
void psim_rng_normal_zig_n_scalar(psim_rng *rng, double *z, int n);
void psim_rng_normal_zig_ar1_n_scalar(psim_rng *rng, double *x, int n, double s0, double phi, double innov);

/* 1 if this build and CPU can run `isa` (the scalar code always). */
int psim_rng_isa_available(int isa);
/* The version for `isa`; the scalar one when it is not available. */
void psim_rng_normal_zig_n_isa(int isa, psim_rng *rng, double *z, int n);
void psim_rng_normal_zig_ar1_n_isa(int isa, psim_rng *rng, double *x, int n, double s0, double phi, double innov);
void psim_rng_normal_zig_ar1_n2_isa(int isa, psim_rng *rng0, psim_rng *rng1, double *x0, double *x1, int n, double s0,
                                    double phi, double innov);

#endif
