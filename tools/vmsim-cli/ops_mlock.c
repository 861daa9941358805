/*
 * Scenario ops of the memory-residency system calls (see scenario.h), with
 * the arguments named as the system calls name them:
 *   mlock      { task, addr, len }
 *   mlock2     { task, addr, len, flags }      flags: [onfault]
 *   munlock    { task, addr, len }
 *   mlockall   { task, flags }                 flags: [current, future, onfault]
 *   munlockall { task }
 *   mincore    { task, addr, length }          value: pages resident;
 *                                              expect: { vec: "1100" } or { vec: [1, 1, 0, 0] }
 *   msync      { task, addr, length, flags }   flags: [async | sync | invalidate]
 * Flags are names or plain numbers (`flags: 0x8`, `[onfault, 2]`), so that
 * a scenario can pass the bits the kernel refuses.  A failing call is the
 * outcome { error: ERRNO }.  Invariant: an op changes the machine only
 * through sys_mlock() and the other calls of src/vma/mm.h.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "scenario.h"
#include "util/errname.h"
#include "util/hostalloc.h"
#include "vma/mm.h"

/* The longest vector mincore may fill: 16 GiB of address space.  Beyond,
 * the call sees a vector that runs into unmapped memory (EFAULT). */
#define MINCORE_VEC_MAX (1UL << 22)

struct flag_name {
	const char *name;
	int flag;
};

/* @key as flag names from @names, or numbers; absent is 0. */
static int arg_flags(struct scn *s, struct scn_step *st, const char *key,
		     const struct flag_name *names, size_t n, int *out)
{
	const struct ynode *f = scn_arg(st, key);
	const struct ynode *const *items = &f;
	size_t count = 1;
	char list[128];
	size_t used = 0;

	*out = 0;
	if (!f)
		return 0;
	if (f->type == YNODE_SEQ) {
		items = (const struct ynode *const *)f->items;
		count = f->n;
	}
	list[0] = '\0';
	for (size_t j = 0; j < n; j++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", j ? ", " : "",
					 names[j].name);
	for (size_t i = 0; i < count; i++) {
		const struct ynode *it = items[i];
		uint64_t v;
		size_t j;

		if (it->type != YNODE_SCALAR)
			return scn_bad(s, st, it, "%s: names (%s) or numbers", key, list);
		for (j = 0; j < n && strcmp(it->scalar, names[j].name) != 0; j++)
			;
		if (j < n) {
			*out |= names[j].flag;
			continue;
		}
		if (!isdigit((unsigned char)it->scalar[0]) && it->scalar[0] != '$')
			return scn_bad(s, st, it, "%s: unknown flag '%s' (%s, or a number)", key,
				       it->scalar, list);
		if (scn_node_u64(s, st, it, &v))
			return -EINVAL;
		if (v > UINT32_MAX)
			return scn_bad(s, st, it, "%s: an int", key);
		*out |= (int)(uint32_t)v;
	}
	return 0;
}

static void set_errno(struct scn_step *st, int ret)
{
	st->out.kind = ret ? OUT_ERROR : OUT_NONE;
	st->out.err = ret;
}

/* task, addr and the length key every range call takes */
static int range_args(struct scn *s, struct scn_step *st, const char *len_key,
		      struct task_struct **t, uint64_t *addr, uint64_t *len)
{
	int ret;

	if ((ret = scn_arg_task(s, st, "task", true, t)) || (ret = scn_arg_u64(s, st, "addr", true, addr)) ||
	    (ret = scn_arg_u64(s, st, len_key, true, len)))
		return ret < 0 ? ret : -EINVAL;
	return 0;
}

static const char *const lock_keys[] = { "task", "addr", "len", NULL };
static const char *const lock2_keys[] = { "task", "addr", "len", "flags", NULL };

/* mlock, mlock2 and munlock: the op's name says which */
static int op_mlock(struct scn *s, struct scn_step *st)
{
	static const struct flag_name names[] = { { "onfault", MLOCK_ONFAULT } };
	struct task_struct *t;
	uint64_t addr, len;
	int flags, ret = range_args(s, st, "len", &t, &addr, &len);

	if (ret || (ret = arg_flags(s, st, "flags", names, 1, &flags)))
		return ret;
	if (strcmp(st->op, "munlock") == 0)
		ret = sys_munlock(t->mm, addr, len);
	else if (strcmp(st->op, "mlock2") == 0)
		ret = sys_mlock2(t->mm, addr, len, flags, &t->fst);
	else
		ret = sys_mlock(t->mm, addr, len, &t->fst);
	set_errno(st, ret);
	return 0;
}

static const char *const mlockall_keys[] = { "task", "flags", NULL };

static int op_mlockall(struct scn *s, struct scn_step *st)
{
	static const struct flag_name names[] = {
		{ "current", MCL_CURRENT }, { "future", MCL_FUTURE }, { "onfault", MCL_ONFAULT },
	};
	struct task_struct *t;
	int flags, ret;

	if ((ret = scn_arg_task(s, st, "task", true, &t)))
		return ret;
	if (!scn_arg(st, "flags"))
		return scn_bad(s, st, st->args, "missing argument 'flags' (e.g. [current, future])");
	if ((ret = arg_flags(s, st, "flags", names, 3, &flags)))
		return ret;
	set_errno(st, sys_mlockall(t->mm, flags, &t->fst));
	return 0;
}

static const char *const task_keys[] = { "task", NULL };

static int op_munlockall(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	int ret;

	if ((ret = scn_arg_task(s, st, "task", true, &t)))
		return ret;
	set_errno(st, sys_munlockall(t->mm));
	return 0;
}

/* ---- mincore and its vector ---- */

/* The vector an expect wants: "1100" (blanks and _ ignored) or [1, 1, 0, 0]. */
static int want_vec(struct scn *s, struct scn_step *st, const struct ynode *v, char **out,
		    size_t *n)
{
	size_t cap = v->type == YNODE_SEQ ? v->n : v->type == YNODE_SCALAR ? strlen(v->scalar) : 0;
	char *w = host_alloc(NULL, cap + 1);

	if (!w)
		return -ENOMEM;
	*n = 0;
	for (size_t i = 0; i < cap; i++) {
		const char *c = v->type == YNODE_SEQ ? (v->items[i]->type == YNODE_SCALAR ?
							 v->items[i]->scalar : "?") : &v->scalar[i];

		if (v->type == YNODE_SCALAR && (*c == ' ' || *c == '_'))
			continue;
		if ((*c != '0' && *c != '1') || (v->type == YNODE_SEQ && c[1])) {
			host_free(NULL, w, cap + 1);
			return scn_bad(s, st, v, "expect vec: a string of 0 and 1, one per page "
				       "(\"1100\"), or a list [1, 1, 0, 0]");
		}
		w[(*n)++] = *c;
	}
	w[*n] = '\0';
	*out = w;
	return 0;
}

/* Compare the vector (as '0'/'1' characters) with `expect: { vec: ... }`. */
static int expect_vec(struct scn *s, struct scn_step *st, const struct ynode *v,
		      const char *got, size_t ngot)
{
	char *want = NULL, shown[128];
	size_t nwant = 0, i;
	int ret = want_vec(s, st, v, &want, &nwant);

	if (ret)
		return ret;
	scn_checked(s);
	if (st->out.kind == OUT_ERROR) {
		snprintf(shown, sizeof(shown), "vec %.64s%s", want, nwant > 64 ? "..." : "");
		scn_mismatch(s, st, shown, "error %s", errno_name(st->out.err));
	} else {
		for (i = 0; i < nwant && i < ngot && want[i] == got[i]; i++)
			;
		if (i < nwant || i < ngot) {
			/* from a little before the first difference */
			size_t from = i > 8 ? i - 8 : 0;

			snprintf(shown, sizeof(shown), "vec %s%.64s%s (%zu pages)", from ? "..." : "",
				 want + (from < nwant ? from : nwant), nwant - from > 64 ? "..." : "",
				 nwant);
			scn_mismatch(s, st, shown, "vec %s%.64s%s (%zu pages), page %zu differs",
				     from ? "..." : "", got + (from < ngot ? from : ngot),
				     ngot > from + 64 ? "..." : "", ngot, i);
		}
	}
	host_free(NULL, want, nwant + 1);
	st->expect_done = true;
	return 0;
}

static const char *const mincore_keys[] = { "task", "addr", "length", NULL };

static int op_mincore(struct scn *s, struct scn_step *st)
{
	const struct ynode *e = st->expect;
	struct task_struct *t;
	uint64_t addr, len, pages;
	unsigned char *vec;
	size_t vec_len;
	char *text;
	int ret = range_args(s, st, "length", &t, &addr, &len);

	if (ret)
		return ret;
	pages = (len >> PAGE_SHIFT) + ((len & ~PAGE_MASK) != 0);
	vec_len = pages < MINCORE_VEC_MAX ? (size_t)pages : MINCORE_VEC_MAX;
	vec = host_zalloc(NULL, vec_len + 1);
	if (!vec)
		return -ENOMEM;
	ret = sys_mincore(t->mm, addr, len, vec, vec_len);
	if (ret) {
		set_errno(st, ret);
		ret = 0;
		vec_len = 0;
	} else {
		uint64_t resident = 0;

		for (size_t i = 0; i < vec_len; i++)
			resident += vec[i];
		scn_value(st, resident);
	}
	/* as text, for the expect and for reports */
	text = (char *)vec;
	for (size_t i = 0; i < vec_len; i++)
		text[i] = (char)('0' + (vec[i] & 1));
	text[vec_len] = '\0';
	if (e && e->type == YNODE_MAP && e->n == 1 && strcmp(ymap_key(e, 0)->scalar, "vec") == 0)
		ret = expect_vec(s, st, ymap_val(e, 0), text, vec_len);
	host_free(NULL, vec, (pages < MINCORE_VEC_MAX ? (size_t)pages : MINCORE_VEC_MAX) + 1);
	return ret;
}

static const char *const msync_keys[] = { "task", "addr", "length", "flags", NULL };

static int op_msync(struct scn *s, struct scn_step *st)
{
	static const struct flag_name names[] = {
		{ "async", MS_ASYNC }, { "invalidate", MS_INVALIDATE }, { "sync", MS_SYNC },
	};
	struct task_struct *t;
	uint64_t addr, len;
	int flags, ret = range_args(s, st, "length", &t, &addr, &len);

	if (ret || (ret = arg_flags(s, st, "flags", names, 3, &flags)))
		return ret;
	set_errno(st, sys_msync(t->mm, addr, len, flags));
	return 0;
}

const struct scn_op scn_ops_mlock[] = {
	{ "mlock", op_mlock, lock_keys },
	{ "mlock2", op_mlock, lock2_keys },
	{ "munlock", op_mlock, lock_keys },
	{ "mlockall", op_mlockall, mlockall_keys },
	{ "munlockall", op_munlockall, task_keys },
	{ "mincore", op_mincore, mincore_keys },
	{ "msync", op_msync, msync_keys },
	{ NULL, NULL, NULL },
};
