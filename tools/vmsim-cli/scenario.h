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
 *
 * What the simulated machine does is never bad input: a call that fails
 * (ENOMEM, an OOM), faults or segfaults is the step's outcome, and without
 * an `expect:` the core prints it as one line "SCENARIO:LINE: step N (op):
 * ENOMEM".  A later step that names what such a step failed to create (a
 * task, a cache, an `as:` value) is not run, and its outcome says why
 * (OUT_NOT_RUN): the lookups below return SCN_NOT_RUN, which the op passes
 * up like any negative code.
 */
#ifndef VMSIM_CLI_SCENARIO_H
#define VMSIM_CLI_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/json.h"
#include "util/yaml.h"

struct vmsim_machine;
struct scn;

enum scn_outcome_kind {
	OUT_NONE,	/* the op produced nothing to compare */
	OUT_VALUE,	/* a number (address, pfn, byte value, ...) */
	OUT_ERROR,	/* a failing call: err is a negative errno */
	OUT_FAULT,	/* a raw translation fault: fault_code is the x86 error code */
	OUT_SEGV,	/* SIGSEGV delivered to the task: segv_code 1 maperr, 2 accerr */
	OUT_NOT_RUN,	/* an earlier step failed to create what this one names */
	OUT_KILLED,	/* the step's task got SIGKILL from the OOM killer during it:
			 * value is its pid; what the op was doing did not complete */
	OUT_SIGBUS,	/* SIGBUS delivered to the task (BUS_ADRERR: past the end of a file) */
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
	char why[240];			/* OUT_ERROR: the reason, when the op has one;
					 * OUT_NOT_RUN: what is missing and why;
					 * OUT_KILLED: the task's name */
	/* the tasks the OOM killer sent SIGKILL during the step, in order */
	struct scn_kill { int pid; char name[48]; } killed[8];
	unsigned nr_killed;		/* may exceed the array: the rest uncounted */
};

/* Returned by the lookups when the step is not run (see above). */
#define SCN_NOT_RUN (-4096)

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

struct task_struct;
/*
 * The task named by argument @key: 0 with *t set; 1 when the argument is
 * absent and not @required (*t NULL); SCN_NOT_RUN when a step failed to
 * create it; otherwise a scn_bad() code (no step ever created it, or it
 * exited).
 */
int scn_arg_task(struct scn *s, struct scn_step *st, const char *key, bool required,
		 struct task_struct **t);

/* What a name refers to, for the records below. */
enum scn_name_kind { SCN_TASK, SCN_CACHE, SCN_VALUE };

/* The step @st, which should have created @name, failed (its outcome is
 * set): later steps naming it are not run.  A later success forgets it. */
void scn_note_lost(struct scn *s, const struct scn_step *st, enum scn_name_kind kind,
		   const char *name);
/* @name ended at step @st (a task exited): naming it later is bad input. */
void scn_note_gone(struct scn *s, const struct scn_step *st, enum scn_name_kind kind,
		   const char *name);
/* For a name no lookup found: SCN_NOT_RUN if a failed step should have
 * made it (the step is then not run), a scn_bad() code if it is gone, 0
 * if neither (the caller reports the unknown name). */
int scn_check_lost(struct scn *s, struct scn_step *st, enum scn_name_kind kind,
		   const char *name, const struct ynode *at);

/* ---- results and reporting ---- */

/* Bad scenario input at node @at (or the step): returns -EINVAL. */
int scn_bad(struct scn *s, const struct scn_step *st, const struct ynode *at,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Count one expectation checked by an op that checks its own (expect_done). */
void scn_checked(struct scn *s);
/* Report a failed expectation of this step. */
void scn_mismatch(struct scn *s, const struct scn_step *st, const char *expected,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* One expectation of a count: checked, and reported as "@what WANT" when
 * it is not @got. */
void scn_expect_count(struct scn *s, const struct scn_step *st, const char *what, uint64_t want,
		      uint64_t got);

struct vmsim_machine *scn_machine(struct scn *s);
bool scn_json(struct scn *s);
/* Directory of the scenario file, for relative paths. */
const char *scn_dir(struct scn *s);

/* Remember a named value ($NAME); the core calls this for `as:`. */
int scn_define(struct scn *s, const char *name, uint64_t value);

/* The order of a block a step allocated at physical address @pa (so that
 * free_pages needs no order); -ENOENT if none is recorded. */
int scn_note_alloc(struct scn *s, uint64_t pa, unsigned order);
int scn_alloc_order(struct scn *s, uint64_t pa, unsigned *order, bool forget);

/* An op's text block (show:, and the like): text mode only, held with the
 * step's output and printed when the step is over (so a step that meets
 * host exhaustion prints none of it). */
void scn_print(struct scn *s, const char *text);
void scn_printf(struct scn *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* JSON mode: the writer inside the current step's "output" array, where an
 * op writes one object per block it would print ({"view", "data"},
 * {"walk"}, {"message"}); NULL in text mode. */
struct json_writer *scn_output(struct scn *s);

/* Op tables, one per ops_*.c file, merged in ops.c. */
extern const struct scn_op scn_ops_phys[];
extern const struct scn_op scn_ops_mmu[];
extern const struct scn_op scn_ops_slab[];	/* kmalloc kfree kmem_cache_* */
extern const struct scn_op scn_ops_kmem[];	/* vmalloc vfree kmap kunmap kread kwrite */
extern const struct scn_op scn_ops_task[];	/* spawn mmap munmap mprotect mremap brk */
extern const struct scn_op scn_ops_fault[];	/* read write fetch touch fork switch exit */
extern const struct scn_op scn_ops_exec[];	/* exec file */
extern const struct scn_op scn_ops_cgroup[];	/* cgroup cgroup_attach oom_score_adj */
extern const struct scn_op scn_ops_madvise[];	/* madvise */
extern const struct scn_op scn_ops_swap[];	/* swapon swapoff drop_caches sysctl */
extern const struct scn_op scn_ops_mlock[];	/* mlock mlock2 munlock mlockall munlockall mincore msync */

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
extern const struct scn_expect_part scn_expect_cgroup;
extern const struct scn_expect_part scn_expect_reclaim;

#endif
