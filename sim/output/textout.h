/* Internal: text tables and wrapped lines that fit a terminal's width, for
 * the printed reports (report_print.c, psa_print.c). */
#ifndef PAINSIM_TEXTOUT_H
#define PAINSIM_TEXTOUT_H

#include <stdio.h>

/* Print text (no newline inside) wrapped at width columns (0: as it is),
 * continuation lines indented by two spaces more than the text. */
void psim_text_wrapped(FILE *fp, const char *text, int width);

/* Text with line breaks for the full width: printed as it is at width 0,
 * else the breaks become spaces and the whole is wrapped. */
void psim_text_para(FILE *fp, const char *text, int width);

/* A table: a label column and cols columns, each column with the text put
 * before it (sep), a width and an alignment, as printf's "%-*s" or "%*s".
 * Printed with width 0 it is one table, each cell padded to its column's
 * width exactly as printf pads; with a width, the columns are split into
 * panels of as many columns beside the labels as fit, and a label too long
 * for its column gets a line of its own. */
typedef struct psim_text_col {
    const char *sep;
    int width;
    int left; /* 1: left-aligned */
} psim_text_col;

typedef struct psim_text_table psim_text_table;

/* hrows header rows, then rows; col[0] is the label column (its sep is the
 * indentation).  NULL when out of memory. */
psim_text_table *psim_text_table_new(int hrows, int rows, int cols, const psim_text_col *col);

/* Cell (r, c) with r < 0 a header row (-hrows ... -1) and c == 0 the label;
 * printf-style. */
void psim_text_table_set(psim_text_table *t, int r, int c, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Print and free (accepts NULL). */
void psim_text_table_print(psim_text_table *t, int width, FILE *fp);

#endif
