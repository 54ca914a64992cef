/* `painsim sweep` and `painsim tornado`: one-way sensitivity analyses. */
#ifndef PAINSIM_CLI_SWEEP_CMD_H
#define PAINSIM_CLI_SWEEP_CMD_H

#include <stdio.h>

/* argc/argv are the arguments after the command word; tornado selects the
 * command.  Returns the exit status. */
int painsim_sweep_command(int argc, char **argv, int tornado, int full_argc, char **full_argv);
void painsim_sweep_print_help(FILE *fp, int tornado);

#endif
