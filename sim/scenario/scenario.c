/*
 * Scenario loading: YAML text -> tree (yamldoc) -> --set overrides applied to
 * the tree -> psim_scenario with MODEL.md defaults -> validation.
 *
 * Every error is an input error at the offending node: the key for unknown
 * keys, the value for bad values.  Nothing is guessed or silently fixed.
 */
#include "painsim/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/files.h"
#include "scenario/yamldoc.h"

#define PATIENTS_MAX ((int64_t)1 << 40)
#define HORIZON_MAX 36525
#define BLOCK_MAX 1048576
#define DEFAULT_ASSESS_AFTER_DAYS 21
#define DEFAULT_RELAPSE_THRESHOLD 0.5
#define DEFAULT_RELAPSE_MAX_SESSIONS 4
#define PATH_MAX_LEN 256
#define DESCRIBE_MAX 256

/* Caps that keep every later computation finite and in range (an input
 * error, never a crash or an overflow in the model). */
#define DAYS_MAX 36525          /* day counts and durations: 100 years */
#define UNITS_MAX 1000000       /* dose units, package and vial sizes */
#define MONEY_MAX 1e12          /* prices and costs, currency */
#define SD_MAX 1000.0           /* sd of the cohort's truncated normals */
#define MEAN_MAX 1e6            /* |mean| of the cohort's truncated normals */
#define NOISE_SD_MAX 10.0       /* cm */
#define SIGMA_MAX 5.0           /* LogNormal sigma of the duration */
#define UTILITY_ABS_MAX 10.0    /* |u0|, |slope|, |min|, |max| */
#define AE_DECREMENT_MAX 2.0    /* utility decrement of an adverse event */
#define POPULATION_MAX 1e10     /* economics.population, patients per year */
#define HORIZON_YEARS_MAX 100.0 /* economics.horizon_years */
#define PSA_ITERATIONS_MAX 10000000
/* vas_mm is written in chunks of block_size x recorded days (1 byte each);
 * HDF5 chunks must stay below 4 GiB. */
#define CHUNK_VALUES_MAX ((int64_t)1 << 31)

/* ------------------------------------------------------------- key lists */

static const char *const top_keys[] = {"name",       "description", "seed",     "patients",
                                       "horizon_days", "block_size", "cohort", "treatments",
                                       "strategies", "reference",   "output",   "economics",
                                       "psa",        NULL};
static const char *const cohort_keys[] = {"baseline_vas",     "pain_duration_months",
                                          "lumbar_levels",    "myofascial",
                                          "contraindications", "aspirin_recent",
                                          "aspirin_delay_days", "noise", NULL};
static const char *const truncnorm_keys[] = {"mean", "sd", "min", "max", NULL};
static const char *const noise_keys[] = {"sd", "phi", NULL};
static const char *const treatment_keys[] = {
    "base",       "injection",      "p_first",   "p_persist",         "p_recover",
    "antibody_risk", "relief",      "onset_days", "peak_days",        "duration",
    "half_life_days", "dose",       "min_interval_days", "price",     "session_cost",
    "adverse_events", NULL};
static const char *const relief_keys[] = {"responder", "non_responder", NULL};
static const char *const meansd_keys[] = {"mean", "sd", NULL};
static const char *const duration_keys[] = {"median_days", "sigma", "shift_days", NULL};
static const char *const dose_keys[] = {"units_per_level", "max_units_per_session", NULL};
static const char *const price_keys[] = {"model", "per_unit", "packages", "vial_units",
                                         "vial_price", NULL};
static const char *const package_keys[] = {"units", "price", NULL};
static const char *const ae_keys[] = {"p", "days", "utility_decrement", "cost", NULL};
static const char *const strategy_keys[] = {"name", "treatment", "fallback", "baseline_shift", "schedule", NULL};
static const char *const schedule_keys[] = {"days",      "every_days",        "sessions",
                                            "start_day", "assess_after_days", "continue_if",
                                            "on_relapse", NULL};
static const char *const relapse_keys[] = {"threshold", "max_sessions", "review_every_days", NULL};
static const char *const output_keys[] = {"record_every_days", "trajectories", "compression", "report_days",
                                          NULL};
static const char *const economics_keys[] = {"currency", "discount",   "utility", "wtp",
                                             "population", "horizon_years", NULL};
static const char *const discount_keys[] = {"costs", "qalys", NULL};
static const char *const utility_keys[] = {"u0", "slope_per_cm", "min", "max", NULL};
static const char *const psa_keys[] = {"iterations", "patients", "evppi_groups", NULL};
static const char *const psa_patients_names[] = {"per_iteration", "common", NULL};

/* Distributions of MODEL.md section 6, in the order of psim_dist_kind, and
 * the keys of each: `dist`, `source`, then its parameters (p1, p2). */
static const char *const dist_names[] = {"fixed",     "beta",    "gamma",     "normal",
                                         "lognormal", "uniform", "dirichlet", "empirical", NULL};
static const char *const dist_keys[][5] = {
    {"dist", "source", "value", NULL, NULL},   {"dist", "source", "alpha", "beta", NULL},
    {"dist", "source", "shape", "scale", NULL}, {"dist", "source", "mean", "sd", NULL},
    {"dist", "source", "median", "sigma", NULL}, {"dist", "source", "min", "max", NULL},
    {"dist", "source", "alpha", NULL, NULL},   {"dist", "source", "file", "column", NULL}};

/* Values of the enumerated keys, in the order of their C enums. */
static const char *const price_model_names[] = {"none", "per_unit", "packages", "vials", NULL};
static const char *const continue_names[] = {"always", "responded_first", "responded_previous",
                                             NULL};

/* Adverse-event names that are event-kind labels in the output. */
static const char *const reserved_ae_names[] = {"session", "antibody_positive", NULL};

/* ---------------------------------------------------------------- context */

typedef struct tdef {
    const yd_node *key;   /* the name under `treatments:` */
    psim_treatment t;     /* fully resolved */
} tdef;

/* A parameter given as a distribution, as read.  Treatments are resolved
 * into conv.def first and copied into the scenario only when a strategy uses
 * them, so the double is located either in the scenario (def < 0, offset in
 * psim_scenario) or in def[def].t (offset in psim_treatment) until the
 * strategies are converted. */
typedef struct pending {
    psim_uncertain u;
    int def;
    int money;            /* unit: the scenario's currency (known only at the end) */
    const yd_node *at;    /* the distribution's mapping */
} pending;

/* Distributions on treatments that no strategy uses are dropped at the end,
 * so more than PSIM_MAX_UNCERTAIN may be pending. */
#define PENDING_MAX (4 * PSIM_MAX_UNCERTAIN)

typedef struct ulist {
    int n;
    pending p[PENDING_MAX];
} ulist;

typedef struct conv {
    psim_error *err;
    psim_scenario *scn;
    int n_def;
    tdef def[PSIM_MAX_TREATMENTS];
    const yd_node *strategy_name_node[PSIM_MAX_STRATEGIES];
    ulist *ul;            /* points at ul_store: written through a const conv * */
    ulist ul_store;
} conv;

static void set_str(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memset(dst, 0, size);
    memcpy(dst, src, n);
}

static psim_status fail(const conv *c, const yd_node *at, const char *fmt, ...) PSIM_PRINTF(3, 4);

static psim_status fail(const conv *c, const yd_node *at, const char *fmt, ...)
{
    char msg[PSIM_ERROR_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return psim_error_set(c->err, PSIM_ERR_INPUT, at ? at->origin : NULL, at ? at->line : 0,
                          at ? at->column : 0, "%s", msg);
}

/* Append s to buf (size bytes, *o used), truncating; buf stays NUL-terminated. */
static void append(char *buf, size_t size, size_t *o, const char *s)
{
    size_t n = strlen(s);
    if (*o >= size)
        return;
    if (n > size - 1 - *o)
        n = size - 1 - *o;
    memcpy(buf + *o, s, n);
    *o += n;
    buf[*o] = '\0';
}

/* "path.key" (or "key" at the top level). */
static void join(char *buf, size_t size, const char *path, const char *key)
{
    size_t o = 0;
    buf[0] = '\0';
    if (path && path[0]) {
        append(buf, size, &o, path);
        append(buf, size, &o, ".");
    }
    append(buf, size, &o, key);
}

/* The key node of `key` in a mapping, or NULL. */
static const yd_node *key_node(const yd_node *map, const char *key)
{
    long i = yd_map_index(map, key);
    return i < 0 ? NULL : map->keys[i];
}

/* ------------------------------------------------------------ did you mean */

static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t row[PSIM_PARAM_NAME_MAX + 1];
    if (la > PSIM_PARAM_NAME_MAX || lb > PSIM_PARAM_NAME_MAX)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The candidate closest to s, if close enough to be a likely typo. */
static const char *suggest(const char *s, size_t len, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        size_t lc = strlen(cands[i]);
        size_t d = edit_distance(s, len, cands[i], lc);
        size_t longer = len > lc ? len : lc;
        size_t limit = longer / 3 > 2 ? longer / 3 : 2;
        /* a prefix of a longer key ("horizon" for "horizon_days") counts as close */
        if (len >= 4 && len < lc && strncmp(s, cands[i], len) == 0 && strlen(s) == len)
            d = lc - len > limit ? limit : lc - len;
        if (d <= limit && d < lc && d < len && d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

static size_t list_len(const char *const *list)
{
    size_t n = 0;
    while (list[n])
        n++;
    return n;
}

static void join_list(char *buf, size_t size, const char *const *list, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < size; i++) {
        int w = snprintf(buf + o, size - o, "%s%s", i ? ", " : "", list[i]);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

/* Text of a scalar for messages (short, printable). */
static void text_of(const yd_node *v, char *buf, size_t size)
{
    char tmp[DESCRIBE_MAX];
    yd_describe(v, tmp, sizeof tmp);
    /* yd_describe writes `x` for plain scalars: drop the backticks for "got". */
    size_t n = strlen(tmp);
    if (v && v->kind == YD_SCALAR && v->plain && n >= 2 && tmp[0] == '`' && tmp[n - 1] == '`') {
        tmp[n - 1] = '\0';
        snprintf(buf, size, "%s", tmp + 1);
    } else {
        snprintf(buf, size, "%s", tmp);
    }
}

static void where_text(char *buf, size_t size, const char *path)
{
    if (path && path[0])
        snprintf(buf, size, "in `%s`", path);
    else
        snprintf(buf, size, "at the top level");
}

/* Every key of a mapping must be one of `valid`. */
static psim_status check_keys(const conv *c, const yd_node *map, const char *path,
                              const char *const *valid)
{
    size_t nvalid = list_len(valid);
    for (size_t i = 0; i < map->n; i++) {
        const yd_node *k = map->keys[i];
        int known = 0;
        for (size_t j = 0; j < nvalid && !known; j++)
            known = yd_scalar_is(k, valid[j]);
        if (known)
            continue;
        char key[DESCRIBE_MAX], where[PATH_MAX_LEN + 16], list[PSIM_ERROR_TEXT_MAX / 2];
        text_of(k, key, sizeof key);
        where_text(where, sizeof where, path);
        const char *s = suggest(k->text, k->len, valid, nvalid);
        if (s)
            return fail(c, k, "unknown key `%s` %s; did you mean `%s`?", key, where, s);
        join_list(list, sizeof list, valid, nvalid);
        return fail(c, k, "unknown key `%s` %s; valid keys are: %s", key, where, list);
    }
    return PSIM_OK;
}

/* ------------------------------------------------------------ value types */

static psim_status expect(const conv *c, const yd_node *v, const char *path, yd_kind kind)
{
    char what[DESCRIBE_MAX];
    if (v->kind == kind)
        return PSIM_OK;
    yd_describe(v, what, sizeof what);
    return fail(c, v, "`%s`: expected %s, got %s", path,
                kind == YD_MAPPING ? "a mapping" : kind == YD_SEQUENCE ? "a sequence" : "a scalar",
                what);
}

/* A mapping whose keys are all in `valid`. */
static psim_status expect_keys(const conv *c, const yd_node *m, const char *path,
                               const char *const *valid)
{
    psim_status st = expect(c, m, path, YD_MAPPING);
    if (st == PSIM_OK)
        st = check_keys(c, m, path, valid);
    return st;
}

/* A plain, non-null scalar without NUL bytes, else a wrong-type error. */
static psim_status expect_plain(const conv *c, const yd_node *v, const char *path,
                                const char *expected)
{
    char what[DESCRIBE_MAX];
    if (v->kind == YD_MAPPING && yd_map_get(v, "dist"))
        return fail(c, v,
                    "`%s`: expected %s, got a distribution; `%s` takes no distribution (only "
                    "floating-point model parameters do, not willingness-to-pay values, "
                    "integers or names)",
                    path, expected, path);
    if (v->kind == YD_SCALAR && v->plain && !yd_is_null(v) && strlen(v->text) == v->len)
        return PSIM_OK;
    yd_describe(v, what, sizeof what);
    return fail(c, v, "`%s`: expected %s, got %s", path, expected, what);
}

static int is_digits_span(const char *s, size_t start, size_t end)
{
    if (start >= end)
        return 0;
    for (size_t i = start; i < end; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int is_digits(const char *s)
{
    if (!isdigit((unsigned char)*s))
        return 0;
    while (isdigit((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* [+-]? (d+ (. d*)? | . d+) ([eE] [+-]? d+)? */
static int decimal_syntax(const char *s)
{
    int digits = 0;
    if (*s == '+' || *s == '-')
        s++;
    while (isdigit((unsigned char)*s))
        s++, digits++;
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char)*s))
            s++, digits++;
    }
    if (!digits)
        return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!isdigit((unsigned char)*s))
            return 0;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return *s == '\0';
}

static int is_nonfinite_word(const char *s)
{
    static const char *const words[] = {"nan", ".nan", "inf", ".inf", "infinity", NULL};
    if (*s == '+' || *s == '-')
        s++;
    for (size_t i = 0; words[i]; i++) {
        size_t n = strlen(words[i]), j = 0;
        for (j = 0; j < n && s[j] && tolower((unsigned char)s[j]) == words[i][j]; j++)
            ;
        if (j == n && s[n] == '\0')
            return 1;
    }
    return 0;
}

static psim_status rd_number(const conv *c, const yd_node *v, const char *path, double *out)
{
    char *end = NULL;
    psim_status st = expect_plain(c, v, path, "a number");
    if (st != PSIM_OK)
        return st;
    if (is_nonfinite_word(v->text))
        return fail(c, v, "`%s`: expected a finite number, got `%s`", path, v->text);
    if (!decimal_syntax(v->text)) {
        char t[DESCRIBE_MAX];
        text_of(v, t, sizeof t);
        return fail(c, v, "`%s`: expected a number, got `%s`", path, t);
    }
    errno = 0;
    double d = strtod(v->text, &end);
    if (end != v->text + v->len) {
        char t[DESCRIBE_MAX];
        text_of(v, t, sizeof t);
        return fail(c, v, "`%s`: expected a number, got `%s`", path, t);
    }
    if (!isfinite(d) || (errno == ERANGE && fabs(d) > 1.0)) {
        char t[DESCRIBE_MAX];
        text_of(v, t, sizeof t);
        return fail(c, v, "`%s`: the number %s is too large (overflow)", path, t);
    }
    *out = d;
    return PSIM_OK;
}

/* Interval bounds for doubles; use -HUGE_VAL / HUGE_VAL for none. */
typedef struct range {
    double lo, hi;
    int lo_open, hi_open;
    int cap;  /* 1: hi is a sanity cap of this program, not a bound of the quantity (a gamma
               * or lognormal may be given; draws above the cap are the PSA engine's to reject) */
} range;

static const range R_PROB = {0.0, 1.0, 0, 0, 0};
static const range R_NONNEG = {0.0, HUGE_VAL, 0, 1, 0};

static void range_text(const range *r, char *buf, size_t size)
{
    if (r->hi == HUGE_VAL)
        snprintf(buf, size, "%s %.15g", r->lo_open ? ">" : ">=", r->lo);
    else if (r->lo == -HUGE_VAL)
        snprintf(buf, size, "%s %.15g", r->hi_open ? "<" : "<=", r->hi);
    else
        snprintf(buf, size, "in %s%.15g, %.15g%s", r->lo_open ? "(" : "[", r->lo, r->hi,
                 r->hi_open ? ")" : "]");
}

static int in_range(const range *r, double x)
{
    if (r->lo_open ? !(x > r->lo) : !(x >= r->lo))
        return 0;
    if (r->hi_open ? !(x < r->hi) : !(x <= r->hi))
        return 0;
    return 1;
}

/* A plain number in r (no distribution). */
static psim_status rd_value(const conv *c, const yd_node *v, const char *path, range r,
                            double *out)
{
    double d = 0.0;
    char rt[96];
    psim_status st = rd_number(c, v, path, &d);
    if (st != PSIM_OK)
        return st;
    if (!in_range(&r, d)) {
        range_text(&r, rt, sizeof rt);
        return fail(c, v, "`%s` must be %s, got %s", path, rt, v->text);
    }
    *out = d;
    return PSIM_OK;
}

/* Decimal integer in [lo, hi]; hi == INT64_MAX means no upper bound. */
static psim_status rd_int64(const conv *c, const yd_node *v, const char *path, int64_t lo,
                            int64_t hi, int64_t *out)
{
    char *end = NULL;
    char t[DESCRIBE_MAX];
    psim_status st = expect_plain(c, v, path, "an integer");
    if (st != PSIM_OK)
        return st;
    const char *s = v->text;
    if (!is_digits(s[0] == '+' || s[0] == '-' ? s + 1 : s)) {
        text_of(v, t, sizeof t);
        return fail(c, v, "`%s`: expected an integer, got `%s`", path, t);
    }
    const char *digits = s[0] == '+' || s[0] == '-' ? s + 1 : s;
    if (digits[0] == '0' && digits[1] != '\0') {
        text_of(v, t, sizeof t);
        return fail(c, v,
                    "`%s`: expected an integer without leading zeros (YAML 1.1 reads them as "
                    "octal), got `%s`",
                    path, t);
    }
    errno = 0;
    long long x = strtoll(s, &end, 10);
    int overflow = errno == ERANGE;
    if (overflow || end != s + v->len || x < lo || x > hi) {
        text_of(v, t, sizeof t);
        if (hi == INT64_MAX || (hi == INT_MAX && !overflow && x < lo))
            return fail(c, v, "`%s` must be an integer >= %" PRId64 ", got %s", path, lo, t);
        return fail(c, v, "`%s` must be an integer in [%" PRId64 ", %" PRId64 "], got %s", path,
                    lo, hi, t);
    }
    *out = (int64_t)x;
    return PSIM_OK;
}

static psim_status rd_int(const conv *c, const yd_node *v, const char *path, int lo, int hi,
                          int *out)
{
    int64_t x;
    psim_status st = rd_int64(c, v, path, lo, hi, &x);
    if (st == PSIM_OK)
        *out = (int)x;
    return st;
}

static psim_status rd_uint64(const conv *c, const yd_node *v, const char *path, uint64_t *out)
{
    char *end = NULL;
    char t[DESCRIBE_MAX];
    psim_status st = expect_plain(c, v, path, "an unsigned 64-bit integer");
    if (st != PSIM_OK)
        return st;
    const char *s = v->text[0] == '+' ? v->text + 1 : v->text;
    text_of(v, t, sizeof t);
    if (!is_digits(s))
        return fail(c, v, "`%s`: expected an unsigned 64-bit integer, got `%s`", path, t);
    if (s[0] == '0' && s[1] != '\0')
        return fail(c, v,
                    "`%s`: expected an integer without leading zeros (YAML 1.1 reads them as "
                    "octal), got `%s`",
                    path, t);
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno == ERANGE || *end != '\0' || x > UINT64_MAX)
        return fail(c, v, "`%s` must be an integer in [0, %" PRIu64 "], got %s", path,
                    UINT64_MAX, t);
    *out = (uint64_t)x;
    return PSIM_OK;
}

static psim_status rd_bool(const conv *c, const yd_node *v, const char *path, int *out)
{
    char what[DESCRIBE_MAX];
    if (v->kind == YD_SCALAR && v->plain) {
        if (yd_scalar_is(v, "true") || yd_scalar_is(v, "True") || yd_scalar_is(v, "TRUE")) {
            *out = 1;
            return PSIM_OK;
        }
        if (yd_scalar_is(v, "false") || yd_scalar_is(v, "False") || yd_scalar_is(v, "FALSE")) {
            *out = 0;
            return PSIM_OK;
        }
    }
    yd_describe(v, what, sizeof what);
    return fail(c, v, "`%s`: expected a boolean (true or false), got %s", path, what);
}

static psim_status rd_string(const conv *c, const yd_node *v, const char *path, char *buf,
                             size_t size)
{
    char what[DESCRIBE_MAX];
    if (v->kind != YD_SCALAR || yd_is_null(v)) {
        yd_describe(v, what, sizeof what);
        return fail(c, v, "`%s`: expected a string, got %s", path, what);
    }
    if (strlen(v->text) != v->len)
        return fail(c, v, "`%s`: a string must not contain NUL characters", path);
    if (v->len >= size)
        return fail(c, v, "`%s`: the string is %zu bytes long, more than the limit of %zu", path,
                    v->len, size - 1);
    set_str(buf, size, v->text);
    return PSIM_OK;
}

static int valid_name(const char *s, size_t len)
{
    if (len < 1 || len >= PSIM_NAME_MAX || strlen(s) != len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!(isalnum(ch) || ch == '_' || ch == '.' || ch == '-') || ch > 0x7f)
            return 0;
    }
    return 1;
}

static psim_status check_name_node(const conv *c, const yd_node *v, const char *path)
{
    char what[DESCRIBE_MAX];
    if (v->kind == YD_SCALAR && !yd_is_null(v) && valid_name(v->text, v->len))
        return PSIM_OK;
    if (v->kind == YD_MAPPING && yd_map_get(v, "dist"))
        return fail(c, v, "`%s`: expected a name, got a distribution; names take no distribution",
                    path);
    yd_describe(v, what, sizeof what);
    return fail(c, v,
                "`%s`: expected a name of 1-%d letters, digits, `_`, `.` or `-`, got %s", path,
                PSIM_NAME_MAX - 1, what);
}

static psim_status rd_name(const conv *c, const yd_node *v, const char *path, char *buf)
{
    psim_status st = check_name_node(c, v, path);
    if (st == PSIM_OK)
        set_str(buf, PSIM_NAME_MAX, v->text);
    return st;
}

/* Strategy and adverse-event names become HDF5 group and dataset names,
 * where `.` and `..` are not usable. */
static psim_status check_hdf5_name(const conv *c, const yd_node *v, const char *path,
                                   const char *what)
{
    if (v->kind == YD_SCALAR && (strcmp(v->text, ".") == 0 || strcmp(v->text, "..") == 0))
        return fail(c, v,
                    "`%s`: `%s` cannot be %s name (it names an HDF5 group or dataset in the "
                    "output, where `.` and `..` are not usable)",
                    path, v->text, what);
    return PSIM_OK;
}

/* One word of `names` (NULL-terminated); *out is its index. */
static psim_status rd_enum(const conv *c, const yd_node *v, const char *path,
                           const char *const *names, int *out)
{
    char what[DESCRIBE_MAX], list[256];
    size_t n = list_len(names);
    if (v->kind == YD_SCALAR && !yd_is_null(v) && strlen(v->text) == v->len) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(v->text, names[i]) == 0) {
                *out = (int)i;
                return PSIM_OK;
            }
        }
    }
    yd_describe(v, what, sizeof what);
    join_list(list, sizeof list, names, n);
    if (v->kind == YD_SCALAR && strlen(v->text) == v->len) {
        const char *s = suggest(v->text, v->len, names, n);
        if (s)
            return fail(c, v, "`%s`: expected one of %s, got %s; did you mean `%s`?", path, list,
                        what, s);
    }
    return fail(c, v, "`%s`: expected one of %s, got %s", path, list, what);
}

/* A currency code: 1-15 ASCII letters. */
static psim_status rd_currency(const conv *c, const yd_node *v, const char *path, char *buf,
                               size_t size)
{
    char what[DESCRIBE_MAX];
    int ok = v->kind == YD_SCALAR && !yd_is_null(v) && v->len >= 1 && v->len < size &&
             strlen(v->text) == v->len;
    for (size_t i = 0; ok && i < v->len; i++) {
        unsigned char ch = (unsigned char)v->text[i];
        ok = ch < 0x80 && isalpha(ch);
    }
    if (ok) {
        set_str(buf, size, v->text);
        return PSIM_OK;
    }
    yd_describe(v, what, sizeof what);
    return fail(c, v, "`%s`: expected a currency code of 1-%zu letters (such as RUB), got %s",
                path, size - 1, what);
}

/* --------------------------------------------------- uncertain parameters */

/* The unit of a parameter from its scenario key; NULL for money (the
 * scenario's currency, known only once `economics` is read). */
static const char *unit_for(const char *name)
{
    static const struct {
        const char *prefix, *unit;
    } by_prefix[] = {
        {"cohort.baseline_vas.", "cm"},
        {"cohort.pain_duration_months.", "months"},
        {"cohort.noise.sd", "cm"},
        {"cohort.noise.phi", "1"},
        {"cohort.", "probability"}, /* lumbar_levels, myofascial, contraindications, aspirin */
        {"economics.discount.", "per year"},
        {"economics.utility.slope_per_cm", "QALY per cm"},
        {"economics.utility.", "QALY"},
    };
    static const struct {
        const char *key, *unit;
    } by_key[] = {
        {"p_first", "probability"},
        {"p_persist", "probability"},
        {"p_recover", "probability"},
        {"antibody_risk", "probability"},
        {"p", "probability"},
        {"mean", "fraction of baseline VAS"}, /* relief */
        {"sd", "fraction of baseline VAS"},
        {"threshold", "fraction of baseline VAS"},
        {"baseline_shift", "cm"},
        {"onset_days", "days"},
        {"peak_days", "days"},
        {"median_days", "days"},
        {"shift_days", "days"},
        {"half_life_days", "days"},
        {"sigma", "1"},
        {"utility_decrement", "QALY"},
    };
    for (size_t i = 0; i < sizeof by_prefix / sizeof *by_prefix; i++)
        if (strncmp(name, by_prefix[i].prefix, strlen(by_prefix[i].prefix)) == 0)
            return by_prefix[i].unit;
    const char *last = strrchr(name, '.');
    last = last ? last + 1 : name;
    for (size_t i = 0; i < sizeof by_key / sizeof *by_key; i++)
        if (strcmp(last, by_key[i].key) == 0)
            return by_key[i].unit;
    return NULL; /* prices, session and adverse-event costs */
}

/* Where the double at `out` lives: in the scenario (*def = -1, offset in
 * psim_scenario) or in a treatment being resolved (*def = k, offset in
 * psim_treatment).  Returns 0 for anything else. */
static int locate(const conv *c, const double *out, int *def, size_t *offset)
{
    uintptr_t p = (uintptr_t)out, s = (uintptr_t)c->scn, d = (uintptr_t)c->def;
    if (p >= s && p - s < sizeof *c->scn) {
        *def = -1;
        *offset = (size_t)(p - s);
        return 1;
    }
    if (p >= d && p - d < sizeof c->def) {
        size_t k = (size_t)(p - d) / sizeof(tdef);
        *def = (int)k;
        *offset = (size_t)(p - (uintptr_t)&c->def[k].t);
        return 1;
    }
    return 0;
}

static int find_pending(const ulist *ul, int def, size_t offset)
{
    for (int i = 0; i < ul->n; i++)
        if (ul->p[i].def == def && ul->p[i].u.offset == offset)
            return i;
    return -1;
}

/* The double at `out` was given as a plain value: it is certain. */
static void forget(const conv *c, const double *out)
{
    ulist *ul = c->ul;
    int def = 0;
    size_t offset = 0;
    if (!locate(c, out, &def, &offset))
        return;
    int i = find_pending(ul, def, offset);
    if (i < 0)
        return;
    memmove(&ul->p[i], &ul->p[i + 1], (size_t)(ul->n - i - 1) * sizeof ul->p[0]);
    ul->n--;
}

/* List the double at `out` (dist->dim of them) as given by distribution d. */
static psim_status remember(const conv *c, const yd_node *m, const char *path, range r,
                            const double *out, const psim_dist *d, const char *source,
                            const double *bounds)
{
    ulist *ul = c->ul;
    int def = 0;
    size_t offset = 0;
    if (!locate(c, out, &def, &offset))
        return psim_error_set(c->err, PSIM_ERR_INTERNAL, NULL, 0, 0,
                              "`%s`: the parameter is not part of the scenario", path);
    if (strlen(path) >= PSIM_PARAM_NAME_MAX)
        return fail(c, m,
                    "`%s`: the key of a parameter given as a distribution must be shorter than "
                    "%d characters (use shorter treatment or adverse-event names)",
                    path, PSIM_PARAM_NAME_MAX);
    int i = find_pending(ul, def, offset);
    if (i < 0) {
        if (ul->n >= PENDING_MAX)
            return fail(c, m, "`%s`: more than %d parameters are given as distributions", path,
                        PENDING_MAX);
        i = ul->n++;
    }
    pending *p = &ul->p[i];
    const char *unit = unit_for(path);
    memset(p, 0, sizeof *p);
    set_str(p->u.name, sizeof p->u.name, path);
    set_str(p->u.unit, sizeof p->u.unit, unit ? unit : "");
    p->money = unit == NULL;
    p->u.dist = *d;
    p->u.offset = offset;
    p->u.lo = r.lo;
    p->u.hi = r.hi;
    p->u.line = m->line;
    p->u.column = m->column;
    set_str(p->u.source, sizeof p->u.source, source);
    if (bounds) {
        p->u.has_bounds = 1;
        p->u.low = bounds[0];
        p->u.high = bounds[1];
    }
    p->def = def;
    p->at = m;
    return PSIM_OK;
}

/* `{dist: empirical, file: F, column: C}`: the values of column C of the CSV
 * file F (relative to the scenario's directory; a header of names, then one
 * draw per row), each a valid value of the parameter, appended to the
 * scenario's pool. */
static psim_status rd_empirical(const conv *c, const yd_node *fn, const yd_node *cn, const char *path,
                                range r, psim_dist *d)
{
    char kp[PATH_MAX_LEN + 24], rel[PSIM_ERROR_FILE_MAX], full[2 * PSIM_ERROR_FILE_MAX], rt[96];
    psim_status st;
    join(kp, sizeof kp, path, "file");
    if ((st = rd_string(c, fn, kp, rel, sizeof rel)) != PSIM_OK)
        return st;
    join(kp, sizeof kp, path, "column");
    if ((st = rd_string(c, cn, kp, d->column, sizeof d->column)) != PSIM_OK)
        return st;
    const char *base = c->scn->source_path, *slash = strrchr(base, '/');
    if (rel[0] == '/' || !slash)
        snprintf(full, sizeof full, "%s", rel);
    else
        snprintf(full, sizeof full, "%.*s/%s", (int)(slash - base), base, rel);
    /* O_NONBLOCK and a regular file only: a FIFO or a device never blocks the loader */
    int fd = open(full, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    if (fd < 0)
        return fail(c, fn, "`%s.file`: cannot open %s: %s", path, full, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fail(c, fn, "`%s.file`: %s is not a regular file (a CSV file of draws was expected)", path, full);
    }
    FILE *fp = fdopen(fd, "r");
    if (!fp) {
        close(fd);
        return fail(c, fn, "`%s.file`: cannot open %s: %s", path, full, strerror(errno));
    }
    /* kept absolute, so that the resolved scenario names the same file from anywhere */
    char cwd[PSIM_ERROR_FILE_MAX];
    if (full[0] != '/' && getcwd(cwd, sizeof cwd)) {
        char absp[3 * PSIM_ERROR_FILE_MAX];
        snprintf(absp, sizeof absp, "%s/%s", cwd, full);
        set_str(d->file, sizeof d->file, absp);
    } else {
        set_str(d->file, sizeof d->file, full);
    }
    char line[8192];
    int col = -1, lineno = 0, n = 0;
    size_t start = c->scn->empirical_n;
    range_text(&r, rt, sizeof rt);
    st = PSIM_OK;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (lineno > 1 && len == 0)
            continue;
        /* the field of column col (or, on the header line, find it) */
        char *field = line, *next;
        int k = 0;
        for (;;) {
            next = strchr(field, ',');
            if (next)
                *next = '\0';
            if (lineno == 1) {
                if (strcmp(field, d->column) == 0 && col < 0)
                    col = k;
            } else if (k == col) {
                break;
            }
            if (!next)
                break;
            field = next + 1;
            k++;
        }
        if (lineno == 1) {
            if (col < 0) {
                st = fail(c, cn, "`%s.column`: %s has no column `%s` in its header line", path, full, d->column);
                break;
            }
            continue;
        }
        char *end = NULL;
        errno = 0;
        double v = k == col ? strtod(field, &end) : NAN;
        if (k != col || end == field || *end != '\0' || errno == ERANGE || !isfinite(v)) {
            st = fail(c, cn, "`%s`: %s line %d: expected a number in column `%s`, got `%s`", path, full, lineno,
                      d->column, k == col ? field : "(no such field)");
            break;
        }
        if (!in_range(&r, v)) {
            st = fail(c, cn, "`%s` must be %s, but %s line %d has %.15g in column `%s`", path, rt, full, lineno, v,
                      d->column);
            break;
        }
        if (c->scn->empirical_n == c->scn->empirical_cap) {
            size_t cap = c->scn->empirical_cap ? 2 * c->scn->empirical_cap : 1024;
            double *pool = cap < ((size_t)1 << 27) ? realloc(c->scn->empirical_pool, cap * sizeof *pool) : NULL;
            if (!pool) {
                st = psim_error_set(c->err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory reading %s", full);
                break;
            }
            c->scn->empirical_pool = pool;
            c->scn->empirical_cap = cap;
        }
        c->scn->empirical_pool[c->scn->empirical_n++] = v;
        n++;
    }
    if (st == PSIM_OK && ferror(fp))
        st = fail(c, fn, "`%s.file`: cannot read %s", path, full);
    fclose(fp);
    if (st != PSIM_OK)
        return st;
    if (n == 0)
        return fail(c, fn, "`%s.file`: %s has no rows of values", path, full);
    d->pool_offset = start;
    d->n_values = n;
    d->values = c->scn->empirical_pool + start; /* fixed up again once loading is done */
    return PSIM_OK;
}

/* `{dist: ..., ...}` for the dim doubles at out, whose valid range is r: the
 * doubles receive the mean (the base case) and the parameter is listed. */
static psim_status rd_dist(const conv *c, const yd_node *m, const char *path, range r,
                           double *out, int dim)
{
    static const range pos = {0.0, HUGE_VAL, 1, 1, 0};
    char kp[PATH_MAX_LEN + 24], rt[96], src[PSIM_SOURCE_MAX] = "";
    const yd_node *dn = yd_map_get(m, "dist"), *n1, *n2, *sn;
    double mean[PSIM_DIST_MAX_DIM];
    psim_dist d;
    int kind = 0;
    psim_status st;
    memset(&d, 0, sizeof d);
    if (!dn)
        return fail(c, m,
                    "`%s`: expected a number or a distribution such as `{dist: beta, alpha: 40, "
                    "beta: 35}`, got a mapping without `dist`",
                    path);
    join(kp, sizeof kp, path, "dist");
    st = rd_enum(c, dn, kp, dist_names, &kind);
    if (st != PSIM_OK)
        return st;
    const char *name = dist_names[kind];
    if (dim > 1 && kind != PSIM_DIST_DIRICHLET)
        return fail(c, dn,
                    "`%s` is a vector of %d probabilities: as a distribution it takes "
                    "`{dist: dirichlet, alpha: [...]}` with %d concentrations, not `%s`",
                    path, dim, dim, name);
    if (dim == 1 && kind == PSIM_DIST_DIRICHLET)
        return fail(c, dn,
                    "`%s`: a dirichlet distribution is for a vector of probabilities "
                    "(cohort.lumbar_levels), and `%s` is one number; use beta, gamma, normal, "
                    "lognormal, uniform or fixed",
                    path, path);
    const char *const *keys = dist_keys[kind];
    /* `low` and `high` (a tornado's values) go with every one-dimensional distribution */
    const char *valid[8];
    size_t nk = 0;
    for (; keys[nk] && nk < 5; nk++)
        valid[nk] = keys[nk];
    if (kind != PSIM_DIST_DIRICHLET) {
        valid[nk++] = "low";
        valid[nk++] = "high";
    }
    valid[nk] = NULL;
    st = check_keys(c, m, path, valid);
    if (st != PSIM_OK)
        return st;
    n1 = yd_map_get(m, keys[2]);
    n2 = keys[3] ? yd_map_get(m, keys[3]) : NULL;
    if (!n1 || (keys[3] && !n2)) {
        if (keys[3])
            return fail(c, m, "`%s`: a %s distribution needs `%s` and `%s`", path, name, keys[2],
                        keys[3]);
        return fail(c, m, "`%s`: a %s distribution needs `%s`", path, name, keys[2]);
    }
    sn = yd_map_get(m, "source");
    if (sn) {
        join(kp, sizeof kp, path, "source");
        st = rd_string(c, sn, kp, src, sizeof src);
        if (st != PSIM_OK)
            return st;
    }
    d.kind = (psim_dist_kind)kind;
    d.dim = dim;
    join(kp, sizeof kp, path, keys[2]);
    if (kind == PSIM_DIST_EMPIRICAL) {
        st = rd_empirical(c, n1, n2, path, r, &d);
        if (st != PSIM_OK)
            return st;
    } else if (kind == PSIM_DIST_DIRICHLET) {
        st = expect(c, n1, kp, YD_SEQUENCE);
        if (st != PSIM_OK)
            return st;
        if (n1->n != (size_t)dim)
            return fail(c, n1, "`%s`: expected %d concentrations (one per lumbar level), got %zu",
                        kp, dim, n1->n);
        for (size_t i = 0; i < n1->n; i++) {
            char ep[PATH_MAX_LEN + 48];
            snprintf(ep, sizeof ep, "%s[%zu]", kp, i);
            st = rd_value(c, n1->items[i], ep, pos, &d.alpha[i]);
            if (st != PSIM_OK)
                return st;
        }
    } else {
        int p1_pos = kind == PSIM_DIST_BETA || kind == PSIM_DIST_GAMMA ||
                     kind == PSIM_DIST_LOGNORMAL;
        st = p1_pos ? rd_value(c, n1, kp, pos, &d.p1) : rd_number(c, n1, kp, &d.p1);
        if (st != PSIM_OK)
            return st;
        if (n2) {
            join(kp, sizeof kp, path, keys[3]);
            st = kind == PSIM_DIST_UNIFORM ? rd_number(c, n2, kp, &d.p2)
                                           : rd_value(c, n2, kp, pos, &d.p2);
            if (st != PSIM_OK)
                return st;
        }
    }
    /* The distribution's values must be valid values of the parameter. */
    range_text(&r, rt, sizeof rt);
    switch (d.kind) {
    case PSIM_DIST_BETA:
        if (r.lo > 0.0 || r.hi < 1.0)
            return fail(c, dn,
                        "`%s`: a beta distribution takes values in [0, 1], but `%s` must be %s; "
                        "use a uniform on that range, or a normal well inside it",
                        path, path, rt);
        break;
    case PSIM_DIST_GAMMA:
    case PSIM_DIST_LOGNORMAL:
        if (r.lo > 0.0 || (r.hi != HUGE_VAL && !r.cap))
            return fail(c, dn,
                        "`%s`: a %s distribution takes values in (0, inf), but `%s` must be %s; "
                        "%s",
                        path, name, path, rt,
                        r.lo <= 0.0 && r.hi >= 1.0 ? "use a beta (values in [0, 1]), a uniform "
                                                     "or a normal well inside the range"
                                                   : "use a uniform on that range, or a normal "
                                                     "well inside it");
        break;
    case PSIM_DIST_NORMAL: {
        double a = d.p1 - 8.0 * d.p2, b = d.p1 + 8.0 * d.p2;
        if (!in_range(&r, a) || !in_range(&r, b))
            return fail(c, n2,
                        "`%s` must be %s, so a normal distribution needs mean - 8 sd (%.15g) and "
                        "mean + 8 sd (%.15g) inside that range (then the chance of a draw "
                        "outside is below 1e-15); use a smaller sd, or beta, gamma or lognormal",
                        path, rt, a, b);
        break;
    }
    case PSIM_DIST_UNIFORM:
        if (!(d.p1 < d.p2))
            return fail(c, n2, "`%s`: a uniform distribution needs min < max, got min %.15g and "
                               "max %.15g",
                        path, d.p1, d.p2);
        if (!in_range(&r, d.p1))
            return fail(c, n1, "`%s` must be %s, so the uniform's min must be too, got %.15g",
                        path, rt, d.p1);
        if (!in_range(&r, d.p2))
            return fail(c, n2, "`%s` must be %s, so the uniform's max must be too, got %.15g",
                        path, rt, d.p2);
        break;
    default:
        break;
    }
    psim_dist_mean(&d, mean);
    for (int k = 0; k < dim; k++) {
        if (!isfinite(mean[k]) || (dim == 1 && !in_range(&r, mean[k])))
            return fail(c, m,
                        "`%s`: the mean of this %s distribution is %.15g, but `%s` must be %s "
                        "(the mean is the base-case value)",
                        path, name, mean[k], path, rt);
    }
    /* low and high: both or neither, in the parameter's range, around the mean */
    const yd_node *ln = yd_map_get(m, "low"), *hn = yd_map_get(m, "high");
    double bounds[2];
    if (ln || hn) {
        if (!ln || !hn)
            return fail(c, ln ? ln : hn,
                        "`%s`: `%s` needs `%s` beside it (the low and high values of a tornado)", path,
                        ln ? "low" : "high", ln ? "high" : "low");
        join(kp, sizeof kp, path, "low");
        st = rd_value(c, ln, kp, r, &bounds[0]);
        if (st != PSIM_OK)
            return st;
        join(kp, sizeof kp, path, "high");
        st = rd_value(c, hn, kp, r, &bounds[1]);
        if (st != PSIM_OK)
            return st;
        if (!(bounds[0] <= mean[0]))
            return fail(c, ln, "`%s`: `low` (%.15g) must not be above the distribution's mean %.15g (the base case)",
                        path, bounds[0], mean[0]);
        if (!(bounds[1] >= mean[0]))
            return fail(c, hn, "`%s`: `high` (%.15g) must not be below the distribution's mean %.15g (the base case)",
                        path, bounds[1], mean[0]);
        if (!(bounds[0] < bounds[1]))
            return fail(c, hn, "`%s`: `high` (%.15g) must be above `low` (%.15g)", path, bounds[1], bounds[0]);
    }
    for (int k = 0; k < dim; k++)
        out[k] = mean[k];
    return remember(c, m, path, r, out, &d, src, ln ? bounds : NULL);
}

/* A floating-point parameter: a number in r, or a distribution over r. */
static psim_status rd_double(const conv *c, const yd_node *v, const char *path, range r,
                             double *out)
{
    if (v->kind == YD_MAPPING)
        return rd_dist(c, v, path, r, out, 1);
    psim_status st = rd_value(c, v, path, r, out);
    if (st == PSIM_OK)
        forget(c, out);
    return st;
}

/* Optional fields: look the key up and read it only when present. */
#define OPT(map, path, key, call)                                                              \
    do {                                                                                       \
        const yd_node *v_ = yd_map_get((map), (key));                                          \
        if (v_) {                                                                              \
            char p_[PATH_MAX_LEN];                                                             \
            join(p_, sizeof p_, (path), (key));                                                \
            st = call;                                                                         \
            if (st != PSIM_OK)                                                                 \
                goto cleanup;                                                                  \
        }                                                                                      \
    } while (0)

/* ----------------------------------------------------------------- cohort */

static psim_status conv_truncnorm(const conv *c, const yd_node *m, const char *path,
                                  psim_truncnorm *t, double upper)
{
    psim_status st = expect_keys(c, m, path, truncnorm_keys);
    if (st != PSIM_OK)
        return st;
    static const range mean_range = {-MEAN_MAX, MEAN_MAX, 0, 0, 1};
    static const range sd_range = {0.0, SD_MAX, 0, 0, 1};
    range lim = {0.0, upper, 0, 0, 0};
    if (upper == HUGE_VAL)
        lim.hi_open = 1;
    OPT(m, path, "mean", rd_double(c, v_, p_, mean_range, &t->mean));
    OPT(m, path, "sd", rd_double(c, v_, p_, sd_range, &t->sd));
    OPT(m, path, "min", rd_double(c, v_, p_, lim, &t->min));
    OPT(m, path, "max", rd_double(c, v_, p_, lim, &t->max));
    if (!(t->min < t->max)) {
        const yd_node *at = yd_map_get(m, "max") ? yd_map_get(m, "max") : yd_map_get(m, "min");
        st = fail(c, at, "`%s`: min (%.15g) must be less than max (%.15g)", path, t->min, t->max);
        goto cleanup;
    }
    if (t->sd == 0 && !(t->mean >= t->min && t->mean <= t->max)) {
        const yd_node *at = yd_map_get(m, "mean") ? yd_map_get(m, "mean") : m;
        st = fail(c, at, "`%s`: with sd 0 the mean (%.15g) must lie in [min, max] = [%.15g, %.15g]",
                  path, t->mean, t->min, t->max);
        goto cleanup;
    }
cleanup:
    return st;
}

static psim_status conv_levels(const conv *c, const yd_node *v, const char *path, double *p)
{
    psim_status st;
    char ep[PATH_MAX_LEN + 24];
    double sum = 0.0;
    if (v->kind == YD_MAPPING)
        return rd_dist(c, v, path, R_PROB, p, PSIM_LUMBAR_LEVELS);
    st = expect(c, v, path, YD_SEQUENCE);
    if (st != PSIM_OK)
        return st;
    if (v->n != PSIM_LUMBAR_LEVELS)
        return fail(c, v, "`%s`: expected exactly %d probabilities (levels 1-5), got %zu", path,
                    PSIM_LUMBAR_LEVELS, v->n);
    for (size_t i = 0; i < v->n; i++) {
        snprintf(ep, sizeof ep, "%s[%zu]", path, i);
        if (v->items[i]->kind == YD_MAPPING && yd_map_get(v->items[i], "dist"))
            return fail(c, v->items[i],
                        "`%s`: one lumbar level cannot be a distribution on its own (the %d "
                        "probabilities sum to 1); give the whole vector as `lumbar_levels: "
                        "{dist: dirichlet, alpha: [a1, a2, a3, a4, a5]}`",
                        ep, PSIM_LUMBAR_LEVELS);
        st = rd_value(c, v->items[i], ep, R_PROB, &p[i]);
        if (st != PSIM_OK)
            return st;
        sum += p[i];
    }
    if (fabs(sum - 1.0) > 1e-9)
        return fail(c, v, "`%s` must sum to 1 (within 1e-9), got %.17g", path, sum);
    forget(c, p); /* a --set list replaces a dirichlet */
    return PSIM_OK;
}

static psim_status conv_cohort(const conv *c, const yd_node *m, psim_cohort_params *co)
{
    const char *path = "cohort";
    psim_status st = expect_keys(c, m, path, cohort_keys);
    const yd_node *sub;
    if (st != PSIM_OK)
        return st;
    OPT(m, path, "baseline_vas", conv_truncnorm(c, v_, p_, &co->baseline_vas, 10.0));
    OPT(m, path, "pain_duration_months",
        conv_truncnorm(c, v_, p_, &co->pain_duration_months, HUGE_VAL));
    OPT(m, path, "lumbar_levels", conv_levels(c, v_, p_, co->lumbar_levels));
    OPT(m, path, "myofascial", rd_double(c, v_, p_, R_PROB, &co->myofascial));
    sub = yd_map_get(m, "contraindications");
    if (sub) {
        const char *const *names = (const char *const *)psim_contra_names;
        const char *cpath = "cohort.contraindications";
        const char *list[PSIM_N_CONTRA + 1];
        for (int i = 0; i < PSIM_N_CONTRA; i++)
            list[i] = names[i];
        list[PSIM_N_CONTRA] = NULL;
        st = expect_keys(c, sub, cpath, list);
        if (st != PSIM_OK)
            goto cleanup;
        for (int i = 0; i < PSIM_N_CONTRA; i++)
            OPT(sub, cpath, list[i], rd_double(c, v_, p_, R_PROB, &co->contraindications[i]));
    }
    OPT(m, path, "aspirin_recent", rd_double(c, v_, p_, R_PROB, &co->aspirin_recent));
    OPT(m, path, "aspirin_delay_days", rd_int(c, v_, p_, 0, DAYS_MAX, &co->aspirin_delay_days));
    sub = yd_map_get(m, "noise");
    if (sub) {
        range phi = {0.0, 1.0, 0, 1, 0};
        range sd = {0.0, NOISE_SD_MAX, 0, 0, 1};
        path = "cohort.noise";
        st = expect_keys(c, sub, path, noise_keys);
        if (st != PSIM_OK)
            goto cleanup;
        OPT(sub, path, "sd", rd_double(c, v_, p_, sd, &co->noise_sd));
        OPT(sub, path, "phi", rd_double(c, v_, p_, phi, &co->noise_phi));
    }
cleanup:
    return st;
}

/* ------------------------------------------------------------- treatments */

static int is_builtin(const char *name, size_t len)
{
    for (size_t i = 0; psim_builtin_treatment_names[i]; i++)
        if (strlen(psim_builtin_treatment_names[i]) == len &&
            memcmp(psim_builtin_treatment_names[i], name, len) == 0)
            return 1;
    return 0;
}

static size_t builtin_count(void)
{
    return list_len(psim_builtin_treatment_names);
}

/* Relief of one kind must be a valid Beta on [a, b] (or a point mass). */
static psim_status check_relief(const conv *c, const yd_node *at, const char *path,
                                const psim_meansd *r, double a, double b)
{
    if (psim_relief_feasible(*r, a, b))
        return PSIM_OK;
    double w = b - a;
    double x = (r->mean - a) / w;
    if (!(x > 0 && x < 1))
        return fail(c, at,
                    "`%s`: no Beta distribution on [%g, %g] has mean %.15g and sd %.15g > 0 "
                    "(the mean must lie strictly inside the interval, or sd must be 0)",
                    path, a, b, r->mean, r->sd);
    return fail(c, at,
                "`%s`: no Beta distribution on [%g, %g] has mean %.15g and sd %.15g "
                "(with this mean the sd must be less than %.6g)",
                path, a, b, r->mean, r->sd, sqrt(x * (1 - x)) * w);
}

static const yd_node *first_of(const yd_node *a, const yd_node *b, const yd_node *c3)
{
    return a ? a : b ? b : c3;
}

static psim_status conv_meansd(const conv *c, const yd_node *m, const char *path, psim_meansd *r,
                               range mean_range)
{
    psim_status st = expect_keys(c, m, path, meansd_keys);
    if (st != PSIM_OK)
        return st;
    OPT(m, path, "mean", rd_double(c, v_, p_, mean_range, &r->mean));
    OPT(m, path, "sd", rd_double(c, v_, p_, R_NONNEG, &r->sd));
cleanup:
    return st;
}

static psim_status conv_relief(const conv *c, const yd_node *m, const char *path,
                               psim_treatment *t, const yd_node *fallback_at)
{
    static const range resp = {0.5, 1.0, 0, 0, 0};
    static const range non = {0.0, 0.5, 0, 1, 0};
    const yd_node *r = NULL, *nr = NULL;
    char rp[PATH_MAX_LEN], np[PATH_MAX_LEN];
    psim_status st = PSIM_OK;
    join(rp, sizeof rp, path, "responder");
    join(np, sizeof np, path, "non_responder");
    if (m) {
        st = expect_keys(c, m, path, relief_keys);
        if (st != PSIM_OK)
            return st;
        r = yd_map_get(m, "responder");
        nr = yd_map_get(m, "non_responder");
        if (r && (st = conv_meansd(c, r, rp, &t->relief_responder, resp)) != PSIM_OK)
            return st;
        if (nr && (st = conv_meansd(c, nr, np, &t->relief_non_responder, non)) != PSIM_OK)
            return st;
    }
    /* Values inherited from the base are valid; check the combination. */
    st = check_relief(c,
                      first_of(r ? yd_map_get(r, "sd") : NULL, r ? yd_map_get(r, "mean") : NULL,
                               r ? r : fallback_at),
                      rp, &t->relief_responder, 0.5, 1.0);
    if (st != PSIM_OK)
        return st;
    return check_relief(c,
                        first_of(nr ? yd_map_get(nr, "sd") : NULL,
                                 nr ? yd_map_get(nr, "mean") : NULL, nr ? nr : fallback_at),
                        np, &t->relief_non_responder, 0.0, 0.5);
}

static psim_status conv_adverse_events(const conv *c, const yd_node *m, const char *tpath,
                                       psim_treatment *t)
{
    static const range decrement = {0.0, AE_DECREMENT_MAX, 0, 0, 1};
    static const range money = {0.0, MONEY_MAX, 0, 0, 1};
    char path[PATH_MAX_LEN];
    psim_status st;
    join(path, sizeof path, tpath, "adverse_events");
    st = expect(c, m, path, YD_MAPPING);
    if (st != PSIM_OK)
        return st;
    for (size_t i = 0; i < m->n; i++) {
        const yd_node *k = m->keys[i], *v = m->items[i];
        char ap[PATH_MAX_LEN];
        st = check_name_node(c, k, path);
        if (st == PSIM_OK)
            st = check_hdf5_name(c, k, path, "an adverse-event");
        if (st != PSIM_OK)
            return st;
        for (size_t r = 0; reserved_ae_names[r]; r++)
            if (strcmp(k->text, reserved_ae_names[r]) == 0)
                return fail(c, k,
                            "`%s`: `%s` is reserved (it is an event-kind label in the output); "
                            "choose another adverse-event name",
                            path, k->text);
        join(ap, sizeof ap, path, k->text);
        st = expect_keys(c, v, ap, ae_keys);
        if (st != PSIM_OK)
            return st;
        int j = 0;
        while (j < t->n_ae && strcmp(t->ae[j].name, k->text) != 0)
            j++;
        if (j == t->n_ae) {
            if (t->n_ae >= PSIM_MAX_AE)
                return fail(c, k, "`%s`: treatment `%s` would have more than %d adverse-event "
                                  "types",
                            ap, t->name, PSIM_MAX_AE);
            if (!yd_map_get(v, "p") || !yd_map_get(v, "days"))
                return fail(c, k,
                            "`%s`: a new adverse event (not one of base `%s`) needs both `p` "
                            "and `days`",
                            ap, t->base);
            /* utility_decrement and cost of a new kind default to 0 */
            memset(&t->ae[j], 0, sizeof t->ae[j]);
            set_str(t->ae[j].name, sizeof t->ae[j].name, k->text);
            t->n_ae++;
        }
        psim_ae_spec *ae = &t->ae[j];
        OPT(v, ap, "p", rd_double(c, v_, p_, R_PROB, &ae->p));
        OPT(v, ap, "days", rd_int(c, v_, p_, 1, DAYS_MAX, &ae->days));
        OPT(v, ap, "utility_decrement", rd_double(c, v_, p_, decrement, &ae->utility_decrement));
        OPT(v, ap, "cost", rd_double(c, v_, p_, money, &ae->cost));
    }
    st = PSIM_OK;
cleanup:
    return st;
}

/* Where the price keys of one `treatments:` entry were given (NULL: inherited). */
typedef struct price_nodes {
    const yd_node *map, *model, *per_unit, *vial_price;
} price_nodes;

static psim_status conv_packages(const conv *c, const yd_node *v, const char *path, psim_price *p)
{
    static const range money = {0.0, MONEY_MAX, 0, 0, 1};
    psim_status st = expect(c, v, path, YD_SEQUENCE);
    if (st != PSIM_OK)
        return st;
    if (v->n > PSIM_MAX_PACKAGES)
        return fail(c, v, "`%s`: expected at most %d packages, got %zu", path, PSIM_MAX_PACKAGES,
                    v->n);
    /* a given list replaces the base's list */
    p->n_packages = 0;
    for (size_t i = 0; i < v->n; i++) {
        const yd_node *e = v->items[i];
        char ep[PATH_MAX_LEN + 24];
        int k = (int)i;
        snprintf(ep, sizeof ep, "%s[%zu]", path, i);
        st = expect_keys(c, e, ep, package_keys);
        if (st != PSIM_OK)
            return st;
        if (!yd_map_get(e, "units") || !yd_map_get(e, "price"))
            return fail(c, e, "`%s`: a package needs both `units` and `price`", ep);
        OPT(e, ep, "units", rd_int(c, v_, p_, 1, UNITS_MAX, &p->package_units[k]));
        OPT(e, ep, "price", rd_double(c, v_, p_, money, &p->package_price[k]));
        for (int j = 0; j < k; j++)
            if (p->package_units[j] == p->package_units[k])
                return fail(c, yd_map_get(e, "units"),
                            "`%s`: a package of %d units is listed twice (packages[%d] and "
                            "packages[%d])",
                            path, p->package_units[k], j, k);
        p->n_packages = k + 1;
    }
    st = PSIM_OK;
cleanup:
    return st;
}

/* The `price:` mapping of a treatment: merged with the base's price field by
 * field (a given `packages` list replaces the base's list). */
static psim_status conv_price(const conv *c, const yd_node *m, const char *path, psim_price *p,
                              price_nodes *pn)
{
    static const range money = {0.0, MONEY_MAX, 0, 0, 1};
    psim_status st = expect_keys(c, m, path, price_keys);
    if (st != PSIM_OK)
        return st;
    pn->map = m;
    pn->model = yd_map_get(m, "model");
    pn->per_unit = yd_map_get(m, "per_unit");
    pn->vial_price = yd_map_get(m, "vial_price");
    if (pn->model) {
        int model = 0;
        char mp[PATH_MAX_LEN];
        join(mp, sizeof mp, path, "model");
        st = rd_enum(c, pn->model, mp, price_model_names, &model);
        if (st != PSIM_OK)
            return st;
        p->model = (psim_price_model)model;
    }
    OPT(m, path, "per_unit", rd_double(c, v_, p_, money, &p->per_unit));
    OPT(m, path, "packages", conv_packages(c, v_, p_, p));
    OPT(m, path, "vial_units", rd_int(c, v_, p_, 1, UNITS_MAX, &p->vial_units));
    OPT(m, path, "vial_price", rd_double(c, v_, p_, money, &p->vial_price));
cleanup:
    return st;
}

/* What the price model needs, once the whole treatment is read.  A needed
 * value counts as present when given in this entry or nonzero in the base. */
static psim_status check_price(const conv *c, const char *path, const psim_treatment *t,
                               const price_nodes *pn, const yd_node *upl_node,
                               const yd_node *name_key)
{
    const psim_price *p = &t->price;
    const char *model = price_model_names[p->model];
    const yd_node *at = first_of(pn->model, pn->map, name_key);
    if (p->model == PSIM_PRICE_NONE)
        return PSIM_OK;
    if (t->units_per_level == 0)
        return fail(c, first_of(pn->model, upl_node, at),
                    "`%s`: price model `%s` on a treatment that has no dose "
                    "(dose.units_per_level is 0); use `price: {model: none}` and put the cost "
                    "in `session_cost`, or give a dose",
                    path, model);
    switch (p->model) {
    case PSIM_PRICE_PER_UNIT:
        if (!pn->per_unit && !(p->per_unit > 0))
            return fail(c, at, "`%s`: price model `per_unit` needs `price.per_unit` (currency "
                               "per unit)",
                        path);
        break;
    case PSIM_PRICE_PACKAGES:
        if (p->n_packages == 0 && !pn->per_unit && !(p->per_unit > 0))
            return fail(c, at,
                        "`%s`: price model `packages` needs at least one package in "
                        "`price.packages` or a `price.per_unit`",
                        path);
        break;
    case PSIM_PRICE_VIALS:
        if (p->vial_units < 1)
            return fail(c, at, "`%s`: price model `vials` needs `price.vial_units` (units per "
                               "vial)",
                        path);
        if (!pn->vial_price && !(p->vial_price > 0))
            return fail(c, at, "`%s`: price model `vials` needs `price.vial_price` (currency "
                               "per vial)",
                        path);
        break;
    default:
        break;
    }
    return PSIM_OK;
}

/* Apply the fields of a `treatments:` entry to t (which holds the base). */
static psim_status conv_treatment_fields(const conv *c, const yd_node *m, const yd_node *name_key,
                                         const char *path, psim_treatment *t)
{
    static const range days = {0.0, DAYS_MAX, 0, 0, 1};
    static const range pos_days = {0.0, DAYS_MAX, 1, 0, 1};
    static const range sigma = {0.0, SIGMA_MAX, 0, 0, 1};
    static const range money = {0.0, MONEY_MAX, 0, 0, 1};
    psim_status st = PSIM_OK;
    const yd_node *sub, *upl_node = NULL;
    price_nodes pn = {NULL, NULL, NULL, NULL};
    OPT(m, path, "injection", rd_bool(c, v_, p_, &t->injection));
    OPT(m, path, "p_first", rd_double(c, v_, p_, R_PROB, &t->p_first));
    OPT(m, path, "p_persist", rd_double(c, v_, p_, R_PROB, &t->p_persist));
    OPT(m, path, "p_recover", rd_double(c, v_, p_, R_PROB, &t->p_recover));
    OPT(m, path, "antibody_risk", rd_double(c, v_, p_, R_PROB, &t->antibody_risk));
    {
        char rp[PATH_MAX_LEN];
        join(rp, sizeof rp, path, "relief");
        st = conv_relief(c, yd_map_get(m, "relief"), rp, t, name_key);
        if (st != PSIM_OK)
            goto cleanup;
    }
    OPT(m, path, "onset_days", rd_double(c, v_, p_, days, &t->onset_days));
    OPT(m, path, "peak_days", rd_double(c, v_, p_, days, &t->peak_days));
    if (t->peak_days < t->onset_days) {
        const yd_node *at = first_of(yd_map_get(m, "peak_days"), yd_map_get(m, "onset_days"),
                                     name_key);
        st = fail(c, at, "`%s`: peak before onset (peak_days %.15g < onset_days %.15g)", path,
                  t->peak_days, t->onset_days);
        goto cleanup;
    }
    sub = yd_map_get(m, "duration");
    if (sub) {
        char dp[PATH_MAX_LEN];
        join(dp, sizeof dp, path, "duration");
        st = expect_keys(c, sub, dp, duration_keys);
        if (st != PSIM_OK)
            goto cleanup;
        OPT(sub, dp, "median_days", rd_double(c, v_, p_, pos_days, &t->duration_median_days));
        OPT(sub, dp, "sigma", rd_double(c, v_, p_, sigma, &t->duration_sigma));
        OPT(sub, dp, "shift_days", rd_double(c, v_, p_, days, &t->duration_shift_days));
    }
    OPT(m, path, "half_life_days", rd_double(c, v_, p_, pos_days, &t->half_life_days));
    sub = yd_map_get(m, "dose");
    if (sub) {
        char dp[PATH_MAX_LEN];
        join(dp, sizeof dp, path, "dose");
        st = expect_keys(c, sub, dp, dose_keys);
        if (st != PSIM_OK)
            goto cleanup;
        upl_node = yd_map_get(sub, "units_per_level");
        OPT(sub, dp, "units_per_level", rd_int(c, v_, p_, 0, UNITS_MAX, &t->units_per_level));
        OPT(sub, dp, "max_units_per_session",
            rd_int(c, v_, p_, 0, UNITS_MAX, &t->max_units_per_session));
    }
    OPT(m, path, "min_interval_days", rd_int(c, v_, p_, 0, DAYS_MAX, &t->min_interval_days));
    OPT(m, path, "price", conv_price(c, v_, p_, &t->price, &pn));
    OPT(m, path, "session_cost", rd_double(c, v_, p_, money, &t->session_cost));
    sub = yd_map_get(m, "adverse_events");
    if (sub) {
        st = conv_adverse_events(c, sub, path, t);
        if (st != PSIM_OK)
            goto cleanup;
    }
    st = check_price(c, path, t, &pn, upl_node, name_key);
cleanup:
    return st;
}

static psim_status conv_treatments(conv *c, const yd_node *m)
{
    psim_status st = expect(c, m, "treatments", YD_MAPPING);
    if (st != PSIM_OK)
        return st;
    for (size_t i = 0; i < m->n; i++) {
        const yd_node *k = m->keys[i], *v = m->items[i];
        char path[PATH_MAX_LEN], base[PSIM_NAME_MAX];
        st = check_name_node(c, k, "treatments");
        if (st != PSIM_OK)
            return st;
        if (c->n_def >= PSIM_MAX_TREATMENTS)
            return fail(c, k, "`treatments`: more than %d treatments defined",
                        PSIM_MAX_TREATMENTS);
        join(path, sizeof path, "treatments", k->text);
        st = expect_keys(c, v, path, treatment_keys);
        if (st != PSIM_OK)
            return st;
        const yd_node *bv = yd_map_get(v, "base");
        int builtin = is_builtin(k->text, k->len);
        if (bv) {
            char bp[PATH_MAX_LEN];
            join(bp, sizeof bp, path, "base");
            st = rd_name(c, bv, bp, base);
            if (st != PSIM_OK)
                return st;
            if (!is_builtin(base, strlen(base))) {
                const char *s = suggest(base, strlen(base), psim_builtin_treatment_names,
                                        builtin_count());
                char list[256];
                join_list(list, sizeof list, psim_builtin_treatment_names, builtin_count());
                if (s)
                    return fail(c, bv, "`%s`: `%s` is not a built-in treatment; did you mean `%s`?",
                                bp, base, s);
                return fail(c, bv, "`%s`: `%s` is not a built-in treatment (built-ins: %s)", bp,
                            base, list);
            }
            if (builtin && strcmp(base, k->text) != 0)
                return fail(c, bv,
                            "`%s`: `%s` is a built-in treatment, so its base is `%s`, not `%s` "
                            "(define a new name to derive from `%s`)",
                            bp, k->text, k->text, base, base);
        } else if (builtin) {
            set_str(base, sizeof base, k->text);
        } else {
            const char *s = suggest(k->text, k->len, psim_builtin_treatment_names,
                                    builtin_count());
            if (s)
                return fail(c, k,
                            "treatment `%s` is not a built-in, so it needs `base: <built-in>`; "
                            "did you mean the built-in `%s`?",
                            k->text, s);
            char list[256];
            join_list(list, sizeof list, psim_builtin_treatment_names, builtin_count());
            return fail(c, k,
                        "treatment `%s` is not a built-in, so it needs `base: <built-in>` (one of "
                        "%s)",
                        k->text, list);
        }
        tdef *d = &c->def[c->n_def];
        if (!psim_treatment_builtin(base, &d->t))
            return psim_error_set(c->err, PSIM_ERR_INTERNAL, NULL, 0, 0,
                                  "built-in treatment `%s` missing", base);
        set_str(d->t.name, sizeof d->t.name, k->text);
        set_str(d->t.base, sizeof d->t.base, base);
        d->key = k;
        st = conv_treatment_fields(c, v, k, path, &d->t);
        if (st != PSIM_OK)
            return st;
        c->n_def++;
    }
    return PSIM_OK;
}

/* Resolve a treatment name (defined under `treatments:` or built-in). */
static psim_status find_treatment(const conv *c, const yd_node *at, const char *path,
                                  const char *name, psim_treatment *out)
{
    const char *cands[PSIM_MAX_TREATMENTS + 16] = {NULL};
    size_t n = 0;
    for (int i = 0; i < c->n_def; i++) {
        if (strcmp(c->def[i].t.name, name) == 0) {
            *out = c->def[i].t;
            return PSIM_OK;
        }
    }
    if (psim_treatment_builtin(name, out))
        return PSIM_OK;
    for (int i = 0; i < c->n_def; i++)
        cands[n++] = c->def[i].t.name;
    for (size_t i = 0; psim_builtin_treatment_names[i] && n < sizeof cands / sizeof *cands; i++)
        cands[n++] = psim_builtin_treatment_names[i];
    const char *s = suggest(name, strlen(name), cands, n);
    if (s)
        return fail(c, at, "`%s`: unknown treatment `%s`; did you mean `%s`?", path, name, s);
    char list[PSIM_ERROR_TEXT_MAX / 2];
    join_list(list, sizeof list, cands, n);
    return fail(c, at, "`%s`: unknown treatment `%s` (known: %s)", path, name, list);
}

/* Index of treatment t in scn->treatments, adding it when first used. */
static psim_status use_treatment(conv *c, const yd_node *at, const psim_treatment *t, int *index)
{
    psim_scenario *s = c->scn;
    for (int i = 0; i < s->n_treatments; i++) {
        if (strcmp(s->treatments[i].name, t->name) == 0) {
            *index = i;
            return PSIM_OK;
        }
    }
    if (s->n_treatments >= PSIM_MAX_TREATMENTS)
        return fail(c, at, "strategies use more than %d different treatments",
                    PSIM_MAX_TREATMENTS);
    s->treatments[s->n_treatments] = *t;
    *index = s->n_treatments++;
    return PSIM_OK;
}

static int is_none_based(const psim_treatment *t)
{
    return strcmp(t->base, "none") == 0;
}

/* ------------------------------------------------------------- schedules */

static psim_status check_interval(const conv *c, const yd_node *at, const char *path, int gap,
                                  const char *what, const psim_treatment *t)
{
    if (t && !is_none_based(t) && gap < t->min_interval_days)
        return fail(c, at, "`%s`: %s breaks the minimum interval of %d days of treatment `%s`",
                    path, what, t->min_interval_days, t->name);
    return PSIM_OK;
}

static psim_status conv_schedule(const conv *c, const yd_node *m, const char *path,
                                 const psim_treatment *t, const psim_treatment *fb,
                                 psim_schedule *s)
{
    static const char *const kinds[] = {"days", "every_days", "on_relapse"};
    static const range threshold = {0.0, 2.0, 1, 0, 0};
    psim_status st = expect(c, m, path, YD_MAPPING);
    const int horizon = c->scn->horizon_days;
    char what[200], sp[PATH_MAX_LEN];
    if (st != PSIM_OK)
        return st;
    st = check_keys(c, m, path, schedule_keys);
    if (st != PSIM_OK)
        return st;
    /* Exactly one kind; a second one is reported at its key (in mapping order). */
    {
        long first = -1;
        for (size_t i = 0; i < m->n; i++) {
            for (int k = 0; k < 3; k++) {
                if (!yd_scalar_is(m->keys[i], kinds[k]))
                    continue;
                if (first < 0) {
                    first = (long)i;
                    continue;
                }
                return fail(c, m->keys[i],
                            "`%s`: give only one of `days`, `every_days` and `on_relapse`, not "
                            "both `%s` and `%s`",
                            path, m->keys[first]->text, kinds[k]);
            }
        }
        if (first < 0)
            return fail(c, m,
                        "`%s`: expected `days: [...]`, `every_days` with `sessions`, or "
                        "`on_relapse: {...}`, got none of them",
                        path);
    }
    const yd_node *days = yd_map_get(m, "days"), *every = yd_map_get(m, "every_days");
    const yd_node *relapse = yd_map_get(m, "on_relapse");
    const yd_node *kevery = key_node(m, "every_days");
    const yd_node *cont = yd_map_get(m, "continue_if");
    s->assess_after_days = DEFAULT_ASSESS_AFTER_DAYS;
    s->continue_if = PSIM_CONTINUE_ALWAYS;
    s->relapse_threshold = DEFAULT_RELAPSE_THRESHOLD;
    s->relapse_max_sessions = DEFAULT_RELAPSE_MAX_SESSIONS;
    s->relapse_review_days = 0;
    OPT(m, path, "assess_after_days", rd_int(c, v_, p_, 1, DAYS_MAX, &s->assess_after_days));
    if (cont) {
        int rule = 0;
        join(sp, sizeof sp, path, "continue_if");
        st = rd_enum(c, cont, sp, continue_names, &rule);
        if (st != PSIM_OK)
            goto cleanup;
        s->continue_if = (psim_continue_rule)rule;
    }
    if (days) {
        static const char *const every_only[] = {"sessions", "start_day"};
        for (int i = 0; i < 2; i++) {
            const yd_node *k = key_node(m, every_only[i]);
            if (k) {
                st = fail(c, k, "`%s`: `%s` goes with `every_days`, not with `days`", path,
                          every_only[i]);
                goto cleanup;
            }
        }
        join(sp, sizeof sp, path, "days");
        st = expect(c, days, sp, YD_SEQUENCE);
        if (st != PSIM_OK)
            goto cleanup;
        if (days->n == 0 || days->n > PSIM_MAX_SESSIONS) {
            st = fail(c, days, "`%s`: expected 1 to %d session days, got %zu", sp,
                      PSIM_MAX_SESSIONS, days->n);
            goto cleanup;
        }
        s->kind = PSIM_SCHEDULE_DAYS;
        s->n_days = (int)days->n;
        for (size_t i = 0; i < days->n; i++) {
            const yd_node *dn = days->items[i];
            char ep[PATH_MAX_LEN + 24];
            snprintf(ep, sizeof ep, "%s[%zu]", sp, i);
            st = rd_int(c, dn, ep, 0, INT_MAX, &s->days[i]);
            if (st != PSIM_OK)
                goto cleanup;
            if (s->days[i] >= horizon) {
                st = fail(c, dn,
                          "`%s`: day %d runs past the horizon (horizon_days is %d, so the last "
                          "day is %d)",
                          ep, s->days[i], horizon, horizon - 1);
                goto cleanup;
            }
            if (i > 0) {
                int prev = s->days[i - 1];
                if (s->days[i] <= prev) {
                    st = fail(c, dn, "`%s`: days must be strictly increasing, got %d after %d", ep,
                              s->days[i], prev);
                    goto cleanup;
                }
                snprintf(what, sizeof what, "day %d, %d days after day %d,", s->days[i],
                         s->days[i] - prev, prev);
                st = check_interval(c, dn, ep, s->days[i] - prev, what, t);
                if (st == PSIM_OK)
                    st = check_interval(c, dn, ep, s->days[i] - prev, what, fb);
                if (st != PSIM_OK)
                    goto cleanup;
            }
        }
    } else if (every) {
        const yd_node *sess = yd_map_get(m, "sessions");
        s->kind = PSIM_SCHEDULE_EVERY;
        s->start_day = 0;
        join(sp, sizeof sp, path, "every_days");
        st = rd_int(c, every, sp, 1, INT_MAX, &s->every_days);
        if (st != PSIM_OK)
            goto cleanup;
        if (!sess) {
            st = fail(c, kevery, "`%s`: `every_days` needs `sessions` (how many)", path);
            goto cleanup;
        }
        join(sp, sizeof sp, path, "sessions");
        st = rd_int(c, sess, sp, 1, PSIM_MAX_SESSIONS, &s->sessions);
        if (st != PSIM_OK)
            goto cleanup;
        OPT(m, path, "start_day", rd_int(c, v_, p_, 0, INT_MAX, &s->start_day));
        int64_t last = (int64_t)s->start_day + (int64_t)(s->sessions - 1) * s->every_days;
        if (last >= horizon) {
            const yd_node *at = s->start_day >= horizon ? yd_map_get(m, "start_day") : sess;
            st = fail(c, at,
                      "`%s`: the schedule runs past the horizon: session %d would be on day "
                      "%" PRId64 ", but horizon_days is %d (last day %d)",
                      path, s->start_day >= horizon ? 1 : s->sessions,
                      s->start_day >= horizon ? (int64_t)s->start_day : last, horizon,
                      horizon - 1);
            goto cleanup;
        }
        if (s->sessions > 1) {
            join(sp, sizeof sp, path, "every_days");
            snprintf(what, sizeof what, "every_days %d", s->every_days);
            st = check_interval(c, every, sp, s->every_days, what, t);
            if (st == PSIM_OK)
                st = check_interval(c, every, sp, s->every_days, what, fb);
            if (st != PSIM_OK)
                goto cleanup;
        }
    } else {
        /* on_relapse: the first session at start_day, later ones when the pain
         * returns (no fixed days, so the minimum interval is the model's to keep) */
        const yd_node *k = key_node(m, "sessions");
        if (k) {
            st = fail(c, k,
                      "`%s`: `sessions` goes with `every_days`; with `on_relapse` give "
                      "`on_relapse.max_sessions`",
                      path);
            goto cleanup;
        }
        s->kind = PSIM_SCHEDULE_RELAPSE;
        s->start_day = 0;
        join(sp, sizeof sp, path, "on_relapse");
        st = expect_keys(c, relapse, sp, relapse_keys);
        if (st != PSIM_OK)
            goto cleanup;
        OPT(relapse, sp, "threshold", rd_double(c, v_, p_, threshold, &s->relapse_threshold));
        OPT(relapse, sp, "max_sessions",
            rd_int(c, v_, p_, 1, PSIM_MAX_SESSIONS, &s->relapse_max_sessions));
        OPT(relapse, sp, "review_every_days",
            rd_int(c, v_, p_, 0, DAYS_MAX, &s->relapse_review_days));
        if (s->relapse_review_days > 0 && s->relapse_max_sessions > 1) {
            /* review days are the only days a later session can be given */
            const yd_node *rv = yd_map_get(relapse, "review_every_days");
            char rp[PATH_MAX_LEN];
            join(rp, sizeof rp, sp, "review_every_days");
            snprintf(what, sizeof what, "review_every_days %d", s->relapse_review_days);
            st = check_interval(c, rv, rp, s->relapse_review_days, what, t);
            if (st == PSIM_OK)
                st = check_interval(c, rv, rp, s->relapse_review_days, what, fb);
            if (st != PSIM_OK)
                goto cleanup;
        }
        OPT(m, path, "start_day", rd_int(c, v_, p_, 0, INT_MAX, &s->start_day));
        if (s->start_day >= horizon) {
            join(sp, sizeof sp, path, "start_day");
            st = fail(c, yd_map_get(m, "start_day"),
                      "`%s`: day %d runs past the horizon (horizon_days is %d, so the last day "
                      "is %d)",
                      sp, s->start_day, horizon, horizon - 1);
            goto cleanup;
        }
    }
    /* A response-guided rule needs the assessment before the next planned session. */
    if (s->continue_if != PSIM_CONTINUE_ALWAYS && s->kind != PSIM_SCHEDULE_RELAPSE) {
        int planned[PSIM_MAX_SESSIONS];
        int n = psim_schedule_planned_days(s, planned, PSIM_MAX_SESSIONS);
        for (int j = 1; j < n; j++) {
            int gap = planned[j] - planned[j - 1];
            if (s->assess_after_days < gap)
                continue;
            join(sp, sizeof sp, path, "continue_if");
            st = fail(c, cont,
                      "`%s`: continue_if needs the assessment (day +%d) before the next session "
                      "(day +%d): session %d on day %d comes %d days after session %d on day %d, "
                      "so `%s` cannot decide it; assess_after_days must be shorter than every "
                      "gap between sessions",
                      sp, s->assess_after_days, gap, j + 1, planned[j], gap, j, planned[j - 1],
                      continue_names[s->continue_if]);
            goto cleanup;
        }
    }
cleanup:
    return st;
}

/* ------------------------------------------------------------- strategies */

static psim_status conv_strategy(conv *c, const yd_node *m, int idx)
{
    psim_scenario *scn = c->scn;
    psim_strategy *s = &scn->strategies[idx];
    char path[PATH_MAX_LEN], fp[PATH_MAX_LEN];
    psim_treatment t, fb;
    psim_status st;
    snprintf(path, sizeof path, "strategies[%d]", idx);
    st = expect_keys(c, m, path, strategy_keys);
    if (st != PSIM_OK)
        return st;

    const yd_node *nv = yd_map_get(m, "name");
    if (!nv)
        return fail(c, m, "`%s`: a strategy needs a `name`", path);
    join(fp, sizeof fp, path, "name");
    st = rd_name(c, nv, fp, s->name);
    if (st == PSIM_OK)
        st = check_hdf5_name(c, nv, fp, "a strategy");
    if (st != PSIM_OK)
        return st;
    for (int j = 0; j < idx; j++) {
        if (strcmp(scn->strategies[j].name, s->name) == 0) {
            const yd_node *first = c->strategy_name_node[j];
            if (first->origin == nv->origin || strcmp(first->origin, nv->origin) == 0)
                return fail(c, nv, "strategy name `%s` is used twice (first at line %d)",
                            s->name, first->line);
            return fail(c, nv, "strategy name `%s` is used twice (first at %s:%d:%d)", s->name,
                        first->origin, first->line, first->column);
        }
    }
    c->strategy_name_node[idx] = nv;
    snprintf(path, sizeof path, "strategies.%s", s->name);

    const yd_node *tv = yd_map_get(m, "treatment");
    if (!tv)
        return fail(c, m, "`%s`: a strategy needs a `treatment`", path);
    join(fp, sizeof fp, path, "treatment");
    st = rd_name(c, tv, fp, s->treatment);
    if (st == PSIM_OK)
        st = find_treatment(c, tv, fp, s->treatment, &t);
    if (st == PSIM_OK)
        st = use_treatment(c, tv, &t, &s->treatment_index);
    if (st != PSIM_OK)
        return st;

    const yd_node *fv = yd_map_get(m, "fallback");
    set_str(s->fallback, sizeof s->fallback, "none");
    join(fp, sizeof fp, path, "fallback");
    if (fv) {
        st = rd_name(c, fv, fp, s->fallback);
        if (st != PSIM_OK)
            return st;
    }
    st = find_treatment(c, fv ? fv : m, fp, s->fallback, &fb);
    if (st != PSIM_OK)
        return st;
    if (fb.injection)
        return fail(c, fv ? fv : m,
                    "`%s`: the fallback `%s` is an injection treatment, but the fallback is what "
                    "patients who cannot have injections get (use a non-injection treatment "
                    "such as `none` or `physio`)",
                    fp, s->fallback);
    st = use_treatment(c, fv ? fv : m, &fb, &s->fallback_index);
    if (st != PSIM_OK)
        return st;

    const yd_node *bv = yd_map_get(m, "baseline_shift");
    s->baseline_shift = 0.0;
    if (bv) {
        static const range shift_range = {-10.0, 10.0, 0, 0, 0};
        join(fp, sizeof fp, path, "baseline_shift");
        st = rd_double(c, bv, fp, shift_range, &s->baseline_shift);
        if (st != PSIM_OK)
            return st;
    }

    const yd_node *sv = yd_map_get(m, "schedule");
    memset(&s->schedule, 0, sizeof s->schedule);
    s->schedule.kind = PSIM_SCHEDULE_DAYS;
    s->schedule.assess_after_days = DEFAULT_ASSESS_AFTER_DAYS;
    s->schedule.continue_if = PSIM_CONTINUE_ALWAYS;
    s->schedule.relapse_threshold = DEFAULT_RELAPSE_THRESHOLD;
    s->schedule.relapse_max_sessions = DEFAULT_RELAPSE_MAX_SESSIONS;
    join(fp, sizeof fp, path, "schedule");
    if (is_none_based(&t)) {
        if (sv)
            return fail(c, key_node(m, "schedule"),
                        "`%s`: treatment `%s` (base `none`) gives no sessions, so the strategy "
                        "takes no schedule; remove `schedule`",
                        fp, t.name);
        return PSIM_OK;
    }
    if (!sv)
        return fail(c, m, "`%s`: treatment `%s` needs a `schedule` ({days: [...]}, "
                          "{every_days: N, sessions: N} or {on_relapse: {...}})",
                    path, t.name);
    return conv_schedule(c, sv, fp, &t, &fb, &s->schedule);
}

/* -------------------------------------------------------------- economics */

static psim_status conv_economics(const conv *c, const yd_node *m, psim_economics *e)
{
    static const range rate = {0.0, 1.0, 0, 0, 0};
    static const range util = {-UTILITY_ABS_MAX, UTILITY_ABS_MAX, 0, 0, 1};
    static const range money = {0.0, MONEY_MAX, 0, 0, 1};
    const char *path = "economics";
    const yd_node *sub;
    psim_status st = expect_keys(c, m, path, economics_keys);
    if (st != PSIM_OK)
        return st;
    OPT(m, path, "currency", rd_currency(c, v_, p_, e->currency, sizeof e->currency));
    sub = yd_map_get(m, "discount");
    if (sub) {
        const char *dp = "economics.discount";
        st = expect_keys(c, sub, dp, discount_keys);
        if (st != PSIM_OK)
            goto cleanup;
        OPT(sub, dp, "costs", rd_double(c, v_, p_, rate, &e->discount_costs));
        OPT(sub, dp, "qalys", rd_double(c, v_, p_, rate, &e->discount_qalys));
    }
    sub = yd_map_get(m, "utility");
    if (sub) {
        const char *up = "economics.utility";
        st = expect_keys(c, sub, up, utility_keys);
        if (st != PSIM_OK)
            goto cleanup;
        OPT(sub, up, "u0", rd_double(c, v_, p_, util, &e->utility_u0));
        OPT(sub, up, "slope_per_cm", rd_double(c, v_, p_, util, &e->utility_slope));
        OPT(sub, up, "min", rd_double(c, v_, p_, util, &e->utility_min));
        OPT(sub, up, "max", rd_double(c, v_, p_, util, &e->utility_max));
        if (!(e->utility_min < e->utility_max)) {
            const yd_node *at = first_of(yd_map_get(sub, "max"), yd_map_get(sub, "min"), sub);
            st = fail(c, at, "`%s`: min (%.15g) must be less than max (%.15g)", up,
                      e->utility_min, e->utility_max);
            goto cleanup;
        }
    }
    sub = yd_map_get(m, "wtp");
    if (sub) {
        const char *wp = "economics.wtp";
        st = expect(c, sub, wp, YD_SEQUENCE);
        if (st != PSIM_OK)
            goto cleanup;
        if (sub->n == 0 || sub->n > PSIM_MAX_WTP) {
            st = fail(c, sub, "`%s`: expected 1 to %d willingness-to-pay values, got %zu", wp,
                      PSIM_MAX_WTP, sub->n);
            goto cleanup;
        }
        for (size_t i = 0; i < sub->n; i++) {
            char ep[PATH_MAX_LEN];
            snprintf(ep, sizeof ep, "%s[%zu]", wp, i);
            st = rd_value(c, sub->items[i], ep, money, &e->wtp[i]);
            if (st != PSIM_OK)
                goto cleanup;
            if (i > 0 && !(e->wtp[i] > e->wtp[i - 1])) {
                st = fail(c, sub->items[i],
                          "`%s`: values must be strictly increasing, got %.15g after %.15g", ep,
                          e->wtp[i], e->wtp[i - 1]);
                goto cleanup;
            }
        }
        e->n_wtp = (int)sub->n;
    }
    {
        static const range population = {0.0, POPULATION_MAX, 0, 0, 0};
        static const range years = {0.0, HORIZON_YEARS_MAX, 1, 0, 0};
        OPT(m, path, "population", rd_value(c, v_, p_, population, &e->population));
        OPT(m, path, "horizon_years", rd_value(c, v_, p_, years, &e->horizon_years));
    }
cleanup:
    return st;
}

/* -------------------------------------------------- uncertainty, psa: */

static int cmp_uncertain(const void *a, const void *b)
{
    size_t x = ((const psim_uncertain *)a)->offset, y = ((const psim_uncertain *)b)->offset;
    return x < y ? -1 : x > y;
}

/* The pending distributions into scn->uncertain, once the strategies have
 * chosen the treatments: offsets in a resolved treatment become offsets of
 * its copy in scn->treatments; treatments no strategy uses are dropped (they
 * cannot affect a run).  Sorted by offset: the order of the resolved YAML. */
static psim_status finish_uncertain(const conv *c)
{
    psim_scenario *scn = c->scn;
    const ulist *ul = c->ul;
    int n = 0;
    for (int i = 0; i < ul->n; i++) {
        const pending *p = &ul->p[i];
        size_t offset = p->u.offset;
        if (p->def >= 0) {
            int j = 0;
            while (j < scn->n_treatments && strcmp(scn->treatments[j].name, c->def[p->def].t.name))
                j++;
            if (j == scn->n_treatments)
                continue;
            offset += (size_t)((const char *)&scn->treatments[j] - (const char *)scn);
        }
        if (n >= PSIM_MAX_UNCERTAIN)
            return fail(c, p->at,
                        "`%s`: more than %d parameters (of the treatments the strategies use, "
                        "the cohort, strategies and economics) are given as distributions",
                        p->u.name, PSIM_MAX_UNCERTAIN);
        psim_uncertain *u = &scn->uncertain[n++];
        *u = p->u;
        u->offset = offset;
        if (p->money)
            set_str(u->unit, sizeof u->unit, scn->economics.currency);
    }
    qsort(scn->uncertain, (size_t)n, sizeof scn->uncertain[0], cmp_uncertain);
    for (int i = 1; i < n; i++)
        if (scn->uncertain[i].offset == scn->uncertain[i - 1].offset)
            return psim_error_set(c->err, PSIM_ERR_INTERNAL, NULL, 0, 0,
                                  "`%s` and `%s` set the same parameter",
                                  scn->uncertain[i - 1].name, scn->uncertain[i].name);
    scn->n_uncertain = n;
    /* the pool no longer moves: point the empirical distributions into it */
    for (int i = 0; i < n; i++)
        if (scn->uncertain[i].dist.kind == PSIM_DIST_EMPIRICAL)
            scn->uncertain[i].dist.values = scn->empirical_pool + scn->uncertain[i].dist.pool_offset;
    return PSIM_OK;
}

/* Regression columns a parameter takes in an EVPPI group. */
static int columns_of(const psim_uncertain *u)
{
    return u->dist.dim > 1 ? u->dist.dim - 1 : 1;
}

static psim_status conv_group(const conv *c, const yd_node *k, const yd_node *v,
                              psim_evppi_group *g)
{
    const psim_scenario *scn = c->scn;
    char gp[PATH_MAX_LEN], ep[PATH_MAX_LEN + 24];
    int cols = 0;
    psim_status st = check_name_node(c, k, "psa.evppi_groups");
    if (st != PSIM_OK)
        return st;
    join(gp, sizeof gp, "psa.evppi_groups", k->text);
    st = expect(c, v, gp, YD_SEQUENCE);
    if (st != PSIM_OK)
        return st;
    if (v->n == 0)
        return fail(c, v, "`%s`: expected 1 to %d parameter names, got an empty list", gp,
                    PSIM_EVPPI_GROUP_MAX);
    memset(g, 0, sizeof *g);
    set_str(g->name, sizeof g->name, k->text);
    for (size_t i = 0; i < v->n; i++) {
        const yd_node *e = v->items[i];
        char what[DESCRIBE_MAX];
        int idx = -1;
        snprintf(ep, sizeof ep, "%s[%zu]", gp, i);
        if (e->kind != YD_SCALAR || yd_is_null(e) || strlen(e->text) != e->len) {
            yd_describe(e, what, sizeof what);
            return fail(c, e, "`%s`: expected the name of a parameter given as a distribution, "
                              "got %s",
                        ep, what);
        }
        for (int j = 0; j < scn->n_uncertain && idx < 0; j++)
            if (strcmp(scn->uncertain[j].name, e->text) == 0)
                idx = j;
        if (idx < 0) {
            const char *names[PSIM_MAX_UNCERTAIN];
            char list[PSIM_ERROR_TEXT_MAX / 2];
            for (int j = 0; j < scn->n_uncertain; j++)
                names[j] = scn->uncertain[j].name;
            if (scn->n_uncertain == 0)
                return fail(c, e, "`%s`: `%s` is not given as a distribution (no parameter is)",
                            ep, e->text);
            const char *s = suggest(e->text, e->len, names, (size_t)scn->n_uncertain);
            if (s)
                return fail(c, e,
                            "`%s`: `%s` is not a parameter given as a distribution; did you "
                            "mean `%s`?",
                            ep, e->text, s);
            join_list(list, sizeof list, names, (size_t)scn->n_uncertain);
            return fail(c, e,
                        "`%s`: `%s` is not a parameter given as a distribution (those are: %s)",
                        ep, e->text, list);
        }
        for (int j = 0; j < g->n; j++)
            if (g->param[j] == idx)
                return fail(c, e, "`%s`: `%s` is listed twice in group `%s`", ep, e->text,
                            g->name);
        cols += columns_of(&scn->uncertain[idx]);
        if (cols > PSIM_EVPPI_GROUP_MAX)
            return fail(c, e,
                        "`%s`: a group takes at most %d regression columns (one per parameter, "
                        "a dirichlet of length n counts n - 1), group `%s` would need %d",
                        ep, PSIM_EVPPI_GROUP_MAX, g->name, cols);
        g->param[g->n++] = idx;
    }
    return PSIM_OK;
}

/* `psa:`, read after everything else: groups name parameters listed anywhere. */
static psim_status conv_psa(const conv *c, const yd_node *m)
{
    psim_psa_settings *p = &c->scn->psa;
    const char *path = "psa";
    const yd_node *sub;
    psim_status st = expect_keys(c, m, path, psa_keys);
    if (st != PSIM_OK)
        return st;
    OPT(m, path, "iterations", rd_int(c, v_, p_, 0, PSA_ITERATIONS_MAX, &p->iterations));
    OPT(m, path, "patients", rd_enum(c, v_, p_, psa_patients_names, &p->common_patients));
    sub = yd_map_get(m, "evppi_groups");
    if (sub) {
        st = expect(c, sub, "psa.evppi_groups", YD_MAPPING);
        if (st != PSIM_OK)
            goto cleanup;
        if (sub->n > PSIM_MAX_EVPPI_GROUPS) {
            st = fail(c, sub->keys[PSIM_MAX_EVPPI_GROUPS],
                      "`psa.evppi_groups`: at most %d groups, got %zu", PSIM_MAX_EVPPI_GROUPS,
                      sub->n);
            goto cleanup;
        }
        for (size_t i = 0; i < sub->n; i++) {
            st = conv_group(c, sub->keys[i], sub->items[i], &p->groups[i]);
            if (st != PSIM_OK)
                goto cleanup;
            p->n_groups = (int)i + 1;
        }
    }
    if (p->iterations > 0 && c->scn->n_uncertain == 0) {
        st = fail(c, yd_map_get(m, "iterations"),
                  "`psa.iterations` is %d, but no parameter is given as a distribution (write "
                  "one as, for example, `p_first: {dist: beta, alpha: 40, beta: 35}`)",
                  p->iterations);
        goto cleanup;
    }
cleanup:
    return st;
}

/* vas_mm is chunked as block_size patients x all recorded days. */
static psim_status check_chunking(const conv *c, const yd_node *root)
{
    const psim_scenario *scn = c->scn;
    int64_t every = scn->output.record_every_days;
    int64_t recorded = (scn->horizon_days + every - 1) / every;
    int64_t values = (int64_t)scn->block_size * recorded;
    if (values <= CHUNK_VALUES_MAX)
        return PSIM_OK;
    return fail(c, first_of(yd_map_get(root, "block_size"), key_node(root, "block_size"), root),
                "`block_size` %d is too large for %" PRId64 " recorded days per patient "
                "(horizon_days %d, record_every_days %d): a chunk of the trajectories would "
                "hold %" PRId64 " values, more than 2^31 (HDF5 chunks must stay below 4 GiB); "
                "use a block_size of at most %" PRId64 " or a larger record_every_days",
                scn->block_size, recorded, scn->horizon_days, scn->output.record_every_days,
                values, CHUNK_VALUES_MAX / recorded);
}

/* ---------------------------------------------------------------- scenario */

static void scenario_defaults(psim_scenario *s)
{
    static const double levels[PSIM_LUMBAR_LEVELS] = {0.05, 0.10, 0.20, 0.30, 0.35};
    static const double contra[PSIM_N_CONTRA] = {
#define PSIM_X_P(name, p) p,
        PSIM_CONTRA_LIST(PSIM_X_P)
#undef PSIM_X_P
    };
    set_str(s->name, sizeof s->name, "scenario");
    set_str(s->description, sizeof s->description, "");
    s->seed = 1;
    s->patients = 10000;
    s->horizon_days = 426;
    s->block_size = 1024;
    s->cohort.baseline_vas = (psim_truncnorm){7.0, 1.2, 4.0, 10.0};
    s->cohort.pain_duration_months = (psim_truncnorm){13.78, 11.98, 3.0, 120.0};
    for (int i = 0; i < PSIM_LUMBAR_LEVELS; i++)
        s->cohort.lumbar_levels[i] = levels[i];
    s->cohort.myofascial = 0.95;
    for (int i = 0; i < PSIM_N_CONTRA; i++)
        s->cohort.contraindications[i] = contra[i];
    s->cohort.aspirin_recent = 0.10;
    s->cohort.aspirin_delay_days = 3;
    s->cohort.noise_sd = 0.8;
    s->cohort.noise_phi = 0.9;
    s->output.record_every_days = 1;
    s->output.trajectories = 1;
    s->output.compression = 0;
    psim_economics_default(&s->economics);
}

static psim_status convert(conv *c, const yd_node *root)
{
    psim_scenario *scn = c->scn;
    const char *path = "";
    const yd_node *sub;
    psim_status st = check_keys(c, root, "", top_keys);
    if (st != PSIM_OK)
        return st;
    scenario_defaults(scn);
    OPT(root, path, "name", rd_name(c, v_, p_, scn->name));
    OPT(root, path, "description", rd_string(c, v_, p_, scn->description, sizeof scn->description));
    OPT(root, path, "seed", rd_uint64(c, v_, p_, &scn->seed));
    OPT(root, path, "patients", rd_int64(c, v_, p_, 1, PATIENTS_MAX, &scn->patients));
    OPT(root, path, "horizon_days", rd_int(c, v_, p_, 1, HORIZON_MAX, &scn->horizon_days));
    OPT(root, path, "block_size", rd_int(c, v_, p_, 1, BLOCK_MAX, &scn->block_size));
    OPT(root, path, "cohort", conv_cohort(c, v_, &scn->cohort));
    OPT(root, path, "treatments", conv_treatments(c, v_));

    sub = yd_map_get(root, "strategies");
    if (!sub) {
        st = fail(c, root, "missing required key `strategies` (a sequence of strategies)");
        goto cleanup;
    }
    st = expect(c, sub, "strategies", YD_SEQUENCE);
    if (st != PSIM_OK)
        goto cleanup;
    if (sub->n == 0 || sub->n > PSIM_MAX_STRATEGIES) {
        st = fail(c, sub, "`strategies`: expected 1 to %d strategies, got %zu",
                  PSIM_MAX_STRATEGIES, sub->n);
        goto cleanup;
    }
    scn->n_strategies = (int)sub->n;
    for (int i = 0; i < scn->n_strategies; i++) {
        st = conv_strategy(c, sub->items[i], i);
        if (st != PSIM_OK)
            goto cleanup;
    }

    sub = yd_map_get(root, "reference");
    if (sub) {
        const char *names[PSIM_MAX_STRATEGIES];
        st = rd_name(c, sub, "reference", scn->reference);
        if (st != PSIM_OK)
            goto cleanup;
        scn->reference_index = -1;
        for (int i = 0; i < scn->n_strategies; i++) {
            names[i] = scn->strategies[i].name;
            if (strcmp(names[i], scn->reference) == 0)
                scn->reference_index = i;
        }
        if (scn->reference_index < 0) {
            const char *s = suggest(scn->reference, strlen(scn->reference), names,
                                    (size_t)scn->n_strategies);
            char list[PSIM_ERROR_TEXT_MAX / 2];
            if (s) {
                st = fail(c, sub, "`reference`: no strategy is named `%s`; did you mean `%s`?",
                          scn->reference, s);
                goto cleanup;
            }
            join_list(list, sizeof list, names, (size_t)scn->n_strategies);
            st = fail(c, sub, "`reference`: no strategy is named `%s` (strategies: %s)",
                      scn->reference, list);
            goto cleanup;
        }
    } else {
        scn->reference_index = 0;
        for (int i = scn->n_strategies - 1; i >= 0; i--)
            if (is_none_based(&scn->treatments[scn->strategies[i].treatment_index]))
                scn->reference_index = i;
        set_str(scn->reference, sizeof scn->reference,
                scn->strategies[scn->reference_index].name);
    }

    sub = yd_map_get(root, "output");
    if (sub) {
        path = "output";
        st = expect_keys(c, sub, path, output_keys);
        if (st != PSIM_OK)
            goto cleanup;
        OPT(sub, path, "record_every_days",
            rd_int(c, v_, p_, 1, INT_MAX, &scn->output.record_every_days));
        OPT(sub, path, "trajectories", rd_bool(c, v_, p_, &scn->output.trajectories));
        OPT(sub, path, "compression", rd_int(c, v_, p_, 0, 9, &scn->output.compression));
        const yd_node *rd = yd_map_get(sub, "report_days");
        if (rd) {
            const char *rp = "output.report_days";
            st = expect(c, rd, rp, YD_SEQUENCE);
            if (st != PSIM_OK)
                goto cleanup;
            if (rd->n > PSIM_MAX_REPORT_DAYS) {
                st = fail(c, rd, "`%s`: at most %d days, got %zu", rp, PSIM_MAX_REPORT_DAYS, rd->n);
                goto cleanup;
            }
            for (size_t i = 0; i < rd->n; i++) {
                char ep[PATH_MAX_LEN];
                snprintf(ep, sizeof ep, "%s[%zu]", rp, i);
                int *d = &scn->output.report_days[i];
                st = rd_int(c, rd->items[i], ep, 0, scn->horizon_days - 1, d);
                if (st != PSIM_OK)
                    goto cleanup;
                if (i > 0 && *d <= d[-1]) {
                    st = fail(c, rd->items[i], "`%s`: days must be strictly increasing, got %d after %d", ep, *d,
                              d[-1]);
                    goto cleanup;
                }
            }
            scn->output.n_report_days = (int)rd->n;
        }
    }
    path = "";
    OPT(root, path, "economics", conv_economics(c, v_, &scn->economics));
    st = finish_uncertain(c);
    if (st != PSIM_OK)
        goto cleanup;
    OPT(root, path, "psa", conv_psa(c, v_));
    st = check_chunking(c, root);
cleanup:
    return st;
}

/* -------------------------------------------------------------- overrides */

typedef struct segment {
    size_t start, end; /* byte range in the argument */
} segment;

static psim_status set_fail(psim_error *err, const char *origin, size_t pos, const char *fmt,
                            ...) PSIM_PRINTF(4, 5);

static psim_status set_fail(psim_error *err, const char *origin, size_t pos, const char *fmt, ...)
{
    char msg[PSIM_ERROR_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return psim_error_set(err, PSIM_ERR_INPUT, origin, 1, pos > INT_MAX - 1 ? INT_MAX : (int)pos + 1,
                          "%s", msg);
}

/* A canonical 0-based index: `0` or digits without a leading zero.  Only such a
 * segment addresses a sequence element by position; any other segment (`00`,
 * `007`, `botox`) is looked up by name. */
static int is_index_span(const char *s, size_t start, size_t end)
{
    return is_digits_span(s, start, end) && (s[start] != '0' || end - start == 1);
}

static int span_is_text(const char *arg, segment sg, const char *text)
{
    size_t n = strlen(text);
    return sg.end - sg.start == n && memcmp(arg + sg.start, text, n) == 0;
}

static int span_is(const yd_node *n, const char *arg, size_t start, size_t end)
{
    return n && n->kind == YD_SCALAR && n->len == end - start &&
           memcmp(n->text, arg + start, end - start) == 0;
}

/* The mapping item `key` of map, or NULL. */
static yd_node *map_get(const yd_node *map, const char *key)
{
    if (!map || map->kind != YD_MAPPING)
        return NULL;
    for (size_t k = 0; k < map->n; k++)
        if (yd_scalar_is(map->keys[k], key))
            return map->items[k];
    return NULL;
}

/* Segment i of a --set key is `packages` in `treatments.NAME.price.packages`,
 * and the file lists no packages: the treatment's price comes from a built-in
 * (NAME itself, or its `base:`).  *list is then that built-in's packages as a
 * YAML list, for an item of it to be changed; NULL when there is none. */
static psim_status builtin_packages(const yd_node *root, const char *arg, const segment *seg, size_t i,
                                    const char *origin, yd_node **list, psim_error *err)
{
    *list = NULL;
    if (i != 3 || !span_is_text(arg, seg[0], "treatments") || !span_is_text(arg, seg[2], "price") ||
        !span_is_text(arg, seg[3], "packages"))
        return PSIM_OK;
    char name[PSIM_NAME_MAX];
    size_t nlen = seg[1].end - seg[1].start;
    if (nlen >= sizeof name)
        return PSIM_OK;
    memcpy(name, arg + seg[1].start, nlen);
    name[nlen] = '\0';
    const yd_node *base = map_get(map_get(map_get(root, "treatments"), name), "base");
    if (base && base->kind == YD_SCALAR && base->len < sizeof name && strlen(base->text) == base->len)
        snprintf(name, sizeof name, "%s", base->text);
    psim_treatment t;
    memset(&t, 0, sizeof t);
    if (!psim_treatment_builtin(name, &t) || t.price.n_packages <= 0)
        return PSIM_OK;
    char text[64 * PSIM_MAX_PACKAGES + 8];
    size_t o = (size_t)snprintf(text, sizeof text, "[");
    for (int k = 0; k < t.price.n_packages && k < PSIM_MAX_PACKAGES && o < sizeof text; k++)
        o += (size_t)snprintf(text + o, sizeof text - o, "%s{units: %d, price: %.17g}", k ? ", " : "",
                              t.price.package_units[k], t.price.package_price[k]);
    if (o + 2 > sizeof text)
        return PSIM_OK;
    snprintf(text + o, sizeof text - o, "]");
    return yd_parse(text, strlen(text), origin, 0, YD_PARSE_VALUE, list, err);
}

/* Apply one "dotted.key=value" to the tree. */
static psim_status apply_set(yd_node *root, const char *arg, const char *origin, psim_error *err)
{
    psim_status st = PSIM_OK;
    yd_node *value = NULL;
    segment *seg = NULL;
    size_t nseg = 0;
    const char *eq = strchr(arg, '=');
    size_t brk = strcspn(arg, "\r\n");
    if (arg[brk] != '\0') {
        /* line and column of everything after it would be wrong in messages */
        st = set_fail(err, origin, brk,
                      "a --set argument must be one line, found a %s; write lists and "
                      "mappings in flow style ([...], {...})",
                      arg[brk] == '\n' ? "newline" : "carriage return");
        goto cleanup;
    }
    if (!eq) {
        st = set_fail(err, origin, 0, "expected `dotted.key=value`, found no `=`");
        goto cleanup;
    }
    size_t klen = (size_t)(eq - arg);
    if (klen == 0) {
        st = set_fail(err, origin, 0, "expected `dotted.key=value`, the key before `=` is empty");
        goto cleanup;
    }
    seg = malloc((klen + 1) * sizeof *seg);
    if (!seg) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, origin, 0, 0, "out of memory");
        goto cleanup;
    }
    for (size_t s = 0;;) {
        size_t e = s;
        while (e < klen && arg[e] != '.')
            e++;
        if (e == s) {
            st = set_fail(err, origin, s, "empty path segment in `%.*s`", (int)klen, arg);
            goto cleanup;
        }
        /* `packages[1]` is `packages.1`: the key, then each bracketed index
         * (the spelling of the resolved scenario's parameter names) */
        size_t b = s;
        while (b < e && arg[b] != '[')
            b++;
        if (b < e && b > s) {
            seg[nseg].start = s;
            seg[nseg].end = b;
            nseg++;
            while (b < e) {
                size_t close = b + 1;
                while (close < e && arg[close] != ']')
                    close++;
                if (arg[b] != '[' || close >= e || close == b + 1 || !is_digits_span(arg, b + 1, close)) {
                    st = set_fail(err, origin, b, "expected `[index]` with a 0-based index in `%.*s`", (int)klen,
                                  arg);
                    goto cleanup;
                }
                seg[nseg].start = b + 1;
                seg[nseg].end = close;
                nseg++;
                b = close + 1;
            }
        } else {
            seg[nseg].start = s;
            seg[nseg].end = e;
            nseg++;
        }
        if (e == klen)
            break;
        s = e + 1;
    }
    {
        size_t vstart = klen + 1;
        int col_offset = vstart > INT_MAX / 2 ? INT_MAX / 2 : (int)vstart;
        st = yd_parse(arg + vstart, strlen(arg + vstart), origin, col_offset, YD_PARSE_VALUE,
                      &value, err);
        if (st != PSIM_OK)
            goto cleanup;
    }

    yd_node *cur = root;
    for (size_t i = 0; i < nseg;) {
        size_t s0 = seg[i].start;
        if (cur->kind == YD_MAPPING) {
            /* The longest run of segments that names an existing key (names may contain '.'). */
            long found = -1;
            size_t j = nseg;
            while (j > i && found < 0) {
                j--;
                for (size_t k = 0; k < cur->n && found < 0; k++)
                    if (span_is(cur->keys[k], arg, s0, seg[j].end))
                        found = (long)k;
            }
            if (found < 0 && i + 1 < nseg && is_index_span(arg, seg[i + 1].start, seg[i + 1].end)) {
                /* `treatments.NAME.price.packages[i]` of a treatment whose
                 * packages come from its built-in: the list, written out */
                yd_node *list = NULL;
                st = builtin_packages(root, arg, seg, i, origin, &list, err);
                if (st != PSIM_OK)
                    goto cleanup;
                if (list) {
                    yd_node *key = yd_new_scalar(arg + s0, seg[i].end - s0, 1, origin, 1, (int)s0 + 1);
                    if (!key || yd_map_append(cur, key, list) != PSIM_OK) {
                        yd_free(key);
                        yd_free(list);
                        st = psim_error_set(err, PSIM_ERR_NOMEM, origin, 0, 0, "out of memory");
                        goto cleanup;
                    }
                    found = (long)cur->n - 1;
                    j = i;
                }
            }
            if (found < 0) {
                j = i;
                if (i + 1 < nseg && is_index_span(arg, seg[i + 1].start, seg[i + 1].end)) {
                    /* an item of a list the file does not have (such as a
                     * built-in's packages): there is nothing to index */
                    st = set_fail(err, origin, s0,
                                  "`%.*s` is not in the scenario file (its value is a default), so its item %.*s "
                                  "cannot be addressed; give the whole list: --set '%.*s=[...]' (`painsim "
                                  "validate` prints the current one)",
                                  (int)(seg[i].end - (s0 ? 0 : 0)), arg, (int)(seg[i + 1].end - seg[i + 1].start),
                                  arg + seg[i + 1].start, (int)seg[i].end, arg);
                    goto cleanup;
                }
                int col = s0 > INT_MAX - 1 ? INT_MAX : (int)s0 + 1;
                yd_node *key = yd_new_scalar(arg + s0, seg[i].end - s0, 1, origin, 1, col);
                yd_node *v = (i + 1 == nseg) ? value : yd_new_mapping(origin, 1, col);
                if (i + 1 == nseg)
                    value = NULL;
                if (!key || !v) {
                    yd_free(key);
                    if (v != value)
                        yd_free(v);
                    st = psim_error_set(err, PSIM_ERR_NOMEM, origin, 0, 0, "out of memory");
                    goto cleanup;
                }
                st = yd_map_append(cur, key, v);
                if (st != PSIM_OK) {
                    st = psim_error_set(err, st, origin, 0, 0, "out of memory");
                    goto cleanup;
                }
                found = (long)cur->n - 1;
                if (j + 1 == nseg)
                    break;
            } else if (j + 1 == nseg) {
                yd_free(cur->items[found]);
                cur->items[found] = value;
                value = NULL;
                break;
            }
            yd_node *next = cur->items[found];
            if (yd_is_null(next)) { /* `key:` with no value: becomes a mapping */
                yd_node *mp = yd_new_mapping(origin, 1, (int)seg[j + 1].start + 1);
                if (!mp) {
                    st = psim_error_set(err, PSIM_ERR_NOMEM, origin, 0, 0, "out of memory");
                    goto cleanup;
                }
                yd_free(next);
                cur->items[found] = next = mp;
            }
            cur = next;
            i = j + 1;
        } else if (cur->kind == YD_SEQUENCE) {
            size_t idx = cur->n, j = i;
            if (is_index_span(arg, s0, seg[i].end)) {
                unsigned long long x = 0;
                for (size_t k = s0; k < seg[i].end && x <= cur->n; k++)
                    x = x * 10 + (unsigned long long)(arg[k] - '0');
                if (x >= cur->n) {
                    int named = 0;
                    for (size_t k = 0; k < cur->n && !named; k++)
                        named = span_is(yd_map_get(cur->items[k], "name"), arg, s0, seg[i].end);
                    st = set_fail(err, origin, s0,
                                  "index %.*s is out of range: `%.*s` has %zu items (0-based "
                                  "indices 0 to %zu)%s",
                                  (int)(seg[i].end - s0), arg + s0, (int)(s0 ? s0 - 1 : 0), arg,
                                  cur->n, cur->n ? cur->n - 1 : 0,
                                  named ? "; a segment that is a number is an index, so address "
                                          "an item named by a number by its index"
                                        : "");
                    goto cleanup;
                }
                idx = (size_t)x;
            } else {
                /* The element whose `name` equals the (longest) segment run. */
                j = nseg;
                while (j > i && idx == cur->n) {
                    j--;
                    for (size_t k = 0; k < cur->n && idx == cur->n; k++)
                        if (span_is(yd_map_get(cur->items[k], "name"), arg, s0, seg[j].end))
                            idx = k;
                }
                if (idx == cur->n) {
                    const char *names[64];
                    size_t nn = 0;
                    for (size_t k = 0; k < cur->n && nn < 64; k++) {
                        const yd_node *nm = yd_map_get(cur->items[k], "name");
                        if (nm && nm->kind == YD_SCALAR && strlen(nm->text) == nm->len)
                            names[nn++] = nm->text;
                    }
                    const char *s = suggest(arg + s0, seg[i].end - s0, names, nn);
                    if (s)
                        st = set_fail(err, origin, s0,
                                      "no item of `%.*s` is named `%.*s`; did you mean `%s`?",
                                      (int)(s0 ? s0 - 1 : 0), arg, (int)(seg[i].end - s0),
                                      arg + s0, s);
                    else
                        st = set_fail(err, origin, s0,
                                      "no item of `%.*s` is named `%.*s` (use a name or a "
                                      "0-based index)",
                                      (int)(s0 ? s0 - 1 : 0), arg, (int)(seg[i].end - s0),
                                      arg + s0);
                    goto cleanup;
                }
            }
            if (j + 1 == nseg) {
                yd_free(cur->items[idx]);
                cur->items[idx] = value;
                value = NULL;
                break;
            }
            cur = cur->items[idx];
            i = j + 1;
        } else {
            st = set_fail(err, origin, s0,
                          "cannot look up `%.*s` inside `%.*s`: that is a single value, not a "
                          "mapping or sequence",
                          (int)(seg[i].end - s0), arg + s0, (int)(s0 ? s0 - 1 : 0), arg);
            goto cleanup;
        }
    }
cleanup:
    yd_free(value);
    free(seg);
    return st;
}

/* ------------------------------------------------------------------- API */

psim_status psim_scenario_load_text(const char *text, size_t len, const char *name,
                                    const char *const *set, int n_set, psim_scenario **out,
                                    psim_error *err)
{
    psim_status st = PSIM_OK;
    psim_scenario *scn = NULL;
    yd_node *root = NULL;
    char **origins = NULL;
    conv *c = NULL;

    psim_error_clear(err);
    if (out)
        *out = NULL;
    if (!name)
        name = "<scenario>";
    if (!out || (!text && len > 0) || n_set < 0 || (n_set > 0 && !set)) {
        st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                            "psim_scenario_load_text: invalid arguments");
        goto cleanup;
    }
    if (n_set > PSIM_MAX_SET) {
        st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                            "too many --set overrides: %d (at most %d)", n_set, PSIM_MAX_SET);
        goto cleanup;
    }
    for (int i = 0; i < n_set; i++) {
        if (!set[i]) {
            st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "--set override %d is NULL",
                                i + 1);
            goto cleanup;
        }
    }
    if (len > YD_MAX_BYTES) {
        st = psim_error_set(err, PSIM_ERR_INPUT, name, 0, 0,
                            "the scenario is %zu bytes, more than the limit of 16 MiB", len);
        goto cleanup;
    }
    scn = calloc(1, sizeof *scn);
    c = calloc(1, sizeof *c);
    if (!scn || !c || !(scn->source_text = malloc(len + 1))) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, name, 0, 0, "out of memory");
        goto cleanup;
    }
    if (len)
        memcpy(scn->source_text, text, len);
    scn->source_text[len] = '\0';
    set_str(scn->source_path, sizeof scn->source_path, name);

    /* Nodes point at their origin: the file name lives in scn, the --set
     * origins in `origins`, both until the tree is gone. */
    st = yd_parse(text, len, scn->source_path, 0, YD_PARSE_DOCUMENT, &root, err);
    if (st != PSIM_OK)
        goto cleanup;
    if (n_set > 0) {
        origins = calloc((size_t)n_set, sizeof *origins);
        if (!origins) {
            st = psim_error_set(err, PSIM_ERR_NOMEM, name, 0, 0, "out of memory");
            goto cleanup;
        }
    }
    for (int i = 0; i < n_set; i++) {
        size_t n = strlen(set[i]) + sizeof "--set ";
        origins[i] = malloc(n);
        if (!origins[i]) {
            st = psim_error_set(err, PSIM_ERR_NOMEM, name, 0, 0, "out of memory");
            goto cleanup;
        }
        snprintf(origins[i], n, "--set %s", set[i]);
        /* keep the file part of messages on one line (such arguments are rejected) */
        for (char *p = origins[i]; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        st = apply_set(root, set[i], origins[i], err);
        if (st != PSIM_OK)
            goto cleanup;
    }
    c->err = err;
    c->scn = scn;
    c->ul = &c->ul_store;
    st = convert(c, root);
    if (st != PSIM_OK)
        goto cleanup;
    *out = scn;
    scn = NULL;

cleanup:
    yd_free(root);
    if (origins)
        for (int i = 0; i < n_set; i++)
            free(origins[i]);
    free(origins);
    free(c);
    psim_scenario_destroy(scn);
    return st;
}

psim_status psim_scenario_load(const char *path, const char *const *set, int n_set,
                               psim_scenario **out, psim_error *err)
{
    psim_status st = PSIM_OK;
    FILE *fp = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;

    psim_error_clear(err);
    if (out)
        *out = NULL;
    if (!path || !out) {
        st = psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                            "psim_scenario_load: invalid arguments");
        goto cleanup;
    }
    st = psim_check_regular_input(path, "scenario file", err);
    if (st != PSIM_OK)
        goto cleanup;
    /* O_NONBLOCK: a FIFO swapped in after the check cannot block the open */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))) {
        close(fd);
        fd = -1;
        errno = EINVAL;
    }
    fp = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!fp) {
        if (fd >= 0)
            close(fd);
        st = psim_error_set(err, PSIM_ERR_IO, path, 0, 0, "cannot open the scenario file: %s",
                            strerror(errno));
        goto cleanup;
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            if (ncap > YD_MAX_BYTES + 1)
                ncap = YD_MAX_BYTES + 1;
            if (ncap == cap) {
                st = psim_error_set(err, PSIM_ERR_INPUT, path, 0, 0,
                                    "the scenario file is larger than the limit of 16 MiB");
                goto cleanup;
            }
            char *nb = realloc(buf, ncap);
            if (!nb) {
                st = psim_error_set(err, PSIM_ERR_NOMEM, path, 0, 0, "out of memory");
                goto cleanup;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp)) {
                st = psim_error_set(err, PSIM_ERR_IO, path, 0, 0,
                                    "cannot read the scenario file: %s", strerror(errno));
                goto cleanup;
            }
            break;
        }
    }
    if (len > YD_MAX_BYTES) {
        st = psim_error_set(err, PSIM_ERR_INPUT, path, 0, 0,
                            "the scenario file is larger than the limit of 16 MiB");
        goto cleanup;
    }
    st = psim_scenario_load_text(buf ? buf : "", len, path, set, n_set, out, err);

cleanup:
    if (fp)
        fclose(fp);
    free(buf);
    return st;
}

void psim_scenario_destroy(psim_scenario *scn)
{
    if (!scn)
        return;
    free(scn->source_text);
    free(scn->empirical_pool);
    free(scn);
}

int psim_relief_feasible(psim_meansd r, double lo, double hi)
{
    if (r.sd == 0)
        return 1;
    double w = hi - lo;
    double x = (r.mean - lo) / w;
    double v = r.sd * r.sd / (w * w);
    return x > 0 && x < 1 && v < x * (1 - x);
}
