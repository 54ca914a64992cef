/* painsim/psa.h: probabilistic sensitivity analysis (being written). */
#ifndef PAINSIM_PSA_H
#define PAINSIM_PSA_H
#include "painsim/rng.h"
#include "painsim/scenario.h"
/* Draw one value (dist.dim values for a dirichlet) from the stream rng. */
void psim_dist_draw(const psim_dist *d, psim_rng *rng, double *out);
#endif
