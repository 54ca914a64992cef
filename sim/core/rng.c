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
#include "core/rng_internal.h"
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
    psim_rng_keyed_index(rng, psim_rng_key_purpose(patient_key, purpose), index);
}

uint64_t psim_rng_key_purpose(uint64_t patient_key, uint32_t purpose)
{
    return mix64(patient_key ^ (uint64_t)purpose);
}

void psim_rng_keyed_index(psim_rng *rng, uint64_t purpose_key, uint64_t index)
{
    const uint64_t h = mix64(purpose_key ^ index);
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

/* n draws of psim_rng_normal_zig, the same values, one draw at a time: the
 * reference for the block version below and the path on CPUs without AVX2. */
void psim_rng_normal_zig_n_scalar(psim_rng *rng, double *z, int n)
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
void psim_rng_normal_zig_ar1_n_scalar(psim_rng *rng, double *x, int n, double s0, double phi, double innov)
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
    uint64_t state = rng->state;
    double z = zig_one(&state, rng->inc);
    rng->state = state;
    return z;
}

/*
 * Blocks of draws with SIMD (x86-64 with AVX2 or AVX-512, chosen at run
 * time): the same doubles and the same final state as the scalar code.
 *
 * A block holds the next cnt 64-bit draws of the stream (each two PCG
 * outputs, first output high, as in zig_one), made by vector lanes that step
 * the LCG a whole vector of draws at a time (s -> A s + C, the A and C of
 * 2 x lanes steps): b[k] is draw k, st[k] the state before it (st[cnt] the
 * state after the last) and r[k] its magnitude rabs < 2^52 as a double (the
 * 2^52 exponent trick, exact) with the sign bit of the draw.  The output
 * permutation is shifts, a xor and a variable shift of the 32-bit word
 * doubled into 64 bits (the word rotated).  The consumer does the table part
 * one draw at a time: r[k] wi[idx] is the double zig_one computes (the
 * product with the sign flipped is the product of the flipped factor),
 * accepted when rabs < ki[idx].  (Doing it in the fill instead, z and a
 * mask of the fast draws from AVX-512 or AVX2 gathers of wi and ki, made
 * the fill about twice as slow on Zen 4, and a separate scalar pass over
 * the block lost the overlap of the table loads with the recursion: both
 * were slower than this.)
 *
 * The consumer takes draws in order.  A draw outside its rectangle is
 * redone by the scalar zig_one from st[k], which draws further uniforms (and
 * whole new draws on a wedge rejection) from the same stream, always in
 * pairs of outputs; the stream then continues at the first st[q] equal to
 * the state it left (states do not repeat within 2^64 steps), or, past the
 * block, in a new block from that state.  The generator is left at st[pos]:
 * exactly after the last output used.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PSIM_RNG_SIMD 1
#include <immintrin.h>
#endif

#ifdef PSIM_RNG_SIMD
/* Draws per block (at most): each refill costs a call, the lane set-up and
 * the exits of the consumer's loops, and in the two-stream path a day taken
 * the general way; 64 rather than 32 draws halves the number of refills. */
enum { ZB_MAX = 64 };

typedef struct zig_block {
    uint64_t st[ZB_MAX + 8]; /* states before each draw; st[cnt] after the last (slack for a lane store) */
    uint64_t b[ZB_MAX];      /* the draws: bits 0-7 the layer idx, 8 the sign, 9-60 the magnitude rabs */
    double r[ZB_MAX];        /* +-rabs as a double */
    int pos, cnt;            /* next draw to use; draws in the block */
} zig_block;

typedef void (*zig_fill_fn)(zig_block *zb, uint64_t s, uint64_t inc, int cnt);

/* The state after j draws (2j LCG steps) from s is A[j] s + inc G[j]:
 * A[j] = M^(2j), G[j] = 1 + M + ... + M^(2j-1) (mod 2^64). */
static const uint64_t zig_lane_a[9] = {
    0x0000000000000001ULL, 0x685f98a2018fade9ULL, 0xfb4d3ae39272be11ULL, 0xf08d02b0115f7a79ULL, 0xb59dda5f38413d21ULL,
    0xc07a0e3e901ef009ULL, 0x2baa1c4032658d31ULL, 0x384115c58e369e99ULL, 0x8d5e2ddc895abe41ULL};
static const uint64_t zig_lane_g[9] = {
    0x0000000000000000ULL, 0x5851f42d4c957f2eULL, 0xcbb5f646404a560cULL, 0x30705b042917ec1aULL, 0x9a8b7f78da6ef4d8ULL,
    0xab894868b3b04fc6ULL, 0x88cdb7ff5390e864ULL, 0x70a3a52b7c609632ULL, 0xfd8341fcddebfcb0ULL};

#define PSIM_RNG_AVX2 __attribute__((target("avx2")))
#define PSIM_RNG_AVX512 __attribute__((target("avx2,avx512f,avx512dq,avx512vl")))

/* x c modulo 2^64 in each lane, from 32 x 32 -> 64-bit products */
PSIM_RNG_AVX2 static inline __m256i mul64_avx2(__m256i x, __m256i c)
{
    __m256i lo = _mm256_mul_epu32(x, c);
    __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(x, 32), c),
                                     _mm256_mul_epu32(x, _mm256_srli_epi64(c, 32)));
    return _mm256_add_epi64(lo, _mm256_slli_epi64(cross, 32));
}

/* PCG-XSH-RR output of each lane's state in the low 32 bits of the lane
 * (the high 32 bits are not cleared): the 32-bit word doubled into 64 bits,
 * shifted right by rot, is the word rotated right by rot. */
PSIM_RNG_AVX2 static inline __m256i pcg_out_avx2(__m256i s)
{
    const __m256i low32 = _mm256_set1_epi64x(0xffffffffLL);
    __m256i xs = _mm256_and_si256(_mm256_srli_epi64(_mm256_xor_si256(_mm256_srli_epi64(s, 18), s), 27), low32);
    __m256i dup = _mm256_or_si256(xs, _mm256_slli_epi64(xs, 32));
    return _mm256_srlv_epi64(dup, _mm256_srli_epi64(s, 59));
}

PSIM_RNG_AVX2 static void zig_fill_avx2(zig_block *zb, uint64_t s, uint64_t inc, int cnt)
{
    const __m256i incv = _mm256_set1_epi64x((long long)inc);
    const __m256i a4 = _mm256_set1_epi64x((long long)zig_lane_a[4]);
    const __m256i c4 = _mm256_set1_epi64x((long long)(inc * zig_lane_g[4]));
    const __m256i mv = _mm256_set1_epi64x((long long)PSIM_PCG_MULT);
    const __m256i low32 = _mm256_set1_epi64x(0xffffffffLL);
    const __m256i mag_mask = _mm256_set1_epi64x(0x000fffffffffffffLL);
    const __m256i exp52 = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52 = _mm256_set1_pd(0x1p52);
    __m256i st = _mm256_add_epi64(
        mul64_avx2(_mm256_set1_epi64x((long long)s), _mm256_loadu_si256((const __m256i *)(const void *)zig_lane_a)),
        mul64_avx2(incv, _mm256_loadu_si256((const __m256i *)(const void *)zig_lane_g)));
    for (int k = 0; k < cnt; k += 4) {
        _mm256_storeu_si256((__m256i *)(void *)(zb->st + k), st);
        __m256i mid = _mm256_add_epi64(mul64_avx2(st, mv), incv);
        __m256i b = _mm256_or_si256(_mm256_slli_epi64(pcg_out_avx2(st), 32), _mm256_and_si256(pcg_out_avx2(mid), low32));
        __m256i rabs = _mm256_and_si256(_mm256_srli_epi64(b, 9), mag_mask);
        __m256i sign = _mm256_slli_epi64(_mm256_srli_epi64(b, 8), 63);
        /* rabs < 2^52 exactly as a double, then the sign bit: (+-rabs) wi
         * is rabs wi with its sign flipped, as in zig_one */
        __m256d r = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(rabs, exp52)), two52);
        _mm256_storeu_si256((__m256i *)(void *)(zb->b + k), b);
        _mm256_storeu_pd(zb->r + k, _mm256_xor_pd(r, _mm256_castsi256_pd(sign)));
        st = _mm256_add_epi64(mul64_avx2(st, a4), c4);
    }
    _mm256_storeu_si256((__m256i *)(void *)(zb->st + cnt), st);
    zb->pos = 0;
    zb->cnt = cnt;
}

PSIM_RNG_AVX512 static inline __m512i pcg_out_avx512(__m512i s)
{
    const __m512i low32 = _mm512_set1_epi64(0xffffffffLL);
    __m512i xs = _mm512_and_si512(_mm512_srli_epi64(_mm512_xor_si512(_mm512_srli_epi64(s, 18), s), 27), low32);
    __m512i dup = _mm512_or_si512(xs, _mm512_slli_epi64(xs, 32));
    return _mm512_srlv_epi64(dup, _mm512_srli_epi64(s, 59));
}

PSIM_RNG_AVX512 static void zig_fill_avx512(zig_block *zb, uint64_t s, uint64_t inc, int cnt)
{
    const __m512i incv = _mm512_set1_epi64((long long)inc);
    const __m512i a8 = _mm512_set1_epi64((long long)zig_lane_a[8]);
    const __m512i c8 = _mm512_set1_epi64((long long)(inc * zig_lane_g[8]));
    const __m512i mv = _mm512_set1_epi64((long long)PSIM_PCG_MULT);
    const __m512i low32 = _mm512_set1_epi64(0xffffffffLL);
    const __m512i mag_mask = _mm512_set1_epi64(0x000fffffffffffffLL);
    const __m512i exp52 = _mm512_set1_epi64(0x4330000000000000LL);
    const __m512d two52 = _mm512_set1_pd(0x1p52);
    __m512i st = _mm512_add_epi64(_mm512_mullo_epi64(_mm512_set1_epi64((long long)s), _mm512_loadu_si512((const void *)zig_lane_a)),
                                  _mm512_mullo_epi64(incv, _mm512_loadu_si512((const void *)zig_lane_g)));
    for (int k = 0; k < cnt; k += 8) {
        _mm512_storeu_si512((void *)(zb->st + k), st);
        __m512i mid = _mm512_add_epi64(_mm512_mullo_epi64(st, mv), incv);
        __m512i b = _mm512_or_si512(_mm512_slli_epi64(pcg_out_avx512(st), 32), _mm512_and_si512(pcg_out_avx512(mid), low32));
        __m512i rabs = _mm512_and_si512(_mm512_srli_epi64(b, 9), mag_mask);
        __m512i sign = _mm512_slli_epi64(_mm512_srli_epi64(b, 8), 63);
        __m512d r = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(rabs, exp52)), two52);
        _mm512_storeu_si512((void *)(zb->b + k), b);
        _mm512_storeu_si512((void *)(zb->r + k), _mm512_xor_si512(_mm512_castpd_si512(r), sign));
        st = _mm512_add_epi64(_mm512_mullo_epi64(st, a8), c8);
    }
    _mm512_storeu_si512((void *)(zb->st + cnt), st);
    zb->pos = 0;
    zb->cnt = cnt;
}

/* The next block, from st[pos] (pos == cnt), for `want` more normals:
 * at least one draw each, rounded up to whole vectors. */
static inline void zb_refill(zig_block *zb, uint64_t inc, int want, zig_fill_fn fill)
{
    int cnt = want < ZB_MAX ? (want + 7) & ~7 : ZB_MAX;
    fill(zb, zb->st[zb->pos], inc, cnt);
}

/* The draw at pos is outside its rectangle: zig_one, from its state, in
 * the scalar code; then find where the stream continues. */
static double zb_slow(zig_block *zb, uint64_t inc)
{
    uint64_t s = zb->st[zb->pos];
    double z = zig_one(&s, inc);
    int q = zb->pos + 2; /* the draw and at least one more (a uniform or a new draw) */
    while (q <= zb->cnt && zb->st[q] != s)
        q++;
    if (q <= zb->cnt) {
        zb->pos = q;
    } else { /* past the block: the next one starts from s */
        zb->st[0] = s;
        zb->pos = zb->cnt = 0;
    }
    return z;
}

/* The fast path of zig_one on draw k: 1 and *z if it is inside its rectangle. */
static inline int zb_fast(const zig_block *zb, int k, double *z)
{
    const uint64_t b = zb->b[k];
    const unsigned idx = (unsigned)(b & 0xffu);
    const uint64_t rabs = (b >> 9) & 0x000fffffffffffffULL;
    *z = zb->r[k] * psim_zig_wi[idx];
    return rabs < psim_zig_ki[idx];
}

/* The next normal of the stream. */
static inline double zb_next(zig_block *zb, uint64_t inc, int want, zig_fill_fn fill)
{
    double z;
    if (zb->pos == zb->cnt)
        zb_refill(zb, inc, want, fill);
    if (zb_fast(zb, zb->pos, &z)) {
        zb->pos++;
        return z;
    }
    return zb_slow(zb, inc);
}

static void zig_n_blocks(psim_rng *rng, double *z, int n, zig_fill_fn fill)
{
    zig_block zb;
    const uint64_t inc = rng->inc;
    zb.st[0] = rng->state;
    zb.pos = zb.cnt = 0;
    int t = 0;
    while (t < n) {
        if (zb.pos == zb.cnt)
            zb_refill(&zb, inc, n - t, fill);
        const int p0 = zb.pos, end = zb.cnt - p0 < n - t ? zb.cnt : p0 + (n - t);
        int p = p0;
        while (p < end && zb_fast(&zb, p, &z[t + (p - p0)]))
            p++;
        t += p - zb.pos;
        zb.pos = p;
        if (p < end)
            z[t++] = zb_slow(&zb, inc);
    }
    rng->state = zb.st[zb.pos];
}

static void zig_ar1_blocks(psim_rng *rng, double *x, int n, double s0, double phi, double innov, zig_fill_fn fill)
{
    if (n <= 0)
        return;
    zig_block zb;
    const uint64_t inc = rng->inc;
    zb.st[0] = rng->state;
    zb.pos = zb.cnt = 0;
    double e = s0 * zb_next(&zb, inc, n, fill);
    x[0] = e;
    int t = 1;
    while (t < n) {
        if (zb.pos == zb.cnt)
            zb_refill(&zb, inc, n - t, fill);
        const int p0 = zb.pos, end = zb.cnt - p0 < n - t ? zb.cnt : p0 + (n - t);
        int p = p0;
        double z;
        while (p < end && zb_fast(&zb, p, &z)) {
            e = phi * e + innov * z;
            x[t + (p - p0)] = e;
            p++;
        }
        t += p - zb.pos;
        zb.pos = p;
        if (p < end) {
            z = zb_slow(&zb, inc);
            e = phi * e + innov * z;
            x[t++] = e;
        }
    }
    rng->state = zb.st[zb.pos];
}

/* zig_ar1_blocks for two streams at once, day by day in step: the two
 * recursions are independent, so the multiplication and addition of one
 * overlap those of the other (a single chain waits about 6 cycles a day
 * for its own).  A day where either draw is outside its rectangle, or
 * either block is used up, takes both draws through zb_next; the slow path
 * and the stream continuation are those of the single chain, stream by
 * stream, so each path and final state are those of zig_ar1_blocks. */
static void zig_ar1_blocks2(psim_rng *rng0, psim_rng *rng1, double *x0, double *x1, int n, double s0, double phi,
                            double innov, zig_fill_fn fill)
{
    if (n <= 0)
        return;
    zig_block za, zb;
    const uint64_t inc0 = rng0->inc, inc1 = rng1->inc;
    za.st[0] = rng0->state;
    zb.st[0] = rng1->state;
    za.pos = za.cnt = zb.pos = zb.cnt = 0;
    double e0 = s0 * zb_next(&za, inc0, n, fill);
    double e1 = s0 * zb_next(&zb, inc1, n, fill);
    x0[0] = e0;
    x1[0] = e1;
    int t = 1;
    while (t < n) {
        /* the days both blocks still hold */
        int k = n - t;
        if (za.cnt - za.pos < k)
            k = za.cnt - za.pos;
        if (zb.cnt - zb.pos < k)
            k = zb.cnt - zb.pos;
        int j = 0;
        for (; j < k; j++) {
            double z0, z1;
            const int f0 = zb_fast(&za, za.pos + j, &z0);
            const int f1 = zb_fast(&zb, zb.pos + j, &z1);
            if (!(f0 & f1))
                break;
            e0 = phi * e0 + innov * z0;
            e1 = phi * e1 + innov * z1;
            x0[t + j] = e0;
            x1[t + j] = e1;
        }
        za.pos += j;
        zb.pos += j;
        t += j;
        if (t < n) { /* a slow draw or the end of a block: one day the general way */
            e0 = phi * e0 + innov * zb_next(&za, inc0, n - t, fill);
            e1 = phi * e1 + innov * zb_next(&zb, inc1, n - t, fill);
            x0[t] = e0;
            x1[t] = e1;
            t++;
        }
    }
    rng0->state = za.st[za.pos];
    rng1->state = zb.st[zb.pos];
}

/* The block filler for `isa` (PSIM_RNG_ISA_*), or NULL when the CPU lacks it. */
static zig_fill_fn zig_filler(int isa)
{
    if (isa == PSIM_RNG_ISA_AVX512 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        return zig_fill_avx512;
    if (isa == PSIM_RNG_ISA_AVX2 && __builtin_cpu_supports("avx2"))
        return zig_fill_avx2;
    return NULL;
}
#endif /* PSIM_RNG_SIMD */

int psim_rng_isa_available(int isa)
{
#ifdef PSIM_RNG_SIMD
    if (zig_filler(isa))
        return 1;
#endif
    return isa == PSIM_RNG_ISA_SCALAR;
}

void psim_rng_normal_zig_n_isa(int isa, psim_rng *rng, double *z, int n)
{
#ifdef PSIM_RNG_SIMD
    zig_fill_fn f = zig_filler(isa);
    if (f) {
        zig_n_blocks(rng, z, n, f);
        return;
    }
#else
    (void)isa;
#endif
    psim_rng_normal_zig_n_scalar(rng, z, n);
}

void psim_rng_normal_zig_ar1_n_isa(int isa, psim_rng *rng, double *x, int n, double s0, double phi, double innov)
{
#ifdef PSIM_RNG_SIMD
    zig_fill_fn f = zig_filler(isa);
    if (f) {
        zig_ar1_blocks(rng, x, n, s0, phi, innov, f);
        return;
    }
#else
    (void)isa;
#endif
    psim_rng_normal_zig_ar1_n_scalar(rng, x, n, s0, phi, innov);
}

void psim_rng_normal_zig_ar1_n2_isa(int isa, psim_rng *rng0, psim_rng *rng1, double *x0, double *x1, int n, double s0,
                                    double phi, double innov)
{
#ifdef PSIM_RNG_SIMD
    zig_fill_fn f = zig_filler(isa);
    if (f) {
        zig_ar1_blocks2(rng0, rng1, x0, x1, n, s0, phi, innov, f);
        return;
    }
#else
    (void)isa;
#endif
    psim_rng_normal_zig_ar1_n_scalar(rng0, x0, n, s0, phi, innov);
    psim_rng_normal_zig_ar1_n_scalar(rng1, x1, n, s0, phi, innov);
}

/* The widest version the CPU runs. */
static int zig_best_isa(void)
{
    return psim_rng_isa_available(PSIM_RNG_ISA_AVX512) ? PSIM_RNG_ISA_AVX512
           : psim_rng_isa_available(PSIM_RNG_ISA_AVX2) ? PSIM_RNG_ISA_AVX2
                                                        : PSIM_RNG_ISA_SCALAR;
}

void psim_rng_normal_zig_n(psim_rng *rng, double *z, int n)
{
    psim_rng_normal_zig_n_isa(zig_best_isa(), rng, z, n);
}

void psim_rng_normal_zig_ar1_n(psim_rng *rng, double *x, int n, double s0, double phi, double innov)
{
    psim_rng_normal_zig_ar1_n_isa(zig_best_isa(), rng, x, n, s0, phi, innov);
}

void psim_rng_normal_zig_ar1_n2(psim_rng *rng0, psim_rng *rng1, double *x0, double *x1, int n, double s0, double phi,
                                double innov)
{
    psim_rng_normal_zig_ar1_n2_isa(zig_best_isa(), rng0, rng1, x0, x1, n, s0, phi, innov);
}
