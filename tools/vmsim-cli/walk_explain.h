/*
 * A page walk explained level by level, as `vmsim-cli translate --explain`
 * and the scenario op `translate: { explain: true }` print it, from what
 * vmsim_translate() hands its walk callback: for each level the table's
 * physical address, the index, the entry's address and value and its
 * decoded flags, then where the page offset lands.
 */
#ifndef VMSIM_CLI_WALK_EXPLAIN_H
#define VMSIM_CLI_WALK_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "util/json.h"
#include "util/strbuf.h"
#include "vmsim/translate.h"

#define WALK_MAX_LEVELS 8

/* The levels of one walk, as the callback saw them. */
struct walk_levels {
	unsigned n;
	struct vmsim_walk_level lv[WALK_MAX_LEVELS];
};

/* A vmsim_walk_fn that appends the level to the struct walk_levels @arg. */
void walk_levels_add(const struct vmsim_walk_level *lv, void *arg);

/* Text lines (two-space indent), then, when the walk reached a page
 * (@r->walk_ok), where @va's offset lands. */
void walk_explain(struct strbuf *sb, const struct walk_levels *w,
		  const struct vmsim_translation *r, uint64_t va);
/* The same levels as a JSON array: per level the table's physical address,
 * the index, the entry's address and raw value, its flags. */
void walk_explain_json(struct json_writer *jw, const struct walk_levels *w);

/* "P W U" for an x86 page-fault error code. */
void fault_bits_str(uint32_t code, char *buf, size_t len);
/* A translation's fault as a JSON object: {vector: "#PF", error_code,
 * bits, level} or {vector: "#GP", reason}. */
void fault_json(struct json_writer *jw, const struct vmsim_translation *r);

#endif
