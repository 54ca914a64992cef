/* Helpers shared by the commands of sim/cli that take a scenario: option
 * parsing, --set lists, loading, error printing and exit statuses. */
#ifndef PAINSIM_CLI_UTIL_H
#define PAINSIM_CLI_UTIL_H

#include "painsim/error.h"
#include "painsim/scenario.h"

enum { CLI_OK = 0, CLI_RUNTIME = 1, CLI_INPUT = 2, CLI_INTERRUPTED = 130 };

/* Exit status of a library status: 0, 1 run-time, 2 input or usage, 130. */
int cli_exit_code(psim_status st);

/* "painsim: error: file:line:column: message" on stderr. */
void cli_print_error(const psim_error *err);

/* "painsim CMD: <message>" on stderr, where the message is fmt with one %s
 * (arg), and a pointer to `painsim CMD --help`; returns 2.  Every command's
 * usage errors go through it (cmd NULL: the top level, `painsim --help`). */
int cli_usage(const char *cmd, const char *fmt, const char *arg);

/* Whether argv[i] is option `name` (also `--name=value` for long options). */
int cli_opt_is(const char *arg, const char *name);

/* The value of the option at argv[*i]: after `=` or the next argument (then
 * *i advances).  Prints a usage error and returns 0 when it is missing. */
int cli_take_value(int argc, char **argv, int *i, const char *cmd, const char **value);

/* Strict unsigned decimal integer. */
int cli_parse_u64(const char *s, unsigned long long *out);

/* Strict number (the whole text is a finite double). */
int cli_parse_double(const char *s, double *out);

/* The --set options of a command. */
typedef struct cli_sets {
    const char *set[PSIM_MAX_SET + 8];
    int n;
} cli_sets;

/* Check the value of a --set option: without `=` it is a usage error that
 * says to write `=` (`next`, the following argument or NULL, shows how).
 * Returns -1 when fine, else the exit status. */
int cli_check_set(const char *cmd, const char *v, const char *next);

/* Columns of the terminal on fd; else $COLUMNS (20 to 10000); else 0 (no limit). */
int cli_columns(int fd);

/* Take `--set KEY=VALUE` at argv[*i] into s.  `--set KEY VALUE` (a space
 * instead of `=`) is a usage error that says to write `=`.  Returns -1 on
 * success, else the exit status of the usage error. */
int cli_take_set(int argc, char **argv, int *i, const char *cmd, cli_sets *s);

/* Load the scenario with the overrides; a file that cannot be read is bad input. */
psim_status cli_load_scenario(const char *path, const cli_sets *s, psim_scenario **scn,
                              psim_error *err) PSIM_MUST_CHECK;

/* The index of strategy `name` (a name, or a 0-based index), or -1. */
int cli_find_strategy(const psim_scenario *scn, const char *name);

/* Parse "d1,d2,..." into at most cap days in [0, horizon); returns the count, or -1. */
int cli_parse_days(const char *s, int horizon, int *days, int cap);

/* The CPUs this process may run on (its affinity mask: taskset, cgroups,
 * mpirun's binding); 0 when unknown. */
int cli_affinity_cpus(void);

#endif
