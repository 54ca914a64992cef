/* Running a scenario: blocks of patients over OpenMP threads, written in order. */
#include "painsim/run.h"

#include <errno.h>
#include <stdatomic.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "model/block.h"
#include "output/h5out.h"
#include "output/outfile.h"
#include "painsim/model.h"
#include "painsim/report.h"

psim_run_options psim_run_options_default(void)
{
    psim_run_options o;
    memset(&o, 0, sizeof o);
    return o;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- block buffers ---------------------------------------------------- */

typedef struct run_ctx {
    volatile sig_atomic_t *cancel;
    const psim_scenario *scn;
    const psim_model *m;
    int H, R, bs;
    int trajectories;
} run_ctx;

static void block_free(psim_block *b, int n_strategies)
{
    if (!b)
        return;
    free(b->baseline_vas);
    free(b->pain_duration_months);
    free(b->lumbar_levels);
    free(b->myofascial);
    free(b->aspirin_recent);
    free(b->eligible);
    for (int k = 0; k < PSIM_N_CONTRA; k++)
        free(b->contra[k]);
    free(b->eps);
    free(b->eps_next);
    free(b->effect);
    for (int s = 0; s < n_strategies; s++) {
        strat_block *sb = &b->s[s];
        free(sb->vas_mm);
        free(sb->treated);
        free(sb->sessions);
        free(sb->antibody);
        free(sb->units);
        free(sb->session_day);
        free(sb->cost);
        free(sb->qaly);
        free(sb->latent);
        free(sb->observed);
        free(sb->ae_count);
        free(sb->events);
        free(sb->vas_u_sum);
        free(sb->vas_u_sumsq);
        free(sb->vas_t_sum);
        free(sb->vas_t_sumsq);
        free(sb->responders);
    }
    memset(b, 0, sizeof *b);
}

static int block_alloc(psim_block *b, const run_ctx *c)
{
    size_t bs = (size_t)c->bs, H = (size_t)c->H;
    memset(b, 0, sizeof *b);
    int ok = 1;
#define ALLOC(p, n) ok &= ((p) = calloc((size_t)(n) > 0 ? (size_t)(n) : 1u, sizeof *(p))) != NULL
    ALLOC(b->baseline_vas, bs);
    ALLOC(b->pain_duration_months, bs);
    ALLOC(b->lumbar_levels, bs);
    ALLOC(b->myofascial, bs);
    ALLOC(b->aspirin_recent, bs);
    ALLOC(b->eligible, bs);
    for (int k = 0; k < PSIM_N_CONTRA; k++)
        ALLOC(b->contra[k], bs);
    ALLOC(b->eps, H);
    ALLOC(b->eps_next, H);
    ALLOC(b->effect, H);
    for (int s = 0; s < c->scn->n_strategies; s++) {
        strat_block *sb = &b->s[s];
        size_t M = (size_t)psim_model_max_sessions(c->m, s);
        size_t nae = (size_t)psim_model_n_ae(c->m, s);
        if (c->trajectories)
            ALLOC(sb->vas_mm, bs * (size_t)c->R + PSIM_BLOCK_CHUNK_SLACK);
        ALLOC(sb->treated, bs);
        ALLOC(sb->sessions, bs);
        ALLOC(sb->antibody, bs);
        ALLOC(sb->units, bs);
        ALLOC(sb->session_day, bs * M);
        ALLOC(sb->cost, bs);
        ALLOC(sb->qaly, bs);
        ALLOC(sb->latent, bs * M);
        ALLOC(sb->observed, bs * M);
        ALLOC(sb->ae_count, bs * nae);
        ALLOC(sb->vas_u_sum, H);
        ALLOC(sb->vas_u_sumsq, H);
        ALLOC(sb->vas_t_sum, H);
        ALLOC(sb->vas_t_sumsq, H);
        ALLOC(sb->responders, H);
    }
#undef ALLOC
    if (!ok)
        block_free(b, c->scn->n_strategies);
    return ok;
}

/* Keep in step with block_alloc above and the slot count in psim_run. */
psim_status psim_memory_estimate_run(const psim_scenario *scn, int threads, int write_file, psim_memory_estimate *out,
                                     psim_error *err)
{
    memset(out, 0, sizeof *out);
    psim_model *m = NULL;
    psim_status st = psim_model_create(scn, &m, err);
    if (st != PSIM_OK)
        return st;
    if (threads < 1)
        threads = omp_get_max_threads();
    if (threads < 1)
        threads = 1;
    const double H = scn->horizon_days, R = psim_model_n_recorded(m), S = scn->n_strategies;
    const double bs = scn->block_size;
    const int trajectories = scn->output.trajectories && write_file;
    /* measured: a run of 100 patients peaks at about 25 MiB */
    out->program = 24.0 * 1048576.0;
    if (scn->psa.iterations > 0) {
        /* sim/model/psa.c: per-thread scratch, the sums of a group of
         * iterations (about 4 096 items), the sample and the analysis (NMB at
         * every WTP, the EVPPI regressions); an upper bound on the columns. */
        const double I = scn->psa.iterations, W = scn->economics.n_wtp, C = 64;
        const double nb = ceil((double)scn->patients / bs);
        double G = floor(4096.0 / nb);
        G = G < 1 ? 1 : G > 64 ? 64 : G > I ? I : G;
        out->blocks = threads * (S * H * 8 + 2 * H * 8 + S * 64);
        /* the analysis: measured 78 MiB peak for scenarios/psa_default.yaml
         * (I = 1000, 7 strategies, 8 WTP values, 23 columns) */
        out->summaries = G * nb * S * 11 * 8 + G * (double)(sizeof(psim_scenario) + 65536) + I * (C * 8 + S * 8 * 8) +
                         I * (4 * S * (W > 0 ? W : 1) * 8 + 4096 * 8);
        out->writer = write_file ? 4.0 * 1048576.0 : 0.0;
    } else {
        /* eps, eps_next and effect: three [H] doubles */
        double per = (double)sizeof(psim_block) + bs * (8 + 8 + 4 + PSIM_N_CONTRA) + 3 * H * 8;
        for (int s = 0; s < scn->n_strategies; s++) {
            double M = psim_model_max_sessions(m, s), nae = psim_model_n_ae(m, s);
            per += (trajectories ? bs * R + PSIM_BLOCK_CHUNK_SLACK : 0) + bs * (1 + 1 + 1 + 4 + 8 + 8) + bs * M * (4 + 1 + 1) + bs * nae * 2 +
                   H * (4 * 8 + 4) + bs * M * (double)sizeof(psim_event);
        }
        double n_blocks = ceil((double)scn->patients / bs);
        double batch = 2.0 * threads < n_blocks ? 2.0 * threads : n_blocks;
        out->per_block = per;
        out->slots = (int)(2 * batch);
        out->blocks = per * out->slots;
        out->summaries = S * 5 * H * 8 + S * (double)sizeof(psim_strategy_summary);
        /* the metadata cache (at most 4 MiB) and, per chunk written, the
         * compression and checksum filters' copies of it */
        out->writer = write_file ? 4.0 * 1048576.0 + 3 * bs * (trajectories ? R : 8) : 0.0;
    }
    out->total = out->program + out->blocks + out->summaries + out->writer;
    psim_model_destroy(m);
    return PSIM_OK;
}

static void push_event(void *ctx, const psim_event *ev)
{
    strat_block *sb = ctx;
    if (sb->n_events == sb->cap_events) {
        size_t cap = sb->cap_events ? 2 * sb->cap_events : 1024;
        psim_event *p = realloc(sb->events, cap * sizeof *p);
        if (!p) {
            sb->events_oom = 1;
            return;
        }
        sb->events = p;
        sb->cap_events = cap;
    }
    /* field by field: the event was just built on the caller's stack with
     * narrower stores than a whole-struct copy would load them with (a
     * store-forwarding stall on every event) */
    psim_event *d = &sb->events[sb->n_events++];
    d->patient = ev->patient;
    d->day = ev->day;
    d->session = ev->session;
    d->kind = ev->kind;
}

/* Simulate patients [first, first + n) into b.  Runs on any thread; touches only b. */
static void simulate_block(const run_ctx *c, psim_block *b, int64_t first, int n)
{
    const psim_model *m = c->m;
    const int H = c->H, R = c->R, S = c->scn->n_strategies;
    b->first = first;
    b->n = n;
    b->eligible_n = 0;
    for (int s = 0; s < c->scn->n_strategies; s++) {
        strat_block *sb = &b->s[s];
        int nae = psim_model_n_ae(m, s);
        memset(sb->vas_u_sum, 0, (size_t)H * sizeof *sb->vas_u_sum);
        memset(sb->vas_u_sumsq, 0, (size_t)H * sizeof *sb->vas_u_sumsq);
        memset(sb->vas_t_sum, 0, (size_t)H * sizeof *sb->vas_t_sum);
        memset(sb->vas_t_sumsq, 0, (size_t)H * sizeof *sb->vas_t_sumsq);
        memset(sb->responders, 0, (size_t)H * sizeof *sb->responders);
        sb->n_events = 0;
        sb->events_oom = 0;
        sb->treated_n = sb->with_session = sb->first_responders = 0;
        sb->persist_den = sb->persist_num = sb->recover_den = sb->recover_num = 0;
        sb->antibody_n = 0;
        sb->sessions_sum = sb->sessions_sumsq = sb->units_sum = sb->units_sumsq = 0.0;
        sb->cost_sum = sb->cost_sumsq = sb->qaly_sum = sb->qaly_sumsq = sb->cost_qaly_sum = 0.0;
        sb->dcost_sum = sb->dcost_sumsq = sb->dqaly_sum = sb->dqaly_sumsq = sb->dcost_dqaly_sum = 0.0;
        memset(sb->pair, 0, sizeof sb->pair);
        for (int k = 0; k < nae; k++)
            sb->ae_total[k] = 0;
    }
    /* What stays the same for every patient of the block, set once (the
     * model writes the scalar fields afresh for each patient) */
    psim_patient_out outs[PSIM_MAX_STRATEGIES];
    for (int s = 0; s < S; s++) {
        strat_block *sb = &b->s[s];
        psim_patient_out *o = &outs[s];
        memset(o, 0, sizeof *o);
        o->ae_count = sb->ae_tmp;
        o->sum_vas_untreated = sb->vas_u_sum;
        o->sumsq_vas_untreated = sb->vas_u_sumsq;
        o->sum_vas_treated = sb->vas_t_sum;
        o->sumsq_vas_treated = sb->vas_t_sumsq;
        o->responders_treated = sb->responders;
        o->event = push_event;
        o->event_ctx = sb;
        o->effect = b->effect;
        o->effect_scratch = 1;
        o->draws = &b->draws;
    }
    for (int i = 0; i < n; i++) {
        if (c->cancel && *c->cancel)
            return; /* the writer sees the flag and stops before writing this block */
        int64_t patient = first + i;
        psim_patient p;
        psim_cohort_draw(m, 0, patient, &p);
        b->baseline_vas[i] = p.baseline_vas;
        b->pain_duration_months[i] = p.pain_duration_months;
        b->lumbar_levels[i] = p.lumbar_levels;
        b->myofascial[i] = p.myofascial;
        b->aspirin_recent[i] = p.aspirin_recent;
        b->eligible[i] = p.eligible;
        for (int k = 0; k < PSIM_N_CONTRA; k++)
            b->contra[k][i] = p.contraindication[k];
        b->eligible_n += p.eligible;
        /* the noise paths of patients i and i + 1 are made together (their
         * recursions overlap), the second kept for the next patient */
        const double *eps = b->eps;
        if (i % 2 == 1)
            eps = b->eps_next;
        else if (i + 1 < n)
            psim_noise_path2(m, 0, patient, b->eps, patient + 1, b->eps_next);
        else
            psim_noise_path(m, 0, patient, b->eps);
        psim_session_draws_reset(&b->draws);

        for (int s = 0; s < c->scn->n_strategies; s++) {
            strat_block *sb = &b->s[s];
            int M = psim_model_max_sessions(m, s);
            int nae = psim_model_n_ae(m, s);
            psim_patient_out *out = &outs[s];
            out->vas_mm = sb->vas_mm ? sb->vas_mm + (size_t)i * (size_t)R : NULL;
            out->session_day = sb->session_day + (size_t)i * (size_t)M;
            out->latent = sb->latent + (size_t)i * (size_t)M;
            out->observed = sb->observed + (size_t)i * (size_t)M;
            psim_simulate_patient(m, s, 0, patient, &p, eps, out);
            sb->qaly[i] = out->qaly;

            sb->treated[i] = out->treated;
            sb->sessions[i] = out->sessions;
            sb->antibody[i] = out->antibody;
            sb->units[i] = out->units;
            sb->cost[i] = out->cost;
            sb->cost_sum += out->cost;
            sb->cost_sumsq += out->cost * out->cost;
            for (int k = 0; k < nae; k++) {
                sb->ae_count[(size_t)k * (size_t)c->bs + (size_t)i] = out->ae_count[k];
                sb->ae_total[k] += out->ae_count[k];
            }
            sb->sessions_sum += out->sessions;
            sb->sessions_sumsq += (double)out->sessions * out->sessions;
            sb->units_sum += out->units;
            sb->units_sumsq += (double)out->units * out->units;
            sb->antibody_n += out->antibody;
            if (out->treated) {
                sb->treated_n++;
                if (out->sessions > 0) {
                    sb->with_session++;
                    sb->first_responders += out->latent[0] == 1;
                }
                if (out->sessions >= 2) {
                    int all = 1, any = 0;
                    for (int j = 1; j < out->sessions; j++) {
                        all &= out->latent[j] == 1;
                        any |= out->latent[j] == 1;
                    }
                    if (out->latent[0] == 1) {
                        sb->persist_den++;
                        sb->persist_num += all;
                    } else {
                        sb->recover_den++;
                        sb->recover_num += any;
                    }
                }
            }
        }
        for (int s = 0; s < S; s++) {
            strat_block *sb = &b->s[s];
            double q = sb->qaly[i], cost = sb->cost[i];
            sb->qaly_sum += q;
            sb->qaly_sumsq += q * q;
            sb->cost_qaly_sum += cost * q;
        }
        /* paired differences against the reference (common random numbers) */
        const strat_block *ref = &b->s[c->scn->reference_index];
        for (int s = 0; s < c->scn->n_strategies; s++) {
            strat_block *sb = &b->s[s];
            double dc = sb->cost[i] - ref->cost[i];
            double dq = sb->qaly[i] - ref->qaly[i];
            sb->dcost_sum += dc;
            sb->dcost_sumsq += dc * dc;
            sb->dqaly_sum += dq;
            sb->dqaly_sumsq += dq * dq;
            sb->dcost_dqaly_sum += dc * dq;
        }
        /* and between every two strategies, for the sequential comparisons
         * (s < j here; j < s is its mirror, filled in below) */
        for (int s = 0; s < c->scn->n_strategies; s++) {
            strat_block *sb = &b->s[s];
            for (int j = s + 1; j < c->scn->n_strategies; j++) {
                double dc = sb->cost[i] - b->s[j].cost[i];
                double dq = sb->qaly[i] - b->s[j].qaly[i];
                psim_pair_sums *ps = &sb->pair[j];
                ps->dcost_sum += dc;
                ps->dcost_sumsq += dc * dc;
                ps->dqaly_sum += dq;
                ps->dqaly_sumsq += dq * dq;
                ps->dcost_dqaly_sum += dc * dq;
            }
        }
    }
    /* The pairs j < s from s < j, the same bits as adding them: each
     * difference is the exact negation of its mirror's (or +0 where both are
     * +0), rounding to nearest is symmetric, so each partial sum of the
     * differences is the negation of the mirror's, or +0 where that is 0 (and
     * 0.0 - x gives both); squares and products are equal. */
    for (int s = 0; s < c->scn->n_strategies; s++) {
        for (int j = 0; j < s; j++) {
            const psim_pair_sums *mirror = &b->s[j].pair[s];
            psim_pair_sums *ps = &b->s[s].pair[j];
            ps->dcost_sum = 0.0 - mirror->dcost_sum;
            ps->dcost_sumsq = mirror->dcost_sumsq;
            ps->dqaly_sum = 0.0 - mirror->dqaly_sum;
            ps->dqaly_sumsq = mirror->dqaly_sumsq;
            ps->dcost_dqaly_sum = mirror->dcost_dqaly_sum;
        }
    }
}

/* ---- results ---------------------------------------------------------- */

void psim_results_destroy(psim_results *r)
{
    if (!r)
        return;
    if (r->strategies) {
        for (int s = 0; s < r->n_strategies; s++) {
            psim_strategy_summary *ss = &r->strategies[s];
            free(ss->vas_sum);
            free(ss->vas_sumsq);
            free(ss->vas_treated_sum);
            free(ss->vas_treated_sumsq);
            free(ss->responders);
        }
        free(r->strategies);
    }
    free(r);
}

psim_results *psim_results_create(const psim_scenario *scn, const psim_model *m)
{
    psim_results *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->n_strategies = scn->n_strategies;
    r->horizon_days = scn->horizon_days;
    r->patients = 0;
    r->seed = scn->seed;
    snprintf(r->scenario, sizeof r->scenario, "%s", scn->name);
    snprintf(r->reference, sizeof r->reference, "%s", scn->reference);
    r->strategies = calloc((size_t)scn->n_strategies, sizeof *r->strategies);
    if (!r->strategies) {
        free(r);
        return NULL;
    }
    size_t H = (size_t)scn->horizon_days;
    int ok = 1;
    for (int s = 0; s < scn->n_strategies; s++) {
        psim_strategy_summary *ss = &r->strategies[s];
        snprintf(ss->name, sizeof ss->name, "%s", scn->strategies[s].name);
        snprintf(ss->treatment, sizeof ss->treatment, "%s", scn->strategies[s].treatment);
        ss->n_ae = psim_model_n_ae(m, s);
        for (int k = 0; k < ss->n_ae; k++)
            snprintf(ss->ae_name[k], sizeof ss->ae_name[k], "%s", psim_model_ae_name(m, s, k));
        ok &= (ss->vas_sum = calloc(H, sizeof(double))) != NULL;
        ok &= (ss->vas_sumsq = calloc(H, sizeof(double))) != NULL;
        ok &= (ss->vas_treated_sum = calloc(H, sizeof(double))) != NULL;
        ok &= (ss->vas_treated_sumsq = calloc(H, sizeof(double))) != NULL;
        ok &= (ss->responders = calloc(H, sizeof(int64_t))) != NULL;
    }
    if (!ok) {
        psim_results_destroy(r);
        return NULL;
    }
    return r;
}

/* A block's partial sums as a psim_results of that block alone.  The per-day
 * sum over all patients is treated + untreated, computed here once: adding it
 * to the totals is the same arithmetic as adding the two parts' sum. */
static void results_from_block(psim_results *r, const psim_block *b, int H)
{
    r->patients = b->n;
    for (int s = 0; s < r->n_strategies; s++) {
        psim_strategy_summary *ss = &r->strategies[s];
        const strat_block *sb = &b->s[s];
        ss->patients = b->n;
        ss->eligible = b->eligible_n;
        ss->treated = sb->treated_n;
        ss->with_session = sb->with_session;
        ss->first_responders = sb->first_responders;
        ss->persist_den = sb->persist_den;
        ss->persist_num = sb->persist_num;
        ss->recover_den = sb->recover_den;
        ss->recover_num = sb->recover_num;
        ss->antibody = sb->antibody_n;
        ss->sessions_sum = sb->sessions_sum;
        ss->sessions_sumsq = sb->sessions_sumsq;
        ss->units_sum = sb->units_sum;
        ss->units_sumsq = sb->units_sumsq;
        ss->cost_sum = sb->cost_sum;
        ss->cost_sumsq = sb->cost_sumsq;
        ss->qaly_sum = sb->qaly_sum;
        ss->qaly_sumsq = sb->qaly_sumsq;
        ss->cost_qaly_sum = sb->cost_qaly_sum;
        ss->dcost_sum = sb->dcost_sum;
        ss->dcost_sumsq = sb->dcost_sumsq;
        ss->dqaly_sum = sb->dqaly_sum;
        ss->dqaly_sumsq = sb->dqaly_sumsq;
        ss->dcost_dqaly_sum = sb->dcost_dqaly_sum;
        for (int j = 0; j < r->n_strategies; j++)
            ss->pair[j] = sb->pair[j];
        for (int k = 0; k < ss->n_ae; k++)
            ss->ae_count[k] = sb->ae_total[k];
        for (int t = 0; t < H; t++) {
            ss->vas_sum[t] = sb->vas_t_sum[t] + sb->vas_u_sum[t];
            ss->vas_sumsq[t] = sb->vas_t_sumsq[t] + sb->vas_u_sumsq[t];
            ss->vas_treated_sum[t] = sb->vas_t_sum[t];
            ss->vas_treated_sumsq[t] = sb->vas_t_sumsq[t];
            ss->responders[t] = sb->responders[t];
        }
    }
}

void psim_results_add(psim_results *r, const psim_results *p)
{
    const int H = r->horizon_days;
    r->patients += p->patients;
    for (int s = 0; s < r->n_strategies; s++) {
        psim_strategy_summary *ss = &r->strategies[s];
        const psim_strategy_summary *sb = &p->strategies[s];
        ss->patients += sb->patients;
        ss->eligible += sb->eligible;
        ss->treated += sb->treated;
        ss->with_session += sb->with_session;
        ss->first_responders += sb->first_responders;
        ss->persist_den += sb->persist_den;
        ss->persist_num += sb->persist_num;
        ss->recover_den += sb->recover_den;
        ss->recover_num += sb->recover_num;
        ss->antibody += sb->antibody;
        ss->sessions_sum += sb->sessions_sum;
        ss->sessions_sumsq += sb->sessions_sumsq;
        ss->units_sum += sb->units_sum;
        ss->units_sumsq += sb->units_sumsq;
        ss->cost_sum += sb->cost_sum;
        ss->cost_sumsq += sb->cost_sumsq;
        ss->qaly_sum += sb->qaly_sum;
        ss->qaly_sumsq += sb->qaly_sumsq;
        ss->cost_qaly_sum += sb->cost_qaly_sum;
        ss->dcost_sum += sb->dcost_sum;
        ss->dcost_sumsq += sb->dcost_sumsq;
        ss->dqaly_sum += sb->dqaly_sum;
        ss->dqaly_sumsq += sb->dqaly_sumsq;
        ss->dcost_dqaly_sum += sb->dcost_dqaly_sum;
        for (int j = 0; j < r->n_strategies; j++) {
            ss->pair[j].dcost_sum += sb->pair[j].dcost_sum;
            ss->pair[j].dcost_sumsq += sb->pair[j].dcost_sumsq;
            ss->pair[j].dqaly_sum += sb->pair[j].dqaly_sum;
            ss->pair[j].dqaly_sumsq += sb->pair[j].dqaly_sumsq;
            ss->pair[j].dcost_dqaly_sum += sb->pair[j].dcost_dqaly_sum;
        }
        for (int k = 0; k < ss->n_ae; k++)
            ss->ae_count[k] += sb->ae_count[k];
        for (int t = 0; t < H; t++) {
            ss->vas_sum[t] += sb->vas_sum[t];
            ss->vas_sumsq[t] += sb->vas_sumsq[t];
            ss->vas_treated_sum[t] += sb->vas_treated_sum[t];
            ss->vas_treated_sumsq[t] += sb->vas_treated_sumsq[t];
            ss->responders[t] += sb->responders[t];
        }
    }
}

int64_t psim_block_first(const psim_block *b)
{
    return b->first;
}

int psim_block_patients(const psim_block *b)
{
    return b->n;
}

int64_t psim_run_n_blocks(const psim_scenario *scn)
{
    return scn->block_size > 0 ? (scn->patients + scn->block_size - 1) / scn->block_size : 0;
}

psim_status psim_run_shard_range(const psim_scenario *scn, int index, int count, int64_t *first, int64_t *n,
                                 psim_error *err)
{
    int64_t nb = psim_run_n_blocks(scn);
    *first = *n = 0;
    if (count < 1 || index < 0 || index >= count)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                              "shard %d of %d does not exist: a shard is i/K with 1 <= i <= K", index + 1, count);
    if (count > nb)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                              "%d shards asked for, but the cohort of %lld patients has only %lld blocks of %d "
                              "patients (the unit of splitting): use at most %lld shards",
                              count, (long long)scn->patients, (long long)nb, scn->block_size, (long long)nb);
    psim_split_even(nb, index, count, first, n);
    return PSIM_OK;
}

/* ---- the block queue ------------------------------------------------- */

typedef struct block_queue {
    int64_t n_blocks, first_block;
    int n_slots;
    const run_ctx *c;
    psim_block *slots;
    _Atomic int64_t claimed;  /* blocks handed out for simulation */
    _Atomic int64_t written;  /* blocks written: slots of blocks < written + n_slots are free */
    _Atomic int stop;         /* the writer has finished or failed */
    _Atomic int64_t *done;    /* [n_slots] index of the block simulated in the slot, -1 before */
} block_queue;

static void queue_pause(void)
{
    struct timespec ts = {0, 100000}; /* 0.1 ms: a block takes tens of milliseconds */
    nanosleep(&ts, NULL);
}

/* The next block to simulate, or -1: none left (or the writer stopped), or,
 * when `wait` is 0, none whose slot is free yet.  With `wait` 1 it waits
 * for a slot to be freed by the writer. */
static int64_t queue_claim(block_queue *q, int wait)
{
    for (;;) {
        if (atomic_load_explicit(&q->stop, memory_order_acquire))
            return -1;
        int64_t j = atomic_load_explicit(&q->claimed, memory_order_relaxed);
        if (j >= q->n_blocks)
            return -1;
        if (j >= atomic_load_explicit(&q->written, memory_order_acquire) + q->n_slots) {
            if (!wait)
                return -1;
            queue_pause();
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(&q->claimed, &j, j + 1, memory_order_acq_rel, memory_order_relaxed))
            return j;
    }
}

static void queue_simulate(block_queue *q, int64_t j)
{
    const run_ctx *c = q->c;
    int64_t first = (q->first_block + j) * c->bs;
    int n = (int)(c->scn->patients - first < c->bs ? c->scn->patients - first : c->bs);
    simulate_block(c, &q->slots[j % q->n_slots], first, n);
    atomic_store_explicit(&q->done[j % q->n_slots], j, memory_order_release);
}

/* ---- the run ---------------------------------------------------------- */

psim_status psim_run(const psim_scenario *scn, const psim_run_options *opt_in,
                     psim_results **results, psim_error *err)
{
    psim_run_options opt = opt_in ? *opt_in : psim_run_options_default();
    psim_status st = PSIM_OK;
    psim_model *m = NULL;
    psim_results *res = NULL, *part = NULL;
    psim_block *slots = NULL;
    psim_h5_file_sink file;
    psim_sink *sinks = NULL;
    int n_sinks = 0, n_begun = 0;
    int n_slots = 0;
    if (results)
        *results = NULL;

    const int64_t n_blocks_total = psim_run_n_blocks(scn);
    if (opt.first_block < 0 || opt.n_blocks < 0 || opt.first_block > n_blocks_total ||
        opt.n_blocks > n_blocks_total - opt.first_block)
        return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0,
                              "blocks %lld + %lld asked for, but the cohort has %lld blocks",
                              (long long)opt.first_block, (long long)opt.n_blocks, (long long)n_blocks_total);
    psim_run_layout layout = {.block_size = scn->block_size,
                              .n_blocks_total = n_blocks_total,
                              .patients_total = scn->patients,
                              .first_block = opt.first_block,
                              .n_blocks = opt.n_blocks > 0 ? opt.n_blocks : n_blocks_total - opt.first_block,
                              .shard_index = opt.shard_index,
                              .shard_count = opt.shard_count};
    layout.first_patient = layout.first_block * scn->block_size;
    {
        int64_t end = (layout.first_block + layout.n_blocks) * (int64_t)scn->block_size;
        if (end > scn->patients)
            end = scn->patients;
        layout.patients = end - layout.first_patient;
    }

    if (opt.output_path) {
        st = psim_output_check(opt.output_path, opt.force, err);
        if (st != PSIM_OK)
            return st;
    }

    st = psim_model_create(scn, &m, err);
    if (st != PSIM_OK)
        goto cleanup;
    res = psim_results_create(scn, m);
    part = psim_results_create(scn, m);
    sinks = calloc((size_t)opt.n_sinks + 1, sizeof *sinks);
    if (!res || !part || !sinks) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the summaries");
        goto cleanup;
    }
    if (opt.output_path)
        sinks[n_sinks++] = psim_h5_file_sink_make(&file, opt.output_path, opt.force, opt.command_line, opt.notice,
                                                  opt.notice_data);
    for (int k = 0; k < opt.n_sinks; k++)
        sinks[n_sinks++] = opt.sinks[k];

    run_ctx c = {.cancel = opt.cancel, .scn = scn, .m = m, .H = scn->horizon_days, .R = psim_model_n_recorded(m),
                 .bs = scn->block_size, .trajectories = scn->output.trajectories && n_sinks > 0};
    int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
    if (threads < 1)
        threads = 1;
    const int64_t n_blocks = layout.n_blocks, first_block = layout.first_block;
    /* A batch is two blocks per thread; two batches are in memory (one being
     * written while the next is simulated), whatever the cohort size. */
    int batch = 2 * threads;
    if (batch > n_blocks)
        batch = (int)n_blocks;
    if (batch < 1)
        batch = 1;
    n_slots = 2 * batch;
    slots = calloc((size_t)n_slots, sizeof *slots);
    if (!slots) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for block buffers");
        goto cleanup;
    }
    for (int k = 0; k < n_slots; k++) {
        if (!block_alloc(&slots[k], &c)) {
            n_slots = k;
            st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0,
                                "out of memory for block buffers (block_size %d)", c.bs);
            goto cleanup;
        }
    }

    for (; n_begun < n_sinks; n_begun++) {
        st = sinks[n_begun].begin(sinks[n_begun].data, m, &layout, err);
        if (st != PSIM_OK) {
            n_begun++; /* its abort undoes what it began */
            goto cleanup;
        }
    }

    double t0 = now_seconds();
    /* A ring of n_slots block buffers.  Thread 0 writes the blocks in order
     * (HDF5 from one thread only) and simulates blocks itself whenever the
     * next block to write is not finished yet; the other threads simulate.
     * Block j lives in slot j % n_slots and may be started only once block
     * j - n_slots has been written.  No thread waits for a whole batch, so
     * the writing overlaps the simulation; blocks are written and their sums
     * added in block order, whatever the thread that simulated them. */
    block_queue bq = {.n_blocks = n_blocks, .n_slots = n_slots, .first_block = first_block, .c = &c, .slots = slots};
    atomic_init(&bq.claimed, 0);
    atomic_init(&bq.written, 0);
    atomic_init(&bq.stop, 0);
    bq.done = malloc((size_t)n_slots * sizeof *bq.done);
    if (!bq.done) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for block buffers");
        goto cleanup;
    }
    for (int k = 0; k < n_slots; k++)
        atomic_init(&bq.done[k], -1);
    int failed = 0;
#pragma omp parallel num_threads(threads)
    {
        if (omp_get_thread_num() != 0) {
            int64_t j;
            while ((j = queue_claim(&bq, 1)) >= 0)
                queue_simulate(&bq, j);
        } else {
            for (int64_t j = 0; j < n_blocks && !failed; j++) {
                psim_block *b = &slots[j % n_slots];
                /* the block to write next: simulate others meanwhile */
                while (atomic_load_explicit(&bq.done[j % n_slots], memory_order_acquire) != j) {
                    int64_t k = queue_claim(&bq, 0);
                    if (k >= 0)
                        queue_simulate(&bq, k);
                    else
                        queue_pause();
                }
                if (opt.cancel && *opt.cancel) {
                    st = psim_error_set(err, PSIM_ERR_INTERRUPTED, NULL, 0, 0, "interrupted");
                    failed = 1;
                    break;
                }
                for (int s = 0; s < scn->n_strategies; s++) {
                    if (b->s[s].events_oom) {
                        st = psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory for the events of a block");
                        failed = 1;
                    }
                }
                if (failed)
                    break;
                results_from_block(part, b, c.H);
                for (int k = 0; k < n_sinks && !failed; k++) {
                    st = sinks[k].write_block(sinks[k].data, first_block + j, b, part, err);
                    if (st != PSIM_OK)
                        failed = 1;
                }
                if (failed)
                    break;
                psim_results_add(res, part);
                atomic_store_explicit(&bq.written, j + 1, memory_order_release);
                if (opt.progress && ((j + 1) % batch == 0 || j + 1 == n_blocks)) {
                    int64_t done = (j + 1) * (int64_t)c.bs;
                    if (done > layout.patients)
                        done = layout.patients;
                    opt.progress(opt.progress_data, done, layout.patients, now_seconds() - t0);
                }
            }
            if (!failed && opt.cancel && *opt.cancel) {
                st = psim_error_set(err, PSIM_ERR_INTERRUPTED, NULL, 0, 0, "interrupted");
                failed = 1;
            }
            atomic_store_explicit(&bq.stop, 1, memory_order_release);
        }
    }
    free(bq.done);
    if (failed)
        goto cleanup;

    for (int q = 0; q < n_sinks; q++) {
        st = sinks[q].finish(sinks[q].data, res, err);
        if (st != PSIM_OK)
            goto cleanup;
    }
    n_begun = 0; /* finished: nothing to undo */
    res->elapsed_seconds = now_seconds() - t0;

cleanup:
    /* abort in reverse order of begin */
    for (int q = n_begun - 1; q >= 0; q--)
        if (sinks[q].abort)
            sinks[q].abort(sinks[q].data);
    free(sinks);
    for (int k = 0; k < n_slots; k++)
        block_free(&slots[k], scn->n_strategies);
    free(slots);
    psim_results_destroy(part);
    psim_model_destroy(m);
    if (st == PSIM_OK && results)
        *results = res;
    else
        psim_results_destroy(res);
    return st;
}
