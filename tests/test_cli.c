/* End-to-end tests of the painsim command: exit statuses, error messages,
 * nothing written on bad input, the output file and its units. */
#include "testutil.h"

static void setup_dir(void)
{
    tu_dir_make("cli");
}

static void teardown_dir(void)
{
    tu_dir_remove();
}

/* Run painsim with args in the scratch directory; stdout+stderr into *out. */
static int painsim(const char *args, char **out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s", PAINSIM_BIN, args);
    return tu_shell(cmd, out);
}

#define write_file tu_write_file
#define exists tu_exists

static const char *const small =
    "name: small\n"
    "patients: 500\n"
    "horizon_days: 120\n"
    "block_size: 64\n"
    "strategies:\n"
    "  - name: botox\n"
    "    treatment: botox\n"
    "    schedule: {days: [0, 90]}\n"
    "  - name: care\n"
    "    treatment: none\n";

TestSuite(cli, .init = setup_dir, .fini = teardown_dir);

Test(cli, help_and_version)
{
    char *out;
    cr_assert_eq(painsim("--version", &out), 0);
    cr_assert(strstr(out, "painsim "), "%s", out);
    free(out);
    cr_assert_eq(painsim("--help", &out), 0);
    cr_assert(strstr(out, "run SCENARIO") && strstr(out, "validate SCENARIO"), "%s", out);
    free(out);
    cr_assert_eq(painsim("run --help", &out), 0);
    cr_assert(strstr(out, "--threads") && strstr(out, "--set") && strstr(out, "exit status"), "%s", out);
    free(out);
    cr_assert_eq(painsim("validate --help", &out), 0);
    free(out);
    cr_assert_eq(painsim("frobnicate", &out), 2);
    free(out);
    cr_assert_eq(painsim("run", &out), 2, "missing scenario is a usage error");
    free(out);
    cr_assert_eq(painsim("run x.yaml --threads zero", &out), 2);
    cr_assert(strstr(out, "--threads"), "%s", out);
    free(out);
}

Test(cli, run_writes_the_file_and_prints_the_table)
{
    write_file("small.yaml", small);
    char *out;
    int rc = painsim("run small.yaml -o small.h5 --quiet", &out);
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
    cr_assert_eq(painsim("run small.yaml -o small.h5 --quiet", &out), 2);
    cr_assert(strstr(out, "--force"), "%s", out);
    free(out);
    stat(path, &after);
    cr_assert_eq(before.st_mtime, after.st_mtime);
    cr_assert_eq(before.st_size, after.st_size);
    cr_assert_eq(painsim("run small.yaml -o small.h5 --quiet --force --seed 7", &out), 0, "%s", out);
    free(out);
}

Test(cli, default_output_goes_to_output_dir)
{
    write_file("small.yaml", small);
    char *out;
    cr_assert_eq(painsim("run small.yaml --quiet --patients 100", &out), 0, "%s", out);
    free(out);
    cr_assert(exists("output/small.h5"));
}

Test(cli, bad_input_exits_2_and_writes_nothing)
{
    write_file("bad.yaml", "name: bad\npatients: 100\nstrategies:\n  - name: x\n    treatment: botox\n"
                           "    schedule: {days: [0, 30]}\n");
    char *out;
    cr_assert_eq(painsim("run bad.yaml -o bad.h5", &out), 2);
    cr_assert(strstr(out, "bad.yaml:6:"), "error names file and line: %s", out);
    cr_assert(strstr(out, "minimum interval"), "%s", out);
    free(out);
    cr_assert(!exists("bad.h5"));
    cr_assert(!exists("bad.h5.partial"));
    cr_assert(!exists("output"));

    write_file("typo.yaml", "name: typo\npatinets: 100\nstrategies: [{name: none, treatment: none}]\n");
    cr_assert_eq(painsim("validate typo.yaml", &out), 2);
    cr_assert(strstr(out, "typo.yaml:2:1:"), "%s", out);
    cr_assert(strstr(out, "patients"), "did you mean: %s", out);
    free(out);

    write_file("empty.yaml", "");
    cr_assert_eq(painsim("run empty.yaml -o e.h5", &out), 2);
    cr_assert(strstr(out, "empty.yaml"), "%s", out);
    free(out);
    cr_assert(!exists("e.h5"));

    cr_assert_eq(painsim("run missing.yaml -o m.h5", &out), 2);
    cr_assert(strstr(out, "missing.yaml"), "%s", out);
    free(out);

    write_file("small.yaml", small);
    cr_assert_eq(painsim("run small.yaml -o s.h5 --set patients=-5", &out), 2);
    cr_assert(strstr(out, "--set patients=-5"), "%s", out);
    free(out);
    cr_assert(!exists("s.h5"));
}

Test(cli, missing_output_directory_exits_2_without_partial_file)
{
    write_file("small.yaml", small);
    char *out;
    cr_assert_eq(painsim("run small.yaml -o no/such/dir/x.h5 --quiet", &out), 2);
    cr_assert(strstr(out, "no/such/dir/x.h5"), "message names the file: %s", out);
    free(out);
    cr_assert(!exists("no/such/dir/x.h5.partial"));
}

Test(cli, summary_reads_a_finished_file)
{
    write_file("small.yaml", small);
    char *run_out, *out;
    cr_assert_eq(painsim("run small.yaml -o small.h5 --quiet", &run_out), 0, "%s", run_out);
    /* the same table as at the end of the run */
    cr_assert_eq(painsim("summary small.h5", &out), 0, "%s", out);
    cr_assert_str_eq(out, run_out);
    cr_assert(strstr(out, "ICER vs reference (RUB/QALY)"), "%s", out);
    free(out);
    free(run_out);
    cr_assert_eq(painsim("summary small.h5 --format json", &out), 0, "%s", out);
    cr_assert(strstr(out, "\"reference\": \"care\"") || strstr(out, "\"reference\":\"care\""), "%s", out);
    cr_assert(strstr(out, "\"incremental\""), "%s", out);
    free(out);
    cr_assert_eq(painsim("summary small.h5 --format csv", &out), 0, "%s", out);
    cr_assert(strstr(out, "strategy,treatment"), "%s", out);
    free(out);
    cr_assert_eq(painsim("summary small.yaml", &out), 2, "a YAML file is not a painsim file: %s", out);
    free(out);
    cr_assert_eq(painsim("summary small.h5 --format xml", &out), 2, "%s", out);
    free(out);
}

Test(cli, validate_output_is_accepted_back_unchanged)
{
    write_file("small.yaml", small);
    char *first, *second;
    cr_assert_eq(painsim("validate small.yaml", &first), 0, "%s", first);
    write_file("resolved.yaml", first);
    cr_assert_eq(painsim("validate resolved.yaml", &second), 0, "%s", second);
    cr_assert_str_eq(first, second);
    cr_assert(strstr(first, "p_first:") && strstr(first, "horizon_days: 120"), "%s", first);
    free(first);
    free(second);
    char *out;
    cr_assert_eq(painsim("run resolved.yaml -o r.h5 --quiet", &out), 0, "%s", out);
    free(out);
    /* the shipped scenarios validate */
    const char *shipped[] = {"default", "foster2001", "jabbari2006", "ney2006", "porta2000"};
    for (size_t k = 0; k < sizeof shipped / sizeof shipped[0]; k++) {
        char args[1024];
        snprintf(args, sizeof args, "validate '%s/scenarios/%s.yaml'", PAINSIM_SOURCE_DIR, shipped[k]);
        cr_assert_eq(painsim(args, &out), 0, "%s: %s", shipped[k], out);
        free(out);
    }
}
