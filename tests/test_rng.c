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

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "painsim/rng.h"
#include "core/rng_internal.h"
#include "core/ziggurat_tables.h"

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
    /* psim_rng_normal is the ziggurat draw, and leaves the stream where it does */
    psim_rng a, b;
    psim_rng_seed(&a, 1u, 1u);
    b = a;
    for (int i = 0; i < 100000; i++)
        if (psim_rng_normal(&a) != psim_rng_normal_zig(&b))
            cr_assert_fail("draw %d: psim_rng_normal is not the ziggurat", i);
    cr_expect(same_rng(&a, &b));
}

/* ---- ziggurat normal ---------------------------------------------------- */

#define NZIG 4000000
#define ZIG_M 4503599627370496.0 /* 2^52: the magnitudes are 52-bit integers */

/* Phi(x) = P(Z <= x), from erfc (accurate in both tails). */
static double std_normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

/* A count against Binomial(n, p), within NSE binomial SEs sqrt(n p (1-p)). */
static void check_binomial(long count, long n, double p, const char *what)
{
    double se = sqrt((double)n * p * (1.0 - p));
    cr_expect(fabs((double)count - (double)n * p) < NSE * se, "%s: %ld of %ld, expected %.1f +- %.1f",
              what, count, n, (double)n * p, NSE * se);
}

Test(rng, normal_zig_tables_consistent)
{
    /* The defining relations of tools/gen_ziggurat.py.  x_i = wi[i] 2^52 is
     * the right edge of layer i (x_255 = R; x_0 = q, the width of the base
     * strip, whose area q f(R) is the common layer area V; f(x) = exp(-x^2/2)).
     * ki is computed from the x by the same IEEE operations, so it must match
     * exactly; fi allows 4 ulps (a different libm exp); the layer areas allow
     * 1e-12 relative (entries rounded to ~1e-16, and fi[i-1] - fi[i] cancels up
     * to ~80-fold: ~1e-14); the base strip allows 1e-10 relative, because V is
     * quoted to 12 digits and so agrees with R only to ~3e-12. */
    double x[256];
    for (int i = 0; i < 256; i++)
        x[i] = psim_zig_wi[i] * ZIG_M;
    const double r = PSIM_ZIG_R;
    cr_expect_eq(x[255], r, "x_255 = %.17g, not R", x[255]);
    cr_expect_eq(PSIM_ZIG_INV_R, 1.0 / r);
    cr_expect_eq(psim_zig_fi[0], 1.0);
    cr_expect_eq(psim_zig_ki[1], 0u, "the top layer is all wedge");
    cr_expect_eq(psim_zig_ki[0], (uint64_t)((r / x[0]) * ZIG_M), "ki[0] = %llu",
                 (unsigned long long)psim_zig_ki[0]);
    const double v = x[0] * psim_zig_fi[255];
    const double tail = sqrt(2.0 * atan(1.0)) * erfc(r / sqrt(2.0)); /* int_R^inf f */
    cr_expect(fabs(r * psim_zig_fi[255] + tail - v) < 1e-10 * v,
              "base strip %.17g != R f(R) + tail %.17g", v, r * psim_zig_fi[255] + tail);
    for (int i = 1; i < 256; i++) {
        double f = exp(-0.5 * x[i] * x[i]);
        cr_expect(fabs(psim_zig_fi[i] - f) <= 4.0 * DBL_EPSILON * f, "fi[%d] = %a, f(x) = %a", i,
                  psim_zig_fi[i], f);
        if (i >= 2) {
            cr_expect(x[i - 1] < x[i], "x not increasing at %d", i);
            cr_expect_eq(psim_zig_ki[i], (uint64_t)((x[i - 1] / x[i]) * ZIG_M), "ki[%d] = %llu", i,
                         (unsigned long long)psim_zig_ki[i]);
            double area = x[i] * (psim_zig_fi[i - 1] - psim_zig_fi[i]);
            cr_expect(fabs(area - v) < 1e-12 * v, "layer %d area %.17g, V = %.17g", i, area, v);
        }
    }
}

Test(rng, normal_zig_moments)
{
    /* N(0,1): mean 0, var 1 with SE sqrt(2/n) (mu4 = 3); and E z^4 = 3 with
     * Var(z^4) = E z^8 - 9 = 105 - 9 = 96. */
    moments m = {0, 0.0, 0.0};
    double s4 = 0.0;
    psim_rng r;
    psim_rng_seed(&r, 31u, 41u);
    for (long i = 0; i < NZIG; i++) {
        double z = psim_rng_normal_zig(&r);
        if (!isfinite(z))
            cr_assert_fail("draw %ld: %g", i, z);
        mom_add(&m, z);
        s4 += (z * z) * (z * z);
    }
    check_moments(&m, 0.0, 1.0, 3.0, "normal_zig");
    double m4 = s4 / NZIG, se4 = sqrt(96.0 / NZIG);
    cr_expect(fabs(m4 - 3.0) < NSE * se4, "normal_zig: E z^4 %.5f, expected 3 +- %.5f", m4, NSE * se4);
}

Test(rng, normal_zig_tail_beyond_R)
{
    /* Beyond R the ziggurat switches to Marsaglia's (1964) tail method: each
     * side is Binomial(n, Phi(-R)) (~2060 of 16e6), both Binomial(n, 2 Phi(-R)).
     * The sides are checked apart: the overall symmetry check cannot see a
     * tail that loses its sign.  The tail's shape: given k draws beyond R,
     * |z| - R has the truncated normal's mean lambda - R, lambda =
     * phi(R) / Phi(-R), and variance 1 + R lambda - lambda^2 (an unrejected
     * exponential proposal, mean 1/R, is ~8 SE off).  n is 4 NZIG here, for
     * enough tail draws. */
    const long n = 4L * NZIG;
    const double edge = PSIM_ZIG_R;
    const double p1 = 0.5 * erfc(edge / sqrt(2.0));
    const double lambda = exp(-0.5 * edge * edge) / sqrt(8.0 * atan(1.0)) / p1;
    long above = 0, below = 0;
    double excess = 0.0;
    psim_rng r;
    psim_rng_seed(&r, 59u, 26u);
    for (long i = 0; i < n; i++) {
        double z = psim_rng_normal_zig(&r);
        if (z > edge) {
            above++;
            excess += z - edge;
        } else if (z < -edge) {
            below++;
            excess += -z - edge;
        }
    }
    check_binomial(above + below, n, 2.0 * p1, "|z| > R");
    check_binomial(above, n, p1, "z > R");
    check_binomial(below, n, p1, "z < -R");
    long k = above + below;
    cr_assert(k > 0);
    double mean = excess / (double)k, expect = lambda - edge;
    double se = sqrt((1.0 + edge * lambda - lambda * lambda) / (double)k);
    cr_expect(fabs(mean - expect) < NSE * se, "tail: mean |z| - R %.5f, expected %.5f +- %.5f", mean,
              expect, NSE * se);
}

Test(rng, normal_zig_interval_probabilities)
{
    /* Bins of |z|, each Binomial(n, erfc(a/sqrt2) - erfc(b/sqrt2)).  The top
     * layer (x_1 = 0.215) is all wedge, and each layer's wedge (x_{i-1}, x_i]
     * falls in one or two bins, so a wrong wedge test or table shows here. */
    static const double edges[] = {0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, PSIM_ZIG_R};
    enum { NBIN = sizeof edges / sizeof edges[0] - 1 };
    long count[NBIN] = {0};
    psim_rng r;
    psim_rng_seed(&r, 53u, 58u);
    for (long i = 0; i < NZIG; i++) {
        double a = fabs(psim_rng_normal_zig(&r));
        for (int b = 0; b < NBIN; b++) {
            if (a < edges[b + 1]) {
                count[b]++;
                break;
            }
        }
    }
    for (int b = 0; b < NBIN; b++) {
        double p = erfc(edges[b] / sqrt(2.0)) - erfc(edges[b + 1] / sqrt(2.0));
        char what[48];
        snprintf(what, sizeof what, "|z| in [%.4g, %.4g)", edges[b], edges[b + 1]);
        check_binomial(count[b], NZIG, p, what);
    }
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

Test(rng, normal_zig_ks_and_symmetry)
{
    /* Kolmogorov-Smirnov against Phi: sqrt(n) D is asymptotically Kolmogorov
     * distributed, P(K > k) = 2 sum_j (-1)^(j-1) exp(-2 j^2 k^2) ~ 2 exp(-2 k^2)
     * for large k, so the 1e-4 critical value is sqrt(ln(2 / 1e-4) / 2) = 2.2253.
     * Symmetry: the number of negatives is Binomial(n, 1/2). */
    const long n = 1000000;
    const double kcrit = sqrt(0.5 * log(2.0 / 1e-4));
    double *z = malloc((size_t)n * sizeof *z);
    cr_assert_not_null(z);
    long neg = 0;
    psim_rng r;
    psim_rng_seed(&r, 97u, 93u);
    for (long i = 0; i < n; i++) {
        z[i] = psim_rng_normal_zig(&r);
        neg += z[i] < 0.0;
    }
    qsort(z, (size_t)n, sizeof *z, cmp_double);
    double d = 0.0;
    for (long i = 0; i < n; i++) {
        double f = std_normal_cdf(z[i]);
        double below = f - (double)i / (double)n, above = (double)(i + 1) / (double)n - f;
        if (below > d)
            d = below;
        if (above > d)
            d = above;
    }
    free(z);
    cr_expect(sqrt((double)n) * d < kcrit, "KS: sqrt(n) D = %.4f, critical value %.4f",
              sqrt((double)n) * d, kcrit);
    check_binomial(neg, n, 0.5, "z < 0");
}

Test(rng, normal_zig_same_key_same_sequence)
{
    /* Bit-identical draws from the same key (also interleaved with another
     * stream: no hidden state), the same number of raw outputs consumed, and a
     * different sequence from the neighbouring key. */
    psim_rng a, b, c;
    psim_rng_keyed(&a, 20240611u, 2u, 77u, PSIM_PURPOSE_NOISE, 0u);
    psim_rng_keyed(&b, 20240611u, 2u, 77u, PSIM_PURPOSE_NOISE, 0u);
    psim_rng_keyed(&c, 20240611u, 2u, 77u, PSIM_PURPOSE_NOISE, 1u);
    long same_as_other = 0;
    for (int i = 0; i < 100000; i++) {
        double x = psim_rng_normal_zig(&a);
        double w = psim_rng_normal_zig(&c);
        double y = psim_rng_normal_zig(&b);
        if (memcmp(&x, &y, sizeof x) != 0)
            cr_assert_fail("same key diverged at draw %d: %a vs %a", i, x, y);
        same_as_other += x == w;
    }
    cr_expect(same_rng(&a, &b), "same key consumed different numbers of outputs");
    cr_expect_eq(same_as_other, 0, "%ld draws equal to the neighbouring key's", same_as_other);
}

Test(rng, normal_zig_fast_path_replay)
{
    /* The documented fast path, replayed on a copy: one 64-bit draw (first
     * output high); bits 0-7 are the layer idx, bit 8 the sign, bits 9-60 the
     * magnitude rabs.  If rabs < ki[idx] the result is exactly
     * +-rabs * wi[idx] after exactly two outputs; otherwise the function must
     * draw more (a wedge uniform or the tail).  The number of fast returns is
     * Binomial(n, p_fast), p_fast = sum(ki) / (256 2^52) = 0.985. */
    const long n = 1000000;
    uint64_t ksum = 0;
    for (int i = 0; i < 256; i++)
        ksum += psim_zig_ki[i];
    const double p_fast = (double)ksum / (256.0 * ZIG_M);
    long fast = 0;
    psim_rng r, ref;
    psim_rng_seed(&r, 3141u, 59u);
    for (long i = 0; i < n; i++) {
        ref = r;
        uint64_t hi = psim_rng_u32(&ref);
        uint64_t lo = psim_rng_u32(&ref);
        uint64_t bits = (hi << 32) | lo;
        int idx = (int)(bits & 0xffu);
        int negative = (int)((bits >> 8) & 1u);
        uint64_t rabs = (bits >> 9) & 0x000fffffffffffffULL;
        double z = psim_rng_normal_zig(&r);
        if (rabs < psim_zig_ki[idx]) {
            double x = (double)rabs * psim_zig_wi[idx];
            if (negative)
                x = -x;
            if (z != x)
                cr_assert_fail("draw %ld (idx %d): %a, expected %a", i, idx, z, x);
            if (!same_rng(&r, &ref))
                cr_assert_fail("draw %ld (idx %d): fast path used more than two outputs", i, idx);
            fast++;
        } else if (same_rng(&r, &ref)) {
            cr_assert_fail("draw %ld (idx %d): rabs >= ki but only two outputs used", i, idx);
        }
    }
    check_binomial(fast, n, p_fast, "fast-path returns");
}

Test(rng, normal_zig_ar1_replay)
{
    /* The one-pass AR(1) path gives the bits of drawing with
     * psim_rng_normal_zig_n and then running the recursion, and leaves the
     * generator where psim_rng_normal_zig_n does (paths long enough to pass
     * through the wedge and the tail many times). */
    enum { N = 20000 };
    static double z[N], x[N];
    const double s0 = 1.3, phi = 0.7, innov = 1.3 * 0.71414284285428499;
    for (uint64_t key = 0; key < 20; key++) {
        psim_rng a, b;
        psim_rng_keyed(&a, 7u, 0u, key, PSIM_PURPOSE_NOISE, 0u);
        b = a;
        int n = N - (int)key * 997;
        psim_rng_normal_zig_n(&a, z, n);
        double e = s0 * z[0];
        z[0] = e;
        for (int t = 1; t < n; t++) {
            e = phi * e + innov * z[t];
            z[t] = e;
        }
        psim_rng_normal_zig_ar1_n(&b, x, n, s0, phi, innov);
        for (int t = 0; t < n; t++)
            if (memcmp(&z[t], &x[t], sizeof x[t]) != 0)
                cr_assert_fail("key %d day %d: %a vs %a", (int)key, t, x[t], z[t]);
        cr_expect(same_rng(&a, &b), "key %d: different numbers of outputs consumed", (int)key);
    }
}

/* How the scalar ziggurat handles each of n draws from r: counts[0] inside
 * the rectangle, [1] the tail, [2] a wedge accepted, [3] a wedge rejected
 * (a new draw follows). */
static void classify_zig_draws(psim_rng r, int n, long counts[4])
{
    for (int i = 0; i < n; i++) {
        psim_rng ref = r;
        uint64_t hi = psim_rng_u32(&ref);
        uint64_t lo = psim_rng_u32(&ref);
        uint64_t bits = (hi << 32) | lo;
        int idx = (int)(bits & 0xffu);
        uint64_t rabs = (bits >> 9) & 0x000fffffffffffffULL;
        (void)psim_rng_normal_zig(&r);
        if (rabs < psim_zig_ki[idx]) {
            counts[0]++;
        } else if (idx == 0) {
            counts[1]++;
        } else {
            (void)psim_rng_uniform(&ref);
            counts[same_rng(&ref, &r) ? 2 : 3]++;
        }
    }
}

Test(rng, normal_zig_blocks_match_scalar)
{
    /* psim_rng_normal_zig_n and psim_rng_normal_zig_ar1_n take blocks of
     * draws with AVX2 or AVX-512 (whichever the CPU has) and must give the
     * doubles of the scalar code, draw by draw, and leave the generator
     * where it does: every version this CPU runs, and the public functions,
     * against the scalar reference, on 3 000 streams of lengths 0 to 1 200
     * (most not a multiple of any vector width) and 4 of 30 000, through
     * the tail, accepted and rejected wedges. */
    enum { NKEY = 3004, NMAX = 30000 };
    static double ref[NMAX], got[NMAX];
    const int isas[] = {PSIM_RNG_ISA_AVX2, PSIM_RNG_ISA_AVX512, -1}; /* -1: the public functions */
    long counts[4] = {0, 0, 0, 0};
    int simd = 0;
    for (int v = 0; v < 2; v++)
        simd += psim_rng_isa_available(isas[v]);
    if (!simd)
        cr_log_warn("no AVX2 on this CPU: only the scalar code is compared with itself");
    for (int key = 0; key < NKEY; key++) {
        int n = key >= NKEY - 4 ? NMAX - key % 4 : key % 5 == 0 ? key % 67 : 300 + (key * 37) % 901;
        if (key % 11 == 0)
            n = 426;
        const double s0 = 0.5 + 0.001 * key, phi = 0.3 + 0.6 * (key % 97) / 97.0, innov = 1.7 - 0.0003 * key;
        psim_rng base;
        psim_rng_keyed(&base, 11u, (uint64_t)(key % 3), (uint64_t)key, PSIM_PURPOSE_NOISE, 0u);
        classify_zig_draws(base, n, counts);
        for (int ar1 = 0; ar1 < 2; ar1++) {
            psim_rng a = base;
            if (ar1)
                psim_rng_normal_zig_ar1_n_scalar(&a, ref, n, s0, phi, innov);
            else
                psim_rng_normal_zig_n_scalar(&a, ref, n);
            for (size_t v = 0; v < sizeof isas / sizeof isas[0]; v++) {
                psim_rng b = base;
                if (isas[v] >= 0 && !psim_rng_isa_available(isas[v]))
                    continue;
                memset(got, 0xa5, (size_t)n * sizeof got[0]);
                if (isas[v] < 0 && ar1)
                    psim_rng_normal_zig_ar1_n(&b, got, n, s0, phi, innov);
                else if (isas[v] < 0)
                    psim_rng_normal_zig_n(&b, got, n);
                else if (ar1)
                    psim_rng_normal_zig_ar1_n_isa(isas[v], &b, got, n, s0, phi, innov);
                else
                    psim_rng_normal_zig_n_isa(isas[v], &b, got, n);
                for (int t = 0; t < n; t++)
                    if (memcmp(&ref[t], &got[t], sizeof got[t]) != 0)
                        cr_assert_fail("isa %d, %s, key %d, n %d, draw %d: %a, scalar %a", isas[v],
                                       ar1 ? "ar1" : "zig_n", key, n, t, got[t], ref[t]);
                cr_assert(same_rng(&a, &b), "isa %d, %s, key %d, n %d: final state %016llx, scalar %016llx",
                          isas[v], ar1 ? "ar1" : "zig_n", key, n, (unsigned long long)b.state,
                          (unsigned long long)a.state);
            }
        }
    }
    /* about 1.86 M draws: ~470 tails, ~15 000 accepted and ~12 500 rejected wedges */
    cr_expect_gt(counts[1], 200, "%ld tail draws", counts[1]);
    cr_expect_gt(counts[2], 5000, "%ld accepted wedges", counts[2]);
    cr_expect_gt(counts[3], 5000, "%ld rejected wedges", counts[3]);
    cr_log_info("draws: %ld fast, %ld tail, %ld wedge accepted, %ld wedge rejected", counts[0], counts[1],
                counts[2], counts[3]);
}

Test(rng, normal_zig_ar1_two_streams_match_single)
{
    /* psim_rng_normal_zig_ar1_n2 runs two streams day by day in step: each
     * path and final state must be those of the scalar single-stream
     * version, bit for bit, whatever the other stream does (its slow draws
     * and block ends fall on other days), for every version this CPU runs
     * (the scalar one included) and the public function: 2 000 pairs of
     * lengths 0 to 1 200 and 2 of 30 000, with many tails and wedges. */
    enum { NPAIR = 2002, NMAX = 30000 };
    static double ref0[NMAX], ref1[NMAX], got0[NMAX], got1[NMAX];
    const int isas[] = {PSIM_RNG_ISA_SCALAR, PSIM_RNG_ISA_AVX2, PSIM_RNG_ISA_AVX512, -1}; /* -1: the public function */
    long counts[4] = {0, 0, 0, 0};
    for (int key = 0; key < NPAIR; key++) {
        int n = key >= NPAIR - 2 ? NMAX - key % 2 : key % 7 == 0 ? key % 41 : 300 + (key * 53) % 901;
        if (key % 13 == 0)
            n = 426;
        const double s0 = 0.7 + 0.0005 * key, phi = 0.2 + 0.7 * (key % 89) / 89.0, innov = 1.3 - 0.0002 * key;
        psim_rng base0, base1;
        psim_rng_keyed(&base0, 5u, (uint64_t)(key % 2), (uint64_t)(2 * key), PSIM_PURPOSE_NOISE, 0u);
        psim_rng_keyed(&base1, 5u, (uint64_t)(key % 2), (uint64_t)(2 * key + 1), PSIM_PURPOSE_NOISE, 0u);
        if (key % 101 == 0)
            base1 = base0; /* the same stream twice */
        classify_zig_draws(base0, n, counts);
        classify_zig_draws(base1, n, counts);
        psim_rng a0 = base0, a1 = base1;
        psim_rng_normal_zig_ar1_n_scalar(&a0, ref0, n, s0, phi, innov);
        psim_rng_normal_zig_ar1_n_scalar(&a1, ref1, n, s0, phi, innov);
        for (size_t v = 0; v < sizeof isas / sizeof isas[0]; v++) {
            if (isas[v] >= 0 && !psim_rng_isa_available(isas[v]))
                continue;
            psim_rng b0 = base0, b1 = base1;
            memset(got0, 0xa5, (size_t)n * sizeof got0[0]);
            memset(got1, 0x5a, (size_t)n * sizeof got1[0]);
            if (isas[v] < 0)
                psim_rng_normal_zig_ar1_n2(&b0, &b1, got0, got1, n, s0, phi, innov);
            else
                psim_rng_normal_zig_ar1_n2_isa(isas[v], &b0, &b1, got0, got1, n, s0, phi, innov);
            for (int t = 0; t < n; t++) {
                if (memcmp(&ref0[t], &got0[t], sizeof got0[t]) != 0)
                    cr_assert_fail("isa %d, key %d, n %d, stream 0, day %d: %a, single %a", isas[v], key, n, t,
                                   got0[t], ref0[t]);
                if (memcmp(&ref1[t], &got1[t], sizeof got1[t]) != 0)
                    cr_assert_fail("isa %d, key %d, n %d, stream 1, day %d: %a, single %a", isas[v], key, n, t,
                                   got1[t], ref1[t]);
            }
            cr_assert(same_rng(&a0, &b0) && same_rng(&a1, &b1), "isa %d, key %d, n %d: final states differ",
                      isas[v], key, n);
        }
    }
    /* about 1.6 M draws: a few hundred tails, over 10 000 wedges of each kind */
    cr_expect_gt(counts[1], 150, "%ld tail draws", counts[1]);
    cr_expect_gt(counts[2], 4000, "%ld accepted wedges", counts[2]);
    cr_expect_gt(counts[3], 4000, "%ld rejected wedges", counts[3]);
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
        /* the same stream in two and in three steps */
        psim_rng f, g;
        const uint64_t pk = psim_rng_key_patient(seed, it, pat);
        psim_rng_keyed_from(&f, pk, purpose, idx);
        psim_rng_keyed_index(&g, psim_rng_key_purpose(pk, purpose), idx);
        if (!same_rng(&f, &s) || !same_rng(&g, &s))
            cr_assert_fail("key %llu: the stepwise keys give another stream", (unsigned long long)i);
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
