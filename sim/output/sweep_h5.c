/* Writing a sweep or tornado file: root attributes, /scenario, /sweep
 * (docs/output-format.md). */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/h5util.h"
#include "output/outfile.h"
#include "painsim/run.h"
#include "painsim/sweep.h"

#ifndef PAINSIM_VERSION
#define PAINSIM_VERSION "unknown"
#endif

static herr_t f64(hid_t g, const char *name, int rank, hsize_t d0, hsize_t d1, hsize_t d2, const double *v,
                  const char *units, const char *description)
{
    hsize_t dims[3] = {d0, d1, d2};
    return psim_h5_write_ds(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, rank, dims, v, units, description);
}

#define WCHECK(expr, what)                                                                                         \
    do {                                                                                                           \
        if ((expr) < 0) {                                                                                          \
            st = psim_h5_fail(err, PSIM_ERR_HDF5, path, what);                                                     \
            goto cleanup;                                                                                          \
        }                                                                                                          \
    } while (0)

psim_status psim_sweep_write_h5(const char *path, int force, const psim_scenario *base, const char *command_line,
                                const psim_sweep *sw, psim_error *err)
{
    psim_status st = psim_output_check(path, force, err);
    if (st != PSIM_OK)
        return st;
    hid_t f = H5I_INVALID_HID, g = H5I_INVALID_HID;
    psim_outfile out = {.fd = -1};
    char *resolved = NULL;
    const int K = sw->n_points, S = sw->n_strategies, P = sw->n_params, D = sw->n_days;
    const int n_names = (K > S ? K : S) > P ? (K > S ? K : S) : P;
    const char **names = calloc((size_t)n_names + 1, sizeof *names);
    double *buf = calloc((size_t)P + 1, sizeof *buf);
    int32_t *ibuf = calloc((size_t)(K > D ? K : D) + 1, sizeof *ibuf);
    if (!names || !buf || !ibuf) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory writing the sweep file");
        goto cleanup;
    }
    st = psim_outfile_h5_create(&out, path, force, NULL, NULL, H5P_DEFAULT, &f, err);
    if (st != PSIM_OK)
        goto cleanup;

    char created_at[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created_at, sizeof created_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *mode = sw->kind == PSIM_SWEEP_TORNADO ? "tornado" : "sweep";
    WCHECK(psim_h5_attr_str(f, "painsim_version", PAINSIM_VERSION), "write attributes");
    WCHECK(psim_h5_attr_str(f, "model_version", PSIM_MODEL_VERSION), "write attributes");
    WCHECK(psim_h5_attr_str(f, "run_mode", mode), "write attributes");
    WCHECK(psim_h5_write_provenance(f, base, "run", NULL), "write the provenance attributes");
    WCHECK(psim_h5_attr_str(f, "scenario_name", base->name), "write attributes");
    WCHECK(psim_h5_attr_str(f, "created", created_at), "write attributes");
    WCHECK(psim_h5_attr_str(f, "command_line", command_line ? command_line : ""), "write attributes");
    WCHECK(psim_h5_attr_num(f, "seed", H5T_NATIVE_UINT64, &base->seed), "write attributes");
    WCHECK(psim_h5_attr_num(f, "patients", H5T_NATIVE_INT64, &base->patients), "write attributes");
    WCHECK(psim_h5_attr_num(f, "horizon_days", H5T_NATIVE_INT, &base->horizon_days), "write attributes");
    WCHECK(psim_h5_attr_num(f, "block_size", H5T_NATIVE_INT, &base->block_size), "write attributes");
    WCHECK(psim_h5_attr_str(f, "reference", base->reference), "write attributes");

    g = H5Gcreate2(f, "scenario", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    WCHECK(g, "create /scenario");
    WCHECK(psim_h5_write_str(g, "text", base->source_text ? base->source_text : "", "YAML text",
                             "the scenario file as read"),
           "write /scenario/text");
    st = psim_scenario_to_yaml(base, &resolved, err);
    if (st != PSIM_OK)
        goto cleanup;
    WCHECK(psim_h5_write_str(g, "resolved", resolved, "YAML text",
                             "the base case: every default filled in, --set applied, psa.iterations 0"),
           "write /scenario/resolved");
    WCHECK(H5Gclose(g), "close /scenario");
    g = H5I_INVALID_HID;

    g = H5Gcreate2(f, "sweep", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    WCHECK(g, "create /sweep");
    WCHECK(psim_h5_attr_str(g, "kind", mode), "write /sweep attributes");
    WCHECK(psim_h5_attr_str(g, "currency", sw->currency), "write /sweep attributes");
    WCHECK(psim_h5_attr_str(g, "reference", sw->strategy[sw->reference]), "write /sweep attributes");
    WCHECK(psim_h5_attr_num(g, "wtp", H5T_NATIVE_DOUBLE, &sw->wtp), "write /sweep attributes");
    WCHECK(psim_h5_attr_str(g, "outcome_strategy", sw->strategy[sw->outcome]), "write /sweep attributes");
    WCHECK(psim_h5_attr_num(g, "points", H5T_NATIVE_INT, &sw->n_points), "write /sweep attributes");

    char cu[32], cuq[48];
    snprintf(cu, sizeof cu, "%s", sw->currency);
    snprintf(cuq, sizeof cuq, "%s/QALY", sw->currency);
    for (int s = 0; s < S; s++)
        names[s] = sw->strategy[s];
    WCHECK(psim_h5_write_strs(g, "strategies", (hsize_t)S, names, "name",
                              "strategies, the second axis of the [K x S] tables"),
           "write /sweep/strategies");
    for (int p = 0; p < P; p++)
        names[p] = sw->params[p].name;
    WCHECK(psim_h5_write_strs(g, "parameters", (hsize_t)P, names, "name", "the scenario keys varied, as --set takes them"),
           "write /sweep/parameters");
    for (int p = 0; p < P; p++)
        names[p] = sw->params[p].unit;
    WCHECK(psim_h5_write_strs(g, "parameter_units", (hsize_t)P, names, "text", "units of the parameters"),
           "write /sweep/parameter_units");
    for (int p = 0; p < P; p++)
        names[p] = sw->params[p].bounds;
    WCHECK(psim_h5_write_strs(g, "parameter_bounds", (hsize_t)P, names, "text",
                              "where low and high come from: scenario, the 2.5%/97.5% points of the distribution, "
                              "or values (a sweep)"),
           "write /sweep/parameter_bounds");
    const char *pu = P == 1 && sw->params[0].unit[0] ? sw->params[0].unit : "see parameter_units";
    for (int p = 0; p < P; p++)
        buf[p] = sw->params[p].base;
    WCHECK(f64(g, "parameter_base", 1, (hsize_t)P, 0, 0, buf, pu, "the base-case value (NaN in a sweep)"),
           "write /sweep/parameter_base");
    for (int p = 0; p < P; p++)
        buf[p] = sw->params[p].low;
    WCHECK(f64(g, "parameter_low", 1, (hsize_t)P, 0, 0, buf, pu, "the low value (a sweep: the smallest value)"),
           "write /sweep/parameter_low");
    for (int p = 0; p < P; p++)
        buf[p] = sw->params[p].high;
    WCHECK(f64(g, "parameter_high", 1, (hsize_t)P, 0, 0, buf, pu, "the high value (a sweep: the largest value)"),
           "write /sweep/parameter_high");

    hsize_t dk[1] = {(hsize_t)K};
    for (int k = 0; k < K; k++)
        ibuf[k] = sw->point_parameter[k];
    WCHECK(psim_h5_write_ds(g, "point_parameter", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dk, ibuf, "index",
                            "row of parameters varied at each point; -1 for the base case"),
           "write /sweep/point_parameter");
    static const char *const level_names[] = {"base", "low", "high", "value"};
    for (int k = 0; k < K; k++)
        names[k] = level_names[sw->point_level[k]];
    WCHECK(psim_h5_write_strs(g, "point_level", (hsize_t)K, names, "text",
                              "base, low, high (tornado) or value (sweep)"),
           "write /sweep/point_level");
    WCHECK(f64(g, "point_value", 1, (hsize_t)K, 0, 0, sw->point_value, pu,
               "the parameter's value at each point; NaN at the base case"),
           "write /sweep/point_value");

    const struct {
        const char *name;
        const double *v;
        const char *units, *description;
    } tables[] = {
        {"cost", sw->cost, cu, "mean discounted cost per patient"},
        {"cost_se", sw->cost_se, cu, "Monte Carlo SE of cost"},
        {"qaly", sw->qaly, "QALY", "mean discounted QALYs per patient"},
        {"qaly_se", sw->qaly_se, "QALY", "Monte Carlo SE of qaly"},
        {"delta_cost", sw->delta_cost, cu, "cost minus the reference's (paired)"},
        {"delta_cost_se", sw->delta_cost_se, cu, "SE of delta_cost"},
        {"delta_qaly", sw->delta_qaly, "QALY", "QALYs minus the reference's (paired)"},
        {"delta_qaly_se", sw->delta_qaly_se, "QALY", "SE of delta_qaly"},
        {"icer", sw->icer, cuq, "delta_cost / delta_qaly (NaN for the reference or delta_qaly = 0)"},
        {"nmb", sw->nmb, cu, "net monetary benefit wtp x qaly - cost at the wtp attribute"},
        {"nmb_se", sw->nmb_se, cu, "SE of nmb"},
        {"incremental_nmb", sw->inmb, cu, "nmb minus the reference's (paired)"},
        {"incremental_nmb_se", sw->inmb_se, cu, "SE of incremental_nmb"},
        {"first_response", sw->first_response, "1 (fraction)", "latent R_1 = 1 among treated patients with a session"},
        {"first_response_se", sw->first_response_se, "1 (fraction)", "SE of first_response"},
    };
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        WCHECK(f64(g, tables[t].name, 2, (hsize_t)K, (hsize_t)S, 0, tables[t].v, tables[t].units,
                   tables[t].description),
               "write a /sweep table");
    hsize_t dd[1] = {(hsize_t)D};
    for (int d = 0; d < D; d++)
        ibuf[d] = sw->days[d];
    WCHECK(psim_h5_write_ds(g, "days", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dd, ibuf, "day",
                            "days of the mean VAS columns"),
           "write /sweep/days");
    WCHECK(f64(g, "mean_vas", 3, (hsize_t)K, (hsize_t)S, (hsize_t)D, sw->mean_vas, "cm",
               "mean VAS over all patients on the days of `days`"),
           "write /sweep/mean_vas");
    WCHECK(f64(g, "mean_vas_se", 3, (hsize_t)K, (hsize_t)S, (hsize_t)D, sw->mean_vas_se, "cm", "SE of mean_vas"),
           "write /sweep/mean_vas_se");
    WCHECK(H5Gclose(g), "close /sweep");
    g = H5I_INVALID_HID;

cleanup:
    if (g >= 0)
        H5Gclose(g);
    st = psim_outfile_h5_finish(&out, &f, st, err);
    H5Eclear2(H5E_DEFAULT);
    free(resolved);
    free(names);
    free(buf);
    free(ibuf);
    return st;
}
