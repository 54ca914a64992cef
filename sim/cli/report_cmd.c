/* painsim report: write a finished run as one self-contained HTML page. */
#include "report_cmd.h"
#include "reader_child.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_util.h"
#include "painsim/error.h"
#include "painsim/merge.h"
#include "painsim/report_html.h"

/* the command name in usage messages (cli_usage) */
static const char cmd[] = "report";

enum { REPORT_OK = 0, REPORT_RUNTIME = 1, REPORT_INPUT = 2 };

static const char report_help[] =
    "usage: painsim report FILE.h5 [-o REPORT.html] [options]\n"
    "\n"
    "Write the results stored in FILE.h5 (a file written by `painsim run`) as one\n"
    "HTML page that opens offline in any browser and can be mailed as it is:\n"
    "  - the scenario and its provenance (version, seed, command line, the scenario\n"
    "    file and its resolved form);\n"
    "  - the results table: cost, QALYs, incremental figures, ICERs and NMB, each\n"
    "    with its Monte Carlo standard error;\n"
    "  - charts: mean VAS by day per strategy with 95% confidence bands, observed\n"
    "    response by day, a sample of patient trajectories, cost and QALY bars, the\n"
    "    cost-effectiveness plane with the efficient frontier;\n"
    "  - for a PSA file (psa.iterations > 0): the PSA cloud, CEAC, CEAF, EVPI and\n"
    "    EVPPI (choose the WTP in the page), and the parameters' distributions;\n"
    "  - for a sweep or tornado file (painsim sweep, painsim tornado): the points\n"
    "    with their incremental NMB, the tornado chart or the curves along the sweep;\n"
    "  - which CHEERS 2022 reporting items the page supports.\n"
    "The charts are drawn by Chart.js, read from Debian's package libjs-chart.js\n"
    "when the report is made and inlined into the page.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE    the page to write (default: FILE.h5 with .html in place\n"
    "                       of .h5); written as FILE.partial and renamed when done\n"
    "  --force              overwrite the page if it exists\n"
    "  --trajectories N     patients per strategy in the trajectory sample (0 to\n"
    "                       200, default 8): the same evenly spaced rows of the\n"
    "                       cohort under every strategy\n"
    "  --chartjs FILE       the Chart.js 3 file to inline (default\n"
    "                       " PSIM_CHARTJS_DEFAULT_PATH ")\n"
    "  -h, --help           show this help\n"
    "\n"
    "examples:\n"
    "  painsim run scenarios/default.yaml          # writes output/default.h5\n"
    "  painsim report output/default.h5            # writes output/default.html\n"
    "  painsim run scenarios/psa_default.yaml      # writes output/psa_default.h5\n"
    "  painsim report output/psa_default.h5 -o psa.html --force\n"
    "\n"
    "exit status: 0 success, 1 failure while reading or writing (Chart.js not\n"
    "installed: apt-get install libjs-chart.js; a full disk), 2 bad usage, an\n"
    "existing page without --force, or a file that is not a finished painsim file.\n";

void painsim_report_print_help(FILE *fp)
{
    fputs(report_help, fp);
}

/* `limited`: this is the reading child under resource limits, where running
 * out of memory means the file asked for more than its size allows. */
static int write_report(const char *path, const char *out, const psim_html_options *opt, int limited)
{
    psim_error err;
    psim_error_clear(&err);
    /* a shard, or a merged file whose shards are gone, would read as fill values */
    psim_status st = psim_file_check_sources(path, &err);
    if (st == PSIM_OK)
        st = psim_report_html_write(path, out, opt, &err);
    if (st == PSIM_OK) {
        fprintf(stderr, "painsim: wrote %s\n", out);
        return REPORT_OK;
    }
    return cli_reader_failed("report", path, st, &err, limited);
}

typedef struct report_job {
    const char *path, *out;
    const psim_html_options *opt;
} report_job;

static int report_job_run(void *data, int limited)
{
    const report_job *j = data;
    return write_report(j->path, j->out, j->opt, limited);
}

/* FILE.h5 -> FILE.html; anything else gets .html appended. */
static char *default_output(const char *path)
{
    size_t n = strlen(path);
    char *out = malloc(n + 8);
    if (!out)
        return NULL;
    memcpy(out, path, n + 1);
    if (n > 3 && strcmp(path + n - 3, ".h5") == 0)
        out[n - 3] = '\0';
    strcat(out, ".html");
    return out;
}

int painsim_report_command(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    psim_html_options opt = psim_html_options_default();
    int only_files = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *v = NULL;
        if (!only_files && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)) {
            fputs(report_help, stdout);
            return REPORT_OK;
        } else if (!only_files && strcmp(arg, "--") == 0) {
            only_files = 1;
        } else if (!only_files && strcmp(arg, "--force") == 0) {
            opt.force = 1;
        } else if (!only_files && (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0 ||
                                   strcmp(arg, "--trajectories") == 0 || strcmp(arg, "--chartjs") == 0 ||
                                   strncmp(arg, "--output=", 9) == 0 || strncmp(arg, "--trajectories=", 15) == 0 ||
                                   strncmp(arg, "--chartjs=", 10) == 0)) {
            const char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
            if (eq)
                v = eq + 1;
            else if (i + 1 < argc)
                v = argv[++i];
            else
                return cli_usage(cmd, "option %s needs a value", arg);
            if (strncmp(arg, "--trajectories", 14) == 0) {
                char *end = NULL;
                errno = 0;
                long k = strtol(v, &end, 10);
                if (!*v || *end || errno || k < 0 || k > 200)
                    return cli_usage(cmd, "--trajectories expects a number of patients from 0 to 200, got '%s'", v);
                opt.trajectories = (int)k;
            } else if (!*v) {
                return cli_usage(cmd, "%s needs a file name", arg);
            } else if (strncmp(arg, "--chartjs", 9) == 0) {
                opt.chartjs_path = v;
            } else {
                out = v;
            }
        } else if (!only_files && arg[0] == '-' && arg[1] != '\0') {
            return cli_usage(cmd, "unknown option '%s'", arg);
        } else if (!path) {
            path = arg;
        } else {
            return cli_usage(cmd, "unexpected argument '%s' (one file at a time)", arg);
        }
    }
    if (!path)
        return cli_usage(cmd, "%s", "missing the FILE.h5 written by `painsim run`");
    char *def = NULL;
    if (!out) {
        def = default_output(path);
        if (!def) {
            fputs("painsim report: error: out of memory\n", stderr);
            return REPORT_RUNTIME;
        }
        out = def;
    }
    report_job job = {path, out, &opt};
    int rc = cli_read_isolated("report", path, report_job_run, &job);
    free(def);
    return rc;
}
