/* End-to-end tests of the painsim command: exit statuses, error messages,
 * nothing written on bad input, the output file and its units. */
#include "testutil.h"

TU_SCRATCH_DIR("cli")

/* Run painsim with args in the scratch directory; stdout+stderr into *out. */

#define write_file tu_write_file
#define exists tu_exists

static const char *const small =
    "name: small\n"
    "patients: 500\n"
    "horizon_days: 120\n"
    "block_size: 64\n"
    TU_BOTOX_AND_CARE;

TestSuite(cli, .init = tu_dir_init, .fini = tu_dir_fini);

Test(cli, help_and_version)
{
    char *out;
    cr_assert_eq(tu_painsim("--version", &out), 0);
    cr_assert(strstr(out, "painsim "), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("--help", &out), 0);
    cr_assert(strstr(out, "run SCENARIO") && strstr(out, "validate SCENARIO"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("run --help", &out), 0);
    cr_assert(strstr(out, "--threads") && strstr(out, "--set") && strstr(out, "exit status"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("validate --help", &out), 0);
    free(out);
    cr_assert_eq(tu_painsim("frobnicate", &out), 2);
    free(out);
    cr_assert_eq(tu_painsim("run", &out), 2, "missing scenario is a usage error");
    free(out);
    cr_assert_eq(tu_painsim("run x.yaml --threads zero", &out), 2);
    cr_assert(strstr(out, "--threads"), "%s", out);
    free(out);
}

Test(cli, run_writes_the_file_and_prints_the_table)
{
    write_file("small.yaml", small);
    char *out;
    int rc = tu_painsim("run small.yaml -o small.h5 --quiet", &out);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert(strstr(out, "first-session response"), "%s", out);
    cr_assert(strstr(out, "mean VAS, 1 mo (day 30) (cm)"), "%s", out);
    cr_assert(strstr(out, "observed response, 3 wk (day 21) (%)"), "%s", out);
    free(out);
    cr_assert(exists("small.h5"));
    cr_assert(!exists("small.h5.partial"));

    char path[512];
    snprintf(path, sizeof path, "%s/small.h5", tu_dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0);
    const char *attrs[] = {"painsim_version", "seed", "scenario_name", "created", "command_line"};
    for (size_t k = 0; k < sizeof attrs / sizeof attrs[0]; k++)
        cr_assert(H5Aexists(f, attrs[k]) > 0, "root attribute %s", attrs[k]);
    const char *need[] = {"/time/day", "/cohort/eligible", "/cohort/baseline_vas", "/strategies/botox/vas_mm",
                          "/strategies/botox/events", "/strategies/botox/daily/mean_vas",
                          "/strategies/botox/daily/observed_response", "/strategies/care/vas_mm",
                          "/scenario/text", "/results/first_response", "/results/icer",
                          "/strategies/botox/cost", "/strategies/botox/qaly"};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
        cr_assert(H5Lexists(f, need[k], H5P_DEFAULT) > 0, "dataset %s", need[k]);
    /* a units attribute on every dataset */
    tu_visit *v = tu_datasets(f);
    cr_assert_gt(v->n, 30);
    for (int k = 0; k < v->n; k++)
        cr_assert(H5Aexists_by_name(f, v->names[k], "units", H5P_DEFAULT) > 0, "%s has no units", v->names[k]);
    free(v);
    /* vas_mm: uint8, patients x recorded days, /time/day attached as a scale */
    hid_t d = H5Dopen2(f, "/strategies/botox/vas_mm", H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2];
    cr_assert_eq(H5Sget_simple_extent_dims(sp, dims, NULL), 2);
    cr_assert_eq(dims[0], 500u);
    cr_assert_eq(dims[1], 120u);
    hid_t t = H5Dget_type(d);
    cr_assert(H5Tequal(t, H5T_STD_U8LE) > 0);
    cr_assert(H5Aexists(d, "DIMENSION_LIST") > 0, "dimension scale attached");
    hid_t dcpl = H5Dget_create_plist(d);
    cr_assert_eq(H5Pget_layout(dcpl), H5D_CHUNKED);
    H5Pclose(dcpl);
    H5Tclose(t);
    H5Sclose(sp);
    H5Dclose(d);
    size_t n;
    unsigned char *vas = tu_read_raw(f, "/strategies/care/vas_mm", &n);
    for (size_t i = 0; i < n; i++)
        cr_assert_leq(vas[i], 100);
    free(vas);
    H5Fclose(f);

    /* an existing file is never overwritten without --force */
    struct stat before, after;
    stat(path, &before);
    cr_assert_eq(tu_painsim("run small.yaml -o small.h5 --quiet", &out), 2);
    cr_assert(strstr(out, "--force"), "%s", out);
    free(out);
    stat(path, &after);
    cr_assert_eq(before.st_mtime, after.st_mtime);
    cr_assert_eq(before.st_size, after.st_size);
    cr_assert_eq(tu_painsim("run small.yaml -o small.h5 --quiet --force --seed 7", &out), 0, "%s", out);
    free(out);
}

Test(cli, default_output_goes_to_output_dir)
{
    write_file("small.yaml", small);
    char *out;
    cr_assert_eq(tu_painsim("run small.yaml --quiet --patients 100", &out), 0, "%s", out);
    free(out);
    cr_assert(exists("output/small.h5"));
}

Test(cli, bad_input_exits_2_and_writes_nothing)
{
    write_file("bad.yaml", "name: bad\npatients: 100\nstrategies:\n  - name: x\n    treatment: botox\n"
                           "    schedule: {days: [0, 30]}\n");
    char *out;
    cr_assert_eq(tu_painsim("run bad.yaml -o bad.h5", &out), 2);
    cr_assert(strstr(out, "bad.yaml:6:"), "error names file and line: %s", out);
    cr_assert(strstr(out, "minimum interval"), "%s", out);
    free(out);
    cr_assert(!exists("bad.h5"));
    cr_assert(!exists("bad.h5.partial"));
    cr_assert(!exists("output"));

    write_file("typo.yaml", "name: typo\npatinets: 100\nstrategies: [{name: none, treatment: none}]\n");
    cr_assert_eq(tu_painsim("validate typo.yaml", &out), 2);
    cr_assert(strstr(out, "typo.yaml:2:1:"), "%s", out);
    cr_assert(strstr(out, "patients"), "did you mean: %s", out);
    free(out);

    write_file("empty.yaml", "");
    cr_assert_eq(tu_painsim("run empty.yaml -o e.h5", &out), 2);
    cr_assert(strstr(out, "empty.yaml"), "%s", out);
    free(out);
    cr_assert(!exists("e.h5"));

    cr_assert_eq(tu_painsim("run missing.yaml -o m.h5", &out), 2);
    cr_assert(strstr(out, "missing.yaml"), "%s", out);
    free(out);

    write_file("small.yaml", small);
    cr_assert_eq(tu_painsim("run small.yaml -o s.h5 --set patients=-5", &out), 2);
    cr_assert(strstr(out, "--set patients=-5"), "%s", out);
    free(out);
    cr_assert(!exists("s.h5"));
}

Test(cli, missing_output_directory_exits_2_without_partial_file)
{
    write_file("small.yaml", small);
    char *out;
    cr_assert_eq(tu_painsim("run small.yaml -o no/such/dir/x.h5 --quiet", &out), 2);
    cr_assert(strstr(out, "no/such/dir/x.h5"), "message names the file: %s", out);
    free(out);
    cr_assert(!exists("no/such/dir/x.h5.partial"));
}

Test(cli, summary_reads_a_finished_file)
{
    write_file("small.yaml", small);
    char *run_out, *out;
    cr_assert_eq(tu_painsim("run small.yaml -o small.h5 --quiet", &run_out), 0, "%s", run_out);
    /* the same table as at the end of the run */
    cr_assert_eq(tu_painsim("summary small.h5", &out), 0, "%s", out);
    cr_assert_str_eq(out, run_out);
    cr_assert(strstr(out, "ICER vs reference (RUB/QALY)"), "%s", out);
    free(out);
    free(run_out);
    cr_assert_eq(tu_painsim("summary small.h5 --format json", &out), 0, "%s", out);
    cr_assert(strstr(out, "\"reference\": \"care\"") || strstr(out, "\"reference\":\"care\""), "%s", out);
    cr_assert(strstr(out, "\"incremental\""), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("summary small.h5 --format csv", &out), 0, "%s", out);
    cr_assert(strstr(out, "strategy,treatment"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("summary small.yaml", &out), 2, "a YAML file is not a painsim file: %s", out);
    free(out);
    cr_assert_eq(tu_painsim("summary small.h5 --format xml", &out), 2, "%s", out);
    free(out);
}

Test(cli, validate_output_is_accepted_back_unchanged)
{
    write_file("small.yaml", small);
    char *first, *second;
    cr_assert_eq(tu_painsim("validate small.yaml", &first), 0, "%s", first);
    write_file("resolved.yaml", first);
    cr_assert_eq(tu_painsim("validate resolved.yaml", &second), 0, "%s", second);
    cr_assert_str_eq(first, second);
    cr_assert(strstr(first, "p_first:") && strstr(first, "horizon_days: 120"), "%s", first);
    free(first);
    free(second);
    char *out;
    cr_assert_eq(tu_painsim("run resolved.yaml -o r.h5 --quiet", &out), 0, "%s", out);
    free(out);
    /* the shipped scenarios validate */
    const char *shipped[] = {"default", "foster2001", "jabbari2006", "ney2006", "porta2000"};
    for (size_t k = 0; k < sizeof shipped / sizeof shipped[0]; k++) {
        char args[1024];
        snprintf(args, sizeof args, "validate '%s/scenarios/%s.yaml'", PAINSIM_SOURCE_DIR, shipped[k]);
        cr_assert_eq(tu_painsim(args, &out), 0, "%s: %s", shipped[k], out);
        free(out);
    }
}

/* Seven strategies, as in the default scenario: the table that used to be
 * 199 columns wide. */
static const char *const seven =
    "name: seven\n"
    "patients: 300\n"
    "horizon_days: 200\n"
    "block_size: 64\n"
    "output: {report_days: [45, 100]}\n"
    "strategies:\n"
    "  - {name: botox_q4m, treatment: botox, schedule: {every_days: 120, sessions: 2}}\n"
    "  - {name: botox_responders, treatment: botox, schedule: {every_days: 120, sessions: 2, "
    "continue_if: responded_first}}\n"
    "  - {name: botox_relapse, treatment: botox, schedule: {on_relapse: {threshold: 0.5, max_sessions: 2}}}\n"
    "  - {name: steroid_bupivacaine, treatment: steroid_bupivacaine, schedule: {days: [0, 60]}}\n"
    "  - {name: lidocaine_tpi, treatment: lidocaine_tpi, schedule: {days: [0, 30]}}\n"
    "  - {name: physio, treatment: physio, schedule: {days: [0]}}\n"
    "  - {name: standard_care, treatment: none}\n";

/* The longest line of text, in characters (UTF-8 continuation bytes not counted). */
static int longest_line(const char *text)
{
    int best = 0, cur = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            cur = 0;
            continue;
        }
        if ((*p & 0xC0) != 0x80)
            cur++;
        best = cur > best ? cur : best;
    }
    return best;
}

Test(cli, summary_table_fits_the_terminal_in_panels)
{
    write_file("seven.yaml", seven);
    char *out, *wide;
    cr_assert_eq(tu_painsim("run seven.yaml -o seven.h5 --quiet --wide", &wide), 0, "%s", wide);
    cr_assert_gt(longest_line(wide), 120, "one table: %s", wide);
    cr_assert_null(strstr(wide, "strategies 1-"), "%s", wide);
    /* a narrow terminal (COLUMNS when stdout is not one): panels of strategies, every line fits */
    const int widths[] = {80, 100};
    for (size_t k = 0; k < 2; k++) {
        char args[256];
        snprintf(args, sizeof args, "COLUMNS=%d '%s' summary seven.h5", widths[k], PAINSIM_BIN);
        cr_assert_eq(tu_shell(args, &out), 0, "%s", out);
        cr_assert_leq(longest_line(out), widths[k], "COLUMNS=%d:\n%s", widths[k], out);
        cr_assert(strstr(out, "strategies 1-"), "%s", out);
        const char *names[] = {"botox_q4m", "botox_responders", "botox_relapse", "steroid_bupivacaine",
                               "lidocaine_tpi", "physio", "standard_care"};
        for (size_t s = 0; s < 7; s++)
            cr_assert(strstr(out, names[s]), "%s missing:\n%s", names[s], out);
        /* every row label in every panel */
        const char *p = out;
        int panels = 0;
        while ((p = strstr(p, "\nQALYs per patient, discounted (QALY)")) != NULL) {
            panels++;
            p++;
        }
        cr_assert_gt(panels, 1, "%s", out);
        free(out);
    }
    /* --wide keeps one table at any width; run prints what summary prints */
    char args[256];
    snprintf(args, sizeof args, "COLUMNS=80 '%s' summary seven.h5 --wide", PAINSIM_BIN);
    cr_assert_eq(tu_shell(args, &out), 0, "%s", out);
    cr_assert_str_eq(out, wide);
    free(out);
    snprintf(args, sizeof args, "COLUMNS=90 '%s' run seven.yaml -o seven2.h5 --quiet", PAINSIM_BIN);
    cr_assert_eq(tu_shell(args, &out), 0, "%s", out);
    char *sum;
    snprintf(args, sizeof args, "COLUMNS=90 '%s' summary seven2.h5", PAINSIM_BIN);
    cr_assert_eq(tu_shell(args, &sum), 0, "%s", sum);
    cr_assert_str_eq(out, sum);
    cr_assert_leq(longest_line(out), 90, "%s", out);
    free(sum);
    free(out);
    free(wide);
}

Test(cli, progress_line_fits_the_terminal)
{
    write_file("seven.yaml", seven);
    char *out;
    /* a terminal of 60 columns (script gives the run a pseudo-terminal) */
    char args[512];
    snprintf(args, sizeof args, "COLUMNS=60 script -qec \"stty cols 60 2>/dev/null; '%s' run seven.yaml -o p.h5 "
                                "--patients 20000 --wide > table.txt\" /dev/null",
             PAINSIM_BIN);
    cr_assert_eq(tu_shell(args, &out), 0, "%s", out);
    cr_assert(strstr(out, " s left"), "a progress line: %s", out);
    /* every redraw of the progress line fits (the closing summary line may wrap) */
    char *w = strstr(out, "painsim: wrote");
    if (w)
        *w = '\0';
    cr_assert_leq(longest_line(out), 60, "%s", out);
    free(out);
}

Test(cli, day_labels_and_report_days)
{
    write_file("seven.yaml", seven);
    char *out, *json;
    cr_assert_eq(tu_painsim("run seven.yaml -o seven.h5 --quiet --wide", &out), 0, "%s", out);
    /* a 200-day horizon: the last day is named as such, never "14 mo" */
    cr_assert(strstr(out, "mean VAS, last day (day 199) (cm)"), "%s", out);
    cr_assert_null(strstr(out, "14 mo"), "%s", out);
    cr_assert(strstr(out, "mean VAS, 6 mo (day 183) (cm)"), "%s", out);
    /* output.report_days */
    cr_assert(strstr(out, "\nmean VAS, day 45 (cm)") && strstr(out, "\nobserved response, day 100 (%)"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("summary seven.h5 --format json", &json), 0, "%s", json);
    cr_assert(strstr(json, "\"45\": ") && strstr(json, "\"100\": "), "%s", json);
    free(json);
    cr_assert_eq(tu_painsim("validate seven.yaml", &out), 0, "%s", out);
    cr_assert(strstr(out, "  report_days: [45, 100]\n"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("validate seven.yaml --set 'output.report_days=[100, 45]'", &out), 2);
    cr_assert(strstr(out, "output.report_days[1]") && strstr(out, "increasing"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("validate seven.yaml --set 'output.report_days=[200]'", &out), 2);
    cr_assert(strstr(out, "--set output.report_days=[200]:1:"), "%s", out);
    free(out);
}

Test(cli, run_format_prints_what_summary_prints)
{
    write_file("small.yaml", small);
    const char *fmts[] = {"csv", "json"};
    for (size_t k = 0; k < 2; k++) {
        char args[256];
        char *run_out, *sum_out;
        snprintf(args, sizeof args, "run small.yaml -o s%zu.h5 --quiet --format %s", k, fmts[k]);
        cr_assert_eq(tu_painsim(args, &run_out), 0, "%s", run_out);
        snprintf(args, sizeof args, "summary s%zu.h5 --format %s", k, fmts[k]);
        cr_assert_eq(tu_painsim(args, &sum_out), 0, "%s", sum_out);
        cr_assert_str_eq(run_out, sum_out);
        free(run_out);
        free(sum_out);
    }
    char *out;
    cr_assert_eq(tu_painsim("run small.yaml -o s.h5 --format xml", &out), 2);
    cr_assert(strstr(out, "table, csv or json"), "%s", out);
    free(out);
    cr_assert(!exists("s.h5"));
}

Test(cli, help_topics_and_set_without_equals)
{
    char *out;
    cr_assert_eq(tu_painsim("help frobnicate", &out), 2);
    cr_assert(strstr(out, "no help on 'frobnicate'") && strstr(out, "summary"), "%s", out);
    free(out);
    const char *topics[] = {"run", "validate", "summary", "explain", "sweep", "tornado", "calibrate", "report"};
    for (size_t k = 0; k < 8; k++) {
        char args[64];
        snprintf(args, sizeof args, "help %s", topics[k]);
        cr_assert_eq(tu_painsim(args, &out), 0, "%s", out);
        cr_assert(strstr(out, "usage: painsim"), "%s", out);
        free(out);
    }
    write_file("small.yaml", small);
    cr_assert_eq(tu_painsim("run small.yaml -o s.h5 --set patients 100", &out), 2);
    cr_assert(strstr(out, "write `--set patients=100`"), "%s", out);
    free(out);
    cr_assert(!exists("s.h5"));
    cr_assert_eq(tu_painsim("validate small.yaml --set treatments.botox.p_first", &out), 2);
    cr_assert(strstr(out, "KEY=VALUE"), "%s", out);
    free(out);
}

Test(cli, price_model_is_explained_and_a_package_addressed)
{
    write_file("small.yaml", small);
    char *out;
    /* the built-in's packages are not in the file: they are written out and
     * the one addressed changed, the others kept */
    cr_assert_eq(tu_painsim("validate small.yaml --set 'treatments.botox.price.packages[1].price=20500'", &out), 0,
                 "%s", out);
    cr_assert(strstr(out, "- {units: 50, price: 14900}\n") && strstr(out, "- {units: 100, price: 20500}\n") &&
                  strstr(out, "- {units: 150, price: 29900}\n") && !strstr(out, "price: 19900"),
              "%s", out);
    free(out);
    /* a treatment based on a built-in has the built-in's packages */
    write_file("based.yaml", "name: based\npatients: 100\nhorizon_days: 120\n"
                             "treatments: {cheap: {base: botox, p_first: 0.5}}\n"
                             "strategies: [{name: c, treatment: cheap, schedule: {days: [0]}}]\n");
    cr_assert_eq(tu_painsim("validate based.yaml --set 'treatments.cheap.price.packages[2].units=200'", &out), 0,
                 "%s", out);
    cr_assert(strstr(out, "- {units: 200, price: 29900}\n") && strstr(out, "- {units: 50, price: 14900}\n"), "%s",
              out);
    free(out);
    /* an index past the built-in's list, and a built-in without packages */
    cr_assert_eq(tu_painsim("validate small.yaml --set 'treatments.botox.price.packages[7].price=1'", &out), 2);
    cr_assert(strstr(out, "packages"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("validate small.yaml --set 'treatments.physio.price.packages[0].price=1'", &out), 2);
    cr_assert(strstr(out, "`treatments.physio.price.packages` is not in the scenario file") &&
                  strstr(out, "--set 'treatments.physio.price.packages=[...]'"),
              "%s", out);
    free(out);
    char text[1024];
    snprintf(text, sizeof text, "%s%s", small,
             "treatments:\n  botox:\n    price: {packages: [{units: 50, price: 14900}, {units: 100, price: 19900}]}\n");
    write_file("priced.yaml", text);
    cr_assert_eq(tu_painsim("validate priced.yaml --set 'treatments.botox.price.packages[1].price=20500'", &out), 0,
                 "%s", out);
    cr_assert(strstr(out, "- {units: 100, price: 20500}"), "%s", out);
    cr_assert(strstr(out, "# price model packages: the cheapest cover of each dose by the packages"), "%s", out);
    free(out);
    /* per_unit under the packages model prices single units only: said beside it */
    cr_assert_eq(tu_painsim("validate small.yaml --set treatments.botox.price.model=per_unit", &out), 0, "%s", out);
    cr_assert(strstr(out, "# price model per_unit: per_unit x the dose"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("validate priced.yaml --set 'treatments.botox.price.packages[x].price=1'", &out), 2);
    cr_assert(strstr(out, "[index]"), "%s", out);
    free(out);
}

Test(cli, validate_explain_gives_unit_range_and_source)
{
    char *out, *plain, *back;
    char args[1024];
    snprintf(args, sizeof args, "validate '%s/scenarios/default.yaml' --explain", PAINSIM_SOURCE_DIR);
    cr_assert_eq(tu_painsim(args, &out), 0, "%s", out);
    cr_assert(strstr(out, "\nhorizon_days: 426  # days, 1 to 36525; [src: Jabbari 2006"), "%s", out);
    cr_assert(strstr(out, "    p_first: 0.55  # probability, [0, 1]: P(R_1 = 1), response to the first session; "
                          "[calibrated to src: Jabbari 2006, 53% at 3 wk]"),
              "%s", out);
    cr_assert(strstr(out, "  myofascial: 0.95  # probability, [0, 1]; [src: 95%"), "%s", out);
    cr_assert(strstr(out, "    slope_per_cm: -0.041  # utility per cm of VAS; [src: EQ-5D-3L"), "%s", out);
    cr_assert(strstr(out, "        threshold: 0.5  # fraction of baseline VAS"), "%s", out);
    /* every value of the cohort and the economics has its comment */
    const char *sections[] = {"\ncohort:\n", "\neconomics:\n"};
    for (size_t k = 0; k < 2; k++) {
        const char *p = strstr(out, sections[k]);
        cr_assert(p, "%s", out);
        p += strlen(sections[k]);
        while (*p == ' ') {
            const char *e = strchr(p, '\n');
            cr_assert(e);
            const char *colon = memchr(p, ':', (size_t)(e - p));
            int is_value = colon && colon + 1 < e;
            if (is_value)
            {
                char line[1024];
                snprintf(line, sizeof line, "%.*s", (int)(e - p), p);
                cr_assert(strstr(line, "  # "), "no comment: %s", line);
            }
            p = e + 1;
        }
    }
    /* the text loads back to the same scenario */
    write_file("explained.yaml", out);
    cr_assert_eq(tu_painsim("validate explained.yaml", &back), 0, "%s", back);
    snprintf(args, sizeof args, "validate '%s/scenarios/default.yaml'", PAINSIM_SOURCE_DIR);
    cr_assert_eq(tu_painsim(args, &plain), 0, "%s", plain);
    cr_assert_str_eq(back, plain);
    free(out);
    free(back);
    free(plain);
    /* a value changed from the built-in default is marked as such */
    snprintf(args, sizeof args, "validate '%s/scenarios/default.yaml' --explain --set treatments.botox.p_first=0.7",
             PAINSIM_SOURCE_DIR);
    cr_assert_eq(tu_painsim(args, &out), 0, "%s", out);
    cr_assert(strstr(out, "    p_first: 0.7  # probability, [0, 1]: P(R_1 = 1), response to the first session; "
                          "[set in this scenario]"),
              "%s", out);
    free(out);
}

/* docs/model.md's worked example runs as written: the Python block against
 * the default scenario's file prints the figures the text quotes.  Debian's
 * interpreter (/usr/bin/python3, with python3-h5py from setup.sh), not
 * whatever python3 comes first on the PATH. */
Test(cli, worked_example_of_the_model_docs_runs)
{
    char *out;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "'%s' run '%s/scenarios/default.yaml' --quiet --wide > table.txt && "
             "/usr/bin/python3 -c \"import re; s = open('%s/docs/model.md').read(); "
             "s = s[s.index('## 8. A worked example'):]; "
             "open('example.py', 'w').write(re.search(r'\\x60\\x60\\x60python\\n(.*?)\\x60\\x60\\x60', s, re.S).group(1))\" && "
             "/usr/bin/python3 example.py && grep 'cost per patient' table.txt",
             PAINSIM_BIN, PAINSIM_SOURCE_DIR, PAINSIM_SOURCE_DIR);
    cr_assert_eq(tu_shell(cmd, &out), 0, "/usr/bin/python3 with python3-h5py (setup.sh installs it) must run the example: %s", out);
    cr_assert(strstr(out, "134022 (SE 726)") && strstr(out, "ICER 1413455 RUB/QALY"), "%s", out);
    cr_assert(strstr(out, "134022 (726)"), "the table's figure: %s", out);
    free(out);
}

/* Progress for batch logs: stderr is a file here, not a terminal. */
Test(cli, progress_lines_and_json_for_batch_logs)
{
    write_file("small.yaml", small);
    char *out;
    /* the default off a terminal: lines at most every 60 s, so none in a short run */
    cr_assert_eq(tu_painsim("run small.yaml -o quiet.h5 > /dev/null", &out), 0, "%s", out);
    cr_assert(!strstr(out, "progress"), "%s", out);
    cr_assert(strstr(out, "painsim: wrote"), "%s", out);
    free(out);
    /* lines after every batch of blocks: the last one at 100% */
    cr_assert_eq(tu_painsim("run small.yaml -o lines.h5 --patients 3000 --threads 1 --progress lines "
                         "--progress-every 0 > /dev/null",
                         &out),
                 0, "%s", out);
    cr_assert(strstr(out, "painsim: progress 100.0%: 3000/3000 patients in "), "%s", out);
    cr_assert(strstr(out, " M patient-days/s, 0 s left"), "%s", out);
    cr_assert(!strchr(out, '\r'), "no carriage returns in a log: %s", out);
    free(out);
    /* JSON lines: every one parses, done grows to the total, the keys are there */
    cr_assert_eq(tu_painsim("run small.yaml -o json.h5 --patients 3000 --threads 1 --progress=json "
                         "--progress-every 0 > /dev/null 2> prog.jsonl",
                         &out),
                 0, "%s", out);
    free(out);
    const char *check =
        "/usr/bin/python3 -c \"import json\n"
        "rows = [json.loads(l) for l in open('prog.jsonl') if l.startswith('{')]\n"
        "assert len(rows) >= 3, rows\n"
        "assert all(r['event'] == 'progress' and r['unit'] == 'patients' and r['total'] == 3000 for r in rows)\n"
        "assert [r['done'] for r in rows] == sorted(r['done'] for r in rows)\n"
        "assert rows[-1]['done'] == 3000 and rows[-1]['eta_s'] == 0 and rows[-1]['fraction'] == 1\n"
        "assert all(r['rate_per_s'] >= 0 and r['patient_days_per_s'] >= 0 and r['elapsed_s'] >= 0 for r in rows)\n"
        "print('ok', len(rows))\"";
    cr_assert_eq(tu_shell(check, &out), 0, "%s", out);
    free(out);
    /* a PSA run counts iterations */
    cr_assert_eq(tu_painsim("run small.yaml -o psa.h5 --patients 200 --psa 5 --threads 1 --progress json "
                         "--set 'treatments.botox.p_first={dist: beta, alpha: 40, beta: 35}' "
                         "--progress-every 0 > /dev/null 2> psa.jsonl",
                         &out),
                 0, "%s", out);
    free(out);
    cr_assert_eq(tu_shell("/usr/bin/python3 -c \"import json\n"
                          "rows = [json.loads(l) for l in open('psa.jsonl') if l.startswith('{')]\n"
                          "assert rows[-1]['unit'] == 'iterations' and rows[-1]['done'] == 5 == rows[-1]['total'], rows\"",
                          &out),
                 0, "%s", out);
    free(out);
    /* none, and quiet, print nothing */
    cr_assert_eq(tu_painsim("run small.yaml -o none.h5 --progress none --progress-every 0 -q > /dev/null", &out), 0);
    cr_assert_eq(out[0], '\0', "%s", out);
    free(out);
    /* bad values are usage errors */
    cr_assert_eq(tu_painsim("run small.yaml -o bad.h5 --progress fancy", &out), 2);
    cr_assert(strstr(out, "--progress expects bar, lines, json or none"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("run small.yaml -o bad.h5 --progress-every -1", &out), 2);
    cr_assert(strstr(out, "--progress-every expects seconds"), "%s", out);
    free(out);
    cr_assert(!exists("bad.h5"));
}

Test(cli, threads_beyond_the_cpu_affinity_are_noted)
{
    write_file("small.yaml", small);
    char *out, cmd[1024];
    /* bound to one CPU (as mpirun binds a rank by default), two threads share it */
    snprintf(cmd, sizeof cmd, "taskset -c 0 '%s' run small.yaml -o a.h5 --threads 2 > /dev/null", PAINSIM_BIN);
    cr_assert_eq(tu_shell(cmd, &out), 0, "%s", out);
    cr_assert(strstr(out, "painsim: note: --threads 2, but this process may run on 1 CPU only (its CPU affinity)"),
              "%s", out);
    free(out);
    /* one thread on one CPU, or -q: nothing to say */
    snprintf(cmd, sizeof cmd, "taskset -c 0 '%s' run small.yaml -o b.h5 --threads 1 > /dev/null", PAINSIM_BIN);
    cr_assert_eq(tu_shell(cmd, &out), 0, "%s", out);
    cr_assert(!strstr(out, "note:"), "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "taskset -c 0 '%s' run small.yaml -o c.h5 --threads 2 -q > /dev/null", PAINSIM_BIN);
    cr_assert_eq(tu_shell(cmd, &out), 0, "%s", out);
    cr_assert(!strstr(out, "note:"), "%s", out);
    free(out);
}
