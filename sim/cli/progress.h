/* Progress bar on stderr for long runs (only when stderr is a terminal). */
#ifndef PAINSIM_CLI_PROGRESS_H
#define PAINSIM_CLI_PROGRESS_H

#include <stdint.h>

typedef struct cli_progress {
    int enabled;
    int drawn;
    double last_draw;
    int horizon_days;
    int n_strategies;
    int columns;        /* width of the terminal; 0: 80 */
} cli_progress;

void cli_progress_update(void *data, int64_t done, int64_t total, double elapsed);
/* The same for a PSA run, counting iterations instead of patients. */
void cli_progress_iterations(void *data, int64_t done, int64_t total, double elapsed);
void cli_progress_finish(cli_progress *p);

#endif
