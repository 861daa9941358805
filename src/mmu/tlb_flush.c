/*
 * TLB invalidation, as the instructions and events that drop entries do
 * it (Intel SDM vol. 3 section 4.10.4): a CR3 load (all non-global
 * entries, or with PCIDs those of the PCID loaded), INVLPG (every size of
 * page mapping an address, and all of the PCID's paging-structure cache
 * entries), INVPCID's four types, a PCID switch (the fast tables, which
 * carry no PCID) and a CR0.WP/CR4.SMEP/SMAP change (every entry's allowed
 * accesses again).  Invariant: an entry dropped leaves no fast slot
 * mirroring it, and the L2's recency word stays in the order of its
 * stamps (tlb_check()).
 */
#include "mmu/tlb_array.h"

#include <errno.h>

/* Invalidate way @i of @a, an L1 array of kind @k (its fast slots first)
 * or, for @k < 0, the L2 (its recency index too). */
static void way_drop(struct vmsim_cpu *cpu, struct tlb_array *a, int k, unsigned i)
{
	if (k >= 0)
		fast_forget(cpu, (unsigned)k, a, i);
	way_invalidate(a, i);
	if (a->order)
		order_drop(a, i / a->ways, i % a->ways);
}

/* Drop the entries of @a (as for way_drop()) that map @va under the
 * current PCID or globally: one set searched per page size. */
static void array_drop_va(struct vmsim_cpu *cpu, struct tlb_array *a, int k, uint64_t va)
{
	for (unsigned j = 0; a->nvalid && j < a->nshifts; j++) {
		const unsigned shift = a->shifts[j];
		const uint64_t key = make_key(cpu, va, shift, cpu->pcid);
		const unsigned base = (unsigned)((va >> shift) & a->set_mask) * a->ways;
		uint64_t m = shift == 12 || a->nlarge ? sig_match(&a->sig[base], a->ways,
								  a->all_ways, tag_sig(key)) : 0;

		for (; m; m &= m - 1) {
			const unsigned i = base + (unsigned)__builtin_ctzll(m);

			if (a->tag[i] == key || a->tag[i] == global_key(key))
				way_drop(cpu, a, k, i);
		}
	}
}

void tlb_drop_va(struct vmsim_cpu *cpu, uint64_t va, unsigned l1, bool l2)
{
	for (unsigned k = 0; k < TLB_NR_KINDS; k++)
		if (l1 >> k & 1) {
			array_drop_va(cpu, &cpu->l1[k], (int)k, va);
			array_drop_va(cpu, &cpu->l1_large[k], (int)k, va);
		}
	if (l2)
		array_drop_va(cpu, &cpu->l2, -1, va);
}

typedef bool (*entry_pred)(const struct tlb_array *a, unsigned i, uint64_t arg);

static void flush_where(struct vmsim_cpu *cpu, entry_pred pred, uint64_t arg)
{
	for (unsigned k = 0; k < TLB_NR_KINDS; k++) {
		struct tlb_array *arrs[2] = { &cpu->l1[k], &cpu->l1_large[k] };

		for (unsigned j = 0; j < 2; j++)
			for (unsigned i = 0; arrs[j]->nvalid && i < arrs[j]->entries; i++)
				if (arrs[j]->tag[i] != TLB_TAG_INVALID && pred(arrs[j], i, arg))
					way_invalidate(arrs[j], i);
		fast_clear(cpu, k);
		cpu->st_l1[k].flushes++;
	}
	/* only the ways it drops move in their set's recency index */
	for (unsigned i = 0; cpu->l2.nvalid && i < cpu->l2.entries; i++)
		if (cpu->l2.tag[i] != TLB_TAG_INVALID && pred(&cpu->l2, i, arg)) {
			way_invalidate(&cpu->l2, i);
			if (cpu->l2.order)
				order_drop(&cpu->l2, i / cpu->l2.ways, i % cpu->l2.ways);
		}
	cpu->st_l2.flushes++;
}

static bool pred_all(const struct tlb_array *a, unsigned i, uint64_t arg)
{
	(void)a;
	(void)i;
	(void)arg;
	return true;
}

static bool pred_nonglobal(const struct tlb_array *a, unsigned i, uint64_t arg)
{
	(void)arg;
	return !(a->tag[i] & TLB_TAG_G);
}

static bool pred_pcid(const struct tlb_array *a, unsigned i, uint64_t pcid)
{
	return !(a->tag[i] & TLB_TAG_G) && a->e[i].pcid == pcid;
}

/* INVPCID type 0's: a non-global entry of a PCID that maps an address
 * (@arg: the key of its 4 KiB page under the PCID, make_key()) */
static bool pred_pcid_va(const struct tlb_array *a, unsigned i, uint64_t key)
{
	const unsigned up = a->e[i].shift - 12;

	return pred_pcid(a, i, key >> TLB_PCID_SHIFT) &&
	       (a->tag[i] & TLB_TAG_VPN_MASK) == (key & TLB_TAG_VPN_MASK) >> up;
}

/* (paging-structure cache entries are never global: every flush below
 * but INVLPG's drops them too) */
void tlb_flush_all(struct vmsim_cpu *cpu)
{
	EV(cpu->events, "tlb_flush", "cpu=%d what=all", cpu->id);
	flush_where(cpu, pred_all, 0);
	psc_flush_all(cpu);
}

void tlb_flush_nonglobal(struct vmsim_cpu *cpu)
{
	EV(cpu->events, "tlb_flush", "cpu=%d what=nonglobal", cpu->id);
	flush_where(cpu, pred_nonglobal, 0);
	psc_flush_all(cpu);
}

void tlb_flush_pcid(struct vmsim_cpu *cpu, unsigned pcid)
{
	EV(cpu->events, "tlb_flush", "cpu=%d what=pcid pcid=%u", cpu->id, pcid);
	flush_where(cpu, pred_pcid, pcid);
	psc_flush_pcid(cpu, pcid);
}

int invpcid(struct vmsim_cpu *cpu, unsigned type, unsigned pcid, uint64_t va)
{
	if (type > INVPCID_ALL_NONGLOBAL || pcid > 0xfff ||
	    (type == INVPCID_ADDR && !pt_va_canonical(cpu->fmt, va)))
		return -EINVAL;	/* #GP(0) */
	switch (type) {
	case INVPCID_ADDR:
		EV(cpu->events, "tlb_flush", "cpu=%d what=invpcid pcid=%u va=%#llx", cpu->id, pcid,
		   (unsigned long long)va);
		flush_where(cpu, pred_pcid_va, make_key(cpu, va, 12, pcid));
		psc_flush_pcid(cpu, pcid);
		break;
	case INVPCID_SINGLE:
		tlb_flush_pcid(cpu, pcid);
		break;
	case INVPCID_ALL:
		tlb_flush_all(cpu);
		break;
	default:
		tlb_flush_nonglobal(cpu);
	}
	return 0;
}

void invlpg(struct vmsim_cpu *cpu, uint64_t va)
{
	EV(cpu->events, "tlb_flush", "cpu=%d what=invlpg va=%#llx", cpu->id, (unsigned long long)va);
	for (unsigned k = 0; k < TLB_NR_KINDS; k++)
		cpu->st_l1[k].invlpg++;
	cpu->st_l2.invlpg++;
	/* INVLPG of a non-canonical address is a no-op (nothing maps it) */
	if (!pt_va_canonical(cpu->fmt, va))
		return;
	/* the paging-structure caches: every entry of the PCID, whatever
	 * address it is for (SDM vol. 3 section 4.10.4.1) */
	psc_flush_pcid(cpu, cpu->pcid);
	tlb_drop_va(cpu, va, 1u << TLB_D | 1u << TLB_I, true);
}

void tlb_switch_pcid(struct vmsim_cpu *cpu, unsigned pcid)
{
	/* fast slots carry no PCID: those of the old one must go (the model
	 * arrays keep their entries, tagged with their PCID) */
	if (pcid != cpu->pcid) {
		fast_clear(cpu, TLB_D);
		fast_clear(cpu, TLB_I);
	}
	cpu->pcid = pcid;
}

void tlb_recompute_ok(struct vmsim_cpu *cpu)
{
	for (unsigned r = 0; r < 32; r++)
		cpu->ok_table[r] = tlb_ok_mask(cpu, (uint8_t)r);
	struct tlb_array *arrs[5] = { &cpu->l1[0], &cpu->l1[1], &cpu->l1_large[0],
				      &cpu->l1_large[1], &cpu->l2 };

	for (unsigned j = 0; j < 5; j++)
		for (unsigned i = 0; i < arrs[j]->entries; i++)
			if (arrs[j]->tag[i] != TLB_TAG_INVALID)
				arrs[j]->e[i].ok = tlb_ok_mask(cpu, arrs[j]->e[i].rights);
	fast_clear(cpu, TLB_D);
	fast_clear(cpu, TLB_I);
}
