/*
 * The resolved scenario for students (painsim validate --explain): the text
 * of psim_scenario_write_yaml with a comment beside each value giving its
 * unit, its valid range and its source, [src] (a published figure) or [asm]
 * (an assumption), as MODEL.md and docs/scenario-format.md list them.  A
 * treatment field that differs from its built-in's default is marked
 * [set in this scenario] instead of the built-in's source.  Comments do not
 * change the YAML: the text loads back to the same scenario.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "painsim/scenario.h"

/* A dotted path pattern: `*` matches one segment. */
typedef struct note {
    const char *pattern;
    const char *text;
} note;

static const note notes[] = {
    {"name", "name of the run and of its output file; setting"},
    {"description", "free text; setting"},
    {"seed", "random seed, 0 to 2^64-1; setting: the same seed gives the same bytes"},
    {"patients", "patients in the cohort, 1 to 2^40; setting"},
    {"horizon_days", "days, 1 to 36525; [src: Jabbari 2006, 14-month follow-up, 14 x 30.44 d]"},
    {"block_size", "patients per block, 1 to 1048576; setting (chunking and summation order)"},
    {"cohort.baseline_vas.mean", "cm on the 0-10 VAS; [asm; Porta 2000 baselines 7.3-7.9, Jain 6.7]"},
    {"cohort.baseline_vas.sd", "cm, >= 0; [asm]"},
    {"cohort.baseline_vas.min", "cm, 0 to 10, below max; [asm]"},
    {"cohort.baseline_vas.max", "cm, 0 to 10, above min; [asm]"},
    {"cohort.pain_duration_months.*", "months; [src: Atalay 2013, 13.78 +- 11.98 months]"},
    {"cohort.lumbar_levels", "P(1..5 affected lumbar levels), each in [0, 1], sum 1; [asm; Foster, Jabbari injected 4-5 levels]"},
    {"cohort.myofascial", "probability, [0, 1]; [src: 95% of chronic back pain patients have myofascial pain syndrome]"},
    {"cohort.contraindications", "each a probability in [0, 1]; [asm; the list src: Simons 1999, Ruoff 1994]"},
    {"cohort.contraindications.*", "probability, [0, 1]; [asm; the list src: Simons 1999, Ruoff 1994]"},
    {"cohort.aspirin_recent", "probability, [0, 1]; [asm]"},
    {"cohort.aspirin_delay_days", "days the first session waits, 0 to 36525; [src: aspirin within 3 days is a contraindication]"},
    {"cohort.noise.sd", "cm, 0 to 10: day-to-day noise of the VAS; [asm]"},
    {"cohort.noise.phi", "AR(1) correlation per day, [0, 1); [asm]"},
    {"treatments.*.base", "the built-in treatment this one starts from"},
    {"treatments.*.injection", "true: needs eligibility (myofascial, no contraindication)"},
    {"treatments.*.p_first", "probability, [0, 1]: P(R_1 = 1), response to the first session"},
    {"treatments.*.p_persist", "probability, [0, 1]: P(R_j = 1 | R_j-1 = 1)"},
    {"treatments.*.p_recover", "probability, [0, 1]: P(R_j = 1 | R_j-1 = 0)"},
    {"treatments.*.antibody_risk", "probability per session, [0, 1]: neutralising antibodies"},
    {"treatments.*.relief.responder.mean", "fraction of baseline VAS removed, [0.5, 1]"},
    {"treatments.*.relief.responder.sd", "fraction, >= 0 (a Beta on [0.5, 1] must exist)"},
    {"treatments.*.relief.non_responder.mean", "fraction of baseline VAS removed, [0, 0.5)"},
    {"treatments.*.relief.non_responder.sd", "fraction, >= 0 (a Beta on [0, 0.5] must exist)"},
    {"treatments.*.onset_days", "days before any effect, 0 to 36525"},
    {"treatments.*.peak_days", "days to full effect, onset_days to 36525"},
    {"treatments.*.duration.median_days", "days of full effect, median of the log-normal, > 0"},
    {"treatments.*.duration.sigma", "log-normal sigma of the duration, 0 to 5"},
    {"treatments.*.duration.shift_days", "days of plateau before the log-normal part, >= 0"},
    {"treatments.*.half_life_days", "days: the effect halves this often after the duration, > 0"},
    {"treatments.*.dose.units_per_level", "U per affected lumbar level, 0 to 1000000"},
    {"treatments.*.dose.max_units_per_session", "U per session at most, 0 to 1000000"},
    {"treatments.*.min_interval_days", "days between sessions at least, 0 to 36525"},
    {"treatments.*.price.model", "none, per_unit, packages or vials: how the dose is paid"},
    {"treatments.*.price.per_unit", "currency per unit (per_unit; single units beside packages), 0 to 1e12"},
    {"treatments.*.price.packages", "{units, price}: units per package, currency per package"},
    {"treatments.*.price.vial_units", "U per vial (vials model)"},
    {"treatments.*.price.vial_price", "currency per vial (vials model), 0 to 1e12"},
    {"treatments.*.session_cost", "currency per session (visit, administration), 0 to 1e12"},
    {"treatments.*.adverse_events.*.p", "probability per session, [0, 1]"},
    {"treatments.*.adverse_events.*.days", "days one event lasts, 1 to 36525"},
    {"treatments.*.adverse_events.*.utility_decrement", "QALY weight lost on each day of the event, 0 to 2"},
    {"treatments.*.adverse_events.*.cost", "currency per event, booked on the session day"},
    {"strategies.*.name", "strategy name (an HDF5 group name)"},
    {"strategies.*.treatment", "treatment given to eligible patients"},
    {"strategies.*.fallback", "treatment of patients not eligible for injections"},
    {"strategies.*.baseline_shift", "cm added to every baseline under this strategy, -10 to 10; [asm] (trial arms only)"},
    {"strategies.*.schedule.days", "days of the sessions, increasing, each < horizon_days"},
    {"strategies.*.schedule.every_days", "days between planned sessions, >= 1"},
    {"strategies.*.schedule.sessions", "planned sessions, 1 to 64"},
    {"strategies.*.schedule.start_day", "day of the first session, < horizon_days"},
    {"strategies.*.schedule.continue_if", "always, responded_first or responded_previous (observed response)"},
    {"strategies.*.schedule.assess_after_days", "days after a session when response is assessed (VAS <= B/2); [MODEL.md section 4]"},
    {"strategies.*.schedule.on_relapse.threshold", "fraction of baseline VAS, (0, 2]: reinject when VAS > threshold x B"},
    {"strategies.*.schedule.on_relapse.max_sessions", "sessions at most, the first included, 1 to 64"},
    {"strategies.*.schedule.on_relapse.review_every_days", "days between reviews (0: every day); [src: Jabbari 2006, review at 4 months]"},
    {"reference", "the strategy the others are compared with"},
    {"output.record_every_days", "days between recorded VAS values, >= 1; setting"},
    {"output.trajectories", "write every patient's VAS; setting"},
    {"output.compression", "gzip level 0 to 9; setting"},
    {"output.report_days", "days the summary also shows; setting"},
    {"economics.currency", "unit of every price and cost; nothing is converted"},
    {"economics.discount.costs", "per year, [0, 1]; [asm: NICE convention 3.5%]"},
    {"economics.discount.qalys", "per year, [0, 1]; [asm: NICE convention 3.5%]"},
    {"economics.utility.u0", "utility at VAS 0; [asm]"},
    {"economics.utility.slope_per_cm", "utility per cm of VAS; [src: EQ-5D-3L -0.0041 per point on 0-100, chronic LBP]"},
    {"economics.utility.min", "utility floor; [src: EQ-5D-3L minimum -0.594]"},
    {"economics.utility.max", "utility ceiling"},
    {"economics.wtp", "willingness to pay, currency per QALY, increasing; setting (the NMB grid)"},
    {"economics.population", "patients per year facing the decision (0: not given); setting"},
    {"economics.horizon_years", "years the decision holds, (0, 100]; [asm] (population EVPI)"},
    {"psa.iterations", "PSA parameter sets drawn, 0 (base case) to 10000000; setting"},
    {"psa.patients", "per_iteration or common: patients of each PSA iteration; setting"},
    {"psa.evppi_groups", "parameters whose EVPPI is estimated jointly; setting"},
};

/* Sources of the built-ins' defaults (MODEL.md section 3), by treatment and field. */
typedef struct src_note {
    const char *treatment, *field, *source;
} src_note;

static const src_note sources[] = {
    {"botox", "p_first", "[calibrated to src: Jabbari 2006, 53% at 3 wk]"},
    {"botox", "p_persist", "[calibrated to src: Jabbari 2006, 91% of first responders respond again]"},
    {"botox", "antibody_risk", "[asm: 10-15% over ~10 years of dystonia dosing]"},
    {"botox", "relief.responder.mean", "[src: Porta 2000, day 60 7.9 -> 2.3]"},
    {"botox", "onset_days", "[src: label, onset within days]"},
    {"botox", "peak_days", "[src: label, peak at 1-4 weeks]"},
    {"botox", "duration.median_days", "[src-calibrated: Foster 2001 3 -> 8 wk; Ney 2006 16.7% at 4 mo, 8.3% at 6 mo]"},
    {"botox", "dose.units_per_level", "[src: 50 U per injection, one per level]"},
    {"botox", "dose.max_units_per_session", "[src: up to 500 U per session]"},
    {"botox", "min_interval_days", "[src: label convention, >= 12 weeks]"},
    {"botox", "price.model", "[src: clinic price list]"},
    {"botox", "price.per_unit", "[src: clinic price list, 380 RUB per unit]"},
    {"botox", "price.packages", "[src: clinic price list, RUB]"},
    {"botox", "price.vial_units", "[src: 100 U vial]"},
    {"botox", "price.vial_price", "[src: 100 U vial ~ USD 600, German article; 90 RUB per USD asm]"},
    {"botox", "adverse_events.flu_like.p", "[src: ~5%; Jabbari 2006 4%]"},
    {"botox", "adverse_events.flu_like.days", "[src: Jabbari 2006, 2-5 days]"},
    {"botox", "adverse_events.local.p", "[src: De Andres 2003, 83.1% had none: P(any) ~ 0.169]"},
    {"placebo", "p_first", "[src: Foster 2001 placebo 25% at 3 wk]"},
    {"lidocaine_tpi", "adverse_events", "[the list src: Simons 1999; rates asm]"},
};

/* Whether `path` (segments separated by '.') matches pattern. */
static int matches(const char *pattern, const char *path)
{
    while (*pattern && *path) {
        if (*pattern == '*') {
            pattern++;
            while (*path && *path != '.')
                path++;
        } else if (*pattern == *path) {
            pattern++;
            path++;
        } else {
            return 0;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

static const char *note_for(const char *path)
{
    for (size_t k = 0; k < sizeof notes / sizeof *notes; k++)
        if (matches(notes[k].pattern, path))
            return notes[k].text;
    return NULL;
}

typedef struct field_at {
    const char *field;
    size_t offset;
} field_at;

/* The numeric fields of a treatment compared with the built-in's default. */
static const field_at tfields[] = {
    {"p_first", offsetof(psim_treatment, p_first)},
    {"p_persist", offsetof(psim_treatment, p_persist)},
    {"p_recover", offsetof(psim_treatment, p_recover)},
    {"antibody_risk", offsetof(psim_treatment, antibody_risk)},
    {"relief.responder.mean", offsetof(psim_treatment, relief_responder.mean)},
    {"relief.responder.sd", offsetof(psim_treatment, relief_responder.sd)},
    {"relief.non_responder.mean", offsetof(psim_treatment, relief_non_responder.mean)},
    {"relief.non_responder.sd", offsetof(psim_treatment, relief_non_responder.sd)},
    {"onset_days", offsetof(psim_treatment, onset_days)},
    {"peak_days", offsetof(psim_treatment, peak_days)},
    {"duration.median_days", offsetof(psim_treatment, duration_median_days)},
    {"duration.sigma", offsetof(psim_treatment, duration_sigma)},
    {"duration.shift_days", offsetof(psim_treatment, duration_shift_days)},
    {"half_life_days", offsetof(psim_treatment, half_life_days)},
    {"price.per_unit", offsetof(psim_treatment, price.per_unit)},
    {"price.vial_price", offsetof(psim_treatment, price.vial_price)},
    {"session_cost", offsetof(psim_treatment, session_cost)},
};

/* The source of treatment field `field` ("p_first", "adverse_events.flu_like.p")
 * of treatment t: the built-in's when the value is the built-in's default,
 * else [set in this scenario].  NULL when there is nothing to say. */
static const char *treatment_source(const psim_treatment *t, const char *field, char *buf, size_t size)
{
    psim_treatment def;
    /* `none` gives no sessions: its fields are placeholders */
    if (!psim_treatment_builtin(t->base, &def) || strcmp(t->base, "none") == 0)
        return NULL;
    int same = 1;
    for (size_t k = 0; k < sizeof tfields / sizeof *tfields; k++)
        if (strcmp(field, tfields[k].field) == 0) {
            double a, b;
            memcpy(&a, (const char *)t + tfields[k].offset, sizeof a);
            memcpy(&b, (const char *)&def + tfields[k].offset, sizeof b);
            same = a == b;
        }
    if (strncmp(field, "dose.units_per_level", 20) == 0)
        same = t->units_per_level == def.units_per_level;
    else if (strcmp(field, "dose.max_units_per_session") == 0)
        same = t->max_units_per_session == def.max_units_per_session;
    else if (strcmp(field, "min_interval_days") == 0)
        same = t->min_interval_days == def.min_interval_days;
    else if (strcmp(field, "price.model") == 0)
        same = t->price.model == def.price.model;
    else if (strncmp(field, "adverse_events.", 15) == 0) {
        const char *kind = field + 15, *dot = strchr(kind, '.');
        size_t kl = dot ? (size_t)(dot - kind) : strlen(kind);
        const psim_ae_spec *a = NULL, *b = NULL;
        for (int k = 0; k < t->n_ae; k++)
            if (strlen(t->ae[k].name) == kl && strncmp(t->ae[k].name, kind, kl) == 0)
                a = &t->ae[k];
        for (int k = 0; k < def.n_ae; k++)
            if (strlen(def.ae[k].name) == kl && strncmp(def.ae[k].name, kind, kl) == 0)
                b = &def.ae[k];
        same = a && b;
        if (same && dot) {
            const char *f = dot + 1;
            same = strcmp(f, "p") == 0                   ? a->p == b->p
                   : strcmp(f, "days") == 0              ? a->days == b->days
                   : strcmp(f, "utility_decrement") == 0 ? a->utility_decrement == b->utility_decrement
                   : strcmp(f, "cost") == 0              ? a->cost == b->cost
                                                         : 1;
        }
    }
    if (!same)
        return "[set in this scenario]";
    for (size_t k = 0; k < sizeof sources / sizeof *sources; k++)
        if (strcmp(sources[k].treatment, t->base) == 0 &&
            (strcmp(sources[k].field, field) == 0 ||
             (strncmp(field, sources[k].field, strlen(sources[k].field)) == 0 &&
              field[strlen(sources[k].field)] == '.')))
            return sources[k].source;
    if (strcmp(field, "base") == 0 || strcmp(field, "injection") == 0)
        return NULL;
    snprintf(buf, size, "[asm: the %s default]", t->base);
    return buf;
}

#define DEPTH_MAX 16
#define SEG_MAX 96

/* Write the resolved text with the comments. */
psim_status psim_scenario_write_explained(const psim_scenario *scn, FILE *fp, psim_error *err)
{
    char *text = NULL;
    psim_status st = psim_scenario_to_yaml(scn, &text, err);
    if (st != PSIM_OK)
        return st;
    fputs("# The resolved scenario: every value with its unit, range and source.\n"
          "# [src] a published figure, [asm] an assumption (to calibrate or vary); see MODEL.md and\n"
          "# docs/scenario-format.md.  Loading this text gives the same scenario.\n",
          fp);
    char seg[DEPTH_MAX][SEG_MAX];
    int ind[DEPTH_MAX], depth = 0;
    char *line = text;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        int in = 0;
        while ((size_t)in < len && line[in] == ' ')
            in++;
        const char *k = line + in;
        int item = 0;
        if (len >= (size_t)in + 2 && k[0] == '-' && k[1] == ' ') {
            item = 1;
            k += 2;
        }
        /* the key of `key: ...` (a comment line or a flow item has none) */
        size_t kl = 0;
        while (k + kl < line + len && k[kl] != ':' && k[kl] != ' ' && k[kl] != '{' && k[kl] != '#')
            kl++;
        int has_key = k + kl < line + len && k[kl] == ':' && kl > 0 && kl < SEG_MAX;
        const char *comment = NULL;
        char buf[256], path[DEPTH_MAX * SEG_MAX];
        if (has_key) {
            /* the key's column decides its parent; a sequence item is one level deeper */
            int col = (int)(k - line);
            while (depth > 0 && ind[depth - 1] >= (item ? in : col))
                depth--;
            if (item && depth < DEPTH_MAX) {
                /* `- name: x`: the element, named by its name */
                const char *v = k + kl + 1;
                while (*v == ' ')
                    v++;
                size_t vl = 0;
                while (v + vl < line + len && v[vl] != ' ' && v[vl] != '#')
                    vl++;
                snprintf(seg[depth], SEG_MAX, "%.*s", (int)(vl < SEG_MAX ? vl : SEG_MAX - 1),
                         v[0] == '"' ? "*" : v);
                ind[depth++] = in;
            }
            if (depth < DEPTH_MAX) {
                snprintf(seg[depth], SEG_MAX, "%.*s", (int)kl, k);
                ind[depth++] = col;
            }
            size_t o = 0;
            path[0] = '\0';
            for (int d = 0; d < depth && o < sizeof path; d++)
                o += (size_t)snprintf(path + o, sizeof path - o, "%s%s", d ? "." : "", seg[d]);
            const char *v = k + kl + 1;
            while (*v == ' ')
                v++;
            int is_value = v < line + len; /* not a section header */
            const char *n = is_value || strcmp(path, "cohort.contraindications") == 0 ? note_for(path) : NULL;
            const char *src = NULL;
            char sb[128];
            if (n && strncmp(v, "{dist:", 6) == 0) {
                src = "uncertain: its PSA distribution is given here";
            } else if (n && strncmp(path, "treatments.", 11) == 0) {
                const char *tn = path + 11, *dot = strchr(tn, '.');
                for (int t = 0; dot && t < scn->n_treatments; t++)
                    if (strlen(scn->treatments[t].name) == (size_t)(dot - tn) &&
                        strncmp(scn->treatments[t].name, tn, (size_t)(dot - tn)) == 0)
                        src = treatment_source(&scn->treatments[t], dot + 1, sb, sizeof sb);
            }
            if (n) {
                snprintf(buf, sizeof buf, "%s%s%s", n, src ? "; " : "", src ? src : "");
                comment = buf;
            }
        }
        fwrite(line, 1, len, fp);
        if (comment)
            fprintf(fp, "  # %s", comment);
        fputc('\n', fp);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    if (fflush(fp) != 0 || ferror(fp))
        return psim_error_set(err, PSIM_ERR_IO, "standard output", 0, 0, "cannot write the scenario");
    return PSIM_OK;
}
