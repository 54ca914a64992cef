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

static void add_ae(psim_treatment *t, const char *name, double p, int days, double decrement, double cost)
{
    psim_ae_spec *ae = &t->ae[t->n_ae++];
    memset(ae, 0, sizeof *ae);
    strncpy(ae->name, name, sizeof ae->name - 1);
    ae->p = p;
    ae->days = days;
    ae->utility_decrement = decrement;
    ae->cost = cost;
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
        /* Clinic price list (RUB) [src]: 380 per unit; 50 U 14,900; 100 U 19,900; 150 U 29,900. */
        t->price.model = PSIM_PRICE_PACKAGES;
        t->price.per_unit = 380;
        t->price.n_packages = 3;
        t->price.package_units[0] = 50;
        t->price.package_price[0] = 14900;
        t->price.package_units[1] = 100;
        t->price.package_price[1] = 19900;
        t->price.package_units[2] = 150;
        t->price.package_price[2] = 29900;
        t->price.vial_units = 100;   /* used by price model `vials` only */
        /* USD 600 per 100 U vial [src: German article], at 90 RUB per USD [asm] */
        t->price.vial_price = 54000;
        t->session_cost = 3000;      /* visit and injection [asm] */
        /* ~5%; Jabbari 4%, 2-5 days [src]; decrements and costs [asm] */
        add_ae(t, "flu_like", 0.05, 4, 0.10, 1000);
        /* De Andres 2003: P(any) ~ 0.169 [src]; duration, decrement [asm] */
        add_ae(t, "local", 0.125, 7, 0.02, 0);
        return 1;
    }
    if (strcmp(name, "placebo") == 0) {
        set_common(t, name, 1, 0.25, 0.5, 0.1, 0.60, 0.08, 0.10, 0.08, 1, 7, 50, 0.5, 10);
        t->session_cost = 3000; /* the same visit with saline [asm] */
        return 1;
    }
    if (strcmp(name, "none") == 0) {
        /* Standard care without injections: gives no sessions at all. */
        set_common(t, name, 0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0, 0, 1, 0.0, 1);
        return 1;
    }
    if (strcmp(name, "steroid_bupivacaine") == 0) {
        set_common(t, name, 1, 0.55, 0.8, 0.1, 0.65, 0.10, 0.15, 0.10, 1, 7, 35, 0.5, 10);
        t->session_cost = 4000; /* methylprednisolone, bupivacaine and the visit [asm] */
        add_ae(t, "local", 0.05, 7, 0.02, 0);
        return 1;
    }
    if (strcmp(name, "lidocaine_tpi") == 0) {
        set_common(t, name, 1, 0.40, 0.8, 0.1, 0.60, 0.10, 0.10, 0.08, 0, 1, 14, 0.5, 5);
        t->min_interval_days = 7;
        t->session_cost = 2500; /* lidocaine 20 mg/ml and the visit [asm] */
        /* complications: list [src: review]; rates, durations, decrements, costs [asm] */
        add_ae(t, "vasovagal_syncope", 0.01, 1, 0.05, 2000);
        add_ae(t, "hematoma", 0.02, 7, 0.01, 500);
        add_ae(t, "pneumothorax", 0.0005, 14, 0.20, 150000);
        add_ae(t, "needle_breakage", 0.0001, 1, 0.05, 30000);
        return 1;
    }
    if (strcmp(name, "physio") == 0) {
        /* One course: later sessions follow the chain with p_persist/p_recover [asm]. */
        set_common(t, name, 0, 0.40, 0.8, 0.1, 0.60, 0.10, 0.10, 0.08, 7, 42, 90, 0.5, 21);
        t->session_cost = 25000; /* one course of about 10 sessions [asm] */
        return 1;
    }
    return 0;
}

void psim_economics_default(psim_economics *e)
{
    static const double wtp[] = {0, 250000, 500000, 1000000, 1500000, 2000000, 2500000, 3000000};
    memset(e, 0, sizeof *e);
    strncpy(e->currency, "RUB", sizeof e->currency - 1);
    e->discount_costs = 0.035;  /* NICE convention [asm] */
    e->discount_qalys = 0.035;
    e->utility_u0 = 0.80;       /* [asm] */
    e->utility_slope = -0.041;  /* EQ-5D-3L per cm of VAS, chronic LBP [src] */
    e->utility_min = -0.594;    /* EQ-5D-3L floor */
    e->utility_max = 1.0;
    e->population = 0.0;        /* not given: population EVPI is not reported */
    e->horizon_years = 10.0;    /* years the decision holds [asm] */
    e->n_wtp = (int)(sizeof wtp / sizeof wtp[0]);
    for (int k = 0; k < e->n_wtp; k++)
        e->wtp[k] = wtp[k];
}

int psim_schedule_planned_days(const psim_schedule *s, int *days, int cap)
{
    int n = 0;
    if (s->kind == PSIM_SCHEDULE_RELAPSE) {
        /* the first session only: later ones follow the patient's VAS */
        if (cap > 0)
            days[n++] = s->start_day;
    } else if (s->kind == PSIM_SCHEDULE_DAYS) {
        for (int j = 0; j < s->n_days && n < cap; j++)
            days[n++] = s->days[j];
    } else {
        for (int j = 0; j < s->sessions && n < cap; j++)
            days[n++] = s->start_day + j * s->every_days;
    }
    return n;
}
