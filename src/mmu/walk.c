/*
 * The page walker's entry points and set-up: mmu_walk() and mmu_walk_peek()
 * over the one generic walk in walk_core.h (parameterised by struct
 * pt_format and the per-depth masks in cpu->wl[]: x86_32 with 2 levels of
 * 4-byte entries, PAE with 3, x86_64 with 4 and LA57 with 5 levels of
 * 8-byte entries), and the
 * reserved-bit masks those levels check.  The rules are in walk_core.h.
 */
#include "mmu/mmu.h"

#include <string.h>

#include "mmu/walk_core.h"
#include "phys/mmzone.h"

static inline uint64_t bits_range(unsigned lo, unsigned hi)	/* [lo, hi] */
{
	if (hi < lo)
		return 0;
	return (hi >= 63 ? ~0ULL : ((1ULL << (hi + 1)) - 1)) & ~((1ULL << lo) - 1);
}

void mmu_update_walk_levels(struct vmsim_cpu *cpu)
{
	const struct pt_format *f = cpu->fmt;
	unsigned m = cpu->phys_bits < f->max_phys_bits ? cpu->phys_bits : f->max_phys_bits;
	/* address bits at or above MAXPHYADDR are reserved */
	uint64_t hi = f->entry_addr_mask & ~bits_range(0, m - 1);
	uint64_t nx = f->nx_bit && !cpu->nxe ? f->nx_bit : 0;

	for (unsigned d = 0; d < f->levels; d++) {
		const struct pt_level_desc *l = &f->lvl[d];
		struct walk_level *w = &cpu->wl[d];
		bool last = d == f->levels - 1;

		memset(w, 0, sizeof(*w));
		w->rsvd = hi | nx | l->rsvd;
		if (!last && !l->large)
			w->rsvd |= _PAGE_PSE;	/* PS in a PML4E */
		if (l->large && (!f->large_needs_pse || cpu->pse)) {
			w->ps_mask = _PAGE_PSE;
			/* bit 12 is PAT; 13..shift-1 must be zero, except
			 * the PSE-36 bits that carry physical bits below M */
			w->rsvd_large = w->rsvd | (f->entry_addr_mask & bits_range(13, l->shift - 1));
			for (unsigned i = 0; i < f->large_hi_bits; i++)
				if (f->large_hi_dst + i < m)
					w->rsvd_large &= ~(1ULL << (f->large_hi_src + i));
		}
		/* what makes the walk leave its usual path here: not
		 * present, a reserved bit, or PS where it makes a leaf */
		w->stop = _PAGE_PRESENT | w->rsvd | w->ps_mask;
	}
}

uint64_t mmu_read_entry(const struct vmsim_cpu *cpu, uint64_t pa)
{
	const uint8_t *p = phys_to_host_range(cpu->pm, pa, cpu->fmt->entry_size);

	if (!p)
		return cpu->fmt->entry_size == 8 ? ~0ULL : 0xffffffffULL;
	if (cpu->fmt->entry_size == 8)
		return *(const uint64_t *)(const void *)p;
	return *(const uint32_t *)(const void *)p;
}

bool mmu_walk(struct vmsim_cpu *cpu, uint64_t root, uint64_t va, enum mmu_access acc,
	      enum mmu_mode mode, struct walk_result *r, struct vmsim_fault *f,
	      struct walk_trace *trace)
{
	if (cpu->fmt == &pt_format_x86_64)
		return walk_core(cpu, &walk_x86_64, root, va, acc, mode, r, f, trace, true, false);
	if (cpu->fmt == &pt_format_x86_32)
		return walk_core(cpu, &walk_x86_32, root, va, acc, mode, r, f, trace, true, false);
	return walk_core(cpu, cpu->fmt, root, va, acc, mode, r, f, trace, true, false);
}

bool mmu_walk_peek(struct vmsim_cpu *cpu, uint64_t root, uint64_t va, enum mmu_access acc,
		   enum mmu_mode mode, struct walk_result *r, struct vmsim_fault *f,
		   struct walk_trace *trace)
{
	return walk_core(cpu, cpu->fmt, root, va, acc, mode, r, f, trace, false, false);
}
