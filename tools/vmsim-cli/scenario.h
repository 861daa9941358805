/*
 * The scenario interpreter's interface for op handlers.  Each op is a
 * function in an ops_*.c file, listed in ops.c.  A handler reads its
 * arguments with scn_arg_*(), does the work through the library, and
 * reports what happened in st->out; the core then checks `expect:` against
 * that outcome and keeps `as:` names.  An op whose expect has a shape of
 * its own (pte bits, rss) checks it itself and sets st->expect_done.
 *
 * Errors in the scenario text (missing argument, wrong type, unknown name)
 * go through scn_bad(): the run stops with exit status 2 and the message
 * "SCENARIO:LINE:COL: ...".  A failed expectation goes through
 * scn_mismatch(): it is reported as "SCENARIO:LINE: step N (op): expected X,
 * got Y", counted, and the run continues (exit status 1 at the end).
 */
#ifndef VMSIM_CLI_SCENARIO_H
#define VMSIM_CLI_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/yaml.h"

struct vmsim_machine;
struct scn;

enum scn_outcome_kind {
	OUT_NONE,	/* the op produced nothing to compare */
	OUT_VALUE,	/* a number (address, pfn, byte value, ...) */
	OUT_ERROR,	/* a failing call: err is a negative errno */
	OUT_FAULT,	/* a raw translation fault: fault_code is the x86 error code */
	OUT_SEGV,	/* SIGSEGV delivered to the task: segv_code 1 maperr, 2 accerr */
};

struct scn_outcome {
	enum scn_outcome_kind kind;
	uint64_t value;
	int err;
	uint32_t fault_code;
	int segv_code;
	bool has_pa;		/* a successful translation: pa is its result */
	uint64_t pa;
};

struct scn_step {
	int index;			/* 1-based step number */
	const char *op;
	const struct ynode *node;	/* the step mapping */
	const struct ynode *args;	/* the op's value (mapping or scalar) */
	const struct ynode *expect;	/* NULL when absent */
	struct scn_outcome out;
	bool expect_done;		/* the op checked its own expect */
};

/* The outcome of a step: a value, or a failed call with its errno. */
static inline void scn_value(struct scn_step *st, uint64_t v)
{
	st->out.kind = OUT_VALUE;
	st->out.value = v;
}

static inline void scn_error(struct scn_step *st, int err)
{
	st->out.kind = OUT_ERROR;
	st->out.err = err;
}

typedef int (*scn_op_fn)(struct scn *s, struct scn_step *st);

struct scn_op {
	const char *name;
	scn_op_fn fn;
	const char *const *keys;	/* accepted argument keys, NULL ended
					 * ("expect" and "as" are always allowed) */
};

/* ---- arguments ---- */

/* The argument node @key, or NULL.  (Scalar args: st->args itself.) */
const struct ynode *scn_arg(const struct scn_step *st, const char *key);
/* A number: decimal/hex, a size with unit, "$NAME", "$NAME+OFF", "$NAME-OFF". */
int scn_arg_u64(struct scn *s, struct scn_step *st, const char *key, bool required,
		uint64_t *out);
/* Resolve a number node (same forms as scn_arg_u64). */
int scn_node_u64(struct scn *s, struct scn_step *st, const struct ynode *n, uint64_t *out);
int scn_arg_str(struct scn *s, struct scn_step *st, const char *key, bool required,
		const char **out);
int scn_arg_bool(struct scn *s, struct scn_step *st, const char *key, bool *out);

/* ---- results and reporting ---- */

/* Bad scenario input at node @at (or the step): returns -EINVAL. */
int scn_bad(struct scn *s, const struct scn_step *st, const struct ynode *at,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Count one expectation checked by an op that checks its own (expect_done). */
void scn_checked(struct scn *s);
/* Report a failed expectation of this step. */
void scn_mismatch(struct scn *s, const struct scn_step *st, const char *expected,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct vmsim_machine *scn_machine(struct scn *s);
FILE *scn_out(struct scn *s);
bool scn_json(struct scn *s);
/* Directory of the scenario file, for relative paths. */
const char *scn_dir(struct scn *s);

/* Remember a named value ($NAME); the core calls this for `as:`. */
int scn_define(struct scn *s, const char *name, uint64_t value);

/* The order of a block a step allocated at physical address @pa (so that
 * free_pages needs no order); -ENOENT if none is recorded. */
int scn_note_alloc(struct scn *s, uint64_t pa, unsigned order);
int scn_alloc_order(struct scn *s, uint64_t pa, unsigned *order, bool forget);

/* Print an op's text block (show:, and the like): text mode prints it;
 * JSON mode collects @json (a JSON value, may be NULL) under the step. */
void scn_emit(struct scn *s, const struct scn_step *st, const char *text, const char *json);

/* Op tables, one per ops_*.c file, merged in ops.c. */
extern const struct scn_op scn_ops_phys[];
extern const struct scn_op scn_ops_mmu[];
extern const struct scn_op scn_ops_slab[];	/* kmalloc kfree kmem_cache_* */
extern const struct scn_op scn_ops_kmem[];	/* vmalloc vfree kmap kunmap kread kwrite */
extern const struct scn_op scn_ops_task[];	/* spawn mmap munmap mprotect brk */
extern const struct scn_op scn_ops_fault[];	/* read write fetch touch fork switch exit */
extern const struct scn_op scn_ops_exec[];	/* exec file */
extern const struct scn_op scn_ops_mlock[];	/* mlock mlock2 munlock mlockall munlockall mincore msync */

struct task_struct;
/* The task named by the step's `task` argument (ops_task.c). */
int scn_task(struct scn *s, struct scn_step *st, struct task_struct **t);

struct file;
/* The file named by @key: a file declared with the `file` op, else a host
 * path relative to the scenario (ops_exec.c).  One reference: fput(). */
int scn_file(struct scn *s, struct scn_step *st, const char *key, struct file **f);

/*
 * The `expect` op checks quantities named by keys; each area contributes a
 * part that knows some keys (ops.c lists them).  A part checks only the
 * keys it knows that are present, counting each with scn_checked() and
 * reporting misses with scn_mismatch(); it returns 0 or a scn_bad() code.
 */
struct scn_expect_part {
	const char *const *keys;
	int (*fn)(struct scn *s, struct scn_step *st);
};

extern const struct scn_expect_part scn_expect_phys;
extern const struct scn_expect_part scn_expect_task;

#endif
