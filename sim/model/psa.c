/* The PSA engine: parameter sets drawn per iteration, the cohort simulated
 * under every strategy, per-iteration means kept (include/painsim/psa.h). */
#include "painsim/psa.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/block.h"
#include "model/psa_internal.h"
#include "painsim/model.h"

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void psim_psa_sample_destroy(psim_psa_sample *s)
{
    if (!s)
        return;
    free(s->strategy);
    free(s->col_name);
    free(s->col_unit);
    free(s->col_dist);
    free(s->col_param);
    free(s->param_name);
    free(s->param_col);
    free(s->param_dim);
    free(s->params);
    free(s->cost);
    free(s->qaly);
    free(s->cost_var);
    free(s->qaly_var);
    free(s->cost_qaly_cov);
    free(s->dcost_var);
    free(s->dqaly_var);
    free(s->dcost_dqaly_cov);
    free(s);
}

/* ---- checks of a drawn parameter set ------------------------------------ */

psim_status psim_psa_check_params(const psim_scenario *scn, psim_error *err)
{
    const psim_cohort_params *c = &scn->cohort;
    if (!(c->baseline_vas.min < c->baseline_vas.max))
        return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0, "cohort.baseline_vas: min %.6g is not below max %.6g",
                              c->baseline_vas.min, c->baseline_vas.max);
    if (!(c->pain_duration_months.min < c->pain_duration_months.max))
        return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                              "cohort.pain_duration_months: min %.6g is not below max %.6g",
                              c->pain_duration_months.min, c->pain_duration_months.max);
    if (!(scn->economics.utility_min < scn->economics.utility_max))
        return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0, "economics.utility: min %.6g is not below max %.6g",
                              scn->economics.utility_min, scn->economics.utility_max);
    for (int i = 0; i < scn->n_treatments; i++) {
        const psim_treatment *t = &scn->treatments[i];
        if (!(t->half_life_days > 0) || !(t->duration_median_days > 0))
            return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                                  "treatments.%s: half_life_days (%.6g) and duration.median_days (%.6g) must be > 0",
                                  t->name, t->half_life_days, t->duration_median_days);
        if (t->peak_days < t->onset_days)
            return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                                  "treatments.%s: peak_days %.6g is before onset_days %.6g", t->name, t->peak_days,
                                  t->onset_days);
        if (!psim_relief_feasible(t->relief_responder, 0.5, 1.0))
            return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                                  "treatments.%s.relief.responder: no Beta on [0.5, 1] has mean %.6g and sd %.6g",
                                  t->name, t->relief_responder.mean, t->relief_responder.sd);
        if (!psim_relief_feasible(t->relief_non_responder, 0.0, 0.5))
            return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                                  "treatments.%s.relief.non_responder: no Beta on [0, 0.5) has mean %.6g and sd %.6g",
                                  t->name, t->relief_non_responder.mean, t->relief_non_responder.sd);
    }
    return PSIM_OK;
}

/* ---- the sample's layout ------------------------------------------------ */

static void dist_text(const psim_dist *d, char *buf, size_t size)
{
    switch (d->kind) {
    case PSIM_DIST_FIXED: snprintf(buf, size, "fixed(%.6g)", d->p1); break;
    case PSIM_DIST_DIRICHLET: {
        size_t o = (size_t)snprintf(buf, size, "dirichlet(");
        for (int k = 0; k < d->dim && o < size; k++)
            o += (size_t)snprintf(buf + o, size - o, "%s%.6g", k ? ", " : "", d->alpha[k]);
        if (o < size)
            snprintf(buf + o, size - o, ")");
        break;
    }
    case PSIM_DIST_EMPIRICAL: {
        const char *base = strrchr(d->file, '/');
        snprintf(buf, size, "empirical(%s:%s, %d rows)", base ? base + 1 : d->file, d->column, d->n_values);
        break;
    }
    default: snprintf(buf, size, "%s(%.6g, %.6g)", psim_dist_name(d->kind), d->p1, d->p2); break;
    }
}

psim_psa_sample *psim_psa_sample_new_(int I, int S, int C, int P)
{
    psim_psa_sample *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->iterations = I;
    s->iterations_total = I;
    s->n_strategies = S;
    s->n_params = P;
    s->n_cols = C;
    size_t IS = (size_t)I * (size_t)S, c1 = C > 0 ? (size_t)C : 1u, p1 = P > 0 ? (size_t)P : 1u;
    int ok = 1;
#define ALLOC(p, n) ok &= ((p) = calloc((n) > 0 ? (n) : 1u, sizeof *(p))) != NULL
    ALLOC(s->strategy, (size_t)S);
    ALLOC(s->col_name, c1);
    ALLOC(s->col_unit, c1);
    ALLOC(s->col_dist, c1);
    ALLOC(s->col_param, c1);
    ALLOC(s->param_name, p1);
    ALLOC(s->param_col, p1);
    ALLOC(s->param_dim, p1);
    ALLOC(s->params, (size_t)I * c1);
    ALLOC(s->cost, IS);
    ALLOC(s->qaly, IS);
    ALLOC(s->cost_var, IS);
    ALLOC(s->qaly_var, IS);
    ALLOC(s->cost_qaly_cov, IS);
    ALLOC(s->dcost_var, IS);
    ALLOC(s->dqaly_var, IS);
    ALLOC(s->dcost_dqaly_cov, IS);
#undef ALLOC
    if (!ok) {
        psim_psa_sample_destroy(s);
        return NULL;
    }
    return s;
}

psim_psa_sample *psim_psa_sample_for(const psim_scenario *scn, int first, int I)
{
    const int S = scn->n_strategies, P = scn->n_uncertain;
    int C = 0;
    for (int k = 0; k < P; k++)
        C += scn->uncertain[k].dist.dim > 0 ? scn->uncertain[k].dist.dim : 1;
    psim_psa_sample *s = psim_psa_sample_new_(I, S, C, P);
    if (!s)
        return NULL;
    s->first_iteration = first;
    s->iterations_total = scn->psa.iterations;
    s->patients = scn->patients;
    s->common_patients = scn->psa.common_patients;
    s->reference = scn->reference_index;
    for (int j = 0; j < S; j++)
        snprintf(s->strategy[j], sizeof s->strategy[j], "%s", scn->strategies[j].name);
    int col = 0;
    for (int k = 0; k < P; k++) {
        const psim_uncertain *u = &scn->uncertain[k];
        int dim = u->dist.dim > 0 ? u->dist.dim : 1;
        snprintf(s->param_name[k], sizeof s->param_name[k], "%s", u->name);
        s->param_col[k] = col;
        s->param_dim[k] = dim;
        for (int d = 0; d < dim; d++, col++) {
            if (dim == 1)
                snprintf(s->col_name[col], sizeof s->col_name[col], "%s", u->name);
            else
                snprintf(s->col_name[col], sizeof s->col_name[col], "%.*s[%c]", PSIM_PARAM_NAME_MAX - 8, u->name,
                         (char)('0' + d)); /* dim <= PSIM_DIST_MAX_DIM < 10 */
            snprintf(s->col_unit[col], sizeof s->col_unit[col], "%s", u->unit);
            dist_text(&u->dist, s->col_dist[col], sizeof s->col_dist[col]);
            s->col_param[col] = k;
        }
    }
    return s;
}

psim_status psim_psa_sample_place(psim_psa_sample *whole, const psim_psa_sample *part, psim_error *err)
{
    if (part->n_strategies != whole->n_strategies || part->n_cols != whole->n_cols || part->first_iteration < 0 ||
        part->iterations < 0 || part->first_iteration - whole->first_iteration < 0 ||
        (int64_t)part->first_iteration + part->iterations > (int64_t)whole->first_iteration + whole->iterations)
        return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                              "PSA iterations %d to %d (%d strategies, %d parameter columns) do not fit a sample of "
                              "iterations %d to %d (%d strategies, %d parameter columns)",
                              part->first_iteration, part->first_iteration + part->iterations - 1, part->n_strategies,
                              part->n_cols, whole->first_iteration, whole->first_iteration + whole->iterations - 1,
                              whole->n_strategies, whole->n_cols);
    const size_t row = (size_t)(part->first_iteration - whole->first_iteration), n = (size_t)part->iterations;
    for (int k = 0; k < PSIM_PSA_ROW_TABLES; k++) {
        size_t width = (size_t)psim_psa_row_width_(part, k);
        if (n > 0 && width > 0)
            memcpy(psim_psa_row_table_(whole, k) + row * width, psim_psa_row_table_(part, k),
                   n * width * sizeof(double));
    }
    return PSIM_OK;
}

double *psim_psa_row_table_(const psim_psa_sample *s, int k)
{
    double *const t[PSIM_PSA_ROW_TABLES] = {s->params,        s->cost,      s->qaly,      s->cost_var,
                                            s->qaly_var,      s->cost_qaly_cov, s->dcost_var, s->dqaly_var,
                                            s->dcost_dqaly_cov};
    return k >= 0 && k < PSIM_PSA_ROW_TABLES ? t[k] : NULL;
}

int psim_psa_row_width_(const psim_psa_sample *s, int k)
{
    return k == 0 ? s->n_cols : s->n_strategies;
}

psim_status psim_psa_split(int I, int index, int count, int *first, int *n, psim_error *err)
{
    *first = *n = 0;
    if (count < 1 || index < 0 || index >= count)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                              "part %d of %d does not exist: a shard is i/K with 1 <= i <= K", index + 1, count);
    if (count > I)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                              "the PSA's %d iterations (the unit of splitting a PSA) cannot be split into %d parts: "
                              "use at most %d",
                              I, count, I);
    int64_t f, len;
    psim_split_even(I, index, count, &f, &len);
    *first = (int)f;
    *n = (int)len;
    return PSIM_OK;
}

/* The stream index of a parameter: FNV-1a of its scenario key, so that a
 * parameter's draws depend on its name only; adding, removing or reordering
 * other parameters never changes them. */
static uint64_t param_key(const char *name)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Draw iteration it's parameter set into vals[C] and apply it to a copy of the scenario. */
static void draw_params(const psim_scenario *base, uint64_t it, double *vals, psim_scenario *dst)
{
    memcpy(dst, base, sizeof *dst);
    int col = 0;
    for (int k = 0; k < base->n_uncertain; k++) {
        const psim_uncertain *u = &base->uncertain[k];
        int dim = u->dist.dim > 0 ? u->dist.dim : 1;
        psim_rng rng;
        /* an empirical column is keyed by its file: all columns of one file
         * take the same row (the draws stay joint) */
        psim_rng_keyed(&rng, base->seed, it, 0, PSIM_PURPOSE_PSA,
                       param_key(u->dist.kind == PSIM_DIST_EMPIRICAL ? u->dist.file : u->name));
        psim_dist_draw(&u->dist, &rng, vals + col);
        double *target = (double *)((char *)dst + u->offset);
        for (int d = 0; d < dim; d++) {
            double v = vals[col + d];
            /* a distribution's support lies inside the range (checked on
             * loading); this only guards the far tails of a normal */
            if (dim == 1) {
                if (v < u->lo)
                    v = u->lo;
                if (v > u->hi)
                    v = u->hi;
                vals[col + d] = v;
            }
            target[d] = v;
        }
        col += dim;
    }
}

/* ---- the run ------------------------------------------------------------ */

enum { SUM_N_ = 0, SUM_C, SUM_CC, SUM_Q, SUM_QQ, SUM_CQ, SUM_DC, SUM_DCDC, SUM_DQ, SUM_DQDQ, SUM_DCDQ, N_SUMS };

typedef struct scratch {
    double *eps, *effect;
    double *cost, *qaly;                       /* [S] of the current patient */
    psim_session_draws draws;                  /* of the current patient */
    int32_t session_day[PSIM_MAX_SESSIONS];
    int8_t latent[PSIM_MAX_SESSIONS], observed[PSIM_MAX_SESSIONS];
    uint16_t ae[PSIM_MAX_STRATEGY_AE];
} scratch;

/* Simulate patients [first, first + n) of iteration `it` (parameter set of
 * model m) and add their sums into sums[S x N_SUMS]. */
static void simulate_item(const psim_model *m, uint64_t patient_key, int64_t first, int n, int ref, scratch *w,
                          double *sums, volatile sig_atomic_t *cancel)
{
    const psim_scenario *scn = psim_model_scenario(m);
    const int S = scn->n_strategies;
    for (int i = 0; i < n; i++) {
        if (cancel && *cancel)
            return;
        int64_t patient = first + i;
        psim_patient p;
        psim_cohort_draw(m, patient_key, patient, &p);
        psim_noise_path(m, patient_key, patient, w->eps);
        psim_session_draws_reset(&w->draws);
        for (int s = 0; s < S; s++) {
            psim_patient_out out;
            memset(&out, 0, sizeof out);
            out.session_day = w->session_day;
            out.latent = w->latent;
            out.observed = w->observed;
            out.ae_count = w->ae;
            out.effect = w->effect;
            out.effect_scratch = 1;
            out.draws = &w->draws;
            psim_simulate_patient(m, s, patient_key, patient, &p, w->eps, &out);
            w->cost[s] = out.cost;
            w->qaly[s] = out.qaly;
        }
        for (int s = 0; s < S; s++) {
            double c = w->cost[s], q = w->qaly[s];
            double dc = c - w->cost[ref], dq = q - w->qaly[ref];
            double *x = sums + (size_t)s * N_SUMS;
            x[SUM_N_] += 1.0;
            x[SUM_C] += c;
            x[SUM_CC] += c * c;
            x[SUM_Q] += q;
            x[SUM_QQ] += q * q;
            x[SUM_CQ] += c * q;
            x[SUM_DC] += dc;
            x[SUM_DCDC] += dc * dc;
            x[SUM_DQ] += dq;
            x[SUM_DQDQ] += dq * dq;
            x[SUM_DCDQ] += dc * dq;
        }
    }
}

/* Sample (co)variance from sums; NaN when n < 2. */
static double covar(double n, double sx, double sy, double sxy)
{
    if (n < 2)
        return NAN;
    double v = (sxy - sx * sy / n) / (n - 1.0);
    return v;
}

psim_status psim_psa_run(const psim_scenario *scn, const psim_run_options *opt_in, psim_psa_sample **out,
                         psim_error *err)
{
    psim_run_options opt = opt_in ? *opt_in : psim_run_options_default();
    *out = NULL;
    const int I = scn->psa.iterations;
    const int S = scn->n_strategies;
    if (I < 1)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "a PSA run needs psa.iterations >= 1");
    if (scn->n_uncertain < 1)
        return psim_error_set(err, PSIM_ERR_INPUT, scn->source_path, 0, 0,
                              "a PSA run needs at least one parameter given as a distribution "
                              "(for example `p_first: {dist: beta, alpha: 40, beta: 35}`)");
    const int first = opt.psa_first_iteration;
    const int n_it = opt.psa_iterations > 0 ? opt.psa_iterations : I - first;
    if (first < 0 || first >= I || n_it < 1 || n_it > I - first)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                              "PSA iterations %d to %d asked for, but the PSA has iterations 0 to %d", first,
                              first + n_it - 1, I - 1);
    psim_status st = PSIM_OK;
    psim_psa_sample *smp = psim_psa_sample_for(scn, first, n_it);
    if (!smp)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the PSA tables");

    int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
    if (threads < 1)
        threads = 1;
    const int64_t N = scn->patients;
    const int bs = scn->block_size;
    const int64_t nb = (N + bs - 1) / bs;
    /* Iterations are processed in groups; each group's (iteration, block)
     * items are spread over the threads and their sums kept per item, then
     * added in item order.  A group holds at least one iteration and about
     * 4096 items (at most 64 iterations), so memory does not grow with I or N. */
    int64_t G = 4096 / nb;
    if (G > 64) /* each iteration in a group holds a copy of the scenario (~100 KiB) */
        G = 64;
    if (G < 1)
        G = 1;
    if (G > n_it)
        G = n_it;
    const size_t C = (size_t)smp->n_cols;
    psim_scenario *scns = calloc((size_t)G, sizeof *scns);
    psim_model **models = calloc((size_t)G, sizeof *models);
    double *sums = calloc((size_t)(G * nb) * (size_t)S * N_SUMS, sizeof *sums);
    scratch *ws = calloc((size_t)threads, sizeof *ws);
    if (!scns || !models || !sums || !ws) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the PSA buffers");
        goto cleanup;
    }
    const size_t H = (size_t)scn->horizon_days;
    for (int t = 0; t < threads; t++) {
        ws[t].eps = malloc(H * sizeof(double));
        ws[t].effect = malloc(H * sizeof(double));
        ws[t].cost = malloc((size_t)S * sizeof(double));
        ws[t].qaly = malloc((size_t)S * sizeof(double));
        if (!ws[t].eps || !ws[t].effect || !ws[t].cost || !ws[t].qaly) {
            st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the PSA buffers");
            goto cleanup;
        }
    }

    double t0 = now_seconds();
    const int64_t end = (int64_t)first + n_it;
    for (int64_t g0 = first; g0 < end; g0 += G) {
        int64_t ng = end - g0 < G ? end - g0 : G;
        /* parameter sets and models of this group, in iteration order */
        for (int64_t k = 0; k < ng; k++) {
            int64_t it = g0 + k;
            draw_params(scn, (uint64_t)it, smp->params + (size_t)(it - first) * C, &scns[k]);
            /* the copies do not own the scenario text */
            scns[k].source_text = NULL;
            st = psim_psa_check_params(&scns[k], err);
            if (st == PSIM_OK)
                st = psim_model_create(&scns[k], &models[k], err);
            if (st != PSIM_OK) {
                char msg[PSIM_ERROR_TEXT_MAX];
                snprintf(msg, sizeof msg, "%s", err ? err->message : "");
                st = psim_error_set(err, PSIM_ERR_INPUT, scn->source_path, 0, 0,
                                    "PSA iteration %lld drew a parameter set the model cannot use: %s; "
                                    "narrow the distributions so that every draw is valid",
                                    (long long)it, msg);
                for (int64_t j = 0; j <= k; j++) {
                    psim_model_destroy(models[j]);
                    models[j] = NULL;
                }
                goto cleanup;
            }
        }
        memset(sums, 0, (size_t)(ng * nb) * (size_t)S * N_SUMS * sizeof *sums);
        const int64_t items = ng * nb;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (int64_t item = 0; item < items; item++) {
            int64_t k = item / nb, b = item % nb;
            int64_t it = g0 + k;
            int64_t patient0 = b * bs;
            int n = (int)(N - patient0 < bs ? N - patient0 : bs);
            uint64_t key = scn->psa.common_patients ? 0u : (uint64_t)it;
            simulate_item(models[k], key, patient0, n, scn->reference_index, &ws[omp_get_thread_num()],
                          sums + (size_t)item * (size_t)S * N_SUMS, opt.cancel);
        }
        for (int64_t k = 0; k < ng; k++) {
            psim_model_destroy(models[k]);
            models[k] = NULL;
        }
        if (opt.cancel && *opt.cancel) {
            st = psim_error_set(err, PSIM_ERR_INTERRUPTED, NULL, 0, 0, "interrupted");
            goto cleanup;
        }
        /* combine in item order */
        for (int64_t k = 0; k < ng; k++) {
            int64_t it = g0 + k;
            for (int s = 0; s < S; s++) {
                double x[N_SUMS] = {0};
                for (int64_t b = 0; b < nb; b++) {
                    const double *y = sums + ((size_t)(k * nb + b) * (size_t)S + (size_t)s) * N_SUMS;
                    for (int q = 0; q < N_SUMS; q++)
                        x[q] += y[q];
                }
                size_t o = (size_t)(it - first) * (size_t)S + (size_t)s;
                double n = x[SUM_N_];
                smp->cost[o] = x[SUM_C] / n;
                smp->qaly[o] = x[SUM_Q] / n;
                smp->cost_var[o] = covar(n, x[SUM_C], x[SUM_C], x[SUM_CC]);
                smp->qaly_var[o] = covar(n, x[SUM_Q], x[SUM_Q], x[SUM_QQ]);
                smp->cost_qaly_cov[o] = covar(n, x[SUM_C], x[SUM_Q], x[SUM_CQ]);
                smp->dcost_var[o] = covar(n, x[SUM_DC], x[SUM_DC], x[SUM_DCDC]);
                smp->dqaly_var[o] = covar(n, x[SUM_DQ], x[SUM_DQ], x[SUM_DQDQ]);
                smp->dcost_dqaly_cov[o] = covar(n, x[SUM_DC], x[SUM_DQ], x[SUM_DCDQ]);
            }
        }
        if (opt.progress)
            opt.progress(opt.progress_data, g0 + ng - first, n_it, now_seconds() - t0);
    }
    smp->elapsed_seconds = now_seconds() - t0;

cleanup:
    if (ws) {
        for (int t = 0; t < threads; t++) {
            free(ws[t].eps);
            free(ws[t].effect);
            free(ws[t].cost);
            free(ws[t].qaly);
        }
    }
    free(ws);
    free(sums);
    free(models);
    free(scns);
    if (st == PSIM_OK)
        *out = smp;
    else
        psim_psa_sample_destroy(smp);
    return st;
}
