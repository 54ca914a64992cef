/*
 * painsim/error.h: status codes and the error record.
 *
 * Every fallible library function returns a psim_status and, when it fails,
 * fills a caller-owned psim_error with a human sentence and, for input errors,
 * the place in the input (file, 1-based line and column).  The library never
 * prints and never exits; the command-line tool decides what to do.
 *
 * Thread-safety: psim_strerror is reentrant; a psim_error belongs to one thread.
 */
#ifndef PAINSIM_ERROR_H
#define PAINSIM_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PSIM_MUST_CHECK __attribute__((warn_unused_result))
#define PSIM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PSIM_MUST_CHECK
#define PSIM_PRINTF(f, a)
#endif

/* X-macro: code, short description. */
#define PSIM_STATUS_LIST(X)                                             \
    X(PSIM_OK, "success")                                               \
    X(PSIM_ERR_INPUT, "invalid input")                                  \
    X(PSIM_ERR_USAGE, "invalid usage")                                  \
    X(PSIM_ERR_EXISTS, "output file exists")                            \
    X(PSIM_ERR_IO, "input/output error")                                \
    X(PSIM_ERR_HDF5, "HDF5 error")                                      \
    X(PSIM_ERR_NOMEM, "out of memory")                                  \
    X(PSIM_ERR_INTERRUPTED, "interrupted")                              \
    X(PSIM_ERR_INTERNAL, "internal error")

typedef enum {
#define PSIM_X_ENUM(code, text) code,
    PSIM_STATUS_LIST(PSIM_X_ENUM)
#undef PSIM_X_ENUM
        PSIM_STATUS_COUNT
} psim_status;

#define PSIM_ERROR_TEXT_MAX 1024
#define PSIM_ERROR_FILE_MAX 512

typedef struct psim_error {
    psim_status code;
    char file[PSIM_ERROR_FILE_MAX]; /* "" when the error has no place */
    int line;                       /* 1-based; 0 when unknown */
    int column;                     /* 1-based; 0 when unknown */
    char message[PSIM_ERROR_TEXT_MAX];
} psim_error;

/* Short description of a status code ("invalid input"). Never NULL. */
const char *psim_strerror(psim_status code);

/* Reset an error record to PSIM_OK with no place and no message. */
void psim_error_clear(psim_error *err);

/* Fill err (if not NULL) and return code.  file may be NULL. */
psim_status psim_error_set(psim_error *err, psim_status code, const char *file, int line,
                           int column, const char *fmt, ...) PSIM_PRINTF(6, 7);

/* Format "file:line:column: message" (or just the message) into buf. */
void psim_error_format(const psim_error *err, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
