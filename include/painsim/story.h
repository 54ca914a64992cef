/*
 * painsim/story.h: one patient's story under one strategy (painsim explain).
 *
 * psim_story_make simulates a single patient of a scenario exactly as a full
 * run does (the same keyed streams: iteration 0, the patient's index), and
 * keeps what a run only summarises: why the patient is or is not eligible,
 * each session's latent response, relief, duration, adverse events and
 * costs, and the effect E(t) and VAS(t) on every day.  Because every draw is
 * keyed by (seed, patient, purpose, index), the story equals that patient's
 * row of a run's /cohort and /strategies/<name> datasets, whatever the
 * cohort size or thread count.
 *
 * A psim_story is plain data owned by the caller (psim_story_destroy, which
 * accepts NULL).  Printing is in sim/output/story_print.c.
 */
#ifndef PAINSIM_STORY_H
#define PAINSIM_STORY_H

#include <stdint.h>
#include <stdio.h>

#include "painsim/error.h"
#include "painsim/model.h"
#include "painsim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psim_story {
    int64_t patient;            /* row in the cohort, 0-based */
    int strategy;               /* index into the scenario's strategies */
    psim_patient who;           /* baseline attributes (MODEL.md section 2) */
    double baseline;            /* B under this strategy (baseline_shift applied, clamped to [0, 10]), cm */
    int treated;                /* got the strategy's own treatment (else its fallback) */
    int treatment;              /* index of the treatment given: own or fallback */
    int n_sessions;
    int32_t session_day[PSIM_MAX_SESSIONS];
    int8_t latent[PSIM_MAX_SESSIONS];   /* R_j */
    int8_t observed[PSIM_MAX_SESSIONS]; /* VAS <= B/2 assess_after_days later; -1 past the horizon */
    psim_session_info info[PSIM_MAX_SESSIONS];
    int n_ae;                   /* adverse-event kinds of the strategy */
    uint16_t ae_count[PSIM_MAX_STRATEGY_AE];
    uint32_t units;             /* total dose, U */
    int antibody;               /* turned antibody-positive */
    double cost;                /* discounted cost over the horizon, scenario currency */
    double qaly;                /* discounted QALYs over the horizon */
    int horizon_days;
    double *effect;             /* [horizon_days] E(t), fraction of B */
    double *vas;                /* [horizon_days] VAS(t), cm */
    double *noise;              /* [horizon_days] the AR(1) noise eps(t), cm */
} psim_story;

/* Simulate patient `patient` (0 <= patient < scn->patients) under strategy
 * `strategy` of scn.  *out is a new story (psim_story_destroy).  A patient
 * outside the cohort or a strategy out of range is PSIM_ERR_USAGE. */
psim_status psim_story_make(const psim_scenario *scn, int strategy, int64_t patient, psim_story **out,
                            psim_error *err) PSIM_MUST_CHECK;
void psim_story_destroy(psim_story *s);

/* Name of adverse-event kind k of the story's strategy (never NULL). */
const char *psim_story_ae_name(const psim_scenario *scn, const psim_story *s, int k);

typedef enum {
    PSIM_STORY_TEXT = 0, /* for a person: sections with units on every number */
    PSIM_STORY_JSON = 1  /* keys documented in sim/output/story_print.c */
} psim_story_format;

/* Print the story; `days` (n_days of them, each < horizon_days) are the key
 * days of the effect and VAS section (NULL: psim_report_key_days). */
psim_status psim_story_print(const psim_scenario *scn, const psim_story *s, psim_story_format fmt,
                             const int *days, int n_days, FILE *fp, psim_error *err) PSIM_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
