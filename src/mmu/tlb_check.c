/*
 * The TLB consistency checker (tlb_check()), run by the tests and
 * `--check`: every fast slot mirrors a valid L1 entry, every entry sits in
 * its set with an up-to-date signature, permission mask and counts, and
 * the L2's recency words order the ways by their stamps.
 */
#include "mmu/tlb_array.h"

#include <stdio.h>
#include <string.h>

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
