/*
 * The page walk itself, for the two files that run it: walk.c (mmu_walk,
 * mmu_walk_peek) and tlb.c, whose miss path inlines it so a TLB miss pays
 * no call and no walk_result through memory.  Internal to src/mmu.
 *
 * Rules (docs/linux-rules.md section 6, Intel SDM vol. 3 ch. 4):
 *   top level first; a not-present entry faults with P=0 (its other bits,
 *   reserved ones included, are ignored); a reserved bit in a present entry
 *   faults with RSVD and P=1 before anything below is read; R/W and U/S are
 *   ANDed over all levels, NX ORed; then the permission checks on the
 *   combined rights.  Invariant: a faulting walk writes nothing; a
 *   successful one sets A on every entry used (only where it was clear) and
 *   D on the leaf for a write -- except in a frame of the simulator's own
 *   structures, which a corrupted entry can make the walk read as a table
 *   but which no simulated store changes.  I/D is reported only with
 *   EFER.NXE or CR4.SMEP.
 */
#ifndef VMSIM_MMU_WALK_CORE_H
#define VMSIM_MMU_WALK_CORE_H

#include "mmu/mmu.h"
#include "phys/mmzone.h"
#include "phys/slab.h"

/* Constant copies of the formats (see PT_FORMAT_X86_64_INIT): a caller
 * that dispatches on cpu->fmt passes these, and the walk's loop gets the
 * format's numbers folded in. */
static const struct pt_format walk_x86_32 = PT_FORMAT_X86_32_INIT;
static const struct pt_format walk_x86_64 = PT_FORMAT_X86_64_INIT;

_Static_assert(TLB_R_W == _PAGE_RW >> 1 && TLB_R_U == _PAGE_USER >> 1,
	       "walk_core() shifts R/W and U/S into TLB rights");

static inline void write_entry(struct vmsim_cpu *cpu, uint64_t pa, uint64_t v)
{
	uint8_t *p = phys_to_host_range(cpu->pm, pa, cpu->fmt->entry_size);

	/* no memory there, or the simulator's own structures read as a
	 * table through a corrupted entry: the write goes nowhere */
	if (!p || frame_holds_host_structs(cpu->pm, (unsigned long)(pa >> PAGE_SHIFT)))
		return;
	if (cpu->fmt->entry_size == 8)
		*(uint64_t *)(void *)p = v;
	else
		*(uint32_t *)(void *)p = (uint32_t)v;
}

/* PAE: the PDPTE @index of root @root, from the registers the last CR3
 * load filled when @root is the loaded one, else from memory at @pa (the
 * entries a load of @root would take: for views and previews). */
static inline uint64_t walk_root_entry(const struct vmsim_cpu *cpu, uint64_t root, unsigned index,
				       uint64_t pa)
{
	return root == cpu->cr3 ? cpu->pdpte[index] : mmu_read_entry(cpu, pa);
}

/*
 * Set A on the entries above the leaf at depth @d of @va's walk from @root
 * where it is clear, and the bits @want on the leaf: the writes of a walk
 * that has just succeeded, reading the same entries again (the rare case --
 * a table entry without A; Linux makes them with A set -- so the walk
 * itself keeps no copy of what it read above the leaf).  Returns the leaf
 * as written.
 */
static __attribute__((noinline, unused)) uint64_t
walk_set_ad(struct vmsim_cpu *cpu, uint64_t root, uint64_t va, unsigned d, uint64_t want)
{
	const struct pt_format *fmt = cpu->fmt;
	uint64_t table = root & fmt->root_addr_mask, e = 0;

	for (unsigned i = 0; i <= d; i++) {
		const unsigned index = (unsigned)(va >> fmt->lvl[i].shift) &
				       ((1u << fmt->lvl[i].bits) - 1);
		const uint64_t pa = table + (uint64_t)index * fmt->entry_size;
		const uint64_t bits = i < d ? _PAGE_ACCESSED : want;

		if (i == 0 && fmt->root_regs) {
			/* a PDPTE: no A bit, nothing written */
			table = walk_root_entry(cpu, root, index, pa) & fmt->entry_addr_mask;
			continue;
		}
		e = mmu_read_entry(cpu, pa);
		if ((e & bits) != bits) {
			e |= bits;
			write_entry(cpu, pa, e);
			cpu->st.ad_writes++;
		}
		table = e & fmt->entry_addr_mask;
	}
	return e;
}

/* The end of a walk that faulted at depth @d: the error code from what
 * decided it (@err: P, RSVD) and the access.  @usual: see walk_core(). */
static inline __attribute__((always_inline)) bool
walk_fault(struct vmsim_cpu *cpu, uint64_t va, enum mmu_access acc, enum mmu_mode mode,
	   struct vmsim_fault *f, uint32_t err, unsigned d, bool commit, bool usual)
{
	if (usual)
		return false;	/* nothing written: the caller's general path redoes it */
	if (mode == MMU_USER)
		err |= X86_PF_USER;
	if (acc == MMU_WRITE)
		err |= X86_PF_WRITE;
	else if (acc == MMU_FETCH && (cpu->nxe || cpu->smep))
		err |= X86_PF_INSTR;	/* I/D only with NX or SMEP on */
	f->addr = va;
	f->error_code = err;
	f->depth = (int)d;
	f->gp = false;
	if (commit) {
		cpu->st.entries_read += d + 1;
		cpu->st.ended_at[d]++;
		cpu->st.faults++;
	}
	return false;
}

/*
 * The end of a walk that reached leaf @e at depth @d, read at @leaf_pa;
 * @above is the AND of the entries above it, @any the OR of all those used:
 * the permission check, then A/D and the result.  Each exit of the walk's
 * (unrolled) loop calls it with its own constant depth, so the page size
 * and masks of a 4 KiB leaf are constants, not values merged from every
 * depth.
 */
static inline __attribute__((always_inline)) bool
walk_leaf(struct vmsim_cpu *cpu, const struct pt_format *fmt, uint64_t root, uint64_t va,
	  enum mmu_access acc, enum mmu_mode mode, struct walk_result *r, struct vmsim_fault *f,
	  bool commit, bool usual, unsigned d, uint64_t e, uint64_t leaf_pa, uint64_t above,
	  uint64_t any)
{
	const uint64_t all = above & e;
	const unsigned shift = fmt->lvl[d].shift;
	const uint64_t want = _PAGE_ACCESSED | (acc == MMU_WRITE ? _PAGE_DIRTY : 0);
	/* R/W and U/S of every level ANDed, NX of any level: TLB_R_W and
	 * TLB_R_U are _PAGE_RW and _PAGE_USER one bit down */
	const uint8_t rights = (uint8_t)((all >> 1 & (TLB_R_W | TLB_R_U)) |
					 (any & fmt->nx_bit ? 0 : TLB_R_X));
	uint64_t base = e & fmt->entry_addr_mask & ~((1ULL << shift) - 1);

	/* the permission check is the TLB's: ok_table holds the SDM rules
	 * for each rights value under the current CR0.WP, SMEP and SMAP
	 * (tlb_ok_mask(); with D given, as the walk sets D itself) */
	if (!(cpu->ok_table[rights | TLB_R_D] >> TLB_OK_BIT(acc, mode) & 1))
		return walk_fault(cpu, va, acc, mode, f, X86_PF_PROT, d, commit, usual);
	if (d != fmt->levels - 1 && fmt->large_hi_bits)	/* PSE-36 */
		base |= ((e >> fmt->large_hi_src) & ((1ULL << fmt->large_hi_bits) - 1))
			<< fmt->large_hi_dst;
	if (commit) {
		/* the steady state: every A (and D) already set; next, the
		 * first use of a page (or write to it) under tables Linux
		 * made with A set: the leaf alone, written where it was read */
		if (__builtin_expect(!(all & _PAGE_ACCESSED) || (e & want) != want, 0)) {
			if (above & _PAGE_ACCESSED) {
				e |= want;
				write_entry(cpu, leaf_pa, e);
				cpu->st.ad_writes++;
			} else if (usual) {
				return false;	/* A above the leaf: walk_set_ad() */
			} else {
				e = walk_set_ad(cpu, root, va, d, want);
			}
		}
		/* (a usual walk counts itself only now: a bail counts nothing) */
		if (usual)
			cpu->st.walks++;
		cpu->st.entries_read += d + 1;
		cpu->st.ended_at[d]++;
		cpu->st.mapped_at[d]++;
	}
	r->page_pa = base;
	r->pa = base | (va & ((1ULL << shift) - 1));
	r->shift = shift;
	r->depth = d;
	r->leaf = e;
	r->rights = (uint8_t)(rights | (e & _PAGE_DIRTY ? TLB_R_D : 0) |
			      (e & _PAGE_GLOBAL ? TLB_R_G : 0));
	return true;
}

/*
 * The walk; @commit selects the hardware's side effects (A/D, stats).
 * @usual: the TLB miss path's usual walk, a 4 KiB page whose tables have
 * A set, which writes at most its leaf; anything else (a fault, a large
 * page, A to set above the leaf) returns false having written and counted
 * nothing, and the caller hands the miss to its general path, which walks
 * again.  The usual walk then makes no call, so its caller needs no
 * registers saved around one.
 * @fmt is cpu->fmt, passed apart so that a caller with a constant format
 * gets this loop with the format's numbers folded in (levels, entry size,
 * index widths): still the one generic walker, instantiated per format.
 */
static inline __attribute__((always_inline)) bool
walk_core(struct vmsim_cpu *cpu, const struct pt_format *fmt, uint64_t root, uint64_t va,
	  enum mmu_access acc, enum mmu_mode mode, struct walk_result *r, struct vmsim_fault *f,
	  struct walk_trace *trace, bool commit, bool usual)
{
	const unsigned esz = fmt->entry_size, last = fmt->levels - 1;
	const uint64_t amask = fmt->entry_addr_mask;
	const uint8_t *ram = cpu->pm->ram;
	/* AND of the entries used gives R/W, U/S and "all accessed"; their
	 * OR gives NX */
	uint64_t table = root & fmt->root_addr_mask, e = 0, all = ~0ULL, any = 0;

	if (trace)
		trace->n = 0;
	if (__builtin_expect(!pt_va_canonical(fmt, va), 0)) {
		if (usual)
			return false;
		f->addr = va;
		f->error_code = 0;
		f->depth = -1;
		f->gp = true;
		if (commit)
			cpu->st.faults++;
		return false;
	}
	if (commit && !usual)
		cpu->st.walks++;
#pragma GCC unroll 5
	for (unsigned d = 0; d < PT_MAX_LEVELS; d++) {
		const struct walk_level *wl = &cpu->wl[d];
		const unsigned index = (unsigned)(va >> fmt->lvl[d].shift) &
				       ((1u << fmt->lvl[d].bits) - 1);
		const uint64_t pa = table + (uint64_t)index * esz;

		/* phys_to_host_range() for the one load of the hot path:
		 * the table is page aligned and RAM a whole number of pages,
		 * so a table inside RAM holds every entry of it */
		if (d == 0 && fmt->root_regs)
			e = walk_root_entry(cpu, root, index, pa);	/* PAE: loaded with CR3 */
		else if (__builtin_expect(table < cpu->ram_size, 1))
			e = esz == 8 ? *(const uint64_t *)(const void *)(ram + pa)
				     : *(const uint32_t *)(const void *)(ram + pa);
		else
			e = esz == 8 ? ~0ULL : 0xffffffffULL;
		if (trace) {
			trace->lv[d].depth = d;
			trace->lv[d].index = index;
			trace->lv[d].table_pa = table;
			trace->lv[d].entry_pa = pa;
			trace->lv[d].entry = e;
			trace->n = d + 1;
		}
		/* one test for the usual table entry or 4 KiB leaf: present,
		 * no reserved bit, and (above the last level) PS clear */
		if (__builtin_expect(((e ^ _PAGE_PRESENT) & wl->stop) != 0, 0)) {
			if (!(e & _PAGE_PRESENT))
				return walk_fault(cpu, va, acc, mode, f, 0, d, commit, usual);
			/* a large leaf, or a reserved bit (the usual walk maps
			 * 4 KiB pages only: the general path's refill) */
			if (usual || d == last || !fmt->lvl[d].large || !(e & wl->ps_mask) ||
			    (e & wl->rsvd_large))
				return walk_fault(cpu, va, acc, mode, f, X86_PF_PROT | X86_PF_RSVD,
						  d, commit, usual);
			return walk_leaf(cpu, fmt, root, va, acc, mode, r, f, commit, false, d, e,
					 pa, all, any | e);
		}
		if (d == last)
			return walk_leaf(cpu, fmt, root, va, acc, mode, r, f, commit, usual, d, e,
					 pa, all, any | e);
		/* a level without rights of its own (PAE's PDPTE) takes them
		 * as granted */
		all &= e | fmt->lvl[d].implied;
		any |= e;
		table = e & amask;
	}
	__builtin_unreachable();	/* the last level is a leaf or a fault */
}

#endif
