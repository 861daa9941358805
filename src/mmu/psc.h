/*
 * The walk's side of the paging-structure caches (psc.c): the lookup before
 * a TLB walk and the fill after it, inline in the walk (bench_mmu: the
 * calls were a fifth of a PDE-cache-hit walk's instructions).  Internal to
 * src/mmu.
 */
#ifndef VMSIM_MMU_PSC_H
#define VMSIM_MMU_PSC_H

#include "mmu/mmu.h"

#define PSC_TAG_INVALID (~0ULL)

/* The tag of @va's entry in @c under @pcid. */
static inline uint64_t psc_tag(const struct vmsim_cpu *cpu, const struct psc *c, uint64_t va,
			       unsigned pcid)
{
	return ((va & cpu->va_mask) >> c->shift) | (uint64_t)pcid << TLB_PCID_SHIFT;
}

/* Index of the entry of @c tagged @t, or -1.  The ways are compared
 * without a branch (callgrind's branch simulation on bench_mmu miss 16384:
 * the early exit mispredicted 0.7 times a miss), each a compare and a
 * cmov: a tag is at most once in its set (psc_fill() writes only tags
 * its walk's lookup did not find), so the match is the one way that
 * compares equal (5 instructions a way, against 9 for a bitmap of the
 * matches and its lowest bit). */
static inline int psc_find(const struct psc *c, uint64_t t)
{
	const unsigned base = (unsigned)(t & c->set_mask) * c->ways;
	const uint64_t *tag = &c->tag[base];
	int hit = -1;

	for (unsigned w = 0; w < c->ways; w++)
		hit = tag[w] == t ? (int)(base + w) : hit;
	return hit;
}

/* The deepest cached entry above the leaves for @va under the current
 * PCID: the depth the walk starts at (0 if none) and, if not 0, the table
 * there and the rights of the entries above it. */
static inline unsigned psc_lookup(struct vmsim_cpu *cpu, uint64_t va, uint64_t *table,
				  uint64_t *all, uint64_t *any)
{
	/* the deepest cache first: a hit there skips the most reads */
	for (unsigned d = cpu->wc.last; d-- > 0;) {
		struct psc *c = &cpu->psc[d];
		int i;

		if (!c->nvalid) {	/* none configured, or empty since a flush */
			c->misses += c->entries != 0;
			continue;
		}
		if ((i = psc_find(c, psc_tag(cpu, c, va, cpu->pcid))) < 0) {
			c->misses++;
			continue;
		}
		c->hits++;
		c->lru[i] = ++c->tick;
		*table = c->e[i].table;
		*all = c->e[i].all;
		*any = c->e[i].any;
		return d + 1;
	}
	return 0;
}

/* A walk succeeded: cache its table entries of depths [@from, @to), where
 * tables[d + 1] is the table entry d points to and all[d], any[d] the
 * rights down to d.  Each of those caches has just been searched in vain
 * by psc_lookup(): no search again. */
static inline void psc_fill(struct vmsim_cpu *cpu, uint64_t va, unsigned from, unsigned to,
			    const uint64_t *tables, const uint64_t *all, const uint64_t *any)
{
	for (unsigned d = from; d < to; d++) {
		struct psc *c = &cpu->psc[d];
		const uint64_t t = psc_tag(cpu, c, va, cpu->pcid);
		unsigned i;

		if (!c->entries)
			continue;
		/* the least recently used way, an invalid one (stamp 0) first:
		 * the minimum of the stamps carrying their way (no branch) */
		const unsigned base = (unsigned)(t & c->set_mask) * c->ways;
		uint64_t best = c->lru[base] << 6;

		for (unsigned j = 1; j < c->ways; j++) {
			const uint64_t x = c->lru[base + j] << 6 | j;

			best = x < best ? x : best;
		}
		i = base + (unsigned)(best & 63);
		c->nvalid += c->tag[i] == PSC_TAG_INVALID;
		c->tag[i] = t;
		c->lru[i] = ++c->tick;
		/* the walk has just set A on these entries */
		c->e[i] = (struct psc_entry){ tables[d + 1], all[d] | _PAGE_ACCESSED,
					      any[d] & cpu->wc.nx_bit };
	}
}

#endif
