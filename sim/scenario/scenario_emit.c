/*
 * The resolved scenario as YAML: block style, every key present, numbers in
 * the shortest form that reads back to the same double, strings
 * double-quoted.  psim_scenario_load_text of this text gives the same
 * settings, and emitting those again gives the same bytes.
 */
#include "painsim/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int nomem;
} sbuf;

static void sb_reserve(sbuf *b, size_t extra)
{
    if (b->nomem)
        return;
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->nomem = 1;
            return;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->nomem = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    if (b->nomem)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) PSIM_PRINTF(2, 3);

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->nomem = 1;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        sb_putn(b, tmp, (size_t)n);
        return;
    }
    sb_reserve(b, (size_t)n);
    if (b->nomem)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void indent(sbuf *b, int level)
{
    for (int i = 0; i < level; i++)
        sb_puts(b, "  ");
}

/* Shortest of %.15g, %.16g, %.17g that reads back to the same bits. */
static void format_double(double x, char *buf, size_t size)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (prec == 17)
            break;
        double y = strtod(buf, NULL);
        if (memcmp(&x, &y, sizeof x) == 0)
            break;
    }
}

/* Decode one UTF-8 sequence at s[0..n); returns its length, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned long c;
    size_t len;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0)
        len = 2, c = s[0] & 0x1Fu;
    else if ((s[0] & 0xF0) == 0xE0)
        len = 3, c = s[0] & 0x0Fu;
    else if ((s[0] & 0xF8) == 0xF0)
        len = 4, c = s[0] & 0x07u;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* A YAML double-quoted scalar.  Everything libyaml would not read back as
 * the same characters is escaped. */
static void put_quoted(sbuf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    sb_puts(b, "\"");
    for (size_t i = 0; i < n;) {
        unsigned long cp = 0;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (len == 0) { /* not UTF-8: keep the byte value as a code point */
            sb_printf(b, "\\x%02X", (unsigned)s[i]);
            i++;
            continue;
        }
        switch (cp) {
        case '"':
            sb_puts(b, "\\\"");
            break;
        case '\\':
            sb_puts(b, "\\\\");
            break;
        case '\n':
            sb_puts(b, "\\n");
            break;
        case '\t':
            sb_puts(b, "\\t");
            break;
        case '\r':
            sb_puts(b, "\\r");
            break;
        case 0x85:
            sb_puts(b, "\\N");
            break;
        case 0xA0:
            sb_puts(b, "\\_");
            break;
        case 0x2028:
            sb_puts(b, "\\L");
            break;
        case 0x2029:
            sb_puts(b, "\\P");
            break;
        default:
            if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
                sb_printf(b, "\\x%02lX", cp);
            else if (cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF)
                sb_printf(b, "\\u%04lX", cp);
            else
                sb_putn(b, str + i, len);
            break;
        }
        i += len;
    }
    sb_puts(b, "\"");
}

/* A mapping key: plain when that is unambiguous, else double-quoted. */
static void put_key(sbuf *b, const char *name)
{
    static const char *const special[] = {"null", "true", "false", "yes", "no", "on", "off",
                                          "y", "n", NULL};
    int plain = isalpha((unsigned char)name[0]) || name[0] == '_';
    for (const char *p = name; plain && *p; p++)
        plain = isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.';
    for (size_t i = 0; plain && special[i]; i++) {
        size_t k = 0;
        while (special[i][k] && name[k] && tolower((unsigned char)name[k]) == special[i][k])
            k++;
        if (!special[i][k] && !name[k])
            plain = 0;
    }
    if (plain)
        sb_puts(b, name);
    else
        put_quoted(b, name);
    sb_puts(b, ":");
}

static void kv_num(sbuf *b, int level, const char *key, double x)
{
    char num[40];
    format_double(x, num, sizeof num);
    indent(b, level);
    sb_printf(b, "%s: %s\n", key, num);
}

static void kv_int(sbuf *b, int level, const char *key, long long x)
{
    indent(b, level);
    sb_printf(b, "%s: %lld\n", key, x);
}

static void kv_bool(sbuf *b, int level, const char *key, int x)
{
    indent(b, level);
    sb_printf(b, "%s: %s\n", key, x ? "true" : "false");
}

static void kv_str(sbuf *b, int level, const char *key, const char *s)
{
    indent(b, level);
    sb_printf(b, "%s: ", key);
    put_quoted(b, s);
    sb_puts(b, "\n");
}

static void section(sbuf *b, int level, const char *key)
{
    indent(b, level);
    sb_printf(b, "%s:\n", key);
}

/* The uncertain parameter whose (first) double is at p, or NULL. */
static const psim_uncertain *uncertain_at(const psim_scenario *scn, const double *p)
{
    size_t offset = (size_t)((const char *)p - (const char *)scn);
    for (int i = 0; i < scn->n_uncertain && i < PSIM_MAX_UNCERTAIN; i++)
        if (scn->uncertain[i].offset == offset)
            return &scn->uncertain[i];
    return NULL;
}

/* `{dist: beta, alpha: 40, beta: 35, source: "..."}` */
static void put_dist(sbuf *b, const psim_uncertain *u)
{
    static const char *const keys[][2] = {{"value", NULL},    {"alpha", "beta"},
                                          {"shape", "scale"}, {"mean", "sd"},
                                          {"median", "sigma"}, {"min", "max"}};
    const psim_dist *d = &u->dist;
    char num[40];
    sb_printf(b, "{dist: %s", psim_dist_name(d->kind));
    if (d->kind == PSIM_DIST_DIRICHLET) {
        sb_puts(b, ", alpha: [");
        for (int k = 0; k < d->dim && k < PSIM_DIST_MAX_DIM; k++) {
            format_double(d->alpha[k], num, sizeof num);
            sb_printf(b, "%s%s", k ? ", " : "", num);
        }
        sb_puts(b, "]");
    } else if (d->kind == PSIM_DIST_EMPIRICAL) {
        sb_puts(b, ", file: ");
        put_quoted(b, d->file);
        sb_puts(b, ", column: ");
        put_quoted(b, d->column);
    } else if ((int)d->kind >= 0 && (size_t)d->kind < sizeof keys / sizeof *keys) {
        format_double(d->p1, num, sizeof num);
        sb_printf(b, ", %s: %s", keys[d->kind][0], num);
        if (keys[d->kind][1]) {
            format_double(d->p2, num, sizeof num);
            sb_printf(b, ", %s: %s", keys[d->kind][1], num);
        }
    }
    if (u->has_bounds) {
        format_double(u->low, num, sizeof num);
        sb_printf(b, ", low: %s", num);
        format_double(u->high, num, sizeof num);
        sb_printf(b, ", high: %s", num);
    }
    if (u->source[0]) {
        sb_puts(b, ", source: ");
        put_quoted(b, u->source);
    }
    sb_puts(b, "}");
}

/* The value of the double at p, or its distribution. */
static void put_param(sbuf *b, const psim_scenario *scn, const double *p)
{
    char num[40];
    const psim_uncertain *u = uncertain_at(scn, p);
    if (u) {
        put_dist(b, u);
        return;
    }
    format_double(*p, num, sizeof num);
    sb_puts(b, num);
}

static void kv_par(sbuf *b, const psim_scenario *scn, int level, const char *key, const double *p)
{
    indent(b, level);
    sb_printf(b, "%s: ", key);
    put_param(b, scn, p);
    sb_puts(b, "\n");
}

static void emit_truncnorm(sbuf *b, const psim_scenario *scn, int level, const char *key,
                           const psim_truncnorm *t)
{
    section(b, level, key);
    kv_par(b, scn, level + 1, "mean", &t->mean);
    kv_par(b, scn, level + 1, "sd", &t->sd);
    kv_par(b, scn, level + 1, "min", &t->min);
    kv_par(b, scn, level + 1, "max", &t->max);
}

static void emit_meansd(sbuf *b, const psim_scenario *scn, int level, const char *key,
                        const psim_meansd *m)
{
    section(b, level, key);
    kv_par(b, scn, level + 1, "mean", &m->mean);
    kv_par(b, scn, level + 1, "sd", &m->sd);
}

static const char *price_model_name(psim_price_model m)
{
    switch (m) {
    case PSIM_PRICE_PER_UNIT:
        return "per_unit";
    case PSIM_PRICE_PACKAGES:
        return "packages";
    case PSIM_PRICE_VIALS:
        return "vials";
    default:
        return "none";
    }
}

static const char *continue_name(psim_continue_rule r)
{
    switch (r) {
    case PSIM_CONTINUE_RESPONDED_FIRST:
        return "responded_first";
    case PSIM_CONTINUE_RESPONDED_PREVIOUS:
        return "responded_previous";
    default:
        return "always";
    }
}

static void emit_price(sbuf *b, const psim_scenario *scn, int level, const psim_price *p)
{
    section(b, level, "price");
    indent(b, level + 1);
    sb_printf(b, "model: %s\n", price_model_name(p->model));
    kv_par(b, scn, level + 1, "per_unit", &p->per_unit);
    if (p->n_packages <= 0) {
        indent(b, level + 1);
        sb_puts(b, "packages: []\n");
    } else {
        section(b, level + 1, "packages");
        for (int i = 0; i < p->n_packages && i < PSIM_MAX_PACKAGES; i++) {
            indent(b, level + 2);
            sb_printf(b, "- {units: %d, price: ", p->package_units[i]);
            put_param(b, scn, &p->package_price[i]);
            sb_puts(b, "}\n");
        }
    }
    /* 0 is "not set" (a given vial_units is >= 1): then the base's 0 is kept */
    if (p->vial_units > 0)
        kv_int(b, level + 1, "vial_units", p->vial_units);
    kv_par(b, scn, level + 1, "vial_price", &p->vial_price);
    /* which of the fields above the active model uses (a comment: reading
     * the text back ignores it) */
    static const char *const active[] = {
        "no drug cost (session_cost covers everything); per_unit, packages and vials are not used",
        "per_unit x the dose; packages and vials are not used",
        /* one string split over two lines (the parentheses say so to clang's
         * -Wstring-concatenation) */
        ("the cheapest cover of each dose by the packages, with single units at per_unit (so per_unit alone "
         "changes only what single units cost; change a package with --set ...price.packages[1].price=...)"),
        "whole vials of vial_units at vial_price, opened vials wasted; per_unit and packages are not used"};
    indent(b, level + 1);
    sb_printf(b, "# price model %s: %s\n", price_model_name(p->model),
              (int)p->model >= 0 && (int)p->model < 4 ? active[p->model] : "");
}

static void emit_treatment(sbuf *b, const psim_scenario *scn, const psim_treatment *t)
{
    indent(b, 1);
    put_key(b, t->name);
    sb_puts(b, "\n");
    kv_str(b, 2, "base", t->base);
    kv_bool(b, 2, "injection", t->injection);
    kv_par(b, scn, 2, "p_first", &t->p_first);
    kv_par(b, scn, 2, "p_persist", &t->p_persist);
    kv_par(b, scn, 2, "p_recover", &t->p_recover);
    kv_par(b, scn, 2, "antibody_risk", &t->antibody_risk);
    section(b, 2, "relief");
    emit_meansd(b, scn, 3, "responder", &t->relief_responder);
    emit_meansd(b, scn, 3, "non_responder", &t->relief_non_responder);
    kv_par(b, scn, 2, "onset_days", &t->onset_days);
    kv_par(b, scn, 2, "peak_days", &t->peak_days);
    section(b, 2, "duration");
    kv_par(b, scn, 3, "median_days", &t->duration_median_days);
    kv_par(b, scn, 3, "sigma", &t->duration_sigma);
    kv_par(b, scn, 3, "shift_days", &t->duration_shift_days);
    kv_par(b, scn, 2, "half_life_days", &t->half_life_days);
    section(b, 2, "dose");
    kv_int(b, 3, "units_per_level", t->units_per_level);
    kv_int(b, 3, "max_units_per_session", t->max_units_per_session);
    kv_int(b, 2, "min_interval_days", t->min_interval_days);
    emit_price(b, scn, 2, &t->price);
    kv_par(b, scn, 2, "session_cost", &t->session_cost);
    if (t->n_ae <= 0) {
        indent(b, 2);
        sb_puts(b, "adverse_events: {}\n");
        return;
    }
    section(b, 2, "adverse_events");
    for (int i = 0; i < t->n_ae && i < PSIM_MAX_AE; i++) {
        indent(b, 3);
        put_key(b, t->ae[i].name);
        sb_puts(b, "\n");
        kv_par(b, scn, 4, "p", &t->ae[i].p);
        kv_int(b, 4, "days", t->ae[i].days);
        kv_par(b, scn, 4, "utility_decrement", &t->ae[i].utility_decrement);
        kv_par(b, scn, 4, "cost", &t->ae[i].cost);
    }
}

static int none_based(const psim_scenario *scn, const psim_strategy *s)
{
    if (s->treatment_index < 0 || s->treatment_index >= scn->n_treatments)
        return 0;
    return strcmp(scn->treatments[s->treatment_index].base, "none") == 0;
}

static void emit_strategy(sbuf *b, const psim_scenario *scn, const psim_strategy *s)
{
    const psim_schedule *sc = &s->schedule;
    indent(b, 1);
    sb_puts(b, "- name: ");
    put_quoted(b, s->name);
    sb_puts(b, "\n");
    kv_str(b, 2, "treatment", s->treatment);
    kv_str(b, 2, "fallback", s->fallback);
    kv_par(b, scn, 2, "baseline_shift", &s->baseline_shift);
    if (none_based(scn, s))
        return;
    section(b, 2, "schedule");
    if (sc->kind == PSIM_SCHEDULE_DAYS) {
        indent(b, 3);
        sb_puts(b, "days: [");
        for (int i = 0; i < sc->n_days && i < PSIM_MAX_SESSIONS; i++)
            sb_printf(b, "%s%d", i ? ", " : "", sc->days[i]);
        sb_puts(b, "]\n");
    } else if (sc->kind == PSIM_SCHEDULE_EVERY) {
        kv_int(b, 3, "every_days", sc->every_days);
        kv_int(b, 3, "sessions", sc->sessions);
        kv_int(b, 3, "start_day", sc->start_day);
    } else {
        section(b, 3, "on_relapse");
        kv_par(b, scn, 4, "threshold", &sc->relapse_threshold);
        kv_int(b, 4, "max_sessions", sc->relapse_max_sessions);
        kv_int(b, 4, "review_every_days", sc->relapse_review_days);
        kv_int(b, 3, "start_day", sc->start_day);
    }
    indent(b, 3);
    sb_printf(b, "continue_if: %s\n", continue_name(sc->continue_if));
    kv_int(b, 3, "assess_after_days", sc->assess_after_days);
}

static void emit_economics(sbuf *b, const psim_scenario *scn)
{
    const psim_economics *e = &scn->economics;
    char num[40];
    section(b, 0, "economics");
    kv_str(b, 1, "currency", e->currency);
    section(b, 1, "discount");
    kv_par(b, scn, 2, "costs", &e->discount_costs);
    kv_par(b, scn, 2, "qalys", &e->discount_qalys);
    section(b, 1, "utility");
    kv_par(b, scn, 2, "u0", &e->utility_u0);
    kv_par(b, scn, 2, "slope_per_cm", &e->utility_slope);
    kv_par(b, scn, 2, "min", &e->utility_min);
    kv_par(b, scn, 2, "max", &e->utility_max);
    indent(b, 1);
    sb_puts(b, "wtp: [");
    for (int i = 0; i < e->n_wtp && i < PSIM_MAX_WTP; i++) {
        format_double(e->wtp[i], num, sizeof num);
        sb_printf(b, "%s%s", i ? ", " : "", num);
    }
    sb_puts(b, "]\n");
    kv_num(b, 1, "population", e->population);
    kv_num(b, 1, "horizon_years", e->horizon_years);
}

static void emit_psa(sbuf *b, const psim_scenario *scn)
{
    const psim_psa_settings *p = &scn->psa;
    section(b, 0, "psa");
    kv_int(b, 1, "iterations", p->iterations);
    indent(b, 1);
    sb_printf(b, "patients: %s\n", p->common_patients ? "common" : "per_iteration");
    if (p->n_groups <= 0) {
        indent(b, 1);
        sb_puts(b, "evppi_groups: {}\n");
        return;
    }
    section(b, 1, "evppi_groups");
    for (int g = 0; g < p->n_groups && g < PSIM_MAX_EVPPI_GROUPS; g++) {
        const psim_evppi_group *gr = &p->groups[g];
        indent(b, 2);
        put_key(b, gr->name);
        sb_puts(b, " [");
        for (int i = 0; i < gr->n && i < PSIM_EVPPI_GROUP_MAX; i++) {
            int k = gr->param[i];
            if (i)
                sb_puts(b, ", ");
            put_quoted(b, k >= 0 && k < scn->n_uncertain ? scn->uncertain[k].name : "");
        }
        sb_puts(b, "]\n");
    }
}

static void emit(sbuf *b, const psim_scenario *scn)
{
    const psim_cohort_params *co = &scn->cohort;
    char num[40];

    sb_puts(b, "# painsim scenario, resolved: every setting present, defaults filled in\n");
    kv_str(b, 0, "name", scn->name);
    kv_str(b, 0, "description", scn->description);
    sb_printf(b, "seed: %" PRIu64 "\n", scn->seed);
    sb_printf(b, "patients: %" PRId64 "\n", scn->patients);
    kv_int(b, 0, "horizon_days", scn->horizon_days);
    kv_int(b, 0, "block_size", scn->block_size);

    section(b, 0, "cohort");
    emit_truncnorm(b, scn, 1, "baseline_vas", &co->baseline_vas);
    emit_truncnorm(b, scn, 1, "pain_duration_months", &co->pain_duration_months);
    indent(b, 1);
    sb_puts(b, "lumbar_levels: ");
    if (uncertain_at(scn, &co->lumbar_levels[0])) {
        put_param(b, scn, &co->lumbar_levels[0]);
    } else {
        sb_puts(b, "[");
        for (int i = 0; i < PSIM_LUMBAR_LEVELS; i++) {
            format_double(co->lumbar_levels[i], num, sizeof num);
            sb_printf(b, "%s%s", i ? ", " : "", num);
        }
        sb_puts(b, "]");
    }
    sb_puts(b, "\n");
    kv_par(b, scn, 1, "myofascial", &co->myofascial);
    section(b, 1, "contraindications");
    for (int i = 0; i < PSIM_N_CONTRA; i++)
        kv_par(b, scn, 2, psim_contra_names[i], &co->contraindications[i]);
    kv_par(b, scn, 1, "aspirin_recent", &co->aspirin_recent);
    kv_int(b, 1, "aspirin_delay_days", co->aspirin_delay_days);
    section(b, 1, "noise");
    kv_par(b, scn, 2, "sd", &co->noise_sd);
    kv_par(b, scn, 2, "phi", &co->noise_phi);

    section(b, 0, "treatments");
    for (int i = 0; i < scn->n_treatments && i < PSIM_MAX_TREATMENTS; i++)
        emit_treatment(b, scn, &scn->treatments[i]);

    section(b, 0, "strategies");
    for (int i = 0; i < scn->n_strategies && i < PSIM_MAX_STRATEGIES; i++)
        emit_strategy(b, scn, &scn->strategies[i]);
    kv_str(b, 0, "reference", scn->reference);

    section(b, 0, "output");
    kv_int(b, 1, "record_every_days", scn->output.record_every_days);
    kv_bool(b, 1, "trajectories", scn->output.trajectories);
    kv_int(b, 1, "compression", scn->output.compression);
    indent(b, 1);
    sb_puts(b, "report_days: [");
    for (int i = 0; i < scn->output.n_report_days && i < PSIM_MAX_REPORT_DAYS; i++)
        sb_printf(b, "%s%d", i ? ", " : "", scn->output.report_days[i]);
    sb_puts(b, "]\n");

    emit_economics(b, scn);
    emit_psa(b, scn);
}

psim_status psim_scenario_to_yaml(const psim_scenario *scn, char **text, psim_error *err)
{
    psim_status st = PSIM_OK;
    sbuf b = {NULL, 0, 0, 0};
    if (text)
        *text = NULL;
    if (!scn || !text) {
        st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                            "psim_scenario_to_yaml: invalid arguments");
        goto cleanup;
    }
    emit(&b, scn);
    if (b.nomem) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0,
                            "out of memory while writing the scenario");
        goto cleanup;
    }
    *text = b.p;
    b.p = NULL;
cleanup:
    free(b.p);
    return st;
}

psim_status psim_scenario_write_yaml(const psim_scenario *scn, FILE *fp, psim_error *err)
{
    char *text = NULL;
    psim_status st;
    if (!fp) {
        st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                            "psim_scenario_write_yaml: invalid arguments");
        goto cleanup;
    }
    st = psim_scenario_to_yaml(scn, &text, err);
    if (st != PSIM_OK)
        goto cleanup;
    size_t n = strlen(text);
    errno = 0;
    if (fwrite(text, 1, n, fp) != n || fflush(fp) != 0) {
        int e = errno;
        st = psim_error_set(err, PSIM_ERR_IO, NULL, 0, 0, "cannot write the scenario: %s",
                            e ? strerror(e) : "write error");
        goto cleanup;
    }
cleanup:
    free(text);
    return st;
}
