/*
 * Scenario files (sim/scenario/yamldoc.c, scenario.c, scenario_emit.c):
 * defaults from MODEL.md, every class of input error with its exact
 * file:line:column, --set overrides, the YAML round trip, and a small
 * deterministic mutation fuzz loop (no crash, OK or an input error).
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "painsim/scenario.h"

#ifndef PAINSIM_TEST_DATA
#define PAINSIM_TEST_DATA "tests/data"
#endif

#define NAME "t.yaml"

/* Two strategies: an injection every 120 days and standard care. */
static const char BASE[] = "strategies:\n"                                   /* line 1 */
                           "  - name: botox_q4m\n"                           /* line 2 */
                           "    treatment: botox\n"                          /* line 3 */
                           "    schedule: {every_days: 120, sessions: 4}\n"  /* line 4 */
                           "  - name: standard_care\n"                       /* line 5 */
                           "    treatment: none\n";                          /* line 6 */

/* ---------------------------------------------------------------- helpers */

static char *concat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    cr_assert_not_null(s);
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

static psim_status load(const char *text, const char *const *set, int n_set, psim_scenario **out,
                        char *msg, size_t msg_size)
{
    psim_error err;
    psim_status st = psim_scenario_load_text(text, strlen(text), NAME, set, n_set, out, &err);
    psim_error_format(&err, msg, msg_size);
    return st;
}

static psim_scenario *load_ok_set(const char *text, const char *const *set, int n_set)
{
    psim_scenario *s = NULL;
    char msg[2048];
    psim_status st = load(text, set, n_set, &s, msg, sizeof msg);
    cr_assert_eq(st, PSIM_OK, "expected success, got: %s", msg);
    cr_assert_not_null(s);
    return s;
}

static psim_scenario *load_ok(const char *text)
{
    return load_ok_set(text, NULL, 0);
}

/* The error message must start with `where` (file:line:column) and contain `phrase`. */
static void expect_error_set(const char *text, const char *const *set, int n_set,
                             const char *where, const char *phrase)
{
    psim_scenario *s = (psim_scenario *)&s; /* must be reset to NULL */
    char msg[2048];
    psim_status st = load(text, set, n_set, &s, msg, sizeof msg);
    cr_assert_eq(st, PSIM_ERR_INPUT, "expected an input error (%s ... %s), got status %d: %s",
                 where, phrase, (int)st, msg);
    cr_assert_null(s, "the scenario must be NULL after an error");
    cr_assert(strncmp(msg, where, strlen(where)) == 0, "expected the place `%s`, got: %s", where,
              msg);
    cr_assert(strstr(msg, phrase) != NULL, "expected `%s` in: %s", phrase, msg);
}

static void expect_error(const char *text, const char *where, const char *phrase)
{
    expect_error_set(text, NULL, 0, where, phrase);
}

/* `prefix` followed by BASE (so BASE starts on the line after prefix). */
static void expect_error_pre(const char *prefix, const char *where, const char *phrase)
{
    char *text = concat(prefix, BASE);
    expect_error(text, where, phrase);
    free(text);
}

static void expect_set_error(const char *arg, const char *where, const char *phrase)
{
    const char *set[1] = {arg};
    expect_error_set(BASE, set, 1, where, phrase);
}

static const psim_treatment *treatment_of(const psim_scenario *s, const char *name)
{
    for (int i = 0; i < s->n_treatments; i++)
        if (strcmp(s->treatments[i].name, name) == 0)
            return &s->treatments[i];
    cr_assert_fail("treatment `%s` not in the scenario", name);
    return NULL;
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

#define SAME_D(a, b, what) cr_assert(same_double((a), (b)), "%s: %.17g != %.17g", what, (a), (b))
#define SAME_I(a, b, what) cr_assert_eq((long long)(a), (long long)(b), "%s: %lld != %lld", what, \
                                        (long long)(a), (long long)(b))
#define SAME_S(a, b, what) cr_assert_str_eq((a), (b), "%s: `%s` != `%s`", what, (a), (b))

static void same_truncnorm(const psim_truncnorm *a, const psim_truncnorm *b)
{
    SAME_D(a->mean, b->mean, "truncnorm.mean");
    SAME_D(a->sd, b->sd, "truncnorm.sd");
    SAME_D(a->min, b->min, "truncnorm.min");
    SAME_D(a->max, b->max, "truncnorm.max");
}

static void same_treatment(const psim_treatment *a, const psim_treatment *b)
{
    SAME_S(a->name, b->name, "treatment.name");
    SAME_S(a->base, b->base, "treatment.base");
    SAME_I(a->injection, b->injection, "injection");
    SAME_D(a->p_first, b->p_first, "p_first");
    SAME_D(a->p_persist, b->p_persist, "p_persist");
    SAME_D(a->p_recover, b->p_recover, "p_recover");
    SAME_D(a->antibody_risk, b->antibody_risk, "antibody_risk");
    SAME_D(a->relief_responder.mean, b->relief_responder.mean, "relief.responder.mean");
    SAME_D(a->relief_responder.sd, b->relief_responder.sd, "relief.responder.sd");
    SAME_D(a->relief_non_responder.mean, b->relief_non_responder.mean, "relief.non.mean");
    SAME_D(a->relief_non_responder.sd, b->relief_non_responder.sd, "relief.non.sd");
    SAME_D(a->onset_days, b->onset_days, "onset_days");
    SAME_D(a->peak_days, b->peak_days, "peak_days");
    SAME_D(a->duration_median_days, b->duration_median_days, "duration.median_days");
    SAME_D(a->duration_sigma, b->duration_sigma, "duration.sigma");
    SAME_D(a->duration_shift_days, b->duration_shift_days, "duration.shift_days");
    SAME_D(a->half_life_days, b->half_life_days, "half_life_days");
    SAME_I(a->units_per_level, b->units_per_level, "units_per_level");
    SAME_I(a->max_units_per_session, b->max_units_per_session, "max_units_per_session");
    SAME_I(a->min_interval_days, b->min_interval_days, "min_interval_days");
    SAME_I(a->price.model, b->price.model, "price.model");
    SAME_D(a->price.per_unit, b->price.per_unit, "price.per_unit");
    SAME_I(a->price.n_packages, b->price.n_packages, "price.n_packages");
    for (int i = 0; i < a->price.n_packages; i++) {
        SAME_I(a->price.package_units[i], b->price.package_units[i], "price.packages.units");
        SAME_D(a->price.package_price[i], b->price.package_price[i], "price.packages.price");
    }
    SAME_I(a->price.vial_units, b->price.vial_units, "price.vial_units");
    SAME_D(a->price.vial_price, b->price.vial_price, "price.vial_price");
    SAME_D(a->session_cost, b->session_cost, "session_cost");
    SAME_I(a->n_ae, b->n_ae, "n_ae");
    for (int i = 0; i < a->n_ae; i++) {
        SAME_S(a->ae[i].name, b->ae[i].name, "ae.name");
        SAME_D(a->ae[i].p, b->ae[i].p, "ae.p");
        SAME_I(a->ae[i].days, b->ae[i].days, "ae.days");
        SAME_D(a->ae[i].utility_decrement, b->ae[i].utility_decrement, "ae.utility_decrement");
        SAME_D(a->ae[i].cost, b->ae[i].cost, "ae.cost");
    }
}

static void same_economics(const psim_economics *a, const psim_economics *b)
{
    SAME_S(a->currency, b->currency, "economics.currency");
    SAME_D(a->discount_costs, b->discount_costs, "discount.costs");
    SAME_D(a->discount_qalys, b->discount_qalys, "discount.qalys");
    SAME_D(a->utility_u0, b->utility_u0, "utility.u0");
    SAME_D(a->utility_slope, b->utility_slope, "utility.slope_per_cm");
    SAME_D(a->utility_min, b->utility_min, "utility.min");
    SAME_D(a->utility_max, b->utility_max, "utility.max");
    SAME_I(a->n_wtp, b->n_wtp, "n_wtp");
    for (int i = 0; i < a->n_wtp; i++)
        SAME_D(a->wtp[i], b->wtp[i], "wtp");
    SAME_D(a->population, b->population, "population");
    SAME_D(a->horizon_years, b->horizon_years, "horizon_years");
}

/* The uncertain list and the psa: settings (not where they were written). */
static void same_uncertainty(const psim_scenario *a, const psim_scenario *b)
{
    SAME_I(a->n_uncertain, b->n_uncertain, "n_uncertain");
    for (int i = 0; i < a->n_uncertain; i++) {
        const psim_uncertain *x = &a->uncertain[i], *y = &b->uncertain[i];
        SAME_S(x->name, y->name, "uncertain.name");
        SAME_S(x->unit, y->unit, "uncertain.unit");
        SAME_S(x->source, y->source, "uncertain.source");
        SAME_I(x->offset, y->offset, "uncertain.offset");
        SAME_I(x->dist.kind, y->dist.kind, "dist.kind");
        SAME_I(x->dist.dim, y->dist.dim, "dist.dim");
        SAME_D(x->dist.p1, y->dist.p1, "dist.p1");
        SAME_D(x->dist.p2, y->dist.p2, "dist.p2");
        for (int k = 0; k < PSIM_DIST_MAX_DIM; k++)
            SAME_D(x->dist.alpha[k], y->dist.alpha[k], "dist.alpha");
        SAME_D(x->lo, y->lo, "uncertain.lo");
        SAME_D(x->hi, y->hi, "uncertain.hi");
    }
    SAME_I(a->psa.iterations, b->psa.iterations, "psa.iterations");
    SAME_I(a->psa.common_patients, b->psa.common_patients, "psa.common_patients");
    SAME_I(a->psa.n_groups, b->psa.n_groups, "psa.n_groups");
    for (int g = 0; g < a->psa.n_groups; g++) {
        SAME_S(a->psa.groups[g].name, b->psa.groups[g].name, "group.name");
        SAME_I(a->psa.groups[g].n, b->psa.groups[g].n, "group.n");
        for (int i = 0; i < a->psa.groups[g].n; i++)
            SAME_I(a->psa.groups[g].param[i], b->psa.groups[g].param[i], "group.param");
    }
}

/* Every field except source_text and source_path. */
static void same_scenario(const psim_scenario *a, const psim_scenario *b)
{
    SAME_S(a->name, b->name, "name");
    SAME_S(a->description, b->description, "description");
    cr_assert_eq(a->seed, b->seed, "seed");
    SAME_I(a->patients, b->patients, "patients");
    SAME_I(a->horizon_days, b->horizon_days, "horizon_days");
    SAME_I(a->block_size, b->block_size, "block_size");
    same_truncnorm(&a->cohort.baseline_vas, &b->cohort.baseline_vas);
    same_truncnorm(&a->cohort.pain_duration_months, &b->cohort.pain_duration_months);
    for (int i = 0; i < PSIM_LUMBAR_LEVELS; i++)
        SAME_D(a->cohort.lumbar_levels[i], b->cohort.lumbar_levels[i], "lumbar_levels");
    SAME_D(a->cohort.myofascial, b->cohort.myofascial, "myofascial");
    for (int i = 0; i < PSIM_N_CONTRA; i++)
        SAME_D(a->cohort.contraindications[i], b->cohort.contraindications[i], psim_contra_names[i]);
    SAME_D(a->cohort.aspirin_recent, b->cohort.aspirin_recent, "aspirin_recent");
    SAME_I(a->cohort.aspirin_delay_days, b->cohort.aspirin_delay_days, "aspirin_delay_days");
    SAME_D(a->cohort.noise_sd, b->cohort.noise_sd, "noise.sd");
    SAME_D(a->cohort.noise_phi, b->cohort.noise_phi, "noise.phi");
    SAME_I(a->n_treatments, b->n_treatments, "n_treatments");
    for (int i = 0; i < a->n_treatments; i++)
        same_treatment(&a->treatments[i], &b->treatments[i]);
    SAME_I(a->n_strategies, b->n_strategies, "n_strategies");
    for (int i = 0; i < a->n_strategies; i++) {
        const psim_strategy *x = &a->strategies[i], *y = &b->strategies[i];
        SAME_S(x->name, y->name, "strategy.name");
        SAME_S(x->treatment, y->treatment, "strategy.treatment");
        SAME_S(x->fallback, y->fallback, "strategy.fallback");
        SAME_I(x->treatment_index, y->treatment_index, "treatment_index");
        SAME_I(x->fallback_index, y->fallback_index, "fallback_index");
        SAME_I(x->schedule.kind, y->schedule.kind, "schedule.kind");
        SAME_I(x->schedule.n_days, y->schedule.n_days, "schedule.n_days");
        for (int j = 0; j < x->schedule.n_days; j++)
            SAME_I(x->schedule.days[j], y->schedule.days[j], "schedule.days");
        SAME_I(x->schedule.every_days, y->schedule.every_days, "every_days");
        SAME_I(x->schedule.sessions, y->schedule.sessions, "sessions");
        SAME_I(x->schedule.start_day, y->schedule.start_day, "start_day");
        SAME_I(x->schedule.assess_after_days, y->schedule.assess_after_days, "assess_after_days");
        SAME_I(x->schedule.continue_if, y->schedule.continue_if, "continue_if");
        SAME_D(x->schedule.relapse_threshold, y->schedule.relapse_threshold, "relapse_threshold");
        SAME_I(x->schedule.relapse_max_sessions, y->schedule.relapse_max_sessions,
               "relapse_max_sessions");
        SAME_I(x->schedule.relapse_review_days, y->schedule.relapse_review_days, "relapse_review_days");
    }
    SAME_S(a->reference, b->reference, "reference");
    SAME_I(a->reference_index, b->reference_index, "reference_index");
    SAME_I(a->output.record_every_days, b->output.record_every_days, "record_every_days");
    SAME_I(a->output.trajectories, b->output.trajectories, "trajectories");
    SAME_I(a->output.compression, b->output.compression, "compression");
    same_economics(&a->economics, &b->economics);
    same_uncertainty(a, b);
}

static char *to_yaml(const psim_scenario *s)
{
    char *text = NULL;
    psim_error err;
    psim_status st = psim_scenario_to_yaml(s, &text, &err);
    cr_assert_eq(st, PSIM_OK, "to_yaml failed: %s", err.message);
    cr_assert_not_null(text);
    return text;
}

/* load -> emit -> load -> emit: same text, same settings. */
static void check_round_trip(const psim_scenario *s1)
{
    char *t1 = to_yaml(s1);
    psim_scenario *s2 = load_ok(t1);
    char *t2 = to_yaml(s2);
    cr_assert_str_eq(t1, t2, "emitting twice differs:\n%s\n----\n%s", t1, t2);
    same_scenario(s1, s2);
    cr_assert_str_eq(s2->source_text, t1);
    free(t1);
    free(t2);
    psim_scenario_destroy(s2);
}

/* --------------------------------------------------------------- defaults */

Test(scenario_defaults, cohort_and_top_level_match_model_md)
{
    psim_scenario *s = load_ok("strategies: [{name: sc, treatment: none}]\n");
    cr_assert_str_eq(s->name, "scenario");
    cr_assert_str_eq(s->description, "");
    cr_assert_eq(s->seed, 1);
    cr_assert_eq(s->patients, 10000);
    cr_assert_eq(s->horizon_days, 426);
    cr_assert_eq(s->block_size, 1024);
    const psim_cohort_params *c = &s->cohort;
    cr_assert_eq(c->baseline_vas.mean, 7.0);
    cr_assert_eq(c->baseline_vas.sd, 1.2);
    cr_assert_eq(c->baseline_vas.min, 4.0);
    cr_assert_eq(c->baseline_vas.max, 10.0);
    cr_assert_eq(c->pain_duration_months.mean, 13.78);
    cr_assert_eq(c->pain_duration_months.sd, 11.98);
    cr_assert_eq(c->pain_duration_months.min, 3.0);
    cr_assert_eq(c->pain_duration_months.max, 120.0);
    static const double levels[] = {0.05, 0.10, 0.20, 0.30, 0.35};
    for (int i = 0; i < PSIM_LUMBAR_LEVELS; i++)
        cr_assert_eq(c->lumbar_levels[i], levels[i]);
    cr_assert_eq(c->myofascial, 0.95);
    cr_assert_eq(c->contraindications[PSIM_CONTRA_anticoagulants], 0.05);
    cr_assert_eq(c->contraindications[PSIM_CONTRA_bleeding_disorder], 0.01);
    cr_assert_eq(c->contraindications[PSIM_CONTRA_infection], 0.02);
    cr_assert_eq(c->contraindications[PSIM_CONTRA_hypersensitivity], 0.005);
    cr_assert_eq(c->contraindications[PSIM_CONTRA_acute_muscle_trauma], 0.02);
    cr_assert_eq(c->contraindications[PSIM_CONTRA_needle_phobia], 0.03);
    cr_assert_eq(c->aspirin_recent, 0.10);
    cr_assert_eq(c->aspirin_delay_days, 3);
    cr_assert_eq(c->noise_sd, 0.8);
    cr_assert_eq(c->noise_phi, 0.9);
    cr_assert_eq(s->output.record_every_days, 1);
    cr_assert_eq(s->output.trajectories, 1);
    cr_assert_eq(s->output.compression, 0);
    cr_assert_eq(s->n_strategies, 1);
    cr_assert_str_eq(s->reference, "sc");
    cr_assert_eq(s->reference_index, 0);
    /* `none` is both the treatment and the default fallback: one entry. */
    cr_assert_eq(s->n_treatments, 1);
    cr_assert_str_eq(s->treatments[0].name, "none");
    cr_assert_str_eq(s->strategies[0].fallback, "none");
    cr_assert_eq(s->strategies[0].treatment_index, 0);
    cr_assert_eq(s->strategies[0].fallback_index, 0);
    psim_scenario_destroy(s);
}

Test(scenario_defaults, botox_and_schedule_match_model_md)
{
    psim_scenario *s = load_ok(BASE);
    const psim_strategy *st = &s->strategies[0];
    const psim_treatment *t = &s->treatments[st->treatment_index];
    cr_assert_str_eq(t->name, "botox");
    cr_assert_str_eq(t->base, "botox");
    cr_assert_eq(t->injection, 1);
    cr_assert_eq(t->p_first, 0.55);
    cr_assert_eq(t->p_persist, 0.97);
    cr_assert_eq(t->p_recover, 0.05);
    cr_assert_eq(t->antibody_risk, 0.003);
    cr_assert_eq(t->relief_responder.mean, 0.70);
    cr_assert_eq(t->relief_responder.sd, 0.10);
    cr_assert_eq(t->relief_non_responder.mean, 0.15);
    cr_assert_eq(t->relief_non_responder.sd, 0.10);
    cr_assert_eq(t->onset_days, 3);
    cr_assert_eq(t->peak_days, 21);
    cr_assert_eq(t->duration_median_days, 90);
    cr_assert_eq(t->duration_sigma, 0.5);
    cr_assert_eq(t->duration_shift_days, 0, "v1.1: no plateau by default, v1 scenarios unchanged");
    cr_assert_eq(t->half_life_days, 14);
    cr_assert_eq(t->units_per_level, 50);
    cr_assert_eq(t->max_units_per_session, 500);
    cr_assert_eq(t->min_interval_days, 84);
    cr_assert_eq(t->n_ae, 2);
    cr_assert_str_eq(t->ae[0].name, "flu_like");
    cr_assert_eq(t->ae[0].p, 0.05);
    cr_assert_eq(t->ae[0].days, 4);
    cr_assert_str_eq(t->ae[1].name, "local");
    cr_assert_eq(t->ae[1].p, 0.125);

    cr_assert_str_eq(s->treatments[st->fallback_index].name, "none");
    cr_assert_eq(st->schedule.kind, PSIM_SCHEDULE_EVERY);
    cr_assert_eq(st->schedule.every_days, 120);
    cr_assert_eq(st->schedule.sessions, 4);
    cr_assert_eq(st->schedule.start_day, 0);
    cr_assert_eq(st->schedule.assess_after_days, 21);
    int days[PSIM_MAX_SESSIONS];
    cr_assert_eq(psim_schedule_planned_days(&st->schedule, days, PSIM_MAX_SESSIONS), 4);
    cr_assert_eq(days[3], 360);

    /* reference: the first strategy whose treatment is based on `none` */
    cr_assert_str_eq(s->reference, "standard_care");
    cr_assert_eq(s->reference_index, 1);
    cr_assert_eq(s->strategies[1].schedule.n_days, 0);
    psim_scenario_destroy(s);
}

Test(scenario_defaults, reference_is_first_strategy_without_a_none_treatment)
{
    psim_scenario *s = load_ok("strategies:\n"
                               "  - {name: a, treatment: placebo, schedule: {days: [0]}}\n"
                               "  - {name: b, treatment: botox, schedule: {days: [0, 84]}}\n");
    cr_assert_str_eq(s->reference, "a");
    cr_assert_eq(s->reference_index, 0);
    psim_scenario_destroy(s);

    s = load_ok("reference: b\n"
                "strategies:\n"
                "  - {name: a, treatment: none}\n"
                "  - {name: b, treatment: none}\n");
    cr_assert_eq(s->reference_index, 1);
    psim_scenario_destroy(s);
}

Test(scenario_defaults, overrides_derived_treatments_and_ae_merge)
{
    psim_scenario *s = load_ok(
        "treatments:\n"
        "  botox: {p_first: 0.75, adverse_events: {flu_like: {p: 0.04}, rash: {p: 0.01, days: 2}}}\n"
        "  botox_rct: {base: botox, p_first: 0.8, dose: {units_per_level: 40}}\n"
        "  phys2: {base: physio, relief: {responder: {mean: 0.55, sd: 0}}}\n"
        "strategies:\n"
        "  - name: a\n"
        "    treatment: botox\n"
        "    fallback: phys2\n"
        "    schedule: {days: [0, 90, 200], assess_after_days: 30}\n"
        "  - {name: b, treatment: botox_rct, schedule: {every_days: 100, sessions: 3, start_day: 7}}\n");
    cr_assert_eq(s->n_treatments, 4); /* botox, phys2, botox_rct, none (fallback of b) */
    const psim_treatment *b = treatment_of(s, "botox");
    cr_assert_eq(b->p_first, 0.75);
    cr_assert_eq(b->p_persist, 0.97);
    cr_assert_eq(b->n_ae, 3);
    cr_assert_str_eq(b->ae[0].name, "flu_like");
    cr_assert_eq(b->ae[0].p, 0.04);
    cr_assert_eq(b->ae[0].days, 4); /* kept from the base */
    cr_assert_str_eq(b->ae[1].name, "local");
    cr_assert_eq(b->ae[1].p, 0.125);
    cr_assert_str_eq(b->ae[2].name, "rash");
    cr_assert_eq(b->ae[2].days, 2);
    const psim_treatment *r = treatment_of(s, "botox_rct");
    cr_assert_str_eq(r->base, "botox");
    cr_assert_eq(r->p_first, 0.8);
    cr_assert_eq(r->units_per_level, 40);
    cr_assert_eq(r->max_units_per_session, 500);
    cr_assert_eq(r->n_ae, 2); /* derived from the built-in botox, not the override */
    cr_assert_eq(r->ae[0].p, 0.05);
    const psim_treatment *p = treatment_of(s, "phys2");
    cr_assert_str_eq(p->base, "physio");
    cr_assert_eq(p->relief_responder.mean, 0.55);
    cr_assert_eq(p->relief_responder.sd, 0);
    cr_assert_eq(p->onset_days, 7);

    const psim_strategy *a = &s->strategies[0];
    cr_assert_str_eq(s->treatments[a->treatment_index].name, "botox");
    cr_assert_str_eq(s->treatments[a->fallback_index].name, "phys2");
    cr_assert_eq(a->schedule.kind, PSIM_SCHEDULE_DAYS);
    cr_assert_eq(a->schedule.n_days, 3);
    cr_assert_eq(a->schedule.days[2], 200);
    cr_assert_eq(a->schedule.assess_after_days, 30);
    const psim_strategy *st = &s->strategies[1];
    cr_assert_eq(st->schedule.start_day, 7);
    cr_assert_str_eq(s->reference, "a");
    psim_scenario_destroy(s);
}

Test(scenario_defaults, every_top_level_value_is_read)
{
    psim_scenario *s = load_ok("name: my-run.v2\n"
                               "description: 'a test'\n"
                               "seed: 18446744073709551615\n"
                               "patients: 1099511627776\n"
                               "horizon_days: 36525\n"
                               "block_size: 1048576\n"
                               "cohort:\n"
                               "  baseline_vas: {mean: 7.5}\n"
                               "  lumbar_levels: [0.2, 0.2, 0.2, 0.2, 0.2]\n"
                               "  contraindications: {infection: 0}\n"
                               "  noise: {phi: 0}\n"
                               "output: {record_every_days: 365, trajectories: false, compression: 9}\n"
                               "strategies: [{name: sc, treatment: none}]\n");
    cr_assert_str_eq(s->name, "my-run.v2");
    cr_assert_str_eq(s->description, "a test");
    cr_assert_eq(s->seed, UINT64_MAX);
    cr_assert_eq(s->patients, (int64_t)1 << 40);
    cr_assert_eq(s->horizon_days, 36525);
    cr_assert_eq(s->block_size, 1048576);
    cr_assert_eq(s->cohort.baseline_vas.mean, 7.5);
    cr_assert_eq(s->cohort.baseline_vas.sd, 1.2);
    cr_assert_eq(s->cohort.lumbar_levels[4], 0.2);
    cr_assert_eq(s->cohort.contraindications[PSIM_CONTRA_infection], 0);
    cr_assert_eq(s->cohort.contraindications[PSIM_CONTRA_needle_phobia], 0.03);
    cr_assert_eq(s->cohort.noise_phi, 0);
    cr_assert_eq(s->cohort.noise_sd, 0.8);
    cr_assert_eq(s->output.record_every_days, 365);
    cr_assert_eq(s->output.trajectories, 0);
    cr_assert_eq(s->output.compression, 9);
    psim_scenario_destroy(s);
}

/* ---------------------------------------------------------- YAML errors */

Test(scenario_yaml, empty_and_comment_only)
{
    expect_error("", NAME ":1:1: ", "empty scenario: expected a mapping with at least `strategies`");
    expect_error("# just a comment\n\n", NAME ":1:1: ", "empty scenario");
    expect_error("---\n", NAME ":1:1: ", "empty scenario");
}

Test(scenario_yaml, top_level_not_a_mapping)
{
    expect_error("- a\n- b\n", NAME ":1:1: ", "expected a mapping at the top level");
    expect_error("\n  just text\n", NAME ":2:3: ", "expected a mapping at the top level");
}

Test(scenario_yaml, parse_error_has_libyaml_place_and_problem)
{
    expect_error("strategies: [}\n", NAME ":1:14: ", "not valid YAML: did not find expected node content");
    expect_error("name: x\n  bad: indent\n", NAME ":2:6: ", "not valid YAML: mapping values are not allowed");
    expect_error("name: \"unterminated\n", NAME ":2:1: ", "not valid YAML: found unexpected end of stream");
    expect_error("name: a\x01" "b\n", NAME ":1:8: ", "not valid YAML: control characters are not allowed");
}

Test(scenario_yaml, aliases_anchors_tags_rejected)
{
    expect_error("a: &x 1\nb: *x\n", NAME ":1:4: ", "aliases are not supported");
    expect_error("seed: 1\nname: *x\n", NAME ":2:7: ", "aliases are not supported");
    expect_error("seed: !!int 5\n", NAME ":1:7: ", "tags are not supported");
}

Test(scenario_yaml, duplicate_keys_at_the_second_key)
{
    expect_error_pre("seed: 1\nname: x\nseed: 2\n", NAME ":3:1: ",
                     "duplicate key `seed` (first given at line 1, column 1)");
    expect_error("strategies:\n  - {name: a, treatment: none, name: b}\n", NAME ":2:32: ",
                 "duplicate key `name`");
}

Test(scenario_yaml, multiple_documents_rejected)
{
    expect_error("seed: 1\n---\nseed: 2\n", NAME ":2:1: ", "more than one YAML document");
}

Test(scenario_yaml, nesting_depth_limit)
{
    char text[400];
    size_t o = 0;
    o += (size_t)sprintf(text + o, "x: ");
    for (int i = 0; i < 70; i++)
        text[o++] = '[';
    text[o++] = '\n';
    text[o] = '\0';
    expect_error(text, NAME ":1:", "nested deeper than the limit of 64 levels");
    /* 64 levels are fine for the reader (then `x` is an unknown key). */
    o = 0;
    o += (size_t)sprintf(text + o, "x: ");
    for (int i = 0; i < 63; i++)
        text[o++] = '[';
    for (int i = 0; i < 63; i++)
        text[o++] = ']';
    text[o++] = '\n';
    text[o] = '\0';
    expect_error(text, NAME ":1:1: ", "unknown key `x` at the top level");
}

Test(scenario_yaml, size_limit)
{
    size_t len = (size_t)16 * 1024 * 1024 + 1;
    char *big = malloc(len + 1);
    cr_assert_not_null(big);
    memset(big, ' ', len);
    big[len] = '\0';
    psim_scenario *s = NULL;
    psim_error err;
    psim_status st = psim_scenario_load_text(big, len, NAME, NULL, 0, &s, &err);
    cr_assert_eq(st, PSIM_ERR_INPUT);
    cr_assert_null(s);
    cr_assert(strstr(err.message, "16 MiB") != NULL, "%s", err.message);
    free(big);
}

/* ------------------------------------------------------- validation errors */

Test(scenario_errors, unknown_keys_with_did_you_mean)
{
    expect_error_pre("nmae: x\n", NAME ":1:1: ", "unknown key `nmae` at the top level; did you mean `name`?");
    expect_error_pre("horizon: 100\n", NAME ":1:1: ", "did you mean `horizon_days`?");
    expect_error_pre("cohort: {myofacial: 0.9}\n", NAME ":1:10: ",
                     "unknown key `myofacial` in `cohort`; did you mean `myofascial`?");
    expect_error_pre("treatments: {botox: {p_frist: 0.5}}\n", NAME ":1:22: ",
                     "unknown key `p_frist` in `treatments.botox`; did you mean `p_first`?");
    expect_error("strategies:\n  - {name: a, treatment: botox, shedule: {days: [0]}}\n",
                 NAME ":2:33: ", "did you mean `schedule`?");
    expect_error("strategies:\n  - {name: a, treatment: botox, schedule: {every: 90, sessions: 2}}\n",
                 NAME ":2:44: ", "did you mean `every_days`?");
}

Test(scenario_errors, unknown_keys_list_valid_keys)
{
    expect_error_pre("cohort: {baseline_vas: {average: 7}}\n", NAME ":1:25: ",
                     "unknown key `average` in `cohort.baseline_vas`; valid keys are: mean, sd, min, max");
    expect_error_pre("zzzzzz: 1\n", NAME ":1:1: ", "valid keys are: name, description, seed,");
    expect_error_pre("output: {format: hdf5}\n", NAME ":1:10: ",
                     "valid keys are: record_every_days, trajectories, compression");
}

Test(scenario_errors, wrong_types)
{
    expect_error_pre("cohort: 5\n", NAME ":1:9: ", "`cohort`: expected a mapping, got `5`");
    expect_error_pre("cohort: {lumbar_levels: 0.2}\n", NAME ":1:25: ",
                     "`cohort.lumbar_levels`: expected a sequence, got `0.2`");
    expect_error_pre("cohort: {myofascial: \"0.9\"}\n", NAME ":1:22: ",
                     "`cohort.myofascial`: expected a number, got the quoted string \"0.9\"");
    expect_error_pre("cohort: {myofascial: [0.9]}\n", NAME ":1:22: ", "expected a number, got a sequence");
    expect_error_pre("cohort: {myofascial: }\n", NAME ":1:22: ", "expected a number, got an empty value (null)");
    expect_error_pre("patients: 3.5\n", NAME ":1:11: ", "`patients`: expected an integer, got `3.5`");
    expect_error_pre("patients: 1e4\n", NAME ":1:11: ", "expected an integer, got `1e4`");
    expect_error_pre("patients: '100'\n", NAME ":1:11: ", "expected an integer, got the quoted string \"100\"");
    expect_error_pre("output: {trajectories: yes}\n", NAME ":1:24: ",
                     "expected a boolean (true or false), got `yes`");
    expect_error_pre("output: {trajectories: 1}\n", NAME ":1:24: ", "expected a boolean");
    expect_error_pre("description: {a: b}\n", NAME ":1:14: ", "`description`: expected a string, got a mapping");
    expect_error_pre("name: \"bad name!\"\n", NAME ":1:7: ", "`name`: expected a name of 1-63 letters");
    expect_error_pre("seed: -1\n", NAME ":1:7: ", "expected an unsigned 64-bit integer, got `-1`");
    expect_error("strategies: {a: 1}\n", NAME ":1:13: ", "`strategies`: expected a sequence, got a mapping");
    expect_error("strategies:\n  - botox\n", NAME ":2:5: ", "`strategies[0]`: expected a mapping, got `botox`");
}

Test(scenario_errors, numbers_must_be_whole_and_finite)
{
    expect_error_pre("treatments: {botox: {p_first: 0.01xyz}}\n", NAME ":1:31: ",
                     "`treatments.botox.p_first`: expected a number, got `0.01xyz`");
    expect_error_pre("cohort: {myofascial: .nan}\n", NAME ":1:22: ", "expected a finite number, got `.nan`");
    expect_error_pre("cohort: {myofascial: -inf}\n", NAME ":1:22: ", "expected a finite number");
    expect_error_pre("cohort: {baseline_vas: {mean: 1e999}}\n", NAME ":1:31: ", "too large (overflow)");
    expect_error_pre("cohort: {myofascial: 0x1p-1}\n", NAME ":1:22: ", "expected a number, got `0x1p-1`");
    expect_error_pre("seed: 18446744073709551616\n", NAME ":1:7: ", "must be an integer in [0, 18446744073709551615]");
    expect_error_pre("patients: 99999999999999999999\n", NAME ":1:11: ", "must be an integer in [1, 1099511627776]");
    expect_error_pre("cohort: {aspirin_delay_days: 2.0}\n", NAME ":1:30: ", "expected an integer, got `2.0`");
    expect_error_pre("patients: 010\n", NAME ":1:11: ", "expected an integer without leading zeros");
    expect_error_pre("seed: 00\n", NAME ":1:7: ", "expected an integer without leading zeros");
}

Test(scenario_errors, probabilities_outside_0_1)
{
    static const struct {
        const char *prefix, *where, *phrase;
    } cases[] = {
        {"treatments: {botox: {p_first: 1.7}}\n", NAME ":1:31: ", "`treatments.botox.p_first` must be in [0, 1], got 1.7"},
        {"treatments: {botox: {p_persist: -0.1}}\n", NAME ":1:33: ", "p_persist` must be in [0, 1], got -0.1"},
        {"treatments: {botox: {p_recover: 2}}\n", NAME ":1:33: ", "p_recover` must be in [0, 1]"},
        {"treatments: {botox: {antibody_risk: 1.01}}\n", NAME ":1:37: ", "antibody_risk` must be in [0, 1]"},
        {"cohort: {myofascial: 1.5}\n", NAME ":1:22: ", "`cohort.myofascial` must be in [0, 1], got 1.5"},
        {"cohort: {contraindications: {infection: -0.5}}\n", NAME ":1:41: ",
         "`cohort.contraindications.infection` must be in [0, 1]"},
        {"cohort: {aspirin_recent: 3}\n", NAME ":1:26: ", "`cohort.aspirin_recent` must be in [0, 1]"},
        {"cohort: {lumbar_levels: [0.5, 1.5, 0, 0, -1]}\n", NAME ":1:31: ",
         "`cohort.lumbar_levels[1]` must be in [0, 1], got 1.5"},
        {"treatments: {botox: {adverse_events: {local: {p: 1.2}}}}\n", NAME ":1:50: ",
         "`treatments.botox.adverse_events.local.p` must be in [0, 1], got 1.2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error_pre(cases[i].prefix, cases[i].where, cases[i].phrase);
}

Test(scenario_errors, cohort_consistency)
{
    expect_error_pre("cohort: {lumbar_levels: [0.1, 0.1, 0.1, 0.1, 0.1]}\n", NAME ":1:25: ",
                     "must sum to 1 (within 1e-9), got 0.5");
    expect_error_pre("cohort: {lumbar_levels: [0.5, 0.5]}\n", NAME ":1:25: ",
                     "expected exactly 5 probabilities");
    expect_error_pre("cohort: {baseline_vas: {min: 5, max: 4}}\n", NAME ":1:38: ",
                     "min (5) must be less than max (4)");
    expect_error_pre("cohort: {baseline_vas: {max: 11}}\n", NAME ":1:30: ",
                     "`cohort.baseline_vas.max` must be in [0, 10], got 11");
    expect_error_pre("cohort: {pain_duration_months: {min: -1}}\n", NAME ":1:38: ", "must be >= 0, got -1");
    expect_error_pre("cohort: {noise: {phi: 1}}\n", NAME ":1:23: ", "`cohort.noise.phi` must be in [0, 1), got 1");
    expect_error_pre("cohort: {noise: {sd: -0.1}}\n", NAME ":1:22: ", "`cohort.noise.sd` must be in [0, 10], got -0.1");
    expect_error_pre("cohort: {baseline_vas: {sd: -1}}\n", NAME ":1:29: ", "`cohort.baseline_vas.sd` must be in [0, 1000], got -1");
}

Test(scenario_errors, sizes_and_day_counts)
{
    expect_error_pre("patients: 0\n", NAME ":1:11: ", "`patients` must be an integer in [1, 1099511627776], got 0");
    expect_error_pre("horizon_days: -5\n", NAME ":1:15: ", "`horizon_days` must be an integer in [1, 36525], got -5");
    expect_error_pre("block_size: 0\n", NAME ":1:13: ", "`block_size` must be an integer in [1, 1048576], got 0");
    expect_error_pre("output: {record_every_days: 0}\n", NAME ":1:29: ", "`output.record_every_days` must be an integer >= 1, got 0");
    expect_error_pre("output: {compression: 10}\n", NAME ":1:23: ", "must be an integer in [0, 9], got 10");
    expect_error_pre("cohort: {aspirin_delay_days: -1}\n", NAME ":1:30: ", "must be an integer in [0, 36525], got -1");
    expect_error_pre("treatments: {botox: {duration: {median_days: 0}}}\n", NAME ":1:46: ",
                     "`treatments.botox.duration.median_days` must be in (0, 36525], got 0");
    expect_error_pre("treatments: {botox: {duration: {sigma: -0.5}}}\n", NAME ":1:40: ", "`treatments.botox.duration.sigma` must be in [0, 5], got -0.5");
    expect_error_pre("treatments: {botox: {duration: {shift_days: -1}}}\n", NAME ":1:45: ",
                     "`treatments.botox.duration.shift_days` must be in [0, 36525], got -1");
    expect_error_pre("treatments: {botox: {duration: {shift_days: 36526}}}\n", NAME ":1:45: ",
                     "`treatments.botox.duration.shift_days` must be in [0, 36525], got 36526");
    expect_error_pre("treatments: {botox: {duration: {shift: 30}}}\n", NAME ":1:33: ",
                     "unknown key `shift` in `treatments.botox.duration`");
    expect_error_pre("treatments: {botox: {half_life_days: 0}}\n", NAME ":1:38: ", "`treatments.botox.half_life_days` must be in (0, 36525], got 0");
    expect_error_pre("treatments: {botox: {onset_days: -1}}\n", NAME ":1:34: ", "`treatments.botox.onset_days` must be in [0, 36525], got -1");
    expect_error_pre("treatments: {botox: {dose: {units_per_level: -50}}}\n", NAME ":1:46: ", "must be an integer in [0,");
    expect_error_pre("treatments: {botox: {min_interval_days: -1}}\n", NAME ":1:41: ",
                     "`treatments.botox.min_interval_days` must be an integer in [0, 36525], got -1");
    expect_error("strategies:\n  - {name: a, treatment: botox, schedule: {every_days: 0, sessions: 2}}\n",
                 NAME ":2:56: ", "`strategies.a.schedule.every_days` must be an integer >= 1, got 0");
    expect_error("strategies:\n  - {name: a, treatment: botox, schedule: {every_days: 90, sessions: 0}}\n",
                 NAME ":2:70: ", "`strategies.a.schedule.sessions` must be an integer in [1, 64], got 0");
    expect_error("strategies:\n  - {name: a, treatment: botox, schedule: {every_days: 90, sessions: 2, start_day: -1}}\n",
                 NAME ":2:84: ", "`strategies.a.schedule.start_day` must be an integer >= 0, got -1");
    expect_error("strategies:\n  - {name: a, treatment: botox, schedule: {days: [0], assess_after_days: 0}}\n",
                 NAME ":2:74: ", "`strategies.a.schedule.assess_after_days` must be an integer in [1, 36525], got 0");
}

Test(scenario_errors, peak_before_onset)
{
    expect_error_pre("treatments: {botox: {onset_days: 30}}\n", NAME ":1:34: ",
                     "`treatments.botox`: peak before onset (peak_days 21 < onset_days 30)");
    expect_error_pre("treatments: {botox: {onset_days: 5, peak_days: 4}}\n", NAME ":1:48: ", "peak before onset");
}

Test(scenario_errors, relief_ranges_and_beta_existence)
{
    expect_error_pre("treatments: {botox: {relief: {responder: {mean: 0.4}}}}\n", NAME ":1:49: ",
                     "`treatments.botox.relief.responder.mean` must be in [0.5, 1], got 0.4");
    expect_error_pre("treatments: {botox: {relief: {non_responder: {mean: 0.5}}}}\n", NAME ":1:53: ",
                     "`treatments.botox.relief.non_responder.mean` must be in [0, 0.5), got 0.5");
    expect_error_pre("treatments: {botox: {relief: {responder: {sd: 0.3}}}}\n", NAME ":1:47: ",
                     "no Beta distribution on [0.5, 1] has mean 0.7 and sd 0.3");
    expect_error_pre("treatments: {botox: {relief: {responder: {mean: 1, sd: 0.1}}}}\n", NAME ":1:56: ",
                     "no Beta distribution on [0.5, 1] has mean 1");
    expect_error_pre("treatments: {botox: {relief: {responder: {sd: -0.1}}}}\n", NAME ":1:47: ", "must be >= 0");
    /* sd 0 is a point mass: fine at the ends of the interval too */
    char *text = concat("treatments: {botox: {relief: {responder: {mean: 1, sd: 0}, non_responder: {mean: 0, sd: 0}}}}\n", BASE);
    psim_scenario *s = load_ok(text);
    cr_assert_eq(treatment_of(s, "botox")->relief_responder.mean, 1.0);
    psim_scenario_destroy(s);
    free(text);
}

Test(scenario_errors, schedules)
{
    const char *pre = "strategies:\n  - name: a\n    treatment: botox\n";
    struct {
        const char *sched, *where, *phrase;
    } cases[] = {
        {"    schedule: {days: [0, 120, 100]}\n", NAME ":4:31: ",
         "days must be strictly increasing, got 100 after 120"},
        {"    schedule: {days: [-1, 120]}\n", NAME ":4:23: ", "`strategies.a.schedule.days[0]` must be an integer >= 0, got -1"},
        {"    schedule: {days: [0, 500]}\n", NAME ":4:26: ",
         "day 500 runs past the horizon (horizon_days is 426, so the last day is 425)"},
        {"    schedule: {days: [0, 60]}\n", NAME ":4:26: ",
         "breaks the minimum interval of 84 days of treatment `botox`"},
        {"    schedule: {days: []}\n", NAME ":4:22: ", "expected 1 to 64 session days, got 0"},
        {"    schedule: {every_days: 120, sessions: 5}\n", NAME ":4:43: ",
         "the schedule runs past the horizon: session 5 would be on day 480"},
        {"    schedule: {every_days: 30, sessions: 2}\n", NAME ":4:28: ",
         "every_days 30 breaks the minimum interval of 84 days of treatment `botox`"},
        {"    schedule: {every_days: 1, sessions: 65}\n", NAME ":4:41: ", "must be an integer in [1, 64], got 65"},
        {"    schedule: {days: [0], every_days: 90}\n", NAME ":4:27: ",
         "give only one of `days`, `every_days` and `on_relapse`, not both `days` and `every_days`"},
        {"    schedule: {assess_after_days: 21}\n", NAME ":4:15: ",
         "expected `days: [...]`, `every_days` with `sessions`, or `on_relapse: {...}`, got none of them"},
        {"    schedule: {every_days: 90}\n", NAME ":4:16: ", "`every_days` needs `sessions`"},
        {"    schedule: {days: [0], sessions: 1}\n", NAME ":4:27: ", "`sessions` goes with `every_days`"},
        {"    schedule:\n      every_days: 90\n      sessions: 2\n      on_relapse: {threshold: 0.5}\n", NAME ":7:7: ",
         "give only one of `days`, `every_days` and `on_relapse`, not both `every_days` and `on_relapse`"},
        {"    schedule: [0, 90]\n", NAME ":4:15: ", "`strategies.a.schedule`: expected a mapping, got a sequence"},
        {"", NAME ":2:5: ", "`strategies.a`: treatment `botox` needs a `schedule`"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = concat(pre, cases[i].sched);
        expect_error(text, cases[i].where, cases[i].phrase);
        free(text);
    }
    /* every_days within the limit when there is only one session */
    psim_scenario *s = load_ok("strategies: [{name: a, treatment: botox, schedule: {every_days: 1, sessions: 1, start_day: 425}}]\n");
    psim_scenario_destroy(s);
    /* the horizon is read before the schedule */
    expect_error("horizon_days: 100\nstrategies: [{name: a, treatment: botox, schedule: {days: [0, 100]}}]\n",
                 NAME ":2:63: ", "day 100 runs past the horizon");
    /* the fallback's minimum interval counts too */
    expect_error("treatments: {slow_physio: {base: physio, min_interval_days: 60}}\n"
                 "strategies: [{name: a, treatment: placebo, fallback: slow_physio, schedule: {days: [0, 30]}}]\n",
                 NAME ":2:88: ", "minimum interval of 60 days of treatment `slow_physio`");
}

Test(scenario_errors, strategies_treatments_and_reference)
{
    expect_error("seed: 1\n", NAME ":1:1: ", "missing required key `strategies`");
    expect_error("strategies: []\n", NAME ":1:13: ", "expected 1 to 32 strategies, got 0");
    expect_error("strategies:\n  - {treatment: none}\n", NAME ":2:5: ", "a strategy needs a `name`");
    expect_error("strategies:\n  - {name: a}\n", NAME ":2:5: ", "`strategies.a`: a strategy needs a `treatment`");
    expect_error("strategies:\n  - name: a\n    treatment: none\n  - name: b\n    treatment: none\n  - name: a\n    treatment: none\n",
                 NAME ":6:11: ", "strategy name `a` is used twice (first at line 2)");
    expect_error("strategies:\n  - {name: a, treatment: botx, schedule: {days: [0]}}\n", NAME ":2:26: ",
                 "`strategies.a.treatment`: unknown treatment `botx`; did you mean `botox`?");
    expect_error("strategies:\n  - {name: a, treatment: zzz}\n", NAME ":2:26: ",
                 "unknown treatment `zzz` (known: botox, placebo, none,");
    expect_error("treatments: {my_botox: {base: botox}}\nstrategies:\n  - {name: a, treatment: my_botx}\n",
                 NAME ":3:26: ", "did you mean `my_botox`?");
    expect_error("treatments: {bx: {base: botx}}\nstrategies: [{name: a, treatment: none}]\n", NAME ":1:25: ",
                 "`treatments.bx.base`: `botx` is not a built-in treatment; did you mean `botox`?");
    expect_error("treatments: {a2: {base: a1}, a1: {base: botox}}\nstrategies: [{name: a, treatment: none}]\n",
                 NAME ":1:25: ", "`a1` is not a built-in treatment (built-ins: botox, placebo, none");
    expect_error("treatments: {botox_rct: {p_first: 0.75}}\nstrategies: [{name: a, treatment: none}]\n",
                 NAME ":1:14: ", "treatment `botox_rct` is not a built-in, so it needs `base: <built-in>`");
    expect_error("treatments: {botox: {base: placebo}}\nstrategies: [{name: a, treatment: none}]\n",
                 NAME ":1:28: ", "`botox` is a built-in treatment, so its base is `botox`, not `placebo`");
    expect_error("strategies:\n  - {name: a, treatment: botox, fallback: placebo, schedule: {days: [0]}}\n",
                 NAME ":2:43: ", "the fallback `placebo` is an injection treatment");
    expect_error("treatments: {tpi: {base: physio, injection: true}}\n"
                 "strategies:\n  - {name: a, treatment: botox, fallback: tpi, schedule: {days: [0]}}\n",
                 NAME ":3:43: ", "the fallback `tpi` is an injection treatment");
    expect_error("strategies:\n  - {name: a, treatment: none, schedule: {days: [0]}}\n", NAME ":2:32: ",
                 "treatment `none` (base `none`) gives no sessions, so the strategy takes no schedule");
    expect_error_pre("reference: botox_q4n\n", NAME ":1:12: ",
                     "`reference`: no strategy is named `botox_q4n`; did you mean `botox_q4m`?");
    expect_error_pre("reference: xyz\n", NAME ":1:12: ",
                     "no strategy is named `xyz` (strategies: botox_q4m, standard_care)");
    expect_error("treatments: {botox: {adverse_events: {rash: {p: 0.1}}}}\nstrategies: [{name: a, treatment: none}]\n",
                 NAME ":1:39: ", "a new adverse event (not one of base `botox`) needs both `p` and `days`");
    expect_error("treatments: {botox: {adverse_events: {local: {days: 0}}}}\nstrategies: [{name: a, treatment: none}]\n",
                 NAME ":1:53: ", "`treatments.botox.adverse_events.local.days` must be an integer in [1, 36525], got 0");
    expect_error("treatments: {botox: {adverse_events: {a: {p: 0, days: 1}, b: {p: 0, days: 1}, c: {p: 0, days: 1},"
                 " d: {p: 0, days: 1}, e: {p: 0, days: 1}, f: {p: 0, days: 1}, g: {p: 0, days: 1}}}}\n"
                 "strategies: [{name: a, treatment: none}]\n",
                 NAME ":1:", "would have more than 8 adverse-event types");
}

Test(scenario_errors, too_many_strategies)
{
    char text[8192];
    size_t o = (size_t)sprintf(text, "strategies:\n");
    for (int i = 0; i < PSIM_MAX_STRATEGIES + 1; i++)
        o += (size_t)sprintf(text + o, "  - {name: s%d, treatment: none}\n", i);
    expect_error(text, NAME ":2:3: ", "expected 1 to 32 strategies, got 33");
}

Test(scenario_errors, description_limits)
{
    expect_error_pre("description: \"a\\0b\"\n", NAME ":1:14: ", "must not contain NUL characters");
    char text[PSIM_TEXT_MAX + 200];
    size_t o = (size_t)sprintf(text, "description: ");
    memset(text + o, 'x', PSIM_TEXT_MAX);
    o += PSIM_TEXT_MAX;
    o += (size_t)sprintf(text + o, "\n");
    expect_error_pre(text, NAME ":1:14: ", "the string is 1024 bytes long, more than the limit of 1023");
}

/* ------------------------------------------------------------ overrides */

Test(scenario_set, scalar_override)
{
    const char *set[] = {"patients=500", "cohort.noise.phi=0.5", "description='quoted # text'"};
    psim_scenario *s = load_ok_set(BASE, set, 3);
    cr_assert_eq(s->patients, 500);
    cr_assert_eq(s->cohort.noise_phi, 0.5);
    cr_assert_eq(s->cohort.noise_sd, 0.8);
    cr_assert_str_eq(s->description, "quoted # text");
    /* the source text is the file, without the overrides */
    cr_assert_str_eq(s->source_text, BASE);
    cr_assert_str_eq(s->source_path, NAME);
    psim_scenario_destroy(s);
}

Test(scenario_set, by_strategy_name_and_index)
{
    const char *set[] = {"strategies.botox_q4m.schedule.every_days=90", "strategies.1.name=sc",
                         "reference=sc"};
    psim_scenario *s = load_ok_set(BASE, set, 3);
    cr_assert_eq(s->strategies[0].schedule.every_days, 90);
    cr_assert_str_eq(s->strategies[1].name, "sc");
    cr_assert_eq(s->reference_index, 1);
    psim_scenario_destroy(s);
}

Test(scenario_set, creates_missing_keys)
{
    const char *set[] = {"treatments.botox.p_first=0.8", "treatments.botox_rct.base=botox",
                         "output.compression=4", "strategies.standard_care.fallback=physio"};
    psim_scenario *s = load_ok_set(BASE, set, 4);
    cr_assert_eq(treatment_of(s, "botox")->p_first, 0.8);
    cr_assert_eq(s->output.compression, 4);
    cr_assert_str_eq(s->strategies[1].fallback, "physio");
    psim_scenario_destroy(s);
    /* a key with no value becomes a mapping */
    char *text = concat("treatments:\n", BASE);
    const char *set2[] = {"treatments.placebo.p_first=0.3"};
    s = load_ok_set(text, set2, 1);
    psim_scenario_destroy(s);
    free(text);
}

Test(scenario_set, yaml_values)
{
    const char *base = "strategies:\n  - {name: a, treatment: botox, schedule: {days: [0]}}\n";
    const char *set[] = {"strategies.0.schedule.days=[0,90, 180]",
                         "strategies.a.schedule.assess_after_days=28",
                         "cohort.baseline_vas={mean: 6, sd: 1}"};
    psim_scenario *s = load_ok_set(base, set, 3);
    cr_assert_eq(s->strategies[0].schedule.n_days, 3);
    cr_assert_eq(s->strategies[0].schedule.days[2], 180);
    cr_assert_eq(s->strategies[0].schedule.assess_after_days, 28);
    cr_assert_eq(s->cohort.baseline_vas.mean, 6);
    cr_assert_eq(s->cohort.baseline_vas.max, 10);
    psim_scenario_destroy(s);
    /* whole sub-trees can be replaced */
    const char *set2[] = {"strategies.a.schedule={every_days: 100, sessions: 3}"};
    s = load_ok_set(base, set2, 1);
    cr_assert_eq(s->strategies[0].schedule.kind, PSIM_SCHEDULE_EVERY);
    psim_scenario_destroy(s);
    /* names may contain dots */
    const char *base3 = "strategies:\n  - {name: a.b, treatment: botox, schedule: {days: [0]}}\n";
    const char *set3[] = {"strategies.a.b.schedule.days=[5]"};
    s = load_ok_set(base3, set3, 1);
    cr_assert_eq(s->strategies[0].schedule.days[0], 5);
    psim_scenario_destroy(s);
}

Test(scenario_set, bad_values_have_the_set_location)
{
    expect_set_error("cohort.myofascial=1.5", "--set cohort.myofascial=1.5:1:19: ",
                     "`cohort.myofascial` must be in [0, 1], got 1.5");
    expect_set_error("patients=\"5\"", "--set patients=\"5\":1:10: ",
                     "expected an integer, got the quoted string \"5\"");
    expect_set_error("patients=0.01xyz", "--set patients=0.01xyz:1:10: ", "expected an integer, got `0.01xyz`");
    expect_set_error("cohort.lumbar_levels=[0.2, x, 0.2, 0.2, 0.2]",
                     "--set cohort.lumbar_levels=[0.2, x, 0.2, 0.2, 0.2]:1:28: ",
                     "`cohort.lumbar_levels[1]`: expected a number, got `x`");
    expect_set_error("name=[1", "--set name=[1:1:8: ", "not valid YAML");
    expect_set_error("name=", "--set name=:1:6: ", "`name`: expected a name of 1-63 letters, digits, `_`, `.` or `-`, got an empty value (null)");
    expect_set_error("seed=&a 1", "--set seed=&a 1:1:6: ", "anchors and aliases are not supported");
}

Test(scenario_set, unknown_keys_via_set)
{
    expect_set_error("cohort.nosie.sd=1", "--set cohort.nosie.sd=1:1:8: ",
                     "unknown key `nosie` in `cohort`; did you mean `noise`?");
    expect_set_error("horizon=100", "--set horizon=100:1:1: ", "did you mean `horizon_days`?");
    expect_set_error("strategies.botox_q4m.schedule.evry_days=90",
                     "--set strategies.botox_q4m.schedule.evry_days=90:1:31: ",
                     "did you mean `every_days`?");
}

Test(scenario_set, malformed_arguments)
{
    expect_set_error("patients", "--set patients:1:1: ", "expected `dotted.key=value`, found no `=`");
    expect_set_error("=5", "--set =5:1:1: ", "the key before `=` is empty");
    expect_set_error("cohort..noise=1", "--set cohort..noise=1:1:8: ", "empty path segment");
    expect_set_error("cohort.=1", "--set cohort.=1:1:8: ", "empty path segment");
    expect_set_error("strategies.0.name.x=1", "--set strategies.0.name.x=1:1:19: ",
                     "cannot look up `x` inside `strategies.0.name`: that is a single value");
    expect_set_error("strategies.7.name=x", "--set strategies.7.name=x:1:12: ",
                     "index 7 is out of range: `strategies` has 2 items");
    expect_set_error("strategies.99999999999999999999999.name=x",
                     "--set strategies.99999999999999999999999.name=x:1:12: ", "is out of range");
    expect_set_error("strategies.botox_q4n.name=x", "--set strategies.botox_q4n.name=x:1:12: ",
                     "no item of `strategies` is named `botox_q4n`; did you mean `botox_q4m`?");
    expect_set_error("strategies.zzz.name=x", "--set strategies.zzz.name=x:1:12: ",
                     "no item of `strategies` is named `zzz`");
}

Test(scenario_set, overrides_are_validated_like_the_file)
{
    /* the schedule (in the file) now runs past the horizon (from --set) */
    expect_set_error("horizon_days=300", NAME ":4:43: ", "runs past the horizon");
    expect_set_error("strategies.botox_q4m.schedule.every_days=30", "--set strategies.botox_q4m.schedule.every_days=30:1:42: ",
                     "breaks the minimum interval of 84 days of treatment `botox`");
    const char *set[] = {"strategies.1.name=botox_q4m"};
    expect_error_set(BASE, set, 1, "--set strategies.1.name=botox_q4m:1:19: ",
                     "strategy name `botox_q4m` is used twice (first at " NAME ":2:11)");
}

Test(scenario_set, usage_errors)
{
    psim_scenario *s = NULL;
    psim_error err;
    const char *set[PSIM_MAX_SET + 1];
    for (int i = 0; i <= PSIM_MAX_SET; i++)
        set[i] = "patients=5";
    cr_assert_eq(psim_scenario_load_text(BASE, strlen(BASE), NAME, set, PSIM_MAX_SET + 1, &s, &err),
                 PSIM_ERR_USAGE);
    cr_assert_null(s);
    s = load_ok_set(BASE, set, PSIM_MAX_SET);
    psim_scenario_destroy(s);
    const char *nullset[] = {NULL};
    cr_assert_eq(psim_scenario_load_text(BASE, strlen(BASE), NAME, nullset, 1, &s, &err), PSIM_ERR_USAGE);
    cr_assert_eq(psim_scenario_load_text(BASE, strlen(BASE), NAME, NULL, 0, NULL, &err), PSIM_ERR_USAGE);
    psim_scenario_destroy(NULL);
}

/* ------------------------------------------- prices, costs and economics */

/* `x` as the only entry under `treatments:` (its first character is column 14). */
#define TREAT(x) "treatments: {" x "}\nstrategies: [{name: a, treatment: none}]\n"

Test(scenario_defaults, prices_costs_and_economics_from_treatments_c)
{
    psim_scenario *s = load_ok(BASE);
    psim_economics e;
    psim_economics_default(&e);
    same_economics(&s->economics, &e);
    cr_assert_str_eq(s->economics.currency, "RUB");
    cr_assert_eq(s->economics.discount_costs, 0.035);
    cr_assert_eq(s->economics.discount_qalys, 0.035);
    cr_assert_eq(s->economics.utility_u0, 0.80);
    cr_assert_eq(s->economics.utility_slope, -0.041);
    cr_assert_eq(s->economics.utility_min, -0.594);
    cr_assert_eq(s->economics.utility_max, 1.0);
    cr_assert_eq(s->economics.n_wtp, 8);
    cr_assert_eq(s->economics.wtp[0], 0);
    cr_assert_eq(s->economics.wtp[1], 250000);
    cr_assert_eq(s->economics.wtp[7], 3000000);

    const psim_treatment *b = treatment_of(s, "botox");
    psim_treatment ref;
    cr_assert(psim_treatment_builtin("botox", &ref));
    same_treatment(b, &ref);
    cr_assert_eq(b->price.model, PSIM_PRICE_PACKAGES);
    cr_assert_eq(b->price.per_unit, 380);
    cr_assert_eq(b->price.n_packages, 3);
    cr_assert_eq(b->price.package_units[0], 50);
    cr_assert_eq(b->price.package_price[0], 14900);
    cr_assert_eq(b->price.package_units[2], 150);
    cr_assert_eq(b->price.package_price[2], 29900);
    cr_assert_eq(b->price.vial_units, 100);
    cr_assert_eq(b->price.vial_price, 54000);
    cr_assert_eq(b->session_cost, 3000);
    cr_assert_eq(b->ae[0].utility_decrement, 0.10);
    cr_assert_eq(b->ae[0].cost, 1000);
    cr_assert_eq(b->ae[1].utility_decrement, 0.02);
    cr_assert_eq(b->ae[1].cost, 0);
    const psim_treatment *none = treatment_of(s, "none");
    cr_assert_eq(none->price.model, PSIM_PRICE_NONE);
    cr_assert_eq(none->session_cost, 0);

    for (int i = 0; i < 2; i++) {
        const psim_schedule *sc = &s->strategies[i].schedule;
        cr_assert_eq(sc->continue_if, PSIM_CONTINUE_ALWAYS);
        cr_assert_eq(sc->relapse_threshold, 0.5);
        cr_assert_eq(sc->relapse_max_sessions, 4);
    }
    psim_scenario_destroy(s);
}

Test(scenario_defaults, every_builtin_treatment_is_valid)
{
    psim_scenario *s = load_ok("strategies:\n"
                               "  - {name: a, treatment: botox, schedule: {days: [0]}}\n"
                               "  - {name: b, treatment: placebo, schedule: {days: [0]}}\n"
                               "  - {name: c, treatment: steroid_bupivacaine, schedule: {days: [0]}}\n"
                               "  - {name: d, treatment: lidocaine_tpi, schedule: {days: [0]}}\n"
                               "  - {name: e, treatment: physio, schedule: {days: [0]}}\n"
                               "  - {name: f, treatment: none}\n");
    cr_assert_eq(s->n_treatments, 6);
    for (int i = 0; i < s->n_treatments; i++) {
        psim_treatment ref;
        cr_assert(psim_treatment_builtin(s->treatments[i].name, &ref));
        same_treatment(&s->treatments[i], &ref);
    }
    cr_assert_eq(treatment_of(s, "placebo")->session_cost, 3000);
    cr_assert_eq(treatment_of(s, "steroid_bupivacaine")->session_cost, 4000);
    cr_assert_eq(treatment_of(s, "lidocaine_tpi")->session_cost, 2500);
    cr_assert_eq(treatment_of(s, "lidocaine_tpi")->ae[2].cost, 150000);
    cr_assert_eq(treatment_of(s, "physio")->session_cost, 25000);
    check_round_trip(s);
    psim_scenario_destroy(s);
}

Test(scenario_price, models_merge_and_replace)
{
    psim_scenario *s = load_ok(
        "treatments:\n"
        "  botox: {price: {per_unit: 400}}\n"
        "  b_unit: {base: botox, price: {model: per_unit}}\n"
        "  b_pack: {base: botox, price: {packages: [{units: 200, price: 35000}]}}\n"
        "  b_vial: {base: botox, price: {model: vials, vial_units: 50, vial_price: 9000}}\n"
        "  b_free: {base: botox, price: {model: none}, session_cost: 0}\n"
        "  b_nopack: {base: botox, price: {packages: []}}\n"
        "  p_cost: {base: placebo, session_cost: 1500.5}\n"
        "  p_dose: {base: placebo, dose: {units_per_level: 10}, price: {model: per_unit, per_unit: 0}}\n"
        "  p_vial: {base: placebo, dose: {units_per_level: 10}, price: {model: vials, vial_units: 100, vial_price: 0}}\n"
        "strategies:\n"
        "  - {name: s0, treatment: botox, schedule: {days: [0]}}\n"
        "  - {name: s1, treatment: b_unit, schedule: {days: [0]}}\n"
        "  - {name: s2, treatment: b_pack, schedule: {days: [0]}}\n"
        "  - {name: s3, treatment: b_vial, schedule: {days: [0]}}\n"
        "  - {name: s4, treatment: b_free, schedule: {days: [0]}}\n"
        "  - {name: s5, treatment: b_nopack, schedule: {days: [0]}}\n"
        "  - {name: s6, treatment: p_cost, schedule: {days: [0]}}\n"
        "  - {name: s7, treatment: p_dose, schedule: {days: [0]}}\n"
        "  - {name: s8, treatment: p_vial, schedule: {days: [0]}}\n");
    const psim_treatment *t = treatment_of(s, "botox");
    cr_assert_eq(t->price.model, PSIM_PRICE_PACKAGES); /* kept */
    cr_assert_eq(t->price.per_unit, 400);
    cr_assert_eq(t->price.n_packages, 3);
    t = treatment_of(s, "b_unit");
    cr_assert_eq(t->price.model, PSIM_PRICE_PER_UNIT);
    cr_assert_eq(t->price.per_unit, 380); /* from the built-in, not the override */
    t = treatment_of(s, "b_pack");
    cr_assert_eq(t->price.model, PSIM_PRICE_PACKAGES);
    cr_assert_eq(t->price.n_packages, 1); /* the list replaces the base's */
    cr_assert_eq(t->price.package_units[0], 200);
    cr_assert_eq(t->price.package_price[0], 35000);
    cr_assert_eq(t->price.per_unit, 380);
    t = treatment_of(s, "b_vial");
    cr_assert_eq(t->price.model, PSIM_PRICE_VIALS);
    cr_assert_eq(t->price.vial_units, 50);
    cr_assert_eq(t->price.vial_price, 9000);
    t = treatment_of(s, "b_free");
    cr_assert_eq(t->price.model, PSIM_PRICE_NONE);
    cr_assert_eq(t->session_cost, 0);
    cr_assert_eq(treatment_of(s, "b_nopack")->price.n_packages, 0);
    t = treatment_of(s, "p_cost");
    cr_assert_eq(t->session_cost, 1500.5);
    cr_assert_eq(t->price.model, PSIM_PRICE_NONE);
    cr_assert_eq(t->price.vial_units, 0);
    t = treatment_of(s, "p_dose"); /* a per_unit price given as 0 counts as given */
    cr_assert_eq(t->price.model, PSIM_PRICE_PER_UNIT);
    cr_assert_eq(t->price.per_unit, 0);
    cr_assert_eq(treatment_of(s, "p_vial")->price.vial_price, 0);
    check_round_trip(s);
    char *y = to_yaml(s);
    cr_assert(strstr(y, "    price:\n      model: packages\n      per_unit: 400\n      packages:\n"
                        "        - {units: 50, price: 14900}\n        - {units: 100, price: 19900}\n"
                        "        - {units: 150, price: 29900}\n      vial_units: 100\n      vial_price: 54000\n"
                        "      # price model packages: the cheapest cover of each dose by the packages") != NULL,
              "%s", y);
    cr_assert(strstr(y, "      packages: []\n") != NULL, "%s", y);
    cr_assert(strstr(y, "      model: vials\n") != NULL, "%s", y);
    cr_assert(strstr(y, "      model: per_unit\n") != NULL, "%s", y);
    cr_assert(strstr(y, "      model: none\n") != NULL, "%s", y);
    free(y);
    psim_scenario_destroy(s);
}

Test(scenario_price, errors)
{
    static const struct {
        const char *text, *where, *phrase;
    } cases[] = {
        {TREAT("botox: {price: 5}"), NAME ":1:29: ", "`treatments.botox.price`: expected a mapping, got `5`"},
        {TREAT("botox: {price: {modle: vials}}"), NAME ":1:30: ",
         "unknown key `modle` in `treatments.botox.price`; did you mean `model`?"},
        {TREAT("botox: {price: {model: vials2}}"), NAME ":1:37: ",
         "`treatments.botox.price.model`: expected one of none, per_unit, packages, vials, got `vials2`; "
         "did you mean `vials`?"},
        {TREAT("botox: {price: {model: [vials]}}"), NAME ":1:37: ",
         "`treatments.botox.price.model`: expected one of none, per_unit, packages, vials, got a sequence"},
        {TREAT("botox: {price: {per_unit: -1}}"), NAME ":1:40: ",
         "`treatments.botox.price.per_unit` must be in [0, 1000000000000], got -1"},
        {TREAT("botox: {price: {per_unit: 1.5e12}}"), NAME ":1:40: ",
         "`treatments.botox.price.per_unit` must be in [0, 1000000000000], got 1.5e12"},
        {TREAT("botox: {price: {packages: {units: 5}}}"), NAME ":1:40: ",
         "`treatments.botox.price.packages`: expected a sequence, got a mapping"},
        {TREAT("botox: {price: {packages: [5]}}"), NAME ":1:41: ",
         "`treatments.botox.price.packages[0]`: expected a mapping, got `5`"},
        {TREAT("botox: {price: {packages: [{units: 5}]}}"), NAME ":1:41: ",
         "`treatments.botox.price.packages[0]`: a package needs both `units` and `price`"},
        {TREAT("botox: {price: {packages: [{price: 5}]}}"), NAME ":1:41: ", "a package needs both `units` and `price`"},
        {TREAT("botox: {price: {packages: [{units: 5, cost: 1}]}}"), NAME ":1:52: ",
         "unknown key `cost` in `treatments.botox.price.packages[0]`; valid keys are: units, price"},
        {TREAT("botox: {price: {packages: [{units: 0, price: 1}]}}"), NAME ":1:49: ",
         "`treatments.botox.price.packages[0].units` must be an integer in [1, 1000000], got 0"},
        {TREAT("botox: {price: {packages: [{units: 2.5, price: 1}]}}"), NAME ":1:49: ",
         "`treatments.botox.price.packages[0].units`: expected an integer, got `2.5`"},
        {TREAT("botox: {price: {packages: [{units: 1000001, price: 1}]}}"), NAME ":1:49: ",
         "must be an integer in [1, 1000000], got 1000001"},
        {TREAT("botox: {price: {packages: [{units: 5, price: -3}]}}"), NAME ":1:59: ",
         "`treatments.botox.price.packages[0].price` must be in [0, 1000000000000], got -3"},
        {TREAT("botox: {price: {packages: [{units: 5, price: 1e13}]}}"), NAME ":1:59: ",
         "must be in [0, 1000000000000], got 1e13"},
        {TREAT("botox: {price: {packages: [{units: 5, price: 1}, {units: 5, price: 2}]}}"), NAME ":1:71: ",
         "`treatments.botox.price.packages`: a package of 5 units is listed twice (packages[0] and packages[1])"},
        {TREAT("botox: {price: {packages: [{units: 1, price: 1}, {units: 2, price: 1}, {units: 3, price: 1}, "
               "{units: 4, price: 1}, {units: 5, price: 1}, {units: 6, price: 1}, {units: 7, price: 1}, "
               "{units: 8, price: 1}, {units: 9, price: 1}]}}"),
         NAME ":1:40: ", "`treatments.botox.price.packages`: expected at most 8 packages, got 9"},
        {TREAT("botox: {price: {vial_units: 0}}"), NAME ":1:42: ",
         "`treatments.botox.price.vial_units` must be an integer in [1, 1000000], got 0"},
        {TREAT("botox: {price: {vial_price: -0.5}}"), NAME ":1:42: ",
         "`treatments.botox.price.vial_price` must be in [0, 1000000000000], got -0.5"},
        {TREAT("botox: {session_cost: -1}"), NAME ":1:36: ",
         "`treatments.botox.session_cost` must be in [0, 1000000000000], got -1"},
        {TREAT("botox: {session_cost: 2e12}"), NAME ":1:36: ", "got 2e12"},
        {TREAT("botox: {session_cost: \"3000\"}"), NAME ":1:36: ",
         "`treatments.botox.session_cost`: expected a number, got the quoted string \"3000\""},
        /* a drug price needs a dose */
        {TREAT("placebo: {price: {model: per_unit, per_unit: 10}}"), NAME ":1:39: ",
         "`treatments.placebo`: price model `per_unit` on a treatment that has no dose "
         "(dose.units_per_level is 0)"},
        {TREAT("botox: {dose: {units_per_level: 0}}"), NAME ":1:46: ",
         "`treatments.botox`: price model `packages` on a treatment that has no dose"},
        {TREAT("b2: {base: botox, dose: {units_per_level: 0}, price: {per_unit: 1}}"), NAME ":1:56: ",
         "`treatments.b2`: price model `packages` on a treatment that has no dose"},
        /* what each model needs */
        {TREAT("x: {base: placebo, dose: {units_per_level: 5}, price: {model: per_unit}}"), NAME ":1:76: ",
         "`treatments.x`: price model `per_unit` needs `price.per_unit` (currency per unit)"},
        {TREAT("x: {base: placebo, dose: {units_per_level: 5}, price: {model: packages}}"), NAME ":1:76: ",
         "`treatments.x`: price model `packages` needs at least one package in `price.packages` or a "
         "`price.per_unit`"},
        {TREAT("x: {base: placebo, dose: {units_per_level: 5}, price: {model: vials, vial_price: 5}}"),
         NAME ":1:76: ", "`treatments.x`: price model `vials` needs `price.vial_units` (units per vial)"},
        {TREAT("x: {base: placebo, dose: {units_per_level: 5}, price: {model: vials, vial_units: 100}}"),
         NAME ":1:76: ", "`treatments.x`: price model `vials` needs `price.vial_price` (currency per vial)"},
        {TREAT("x: {base: botox, price: {model: per_unit, per_unit: 0, packages: []}}"), NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (!cases[i].where) { /* a valid neighbour of the errors above */
            psim_scenario *s = load_ok(cases[i].text);
            psim_scenario_destroy(s);
            continue;
        }
        expect_error(cases[i].text, cases[i].where, cases[i].phrase);
    }
    /* the model's needs are checked after the base: a botox-derived per_unit model inherits 380 */
    psim_scenario *s = load_ok(TREAT("x: {base: botox, price: {model: per_unit, packages: []}}"));
    psim_scenario_destroy(s);
}

Test(scenario_ae, decrements_costs_and_defaults)
{
    psim_scenario *s = load_ok("treatments:\n"
                               "  botox:\n"
                               "    adverse_events:\n"
                               "      flu_like: {cost: 2500}\n"
                               "      local: {utility_decrement: 0.5}\n"
                               "      rash: {p: 0.01, days: 2}\n"
                               "      severe: {p: 0.001, days: 36525, utility_decrement: 2, cost: 1e12}\n"
                               "strategies: [{name: a, treatment: botox, schedule: {days: [0]}}]\n");
    const psim_treatment *b = treatment_of(s, "botox");
    cr_assert_eq(b->n_ae, 4);
    cr_assert_eq(b->ae[0].p, 0.05);               /* kept */
    cr_assert_eq(b->ae[0].utility_decrement, 0.10); /* kept */
    cr_assert_eq(b->ae[0].cost, 2500);
    cr_assert_eq(b->ae[1].utility_decrement, 0.5);
    cr_assert_eq(b->ae[1].cost, 0);
    cr_assert_str_eq(b->ae[2].name, "rash");
    cr_assert_eq(b->ae[2].utility_decrement, 0); /* new kinds: 0 */
    cr_assert_eq(b->ae[2].cost, 0);
    cr_assert_eq(b->ae[3].days, 36525);
    cr_assert_eq(b->ae[3].utility_decrement, 2);
    cr_assert_eq(b->ae[3].cost, 1e12);
    check_round_trip(s);
    psim_scenario_destroy(s);
}

Test(scenario_ae, errors)
{
    static const struct {
        const char *text, *where, *phrase;
    } cases[] = {
        {TREAT("botox: {adverse_events: {local: {utility_decrement: 2.5}}}"), NAME ":1:66: ",
         "`treatments.botox.adverse_events.local.utility_decrement` must be in [0, 2], got 2.5"},
        {TREAT("botox: {adverse_events: {local: {utility_decrement: -0.1}}}"), NAME ":1:66: ",
         "must be in [0, 2], got -0.1"},
        {TREAT("botox: {adverse_events: {local: {cost: -1}}}"), NAME ":1:53: ",
         "`treatments.botox.adverse_events.local.cost` must be in [0, 1000000000000], got -1"},
        {TREAT("botox: {adverse_events: {local: {cost: 1.1e12}}}"), NAME ":1:53: ", "got 1.1e12"},
        {TREAT("botox: {adverse_events: {local: {costs: 5}}}"), NAME ":1:47: ",
         "unknown key `costs` in `treatments.botox.adverse_events.local`; did you mean `cost`?"},
        {TREAT("botox: {adverse_events: {local: {days: 36526}}}"), NAME ":1:53: ",
         "`treatments.botox.adverse_events.local.days` must be an integer in [1, 36525], got 36526"},
        {TREAT("botox: {adverse_events: {rash: {utility_decrement: 0.1, cost: 5}}}"), NAME ":1:39: ",
         "`treatments.botox.adverse_events.rash`: a new adverse event (not one of base `botox`) needs both `p` and `days`"},
        {TREAT("botox: {adverse_events: {session: {p: 0.1, days: 1}}}"), NAME ":1:39: ",
         "`treatments.botox.adverse_events`: `session` is reserved (it is an event-kind label in the output)"},
        {TREAT("botox: {adverse_events: {antibody_positive: {p: 0.1, days: 1}}}"), NAME ":1:39: ",
         "`antibody_positive` is reserved"},
        {TREAT("botox: {adverse_events: {'.': {p: 0.1, days: 1}}}"), NAME ":1:39: ",
         "`treatments.botox.adverse_events`: `.` cannot be an adverse-event name (it names an HDF5 group or dataset"},
        {TREAT("botox: {adverse_events: {'..': {p: 0.1, days: 1}}}"), NAME ":1:39: ",
         "`..` cannot be an adverse-event name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(cases[i].text, cases[i].where, cases[i].phrase);
    /* names that only contain dots elsewhere are fine */
    psim_scenario *s = load_ok(TREAT("botox: {adverse_events: {'...': {p: 0, days: 1}, a.b: {p: 0, days: 1}}}"));
    psim_scenario_destroy(s);
}

Test(scenario_errors, strategy_names_dot_and_dotdot)
{
    expect_error("strategies:\n  - {name: '.', treatment: none}\n", NAME ":2:12: ",
                 "`strategies[0].name`: `.` cannot be a strategy name (it names an HDF5 group or dataset in "
                 "the output, where `.` and `..` are not usable)");
    expect_error("strategies:\n  - {name: a, treatment: none}\n  - {name: .., treatment: none}\n", NAME ":3:12: ",
                 "`strategies[1].name`: `..` cannot be a strategy name");
    const char *set[] = {"strategies.standard_care.name=.."};
    expect_error_set(BASE, set, 1, "--set strategies.standard_care.name=..:1:31: ",
                     "`..` cannot be a strategy name");
    psim_scenario *s = load_ok("strategies:\n  - {name: ..., treatment: none}\n  - {name: .a, treatment: none}\n");
    psim_scenario_destroy(s);
}

/* ------------------------------------------ continue_if and on_relapse */

Test(scenario_schedule, continue_if_and_on_relapse)
{
    psim_scenario *s = load_ok(
        "strategies:\n"
        "  - {name: a, treatment: botox, schedule: {days: [0, 84, 168], continue_if: responded_previous}}\n"
        "  - {name: b, treatment: botox, schedule: {every_days: 84, sessions: 3, continue_if: responded_first,"
        " assess_after_days: 83}}\n"
        "  - {name: c, treatment: botox, schedule: {on_relapse: {}}}\n"
        "  - {name: d, treatment: botox, schedule: {on_relapse: {threshold: 0.75, max_sessions: 64}, start_day: 30,"
        " continue_if: responded_first, assess_after_days: 200}}\n"
        "  - {name: e, treatment: placebo, schedule: {on_relapse: {threshold: 2}}}\n"
        "  - {name: f, treatment: botox, schedule: {days: [0], continue_if: always, assess_after_days: 36525}}\n");
    const psim_schedule *sc = &s->strategies[0].schedule;
    cr_assert_eq(sc->kind, PSIM_SCHEDULE_DAYS);
    cr_assert_eq(sc->continue_if, PSIM_CONTINUE_RESPONDED_PREVIOUS);
    sc = &s->strategies[1].schedule;
    cr_assert_eq(sc->kind, PSIM_SCHEDULE_EVERY);
    cr_assert_eq(sc->continue_if, PSIM_CONTINUE_RESPONDED_FIRST);
    cr_assert_eq(sc->assess_after_days, 83);
    sc = &s->strategies[2].schedule;
    cr_assert_eq(sc->kind, PSIM_SCHEDULE_RELAPSE);
    cr_assert_eq(sc->relapse_threshold, 0.5);
    cr_assert_eq(sc->relapse_max_sessions, 4);
    cr_assert_eq(sc->relapse_review_days, 0, "v1.1: any day by default");
    cr_assert_eq(sc->start_day, 0);
    cr_assert_eq(sc->continue_if, PSIM_CONTINUE_ALWAYS);
    cr_assert_eq(sc->assess_after_days, 21);
    sc = &s->strategies[3].schedule;
    cr_assert_eq(sc->kind, PSIM_SCHEDULE_RELAPSE);
    cr_assert_eq(sc->relapse_threshold, 0.75);
    cr_assert_eq(sc->relapse_max_sessions, 64);
    cr_assert_eq(sc->start_day, 30);
    cr_assert_eq(sc->continue_if, PSIM_CONTINUE_RESPONDED_FIRST);
    cr_assert_eq(sc->assess_after_days, 200); /* no planned gaps to check */
    int days[PSIM_MAX_SESSIONS];
    cr_assert_eq(psim_schedule_planned_days(sc, days, PSIM_MAX_SESSIONS), 1);
    cr_assert_eq(days[0], 30);
    /* on_relapse with a treatment without a minimum interval is allowed */
    cr_assert_eq(s->strategies[4].schedule.kind, PSIM_SCHEDULE_RELAPSE);
    cr_assert_eq(s->strategies[4].schedule.relapse_threshold, 2);
    cr_assert_eq(s->strategies[5].schedule.assess_after_days, 36525);
    check_round_trip(s);
    char *y = to_yaml(s);
    cr_assert(strstr(y, "    schedule:\n      days: [0, 84, 168]\n      continue_if: responded_previous\n"
                        "      assess_after_days: 21\n") != NULL, "%s", y);
    cr_assert(strstr(y, "    schedule:\n      every_days: 84\n      sessions: 3\n      start_day: 0\n"
                        "      continue_if: responded_first\n      assess_after_days: 83\n") != NULL, "%s", y);
    cr_assert(strstr(y, "    schedule:\n      on_relapse:\n        threshold: 0.5\n        max_sessions: 4\n"
                        "        review_every_days: 0\n      start_day: 0\n      continue_if: always\n      assess_after_days: 21\n") != NULL,
              "%s", y);
    free(y);
    psim_scenario_destroy(s);
}

Test(scenario_schedule, review_days_and_duration_shift)
{
    psim_scenario *s = load_ok(
        "treatments: {plateau: {base: botox, duration: {median_days: 40, sigma: 0.9, shift_days: 30}}}\n"
        "strategies:\n"
        "  - {name: r, treatment: plateau, schedule: {on_relapse: {review_every_days: 120, max_sessions: 4}}}\n"
        "  - {name: one, treatment: botox, schedule: {on_relapse: {review_every_days: 10, max_sessions: 1}}}\n");
    const psim_treatment *t = treatment_of(s, "plateau");
    cr_assert_eq(t->duration_shift_days, 30);
    cr_assert_eq(t->duration_median_days, 40);
    cr_assert_eq(s->strategies[0].schedule.relapse_review_days, 120);
    /* one session only: no later session, so no interval to break */
    cr_assert_eq(s->strategies[1].schedule.relapse_review_days, 10);
    check_round_trip(s);
    char *y = to_yaml(s);
    cr_assert(strstr(y, "      median_days: 40\n      sigma: 0.9\n      shift_days: 30\n") != NULL, "%s", y);
    cr_assert(strstr(y, "        review_every_days: 120\n") != NULL, "%s", y);
    free(y);
    psim_scenario_destroy(s);
}

Test(scenario_schedule, errors)
{
    const char *pre = "strategies:\n  - name: a\n    treatment: botox\n";
    const char *pre_placebo = "strategies:\n  - name: a\n    treatment: placebo\n";
    struct {
        const char *pre, *sched, *where, *phrase;
    } cases[] = {
        {pre, "    schedule: {every_days: 84, sessions: 3, continue_if: responded_first, assess_after_days: 84}\n",
         NAME ":4:58: ",
         "`strategies.a.schedule.continue_if`: continue_if needs the assessment (day +84) before the next "
         "session (day +84): session 2 on day 84 comes 84 days after session 1 on day 0"},
        {pre_placebo, "    schedule: {days: [0, 100, 110], continue_if: responded_previous}\n", NAME ":4:50: ",
         "continue_if needs the assessment (day +21) before the next session (day +10): session 3 on day 110"},
        {pre_placebo, "    schedule: {days: [0, 21], continue_if: responded_first}\n", NAME ":4:44: ",
         "continue_if needs the assessment (day +21) before the next session (day +21)"},
        {pre, "    schedule: {days: [0], continue_if: responded}\n", NAME ":4:40: ",
         "`strategies.a.schedule.continue_if`: expected one of always, responded_first, responded_previous, "
         "got `responded`"},
        {pre, "    schedule: {days: [0], continue_if: true}\n", NAME ":4:40: ", "expected one of always"},
        {pre, "    schedule: {days: [0], on_relapse: {}}\n", NAME ":4:27: ",
         "`strategies.a.schedule`: give only one of `days`, `every_days` and `on_relapse`, not both `days` and "
         "`on_relapse`"},
        {pre, "    schedule: {on_relapse: {}, every_days: 90, sessions: 2}\n", NAME ":4:32: ",
         "not both `on_relapse` and `every_days`"},
        {pre, "    schedule: {on_relapse: {threshold: 0}}\n", NAME ":4:40: ",
         "`strategies.a.schedule.on_relapse.threshold` must be in (0, 2], got 0"},
        {pre, "    schedule: {on_relapse: {threshold: 2.5}}\n", NAME ":4:40: ", "must be in (0, 2], got 2.5"},
        {pre, "    schedule: {on_relapse: {max_sessions: 0}}\n", NAME ":4:43: ",
         "`strategies.a.schedule.on_relapse.max_sessions` must be an integer in [1, 64], got 0"},
        {pre, "    schedule: {on_relapse: {max_sessions: 65}}\n", NAME ":4:43: ", "got 65"},
        {pre, "    schedule: {on_relapse: {review_every_days: -1}}\n", NAME ":4:48: ",
         "`strategies.a.schedule.on_relapse.review_every_days` must be an integer in [0, 36525], got -1"},
        {pre, "    schedule: {on_relapse: {review_every_days: 83}}\n", NAME ":4:48: ",
         "`strategies.a.schedule.on_relapse.review_every_days`: review_every_days 83 breaks the minimum "
         "interval of 84 days of treatment `botox`"},
        {pre, "    schedule: {on_relapse: {review_every_days: 1.5}}\n", NAME ":4:48: ", "review_every_days`: expected an integer, got `1.5`"},
        {pre, "    schedule: {on_relapse: 0.5}\n", NAME ":4:28: ",
         "`strategies.a.schedule.on_relapse`: expected a mapping, got `0.5`"},
        {pre, "    schedule: {on_relapse: {treshold: 0.5}}\n", NAME ":4:29: ",
         "unknown key `treshold` in `strategies.a.schedule.on_relapse`; did you mean `threshold`?"},
        {pre, "    schedule: {on_relapse: {}, sessions: 3}\n", NAME ":4:32: ",
         "`strategies.a.schedule`: `sessions` goes with `every_days`; with `on_relapse` give "
         "`on_relapse.max_sessions`"},
        {pre, "    schedule: {on_relapse: {}, start_day: 426}\n", NAME ":4:43: ",
         "`strategies.a.schedule.start_day`: day 426 runs past the horizon (horizon_days is 426, so the last day is 425)"},
        {pre, "    schedule: {on_relapse: {}, start_day: -1}\n", NAME ":4:43: ",
         "`strategies.a.schedule.start_day` must be an integer >= 0, got -1"},
        {pre, "    schedule: {days: [0], assess_after_days: 36526}\n", NAME ":4:46: ",
         "`strategies.a.schedule.assess_after_days` must be an integer in [1, 36525], got 36526"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = concat(cases[i].pre, cases[i].sched);
        expect_error(text, cases[i].where, cases[i].phrase);
        free(text);
    }
    /* the rule is checked against the assessment given by --set too */
    const char *set[] = {"strategies.0.schedule.assess_after_days=120"};
    expect_error_set("strategies:\n  - {name: a, treatment: botox, schedule: {every_days: 120, sessions: 2, "
                     "continue_if: responded_first}}\n",
                     set, 1, NAME ":2:87: ", "continue_if needs the assessment (day +120) before the next session (day +120)");
    /* one session has no gap to check */
    psim_scenario *s = load_ok("strategies: [{name: a, treatment: botox, schedule: {days: [5], continue_if: "
                               "responded_first, assess_after_days: 400}}]\n");
    psim_scenario_destroy(s);
}

/* -------------------------------------------------------------- economics */

Test(scenario_economics, values_merge_with_the_defaults)
{
    psim_scenario *s = load_ok_set("economics:\n"
                                   "  currency: EUR\n"
                                   "  discount: {costs: 0.03}\n"
                                   "  utility: {u0: 0.9, min: -1}\n"
                                   "  wtp: [20000]\n"
                                   "strategies: [{name: sc, treatment: none}]\n",
                                   NULL, 0);
    const psim_economics *e = &s->economics;
    cr_assert_str_eq(e->currency, "EUR");
    cr_assert_eq(e->discount_costs, 0.03);
    cr_assert_eq(e->discount_qalys, 0.035);
    cr_assert_eq(e->utility_u0, 0.9);
    cr_assert_eq(e->utility_slope, -0.041);
    cr_assert_eq(e->utility_min, -1);
    cr_assert_eq(e->utility_max, 1);
    cr_assert_eq(e->n_wtp, 1);
    cr_assert_eq(e->wtp[0], 20000);
    check_round_trip(s);
    char *y = to_yaml(s);
    cr_assert(strstr(y, "economics:\n  currency: \"EUR\"\n  discount:\n    costs: 0.03\n    qalys: 0.035\n"
                        "  utility:\n    u0: 0.9\n    slope_per_cm: -0.041\n    min: -1\n    max: 1\n"
                        "  wtp: [20000]\n") != NULL, "%s", y);
    free(y);
    psim_scenario_destroy(s);

    /* bounds are inclusive; --set reaches every key */
    const char *set[] = {"economics.currency=abcdefghijklmno", "economics.discount={costs: 1, qalys: 0}",
                         "economics.utility.slope_per_cm=-10", "economics.utility.u0=10",
                         "economics.wtp=[0, 1, 1e12]"};
    s = load_ok_set(BASE, set, 5);
    cr_assert_str_eq(s->economics.currency, "abcdefghijklmno");
    cr_assert_eq(s->economics.discount_costs, 1);
    cr_assert_eq(s->economics.discount_qalys, 0);
    cr_assert_eq(s->economics.utility_slope, -10);
    cr_assert_eq(s->economics.n_wtp, 3);
    cr_assert_eq(s->economics.wtp[2], 1e12);
    check_round_trip(s);
    psim_scenario_destroy(s);
}

Test(scenario_economics, errors)
{
    static const struct {
        const char *prefix, *where, *phrase;
    } cases[] = {
        {"economics: 5\n", NAME ":1:12: ", "`economics`: expected a mapping, got `5`"},
        {"economics: {discount_rate: 0.03}\n", NAME ":1:13: ",
         "unknown key `discount_rate` in `economics`; valid keys are: currency, discount, utility, wtp"},
        {"economics: {currency: RUB1}\n", NAME ":1:23: ",
         "`economics.currency`: expected a currency code of 1-15 letters (such as RUB), got `RUB1`"},
        {"economics: {currency: abcdefghijklmnop}\n", NAME ":1:23: ", "expected a currency code of 1-15 letters"},
        {"economics: {currency: ''}\n", NAME ":1:23: ", "expected a currency code"},
        {"economics: {currency: }\n", NAME ":1:23: ", "expected a currency code of 1-15 letters (such as RUB), got an empty value (null)"},
        {"economics: {currency: \"\\u00e9\"}\n", NAME ":1:23: ", "expected a currency code"},
        {"economics: {discount: 0.035}\n", NAME ":1:23: ", "`economics.discount`: expected a mapping, got `0.035`"},
        {"economics: {discount: {costs: 1.5}}\n", NAME ":1:31: ", "`economics.discount.costs` must be in [0, 1], got 1.5"},
        {"economics: {discount: {qalys: -0.01}}\n", NAME ":1:31: ", "`economics.discount.qalys` must be in [0, 1], got -0.01"},
        {"economics: {discount: {cost: 0.1}}\n", NAME ":1:24: ", "did you mean `costs`?"},
        {"economics: {utility: {u0: 11}}\n", NAME ":1:27: ", "`economics.utility.u0` must be in [-10, 10], got 11"},
        {"economics: {utility: {slope_per_cm: .inf}}\n", NAME ":1:37: ",
         "`economics.utility.slope_per_cm`: expected a finite number, got `.inf`"},
        {"economics: {utility: {slope: -0.04}}\n", NAME ":1:23: ", "did you mean `slope_per_cm`?"},
        {"economics: {utility: {min: 1}}\n", NAME ":1:28: ", "`economics.utility`: min (1) must be less than max (1)"},
        {"economics: {utility: {min: 0.5, max: -0.5}}\n", NAME ":1:38: ", "min (0.5) must be less than max (-0.5)"},
        {"economics: {utility: {max: -10.5}}\n", NAME ":1:28: ", "`economics.utility.max` must be in [-10, 10], got -10.5"},
        {"economics: {wtp: []}\n", NAME ":1:18: ", "`economics.wtp`: expected 1 to 32 willingness-to-pay values, got 0"},
        {"economics: {wtp: 100000}\n", NAME ":1:18: ", "`economics.wtp`: expected a sequence, got `100000`"},
        {"economics: {wtp: [0, 100, 100]}\n", NAME ":1:27: ",
         "`economics.wtp[2]`: values must be strictly increasing, got 100 after 100"},
        {"economics: {wtp: [5, 1]}\n", NAME ":1:22: ", "got 1 after 5"},
        {"economics: {wtp: [-1]}\n", NAME ":1:19: ", "`economics.wtp[0]` must be in [0, 1000000000000], got -1"},
        {"economics: {wtp: [2e12]}\n", NAME ":1:19: ", "got 2e12"},
        {"economics: {wtp: [x]}\n", NAME ":1:19: ", "`economics.wtp[0]`: expected a number, got `x`"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error_pre(cases[i].prefix, cases[i].where, cases[i].phrase);
    char text[1024];
    size_t o = (size_t)sprintf(text, "economics: {wtp: [");
    for (int i = 0; i <= PSIM_MAX_WTP; i++)
        o += (size_t)sprintf(text + o, "%s%d", i ? ", " : "", i);
    sprintf(text + o, "]}\n");
    expect_error_pre(text, NAME ":1:18: ", "expected 1 to 32 willingness-to-pay values, got 33");
}

/* ------------------------------------------------------------------ caps */

Test(scenario_caps, upper_bounds)
{
    static const struct {
        const char *prefix, *where, *phrase;
    } cases[] = {
        {"treatments: {botox: {onset_days: 36526}}\n", NAME ":1:34: ",
         "`treatments.botox.onset_days` must be in [0, 36525], got 36526"},
        {"treatments: {botox: {peak_days: 36525.5}}\n", NAME ":1:33: ",
         "`treatments.botox.peak_days` must be in [0, 36525], got 36525.5"},
        {"treatments: {botox: {half_life_days: 1e5}}\n", NAME ":1:38: ",
         "`treatments.botox.half_life_days` must be in (0, 36525], got 1e5"},
        {"treatments: {botox: {duration: {median_days: 36526}}}\n", NAME ":1:46: ",
         "`treatments.botox.duration.median_days` must be in (0, 36525], got 36526"},
        {"treatments: {botox: {duration: {sigma: 5.01}}}\n", NAME ":1:40: ",
         "`treatments.botox.duration.sigma` must be in [0, 5], got 5.01"},
        {"cohort: {aspirin_delay_days: 36526}\n", NAME ":1:30: ",
         "`cohort.aspirin_delay_days` must be an integer in [0, 36525], got 36526"},
        {"cohort: {aspirin_delay_days: 2147483648}\n", NAME ":1:30: ", "must be an integer in [0, 36525]"},
        {"cohort: {noise: {sd: 10.5}}\n", NAME ":1:22: ", "`cohort.noise.sd` must be in [0, 10], got 10.5"},
        {"cohort: {baseline_vas: {sd: 1000.5}}\n", NAME ":1:29: ",
         "`cohort.baseline_vas.sd` must be in [0, 1000], got 1000.5"},
        {"cohort: {pain_duration_months: {sd: 1e300}}\n", NAME ":1:37: ",
         "`cohort.pain_duration_months.sd` must be in [0, 1000], got 1e300"},
        {"cohort: {baseline_vas: {mean: 1e7}}\n", NAME ":1:31: ",
         "`cohort.baseline_vas.mean` must be in [-1000000, 1000000], got 1e7"},
        {"cohort: {pain_duration_months: {mean: -1000001}}\n", NAME ":1:39: ",
         "`cohort.pain_duration_months.mean` must be in [-1000000, 1000000], got -1000001"},
        {"cohort: {baseline_vas: {mean: -.inf}}\n", NAME ":1:31: ", "expected a finite number, got `-.inf`"},
        {"treatments: {botox: {dose: {units_per_level: 1000001}}}\n", NAME ":1:46: ",
         "`treatments.botox.dose.units_per_level` must be an integer in [0, 1000000], got 1000001"},
        {"treatments: {botox: {dose: {max_units_per_session: 1000001}}}\n", NAME ":1:52: ",
         "`treatments.botox.dose.max_units_per_session` must be an integer in [0, 1000000], got 1000001"},
        {"treatments: {botox: {min_interval_days: 36526}}\n", NAME ":1:41: ",
         "`treatments.botox.min_interval_days` must be an integer in [0, 36525], got 36526"},
        {"treatments: {botox: {price: {per_unit: 1000000000001}}}\n", NAME ":1:40: ",
         "must be in [0, 1000000000000], got 1000000000001"},
        {"treatments: {botox: {price: {vial_price: 1e13}}}\n", NAME ":1:42: ",
         "`treatments.botox.price.vial_price` must be in [0, 1000000000000], got 1e13"},
        {"treatments: {botox: {price: {vial_units: 1000001}}}\n", NAME ":1:42: ",
         "`treatments.botox.price.vial_units` must be an integer in [1, 1000000], got 1000001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error_pre(cases[i].prefix, cases[i].where, cases[i].phrase);
}

Test(scenario_caps, bounds_are_inclusive_and_round_trip)
{
    psim_scenario *s = load_ok(
        "horizon_days: 36525\n"
        "block_size: 58794\n"
        "cohort:\n"
        "  baseline_vas: {mean: -1000000, sd: 1000}\n"
        "  pain_duration_months: {mean: 1000000, sd: 1000}\n"
        "  aspirin_delay_days: 36525\n"
        "  noise: {sd: 10}\n"
        "treatments:\n"
        "  botox:\n"
        "    onset_days: 36525\n"
        "    peak_days: 36525\n"
        "    duration: {median_days: 36525, sigma: 5}\n"
        "    half_life_days: 36525\n"
        "    dose: {units_per_level: 1000000, max_units_per_session: 1000000}\n"
        "    min_interval_days: 36525\n"
        "    price: {per_unit: 1e12, packages: [{units: 1000000, price: 1e12}], vial_units: 1000000,"
        " vial_price: 1e12}\n"
        "    session_cost: 1e12\n"
        "strategies:\n"
        "  - {name: a, treatment: botox, schedule: {days: [0], assess_after_days: 36525}}\n");
    const psim_treatment *t = treatment_of(s, "botox");
    cr_assert_eq(t->units_per_level, 1000000);
    cr_assert_eq(t->price.package_price[0], 1e12);
    cr_assert_eq(s->cohort.baseline_vas.mean, -1000000);
    cr_assert_eq(s->block_size, 58794);
    check_round_trip(s);
    psim_scenario_destroy(s);
}

Test(scenario_caps, chunk_of_trajectories_below_4_gib)
{
    /* 1048576 x 2048 = 2^31 values: the largest chunk allowed */
    psim_scenario *s = load_ok("block_size: 1048576\nhorizon_days: 2048\n"
                               "strategies: [{name: a, treatment: none}]\n");
    psim_scenario_destroy(s);
    s = load_ok("block_size: 1048576\nhorizon_days: 4096\noutput: {record_every_days: 2}\n"
                "strategies: [{name: a, treatment: none}]\n");
    psim_scenario_destroy(s);
    expect_error("block_size: 1048576\nhorizon_days: 2049\nstrategies: [{name: a, treatment: none}]\n",
                 NAME ":1:13: ",
                 "`block_size` 1048576 is too large for 2049 recorded days per patient (horizon_days 2049, "
                 "record_every_days 1): a chunk of the trajectories would hold 2148532224 values, more than "
                 "2^31 (HDF5 chunks must stay below 4 GiB); use a block_size of at most 1048064 or a larger "
                 "record_every_days");
    /* ceil(4097 / 2) = 2049 recorded days */
    expect_error("block_size: 1048576\nhorizon_days: 4097\noutput: {record_every_days: 2}\n"
                 "strategies: [{name: a, treatment: none}]\n",
                 NAME ":1:13: ", "too large for 2049 recorded days per patient (horizon_days 4097, record_every_days 2)");
    expect_error_pre("block_size: 1048576\nhorizon_days: 36525\n", NAME ":1:13: ",
                     "use a block_size of at most 58794");
    /* reported at block_size, wherever the other settings came from */
    const char *set[] = {"horizon_days=3000"};
    expect_error_set("block_size: 1000000\nstrategies: [{name: a, treatment: none}]\n", set, 1, NAME ":1:13: ",
                     "`block_size` 1000000 is too large");
    const char *set2[] = {"block_size=1048576", "horizon_days=3000"};
    expect_error_set("strategies: [{name: a, treatment: none}]\n", set2, 2, "--set block_size=1048576:1:12: ",
                     "`block_size` 1048576 is too large");
}

/* ------------------------------------------------------ --set robustness */

Test(scenario_set, line_breaks_are_errors)
{
    expect_set_error("name=a\nb", "--set name=a b:1:7: ",
                     "a --set argument must be one line, found a newline");
    expect_set_error("name=a\rb", "--set name=a b:1:7: ", "found a carriage return");
    expect_set_error("description=\"x\ny\"", "--set description=\"x y\":1:15: ", "must be one line");
    expect_set_error("cohort.\nnoise.sd=1", "--set cohort. noise.sd=1:1:8: ", "must be one line, found a newline");
}

Test(scenario_set, only_canonical_indices_address_by_position)
{
    expect_set_error("strategies.00.name=x", "--set strategies.00.name=x:1:12: ",
                     "no item of `strategies` is named `00`");
    expect_set_error("strategies.01.name=x", "--set strategies.01.name=x:1:12: ",
                     "no item of `strategies` is named `01`");
    const char *base = "strategies:\n"
                       "  - {name: '007', treatment: none}\n"
                       "  - {name: '1', treatment: none}\n"
                       "  - {name: '5', treatment: none}\n";
    const char *set[] = {"strategies.007.fallback=physio", "strategies.1.name=one"};
    psim_scenario *s = load_ok_set(base, set, 2);
    cr_assert_str_eq(s->strategies[0].name, "007");
    cr_assert_str_eq(s->strategies[0].fallback, "physio");
    cr_assert_str_eq(s->strategies[1].name, "one"); /* index 1, which happens to be named `1` */
    psim_scenario_destroy(s);
    /* `0` is canonical: index 0, not a name lookup */
    const char *set0[] = {"strategies.0.fallback=physio"};
    s = load_ok_set(base, set0, 1);
    cr_assert_str_eq(s->strategies[0].fallback, "physio");
    psim_scenario_destroy(s);
    /* a canonical number is always an index, even when an item is named so */
    const char *set5[] = {"strategies.5.fallback=physio"};
    expect_error_set(base, set5, 1, "--set strategies.5.fallback=physio:1:12: ",
                     "index 5 is out of range: `strategies` has 3 items (0-based indices 0 to 2); a segment "
                     "that is a number is an index, so address an item named by a number by its index");
}

/* ----------------------------------------------------------- round trip */

static const char RICH[] =
    "name: rich.test-1\n"
    "description: \"quotes \\\" backslash \\\\ tab \\t newline \\n unicode \\u00e9\\u2028 \\x01 end \"\n"
    "seed: 18446744073709551615\n"
    "patients: 12345\n"
    "horizon_days: 730\n"
    "block_size: 333\n"
    "cohort:\n"
    "  baseline_vas: {mean: 7.123456789012345, sd: 0.1, min: 0, max: 10}\n"
    "  pain_duration_months: {mean: 1e-300, sd: 0, min: 0, max: 1e300}\n"
    "  lumbar_levels: [0.1, 0.2, 0.3, 0.15, 0.25]\n"
    "  myofascial: 0.3333333333333333\n"
    "  contraindications: {needle_phobia: 0}\n"
    "  aspirin_delay_days: 0\n"
    "  noise: {sd: 0, phi: 0.99999999999999989}\n"
    "treatments:\n"
    "  botox:\n"
    "    p_first: 0.1\n"
    "    price: {per_unit: 0.1, packages: [{units: 7, price: 1e-7}, {units: 3, price: 0}]}\n"
    "    session_cost: 1234.5\n"
    "    adverse_events:\n"
    "      new_one: {p: 0.2, days: 3, utility_decrement: 1.9999999999999998, cost: 1e12}\n"
    "      flu_like: {cost: 0.30000000000000004}\n"
    "  botox_vials: {base: botox, price: {model: vials, vial_units: 1000000, vial_price: 0}}\n"
    "  \"0odd\": {base: lidocaine_tpi, min_interval_days: 10, injection: false}\n"
    "  true: {base: physio}\n"
    "  unused: {base: placebo}\n"
    "strategies:\n"
    "  - name: s1\n"
    "    treatment: botox\n"
    "    fallback: \"0odd\"\n"
    "    schedule: {days: [0, 100, 300, 729], assess_after_days: 42, continue_if: responded_first}\n"
    "  - name: '2'\n"
    "    treatment: 'true'\n"
    "    schedule: {every_days: 30, sessions: 20, start_day: 5}\n"
    "  - {name: none, treatment: none, fallback: physio}\n"
    "  - name: r\n"
    "    treatment: botox_vials\n"
    "    schedule: {on_relapse: {threshold: 2, max_sessions: 64}, start_day: 729, continue_if: responded_previous}\n"
    "reference: '2'\n"
    "output: {record_every_days: 30, trajectories: false, compression: 6}\n"
    "economics:\n"
    "  currency: usd\n"
    "  discount: {costs: 0, qalys: 1}\n"
    "  utility: {u0: -10, slope_per_cm: 10, min: -10, max: 9.999999999999998}\n"
    "  wtp: [0.5, 1e12]\n";

Test(scenario_round_trip, defaults)
{
    psim_scenario *s = load_ok(BASE);
    check_round_trip(s);
    psim_scenario_destroy(s);
}

Test(scenario_round_trip, rich_scenario)
{
    psim_scenario *s = load_ok(RICH);
    cr_assert_str_eq(s->description,
                     "quotes \" backslash \\ tab \t newline \n unicode \xc3\xa9\xe2\x80\xa8 \x01 end ");
    cr_assert_eq(s->cohort.pain_duration_months.mean, 1e-300);
    cr_assert_eq(s->n_treatments, 6); /* botox, 0odd, true, none, physio, botox_vials */
    const psim_treatment *b = treatment_of(s, "botox");
    cr_assert_eq(b->price.model, PSIM_PRICE_PACKAGES);
    cr_assert_eq(b->price.n_packages, 2);
    cr_assert_eq(b->price.package_units[1], 3);
    cr_assert_eq(b->ae[0].cost, 0.30000000000000004);
    cr_assert_eq(b->ae[2].utility_decrement, 1.9999999999999998);
    cr_assert_eq(treatment_of(s, "botox_vials")->price.vial_units, 1000000);
    cr_assert_eq(s->strategies[3].schedule.kind, PSIM_SCHEDULE_RELAPSE);
    cr_assert_eq(s->strategies[3].schedule.relapse_max_sessions, 64);
    cr_assert_str_eq(s->economics.currency, "usd");
    cr_assert_eq(s->economics.n_wtp, 2);
    cr_assert_str_eq(s->reference, "2");
    cr_assert_eq(s->reference_index, 1);
    check_round_trip(s);
    psim_scenario_destroy(s);
}

Test(scenario_round_trip, with_overrides)
{
    const char *set[] = {"strategies.s1.schedule.days=[1, 200]", "cohort.myofascial=0.1",
                         "treatments.botox.relief.responder.mean=0.7000000000000001"};
    psim_scenario *s = load_ok_set(RICH, set, 3);
    cr_assert_eq(s->cohort.myofascial, 0.1);
    check_round_trip(s);
    psim_scenario_destroy(s);
}

Test(scenario_round_trip, numbers_shortest_exact)
{
    psim_scenario *s = load_ok("cohort: {baseline_vas: {mean: 0.1}, myofascial: 0.30000000000000004}\n"
                               "strategies: [{name: sc, treatment: none}]\n");
    char *t = to_yaml(s);
    cr_assert(strstr(t, "    mean: 0.1\n") != NULL, "%s", t);
    cr_assert(strstr(t, "  myofascial: 0.30000000000000004\n") != NULL, "%s", t);
    cr_assert(strstr(t, "    mean: 13.78\n") != NULL, "%s", t);
    free(t);
    psim_scenario_destroy(s);
}

Test(scenario_round_trip, every_key_present)
{
    psim_scenario *s = load_ok(BASE);
    char *t = to_yaml(s);
    static const char *const keys[] = {
        "name:", "description:", "seed:", "patients:", "horizon_days:", "block_size:",
        "cohort:", "baseline_vas:", "pain_duration_months:", "lumbar_levels:", "myofascial:",
        "contraindications:", "anticoagulants:", "needle_phobia:", "aspirin_recent:",
        "aspirin_delay_days:", "noise:", "phi:", "treatments:", "base:", "injection:",
        "p_first:", "p_persist:", "p_recover:", "antibody_risk:", "relief:", "responder:",
        "non_responder:", "onset_days:", "peak_days:", "duration:", "median_days:", "sigma:",
        "half_life_days:", "dose:", "units_per_level:", "max_units_per_session:",
        "min_interval_days:", "adverse_events:", "strategies:", "treatment:", "fallback:",
        "schedule:", "every_days:", "sessions:", "start_day:", "assess_after_days:",
        "reference:", "output:", "record_every_days:", "trajectories:", "compression:",
        "price:", "model:", "per_unit:", "packages:", "vial_units:", "vial_price:",
        "session_cost:", "utility_decrement:", "cost:", "continue_if:", "economics:",
        "currency:", "discount:", "costs:", "qalys:", "utility:", "u0:", "slope_per_cm:",
        "wtp:", NULL};
    for (size_t i = 0; keys[i]; i++)
        cr_assert(strstr(t, keys[i]) != NULL, "missing `%s` in:\n%s", keys[i], t);
    /* standard care (treatment none) takes no schedule */
    const char *sc = strstr(t, "standard_care\"\n");
    cr_assert_not_null(sc);
    cr_assert_null(strstr(sc, "schedule:"));
    free(t);
    psim_scenario_destroy(s);
}

Test(scenario_round_trip, write_yaml_matches_to_yaml)
{
    psim_scenario *s = load_ok(RICH);
    char *t = to_yaml(s);
    FILE *fp = tmpfile();
    cr_assert_not_null(fp);
    psim_error err;
    cr_assert_eq(psim_scenario_write_yaml(s, fp, &err), PSIM_OK);
    long n = ftell(fp);
    cr_assert_eq((size_t)n, strlen(t));
    rewind(fp);
    char *buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    cr_assert_str_eq(buf, t);
    fclose(fp);
    free(buf);
    free(t);
    psim_scenario_destroy(s);
}

/* ----------------------------------------------------------------- files */

Test(scenario_file, load_from_file)
{
    const char *path = PAINSIM_TEST_DATA "/scenario_basic.yaml";
    const char *set[] = {"patients=100"};
    psim_scenario *s = NULL;
    psim_error err;
    psim_status st = psim_scenario_load(path, set, 1, &s, &err);
    cr_assert_eq(st, PSIM_OK, "%s", err.message);
    cr_assert_str_eq(s->source_path, path);
    cr_assert_eq(s->patients, 100);
    cr_assert_str_eq(s->name, "basic");
    cr_assert(strstr(s->source_text, "# A small valid scenario") != NULL);
    psim_scenario_destroy(s);
}

Test(scenario_file, missing_file_names_the_file)
{
    const char *path = PAINSIM_TEST_DATA "/no_such_scenario.yaml";
    psim_scenario *s = NULL;
    psim_error err;
    char msg[2048];
    psim_status st = psim_scenario_load(path, NULL, 0, &s, &err);
    /* a scenario that is not there is bad input (psim_check_regular_input) */
    cr_assert_eq(st, PSIM_ERR_INPUT);
    cr_assert_null(s);
    psim_error_format(&err, msg, sizeof msg);
    cr_assert(strstr(msg, "no_such_scenario.yaml: cannot open the scenario file") != NULL, "%s", msg);
}

Test(scenario_file, errors_name_the_path)
{
    const char *path = PAINSIM_TEST_DATA "/scenario_bad_key.yaml";
    psim_scenario *s = NULL;
    psim_error err;
    char msg[2048];
    psim_status st = psim_scenario_load(path, NULL, 0, &s, &err);
    cr_assert_eq(st, PSIM_ERR_INPUT);
    psim_error_format(&err, msg, sizeof msg);
    cr_assert(strncmp(msg, PAINSIM_TEST_DATA "/scenario_bad_key.yaml:4:3: ", strlen(PAINSIM_TEST_DATA) + 27) == 0,
              "%s", msg);
    cr_assert(strstr(msg, "did you mean `myofascial`?") != NULL, "%s", msg);
}

Test(scenario_file, economics_and_schedule_kinds_from_file)
{
    const char *path = PAINSIM_TEST_DATA "/scenario_economics.yaml";
    psim_scenario *s = NULL;
    psim_error err;
    psim_status st = psim_scenario_load(path, NULL, 0, &s, &err);
    cr_assert_eq(st, PSIM_OK, "%s", err.message);
    const psim_treatment *b = treatment_of(s, "botox");
    cr_assert_eq(b->price.per_unit, 390);
    cr_assert_eq(b->price.n_packages, 3);
    cr_assert_eq(b->session_cost, 3500);
    cr_assert_eq(b->ae[0].cost, 1200);
    cr_assert_eq(b->ae[2].utility_decrement, 0.05);
    const psim_treatment *v = treatment_of(s, "botox_vials");
    cr_assert_eq(v->price.model, PSIM_PRICE_VIALS);
    cr_assert_eq(v->price.vial_price, 45000);
    const psim_treatment *p = treatment_of(s, "botox_packs");
    cr_assert_eq(p->price.n_packages, 2);
    cr_assert_eq(p->price.package_units[1], 200);
    cr_assert_eq(treatment_of(s, "tpi")->session_cost, 2000);
    cr_assert_eq(s->strategies[0].schedule.continue_if, PSIM_CONTINUE_RESPONDED_FIRST);
    cr_assert_eq(s->strategies[1].schedule.continue_if, PSIM_CONTINUE_RESPONDED_PREVIOUS);
    cr_assert_eq(s->strategies[2].schedule.kind, PSIM_SCHEDULE_RELAPSE);
    cr_assert_eq(s->strategies[2].schedule.relapse_threshold, 0.6);
    cr_assert_eq(s->strategies[2].schedule.relapse_max_sessions, 5);
    cr_assert_eq(s->strategies[2].schedule.start_day, 7);
    cr_assert_eq(s->economics.discount_costs, 0.05);
    cr_assert_eq(s->economics.utility_min, -0.594);
    cr_assert_eq(s->economics.n_wtp, 5);
    cr_assert_str_eq(s->reference, "standard_care");
    check_round_trip(s);
    psim_scenario_destroy(s);
}

/* ------------------------------------------------------------------ fuzz */

/* splitmix64: a small deterministic generator local to the test. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

Test(scenario_fuzz, mutations_never_crash, .timeout = 600)
{
    static const char specials[] = ":-[]{},#&*!|>'\"%@`\n \t.0123456789eE+x\\";
    const size_t base_len = strlen(RICH);
    char *buf = malloc(base_len * 2 + 64);
    cr_assert_not_null(buf);
    uint64_t rng = 20261123;
    int n_ok = 0, n_err = 0;
    for (int iter = 0; iter < 4000; iter++) {
        size_t len = base_len;
        memcpy(buf, RICH, base_len);
        int n_mut = 1 + (int)(next_random(&rng) % 4);
        for (int m = 0; m < n_mut && len > 0; m++) {
            uint64_t r = next_random(&rng);
            size_t pos = (size_t)(next_random(&rng) % len);
            switch (r % 6) {
            case 0: /* random byte */
                buf[pos] = (char)(next_random(&rng) & 0xff);
                break;
            case 1: /* YAML-significant character */
                buf[pos] = specials[next_random(&rng) % (sizeof specials - 1)];
                break;
            case 2: /* truncate */
                len = pos;
                break;
            case 3: { /* delete a short range */
                size_t n = 1 + (size_t)(next_random(&rng) % 16);
                if (pos + n > len)
                    n = len - pos;
                memmove(buf + pos, buf + pos + n, len - pos - n);
                len -= n;
                break;
            }
            case 4: /* insert a character */
                if (len < base_len * 2) {
                    memmove(buf + pos + 1, buf + pos, len - pos);
                    buf[pos] = specials[next_random(&rng) % (sizeof specials - 1)];
                    len++;
                }
                break;
            default: /* flip one bit */
                buf[pos] = (char)(buf[pos] ^ (1 << (next_random(&rng) % 8)));
                break;
            }
        }
        psim_scenario *s = NULL;
        psim_error err;
        psim_status st = psim_scenario_load_text(buf, len, "fuzz.yaml", NULL, 0, &s, &err);
        cr_assert(st == PSIM_OK || st == PSIM_ERR_INPUT, "iteration %d: status %d (%s)", iter,
                  (int)st, err.message);
        if (st == PSIM_OK) {
            n_ok++;
            /* whatever loads must also round-trip */
            check_round_trip(s);
            psim_scenario_destroy(s);
        } else {
            n_err++;
            cr_assert_null(s);
            cr_assert(err.message[0] != '\0', "iteration %d: empty message", iter);
            cr_assert_str_eq(err.file, "fuzz.yaml");
        }
    }
    cr_assert(n_ok > 0 && n_err > 0, "ok %d, errors %d", n_ok, n_err);
    free(buf);
}

Test(scenario_fuzz, set_arguments_never_crash)
{
    static const char specials[] = ".=[]{}:,0123456789'\"#&*";
    static const char *const seeds[] = {"strategies.botox_q4m.schedule.every_days=90",
                                        "strategies.0.schedule.days=[0, 90]",
                                        "cohort.noise={sd: 1, phi: 0.5}", "treatments.x.base=botox"};
    uint64_t rng = 7;
    char arg[128];
    for (int iter = 0; iter < 2000; iter++) {
        const char *seed = seeds[iter % 4];
        size_t len = strlen(seed);
        memcpy(arg, seed, len + 1);
        for (int m = 0; m < 3; m++) {
            size_t pos = (size_t)(next_random(&rng) % len);
            arg[pos] = specials[next_random(&rng) % (sizeof specials - 1)];
        }
        const char *set[] = {arg};
        psim_scenario *s = NULL;
        psim_error err;
        psim_status st = psim_scenario_load_text(BASE, strlen(BASE), NAME, set, 1, &s, &err);
        cr_assert(st == PSIM_OK || st == PSIM_ERR_INPUT, "`%s`: status %d", arg, (int)st);
        if (st == PSIM_OK)
            psim_scenario_destroy(s);
        else
            cr_assert(err.message[0] != '\0');
    }
}

/* ------------------------------------------- uncertain parameters (PSA) */

/* One of each distribution, an unused treatment and the psa: section. */
static const char UNC[] =
    "psa:\n"                                                                       /* 1 */
    "  iterations: 100\n"                                                          /* 2 */
    "  patients: common\n"                                                         /* 3 */
    "  evppi_groups: {efficacy: [treatments.botox.p_first, treatments.botox.p_persist],"
    " levels: [cohort.lumbar_levels]}\n"                                           /* 4 */
    "cohort:\n"                                                                    /* 5 */
    "  baseline_vas: {mean: {dist: normal, mean: 7, sd: 0.1}}\n"                   /* 6 */
    "  lumbar_levels: {dist: dirichlet, alpha: [1, 2, 4, 6, 7]}\n"                 /* 7 */
    "  myofascial: {dist: uniform, min: 0.9, max: 1}\n"                            /* 8 */
    "treatments:\n"                                                                /* 9 */
    "  botox:\n"                                                                   /* 10 */
    "    p_first: {dist: beta, alpha: 40, beta: 35, source: \"trial \\\"X\\\" 2020\"}\n" /* 11 */
    "    p_persist: {dist: fixed, value: 0.8}\n"                                   /* 12 */
    "    duration: {median_days: {dist: lognormal, median: 90, sigma: 0.2}}\n"     /* 13 */
    "    price: {per_unit: {dist: gamma, shape: 100, scale: 2},"
    " packages: [{units: 100, price: {dist: gamma, shape: 4, scale: 2500}}]}\n"   /* 14 */
    "    adverse_events: {flu_like: {p: {dist: beta, alpha: 1, beta: 99}}}\n"      /* 15 */
    "  unused: {base: botox, p_first: {dist: beta, alpha: 1, beta: 1}}\n"          /* 16 */
    "strategies:\n"                                                                /* 17 */
    "  - name: botox_q4m\n"                                                        /* 18 */
    "    treatment: botox\n"                                                       /* 19 */
    "    baseline_shift: {dist: normal, mean: 0, sd: 0.1}\n"                       /* 20 */
    "    schedule: {every_days: 120, sessions: 4}\n"                               /* 21 */
    "  - name: standard_care\n"                                                    /* 22 */
    "    treatment: none\n"                                                        /* 23 */
    "economics:\n"                                                                 /* 24 */
    "  currency: USD\n"                                                            /* 25 */
    "  discount: {costs: {dist: uniform, min: 0, max: 0.07}}\n"                    /* 26 */
    "  utility: {slope_per_cm: {dist: normal, mean: -0.041, sd: 0.002},"
    " u0: {dist: beta, alpha: 80, beta: 20}}\n"                                    /* 27 */
    "  population: 5000\n"                                                         /* 28 */
    "  horizon_years: 5\n";                                                        /* 29 */

static int uncertain_index(const psim_scenario *s, const char *name)
{
    for (int i = 0; i < s->n_uncertain; i++)
        if (strcmp(s->uncertain[i].name, name) == 0)
            return i;
    return -1;
}

static double *param_at(psim_scenario *s, const psim_uncertain *u)
{
    cr_assert(u->offset + sizeof(double) * (size_t)u->dist.dim <= sizeof *s);
    return (double *)(void *)((char *)s + u->offset);
}

Test(scenario_psa, one_of_each_distribution)
{
    psim_scenario *s = load_ok(UNC);
    psim_treatment *b = &s->treatments[0];
    psim_economics *e = &s->economics;
    cr_assert_str_eq(b->name, "botox");
    /* the base case is each distribution's mean */
    SAME_D(s->cohort.baseline_vas.mean, 7.0, "baseline_vas.mean");
    SAME_D(s->cohort.lumbar_levels[0], 1.0 / 20.0, "lumbar_levels[0]");
    SAME_D(s->cohort.lumbar_levels[4], 7.0 / 20.0, "lumbar_levels[4]");
    SAME_D(s->cohort.myofascial, 0.5 * (0.9 + 1.0), "myofascial");
    SAME_D(b->p_first, 40.0 / (40.0 + 35.0), "p_first");
    SAME_D(b->p_persist, 0.8, "p_persist");
    SAME_D(b->duration_median_days, 90.0 * exp(0.5 * 0.2 * 0.2), "duration.median_days");
    SAME_D(b->price.per_unit, 200.0, "price.per_unit");
    SAME_D(b->price.package_price[0], 10000.0, "packages[0].price");
    SAME_D(b->ae[0].p, 1.0 / 100.0, "flu_like.p");
    SAME_D(s->strategies[0].baseline_shift, 0.0, "baseline_shift");
    SAME_D(e->discount_costs, 0.035, "discount.costs");
    SAME_D(e->utility_u0, 0.8, "u0");
    SAME_D(e->utility_slope, -0.041, "slope_per_cm");
    SAME_D(e->population, 5000.0, "population");
    SAME_D(e->horizon_years, 5.0, "horizon_years");

    /* the list: scenario keys, units and offsets, in the order of the resolved YAML */
    const struct {
        const char *name, *unit;
        psim_dist_kind kind;
        double *field;
        int line, column;
    } want[] = {
        {"cohort.baseline_vas.mean", "cm", PSIM_DIST_NORMAL, &s->cohort.baseline_vas.mean, 6, 24},
        {"cohort.lumbar_levels", "probability", PSIM_DIST_DIRICHLET, &s->cohort.lumbar_levels[0], 7, 18},
        {"cohort.myofascial", "probability", PSIM_DIST_UNIFORM, &s->cohort.myofascial, 8, 15},
        {"treatments.botox.p_first", "probability", PSIM_DIST_BETA, &b->p_first, 11, 14},
        {"treatments.botox.p_persist", "probability", PSIM_DIST_FIXED, &b->p_persist, 12, 16},
        {"treatments.botox.duration.median_days", "days", PSIM_DIST_LOGNORMAL,
         &b->duration_median_days, 13, 29},
        {"treatments.botox.price.per_unit", "USD", PSIM_DIST_GAMMA, &b->price.per_unit, 14, 23},
        {"treatments.botox.price.packages[0].price", "USD", PSIM_DIST_GAMMA,
         &b->price.package_price[0], 14, 91},
        {"treatments.botox.adverse_events.flu_like.p", "probability", PSIM_DIST_BETA, &b->ae[0].p,
         15, 36},
        {"strategies.botox_q4m.baseline_shift", "cm", PSIM_DIST_NORMAL,
         &s->strategies[0].baseline_shift, 20, 21},
        {"economics.discount.costs", "per year", PSIM_DIST_UNIFORM, &e->discount_costs, 26, 21},
        {"economics.utility.u0", "QALY", PSIM_DIST_BETA, &e->utility_u0, 27, 72},
        {"economics.utility.slope_per_cm", "QALY per cm", PSIM_DIST_NORMAL, &e->utility_slope, 27,
         27},
    };
    const int n = (int)(sizeof want / sizeof want[0]);
    cr_assert_eq(s->n_uncertain, n, "n_uncertain %d", s->n_uncertain);
    for (int i = 0; i < n; i++) {
        const psim_uncertain *u = &s->uncertain[i];
        SAME_S(u->name, want[i].name, "name");
        SAME_S(u->unit, want[i].unit, "unit");
        SAME_I(u->dist.kind, want[i].kind, u->name);
        SAME_I(u->dist.dim, want[i].kind == PSIM_DIST_DIRICHLET ? 5 : 1, u->name);
        SAME_I(u->line, want[i].line, u->name);
        SAME_I(u->column, want[i].column, u->name);
        if (i > 0)
            cr_assert(u->offset > s->uncertain[i - 1].offset, "sorted by offset");
        /* the offset is the field: write through one, read the other */
        double *q = param_at(s, u);
        cr_assert_eq(q, want[i].field, "%s: offset %zu is not the field", u->name, u->offset);
        *q = 0.123;
        SAME_D(*want[i].field, 0.123, u->name);
    }
    psim_scenario_destroy(s);
    s = load_ok(UNC);
    /* ranges, distribution parameters and the source text */
    const psim_uncertain *u = &s->uncertain[uncertain_index(s, "treatments.botox.p_first")];
    SAME_D(u->lo, 0.0, "lo");
    SAME_D(u->hi, 1.0, "hi");
    SAME_D(u->dist.p1, 40.0, "alpha");
    SAME_D(u->dist.p2, 35.0, "beta");
    SAME_S(u->source, "trial \"X\" 2020", "source");
    u = &s->uncertain[uncertain_index(s, "cohort.lumbar_levels")];
    SAME_D(u->dist.alpha[3], 6.0, "dirichlet alpha");
    SAME_S(s->uncertain[0].source, "", "no source");
    /* the unused treatment is not in the scenario, nor are its distributions */
    cr_assert_eq(s->n_treatments, 2);
    cr_assert_lt(uncertain_index(s, "treatments.unused.p_first"), 0);
    /* psa: */
    cr_assert_eq(s->psa.iterations, 100);
    cr_assert_eq(s->psa.common_patients, 1);
    cr_assert_eq(s->psa.n_groups, 2);
    SAME_S(s->psa.groups[0].name, "efficacy", "group name");
    cr_assert_eq(s->psa.groups[0].n, 2);
    cr_assert_eq(s->psa.groups[0].param[0], uncertain_index(s, "treatments.botox.p_first"));
    cr_assert_eq(s->psa.groups[0].param[1], uncertain_index(s, "treatments.botox.p_persist"));
    cr_assert_eq(s->psa.groups[1].n, 1);
    cr_assert_eq(s->psa.groups[1].param[0], uncertain_index(s, "cohort.lumbar_levels"));
    /* the resolved YAML prints distributions as flow mappings; the round trip keeps all */
    char *t = to_yaml(s);
    cr_assert(strstr(t, "    p_first: {dist: beta, alpha: 40, beta: 35, source: \"trial \\\"X\\\" 2020\"}\n"), "%s", t);
    cr_assert(strstr(t, "  lumbar_levels: {dist: dirichlet, alpha: [1, 2, 4, 6, 7]}\n"), "%s", t);
    cr_assert(strstr(t, "      - {units: 100, price: {dist: gamma, shape: 4, scale: 2500}}\n"), "%s", t);
    cr_assert(strstr(t, "    p_persist: {dist: fixed, value: 0.8}\n"), "%s", t);
    cr_assert(strstr(t, "\npsa:\n  iterations: 100\n  patients: common\n  evppi_groups:\n"
                        "    efficacy: [\"treatments.botox.p_first\", \"treatments.botox.p_persist\"]\n"
                        "    levels: [\"cohort.lumbar_levels\"]\n"), "%s", t);
    cr_assert(strstr(t, "  population: 5000\n  horizon_years: 5\n"), "%s", t);
    cr_assert_null(strstr(t, "unused"), "%s", t);
    free(t);
    check_round_trip(s);
    psim_scenario_destroy(s);
}

Test(scenario_psa, defaults_and_plain_round_trip)
{
    psim_scenario *s = load_ok(BASE);
    cr_assert_eq(s->n_uncertain, 0);
    cr_assert_eq(s->psa.iterations, 0);
    cr_assert_eq(s->psa.common_patients, 0);
    cr_assert_eq(s->psa.n_groups, 0);
    SAME_D(s->economics.population, 0.0, "population");
    SAME_D(s->economics.horizon_years, 10.0, "horizon_years");
    char *t = to_yaml(s);
    cr_assert(strstr(t, "\npsa:\n  iterations: 0\n  patients: per_iteration\n  evppi_groups: {}\n"), "%s", t);
    free(t);
    psim_scenario_destroy(s);
    /* every floating-point parameter of the resolved YAML takes a distribution */
    s = load_ok("cohort:\n"
                "  pain_duration_months: {sd: {dist: gamma, shape: 4, scale: 3}}\n"
                "  contraindications: {needle_phobia: {dist: beta, alpha: 3, beta: 97}}\n"
                "  aspirin_recent: {dist: beta, alpha: 1, beta: 9}\n"
                "  noise: {sd: {dist: lognormal, median: 0.8, sigma: 0.1}, phi: {dist: beta, alpha: 9, beta: 1}}\n"
                "treatments:\n"
                "  botox:\n"
                "    relief: {responder: {mean: {dist: uniform, min: 0.6, max: 0.8}, sd: {dist: fixed, value: 0.1}}}\n"
                "    onset_days: {dist: gamma, shape: 9, scale: 1}\n"
                "    peak_days: {dist: normal, mean: 30, sd: 2}\n"
                "    half_life_days: {dist: lognormal, median: 30, sigma: 0.3}\n"
                "    session_cost: {dist: gamma, shape: 10, scale: 300}\n"
                "    adverse_events: {flu_like: {utility_decrement: {dist: beta, alpha: 2, beta: 50}, cost: {dist: gamma, shape: 2, scale: 100}}}\n"
                "  botox_vials: {base: botox, price: {model: vials, vial_units: 100, vial_price: {dist: gamma, shape: 4, scale: 2500}}}\n"
                "strategies:\n"
                "  - {name: a, treatment: botox, schedule: {days: [0]}}\n"
                "  - {name: r, treatment: botox_vials, schedule: {on_relapse: {threshold: {dist: beta, alpha: 5, beta: 5}}}}\n"
                "economics: {discount: {qalys: {dist: beta, alpha: 35, beta: 965}}, utility: {min: {dist: fixed, value: -0.5}, max: {dist: uniform, min: 0.95, max: 1}}}\n");
    static const char *const names[] = {
        "cohort.pain_duration_months.sd", "cohort.contraindications.needle_phobia",
        "cohort.aspirin_recent", "cohort.noise.sd", "cohort.noise.phi",
        "treatments.botox.relief.responder.mean", "treatments.botox.relief.responder.sd",
        "treatments.botox.onset_days", "treatments.botox.peak_days",
        "treatments.botox.half_life_days", "treatments.botox.session_cost",
        "treatments.botox.adverse_events.flu_like.utility_decrement",
        "treatments.botox.adverse_events.flu_like.cost", "treatments.botox_vials.price.vial_price",
        "strategies.r.schedule.on_relapse.threshold", "economics.discount.qalys",
        "economics.utility.min", "economics.utility.max", NULL};
    static const char *const units[] = {
        "months", "probability", "probability", "cm", "1", "fraction of baseline VAS",
        "fraction of baseline VAS", "days", "days", "days", "RUB", "QALY", "RUB", "RUB",
        "fraction of baseline VAS", "per year", "QALY", "QALY", NULL};
    cr_assert_eq(s->n_uncertain, 18, "%d", s->n_uncertain);
    for (int i = 0; names[i]; i++) {
        int k = uncertain_index(s, names[i]);
        cr_assert_geq(k, 0, "`%s` not listed", names[i]);
        SAME_S(s->uncertain[k].unit, units[i], names[i]);
    }
    SAME_D(s->strategies[1].schedule.relapse_threshold, 0.5, "threshold");
    SAME_D(param_at(s, &s->uncertain[uncertain_index(s, "treatments.botox_vials.price.vial_price")])[0],
           treatment_of(s, "botox_vials")->price.vial_price, "vial_price offset");
    cr_assert_eq(param_at(s, &s->uncertain[uncertain_index(s, "strategies.r.schedule.on_relapse.threshold")]),
                 &s->strategies[1].schedule.relapse_threshold);
    check_round_trip(s);
    psim_scenario_destroy(s);
}

Test(scenario_psa, distribution_errors)
{
#define P1(dist) "treatments: {botox: {p_first: " dist "}}\n"
    static const struct {
        const char *prefix, *where, *phrase;
    } cases[] = {
        /* kinds, keys and the distributions' own parameters */
        {P1("{dist: betta, alpha: 1, beta: 2}"), NAME ":1:38: ",
         "`treatments.botox.p_first.dist`: expected one of fixed, beta, gamma, normal, lognormal, uniform, dirichlet, empirical, got `betta`; did you mean `beta`?"},
        {P1("{dist: beta, alpha: 1}"), NAME ":1:31: ",
         "`treatments.botox.p_first`: a beta distribution needs `alpha` and `beta`"},
        {P1("{dist: fixed}"), NAME ":1:31: ", "a fixed distribution needs `value`"},
        {P1("{dist: beta, alpha: 1, bta: 2}"), NAME ":1:54: ",
         "unknown key `bta` in `treatments.botox.p_first`; did you mean `beta`?"},
        {P1("{dist: gamma, shape: 1, scale: 2, mean: 2}"), NAME ":1:65: ",
         "unknown key `mean` in `treatments.botox.p_first`; valid keys are: dist, source, shape, scale"},
        {P1("{alpha: 1, beta: 2}"), NAME ":1:31: ",
         "`treatments.botox.p_first`: expected a number or a distribution such as `{dist: beta, alpha: 40, beta: 35}`, got a mapping without `dist`"},
        {P1("{dist: beta, alpha: 0, beta: 2}"), NAME ":1:51: ", "`treatments.botox.p_first.alpha` must be > 0, got 0"},
        {P1("{dist: beta, alpha: 1, beta: -2}"), NAME ":1:60: ", "`treatments.botox.p_first.beta` must be > 0, got -2"},
        {P1("{dist: beta, alpha: x, beta: 2}"), NAME ":1:51: ", "`treatments.botox.p_first.alpha`: expected a number, got `x`"},
        {"treatments: {botox: {session_cost: {dist: gamma, shape: -1, scale: 2}}}\n", NAME ":1:57: ",
         "`treatments.botox.session_cost.shape` must be > 0, got -1"},
        {"treatments: {botox: {session_cost: {dist: gamma, shape: 1, scale: 0}}}\n", NAME ":1:67: ",
         "`treatments.botox.session_cost.scale` must be > 0, got 0"},
        {"treatments: {botox: {session_cost: {dist: lognormal, median: 0, sigma: 1}}}\n", NAME ":1:62: ",
         "`treatments.botox.session_cost.median` must be > 0, got 0"},
        {"treatments: {botox: {session_cost: {dist: lognormal, median: 1, sigma: 0}}}\n", NAME ":1:72: ",
         "`treatments.botox.session_cost.sigma` must be > 0, got 0"},
        {"treatments: {botox: {session_cost: {dist: normal, mean: 100, sd: 0}}}\n", NAME ":1:66: ",
         "`treatments.botox.session_cost.sd` must be > 0, got 0"},
        {P1("{dist: uniform, min: 0.5, max: 0.5}"), NAME ":1:62: ",
         "`treatments.botox.p_first`: a uniform distribution needs min < max, got min 0.5 and max 0.5"},
        {P1("{dist: beta, alpha: 1, beta: 2, source: [x]}"), NAME ":1:71: ",
         "`treatments.botox.p_first.source`: expected a string, got a sequence"},
        /* dirichlet: only for lumbar_levels, of length 5, alphas > 0 */
        {"cohort: {lumbar_levels: {dist: dirichlet, alpha: [1, 2, 3]}}\n", NAME ":1:50: ",
         "`cohort.lumbar_levels.alpha`: expected 5 concentrations (one per lumbar level), got 3"},
        {"cohort: {lumbar_levels: {dist: dirichlet, alpha: [1, 2, 0, 1, 1]}}\n", NAME ":1:57: ",
         "`cohort.lumbar_levels.alpha[2]` must be > 0, got 0"},
        {"cohort: {lumbar_levels: {dist: dirichlet, alpha: 5}}\n", NAME ":1:50: ",
         "`cohort.lumbar_levels.alpha`: expected a sequence, got `5`"},
        {"cohort: {lumbar_levels: {dist: beta, alpha: 1, beta: 2}}\n", NAME ":1:32: ",
         "`cohort.lumbar_levels` is a vector of 5 probabilities: as a distribution it takes `{dist: dirichlet, alpha: [...]}` with 5 concentrations, not `beta`"},
        {"cohort: {lumbar_levels: [0.1, {dist: beta, alpha: 1, beta: 9}, 0.2, 0.3, 0.3]}\n", NAME ":1:31: ",
         "`cohort.lumbar_levels[1]`: one lumbar level cannot be a distribution on its own"},
        {P1("{dist: dirichlet, alpha: [1, 2]}"), NAME ":1:38: ",
         "`treatments.botox.p_first`: a dirichlet distribution is for a vector of probabilities (cohort.lumbar_levels)"},
        /* the distribution's values must be valid values of the parameter */
        {"treatments: {botox: {relief: {responder: {mean: {dist: beta, alpha: 8, beta: 2}}}}}\n", NAME ":1:56: ",
         "`treatments.botox.relief.responder.mean`: a beta distribution takes values in [0, 1], but `treatments.botox.relief.responder.mean` must be in [0.5, 1]"},
        {"treatments: {botox: {relief: {non_responder: {mean: {dist: beta, alpha: 1, beta: 9}}}}}\n", NAME ":1:60: ",
         "must be in [0, 0.5)"},
        {P1("{dist: gamma, shape: 2, scale: 0.1}"), NAME ":1:38: ",
         "`treatments.botox.p_first`: a gamma distribution takes values in (0, inf), but `treatments.botox.p_first` must be in [0, 1]; use a beta"},
        {P1("{dist: lognormal, median: 0.2, sigma: 0.1}"), NAME ":1:38: ",
         "a lognormal distribution takes values in (0, inf), but `treatments.botox.p_first` must be in [0, 1]"},
        {"treatments: {botox: {relief: {responder: {mean: {dist: lognormal, median: 0.7, sigma: 0.01}}}}}\n", NAME ":1:56: ",
         "a lognormal distribution takes values in (0, inf), but `treatments.botox.relief.responder.mean` must be in [0.5, 1]; use a uniform"},
        {"cohort: {myofascial: {dist: uniform, min: 0.5, max: 1.2}}\n", NAME ":1:53: ",
         "`cohort.myofascial` must be in [0, 1], so the uniform's max must be too, got 1.2"},
        {"cohort: {myofascial: {dist: uniform, min: -0.1, max: 1}}\n", NAME ":1:43: ",
         "so the uniform's min must be too, got -0.1"},
        {P1("{dist: normal, mean: 0.5, sd: 0.1}"), NAME ":1:61: ",
         "`treatments.botox.p_first` must be in [0, 1], so a normal distribution needs mean - 8 sd (-0.3) and mean + 8 sd (1.3) inside that range (then the chance of a draw outside is below 1e-15); use a smaller sd, or beta, gamma or lognormal"},
        {"treatments: {botox: {session_cost: {dist: normal, mean: 100, sd: 20}}}\n", NAME ":1:66: ",
         "mean - 8 sd (-60)"},
        /* the mean is the base case: it must pass the parameter's own checks */
        {"treatments: {botox: {session_cost: {dist: gamma, shape: 1e7, scale: 1e6}}}\n", NAME ":1:36: ",
         "`treatments.botox.session_cost`: the mean of this gamma distribution is 10000000000000, but `treatments.botox.session_cost` must be in [0, 1000000000000] (the mean is the base-case value)"},
        {"treatments: {botox: {onset_days: {dist: uniform, min: 10, max: 30}, peak_days: 14}}\n", NAME ":1:80: ",
         "peak before onset (peak_days 14 < onset_days 20)"},
        {"cohort: {baseline_vas: {min: {dist: uniform, min: 6, max: 8}, max: 6.5}}\n", NAME ":1:68: ",
         "`cohort.baseline_vas`: min (7) must be less than max (6.5)"},
        /* values that take no distribution */
        {"economics: {wtp: [{dist: fixed, value: 1}]}\n", NAME ":1:19: ",
         "`economics.wtp[0]`: expected a number, got a distribution; `economics.wtp[0]` takes no distribution"},
        {"horizon_days: {dist: fixed, value: 100}\n", NAME ":1:15: ",
         "`horizon_days`: expected an integer, got a distribution"},
        {"seed: {dist: uniform, min: 1, max: 9}\n", NAME ":1:7: ", "`seed`: expected an unsigned 64-bit integer, got a distribution"},
        {"treatments: {botox: {adverse_events: {flu_like: {days: {dist: fixed, value: 2}}}}}\n", NAME ":1:56: ",
         "takes no distribution"},
        {"economics: {population: {dist: fixed, value: 2}}\n", NAME ":1:25: ", "`economics.population`: expected a number, got a distribution"},
        {"reference: {dist: fixed, value: 2}\n", NAME ":1:12: ", "`reference`: expected a name, got a distribution"},
    };
#undef P1
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error_pre(cases[i].prefix, cases[i].where, cases[i].phrase);
    expect_error("strategies: [{name: a, treatment: none, baseline_shift: {dist: gamma, shape: 1, scale: 1}}]\n",
                 NAME ":1:64: ",
                 "a gamma distribution takes values in (0, inf), but `strategies.a.baseline_shift` must be in [-10, 10]");
}

Test(scenario_psa, too_many_uncertain_parameters)
{
    /* 8 adverse events x 3 doubles on each of 5 treatments: 120 > PSIM_MAX_UNCERTAIN */
    size_t cap = 64 * 1024, o = 0;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    o += (size_t)snprintf(text + o, cap - o, "treatments:\n");
    for (int t = 0; t < 5; t++) {
        o += (size_t)snprintf(text + o, cap - o, "  t%d:\n    base: physio\n    adverse_events:\n", t);
        for (int a = 0; a < 8; a++)
            o += (size_t)snprintf(text + o, cap - o,
                                  "      ae%d: {p: {dist: beta, alpha: 1, beta: 99}, days: 1, "
                                  "utility_decrement: {dist: beta, alpha: 1, beta: 99}, "
                                  "cost: {dist: gamma, shape: 2, scale: 10}}\n",
                                  a);
    }
    o += (size_t)snprintf(text + o, cap - o, "strategies:\n");
    for (int t = 0; t < 5; t++)
        o += (size_t)snprintf(text + o, cap - o,
                              "  - {name: s%d, treatment: t%d, schedule: {days: [0]}}\n", t, t);
    /* the 97th in file order: treatment t4 (line 49), ae0, its p */
    expect_error(text, NAME ":49:16: ",
                 "`treatments.t4.adverse_events.ae0.p`: more than 96 parameters");
    /* four used treatments: 96 parameters are fine */
    char *four = strstr(text, "  - {name: s4");
    cr_assert_not_null(four);
    *four = '\0';
    psim_scenario *s = load_ok(text);
    cr_assert_eq(s->n_uncertain, PSIM_MAX_UNCERTAIN);
    check_round_trip(s);
    psim_scenario_destroy(s);
    free(text);
}

Test(scenario_psa, set_replaces_or_gives_a_distribution)
{
    /* a fixed value replaces the distribution and leaves the list */
    const char *set1[] = {"treatments.botox.p_first=0.3", "cohort.lumbar_levels=[0.2, 0.2, 0.2, 0.2, 0.2]",
                          "psa.evppi_groups={efficacy: [treatments.botox.p_persist]}"};
    psim_scenario *s = load_ok_set(UNC, set1, 3);
    SAME_D(s->treatments[0].p_first, 0.3, "p_first");
    SAME_D(s->cohort.lumbar_levels[2], 0.2, "lumbar_levels[2]");
    cr_assert_lt(uncertain_index(s, "treatments.botox.p_first"), 0);
    cr_assert_lt(uncertain_index(s, "cohort.lumbar_levels"), 0);
    cr_assert_eq(s->n_uncertain, 11);
    cr_assert_eq(s->psa.groups[0].n, 1);
    check_round_trip(s);
    psim_scenario_destroy(s);
    /* a flow mapping gives a distribution */
    const char *set2[] = {"treatments.botox.p_first={dist: beta, alpha: 40, beta: 35}",
                          "psa.iterations=10"};
    s = load_ok_set(BASE, set2, 2);
    cr_assert_eq(s->n_uncertain, 1);
    SAME_S(s->uncertain[0].name, "treatments.botox.p_first", "name");
    SAME_D(s->treatments[0].p_first, 40.0 / 75.0, "p_first");
    cr_assert_eq(s->uncertain[0].line, 1);
    cr_assert_eq(s->uncertain[0].column, 26, "column %d", s->uncertain[0].column);
    cr_assert_eq(s->psa.iterations, 10);
    check_round_trip(s);
    psim_scenario_destroy(s);
    /* errors in a --set distribution point into the argument */
    expect_set_error("treatments.botox.p_first={dist: gamma, shape: 2, scale: 0.1}",
                     "--set treatments.botox.p_first={dist: gamma, shape: 2, scale: 0.1}:1:33: ",
                     "a gamma distribution takes values in (0, inf)");
    expect_set_error("psa.iterations=5", "--set psa.iterations=5:1:16: ",
                     "`psa.iterations` is 5, but no parameter is given as a distribution");
}

Test(scenario_psa, psa_section_and_groups)
{
#define PSA(x) "psa: " x "\ntreatments: {botox: {p_first: {dist: beta, alpha: 40, beta: 35}, p_persist: {dist: beta, alpha: 8, beta: 2}}}\ncohort: {lumbar_levels: {dist: dirichlet, alpha: [1, 1, 1, 1, 1]}}\n"
    static const struct {
        const char *prefix, *where, *phrase;
    } cases[] = {
        {"psa: 5\n", NAME ":1:6: ", "`psa`: expected a mapping, got `5`"},
        {PSA("{iteration: 5}"), NAME ":1:7: ", "unknown key `iteration` in `psa`; did you mean `iterations`?"},
        {PSA("{iterations: -1}"), NAME ":1:19: ", "`psa.iterations` must be an integer in [0, 10000000], got -1"},
        {PSA("{iterations: 10000001}"), NAME ":1:19: ", "must be an integer in [0, 10000000], got 10000001"},
        {PSA("{iterations: 1.5}"), NAME ":1:19: ", "`psa.iterations`: expected an integer, got `1.5`"},
        {"psa: {iterations: 10}\n", NAME ":1:19: ",
         "`psa.iterations` is 10, but no parameter is given as a distribution"},
        {PSA("{patients: fresh}"), NAME ":1:17: ", "`psa.patients`: expected one of per_iteration, common, got `fresh`"},
        {PSA("{patients: comon}"), NAME ":1:17: ", "did you mean `common`?"},
        {PSA("{evppi_groups: [a]}"), NAME ":1:21: ", "`psa.evppi_groups`: expected a mapping, got a sequence"},
        {PSA("{evppi_groups: {g: treatments.botox.p_first}}"), NAME ":1:25: ",
         "`psa.evppi_groups.g`: expected a sequence, got `treatments.botox.p_first`"},
        {PSA("{evppi_groups: {g: []}}"), NAME ":1:25: ", "`psa.evppi_groups.g`: expected 1 to 4 parameter names, got an empty list"},
        {PSA("{evppi_groups: {g: [treatments.botox.p_frist]}}"), NAME ":1:26: ",
         "`psa.evppi_groups.g[0]`: `treatments.botox.p_frist` is not a parameter given as a distribution; did you mean `treatments.botox.p_first`?"},
        {PSA("{evppi_groups: {g: [cohort.myofascial]}}"), NAME ":1:26: ",
         "`cohort.myofascial` is not a parameter given as a distribution (those are: cohort.lumbar_levels, treatments.botox.p_first, treatments.botox.p_persist)"},
        {PSA("{evppi_groups: {g: [treatments.botox.p_first, treatments.botox.p_first]}}"), NAME ":1:52: ",
         "`psa.evppi_groups.g[1]`: `treatments.botox.p_first` is listed twice in group `g`"},
        {PSA("{evppi_groups: {g: [cohort.lumbar_levels, treatments.botox.p_first]}}"), NAME ":1:48: ",
         "a group takes at most 4 regression columns (one per parameter, a dirichlet of length n counts n - 1), group `g` would need 5"},
        {PSA("{evppi_groups: {g: [{a: 1}]}}"), NAME ":1:26: ", "expected the name of a parameter given as a distribution, got a mapping"},
        {PSA("{evppi_groups: {\"a b\": [cohort.lumbar_levels]}}"), NAME ":1:22: ", "`psa.evppi_groups`: expected a name"},
        {"economics: {population: -1}\n", NAME ":1:25: ", "`economics.population` must be in [0, 10000000000], got -1"},
        {"economics: {horizon_years: 0}\n", NAME ":1:28: ", "`economics.horizon_years` must be in (0, 100], got 0"},
        {"economics: {horizon_years: 101}\n", NAME ":1:28: ", "`economics.horizon_years` must be in (0, 100], got 101"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error_pre(cases[i].prefix, cases[i].where, cases[i].phrase);
    /* at most PSIM_MAX_EVPPI_GROUPS groups */
    char text[4096];
    size_t o = (size_t)snprintf(text, sizeof text, "psa: {evppi_groups: {");
    for (int g = 0; g <= PSIM_MAX_EVPPI_GROUPS; g++)
        o += (size_t)snprintf(text + o, sizeof text - o, "%sg%02d: [treatments.botox.p_first]", g ? ", " : "", g);
    snprintf(text + o, sizeof text - o, "}}\ntreatments: {botox: {p_first: {dist: beta, alpha: 1, beta: 1}}}\n");
    expect_error_pre(text, NAME ":1:", "`psa.evppi_groups`: at most 16 groups, got 17");
    /* psa: before the parameters it names; a group of four columns */
    psim_scenario *s = load_ok(PSA("{iterations: 7, patients: per_iteration, evppi_groups: {all: [cohort.lumbar_levels], two: [treatments.botox.p_persist, treatments.botox.p_first]}}") "strategies: [{name: b, treatment: botox, schedule: {days: [0]}}]\n");
    cr_assert_eq(s->psa.iterations, 7);
    cr_assert_eq(s->psa.common_patients, 0);
    cr_assert_eq(s->psa.n_groups, 2);
    SAME_S(s->psa.groups[0].name, "all", "group");
    cr_assert_eq(s->psa.groups[0].n, 1);
    cr_assert_eq(s->psa.groups[0].param[0], 0); /* sorted: lumbar_levels, p_first, p_persist */
    cr_assert_eq(s->psa.groups[1].n, 2);
    cr_assert_eq(s->psa.groups[1].param[0], 2);
    cr_assert_eq(s->psa.groups[1].param[1], 1);
    check_round_trip(s);
    psim_scenario_destroy(s);
#undef PSA
}

/* An empirical distribution's file that is a FIFO (or a device) is refused at
 * once instead of blocking the loader on open or read. */
Test(scenario_file, empirical_file_must_be_regular, .timeout = 30)
{
    char dir[128], fifo[192], scn[192];
    snprintf(dir, sizeof dir, "/tmp/painsim-fifo-%ld", (long)getpid());
    snprintf(fifo, sizeof fifo, "%s/draws.csv", dir);
    snprintf(scn, sizeof scn, "%s/scn.yaml", dir);
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    FILE *fp = fopen(scn, "w");
    cr_assert(fp);
    fputs("patients: 20\nhorizon_days: 60\n"
          "treatments:\n  botox:\n    p_first: {dist: empirical, file: draws.csv, column: p}\n"
          "strategies:\n  - {name: b, treatment: botox, schedule: {days: [0]}}\n"
          "  - {name: sc, treatment: none}\nreference: sc\n",
          fp);
    cr_assert_eq(fclose(fp), 0);
    psim_scenario *s = NULL;
    psim_error err;
    psim_status st = psim_scenario_load(scn, NULL, 0, &s, &err);
    unlink(fifo);
    unlink(scn);
    rmdir(dir);
    cr_assert_eq(st, PSIM_ERR_INPUT);
    cr_assert_null(s);
    cr_assert_eq(err.line, 5);
    cr_assert(strstr(err.message, "draws.csv is not a regular file") != NULL, "%s", err.message);
}
