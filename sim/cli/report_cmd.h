/* `painsim report FILE.h5 [-o report.html]`: a finished run as one
 * self-contained HTML page with tables and charts. */
#ifndef PAINSIM_CLI_REPORT_CMD_H
#define PAINSIM_CLI_REPORT_CMD_H

#include <stdio.h>

/* argc/argv are the arguments after the word `report`.  Returns the exit
 * status: 0 success, 1 failure while reading or writing (Chart.js missing,
 * a full disk), 2 bad usage, an existing output without --force, or a file
 * that is not a finished painsim file. */
int painsim_report_command(int argc, char **argv);

/* The help text of the command (for `painsim help report`). */
void painsim_report_print_help(FILE *fp);

#endif
