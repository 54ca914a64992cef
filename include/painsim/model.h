/*
 * painsim/model.h: one virtual patient under one strategy (MODEL.md sections 1-4).
 *
 * The model is evaluated patient by patient: psim_cohort_draw gives the
 * baseline attributes, psim_noise_path the AR(1) noise path, and
 * psim_simulate_patient runs one strategy day by day over the horizon.  All
 * draws come from streams keyed by (seed, iteration, patient, purpose, index),
 * so a patient's baseline, noise path and the uniforms behind session j are the
 * same in every strategy (common random numbers) and do not depend on which
 * thread does the work.
 *
 * A psim_model is built once from a validated scenario (derived constants such
 * as Beta shape parameters and planned session days); it is read-only
 * afterwards and may be shared by threads.  Output buffers belong to the caller.
 */
#ifndef PAINSIM_MODEL_H
#define PAINSIM_MODEL_H

#include <stdint.h>

#include "painsim/error.h"
#include "painsim/rng.h"
#include "painsim/scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Baseline attributes of one patient, identical across strategies. */
typedef struct psim_patient {
    double baseline_vas;          /* B, cm on the 0-10 VAS */
    double pain_duration_months;  /* months */
    uint8_t lumbar_levels;        /* 1..5 */
    uint8_t myofascial;           /* 0/1 */
    uint8_t contraindication[PSIM_N_CONTRA]; /* 0/1 each */
    uint8_t aspirin_recent;       /* 0/1 */
    uint8_t eligible;             /* myofascial and no contraindication */
} psim_patient;

/* Event kinds in the per-strategy events table; adverse-event kind k of the
 * strategy is PSIM_EVENT_AE0 + k. */
enum {
    PSIM_EVENT_SESSION = 0,
    PSIM_EVENT_ANTIBODY = 1,
    PSIM_EVENT_AE0 = 2
};

#define PSIM_MAX_STRATEGY_AE (2 * PSIM_MAX_AE)

typedef struct psim_event {
    int64_t patient;
    int32_t day;
    int16_t session;  /* 1-based session number */
    uint8_t kind;     /* PSIM_EVENT_* */
} psim_event;

/* The draws behind the sessions of one patient, kept while the patient is
 * simulated under several strategies.  The uniforms and the normal at fixed
 * positions of session j's stream are the same in every strategy (common
 * random numbers), and so is the relief drawn after them by the same
 * treatment for the same response; a strategy that reaches session j reuses
 * them instead of drawing them again.  Contents are private to the model;
 * the caller owns the struct and calls psim_session_draws_reset before each
 * patient (and whenever the model changes). */
typedef struct psim_session_draws {
    const void *model;
    uint64_t iteration;
    int64_t patient;
    uint64_t key;                           /* psim_rng_key_purpose of the patient's key, for sessions */
    int n;                                  /* sessions whose fixed draws are kept */
    double u_resp[PSIM_MAX_SESSIONS], u_ab[PSIM_MAX_SESSIONS], z_dur[PSIM_MAX_SESSIONS];
    double u_ae[PSIM_MAX_SESSIONS][PSIM_MAX_AE];
    psim_rng rest[PSIM_MAX_SESSIONS];       /* the stream after the fixed draws */
    int rho_treatment[PSIM_MAX_SESSIONS][2]; /* [j][response]: treatment of rho, -1: none */
    double rho[PSIM_MAX_SESSIONS][2];
    int dur_treatment[PSIM_MAX_SESSIONS];    /* treatment of dur and decay0, -1: none */
    double dur[PSIM_MAX_SESSIONS];          /* the session's duration D, days */
    double decay0[PSIM_MAX_SESSIONS];       /* 2^-((ceil(D) - D) / half_life): its tail's first day */
} psim_session_draws;

void psim_session_draws_reset(psim_session_draws *d);

/* What happened at one session, for telling one patient's story
 * (psim_patient_out.info; painsim explain). */
typedef struct psim_session_info {
    int treatment;          /* index into the scenario's treatments: the strategy's own or its fallback */
    double p_response;      /* P(R_j = 1) of this session: p_first, p_persist or p_recover (0 after antibodies) */
    double relief;          /* rho_j, fraction of B removed at full effect */
    double duration_days;   /* D_j, days of full effect (the log-normal draw, floored at peak_days) */
    uint32_t units;         /* dose of this session, U */
    double drug_cost;       /* currency, undiscounted */
    double session_cost;    /* currency, undiscounted */
    double ae_cost;         /* currency, undiscounted: the adverse events of this session */
    double cost_discounted; /* currency: the three above, discounted to day 0 */
    double qaly_loss;       /* QALY: discounted utility decrements of this session's adverse events */
    uint32_t ae_mask;       /* bit k: adverse-event kind k of the strategy happened */
    uint8_t antibody;       /* turned antibody-positive at this session */
} psim_session_info;

/* What psim_simulate_patient reports for one patient under one strategy.
 * The caller provides the arrays (sizes in comments). */
typedef struct psim_patient_out {
    uint8_t *vas_mm;        /* [n_recorded] VAS in mm, or NULL to skip */
    int32_t *session_day;   /* [max_sessions], -1 where no session */
    int8_t *latent;         /* [max_sessions] R_j, -1 where no session */
    int8_t *observed;       /* [max_sessions] observed response assess_after_days after session j, -1 if not assessed */
    uint16_t *ae_count;     /* [n_ae of the strategy] events per kind */
    uint8_t treated;        /* received the strategy's own treatment */
    uint8_t sessions;       /* sessions given */
    uint8_t antibody;       /* turned antibody-positive */
    uint32_t units;         /* total dose, U */
    double cost;            /* discounted cost over the horizon, scenario currency */
    double qaly;            /* discounted QALYs over the horizon */
    /* [horizon] doubles: the effect E(t), a work array (required), and VAS(t)
     * in cm on every day after the call (NULL: not kept). */
    double *effect;
    double *vas;
    /* 1: the caller does not read `effect` after the call, so a strategy
     * that gives this patient no session may leave it untouched (E is 0). */
    int effect_scratch;
    /* Per-day sums for the summaries (each [horizon], added to, may be NULL).
     * A patient is added to the treated sums (the trial denominator) or to the
     * untreated ones; the sums over all patients are their total. */
    double *sum_vas_treated, *sumsq_vas_treated;
    uint32_t *responders_treated; /* count of VAS(t) <= B/2 among the treated */
    double *sum_vas_untreated, *sumsq_vas_untreated;
    /* Events, appended through this callback when not NULL. */
    void (*event)(void *ctx, const psim_event *ev);
    void *event_ctx;
    /* The adverse-event decrements of the QALYs (qaly is net of them). */
    double qaly_loss;
    /* Session draws shared by the strategies of one patient, or NULL. */
    psim_session_draws *draws;
    /* [max_sessions] what happened at each session, or NULL. */
    psim_session_info *info;
} psim_patient_out;

typedef struct psim_model psim_model;

/* Build the derived model constants.  *out is owned by the caller (destroy). */
psim_status psim_model_create(const psim_scenario *scn, psim_model **out,
                              psim_error *err) PSIM_MUST_CHECK;
void psim_model_destroy(psim_model *m);

const psim_scenario *psim_model_scenario(const psim_model *m);
int psim_model_n_recorded(const psim_model *m);        /* recorded days */
int psim_model_recorded_day(const psim_model *m, int r);
int psim_model_max_sessions(const psim_model *m, int strategy);
int psim_model_n_ae(const psim_model *m, int strategy); /* AE kinds of a strategy */
const char *psim_model_ae_name(const psim_model *m, int strategy, int k);

/* Draw patient `patient`'s baseline attributes for PSA iteration `iteration`. */
void psim_cohort_draw(const psim_model *m, uint64_t iteration, int64_t patient, psim_patient *p);

/* The AR(1) noise path eps[0..horizon-1], cm. */
void psim_noise_path(const psim_model *m, uint64_t iteration, int64_t patient, double *eps);
/* psim_noise_path for two patients at once, the same paths bit for bit
 * (the two recursions overlap: faster than two calls). */
void psim_noise_path2(const psim_model *m, uint64_t iteration, int64_t patient0, double *eps0, int64_t patient1,
                      double *eps1);

/* Simulate one strategy for one patient over the horizon (MODEL.md section 1 order). */
void psim_simulate_patient(const psim_model *m, int strategy, uint64_t iteration, int64_t patient,
                           const psim_patient *p, const double *eps, psim_patient_out *out);

/* Which day loops psim_simulate_patient uses: 0 the portable ones, 1 AVX2,
 * 2 AVX-512, the best the CPU has (chosen when the model is built); the
 * results are the same bits whichever it is.  psim_model_set_simd lowers the
 * level (for the tests that compare them, and for measuring). */
int psim_model_simd(const psim_model *m);
void psim_model_set_simd(psim_model *m, int level);

#ifdef __cplusplus
}
#endif
#endif
