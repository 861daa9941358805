/*
 * The page walker: one loop over the levels of the CPU's format, as data
 * (struct pt_format, decoded per depth into cpu->wl[] under the current
 * NXE, PSE and MAXPHYADDR, and its constants into cpu->wc, so a walk never
 * reads the format itself).  A format is a description; this file has no
 * code for any one of them.
 *
 * Rules (docs/linux-rules.md section 6, Intel SDM vol. 3 ch. 4):
 *   top level first; a not-present entry faults with P=0 (its other bits,
 *   reserved ones included, are ignored); a reserved bit in a present entry
 *   faults with RSVD and P=1 before anything below is read; R/W and U/S are
 *   ANDed over all levels, NX ORed; then the permission checks on the
 *   combined rights.  Invariant: a faulting walk writes nothing; a
 *   successful one sets A on every entry used (only where it was clear and
 *   the level has A) and D on the leaf for a write -- except in a frame of
 *   the simulator's own structures, which a corrupted entry can make the
 *   walk read as a table but which no simulated store changes.  I/D is
 *   reported only with EFER.NXE or CR4.SMEP.  A TLB walk (mmu_walk_tlb)
 *   starts below the deepest paging-structure cache entry for its address
 *   and, when it succeeds, caches the table entries it read (psc.c).
 */
#include "mmu/mmu.h"

#include <string.h>

#include "mmu/psc.h"
#include "phys/mmzone.h"
#include "phys/slab.h"

_Static_assert(sizeof(struct walk_level) == 64, "cpu->wl[d] is one shift from d");
_Static_assert(TLB_R_W == _PAGE_RW >> 1 && TLB_R_U == _PAGE_USER >> 1,
	       "walk() shifts R/W and U/S into TLB rights");

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

	cpu->wc = (struct walk_consts){
		.addr_mask = f->entry_addr_mask,
		.root_mask = f->root_addr_mask,
		.nx_bit = f->nx_bit,
		.esz = f->entry_size,
		.esz_log2 = (uint8_t)__builtin_ctz(f->entry_size),
		.last = f->levels - 1,
		.va_pad = (uint8_t)(64 - f->va_bits),
		.va_sext = f->va_bits > 32,	/* x86_32 zero-extends */
		.large_hi_src = f->large_hi_src,
		.large_hi_bits = f->large_hi_bits,
		.large_hi_dst = f->large_hi_dst,
	};
	for (unsigned d = 0; d < f->levels; d++) {
		const struct pt_level_desc *l = &f->lvl[d];
		struct walk_level *w = &cpu->wl[d];
		bool last = d == f->levels - 1;

		memset(w, 0, sizeof(*w));
		w->shift = l->shift;
		w->entry_shift = (uint8_t)(l->shift - cpu->wc.esz_log2);
		w->entry_mask = ((1ULL << l->bits) - 1) << cpu->wc.esz_log2;
		w->from_regs = d == 0 && f->root_regs;
		w->offset_mask = (1ULL << l->shift) - 1;
		w->implied = l->implied;
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

/* The entry of @esz bytes at @p, or what a read beyond RAM returns (@p
 * NULL): all ones. */
static inline uint64_t load_entry(const void *p, unsigned esz)
{
	if (!p)
		return esz == 8 ? ~0ULL : 0xffffffffULL;
	return esz == 8 ? *(const uint64_t *)p : *(const uint32_t *)p;
}

uint64_t mmu_read_entry(const struct vmsim_cpu *cpu, uint64_t pa)
{
	return load_entry(phys_to_host_range(cpu->pm, pa, cpu->fmt->entry_size),
			  cpu->fmt->entry_size);
}

static void write_entry(struct vmsim_cpu *cpu, uint64_t pa, uint64_t v)
{
	uint8_t *p = phys_to_host_range(cpu->pm, pa, cpu->fmt->entry_size);

	/* no memory there, or the simulator's own structures read as a
	 * table through a corrupted entry: the write goes nowhere */
	cpu->st.ad_writes++;
	if (!p || frame_holds_host_structs(cpu->pm, (unsigned long)(pa >> PAGE_SHIFT)))
		return;
	if (cpu->fmt->entry_size == 8)
		*(uint64_t *)(void *)p = v;
	else
		*(uint32_t *)(void *)p = (uint32_t)v;
}

/* Set A on the table entries at @epa[from..d) where it is clear (the
 * entries read again: a locked OR, as the hardware's), and @want on the
 * leaf @e at @epa[d].  Rare: Linux makes its tables with A set.  Returns
 * the leaf as written. */
static __attribute__((noinline)) uint64_t set_ad(struct vmsim_cpu *cpu, const uint64_t *epa,
						 unsigned from, unsigned d, uint64_t e,
						 uint64_t want)
{
	for (unsigned i = from; i < d; i++) {
		uint64_t t;

		if (cpu->wl[i].implied & _PAGE_ACCESSED)
			continue;	/* the level has no A (PAE's PDPTEs) */
		t = mmu_read_entry(cpu, epa[i]);
		if (!(t & _PAGE_ACCESSED))
			write_entry(cpu, epa[i], t | _PAGE_ACCESSED);
	}
	if ((e & want) != want)
		write_entry(cpu, epa[d], e |= want);
	return e;
}

enum { WALK_COMMIT = 1, WALK_TLB = 2 };

/* The end of a walk from depth @from that faulted at depth @d: the error
 * code from what decided it (@err: P, RSVD) and the access. */
static bool walk_fault(struct vmsim_cpu *cpu, uint64_t va, enum mmu_access acc,
		       enum mmu_mode mode, struct vmsim_fault *f, uint32_t err, unsigned from,
		       unsigned d, unsigned flags)
{
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
	if (flags & WALK_COMMIT) {
		cpu->st.entries_read += d + 1 - from;
		cpu->st.ended_at[d]++;
		cpu->st.faults++;
	}
	return false;
}

/*
 * The walk from @root (or, for a TLB walk, from the deepest paging-structure
 * cache entry for @va).  @flags: WALK_COMMIT for the hardware's side effects
 * (A/D, statistics), WALK_TLB for a walk from CR3 that uses and fills the
 * paging-structure caches.  @trace (may be NULL) receives each entry read.
 */
static inline __attribute__((always_inline)) bool
walk(struct vmsim_cpu *cpu, uint64_t root, uint64_t va, enum mmu_access acc, enum mmu_mode mode,
     struct walk_result *r, struct vmsim_fault *f, struct walk_trace *trace, unsigned flags)
{
	const struct walk_consts *wc = &cpu->wc;
	const unsigned esz = wc->esz, last = wc->last;
	const uint64_t amask = wc->addr_mask;
	const uint8_t *ram = cpu->pm->ram;
	/* AND of the entries used (with what a level implies) gives R/W,
	 * U/S and "all accessed"; their OR gives NX */
	uint64_t table = root & wc->root_mask, e, all = ~0ULL, any = 0;
	/* per depth, for the A writes and the caches: the entry's address,
	 * the table it is in, and the rights down to it */
	uint64_t epa[PT_MAX_LEVELS], tables[PT_MAX_LEVELS], alls[PT_MAX_LEVELS], anys[PT_MAX_LEVELS];
	unsigned d = 0, from;

	if (trace)
		trace->n = 0;
	/* (a TLB walk's address is canonical: the TLB checked it first) */
	if (!(flags & WALK_TLB) && __builtin_expect(!cpu_va_canonical(cpu, va), 0)) {
		f->addr = va;
		f->error_code = 0;
		f->depth = -1;
		f->gp = true;
		if (flags & WALK_COMMIT)
			cpu->st.faults++;
		return false;
	}
	if (flags & WALK_COMMIT)
		cpu->st.walks++;
	if (flags & WALK_TLB) {
		d = psc_lookup(cpu, va, &table, &all, &any);
		cpu->st.psc_refs_saved += d;
	}
	from = d;
	for (;; d++) {
		const struct walk_level *wl = &cpu->wl[d];
		const uint64_t off = (va >> wl->entry_shift) & wl->entry_mask, pa = table + off;

		/* phys_to_host_range() for the one load of the hot path:
		 * a table is aligned to its size and RAM a whole number of
		 * pages, so a table inside RAM holds every entry of it */
		if (__builtin_expect(wl->from_regs, 0) && table == (cpu->cr3 & wc->root_mask)) {
			/* PAE's PDPTE registers, loaded with CR3: no memory
			 * reference (SDM vol. 3 section 4.4.1), so one off the
			 * count of the depths read that the walk's end adds */
			e = cpu->root_regs[off >> wc->esz_log2];
			if (flags & WALK_COMMIT) {
				cpu->st.root_regs_used++;
				cpu->st.entries_read--;
			}
		} else if (__builtin_expect(table < cpu->ram_size, 1)) {
			e = esz == 8 ? *(const uint64_t *)(ram + pa) : *(const uint32_t *)(ram + pa);
		} else {
			e = load_entry(NULL, esz);
		}
		if (trace)
			trace->lv[trace->n++] = (__typeof__(trace->lv[0])){
				d, (unsigned)(off >> wc->esz_log2), table, pa, e };
		epa[d] = pa;
		tables[d] = table;
		/* one test for the usual table entry or 4 KiB leaf: present,
		 * no reserved bit, and (above the last level) PS clear */
		if (__builtin_expect(((e ^ _PAGE_PRESENT) & wl->stop) != 0, 0)) {
			if (!(e & _PAGE_PRESENT))
				return walk_fault(cpu, va, acc, mode, f, 0, from, d, flags);
			if (d == last || !(e & wl->ps_mask) || (e & wl->rsvd_large))
				return walk_fault(cpu, va, acc, mode, f, X86_PF_PROT | X86_PF_RSVD,
						  from, d, flags);
			break;	/* a large leaf */
		}
		if (d == last)
			break;
		all &= e | wl->implied;
		any |= e;
		alls[d] = all;
		anys[d] = any;
		table = e & amask;
	}
	{
		const uint64_t above = all;
		const unsigned shift = cpu->wl[d].shift;
		const uint64_t offset_mask = cpu->wl[d].offset_mask;
		const uint64_t want = _PAGE_ACCESSED | (acc == MMU_WRITE ? _PAGE_DIRTY : 0);
		/* R/W and U/S of every level ANDed, NX of any level: TLB_R_W
		 * and TLB_R_U are _PAGE_RW and _PAGE_USER one bit down */
		const uint8_t rights = (uint8_t)(((all & e) >> 1 & (TLB_R_W | TLB_R_U)) |
						 ((any | e) & wc->nx_bit ? 0 : TLB_R_X));
		uint64_t base = e & amask & ~offset_mask;

		/* the permission check is the TLB's: ok_table holds the SDM
		 * rules for each rights value under the current CR0.WP, SMEP
		 * and SMAP (tlb_ok_mask(); with D given, as the walk sets D) */
		if (!(cpu->ok_table[rights | TLB_R_D] >> TLB_OK_BIT(acc, mode) & 1))
			return walk_fault(cpu, va, acc, mode, f, X86_PF_PROT, from, d, flags);
		if (d != last && wc->large_hi_bits)	/* PSE-36 */
			base |= ((e >> wc->large_hi_src) & ((1ULL << wc->large_hi_bits) - 1))
				<< wc->large_hi_dst;
		if (flags & WALK_COMMIT) {
			/* the steady state: every A (and D) already set; next,
			 * the first use of a page (or write to it) under tables
			 * with A set: the leaf alone, written where it was read */
			if (__builtin_expect(!(above & _PAGE_ACCESSED) || (e & want) != want, 0))
				e = set_ad(cpu, epa, above & _PAGE_ACCESSED ? d : from, d, e, want);
			cpu->st.entries_read += d + 1 - from;
			cpu->st.ended_at[d]++;
			cpu->st.mapped_at[d]++;
			if ((flags & WALK_TLB) && d > from)
				psc_fill(cpu, va, from, d, tables, alls, anys);
		}
		r->page_pa = base;
		r->pa = base | (va & offset_mask);
		r->shift = shift;
		r->depth = d;
		r->leaf = e;
		r->rights = (uint8_t)(rights | (e & _PAGE_DIRTY ? TLB_R_D : 0) |
				      (e & _PAGE_GLOBAL ? TLB_R_G : 0));
		return true;
	}
}

/* Two compiled copies of walk(): the TLB's, with its flags constant and no
 * trace, and the paging-structure cache lookup and fill inline (bench_mmu
 * miss 16384 under callgrind: 22 % fewer instructions a walk than through
 * the general copy and calls), and the general one. */
static __attribute__((noinline)) bool walk_any(struct vmsim_cpu *cpu, uint64_t root, uint64_t va,
					       enum mmu_access acc, enum mmu_mode mode,
					       struct walk_result *r, struct vmsim_fault *f,
					       struct walk_trace *trace, unsigned flags)
{
	return walk(cpu, root, va, acc, mode, r, f, trace, flags);
}

bool mmu_walk(struct vmsim_cpu *cpu, uint64_t root, uint64_t va, enum mmu_access acc,
	      enum mmu_mode mode, struct walk_result *r, struct vmsim_fault *f,
	      struct walk_trace *trace)
{
	return walk_any(cpu, root, va, acc, mode, r, f, trace, WALK_COMMIT);
}

bool mmu_walk_peek(struct vmsim_cpu *cpu, uint64_t root, uint64_t va, enum mmu_access acc,
		   enum mmu_mode mode, struct walk_result *r, struct vmsim_fault *f,
		   struct walk_trace *trace)
{
	return walk_any(cpu, root, va, acc, mode, r, f, trace, 0);
}

bool mmu_walk_tlb(struct vmsim_cpu *cpu, uint64_t va, enum mmu_access acc, enum mmu_mode mode,
		  struct walk_result *r, struct vmsim_fault *f)
{
	return walk(cpu, cpu->cr3, va, acc, mode, r, f, NULL, WALK_COMMIT | WALK_TLB);
}
