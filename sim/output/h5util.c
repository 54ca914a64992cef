#include "output/h5util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"

#ifndef PAINSIM_GIT_COMMIT
#define PAINSIM_GIT_COMMIT "unknown"
#endif
#ifdef PAINSIM_HAVE_MPI
#include <mpi.h>
#endif

hid_t psim_h5_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

herr_t psim_h5_attr_str(hid_t obj, const char *name, const char *value)
{
    herr_t rc = -1;
    hid_t t = psim_h5_str_type(), sp = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    if (t >= 0 && sp >= 0) {
        a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0)
            rc = H5Awrite(a, t, &value);
    }
    if (a >= 0 && H5Aclose(a) < 0)
        rc = -1;
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

herr_t psim_h5_attr_num(hid_t obj, const char *name, hid_t type, const void *value)
{
    herr_t rc = -1;
    hid_t sp = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    if (sp >= 0) {
        a = H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0)
            rc = H5Awrite(a, type, value);
    }
    if (a >= 0 && H5Aclose(a) < 0)
        rc = -1;
    if (sp >= 0)
        H5Sclose(sp);
    return rc;
}

void psim_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* The innermost error (where HDF5 detected it): system errors read "...
 * errno = 28, error message = 'No space left on device', ...": keep the
 * system's message, else the first line. */
static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n != 0 || !e->desc)
        return 0;
    const char *msg = strstr(e->desc, "error message = '");
    if (msg) {
        msg += strlen("error message = '");
        const char *end = strchr(msg, '\'');
        int len = end ? (int)(end - msg) : (int)strlen(msg);
        snprintf(buf, 256, "%.*s", len, msg);
    } else {
        int len = (int)strcspn(e->desc, "\n");
        snprintf(buf, 256, "%.*s", len, e->desc);
    }
    return 0;
}

psim_status psim_h5_fail(psim_error *err, psim_status code, const char *path, const char *what)
{
    char detail[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, detail);
    H5Eclear2(H5E_DEFAULT);
    if (detail[0])
        return psim_error_set(err, code, path, 0, 0, "cannot %s: %s", what, detail);
    return psim_error_set(err, code, path, 0, 0, "cannot %s", what);
}

hid_t psim_h5_checked_dcpl(hid_t filetype, int rank, const hsize_t *dims)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0)
        return dcpl;
    size_t elem = H5Tget_size(filetype);
    int empty = rank < 1 || elem == 0;
    for (int k = 0; k < rank; k++)
        empty |= dims[k] == 0;
    if (empty || H5Tis_variable_str(filetype) != 0 || H5Tdetect_class(filetype, H5T_VLEN) != 0)
        return dcpl;
    hsize_t chunk[H5S_MAX_RANK];
    size_t row = elem;
    for (int k = 0; k < rank && k < H5S_MAX_RANK; k++) {
        chunk[k] = dims[k];
        if (k > 0)
            row *= (size_t)dims[k];
    }
    /* a row bigger than 1 MiB is one chunk per row (an HDF5 chunk must stay below 4 GiB) */
    hsize_t rows = row >= ((size_t)1 << 20) ? 1 : (hsize_t)(((size_t)1 << 20) / row);
    if (rows < chunk[0])
        chunk[0] = rows;
    if (row > ((size_t)1 << 31) || H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_fletcher32(dcpl) < 0) {
        H5Pclose(dcpl);
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
    }
    return dcpl;
}

hid_t psim_h5_str_dxpl(hsize_t n)
{
    /* HDF5 allocates, and clears, a type-conversion buffer and a background
     * buffer of the transfer's size (1 MiB by default) for every write that
     * converts, as variable-length strings do; a few strings need a few
     * KiB (each element is at most 16 bytes on either side). */
    hid_t p = H5Pcreate(H5P_DATASET_XFER);
    size_t size = n < 64 ? 4096 : (size_t)n * 64;
    if (p >= 0 && size < 1048576 && H5Pset_buffer(p, size, NULL, NULL) < 0) {
        H5Pclose(p);
        return H5I_INVALID_HID;
    }
    return p;
}

herr_t psim_h5_write_ds(hid_t loc, const char *name, hid_t filetype, hid_t memtype, int rank,
                       const hsize_t *dims, const void *buf, const char *units, const char *description)
{
    herr_t rc = -1;
    hid_t sp = H5Screate_simple(rank, dims, NULL), d = H5I_INVALID_HID;
    if (sp < 0)
        return -1;
    hid_t dcpl = psim_h5_checked_dcpl(filetype, rank, dims);
    if (dcpl >= 0) {
        d = H5Dcreate2(loc, name, filetype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5Pclose(dcpl);
    }
    if (d >= 0) {
        hsize_t npts = 1;
        for (int k = 0; k < rank; k++)
            npts *= dims[k];
        hid_t x = H5Tis_variable_str(memtype) > 0 ? psim_h5_str_dxpl(npts) : H5P_DEFAULT;
        rc = npts == 0 ? 0 : x < 0 ? -1 : H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, x, buf);
        if (x > 0) /* not H5P_DEFAULT */
            H5Pclose(x);
        if (rc >= 0)
            rc = psim_h5_attr_str(d, "units", units);
        if (rc >= 0)
            rc = psim_h5_attr_str(d, "description", description);
        if (H5Dclose(d) < 0)
            rc = -1;
    }
    H5Sclose(sp);
    return rc;
}

herr_t psim_h5_write_str(hid_t loc, const char *name, const char *value, const char *units, const char *description)
{
    hid_t t = psim_h5_str_type(), sp = H5Screate(H5S_SCALAR), d = H5I_INVALID_HID, x = psim_h5_str_dxpl(1);
    herr_t rc = -1;
    if (t >= 0 && sp >= 0 && x >= 0) {
        d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, x, &value) >= 0 && psim_h5_attr_str(d, "units", units) >= 0)
            rc = psim_h5_attr_str(d, "description", description);
    }
    if (d >= 0 && H5Dclose(d) < 0)
        rc = -1;
    if (x >= 0)
        H5Pclose(x);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

herr_t psim_h5_write_strs(hid_t loc, const char *name, hsize_t n, const char **v, const char *units,
                          const char *description)
{
    hid_t t = psim_h5_str_type();
    if (t < 0)
        return -1;
    herr_t rc = psim_h5_write_ds(loc, name, t, t, 1, &n, v, units, description);
    H5Tclose(t);
    return rc;
}

/* ---- Fletcher32 ---------------------------------------------------------
 *
 * The filter's definition: with w_i the big-endian 16-bit words, s1 and s2
 * start at 0; for every group of (up to) 360 words, s1 += w_i and s2 += s1
 * word by word, then each is folded, s = (s & 0xffff) + (s >> 16); a last
 * odd byte counts as a word with a zero low byte and is followed by a fold;
 * finally both are folded once more and the checksum is s2 << 16 | s1.
 *
 * For a group of n words, word by word is the same, modulo 2^32, as
 *   s1' = s1 + sum w_i,  s2' = s2 + n s1 + sum (n - i) w_i  (i = 0 .. n-1),
 * and unsigned 32-bit arithmetic is arithmetic modulo 2^32, so evaluating the
 * group sums in any order gives the same bits.  With SSE2 the weighted sums
 * are multiply-adds of 16-bit lanes (pmaddwd, signed): the high and low bytes
 * of each word go in separate lanes (0..255) against weights up to 360, so no
 * product or pair sum overflows, and w = 256 hi + lo is rebuilt at the end. */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static void fletcher_group(const uint8_t *d, size_t n, uint32_t *s1, uint32_t *s2)
{
    uint32_t a = 0, b = 0; /* sum w_i and sum (n - i) w_i, modulo 2^32 */
    size_t i = 0;
#if defined(__SSE2__)
    if (n == 360) {
        /* 8 words per step: bytes hi0 lo0 hi1 lo1 ...; lanes of the 16-bit
         * unpack of 8 bytes are (hi0, lo0, hi1, lo1, ...) */
        const __m128i zero = _mm_setzero_si128(), ones = _mm_set1_epi16(1);
        __m128i acc_hi = zero, acc_lo = zero, sum_hi = zero, sum_lo = zero;
        /* weights of words i .. i+7: n - i - k, as (w, 0) pairs for the high
         * bytes and (0, w) pairs for the low bytes */
        __m128i wt = _mm_setr_epi16(360, 360, 359, 359, 358, 358, 357, 357);
        const __m128i four = _mm_set1_epi16(4);
        const __m128i hi_mask = _mm_setr_epi16(-1, 0, -1, 0, -1, 0, -1, 0);
        for (; i + 8 <= n; i += 8) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(d + 2 * i));
            __m128i x0 = _mm_unpacklo_epi8(x, zero); /* words i .. i+3: hi, lo pairs */
            __m128i x1 = _mm_unpackhi_epi8(x, zero); /* words i+4 .. i+7 */
            __m128i w0 = wt, w1 = _mm_sub_epi16(wt, four);
            __m128i h0 = _mm_and_si128(x0, hi_mask), l0 = _mm_andnot_si128(hi_mask, x0);
            __m128i h1 = _mm_and_si128(x1, hi_mask), l1 = _mm_andnot_si128(hi_mask, x1);
            acc_hi = _mm_add_epi32(acc_hi, _mm_add_epi32(_mm_madd_epi16(h0, w0), _mm_madd_epi16(h1, w1)));
            acc_lo = _mm_add_epi32(acc_lo, _mm_add_epi32(_mm_madd_epi16(l0, w0), _mm_madd_epi16(l1, w1)));
            sum_hi = _mm_add_epi32(sum_hi, _mm_add_epi32(_mm_madd_epi16(h0, ones), _mm_madd_epi16(h1, ones)));
            sum_lo = _mm_add_epi32(sum_lo, _mm_add_epi32(_mm_madd_epi16(l0, ones), _mm_madd_epi16(l1, ones)));
            wt = _mm_sub_epi16(wt, _mm_set1_epi16(8));
        }
        uint32_t t[4];
        uint32_t ah = 0, al = 0, sh = 0, sl = 0;
        _mm_storeu_si128((__m128i *)(void *)t, acc_hi);
        ah = t[0] + t[1] + t[2] + t[3];
        _mm_storeu_si128((__m128i *)(void *)t, acc_lo);
        al = t[0] + t[1] + t[2] + t[3];
        _mm_storeu_si128((__m128i *)(void *)t, sum_hi);
        sh = t[0] + t[1] + t[2] + t[3];
        _mm_storeu_si128((__m128i *)(void *)t, sum_lo);
        sl = t[0] + t[1] + t[2] + t[3];
        a = 256u * sh + sl;
        b = 256u * ah + al;
    }
#endif
    for (; i < n; i++) {
        uint32_t w = (uint32_t)d[2 * i] << 8 | d[2 * i + 1];
        a += w;
        b += (uint32_t)(n - i) * w;
    }
    *s2 += (uint32_t)n * *s1 + b;
    *s1 += a;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PSIM_FLETCHER_AVX2 1
#include <immintrin.h>

/* The same group sums with AVX2, 16 words (32 bytes) per step.  With C
 * steps of 16 words and j the word's place in its step, the weight of word
 * i = 16 c + j over the first 16 C words is 16 C - i = 16 (C - 1 - c) +
 * (16 - j): the first part is 16 x the sum, over the steps, of the running
 * sum before each step (ps), the second a constant weight per place (pmaddubsw
 * of the bytes, unsigned, against weights 16 - j at the high or at the low
 * byte and 0 at the other: no product or pair sum saturates, and the 32-bit
 * lane sums stay below 2^31 for 22 steps).  The words past 16 C, and the
 * weight n - 16 C that every earlier word has on top, are added one word at a
 * time: all of it is arithmetic modulo 2^32, as in fletcher_group. */
__attribute__((target("avx2"))) static void fletcher_group_avx2(const uint8_t *d, size_t n, uint32_t *s1,
                                                                uint32_t *s2)
{
    const size_t steps = n / 16;
    const __m256i w_hi = _mm256_setr_epi8(16, 0, 15, 0, 14, 0, 13, 0, 12, 0, 11, 0, 10, 0, 9, 0, 8, 0, 7, 0, 6, 0, 5,
                                          0, 4, 0, 3, 0, 2, 0, 1, 0);
    const __m256i w_lo = _mm256_slli_si256(w_hi, 1); /* (0, 16 - j) pairs, within each 128-bit half */
    const __m256i one_hi = _mm256_set1_epi16(1), one_lo = _mm256_set1_epi16(256); /* bytes (1, 0) and (0, 1) */
    const __m256i k256 = _mm256_set1_epi16(256), k1 = _mm256_set1_epi16(1);
    __m256i sum = _mm256_setzero_si256(), ps = sum, wsum = sum;
    for (size_t c = 0; c < steps; c++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(d + 32 * c));
        ps = _mm256_add_epi32(ps, sum);
        __m256i hi = _mm256_maddubs_epi16(x, one_hi), lo = _mm256_maddubs_epi16(x, one_lo);
        __m256i whi = _mm256_maddubs_epi16(x, w_hi), wlo = _mm256_maddubs_epi16(x, w_lo);
        sum = _mm256_add_epi32(sum, _mm256_add_epi32(_mm256_madd_epi16(hi, k256), _mm256_madd_epi16(lo, k1)));
        wsum = _mm256_add_epi32(wsum, _mm256_add_epi32(_mm256_madd_epi16(whi, k256), _mm256_madd_epi16(wlo, k1)));
    }
    uint32_t t[8], a = 0, p = 0, w = 0;
    _mm256_storeu_si256((__m256i *)(void *)t, sum);
    for (int k = 0; k < 8; k++)
        a += t[k];
    _mm256_storeu_si256((__m256i *)(void *)t, ps);
    for (int k = 0; k < 8; k++)
        p += t[k];
    _mm256_storeu_si256((__m256i *)(void *)t, wsum);
    for (int k = 0; k < 8; k++)
        w += t[k];
    size_t i = 16 * steps;
    uint32_t b = 16u * p + w + (uint32_t)(n - i) * a; /* sum (n - i) w_i over the first 16 C words */
    for (; i < n; i++) {
        uint32_t wd = (uint32_t)d[2 * i] << 8 | d[2 * i + 1];
        a += wd;
        b += (uint32_t)(n - i) * wd;
    }
    *s2 += (uint32_t)n * *s1 + b;
    *s1 += a;
}
#endif

static uint32_t fletcher32_with(const void *data, size_t len, void (*group)(const uint8_t *, size_t, uint32_t *, uint32_t *))
{
    const uint8_t *d = data;
    size_t words = len / 2;
    uint32_t s1 = 0, s2 = 0;
    while (words) {
        size_t n = words > 360 ? 360 : words;
        group(d, n, &s1, &s2);
        d += 2 * n;
        words -= n;
        s1 = (s1 & 0xffffu) + (s1 >> 16);
        s2 = (s2 & 0xffffu) + (s2 >> 16);
    }
    if (len % 2) {
        s1 += (uint32_t)*d << 8;
        s2 += s1;
        s1 = (s1 & 0xffffu) + (s1 >> 16);
        s2 = (s2 & 0xffffu) + (s2 >> 16);
    }
    s1 = (s1 & 0xffffu) + (s1 >> 16);
    s2 = (s2 & 0xffffu) + (s2 >> 16);
    return s2 << 16 | s1;
}

uint32_t psim_h5_fletcher32_portable(const void *data, size_t len)
{
    return fletcher32_with(data, len, fletcher_group);
}

uint32_t psim_h5_fletcher32(const void *data, size_t len)
{
#ifdef PSIM_FLETCHER_AVX2
    if (__builtin_cpu_supports("avx2"))
        return fletcher32_with(data, len, fletcher_group_avx2);
#endif
    return fletcher32_with(data, len, fletcher_group);
}

psim_status psim_scenario_sha256(const psim_scenario *scn, char hex[65], psim_error *err)
{
    char *text = NULL;
    psim_status st = psim_scenario_to_yaml(scn, &text, err);
    if (st != PSIM_OK)
        return st;
    psim_sha256_hex(text, strlen(text), hex);
    free(text);
    return PSIM_OK;
}

herr_t psim_h5_write_provenance(hid_t file, const psim_scenario *scn, const char *file_kind,
                                const psim_run_layout *layout)
{
    char hash[65];
    psim_error err;
    psim_error_clear(&err);
    if (psim_scenario_sha256(scn, hash, &err) != PSIM_OK)
        return -1;
    unsigned maj = 0, min = 0, rel = 0;
    if (H5get_libversion(&maj, &min, &rel) < 0)
        return -1;
    char hdf5[32];
    snprintf(hdf5, sizeof hdf5, "%u.%u.%u", maj, min, rel);
    char mpi[256] = "none";
    int ranks = 1; /* the processes that ran it: MPI ranks, 1 without MPI */
#ifdef PAINSIM_HAVE_MPI
    {
        int up = 0;
        if (MPI_Initialized(&up) == MPI_SUCCESS && up)
            MPI_Comm_size(MPI_COMM_WORLD, &ranks);
        /* the library's first line, e.g. "Open MPI v4.1.4, package: ..." */
        char lib[MPI_MAX_LIBRARY_VERSION_STRING];
        int len = 0, major = 0, minor = 0;
        MPI_Get_version(&major, &minor);
        if (MPI_Get_library_version(lib, &len) == MPI_SUCCESS) {
            lib[strcspn(lib, ",\n")] = '\0';
            snprintf(mpi, sizeof mpi, "%.200s (MPI %d.%d)", lib, major, minor);
        } else {
            snprintf(mpi, sizeof mpi, "MPI %d.%d", major, minor);
        }
    }
#endif
    int64_t nb = scn->block_size > 0 ? (scn->patients + scn->block_size - 1) / scn->block_size : 0;
    psim_run_layout whole = {.block_size = scn->block_size,
                             .n_blocks_total = nb,
                             .patients_total = scn->patients,
                             .first_block = 0,
                             .n_blocks = nb,
                             .first_patient = 0,
                             .patients = scn->patients,
                             .shard_index = 0,
                             .shard_count = 0};
    const psim_run_layout *l = layout ? layout : &whole;
    int shard_index = l->shard_count > 0 ? l->shard_index + 1 : 1, shard_count = l->shard_count > 0 ? l->shard_count : 1;
    if (psim_h5_attr_str(file, "git_commit", PAINSIM_GIT_COMMIT) < 0 ||
        psim_h5_attr_str(file, "hdf5_version", hdf5) < 0 ||
        psim_h5_attr_str(file, "mpi_version", mpi) < 0 ||
        psim_h5_attr_num(file, "mpi_ranks", H5T_NATIVE_INT, &ranks) < 0 ||
        psim_h5_attr_str(file, "scenario_sha256", hash) < 0 || psim_h5_attr_str(file, "file_kind", file_kind) < 0 ||
        psim_h5_attr_num(file, "shard_index", H5T_NATIVE_INT, &shard_index) < 0 ||
        psim_h5_attr_num(file, "shard_count", H5T_NATIVE_INT, &shard_count) < 0 ||
        psim_h5_attr_num(file, "shard_first_patient", H5T_NATIVE_INT64, &l->first_patient) < 0 ||
        psim_h5_attr_num(file, "shard_patients", H5T_NATIVE_INT64, &l->patients) < 0 ||
        psim_h5_attr_num(file, "shard_first_block", H5T_NATIVE_INT64, &l->first_block) < 0 ||
        psim_h5_attr_num(file, "shard_blocks", H5T_NATIVE_INT64, &l->n_blocks) < 0)
        return -1;
    return 0;
}
