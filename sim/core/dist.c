/* Parameter distributions of MODEL.md section 6: means and draws. */
#include <math.h>

#include "painsim/psa.h"
#include "painsim/rng.h"
#include "painsim/scenario.h"

const char *psim_dist_name(psim_dist_kind k)
{
    switch (k) {
    case PSIM_DIST_FIXED: return "fixed";
    case PSIM_DIST_BETA: return "beta";
    case PSIM_DIST_GAMMA: return "gamma";
    case PSIM_DIST_NORMAL: return "normal";
    case PSIM_DIST_LOGNORMAL: return "lognormal";
    case PSIM_DIST_UNIFORM: return "uniform";
    case PSIM_DIST_DIRICHLET: return "dirichlet";
    case PSIM_DIST_EMPIRICAL: return "empirical";
    }
    return "unknown";
}

void psim_dist_mean(const psim_dist *d, double *mean)
{
    switch (d->kind) {
    case PSIM_DIST_FIXED: mean[0] = d->p1; return;
    case PSIM_DIST_BETA: mean[0] = d->p1 / (d->p1 + d->p2); return;
    case PSIM_DIST_GAMMA: mean[0] = d->p1 * d->p2; return;
    case PSIM_DIST_NORMAL: mean[0] = d->p1; return;
    case PSIM_DIST_LOGNORMAL: mean[0] = d->p1 * exp(0.5 * d->p2 * d->p2); return;
    case PSIM_DIST_UNIFORM: mean[0] = 0.5 * (d->p1 + d->p2); return;
    case PSIM_DIST_EMPIRICAL: {
        double sum = 0.0;
        for (int k = 0; k < d->n_values; k++)
            sum += d->values[k];
        mean[0] = d->n_values > 0 ? sum / d->n_values : 0.0;
        return;
    }
    case PSIM_DIST_DIRICHLET: {
        double sum = 0.0;
        for (int k = 0; k < d->dim; k++)
            sum += d->alpha[k];
        for (int k = 0; k < d->dim; k++)
            mean[k] = d->alpha[k] / sum;
        return;
    }
    }
}

/* Draws in a fixed order from one stream; the stream is keyed by the
 * parameter's index, so parameters never share or shift each other's draws. */
void psim_dist_draw(const psim_dist *d, psim_rng *rng, double *out)
{
    switch (d->kind) {
    case PSIM_DIST_FIXED: out[0] = d->p1; return;
    case PSIM_DIST_BETA: out[0] = psim_rng_beta(rng, d->p1, d->p2); return;
    case PSIM_DIST_GAMMA: out[0] = d->p2 * psim_rng_gamma(rng, d->p1); return;
    case PSIM_DIST_NORMAL: out[0] = d->p1 + d->p2 * psim_rng_normal(rng); return;
    case PSIM_DIST_LOGNORMAL: out[0] = d->p1 * exp(d->p2 * psim_rng_normal(rng)); return;
    case PSIM_DIST_UNIFORM: out[0] = d->p1 + (d->p2 - d->p1) * psim_rng_uniform(rng); return;
    case PSIM_DIST_EMPIRICAL: {
        /* one row, uniformly; the caller keys the stream by the file, so the
         * columns of one file take the same row */
        int row = (int)(psim_rng_uniform(rng) * d->n_values);
        out[0] = d->values[row < d->n_values ? row : d->n_values - 1];
        return;
    }
    case PSIM_DIST_DIRICHLET: {
        double sum = 0.0;
        for (int k = 0; k < d->dim; k++) {
            out[k] = psim_rng_gamma(rng, d->alpha[k]);
            sum += out[k];
        }
        if (!(sum > 0.0)) { /* every gamma underflowed (tiny concentrations): the mean */
            psim_dist_mean(d, out);
            return;
        }
        for (int k = 0; k < d->dim; k++)
            out[k] /= sum;
        return;
    }
    }
}
