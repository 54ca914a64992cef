/* The patient model (MODEL.md sections 1-4) and the reproducibility
 * invariants of section 7: thread-count independence and common random numbers. */
#include "testutil.h"

#include "painsim/model.h"
#include "painsim/rng.h"

/* One patient's outputs, with storage. */
/* Within max(4 SE) of the expected value; the SE comes from the model's own
 * variance, not from a tolerance picked to pass. */
#define ASSERT_NEAR_SE(est, expected, se, what)                                                     \
    cr_assert(fabs((est) - (expected)) <= 4.0 * (se), "%s: %.5f, expected %.5f +- 4 x %.5f", what, \
              (double)(est), (double)(expected), (double)(se))

/* ---- deterministic time course ---------------------------------------- */

static const char *const exact_scn =
    "name: exact\n"
    "patients: 1\n"
    "horizon_days: 200\n"
    "cohort:\n"
    "  baseline_vas: {mean: 7.0, sd: 0, min: 4, max: 10}\n"
    "  myofascial: 1\n"
    "  contraindications: {anticoagulants: 0, bleeding_disorder: 0, infection: 0, hypersensitivity: 0, acute_muscle_trauma: 0, needle_phobia: 0}\n"
    "  aspirin_recent: 0\n"
    "  noise: {sd: 0, phi: 0.9}\n"
    "treatments:\n"
    "  sure:\n"
    "    base: botox\n"
    "    p_first: 1\n"
    "    antibody_risk: 0\n"
    "    relief: {responder: {mean: 0.7, sd: 0}, non_responder: {mean: 0.1, sd: 0}}\n"
    "    duration: {median_days: 90, sigma: 0}\n"
    "strategies:\n"
    "  - name: sure\n"
    "    treatment: sure\n"
    "    schedule: {days: [10]}\n";

Test(model, time_course_is_exact_without_noise)
{
    psim_scenario *scn = tu_load(exact_scn);
    psim_model *m = tu_model(scn);
    tu_one *o = calloc(1, sizeof *o);
    tu_simulate(m, 0, 0, o);
    cr_assert_eq(o->out.sessions, 1);
    cr_assert_eq(o->day[0], 10);
    cr_assert_eq(o->latent[0], 1);
    /* onset 3, peak 21, D = 90, half-life 14 after D; B = 7, rho = 0.7 */
    struct { int day; double vas; } expect[] = {
        {0, 7.0}, {10, 7.0}, {13, 7.0},
        {22, 7.0 * (1 - 0.7 * 9.0 / 18.0)},   /* tau 12: halfway up the ramp */
        {31, 7.0 * 0.3}, {99, 7.0 * 0.3},      /* tau 21 .. 89: full effect */
        {114, 7.0 * (1 - 0.7 * 0.5)},          /* tau 104 = D + one half-life */
        {128, 7.0 * (1 - 0.7 * 0.25)},
    };
    for (size_t k = 0; k < sizeof expect / sizeof expect[0]; k++)
        cr_assert_float_eq(o->sum[expect[k].day], expect[k].vas, 1e-12, "day %d: %.15f vs %.15f",
                           expect[k].day, o->sum[expect[k].day], expect[k].vas);
    /* observed response 21 days after the session (day 31): 2.1 <= 3.5 */
    cr_assert_eq(o->observed[0], 1);
    /* dose: 50 U per level, capped at 500 */
    cr_assert_eq(o->out.units, (uint32_t)(50 * o->p.lumbar_levels));
    free(o);
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

Test(model, dose_is_capped_and_aspirin_delays_the_first_session)
{
    psim_scenario *scn = tu_load(
        "patients: 1\nhorizon_days: 200\n"
        "cohort: {aspirin_recent: 1, myofascial: 1, lumbar_levels: [0, 0, 0, 0, 1],\n"
        "  contraindications: {anticoagulants: 0, bleeding_disorder: 0, infection: 0, hypersensitivity: 0, acute_muscle_trauma: 0, needle_phobia: 0}}\n"
        "treatments: {big: {base: botox, dose: {units_per_level: 150, max_units_per_session: 500}}}\n"
        "strategies:\n  - {name: big, treatment: big, schedule: {days: [0, 84]}}\n");
    psim_model *m = tu_model(scn);
    tu_one *o = calloc(1, sizeof *o);
    tu_simulate(m, 0, 0, o);
    cr_assert_eq(o->p.aspirin_recent, 1);
    cr_assert_eq(o->out.sessions, 2);
    cr_assert_eq(o->day[0], 3, "aspirin delays the first session by 3 days");
    cr_assert_eq(o->day[1], 87, "the second keeps the 84-day minimum interval");
    cr_assert_eq(o->out.units, 1000u, "5 levels x 150 U capped at 500 U per session");
    free(o);
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

/* psim_noise_path2 (the cohort run's two patients at a time) gives the paths
 * of psim_noise_path, bit for bit: 4 000 patients over the default horizon
 * (about 17 000 draws outside their rectangles), pairs of neighbours as the
 * run makes them, pairs far apart and a patient with itself. */
Test(model, noise_path2_is_two_noise_paths)
{
    psim_scenario *scn = tu_load("patients: 1\nhorizon_days: 426\n"
                                 "strategies: [{name: none, treatment: none}]\n");
    psim_model *m = tu_model(scn);
    enum { H = 426 };
    double ref0[H], ref1[H], got0[H], got1[H];
    for (int i = 0; i < 4000; i += 2) {
        const int64_t p0 = i, p1 = i % 10 == 4 ? 1000003 + i : i % 10 == 8 ? i : i + 1;
        const uint64_t it = (uint64_t)(i % 3);
        psim_noise_path(m, it, p0, ref0);
        psim_noise_path(m, it, p1, ref1);
        memset(got0, 0xa5, sizeof got0);
        memset(got1, 0x5a, sizeof got1);
        psim_noise_path2(m, it, p0, got0, p1, got1);
        cr_assert(memcmp(ref0, got0, sizeof got0) == 0, "patients %lld, %lld, iteration %llu: first path differs",
                  (long long)p0, (long long)p1, (unsigned long long)it);
        cr_assert(memcmp(ref1, got1, sizeof got1) == 0, "patients %lld, %lld, iteration %llu: second path differs",
                  (long long)p0, (long long)p1, (unsigned long long)it);
    }
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

/* ---- statistical properties ------------------------------------------- */

Test(model, noise_is_ar1_with_the_given_sd_and_phi)
{
    psim_scenario *scn = tu_load("patients: 1\nhorizon_days: 100\n"
                                 "strategies: [{name: none, treatment: none}]\n");
    psim_model *m = tu_model(scn);
    const int n = 40000;
    double s0 = 0, s00 = 0, s01 = 0, s1 = 0, s11 = 0;
    double eps[100];
    for (int i = 0; i < n; i++) {
        psim_noise_path(m, 0, i, eps);
        s0 += eps[60];
        s1 += eps[61];
        s00 += eps[60] * eps[60];
        s11 += eps[61] * eps[61];
        s01 += eps[60] * eps[61];
    }
    double sigma = 0.8, phi = 0.9;
    double var = s00 / n - (s0 / n) * (s0 / n);
    /* SE of a normal variance estimate: sigma^2 sqrt(2/n) */
    ASSERT_NEAR_SE(var, sigma * sigma, sigma * sigma * sqrt(2.0 / n), "Var eps(60)");
    ASSERT_NEAR_SE(s0 / n, 0.0, sigma / sqrt(n), "E eps(60)");
    double cov = s01 / n - (s0 / n) * (s1 / n);
    double corr = cov / sqrt(var * (s11 / n - (s1 / n) * (s1 / n)));
    /* SE of a correlation estimate: (1 - rho^2) / sqrt(n) */
    ASSERT_NEAR_SE(corr, phi, (1 - phi * phi) / sqrt(n), "corr(eps(60), eps(61))");
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

Test(model, cohort_follows_model_defaults)
{
    psim_scenario *scn = tu_load("patients: 1\nstrategies: [{name: none, treatment: none}]\n");
    psim_model *m = tu_model(scn);
    const int n = 50000;
    int eligible = 0, level5 = 0, myo = 0;
    double sb = 0;
    for (int i = 0; i < n; i++) {
        psim_patient p;
        psim_cohort_draw(m, 0, i, &p);
        eligible += p.eligible;
        level5 += p.lumbar_levels == 5;
        myo += p.myofascial;
        sb += p.baseline_vas;
        cr_assert(p.baseline_vas >= 4.0 && p.baseline_vas <= 10.0);
        cr_assert(p.pain_duration_months >= 3.0 && p.pain_duration_months <= 120.0);
    }
    double pe = 0.95 * 0.95 * 0.99 * 0.98 * 0.995 * 0.98 * 0.97;
    ASSERT_NEAR_SE((double)eligible / n, pe, sqrt(pe * (1 - pe) / n), "eligible");
    ASSERT_NEAR_SE((double)level5 / n, 0.35, sqrt(0.35 * 0.65 / n), "5 lumbar levels");
    ASSERT_NEAR_SE((double)myo / n, 0.95, sqrt(0.95 * 0.05 / n), "myofascial");
    /* truncation at [4, 10] of N(7, 1.2) is symmetric: the mean stays 7 */
    ASSERT_NEAR_SE(sb / n, 7.0, 1.2 / sqrt(n), "mean baseline VAS");
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

Test(model, response_is_a_two_state_markov_chain)
{
    psim_scenario *scn = tu_load(
        "patients: 1\nhorizon_days: 300\n"
        "cohort: {myofascial: 1, aspirin_recent: 0,\n"
        "  contraindications: {anticoagulants: 0, bleeding_disorder: 0, infection: 0, hypersensitivity: 0, acute_muscle_trauma: 0, needle_phobia: 0}}\n"
        "treatments: {chain: {base: botox, p_first: 0.55, p_persist: 0.8, p_recover: 0.2, antibody_risk: 0}}\n"
        "strategies: [{name: chain, treatment: chain, schedule: {every_days: 90, sessions: 2}}]\n");
    psim_model *m = tu_model(scn);
    const int n = 30000;
    int r1 = 0, r11 = 0, r0 = 0, r01 = 0, flu = 0, sessions = 0;
    tu_one *o = calloc(1, sizeof *o);
    for (int i = 0; i < n; i++) {
        tu_simulate(m, 0, i, o);
        cr_assert_eq(o->out.sessions, 2);
        sessions += 2;
        if (o->latent[0]) {
            r1++;
            r11 += o->latent[1];
        } else {
            r0++;
            r01 += o->latent[1];
        }
        flu += o->ae[0];
    }
    ASSERT_NEAR_SE((double)r1 / n, 0.55, sqrt(0.55 * 0.45 / n), "P(R1)");
    ASSERT_NEAR_SE((double)r11 / r1, 0.8, sqrt(0.8 * 0.2 / r1), "P(R2 | R1)");
    ASSERT_NEAR_SE((double)r01 / r0, 0.2, sqrt(0.2 * 0.8 / r0), "P(R2 | not R1)");
    cr_assert_str_eq(psim_model_ae_name(m, 0, 0), "flu_like");
    ASSERT_NEAR_SE((double)flu / sessions, 0.05, sqrt(0.05 * 0.95 / sessions), "flu-like per session");
    free(o);
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

Test(model, antibodies_cause_secondary_non_response)
{
    psim_scenario *scn = tu_load(
        "patients: 1\nhorizon_days: 400\n"
        "cohort: {myofascial: 1,\n"
        "  contraindications: {anticoagulants: 0, bleeding_disorder: 0, infection: 0, hypersensitivity: 0, acute_muscle_trauma: 0, needle_phobia: 0}}\n"
        "treatments: {ab: {base: botox, p_first: 1, p_persist: 1, p_recover: 1, antibody_risk: 1}}\n"
        "strategies: [{name: ab, treatment: ab, schedule: {every_days: 100, sessions: 4}}]\n");
    psim_model *m = tu_model(scn);
    tu_one *o = calloc(1, sizeof *o);
    for (int i = 0; i < 200; i++) {
        tu_simulate(m, 0, i, o);
        cr_assert_eq(o->latent[0], 1, "the session where antibodies form still responds");
        cr_assert_eq(o->out.antibody, 1);
        for (int j = 1; j < o->out.sessions; j++)
            cr_assert_eq(o->latent[j], 0, "patient %d session %d after antibodies", i, j + 1);
    }
    free(o);
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

/* ---- common random numbers -------------------------------------------- */

static const char *const crn_scn =
    "name: crn\n"
    "patients: 3000\n"
    "block_size: 128\n"
    "horizon_days: 200\n"
    "treatments:\n"
    "  inert: {base: placebo, p_first: 0, p_recover: 0, relief: {non_responder: {mean: 0, sd: 0}}}\n"
    "  botox_weak: {base: botox, relief: {responder: {mean: 0.55, sd: 0.03}}}\n"
    "strategies:\n"
    "  - {name: none, treatment: none}\n"
    "  - {name: inert, treatment: inert, schedule: {days: [0, 60, 120]}}\n"
    "  - {name: botox, treatment: botox, schedule: {every_days: 90, sessions: 2}}\n"
    "  - {name: botox_weak, treatment: botox_weak, schedule: {every_days: 90, sessions: 2}}\n";

Test(model, common_random_numbers_across_strategies)
{
    char path[256];
    tu_tmpname(path, sizeof path, "crn");
    psim_scenario *scn = tu_load(crn_scn);
    psim_results *res = tu_run(scn, 2, path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    cr_assert(f >= 0);
    size_t n1, n2;
    /* an inert treatment reproduces the none strategy's trajectories exactly */
    unsigned char *none = tu_read_raw(f, "/strategies/none/vas_mm", &n1);
    unsigned char *inert = tu_read_raw(f, "/strategies/inert/vas_mm", &n2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(n1, 3000u * 200u);
    cr_assert(memcmp(none, inert, n1) == 0, "a zero-effect treatment must give the none trajectories");
    free(none);
    free(inert);
    unsigned char *sess = tu_read_raw(f, "/strategies/inert/sessions", &n1);
    size_t with3 = 0;
    for (size_t i = 0; i < n1; i++)
        with3 += sess[i] == 3;
    cr_assert_gt(with3, 2000u, "the inert strategy did give sessions");
    free(sess);
    /* the uniforms behind session j are shared: same latent responses and
     * adverse events whatever the relief parameters */
    const char *shared[] = {"latent_response", "session_day", "adverse_events/flu_like",
                            "adverse_events/local", "treated"};
    for (size_t k = 0; k < sizeof shared / sizeof shared[0]; k++) {
        char a[128], b[128];
        snprintf(a, sizeof a, "/strategies/botox/%s", shared[k]);
        snprintf(b, sizeof b, "/strategies/botox_weak/%s", shared[k]);
        unsigned char *ra = tu_read_raw(f, a, &n1), *rb = tu_read_raw(f, b, &n2);
        cr_assert(ra && rb && n1 == n2 && n1 > 0, "%s", shared[k]);
        cr_assert(memcmp(ra, rb, n1) == 0, "%s differs between botox and botox_weak", shared[k]);
        free(ra);
        free(rb);
    }
    /* baseline + noise: the none strategy is clamp(B + eps) in every patient */
    psim_model *m = tu_model(scn);
    size_t nb;
    double *B = tu_read_double(f, "/cohort/baseline_vas", &nb);
    unsigned char *vas = tu_read_raw(f, "/strategies/none/vas_mm", &n1);
    double eps[200];
    for (int i = 0; i < 3000; i += 37) {
        psim_patient p;
        psim_cohort_draw(m, 0, i, &p);
        cr_assert_eq(p.baseline_vas, B[i]);
        psim_noise_path(m, 0, i, eps);
        for (int t = 0; t < 200; t++) {
            double v = B[i] + eps[t];
            v = v < 0 ? 0 : (v > 10 ? 10 : v);
            cr_assert_eq(vas[(size_t)i * 200 + (size_t)t], (unsigned char)(v * 10.0 + 0.5));
        }
    }
    free(vas);
    free(B);
    psim_model_destroy(m);
    H5Fclose(f);
    unlink(path);
    psim_results_destroy(res);
    psim_scenario_destroy(scn);
}

/* ---- thread-count independence ---------------------------------------- */

Test(model, byte_identical_datasets_at_1_2_and_4_threads)
{
    psim_scenario *scn = tu_load(crn_scn);
    char p1[256], p2[256], p4[256];
    tu_tmpname(p1, sizeof p1, "t1");
    tu_tmpname(p2, sizeof p2, "t2");
    tu_tmpname(p4, sizeof p4, "t4");
    psim_results *r1 = tu_run(scn, 1, p1);
    psim_results *r2 = tu_run(scn, 2, p2);
    psim_results *r4 = tu_run(scn, 4, p4);
    int n = tu_assert_same_datasets(p1, p2);
    cr_assert_gt(n, 40, "compared %d datasets", n);
    tu_assert_same_datasets(p1, p4);
    /* the in-memory summaries too, to the last bit */
    for (int s = 0; s < r1->n_strategies; s++)
        for (int t = 0; t < r1->horizon_days; t++) {
            cr_assert(r1->strategies[s].vas_sum[t] == r4->strategies[s].vas_sum[t]);
            cr_assert(r1->strategies[s].vas_sumsq[t] == r2->strategies[s].vas_sumsq[t]);
        }
    unlink(p1);
    unlink(p2);
    unlink(p4);
    psim_results_destroy(r1);
    psim_results_destroy(r2);
    psim_results_destroy(r4);
    psim_scenario_destroy(scn);
}

/* ---- sinks and block ranges (MODEL.md 7.3, 7.5) ----------------------- */

/* A sink that records the order of the blocks and adds their partial sums. */
typedef struct rec_sink {
    psim_results *sum;
    int64_t next, first_block, n_blocks, patients;
    int begun, finished, out_of_order;
} rec_sink;

static psim_status rec_begin(void *data, const psim_model *m, const psim_run_layout *l, psim_error *err)
{
    (void)err;
    rec_sink *r = data;
    if (!r->sum)
        r->sum = psim_results_create(psim_model_scenario(m), m);
    r->begun = 1;
    r->next = l->first_block;
    r->first_block = l->first_block;
    r->n_blocks = l->n_blocks;
    r->patients = l->patients;
    return PSIM_OK;
}

static psim_status rec_block(void *data, int64_t index, const psim_block *b, const psim_results *part,
                             psim_error *err)
{
    (void)err;
    rec_sink *r = data;
    if (index != r->next || psim_block_first(b) != index * 128 || part->patients != psim_block_patients(b))
        r->out_of_order = 1;
    r->next = index + 1;
    psim_results_add(r->sum, part);
    return PSIM_OK;
}

static psim_status rec_finish(void *data, const psim_results *res, psim_error *err)
{
    (void)res;
    (void)err;
    ((rec_sink *)data)->finished = 1;
    return PSIM_OK;
}

static void assert_same_sums(const psim_results *a, const psim_results *b)
{
    cr_assert_eq(a->patients, b->patients);
    for (int s = 0; s < a->n_strategies; s++) {
        const psim_strategy_summary *x = &a->strategies[s], *y = &b->strategies[s];
        cr_assert_eq(x->treated, y->treated);
        cr_assert_eq(x->persist_num, y->persist_num);
        cr_assert(x->cost_sum == y->cost_sum && x->qaly_sumsq == y->qaly_sumsq && x->dcost_dqaly_sum == y->dcost_dqaly_sum);
        for (int j = 0; j < a->n_strategies; j++)
            cr_assert(x->pair[j].dqaly_sumsq == y->pair[j].dqaly_sumsq);
        for (int t = 0; t < a->horizon_days; t++) {
            cr_assert(x->vas_sum[t] == y->vas_sum[t], "strategy %d day %d", s, t);
            cr_assert(x->vas_treated_sumsq[t] == y->vas_treated_sumsq[t]);
            cr_assert_eq(x->responders[t], y->responders[t]);
        }
    }
}

static psim_results *run_range(const psim_scenario *scn, int threads, int64_t first, int64_t n, rec_sink *rec)
{
    psim_sink sink = {.data = rec, .begin = rec_begin, .write_block = rec_block, .finish = rec_finish};
    psim_run_options opt = psim_run_options_default();
    opt.threads = threads;
    opt.first_block = first;
    opt.n_blocks = n;
    opt.sinks = &sink;
    opt.n_sinks = 1;
    psim_results *res = NULL;
    psim_error err;
    psim_error_clear(&err);
    cr_assert_eq(psim_run(scn, &opt, &res, &err), PSIM_OK, "%s", err.message);
    cr_assert(rec->begun && rec->finished && !rec->out_of_order);
    return res;
}

Test(model, block_ranges_add_up_to_the_whole_run)
{
    psim_scenario *scn = tu_load(crn_scn); /* 3000 patients: 23 blocks of 128, the last of 56 */
    cr_assert_eq(psim_run_n_blocks(scn), 24);
    psim_results *whole = tu_run(scn, 2, NULL);
    rec_sink all = {0};
    psim_results *r_all = run_range(scn, 2, 0, 0, &all);
    cr_assert_eq(all.next, 24);
    assert_same_sums(whole, r_all);
    assert_same_sums(whole, all.sum); /* the partial sums given to the sink, in block order */

    /* three contiguous ranges (the split of 3 shards) at 1, 2 and 3 threads:
     * their blocks' partial sums, added in block order, give the whole run's
     * totals to the last bit (the ranges' own totals, added, need not) */
    psim_model *m = NULL;
    psim_error err;
    psim_error_clear(&err);
    cr_assert_eq(psim_model_create(scn, &m, &err), PSIM_OK);
    psim_results *sum = psim_results_create(scn, m);
    int64_t covered = 0, patients = 0;
    for (int i = 0; i < 3; i++) {
        int64_t first, n;
        cr_assert_eq(psim_run_shard_range(scn, i, 3, &first, &n, &err), PSIM_OK);
        cr_assert_eq(first, covered);
        covered += n;
        rec_sink rec = {.sum = sum};
        psim_results *r = run_range(scn, 1 + i, first, n, &rec);
        cr_assert_eq(rec.next, first + n);
        cr_assert_eq(r->patients, rec.patients);
        patients += r->patients;
        psim_results_destroy(r);
    }
    cr_assert_eq(covered, 24);
    cr_assert_eq(patients, 3000);
    assert_same_sums(whole, sum);

    /* shards that do not exist, or more shards than blocks */
    int64_t f, n;
    cr_assert_eq(psim_run_shard_range(scn, 3, 3, &f, &n, &err), PSIM_ERR_USAGE);
    cr_assert_eq(psim_run_shard_range(scn, -1, 3, &f, &n, &err), PSIM_ERR_USAGE);
    cr_assert_eq(psim_run_shard_range(scn, 0, 25, &f, &n, &err), PSIM_ERR_USAGE);
    cr_assert_eq(psim_run_shard_range(scn, 23, 24, &f, &n, &err), PSIM_OK);
    cr_assert(f == 23 && n == 1);
    /* a range outside the cohort */
    psim_run_options opt = psim_run_options_default();
    opt.first_block = 20;
    opt.n_blocks = 5;
    psim_results *bad = NULL;
    cr_assert_eq(psim_run(scn, &opt, &bad, &err), PSIM_ERR_USAGE);
    cr_assert_null(bad);

    psim_results_destroy(sum);
    psim_model_destroy(m);
    psim_results_destroy(whole);
    psim_results_destroy(r_all);
    psim_results_destroy(all.sum);
    psim_scenario_destroy(scn);
}

/* ---- v1.1: duration plateau (shift_days) and review-day relapse checks ---- */

/* Noise-free, every patient a responder with relief exactly 0.7 and a decay
 * so fast that E(d + tau) equals 0.7 exactly on the days tau < D and is below
 * it from D on: the plateau length measures D = shift + LogNormal(median,
 * sigma) patient by patient. */
static const char *const shift_scn_fmt =
    "patients: 1\nhorizon_days: 400\n"
    "cohort: {myofascial: 1, aspirin_recent: 0, noise: {sd: 0, phi: 0.9},\n"
    "  contraindications: {anticoagulants: 0, bleeding_disorder: 0, infection: 0, hypersensitivity: 0, acute_muscle_trauma: 0, needle_phobia: 0}}\n"
    "treatments: {t: {base: botox, p_first: 1, antibody_risk: 0, onset_days: 0, peak_days: 0,\n"
    "  relief: {responder: {mean: 0.7, sd: 0}}, half_life_days: 0.01,\n"
    "  duration: {median_days: 40, sigma: 0.6, shift_days: %g}}}\n"
    "strategies: [{name: once, treatment: t, schedule: {days: [0]}}]\n";

static int plateau_days(const tu_one *o, int H)
{
    int tau = 0;
    while (tau < H && o->effect[tau] == 0.7)
        tau++;
    return tau;
}

Test(model, duration_is_a_plateau_plus_a_lognormal_tail)
{
    char text[1024];
    snprintf(text, sizeof text, shift_scn_fmt, 0.0);
    psim_scenario *s0 = tu_load(text);
    snprintf(text, sizeof text, shift_scn_fmt, 30.0);
    psim_scenario *s30 = tu_load(text);
    psim_model *m0 = tu_model(s0), *m30 = tu_model(s30);
    const int H = 400, n = 20000;
    const int taus[] = {10, 29, 31, 45, 70, 120};
    const int nt = (int)(sizeof taus / sizeof taus[0]);
    int above[6] = {0};
    tu_one *o = calloc(1, sizeof *o);
    for (int i = 0; i < n; i++) {
        tu_simulate(m0, 0, i, o);
        int d0 = plateau_days(o, H);
        tu_simulate(m30, 0, i, o);
        int d30 = plateau_days(o, H);
        /* the same z behind the duration (common random numbers): the plateau
         * adds exactly shift_days to every patient's D */
        if (d0 > 0 && d30 < H)
            cr_assert_eq(d30, d0 + 30, "patient %d: %d vs %d + 30 days", i, d30, d0);
        for (int k = 0; k < nt; k++)
            above[k] += d30 > taus[k]; /* E(tau) == rho  <=>  tau < D */
    }
    for (int k = 0; k < nt; k++) {
        double p = taus[k] <= 30 ? 1.0 : 0.5 * erfc((log((taus[k] - 30.0) / 40.0) / 0.6) / sqrt(2.0));
        double est = (double)above[k] / n;
        char what[64];
        snprintf(what, sizeof what, "P(D > %d days)", taus[k]);
        if (p == 1.0)
            cr_assert_eq(above[k], n, "%s: every patient is still on the plateau", what);
        else
            ASSERT_NEAR_SE(est, p, sqrt(p * (1 - p) / n), what);
    }
    free(o);
    psim_model_destroy(m0);
    psim_model_destroy(m30);
    psim_scenario_destroy(s0);
    psim_scenario_destroy(s30);
}

static const char *const review_exact_fmt =
    "patients: 1\nhorizon_days: 426\n"
    "cohort:\n"
    "  baseline_vas: {mean: 7.0, sd: 0, min: 4, max: 10}\n"
    "  myofascial: 1\n"
    "  contraindications: {anticoagulants: 0, bleeding_disorder: 0, infection: 0, hypersensitivity: 0, acute_muscle_trauma: 0, needle_phobia: 0}\n"
    "  aspirin_recent: 0\n"
    "  noise: {sd: 0, phi: 0.9}\n"
    "treatments: {t: {base: botox, p_first: 1, p_persist: 1, antibody_risk: 0,\n"
    "  relief: {responder: {mean: 0.7, sd: 0}}, duration: {median_days: %d, sigma: 0}}}\n"
    "strategies:\n"
    "  - {name: any_day, treatment: t, schedule: {on_relapse: {max_sessions: 4}}}\n"
    "  - {name: review, treatment: t, schedule: {on_relapse: {max_sessions: 4, review_every_days: 120}}}\n";

Test(model, relapse_on_review_days_only)
{
    /* B = 7, rho = 0.7, D fixed, half-life 14: VAS > 3.5 once 0.7 x 2^-(x/14) < 0.5,
     * x > 14 log2(1.4) = 6.8, so the pain returns on day d + D + 7. */
    struct {
        int median;
        int n_any, any[4];
        int n_rev, rev[4];
    } cases[] = {
        /* D = 90: back on day 97 after each session; review days 120, 240, 360 all find it */
        {90, 4, {0, 97, 194, 291}, 4, {0, 120, 240, 360}},
        /* D = 150: back on day 157; the review on day 120 finds the effect still there and
         * waits for day 240; from there it is back on day 397, after the review of day 360 */
        {150, 3, {0, 157, 314, -1}, 2, {0, 240, -1, -1}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char text[2048];
        snprintf(text, sizeof text, review_exact_fmt, cases[c].median);
        psim_scenario *scn = tu_load(text);
        psim_model *m = tu_model(scn);
        tu_one *o = calloc(1, sizeof *o);
        tu_simulate(m, 0, 0, o);
        cr_assert_eq(o->out.sessions, cases[c].n_any, "D %d, any day: %d sessions", cases[c].median,
                     o->out.sessions);
        for (int j = 0; j < cases[c].n_any; j++)
            cr_assert_eq(o->day[j], cases[c].any[j], "D %d, any day: session %d on day %d", cases[c].median,
                         j + 1, o->day[j]);
        tu_simulate(m, 1, 0, o);
        cr_assert_eq(o->out.sessions, cases[c].n_rev, "D %d, review: %d sessions", cases[c].median,
                     o->out.sessions);
        for (int j = 0; j < cases[c].n_rev; j++)
            cr_assert_eq(o->day[j], cases[c].rev[j], "D %d, review: session %d on day %d", cases[c].median,
                         j + 1, o->day[j]);
        free(o);
        psim_model_destroy(m);
        psim_scenario_destroy(scn);
    }
}

/* With noise and random durations: every later session falls on a review day
 * (previous session + k x 120) on which VAS > B/2, and on every review day
 * that was passed over the VAS was at most B/2. */
Test(model, review_schedule_holds_for_every_patient)
{
    psim_scenario *scn = tu_load(
        "patients: 1\nhorizon_days: 426\n"
        "cohort: {myofascial: 1, aspirin_recent: 0,\n"
        "  contraindications: {anticoagulants: 0, bleeding_disorder: 0, infection: 0, hypersensitivity: 0, acute_muscle_trauma: 0, needle_phobia: 0}}\n"
        "strategies: [{name: r, treatment: botox, schedule: {on_relapse: {max_sessions: 4, review_every_days: 120}}}]\n");
    psim_model *m = tu_model(scn);
    tu_one *o = calloc(1, sizeof *o);
    int given = 0, skipped = 0;
    for (int i = 0; i < 3000; i++) {
        tu_simulate(m, 0, i, o);
        double half_B = 0.5 * o->p.baseline_vas;
        int ns = o->out.sessions;
        for (int j = 0; j < ns; j++) {
            int last = o->day[j];
            int next = j + 1 < ns ? o->day[j + 1] : -1;
            if (next >= 0) {
                cr_assert_eq((next - last) % 120, 0, "patient %d: session %d on day %d, %d days after day %d", i,
                             j + 2, next, next - last, last);
                cr_assert_gt(o->vas[next], half_B, "patient %d: session on day %d without relapse", i, next);
                given++;
            }
            if (j + 1 >= 4)
                break;
            for (int d = last + 120; d < 426 && (next < 0 || d < next); d += 120) {
                cr_assert_leq(o->vas[d], half_B, "patient %d: relapse on review day %d not treated", i, d);
                skipped++;
            }
        }
    }
    cr_assert_gt(given, 1000);
    cr_assert_gt(skipped, 100, "some review days find the effect still there");
    free(o);
    psim_model_destroy(m);
    psim_scenario_destroy(scn);
}

/* ---- the AVX2 day loops and the portable ones ------------------------- */

/* Every schedule kind, a treatment whose tails become negligible (a half-life
 * of a day and a half: 2^-54 after 81 days, given on days 0 and 60), aspirin delays, a horizon that
 * is not a multiple of the vector width, and trajectories recorded every day
 * and every third day. */
static const char *const simd_scn =
    "name: simd\n"
    "patients: 4000\n"
    "horizon_days: 427\n"
    "output: {record_every_days: %d}\n"
    "%s"
    "treatments:\n"
    "  quick:\n"
    "    base: lidocaine_tpi\n"
    "    half_life_days: 1.5\n"
    "strategies:\n"
    "  - {name: q4m, treatment: botox, schedule: {every_days: 120, sessions: 4}}\n"
    "  - {name: guided, treatment: botox, schedule: {every_days: 120, sessions: 4, continue_if: responded_first}}\n"
    "  - {name: relapse, treatment: botox, schedule: {on_relapse: {threshold: 0.5, max_sessions: 4}}}\n"
    "  - {name: review, treatment: botox, schedule: {on_relapse: {threshold: 0.6, max_sessions: 6, review_every_days: 90}}}\n"
    "  - {name: quick, treatment: quick, schedule: {days: [0, 60]}}\n"
    "  - {name: physio, treatment: physio, schedule: {days: [0]}}\n"
    "  - {name: care, treatment: none}\n";

typedef struct day_outs {
    tu_one o;
    uint8_t mm[1000];
    uint32_t resp[1000];
} day_outs;

static void simulate_all_outputs(const psim_model *m, int s, int64_t i, day_outs *d)
{
    memset(d, 0, sizeof *d);
    tu_simulate_with(m, s, i, &d->o, d->resp, d->mm, NULL);
}

/* The same outputs as a cohort run asks for them: no VAS array, E a work
 * array (the day loops specialised for that case, and E shared when the
 * strategy gives no session). */
static void simulate_run_outputs(const psim_model *m, int s, int64_t i, day_outs *d)
{
    memset(d, 0, sizeof *d);
    tu_simulate_as(m, s, i, &d->o, d->resp, d->mm, NULL, 1);
}

/* The outputs a cohort run keeps, of a against b, bit for bit. */
static void same_run_outputs(const day_outs *a, const day_outs *b, int H, int R, const char *what, int s, int64_t i)
{
    cr_assert(memcmp(a->o.sum, b->o.sum, (size_t)H * sizeof(double)) == 0, "%ssums: %d %lld", what, s, (long long)i);
    cr_assert(memcmp(a->o.sumsq, b->o.sumsq, (size_t)H * sizeof(double)) == 0);
    cr_assert(memcmp(a->resp, b->resp, (size_t)H * sizeof(uint32_t)) == 0, "%sresponders: %d %lld", what, s,
              (long long)i);
    cr_assert(memcmp(a->mm, b->mm, (size_t)R) == 0, "%smm: %d %lld", what, s, (long long)i);
    cr_assert(memcmp(&a->o.out.qaly, &b->o.out.qaly, sizeof(double)) == 0, "%sQALYs %.17g vs %.17g", what,
              a->o.out.qaly, b->o.out.qaly);
    cr_assert(memcmp(a->o.day, b->o.day, sizeof a->o.day) == 0);
}

/* Every output of every patient and strategy of scn, simulated with the
 * SIMD day loops of `fast` and the portable ones of `port`, bit for bit. */
static void compare_day_loops(const psim_scenario *scn, const psim_model *fast, const psim_model *port)
{
    day_outs *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    const int H = scn->horizon_days, R = psim_model_n_recorded(fast);
    long negligible = 0;
    for (int s = 0; s < scn->n_strategies; s++) {
        for (int64_t i = 0; i < scn->patients; i++) {
            simulate_all_outputs(fast, s, i, a);
            simulate_all_outputs(port, s, i, b);
            cr_assert(memcmp(a->o.vas, b->o.vas, (size_t)H * sizeof(double)) == 0, "VAS: strategy %d patient %lld",
                      s, (long long)i);
            cr_assert(memcmp(a->o.effect, b->o.effect, (size_t)H * sizeof(double)) == 0, "E(t): %d %lld", s,
                      (long long)i);
            same_run_outputs(a, b, H, R, "", s, i);
            cr_assert(memcmp(&a->o.out.cost, &b->o.out.cost, sizeof(double)) == 0);
            cr_assert_eq(a->o.out.sessions, b->o.out.sessions);
            cr_assert(memcmp(a->o.observed, b->o.observed, sizeof a->o.observed) == 0);
            /* the quick treatment's tails do end as negligible: E is 0 again at the horizon */
            if (s == 4 && a->o.out.treated && a->o.out.sessions > 0)
                negligible += a->o.effect[H - 1] == 0.0;
            /* and as a cohort run asks for them, without the VAS array */
            simulate_run_outputs(fast, s, i, a);
            same_run_outputs(a, b, H, R, "run ", s, i);
        }
    }
    cr_assert_gt(negligible, 0, "no negligible tail was exercised");
    free(a);
    free(b);
}

Test(model, simd_and_portable_day_loops_give_the_same_bits)
{
    /* the default utility, whose clamp never binds (the loops leave it
     * out), and a floor that binds for VAS above 7.3 cm */
    for (int v = 0; v < 4; v++) {
        const int every = v % 2 ? 3 : 1;
        char text[2048];
        snprintf(text, sizeof text, simd_scn, every, v < 2 ? "" : "economics: {utility: {min: 0.5}}\n");
        psim_scenario *scn = tu_load(text);
        psim_model *fast = tu_model(scn), *port = tu_model(scn);
        psim_model_set_simd(port, 0);
        cr_assert_eq(psim_model_simd(port), 0);
        /* each SIMD level this CPU has (1 AVX2, 2 AVX-512) against the portable loops */
        const int best = psim_model_simd(fast);
        if (best < 2)
            cr_log_warn("this CPU has SIMD level %d of 2: the levels above it are not compared", best);
        for (int level = best; level >= 1; level--) {
            psim_model_set_simd(fast, level);
            cr_assert_eq(psim_model_simd(fast), level);
            compare_day_loops(scn, fast, port);
        }
        psim_model_destroy(fast);
        psim_model_destroy(port);
        psim_scenario_destroy(scn);
    }
}

/* ---- the draws behind a session -------------------------------------- */

/* A session's stream holds fixed positions (response, antibodies, duration,
 * eight adverse-event uniforms) before the Beta relief.  The uniforms that no
 * treatment of the scenario reads are jumped over instead of drawn: adding a
 * treatment with eight kinds of adverse events (so every position is drawn)
 * must leave the other treatment's relief, durations and events unchanged. */
static const char *const draws_scn =
    "name: draws\n"
    "patients: 500\n"
    "horizon_days: 400\n"
    "treatments:\n"
    "  many:\n"
    "    base: botox\n"
    "    adverse_events: {a1: {p: 0.1, days: 2}, a2: {p: 0.1, days: 2}, a3: {p: 0.1, days: 2}, a4: {p: 0.1, days: 2}, a5: {p: 0.1, days: 2}, a6: {p: 0.1, days: 2}}\n"
    "strategies:\n"
    "  - {name: botox, treatment: botox, schedule: {every_days: 100, sessions: 4}}\n"
    "%s";

Test(model, unread_adverse_event_uniforms_are_skipped_without_moving_the_relief)
{
    char a_text[2048], b_text[2048];
    snprintf(a_text, sizeof a_text, draws_scn, "");
    snprintf(b_text, sizeof b_text, draws_scn, "  - {name: many, treatment: many, schedule: {days: [0]}}\n");
    psim_scenario *sa = tu_load(a_text), *sb = tu_load(b_text);
    cr_assert_eq(sb->treatments[sb->strategies[1].treatment_index].n_ae, PSIM_MAX_AE);
    psim_model *ma = tu_model(sa), *mb = tu_model(sb);
    psim_session_info ia[PSIM_MAX_SESSIONS], ib[PSIM_MAX_SESSIONS];
    tu_one *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    int sessions = 0;
    for (int64_t i = 0; i < sa->patients; i++) {
        memset(ia, 0, sizeof ia);
        memset(ib, 0, sizeof ib);
        tu_simulate_with(ma, 0, i, a, NULL, NULL, ia);
        tu_simulate_with(mb, 0, i, b, NULL, NULL, ib);
        cr_assert_eq(a->out.sessions, b->out.sessions);
        for (int j = 0; j < a->out.sessions; j++, sessions++) {
            cr_assert(ia[j].relief == ib[j].relief, "patient %lld session %d: relief %.17g vs %.17g", (long long)i, j,
                      ia[j].relief, ib[j].relief);
            cr_assert(ia[j].duration_days == ib[j].duration_days);
            cr_assert_eq(ia[j].ae_mask, ib[j].ae_mask);
        }
        cr_assert(memcmp(&a->out.qaly, &b->out.qaly, sizeof(double)) == 0);
    }
    cr_assert_gt(sessions, 1000);
    free(a);
    free(b);
    psim_model_destroy(ma);
    psim_model_destroy(mb);
    psim_scenario_destroy(sa);
    psim_scenario_destroy(sb);
}
