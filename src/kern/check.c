/*
 * The machine's consistency checkers, whole and incremental (--check).
 *
 * machine_check() runs every layer's checker over everything: the buddy
 * lists against mem_map (phys/check.c), the slabs (phys/slab.c), the
 * kernel half of every root (kpgtable.c), the vmalloc and pkmap state
 * (vmalloc.c, highmem.c),
 * every mm and every mapped frame's counts (vma/check.c), the page cache
 * (vma/filemap.c), the LRU lists of every lruvec (vma/check.c), the swap
 * areas and the swap cache (vma/swapfile.c), every page's memory cgroup
 * charge against the cgroups' counters and statistics (cgroup.c) and
 * every CPU's TLB (mmu/tlb_check.c).  Its cost grows with RAM and with the
 * tasks.
 *
 * machine_check_point() is what --check runs after each step: the same
 * rules, restricted to what the step changed.  Each layer keeps its own
 * dirty set, marked where it mutates: max-order blocks (alloc, free, slab
 * objects, kernel writes), mms (VMA tree, counters, PTEs, users), files of
 * the page cache, the kernel address space.  The cgroups' counters are
 * checked against each other at every point (a cost in cgroups and swap
 * slots); their recount from the pages is left to the full pass.  What a
 * restricted pass cannot see (a free list's length against nr_free, a change made through
 * a path that marks nothing) the full pass sees: it runs every @every
 * points, when a layer lost a mark, after a failed point, and whenever the
 * caller asks (machine_check() at the end of a run).
 *
 * Invariant: after machine_check_point() or machine_check() returns, no
 * mark is pending: the next point covers exactly what changed after it.
 */
#include "kern/machine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kern/cgroup.h"
#include "kern/kpgtable.h"
#include "kern/task.h"
#include "kern/vmalloc.h"
#include "kern/highmem.h"
#include "mmu/mmu.h"
#include "phys/slab.h"
#include "util/error.h"
#include "vma/filemap.h"
#include "vma/memcontrol.h"
#include "vma/mm.h"
#include "vma/swap.h"
#include "vma/swapfile.h"

struct machine_checker {
	unsigned every;			/* a full pass every @every points (0: never) */
	unsigned since_full;		/* points since the last full pass */
	bool kspace_dirty;		/* vmalloc, pkmap or kernel PTEs changed */
	bool force_full;		/* the next point is a full pass */
	uint64_t khalf_sig;		/* init_mm's kernel-half root entries */
	uint64_t tlb_sig[CFG_MAX_CPUS];	/* tlb_sig() of each CPU at the last check */
	unsigned long nr_full, nr_incremental;
};

void kspace_mark_dirty(struct vmsim_machine *m)
{
	if (m->checker)
		m->checker->kspace_dirty = true;
}

/* The kernel address space: the kernel half of every root, vmalloc's
 * areas and PTEs, the pkmap and the kmap_local stacks. */
static int kspace_check(struct vmsim_machine *m, struct vmsim_error *err)
{
	int ret = kernel_pgd_check(m, err);

	if (!ret)
		ret = vmalloc_check(m, err);
	if (!ret)
		ret = highmem_check(m, err);
	return ret;
}

/* The root entries of init_mm's kernel half, digested: when they change,
 * every root's copy must have followed. */
static uint64_t khalf_sig(struct vmsim_machine *m)
{
	const struct pt_ctx *pt = &m->pt;
	unsigned n = pt_ptrs_per_table(pt->fmt, 0), esz = pt->fmt->entry_size;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (unsigned j = pt->kernel_pgd_boundary; j < n; j++)
		h = (h ^ pt_read(pt, m->vm.kernel_pgd + (uint64_t)j * esz)) * 0x100000001b3ULL;
	return h;
}

/* The zero page must hold zeroes: every reader of an untouched anonymous
 * page reads it. */
static int check_zero_page(struct vmsim_machine *m, struct vmsim_error *err)
{
	const uint8_t *z;

	if (!m->vm.zero_page)
		return 0;
	z = phys_to_host(&m->pm, page_to_phys(&m->pm, m->vm.zero_page));
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		if (z[i])
			return verr(err, -EFAULT, "mm: the zero page holds a non-zero byte at %u", i);
	return 0;
}

/* The huge zero page holds zeroes: looked at when its max-order block is
 * marked, as only a write that marks it (a kernel write) can reach it --
 * user mappings of it are read-only, which check_mm() verifies. */
static int check_huge_zero_marked(struct vmsim_machine *m, struct vmsim_error *err)
{
	const unsigned long *blocks;
	unsigned long block;
	size_t n;
	bool lost;

	if (!m->vm.thp.huge_zero_folio)
		return 0;
	n = phys_tracked_blocks(&m->pm, &blocks, &lost);
	block = page_to_pfn(&m->pm, m->vm.thp.huge_zero_folio) >> m->pm.max_order;
	for (size_t i = 0; i < n; i++)
		if (blocks[i] == block)
			return check_huge_zero_contents(&m->vm, err);
	return 0;
}

/* A digest of what moves whenever a CPU's TLB changes or what tlb_check()
 * compares it with does: the LRU clocks (a hit or a fill), the fill,
 * eviction and flush counters, CR3 and the control bits. */
static uint64_t tlb_sig(const struct vmsim_cpu *cpu)
{
	const struct tlb_stats *st[TLB_NR_KINDS + 1];
	uint64_t h = 0xcbf29ce484222325ULL;

#define MIX(x) (h = (h ^ (uint64_t)(x)) * 0x100000001b3ULL)
	for (unsigned k = 0; k < TLB_NR_KINDS; k++) {
		MIX(cpu->tick[k]);
		st[k] = &cpu->st_l1[k];
	}
	st[TLB_NR_KINDS] = &cpu->st_l2;
	for (unsigned k = 0; k <= TLB_NR_KINDS; k++) {
		MIX(st[k]->hits);
		MIX(st[k]->misses);
		MIX(st[k]->fills);
		MIX(st[k]->evictions);
		MIX(st[k]->flushes);
		MIX(st[k]->invlpg);
	}
	MIX(cpu->tick_l2);
	MIX(cpu->st.walks);
	MIX(cpu->st.cr3_loads);
	MIX(cpu->cr3);
	MIX(cpu->pcid);
	MIX(cpu->pcid_enabled | cpu->wp << 1 | cpu->nxe << 2 | cpu->pse << 3 | cpu->smep << 4 |
	    cpu->smap << 5);
#undef MIX
	return h;
}

/* Every CPU's TLB; with @changed_only, those whose tlb_sig() moved since
 * the last check. */
static int check_tlbs(struct vmsim_machine *m, bool changed_only, struct vmsim_error *err)
{
	struct machine_checker *c = m->checker;
	char msg[200];

	for (unsigned i = 0; i < m->nr_cpus; i++) {
		uint64_t sig = tlb_sig(&m->cpus[i]);

		if (changed_only && c && c->tlb_sig[i] == sig)
			continue;
		if (tlb_check(&m->cpus[i], msg, sizeof(msg)))
			return verr(err, -EFAULT, "cpu %u TLB: %s", i, msg);
		if (c)
			c->tlb_sig[i] = sig;
		/* a CPU running a task has its mm loaded, not lazily */
		if (m->current[i] && (m->vm.cpu_tlbstate[i].loaded_mm != m->current[i]->mm ||
				      m->vm.cpu_tlbstate[i].is_lazy))
			return verr(err, -EFAULT, "cpu %u runs a task whose mm it has not loaded", i);
	}
	/* mm_cpumask and cpu_tlbstate (cheap: CPUs plus mms) */
	if (cpu_tlbstate_check(&m->vm, msg, sizeof(msg)))
		return verr(err, -EFAULT, "TLB shootdown state: %s", msg);
	return 0;
}

int task_check_all(struct vmsim_machine *m, struct vmsim_error *err)
{
	size_t n = m->nr_threads ? m->nr_threads : 1, nr_mm = 0;
	struct mm_struct **mms;
	int *users, ret;

	if (!m->tasks.next)
		return 0;
	if ((ret = check_zero_page(m, err)))
		return ret;
	mms = host_alloc(&m->ha, n * sizeof(*mms));
	users = host_alloc(&m->ha, n * sizeof(*users));
	if (!mms || !users)
		ret = verr(err, -ENOMEM, "out of host memory");
	if (!ret)
		ret = check_task_index(m, mms, users, &nr_mm, err);
	if (!ret)
		ret = check_mms(&m->vm, mms, users, nr_mm, err);
	host_free(&m->ha, mms, n * sizeof(*mms));
	host_free(&m->ha, users, n * sizeof(*users));
	return ret;
}

int machine_check(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct machine_checker *c = m->checker;
	int ret = check_free_lists(&m->pm, err);

	if (!ret)
		ret = check_slab_caches(&m->pm, err);
	if (!ret)
		ret = kspace_check(m, err);
	if (!ret)
		ret = task_check_all(m, err);
	if (!ret)
		ret = page_cache_check(m->vm.page_cache, err);
	if (!ret)
		ret = lru_check(&m->vm, err);
	if (!ret)
		ret = cgroup_check(m, err);
	if (!ret)
		ret = swap_check(&m->vm, err);
	if (!ret)
		ret = check_tlbs(m, false, err);
	if (c) {
		/* everything was looked at: the marks start over */
		phys_track_clear(&m->pm);
		c->kspace_dirty = false;
		c->khalf_sig = khalf_sig(m);
		c->since_full = 0;
		c->force_full = ret != 0;
		c->nr_full++;
	}
	return ret;
}

int machine_check_start(struct vmsim_machine *m, unsigned every)
{
	struct machine_checker *c;

	if (m->checker) {
		m->checker->every = every;
		return 0;
	}
	c = host_zalloc(&m->ha, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (phys_track_start(&m->pm) || mm_track_start(&m->vm)) {
		phys_track_stop(&m->pm);
		host_free(&m->ha, c, sizeof(*c));
		return -ENOMEM;
	}
	c->every = every;
	c->force_full = true;	/* nothing is recorded yet */
	m->checker = c;
	return 0;
}

void machine_check_stop(struct vmsim_machine *m)
{
	if (!m->checker)
		return;
	mm_track_stop(&m->vm);
	phys_track_stop(&m->pm);
	host_free(&m->ha, m->checker, sizeof(*m->checker));
	m->checker = NULL;
}

bool machine_checking(const struct vmsim_machine *m)
{
	return m->checker != NULL;
}

void machine_check_counts(const struct vmsim_machine *m, unsigned long *full,
			  unsigned long *incremental)
{
	*full = m->checker ? m->checker->nr_full : 0;
	*incremental = m->checker ? m->checker->nr_incremental : 0;
}

/* The incremental pass: each layer's checker over its own marks. */
static int check_marked(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct machine_checker *c = m->checker;
	struct task_struct *t;
	uint64_t sig;
	int ret;

	if ((ret = check_free_lists_tracked(&m->pm, err)) ||
	    (ret = check_slab_tracked(&m->pm, err)) || (ret = check_huge_zero_marked(m, err)))
		return ret;
	phys_track_clear(&m->pm);
	/* a new kernel-half root entry must have reached every root */
	sig = khalf_sig(m);
	if (sig != c->khalf_sig) {
		if ((ret = kspace_check(m, err)))
			return ret;
		c->khalf_sig = sig;
		c->kspace_dirty = false;
	} else if (c->kspace_dirty) {
		if ((ret = vmalloc_check(m, err)) || (ret = highmem_check(m, err)))
			return ret;
		c->kspace_dirty = false;
	}
	if ((ret = check_zero_page(m, err)))
		return ret;
	if (m->tasks.next)
		list_for_each_entry(t, &m->tasks, tasks)
			mm_track_note_user(t->mm);
	if ((ret = check_mms_tracked(&m->vm, err)) ||
	    (ret = page_cache_check_dirty(m->vm.page_cache, err)) ||
	    (ret = mem_cgroup_check(&m->vm, err)))
		return ret;
	return check_tlbs(m, true, err);
}

int machine_check_point(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct machine_checker *c = m->checker;
	const unsigned long *blocks;
	bool lost;
	int ret;

	if (!c)
		return 0;
	phys_tracked_blocks(&m->pm, &blocks, &lost);
	if (c->force_full || lost || mm_track_lost(&m->vm) ||
	    (c->every && ++c->since_full >= c->every))
		return machine_check(m, err);
	ret = check_marked(m, err);
	c->nr_incremental++;
	if (ret) {
		/* marks may be left half consumed: start over from a full pass */
		phys_track_clear(&m->pm);
		c->force_full = true;
	}
	return ret;
}
