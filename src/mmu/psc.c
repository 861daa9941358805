/*
 * Paging-structure caches (Intel SDM vol. 3 section 4.10.3): for each depth
 * above the leaves, a small set-associative cache of the table entries
 * walks used, named by what they hold -- the PML5E, PML4E, PDPTE and PDE
 * caches of 4- and 5-level paging, the PDE cache of 32-bit and PAE paging
 * (whose PDPTEs sit in registers, cpu->root_regs, and have no cache).
 *
 * An entry of the cache of depth d is tagged by the PCID and the address
 * bits above depth d's shift, and holds the physical address of the table
 * below and the rights of the entries down to depth d (R/W and U/S ANDed,
 * NX ORed).  Invariants: an entry was made by a successful walk under its
 * PCID from entries with P=1, no reserved bit, PS=0 (a table entry) and A
 * set; it is never global (G is a leaf's bit); it stays until evicted or
 * invalidated, whatever RAM says since -- a write to a table entry without
 * INVLPG is not seen, as on the hardware.  Invalidation: INVLPG and
 * INVPCID drop every entry of the PCID whatever its address, a CR3 load
 * without the no-flush bit drops the PCID's, a #PF those its address
 * would use, a CR4 change all.
 */
#include "mmu/psc.h"

#include <errno.h>
#include <string.h>

#include "util/error.h"

static const struct cfg_tlb *psc_geometry(const struct vmsim_config *cfg, const char *intel,
					  const char **name)
{
	static const struct {
		const char *intel, *name;
		size_t off;
	} by[] = {
		{ "PML5E", "pml5e_cache", offsetof(struct vmsim_config, pml5e_cache) },
		{ "PML4E", "pml4e_cache", offsetof(struct vmsim_config, pml4e_cache) },
		{ "PDPTE", "pdpte_cache", offsetof(struct vmsim_config, pdpte_cache) },
		{ "PDE", "pde_cache", offsetof(struct vmsim_config, pde_cache) },
	};

	for (size_t i = 0; i < sizeof(by) / sizeof(by[0]); i++)
		if (strcmp(intel, by[i].intel) == 0) {
			*name = by[i].name;
			return (const struct cfg_tlb *)(const void *)((const char *)cfg + by[i].off);
		}
	return NULL;
}

void psc_finish(struct vmsim_cpu *cpu)
{
	for (unsigned d = 0; d < PT_MAX_LEVELS; d++) {
		struct psc *c = &cpu->psc[d];

		if (c->tag)
			host_free(cpu->ha, c->tag, sizeof(*c->tag) * c->entries);
		if (c->lru)
			host_free(cpu->ha, c->lru, sizeof(*c->lru) * c->entries);
		if (c->e)
			host_free(cpu->ha, c->e, sizeof(*c->e) * c->entries);
		memset(c, 0, sizeof(*c));
	}
}

int psc_init(struct vmsim_cpu *cpu, const struct vmsim_config *cfg, struct vmsim_error *err)
{
	const struct pt_format *f = cpu->fmt;

	for (unsigned d = 0; d + 1 < f->levels; d++) {
		struct psc *c = &cpu->psc[d];
		const struct cfg_tlb *g = psc_geometry(cfg, f->lvl[d].intel, &c->name);
		unsigned sets;

		/* entries loaded at the CR3 load are registers, not a cache */
		if (!g || !g->entries || (d == 0 && f->root_regs))
			continue;
		sets = g->ways ? g->entries / g->ways : 0;
		if (!g->ways || g->entries % g->ways || (sets & (sets - 1)) || g->ways > 64) {
			psc_finish(cpu);
			return verr(err, -EINVAL, "tlb.%s: %u entries, %u ways: at most 64 ways and "
				    "a power-of-two number of sets", c->name, g->entries, g->ways);
		}
		c->entries = g->entries;
		c->ways = g->ways;
		c->shift = f->lvl[d].shift;
		c->set_mask = sets - 1;
		c->tag = host_alloc(cpu->ha, sizeof(*c->tag) * c->entries);
		c->lru = host_zalloc(cpu->ha, sizeof(*c->lru) * c->entries);
		c->e = host_zalloc(cpu->ha, sizeof(*c->e) * c->entries);
		if (!c->tag || !c->lru || !c->e) {
			psc_finish(cpu);
			return verr(err, -ENOMEM, "out of host memory for the paging-structure caches");
		}
		for (unsigned i = 0; i < c->entries; i++)
			c->tag[i] = PSC_TAG_INVALID;
	}
	return 0;
}

static void psc_invalidate(struct psc *c, unsigned i)
{
	c->nvalid -= c->tag[i] != PSC_TAG_INVALID;
	c->tag[i] = PSC_TAG_INVALID;
	c->lru[i] = 0;
}

void psc_flush_all(struct vmsim_cpu *cpu)
{
	for (unsigned d = 0; d < PT_MAX_LEVELS; d++) {
		struct psc *c = &cpu->psc[d];

		if (!c->nvalid)
			continue;
		memset(c->tag, 0xff, sizeof(*c->tag) * c->entries);	/* PSC_TAG_INVALID */
		memset(c->lru, 0, sizeof(*c->lru) * c->entries);
		c->nvalid = 0;
	}
}

void psc_flush_pcid(struct vmsim_cpu *cpu, unsigned pcid)
{
	/* without PCIDs every entry is PCID 0's: INVLPG, at every eviction
	 * of a replay in N frames, empties the caches at once */
	if (!cpu->pcid_enabled) {
		psc_flush_all(cpu);
		return;
	}
	for (unsigned d = 0; d < PT_MAX_LEVELS; d++)
		for (unsigned i = 0; cpu->psc[d].nvalid && i < cpu->psc[d].entries; i++)
			if (cpu->psc[d].tag[i] != PSC_TAG_INVALID &&
			    cpu->psc[d].tag[i] >> TLB_PCID_SHIFT == pcid)
				psc_invalidate(&cpu->psc[d], i);
}

void psc_drop_va(struct vmsim_cpu *cpu, uint64_t va)
{
	for (unsigned d = 0; d + 1 < cpu->fmt->levels; d++) {
		int i;

		if (cpu->psc[d].nvalid &&
		    (i = psc_find(&cpu->psc[d], psc_tag(cpu, &cpu->psc[d], va, cpu->pcid))) >= 0)
			psc_invalidate(&cpu->psc[d], (unsigned)i);
	}
}
