/* Printing a PSA: tables for people, CSV (wide and tidy) and JSON for programs.
 *
 * JSON contract (every estimate is {"value": x, "se": s}):
 *   scenario, mode ("psa"), iterations, patients_per_iteration, patients
 *   ("per_iteration" | "common"), currency, reference, strategies [names],
 *   wtp [currency/QALY], population, horizon_years,
 *   parameters [{name, unit, distribution, mean, p2_5, p97_5}] (one per column),
 *   by_wtp [{wtp, optimal, p_optimal_cost_effective, evpi, evpi_population,
 *            evpi_noise_corrected, strategies {name: {p_cost_effective,
 *            expected_nmb, expected_loss}}, evppi {parameter: estimate},
 *            evppi_groups {group: estimate}, decision_variance {total,
 *            patient_noise, parameters, noise_share, patients_needed}}],
 *   frontier [{strategy, previous, cost, qaly, delta_cost, delta_qaly, icer}]
 *            (the efficient frontier of the expected cost and QALYs, with
 *            sequential ICERs; SEs over iterations),
 *   variance_partition {cost|qaly: {strategy: {total, patient_noise,
 *            parameters, noise_share, patients_needed}}}.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output/textout.h"
#include "painsim/psa.h"
#include "painsim/report.h"

static void json_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c < 0x20)
            fprintf(fp, "\\u%04x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

static void json_num(FILE *fp, double x)
{
    if (isfinite(x))
        fprintf(fp, "%.10g", x);
    else
        fputs("null", fp);
}

static void json_est(FILE *fp, double v, double se)
{
    fputs("{\"value\": ", fp);
    json_num(fp, v);
    fputs(", \"se\": ", fp);
    json_num(fp, se);
    fputs("}", fp);
}

static void json_part(FILE *fp, const psim_var_partition *p)
{
    fputs("{\"total\": ", fp);
    json_num(fp, p->total);
    fputs(", \"patient_noise\": ", fp);
    json_num(fp, p->noise);
    fputs(", \"parameters\": ", fp);
    json_num(fp, p->parameter);
    fputs(", \"noise_share\": ", fp);
    json_num(fp, p->noise_share);
    fputs(", \"patients_needed\": ", fp);
    json_num(fp, p->patients_needed);
    fputs("}", fp);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Mean and the 2.5% / 97.5% quantiles of column c. */
static void col_stats(const psim_psa_sample *smp, int c, double *tmp, double *mean, double *lo, double *hi)
{
    const int I = smp->iterations;
    double m = 0.0;
    for (int i = 0; i < I; i++) {
        tmp[i] = smp->params[(size_t)i * smp->n_cols + c];
        m += tmp[i];
    }
    qsort(tmp, (size_t)I, sizeof *tmp, cmp_double);
    *mean = m / I;
    *lo = tmp[(int)floor(0.025 * (I - 1))];
    *hi = tmp[(int)ceil(0.975 * (I - 1))];
}

/* The WTP value at which EVPI is largest (EVPPI tables are ranked there). */
static int rank_wtp(const psim_psa_analysis *a)
{
    int best = 0;
    for (int w = 1; w < a->n_wtp; w++)
        if (a->evpi[w] > a->evpi[best])
            best = w;
    return best;
}

/* Up to three WTP columns for wide tables: all when <= 3, else the smallest
 * positive, the one where EVPI peaks and the largest. */
static int table_wtps(const psim_psa_analysis *a, int *w)
{
    if (a->n_wtp <= 3) {
        for (int k = 0; k < a->n_wtp; k++)
            w[k] = k;
        return a->n_wtp;
    }
    int first = 0;
    while (first < a->n_wtp - 1 && !(a->wtp[first] > 0))
        first++;
    int mid = rank_wtp(a), last = a->n_wtp - 1;
    int n = 0;
    w[n++] = first;
    if (mid != first && mid != last)
        w[n++] = mid;
    if (last != first)
        w[n++] = last;
    return n;
}

/* The efficient frontier of the expected costs and QALYs over the iterations,
 * with sequential ICERs: each frontier strategy against the previous one; the
 * differences' SEs are over iterations (paired: the same parameter set). */
typedef struct psa_frontier {
    int n;
    int idx[PSIM_MAX_STRATEGIES];
    double dc[PSIM_MAX_STRATEGIES], dc_se[PSIM_MAX_STRATEGIES], dq[PSIM_MAX_STRATEGIES], dq_se[PSIM_MAX_STRATEGIES];
    psim_dominance dom[PSIM_MAX_STRATEGIES];
    double cost[PSIM_MAX_STRATEGIES], qaly[PSIM_MAX_STRATEGIES];
} psa_frontier;

static void frontier_of(const psim_psa_sample *smp, psa_frontier *f)
{
    const int I = smp->iterations, S = smp->n_strategies;
    for (int s = 0; s < S; s++) {
        double c = 0, q = 0;
        for (int i = 0; i < I; i++) {
            c += smp->cost[(size_t)i * S + s];
            q += smp->qaly[(size_t)i * S + s];
        }
        f->cost[s] = c / I;
        f->qaly[s] = q / I;
    }
    f->n = psim_econ_frontier(S, f->cost, f->qaly, f->dom, NULL, f->idx);
    for (int k = 0; k < f->n; k++) {
        f->dc[k] = f->dc_se[k] = f->dq[k] = f->dq_se[k] = NAN;
        if (k == 0)
            continue;
        int a = f->idx[k], b = f->idx[k - 1];
        double mc = f->cost[a] - f->cost[b], mq = f->qaly[a] - f->qaly[b], vc = 0, vq = 0;
        for (int i = 0; i < I; i++) {
            double x = smp->cost[(size_t)i * S + a] - smp->cost[(size_t)i * S + b] - mc;
            double y = smp->qaly[(size_t)i * S + a] - smp->qaly[(size_t)i * S + b] - mq;
            vc += x * x;
            vq += y * y;
        }
        f->dc[k] = mc;
        f->dq[k] = mq;
        f->dc_se[k] = I > 1 ? sqrt(vc / (I - 1) / I) : NAN;
        f->dq_se[k] = I > 1 ? sqrt(vq / (I - 1) / I) : NAN;
    }
}

#define TCOL(sep, w, left) ((psim_text_col){sep, w, left})

static void print_table(const char *scenario, const psim_psa_sample *smp, const psim_psa_analysis *a, int width,
                        FILE *fp)
{
    const int S = smp->n_strategies, W = a->n_wtp, C = smp->n_cols;
    const char *cur = a->currency;
    double *tmp = malloc((size_t)smp->iterations * sizeof *tmp);
    psim_text_table *t;
    char line[1024];
    fprintf(fp, "Probabilistic sensitivity analysis: %s\n", scenario);
    snprintf(line, sizeof line, "%d iterations x %lld patients (%s), %d strategies, reference %s", smp->iterations,
             (long long)smp->patients,
             smp->common_patients ? "the same patients in every iteration" : "fresh patients per iteration", S,
             smp->strategy[smp->reference]);
    psim_text_wrapped(fp, line, width);
    snprintf(line, sizeof line, "Costs in %s per patient and QALYs per patient, both discounted; WTP in %s/QALY.",
             cur, cur);
    psim_text_wrapped(fp, line, width);
    fputc('\n', fp);

    if (tmp) {
        fprintf(fp, "Uncertain parameters (%d)\n", C);
        psim_text_col pc[] = {TCOL("  ", 46, 1), TCOL(" ", 26, 1), TCOL(" ", 22, 1),
                              TCOL(" ", 12, 0),  TCOL(" ", 12, 0), TCOL(" ", 12, 0)};
        t = psim_text_table_new(1, C, 5, pc);
        const char *head[] = {"parameter", "distribution", "unit", "mean", "2.5%", "97.5%"};
        for (int k = 0; k < 6; k++)
            psim_text_table_set(t, -1, k, "%s", head[k]);
        for (int c = 0; c < C; c++) {
            double m, lo, hi;
            col_stats(smp, c, tmp, &m, &lo, &hi);
            psim_text_table_set(t, c, 0, "%s", smp->col_name[c]);
            psim_text_table_set(t, c, 1, "%s", smp->col_dist[c]);
            psim_text_table_set(t, c, 2, "%s", smp->col_unit[c]);
            psim_text_table_set(t, c, 3, "%.5g", m);
            psim_text_table_set(t, c, 4, "%.5g", lo);
            psim_text_table_set(t, c, 5, "%.5g", hi);
        }
        psim_text_table_print(t, width, fp);
        fputc('\n', fp);
    }

    snprintf(line, sizeof line, "Probability that each strategy is cost-effective (CEAC), by WTP (%s/QALY)", cur);
    psim_text_wrapped(fp, line, width);
    {
        psim_text_col *cc = malloc((size_t)(W + 1) * sizeof *cc);
        t = NULL;
        if (cc) {
            cc[0] = TCOL("  ", 28, 1);
            for (int w = 0; w < W; w++)
                cc[w + 1] = TCOL(" ", 9, 0);
            t = psim_text_table_new(1, S, W, cc);
            free(cc);
        }
        psim_text_table_set(t, -1, 0, "strategy");
        for (int w = 0; w < W; w++)
            psim_text_table_set(t, -1, w + 1, "%.0f", a->wtp[w]);
        for (int s = 0; s < S; s++) {
            psim_text_table_set(t, s, 0, "%s", smp->strategy[s]);
            for (int w = 0; w < W; w++)
                psim_text_table_set(t, s, w + 1, "%.3f", a->ceac[(size_t)w * S + s]);
        }
        psim_text_table_print(t, width, fp);
    }
    fputc('\n', fp);

    fprintf(fp, "Decision and value of information by WTP\n");
    {
        psim_text_col dc[] = {TCOL("  ", 12, 0), TCOL("  ", 26, 1), TCOL(" ", 8, 0),
                              TCOL("  ", 26, 1), TCOL(" ", 26, 1),  TCOL(" ", 0, 1)};
        const int pop = a->population > 0;
        t = psim_text_table_new(2, W, pop ? 5 : 4, dc);
        const char *h1[] = {"WTP", "optimal (max expected NMB)", "P(CE)", "EVPI per patient (SE)",
                            "EVPI noise-corrected (SE)", "EVPI population"};
        const char *h2[] = {"(/QALY)", "", "", cur, cur, cur};
        for (int k = 0; k < (pop ? 6 : 5); k++) {
            psim_text_table_set(t, -2, k, "%s", h1[k]);
            psim_text_table_set(t, -1, k, "%s", h2[k]);
        }
        for (int w = 0; w < W; w++) {
            psim_text_table_set(t, w, 0, "%.0f", a->wtp[w]);
            psim_text_table_set(t, w, 1, "%s", smp->strategy[a->ceaf_strategy[w]]);
            psim_text_table_set(t, w, 2, "%.3f", a->ceaf[w]);
            psim_text_table_set(t, w, 3, "%.1f (%.1f)", a->evpi[w], a->evpi_se[w]);
            psim_text_table_set(t, w, 4, "%.1f (%.1f)", a->evpi_corrected[w], a->evpi_corrected_se[w]);
            if (pop)
                psim_text_table_set(t, w, 5, "%.0f", a->evpi[w] * a->population_factor);
        }
        psim_text_table_print(t, width, fp);
    }
    if (a->population > 0)
        snprintf(line, sizeof line,
                 "  Population EVPI: %.0f patients a year over %.4g years, discounted (factor %.6g patients).",
                 a->population, a->horizon_years, a->population_factor);
    else
        snprintf(line, sizeof line,
                 "  (Population EVPI: set economics.population, patients a year, and economics.horizon_years.)");
    psim_text_wrapped(fp, line, width);
    fputc('\n', fp);

    int wc[3];
    int nw = table_wtps(a, wc);
    snprintf(line, sizeof line, "Expected NMB per patient (%s), mean over iterations (Monte Carlo SE)", cur);
    psim_text_wrapped(fp, line, width);
    {
        psim_text_col nc[] = {TCOL("  ", 28, 1), TCOL(" ", 24, 0), TCOL(" ", 24, 0), TCOL(" ", 24, 0)};
        t = psim_text_table_new(1, S, nw, nc);
        psim_text_table_set(t, -1, 0, "strategy");
        for (int k = 0; k < nw; k++)
            psim_text_table_set(t, -1, k + 1, "WTP %.0f", a->wtp[wc[k]]);
        for (int s = 0; s < S; s++) {
            psim_text_table_set(t, s, 0, "%s", smp->strategy[s]);
            for (int k = 0; k < nw; k++)
                psim_text_table_set(t, s, k + 1, "%.0f (%.0f)", a->enmb[(size_t)wc[k] * S + s],
                                    a->enmb_se[(size_t)wc[k] * S + s]);
        }
        psim_text_table_print(t, width, fp);
    }
    fputc('\n', fp);

    {
        psa_frontier f;
        frontier_of(smp, &f);
        psim_text_para(fp,
                        "Efficient frontier of the expected cost and QALYs over the iterations (sequential ICERs;\n"
                        "SEs over iterations, paired by parameter set)",
                        width);
        for (int k = 0; k < f.n; k++) {
            int s = f.idx[k];
            if (k == 0)
                snprintf(line, sizeof line, "  %-22s first on the frontier: cost %.0f %s, %.4f QALY",
                         smp->strategy[s], f.cost[s], cur, f.qaly[s]);
            else
                snprintf(line, sizeof line,
                         "  %-22s vs %-22s dCost %9.0f %s (SE %.0f)  dQALY %.4f (SE %.4f)  ICER %.0f %s/QALY",
                         smp->strategy[s], smp->strategy[f.idx[k - 1]], f.dc[k], cur, f.dc_se[k], f.dq[k],
                         f.dq_se[k], f.dq[k] != 0 ? f.dc[k] / f.dq[k] : NAN, cur);
            psim_text_wrapped(fp, line, width);
        }
        size_t o = 0;
        line[0] = '\0';
        for (int s = 0; s < S && o < sizeof line; s++) {
            if (f.dom[s] == PSIM_DOMINANCE_NONE)
                continue;
            o += (size_t)snprintf(line + o, sizeof line - o, "%s%s (%s)",
                                  o == 0 ? "  dominated, not on the frontier: " : ", ", smp->strategy[s],
                                  f.dom[s] == PSIM_DOMINANCE_STRONG ? "strongly" : "extendedly");
        }
        if (o > 0) {
            psim_text_wrapped(fp, line, width);
            fputc('\n', fp);
        } else {
            fputc('\n', fp);
        }
    }

    if (a->n_evppi > 0 || a->n_groups > 0) {
        int rw = rank_wtp(a);
        int n = a->n_evppi + a->n_groups;
        int *order = malloc((size_t)n * sizeof *order);
        if (order) {
            for (int k = 0; k < n; k++)
                order[k] = k;
            /* insertion sort by EVPPI at the ranking WTP, largest first */
            for (int i = 1; i < n; i++) {
                int x = order[i], j = i - 1;
                double vx = x < a->n_evppi ? a->evppi[(size_t)x * W + rw]
                                           : a->group_evppi[(size_t)(x - a->n_evppi) * W + rw];
                while (j >= 0) {
                    int y = order[j];
                    double vy = y < a->n_evppi ? a->evppi[(size_t)y * W + rw]
                                               : a->group_evppi[(size_t)(y - a->n_evppi) * W + rw];
                    if (!(vx > vy))
                        break;
                    order[j + 1] = y;
                    j--;
                }
                order[j + 1] = x;
            }
            snprintf(line, sizeof line, "EVPPI per patient (%s, SE), ranked at WTP %.0f %s/QALY (where EVPI peaks)",
                     cur, a->wtp[rw], cur);
            psim_text_wrapped(fp, line, width);
            psim_text_col ec[] = {TCOL("  ", 46, 1), TCOL(" ", 22, 0), TCOL(" ", 22, 0), TCOL(" ", 22, 0),
                                  TCOL(" ", 8, 0)};
            ec[nw + 1] = TCOL(" ", 8, 0);
            t = psim_text_table_new(1, n, nw + 1, ec);
            psim_text_table_set(t, -1, 0, "parameter or group");
            for (int k = 0; k < nw; k++)
                psim_text_table_set(t, -1, k + 1, "WTP %.0f", a->wtp[wc[k]]);
            psim_text_table_set(t, -1, nw + 1, "%% EVPI");
            for (int q = 0; q < n; q++) {
                int x = order[q];
                const double *v, *se;
                if (x < a->n_evppi) {
                    psim_text_table_set(t, q, 0, "%s", smp->param_name[x]);
                    v = a->evppi + (size_t)x * W;
                    se = a->evppi_se + (size_t)x * W;
                } else {
                    int g = x - a->n_evppi;
                    psim_text_table_set(t, q, 0, "group %s", a->group_name[g]);
                    v = a->group_evppi + (size_t)g * W;
                    se = a->group_evppi_se + (size_t)g * W;
                }
                for (int k = 0; k < nw; k++)
                    psim_text_table_set(t, q, k + 1, "%.1f (%.1f)", v[wc[k]], se[wc[k]]);
                if (a->evpi[rw] > 0)
                    psim_text_table_set(t, q, nw + 1, "%.1f%%", 100.0 * v[rw] / a->evpi[rw]);
                else
                    psim_text_table_set(t, q, nw + 1, "-");
            }
            psim_text_table_print(t, width, fp);
            for (int g = 0; g < a->n_groups; g++) {
                snprintf(line, sizeof line, "  group %s = %s", a->group_name[g], a->group_members[g]);
                psim_text_wrapped(fp, line, width);
            }
            free(order);
            fputc('\n', fp);
        }
    }

    snprintf(line, sizeof line,
             "Variance of the per-iteration incremental NMB of the decision (optimal strategy, or runner-up,\n"
             "against %s): parameter uncertainty vs patient noise (O'Hagan, Stevenson & Madan 2007)",
             smp->strategy[smp->reference]);
    psim_text_para(fp, line, width);
    {
        psim_text_col vc[] = {TCOL("  ", 12, 0), TCOL(" ", 16, 0), TCOL(" ", 16, 0), TCOL(" ", 12, 0),
                              TCOL(" ", 26, 0)};
        t = psim_text_table_new(2, W, 4, vc);
        const char *h1[] = {"WTP", "parameters", "patient noise", "noise share", "patients needed (<5%)"};
        for (int k = 0; k < 5; k++)
            psim_text_table_set(t, -2, k, "%s", h1[k]);
        psim_text_table_set(t, -1, 0, "(/QALY)");
        psim_text_table_set(t, -1, 1, "(%s^2)", cur);
        psim_text_table_set(t, -1, 2, "(%s^2)", cur);
        psim_text_table_set(t, -1, 4, "(per iteration)");
        for (int w = 0; w < W; w++) {
            const psim_var_partition *p = &a->var_inmb_opt[w];
            psim_text_table_set(t, w, 0, "%.0f", a->wtp[w]);
            psim_text_table_set(t, w, 1, "%.5g", p->parameter);
            psim_text_table_set(t, w, 2, "%.5g", p->noise);
            psim_text_table_set(t, w, 3, "%.1f%%", 100.0 * p->noise_share);
            psim_text_table_set(t, w, 4, "%.0f", p->patients_needed);
        }
        psim_text_table_print(t, width, fp);
    }
    snprintf(line, sizeof line, "  (%lld patients per iteration in this run.)", (long long)smp->patients);
    psim_text_wrapped(fp, line, width);
    fputc('\n', fp);
    free(tmp);
}

static void print_samples(const psim_psa_sample *smp, FILE *fp)
{
    const int S = smp->n_strategies, C = smp->n_cols;
    fputs("iteration", fp);
    for (int c = 0; c < C; c++)
        fprintf(fp, ",%s", smp->col_name[c]);
    /* the reference first: it is the comparator of the regressions */
    for (int k = 0; k < S; k++) {
        int s = k == 0 ? smp->reference : (k <= smp->reference ? k - 1 : k);
        fprintf(fp, ",cost:%s,qaly:%s", smp->strategy[s], smp->strategy[s]);
    }
    fputc('\n', fp);
    for (int i = 0; i < smp->iterations; i++) {
        fprintf(fp, "%d", i);
        for (int c = 0; c < C; c++)
            fprintf(fp, ",%.17g", smp->params[(size_t)i * C + c]);
        for (int k = 0; k < S; k++) {
            int s = k == 0 ? smp->reference : (k <= smp->reference ? k - 1 : k);
            fprintf(fp, ",%.17g,%.17g", smp->cost[(size_t)i * S + s], smp->qaly[(size_t)i * S + s]);
        }
        fputc('\n', fp);
    }
}

static void print_csv(const psim_psa_sample *smp, const psim_psa_analysis *a, FILE *fp)
{
    const int S = smp->n_strategies, W = a->n_wtp;
    const char *cur = a->currency;
    fprintf(fp, "wtp_%s_per_qaly,optimal,p_optimal_cost_effective,evpi_%s,evpi_se_%s,evpi_population_%s,"
                "evpi_noise_corrected_%s,evpi_noise_corrected_se_%s",
            cur, cur, cur, cur, cur, cur);
    for (int s = 0; s < S; s++)
        fprintf(fp, ",ceac:%s,expected_nmb_%s:%s,expected_nmb_se_%s:%s,expected_loss_%s:%s", smp->strategy[s], cur,
                smp->strategy[s], cur, smp->strategy[s], cur, smp->strategy[s]);
    for (int k = 0; k < a->n_evppi; k++) {
        const char *name = smp->param_name[k];
        fprintf(fp, ",evppi_%s:%s,evppi_se_%s:%s", cur, name, cur, name);
    }
    for (int g = 0; g < a->n_groups; g++)
        fprintf(fp, ",evppi_%s:group:%s,evppi_se_%s:group:%s", cur, a->group_name[g], cur, a->group_name[g]);
    fputc('\n', fp);
    for (int w = 0; w < W; w++) {
        fprintf(fp, "%.17g,%s,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g", a->wtp[w], smp->strategy[a->ceaf_strategy[w]], a->ceaf[w],
                a->evpi[w], a->evpi_se[w], a->evpi[w] * a->population_factor, a->evpi_corrected[w],
                a->evpi_corrected_se[w]);
        for (int s = 0; s < S; s++)
            fprintf(fp, ",%.10g,%.10g,%.10g,%.10g", a->ceac[(size_t)w * S + s], a->enmb[(size_t)w * S + s],
                    a->enmb_se[(size_t)w * S + s], a->loss[(size_t)w * S + s]);
        for (int k = 0; k < a->n_evppi; k++)
            fprintf(fp, ",%.10g,%.10g", a->evppi[(size_t)k * W + w], a->evppi_se[(size_t)k * W + w]);
        for (int g = 0; g < a->n_groups; g++)
            fprintf(fp, ",%.10g,%.10g", a->group_evppi[(size_t)g * W + w], a->group_evppi_se[(size_t)g * W + w]);
        fputc('\n', fp);
    }
}

static void long_row(FILE *fp, const char *scn, const char *strategy, const char *parameter, const char *quantity,
                     double wtp, double v, double se, const char *unit)
{
    fprintf(fp, "%s,%s,%s,%s,%.17g,%.10g,", scn, strategy, parameter, quantity, wtp, v);
    if (isfinite(se))
        fprintf(fp, "%.10g", se);
    fprintf(fp, ",%s\n", unit);
}

static void print_csv_long(const char *scn, const psim_psa_sample *smp, const psim_psa_analysis *a, FILE *fp)
{
    const int S = smp->n_strategies, W = a->n_wtp;
    const char *cur = a->currency;
    fputs("scenario,strategy,parameter,quantity,wtp,value,se,unit\n", fp);
    for (int w = 0; w < W; w++) {
        double l = a->wtp[w];
        for (int s = 0; s < S; s++) {
            const char *n = smp->strategy[s];
            long_row(fp, scn, n, "", "p_cost_effective", l, a->ceac[(size_t)w * S + s], NAN, "probability");
            long_row(fp, scn, n, "", "expected_nmb", l, a->enmb[(size_t)w * S + s], a->enmb_se[(size_t)w * S + s], cur);
            long_row(fp, scn, n, "", "expected_loss", l, a->loss[(size_t)w * S + s], NAN, cur);
        }
        const char *opt = smp->strategy[a->ceaf_strategy[w]];
        long_row(fp, scn, opt, "", "p_optimal_cost_effective", l, a->ceaf[w], NAN, "probability");
        long_row(fp, scn, "", "", "evpi", l, a->evpi[w], a->evpi_se[w], cur);
        if (a->population > 0)
            long_row(fp, scn, "", "", "evpi_population", l, a->evpi[w] * a->population_factor,
                     a->evpi_se[w] * a->population_factor, cur);
        long_row(fp, scn, "", "", "evpi_noise_corrected", l, a->evpi_corrected[w], a->evpi_corrected_se[w], cur);
        for (int k = 0; k < a->n_evppi; k++) {
            long_row(fp, scn, "", smp->param_name[k], "evppi", l, a->evppi[(size_t)k * W + w], a->evppi_se[(size_t)k * W + w], cur);
        }
        for (int g = 0; g < a->n_groups; g++) {
            char name[PSIM_NAME_MAX + 8];
            snprintf(name, sizeof name, "group:%s", a->group_name[g]);
            long_row(fp, scn, "", name, "evppi", l, a->group_evppi[(size_t)g * W + w],
                     a->group_evppi_se[(size_t)g * W + w], cur);
        }
    }
}

static void print_json(const char *scn, const psim_psa_sample *smp, const psim_psa_analysis *a, FILE *fp)
{
    const int S = smp->n_strategies, W = a->n_wtp, C = smp->n_cols;
    double *tmp = malloc((size_t)smp->iterations * sizeof *tmp);
    fputs("{\n  \"scenario\": ", fp);
    json_str(fp, scn);
    fprintf(fp, ",\n  \"mode\": \"psa\",\n  \"iterations\": %d,\n  \"patients_per_iteration\": %lld,\n", smp->iterations,
            (long long)smp->patients);
    fprintf(fp, "  \"patients\": \"%s\",\n  \"currency\": ", smp->common_patients ? "common" : "per_iteration");
    json_str(fp, a->currency);
    fputs(",\n  \"reference\": ", fp);
    json_str(fp, smp->strategy[smp->reference]);
    fputs(",\n  \"strategies\": [", fp);
    for (int s = 0; s < S; s++) {
        if (s)
            fputs(", ", fp);
        json_str(fp, smp->strategy[s]);
    }
    fputs("],\n  \"wtp\": [", fp);
    for (int w = 0; w < W; w++) {
        if (w)
            fputs(", ", fp);
        json_num(fp, a->wtp[w]);
    }
    fputs("],\n  \"population\": ", fp);
    json_num(fp, a->population);
    fputs(",\n  \"horizon_years\": ", fp);
    json_num(fp, a->horizon_years);
    fputs(",\n  \"parameters\": [", fp);
    for (int c = 0; c < C && tmp; c++) {
        double m, lo, hi;
        col_stats(smp, c, tmp, &m, &lo, &hi);
        fputs(c ? ",\n    {\"name\": " : "\n    {\"name\": ", fp);
        json_str(fp, smp->col_name[c]);
        fputs(", \"unit\": ", fp);
        json_str(fp, smp->col_unit[c]);
        fputs(", \"distribution\": ", fp);
        json_str(fp, smp->col_dist[c]);
        fputs(", \"mean\": ", fp);
        json_num(fp, m);
        fputs(", \"p2_5\": ", fp);
        json_num(fp, lo);
        fputs(", \"p97_5\": ", fp);
        json_num(fp, hi);
        fputs("}", fp);
    }
    fputs("\n  ],\n  \"by_wtp\": [", fp);
    for (int w = 0; w < W; w++) {
        fputs(w ? ",\n    {\"wtp\": " : "\n    {\"wtp\": ", fp);
        json_num(fp, a->wtp[w]);
        fputs(", \"optimal\": ", fp);
        json_str(fp, smp->strategy[a->ceaf_strategy[w]]);
        fputs(", \"p_optimal_cost_effective\": ", fp);
        json_num(fp, a->ceaf[w]);
        fputs(",\n     \"evpi\": ", fp);
        json_est(fp, a->evpi[w], a->evpi_se[w]);
        fputs(", \"evpi_population\": ", fp);
        if (a->population > 0)
            json_est(fp, a->evpi[w] * a->population_factor, a->evpi_se[w] * a->population_factor);
        else
            fputs("null", fp);
        fputs(", \"evpi_noise_corrected\": ", fp);
        json_est(fp, a->evpi_corrected[w], a->evpi_corrected_se[w]);
        fputs(",\n     \"strategies\": {", fp);
        for (int s = 0; s < S; s++) {
            fputs(s ? ", " : "", fp);
            json_str(fp, smp->strategy[s]);
            fputs(": {\"p_cost_effective\": ", fp);
            json_num(fp, a->ceac[(size_t)w * S + s]);
            fputs(", \"expected_nmb\": ", fp);
            json_est(fp, a->enmb[(size_t)w * S + s], a->enmb_se[(size_t)w * S + s]);
            fputs(", \"expected_loss\": ", fp);
            json_num(fp, a->loss[(size_t)w * S + s]);
            fputs("}", fp);
        }
        fputs("},\n     \"evppi\": {", fp);
        for (int k = 0; k < a->n_evppi; k++) {
            fputs(k ? ", " : "", fp);
            json_str(fp, smp->param_name[k]);
            fputs(": ", fp);
            json_est(fp, a->evppi[(size_t)k * W + w], a->evppi_se[(size_t)k * W + w]);
        }
        fputs("},\n     \"evppi_groups\": {", fp);
        for (int g = 0; g < a->n_groups; g++) {
            fputs(g ? ", " : "", fp);
            json_str(fp, a->group_name[g]);
            fputs(": ", fp);
            json_est(fp, a->group_evppi[(size_t)g * W + w], a->group_evppi_se[(size_t)g * W + w]);
        }
        fputs("},\n     \"decision_variance\": ", fp);
        json_part(fp, &a->var_inmb_opt[w]);
        fputs("}", fp);
    }
    fputs("\n  ],\n  \"frontier\": [", fp);
    {
        psa_frontier f;
        frontier_of(smp, &f);
        for (int k = 0; k < f.n; k++) {
            int s = f.idx[k];
            fputs(k ? ",\n    {\"strategy\": " : "\n    {\"strategy\": ", fp);
            json_str(fp, smp->strategy[s]);
            fputs(", \"previous\": ", fp);
            if (k)
                json_str(fp, smp->strategy[f.idx[k - 1]]);
            else
                fputs("null", fp);
            fputs(", \"cost\": ", fp);
            json_num(fp, f.cost[s]);
            fputs(", \"qaly\": ", fp);
            json_num(fp, f.qaly[s]);
            fputs(", \"delta_cost\": ", fp);
            json_est(fp, f.dc[k], f.dc_se[k]);
            fputs(", \"delta_qaly\": ", fp);
            json_est(fp, f.dq[k], f.dq_se[k]);
            fputs(", \"icer\": ", fp);
            json_num(fp, k && f.dq[k] != 0 ? f.dc[k] / f.dq[k] : NAN);
            fputs("}", fp);
        }
    }
    fputs("\n  ],\n  \"variance_partition\": {\"cost\": {", fp);
    for (int s = 0; s < S; s++) {
        fputs(s ? ", " : "", fp);
        json_str(fp, smp->strategy[s]);
        fputs(": ", fp);
        json_part(fp, &a->var_cost[s]);
    }
    fputs("},\n    \"qaly\": {", fp);
    for (int s = 0; s < S; s++) {
        fputs(s ? ", " : "", fp);
        json_str(fp, smp->strategy[s]);
        fputs(": ", fp);
        json_part(fp, &a->var_qaly[s]);
    }
    fputs("}}\n}\n", fp);
    free(tmp);
}

psim_status psim_psa_print(const char *scenario_name, const psim_psa_sample *smp, const psim_psa_analysis *a,
                           psim_psa_format fmt, FILE *fp, psim_error *err)
{
    return psim_psa_print_width(scenario_name, smp, a, fmt, 0, fp, err);
}

psim_status psim_psa_print_width(const char *scenario_name, const psim_psa_sample *smp, const psim_psa_analysis *a,
                                 psim_psa_format fmt, int width, FILE *fp, psim_error *err)
{
    switch (fmt) {
    case PSIM_PSA_TABLE: print_table(scenario_name, smp, a, width, fp); break;
    case PSIM_PSA_CSV: print_csv(smp, a, fp); break;
    case PSIM_PSA_CSV_LONG: print_csv_long(scenario_name, smp, a, fp); break;
    case PSIM_PSA_JSON: print_json(scenario_name, smp, a, fp); break;
    case PSIM_PSA_SAMPLES: print_samples(smp, fp); break;
    }
    if (fflush(fp) != 0 || ferror(fp))
        return psim_error_set(err, PSIM_ERR_IO, NULL, 0, 0, "cannot write the PSA report");
    return PSIM_OK;
}
