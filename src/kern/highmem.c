/*
 * kmap, kmap_local/kmap_atomic and page_address() for high memory (see
 * highmem.h), after mm/highmem.c.
 *
 * Invariant (highmem_check()): pkmap slot i has pkmap_count[i] == 0 and no
 * PTE, or pkmap_count[i] >= 1, a PTE mapping a highmem page, and that page
 * in page_address_htable at PKMAP_ADDR(i); count - 1 is the number of
 * kmap() holds.  A CPU's kmap_local slots [0, idx) are mapped with the
 * PTEs recorded in pteval[], the rest of its KM_MAX_IDX slots are not.
 *
 * Why slots with count 1 stay mapped: unmapping one slot would need a TLB
 * flush on every CPU at every kunmap.  Instead the search for a free slot
 * moves round the area, and only when it wraps to slot 0 are all unused
 * slots cleared together with a single flush (flush_all_zero_pkmaps()).
 * Until then a kmap() of the same page finds its old slot again.
 */
#include "kern/highmem.h"

#include <errno.h>
#include <inttypes.h>

#include "kern/fixmap.h"
#include "kern/kpgtable.h"
#include "mmu/mmu.h"
#include "util/error.h"

static struct highmem_state *hs(const struct vmsim_machine *m)
{
	return m->highmem;
}

bool PageHighMem(const struct vmsim_machine *m, const struct page *page)
{
	return !config_is_64(&m->cfg) && page_zonenum(page) == ZONE_HIGHMEM;
}

static struct list_head *page_slot(struct highmem_state *h, const struct vmsim_machine *m,
				   const struct page *page)
{
	/* hash_ptr(page, PA_HASH_ORDER), on the pfn */
	uint32_t pfn = (uint32_t)page_to_pfn(&m->pm, page);

	return &h->page_address_htable[(pfn * 0x61C88647u) >> (32 - PA_HASH_ORDER)];
}

uint64_t highmem_page_address(struct vmsim_machine *m, const struct page *page)
{
	struct highmem_state *h = hs(m);
	struct list_head *head, *pos;

	if (!PageHighMem(m, page))
		return page_address(&m->pm, page);
	head = page_slot(h, m, page);
	for (pos = head->next; pos != head; pos = pos->next) {
		struct page_address_map *pam = list_entry(pos, struct page_address_map, list);

		if (pam->page == page)
			return pam->virtual;
	}
	return 0;
}

/* set_page_address(): record (@virtual != 0) or forget a pkmap address. */
static void set_page_address(struct vmsim_machine *m, struct page *page, uint64_t virtual)
{
	struct highmem_state *h = hs(m);
	struct list_head *head = page_slot(h, m, page), *pos;

	if (virtual) {
		struct page_address_map *pam;

		/* the pool has LAST_PKMAP entries, one per slot: never empty here */
		pam = list_first_entry(&h->page_address_pool, struct page_address_map, list);
		list_del(&pam->list);
		pam->page = page;
		pam->virtual = virtual;
		list_add_tail(&pam->list, head);
		return;
	}
	for (pos = head->next; pos != head; pos = pos->next) {
		struct page_address_map *pam = list_entry(pos, struct page_address_map, list);

		if (pam->page == page) {
			list_del(&pam->list);
			list_add_tail(&pam->list, &h->page_address_pool);
			return;
		}
	}
}

/* flush_all_zero_pkmaps(): unmap every slot nobody holds (count 1), then
 * one flush for the whole area. */
static void flush_all_zero_pkmaps(struct vmsim_machine *m)
{
	struct highmem_state *h = hs(m);
	bool need_flush = false;

	h->nr_flush_all_zero++;
	for (unsigned i = 0; i < h->last_pkmap; i++) {
		uint64_t old;
		struct page *page;

		if (h->pkmap_count[i] != 1)
			continue;
		h->pkmap_count[i] = 0;
		kernel_clear_pte(m, PKMAP_ADDR(m, i), &old);
		page = pfn_to_page(&m->pm, (unsigned long)(pt_entry_addr(&m->pt, m->pt.fmt->levels - 1,
									  old) >> PAGE_SHIFT));
		set_page_address(m, page, 0);
		need_flush = true;
	}
	if (need_flush)
		flush_tlb_kernel_range(m, PKMAP_ADDR(m, 0), PKMAP_ADDR(m, h->last_pkmap));
}

/* map_new_virtual(): the next free slot after last_pkmap_nr, wrapping (and
 * flushing) at slot 0.  0 if a whole round found every slot held. */
static uint64_t map_new_virtual(struct vmsim_machine *m, struct page *page)
{
	struct highmem_state *h = hs(m);
	unsigned mask = h->last_pkmap - 1, count = h->last_pkmap;
	uint64_t vaddr;

	for (;;) {
		h->last_pkmap_nr = (h->last_pkmap_nr + 1) & mask;
		if (h->last_pkmap_nr == 0) {	/* no_more_pkmaps() */
			flush_all_zero_pkmaps(m);
			count = h->last_pkmap;
		}
		if (!h->pkmap_count[h->last_pkmap_nr])
			break;
		if (--count)
			continue;
		/* the kernel sleeps on pkmap_map_wait here */
		return 0;
	}
	vaddr = PKMAP_ADDR(m, h->last_pkmap_nr);
	if (kernel_set_pte(m, vaddr, page_to_phys(&m->pm, page), __PAGE_KERNEL))
		return 0;	/* no frame for the pkmap page table */
	h->pkmap_count[h->last_pkmap_nr] = 1;
	set_page_address(m, page, vaddr);
	return vaddr;
}

uint64_t kmap(struct vmsim_machine *m, struct page *page)
{
	struct highmem_state *h = hs(m);
	uint64_t vaddr;

	if (!PageHighMem(m, page))
		return page_address(&m->pm, page);
	kspace_mark_dirty(m);
	/* kmap_high() */
	vaddr = highmem_page_address(m, page);
	if (!vaddr)
		vaddr = map_new_virtual(m, page);
	if (!vaddr)
		return 0;
	h->pkmap_count[PKMAP_NR(m, vaddr)]++;
	h->nr_kmap++;
	return vaddr;
}

int kunmap(struct vmsim_machine *m, struct page *page)
{
	struct highmem_state *h = hs(m);
	uint64_t vaddr;
	unsigned nr;

	if (!PageHighMem(m, page))
		return 0;
	kspace_mark_dirty(m);
	/* kunmap_high(): BUG_ON(!vaddr), BUG() when the count would reach 0 */
	vaddr = highmem_page_address(m, page);
	if (!vaddr)
		return -EINVAL;
	nr = PKMAP_NR(m, vaddr);
	if (h->pkmap_count[nr] < 2)
		return -EINVAL;
	h->pkmap_count[nr]--;
	return 0;
}

uint64_t kmap_local_page(struct vmsim_machine *m, unsigned cpu, struct page *page)
{
	struct highmem_state *h = hs(m);
	struct kmap_ctrl *kc;
	uint64_t vaddr;
	int idx;

	if (!PageHighMem(m, page))
		return page_address(&m->pm, page);
	if (cpu >= m->nr_cpus)
		return 0;
	kc = &h->kmap_ctrl[cpu];
	if ((unsigned)kc->idx >= h->km_max_idx)
		return 0;	/* BUG_ON(idx >= KM_MAX_IDX) */
	/* kmap_local_idx_push(), kmap_local_calc_idx() */
	idx = kc->idx;
	vaddr = __fix_to_virt(m, h->fix_kmap_begin + (unsigned)idx + h->km_max_idx * cpu);
	if (kernel_pte(m, vaddr) & _PAGE_PRESENT)
		return 0;	/* BUG_ON(!pte_none(*kmap_pte)) */
	if (kernel_set_pte(m, vaddr, page_to_phys(&m->pm, page), __PAGE_KERNEL))
		return 0;
	kc->pteval[idx] = kernel_pte(m, vaddr);
	kc->idx++;
	h->nr_kmap_local++;
	return vaddr;
}

int kunmap_local(struct vmsim_machine *m, unsigned cpu, uint64_t addr)
{
	struct highmem_state *h = hs(m);
	struct fixmap_layout fl;
	struct kmap_ctrl *kc;
	uint64_t old;
	int idx;

	addr &= ~(uint64_t)(PAGE_SIZE - 1);
	fixmap_layout(&m->cfg, &fl);
	if (fl.fix_kmap_begin == FIX_NONE || addr < __fix_to_virt(m, fl.fix_kmap_end) ||
	    addr > __fix_to_virt(m, fl.fix_kmap_begin))
		/* not a kmap_local slot: a direct-map (lowmem) address, which
		 * needs nothing; WARN_ON_ONCE(addr < PAGE_OFFSET) otherwise */
		return addr >= m->cfg.page_offset ? 0 : -EINVAL;
	if (cpu >= m->nr_cpus)
		return -EINVAL;
	kc = &h->kmap_ctrl[cpu];
	idx = kc->idx - 1;
	/* WARN_ON_ONCE(addr != __fix_to_virt(FIX_KMAP_BEGIN + idx)): the
	 * slots are a stack; refuse rather than clear someone else's slot */
	if (idx < 0 || addr != __fix_to_virt(m, h->fix_kmap_begin + (unsigned)idx +
					     h->km_max_idx * cpu))
		return -EINVAL;
	kernel_clear_pte(m, addr, &old);
	/* arch_kmap_local_post_unmap(): the slot is this CPU's, so only this
	 * CPU's TLB can hold it */
	invlpg(&m->cpus[cpu], addr);
	kc->pteval[idx] = 0;
	kc->idx--;
	return 0;
}

int highmem_init(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct highmem_state *h = host_zalloc(&m->ha, sizeof(*h));
	struct fixmap_layout fl;

	if (!h)
		return verr(err, -ENOMEM, "out of host memory for kmap");
	m->highmem = h;
	fixmap_layout(&m->cfg, &fl);
	for (unsigned i = 0; i < (1u << PA_HASH_ORDER); i++)
		INIT_LIST_HEAD(&h->page_address_htable[i]);
	INIT_LIST_HEAD(&h->page_address_pool);
	if (config_is_64(&m->cfg))
		return 0;	/* no HIGHMEM: nothing more to set up */
	h->last_pkmap = m->cfg.last_pkmap;
	h->fix_kmap_begin = fl.fix_kmap_begin;
	h->km_max_idx = fl.km_max_idx;
	h->pkmap_count = host_zalloc(&m->ha, sizeof(*h->pkmap_count) * h->last_pkmap);
	h->page_address_maps = host_zalloc(&m->ha, sizeof(*h->page_address_maps) * h->last_pkmap);
	h->kmap_ctrl = host_zalloc(&m->ha, sizeof(*h->kmap_ctrl) * m->nr_cpus);
	if (!h->pkmap_count || !h->page_address_maps || !h->kmap_ctrl) {
		highmem_finish(m);
		return verr(err, -ENOMEM, "out of host memory for kmap");
	}
	/* page_address_init() */
	for (unsigned i = 0; i < h->last_pkmap; i++)
		list_add_tail(&h->page_address_maps[i].list, &h->page_address_pool);
	return 0;
}

void highmem_finish(struct vmsim_machine *m)
{
	struct highmem_state *h = m->highmem;

	if (!h)
		return;
	if (h->pkmap_count)
		host_free(&m->ha, h->pkmap_count, sizeof(*h->pkmap_count) * h->last_pkmap);
	if (h->page_address_maps)
		host_free(&m->ha, h->page_address_maps,
			  sizeof(*h->page_address_maps) * h->last_pkmap);
	if (h->kmap_ctrl)
		host_free(&m->ha, h->kmap_ctrl, sizeof(*h->kmap_ctrl) * m->nr_cpus);
	host_free(&m->ha, h, sizeof(*h));
	m->highmem = NULL;
}

static uint64_t pte_pa(struct vmsim_machine *m, uint64_t pte)
{
	return pt_entry_addr(&m->pt, m->pt.fmt->levels - 1, pte);
}

int highmem_check(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct highmem_state *h = hs(m);
	unsigned long in_use = 0, hashed = 0;

	for (unsigned i = 0; i < h->last_pkmap; i++) {
		uint64_t va = PKMAP_ADDR(m, i), pte = kernel_pte(m, va);
		struct page *page;

		if (h->pkmap_count[i] < 0)
			return verr(err, -EFAULT, "pkmap: slot %u count %d", i, h->pkmap_count[i]);
		if (h->pkmap_count[i] == 0) {
			if (pte & _PAGE_PRESENT)
				return verr(err, -EFAULT, "pkmap: free slot %u is mapped", i);
			continue;
		}
		in_use++;
		if (!(pte & _PAGE_PRESENT))
			return verr(err, -EFAULT, "pkmap: slot %u (count %d) has no PTE", i,
				    h->pkmap_count[i]);
		page = pfn_to_page(&m->pm, (unsigned long)(pte_pa(m, pte) >> PAGE_SHIFT));
		if (!PageHighMem(m, page))
			return verr(err, -EFAULT, "pkmap: slot %u maps lowmem 0x%" PRIx64, i,
				    pte_pa(m, pte));
		if (highmem_page_address(m, page) != va)
			return verr(err, -EFAULT, "pkmap: page at 0x%" PRIx64 " not hashed to slot %u",
				    pte_pa(m, pte), i);
	}
	for (unsigned b = 0; b < (1u << PA_HASH_ORDER); b++)
		for (struct list_head *p = h->page_address_htable[b].next;
		     p != &h->page_address_htable[b]; p = p->next)
			hashed++;
	if (hashed != in_use)
		return verr(err, -EFAULT, "pkmap: %lu slots in use, %lu hashed pages", in_use, hashed);
	for (unsigned c = 0; h->kmap_ctrl && c < m->nr_cpus; c++) {
		struct kmap_ctrl *kc = &h->kmap_ctrl[c];

		if (kc->idx < 0 || (unsigned)kc->idx > h->km_max_idx)
			return verr(err, -EFAULT, "kmap_local: cpu %u idx %d", c, kc->idx);
		for (unsigned i = 0; i < h->km_max_idx; i++) {
			uint64_t va = __fix_to_virt(m, h->fix_kmap_begin + i + h->km_max_idx * c);
			uint64_t pte = kernel_pte(m, va);

			if (i < (unsigned)kc->idx &&
			    (!(pte & _PAGE_PRESENT) || pte_pa(m, pte) != pte_pa(m, kc->pteval[i])))
				return verr(err, -EFAULT, "kmap_local: cpu %u slot %u lost its PTE", c, i);
			if (i >= (unsigned)kc->idx && (pte & _PAGE_PRESENT))
				return verr(err, -EFAULT, "kmap_local: cpu %u unused slot %u is mapped",
					    c, i);
		}
	}
	return 0;
}
