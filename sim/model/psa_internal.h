/* Internal: constructors shared by the PSA engine (sim/model/psa.c), its
 * analysis (sim/economics/psa_analysis.c) and the PSA file reader
 * (sim/output/psa_h5.c). */
#ifndef PAINSIM_PSA_INTERNAL_H
#define PAINSIM_PSA_INTERNAL_H

#include "painsim/psa.h"

/* A sample of I iterations, S strategies, C parameter columns and P
 * parameters with every table allocated (zeroed) and the sizes set; names,
 * the column layout and the reference are the caller's to fill.  NULL when
 * out of memory. */
psim_psa_sample *psim_psa_sample_new_(int I, int S, int C, int P);

/* An analysis for S strategies, W WTP values, P parameters and G groups,
 * every array allocated (zeroed).  NULL when out of memory. */
psim_psa_analysis *psim_psa_analysis_new_(int S, int W, int P, int G);

#endif
