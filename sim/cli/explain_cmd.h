/* `painsim explain SCENARIO --patient N`: one patient's story. */
#ifndef PAINSIM_CLI_EXPLAIN_CMD_H
#define PAINSIM_CLI_EXPLAIN_CMD_H

#include <stdio.h>

/* argc/argv are the arguments after the word `explain`.  Returns the exit status. */
int painsim_explain_command(int argc, char **argv);
void painsim_explain_print_help(FILE *fp);

#endif
