/* From a PSA sample to the decision figures (include/painsim/psa.h):
 * CEAC, CEAF, expected loss, EVPI, EVPPI, the variance partition. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "model/psa_internal.h"
#include "painsim/psa.h"
#include "painsim/voi.h"

void psim_psa_analysis_destroy(psim_psa_analysis *a)
{
    if (!a)
        return;
    free(a->ceac);
    free(a->enmb);
    free(a->enmb_se);
    free(a->loss);
    free(a->ceaf_strategy);
    free(a->ceaf);
    free(a->evpi);
    free(a->evpi_se);
    free(a->evpi_corrected);
    free(a->evpi_corrected_se);
    free(a->evppi);
    free(a->evppi_se);
    free(a->group_evppi);
    free(a->group_evppi_se);
    free(a->group_name);
    free(a->group_members);
    free(a->var_cost);
    free(a->var_qaly);
    free(a->var_inmb);
    free(a->var_inmb_opt);
    free(a);
}

psim_psa_analysis *psim_psa_analysis_new_(int S, int W, int P, int G)
{
    psim_psa_analysis *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->S = S;
    a->n_wtp = W;
    a->n_evppi = P;
    a->n_groups = G;
    size_t WS = (size_t)W * (size_t)S, w = (size_t)W;
    size_t PW = (size_t)(P > 0 ? P : 1) * w, GW = (size_t)(G > 0 ? G : 1) * w, g1 = (size_t)(G > 0 ? G : 1);
    int ok = 1;
#define ALLOC(p, n) ok &= ((p) = calloc((n) > 0 ? (n) : 1u, sizeof *(p))) != NULL
    ALLOC(a->ceac, WS);
    ALLOC(a->enmb, WS);
    ALLOC(a->enmb_se, WS);
    ALLOC(a->loss, WS);
    ALLOC(a->ceaf_strategy, w);
    ALLOC(a->ceaf, w);
    ALLOC(a->evpi, w);
    ALLOC(a->evpi_se, w);
    ALLOC(a->evpi_corrected, w);
    ALLOC(a->evpi_corrected_se, w);
    ALLOC(a->evppi, PW);
    ALLOC(a->evppi_se, PW);
    ALLOC(a->group_evppi, GW);
    ALLOC(a->group_evppi_se, GW);
    ALLOC(a->group_name, g1);
    ALLOC(a->group_members, g1);
    ALLOC(a->var_cost, (size_t)S);
    ALLOC(a->var_qaly, (size_t)S);
    ALLOC(a->var_inmb, WS);
    ALLOC(a->var_inmb_opt, w);
#undef ALLOC
    if (!ok) {
        psim_psa_analysis_destroy(a);
        return NULL;
    }
    return a;
}

/* O'Hagan, Stevenson & Madan (2007): the variance of per-iteration means is
 * the parameter variance plus the within-iteration variance of a mean. */
static psim_var_partition partition(int I, int64_t n, const double *m, size_t stride, const double *within,
                                    size_t wstride)
{
    psim_var_partition p = {NAN, NAN, NAN, NAN, NAN};
    if (I < 2 || n < 2)
        return p;
    double mean = 0.0, noise = 0.0;
    for (int i = 0; i < I; i++) {
        mean += m[(size_t)i * stride];
        noise += within[(size_t)i * wstride];
    }
    mean /= I;
    noise /= (double)I * (double)n;
    double ss = 0.0;
    for (int i = 0; i < I; i++) {
        double d = m[(size_t)i * stride] - mean;
        ss += d * d;
    }
    p.total = ss / (I - 1);
    p.noise = noise;
    p.parameter = p.total - noise > 0.0 ? p.total - noise : 0.0;
    p.noise_share = p.total > 0.0 ? noise / p.total : NAN;
    /* noise at n' patients is noise * n / n'; it is at most 5% of the PSA
     * variance (parameter + noise at n') when n' >= 19 n noise / parameter */
    p.patients_needed = p.parameter > 0.0 ? ceil(19.0 * (double)n * noise / p.parameter) : HUGE_VAL;
    if (p.patients_needed < 1.0)
        p.patients_needed = 1.0;
    return p;
}

/* Regression columns of parameter k: all of its columns, but a dirichlet's
 * last (it is 1 minus the others). */
static int param_cols(const psim_psa_sample *smp, int k, int *cols, int cap)
{
    int dim = smp->param_dim[k], first = smp->param_col[k];
    int use = dim > 1 ? dim - 1 : dim;
    int n = 0;
    for (int d = 0; d < use && n < cap; d++)
        cols[n++] = first + d;
    return n;
}

static void gather(const psim_psa_sample *smp, const int *cols, int p, double *X)
{
    const int I = smp->iterations, C = smp->n_cols;
    for (int i = 0; i < I; i++)
        for (int j = 0; j < p; j++)
            X[(size_t)i * (size_t)p + (size_t)j] = smp->params[(size_t)i * (size_t)C + (size_t)cols[j]];
}

psim_status psim_psa_analyse(const psim_psa_sample *smp, const psim_economics *ec, const psim_evppi_group *groups,
                             int n_groups, uint64_t seed, int threads, psim_psa_analysis **out, psim_error *err)
{
    *out = NULL;
    const int I = smp->iterations, S = smp->n_strategies, W = ec->n_wtp, P = smp->n_params;
    const int ref = smp->reference;
    psim_status st = PSIM_OK;
    psim_psa_analysis *a = psim_psa_analysis_new_(S, W, P, n_groups);
    double *nmb = NULL;
    if (!a)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the PSA analysis");
    memcpy(a->wtp, ec->wtp, (size_t)W * sizeof *a->wtp);
    snprintf(a->currency, sizeof a->currency, "%s", ec->currency[0] ? ec->currency : "RUB");
    a->population = ec->population;
    a->horizon_years = ec->horizon_years;
    double factor = 0.0;
    for (int y = 0; y < (int)ceil(ec->horizon_years); y++) {
        double part = ec->horizon_years - y < 1.0 ? ec->horizon_years - y : 1.0;
        factor += part * pow(1.0 + ec->discount_costs, -(double)y);
    }
    a->population_factor = ec->population * factor;

    psim_voi_decision(I, S, smp->cost, smp->qaly, W, ec->wtp, a->ceac, a->enmb, a->loss, a->ceaf_strategy, a->ceaf,
                      a->evpi, a->evpi_se);
    /* Monte Carlo SE of each expected NMB */
    for (int w = 0; w < W; w++) {
        for (int s = 0; s < S; s++) {
            double m = a->enmb[(size_t)w * S + s], ss = 0.0;
            for (int i = 0; i < I; i++) {
                double d = ec->wtp[w] * smp->qaly[(size_t)i * S + s] - smp->cost[(size_t)i * S + s] - m;
                ss += d * d;
            }
            a->enmb_se[(size_t)w * S + s] = I > 1 ? sqrt(ss / (I - 1) / I) : NAN;
        }
    }

    /* variance partition */
    nmb = malloc((size_t)I * 2 * sizeof *nmb);
    if (!nmb) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the PSA analysis");
        goto cleanup;
    }
    for (int s = 0; s < S; s++) {
        a->var_cost[s] = partition(I, smp->patients, smp->cost + s, (size_t)S, smp->cost_var + s, (size_t)S);
        a->var_qaly[s] = partition(I, smp->patients, smp->qaly + s, (size_t)S, smp->qaly_var + s, (size_t)S);
    }
    for (int w = 0; w < W; w++) {
        double lam = ec->wtp[w];
        for (int s = 0; s < S; s++) {
            double *m = nmb, *v = nmb + I;
            for (int i = 0; i < I; i++) {
                size_t o = (size_t)i * S;
                m[i] = lam * (smp->qaly[o + s] - smp->qaly[o + ref]) - (smp->cost[o + s] - smp->cost[o + ref]);
                v[i] = lam * lam * smp->dqaly_var[o + s] - 2.0 * lam * smp->dcost_dqaly_cov[o + s] +
                       smp->dcost_var[o + s];
            }
            if (s == ref) {
                psim_var_partition z = {0.0, 0.0, 0.0, NAN, NAN};
                a->var_inmb[(size_t)w * S + s] = z;
            } else {
                a->var_inmb[(size_t)w * S + s] = partition(I, smp->patients, m, 1, v, 1);
            }
        }
        int opt = a->ceaf_strategy[w];
        if (opt == ref) { /* the runner-up by expected NMB */
            int best = -1;
            for (int s = 0; s < S; s++)
                if (s != ref && (best < 0 || a->enmb[(size_t)w * S + s] > a->enmb[(size_t)w * S + best]))
                    best = s;
            opt = best;
        }
        if (opt >= 0)
            a->var_inmb_opt[w] = a->var_inmb[(size_t)w * S + opt];
        else
            a->var_inmb_opt[w] = (psim_var_partition){NAN, NAN, NAN, NAN, NAN};
    }

    /* EVPPI: every parameter, every group, all parameters together (the
     * regressions need at least 20 iterations; fewer give NaN) */
    if (I < 20) {
        for (size_t k = 0; k < (size_t)(P > 0 ? P : 1) * (size_t)W; k++)
            a->evppi[k] = a->evppi_se[k] = NAN;
        for (size_t k = 0; k < (size_t)(n_groups > 0 ? n_groups : 1) * (size_t)W; k++)
            a->group_evppi[k] = a->group_evppi_se[k] = NAN;
        for (int w = 0; w < W; w++)
            a->evpi_corrected[w] = a->evpi_corrected_se[w] = NAN;
        for (int g = 0; g < n_groups; g++)
            snprintf(a->group_name[g], sizeof a->group_name[g], "%s", groups[g].name);
        goto cleanup;
    }
    psim_evppi_options eo = psim_evppi_options_default();
    eo.seed = seed;
    for (int g = 0; g < n_groups; g++)
        snprintf(a->group_name[g], sizeof a->group_name[g], "%s", groups[g].name);
    /* Jobs: one per parameter, one per group, then all parameters together.
     * Each is independent and deterministic (its own draws), so they run
     * over the threads in any order and give the same bits. */
    const int n_jobs = P + n_groups + 1;
    psim_status *jst = calloc((size_t)n_jobs, sizeof *jst);
    psim_error *jerr = calloc((size_t)n_jobs, sizeof *jerr);
    if (!jst || !jerr) {
        free(jst);
        free(jerr);
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the PSA analysis");
        goto cleanup;
    }
    const int C = smp->n_cols > 0 ? smp->n_cols : 1;
#pragma omp parallel for num_threads(threads > 0 ? threads : omp_get_max_threads()) schedule(dynamic, 1)
    for (int job = 0; job < n_jobs; job++) {
        int *jc = malloc((size_t)C * sizeof *jc);
        double *jx = malloc((size_t)I * (size_t)C * sizeof *jx);
        double *out_v, *out_se;
        int p = 0;
        psim_error_clear(&jerr[job]);
        if (!jc || !jx) {
            jst[job] = psim_error_set(&jerr[job], PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the PSA analysis");
            free(jc);
            free(jx);
            continue;
        }
        if (job < P) {
            p = param_cols(smp, job, jc, C);
            out_v = a->evppi + (size_t)job * W;
            out_se = a->evppi_se + (size_t)job * W;
        } else if (job < P + n_groups) {
            int g = job - P;
            size_t o = 0;
            for (int j = 0; j < groups[g].n; j++) {
                int k = groups[g].param[j];
                p += param_cols(smp, k, jc + p, C - p);
                int n = snprintf(a->group_members[g] + o, sizeof a->group_members[g] - o, "%s%s", j ? ", " : "",
                                 smp->param_name[k]);
                if (n > 0 && o + (size_t)n < sizeof a->group_members[g])
                    o += (size_t)n;
            }
            out_v = a->group_evppi + (size_t)g * W;
            out_se = a->group_evppi_se + (size_t)g * W;
        } else {
            for (int k = 0; k < P; k++)
                p += param_cols(smp, k, jc + p, C - p);
            out_v = a->evpi_corrected;
            out_se = a->evpi_corrected_se;
        }
        gather(smp, jc, p, jx);
        jst[job] = psim_evppi(I, S, smp->cost, smp->qaly, W, ec->wtp, p, jx, &eo, out_v, out_se, NULL, &jerr[job]);
        free(jc);
        free(jx);
    }
    for (int job = 0; job < n_jobs && st == PSIM_OK; job++) {
        if (jst[job] != PSIM_OK) {
            st = jst[job];
            if (err)
                *err = jerr[job];
        }
    }
    free(jst);
    free(jerr);

cleanup:
    free(nmb);
    if (st == PSIM_OK)
        *out = a;
    else
        psim_psa_analysis_destroy(a);
    return st;
}
