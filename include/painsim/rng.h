/*
 * painsim/rng.h: PCG32 (PCG-XSH-RR 64/32) random numbers, written from
 * M. E. O'Neill's published algorithm, and keyed streams.
 *
 * Every random draw in painsim comes from a stream selected by a key
 * (seed, PSA iteration, patient, purpose, index), never from the thread that
 * happens to do the work: that is what makes results identical at any thread
 * count and gives common random numbers across strategies (MODEL.md section 7).
 *
 * A psim_rng is a plain value owned by the caller; functions taking it by
 * pointer are reentrant.  No global state.
 */
#ifndef PAINSIM_RNG_H
#define PAINSIM_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psim_rng {
    uint64_t state; /* all 2^64 values possible */
    uint64_t inc;   /* stream selector, always odd */
} psim_rng;

/* What a stream is used for; part of the key.  Append only: the numbers are
 * part of the reproducibility contract (changing them changes every result). */
typedef enum {
    PSIM_PURPOSE_COHORT = 1,   /* baseline attributes of a patient        */
    PSIM_PURPOSE_NOISE = 2,    /* AR(1) noise path of a patient            */
    PSIM_PURPOSE_SESSION = 3,  /* draws behind session j (index = j)       */
    PSIM_PURPOSE_PSA = 4,      /* parameter draws of a PSA iteration       */
    PSIM_PURPOSE_CALIBRATE = 5 /* calibration starts and IMIS draws        */
} psim_purpose;

/* pcg32_srandom_r: seed with an initial state and a stream (sequence) id. */
void psim_rng_seed(psim_rng *rng, uint64_t initstate, uint64_t initseq);

/* The stream for a key.  Distinct keys give (with overwhelming probability)
 * distinct, independent-looking streams. */
void psim_rng_keyed(psim_rng *rng, uint64_t seed, uint64_t iteration, uint64_t patient,
                    uint32_t purpose, uint64_t index);
/* psim_rng_keyed in two steps, the same streams: the part of the key that
 * every stream of one patient shares (seed, iteration, patient), computed
 * once, then a stream of that patient by purpose and index. */
uint64_t psim_rng_key_patient(uint64_t seed, uint64_t iteration, uint64_t patient);
void psim_rng_keyed_from(psim_rng *rng, uint64_t patient_key, uint32_t purpose, uint64_t index);
/* psim_rng_keyed_from in two steps again, for many indices of one purpose:
 * psim_rng_keyed_index(rng, psim_rng_key_purpose(patient_key, purpose), index)
 * is the same stream. */
uint64_t psim_rng_key_purpose(uint64_t patient_key, uint32_t purpose);
void psim_rng_keyed_index(psim_rng *rng, uint64_t purpose_key, uint64_t index);

/* Next 32-bit output. */
static inline uint32_t psim_rng_u32(psim_rng *rng)
{
    uint64_t old = rng->state;
    rng->state = old * 6364136223846793005ULL + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/* Jump ahead (or back, with a negative delta modulo 2^64) by delta steps in O(log delta). */
void psim_rng_advance(psim_rng *rng, uint64_t delta);

/* Unbiased integer in [0, bound) (bound > 0), by PCG's threshold rejection;
 * the same sequence as pcg32_boundedrand_r and the C++ pcg32::operator()(bound). */
uint32_t psim_rng_bounded(psim_rng *rng, uint32_t bound);

/* The output of PCG-XSH-RR for the state `old` (psim_rng_u32 without the step). */
static inline uint32_t psim_rng_output(uint64_t old)
{
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

/* Two outputs, as two calls of psim_rng_u32.  The state after both is
 * s M^2 + inc (M + 1) (mod 2^64), computed from s directly, beside the
 * middle state s M + inc: one multiplication on the chain from one pair to
 * the next instead of two. */
static inline void psim_rng_u32x2(psim_rng *rng, uint32_t *first, uint32_t *second)
{
    const uint64_t s = rng->state;
    const uint64_t mid = s * 6364136223846793005ULL + rng->inc;
    rng->state = s * (6364136223846793005ULL * 6364136223846793005ULL) + rng->inc * (6364136223846793005ULL + 1u);
    *first = psim_rng_output(s);
    *second = psim_rng_output(mid);
}

/* Double in [0, 1) with 53 random bits (two outputs). */
static inline double psim_rng_uniform(psim_rng *rng)
{
    uint32_t a, b;
    psim_rng_u32x2(rng, &a, &b);
    a >>= 5; /* 27 bits */
    b >>= 6; /* 26 bits */
    return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}

/* Double in (0, 1): never 0, for logarithms. */
double psim_rng_uniform_pos(psim_rng *rng);

/* Two independent standard normals (Marsaglia's polar method). */
void psim_rng_normal2(psim_rng *rng, double *z0, double *z1);

/* One standard normal: the same draw as psim_rng_normal_zig (below). */
double psim_rng_normal(psim_rng *rng);

/* One standard normal by the 256-layer ziggurat (Marsaglia and Tsang 2000,
 * tables in sim/core/ziggurat_tables.h): about 99% of draws take one 64-bit output
 * and no transcendental function.  Used for the long noise paths. */
double psim_rng_normal_zig(psim_rng *rng);
/* n successive psim_rng_normal_zig draws into z (faster than n calls): the
 * raw draws are made in blocks with AVX-512 or AVX2 when the CPU has them
 * (chosen at run time), with exactly the values and the final state of n
 * calls. */
void psim_rng_normal_zig_n(psim_rng *rng, double *z, int n);

/* x[0] = s0 z[0], x[t] = phi x[t-1] + innov z[t] (t = 1 .. n-1) over the n
 * draws z of psim_rng_normal_zig_n, in one pass: the same values as drawing
 * z into x and then running the recursion in place. */
void psim_rng_normal_zig_ar1_n(psim_rng *rng, double *x, int n, double s0, double phi, double innov);
/* psim_rng_normal_zig_ar1_n on two streams at once (faster than two
 * calls): x0 and rng0 end as the call on rng0 would leave them, x1 and
 * rng1 as the call on rng1. */
void psim_rng_normal_zig_ar1_n2(psim_rng *rng0, psim_rng *rng1, double *x0, double *x1, int n, double s0, double phi,
                                double innov);

/* Bernoulli(p): 1 with probability p (uses one uniform). */
static inline int psim_rng_bernoulli(psim_rng *rng, double p)
{
    return psim_rng_uniform(rng) < p;
}

/* Gamma(shape, 1) by Marsaglia and Tsang (shape > 0). */
double psim_rng_gamma(psim_rng *rng, double shape);

/* Beta(a, b) as G1 / (G1 + G2). */
double psim_rng_beta(psim_rng *rng, double a, double b);

/* The constants of Marsaglia and Tsang's method for one shape, computed
 * once: psim_rng_gamma_prepared and psim_rng_beta_prepared give the same
 * draws as psim_rng_gamma and psim_rng_beta, without a square root and two
 * divisions per draw (the model prepares its relief shapes once). */
typedef struct psim_gamma_shape {
    double shape, d, c, inv_shape;
    int small; /* shape < 1: gamma(shape + 1) x U^(1 / shape) */
} psim_gamma_shape;
void psim_gamma_prepare(psim_gamma_shape *g, double shape);
double psim_rng_gamma_prepared(psim_rng *rng, const psim_gamma_shape *g);
double psim_rng_beta_prepared(psim_rng *rng, const psim_gamma_shape *a, const psim_gamma_shape *b);

#ifdef __cplusplus
}
#endif
#endif
