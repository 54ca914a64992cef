/* One-way sweeps and the tornado: one cohort run per point, the points set
 * through the scenario loader's --set overrides (painsim/sweep.h). */
#include "painsim/sweep.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/jsonout.h"
#include "painsim/report.h"
#include "painsim/run.h"

int psim_sweep_default_days(int horizon_days, int *days)
{
    static const int base[] = {30, 90, 180};
    int n = 0;
    for (size_t k = 0; k < sizeof base / sizeof *base; k++)
        if (base[k] < horizon_days - 1)
            days[n++] = base[k];
    if (horizon_days >= 1)
        days[n++] = horizon_days - 1;
    return n;
}

void psim_sweep_set_key(const char *name, char *buf, size_t size)
{
    size_t o = 0;
    for (const char *p = name; *p && o + 1 < size; p++) {
        if (*p == '[')
            buf[o++] = '.';
        else if (*p != ']')
            buf[o++] = *p;
    }
    buf[o] = '\0';
}

void psim_sweep_destroy(psim_sweep *sw)
{
    if (!sw)
        return;
    free(sw->params);
    free(sw->skipped);
    free(sw->point_parameter);
    free(sw->point_level);
    free(sw->point_value);
    double **tables[] = {&sw->cost,  &sw->cost_se, &sw->qaly,           &sw->qaly_se,          &sw->delta_cost,
                         &sw->delta_cost_se,       &sw->delta_qaly,     &sw->delta_qaly_se,    &sw->icer,
                         &sw->nmb,   &sw->nmb_se,  &sw->inmb,           &sw->inmb_se,          &sw->first_response,
                         &sw->first_response_se,   &sw->mean_vas,       &sw->mean_vas_se};
    for (size_t k = 0; k < sizeof tables / sizeof *tables; k++)
        free(*tables[k]);
    free(sw);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The overrides of a point: the file's, psa.iterations=0, then KEY=value. */
typedef struct point_sets {
    const char *set[PSIM_MAX_SET + 4];
    int n;
    char psa[32];
    char kv[PSIM_PARAM_NAME_MAX + 64];
} point_sets;

static psim_status load_point(const psim_sweep_spec *spec, const char *key, double value, psim_scenario **scn,
                              psim_error *err)
{
    point_sets ps;
    memset(&ps, 0, sizeof ps);
    if (spec->n_set > PSIM_MAX_SET)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "too many --set options (at most %d)", PSIM_MAX_SET);
    for (int k = 0; k < spec->n_set; k++)
        ps.set[ps.n++] = spec->set[k];
    snprintf(ps.psa, sizeof ps.psa, "psa.iterations=0");
    ps.set[ps.n++] = ps.psa;
    if (key) {
        /* the key's distribution (if any) becomes a fixed value, so EVPPI
         * groups that name it would no longer load; a point runs no PSA */
        ps.set[ps.n++] = "psa.evppi_groups={}";
        char num[40];
        jo_shortest(num, sizeof num, value);
        snprintf(ps.kv, sizeof ps.kv, "%s=%s", key, num);
        ps.set[ps.n++] = ps.kv;
    }
    psim_status st = psim_scenario_load(spec->scenario_path, ps.set, ps.n, scn, err);
    if (st == PSIM_ERR_IO)
        st = err->code = PSIM_ERR_INPUT;
    return st;
}

/* Run one point and fill row k. */
static psim_status run_point(const psim_sweep_spec *spec, const psim_scenario *scn, psim_sweep *sw, int k,
                             psim_error *err)
{
    psim_results *res = NULL;
    psim_report *rep = NULL;
    psim_run_options opt = psim_run_options_default();
    opt.threads = spec->threads;
    opt.cancel = spec->cancel;
    psim_status st = psim_run(scn, &opt, &res, err);
    if (st == PSIM_OK)
        st = psim_report_from_results(res, scn, &rep, err);
    if (st != PSIM_OK)
        goto done;
    if (scn->n_strategies != sw->n_strategies || scn->reference_index != sw->reference) {
        st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                            "a sweep point changed the strategies or the reference; sweep a parameter instead");
        goto done;
    }
    const int S = sw->n_strategies, D = sw->n_days;
    const double lam = sw->wtp;
    for (int s = 0; s < S; s++) {
        const psim_strategy_summary *ss = &res->strategies[s];
        const psim_report_strategy *rs = &rep->strategies[s];
        size_t i = (size_t)k * (size_t)S + (size_t)s;
        int64_t n = ss->patients;
        sw->cost[i] = rs->cost.mean;
        sw->cost_se[i] = rs->cost.se;
        sw->qaly[i] = rs->qaly.mean;
        sw->qaly_se[i] = rs->qaly.se;
        sw->delta_cost[i] = rs->delta_cost.mean;
        sw->delta_cost_se[i] = rs->delta_cost.se;
        sw->delta_qaly[i] = rs->delta_qaly.mean;
        sw->delta_qaly_se[i] = rs->delta_qaly.se;
        sw->icer[i] = rs->icer;
        sw->nmb[i] = lam * rs->qaly.mean - rs->cost.mean;
        sw->nmb_se[i] = psim_econ_nmb_se(lam, n, ss->qaly_sum, ss->qaly_sumsq, ss->cost_sum, ss->cost_sumsq,
                                         ss->cost_qaly_sum);
        sw->inmb[i] = lam * rs->delta_qaly.mean - rs->delta_cost.mean;
        sw->inmb_se[i] = psim_econ_nmb_se(lam, n, ss->dqaly_sum, ss->dqaly_sumsq, ss->dcost_sum, ss->dcost_sumsq,
                                          ss->dcost_dqaly_sum);
        sw->first_response[i] = rs->first_response.mean;
        sw->first_response_se[i] = rs->first_response.se;
        for (int d = 0; d < D; d++) {
            sw->mean_vas[i * (size_t)D + (size_t)d] = rs->mean_vas[sw->days[d]];
            sw->mean_vas_se[i * (size_t)D + (size_t)d] = rs->mean_vas_se[sw->days[d]];
        }
    }
done:
    psim_report_destroy(rep);
    psim_results_destroy(res);
    return st;
}

static int alloc_tables(psim_sweep *sw)
{
    size_t K = (size_t)sw->n_points, KS = K * (size_t)sw->n_strategies, KSD = KS * (size_t)sw->n_days;
    int ok = 1;
#define A(p, n) ok &= ((p) = calloc((n) ? (n) : 1, sizeof *(p))) != NULL
    A(sw->point_parameter, K);
    A(sw->point_level, K);
    A(sw->point_value, K);
    A(sw->cost, KS);
    A(sw->cost_se, KS);
    A(sw->qaly, KS);
    A(sw->qaly_se, KS);
    A(sw->delta_cost, KS);
    A(sw->delta_cost_se, KS);
    A(sw->delta_qaly, KS);
    A(sw->delta_qaly_se, KS);
    A(sw->icer, KS);
    A(sw->nmb, KS);
    A(sw->nmb_se, KS);
    A(sw->inmb, KS);
    A(sw->inmb_se, KS);
    A(sw->first_response, KS);
    A(sw->first_response_se, KS);
    A(sw->mean_vas, KSD);
    A(sw->mean_vas_se, KSD);
#undef A
    return ok;
}

/* The tornado's parameters: every uncertain parameter with a low and a high. */
static psim_status tornado_params(const psim_scenario *scn, psim_sweep *sw, psim_error *err)
{
    sw->params = calloc((size_t)scn->n_uncertain + 1, sizeof *sw->params);
    sw->skipped = calloc((size_t)scn->n_uncertain + 1, sizeof *sw->skipped);
    if (!sw->params || !sw->skipped)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the tornado");
    for (int i = 0; i < scn->n_uncertain; i++) {
        const psim_uncertain *u = &scn->uncertain[i];
        if (u->dist.kind == PSIM_DIST_DIRICHLET || (u->dist.kind == PSIM_DIST_FIXED && !u->has_bounds)) {
            snprintf(sw->skipped[sw->n_skipped++], PSIM_PARAM_NAME_MAX, "%s", u->name);
            continue;
        }
        psim_sweep_param *p = &sw->params[sw->n_params++];
        psim_sweep_set_key(u->name, p->name, sizeof p->name);
        snprintf(p->unit, sizeof p->unit, "%s", u->unit);
        memcpy(&p->base, (const char *)scn + u->offset, sizeof p->base);
        if (u->has_bounds) {
            p->low = u->low;
            p->high = u->high;
            snprintf(p->bounds, sizeof p->bounds, "scenario");
        } else {
            p->low = psim_dist_quantile(&u->dist, 0.025);
            p->high = psim_dist_quantile(&u->dist, 0.975);
            char a[40], b[40];
            jo_shortest(a, sizeof a, u->dist.p1);
            jo_shortest(b, sizeof b, u->dist.p2);
            if (u->dist.kind == PSIM_DIST_EMPIRICAL)
                snprintf(p->bounds, sizeof p->bounds, "2.5%%/97.5%% of the %d draws of column %s", u->dist.n_values,
                         u->dist.column);
            else
                snprintf(p->bounds, sizeof p->bounds, "2.5%%/97.5%% of %s(%s, %s)", psim_dist_name(u->dist.kind), a,
                         b);
        }
        /* a quantile a rounding away from the range's edge stays inside it */
        if (p->low < u->lo)
            p->low = u->lo;
        if (p->high > u->hi)
            p->high = u->hi;
    }
    if (sw->n_params == 0)
        return psim_error_set(err, PSIM_ERR_INPUT, scn->source_path, 0, 0,
                              "no uncertain parameter to vary: a tornado needs parameters given as distributions "
                              "(such as `p_first: {dist: beta, alpha: 40, beta: 35}`) or with `low` and `high` "
                              "(`{dist: fixed, value: 0.55, low: 0.4, high: 0.7}`); see docs/scenario-format.md");
    return PSIM_OK;
}

psim_status psim_sweep_run(const psim_sweep_spec *spec, psim_sweep **out, psim_scenario **base_out, psim_error *err)
{
    *out = NULL;
    if (base_out)
        *base_out = NULL;
    psim_scenario *base = NULL, *pt = NULL;
    psim_sweep *sw = calloc(1, sizeof *sw);
    if (!sw)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the sweep");
    double t0 = now_seconds();
    psim_status st = load_point(spec, NULL, 0.0, &base, err);
    if (st != PSIM_OK)
        goto cleanup;
    sw->kind = spec->kind;
    snprintf(sw->scenario, sizeof sw->scenario, "%s", base->name);
    sw->seed = base->seed;
    sw->patients = base->patients;
    snprintf(sw->currency, sizeof sw->currency, "%s", base->economics.currency[0] ? base->economics.currency : "RUB");
    sw->wtp = isnan(spec->wtp) ? base->economics.wtp[base->economics.n_wtp - 1] : spec->wtp;
    sw->n_strategies = base->n_strategies;
    for (int s = 0; s < base->n_strategies; s++)
        snprintf(sw->strategy[s], PSIM_NAME_MAX, "%s", base->strategies[s].name);
    sw->reference = base->reference_index;
    sw->outcome = base->n_strategies > 1 && base->reference_index == 0 ? 1 : 0;
    if (spec->outcome_strategy) {
        sw->outcome = -1;
        for (int s = 0; s < base->n_strategies; s++)
            if (strcmp(base->strategies[s].name, spec->outcome_strategy) == 0)
                sw->outcome = s;
        if (sw->outcome < 0) {
            st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "no strategy `%s` in scenario `%s`",
                                spec->outcome_strategy, base->name);
            goto cleanup;
        }
    }
    if (spec->days) {
        if (spec->n_days > PSIM_SWEEP_MAX_DAYS) {
            st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "at most %d days", PSIM_SWEEP_MAX_DAYS);
            goto cleanup;
        }
        for (int d = 0; d < spec->n_days; d++) {
            if (spec->days[d] < 0 || spec->days[d] >= base->horizon_days) {
                st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "day %d is outside the horizon (days 0 to %d)",
                                    spec->days[d], base->horizon_days - 1);
                goto cleanup;
            }
            sw->days[d] = spec->days[d];
        }
        sw->n_days = spec->n_days;
    } else {
        sw->n_days = psim_sweep_default_days(base->horizon_days, sw->days);
    }

    if (spec->kind == PSIM_SWEEP_TORNADO) {
        st = tornado_params(base, sw, err);
        if (st != PSIM_OK)
            goto cleanup;
        sw->n_points = 1 + 2 * sw->n_params;
    } else {
        if (!spec->param || spec->n_values < 1 || spec->n_values > PSIM_SWEEP_MAX_VALUES) {
            st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "a sweep needs a key and 1 to %d values",
                                PSIM_SWEEP_MAX_VALUES);
            goto cleanup;
        }
        sw->params = calloc(1, sizeof *sw->params);
        if (!sw->params) {
            st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the sweep");
            goto cleanup;
        }
        sw->n_params = 1;
        psim_sweep_param *p = &sw->params[0];
        snprintf(p->name, sizeof p->name, "%s", spec->param);
        /* its unit when the key is one of the uncertain kind */
        for (int i = 0; i < base->n_uncertain; i++) {
            char key[PSIM_PARAM_NAME_MAX];
            psim_sweep_set_key(base->uncertain[i].name, key, sizeof key);
            if (strcmp(key, spec->param) == 0)
                snprintf(p->unit, sizeof p->unit, "%s", base->uncertain[i].unit);
        }
        p->base = NAN;
        p->low = p->high = spec->values[0];
        for (int v = 0; v < spec->n_values; v++) {
            p->low = spec->values[v] < p->low ? spec->values[v] : p->low;
            p->high = spec->values[v] > p->high ? spec->values[v] : p->high;
        }
        snprintf(p->bounds, sizeof p->bounds, "values");
        sw->n_points = spec->n_values;
    }
    if (!alloc_tables(sw)) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the sweep's tables");
        goto cleanup;
    }
    for (int k = 0; k < sw->n_points; k++) {
        if (spec->kind == PSIM_SWEEP_TORNADO) {
            sw->point_parameter[k] = k == 0 ? -1 : (k - 1) / 2;
            sw->point_level[k] = k == 0 ? 0 : ((k - 1) % 2 == 0 ? 1 : 2);
            const psim_sweep_param *p = k == 0 ? NULL : &sw->params[(k - 1) / 2];
            sw->point_value[k] = k == 0 ? NAN : (sw->point_level[k] == 1 ? p->low : p->high);
        } else {
            sw->point_parameter[k] = 0;
            sw->point_level[k] = 3;
            sw->point_value[k] = spec->values[k];
        }
    }
    /* the points, one cohort run each (its threads spread the patients) */
    for (int k = 0; k < sw->n_points; k++) {
        if (sw->point_parameter[k] < 0) {
            st = run_point(spec, base, sw, k, err);
        } else {
            st = load_point(spec, sw->params[sw->point_parameter[k]].name, sw->point_value[k], &pt, err);
            if (st == PSIM_OK)
                st = run_point(spec, pt, sw, k, err);
            psim_scenario_destroy(pt);
            pt = NULL;
        }
        if (st != PSIM_OK)
            goto cleanup;
        if (spec->progress)
            spec->progress(spec->progress_data, k + 1, sw->n_points);
    }
    sw->elapsed_seconds = now_seconds() - t0;

cleanup:
    if (st != PSIM_OK) {
        psim_sweep_destroy(sw);
        psim_scenario_destroy(base);
        return st;
    }
    *out = sw;
    if (base_out)
        *base_out = base;
    else
        psim_scenario_destroy(base);
    return PSIM_OK;
}
