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
#include "util/strbuf.h"

/* Text lines (two-space indent) or, with @json, a JSON array of levels.
 * @ok says whether the walk reached a page (@wr then describes it). */
void walk_explain(struct strbuf *sb, const struct pt_format *f, const struct walk_trace *t,
		  bool ok, const struct walk_result *wr, uint64_t va, bool json);

/* "P W U" for an x86 page-fault error code. */
void fault_bits_str(uint32_t code, char *buf, size_t len);

#endif
