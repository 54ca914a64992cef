/*
 * painsim/report.h: the results of a finished run, ready for tables, files and
 * `painsim summary` (MODEL.md section 5).
 *
 * A psim_report is built either from the in-memory sums of a run
 * (psim_report_from_results) or from a finished HDF5 file
 * (psim_report_read_h5).  It holds, per strategy, every figure of the results
 * table with its Monte Carlo standard error, the economics against the
 * reference strategy, the dominance status and the efficient frontier, the
 * sequential comparisons along the frontier (MODEL.md section 6), and the
 * per-day arrays (mean VAS over all patients and over the treated, observed
 * response over the treated).
 *
 * Standard errors: a mean over n patients has SE = sqrt(s^2 / n) with the
 * sample variance s^2 = (sumsq - sum^2 / n) / (n - 1) (NaN when n < 2); a
 * proportion k / n has SE = sqrt(p (1 - p) / n).  Differences against the
 * reference are paired (common random numbers): their SE comes from the sums
 * of the per-patient differences, not from the two separate SEs.  The same
 * holds for the sequential comparisons between neighbours on the frontier
 * (psim_strategy_summary.pair).
 *
 * Ownership: a psim_report is created by psim_report_from_results or
 * psim_report_read_h5 and released with psim_report_destroy (accepts NULL).
 * It is plain data, read-only after creation, and may be shared by threads.
 * No function here prints or exits on its own.
 */
#ifndef PAINSIM_REPORT_H
#define PAINSIM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "painsim/error.h"
#include "painsim/run.h"
#include "painsim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Dominance status of a strategy among all strategies of the run. */
typedef enum {
    PSIM_DOMINANCE_NONE = 0,     /* not dominated */
    PSIM_DOMINANCE_STRONG = 1,   /* another costs no more and gives no fewer QALYs, one strictly */
    PSIM_DOMINANCE_EXTENDED = 2  /* a mix of two neighbours on the frontier is better (iterative ICER rule) */
} psim_dominance;

/* "none", "strong", "extended" (never NULL). */
const char *psim_dominance_name(psim_dominance d);

/* Why a strategy has, or has not, a sequential comparison. */
typedef enum {
    PSIM_SEQ_COMPARED = 0,           /* on the frontier after the first: compared with the previous one */
    PSIM_SEQ_FIRST = 1,              /* the first (cheapest) strategy on the frontier */
    PSIM_SEQ_DOMINATED_STRONG = 2,   /* strongly dominated: not on the frontier */
    PSIM_SEQ_DOMINATED_EXTENDED = 3, /* extendedly dominated: not on the frontier */
    PSIM_SEQ_NOT_COMPARED = 4        /* NaN cost or QALYs: takes no part in the frontier */
} psim_seq_status;

/* "compared", "first_on_frontier", "dominated_strong", "dominated_extended",
 * "not_compared" (never NULL); the values of the seq_status keys and datasets. */
const char *psim_seq_status_name(psim_seq_status st);

/* An estimate and its Monte Carlo standard error (NaN when not defined). */
typedef struct psim_estimate {
    double mean, se;
} psim_estimate;

typedef struct psim_report_strategy {
    char name[PSIM_NAME_MAX];
    char treatment[PSIM_NAME_MAX];
    int64_t patients;          /* patients of the cohort */
    int64_t eligible;          /* eligible for injection treatments */
    int64_t treated;           /* received the strategy's own treatment */
    int64_t with_session;      /* treated with at least one session */
    int64_t first_responders;  /* treated with R_1 = 1 */
    int64_t antibody;          /* turned antibody-positive */
    psim_estimate first_response;             /* fraction of with_session with R_1 = 1 */
    psim_estimate persistence_given_response; /* MODEL.md section 5 */
    psim_estimate persistence_given_no_response;
    psim_estimate sessions;    /* per patient, all patients */
    psim_estimate units;       /* U per patient, all patients */
    psim_estimate cost;        /* currency per patient, discounted */
    psim_estimate qaly;        /* QALY per patient, discounted */
    /* Against the reference strategy (paired; zero with SE 0 for the reference). */
    psim_estimate delta_cost;
    psim_estimate delta_qaly;
    double icer;               /* delta_cost / delta_qaly; NaN for the reference or delta_qaly == 0 */
    psim_dominance dominated;
    int on_frontier;           /* 1: on the efficient frontier */
    /* Sequential comparison (MODEL.md section 6): a frontier strategy against
     * the previous strategy on the frontier (paired differences, this one minus
     * the previous).  Only for seq_status == PSIM_SEQ_COMPARED; otherwise
     * seq_prev is -1 and the figures are NaN. */
    psim_seq_status seq_status;
    int seq_prev;                  /* index into strategies of the previous frontier strategy, or -1 */
    psim_estimate seq_delta_cost;  /* currency */
    psim_estimate seq_delta_qaly;  /* QALY */
    double seq_icer;               /* seq_delta_cost / seq_delta_qaly, currency per QALY; NaN where not defined */
    /* Per WTP value lambda of psim_report.wtp: */
    double nmb[PSIM_MAX_WTP];      /* lambda * QALY - cost, currency */
    double nmb_se[PSIM_MAX_WTP];
    double inmb[PSIM_MAX_WTP];     /* lambda * delta_qaly - delta_cost (incremental NMB), currency */
    double inmb_se[PSIM_MAX_WTP];
    /* Adverse events, index by psim_report.ae_kinds (0 where the strategy cannot have the kind). */
    double *ae_per_patient;    /* events per patient over the horizon */
    double *ae_per_session;    /* events per session given */
    /* Per day t = 0 .. horizon_days - 1 (NaN where the denominator is empty). */
    double *mean_vas, *mean_vas_se;                   /* cm, all patients */
    double *mean_vas_treated, *mean_vas_treated_se;   /* cm, the treated */
    double *observed_response, *observed_response_se; /* fraction of the treated with VAS(t) <= B/2 */
} psim_report_strategy;

typedef struct psim_report {
    char scenario[PSIM_NAME_MAX];
    uint64_t seed;
    int64_t patients;
    int horizon_days;
    char reference[PSIM_NAME_MAX];
    int reference_index;       /* into strategies */
    char currency[16];         /* unit of every cost */
    int n_wtp;
    double wtp[PSIM_MAX_WTP];  /* willingness to pay, currency per QALY */
    int n_strategies;
    psim_report_strategy *strategies;
    int n_ae_kinds;            /* union over the strategies, in order of first appearance */
    char (*ae_kinds)[PSIM_NAME_MAX];
    int n_frontier;
    int *frontier;             /* indices into strategies, in increasing cost */
    int n_report_days;         /* output.report_days of the scenario: shown beside the table's own days */
    int report_days[PSIM_MAX_REPORT_DAYS];
} psim_report;

/* Build the report of a finished run.  scn supplies the currency and the WTP
 * grid (an empty currency is reported as "RUB", MODEL.md's default).  On
 * failure *out is NULL. */
psim_status psim_report_from_results(const psim_results *r, const psim_scenario *scn, psim_report **out,
                                     psim_error *err) PSIM_MUST_CHECK;

void psim_report_destroy(psim_report *rep);

/* ---- pure economics helpers (plain arrays, no allocation) -------------- */

/* Mean of n values from their sum and sum of squares; *se (if not NULL)
 * receives its standard error (NaN when n < 2, NaN mean when n < 1). */
double psim_econ_mean_se(double sum, double sumsq, int64_t n, double *se);

/* Standard error of the mean of lambda * e_i - c_i over n patients, from the
 * sums of e, e^2, c, c^2 and c*e:
 * Var = lambda^2 Var(e) + Var(c) - 2 lambda Cov(e, c) (sample moments), SE = sqrt(Var / n). */
double psim_econ_nmb_se(double lambda, int64_t n, double e_sum, double e_sumsq, double c_sum,
                        double c_sumsq, double ce_sum);

/* dc / de; NaN when de == 0 or either is NaN. */
double psim_econ_icer(double dc, double de);

/* Dominance and the efficient frontier of n strategies with mean cost[i] and
 * effect[i] (QALYs).  Fills dominated[i] and (if not NULL) on_frontier[i],
 * writes the frontier as indices in increasing cost into frontier[] (room for
 * n) and returns its length.
 * - strongly dominated: another strategy costs no more and gives no less, one strictly;
 * - extendedly dominated: among the rest sorted by cost, a strategy whose ICER
 *   against the previous one exceeds the next one's ICER against it; removed
 *   one at a time and the rule re-applied until none is left.
 * Strategies with identical cost and effect share one status and all sit on
 * the frontier together (in index order).  A strategy with a NaN cost or
 * effect takes no part: dominated NONE, not on the frontier. */
int psim_econ_frontier(int n, const double *cost, const double *effect, psim_dominance *dominated,
                       int *on_frontier, int *frontier);

/* ---- the HDF5 file (docs/output-format.md, group /results) ------------- */

/* Write the group /results into an open file (`file` is an hid_t; HDF5 1.10
 * defines hid_t as int64_t, which keeps this header free of hdf5.h).  The
 * per-day arrays are not written here (they live in /strategies/<name>/daily). */
psim_status psim_report_write_h5(int64_t file, const psim_report *rep, psim_error *err) PSIM_MUST_CHECK;

/* Rebuild a report from a finished painsim file: the root attributes, /results
 * and /strategies/<name>/daily.  A missing, unreadable, damaged or non-painsim
 * file, or one without /results, gives PSIM_ERR_INPUT naming the path and
 * what is missing.  Turns off HDF5's automatic error printing in the calling
 * thread.  Every HDF5 call is checked, but HDF5 1.10 itself can read out of
 * bounds on some corrupted metadata (a variable-length string whose
 * global-heap entry has a damaged length); `painsim summary` therefore reads
 * in a child process (sim/cli/summary_cmd.c). */
psim_status psim_report_read_h5(const char *path, psim_report **out, psim_error *err) PSIM_MUST_CHECK;

/* ---- printing ---------------------------------------------------------- */

typedef enum {
    PSIM_REPORT_TABLE = 0, /* aligned text table, estimate (SE), units on every row */
    PSIM_REPORT_CSV = 1,   /* one row per strategy, units in the column names */
    PSIM_REPORT_JSON = 2   /* the JSON contract (keys documented in sim/output/report_print.c) */
} psim_report_format;

/* Print the report.  The table shows NMB at no more than three WTP values
 * (all of them when the grid has three or fewer; else the smallest positive
 * value, the middle of the grid and the largest); CSV and JSON carry every
 * WTP value.  A write error on fp gives PSIM_ERR_IO. */
psim_status psim_report_print(const psim_report *rep, psim_report_format fmt, FILE *fp,
                              psim_error *err) PSIM_MUST_CHECK;

/* The same with the table fitted to `width` columns (0: one table, however
 * wide): the strategies are split into panels, each with the row labels, and
 * the long lines around the table are wrapped.  CSV and JSON ignore width. */
psim_status psim_report_print_width(const psim_report *rep, psim_report_format fmt, int width, FILE *fp,
                                    psim_error *err) PSIM_MUST_CHECK;

/* The days the JSON and CSV output list (ascending, all < horizon_days):
 * 0, 21, 30, 56, 60, 90, 120, 180, 365 and horizon_days - 1.  Returns the
 * count written into days (room for 16). */
int psim_report_key_days(int horizon_days, int *days);

#ifdef __cplusplus
}
#endif
#endif
