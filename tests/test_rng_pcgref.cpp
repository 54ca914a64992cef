/*
 * test_rng_pcgref.cpp: painsim's PCG32 against the reference C++
 * implementation (pcg-cpp's pcg32 = PCG-XSH-RR 64/32 with a selectable
 * stream): plain outputs, jump-ahead, and bounded draws.
 */
#include <criterion/criterion.h>

#include <pcg_random.hpp>

#include <cstdint>

#include "painsim/rng.h"

namespace {

struct seed_pair {
    std::uint64_t state, seq;
};

const seed_pair seeds[] = {
    {42u, 54u},
    {0u, 0u},
    {1u, 1u},
    {0xffffffffffffffffULL, 0xffffffffffffffffULL},
    {0x853c49e6748fea9bULL, 0xda3e39cb94b95bdbULL},
    {20240611u, 7u},
};

} // namespace

Test(pcgref, demo_vector)
{
    pcg32 ref(42u, 54u);
    static const std::uint32_t expect[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                                            0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
    for (int i = 0; i < 6; i++)
        cr_expect_eq(ref(), expect[i], "pcg-cpp output %d", i);
}

Test(pcgref, plain_outputs)
{
    for (const seed_pair &s : seeds) {
        pcg32 ref(s.state, s.seq);
        psim_rng r;
        psim_rng_seed(&r, s.state, s.seq);
        for (int i = 0; i < 10000; i++) {
            std::uint32_t want = ref();
            std::uint32_t got = psim_rng_u32(&r);
            if (got != want)
                cr_assert_fail("seed (%llu, %llu) output %d: 0x%08x vs 0x%08x",
                               (unsigned long long)s.state, (unsigned long long)s.seq, i,
                               (unsigned)got, (unsigned)want);
        }
    }
}

Test(pcgref, advanced_outputs)
{
    static const std::uint64_t ns[] = {0u, 1u, 2u, 1000u, 123457u, 0x123456789abcdefULL,
                                       0xffffffffffffffffULL};
    for (const seed_pair &s : seeds) {
        for (std::uint64_t n : ns) {
            pcg32 ref(s.state, s.seq);
            psim_rng r;
            psim_rng_seed(&r, s.state, s.seq);
            ref.advance(n);
            psim_rng_advance(&r, n);
            for (int i = 0; i < 1000; i++) {
                std::uint32_t want = ref();
                std::uint32_t got = psim_rng_u32(&r);
                if (got != want)
                    cr_assert_fail("seed (%llu, %llu) advance %llu output %d differs",
                                   (unsigned long long)s.state, (unsigned long long)s.seq,
                                   (unsigned long long)n, i);
            }
        }
    }
}

Test(pcgref, bounded_outputs)
{
    static const std::uint32_t bounds[] = {1u,          2u,          3u,          6u,
                                           7u,          1000u,       0x80000001u, 0xC0000000u,
                                           0xFFFFFFFEu, 0xFFFFFFFFu};
    for (const seed_pair &s : seeds) {
        for (std::uint32_t bound : bounds) {
            pcg32 ref(s.state, s.seq);
            psim_rng r;
            psim_rng_seed(&r, s.state, s.seq);
            for (int i = 0; i < 10000; i++) {
                std::uint32_t want = ref(bound);
                std::uint32_t got = psim_rng_bounded(&r, bound);
                if (got != want)
                    cr_assert_fail("seed (%llu, %llu) bound %u draw %d: %u vs %u",
                                   (unsigned long long)s.state, (unsigned long long)s.seq,
                                   (unsigned)bound, i, (unsigned)got, (unsigned)want);
            }
            /* Same number of raw outputs consumed (rejections included). */
            cr_expect_eq(psim_rng_u32(&r), ref(), "bound %u: streams out of step", (unsigned)bound);
        }
    }
}
