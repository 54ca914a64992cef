/* End-to-end tests of `painsim report`: the page is written from a cohort
 * file and from a PSA file, then loaded in Debian's headless Chromium, which
 * must show no console message, mark the page as built (body data-status="ok")
 * and every chart as drawn (data-rendered="yes": laid-out data elements and
 * painted pixels, counted by the page itself).  Screenshots are saved in the
 * build directory (tests/report-*.png).  Chromium is a test dependency that
 * `./setup.sh test` installs: without it these tests fail, they do not skip. */
#include "testutil.h"

/* where the screenshots go: the tests' build directory */
static const char build_dir[] = PAINSIM_SCREENSHOT_DIR;

TU_SCRATCH_DIR("report")

TestSuite(report, .init = tu_dir_init, .fini = tu_dir_fini, .timeout = 600);

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Load html (in tu_dir) in headless Chromium: the DOM after the page's
 * scripts ran goes to *dom, the browser's log (console messages included)
 * to *log; a screenshot is saved as build_dir/png. */
static void chromium(const char *html, const char *png, char **dom, char **log)
{
    cr_assert_eq(tu_shell("command -v chromium", NULL), 0,
                 "chromium is missing: the report tests load the page in Debian's headless Chromium; "
                 "`./setup.sh test` installs it (apt-get install chromium)");
    /* running as root needs --no-sandbox; a fresh profile every time */
    const char *flags = "--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run "
                        "--user-data-dir=profile --virtual-time-budget=5000 --window-size=1280,3000";
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "chromium %s --enable-logging=stderr --v=0 --dump-dom 'file://%s/%s' > dom.html 2> chromium.log; "
             "rc=$?; cat chromium.log; exit $rc",
             flags, tu_dir, html);
    cr_assert_eq(tu_shell(cmd, log), 0, "chromium --dump-dom failed:\n%s", *log);
    *dom = tu_read_file("dom.html");
    snprintf(cmd, sizeof cmd, "chromium %s --screenshot='%s/%s' 'file://%s/%s' && test -s '%s/%s'", flags, build_dir,
             png, tu_dir, html, build_dir, png);
    char *out = NULL;
    cr_assert_eq(tu_shell(cmd, &out), 0, "chromium --screenshot failed:\n%s", out);
    free(out);
}

/* The page's own checks, as the DOM shows them after loading: exactly the
 * charts ids (NULL-terminated), each drawn. */
static void assert_rendered(const char *dom, const char *log, const char *const *ids)
{
    int n_charts = 0;
    while (ids[n_charts])
        n_charts++;
    /* any console message (an uncaught exception, console.error, a warning
     * from Chart.js) is a failure: the page itself logs nothing */
    const char *c = strstr(log, ":CONSOLE");
    cr_assert(!c, "the page wrote to the console:\n%.600s", c ? c : "");
    cr_assert(strstr(dom, "<body data-status=\"ok\""), "the page did not finish: %.300s",
              strstr(dom, "<body") ? strstr(dom, "<body") : dom);
    char want[64];
    snprintf(want, sizeof want, "data-charts=\"%d\"", n_charts);
    cr_assert(strstr(dom, want), "expected %s", want);
    cr_assert_eq(count(dom, "data-rendered=\"yes\""), n_charts, "not every chart was drawn");
    cr_assert_eq(count(dom, "data-rendered=\"empty\""), 0);
    cr_assert_eq(count(dom, "data-rendered=\"no\""), 0);
    for (int k = 0; ids[k]; k++) {
        char tag[128];
        snprintf(tag, sizeof tag, "data-chart=\"%s\" data-rendered=\"yes\"", ids[k]);
        const char *p = strstr(dom, tag);
        cr_assert(p, "chart %s missing or not drawn", ids[k]);
        /* marks and ink beyond zero */
        long marks = 0, ink = 0;
        const char *m = strstr(p, "data-marks=\""), *i = strstr(p, "data-ink=\"");
        cr_assert(m && i);
        marks = strtol(m + 12, NULL, 10);
        ink = strtol(i + 10, NULL, 10);
        cr_assert_gt(marks, 0, "chart %s has no data elements", ids[k]);
        cr_assert_gt(ink, 0, "chart %s painted no data in its plot area", ids[k]);
    }
}

/* The JSON document of the page, written to tu_dir/name. */
static void extract_json(const char *html, const char *name)
{
    const char *open = "<script type=\"application/json\" id=\"painsim-data\">";
    const char *a = strstr(html, open);
    cr_assert(a);
    a += strlen(open);
    const char *b = strstr(a, "</script>");
    cr_assert(b);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tu_dir, name);
    FILE *fp = fopen(path, "wb");
    cr_assert(fp);
    fwrite(a, 1, (size_t)(b - a), fp);
    fclose(fp);
}

/* One page end to end: the scenario `yaml` written to tu_dir/yaml_name, the
 * painsim file made by `painsim <make>` and its page by `painsim <report>`
 * (both succeed, nothing partial is left), the page `html` loaded in Chromium
 * (screenshot build_dir/png) and checked: built, with exactly the charts
 * `ids` (NULL-terminated), each drawn.  Returns the DOM after loading, for
 * the caller's own checks (free it). */
static char *render_page(const char *yaml_name, const char *yaml, const char *make, const char *report,
                         const char *html, const char *png, const char *const *ids)
{
    tu_write_file(yaml_name, yaml);
    char *out = NULL;
    cr_assert_eq(tu_painsim(make, &out), 0, "painsim %s: %s", make, out);
    free(out);
    cr_assert_eq(tu_painsim(report, &out), 0, "painsim %s: %s", report, out);
    char wrote[512], partial[512];
    snprintf(wrote, sizeof wrote, "wrote %s", html);
    cr_assert(strstr(out, wrote), "painsim %s: %s", report, out);
    free(out);
    snprintf(partial, sizeof partial, "%s.partial", html);
    cr_assert(tu_exists(html) && !tu_exists(partial));
    char *dom = NULL, *log = NULL;
    chromium(html, png, &dom, &log);
    assert_rendered(dom, log, ids);
    free(log);
    return dom;
}

/* A description with markup that must come out as text, not as elements. */
static const char *const cohort_yaml =
    "name: small\n"
    "description: \"a </script><script>document.title='x'</script> & <b>test</b> cohort\"\n"
    "patients: 1500\n"
    "horizon_days: 150\n"
    "block_size: 128\n"
    "strategies:\n"
    "  - name: botox\n"
    "    treatment: botox\n"
    "    schedule: {days: [0, 100]}\n"
    "  - name: steroid\n"
    "    treatment: steroid_bupivacaine\n"
    "    schedule: {days: [0, 50, 100]}\n"
    "  - name: care\n"
    "    treatment: none\n";

Test(report, cohort_page_renders_in_chromium)
{
    static const char *const ids[] = {"mean_vas", "observed_response", "trajectories_0", "trajectories_1",
                                      "trajectories_2", "cost_bars", "qaly_bars", "ce_plane", NULL};
    char *dom = render_page("small.yaml", cohort_yaml, "run small.yaml -o small.h5 -q", "report small.h5",
                            "small.html", "report-cohort.png", ids);
    /* the description is shown as text: its markup was not parsed */
    cr_assert(strstr(dom, "<title>painsim report: small</title>"), "the title was not changed by the description");
    cr_assert(strstr(dom, "a &lt;/script&gt;&lt;script&gt;document.title='x'&lt;/script&gt; &amp; &lt;b&gt;test&lt;/b&gt; cohort"));
    cr_assert(strstr(dom, "CHEERS 2022"));
    free(dom);

    char *out = NULL;
    char *html = tu_read_file("small.html");
    /* three script elements (Chart.js, the data, the page's code), each
     * closed once: nothing from the file ended one early */
    cr_assert_eq(count(html, "<script"), 3, "%d", count(html, "<script"));
    cr_assert_eq(count(html, "</script>"), 3);
    cr_assert(strstr(html, "Chart.js v3"), "Chart.js is inlined");
    cr_assert(!strstr(html, "src=\"http") && !strstr(html, "href=\"http"), "the page loads nothing from the network");

    /* the data in the page are the file's figures */
    extract_json(html, "data.json");
    char h5[512];
    snprintf(h5, sizeof h5, "%s/small.h5", tu_dir);
    hid_t f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0);
    size_t n = 0;
    double *cost = tu_read_double(f, "/results/cost", &n);
    double *vas = tu_read_double(f, "/strategies/steroid/daily/mean_vas", &n);
    H5Fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json; d = json.load(open(\"data.json\")); r = d[\"results\"]; "
             "print(r[1][\"name\"], repr(r[1][\"cost\"][0]), repr(d[\"daily\"][\"strategies\"][\"steroid\"][\"mean_vas\"][60]), "
             "len(d[\"trajectories\"][\"patients\"]), d[\"facts\"][\"description\"])'");
    cr_assert_eq(tu_shell(cmd, &out), 0, "%s", out);
    char name[64] = "", desc[256] = "";
    double c1 = 0, v60 = 0;
    int k = 0;
    cr_assert_eq(sscanf(out, "%63s %lf %lf %d %255[^\n]", name, &c1, &v60, &k, desc), 5, "%s", out);
    cr_assert_str_eq(name, "steroid");
    cr_assert(fabs(c1 - cost[1]) <= 1e-8 * fabs(cost[1]), "%.17g vs %.17g", c1, cost[1]);
    cr_assert(fabs(v60 - vas[60]) <= 1e-8 * fabs(vas[60]), "%.17g vs %.17g", v60, vas[60]);
    cr_assert_eq(k, 8, "the default sample is 8 patients per strategy");
    cr_assert_str_eq(desc, "a </script><script>document.title='x'</script> & <b>test</b> cohort");
    free(out);
    free(cost);
    free(vas);
    free(html);
}

/* A small PSA: two uncertain parameters, 60 iterations of 150 patients. */
static const char *const psa_yaml =
    "name: small_psa\n"
    "patients: 150\n"
    "horizon_days: 150\n"
    "block_size: 50\n"
    "treatments:\n"
    "  botox:\n"
    "    p_first: {dist: beta, alpha: 30, beta: 20}\n"
    "    duration: {median_days: {dist: lognormal, median: 90, sigma: 0.2}}\n"
    "economics:\n"
    "  wtp: [0, 2500000, 5000000, 7500000, 10000000, 12500000, 15000000, 20000000]\n"
    "psa:\n"
    "  iterations: 60\n"
    "strategies:\n"
    "  - name: botox\n"
    "    treatment: botox\n"
    "    schedule: {days: [0, 100]}\n"
    "  - name: steroid\n"
    "    treatment: steroid_bupivacaine\n"
    "    schedule: {days: [0, 50, 100]}\n"
    "  - name: care\n"
    "    treatment: none\n";

Test(report, psa_page_renders_in_chromium)
{
    static const char *const ids[] = {"psa_cloud", "ceac", "ceaf", "evpi", "evppi", NULL};
    char *dom = render_page("psa.yaml", psa_yaml, "run psa.yaml -o psa.h5 -q", "report psa.h5 -o psa_report.html",
                            "psa_report.html", "report-psa.png", ids);
    cr_assert(strstr(dom, "treatments.botox.p_first"), "the EVPPI chart and the parameter table name the parameters");
    free(dom);

    char *out = NULL;
    char *html = tu_read_file("psa_report.html");
    extract_json(html, "psa.json");
    cr_assert_eq(tu_shell("python3 -c 'import json; d = json.load(open(\"psa.json\")); p = d[\"psa\"]; "
                          "print(d[\"kind\"], p[\"iterations\"], len(p[\"cloud\"][\"botox\"][\"dq\"]), len(p[\"evppi\"]), "
                          "len(p[\"wtp\"]))'",
                          &out),
                 0, "%s", out);
    cr_assert(strstr(out, "psa 60 60 2 8"), "%s", out);
    free(out);
    free(html);
}

Test(report, file_without_trajectories)
{
    static const char *const ids[] = {"mean_vas", "observed_response", "cost_bars", "qaly_bars", "ce_plane", NULL};
    char *dom = render_page("small.yaml", cohort_yaml, "run small.yaml -o nt.h5 -q --set output.trajectories=false",
                            "report nt.h5 --trajectories 3", "nt.html", "report-no-trajectories.png", ids);
    cr_assert(strstr(dom, "This file has no trajectories"));
    free(dom);
}

Test(report, errors_and_help)
{
    char *out = NULL;
    cr_assert_eq(tu_painsim("help report", &out), 0);
    cr_assert(strstr(out, "usage: painsim report FILE.h5") && strstr(out, "libjs-chart.js") && strstr(out, "CHEERS"),
              "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("--help", &out), 0);
    cr_assert(strstr(out, "report FILE.h5"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("report", &out), 2);
    cr_assert(strstr(out, "missing the FILE.h5"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("report a.h5 --trajectories lots", &out), 2);
    cr_assert(strstr(out, "--trajectories expects"), "%s", out);
    free(out);

    /* not a painsim file: exit 2, nothing written */
    tu_write_file("junk.h5", "not hdf5\n");
    cr_assert_eq(tu_painsim("report junk.h5", &out), 2, "%s", out);
    cr_assert(strstr(out, "junk.h5"), "%s", out);
    free(out);
    cr_assert(!tu_exists("junk.html") && !tu_exists("junk.html.partial"));
    cr_assert_eq(tu_painsim("report missing.h5", &out), 2, "%s", out);
    free(out);

    tu_write_file("small.yaml", cohort_yaml);
    cr_assert_eq(tu_painsim("run small.yaml -o s.h5 -q --patients 200", &out), 0, "%s", out);
    free(out);
    /* Chart.js missing: exit 1, the message names the Debian package, nothing written */
    cr_assert_eq(tu_painsim("report s.h5 --chartjs /nonexistent/chart.min.js", &out), 1, "%s", out);
    cr_assert(strstr(out, "/nonexistent/chart.min.js") && strstr(out, "libjs-chart.js"), "%s", out);
    free(out);
    cr_assert(!tu_exists("s.html") && !tu_exists("s.html.partial"));
    /* a file that is not Chart.js */
    tu_write_file("empty.js", "");
    cr_assert_eq(tu_painsim("report s.h5 --chartjs empty.js", &out), 1, "%s", out);
    free(out);
    cr_assert(!tu_exists("s.html"));

    /* an existing page is kept without --force */
    cr_assert_eq(tu_painsim("report s.h5", &out), 0, "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("report s.h5", &out), 2, "%s", out);
    cr_assert(strstr(out, "--force"), "%s", out);
    free(out);
    cr_assert_eq(tu_painsim("report s.h5 --force", &out), 0, "%s", out);
    free(out);
}

/* ---- sweep and tornado files (`painsim sweep`, `painsim tornado`) -------- */

#include "output/h5util.h"

Test(report, tornado_page_renders_in_chromium)
{
    static const char *const ids[] = {"tornado", NULL};
    char *dom = render_page("psa.yaml", psa_yaml, "tornado psa.yaml -o tornado.h5 -q --patients 300",
                            "report tornado.h5", "tornado.html", "report-tornado.png", ids);
    cr_assert(strstr(dom, "2.5%/97.5% of beta(30, 20)"), "the page says where the low and high values come from");
    free(dom);

    char *out = NULL;
    char *html = tu_read_file("tornado.html");
    extract_json(html, "tornado.json");
    cr_assert_eq(tu_shell("python3 -c 'import json; d = json.load(open(\"tornado.json\")); q = d[\"sweep\"]; "
                          "print(d[\"kind\"], q[\"kind\"], len(q[\"point_value\"]), \" \".join(q[\"parameters\"]))'",
                          &out),
                 0, "%s", out);
    cr_assert(strstr(out, "sweep tornado 5 treatments.botox.p_first treatments.botox.duration.median_days"), "%s", out);
    free(out);
    free(html);
}

Test(report, sweep_page_renders_in_chromium)
{
    static const char *const ids[] = {"sweep_inmb", "sweep_plane", "sweep_vas", NULL};
    free(render_page("small.yaml", cohort_yaml,
                     "sweep small.yaml --param treatments.botox.p_first --values 0.3,0.55,0.8 -o sweep.h5 -q "
                     "--patients 400",
                     "report sweep.h5", "sweep.html", "report-sweep.png", ids));
    char *out = NULL;

    /* a /sweep table of the wrong shape is a damaged file: exit 2, nothing written */
    char path[512];
    snprintf(path, sizeof path, "%s/sweep.h5", tu_dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0);
    cr_assert(H5Ldelete(f, "/sweep/qaly", H5P_DEFAULT) >= 0);
    hsize_t two = 2;
    double z[2] = {0, 0};
    cr_assert(psim_h5_write_ds(f, "/sweep/qaly", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &two, z, "", "") >= 0);
    H5Fclose(f);
    cr_assert_eq(tu_painsim("report sweep.h5 -o bad.html", &out), 2, "%s", out);
    cr_assert(strstr(out, "/sweep/qaly"), "%s", out);
    free(out);
    cr_assert(!tu_exists("bad.html") && !tu_exists("bad.html.partial"));
}
