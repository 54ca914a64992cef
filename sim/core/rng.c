/*
 * rng.c: PCG32 (PCG-XSH-RR 64/32) seeding, jump-ahead and bounded draws,
 * written from M. E. O'Neill's published algorithm (pcg-c reference
 * pcg32_srandom_r, pcg32_boundedrand_r, pcg_advance_lcg_64), keyed streams,
 * and the continuous distributions built on them.
 *
 * Reproducibility: every function below consumes a documented, fixed number
 * and order of raw outputs.  Draws are always taken in separate statements
 * (C leaves the evaluation order of operands and arguments unspecified), and
 * the library is built with -ffp-contract=off and without fast-math, so
 * the same key gives bit-identical results on any conforming build.
 */
#include "painsim/rng.h"
#include "core/ziggurat_tables.h"

#include <math.h>
#include <string.h>

#define PSIM_PCG_MULT 6364136223846793005ULL

void psim_rng_seed(psim_rng *rng, uint64_t initstate, uint64_t initseq)
{
    rng->state = 0u;
    rng->inc = (initseq << 1u) | 1u;
    (void)psim_rng_u32(rng);
    rng->state += initstate;
    (void)psim_rng_u32(rng);
}

/* SplitMix64 finaliser (Steele, Lea and Flood; constants from Vigna). */
static inline uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/*
 * Key -> stream.  REPRODUCIBILITY CONTRACT: the mixing function mix64 and its
 * three constants, the order in which the key components are folded in
 * (seed, iteration, patient, purpose, index), and the stream constant
 * 0xda3e39cb94b95bdb are part of painsim's output contract.  Changing any of
 * them changes every simulated result; tests/test_rng.c pins them.
 */
void psim_rng_keyed(psim_rng *rng, uint64_t seed, uint64_t iteration, uint64_t patient,
                    uint32_t purpose, uint64_t index)
{
    psim_rng_keyed_from(rng, psim_rng_key_patient(seed, iteration, patient), purpose, index);
}

uint64_t psim_rng_key_patient(uint64_t seed, uint64_t iteration, uint64_t patient)
{
    uint64_t h = mix64(seed);
    h = mix64(h ^ iteration);
    return mix64(h ^ patient);
}

void psim_rng_keyed_from(psim_rng *rng, uint64_t patient_key, uint32_t purpose, uint64_t index)
{
    uint64_t h = mix64(patient_key ^ (uint64_t)purpose);
    h = mix64(h ^ index);
    psim_rng_seed(rng, h, mix64(h ^ 0xda3e39cb94b95bdbULL));
}

/* pcg_advance_lcg_64 (Brown, "Random number generation with arbitrary
 * strides", 1994): compose the LCG step with itself by repeated squaring. */
void psim_rng_advance(psim_rng *rng, uint64_t delta)
{
    uint64_t cur_mult = PSIM_PCG_MULT;
    uint64_t cur_plus = rng->inc;
    uint64_t acc_mult = 1u;
    uint64_t acc_plus = 0u;
    while (delta > 0u) {
        if (delta & 1u) {
            acc_mult *= cur_mult;
            acc_plus = acc_plus * cur_mult + cur_plus;
        }
        cur_plus = (cur_mult + 1u) * cur_plus;
        cur_mult *= cur_mult;
        delta /= 2u;
    }
    rng->state = acc_mult * rng->state + acc_plus;
}

uint32_t psim_rng_bounded(psim_rng *rng, uint32_t bound)
{
    /* 2^32 mod bound, computed in 32 bits; outputs below it are rejected so
     * that the accepted range is a multiple of bound. */
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t r = psim_rng_u32(rng);
        if (r >= threshold)
            return r % bound;
    }
}

/* Same draws as psim_rng_uniform, repeated in the (2^-53 probability) case
 * of an exact zero.  (Adding half a step, (k + 0.5) / 2^53, is not used: for
 * k = 2^53 - 1 it rounds to exactly 1.0.) */
double psim_rng_uniform_pos(psim_rng *rng)
{
    double u;
    do {
        u = psim_rng_uniform(rng);
    } while (u == 0.0);
    return u;
}

/* Marsaglia's polar method.  Per attempt: u from one uniform, then v from the
 * next; reject s >= 1 and s == 0. */
void psim_rng_normal2(psim_rng *rng, double *z0, double *z1)
{
    double u, v, s;
    do {
        u = psim_rng_uniform(rng);
        u = 2.0 * u - 1.0;
        v = psim_rng_uniform(rng);
        v = 2.0 * v - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    *z0 = u * f;
    *z1 = v * f;
}

/* The ziggurat (psim_rng_normal_zig): one 64-bit draw and no logarithm for
 * about 99% of draws, where the polar method took two uniforms, a log and a
 * square root and threw half of its pair away.  Every normal of the model
 * (durations, truncated cohort normals, the gamma draws behind Beta relief,
 * PSA parameters) comes from here. */
double psim_rng_normal(psim_rng *rng)
{
    return psim_rng_normal_zig(rng);
}

/*
 * Marsaglia and Tsang (2000), "A simple method for generating gamma
 * variables".  For shape >= 1, per attempt: one normal x (psim_rng_normal,
 * the ziggurat; rejected while 1 + c x <= 0), then one uniform_pos u.  For shape < 1:
 * g = gamma(shape + 1) first, THEN one uniform_pos u, and the result is
 * g * u^(1/shape).  Returns NaN if shape is not > 0 (callers validate).
 */
void psim_gamma_prepare(psim_gamma_shape *g, double shape)
{
    g->shape = shape;
    g->small = shape > 0.0 && shape < 1.0;
    g->inv_shape = g->small ? 1.0 / shape : 0.0;
    const double big = g->small ? shape + 1.0 : shape;
    g->d = big - 1.0 / 3.0;
    g->c = 1.0 / sqrt(9.0 * g->d);
}

double psim_rng_gamma_prepared(psim_rng *rng, const psim_gamma_shape *g)
{
    if (!(g->shape > 0.0))
        return NAN;
    const double d = g->d, c = g->c;
    double r;
    for (;;) {
        double x, v;
        do {
            x = psim_rng_normal(rng);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        double u = psim_rng_uniform_pos(rng);
        double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2) {
            r = d * v;
            break;
        }
        if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v))) {
            r = d * v;
            break;
        }
    }
    if (g->small) {
        double u = psim_rng_uniform_pos(rng);
        return r * pow(u, g->inv_shape);
    }
    return r;
}

double psim_rng_gamma(psim_rng *rng, double shape)
{
    psim_gamma_shape g;
    psim_gamma_prepare(&g, shape);
    return psim_rng_gamma_prepared(rng, &g);
}

/* Beta(a, b) = X / (X + Y), X ~ Gamma(a) drawn first, then Y ~ Gamma(b).
 * If both underflow to 0 (tiny shapes), return the mean a / (a + b). */
double psim_rng_beta(psim_rng *rng, double a, double b)
{
    psim_gamma_shape ga, gb;
    psim_gamma_prepare(&ga, a);
    psim_gamma_prepare(&gb, b);
    return psim_rng_beta_prepared(rng, &ga, &gb);
}

double psim_rng_beta_prepared(psim_rng *rng, const psim_gamma_shape *a, const psim_gamma_shape *b)
{
    double x = psim_rng_gamma_prepared(rng, a);
    double y = psim_rng_gamma_prepared(rng, b);
    double sum = x + y;
    if (sum == 0.0)
        return a->shape / (a->shape + b->shape);
    return x / sum;
}

/* The rest of a ziggurat draw whose first 64 bits fell outside its layer's
 * rectangle: the tail (layer 0) or the wedge test, then new draws until one
 * is accepted. */
static double zig_outside(psim_rng *rng, int idx, int negative, double x)
{
    if (idx == 0) {
        /* the tail beyond R (Marsaglia 1964) */
        for (;;) {
            double xx = -PSIM_ZIG_INV_R * log1p(-psim_rng_uniform(rng));
            double yy = -log1p(-psim_rng_uniform(rng));
            if (yy + yy > xx * xx)
                return negative ? -(PSIM_ZIG_R + xx) : PSIM_ZIG_R + xx;
        }
    }
    /* the wedge: accept under the density */
    double u = psim_rng_uniform(rng);
    if ((psim_zig_fi[idx - 1] - psim_zig_fi[idx]) * u + psim_zig_fi[idx] < exp(-0.5 * x * x))
        return x;
    return psim_rng_normal_zig(rng);
}

/* One draw of psim_rng_normal_zig from the state *state (in a register
 * when inlined into a loop).  The common case (a draw inside its layer's
 * rectangle, about 99% of them) takes the address of the state only on the
 * rare path and sets the sign by flipping the sign bit, without a branch
 * that would be mispredicted half of the time; -x and the flipped bit are
 * the same double. */
static inline double zig_one(uint64_t *state, uint64_t inc)
{
    /* one 64-bit draw: 8 bits choose the layer, 1 the sign, 52 the magnitude */
    psim_rng r = {*state, inc};
    uint32_t hi, lo;
    psim_rng_u32x2(&r, &hi, &lo);
    uint64_t b = (uint64_t)hi << 32 | lo;
    *state = r.state;
    const int idx = (int)(b & 0xffu);
    b >>= 8;
    const uint64_t negative = b & 1u;
    const uint64_t rabs = (b >> 1) & 0x000fffffffffffffULL;
    double x = (double)(int64_t)rabs * psim_zig_wi[idx];
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    bits ^= negative << 63;
    memcpy(&x, &bits, sizeof x);
    if (rabs < psim_zig_ki[idx])
        return x;
    psim_rng slow = {*state, inc};
    x = zig_outside(&slow, idx, (int)negative, x);
    *state = slow.state;
    return x;
}

/* n draws of psim_rng_normal_zig, the same values. */
void psim_rng_normal_zig_n(psim_rng *rng, double *z, int n)
{
    uint64_t state = rng->state;
    const uint64_t inc = rng->inc;
    for (int i = 0; i < n; i++)
        z[i] = zig_one(&state, inc);
    rng->state = state;
}

/* The AR(1) recursion over n draws in the same loop: the chain of the
 * recursion (a multiplication and an addition a day) runs beside the
 * drawing instead of after it.  Same operations in the same order as
 * drawing z first and then x[0] = s0 z[0], x[t] = phi x[t-1] + innov z[t]. */
void psim_rng_normal_zig_ar1_n(psim_rng *rng, double *x, int n, double s0, double phi, double innov)
{
    if (n <= 0)
        return;
    uint64_t state = rng->state;
    const uint64_t inc = rng->inc;
    double e = s0 * zig_one(&state, inc);
    x[0] = e;
    for (int t = 1; t < n; t++) {
        double z = zig_one(&state, inc);
        e = phi * e + innov * z;
        x[t] = e;
    }
    rng->state = state;
}

double psim_rng_normal_zig(psim_rng *rng)
{
    double z;
    psim_rng_normal_zig_n(rng, &z, 1);
    return z;
}
