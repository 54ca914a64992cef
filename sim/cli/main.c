/* painsim: the command-line tool, a thin layer over the library. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omp.h>

#include "painsim/error.h"
#include "painsim/merge.h"
#include "painsim/psa.h"
#include "painsim/run.h"
#include "painsim/scenario.h"
#include "painsim/report.h"
#ifdef PAINSIM_HAVE_MPI
#include "painsim/mpi.h"
#endif
#include "progress.h"
#include "report_cmd.h"
#include "summary_cmd.h"
#include "cli_util.h"
#include "explain_cmd.h"
#include "sweep_cmd.h"
#include "calibrate_cmd.h"

#ifndef PAINSIM_VERSION
#define PAINSIM_VERSION "unknown"
#endif

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_INPUT = 2, EXIT_INTERRUPTED = 130 };

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void on_notice(void *data, const char *message)
{
    (void)data;
    fprintf(stderr, "painsim: %s\n", message);
}

static const char main_help[] =
    "painsim " PAINSIM_VERSION ": Monte Carlo simulator of pain-response cohorts\n"
    "(botulinum toxin A and comparators for chronic low back pain).\n"
    "\n"
    "usage: painsim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO       simulate every patient under every strategy of SCENARIO,\n"
    "                     write the HDF5 file and print the summary table; with\n"
    "                     psa.iterations > 0 (or --psa N) a probabilistic\n"
    "                     sensitivity analysis over the parameters given as\n"
    "                     distributions\n"
    "  validate SCENARIO  check SCENARIO and print it with every default filled in\n"
    "  merge OUT.h5 SHARD...\n"
    "                     merge the shards of `run --shard i/K` into one file\n"
    "                     identical to a run in one process (docs/cluster.md)\n"
    "  summary FILE.h5    print the results of a finished run (table, csv or json)\n"
    "  report FILE.h5     write a finished run as one HTML page with tables and charts\n"
    "  explain SCENARIO --patient N [--strategy S]\n"
    "                     one patient's story: baseline, eligibility, each session,\n"
    "                     VAS on key days, cost and QALYs (text or json)\n"
    "  sweep SCENARIO --param KEY --values A,B,C | --range LO:HI:N\n"
    "                     one cohort run per value of KEY (common random numbers):\n"
    "                     ICER, NMB and mean VAS per value, to a table/CSV and HDF5\n"
    "  tornado SCENARIO   every uncertain parameter at its low and high value\n"
    "  calibrate SCENARIO --targets TARGETS.yaml\n"
    "                     fit parameters to published figures (Nelder-Mead on the\n"
    "                     deviance, IMIS posterior draws for a PSA)\n"
    "  help [COMMAND]     show help for a command\n"
    "\n"
    "options:\n"
    "  -h, --help         show this help\n"
    "  -V, --version      print the version\n"
    "\n"
    "examples:\n"
    "  painsim run scenarios/default.yaml                 # writes output/default.h5\n"
    "  painsim run scenarios/foster2001.yaml --patients 20000 -o /tmp/foster.h5\n"
    "  painsim validate scenarios/default.yaml > resolved.yaml\n"
    "  painsim summary output/default.h5 --format json\n"
    "  painsim report output/default.h5                # writes output/default.html\n"
    "  painsim run scenarios/psa_default.yaml            # PSA: CEAC, EVPI, EVPPI\n"
    "\n"
    "The model is described in docs/model.md, scenario files in docs/scenario-format.md\n"
    "and the output file in docs/output-format.md.\n";

static const char run_help[] =
    "usage: painsim run SCENARIO [options]\n"
    "\n"
    "Simulate the cohort of SCENARIO (a YAML file) day by day under every strategy,\n"
    "write every patient's trajectory and the summaries to an HDF5 file, and print\n"
    "the summary table on stdout.  The same scenario and seed give the same results\n"
    "at any thread count.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  HDF5 file to write (default: output/<scenario name>.h5);\n"
    "                     written as FILE.partial and renamed when complete\n"
    "  --threads N        worker threads (default: all cores, or OMP_NUM_THREADS)\n"
    "  --seed S           random seed (an unsigned 64-bit integer)\n"
    "  --patients N       cohort size\n"
    "  --set KEY=VALUE    override any scenario value; dotted keys, strategies by\n"
    "                     name or index; repeatable. Examples:\n"
    "                       --set horizon_days=180\n"
    "                       --set treatments.botox.p_first=0.6\n"
    "                       --set strategies.botox_q4m.schedule.every_days=90\n"
    "                       --set output.trajectories=false\n"
    "  --psa N            probabilistic sensitivity analysis with N iterations (sets\n"
    "                     psa.iterations): each iteration draws every parameter given\n"
    "                     as a distribution and simulates the cohort under every\n"
    "                     strategy; the file gets /psa (CEAC, EVPI, EVPPI, ...) and\n"
    "                     no trajectories.  --psa 0 runs the base case (the means)\n"
    "  -f, --format FMT   the summary on stdout: table (default), csv or json, as\n"
    "                     `painsim summary` prints them\n"
    "  --wide             one table however wide (by default the table is split into\n"
    "                     panels of strategies that fit the terminal, or $COLUMNS)\n"
    "  --force            overwrite FILE if it exists (never a directory, link or FIFO)\n"
    "  --dry-run          check the scenario and the output name, print the work and\n"
    "                     the estimated peak memory, and stop without writing\n"
    "  --max-memory SIZE  refuse to start (exit 2) a run whose estimated peak memory\n"
    "                     is above SIZE (K, M, G, T: binary units; default: half of\n"
    "                     this machine's physical memory).  Memory grows with\n"
    "                     --threads and block_size, not with the cohort size\n"
    "  --shard i/K        simulate only shard i of K (1 <= i <= K): a contiguous range\n"
    "                     of the cohort's blocks (of a PSA: of its iterations),\n"
    "                     written with the blocks' partial sums (the iterations'\n"
    "                     rows) to output/<name>.shard-i-of-K.h5 (or -o); combine\n"
    "                     the K shards with `painsim merge` (docs/cluster.md)\n"
    "  --progress MODE    progress on stderr: bar (redrawn in place), lines (plain\n"
    "                     lines for logs), json (one JSON object per line: patients\n"
    "                     or iterations done and total, rate, patient-days/s, ETA in\n"
    "                     s, shard) or none; default: bar on a terminal, else lines\n"
    "  --progress-every S lines and json: at most one line every S seconds\n"
    "                     (default 60; 0: after every batch of blocks)\n"
    "  -q, --quiet        no progress bar or messages on stderr\n"
    "  -h, --help         show this help\n"
    "\n"
    "exit status: 0 success, 1 failure while running (such as a full disk or an\n"
    "unwritable path; no partial file is left), 2 bad input or usage (nothing is\n"
    "written), 130 interrupted.\n";

static const char merge_help[] =
    "usage: painsim merge OUT.h5 SHARD.h5... [options]\n"
    "\n"
    "Merge the K shard files written by `painsim run SCENARIO --shard i/K` (i = 1..K,\n"
    "given in any order) into OUT.h5, and print its summary table.  The shards must\n"
    "be complete (all K), disjoint (each once) and from the same scenario text,\n"
    "seed, cohort size and painsim version (their scenario_sha256 and\n"
    "painsim_version attributes), and undamaged (every checksum is read).  OUT.h5's\n"
    "summaries and /results are recomputed from the shards' per-block partial sums\n"
    "added in block order, so they and the per-patient datasets are identical to\n"
    "those of a run of the whole cohort in one process.\n"
    "\n"
    "By default the per-patient datasets of OUT.h5 are HDF5 virtual datasets over\n"
    "the shards, which stay where they are: the file names are stored relative to\n"
    "OUT.h5's directory, so move OUT.h5 and the shards together.  `painsim summary`\n"
    "and `painsim report` refuse (exit 2) a merged file whose shards are missing;\n"
    "other HDF5 readers (h5py) would read fill values instead: see docs/cluster.md.\n"
    "\n"
    "The shards of a PSA (`painsim run SCENARIO --psa N --shard i/K`) each hold a\n"
    "range of iterations: OUT.h5 gets their rows in iteration order, analysed as one\n"
    "process would (CEAC, EVPI, EVPPI, ...), and the PSA tables are printed.\n"
    "\n"
    "options:\n"
    "  --copy             copy the shards' data into OUT.h5: one self-contained file\n"
    "                     (a PSA's tables are always copied)\n"
    "  --force            overwrite OUT.h5 if it exists\n"
    "  -f, --format FMT   the summary on stdout: table (default), csv or json\n"
    "  -q, --quiet        no messages on stderr\n"
    "  -h, --help         show this help\n"
    "\n"
    "example:\n"
    "  for i in 1 2 3; do painsim run scenarios/default.yaml --shard $i/3; done\n"
    "  painsim merge output/default.h5 output/default.shard-*-of-3.h5\n"
    "  for i in 1 2; do painsim run scenarios/psa_default.yaml --shard $i/2; done\n"
    "  painsim merge output/psa_default.h5 output/psa_default.shard-*-of-2.h5\n"
    "\n"
    "exit status: 0 success, 1 failure while writing, 2 bad usage or shards that are\n"
    "missing, duplicated, mismatched or damaged (the message names the file;\n"
    "nothing is written).\n";

static const char validate_help[] =
    "usage: painsim validate SCENARIO [--explain] [--set KEY=VALUE]...\n"
    "\n"
    "Check SCENARIO and print the resolved scenario as YAML on stdout, with every\n"
    "default filled in.  `painsim run` accepts that output unchanged.  Errors name\n"
    "file:line:column and what was expected; the exit status is then 2.\n"
    "\n"
    "options:\n"
    "  --explain          a comment beside each value: its unit, valid range and\n"
    "                     source ([src] a published figure, [asm] an assumption,\n"
    "                     [set in this scenario] a change from the built-in default)\n"
    "  --set KEY=VALUE    override a value (see `painsim run --help`); repeatable\n"
    "  -h, --help         show this help\n";

/* A size in bytes: a number with an optional binary unit K, M, G, T (KiB...). */
static int parse_size(const char *s, double *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return 0;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno || end == s || !(v > 0) || v > 1e18)
        return 0;
    double unit = 1;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': unit = 1024.0; end++; break;
    case 'm': case 'M': unit = 1048576.0; end++; break;
    case 'g': case 'G': unit = 1073741824.0; end++; break;
    case 't': case 'T': unit = 1099511627776.0; end++; break;
    default: return 0;
    }
    if (*end == 'i' && end[-1] != '\0' && unit > 1)
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end)
        return 0;
    *out = v * unit;
    return 1;
}

static double physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (double)pages * (double)size : 0.0;
}

/* argv joined for the file's command_line attribute. */
static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) * 2 + 3;
    char *s = malloc(len);
    if (!s)
        return NULL;
    char *p = s;
    for (int i = 0; i < argc; i++) {
        int quote = argv[i][0] == '\0' || strpbrk(argv[i], " \t'\"\\$") != NULL;
        if (i)
            *p++ = ' ';
        if (quote)
            *p++ = '\'';
        for (const char *a = argv[i]; *a; a++) {
            if (*a == '\'' && quote) {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = *a;
            }
        }
        if (quote)
            *p++ = '\'';
    }
    *p = '\0';
    return s;
}

typedef struct cli_args {
    const char *scenario;
    const char *output;
    int threads;
    int force, quiet, dry_run;
    int creates_output_dir;   /* the default output/ does not exist yet: a real run creates it */
    double max_memory; /* bytes; 0: half of the physical memory */
    int format, wide;         /* run: psim_report_format of the printed summary; one table however wide */
    int explain;              /* validate: a comment with unit, range and source beside each value */
    int shard_index, shard_count; /* run --shard i/K: 1-based i; K = 0: no shards */
    int progress;             /* cli_progress_mode */
    double progress_every;    /* seconds */
    const char *set[PSIM_MAX_SET + 3];
    int n_set;
    char seed_set[64], patients_set[64], psa_set[64];
} cli_args;

/* Parse the options of `run` or `validate`.  Returns -1 to continue, else an exit code. */
static int parse_args(int argc, char **argv, const char *cmd, int is_run, cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->progress_every = 60.0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *v = NULL;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(is_run ? run_help : validate_help, stdout);
            return EXIT_OK;
        } else if (cli_opt_is(arg, "--set")) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return EXIT_INPUT;
            int rc = cli_check_set(cmd, v, i + 1 < argc ? argv[i + 1] : NULL);
            if (rc >= 0)
                return rc;
            if (a->n_set >= PSIM_MAX_SET)
                return cli_usage(cmd, "too many --set options (at most %s)", "64");
            a->set[a->n_set++] = v;
        } else if (is_run && (cli_opt_is(arg, "-o") || cli_opt_is(arg, "--output"))) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return EXIT_INPUT;
            if (!*v)
                return cli_usage(cmd, "%s needs a file name", arg);
            a->output = v;
        } else if (is_run && cli_opt_is(arg, "--threads")) {
            unsigned long long n;
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return EXIT_INPUT;
            if (!cli_parse_u64(v, &n) || n < 1 || n > 1024)
                return cli_usage(cmd, "--threads expects an integer from 1 to 1024, got '%s'", v);
            a->threads = (int)n;
        } else if (is_run && cli_opt_is(arg, "--seed")) {
            unsigned long long n;
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return EXIT_INPUT;
            if (!cli_parse_u64(v, &n))
                return cli_usage(cmd, "--seed expects an unsigned 64-bit integer, got '%s'", v);
            snprintf(a->seed_set, sizeof a->seed_set, "seed=%llu", n);
        } else if (is_run && cli_opt_is(arg, "--patients")) {
            unsigned long long n;
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return EXIT_INPUT;
            if (!cli_parse_u64(v, &n) || n < 1 || n > (1ULL << 40))
                return cli_usage(cmd, "--patients expects an integer from 1 to 2^40, got '%s'", v);
            snprintf(a->patients_set, sizeof a->patients_set, "patients=%llu", n);
        } else if (is_run && cli_opt_is(arg, "--psa")) {
            unsigned long long n;
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return EXIT_INPUT;
            if (!cli_parse_u64(v, &n) || n > 10000000ULL)
                return cli_usage(cmd, "--psa expects a number of iterations from 0 to 10000000, got '%s'", v);
            snprintf(a->psa_set, sizeof a->psa_set, "psa.iterations=%llu", n);
        } else if (is_run && cli_opt_is(arg, "--max-memory")) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return EXIT_INPUT;
            if (!parse_size(v, &a->max_memory))
                return cli_usage(cmd,
                                   "--max-memory expects a size such as 512M, 8G or 2.5G (binary units: K, M, G, "
                                   "T; no unit: bytes), got '%s'",
                                   v);
        } else if (is_run && cli_opt_is(arg, "--shard")) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return EXIT_INPUT;
            unsigned long long si = 0, sk = 0;
            const char *slash = strchr(v, '/');
            char num[32];
            if (!slash || slash == v || (size_t)(slash - v) >= sizeof num)
                return cli_usage(cmd, "--shard expects i/K (shard i of K, 1 <= i <= K), got '%s'", v);
            snprintf(num, sizeof num, "%.*s", (int)(slash - v), v);
            if (!cli_parse_u64(num, &si) || !cli_parse_u64(slash + 1, &sk) || sk < 1 || sk > 1000000 || si < 1 || si > sk)
                return cli_usage(cmd, "--shard expects i/K (shard i of K, 1 <= i <= K <= 1000000), got '%s'", v);
            a->shard_index = (int)si;
            a->shard_count = (int)sk;
        } else if (is_run && cli_opt_is(arg, "--progress")) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return EXIT_INPUT;
            if (strcmp(v, "bar") == 0)
                a->progress = CLI_PROGRESS_BAR;
            else if (strcmp(v, "lines") == 0)
                a->progress = CLI_PROGRESS_LINES;
            else if (strcmp(v, "json") == 0)
                a->progress = CLI_PROGRESS_JSON;
            else if (strcmp(v, "none") == 0)
                a->progress = CLI_PROGRESS_NONE;
            else
                return cli_usage(cmd, "--progress expects bar, lines, json or none, got '%s'", v);
        } else if (is_run && cli_opt_is(arg, "--progress-every")) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return EXIT_INPUT;
            char *end = NULL;
            errno = 0;
            double sec = strtod(v, &end);
            if (!*v || !end || *end || errno || !(sec >= 0) || sec > 1e6)
                return cli_usage(cmd, "--progress-every expects seconds from 0 to 1000000, got '%s'", v);
            a->progress_every = sec;
        } else if (is_run && strcmp(arg, "--dry-run") == 0) {
            a->dry_run = 1;
        } else if (is_run && (cli_opt_is(arg, "-f") || cli_opt_is(arg, "--format"))) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return EXIT_INPUT;
            if (strcmp(v, "table") == 0)
                a->format = PSIM_REPORT_TABLE;
            else if (strcmp(v, "csv") == 0)
                a->format = PSIM_REPORT_CSV;
            else if (strcmp(v, "json") == 0)
                a->format = PSIM_REPORT_JSON;
            else
                return cli_usage(cmd, "--format expects table, csv or json, got '%s'", v);
        } else if (!is_run && strcmp(arg, "--explain") == 0) {
            a->explain = 1;
        } else if (is_run && strcmp(arg, "--wide") == 0) {
            a->wide = 1;
        } else if (is_run && strcmp(arg, "--force") == 0) {
            a->force = 1;
        } else if (is_run && (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0)) {
            a->quiet = 1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_usage(cmd, "unknown option '%s'", arg);
        } else if (!a->scenario) {
            a->scenario = arg;
        } else {
            return cli_usage(cmd, "unexpected argument '%s' (one scenario file per run)", arg);
        }
    }
    if (!a->scenario)
        return cli_usage(cmd, "%s", "missing the SCENARIO file");
    if (a->seed_set[0])
        a->set[a->n_set++] = a->seed_set;
    if (a->patients_set[0])
        a->set[a->n_set++] = a->patients_set;
    if (a->psa_set[0])
        a->set[a->n_set++] = a->psa_set;
    return -1;
}

/* Load the scenario; a scenario file that cannot be read is bad input too. */
static psim_status load_scenario(const cli_args *a, psim_scenario **scn, psim_error *err)
{
    psim_status st = psim_scenario_load(a->scenario, a->set, a->n_set, scn, err);
    if (st == PSIM_ERR_IO)
        st = err->code = PSIM_ERR_INPUT;
    return st;
}

static int cmd_validate(int argc, char **argv)
{
    cli_args a;
    int rc = parse_args(argc, argv, "validate", 0, &a);
    if (rc >= 0)
        return rc;
    psim_error err;
    psim_error_clear(&err);
    psim_scenario *scn = NULL;
    psim_status st = load_scenario(&a, &scn, &err);
    if (st == PSIM_OK)
        st = a.explain ? psim_scenario_write_explained(scn, stdout, &err) : psim_scenario_write_yaml(scn, stdout, &err);
    if (st == PSIM_OK && (fflush(stdout) != 0 || ferror(stdout)))
        st = psim_error_set(&err, PSIM_ERR_IO, "standard output", 0, 0, "cannot write: %s", strerror(errno));
    if (st != PSIM_OK)
        cli_print_error(&err);
    psim_scenario_destroy(scn);
    return cli_exit_code(st);
}

static int ensure_dir(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0)
        return S_ISDIR(sb.st_mode);
    return mkdir(path, 0777) == 0;
}

static psim_psa_format psa_format(int report_format)
{
    return report_format == PSIM_REPORT_CSV    ? PSIM_PSA_CSV
           : report_format == PSIM_REPORT_JSON ? PSIM_PSA_JSON
                                               : PSIM_PSA_TABLE;
}

/* The PSA run mode: simulate, analyse, write the file, print the tables.  A
 * shard (opt->shard_count > 0) writes its rows only; over comm_size > 1 MPI
 * ranks each simulates its iterations and rank 0 analyses and writes. */
static psim_status run_psa(const psim_scenario *scn, psim_run_options *opt, const cli_args *a, int comm_size,
                           psim_error *err)
{
#ifndef PAINSIM_HAVE_MPI
    (void)comm_size;
#endif
    psim_psa_sample *smp = NULL;
    psim_psa_analysis *an = NULL;
    cli_progress *prog = opt->progress_data;
    opt->progress = cli_progress_iterations;
    /* the file is written after the analysis: refuse a name it could not
     * take before simulating, as a cohort run does.  Over MPI ranks rank 0
     * writes, so its check is the one that counts, on every rank (a
     * node-local path may exist on one node and not on another). */
    int writer = 1;
#ifdef PAINSIM_HAVE_MPI
    if (comm_size > 1) {
        int r = 0;
        MPI_Comm_rank(MPI_COMM_WORLD, &r);
        writer = r == 0;
    }
#endif
    psim_status st = writer ? psim_output_check(opt->output_path, a->force, err) : PSIM_OK;
#ifdef PAINSIM_HAVE_MPI
    if (comm_size > 1)
        st = psim_mpi_agree(MPI_COMM_WORLD, st, err);
#endif
    if (st != PSIM_OK)
        return st;
    st = psim_psa_run(scn, opt, &smp, err);
    cli_progress_finish(prog);
#ifdef PAINSIM_HAVE_MPI
    if (comm_size > 1) {
        /* every rank's rows to rank 0, which analyses and writes */
        psim_psa_sample *whole = NULL;
        st = psim_mpi_psa_gather(MPI_COMM_WORLD, scn, st, smp, &whole, err);
        psim_psa_sample_destroy(smp);
        smp = whole;
        if (st != PSIM_OK || !smp)
            return st;
    }
#endif
    if (st == PSIM_OK && opt->shard_count > 0) {
        /* a shard's rows alone would mislead: `painsim merge` analyses them all */
        st = psim_psa_write_shard_h5(scn, opt, smp, err);
        if (st == PSIM_OK && !a->quiet)
            fprintf(stderr,
                    "painsim: wrote %s: shard %d of %d, PSA iterations %d to %d of %d x %lld patients x %d "
                    "strategies in %.2f s; merge all %d shards with `painsim merge`\n",
                    opt->output_path, opt->shard_index + 1, opt->shard_count, smp->first_iteration,
                    smp->first_iteration + smp->iterations - 1, smp->iterations_total, (long long)scn->patients,
                    scn->n_strategies, smp->elapsed_seconds, opt->shard_count);
        psim_psa_sample_destroy(smp);
        return st;
    }
    if (st == PSIM_OK)
        st = psim_psa_analyse(smp, &scn->economics, scn->psa.groups, scn->psa.n_groups, scn->seed, opt->threads, &an,
                              err);
    if (st == PSIM_OK)
        st = psim_psa_write_h5(scn, opt, smp, an, err);
    if (st == PSIM_OK)
        st = psim_psa_print_width(scn->name, smp, an, psa_format(a->format), a->wide ? 0 : cli_columns(STDOUT_FILENO),
                                  stdout, err);
    if (st == PSIM_OK && !a->quiet) {
        double pd = (double)scn->patients * scn->horizon_days * scn->n_strategies * smp->iterations;
        struct rusage ru;
        double peak_mib = getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0.0;
        fprintf(stderr,
                "painsim: wrote %s: %d PSA iterations x %lld patients x %d strategies x %d days = %.0f "
                "patient-days in %.2f s (%.1f M patient-days/s), peak memory %.1f MiB\n",
                opt->output_path, smp->iterations, (long long)scn->patients, scn->n_strategies, scn->horizon_days, pd,
                smp->elapsed_seconds, smp->elapsed_seconds > 0 ? pd / smp->elapsed_seconds / 1e6 : 0.0, peak_mib);
    }
    psim_psa_sample_destroy(smp);
    psim_psa_analysis_destroy(an);
    return st;
}

/* Estimate the run's peak memory; refuse it above --max-memory; with
 * --dry-run print the plan (and whether the output name can be written). */
static psim_status check_memory(const psim_scenario *scn, const cli_args *a, psim_error *err)
{
    psim_memory_estimate est;
    psim_status st = psim_memory_estimate_run(scn, a->threads, 1, &est, err);
    if (st != PSIM_OK)
        return st;
    double phys = physical_memory();
    double limit = a->max_memory > 0 ? a->max_memory : 0.5 * phys;
    const double MiB = 1048576.0;
    int threads = a->threads > 0 ? a->threads : omp_get_max_threads();
    if (a->dry_run) {
        double pd = (double)scn->patients * scn->horizon_days * scn->n_strategies;
        printf("dry run of %s (nothing is simulated or written)\n", a->scenario);
        if (scn->psa.iterations > 0)
            printf("  work:     PSA, %d iterations x %lld patients x %d strategies x %d days = %.4g patient-days\n",
                   scn->psa.iterations, (long long)scn->patients, scn->n_strategies, scn->horizon_days,
                   pd * scn->psa.iterations);
        else
            printf("  work:     %lld patients x %d strategies x %d days = %.4g patient-days\n",
                   (long long)scn->patients, scn->n_strategies, scn->horizon_days, pd);
        if (a->shard_count > 0) {
            /* the parts were checked before: the ranges exist */
            psim_error ignored;
            psim_error_clear(&ignored);
            if (scn->psa.iterations > 0) {
                int f = 0, n = 0;
                if (psim_psa_split(scn->psa.iterations, a->shard_index - 1, a->shard_count, &f, &n, &ignored) ==
                    PSIM_OK)
                    printf("  shard:    %d of %d: PSA iterations %d to %d (%d of %d), the whole cohort in each\n",
                           a->shard_index, a->shard_count, f, f + n - 1, n, scn->psa.iterations);
            } else {
                int64_t f = 0, n = 0;
                if (psim_run_shard_range(scn, a->shard_index - 1, a->shard_count, &f, &n, &ignored) == PSIM_OK) {
                    int64_t p0 = f * scn->block_size, p1 = (f + n) * scn->block_size;
                    if (p1 > scn->patients)
                        p1 = scn->patients;
                    printf("  shard:    %d of %d: patients %lld to %lld (%lld), blocks %lld to %lld of %lld\n",
                           a->shard_index, a->shard_count, (long long)p0, (long long)(p1 - 1), (long long)(p1 - p0),
                           (long long)f, (long long)(f + n - 1), (long long)psim_run_n_blocks(scn));
                }
            }
        }
        printf("  threads:  %d; block_size %d patients\n", threads, scn->block_size);
        printf("  memory:   estimated peak %.1f MiB", est.total / MiB);
        if (scn->psa.iterations > 0)
            printf(" (per-thread scratch %.1f, sums, sample and analysis %.1f, file %.1f, program %.1f MiB)\n",
                   est.blocks / MiB, est.summaries / MiB, est.writer / MiB, est.program / MiB);
        else
            printf(" (%d blocks of %.2f MiB = %.1f MiB, summaries %.1f, HDF5 writer %.1f, program %.1f MiB)\n",
                   est.slots, est.per_block / MiB, est.blocks / MiB, est.summaries / MiB, est.writer / MiB,
                   est.program / MiB);
        printf("  limit:    %.1f MiB (%s)\n", limit / MiB,
               a->max_memory > 0 ? "--max-memory" : "half of this machine's physical memory; set with --max-memory");
        psim_error out_err;
        psim_error_clear(&out_err);
        psim_status ost = a->creates_output_dir ? PSIM_OK : psim_output_check(a->output, a->force, &out_err);
        if (ost == PSIM_OK && a->creates_output_dir) {
            printf("  output:   %s (would be written, in the directory output/ that a real run creates)\n", a->output);
        } else if (ost == PSIM_OK) {
            printf("  output:   %s (would be written)\n", a->output);
        } else {
            char buf[PSIM_ERROR_TEXT_MAX + PSIM_ERROR_FILE_MAX + 64];
            psim_error_format(&out_err, buf, sizeof buf);
            printf("  output:   cannot be written: %s\n", buf);
        }
        if (est.total > limit)
            printf("  a real run would be refused: the estimate is above the limit\n");
        if (fflush(stdout) != 0)
            return psim_error_set(err, PSIM_ERR_IO, "standard output", 0, 0, "cannot write: %s", strerror(errno));
        if (ost != PSIM_OK) {
            *err = out_err;
            return ost;
        }
        if (est.total > limit)
            return psim_error_set(err, PSIM_ERR_USAGE, a->scenario, 0, 0,
                                  "the estimated peak memory %.1f MiB is above the limit of %.1f MiB", est.total / MiB,
                                  limit / MiB);
        return PSIM_OK;
    }
    if (est.total > limit) {
        char what[160];
        if (scn->psa.iterations > 0)
            snprintf(what, sizeof what, "%d PSA iterations on %d threads", scn->psa.iterations, threads);
        else
            snprintf(what, sizeof what, "%d threads x block_size %d: %d blocks of %.1f MiB in memory", threads,
                     scn->block_size, est.slots, est.per_block / MiB);
        return psim_error_set(err, PSIM_ERR_USAGE, a->scenario, 0, 0,
                              "this run would need about %.0f MiB of memory (%s), more than the limit of %.0f MiB (%s); "
                              "use fewer --threads or a smaller block_size, or raise --max-memory "
                              "(`painsim run --dry-run` shows the estimate)",
                              est.total / MiB, what, limit / MiB,
                              a->max_memory > 0 ? "--max-memory" : "half of this machine's physical memory");
    }
    return PSIM_OK;
}

static int cmd_run(int argc, char **argv, int full_argc, char **full_argv)
{
    cli_args a;
    int rc = parse_args(argc, argv, "run", 1, &a);
    if (rc >= 0)
        return rc;
    psim_error err;
    psim_error_clear(&err);
    psim_scenario *scn = NULL;
    psim_results *res = NULL;
    psim_report *rep = NULL;
    char *cmdline = NULL;
    char default_out[PSIM_NAME_MAX + 64];
    int mpi_rank = 0;
#ifdef PAINSIM_HAVE_MPI
    int mpi_size = 1;
    psim_mpi_sink *msink = NULL;
    psim_sink msink_if;
#endif
    psim_status st = load_scenario(&a, &scn, &err);
    if (st != PSIM_OK)
        goto done;
    int64_t first_block = 0, n_blocks = 0;
    int psa_first = 0, psa_n = 0;
    if (a.shard_count > 0) {
        /* a PSA splits into ranges of iterations, a cohort run into blocks */
        if (scn->psa.iterations > 0)
            st = psim_psa_split(scn->psa.iterations, a.shard_index - 1, a.shard_count, &psa_first, &psa_n, &err);
        else
            st = psim_run_shard_range(scn, a.shard_index - 1, a.shard_count, &first_block, &n_blocks, &err);
        if (st != PSIM_OK)
            goto done;
    }
    if (!a.output) {
        if (a.shard_count > 0)
            snprintf(default_out, sizeof default_out, "output/%s.shard-%d-of-%d.h5", scn->name, a.shard_index,
                     a.shard_count);
        else
            snprintf(default_out, sizeof default_out, "output/%s.h5", scn->name);
        struct stat sb;
        if (a.dry_run && stat("output", &sb) != 0 && errno == ENOENT) {
            /* a dry run writes nothing, not even the directory */
            a.creates_output_dir = 1;
        } else if (!ensure_dir("output")) {
            st = psim_error_set(&err, PSIM_ERR_IO, "output", 0, 0, "cannot create the output directory: %s",
                                strerror(errno));
            goto done;
        }
        a.output = default_out;
    }
    st = check_memory(scn, &a, &err);
    if (st != PSIM_OK || a.dry_run)
        goto done;
    cmdline = join_args(full_argc, full_argv);

#ifdef PAINSIM_HAVE_MPI
    /* mpirun -n K painsim run: the blocks split over the ranks, one file
     * written by all of them (painsim/mpi.h); rank 0 prints. */
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
    if (mpi_rank != 0)
        a.quiet = 1;
#endif

    /* threads that would share fewer CPUs: mpirun binds a rank to one core
     * by default (docs/cluster.md), taskset and cgroups narrow it too */
    int cpus = cli_affinity_cpus();
    if (!a.quiet && a.threads > 0 && cpus > 0 && a.threads > cpus)
        fprintf(stderr,
                "painsim: note: --threads %d, but this process may run on %d CPU%s only (its CPU affinity), so "
                "the threads share %s%s\n",
                a.threads, cpus, cpus == 1 ? "" : "s", cpus == 1 ? "it" : "them",
#ifdef PAINSIM_HAVE_MPI
                mpi_size > 1 || getenv("OMPI_COMM_WORLD_SIZE")
                    ? "; mpirun binds each rank to one core unless told otherwise: start it with --bind-to none, or "
                      "--map-by ppr:1:node:PE=N to give each rank N cores (docs/cluster.md)"
                    : ""
#else
                ""
#endif
        );
    cli_progress prog = {.every = a.progress_every,
                         .horizon_days = scn->horizon_days,
                         .n_strategies = scn->n_strategies,
                         .patients = scn->patients,
                         .columns = cli_columns(STDERR_FILENO)};
    cli_progress_setup(&prog, a.progress, a.quiet, isatty(STDERR_FILENO));
    prog.shard_index = a.shard_index;
    prog.shard_count = a.shard_count;
#ifdef PAINSIM_HAVE_MPI
    /* rank 0 reports, and counts its own share of the blocks or iterations */
    prog.rank = mpi_rank;
    prog.ranks = mpi_size;
#endif
    psim_run_options opt = psim_run_options_default();
    opt.threads = a.threads;
    opt.output_path = a.output;
    opt.force = a.force;
    opt.command_line = cmdline;
    opt.progress = cli_progress_update;
    opt.progress_data = &prog;
    opt.cancel = &interrupted;
    opt.notice = on_notice;
    opt.first_block = first_block;
    opt.n_blocks = n_blocks;
    opt.shard_index = a.shard_index - 1;
    opt.shard_count = a.shard_count;
    opt.psa_first_iteration = psa_first;
    opt.psa_iterations = psa_n;
    /* The first Ctrl-C stops the run cleanly (no partial file); a second one,
     * with the default action restored, ends the program at once.  A closed
     * terminal (SIGHUP), Ctrl-\ (SIGQUIT) and a reader of stdout that went
     * away (SIGPIPE) stop it the same way.  After a SIGKILL the next run finds
     * the partial file unlocked and replaces it. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
    for (size_t k = 0; k < sizeof stop_signals / sizeof stop_signals[0]; k++)
        sigaction(stop_signals[k], &sa, NULL);
#ifdef PAINSIM_HAVE_MPI
    if (a.shard_count > 0 && mpi_size > 1) {
        st = psim_error_set(&err, PSIM_ERR_USAGE, NULL, 0, 0,
                            "--shard and MPI ranks are two ways of splitting a run: use one of them");
        goto done;
    }
    if (scn->psa.iterations == 0 && a.shard_count == 0) {
        st = psim_run_shard_range(scn, mpi_rank, mpi_size, &opt.first_block, &opt.n_blocks, &err);
        if (st == PSIM_ERR_USAGE)
            snprintf(err.message, sizeof err.message,
                     "%d MPI ranks, but the cohort of %lld patients has only %lld blocks of %d patients (the unit "
                     "of splitting): use at most that many ranks",
                     mpi_size, (long long)scn->patients, (long long)psim_run_n_blocks(scn), scn->block_size);
        if (st == PSIM_OK)
            st = psim_mpi_sink_create(MPI_COMM_WORLD, a.output, a.force, cmdline, on_notice, NULL, &msink, &err);
        if (st != PSIM_OK)
            goto done;
        msink_if = psim_mpi_sink_get(msink);
        opt.output_path = NULL;
        opt.sinks = &msink_if;
        opt.n_sinks = 1;
    }
    if (scn->psa.iterations > 0 && a.shard_count == 0 && mpi_size > 1) {
        /* the iterations split over the ranks (MODEL.md 7.5) */
        st = psim_psa_split(scn->psa.iterations, mpi_rank, mpi_size, &opt.psa_first_iteration, &opt.psa_iterations,
                            &err);
        if (st == PSIM_ERR_USAGE)
            snprintf(err.message, sizeof err.message,
                     "%d MPI ranks, but the PSA has only %d iterations (the unit of splitting a PSA): use at most "
                     "that many ranks",
                     mpi_size, scn->psa.iterations);
        if (st != PSIM_OK)
            goto done;
    }
#endif
    if (scn->psa.iterations > 0) {
#ifdef PAINSIM_HAVE_MPI
        st = run_psa(scn, &opt, &a, mpi_size, &err);
#else
        st = run_psa(scn, &opt, &a, 1, &err);
#endif
        goto done;
    }
    st = psim_run(scn, &opt, &res, &err);
    cli_progress_finish(&prog);
    if (st != PSIM_OK)
        goto done;
    if (a.shard_count > 0) {
        /* a shard's figures alone would mislead: `painsim merge` gives them */
        if (!a.quiet) {
            double pd = (double)res->patients * scn->horizon_days * scn->n_strategies;
            fprintf(stderr,
                    "painsim: wrote %s: shard %d of %d, patients %lld to %lld (blocks %lld to %lld of %lld) x %d "
                    "strategies x %d days = %.0f patient-days in %.2f s; merge all %d shards with `painsim merge`\n",
                    a.output, a.shard_index, a.shard_count, (long long)(first_block * scn->block_size),
                    (long long)(first_block * scn->block_size + res->patients - 1), (long long)first_block,
                    (long long)(first_block + n_blocks - 1), (long long)psim_run_n_blocks(scn), scn->n_strategies,
                    scn->horizon_days, pd, res->elapsed_seconds, a.shard_count);
        }
        goto done;
    }
    if (mpi_rank != 0)
        goto done; /* rank 0 prints the results of every rank */
    const psim_results *shown = res;
#ifdef PAINSIM_HAVE_MPI
    if (msink)
        shown = psim_mpi_sink_totals(msink); /* every rank's blocks, added on rank 0 */
#endif
    st = psim_report_from_results(shown, scn, &rep, &err);
    if (st != PSIM_OK)
        goto done;
    st = psim_report_print_width(rep, (psim_report_format)a.format, a.wide ? 0 : cli_columns(STDOUT_FILENO), stdout,
                                 &err);
    if (st != PSIM_OK)
        goto done;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        st = psim_error_set(&err, PSIM_ERR_IO, "standard output", 0, 0, "cannot write the summary table: %s",
                            strerror(errno));
        goto done;
    }
    if (!a.quiet) {
        double pd = (double)scn->patients * scn->horizon_days * scn->n_strategies;
        struct rusage ru;
        double peak_mib = getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0.0;
        fprintf(stderr,
                "painsim: wrote %s: %lld patients x %d strategies x %d days = %.0f patient-days "
                "in %.2f s (%.1f M patient-days/s), peak memory %.1f MiB\n",
                a.output, (long long)scn->patients, scn->n_strategies, scn->horizon_days, pd,
                res->elapsed_seconds, res->elapsed_seconds > 0 ? pd / res->elapsed_seconds / 1e6 : 0.0,
                peak_mib);
    }
done:
    if (st != PSIM_OK && mpi_rank == 0)
        cli_print_error(&err);
#ifdef PAINSIM_HAVE_MPI
    psim_mpi_sink_destroy(msink);
#endif
    free(cmdline);
    psim_report_destroy(rep);
    psim_results_destroy(res);
    psim_scenario_destroy(scn);
    return cli_exit_code(st);
}

static int cmd_merge(int argc, char **argv, int full_argc, char **full_argv)
{
    const char *outp = NULL;
    const char **shards = calloc((size_t)argc + 1, sizeof *shards);
    int n = 0, copy = 0, force = 0, quiet = 0, format = PSIM_REPORT_TABLE;
    if (!shards)
        return EXIT_RUNTIME;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(merge_help, stdout);
            free(shards);
            return EXIT_OK;
        } else if (strcmp(arg, "--copy") == 0) {
            copy = 1;
        } else if (strcmp(arg, "--force") == 0) {
            force = 1;
        } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
            quiet = 1;
        } else if (cli_opt_is(arg, "-f") || cli_opt_is(arg, "--format")) {
            const char *v = NULL;
            if (!cli_take_value(argc, argv, &i, "merge", &v)) {
                free(shards);
                return EXIT_INPUT;
            }
            if (strcmp(v, "table") == 0)
                format = PSIM_REPORT_TABLE;
            else if (strcmp(v, "csv") == 0)
                format = PSIM_REPORT_CSV;
            else if (strcmp(v, "json") == 0)
                format = PSIM_REPORT_JSON;
            else {
                free(shards);
                return cli_usage("merge", "--format expects table, csv or json, got '%s'", v);
            }
        } else if (arg[0] == '-' && arg[1] != '\0') {
            free(shards);
            return cli_usage("merge", "unknown option '%s'", arg);
        } else if (!outp) {
            outp = arg;
        } else {
            shards[n++] = arg;
        }
    }
    if (!outp || n == 0) {
        free(shards);
        return cli_usage("merge", "%s", "expected OUT.h5 and at least one SHARD.h5");
    }
    psim_error err;
    psim_error_clear(&err);
    char *cmdline = join_args(full_argc, full_argv);
    psim_merge_options mo = psim_merge_options_default();
    mo.output_path = outp;
    mo.force = force;
    mo.copy = copy;
    mo.command_line = cmdline;
    mo.notice = quiet ? NULL : on_notice;
    psim_results *res = NULL;
    psim_report *rep = NULL;
    psim_psa_sample *smp = NULL;
    psim_psa_analysis *an = NULL;
    char name[PSIM_NAME_MAX];
    psim_status st = psim_merge(shards, n, &mo, &res, &err);
    if (st == PSIM_OK && !res) {
        /* the shards of a PSA run: the tables of the whole sample */
        st = psim_psa_read_h5(outp, &smp, &an, name, &err);
        if (st == PSIM_OK)
            st = psim_psa_print_width(name, smp, an, psa_format(format), cli_columns(STDOUT_FILENO), stdout, &err);
    } else if (st == PSIM_OK) {
        st = psim_report_read_h5(outp, &rep, &err);
        if (st == PSIM_OK)
            st = psim_report_print_width(rep, (psim_report_format)format, cli_columns(STDOUT_FILENO), stdout, &err);
    }
    if (st == PSIM_OK && (fflush(stdout) != 0 || ferror(stdout)))
        st = psim_error_set(&err, PSIM_ERR_IO, "standard output", 0, 0, "cannot write the summary: %s",
                            strerror(errno));
    if (st == PSIM_OK && !quiet && smp)
        fprintf(stderr, "painsim: wrote %s: %d shards, %d PSA iterations x %lld patients (one file, tables copied)\n",
                outp, n, smp->iterations, (long long)smp->patients);
    else if (st == PSIM_OK && !quiet)
        fprintf(stderr, "painsim: wrote %s: %d shards, %lld patients, %s\n", outp, n, (long long)res->patients,
                copy ? "one self-contained file (--copy)" : "per-patient datasets virtual over the shards");
    psim_psa_sample_destroy(smp);
    psim_psa_analysis_destroy(an);
    if (st != PSIM_OK)
        cli_print_error(&err);
    psim_report_destroy(rep);
    psim_results_destroy(res);
    free(cmdline);
    free(shards);
    return cli_exit_code(st);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_help, stderr);
        return EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(main_help, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("painsim %s (model version %s)\n", PAINSIM_VERSION, PSIM_MODEL_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(argv[2], "run") == 0)
            fputs(run_help, stdout);
        else if (argc > 2 && strcmp(argv[2], "validate") == 0)
            fputs(validate_help, stdout);
        else if (argc > 2 && strcmp(argv[2], "merge") == 0)
            fputs(merge_help, stdout);
        else if (argc > 2 && strcmp(argv[2], "summary") == 0)
            painsim_summary_print_help(stdout);
        else if (argc > 2 && strcmp(argv[2], "explain") == 0)
            painsim_explain_print_help(stdout);
        else if (argc > 2 && (strcmp(argv[2], "sweep") == 0 || strcmp(argv[2], "tornado") == 0))
            painsim_sweep_print_help(stdout, strcmp(argv[2], "tornado") == 0);
        else if (argc > 2 && strcmp(argv[2], "calibrate") == 0)
            painsim_calibrate_print_help(stdout);
        else if (argc > 2 && strcmp(argv[2], "report") == 0)
            painsim_report_print_help(stdout);
        else if (argc > 2 && strcmp(argv[2], "help") != 0) {
            fprintf(stderr, "painsim help: no help on '%s' (topics: run, merge, validate, summary, explain, sweep, "
                            "tornado, calibrate, report)\n", argv[2]);
            return EXIT_INPUT;
        } else
            fputs(main_help, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0) {
#ifdef PAINSIM_HAVE_MPI
        /* The writing thread is whichever OpenMP thread runs the writer, one
         * at a time: MPI_THREAD_SERIALIZED. */
        int provided = 0;
        if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
            fprintf(stderr, "painsim: error: MPI_Init_thread failed\n");
            return EXIT_RUNTIME;
        }
        if (provided < MPI_THREAD_SERIALIZED) {
            fprintf(stderr, "painsim: error: this MPI library does not provide MPI_THREAD_SERIALIZED\n");
            MPI_Finalize();
            return EXIT_RUNTIME;
        }
        int rc = cmd_run(argc - 2, argv + 2, argc, argv);
        MPI_Finalize();
        return rc;
#else
        return cmd_run(argc - 2, argv + 2, argc, argv);
#endif
    }
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(argc - 2, argv + 2, argc, argv);
    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(argc - 2, argv + 2);
    if (strcmp(cmd, "summary") == 0)
        return painsim_summary_command(argc - 2, argv + 2);
    if (strcmp(cmd, "calibrate") == 0)
        return painsim_calibrate_command(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0)
        return painsim_report_command(argc - 2, argv + 2);
    if (strcmp(cmd, "explain") == 0)
        return painsim_explain_command(argc - 2, argv + 2);
    if (strcmp(cmd, "sweep") == 0 || strcmp(cmd, "tornado") == 0)
        return painsim_sweep_command(argc - 2, argv + 2, strcmp(cmd, "tornado") == 0, argc, argv);
    fprintf(stderr, "painsim: unknown command '%s' (commands: run, merge, validate, summary, report, explain, sweep, tornado, calibrate, help)\n", cmd);
    return EXIT_INPUT;
}
