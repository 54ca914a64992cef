/* Text that fits a terminal's width (see textout.h). */
#include "output/textout.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void psim_text_wrapped(FILE *fp, const char *text, int width)
{
    if (width <= 0) {
        fprintf(fp, "%s\n", text);
        return;
    }
    int col = 0;
    const char *p = text;
    while (*p == ' ') { /* the indentation is kept */
        fputc(' ', fp);
        col++;
        p++;
    }
    const int lead = col;
    while (*p) {
        size_t w = strcspn(p, " ");
        if (col > lead && col + 1 + (int)w > width) {
            fprintf(fp, "\n%*s", lead + 2, "");
            col = lead + 2;
        } else if (col > lead) {
            fputc(' ', fp);
            col++;
        }
        fwrite(p, 1, w, fp);
        col += (int)w;
        p += w;
        while (*p == ' ')
            p++;
    }
    fputc('\n', fp);
}

void psim_text_para(FILE *fp, const char *text, int width)
{
    if (width <= 0) {
        fprintf(fp, "%s\n", text);
        return;
    }
    char *joined = strdup(text);
    if (!joined) {
        fprintf(fp, "%s\n", text);
        return;
    }
    for (char *p = joined; *p; p++)
        if (*p == '\n')
            *p = ' ';
    psim_text_wrapped(fp, joined, width);
    free(joined);
}

struct psim_text_table {
    int hrows, rows, cols; /* cols includes the label column */
    psim_text_col *col;
    char **cell;           /* [(hrows + rows) * cols], NULL: empty */
};

psim_text_table *psim_text_table_new(int hrows, int rows, int cols, const psim_text_col *col)
{
    psim_text_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->hrows = hrows;
    t->rows = rows;
    t->cols = cols + 1;
    t->col = malloc((size_t)t->cols * sizeof *t->col);
    t->cell = calloc((size_t)(hrows + rows) * (size_t)t->cols + 1, sizeof *t->cell);
    if (!t->col || !t->cell) {
        free(t->col);
        free(t->cell);
        free(t);
        return NULL;
    }
    memcpy(t->col, col, (size_t)t->cols * sizeof *t->col);
    return t;
}

void psim_text_table_set(psim_text_table *t, int r, int c, const char *fmt, ...)
{
    if (!t || r < -t->hrows || r >= t->rows || c < 0 || c >= t->cols)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **cell = &t->cell[(size_t)(r + t->hrows) * (size_t)t->cols + (size_t)c];
    free(*cell);
    *cell = strdup(buf); /* NULL when out of memory: printed empty */
}

static const char *cell_of(const psim_text_table *t, int row, int c)
{
    const char *s = t->cell[(size_t)row * (size_t)t->cols + (size_t)c];
    return s ? s : "";
}

static void put_cell(FILE *fp, const psim_text_col *col, int width, const char *s)
{
    fputs(col->sep, fp);
    fprintf(fp, col->left ? "%-*s" : "%*s", width, s);
}

void psim_text_table_print(psim_text_table *t, int width, FILE *fp)
{
    if (!t)
        return;
    const int nrow = t->hrows + t->rows;
    /* room each column takes: its separator and its widest cell */
    int *room = calloc((size_t)t->cols, sizeof *room);
    if (!room)
        width = 0;
    for (int c = 0; room && c < t->cols; c++) {
        int w = t->col[c].width;
        for (int r = 0; r < nrow; r++) {
            int l = (int)strlen(cell_of(t, r, c));
            w = l > w ? l : w;
        }
        room[c] = (int)strlen(t->col[c].sep) + w;
    }
    for (int c0 = 1; c0 < t->cols || (c0 == 1 && t->cols == 1);) {
        int c1 = c0 + 1, used = 0;
        if (width > 0) {
            used = room[0] + (c0 < t->cols ? room[c0] : 0);
            while (c1 < t->cols && used + room[c1] <= width)
                used += room[c1++];
        } else {
            c1 = t->cols;
        }
        if (c0 > 1)
            fputc('\n', fp);
        /* the label column: narrower when even one column does not fit */
        int lw = t->col[0].width;
        if (width > 0 && used > width) {
            int rest = width - (used - room[0]) - (int)strlen(t->col[0].sep);
            lw = rest > 2 ? rest : 2;
        }
        for (int r = 0; r < nrow; r++) {
            const char *label = cell_of(t, r, 0);
            int rest = width - (used - room[0]) - (int)strlen(t->col[0].sep);
            if (width > 0 && (int)strlen(label) > (lw > rest ? lw : rest) && c1 > c0) {
                fprintf(fp, "%s%s\n", t->col[0].sep, label);
                put_cell(fp, &t->col[0], lw, "");
            } else {
                put_cell(fp, &t->col[0], lw, label);
            }
            for (int c = c0; c < c1; c++)
                put_cell(fp, &t->col[c], t->col[c].width, cell_of(t, r, c));
            fputc('\n', fp);
        }
        if (c1 >= t->cols)
            break;
        c0 = c1;
    }
    free(room);
    for (int k = 0; k < nrow * t->cols; k++)
        free(t->cell[k]);
    free(t->cell);
    free(t->col);
    free(t);
}
