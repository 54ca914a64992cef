/* The strategies of the small inline scenarios: BoNT-A on days 0 and 90
 * against no treatment. */
#define TU_BOTOX_AND_CARE                                                                                          \
    "strategies:\n"                                                                                              \
    "  - name: botox\n"                                                                                          \
    "    treatment: botox\n"                                                                                     \
    "    schedule: {days: [0, 90]}\n"                                                                            \
    "  - name: care\n"                                                                                           \
    "    treatment: none\n"

/* Helpers shared by the tests: load inline scenarios, run to a file, compare
 * HDF5 datasets byte for byte, check that every dataset has a units attribute. */
#ifndef PAINSIM_TESTUTIL_H
#define PAINSIM_TESTUTIL_H

#include <criterion/criterion.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "painsim/model.h"
#include "painsim/run.h"
#include "painsim/scenario.h"

static inline psim_scenario *tu_load(const char *text)
{
    psim_scenario *scn = NULL;
    psim_error err;
    psim_error_clear(&err);
    psim_status st = psim_scenario_load_text(text, strlen(text), "inline.yaml", NULL, 0, &scn, &err);
    if (st != PSIM_OK) {
        char buf[2048];
        psim_error_format(&err, buf, sizeof buf);
        cr_assert_fail("scenario did not load: %s", buf);
    }
    return scn;
}

static inline psim_scenario *tu_load_file(const char *path, const char *const *set, int n_set)
{
    psim_scenario *scn = NULL;
    psim_error err;
    psim_error_clear(&err);
    psim_status st = psim_scenario_load(path, set, n_set, &scn, &err);
    if (st != PSIM_OK) {
        char buf[2048];
        psim_error_format(&err, buf, sizeof buf);
        cr_assert_fail("scenario did not load: %s", buf);
    }
    return scn;
}

/* Run scn with `threads` threads, writing to path (may be NULL); returns results. */
static inline psim_results *tu_run(const psim_scenario *scn, int threads, const char *path)
{
    psim_run_options opt = psim_run_options_default();
    opt.threads = threads;
    opt.output_path = path;
    opt.force = 1;
    psim_results *res = NULL;
    psim_error err;
    psim_error_clear(&err);
    psim_status st = psim_run(scn, &opt, &res, &err);
    if (st != PSIM_OK) {
        char buf[2048];
        psim_error_format(&err, buf, sizeof buf);
        cr_assert_fail("run failed: %s", buf);
    }
    return res;
}

/* Read a whole dataset's raw bytes in its native memory type. */
static inline unsigned char *tu_read_raw(hid_t file, const char *name, size_t *nbytes)
{
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    if (d < 0)
        return NULL;
    hid_t ft = H5Dget_type(d);
    hid_t mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    size_t sz = H5Tget_size(mt);
    unsigned char *buf = calloc((size_t)n * sz + 1, 1);
    int is_vlen = H5Tis_variable_str(ft) > 0 || H5Tget_class(ft) == H5T_VLEN;
    if (buf && n > 0 && !is_vlen)
        H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    *nbytes = is_vlen ? 0 : (size_t)n * sz;
    H5Sclose(sp);
    H5Tclose(mt);
    H5Tclose(ft);
    H5Dclose(d);
    return buf;
}

typedef struct tu_visit {
    char names[512][256];
    int n;
} tu_visit;

static inline herr_t tu_visit_cb(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    (void)obj;
    tu_visit *v = data;
    if (info->type == H5O_TYPE_DATASET && v->n < 512)
        snprintf(v->names[v->n++], sizeof v->names[0], "/%s", name);
    return 0;
}

/* Names of every dataset in the file. */
static inline tu_visit *tu_datasets(hid_t file)
{
    tu_visit *v = calloc(1, sizeof *v);
    H5Ovisit(file, H5_INDEX_NAME, H5_ITER_INC, tu_visit_cb, v);
    return v;
}

/* Assert the two files have the same datasets with the same bytes.  Returns
 * the number of datasets compared. */
static inline int tu_assert_same_datasets(const char *a, const char *b)
{
    hid_t fa = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t fb = H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(fa >= 0 && fb >= 0, "cannot open %s or %s", a, b);
    tu_visit *va = tu_datasets(fa), *vb = tu_datasets(fb);
    cr_assert_eq(va->n, vb->n, "%s has %d datasets, %s has %d", a, va->n, b, vb->n);
    for (int k = 0; k < va->n; k++) {
        cr_assert_str_eq(va->names[k], vb->names[k]);
        size_t na = 0, nb = 0;
        unsigned char *ra = tu_read_raw(fa, va->names[k], &na);
        unsigned char *rb = tu_read_raw(fb, vb->names[k], &nb);
        cr_assert(ra && rb);
        cr_assert_eq(na, nb, "%s: %zu vs %zu bytes", va->names[k], na, nb);
        cr_assert(memcmp(ra, rb, na) == 0, "%s differs between %s and %s", va->names[k], a, b);
        free(ra);
        free(rb);
    }
    int n = va->n;
    free(va);
    free(vb);
    H5Fclose(fa);
    H5Fclose(fb);
    return n;
}

/* Read a 1-D or 2-D dataset as doubles (allocated). */
static inline double *tu_read_double(hid_t file, const char *name, size_t *n_out)
{
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    cr_assert(d >= 0, "no dataset %s", name);
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    double *buf = malloc(((size_t)n + 1) * sizeof *buf);
    cr_assert(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0, "read %s", name);
    H5Sclose(sp);
    H5Dclose(d);
    *n_out = (size_t)n;
    return buf;
}

static inline void tu_tmpname(char *buf, size_t size, const char *tag)
{
    snprintf(buf, size, "/tmp/painsim-test-%ld-%s.h5", (long)getpid(), tag);
}

/* One patient under one strategy, with the storage psim_simulate_patient
 * needs (horizons up to 1000 days). */
typedef struct tu_one {
    psim_patient p;
    psim_patient_out out;
    int32_t day[PSIM_MAX_SESSIONS];
    int8_t latent[PSIM_MAX_SESSIONS], observed[PSIM_MAX_SESSIONS];
    uint16_t ae[PSIM_MAX_STRATEGY_AE];
    double sum[1000], sumsq[1000];
    double eps[1000], effect[1000], vas[1000];
} tu_one;

/* tu_simulate with the optional outputs: responder counts and recorded
 * millimetres ([horizon], may be NULL) and the session stories (may be NULL). */
static inline void tu_simulate_as(const psim_model *m, int s, int64_t i, tu_one *o, uint32_t *resp, uint8_t *mm,
                                  psim_session_info *info, int as_run)
{
    cr_assert_leq(psim_model_scenario(m)->horizon_days, 1000);
    memset(o, 0, sizeof *o);
    psim_cohort_draw(m, 0, i, &o->p);
    psim_noise_path(m, 0, i, o->eps);
    o->out.session_day = o->day;
    o->out.latent = o->latent;
    o->out.observed = o->observed;
    o->out.ae_count = o->ae;
    o->out.sum_vas_treated = o->sum;
    o->out.sumsq_vas_treated = o->sumsq;
    o->out.sum_vas_untreated = o->sum;
    o->out.sumsq_vas_untreated = o->sumsq;
    o->out.responders_treated = resp;
    o->out.vas_mm = mm;
    o->out.info = info;
    o->out.effect = o->effect;
    /* as a cohort run asks: no VAS array, E a work array */
    o->out.vas = as_run ? NULL : o->vas;
    o->out.effect_scratch = as_run;
    psim_simulate_patient(m, s, 0, i, &o->p, o->eps, &o->out);
}

static inline void tu_simulate_with(const psim_model *m, int s, int64_t i, tu_one *o, uint32_t *resp, uint8_t *mm,
                                    psim_session_info *info)
{
    tu_simulate_as(m, s, i, o, resp, mm, info, 0);
}

static inline void tu_simulate(const psim_model *m, int s, int64_t i, tu_one *o)
{
    tu_simulate_with(m, s, i, o, NULL, NULL, NULL);
}

static inline psim_model *tu_model(const psim_scenario *scn)
{
    psim_model *m = NULL;
    psim_error err;
    psim_error_clear(&err);
    cr_assert_eq(psim_model_create(scn, &m, &err), PSIM_OK, "%s", err.message);
    return m;
}


/* ---- a scratch directory and the command line ---------------------------- */

#include <sys/stat.h>
#include <sys/wait.h>

__attribute__((unused)) static char tu_dir[256];

/* Create /tmp/painsim-<tag>-<pid> as tu_dir. */
static inline void tu_dir_make(const char *tag)
{
    snprintf(tu_dir, sizeof tu_dir, "/tmp/painsim-%s-%ld", tag, (long)getpid());
    mkdir(tu_dir, 0755);
}

static inline void tu_dir_remove(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tu_dir);
    cr_assert_eq(system(cmd), 0);
}

/* A suite whose every test runs in a fresh scratch directory tu_dir:
 *   TU_SCRATCH_DIR("cli")
 *   TestSuite(cli, .init = tu_dir_init, .fini = tu_dir_fini);  */
#define TU_SCRATCH_DIR(tag)                                                                                        \
    static void tu_dir_init(void)                                                                                  \
    {                                                                                                              \
        tu_dir_make(tag);                                                                                          \
    }                                                                                                              \
    static void tu_dir_fini(void)                                                                                  \
    {                                                                                                              \
        tu_dir_remove();                                                                                           \
    }

/* Run a shell command in tu_dir; its stdout and stderr go to *out (allocated,
 * up to 4 MiB; may be NULL).  Returns the exit status (-1 on a signal). */
static inline int tu_shell(const char *command, char **out)
{
    size_t len = strlen(command) + 2 * sizeof tu_dir + 64;
    char *cmd = malloc(len), log[512];
    cr_assert(cmd);
    snprintf(log, sizeof log, "%s/log.txt", tu_dir);
    snprintf(cmd, len, "cd '%s' && ( %s ) > '%s' 2>&1", tu_dir, command, log);
    int rc = system(cmd);
    free(cmd);
    FILE *fp = fopen(log, "rb");
    cr_assert(fp);
    char *buf = calloc(1, 1 << 22);
    cr_assert(buf);
    size_t n = fread(buf, 1, (1 << 22) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    if (out)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

#ifdef PAINSIM_BIN
/* Run the painsim program built with the tests: `painsim ARGS` (ARGS a shell
 * fragment, redirections and pipes allowed) in tu_dir, as tu_shell does. */
static inline int tu_painsim(const char *args, char **out)
{
    size_t len = strlen(args) + sizeof PAINSIM_BIN + 8;
    char *cmd = malloc(len);
    cr_assert(cmd);
    snprintf(cmd, len, "'%s' %s", PAINSIM_BIN, args);
    int rc = tu_shell(cmd, out);
    free(cmd);
    return rc;
}
#endif

/* Write text to tu_dir/name. */
static inline void tu_write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tu_dir, name);
    FILE *fp = fopen(path, "wb");
    cr_assert(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The whole of tu_dir/name as a string (allocated). */
static inline char *tu_read_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tu_dir, name);
    FILE *fp = fopen(path, "rb");
    cr_assert(fp, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static inline int tu_exists(const char *name)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", tu_dir, name);
    return stat(path, &st) == 0;
}

#endif
