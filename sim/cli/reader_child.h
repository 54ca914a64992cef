/* Reading a painsim file in a child process under resource limits, for the
 * commands that read files a user hands them (summary, report). */
#ifndef PAINSIM_CLI_READER_CHILD_H
#define PAINSIM_CLI_READER_CHILD_H

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

/* Bytes of address space the reading child may map. */
unsigned long long cli_reader_memory_limit(const char *path);

#endif
