/* The HDF5 writer: layout in docs/output-format.md.  One thread calls it. */
#include "output/h5out.h"
#include "output/h5util.h"
#include "core/files.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "painsim/report.h"
#include "painsim/scenario.h"

#ifndef PAINSIM_VERSION
#define PAINSIM_VERSION "unknown"
#endif

#define N_COHORT_DS (6 + PSIM_N_CONTRA)

typedef struct strat_ds {
    hid_t group, vas, treated, sessions, antibody, units, session_day, latent, observed, events, cost, qaly;
    hid_t ae[PSIM_MAX_STRATEGY_AE];
    hid_t ev_mem, ev_file;   /* events compound types */
    hsize_t n_events;        /* rows in the file */
    /* Serial files: rows not yet written, in the file's packed layout
     * (ev_file), written a whole chunk at a time */
    unsigned char *ev_pack;
    size_t ev_pending, ev_row, ev_off[4];
    int M, n_ae;
} strat_ds;

/* How a dataset's rows are written in a serial file: whole chunks go
 * straight to the file (H5Dwrite_chunk, with painsim's own Fletcher32 of the
 * chunk) when the dataset's only filter is Fletcher32, the memory type is
 * the file type and the file is a POSIX file; anything else through H5Dwrite. */
typedef struct ds_direct {
    hid_t id;
    int direct;
    size_t row_bytes;     /* bytes of one row (of the memory type) */
    hsize_t chunk_rows, rows;
} ds_direct;

#define N_DS_DIRECT (N_COHORT_DS + PSIM_MAX_STRATEGIES * (11 + PSIM_MAX_STRATEGY_AE))

/* Rows per chunk of the events tables. */
#define EV_CHUNK 16384

/* Events of one strategy kept by a rank of a parallel file until the end,
 * when every rank knows where its rows go (MPI_Exscan of the counts). */
/* A parallel file's events of one strategy on this rank, kept until
 * psim_h5_par_close knows where its rows go: spilled to an unlinked
 * temporary file, so that a rank's memory does not grow with its events. */
typedef struct event_buf {
    FILE *spill;
    size_t n;
} event_buf;

/* Rows of events written per collective round at the close. */
#define EV_ROUND 65536

#define N_PARTIAL_DS 6

struct psim_h5 {
    char path[PSIM_ERROR_FILE_MAX];
    psim_outfile *o; /* serial files: the file being written, the caller's */
    hid_t file;
    const psim_h5_vds *vds;   /* merged file: per-patient datasets are virtual over the shards */
    int shard;                /* a shard: rows [first, first + N) of the cohort, and the blocks' partial sums */
    hsize_t first;
    hsize_t partial_row;
    hid_t partial_index;
    hid_t partial[PSIM_MAX_STRATEGIES][N_PARTIAL_DS];
    /* Parallel files (psim_h5_create_par): every rank of comm holds the file
     * open and every raw-data write is collective (dxpl); the events wait in
     * ev until psim_h5_par_close.  Serial files: dxpl is H5P_DEFAULT. */
    int par, rank;
    hid_t dxpl;
#ifdef PAINSIM_HAVE_MPI
    MPI_Comm comm;
#endif
    event_buf ev[PSIM_MAX_STRATEGIES];
    const psim_model *m;
    const psim_scenario *scn;
    int H, R;
    hsize_t N;
    hid_t day_scale, simday_scale;
    hid_t cohort[N_COHORT_DS];
    strat_ds s[PSIM_MAX_STRATEGIES];
    ds_direct dd[N_DS_DIRECT];
    int n_dd;
    unsigned char *chunk;  /* one chunk and its checksum, for direct writes */
    size_t chunk_cap;
    int sec2;              /* the POSIX file driver: -1 not asked yet */
};

/* ---- errors ----------------------------------------------------------- */

#define CHECK(expr, what)                                                  \
    do {                                                                   \
        if ((expr) < 0) {                                                  \
            st = psim_h5_fail(err, PSIM_ERR_HDF5, out_path, what);         \
            goto cleanup;                                                  \
        }                                                                  \
    } while (0)

/* ---- small helpers ---------------------------------------------------- */

/* A scalar variable-length string dataset. */
/* Create a dataset of rank 1 or 2 with `rows_per_chunk` rows per chunk (0:
 * contiguous), a units attribute and a description. */
static hid_t make_ds(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                     hsize_t rows_per_chunk, int gzip, const char *units, const char *description)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t dapl = H5I_INVALID_HID;
    hid_t d = H5I_INVALID_HID;
    if (sp < 0 || dcpl < 0)
        goto done;
    int empty = 0;
    for (int k = 0; k < rank; k++)
        empty |= dims[k] == 0;
    if (rows_per_chunk > 0 && !empty) {
        hsize_t chunk[2] = {rows_per_chunk < dims[0] ? rows_per_chunk : dims[0], rank > 1 ? dims[1] : 1};
        if (H5Pset_chunk(dcpl, rank, chunk) < 0)
            goto done;
        if (gzip > 0 && H5Pset_deflate(dcpl, (unsigned)gzip) < 0)
            goto done;
        /* last in the pipeline: the checksum covers the bytes as stored */
        if (H5Pset_fletcher32(dcpl) < 0)
            goto done;
    } else if (!empty && H5Tis_variable_str(type) <= 0) {
        H5Pclose(dcpl);
        dcpl = psim_h5_checked_dcpl(type, rank, dims);
        if (dcpl < 0)
            goto done;
    }
    /* Every element is written, so skip the fill (not allowed for strings). */
    if (H5Tis_variable_str(type) <= 0 && H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0)
        goto done;
    /* Blocks are written as whole chunks, once: no chunk cache, so HDF5
     * writes them straight through instead of copying them into a cache. */
    dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl < 0 || H5Pset_chunk_cache(dapl, 0, 0, 1.0) < 0)
        goto done;
    d = H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, dapl);
    if (d >= 0 && (psim_h5_attr_str(d, "units", units) < 0 || psim_h5_attr_str(d, "description", description) < 0)) {
        H5Dclose(d);
        d = H5I_INVALID_HID;
    }
done:
    if (dapl >= 0)
        H5Pclose(dapl);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    return d;
}

/* A dataset whose rows are the cohort's patients: stored, or in a merged
 * file without --copy a virtual dataset whose rows [first_k, first_k + n_k)
 * map the same dataset of shard k (its file name relative to the merged file). */
static hid_t make_pp(const psim_h5 *h, hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                     hsize_t rows_per_chunk, int gzip, const char *units, const char *description)
{
    int empty = 0;
    for (int k = 0; k < rank; k++)
        empty |= dims[k] == 0;
    if (!h->vds || h->vds->copy || empty)
        return make_ds(loc, name, type, rank, dims, rows_per_chunk, gzip, units, description);
    char path[1024];
    ssize_t len = H5Iget_name(loc, path, sizeof path);
    if (len <= 0 || (size_t)len + strlen(name) + 2 > sizeof path)
        return H5I_INVALID_HID;
    snprintf(path + len, sizeof path - (size_t)len, "/%s", name);
    hid_t vs = H5Screate_simple(rank, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE), d = H5I_INVALID_HID;
    int ok = vs >= 0 && dcpl >= 0;
    for (int k = 0; ok && k < h->vds->n; k++) {
        hsize_t start[2] = {(hsize_t)h->vds->first[k], 0}, count[2] = {(hsize_t)h->vds->patients[k], rank > 1 ? dims[1] : 1};
        hid_t ss = H5Screate_simple(rank, count, NULL);
        ok = ss >= 0 && H5Sselect_hyperslab(vs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Pset_virtual(dcpl, vs, h->vds->names[k], path, ss) >= 0;
        if (ss >= 0)
            H5Sclose(ss);
    }
    if (ok && H5Sselect_all(vs) >= 0)
        d = H5Dcreate2(loc, name, type, vs, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d >= 0 && (psim_h5_attr_str(d, "units", units) < 0 || psim_h5_attr_str(d, "description", description) < 0)) {
        H5Dclose(d);
        d = H5I_INVALID_HID;
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (vs >= 0)
        H5Sclose(vs);
    return d;
}

/* Write rows [first, first + n) of a rank-1 or rank-2 dataset.  With a
 * collective transfer (parallel files) every rank calls it for the same
 * dataset, and a rank with nothing to write passes n = 0: it takes part in
 * the collective write with an empty selection. */
static herr_t write_rows_x(hid_t d, hid_t dxpl, int collective, hid_t memtype, hsize_t first, hsize_t n, hsize_t cols,
                           int rank, const void *buf)
{
    /* a dataset of no columns is empty on every rank: nothing to write */
    if (rank == 2 && cols == 0)
        return 0;
    if (!collective && n == 0)
        return 0;
    herr_t rc = -1;
    hsize_t start[2] = {first, 0}, count[2] = {n, cols};
    hsize_t one[2] = {1, 1};
    int none = n == 0 || (rank == 2 && cols == 0);
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(rank, none ? one : count, NULL);
    if (fs >= 0 && ms >= 0) {
        if (none ? (H5Sselect_none(fs) >= 0 && H5Sselect_none(ms) >= 0)
                 : H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0) {
            static const unsigned char dummy[16];
            rc = H5Dwrite(d, memtype, ms, fs, dxpl, none ? (const void *)dummy : buf);
        }
    }
    /* keep the error stack of a failed write across the closes below (every
     * successful API call clears it), so the reason reaches the message */
    hid_t es = rc < 0 ? H5Eget_current_stack() : H5I_INVALID_HID;
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    if (es >= 0)
        H5Eset_current_stack(es);
    return rc;
}

/* Whether the file is written by the POSIX driver (direct chunk writes); an
 * MPI-IO file writes chunks collectively. */
static int file_is_sec2(psim_h5 *h)
{
    if (h->sec2 < 0) {
        hid_t fapl = H5Fget_access_plist(h->file);
        h->sec2 = !h->par && fapl >= 0 && H5Pget_driver(fapl) == H5FD_SEC2;
        if (fapl >= 0)
            H5Pclose(fapl);
    }
    return h->sec2;
}

/* What write_rows needs to know of dataset d, looked up once (datasets of a
 * fixed size only: an extensible one, such as the events, changes size). */
static const ds_direct *direct_info(psim_h5 *h, hid_t d, hid_t memtype)
{
    for (int i = 0; i < h->n_dd; i++)
        if (h->dd[i].id == d)
            return &h->dd[i];
    if (h->n_dd == N_DS_DIRECT)
        return NULL;
    ds_direct *x = &h->dd[h->n_dd++];
    memset(x, 0, sizeof *x);
    x->id = d;
    int sec2 = file_is_sec2(h);
    hid_t dcpl = H5Dget_create_plist(d), ft = H5Dget_type(d), sp = H5Dget_space(d);
    hsize_t dims[2] = {0, 1}, maxdims[2] = {0, 1}, chunk[2] = {0, 1};
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    unsigned flags = 0;
    size_t nelmts = 0;
    if (sec2 && dcpl >= 0 && ft >= 0 && (rank == 1 || rank == 2) &&
        H5Sget_simple_extent_dims(sp, dims, maxdims) == rank && maxdims[0] == dims[0] &&
        H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, rank, chunk) == rank && H5Pget_nfilters(dcpl) == 1 &&
        H5Pget_filter2(dcpl, 0, &flags, &nelmts, NULL, 0, NULL, NULL) == H5Z_FILTER_FLETCHER32 &&
        H5Tequal(ft, memtype) > 0 && (rank == 1 || chunk[1] == dims[1])) {
        x->row_bytes = H5Tget_size(memtype) * (size_t)(rank == 2 ? dims[1] : 1);
        x->chunk_rows = chunk[0];
        x->rows = dims[0];
        x->direct = x->row_bytes > 0 && x->chunk_rows > 0;
    }
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    H5Eclear2(H5E_DEFAULT);
    return x;
}

/* Rows [first, first + n) as one whole chunk: the rows, zeros up to the
 * chunk's size where the dataset ends inside it (as HDF5 pads an edge
 * chunk), and the Fletcher32 checksum, little-endian: the bytes HDF5's
 * filter pipeline would store. */
static herr_t write_chunk(psim_h5 *h, const ds_direct *x, hsize_t first, hsize_t n, const void *buf)
{
    size_t bytes = (size_t)x->chunk_rows * x->row_bytes, used = (size_t)n * x->row_bytes;
    if (bytes + 4 > h->chunk_cap) {
        unsigned char *p = realloc(h->chunk, bytes + 4);
        if (!p)
            return -1;
        h->chunk = p;
        h->chunk_cap = bytes + 4;
    }
    memcpy(h->chunk, buf, used);
    memset(h->chunk + used, 0, bytes - used);
    uint32_t c = psim_h5_fletcher32(h->chunk, bytes);
    for (int k = 0; k < 4; k++)
        h->chunk[bytes + (size_t)k] = (unsigned char)(c >> (8 * k));
    hsize_t offset[2] = {first, 0};
    return H5Dwrite_chunk(x->id, H5P_DEFAULT, 0, offset, bytes + 4, h->chunk);
}

/* write_chunk from the caller's buffer, which holds `cap` bytes: when it has
 * room for the whole chunk and its checksum, the padding and the checksum
 * are stored in it and the chunk goes to the file from there (no copy). */
static herr_t write_chunk_in_place(psim_h5 *h, const ds_direct *x, hsize_t first, hsize_t n, unsigned char *buf,
                                   size_t cap)
{
    size_t bytes = (size_t)x->chunk_rows * x->row_bytes, used = (size_t)n * x->row_bytes;
    if (cap < bytes + 4)
        return write_chunk(h, x, first, n, buf);
    memset(buf + used, 0, bytes - used);
    uint32_t c = psim_h5_fletcher32(buf, bytes);
    for (int k = 0; k < 4; k++)
        buf[bytes + (size_t)k] = (unsigned char)(c >> (8 * k));
    hsize_t offset[2] = {first, 0};
    return H5Dwrite_chunk(x->id, H5P_DEFAULT, 0, offset, bytes + 4, buf);
}

/* write_rows of rows that start a buffer of `cap` writable bytes (see
 * write_chunk_in_place). */
static herr_t write_rows_in_place(psim_h5 *h, hid_t d, hid_t memtype, hsize_t first, hsize_t n, hsize_t cols,
                                  unsigned char *buf, size_t cap)
{
    if (!h->par && n > 0 && cols > 0) {
        const ds_direct *x = direct_info(h, d, memtype);
        if (x && x->direct && first % x->chunk_rows == 0 &&
            (n == x->chunk_rows || (n < x->chunk_rows && first + n == x->rows)))
            return write_chunk_in_place(h, x, first, n, buf, cap);
    }
    return write_rows_x(d, h->dxpl, h->par, memtype, first, n, cols, 2, buf);
}

static herr_t write_rows(psim_h5 *h, hid_t d, hid_t memtype, hsize_t first, hsize_t n, hsize_t cols, int rank,
                         const void *buf)
{
    if (!h->par && n > 0 && !(rank == 2 && cols == 0)) {
        const ds_direct *x = direct_info(h, d, memtype);
        if (x && x->direct && first % x->chunk_rows == 0 &&
            (n == x->chunk_rows || (n < x->chunk_rows && first + n == x->rows)))
            return write_chunk(h, x, first, n, buf);
    }
    return write_rows_x(d, h->dxpl, h->par, memtype, first, n, cols, rank, buf);
}

/* A whole small dataset; in a parallel file rank 0 writes it (the others
 * take part with nothing selected). */
static herr_t write_all(psim_h5 *h, hid_t d, hid_t memtype, const void *buf)
{
    if (!h->par)
        return H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    herr_t rc = -1;
    hid_t fs = H5Dget_space(d);
    hssize_t n = fs >= 0 ? H5Sget_simple_extent_npoints(fs) : -1;
    if (n >= 0)
        rc = write_rows(h, d, memtype, 0, h->rank == 0 ? (hsize_t)n : 0, 1, 1, buf);
    if (fs >= 0)
        H5Sclose(fs);
    return rc;
}

static void close_id(hid_t *id)
{
    if (*id >= 0) {
        switch (H5Iget_type(*id)) {
        case H5I_DATASET: H5Dclose(*id); break;
        case H5I_GROUP: H5Gclose(*id); break;
        case H5I_DATATYPE: H5Tclose(*id); break;
        case H5I_FILE: H5Fclose(*id); break;
        default: break;
        }
    }
    *id = H5I_INVALID_HID;
}

static void iso_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- create ----------------------------------------------------------- */

static void h5_free_extra(psim_h5 *h)
{
    if (h->dxpl >= 0 && h->dxpl != H5P_DEFAULT)
        H5Pclose(h->dxpl);
    h->dxpl = H5P_DEFAULT;
    for (int s = 0; s < PSIM_MAX_STRATEGIES; s++) {
        if (h->ev[s].spill)
            fclose(h->ev[s].spill);
        memset(&h->ev[s], 0, sizeof h->ev[s]);
        free(h->s[s].ev_pack);
        h->s[s].ev_pack = NULL;
    }
    free(h->chunk);
    h->chunk = NULL;
    h->chunk_cap = 0;
}

/* /scenario/text and /scenario/resolved (variable-length strings). */
static psim_status write_scenario_text(hid_t g, const psim_scenario *scn, char **resolved, const char *out_path,
                                       psim_error *err)
{
    psim_status st = PSIM_OK;
    CHECK(psim_h5_write_str(g, "text", scn->source_text ? scn->source_text : "", "YAML text",
                            "the scenario file as read"),
          "write /scenario/text");
    st = psim_scenario_to_yaml(scn, resolved, err);
    if (st != PSIM_OK)
        goto cleanup;
    CHECK(psim_h5_write_str(g, "resolved", *resolved, "YAML text",
                            "the scenario with every default filled in and --set applied (painsim validate)"),
          "write /scenario/resolved");
cleanup:
    return st;
}

/* ---- the blocks' partial sums of a shard -------------------------------- */

/* /partial_sums/<strategy>/: one row per block of the shard, in block order. */
enum { P_COUNTS, P_SUMS, P_PAIR, P_VAS, P_RESP, P_AE };
#define N_COUNTS 10
#define N_SUMS 14

static void partial_widths(const psim_h5 *h, int s, hsize_t w[N_PARTIAL_DS])
{
    w[P_COUNTS] = N_COUNTS;
    w[P_SUMS] = N_SUMS;
    w[P_PAIR] = 5 * (hsize_t)h->scn->n_strategies;
    w[P_VAS] = 4 * (hsize_t)h->H;
    w[P_RESP] = (hsize_t)h->H;
    w[P_AE] = (hsize_t)psim_model_n_ae(h->m, s);
}

/* One strategy's sums of one block as the rows of the six datasets. */
static void partial_pack(const psim_strategy_summary *ss, int S, int H, int64_t *counts, double *sums, double *pair,
                         double *vas, int64_t *resp, int64_t *ae)
{
    const int64_t c[N_COUNTS] = {ss->patients,    ss->eligible,    ss->treated,     ss->with_session,
                                 ss->first_responders, ss->persist_den, ss->persist_num, ss->recover_den,
                                 ss->recover_num, ss->antibody};
    const double d[N_SUMS] = {ss->sessions_sum, ss->sessions_sumsq, ss->units_sum,   ss->units_sumsq,
                              ss->cost_sum,     ss->cost_sumsq,     ss->qaly_sum,    ss->qaly_sumsq,
                              ss->cost_qaly_sum, ss->dcost_sum,     ss->dcost_sumsq, ss->dqaly_sum,
                              ss->dqaly_sumsq,  ss->dcost_dqaly_sum};
    memcpy(counts, c, sizeof c);
    memcpy(sums, d, sizeof d);
    for (int j = 0; j < S; j++) {
        pair[5 * j] = ss->pair[j].dcost_sum;
        pair[5 * j + 1] = ss->pair[j].dcost_sumsq;
        pair[5 * j + 2] = ss->pair[j].dqaly_sum;
        pair[5 * j + 3] = ss->pair[j].dqaly_sumsq;
        pair[5 * j + 4] = ss->pair[j].dcost_dqaly_sum;
    }
    for (int t = 0; t < H; t++) {
        vas[t] = ss->vas_sum[t];
        vas[H + t] = ss->vas_sumsq[t];
        vas[2 * H + t] = ss->vas_treated_sum[t];
        vas[3 * H + t] = ss->vas_treated_sumsq[t];
        resp[t] = ss->responders[t];
    }
    for (int k = 0; k < ss->n_ae; k++)
        ae[k] = ss->ae_count[k];
}

static void partial_unpack(psim_strategy_summary *ss, int S, int H, const int64_t *c, const double *d,
                           const double *pair, const double *vas, const int64_t *resp, const int64_t *ae)
{
    ss->patients = c[0];
    ss->eligible = c[1];
    ss->treated = c[2];
    ss->with_session = c[3];
    ss->first_responders = c[4];
    ss->persist_den = c[5];
    ss->persist_num = c[6];
    ss->recover_den = c[7];
    ss->recover_num = c[8];
    ss->antibody = c[9];
    ss->sessions_sum = d[0];
    ss->sessions_sumsq = d[1];
    ss->units_sum = d[2];
    ss->units_sumsq = d[3];
    ss->cost_sum = d[4];
    ss->cost_sumsq = d[5];
    ss->qaly_sum = d[6];
    ss->qaly_sumsq = d[7];
    ss->cost_qaly_sum = d[8];
    ss->dcost_sum = d[9];
    ss->dcost_sumsq = d[10];
    ss->dqaly_sum = d[11];
    ss->dqaly_sumsq = d[12];
    ss->dcost_dqaly_sum = d[13];
    for (int j = 0; j < S; j++) {
        ss->pair[j].dcost_sum = pair[5 * j];
        ss->pair[j].dcost_sumsq = pair[5 * j + 1];
        ss->pair[j].dqaly_sum = pair[5 * j + 2];
        ss->pair[j].dqaly_sumsq = pair[5 * j + 3];
        ss->pair[j].dcost_dqaly_sum = pair[5 * j + 4];
    }
    for (int t = 0; t < H; t++) {
        ss->vas_sum[t] = vas[t];
        ss->vas_sumsq[t] = vas[H + t];
        ss->vas_treated_sum[t] = vas[2 * H + t];
        ss->vas_treated_sumsq[t] = vas[3 * H + t];
        ss->responders[t] = resp[t];
    }
    for (int k = 0; k < ss->n_ae; k++)
        ss->ae_count[k] = ae[k];
}

static hid_t make_ds(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                     hsize_t rows_per_chunk, int gzip, const char *units, const char *description);

static psim_status partial_create(psim_h5 *h, const psim_run_layout *l, psim_error *err)
{
    psim_status st = PSIM_OK;
    const char *out_path = h->path;
    hid_t g = H5Gcreate2(h->file, "partial_sums", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), sg = H5I_INVALID_HID;
    CHECK(g, "create /partial_sums");
    CHECK(psim_h5_attr_str(g, "description",
                           "each block's partial sums, one row per block in block order: painsim merge adds "
                           "them in that order to recompute /results exactly"),
          "write /partial_sums attributes");
    hsize_t nb = (hsize_t)l->n_blocks;
    h->partial_index = make_ds(g, "block_index", H5T_STD_I64LE, 1, &nb, 1024, 0, "index",
                               "the cohort's block of each row (patients index x block_size ...)");
    CHECK(h->partial_index, "create /partial_sums/block_index");
    static const char *const names[N_PARTIAL_DS] = {"counts", "sums", "pair_sums", "vas_sums", "responders",
                                                    "adverse_events"};
    static const char *const units[N_PARTIAL_DS] = {"count", "mixed: see description", "mixed: see description",
                                                    "cm, cm^2", "count", "count"};
    static const char *const desc[N_PARTIAL_DS] = {
        "patients, eligible, treated, with_session, first_responders, persist_den, persist_num, recover_den, "
        "recover_num, antibody",
        "sessions_sum (count), sessions_sumsq, units_sum (U), units_sumsq, cost_sum (currency), cost_sumsq, "
        "qaly_sum (QALY), qaly_sumsq, cost_qaly_sum, dcost_sum, dcost_sumsq, dqaly_sum, dqaly_sumsq, dcost_dqaly_sum",
        "for each strategy j: dcost_sum, dcost_sumsq, dqaly_sum, dqaly_sumsq, dcost_dqaly_sum of this strategy minus j",
        "per day: sum of VAS over all patients, its squares, the same over the treated (4 x horizon_days)",
        "per day: treated patients with VAS <= B/2",
        "adverse events of each kind of the strategy"};
    for (int s = 0; s < h->scn->n_strategies; s++) {
        sg = H5Gcreate2(g, h->scn->strategies[s].name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        CHECK(sg, "create a /partial_sums group");
        hsize_t w[N_PARTIAL_DS];
        partial_widths(h, s, w);
        for (int k = 0; k < N_PARTIAL_DS; k++) {
            if (w[k] == 0)
                continue;
            hsize_t dims[2] = {nb, w[k]};
            hid_t type = k == P_COUNTS || k == P_RESP || k == P_AE ? H5T_STD_I64LE : H5T_IEEE_F64LE;
            h->partial[s][k] = make_ds(sg, names[k], type, 2, dims, 1, 0, units[k], desc[k]);
            CHECK(h->partial[s][k], "create a /partial_sums dataset");
        }
        close_id(&sg);
    }
cleanup:
    close_id(&sg);
    close_id(&g);
    return st;
}

/* A writer for the file `display` of model m, every HDF5 id invalid (NULL
 * when out of memory).  Both ways of starting a writer (h5_create and
 * psim_h5_reopen_serial) begin here. */
static psim_h5 *h5_new(psim_outfile *o, const char *display, const psim_model *m)
{
    psim_h5 *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->dxpl = H5P_DEFAULT;
    snprintf(h->path, sizeof h->path, "%s", display);
    h->o = o;
    h->m = m;
    h->scn = psim_model_scenario(m);
    h->H = h->scn->horizon_days;
    h->R = psim_model_n_recorded(m);
    h->N = (hsize_t)h->scn->patients;
    h->file = h->day_scale = h->simday_scale = H5I_INVALID_HID;
    h->partial_index = H5I_INVALID_HID;
    for (int s = 0; s < PSIM_MAX_STRATEGIES; s++)
        for (int k = 0; k < N_PARTIAL_DS; k++)
            h->partial[s][k] = H5I_INVALID_HID;
    h->sec2 = -1;
    for (int k = 0; k < N_COHORT_DS; k++)
        h->cohort[k] = H5I_INVALID_HID;
    for (int s = 0; s < PSIM_MAX_STRATEGIES; s++) {
        strat_ds *sd = &h->s[s];
        sd->group = sd->vas = sd->treated = sd->sessions = sd->antibody = sd->units = H5I_INVALID_HID;
        sd->session_day = sd->latent = sd->observed = sd->events = H5I_INVALID_HID;
        sd->cost = sd->qaly = H5I_INVALID_HID;
        sd->ev_mem = sd->ev_file = H5I_INVALID_HID;
        for (int k = 0; k < PSIM_MAX_STRATEGY_AE; k++)
            sd->ae[k] = H5I_INVALID_HID;
    }
    return h;
}

/* Close every dataset, type and group of the file (not the file). */
static void close_objects(psim_h5 *h)
{
    for (int s = 0; s < PSIM_MAX_STRATEGIES; s++) {
        strat_ds *sd = &h->s[s];
        hid_t *ids[] = {&sd->vas, &sd->treated, &sd->sessions, &sd->antibody, &sd->units,
                        &sd->session_day, &sd->latent, &sd->observed, &sd->events, &sd->ev_mem, &sd->cost, &sd->qaly,
                        &sd->ev_file, &sd->group};
        for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
            close_id(ids[k]);
        for (int k = 0; k < PSIM_MAX_STRATEGY_AE; k++)
            close_id(&sd->ae[k]);
    }
    for (int k = 0; k < N_COHORT_DS; k++)
        close_id(&h->cohort[k]);
    close_id(&h->day_scale);
    close_id(&h->simday_scale);
    close_id(&h->partial_index);
    for (int s = 0; s < PSIM_MAX_STRATEGIES; s++)
        for (int k = 0; k < N_PARTIAL_DS; k++)
            close_id(&h->partial[s][k]);
}

/* How the file comes to exist: a serial file is created through the
 * psim_outfile `o` (psim_outfile_h5_create); a parallel one (comm: the MPI
 * communicator, MPI_Comm *, of the ranks that create and write it together)
 * by every rank at h5_name, the partial file rank 0 began. */
typedef struct h5_origin {
    psim_outfile *o;
    int force;
    psim_notice_fn notice;
    void *notice_data;
    const char *h5_name;
    const void *comm;
    const psim_run_layout *layout; /* may be NULL: the whole cohort */
    const psim_h5_vds *vds;        /* a merged file */
} h5_origin;

static psim_status h5_create(const h5_origin *from, const char *display, const psim_model *m,
                             const char *command_line, psim_h5 **out, psim_error *err)
{
    const void *comm = from->comm;
    const psim_run_layout *layout = from->layout;
    const psim_h5_vds *vds = from->vds;
    psim_status st = PSIM_OK;
    const char *out_path = display;
    *out = NULL;
    /* Do not let HDF5 close files again at exit after a failed close (a
     * full disk): HDF5 1.10 can crash there.  The writer closes what it opens. */
    H5dont_atexit();
    /* The library reports HDF5 failures through psim_error, not on stderr. */
    psim_h5_quiet();
    psim_h5 *h = h5_new(from->o, display, m);
    if (!h)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
    h->vds = vds;
    if (layout && layout->shard_count > 0 && !vds) {
        h->shard = 1;
        h->first = (hsize_t)layout->first_patient;
        h->N = (hsize_t)layout->patients;
    }
    const psim_scenario *scn = h->scn;
    const hsize_t bs = (hsize_t)scn->block_size;
    hid_t g = H5I_INVALID_HID, fapl = H5I_INVALID_HID;
    int *days = NULL;
    char *resolved = NULL;

    fapl = H5Pcreate(H5P_FILE_ACCESS);
    CHECK(fapl, "create file access properties");
    /* Bound the metadata cache: by default it grows towards 32 MiB as the
     * chunk indices of a large cohort grow; a small cache keeps the memory of
     * a run independent of the cohort size (blocks are written once, in order). */
    H5AC_cache_config_t mdc;
    memset(&mdc, 0, sizeof mdc);
    mdc.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    CHECK(H5Pget_mdc_config(fapl, &mdc), "read the metadata cache settings");
    mdc.set_initial_size = 1;
    mdc.initial_size = 2 * 1024 * 1024;
    mdc.min_size = 1024 * 1024;
    mdc.max_size = 4 * 1024 * 1024;
    CHECK(H5Pset_mdc_config(fapl, &mdc), "set the metadata cache size");
    char created_at[32];
    iso_now(created_at, sizeof created_at);
    if (comm) {
#ifdef PAINSIM_HAVE_MPI
        /* Every rank opens the file through MPI-IO and takes part in every
         * write: raw data collectively (HDF5 1.10 writes filtered chunks,
         * gzip and Fletcher32, only in collective mode), metadata as HDF5
         * requires (every rank makes the same calls with the same values). */
        h->par = 1;
        h->comm = *(const MPI_Comm *)comm;
        MPI_Comm_rank(h->comm, &h->rank);
        CHECK(H5Pset_fapl_mpio(fapl, h->comm, MPI_INFO_NULL), "set MPI-IO file access");
        h->dxpl = H5Pcreate(H5P_DATASET_XFER);
        CHECK(h->dxpl, "create transfer properties");
        CHECK(H5Pset_dxpl_mpio(h->dxpl, H5FD_MPIO_COLLECTIVE), "set collective transfers");
        /* one creation time for the attribute every rank writes */
        MPI_Bcast(created_at, (int)sizeof created_at, MPI_CHAR, 0, h->comm);
#else
        st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "this painsim was built without MPI");
        goto cleanup;
#endif
    }
    if (comm) {
        /* the same format and locking as a serial file (outfile.c) */
        hid_t p = psim_outfile_h5_fapl(fapl);
        CHECK(p, "set the file access properties");
        h->file = H5Fcreate(from->h5_name, H5F_ACC_TRUNC, H5P_DEFAULT, p);
        H5Pclose(p);
        CHECK(h->file, "create the output file");
    } else {
        st = psim_outfile_h5_create(from->o, display, from->force, from->notice, from->notice_data, fapl, &h->file,
                                    err);
        if (st != PSIM_OK)
            goto cleanup;
    }

    /* root attributes */
    CHECK(psim_h5_attr_str(h->file, "painsim_version", PAINSIM_VERSION), "write attributes");
    CHECK(psim_h5_attr_str(h->file, "model_version", PSIM_MODEL_VERSION), "write attributes");
    CHECK(psim_h5_attr_str(h->file, "scenario_name", scn->name), "write attributes");
    CHECK(psim_h5_attr_str(h->file, "created", created_at), "write attributes");
    CHECK(psim_h5_attr_str(h->file, "command_line", command_line ? command_line : ""), "write attributes");
    CHECK(psim_h5_attr_num(h->file, "seed", H5T_NATIVE_UINT64, &scn->seed), "write attributes");
    int64_t patients = scn->patients;
    CHECK(psim_h5_attr_num(h->file, "patients", H5T_NATIVE_INT64, &patients), "write attributes");
    CHECK(psim_h5_attr_num(h->file, "horizon_days", H5T_NATIVE_INT, &scn->horizon_days), "write attributes");
    CHECK(psim_h5_attr_num(h->file, "record_every_days", H5T_NATIVE_INT, &scn->output.record_every_days),
          "write attributes");
    CHECK(psim_h5_attr_num(h->file, "block_size", H5T_NATIVE_INT, &scn->block_size), "write attributes");
    CHECK(psim_h5_attr_str(h->file, "reference", scn->reference), "write attributes");
    CHECK(psim_h5_write_provenance(h->file, scn, vds ? "merged" : h->shard ? "shard" : "run", layout),
          "write the provenance attributes");
    if (vds) {
        CHECK(psim_h5_attr_num(h->file, "merged_shards", H5T_NATIVE_INT, &vds->n), "write attributes");
        CHECK(psim_h5_attr_str(h->file, "merged_layout", vds->copy ? "copy" : "virtual"), "write attributes");
    }

    /* the scenario, as given and as resolved */
    g = H5Gcreate2(h->file, "scenario", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(g, "create /scenario");
    /* Parallel HDF5 1.10 cannot write variable-length strings: in a
     * parallel file rank 0 writes them after the parallel part
     * (psim_h5_reopen_serial). */
    if (!h->par) {
        st = write_scenario_text(g, scn, &resolved, out_path, err);
        if (st != PSIM_OK)
            goto cleanup;
    }
    CHECK(psim_h5_attr_str(g, "source_path", scn->source_path), "write /scenario attributes");
    close_id(&g);

    /* time */
    g = H5Gcreate2(h->file, "time", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(g, "create /time");
    int nd = h->R > h->H ? h->R : h->H;
    days = malloc((size_t)nd * sizeof *days);
    if (!days) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    hsize_t dimR = (hsize_t)h->R, dimH = (hsize_t)h->H;
    for (int r = 0; r < h->R; r++)
        days[r] = psim_model_recorded_day(m, r);
    h->day_scale = make_ds(g, "day", H5T_STD_I32LE, 1, &dimR, 0, 0, "day",
                           "recorded days (day 0 = start of the horizon); dimension scale of vas_mm");
    CHECK(h->day_scale, "create /time/day");
    CHECK(write_all(h, h->day_scale, H5T_NATIVE_INT, days), "write /time/day");
    CHECK(H5DSset_scale(h->day_scale, "day"), "make /time/day a dimension scale");
    for (int t = 0; t < h->H; t++)
        days[t] = t;
    h->simday_scale = make_ds(g, "simulated_day", H5T_STD_I32LE, 1, &dimH, 0, 0, "day",
                              "every simulated day; dimension scale of the daily summaries");
    CHECK(h->simday_scale, "create /time/simulated_day");
    CHECK(write_all(h, h->simday_scale, H5T_NATIVE_INT, days), "write /time/simulated_day");
    CHECK(H5DSset_scale(h->simday_scale, "simulated_day"), "make /time/simulated_day a dimension scale");
    close_id(&g);

    /* cohort */
    g = H5Gcreate2(h->file, "cohort", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(g, "create /cohort");
    h->cohort[0] = make_pp(h, g, "baseline_vas", H5T_IEEE_F64LE, 1, &h->N, bs, 0, "cm",
                           "baseline pain B on the 0-10 cm visual analogue scale");
    h->cohort[1] = make_pp(h, g, "pain_duration_months", H5T_IEEE_F64LE, 1, &h->N, bs, 0, "month",
                           "duration of pain before the start");
    h->cohort[2] = make_pp(h, g, "lumbar_levels", H5T_STD_U8LE, 1, &h->N, bs, 0, "count",
                           "affected lumbar levels (1-5); sets the dose");
    h->cohort[3] = make_pp(h, g, "myofascial", H5T_STD_U8LE, 1, &h->N, bs, 0, "1 (boolean)",
                           "myofascial pain syndrome (trigger points) present");
    h->cohort[4] = make_pp(h, g, "aspirin_recent", H5T_STD_U8LE, 1, &h->N, bs, 0, "1 (boolean)",
                           "aspirin within the last days: the first session is delayed");
    h->cohort[5] = make_pp(h, g, "eligible", H5T_STD_U8LE, 1, &h->N, bs, 0, "1 (boolean)",
                           "eligible for injection treatments: myofascial and no contraindication");
    for (int k = 0; k < PSIM_N_CONTRA; k++) {
        char desc[128];
        snprintf(desc, sizeof desc, "contraindication to injections: %s", psim_contra_names[k]);
        h->cohort[6 + k] = make_pp(h, g, psim_contra_names[k], H5T_STD_U8LE, 1, &h->N, bs, 0,
                                   "1 (boolean)", desc);
    }
    for (int k = 0; k < N_COHORT_DS; k++)
        CHECK(h->cohort[k], "create a /cohort dataset");
    close_id(&g);

    /* strategies */
    hid_t sg = H5Gcreate2(h->file, "strategies", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    g = sg;
    CHECK(g, "create /strategies");
    for (int s = 0; s < scn->n_strategies; s++) {
        const psim_strategy *stg = &scn->strategies[s];
        strat_ds *sd = &h->s[s];
        sd->M = psim_model_max_sessions(m, s);
        sd->n_ae = psim_model_n_ae(m, s);
        sd->group = H5Gcreate2(sg, stg->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        CHECK(sd->group, "create a strategy group");
        CHECK(psim_h5_attr_str(sd->group, "treatment", stg->treatment), "write strategy attributes");
        CHECK(psim_h5_attr_str(sd->group, "fallback", stg->fallback), "write strategy attributes");
        if (scn->output.trajectories) {
            hsize_t dims[2] = {h->N, (hsize_t)h->R};
            sd->vas = make_pp(h, sd->group, "vas_mm", H5T_STD_U8LE, 2, dims, bs, scn->output.compression,
                              "mm", "VAS(t) in millimetres (0-100), patients x recorded days");
            CHECK(sd->vas, "create vas_mm");
            CHECK(H5DSattach_scale(sd->vas, h->day_scale, 1), "attach /time/day to vas_mm");
        }
        sd->treated = make_pp(h, sd->group, "treated", H5T_STD_U8LE, 1, &h->N, bs, 0, "1 (boolean)",
                              "received the strategy's own treatment (else the fallback)");
        sd->sessions = make_pp(h, sd->group, "sessions", H5T_STD_U8LE, 1, &h->N, bs, 0, "count",
                               "sessions given over the horizon");
        sd->units = make_pp(h, sd->group, "units", H5T_STD_U32LE, 1, &h->N, bs, 0, "U",
                            "total dose over the horizon, units of botulinum toxin (0 for other treatments)");
        sd->antibody = make_pp(h, sd->group, "antibody_positive", H5T_STD_U8LE, 1, &h->N, bs, 0,
                               "1 (boolean)", "turned antibody-positive (secondary non-response)");
        hsize_t dims2[2] = {h->N, (hsize_t)sd->M};
        sd->session_day = make_pp(h, sd->group, "session_day", H5T_STD_I32LE, 2, dims2, bs, 0, "day",
                                  "day of session j (columns), -1 where no session");
        sd->latent = make_pp(h, sd->group, "latent_response", H5T_STD_I8LE, 2, dims2, bs, 0,
                             "1 (boolean)", "latent response R_j of session j, -1 where no session");
        sd->observed = make_pp(h, sd->group, "observed_response", H5T_STD_I8LE, 2, dims2, bs, 0,
                               "1 (boolean)",
                               "VAS <= B/2 assess_after_days after session j, -1 where not assessed");
        sd->cost = make_pp(h, sd->group, "cost", H5T_IEEE_F64LE, 1, &h->N, bs, 0, scn->economics.currency,
                           "discounted cost over the horizon: drug, sessions, adverse events");
        sd->qaly = make_pp(h, sd->group, "qaly", H5T_IEEE_F64LE, 1, &h->N, bs, 0, "QALY",
                           "discounted quality-adjusted life years over the horizon");
        CHECK(sd->cost, "create a strategy dataset");
        CHECK(sd->qaly, "create a strategy dataset");
        CHECK(sd->treated, "create a strategy dataset");
        CHECK(sd->sessions, "create a strategy dataset");
        CHECK(sd->units, "create a strategy dataset");
        CHECK(sd->antibody, "create a strategy dataset");
        CHECK(sd->session_day, "create a strategy dataset");
        CHECK(sd->latent, "create a strategy dataset");
        CHECK(sd->observed, "create a strategy dataset");
        hid_t aeg = H5Gcreate2(sd->group, "adverse_events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        CHECK(aeg, "create adverse_events");
        for (int k = 0; k < sd->n_ae && aeg >= 0; k++) {
            sd->ae[k] = make_pp(h, aeg, psim_model_ae_name(m, s, k), H5T_STD_U16LE, 1, &h->N, bs, 0, "count",
                                "adverse events of this kind over the horizon");
        }
        H5Gclose(aeg);
        for (int k = 0; k < sd->n_ae; k++)
            CHECK(sd->ae[k], "create an adverse-event dataset");

        /* events table: compound {patient, day, session, kind (enum)} */
        hid_t kind = H5Tenum_create(H5T_NATIVE_UINT8);
        CHECK(kind, "create the event kind type");
        uint8_t v = PSIM_EVENT_SESSION;
        herr_t rc = H5Tenum_insert(kind, "session", &v);
        v = PSIM_EVENT_ANTIBODY;
        if (rc >= 0)
            rc = H5Tenum_insert(kind, "antibody_positive", &v);
        for (int k = 0; k < sd->n_ae && rc >= 0; k++) {
            v = (uint8_t)(PSIM_EVENT_AE0 + k);
            rc = H5Tenum_insert(kind, psim_model_ae_name(m, s, k), &v);
        }
        sd->ev_mem = H5Tcreate(H5T_COMPOUND, sizeof(psim_event));
        if (rc >= 0 && sd->ev_mem >= 0) {
            if (H5Tinsert(sd->ev_mem, "patient", HOFFSET(psim_event, patient), H5T_NATIVE_INT64) < 0 ||
                H5Tinsert(sd->ev_mem, "day", HOFFSET(psim_event, day), H5T_NATIVE_INT32) < 0 ||
                H5Tinsert(sd->ev_mem, "session", HOFFSET(psim_event, session), H5T_NATIVE_INT16) < 0 ||
                H5Tinsert(sd->ev_mem, "kind", HOFFSET(psim_event, kind), kind) < 0)
                rc = -1;
        }
        H5Tclose(kind);
        CHECK(rc, "create the event type");
        CHECK(sd->ev_mem, "create the event type");
        sd->ev_file = H5Tcopy(sd->ev_mem);
        CHECK(sd->ev_file, "create the event type");
        CHECK(H5Tpack(sd->ev_file), "pack the event type");
        hsize_t zero = 0, unlim = H5S_UNLIMITED, chunk = EV_CHUNK, total_events = 0;
        for (int k = 0; vds && !vds->copy && k < vds->n; k++)
            total_events += (hsize_t)vds->events[(size_t)k * (size_t)scn->n_strategies + (size_t)s];
        hid_t esp = total_events > 0 ? H5Screate_simple(1, &total_events, NULL) : H5Screate_simple(1, &zero, &unlim);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        int ok = esp >= 0 && dcpl >= 0;
        if (total_events > 0) {
            /* a merged file: shard k's table fills rows [offset_k, offset_k + rows_k) */
            char path[1024];
            snprintf(path, sizeof path, "/strategies/%s/events", stg->name);
            hsize_t off = 0;
            for (int k = 0; ok && k < vds->n; k++) {
                hsize_t rows = (hsize_t)vds->events[(size_t)k * (size_t)scn->n_strategies + (size_t)s];
                if (rows == 0)
                    continue;
                hid_t ss = H5Screate_simple(1, &rows, NULL);
                ok = ss >= 0 && H5Sselect_hyperslab(esp, H5S_SELECT_SET, &off, NULL, &rows, NULL) >= 0 &&
                     H5Pset_virtual(dcpl, esp, vds->names[k], path, ss) >= 0;
                if (ss >= 0)
                    H5Sclose(ss);
                off += rows;
            }
            if (ok && H5Sselect_all(esp) >= 0)
                sd->events = H5Dcreate2(sd->group, "events", sd->ev_file, esp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
            sd->n_events = total_events;
        } else if (ok && H5Pset_chunk(dcpl, 1, &chunk) >= 0 && H5Pset_fletcher32(dcpl) >= 0) {
            sd->events = H5Dcreate2(sd->group, "events", sd->ev_file, esp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        }
        if (dcpl >= 0)
            H5Pclose(dcpl);
        if (esp >= 0)
            H5Sclose(esp);

        CHECK(sd->events, "create the events table");
        sd->ev_row = H5Tget_size(sd->ev_file);
        for (unsigned k = 0; k < 4; k++)
            sd->ev_off[k] = H5Tget_member_offset(sd->ev_file, k);
        if (!h->par) {
            sd->ev_pack = malloc(EV_CHUNK * sd->ev_row + 4);
            CHECK(sd->ev_pack ? 0 : -1, "allocate the events buffer");
        }
        CHECK(psim_h5_attr_str(sd->events, "units", "patient: index; day: day; session: 1-based number; kind: enum"),
              "write events attributes");
        CHECK(psim_h5_attr_str(sd->events, "description",
                       "one row per session, adverse event and antibody conversion, in patient order"),
              "write events attributes");
    }
    close_id(&g);
    if (h->shard) {
        st = partial_create(h, layout, err);
        if (st != PSIM_OK)
            goto cleanup;
    }
    *out = h;
    h = NULL;

cleanup:
    close_id(&g);
    if (fapl >= 0)
        H5Pclose(fapl);
    free(days);
    free(resolved);
    if (h)
        psim_h5_close(h);
    return st;
}

psim_status psim_h5_create(psim_outfile *o, const char *path, int force, psim_notice_fn notice, void *notice_data,
                           const char *command_line, const psim_model *m, const psim_run_layout *layout,
                           const psim_h5_vds *vds, psim_h5 **out, psim_error *err)
{
    h5_origin from = {.o = o, .force = force, .notice = notice, .notice_data = notice_data, .layout = layout, .vds = vds};
    return h5_create(&from, path, m, command_line, out, err);
}

#ifdef PAINSIM_HAVE_MPI
psim_status psim_h5_create_par(const char *h5_name, const char *display, const psim_model *m,
                               const char *command_line, MPI_Comm comm, psim_h5 **out, psim_error *err)
{
    h5_origin from = {.h5_name = h5_name, .comm = &comm};
    return h5_create(&from, display, m, command_line, out, err);
}

psim_status psim_h5_par_close(psim_h5 *h, psim_error *err)
{
    psim_status st = PSIM_OK;
    psim_h5_quiet();
    const char *out_path = h->path;
    psim_event *ev_rows = NULL, *ev_bkg = NULL;
    /* The events of every strategy: this rank's rows start after those of
     * the ranks before it (their blocks come first). */
    for (int s = 0; s < h->scn->n_strategies; s++) {
        strat_ds *sd = &h->s[s];
        long long count = (long long)h->ev[s].n, offset = 0, total = 0;
        MPI_Exscan(&count, &offset, 1, MPI_LONG_LONG, MPI_SUM, h->comm);
        if (h->rank == 0)
            offset = 0; /* MPI_Exscan leaves rank 0's result undefined */
        MPI_Allreduce(&count, &total, 1, MPI_LONG_LONG, MPI_SUM, h->comm);
        hsize_t size = (hsize_t)total;
        CHECK(H5Dset_extent(sd->events, &size), "extend the events table");
        /* In rounds of EV_ROUND rows read back from the spill file; every
         * rank joins every round (a rank with fewer rows writes an empty
         * selection), as the writes are collective. */
        long long rounds = (count + EV_ROUND - 1) / EV_ROUND, most = 0;
        MPI_Allreduce(&rounds, &most, 1, MPI_LONG_LONG, MPI_MAX, h->comm);
        if (most > 0 && (!ev_rows || !ev_bkg)) {
            ev_rows = malloc(EV_ROUND * sizeof *ev_rows);
            ev_bkg = calloc(EV_ROUND, sizeof *ev_bkg); /* HDF5's compound conversion needs one */
            if (!ev_rows || !ev_bkg) {
                st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the events table");
                goto cleanup;
            }
        }
        if (count > 0 && fseek(h->ev[s].spill, 0, SEEK_SET) != 0) {
            st = psim_error_set(err, PSIM_ERR_IO, NULL, 0, 0, "cannot read the events back: %s", strerror(errno));
            goto cleanup;
        }
        for (long long k = 0; k < most; k++) {
            long long first = k * EV_ROUND, rows = count - first < EV_ROUND ? count - first : EV_ROUND;
            if (rows < 0)
                rows = 0;
            if (rows > 0) {
                if (fread(ev_rows, sizeof *ev_rows, (size_t)rows, h->ev[s].spill) != (size_t)rows) {
                    st = psim_error_set(err, PSIM_ERR_IO, NULL, 0, 0, "cannot read the events back from their "
                                        "temporary file");
                    goto cleanup;
                }
                /* Convert to the packed file type first: a write that
                 * converts compound types is not collective, and HDF5 writes
                 * filtered (Fletcher32) chunks only collectively. */
                CHECK(H5Tconvert(sd->ev_mem, sd->ev_file, (size_t)rows, ev_rows, ev_bkg, H5P_DEFAULT),
                      "convert the events table");
            }
            CHECK(write_rows(h, sd->events, sd->ev_file, (hsize_t)(offset + first), (hsize_t)rows, 1, 1, ev_rows),
                  "write the events table");
        }
        sd->n_events = size;
    }
cleanup:
    free(ev_rows);
    free(ev_bkg);
    if (st != PSIM_OK) {
        psim_h5_close(h);
        return st;
    }
    /* every rank closes every object, then the file (collective) */
    char path[PSIM_ERROR_FILE_MAX];
    snprintf(path, sizeof path, "%s", h->path);
    hid_t file = h->file;
    h->file = H5I_INVALID_HID;
    psim_h5_close(h);
    if (H5Fclose(file) < 0)
        st = psim_h5_fail(err, PSIM_ERR_HDF5, path, "close the output file");
    return st;
}

psim_status psim_h5_reopen_serial(psim_outfile *o, const char *h5_name, const char *display, const psim_model *m,
                                  psim_h5 **out, psim_error *err)
{
    psim_status st = PSIM_OK;
    const char *out_path = display;
    *out = NULL;
    H5dont_atexit();
    psim_h5_quiet();
    psim_h5 *h = h5_new(o, display, m);
    if (!h)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
    hid_t fapl = H5I_INVALID_HID, g = H5I_INVALID_HID;
    char *resolved = NULL;
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    CHECK(fapl, "create file access properties");
    CHECK(H5Pset_fapl_sec2(fapl), "set the file driver");
    {
        hid_t p = psim_outfile_h5_fapl(fapl);
        CHECK(p, "set the file access properties");
        h->file = H5Fopen(h5_name, H5F_ACC_RDWR, p);
        H5Pclose(p);
    }
    CHECK(h->file, "open the output file");
    g = H5Gopen2(h->file, "scenario", H5P_DEFAULT);
    CHECK(g, "open /scenario");
    st = write_scenario_text(g, h->scn, &resolved, out_path, err);
    if (st != PSIM_OK)
        goto cleanup;
    close_id(&g);
    h->simday_scale = H5Dopen2(h->file, "time/simulated_day", H5P_DEFAULT);
    CHECK(h->simday_scale, "open /time/simulated_day");
    g = H5Gopen2(h->file, "strategies", H5P_DEFAULT);
    CHECK(g, "open /strategies");
    for (int s = 0; s < h->scn->n_strategies; s++) {
        strat_ds *sd = &h->s[s];
        sd->group = H5Gopen2(g, h->scn->strategies[s].name, H5P_DEFAULT);
        CHECK(sd->group, "open a strategy group");
        sd->events = H5Dopen2(sd->group, "events", H5P_DEFAULT);
        CHECK(sd->events, "open the events table");
    }
    close_id(&g);
    *out = h;
    h = NULL;
cleanup:
    close_id(&g);
    if (fapl >= 0)
        H5Pclose(fapl);
    free(resolved);
    if (h)
        psim_h5_close(h);
    return st;
}
#endif

/* ---- blocks ----------------------------------------------------------- */

/* Append the pending events of a serial file to the table: a whole chunk
 * straight to the file (with its Fletcher32), the last part of the table
 * through H5Dwrite.  The rows are already in the file's layout, so HDF5
 * converts nothing. */
static herr_t flush_events(psim_h5 *h, strat_ds *sd)
{
    if (sd->ev_pending == 0)
        return 0;
    hsize_t first = sd->n_events, n = sd->ev_pending, newsize = first + n;
    if (H5Dset_extent(sd->events, &newsize) < 0)
        return -1;
    herr_t rc;
    if (n == EV_CHUNK && first % EV_CHUNK == 0 && file_is_sec2(h)) {
        size_t bytes = EV_CHUNK * sd->ev_row;
        uint32_t c = psim_h5_fletcher32(sd->ev_pack, bytes);
        for (int k = 0; k < 4; k++)
            sd->ev_pack[bytes + (size_t)k] = (unsigned char)(c >> (8 * k));
        rc = H5Dwrite_chunk(sd->events, H5P_DEFAULT, 0, &first, bytes + 4, sd->ev_pack);
    } else {
        rc = write_rows(h, sd->events, sd->ev_file, first, n, 1, 1, sd->ev_pack);
    }
    if (rc >= 0) {
        sd->n_events = newsize;
        sd->ev_pending = 0;
    }
    return rc;
}

static psim_status partial_write(psim_h5 *h, int64_t index, const psim_results *part, psim_error *err)
{
    psim_status st = PSIM_OK;
    const char *out_path = h->path;
    const int S = h->scn->n_strategies, H = h->H;
    int64_t counts[N_COUNTS], *resp = malloc((size_t)H * sizeof *resp), ae[PSIM_MAX_STRATEGY_AE + 1];
    double sums[N_SUMS], pair[5 * PSIM_MAX_STRATEGIES], *vas = malloc(4 * (size_t)H * sizeof *vas);
    if (!resp || !vas) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    CHECK(write_rows(h, h->partial_index, H5T_NATIVE_INT64, h->partial_row, 1, 1, 1, &index), "write /partial_sums");
    for (int s = 0; s < S; s++) {
        partial_pack(&part->strategies[s], S, H, counts, sums, pair, vas, resp, ae);
        const void *bufs[N_PARTIAL_DS] = {counts, sums, pair, vas, resp, ae};
        hsize_t w[N_PARTIAL_DS];
        partial_widths(h, s, w);
        for (int k = 0; k < N_PARTIAL_DS; k++)
            if (w[k] > 0)
                CHECK(write_rows(h, h->partial[s][k], k == P_COUNTS || k == P_RESP || k == P_AE ? H5T_NATIVE_INT64
                                                                                              : H5T_NATIVE_DOUBLE,
                                 h->partial_row, 1, w[k], 2, bufs[k]),
                      "write /partial_sums");
    }
    h->partial_row++;
cleanup:
    free(resp);
    free(vas);
    return st;
}

psim_status psim_h5_read_partial(hid_t file, const char *display, const psim_model *m, int64_t row,
                                 int64_t *block_index, psim_results *part, psim_error *err)
{
    psim_status st = PSIM_OK;
    const char *out_path = display;
    const psim_scenario *scn = psim_model_scenario(m);
    const int S = scn->n_strategies, H = scn->horizon_days;
    int64_t counts[N_COUNTS], *resp = malloc((size_t)H * sizeof *resp), ae[PSIM_MAX_STRATEGY_AE + 1];
    double sums[N_SUMS], pair[5 * PSIM_MAX_STRATEGIES], *vas = malloc(4 * (size_t)H * sizeof *vas);
    hid_t d = H5I_INVALID_HID, fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    static const char *const names[N_PARTIAL_DS] = {"counts", "sums", "pair_sums", "vas_sums", "responders",
                                                    "adverse_events"};
    psim_h5_quiet();
    if (!resp || !vas) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    part->patients = 0;
    for (int s = -1; s < S; s++) {
        psim_strategy_summary *ss = s >= 0 ? &part->strategies[s] : NULL;
        hsize_t w[N_PARTIAL_DS] = {N_COUNTS, N_SUMS, 5 * (hsize_t)S, 4 * (hsize_t)H, (hsize_t)H,
                                   s >= 0 ? (hsize_t)ss->n_ae : 0};
        void *bufs[N_PARTIAL_DS] = {counts, sums, pair, vas, resp, ae};
        for (int k = 0; k < N_PARTIAL_DS; k++) {
            char path[PSIM_NAME_MAX + 64];
            if (s < 0) {
                if (k > 0)
                    break;
                snprintf(path, sizeof path, "/partial_sums/block_index");
            } else if (w[k] == 0) {
                continue;
            } else {
                snprintf(path, sizeof path, "/partial_sums/%s/%s", scn->strategies[s].name, names[k]);
            }
            hsize_t cols = s < 0 ? 1 : w[k];
            hsize_t start[2] = {(hsize_t)row, 0}, count[2] = {1, cols}, dims[2] = {0, 0};
            int rank = s < 0 ? 1 : 2;
            d = H5Dopen2(file, path, H5P_DEFAULT);
            CHECK(d, "open the partial sums");
            fs = H5Dget_space(d);
            CHECK(fs, "read the partial sums");
            if (H5Sget_simple_extent_ndims(fs) != rank || H5Sget_simple_extent_dims(fs, dims, NULL) < 0 ||
                dims[0] <= (hsize_t)row || (rank == 2 && dims[1] != cols)) {
                st = psim_error_set(err, PSIM_ERR_INPUT, display, 0, 0,
                                    "damaged shard: %s has the wrong shape for this scenario", path);
                goto cleanup;
            }
            ms = H5Screate_simple(rank, count, NULL);
            CHECK(ms, "read the partial sums");
            CHECK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL), "read the partial sums");
            hid_t mt = k == P_COUNTS || k == P_RESP || k == P_AE || s < 0 ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE;
            CHECK(H5Dread(d, mt, ms, fs, H5P_DEFAULT, s < 0 ? (void *)block_index : bufs[k]), "read the partial sums");
            H5Sclose(ms);
            ms = H5I_INVALID_HID;
            H5Sclose(fs);
            fs = H5I_INVALID_HID;
            H5Dclose(d);
            d = H5I_INVALID_HID;
        }
        if (ss) {
            partial_unpack(ss, S, H, counts, sums, pair, vas, resp, ae);
            part->patients = ss->patients;
        }
    }
cleanup:
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    if (d >= 0)
        H5Dclose(d);
    free(resp);
    free(vas);
    return st;
}

psim_status psim_h5_write_partial(psim_h5 *h, int64_t index, const psim_results *partial, psim_error *err)
{
    psim_h5_quiet();
    return h->shard ? partial_write(h, index, partial, err) : PSIM_OK;
}

psim_status psim_h5_write_block(psim_h5 *h, const psim_block *b, psim_error *err)
{
    psim_status st = PSIM_OK;
    psim_h5_quiet();
    const char *out_path = h->path;
    /* b == NULL: a rank of a parallel file with no block in this round */
    const hsize_t first = b ? (hsize_t)b->first - h->first : 0, n = b ? (hsize_t)b->n : 0;
    const size_t bs = (size_t)h->scn->block_size;
#define COL(expr) (b ? (const void *)(expr) : NULL)
    CHECK(write_rows(h, h->cohort[0], H5T_NATIVE_DOUBLE, first, n, 1, 1, COL(b->baseline_vas)), "write /cohort");
    CHECK(write_rows(h, h->cohort[1], H5T_NATIVE_DOUBLE, first, n, 1, 1, COL(b->pain_duration_months)),
          "write /cohort");
    CHECK(write_rows(h, h->cohort[2], H5T_NATIVE_UINT8, first, n, 1, 1, COL(b->lumbar_levels)), "write /cohort");
    CHECK(write_rows(h, h->cohort[3], H5T_NATIVE_UINT8, first, n, 1, 1, COL(b->myofascial)), "write /cohort");
    CHECK(write_rows(h, h->cohort[4], H5T_NATIVE_UINT8, first, n, 1, 1, COL(b->aspirin_recent)), "write /cohort");
    CHECK(write_rows(h, h->cohort[5], H5T_NATIVE_UINT8, first, n, 1, 1, COL(b->eligible)), "write /cohort");
    for (int k = 0; k < PSIM_N_CONTRA; k++)
        CHECK(write_rows(h, h->cohort[6 + k], H5T_NATIVE_UINT8, first, n, 1, 1, COL(b->contra[k])),
              "write /cohort");
    for (int s = 0; s < h->scn->n_strategies; s++) {
        strat_ds *sd = &h->s[s];
        const strat_block *sb = b ? &b->s[s] : NULL;
        if (sd->vas >= 0)
            CHECK(write_rows_in_place(h, sd->vas, H5T_NATIVE_UINT8, first, n, (hsize_t)h->R, b ? sb->vas_mm : NULL,
                                      bs * (size_t)h->R + PSIM_BLOCK_CHUNK_SLACK),
                  "write vas_mm");
        CHECK(write_rows(h, sd->treated, H5T_NATIVE_UINT8, first, n, 1, 1, COL(sb->treated)), "write treated");
        CHECK(write_rows(h, sd->sessions, H5T_NATIVE_UINT8, first, n, 1, 1, COL(sb->sessions)), "write sessions");
        CHECK(write_rows(h, sd->units, H5T_NATIVE_UINT32, first, n, 1, 1, COL(sb->units)), "write units");
        CHECK(write_rows(h, sd->antibody, H5T_NATIVE_UINT8, first, n, 1, 1, COL(sb->antibody)),
              "write antibody_positive");
        CHECK(write_rows(h, sd->cost, H5T_NATIVE_DOUBLE, first, n, 1, 1, COL(sb->cost)), "write cost");
        CHECK(write_rows(h, sd->qaly, H5T_NATIVE_DOUBLE, first, n, 1, 1, COL(sb->qaly)), "write qaly");
        CHECK(write_rows(h, sd->session_day, H5T_NATIVE_INT32, first, n, (hsize_t)sd->M, 2, COL(sb->session_day)),
              "write session_day");
        CHECK(write_rows(h, sd->latent, H5T_NATIVE_INT8, first, n, (hsize_t)sd->M, 2, COL(sb->latent)),
              "write latent_response");
        CHECK(write_rows(h, sd->observed, H5T_NATIVE_INT8, first, n, (hsize_t)sd->M, 2, COL(sb->observed)),
              "write observed_response");
        for (int k = 0; k < sd->n_ae; k++)
            CHECK(write_rows(h, sd->ae[k], H5T_NATIVE_UINT16, first, n, 1, 1, COL(sb->ae_count + (size_t)k * bs)),
                  "write adverse_events");
        if (!sb || sb->n_events == 0)
            continue;
        if (h->par) {
            /* kept until psim_h5_par_close, which knows the rank's offset */
            event_buf *eb = &h->ev[s];
            if (!eb->spill)
                eb->spill = psim_spill_file();
            if (!eb->spill || fwrite(sb->events, sizeof *sb->events, sb->n_events, eb->spill) != sb->n_events) {
                st = psim_error_set(err, PSIM_ERR_IO, NULL, 0, 0,
                                    "cannot keep the events in a temporary file (in $TMPDIR, else /tmp): %s",
                                    strerror(errno));
                goto cleanup;
            }
            eb->n += sb->n_events;
        } else {
            for (size_t e = 0; e < sb->n_events; e++) {
                const psim_event *ev = &sb->events[e];
                unsigned char *row = sd->ev_pack + sd->ev_pending * sd->ev_row;
                memcpy(row + sd->ev_off[0], &ev->patient, sizeof ev->patient);
                memcpy(row + sd->ev_off[1], &ev->day, sizeof ev->day);
                memcpy(row + sd->ev_off[2], &ev->session, sizeof ev->session);
                memcpy(row + sd->ev_off[3], &ev->kind, sizeof ev->kind);
                if (++sd->ev_pending == EV_CHUNK)
                    CHECK(flush_events(h, sd), "write the events table");
            }
        }
    }
#undef COL
    /* a serial file: its written part goes to the disk as the run goes */
    if (!h->par)
        psim_outfile_stream(h->o);
cleanup:
    return st;
}

/* ---- finish ----------------------------------------------------------- */

static herr_t daily_ds(psim_h5 *h, hid_t g, const char *name, const double *v, const char *units,
                       const char *description)
{
    hsize_t dim = (hsize_t)h->H;
    hid_t d = make_ds(g, name, H5T_IEEE_F64LE, 1, &dim, 0, 0, units, description);
    if (d < 0)
        return -1;
    herr_t rc = write_all(h, d, H5T_NATIVE_DOUBLE, v);
    if (rc >= 0)
        rc = H5DSattach_scale(d, h->simday_scale, 0);
    H5Dclose(d);
    return rc;
}

psim_status psim_h5_finish(psim_h5 *h, const psim_results *r, const psim_report *rep, psim_error *err)
{
    psim_status st = PSIM_OK;
    psim_h5_quiet();
    const char *out_path = h->path;
    const int H = h->H, S = r->n_strategies;
    double *a = malloc((size_t)H * sizeof *a), *b = malloc((size_t)H * sizeof *b);
    hid_t g = H5I_INVALID_HID;
    if (!a || !b) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    for (int s = 0; s < S; s++) {
        const psim_strategy_summary *ss = &r->strategies[s];
        if (h->shard) {
            /* a shard's own summaries would mislead: the merged file has them */
            CHECK(flush_events(h, &h->s[s]), "write the events table");
            CHECK(H5Dclose(h->s[s].events), "close the events table");
            h->s[s].events = H5I_INVALID_HID;
            continue;
        }
        g = H5Gcreate2(h->s[s].group, "daily", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        CHECK(g, "create the daily summaries");
        for (int t = 0; t < H; t++)
            a[t] = psim_summary_mean_vas(ss, t, &b[t]);
        CHECK(daily_ds(h, g, "mean_vas", a, "cm", "mean VAS(t) over all patients"), "write daily summaries");
        CHECK(daily_ds(h, g, "mean_vas_se", b, "cm", "Monte Carlo standard error of mean_vas"),
              "write daily summaries");
        for (int t = 0; t < H; t++)
            a[t] = psim_summary_mean_vas_treated(ss, t, &b[t]);
        CHECK(daily_ds(h, g, "mean_vas_treated", a, "cm",
                       "mean VAS(t) over patients who received the strategy's own treatment"),
              "write daily summaries");
        CHECK(daily_ds(h, g, "mean_vas_treated_se", b, "cm", "Monte Carlo standard error of mean_vas_treated"),
              "write daily summaries");
        for (int t = 0; t < H; t++)
            a[t] = psim_summary_observed_response(ss, t, &b[t]);
        CHECK(daily_ds(h, g, "observed_response", a, "1 (fraction)",
                       "fraction of the treated with VAS(t) <= B/2"),
              "write daily summaries");
        CHECK(daily_ds(h, g, "observed_response_se", b, "1 (fraction)",
                       "Monte Carlo standard error of observed_response"),
              "write daily summaries");
        close_id(&g);
        CHECK(flush_events(h, &h->s[s]), "write the events table");
        CHECK(H5Dclose(h->s[s].events), "close the events table");
        h->s[s].events = H5I_INVALID_HID;
    }

    /* /results: the economics and summary tables */
    if (!h->shard)
        st = psim_report_write_h5(h->file, rep, err);

cleanup:
    close_id(&g);
    free(a);
    free(b);
    close_objects(h);
    h5_free_extra(h);
    st = psim_outfile_h5_finish(h->o, &h->file, st, err);
    free(h);
    return st;
}

void psim_h5_close(psim_h5 *h)
{
    if (!h)
        return;
    close_objects(h);
    close_id(&h->file);
    h5_free_extra(h);
    H5Eclear2(H5E_DEFAULT);
    free(h);
}

/* ---- merging shards ---------------------------------------------------- */

/* Copy (or with h NULL only read) rows [0, patients) of dataset `path` of the
 * shard to rows [first, ...) of the same dataset of h, block_size rows at a
 * time (whole chunks of the output). */
static psim_status copy_rows(psim_h5 *h, hid_t shard, const char *display, const char *path, int64_t first,
                             int64_t patients, size_t rows_per_piece, psim_error *err)
{
    psim_status st = PSIM_OK;
    hid_t d = H5Dopen2(shard, path, H5P_DEFAULT), od = H5I_INVALID_HID, ft = H5I_INVALID_HID,
          mt = H5I_INVALID_HID, fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    void *buf = NULL;
    hsize_t dims[2] = {0, 1};
    int rank = 0;
    if (d < 0 || (ft = H5Dget_type(d)) < 0 || (mt = H5Tget_native_type(ft, H5T_DIR_ASCEND)) < 0 ||
        (fs = H5Dget_space(d)) < 0 || (rank = H5Sget_simple_extent_ndims(fs)) < 1 || rank > 2 ||
        H5Sget_simple_extent_dims(fs, dims, NULL) < 0 || dims[0] != (hsize_t)patients) {
        st = psim_error_set(err, PSIM_ERR_INPUT, display, 0, 0,
                            "damaged shard: %s is missing or does not hold the shard's %lld patients", path,
                            (long long)patients);
        goto cleanup;
    }
    hsize_t cols = rank > 1 ? dims[1] : 1;
    if (h) {
        od = H5Dopen2(h->file, path, H5P_DEFAULT);
        hid_t os = od >= 0 ? H5Dget_space(od) : H5I_INVALID_HID;
        hsize_t odims[2] = {0, 1};
        int ok = os >= 0 && H5Sget_simple_extent_ndims(os) == rank && H5Sget_simple_extent_dims(os, odims, NULL) >= 0 &&
                 (rank == 1 || odims[1] == cols) && odims[0] >= (hsize_t)(first + patients);
        if (os >= 0)
            H5Sclose(os);
        if (!ok) {
            st = psim_error_set(err, PSIM_ERR_INPUT, display, 0, 0,
                                "damaged or mismatched shard: %s does not have the shape of this scenario's", path);
            goto cleanup;
        }
    }
    if (cols == 0)
        goto cleanup;
    size_t esize = H5Tget_size(mt);
    buf = malloc(rows_per_piece * (size_t)cols * esize + 1);
    if (!buf) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    for (hsize_t r = 0; r < (hsize_t)patients; r += rows_per_piece) {
        hsize_t n = (hsize_t)patients - r < rows_per_piece ? (hsize_t)patients - r : rows_per_piece;
        hsize_t start[2] = {r, 0}, count[2] = {n, cols};
        ms = H5Screate_simple(rank, count, NULL);
        if (ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dread(d, mt, ms, fs, H5P_DEFAULT, buf) < 0) {
            st = psim_h5_fail(err, PSIM_ERR_INPUT, display, "read the shard (damaged?)");
            snprintf(err->message + strlen(err->message), sizeof err->message - strlen(err->message), " (%s)", path);
            goto cleanup;
        }
        H5Sclose(ms);
        ms = H5I_INVALID_HID;
        if (od >= 0 && write_rows_x(od, h->dxpl, 0, mt, (hsize_t)first + r, n, cols, rank, buf) < 0) {
            st = psim_h5_fail(err, PSIM_ERR_HDF5, h->path, "write the merged file");
            goto cleanup;
        }
    }
cleanup:
    free(buf);
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    if (mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    if (od >= 0)
        H5Dclose(od);
    if (d >= 0)
        H5Dclose(d);
    return st;
}

psim_status psim_h5_copy_shard(psim_h5 *h, const psim_model *m, hid_t shard, const char *display, int64_t first,
                               int64_t patients, int64_t *events, psim_error *err)
{
    psim_status st = PSIM_OK;
    psim_h5_quiet();
    const psim_scenario *scn = psim_model_scenario(m);
    const size_t bs = (size_t)scn->block_size;
    static const char *const cohort[6] = {"baseline_vas", "pain_duration_months", "lumbar_levels", "myofascial",
                                          "aspirin_recent", "eligible"};
    static const char *const per[10] = {"vas_mm", "treated", "sessions", "units", "antibody_positive",
                                        "session_day", "latent_response", "observed_response", "cost", "qaly"};
    char path[2 * PSIM_NAME_MAX + 64];
    for (int k = 0; k < N_COHORT_DS && st == PSIM_OK; k++) {
        snprintf(path, sizeof path, "/cohort/%s", k < 6 ? cohort[k] : psim_contra_names[k - 6]);
        st = copy_rows(h, shard, display, path, first, patients, bs, err);
    }
    for (int s = 0; s < scn->n_strategies && st == PSIM_OK; s++) {
        const char *name = scn->strategies[s].name;
        for (int k = 0; k < 10 && st == PSIM_OK; k++) {
            if (k == 0 && !scn->output.trajectories)
                continue;
            snprintf(path, sizeof path, "/strategies/%s/%s", name, per[k]);
            st = copy_rows(h, shard, display, path, first, patients, bs, err);
        }
        for (int k = 0; k < psim_model_n_ae(m, s) && st == PSIM_OK; k++) {
            snprintf(path, sizeof path, "/strategies/%s/adverse_events/%s", name, psim_model_ae_name(m, s, k));
            st = copy_rows(h, shard, display, path, first, patients, bs, err);
        }
        if (st != PSIM_OK)
            break;
        /* the events table: its rows follow those of the shards before it */
        snprintf(path, sizeof path, "/strategies/%s/events", name);
        hid_t d = H5Dopen2(shard, path, H5P_DEFAULT), fs = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
        hsize_t n = 0;
        if (d < 0 || fs < 0 || H5Sget_simple_extent_ndims(fs) != 1 || H5Sget_simple_extent_dims(fs, &n, NULL) < 0) {
            st = psim_error_set(err, PSIM_ERR_INPUT, display, 0, 0, "damaged shard: %s is missing", path);
        } else {
            events[s] = (int64_t)n;
            const hsize_t piece = 65536;
            hid_t mt = h ? h->s[s].ev_mem : H5Dget_type(d);
            size_t esize = mt >= 0 ? H5Tget_size(mt) : 0;
            void *buf = n > 0 && esize > 0 ? malloc((size_t)(n < piece ? n : piece) * esize) : NULL;
            if (n > 0 && (!buf || mt < 0))
                st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
            for (hsize_t r = 0; r < n && st == PSIM_OK; r += piece) {
                hsize_t c = n - r < piece ? n - r : piece;
                hid_t ms = H5Screate_simple(1, &c, NULL);
                if (ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, &r, NULL, &c, NULL) < 0 ||
                    H5Dread(d, mt, ms, fs, H5P_DEFAULT, buf) < 0) {
                    st = psim_h5_fail(err, PSIM_ERR_INPUT, display, "read the shard's events (damaged?)");
                } else if (h) {
                    strat_ds *sd = &h->s[s];
                    hsize_t newsize = sd->n_events + c;
                    if (H5Dset_extent(sd->events, &newsize) < 0 ||
                        write_rows(h, sd->events, sd->ev_mem, sd->n_events, c, 1, 1, buf) < 0)
                        st = psim_h5_fail(err, PSIM_ERR_HDF5, h->path, "write the merged events table");
                    else
                        sd->n_events = newsize;
                }
                if (ms >= 0)
                    H5Sclose(ms);
            }
            if (!h && mt >= 0)
                H5Tclose(mt);
            free(buf);
        }
        if (fs >= 0)
            H5Sclose(fs);
        if (d >= 0)
            H5Dclose(d);
    }
    return st;
}

/* ---- the file as a sink ------------------------------------------------ */

static psim_status file_sink_begin(void *data, const psim_model *m, const psim_run_layout *layout, psim_error *err)
{
    psim_h5_file_sink *fs = data;
    fs->m = m;
    fs->shard = layout && layout->shard_count > 0;
    return psim_h5_create(&fs->out, fs->path, fs->force, fs->notice, fs->notice_data, fs->command_line, m, layout,
                          NULL, &fs->h5, err);
}

static psim_status file_sink_write_block(void *data, int64_t index, const psim_block *b, const psim_results *partial,
                                         psim_error *err)
{
    psim_h5_file_sink *fs = data;
    psim_status st = psim_h5_write_partial(fs->h5, index, partial, err);
    if (st != PSIM_OK)
        return st;
    return psim_h5_write_block(fs->h5, b, err);
}

static psim_status file_sink_finish(void *data, const psim_results *r, psim_error *err)
{
    psim_h5_file_sink *fs = data;
    psim_report *rep = NULL;
    psim_status st = fs->shard ? PSIM_OK : psim_report_from_results(r, psim_model_scenario(fs->m), &rep, err);
    if (st != PSIM_OK)
        return st;
    /* psim_h5_finish closes the file and commits it, or removes it after a
     * failure; fs->out is released either way */
    st = psim_h5_finish(fs->h5, r, rep, err);
    psim_report_destroy(rep);
    fs->h5 = NULL;
    return st;
}

static void file_sink_abort(void *data)
{
    psim_h5_file_sink *fs = data;
    psim_h5_close(fs->h5);
    fs->h5 = NULL;
    psim_outfile_abort(&fs->out);
}

psim_sink psim_h5_file_sink_make(psim_h5_file_sink *fs, const char *path, int force, const char *command_line,
                                 psim_notice_fn notice, void *notice_data)
{
    memset(fs, 0, sizeof *fs);
    fs->path = path;
    fs->force = force;
    fs->command_line = command_line;
    fs->notice = notice;
    fs->notice_data = notice_data;
    fs->out.fd = -1;
    psim_sink s = {.data = fs,
                   .begin = file_sink_begin,
                   .write_block = file_sink_write_block,
                   .finish = file_sink_finish,
                   .abort = file_sink_abort};
    return s;
}
