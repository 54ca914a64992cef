/* The PSA file: root attributes, /scenario and /psa (docs/output-format.md). */
#include <errno.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/files.h"
#include "model/psa_internal.h"
#include "output/h5read.h"
#include "output/h5util.h"
#include "output/outfile.h"
#include "painsim/psa.h"

#ifndef PAINSIM_VERSION
#define PAINSIM_VERSION "unknown"
#endif

/* Limits beyond which a file is damage, not data. */
#define MAX_ITER_READ 100000000
#define MAX_COLS_READ 4096

/* ---- writing ------------------------------------------------------------ */

/* The [iteration x strategy] tables of the sample, written and read back. */
typedef enum { UNIT_COST, UNIT_QALY, UNIT_COST2, UNIT_QALY2, UNIT_COST_QALY } table_unit_kind;

typedef struct is_table {
    const char *name;
    size_t offset; /* of the table's pointer in psim_psa_sample */
    table_unit_kind unit;
    const char *description;
} is_table;

static const is_table is_tables[] = {
    {"cost", offsetof(psim_psa_sample, cost), UNIT_COST, "mean discounted cost per patient [iteration x strategy]"},
    {"qaly", offsetof(psim_psa_sample, qaly), UNIT_QALY, "mean discounted QALYs per patient [iteration x strategy]"},
    {"cost_variance", offsetof(psim_psa_sample, cost_var), UNIT_COST2,
     "per-patient sample variance of cost within the iteration"},
    {"qaly_variance", offsetof(psim_psa_sample, qaly_var), UNIT_QALY2,
     "per-patient sample variance of QALYs within the iteration"},
    {"cost_qaly_covariance", offsetof(psim_psa_sample, cost_qaly_cov), UNIT_COST_QALY,
     "per-patient sample covariance of cost and QALYs within the iteration"},
    {"delta_cost_variance", offsetof(psim_psa_sample, dcost_var), UNIT_COST2,
     "per-patient sample variance of the paired cost difference against the reference"},
    {"delta_qaly_variance", offsetof(psim_psa_sample, dqaly_var), UNIT_QALY2,
     "per-patient sample variance of the paired QALY difference against the reference"},
    {"delta_cost_qaly_covariance", offsetof(psim_psa_sample, dcost_dqaly_cov), UNIT_COST_QALY,
     "per-patient sample covariance of the paired cost and QALY differences against the reference"},
};

static void table_unit(table_unit_kind u, const char *currency, char *buf, size_t size)
{
    switch (u) {
    case UNIT_COST: snprintf(buf, size, "%s", currency); break;
    case UNIT_QALY: snprintf(buf, size, "QALY"); break;
    case UNIT_COST2: snprintf(buf, size, "%s^2", currency); break;
    case UNIT_QALY2: snprintf(buf, size, "QALY^2"); break;
    case UNIT_COST_QALY: snprintf(buf, size, "%s QALY", currency); break;
    }
}


static herr_t f64(hid_t g, const char *name, hsize_t d0, hsize_t d1, const double *v, const char *units,
                  const char *description)
{
    hsize_t dims[2] = {d0, d1};
    return psim_h5_write_ds(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, d1 ? 2 : 1, dims, v, units, description);
}

#define WCHECK(expr, what)                                                                                         \
    do {                                                                                                           \
        if ((expr) < 0) {                                                                                          \
            st = psim_h5_fail(err, PSIM_ERR_HDF5, display, what);                                                  \
            goto cleanup;                                                                                          \
        }                                                                                                          \
    } while (0)

static herr_t partition_ds(hid_t g, const char *prefix, const psim_var_partition *p, hsize_t d0, hsize_t d1,
                           double *buf, const char *units, const char *what)
{
    size_t n = (size_t)d0 * (size_t)(d1 ? d1 : 1);
    char name[96], desc[384];
    struct {
        const char *suffix, *desc;
        size_t off;
        int squared;
    } f[] = {
        {"variance_total", "variance over iterations of the per-iteration mean of %s", offsetof(psim_var_partition, total), 1},
        {"variance_patient_noise", "patient (within-iteration) part of that variance, %s", offsetof(psim_var_partition, noise), 1},
        {"variance_parameters", "parameter part of that variance (total minus patient noise), %s",
         offsetof(psim_var_partition, parameter), 1},
        {"patients_needed", "patients per iteration for the patient noise of %s to be at most 5%% of the PSA variance",
         offsetof(psim_var_partition, patients_needed), 0},
    };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        for (size_t i = 0; i < n; i++)
            buf[i] = *(const double *)((const char *)&p[i] + f[k].off);
        char u[64];
        if (f[k].squared)
            snprintf(u, sizeof u, "(%s)^2", units);
        else
            snprintf(u, sizeof u, "patients");
        snprintf(name, sizeof name, "%s_%s", prefix, f[k].suffix);
        snprintf(desc, sizeof desc, f[k].desc, what);
        if (f64(g, name, d0, d1, buf, u, desc) < 0)
            return -1;
    }
    return 0;
}

/* The [I x S x W] NMB (se = 0) or its within-iteration SE (se = 1), written
 * `slab` iterations at a time from buf. */
static herr_t nmb_ds(hid_t g, const char *name, const psim_psa_sample *smp, const psim_psa_analysis *a, int se,
                     double *buf, size_t slab, const char *units, const char *description)
{
    const int I = smp->iterations, S = smp->n_strategies, W = a->n_wtp;
    hsize_t dims[3] = {(hsize_t)I, (hsize_t)S, (hsize_t)W};
    herr_t rc = -1;
    hid_t fs = H5Screate_simple(3, dims, NULL), ms = H5I_INVALID_HID, d = H5I_INVALID_HID;
    if (fs < 0)
        return -1;
    hid_t dcpl = psim_h5_checked_dcpl(H5T_IEEE_F64LE, 3, dims);
    if (dcpl >= 0) {
        d = H5Dcreate2(g, name, H5T_IEEE_F64LE, fs, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        H5Pclose(dcpl);
    }
    if (d < 0)
        goto done;
    rc = 0;
    for (size_t i0 = 0; i0 < (size_t)I && rc >= 0 && S > 0 && W > 0; i0 += slab) {
        size_t n = (size_t)I - i0 < slab ? (size_t)I - i0 : slab;
        for (size_t i = i0; i < i0 + n; i++)
            for (int s = 0; s < S; s++)
                for (int w = 0; w < W; w++) {
                    size_t o = i * (size_t)S + (size_t)s;
                    double l = a->wtp[w], v;
                    if (se) {
                        v = l * l * smp->qaly_var[o] - 2.0 * l * smp->cost_qaly_cov[o] + smp->cost_var[o];
                        v = sqrt((v > 0 ? v : 0.0) / (double)smp->patients);
                    } else {
                        v = l * smp->qaly[o] - smp->cost[o];
                    }
                    buf[((i - i0) * (size_t)S + (size_t)s) * (size_t)W + (size_t)w] = v;
                }
        hsize_t start[3] = {(hsize_t)i0, 0, 0}, count[3] = {(hsize_t)n, (hsize_t)S, (hsize_t)W};
        if (ms >= 0)
            H5Sclose(ms);
        ms = H5Screate_simple(3, count, NULL);
        if (ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf) < 0)
            rc = -1;
    }
    if (rc >= 0)
        rc = psim_h5_attr_str(d, "units", units);
    if (rc >= 0)
        rc = psim_h5_attr_str(d, "description", description);
done:
    if (d >= 0 && H5Dclose(d) < 0)
        rc = -1;
    if (ms >= 0)
        H5Sclose(ms);
    H5Sclose(fs);
    return rc;
}

static void iso_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

psim_status psim_psa_write_h5(const psim_scenario *scn, const psim_run_options *opt, const psim_psa_sample *smp,
                              const psim_psa_analysis *a, psim_error *err)
{
    return psim_psa_write_h5_as_(scn, opt, smp, a, 0, err);
}

psim_status psim_psa_write_shard_h5(const psim_scenario *scn, const psim_run_options *opt,
                                    const psim_psa_sample *smp, psim_error *err)
{
    if (opt->shard_count < 1 || opt->shard_index < 0 || opt->shard_index >= opt->shard_count)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "a PSA shard needs shard_index < shard_count");
    return psim_psa_write_h5_as_(scn, opt, smp, NULL, 0, err);
}

psim_status psim_psa_write_h5_as_(const psim_scenario *scn, const psim_run_options *opt, const psim_psa_sample *smp,
                                  const psim_psa_analysis *a, int merged_shards, psim_error *err)
{
    psim_status st = PSIM_OK;
    const char *path = opt->output_path, *command_line = opt->command_line;
    const char *display = path;
    psim_outfile out = {.fd = -1};
    hid_t f = H5I_INVALID_HID, g = H5I_INVALID_HID;
    char *resolved = NULL;
    const char **names = NULL;
    double *buf = NULL;
    /* a shard (no analysis) holds its rows of the sample only */
    const int shard = a == NULL;
    const int I = smp->iterations, S = smp->n_strategies, C = smp->n_cols, W = shard ? 0 : a->n_wtp;
    const int P = shard ? 0 : a->n_evppi, G = shard ? 0 : a->n_groups;
    const char *currency = !shard                        ? a->currency
                           : scn->economics.currency[0] ? scn->economics.currency
                                                        : "RUB";

    st = psim_output_check(path, opt->force, err);
    if (st != PSIM_OK)
        return st;
    size_t nmax = (size_t)(C > S ? C : S);
    if ((size_t)P > nmax)
        nmax = (size_t)P;
    if ((size_t)G > nmax)
        nmax = (size_t)G;
    names = calloc(nmax + 1, sizeof *names);
    /* rows of NMB per slab: about 1 Mi values */
    size_t row = (size_t)S * (size_t)(W > 0 ? W : 1);
    size_t bslab = (size_t)1 << 20 < row ? 1 : ((size_t)1 << 20) / row;
    size_t bmax = (size_t)I * (size_t)(C > S ? C : S) + (size_t)S * (size_t)W + bslab * row + 16;
    buf = malloc(bmax * sizeof *buf);
    if (!names || !buf) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory writing the PSA file");
        goto cleanup;
    }
    st = psim_outfile_h5_create(&out, path, opt->force, opt->notice, opt->notice_data, H5P_DEFAULT, &f, err);
    if (st != PSIM_OK)
        goto cleanup;

    char created_at[32];
    iso_now(created_at, sizeof created_at);
    int64_t patients = smp->patients;
    int iterations = I;
    WCHECK(psim_h5_attr_str(f, "painsim_version", PAINSIM_VERSION), "write attributes");
    WCHECK(psim_h5_attr_str(f, "model_version", PSIM_MODEL_VERSION), "write attributes");
    WCHECK(psim_h5_attr_str(f, "run_mode", "psa"), "write attributes");
    {
        /* a PSA shard simulates the whole cohort for its iterations */
        int64_t nb = (scn->patients + scn->block_size - 1) / scn->block_size;
        psim_run_layout l = {.block_size = scn->block_size,
                             .n_blocks_total = nb,
                             .patients_total = scn->patients,
                             .n_blocks = nb,
                             .patients = scn->patients,
                             .shard_index = opt->shard_index,
                             .shard_count = opt->shard_count};
        WCHECK(psim_h5_write_provenance(f, scn, shard ? "shard" : merged_shards > 0 ? "merged" : "run",
                                        shard ? &l : NULL),
               "write the provenance attributes");
    }
    if (merged_shards > 0) {
        WCHECK(psim_h5_attr_num(f, "merged_shards", H5T_NATIVE_INT, &merged_shards), "write attributes");
        WCHECK(psim_h5_attr_str(f, "merged_layout", "copy"), "write attributes");
    }
    WCHECK(psim_h5_attr_str(f, "scenario_name", scn->name), "write attributes");
    WCHECK(psim_h5_attr_str(f, "created", created_at), "write attributes");
    WCHECK(psim_h5_attr_str(f, "command_line", command_line ? command_line : ""), "write attributes");
    WCHECK(psim_h5_attr_num(f, "seed", H5T_NATIVE_UINT64, &scn->seed), "write attributes");
    WCHECK(psim_h5_attr_num(f, "patients", H5T_NATIVE_INT64, &patients), "write attributes");
    WCHECK(psim_h5_attr_num(f, "horizon_days", H5T_NATIVE_INT, &scn->horizon_days), "write attributes");
    WCHECK(psim_h5_attr_num(f, "block_size", H5T_NATIVE_INT, &scn->block_size), "write attributes");
    WCHECK(psim_h5_attr_str(f, "reference", scn->reference), "write attributes");

    g = H5Gcreate2(f, "scenario", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    WCHECK(g, "create /scenario");
    WCHECK(psim_h5_write_str(g, "text", scn->source_text ? scn->source_text : "", "YAML text",
                             "the scenario file as read"),
           "write /scenario/text");
    st = psim_scenario_to_yaml(scn, &resolved, err);
    if (st != PSIM_OK)
        goto cleanup;
    WCHECK(psim_h5_write_str(g, "resolved", resolved, "YAML text",
                             "the scenario with every default filled in and --set applied"),
           "write /scenario/resolved");
    WCHECK(psim_h5_attr_str(g, "source_path", scn->source_path), "write /scenario attributes");
    WCHECK(H5Gclose(g), "close /scenario");
    g = H5I_INVALID_HID;

    g = H5Gcreate2(f, "psa", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    WCHECK(g, "create /psa");
    WCHECK(psim_h5_attr_num(g, "iterations", H5T_NATIVE_INT, &iterations), "write /psa attributes");
    if (shard) {
        int fi = smp->first_iteration, total = smp->iterations_total;
        WCHECK(psim_h5_attr_num(g, "first_iteration", H5T_NATIVE_INT, &fi), "write /psa attributes");
        WCHECK(psim_h5_attr_num(g, "iterations_total", H5T_NATIVE_INT, &total), "write /psa attributes");
    }
    WCHECK(psim_h5_attr_num(g, "patients_per_iteration", H5T_NATIVE_INT64, &patients), "write /psa attributes");
    WCHECK(psim_h5_attr_str(g, "patients", smp->common_patients ? "common" : "per_iteration"), "write /psa attributes");
    WCHECK(psim_h5_attr_str(g, "currency", currency), "write /psa attributes");
    WCHECK(psim_h5_attr_str(g, "reference", smp->strategy[smp->reference]), "write /psa attributes");
    if (!shard) {
        WCHECK(psim_h5_attr_num(g, "population", H5T_NATIVE_DOUBLE, &a->population), "write /psa attributes");
        WCHECK(psim_h5_attr_num(g, "horizon_years", H5T_NATIVE_DOUBLE, &a->horizon_years), "write /psa attributes");
        WCHECK(psim_h5_attr_num(g, "population_factor", H5T_NATIVE_DOUBLE, &a->population_factor),
               "write /psa attributes");
    }
    WCHECK(psim_h5_attr_num(g, "elapsed_seconds", H5T_NATIVE_DOUBLE, &smp->elapsed_seconds), "write /psa attributes");

    char cu[64], cuq[80];
    snprintf(cu, sizeof cu, "%s", currency);
    snprintf(cuq, sizeof cuq, "%s/QALY", currency);
    for (int s = 0; s < S; s++)
        names[s] = smp->strategy[s];
    WCHECK(psim_h5_write_strs(g, "strategies", (hsize_t)S, names, "name", "strategies, the second axis of the [I x S] tables"),
           "write /psa/strategies");
    if (!shard)
        WCHECK(f64(g, "wtp", (hsize_t)W, 0, a->wtp, cuq, "willingness to pay, the axis of the [W] and [W x S] tables"),
               "write /psa/wtp");

    /* the sample */
    for (int c = 0; c < C; c++)
        names[c] = smp->col_name[c];
    WCHECK(psim_h5_write_strs(g, "parameter_names", (hsize_t)C, names, "name",
                "scenario keys of the sampled parameter columns (a dirichlet has one column per category)"),
           "write /psa/parameter_names");
    for (int c = 0; c < C; c++)
        names[c] = smp->col_unit[c];
    WCHECK(psim_h5_write_strs(g, "parameter_units", (hsize_t)C, names, "unit", "units of the parameter columns"),
           "write /psa/parameter_units");
    for (int c = 0; c < C; c++)
        names[c] = smp->col_dist[c];
    WCHECK(psim_h5_write_strs(g, "parameter_distributions", (hsize_t)C, names, "text", "distribution of each parameter column"),
           "write /psa/parameter_distributions");
    WCHECK(f64(g, "parameters", (hsize_t)I, (hsize_t)C, smp->params, "see parameter_units",
               "sampled parameter values [iteration x parameter column]"),
           "write /psa/parameters");
    for (size_t k = 0; k < sizeof is_tables / sizeof is_tables[0]; k++) {
        const is_table *t = &is_tables[k];
        char u[96];
        table_unit(t->unit, currency, u, sizeof u);
        WCHECK(f64(g, t->name, (hsize_t)I, (hsize_t)S, *(double *const *)((const char *)smp + t->offset), u,
                   t->description),
               "write an [iteration x strategy] table of /psa");
    }
    if (shard) {
        /* the analysis is the merge's, over every shard's rows */
        WCHECK(H5Gclose(g), "close /psa");
        g = H5I_INVALID_HID;
        goto cleanup;
    }
    size_t IS = (size_t)I * (size_t)S;
    for (size_t k = 0; k < IS; k++)
        buf[k] = sqrt(smp->cost_var[k] / (double)smp->patients);
    WCHECK(f64(g, "cost_se", (hsize_t)I, (hsize_t)S, buf, cu, "within-iteration Monte Carlo SE of cost"),
           "write /psa/cost_se");
    for (size_t k = 0; k < IS; k++)
        buf[k] = sqrt(smp->qaly_var[k] / (double)smp->patients);
    WCHECK(f64(g, "qaly_se", (hsize_t)I, (hsize_t)S, buf, "QALY", "within-iteration Monte Carlo SE of qaly"),
           "write /psa/qaly_se");
    /* NMB and its within-iteration SE [I x S x W], written in slabs of
     * iterations so that the buffer does not grow with I x W */
    WCHECK(nmb_ds(g, "nmb", smp, a, 0, buf, bslab, cu,
                  "net monetary benefit wtp x qaly - cost [iteration x strategy x wtp]"),
           "write /psa/nmb");
    WCHECK(nmb_ds(g, "nmb_se", smp, a, 1, buf, bslab, cu,
                  "within-iteration Monte Carlo SE of nmb [iteration x strategy x wtp]"),
           "write /psa/nmb_se");

    /* the decision */
    WCHECK(f64(g, "ceac", (hsize_t)W, (hsize_t)S, a->ceac, "probability",
               "probability that each strategy has the highest NMB [wtp x strategy]"),
           "write /psa/ceac");
    WCHECK(f64(g, "expected_nmb", (hsize_t)W, (hsize_t)S, a->enmb, cu, "expected NMB [wtp x strategy]"),
           "write /psa/expected_nmb");
    WCHECK(f64(g, "expected_nmb_se", (hsize_t)W, (hsize_t)S, a->enmb_se, cu,
               "Monte Carlo SE of expected_nmb over iterations"),
           "write /psa/expected_nmb_se");
    WCHECK(f64(g, "expected_loss", (hsize_t)W, (hsize_t)S, a->loss, cu,
               "expected opportunity loss per patient of choosing each strategy [wtp x strategy]"),
           "write /psa/expected_loss");
    {
        const char **best = calloc((size_t)W + 1, sizeof *best);
        if (!best) {
            st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory writing the PSA file");
            goto cleanup;
        }
        for (int w = 0; w < W; w++)
            best[w] = smp->strategy[a->ceaf_strategy[w]];
        herr_t rc = psim_h5_write_strs(g, "ceaf_strategy", (hsize_t)W, best, "name",
                         "the strategy with the highest expected NMB at each wtp (the decision)");
        free(best);
        WCHECK(rc, "write /psa/ceaf_strategy");
    }
    WCHECK(f64(g, "ceaf", (hsize_t)W, 0, a->ceaf, "probability",
               "probability that the optimal strategy is cost-effective (acceptability frontier)"),
           "write /psa/ceaf");
    WCHECK(f64(g, "evpi", (hsize_t)W, 0, a->evpi, cu, "expected value of perfect information per patient"),
           "write /psa/evpi");
    WCHECK(f64(g, "evpi_se", (hsize_t)W, 0, a->evpi_se, cu, "Monte Carlo SE of evpi"), "write /psa/evpi_se");
    WCHECK(f64(g, "evpi_noise_corrected", (hsize_t)W, 0, a->evpi_corrected, cu,
               "EVPPI of all uncertain parameters together (regression removes patient noise), per patient"),
           "write /psa/evpi_noise_corrected");
    WCHECK(f64(g, "evpi_noise_corrected_se", (hsize_t)W, 0, a->evpi_corrected_se, cu,
               "SE of evpi_noise_corrected"),
           "write /psa/evpi_noise_corrected_se");
    for (int w = 0; w < W; w++)
        buf[w] = a->evpi[w] * a->population_factor;
    WCHECK(f64(g, "evpi_population", (hsize_t)W, 0, buf, cu,
               "evpi x population x discounted years (0 when economics.population is not given)"),
           "write /psa/evpi_population");

    for (int k = 0; k < P; k++)
        names[k] = smp->param_name[k];
    WCHECK(psim_h5_write_strs(g, "evppi_parameters", (hsize_t)P, names, "name", "the parameters of the evppi rows"),
           "write /psa/evppi_parameters");
    WCHECK(f64(g, "evppi", (hsize_t)P, (hsize_t)W, a->evppi, cu,
               "EVPPI per patient of each uncertain parameter [parameter x wtp] (Strong, Oakley & Brennan 2014)"),
           "write /psa/evppi");
    WCHECK(f64(g, "evppi_se", (hsize_t)P, (hsize_t)W, a->evppi_se, cu, "SE of evppi"), "write /psa/evppi_se");
    for (int k = 0; k < G; k++)
        names[k] = a->group_name[k];
    WCHECK(psim_h5_write_strs(g, "evppi_groups", (hsize_t)G, names, "name", "the declared parameter groups (psa.evppi_groups)"),
           "write /psa/evppi_groups");
    for (int k = 0; k < G; k++)
        names[k] = a->group_members[k];
    WCHECK(psim_h5_write_strs(g, "evppi_group_members", (hsize_t)G, names, "names", "the parameters of each group"),
           "write /psa/evppi_group_members");
    WCHECK(f64(g, "evppi_group", (hsize_t)G, (hsize_t)W, G ? a->group_evppi : buf, cu,
               "EVPPI per patient of each group [group x wtp]"),
           "write /psa/evppi_group");
    WCHECK(f64(g, "evppi_group_se", (hsize_t)G, (hsize_t)W, G ? a->group_evppi_se : buf, cu, "SE of evppi_group"),
           "write /psa/evppi_group_se");

    /* the variance partition */
    WCHECK(partition_ds(g, "cost", a->var_cost, (hsize_t)S, 0, buf, a->currency, "cost per strategy"),
           "write the variance partition of cost");
    WCHECK(partition_ds(g, "qaly", a->var_qaly, (hsize_t)S, 0, buf, "QALY", "QALYs per strategy"),
           "write the variance partition of QALYs");
    WCHECK(partition_ds(g, "inmb", a->var_inmb, (hsize_t)W, (hsize_t)S, buf, a->currency,
                        "incremental NMB against the reference [wtp x strategy]"),
           "write the variance partition of incremental NMB");
    WCHECK(partition_ds(g, "decision_inmb", a->var_inmb_opt, (hsize_t)W, 0, buf, a->currency,
                        "incremental NMB of the optimal strategy (or runner-up) against the reference [wtp]"),
           "write the variance partition of the decision");

    WCHECK(H5Gclose(g), "close /psa");
    g = H5I_INVALID_HID;

cleanup:
    if (g >= 0)
        H5Gclose(g);
    st = psim_outfile_h5_finish(&out, &f, st, err);
    H5Eclear2(H5E_DEFAULT);
    free(resolved);
    free(names);
    free(buf);
    return st;
}

/* ---- reading ------------------------------------------------------------ */

int psim_psa_file_has_psa(const char *path)
{
    psim_error ignored;
    psim_error_clear(&ignored);
    if (psim_check_regular_input(path, "painsim file", &ignored) != PSIM_OK)
        return -1;
    psim_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        return -1;
    }
    htri_t e = H5Lexists(f, "psa", H5P_DEFAULT);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return e > 0 ? 1 : 0;
}

typedef struct rd {
    psim_h5_reader h; /* the file */
    hid_t g;          /* /psa */
} rd_t;

static psim_status damaged(rd_t *r, const char *what)
{
    return psim_h5_bad(&r->h, "damaged or incomplete PSA file: %s", what);
}

static psim_status bad_ds(rd_t *r, const char *name)
{
    char what[160];
    snprintf(what, sizeof what, "/psa/%s is missing, unreadable or of the wrong shape", name);
    return damaged(r, what);
}

/* Open /psa/name, a dataset of `rank` dimensions (any of 1 to 3 when rank
 * is 0) whose dimensions are want[0..rank-1] (not checked when want is NULL)
 * and whose type is of class `cls` (any when H5T_NO_CLASS); its dimensions in
 * dims.  On success the caller closes *d and *ft (rd_close); on failure the
 * file is reported damaged (bad_ds). */
static psim_status rd_open(rd_t *r, const char *name, int rank, const hsize_t *want, H5T_class_t cls, hid_t *d,
                           hid_t *ft, hsize_t dims[H5S_MAX_RANK])
{
    *d = *ft = H5I_INVALID_HID;
    memset(dims, 0, H5S_MAX_RANK * sizeof *dims);
    if (H5Lexists(r->g, name, H5P_DEFAULT) <= 0 || (*d = H5Dopen2(r->g, name, H5P_DEFAULT)) < 0)
        return bad_ds(r, name);
    hid_t sp = H5Dget_space(*d);
    *ft = H5Dget_type(*d);
    int rk = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    int ok = *ft >= 0 && (rank > 0 ? rk == rank : rk >= 1) && rk <= 3 &&
             H5Sget_simple_extent_dims(sp, dims, NULL) >= 0 && (cls == H5T_NO_CLASS || H5Tget_class(*ft) == cls);
    for (int k = 0; ok && want && k < rk; k++)
        ok = dims[k] == want[k];
    if (sp >= 0)
        H5Sclose(sp);
    if (ok)
        return PSIM_OK;
    if (*ft >= 0)
        H5Tclose(*ft);
    H5Dclose(*d);
    *d = *ft = H5I_INVALID_HID;
    return bad_ds(r, name);
}

static void rd_close(hid_t d, hid_t ft)
{
    H5Tclose(ft);
    H5Dclose(d);
}

/* Read /psa/name as doubles; its dimensions must be d0 (x d1 (x d2)). */
static psim_status rd_f64(rd_t *r, const char *name, int rank, hsize_t d0, hsize_t d1, hsize_t d2, double *out)
{
    const hsize_t want[3] = {d0, d1, d2};
    hsize_t dims[H5S_MAX_RANK];
    hid_t d, ft;
    psim_status st = rd_open(r, name, rank, want, H5T_FLOAT, &d, &ft, dims);
    if (st != PSIM_OK)
        return st;
    hsize_t n = d0 * (rank > 1 ? d1 : 1) * (rank > 2 ? d2 : 1);
    int ok = n == 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0;
    rd_close(d, ft);
    if (ok)
        return PSIM_OK;
    return bad_ds(r, name);
}

/* Read a 1-D string dataset of n entries into out[k] (each cap bytes). */
static psim_status rd_strs(rd_t *r, const char *name, hsize_t n, char *out, size_t cap)
{
    hsize_t dims[H5S_MAX_RANK];
    hid_t d, ft;
    psim_status st = rd_open(r, name, 1, &n, H5T_STRING, &d, &ft, dims);
    if (st != PSIM_OK)
        return st;
    int rc = H5Tis_variable_str(ft) > 0 ? psim_h5_read_strings(d, ft, n, out, cap, NULL) : -1;
    rd_close(d, ft);
    if (rc == -2)
        return psim_error_set(r->h.err, PSIM_ERR_NOMEM, r->h.path, 0, 0, "out of memory");
    if (rc == 0)
        return PSIM_OK;
    return bad_ds(r, name);
}

/* The first dimension of /psa/name, at most max. */
static psim_status rd_len(rd_t *r, const char *name, int max, int *n)
{
    hsize_t dims[H5S_MAX_RANK];
    hid_t d, ft;
    psim_status st = rd_open(r, name, 0, NULL, H5T_NO_CLASS, &d, &ft, dims);
    if (st != PSIM_OK)
        return st;
    rd_close(d, ft);
    if (dims[0] > (hsize_t)max) {
        return bad_ds(r, name);
    }
    *n = (int)dims[0];
    return PSIM_OK;
}

static psim_status rd_partition(rd_t *r, const char *prefix, int rank, hsize_t d0, hsize_t d1,
                                psim_var_partition *p, double *buf)
{
    static const char *suffix[] = {"variance_total", "variance_patient_noise", "variance_parameters",
                                   "patients_needed"};
    size_t off[] = {offsetof(psim_var_partition, total), offsetof(psim_var_partition, noise),
                    offsetof(psim_var_partition, parameter), offsetof(psim_var_partition, patients_needed)};
    size_t n = (size_t)d0 * (size_t)(rank > 1 ? d1 : 1);
    for (int k = 0; k < 4; k++) {
        char name[96];
        snprintf(name, sizeof name, "%s_%s", prefix, suffix[k]);
        psim_status st = rd_f64(r, name, rank, d0, d1, 0, buf);
        if (st != PSIM_OK)
            return st;
        for (size_t i = 0; i < n; i++)
            *(double *)((char *)&p[i] + off[k]) = buf[i];
    }
    for (size_t i = 0; i < n; i++)
        p[i].noise_share = p[i].total > 0 ? p[i].noise / p[i].total : NAN;
    return PSIM_OK;
}

#define RCHECK(expr)                                                                                               \
    do {                                                                                                           \
        st = (expr);                                                                                               \
        if (st != PSIM_OK)                                                                                         \
            goto cleanup;                                                                                          \
    } while (0)

psim_status psim_psa_read_h5(const char *path, psim_psa_sample **smp_out, psim_psa_analysis **a_out,
                             char scenario_name[PSIM_NAME_MAX], psim_error *err)
{
    psim_status st = PSIM_OK;
    psim_psa_sample *smp = NULL;
    psim_psa_analysis *a = NULL;
    double *buf = NULL;
    rd_t r = {{path, H5I_INVALID_HID, err}, H5I_INVALID_HID};
    *smp_out = NULL;
    *a_out = NULL;
    st = psim_check_regular_input(path, "painsim file", err);
    if (st != PSIM_OK)
        return st;
    psim_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        return psim_error_set(err, PSIM_ERR_INPUT, path, 0, 0, "cannot open: not an HDF5 file, or unreadable");
    }
    if (H5Lexists(f, "psa", H5P_DEFAULT) <= 0) {
        H5Fclose(f);
        H5Eclear2(H5E_DEFAULT);
        return psim_error_set(err, PSIM_ERR_INPUT, path, 0, 0, "not a PSA file: no /psa group");
    }
    r.g = H5Gopen2(f, "psa", H5P_DEFAULT);
    if (r.g < 0) {
        st = damaged(&r, "cannot open /psa");
        goto cleanup;
    }
    RCHECK(psim_h5_verify_group(&r.h, r.g, "/psa"));
    RCHECK(psim_h5_read_attr_str(&r.h, f, "root", "scenario_name", scenario_name, PSIM_NAME_MAX));
    int I = 0, S = 0, C = 0, W = 0, P = 0, G = 0;
    RCHECK(psim_h5_read_attr_num(&r.h, r.g, "/psa", "iterations", H5T_NATIVE_INT, &I));
    RCHECK(rd_len(&r, "strategies", PSIM_MAX_STRATEGIES, &S));
    RCHECK(rd_len(&r, "parameter_names", MAX_COLS_READ, &C));
    RCHECK(rd_len(&r, "wtp", PSIM_MAX_WTP, &W));
    RCHECK(rd_len(&r, "evppi_parameters", MAX_COLS_READ, &P));
    RCHECK(rd_len(&r, "evppi_groups", PSIM_MAX_EVPPI_GROUPS, &G));
    if (I < 1 || I > MAX_ITER_READ || S < 1 || W < 1) {
        st = damaged(&r, "iterations, strategies or wtp out of range");
        goto cleanup;
    }
    int rows = 0;
    RCHECK(rd_len(&r, "cost", MAX_ITER_READ, &rows));
    if (rows != I) {
        st = damaged(&r, "/psa/cost does not have one row per iteration");
        goto cleanup;
    }
    smp = psim_psa_sample_new_(I, S, C, P);
    a = psim_psa_analysis_new_(S, W, P, G);
    size_t bn = (size_t)I * (size_t)(C > S ? C : S) + (size_t)W * (size_t)S + 16;
    buf = malloc(bn * sizeof *buf);
    if (!smp || !a || !buf) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, path, 0, 0, "out of memory reading the PSA file");
        goto cleanup;
    }
    RCHECK(psim_h5_read_attr_num(&r.h, r.g, "/psa", "patients_per_iteration", H5T_NATIVE_INT64, &smp->patients));
    char mode[32], refname[PSIM_NAME_MAX];
    RCHECK(psim_h5_read_attr_str(&r.h, r.g, "/psa", "patients", mode, sizeof mode));
    smp->common_patients = strcmp(mode, "common") == 0;
    RCHECK(psim_h5_read_attr_str(&r.h, r.g, "/psa", "currency", a->currency, sizeof a->currency));
    RCHECK(psim_h5_read_attr_str(&r.h, r.g, "/psa", "reference", refname, sizeof refname));
    RCHECK(psim_h5_read_attr_num(&r.h, r.g, "/psa", "population", H5T_NATIVE_DOUBLE, &a->population));
    RCHECK(psim_h5_read_attr_num(&r.h, r.g, "/psa", "horizon_years", H5T_NATIVE_DOUBLE, &a->horizon_years));
    RCHECK(psim_h5_read_attr_num(&r.h, r.g, "/psa", "population_factor", H5T_NATIVE_DOUBLE, &a->population_factor));
    RCHECK(psim_h5_read_attr_num(&r.h, r.g, "/psa", "elapsed_seconds", H5T_NATIVE_DOUBLE, &smp->elapsed_seconds));
    RCHECK(rd_strs(&r, "strategies", (hsize_t)S, smp->strategy[0], PSIM_NAME_MAX));
    smp->reference = -1;
    for (int s = 0; s < S; s++)
        if (strcmp(smp->strategy[s], refname) == 0)
            smp->reference = s;
    if (smp->reference < 0) {
        st = damaged(&r, "the reference strategy is not among /psa/strategies");
        goto cleanup;
    }
    RCHECK(rd_f64(&r, "wtp", 1, (hsize_t)W, 0, 0, a->wtp));
    RCHECK(rd_strs(&r, "parameter_names", (hsize_t)C, smp->col_name[0], PSIM_PARAM_NAME_MAX));
    RCHECK(rd_strs(&r, "parameter_units", (hsize_t)C, smp->col_unit[0], 32));
    RCHECK(rd_strs(&r, "parameter_distributions", (hsize_t)C, smp->col_dist[0], 96));
    RCHECK(rd_f64(&r, "parameters", 2, (hsize_t)I, (hsize_t)C, 0, smp->params));
    for (size_t k = 0; k < sizeof is_tables / sizeof is_tables[0]; k++)
        RCHECK(rd_f64(&r, is_tables[k].name, 2, (hsize_t)I, (hsize_t)S, 0,
                      *(double **)((char *)smp + is_tables[k].offset)));
    /* parameters <-> columns: columns named name[k] belong to one parameter */
    {
        st = rd_strs(&r, "evppi_parameters", (hsize_t)P, smp->param_name[0], PSIM_PARAM_NAME_MAX);
        int col = 0;
        for (int k = 0; st == PSIM_OK && k < P; k++) {
            const char *pn = smp->param_name[k];
            size_t L = strlen(pn);
            smp->param_col[k] = col;
            int dim = 0;
            while (col < C && strncmp(smp->col_name[col], pn, L) == 0 &&
                   (smp->col_name[col][L] == '\0' || smp->col_name[col][L] == '[')) {
                smp->col_param[col] = k;
                col++;
                dim++;
            }
            smp->param_dim[k] = dim;
            if (dim == 0)
                st = damaged(&r, "/psa/evppi_parameters does not match /psa/parameter_names");
        }
        if (st == PSIM_OK && col != C)
            st = damaged(&r, "/psa/evppi_parameters does not match /psa/parameter_names");
        if (st != PSIM_OK)
            goto cleanup;
    }
    RCHECK(rd_f64(&r, "ceac", 2, (hsize_t)W, (hsize_t)S, 0, a->ceac));
    RCHECK(rd_f64(&r, "expected_nmb", 2, (hsize_t)W, (hsize_t)S, 0, a->enmb));
    RCHECK(rd_f64(&r, "expected_nmb_se", 2, (hsize_t)W, (hsize_t)S, 0, a->enmb_se));
    RCHECK(rd_f64(&r, "expected_loss", 2, (hsize_t)W, (hsize_t)S, 0, a->loss));
    RCHECK(rd_f64(&r, "ceaf", 1, (hsize_t)W, 0, 0, a->ceaf));
    {
        char (*opt)[PSIM_NAME_MAX] = calloc((size_t)W, sizeof *opt);
        if (!opt) {
            st = psim_error_set(err, PSIM_ERR_NOMEM, path, 0, 0, "out of memory reading the PSA file");
            goto cleanup;
        }
        st = rd_strs(&r, "ceaf_strategy", (hsize_t)W, opt[0], PSIM_NAME_MAX);
        for (int w = 0; st == PSIM_OK && w < W; w++) {
            a->ceaf_strategy[w] = -1;
            for (int s = 0; s < S; s++)
                if (strcmp(opt[w], smp->strategy[s]) == 0)
                    a->ceaf_strategy[w] = s;
            if (a->ceaf_strategy[w] < 0)
                st = damaged(&r, "/psa/ceaf_strategy names a strategy that is not in /psa/strategies");
        }
        free(opt);
        if (st != PSIM_OK)
            goto cleanup;
    }
    RCHECK(rd_f64(&r, "evpi", 1, (hsize_t)W, 0, 0, a->evpi));
    RCHECK(rd_f64(&r, "evpi_se", 1, (hsize_t)W, 0, 0, a->evpi_se));
    RCHECK(rd_f64(&r, "evpi_noise_corrected", 1, (hsize_t)W, 0, 0, a->evpi_corrected));
    RCHECK(rd_f64(&r, "evpi_noise_corrected_se", 1, (hsize_t)W, 0, 0, a->evpi_corrected_se));
    RCHECK(rd_f64(&r, "evppi", 2, (hsize_t)P, (hsize_t)W, 0, a->evppi));
    RCHECK(rd_f64(&r, "evppi_se", 2, (hsize_t)P, (hsize_t)W, 0, a->evppi_se));
    if (G > 0) {
        RCHECK(rd_strs(&r, "evppi_groups", (hsize_t)G, a->group_name[0], PSIM_NAME_MAX));
        RCHECK(rd_strs(&r, "evppi_group_members", (hsize_t)G, a->group_members[0], PSIM_ERROR_TEXT_MAX));
        RCHECK(rd_f64(&r, "evppi_group", 2, (hsize_t)G, (hsize_t)W, 0, a->group_evppi));
        RCHECK(rd_f64(&r, "evppi_group_se", 2, (hsize_t)G, (hsize_t)W, 0, a->group_evppi_se));
    }
    RCHECK(rd_partition(&r, "cost", 1, (hsize_t)S, 0, a->var_cost, buf));
    RCHECK(rd_partition(&r, "qaly", 1, (hsize_t)S, 0, a->var_qaly, buf));
    RCHECK(rd_partition(&r, "inmb", 2, (hsize_t)W, (hsize_t)S, a->var_inmb, buf));
    RCHECK(rd_partition(&r, "decision_inmb", 1, (hsize_t)W, 0, a->var_inmb_opt, buf));

cleanup:
    if (r.g >= 0)
        H5Gclose(r.g);
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    free(buf);
    if (st == PSIM_OK) {
        *smp_out = smp;
        *a_out = a;
    } else {
        psim_psa_sample_destroy(smp);
        psim_psa_analysis_destroy(a);
    }
    return st;
}

psim_status psim_psa_read_shard_h5(hid_t file, const char *path, psim_psa_sample *part, psim_error *err)
{
    psim_status st = PSIM_OK;
    rd_t r = {{path, file, err}, H5I_INVALID_HID};
    const hsize_t I = (hsize_t)part->iterations, S = (hsize_t)part->n_strategies, C = (hsize_t)part->n_cols;
    r.g = H5Gopen2(file, "psa", H5P_DEFAULT);
    if (r.g < 0) {
        st = damaged(&r, "cannot open /psa");
        goto cleanup;
    }
    RCHECK(psim_h5_verify_group(&r.h, r.g, "/psa"));
    RCHECK(psim_h5_read_attr_num(&r.h, r.g, "/psa", "elapsed_seconds", H5T_NATIVE_DOUBLE, &part->elapsed_seconds));
    if (C > 0)
        RCHECK(rd_f64(&r, "parameters", 2, I, C, 0, part->params));
    for (size_t k = 0; k < sizeof is_tables / sizeof is_tables[0]; k++)
        RCHECK(rd_f64(&r, is_tables[k].name, 2, I, S, 0, *(double **)((char *)part + is_tables[k].offset)));
cleanup:
    if (r.g >= 0)
        H5Gclose(r.g);
    H5Eclear2(H5E_DEFAULT);
    return st;
}
