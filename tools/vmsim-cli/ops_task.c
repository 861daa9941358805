/*
 * Scenario ops of the address space (see scenario.h):
 *   spawn    { task, brk, stack, stack_rlimit }   value: the pid
 *   mmap     { task, addr, length, prot, flags, file, open, offset }  value: the address
 *            (open: the file's access mode, O_RDONLY, O_WRONLY or O_RDWR)
 *   munmap   { task, addr, length }
 *   mprotect { task, addr, length, prot }
 *   mremap   { task, old_address, old_size, new_size, flags, new_address }
 *            value: the new address
 *   brk      { task, addr }       addr absolute, or +N / -N from the current
 *                                 break; value: the break brk() returns
 * and the task part of `expect`: { task, rss, vm, maps, ... counters },
 * with the machine-wide tasks, mlocked and CPU 0's TLB counters.
 * System-call failures are outcomes (OUT_ERROR with the kernel's errno);
 * bad scenario text is scn_bad().  Invariant: an op changes the machine
 * only through the process layer's calls (vm_mmap_fmode, do_munmap, do_mprotect,
 * do_mremap, sys_brk, task_spawn), so the checker's view after a step is the kernel's.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "kern/views.h"
#include "kern/vmstat.h"
#include "mmu/mmu.h"
#include "scenario.h"
#include "util/err.h"
#include "util/strbuf.h"
#include "vma/filemap.h"
#include "vma/mm.h"

/* The task named by the step's `task` argument (required). */
static int arg_task(struct scn *s, struct scn_step *st, const char *key, struct task_struct **t)
{
	return scn_arg_task(s, st, key, true, t);
}

/* prot written like the maps column: "rw-", "r-x", "---" (or "none"). */
static int arg_prot(struct scn *s, struct scn_step *st, unsigned long *prot)
{
	const char *p;
	int ret = scn_arg_str(s, st, "prot", true, &p);

	if (ret)
		return ret < 0 ? ret : -EINVAL;
	*prot = 0;
	if (strcmp(p, "none") == 0)
		return 0;
	if (strlen(p) != 3 || (p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') ||
	    (p[2] != 'x' && p[2] != '-'))
		return scn_bad(s, st, scn_arg(st, "prot"),
			       "prot '%s': three characters like the maps column (rw-, r-x, ---)", p);
	*prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
		(p[2] == 'x' ? PROT_EXEC : 0);
	return 0;
}

struct flag_name {
	const char *name;
	unsigned long flag;
};

static const struct flag_name map_flags[] = {
	{ "shared", MAP_SHARED }, { "private", MAP_PRIVATE },
	{ "shared_validate", MAP_SHARED_VALIDATE }, { "anonymous", MAP_ANONYMOUS },
	{ "fixed", MAP_FIXED }, { "fixed_noreplace", MAP_FIXED_NOREPLACE },
	{ "populate", MAP_POPULATE }, { "growsdown", MAP_GROWSDOWN },
	{ "noreserve", MAP_NORESERVE }, { "locked", MAP_LOCKED }, { "stack", MAP_STACK },
	{ "nonblock", MAP_NONBLOCK }, { "32bit", MAP_32BIT }, { NULL, 0 },
};

static const struct flag_name mremap_flags[] = {
	{ "maymove", MREMAP_MAYMOVE }, { "fixed", MREMAP_FIXED },
	{ "dontunmap", MREMAP_DONTUNMAP }, { NULL, 0 },
};

/* The `flags` argument: one name, or a list of names from @names (the
 * system call's flags in lower case without their prefix); @hint lists
 * them for the error message.  @required: the key must be there. */
static int arg_flags(struct scn *s, struct scn_step *st, const struct flag_name *names,
		     bool required, const char *hint, unsigned long *flags)
{
	const struct ynode *n = scn_arg(st, "flags");
	size_t count;

	*flags = 0;
	if (!n) {
		if (!required)
			return 0;
		return scn_bad(s, st, st->args, "missing argument 'flags' (e.g. %s)", hint);
	}
	if (n->type != YNODE_SEQ && n->type != YNODE_SCALAR)
		return scn_bad(s, st, n, "flags: a list like %s", hint);
	count = n->type == YNODE_SEQ ? n->n : 1;
	for (size_t i = 0; i < count; i++) {
		const struct ynode *f = n->type == YNODE_SEQ ? n->items[i] : n;
		const struct flag_name *j;

		for (j = names; j->name; j++)
			if (f->type == YNODE_SCALAR && strcmp(f->scalar, j->name) == 0)
				break;
		if (!j->name)
			return scn_bad(s, st, f, "unknown flag '%s' (one of %s)",
				       f->type == YNODE_SCALAR ? f->scalar : "?", hint);
		*flags |= j->flag;
	}
	return 0;
}

static int arg_map_flags(struct scn *s, struct scn_step *st, unsigned long *flags)
{
	return arg_flags(s, st, map_flags, true,
			 "[private, anonymous]: private, shared, shared_validate, anonymous, fixed, "
			 "fixed_noreplace, populate, growsdown, noreserve, locked, stack, nonblock",
			 flags);
}

/* An address or an errno in one value (IS_ERR_VALUE), or a pid. */
static void set_result(struct scn_step *st, int64_t r)
{
	if (IS_ERR_VALUE(r)) {
		st->out.kind = OUT_ERROR;
		st->out.err = (int)r;
	} else {
		st->out.kind = OUT_VALUE;
		st->out.value = (uint64_t)r;
	}
}

static const char *const spawn_keys[] = { "task", "brk", "stack", "stack_rlimit", NULL };

static int op_spawn(struct scn *s, struct scn_step *st)
{
	struct spawn_args a = { 0 };
	struct task_struct *t;
	const char *name;
	int ret;

	if ((ret = scn_arg_str(s, st, "task", true, &name)) ||
	    (ret = scn_arg_u64(s, st, "brk", false, &a.start_brk)) < 0 ||
	    (ret = scn_arg_u64(s, st, "stack", false, &a.stack_size)) < 0 ||
	    (ret = scn_arg_u64(s, st, "stack_rlimit", false, &a.stack_rlimit)) < 0)
		return ret < 0 ? ret : -EINVAL;
	if (task_find(scn_machine(s), name))
		return scn_bad(s, st, scn_arg(st, "task"), "task '%s' exists already", name);
	ret = task_spawn(scn_machine(s), name, &a, &t);
	if (ret == -EINVAL)
		return scn_bad(s, st, st->args, "spawn: a task name up to 47 characters, and a stack "
			       "within the stack rlimit");
	set_result(st, ret ? ret : t->pid);
	if (ret)
		scn_note_lost(s, st, SCN_TASK, name);	/* later steps naming it are not run */
	return 0;
}

static const char *const mmap_keys[] = { "task", "addr", "length", "prot", "flags", "file",
					 "open", "offset", NULL };

/* The access mode of the descriptor a file is mapped through, as the
 * program opened it; without 'open' O_RDWR. */
static int arg_open_mode(struct scn *s, struct scn_step *st, fmode_t *mode)
{
	static const char *const names[] = { "O_RDONLY", "O_WRONLY", "O_RDWR" };
	const char *v = NULL;
	int ret = scn_arg_str(s, st, "open", false, &v);

	*mode = OPEN_FMODE(2);
	if (ret)
		return ret < 0 ? ret : 0;
	if (!scn_arg(st, "file"))
		return scn_bad(s, st, scn_arg(st, "open"), "'open' is the access mode of a file: "
			       "it needs 'file'");
	for (int i = 0; i < 3; i++)
		if (!strcmp(v, names[i])) {
			*mode = OPEN_FMODE(i);
			return 0;
		}
	return scn_bad(s, st, scn_arg(st, "open"), "open: O_RDONLY, O_WRONLY or O_RDWR, not '%s'",
		       v);
}

static int op_mmap(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	uint64_t addr = 0, len, off = 0;
	unsigned long prot, flags;
	struct file *file = NULL;
	fmode_t mode;
	int ret;

	if ((ret = arg_task(s, st, "task", &t)) ||
	    (ret = scn_arg_u64(s, st, "addr", false, &addr)) < 0 ||
	    (ret = scn_arg_u64(s, st, "length", true, &len)) ||
	    (ret = arg_prot(s, st, &prot)) || (ret = arg_map_flags(s, st, &flags)) ||
	    (ret = scn_arg_u64(s, st, "offset", false, &off)) < 0 ||
	    (ret = arg_open_mode(s, st, &mode)))
		return ret < 0 ? ret : -EINVAL;
	if (scn_arg(st, "file")) {
		if (flags & MAP_ANONYMOUS)
			return scn_bad(s, st, scn_arg(st, "flags"), "a file mapping is not 'anonymous'");
		/* a scenario-declared file or a host path (the page cache's) */
		if ((ret = scn_file(s, st, "file", &file)))
			return ret;
	} else if (!(flags & MAP_ANONYMOUS)) {
		return scn_bad(s, st, scn_arg(st, "flags"), "without 'file' the mapping must be "
			       "anonymous (add 'anonymous' to flags)");
	}
	set_result(st, vm_mmap_fmode(t->mm, file, mode, addr, len, prot, flags, off));
	if (file)
		fput(file);	/* the VMA holds its own reference */
	return 0;
}

static const char *const range_keys[] = { "task", "addr", "length", NULL };

static int op_munmap(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	uint64_t addr, len;
	int ret;

	if ((ret = arg_task(s, st, "task", &t)) || (ret = scn_arg_u64(s, st, "addr", true, &addr)) ||
	    (ret = scn_arg_u64(s, st, "length", true, &len)))
		return ret < 0 ? ret : -EINVAL;
	ret = do_munmap(t->mm, addr, len);
	st->out.kind = ret ? OUT_ERROR : OUT_NONE;
	st->out.err = ret;
	return 0;
}

static const char *const mprotect_keys[] = { "task", "addr", "length", "prot", NULL };

static int op_mprotect(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	uint64_t addr, len;
	unsigned long prot;
	int ret;

	if ((ret = arg_task(s, st, "task", &t)) || (ret = scn_arg_u64(s, st, "addr", true, &addr)) ||
	    (ret = scn_arg_u64(s, st, "length", true, &len)) || (ret = arg_prot(s, st, &prot)))
		return ret < 0 ? ret : -EINVAL;
	ret = do_mprotect(t->mm, addr, len, prot);
	st->out.kind = ret ? OUT_ERROR : OUT_NONE;
	st->out.err = ret;
	return 0;
}

/* mremap(2) with the system call's argument names; flags maymove, fixed,
 * dontunmap (none: resize in place only). */
static const char *const mremap_keys[] = { "task", "old_address", "old_size", "new_size",
					   "flags", "new_address", NULL };

static int op_mremap(struct scn *s, struct scn_step *st)
{
	struct task_struct *t;
	uint64_t old_addr, old_size, new_size, new_addr = 0;
	unsigned long flags;
	int ret;

	if ((ret = arg_task(s, st, "task", &t)) ||
	    (ret = scn_arg_u64(s, st, "old_address", true, &old_addr)) ||
	    (ret = scn_arg_u64(s, st, "old_size", true, &old_size)) ||
	    (ret = scn_arg_u64(s, st, "new_size", true, &new_size)) ||
	    (ret = scn_arg_u64(s, st, "new_address", false, &new_addr)) < 0 ||
	    (ret = arg_flags(s, st, mremap_flags, false, "[maymove, fixed, dontunmap]", &flags)))
		return ret < 0 ? ret : -EINVAL;
	set_result(st, do_mremap(t->mm, old_addr, old_size, new_size, flags, new_addr));
	return 0;
}

static const char *const brk_keys[] = { "task", "addr", NULL };

static int op_brk(struct scn *s, struct scn_step *st)
{
	const struct ynode *n = scn_arg(st, "addr");
	struct task_struct *t;
	uint64_t want = 0;
	int ret;

	if ((ret = arg_task(s, st, "task", &t)))
		return ret;
	if (n && n->type == YNODE_SCALAR && (n->scalar[0] == '+' || n->scalar[0] == '-')) {
		/* relative to the current break, like sbrk(N); a break that
		 * would wrap is a mistake in the scenario, not an address */
		struct ynode rel = *n;
		uint64_t d, brk = t->mm->brk;

		rel.scalar = n->scalar + 1;
		if ((ret = scn_node_u64(s, st, &rel, &d)))
			return ret;
		if (n->scalar[0] == '+' ? brk + d < brk : d > brk)
			return scn_bad(s, st, n, "brk %s: the break 0x%llx %c 0x%llx %s", n->scalar,
				       (unsigned long long)brk, n->scalar[0], (unsigned long long)d,
				       n->scalar[0] == '+' ? "wraps past 2^64" : "is below 0");
		want = n->scalar[0] == '+' ? brk + d : brk - d;
	} else if (n && (ret = scn_node_u64(s, st, n, &want))) {
		return ret;
	}
	st->out.kind = OUT_VALUE;
	st->out.value = sys_brk(t->mm, want);
	return 0;
}

const struct scn_op scn_ops_task[] = {
	{ "spawn", op_spawn, spawn_keys },
	{ "mmap", op_mmap, mmap_keys },
	{ "munmap", op_munmap, range_keys },
	{ "mprotect", op_mprotect, mprotect_keys },
	{ "mremap", op_mremap, mremap_keys },
	{ "brk", op_brk, brk_keys },
	{ NULL, NULL, NULL },
};

/* ---- expect ---- */

/* Keys of the `expect` op about a task: pages unless the name says kB. */
static const char *const task_expect_keys[] = {
	"task", "rss", "vm", "maps", "anon", "shmem", "data_vm", "stack_vm", "exec_vm",
	"locked_vm", "map_count", "brk", "start_brk", "faults", "cow", "cow_reuse", "zero_page",
	"demand_zero", "stack_grow", "segv", "sigbus", "mm_users", "hiwater_rss", "hiwater_vm", "tasks",
	"mlocked", "l1d_hits", "l1d_misses", "l2_hits", "l2_misses", "walks", "swap", "major_faults",
	"thp_fault_alloc", "thp_fault_fallback", "thp_fault_fallback_charge", "thp_split_pmd",
	"thp_zero_page_alloc",
	"nr_anon_transparent_hugepages", NULL
};

static void expect_u64(struct scn *s, struct scn_step *st, const char *what, uint64_t want,
		       uint64_t got)
{
	char w[96];

	scn_checked(s);
	if (want != got) {
		snprintf(w, sizeof(w), "%s %" PRIu64 " (0x%" PRIx64 ")", what, want, want);
		scn_mismatch(s, st, w, "%" PRIu64 " (0x%" PRIx64 ")", got, got);
	}
}

/* @in with runs of blanks made one and trailing blanks dropped, so that a
 * line may be written without the name column's padding. */
static void squeeze(const char *in, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < cap; i++) {
		if (in[i] == ' ' && (o == 0 || out[o - 1] == ' '))
			continue;
		out[o++] = in[i];
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* Compare the maps view of task @name line by line (blank runs ignored). */
static int expect_maps(struct scn *s, struct scn_step *st, const char *name,
		       const struct ynode *want)
{
	struct view_args a = { .task = name };
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	size_t i = 0;
	char got[256];
	bool gate = false;

	if (want->type != YNODE_SEQ)
		return scn_bad(s, st, want, "maps: a list of /proc/PID/maps lines");
	for (size_t k = 0; k < want->n; k++) {
		if (want->items[k]->type != YNODE_SCALAR)
			return scn_bad(s, st, want->items[k], "maps: each line is a string");
		if (strstr(want->items[k]->scalar, "[vsyscall]"))
			gate = true;
	}
	scn_checked(s);
	view_render(scn_machine(s), "maps", &a, false, &sb);
	if (sb.oom) {
		sb_free(&sb);
		return -ENOMEM;
	}
	p = sb_str(&sb);
	for (;; i++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *w = i < want->n ? want->items[i]->scalar : NULL;
		char wq[256];

		/* the [vsyscall] line every 64-bit task ends with is compared
		 * only when the expectation lists it */
		if (!gate && !w && *p && strstr(p, "[vsyscall]") &&
		    (!nl || nl[1] == '\0'))
			break;
		if (!*p && !w)
			break;
		squeeze(p, len, got, sizeof(got));
		if (w)
			squeeze(w, strlen(w), wq, sizeof(wq));
		if (!w || !*p || strcmp(got, wq) != 0) {
			scn_mismatch(s, st, w ? w : "(no more lines)", "maps line %zu: %s", i + 1,
				     *p ? got : "(no more lines)");
			break;
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	sb_free(&sb);
	return 0;
}

static int expect_task(struct scn *s, struct scn_step *st)
{
	static const struct { const char *key; int kind; } nums[] = {
		{ "rss", 0 }, { "vm", 1 }, { "anon", 2 }, { "shmem", 3 }, { "data_vm", 4 },
		{ "stack_vm", 5 }, { "exec_vm", 6 }, { "locked_vm", 7 }, { "map_count", 8 },
		{ "brk", 9 }, { "start_brk", 10 }, { "faults", 11 }, { "cow", 12 },
		{ "cow_reuse", 13 }, { "zero_page", 14 }, { "demand_zero", 15 },
		{ "stack_grow", 16 }, { "segv", 17 }, { "mm_users", 18 }, { "hiwater_rss", 19 },
		{ "hiwater_vm", 20 }, { "sigbus", 21 }, { "swap", 22 }, { "major_faults", 23 },
	};
	struct task_struct *t;
	const struct ynode *n;
	uint64_t want;
	int ret;

	if (scn_arg(st, "tasks")) {
		if ((ret = scn_arg_u64(s, st, "tasks", true, &want)))
			return ret;
		expect_u64(s, st, "tasks", want, scn_machine(s)->nr_threads);
	}
	if (scn_arg(st, "mlocked")) {
		/* the machine's PG_mlocked pages (NR_MLOCK) */
		if ((ret = scn_arg_u64(s, st, "mlocked", true, &want)))
			return ret;
		expect_u64(s, st, "mlocked", want, global_zone_page_state(&scn_machine(s)->pm, NR_MLOCK));
	}
	{
		/* CPU 0's TLB counters, for experiments on what the tasks do */
		static const char *const tk[] = { "l1d_hits", "l1d_misses", "l2_hits", "l2_misses",
						  "walks" };
		struct vmsim_cpu *cpu = &scn_machine(s)->cpus[0];
		struct tlb_stats l1, l2;

		tlb_get_stats(cpu, TLB_D, &l1);
		tlb_get_stats(cpu, 2, &l2);
		const uint64_t tv[] = { l1.hits, l1.misses, l2.hits, l2.misses, cpu->st.walks };
		for (size_t i = 0; i < 5; i++) {
			if (!scn_arg(st, tk[i]))
				continue;
			if ((ret = scn_arg_u64(s, st, tk[i], true, &want)))
				return ret;
			expect_u64(s, st, tk[i], want, tv[i]);
		}
	}
	{
		/* the machine's huge-page events (/proc/vmstat names) */
		const struct vmsim_machine *hm = scn_machine(s);
		const unsigned long *ev = hm->pm.vmstat.event;
		static const char *const hk[] = { "thp_fault_alloc", "thp_fault_fallback",
						  "thp_fault_fallback_charge", "thp_split_pmd",
						  "thp_zero_page_alloc",
						  "nr_anon_transparent_hugepages" };
		const uint64_t hv[] = {
			ev[THP_FAULT_ALLOC], ev[THP_FAULT_FALLBACK], ev[THP_FAULT_FALLBACK_CHARGE],
			ev[THP_SPLIT_PMD], ev[THP_ZERO_PAGE_ALLOC],
			node_page_state_output(hm, NR_ANON_THPS,
					       global_node_page_state(&hm->pm, NR_ANON_THPS)),
		};

		for (size_t i = 0; i < sizeof(hk) / sizeof(hk[0]); i++) {
			if (!scn_arg(st, hk[i]))
				continue;
			if ((ret = scn_arg_u64(s, st, hk[i], true, &want)))
				return ret;
			expect_u64(s, st, hk[i], want, hv[i]);
		}
	}
	if (!scn_arg(st, "task"))
		return 0;
	if ((ret = arg_task(s, st, "task", &t)))
		return ret;
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		struct mm_struct *mm = t->mm;
		uint64_t got = 0;

		if (!scn_arg(st, nums[i].key))
			continue;
		if ((ret = scn_arg_u64(s, st, nums[i].key, true, &want)))
			return ret;
		switch (nums[i].kind) {
		case 0: got = get_mm_rss(mm); break;
		case 1: got = mm->total_vm; break;
		case 2: got = get_mm_counter(mm, MM_ANONPAGES); break;
		case 3: got = get_mm_counter(mm, MM_SHMEMPAGES); break;
		case 4: got = mm->data_vm; break;
		case 5: got = mm->stack_vm; break;
		case 6: got = mm->exec_vm; break;
		case 7: got = mm->locked_vm; break;
		case 8: got = (uint64_t)mm->map_count; break;
		case 9: got = mm->brk; break;
		case 10: got = mm->start_brk; break;
		case 11: got = t->fst.min_flt; break;
		case 12: got = t->fst.cow; break;
		case 13: got = t->fst.cow_reuse; break;
		case 14: got = t->fst.zero_page; break;
		case 15: got = t->fst.demand_zero; break;
		case 16: got = t->fst.stack_grow; break;
		case 17: got = t->fst.segv; break;
		case 18: got = (uint64_t)mm->mm_users; break;
		case 19: got = mm->hiwater_rss > get_mm_rss(mm) ? mm->hiwater_rss : get_mm_rss(mm); break;
		case 20: got = mm->hiwater_vm > mm->total_vm ? mm->hiwater_vm : mm->total_vm; break;
		case 21: got = t->fst.sigbus; break;
		case 22: got = get_mm_counter(mm, MM_SWAPENTS); break;
		case 23: got = t->fst.maj_flt; break;
		}
		expect_u64(s, st, nums[i].key, want, got);
	}
	if ((n = scn_arg(st, "maps"))) {
		const char *name;

		scn_arg_str(s, st, "task", true, &name);
		return expect_maps(s, st, name, n);
	}
	return 0;
}

const struct scn_expect_part scn_expect_task = { task_expect_keys, expect_task };
