/* Checks on the files painsim reads, and its spill files (see files.h). */
#include "core/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

psim_status psim_check_regular_input(const char *path, const char *what, psim_error *err)
{
    struct stat sb;
    /* stat does not open the file: a FIFO cannot block it */
    if (stat(path, &sb) != 0)
        return psim_error_set(err, PSIM_ERR_INPUT, path, 0, 0, "cannot open the %s: %s", what, strerror(errno));
    if (S_ISREG(sb.st_mode))
        return PSIM_OK;
    const char *kind = S_ISDIR(sb.st_mode)    ? "a directory"
                       : S_ISFIFO(sb.st_mode) ? "a FIFO (named pipe)"
                       : S_ISSOCK(sb.st_mode) ? "a socket"
                       : (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode)) ? "a device"
                                                                     : "not a regular file";
    return psim_error_set(err, PSIM_ERR_INPUT, path, 0, 0,
                          "is %s; the %s must be a regular file (painsim reads it whole, and a pipe or device "
                          "could block or never end)",
                          kind, what);
}

FILE *psim_spill_file(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    if (!dir || !*dir || strlen(dir) > sizeof path - 40)
        dir = "/tmp";
    snprintf(path, sizeof path, "%s/painsim-spill-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    unlink(path);
    FILE *f = fdopen(fd, "w+b");
    if (!f)
        close(fd);
    return f;
}
