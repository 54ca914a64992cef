#include "painsim/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_text[] = {
#define PSIM_X_TEXT(code, text) text,
    PSIM_STATUS_LIST(PSIM_X_TEXT)
#undef PSIM_X_TEXT
};

const char *psim_strerror(psim_status code)
{
    if ((int)code < 0 || code >= PSIM_STATUS_COUNT)
        return "unknown status";
    return status_text[code];
}

void psim_error_clear(psim_error *err)
{
    if (!err)
        return;
    err->code = PSIM_OK;
    err->file[0] = '\0';
    err->line = 0;
    err->column = 0;
    err->message[0] = '\0';
}

psim_status psim_error_set(psim_error *err, psim_status code, const char *file, int line,
                           int column, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

void psim_error_format(const psim_error *err, char *buf, size_t size)
{
    if (!buf || size == 0)
        return;
    if (!err) {
        buf[0] = '\0';
        return;
    }
    const char *msg = err->message[0] ? err->message : psim_strerror(err->code);
    if (err->file[0] && err->line > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->column, msg);
    else if (err->file[0])
        snprintf(buf, size, "%s: %s", err->file, msg);
    else
        snprintf(buf, size, "%s", msg);
}
