/*
 * The set-associative TLB arrays and the fast tables that mirror the L1s
 * (struct tlb_array, struct tlb_fast in mmu.h), as the miss path (tlb.c),
 * the invalidations (tlb_flush.c) and the checker (tlb_check.c) share
 * them: an entry's tag and key, a set searched through its one-byte
 * signatures, a way invalidated with its fast slots, and the L2's recency
 * word.  Internal to src/mmu.
 */
#ifndef VMSIM_MMU_TLB_ARRAY_H
#define VMSIM_MMU_TLB_ARRAY_H

#include "mmu/mmu.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

extern tlb_stamp_t tlb_dummy_lru;	/* what cleared fast slots point at (a slot
					 * whose tags fast_forget() invalidated keeps
					 * its stale pointer: only the tags make a
					 * slot valid) */

static inline void fast_invalidate_slot(struct tlb_fast *s)
{
	s->tag[0] = s->tag[1] = TLB_TAG_INVALID;
	s->addend = 0;
	s->lru = &tlb_dummy_lru;
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

static inline void fast_clear(struct vmsim_cpu *cpu, unsigned k)
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
 * out of line, but static: GCC then sees what it writes and keeps the
 * miss path's loaded fields in registers across the call (an extern one
 * cost 21 instructions a miss, bench_mmu miss 16384 under callgrind). */
static __attribute__((noinline, unused)) void
fast_forget_large(struct vmsim_cpu *cpu, unsigned k, struct tlb_array *a, unsigned i)
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

static inline bool array_holds(const struct tlb_array *a, unsigned shift)
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
static inline void order_drop(struct tlb_array *a, unsigned set, unsigned w)
{
	const uint64_t o = a->order[set];
	const unsigned sh = order_field(o, w), last = 4 * (a->ways - 1);
	const uint64_t moved = (o & ((1ULL << sh) - 1)) | ((o >> 4) & (~0ULL << sh));

	a->order[set] = (moved & ~(15ULL << last)) | (uint64_t)w << last | a->order_pad;
}

/* Drop the TLB entries that map @va under the current PCID or globally
 * (tlb_flush.c), in the L1s of kinds set in @l1 (1 << TLB_D, 1 << TLB_I)
 * and, if @l2, the L2: one set searched per page size an array holds. */
void tlb_drop_va(struct vmsim_cpu *cpu, uint64_t va, unsigned l1, bool l2);

#endif
