/* The report of a finished run: derived figures, economics, dominance and
 * the efficient frontier (MODEL.md section 5). */
#include "painsim/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- pure helpers ----------------------------------------------------- */

const char *psim_dominance_name(psim_dominance d)
{
    switch (d) {
    case PSIM_DOMINANCE_STRONG: return "strong";
    case PSIM_DOMINANCE_EXTENDED: return "extended";
    default: return "none";
    }
}

const char *psim_seq_status_name(psim_seq_status st)
{
    switch (st) {
    case PSIM_SEQ_COMPARED: return "compared";
    case PSIM_SEQ_FIRST: return "first_on_frontier";
    case PSIM_SEQ_DOMINATED_STRONG: return "dominated_strong";
    case PSIM_SEQ_DOMINATED_EXTENDED: return "dominated_extended";
    default: return "not_compared";
    }
}

double psim_econ_mean_se(double sum, double sumsq, int64_t n, double *se)
{
    if (n <= 0) {
        if (se)
            *se = NAN;
        return NAN;
    }
    double mean = sum / (double)n;
    if (se) {
        if (n > 1) {
            double var = (sumsq - sum * mean) / (double)(n - 1);
            *se = var > 0.0 ? sqrt(var / (double)n) : 0.0;
        } else {
            *se = NAN;
        }
    }
    return mean;
}

double psim_econ_nmb_se(double lambda, int64_t n, double e_sum, double e_sumsq, double c_sum,
                        double c_sumsq, double ce_sum)
{
    if (n < 2)
        return NAN;
    const double dn = (double)n;
    double var_e = (e_sumsq - e_sum * e_sum / dn) / (dn - 1.0);
    double var_c = (c_sumsq - c_sum * c_sum / dn) / (dn - 1.0);
    double cov = (ce_sum - c_sum * e_sum / dn) / (dn - 1.0);
    double var = lambda * lambda * var_e + var_c - 2.0 * lambda * cov;
    return var > 0.0 ? sqrt(var / dn) : 0.0;
}

double psim_econ_icer(double dc, double de)
{
    if (isnan(dc) || isnan(de) || de == 0.0)
        return NAN;
    return dc / de;
}

static int same_point(const double *cost, const double *effect, int a, int b)
{
    return cost[a] == cost[b] && effect[a] == effect[b];
}

int psim_econ_frontier(int n, const double *cost, const double *effect, psim_dominance *dominated,
                       int *on_frontier, int *frontier)
{
    if (n <= 0)
        return 0;
    /* 1. strong dominance (pairwise) */
    for (int i = 0; i < n; i++) {
        dominated[i] = PSIM_DOMINANCE_NONE;
        if (on_frontier)
            on_frontier[i] = 0;
    }
    for (int i = 0; i < n; i++) {
        if (isnan(cost[i]) || isnan(effect[i]))
            continue;
        for (int j = 0; j < n; j++) {
            if (j == i || isnan(cost[j]) || isnan(effect[j]))
                continue;
            if (cost[j] <= cost[i] && effect[j] >= effect[i] && (cost[j] < cost[i] || effect[j] > effect[i])) {
                dominated[i] = PSIM_DOMINANCE_STRONG;
                break;
            }
        }
    }
    /* 2. the rest, sorted by cost (then effect, then index: insertion sort is stable) */
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(cost[i]) || isnan(effect[i]) || dominated[i] != PSIM_DOMINANCE_NONE)
            continue;
        int k = m++;
        while (k > 0 && (cost[frontier[k - 1]] > cost[i] ||
                         (cost[frontier[k - 1]] == cost[i] && effect[frontier[k - 1]] > effect[i]))) {
            frontier[k] = frontier[k - 1];
            k--;
        }
        frontier[k] = i;
    }
    /* 3. identical strategies: keep the first of each group (the lowest index) */
    int w = 0;
    for (int k = 0; k < m; k++) {
        if (w > 0 && same_point(cost, effect, frontier[w - 1], frontier[k]))
            continue;
        frontier[w++] = frontier[k];
    }
    /* 4. extended dominance.  After step 1 cost and effect both increase
     * strictly along the list, so every ICER is finite and positive.  Remove
     * the first strategy whose ICER exceeds the next one's, and start again. */
    for (;;) {
        int removed = 0;
        for (int k = 1; k + 1 < w; k++) {
            int a = frontier[k - 1], b = frontier[k], c = frontier[k + 1];
            double icer_ab = (cost[b] - cost[a]) / (effect[b] - effect[a]);
            double icer_bc = (cost[c] - cost[b]) / (effect[c] - effect[b]);
            if (icer_ab > icer_bc) {
                dominated[b] = PSIM_DOMINANCE_EXTENDED;
                memmove(frontier + k, frontier + k + 1, (size_t)(w - k - 1) * sizeof *frontier);
                w--;
                removed = 1;
                break;
            }
        }
        if (!removed)
            break;
    }
    /* 5. duplicates follow their group's first member; those on the frontier
     * are inserted right after it. */
    for (int i = 0; i < n; i++) {
        if (isnan(cost[i]) || isnan(effect[i]) || dominated[i] != PSIM_DOMINANCE_NONE)
            continue;
        int in_list = 0;
        for (int k = 0; k < w && !in_list; k++)
            in_list = frontier[k] == i;
        if (in_list)
            continue;
        int rep = -1;
        for (int j = 0; j < i && rep < 0; j++)
            if (!isnan(cost[j]) && !isnan(effect[j]) && dominated[j] != PSIM_DOMINANCE_STRONG &&
                same_point(cost, effect, i, j))
                rep = j;
        if (rep < 0)
            continue; /* cannot happen: i was dropped as a duplicate */
        if (dominated[rep] == PSIM_DOMINANCE_EXTENDED) {
            dominated[i] = PSIM_DOMINANCE_EXTENDED;
            continue;
        }
        /* insert after the last member of rep's group already in the list */
        int pos = -1;
        for (int k = 0; k < w; k++)
            if (same_point(cost, effect, frontier[k], i))
                pos = k;
        if (pos < 0)
            continue;
        memmove(frontier + pos + 2, frontier + pos + 1, (size_t)(w - pos - 1) * sizeof *frontier);
        frontier[pos + 1] = i;
        w++;
    }
    if (on_frontier)
        for (int k = 0; k < w; k++)
            on_frontier[frontier[k]] = 1;
    return w;
}

/* ---- building the report ---------------------------------------------- */

void psim_report_destroy(psim_report *rep)
{
    if (!rep)
        return;
    if (rep->strategies) {
        for (int s = 0; s < rep->n_strategies; s++) {
            psim_report_strategy *rs = &rep->strategies[s];
            free(rs->ae_per_patient);
            free(rs->ae_per_session);
            free(rs->mean_vas);
            free(rs->mean_vas_se);
            free(rs->mean_vas_treated);
            free(rs->mean_vas_treated_se);
            free(rs->observed_response);
            free(rs->observed_response_se);
        }
        free(rep->strategies);
    }
    free(rep->ae_kinds);
    free(rep->frontier);
    free(rep);
}

/* Internal (declared in report_h5.c too): allocate a report's arrays for S
 * strategies, K adverse-event kinds and H days. */
psim_report *psim_report_alloc_(int S, int K, int H);

psim_report *psim_report_alloc_(int S, int K, int H)
{
    psim_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        return NULL;
    rep->reference_index = -1;
    rep->strategies = calloc((size_t)(S > 0 ? S : 1), sizeof *rep->strategies);
    rep->ae_kinds = calloc((size_t)(K > 0 ? K : 1), sizeof *rep->ae_kinds);
    rep->frontier = calloc((size_t)(S > 0 ? S : 1), sizeof *rep->frontier);
    if (!rep->strategies || !rep->ae_kinds || !rep->frontier) {
        psim_report_destroy(rep);
        return NULL;
    }
    rep->n_strategies = S;
    rep->n_ae_kinds = K;
    rep->horizon_days = H;
    const size_t nk = (size_t)(K > 0 ? K : 1), nh = (size_t)(H > 0 ? H : 1);
    for (int s = 0; s < S; s++) {
        psim_report_strategy *rs = &rep->strategies[s];
        rs->seq_status = PSIM_SEQ_NOT_COMPARED;
        rs->seq_prev = -1;
        rs->seq_delta_cost.mean = rs->seq_delta_cost.se = NAN;
        rs->seq_delta_qaly.mean = rs->seq_delta_qaly.se = NAN;
        rs->seq_icer = NAN;
        rs->ae_per_patient = calloc(nk, sizeof(double));
        rs->ae_per_session = calloc(nk, sizeof(double));
        rs->mean_vas = calloc(nh, sizeof(double));
        rs->mean_vas_se = calloc(nh, sizeof(double));
        rs->mean_vas_treated = calloc(nh, sizeof(double));
        rs->mean_vas_treated_se = calloc(nh, sizeof(double));
        rs->observed_response = calloc(nh, sizeof(double));
        rs->observed_response_se = calloc(nh, sizeof(double));
        if (!rs->ae_per_patient || !rs->ae_per_session || !rs->mean_vas || !rs->mean_vas_se ||
            !rs->mean_vas_treated || !rs->mean_vas_treated_se || !rs->observed_response ||
            !rs->observed_response_se) {
            psim_report_destroy(rep);
            return NULL;
        }
    }
    return rep;
}

/* Internal: dominance, frontier and ICERs from the strategies' cost and qaly. */
void psim_report_finish_economics_(psim_report *rep);

void psim_report_finish_economics_(psim_report *rep)
{
    const int S = rep->n_strategies;
    double cost[PSIM_MAX_STRATEGIES], effect[PSIM_MAX_STRATEGIES];
    psim_dominance dom[PSIM_MAX_STRATEGIES];
    int on[PSIM_MAX_STRATEGIES];
    if (S > PSIM_MAX_STRATEGIES) /* callers ensure this; keep the arrays safe */
        return;
    for (int s = 0; s < S; s++) {
        cost[s] = rep->strategies[s].cost.mean;
        effect[s] = rep->strategies[s].qaly.mean;
    }
    rep->n_frontier = psim_econ_frontier(S, cost, effect, dom, on, rep->frontier);
    for (int s = 0; s < S; s++) {
        psim_report_strategy *rs = &rep->strategies[s];
        rs->dominated = dom[s];
        rs->on_frontier = on[s];
        rs->icer = s == rep->reference_index ? NAN : psim_econ_icer(rs->delta_cost.mean, rs->delta_qaly.mean);
    }
}

/* The sequential comparisons along rep->frontier (MODEL.md section 6).  With
 * r, from the paired per-patient sums of each frontier strategy against the
 * previous one (exact sample means and standard errors); without r (a file
 * written before these were stored), the differences of the two means, with
 * NaN standard errors. */
static void set_sequential(psim_report *rep, const psim_results *r)
{
    for (int s = 0; s < rep->n_strategies; s++) {
        psim_report_strategy *rs = &rep->strategies[s];
        rs->seq_prev = -1;
        rs->seq_delta_cost.mean = rs->seq_delta_cost.se = NAN;
        rs->seq_delta_qaly.mean = rs->seq_delta_qaly.se = NAN;
        rs->seq_icer = NAN;
        rs->seq_status = rs->dominated == PSIM_DOMINANCE_STRONG     ? PSIM_SEQ_DOMINATED_STRONG
                         : rs->dominated == PSIM_DOMINANCE_EXTENDED ? PSIM_SEQ_DOMINATED_EXTENDED
                                                                    : PSIM_SEQ_NOT_COMPARED;
    }
    for (int k = 0; k < rep->n_frontier; k++) {
        const int s = rep->frontier[k];
        psim_report_strategy *rs = &rep->strategies[s];
        if (k == 0) {
            rs->seq_status = PSIM_SEQ_FIRST;
            continue;
        }
        const int prev = rep->frontier[k - 1];
        rs->seq_status = PSIM_SEQ_COMPARED;
        rs->seq_prev = prev;
        if (r) {
            const psim_pair_sums *ps = &r->strategies[s].pair[prev];
            const int64_t n = r->strategies[s].patients;
            rs->seq_delta_cost.mean = psim_econ_mean_se(ps->dcost_sum, ps->dcost_sumsq, n, &rs->seq_delta_cost.se);
            rs->seq_delta_qaly.mean = psim_econ_mean_se(ps->dqaly_sum, ps->dqaly_sumsq, n, &rs->seq_delta_qaly.se);
        } else {
            rs->seq_delta_cost.mean = rs->cost.mean - rep->strategies[prev].cost.mean;
            rs->seq_delta_qaly.mean = rs->qaly.mean - rep->strategies[prev].qaly.mean;
        }
        rs->seq_icer = psim_econ_icer(rs->seq_delta_cost.mean, rs->seq_delta_qaly.mean);
    }
}

/* Internal (used by report_h5.c for files without the sequential datasets). */
void psim_report_sequential_from_means_(psim_report *rep);

void psim_report_sequential_from_means_(psim_report *rep)
{
    set_sequential(rep, NULL);
}

static int find_kind(const psim_report *rep, int n, const char *name)
{
    for (int q = 0; q < n; q++)
        if (strcmp(rep->ae_kinds[q], name) == 0)
            return q;
    return -1;
}

psim_status psim_report_from_results(const psim_results *r, const psim_scenario *scn, psim_report **out,
                                     psim_error *err)
{
    if (!out)
        return psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0, "psim_report_from_results: out is NULL");
    *out = NULL;
    if (!r || !scn)
        return psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0, "psim_report_from_results: no results");
    const int S = r->n_strategies, H = r->horizon_days;
    if (S < 1 || S > PSIM_MAX_STRATEGIES || H < 1 || !r->strategies)
        return psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0,
                              "psim_report_from_results: %d strategies and %d days", S, H);
    const psim_economics *eco = &scn->economics;
    if (eco->n_wtp < 0 || eco->n_wtp > PSIM_MAX_WTP)
        return psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0, "psim_report_from_results: %d WTP values",
                              eco->n_wtp);
    int K = 0;
    for (int s = 0; s < S; s++) {
        if (r->strategies[s].n_ae < 0 || r->strategies[s].n_ae > 2 * PSIM_MAX_AE)
            return psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0,
                                  "psim_report_from_results: strategy %d has %d adverse-event kinds", s,
                                  r->strategies[s].n_ae);
        K += r->strategies[s].n_ae;
    }
    psim_report *rep = psim_report_alloc_(S, K, H);
    if (!rep)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory building the report");

    /* adverse-event kinds: the union, in order of first appearance */
    int nk = 0;
    for (int s = 0; s < S; s++)
        for (int k = 0; k < r->strategies[s].n_ae; k++)
            if (find_kind(rep, nk, r->strategies[s].ae_name[k]) < 0)
                snprintf(rep->ae_kinds[nk++], PSIM_NAME_MAX, "%s", r->strategies[s].ae_name[k]);
    rep->n_ae_kinds = nk;

    snprintf(rep->scenario, sizeof rep->scenario, "%s", r->scenario);
    rep->seed = r->seed;
    rep->patients = r->patients;
    snprintf(rep->reference, sizeof rep->reference, "%s", r->reference[0] ? r->reference : scn->reference);
    snprintf(rep->currency, sizeof rep->currency, "%s", eco->currency[0] ? eco->currency : "RUB");
    rep->n_wtp = eco->n_wtp;
    rep->n_report_days = 0;
    for (int k = 0; k < scn->output.n_report_days && k < PSIM_MAX_REPORT_DAYS; k++)
        if (scn->output.report_days[k] < r->horizon_days)
            rep->report_days[rep->n_report_days++] = scn->output.report_days[k];
    for (int w = 0; w < eco->n_wtp; w++)
        rep->wtp[w] = eco->wtp[w];
    for (int s = 0; s < S; s++)
        if (strcmp(r->strategies[s].name, rep->reference) == 0)
            rep->reference_index = s;
    if (rep->reference_index < 0) {
        psim_status st = psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0,
                                        "the reference strategy '%s' is not among the results", rep->reference);
        psim_report_destroy(rep);
        return st;
    }

    for (int s = 0; s < S; s++) {
        const psim_strategy_summary *ss = &r->strategies[s];
        psim_report_strategy *rs = &rep->strategies[s];
        const int64_t n = ss->patients;
        snprintf(rs->name, sizeof rs->name, "%s", ss->name);
        snprintf(rs->treatment, sizeof rs->treatment, "%s", ss->treatment);
        rs->patients = n;
        rs->eligible = ss->eligible;
        rs->treated = ss->treated;
        rs->with_session = ss->with_session;
        rs->first_responders = ss->first_responders;
        rs->antibody = ss->antibody;
        rs->first_response.mean = psim_summary_proportion(ss->first_responders, ss->with_session, &rs->first_response.se);
        rs->persistence_given_response.mean =
            psim_summary_proportion(ss->persist_num, ss->persist_den, &rs->persistence_given_response.se);
        rs->persistence_given_no_response.mean =
            psim_summary_proportion(ss->recover_num, ss->recover_den, &rs->persistence_given_no_response.se);
        rs->sessions.mean = psim_econ_mean_se(ss->sessions_sum, ss->sessions_sumsq, n, &rs->sessions.se);
        rs->units.mean = psim_econ_mean_se(ss->units_sum, ss->units_sumsq, n, &rs->units.se);
        rs->cost.mean = psim_econ_mean_se(ss->cost_sum, ss->cost_sumsq, n, &rs->cost.se);
        rs->qaly.mean = psim_econ_mean_se(ss->qaly_sum, ss->qaly_sumsq, n, &rs->qaly.se);
        rs->delta_cost.mean = psim_econ_mean_se(ss->dcost_sum, ss->dcost_sumsq, n, &rs->delta_cost.se);
        rs->delta_qaly.mean = psim_econ_mean_se(ss->dqaly_sum, ss->dqaly_sumsq, n, &rs->delta_qaly.se);
        for (int w = 0; w < rep->n_wtp; w++) {
            const double lam = rep->wtp[w];
            rs->nmb[w] = lam * rs->qaly.mean - rs->cost.mean;
            rs->nmb_se[w] = psim_econ_nmb_se(lam, n, ss->qaly_sum, ss->qaly_sumsq, ss->cost_sum, ss->cost_sumsq,
                                             ss->cost_qaly_sum);
            rs->inmb[w] = lam * rs->delta_qaly.mean - rs->delta_cost.mean;
            rs->inmb_se[w] = psim_econ_nmb_se(lam, n, ss->dqaly_sum, ss->dqaly_sumsq, ss->dcost_sum,
                                              ss->dcost_sumsq, ss->dcost_dqaly_sum);
        }
        for (int k = 0; k < ss->n_ae; k++) {
            int q = find_kind(rep, nk, ss->ae_name[k]);
            double cnt = (double)ss->ae_count[k];
            rs->ae_per_patient[q] += n > 0 ? cnt / (double)n : NAN;
            rs->ae_per_session[q] += ss->sessions_sum > 0 ? cnt / ss->sessions_sum : (cnt > 0 ? NAN : 0.0);
        }
        if (n <= 0)
            for (int q = 0; q < nk; q++)
                rs->ae_per_patient[q] = NAN;
        for (int t = 0; t < H; t++) {
            if (ss->vas_sum && ss->vas_sumsq)
                rs->mean_vas[t] = psim_summary_mean_vas(ss, t, &rs->mean_vas_se[t]);
            else
                rs->mean_vas[t] = rs->mean_vas_se[t] = NAN;
            if (ss->vas_treated_sum && ss->vas_treated_sumsq)
                rs->mean_vas_treated[t] = psim_summary_mean_vas_treated(ss, t, &rs->mean_vas_treated_se[t]);
            else
                rs->mean_vas_treated[t] = rs->mean_vas_treated_se[t] = NAN;
            if (ss->responders)
                rs->observed_response[t] = psim_summary_observed_response(ss, t, &rs->observed_response_se[t]);
            else
                rs->observed_response[t] = rs->observed_response_se[t] = NAN;
        }
    }
    /* The reference against itself: exactly zero. */
    {
        psim_report_strategy *ref = &rep->strategies[rep->reference_index];
        ref->delta_cost.mean = ref->delta_qaly.mean = 0.0;
        ref->delta_cost.se = ref->delta_qaly.se = 0.0;
        for (int w = 0; w < rep->n_wtp; w++)
            ref->inmb[w] = ref->inmb_se[w] = 0.0;
    }
    psim_report_finish_economics_(rep);
    set_sequential(rep, r);
    *out = rep;
    return PSIM_OK;
}
