/*
 * TLB shootdown across CPUs (arch/x86/mm/tlb.c): which CPUs may cache an
 * mm's translations (mm_cpumask), the per-CPU cpu_tlbstate with its
 * dynamic ASIDs and their tlb_gen, switch_mm_irqs_off(), lazy TLB mode,
 * and flush_tlb_mm_range() with its local flush and remote IPIs.
 */
#ifndef VMSIM_VMA_TLBFLUSH_H
#define VMSIM_VMA_TLBFLUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm_ctx;
struct mm_struct;

#define TLB_NR_DYN_ASIDS	6
#define TLB_FLUSH_ALL		(~0ULL)
#define TLB_GENERATION_INVALID	0
/* tlb_single_page_flush_ceiling: above this many entries one full flush
 * is cheaper than invlpg one by one */
#define TLB_SINGLE_PAGE_FLUSH_CEILING 33

struct tlb_context {
	uint64_t ctx_id;
	uint64_t tlb_gen;	/* the mm's tlb_gen this ASID's entries are up to */
};

/* cpu_tlbstate and cpu_tlbstate_shared of one CPU, with its
 * CONFIG_DEBUG_TLBFLUSH counters and irq_stat.irq_tlb_count. */
struct tlb_state {
	struct mm_struct *loaded_mm;	/* NULL: init_mm (the kernel's tables) */
	uint16_t loaded_mm_asid;
	uint16_t next_asid;
	bool is_lazy;			/* idle or a kernel thread keeps loaded_mm */
	struct tlb_context ctxs[TLB_NR_DYN_ASIDS];
	unsigned long nr_tlb_remote_flush, nr_tlb_remote_flush_received;
	unsigned long nr_tlb_local_flush_all, nr_tlb_local_flush_one;
	unsigned long irq_tlb_count;	/* "TLB: TLB shootdowns" */
};

struct flush_tlb_info {
	struct mm_struct *mm;
	uint64_t start, end;
	uint64_t new_tlb_gen;
	unsigned initiating_cpu;
	unsigned stride_shift;
	bool freed_tables;
};

/*
 * Run @next (NULL: init_mm) on CPU @cpu: CR3 with the ASID choose_new_asid()
 * picks, flushed when that ASID's tlb_gen is behind the mm's; the CPU
 * leaves the previous mm's cpumask and joins @next's.  A lazy CPU coming
 * back to the mm it kept flushes only if a shootdown skipped it.
 */
void switch_mm_irqs_off(struct vm_ctx *vm, unsigned cpu, struct mm_struct *next);
/* The CPU goes idle (or runs a kernel thread): it keeps its mm loaded in
 * lazy TLB mode; shootdowns skip it. */
void enter_lazy_tlb(struct vm_ctx *vm, unsigned cpu);

/*
 * flush_tlb_mm_range(): [start, end) of @mm in strides of 1 << @stride_shift
 * (or everything, above the ceiling or for end TLB_FLUSH_ALL) from every
 * CPU of mm_cpumask: bump the mm's tlb_gen, flush locally, and IPI the
 * others (skipping lazy CPUs unless @freed_tables).  The flushing CPU is
 * vm->pm->this_cpu (system calls run on CPU 0).
 */
void __flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end,
			  unsigned stride_shift, bool freed_tables);

/* Take every CPU still caching @mm (loaded or lazy) to init_mm, before
 * its page tables go (the shootdown exit_mmap()'s freed tables send). */
void tlb_leave_mm(struct mm_struct *mm);

/* Checker: each CPU's CR3, PCID and ASID agree with the mm it has loaded,
 * which has the CPU in its mm_cpumask (init_mm is never lazy), and
 * every mask bit names a CPU that has that mm loaded.  0, or -1 with a
 * description in @msg. */
int cpu_tlbstate_check(struct vm_ctx *vm, char *msg, size_t len);

#endif
