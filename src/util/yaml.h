/*
 * A YAML document as a small tree (scalars, mappings, sequences), each node
 * remembering the line and column it started at so that every later check
 * (config schema, scenario steps) can name the exact place of a mistake.
 * Built with libyaml; anchors/aliases and multiple documents are refused.
 *
 * Invariant: a mapping's keys are scalars and unique (a duplicate key is a
 * load error); mapping pairs are stored as items[2i] = key, items[2i+1] = value.
 * Loading costs time linear in the text; ymap_get() scans its mapping, for
 * the small mappings of known keys that configs and scenario steps use.
 */
#ifndef VMSIM_UTIL_YAML_H
#define VMSIM_UTIL_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmsim/error.h"

enum ynode_type { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
	enum ynode_type type;
	int line, col;		/* 1-based position of the node's start */
	bool quoted;		/* scalar written in quotes (always a string) */
	char *scalar;		/* YNODE_SCALAR: the text */
	size_t n;		/* MAP: pairs, SEQ: items */
	struct ynode **items;	/* MAP: key,value,key,value...; SEQ: items */
};

struct ydoc {
	char *file;		/* name used in messages */
	struct ynode *root;	/* NULL for an empty document */
};

/* The largest file ydoc_load_file() reads (configs and scenarios). */
#define YDOC_MAX_FILE (64u << 20)

/* Load a file / a string.  On error fills @err ("FILE:LINE:COL: ...") and
 * returns -EINVAL (syntax, or a path that is not a regular file), -EFBIG
 * (a file larger than YDOC_MAX_FILE), -ENOENT/-EIO (file) or -ENOMEM. */
int ydoc_load_file(struct ydoc *doc, const char *path, struct vmsim_error *err);
int ydoc_load_string(struct ydoc *doc, const char *name, const char *text,
		     size_t len, struct vmsim_error *err);
void ydoc_free(struct ydoc *doc);

static inline struct ynode *ymap_key(const struct ynode *m, size_t i)
{
	return m->items[2 * i];
}

static inline struct ynode *ymap_val(const struct ynode *m, size_t i)
{
	return m->items[2 * i + 1];
}

/* The value for @key in mapping @m, or NULL. */
struct ynode *ymap_get(const struct ynode *m, const char *key);

const char *ynode_type_name(enum ynode_type t);

#endif
