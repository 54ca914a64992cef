/* The report in the HDF5 file: group /results (docs/output-format.md), and
 * reading a whole report back from a finished file. */
#include "painsim/report.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "output/h5read.h"
#include "output/h5util.h"

/* The public header passes the file as int64_t to stay free of hdf5.h. */
_Static_assert(sizeof(hid_t) == sizeof(int64_t), "hid_t is expected to be int64_t (HDF5 >= 1.10)");

/* Internal, defined in report.c. */
psim_report *psim_report_alloc_(int S, int K, int H);
void psim_report_finish_economics_(psim_report *rep);
void psim_report_sequential_from_means_(psim_report *rep);

/* A horizon or strategy count beyond these in a file is damage, not data. */
#define MAX_HORIZON_READ (1 << 24)

/* ---- small helpers (more in h5util.c) --------------------------------- */

static herr_t col_f64(hid_t g, const char *name, hsize_t n, const double *v, const char *units,
                      const char *description)
{
    return psim_h5_write_ds(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, v, units, description);
}

static herr_t col_i64(hid_t g, const char *name, hsize_t n, const int64_t *v, const char *description)
{
    return psim_h5_write_ds(g, name, H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &n, v, "count", description);
}

/* ---- writing /results ------------------------------------------------- */

#define WCHECK(expr, what)                                                                                   \
    do {                                                                                                     \
        if ((expr) < 0) {                                                                                    \
            st = psim_h5_fail(err, PSIM_ERR_HDF5, NULL, what);                                                    \
            goto cleanup;                                                                                    \
        }                                                                                                    \
    } while (0)

/* An estimate column and its _se column. */
static herr_t est_cols(hid_t g, const psim_report *rep, double *buf, size_t offset, const char *name,
                       const char *units, const char *description)
{
    const int S = rep->n_strategies;
    char se_name[96], se_desc[256];
    for (int s = 0; s < S; s++) {
        const psim_estimate *e = (const psim_estimate *)((const char *)&rep->strategies[s] + offset);
        buf[s] = e->mean;
        buf[S + s] = e->se;
    }
    snprintf(se_name, sizeof se_name, "%s_se", name);
    snprintf(se_desc, sizeof se_desc, "Monte Carlo standard error of %s", name);
    if (col_f64(g, name, (hsize_t)S, buf, units, description) < 0)
        return -1;
    return col_f64(g, se_name, (hsize_t)S, buf + S, units, se_desc);
}

static int valid_link_name(const char *s)
{
    return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0;
}

psim_status psim_report_write_h5(int64_t file, const psim_report *rep, psim_error *err)
{
    psim_status st = PSIM_OK;
    psim_h5_quiet();
    if (!rep || rep->n_strategies < 1)
        return psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0, "psim_report_write_h5: empty report");
    const int S = rep->n_strategies, W = rep->n_wtp, K = rep->n_ae_kinds;
    const hsize_t nS = (hsize_t)S;
    hid_t g = H5I_INVALID_HID, ga = H5I_INVALID_HID, gk = H5I_INVALID_HID;
    const char **names = malloc((size_t)(2 * S + (K > 0 ? K : 1)) * sizeof *names);
    double *buf = malloc((size_t)S * (size_t)(W > 2 ? W : 2) * sizeof *buf);
    int64_t *ibuf = malloc((size_t)S * sizeof *ibuf);
    unsigned char *u8 = malloc((size_t)S);
    char cur_per_qaly[48], desc[256];
    if (!names || !buf || !ibuf || !u8) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory writing /results");
        goto cleanup;
    }
    for (int q = 0; q < K; q++)
        if (!valid_link_name(rep->ae_kinds[q])) {
            st = psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                                "adverse-event kind '%s' cannot name an HDF5 group", rep->ae_kinds[q]);
            goto cleanup;
        }
    snprintf(cur_per_qaly, sizeof cur_per_qaly, "%s/QALY", rep->currency);

    g = H5Gcreate2((hid_t)file, "results", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    WCHECK(g, "create /results");
    WCHECK(psim_h5_attr_str(g, "reference", rep->reference), "write /results attributes");
    WCHECK(psim_h5_attr_str(g, "currency", rep->currency), "write /results attributes");
    if (rep->n_report_days > 0) {
        hsize_t nd[1] = {(hsize_t)rep->n_report_days};
        WCHECK(psim_h5_write_ds(g, "report_days", H5T_STD_I32LE, H5T_NATIVE_INT, 1, nd, rep->report_days, "day",
                                "output.report_days: days the summary shows beside its own"),
               "write /results/report_days");
    }

    for (int s = 0; s < S; s++) {
        names[s] = rep->strategies[s].name;
        names[S + s] = rep->strategies[s].treatment;
    }
    WCHECK(psim_h5_write_strs(g, "strategy", nS, names, "name", "strategy of each row"), "write /results/strategy");
    WCHECK(psim_h5_write_strs(g, "treatment", nS, names + S, "name", "treatment of each strategy"),
           "write /results/treatment");

    static const struct {
        const char *name;
        size_t offset;
        const char *description;
    } icols[] = {
        {"patients", offsetof(psim_report_strategy, patients), "patients in the cohort"},
        {"eligible", offsetof(psim_report_strategy, eligible), "patients eligible for injection treatments"},
        {"treated", offsetof(psim_report_strategy, treated), "patients who received the strategy's own treatment"},
        {"with_session", offsetof(psim_report_strategy, with_session), "treated patients with at least one session"},
        {"first_responders", offsetof(psim_report_strategy, first_responders), "treated patients with R_1 = 1"},
        {"antibody_positive", offsetof(psim_report_strategy, antibody), "patients who turned antibody-positive"},
    };
    for (size_t c = 0; c < sizeof icols / sizeof icols[0]; c++) {
        for (int s = 0; s < S; s++)
            ibuf[s] = *(const int64_t *)((const char *)&rep->strategies[s] + icols[c].offset);
        WCHECK(col_i64(g, icols[c].name, nS, ibuf, icols[c].description), "write a /results count column");
    }

    static const struct {
        const char *name;
        size_t offset;
        int unit; /* 0 fraction, 1 count, 2 U, 3 currency, 4 QALY */
        const char *description;
    } ecols[] = {
        {"first_response", offsetof(psim_report_strategy, first_response), 0,
         "latent first-session response over treated patients with a session"},
        {"persistence_given_response", offsetof(psim_report_strategy, persistence_given_response), 0,
         "P(R_j = 1 at every later session | R_1 = 1, >= 2 sessions)"},
        {"persistence_given_no_response", offsetof(psim_report_strategy, persistence_given_no_response), 0,
         "P(R_j = 1 at some later session | R_1 = 0, >= 2 sessions)"},
        {"sessions", offsetof(psim_report_strategy, sessions), 1, "mean sessions per patient (all patients)"},
        {"units", offsetof(psim_report_strategy, units), 2, "mean dose per patient (all patients)"},
        {"cost", offsetof(psim_report_strategy, cost), 3, "mean discounted cost per patient (all patients)"},
        {"qaly", offsetof(psim_report_strategy, qaly), 4, "mean discounted QALYs per patient (all patients)"},
        {"delta_cost", offsetof(psim_report_strategy, delta_cost), 3,
         "mean paired difference in cost, this strategy minus the reference"},
        {"delta_qaly", offsetof(psim_report_strategy, delta_qaly), 4,
         "mean paired difference in QALYs, this strategy minus the reference"},
    };
    for (size_t c = 0; c < sizeof ecols / sizeof ecols[0]; c++) {
        const char *units = ecols[c].unit == 0   ? "1 (fraction)"
                            : ecols[c].unit == 1 ? "count"
                            : ecols[c].unit == 2 ? "U"
                            : ecols[c].unit == 3 ? rep->currency
                                                 : "QALY";
        WCHECK(est_cols(g, rep, buf, ecols[c].offset, ecols[c].name, units, ecols[c].description),
               "write a /results column");
    }
    /* totals over the adverse-event kinds, as in the old /summary */
    for (int s = 0; s < S; s++) {
        double pp = 0.0, ps = 0.0;
        for (int q = 0; q < K; q++) {
            pp += rep->strategies[s].ae_per_patient[q];
            ps += rep->strategies[s].ae_per_session[q];
        }
        buf[s] = pp;
        buf[S + s] = ps;
    }
    WCHECK(col_f64(g, "adverse_events_per_patient", nS, buf, "count",
                   "adverse events per patient over the horizon (all kinds)"),
           "write /results/adverse_events_per_patient");
    WCHECK(col_f64(g, "adverse_events_per_session", nS, buf + S, "count", "adverse events per session (all kinds)"),
           "write /results/adverse_events_per_session");

    for (int s = 0; s < S; s++)
        buf[s] = rep->strategies[s].icer;
    WCHECK(col_f64(g, "icer", nS, buf, cur_per_qaly,
                   "incremental cost-effectiveness ratio against the reference, delta_cost / delta_qaly "
                   "(NaN for the reference and where delta_qaly = 0)"),
           "write /results/icer");
    for (int s = 0; s < S; s++) {
        names[s] = psim_dominance_name(rep->strategies[s].dominated);
        u8[s] = rep->strategies[s].on_frontier ? 1 : 0;
    }
    WCHECK(psim_h5_write_strs(g, "dominated", nS, names, "1 (category)",
                   "dominance among all strategies: none, strong (another costs no more and gives no fewer "
                   "QALYs, one strictly) or extended (by the iterative ICER rule)"),
           "write /results/dominated");
    WCHECK(psim_h5_write_ds(g, "on_frontier", H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &nS, u8, "1 (boolean)",
                    "on the efficient frontier"),
           "write /results/on_frontier");

    /* sequential comparisons along the efficient frontier */
    for (int s = 0; s < S; s++) {
        const psim_report_strategy *rs = &rep->strategies[s];
        names[s] = rs->seq_prev >= 0 ? rep->strategies[rs->seq_prev].name : "";
        names[S + s] = psim_seq_status_name(rs->seq_status);
    }
    WCHECK(psim_h5_write_strs(g, "sequential_previous", nS, names, "name",
                   "the previous strategy on the efficient frontier, against which the sequential_* figures "
                   "are computed (empty where sequential_status is not 'compared')"),
           "write /results/sequential_previous");
    WCHECK(psim_h5_write_strs(g, "sequential_status", nS, names + S, "1 (category)",
                   "compared (on the frontier after the first), first_on_frontier, dominated_strong, "
                   "dominated_extended or not_compared (no estimate)"),
           "write /results/sequential_status");
    WCHECK(est_cols(g, rep, buf, offsetof(psim_report_strategy, seq_delta_cost), "sequential_delta_cost",
                    rep->currency,
                    "mean paired difference in cost, this strategy minus sequential_previous (NaN where none)"),
           "write /results/sequential_delta_cost");
    WCHECK(est_cols(g, rep, buf, offsetof(psim_report_strategy, seq_delta_qaly), "sequential_delta_qaly", "QALY",
                    "mean paired difference in QALYs, this strategy minus sequential_previous (NaN where none)"),
           "write /results/sequential_delta_qaly");
    for (int s = 0; s < S; s++)
        buf[s] = rep->strategies[s].seq_icer;
    WCHECK(col_f64(g, "sequential_icer", nS, buf, cur_per_qaly,
                   "sequential ICER along the efficient frontier, sequential_delta_cost / sequential_delta_qaly "
                   "(NaN where sequential_status is not 'compared')"),
           "write /results/sequential_icer");

    /* WTP grid and net monetary benefit */
    hsize_t nW = (hsize_t)W, dimsSW[2] = {nS, nW};
    WCHECK(psim_h5_write_ds(g, "wtp", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &nW, rep->wtp, cur_per_qaly,
                    "willingness to pay per QALY (lambda); columns of the NMB tables"),
           "write /results/wtp");
    static const struct {
        const char *name;
        size_t offset;
        const char *description;
    } ncols[] = {
        {"nmb", offsetof(psim_report_strategy, nmb), "net monetary benefit lambda * qaly - cost [strategy x wtp]"},
        {"nmb_se", offsetof(psim_report_strategy, nmb_se), "Monte Carlo standard error of nmb"},
        {"incremental_nmb", offsetof(psim_report_strategy, inmb),
         "incremental net monetary benefit against the reference, lambda * delta_qaly - delta_cost "
         "[strategy x wtp]"},
        {"incremental_nmb_se", offsetof(psim_report_strategy, inmb_se),
         "Monte Carlo standard error of incremental_nmb (paired differences)"},
    };
    for (size_t c = 0; c < sizeof ncols / sizeof ncols[0]; c++) {
        for (int s = 0; s < S; s++) {
            const double *v = (const double *)((const char *)&rep->strategies[s] + ncols[c].offset);
            for (int w = 0; w < W; w++)
                buf[(size_t)s * (size_t)W + (size_t)w] = v[w];
        }
        WCHECK(psim_h5_write_ds(g, ncols[c].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dimsSW, buf, rep->currency,
                        ncols[c].description),
               "write a /results NMB table");
    }

    /* the efficient frontier */
    for (int k = 0; k < rep->n_frontier; k++)
        names[k] = rep->strategies[rep->frontier[k]].name;
    WCHECK(psim_h5_write_strs(g, "frontier", (hsize_t)rep->n_frontier, names, "name",
                   "strategies on the efficient frontier, in increasing cost"),
           "write /results/frontier");

    /* adverse events per kind */
    for (int q = 0; q < K; q++)
        names[q] = rep->ae_kinds[q];
    WCHECK(psim_h5_write_strs(g, "adverse_event_kinds", (hsize_t)K, names, "name",
                   "adverse-event kinds of adverse_events/<kind>, in report order"),
           "write /results/adverse_event_kinds");
    ga = H5Gcreate2(g, "adverse_events", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    WCHECK(ga, "create /results/adverse_events");
    for (int q = 0; q < K; q++) {
        gk = H5Gcreate2(ga, rep->ae_kinds[q], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        WCHECK(gk, "create an adverse-event group");
        for (int s = 0; s < S; s++) {
            buf[s] = rep->strategies[s].ae_per_patient[q];
            buf[S + s] = rep->strategies[s].ae_per_session[q];
        }
        snprintf(desc, sizeof desc, "%s events per patient over the horizon, per strategy", rep->ae_kinds[q]);
        WCHECK(col_f64(gk, "per_patient", nS, buf, "count", desc), "write adverse-event rates");
        snprintf(desc, sizeof desc, "%s events per session given, per strategy", rep->ae_kinds[q]);
        WCHECK(col_f64(gk, "per_session", nS, buf + S, "count", desc), "write adverse-event rates");
        WCHECK(H5Gclose(gk), "close an adverse-event group");
        gk = H5I_INVALID_HID;
    }

cleanup:
    if (gk >= 0)
        H5Gclose(gk);
    if (ga >= 0 && H5Gclose(ga) < 0 && st == PSIM_OK)
        st = psim_h5_fail(err, PSIM_ERR_HDF5, NULL, "close /results/adverse_events");
    if (g >= 0 && H5Gclose(g) < 0 && st == PSIM_OK)
        st = psim_h5_fail(err, PSIM_ERR_HDF5, NULL, "close /results");
    H5Eclear2(H5E_DEFAULT);
    free(names);
    free(buf);
    free(ibuf);
    free(u8);
    return st;
}

/* ---- reading ---------------------------------------------------------- */

/* Open a dataset `loc/name` and check its shape: rank 1 with d0 elements, or
 * rank 2 with d0 x d1 (d1 >= 0).  d0 < 0: any length, returned in *len. */
static hid_t open_ds(psim_h5_reader *rd, hid_t loc, const char *full, const char *name, int rank, hssize_t d0,
                     hssize_t d1, hsize_t *len, psim_status *st)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        *st = psim_h5_bad(rd, "not a complete painsim file: no dataset %s", full);
        return H5I_INVALID_HID;
    }
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) {
        *st = psim_h5_bad(rd, "damaged file: cannot open %s", full);
        return H5I_INVALID_HID;
    }
    hid_t sp = H5Dget_space(d);
    hsize_t dims[H5S_MAX_RANK];
    int r = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (r >= 0 && r <= H5S_MAX_RANK && H5Sget_simple_extent_dims(sp, dims, NULL) < 0)
        r = -1;
    if (sp >= 0)
        H5Sclose(sp);
    int ok = r == rank && (d0 < 0 || dims[0] == (hsize_t)d0) && (rank < 2 || dims[1] == (hsize_t)d1);
    if (!ok) {
        H5Dclose(d);
        *st = psim_h5_bad(rd, "damaged file: %s has an unexpected shape", full);
        return H5I_INVALID_HID;
    }
    if (len)
        *len = dims[0];
    return d;
}

static psim_status read_f64(psim_h5_reader *rd, hid_t loc, const char *prefix, const char *name, int rank, hssize_t d0,
                            hssize_t d1, double *out)
{
    char full[256];
    snprintf(full, sizeof full, "%s/%s", prefix, name);
    psim_status st = PSIM_OK;
    hid_t d = open_ds(rd, loc, full, name, rank, d0, d1, NULL, &st);
    if (d < 0)
        return st;
    hid_t ft = H5Dget_type(d);
    H5T_class_t cls = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
    if (cls != H5T_FLOAT && cls != H5T_INTEGER)
        st = psim_h5_bad(rd, "damaged file: %s is not numeric", full);
    else if ((rank == 1 ? d0 : d0 * d1) > 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        st = psim_h5_bad(rd, "damaged file: cannot read %s", full);
    if (ft >= 0)
        H5Tclose(ft);
    H5Dclose(d);
    return st;
}

static psim_status read_i64(psim_h5_reader *rd, hid_t loc, const char *name, hssize_t n, int64_t *out)
{
    char full[256];
    snprintf(full, sizeof full, "/results/%s", name);
    psim_status st = PSIM_OK;
    hid_t d = open_ds(rd, loc, full, name, 1, n, 0, NULL, &st);
    if (d < 0)
        return st;
    hid_t ft = H5Dget_type(d);
    if (ft < 0 || H5Tget_class(ft) != H5T_INTEGER)
        st = psim_h5_bad(rd, "damaged file: %s is not an integer column", full);
    else if (H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        st = psim_h5_bad(rd, "damaged file: cannot read %s", full);
    if (ft >= 0)
        H5Tclose(ft);
    H5Dclose(d);
    return st;
}

/* Read a 1-D variable-length string dataset of d0 entries (d0 < 0: any
 * length up to cap) into out[k]; *n_out receives the count. */
static psim_status read_strs(psim_h5_reader *rd, hid_t loc, const char *name, hssize_t d0, int cap,
                             char (*out)[PSIM_NAME_MAX], int *n_out)
{
    char full[256];
    snprintf(full, sizeof full, "/results/%s", name);
    psim_status st = PSIM_OK;
    hsize_t len = 0;
    hid_t d = open_ds(rd, loc, full, name, 1, d0, 0, &len, &st);
    if (d < 0)
        return st;
    hid_t ft = H5Dget_type(d);
    if (ft < 0 || H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) <= 0) {
        st = psim_h5_bad(rd, "damaged file: %s is not a variable-length string column", full);
        goto done;
    }
    if (len > (hsize_t)cap) {
        st = psim_h5_bad(rd, "damaged file: %s has too many entries", full);
        goto done;
    }
    if (len > 0) {
        int bad_entry = 0;
        int rc = psim_h5_read_strings(d, ft, len, out[0], PSIM_NAME_MAX, &bad_entry);
        if (rc == -2) {
            st = psim_error_set(rd->err, PSIM_ERR_NOMEM, rd->path, 0, 0, "out of memory");
            goto done;
        }
        if (rc != 0) {
            st = psim_h5_bad(rd, "damaged file: cannot read %s (a string length is damaged or the data is corrupt)",
                             full);
            goto done;
        }
        if (bad_entry) {
            st = psim_h5_bad(rd, "damaged file: %s has a missing or over-long name", full);
            goto done;
        }
    }
    *n_out = (int)len;
done:
    if (ft >= 0)
        H5Tclose(ft);
    H5Dclose(d);
    return st;
}

#define RCHECK(expr)                                                                                         \
    do {                                                                                                     \
        st = (expr);                                                                                         \
        if (st != PSIM_OK)                                                                                   \
            goto cleanup;                                                                                    \
    } while (0)

static psim_status read_estimate(psim_h5_reader *rd, hid_t g, psim_report *rep, double *buf, size_t offset,
                                 const char *name)
{
    const int S = rep->n_strategies;
    char se_name[96];
    snprintf(se_name, sizeof se_name, "%s_se", name);
    psim_status st = read_f64(rd, g, "/results", name, 1, S, 0, buf);
    if (st == PSIM_OK)
        st = read_f64(rd, g, "/results", se_name, 1, S, 0, buf + S);
    if (st != PSIM_OK)
        return st;
    for (int s = 0; s < S; s++) {
        psim_estimate *e = (psim_estimate *)((char *)&rep->strategies[s] + offset);
        e->mean = buf[s];
        e->se = buf[S + s];
    }
    return PSIM_OK;
}

psim_status psim_report_read_h5(const char *path, psim_report **out, psim_error *err)
{
    psim_status st = PSIM_OK;
    if (!out)
        return psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0, "psim_report_read_h5: out is NULL");
    *out = NULL;
    psim_h5_quiet();
    psim_h5_reader rdr = {.path = path, .file = H5I_INVALID_HID, .err = err}, *rd = &rdr;
    psim_report *rep = NULL;
    hid_t g = H5I_INVALID_HID, gs = H5I_INVALID_HID, gd = H5I_INVALID_HID, ga = H5I_INVALID_HID;
    double *buf = NULL;
    int64_t *ibuf = NULL;
    char (*names)[PSIM_NAME_MAX] = NULL;
    char (*kinds)[PSIM_NAME_MAX] = NULL;

    st = psim_check_regular_input(path, "painsim file", err);
    if (st != PSIM_OK)
        return st;
    htri_t is_h5 = H5Fis_hdf5(path);
    if (is_h5 <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return psim_error_set(err, PSIM_ERR_INPUT, path, 0, 0,
                              "not a painsim file: not an HDF5 file (no HDF5 signature)");
    }
    rdr.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (rdr.file < 0) {
        H5Eclear2(H5E_DEFAULT);
        return psim_error_set(err, PSIM_ERR_INPUT, path, 0, 0,
                              "damaged file: HDF5 cannot open it (truncated or corrupted)");
    }
    if (H5Aexists(rdr.file, "painsim_version") <= 0) {
        st = psim_h5_bad(rd, "not a painsim file: %s", "no root attribute 'painsim_version'");
        goto cleanup;
    }

    char scenario[PSIM_NAME_MAX], reference[PSIM_NAME_MAX], ref2[PSIM_NAME_MAX], currency[16];
    uint64_t seed = 0;
    int64_t patients = 0;
    int H = 0;
    RCHECK(psim_h5_read_attr_str(rd, rdr.file, "root", "scenario_name", scenario, sizeof scenario));
    RCHECK(psim_h5_read_attr_num(rd, rdr.file, "root", "seed", H5T_NATIVE_UINT64, &seed));
    RCHECK(psim_h5_read_attr_num(rd, rdr.file, "root", "patients", H5T_NATIVE_INT64, &patients));
    RCHECK(psim_h5_read_attr_num(rd, rdr.file, "root", "horizon_days", H5T_NATIVE_INT, &H));
    RCHECK(psim_h5_read_attr_str(rd, rdr.file, "root", "reference", reference, sizeof reference));
    if (H < 1 || H > MAX_HORIZON_READ) {
        st = psim_h5_bad(rd, "damaged file: %s", "root attribute 'horizon_days' is out of range");
        goto cleanup;
    }
    if (H5Lexists(rdr.file, "results", H5P_DEFAULT) <= 0) {
        st = psim_h5_bad(rd, "no /results group: the file %s",
                 "was written by an older painsim (before the economics) or its run did not finish");
        goto cleanup;
    }
    g = H5Gopen2(rdr.file, "results", H5P_DEFAULT);
    if (g < 0) {
        st = psim_h5_bad(rd, "damaged file: cannot open %s", "/results");
        goto cleanup;
    }
    /* every checksummed dataset of /results first, used or not */
    RCHECK(psim_h5_verify_group(rd, g, "/results"));
    RCHECK(psim_h5_read_attr_str(rd, g, "/results", "reference", ref2, sizeof ref2));
    RCHECK(psim_h5_read_attr_str(rd, g, "/results", "currency", currency, sizeof currency));
    /* output.report_days (absent in files written before it existed, and when none were given) */
    int report_days[PSIM_MAX_REPORT_DAYS], n_report_days = 0;
    if (H5Lexists(g, "report_days", H5P_DEFAULT) > 0) {
        hid_t d = H5Dopen2(g, "report_days", H5P_DEFAULT), sp = d >= 0 ? H5Dget_space(d) : H5I_INVALID_HID;
        hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
        int ok = n >= 0 && n <= PSIM_MAX_REPORT_DAYS && H5Sget_simple_extent_ndims(sp) == 1 &&
                 (n == 0 || H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, report_days) >= 0);
        if (sp >= 0)
            H5Sclose(sp);
        if (d >= 0)
            H5Dclose(d);
        if (!ok) {
            st = psim_h5_bad(rd, "damaged file: cannot read %s", "/results/report_days");
            goto cleanup;
        }
        n_report_days = (int)n;
    }

    /* strategies and adverse-event kinds fix the sizes */
    int S = 0, K = 0, F = 0;
    names = calloc(PSIM_MAX_STRATEGIES, sizeof *names);
    if (!names) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, path, 0, 0, "out of memory");
        goto cleanup;
    }
    RCHECK(read_strs(rd, g, "strategy", -1, PSIM_MAX_STRATEGIES, names, &S));
    if (S < 1) {
        st = psim_h5_bad(rd, "damaged file: %s has no rows", "/results/strategy");
        goto cleanup;
    }
    {
        char full[] = "/results/adverse_event_kinds";
        hsize_t len = 0;
        hid_t d = open_ds(rd, g, full, "adverse_event_kinds", 1, -1, 0, &len, &st);
        if (d < 0)
            goto cleanup;
        H5Dclose(d);
        if (len > 4096) {
            st = psim_h5_bad(rd, "damaged file: %s has too many entries", full);
            goto cleanup;
        }
        kinds = calloc(len > 0 ? (size_t)len : 1, sizeof *kinds);
        if (!kinds) {
            st = psim_error_set(err, PSIM_ERR_NOMEM, path, 0, 0, "out of memory");
            goto cleanup;
        }
        RCHECK(read_strs(rd, g, "adverse_event_kinds", (hssize_t)len, (int)len, kinds, &K));
    }
    hsize_t W = 0;
    {
        hid_t d = open_ds(rd, g, "/results/wtp", "wtp", 1, -1, 0, &W, &st);
        if (d < 0)
            goto cleanup;
        H5Dclose(d);
        if (W > PSIM_MAX_WTP) {
            st = psim_h5_bad(rd, "damaged file: %s has too many entries", "/results/wtp");
            goto cleanup;
        }
    }
    rep = psim_report_alloc_(S, K, H);
    size_t nbuf = (size_t)S * (W > 2 ? (size_t)W : 2);
    buf = malloc((nbuf > (size_t)H ? nbuf : (size_t)H) * sizeof *buf);
    ibuf = malloc((size_t)S * sizeof *ibuf);
    if (!rep || !buf || !ibuf) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, path, 0, 0, "out of memory");
        goto cleanup;
    }
    snprintf(rep->scenario, sizeof rep->scenario, "%s", scenario);
    rep->seed = seed;
    rep->patients = patients;
    snprintf(rep->reference, sizeof rep->reference, "%s", ref2[0] ? ref2 : reference);
    snprintf(rep->currency, sizeof rep->currency, "%s", currency);
    rep->n_report_days = 0;
    for (int k = 0; k < n_report_days; k++) /* days past the horizon of a damaged file are left out */
        if (report_days[k] >= 0 && report_days[k] < H)
            rep->report_days[rep->n_report_days++] = report_days[k];
    for (int s = 0; s < S; s++) {
        snprintf(rep->strategies[s].name, PSIM_NAME_MAX, "%s", names[s]);
        if (strcmp(names[s], rep->reference) == 0)
            rep->reference_index = s;
    }
    if (rep->reference_index < 0) {
        st = psim_h5_bad(rd, "damaged file: the reference strategy '%s' is not in /results/strategy", rep->reference);
        goto cleanup;
    }
    for (int k = 0; k < K; k++)
        snprintf(rep->ae_kinds[k], PSIM_NAME_MAX, "%s", kinds[k]);

    {
        int n = 0;
        RCHECK(read_strs(rd, g, "treatment", S, S, names, &n));
        for (int s = 0; s < S; s++)
            snprintf(rep->strategies[s].treatment, PSIM_NAME_MAX, "%s", names[s]);
    }
    static const struct {
        const char *name;
        size_t offset;
    } icols[] = {
        {"patients", offsetof(psim_report_strategy, patients)},
        {"eligible", offsetof(psim_report_strategy, eligible)},
        {"treated", offsetof(psim_report_strategy, treated)},
        {"with_session", offsetof(psim_report_strategy, with_session)},
        {"first_responders", offsetof(psim_report_strategy, first_responders)},
        {"antibody_positive", offsetof(psim_report_strategy, antibody)},
    };
    for (size_t c = 0; c < sizeof icols / sizeof icols[0]; c++) {
        RCHECK(read_i64(rd, g, icols[c].name, S, ibuf));
        for (int s = 0; s < S; s++)
            *(int64_t *)((char *)&rep->strategies[s] + icols[c].offset) = ibuf[s];
    }
    static const struct {
        const char *name;
        size_t offset;
    } ecols[] = {
        {"first_response", offsetof(psim_report_strategy, first_response)},
        {"persistence_given_response", offsetof(psim_report_strategy, persistence_given_response)},
        {"persistence_given_no_response", offsetof(psim_report_strategy, persistence_given_no_response)},
        {"sessions", offsetof(psim_report_strategy, sessions)},
        {"units", offsetof(psim_report_strategy, units)},
        {"cost", offsetof(psim_report_strategy, cost)},
        {"qaly", offsetof(psim_report_strategy, qaly)},
        {"delta_cost", offsetof(psim_report_strategy, delta_cost)},
        {"delta_qaly", offsetof(psim_report_strategy, delta_qaly)},
    };
    for (size_t c = 0; c < sizeof ecols / sizeof ecols[0]; c++)
        RCHECK(read_estimate(rd, g, rep, buf, ecols[c].offset, ecols[c].name));
    RCHECK(read_f64(rd, g, "/results", "icer", 1, S, 0, buf));
    for (int s = 0; s < S; s++)
        rep->strategies[s].icer = buf[s];
    {
        int n = 0;
        RCHECK(read_strs(rd, g, "dominated", S, S, names, &n));
        for (int s = 0; s < S; s++) {
            psim_dominance dmn;
            if (strcmp(names[s], "none") == 0)
                dmn = PSIM_DOMINANCE_NONE;
            else if (strcmp(names[s], "strong") == 0)
                dmn = PSIM_DOMINANCE_STRONG;
            else if (strcmp(names[s], "extended") == 0)
                dmn = PSIM_DOMINANCE_EXTENDED;
            else {
                st = psim_h5_bad(rd, "damaged file: /results/dominated has the unknown value '%s'", names[s]);
                goto cleanup;
            }
            rep->strategies[s].dominated = dmn;
        }
    }
    RCHECK(read_f64(rd, g, "/results", "on_frontier", 1, S, 0, buf));
    for (int s = 0; s < S; s++)
        rep->strategies[s].on_frontier = buf[s] != 0.0;

    rep->n_wtp = (int)W;
    RCHECK(read_f64(rd, g, "/results", "wtp", 1, (hssize_t)W, 0, rep->wtp));
    static const struct {
        const char *name;
        size_t offset;
    } ncols[] = {
        {"nmb", offsetof(psim_report_strategy, nmb)},
        {"nmb_se", offsetof(psim_report_strategy, nmb_se)},
        {"incremental_nmb", offsetof(psim_report_strategy, inmb)},
        {"incremental_nmb_se", offsetof(psim_report_strategy, inmb_se)},
    };
    for (size_t c = 0; c < sizeof ncols / sizeof ncols[0]; c++) {
        RCHECK(read_f64(rd, g, "/results", ncols[c].name, 2, S, (hssize_t)W, buf));
        for (int s = 0; s < S; s++) {
            double *v = (double *)((char *)&rep->strategies[s] + ncols[c].offset);
            for (hsize_t w = 0; w < W; w++)
                v[w] = buf[(size_t)s * (size_t)W + (size_t)w];
        }
    }
    {
        hsize_t len = 0;
        hid_t d = open_ds(rd, g, "/results/frontier", "frontier", 1, -1, 0, &len, &st);
        if (d < 0)
            goto cleanup;
        H5Dclose(d);
        RCHECK(read_strs(rd, g, "frontier", (hssize_t)len, S, names, &F));
        for (int k = 0; k < F; k++) {
            int idx = -1;
            for (int s = 0; s < S && idx < 0; s++)
                if (strcmp(names[k], rep->strategies[s].name) == 0)
                    idx = s;
            if (idx < 0) {
                st = psim_h5_bad(rd, "damaged file: /results/frontier names the unknown strategy '%s'", names[k]);
                goto cleanup;
            }
            rep->frontier[k] = idx;
        }
        rep->n_frontier = F;
    }
    /* the sequential comparisons; a file written before they were stored
     * gets them from the frontier and the means (no standard errors) */
    {
        htri_t has_seq = H5Lexists(g, "sequential_icer", H5P_DEFAULT);
        if (has_seq < 0) {
            st = psim_h5_bad(rd, "damaged file: cannot look up %s", "/results/sequential_icer");
            goto cleanup;
        }
        if (has_seq == 0) {
            psim_report_sequential_from_means_(rep);
        } else {
            int n = 0;
            RCHECK(read_strs(rd, g, "sequential_status", S, S, names, &n));
            for (int s = 0; s < S; s++) {
                int v = -1;
                for (int k = PSIM_SEQ_COMPARED; k <= PSIM_SEQ_NOT_COMPARED && v < 0; k++)
                    if (strcmp(names[s], psim_seq_status_name((psim_seq_status)k)) == 0)
                        v = k;
                if (v < 0) {
                    st = psim_h5_bad(rd, "damaged file: /results/sequential_status has the unknown value '%s'", names[s]);
                    goto cleanup;
                }
                rep->strategies[s].seq_status = (psim_seq_status)v;
            }
            RCHECK(read_strs(rd, g, "sequential_previous", S, S, names, &n));
            for (int s = 0; s < S; s++) {
                int idx = -1;
                for (int j = 0; j < S && idx < 0 && names[s][0]; j++)
                    if (strcmp(names[s], rep->strategies[j].name) == 0)
                        idx = j;
                if (names[s][0] && idx < 0) {
                    st = psim_h5_bad(rd, "damaged file: /results/sequential_previous names the unknown strategy '%s'",
                             names[s]);
                    goto cleanup;
                }
                if ((idx >= 0) != (rep->strategies[s].seq_status == PSIM_SEQ_COMPARED)) {
                    st = psim_h5_bad(rd, "damaged file: /results/sequential_previous and sequential_status disagree for '%s'",
                             rep->strategies[s].name);
                    goto cleanup;
                }
                rep->strategies[s].seq_prev = idx;
            }
            RCHECK(read_estimate(rd, g, rep, buf, offsetof(psim_report_strategy, seq_delta_cost),
                                 "sequential_delta_cost"));
            RCHECK(read_estimate(rd, g, rep, buf, offsetof(psim_report_strategy, seq_delta_qaly),
                                 "sequential_delta_qaly"));
            RCHECK(read_f64(rd, g, "/results", "sequential_icer", 1, S, 0, buf));
            for (int s = 0; s < S; s++)
                rep->strategies[s].seq_icer = buf[s];
        }
    }

    if (K > 0) {
        ga = H5Gopen2(g, "adverse_events", H5P_DEFAULT);
        if (ga < 0) {
            st = psim_h5_bad(rd, "not a complete painsim file: no group %s", "/results/adverse_events");
            goto cleanup;
        }
        for (int q = 0; q < K; q++) {
            char prefix[PSIM_NAME_MAX + 64];
            snprintf(prefix, sizeof prefix, "/results/adverse_events/%s", kinds[q]);
            if (!valid_link_name(kinds[q]) || H5Lexists(ga, kinds[q], H5P_DEFAULT) <= 0) {
                st = psim_h5_bad(rd, "not a complete painsim file: no group %s", prefix);
                goto cleanup;
            }
            hid_t gk = H5Gopen2(ga, kinds[q], H5P_DEFAULT);
            if (gk < 0) {
                st = psim_h5_bad(rd, "damaged file: cannot open %s", prefix);
                goto cleanup;
            }
            st = read_f64(rd, gk, prefix, "per_patient", 1, S, 0, buf);
            if (st == PSIM_OK)
                st = read_f64(rd, gk, prefix, "per_session", 1, S, 0, buf + S);
            H5Gclose(gk);
            if (st != PSIM_OK)
                goto cleanup;
            for (int s = 0; s < S; s++) {
                rep->strategies[s].ae_per_patient[q] = buf[s];
                rep->strategies[s].ae_per_session[q] = buf[S + s];
            }
        }
    }

    /* per-day arrays */
    if (H5Lexists(rdr.file, "strategies", H5P_DEFAULT) <= 0 ||
        (gs = H5Gopen2(rdr.file, "strategies", H5P_DEFAULT)) < 0) {
        st = psim_h5_bad(rd, "not a complete painsim file: no group %s", "/strategies");
        goto cleanup;
    }
    for (int s = 0; s < S; s++) {
        psim_report_strategy *rs = &rep->strategies[s];
        char prefix[PSIM_NAME_MAX + 64];
        snprintf(prefix, sizeof prefix, "/strategies/%s/daily", rs->name);
        if (!valid_link_name(rs->name) || H5Lexists(gs, rs->name, H5P_DEFAULT) <= 0) {
            st = psim_h5_bad(rd, "not a complete painsim file: no group %s", prefix);
            goto cleanup;
        }
        hid_t gst = H5Gopen2(gs, rs->name, H5P_DEFAULT);
        if (gst < 0) {
            st = psim_h5_bad(rd, "damaged file: cannot open %s", prefix);
            goto cleanup;
        }
        if (H5Lexists(gst, "daily", H5P_DEFAULT) > 0)
            gd = H5Gopen2(gst, "daily", H5P_DEFAULT);
        H5Gclose(gst);
        if (gd < 0) {
            st = psim_h5_bad(rd, "not a complete painsim file: no group %s", prefix);
            goto cleanup;
        }
        struct {
            const char *name;
            double *dst;
        } daily[] = {
            {"mean_vas", rs->mean_vas},
            {"mean_vas_se", rs->mean_vas_se},
            {"mean_vas_treated", rs->mean_vas_treated},
            {"mean_vas_treated_se", rs->mean_vas_treated_se},
            {"observed_response", rs->observed_response},
            {"observed_response_se", rs->observed_response_se},
        };
        for (size_t c = 0; c < sizeof daily / sizeof daily[0]; c++)
            RCHECK(read_f64(rd, gd, prefix, daily[c].name, 1, H, 0, daily[c].dst));
        H5Gclose(gd);
        gd = H5I_INVALID_HID;
    }
    *out = rep;
    rep = NULL;

cleanup:
    if (gd >= 0)
        H5Gclose(gd);
    if (ga >= 0)
        H5Gclose(ga);
    if (gs >= 0)
        H5Gclose(gs);
    if (g >= 0)
        H5Gclose(g);
    if (rdr.file >= 0)
        H5Fclose(rdr.file);
    H5Eclear2(H5E_DEFAULT);
    free(buf);
    free(ibuf);
    free(names);
    free(kinds);
    psim_report_destroy(rep);
    return st;
}
