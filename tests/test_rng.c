/*
 * test_rng.c: PCG32 known answers, jump-ahead, bounded draws, keyed streams,
 * and the distributions.
 *
 * Statistical checks use a fixed seed, and every tolerance is 4 Monte Carlo
 * standard errors computed from the target distribution's moments (never a
 * number picked to make the test pass).  A correct generator fails a single
 * 4-SE check with probability ~6e-5; with a fixed seed the outcome is
 * deterministic, so a failure means the draws changed.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "painsim/rng.h"

#define NSAMP 1000000
#define NSE 4.0

/* Running mean and variance (Welford). */
typedef struct {
    long n;
    double mean, m2;
} moments;

static void mom_add(moments *m, double x)
{
    m->n++;
    double d = x - m->mean;
    m->mean += d / (double)m->n;
    m->m2 += d * (x - m->mean);
}

static double mom_var(const moments *m) { return m->m2 / (double)(m->n - 1); }

/* Checks sample mean and variance against mu and sigma2, with the SE of the
 * variance estimate sqrt((mu4 - sigma^4) / n) from the fourth central moment. */
static void check_moments(const moments *m, double mu, double sigma2, double mu4, const char *what)
{
    double n = (double)m->n;
    double se_mean = sqrt(sigma2 / n);
    double se_var = sqrt((mu4 - sigma2 * sigma2) / n);
    cr_expect(fabs(m->mean - mu) < NSE * se_mean, "%s: mean %.6f, expected %.6f +- %.6f", what,
              m->mean, mu, NSE * se_mean);
    cr_expect(fabs(mom_var(m) - sigma2) < NSE * se_var, "%s: var %.6f, expected %.6f +- %.6f",
              what, mom_var(m), sigma2, NSE * se_var);
}

static int same_rng(const psim_rng *a, const psim_rng *b)
{
    return a->state == b->state && a->inc == b->inc;
}

/* ---- known answers ------------------------------------------------------ */

Test(rng, known_answer_pcg32_demo)
{
    /* pcg32-demo (pcg-c), pcg32_srandom_r(&rng, 42u, 54u); also produced by
     * pcg-cpp's pcg32(42, 54), cross-checked in test_rng_pcgref.cpp. */
    static const uint32_t expect[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                                       0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
    psim_rng r;
    psim_rng_seed(&r, 42u, 54u);
    for (int i = 0; i < 6; i++) {
        uint32_t x = psim_rng_u32(&r);
        cr_expect_eq(x, expect[i], "output %d: 0x%08x, expected 0x%08x", i, (unsigned)x,
                     (unsigned)expect[i]);
    }
}

Test(rng, seed_matches_reference_steps)
{
    /* pcg32_srandom_r spelt out: state = 0, inc = 2*seq+1, step, += initstate, step. */
    const uint64_t mult = 6364136223846793005ULL;
    uint64_t initstate = 0x853c49e6748fea9bULL, initseq = 0xda3e39cb94b95bdbULL;
    uint64_t inc = (initseq << 1) | 1u;
    uint64_t state = inc;                 /* 0 * mult + inc */
    state += initstate;
    state = state * mult + inc;
    psim_rng r;
    psim_rng_seed(&r, initstate, initseq);
    cr_expect_eq(r.inc, inc);
    cr_expect_eq(r.state, state);
    cr_expect(r.inc & 1u, "increment must be odd");
}

/* ---- advance ------------------------------------------------------------ */

Test(rng, advance_equals_stepping)
{
    static const uint64_t ns[] = {0, 1, 2, 3, 1000, 123457};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        psim_rng a, b;
        psim_rng_seed(&a, 42u, 54u + k);
        b = a;
        for (uint64_t i = 0; i < ns[k]; i++)
            (void)psim_rng_u32(&a);
        psim_rng_advance(&b, ns[k]);
        cr_expect(same_rng(&a, &b), "advance(%llu) differs from stepping", (unsigned long long)ns[k]);
        cr_expect_eq(psim_rng_u32(&a), psim_rng_u32(&b));
    }
}

Test(rng, advance_backwards_returns_to_start)
{
    static const uint64_t ns[] = {1, 1000, 123457, 0x123456789abcdefULL};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        psim_rng start, r;
        psim_rng_seed(&start, 7u, 11u + k);
        r = start;
        psim_rng_advance(&r, ns[k]);
        cr_expect(!same_rng(&r, &start), "advance(%llu) did not move", (unsigned long long)ns[k]);
        psim_rng_advance(&r, (uint64_t)0 - ns[k]);
        cr_expect(same_rng(&r, &start), "advance(-%llu) did not return", (unsigned long long)ns[k]);
    }
    /* The full period 2^64 is the identity; composing jumps adds them. */
    psim_rng a, b;
    psim_rng_seed(&a, 99u, 1u);
    b = a;
    psim_rng_advance(&a, 1000);
    psim_rng_advance(&a, 123457);
    psim_rng_advance(&b, 124457);
    cr_expect(same_rng(&a, &b), "advance(m) then advance(n) != advance(m+n)");
}

/* ---- bounded ------------------------------------------------------------ */

Test(rng, bounded_in_range)
{
    static const uint32_t bounds[] = {1u, 2u, 3u, 6u, 7u, 1000u, 0x80000001u, 0xC0000000u,
                                      0xFFFFFFFEu, 0xFFFFFFFFu};
    psim_rng r;
    psim_rng_seed(&r, 2024u, 5u);
    for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++) {
        for (int i = 0; i < 100000; i++) {
            uint32_t x = psim_rng_bounded(&r, bounds[k]);
            if (x >= bounds[k]) {
                cr_assert_fail("bounded(%u) gave %u", (unsigned)bounds[k], (unsigned)x);
            }
        }
    }
    /* bound 1: always 0 (threshold 0, never rejects, one draw per call). */
    psim_rng a, b;
    psim_rng_seed(&a, 1u, 2u);
    b = a;
    cr_expect_eq(psim_rng_bounded(&a, 1u), 0u);
    (void)psim_rng_u32(&b);
    cr_expect(same_rng(&a, &b));
}

Test(rng, bounded_rejection_matches_definition)
{
    /* Replay pcg32_boundedrand_r by hand on a copy. */
    static const uint32_t bounds[] = {3u, 6u, 0x80000001u, 0xC0000000u, 0xFFFFFFFFu};
    for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++) {
        psim_rng r, ref;
        psim_rng_seed(&r, 31337u, k);
        ref = r;
        uint32_t bound = bounds[k];
        uint32_t threshold = (uint32_t)(0x100000000ULL % bound);
        for (int i = 0; i < 10000; i++) {
            uint32_t x;
            do {
                x = psim_rng_u32(&ref);
            } while (x < threshold);
            uint32_t got = psim_rng_bounded(&r, bound);
            if (got != x % bound)
                cr_assert_fail("bound %u draw %d: %u vs %u", (unsigned)bound, i, (unsigned)got,
                               (unsigned)(x % bound));
        }
        cr_expect(same_rng(&r, &ref), "bound %u: different number of raw draws", (unsigned)bound);
    }
}

Test(rng, bounded_uniform_die)
{
    /* Each face count ~ Binomial(n, 1/6): SE = sqrt(n p (1-p)). */
    const double p = 1.0 / 6.0;
    long count[6] = {0};
    psim_rng r;
    psim_rng_seed(&r, 12345u, 6u);
    for (long i = 0; i < NSAMP; i++)
        count[psim_rng_bounded(&r, 6u)]++;
    double se = sqrt(NSAMP * p * (1.0 - p));
    for (int f = 0; f < 6; f++)
        cr_expect(fabs((double)count[f] - NSAMP * p) < NSE * se, "face %d: %ld of %d (+- %.1f)", f,
                  count[f], NSAMP, NSE * se);
}

Test(rng, bounded_unbiased_large_bound)
{
    /* bound = 3 * 2^30: P(x < 2^30) = 1/3 exactly.  Plain x % bound (no
     * rejection) would give 1/2, so this detects modulo bias. */
    const uint32_t bound = 0xC0000000u;
    const double p = 1.0 / 3.0;
    long low = 0;
    psim_rng r;
    psim_rng_seed(&r, 4242u, 3u);
    for (long i = 0; i < NSAMP; i++)
        low += psim_rng_bounded(&r, bound) < 0x40000000u;
    double se = sqrt(NSAMP * p * (1.0 - p));
    cr_expect(fabs((double)low - NSAMP * p) < NSE * se, "%ld of %d below 2^30 (+- %.1f)", low,
              NSAMP, NSE * se);
}

/* ---- uniform ------------------------------------------------------------ */

Test(rng, uniform_range_and_moments)
{
    /* U(0,1): mean 1/2, var 1/12, fourth central moment 1/80. */
    moments m = {0, 0.0, 0.0};
    psim_rng r;
    psim_rng_seed(&r, 777u, 1u);
    for (long i = 0; i < NSAMP; i++) {
        double u = psim_rng_uniform(&r);
        if (!(u >= 0.0 && u < 1.0))
            cr_assert_fail("uniform %.17g outside [0,1)", u);
        mom_add(&m, u);
    }
    check_moments(&m, 0.5, 1.0 / 12.0, 1.0 / 80.0, "uniform");
}

Test(rng, uniform_uses_two_outputs_53_bits)
{
    psim_rng r, ref;
    psim_rng_seed(&r, 42u, 54u);
    ref = r;
    uint32_t a = psim_rng_u32(&ref) >> 5;
    uint32_t b = psim_rng_u32(&ref) >> 6;
    double expect = ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
    cr_expect_eq(psim_rng_uniform(&r), expect);
    cr_expect(same_rng(&r, &ref));
}

Test(rng, uniform_pos_open_interval)
{
    moments m = {0, 0.0, 0.0};
    psim_rng r;
    psim_rng_seed(&r, 778u, 1u);
    for (long i = 0; i < NSAMP; i++) {
        double u = psim_rng_uniform_pos(&r);
        if (!(u > 0.0 && u < 1.0))
            cr_assert_fail("uniform_pos %.17g outside (0,1)", u);
        mom_add(&m, u);
    }
    check_moments(&m, 0.5, 1.0 / 12.0, 1.0 / 80.0, "uniform_pos");
    /* Except for an exact zero, it is the same draw as psim_rng_uniform. */
    psim_rng a, b;
    psim_rng_seed(&a, 5u, 5u);
    b = a;
    cr_expect_eq(psim_rng_uniform_pos(&a), psim_rng_uniform(&b));
}

/* ---- normal ------------------------------------------------------------- */

Test(rng, normal_moments)
{
    /* N(0,1): var 1, mu4 = 3, so SE(var) = sqrt(2/n).  Both members of each
     * pair are used (they are independent). */
    moments m = {0, 0.0, 0.0};
    psim_rng r;
    psim_rng_seed(&r, 1u, 2u);
    for (long i = 0; i < NSAMP / 2; i++) {
        double z0, z1;
        psim_rng_normal2(&r, &z0, &z1);
        mom_add(&m, z0);
        mom_add(&m, z1);
    }
    check_moments(&m, 0.0, 1.0, 3.0, "normal2");

    moments m1 = {0, 0.0, 0.0};
    psim_rng_seed(&r, 3u, 4u);
    for (long i = 0; i < NSAMP; i++)
        mom_add(&m1, psim_rng_normal(&r));
    check_moments(&m1, 0.0, 1.0, 3.0, "normal");
}

Test(rng, normal_tail_probability)
{
    /* P(|Z| > 1.959964) = 0.05; binomial SE. */
    const double p = 0.05;
    long out = 0;
    psim_rng r;
    psim_rng_seed(&r, 8u, 9u);
    for (long i = 0; i < NSAMP; i++)
        out += fabs(psim_rng_normal(&r)) > 1.959963984540054;
    double se = sqrt(NSAMP * p * (1.0 - p));
    cr_expect(fabs((double)out - NSAMP * p) < NSE * se, "%ld beyond 1.96 (+- %.1f)", out, NSE * se);
}

Test(rng, normal_polar_replay)
{
    /* The documented draw order: u then v per attempt, from psim_rng_uniform. */
    psim_rng r, ref;
    psim_rng_seed(&r, 2718u, 28u);
    ref = r;
    for (int i = 0; i < 1000; i++) {
        double u, v, s;
        do {
            u = psim_rng_uniform(&ref);
            u = 2.0 * u - 1.0;
            v = psim_rng_uniform(&ref);
            v = 2.0 * v - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        double f = sqrt(-2.0 * log(s) / s);
        double z0, z1;
        psim_rng_normal2(&r, &z0, &z1);
        if (z0 != u * f || z1 != v * f)
            cr_assert_fail("pair %d differs from the polar method", i);
    }
    cr_expect(same_rng(&r, &ref));
    /* psim_rng_normal is the first of a pair. */
    psim_rng a, b;
    psim_rng_seed(&a, 1u, 1u);
    b = a;
    double z0, z1;
    psim_rng_normal2(&b, &z0, &z1);
    cr_expect_eq(psim_rng_normal(&a), z0);
    cr_expect(same_rng(&a, &b));
}

/* ---- gamma and beta ----------------------------------------------------- */

Test(rng, gamma_moments)
{
    /* Gamma(k, 1): mean k, var k, excess kurtosis 6/k, so mu4 = 3k^2 + 6k. */
    static const double shapes[] = {0.5, 1.0, 2.5, 9.0};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        double k = shapes[s];
        moments m = {0, 0.0, 0.0};
        psim_rng r;
        psim_rng_seed(&r, 100u + s, 17u);
        for (long i = 0; i < NSAMP; i++) {
            double g = psim_rng_gamma(&r, k);
            if (!(g >= 0.0 && isfinite(g)))
                cr_assert_fail("gamma(%g) gave %g", k, g);
            mom_add(&m, g);
        }
        char what[32];
        snprintf(what, sizeof what, "gamma(%g)", k);
        check_moments(&m, k, k, 3.0 * k * k + 6.0 * k, what);
    }
}

Test(rng, gamma_small_shape_order)
{
    /* shape < 1: gamma(shape + 1) first, then one uniform_pos U; G * U^(1/shape). */
    static const double shapes[] = {0.05, 0.5, 0.999};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        psim_rng r, ref;
        psim_rng_seed(&r, 55u, s);
        ref = r;
        for (int i = 0; i < 1000; i++) {
            double g = psim_rng_gamma(&ref, shapes[s] + 1.0);
            double u = psim_rng_uniform_pos(&ref);
            double expect = g * pow(u, 1.0 / shapes[s]);
            double got = psim_rng_gamma(&r, shapes[s]);
            if (got != expect)
                cr_assert_fail("gamma(%g) draw %d: %.17g vs %.17g", shapes[s], i, got, expect);
        }
        cr_expect(same_rng(&r, &ref));
    }
}

Test(rng, gamma_invalid_shape_is_nan)
{
    psim_rng r;
    psim_rng_seed(&r, 1u, 1u);
    cr_expect(isnan(psim_rng_gamma(&r, 0.0)));
    cr_expect(isnan(psim_rng_gamma(&r, -1.0)));
    cr_expect(isnan(psim_rng_gamma(&r, NAN)));
}

Test(rng, beta_moments)
{
    /* Beta(a, b): mean a/(a+b), var ab / ((a+b)^2 (a+b+1)). */
    static const double ab[][2] = {{2.0, 5.0}, {0.5, 0.5}, {30.0, 70.0}, {0.3, 4.0}};
    for (size_t s = 0; s < sizeof ab / sizeof ab[0]; s++) {
        double a = ab[s][0], b = ab[s][1];
        double mean = a / (a + b);
        double var = a * b / ((a + b) * (a + b) * (a + b + 1.0));
        moments m = {0, 0.0, 0.0};
        psim_rng r;
        psim_rng_seed(&r, 200u + s, 23u);
        for (long i = 0; i < NSAMP; i++) {
            double x = psim_rng_beta(&r, a, b);
            if (!(x >= 0.0 && x <= 1.0))
                cr_assert_fail("beta(%g,%g) gave %g", a, b, x);
            mom_add(&m, x);
        }
        double se = sqrt(var / (double)m.n);
        cr_expect(fabs(m.mean - mean) < NSE * se, "beta(%g,%g): mean %.6f, expected %.6f +- %.6f",
                  a, b, m.mean, mean, NSE * se);
    }
}

Test(rng, beta_draw_order)
{
    psim_rng r, ref;
    psim_rng_seed(&r, 9u, 9u);
    ref = r;
    for (int i = 0; i < 1000; i++) {
        double x = psim_rng_gamma(&ref, 2.0);
        double y = psim_rng_gamma(&ref, 0.7);
        double got = psim_rng_beta(&r, 2.0, 0.7);
        if (got != x / (x + y))
            cr_assert_fail("beta draw %d", i);
    }
    cr_expect(same_rng(&r, &ref));
}

/* ---- keyed streams ------------------------------------------------------ */

/* The key -> stream contract, written out independently of sim/rng.c. */
static uint64_t spec_mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void spec_keyed(psim_rng *r, uint64_t seed, uint64_t it, uint64_t pat, uint32_t purpose,
                       uint64_t idx)
{
    uint64_t h = spec_mix64(seed);
    h = spec_mix64(h ^ it);
    h = spec_mix64(h ^ pat);
    h = spec_mix64(h ^ (uint64_t)purpose);
    h = spec_mix64(h ^ idx);
    psim_rng_seed(r, h, spec_mix64(h ^ 0xda3e39cb94b95bdbULL));
}

static uint64_t first64(psim_rng r)
{
    uint64_t hi = psim_rng_u32(&r);
    uint64_t lo = psim_rng_u32(&r);
    return (hi << 32) | lo;
}

Test(rng, keyed_known_values)
{
    /* Computed once (and independently in Python from the same spec); a
     * change here changes every painsim result. */
    static const struct {
        uint64_t seed, it, pat;
        uint32_t purpose;
        uint64_t idx;
        uint32_t out0, out1;
    } kv[] = {
        {1u, 0u, 0u, PSIM_PURPOSE_COHORT, 0u, 0x52f78b82u, 0x2b281fd3u},
        {20240611u, 7u, 123456u, PSIM_PURPOSE_SESSION, 42u, 0xf49b36d1u, 0xba8f8208u},
    };
    for (size_t k = 0; k < sizeof kv / sizeof kv[0]; k++) {
        psim_rng r, s;
        psim_rng_keyed(&r, kv[k].seed, kv[k].it, kv[k].pat, kv[k].purpose, kv[k].idx);
        spec_keyed(&s, kv[k].seed, kv[k].it, kv[k].pat, kv[k].purpose, kv[k].idx);
        cr_expect(same_rng(&r, &s), "key %zu: stream differs from the spec", k);
        uint32_t o0 = psim_rng_u32(&r);
        uint32_t o1 = psim_rng_u32(&r);
        cr_expect_eq(o0, kv[k].out0, "key %zu: 0x%08x", k, (unsigned)o0);
        cr_expect_eq(o1, kv[k].out1, "key %zu: 0x%08x", k, (unsigned)o1);
    }
    /* The spec on a spread of keys. */
    for (uint64_t i = 0; i < 200; i++) {
        psim_rng r, s;
        uint64_t seed = i * 0x9e3779b97f4a7c15ULL, it = i % 7, pat = i * 31u, idx = ~i;
        uint32_t purpose = (uint32_t)(1 + i % 4);
        psim_rng_keyed(&r, seed, it, pat, purpose, idx);
        spec_keyed(&s, seed, it, pat, purpose, idx);
        if (!same_rng(&r, &s))
            cr_assert_fail("key %llu differs from the spec", (unsigned long long)i);
    }
}

Test(rng, keyed_same_key_same_stream)
{
    psim_rng a, b;
    psim_rng_keyed(&a, 12345u, 3u, 99u, PSIM_PURPOSE_NOISE, 0u);
    psim_rng_keyed(&b, 12345u, 3u, 99u, PSIM_PURPOSE_NOISE, 0u);
    for (int i = 0; i < 1000; i++) {
        uint32_t x = psim_rng_u32(&a);
        uint32_t y = psim_rng_u32(&b);
        if (x != y)
            cr_assert_fail("same key diverged at draw %d", i);
    }
}

Test(rng, keyed_each_component_matters)
{
    const uint64_t seed = 12345u, it = 3u, pat = 99u, idx = 5u;
    const uint32_t purpose = PSIM_PURPOSE_SESSION;
    psim_rng base, r;
    psim_rng_keyed(&base, seed, it, pat, purpose, idx);
    uint64_t b0 = first64(base);

    psim_rng v[10];
    psim_rng_keyed(&v[0], seed + 1, it, pat, purpose, idx);
    psim_rng_keyed(&v[1], seed, it + 1, pat, purpose, idx);
    psim_rng_keyed(&v[2], seed, it, pat + 1, purpose, idx);
    psim_rng_keyed(&v[3], seed, it, pat, PSIM_PURPOSE_COHORT, idx);
    psim_rng_keyed(&v[4], seed, it, pat, purpose, idx + 1);
    /* Components are not interchangeable: the same values in other slots. */
    psim_rng_keyed(&v[5], it, seed, pat, purpose, idx);
    psim_rng_keyed(&v[6], seed, pat, it, purpose, idx);
    psim_rng_keyed(&v[7], seed, it, pat, (uint32_t)idx, (uint64_t)purpose);
    psim_rng_keyed(&v[8], seed, it, pat, purpose, 0u);
    psim_rng_keyed(&v[9], 0u, 0u, 0u, 0u, 0u);
    for (int k = 0; k < 10; k++) {
        cr_expect_neq(first64(v[k]), b0, "variant %d gives the base stream's first outputs", k);
        for (int j = 0; j < k; j++)
            cr_expect_neq(first64(v[k]), first64(v[j]), "variants %d and %d collide", j, k);
    }
    r = base;
    cr_expect_eq(first64(r), b0);
}
