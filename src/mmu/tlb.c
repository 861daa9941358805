/*
 * The TLB model and the out-of-line half of translate(): L1 miss -> L2 ->
 * page walk -> refill.  See mmu.h for the geometry.
 *
 * Invariants:
 *  - an array's sets are a power of two; an entry of page size 2^s for va
 *    sits in set (va >> s) & set_mask, and a tag appears at most once per
 *    array for one page size and PCID;
 *  - every valid fast-table slot mirrors a valid L1 entry (same tag, PCID
 *    mask, rights) and points at its lru stamp; whenever an L1 entry is
 *    evicted, invalidated or its rights change, the slots mirroring it are
 *    cleared first (tests check this with tlb_check());
 *  - a translation that faults leaves no entry for its address (the
 *    hardware invalidates on #PF); a write through an entry whose D was
 *    clear re-walks so the walk can set D.
 */
#include "mmu/mmu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/list.h"

static uint64_t dummy_lru;	/* what invalid fast slots point at */

static inline void fast_invalidate_slot(struct tlb_fast *s)
{
	s->tag = TLB_TAG_INVALID;
	s->mask = TLB_TAG_INVALID;
	s->pa_ok = 0;
	s->lru = &dummy_lru;
}

static void fast_clear(struct vmsim_cpu *cpu, unsigned k)
{
	for (uint64_t i = 0; i <= cpu->fast_mask[k]; i++)
		fast_invalidate_slot(&cpu->fast[k][i]);
}

/* Drop every fast slot that mirrors @e (an entry of an L1 array of @k). */
static void fast_forget(struct vmsim_cpu *cpu, unsigned k, struct tlb_entry *e)
{
	if (e->shift == 12) {
		struct tlb_fast *s = &cpu->fast[k][(e->tag & ~TLB_PCID_MASK) & cpu->fast_mask[k]];

		if (s->lru == &e->lru)
			fast_invalidate_slot(s);
		return;
	}
	/* a large entry may back a slot per 4 KiB page it covers */
	for (uint64_t i = 0; i <= cpu->fast_mask[k]; i++)
		if (cpu->fast[k][i].lru == &e->lru)
			fast_invalidate_slot(&cpu->fast[k][i]);
}

static inline void entry_invalidate(struct tlb_entry *e)
{
	e->tag = TLB_TAG_INVALID;
	e->mask = TLB_TAG_INVALID;
	e->ok = 0;
	e->rights = 0;
}

static inline bool entry_valid(const struct tlb_entry *e)
{
	return e->tag != TLB_TAG_INVALID;
}

unsigned tlb_array_valid(const struct tlb_array *a)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->entries; i++)
		n += entry_valid(&a->e[i]);
	return n;
}

uint8_t tlb_ok_mask(const struct vmsim_cpu *cpu, uint8_t r)
{
	bool w = r & TLB_R_W, u = r & TLB_R_U, x = r & TLB_R_X, d = r & TLB_R_D;
	uint8_t ok = 0;

	/* a write needs D already set in the entry: else re-walk to set it */
	if (!(u && cpu->smap))
		ok |= 1u << TLB_OK_BIT(MMU_READ, MMU_KERNEL);
	if ((w || !cpu->wp) && d && !(u && cpu->smap))
		ok |= 1u << TLB_OK_BIT(MMU_WRITE, MMU_KERNEL);
	if (x && !(u && cpu->smep))
		ok |= 1u << TLB_OK_BIT(MMU_FETCH, MMU_KERNEL);
	if (u)
		ok |= 1u << TLB_OK_BIT(MMU_READ, MMU_USER);
	if (u && w && d)
		ok |= 1u << TLB_OK_BIT(MMU_WRITE, MMU_USER);
	if (u && x)
		ok |= 1u << TLB_OK_BIT(MMU_FETCH, MMU_USER);
	return ok;
}

static inline uint64_t make_tag(uint64_t va, unsigned shift, unsigned pcid)
{
	return va >> shift | (uint64_t)pcid << TLB_PCID_SHIFT;	/* va >> 12 fills bits 0..51 */
}

/* The entry of @a mapping @va for the current PCID (or a global one). */
static struct tlb_entry *array_find(struct tlb_array *a, uint64_t va, unsigned pcid)
{
	for (unsigned i = 0; i < a->nshifts; i++) {
		unsigned s = a->shifts[i];
		uint64_t tag = make_tag(va, s, pcid);
		struct tlb_entry *set = &a->e[((va >> s) & a->set_mask) * a->ways];

		for (unsigned w = 0; w < a->ways; w++)
			if (((set[w].tag ^ tag) & set[w].mask) == 0 && set[w].shift == s &&
			    set[w].tag != TLB_TAG_INVALID)
				return &set[w];
	}
	return NULL;
}

static bool array_holds(const struct tlb_array *a, unsigned shift)
{
	for (unsigned i = 0; i < a->nshifts; i++)
		if (a->shifts[i] == shift)
			return true;
	return false;
}

/*
 * Put a translation into @a: reuse the entry that already has this tag,
 * else an invalid way, else evict the least recently used.  @k is the L1
 * kind whose fast table mirrors @a, or -1 for L2.  Returns the entry.
 */
static struct tlb_entry *array_insert(struct vmsim_cpu *cpu, struct tlb_array *a, int k,
				      struct tlb_stats *st, uint64_t va, unsigned shift,
				      uint64_t page_pa, uint8_t rights, unsigned depth,
				      uint64_t stamp)
{
	uint64_t tag = make_tag(va, shift, cpu->pcid);
	struct tlb_entry *set = &a->e[((va >> shift) & a->set_mask) * a->ways];
	struct tlb_entry *victim = NULL;

	/* the one tag that equals the invalid marker (top page, PCID 4095)
	 * is never cached: it always walks */
	if (tag == TLB_TAG_INVALID)
		return NULL;

	for (unsigned w = 0; w < a->ways; w++) {
		struct tlb_entry *e = &set[w];

		if (e->tag == tag && e->shift == shift) {
			victim = e;
			break;
		}
		if (!entry_valid(e)) {
			if (!victim || entry_valid(victim))
				victim = e;
		} else if (!victim || (entry_valid(victim) && e->lru < victim->lru)) {
			victim = e;
		}
	}
	if (entry_valid(victim)) {
		if (k >= 0)
			fast_forget(cpu, (unsigned)k, victim);
		if (victim->tag != tag || victim->shift != shift) {
			a->evictions++;
			st->evictions++;
		}
	}
	victim->tag = tag;
	victim->mask = rights & TLB_R_G ? ~TLB_PCID_MASK : ~0ULL;
	victim->pa = page_pa;
	victim->lru = stamp;
	victim->pcid = (uint16_t)cpu->pcid;
	victim->shift = (uint8_t)shift;
	victim->rights = rights;
	victim->ok = tlb_ok_mask(cpu, rights);
	victim->depth = (uint8_t)depth;
	st->fills++;
	return victim;
}

/* Mirror L1 entry @e into the fast table of @k for the 4 KiB page of @va. */
static inline void fast_fill(struct vmsim_cpu *cpu, unsigned k, struct tlb_entry *e, uint64_t va)
{
	uint64_t vpn = va >> 12;
	struct tlb_fast *s;

	s = &cpu->fast[k][vpn & cpu->fast_mask[k]];
	s->tag = vpn | (uint64_t)e->pcid << TLB_PCID_SHIFT;
	s->mask = e->mask;
	s->pa_ok = (e->pa + (va & ((1ULL << e->shift) - 1) & ~0xfffULL)) | e->ok;
	s->lru = &e->lru;
}

static struct tlb_entry *l1_find(struct vmsim_cpu *cpu, unsigned k, uint64_t va)
{
	struct tlb_entry *e = NULL;

	if (cpu->l1[k].entries)
		e = array_find(&cpu->l1[k], va, cpu->pcid);
	if (!e && cpu->l1_large[k].entries)
		e = array_find(&cpu->l1_large[k], va, cpu->pcid);
	return e;
}

/* Fill L1 of @k from a translation; large pages go to the large array,
 * or are split to their 4 KiB piece when there is none. */
static struct tlb_entry *l1_fill(struct vmsim_cpu *cpu, unsigned k, uint64_t va,
				 unsigned shift, uint64_t page_pa, uint8_t rights, unsigned depth)
{
	struct tlb_array *a = &cpu->l1[k];

	if (shift != 12) {
		if (cpu->l1_large[k].entries && array_holds(&cpu->l1_large[k], shift)) {
			a = &cpu->l1_large[k];
		} else {
			page_pa += va & ((1ULL << shift) - 1) & ~0xfffULL;
			shift = 12;
		}
	}
	if (!a->entries)
		return NULL;
	return array_insert(cpu, a, (int)k, &cpu->st_l1[k], va, shift, page_pa, rights, depth,
			    ++cpu->tick[k]);
}

static void l1_drop_va(struct vmsim_cpu *cpu, unsigned k, uint64_t va)
{
	struct tlb_array *arrs[2] = { &cpu->l1[k], &cpu->l1_large[k] };

	for (unsigned i = 0; i < 2; i++) {
		struct tlb_entry *e;

		while (arrs[i]->entries && (e = array_find(arrs[i], va, cpu->pcid))) {
			fast_forget(cpu, k, e);
			entry_invalidate(e);
		}
	}
}

static void l2_drop_va(struct vmsim_cpu *cpu, uint64_t va)
{
	struct tlb_entry *e;

	while (cpu->l2.entries && (e = array_find(&cpu->l2, va, cpu->pcid)))
		entry_invalidate(e);
}

bool mmu_translate_slow(struct vmsim_cpu *cpu, uint64_t va, enum mmu_access acc,
			enum mmu_mode mode, uint64_t *pa, struct vmsim_fault *f)
{
	const unsigned k = acc == MMU_FETCH;
	const uint8_t bit = (uint8_t)(1u << TLB_OK_BIT(acc, mode));
	struct tlb_entry *e = l1_find(cpu, k, va);
	struct walk_result r;

	if (e) {
		if (e->ok & bit) {
			/* a hit the fast table did not hold (slot collision) */
			e->lru = ++cpu->tick[k];
			fast_fill(cpu, k, e, va);
			*pa = e->pa + (va & ((1ULL << e->shift) - 1));
			return true;
		}
		/* clean entry written, or rights refused: the hardware
		 * re-walks (and faults if the tables still say no) */
		cpu->st_l1[k].misses++;
		cpu->st_l2.misses++;
	} else {
		cpu->st_l1[k].misses++;
		if (cpu->l2.entries) {
			struct tlb_entry *e2 = array_find(&cpu->l2, va, cpu->pcid);

			if (e2 && (e2->ok & bit)) {
				cpu->st_l2.hits++;
				e2->lru = ++cpu->tick_l2;
				e = l1_fill(cpu, k, va, e2->shift, e2->pa, e2->rights, e2->depth);
				if (e)
					fast_fill(cpu, k, e, va);
				*pa = e2->pa + (va & ((1ULL << e2->shift) - 1));
				return true;
			}
			cpu->st_l2.misses++;
		}
	}

	if (!mmu_walk(cpu, cpu->cr3, va, acc, mode, &r, f, NULL)) {
		/* #PF invalidates the TLB entries for the faulting address */
		l1_drop_va(cpu, TLB_D, va);
		l1_drop_va(cpu, TLB_I, va);
		l2_drop_va(cpu, va);
		return false;
	}
	if (cpu->l2.entries && array_holds(&cpu->l2, r.shift))
		array_insert(cpu, &cpu->l2, -1, &cpu->st_l2, va, r.shift, r.page_pa, r.rights,
			     r.depth, ++cpu->tick_l2);
	e = l1_fill(cpu, k, va, r.shift, r.page_pa, r.rights, r.depth);
	if (e)
		fast_fill(cpu, k, e, va);
	*pa = r.pa;
	return true;
}

/* ---- flushes ---- */

typedef bool (*entry_pred)(const struct tlb_entry *e, uint64_t arg);

static void flush_where(struct vmsim_cpu *cpu, entry_pred pred, uint64_t arg)
{
	for (unsigned k = 0; k < TLB_NR_KINDS; k++) {
		struct tlb_array *arrs[2] = { &cpu->l1[k], &cpu->l1_large[k] };

		for (unsigned i = 0; i < 2; i++)
			for (unsigned j = 0; j < arrs[i]->entries; j++)
				if (entry_valid(&arrs[i]->e[j]) && pred(&arrs[i]->e[j], arg))
					entry_invalidate(&arrs[i]->e[j]);
		fast_clear(cpu, k);
		cpu->st_l1[k].flushes++;
	}
	for (unsigned j = 0; j < cpu->l2.entries; j++)
		if (entry_valid(&cpu->l2.e[j]) && pred(&cpu->l2.e[j], arg))
			entry_invalidate(&cpu->l2.e[j]);
	cpu->st_l2.flushes++;
}

static bool pred_all(const struct tlb_entry *e, uint64_t arg)
{
	(void)e;
	(void)arg;
	return true;
}

static bool pred_nonglobal(const struct tlb_entry *e, uint64_t arg)
{
	(void)arg;
	return !(e->rights & TLB_R_G);
}

static bool pred_pcid(const struct tlb_entry *e, uint64_t pcid)
{
	return !(e->rights & TLB_R_G) && e->pcid == pcid;
}

void tlb_flush_all(struct vmsim_cpu *cpu)
{
	flush_where(cpu, pred_all, 0);
}

void tlb_flush_nonglobal(struct vmsim_cpu *cpu)
{
	flush_where(cpu, pred_nonglobal, 0);
}

void tlb_flush_pcid(struct vmsim_cpu *cpu, unsigned pcid)
{
	flush_where(cpu, pred_pcid, pcid);
}

void invlpg(struct vmsim_cpu *cpu, uint64_t va)
{
	for (unsigned k = 0; k < TLB_NR_KINDS; k++) {
		l1_drop_va(cpu, k, va);
		cpu->st_l1[k].invlpg++;
	}
	l2_drop_va(cpu, va);
	cpu->st_l2.invlpg++;
}

void tlb_recompute_ok(struct vmsim_cpu *cpu)
{
	struct tlb_array *arrs[5] = { &cpu->l1[0], &cpu->l1[1], &cpu->l1_large[0],
				      &cpu->l1_large[1], &cpu->l2 };

	for (unsigned i = 0; i < 5; i++)
		for (unsigned j = 0; j < arrs[i]->entries; j++)
			if (entry_valid(&arrs[i]->e[j]))
				arrs[i]->e[j].ok = tlb_ok_mask(cpu, arrs[i]->e[j].rights);
	fast_clear(cpu, TLB_D);
	fast_clear(cpu, TLB_I);
}

void tlb_get_stats(const struct vmsim_cpu *cpu, unsigned level, struct tlb_stats *out)
{
	if (level >= TLB_NR_KINDS) {
		*out = cpu->st_l2;
		return;
	}
	*out = cpu->st_l1[level];
	out->hits = cpu->tick[level] - cpu->st_l1[level].fills;
}

struct tlb_entry *tlb_array_lookup(struct tlb_array *a, uint64_t va, unsigned pcid)
{
	return a->entries ? array_find(a, va, pcid) : NULL;
}

int tlb_check(struct vmsim_cpu *cpu, char *msg, size_t len)
{
	for (unsigned k = 0; k < TLB_NR_KINDS; k++) {
		for (uint64_t i = 0; i <= cpu->fast_mask[k]; i++) {
			const struct tlb_fast *s = &cpu->fast[k][i];
			const struct tlb_entry *e;
			bool found = false;

			if (s->tag == TLB_TAG_INVALID) {
				if (s->pa_ok & 0xfff) {
					snprintf(msg, len, "fast[%u][%llu] invalid with ok bits", k,
						 (unsigned long long)i);
					return -1;
				}
				continue;
			}
			if (((s->tag & ~TLB_PCID_MASK) & cpu->fast_mask[k]) != i) {
				snprintf(msg, len, "fast[%u][%llu] in the wrong slot", k,
					 (unsigned long long)i);
				return -1;
			}
			e = container_of(s->lru, struct tlb_entry, lru);
			for (unsigned a = 0; a < 2 && !found; a++) {
				const struct tlb_array *arr = a ? &cpu->l1_large[k] : &cpu->l1[k];

				found = arr->entries && e >= arr->e && e < arr->e + arr->entries;
			}
			if (!found || !entry_valid(e) || e->mask != s->mask ||
			    (s->pa_ok & 0xfff) != e->ok ||
			    (s->pa_ok & ~0xfffULL) !=
				    e->pa + (((s->tag & ~TLB_PCID_MASK) << 12) & ((1ULL << e->shift) - 1)) ||
			    ((s->tag & ~TLB_PCID_MASK) >> (e->shift - 12)) != (e->tag & ~TLB_PCID_MASK) ||
			    (s->tag >> TLB_PCID_SHIFT) != e->pcid) {
				snprintf(msg, len, "fast[%u][%llu] does not mirror a valid L1 entry", k,
					 (unsigned long long)i);
				return -1;
			}
		}
	}
	{
		struct tlb_array *arrs[5] = { &cpu->l1[0], &cpu->l1[1], &cpu->l1_large[0],
					      &cpu->l1_large[1], &cpu->l2 };

		for (unsigned i = 0; i < 5; i++) {
			struct tlb_array *a = arrs[i];

			for (unsigned j = 0; j < a->entries; j++) {
				const struct tlb_entry *e = &a->e[j];
				unsigned set = j / a->ways;

				if (!entry_valid(e))
					continue;
				/* tag = va >> shift, set = (va >> shift) & set_mask */
				if (((e->tag & ~TLB_PCID_MASK) & a->set_mask) != set) {
					snprintf(msg, len, "%s entry %u in the wrong set", a->name, j);
					return -1;
				}
				if (e->ok != tlb_ok_mask(cpu, e->rights)) {
					snprintf(msg, len, "%s entry %u: stale permission mask", a->name, j);
					return -1;
				}
				for (unsigned w = j + 1; w < (set + 1) * a->ways; w++)
					if (a->e[w].tag == e->tag && a->e[w].shift == e->shift) {
						snprintf(msg, len, "%s set %u holds a tag twice", a->name, set);
						return -1;
					}
			}
		}
	}
	return 0;
}

/* ---- set-up ---- */

static int array_init(struct vmsim_cpu *cpu, struct tlb_array *a, const char *name,
		      const struct cfg_tlb *g, const uint8_t *shifts, unsigned nshifts,
		      struct vmsim_error *err)
{
	unsigned sets;

	memset(a, 0, sizeof(*a));
	a->name = name;
	if (!g->entries)
		return 0;	/* level absent */
	sets = g->ways ? g->entries / g->ways : 0;
	if (!g->ways || g->entries % g->ways || (sets & (sets - 1)))
		return verr(err, -EINVAL,
			    "tlb.%s: %u entries, %u ways: sets (entries / ways) must be a power of two",
			    name, g->entries, g->ways);
	a->entries = g->entries;
	a->ways = g->ways;
	a->sets = sets;
	a->set_mask = sets - 1;
	memcpy(a->shifts, shifts, nshifts);
	a->nshifts = nshifts;
	a->e = host_alloc(cpu->ha, sizeof(*a->e) * a->entries);
	if (!a->e)
		return verr(err, -ENOMEM, "out of host memory for tlb.%s", name);
	for (unsigned i = 0; i < a->entries; i++)
		entry_invalidate(&a->e[i]);
	return 0;
}

static void array_finish(struct vmsim_cpu *cpu, struct tlb_array *a)
{
	if (a->e)
		host_free(cpu->ha, a->e, sizeof(*a->e) * a->entries);
	a->e = NULL;
}

static uint64_t pow2_at_least(uint64_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* The fast table of @k: twice the L1 4 KiB entries, rounded up to a power
 * of two, so sequential working sets that fit the L1 never collide. */
static int fast_init(struct vmsim_cpu *cpu, unsigned k, struct vmsim_error *err)
{
	uint64_t n = pow2_at_least(2 * (uint64_t)(cpu->l1[k].entries + cpu->l1_large[k].entries));
	size_t bytes;

	if (n < 64)
		n = 64;
	bytes = n * sizeof(struct tlb_fast) + 64;
	cpu->fast_mem[k] = host_alloc(cpu->ha, bytes);
	if (!cpu->fast_mem[k])
		return verr(err, -ENOMEM, "out of host memory for the TLB");
	cpu->fast_bytes[k] = bytes;
	/* cache-line aligned: a 32-byte slot never straddles two lines */
	cpu->fast[k] = (struct tlb_fast *)(((uintptr_t)cpu->fast_mem[k] + 63) & ~(uintptr_t)63);
	cpu->fast_mask[k] = n - 1;
	fast_clear(cpu, k);
	return 0;
}

void tlb_finish(struct vmsim_cpu *cpu)
{
	for (unsigned k = 0; k < TLB_NR_KINDS; k++) {
		array_finish(cpu, &cpu->l1[k]);
		array_finish(cpu, &cpu->l1_large[k]);
		if (cpu->fast_mem[k])
			host_free(cpu->ha, cpu->fast_mem[k], cpu->fast_bytes[k]);
		cpu->fast_mem[k] = NULL;
		cpu->fast[k] = NULL;
	}
	array_finish(cpu, &cpu->l2);
}

int tlb_init(struct vmsim_cpu *cpu, const struct vmsim_config *cfg, struct vmsim_error *err)
{
	/* page sizes per array: the format's large leaves (x86_64 2M then
	 * 1G, x86_32 4M); L2 holds 4K and the smallest large size, like the
	 * shared STLB of recent Intel cores */
	const struct pt_format *f = cpu->fmt;
	uint8_t large[3], l2s[2] = { 12, 0 };
	unsigned nlarge = 0, nl2 = 1;
	int ret;

	for (int d = (int)f->levels - 1; d >= 0; d--)
		if (f->lvl[d].large)
			large[nlarge++] = f->lvl[d].shift;
	if (nlarge)
		l2s[nl2++] = large[0];
	if ((ret = array_init(cpu, &cpu->l1[TLB_D], "l1d", &cfg->l1d, l2s, 1, err)) ||
	    (ret = array_init(cpu, &cpu->l1[TLB_I], "l1i", &cfg->l1i, l2s, 1, err)) ||
	    (ret = array_init(cpu, &cpu->l1_large[TLB_D], "l1d_large", &cfg->l1d_large,
			      large, nlarge, err)) ||
	    (ret = array_init(cpu, &cpu->l1_large[TLB_I], "l1i_large", &cfg->l1i_large,
			      large, nlarge, err)) ||
	    (ret = array_init(cpu, &cpu->l2, "l2", &cfg->l2, l2s, nl2, err)) ||
	    (ret = fast_init(cpu, TLB_D, err)) || (ret = fast_init(cpu, TLB_I, err))) {
		tlb_finish(cpu);
		return ret;
	}
	return 0;
}
