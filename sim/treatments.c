/* Built-in treatments: the defaults of MODEL.md section 3, one table row each. */
#include <string.h>

#include "painsim/scenario.h"

const char *const psim_contra_names[PSIM_N_CONTRA] = {
#define PSIM_X_NAME(name, p) #name,
    PSIM_CONTRA_LIST(PSIM_X_NAME)
#undef PSIM_X_NAME
};

const char *const psim_builtin_treatment_names[] = {
    "botox", "placebo", "none", "steroid_bupivacaine", "lidocaine_tpi", "physio", NULL,
};

static void add_ae(psim_treatment *t, const char *name, double p, int days)
{
    psim_ae_spec *ae = &t->ae[t->n_ae++];
    memset(ae, 0, sizeof *ae);
    strncpy(ae->name, name, sizeof ae->name - 1);
    ae->p = p;
    ae->days = days;
}

static void set_common(psim_treatment *t, const char *name, int injection, double p_first,
                       double p_persist, double p_recover, double resp_mean, double resp_sd,
                       double non_mean, double non_sd, double onset, double peak,
                       double dur_median, double dur_sigma, double half_life)
{
    memset(t, 0, sizeof *t);
    strncpy(t->name, name, sizeof t->name - 1);
    strncpy(t->base, name, sizeof t->base - 1);
    t->injection = injection;
    t->p_first = p_first;
    t->p_persist = p_persist;
    t->p_recover = p_recover;
    t->relief_responder.mean = resp_mean;
    t->relief_responder.sd = resp_sd;
    t->relief_non_responder.mean = non_mean;
    t->relief_non_responder.sd = non_sd;
    t->onset_days = onset;
    t->peak_days = peak;
    t->duration_median_days = dur_median;
    t->duration_sigma = dur_sigma;
    t->half_life_days = half_life;
}

int psim_treatment_builtin(const char *name, psim_treatment *t)
{
    if (!name || !t)
        return 0;
    if (strcmp(name, "botox") == 0) {
        /* onabotulinumtoxinA, paraspinal: p_first 0.55 calibrated to Jabbari 2006 (open label);
         * p_persist 0.97 to Jabbari's 91% of first responders over up to 3 later series. */
        set_common(t, name, 1, 0.55, 0.97, 0.05, 0.70, 0.10, 0.15, 0.10, 3, 21, 90, 0.5, 14);
        t->antibody_risk = 0.003;
        t->units_per_level = 50;
        t->max_units_per_session = 500;
        t->min_interval_days = 84;
        add_ae(t, "flu_like", 0.05, 4);  /* ~5%; Jabbari 4%, 2-5 days */
        add_ae(t, "local", 0.125, 7);    /* De Andres 2003: P(any) ~ 0.169; duration [asm] */
        return 1;
    }
    if (strcmp(name, "placebo") == 0) {
        set_common(t, name, 1, 0.25, 0.5, 0.1, 0.60, 0.08, 0.10, 0.08, 1, 7, 50, 0.5, 10);
        return 1;
    }
    if (strcmp(name, "none") == 0) {
        /* Standard care without injections: gives no sessions at all. */
        set_common(t, name, 0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0, 0, 1, 0.0, 1);
        return 1;
    }
    if (strcmp(name, "steroid_bupivacaine") == 0) {
        set_common(t, name, 1, 0.55, 0.8, 0.1, 0.65, 0.10, 0.15, 0.10, 1, 7, 35, 0.5, 10);
        add_ae(t, "local", 0.05, 7);
        return 1;
    }
    if (strcmp(name, "lidocaine_tpi") == 0) {
        set_common(t, name, 1, 0.40, 0.8, 0.1, 0.60, 0.10, 0.10, 0.08, 0, 1, 14, 0.5, 5);
        t->min_interval_days = 7;
        add_ae(t, "vasovagal_syncope", 0.01, 1);
        add_ae(t, "hematoma", 0.02, 7);
        add_ae(t, "pneumothorax", 0.0005, 14);
        add_ae(t, "needle_breakage", 0.0001, 1);
        return 1;
    }
    if (strcmp(name, "physio") == 0) {
        /* One course: later sessions follow the chain with p_persist/p_recover [asm]. */
        set_common(t, name, 0, 0.40, 0.8, 0.1, 0.60, 0.10, 0.10, 0.08, 7, 42, 90, 0.5, 21);
        return 1;
    }
    return 0;
}

int psim_schedule_planned_days(const psim_schedule *s, int *days, int cap)
{
    int n = 0;
    if (s->kind == PSIM_SCHEDULE_DAYS) {
        for (int j = 0; j < s->n_days && n < cap; j++)
            days[n++] = s->days[j];
    } else {
        for (int j = 0; j < s->sessions && n < cap; j++)
            days[n++] = s->start_day + j * s->every_days;
    }
    return n;
}
