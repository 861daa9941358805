/*
 * Writeback of dirty pages (see writeback.h): mm/page-writeback.c's
 * dirty accounting and writeback flags, the block layer's queue, and the
 * flusher threads of fs/fs-writeback.c reduced to one pass over every
 * dirty page cache page when reclaim wakes them.
 *
 * Invariant: a page is in the queue iff it has PG_writeback, the queue
 * holding a reference on it; NR_WRITEBACK counts the queue.  The queue is
 * empty whenever an operation of the machine returns.
 */
#include "vma/writeback.h"

#include <string.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "vma/filemap.h"
#include "vma/mm.h"
#include "vma/rmap.h"
#include "vma/swap.h"

static void account_page(struct vm_ctx *vm, struct page *page, enum node_stat_item item,
			 long nr, bool write_pending)
{
	mod_lruvec_state(folio_lruvec(vm->pm, page), item, nr);
	if (write_pending)
		mod_zone_page_state(page_zone(vm->pm, page), NR_ZONE_WRITE_PENDING, nr);
}

void folio_start_writeback(struct vm_ctx *vm, struct page *page)
{
	set_page_flag(page, PG_writeback);
	account_page(vm, page, NR_WRITEBACK, 1, true);
	if (vm->wb_nr == vm->wb_cap) {
		unsigned cap = vm->wb_cap ? vm->wb_cap * 2 : 64;
		struct page **q = host_realloc(vm->ha, vm->wb_queue, vm->wb_cap * sizeof(*q),
					       cap * sizeof(*q));

		if (!q) {
			/* no room in the queue: this write completes at once */
			folio_end_writeback(vm, page);
			return;
		}
		vm->wb_queue = q;
		vm->wb_cap = cap;
	}
	get_page(page);
	vm->wb_queue[vm->wb_nr++] = page;
}

void folio_end_writeback(struct vm_ctx *vm, struct page *page)
{
	if (test_clear_page_flag(page, PG_reclaim))
		folio_rotate_reclaimable(vm, page);
	clear_page_flag(page, PG_writeback);
	account_page(vm, page, NR_WRITEBACK, -1, true);
	mod_node_page_state(&vm->pm->node_data[page_to_nid(page)], NR_WRITTEN, 1);
}

void writeback_io_complete(struct vm_ctx *vm)
{
	/* completions may queue nothing new, but take the count first */
	unsigned n = vm->wb_nr;

	vm->wb_nr = 0;
	for (unsigned i = 0; i < n; i++) {
		struct page *page = vm->wb_queue[i];

		folio_end_writeback(vm, page);
		put_page(vm->pm, page);		/* the queue's reference */
	}
}

unsigned writeback_pending(const struct vm_ctx *vm)
{
	return vm->wb_nr;
}

void writeback_finish(struct vm_ctx *vm)
{
	writeback_io_complete(vm);
	if (vm->wb_queue)
		host_free(vm->ha, vm->wb_queue, vm->wb_cap * sizeof(*vm->wb_queue));
	vm->wb_queue = NULL;
	vm->wb_cap = 0;
}

void folio_mark_dirty(struct vm_ctx *vm, struct page *page)
{
	if (page_file(page))
		set_page_dirty(page);
	else
		set_page_flag(page, PG_dirty);
}

bool folio_clear_dirty_for_io(struct vm_ctx *vm, struct page *page)
{
	if (page_file(page)) {
		/* the PTEs' dirty bits move to the page, and the next write
		 * through any of them faults to dirty it again */
		if (folio_mkclean(vm, page))
			set_page_dirty(page);
		if (!PageDirty(page))
			return false;
		clear_page_dirty(page);
		return true;
	}
	return test_clear_page_flag(page, PG_dirty);
}

void wakeup_flusher_threads(struct vm_ctx *vm)
{
	struct page_cache *pc = vm->page_cache;
	struct file *f;

	if (!pc)
		return;
	MM_EV_M(vm, "flusher", "reason=vmscan");
	list_for_each_entry(f, &pc->files, f_list) {
		struct address_space *as = &f->f_mapping;
		struct page *page;
		uint64_t index;

		if (!as->nr_dirty)
			continue;
		xa_for_each(&as->i_pages, index, page) {
			if (xa_is_value(page) || !PageDirty(page) || PageWriteback(page))
				continue;
			if (folio_clear_dirty_for_io(vm, page))
				filemap_writepage(vm, page);
		}
	}
	writeback_io_complete(vm);
}
