/* painsim sweep and painsim tornado: one cohort run per point, common random
 * numbers across the points, results to an HDF5 file and a table or CSV. */
#include "sweep_cmd.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_util.h"
#include "painsim/run.h"
#include "painsim/sweep.h"

static const char sweep_help[] =
    "usage: painsim sweep SCENARIO --param KEY (--values A,B,C | --range LO:HI:N) [options]\n"
    "\n"
    "Run the cohort of SCENARIO once per value of one scenario key and print how\n"
    "each strategy's cost, QALYs, ICER, net monetary benefit, first-session\n"
    "response and mean VAS change.  Every point uses the same seed and patients\n"
    "(common random numbers), so the curve is smooth: neighbouring points differ\n"
    "only through the parameter.  Results go to an HDF5 file (/sweep, see\n"
    "docs/output-format.md) and to stdout as a table (one block per strategy) or\n"
    "CSV.  PSA distributions in the scenario stay at their means (the base case).\n"
    "\n"
    "options:\n"
    "  --param KEY        the scenario key to vary, as --set takes it:\n"
    "                       treatments.botox.p_first, cohort.noise.sd,\n"
    "                       strategies.botox_q4m.schedule.every_days, ...\n"
    "  --values A,B,C     the values (numbers, in the key's unit)\n"
    "  --range LO:HI:N    N evenly spaced values from LO to HI (N >= 2)\n"
    "  --wtp X            willingness to pay of the NMB columns, currency per QALY\n"
    "                     (default: the largest value of economics.wtp)\n"
    "  --days D1,D2,...   days of the mean VAS columns (default 30, 90, 180 and the\n"
    "                     last day, within the horizon)\n"
    "  -o, --output FILE  HDF5 file (default output/<scenario name>-sweep.h5)\n"
    "  --force            overwrite FILE if it exists\n"
    "  -f, --format FMT   table (default) or csv (one row per value and strategy,\n"
    "                     units in the column names)\n"
    "  --patients N       patients per point; --seed S the seed of every point\n"
    "  --set KEY=VALUE    override any scenario value (see `painsim run --help`)\n"
    "  --threads N        worker threads (default: all cores)\n"
    "  -q, --quiet        no progress or messages on stderr\n"
    "  -h, --help         show this help\n"
    "\n"
    "examples:\n"
    "  painsim sweep scenarios/default.yaml --param treatments.botox.p_first --range 0.3:0.8:6\n"
    "  painsim sweep scenarios/default.yaml --param treatments.botox.price.per_unit \\\n"
    "      --values 200,300,380 --patients 2000 --format csv > price.csv\n"
    "\n"
    "exit status: 0 success, 1 failure while running or writing, 2 bad input or\n"
    "usage (nothing is written), 130 interrupted.\n";

static const char tornado_help[] =
    "usage: painsim tornado SCENARIO [options]\n"
    "\n"
    "One-way sensitivity analysis of every uncertain parameter of SCENARIO: the\n"
    "cohort is run at the base case (every distribution at its mean), then with\n"
    "one parameter at a time set to its low and to its high value: the `low` and\n"
    "`high` written beside its distribution in the scenario, else the 2.5% and\n"
    "97.5% points of the distribution.  The bars (the incremental net monetary\n"
    "benefit of one strategy against the reference at the low and the high\n"
    "value) are printed widest first.  Every point uses the same seed and\n"
    "patients (common random numbers).  Results go to an HDF5 file (/sweep, see\n"
    "docs/output-format.md); `painsim report` draws the tornado from it.\n"
    "\n"
    "options:\n"
    "  --strategy S       the strategy whose incremental NMB makes the bars\n"
    "                     (default: the first strategy that is not the reference)\n"
    "  --wtp X            willingness to pay, currency per QALY (default: the largest\n"
    "                     value of economics.wtp)\n"
    "  --days D1,D2,...   days of the mean VAS columns in the file and the CSV\n"
    "  -o, --output FILE  HDF5 file (default output/<scenario name>-tornado.h5)\n"
    "  --force            overwrite FILE if it exists\n"
    "  -f, --format FMT   table (default) or csv (one row per point and strategy)\n"
    "  --patients N       patients per point; --seed S the seed of every point\n"
    "  --set KEY=VALUE    override any scenario value (see `painsim run --help`)\n"
    "  --threads N        worker threads (default: all cores)\n"
    "  -q, --quiet        no progress or messages on stderr\n"
    "  -h, --help         show this help\n"
    "\n"
    "example:\n"
    "  painsim tornado scenarios/psa_default.yaml --patients 2000 --strategy botox_relapse\n"
    "\n"
    "exit status: 0 success, 1 failure while running or writing, 2 bad input or\n"
    "usage (nothing is written), 130 interrupted.\n";

void painsim_sweep_print_help(FILE *fp, int tornado)
{
    fputs(tornado ? tornado_help : sweep_help, fp);
}

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct progress {
    int enabled;
} progress;

static void on_point(void *data, int done, int total)
{
    const progress *p = data;
    if (p->enabled)
        fprintf(stderr, "\rpainsim: point %d of %d done%s", done, total, done == total ? "\n" : "");
}

/* "a,b,c" into values; returns the count or -1. */
static int parse_values(const char *s, double *v, int cap)
{
    int n = 0;
    const char *p = s;
    for (;;) {
        char buf[64];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof buf || n >= cap)
            return -1;
        memcpy(buf, p, len);
        buf[len] = '\0';
        if (!cli_parse_double(buf, &v[n++]))
            return -1;
        p += len;
        if (*p == '\0')
            return n;
        p++;
    }
}

/* "lo:hi:n" into n evenly spaced values. */
static int parse_range(const char *s, double *v, int cap)
{
    char buf[128], *a, *b;
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    a = strchr(buf, ':');
    if (!a)
        return -1;
    *a++ = '\0';
    b = strchr(a, ':');
    if (!b)
        return -1;
    *b++ = '\0';
    double lo, hi;
    unsigned long long n;
    if (!cli_parse_double(buf, &lo) || !cli_parse_double(a, &hi) || !cli_parse_u64(b, &n) || n < 2 ||
        n > (unsigned long long)cap || !(lo < hi))
        return -1;
    for (unsigned long long k = 0; k < n; k++)
        v[k] = k + 1 == n ? hi : lo + (hi - lo) * (double)k / (double)(n - 1);
    return (int)n;
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) * 4 + 3;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
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

int painsim_sweep_command(int argc, char **argv, int tornado, int full_argc, char **full_argv)
{
    const char *cmd = tornado ? "tornado" : "sweep";
    const char *scenario = NULL, *param = NULL, *output = NULL, *strategy = NULL, *days_arg = NULL;
    const char *values_arg = NULL, *range_arg = NULL;
    int force = 0, quiet = 0, threads = 0;
    double wtp = NAN;
    psim_sweep_format fmt = PSIM_SWEEP_TABLE;
    cli_sets sets;
    memset(&sets, 0, sizeof sets);
    char seed_set[64] = "", patients_set[64] = "";
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        unsigned long long n;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            painsim_sweep_print_help(stdout, tornado);
            return CLI_OK;
        } else if (cli_opt_is(arg, "--set")) {
            int rc = cli_take_set(argc, argv, &i, cmd, &sets);
            if (rc >= 0)
                return rc;
        } else if (!tornado && cli_opt_is(arg, "--param")) {
            if (!cli_take_value(argc, argv, &i, cmd, &param))
                return CLI_INPUT;
        } else if (!tornado && cli_opt_is(arg, "--values")) {
            if (!cli_take_value(argc, argv, &i, cmd, &values_arg))
                return CLI_INPUT;
        } else if (!tornado && cli_opt_is(arg, "--range")) {
            if (!cli_take_value(argc, argv, &i, cmd, &range_arg))
                return CLI_INPUT;
        } else if (tornado && cli_opt_is(arg, "--strategy")) {
            if (!cli_take_value(argc, argv, &i, cmd, &strategy))
                return CLI_INPUT;
        } else if (cli_opt_is(arg, "--wtp")) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return CLI_INPUT;
            if (!cli_parse_double(v, &wtp) || wtp < 0.0)
                return cli_usage(cmd, "--wtp expects a willingness to pay >= 0 (currency per QALY), got '%s'", v);
        } else if (cli_opt_is(arg, "--days")) {
            if (!cli_take_value(argc, argv, &i, cmd, &days_arg))
                return CLI_INPUT;
        } else if (cli_opt_is(arg, "-o") || cli_opt_is(arg, "--output")) {
            if (!cli_take_value(argc, argv, &i, cmd, &output))
                return CLI_INPUT;
            if (!*output)
                return cli_usage(cmd, "%s needs a file name", arg);
        } else if (strcmp(arg, "--force") == 0) {
            force = 1;
        } else if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
            quiet = 1;
        } else if (cli_opt_is(arg, "-f") || cli_opt_is(arg, "--format")) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return CLI_INPUT;
            if (strcmp(v, "table") == 0)
                fmt = PSIM_SWEEP_TABLE;
            else if (strcmp(v, "csv") == 0)
                fmt = PSIM_SWEEP_CSV;
            else
                return cli_usage(cmd, "--format expects table or csv, got '%s'", v);
        } else if (cli_opt_is(arg, "--threads")) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return CLI_INPUT;
            if (!cli_parse_u64(v, &n) || n < 1 || n > 1024)
                return cli_usage(cmd, "--threads expects an integer from 1 to 1024, got '%s'", v);
            threads = (int)n;
        } else if (cli_opt_is(arg, "--seed")) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return CLI_INPUT;
            if (!cli_parse_u64(v, &n))
                return cli_usage(cmd, "--seed expects an unsigned 64-bit integer, got '%s'", v);
            snprintf(seed_set, sizeof seed_set, "seed=%llu", n);
        } else if (cli_opt_is(arg, "--patients")) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return CLI_INPUT;
            if (!cli_parse_u64(v, &n) || n < 1 || n > (1ULL << 40))
                return cli_usage(cmd, "--patients expects an integer from 1 to 2^40, got '%s'", v);
            snprintf(patients_set, sizeof patients_set, "patients=%llu", n);
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return cli_usage(cmd, "unknown option '%s'", arg);
        } else if (!scenario) {
            scenario = arg;
        } else {
            return cli_usage(cmd, "unexpected argument '%s' (one scenario file)", arg);
        }
    }
    if (!scenario)
        return cli_usage(cmd, "%s", "missing the SCENARIO file");
    if (seed_set[0])
        sets.set[sets.n++] = seed_set;
    if (patients_set[0])
        sets.set[sets.n++] = patients_set;
    double *values = NULL;
    int n_values = 0;
    if (!tornado) {
        if (!param)
            return cli_usage(cmd, "%s", "missing --param KEY (the scenario key to vary, e.g. treatments.botox.p_first)");
        if (!!values_arg == !!range_arg)
            return cli_usage(cmd, "%s", "give either --values A,B,C or --range LO:HI:N");
        values = malloc(PSIM_SWEEP_MAX_VALUES * sizeof *values);
        if (!values)
            return CLI_RUNTIME;
        n_values = values_arg ? parse_values(values_arg, values, PSIM_SWEEP_MAX_VALUES)
                              : parse_range(range_arg, values, PSIM_SWEEP_MAX_VALUES);
        if (n_values < 0) {
            free(values);
            return values_arg ? cli_usage(cmd, "--values expects numbers separated by commas (at most 1000), got '%s'",
                                          values_arg)
                              : cli_usage(cmd, "--range expects LO:HI:N with LO < HI and 2 <= N <= 1000, got '%s'",
                                          range_arg);
        }
    }

    psim_error err;
    psim_error_clear(&err);
    psim_sweep *sw = NULL;
    psim_scenario *base = NULL, *probe = NULL;
    char *cmdline = NULL;
    char default_out[PSIM_NAME_MAX + 32];
    int days[PSIM_SWEEP_MAX_DAYS], n_days = 0;
    /* check the scenario, the days and the output name before simulating */
    psim_status st = cli_load_scenario(scenario, &sets, &probe, &err);
    if (st != PSIM_OK)
        goto done;
    if (days_arg) {
        n_days = cli_parse_days(days_arg, probe->horizon_days, days, PSIM_SWEEP_MAX_DAYS);
        if (n_days < 0) {
            st = psim_error_set(&err, PSIM_ERR_USAGE, NULL, 0, 0,
                                "--days expects up to %d days from 0 to %d separated by commas, got '%s'",
                                PSIM_SWEEP_MAX_DAYS, probe->horizon_days - 1, days_arg);
            goto done;
        }
    }
    if (!output) {
        snprintf(default_out, sizeof default_out, "output/%s-%s.h5", probe->name, cmd);
        struct stat sb;
        if (stat("output", &sb) != 0 && mkdir("output", 0777) != 0) {
            st = psim_error_set(&err, PSIM_ERR_IO, "output", 0, 0, "cannot create the output directory: %s",
                                strerror(errno));
            goto done;
        }
        output = default_out;
    }
    st = psim_output_check(output, force, &err);
    if (st != PSIM_OK)
        goto done;
    cmdline = join_args(full_argc, full_argv);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    progress prog = {.enabled = !quiet && isatty(STDERR_FILENO)};
    psim_sweep_spec spec = {
        .kind = tornado ? PSIM_SWEEP_TORNADO : PSIM_SWEEP_VALUES,
        .scenario_path = scenario,
        .set = sets.set,
        .n_set = sets.n,
        .param = param,
        .values = values,
        .n_values = n_values,
        .wtp = wtp,
        .outcome_strategy = strategy,
        .days = days_arg ? days : NULL,
        .n_days = n_days,
        .threads = threads,
        .progress = on_point,
        .progress_data = &prog,
        .cancel = &interrupted,
    };
    st = psim_sweep_run(&spec, &sw, &base, &err);
    if (st == PSIM_OK)
        st = psim_sweep_write_h5(output, force, base, cmdline, sw, &err);
    if (st == PSIM_OK)
        st = psim_sweep_print(sw, fmt, stdout, &err);
    if (st == PSIM_OK && !quiet)
        fprintf(stderr, "painsim: wrote %s: %d points x %lld patients x %d strategies in %.2f s\n", output,
                sw->n_points, (long long)sw->patients, sw->n_strategies, sw->elapsed_seconds);
done:
    if (st != PSIM_OK)
        cli_print_error(&err);
    free(values);
    free(cmdline);
    psim_sweep_destroy(sw);
    psim_scenario_destroy(base);
    psim_scenario_destroy(probe);
    return cli_exit_code(st);
}
