/* Progress of a run on stderr: a bar redrawn in place on a terminal, plain
 * lines at most every N seconds for batch logs, or JSON lines for batch
 * systems (docs/cluster.md). */
#ifndef PAINSIM_CLI_PROGRESS_H
#define PAINSIM_CLI_PROGRESS_H

#include <stdint.h>

typedef enum cli_progress_mode {
    CLI_PROGRESS_AUTO = 0, /* bar on a terminal, else lines */
    CLI_PROGRESS_BAR,
    CLI_PROGRESS_LINES,
    CLI_PROGRESS_JSON,
    CLI_PROGRESS_NONE
} cli_progress_mode;

typedef struct cli_progress {
    int enabled;
    int mode;           /* cli_progress_mode, resolved (never AUTO once enabled) */
    double every;       /* lines and json: seconds between lines (0: every update) */
    int drawn;
    double last_draw;
    int horizon_days;
    int n_strategies;
    int64_t patients;   /* per PSA iteration (for the patient-days rate of iterations) */
    int columns;        /* width of the terminal; 0: 80 */
    int shard_index, shard_count; /* 1-based shard i of K; K = 0: not a shard */
    int rank, ranks;              /* MPI rank r (0-based) of K whose share the counts are; K < 2: no MPI */
} cli_progress;

/* Resolve mode AUTO (bar when stderr is a terminal, else lines) and set
 * enabled; quiet or NONE turn it off. */
void cli_progress_setup(cli_progress *p, int mode, int quiet, int stderr_is_tty);

void cli_progress_update(void *data, int64_t done, int64_t total, double elapsed);
/* The same for a PSA run, counting iterations instead of patients. */
void cli_progress_iterations(void *data, int64_t done, int64_t total, double elapsed);
void cli_progress_finish(cli_progress *p);

#endif
