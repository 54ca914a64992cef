/*
 * yamldoc.h (internal): a YAML document read into a small tree.
 *
 * libyaml's parser events are collected into mapping / sequence / scalar
 * nodes.  Every node keeps where it started (1-based line and column) and the
 * name of the input it came from (`origin`, used as the file of an error), so
 * later stages can report file:line:column for any value.  Scalars keep their
 * text (which may contain NUL bytes: use `len`) and whether they were plain
 * (unquoted) or quoted/block scalars.
 *
 * Limits, so that no input can crash the reader or exhaust memory: input size
 * YD_MAX_BYTES, nesting depth YD_MAX_DEPTH, node count YD_MAX_NODES.  Anchors,
 * aliases, explicit tags, non-scalar mapping keys, duplicate keys and streams
 * with more than one document are rejected.
 *
 * Ownership: yd_parse returns a tree owned by the caller, released with
 * yd_free (accepts NULL).  `origin` strings are not copied: they must outlive
 * the tree.  No global state; a tree belongs to one thread.
 */
#ifndef PAINSIM_YAMLDOC_H
#define PAINSIM_YAMLDOC_H

#include <stddef.h>

#include "painsim/error.h"

#define YD_MAX_BYTES ((size_t)16 * 1024 * 1024)
#define YD_MAX_DEPTH 64
#define YD_MAX_NODES 200000

typedef enum { YD_SCALAR = 1, YD_SEQUENCE = 2, YD_MAPPING = 3 } yd_kind;

typedef struct yd_node yd_node;
struct yd_node {
    yd_kind kind;
    int line, column;   /* 1-based start of the node */
    const char *origin; /* input name for errors (not owned) */
    /* YD_SCALAR */
    char *text;         /* NUL-terminated copy; may contain NUL bytes */
    size_t len;
    int plain;          /* 1: plain (unquoted) scalar; 0: quoted or block scalar */
    /* YD_MAPPING: keys[i] -> items[i]; YD_SEQUENCE: items[i] */
    size_t n, cap;
    yd_node **keys;     /* YD_MAPPING only: scalar nodes */
    yd_node **items;
    yd_node *pending_key; /* YD_MAPPING, while parsing: a key still waiting for its value */
};

/* What yd_parse accepts. */
enum {
    /* A scenario document: a non-empty mapping at the top level.  An empty
     * stream, or a document that is only null, is the error "empty scenario". */
    YD_PARSE_DOCUMENT = 0,
    /* Any single node (for the value of a --set override); an empty input is
     * an empty plain scalar. */
    YD_PARSE_VALUE = 1
};

/* Parse len bytes of text.  Errors carry file = origin; `col_offset` is added
 * to the columns of everything on line 1 (for text cut out of a longer line).
 * On failure *out is NULL. */
psim_status yd_parse(const char *text, size_t len, const char *origin, int col_offset, int mode,
                     yd_node **out, psim_error *err) PSIM_MUST_CHECK;

void yd_free(yd_node *node);

/* New nodes (for --set overrides); NULL when out of memory. */
yd_node *yd_new_scalar(const char *text, size_t len, int plain, const char *origin, int line,
                       int column);
yd_node *yd_new_mapping(const char *origin, int line, int column);

/* Append key -> value to a mapping (takes ownership of both, also on failure). */
psim_status yd_map_append(yd_node *map, yd_node *key, yd_node *value) PSIM_MUST_CHECK;

/* Index of `key` in a mapping, or -1. */
long yd_map_index(const yd_node *map, const char *key);

/* The value of `key` in a mapping, or NULL (also when map is not a mapping). */
yd_node *yd_map_get(const yd_node *map, const char *key);

/* 1 when the node is a scalar whose text equals s (and has no NUL byte). */
int yd_scalar_is(const yd_node *node, const char *s);

/* 1 when the node is a plain null scalar: empty, ~, null, Null or NULL. */
int yd_is_null(const yd_node *node);

/* A short description of a node for error messages: "a mapping",
 * "a sequence", "an empty value (null)", "the quoted string \"x\"" or "`x`". */
void yd_describe(const yd_node *node, char *buf, size_t size);

#endif
