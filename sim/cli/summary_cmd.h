/* `painsim summary FILE.h5`: print the results of a finished run. */
#ifndef PAINSIM_CLI_SUMMARY_CMD_H
#define PAINSIM_CLI_SUMMARY_CMD_H

#include <stdio.h>

/* argc/argv are the arguments after the word `summary` (as main.c passes
 * argc - 2, argv + 2 to its commands).  Returns the exit status: 0 success,
 * 1 failure while reading or writing (out of memory, stdout not writable),
 * 2 bad usage or a file that is not a finished painsim file. */
int painsim_summary_command(int argc, char **argv);

/* The help text of the command (for `painsim help summary`). */
void painsim_summary_print_help(FILE *fp);

#endif
