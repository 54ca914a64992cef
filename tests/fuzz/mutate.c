/* A fixed-length mutation run of a fuzz target, each input in its own process
 * (docs/fuzzing.md).
 *
 *   fuzz_summary_mutate --runs N [--seed S] [--timeout SEC] [--findings DIR] CORPUS...
 *
 * Input k (k = 0 .. N-1) is a corpus file (every regular file of the CORPUS
 * directories or files) changed by a few random edits: bits flipped, bytes
 * and multi-byte integers overwritten with random or boundary values, blocks
 * copied or zeroed, the file cut short; half of the edits land within 512
 * bytes of an HDF5 metadata signature (object headers, B-trees, heaps), where
 * a change reaches the library's parsers rather than checksummed raw data.
 * The edits of input k depend only on (S, k) and the corpus, so a run is
 * repeatable and any input can be made again from its number.
 *
 * Each input runs in a forked child (with ASan and UBSan, as the fuzz build
 * compiles everything), whose standard error goes to a log.  The child
 * must either read the input cleanly (exit 0), or report an input error with
 * a message (exit 2), as `painsim summary` does with a damaged file.  Anything
 * else (a signal, a sanitizer report, a leak, a timeout, another status) is
 * classified from the first stack of the child's report: skipping the
 * sanitizer runtime and the C library, the first frame decides.
 *  - a frame in libhdf5: a defect of HDF5 1.10.8 itself (it crashes on some
 *    damaged metadata before painsim sees any data; `painsim summary` reads in
 *    a child process and reports such a file as damaged, exit 2).  Counted by
 *    signature (the report's kind and the top HDF5 functions) and listed; the
 *    first input of each signature is kept in DIR/hdf5/ for triage.
 *  - anything else (painsim's code, the harness, an unknown frame, no stack
 *    at all), and every leak that lsan.supp does not suppress: a painsim
 *    finding.  The input and its log are kept in DIR, the log is printed, and
 *    the run fails (exit status 1).
 * A child that runs past SEC seconds is sent SIGABRT, which makes ASan print
 * where it was (handle_abort=1 below), and classified the same way.
 *
 * The last line printed counts the inputs and their outcomes.  A classifier
 * that could never fail would prove nothing: ctest runs this program with
 * faults planted in the harness (PAINSIM_FUZZ_PLANT, fuzz_summary.c) and
 * checks that a painsim defect fails the run and an HDF5 crash does not. */
#define _GNU_SOURCE /* nftw's FTW_DEPTH */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <hdf5.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

/* Sanitizer settings that the classification needs, whatever the
 * environment adds: a stack for abort() and for the SIGABRT of a timeout,
 * full stacks through libhdf5 (no frame pointers) for the leak suppressions,
 * and UBSan's stack. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "handle_abort=1:fast_unwind_on_malloc=0:malloc_context_size=12:detect_leaks=1";
}
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
    return "print_stacktrace=1";
}

/* ---- deterministic random numbers: splitmix64 keyed by (seed, input) ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_below(rng *r, uint64_t n)
{
    return n ? rng_next(r) % n : 0;
}

/* ---- the corpus ---- */

typedef struct seed_file {
    char *name;
    uint8_t *data;
    size_t size;
    size_t *sigs; /* offsets of HDF5 metadata signatures */
    size_t nsigs;
} seed_file;

typedef struct corpus {
    seed_file *v;
    size_t n, cap;
} corpus;

static const char *const signatures[] = {"\x89HDF", "OHDR", "OCHK", "TREE", "BTHD", "BTIN", "BTLF", "FRHP",
                                         "FHDB",     "FHIB", "FSHD", "FSSE", "GCOL", "HEAP", "SNOD", "SMTB",
                                         "SMLI"};

static int add_file(corpus *c, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "mutate: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0 || sb.st_size <= 0 || sb.st_size > (64 << 20)) {
        fprintf(stderr, "mutate: %s: empty, unreadable or over 64 MiB\n", path);
        fclose(fp);
        return -1;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        seed_file *v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            fclose(fp);
            return -1;
        }
        c->v = v;
        c->cap = cap;
    }
    seed_file *f = &c->v[c->n];
    memset(f, 0, sizeof *f);
    f->size = (size_t)sb.st_size;
    f->data = malloc(f->size);
    f->name = strdup(path);
    f->sigs = malloc(f->size * sizeof *f->sigs / 8 + sizeof *f->sigs);
    if (!f->data || !f->name || !f->sigs || fread(f->data, 1, f->size, fp) != f->size) {
        fprintf(stderr, "mutate: cannot read %s\n", path);
        fclose(fp);
        free(f->data);
        free(f->name);
        free(f->sigs);
        return -1;
    }
    fclose(fp);
    for (size_t at = 0; at + 4 <= f->size; at++)
        for (size_t k = 0; k < sizeof signatures / sizeof signatures[0]; k++)
            if (memcmp(f->data + at, signatures[k], 4) == 0 && f->nsigs < f->size / 8 + 1)
                f->sigs[f->nsigs++] = at;
    c->n++;
    return 0;
}

static int only_files(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

static int add_path(corpus *c, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "mutate: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode))
        return add_file(c, path);
    struct dirent **names = NULL;
    int n = scandir(path, &names, only_files, alphasort);
    if (n < 0) {
        fprintf(stderr, "mutate: cannot list %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char full[4096];
        struct stat fs;
        snprintf(full, sizeof full, "%s/%s", path, names[i]->d_name);
        if (rc == 0 && stat(full, &fs) == 0 && S_ISREG(fs.st_mode))
            rc = add_file(c, full);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* ---- mutations ---- */

static void put_le(uint8_t *p, size_t avail, uint64_t v, size_t width)
{
    for (size_t i = 0; i < width && i < avail; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Input k: a corpus file with 1-4 edits, into buf (capacity at least the
 * largest corpus file); returns its size and the corpus file's index. */
static size_t make_input(const corpus *c, uint64_t seed, uint64_t k, uint8_t *buf, size_t *from)
{
    rng r = {seed * 0x2545f4914f6cdd1dULL ^ (k + 1) * 0x9e3779b97f4a7c15ULL};
    rng_next(&r);
    const seed_file *f = &c->v[rng_below(&r, c->n)];
    *from = (size_t)(f - c->v);
    size_t len = f->size;
    memcpy(buf, f->data, len);
    int edits = 1 + (int)rng_below(&r, 4);
    for (int e = 0; e < edits && len > 0; e++) {
        size_t pos;
        if (f->nsigs && rng_below(&r, 2) == 0)
            pos = f->sigs[rng_below(&r, f->nsigs)] + (size_t)rng_below(&r, 512);
        else
            pos = (size_t)rng_below(&r, len);
        if (pos >= len)
            pos = len - 1;
        static const uint64_t interesting[] = {0,          1,          2,          7,          8,          16,
                                               64,         255,        256,        4096,       0x7f,       0x80,
                                               0x7fff,     0x8000,     0xffff,     0x7fffffff, 0x80000000, 0xffffffff,
                                               UINT64_MAX, INT64_MAX,  1ULL << 32, 1ULL << 40};
        switch (rng_below(&r, 9)) {
        case 0:
            buf[pos] ^= (uint8_t)(1u << rng_below(&r, 8));
            break;
        case 1:
            buf[pos] = (uint8_t)rng_next(&r);
            break;
        case 2: /* a boundary value, 1, 2, 4 or 8 bytes little-endian */
            put_le(buf + pos, len - pos, interesting[rng_below(&r, sizeof interesting / sizeof interesting[0])],
                   (size_t)1 << rng_below(&r, 4));
            break;
        case 3: /* a size or an address of the file, 4 or 8 bytes */
            put_le(buf + pos, len - pos, rng_below(&r, 2) ? (uint64_t)len : rng_below(&r, (uint64_t)len + 64),
                   rng_below(&r, 2) ? 8 : 4);
            break;
        case 4: { /* a small step up or down */
            int d = 1 + (int)rng_below(&r, 16);
            buf[pos] = (uint8_t)(rng_below(&r, 2) ? buf[pos] + d : buf[pos] - d);
            break;
        }
        case 5: { /* copy a block from elsewhere in the file */
            size_t n = 1 + (size_t)rng_below(&r, 64), src = (size_t)rng_below(&r, len);
            if (n > len - pos)
                n = len - pos;
            if (n > len - src)
                n = len - src;
            memmove(buf + pos, buf + src, n);
            break;
        }
        case 6: { /* zero a block */
            size_t n = 1 + (size_t)rng_below(&r, 32);
            memset(buf + pos, 0, n < len - pos ? n : len - pos);
            break;
        }
        case 7: /* cut the file short, rarely; otherwise flip a bit */
            if (rng_below(&r, 8) == 0 && pos > 0)
                len = pos;
            else
                buf[pos] ^= (uint8_t)(1u << rng_below(&r, 8));
            break;
        default: /* a random 4-byte value */
            put_le(buf + pos, len - pos, rng_next(&r), 4);
            break;
        }
    }
    return len;
}

/* ---- running one input in a child ---- */

enum { OUT_CLEAN, OUT_INPUT_ERROR, OUT_SKIPPED, OUT_HDF5, OUT_PAINSIM, OUT_COUNT };

static void child(const uint8_t *data, size_t size, const char *logpath)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
        _exit(120);
    close(fd);
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
        dup2(devnull, STDOUT_FILENO);
        close(devnull);
    }
    /* exactly the input's size, so that ASan sees a read past its end */
    uint8_t *exact = malloc(size ? size : 1);
    if (!exact)
        _exit(121);
    memcpy(exact, data, size);
    int skipped = LLVMFuzzerTestOneInput(exact, size) != 0;
    free(exact);
    if (skipped)
        exit(3);
    char msg[2048];
    int outcome = fuzz_last_outcome(msg, sizeof msg);
    if (outcome == 2) {
        fprintf(stderr, "mutate: input error: %s\n", msg);
        exit(msg[0] ? 2 : 4);
    }
    exit(outcome == 0 ? 0 : 5);
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return strdup("");
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap + 1);
    while (s) {
        size_t got = fread(s + n, 1, cap - n, fp);
        n += got;
        if (n < cap || got == 0)
            break;
        char *t = realloc(s, 2 * cap + 1);
        if (!t) {
            free(s);
            s = NULL;
            break;
        }
        s = t;
        cap *= 2;
    }
    fclose(fp);
    if (s)
        s[n] = '\0';
    return s;
}

/* ---- classification of a child's report ---- */

typedef enum { FRAME_SKIP, FRAME_HDF5, FRAME_OTHER } frame_kind;

/* One stack frame line of a sanitizer report ("#3 0x... in FUNC FILE:LINE"
 * or "#3 0x... in FUNC (MODULE+0x...)" or "#3 0x...  (MODULE+0x...)"):
 * where it is, and its function name (if symbolised) into fn. */
static frame_kind frame_of(const char *line, size_t len, char *fn, size_t fncap)
{
    char l[1024];
    snprintf(l, sizeof l, "%.*s", (int)(len < sizeof l - 1 ? len : sizeof l - 1), line);
    fn[0] = '\0';
    const char *in = strstr(l, " in ");
    if (in) {
        size_t n = strcspn(in + 4, " ");
        snprintf(fn, fncap, "%.*s", (int)n, in + 4);
    }
    if (strstr(l, "libhdf5"))
        return FRAME_HDF5;
    static const char *const runtime[] = {"libclang_rt", "libasan", "libubsan", "liblsan", "compiler-rt/lib",
                                          "libsanitizer", "/libc.so", "/libm.so", "/ld-linux", "/libpthread",
                                          "libc_start", "../sysdeps/", "/libgcc_s"};
    for (size_t i = 0; i < sizeof runtime / sizeof runtime[0]; i++)
        if (strstr(l, runtime[i]))
            return FRAME_SKIP;
    /* the sanitizer runtime is linked into the program: its frames are named */
    static const char *const runtime_fn[] = {"__interceptor_", "___interceptor_", "__interception", "__asan",
                                             "__sanitizer",    "__ubsan",         "__lsan",         "__GI_",
                                             "__libc",         "__pthread_kill",  "_Unwind_"};
    for (size_t i = 0; i < sizeof runtime_fn / sizeof runtime_fn[0]; i++)
        if (strncmp(fn, runtime_fn[i], strlen(runtime_fn[i])) == 0)
            return FRAME_SKIP;
    /* C library functions the runtime intercepts (malloc, free, memcpy, ...) */
    static const char *const libc_fn[] = {"malloc",  "free",    "calloc",  "realloc", "reallocarray", "posix_memalign",
                                          "memalign", "aligned_alloc", "valloc", "strdup", "strndup", "memcpy",
                                          "memmove", "memset",  "memcmp",  "bcmp",    "strlen",  "strnlen",
                                          "strcmp",  "strncmp", "strcpy",  "strncpy", "strcat",  "strncat",
                                          "strchr",  "strrchr", "strstr",  "memchr",  "raise",   "abort",
                                          "pread",   "pread64", "read",    "fread",   "fwrite",  "write"};
    for (size_t i = 0; i < sizeof libc_fn / sizeof libc_fn[0]; i++)
        if (strcmp(fn, libc_fn[i]) == 0)
            return FRAME_SKIP;
    return FRAME_OTHER;
}

/* The kind of the first report in log: "SEGV", "heap-buffer-overflow",
 * "bad-free", "leak", "ubsan", ... or "" when there is none. */
static const char *report_start(const char *log, char *kind, size_t cap)
{
    const char *asan = strstr(log, "ERROR: AddressSanitizer: ");
    const char *lsan = strstr(log, "ERROR: LeakSanitizer:");
    const char *ub = strstr(log, "runtime error:");
    const char *first = NULL;
    kind[0] = '\0';
    if (asan && (!first || asan < first))
        first = asan;
    if (lsan && (!first || lsan < first))
        first = lsan;
    if (ub && (!first || ub < first))
        first = ub;
    if (!first)
        return NULL;
    if (first == lsan) {
        snprintf(kind, cap, "leak");
    } else if (first == ub) {
        snprintf(kind, cap, "undefined-behaviour");
    } else {
        const char *k = asan + strlen("ERROR: AddressSanitizer: ");
        size_t n = strcspn(k, " \n(");
        snprintf(kind, cap, "%.*s", (int)n, k);
        if (strncmp(k, "attempting free", 15) == 0 || strncmp(k, "attempting double-free", 22) == 0)
            snprintf(kind, cap, "%s", k[11] == 'd' ? "double-free" : "bad-free");
    }
    return first;
}

/* Classifies a report from its first stack: OUT_HDF5 (signature into sig) or
 * OUT_PAINSIM. */
static int classify(const char *log, int timed_out, char *sig, size_t cap)
{
    char kind[64];
    const char *at = report_start(log, kind, sizeof kind);
    if (timed_out)
        snprintf(kind, sizeof kind, "timeout");
    if (!at) {
        snprintf(sig, cap, "%s without a sanitizer report", timed_out ? "timeout" : "crash");
        return OUT_PAINSIM;
    }
    const char *p = strstr(at, "#0 ");
    char hdf5_fns[256] = "";
    int decided = OUT_PAINSIM, frames = 0, named = 0;
    snprintf(sig, cap, "%s in an unknown frame", kind);
    while (p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char fn[256];
        frame_kind fk = frame_of(p, len, fn, sizeof fn);
        if (fk == FRAME_HDF5) {
            /* the signature: the first two named HDF5 functions (its static
             * functions have no names in Debian's build) */
            if (fn[0] && named < 2)
                snprintf(hdf5_fns + strlen(hdf5_fns), sizeof hdf5_fns - strlen(hdf5_fns), "%s%s",
                         named++ ? " < " : "", fn);
            frames++;
            decided = OUT_HDF5;
            if (named >= 2 || frames >= 12)
                break;
        } else if (fk == FRAME_OTHER) {
            if (frames == 0) {
                snprintf(sig, cap, "%s in %s", kind, fn[0] ? fn : "an unknown frame");
                decided = OUT_PAINSIM;
            }
            break;
        }
        /* the next frame line of the same stack */
        if (!eol)
            break;
        p = eol + 1;
        while (*p == ' ')
            p++;
        if (*p != '#')
            break;
    }
    if (decided == OUT_HDF5)
        snprintf(sig, cap, "%s in %s", kind, hdf5_fns[0] ? hdf5_fns : "libhdf5");
    /* a leak that lsan.supp lets through is painsim's to fix, whoever
     * allocated it (HDF5 allocates the strings painsim must free) */
    if (strcmp(kind, "leak") == 0)
        decided = OUT_PAINSIM;
    return decided;
}

/* ---- the run ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static int write_file(const char *path, const void *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    int ok = fwrite(data, 1, size, fp) == size;
    return fclose(fp) == 0 && ok ? 0 : -1;
}

typedef struct signature_count {
    char sig[320];
    long n;
    long first;
} signature_count;

static void usage(void)
{
    fprintf(stderr, "usage: fuzz_summary_mutate --runs N [--seed S] [--jobs J] [--timeout SEC] [--findings DIR] "
                    "CORPUS...\n");
    exit(2);
}

/* A child running one input. */
typedef struct slot {
    pid_t pid; /* 0: free */
    long k;
    size_t from, len;
    uint8_t *input;
    char log[128];
    struct timespec start;
    int stage; /* 0 running, 1 sent SIGABRT, 2 sent SIGKILL */
} slot;

typedef struct tally {
    long count[OUT_COUNT];
    signature_count *sigs;
    size_t nsigs;
    const char *findings, *hdf5_dir;
    const corpus *c;
    uint64_t seed;
} tally;

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + 1e-9 * (double)(now.tv_nsec - t0->tv_nsec);
}

/* Classifies the ended child of slot sl (wait status `status`) into t. */
static int record(tally *t, const slot *sl, int status)
{
    char sig[320] = "";
    char *log = read_text(sl->log);
    if (!log)
        return -1;
    int timed_out = sl->stage > 0;
    int exited = WIFEXITED(status);
    int code = exited ? WEXITSTATUS(status) : -1;
    char kind[64];
    int report = report_start(log, kind, sizeof kind) != NULL;
    int outcome;
    if (!timed_out && !report && exited && code == 0)
        outcome = OUT_CLEAN;
    else if (!timed_out && !report && exited && code == 2 && strstr(log, "mutate: input error: "))
        outcome = OUT_INPUT_ERROR;
    else if (!timed_out && !report && exited && code == 3)
        outcome = OUT_SKIPPED;
    else if (!timed_out && !report && exited) {
        snprintf(sig, sizeof sig, "exit status %d without a sanitizer report", code);
        outcome = OUT_PAINSIM;
    } else {
        outcome = classify(log, timed_out, sig, sizeof sig);
    }
    t->count[outcome]++;
    char path[4200];
    if (outcome == OUT_HDF5) {
        size_t i = 0;
        while (i < t->nsigs && strcmp(t->sigs[i].sig, sig) != 0)
            i++;
        if (i == t->nsigs) {
            signature_count *v = realloc(t->sigs, (t->nsigs + 1) * sizeof *v);
            if (!v) {
                free(log);
                return -1;
            }
            t->sigs = v;
            snprintf(v[i].sig, sizeof v[i].sig, "%s", sig);
            v[i].n = 0;
            v[i].first = sl->k;
            t->nsigs++;
        }
        t->sigs[i].n++;
        if (sl->k <= t->sigs[i].first) { /* keep the lowest-numbered example */
            t->sigs[i].first = sl->k;
            snprintf(path, sizeof path, "%s/%s.h5", t->hdf5_dir, sig);
            for (char *q = path + strlen(t->hdf5_dir) + 1; *q; q++)
                if (*q == ' ' || *q == '/' || *q == '<' || *q == '(' || *q == ')')
                    *q = '_';
            write_file(path, sl->input, sl->len);
            memcpy(path + strlen(path) - 3, ".log", 5);
            write_file(path, log, strlen(log));
        }
    } else if (outcome == OUT_PAINSIM) {
        snprintf(path, sizeof path, "%s/input-%06ld.h5", t->findings, sl->k);
        write_file(path, sl->input, sl->len);
        printf("mutate: input %ld (from %s, seed %llu): painsim finding: %s; input written to %s\n", sl->k,
               t->c->v[sl->from].name, (unsigned long long)t->seed, sig, path);
        snprintf(path, sizeof path, "%s/input-%06ld.log", t->findings, sl->k);
        write_file(path, log, strlen(log));
        printf("---- its log ----\n%s---- end of log ----\n", log);
        fflush(stdout);
    }
    free(log);
    return 0;
}

int main(int argc, char **argv)
{
    long runs = -1;
    int jobs = 2;
    uint64_t seed = 1;
    double timeout = 20;
    const char *findings = "findings";
    corpus c = {NULL, 0, 0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
            jobs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--findings") == 0 && i + 1 < argc)
            findings = argv[++i];
        else if (argv[i][0] == '-')
            usage();
        else if (add_path(&c, argv[i]) != 0)
            return 2;
    }
    if (runs <= 0 || c.n == 0 || !(timeout > 0) || jobs < 1 || jobs > 64)
        usage();

    size_t maxlen = 0;
    for (size_t i = 0; i < c.n; i++)
        if (c.v[i].size > maxlen)
            maxlen = c.v[i].size;
    const char *tmp = getenv("TMPDIR");
    char scratch[64];
    snprintf(scratch, sizeof scratch, "%s/painsim-mutate-XXXXXX", tmp && *tmp && strlen(tmp) < 30 ? tmp : "/tmp");
    char hdf5_dir[4096];
    snprintf(hdf5_dir, sizeof hdf5_dir, "%s/hdf5", findings);
    slot *slots = calloc((size_t)jobs, sizeof *slots);
    int ok = slots != NULL;
    for (int j = 0; ok && j < jobs; j++)
        ok = (slots[j].input = malloc(maxlen)) != NULL;
    if (!ok || !mkdtemp(scratch) || (mkdir(findings, 0755) != 0 && errno != EEXIST) ||
        (mkdir(hdf5_dir, 0755) != 0 && errno != EEXIST)) {
        fprintf(stderr, "mutate: cannot make the scratch or findings directory: %s\n", strerror(errno));
        return 2;
    }
    /* the target's temporary files go under the scratch directory, removed at the end */
    setenv("TMPDIR", scratch, 1);
    for (int j = 0; j < jobs; j++)
        snprintf(slots[j].log, sizeof slots[j].log, "%s/child-%d.log", scratch, j);
    H5open(); /* once, before the children are forked */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);

    tally t = {{0}, NULL, 0, findings, hdf5_dir, &c, seed};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long next = 0;
    int active = 0;
    while (next < runs || active > 0) {
        for (int j = 0; j < jobs && next < runs; j++) {
            slot *sl = &slots[j];
            if (sl->pid)
                continue;
            sl->k = next++;
            sl->len = make_input(&c, seed, (uint64_t)sl->k, sl->input, &sl->from);
            sl->stage = 0;
            clock_gettime(CLOCK_MONOTONIC, &sl->start);
            fflush(NULL);
            pid_t pid = fork();
            if (pid < 0) {
                fprintf(stderr, "mutate: fork: %s\n", strerror(errno));
                return 2;
            }
            if (pid == 0)
                child(sl->input, sl->len, sl->log);
            sl->pid = pid;
            active++;
        }
        int status = 0;
        pid_t w = waitpid(-1, &status, WNOHANG);
        if (w > 0) {
            for (int j = 0; j < jobs; j++) {
                if (slots[j].pid == w) {
                    if (record(&t, &slots[j], status) != 0)
                        return 2;
                    slots[j].pid = 0;
                    active--;
                }
            }
            continue;
        }
        if (w < 0 && errno != EINTR) {
            fprintf(stderr, "mutate: waitpid: %s\n", strerror(errno));
            return 2;
        }
        /* a child past its time gets SIGABRT (ASan prints where it is), 20 s later SIGKILL */
        for (int j = 0; j < jobs; j++) {
            slot *sl = &slots[j];
            if (!sl->pid)
                continue;
            double el = seconds_since(&sl->start);
            if (sl->stage == 0 && el > timeout) {
                kill(sl->pid, SIGABRT);
                sl->stage = 1;
            } else if (sl->stage == 1 && el > timeout + 20) {
                kill(sl->pid, SIGKILL);
                sl->stage = 2;
            }
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        sigtimedwait(&chld, NULL, &ts);
    }
    double secs = seconds_since(&t0);
    nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

    for (size_t i = 0; i < t.nsigs; i++)
        printf("  HDF5-internal: %5ld x %s (first: input %ld, kept in %s/)\n", t.sigs[i].n, t.sigs[i].sig,
               t.sigs[i].first, hdf5_dir);
    printf("fuzz_summary_mutate: %ld inputs (seed %llu, %d jobs) in %.1f s: %ld read cleanly, %ld damaged-file "
           "errors (exit 2), %ld skipped, %ld HDF5-internal crashes, %ld painsim findings\n",
           runs, (unsigned long long)seed, jobs, secs, t.count[OUT_CLEAN], t.count[OUT_INPUT_ERROR],
           t.count[OUT_SKIPPED], t.count[OUT_HDF5], t.count[OUT_PAINSIM]);
    for (size_t i = 0; i < c.n; i++) {
        free(c.v[i].data);
        free(c.v[i].name);
        free(c.v[i].sigs);
    }
    free(c.v);
    free(t.sigs);
    for (int j = 0; j < jobs; j++)
        free(slots[j].input);
    free(slots);
    return t.count[OUT_PAINSIM] ? 1 : 0;
}
