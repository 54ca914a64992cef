/*
 * Printing a psim_report: an aligned text table, CSV and JSON.
 *
 * JSON (a contract; more keys may be added, none renamed):
 *   { "scenario": str, "seed": int, "patients": int, "horizon_days": int,
 *     "reference": str, "currency": str, "wtp": [num], "frontier": [str],
 *     "strategies": [ {
 *        "name": str, "treatment": str, "patients": int, "eligible": int (count),
 *        "treated": int, "first_response": num,
 *        "persistence": {"given_response": num, "given_no_response": num},
 *        "observed_response": {"<day>": num, ...}, "mean_vas": {"<day>": num, ...},
 *        "mean_vas_treated": {"<day>": num, ...},
 *        "cost": {"mean": num, "se": num}, "qaly": {"mean": num, "se": num},
 *        "sessions": num, "units": num,
 *        "adverse_events": {"<kind>": events per patient, ...},
 *        "nmb": {"<wtp>": num, ...},
 *        "incremental": {"cost": num, "cost_se": num, "qaly": num, "qaly_se": num,
 *                        "icer": num, "nmb": {"<wtp>": num, ...}, "nmb_se": {"<wtp>": num, ...}},
 *        "dominated": null | "strong" | "extended", "on_frontier": bool,
 *        "sequential": {"status": "compared" | "first_on_frontier" | "dominated_strong" |
 *                                 "dominated_extended" | "not_compared",
 *                       "previous": str | null, "cost": num, "cost_se": num,
 *                       "qaly": num, "qaly_se": num, "icer": num} } ] }
 * "incremental" is against the reference strategy; "sequential" is against
 * the previous strategy on the efficient frontier (MODEL.md section 6), in
 * the currency, QALYs and currency per QALY, paired differences this strategy
 * minus "previous" with their Monte Carlo SEs beside them; all null unless
 * status is "compared" (SEs null too for files written before painsim stored
 * them).
 * Days are psim_report_key_days (0, 21, 30, 56, 60, 90, 120, 180, 365 and the
 * last day, those beyond the horizon left out) and the scenario's
 * output.report_days, ascending; WTP keys are the shortest
 * round-trip text of the value ("250000").  Numbers are printed with the
 * fewest digits that read back to the same double; NaN and infinities are null.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output/textout.h"
#include "painsim/report.h"

/* ---- numbers ---------------------------------------------------------- */

/* Shortest text that reads back to v (v finite); whole numbers below 1e15
 * without an exponent ("250000", not "2.5e+05"). */
static void fmt_shortest(char *buf, size_t size, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, size, "%.0f", v);
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, size, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

int psim_report_key_days(int horizon_days, int *days)
{
    static const int base[] = {0, 21, 30, 56, 60, 90, 120, 180, 365};
    int n = 0;
    for (size_t k = 0; k < sizeof base / sizeof base[0]; k++)
        if (base[k] < horizon_days)
            days[n++] = base[k];
    if (horizon_days >= 1 && (n == 0 || days[n - 1] != horizon_days - 1))
        days[n++] = horizon_days - 1;
    return n;
}

/* The days of the CSV and JSON output: psim_report_key_days and the
 * scenario's output.report_days, ascending, each once (room for 32). */
static int report_days(const psim_report *rep, int *days)
{
    int n = psim_report_key_days(rep->horizon_days, days);
    for (int k = 0; k < rep->n_report_days; k++) {
        int d = rep->report_days[k], i = 0;
        while (i < n && days[i] < d)
            i++;
        if (i < n && days[i] == d)
            continue;
        memmove(days + i + 1, days + i, (size_t)(n - i) * sizeof *days);
        days[i] = d;
        n++;
    }
    return n;
}

/* The WTP indices the table shows (at most 3). */
static int table_wtp(const psim_report *rep, int *idx)
{
    const int W = rep->n_wtp;
    if (W <= 3) {
        for (int w = 0; w < W; w++)
            idx[w] = w;
        return W;
    }
    int first = 0;
    while (first < W - 1 && !(rep->wtp[first] > 0.0))
        first++;
    int n = 0;
    idx[n++] = first;
    int mid = first + (W - 1 - first) / 2;
    if (mid != first && mid != W - 1)
        idx[n++] = mid;
    if (W - 1 != first)
        idx[n++] = W - 1;
    return n;
}

static void fmt_wtp(char *buf, size_t size, double v)
{
    if (isfinite(v))
        fmt_shortest(buf, size, v);
    else
        snprintf(buf, size, "%g", v);
}

/* ---- the table -------------------------------------------------------- */

#define CELL_MAX 96
#define LABEL_MAX 160

typedef struct tbl {
    int S, n, cap;
    char (*labels)[LABEL_MAX];
    char (*cells)[CELL_MAX]; /* n x S */
} tbl;

/* A new row: its S cells, all empty; NULL when out of memory. */
static char (*tbl_row(tbl *t, const char *label))[CELL_MAX]
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 64;
        void *l = realloc(t->labels, (size_t)cap * sizeof *t->labels);
        if (!l)
            return NULL;
        t->labels = l;
        void *c = realloc(t->cells, (size_t)cap * (size_t)t->S * sizeof *t->cells);
        if (!c)
            return NULL;
        t->cells = c;
        t->cap = cap;
    }
    snprintf(t->labels[t->n], LABEL_MAX, "%s", label);
    char(*row)[CELL_MAX] = t->cells + (size_t)t->n * (size_t)t->S;
    for (int s = 0; s < t->S; s++)
        row[s][0] = '\0';
    t->n++;
    return row;
}

static void cell_est(char *buf, double v, double se, int digits)
{
    if (isnan(v))
        snprintf(buf, CELL_MAX, "-");
    else if (isnan(se))
        snprintf(buf, CELL_MAX, "%.*f", digits, v);
    else
        snprintf(buf, CELL_MAX, "%.*f (%.*f)", digits, v, digits, se);
}

static double ae_total(const psim_report *rep, int s, int per_session)
{
    double v = 0.0;
    for (int q = 0; q < rep->n_ae_kinds; q++)
        v += per_session ? rep->strategies[s].ae_per_session[q] : rep->strategies[s].ae_per_patient[q];
    return v;
}

/* The section after the table: one line per frontier strategy with its
 * comparison against the previous one, then the dominated strategies. */
static void print_sequential(const psim_report *rep, int width, FILE *fp)
{
    const char *cur = rep->currency;
    char per_qaly[32];
    snprintf(per_qaly, sizeof per_qaly, "%s/QALY", cur);
    enum { DC, DCSE, DQ, DQSE, ICER, NF };
    char num[PSIM_MAX_STRATEGIES][NF][64];
    int wname = 0, wprev = 0, w[NF] = {0};
    for (int k = 0; k < rep->n_frontier && k < PSIM_MAX_STRATEGIES; k++) {
        const psim_report_strategy *rs = &rep->strategies[rep->frontier[k]];
        int l = (int)strlen(rs->name);
        wname = l > wname ? l : wname;
        if (rs->seq_prev < 0)
            continue;
        l = (int)strlen(rep->strategies[rs->seq_prev].name);
        wprev = l > wprev ? l : wprev;
        const double v[NF] = {rs->seq_delta_cost.mean, rs->seq_delta_cost.se, rs->seq_delta_qaly.mean,
                              rs->seq_delta_qaly.se, rs->seq_icer};
        const int digits[NF] = {0, 0, 4, 4, 0};
        const char *unit[NF] = {cur, cur, "QALY", "QALY", per_qaly};
        for (int f = 0; f < NF; f++) {
            if (isnan(v[f]))
                snprintf(num[k][f], sizeof num[k][f], "n/a");
            else
                snprintf(num[k][f], sizeof num[k][f], "%.*f %s", digits[f], v[f], unit[f]);
            l = (int)strlen(num[k][f]);
            w[f] = l > w[f] ? l : w[f];
        }
    }
    fputc('\n', fp);
    psim_text_wrapped(fp,
                      "Efficient frontier (sequential ICERs): each strategy against the previous one on the frontier, "
                      "paired differences, estimate (SE)",
                      width);
    if (rep->n_frontier == 0)
        fputs("  none\n", fp);
    for (int k = 0; k < rep->n_frontier && k < PSIM_MAX_STRATEGIES; k++) {
        const psim_report_strategy *rs = &rep->strategies[rep->frontier[k]];
        if (rs->seq_prev < 0) {
            fprintf(fp, "  %-*s  %s\n", wname, rs->name,
                    k == 0 ? "first on the frontier (nothing cheaper to compare with)" : "not compared");
            continue;
        }
        int full = 2 + wname + 5 + wprev + 8 + w[DC] + 5 + w[DCSE] + 9 + w[DQ] + 5 + w[DQSE] + 8 + w[ICER];
        if (width > 0 && full > width) /* a line for the pair, then one per figure */
            fprintf(fp, "  %s vs %s\n      dCost %s (SE %s)\n      dQALY %s (SE %s)\n      ICER %s\n", rs->name,
                    rep->strategies[rs->seq_prev].name, num[k][DC], num[k][DCSE], num[k][DQ], num[k][DQSE],
                    num[k][ICER]);
        else
            fprintf(fp, "  %-*s  vs %-*s  dCost %*s (SE %*s)  dQALY %*s (SE %*s)  ICER %*s\n", wname, rs->name,
                    wprev, rep->strategies[rs->seq_prev].name, w[DC], num[k][DC], w[DCSE], num[k][DCSE], w[DQ],
                    num[k][DQ], w[DQSE], num[k][DQSE], w[ICER], num[k][ICER]);
    }
    char line[PSIM_MAX_STRATEGIES * (PSIM_NAME_MAX + 16) + 64];
    size_t o = (size_t)snprintf(line, sizeof line, "  dominated, not on the frontier:");
    int nd = 0;
    for (int s = 0; s < rep->n_strategies && o < sizeof line; s++) {
        const psim_report_strategy *rs = &rep->strategies[s];
        const char *how = rs->seq_status == PSIM_SEQ_DOMINATED_STRONG     ? "strongly"
                          : rs->seq_status == PSIM_SEQ_DOMINATED_EXTENDED ? "extendedly"
                          : rs->seq_status == PSIM_SEQ_NOT_COMPARED && !rs->on_frontier ? "no estimate"
                                                                                        : NULL;
        if (!how)
            continue;
        o += (size_t)snprintf(line + o, sizeof line - o, "%s %s (%s)", nd++ ? "," : "", rs->name, how);
    }
    if (!nd && o < sizeof line)
        snprintf(line + o, sizeof line - o, " none");
    psim_text_wrapped(fp, line, width);
}

#define ROW(label)                                                                                           \
    do {                                                                                                     \
        row = tbl_row(&t, label);                                                                            \
        if (!row)                                                                                            \
            goto nomem;                                                                                      \
    } while (0)

static psim_status print_table(const psim_report *rep, int width, FILE *fp, psim_error *err)
{
    const int S = rep->n_strategies, H = rep->horizon_days;
    const char *cur = rep->currency;
    tbl t = {.S = S};
    char(*row)[CELL_MAX] = NULL;
    char label[LABEL_MAX];

    ROW("strategy");
    for (int s = 0; s < S; s++)
        snprintf(row[s], CELL_MAX, "%s", rep->strategies[s].name);
    ROW("treatment");
    for (int s = 0; s < S; s++)
        snprintf(row[s], CELL_MAX, "%s", rep->strategies[s].treatment);
    ROW("patients (n)");
    for (int s = 0; s < S; s++)
        snprintf(row[s], CELL_MAX, "%lld", (long long)rep->strategies[s].patients);
    ROW("eligible for injections (%)");
    for (int s = 0; s < S; s++) {
        const psim_report_strategy *rs = &rep->strategies[s];
        double p = rs->patients > 0 ? (double)rs->eligible / (double)rs->patients : NAN;
        double se = rs->patients > 0 ? sqrt(p * (1.0 - p) / (double)rs->patients) : NAN;
        cell_est(row[s], 100.0 * p, 100.0 * se, 1);
    }
    ROW("treated with own treatment (n)");
    for (int s = 0; s < S; s++)
        snprintf(row[s], CELL_MAX, "%lld", (long long)rep->strategies[s].treated);
    ROW("first-session response, latent (%)");
    for (int s = 0; s < S; s++)
        cell_est(row[s], 100.0 * rep->strategies[s].first_response.mean,
                 100.0 * rep->strategies[s].first_response.se, 1);
    ROW("persistence: responds at every later session | R_1 = 1 (%)");
    for (int s = 0; s < S; s++)
        cell_est(row[s], 100.0 * rep->strategies[s].persistence_given_response.mean,
                 100.0 * rep->strategies[s].persistence_given_response.se, 1);
    ROW("late response: responds at a later session | R_1 = 0 (%)");
    for (int s = 0; s < S; s++)
        cell_est(row[s], 100.0 * rep->strategies[s].persistence_given_no_response.mean,
                 100.0 * rep->strategies[s].persistence_given_no_response.se, 1);
    static const int resp_days[] = {21, 56};
    static const char *const resp_labels[] = {"observed response, 3 wk (day 21) (%)",
                                              "observed response, 8 wk (day 56) (%)"};
    for (int d = 0; d < 2; d++) {
        if (resp_days[d] >= H)
            continue;
        ROW(resp_labels[d]);
        for (int s = 0; s < S; s++)
            cell_est(row[s], 100.0 * rep->strategies[s].observed_response[resp_days[d]],
                     100.0 * rep->strategies[s].observed_response_se[resp_days[d]], 1);
    }
    static const double months[] = {0, 1, 3, 6, 14};
    int prev_day = -1;
    for (int k = 0; k < 5; k++) {
        int day = (int)lround(months[k] * 30.44);
        int last = day >= H - 1;
        day = last ? H - 1 : day;
        if (day == prev_day)
            continue;
        prev_day = day;
        /* a horizon shorter than the month names its last day as such */
        if (last && day != (int)lround(months[k] * 30.44))
            snprintf(label, sizeof label, "mean VAS, last day (day %d) (cm)", day);
        else
            snprintf(label, sizeof label, "mean VAS, %g mo (day %d) (cm)", months[k], day);
        ROW(label);
        for (int s = 0; s < S; s++)
            cell_est(row[s], rep->strategies[s].mean_vas[day], rep->strategies[s].mean_vas_se[day], 2);
    }
    /* the scenario's output.report_days: the published time points */
    for (int k = 0; k < rep->n_report_days; k++) {
        int day = rep->report_days[k];
        snprintf(label, sizeof label, "mean VAS, day %d (cm)", day);
        ROW(label);
        for (int s = 0; s < S; s++)
            cell_est(row[s], rep->strategies[s].mean_vas[day], rep->strategies[s].mean_vas_se[day], 2);
        snprintf(label, sizeof label, "observed response, day %d (%%)", day);
        ROW(label);
        for (int s = 0; s < S; s++)
            cell_est(row[s], 100.0 * rep->strategies[s].observed_response[day],
                     100.0 * rep->strategies[s].observed_response_se[day], 1);
    }
    ROW("sessions per patient (n)");
    for (int s = 0; s < S; s++)
        cell_est(row[s], rep->strategies[s].sessions.mean, rep->strategies[s].sessions.se, 2);
    ROW("dose per patient (U)");
    for (int s = 0; s < S; s++)
        cell_est(row[s], rep->strategies[s].units.mean, rep->strategies[s].units.se, 0);
    ROW("adverse events per patient, all (n)");
    for (int s = 0; s < S; s++)
        cell_est(row[s], ae_total(rep, s, 0), NAN, 3);
    for (int q = 0; q < rep->n_ae_kinds; q++) {
        snprintf(label, sizeof label, "  %s per patient (n)", rep->ae_kinds[q]);
        ROW(label);
        for (int s = 0; s < S; s++)
            cell_est(row[s], rep->strategies[s].ae_per_patient[q], NAN, 3);
    }
    ROW("adverse events per session, all (n)");
    for (int s = 0; s < S; s++)
        cell_est(row[s], ae_total(rep, s, 1), NAN, 3);

    snprintf(label, sizeof label, "cost per patient, discounted (%s)", cur);
    ROW(label);
    for (int s = 0; s < S; s++)
        cell_est(row[s], rep->strategies[s].cost.mean, rep->strategies[s].cost.se, 0);
    ROW("QALYs per patient, discounted (QALY)");
    for (int s = 0; s < S; s++)
        cell_est(row[s], rep->strategies[s].qaly.mean, rep->strategies[s].qaly.se, 4);
    snprintf(label, sizeof label, "incremental cost vs reference (%s)", cur);
    ROW(label);
    for (int s = 0; s < S; s++)
        cell_est(row[s], rep->strategies[s].delta_cost.mean, rep->strategies[s].delta_cost.se, 0);
    ROW("incremental QALYs vs reference (QALY)");
    for (int s = 0; s < S; s++)
        cell_est(row[s], rep->strategies[s].delta_qaly.mean, rep->strategies[s].delta_qaly.se, 4);
    snprintf(label, sizeof label, "ICER vs reference (%s/QALY)", cur);
    ROW(label);
    for (int s = 0; s < S; s++) {
        const psim_report_strategy *rs = &rep->strategies[s];
        if (s == rep->reference_index)
            snprintf(row[s], CELL_MAX, "reference");
        else if (rs->dominated == PSIM_DOMINANCE_STRONG)
            snprintf(row[s], CELL_MAX, "dominated (strong)");
        else if (rs->dominated == PSIM_DOMINANCE_EXTENDED)
            snprintf(row[s], CELL_MAX, "dominated (extended)");
        else if (rs->delta_cost.mean <= 0.0 && rs->delta_qaly.mean > 0.0)
            snprintf(row[s], CELL_MAX, "dominant");
        else
            cell_est(row[s], rs->icer, NAN, 0);
    }
    int widx[3];
    int nw = table_wtp(rep, widx);
    for (int k = 0; k < nw; k++) {
        char lam[48];
        fmt_wtp(lam, sizeof lam, rep->wtp[widx[k]]);
        snprintf(label, sizeof label, "NMB at %s %s/QALY (%s)", lam, cur, cur);
        ROW(label);
        for (int s = 0; s < S; s++)
            cell_est(row[s], rep->strategies[s].nmb[widx[k]], rep->strategies[s].nmb_se[widx[k]], 0);
    }
    for (int k = 0; k < nw; k++) {
        char lam[48];
        fmt_wtp(lam, sizeof lam, rep->wtp[widx[k]]);
        snprintf(label, sizeof label, "incremental NMB at %s %s/QALY (%s)", lam, cur, cur);
        ROW(label);
        for (int s = 0; s < S; s++)
            cell_est(row[s], rep->strategies[s].inmb[widx[k]], rep->strategies[s].inmb_se[widx[k]], 0);
    }

    /* widths: each column as wide as its widest cell (the strategy name
     * included) plus two spaces, at least 12 */
    int lw = 0;
    int *cw = calloc((size_t)S, sizeof *cw);
    if (!cw)
        goto nomem;
    for (int s = 0; s < S; s++)
        cw[s] = 10;
    for (int r = 0; r < t.n; r++) {
        int l = (int)strlen(t.labels[r]);
        lw = l > lw ? l : lw;
        for (int s = 0; s < S; s++) {
            int c = (int)strlen(t.cells[(size_t)r * (size_t)S + (size_t)s]);
            cw[s] = c > cw[s] ? c : cw[s];
        }
    }
    lw += 2;
    for (int s = 0; s < S; s++)
        cw[s] += 2;

    char line[512];
    snprintf(line, sizeof line, "scenario %s: %lld patients, %d days, seed %llu; reference strategy %s", rep->scenario,
             (long long)rep->patients, H, (unsigned long long)rep->seed, rep->reference);
    psim_text_wrapped(fp, line, width);
    snprintf(line, sizeof line,
             "figures: estimate (Monte Carlo standard error); response over the treated, VAS, counts, "
             "costs and QALYs over all patients; costs in %s",
             cur);
    psim_text_wrapped(fp, line, width);
    if (rep->n_wtp > nw) {
        snprintf(line, sizeof line, "NMB shown at %d of the %d WTP values (all of them: painsim summary --format csv or json)",
                 nw, rep->n_wtp);
        psim_text_wrapped(fp, line, width);
    }
    /* panels: as many strategies beside the labels as fit the width (at least one) */
    for (int s0 = 0; s0 < S;) {
        int s1 = s0 + 1, used = lw + cw[s0];
        while (s1 < S && (width <= 0 || used + cw[s1] <= width))
            used += cw[s1++];
        fputc('\n', fp);
        if (s0 > 0 || s1 < S)
            fprintf(fp, "strategies %d-%d of %d (split to fit %d columns; --wide: one table)\n", s0 + 1, s1, S,
                    width);
        /* when even the labels and one column do not fit, a long label gets a
         * line of its own above its figures */
        int lp = lw;
        if (width > 0 && used > width)
            lp = width - (used - lw) > 2 ? width - (used - lw) : 2;
        for (int r = 0; r < t.n; r++) {
            if ((int)strlen(t.labels[r]) + 2 > lp) {
                fprintf(fp, "%s\n%-*s", t.labels[r], lp, "");
            } else {
                fprintf(fp, "%-*s", lp, t.labels[r]);
            }
            for (int s = s0; s < s1; s++)
                fprintf(fp, "%*s", cw[s], t.cells[(size_t)r * (size_t)S + (size_t)s]);
            fputc('\n', fp);
        }
        s0 = s1;
    }
    {
        char fl[PSIM_MAX_STRATEGIES * (PSIM_NAME_MAX + 4) + 64];
        size_t o = (size_t)snprintf(fl, sizeof fl, "efficient frontier (increasing cost):%s",
                                    rep->n_frontier == 0 ? " none" : "");
        for (int k = 0; k < rep->n_frontier && o < sizeof fl; k++)
            o += (size_t)snprintf(fl + o, sizeof fl - o, "%s%s", k ? " -> " : " ",
                                  rep->strategies[rep->frontier[k]].name);
        fputc('\n', fp);
        psim_text_wrapped(fp, fl, width);
    }
    print_sequential(rep, width, fp);
    free(cw);
    free(t.labels);
    free(t.cells);
    return PSIM_OK;
nomem:
    free(t.labels);
    free(t.cells);
    return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory printing the table");
}

/* ---- CSV -------------------------------------------------------------- */

static void csv_str(FILE *fp, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

static void csv_num(FILE *fp, double v)
{
    char buf[40];
    fputc(',', fp);
    if (isfinite(v)) {
        fmt_shortest(buf, sizeof buf, v);
        fputs(buf, fp);
    }
}

/* Currency as it goes into a column name: letters, digits and '_' only. */
static void sanitize(char *out, size_t size, const char *in)
{
    size_t k = 0;
    for (; in[k] && k + 1 < size; k++) {
        char c = in[k];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        out[k] = ok ? c : '_';
    }
    out[k] = '\0';
}

static void print_csv(const psim_report *rep, FILE *fp)
{
    const int S = rep->n_strategies;
    int days[32];
    const int nd = report_days(rep, days);
    char cur[32];
    sanitize(cur, sizeof cur, rep->currency);

    fputs("strategy,treatment,patients_n,eligible_n,treated_n,with_session_n,first_responders_n,"
          "antibody_positive_n,first_response_fraction,first_response_se_fraction,"
          "persistence_given_response_fraction,persistence_given_response_se_fraction,"
          "persistence_given_no_response_fraction,persistence_given_no_response_se_fraction",
          fp);
    for (int d = 0; d < nd; d++)
        fprintf(fp, ",observed_response_day%d_fraction,observed_response_day%d_se_fraction", days[d], days[d]);
    for (int d = 0; d < nd; d++)
        fprintf(fp, ",mean_vas_day%d_cm,mean_vas_day%d_se_cm", days[d], days[d]);
    for (int d = 0; d < nd; d++)
        fprintf(fp, ",mean_vas_treated_day%d_cm,mean_vas_treated_day%d_se_cm", days[d], days[d]);
    fputs(",sessions_per_patient_n,sessions_per_patient_se_n,dose_per_patient_U,dose_per_patient_se_U", fp);
    for (int q = 0; q < rep->n_ae_kinds; q++) {
        char k[PSIM_NAME_MAX];
        sanitize(k, sizeof k, rep->ae_kinds[q]);
        fprintf(fp, ",ae_%s_per_patient_n,ae_%s_per_session_n", k, k);
    }
    fprintf(fp,
            ",cost_%s,cost_se_%s,qaly,qaly_se,delta_cost_%s,delta_cost_se_%s,delta_qaly,delta_qaly_se,"
            "icer_%s_per_QALY,dominated,on_frontier",
            cur, cur, cur, cur, cur);
    for (int w = 0; w < rep->n_wtp; w++) {
        char lam[48];
        fmt_wtp(lam, sizeof lam, rep->wtp[w]);
        fprintf(fp, ",nmb_at_%s_%s,nmb_se_at_%s_%s", lam, cur, lam, cur);
    }
    for (int w = 0; w < rep->n_wtp; w++) {
        char lam[48];
        fmt_wtp(lam, sizeof lam, rep->wtp[w]);
        fprintf(fp, ",incremental_nmb_at_%s_%s,incremental_nmb_se_at_%s_%s", lam, cur, lam, cur);
    }
    fprintf(fp,
            ",sequential_status,sequential_previous,sequential_delta_cost_%s,sequential_delta_cost_se_%s,"
            "sequential_delta_qaly,sequential_delta_qaly_se,sequential_icer_%s_per_QALY",
            cur, cur, cur);
    fputc('\n', fp);

    for (int s = 0; s < S; s++) {
        const psim_report_strategy *rs = &rep->strategies[s];
        csv_str(fp, rs->name);
        fputc(',', fp);
        csv_str(fp, rs->treatment);
        fprintf(fp, ",%lld,%lld,%lld,%lld,%lld,%lld", (long long)rs->patients, (long long)rs->eligible,
                (long long)rs->treated, (long long)rs->with_session, (long long)rs->first_responders,
                (long long)rs->antibody);
        csv_num(fp, rs->first_response.mean);
        csv_num(fp, rs->first_response.se);
        csv_num(fp, rs->persistence_given_response.mean);
        csv_num(fp, rs->persistence_given_response.se);
        csv_num(fp, rs->persistence_given_no_response.mean);
        csv_num(fp, rs->persistence_given_no_response.se);
        for (int d = 0; d < nd; d++) {
            csv_num(fp, rs->observed_response[days[d]]);
            csv_num(fp, rs->observed_response_se[days[d]]);
        }
        for (int d = 0; d < nd; d++) {
            csv_num(fp, rs->mean_vas[days[d]]);
            csv_num(fp, rs->mean_vas_se[days[d]]);
        }
        for (int d = 0; d < nd; d++) {
            csv_num(fp, rs->mean_vas_treated[days[d]]);
            csv_num(fp, rs->mean_vas_treated_se[days[d]]);
        }
        csv_num(fp, rs->sessions.mean);
        csv_num(fp, rs->sessions.se);
        csv_num(fp, rs->units.mean);
        csv_num(fp, rs->units.se);
        for (int q = 0; q < rep->n_ae_kinds; q++) {
            csv_num(fp, rs->ae_per_patient[q]);
            csv_num(fp, rs->ae_per_session[q]);
        }
        csv_num(fp, rs->cost.mean);
        csv_num(fp, rs->cost.se);
        csv_num(fp, rs->qaly.mean);
        csv_num(fp, rs->qaly.se);
        csv_num(fp, rs->delta_cost.mean);
        csv_num(fp, rs->delta_cost.se);
        csv_num(fp, rs->delta_qaly.mean);
        csv_num(fp, rs->delta_qaly.se);
        csv_num(fp, rs->icer);
        fprintf(fp, ",%s,%d", psim_dominance_name(rs->dominated), rs->on_frontier ? 1 : 0);
        for (int w = 0; w < rep->n_wtp; w++) {
            csv_num(fp, rs->nmb[w]);
            csv_num(fp, rs->nmb_se[w]);
        }
        for (int w = 0; w < rep->n_wtp; w++) {
            csv_num(fp, rs->inmb[w]);
            csv_num(fp, rs->inmb_se[w]);
        }
        fprintf(fp, ",%s,", psim_seq_status_name(rs->seq_status));
        if (rs->seq_prev >= 0)
            csv_str(fp, rep->strategies[rs->seq_prev].name);
        csv_num(fp, rs->seq_delta_cost.mean);
        csv_num(fp, rs->seq_delta_cost.se);
        csv_num(fp, rs->seq_delta_qaly.mean);
        csv_num(fp, rs->seq_delta_qaly.se);
        csv_num(fp, rs->seq_icer);
        fputc('\n', fp);
    }
}

/* ---- JSON ------------------------------------------------------------- */

static void json_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\b': fputs("\\b", fp); break;
        case '\f': fputs("\\f", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\t': fputs("\\t", fp); break;
        default:
            if (*p < 0x20)
                fprintf(fp, "\\u%04x", (unsigned)*p);
            else
                fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

static void json_num(FILE *fp, double v)
{
    char buf[40];
    if (!isfinite(v)) {
        fputs("null", fp);
        return;
    }
    fmt_shortest(buf, sizeof buf, v);
    fputs(buf, fp);
}

static void json_key(FILE *fp, const char *indent, const char *key, int first)
{
    fputs(first ? "" : ",", fp);
    fputc('\n', fp);
    fputs(indent, fp);
    json_str(fp, key);
    fputs(": ", fp);
}

/* {"<day>": v[day], ...} */
static void json_days(FILE *fp, const double *v, const int *days, int nd)
{
    fputc('{', fp);
    for (int d = 0; d < nd; d++) {
        fprintf(fp, "%s\"%d\": ", d ? ", " : "", days[d]);
        json_num(fp, v[days[d]]);
    }
    fputc('}', fp);
}

/* {"<wtp>": v[w], ...} */
static void json_wtp(FILE *fp, const psim_report *rep, const double *v)
{
    fputc('{', fp);
    for (int w = 0; w < rep->n_wtp; w++) {
        char lam[48];
        fmt_wtp(lam, sizeof lam, rep->wtp[w]);
        fputs(w ? ", " : "", fp);
        json_str(fp, lam);
        fputs(": ", fp);
        json_num(fp, v[w]);
    }
    fputc('}', fp);
}

static void json_est(FILE *fp, psim_estimate e)
{
    fputs("{\"mean\": ", fp);
    json_num(fp, e.mean);
    fputs(", \"se\": ", fp);
    json_num(fp, e.se);
    fputc('}', fp);
}

static void print_json(const psim_report *rep, FILE *fp)
{
    int days[32];
    const int nd = report_days(rep, days);
    const char *in1 = "  ", *in3 = "      ";
    fputc('{', fp);
    json_key(fp, in1, "scenario", 1);
    json_str(fp, rep->scenario);
    json_key(fp, in1, "seed", 0);
    fprintf(fp, "%llu", (unsigned long long)rep->seed);
    json_key(fp, in1, "patients", 0);
    fprintf(fp, "%lld", (long long)rep->patients);
    json_key(fp, in1, "horizon_days", 0);
    fprintf(fp, "%d", rep->horizon_days);
    json_key(fp, in1, "reference", 0);
    json_str(fp, rep->reference);
    json_key(fp, in1, "currency", 0);
    json_str(fp, rep->currency);
    json_key(fp, in1, "wtp", 0);
    fputc('[', fp);
    for (int w = 0; w < rep->n_wtp; w++) {
        fputs(w ? ", " : "", fp);
        json_num(fp, rep->wtp[w]);
    }
    fputc(']', fp);
    json_key(fp, in1, "frontier", 0);
    fputc('[', fp);
    for (int k = 0; k < rep->n_frontier; k++) {
        fputs(k ? ", " : "", fp);
        json_str(fp, rep->strategies[rep->frontier[k]].name);
    }
    fputc(']', fp);
    json_key(fp, in1, "strategies", 0);
    fputc('[', fp);
    for (int s = 0; s < rep->n_strategies; s++) {
        const psim_report_strategy *rs = &rep->strategies[s];
        fputs(s ? ", {" : "{", fp);
        json_key(fp, in3, "name", 1);
        json_str(fp, rs->name);
        json_key(fp, in3, "treatment", 0);
        json_str(fp, rs->treatment);
        json_key(fp, in3, "patients", 0);
        fprintf(fp, "%lld", (long long)rs->patients);
        json_key(fp, in3, "eligible", 0);
        fprintf(fp, "%lld", (long long)rs->eligible);
        json_key(fp, in3, "treated", 0);
        fprintf(fp, "%lld", (long long)rs->treated);
        json_key(fp, in3, "first_response", 0);
        json_num(fp, rs->first_response.mean);
        json_key(fp, in3, "persistence", 0);
        fputs("{\"given_response\": ", fp);
        json_num(fp, rs->persistence_given_response.mean);
        fputs(", \"given_no_response\": ", fp);
        json_num(fp, rs->persistence_given_no_response.mean);
        fputc('}', fp);
        json_key(fp, in3, "observed_response", 0);
        json_days(fp, rs->observed_response, days, nd);
        json_key(fp, in3, "mean_vas", 0);
        json_days(fp, rs->mean_vas, days, nd);
        json_key(fp, in3, "mean_vas_treated", 0);
        json_days(fp, rs->mean_vas_treated, days, nd);
        json_key(fp, in3, "cost", 0);
        json_est(fp, rs->cost);
        json_key(fp, in3, "qaly", 0);
        json_est(fp, rs->qaly);
        json_key(fp, in3, "sessions", 0);
        json_num(fp, rs->sessions.mean);
        json_key(fp, in3, "units", 0);
        json_num(fp, rs->units.mean);
        json_key(fp, in3, "adverse_events", 0);
        fputc('{', fp);
        for (int q = 0; q < rep->n_ae_kinds; q++) {
            fputs(q ? ", " : "", fp);
            json_str(fp, rep->ae_kinds[q]);
            fputs(": ", fp);
            json_num(fp, rs->ae_per_patient[q]);
        }
        fputc('}', fp);
        json_key(fp, in3, "nmb", 0);
        json_wtp(fp, rep, rs->nmb);
        json_key(fp, in3, "incremental", 0);
        fputs("{\"cost\": ", fp);
        json_num(fp, rs->delta_cost.mean);
        fputs(", \"cost_se\": ", fp);
        json_num(fp, rs->delta_cost.se);
        fputs(", \"qaly\": ", fp);
        json_num(fp, rs->delta_qaly.mean);
        fputs(", \"qaly_se\": ", fp);
        json_num(fp, rs->delta_qaly.se);
        fputs(", \"icer\": ", fp);
        json_num(fp, rs->icer);
        fputs(", \"nmb\": ", fp);
        json_wtp(fp, rep, rs->inmb);
        fputs(", \"nmb_se\": ", fp);
        json_wtp(fp, rep, rs->inmb_se);
        fputc('}', fp);
        json_key(fp, in3, "dominated", 0);
        if (rs->dominated == PSIM_DOMINANCE_NONE)
            fputs("null", fp);
        else
            json_str(fp, psim_dominance_name(rs->dominated));
        json_key(fp, in3, "on_frontier", 0);
        fputs(rs->on_frontier ? "true" : "false", fp);
        json_key(fp, in3, "sequential", 0);
        fputs("{\"status\": ", fp);
        json_str(fp, psim_seq_status_name(rs->seq_status));
        fputs(", \"previous\": ", fp);
        if (rs->seq_prev >= 0)
            json_str(fp, rep->strategies[rs->seq_prev].name);
        else
            fputs("null", fp);
        fputs(", \"cost\": ", fp);
        json_num(fp, rs->seq_delta_cost.mean);
        fputs(", \"cost_se\": ", fp);
        json_num(fp, rs->seq_delta_cost.se);
        fputs(", \"qaly\": ", fp);
        json_num(fp, rs->seq_delta_qaly.mean);
        fputs(", \"qaly_se\": ", fp);
        json_num(fp, rs->seq_delta_qaly.se);
        fputs(", \"icer\": ", fp);
        json_num(fp, rs->seq_icer);
        fputc('}', fp);
        fputs("\n    }", fp);
    }
    fputs("]\n}\n", fp);
}

/* ---- entry point ------------------------------------------------------ */

psim_status psim_report_print(const psim_report *rep, psim_report_format fmt, FILE *fp, psim_error *err)
{
    return psim_report_print_width(rep, fmt, 0, fp, err);
}

psim_status psim_report_print_width(const psim_report *rep, psim_report_format fmt, int width, FILE *fp,
                                    psim_error *err)
{
    if (!rep || !fp || rep->n_strategies < 1)
        return psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0, "psim_report_print: empty report");
    psim_status st = PSIM_OK;
    switch (fmt) {
    case PSIM_REPORT_TABLE: st = print_table(rep, width, fp, err); break;
    case PSIM_REPORT_CSV: print_csv(rep, fp); break;
    case PSIM_REPORT_JSON: print_json(rep, fp); break;
    default: return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "unknown report format %d", (int)fmt);
    }
    if (st != PSIM_OK)
        return st;
    if (fflush(fp) != 0 || ferror(fp))
        return psim_error_set(err, PSIM_ERR_IO, NULL, 0, 0, "cannot write the report: %s", strerror(errno));
    return PSIM_OK;
}
