/* The writer's own Fletcher32 (sim/output/h5util.c), which lets it write
 * whole chunks directly: the same checksum as the word-by-word definition
 * and as HDF5's own filter stores. */
#include <criterion/criterion.h>
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/h5util.h"

/* The filter's definition, one word at a time (HDF5's H5Zfletcher32.c
 * documents it; this is the definition, written out independently). */
static uint32_t fletcher_words(const uint8_t *d, size_t len)
{
    uint32_t s1 = 0, s2 = 0;
    size_t words = len / 2;
    while (words) {
        size_t n = words > 360 ? 360 : words;
        words -= n;
        for (size_t i = 0; i < n; i++, d += 2) {
            s1 += (uint32_t)d[0] << 8 | d[1];
            s2 += s1;
        }
        s1 = (s1 & 0xffff) + (s1 >> 16);
        s2 = (s2 & 0xffff) + (s2 >> 16);
    }
    if (len % 2) {
        s1 += (uint32_t)d[0] << 8;
        s2 += s1;
        s1 = (s1 & 0xffff) + (s1 >> 16);
        s2 = (s2 & 0xffff) + (s2 >> 16);
    }
    s1 = (s1 & 0xffff) + (s1 >> 16);
    s2 = (s2 & 0xffff) + (s2 >> 16);
    return s2 << 16 | s1;
}

static uint64_t lcg = 0x853c49e6748fea9bULL;
static uint8_t next_byte(void)
{
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint8_t)(lcg >> 56);
}

/* kind 0: random bytes; 1: all 0xff (the largest sums); 2: zeros; 3: bytes
 * 0..100 as in the recorded millimetres; 4: random runs of 0xff and 0x00 */
static void fill(uint8_t *d, size_t len, int kind)
{
    for (size_t i = 0; i < len; i++) {
        switch (kind) {
        case 0: d[i] = next_byte(); break;
        case 1: d[i] = 0xff; break;
        case 2: d[i] = 0; break;
        case 3: d[i] = (uint8_t)(next_byte() % 101); break;
        default: d[i] = (i / 37) % 2 ? 0xff : (next_byte() & 1 ? 0xff : 0); break;
        }
    }
}

Test(fletcher32, equals_the_word_by_word_definition)
{
    const size_t big = 436224 + 7;
    uint8_t *d = malloc(big);
    cr_assert_not_null(d);
    int checked = 0;
    for (int kind = 0; kind < 5; kind++) {
        for (size_t len = 0; len < 2000; len += 1 + len / 50) {
            fill(d, len, kind);
            cr_assert_eq(psim_h5_fletcher32(d, len), fletcher_words(d, len), "kind %d, %zu bytes", kind, len);
            checked++;
        }
        size_t lens[] = {719, 720, 721, 722, 5760, 436224, 436225, big};
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            fill(d, lens[k], kind);
            /* unaligned starts too */
            for (size_t off = 0; off < 3; off++) {
                cr_assert_eq(psim_h5_fletcher32(d + off, lens[k] - off), fletcher_words(d + off, lens[k] - off),
                             "kind %d, %zu bytes at offset %zu", kind, lens[k] - off, off);
                checked++;
            }
        }
    }
    cr_assert_gt(checked, 500);
    free(d);
}

/* psim_h5_fletcher32 runs the AVX2 group sums on CPUs that have AVX2: the
 * same checksum as the portable code (SSE2 or word by word) and as the
 * definition, on random buffers of every length up to 3 000 bytes (odd
 * ones, 0 and 1 included), groups cut anywhere in a step of 16 words, at
 * unaligned starts, and on chunks of up to 8 MiB. */
Test(fletcher32, avx2_equals_portable_and_definition)
{
    const size_t big = ((size_t)8 << 20) + 5;
    uint8_t *d = malloc(big);
    cr_assert_not_null(d);
    if (!__builtin_cpu_supports("avx2"))
        cr_log_warn("no AVX2 on this CPU: the portable code is compared with itself");
    int checked = 0;
    for (int kind = 0; kind < 5; kind++) {
        fill(d, 3000 + 16, kind);
        for (size_t len = 0; len <= 3000; len++) {
            size_t off = len % 7;
            uint32_t want = fletcher_words(d + off, len);
            cr_assert_eq(psim_h5_fletcher32(d + off, len), want, "kind %d, %zu bytes at %zu", kind, len, off);
            cr_assert_eq(psim_h5_fletcher32_portable(d + off, len), want, "portable, kind %d, %zu bytes", kind, len);
            checked++;
        }
        size_t lens[] = {436224, 436225, 1u << 20, ((size_t)1 << 20) + 1, big - 1, big};
        fill(d, big, kind);
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            uint32_t want = fletcher_words(d, lens[k]);
            cr_assert_eq(psim_h5_fletcher32(d, lens[k]), want, "kind %d, %zu bytes", kind, lens[k]);
            cr_assert_eq(psim_h5_fletcher32_portable(d, lens[k]), want, "portable, kind %d, %zu bytes", kind, lens[k]);
            checked++;
        }
    }
    cr_assert_gt(checked, 15000);
    free(d);
}

/* A chunked dataset written through HDF5's filter pipeline; its first chunk
 * read back raw (H5Dread_chunk) ends with the checksum HDF5 computed. */
Test(fletcher32, equals_what_hdf5s_filter_stores)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/painsim-h5write-%ld.h5", (long)getpid());
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const hsize_t sizes[] = {1, 719, 720, 4096, 436224};
    for (int kind = 0; kind < 5; kind++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            hsize_t n = sizes[k];
            uint8_t *d = malloc(n + 4), *raw = malloc(n + 4);
            cr_assert(d && raw);
            fill(d, n, kind);
            hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
            hid_t sp = H5Screate_simple(1, &n, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
            cr_assert(f >= 0 && sp >= 0 && dcpl >= 0);
            cr_assert(H5Pset_chunk(dcpl, 1, &n) >= 0 && H5Pset_fletcher32(dcpl) >= 0);
            hid_t ds = H5Dcreate2(f, "x", H5T_STD_U8LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
            cr_assert(ds >= 0);
            cr_assert(H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, d) >= 0);
            cr_assert(H5Dflush(ds) >= 0);
            hsize_t off = 0, stored = 0;
            uint32_t mask = 0;
            cr_assert(H5Dget_chunk_storage_size(ds, &off, &stored) >= 0);
            cr_assert_eq(stored, n + 4);
            cr_assert(H5Dread_chunk(ds, H5P_DEFAULT, &off, &mask, raw) >= 0);
            cr_assert_eq(memcmp(raw, d, n), 0);
            uint32_t c = (uint32_t)raw[n] | (uint32_t)raw[n + 1] << 8 | (uint32_t)raw[n + 2] << 16 |
                         (uint32_t)raw[n + 3] << 24;
            cr_assert_eq(psim_h5_fletcher32(d, n), c, "kind %d, %llu bytes: ours %08x, HDF5's %08x", kind,
                         (unsigned long long)n, psim_h5_fletcher32(d, n), c);
            H5Dclose(ds);
            H5Pclose(dcpl);
            H5Sclose(sp);
            H5Fclose(f);
            free(d);
            free(raw);
        }
    }
    unlink(path);
}
