/*
 * The TLB model and the out-of-line half of translate(), one function for
 * every format, access and geometry: L1 miss -> L2 -> page walk (walk.c,
 * through the paging-structure caches) -> refill; and the arrays' set-up.
 * See mmu.h for the geometry and the tag layout, tlb_array.h for a set's
 * search and recency word, tlb_flush.c for the invalidations.
 *
 * Invariants (tlb_check() verifies them in tests):
 *  - an array's sets are a power of two; an entry of page size 2^s for va
 *    sits in set (va >> s) & set_mask; a tag appears at most once per set;
 *    lru is 0 exactly for invalid ways; nvalid counts the valid ways,
 *    nlarge the large ones;
 *  - every valid fast-table slot mirrors a valid L1 entry (same page,
 *    the current PCID or global, allowed accesses) and points at its LRU
 *    stamp; whenever an L1 entry is evicted, invalidated or its rights
 *    change, or the PCID changes, the slots mirroring it are cleared first;
 *  - a translation that faults leaves no entry for its address (the
 *    hardware invalidates on #PF); a write through an entry whose D was
 *    clear re-walks so the walk can set D.
 * A miss computes its 4 KiB key and signature once
 * (struct tlb_probe) for all its probes and inserts, and an insert right
 * after a fruitless probe does not search again.
 */
#include "mmu/tlb_array.h"

#include <errno.h>
#include <string.h>

#include "util/error.h"

tlb_stamp_t tlb_dummy_lru;


unsigned tlb_array_valid(const struct tlb_array *a)
{
	return a->nvalid;
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

/*
 * What a TLB miss computes once about its address and reuses in every
 * probe and insert of a 4 KiB entry on the way: the key under the current
 * PCID and its signature (which ignores PCID and G, so it is also the
 * signature of the global tag).
 */
struct tlb_probe {
	uint64_t key;
	uint64_t vpn;		/* va >> 12: the set of a 4 KiB entry */
	uint8_t sig;
};

static inline void probe_init(const struct vmsim_cpu *cpu, uint64_t va, unsigned pcid,
			      struct tlb_probe *p)
{
	p->vpn = va >> 12;
	p->key = make_key(cpu, va, 12, pcid);
	p->sig = tag_sig(p->key);
}

/* Index of the entry of @a mapping @va for @pcid (or global), or -1.  @p
 * (or NULL) holds the 4 KiB key of @va under @pcid.  The 4 KiB size comes
 * first in an array that holds it (shifts[0]); the large sizes are probed
 * only while the array holds a large entry. */
static inline __attribute__((always_inline)) int
array_find(const struct vmsim_cpu *cpu, const struct tlb_array *a, uint64_t va, unsigned pcid,
	   const struct tlb_probe *p)
{
	unsigned i = 0;

	if (!a->nvalid)
		return -1;
	if (a->shifts[0] == 12) {
		struct tlb_probe q;
		uint64_t base;
		int w;

		if (!p || pcid != cpu->pcid) {
			probe_init(cpu, va, pcid, &q);
			p = &q;
		}
		base = (p->vpn & a->set_mask) * a->ways;
		w = set_find(a, (unsigned)base, p->key, p->sig);
		if (w >= 0)
			return (int)base + w;
		if (__builtin_expect(!a->nlarge, 1))
			return -1;
		i = 1;
	}
	for (; i < a->nshifts; i++) {
		unsigned s = a->shifts[i];
		uint64_t k = make_key(cpu, va, s, pcid), base = ((va >> s) & a->set_mask) * a->ways;
		int w = set_find(a, (unsigned)base, k, tag_sig(k));

		if (w >= 0)
			return (int)base + w;
	}
	return -1;
}

/* Way @w of @set of @a has just been used (its stamp set).  Set and way
 * come from the caller: a division by the way count would cost more than
 * the rest of the update. */
static inline void way_touched(struct tlb_array *a, unsigned set, unsigned w)
{
	if (a->order)
		order_touch(a, set, w);
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;	/* a cmov */
}

/*
 * The least recently used way of @set of @a by the stamps, where an
 * invalid way has stamp 0 so the first invalid one goes first (an array
 * with a recency index has it as order_victim()).  Branch-free, as a
 * random miss stream mispredicts any branch on the stamps: each way's
 * stamp gets its index in the low bits (a stamp is far below 2^57) and
 * the victim is the low bits of the minimum -- which, among equal stamps,
 * is the lowest index.  A minimum is a compare and a cmov.
 */
static inline unsigned stamp_victim(const struct tlb_array *a, unsigned set)
{
	const tlb_stamp_t *lru = &a->lru[set * a->ways];
	uint64_t best = lru[0] << 6;

	/* the default L1's 4 ways: a tournament (with the TLB walk's
	 * canonical check dropped, the one the miss path has made: 50 fewer
	 * instructions a miss, bench_mmu miss 16384 under callgrind) */
	if (__builtin_expect(a->ways == 4, 1))
		return (unsigned)min_u64(min_u64(lru[0] << 2, lru[1] << 2 | 1),
					 min_u64(lru[2] << 2 | 2, lru[3] << 2 | 3)) & 3;
	for (unsigned j = 1; j < a->ways; j++)	/* at most 64 ways */
		best = min_u64(best, lru[j] << 6 | j);
	return (unsigned)best & 63;
}

/*
 * Put a translation into @a: reuse the way that already has this tag, else
 * the LRU victim (an invalid way first).  @k is the L1 kind whose fast
 * table mirrors @a, or -1 for L2.  @absent: the caller has just searched
 * @a for @va and found nothing, so the set need not be searched again.
 * @ne is the entry (make_entry()); @p holds @va's 4 KiB key; @small: @ne
 * maps 4 KiB.  Returns the index.  Inline, and called with @small and
 * @absent constant on the usual miss (see mmu_translate_slow()).
 */
static inline __attribute__((always_inline)) unsigned
array_insert(struct vmsim_cpu *cpu, struct tlb_array *a, int k, uint64_t va,
	     const struct tlb_entry *ne, uint64_t stamp, bool absent, const struct tlb_probe *p,
	     bool small)
{
	const uint64_t key = small ? p->key : make_key(cpu, va, ne->shift, cpu->pcid);
	const uint8_t sig = small ? p->sig : tag_sig(key);	/* the tag's too */
	const unsigned set = (unsigned)((va >> ne->shift) & a->set_mask);
	const unsigned base = set * a->ways;
	int w = absent ? -1 : set_find(a, base, key, sig);
	bool victim = false;
	uint64_t old;
	unsigned i;

	if (w < 0) {
		/* an L1 has no recency index (fast hits renew only stamps) */
		w = (int)(a->order ? order_victim(a, set) : stamp_victim(a, set));
		victim = true;
	}
	i = base + (unsigned)w;
	old = a->tag[i];
	if (old != TLB_TAG_INVALID) {
		if (k >= 0)
			fast_forget(cpu, (unsigned)k, a, i);
		/* a way that held this page is a refill, not an eviction;
		 * after a fruitless probe (@absent) no way holds it: the
		 * probe compared both keys */
		if (absent || (old != key && old != global_key(key)))
			a->evictions++;	/* a level's count is its arrays' sum */
		a->nlarge -= tag_large(old);	/* every field is overwritten below */
	} else {
		a->nvalid++;
	}
	a->nlarge += !small;
	a->tag[i] = entry_tag(key, ne->rights);
	a->sig[i] = sig;
	a->lru[i] = stamp;
	if (victim && a->order)
		order_push(a, set, (unsigned)w);
	else
		way_touched(a, set, (unsigned)w);
	a->e[i] = *ne;
	a->fills++;
	if (k >= 0)	/* L1: its hits are derived from the fills */
		cpu->st_l1[k].fills++;
	return i;
}

/* The entry for a page of 2^@shift at @page_pa under the current PCID,
 * built once per miss for both the L2 and the L1. */
static inline struct tlb_entry make_entry(const struct vmsim_cpu *cpu, unsigned shift,
					  uint64_t page_pa, uint8_t rights)
{
	return (struct tlb_entry){
		.pa = page_pa,
		.pcid = (uint16_t)cpu->pcid,
		.shift = (uint8_t)shift,
		.rights = rights,
		.ok = cpu->ok_table[rights & 31],
	};
}

/* Mirror way @i of L1 array @a, holding entry @e, into the fast table of
 * @k for @va's page. */
static inline void fast_fill(struct vmsim_cpu *cpu, unsigned k, struct tlb_array *a, unsigned i,
		      const struct tlb_entry *e, uint64_t va, enum mmu_mode mode)
{
	uint64_t vpn = va >> 12;
	struct tlb_fast *s = &cpu->fast[k][vpn & cpu->fast_mask[k]];
	const uint64_t in_page = va & ((1ULL << e->shift) - 1) & ~0xfffULL;

	/* valid under the current PCID only, global entries too: a PCID
	 * switch clears the table (see struct tlb_fast) */
	fast_set_tags(s, k, vpn, mode, e->ok);
	s->addend = e->pa + in_page - (va & ~0xfffULL);
	s->lru = &a->lru[i];
}

/* The L1 entry of @k for @va: *arr and the index, or false. */
static inline __attribute__((always_inline)) bool
l1_find(struct vmsim_cpu *cpu, unsigned k, uint64_t va, const struct tlb_probe *p,
	struct tlb_array **arr, unsigned *idx)
{
	int i = array_find(cpu, &cpu->l1[k], va, cpu->pcid, p);

	*arr = &cpu->l1[k];
	if (i < 0 && (i = array_find(cpu, &cpu->l1_large[k], va, cpu->pcid, NULL)) >= 0)
		*arr = &cpu->l1_large[k];
	*idx = (unsigned)i;
	return i >= 0;
}

/* Fill L1 of @k with entry @ne and mirror it in the fast table; a large
 * page goes to the large array, or is split to its 4 KiB piece when there
 * is none.  @absent: as for array_insert(). */
static void l1_fill(struct vmsim_cpu *cpu, unsigned k, uint64_t va, enum mmu_mode mode,
		    const struct tlb_entry *ne, bool absent, const struct tlb_probe *p)
{
	struct tlb_array *a = &cpu->l1_large[k];
	struct tlb_entry split;
	unsigned i;

	if (ne->shift != 12 && (!a->entries || !array_holds(a, ne->shift))) {
		split = *ne;
		split.pa += va & ((1ULL << ne->shift) - 1) & ~0xfffULL;
		split.shift = 12;
		ne = &split;
		absent = false;
	}
	if (ne->shift == 12)
		a = &cpu->l1[k];
	if (!a->entries)
		return;
	i = array_insert(cpu, a, (int)k, va, ne, ++cpu->tick[k], absent && ne->shift == 12, p,
			 ne->shift == 12);
	fast_fill(cpu, k, a, i, ne, va, mode);
}

/* Put entry @ne, just walked for @va, in the L2 (which holds 4 KiB and the
 * smallest large size, tlb_init()) and the L1 of @k: the general case. */
static __attribute__((noinline)) void refill(struct vmsim_cpu *cpu, unsigned k, uint64_t va,
					     enum mmu_mode mode, const struct tlb_entry *ne,
					     bool absent, const struct tlb_probe *p)
{
	if (cpu->l2.entries && array_holds(&cpu->l2, ne->shift))
		array_insert(cpu, &cpu->l2, -1, va, ne, ++cpu->tick_l2, absent && ne->shift == 12,
			     p, ne->shift == 12);
	l1_fill(cpu, k, va, mode, ne, absent, p);
}

static const char *access_name(enum mmu_access acc)
{
	return acc == MMU_WRITE ? "write" : acc == MMU_FETCH ? "fetch" : "read";
}

/* After the walk for @va faulted: the event, and the invalidation #PF
 * does of the address's TLB and paging-structure cache entries.  @absent:
 * the lookup found none in the L1 of @k and the L2 (nothing to search
 * there: a replay in N frames faults on every other access). */
static __attribute__((noinline)) uint64_t miss_fault(struct vmsim_cpu *cpu, unsigned k, uint64_t va,
						 enum mmu_access acc, enum mmu_mode mode,
						 const struct vmsim_fault *f, bool absent)
{
	EV(cpu->events, "page_fault", "cpu=%d va=%#llx access=%s mode=%s error=%#x", cpu->id,
	   (unsigned long long)va, access_name(acc), mode == MMU_USER ? "user" : "kernel",
	   f->error_code);
	tlb_drop_va(cpu, va, absent ? 1u << !k : 3u, !absent);
	psc_drop_va(cpu, va);
	return MMU_FAULTED;
}

/* The miss path of L1 kind @k (TLB_D or TLB_I): see mmu_translate_slow(). */
static inline __attribute__((always_inline)) uint64_t
translate_slow(struct vmsim_cpu *cpu, const unsigned k, uint64_t va, enum mmu_access acc,
	       enum mmu_mode mode, struct vmsim_fault *f)
{
	const uint8_t bit = (uint8_t)(1u << TLB_OK_BIT(acc, mode));
	struct tlb_array *a;
	struct walk_result r;
	struct tlb_entry ne;
	struct tlb_probe p;
	unsigned i;
	bool absent = true;	/* neither level holds an entry for va */
	int j;

	/* the arrays compare truncated addresses: keep non-canonical ones
	 * away from them (the walk reports #GP) */
	if (__builtin_expect(!cpu_va_canonical(cpu, va), 0)) {
		mmu_walk(cpu, cpu->cr3, va, acc, mode, &r, f, NULL);	/* #GP */
		return MMU_FAULTED;
	}
	probe_init(cpu, va, cpu->pcid, &p);
	if (l1_find(cpu, k, va, &p, &a, &i)) {
		if (a->e[i].ok & bit) {
			/* a hit the fast table did not hold (slot collision) */
			a->lru[i] = ++cpu->tick[k];
			fast_fill(cpu, k, a, i, &a->e[i], va, mode);
			return a->e[i].pa + (va & ((1ULL << a->e[i].shift) - 1));
		}
		/* clean entry written, or rights refused: the hardware
		 * re-walks (and faults if the tables still say no) */
		absent = false;
	} else if ((j = array_find(cpu, &cpu->l2, va, cpu->pcid, &p)) >= 0) {
		if (cpu->l2.e[j].ok & bit) {
			const struct tlb_entry e2 = cpu->l2.e[j];
			const unsigned set = (unsigned)((va >> e2.shift) & cpu->l2.set_mask);

			cpu->st_l1[k].misses++;
			cpu->st_l2.hits++;
			cpu->l2.lru[j] = ++cpu->tick_l2;
			way_touched(&cpu->l2, set, (unsigned)j - set * cpu->l2.ways);
			if (e2.shift == 12 && cpu->l1[k].entries) {	/* not in L1 */
				i = array_insert(cpu, &cpu->l1[k], (int)k, va, &e2, ++cpu->tick[k],
						 true, &p, true);
				fast_fill(cpu, k, &cpu->l1[k], i, &e2, va, mode);
			} else {
				l1_fill(cpu, k, va, mode, &e2, true, &p);
			}
			return e2.pa + (va & ((1ULL << e2.shift) - 1));
		}
		absent = false;
	}
	cpu->st_l1[k].misses++;
	cpu->st_l2.misses++;
	if (!mmu_walk_tlb(cpu, va, acc, mode, &r, f))
		return miss_fault(cpu, k, va, acc, mode, f, absent);
	ne = make_entry(cpu, r.shift, r.page_pa, r.rights);
	/* the usual miss, a 4 KiB page neither level holds, with the page
	 * size and the absence constant in its inserts: no large page's key,
	 * no search of a set just searched (with array_find() and
	 * array_insert() inline: 3.99 G instructions against 4.93 G for
	 * bench_mmu miss 65536 under callgrind) */
	if (__builtin_expect(absent && r.shift == 12 && cpu->l2.entries && cpu->l1[k].entries, 1)) {
		array_insert(cpu, &cpu->l2, -1, va, &ne, ++cpu->tick_l2, true, &p, true);
		i = array_insert(cpu, &cpu->l1[k], (int)k, va, &ne, ++cpu->tick[k], true, &p, true);
		fast_fill(cpu, k, &cpu->l1[k], i, &ne, va, mode);
	} else {
		refill(cpu, k, va, mode, &ne, absent, &p);
	}
	EV(cpu->events, "tlb_fill", "cpu=%d va=%#llx pa=%#llx page=%uK tlb=%s", cpu->id,
	   (unsigned long long)(va & ~((1ULL << r.shift) - 1)), (unsigned long long)r.page_pa,
	   1u << (r.shift - 10), k ? "i" : "d");
	return r.pa;
}

/* One compiled copy per L1 kind, so every field of the L1 of the access is
 * at a constant offset (bench_mmu miss 16384 under callgrind: 48 fewer
 * instructions a miss, of about 640, than with the kind a variable). */
uint64_t mmu_translate_slow(struct vmsim_cpu *cpu, uint64_t va, enum mmu_access acc,
			    enum mmu_mode mode, struct vmsim_fault *f)
{
	if (acc == MMU_FETCH)
		return translate_slow(cpu, TLB_I, va, acc, mode, f);
	return translate_slow(cpu, TLB_D, va, acc, mode, f);
}

void tlb_get_stats(const struct vmsim_cpu *cpu, unsigned level, struct tlb_stats *out)
{
	/* the miss path keeps one count where two are tied: every L1 tick
	 * is a hit (derived) or a fill, every L2 tick a hit or a fill
	 * (derived), and evictions are counted per array */
	if (level >= TLB_NR_KINDS) {
		*out = cpu->st_l2;
		out->fills = cpu->tick_l2 - cpu->st_l2.hits;
		out->evictions = cpu->l2.evictions;
		return;
	}
	*out = cpu->st_l1[level];
	out->hits = cpu->tick[level] - cpu->st_l1[level].fills;
	out->evictions = cpu->l1[level].evictions + cpu->l1_large[level].evictions;
}

struct tlb_entry *tlb_array_lookup(struct tlb_array *a, uint64_t va, unsigned pcid)
{
	/* the array's own cpu is not known here: its address width is */
	struct vmsim_cpu cpu = { .va_mask = a->va_mask };
	const int i = array_find(&cpu, a, va, pcid, NULL);

	return i < 0 ? NULL : &a->e[i];
}

uint64_t tlb_entry_va(const struct vmsim_cpu *cpu, const struct tlb_array *a, unsigned i)
{
	return pt_canonical(cpu->fmt, (a->tag[i] & TLB_TAG_VPN_MASK) << a->e[i].shift);
}

/* ---- set-up ---- */

/* Free what array_init() got (any of it: a failed init calls this too)
 * and leave @a empty. */
static void array_finish(struct vmsim_cpu *cpu, struct tlb_array *a)
{
	host_free(cpu->ha, a->e, sizeof(*a->e) * a->entries);
	host_free(cpu->ha, a->tag, sizeof(*a->tag) * a->entries);
	host_free(cpu->ha, a->lru, sizeof(*a->lru) * a->entries);
	host_free(cpu->ha, a->sig, a->entries + 16);
	host_free(cpu->ha, a->order, sizeof(*a->order) * a->sets);
	memset(a, 0, sizeof(*a));
}

/* @indexed: keep the recency index (an array no fast-table hit touches,
 * of at most 16 ways). */
static int array_init(struct vmsim_cpu *cpu, struct tlb_array *a, const char *name,
		      const struct cfg_tlb *g, const uint8_t *shifts, unsigned nshifts,
		      bool indexed, struct vmsim_error *err)
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
	if (g->ways > 64)
		return verr(err, -EINVAL, "tlb.%s: %u ways: at most 64", name, g->ways);
	a->entries = g->entries;
	a->ways = g->ways;
	a->va_mask = cpu->va_mask;
	a->sets = sets;
	a->set_mask = sets - 1;
	a->all_ways = a->ways < 64 ? (1ULL << a->ways) - 1 : ~0ULL;
	memcpy(a->shifts, shifts, nshifts);
	a->nshifts = nshifts;
	a->e = host_zalloc(cpu->ha, sizeof(*a->e) * a->entries);
	a->tag = host_alloc(cpu->ha, sizeof(*a->tag) * a->entries);
	a->lru = host_zalloc(cpu->ha, sizeof(*a->lru) * a->entries);
	a->sig = host_zalloc(cpu->ha, a->entries + 16);	/* + a 16-byte compare's overrun */
	if (indexed && a->ways <= 16) {
		a->order = host_alloc(cpu->ha, sizeof(*a->order) * sets);
		a->order_pad = a->ways < 16 ? ~0ULL << (4 * a->ways) : 0;
	}
	if (!a->e || !a->tag || !a->lru || !a->sig || (indexed && a->ways <= 16 && !a->order)) {
		array_finish(cpu, a);
		return verr(err, -ENOMEM, "out of host memory for tlb.%s", name);
	}
	for (unsigned i = 0; i < a->entries; i++)
		a->tag[i] = TLB_TAG_INVALID;
	/* all ways invalid, the lowest index the victim, as in a stamp scan */
	for (unsigned set = 0; a->order && set < a->sets; set++) {
		a->order[set] = a->order_pad;
		for (unsigned r = 0; r < a->ways; r++)
			a->order[set] |= (uint64_t)(a->ways - 1 - r) << (4 * r);
	}
	return 0;
}

static uint64_t pow2_at_least(uint64_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* The fast table of @k: the L1 entries rounded up to a power of two, so a
 * working set of consecutive pages that fits the L1 never collides, and
 * the table is no bigger than the TLB it mirrors needs (a collision only
 * costs a slow hit, the model is unchanged). */
static int fast_init(struct vmsim_cpu *cpu, unsigned k, struct vmsim_error *err)
{
	uint64_t n = pow2_at_least((uint64_t)cpu->l1[k].entries + cpu->l1_large[k].entries);
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

	cpu->va_mask = f->va_bits >= 64 ? ~0ULL : (1ULL << f->va_bits) - 1;
	for (int d = (int)f->levels - 1; d >= 0; d--)
		if (f->lvl[d].large)
			large[nlarge++] = f->lvl[d].shift;
	if (nlarge)
		l2s[nl2++] = large[0];
	if ((ret = array_init(cpu, &cpu->l1[TLB_D], "l1d", &cfg->l1d, l2s, 1, false, err)) ||
	    (ret = array_init(cpu, &cpu->l1[TLB_I], "l1i", &cfg->l1i, l2s, 1, false, err)) ||
	    (ret = array_init(cpu, &cpu->l1_large[TLB_D], "l1d_large", &cfg->l1d_large,
			      large, nlarge, false, err)) ||
	    (ret = array_init(cpu, &cpu->l1_large[TLB_I], "l1i_large", &cfg->l1i_large,
			      large, nlarge, false, err)) ||
	    (ret = array_init(cpu, &cpu->l2, "l2", &cfg->l2, l2s, nl2, true, err)) ||
	    (ret = fast_init(cpu, TLB_D, err)) || (ret = fast_init(cpu, TLB_I, err))) {
		tlb_finish(cpu);
		return ret;
	}
	tlb_recompute_ok(cpu);
	return 0;
}
