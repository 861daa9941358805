/*
 * Trace replay: memory accesses from a trace run through a task as a CPU
 * would run them: the TLB, on a miss the page walk, on a fault the kernel's
 * fault handler and a retry.  The engine behind `vmsim-cli replay` and
 * bench_replay.
 *
 * Layouts: REPLAY_FLAT gives the task anonymous read-write-execute memory
 * wherever the trace goes, created on demand one aligned PMD span at a
 * time (2 MiB, 4 MiB on x86_32; shrunk to the gap it falls in), because a
 * traced program's addresses follow its tracer's layout.  A span whole
 * from its first fault may take a transparent huge page.  REPLAY_TASK uses the task's own
 * VMAs (after an exec): an access outside them is a SIGSEGV, counted.
 */
#ifndef VMSIM_KERN_REPLAY_H
#define VMSIM_KERN_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "kern/machine.h"
#include "kern/replace.h"
#include "mmu/mmu.h"
#include "util/trace.h"
#include "vma/mm_types.h"

struct vmsim_machine;
struct task_struct;

enum replay_layout { REPLAY_FLAT, REPLAY_TASK };

struct replay {
	struct vmsim_machine *m;
	struct task_struct *t;
	struct vmsim_cpu *cpu;
	enum replay_layout layout;
	uint64_t by_type[4];		/* records by trace_type */
	uint64_t accesses;		/* records */
	uint64_t page_touches;		/* translations (M and page crossings make more) */
	uint64_t crossings;		/* records that cross a page boundary */
	uint64_t regions, region_bytes;	/* REPLAY_FLAT: memory created on demand */
	uint64_t unmappable;		/* accesses no user mapping can cover */
	uint64_t segv;			/* SIGSEGV the task would have received */
	bool oom;			/* out of memory, simulated or host: stop */
	bool host_oom;			/* ... and it was the host (util/hostalloc.h):
					 * the replay's results mean nothing */
	unsigned long host_oom_base;	/* host_oom_count() at replay_init() */
	struct replace *rs;		/* page replacement in N frames, or NULL */
};

/* Counters of the CPU and the task at one moment. */
struct replay_counters {
	uint64_t accesses, instructions;	/* records; I records */
	struct tlb_stats l1d, l1i, l2;
	/* the L1s' large-page arrays (part of L1d and L1i above): entries
	 * filled, i.e. L1 misses a 2 MiB/4 MiB/1 GiB entry answered, and
	 * entries evicted */
	uint64_t l1d_large_fills, l1i_large_fills, l1d_large_evictions, l1i_large_evictions;
	uint64_t walks, entries_read;
	/* per depth of the page table (0 = root): entries read there, and
	 * walks that mapped a page there (a leaf of that depth's size) */
	uint64_t read_at[PT_MAX_LEVELS], mapped_at[PT_MAX_LEVELS];
	/* the paging-structure caches, by the depth of the entries they
	 * hold (see struct psc), and the entries their hits spared walks */
	uint64_t psc_hits[PT_MAX_LEVELS], psc_misses[PT_MAX_LEVELS], entries_saved;
	/* the cost model (cfg tlb.cost): every L1 lookup costs l1_hit, every
	 * L2 lookup (an L1 miss) l2_hit more, every entry a walk reads
	 * walk_ref: the cycles the translations took */
	uint64_t translation_cycles;
	struct fault_stats fst;
	unsigned long rss, pt_pages;
};

/* Prepare a replay through @t on CPU 0 (switches to it). */
void replay_init(struct replay *rp, struct vmsim_machine *m, struct task_struct *t,
		 enum replay_layout layout);

void replay_fault(struct replay *rp, uint64_t va, enum mmu_access acc, struct vmsim_fault *f);

/* One page's translation; the TLB hit stays inline. */
static inline void replay_touch(struct replay *rp, uint64_t va, enum mmu_access acc)
{
	struct vmsim_fault f;
	uint64_t pa;

	rp->page_touches++;
	if (__builtin_expect(translate(rp->cpu, va, acc, MMU_USER, &pa, &f), 1)) {
		if (rp->rs)
			replace_hit(rp->rs, va);
		return;
	}
	replay_fault(rp, va, acc, &f);
}

/* One trace record: M is a read then a write; a record that crosses page
 * boundaries touches every page it covers, in address order (a size of up
 * to 16383 bytes spans up to five pages).  The last page is reached by
 * stepping, so an access that wraps past the top of the address space
 * ends on page 0 as the address arithmetic does. */
static inline void replay_one(struct replay *rp, const struct trace_rec *rec)
{
	uint64_t last = (rec->addr + rec->size - 1) & ~0xfffULL;
	enum mmu_access acc = rec->type == TRACE_I ? MMU_FETCH
			    : rec->type == TRACE_S ? MMU_WRITE : MMU_READ;

	rp->accesses++;
	rp->by_type[rec->type]++;
	replay_touch(rp, rec->addr, acc);
	if (rec->type == TRACE_M)
		replay_touch(rp, rec->addr, MMU_WRITE);
	if (__builtin_expect((rec->addr & ~0xfffULL) != last, 0)) {
		uint64_t va = rec->addr & ~0xfffULL;

		rp->crossings++;
		do {
			va += 0x1000;
			replay_touch(rp, va, acc);
			if (rec->type == TRACE_M)
				replay_touch(rp, va, MMU_WRITE);
		} while (va != last);
	}
	kswapd_tick(rp->m);
}

void replay_snapshot(const struct replay *rp, struct replay_counters *c);

/* The cycles of @c's translations under @cfg's tlb.cost (see
 * replay_counters.translation_cycles). */
uint64_t replay_translation_cycles(const struct vmsim_config *cfg, const struct replay_counters *c);

#endif
