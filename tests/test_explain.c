/* painsim explain: one patient's story equals that patient's rows of the file
 * a full run writes (the same keyed streams), and the command's usage errors. */
#include "testutil.h"

TU_SCRATCH_DIR("explain")

/* Every kind of story: sessions on relapse with adverse events frequent
 * enough to happen, a fallback for the ineligible, a baseline shift, a
 * response-guided schedule, a treatment that is not an injection. */
static const char *const scenario =
    "name: stories\n"
    "seed: 99\n"
    "patients: 300\n"
    "horizon_days: 200\n"
    "block_size: 64\n"
    "cohort: {myofascial: 0.8, contraindications: {anticoagulants: 0.1}}\n"
    "treatments:\n"
    "  botox:\n"
    "    antibody_risk: 0.05\n"
    "    adverse_events: {flu_like: {p: 0.3}, local: {p: 0.4}}\n"
    "strategies:\n"
    "  - name: relapse\n"
    "    treatment: botox\n"
    "    fallback: physio\n"
    "    schedule: {on_relapse: {threshold: 0.6, max_sessions: 3}}\n"
    "  - name: guided\n"
    "    treatment: steroid_bupivacaine\n"
    "    baseline_shift: 0.5\n"
    "    schedule: {every_days: 40, sessions: 4, continue_if: responded_first}\n"
    "  - name: physio\n"
    "    treatment: physio\n"
    "    schedule: {days: [10]}\n"
    "  - name: care\n"
    "    treatment: none\n"
    "output: {record_every_days: 3}\n";

/* Flatten each JSON story to lines `key value` (Python's repr of a float reads
 * back to the same double). */
static const char *const flatten_py =
    "import json, sys\n"
    "for path in sys.argv[1:]:\n"
    "    d = json.load(open(path))\n"
    "    b = d['baseline']\n"
    "    print('story', d['patient'], d['strategy'])\n"
    "    print('baseline_vas', repr(b['baseline_vas']))\n"
    "    print('pain_duration_months', repr(b['pain_duration_months']))\n"
    "    print('lumbar_levels', b['lumbar_levels'])\n"
    "    print('myofascial', int(b['myofascial']))\n"
    "    for k, v in b['contraindications'].items():\n"
    "        print('contra', k, int(v))\n"
    "    print('aspirin_recent', int(b['aspirin_recent']))\n"
    "    print('eligible', int(d['eligible']))\n"
    "    print('treated', int(d['treated']))\n"
    "    print('sessions', d['sessions_given'], len(d['sessions']))\n"
    "    print('units', d['units'])\n"
    "    print('antibody', int(d['antibody_positive']))\n"
    "    print('cost', repr(float(d['cost'])))\n"
    "    print('qaly', repr(float(d['qaly'])))\n"
    "    for s in d['sessions']:\n"
    "        o = s['observed_response']\n"
    "        print('session', s['session'], s['day'], int(s['latent_response']), -1 if o is None else int(o))\n"
    "    for k, v in d['adverse_events'].items():\n"
    "        print('ae', k, v)\n"
    "    print('vas', ' '.join(repr(float(v)) for v in d['vas']))\n"
    "    print('end')\n";

typedef struct run_file {
    hid_t f;
    int N, R, every;
} run_file;

/* Datasets read as doubles, each read once. */
static struct {
    char name[128];
    double *v;
    size_t n;
} cache[64];
static int n_cache;

static double at(hid_t f, const char *name, size_t i)
{
    int k = 0;
    while (k < n_cache && strcmp(cache[k].name, name) != 0)
        k++;
    if (k == n_cache) {
        cr_assert_lt(n_cache, 64);
        snprintf(cache[k].name, sizeof cache[k].name, "%s", name);
        cache[k].v = tu_read_double(f, name, &cache[k].n);
        n_cache++;
    }
    cr_assert_lt(i, cache[k].n, "%s has %zu values, wanted index %zu", name, cache[k].n, i);
    return cache[k].v[i];
}

static int dim1(hid_t f, const char *name)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    cr_assert(d >= 0, "%s", name);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(d);
    return (int)dims[1];
}

/* Check one flattened story (lines from *p on) against the file; advances *p. */
static void check_story(const run_file *rf, char *line, char **p, int *n_sessions_seen, int *n_ineligible,
                        int *n_ae_seen)
{
    cr_assert(line && strncmp(line, "story ", 6) == 0, "expected a story, got %s", line ? line : "(end)");
    long long patient = 0;
    char strategy[64], ds[256];
    cr_assert_eq(sscanf(line, "story %lld %63s", &patient, strategy), 2);
    hid_t f = rf->f;
    size_t i = (size_t)patient;
    int M = 0;
    snprintf(ds, sizeof ds, "/strategies/%s/session_day", strategy);
    M = dim1(f, ds);
    while ((line = strtok_r(NULL, "\n", p)) && strcmp(line, "end") != 0) {
        char key[64], name[64];
        double v = 0.0;
        long long a, b, c, d;
        if (sscanf(line, "contra %63s %lld", name, &a) == 2) {
            snprintf(ds, sizeof ds, "/cohort/%s", name);
            cr_assert_eq(at(f, ds, i), (double)a, "patient %lld %s", patient, ds);
        } else if (sscanf(line, "session %lld %lld %lld %lld", &a, &b, &c, &d) == 4) {
            size_t k = i * (size_t)M + (size_t)(a - 1);
            snprintf(ds, sizeof ds, "/strategies/%s/session_day", strategy);
            cr_assert_eq(at(f, ds, k), (double)b, "patient %lld %s session %lld day", patient, strategy, a);
            snprintf(ds, sizeof ds, "/strategies/%s/latent_response", strategy);
            cr_assert_eq(at(f, ds, k), (double)c, "patient %lld %s session %lld latent", patient, strategy, a);
            snprintf(ds, sizeof ds, "/strategies/%s/observed_response", strategy);
            cr_assert_eq(at(f, ds, k), (double)d, "patient %lld %s session %lld observed", patient, strategy, a);
            (*n_sessions_seen)++;
        } else if (sscanf(line, "ae %63s %lld", name, &a) == 2) {
            snprintf(ds, sizeof ds, "/strategies/%s/adverse_events/%s", strategy, name);
            cr_assert_eq(at(f, ds, i), (double)a, "patient %lld %s", patient, ds);
            *n_ae_seen += a > 0;
        } else if (strncmp(line, "vas ", 4) == 0) {
            snprintf(ds, sizeof ds, "/strategies/%s/vas_mm", strategy);
            char *q = line + 4;
            for (int t = 0; t < 200; t++) {
                char *end = NULL;
                double vas = strtod(q, &end);
                cr_assert(end != q, "patient %lld: %d VAS values, expected 200", patient, t);
                q = end;
                if (t % rf->every == 0) {
                    double want = at(f, ds, i * (size_t)rf->R + (size_t)(t / rf->every));
                    cr_assert_eq((double)(uint8_t)(vas * 10.0 + 0.5), want, "patient %lld %s day %d: VAS %.17g cm",
                                 patient, strategy, t, vas);
                }
            }
        } else if (sscanf(line, "sessions %lld %lld", &a, &b) == 2) {
            cr_assert_eq(a, b);
            snprintf(ds, sizeof ds, "/strategies/%s/sessions", strategy);
            cr_assert_eq(at(f, ds, i), (double)a, "patient %lld %s sessions", patient, strategy);
            /* the columns past the last session are empty */
            snprintf(ds, sizeof ds, "/strategies/%s/session_day", strategy);
            for (long long k = a; k < M; k++)
                cr_assert_eq(at(f, ds, i * (size_t)M + (size_t)k), -1.0);
        } else {
            cr_assert_eq(sscanf(line, "%63s %lf", key, &v), 2, "line %s", line);
            if (strcmp(key, "baseline_vas") == 0 || strcmp(key, "pain_duration_months") == 0 ||
                strcmp(key, "lumbar_levels") == 0 || strcmp(key, "myofascial") == 0 ||
                strcmp(key, "aspirin_recent") == 0 || strcmp(key, "eligible") == 0) {
                snprintf(ds, sizeof ds, "/cohort/%s", key);
                cr_assert_eq(at(f, ds, i), v, "patient %lld %s: %.17g vs the file's %.17g", patient, key, v,
                             at(f, ds, i));
                if (strcmp(key, "eligible") == 0)
                    *n_ineligible += v == 0.0;
            } else {
                snprintf(ds, sizeof ds, "/strategies/%s/%s", strategy,
                         strcmp(key, "antibody") == 0 ? "antibody_positive" : key);
                /* cost and qaly bit for bit */
                cr_assert_eq(at(f, ds, i), v, "patient %lld %s: %.17g vs the file's %.17g", patient, ds, v,
                             at(f, ds, i));
            }
        }
    }
    cr_assert(line, "story of patient %lld ends early", patient);
}

TestSuite(explain, .init = tu_dir_init, .fini = tu_dir_fini);

Test(explain, equals_what_a_full_run_wrote_for_that_patient)
{
    tu_write_file("stories.yaml", scenario);
    tu_write_file("flatten.py", flatten_py);
    char *out;
    /* two threads: the story does not depend on how the run was scheduled */
    cr_assert_eq(tu_painsim("run stories.yaml -o stories.h5 --quiet --threads 2", &out), 0, "%s", out);
    free(out);
    /* patients at both ends, inside blocks and at a block boundary */
    const int patients[] = {0, 1, 2, 5, 13, 63, 64, 150, 233, 299};
    const char *strategies[] = {"relapse", "guided", "physio", "care"};
    char cmd[16384];
    size_t o = 0;
    o += (size_t)snprintf(cmd + o, sizeof cmd - o, "set -e; files=''; ");
    for (size_t k = 0; k < sizeof patients / sizeof *patients; k++)
        for (size_t s = 0; s < 4; s++)
            o += (size_t)snprintf(cmd + o, sizeof cmd - o,
                                  "'%s' explain stories.yaml --patient %d --strategy %s --format json > s%d_%zu.json; "
                                  "files=\"$files s%d_%zu.json\"; ",
                                  PAINSIM_BIN, patients[k], strategies[s], patients[k], s, patients[k], s);
    snprintf(cmd + o, sizeof cmd - o, "python3 flatten.py $files");
    cr_assert_eq(tu_shell(cmd, &out), 0, "%s", out);

    char path[512];
    snprintf(path, sizeof path, "%s/stories.h5", tu_dir);
    run_file rf = {.f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), .N = 300, .every = 3};
    cr_assert(rf.f >= 0);
    rf.R = dim1(rf.f, "/strategies/care/vas_mm");
    cr_assert_eq(rf.R, 67);
    char *save = NULL;
    int sessions = 0, ineligible = 0, ae = 0;
    for (size_t k = 0; k < 4 * sizeof patients / sizeof *patients; k++)
        check_story(&rf, strtok_r(k == 0 ? out : NULL, "\n", &save), &save, &sessions, &ineligible, &ae);
    cr_assert_null(strtok_r(NULL, "\n", &save), "more stories than asked for");
    for (int k = 0; k < n_cache; k++)
        free(cache[k].v);
    H5Fclose(rf.f);
    free(out);
    /* the stories covered sessions, adverse events and ineligible patients */
    cr_assert_gt(sessions, 40, "%d sessions compared", sessions);
    cr_assert_gt(ineligible, 0);
    cr_assert_gt(ae, 0);
}

Test(explain, text_tells_the_story_with_units)
{
    tu_write_file("stories.yaml", scenario);
    char *out;
    cr_assert_eq(tu_painsim("explain stories.yaml --patient 3 --strategy relapse", &out), 0, "%s", out);
    cr_assert(strstr(out, "Patient 3 of scenario `stories`"), "%s", out);
    cr_assert(strstr(out, "baseline pain B") && strstr(out, "cm on the 0-10 cm VAS"), "%s", out);
    cr_assert(strstr(out, "Eligibility"), "%s", out);
    cr_assert(strstr(out, "(U)") && strstr(out, "(days)") && strstr(out, "RUB"), "%s", out);
    cr_assert(strstr(out, "QALY"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("explain stories.yaml --patient 3 --strategy guided --days 0,50,199", &out), 0, "%s", out);
    cr_assert(strstr(out, "baseline_shift +0.50 cm"), "%s", out);
    cr_assert(strstr(out, "\n    199 "), "%s", out);
    free(out);
}

Test(explain, usage_errors_exit_2)
{
    tu_write_file("stories.yaml", scenario);
    char *out;
    cr_assert_eq(tu_painsim("explain stories.yaml", &out), 2);
    cr_assert(strstr(out, "--patient"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("explain stories.yaml --patient 300", &out), 2);
    cr_assert(strstr(out, "0 to 299"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("explain stories.yaml --patient 1 --strategy nosuch", &out), 2);
    cr_assert(strstr(out, "relapse, guided, physio, care"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("explain stories.yaml --patient 1 --days 0,200", &out), 2);
    cr_assert(strstr(out, "--days"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("explain stories.yaml --patient 1 --format xml", &out), 2);
    free(out);
    cr_assert_eq(tu_painsim("explain stories.yaml --patient 1 --set patients 5", &out), 2);
    cr_assert(strstr(out, "--set patients=5"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("explain stories.yaml --patient 1 --set cohort.myofascial=2", &out), 2);
    cr_assert(strstr(out, "--set cohort.myofascial=2:1:"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("help explain", &out), 0);
    cr_assert(strstr(out, "--patient N"), "%s", out);
    free(out);
}
