/*
 * Swap I/O (mm/page_io.c of Linux v6.12): pages written to and read from
 * their slots.  The "device" is host memory: a slot's contents are a 4 KiB
 * host copy made when the slot is first written, kept until the slot is
 * freed.  A page of zeroes is no write at all: its slot's bit in the
 * area's zeromap says so (6.12's zeromap), and reading it back fills the
 * page with zeroes, so a swapped-out zero page costs a bit.
 *
 * Writes go through the block layer's queue (page-writeback.c): the page
 * is under writeback until the queue completes, then rotates to the tail
 * of its inactive list for reclaim to free.  Reads complete at once.
 *
 * Invariant: a slot has a host copy or a zeromap bit only while it is in
 * use; si->nr_stored counts the copies.
 */
#include "vma/swapfile.h"

#include <errno.h>
#include <string.h>

#include "kern/machine.h"
#include "vma/mm.h"
#include "vma/writeback.h"

static bool is_folio_zero_filled(const void *p)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < PAGE_SIZE / sizeof(*w); i += 4)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3])
			return false;
	return true;
}

static void zeromap_set(struct swap_info_struct *si, uint64_t o, bool on)
{
	if (on)
		si->zeromap[o / 64] |= 1UL << (o % 64);
	else
		si->zeromap[o / 64] &= ~(1UL << (o % 64));
}

static bool zeromap_test(const struct swap_info_struct *si, uint64_t o)
{
	return (si->zeromap[o / 64] >> (o % 64)) & 1;
}

void swap_slot_discard(struct swap_info_struct *si, uint64_t offset)
{
	if (!si->slot_data[offset])
		return;
	host_free(si->ha, si->slot_data[offset], PAGE_SIZE);
	si->slot_data[offset] = NULL;
	si->nr_stored--;
}

int swap_writepage(struct vmsim_machine *m, struct page *page)
{
	swp_entry_t entry = { page->private };
	struct swap_info_struct *si;
	const void *src = page_host(&m->pm, page);
	uint64_t o;

	/* nobody needs the slot any more: the page stays, unwritten */
	if (folio_free_swap(m, page))
		return 0;
	si = get_swap_device(m, entry, NULL);
	o = swp_offset(entry);
	if (is_folio_zero_filled(src)) {
		zeromap_set(si, o, true);
		swap_slot_discard(si, o);
		MM_EV_M(m, "swap_writepage", "pfn=%#lx type=%u offset=%#llx zero",
			page_to_pfn(&m->pm, page), si->type, (unsigned long long)o);
		return 0;
	}
	zeromap_set(si, o, false);
	if (!si->slot_data[o]) {
		si->slot_data[o] = host_alloc(si->ha, PAGE_SIZE);
		if (!si->slot_data[o]) {
			/* nowhere to write: the page keeps its data, dirty */
			set_page_flag(page, PG_dirty);
			return -ENOMEM;
		}
		si->nr_stored++;
	}
	folio_start_writeback(m, page);
	memcpy(si->slot_data[o], src, PAGE_SIZE);
	count_vm_event(&m->pm, PSWPOUT);
	count_vm_events(&m->pm, PGPGOUT, PAGE_SIZE >> 10);
	MM_EV_M(m, "swap_writepage", "pfn=%#lx type=%u offset=%#llx",
		page_to_pfn(&m->pm, page), si->type, (unsigned long long)o);
	return 0;
}

int swap_read_folio(struct vmsim_machine *m, struct page *page)
{
	swp_entry_t entry = { page->private };
	struct swap_info_struct *si = get_swap_device(m, entry, NULL);
	void *dst = page_host(&m->pm, page);
	uint64_t o;

	if (!si)
		return -EIO;
	o = swp_offset(entry);
	if (zeromap_test(si, o)) {
		memset(dst, 0, PAGE_SIZE);
	} else if (si->slot_data[o]) {
		memcpy(dst, si->slot_data[o], PAGE_SIZE);
		count_vm_event(&m->pm, PSWPIN);
		count_vm_events(&m->pm, PGPGIN, PAGE_SIZE >> 10);
	} else {
		return -EIO;	/* never written: swap_check() says how */
	}
	MM_EV_M(m, "swap_readpage", "pfn=%#lx type=%u offset=%#llx%s", page_to_pfn(&m->pm, page),
		si->type, (unsigned long long)o, zeromap_test(si, o) ? " zero" : "");
	return 0;
}
