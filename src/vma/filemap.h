/*
 * The page cache (mm/filemap.c): simulated files, each with one
 * address_space whose pages sit in a radix tree keyed by page index, the
 * VMAs that map it (i_mmap), and the file-fault paths of mm/memory.c that
 * read through it (do_read_fault with fault-around, do_shared_fault,
 * filemap_map_pages, page_mkwrite).
 *
 * A simulated file is either a host file (kept open read-only on the
 * host: each page is read with pread() when it is first needed, zero-
 * filled past EOF, and writes through shared mappings stay in the
 * simulated frames, as do punched holes) or an in-memory file a scenario declares with
 * contents and a size.  A file stays cached while it is referenced, as an
 * inode stays in the inode cache: a later exec or mmap finds its pages
 * still there.  Files are found by name and host files by device and
 * inode through hash tables, so opening the n-th file costs what the
 * first did.
 */
#ifndef VMSIM_VMA_FILEMAP_H
#define VMSIM_VMA_FILEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/htab.h"
#include "util/list.h"
#include "vma/pagecache_xa.h"

struct vm_ctx;
struct vmsim_error;
struct vm_area_struct;
struct fault_stats;
struct page;
struct phys_mem;

#ifndef VM_FAULT_SIGBUS
#define VM_FAULT_SIGBUS		0x0002
#endif
#ifndef VM_FAULT_MAJOR
#define VM_FAULT_MAJOR		0x0004
#endif
#ifndef VM_FAULT_NOPAGE
#define VM_FAULT_NOPAGE		0x0100
#endif

struct address_space {
	struct xarray i_pages;		/* page index -> struct page (one reference each) */
	unsigned long nrpages;
	unsigned long nr_dirty;		/* pages with PG_dirty */
	struct list_head i_mmap;	/* the VMAs mapping it (vma->shared), in insertion order */
	unsigned long i_mmap_count;	/* VMAs mapping the file */
	uint64_t i_size;		/* bytes */
	struct file *host;		/* the file this mapping belongs to */
};

struct page_cache;

/* Pages [first, last] of a file read as zeros (a punched hole). */
struct file_hole {
	uint64_t first, last;
};

struct file {
	struct page_cache *pc;
	struct list_head f_list;	/* on pc->files, oldest first */
	unsigned long f_seq;		/* its place in that order */
	int f_count;			/* references from VMAs and open users */
	char *f_path;			/* as /proc/PID/maps shows it */
	uint64_t i_ino;
	unsigned dev_major, dev_minor;
	int fd;				/* host file: open read-only, pages read from it */
	const uint8_t *data;		/* in-memory file: data_len bytes (may be NULL) */
	size_t data_len;
	struct file_hole *holes;	/* punched pages: sorted, disjoint, never touching */
	size_t nr_holes, holes_cap;
	bool host_backed;		/* a host file (identified by dev/ino) */
	bool check_dirty;		/* changed since the last check (--check) */
	struct address_space f_mapping;
	struct xarray written;		/* index -> host copy of a written-back page */
};

/* The machine's page cache: every simulated file and the counters. */
struct page_cache {
	struct vm_ctx *vm;
	struct list_head files;
	struct htab by_name;		/* every file, by f_path */
	struct htab by_inode;		/* host files, by device and inode */
	unsigned long nr_files;
	unsigned long next_seq;
	unsigned long next_ino;		/* for in-memory files */
	unsigned long lookups;		/* find_get_page() calls */
	unsigned long hits;
	unsigned long reads;		/* pages read from the backing file (misses) */
	unsigned long around_mapped;	/* PTEs fault-around installed */
	bool check_dirty;		/* files came or went since the last check */
};

void page_cache_init(struct page_cache *pc, struct vm_ctx *vm);
/* Drop every cached page and file (machine teardown). */
void page_cache_finish(struct page_cache *pc);
/* machine_shutdown(): after the tasks are gone, the files still held
 * open (scenario-declared ones) go with their pages and the cache. */
void page_cache_destroy(struct vm_ctx *vm);

/*
 * The file at @host_path (opened read-only on the host and kept open),
 * shown as @name (NULL: the host's real path).  It must be a regular file
 * (a FIFO is refused without waiting for a writer, a device or directory
 * by name).  Opening the same host inode again returns the same struct
 * file, so its pages are shared.  The result holds one reference
 * (fput()).  -errno with "PATH: reason" in @err.
 */
int filemap_open(struct page_cache *pc, const char *host_path, const char *name,
		 struct file **out, struct vmsim_error *err);
/* An in-memory file @name of @size bytes whose first @len bytes are
 * @contents (copied; the rest reads as zeros). */
int filemap_create(struct page_cache *pc, const char *name, const void *contents, size_t len,
		   uint64_t size, struct file **out, struct vmsim_error *err);
/* The file called @name (as shown), or NULL; the oldest if several are. */
struct file *filemap_lookup(struct page_cache *pc, const char *name);

static inline struct file *get_file(struct file *f)
{
	f->f_count++;
	return f;
}
/* Drop a reference.  The file and its cached pages stay in the cache. */
void fput(struct file *f);

/* Read @len bytes at @off of the file's contents as the page cache sees
 * them (cached frames first, then the backing file, zeros past EOF),
 * without caching what it reads.  0, or -EIO when the host read fails. */
int filemap_read(struct file *f, uint64_t off, void *buf, size_t len);

/*
 * find_get_page() / filemap_fault()'s read: the cached page at @index,
 * read in (zero-filled past EOF) when missing.  No reference is added:
 * the cache keeps its own.  *major is set when the page had to be read.
 * -ENXIO for an index at or past the end of the file (SIGBUS), -EIO when
 * the host read fails (SIGBUS too), -ENOMEM when no frame is left.
 */
int filemap_get_page(struct file *f, uint64_t index, struct page **out, bool *major);
/*
 * force_page_cache_readahead() (POSIX_FADV_WILLNEED, MADV_WILLNEED): read
 * pages [@index, @index + @nr_to_read) that are not cached yet into the
 * cache, at most the device's readahead window or largest request
 * (pagecache.read_ahead_kb, pagecache.max_sectors_kb), never past the end
 * of the file, stopping quietly when memory runs out.  The I/O completes
 * at once.  Returns the pages read.
 */
uint64_t force_page_cache_readahead(struct file *f, uint64_t index, uint64_t nr_to_read);
/* The cached page at @index or NULL, without reading. */
struct page *filemap_find_page(struct file *f, uint64_t index);
/* __filemap_remove_folio(): reclaim takes @page out of its file's cache,
 * @shadow (may be NULL) left in its slot; the cache's reference is the
 * caller's to drop. */
void __filemap_remove_folio(struct vm_ctx *vm, struct page *page, void *shadow);
/* a_ops->writepage: @page's bytes become the file's (kept in host
 * memory), the write under way (PG_writeback) until the queue completes.
 * 0, or AOP_WRITEPAGE_ACTIVATE when there was no memory to write into. */
int filemap_writepage(struct vm_ctx *vm, struct page *page);
/* echo 1 > /proc/sys/vm/drop_caches: every clean page cache page that
 * nothing maps or holds leaves its file, and every shadow entry goes
 * (invalidate_mapping_pages() of each file); a page that cannot go is
 * deactivated instead.  The pages dropped. */
unsigned long drop_pagecache(struct vm_ctx *vm);
/* folio_mark_dirty(): a shared mapping wrote the page. */
void set_page_dirty(struct page *page);
/* Clear a page's dirty state (as writeback would), keeping it cached. */
void clear_page_dirty(struct page *page);
/* filemap_unaccount_folio(): @page leaves a file's or shared memory
 * object's cache: NR_FILE_PAGES (and NR_SHMEM for shmem) drop. */
void filemap_unaccount_folio(struct phys_mem *pm, struct page *page);
/* filemap_write_and_wait_range(): write back the dirty pages of bytes
 * [lstart, lend] (inclusive): each becomes clean, and so do the PTEs of
 * shared mappings of it, write-protected to catch the next write.
 * Simulated files have no disk: the bytes stay in the cache.  0. */
int filemap_write_and_wait_range(struct file *f, uint64_t lstart, uint64_t lend);
/* The file a page-cache page belongs to, or NULL for other pages. */
struct file *page_file(const struct page *page);

/* i_mmap (vma_interval_tree_insert/remove): the VMAs mapping a file, and
 * those mapping a shared anonymous object (a shmem inode in the kernel),
 * linked through vma->shared, so that insert and remove are O(1).  Other
 * VMAs have none: insert does nothing, contains is false. */
void i_mmap_insert(struct vm_area_struct *vma);
void i_mmap_remove(struct vm_area_struct *vma);
bool i_mmap_contains(const struct vm_area_struct *vma);

/*
 * vfs_fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) of [@offset,
 * @offset + @len) (page aligned) of what @vma maps, a file or a shared
 * anonymous object: every mapping of the pages there loses them (private
 * copies stay), the cache or the object drops them, and the range reads
 * as zeros afterwards (a host file is not written: the hole is recorded
 * and lasts as long as the cached file); the size does not change.  0,
 * -ENOMEM (nothing changed), or -EINVAL when @vma maps neither.
 */
int filemap_punch_hole(struct vm_area_struct *vma, uint64_t offset, uint64_t len);

/*
 * Fault handling for file VMAs, what mm/memory.c's do_fault() does:
 *   read:           do_read_fault(): fault-around over cached pages, then
 *                   the page itself, mapped read-only (private) or
 *                   write-protected (shared, to see the first write);
 *   private write:  do_cow_fault(): a private anonymous copy of the cache
 *                   page, mapped writable at once;
 *   shared write:   do_shared_fault(): the cache page, writable, dirty.
 * @epa is the physical address of the PTE for @addr (allocated by the
 * caller).  Returns 0 or VM_FAULT_* (SIGBUS past EOF, OOM).
 */
struct vm_fault {
	struct vm_area_struct *vma;
	uint64_t address;		/* page aligned */
	uint64_t pgoff;			/* file page index of address */
	unsigned flags;			/* FAULT_FLAG_* */
	uint64_t epa;			/* the PTE's physical address */
	struct fault_stats *st;
};
unsigned do_fault(struct vm_fault *vmf);
/* filemap_map_pages(): map the cached pages of [start_pgoff, end_pgoff]
 * whose PTEs are empty; VM_FAULT_NOPAGE when that covered vmf->address. */
unsigned filemap_map_pages(struct vm_fault *vmf, uint64_t start_pgoff, uint64_t end_pgoff);
/* The first write to a write-protected page of a shared file mapping
 * (wp_page_shared -> page_mkwrite): mark the cache page dirty. */
void filemap_page_mkwrite(struct vm_area_struct *vma, struct page *page);

/* The page cache of @vm (made on first use). */
struct page_cache *machine_page_cache(struct vm_ctx *vm);

/* Structure check of every file: the radix tree, nrpages and nr_dirty
 * against the pages, page->mapping/index, i_mmap against the VMAs' files.
 * 0 or -EFAULT with the first problem in @err. */
int page_cache_check(struct page_cache *pc, struct vmsim_error *err);
/* The same for the files changed since the last check (all of them when
 * files came or went): --check's incremental pass.  Either clears the
 * marks when it finds nothing wrong. */
int page_cache_check_dirty(struct page_cache *pc, struct vmsim_error *err);

#endif
