/*
 * Trace replay engine (see replay.h).  The hit path is replay_touch() in
 * the header; everything here is the rare path: page faults, creating flat
 * regions, counting.  Invariant: rp->page_touches counts every translation
 * the replay asked for, so hits + misses of the L1s add up to it.
 */
#include "kern/replay.h"

#include <errno.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "util/err.h"
#include "util/hostalloc.h"
#include "vma/mm.h"


void replay_init(struct replay *rp, struct vmsim_machine *m, struct task_struct *t,
		 enum replay_layout layout)
{
	*rp = (struct replay){ .m = m, .t = t, .layout = layout, .cpu = &m->cpus[0],
			       .host_oom_base = host_oom_count() };
	context_switch(m, 0, t);
}

/*
 * REPLAY_FLAT: map the aligned region around @va, shrunk to the gap that
 * holds it, so other regions stay as they are.  false when no user mapping
 * can cover @va (above TASK_SIZE, below mmap_min_addr) or memory ran out.
 */
static bool make_region(struct replay *rp, uint64_t va)
{
	struct mm_struct *mm = rp->t->mm;
	struct vm_area_struct *prev, *next;
	/* a PMD span: what one huge page maps, when THP allows it */
	const uint64_t size = HPAGE_PMD_SIZE(&rp->m->vm);
	uint64_t start = va & ~(size - 1), end = start + size;
	uint64_t populate, min = PAGE_ALIGN(rp->m->cfg.mmap_min_addr);
	int64_t ret;

	if (va >= mm->task_size || va < min)
		return false;
	next = find_vma_prev(mm, va, &prev);
	if (prev && prev->vm_end > start)
		start = prev->vm_end;
	if (next && next->vm_start < end)
		end = next->vm_start;
	if (start < min)
		start = min;
	if (end > mm->task_size)
		end = mm->task_size;
	ret = do_mmap(mm, NULL, 0, start, end - start, PROT_READ | PROT_WRITE | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, 0, &populate);
	if (IS_ERR_VALUE(ret)) {
		rp->oom = ret == -ENOMEM;
		return false;
	}
	rp->regions++;
	rp->region_bytes += end - start;
	return true;
}

/* The host refused memory during the last fault or region: whatever the
 * kernel code made of it, the replay stops there. */
static bool host_refused(struct replay *rp)
{
	if (host_oom_count() == rp->host_oom_base)
		return false;
	rp->oom = rp->host_oom = true;
	return true;
}

/* The page fault, as do_user_addr_fault() takes it, and the retry. */
static void __replay_fault(struct replay *rp, uint64_t va, enum mmu_access acc,
			   struct vmsim_fault *f)
{
	uint64_t pa;

	for (int tries = 0; tries < 4; tries++) {
		int ret = do_user_addr_fault(rp->t, f);

		if (host_refused(rp))
			return;
		/* the OOM killer chose the task (it stays until the replay
		 * ends, for the report), or the fault found no memory */
		if (ret < 0 || rp->t->sigkill) {
			rp->oom = true;
			return;
		}
		if (ret == SEGV_MAPERR && rp->layout == REPLAY_FLAT) {
			if (!make_region(rp, va) || host_refused(rp)) {
				if (!rp->oom)
					rp->unmappable++;
				return;
			}
		} else if (ret == FAULT_SIGBUS) {
			rp->t->fst.sigbus++;
			return;
		} else if (ret) {
			rp->segv++;
			rp->t->fst.segv++;
			return;
		}
		if (translate(rp->cpu, va, acc, MMU_USER, &pa, f)) {
			/* the page is mapped: the N frames' accounting */
			if (rp->rs && replace_fault(rp->rs, va))
				rp->oom = rp->host_oom = true;
			return;
		}
	}
	/* a fault that handling does not cure is a PTE written by hand */
	rp->segv++;
	rp->t->fst.segv++;
}

uint64_t replay_translation_cycles(const struct vmsim_config *cfg, const struct replay_counters *c)
{
	const uint64_t l1 = c->l1d.hits + c->l1d.misses + c->l1i.hits + c->l1i.misses;

	return l1 * cfg->cost_l1_hit + (c->l2.hits + c->l2.misses) * cfg->cost_l2_hit +
	       c->entries_read * cfg->cost_walk_ref;
}

void replay_fault(struct replay *rp, uint64_t va, enum mmu_access acc, struct vmsim_fault *f)
{
	/* the task's fault (and, for a flat layout, its mmap): current, its
	 * memory in use until the replay is over */
	task_enter_kernel(rp->t);
	__replay_fault(rp, va, acc, f);
	task_leave_kernel(rp->m);
}

void replay_snapshot(const struct replay *rp, struct replay_counters *c)
{
	const struct mmu_stats *st = &rp->cpu->st;
	uint64_t deeper = 0;

	c->accesses = rp->accesses;
	c->instructions = rp->by_type[TRACE_I];
	tlb_get_stats(rp->cpu, 0, &c->l1d);
	tlb_get_stats(rp->cpu, 1, &c->l1i);
	tlb_get_stats(rp->cpu, 2, &c->l2);
	c->l1d_large_fills = rp->cpu->l1_large[TLB_D].fills;
	c->l1i_large_fills = rp->cpu->l1_large[TLB_I].fills;
	c->l1d_large_evictions = rp->cpu->l1_large[TLB_D].evictions;
	c->l1i_large_evictions = rp->cpu->l1_large[TLB_I].evictions;
	c->walks = st->walks;
	c->entries_read = st->entries_read;
	/* a walk that ended at depth d read one entry at every depth to d,
	 * from where it started: 0, or below the paging-structure cache entry
	 * of depth c that it hit */
	for (int d = PT_MAX_LEVELS - 1; d >= 0; d--) {
		deeper += st->ended_at[d] - rp->cpu->psc[d].hits;
		c->read_at[d] = deeper;
		c->mapped_at[d] = st->mapped_at[d];
	}
	/* PAE's PDPTEs: registers loaded with CR3, not memory references */
	c->read_at[0] -= st->root_regs_used;
	for (int d = 0; d < PT_MAX_LEVELS; d++) {
		c->psc_hits[d] = rp->cpu->psc[d].hits;
		c->psc_misses[d] = rp->cpu->psc[d].misses;
	}
	c->entries_saved = st->psc_refs_saved;
	c->translation_cycles = replay_translation_cycles(&rp->m->cfg, c);
	c->fst = rp->t->fst;
	c->rss = get_mm_rss(rp->t->mm);
	c->pt_pages = mm_pgtables_bytes(rp->t->mm) / PAGE_SIZE;
}
