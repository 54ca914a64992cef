/* Calibration problems: reading a targets file (painsim/calibrate.h) and
 * evaluating the deviance of the targets at a parameter vector. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate/calib_internal.h"
#include "painsim/run.h"
#include "scenario/yamldoc.h"

static const char *const quantity_names[] = {"observed_response", "mean_vas", "persistence",
                                             "ae_per_session", NULL};

const char *psim_calib_quantity_name(psim_target_quantity q)
{
    return (unsigned)q < 4 ? quantity_names[q] : "unknown";
}

static psim_status failv(psim_error *err, const yd_node *at, const char *fmt, va_list ap)
{
    char msg[PSIM_ERROR_TEXT_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return psim_error_set(err, PSIM_ERR_INPUT, at ? at->origin : NULL, at ? at->line : 0,
                          at ? at->column : 0, "%s", msg);
}

static psim_status fail(psim_error *err, const yd_node *at, const char *fmt, ...) PSIM_PRINTF(3, 4);
static psim_status fail(psim_error *err, const yd_node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    psim_status st = failv(err, at, fmt, ap);
    va_end(ap);
    return st;
}

static psim_status check_keys(psim_error *err, const yd_node *m, const char *what,
                              const char *const *keys)
{
    if (!m || m->kind != YD_MAPPING)
        return fail(err, m, "%s: expected a mapping", what);
    for (size_t i = 0; i < m->n; i++) {
        int ok = 0;
        for (int k = 0; keys[k]; k++)
            ok |= yd_scalar_is(m->keys[i], keys[k]);
        if (!ok) {
            char list[512] = "";
            for (int k = 0; keys[k]; k++) {
                strncat(list, k ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, keys[k], sizeof list - strlen(list) - 1);
            }
            return fail(err, m->keys[i], "unknown key `%s` in %s (keys: %s)", m->keys[i]->text, what,
                        list);
        }
    }
    return PSIM_OK;
}

static psim_status rd_num(psim_error *err, const yd_node *v, const char *what, double *out)
{
    char d[128];
    if (!v || v->kind != YD_SCALAR || !v->plain || v->len == 0) {
        yd_describe(v, d, sizeof d);
        return fail(err, v, "`%s`: expected a number, got %s", what, d);
    }
    char *end = NULL;
    errno = 0;
    double x = strtod(v->text, &end);
    if (end == v->text || *end != '\0' || errno == ERANGE || !isfinite(x) || strlen(v->text) != v->len)
        return fail(err, v, "`%s`: expected a number, got `%s`", what, v->text);
    *out = x;
    return PSIM_OK;
}

static psim_status rd_int(psim_error *err, const yd_node *v, const char *what, long lo, long hi, long *out)
{
    double x;
    psim_status st = rd_num(err, v, what, &x);
    if (st != PSIM_OK)
        return st;
    if (x != floor(x) || x < (double)lo || x > (double)hi)
        return fail(err, v, "`%s` must be an integer in [%ld, %ld], got %s", what, lo, hi, v->text);
    *out = (long)x;
    return PSIM_OK;
}

static psim_status rd_str(psim_error *err, const yd_node *v, const char *what, char *buf, size_t size)
{
    char d[128];
    if (!v || v->kind != YD_SCALAR || v->len == 0 || strlen(v->text) != v->len) {
        yd_describe(v, d, sizeof d);
        return fail(err, v, "`%s`: expected a non-empty string, got %s", what, d);
    }
    if (v->len >= size)
        return fail(err, v, "`%s`: at most %zu characters", what, size - 1);
    memcpy(buf, v->text, v->len + 1);
    return PSIM_OK;
}

static char *read_file(const char *path, size_t *len, psim_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        psim_error_set(err, PSIM_ERR_INPUT, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = cap > YD_MAX_BYTES ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!buf || bad) {
        free(buf);
        psim_error_set(err, bad ? PSIM_ERR_IO : PSIM_ERR_NOMEM, path, 0, 0,
                       bad ? "read error" : "out of memory (or larger than 16 MiB)");
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* `rel` relative to the directory of `base` (unless absolute). */
static void relative_to(char *out, size_t size, const char *base, const char *rel)
{
    const char *slash = strrchr(base, '/');
    size_t dir = rel[0] == '/' || !slash ? 0 : (size_t)(slash - base) + 1;
    if (dir >= size)
        dir = size - 1;
    size_t n = strlen(rel);
    if (dir + n >= size)
        n = size - dir - 1;
    memcpy(out, base, dir);
    memcpy(out + dir, rel, n);
    out[dir + n] = '\0';
}

static psim_status add_scenario(psim_calib *c, const char *path, const yd_node *at, psim_error *err)
{
    if (c->n_scen >= PSIM_CALIB_MAX_SCENARIOS)
        return fail(err, at, "at most %d scenarios in one calibration", PSIM_CALIB_MAX_SCENARIOS);
    calib_scenario *s = &c->scen[c->n_scen];
    snprintf(s->path, sizeof s->path, "%s", path);
    psim_scenario *scn = NULL;
    psim_status st = psim_scenario_load(path, NULL, 0, &scn, err);
    if (st != PSIM_OK)
        return st;
    snprintf(s->name, sizeof s->name, "%s", scn->name);
    s->text = scn->source_text;
    s->len = strlen(scn->source_text);
    scn->source_text = NULL;
    psim_scenario_destroy(scn);
    for (int k = 0; k < c->n_scen; k++)
        if (strcmp(c->scen[k].name, s->name) == 0) {
            free(s->text);
            s->text = NULL;
            return fail(err, at, "two scenarios are named `%s` (%s and %s); scenarios are told apart "
                                 "by their `name`",
                        s->name, c->scen[k].path, path);
        }
    c->n_scen++;
    return PSIM_OK;
}

static int scenario_index(const psim_calib *c, const char *name)
{
    for (int k = 0; k < c->n_scen; k++)
        if (strcmp(c->scen[k].name, name) == 0)
            return k;
    return -1;
}

static psim_status rd_scenario_ref(psim_calib *c, const yd_node *v, const char *what, int *out,
                                   psim_error *err)
{
    char name[PSIM_NAME_MAX];
    psim_status st = rd_str(err, v, what, name, sizeof name);
    if (st != PSIM_OK)
        return st;
    int k = scenario_index(c, name);
    if (k < 0) {
        char list[512] = "";
        for (int i = 0; i < c->n_scen; i++) {
            strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, c->scen[i].name, sizeof list - strlen(list) - 1);
        }
        return fail(err, v, "`%s`: no scenario is named `%s` (scenarios: %s)", what, name, list);
    }
    *out = k;
    return PSIM_OK;
}

/* Load scenario k with the given overrides (and the calibration's cohort size). */
static psim_status load_with(const psim_calib *c, int k, const char *const *set, int n_set,
                             psim_scenario **out, psim_error *err)
{
    return psim_scenario_load_text(c->scen[k].text, c->scen[k].len, c->scen[k].path, set, n_set, out,
                                   err);
}

static psim_status conv_param(psim_calib *c, const yd_node *m, psim_error *err)
{
    static const char *const keys[] = {"name", "set", "min", "max", "start", "unit", NULL};
    psim_status st = check_keys(err, m, "a parameter", keys);
    if (st != PSIM_OK)
        return st;
    if (c->n_params >= PSIM_CALIB_MAX_PARAMS)
        return fail(err, m, "at most %d parameters", PSIM_CALIB_MAX_PARAMS);
    psim_calib_param *p = &c->params[c->n_params];
    memset(p, 0, sizeof *p);
    const yd_node *nn = yd_map_get(m, "name"), *sn = yd_map_get(m, "set");
    const yd_node *lo = yd_map_get(m, "min"), *hi = yd_map_get(m, "max");
    if (!nn || !sn || !lo || !hi)
        return fail(err, m, "a parameter needs `name`, `set` (the scenario key, or {scenario: key, ...}), "
                            "`min` and `max`");
    st = rd_str(err, nn, "name", p->name, sizeof p->name);
    if (st != PSIM_OK)
        return st;
    for (int k = 0; k < c->n_params; k++)
        if (strcmp(c->params[k].name, p->name) == 0)
            return fail(err, nn, "parameter `%s` is given twice", p->name);
    if ((st = rd_num(err, lo, "min", &p->lo)) != PSIM_OK || (st = rd_num(err, hi, "max", &p->hi)) != PSIM_OK)
        return st;
    if (!(p->lo < p->hi))
        return fail(err, hi, "parameter `%s`: needs min < max, got min %g and max %g", p->name, p->lo, p->hi);
    p->start = 0.5 * (p->lo + p->hi);
    const yd_node *sv = yd_map_get(m, "start");
    if (sv) {
        if ((st = rd_num(err, sv, "start", &p->start)) != PSIM_OK)
            return st;
        if (!(p->start > p->lo && p->start < p->hi))
            return fail(err, sv, "parameter `%s`: start must lie strictly inside (%g, %g), got %g", p->name,
                        p->lo, p->hi, p->start);
    }
    const yd_node *un = yd_map_get(m, "unit");
    if (un && (st = rd_str(err, un, "unit", p->unit, sizeof p->unit)) != PSIM_OK)
        return st;
    /* set: KEY (the command-line scenario) or {scenario: KEY, ...} */
    const yd_node *keys_at[PSIM_CALIB_MAX_SETS];
    if (sn->kind == YD_SCALAR) {
        p->n_sets = 1;
        p->set_scenario[0] = 0;
        keys_at[0] = sn;
        if ((st = rd_str(err, sn, "set", p->set_key[0], sizeof p->set_key[0])) != PSIM_OK)
            return st;
    } else if (sn->kind == YD_MAPPING && sn->n > 0) {
        if (sn->n > PSIM_CALIB_MAX_SETS)
            return fail(err, sn, "parameter `%s`: at most %d scenario keys", p->name, PSIM_CALIB_MAX_SETS);
        for (size_t i = 0; i < sn->n; i++) {
            if ((st = rd_scenario_ref(c, sn->keys[i], "set", &p->set_scenario[i], err)) != PSIM_OK)
                return st;
            if ((st = rd_str(err, sn->items[i], "set", p->set_key[i], sizeof p->set_key[i])) != PSIM_OK)
                return st;
            keys_at[i] = sn->items[i];
        }
        p->n_sets = (int)sn->n;
    } else {
        return fail(err, sn, "parameter `%s`: `set` is a scenario key such as treatments.botox.p_first, "
                             "or a mapping {scenario name: key, ...}",
                    p->name);
    }
    /* every key must take the bounds: try both in each scenario */
    for (int i = 0; i < p->n_sets; i++) {
        const double vals[2] = {p->lo, p->hi};
        for (int b = 0; b < 2; b++) {
            char set[PSIM_PARAM_NAME_MAX + 40];
            const char *sp = set;
            snprintf(set, sizeof set, "%s=%.17g", p->set_key[i], vals[b]);
            psim_scenario *scn = NULL;
            psim_error e2;
            psim_error_clear(&e2);
            if (load_with(c, p->set_scenario[i], &sp, 1, &scn, &e2) != PSIM_OK)
                return fail(err, keys_at[i], "parameter `%s` at its %s %g in scenario `%s`: %s", p->name,
                            b ? "max" : "min", vals[b], c->scen[p->set_scenario[i]].name, e2.message);
            psim_scenario_destroy(scn);
        }
    }
    c->n_params++;
    return PSIM_OK;
}

static int find_strategy(const psim_scenario *scn, const char *name)
{
    for (int s = 0; s < scn->n_strategies; s++)
        if (strcmp(scn->strategies[s].name, name) == 0)
            return s;
    return -1;
}

static psim_status conv_target(psim_calib *c, const yd_node *m, psim_scenario *const *loaded,
                               psim_error *err)
{
    static const char *const keys[] = {"name", "source", "scenario", "strategy", "quantity", "day", "ae",
                                       "count", "n", "mean", "se", "sd", NULL};
    psim_status st = check_keys(err, m, "a target", keys);
    if (st != PSIM_OK)
        return st;
    if (c->n_targets >= PSIM_CALIB_MAX_TARGETS)
        return fail(err, m, "at most %d targets", PSIM_CALIB_MAX_TARGETS);
    psim_calib_target *t = &c->targets[c->n_targets];
    memset(t, 0, sizeof *t);
    t->line = m->line;
    t->column = m->column;
    const yd_node *v;
    if (!(v = yd_map_get(m, "name")))
        return fail(err, m, "a target needs a `name`");
    if ((st = rd_str(err, v, "name", t->name, sizeof t->name)) != PSIM_OK)
        return st;
    if ((v = yd_map_get(m, "source")) && (st = rd_str(err, v, "source", t->source, sizeof t->source)) != PSIM_OK)
        return st;
    if ((v = yd_map_get(m, "scenario")) && (st = rd_scenario_ref(c, v, "scenario", &t->scenario, err)) != PSIM_OK)
        return st;
    const psim_scenario *scn = loaded[t->scenario];
    if (!(v = yd_map_get(m, "strategy")))
        return fail(err, m, "target `%s` needs a `strategy`", t->name);
    if ((st = rd_str(err, v, "strategy", t->strategy, sizeof t->strategy)) != PSIM_OK)
        return st;
    if (find_strategy(scn, t->strategy) < 0)
        return fail(err, v, "target `%s`: scenario `%s` has no strategy `%s`", t->name, scn->name, t->strategy);
    if (!(v = yd_map_get(m, "quantity")))
        return fail(err, m, "target `%s` needs a `quantity` (observed_response, mean_vas, persistence or "
                            "ae_per_session)",
                    t->name);
    int q = -1;
    for (int k = 0; quantity_names[k]; k++)
        if (yd_scalar_is(v, quantity_names[k]))
            q = k;
    if (q < 0)
        return fail(err, v, "`quantity`: expected one of observed_response, mean_vas, persistence, "
                            "ae_per_session, got `%s`",
                    v->kind == YD_SCALAR ? v->text : "a collection");
    t->quantity = (psim_target_quantity)q;
    const yd_node *dv = yd_map_get(m, "day"), *av = yd_map_get(m, "ae");
    if (t->quantity == PSIM_TARGET_OBSERVED_RESPONSE || t->quantity == PSIM_TARGET_MEAN_VAS) {
        long day;
        if (!dv)
            return fail(err, m, "target `%s`: %s needs the `day`", t->name, quantity_names[q]);
        if ((st = rd_int(err, dv, "day", 0, scn->horizon_days - 1, &day)) != PSIM_OK)
            return st;
        t->day = (int)day;
    } else if (dv) {
        return fail(err, dv, "target `%s`: `day` goes with observed_response and mean_vas", t->name);
    }
    if (t->quantity == PSIM_TARGET_AE_PER_SESSION) {
        if (!av)
            return fail(err, m, "target `%s`: ae_per_session needs `ae` (the adverse-event name)", t->name);
        if ((st = rd_str(err, av, "ae", t->ae, sizeof t->ae)) != PSIM_OK)
            return st;
        const psim_treatment *tr = &scn->treatments[scn->strategies[find_strategy(scn, t->strategy)].treatment_index];
        int found = 0;
        for (int k = 0; k < tr->n_ae; k++)
            found |= strcmp(tr->ae[k].name, t->ae) == 0;
        if (!found)
            return fail(err, av, "target `%s`: treatment `%s` has no adverse event `%s`", t->name, tr->name, t->ae);
    } else if (av) {
        return fail(err, av, "target `%s`: `ae` goes with ae_per_session", t->name);
    }
    const yd_node *cv = yd_map_get(m, "count"), *nv = yd_map_get(m, "n");
    const yd_node *mv = yd_map_get(m, "mean"), *sev = yd_map_get(m, "se"), *sdv = yd_map_get(m, "sd");
    if (cv) {
        if (mv || sev || sdv)
            return fail(err, mv ? mv : (sev ? sev : sdv),
                        "target `%s`: give either `count` and `n` (a proportion) or `mean` with `se` (or `sd` "
                        "and `n`), not both",
                        t->name);
        if (t->quantity == PSIM_TARGET_MEAN_VAS)
            return fail(err, cv, "target `%s`: mean_vas is a mean: give `mean` and `se` (or `sd` and `n`)", t->name);
        if (!nv)
            return fail(err, m, "target `%s`: `count` needs `n`", t->name);
        long k, n;
        if ((st = rd_int(err, nv, "n", 1, 100000000, &n)) != PSIM_OK ||
            (st = rd_int(err, cv, "count", 0, n, &k)) != PSIM_OK)
            return st;
        t->binomial = 1;
        t->count = (double)k;
        t->n = (double)n;
    } else if (mv) {
        if ((st = rd_num(err, mv, "mean", &t->mean)) != PSIM_OK)
            return st;
        if (sev) {
            if (sdv || nv)
                return fail(err, sdv ? sdv : nv, "target `%s`: give `se`, or `sd` and `n`, not both", t->name);
            if ((st = rd_num(err, sev, "se", &t->se)) != PSIM_OK)
                return st;
        } else if (sdv && nv) {
            double sd;
            long n;
            if ((st = rd_num(err, sdv, "sd", &sd)) != PSIM_OK || (st = rd_int(err, nv, "n", 1, 100000000, &n)) != PSIM_OK)
                return st;
            t->se = sd / sqrt((double)n);
            t->n = (double)n;
        } else {
            return fail(err, mv, "target `%s`: a mean needs its `se`, or `sd` and `n`", t->name);
        }
        if (!(t->se > 0))
            return fail(err, sev ? sev : sdv, "target `%s`: the standard error must be > 0", t->name);
    } else {
        return fail(err, m, "target `%s` needs its figure: `count` and `n`, or `mean` and `se`", t->name);
    }
    c->n_targets++;
    return PSIM_OK;
}

static void settings_default(psim_calib_settings *s)
{
    s->patients = 2000;
    s->starts = 3;
    s->max_evaluations = 300;
    s->prior_samples = 400;
    s->imis_rounds = 10;
    s->imis_batch = 100;
    s->posterior_draws = 1000;
    s->seed = 1;
    s->threads = 0;
}

static psim_status conv_settings(psim_calib_settings *s, const yd_node *m, psim_error *err)
{
    static const char *const keys[] = {"patients", "starts", "max_evaluations", "prior_samples", "imis_rounds",
                                       "imis_batch", "posterior_draws", "seed", NULL};
    psim_status st = check_keys(err, m, "`calibration`", keys);
    if (st != PSIM_OK)
        return st;
    long v;
    const yd_node *n;
#define SETTING(key, lo, hi, field)                                                     \
    if ((n = yd_map_get(m, key))) {                                                     \
        if ((st = rd_int(err, n, "calibration." key, lo, hi, &v)) != PSIM_OK)           \
            return st;                                                                  \
        s->field = v;                                                                   \
    }
    SETTING("patients", 1, 100000000, patients)
    SETTING("starts", 1, 16, starts)
    SETTING("max_evaluations", 1, 1000000, max_evaluations)
    SETTING("prior_samples", 0, 1000000, prior_samples)
    SETTING("imis_rounds", 0, 1000, imis_rounds)
    SETTING("imis_batch", 1, 100000, imis_batch)
    SETTING("posterior_draws", 1, 10000000, posterior_draws)
    SETTING("seed", 0, 2147483647L, seed)
#undef SETTING
    return PSIM_OK;
}

psim_status psim_calib_load(const char *scenario_path, const char *targets_path, psim_calib **out,
                            psim_error *err)
{
    psim_error_clear(err);
    *out = NULL;
    psim_calib *c = calloc(1, sizeof *c);
    if (!c)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory");
    settings_default(&c->settings);
    snprintf(c->targets_path, sizeof c->targets_path, "%s", targets_path);
    psim_scenario *loaded[PSIM_CALIB_MAX_SCENARIOS] = {0};
    yd_node *doc = NULL;
    size_t len = 0;
    char *text = NULL;
    psim_status st = add_scenario(c, scenario_path, NULL, err);
    if (st != PSIM_OK)
        goto cleanup;
    text = read_file(targets_path, &len, err);
    if (!text) {
        st = err->code;
        goto cleanup;
    }
    st = yd_parse(text, len, c->targets_path, 0, YD_PARSE_DOCUMENT, &doc, err);
    if (st != PSIM_OK)
        goto cleanup;
    {
        static const char *const keys[] = {"scenarios", "parameters", "targets", "calibration", NULL};
        if ((st = check_keys(err, doc, "the targets file", keys)) != PSIM_OK)
            goto cleanup;
    }
    const yd_node *sc = yd_map_get(doc, "scenarios");
    if (sc) {
        if (sc->kind != YD_MAPPING) {
            st = fail(err, sc, "`scenarios`: expected a mapping {name: file, ...} (files relative to the targets file)");
            goto cleanup;
        }
        for (size_t i = 0; i < sc->n; i++) {
            char rel[PSIM_ERROR_FILE_MAX], path[PSIM_ERROR_FILE_MAX];
            if ((st = rd_str(err, sc->items[i], "scenarios", rel, sizeof rel)) != PSIM_OK)
                goto cleanup;
            relative_to(path, sizeof path, targets_path, rel);
            psim_error e2;
            psim_error_clear(&e2);
            if ((st = add_scenario(c, path, sc->items[i], &e2)) != PSIM_OK) {
                if (e2.line > 0 || st != PSIM_ERR_INPUT)
                    *err = e2;
                else
                    st = fail(err, sc->items[i], "scenario `%s`: %s", sc->keys[i]->text, e2.message);
                goto cleanup;
            }
            if (strcmp(c->scen[c->n_scen - 1].name, sc->keys[i]->text) != 0) {
                st = fail(err, sc->keys[i], "scenario file %s is named `%s`: use that name as the key",
                          path, c->scen[c->n_scen - 1].name);
                goto cleanup;
            }
        }
    }
    for (int k = 0; k < c->n_scen; k++)
        if ((st = load_with(c, k, NULL, 0, &loaded[k], err)) != PSIM_OK)
            goto cleanup;
    const yd_node *cs = yd_map_get(doc, "calibration");
    if (cs && (st = conv_settings(&c->settings, cs, err)) != PSIM_OK)
        goto cleanup;
    const yd_node *ps = yd_map_get(doc, "parameters"), *ts = yd_map_get(doc, "targets");
    if (!ps || ps->kind != YD_SEQUENCE || ps->n == 0) {
        st = fail(err, ps ? ps : doc, "`parameters`: expected a list of parameters to fit, each "
                                      "{name, set, min, max}");
        goto cleanup;
    }
    if (!ts || ts->kind != YD_SEQUENCE || ts->n == 0) {
        st = fail(err, ts ? ts : doc, "`targets`: expected a list of published figures, each {name, strategy, "
                                      "quantity, count and n or mean and se}");
        goto cleanup;
    }
    for (size_t i = 0; i < ps->n; i++)
        if ((st = conv_param(c, ps->items[i], err)) != PSIM_OK)
            goto cleanup;
    for (size_t i = 0; i < ts->n; i++)
        if ((st = conv_target(c, ts->items[i], loaded, err)) != PSIM_OK)
            goto cleanup;
    *out = c;
    c = NULL;
cleanup:
    for (int k = 0; k < PSIM_CALIB_MAX_SCENARIOS; k++)
        psim_scenario_destroy(loaded[k]);
    yd_free(doc);
    free(text);
    psim_calib_destroy(c);
    return st;
}

void psim_calib_destroy(psim_calib *c)
{
    if (!c)
        return;
    for (int k = 0; k < c->n_scen; k++)
        free(c->scen[k].text);
    free(c);
}

int psim_calib_n_params(const psim_calib *c) { return c->n_params; }
int psim_calib_n_targets(const psim_calib *c) { return c->n_targets; }
int psim_calib_n_scenarios(const psim_calib *c) { return c->n_scen; }
const psim_calib_param *psim_calib_param_at(const psim_calib *c, int k) { return &c->params[k]; }
const psim_calib_target *psim_calib_target_at(const psim_calib *c, int k) { return &c->targets[k]; }
const char *psim_calib_scenario_name(const psim_calib *c, int k) { return c->scen[k].name; }
psim_calib_settings *psim_calib_settings_of(psim_calib *c) { return &c->settings; }

/* k ln(k / m), 0 when k = 0 */
static double xlogx(double k, double m) { return k > 0.0 ? k * log(k / m) : 0.0; }

psim_status psim_calib_evaluate(psim_calib *c, const double *theta, double *deviance, double *model,
                                double *model_se, double *z, psim_error *err)
{
    psim_status st = PSIM_OK;
    double dev = 0.0;
    for (int k = 0; k < c->n_scen; k++) {
        int used = 0;
        for (int t = 0; t < c->n_targets; t++)
            used |= c->targets[t].scenario == k;
        if (!used)
            continue;
        char sets[PSIM_CALIB_MAX_PARAMS * PSIM_CALIB_MAX_SETS + 1][PSIM_PARAM_NAME_MAX + 40];
        const char *setp[PSIM_CALIB_MAX_PARAMS * PSIM_CALIB_MAX_SETS + 1];
        int n_set = 0;
        snprintf(sets[n_set], sizeof sets[n_set], "patients=%lld", (long long)c->settings.patients);
        setp[n_set] = sets[n_set];
        n_set++;
        for (int p = 0; p < c->n_params; p++)
            for (int i = 0; i < c->params[p].n_sets; i++)
                if (c->params[p].set_scenario[i] == k) {
                    snprintf(sets[n_set], sizeof sets[n_set], "%s=%.17g", c->params[p].set_key[i], theta[p]);
                    setp[n_set] = sets[n_set];
                    n_set++;
                }
        psim_scenario *scn = NULL;
        if ((st = load_with(c, k, setp, n_set, &scn, err)) != PSIM_OK)
            return st;
        psim_run_options opt = psim_run_options_default();
        opt.threads = c->settings.threads;
        psim_results *res = NULL;
        st = psim_run(scn, &opt, &res, err);
        if (st != PSIM_OK) {
            psim_scenario_destroy(scn);
            return st;
        }
        for (int t = 0; t < c->n_targets; t++) {
            const psim_calib_target *tg = &c->targets[t];
            if (tg->scenario != k)
                continue;
            const psim_strategy_summary *s = NULL;
            for (int j = 0; j < res->n_strategies; j++)
                if (strcmp(res->strategies[j].name, tg->strategy) == 0)
                    s = &res->strategies[j];
            double v = NAN, se = NAN;
            switch (tg->quantity) {
            case PSIM_TARGET_OBSERVED_RESPONSE: v = psim_summary_observed_response(s, tg->day, &se); break;
            case PSIM_TARGET_MEAN_VAS: v = psim_summary_mean_vas(s, tg->day, &se); break;
            case PSIM_TARGET_PERSISTENCE: v = psim_summary_proportion(s->persist_num, s->persist_den, &se); break;
            case PSIM_TARGET_AE_PER_SESSION: {
                int64_t cnt = 0;
                for (int a = 0; a < s->n_ae; a++)
                    if (strcmp(s->ae_name[a], tg->ae) == 0)
                        cnt = s->ae_count[a];
                double ns = s->sessions_sum;
                v = ns > 0 ? (double)cnt / ns : 0.0;
                se = ns > 0 ? sqrt(v * (1 - v) / ns) : 0.0;
                break;
            }
            }
            double d, zz;
            if (tg->binomial) {
                double p = !isfinite(v) ? 0.5 : v;
                p = p < 1e-9 ? 1e-9 : (p > 1 - 1e-9 ? 1 - 1e-9 : p);
                d = 2.0 * (xlogx(tg->count, tg->n * p) + xlogx(tg->n - tg->count, tg->n * (1 - p)));
                zz = (p - tg->count / tg->n) / sqrt(p * (1 - p) / tg->n);
            } else {
                zz = (v - tg->mean) / tg->se;
                d = zz * zz;
                if (!isfinite(d))
                    d = 1e12;
            }
            dev += d;
            if (model)
                model[t] = v;
            if (model_se)
                model_se[t] = se;
            if (z)
                z[t] = zz;
        }
        psim_results_destroy(res);
        psim_scenario_destroy(scn);
    }
    *deviance = dev;
    return PSIM_OK;
}
