/* A YAML document as a small tree of nodes with their places (see yamldoc.h). */
#include "scenario/yamldoc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* ------------------------------------------------------------------ nodes */

static yd_node *node_new(yd_kind kind, const char *origin, int line, int column)
{
    yd_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->origin = origin;
    n->line = line;
    n->column = column;
    return n;
}

yd_node *yd_new_scalar(const char *text, size_t len, int plain, const char *origin, int line,
                       int column)
{
    yd_node *n = node_new(YD_SCALAR, origin, line, column);
    if (!n)
        return NULL;
    n->text = malloc(len + 1);
    if (!n->text) {
        free(n);
        return NULL;
    }
    if (len)
        memcpy(n->text, text, len);
    n->text[len] = '\0';
    n->len = len;
    n->plain = plain;
    return n;
}

yd_node *yd_new_mapping(const char *origin, int line, int column)
{
    return node_new(YD_MAPPING, origin, line, column);
}

void yd_free(yd_node *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->n; i++) {
        if (node->keys)
            yd_free(node->keys[i]);
        yd_free(node->items[i]);
    }
    yd_free(node->pending_key);
    free(node->keys);
    free(node->items);
    free(node->text);
    free(node);
}

/* Make room for one more item (and key, for a mapping). */
static psim_status grow(yd_node *c)
{
    if (c->n < c->cap)
        return PSIM_OK;
    size_t cap = c->cap ? c->cap * 2 : 4;
    yd_node **items = realloc(c->items, cap * sizeof *items);
    if (!items)
        return PSIM_ERR_NOMEM;
    c->items = items;
    if (c->kind == YD_MAPPING) {
        yd_node **keys = realloc(c->keys, cap * sizeof *keys);
        if (!keys)
            return PSIM_ERR_NOMEM;
        c->keys = keys;
    }
    c->cap = cap;
    return PSIM_OK;
}

psim_status yd_map_append(yd_node *map, yd_node *key, yd_node *value)
{
    psim_status st = PSIM_OK;
    if (!map || map->kind != YD_MAPPING || !key || !value)
        st = PSIM_ERR_INTERNAL;
    else if (grow(map) != PSIM_OK)
        st = PSIM_ERR_NOMEM;
    if (st != PSIM_OK) {
        yd_free(key);
        yd_free(value);
        return st;
    }
    map->keys[map->n] = key;
    map->items[map->n] = value;
    map->n++;
    return PSIM_OK;
}

int yd_scalar_is(const yd_node *node, const char *s)
{
    if (!node || node->kind != YD_SCALAR)
        return 0;
    size_t len = strlen(s);
    return node->len == len && memcmp(node->text, s, len) == 0;
}

long yd_map_index(const yd_node *map, const char *key)
{
    if (!map || map->kind != YD_MAPPING)
        return -1;
    for (size_t i = 0; i < map->n; i++)
        if (yd_scalar_is(map->keys[i], key))
            return (long)i;
    return -1;
}

yd_node *yd_map_get(const yd_node *map, const char *key)
{
    long i = yd_map_index(map, key);
    return i < 0 ? NULL : map->items[i];
}

int yd_is_null(const yd_node *node)
{
    if (!node || node->kind != YD_SCALAR || !node->plain)
        return 0;
    return node->len == 0 || yd_scalar_is(node, "~") || yd_scalar_is(node, "null") ||
           yd_scalar_is(node, "Null") || yd_scalar_is(node, "NULL");
}

/* Copy at most ~40 characters of s, escaping what is not printable ASCII. */
static void excerpt(const char *s, size_t len, char *buf, size_t size)
{
    size_t o = 0;
    const size_t shown = 40;
    if (size == 0)
        return;
    for (size_t i = 0; i < len && i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[8];
        if (c >= 0x20 && c != 0x7f)
            tmp[0] = (char)c, tmp[1] = '\0';
        else
            snprintf(tmp, sizeof tmp, "\\x%02X", (unsigned)c);
        size_t tl = strlen(tmp);
        if (o + tl + 1 > size)
            break;
        memcpy(buf + o, tmp, tl);
        o += tl;
    }
    if (len > shown && o + 4 <= size) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
}

void yd_describe(const yd_node *node, char *buf, size_t size)
{
    char ex[200];
    if (!buf || size == 0)
        return;
    if (!node) {
        snprintf(buf, size, "nothing");
    } else if (node->kind == YD_MAPPING) {
        snprintf(buf, size, "a mapping");
    } else if (node->kind == YD_SEQUENCE) {
        snprintf(buf, size, "a sequence");
    } else if (yd_is_null(node)) {
        snprintf(buf, size, "an empty value (null)");
    } else {
        excerpt(node->text, node->len, ex, sizeof ex);
        if (node->plain)
            snprintf(buf, size, "`%s`", ex);
        else
            snprintf(buf, size, "the quoted string \"%s\"", ex);
    }
}

/* ---------------------------------------------------------------- parsing */

#define YD_STR2(x) #x
#define YD_STR(x) YD_STR2(x)

typedef struct parse_state {
    const char *text;
    size_t len;
    const char *origin;
    int col_offset;
    psim_error *err;
    size_t n_nodes;
    yd_node *root;
    yd_node *stack[YD_MAX_DEPTH];
    int depth;
    size_t n_lines;       /* lines of text when it does not end in '\n', else 0 */
    size_t last_line_len; /* bytes of that last line */
} parse_state;

static void place_of_mark(const parse_state *ps, yaml_mark_t m, int *line, int *column)
{
    /* libyaml puts problems at the end of the input on a line after the
     * last one; report them at the end of the last line instead. */
    if (ps->n_lines > 0 && m.line >= ps->n_lines) {
        m.line = ps->n_lines - 1;
        m.column = ps->last_line_len;
    }
    *line = (int)(m.line > INT32_MAX - 1 ? INT32_MAX - 1 : m.line) + 1;
    *column = (int)(m.column > INT32_MAX - 1 ? INT32_MAX - 1 : m.column) + 1;
    if (*line == 1 && *column <= INT32_MAX - ps->col_offset)
        *column += ps->col_offset;
}

static psim_status fail_at(const parse_state *ps, yaml_mark_t m, const char *fmt, const char *arg)
{
    int line, column;
    place_of_mark(ps, m, &line, &column);
    return psim_error_set(ps->err, PSIM_ERR_INPUT, ps->origin, line, column, fmt, arg);
}

/* Line and column (bytes) of a byte offset, for reader errors. */
static void place_of_offset(const parse_state *ps, size_t offset, int *line, int *column)
{
    long l = 1, c = 1;
    for (size_t i = 0; i < offset && i < ps->len; i++) {
        if (ps->text[i] == '\n') {
            l++;
            c = 1;
        } else if (c < INT32_MAX) {
            c++;
        }
        if (l >= INT32_MAX)
            break;
    }
    *line = (int)l;
    *column = (int)c;
    if (*line == 1 && *column <= INT32_MAX - ps->col_offset)
        *column += ps->col_offset;
}

static psim_status parser_failure(const parse_state *ps, const yaml_parser_t *p)
{
    int line, column;
    const char *problem = p->problem ? p->problem : "unknown problem";
    if (p->error == YAML_MEMORY_ERROR)
        return psim_error_set(ps->err, PSIM_ERR_NOMEM, ps->origin, 0, 0,
                              "out of memory while reading YAML");
    if (p->error == YAML_READER_ERROR) {
        place_of_offset(ps, p->problem_offset, &line, &column);
        if (p->problem_value >= 0)
            return psim_error_set(ps->err, PSIM_ERR_INPUT, ps->origin, line, column,
                                  "not valid YAML: %s (byte 0x%02X)", problem,
                                  (unsigned)p->problem_value & 0xffu);
        return psim_error_set(ps->err, PSIM_ERR_INPUT, ps->origin, line, column,
                              "not valid YAML: %s", problem);
    }
    place_of_mark(ps, p->problem_mark, &line, &column);
    if (p->context) {
        int cl, cc;
        place_of_mark(ps, p->context_mark, &cl, &cc);
        return psim_error_set(ps->err, PSIM_ERR_INPUT, ps->origin, line, column,
                              "not valid YAML: %s (%s at line %d, column %d)", problem,
                              p->context, cl, cc);
    }
    return psim_error_set(ps->err, PSIM_ERR_INPUT, ps->origin, line, column,
                          "not valid YAML: %s", problem);
}

static int cmp_key_ptr(const void *a, const void *b)
{
    const yd_node *x = *(const yd_node *const *)a;
    const yd_node *y = *(const yd_node *const *)b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text, y->text, m);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->column != y->column)
        return x->column < y->column ? -1 : 1;
    return 0;
}

static int before(const yd_node *a, const yd_node *b)
{
    return a->line < b->line || (a->line == b->line && a->column < b->column);
}

/* A mapping is complete: report the first key (in document order) that
 * repeats an earlier one. */
static psim_status check_duplicates(const parse_state *ps, const yd_node *map)
{
    psim_status st = PSIM_OK;
    const yd_node **sorted = NULL;
    const yd_node *dup = NULL, *first = NULL;
    if (map->n < 2)
        return PSIM_OK;
    sorted = malloc(map->n * sizeof *sorted);
    if (!sorted)
        return psim_error_set(ps->err, PSIM_ERR_NOMEM, ps->origin, 0, 0, "out of memory");
    for (size_t i = 0; i < map->n; i++)
        sorted[i] = map->keys[i];
    qsort(sorted, map->n, sizeof *sorted, cmp_key_ptr);
    for (size_t i = 1; i < map->n; i++) {
        const yd_node *a = sorted[i - 1], *b = sorted[i];
        if (a->len == b->len && memcmp(a->text, b->text, a->len) == 0) {
            size_t g = i - 1; /* first of the group of equal keys */
            while (g > 0 && sorted[g - 1]->len == a->len &&
                   memcmp(sorted[g - 1]->text, a->text, a->len) == 0)
                g--;
            if (!dup || before(b, dup)) {
                dup = b;
                first = sorted[g];
            }
        }
    }
    if (dup) {
        char ex[200];
        excerpt(dup->text, dup->len, ex, sizeof ex);
        st = psim_error_set(ps->err, PSIM_ERR_INPUT, ps->origin, dup->line, dup->column,
                            "duplicate key `%s` (first given at line %d, column %d)", ex,
                            first->line, first->column);
    }
    free(sorted);
    return st;
}

/* Attach a new node to the tree (takes ownership of it). */
static psim_status attach(parse_state *ps, yd_node *node, yaml_mark_t mark)
{
    if (ps->depth == 0) {
        if (ps->root) { /* cannot happen: one document, one root */
            yd_free(node);
            return fail_at(ps, mark, "%s", "more than one top-level node");
        }
        ps->root = node;
        return PSIM_OK;
    }
    yd_node *parent = ps->stack[ps->depth - 1];
    if (parent->kind == YD_MAPPING && !parent->pending_key) {
        if (node->kind != YD_SCALAR) {
            yd_free(node);
            return fail_at(ps, mark, "%s",
                           "mapping keys must be plain or quoted scalars, not sequences or "
                           "mappings");
        }
        parent->pending_key = node;
        return PSIM_OK;
    }
    if (grow(parent) != PSIM_OK) {
        yd_free(node);
        return psim_error_set(ps->err, PSIM_ERR_NOMEM, ps->origin, 0, 0, "out of memory");
    }
    if (parent->kind == YD_MAPPING) {
        parent->keys[parent->n] = parent->pending_key;
        parent->pending_key = NULL;
    }
    parent->items[parent->n++] = node;
    return PSIM_OK;
}

/* Reject what this reader does not support on a node event. */
static psim_status check_props(const parse_state *ps, const yaml_event_t *ev,
                               const yaml_char_t *anchor, const yaml_char_t *tag)
{
    if (anchor)
        return fail_at(ps, ev->start_mark,
                       "anchor `&%s`: anchors and aliases are not supported", (const char *)anchor);
    if (tag)
        return fail_at(ps, ev->start_mark, "tag `%s`: explicit tags are not supported",
                       (const char *)tag);
    return PSIM_OK;
}

static psim_status open_node(parse_state *ps, const yaml_event_t *ev)
{
    psim_status st;
    yd_node *node = NULL;
    int line, column;
    place_of_mark(ps, ev->start_mark, &line, &column);
    if (ps->n_nodes >= YD_MAX_NODES)
        return fail_at(ps, ev->start_mark, "too many nodes (the limit is %s)",
                       YD_STR(YD_MAX_NODES));
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        st = check_props(ps, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
        if (st != PSIM_OK)
            return st;
        node = yd_new_scalar((const char *)ev->data.scalar.value, ev->data.scalar.length,
                             ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, ps->origin, line,
                             column);
        break;
    case YAML_SEQUENCE_START_EVENT:
        st = check_props(ps, ev, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
        if (st != PSIM_OK)
            return st;
        node = node_new(YD_SEQUENCE, ps->origin, line, column);
        break;
    default: /* YAML_MAPPING_START_EVENT */
        st = check_props(ps, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
        if (st != PSIM_OK)
            return st;
        node = node_new(YD_MAPPING, ps->origin, line, column);
        break;
    }
    if (!node)
        return psim_error_set(ps->err, PSIM_ERR_NOMEM, ps->origin, 0, 0, "out of memory");
    ps->n_nodes++;
    if (node->kind != YD_SCALAR && ps->depth >= YD_MAX_DEPTH) {
        yd_free(node);
        return fail_at(ps, ev->start_mark, "nested deeper than the limit of %s levels",
                       YD_STR(YD_MAX_DEPTH));
    }
    st = attach(ps, node, ev->start_mark);
    if (st != PSIM_OK)
        return st;
    if (node->kind != YD_SCALAR)
        ps->stack[ps->depth++] = node;
    return PSIM_OK;
}

psim_status yd_parse(const char *text, size_t len, const char *origin, int col_offset, int mode,
                     yd_node **out, psim_error *err)
{
    psim_status st = PSIM_OK;
    yaml_parser_t parser;
    yaml_event_t ev;
    int have_parser = 0, have_event = 0, done = 0, n_docs = 0;
    parse_state ps;

    memset(&ps, 0, sizeof ps);
    ps.text = text;
    ps.len = len;
    ps.origin = origin ? origin : "";
    ps.col_offset = col_offset > 0 ? col_offset : 0;
    ps.err = err;
    for (size_t i = 0; text && i < len; i++) {
        if (text[i] == '\n') {
            ps.n_lines++;
            ps.last_line_len = 0;
        } else {
            ps.last_line_len++;
        }
    }
    if (len > 0 && text[len - 1] != '\n')
        ps.n_lines++;
    else
        ps.n_lines = 0; /* the end of the input is the start of a line: keep libyaml's marks */
    if (out)
        *out = NULL;
    if (!out || (!text && len > 0)) {
        st = psim_error_set(err, PSIM_ERR_INTERNAL, NULL, 0, 0, "yd_parse: invalid arguments");
        goto cleanup;
    }
    if (len > YD_MAX_BYTES) {
        st = psim_error_set(err, PSIM_ERR_INPUT, ps.origin, 0, 0,
                            "input is %zu bytes, more than the limit of 16 MiB", len);
        goto cleanup;
    }
    if (!yaml_parser_initialize(&parser)) {
        st = psim_error_set(err, PSIM_ERR_NOMEM, ps.origin, 0, 0, "out of memory");
        goto cleanup;
    }
    have_parser = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)(text ? text : ""), len);

    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            st = parser_failure(&ps, &parser);
            goto cleanup;
        }
        have_event = 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++n_docs > 1) {
                st = fail_at(&ps, ev.start_mark, "%s",
                             "more than one YAML document (a second `---`): a scenario is one "
                             "document");
                goto cleanup;
            }
            break;
        case YAML_ALIAS_EVENT:
            st = fail_at(&ps, ev.start_mark, "alias `*%s`: aliases are not supported",
                         (const char *)ev.data.alias.anchor);
            goto cleanup;
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            st = open_node(&ps, &ev);
            if (st != PSIM_OK)
                goto cleanup;
            break;
        case YAML_MAPPING_END_EVENT:
            if (ps.depth > 0) {
                st = check_duplicates(&ps, ps.stack[ps.depth - 1]);
                if (st != PSIM_OK)
                    goto cleanup;
                ps.depth--;
            }
            break;
        case YAML_SEQUENCE_END_EVENT:
            if (ps.depth > 0)
                ps.depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        have_event = 0;
    }

    if (mode == YD_PARSE_VALUE) {
        if (!ps.root) {
            ps.root = yd_new_scalar("", 0, 1, ps.origin, 1, 1 + ps.col_offset);
            if (!ps.root) {
                st = psim_error_set(err, PSIM_ERR_NOMEM, ps.origin, 0, 0, "out of memory");
                goto cleanup;
            }
        }
    } else {
        if (!ps.root || yd_is_null(ps.root)) {
            st = psim_error_set(err, PSIM_ERR_INPUT, ps.origin, 1, 1,
                                "empty scenario: expected a mapping with at least `strategies`");
            goto cleanup;
        }
        if (ps.root->kind != YD_MAPPING) {
            char what[256];
            yd_describe(ps.root, what, sizeof what);
            st = psim_error_set(err, PSIM_ERR_INPUT, ps.origin, ps.root->line, ps.root->column,
                                "expected a mapping at the top level (keys such as `strategies`), "
                                "got %s",
                                what);
            goto cleanup;
        }
    }
    *out = ps.root;
    ps.root = NULL;

cleanup:
    if (have_event)
        yaml_event_delete(&ev);
    if (have_parser)
        yaml_parser_delete(&parser);
    yd_free(ps.root);
    return st;
}
