/* One patient's story under one strategy: the model run for a single
 * patient, keeping what a cohort run only summarises (painsim explain). */
#include "painsim/story.h"

#include <stdlib.h>
#include <string.h>

psim_status psim_story_make(const psim_scenario *scn, int strategy, int64_t patient, psim_story **out,
                            psim_error *err)
{
    *out = NULL;
    if (strategy < 0 || strategy >= scn->n_strategies)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "no strategy %d in scenario `%s` (it has %d)",
                              strategy, scn->name, scn->n_strategies);
    if (patient < 0 || patient >= scn->patients)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                              "patient %lld is not in the cohort of scenario `%s`: patients are numbered 0 to "
                              "%lld (the rows of /cohort in its file)",
                              (long long)patient, scn->name, (long long)scn->patients - 1);
    psim_model *m = NULL;
    psim_status st = psim_model_create(scn, &m, err);
    if (st != PSIM_OK)
        return st;
    const size_t H = (size_t)scn->horizon_days;
    psim_story *s = calloc(1, sizeof *s);
    if (s) {
        s->effect = malloc(H * sizeof *s->effect);
        s->vas = malloc(H * sizeof *s->vas);
        s->noise = malloc(H * sizeof *s->noise);
    }
    if (!s || !s->effect || !s->vas || !s->noise) {
        psim_story_destroy(s);
        psim_model_destroy(m);
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for one patient's story");
    }
    s->patient = patient;
    s->strategy = strategy;
    s->horizon_days = scn->horizon_days;
    /* the same calls, keys and iteration (0) as a cohort run (sim/model/run.c) */
    psim_cohort_draw(m, 0, patient, &s->who);
    psim_noise_path(m, 0, patient, s->noise);
    psim_patient_out po;
    memset(&po, 0, sizeof po);
    po.session_day = s->session_day;
    po.latent = s->latent;
    po.observed = s->observed;
    po.ae_count = s->ae_count;
    po.effect = s->effect;
    po.vas = s->vas;
    po.info = s->info;
    psim_simulate_patient(m, strategy, 0, patient, &s->who, s->noise, &po);
    s->n_ae = psim_model_n_ae(m, strategy);
    s->treated = po.treated;
    s->n_sessions = po.sessions;
    s->units = po.units;
    s->antibody = po.antibody;
    s->cost = po.cost;
    s->qaly = po.qaly;
    const psim_strategy *str = &scn->strategies[strategy];
    s->treatment = po.treated ? str->treatment_index : str->fallback_index;
    double B = s->who.baseline_vas + str->baseline_shift;
    s->baseline = B < 0.0 ? 0.0 : (B > 10.0 ? 10.0 : B);
    psim_model_destroy(m);
    *out = s;
    return PSIM_OK;
}

void psim_story_destroy(psim_story *s)
{
    if (!s)
        return;
    free(s->effect);
    free(s->vas);
    free(s->noise);
    free(s);
}

const char *psim_story_ae_name(const psim_scenario *scn, const psim_story *s, int k)
{
    /* the strategy's kinds: its own treatment's, then the fallback's new names
     * (the order of psim_model_ae_name) */
    const psim_strategy *str = &scn->strategies[s->strategy];
    const psim_treatment *own = &scn->treatments[str->treatment_index];
    const psim_treatment *fb = &scn->treatments[str->fallback_index];
    int n = 0;
    for (int i = 0; i < own->n_ae; i++, n++)
        if (n == k)
            return own->ae[i].name;
    for (int i = 0; i < fb->n_ae; i++) {
        int seen = 0;
        for (int j = 0; j < own->n_ae; j++)
            seen |= strcmp(own->ae[j].name, fb->ae[i].name) == 0;
        if (seen)
            continue;
        if (n == k)
            return fb->ae[i].name;
        n++;
    }
    return "?";
}
