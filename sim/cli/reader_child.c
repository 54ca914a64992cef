/* Reading a painsim file in a limited child process (reader_child.h).
 *
 * HDF5 1.10 checks most of a file's structure, but some corrupted metadata
 * (such as a variable-length string whose global-heap entry has a damaged
 * length or index) makes the library itself read out of bounds or allocate
 * what the damaged length says.  A file is therefore read in a child process
 * with limited memory and CPU time: if that dies on a signal or runs out of
 * its limits, the file is reported as damaged instead of the command crashing
 * or swapping. */
#include "reader_child.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define READER_LIMIT_MEMORY 0 /* AddressSanitizer reserves terabytes of address space */
#else
#define READER_LIMIT_MEMORY 1
#endif

static unsigned long long file_size_of(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > 0 ? (unsigned long long)sb.st_size : 0;
}

/* Address space, not resident memory.  What a reader holds is at most a few
 * times what the file stores (a PSA sample and its analysis) plus the HDF5
 * library; 2 GiB leaves room for the libraries' mappings and thread arenas and
 * stays below what a damaged 4 GiB string length asks for. */
unsigned long long cli_reader_memory_limit(const char *path)
{
    return (2ULL << 30) + 4 * file_size_of(path);
}

static void limit_reader(const char *path)
{
    /* reading is one pass over the file: a minute plus a second per MiB */
    unsigned long long mib = file_size_of(path) >> 20;
    struct rlimit cpu = {.rlim_cur = (rlim_t)(60 + mib), .rlim_max = (rlim_t)(70 + mib)};
    setrlimit(RLIMIT_CPU, &cpu);
    if (READER_LIMIT_MEMORY) {
        rlim_t as = (rlim_t)cli_reader_memory_limit(path);
        struct rlimit lim = {.rlim_cur = as, .rlim_max = as};
        setrlimit(RLIMIT_AS, &lim);
    }
}

int cli_reader_failed(const char *command, const char *path, psim_status st, const psim_error *err, int limited)
{
    if (st == PSIM_ERR_NOMEM && limited) {
        fprintf(stderr,
                "painsim %s: error: %s: damaged file: reading it needs more memory than a painsim file of "
                "its size can (the reader is limited to %llu MiB)\n",
                command, path, cli_reader_memory_limit(path) >> 20);
        return 2;
    }
    char buf[PSIM_ERROR_TEXT_MAX + PSIM_ERROR_FILE_MAX + 64];
    psim_error_format(err, buf, sizeof buf);
    fprintf(stderr, "painsim %s: error: %s\n", command, buf);
    return st == PSIM_ERR_INPUT || st == PSIM_ERR_USAGE || st == PSIM_ERR_EXISTS ? 2 : 1;
}

int cli_read_isolated(const char *command, const char *path, cli_reader_fn fn, void *data)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return fn(data, 0);
    if (pid == 0) {
        limit_reader(path);
        int rc = fn(data, 1);
        if (fflush(stdout) != 0 && rc == 0)
            rc = 1;
        _exit(rc);
    }
    int status = 0;
    pid_t w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    if (w < 0) {
        fprintf(stderr, "painsim %s: error: cannot wait for the reader process: %s\n", command, strerror(errno));
        return 1;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGPIPE || sig == SIGKILL) {
        /* not the file's fault: end the way the reader ended (a partial output
         * file the child held is stale now: the next writer replaces it) */
        signal(sig, SIG_DFL);
        raise(sig);
        return 128 + sig;
    }
    if (sig == SIGXCPU)
        fprintf(stderr,
                "painsim %s: error: %s: damaged file: reading it took more CPU time than a painsim file of its "
                "size can\n",
                command, path);
    else
        fprintf(stderr, "painsim %s: error: %s: damaged file: the HDF5 library failed reading it (signal %d)\n",
                command, path, sig);
    return 2;
}
