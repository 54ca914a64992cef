/* `painsim calibrate SCENARIO --targets TARGETS.yaml`: fit parameters to
 * published figures (painsim/calibrate.h). */
#include "calibrate_cmd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_util.h"
#include "painsim/calibrate.h"
#include "painsim/run.h"

/* the command name in usage messages (cli_usage) */
static const char cmd[] = "calibrate";

static const char help[] =
    "usage: painsim calibrate SCENARIO --targets TARGETS.yaml [options]\n"
    "\n"
    "Fit the parameters named in TARGETS.yaml to the published figures listed\n"
    "there (docs/calibration.md describes the file).  Every evaluation runs the\n"
    "scenarios with the same seed and cohort (common random numbers), so the\n"
    "deviance changes only with the parameters.  Prints the fitted values, the\n"
    "deviance and each target's figure against the model with its z; then an\n"
    "approximate posterior by incremental mixture importance sampling (IMIS)\n"
    "from the uniform prior on the parameters' bounds.\n"
    "\n"
    "  SCENARIO           the scenario that targets and parameters refer to when\n"
    "                     they name none (more scenarios: `scenarios:` in TARGETS)\n"
    "\n"
    "options:\n"
    "  --targets FILE     the targets file (required)\n"
    "  -o, --output FILE  write the posterior draws as CSV (a header of parameter\n"
    "                     names, one equally weighted draw per row); a PSA\n"
    "                     scenario can use a column as {dist: empirical, file: FILE,\n"
    "                     column: NAME}\n"
    "  --patients N       patients per scenario and evaluation (default: the\n"
    "                     file's calibration.patients, else 2000)\n"
    "  --starts N         Nelder-Mead starts, 1-16 (default: the file's, else 3)\n"
    "  --no-posterior     fit only (no IMIS)\n"
    "  --evaluate         no fit: the targets at each parameter's `start` (default\n"
    "                     the middle of its bounds), to check a parameter set against\n"
    "                     the figures or predict figures that were not fitted\n"
    "  --threads N        worker threads (default: all cores, or OMP_NUM_THREADS)\n"
    "  --force            overwrite FILE if it exists\n"
    "  -q, --quiet        no progress messages on stderr\n"
    "  -h, --help         show this help\n"
    "\n"
    "example:\n"
    "  painsim calibrate scenarios/foster2001.yaml --targets scenarios/targets/botox.yaml \\\n"
    "      -o output/botox_posterior.csv\n"
    "\n"
    "exit status: 0 success, 1 failure while running, 2 bad input or usage.\n";

void painsim_calibrate_print_help(FILE *fp) { fputs(help, fp); }

static int fail(const psim_error *err)
{
    cli_print_error(err);
    return cli_exit_code(err->code);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

static void on_start(void *data, int start, int starts, double deviance, int evaluations)
{
    (void)data;
    fprintf(stderr, "painsim calibrate: start %d of %d: deviance %.4f after %d evaluations\n", start + 1, starts,
            deviance, evaluations);
}

static const char *unit_of(const psim_calib_param *p) { return p->unit[0] ? p->unit : "-"; }

int painsim_calibrate_command(int argc, char **argv)
{
    const char *scenario = NULL, *targets = NULL, *output = NULL;
    long patients = 0, starts = 0, threads = 0;
    int force = 0, quiet = 0, posterior = 1, evaluate = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            return 0;
        }
        int has_value = strcmp(a, "--targets") == 0 || strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
                        strcmp(a, "--patients") == 0 || strcmp(a, "--starts") == 0 || strcmp(a, "--threads") == 0;
        if (has_value) {
            if (i + 1 >= argc)
                return cli_usage(cmd, "%s needs a value", a);
            const char *v = argv[++i];
            if (strcmp(a, "--targets") == 0)
                targets = v;
            else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0)
                output = v;
            else if (strcmp(a, "--patients") == 0 && !parse_long(v, 1, 100000000, &patients))
                return cli_usage(cmd, "--patients: expected a whole number of patients in [1, 100000000], got '%s'", v);
            else if (strcmp(a, "--starts") == 0 && !parse_long(v, 1, 16, &starts))
                return cli_usage(cmd, "--starts: expected a number of starts in [1, 16], got '%s'", v);
            else if (strcmp(a, "--threads") == 0 && !parse_long(v, 1, 4096, &threads))
                return cli_usage(cmd, "--threads: expected a number of threads in [1, 4096], got '%s'", v);
        } else if (strcmp(a, "--force") == 0) {
            force = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--no-posterior") == 0) {
            posterior = 0;
        } else if (strcmp(a, "--evaluate") == 0) {
            evaluate = 1;
            posterior = 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage(cmd, "unknown option '%s'", a);
        } else if (!scenario) {
            scenario = a;
        } else {
            return cli_usage(cmd, "one scenario only, got a second one: '%s'", a);
        }
    }
    if (!scenario)
        return cli_usage(cmd, "%s", "missing SCENARIO");
    if (!targets)
        return cli_usage(cmd, "%s", "missing --targets TARGETS.yaml");

    psim_error err;
    psim_error_clear(&err);
    if (output) {
        psim_status st = psim_output_check(output, force, &err);
        if (st != PSIM_OK)
            return fail(&err);
    }
    psim_calib *c = NULL;
    if (psim_calib_load(scenario, targets, &c, &err) != PSIM_OK)
        return fail(&err);
    psim_calib_settings *cs = psim_calib_settings_of(c);
    if (patients)
        cs->patients = patients;
    if (starts)
        cs->starts = (int)starts;
    cs->threads = (int)threads;
    if (!posterior)
        cs->prior_samples = 0;
    int rc = 0;
    psim_calib_fit fit;
    psim_calib_posterior post;
    memset(&post, 0, sizeof post);
    const int np = psim_calib_n_params(c), nt = psim_calib_n_targets(c);
    if (!quiet)
        fprintf(stderr, "painsim calibrate: %d parameters, %d targets, %d scenarios, %lld patients per scenario "
                        "and evaluation, %d starts\n",
                np, nt, psim_calib_n_scenarios(c), (long long)cs->patients, cs->starts);
    if (evaluate) {
        memset(&fit, 0, sizeof fit);
        for (int p = 0; p < np; p++) {
            fit.theta[p] = psim_calib_param_at(c, p)->start;
            fit.se[p] = NAN;
        }
        if (psim_calib_evaluate(c, fit.theta, &fit.deviance, fit.model, fit.model_se, fit.z, &err) != PSIM_OK) {
            rc = fail(&err);
            goto done;
        }
        fit.evaluations = 1;
        for (int t = 0; t < nt; t++) {
            const psim_calib_target *tg = psim_calib_target_at(c, t);
            double p = fit.model[t] < 1e-9 ? 1e-9 : (fit.model[t] > 1 - 1e-9 ? 1 - 1e-9 : fit.model[t]);
            double k = tg->count, m = tg->n;
            fit.target_deviance[t] = !tg->binomial ? fit.z[t] * fit.z[t]
                                     : 2.0 * ((k > 0 ? k * log(k / (m * p)) : 0.0) +
                                              (m - k > 0 ? (m - k) * log((m - k) / (m * (1 - p))) : 0.0));
        }
    } else if (psim_calib_run_fit(c, &fit, quiet ? NULL : on_start, NULL, &err) != PSIM_OK) {
        rc = fail(&err);
        goto done;
    }
    printf("Calibration of %s to %s: %d targets, %lld patients per scenario (common random numbers)\n", scenario,
           targets, nt, (long long)cs->patients);
    if (evaluate)
        printf("\nParameters (evaluated at their starts, no fit)\n");
    else
        printf("\nFitted parameters (best of %d Nelder-Mead starts, %d evaluations)\n", fit.starts, fit.evaluations);
    printf("  %-28s %14s %12s %12s %12s  %s\n", "parameter", "fitted", "SE", "min", "max", "unit");
    for (int p = 0; p < np; p++) {
        const psim_calib_param *q = psim_calib_param_at(c, p);
        printf("  %-28s %14.6g %12.4g %12.6g %12.6g  %s\n", q->name, fit.theta[p], fit.se[p], q->lo, q->hi,
               unit_of(q));
    }
    if (!evaluate)
        printf("  (SE: from the curvature of the deviance at the fit, sqrt(diag(2 H^-1)); nan: the\n"
               "  deviance is not curved upwards there, the parameter is not identified by these targets)\n");
    printf("\nDeviance %.4f over %d targets\n", fit.deviance, nt);
    if (!evaluate)
        printf("\nStarts\n");
    for (int k = 0; k < fit.starts; k++) {
        printf("  %2d  deviance %10.4f  (%d evaluations)  ", k + 1, fit.start_deviance[k], fit.start_evaluations[k]);
        for (int p = 0; p < np; p++)
            printf("%s%s %.5g", p ? ", " : "", psim_calib_param_at(c, p)->name, fit.start_theta[k][p]);
        printf("\n");
    }
    printf("\nTargets: published figure, model at %s (Monte Carlo SE), z = (model - figure) / SE of the figure\n",
           evaluate ? "the starts" : "the fit");
    printf("  %-44s %-18s %-8s %10s %18s %8s %9s\n", "target", "quantity", "day", "figure", "model (MC SE)", "z",
           "deviance");
    for (int t = 0; t < nt; t++) {
        const psim_calib_target *tg = psim_calib_target_at(c, t);
        char fig[48], mod[48], day[16];
        int pct = tg->binomial;
        if (pct)
            snprintf(fig, sizeof fig, "%.1f%% (%g/%g)", 100 * tg->count / tg->n, tg->count, tg->n);
        else
            snprintf(fig, sizeof fig, "%.2f cm", tg->mean);
        if (pct)
            snprintf(mod, sizeof mod, "%.1f%% (%.1f)", 100 * fit.model[t], 100 * fit.model_se[t]);
        else
            snprintf(mod, sizeof mod, "%.2f cm (%.3f)", fit.model[t], fit.model_se[t]);
        if (tg->quantity == PSIM_TARGET_OBSERVED_RESPONSE || tg->quantity == PSIM_TARGET_MEAN_VAS)
            snprintf(day, sizeof day, "%d", tg->day);
        else
            snprintf(day, sizeof day, "-");
        printf("  %-44.44s %-18s %-8s %10s %18s %8.2f %9.3f\n", tg->name, psim_calib_quantity_name(tg->quantity),
               day, fig, mod, fit.z[t], fit.target_deviance[t]);
    }
    fflush(stdout);
    if (cs->prior_samples > 0) {
        if (!quiet)
            fprintf(stderr, "painsim calibrate: IMIS posterior: %d prior samples + %d rounds x %d\n",
                    cs->prior_samples, cs->imis_rounds, cs->imis_batch);
        if (psim_calib_run_posterior(c, &post, &err) != PSIM_OK) {
            rc = fail(&err);
            goto done;
        }
        printf("\nApproximate posterior (IMIS from the uniform prior on [min, max], likelihood exp(-deviance/2);\n"
               "%d evaluations, effective sample size %.1f, %d draws resampled)\n",
               post.evaluations, post.ess, post.n_draws);
        printf("  %-28s %14s %12s %12s %12s  %s\n", "parameter", "mean", "sd", "2.5%", "97.5%", "unit");
        for (int p = 0; p < np; p++) {
            const psim_calib_param *q = psim_calib_param_at(c, p);
            printf("  %-28s %14.6g %12.4g %12.6g %12.6g  %s\n", q->name, post.mean[p], post.sd[p], post.q025[p],
                   post.q975[p], unit_of(q));
        }
        if (output) {
            if (psim_calib_write_draws_file(c, &post, output, force, &err) != PSIM_OK) {
                rc = fail(&err);
                goto done;
            }
            if (!quiet)
                fprintf(stderr, "painsim calibrate: wrote %d posterior draws to %s\n", post.n_draws, output);
        }
    } else if (output) {
        fprintf(stderr, "painsim calibrate: no posterior (--no-posterior or prior_samples 0): %s not written\n",
                output);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "painsim: error: cannot write to standard output\n");
        rc = 1;
    }
done:
    psim_calib_posterior_free(&post);
    psim_calib_destroy(c);
    return rc;
}
