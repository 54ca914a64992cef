/* Reading a painsim file in a child process under resource limits, for the
 * commands that read files a user hands them (summary, report). */
#ifndef PAINSIM_CLI_READER_CHILD_H
#define PAINSIM_CLI_READER_CHILD_H

#include "painsim/error.h"

/* Reads and prints; `limited` is 1 in the limited child, where running out of
 * memory means the file asked for more than its size allows (it is damaged).
 * Returns an exit status. */
typedef int (*cli_reader_fn)(void *data, int limited);

/* Run fn in a child process limited to cli_reader_memory_limit(path) of
 * address space and a CPU time that grows with the file's size.  A child that
 * dies on a signal or its CPU limit means a damaged file: exit status 2 with a
 * message naming `path` (prefixed "painsim <command>: ").  Interrupts (SIGINT,
 * SIGTERM, SIGHUP, SIGPIPE, SIGKILL) end this process the same way.  Without
 * fork, fn runs in this process. */
int cli_read_isolated(const char *command, const char *path, cli_reader_fn fn, void *data);

/* The end of a reader whose reading failed with st (not PSIM_OK): in the
 * limited child, running out of memory means a damaged file (it asked for
 * more than its size allows); otherwise err's message.  Prints "painsim
 * <command>: error: ..." on stderr and returns the exit status: 2 for bad
 * input or usage (a damaged file, an existing output), else 1. */
int cli_reader_failed(const char *command, const char *path, psim_status st, const psim_error *err, int limited);

/* Bytes of address space the reading child may map. */
unsigned long long cli_reader_memory_limit(const char *path);

#endif
