/* `painsim report`: a finished painsim file as one self-contained HTML page
 * (include/painsim/report_html.h, docs/report.md).
 *
 * The C side reads the file and writes the data as one JSON document; the
 * page's own script (sim/output/report_html.js, embedded at build time) lays
 * out the tables and draws the charts with Chart.js, which is read from
 * Debian's libjs-chart.js here and inlined into the page. */
#include "painsim/report_html.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "output/h5read.h"
#include "output/h5util.h"
#include "output/outfile.h"
#include "output/report_assets.h"
#include "painsim/psa.h"
#include "painsim/report.h"
#include "painsim/run.h"
#include "painsim/scenario.h"

/* At most this many points per curve and per PSA cloud: the page stays a few
 * MiB at any horizon or iteration count. */
#define MAX_CURVE_POINTS 1500
#define MAX_TRAJ_POINTS 500
#define MAX_CLOUD_POINTS 1000
#define MAX_TRAJECTORIES 200

psim_html_options psim_html_options_default(void)
{
    psim_html_options o = {.chartjs_path = NULL, .trajectories = 8, .force = 0};
    return o;
}

/* ---- JSON on a FILE, with '<', '>' and '&' escaped ----------------------- */

typedef struct jw {
    FILE *fp;
    int depth;
    unsigned char comma[64];
} jw;

static void jw_pre(jw *w)
{
    if (w->comma[w->depth])
        fputc(',', w->fp);
    w->comma[w->depth] = 1;
}

static void jw_open(jw *w, int c)
{
    jw_pre(w);
    fputc(c, w->fp);
    if (w->depth < 63)
        w->depth++;
    w->comma[w->depth] = 0;
}

static void jw_close(jw *w, int c)
{
    fputc(c, w->fp);
    if (w->depth > 0)
        w->depth--;
}

/* A JSON string that is also safe inside an HTML script element. */
static void jw_raw_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        unsigned c = *p;
        if (c == '"')
            fputs("\\\"", fp);
        else if (c == '\\')
            fputs("\\\\", fp);
        else if (c == '\n')
            fputs("\\n", fp);
        else if (c == '\t')
            fputs("\\t", fp);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f)
            fprintf(fp, "\\u%04x", c);
        else if (c == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            /* U+2028 and U+2029 end a line in JavaScript source */
            fprintf(fp, "\\u%04x", p[2] == 0xa8 ? 0x2028u : 0x2029u);
            p += 2;
        } else
            fputc((int)c, fp);
    }
    fputc('"', fp);
}

static void jw_key(jw *w, const char *k)
{
    jw_pre(w);
    jw_raw_str(w->fp, k);
    fputc(':', w->fp);
    w->comma[w->depth] = 0;
}

static void jw_str(jw *w, const char *s)
{
    jw_pre(w);
    jw_raw_str(w->fp, s);
}

static void jw_num(jw *w, double x)
{
    jw_pre(w);
    if (isfinite(x))
        fprintf(w->fp, "%.10g", x);
    else
        fputs("null", w->fp);
}

static void jw_int(jw *w, long long x)
{
    jw_pre(w);
    fprintf(w->fp, "%lld", x);
}

static void jw_null(jw *w)
{
    jw_pre(w);
    fputs("null", w->fp);
}

static void kv_str(jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_str(w, v);
}

static void kv_num(jw *w, const char *k, double v)
{
    jw_key(w, k);
    jw_num(w, v);
}

static void kv_int(jw *w, const char *k, long long v)
{
    jw_key(w, k);
    jw_int(w, v);
}

/* [mean, se] */
static void kv_est(jw *w, const char *k, psim_estimate e)
{
    jw_key(w, k);
    jw_open(w, '[');
    jw_num(w, e.mean);
    jw_num(w, e.se);
    jw_close(w, ']');
}

/* n values v[off + i * stride] */
static void kv_arr(jw *w, const char *k, const double *v, size_t n, size_t stride)
{
    jw_key(w, k);
    jw_open(w, '[');
    for (size_t i = 0; i < n; i++)
        jw_num(w, v[i * stride]);
    jw_close(w, ']');
}

/* An array value (no key) of n values. */
static void kv_arr_raw(jw *w, const double *v, size_t n)
{
    jw_open(w, '[');
    for (size_t i = 0; i < n; i++)
        jw_num(w, v[i]);
    jw_close(w, ']');
}

/* Values at the indices idx[0 .. n-1]. */
static void kv_arr_idx(jw *w, const char *k, const double *v, const int *idx, int n)
{
    jw_key(w, k);
    jw_open(w, '[');
    for (int i = 0; i < n; i++)
        jw_num(w, v[idx[i]]);
    jw_close(w, ']');
}

/* Evenly spaced indices 0 .. total-1, at most cap of them, the last included
 * when thinned.  Returns the count. */
static int thin_indices(int total, int cap, int *idx)
{
    if (total <= cap) {
        for (int i = 0; i < total; i++)
            idx[i] = i;
        return total;
    }
    for (int i = 0; i < cap; i++)
        idx[i] = (int)((double)i * (total - 1) / (cap - 1) + 0.5);
    return cap;
}

/* ---- extra reads: provenance, scenario text, trajectories ------------------ */

typedef struct prov {
    char painsim_version[64], model_version[32], created[64], scenario[PSIM_NAME_MAX], reference[PSIM_NAME_MAX];
    char run_mode[32];
    char *command_line, *text, *resolved; /* allocated; may be NULL */
    unsigned long long seed;
    long long patients;
    int horizon_days, record_every_days, block_size;
} prov;

static void prov_free(prov *p)
{
    free(p->command_line);
    free(p->text);
    free(p->resolved);
}

/* An optional scalar string attribute: "" when absent. */
static psim_status opt_attr_str(const psim_h5_reader *rd, hid_t obj, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    if (H5Aexists(obj, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return PSIM_OK;
    }
    return psim_h5_read_attr_str(rd, obj, "root", name, out, size);
}

static void opt_attr_num(const psim_h5_reader *rd, hid_t obj, const char *name, hid_t memtype, void *out)
{
    if (H5Aexists(obj, name) > 0)
        (void)psim_h5_read_attr_num(rd, obj, "root", name, memtype, out);
    H5Eclear2(H5E_DEFAULT);
}

/* A scalar variable-length string dataset (or attribute, when is_attr), as a
 * malloc'd string; *out NULL when it is absent. */
static psim_status read_text(const psim_h5_reader *rd, hid_t loc, const char *name, int is_attr, char **out)
{
    *out = NULL;
    htri_t ex = is_attr ? H5Aexists(loc, name) : H5Lexists(loc, name, H5P_DEFAULT);
    if (ex <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return PSIM_OK;
    }
    psim_status st = PSIM_OK;
    hid_t o = is_attr ? H5Aopen(loc, name, H5P_DEFAULT) : H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t ft = H5I_INVALID_HID, mt = H5I_INVALID_HID, sp = H5I_INVALID_HID;
    char *v = NULL;
    if (o < 0 || (ft = is_attr ? H5Aget_type(o) : H5Dget_type(o)) < 0 ||
        (sp = is_attr ? H5Aget_space(o) : H5Dget_space(o)) < 0) {
        st = psim_h5_bad(rd, "damaged file: cannot open %s", name);
        goto done;
    }
    if (H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) <= 0 || H5Sget_simple_extent_npoints(sp) != 1) {
        st = psim_h5_bad(rd, "not a painsim file: %s is not a variable-length string", name);
        goto done;
    }
    mt = psim_h5_str_type_like(ft);
    if (mt < 0 || (is_attr ? H5Aread(o, mt, &v) : H5Dread(o, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v)) < 0) {
        st = psim_h5_bad(rd, "damaged file: cannot read %s", name);
        goto done;
    }
    *out = strdup(v ? v : "");
    if (!*out)
        st = psim_error_set(rd->err, PSIM_ERR_NOMEM, rd->path, 0, 0, "out of memory");
done:
    if (v)
        H5free_memory(v);
    if (mt >= 0)
        H5Tclose(mt);
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    if (o >= 0)
        (void)(is_attr ? H5Aclose(o) : H5Dclose(o));
    return st;
}

static psim_status read_prov(const psim_h5_reader *rd, prov *p)
{
    hid_t f = rd->file;
    psim_status st;
    if ((st = opt_attr_str(rd, f, "painsim_version", p->painsim_version, sizeof p->painsim_version)) != PSIM_OK ||
        (st = opt_attr_str(rd, f, "model_version", p->model_version, sizeof p->model_version)) != PSIM_OK ||
        (st = opt_attr_str(rd, f, "created", p->created, sizeof p->created)) != PSIM_OK ||
        (st = opt_attr_str(rd, f, "scenario_name", p->scenario, sizeof p->scenario)) != PSIM_OK ||
        (st = opt_attr_str(rd, f, "reference", p->reference, sizeof p->reference)) != PSIM_OK ||
        (st = opt_attr_str(rd, f, "run_mode", p->run_mode, sizeof p->run_mode)) != PSIM_OK)
        return st;
    opt_attr_num(rd, f, "seed", H5T_NATIVE_ULLONG, &p->seed);
    opt_attr_num(rd, f, "patients", H5T_NATIVE_LLONG, &p->patients);
    opt_attr_num(rd, f, "horizon_days", H5T_NATIVE_INT, &p->horizon_days);
    opt_attr_num(rd, f, "record_every_days", H5T_NATIVE_INT, &p->record_every_days);
    opt_attr_num(rd, f, "block_size", H5T_NATIVE_INT, &p->block_size);
    if ((st = read_text(rd, f, "command_line", 1, &p->command_line)) != PSIM_OK ||
        (st = read_text(rd, f, "/scenario/text", 0, &p->text)) != PSIM_OK ||
        (st = read_text(rd, f, "/scenario/resolved", 0, &p->resolved)) != PSIM_OK)
        return st;
    return PSIM_OK;
}

/* A 1-D or 2-D numeric dataset's dimensions; rank must match. */
static psim_status ds_dims(const psim_h5_reader *rd, hid_t d, const char *name, int rank, hsize_t *dims)
{
    hid_t sp = H5Dget_space(d);
    int r = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    psim_status st = PSIM_OK;
    if (r != rank || H5Sget_simple_extent_dims(sp, dims, NULL) < 0)
        st = psim_h5_bad(rd, "damaged file: %s has the wrong shape", name);
    if (sp >= 0)
        H5Sclose(sp);
    return st;
}

/* Read `count` elements starting at (row, 0) of a 1-D or 2-D dataset
 * (rank 2: one row of `count` columns) into out as memtype. */
static psim_status read_row(const psim_h5_reader *rd, hid_t d, const char *name, int rank, hsize_t row,
                            hsize_t count, hid_t memtype, void *out)
{
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, &count, NULL);
    hsize_t start[2] = {row, 0}, cnt[2] = {1, count};
    if (rank == 1)
        cnt[0] = count;
    psim_status st = PSIM_OK;
    if (fs < 0 || ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
        H5Dread(d, memtype, ms, fs, H5P_DEFAULT, out) < 0)
        st = psim_h5_bad(rd, "damaged file: cannot read %s", name);
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    return st;
}

/* The trajectory sample: the same k patients (evenly spaced rows of the
 * cohort) under every strategy; their VAS on the recorded days, thinned. */
static psim_status write_trajectories(jw *w, const psim_h5_reader *rd, const psim_report *rep, int k_want)
{
    psim_status st = PSIM_OK;
    hid_t dday = H5I_INVALID_HID, dbase = H5I_INVALID_HID, dv = H5I_INVALID_HID;
    int32_t *days = NULL;
    uint8_t *row = NULL;
    int *idx = NULL;
    hsize_t R = 0;
    char name[PSIM_NAME_MAX + 64];
    int have = 0;
    for (int s = 0; s < rep->n_strategies; s++) {
        snprintf(name, sizeof name, "/strategies/%s/vas_mm", rep->strategies[s].name);
        if (H5Lexists(rd->file, name, H5P_DEFAULT) > 0)
            have++;
    }
    H5Eclear2(H5E_DEFAULT);
    jw_key(w, "trajectories");
    if (k_want <= 0 || have == 0 || H5Lexists(rd->file, "/time/day", H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        jw_null(w);
        return PSIM_OK;
    }
    dday = H5Dopen2(rd->file, "/time/day", H5P_DEFAULT);
    if (dday < 0) {
        st = psim_h5_bad(rd, "damaged file: cannot open %s", "/time/day");
        goto done;
    }
    if ((st = ds_dims(rd, dday, "/time/day", 1, &R)) != PSIM_OK)
        goto done;
    if (R < 1 || R > (1u << 24)) {
        st = psim_h5_bad(rd, "damaged file: %s has a bad length", "/time/day");
        goto done;
    }
    days = malloc(R * sizeof *days);
    row = malloc(R);
    idx = malloc(MAX_TRAJ_POINTS * sizeof *idx);
    if (!days || !row || !idx) {
        st = psim_error_set(rd->err, PSIM_ERR_NOMEM, rd->path, 0, 0, "out of memory");
        goto done;
    }
    if ((st = read_row(rd, dday, "/time/day", 1, 0, R, H5T_NATIVE_INT32, days)) != PSIM_OK)
        goto done;
    int n_pts = thin_indices((int)R, MAX_TRAJ_POINTS, idx);
    long long N = (long long)rep->patients;
    int K = k_want > MAX_TRAJECTORIES ? MAX_TRAJECTORIES : k_want;
    if (K > N)
        K = (int)N;

    jw_open(w, '{');
    jw_key(w, "days");
    jw_open(w, '[');
    for (int i = 0; i < n_pts; i++)
        jw_int(w, days[idx[i]]);
    jw_close(w, ']');
    jw_key(w, "patients");
    jw_open(w, '[');
    for (int k = 0; k < K; k++)
        jw_int(w, (long long)((double)k * N / K));
    jw_close(w, ']');
    /* baselines of the sampled patients, for the B/2 response line */
    jw_key(w, "baseline_vas");
    jw_open(w, '[');
    if (H5Lexists(rd->file, "/cohort/baseline_vas", H5P_DEFAULT) > 0 &&
        (dbase = H5Dopen2(rd->file, "/cohort/baseline_vas", H5P_DEFAULT)) >= 0) {
        for (int k = 0; k < K; k++) {
            double b = NAN;
            hsize_t i = (hsize_t)((double)k * N / K);
            if ((st = read_row(rd, dbase, "/cohort/baseline_vas", 1, i, 1, H5T_NATIVE_DOUBLE, &b)) != PSIM_OK)
                goto done;
            jw_num(w, b);
        }
    }
    H5Eclear2(H5E_DEFAULT);
    jw_close(w, ']');
    jw_key(w, "vas");
    jw_open(w, '{');
    for (int s = 0; s < rep->n_strategies; s++) {
        snprintf(name, sizeof name, "/strategies/%s/vas_mm", rep->strategies[s].name);
        if (H5Lexists(rd->file, name, H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            continue;
        }
        hsize_t dims[2];
        if ((dv = H5Dopen2(rd->file, name, H5P_DEFAULT)) < 0) {
            st = psim_h5_bad(rd, "damaged file: cannot open %s", name);
            goto done;
        }
        if ((st = ds_dims(rd, dv, name, 2, dims)) != PSIM_OK)
            goto done;
        if (dims[1] != R || (long long)dims[0] != N) {
            st = psim_h5_bad(rd, "damaged file: %s does not match the patients and recorded days", name);
            goto done;
        }
        jw_key(w, rep->strategies[s].name);
        jw_open(w, '[');
        for (int k = 0; k < K; k++) {
            hsize_t i = (hsize_t)((double)k * N / K);
            if ((st = read_row(rd, dv, name, 2, i, R, H5T_NATIVE_UINT8, row)) != PSIM_OK)
                goto done;
            jw_open(w, '[');
            for (int j = 0; j < n_pts; j++) {
                jw_pre(w);
                fprintf(w->fp, "%.1f", row[idx[j]] / 10.0); /* mm -> cm */
            }
            jw_close(w, ']');
        }
        jw_close(w, ']');
        H5Dclose(dv);
        dv = H5I_INVALID_HID;
    }
    jw_close(w, '}');
    jw_close(w, '}');
done:
    if (dv >= 0)
        H5Dclose(dv);
    if (dbase >= 0)
        H5Dclose(dbase);
    if (dday >= 0)
        H5Dclose(dday);
    free(days);
    free(row);
    free(idx);
    return st;
}

/* ---- the JSON document -------------------------------------------------- */

static void write_meta(jw *w, const prov *p, const char *h5_path, const char *chartjs_path, const char *currency)
{
    char now[64] = "";
    time_t t = time(NULL);
    struct tm tmv;
    if (gmtime_r(&t, &tmv))
        strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", p->seed);
    jw_key(w, "meta");
    jw_open(w, '{');
    kv_str(w, "scenario", p->scenario);
    kv_str(w, "file", h5_path);
    kv_str(w, "painsim_version", p->painsim_version);
    kv_str(w, "model_version", p->model_version);
    kv_str(w, "created", p->created);
    kv_str(w, "command_line", p->command_line ? p->command_line : "");
    kv_str(w, "seed", seed); /* a string: JSON numbers lose digits beyond 2^53 */
    kv_int(w, "patients", p->patients);
    kv_int(w, "horizon_days", p->horizon_days);
    kv_int(w, "record_every_days", p->record_every_days);
    kv_int(w, "block_size", p->block_size);
    kv_str(w, "reference", p->reference);
    kv_str(w, "currency", currency);
    kv_str(w, "report_created", now);
    kv_str(w, "report_version", PAINSIM_VERSION);
    kv_str(w, "chartjs", chartjs_path);
    jw_close(w, '}');
    kv_str(w, "scenario_text", p->text ? p->text : "");
    kv_str(w, "scenario_resolved", p->resolved ? p->resolved : "");
}

/* What the resolved scenario says (description, discounting, utilities,
 * strategies and their schedules), when it loads; null otherwise. */
static void write_scenario_facts(jw *w, const prov *p)
{
    jw_key(w, "facts");
    psim_scenario *scn = NULL;
    psim_error e;
    psim_error_clear(&e);
    if (!p->resolved ||
        psim_scenario_load_text(p->resolved, strlen(p->resolved), "resolved", NULL, 0, &scn, &e) != PSIM_OK) {
        jw_null(w);
        return;
    }
    const psim_economics *ec = &scn->economics;
    jw_open(w, '{');
    kv_str(w, "description", scn->description);
    kv_num(w, "discount_costs", ec->discount_costs);
    kv_num(w, "discount_qalys", ec->discount_qalys);
    kv_num(w, "utility_u0", ec->utility_u0);
    kv_num(w, "utility_slope", ec->utility_slope);
    kv_num(w, "population", ec->population);
    kv_num(w, "horizon_years", ec->horizon_years);
    kv_int(w, "uncertain", scn->n_uncertain);
    jw_key(w, "strategies");
    jw_open(w, '[');
    for (int s = 0; s < scn->n_strategies; s++) {
        const psim_strategy *st = &scn->strategies[s];
        jw_open(w, '{');
        kv_str(w, "name", st->name);
        kv_str(w, "treatment", st->treatment);
        kv_str(w, "fallback", st->fallback);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    jw_close(w, '}');
    psim_scenario_destroy(scn);
}

static psim_status write_cohort(jw *w, const psim_h5_reader *rd, const psim_report *rep, const psim_html_options *o)
{
    const int S = rep->n_strategies, W = rep->n_wtp, H = rep->horizon_days;
    kv_str(w, "kind", "cohort");
    jw_key(w, "wtp");
    jw_open(w, '[');
    for (int k = 0; k < W; k++)
        jw_num(w, rep->wtp[k]);
    jw_close(w, ']');
    jw_key(w, "frontier");
    jw_open(w, '[');
    for (int k = 0; k < rep->n_frontier; k++)
        jw_str(w, rep->strategies[rep->frontier[k]].name);
    jw_close(w, ']');
    jw_key(w, "results");
    jw_open(w, '[');
    for (int s = 0; s < S; s++) {
        const psim_report_strategy *r = &rep->strategies[s];
        jw_open(w, '{');
        kv_str(w, "name", r->name);
        kv_str(w, "treatment", r->treatment);
        kv_int(w, "patients", r->patients);
        kv_int(w, "eligible", r->eligible);
        kv_int(w, "treated", r->treated);
        kv_int(w, "with_session", r->with_session);
        kv_est(w, "first_response", r->first_response);
        kv_est(w, "persistence_given_response", r->persistence_given_response);
        kv_est(w, "sessions", r->sessions);
        kv_est(w, "units", r->units);
        kv_est(w, "cost", r->cost);
        kv_est(w, "qaly", r->qaly);
        kv_est(w, "delta_cost", r->delta_cost);
        kv_est(w, "delta_qaly", r->delta_qaly);
        kv_num(w, "icer", r->icer);
        kv_str(w, "dominated", psim_dominance_name(r->dominated));
        kv_int(w, "on_frontier", r->on_frontier);
        kv_str(w, "seq_status", psim_seq_status_name(r->seq_status));
        kv_str(w, "seq_previous", r->seq_prev >= 0 ? rep->strategies[r->seq_prev].name : "");
        kv_num(w, "seq_icer", r->seq_icer);
        kv_arr(w, "nmb", r->nmb, (size_t)W, 1);
        kv_arr(w, "nmb_se", r->nmb_se, (size_t)W, 1);
        double ae = 0;
        for (int k = 0; k < rep->n_ae_kinds; k++)
            ae += r->ae_per_patient ? r->ae_per_patient[k] : 0;
        kv_num(w, "adverse_events_per_patient", ae);
        jw_close(w, '}');
    }
    jw_close(w, ']');

    /* per-day curves, thinned to MAX_CURVE_POINTS days */
    int *idx = malloc(MAX_CURVE_POINTS * sizeof *idx);
    if (!idx)
        return psim_error_set(rd->err, PSIM_ERR_NOMEM, rd->path, 0, 0, "out of memory");
    int n = thin_indices(H, MAX_CURVE_POINTS, idx);
    jw_key(w, "daily");
    jw_open(w, '{');
    jw_key(w, "days");
    jw_open(w, '[');
    for (int i = 0; i < n; i++)
        jw_int(w, idx[i]);
    jw_close(w, ']');
    jw_key(w, "strategies");
    jw_open(w, '{');
    for (int s = 0; s < S; s++) {
        const psim_report_strategy *r = &rep->strategies[s];
        jw_key(w, r->name);
        jw_open(w, '{');
        kv_arr_idx(w, "mean_vas", r->mean_vas, idx, n);
        kv_arr_idx(w, "mean_vas_se", r->mean_vas_se, idx, n);
        kv_arr_idx(w, "observed_response", r->observed_response, idx, n);
        kv_arr_idx(w, "observed_response_se", r->observed_response_se, idx, n);
        jw_close(w, '}');
    }
    jw_close(w, '}');
    jw_close(w, '}');
    free(idx);
    return write_trajectories(w, rd, rep, o->trajectories);
}

static psim_status write_psa(jw *w, const psim_h5_reader *rd, const psim_psa_sample *smp, const psim_psa_analysis *a)
{
    const int I = smp->iterations, S = smp->n_strategies, W = a->n_wtp, ref = smp->reference;
    kv_str(w, "kind", "psa");
    jw_key(w, "psa");
    jw_open(w, '{');
    kv_int(w, "iterations", I);
    kv_int(w, "patients_per_iteration", smp->patients);
    kv_str(w, "patients", smp->common_patients ? "common" : "per_iteration");
    kv_str(w, "reference", smp->strategy[ref]);
    kv_num(w, "population", a->population);
    kv_num(w, "population_factor", a->population_factor);
    kv_num(w, "elapsed_seconds", smp->elapsed_seconds);
    jw_key(w, "strategies");
    jw_open(w, '[');
    for (int s = 0; s < S; s++)
        jw_str(w, smp->strategy[s]);
    jw_close(w, ']');
    kv_arr(w, "wtp", a->wtp, (size_t)W, 1);

    /* mean cost and QALYs per strategy over the iterations, with their SE
     * over iterations, and the paired differences against the reference */
    double *mc = calloc((size_t)S * 4, sizeof *mc);
    int *idx = malloc(MAX_CLOUD_POINTS * sizeof *idx);
    psim_dominance *dom = calloc((size_t)S, sizeof *dom);
    int *onf = calloc((size_t)S, sizeof *onf), *fr = calloc((size_t)S, sizeof *fr);
    if (!mc || !idx || !dom || !onf || !fr) {
        free(mc);
        free(idx);
        free(dom);
        free(onf);
        free(fr);
        return psim_error_set(rd->err, PSIM_ERR_NOMEM, rd->path, 0, 0, "out of memory");
    }
    double *mq = mc + S, *sc = mc + 2 * S, *sq = mc + 3 * S;
    jw_key(w, "means");
    jw_open(w, '[');
    for (int s = 0; s < S; s++) {
        double c1 = 0, c2 = 0, q1 = 0, q2 = 0, dc1 = 0, dc2 = 0, dq1 = 0, dq2 = 0;
        for (int i = 0; i < I; i++) {
            double c = smp->cost[(size_t)i * S + s], q = smp->qaly[(size_t)i * S + s];
            double dc = c - smp->cost[(size_t)i * S + ref], dq = q - smp->qaly[(size_t)i * S + ref];
            c1 += c, c2 += c * c, q1 += q, q2 += q * q;
            dc1 += dc, dc2 += dc * dc, dq1 += dq, dq2 += dq * dq;
        }
        psim_estimate ce, qe, dce, dqe;
        ce.mean = psim_econ_mean_se(c1, c2, I, &ce.se);
        qe.mean = psim_econ_mean_se(q1, q2, I, &qe.se);
        dce.mean = psim_econ_mean_se(dc1, dc2, I, &dce.se);
        dqe.mean = psim_econ_mean_se(dq1, dq2, I, &dqe.se);
        mc[s] = ce.mean, mq[s] = qe.mean, sc[s] = ce.se, sq[s] = qe.se;
        jw_open(w, '{');
        kv_str(w, "name", smp->strategy[s]);
        kv_est(w, "cost", ce);
        kv_est(w, "qaly", qe);
        kv_est(w, "delta_cost", dce);
        kv_est(w, "delta_qaly", dqe);
        kv_num(w, "icer", s == ref ? NAN : psim_econ_icer(dce.mean, dqe.mean));
        jw_close(w, '}');
    }
    jw_close(w, ']');
    int nf = psim_econ_frontier(S, mc, mq, dom, onf, fr);
    jw_key(w, "frontier");
    jw_open(w, '[');
    for (int k = 0; k < nf; k++)
        jw_str(w, smp->strategy[fr[k]]);
    jw_close(w, ']');
    jw_key(w, "dominated");
    jw_open(w, '[');
    for (int s = 0; s < S; s++)
        jw_str(w, psim_dominance_name(dom[s]));
    jw_close(w, ']');

    /* the cloud: incremental QALYs and cost against the reference per
     * iteration, at most MAX_CLOUD_POINTS iterations */
    int n = thin_indices(I, MAX_CLOUD_POINTS, idx);
    kv_int(w, "cloud_shown", n);
    jw_key(w, "cloud");
    jw_open(w, '{');
    for (int s = 0; s < S; s++) {
        if (s == ref)
            continue;
        jw_key(w, smp->strategy[s]);
        jw_open(w, '{');
        jw_key(w, "dq");
        jw_open(w, '[');
        for (int k = 0; k < n; k++)
            jw_num(w, smp->qaly[(size_t)idx[k] * S + s] - smp->qaly[(size_t)idx[k] * S + ref]);
        jw_close(w, ']');
        jw_key(w, "dc");
        jw_open(w, '[');
        for (int k = 0; k < n; k++)
            jw_num(w, smp->cost[(size_t)idx[k] * S + s] - smp->cost[(size_t)idx[k] * S + ref]);
        jw_close(w, ']');
        jw_close(w, '}');
    }
    jw_close(w, '}');
    free(mc);
    free(idx);
    free(dom);
    free(onf);
    free(fr);

    /* decision figures, [W x S] tables as one array per strategy */
    jw_key(w, "ceac");
    jw_open(w, '{');
    for (int s = 0; s < S; s++)
        kv_arr(w, smp->strategy[s], a->ceac + s, (size_t)W, (size_t)S);
    jw_close(w, '}');
    jw_key(w, "expected_nmb");
    jw_open(w, '{');
    for (int s = 0; s < S; s++)
        kv_arr(w, smp->strategy[s], a->enmb + s, (size_t)W, (size_t)S);
    jw_close(w, '}');
    jw_key(w, "expected_nmb_se");
    jw_open(w, '{');
    for (int s = 0; s < S; s++)
        kv_arr(w, smp->strategy[s], a->enmb_se + s, (size_t)W, (size_t)S);
    jw_close(w, '}');
    jw_key(w, "ceaf_strategy");
    jw_open(w, '[');
    for (int k = 0; k < W; k++)
        jw_str(w, smp->strategy[a->ceaf_strategy[k]]);
    jw_close(w, ']');
    kv_arr(w, "ceaf", a->ceaf, (size_t)W, 1);
    kv_arr(w, "evpi", a->evpi, (size_t)W, 1);
    kv_arr(w, "evpi_se", a->evpi_se, (size_t)W, 1);
    kv_arr(w, "evpi_noise_corrected", a->evpi_corrected, (size_t)W, 1);
    kv_arr(w, "evpi_noise_corrected_se", a->evpi_corrected_se, (size_t)W, 1);
    jw_key(w, "evppi");
    jw_open(w, '[');
    for (int k = 0; k < a->n_evppi + a->n_groups; k++) {
        int g = k - a->n_evppi;
        jw_open(w, '{');
        kv_str(w, "name", g < 0 ? smp->param_name[k] : a->group_name[g]);
        kv_int(w, "group", g >= 0);
        if (g >= 0)
            kv_str(w, "members", a->group_members[g]);
        kv_arr(w, "value", g < 0 ? a->evppi + (size_t)k * W : a->group_evppi + (size_t)g * W, (size_t)W, 1);
        kv_arr(w, "se", g < 0 ? a->evppi_se + (size_t)k * W : a->group_evppi_se + (size_t)g * W, (size_t)W, 1);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    jw_key(w, "parameters");
    jw_open(w, '[');
    for (int c = 0; c < smp->n_cols; c++) {
        jw_open(w, '{');
        kv_str(w, "name", smp->col_name[c]);
        kv_str(w, "unit", smp->col_unit[c]);
        kv_str(w, "distribution", smp->col_dist[c]);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    jw_close(w, '}');
    return PSIM_OK;
}

/* ---- sweeps and tornado (docs/output-format.md, group /sweep) ------------ */

#define SWEEP_MAX_POINTS 100000
#define SWEEP_MAX_DAYS 4096

/* The dataset /sweep/name, of rank `rank` with dims[i] as given (0: any,
 * then filled in), read whole as memtype (elements of elsize bytes). */
static psim_status sweep_read(const psim_h5_reader *rd, hid_t g, const char *name, int rank, hsize_t *dims,
                              hid_t memtype, size_t elsize, void **out)
{
    char full[160];
    snprintf(full, sizeof full, "/sweep/%s", name);
    *out = NULL;
    if (H5Lexists(g, name, H5P_DEFAULT) <= 0)
        return psim_h5_bad(rd, "not a complete sweep file: no %s", full);
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return psim_h5_bad(rd, "damaged file: cannot open %s", full);
    hsize_t got[3] = {0, 0, 0};
    psim_status st = ds_dims(rd, d, full, rank, got);
    size_t n = 1;
    for (int i = 0; st == PSIM_OK && i < rank; i++) {
        if (dims[i] && got[i] != dims[i])
            st = psim_h5_bad(rd, "damaged file: %s does not match the points, strategies or days", full);
        dims[i] = got[i];
        n *= (size_t)got[i];
    }
    if (st == PSIM_OK && n > (size_t)SWEEP_MAX_POINTS * 64)
        st = psim_h5_bad(rd, "damaged file: %s is too large", full);
    hid_t ft = st == PSIM_OK ? H5Dget_type(d) : H5I_INVALID_HID;
    if (st == PSIM_OK && (ft < 0 || (H5Tget_class(ft) != H5T_INTEGER && H5Tget_class(ft) != H5T_FLOAT)))
        st = psim_h5_bad(rd, "not a painsim file: %s is not numeric", full);
    if (st == PSIM_OK) {
        *out = malloc(n ? n * elsize : 1);
        if (!*out)
            st = psim_error_set(rd->err, PSIM_ERR_NOMEM, rd->path, 0, 0, "out of memory");
        else if (n && H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
            st = psim_h5_bad(rd, "damaged file: cannot read %s", full);
    }
    if (st != PSIM_OK) {
        free(*out);
        *out = NULL;
    }
    if (ft >= 0)
        H5Tclose(ft);
    H5Dclose(d);
    return st;
}

/* A 1-D variable-length string dataset /sweep/name of n entries, as a JSON
 * array (read through the bounded reader of sim/output/h5read.c). */
#define SWEEP_STR_MAX 256
static psim_status sweep_strs(jw *w, const psim_h5_reader *rd, hid_t g, const char *key, const char *name, hsize_t n)
{
    char full[160];
    snprintf(full, sizeof full, "/sweep/%s", name);
    if (H5Lexists(g, name, H5P_DEFAULT) <= 0)
        return psim_h5_bad(rd, "not a complete sweep file: no %s", full);
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT), ft = H5I_INVALID_HID;
    char *v = NULL;
    hsize_t got = 0;
    int bad = 0;
    psim_status st = d < 0 ? psim_h5_bad(rd, "damaged file: cannot open %s", full) : ds_dims(rd, d, full, 1, &got);
    if (st == PSIM_OK && got != n)
        st = psim_h5_bad(rd, "damaged file: %s does not match the other tables", full);
    if (st == PSIM_OK && ((ft = H5Dget_type(d)) < 0 || H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) <= 0))
        st = psim_h5_bad(rd, "damaged file: %s is not a variable-length string column", full);
    if (st == PSIM_OK && !(v = calloc((size_t)n + 1, SWEEP_STR_MAX)))
        st = psim_error_set(rd->err, PSIM_ERR_NOMEM, rd->path, 0, 0, "out of memory");
    if (st == PSIM_OK) {
        int rc = psim_h5_read_strings(d, ft, n, v, SWEEP_STR_MAX, &bad);
        if (rc == -2)
            st = psim_error_set(rd->err, PSIM_ERR_NOMEM, rd->path, 0, 0, "out of memory");
        else if (rc != 0 || bad)
            st = psim_h5_bad(rd, "damaged file: %s has a missing, over-long or unreadable entry", full);
    }
    if (st == PSIM_OK) {
        jw_key(w, key);
        jw_open(w, '[');
        for (hsize_t k = 0; k < n; k++)
            jw_str(w, v + k * SWEEP_STR_MAX);
        jw_close(w, ']');
    }
    free(v);
    if (ft >= 0)
        H5Tclose(ft);
    if (d >= 0)
        H5Dclose(d);
    return st;
}

static psim_status write_sweep(jw *w, const psim_h5_reader *rd)
{
    static const char *const tables[] = {"cost", "cost_se", "qaly", "qaly_se", "delta_cost", "delta_cost_se",
                                         "delta_qaly", "delta_qaly_se", "icer", "nmb", "nmb_se",
                                         "incremental_nmb", "incremental_nmb_se", "first_response",
                                         "first_response_se"};
    psim_status st = PSIM_OK;
    hid_t g = H5Gopen2(rd->file, "/sweep", H5P_DEFAULT);
    if (g < 0)
        return psim_h5_bad(rd, "damaged file: cannot open %s", "/sweep");
    double *buf = NULL;
    int32_t *ibuf = NULL;
    char kind[32] = "", currency[16] = "", reference[PSIM_NAME_MAX] = "", outcome[PSIM_NAME_MAX] = "";
    double wtp = NAN;
    hsize_t K = 0, S = 0, P = 0, D = 0, dims[3];
    if ((st = psim_h5_read_attr_str(rd, g, "/sweep", "kind", kind, sizeof kind)) != PSIM_OK ||
        (st = psim_h5_read_attr_str(rd, g, "/sweep", "currency", currency, sizeof currency)) != PSIM_OK ||
        (st = psim_h5_read_attr_str(rd, g, "/sweep", "reference", reference, sizeof reference)) != PSIM_OK ||
        (st = psim_h5_read_attr_str(rd, g, "/sweep", "outcome_strategy", outcome, sizeof outcome)) != PSIM_OK ||
        (st = psim_h5_read_attr_num(rd, g, "/sweep", "wtp", H5T_NATIVE_DOUBLE, &wtp)) != PSIM_OK)
        goto done;
    /* the shapes: K points from point_value, S from cost, P from parameter_low, D from days */
    dims[0] = 0;
    if ((st = sweep_read(rd, g, "point_value", 1, dims, H5T_NATIVE_DOUBLE, sizeof *buf, (void **)&buf)) != PSIM_OK)
        goto done;
    K = dims[0];
    if (K < 1 || K > SWEEP_MAX_POINTS) {
        st = psim_h5_bad(rd, "damaged file: %s has no points or too many", "/sweep/point_value");
        goto done;
    }
    kv_str(w, "kind", "sweep");
    jw_key(w, "sweep");
    jw_open(w, '{');
    kv_str(w, "kind", kind);
    kv_str(w, "currency", currency);
    kv_str(w, "reference", reference);
    kv_str(w, "outcome_strategy", outcome);
    kv_num(w, "wtp", wtp);
    kv_arr(w, "point_value", buf, (size_t)K, 1);
    free(buf);
    buf = NULL;
    dims[0] = K;
    if ((st = sweep_read(rd, g, "point_parameter", 1, dims, H5T_NATIVE_INT32, sizeof *ibuf, (void **)&ibuf)) !=
        PSIM_OK)
        goto done;
    jw_key(w, "point_parameter");
    jw_open(w, '[');
    for (hsize_t k = 0; k < K; k++)
        jw_int(w, ibuf[k]);
    jw_close(w, ']');
    if ((st = sweep_strs(w, rd, g, "point_level", "point_level", K)) != PSIM_OK)
        goto done;

    dims[0] = 0;
    if ((st = sweep_read(rd, g, "parameter_low", 1, dims, H5T_NATIVE_DOUBLE, sizeof *buf, (void **)&buf)) != PSIM_OK)
        goto done;
    P = dims[0];
    for (hsize_t k = 0; k < K; k++)
        if (ibuf[k] < -1 || ibuf[k] >= (int32_t)P) {
            st = psim_h5_bad(rd, "damaged file: %s names a parameter that is not there", "/sweep/point_parameter");
            goto done;
        }
    kv_arr(w, "parameter_low", buf, (size_t)P, 1);
    free(buf);
    buf = NULL;
    static const char *const pcols[] = {"parameter_high", "parameter_base"};
    for (int c = 0; c < 2; c++) {
        dims[0] = P;
        if ((st = sweep_read(rd, g, pcols[c], 1, dims, H5T_NATIVE_DOUBLE, sizeof *buf, (void **)&buf)) != PSIM_OK)
            goto done;
        kv_arr(w, pcols[c], buf, (size_t)P, 1);
        free(buf);
        buf = NULL;
    }
    if ((st = sweep_strs(w, rd, g, "parameters", "parameters", P)) != PSIM_OK ||
        (st = sweep_strs(w, rd, g, "parameter_units", "parameter_units", P)) != PSIM_OK ||
        (st = sweep_strs(w, rd, g, "parameter_bounds", "parameter_bounds", P)) != PSIM_OK)
        goto done;

    dims[0] = K, dims[1] = 0;
    if ((st = sweep_read(rd, g, "cost", 2, dims, H5T_NATIVE_DOUBLE, sizeof *buf, (void **)&buf)) != PSIM_OK)
        goto done;
    S = dims[1];
    free(buf);
    buf = NULL;
    if ((st = sweep_strs(w, rd, g, "strategies", "strategies", S)) != PSIM_OK)
        goto done;
    /* [K x S] tables as one array of K rows */
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        dims[0] = K, dims[1] = S;
        if ((st = sweep_read(rd, g, tables[t], 2, dims, H5T_NATIVE_DOUBLE, sizeof *buf, (void **)&buf)) != PSIM_OK)
            goto done;
        jw_key(w, tables[t]);
        jw_open(w, '[');
        for (hsize_t k = 0; k < K; k++) {
            jw_open(w, '[');
            for (hsize_t s = 0; s < S; s++)
                jw_num(w, buf[k * S + s]);
            jw_close(w, ']');
        }
        jw_close(w, ']');
        free(buf);
        buf = NULL;
    }
    free(ibuf);
    ibuf = NULL;
    dims[0] = 0;
    if ((st = sweep_read(rd, g, "days", 1, dims, H5T_NATIVE_INT32, sizeof *ibuf, (void **)&ibuf)) != PSIM_OK)
        goto done;
    D = dims[0];
    if (D > SWEEP_MAX_DAYS) {
        st = psim_h5_bad(rd, "damaged file: %s has too many days", "/sweep/days");
        goto done;
    }
    jw_key(w, "days");
    jw_open(w, '[');
    for (hsize_t j = 0; j < D; j++)
        jw_int(w, ibuf[j]);
    jw_close(w, ']');
    static const char *const vcols[] = {"mean_vas", "mean_vas_se"};
    for (int c = 0; c < 2 && D > 0; c++) {
        dims[0] = K, dims[1] = S, dims[2] = D;
        if ((st = sweep_read(rd, g, vcols[c], 3, dims, H5T_NATIVE_DOUBLE, sizeof *buf, (void **)&buf)) != PSIM_OK)
            goto done;
        jw_key(w, vcols[c]); /* [K][S][D] */
        jw_open(w, '[');
        for (hsize_t k = 0; k < K; k++) {
            jw_open(w, '[');
            for (hsize_t s = 0; s < S; s++)
                kv_arr_raw(w, buf + (k * S + s) * D, (size_t)D);
            jw_close(w, ']');
        }
        jw_close(w, ']');
        free(buf);
        buf = NULL;
    }
    jw_close(w, '}');
done:
    free(buf);
    free(ibuf);
    H5Gclose(g);
    return st;
}

/* ---- the page ----------------------------------------------------------- */

static void html_escape(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '&': fputs("&amp;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default: fputc(*s, fp);
        }
    }
}

/* Read Chart.js whole; a missing file names the Debian package. */
static psim_status read_chartjs(const char *path, char **out, size_t *len, psim_error *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return psim_error_set(err, PSIM_ERR_IO, path, 0, 0,
                              "cannot read Chart.js, which the report inlines to draw its charts: %s; "
                              "install Debian's package libjs-chart.js (apt-get install libjs-chart.js)",
                              strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 65536) {
            size_t nc = cap ? cap * 2 : 1 << 18;
            char *nb = realloc(buf, nc + 1);
            if (!nb) {
                free(buf);
                fclose(fp);
                return psim_error_set(err, PSIM_ERR_NOMEM, path, 0, 0, "out of memory");
            }
            buf = nb, cap = nc;
        }
        size_t r = fread(buf + n, 1, cap - n, fp);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad || n == 0 || !strstr(buf ? (buf[n] = '\0', buf) : "", "Chart")) {
        free(buf);
        return psim_error_set(err, PSIM_ERR_IO, path, 0, 0,
                              "%s; the report needs Chart.js from Debian's package libjs-chart.js "
                              "(apt-get install --reinstall libjs-chart.js)",
                              bad ? "cannot read the file" : "the file is empty or is not Chart.js");
    }
    *out = buf;
    *len = n;
    return PSIM_OK;
}

/* Copy script text into a script element: "</script" (any case) and "<!--"
 * must not occur inside it, so there the '<' is followed by a backslash
 * ("<\/script", "<\!--": the same string in JavaScript literals, the only
 * place such text can stand). */
static void write_script_text(FILE *fp, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fputc(s[i], fp);
        if (s[i] == '<' && ((i + 7 < n && s[i + 1] == '/' && strncasecmp(s + i + 2, "script", 6) == 0) ||
                            (i + 3 < n && strncmp(s + i + 1, "!--", 3) == 0)))
            fputc('\\', fp);
    }
}

static psim_status write_page(FILE *fp, const char *h5_path, const char *chartjs_path, const char *chartjs,
                              size_t chartjs_len, const psim_h5_reader *rd, const prov *p, const psim_report *rep,
                              const psim_psa_sample *smp, const psim_psa_analysis *a, const psim_html_options *o)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"painsim " PAINSIM_VERSION "\">\n<title>painsim report: ",
          fp);
    html_escape(fp, p->scenario[0] ? p->scenario : h5_path);
    fputs("</title>\n<style>\n", fp);
    fwrite(psim_report_asset_css, 1, psim_report_asset_css_len, fp);
    fputs("</style>\n<script>\n/* Chart.js from ", fp);
    html_escape(fp, chartjs_path);
    fputs(" (Debian package libjs-chart.js), MIT licence */\n", fp);
    write_script_text(fp, chartjs, chartjs_len);
    fputs("\n</script>\n</head>\n<body>\n<main id=\"report\">"
          "<noscript><p>This report draws its tables and charts with JavaScript; "
          "allow scripts for this file to see them.</p></noscript></main>\n"
          "<script type=\"application/json\" id=\"painsim-data\">\n",
          fp);
    jw w = {.fp = fp};
    jw_open(&w, '{');
    const char *currency = rep ? rep->currency : a ? a->currency : ""; /* a sweep: /sweep says */
    write_meta(&w, p, h5_path, chartjs_path, currency);
    write_scenario_facts(&w, p);
    psim_status st = rep ? write_cohort(&w, rd, rep, o) : smp ? write_psa(&w, rd, smp, a) : write_sweep(&w, rd);
    if (st != PSIM_OK)
        return st;
    jw_close(&w, '}');
    fputs("\n</script>\n<script>\n", fp);
    write_script_text(fp, (const char *)psim_report_asset_js, psim_report_asset_js_len);
    fputs("\n</script>\n</body>\n</html>\n", fp);
    return PSIM_OK;
}

psim_status psim_report_html_write(const char *h5_path, const char *out_path, const psim_html_options *opt,
                                   psim_error *err)
{
    psim_html_options o = opt ? *opt : psim_html_options_default();
    const char *cjs_path = o.chartjs_path ? o.chartjs_path : PSIM_CHARTJS_DEFAULT_PATH;
    psim_status st = psim_output_check(out_path, o.force, err);
    if (st != PSIM_OK)
        return st;
    char *cjs = NULL;
    size_t cjs_len = 0;
    if ((st = read_chartjs(cjs_path, &cjs, &cjs_len, err)) != PSIM_OK)
        return st;

    psim_report *rep = NULL;
    psim_psa_sample *smp = NULL;
    psim_psa_analysis *an = NULL;
    prov p;
    memset(&p, 0, sizeof p);
    psim_outfile of;
    memset(&of, 0, sizeof of);
    of.fd = -1;
    FILE *fp = NULL;
    psim_h5_reader rd = {.path = h5_path, .file = H5I_INVALID_HID, .err = err};
    char name[PSIM_NAME_MAX];

    psim_h5_quiet();
    int has_psa = psim_psa_file_has_psa(h5_path), has_sweep = 0;
    if (has_psa == 1) {
        st = psim_psa_read_h5(h5_path, &smp, &an, name, err);
        if (st != PSIM_OK)
            goto done;
    }
    if (has_psa != 1) {
        /* a sweep file has /sweep and no /results; everything else goes to
         * the /results reader, whose messages say what is missing */
        hid_t f = H5Fopen(h5_path, H5F_ACC_RDONLY, H5P_DEFAULT);
        has_sweep = f >= 0 && H5Lexists(f, "/sweep", H5P_DEFAULT) > 0 && H5Lexists(f, "/results", H5P_DEFAULT) <= 0;
        if (f >= 0)
            H5Fclose(f);
        H5Eclear2(H5E_DEFAULT);
        if (!has_sweep && (st = psim_report_read_h5(h5_path, &rep, err)) != PSIM_OK)
            goto done;
    }
    rd.file = H5Fopen(h5_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (rd.file < 0) {
        st = psim_h5_bad(&rd, has_sweep ? "not a painsim file: %s cannot be opened as HDF5"
                                        : "cannot open the file again: %s changed while being read", h5_path);
        goto done;
    }
    if ((st = read_prov(&rd, &p)) != PSIM_OK)
        goto done;

    /* the page is written like every output file: NAME.partial, created
     * exclusively and locked, renamed when complete (sim/output/outfile.c) */
    if ((st = psim_outfile_begin(&of, out_path, o.force, NULL, NULL, err)) != PSIM_OK)
        goto done;
    int fd = dup(of.fd);
    fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!fp) {
        if (fd >= 0)
            close(fd);
        st = psim_error_set(err, PSIM_ERR_IO, of.partial, 0, 0, "cannot write the report: %s", strerror(errno));
        goto done;
    }
    st = write_page(fp, h5_path, cjs_path, cjs, cjs_len, &rd, &p, rep, smp, an, &o);
    if (st == PSIM_OK && (fflush(fp) != 0 || ferror(fp)))
        st = psim_error_set(err, PSIM_ERR_IO, of.partial, 0, 0, "cannot write the report: %s", strerror(errno));
    if (fclose(fp) != 0 && st == PSIM_OK)
        st = psim_error_set(err, PSIM_ERR_IO, of.partial, 0, 0, "cannot write the report: %s", strerror(errno));
    fp = NULL;
    if (st == PSIM_OK)
        st = psim_outfile_commit(&of, err);
done:
    if (fp)
        fclose(fp);
    psim_outfile_abort(&of);
    if (rd.file >= 0)
        H5Fclose(rd.file);
    prov_free(&p);
    free(cjs);
    psim_report_destroy(rep);
    psim_psa_sample_destroy(smp);
    psim_psa_analysis_destroy(an);
    return st;
}
