/*
 * The scenario interpreter: loads a scenario (YAML), boots its machine,
 * checks every step's shape before running any, then runs the steps in
 * order, matching each outcome against its `expect:` and keeping `as:`
 * names.  See scenario.h for the handler interface and docs/scenarios.md
 * for the format.
 *
 * Invariant: a bad scenario (exit 2) is detected before the first step runs
 * whenever the mistake is visible in the text (unknown op, unknown key,
 * wrong shape, a name with a control character); only values that depend
 * on earlier results ($NAME) can fail later, and then the run stops at that
 * step with the same message form.  What the machine does is never bad
 * input: a step that fails, faults or segfaults has that outcome, printed
 * as one stderr line when no `expect:` was given, and a step that names
 * what a failed step did not create is not run (OUT_NOT_RUN), saying why.
 * `as:` names and the blocks alloc_pages steps returned are found through
 * hash tables, so the 10^5th step costs what the first one did.
 *
 * Host exhaustion (util/hostalloc.h) is not a step's outcome: a step during
 * which the host refused an allocation ends the run with -ENOMEM "out of
 * host memory", whatever the op made of it, and prints nothing of its own
 * (no output, no step line).  A step's text is held until the step is
 * over, so stdout is always the output of whole steps.
 */
#include "scenario_run.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kern/machine.h"
#include "kern/oom.h"
#include "kern/task.h"
#include "ops.h"
#include "util/errname.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "util/htab.h"
#include "util/json.h"
#include "util/list.h"
#include "util/parse.h"
#include "util/strbuf.h"

/* An `as:` name and its value, in s->names by name. */
struct scn_name {
	struct list_head list;		/* on s->name_list, for freeing */
	uint64_t value;
	size_t len;
	char name[];
};

/* A block an alloc_pages step returned, in s->allocs by address. */
struct scn_alloc {
	struct list_head list;		/* on s->alloc_list, for freeing */
	uint64_t pa;
	unsigned order;
};

/* A name a failed step did not create, or one that ended. */
struct scn_lost {
	char *name;
	enum scn_name_kind kind;
	bool gone;		/* it existed and ended (a task exited) */
	bool killed;		/* the OOM killer killed it (steps naming it are not run) */
	char why[200];		/* "step 3 (fork): ENOMEM", "exited at step 5" */
};

struct scn {
	const char *file;
	char dir[4096];
	struct ydoc doc;
	struct vmsim_machine *m;
	FILE *out;
	bool json;
	struct vmsim_error *err;	/* bad input: the first message */
	int bad;			/* a scn_bad() happened */
	unsigned checked, failed;	/* expectations */
	struct htab names;		/* struct scn_name by name */
	struct list_head name_list;
	/* JSON mode: the document, kept until the run completes (a bad
	 * step prints nothing on stdout), and the failures, which are found
	 * while steps are written and join the document at its end */
	struct strbuf jdoc_sb, jfail_sb;
	struct json_writer jdoc, jfail;
	struct htab allocs;		/* struct scn_alloc by pa */
	struct list_head alloc_list;
	struct scn_lost *lost;
	size_t nr_lost, cap_lost;
	bool verbose;			/* a line for every step, not only failed ones */
	bool not_run;			/* the current step named something lost */
	char not_run_why[240];
	const struct scn_step *cur;	/* the step running, or NULL */
	struct scn_step *running;	/* the same, for the OOM killer's record */
	struct task_struct *step_task;	/* the task the running step names */
	bool step_task_killed;		/* ... and the OOM killer sent it SIGKILL */
	int panic_step;			/* the step the kernel panicked in, or 0 */
	char panic_op[32];
	unsigned nr_reports;		/* kernel reports the current step raised */
	struct strbuf cur_text;		/* text mode: the current step's output */
	unsigned long host_oom_base;	/* host_oom_count() when the run began */
};

/* The host refused an allocation since the run began. */
static bool host_oom(const struct scn *s)
{
	return host_oom_count() != s->host_oom_base;
}

static int out_of_host_memory(struct scn *s)
{
	return verr(s->err, -ENOMEM, "out of host memory");
}

/* ---------------------------------------------------------------- names */

static void forget_lost(struct scn *s, enum scn_name_kind kind, const char *name);

static struct scn_name *find_name(struct scn *s, const char *name, size_t len)
{
	struct htab_iter it;
	struct scn_name *n;

	htab_for_each_possible(&s->names, htab_hash(&s->names, name, len), it, n)
		if (n->len == len && memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

int scn_define(struct scn *s, const char *name, uint64_t value)
{
	size_t len = strlen(name);
	struct scn_name *n = find_name(s, name, len);

	forget_lost(s, SCN_VALUE, name);
	if (n) {
		n->value = value;
		return 0;
	}
	n = host_alloc(NULL, sizeof(*n) + len + 1);
	if (!n)
		return -ENOMEM;
	n->value = value;
	n->len = len;
	memcpy(n->name, name, len + 1);
	if (htab_insert(&s->names, htab_hash(&s->names, name, len), n)) {
		host_free(NULL, n, sizeof(*n) + len + 1);
		return -ENOMEM;
	}
	list_add_tail(&n->list, &s->name_list);
	return 0;
}

static bool lookup(struct scn *s, const char *name, size_t len, uint64_t *v)
{
	const struct scn_name *n = find_name(s, name, len);

	if (n)
		*v = n->value;
	return n != NULL;
}

static struct scn_alloc *find_alloc(struct scn *s, uint64_t pa)
{
	struct htab_iter it;
	struct scn_alloc *a;

	htab_for_each_possible(&s->allocs, htab_hash_u64(&s->allocs, pa), it, a)
		if (a->pa == pa)
			return a;
	return NULL;
}

int scn_note_alloc(struct scn *s, uint64_t pa, unsigned order)
{
	struct scn_alloc *a = find_alloc(s, pa);

	if (a) {
		/* the block was freed some other way and handed out again */
		a->order = order;
		return 0;
	}
	a = host_alloc(NULL, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->pa = pa;
	a->order = order;
	if (htab_insert(&s->allocs, htab_hash_u64(&s->allocs, pa), a)) {
		host_free(NULL, a, sizeof(*a));
		return -ENOMEM;
	}
	list_add_tail(&a->list, &s->alloc_list);
	return 0;
}

int scn_alloc_order(struct scn *s, uint64_t pa, unsigned *order, bool forget)
{
	struct scn_alloc *a = find_alloc(s, pa);

	if (!a)
		return -ENOENT;
	*order = a->order;
	if (forget) {
		htab_remove(&s->allocs, htab_hash_u64(&s->allocs, pa), a);
		list_del(&a->list);
		host_free(NULL, a, sizeof(*a));
	}
	return 0;
}

/* ------------------------------------------------------- lost names */

/* snprintf() into a fixed record, where a long name may cut the text. */
static void __attribute__((format(printf, 3, 4)))
cut_printf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static const char *const kind_names[] = { "task", "cache", "value" };

static struct scn_lost *find_lost(struct scn *s, enum scn_name_kind kind, const char *name)
{
	for (size_t i = 0; i < s->nr_lost; i++)
		if (s->lost[i].kind == kind && strcmp(s->lost[i].name, name) == 0)
			return &s->lost[i];
	return NULL;
}

static void forget_lost(struct scn *s, enum scn_name_kind kind, const char *name)
{
	struct scn_lost *l = find_lost(s, kind, name);

	if (!l)
		return;
	host_free(NULL, l->name, strlen(l->name) + 1);
	*l = s->lost[--s->nr_lost];
}

/* The record for @name, new or reused; NULL when the host is out of memory. */
static struct scn_lost *note(struct scn *s, enum scn_name_kind kind, const char *name)
{
	struct scn_lost *l = find_lost(s, kind, name);

	if (l)
		return l;
	if (s->nr_lost == s->cap_lost) {
		size_t nc = s->cap_lost ? 2 * s->cap_lost : 8;
		struct scn_lost *nl = host_realloc(NULL, s->lost, s->cap_lost * sizeof(*nl),
						   nc * sizeof(*nl));
		if (!nl)
			return NULL;
		s->lost = nl;
		s->cap_lost = nc;
	}
	l = &s->lost[s->nr_lost];
	l->name = host_strdup(NULL, name);
	if (!l->name)
		return NULL;
	l->kind = kind;
	s->nr_lost++;
	return l;
}

static void result_line(const struct scn_step *st, char *buf, size_t len);

void scn_note_lost(struct scn *s, const struct scn_step *st, enum scn_name_kind kind,
		   const char *name)
{
	struct scn_lost *l = note(s, kind, name);
	char res[300];

	if (!l)
		return;		/* the name is then merely unknown later */
	result_line(st, res, sizeof(res));
	l->gone = false;
	l->killed = false;
	cut_printf(l->why, sizeof(l->why), "step %d (%s): %s", st->index, st->op, res);
}

void scn_note_gone(struct scn *s, const struct scn_step *st, enum scn_name_kind kind,
		   const char *name)
{
	struct scn_lost *l = note(s, kind, name);

	if (!l)
		return;
	l->gone = true;
	l->killed = false;
	cut_printf(l->why, sizeof(l->why), "it ended at step %d (%s)", st->index, st->op);
}

/* The OOM killer sent SIGKILL to @t during the running step: the step
 * records it, and later steps naming the task are not run. */
static void scn_oom_killed(void *ctx, struct task_struct *t)
{
	struct scn *s = ctx;
	struct scn_step *st = s->running;
	const char *name = task_name(t);
	struct scn_lost *l;

	if (!st)
		return;
	if (st->nr_killed < sizeof(st->killed) / sizeof(st->killed[0])) {
		st->killed[st->nr_killed].pid = t->pid;
		cut_printf(st->killed[st->nr_killed].name, sizeof(st->killed[0].name), "%s", name);
	}
	st->nr_killed++;
	if (t == s->step_task)
		s->step_task_killed = true;
	l = note(s, SCN_TASK, name);
	if (!l)
		return;
	l->gone = false;
	l->killed = true;
	cut_printf(l->why, sizeof(l->why), "the OOM killer killed it at step %d (%s)", st->index,
		   st->op);
}

int scn_check_lost(struct scn *s, struct scn_step *st, enum scn_name_kind kind,
		   const char *name, const struct ynode *at)
{
	const struct scn_lost *l = find_lost(s, kind, name);

	if (!l)
		return 0;
	if (l->gone)
		return scn_bad(s, st, at, "no %s '%s': %s", kind_names[kind], name, l->why);
	s->not_run = true;
	if (l->killed)
		cut_printf(s->not_run_why, sizeof(s->not_run_why), "%s '%s': %s", kind_names[kind],
			   name, l->why);
	else if (kind == SCN_VALUE)
		cut_printf(s->not_run_why, sizeof(s->not_run_why), "'$%s' has no value: %s", name,
			   l->why);
	else
		cut_printf(s->not_run_why, sizeof(s->not_run_why), "%s '%s' was not created: %s",
			   kind_names[kind], name, l->why);
	return SCN_NOT_RUN;
}

int scn_arg_task(struct scn *s, struct scn_step *st, const char *key, bool required,
		 struct task_struct **t)
{
	const char *name;
	int ret = scn_arg_str(s, st, key, required, &name);

	*t = NULL;
	if (ret)
		return ret;
	*t = task_find(s->m, name);
	if (*t)
		return 0;
	ret = scn_check_lost(s, st, SCN_TASK, name, scn_arg(st, key));
	if (ret)
		return ret;
	return scn_bad(s, st, scn_arg(st, key), "no task '%s' (spawn or fork it first)", name);
}

/* ------------------------------------------------------------ reporting */

int scn_bad(struct scn *s, const struct scn_step *st, const struct ynode *at,
	    const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!at && st)
		at = st->node;
	s->bad = 1;
	if (st)
		verr_at(s->err, -EINVAL, s->file, at ? at->line : 0, at ? at->col : 0,
			"step %d (%s): %s", st->index, st->op, msg);
	else
		verr_at(s->err, -EINVAL, s->file, at ? at->line : 0, at ? at->col : 0, "%s", msg);
	return -EINVAL;
}

void scn_checked(struct scn *s)
{
	s->checked++;
}

void scn_expect_count(struct scn *s, const struct scn_step *st, const char *what, uint64_t want,
		      uint64_t got)
{
	char w[128];

	scn_checked(s);
	if (want != got) {
		snprintf(w, sizeof(w), "%s %llu", what, (unsigned long long)want);
		scn_mismatch(s, st, w, "%llu", (unsigned long long)got);
	}
}

void scn_mismatch(struct scn *s, const struct scn_step *st, const char *expected,
		  const char *fmt, ...)
{
	char got[400];
	va_list ap;
	const struct ynode *at = st->expect ? st->expect : st->node;

	/* a comparison spoiled by host exhaustion: the step ends the run */
	if (host_oom(s))
		return;
	va_start(ap, fmt);
	vsnprintf(got, sizeof(got), fmt, ap);
	va_end(ap);
	s->failed++;
	fprintf(stderr, "%s:%d: step %d (%s): expected %s, got %s\n", s->file, at->line,
		st->index, st->op, expected, got);
	if (s->json) {
		json_object_begin(&s->jfail);
		json_key_i64(&s->jfail, "line", at->line);
		json_key_i64(&s->jfail, "step", st->index);
		json_key_str(&s->jfail, "op", st->op);
		json_key_str(&s->jfail, "expected", expected);
		json_key_str(&s->jfail, "got", got);
		json_object_end(&s->jfail);
	}
}

void scn_print(struct scn *s, const char *text)
{
	if (!s->json)
		sb_puts(&s->cur_text, text);
}

void scn_printf(struct scn *s, const char *fmt, ...)
{
	va_list ap;

	if (s->json)
		return;
	va_start(ap, fmt);
	sb_vprintf(&s->cur_text, fmt, ap);
	va_end(ap);
}

struct json_writer *scn_output(struct scn *s)
{
	return s->json ? &s->jdoc : NULL;
}

struct vmsim_machine *scn_machine(struct scn *s)
{
	return s->m;
}

bool scn_json(struct scn *s)
{
	return s->json;
}

const char *scn_dir(struct scn *s)
{
	return s->dir;
}

/* ------------------------------------------------------------ arguments */

const struct ynode *scn_arg(const struct scn_step *st, const char *key)
{
	if (!st->args || st->args->type != YNODE_MAP)
		return NULL;
	return ymap_get(st->args, key);
}

int scn_node_u64(struct scn *s, struct scn_step *st, const struct ynode *n, uint64_t *out)
{
	const char *t;
	uint64_t base = 0, off = 0;
	int sign = 0, ret;

	if (n->type != YNODE_SCALAR)
		return scn_bad(s, st, n, "expected a number, not %s", ynode_type_name(n->type));
	t = n->scalar;
	if (t[0] == '$') {
		size_t len = strcspn(t + 1, "+-");

		if (len == 0)
			return scn_bad(s, st, n, "'%s': a name must follow '$'", t);
		if (!lookup(s, t + 1, len, &base)) {
			char name[256];

			snprintf(name, sizeof(name), "%.*s", (int)len, t + 1);
			ret = scn_check_lost(s, st, SCN_VALUE, name, n);
			if (ret)
				return ret;
			return scn_bad(s, st, n, "'%s': no earlier step kept a value as '%.*s'",
				       t, (int)len, t + 1);
		}
		t += 1 + len;
		if (*t == '\0') {
			*out = base;
			return 0;
		}
		sign = *t == '+' ? 1 : -1;
		t++;
	}
	if (t[0] == '-')
		return scn_bad(s, st, n, "'%s' is negative (numbers are 0 to 2^64-1)", n->scalar);
	ret = parse_size(t, &off);
	if (ret == -ERANGE)
		return scn_bad(s, st, n, "'%s' does not fit in 64 bits", n->scalar);
	if (ret)
		return scn_bad(s, st, n, "'%s' is not a number (decimal, 0x hex, a size like "
			       "4KiB, or $NAME+OFFSET)", n->scalar);
	/* an offset that wraps is a mistake, not an address */
	if (sign > 0 && base + off < base)
		return scn_bad(s, st, n, "'%s': 0x%llx + 0x%llx wraps past 2^64", n->scalar,
			       (unsigned long long)base, (unsigned long long)off);
	if (sign < 0 && off > base)
		return scn_bad(s, st, n, "'%s': 0x%llx - 0x%llx is below 0", n->scalar,
			       (unsigned long long)base, (unsigned long long)off);
	if (sign > 0)
		*out = base + off;
	else if (sign < 0)
		*out = base - off;
	else
		*out = off;
	return 0;
}

int scn_arg_u64(struct scn *s, struct scn_step *st, const char *key, bool required,
		uint64_t *out)
{
	const struct ynode *n = scn_arg(st, key);

	if (!n) {
		if (required)
			return scn_bad(s, st, st->args, "missing argument '%s'", key);
		return 1;
	}
	return scn_node_u64(s, st, n, out);
}

int scn_arg_str(struct scn *s, struct scn_step *st, const char *key, bool required,
		const char **out)
{
	const struct ynode *n = scn_arg(st, key);

	if (!n) {
		if (required)
			return scn_bad(s, st, st->args, "missing argument '%s'", key);
		return 1;
	}
	if (n->type != YNODE_SCALAR)
		return scn_bad(s, st, n, "'%s' must be a scalar, not %s", key,
			       ynode_type_name(n->type));
	*out = n->scalar;
	return 0;
}

int scn_arg_bool(struct scn *s, struct scn_step *st, const char *key, bool *out)
{
	const struct ynode *n = scn_arg(st, key);

	if (!n)
		return 1;
	if (n->type != YNODE_SCALAR || parse_bool(n->scalar, out))
		return scn_bad(s, st, n, "'%s' must be true or false", key);
	return 0;
}

/* ---------------------------------------------------------- expectations */

static const char *const fault_bits[] = { "P", "W", "U", "RSVD", "I", "PK" };

static void describe_fault(uint32_t code, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "fault [");

	for (unsigned b = 0; b < 6 && used < len; b++)
		if (code & (1u << b))
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 buf[used - 1] == '[' ? "" : ", ", fault_bits[b]);
	if (used < len)
		snprintf(buf + used, len - used, "] (error code 0x%x)", code);
}

static void describe(const struct scn_step *st, char *buf, size_t len)
{
	const struct scn_outcome *o = &st->out;
	char eb[24];

	switch (o->kind) {
	case OUT_NONE:
		snprintf(buf, len, o->has_pa ? "pa 0x%llx" : "ok", (unsigned long long)o->pa);
		break;
	case OUT_VALUE:
		if (o->has_pa)
			snprintf(buf, len, "pa 0x%llx", (unsigned long long)o->pa);
		else
			snprintf(buf, len, "0x%llx", (unsigned long long)o->value);
		break;
	case OUT_ERROR:
		snprintf(buf, len, "error %s", errno_str(o->err, eb));
		break;
	case OUT_FAULT:
		describe_fault(o->fault_code, buf, len);
		break;
	case OUT_SEGV:
		snprintf(buf, len, "segv %s", o->segv_code == 2 ? "accerr" : "maperr");
		break;
	case OUT_SIGBUS:
		snprintf(buf, len, "sigbus adrerr");
		break;
	case OUT_EXCEPTION:
		snprintf(buf, len, "%s(0x%x)", seg_fault_name(o->vector), o->fault_code);
		break;
	case OUT_NOT_RUN:
		cut_printf(buf, len, "not run: %s", st->why);
		break;
	case OUT_KILLED:
		cut_printf(buf, len, "killed");
		break;
	}
}

/* The outcome as JSON: {"kind": ..., and the kind's value}; an error or a
 * step not run says why when the op said. */
static void outcome_json(struct json_writer *jw, const struct scn_step *st)
{
	const struct scn_outcome *o = &st->out;
	char bits[64];
	static const char *const bit_names[] = { "P", "W", "U", "RSVD", "I", "PK" };
	size_t used = 0;

	json_object_begin(jw);
	switch (o->kind) {
	case OUT_NONE:
	case OUT_VALUE:
		if (o->has_pa) {
			json_key_str(jw, "kind", "pa");
			json_key_hex(jw, "pa", o->pa);
		} else if (o->kind == OUT_VALUE) {
			json_key_str(jw, "kind", "value");
			json_key_hex(jw, "value", o->value);
		} else {
			json_key_str(jw, "kind", "ok");
		}
		break;
	case OUT_ERROR:
		json_key_str(jw, "kind", "error");
		/* errno_name() says "E?" for a number without a name */
		json_key_str(jw, "error", strcmp(errno_name(o->err), "E?") ? errno_name(o->err) : NULL);
		json_key_i64(jw, "errno", o->err < 0 ? -o->err : o->err);
		if (st->why[0])
			json_key_str(jw, "reason", st->why);
		break;
	case OUT_NOT_RUN:
		json_key_str(jw, "kind", "not_run");
		json_key_str(jw, "reason", st->why);
		break;
	case OUT_FAULT:
		bits[0] = '\0';
		for (unsigned b = 0; b < 6; b++)
			if (o->fault_code & (1u << b))
				used += (size_t)snprintf(bits + used, sizeof(bits) - used, "%s ",
							 bit_names[b]);
		json_key_str(jw, "kind", "fault");
		json_key_u64(jw, "error_code", o->fault_code);
		json_key(jw, "bits");
		json_words(jw, bits);
		break;
	case OUT_SEGV:
		json_key_str(jw, "kind", "segv");
		json_key_str(jw, "code", o->segv_code == 2 ? "accerr" : "maperr");
		break;
	case OUT_KILLED:
		json_key_str(jw, "kind", "killed");
		json_key_str(jw, "task", st->why);
		json_key_u64(jw, "pid", o->value);
		break;
	case OUT_SIGBUS:
		json_key_str(jw, "kind", "sigbus");
		json_key_str(jw, "code", "adrerr");
		break;
	case OUT_EXCEPTION:
		json_key_str(jw, "kind", "exception");
		json_key_str(jw, "vector", seg_fault_name(o->vector));
		json_key_u64(jw, "error_code", o->fault_code);
		break;
	}
	json_object_end(jw);
}

static bool failed_outcome(const struct scn_outcome *o)
{
	return o->kind == OUT_ERROR || o->kind == OUT_FAULT || o->kind == OUT_SEGV ||
	       o->kind == OUT_SIGBUS || o->kind == OUT_NOT_RUN || o->kind == OUT_EXCEPTION ||
	       o->kind == OUT_KILLED;
}

/* A step's result as its stderr line says it: an error by its errno name
 * (and the op's reason), the rest as describe() has it. */
static void result_line(const struct scn_step *st, char *buf, size_t len)
{
	char eb[24];

	if (st->out.kind == OUT_ERROR)
		cut_printf(buf, len, "%s%s%s", errno_str(st->out.err, eb), st->why[0] ? ": " : "",
			   st->why);
	else
		describe(st, buf, len);
}

/* The number an expect names: 0 with *v; 1 when it is a $NAME a failed
 * step left without a value (reported as a mismatch: @got against the
 * missing value); -EINVAL (reported) when it is not a number. */
static int expected_number(struct scn *s, struct scn_step *st, const struct ynode *n,
			   const char *got, uint64_t *v)
{
	int ret = scn_node_u64(s, st, n, v);

	if (ret == SCN_NOT_RUN) {
		s->not_run = false;	/* the step ran; its expectation cannot hold */
		scn_mismatch(s, st, n->scalar, "%s; %s", got, s->not_run_why);
		return 1;
	}
	return ret ? -EINVAL : 0;
}

/* Check st->out against st->expect.  Returns 0 (checked, maybe mismatched)
 * or -EINVAL for an expect of a form the core does not know. */
static int check_expect(struct scn *s, struct scn_step *st)
{
	const struct ynode *e = st->expect;
	const struct scn_outcome *o = &st->out;
	char got[300], want[200];
	bool ok;
	int ret;

	describe(st, got, sizeof(got));
	s->checked++;
	if (e->type == YNODE_SCALAR) {
		uint64_t v;

		if (strcmp(e->scalar, "ok") == 0) {
			if (failed_outcome(o))
				scn_mismatch(s, st, "ok", "%s", got);
			return 0;
		}
		if (strcmp(e->scalar, "segv") == 0) {
			if (o->kind != OUT_SEGV)
				scn_mismatch(s, st, "segv", "%s", got);
			return 0;
		}
		if (strcmp(e->scalar, "killed") == 0) {
			if (o->kind != OUT_KILLED)
				scn_mismatch(s, st, "killed", "%s", got);
			return 0;
		}
		if (strcmp(e->scalar, "sigbus") == 0) {
			if (o->kind != OUT_SIGBUS)
				scn_mismatch(s, st, "sigbus", "%s", got);
			return 0;
		}
		ret = expected_number(s, st, e, got, &v);
		if (ret)
			return ret > 0 ? 0 : ret;
		ok = (o->kind == OUT_VALUE && !o->has_pa && o->value == v) ||
		     (o->has_pa && !failed_outcome(o) && o->pa == v);
		if (!ok)
			scn_mismatch(s, st, (snprintf(want, sizeof(want), "0x%llx",
						      (unsigned long long)v), want), "%s", got);
		return 0;
	}
	if (e->type != YNODE_MAP || e->n != 1)
		return scn_bad(s, st, e, "this op's expect is a number, ok, segv, sigbus, killed, "
			       "{segv: maperr|accerr}, {error: ENAME}, {fault: [bits]}, {pa: ADDR} "
			       "or {killed: TASK}");
	const char *k = ymap_key(e, 0)->scalar;
	const struct ynode *v = ymap_val(e, 0);

	if (strcmp(k, "error") == 0) {
		int no = v->type == YNODE_SCALAR ? errno_from_name(v->scalar) : 0;
		uint64_t num;

		/* an errno without a name by its number, 1..4095 */
		if (!no && v->type == YNODE_SCALAR && !parse_u64(v->scalar, &num) && num &&
		    num <= 4095)
			no = (int)num;
		if (!no)
			return scn_bad(s, st, v, "expect error: an errno name like ENOMEM");
		if (!(o->kind == OUT_ERROR && o->err == -no))
			scn_mismatch(s, st, (snprintf(want, sizeof(want), "error %s", v->scalar), want),
				     "%s", got);
		return 0;
	}
	if (strcmp(k, "segv") == 0) {
		int code = 0;

		if (v->type == YNODE_SCALAR && strcmp(v->scalar, "maperr") == 0)
			code = 1;
		else if (v->type == YNODE_SCALAR && strcmp(v->scalar, "accerr") == 0)
			code = 2;
		else
			return scn_bad(s, st, v, "expect segv: maperr or accerr");
		if (!(o->kind == OUT_SEGV && o->segv_code == code))
			scn_mismatch(s, st, (snprintf(want, sizeof(want), "segv %s", v->scalar), want),
				     "%s", got);
		return 0;
	}
	if (strcmp(k, "fault") == 0) {
		uint32_t code = 0;

		if (v->type != YNODE_SEQ)
			return scn_bad(s, st, v, "expect fault: a list of P, W, U, RSVD, I, PK");
		for (size_t i = 0; i < v->n; i++) {
			const struct ynode *b = v->items[i];
			unsigned j;

			for (j = 0; j < 6; j++)
				if (b->type == YNODE_SCALAR && strcmp(b->scalar, fault_bits[j]) == 0)
					break;
			if (j == 6)
				return scn_bad(s, st, b, "fault bits are P, W, U, RSVD, I, PK");
			code |= 1u << j;
		}
		if (!(o->kind == OUT_FAULT && o->fault_code == code)) {
			describe_fault(code, want, sizeof(want));
			scn_mismatch(s, st, want, "%s", got);
		}
		return 0;
	}
	for (unsigned x = 0; x < 3; x++) {
		static const char *const keys[] = { "gp", "ss", "np" };
		static const unsigned vectors[] = { X86_TRAP_GP, X86_TRAP_SS, X86_TRAP_NP };
		uint64_t code;

		if (strcmp(k, keys[x]))
			continue;
		ret = expected_number(s, st, v, got, &code);
		if (ret)
			return ret > 0 ? 0 : ret;
		if (!(o->kind == OUT_EXCEPTION && o->vector == vectors[x] && o->fault_code == code))
			scn_mismatch(s, st, (snprintf(want, sizeof(want), "%s(0x%llx)",
						      seg_fault_name(vectors[x]),
						      (unsigned long long)code), want), "%s", got);
		return 0;
	}
	if (strcmp(k, "killed") == 0) {
		/* the OOM killer killed task @v during this step (whoever ran it) */
		bool found = false;
		char list[200] = "";
		size_t used = 0;

		if (v->type != YNODE_SCALAR)
			return scn_bad(s, st, v, "expect killed: the name of a task");
		for (unsigned i = 0; i < st->nr_killed && i < sizeof(st->killed) / sizeof(st->killed[0]);
		     i++) {
			found |= strcmp(st->killed[i].name, v->scalar) == 0;
			if (used < sizeof(list))
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
							 used ? ", " : "", st->killed[i].name);
		}
		if (!found)
			scn_mismatch(s, st, (snprintf(want, sizeof(want), "%s killed", v->scalar), want),
				     "%s (the OOM killer killed %s)", got, st->nr_killed ? list : "nobody");
		return 0;
	}
	if (strcmp(k, "pa") == 0) {
		uint64_t pa;

		ret = expected_number(s, st, v, got, &pa);
		if (ret)
			return ret > 0 ? 0 : ret;
		if (!(o->has_pa && !failed_outcome(o) && o->pa == pa))
			scn_mismatch(s, st, (snprintf(want, sizeof(want), "pa 0x%llx",
						      (unsigned long long)pa), want), "%s", got);
		return 0;
	}
	return scn_bad(s, st, e, "unknown expect form '%s' (error, segv, fault, gp, ss, np, pa, killed)", k);
}

/* ---------------------------------------------------------------- steps */

/* Split a step mapping into op, args, expect and as. */
static int step_parse(struct scn *s, const struct ynode *node, int index, struct scn_step *st,
		      const struct ynode **as)
{
	memset(st, 0, sizeof(*st));
	st->index = index;
	st->node = node;
	st->op = "?";
	*as = NULL;
	if (node->type == YNODE_SCALAR) {
		/* "- show" style is not a mapping; accept ops without arguments */
		st->op = node->scalar;
		return 0;
	}
	if (node->type != YNODE_MAP || node->n == 0)
		return scn_bad(s, NULL, node, "step %d: a step is a mapping like '- op: {args}'",
			       index);
	for (size_t i = 0; i < node->n; i++) {
		const char *k = ymap_key(node, i)->scalar;

		if (strcmp(k, "as") == 0 && node->n > 1)
			*as = ymap_val(node, i);
		else if (strcmp(k, "expect") == 0 && node->n > 1)
			st->expect = ymap_val(node, i);
		else if (strcmp(st->op, "?") == 0) {
			st->op = k;
			st->args = ymap_val(node, i);
		} else
			return scn_bad(s, NULL, ymap_key(node, i),
				       "step %d: two ops in one step ('%s' and '%s')", index,
				       st->op, k);
	}
	if (strcmp(st->op, "?") == 0)
		return scn_bad(s, NULL, node, "step %d: no op in this step", index);
	/* expect/as may also sit inside the argument mapping */
	if (st->args && st->args->type == YNODE_MAP && strcmp(st->op, "expect") != 0) {
		const struct ynode *e = ymap_get(st->args, "expect");
		const struct ynode *a = ymap_get(st->args, "as");

		if (e && st->expect)
			return scn_bad(s, st, e, "expect given twice");
		if (a && *as)
			return scn_bad(s, st, a, "as given twice");
		if (e)
			st->expect = e;
		if (a)
			*as = a;
	}
	return 0;
}

/* Arguments that name something (a task, a cache, a file): no control
 * characters.  File contents and values may hold anything. */
static const char *const name_keys[] = { "task", "child", "name", "cache", "file", "path",
					 "sysroot", "what", "caller" };

/* Check a step's op and keys before anything runs. */
static int step_validate(struct scn *s, struct scn_step *st, const struct ynode *as)
{
	const struct scn_op *op = scn_find_op(st->op);
	char list[1024];

	if (!op) {
		scn_list_ops(list, sizeof(list));
		return scn_bad(s, NULL, st->node, "step %d: unknown op '%s' (ops: %s)", st->index,
			       st->op, list);
	}
	if (as && (as->type != YNODE_SCALAR || !as->scalar[0] ||
		   strcspn(as->scalar, "+-$ ") != strlen(as->scalar) || has_control_char(as->scalar)))
		return scn_bad(s, st, as, "'as' takes a plain name (no '+', '-', '$', blank or "
			       "control character)");
	/* names are echoed by views and messages, one per line */
	for (size_t i = 0; i < sizeof(name_keys) / sizeof(name_keys[0]); i++) {
		const struct ynode *n = scn_arg(st, name_keys[i]);

		if (n && n->type == YNODE_SCALAR && has_control_char(n->scalar))
			return scn_bad(s, st, n, "'%s' holds a control character", name_keys[i]);
	}
	if (st->args && st->args->type == YNODE_MAP && op->keys) {
		for (size_t i = 0; i < st->args->n; i++) {
			const struct ynode *k = ymap_key(st->args, i);
			bool known = strcmp(k->scalar, "expect") == 0 || strcmp(k->scalar, "as") == 0;

			for (const char *const *p = op->keys; !known && *p; p++)
				known = strcmp(*p, k->scalar) == 0;
			if (!known) {
				size_t used = 0;
				list[0] = '\0';
				for (const char *const *p = op->keys; *p && used < sizeof(list); p++)
					used += (size_t)snprintf(list + used, sizeof(list) - used,
								 "%s%s", used ? ", " : "", *p);
				return scn_bad(s, st, k, "unknown argument '%s' (%s takes: %s)",
					       k->scalar, st->op, list);
			}
		}
	}
	return 0;
}

/* The step's line on stderr: "FILE:LINE: step N (op): RESULT". */
static void step_line(struct scn *s, const struct scn_step *st, const char *extra)
{
	char res[400];

	result_line(st, res, sizeof(res));
	fprintf(stderr, "%s:%d: step %d (%s): %s%s\n", s->file, st->node->line, st->index, st->op,
		res, extra);
}

/* The task the step names with its "task" argument, if it exists: the op
 * is that task's system call. */
static struct task_struct *step_task(struct scn *s, const struct scn_step *st)
{
	const struct ynode *n = scn_arg(st, "task");

	return n && n->type == YNODE_SCALAR ? task_find(s->m, n->scalar) : NULL;
}

/*
 * The op, run as the system call of the task it names (current, its mm in
 * use), then the return to user mode: memory.high's reclaim, and the exit
 * of the tasks the OOM killer chose.  The step's own task killed on the
 * way: its outcome is `killed`, whatever the op was doing.
 */
static int run_op(struct scn *s, const struct scn_op *op, struct scn_step *st)
{
	struct task_struct *t = step_task(s, st);
	int ret;

	s->running = st;
	s->step_task = t;
	s->step_task_killed = false;
	if (t)
		task_enter_kernel(t);
	ret = op->fn(s, st);
	if (t)
		task_leave_kernel(s->m);
	if (s->step_task_killed && !ret && !s->not_run) {
		memset(&st->out, 0, sizeof(st->out));
		st->out.kind = OUT_KILLED;
		st->out.value = (uint64_t)t->pid;
		cut_printf(st->why, sizeof(st->why), "%s", task_name(t));
	}
	exit_to_user_mode(s->m);
	s->step_task = NULL;
	s->running = NULL;
	if (kernel_panicked(s->m) && !s->panic_step) {
		s->panic_step = st->index;
		cut_printf(s->panic_op, sizeof(s->panic_op), "%s", st->op);
	}
	return ret;
}

static int run_step(struct scn *s, const struct ynode *node, int index)
{
	struct scn_step st;
	const struct ynode *as;
	const struct scn_op *op;
	char extra[160] = "";
	int ret;

	ret = step_parse(s, node, index, &st, &as);
	if (ret)
		return ret;
	op = scn_find_op(st.op);
	s->cur = &st;
	if (s->json) {
		json_object_begin(&s->jdoc);
		json_key_i64(&s->jdoc, "step", index);
		json_key_i64(&s->jdoc, "line", node->line);
		json_key_str(&s->jdoc, "op", st.op);
		json_key(&s->jdoc, "output");
		json_array_begin(&s->jdoc);
	}
	s->not_run = false;
	sb_reset(&s->cur_text);
	if (s->panic_step) {
		/* a panicked kernel runs nothing more */
		s->not_run = true;
		cut_printf(s->not_run_why, sizeof(s->not_run_why), "the kernel panicked at step %d "
			   "(%s): %s", s->panic_step, s->panic_op, s->m->panic_msg);
		/* `expect` checks its own quantities: none of them hold */
		st.expect_done = strcmp(st.op, "expect") == 0;
		ret = 0;
	} else {
		ret = run_op(s, op, &st);
	}
	if (host_oom(s)) {
		s->cur = NULL;
		return out_of_host_memory(s);
	}
	if (s->not_run) {
		/* it named what an earlier failed step did not create: whatever
		 * the op returned on its way out, this is the outcome */
		ret = 0;
		memset(&st.out, 0, sizeof(st.out));
		st.out.kind = OUT_NOT_RUN;
		cut_printf(st.why, sizeof(st.why), "%s", s->not_run_why);
		if (st.expect_done) {
			/* an op that checks its own quantities checked none */
			s->checked++;
			scn_mismatch(s, &st, "its checks to run", "not run: %s", st.why);
		}
	}
	s->cur = NULL;
	if (ret)
		return ret;
	if (st.expect && !st.expect_done) {
		ret = check_expect(s, &st);
		if (ret)
			return ret;
	}
	if (as) {
		uint64_t v = st.out.has_pa ? st.out.pa : st.out.value;

		if (st.out.kind != OUT_VALUE && !st.out.has_pa) {
			if (!failed_outcome(&st.out))
				return scn_bad(s, &st, as, "this op has no value to keep with 'as'");
			/* the name stays undefined: later steps using it are
			 * not run, and say why */
			scn_note_lost(s, &st, SCN_VALUE, as->scalar);
			cut_printf(extra, sizeof(extra), " (no value for '%s')", as->scalar);
		} else if (scn_define(s, as->scalar, v)) {
			return out_of_host_memory(s);
		}
	}
	if (host_oom(s))
		return out_of_host_memory(s);
	if (s->json) {
		json_array_end(&s->jdoc);
		if (st.nr_killed) {
			json_key(&s->jdoc, "oom_killed");
			json_array_begin(&s->jdoc);
			for (unsigned i = 0; i < st.nr_killed &&
					     i < sizeof(st.killed) / sizeof(st.killed[0]); i++) {
				json_object_begin(&s->jdoc);
				json_key_str(&s->jdoc, "task", st.killed[i].name);
				json_key_i64(&s->jdoc, "pid", st.killed[i].pid);
				json_object_end(&s->jdoc);
			}
			json_array_end(&s->jdoc);
		}
		json_key(&s->jdoc, "result");
		outcome_json(&s->jdoc, &st);
		json_object_end(&s->jdoc);
		return 0;
	}
	fputs(sb_str(&s->cur_text), s->out);
	/* a failure nobody expected is not silent; -v shows every step */
	if (s->verbose || (failed_outcome(&st.out) && !st.expect && !st.expect_done))
		step_line(s, &st, extra);
	return 0;
}

/* ------------------------------------------------------------- machine */

/* A line of the kernel's log on stderr, naming the step that caused it. */
static void scn_log_line(struct scn *s, const char *msg)
{
	if (s->cur)
		fprintf(stderr, "%s:%d: step %d (%s): %s\n", s->file, s->cur->node->line,
			s->cur->index, s->cur->op, msg);
	else
		fprintf(stderr, "%s: %s\n", s->file, msg);
}

/* A kernel report (bad_page(), VM_BUG_ON*(), print_bad_pte()) names the
 * step that caused it, which then fails (check_invariants()). */
static void scn_bad_page(void *ctx, const char *msg)
{
	struct scn *s = ctx;

	s->nr_reports++;
	scn_log_line(s, msg);
}

/* The kernel's log during a step (the OOM killer's report): in text mode
 * a stderr line naming the step, as bad_page() reports are, but not a
 * failure; with --json a message in the step's output, so that stderr
 * stays for the run's own failures. */
static void scn_console(void *ctx, const char *line)
{
	struct scn *s = ctx;

	if (s->json && s->cur) {
		json_object_begin(&s->jdoc);
		json_key_str(&s->jdoc, "message", line);
		json_object_end(&s->jdoc);
		return;
	}
	scn_log_line(s, line);
}

static int boot_machine(struct scn *s, const char *cli_config, const char *const *sets)
{
	const struct ynode *root = s->doc.root;
	const struct ynode *mach = ymap_get(root, "machine");
	const struct ynode *set = ymap_get(root, "set");
	char path[8192];
	const char *config = cli_config;
	struct vmsim_machine *m;
	int ret;

	if (mach) {
		if (mach->type != YNODE_SCALAR)
			return scn_bad(s, NULL, mach, "machine: a built-in name or a config path");
		config = mach->scalar;
		if (!config_is_builtin(config) && config[0] != '/') {
			snprintf(path, sizeof(path), "%s/%s", s->dir, config);
			config = path;
		}
		/* a name that is neither a built-in nor a file: say which it
		 * looked like, at the scenario's line */
		if (!config_is_builtin(config) && access(config, F_OK) != 0) {
			if (config_name_is_path(mach->scalar))
				return scn_bad(s, NULL, mach, "machine: no config file %s (%s); the "
					       "built-in machines are " CFG_BUILTINS, config,
					       strerror(errno));
			return scn_bad(s, NULL, mach, "machine: no built-in machine '%s' (built-ins: "
				       CFG_BUILTINS "; or a config file relative to the scenario)",
				       mach->scalar);
		}
	}
	if (set && set->type != YNODE_MAP)
		return scn_bad(s, NULL, set, "set: a mapping of config keys to values");
	m = host_zalloc(NULL, sizeof(*m));
	if (!m)
		return verr(s->err, -ENOMEM, "out of host memory");
	ret = machine_configure(&m->cfg, config, set, s->file, sets, s->err);
	if (!ret)
		ret = machine_boot(m, s->err);
	if (ret) {
		host_free(NULL, m, sizeof(*m));
		return ret;
	}
	s->m = m;
	m->pm.bad_page_hook = scn_bad_page;
	m->pm.bad_page_ctx = s;
	m->oom_killed_hook = scn_oom_killed;
	m->oom_killed_ctx = s;
	m->console_hook = scn_console;
	m->console_ctx = s;
	return 0;
}

/*
 * After a step: a kernel report it raised (printed as it came, by
 * scn_bad_page()) fails it.  With --check (@check), the invariants of what
 * the step changed, or of everything every N steps and after the last
 * step (@final); a violation fails the step too.
 */
static void check_invariants(struct scn *s, const struct ynode *node, int index, bool check,
			     bool final)
{
	struct vmsim_error e = { 0 };
	struct scn_step st = { .index = index, .node = node, .op = "invariants" };

	if (s->nr_reports) {
		scn_mismatch(s, &st, "no kernel BUG report", "%u report%s, the last: %s",
			     s->nr_reports, s->nr_reports > 1 ? "s" : "", s->m->pm.bad_page_msg);
		s->nr_reports = 0;
	}
	if (check && (final ? machine_check(s->m, &e) : machine_check_point(s->m, &e)))
		scn_mismatch(s, &st, "consistent state", "%s", e.msg);
}

/* --------------------------------------------------------------- entry */

/* JSON mode: open the document and the failures list once the machine is up. */
static void json_begin(struct scn *s)
{
	json_init(&s->jdoc, &s->jdoc_sb);
	json_object_begin(&s->jdoc);
	json_key_str(&s->jdoc, "scenario", s->file);
	json_key_str(&s->jdoc, "machine", s->m->cfg.name);
	json_key(&s->jdoc, "steps");
	json_array_begin(&s->jdoc);
	json_init(&s->jfail, &s->jfail_sb);
	json_array_begin(&s->jfail);
}

/* Close the document: the counts, then the failures gathered on the way. */
static int json_end(struct scn *s, const struct scenario_result *res)
{
	int ret;

	json_array_end(&s->jdoc);
	json_key(&s->jdoc, "steps_run");
	json_u64(&s->jdoc, res->steps_run);
	json_key(&s->jdoc, "expectations");
	json_object_begin(&s->jdoc);
	json_key_u64(&s->jdoc, "checked", s->checked);
	json_key_u64(&s->jdoc, "failed", s->failed);
	json_object_end(&s->jdoc);
	json_array_end(&s->jfail);
	ret = json_finish(&s->jfail);
	json_key(&s->jdoc, "failures");
	json_embed(&s->jdoc, &s->jfail);
	json_object_end(&s->jdoc);
	if (!ret)
		ret = json_finish(&s->jdoc);
	if (ret == -ENOMEM)
		return verr(s->err, ret, "out of host memory");
	if (ret)
		return verr(s->err, ret, "%s: the JSON report came out malformed", s->file);
	return 0;
}

/* Run the scenario of @file, read from @text when given. */
static int run_scenario(const char *file, const char *text, const struct scenario_opts *o,
			FILE *out, struct vmsim_error *err, struct scenario_result *res)
{
	struct scn s = { .file = file, .out = out, .json = o->json, .err = err,
			 .verbose = o->verbose, .host_oom_base = host_oom_count() };
	const bool json = o->json;
	const struct ynode *steps;
	struct scn_name *n, *ntmp;
	struct scn_alloc *a, *atmp;
	const char *slash;
	int ret;

	memset(res, 0, sizeof(*res));
	htab_init(&s.names, NULL);
	htab_init(&s.allocs, NULL);
	INIT_LIST_HEAD(&s.name_list);
	INIT_LIST_HEAD(&s.alloc_list);
	slash = text ? NULL : strrchr(file, '/');
	if (slash)
		snprintf(s.dir, sizeof(s.dir), "%.*s", (int)(slash - file), file);
	else
		snprintf(s.dir, sizeof(s.dir), ".");
	ret = text ? ydoc_load_string(&s.doc, file, text, strlen(text), err)
		   : ydoc_load_file(&s.doc, file, err);
	if (ret)
		return ret;
	if (!s.doc.root || s.doc.root->type != YNODE_MAP) {
		ret = verr_at(err, -EINVAL, file, s.doc.root ? s.doc.root->line : 1,
			      s.doc.root ? s.doc.root->col : 1,
			      "a scenario is a mapping with 'machine', 'set' and 'steps'");
		goto out;
	}
	for (size_t i = 0; i < s.doc.root->n; i++) {
		const struct ynode *k = ymap_key(s.doc.root, i);

		if (strcmp(k->scalar, "machine") && strcmp(k->scalar, "set") &&
		    strcmp(k->scalar, "steps") && strcmp(k->scalar, "description")) {
			ret = scn_bad(&s, NULL, k, "unknown key '%s' (machine, set, steps, description)",
				      k->scalar);
			goto out;
		}
	}
	steps = ymap_get(s.doc.root, "steps");
	if (!steps || steps->type != YNODE_SEQ) {
		ret = verr_at(err, -EINVAL, file, steps ? steps->line : s.doc.root->line,
			      steps ? steps->col : s.doc.root->col,
			      "'steps' must be a list of steps");
		goto out;
	}
	/* check every step's shape before running any */
	for (size_t i = 0; i < steps->n; i++) {
		struct scn_step st;
		const struct ynode *as;

		ret = step_parse(&s, steps->items[i], (int)i + 1, &st, &as);
		if (!ret)
			ret = step_validate(&s, &st, as);
		if (ret)
			goto out;
	}
	ret = boot_machine(&s, o->config, o->sets);
	if (ret)
		goto out;
	if (o->events)
		machine_set_event_log(s.m, o->events);
	if (json)
		json_begin(&s);
	if (o->check && machine_check_start(s.m, o->check_every)) {
		ret = out_of_host_memory(&s);
		goto out;
	}
	for (size_t i = 0; i < steps->n; i++) {
		ret = run_step(&s, steps->items[i], (int)i + 1);
		res->steps_run = (unsigned)i + (ret ? 0 : 1);
		if (ret)
			break;
		/* a kswapd point: woken during the step, it runs now */
		machine_kswapd_point(s.m);
		check_invariants(&s, steps->items[i], (int)i + 1, o->check, i + 1 == steps->n);
		if (host_oom(&s)) {
			ret = out_of_host_memory(&s);
			break;
		}
	}
	res->checked = s.checked;
	res->failed = s.failed;
	if (json && !ret) {
		ret = json_end(&s, res);
		if (!ret)
			fprintf(out, "%s\n", sb_str(&s.jdoc_sb));
	} else if (!ret) {
		fprintf(out, "%s: %u steps, %u expectations checked, %u failed\n", file,
			res->steps_run, s.checked, s.failed);
	}
out:
	if (s.m)
		vmsim_machine_destroy(s.m);
	list_for_each_entry_safe(n, ntmp, &s.name_list, list)
		host_free(NULL, n, sizeof(*n) + n->len + 1);
	list_for_each_entry_safe(a, atmp, &s.alloc_list, list)
		host_free(NULL, a, sizeof(*a));
	htab_destroy(&s.names);
	htab_destroy(&s.allocs);
	for (size_t i = 0; i < s.nr_lost; i++)
		host_free(NULL, s.lost[i].name, strlen(s.lost[i].name) + 1);
	host_free(NULL, s.lost, s.cap_lost * sizeof(*s.lost));
	sb_free(&s.jdoc_sb);
	sb_free(&s.jfail_sb);
	sb_free(&s.cur_text);
	ydoc_free(&s.doc);
	return ret;
}

int scenario_run(const char *file, const struct scenario_opts *o, FILE *out,
		 struct vmsim_error *err, struct scenario_result *res)
{
	return run_scenario(file, NULL, o, out, err, res);
}

int scenario_run_string(const char *name, const char *text, const struct scenario_opts *o,
			FILE *out, struct vmsim_error *err, struct scenario_result *res)
{
	return run_scenario(name, text, o, out, err, res);
}
