/* Merging the shards of a run into one file (painsim/merge.h, docs/cluster.md). */
#define _GNU_SOURCE /* realpath */
#include "painsim/merge.h"

#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sha256.h"
#include "output/h5out.h"
#include "output/h5util.h"
#include "output/outfile.h"
#include "model/psa_internal.h"
#include "painsim/model.h"
#include "painsim/psa.h"
#include "painsim/report.h"

#ifndef PAINSIM_VERSION
#define PAINSIM_VERSION "unknown"
#endif

psim_merge_options psim_merge_options_default(void)
{
    psim_merge_options o;
    memset(&o, 0, sizeof o);
    return o;
}

typedef struct shard_info {
    const char *path;
    hid_t file;
    char kind[32], version[64], hash[80];
    int index, count; /* 1-based index */
    int64_t first_block, blocks, first_patient, patients;
    int psa;                                        /* a shard of a PSA run (run_mode "psa") */
    int first_iteration, iterations, iterations_total; /* its PSA iterations */
} shard_info;

static int attr_str(hid_t f, const char *name, char *buf, size_t size)
{
    buf[0] = '\0';
    if (H5Aexists(f, name) <= 0)
        return -1;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT), t = psim_h5_str_type();
    char *v = NULL;
    int rc = -1;
    hid_t ft = a >= 0 ? H5Aget_type(a) : H5I_INVALID_HID;
    if (a >= 0 && t >= 0 && ft >= 0 && H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft) > 0 &&
        H5Aread(a, t, &v) >= 0 && v) {
        snprintf(buf, size, "%s", v);
        rc = 0;
    }
    if (v)
        H5free_memory(v);
    if (ft >= 0)
        H5Tclose(ft);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

static int attr_i64(hid_t f, const char *name, int64_t *v)
{
    if (H5Aexists(f, name) <= 0)
        return -1;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    int rc = a >= 0 && H5Aread(a, H5T_NATIVE_INT64, v) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

/* A scalar variable-length string dataset (the scenario's text); free it. */
static char *read_text(hid_t f, const char *name)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), t = psim_h5_str_type();
    char *v = NULL, *out = NULL;
    if (d >= 0 && t >= 0 && H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) >= 0 && v)
        out = strdup(v);
    if (v)
        H5free_memory(v);
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    return out;
}

static psim_status open_shard(shard_info *si, psim_error *err)
{
    struct stat sb;
    if (stat(si->path, &sb) != 0)
        return psim_error_set(err, PSIM_ERR_INPUT, si->path, 0, 0, "missing shard: cannot open it: %s",
                              strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return psim_error_set(err, PSIM_ERR_INPUT, si->path, 0, 0, "is not a regular file, so not a shard");
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0)
        H5Pset_file_locking(fapl, 0, 1);
    si->file = H5Fopen(si->path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (si->file < 0) {
        H5Eclear2(H5E_DEFAULT);
        return psim_error_set(err, PSIM_ERR_INPUT, si->path, 0, 0,
                              "damaged shard: not a readable HDF5 file (truncated or altered?)");
    }
    if (attr_str(si->file, "painsim_version", si->version, sizeof si->version) < 0)
        return psim_error_set(err, PSIM_ERR_INPUT, si->path, 0, 0, "not a painsim file (no painsim_version attribute)");
    if (attr_str(si->file, "file_kind", si->kind, sizeof si->kind) < 0 || strcmp(si->kind, "shard") != 0)
        return psim_error_set(err, PSIM_ERR_INPUT, si->path, 0, 0,
                              "is not a shard (file_kind '%s'): give the files written by `painsim run --shard i/K`",
                              si->kind[0] ? si->kind : "none");
    int64_t idx = 0, cnt = 0;
    if (attr_str(si->file, "scenario_sha256", si->hash, sizeof si->hash) < 0 || strlen(si->hash) != 64 ||
        attr_i64(si->file, "shard_index", &idx) < 0 || attr_i64(si->file, "shard_count", &cnt) < 0 ||
        attr_i64(si->file, "shard_first_block", &si->first_block) < 0 ||
        attr_i64(si->file, "shard_blocks", &si->blocks) < 0 ||
        attr_i64(si->file, "shard_first_patient", &si->first_patient) < 0 ||
        attr_i64(si->file, "shard_patients", &si->patients) < 0 || cnt < 1 || cnt > 1000000 || idx < 1 ||
        idx > cnt)
        return psim_error_set(err, PSIM_ERR_INPUT, si->path, 0, 0,
                              "damaged shard: its layout attributes (shard_index, shard_count, ...) are missing or "
                              "out of range");
    si->index = (int)idx;
    si->count = (int)cnt;
    char mode[32];
    si->psa = attr_str(si->file, "run_mode", mode, sizeof mode) == 0 && strcmp(mode, "psa") == 0;
    if (si->psa) {
        hid_t g = H5Gopen2(si->file, "psa", H5P_DEFAULT);
        int64_t fi = -1, ni = -1, ti = -1;
        int ok = g >= 0 && attr_i64(g, "first_iteration", &fi) == 0 && attr_i64(g, "iterations", &ni) == 0 &&
                 attr_i64(g, "iterations_total", &ti) == 0 && ti >= 1 && ti <= 10000000 && fi >= 0 && ni >= 1 &&
                 fi + ni <= ti;
        if (g >= 0)
            H5Gclose(g);
        if (!ok)
            return psim_error_set(err, PSIM_ERR_INPUT, si->path, 0, 0,
                                  "damaged shard: its PSA iterations (attributes first_iteration, iterations, "
                                  "iterations_total of /psa) are missing or out of range");
        si->first_iteration = (int)fi;
        si->iterations = (int)ni;
        si->iterations_total = (int)ti;
    }
    return PSIM_OK;
}

/* The shards of a PSA run: each holds a contiguous range of iterations
 * (psim_psa_split); their rows joined in iteration order are the sample of
 * one process, analysed here as `painsim run` would and written as one PSA
 * file. */
static psim_status merge_psa(shard_info *const *slot, int K, const psim_scenario *scn,
                             const psim_merge_options *opt, psim_error *err)
{
    const int I = scn->psa.iterations;
    psim_psa_sample *whole = NULL, *part = NULL;
    psim_psa_analysis *an = NULL;
    psim_status st = PSIM_OK;
    for (int i = 0; i < K; i++) {
        int f = 0, n = 0;
        psim_error e2;
        psim_error_clear(&e2);
        int fits = psim_psa_split(I, i, K, &f, &n, &e2) == PSIM_OK;
        if (!slot[i])
            return fits ? psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                                         "missing shard %d of %d (PSA iterations %d to %d): give all %d shard files "
                                         "of the run (painsim run --shard %d/%d)",
                                         i + 1, K, f, f + n - 1, K, i + 1, K)
                        : psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0, "missing shard %d of %d", i + 1, K);
        if (!slot[i]->psa)
            return psim_error_set(err, PSIM_ERR_INPUT, slot[i]->path, 0, 0,
                                  "mismatched shard: a shard of a cohort run, %s one of a PSA run", slot[0]->path);
        if (!fits || slot[i]->iterations_total != I || slot[i]->first_iteration != f || slot[i]->iterations != n)
            return psim_error_set(err, PSIM_ERR_INPUT, slot[i]->path, 0, 0,
                                  "damaged shard: shard %d of %d of a PSA of %d iterations should hold iterations "
                                  "%d to %d, its attributes say %d to %d of %d",
                                  i + 1, K, I, f, f + n - 1, slot[i]->first_iteration,
                                  slot[i]->first_iteration + slot[i]->iterations - 1, slot[i]->iterations_total);
    }
    whole = psim_psa_sample_for(scn, 0, I);
    if (!whole)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the PSA tables");
    whole->elapsed_seconds = 0.0;
    for (int i = 0; i < K && st == PSIM_OK; i++) {
        part = psim_psa_sample_for(scn, slot[i]->first_iteration, slot[i]->iterations);
        if (!part) {
            st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the PSA tables");
            break;
        }
        st = psim_psa_read_shard_h5(slot[i]->file, slot[i]->path, part, err);
        if (st == PSIM_ERR_HDF5)
            st = err->code = PSIM_ERR_INPUT;
        if (st == PSIM_OK)
            st = psim_psa_sample_place(whole, part, err);
        /* the shards' compute time, added: they may have run one after another */
        whole->elapsed_seconds += part->elapsed_seconds;
        psim_psa_sample_destroy(part);
        part = NULL;
    }
    if (st == PSIM_OK)
        st = psim_psa_analyse(whole, &scn->economics, scn->psa.groups, scn->psa.n_groups, scn->seed, opt->threads,
                              &an, err);
    if (st == PSIM_OK) {
        psim_run_options ro = psim_run_options_default();
        ro.output_path = opt->output_path;
        ro.force = opt->force;
        ro.command_line = opt->command_line;
        ro.notice = opt->notice;
        ro.notice_data = opt->notice_data;
        st = psim_psa_write_h5_as_(scn, &ro, whole, an, K, err);
    }
    psim_psa_sample_destroy(whole);
    psim_psa_analysis_destroy(an);
    return st;
}

/* `target` relative to the directory `dir` (both absolute, canonical). */
static void relative_to(const char *dir, const char *target, char *out, size_t size)
{
    size_t common = 0, k = 0;
    /* the longest common prefix of whole components */
    while (dir[k] && target[k] && dir[k] == target[k]) {
        k++;
        if (dir[k] == '/' || dir[k] == '\0')
            if (target[k] == '/')
                common = k;
    }
    if (strcmp(dir, "/") == 0) {
        snprintf(out, size, "%s", target + 1);
        return;
    }
    out[0] = '\0';
    size_t len = 0;
    for (const char *p = dir + common; *p; p++)
        if (*p == '/')
            len += (size_t)snprintf(out + len, len < size ? size - len : 0, "../");
    snprintf(out + (len < size ? len : size), len < size ? size - len : 0, "%s", target + common + 1);
}

psim_status psim_merge(const char *const *paths, int n, const psim_merge_options *opt_in, psim_results **results,
                       psim_error *err)
{
    psim_merge_options opt = opt_in ? *opt_in : psim_merge_options_default();
    psim_status st = PSIM_OK;
    shard_info *sh = NULL;
    shard_info **slot = NULL;
    psim_scenario *scn = NULL;
    psim_model *m = NULL;
    psim_results *total = NULL, *part = NULL;
    psim_report *rep = NULL;
    psim_h5 *h5 = NULL;
    psim_outfile out = {.fd = -1};
    char **names = NULL;
    int64_t *first = NULL, *pat = NULL, *events = NULL;
    char *resolved = NULL, *text = NULL;
    int K = 0;
    if (results)
        *results = NULL;
    psim_h5_quiet();
    if (!opt.output_path)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "no output file for the merge");
    if (n < 1)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "no shard files to merge");
    st = psim_output_check(opt.output_path, opt.force, err);
    if (st != PSIM_OK)
        return st;
    sh = calloc((size_t)n, sizeof *sh);
    if (!sh)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
    for (int k = 0; k < n; k++)
        sh[k].file = H5I_INVALID_HID;

    /* every file a shard of the same run */
    for (int k = 0; k < n; k++) {
        sh[k].path = paths[k];
        st = open_shard(&sh[k], err);
        if (st != PSIM_OK)
            goto cleanup;
        if (k == 0)
            continue;
        if (strcmp(sh[k].hash, sh[0].hash) != 0 || strcmp(sh[k].version, sh[0].version) != 0) {
            st = psim_error_set(err, PSIM_ERR_INPUT, sh[k].path, 0, 0,
                                "mismatched shard: made from another scenario text, seed or cohort size, or by "
                                "another painsim version, than %s (scenario_sha256 %.12s... painsim %s vs %.12s... "
                                "painsim %s)",
                                sh[0].path, sh[k].hash, sh[k].version, sh[0].hash, sh[0].version);
            goto cleanup;
        }
        if (sh[k].psa != sh[0].psa) {
            st = psim_error_set(err, PSIM_ERR_INPUT, sh[k].path, 0, 0, "mismatched shard: a shard of a %s run, %s one of a %s run",
                                sh[k].psa ? "PSA" : "cohort", sh[0].path, sh[0].psa ? "PSA" : "cohort");
            goto cleanup;
        }
        if (sh[k].count != sh[0].count) {
            st = psim_error_set(err, PSIM_ERR_INPUT, sh[k].path, 0, 0,
                                "mismatched shard: it is one of %d shards, %s one of %d", sh[k].count, sh[0].path,
                                sh[0].count);
            goto cleanup;
        }
    }
    K = sh[0].count;
    slot = calloc((size_t)K, sizeof *slot);
    if (!slot) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    for (int k = 0; k < n; k++) {
        shard_info **s = &slot[sh[k].index - 1];
        if (*s) {
            st = psim_error_set(err, PSIM_ERR_INPUT, sh[k].path, 0, 0,
                                "duplicated shard: it is shard %d of %d, and so is %s; give each shard once",
                                sh[k].index, K, (*s)->path);
            goto cleanup;
        }
        *s = &sh[k];
    }

    /* the scenario, as the shards ran it; its hash checks the text */
    resolved = read_text(sh[0].file, "/scenario/resolved");
    text = read_text(sh[0].file, "/scenario/text");
    if (!resolved || !text) {
        st = psim_error_set(err, PSIM_ERR_INPUT, sh[0].path, 0, 0, "damaged shard: cannot read /scenario");
        goto cleanup;
    }
    st = psim_scenario_load_text(resolved, strlen(resolved), sh[0].path, NULL, 0, &scn, err);
    if (st != PSIM_OK) {
        char msg[PSIM_ERROR_TEXT_MAX];
        snprintf(msg, sizeof msg, "%s", err->message);
        st = psim_error_set(err, PSIM_ERR_INPUT, sh[0].path, 0, 0,
                            "damaged shard: its /scenario/resolved does not load: %s", msg);
        goto cleanup;
    }
    char hash[65];
    st = psim_scenario_sha256(scn, hash, err);
    if (st != PSIM_OK)
        goto cleanup;
    if (strcmp(hash, sh[0].hash) != 0) {
        st = psim_error_set(err, PSIM_ERR_INPUT, sh[0].path, 0, 0,
                            "damaged shard: its scenario text does not match its scenario_sha256");
        goto cleanup;
    }
    free(scn->source_text);
    scn->source_text = text;
    text = NULL;
    {
        hid_t g = H5Gopen2(sh[0].file, "/scenario", H5P_DEFAULT);
        char sp[PSIM_ERROR_FILE_MAX];
        if (g >= 0 && attr_str(g, "source_path", sp, sizeof sp) == 0)
            snprintf(scn->source_path, sizeof scn->source_path, "%s", sp);
        if (g >= 0)
            H5Gclose(g);
    }
    if (slot[0] ? slot[0]->psa : sh[0].psa) {
        st = merge_psa(slot, K, scn, &opt, err);
        goto cleanup;
    }
    for (int i = 0; i < K; i++) {
        if (!slot[i]) {
            int64_t f = 0, nb = 0;
            psim_error e2;
            psim_error_clear(&e2);
            if (psim_run_shard_range(scn, i, K, &f, &nb, &e2) == PSIM_OK)
                st = psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                                    "missing shard %d of %d (patients %lld to %lld): give all %d shard files of the "
                                    "run (painsim run --shard %d/%d)",
                                    i + 1, K, (long long)(f * scn->block_size),
                                    (long long)((f + nb) * scn->block_size < scn->patients
                                                    ? (f + nb) * scn->block_size - 1
                                                    : scn->patients - 1),
                                    K, i + 1, K);
            else
                st = psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0, "missing shard %d of %d", i + 1, K);
            goto cleanup;
        }
        int64_t f, nb;
        st = psim_run_shard_range(scn, i, K, &f, &nb, err);
        if (st != PSIM_OK) {
            st = psim_error_set(err, PSIM_ERR_INPUT, slot[i]->path, 0, 0, "damaged shard: %d shards do not fit the "
                                "scenario's blocks", K);
            goto cleanup;
        }
        int64_t fp = f * scn->block_size, np = ((f + nb) * scn->block_size < scn->patients
                                                    ? (f + nb) * scn->block_size
                                                    : scn->patients) - fp;
        if (slot[i]->first_block != f || slot[i]->blocks != nb || slot[i]->first_patient != fp ||
            slot[i]->patients != np) {
            st = psim_error_set(err, PSIM_ERR_INPUT, slot[i]->path, 0, 0,
                                "damaged shard: shard %d of %d should hold blocks %lld to %lld (patients %lld to "
                                "%lld), its attributes say otherwise",
                                i + 1, K, (long long)f, (long long)(f + nb - 1), (long long)fp,
                                (long long)(fp + np - 1));
            goto cleanup;
        }
    }

    /* the totals: every block's partial sums, in block order */
    st = psim_model_create(scn, &m, err);
    if (st != PSIM_OK)
        goto cleanup;
    total = psim_results_create(scn, m);
    part = psim_results_create(scn, m);
    if (!total || !part) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    for (int i = 0; i < K; i++) {
        for (int64_t r = 0; r < slot[i]->blocks; r++) {
            int64_t index = -1;
            st = psim_h5_read_partial(slot[i]->file, slot[i]->path, m, r, &index, part, err);
            if (st == PSIM_ERR_HDF5)
                st = err->code = PSIM_ERR_INPUT;
            if (st != PSIM_OK)
                goto cleanup;
            int64_t expect = slot[i]->first_block + r;
            int64_t bp = (expect + 1) * scn->block_size < scn->patients ? scn->block_size
                                                                         : scn->patients - expect * scn->block_size;
            if (index != expect || part->patients != bp) {
                st = psim_error_set(err, PSIM_ERR_INPUT, slot[i]->path, 0, 0,
                                    "damaged shard: row %lld of /partial_sums is block %lld of %lld patients, "
                                    "expected block %lld of %lld",
                                    (long long)r, (long long)index, (long long)part->patients, (long long)expect,
                                    (long long)bp);
                goto cleanup;
            }
            psim_results_add(total, part);
        }
    }

    /* every shard's per-patient data read back (checksums), and the rows of
     * its events tables counted */
    names = calloc((size_t)K, sizeof *names);
    first = calloc((size_t)K, sizeof *first);
    pat = calloc((size_t)K, sizeof *pat);
    events = calloc((size_t)K * (size_t)scn->n_strategies + 1, sizeof *events);
    if (!names || !first || !pat || !events) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    if (!opt.copy) {
        for (int i = 0; i < K; i++) {
            st = psim_h5_copy_shard(NULL, m, slot[i]->file, slot[i]->path, slot[i]->first_patient, slot[i]->patients,
                                    events + (size_t)i * (size_t)scn->n_strategies, err);
            if (st != PSIM_OK)
                goto cleanup;
        }
    }
    /* the shards' names relative to the merged file's directory */
    char outdir[PATH_MAX];
    {
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s", opt.output_path);
        char *slash = strrchr(tmp, '/');
        if (!slash)
            snprintf(tmp, sizeof tmp, ".");
        else if (slash == tmp)
            tmp[1] = '\0';
        else
            *slash = '\0';
        if (!realpath(tmp, outdir)) {
            st = psim_error_set(err, PSIM_ERR_USAGE, tmp, 0, 0, "cannot resolve the output directory: %s",
                                strerror(errno));
            goto cleanup;
        }
    }
    for (int i = 0; i < K; i++) {
        char abs[PATH_MAX], rel[2 * PATH_MAX];
        if (!realpath(slot[i]->path, abs)) {
            st = psim_error_set(err, PSIM_ERR_INPUT, slot[i]->path, 0, 0, "missing shard: %s", strerror(errno));
            goto cleanup;
        }
        relative_to(outdir, abs, rel, sizeof rel);
        names[i] = strdup(rel);
        first[i] = slot[i]->first_patient;
        pat[i] = slot[i]->patients;
        if (!names[i]) {
            st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
            goto cleanup;
        }
    }

    /* write: NAME.partial, renamed when complete */
    st = psim_report_from_results(total, scn, &rep, err);
    if (st != PSIM_OK)
        goto cleanup;
    psim_h5_vds vds = {.copy = opt.copy,
                       .n = K,
                       .names = (const char *const *)names,
                       .first = first,
                       .patients = pat,
                       .events = events};
    st = psim_h5_create(&out, opt.output_path, opt.force, opt.notice, opt.notice_data, opt.command_line, m, NULL,
                        &vds, &h5, err);
    if (st != PSIM_OK)
        goto cleanup;
    if (opt.copy) {
        for (int i = 0; i < K; i++) {
            st = psim_h5_copy_shard(h5, m, slot[i]->file, slot[i]->path, slot[i]->first_patient, slot[i]->patients,
                                    events + (size_t)i * (size_t)scn->n_strategies, err);
            if (st != PSIM_OK)
                goto cleanup;
        }
    }
    /* closes the file and commits it, or removes it after a failure */
    st = psim_h5_finish(h5, total, rep, err);
    h5 = NULL;

cleanup:
    psim_h5_close(h5);
    psim_outfile_abort(&out);
    if (sh)
        for (int k = 0; k < n; k++)
            if (sh[k].file >= 0)
                H5Fclose(sh[k].file);
    H5Eclear2(H5E_DEFAULT);
    if (names)
        for (int i = 0; i < K; i++)
            free(names[i]);
    free(names);
    free(first);
    free(pat);
    free(events);
    free(sh);
    free(slot);
    free(resolved);
    free(text);
    psim_report_destroy(rep);
    psim_results_destroy(part);
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
    if (st == PSIM_OK && results)
        *results = total;
    else
        psim_results_destroy(total);
    return st;
}

/* ---- reading a merged file: its sources must be there ------------------- */

typedef struct vds_walk {
    char dir[PATH_MAX];
    char last[PATH_MAX];
    psim_error *err;
    const char *path;
    psim_status st;
} vds_walk;

static herr_t vds_visit(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    vds_walk *w = data;
    if (info->type != H5O_TYPE_DATASET)
        return 0;
    hid_t d = H5Dopen2(obj, name, H5P_DEFAULT);
    hid_t dcpl = d >= 0 ? H5Dget_create_plist(d) : H5I_INVALID_HID;
    herr_t rc = 0;
    if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_VIRTUAL) {
        size_t count = 0;
        if (H5Pget_virtual_count(dcpl, &count) < 0)
            count = 0;
        for (size_t i = 0; i < count && rc == 0; i++) {
            char src[PATH_MAX], full[2 * PATH_MAX + 2];
            if (H5Pget_virtual_filename(dcpl, i, src, sizeof src) < 0)
                continue;
            if (strcmp(src, ".") == 0 || strcmp(src, w->last) == 0)
                continue;
            if (src[0] == '/')
                snprintf(full, sizeof full, "%s", src);
            else
                snprintf(full, sizeof full, "%s/%s", w->dir, src);
            struct stat sb;
            if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode) || access(full, R_OK) != 0) {
                w->st = psim_error_set(w->err, PSIM_ERR_INPUT, w->path, 0, 0,
                                       "merged file whose shard %s is missing or unreadable (%s): its per-patient "
                                       "datasets (/%s, ...) are virtual datasets over the shards, and would read as "
                                       "fill values; keep the shards beside the merged file, or merge again with "
                                       "--copy",
                                       src, full, name);
                rc = 1;
            } else {
                snprintf(w->last, sizeof w->last, "%s", src);
            }
        }
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (d >= 0)
        H5Dclose(d);
    return rc;
}

psim_status psim_file_check_sources(const char *path, psim_error *err)
{
    /* only a regular file is opened here: the reader refuses the rest (a FIFO
     * would block the open) */
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return PSIM_OK;
    psim_h5_quiet();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0)
        H5Pset_file_locking(fapl, 0, 1);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (f < 0) {
        H5Eclear2(H5E_DEFAULT);
        return PSIM_OK; /* the reader says what is wrong with it */
    }
    psim_status st = PSIM_OK;
    char kind[32];
    if (attr_str(f, "file_kind", kind, sizeof kind) == 0 && strcmp(kind, "shard") == 0) {
        int64_t i = 0, k = 0;
        attr_i64(f, "shard_index", &i);
        attr_i64(f, "shard_count", &k);
        st = psim_error_set(err, PSIM_ERR_INPUT, path, 0, 0,
                            "is shard %lld of %lld of a run, not a finished run: merge all %lld shards with "
                            "`painsim merge OUT.h5 SHARD...` and read the merged file",
                            (long long)i, (long long)k, (long long)k);
    } else if (strcmp(kind, "merged") == 0) {
        vds_walk w;
        memset(&w, 0, sizeof w);
        w.err = err;
        w.path = path;
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof tmp, "%s", path);
        char *slash = strrchr(tmp, '/');
        if (!slash)
            snprintf(w.dir, sizeof w.dir, ".");
        else if (slash == tmp)
            snprintf(w.dir, sizeof w.dir, "/");
        else {
            *slash = '\0';
            snprintf(w.dir, sizeof w.dir, "%s", tmp);
        }
        if (H5Ovisit(f, H5_INDEX_NAME, H5_ITER_NATIVE, vds_visit, &w) < 0 && w.st == PSIM_OK)
            st = psim_error_set(err, PSIM_ERR_INPUT, path, 0, 0, "damaged file: cannot list its datasets");
        else
            st = w.st;
    }
    H5Fclose(f);
    H5Eclear2(H5E_DEFAULT);
    return st;
}
