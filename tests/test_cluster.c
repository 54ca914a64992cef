/* Cluster runs without MPI: SHA-256 of the scenario, provenance attributes,
 * `painsim run --shard i/K` and `painsim merge` (MODEL.md 7.5: shards merged
 * give the datasets and /results of one process, checked with h5diff; the
 * shards of a PSA give its /psa), and every refusal of merge, summary and
 * report. */
#include "testutil.h"

#include <sys/stat.h>

#include "core/sha256.h"

static void setup_dir(void)
{
    tu_dir_make("cluster");
}

static void teardown_dir(void)
{
    tu_dir_remove();
}

TestSuite(cluster, .init = setup_dir, .fini = teardown_dir);

/* name inside the scratch directory (two at a time) */
static const char *tu_dir_path(const char *name)
{
    static char buf[2][512];
    static int k;
    k ^= 1;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tu_dir, name);
    return buf[k];
}

static int painsim(const char *args, char **out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s", PAINSIM_BIN, args);
    return tu_shell(cmd, out);
}

static int run_ok(const char *args)
{
    char *out;
    int rc = painsim(args, &out);
    cr_assert_eq(rc, 0, "painsim %s: %s", args, out);
    free(out);
    return rc;
}

/* Exit status 2, and the message contains `what`. */
static void refused(const char *args, const char *what)
{
    char *out;
    int rc = painsim(args, &out);
    cr_assert_eq(rc, 2, "painsim %s: exit %d: %s", args, rc, out);
    cr_assert(strstr(out, what), "painsim %s: expected '%s' in: %s", args, what, out);
    free(out);
}

/* ---- SHA-256 ---------------------------------------------------------- */

Test(cluster, sha256_known_answers)
{
    char hex[65];
    psim_sha256_hex("", 0, hex);
    cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    psim_sha256_hex("abc", 3, hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    psim_sha256_hex(two, strlen(two), hex);
    cr_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a', fed in uneven pieces */
    psim_sha256 c;
    unsigned char d[32];
    char piece[997];
    memset(piece, 'a', sizeof piece);
    psim_sha256_init(&c);
    size_t left = 1000000;
    while (left > 0) {
        size_t n = left < sizeof piece ? left : sizeof piece;
        psim_sha256_update(&c, piece, n);
        left -= n;
    }
    psim_sha256_final(&c, d);
    for (int k = 0; k < 32; k++)
        snprintf(hex + 2 * k, 3, "%02x", d[k]);
    cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every length around the 55/56/64-byte padding boundaries, against coreutils' sha256sum. */
Test(cluster, sha256_matches_sha256sum)
{
    unsigned char data[200];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 131u + 7u);
    for (size_t len = 0; len <= 150; len++) {
        char name[64], cmd[128], hex[65];
        snprintf(name, sizeof name, "%s/d.bin", tu_dir);
        FILE *f = fopen(name, "wb");
        cr_assert(f);
        cr_assert_eq(fwrite(data, 1, len, f), len);
        fclose(f);
        snprintf(cmd, sizeof cmd, "sha256sum d.bin | cut -c1-64");
        char *out;
        cr_assert_eq(tu_shell(cmd, &out), 0);
        psim_sha256_hex(data, len, hex);
        cr_assert(strncmp(out, hex, 64) == 0, "length %zu: sha256sum %s, painsim %s", len, out, hex);
        free(out);
    }
}

/* ---- provenance ------------------------------------------------------- */

static const char *const small =
    "name: small\n"
    "patients: 1000\n" /* 16 blocks of 64, the last of 40 */
    "horizon_days: 120\n"
    "block_size: 64\n"
    TU_BOTOX_AND_CARE;

static void attr_s(hid_t f, const char *name, char *buf, size_t size)
{
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    cr_assert(a >= 0, "root attribute %s", name);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *v = NULL;
    cr_assert(H5Aread(a, t, &v) >= 0);
    snprintf(buf, size, "%s", v);
    H5free_memory(v);
    H5Tclose(t);
    H5Aclose(a);
}

static long long attr_i(hid_t f, const char *name)
{
    long long v = -1;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    cr_assert(a >= 0, "root attribute %s", name);
    cr_assert(H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0);
    H5Aclose(a);
    return v;
}

static hid_t open_in_dir(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tu_dir, name);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0, "open %s", path);
    return f;
}

Test(cluster, provenance_in_every_file)
{
    tu_write_file("small.yaml", small);
    run_ok("run small.yaml -o run.h5 -q > /dev/null");
    run_ok("run small.yaml --shard 2/3 -o shard.h5 -q");
    char *out;
    cr_assert_eq(tu_shell("'" PAINSIM_BIN "' validate small.yaml | sha256sum | cut -c1-64", &out), 0);
    char want[65];
    snprintf(want, sizeof want, "%.64s", out);
    free(out);
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    char hdf5[32];
    snprintf(hdf5, sizeof hdf5, "%u.%u.%u", maj, min, rel);
    const char *files[] = {"run.h5", "shard.h5"};
    for (int k = 0; k < 2; k++) {
        hid_t f = open_in_dir(files[k]);
        char buf[256];
        attr_s(f, "scenario_sha256", buf, sizeof buf);
        cr_assert_str_eq(buf, want, "%s: the SHA-256 of the resolved scenario (painsim validate)", files[k]);
        attr_s(f, "hdf5_version", buf, sizeof buf);
        cr_assert_str_eq(buf, hdf5);
        attr_s(f, "mpi_version", buf, sizeof buf);
        cr_assert_str_eq(buf, "none");
        cr_assert_eq(attr_i(f, "mpi_ranks"), 1);
        attr_s(f, "git_commit", buf, sizeof buf);
        cr_assert(buf[0] != '\0');
        attr_s(f, "painsim_version", buf, sizeof buf);
        cr_assert(buf[0] != '\0');
        attr_s(f, "file_kind", buf, sizeof buf);
        cr_assert_str_eq(buf, k == 0 ? "run" : "shard");
        cr_assert_eq(attr_i(f, "shard_index"), k == 0 ? 1 : 2);
        cr_assert_eq(attr_i(f, "shard_count"), k == 0 ? 1 : 3);
        /* 16 blocks in 3 shards: 6, 5, 5 blocks; shard 2 is blocks 6..10, patients 384..703 */
        cr_assert_eq(attr_i(f, "shard_first_block"), k == 0 ? 0 : 6);
        cr_assert_eq(attr_i(f, "shard_blocks"), k == 0 ? 16 : 5);
        cr_assert_eq(attr_i(f, "shard_first_patient"), k == 0 ? 0 : 384);
        cr_assert_eq(attr_i(f, "shard_patients"), k == 0 ? 1000 : 320);
        H5Fclose(f);
    }
}

/* A scenario with uncertain parameters, for a PSA and a tornado. */
static const char *const uncertain =
    "name: unc\n"
    "patients: 200\n"
    "horizon_days: 120\n"
    "block_size: 64\n"
    "treatments:\n"
    "  botox:\n"
    "    p_first: {dist: beta, alpha: 41.25, beta: 33.75}\n"
    "    session_cost: {dist: gamma, shape: 16, scale: 187.5}\n"
    TU_BOTOX_AND_CARE;

/* Replace the root attribute model_version by `v`, as a file written by an
 * earlier painsim has it. */
static void set_model_version(const char *name, const char *v)
{
    hid_t f = H5Fopen(tu_dir_path(name), H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0, "open %s", name);
    cr_assert(H5Adelete(f, "model_version") >= 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "model_version", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(a >= 0);
    cr_assert(H5Awrite(a, t, &v) >= 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    H5Fclose(f);
}

/* Every kind of file says the model contract's version (MODEL.md v1.1), the
 * one `painsim --version` prints; summary and report still read files that
 * say "1". */
Test(cluster, model_version_in_every_file_kind)
{
    tu_write_file("small.yaml", small);
    tu_write_file("unc.yaml", uncertain);
    char *out;
    cr_assert_eq(painsim("--version", &out), 0, "%s", out);
    cr_assert(strstr(out, "(model version 1.1)"), "%s", out);
    free(out);
    run_ok("run small.yaml -o run.h5 -q > /dev/null");
    run_ok("run small.yaml --shard 1/2 -o s1.h5 -q");
    run_ok("run small.yaml --shard 2/2 -o s2.h5 -q");
    run_ok("merge merged.h5 s1.h5 s2.h5 -q > /dev/null");
    run_ok("merge copied.h5 --copy s1.h5 s2.h5 -q > /dev/null");
    run_ok("run unc.yaml --psa 3 -o psa.h5 -q > /dev/null");
    run_ok("run unc.yaml --psa 4 --shard 1/2 -o psa1.h5 -q");
    run_ok("run unc.yaml --psa 4 --shard 2/2 -o psa2.h5 -q");
    run_ok("merge psa-merged.h5 psa1.h5 psa2.h5 -q > /dev/null");
    run_ok("sweep small.yaml --param treatments.botox.p_first --values 0.4,0.6 -o sweep.h5 -q > /dev/null");
    run_ok("tornado unc.yaml -o tornado.h5 -q > /dev/null");
    const char *files[] = {"run.h5", "s1.h5",      "merged.h5", "copied.h5", "psa.h5",
                           "psa1.h5", "psa-merged.h5", "sweep.h5",  "tornado.h5"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        hid_t f = open_in_dir(files[k]);
        char buf[64];
        attr_s(f, "model_version", buf, sizeof buf);
        cr_assert_str_eq(buf, "1.1", "%s: model_version", files[k]);
        H5Fclose(f);
    }
    set_model_version("run.h5", "1");
    set_model_version("psa.h5", "1");
    run_ok("summary run.h5 > /dev/null");
    run_ok("summary psa.h5 > /dev/null");
    run_ok("report run.h5 -o run.html > /dev/null");
    run_ok("report psa.h5 -o psa.html > /dev/null");
    cr_assert_eq(tu_shell("grep -c '\"model_version\":\"1\"' run.html", &out), 0, "the page shows the file's version: %s",
                 out);
    free(out);
}

/* ---- shards merged == one process ------------------------------------- */

static void assert_h5diff_same(const char *a, const char *b)
{
    const char *groups[] = {"/results", "/cohort", "/strategies", "/time", "/scenario"};
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        char cmd[1024];
        char *out;
        snprintf(cmd, sizeof cmd, "h5diff %s %s %s %s", a, b, groups[g], groups[g]);
        int rc = tu_shell(cmd, &out);
        cr_assert_eq(rc, 0, "%s: %s", cmd, out);
        free(out);
    }
}

static void shards_of(int K, const char *extra)
{
    for (int i = 1; i <= K; i++) {
        char args[512];
        snprintf(args, sizeof args, "run small.yaml --shard %d/%d -o sh/s%d-of-%d.h5 --threads %d -q %s", i, K, i, K,
                 1 + i % 2, extra);
        run_ok(args);
    }
}

Test(cluster, shards_merged_are_one_process)
{
    tu_write_file("small.yaml", small);
    cr_assert_eq(mkdir(tu_dir_path("sh"), 0755), 0);
    cr_assert_eq(mkdir(tu_dir_path("out"), 0755), 0);
    run_ok("run small.yaml -o one.h5 --threads 2 -q > one.txt");
    /* the printed table of the one-process run, and h5diff finds its check
     * able to see a difference (another seed) */
    run_ok("run small.yaml -o seed2.h5 --seed 2 -q > /dev/null");
    char *out;
    cr_assert_eq(tu_shell("h5diff one.h5 seed2.h5 /strategies /strategies", &out), 1, "%s", out);
    free(out);
    for (int K = 1; K <= 3; K++) {
        shards_of(K, "");
        char args[1024], name[64];
        /* shards given out of order; the merged file in another directory */
        snprintf(name, sizeof name, "out/vds-%d.h5", K);
        snprintf(args, sizeof args, "merge %s %s sh/s1-of-%d.h5 > merged-%d.txt", name,
                 K == 1   ? "" : K == 2 ? "sh/s2-of-2.h5" : "sh/s3-of-3.h5 sh/s2-of-3.h5", K, K);
        run_ok(args);
        assert_h5diff_same("one.h5", name);
        snprintf(args, sizeof args, "cmp one.txt merged-%d.txt", K);
        cr_assert_eq(tu_shell(args, &out), 0, "the merged table is the one-process table: %s", out);
        free(out);
        /* --copy: one self-contained file */
        snprintf(name, sizeof name, "out/copy-%d.h5", K);
        snprintf(args, sizeof args, "merge %s --copy %s sh/s1-of-%d.h5 -q > /dev/null", name,
                 K == 1   ? "" : K == 2 ? "sh/s2-of-2.h5" : "sh/s2-of-3.h5 sh/s3-of-3.h5", K);
        run_ok(args);
        assert_h5diff_same("one.h5", name);
    }
    /* the virtual datasets name the shards relative to the merged file, so
     * reading works from any directory */
    cr_assert_eq(tu_shell("cd / && h5diff \"$OLDPWD/out/vds-3.h5\" \"$OLDPWD/one.h5\" /strategies /strategies", &out),
                 0, "%s", out);
    free(out);
    cr_assert_eq(tu_shell("h5dump -p -H -d /cohort/eligible out/vds-3.h5 | grep -c 'FILE \"../sh/s[123]-of-3.h5\"'",
                          &out),
                 0, "%s", out);
    cr_assert_eq(atoi(out), 3, "%s", out);
    free(out);
    hid_t f = open_in_dir("out/vds-3.h5");
    char kind[64];
    attr_s(f, "file_kind", kind, sizeof kind);
    cr_assert_str_eq(kind, "merged");
    cr_assert_eq(attr_i(f, "merged_shards"), 3);
    H5Fclose(f);

    /* a missing source never reads back silently: summary and report refuse */
    run_ok("summary out/vds-3.h5 > /dev/null");
    cr_assert_eq(rename(tu_dir_path("sh/s2-of-3.h5"), tu_dir_path("sh/moved.h5")), 0);
    refused("summary out/vds-3.h5", "shard ../sh/s2-of-3.h5 is missing");
    refused("report out/vds-3.h5 -o r.html", "shard ../sh/s2-of-3.h5 is missing");
    cr_assert(!tu_exists("r.html"));
    /* the --copy file needs no shards */
    run_ok("summary out/copy-3.h5 > /dev/null");
    cr_assert_eq(rename(tu_dir_path("sh/moved.h5"), tu_dir_path("sh/s2-of-3.h5")), 0);
    /* a shard is not a finished run */
    refused("summary sh/s1-of-3.h5", "is shard 1 of 3 of a run, not a finished run");
}

/* The address of the first chunk of a dataset, to damage its bytes. */
static long long chunk_address(const char *file, const char *dset)
{
    hid_t f = open_in_dir(file);
    hid_t d = H5Dopen2(f, dset, H5P_DEFAULT);
    cr_assert(d >= 0);
    hsize_t off[2];
    unsigned mask;
    haddr_t addr;
    hsize_t size;
    hid_t sp = H5Dget_space(d);
    cr_assert(H5Dget_chunk_info(d, sp, 0, off, &mask, &addr, &size) >= 0);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
    return (long long)addr;
}

Test(cluster, merge_refuses_what_does_not_belong_together)
{
    tu_write_file("small.yaml", small);
    cr_assert_eq(mkdir(tu_dir_path("sh"), 0755), 0);
    shards_of(3, "");
    run_ok("run small.yaml -o one.h5 -q > /dev/null");
    /* missing */
    refused("merge m.h5 sh/s1-of-3.h5 sh/s3-of-3.h5", "missing shard 2 of 3 (patients 384 to 703)");
    refused("merge m.h5 sh/s1-of-3.h5 sh/s2-of-3.h5 sh/nowhere.h5", "sh/nowhere.h5: missing shard");
    /* duplicated */
    refused("merge m.h5 sh/s1-of-3.h5 sh/s2-of-3.h5 sh/s2-of-3.h5 sh/s3-of-3.h5", "duplicated shard");
    /* mismatched: another seed, another cohort size, another split */
    run_ok("run small.yaml --shard 2/3 --seed 9 -o sh/seed9.h5 -q");
    refused("merge m.h5 sh/s1-of-3.h5 sh/seed9.h5 sh/s3-of-3.h5", "sh/seed9.h5: mismatched shard");
    run_ok("run small.yaml --shard 3/3 --patients 999 -o sh/p999.h5 -q");
    refused("merge m.h5 sh/s1-of-3.h5 sh/s2-of-3.h5 sh/p999.h5", "sh/p999.h5: mismatched shard");
    run_ok("run small.yaml --shard 2/4 -o sh/s2-of-4.h5 -q");
    refused("merge m.h5 sh/s1-of-3.h5 sh/s2-of-4.h5 sh/s3-of-3.h5", "one of 4 shards");
    /* not a shard */
    refused("merge m.h5 sh/s1-of-3.h5 sh/s2-of-3.h5 one.h5", "one.h5: is not a shard");
    /* damaged: truncated, and one chunk of trajectories altered (its checksum fails) */
    cr_assert_eq(tu_shell("head -c 5000 sh/s3-of-3.h5 > sh/cut.h5", NULL), 0);
    refused("merge m.h5 sh/s1-of-3.h5 sh/s2-of-3.h5 sh/cut.h5", "sh/cut.h5: damaged shard");
    long long addr = chunk_address("sh/s3-of-3.h5", "/strategies/botox/vas_mm");
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "cp sh/s3-of-3.h5 sh/bad.h5 && printf '\\377\\377\\377\\377' | dd of=sh/bad.h5 bs=1 seek=%lld "
             "conv=notrunc status=none",
             addr + 16);
    cr_assert_eq(tu_shell(cmd, NULL), 0);
    refused("merge m.h5 sh/s1-of-3.h5 sh/s2-of-3.h5 sh/bad.h5", "sh/bad.h5: cannot read the shard (damaged?)");
    refused("merge m.h5 --copy sh/s1-of-3.h5 sh/s2-of-3.h5 sh/bad.h5", "Fletcher32");
    /* nothing was written by any refusal */
    cr_assert(!tu_exists("m.h5") && !tu_exists("m.h5.partial"));
    /* usage */
    refused("merge m.h5", "expected OUT.h5 and at least one SHARD.h5");
    refused("merge", "expected OUT.h5");
    /* bad --shard values */
    refused("run small.yaml --shard 0/3 -o x.h5", "--shard expects i/K");
    refused("run small.yaml --shard 4/3 -o x.h5", "--shard expects i/K");
    refused("run small.yaml --shard 1/0 -o x.h5", "--shard expects i/K");
    refused("run small.yaml --shard two -o x.h5", "--shard expects i/K");
    refused("run small.yaml --shard 1/3x -o x.h5", "--shard expects i/K");
    refused("run small.yaml --shard 1/17 -o x.h5", "only 16 blocks");
    refused("run small.yaml --shard 3/4 --psa 3 --set 'treatments.botox.p_first={dist: beta, alpha: 4, beta: 3}' "
            "-o x.h5",
            "3 iterations (the unit of splitting a PSA) cannot be split into 4 parts");
    cr_assert(!tu_exists("x.h5"));
    /* a dry run says what the shard would hold: 16 blocks in 3 shards of 6, 5, 5 */
    char *out;
    cr_assert_eq(painsim("run small.yaml --shard 2/3 --dry-run", &out), 0, "%s", out);
    cr_assert(strstr(out, "shard:    2 of 3: patients 384 to 703 (320), blocks 6 to 10 of 16"), "%s", out);
    free(out);
    /* the default name */
    run_ok("run small.yaml --shard 1/2 -q");
    cr_assert(tu_exists("output/small.shard-1-of-2.h5"));
}

/* ---- the shards of a PSA ------------------------------------------------ */

static const char *const small_psa =
    "name: small_psa\n"
    "patients: 200\n"
    "horizon_days: 120\n"
    "block_size: 64\n"
    "treatments:\n"
    "  botox:\n"
    "    p_first: {dist: beta, alpha: 40, beta: 30}\n"
    "    duration: {median_days: {dist: lognormal, median: 90, sigma: 0.2}}\n"
    TU_BOTOX_AND_CARE
    "psa:\n"
    "  iterations: 23\n";

/* The /psa and /scenario of two PSA files hold the same values (h5diff);
 * /psa's attributes are compared by psa_attrs_same. */
static int psa_h5diff(const char *a, const char *b, char **out)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "h5diff --exclude-attribute /psa %s %s /psa /psa && h5diff %s %s /scenario /scenario", a, b, a, b);
    return tu_shell(cmd, out);
}

Test(cluster, psa_shards_merged_are_one_process)
{
    tu_write_file("small_psa.yaml", small_psa);
    cr_assert_eq(mkdir(tu_dir_path("sh"), 0755), 0);
    run_ok("run small_psa.yaml -o one.h5 --threads 2 -q > one.txt");
    char *out;
    /* the comparison sees another seed's sample */
    run_ok("run small_psa.yaml -o seed2.h5 --seed 2 -q > /dev/null");
    cr_assert_neq(psa_h5diff("one.h5", "seed2.h5", &out), 0, "another seed, the same /psa? %s", out);
    free(out);
    for (int K = 1; K <= 4; K++) {
        char args[1024], list[512] = "";
        for (int i = K; i >= 1; i--) { /* shards on 1 or 2 threads, given in reverse order */
            snprintf(args, sizeof args, "run small_psa.yaml --shard %d/%d -o sh/p%d-of-%d.h5 --threads %d -q", i, K,
                     i, K, 1 + i % 2);
            run_ok(args);
            size_t L = strlen(list);
            snprintf(list + L, sizeof list - L, " sh/p%d-of-%d.h5", i, K);
        }
        snprintf(args, sizeof args, "merge m%d.h5%s > m%d.txt", K, list, K);
        run_ok(args);
        char name[32];
        snprintf(name, sizeof name, "m%d.h5", K);
        cr_assert_eq(psa_h5diff("one.h5", name, &out), 0, "%d shards merged differ from one process: %s", K, out);
        free(out);
        /* the printed tables too (the same analysis of the same sample) */
        snprintf(args, sizeof args, "cmp one.txt m%d.txt", K);
        cr_assert_eq(tu_shell(args, &out), 0, "%s", out);
        free(out);
    }
    /* /psa's attributes, apart from the time taken */
    hid_t a = open_in_dir("one.h5"), b = open_in_dir("m3.h5");
    hid_t ga = H5Gopen2(a, "psa", H5P_DEFAULT), gb = H5Gopen2(b, "psa", H5P_DEFAULT);
    cr_assert_eq(attr_i(ga, "iterations"), 23);
    cr_assert_eq(attr_i(gb, "iterations"), 23);
    cr_assert_eq(attr_i(gb, "patients_per_iteration"), 200);
    cr_assert_eq(H5Aexists(gb, "first_iteration"), 0, "a merged file is whole: no shard attributes in /psa");
    char ka[64], kb[64];
    attr_s(a, "file_kind", ka, sizeof ka);
    attr_s(b, "file_kind", kb, sizeof kb);
    cr_assert_str_eq(ka, "run");
    cr_assert_str_eq(kb, "merged");
    cr_assert_eq(attr_i(b, "merged_shards"), 3);
    H5Gclose(ga);
    H5Gclose(gb);
    H5Fclose(a);
    H5Fclose(b);
    /* a shard holds its iterations: shard 2 of 3 of 23 is iterations 8 to 15 */
    hid_t f = open_in_dir("sh/p2-of-3.h5");
    hid_t g = H5Gopen2(f, "psa", H5P_DEFAULT);
    cr_assert_eq(attr_i(g, "first_iteration"), 8);
    cr_assert_eq(attr_i(g, "iterations"), 8);
    cr_assert_eq(attr_i(g, "iterations_total"), 23);
    attr_s(f, "file_kind", ka, sizeof ka);
    cr_assert_str_eq(ka, "shard");
    H5Gclose(g);
    H5Fclose(f);
    /* the merged file reads like a PSA run's; a shard is not a finished run */
    run_ok("summary m3.h5 > /dev/null");
    run_ok("report m3.h5 -o m3.html > /dev/null");
    refused("summary sh/p1-of-3.h5", "is shard 1 of 3 of a run, not a finished run");

    /* refusals */
    refused("merge x.h5 sh/p1-of-3.h5 sh/p3-of-3.h5", "missing shard 2 of 3 (PSA iterations 8 to 15)");
    refused("merge x.h5 sh/p1-of-3.h5 sh/p2-of-3.h5 sh/p2-of-3.h5 sh/p3-of-3.h5", "duplicated shard");
    refused("merge x.h5 sh/p1-of-3.h5 sh/p2-of-4.h5 sh/p3-of-3.h5", "sh/p2-of-4.h5: mismatched shard");
    run_ok("run small_psa.yaml --psa 0 --shard 2/3 -o sh/cohort2.h5 -q");
    refused("merge x.h5 sh/p1-of-3.h5 sh/cohort2.h5 sh/p3-of-3.h5", "sh/cohort2.h5: mismatched shard");
    run_ok("run small_psa.yaml --shard 2/3 --seed 5 -o sh/seed5.h5 -q");
    refused("merge x.h5 sh/p1-of-3.h5 sh/seed5.h5 sh/p3-of-3.h5", "sh/seed5.h5: mismatched shard");
    /* altered bytes in a shard's table: its checksum fails (not 0xff: Fletcher32
     * adds 16-bit words modulo 65535, so it cannot tell 0x0000 from 0xffff, and
     * this table's second column, the costs of `care`, is zeros) */
    long long addr = chunk_address("sh/p2-of-3.h5", "/psa/cost");
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "cp sh/p2-of-3.h5 sh/bad.h5 && printf '\\125\\125\\125\\125' | dd of=sh/bad.h5 bs=1 seek=%lld "
             "conv=notrunc status=none",
             addr + 8);
    cr_assert_eq(tu_shell(cmd, NULL), 0);
    refused("merge x.h5 sh/p1-of-3.h5 sh/bad.h5 sh/p3-of-3.h5", "sh/bad.h5");
    cr_assert(!tu_exists("x.h5") && !tu_exists("x.h5.partial"));
    cr_assert_eq(painsim("run small_psa.yaml --shard 2/3 --dry-run", &out), 0, "%s", out);
    cr_assert(strstr(out, "shard:    2 of 3: PSA iterations 8 to 15 (8 of 23)"), "%s", out);
    free(out);
    /* more shards than iterations */
    refused("run small_psa.yaml --shard 1/24 -o x.h5", "23 iterations (the unit of splitting a PSA)");
    cr_assert(!tu_exists("x.h5"));
}
