/*
 * Dirty pages and their writeback (include/linux/writeback.h,
 * mm/page-writeback.c, fs/fs-writeback.c): a page's write starts
 * (folio_start_writeback()) and goes into the block layer's queue, which
 * completes at defined points -- when a reclaim pass has put its pages
 * back, after the flusher ran, before an operation returns -- so that
 * every run gives the same result; folio_end_writeback() then rotates a
 * page reclaim wrote to the tail of its inactive list.
 */
#ifndef VMSIM_VMA_WRITEBACK_H
#define VMSIM_VMA_WRITEBACK_H

#include <stdbool.h>

struct vm_ctx;
struct page;

/* a writepage that could not write: keep the page, activated */
#define AOP_WRITEPAGE_ACTIVATE 0x80000

/* PG_writeback on, counted (NR_WRITEBACK, NR_ZONE_WRITE_PENDING), queued. */
void folio_start_writeback(struct vm_ctx *vm, struct page *page);
/* The write of @page completed: off writeback, NR_WRITTEN, and to the
 * inactive tail when reclaim asked for it (PG_reclaim). */
void folio_end_writeback(struct vm_ctx *vm, struct page *page);
/* Every queued write completes, in the order they were queued. */
void writeback_io_complete(struct vm_ctx *vm);
/* Pages under writeback now (for the checkers: none between operations). */
unsigned writeback_pending(const struct vm_ctx *vm);

/* folio_mark_dirty(): a file page through its mapping's accounting
 * (NR_FILE_DIRTY, NR_DIRTIED), an anonymous page by its flag alone. */
void folio_mark_dirty(struct vm_ctx *vm, struct page *page);
/* folio_clear_dirty_for_io(): about to write @page: its PTEs become clean
 * and write-protected (folio_mkclean()), a dirty one re-dirtying it, then
 * the dirty flag goes.  true when it was dirty (so must be written). */
bool folio_clear_dirty_for_io(struct vm_ctx *vm, struct page *page);
/* wakeup_flusher_threads(): the flushers write back every dirty page of
 * every file (wb_writeback() of each inode, oldest file first, by
 * index); their writes complete before it returns. */
void wakeup_flusher_threads(struct vm_ctx *vm);

void writeback_finish(struct vm_ctx *vm);

#endif
