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

/* A logical address SEG:OFFSET: a segment register by name (es cs ss ds
 * fs gs) or a selector value, loaded as DS would load it. */
struct logical_addr {
	int sreg;		/* enum seg_reg, or -1 for a selector value */
	uint16_t selector;	/* the selector value (sreg -1) */
};

/* Split a "SEG:" prefix off @text: 1 with *l and *rest (the offset's
 * text), 0 when there is none (*rest = @text), -1 when SEG is neither a
 * register nor a 16-bit number. */
int logical_prefix(const char *text, struct logical_addr *l, const char **rest);

/* The segment step of one translation. */
struct seg_step {
	struct logical_addr in;
	enum seg_reg r;		/* the register whose checks apply */
	struct segment seg;	/* the cache used (a selector value's, loaded aside) */
	struct seg_trace trace;	/* the descriptor read, for a selector value */
	bool cached;		/* seg holds a cache (the value's load passed) */
	uint64_t off;
	bool ok;
	uint64_t linear;
	struct seg_fault fault;
};

/* Logical -> linear on @cpu for @size bytes at @off: the register's cache,
 * or the selector value's descriptor checked as a DS load at the CPU's
 * CPL (nothing is loaded).  Fills @out; returns out->ok. */
bool seg_step_run(struct vmsim_cpu *cpu, const struct logical_addr *l, uint64_t off,
		  unsigned size, enum mmu_access acc, struct seg_step *out);
/* The segment step as text lines / as a JSON object. */
void seg_explain(struct strbuf *sb, const struct vmsim_cpu *cpu, const struct seg_step *s);
void seg_explain_json(struct json_writer *jw, const struct vmsim_cpu *cpu,
		      const struct seg_step *s);
/* A segmentation fault's {vector, error_code, reason} object. */
void seg_fault_json(struct json_writer *jw, const struct seg_fault *f);
/* "#GP(0x68)" */
void seg_fault_str(const struct seg_fault *f, char *buf, size_t len);
/* "ds" or "0x2b" */
void logical_seg_str(const struct logical_addr *l, char *buf, size_t len);

/* "P W U" for an x86 page-fault error code. */
void fault_bits_str(uint32_t code, char *buf, size_t len);
/* A translation's fault as a JSON object: {vector: "#PF", error_code,
 * bits, level} or {vector: "#GP", reason}. */
void fault_json(struct json_writer *jw, const struct pt_format *f, const struct vmsim_fault *fault);

#endif
