/* A main() for the fuzz targets without libFuzzer (tests/fuzz/fuzz.h).
 *
 *   fuzz_X_driver FILE|DIR...   run every file (a directory: every regular file
 *                               in it, in name order) through the target once;
 *                               the corpus regression test of every build.  An
 *                               input the target skips fails it: a corpus file
 *                               must exercise the target
 *   fuzz_X_driver < FILE        run standard input once
 *
 * Built with AFL++'s afl-clang-fast (which defines __AFL_FUZZ_TESTCASE_LEN),
 * the second form becomes AFL++'s persistent mode: one process runs many
 * inputs from shared memory.  See docs/fuzzing.md. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#ifdef __AFL_FUZZ_TESTCASE_LEN
/* AFL++'s macros use GNU extensions (statement expressions) */
#pragma GCC diagnostic ignored "-Wpedantic"
__AFL_FUZZ_INIT();
#endif

/* Reads all of fp into a new buffer of exactly *size bytes (at least 1 byte
 * allocated, so that an empty input is still a valid pointer). */
static unsigned char *read_all(FILE *fp, size_t *size)
{
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    if (!buf || ferror(fp)) {
        free(buf);
        return NULL;
    }
    /* exact size, so that AddressSanitizer sees a read past the end */
    unsigned char *exact = malloc(n ? n : 1);
    if (exact && n)
        memcpy(exact, buf, n);
    free(buf);
    *size = n;
    return exact;
}

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "fuzz driver: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t size = 0;
    unsigned char *data = read_all(fp, &size);
    fclose(fp);
    if (!data) {
        fprintf(stderr, "fuzz driver: cannot read %s\n", path);
        return -1;
    }
    fprintf(stderr, "fuzz driver: %s (%zu bytes)\n", path, size);
    int rc = LLVMFuzzerTestOneInput(data, size);
    free(data);
    if (rc != 0) {
        fprintf(stderr, "fuzz driver: %s: the target skipped this input\n", path);
        return -1;
    }
    return 1;
}

static int only_files(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Runs path, or every regular file in it; returns the inputs run, -1 on error. */
static int run_path(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "fuzz driver: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode))
        return run_file(path);
    struct dirent **names = NULL;
    int n = scandir(path, &names, only_files, alphasort);
    if (n < 0) {
        fprintf(stderr, "fuzz driver: cannot list %s: %s\n", path, strerror(errno));
        return -1;
    }
    int ran = 0;
    for (int i = 0; i < n; i++) {
        if (ran >= 0) {
            size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
            char *full = malloc(len);
            struct stat fs;
            if (!full) {
                ran = -1;
            } else {
                snprintf(full, len, "%s/%s", path, names[i]->d_name);
                if (stat(full, &fs) == 0 && S_ISREG(fs.st_mode)) {
                    int r = run_file(full);
                    ran = r < 0 ? -1 : ran + r;
                }
                free(full);
            }
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        int total = 0;
        for (int i = 1; i < argc; i++) {
            int r = run_path(argv[i]);
            if (r < 0)
                return 2;
            total += r;
        }
        if (total == 0) {
            fprintf(stderr, "fuzz driver: no input files\n");
            return 2;
        }
        fprintf(stderr, "fuzz driver: %d inputs, no finding\n", total);
        return 0;
    }
#ifdef __AFL_FUZZ_TESTCASE_LEN
    __AFL_INIT();
    const unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(10000)) {
        size_t size = (size_t)__AFL_FUZZ_TESTCASE_LEN;
        unsigned char *data = malloc(size ? size : 1);
        if (!data)
            return 1;
        memcpy(data, buf, size);
        LLVMFuzzerTestOneInput(data, size);
        free(data);
    }
    return 0;
#else
    size_t size = 0;
    unsigned char *data = read_all(stdin, &size);
    if (!data) {
        fprintf(stderr, "fuzz driver: cannot read standard input\n");
        return 2;
    }
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
#endif
}
