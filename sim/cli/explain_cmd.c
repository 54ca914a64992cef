/* painsim explain: one patient's story under one strategy. */
#include "explain_cmd.h"

#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "painsim/story.h"

static const char explain_help[] =
    "usage: painsim explain SCENARIO --patient N [--strategy S] [options]\n"
    "\n"
    "Tell one patient's story: the baseline drawn for patient N of SCENARIO (pain,\n"
    "lumbar levels, myofascial pain, contraindications, aspirin), whether the\n"
    "patient is eligible for injections and why, every session of strategy S\n"
    "(day, probability and latent response, relief, how long the full effect\n"
    "lasts, dose, costs, adverse events, the observed response), the effect and\n"
    "VAS on key days, and the patient's discounted cost and QALYs.\n"
    "\n"
    "Nothing is written and nothing else is simulated: every random number is\n"
    "keyed by (seed, patient, purpose), so the story is exactly row N of the file\n"
    "`painsim run SCENARIO` writes (/cohort/*[N], /strategies/S/*[N]), whatever\n"
    "the cohort size or thread count.\n"
    "\n"
    "options:\n"
    "  --patient N        the patient, 0 to patients - 1 (the row in /cohort); required\n"
    "  --strategy S       strategy name or 0-based index (default: the first strategy)\n"
    "  --days D1,D2,...   days of the effect and VAS section (default 0, 21, 30, 56,\n"
    "                     60, 90, 120, 180, 365 and the last day, within the horizon)\n"
    "  -f, --format FMT   text (default) or json (every number at full precision,\n"
    "                     the VAS and effect of every day; keys in docs/model.md)\n"
    "  --set KEY=VALUE    override a scenario value (see `painsim run --help`)\n"
    "  -h, --help         show this help\n"
    "\n"
    "examples:\n"
    "  painsim explain scenarios/default.yaml --patient 17 --strategy botox_relapse\n"
    "  painsim explain scenarios/default.yaml --patient 17 --strategy 0 --format json\n"
    "\n"
    "exit status: 0 success, 2 bad input or usage (such as a patient outside the\n"
    "cohort or an unknown strategy), 1 failure while writing.\n";

void painsim_explain_print_help(FILE *fp)
{
    fputs(explain_help, fp);
}

int painsim_explain_command(int argc, char **argv)
{
    static const char *cmd = "explain";
    const char *scenario = NULL, *strategy = NULL, *days_arg = NULL;
    long long patient = -1;
    psim_story_format fmt = PSIM_STORY_TEXT;
    cli_sets sets;
    memset(&sets, 0, sizeof sets);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(explain_help, stdout);
            return CLI_OK;
        } else if (cli_opt_is(arg, "--set")) {
            int rc = cli_take_set(argc, argv, &i, cmd, &sets);
            if (rc >= 0)
                return rc;
        } else if (cli_opt_is(arg, "--patient")) {
            unsigned long long n;
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return CLI_INPUT;
            if (!cli_parse_u64(v, &n) || n > (1ULL << 40))
                return cli_usage(cmd, "--patient expects a patient number from 0 (the row in /cohort), got '%s'", v);
            patient = (long long)n;
        } else if (cli_opt_is(arg, "--strategy")) {
            if (!cli_take_value(argc, argv, &i, cmd, &strategy))
                return CLI_INPUT;
        } else if (cli_opt_is(arg, "--days")) {
            if (!cli_take_value(argc, argv, &i, cmd, &days_arg))
                return CLI_INPUT;
        } else if (cli_opt_is(arg, "-f") || cli_opt_is(arg, "--format")) {
            if (!cli_take_value(argc, argv, &i, cmd, &v))
                return CLI_INPUT;
            if (strcmp(v, "text") == 0)
                fmt = PSIM_STORY_TEXT;
            else if (strcmp(v, "json") == 0)
                fmt = PSIM_STORY_JSON;
            else
                return cli_usage(cmd, "--format expects text or json, got '%s'", v);
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
    if (patient < 0)
        return cli_usage(cmd, "%s", "missing --patient N (which patient, 0 to patients - 1)");

    psim_error err;
    psim_error_clear(&err);
    psim_scenario *scn = NULL;
    psim_story *story = NULL;
    int days[64], n_days = 0, *dp = NULL;
    psim_status st = cli_load_scenario(scenario, &sets, &scn, &err);
    if (st != PSIM_OK)
        goto done;
    int s = 0;
    if (strategy) {
        s = cli_find_strategy(scn, strategy);
        if (s < 0) {
            char names[2048];
            size_t o = 0;
            names[0] = '\0';
            for (int k = 0; k < scn->n_strategies && o < sizeof names; k++)
                o += (size_t)snprintf(names + o, sizeof names - o, "%s%s", k ? ", " : "", scn->strategies[k].name);
            st = psim_error_set(&err, PSIM_ERR_USAGE, NULL, 0, 0, "no strategy `%s` in `%s` (strategies: %s)",
                                strategy, scn->name, names);
            goto done;
        }
    }
    if (days_arg) {
        n_days = cli_parse_days(days_arg, scn->horizon_days, days, 64);
        if (n_days < 0) {
            st = psim_error_set(&err, PSIM_ERR_USAGE, NULL, 0, 0,
                                "--days expects up to 64 days from 0 to %d separated by commas, got '%s'",
                                scn->horizon_days - 1, days_arg);
            goto done;
        }
        dp = days;
    }
    st = psim_story_make(scn, s, (int64_t)patient, &story, &err);
    if (st == PSIM_OK)
        st = psim_story_print(scn, story, fmt, dp, n_days, stdout, &err);
done:
    if (st != PSIM_OK)
        cli_print_error(&err);
    psim_story_destroy(story);
    psim_scenario_destroy(scn);
    return cli_exit_code(st);
}
