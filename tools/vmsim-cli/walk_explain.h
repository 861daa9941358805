/*
 * A page walk explained level by level, as `vmsim-cli translate --explain`
 * and the scenario op `translate: { explain: true }` print it, from what
 * vmsim_translate() hands its walk callback: for each level the table's
 * physical address, the index, the entry's address and value and its
 * decoded flags, then where the page offset lands; for a logical address
 * SEG:OFFSET first the segment step its segment callback saw.
 */
#ifndef VMSIM_CLI_WALK_EXPLAIN_H
#define VMSIM_CLI_WALK_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "util/json.h"
#include "util/strbuf.h"
#include "vmsim/translate.h"

#define WALK_MAX_LEVELS 8

/* The levels of one walk, and the segment step before it, as the
 * callbacks saw them. */
struct walk_levels {
	unsigned n;
	struct vmsim_walk_level lv[WALK_MAX_LEVELS];
	bool has_seg;
	struct vmsim_seg_step seg;
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

/* A logical address SEG:OFFSET: a segment register by name (es cs ss ds
 * fs gs) or a selector value, loaded as DS would load it. */
struct logical_addr {
	enum vmsim_segment seg;	/* VMSIM_SEG_ES..GS, or VMSIM_SEG_SELECTOR */
	uint16_t selector;	/* the selector value (VMSIM_SEG_SELECTOR) */
};

/* Split a "SEG:" prefix off @text: 1 with *l and *rest (the offset's
 * text), 0 when there is none (*rest = @text), -1 when SEG is neither a
 * register nor a 16-bit number. */
int logical_prefix(const char *text, struct logical_addr *l, const char **rest);
/* "ds" or "0x2b" */
void logical_seg_str(const struct logical_addr *l, char *buf, size_t len);
/* Set @o's segment fields for @l, with the step handed to walk_seg_add()
 * into @w (o->arg = @w). */
void logical_opts(const struct logical_addr *l, struct vmsim_translate_opts *o,
		  struct walk_levels *w);
/* A vmsim_seg_fn that keeps the step in the struct walk_levels @arg. */
void walk_seg_add(const struct vmsim_seg_step *s, void *arg);

/* The segment step as text lines / as a JSON object. */
void seg_explain(struct strbuf *sb, const struct vmsim_seg_step *s);
void seg_explain_json(struct json_writer *jw, const struct vmsim_seg_step *s);
/* The step's fault as a {vector, error_code, reason} object / as
 * "#GP(0x68)" or "#PF(0x0) at ADDR". */
void seg_fault_json(struct json_writer *jw, const struct vmsim_seg_step *s);
void seg_fault_str(const struct vmsim_seg_step *s, char *buf, size_t len);

/* "P W U" for an x86 page-fault error code. */
void fault_bits_str(uint32_t code, char *buf, size_t len);
/* A translation's fault as a JSON object: {vector: "#PF", error_code,
 * bits, level} or {vector: "#GP", reason}. */
void fault_json(struct json_writer *jw, const struct vmsim_translation *r);

#endif
