/* The patient model of MODEL.md sections 1-4: cohort, noise, sessions, VAS. */
#include "painsim/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "painsim/rng.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* AVX2 versions of the day loops, chosen at run time (psim_model_create):
 * the default build still runs on any x86-64. */
#define PSIM_HAVE_AVX2 1
#include <immintrin.h>
#define PSIM_AVX2 __attribute__((target("avx2")))
#define PSIM_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2")))
#endif

/* Derived constants of one treatment. */
typedef struct treat_c {
    const psim_treatment *t;
    int gives_sessions;          /* base is not "none" */
    /* Beta shapes (a, b) of responder and non-responder relief (0 when sd ==
     * 0), prepared for psim_rng_beta_prepared */
    psim_gamma_shape resp_g[2], non_g[2];
    double inv_ramp;             /* 1 / (peak - onset), 0 when peak == onset */
    double inv_half_life;
    double *decay_pow;           /* [H] q^k by a running product, q = 2^(-1 / half_life): decay_pow[0] = 1 */
    int dose[PSIM_LUMBAR_LEVELS];        /* U per session for L = 1..5 */
    double drug_cost[PSIM_LUMBAR_LEVELS]; /* currency per session for L = 1..5 */
} treat_c;

typedef struct strat_c {
    int treatment, fallback;     /* indices into the scenario's treatments */
    int n_planned;
    int planned[PSIM_MAX_SESSIONS];
    int max_sessions;            /* dataset columns: planned, or on_relapse's max_sessions */
    int n_ae;                    /* AE kinds of the strategy: own, then fallback's new names */
    const char *ae_name[PSIM_MAX_STRATEGY_AE];
    int ae_map[2][PSIM_MAX_AE];  /* [own/fallback][treatment AE] -> strategy kind */
} strat_c;

struct psim_model {
    const psim_scenario *scn;
    int n_recorded;
    int *recorded_day;
    double lumbar_cdf[PSIM_LUMBAR_LEVELS];
    double noise_innov;          /* sigma * sqrt(1 - phi^2) */
    double *disc_cost;           /* [H] (1 + r_c)^(-t / 365.25) */
    double *qaly_weight;         /* [H] (1 + r_q)^(-t / 365.25) / 365.25 */
    double *qaly_weight_cum;     /* [H + 1] prefix sums of qaly_weight */
    double *zero_effect;         /* [H] zeros: E(t) of a patient and strategy without sessions, never written */
    treat_c treat[PSIM_MAX_TREATMENTS];
    strat_c strat[PSIM_MAX_STRATEGIES];
    int avx2;                    /* day loops: 0 portable, 1 AVX2, 2 AVX-512 (the same bits) */
    int clamp_u;                 /* the utility's clamp can bind for some VAS in [0, 10] */
    int n_ae_drawn;              /* adverse-event uniforms a session draws: the most any treatment has */
    uint64_t ae_skip_mult, ae_skip_plus; /* the generator's jump over the other PSIM_MAX_AE - n_ae_drawn */
};

/* Beta shapes for relief with the given mean and sd on [lo, hi]. */
static void beta_shapes(psim_meansd ms, double lo, double hi, double *a, double *b)
{
    if (ms.sd <= 0.0) {
        *a = *b = 0.0;
        return;
    }
    double w = hi - lo;
    double x = (ms.mean - lo) / w;
    double v = (ms.sd * ms.sd) / (w * w);
    double k = x * (1.0 - x) / v - 1.0;
    *a = x * k;
    *b = (1.0 - x) * k;
}

/* Drug cost of U units under a price model (MODEL.md section 5). */
static psim_status drug_cost(const psim_price *pr, int units, double *cost, psim_error *err)
{
    *cost = 0.0;
    if (units <= 0)
        return PSIM_OK;
    switch (pr->model) {
    case PSIM_PRICE_NONE:
        return PSIM_OK;
    case PSIM_PRICE_PER_UNIT:
        *cost = pr->per_unit * (double)units;
        return PSIM_OK;
    case PSIM_PRICE_VIALS: {
        int vials = (units + pr->vial_units - 1) / pr->vial_units;
        *cost = pr->vial_price * (double)vials;
        return PSIM_OK;
    }
    case PSIM_PRICE_PACKAGES: {
        /* Cheapest cover of at least U units by packages and, when a unit
         * price is given (> 0), single units: best[u] = min over the last
         * purchase.  O(U x packages) once per dose at model creation. */
        double *best = malloc(((size_t)units + 1) * sizeof *best);
        if (!best)
            return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory pricing a dose");
        best[0] = 0.0;
        for (int u = 1; u <= units; u++) {
            double b = pr->per_unit > 0.0 ? pr->per_unit + best[u - 1] : HUGE_VAL;
            for (int k = 0; k < pr->n_packages; k++) {
                int rest = u - pr->package_units[k];
                double c = pr->package_price[k] + best[rest > 0 ? rest : 0];
                if (c < b)
                    b = c;
            }
            best[u] = b;
        }
        *cost = best[units];
        free(best);
        if (!isfinite(*cost))
            return psim_error_set(err, PSIM_ERR_INPUT, NULL, 0, 0,
                                  "no way to buy %d units with the listed packages", units);
        return PSIM_OK;
    }
    }
    return PSIM_OK;
}

static int find_ae(const strat_c *s, const char *name)
{
    for (int k = 0; k < s->n_ae; k++)
        if (strcmp(s->ae_name[k], name) == 0)
            return k;
    return -1;
}

psim_status psim_model_create(const psim_scenario *scn, psim_model **out, psim_error *err)
{
    *out = NULL;
    psim_model *m = calloc(1, sizeof *m);
    if (!m)
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory building the model");
    m->scn = scn;
    int every = scn->output.record_every_days;
    m->n_recorded = (scn->horizon_days - 1) / every + 1;
    m->recorded_day = malloc((size_t)m->n_recorded * sizeof *m->recorded_day);
    const int H = scn->horizon_days;
    m->disc_cost = malloc((size_t)H * sizeof *m->disc_cost);
    m->qaly_weight = malloc((size_t)H * sizeof *m->qaly_weight);
    m->qaly_weight_cum = malloc(((size_t)H + 1) * sizeof *m->qaly_weight_cum);
    m->zero_effect = calloc((size_t)H, sizeof *m->zero_effect);
    if (!m->recorded_day || !m->disc_cost || !m->qaly_weight || !m->qaly_weight_cum || !m->zero_effect) {
        psim_model_destroy(m);
        return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory building the model");
    }
    for (int r = 0; r < m->n_recorded; r++)
        m->recorded_day[r] = r * every;
    const psim_economics *ec = &scn->economics;
    m->qaly_weight_cum[0] = 0.0;
    for (int t = 0; t < H; t++) {
        double years = (double)t / 365.25;
        m->disc_cost[t] = pow(1.0 + ec->discount_costs, -years);
        m->qaly_weight[t] = pow(1.0 + ec->discount_qalys, -years) / 365.25;
        m->qaly_weight_cum[t + 1] = m->qaly_weight_cum[t] + m->qaly_weight[t];
    }

    double c = 0.0;
    for (int l = 0; l < PSIM_LUMBAR_LEVELS; l++) {
        c += scn->cohort.lumbar_levels[l];
        m->lumbar_cdf[l] = c;
    }
    m->lumbar_cdf[PSIM_LUMBAR_LEVELS - 1] = 2.0; /* rounding never leaves a gap */
    double phi = scn->cohort.noise_phi;
    m->noise_innov = scn->cohort.noise_sd * sqrt(1.0 - phi * phi);

    for (int i = 0; i < scn->n_treatments; i++) {
        const psim_treatment *t = &scn->treatments[i];
        treat_c *tc = &m->treat[i];
        tc->t = t;
        tc->gives_sessions = strcmp(t->base, "none") != 0;
        double a, b;
        beta_shapes(t->relief_responder, 0.5, 1.0, &a, &b);
        psim_gamma_prepare(&tc->resp_g[0], a);
        psim_gamma_prepare(&tc->resp_g[1], b);
        beta_shapes(t->relief_non_responder, 0.0, 0.5, &a, &b);
        psim_gamma_prepare(&tc->non_g[0], a);
        psim_gamma_prepare(&tc->non_g[1], b);
        tc->inv_ramp = t->peak_days > t->onset_days ? 1.0 / (t->peak_days - t->onset_days) : 0.0;
        tc->inv_half_life = 1.0 / t->half_life_days;
        const double q = exp2(-tc->inv_half_life);
        tc->decay_pow = malloc((size_t)H * sizeof *tc->decay_pow);
        if (!tc->decay_pow) {
            psim_model_destroy(m);
            return psim_error_set(err, PSIM_ERR_NOMEM, NULL, 0, 0, "out of memory building the model");
        }
        double g = 1.0;
        for (int k = 0; k < H; k++) {
            tc->decay_pow[k] = g;
            g *= q;
        }
        for (int l = 0; l < PSIM_LUMBAR_LEVELS; l++) {
            long long u = (long long)t->units_per_level * (l + 1);
            tc->dose[l] = (int)(u < t->max_units_per_session ? u : t->max_units_per_session);
            psim_status st = drug_cost(&t->price, tc->dose[l], &tc->drug_cost[l], err);
            if (st != PSIM_OK) {
                psim_model_destroy(m);
                return st;
            }
        }
    }
    for (int s = 0; s < scn->n_strategies; s++) {
        const psim_strategy *st = &scn->strategies[s];
        strat_c *sc = &m->strat[s];
        sc->treatment = st->treatment_index;
        sc->fallback = st->fallback_index;
        sc->n_planned = psim_schedule_planned_days(&st->schedule, sc->planned, PSIM_MAX_SESSIONS);
        sc->max_sessions = st->schedule.kind == PSIM_SCHEDULE_RELAPSE ? st->schedule.relapse_max_sessions
                                                                       : sc->n_planned;
        int which[2] = {sc->treatment, sc->fallback};
        for (int w = 0; w < 2; w++) {
            const psim_treatment *t = &scn->treatments[which[w]];
            for (int k = 0; k < t->n_ae; k++) {
                int idx = find_ae(sc, t->ae[k].name);
                if (idx < 0) {
                    idx = sc->n_ae++;
                    sc->ae_name[idx] = t->ae[k].name;
                }
                sc->ae_map[w][k] = idx;
            }
        }
    }
#if defined(PSIM_HAVE_AVX2)
    m->avx2 = __builtin_cpu_supports("avx2") != 0;
    if (m->avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw"))
        m->avx2 = 2;
#endif
    {
        /* u = u0 + slope x v is monotone in v, rounding included, so its
         * values at 0 and 10 bound it over every VAS; where they lie within
         * [umin, umax] the clamp of the day loops changes no bit. */
        const double a = ec->utility_u0 + ec->utility_slope * 0.0, b = ec->utility_u0 + ec->utility_slope * 10.0;
        m->clamp_u = !(a >= ec->utility_min && a <= ec->utility_max && b >= ec->utility_min && b <= ec->utility_max);
    }
    /* The uniforms behind a session's adverse events that no treatment of the
     * scenario reads are jumped over, not drawn: state' = mult x state +
     * plus x inc is the LCG after the same number of steps (psim_rng_advance
     * of state 1 with inc 0 gives mult, of state 0 with inc 1 gives plus). */
    for (int i = 0; i < scn->n_treatments; i++)
        if (scn->treatments[i].n_ae > m->n_ae_drawn)
            m->n_ae_drawn = scn->treatments[i].n_ae;
    psim_rng jm = {1u, 0u}, jp = {0u, 1u};
    psim_rng_advance(&jm, 2u * (uint64_t)(PSIM_MAX_AE - m->n_ae_drawn));
    psim_rng_advance(&jp, 2u * (uint64_t)(PSIM_MAX_AE - m->n_ae_drawn));
    m->ae_skip_mult = jm.state;
    m->ae_skip_plus = jp.state;
    *out = m;
    return PSIM_OK;
}

int psim_model_simd(const psim_model *m) { return m->avx2; }

void psim_model_set_simd(psim_model *m, int level)
{
    if (level < m->avx2)
        m->avx2 = level < 0 ? 0 : level;
}

void psim_model_destroy(psim_model *m)
{
    if (!m)
        return;
    free(m->recorded_day);
    free(m->disc_cost);
    free(m->qaly_weight);
    free(m->qaly_weight_cum);
    free(m->zero_effect);
    for (int i = 0; i < PSIM_MAX_TREATMENTS; i++)
        free(m->treat[i].decay_pow);
    free(m);
}

const psim_scenario *psim_model_scenario(const psim_model *m) { return m->scn; }
int psim_model_n_recorded(const psim_model *m) { return m->n_recorded; }
int psim_model_recorded_day(const psim_model *m, int r) { return m->recorded_day[r]; }
int psim_model_n_ae(const psim_model *m, int strategy) { return m->strat[strategy].n_ae; }
const char *psim_model_ae_name(const psim_model *m, int strategy, int k)
{
    return m->strat[strategy].ae_name[k];
}

int psim_model_max_sessions(const psim_model *m, int strategy)
{
    const strat_c *sc = &m->strat[strategy];
    int own = m->treat[sc->treatment].gives_sessions ? sc->max_sessions : 0;
    int fb = m->treat[sc->fallback].gives_sessions ? sc->max_sessions : 0;
    return own > fb ? own : fb;
}

/* Truncated normal by rejection (the truncation ranges of MODEL.md keep the
 * acceptance rate high); after 1000 rejections the draw is clamped, so a
 * pathological range cannot hang a run. */
static double truncnorm(psim_rng *rng, psim_truncnorm tn)
{
    if (tn.sd <= 0.0)
        return tn.mean < tn.min ? tn.min : (tn.mean > tn.max ? tn.max : tn.mean);
    double x = tn.mean;
    for (int tries = 0; tries < 1000; tries++) {
        x = tn.mean + tn.sd * psim_rng_normal(rng);
        if (x >= tn.min && x <= tn.max)
            return x;
    }
    return x < tn.min ? tn.min : tn.max;
}

void psim_cohort_draw(const psim_model *m, uint64_t iteration, int64_t patient, psim_patient *p)
{
    const psim_cohort_params *c = &m->scn->cohort;
    psim_rng rng;
    psim_rng_keyed(&rng, m->scn->seed, iteration, (uint64_t)patient, PSIM_PURPOSE_COHORT, 0);
    /* Fixed order of draws: part of the reproducibility contract. */
    double u_levels = psim_rng_uniform(&rng);
    double u_myo = psim_rng_uniform(&rng);
    double u_contra[PSIM_N_CONTRA];
    for (int k = 0; k < PSIM_N_CONTRA; k++)
        u_contra[k] = psim_rng_uniform(&rng);
    double u_aspirin = psim_rng_uniform(&rng);
    p->baseline_vas = truncnorm(&rng, c->baseline_vas);
    p->pain_duration_months = truncnorm(&rng, c->pain_duration_months);

    int l = 0;
    while (l < PSIM_LUMBAR_LEVELS - 1 && u_levels >= m->lumbar_cdf[l])
        l++;
    p->lumbar_levels = (uint8_t)(l + 1);
    p->myofascial = u_myo < c->myofascial;
    int contra = 0;
    for (int k = 0; k < PSIM_N_CONTRA; k++) {
        p->contraindication[k] = u_contra[k] < c->contraindications[k];
        contra |= p->contraindication[k];
    }
    p->aspirin_recent = u_aspirin < c->aspirin_recent;
    p->eligible = p->myofascial && !contra;
}

void psim_noise_path(const psim_model *m, uint64_t iteration, int64_t patient, double *eps)
{
    const psim_scenario *scn = m->scn;
    const int H = scn->horizon_days;
    const double phi = scn->cohort.noise_phi;
    const double innov = m->noise_innov;
    psim_rng rng;
    psim_rng_keyed(&rng, scn->seed, iteration, (uint64_t)patient, PSIM_PURPOSE_NOISE, 0);
    /* the innovations and the AR(1) recursion over them in one pass */
    psim_rng_normal_zig_ar1_n(&rng, eps, H, scn->cohort.noise_sd, phi, innov);
}

void psim_noise_path2(const psim_model *m, uint64_t iteration, int64_t patient0, double *eps0, int64_t patient1,
                      double *eps1)
{
    const psim_scenario *scn = m->scn;
    psim_rng rng0, rng1;
    psim_rng_keyed(&rng0, scn->seed, iteration, (uint64_t)patient0, PSIM_PURPOSE_NOISE, 0);
    psim_rng_keyed(&rng1, scn->seed, iteration, (uint64_t)patient1, PSIM_PURPOSE_NOISE, 0);
    psim_rng_normal_zig_ar1_n2(&rng0, &rng1, eps0, eps1, scn->horizon_days, scn->cohort.noise_sd,
                               scn->cohort.noise_phi, m->noise_innov);
}

/* The effect E(t) of MODEL.md section 3, built session by session.
 *
 * E(t) = max over sessions of rho * f(t - d).  Days are integers, so each
 * phase of f is a range of days: tau < onset gives 0, then the ramp, the
 * plateau up to the duration D, then the decay 2^-((tau - D) / h).  The decay
 * of a tail that starts on day s (the first day after the plateau, with the
 * value v_s = rho 2^-((s - D) / h)) is v_s x q^k on day s + k, q = 2^(-1/h),
 * with q^k from the treatment's table decay_pow (a running product computed
 * once per model), so that the days of a tail are independent of each other
 * and run four at a time.  max is exact and commutative for these
 * non-negative values, so the order in which sessions are merged into E does
 * not matter.
 *
 * The ramp and the plateau are merged when the session is given.  The decay
 * tails, which would otherwise run to the horizon for every session, are
 * merged lazily, day range by day range, just before the days are read
 * (effect_ready), and a tail stops as soon as it can no longer change any VAS:
 * - negligible: E enters VAS only through 1.0 - E(t), and 1.0 - x == 1.0 for
 *   0 <= x <= 2^-54 (round to nearest, ties to even), so a tail value at most
 *   2^-54 changes nothing, and the tail only decreases from there (the day it
 *   first is, and every later day, are left out);
 * - dominated: a tail A whose value v_A on its next day is below the plateau
 *   rho_B of a later session B, on a plateau day s of B, stays below B on every
 *   day from s on: on B's plateau because A does not increase, and on B's tail
 *   because both decay by the same q and A's tail is at least D_B - s > 0 days
 *   further down the same curve.  The margin of 2^-20 in the test covers the
 *   rounding of both (relative error about 2^-52 a day of the table, so below
 *   2^-35 over the longest horizon); there max(A, B) is B, bit for bit.
 * Every value a tail does merge is v_s x q^k, whichever version of the loop
 * (AVX2 or portable) merges it. */
#define EFFECT_NEGLIGIBLE 0x1p-54
#define EFFECT_DOMINATED (1.0 - 0x1p-20)

typedef struct effect_tail {
    int next, end;   /* next day to merge; days from `end` on are not needed */
    int start;       /* the tail's first day s */
    double v0;       /* its value on day s: day t has v0 x decay_pow[t - s] */
} effect_tail;

typedef struct effect_state {
    double *E;
    int H;
    int ready;       /* E(t) is final for t < ready, for the sessions given so far */
    int n_tails;
    int avx2;
    const double *pow; /* decay_pow of the patient's treatment */
    effect_tail tail[PSIM_MAX_SESSIONS];
} effect_state;

/* Merge tail a into E for its days before `to`; returns 0 when it is finished. */
static int tail_merge(double *E, effect_tail *a, int to, const double *pow)
{
    int end = to < a->end ? to : a->end;
    const double v0 = a->v0;
    const double *p = pow + (a->next - a->start);
    int tau = a->next;
    for (; tau < end; tau++, p++) {
        double v = v0 * *p;
        if (v <= EFFECT_NEGLIGIBLE)
            return 0;
        if (v > E[tau])
            E[tau] = v;
    }
    a->next = tau;
    return tau < a->end;
}

#if defined(PSIM_HAVE_AVX2)
/* tail_merge four days at a time: lane by lane v = v0 x q^k, and E = v where
 * v > E (max_pd(v, E) is `v > E ? v : E`), for the days before the first
 * negligible one only (v decreases along the tail, so the lanes that pass the
 * test come first). */
PSIM_AVX2 static int tail_merge_avx2(double *E, effect_tail *a, int to, const double *pow)
{
    int end = to < a->end ? to : a->end;
    const __m256d v0 = _mm256_set1_pd(a->v0), neg = _mm256_set1_pd(EFFECT_NEGLIGIBLE);
    const double *p = pow + (a->next - a->start);
    int tau = a->next;
    for (; tau + 4 <= end; tau += 4, p += 4) {
        __m256d v = _mm256_mul_pd(v0, _mm256_loadu_pd(p));
        __m256d e = _mm256_loadu_pd(E + tau);
        __m256d live = _mm256_cmp_pd(v, neg, _CMP_GT_OQ);
        _mm256_storeu_pd(E + tau, _mm256_blendv_pd(e, _mm256_max_pd(v, e), live));
        if (_mm256_movemask_pd(live) != 0xf)
            return 0;
    }
    a->next = tau;
    return tail_merge(E, a, to, pow);
}

/* tail_merge eight days at a time with AVX-512, the last days of the range
 * under a mask instead of one by one. */
PSIM_AVX512 static int tail_merge_avx512(double *E, effect_tail *a, int to, const double *pow)
{
    const int end = to < a->end ? to : a->end;
    const __m512d v0 = _mm512_set1_pd(a->v0), neg = _mm512_set1_pd(EFFECT_NEGLIGIBLE);
    const double *p = pow + (a->next - a->start);
    for (int tau = a->next; tau < end; tau += 8, p += 8) {
        const int rest = end - tau;
        const __mmask8 in = rest >= 8 ? (__mmask8)0xff : (__mmask8)((1u << rest) - 1u);
        __m512d v = _mm512_mul_pd(v0, _mm512_maskz_loadu_pd(in, p));
        __m512d e = _mm512_maskz_loadu_pd(in, E + tau);
        __mmask8 live = _mm512_mask_cmp_pd_mask(in, v, neg, _CMP_GT_OQ);
        _mm512_mask_storeu_pd(E + tau, live, _mm512_max_pd(v, e));
        if (live != in)
            return 0;
    }
    if (a->next < end)
        a->next = end;
    return a->next < a->end;
}
#endif

/* Make E(t) final for t < to. */
static void effect_ready(effect_state *es, int to)
{
    if (to > es->H)
        to = es->H;
    if (to <= es->ready)
        return;
    int k = 0;
    for (int i = 0; i < es->n_tails; i++) {
        effect_tail *a = &es->tail[i];
#if defined(PSIM_HAVE_AVX2)
        int more = es->avx2 == 2 ? tail_merge_avx512(es->E, a, to, es->pow)
                   : es->avx2  ? tail_merge_avx2(es->E, a, to, es->pow)
                               : tail_merge(es->E, a, to, es->pow);
#else
        int more = tail_merge(es->E, a, to, es->pow);
#endif
        if (more) {
            if (k != i)
                es->tail[k] = *a;
            k++;
        }
    }
    es->n_tails = k;
    es->ready = to;
}

/* The ramp days [a, b) and the plateau days [b, c) of a session's effect
 * (merge_effect).  Two days at a time where there is SSE2: lane by lane the
 * same operations, and max_pd(v, e) is `v > e ? v : e` (no NaN here). */
static void ramp_plateau(double *e, int a, int b, int c, double rho, double onset, double inv_ramp)
{
    int tau = a;
#if defined(__SSE2__)
    {
        const __m128d r = _mm_set1_pd(rho), on = _mm_set1_pd(onset), ir = _mm_set1_pd(inv_ramp);
        const __m128d two = _mm_set1_pd(2.0);
        __m128d td = _mm_set_pd((double)tau + 1.0, (double)tau);
        for (; tau + 2 <= b; tau += 2) {
            __m128d v = _mm_mul_pd(_mm_mul_pd(r, _mm_sub_pd(td, on)), ir);
            _mm_storeu_pd(e + tau, _mm_max_pd(v, _mm_loadu_pd(e + tau)));
            td = _mm_add_pd(td, two);
        }
    }
#endif
    for (; tau < b; tau++) {
        double v = rho * ((double)tau - onset) * inv_ramp;
        if (v > e[tau])
            e[tau] = v;
    }
    tau = b;
#if defined(__SSE2__)
    {
        const __m128d r = _mm_set1_pd(rho);
        for (; tau + 2 <= c; tau += 2)
            _mm_storeu_pd(e + tau, _mm_max_pd(r, _mm_loadu_pd(e + tau)));
    }
#endif
    for (; tau < c; tau++)
        if (rho > e[tau])
            e[tau] = rho;
}

#if defined(PSIM_HAVE_AVX2)
/* ramp_plateau four days at a time. */
PSIM_AVX2 static void ramp_plateau_avx2(double *e, int a, int b, int c, double rho, double onset, double inv_ramp)
{
    int tau = a;
    const __m256d r = _mm256_set1_pd(rho), on = _mm256_set1_pd(onset), ir = _mm256_set1_pd(inv_ramp);
    const __m256d four = _mm256_set1_pd(4.0);
    __m256d td = _mm256_setr_pd((double)tau, (double)tau + 1.0, (double)tau + 2.0, (double)tau + 3.0);
    for (; tau + 4 <= b; tau += 4) {
        __m256d v = _mm256_mul_pd(_mm256_mul_pd(r, _mm256_sub_pd(td, on)), ir);
        _mm256_storeu_pd(e + tau, _mm256_max_pd(v, _mm256_loadu_pd(e + tau)));
        td = _mm256_add_pd(td, four);
    }
    for (; tau < b; tau++) {
        double v = rho * ((double)tau - onset) * inv_ramp;
        if (v > e[tau])
            e[tau] = v;
    }
    for (tau = b; tau + 4 <= c; tau += 4)
        _mm256_storeu_pd(e + tau, _mm256_max_pd(r, _mm256_loadu_pd(e + tau)));
    for (; tau < c; tau++)
        if (rho > e[tau])
            e[tau] = rho;
}

/* ramp_plateau eight days at a time with AVX-512, each range's last days
 * under a mask. */
PSIM_AVX512 static void ramp_plateau_avx512(double *e, int a, int b, int c, double rho, double onset, double inv_ramp)
{
    const __m512d r = _mm512_set1_pd(rho), on = _mm512_set1_pd(onset), ir = _mm512_set1_pd(inv_ramp);
    const __m512d eight = _mm512_set1_pd(8.0);
    __m512d td = _mm512_add_pd(_mm512_set1_pd((double)a), _mm512_setr_pd(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0));
    for (int tau = a; tau < b; tau += 8) {
        const int rest = b - tau;
        const __mmask8 in = rest >= 8 ? (__mmask8)0xff : (__mmask8)((1u << rest) - 1u);
        __m512d v = _mm512_mul_pd(_mm512_mul_pd(r, _mm512_sub_pd(td, on)), ir);
        _mm512_mask_storeu_pd(e + tau, in, _mm512_max_pd(v, _mm512_maskz_loadu_pd(in, e + tau)));
        td = _mm512_add_pd(td, eight);
    }
    for (int tau = b; tau < c; tau += 8) {
        const int rest = c - tau;
        const __mmask8 in = rest >= 8 ? (__mmask8)0xff : (__mmask8)((1u << rest) - 1u);
        _mm512_mask_storeu_pd(e + tau, in, _mm512_max_pd(r, _mm512_maskz_loadu_pd(in, e + tau)));
    }
}
#endif

#if defined(PSIM_HAVE_AVX2)
/* (GCC would turn this loop back into a call of memset.) */
PSIM_AVX512 __attribute__((optimize("no-tree-loop-distribute-patterns"))) static void effect_clear_avx512(double *E, int H)
{
    const __m512d z = _mm512_setzero_pd();
    int t = 0;
    for (; t + 8 <= H; t += 8)
        _mm512_storeu_pd(E + t, z);
    if (t < H)
        _mm512_mask_storeu_pd(E + t, (__mmask8)((1u << (H - t)) - 1u), z);
}
#endif

/* ceil(x) as an int, for 0 <= x < INT_MAX: the truncation, plus one when x
 * has a fraction. */
static inline int ceil_int(double x)
{
    int i = (int)x;
    return i + ((double)i < x);
}

/* Merge rho * f(t - d) of a session given on day d into E[d .. H). */
static void merge_effect(effect_state *es, int d, double rho, double onset, double peak, double D,
                         double decay0, double inv_ramp)
{
    const int n = es->H - d;
    double *e = es->E + d;
    /* clamp in double before converting: a drawn duration can exceed INT_MAX */
    int a = onset >= n ? n : ceil_int(onset);
    int b = peak >= n ? n : ceil_int(peak);
    int c = D >= n ? n : ceil_int(D);
#if defined(PSIM_HAVE_AVX2)
    if (es->avx2 == 2)
        ramp_plateau_avx512(e, a, b, c, rho, onset, inv_ramp);
    else if (es->avx2)
        ramp_plateau_avx2(e, a, b, c, rho, onset, inv_ramp);
    else
#endif
        ramp_plateau(e, a, b, c, rho, onset, inv_ramp);
    if (b < c) {
        /* earlier tails that this plateau dominates from day s on */
        const double bar = rho * EFFECT_DOMINATED;
        for (int i = 0; i < es->n_tails; i++) {
            effect_tail *t = &es->tail[i];
            int s = t->next > d + b ? t->next : d + b;
            if (s < d + c && t->v0 * es->pow[t->next - t->start] < bar && s < t->end)
                t->end = s;
        }
    }
    if (c < n) {
        /* c = ceil(D) here, and decay0 = 2^-((c - D) / half_life).  Written
         * field by field in place: a struct built on the stack and copied
         * in would be read back with a wider load than the stores that
         * made it (a store-forwarding stall). */
        effect_tail *t = &es->tail[es->n_tails];
        t->next = t->start = d + c;
        t->end = es->H;
        t->v0 = rho * decay0;
        /* days already made final get this tail now */
        if (t->next < es->ready && !tail_merge(es->E, t, es->ready, es->pow))
            return;
        es->n_tails++;
    }
}

/* Where the days of one patient and strategy go: the VAS array, the recorded
 * millimetres, the per-day sums and the QALYs. */
typedef struct day_sink {
    double *V;        /* NULL: not kept */
    uint8_t *mm;      /* NULL: not recorded */
    int every;
    double *sum, *sumsq; /* NULL: not summed */
    uint32_t *resp;   /* NULL for the untreated */
    double half_B;
    const double *qaly_weight;   /* [H] discounted years per day */
    double u0, slope, umin, umax;
    int clamp_u;      /* 0: umin <= u0 + slope x v <= umax for every v in [0, 10], so the clamp changes nothing */
    double qaly;      /* sum of u(t) x weight(t), before AE decrements */
} day_sink;

/* VAS(t) = clamp(B (1 - E(t)) + eps(t), 0, 10) (step 3 of MODEL.md section 1). */
static inline double vas_of(const double *E, const double *eps, double B, int t)
{
    double v = B * (1.0 - E[t]) + eps[t];
    v = v < 0.0 ? 0.0 : v;
    return v > 10.0 ? 10.0 : v;
}

/* The first day t in [t0, t1) with VAS(t) > thr, or t1. */
static int first_above(const double *E, const double *eps, double B, double thr, int t0, int t1)
{
    for (int t = t0; t < t1; t++)
        if (vas_of(E, eps, B, t) > thr)
            return t;
    return t1;
}

#if defined(PSIM_HAVE_AVX2)
/* first_above four days at a time (the VAS of each lane as in vas_of). */
PSIM_AVX2 static int first_above_avx2(const double *E, const double *eps, double B, double thr, int t0, int t1)
{
    const __m256d one = _mm256_set1_pd(1.0), b = _mm256_set1_pd(B), th = _mm256_set1_pd(thr);
    const __m256d zero = _mm256_setzero_pd(), ten = _mm256_set1_pd(10.0);
    int t = t0;
    for (; t + 4 <= t1; t += 4) {
        __m256d v = _mm256_add_pd(_mm256_mul_pd(b, _mm256_sub_pd(one, _mm256_loadu_pd(E + t))), _mm256_loadu_pd(eps + t));
        v = _mm256_min_pd(ten, _mm256_max_pd(zero, v));
        int above = _mm256_movemask_pd(_mm256_cmp_pd(v, th, _CMP_GT_OQ));
        if (above)
            return t + __builtin_ctz((unsigned)above);
    }
    return first_above(E, eps, B, thr, t, t1);
}
#endif

/* The recorded millimetres of days t0 .. t1-1 (every k->every days). */
static void record_mm(const day_sink *k, const double *E, const double *eps, double B, int t0, int t1)
{
    int first = (t0 + k->every - 1) / k->every * k->every;
    for (int t = first; t < t1; t += k->every)
        k->mm[t / k->every] = (uint8_t)(vas_of(E, eps, B, t) * 10.0 + 0.5);
}

/* One day of days_all; q is the QALY partial sum of the day's lane. */
static inline void day_one(const day_sink *k, const double *E, const double *eps, double B, int t, double *q)
{
    double v = vas_of(E, eps, B, t);
    if (k->V)
        k->V[t] = v;
    if (k->sum) {
        k->sum[t] += v;
        k->sumsq[t] += v * v;
    }
    if (k->resp)
        k->resp[t] += (uint32_t)(v <= k->half_B);
    if (k->mm && k->every == 1)
        k->mm[t] = (uint8_t)(v * 10.0 + 0.5);
    double u = k->u0 + k->slope * v;
    u = u < k->umin ? k->umin : u;
    u = u > k->umax ? k->umax : u;
    *q += u * k->qaly_weight[t];
}

/* The QALYs are summed in eight lanes, day t into lane t mod 8, each lane in
 * day order from 0.0, and the lanes are added in this fixed tree, so that the
 * sum runs eight days at a time (four-wide SIMD or not) and is the same bits
 * whichever version computes it. */
static double lanes_total(const double q[8])
{
    return ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));
}

/* Every day of the horizon once E is final: VAS, the recorded millimetres,
 * the per-day sums and responder counts, and the QALYs (steps 3 and 5 of
 * MODEL.md section 1).  The days are independent of each other. */
static void days_all(day_sink *k, const double *E, const double *eps, double B, int H)
{
    double q[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    for (int t = 0; t < H; t++)
        day_one(k, E, eps, B, t, &q[t & 7]);
    if (k->mm && k->every != 1)
        record_mm(k, E, eps, B, 0, H);
    k->qaly = lanes_total(q);
}

#if defined(PSIM_HAVE_AVX2)
/* Four days of days_all_avx2 from day t; lane by lane the operations of
 * day_one (max_pd(0, v) is `0 > v ? 0 : v`, min_pd(10, v) is `10 < v ? 10 :
 * v`, the same clamps for u; v <= B/2 as a compare mask; (uint8_t)(v x 10 +
 * 0.5) as a truncating conversion of a value in [0.5, 100.5]). */
#define DAYS4(t, q)                                                                                            \
    do {                                                                                                       \
        __m256d v = _mm256_add_pd(_mm256_mul_pd(b, _mm256_sub_pd(one, _mm256_loadu_pd(E + (t)))),             \
                                  _mm256_loadu_pd(eps + (t)));                                                 \
        v = _mm256_min_pd(ten, _mm256_max_pd(zero, v));                                                        \
        if (V)                                                                                                 \
            _mm256_storeu_pd(V + (t), v);                                                                      \
        if (sum) {                                                                                             \
            _mm256_storeu_pd(sum + (t), _mm256_add_pd(_mm256_loadu_pd(sum + (t)), v));                         \
            _mm256_storeu_pd(sumsq + (t), _mm256_add_pd(_mm256_loadu_pd(sumsq + (t)), _mm256_mul_pd(v, v)));   \
        }                                                                                                      \
        if (resp) {                                                                                            \
            __m256i m8 = _mm256_castpd_si256(_mm256_cmp_pd(v, half, _CMP_LE_OQ));                              \
            __m128i m4 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(m8, pick));                        \
            __m128i r = _mm_loadu_si128((const __m128i *)(const void *)(resp + (t)));                          \
            _mm_storeu_si128((__m128i *)(void *)(resp + (t)), _mm_sub_epi32(r, m4));                           \
        }                                                                                                      \
        if (mm) {                                                                                              \
            __m128i i4 = _mm256_cvttpd_epi32(_mm256_add_pd(_mm256_mul_pd(v, ten), pt5));                       \
            __m128i b4 = _mm_packus_epi16(_mm_packs_epi32(i4, i4), _mm_setzero_si128());                       \
            int32_t four = _mm_cvtsi128_si32(b4);                                                              \
            memcpy(mm + (t), &four, 4);                                                                        \
        }                                                                                                      \
        __m256d u = _mm256_add_pd(u0, _mm256_mul_pd(slope, v));                                                \
        u = _mm256_min_pd(umax, _mm256_max_pd(umin, u));                                                       \
        q = _mm256_add_pd(q, _mm256_mul_pd(u, _mm256_loadu_pd(w + (t))));                                      \
    } while (0)

PSIM_AVX2 static void days_all_avx2(day_sink *k, const double *E, const double *eps, double B, int H)
{
    double *V = k->V, *sum = k->sum, *sumsq = k->sumsq;
    uint32_t *resp = k->resp;
    uint8_t *mm = k->every == 1 ? k->mm : NULL;
    const double *w = k->qaly_weight;
    const __m256d one = _mm256_set1_pd(1.0), b = _mm256_set1_pd(B), half = _mm256_set1_pd(k->half_B);
    const __m256d zero = _mm256_setzero_pd(), ten = _mm256_set1_pd(10.0), pt5 = _mm256_set1_pd(0.5);
    const __m256d u0 = _mm256_set1_pd(k->u0), slope = _mm256_set1_pd(k->slope);
    const __m256d umin = _mm256_set1_pd(k->umin), umax = _mm256_set1_pd(k->umax);
    const __m256i pick = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6); /* the low half of each 64-bit mask */
    __m256d q0 = _mm256_setzero_pd(), q1 = _mm256_setzero_pd();
    int t = 0;
    for (; t + 8 <= H; t += 8) {
        DAYS4(t, q0);
        DAYS4(t + 4, q1);
    }
    double q[8];
    _mm256_storeu_pd(q, q0);
    _mm256_storeu_pd(q + 4, q1);
    for (; t < H; t++)
        day_one(k, E, eps, B, t, &q[t & 7]);
    if (k->mm && k->every != 1)
        record_mm(k, E, eps, B, 0, H);
    k->qaly = lanes_total(q);
}
#undef DAYS4

/* days_all eight days at a time with AVX-512: one vector is the eight QALY
 * lanes, and lane by lane the operations are those of DAYS4 (a compare into
 * a mask register, a masked increment for the responder counts, and a
 * narrowing conversion for the bytes: values in [0, 100] are unchanged by
 * the truncation to 8 bits).  The body is compiled once per combination of
 * what a cohort run writes (sums always, responder counts for the treated,
 * bytes with trajectories) and of whether the utility's clamp can bind,
 * with the tests out of the loop; other combinations take the general one. */
#define DAYS_SUM 1
#define DAYS_RESP 2
#define DAYS_MM 4
#define DAYS_CLAMP 8
#define DAYS_ANY 16 /* the general body: every array tested where it is used */
PSIM_AVX512 static inline __attribute__((always_inline)) void days_avx512_body(day_sink *k, const double *E,
                                                                               const double *eps, double B, int H,
                                                                               const int f)
{
    double *V = k->V, *sum = k->sum, *sumsq = k->sumsq;
    uint32_t *resp = k->resp;
    uint8_t *mm = k->every == 1 ? k->mm : NULL;
    const int any = f & DAYS_ANY;
    const int do_sum = any ? sum != NULL : (f & DAYS_SUM), do_resp = any ? resp != NULL : (f & DAYS_RESP);
    const int do_mm = any ? mm != NULL : (f & DAYS_MM), do_clamp = any || (f & DAYS_CLAMP);
    const double *w = k->qaly_weight;
    const __m512d one = _mm512_set1_pd(1.0), b = _mm512_set1_pd(B), half = _mm512_set1_pd(k->half_B);
    const __m512d zero = _mm512_setzero_pd(), ten = _mm512_set1_pd(10.0), pt5 = _mm512_set1_pd(0.5);
    const __m512d u0 = _mm512_set1_pd(k->u0), slope = _mm512_set1_pd(k->slope);
    const __m512d umin = _mm512_set1_pd(k->umin), umax = _mm512_set1_pd(k->umax);
    const __m256i inc = _mm256_set1_epi32(1);
    __m512d q8 = _mm512_setzero_pd();
    int t = 0;
    for (; t + 8 <= H; t += 8) {
        __m512d v = _mm512_add_pd(_mm512_mul_pd(b, _mm512_sub_pd(one, _mm512_loadu_pd(E + t))), _mm512_loadu_pd(eps + t));
        v = _mm512_min_pd(ten, _mm512_max_pd(zero, v));
        if (any && V)
            _mm512_storeu_pd(V + t, v);
        if (do_sum) {
            _mm512_storeu_pd(sum + t, _mm512_add_pd(_mm512_loadu_pd(sum + t), v));
            _mm512_storeu_pd(sumsq + t, _mm512_add_pd(_mm512_loadu_pd(sumsq + t), _mm512_mul_pd(v, v)));
        }
        if (do_resp) {
            __mmask8 le = _mm512_cmp_pd_mask(v, half, _CMP_LE_OQ);
            __m256i r = _mm256_loadu_si256((const __m256i *)(const void *)(resp + t));
            _mm256_storeu_si256((__m256i *)(void *)(resp + t), _mm256_mask_add_epi32(r, le, r, inc));
        }
        if (do_mm) {
            __m256i i8 = _mm512_cvttpd_epi32(_mm512_add_pd(_mm512_mul_pd(v, ten), pt5));
            _mm_storel_epi64((__m128i *)(void *)(mm + t), _mm256_cvtepi32_epi8(i8));
        }
        __m512d u = _mm512_add_pd(u0, _mm512_mul_pd(slope, v));
        if (do_clamp)
            u = _mm512_min_pd(umax, _mm512_max_pd(umin, u));
        q8 = _mm512_add_pd(q8, _mm512_mul_pd(u, _mm512_loadu_pd(w + t)));
    }
    double q[8];
    _mm512_storeu_pd(q, q8);
    for (; t < H; t++)
        day_one(k, E, eps, B, t, &q[t & 7]);
    if (k->mm && k->every != 1)
        record_mm(k, E, eps, B, 0, H);
    k->qaly = lanes_total(q);
}

PSIM_AVX512 static void days_all_avx512(day_sink *k, const double *E, const double *eps, double B, int H)
{
    if (k->V || !k->sum) {
        days_avx512_body(k, E, eps, B, H, DAYS_ANY);
        return;
    }
    const int f = DAYS_SUM | (k->resp ? DAYS_RESP : 0) | (k->mm && k->every == 1 ? DAYS_MM : 0) |
                  (k->clamp_u ? DAYS_CLAMP : 0);
    switch (f) {
    case DAYS_SUM: days_avx512_body(k, E, eps, B, H, DAYS_SUM); break;
    case DAYS_SUM | DAYS_RESP: days_avx512_body(k, E, eps, B, H, DAYS_SUM | DAYS_RESP); break;
    case DAYS_SUM | DAYS_MM: days_avx512_body(k, E, eps, B, H, DAYS_SUM | DAYS_MM); break;
    case DAYS_SUM | DAYS_RESP | DAYS_MM: days_avx512_body(k, E, eps, B, H, DAYS_SUM | DAYS_RESP | DAYS_MM); break;
    default: days_avx512_body(k, E, eps, B, H, DAYS_ANY); break; /* the clamp can bind: rare */
    }
}
#undef DAYS_SUM
#undef DAYS_RESP
#undef DAYS_MM
#undef DAYS_CLAMP
#undef DAYS_ANY
#endif

static double draw_relief(psim_rng *rng, psim_meansd ms, const psim_gamma_shape g[2], double lo)
{
    if (ms.sd <= 0.0)
        return ms.mean;
    return lo + 0.5 * psim_rng_beta_prepared(rng, &g[0], &g[1]);
}

/* Observed response of session k (0-based): VAS on day session_day + assess
 * at most B/2.  Returns -1 when that day is past the horizon. */
static int observed_at(effect_state *es, const double *eps, double B, int H, int day, int assess)
{
    if (assess >= H - day)
        return -1;
    effect_ready(es, day + assess + 1);
    return vas_of(es->E, eps, B, day + assess) <= 0.5 * B;
}

/* E(t) = 0 for t < H before the first session.  Eight days a store where
 * there is AVX-512: for this size (a few KiB) memset takes its string-store
 * path, which costs more to start than the whole loop. */
static void effect_clear(double *E, int H, int avx2)
{
#if defined(PSIM_HAVE_AVX2)
    if (avx2 == 2) {
        effect_clear_avx512(E, H);
        return;
    }
#endif
    (void)avx2;
    memset(E, 0, (size_t)H * sizeof *E);
}

void psim_session_draws_reset(psim_session_draws *d)
{
    d->model = NULL;
    d->iteration = 0;
    d->patient = -1;
    d->n = 0;
}

void psim_simulate_patient(const psim_model *m, int strategy, uint64_t iteration, int64_t patient,
                           const psim_patient *p, const double *eps, psim_patient_out *out)
{
    const psim_scenario *scn = m->scn;
    const strat_c *sc = &m->strat[strategy];
    const psim_schedule *sch = &scn->strategies[strategy].schedule;
    const int H = scn->horizon_days;
    const int assess = sch->assess_after_days;
    const int max_sessions = psim_model_max_sessions(m, strategy);
    const psim_economics *ec = &scn->economics;

    int own = !scn->treatments[sc->treatment].injection || p->eligible;
    int ti = own ? sc->treatment : sc->fallback;
    const treat_c *tc = &m->treat[ti];
    const psim_treatment *t = tc->t;
    const int *ae_map = sc->ae_map[own ? 0 : 1];

    out->treated = (uint8_t)own;
    out->sessions = 0;
    out->antibody = 0;
    out->units = 0;
    for (int j = 0; j < max_sessions; j++) {
        out->session_day[j] = -1;
        out->latent[j] = -1;
        out->observed[j] = -1;
    }
    for (int k = 0; k < sc->n_ae; k++)
        out->ae_count[k] = 0;

    /* a trial arm may start from a different baseline (strategy baseline_shift) */
    double B = p->baseline_vas + scn->strategies[strategy].baseline_shift;
    B = B < 0.0 ? 0.0 : (B > 10.0 ? 10.0 : B);
    const double half_B = 0.5 * B;
    const int n_max = tc->gives_sessions ? sc->max_sessions : 0;
    double *E = out->effect, *V = out->vas;
    if (n_max == 0 && out->effect_scratch)
        E = m->zero_effect; /* no session, so nothing is merged: E stays 0 */
    else
        effect_clear(E, H, m->avx2);
    effect_state es;
    es.E = E;
    es.H = H;
    es.ready = 0;
    es.n_tails = 0;
    es.avx2 = m->avx2;
    es.pow = tc->decay_pow;
    day_sink sink = {
        .V = V,
        .mm = out->vas_mm,
        .every = scn->output.record_every_days,
        .sum = own ? out->sum_vas_treated : out->sum_vas_untreated,
        .sumsq = own ? out->sumsq_vas_treated : out->sumsq_vas_untreated,
        .resp = own ? out->responders_treated : NULL,
        .half_B = half_B,
        .qaly_weight = m->qaly_weight,
        .u0 = ec->utility_u0,
        .slope = ec->utility_slope,
        .umin = ec->utility_min,
        .umax = ec->utility_max,
        .clamp_u = m->clamp_u,
        .qaly = 0.0,
    };
    double cost = 0.0, qaly_loss = 0.0;
    const int relapse = sch->kind == PSIM_SCHEDULE_RELAPSE;
    int n_sess = 0;
    int next_day = H;
    if (n_max > 0) {
        /* aspirin delays the first session (saturating: never past H) */
        int delay = p->aspirin_recent ? scn->cohort.aspirin_delay_days : 0;
        next_day = sc->planned[0] < H - delay ? sc->planned[0] + delay : H;
    }
    int prev_response = 0;
    int antibody = 0;
    psim_session_draws *dc = out->draws;
    if (dc && (dc->model != (const void *)m || dc->iteration != iteration || dc->patient != patient)) {
        psim_session_draws_reset(dc);
        dc->model = m;
        dc->iteration = iteration;
        dc->patient = patient;
        dc->key = psim_rng_key_purpose(psim_rng_key_patient(scn->seed, iteration, (uint64_t)patient),
                                       PSIM_PURPOSE_SESSION);
    }
    const int dose = tc->dose[p->lumbar_levels - 1];
    const double session_cost = tc->drug_cost[p->lumbar_levels - 1] + t->session_cost;

    /* Session by session; within a day the order of MODEL.md section 1
     * holds: the session of day d is given (its effect merged into E, its
     * costs booked) before VAS(d) is computed.  The schedule decides the next
     * session from what is known on its day (the VAS of the days it reads,
     * from E made final up to them); every day's VAS is computed at the end. */
    for (;;) {
        const int day = next_day;
        if (day >= H)
            break;
        /* the days before the session are final: finished tails leave the list */
        effect_ready(&es, day);
        /* (1) the session due today */
        int j = n_sess; /* 0-based; session number j + 1 */
        psim_rng rng;
        double u_resp, u_ab, z_dur;
        double u_ae_own[PSIM_MAX_AE];
        const double *u_ae = u_ae_own;
        if (!dc || j >= dc->n) {
            if (dc)
                psim_rng_keyed_index(&rng, dc->key, (uint64_t)(j + 1));
            else
                psim_rng_keyed(&rng, scn->seed, iteration, (uint64_t)patient, PSIM_PURPOSE_SESSION, (uint64_t)(j + 1));
            /* Fixed positions first so that every strategy sees the same uniforms
             * behind session j; the Beta draw (variable length) last. */
            u_resp = psim_rng_uniform(&rng);
            u_ab = psim_rng_uniform(&rng);
            z_dur = psim_rng_normal(&rng);
            /* the uniforms go straight where they are kept: copied from a
             * local array they would be read back with wider loads than
             * the stores that wrote them (a store-forwarding stall) */
            double *ua = dc ? dc->u_ae[j] : u_ae_own;
            for (int k = 0; k < m->n_ae_drawn; k++)
                ua[k] = psim_rng_uniform(&rng);
            for (int k = m->n_ae_drawn; k < PSIM_MAX_AE; k++)
                ua[k] = 1.0; /* read by no treatment (and never below a probability) */
            u_ae = ua;
            rng.state = m->ae_skip_mult * rng.state + m->ae_skip_plus * rng.inc;
            if (dc) { /* j == dc->n: sessions come in order */
                dc->u_resp[j] = u_resp;
                dc->u_ab[j] = u_ab;
                dc->z_dur[j] = z_dur;
                dc->rest[j].state = rng.state;
                dc->rest[j].inc = rng.inc;
                dc->rho_treatment[j][0] = dc->rho_treatment[j][1] = -1;
                dc->dur_treatment[j] = -1;
                dc->n = j + 1;
            }
        } else {
            u_resp = dc->u_resp[j];
            u_ab = dc->u_ab[j];
            z_dur = dc->z_dur[j];
            u_ae = dc->u_ae[j];
            rng = dc->rest[j];
        }

        double p_resp = j == 0 ? t->p_first : (prev_response ? t->p_persist : t->p_recover);
        int r = !antibody && u_resp < p_resp;
        double rho;
        if (dc && dc->rho_treatment[j][r] == ti) {
            rho = dc->rho[j][r];
        } else {
            rho = r ? draw_relief(&rng, t->relief_responder, tc->resp_g, 0.5)
                    : draw_relief(&rng, t->relief_non_responder, tc->non_g, 0.0);
            if (dc) {
                dc->rho_treatment[j][r] = ti;
                dc->rho[j][r] = rho;
            }
        }
        double dur, decay0;
        if (dc && dc->dur_treatment[j] == ti) {
            dur = dc->dur[j];
            decay0 = dc->decay0[j];
        } else {
            dur = t->duration_shift_days + t->duration_median_days * exp(t->duration_sigma * z_dur);
            if (dur < t->peak_days)
                dur = t->peak_days;
            /* the decay factor of the tail's first day, ceil(D) (no tail from day H on) */
            decay0 = dur < H ? exp2(-((double)ceil_int(dur) - dur) * tc->inv_half_life) : 0.0;
            if (dc) {
                dc->dur_treatment[j] = ti;
                dc->dur[j] = dur;
                dc->decay0[j] = decay0;
            }
        }
        merge_effect(&es, day, rho, t->onset_days, t->peak_days, dur, decay0, tc->inv_ramp);
        n_sess++;

        out->session_day[j] = day;
        out->latent[j] = (int8_t)r;
        out->units += (uint32_t)dose;
        cost += session_cost * m->disc_cost[day];
        psim_session_info *info = out->info ? &out->info[j] : NULL;
        if (info) {
            memset(info, 0, sizeof *info);
            info->treatment = ti;
            info->p_response = antibody ? 0.0 : p_resp;
            info->relief = rho;
            info->duration_days = dur;
            info->units = (uint32_t)dose;
            info->drug_cost = tc->drug_cost[p->lumbar_levels - 1];
            info->session_cost = t->session_cost;
            info->cost_discounted = session_cost * m->disc_cost[day];
        }
        prev_response = r;
        if (out->event) {
            psim_event ev = {patient, day, (int16_t)(j + 1), PSIM_EVENT_SESSION};
            out->event(out->event_ctx, &ev);
        }
        for (int k = 0; k < t->n_ae; k++) {
            if (u_ae[k] < t->ae[k].p) {
                const psim_ae_spec *ae = &t->ae[k];
                int kind = ae_map[k];
                if (out->ae_count[kind] < UINT16_MAX)
                    out->ae_count[kind]++;
                cost += ae->cost * m->disc_cost[day];
                int last = ae->days < H - day ? day + ae->days : H;
                qaly_loss += ae->utility_decrement * (m->qaly_weight_cum[last] - m->qaly_weight_cum[day]);
                if (info) {
                    info->ae_mask |= 1u << kind;
                    info->ae_cost += ae->cost;
                    info->cost_discounted += ae->cost * m->disc_cost[day];
                    info->qaly_loss += ae->utility_decrement * (m->qaly_weight_cum[last] - m->qaly_weight_cum[day]);
                }
                if (out->event) {
                    psim_event ev = {patient, day, (int16_t)(j + 1), (uint8_t)(PSIM_EVENT_AE0 + kind)};
                    out->event(out->event_ctx, &ev);
                }
            }
        }
        if (!antibody && t->antibody_risk > 0.0 && u_ab < t->antibody_risk) {
            antibody = 1;
            out->antibody = 1;
            if (info)
                info->antibody = 1;
            if (out->event) {
                psim_event ev = {patient, day, (int16_t)(j + 1), PSIM_EVENT_ANTIBODY};
                out->event(out->event_ctx, &ev);
            }
        }

        /* The next session (MODEL.md section 4). */
        next_day = H;
        if (n_sess >= n_max)
            continue;
        int earliest = day + (t->min_interval_days > 0 ? t->min_interval_days : 1);
        if (sch->continue_if != PSIM_CONTINUE_ALWAYS) {
            /* response-guided: the observed response assess_after_days after
             * the deciding session must have held */
            int k = sch->continue_if == PSIM_CONTINUE_RESPONDED_FIRST ? 0 : j;
            int ad_ok = observed_at(&es, eps, B, H, out->session_day[k], assess);
            if (ad_ok != 1)
                continue;
            /* the decision is known on the assessment day, not before */
            int ad = out->session_day[k] + assess;
            if (earliest < ad)
                earliest = ad;
        }
        if (relapse) {
            /* the first day, at least the minimum interval after the last
             * session, on which VAS(t) > threshold x B */
            const double thr = sch->relapse_threshold * B;
            const int review = sch->relapse_review_days;
            if (review > 0) {
                /* v1.1: only on review days, last session + k x review, at
                 * or after the earliest allowed day */
                for (int64_t d = (int64_t)day + review; d < H; d += review) {
                    if (d < earliest)
                        continue;
                    effect_ready(&es, (int)d + 1);
                    if (vas_of(E, eps, B, (int)d) > thr) {
                        next_day = (int)d;
                        break;
                    }
                }
            } else {
                /* day by day, the effect made final 32 days at a time */
                for (int d = earliest; d < H;) {
                    if (d >= es.ready)
                        effect_ready(&es, d + 32);
                    const int end = es.ready;
#if defined(PSIM_HAVE_AVX2)
                    const int f = m->avx2 ? first_above_avx2(E, eps, B, thr, d, end) : first_above(E, eps, B, thr, d, end);
#else
                    const int f = first_above(E, eps, B, thr, d, end);
#endif
                    if (f < end) {
                        next_day = f;
                        break;
                    }
                    d = end;
                }
            }
        } else {
            /* as planned, but never sooner than the minimum interval (a
             * patient-specific delay, such as aspirin's, can shift it) */
            int nd = sc->planned[n_sess];
            next_day = nd > earliest ? nd : earliest;
            if (next_day > H)
                next_day = H;
        }
    }
    out->sessions = (uint8_t)n_sess;
    out->cost = cost;
    out->qaly_loss = qaly_loss;

    /* the days, now that E is final */
    effect_ready(&es, H);
#if defined(PSIM_HAVE_AVX2)
    if (m->avx2 == 2)
        days_all_avx512(&sink, E, eps, B, H);
    else if (m->avx2)
        days_all_avx2(&sink, E, eps, B, H);
    else
#endif
        days_all(&sink, E, eps, B, H);
    out->qaly = sink.qaly - qaly_loss;

    /* observed response assess_after_days after each session */
    for (int j = 0; j < n_sess; j++) {
        int ad = out->session_day[j];
        if (assess < H - ad)
            out->observed[j] = (int8_t)(vas_of(E, eps, B, ad + assess) <= half_B);
    }
}
