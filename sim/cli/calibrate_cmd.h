/* `painsim calibrate SCENARIO --targets TARGETS.yaml`: fit parameters to published figures. */
#ifndef PAINSIM_CLI_CALIBRATE_CMD_H
#define PAINSIM_CLI_CALIBRATE_CMD_H

#include <stdio.h>

/* argc/argv are the arguments after the word `calibrate`.  Returns the exit
 * status: 0 success, 1 failure while running, 2 bad input or usage. */
int painsim_calibrate_command(int argc, char **argv);

/* The help text of the command (for `painsim help calibrate`). */
void painsim_calibrate_print_help(FILE *fp);

#endif
