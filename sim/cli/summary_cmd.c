/* painsim summary: read the results of a finished run back and print them. */
#include "summary_cmd.h"
#include "reader_child.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "painsim/error.h"
#include "painsim/merge.h"
#include "painsim/psa.h"
#include "painsim/report.h"
#include "cli_util.h"

/* the command name in usage messages (cli_usage) */
static const char cmd[] = "summary";

enum { SUMMARY_OK = 0 };

static const char summary_help[] =
    "usage: painsim summary FILE.h5 [--format table|csv|csv-long|json|samples] [--wide]\n"
    "\n"
    "Print the results stored in FILE.h5, a file written by `painsim run`, without\n"
    "simulating again: per strategy the response figures, mean VAS, sessions, dose\n"
    "and adverse events, the mean discounted cost and QALYs, and against the\n"
    "reference strategy the incremental cost and QALYs (paired differences), the\n"
    "ICER, the net monetary benefit NMB = WTP x QALY - cost, dominance and the\n"
    "efficient frontier.  Every estimate comes with its Monte Carlo standard error.\n"
    "\n"
    "options:\n"
    "  -f, --format FMT   table (default): aligned text, estimate (SE), units on\n"
    "                       every row; NMB at up to three WTP values\n"
    "                     csv: one row per strategy, units in the column names\n"
    "                       (cost_RUB, icer_RUB_per_QALY, mean_vas_day21_cm, ...),\n"
    "                       NMB at every WTP value; empty cells are undefined values\n"
    "                     json: one object: scenario, seed, patients, reference,\n"
    "                       currency and strategies[] (cost, qaly, incremental\n"
    "                       {cost, qaly, icer, nmb}, dominated, ...); undefined\n"
    "                       values are null\n"
    "                     csv-long: (PSA files) tidy rows scenario,strategy,\n"
    "                       parameter,quantity,wtp,value,se,unit that concatenate\n"
    "                       across scenarios\n"
    "                     samples: (PSA files) the per-iteration sample as CSV:\n"
    "                       the drawn parameters, then cost:<strategy> and\n"
    "                       qaly:<strategy> (the reference first), for R or Python\n"
    "  --wide             one table however wide (by default the table is split into\n"
    "                     panels of strategies that fit the terminal, or $COLUMNS;\n"
    "                     the PSA tables into panels of their columns)\n"
    "  -h, --help         show this help\n"
    "\n"
    "A PSA file (written by `painsim run` with psa.iterations > 0 or --psa N) is\n"
    "summarised by its decision figures: the probability that each strategy is\n"
    "cost-effective at each WTP (CEAC), the optimal strategy by expected NMB and\n"
    "its probability (CEAF), EVPI per patient (and for the population when\n"
    "economics.population is set), the noise-corrected EVPI, EVPPI of every\n"
    "uncertain parameter and declared group (ranked), and the split of the\n"
    "variance between parameters and patient noise with the patients per\n"
    "iteration needed to make the noise negligible.\n"
    "\n"
    "examples:\n"
    "  painsim run scenarios/default.yaml            # writes output/default.h5\n"
    "  painsim summary output/default.h5\n"
    "  painsim summary output/default.h5 --format csv > default.csv\n"
    "  painsim summary output/default.h5 --format json | python3 -m json.tool\n"
    "  painsim run scenarios/psa_default.yaml        # writes output/psa_default.h5\n"
    "  painsim summary output/psa_default.h5 --format csv-long > psa.csv\n"
    "\n"
    "exit status: 0 success, 1 failure while reading or writing (such as a full\n"
    "disk), 2 bad usage or a file that is not a finished painsim file (no /results).\n";

void painsim_summary_print_help(FILE *fp)
{
    fputs(summary_help, fp);
}

/* Output formats: those of psim_report_format, then two for PSA files only. */
enum { FMT_CSV_LONG = 100, FMT_SAMPLES = 101 };

static int parse_format(const char *v, int *fmt)
{
    if (strcmp(v, "table") == 0)
        *fmt = PSIM_REPORT_TABLE;
    else if (strcmp(v, "csv") == 0)
        *fmt = PSIM_REPORT_CSV;
    else if (strcmp(v, "json") == 0)
        *fmt = PSIM_REPORT_JSON;
    else if (strcmp(v, "csv-long") == 0)
        *fmt = FMT_CSV_LONG;
    else if (strcmp(v, "samples") == 0)
        *fmt = FMT_SAMPLES;
    else
        return 0;
    return 1;
}

static psim_status summarise_psa(const char *path, int fmt, int width, psim_error *err)
{
    psim_psa_sample *smp = NULL;
    psim_psa_analysis *a = NULL;
    char name[PSIM_NAME_MAX];
    psim_status st = psim_psa_read_h5(path, &smp, &a, name, err);
    if (st == PSIM_OK) {
        psim_psa_format pf = fmt == PSIM_REPORT_CSV   ? PSIM_PSA_CSV
                             : fmt == PSIM_REPORT_JSON ? PSIM_PSA_JSON
                             : fmt == FMT_CSV_LONG     ? PSIM_PSA_CSV_LONG
                             : fmt == FMT_SAMPLES      ? PSIM_PSA_SAMPLES
                                                       : PSIM_PSA_TABLE;
        st = psim_psa_print_width(name, smp, a, pf, width, stdout, err);
    }
    psim_psa_sample_destroy(smp);
    psim_psa_analysis_destroy(a);
    return st;
}

/* Read and print; returns the exit status.  `limited`: this is the reading
 * child under resource limits, where running out of memory means the file
 * asked for more than its size allows, i.e. it is damaged. */
static int summarise(const char *path, int fmt, int width, int limited)
{
    psim_error err;
    psim_error_clear(&err);
    psim_report *rep = NULL;
    /* a shard, or a merged file whose shards are gone, would read as fill values */
    psim_status st = psim_file_check_sources(path, &err);
    if (st != PSIM_OK)
        ;
    else if (psim_psa_file_has_psa(path) == 1)
        st = summarise_psa(path, fmt, width, &err);
    else if (fmt == FMT_CSV_LONG || fmt == FMT_SAMPLES)
        st = psim_error_set(&err, PSIM_ERR_USAGE, path, 0, 0,
                            "--format %s is for PSA files (runs with psa.iterations > 0); this file has no /psa",
                            fmt == FMT_CSV_LONG ? "csv-long" : "samples");
    else {
        st = psim_report_read_h5(path, &rep, &err);
        if (st == PSIM_OK)
            st = psim_report_print_width(rep, (psim_report_format)fmt, width, stdout, &err);
    }
    psim_report_destroy(rep);
    if (st == PSIM_OK)
        return SUMMARY_OK;
    return cli_reader_failed("summary", path, st, &err, limited);
}

typedef struct summary_job {
    const char *path;
    int fmt;
    int width;
} summary_job;

static int summary_job_run(void *data, int limited)
{
    const summary_job *j = data;
    return summarise(j->path, j->fmt, j->width, limited);
}

int painsim_summary_command(int argc, char **argv)
{
    const char *path = NULL;
    int fmt = PSIM_REPORT_TABLE;
    int only_files = 0, wide = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_files && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)) {
            fputs(summary_help, stdout);
            return SUMMARY_OK;
        } else if (!only_files && strcmp(arg, "--wide") == 0) {
            wide = 1;
        } else if (!only_files && strcmp(arg, "--") == 0) {
            only_files = 1;
        } else if (!only_files && (strcmp(arg, "-f") == 0 || strcmp(arg, "--format") == 0)) {
            if (i + 1 >= argc)
                return cli_usage(cmd, "option %s needs a value: table, csv, csv-long, json or samples", arg);
            if (!parse_format(argv[++i], &fmt))
                return cli_usage(cmd, "--format expects table, csv, csv-long, json or samples, got '%s'", argv[i]);
        } else if (!only_files && strncmp(arg, "--format=", 9) == 0) {
            if (!parse_format(arg + 9, &fmt))
                return cli_usage(cmd, "--format expects table, csv, csv-long, json or samples, got '%s'", arg + 9);
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

    /* the table fits the terminal (or $COLUMNS) unless --wide */
    summary_job job = {path, fmt, wide ? 0 : cli_columns(STDOUT_FILENO)};
    return cli_read_isolated("summary", path, summary_job_run, &job);
}
