/*
 * The TLB model and the out-of-line half of translate(), one function for
 * every format, access and geometry: L1 miss -> L2 -> page walk (walk.c,
 * through the paging-structure caches) -> refill.  See mmu.h for the
 * geometry and the tag layout.
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
 * A set is searched through one-byte tag signatures compared 16 at a time,
 * so a lookup does not scan the ways; only LRU victim choice reads them
 * all (branch-free).  A miss computes its 4 KiB key and signature once
 * (struct tlb_probe) for all its probes and inserts, and an insert right
 * after a fruitless probe does not search again.
 */
#include "mmu/mmu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "util/error.h"

static tlb_stamp_t dummy_lru;	/* what cleared fast slots point at (a slot whose
				 * tags fast_forget() invalidated keeps its stale
				 * pointer: only the tags make a slot valid) */

static inline void fast_invalidate_slot(struct tlb_fast *s)
{
	s->tag[0] = s->tag[1] = TLB_TAG_INVALID;
	s->addend = 0;
	s->lru = &dummy_lru;
}

/*
 * The tags of a slot of fast table @k for page @vpn, filled by an access at
 * @mode to an entry that allows @ok (TLB_OK_BIT bits): read (fetch for the
 * I table) and write, each the key if allowed at @mode, else invalid.
 */
static inline void fast_set_tags(struct tlb_fast *s, unsigned k, uint64_t vpn,
				 enum mmu_mode mode, uint8_t ok)
{
	const uint64_t key = tlb_fast_key(vpn, mode);
	const enum mmu_access first = k == TLB_I ? MMU_FETCH : MMU_READ;

	s->tag[0] = ok >> TLB_OK_BIT(first, mode) & 1 ? key : TLB_TAG_INVALID;
	s->tag[1] = k == TLB_D && (ok >> TLB_OK_BIT(MMU_WRITE, mode) & 1) ? key : TLB_TAG_INVALID;
}

static void fast_clear(struct vmsim_cpu *cpu, unsigned k)
{
	for (uint64_t i = 0; i <= cpu->fast_mask[k]; i++)
		fast_invalidate_slot(&cpu->fast[k][i]);
}

static inline unsigned size_code(unsigned shift)
{
	return shift == 12 ? 0 : shift == 30 ? 2 : 1;
}

/* Key of @va for page size 2^@shift under @pcid; the global key is the
 * same with the G bit in place of the PCID. */
static inline uint64_t make_key(const struct vmsim_cpu *cpu, uint64_t va, unsigned shift,
				unsigned pcid)
{
	return ((va & cpu->va_mask) >> shift) | (uint64_t)size_code(shift) << TLB_TAG_SIZE_SHIFT |
	       (uint64_t)pcid << TLB_PCID_SHIFT;
}

static inline uint64_t global_key(uint64_t key)
{
	return (key & ~TLB_PCID_MASK) | TLB_TAG_G;
}

/* The tag of an entry with @rights for @key: its global key if G is set.
 * In masks: a branch here is a coin toss in a process that maps both. */
static inline uint64_t entry_tag(uint64_t key, uint8_t rights)
{
	const uint64_t g = -(uint64_t)(rights >> 4 & 1);

	_Static_assert(TLB_R_G == 1 << 4, "entry_tag() reads G as bit 4");
	return key ^ ((key ^ global_key(key)) & g);
}

/* Drop every fast slot that mirrors large way @i of @a (an L1 array of
 * @k): a large entry may back a slot per 4 KiB page it covers.  Rare, so
 * out of line. */
static __attribute__((noinline)) void fast_forget_large(struct vmsim_cpu *cpu, unsigned k,
							struct tlb_array *a, unsigned i)
{
	const tlb_stamp_t *lru = &a->lru[i];

	for (uint64_t j = 0; j <= cpu->fast_mask[k]; j++)
		if (cpu->fast[k][j].lru == lru)
			fast_invalidate_slot(&cpu->fast[k][j]);
}

/* Drop the fast slot that mirrors way @i, a 4 KiB entry, of @a (an L1
 * array of @k): its one slot is its vpn's low bits.  Inline, as every L1
 * refill that evicts pays it. */
static inline void fast_forget_small(struct vmsim_cpu *cpu, unsigned k, struct tlb_array *a,
				     unsigned i)
{
	/* the tag's low bits are the vpn's (the fast table has far fewer
	 * than 2^40 slots) */
	struct tlb_fast *s = &cpu->fast[k][a->tag[i] & cpu->fast_mask[k]];
	/* whether the slot still mirrors way i is a coin toss on a random
	 * miss stream: no branch.  Invalid tags are enough (a slot is valid
	 * by its tags alone); the rest stays stale. */
	const uint64_t gone = -(uint64_t)(s->lru == &a->lru[i]);

	s->tag[0] |= gone;
	s->tag[1] |= gone;
}

/* Drop every fast slot that mirrors way @i of @a (an L1 array of @k). */
static inline void fast_forget(struct vmsim_cpu *cpu, unsigned k, struct tlb_array *a, unsigned i)
{
	if (a->e[i].shift == 12)
		fast_forget_small(cpu, k, a, i);
	else
		fast_forget_large(cpu, k, a, i);
}

/* 1 if valid tag @t maps a page above 4 KiB (its size field), else 0. */
static inline unsigned tag_large(uint64_t t)
{
	return (t >> TLB_TAG_SIZE_SHIFT & 3) != 0;
}

static inline void way_invalidate(struct tlb_array *a, unsigned i)
{
	if (a->tag[i] == TLB_TAG_INVALID)
		return;
	a->nvalid--;
	a->nlarge -= tag_large(a->tag[i]);
	a->tag[i] = TLB_TAG_INVALID;
	a->sig[i] = 0;
	a->lru[i] = 0;
	a->e[i].ok = 0;
	a->e[i].rights = 0;
}

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

/* Tag bits a lookup compares first: page and size, not PCID or G. */
#define TLB_TAG_MATCH_MASK (TLB_TAG_VPN_MASK | 3ULL << TLB_TAG_SIZE_SHIFT)

/* One-byte signature of a tag's page and size, never 0 (0 marks an
 * invalid way).  A set is searched by comparing all its signatures at
 * once; only the ways whose signature matches have their tag compared. */
static inline uint8_t tag_sig(uint64_t tag)
{
	uint8_t h = (uint8_t)(((tag & TLB_TAG_MATCH_MASK) * 0x9e3779b97f4a7c15ULL) >> 56);

	return __builtin_expect(h != 0, 1) ? h : 1;	/* (GCC had put the usual h out of line) */
}

/* Bitmap of the ways among @n signatures at @sig equal to @v; @all is
 * the bitmap of all @n ways. */
static inline uint64_t sig_match(const uint8_t *sig, unsigned n, uint64_t all, uint8_t v)
{
	uint64_t m = 0;
	unsigned w = 0;

#ifdef __SSE2__
	/* 16 ways per compare; the arrays are padded so reading a full
	 * 16 bytes past a short set stays inside the allocation */
	/* v in every byte, built in a register: _mm_set1_epi8() of a byte
	 * spilled to the stack made GCC reload it 4 bytes wide, a failed
	 * store forward per probe */
	const __m128i vv = _mm_shuffle_epi32(_mm_cvtsi32_si128((int)(v * 0x01010101u)), 0);

	if (__builtin_expect(n <= 16, 1))	/* the usual set: one compare, no loop */
		return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			       _mm_loadu_si128((const __m128i *)(const void *)sig), vv)) & all;
	for (; w < n; w += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(sig + w));

		m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vv)) << w;
	}
#else
	for (; w < n; w++)
		m |= (uint64_t)(sig[w] == v) << w;
#endif
	return m & all;
}

/* Way of the set at index @base of @a that maps key @k (same PCID, or
 * global), or -1.  No scan over the ways: one signature compare for the
 * whole set, then the full tag of the (usually single) candidate. */
static inline int set_find(const struct tlb_array *a, unsigned base, uint64_t k, uint8_t sig)
{
	const uint64_t *t = &a->tag[base];
	uint64_t m = sig_match(&a->sig[base], a->ways, a->all_ways, sig);

	if (__builtin_expect(!m, 1))	/* the miss path's usual answer */
		return -1;
	while (m) {
		unsigned i = (unsigned)__builtin_ctzll(m);

		if (t[i] == k || t[i] == global_key(k))
			return (int)i;
		m &= m - 1;
	}
	return -1;
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

static inline void probe_init(const struct vmsim_cpu *cpu, uint64_t va, struct tlb_probe *p)
{
	p->vpn = va >> 12;
	p->key = make_key(cpu, va, 12, cpu->pcid);
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
			q.vpn = va >> 12;
			q.key = make_key(cpu, va, 12, pcid);
			q.sig = tag_sig(q.key);
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

static bool array_holds(const struct tlb_array *a, unsigned shift)
{
	for (unsigned i = 0; i < a->nshifts; i++)
		if (a->shifts[i] == shift)
			return true;
	return false;
}

/*
 * The recency index of an array that no fast-table hit touches (the L2):
 * per set, one 64-bit word whose 4-bit field r holds the way at recency
 * rank r -- 0 the most recently used, ways - 1 the victim -- for sets of up
 * to 16 ways.  The valid ways stand in the order of their stamps and the
 * invalid ones after them, the last invalidated last (which invalid way a
 * fill takes changes no hit, miss or eviction), so the victim is one field
 * instead of a scan, and a use or an invalidation is a few shifts.  Unused
 * fields (sets of fewer than 16 ways) hold 0xf, which is no way's number.
 */
#define ORDER_NIBBLES 0x1111111111111111ULL

static inline unsigned order_victim(const struct tlb_array *a, unsigned set)
{
	return (unsigned)(a->order[set] >> (4 * (a->ways - 1))) & 15;
}

/* The bit offset of way @w's field in recency word @o: the lowest
 * all-zero field of o ^ w (a borrow can only flag fields above a true
 * zero). */
static inline unsigned order_field(uint64_t o, unsigned w)
{
	const uint64_t x = o ^ (w * ORDER_NIBBLES);

	return (unsigned)__builtin_ctzll((x - ORDER_NIBBLES) & ~x & (ORDER_NIBBLES << 3)) & ~3u;
}

/* Make way @w of @set the most recently used: the ways above its rank
 * move down one, w goes to rank 0. */
static inline void order_touch(struct tlb_array *a, unsigned set, unsigned w)
{
	const uint64_t o = a->order[set];
	const unsigned sh = order_field(o, w);

	a->order[set] = (o & ((~0ULL << sh) << 4)) | ((o & ((1ULL << sh) - 1)) << 4) | w;
}

/* The victim of @set, way @w, has just been filled: it becomes the most
 * recent and every other way moves down one rank -- the word shifts up
 * one field.  Fields above the ways stay 0xf. */
static inline void order_push(struct tlb_array *a, unsigned set, unsigned w)
{
	a->order[set] = a->order[set] << 4 | a->order_pad | w;
}

/* Way @w of @set has just been invalidated: the ways after its rank move
 * up one, it becomes the victim. */
static void order_drop(struct tlb_array *a, unsigned set, unsigned w)
{
	const uint64_t o = a->order[set];
	const unsigned sh = order_field(o, w), last = 4 * (a->ways - 1);
	const uint64_t moved = (o & ((1ULL << sh) - 1)) | ((o >> 4) & (~0ULL << sh));

	a->order[set] = (moved & ~(15ULL << last)) | (uint64_t)w << last | a->order_pad;
}

/* Whether @set's word holds each way once, by stamps, invalid ways last. */
static bool order_ok(const struct tlb_array *a, unsigned set)
{
	const tlb_stamp_t *lru = &a->lru[set * a->ways];
	const uint64_t o = a->order[set];
	uint64_t seen = 0;

	for (unsigned r = 0; r < a->ways; r++) {
		const unsigned x = (unsigned)(o >> (4 * r)) & 15;

		if (x >= a->ways || (seen >> x & 1) ||
		    (r && lru[x] && lru[x] >= lru[(o >> (4 * (r - 1))) & 15]))
			return false;
		seen |= 1ULL << x;
	}
	return (o & a->order_pad) == a->order_pad;
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
	int i;

	if ((i = array_find(cpu, &cpu->l1[k], va, cpu->pcid, p)) >= 0) {
		*arr = &cpu->l1[k];
		*idx = (unsigned)i;
		return true;
	}
	if ((i = array_find(cpu, &cpu->l1_large[k], va, cpu->pcid, NULL)) >= 0) {
		*arr = &cpu->l1_large[k];
		*idx = (unsigned)i;
		return true;
	}
	return false;
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

static void l1_drop_va(struct vmsim_cpu *cpu, unsigned k, uint64_t va)
{
	array_drop_va(cpu, &cpu->l1[k], (int)k, va);
	array_drop_va(cpu, &cpu->l1_large[k], (int)k, va);
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
	if (!absent) {
		l1_drop_va(cpu, k, va);
		array_drop_va(cpu, &cpu->l2, -1, va);
	}
	l1_drop_va(cpu, !k, va);
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
	probe_init(cpu, va, &p);
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

/* ---- flushes ---- */

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
	for (unsigned k = 0; k < TLB_NR_KINDS; k++)
		l1_drop_va(cpu, k, va);
	array_drop_va(cpu, &cpu->l2, -1, va);
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
	int i;

	if (!a->entries || !a->nvalid)
		return NULL;
	i = array_find(&cpu, a, va, pcid, NULL);
	return i < 0 ? NULL : &a->e[i];
}

uint64_t tlb_entry_va(const struct vmsim_cpu *cpu, const struct tlb_array *a, unsigned i)
{
	return pt_canonical(cpu->fmt, (a->tag[i] & TLB_TAG_VPN_MASK) << a->e[i].shift);
}

/* Which array of @cpu's L1 of @k holds LRU stamp @lru: *arr and index. */
static bool l1_owner(struct vmsim_cpu *cpu, unsigned k, const tlb_stamp_t *lru,
		     struct tlb_array **arr, unsigned *idx)
{
	struct tlb_array *arrs[2] = { &cpu->l1[k], &cpu->l1_large[k] };

	for (unsigned j = 0; j < 2; j++)
		if (arrs[j]->entries && lru >= arrs[j]->lru && lru < arrs[j]->lru + arrs[j]->entries) {
			*arr = arrs[j];
			*idx = (unsigned)(lru - arrs[j]->lru);
			return true;
		}
	return false;
}

int tlb_check(struct vmsim_cpu *cpu, char *msg, size_t len)
{
	for (unsigned k = 0; k < TLB_NR_KINDS; k++) {
		for (uint64_t s_i = 0; s_i <= cpu->fast_mask[k]; s_i++) {
			const struct tlb_fast *s = &cpu->fast[k][s_i];
			uint64_t key = s->tag[0] != TLB_TAG_INVALID ? s->tag[0] : s->tag[1];
			enum mmu_mode mode = key & TLB_FAST_KERNEL ? MMU_KERNEL : MMU_USER;
			uint64_t vpn = key & ~TLB_FAST_KERNEL;
			struct tlb_array *a;
			unsigned i;
			const struct tlb_entry *e;
			struct tlb_fast want;
			bool global;

			if (key == TLB_TAG_INVALID)
				continue;
			if ((vpn & cpu->fast_mask[k]) != s_i) {
				snprintf(msg, len, "fast[%u][%llu] in the wrong slot", k,
					 (unsigned long long)s_i);
				return -1;
			}
			if (!l1_owner(cpu, k, s->lru, &a, &i) || a->tag[i] == TLB_TAG_INVALID) {
				snprintf(msg, len, "fast[%u][%llu] mirrors no valid L1 entry", k,
					 (unsigned long long)s_i);
				return -1;
			}
			e = &a->e[i];
			global = a->tag[i] & TLB_TAG_G;
			fast_set_tags(&want, k, vpn, mode, e->ok);
			if (memcmp(want.tag, s->tag, sizeof(want.tag)) ||
			    (!global && e->pcid != cpu->pcid) ||
			    (((vpn << 12) & cpu->va_mask) >> e->shift) != (a->tag[i] & TLB_TAG_VPN_MASK) ||
			    (vpn << 12) + s->addend != e->pa + ((vpn << 12) & ((1ULL << e->shift) - 1))) {
				snprintf(msg, len, "fast[%u][%llu] differs from the %s entry it mirrors",
					 k, (unsigned long long)s_i, a->name);
				return -1;
			}
		}
	}
	{
		struct tlb_array *arrs[5] = { &cpu->l1[0], &cpu->l1[1], &cpu->l1_large[0],
					      &cpu->l1_large[1], &cpu->l2 };

		for (unsigned j = 0; j < 5; j++) {
			struct tlb_array *a = arrs[j];
			unsigned nvalid = 0, nlarge = 0;

			for (unsigned i = 0; i < a->entries; i++) {
				const struct tlb_entry *e = &a->e[i];
				unsigned set = i / a->ways;

				if (a->sig[i] != (a->tag[i] == TLB_TAG_INVALID ? 0 : tag_sig(a->tag[i]))) {
					snprintf(msg, len, "%s way %u: signature out of date", a->name, i);
					return -1;
				}
				if (a->tag[i] == TLB_TAG_INVALID) {
					if (a->lru[i]) {
						snprintf(msg, len, "%s way %u invalid with a stamp", a->name, i);
						return -1;
					}
					continue;
				}
				nvalid++;
				nlarge += e->shift != 12;
				/* tag = va >> shift (truncated), set = (va >> shift) & mask */
				if (((a->tag[i] & TLB_TAG_VPN_MASK) & a->set_mask) != set || !a->lru[i] ||
				    !array_holds(a, e->shift)) {
					snprintf(msg, len, "%s entry %u misplaced", a->name, i);
					return -1;
				}
				if (e->ok != tlb_ok_mask(cpu, e->rights)) {
					snprintf(msg, len, "%s entry %u: stale permission mask", a->name, i);
					return -1;
				}
				for (unsigned w = i + 1; w < (set + 1) * a->ways; w++)
					if (a->tag[w] == a->tag[i]) {
						snprintf(msg, len, "%s set %u holds a tag twice", a->name, set);
						return -1;
					}
			}
			for (unsigned set = 0; a->order && set < a->sets; set++)
				if (!order_ok(a, set)) {
					snprintf(msg, len, "%s set %u: recency index %#llx out of date",
						 a->name, set, (unsigned long long)a->order[set]);
					return -1;
				}
			if (nvalid != a->nvalid || nlarge != a->nlarge) {
				snprintf(msg, len, "%s counts %u/%u valid/large, found %u/%u", a->name,
					 a->nvalid, a->nlarge, nvalid, nlarge);
				return -1;
			}
		}
	}
	return 0;
}

/* ---- set-up ---- */

/* Free what array_init() got (any of it: a failed init calls this too). */
static void array_finish(struct vmsim_cpu *cpu, struct tlb_array *a)
{
	if (a->e)
		host_free(cpu->ha, a->e, sizeof(*a->e) * a->entries);
	if (a->tag)
		host_free(cpu->ha, a->tag, sizeof(*a->tag) * a->entries);
	if (a->lru)
		host_free(cpu->ha, a->lru, sizeof(*a->lru) * a->entries);
	if (a->sig)
		host_free(cpu->ha, a->sig, a->entries + 16);
	if (a->order)
		host_free(cpu->ha, a->order, sizeof(*a->order) * a->sets);
	a->order = NULL;
	a->e = NULL;
	a->sig = NULL;
	a->tag = NULL;
	a->lru = NULL;
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
		memset(a, 0, sizeof(*a));
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
