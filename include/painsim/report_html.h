/*
 * painsim/report_html.h: a finished painsim file as one self-contained HTML
 * page (`painsim report`, docs/report.md).
 *
 * The page holds the scenario and its provenance, the results table with the
 * Monte Carlo standard errors, and the charts: mean VAS per strategy with
 * 95% confidence bands, the observed response, a sample of patient
 * trajectories, cost and QALY bars, the cost-effectiveness plane with the
 * efficient frontier and, for a PSA file, the PSA cloud, CEAC, CEAF, EVPI and
 * EVPPI; then a table that maps what it shows to the CHEERS 2022 items.
 *
 * Charts are drawn in the browser by Chart.js, which is read from Debian's
 * libjs-chart.js at report time and inlined into the page, so the page opens
 * offline and needs nothing beside it.  The data go into the page as one JSON
 * document (every '<', '>' and '&' escaped, so no text from the file can end
 * the script element).
 *
 * Reading uses the library's readers (psim_report_read_h5, psim_psa_read_h5)
 * plus the root attributes, /scenario, /time/day and rows of
 * /strategies/<s>/vas_mm.  No global state; the HDF5 error printing of the
 * calling thread is turned off.
 */
#ifndef PAINSIM_REPORT_HTML_H
#define PAINSIM_REPORT_HTML_H

#include "painsim/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where Debian's libjs-chart.js puts the minified Chart.js 3.9.1. */
#define PSIM_CHARTJS_DEFAULT_PATH "/usr/share/javascript/chart.js/chart.min.js"

typedef struct psim_html_options {
    const char *chartjs_path;  /* Chart.js to inline; NULL: PSIM_CHARTJS_DEFAULT_PATH */
    int trajectories;          /* patients per strategy in the trajectory sample (0: none), default 8 */
    int force;                 /* 1: overwrite an existing output file */
} psim_html_options;

psim_html_options psim_html_options_default(void);

/* Write the report of the painsim file h5_path to out_path (written as
 * out_path.partial and renamed when complete; nothing is left on failure).
 * Errors: PSIM_ERR_INPUT for a file that is not a finished painsim file (the
 * path and what is missing), PSIM_ERR_EXISTS when out_path exists and not
 * force, PSIM_ERR_IO when Chart.js cannot be read (the message names the file
 * and the Debian package libjs-chart.js) or the page cannot be written. */
psim_status psim_report_html_write(const char *h5_path, const char *out_path, const psim_html_options *opt,
                                   psim_error *err) PSIM_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
