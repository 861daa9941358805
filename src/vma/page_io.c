/*
 * Swap I/O (mm/page_io.c of Linux v6.12): pages written to and read from
 * their slots.  The "device" is host memory: a slot's contents are a 4 KiB
 * block (struct swap_blocks in swapfile.h) taken when the slot is first
 * written, kept until the slot is freed.  A page of zeroes is no write at
 * all: its slot's bit in the area's zeromap says so (6.12's zeromap), and
 * reading it back fills the page with zeroes, so a swapped-out zero page
 * costs a bit.  A swapped-out page costs the host its block, the 4-byte
 * block number and the byte of swap_map (bench/bench_swap.c measures it).
 *
 * Writes go through the block layer's queue (page-writeback.c): the page
 * is under writeback until the queue completes, then rotates to the tail
 * of its inactive list for reclaim to free.  Reads complete at once.
 *
 * Invariant: a slot has a block or a zeromap bit only while it is in use;
 * si->nr_stored counts the slots with a block; every block handed out is
 * a slot's or on the free chain.
 */
#include "vma/swapfile.h"

#include <errno.h>
#include <string.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "util/error.h"
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

static uint8_t *block_addr(const struct swap_blocks *b, uint32_t n)
{
	return b->chunks[(n - 1) / SWAP_BLOCK_CHUNK] + (size_t)((n - 1) % SWAP_BLOCK_CHUNK) * PAGE_SIZE;
}

/* A free block's number, 0 when the host has no memory for a chunk. */
static uint32_t block_alloc(struct swap_info_struct *si)
{
	struct swap_blocks *b = &si->blocks;
	uint32_t n = b->free_head;

	if (n) {
		memcpy(&b->free_head, block_addr(b, n), sizeof(b->free_head));
		return n;
	}
	if (b->nr_blocks == (uint32_t)b->nr_chunks * SWAP_BLOCK_CHUNK) {
		uint8_t *chunk;

		if (b->nr_chunks == b->cap) {
			unsigned cap = b->cap ? 2 * b->cap : 8;
			uint8_t **v = host_realloc(si->ha, b->chunks, b->cap * sizeof(*v),
						   cap * sizeof(*v));

			if (!v)
				return 0;
			b->chunks = v;
			b->cap = cap;
		}
		chunk = host_alloc(si->ha, (size_t)SWAP_BLOCK_CHUNK * PAGE_SIZE);
		if (!chunk)
			return 0;
		b->chunks[b->nr_chunks++] = chunk;
	}
	return ++b->nr_blocks;
}

void swap_slot_discard(struct swap_info_struct *si, uint64_t offset)
{
	uint32_t n = si->slot_block[offset];

	if (!n)
		return;
	memcpy(block_addr(&si->blocks, n), &si->blocks.free_head, sizeof(si->blocks.free_head));
	si->blocks.free_head = n;
	si->slot_block[offset] = 0;
	si->nr_stored--;
}

const uint8_t *swap_slot_copy(const struct swap_info_struct *si, uint64_t offset)
{
	uint32_t n = si->slot_block[offset];

	return n ? block_addr(&si->blocks, n) : NULL;
}

int swap_blocks_check(const struct swap_info_struct *si, struct vmsim_error *err)
{
	const struct swap_blocks *b = &si->blocks;
	uint8_t *seen;
	unsigned long used = 0, free = 0;
	int ret = 0;

	if (b->nr_blocks > (uint32_t)b->nr_chunks * SWAP_BLOCK_CHUNK || b->nr_chunks > b->cap)
		return verr(err, -EFAULT, "swap %s: %u blocks in %u chunks (room for %u)", si->name,
			    b->nr_blocks, b->nr_chunks, b->cap);
	if (!b->nr_blocks)
		return 0;
	seen = host_zalloc(si->ha, b->nr_blocks + 1);
	if (!seen)
		return verr(err, -ENOMEM, "out of host memory");
	for (unsigned o = 0; o < si->max && !ret; o++) {
		uint32_t n = si->slot_block[o];

		if (!n)
			continue;
		if (n > b->nr_blocks || seen[n]++)
			ret = verr(err, -EFAULT, "swap %s: slot %#x names block %u, %s", si->name, o, n,
				   n > b->nr_blocks ? "never handed out" : "another slot's too");
		used++;
	}
	for (uint32_t n = b->free_head; n && !ret; free++) {
		if (n > b->nr_blocks || seen[n]++ || free > b->nr_blocks) {
			ret = verr(err, -EFAULT, "swap %s: the free chain reaches block %u, %s",
				   si->name, n, n > b->nr_blocks ? "never handed out" : "in use or seen before");
			break;
		}
		memcpy(&n, block_addr(b, n), sizeof(n));
	}
	if (!ret && used + free != b->nr_blocks)
		ret = verr(err, -EFAULT, "swap %s: %lu blocks in use and %lu free, %u handed out",
			   si->name, used, free, b->nr_blocks);
	host_free(si->ha, seen, b->nr_blocks + 1);
	return ret;
}

void swap_blocks_free(struct swap_info_struct *si)
{
	struct swap_blocks *b = &si->blocks;

	for (unsigned c = 0; c < b->nr_chunks; c++)
		host_free(si->ha, b->chunks[c], (size_t)SWAP_BLOCK_CHUNK * PAGE_SIZE);
	if (b->chunks)
		host_free(si->ha, b->chunks, b->cap * sizeof(*b->chunks));
	*b = (struct swap_blocks){ 0 };
}

int swap_writepage(struct vm_ctx *vm, struct page *page)
{
	swp_entry_t entry = { page->private };
	struct swap_info_struct *si;
	const void *src = page_host(vm->pm, page);
	uint64_t o;

	/* nobody needs the slot any more: the page stays, unwritten */
	if (folio_free_swap(vm, page))
		return 0;
	si = get_swap_device(vm, entry, NULL);
	o = swp_offset(entry);
	if (is_folio_zero_filled(src)) {
		zeromap_set(si, o, true);
		swap_slot_discard(si, o);
		MM_EV_M(vm, "swap_writepage", "pfn=%#lx type=%u offset=%#llx zero",
			page_to_pfn(vm->pm, page), si->type, (unsigned long long)o);
		return 0;
	}
	zeromap_set(si, o, false);
	if (!si->slot_block[o]) {
		si->slot_block[o] = block_alloc(si);
		if (!si->slot_block[o]) {
			/* nowhere to write: the page keeps its data, dirty */
			set_page_flag(page, PG_dirty);
			return -ENOMEM;
		}
		si->nr_stored++;
	}
	folio_start_writeback(vm, page);
	memcpy(block_addr(&si->blocks, si->slot_block[o]), src, PAGE_SIZE);
	count_vm_event(vm->pm, PSWPOUT);
	count_vm_events(vm->pm, PGPGOUT, PAGE_SIZE >> 10);
	MM_EV_M(vm, "swap_writepage", "pfn=%#lx type=%u offset=%#llx",
		page_to_pfn(vm->pm, page), si->type, (unsigned long long)o);
	return 0;
}

int swap_read_folio(struct vm_ctx *vm, struct page *page)
{
	swp_entry_t entry = { page->private };
	struct swap_info_struct *si = get_swap_device(vm, entry, NULL);
	void *dst = page_host(vm->pm, page);
	uint64_t o;

	if (!si)
		return -EIO;
	o = swp_offset(entry);
	if (zeromap_test(si, o)) {
		memset(dst, 0, PAGE_SIZE);
	} else if (si->slot_block[o]) {
		memcpy(dst, block_addr(&si->blocks, si->slot_block[o]), PAGE_SIZE);
		count_vm_event(vm->pm, PSWPIN);
		count_vm_events(vm->pm, PGPGIN, PAGE_SIZE >> 10);
	} else {
		return -EIO;	/* never written: swap_check() says how */
	}
	MM_EV_M(vm, "swap_readpage", "pfn=%#lx type=%u offset=%#llx%s", page_to_pfn(vm->pm, page),
		si->type, (unsigned long long)o, zeromap_test(si, o) ? " zero" : "");
	return 0;
}
