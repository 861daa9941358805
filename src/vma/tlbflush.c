/*
 * TLB shootdown as arch/x86/mm/tlb.c does it.
 *
 * mm->cpu_bitmap (mm_cpumask) holds every CPU that may cache the mm's
 * translations: the CPUs running it and those that kept it in lazy TLB
 * mode (idle after a task of it).  mm->tlb_gen counts the flushes asked
 * for; each CPU's cpu_tlbstate.ctxs[asid].tlb_gen says how far that
 * ASID's TLB entries are up to date.  flush_tlb_mm_range() bumps
 * tlb_gen, then flush_tlb_func() runs on every CPU of the mask (an IPI
 * for the others, counted as a shootdown), except lazy ones: they catch
 * up in switch_mm_irqs_off() when they come back, by comparing tlb_gen.
 * A CPU that switched to another mm left the mask; an ASID it keeps for
 * the old mm is flushed when reused (its tlb_gen is behind).
 *
 * Invariant: a CPU that may hold a translation of mm is in mm_cpumask,
 * or its ASID for mm carries a tlb_gen older than every change since, so
 * no stale translation is ever used.  (Linux 6.12: a CPU leaves the old
 * mm's mask at switch time; CPUs lazy on an mm whose tables are freed get
 * the IPI and switch to init_mm.)
 */
#include "vma/tlbflush.h"

#include <stdio.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "mmu/mmu.h"
#include "vma/mm_types.h"

static inline void cpumask_set_cpu(unsigned cpu, struct mm_struct *mm)
{
	mm->cpu_bitmap |= 1ULL << cpu;
}

static inline void cpumask_clear_cpu(unsigned cpu, struct mm_struct *mm)
{
	mm->cpu_bitmap &= ~(1ULL << cpu);
}

/* kern_pcid(): ASID n runs as PCID n + 1 (PCID 0 is init_mm's). */
static unsigned kern_pcid(const struct vmsim_cpu *cpu, unsigned asid)
{
	return cpu->pcid_enabled ? asid + 1 : 0;
}

/* choose_new_asid(): the ASID this CPU last used for @next if it kept one
 * (flush only if behind @next_tlb_gen), else the next slot round robin. */
static void choose_new_asid(struct tlb_state *ts, const struct vmsim_cpu *cpu,
			    const struct mm_struct *next, uint64_t next_tlb_gen,
			    uint16_t *new_asid, bool *need_flush)
{
	if (!cpu->pcid_enabled) {
		*new_asid = 0;
		*need_flush = true;
		return;
	}
	for (uint16_t asid = 0; asid < TLB_NR_DYN_ASIDS; asid++) {
		if (ts->ctxs[asid].ctx_id != next->ctx_id)
			continue;
		*new_asid = asid;
		*need_flush = ts->ctxs[asid].tlb_gen < next_tlb_gen;
		return;
	}
	*new_asid = ts->next_asid++;
	if (*new_asid >= TLB_NR_DYN_ASIDS) {
		*new_asid = 0;
		ts->next_asid = 1;
	}
	*need_flush = true;
}

void switch_mm_irqs_off(struct vm_ctx *vm, unsigned c, struct mm_struct *next)
{
	struct tlb_state *ts = &vm->cpu_tlbstate[c];
	struct vmsim_cpu *cpu = &vm->cpus[c];
	struct mm_struct *prev = ts->loaded_mm;
	const bool was_lazy = ts->is_lazy;
	uint16_t new_asid;
	uint64_t next_tlb_gen = 0;
	bool need_flush;

	ts->is_lazy = false;
	if (prev == next) {
		/* threads of one process: nothing, unless the CPU was lazy
		 * and a shootdown passed it by */
		if (!was_lazy || !next)
			return;
		next_tlb_gen = next->tlb_gen;
		if (ts->ctxs[ts->loaded_mm_asid].tlb_gen == next_tlb_gen)
			return;
		new_asid = ts->loaded_mm_asid;
		need_flush = true;
	} else {
		/* stop remote flushes for the previous mm */
		if (prev)
			cpumask_clear_cpu(c, prev);
		if (!next) {
			/* init_mm: the kernel's tables under PCID 0 */
			ts->loaded_mm = NULL;
			ts->loaded_mm_asid = 0;
			mmu_load_cr3(cpu, vm->kernel_pgd, 0, false);
			return;
		}
		/* start receiving IPIs, then read tlb_gen */
		cpumask_set_cpu(c, next);
		next_tlb_gen = next->tlb_gen;
		choose_new_asid(ts, cpu, next, next_tlb_gen, &new_asid, &need_flush);
	}
	if (need_flush) {
		ts->ctxs[new_asid].ctx_id = next->ctx_id;
		ts->ctxs[new_asid].tlb_gen = next_tlb_gen;
	}
	mmu_load_cr3(cpu, next->pgd, kern_pcid(cpu, new_asid), !need_flush);
	ts->loaded_mm = next;
	ts->loaded_mm_asid = new_asid;
}

void enter_lazy_tlb(struct vm_ctx *vm, unsigned c)
{
	struct tlb_state *ts = &vm->cpu_tlbstate[c];

	if (!ts->loaded_mm)
		return;
	ts->is_lazy = true;
}

static void count_tlb(struct vm_ctx *vm, unsigned long *percpu, enum vm_event_item item,
		      unsigned long n)
{
	*percpu += n;
	count_vm_events(vm->pm, item, n);
}

/* flush_tlb_func(): the flush on CPU @c, local (the initiator) or an IPI. */
static void flush_tlb_func(struct vm_ctx *vm, unsigned c, const struct flush_tlb_info *f)
{
	struct tlb_state *ts = &vm->cpu_tlbstate[c];
	struct vmsim_cpu *cpu = &vm->cpus[c];
	struct mm_struct *loaded_mm = ts->loaded_mm;
	const bool local = c == f->initiating_cpu;
	uint64_t local_tlb_gen, mm_tlb_gen;

	if (!local) {
		ts->irq_tlb_count++;
		count_tlb(vm, &ts->nr_tlb_remote_flush_received, NR_TLB_REMOTE_FLUSH_RECEIVED, 1);
	}
	/* the CPU was left in the mask of an mm it no longer runs */
	if (f->mm && f->mm != loaded_mm) {
		cpumask_clear_cpu(c, f->mm);
		return;
	}
	if (!loaded_mm)
		return;
	if (ts->is_lazy) {
		/* lazy and tables were freed: stop using them at all */
		switch_mm_irqs_off(vm, c, NULL);
		return;
	}
	local_tlb_gen = ts->ctxs[ts->loaded_mm_asid].tlb_gen;
	if (f->new_tlb_gen != TLB_GENERATION_INVALID && f->new_tlb_gen <= local_tlb_gen)
		return;
	mm_tlb_gen = loaded_mm->tlb_gen;
	if (local_tlb_gen == mm_tlb_gen)
		return;
	/* a partial flush only if it brings us exactly up to date */
	if (f->end != TLB_FLUSH_ALL && f->new_tlb_gen == local_tlb_gen + 1 &&
	    f->new_tlb_gen == mm_tlb_gen) {
		const unsigned long nr = (unsigned long)((f->end - f->start) >> f->stride_shift);

		for (uint64_t a = f->start; a < f->end; a += 1ULL << f->stride_shift)
			invlpg(cpu, a);	/* flush_tlb_one_user() */
		if (local)
			count_tlb(vm, &ts->nr_tlb_local_flush_one, NR_TLB_LOCAL_FLUSH_ONE, nr);
	} else {
		/* flush_tlb_local(): a CR3 reload of the current PCID */
		if (cpu->pcid_enabled)
			tlb_flush_pcid(cpu, cpu->pcid);
		else
			tlb_flush_nonglobal(cpu);
		if (local)
			count_tlb(vm, &ts->nr_tlb_local_flush_all, NR_TLB_LOCAL_FLUSH_ALL, 1);
	}
	ts->ctxs[ts->loaded_mm_asid].tlb_gen = mm_tlb_gen;
}

void __flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end,
			  unsigned stride_shift, bool freed_tables)
{
	struct vm_ctx *vm = mm->vm;
	const unsigned self = vm->pm->this_cpu;
	struct flush_tlb_info info = {
		.mm = mm, .start = start, .end = end, .stride_shift = stride_shift,
		.freed_tables = freed_tables, .initiating_cpu = self,
	};

	if (end == TLB_FLUSH_ALL || (end - start) >> stride_shift > TLB_SINGLE_PAGE_FLUSH_CEILING) {
		info.start = 0;
		info.end = TLB_FLUSH_ALL;
	}
	info.new_tlb_gen = ++mm->tlb_gen;	/* inc_mm_tlb_gen() */
	if (mm->cpu_bitmap & ~(1ULL << self)) {
		/* native_flush_tlb_multi(): every CPU of the mask, this one
		 * included; lazy ones only when page tables were freed */
		struct tlb_state *ts = &vm->cpu_tlbstate[self];
		const uint64_t mask = mm->cpu_bitmap;

		count_tlb(vm, &ts->nr_tlb_remote_flush, NR_TLB_REMOTE_FLUSH, 1);
		for (unsigned c = 0; c < vm->nr_cpus; c++)
			if ((mask >> c & 1) && (freed_tables || !vm->cpu_tlbstate[c].is_lazy))
				flush_tlb_func(vm, c, &info);
	} else if (mm == vm->cpu_tlbstate[self].loaded_mm) {
		flush_tlb_func(vm, self, &info);
	}
}

void tlb_leave_mm(struct mm_struct *mm)
{
	struct vm_ctx *vm = mm->vm;

	for (unsigned c = 0; c < vm->nr_cpus; c++) {
		struct tlb_state *ts = &vm->cpu_tlbstate[c];

		if (ts->loaded_mm == mm)
			switch_mm_irqs_off(vm, c, NULL);
		/* an ASID still naming it would match a later mm's ctx_id
		 * never (ctx_ids are not reused), but drop it all the same */
		for (unsigned a = 0; a < TLB_NR_DYN_ASIDS; a++)
			if (ts->ctxs[a].ctx_id == mm->ctx_id) {
				ts->ctxs[a].ctx_id = 0;
				if (vm->cpus[c].pcid_enabled)
					tlb_flush_pcid(&vm->cpus[c], kern_pcid(&vm->cpus[c], a));
			}
	}
}

int cpu_tlbstate_check(struct vm_ctx *vm, char *msg, size_t len)
{
	struct mm_struct *mm;

	for (unsigned c = 0; c < vm->nr_cpus; c++) {
		const struct tlb_state *ts = &vm->cpu_tlbstate[c];
		const struct vmsim_cpu *cpu = &vm->cpus[c];
		const struct mm_struct *lm = ts->loaded_mm;

		if (!lm) {
			/* init_mm (its CR3 is any kernel root a test loads) */
			if (ts->is_lazy) {
				snprintf(msg, len, "cpu %u lazy on init_mm", c);
				return -1;
			}
			continue;
		}
		if (cpu->cr3 != lm->pgd || !(lm->cpu_bitmap >> c & 1) ||
		    ts->loaded_mm_asid >= TLB_NR_DYN_ASIDS) {
			snprintf(msg, len, "cpu %u: CR3 %#llx, loaded mm's pgd %#llx, in its cpumask: "
				 "%s, ASID %u", c, (unsigned long long)cpu->cr3,
				 (unsigned long long)lm->pgd, lm->cpu_bitmap >> c & 1 ? "yes" : "no",
				 ts->loaded_mm_asid);
			return -1;
		}
		if (cpu->pcid_enabled && (cpu->pcid != ts->loaded_mm_asid + 1u ||
					  ts->ctxs[ts->loaded_mm_asid].ctx_id != lm->ctx_id ||
					  ts->ctxs[ts->loaded_mm_asid].tlb_gen > lm->tlb_gen)) {
			snprintf(msg, len, "cpu %u: PCID %u for ASID %u, whose context is not the "
				 "loaded mm's", c, cpu->pcid, ts->loaded_mm_asid);
			return -1;
		}
	}
	/* 6.12's rule: a CPU in a mask has that mm loaded (lazy or not) */
	list_for_each_entry(mm, &vm->mm_list, mm_list)
		for (unsigned c = 0; c < CFG_MAX_CPUS; c++)
			if ((mm->cpu_bitmap >> c & 1) &&
			    (c >= vm->nr_cpus || vm->cpu_tlbstate[c].loaded_mm != mm)) {
				snprintf(msg, len, "mm with pgd %#llx has cpu %u in its cpumask, which "
					 "does not run it", (unsigned long long)mm->pgd, c);
				return -1;
			}
	return 0;
}
