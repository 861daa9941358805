/*
 * A page walk explained level by level, as `vmsim-cli translate --explain`
 * and the scenario op `translate: { explain: true }` print it: for each
 * level the table's physical address, the index, the entry's address and
 * value and its decoded flags, then where the page offset lands.
 */
#ifndef VMSIM_CLI_WALK_EXPLAIN_H
#define VMSIM_CLI_WALK_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/mmu.h"
#include "util/json.h"
#include "util/strbuf.h"

/* Text lines (two-space indent).  @ok says whether the walk reached a
 * page (@wr then describes it). */
void walk_explain(struct strbuf *sb, const struct pt_format *f, const struct walk_trace *t,
		  bool ok, const struct walk_result *wr, uint64_t va);
/* The same levels as a JSON array: per level the table's physical address,
 * the index, the entry's address and raw value, its flags. */
void walk_explain_json(struct json_writer *jw, const struct pt_format *f,
		       const struct walk_trace *t);

/* "P W U" for an x86 page-fault error code. */
void fault_bits_str(uint32_t code, char *buf, size_t len);
/* A translation's fault as a JSON object: {vector: "#PF", error_code,
 * bits, level} or {vector: "#GP", reason}. */
void fault_json(struct json_writer *jw, const struct pt_format *f, const struct vmsim_fault *fault);

#endif
