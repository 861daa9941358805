/*
 * Reading JSON back, flat: a document's scalars reached through objects
 * only, each under its dotted path ("tlb.l1d.misses").  What `sweep merge`
 * needs to turn one replay report per job into one table row per job; not
 * a general JSON library.
 *
 * Strict RFC 8259 syntax: one value, then only white space; strings with
 * their escapes decoded (\uXXXX, surrogate pairs, to UTF-8); numbers kept
 * as their text.  Arrays are checked and skipped: their elements are no
 * columns (a replay's interval rows).
 *
 * Invariant: the callback sees only members of a document that parsed
 * up to them; a syntax error stops the walk with "NAME:LINE:COL: what",
 * nesting deeper than JSON_MAX_DEPTH is an error, never a deep recursion.
 */
#ifndef VMSIM_UTIL_JSON_FLAT_H
#define VMSIM_UTIL_JSON_FLAT_H

#include <stddef.h>

#include "vmsim/error.h"

enum json_kind { JSON_STRING, JSON_NUMBER, JSON_TRUE, JSON_FALSE, JSON_NULL };

/* One scalar: its dotted path and its text (a string decoded, a number as
 * written, "true", "false", "null").  0 to go on, else a negative errno
 * that ends the walk. */
typedef int (*json_flat_fn)(void *ctx, const char *path, enum json_kind kind, const char *text);

/* Walk the document [text, text + len) named @name in messages.  0, the
 * callback's error, -ENOMEM, or -EINVAL with @err filled. */
int json_flatten(const char *name, const char *text, size_t len, json_flat_fn fn, void *ctx,
		 struct vmsim_error *err);

#endif
