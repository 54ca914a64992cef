/* Internal: small JSON writers for the printers of sim/output (strings with
 * escapes, numbers with the fewest digits that read back to the same double,
 * NaN and infinities as null). */
#ifndef PAINSIM_JSONOUT_H
#define PAINSIM_JSONOUT_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Shortest text that reads back to v (v finite); whole numbers below 1e15
 * without an exponent ("250000", not "2.5e+05"). */
static inline void jo_shortest(char *buf, size_t size, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, size, "%.0f", v);
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, size, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static inline void jo_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", fp); break;
        case '\\': fputs("\\\\", fp); break;
        case '\n': fputs("\\n", fp); break;
        case '\r': fputs("\\r", fp); break;
        case '\t': fputs("\\t", fp); break;
        default:
            if (*p < 0x20)
                fprintf(fp, "\\u%04x", (unsigned)*p);
            else
                fputc(*p, fp);
        }
    }
    fputc('"', fp);
}

static inline void jo_num(FILE *fp, double v)
{
    char buf[40];
    if (!isfinite(v)) {
        fputs("null", fp);
        return;
    }
    jo_shortest(buf, sizeof buf, v);
    fputs(buf, fp);
}

/* `,\n<indent>"key": ` (no comma before the first key of an object). */
static inline void jo_key(FILE *fp, const char *indent, const char *key, int first)
{
    fputs(first ? "\n" : ",\n", fp);
    fputs(indent, fp);
    jo_str(fp, key);
    fputs(": ", fp);
}

#endif
