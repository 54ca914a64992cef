/*
 * Printing one patient's story (painsim explain): text for a person, JSON
 * for a program.
 *
 * JSON (a contract; more keys may be added, none renamed):
 *   { "scenario": str, "seed": int, "patient": int (row of /cohort), "strategy": str,
 *     "treatment": str (the treatment given: the strategy's own or its fallback),
 *     "treated": bool, "currency": str, "horizon_days": int,
 *     "baseline": {"baseline_vas": num (cm), "strategy_baseline_vas": num (cm, with baseline_shift),
 *                  "pain_duration_months": num, "lumbar_levels": int, "myofascial": bool,
 *                  "contraindications": {"<name>": bool, ...}, "aspirin_recent": bool},
 *     "eligible": bool, "eligibility": str (why),
 *     "sessions": [ {"session": int (1-based), "day": int, "treatment": str,
 *                    "p_response": num, "latent_response": bool, "relief": num (fraction of B),
 *                    "duration_days": num, "units": int (U), "drug_cost": num, "session_cost": num,
 *                    "adverse_events": [str], "adverse_event_cost": num (currency, undiscounted),
 *                    "cost_discounted": num, "qaly_loss": num,
 *                    "antibody_positive": bool, "assessed_day": int | null,
 *                    "observed_response": bool | null} ],
 *     "adverse_events": {"<kind>": int, ...}, "sessions_given": int, "units": int,
 *     "antibody_positive": bool, "cost": num (discounted, currency), "qaly": num (discounted),
 *     "key_days": {"<day>": {"effect": num, "noise": num (cm), "vas": num (cm),
 *                            "vas_mm": int (as in vas_mm), "observed_response": bool}},
 *     "vas": [num] (cm, every day), "effect": [num] (every day) }
 * Numbers have the fewest digits that read back to the same double, so
 * "cost" and "qaly" equal the run's /strategies/<name>/cost and qaly bit for bit.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "output/jsonout.h"
#include "painsim/report.h"
#include "painsim/story.h"

/* Why the patient gets the strategy's own treatment or its fallback. */
static void eligibility_text(const psim_scenario *scn, const psim_story *s, char *buf, size_t size)
{
    const psim_strategy *str = &scn->strategies[s->strategy];
    const psim_treatment *own = &scn->treatments[str->treatment_index];
    if (!own->injection) {
        snprintf(buf, size, "`%s` is not an injection, so every patient gets it", own->name);
        return;
    }
    if (s->who.eligible) {
        snprintf(buf, size,
                 "myofascial pain syndrome and no contraindication: eligible for injections, so gets `%s`",
                 own->name);
        return;
    }
    size_t o = 0;
    o += (size_t)snprintf(buf + o, size - o, "not eligible for injections (");
    int n = 0;
    if (!s->who.myofascial && o < size) {
        o += (size_t)snprintf(buf + o, size - o, "no myofascial pain syndrome: trigger-point injections are not "
                                                 "indicated for non-specific pain");
        n++;
    }
    for (int k = 0; k < PSIM_N_CONTRA && o < size; k++)
        if (s->who.contraindication[k]) {
            o += (size_t)snprintf(buf + o, size - o, "%scontraindication %s", n ? "; " : "", psim_contra_names[k]);
            n++;
        }
    if (o < size)
        snprintf(buf + o, size - o, "), so gets the fallback `%s`", scn->treatments[str->fallback_index].name);
}

static void ae_list(const psim_scenario *scn, const psim_story *s, uint32_t mask, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int k = 0; k < s->n_ae && o < size; k++)
        if (mask & (1u << k))
            o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? ", " : "", psim_story_ae_name(scn, s, k));
    if (!buf[0])
        snprintf(buf, size, "none");
}

static int observed_today(const psim_story *s, int t)
{
    return s->vas[t] <= 0.5 * s->baseline;
}

static int vas_mm(double v)
{
    return (int)(unsigned char)(v * 10.0 + 0.5);
}

static void print_text(const psim_scenario *scn, const psim_story *s, const int *days, int nd, FILE *fp)
{
    const psim_strategy *str = &scn->strategies[s->strategy];
    const psim_treatment *given = &scn->treatments[s->treatment];
    const char *cur = scn->economics.currency;
    char why[1024], ae[512];
    fprintf(fp, "Patient %lld of scenario `%s` (seed %llu; patients 0 to %lld), strategy `%s`\n",
            (long long)s->patient, scn->name, (unsigned long long)scn->seed, (long long)scn->patients - 1,
            str->name);

    fputs("\nBaseline (drawn once: the same in every strategy)\n", fp);
    fprintf(fp, "  baseline pain B               %.2f cm on the 0-10 cm VAS", s->who.baseline_vas);
    if (str->baseline_shift != 0.0)
        fprintf(fp, " (%.2f cm in this strategy: baseline_shift %+.2f cm)", s->baseline, str->baseline_shift);
    fputc('\n', fp);
    fprintf(fp, "  pain duration                 %.1f months\n", s->who.pain_duration_months);
    fprintf(fp, "  affected lumbar levels        %d\n", s->who.lumbar_levels);
    fprintf(fp, "  myofascial pain syndrome      %s\n", s->who.myofascial ? "yes" : "no");
    fputs("  contraindications             ", fp);
    int any = 0;
    for (int k = 0; k < PSIM_N_CONTRA; k++)
        if (s->who.contraindication[k]) {
            fprintf(fp, "%s%s", any ? ", " : "", psim_contra_names[k]);
            any = 1;
        }
    fputs(any ? "\n" : "none\n", fp);
    fprintf(fp, "  recent aspirin                %s\n",
            s->who.aspirin_recent ? "yes (the first session waits for it to wear off)" : "no");

    eligibility_text(scn, s, why, sizeof why);
    fprintf(fp, "\nEligibility\n  %s\n", why);

    fprintf(fp, "\nSessions of `%s` (costs in %s on the session day, undiscounted; response assessed %d days "
                "later: VAS <= B/2)\n",
            given->name, cur, str->schedule.assess_after_days);
    if (s->n_sessions == 0) {
        fputs("  none\n", fp);
    } else {
        fprintf(fp, "  %3s %5s %7s %8s %8s %11s %7s %10s %10s %10s  %-24s %s\n", "#", "day", "P(resp)", "response",
                "relief", "full effect", "dose", "drug", "session", "AE cost", "adverse events", "observed");
        fprintf(fp, "  %3s %5s %7s %8s %8s %11s %7s %10s %10s %10s  %-24s %s\n", "", "(day)", "", "(latent)",
                "(% of B)", "(days)", "(U)", cur, cur, cur, "", "response");
        for (int j = 0; j < s->n_sessions; j++) {
            const psim_session_info *in = &s->info[j];
            char obs[64];
            if (s->observed[j] < 0)
                snprintf(obs, sizeof obs, "not assessed (past the horizon)");
            else
                snprintf(obs, sizeof obs, "%s on day %d", s->observed[j] ? "yes" : "no",
                         s->session_day[j] + str->schedule.assess_after_days);
            ae_list(scn, s, in->ae_mask, ae, sizeof ae);
            if (in->antibody && strlen(ae) + 24 < sizeof ae)
                strcat(ae, "; antibody-positive");
            fprintf(fp, "  %3d %5d %7.3f %8s %8.1f %11.1f %7u %10.2f %10.2f %10.2f  %-24s %s\n", j + 1,
                    s->session_day[j], in->p_response, s->latent[j] ? "yes" : "no", 100.0 * in->relief,
                    in->duration_days, in->units, in->drug_cost, in->session_cost, in->ae_cost, ae, obs);
        }
    }

    fprintf(fp, "\nEffect and pain on key days (VAS(t) = clamp(B x (1 - E(t)) + noise(t), 0, 10))\n");
    fprintf(fp, "  %5s %12s %10s %10s %10s  %s\n", "day", "effect E(t)", "noise", "VAS(t)", "VAS / B",
            "response (VAS <= B/2)");
    fprintf(fp, "  %5s %12s %10s %10s %10s\n", "(day)", "(% of B)", "(cm)", "(cm)", "(%)");
    for (int d = 0; d < nd; d++) {
        int t = days[d];
        fprintf(fp, "  %5d %12.1f %10.2f %10.2f %10.1f  %s\n", t, 100.0 * s->effect[t], s->noise[t], s->vas[t],
                s->baseline > 0.0 ? 100.0 * s->vas[t] / s->baseline : 0.0, observed_today(s, t) ? "yes" : "no");
    }

    fprintf(fp, "\nOver the horizon (%d days; costs and QALYs discounted at %g%% and %g%% a year)\n",
            s->horizon_days, 100.0 * scn->economics.discount_costs, 100.0 * scn->economics.discount_qalys);
    fprintf(fp, "  sessions %d, dose %u U, antibody-positive: %s\n", s->n_sessions, s->units,
            s->antibody ? "yes" : "no");
    fputs("  adverse events:", fp);
    if (s->n_ae == 0)
        fputs(" none possible", fp);
    for (int k = 0; k < s->n_ae; k++)
        fprintf(fp, "%s %s %u", k ? "," : "", psim_story_ae_name(scn, s, k), (unsigned)s->ae_count[k]);
    fputc('\n', fp);
    fprintf(fp, "  cost %.2f %s, %.4f QALY\n", s->cost, cur, s->qaly);
}

static void json_bool(FILE *fp, int v)
{
    fputs(v ? "true" : "false", fp);
}

static void print_json(const psim_scenario *scn, const psim_story *s, const int *days, int nd, FILE *fp)
{
    const psim_strategy *str = &scn->strategies[s->strategy];
    const char *I1 = "  ", *I2 = "    ", *I3 = "      ";
    char why[1024], buf[64];
    fputc('{', fp);
    jo_key(fp, I1, "scenario", 1);
    jo_str(fp, scn->name);
    jo_key(fp, I1, "seed", 0);
    fprintf(fp, "%llu", (unsigned long long)scn->seed);
    jo_key(fp, I1, "patient", 0);
    fprintf(fp, "%lld", (long long)s->patient);
    jo_key(fp, I1, "strategy", 0);
    jo_str(fp, str->name);
    jo_key(fp, I1, "treatment", 0);
    jo_str(fp, scn->treatments[s->treatment].name);
    jo_key(fp, I1, "treated", 0);
    json_bool(fp, s->treated);
    jo_key(fp, I1, "currency", 0);
    jo_str(fp, scn->economics.currency);
    jo_key(fp, I1, "horizon_days", 0);
    fprintf(fp, "%d", s->horizon_days);

    jo_key(fp, I1, "baseline", 0);
    fputc('{', fp);
    jo_key(fp, I2, "baseline_vas", 1);
    jo_num(fp, s->who.baseline_vas);
    jo_key(fp, I2, "strategy_baseline_vas", 0);
    jo_num(fp, s->baseline);
    jo_key(fp, I2, "pain_duration_months", 0);
    jo_num(fp, s->who.pain_duration_months);
    jo_key(fp, I2, "lumbar_levels", 0);
    fprintf(fp, "%d", s->who.lumbar_levels);
    jo_key(fp, I2, "myofascial", 0);
    json_bool(fp, s->who.myofascial);
    jo_key(fp, I2, "contraindications", 0);
    fputc('{', fp);
    for (int k = 0; k < PSIM_N_CONTRA; k++) {
        jo_key(fp, I3, psim_contra_names[k], k == 0);
        json_bool(fp, s->who.contraindication[k]);
    }
    fprintf(fp, "\n%s}", I2);
    jo_key(fp, I2, "aspirin_recent", 0);
    json_bool(fp, s->who.aspirin_recent);
    fprintf(fp, "\n%s}", I1);
    jo_key(fp, I1, "eligible", 0);
    json_bool(fp, s->who.eligible);
    eligibility_text(scn, s, why, sizeof why);
    jo_key(fp, I1, "eligibility", 0);
    jo_str(fp, why);

    jo_key(fp, I1, "sessions", 0);
    fputc('[', fp);
    for (int j = 0; j < s->n_sessions; j++) {
        const psim_session_info *in = &s->info[j];
        fprintf(fp, "%s\n%s{", j ? "," : "", I2);
        jo_key(fp, I3, "session", 1);
        fprintf(fp, "%d", j + 1);
        jo_key(fp, I3, "day", 0);
        fprintf(fp, "%d", s->session_day[j]);
        jo_key(fp, I3, "treatment", 0);
        jo_str(fp, scn->treatments[in->treatment].name);
        jo_key(fp, I3, "p_response", 0);
        jo_num(fp, in->p_response);
        jo_key(fp, I3, "latent_response", 0);
        json_bool(fp, s->latent[j] == 1);
        jo_key(fp, I3, "relief", 0);
        jo_num(fp, in->relief);
        jo_key(fp, I3, "duration_days", 0);
        jo_num(fp, in->duration_days);
        jo_key(fp, I3, "units", 0);
        fprintf(fp, "%u", in->units);
        jo_key(fp, I3, "drug_cost", 0);
        jo_num(fp, in->drug_cost);
        jo_key(fp, I3, "session_cost", 0);
        jo_num(fp, in->session_cost);
        jo_key(fp, I3, "adverse_events", 0);
        fputc('[', fp);
        int first = 1;
        for (int k = 0; k < s->n_ae; k++)
            if (in->ae_mask & (1u << k)) {
                fputs(first ? "" : ", ", fp);
                jo_str(fp, psim_story_ae_name(scn, s, k));
                first = 0;
            }
        fputc(']', fp);
        jo_key(fp, I3, "adverse_event_cost", 0);
        jo_num(fp, in->ae_cost);
        jo_key(fp, I3, "cost_discounted", 0);
        jo_num(fp, in->cost_discounted);
        jo_key(fp, I3, "qaly_loss", 0);
        jo_num(fp, in->qaly_loss);
        jo_key(fp, I3, "antibody_positive", 0);
        json_bool(fp, in->antibody);
        jo_key(fp, I3, "assessed_day", 0);
        if (s->observed[j] < 0)
            fputs("null", fp);
        else
            fprintf(fp, "%d", s->session_day[j] + str->schedule.assess_after_days);
        jo_key(fp, I3, "observed_response", 0);
        if (s->observed[j] < 0)
            fputs("null", fp);
        else
            json_bool(fp, s->observed[j]);
        fprintf(fp, "\n%s}", I2);
    }
    fprintf(fp, "%s]", s->n_sessions ? "\n  " : "");

    jo_key(fp, I1, "adverse_events", 0);
    fputc('{', fp);
    for (int k = 0; k < s->n_ae; k++) {
        jo_key(fp, I2, psim_story_ae_name(scn, s, k), k == 0);
        fprintf(fp, "%u", (unsigned)s->ae_count[k]);
    }
    fprintf(fp, "%s}", s->n_ae ? "\n  " : "");
    jo_key(fp, I1, "sessions_given", 0);
    fprintf(fp, "%d", s->n_sessions);
    jo_key(fp, I1, "units", 0);
    fprintf(fp, "%u", s->units);
    jo_key(fp, I1, "antibody_positive", 0);
    json_bool(fp, s->antibody);
    jo_key(fp, I1, "cost", 0);
    jo_num(fp, s->cost);
    jo_key(fp, I1, "qaly", 0);
    jo_num(fp, s->qaly);

    jo_key(fp, I1, "key_days", 0);
    fputc('{', fp);
    for (int d = 0; d < nd; d++) {
        int t = days[d];
        snprintf(buf, sizeof buf, "%d", t);
        jo_key(fp, I2, buf, d == 0);
        fputs("{\"effect\": ", fp);
        jo_num(fp, s->effect[t]);
        fputs(", \"noise\": ", fp);
        jo_num(fp, s->noise[t]);
        fputs(", \"vas\": ", fp);
        jo_num(fp, s->vas[t]);
        fprintf(fp, ", \"vas_mm\": %d, \"observed_response\": ", vas_mm(s->vas[t]));
        json_bool(fp, observed_today(s, t));
        fputc('}', fp);
    }
    fprintf(fp, "%s}", nd ? "\n  " : "");
    jo_key(fp, I1, "vas", 0);
    fputc('[', fp);
    for (int t = 0; t < s->horizon_days; t++) {
        fputs(t ? ", " : "", fp);
        jo_num(fp, s->vas[t]);
    }
    fputc(']', fp);
    jo_key(fp, I1, "effect", 0);
    fputc('[', fp);
    for (int t = 0; t < s->horizon_days; t++) {
        fputs(t ? ", " : "", fp);
        jo_num(fp, s->effect[t]);
    }
    fputs("]\n}\n", fp);
}

psim_status psim_story_print(const psim_scenario *scn, const psim_story *s, psim_story_format fmt, const int *days,
                             int n_days, FILE *fp, psim_error *err)
{
    int kd[16];
    if (!days) {
        n_days = psim_report_key_days(s->horizon_days, kd);
        days = kd;
    }
    for (int d = 0; d < n_days; d++)
        if (days[d] < 0 || days[d] >= s->horizon_days)
            return psim_error_set(err, PSIM_ERR_USAGE, NULL, 0, 0, "day %d is outside the horizon (days 0 to %d)",
                                  days[d], s->horizon_days - 1);
    if (fmt == PSIM_STORY_JSON)
        print_json(scn, s, days, n_days, fp);
    else
        print_text(scn, s, days, n_days, fp);
    if (fflush(fp) != 0 || ferror(fp))
        return psim_error_set(err, PSIM_ERR_IO, "standard output", 0, 0, "cannot write the story: %s",
                              strerror(errno));
    return PSIM_OK;
}
