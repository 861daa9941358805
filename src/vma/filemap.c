/*
 * The page cache and the file-fault paths (see filemap.h): mm/filemap.c's
 * address_space with its radix tree, filemap_fault's read of a missing
 * page, filemap_map_pages for fault-around, the do_read_fault /
 * do_shared_fault / do_fault_around logic of mm/memory.c, readahead
 * (force_page_cache_readahead, for MADV_WILLNEED) and hole punching
 * (unmap_mapping_range + truncate_inode_pages_range, for MADV_REMOVE, of
 * files and of shared anonymous objects alike).
 *
 * Host files are read page by page: the file stays open and a page is
 * pread() when a fault or a header read first needs it, never the whole
 * file at open (a 2 GiB binary costs what its touched pages cost).  A
 * short read (the file shrank since it was opened) leaves the rest of the
 * page zero, as the last partial page past EOF is; a failed read is -EIO,
 * which a fault turns into SIGBUS as filemap_fault() does.  The host file
 * is never written: a punched hole is recorded as a range of pages that
 * reads as zeros (what a filesystem's unwritten extents read as), and a
 * page cached since then, which holds the file's bytes from then on,
 * wins over the record.
 *
 * Under memory pressure reclaim drops clean pages (__filemap_remove_folio(),
 * leaving a workingset shadow entry in the page's slot) and writes dirty
 * ones back first (filemap_writepage()): a file's written-back pages are
 * kept in host memory beside its original contents, and a page read
 * again comes from there.  The host file itself is never written.
 *
 * Invariant: every page in a file's i_pages has page->mapping pointing at
 * that address_space and page->index equal to its key, holds exactly one
 * reference for the cache (plus one per PTE that maps it, _mapcount + 1
 * PTEs), and counts in nr_dirty iff PG_dirty is set; nrpages equals the
 * tree's page entries (shadow entries are values, not pages); a file's
 * i_mmap holds exactly the linked VMAs whose vm_file it is, a shared
 * anonymous object's those whose shm it is; a file's holes are sorted,
 * disjoint and never touch.  Every file is in the name hash, every host
 * file in the inode hash, and nowhere else.  page_cache_check() and
 * check_mm() verify it.
 */
#include "vma/filemap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "mmu/mmu.h"
#include "phys/gfp.h"
#include "phys/mm_inline.h"
#include "phys/mmzone.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "vma/memcontrol.h"
#include "vma/mm.h"
#include "vma/rmap.h"
#include "vma/swap.h"
#include "vma/workingset.h"
#include "vma/writeback.h"

/* ---- the machine's cache ---- */

void page_cache_init(struct page_cache *pc, struct vm_ctx *vm)
{
	memset(pc, 0, sizeof(*pc));
	pc->vm = vm;
	INIT_LIST_HEAD(&pc->files);
	htab_init(&pc->by_name, vm->ha);
	htab_init(&pc->by_inode, vm->ha);
	pc->next_ino = 1;
}

static uint64_t name_hash(const struct page_cache *pc, const char *name)
{
	return htab_hash_str(&pc->by_name, name);
}

/* A host file's identity: its device and inode. */
static uint64_t inode_hash(const struct page_cache *pc, unsigned dev_major, unsigned dev_minor,
			   uint64_t ino)
{
	uint64_t key[2] = { (uint64_t)dev_major << 32 | dev_minor, ino };

	return htab_hash(&pc->by_inode, key, sizeof(key));
}

struct page_cache *machine_page_cache(struct vm_ctx *vm)
{
	if (!vm->page_cache) {
		struct page_cache *pc = host_alloc(vm->ha, sizeof(*pc));

		if (!pc)
			return NULL;
		page_cache_init(pc, vm);
		vm->page_cache = pc;
	}
	return vm->page_cache;
}

void filemap_unaccount_folio(struct phys_mem *pm, struct page *page)
{
	lruvec_stat_mod_folio(pm, page, NR_FILE_PAGES, -1);
	if (test_page_flag(page, PG_swapbacked))
		lruvec_stat_mod_folio(pm, page, NR_SHMEM, -1);
}

/* truncate_inode_pages_range(): the cached pages [first, last] leave the
 * file's cache, and so do the shadow entries of pages reclaimed there;
 * nothing maps them any more. */
static void truncate_inode_pages_range(struct file *f, uint64_t first, uint64_t last)
{
	struct address_space *as = &f->f_mapping;
	struct phys_mem *pm = f->pc->vm->pm;
	uint64_t index = first;
	struct page *page;

	f->check_dirty = true;
	while (index <= last && (page = xa_find(&as->i_pages, &index, last))) {
		xa_erase(&as->i_pages, index);
		if (!xa_is_value(page)) {
			clear_page_dirty(page);
			clear_page_flag(page, PG_uptodate);
			page->mapping = NULL;
			as->nrpages--;
			filemap_unaccount_folio(pm, page);
			put_page(pm, page);
		}
		if (index == last)
			break;
		index++;
	}
}

/* truncate_inode_pages(): drop the cache's reference on every page. */
static void truncate_inode_pages(struct file *f)
{
	truncate_inode_pages_range(f, 0, UINT64_MAX);
	xa_destroy(&f->f_mapping.i_pages);
}

/* The host copies of pages [first, last] written back under memory
 * pressure go: the file no longer holds those bytes. */
static void drop_written(struct file *f, uint64_t first, uint64_t last)
{
	uint64_t index = first;
	void *copy;

	while (index <= last && (copy = xa_find(&f->written, &index, last))) {
		xa_erase(&f->written, index);
		host_free(f->pc->vm->ha, copy, PAGE_SIZE);
		if (index == last)
			break;
		index++;
	}
}

/* The host copies of the written-back pages go with the file. */
static void free_written(struct file *f)
{
	drop_written(f, 0, UINT64_MAX);
	xa_destroy(&f->written);
}

static void file_free(struct file *f)
{
	struct page_cache *pc = f->pc;
	struct host_arena *ha = pc->vm->ha;
	struct vm_area_struct *vma, *tmp;

	truncate_inode_pages(f);
	free_written(f);
	list_for_each_entry_safe(vma, tmp, &f->f_mapping.i_mmap, shared)
		list_del_init(&vma->shared);
	if (f->data)
		host_free(ha, (void *)f->data, f->data_len);
	host_free(ha, f->holes, f->holes_cap * sizeof(f->holes[0]));
	if (f->fd >= 0)
		close(f->fd);
	htab_remove(&pc->by_name, name_hash(pc, f->f_path), f);
	if (f->host_backed)
		htab_remove(&pc->by_inode, inode_hash(pc, f->dev_major, f->dev_minor, f->i_ino), f);
	list_del(&f->f_list);
	pc->nr_files--;
	pc->check_dirty = true;
	host_free(ha, f->f_path, strlen(f->f_path) + 1);
	host_free(ha, f, sizeof(*f));
}

void page_cache_finish(struct page_cache *pc)
{
	struct file *f, *tmp;

	if (!pc)
		return;
	list_for_each_entry_safe(f, tmp, &pc->files, f_list)
		file_free(f);
}

void page_cache_destroy(struct vm_ctx *vm)
{
	struct page_cache *pc = vm->page_cache;

	if (!pc)
		return;
	page_cache_finish(pc);
	vm->page_cache = NULL;
	htab_destroy(&pc->by_name);
	htab_destroy(&pc->by_inode);
	host_free(vm->ha, pc, sizeof(*pc));
}

/* The cache goes with its last file, so that a machine with no file left
 * holds nothing here and needs no teardown call. */
static void page_cache_put(struct page_cache *pc)
{
	struct vm_ctx *vm = pc->vm;

	if (pc->nr_files || vm->page_cache != pc)
		return;
	vm->page_cache = NULL;
	htab_destroy(&pc->by_name);
	htab_destroy(&pc->by_inode);
	host_free(vm->ha, pc, sizeof(*pc));
}

void fput(struct file *f)
{
	struct page_cache *pc;

	if (!f || --f->f_count > 0)
		return;
	/* The last user is gone: Linux would keep the inode and its clean
	 * pages until reclaim; vmsim has no inode cache, so the file goes
	 * with its pages and what was written back to it. */
	pc = f->pc;
	file_free(f);
	page_cache_put(pc);
}

static struct file *file_alloc(struct page_cache *pc, const char *name, struct vmsim_error *err)
{
	struct host_arena *ha = pc->vm->ha;
	struct file *f = host_zalloc(ha, sizeof(*f));

	if (!f) {
		verr(err, -ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	f->f_path = host_strdup(ha, name);
	if (!f->f_path) {
		host_free(ha, f, sizeof(*f));
		verr(err, -ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	if (htab_insert(&pc->by_name, name_hash(pc, name), f)) {
		host_free(ha, f->f_path, strlen(f->f_path) + 1);
		host_free(ha, f, sizeof(*f));
		verr(err, -ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	f->pc = pc;
	f->f_count = 1;
	f->f_seq = pc->next_seq++;
	f->fd = -1;
	xa_init(&f->f_mapping.i_pages, ha);
	xa_init(&f->written, ha);
	INIT_LIST_HEAD(&f->f_mapping.i_mmap);
	f->f_mapping.host = f;
	list_add_tail(&f->f_list, &pc->files);
	pc->check_dirty = true;
	pc->nr_files++;
	return f;
}

struct file *filemap_lookup(struct page_cache *pc, const char *name)
{
	struct file *f, *oldest = NULL;
	struct htab_iter it;

	if (!pc)
		return NULL;
	/* a host file replaced under the same path is a second file of
	 * that name: the first one opened answers, as on the list */
	htab_for_each_possible(&pc->by_name, name_hash(pc, name), it, f)
		if (strcmp(f->f_path, name) == 0 && (!oldest || f->f_seq < oldest->f_seq))
			oldest = f;
	return oldest;
}

/* The cached host file of device and inode @st, or NULL. */
static struct file *find_inode(struct page_cache *pc, const struct stat *st)
{
	unsigned maj = major(st->st_dev), min = minor(st->st_dev);
	uint64_t ino = (uint64_t)st->st_ino;
	struct htab_iter it;
	struct file *f;

	htab_for_each_possible(&pc->by_inode, inode_hash(pc, maj, min, ino), it, f)
		if (f->i_ino == ino && f->dev_major == maj && f->dev_minor == min)
			return f;
	return NULL;
}

static int __filemap_open(struct page_cache *pc, const char *host_path, const char *name,
			  struct file **out, struct vmsim_error *err)
{
	char real[PATH_MAX];
	struct stat st;
	struct file *f;
	int fd, e;

	*out = NULL;
	/* O_NONBLOCK: a FIFO named by a hostile PT_INTERP must not hang us;
	 * it is refused below as not a regular file */
	fd = open(host_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return verr(err, -errno, "%s: %s", host_path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return verr(err, -e, "%s: %s", host_path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? verr(err, -EISDIR, "%s: is a directory", host_path) :
		       verr(err, -EACCES, "%s: not a regular file", host_path);
	}
	/* the same inode opened twice is one cached file */
	f = find_inode(pc, &st);
	if (f) {
		close(fd);
		*out = get_file(f);
		return 0;
	}
	if (!name)
		name = realpath(host_path, real) ? real : host_path;
	f = file_alloc(pc, name, err);
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	f->host_backed = true;
	f->f_mapping.i_size = (uint64_t)st.st_size;
	f->i_ino = (uint64_t)st.st_ino;
	f->dev_major = major(st.st_dev);
	f->dev_minor = minor(st.st_dev);
	f->fd = fd;
	if (htab_insert(&pc->by_inode, inode_hash(pc, f->dev_major, f->dev_minor, f->i_ino), f)) {
		f->host_backed = false;		/* not in the inode hash */
		file_free(f);
		return verr(err, -ENOMEM, "%s: out of memory", host_path);
	}
	*out = f;
	return 0;
}

static int __filemap_create(struct page_cache *pc, const char *name, const void *contents,
			    size_t len, uint64_t size, struct file **out, struct vmsim_error *err)
{
	struct file *f;

	*out = NULL;
	if (len > size)
		return verr(err, -EINVAL, "%s: %zu bytes of contents in a file of %llu", name, len,
			    (unsigned long long)size);
	if (filemap_lookup(pc, name))
		return verr(err, -EEXIST, "%s: a file of that name exists", name);
	f = file_alloc(pc, name, err);
	if (!f)
		return -ENOMEM;
	if (len) {
		void *d = host_alloc(pc->vm->ha, len);

		if (!d) {
			file_free(f);
			return verr(err, -ENOMEM, "%s: out of memory", name);
		}
		memcpy(d, contents, len);
		f->data = d;
		f->data_len = len;
	}
	f->f_mapping.i_size = size;
	f->i_ino = pc->next_ino++;
	f->dev_major = 0;
	f->dev_minor = 1;	/* an anonymous "tmpfs" device for declared files */
	*out = f;
	return 0;
}

/* A failed open leaves no empty cache behind (machine_page_cache() may
 * have just made it). */
int filemap_open(struct page_cache *pc, const char *host_path, const char *name,
		 struct file **out, struct vmsim_error *err)
{
	int ret;

	if (!pc)
		return verr(err, -ENOMEM, "%s: out of memory", host_path);
	ret = __filemap_open(pc, host_path, name, out, err);
	if (ret)
		page_cache_put(pc);
	return ret;
}

int filemap_create(struct page_cache *pc, const char *name, const void *contents, size_t len,
		   uint64_t size, struct file **out, struct vmsim_error *err)
{
	int ret;

	if (!pc)
		return verr(err, -ENOMEM, "%s: out of memory", name);
	ret = __filemap_create(pc, name, contents, len, size, out, err);
	if (ret)
		page_cache_put(pc);
	return ret;
}

/* ---- pages ---- */

struct file *page_file(const struct page *page)
{
	const struct address_space *as = page->mapping;

	if (!as || PageAnon(page) || test_page_flag(page, PG_swapbacked) || PageSlab(page))
		return NULL;
	return as->host;
}

struct page *filemap_find_page(struct file *f, uint64_t index)
{
	void *p = xa_load(&f->f_mapping.i_pages, index);

	return xa_is_value(p) ? NULL : p;
}

/* ---- holes (fallocate(FALLOC_FL_PUNCH_HOLE)) ---- */

/* The first hole of @f that ends at or after page @index (nr_holes when
 * none does). */
static size_t hole_search(const struct file *f, uint64_t index)
{
	size_t lo = 0, hi = f->nr_holes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->holes[mid].last < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool page_in_hole(const struct file *f, uint64_t index)
{
	size_t i = hole_search(f, index);

	return i < f->nr_holes && f->holes[i].first <= index;
}

/* Record pages [first, last] as a hole, joined with every hole it overlaps
 * or touches.  0, or -ENOMEM with nothing changed. */
static int add_hole(struct file *f, uint64_t first, uint64_t last)
{
	struct host_arena *ha = f->pc->vm->ha;
	size_t i = hole_search(f, first ? first - 1 : 0), j = i;

	f->check_dirty = true;
	while (j < f->nr_holes && f->holes[j].first <= last + 1)
		j++;
	if (i == j) {
		/* a hole of its own at i */
		if (f->nr_holes == f->holes_cap) {
			size_t cap = f->holes_cap ? 2 * f->holes_cap : 4;
			struct file_hole *h = host_realloc(ha, f->holes,
							   f->holes_cap * sizeof(*h), cap * sizeof(*h));

			if (!h)
				return -ENOMEM;
			f->holes = h;
			f->holes_cap = cap;
		}
		memmove(&f->holes[i + 1], &f->holes[i], (f->nr_holes - i) * sizeof(f->holes[0]));
		f->holes[i].first = first;
		f->holes[i].last = last;
		f->nr_holes++;
		return 0;
	}
	/* holes i..j-1 become one */
	if (f->holes[i].first < first)
		first = f->holes[i].first;
	if (f->holes[j - 1].last > last)
		last = f->holes[j - 1].last;
	f->holes[i].first = first;
	f->holes[i].last = last;
	memmove(&f->holes[i + 1], &f->holes[j], (f->nr_holes - j) * sizeof(f->holes[0]));
	f->nr_holes -= j - i - 1;
	return 0;
}

/* ---- reading ---- */

/* Copy @len bytes at @off of the backing file into @dst (the range lies in
 * one page), zeros past its end (an in-memory file's data_len, or where a
 * host read comes up short) and in a punched hole.  0, or -EIO when the
 * host read fails. */
static int read_backing(const struct file *f, uint64_t off, uint8_t *dst, size_t len)
{
	const uint8_t *copy = xa_load(&f->written, off >> PAGE_SHIFT);
	size_t n = 0;

	if (copy) {
		/* written back under memory pressure since any hole was
		 * punched: this is the file now (callers never cross a page) */
		memcpy(dst, copy + (off & (PAGE_SIZE - 1)), len);
		return 0;
	}
	if (page_in_hole(f, off >> PAGE_SHIFT)) {
		/* nothing is read */
	} else if (f->fd < 0) {
		if (off < f->data_len)
			n = f->data_len - off < len ? (size_t)(f->data_len - off) : len;
		if (n)
			memcpy(dst, f->data + off, n);
	} else {
		while (n < len) {
			ssize_t got = pread(f->fd, dst + n, len - n, (off_t)(off + n));

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				return -EIO;
			if (got == 0)
				break;
			n += (size_t)got;
		}
	}
	memset(dst + n, 0, len - n);
	return 0;
}

/* A new cache page for @index (not cached yet) read from the backing
 * bytes: *out, or -ENOMEM, or -EIO when the host read fails. */
static int page_cache_read(struct file *f, uint64_t index, struct page **out)
{
	struct address_space *as = &f->f_mapping;
	struct page_cache *pc = f->pc;
	struct phys_mem *pm = pc->vm->pm;
	struct page *page = alloc_page(pm, GFP_HIGHUSER_MOVABLE), *cached;
	void *shadow;

	if (!page)
		return -ENOMEM;
	cached = filemap_find_page(f, index);
	if (cached) {
		/* read in while the allocation reclaimed: use that one */
		put_page(pm, page);
		*out = cached;
		return 0;
	}
	/* filemap_add_folio(): charged to current's cgroup, with the gfp of
	 * filemap_fault()'s allocation (vmf->gfp_mask) */
	if (mem_cgroup_charge(pc->vm, page, NULL, GFP_HIGHUSER_MOVABLE)) {
		put_page(pm, page);
		return -ENOMEM;
	}
	/* memory.contents none: the page is cached, its bytes are not read
	 * (filemap_read() takes them from the file) */
	if (pm->cfg->contents &&
	    read_backing(f, index << PAGE_SHIFT, page_host(pm, page), PAGE_SIZE)) {
		put_page(pm, page);
		return -EIO;
	}
	page->mapping = as;
	page->index = index;
	set_page_flag(page, PG_uptodate);
	shadow = xa_load(&as->i_pages, index);
	if (xa_store(&as->i_pages, index, page, NULL)) {
		page->mapping = NULL;
		put_page(pm, page);
		return -ENOMEM;
	}
	as->nrpages++;
	lruvec_stat_mod_folio(pm, page, NR_FILE_PAGES, 1);
	count_vm_events(pm, PGPGIN, PAGE_SIZE >> 10);
	f->check_dirty = true;
	pc->reads++;
	/* filemap_add_folio(): a refault's distance may activate it, then
	 * onto the LRU */
	if (shadow)
		workingset_refault(pc->vm, page, shadow);
	folio_add_lru(pc->vm, page);
	*out = page;
	return 0;
}

void __filemap_remove_folio(struct vm_ctx *vm, struct page *page, void *shadow)
{
	struct address_space *as = page->mapping;

	if (shadow)
		xa_store(&as->i_pages, page->index, shadow, NULL);
	else
		xa_erase(&as->i_pages, page->index);
	clear_page_flag(page, PG_uptodate);
	page->mapping = NULL;
	as->nrpages--;
	filemap_unaccount_folio(vm->pm, page);
}

int filemap_writepage(struct vm_ctx *vm, struct page *page)
{
	struct address_space *as = page->mapping;
	struct file *f = as->host;
	uint64_t off = page->index << PAGE_SHIFT;
	uint8_t *copy = xa_load(&f->written, page->index);

	if (!copy) {
		copy = host_alloc(vm->ha, PAGE_SIZE);
		if (!copy || xa_store(&f->written, page->index, copy, NULL)) {
			if (copy)
				host_free(vm->ha, copy, PAGE_SIZE);
			set_page_dirty(page);	/* nowhere to write: stays dirty */
			return AOP_WRITEPAGE_ACTIVATE;
		}
	}
	folio_start_writeback(vm, page);
	memcpy(copy, page_host(vm->pm, page), PAGE_SIZE);
	/* the bytes past i_size in the last page are not the file's */
	if (as->i_size < off + PAGE_SIZE)
		memset(copy + (as->i_size > off ? as->i_size - off : 0), 0,
		       PAGE_SIZE - (as->i_size > off ? (size_t)(as->i_size - off) : 0));
	count_vm_events(vm->pm, PGPGOUT, PAGE_SIZE >> 10);
	MM_EV_M(vm, "writepage", "pfn=%#lx file=%s index=%llu", page_to_pfn(vm->pm, page),
		f->f_path, (unsigned long long)page->index);
	return 0;
}

/* mapping_try_invalidate() of a whole file: the pages dropped. */
static unsigned long mapping_try_invalidate(struct vm_ctx *vm, struct file *f)
{
	struct address_space *as = &f->f_mapping;
	unsigned long count = 0;
	uint64_t index = 0;
	void *entry;

	while ((entry = xa_find(&as->i_pages, &index, UINT64_MAX))) {
		struct page *page = entry;

		if (xa_is_value(entry)) {
			xa_erase(&as->i_pages, index);	/* clear_shadow_entries() */
		} else if (PageDirty(page) || PageWriteback(page) || page_ref_count(page) > 1) {
			/* mapping_evict_folio() refuses: dirty, under writeback,
			 * mapped or held (by an LRU batch of another CPU, say);
			 * invalidation is a hint that it is no longer of interest */
			deactivate_file_folio(vm, page);
		} else {
			__filemap_remove_folio(vm, page, NULL);
			put_page(vm->pm, page);		/* the cache's: the last one */
			count++;
		}
		if (index == UINT64_MAX)
			break;
		index++;
	}
	return count;
}

unsigned long drop_pagecache(struct vm_ctx *vm)
{
	struct page_cache *pc = vm->page_cache;
	unsigned long count = 0;
	struct file *f;

	lru_add_drain_all(vm);
	if (pc)
		list_for_each_entry(f, &pc->files, f_list)
			count += mapping_try_invalidate(vm, f);
	count_vm_event(vm->pm, DROP_PAGECACHE);
	MM_EV_M(vm, "drop_caches", "pages=%lu", count);
	return count;
}

int filemap_get_page(struct file *f, uint64_t index, struct page **out, bool *major)
{
	struct address_space *as = &f->f_mapping;
	struct page_cache *pc = f->pc;
	struct page *page;
	int ret;

	pc->lookups++;
	*major = false;
	page = filemap_find_page(f, index);
	if (page) {
		pc->hits++;
		*out = page;
		return 0;
	}
	/* filemap_fault: a page wholly past i_size is SIGBUS */
	if (index >= (as->i_size + PAGE_SIZE - 1) >> PAGE_SHIFT)
		return -ENXIO;
	ret = page_cache_read(f, index, out);
	if (!ret)
		*major = true;
	return ret;
}

uint64_t force_page_cache_readahead(struct file *f, uint64_t index, uint64_t nr_to_read)
{
	const struct vmsim_config *c = f->pc->vm->cfg;
	const uint64_t i_size = f->f_mapping.i_size;
	/* a request above the readahead window may still be as large as
	 * the device's largest I/O (bdi->io_pages) */
	uint64_t ra_pages = c->read_ahead_kb >> (PAGE_SHIFT - 10);
	uint64_t io_pages = c->max_sectors_kb >> (PAGE_SHIFT - 10);
	uint64_t max_pages = ra_pages > io_pages ? ra_pages : io_pages, end_index, read = 0;

	if (nr_to_read > max_pages)
		nr_to_read = max_pages;
	/* do_page_cache_ra(): nothing past the page that holds i_size */
	if (!i_size)
		return 0;
	end_index = (i_size - 1) >> PAGE_SHIFT;
	for (; nr_to_read && index <= end_index; index++, nr_to_read--) {
		struct page *page;

		/* page_cache_ra_unbounded(): cached pages are skipped, and
		 * the read stops where no frame is left or a read fails (the
		 * fault that needs the page reports the error) */
		if (filemap_find_page(f, index))
			continue;
		if (page_cache_read(f, index, &page))
			break;
		read++;
	}
	return read;
}

int filemap_read(struct file *f, uint64_t off, void *buf, size_t len)
{
	uint8_t *dst = buf;

	while (len) {
		uint64_t index = off >> PAGE_SHIFT;
		size_t in = (size_t)(off & (PAGE_SIZE - 1));
		size_t n = PAGE_SIZE - in < len ? PAGE_SIZE - in : len;
		struct page *page = filemap_find_page(f, index);

		if (page && f->pc->vm->cfg->contents)
			memcpy(dst, (uint8_t *)page_host(f->pc->vm->pm, page) + in, n);
		else if (read_backing(f, off, dst, n))
			return -EIO;
		dst += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* folio_account_dirtied() / folio_account_cleaned() */
static void account_dirty(struct file *f, struct page *page, long nr)
{
	struct phys_mem *pm = f->pc->vm->pm;

	f->f_mapping.nr_dirty += nr;
	mod_lruvec_state(folio_lruvec(pm, page), NR_FILE_DIRTY, nr);
	mod_zone_page_state(page_zone(pm, page), NR_ZONE_WRITE_PENDING, nr);
	if (nr > 0)
		mod_node_page_state(&pm->node_data[page_to_nid(page)], NR_DIRTIED, nr);
}

void set_page_dirty(struct page *page)
{
	struct file *f = page_file(page);

	if (!f || test_page_flag(page, PG_dirty))
		return;
	set_page_flag(page, PG_dirty);
	account_dirty(f, page, 1);
	f->check_dirty = true;
}

void clear_page_dirty(struct page *page)
{
	struct file *f = page_file(page);

	if (!f || !test_page_flag(page, PG_dirty))
		return;
	clear_page_flag(page, PG_dirty);
	account_dirty(f, page, -1);
	f->check_dirty = true;
}

/* ---- i_mmap ---- */

/* The i_mmap list @vma belongs on and its count: its file's, or its
 * shared anonymous object's (a shmem inode in the kernel); NULL for other
 * memory. */
static struct list_head *vma_i_mmap(const struct vm_area_struct *vma, unsigned long **count)
{
	if (vma->vm_file) {
		*count = &vma->vm_file->f_mapping.i_mmap_count;
		return &vma->vm_file->f_mapping.i_mmap;
	}
	if (vma->shm) {
		*count = &vma->shm->i_mmap_count;
		return &vma->shm->i_mmap;
	}
	return NULL;
}

void i_mmap_insert(struct vm_area_struct *vma)
{
	unsigned long *count;
	struct list_head *head = vma_i_mmap(vma, &count);

	if (!head)
		return;
	list_add_tail(&vma->shared, head);
	(*count)++;
	if (vma->vm_file)
		vma->vm_file->check_dirty = true;
}

void i_mmap_remove(struct vm_area_struct *vma)
{
	unsigned long *count;

	if (!vma_i_mmap(vma, &count) || list_empty(&vma->shared))
		return;
	list_del_init(&vma->shared);
	(*count)--;
	if (vma->vm_file)
		vma->vm_file->check_dirty = true;
}

bool i_mmap_contains(const struct vm_area_struct *vma)
{
	unsigned long *count;
	const struct list_head *head = vma_i_mmap(vma, &count);
	const struct vm_area_struct *v;

	if (!head)
		return false;
	list_for_each_entry(v, head, shared)
		if (v == vma)
			return true;
	return false;
}

/* ---- hole punching (fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) ---- */

/*
 * unmap_mapping_range(..., even_cows = 0): every VMA on @i_mmap loses its
 * PTEs of the object's pages [first, last]; the private copies a
 * MAP_PRIVATE mapping made of them stay (they are anonymous now).
 */
static void unmap_mapping_range(struct list_head *i_mmap, uint64_t first, uint64_t last)
{
	struct vm_area_struct *vma;

	list_for_each_entry(vma, i_mmap, shared) {
		uint64_t vfirst = vma->vm_pgoff, vlast = vma->vm_pgoff + vma_pages(vma) - 1;
		uint64_t start, end;

		if (vlast < first || vfirst > last)
			continue;
		start = vma->vm_start + (((first > vfirst ? first : vfirst) - vfirst) << PAGE_SHIFT);
		end = vma->vm_start + (((last < vlast ? last : vlast) - vfirst + 1) << PAGE_SHIFT);
		zap_mapping_range(vma, start, end);
		flush_tlb_mm_range(vma->vm_mm, start, end);
	}
}

int filemap_punch_hole(struct vm_area_struct *vma, uint64_t offset, uint64_t len)
{
	uint64_t first = offset >> PAGE_SHIFT, last = (offset + len - 1) >> PAGE_SHIFT;
	struct shmem_object *obj = vma->shm;
	struct file *f = vma->vm_file;

	if (!len)
		return 0;
	if (f) {
		const uint64_t i_size = f->f_mapping.i_size;

		/* ext4_punch_hole() and shmem_fallocate() alike for whole
		 * pages: the range reads as zeros from now on (recorded
		 * first: the one step that can fail), its mappings lose the
		 * pages and the cache drops them.  Past the end of the file
		 * nothing is cached or stored, so nothing is recorded there. */
		if (i_size && first <= (i_size - 1) >> PAGE_SHIFT) {
			int ret = add_hole(f, first, last < (i_size - 1) >> PAGE_SHIFT ?
						     last : (i_size - 1) >> PAGE_SHIFT);

			if (ret)
				return ret;
		}
		unmap_mapping_range(&f->f_mapping.i_mmap, first, last);
		truncate_inode_pages_range(f, first, last);
		drop_written(f, first, last);
		return 0;
	}
	if (!obj)
		return -EINVAL;
	/* shmem_fallocate(): unmap, then shmem_truncate_range() gives the
	 * object's pages back */
	unmap_mapping_range(&obj->i_mmap, first, last);
	for (uint64_t i = first; i <= last && i < obj->nr_pages; i++)
		if (obj->pages[i])
			shmem_remove_page(vma->vm_mm->vm, obj, i);
	return 0;
}

/* ---- writeback ---- */

struct mkclean_walk {
	struct vm_ctx *vm;
	uint64_t pfn;
	bool changed;
};

static int mkclean_pte(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct mkclean_walk *w = arg;

	if ((pte & _PAGE_PRESENT) &&
	    (pte & w->vm->pt->fmt->entry_addr_mask) >> PAGE_SHIFT == w->pfn &&
	    (pte & (_PAGE_RW | _PAGE_DIRTY))) {
		set_pte(w->vm->pt, epa, pte & ~(uint64_t)(_PAGE_RW | _PAGE_DIRTY));
		w->changed = true;
	}
	(void)va;
	return 0;
}

/* folio_mkclean(): every shared mapping of @page write-protected and
 * clean (page_mkclean_one), so that the next write is seen again. */
static void page_mkclean(struct file *f, struct page *page)
{
	struct vm_ctx *vm = f->pc->vm;
	struct vm_area_struct *vma;

	list_for_each_entry(vma, &f->f_mapping.i_mmap, shared) {
		struct mkclean_walk w = { vm, page_to_pfn(vm->pm, page), false };
		uint64_t addr;

		if (!(vma->vm_flags & VM_SHARED) || page->index < vma->vm_pgoff ||
		    page->index - vma->vm_pgoff >= vma_pages(vma))
			continue;
		addr = vma->vm_start + ((page->index - vma->vm_pgoff) << PAGE_SHIFT);
		walk_pte_range(vma->vm_mm, addr, addr + PAGE_SIZE, mkclean_pte, &w);
		if (w.changed)
			flush_tlb_mm_range(vma->vm_mm, addr, addr + PAGE_SIZE);
	}
}

int filemap_write_and_wait_range(struct file *f, uint64_t lstart, uint64_t lend)
{
	struct address_space *as = &f->f_mapping;
	uint64_t index = lstart >> PAGE_SHIFT;
	const uint64_t end = lend >> PAGE_SHIFT;
	struct page *page;

	/* the pages tagged dirty: folio_clear_dirty_for_io(), then the
	 * write, which has no disk to go to */
	while (index <= end && (page = xa_find(&as->i_pages, &index, end))) {
		if (PageDirty(page)) {
			page_mkclean(f, page);
			clear_page_dirty(page);
		}
		if (index == UINT64_MAX)
			break;
		index++;
	}
	return 0;
}

/* ---- faults ---- */

/* filemap_fault(): the page had to be read, VM_FAULT_MAJOR (the fault's
 * caller counts it for the task). */
static unsigned count_major_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->vma->vm_mm;

	count_vm_event(mm->vm->pm, PGMAJFAULT);
	count_memcg_event_mm(mm->vm, mm, PGMAJFAULT);
	return VM_FAULT_MAJOR;
}

/* do_set_pte(): map @page at the PTE @epa, charging it to the mm. */
static void map_file_page(struct vm_area_struct *vma, uint64_t epa, struct page *page, bool write)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	uint64_t ent = page_to_phys(vm->pm, page) | vma->vm_page_prot;

	if (write) {
		ent |= _PAGE_RW | _PAGE_DIRTY;
	} else {
		/* private: read-only until the COW; shared: write-protected
		 * so that the first write is seen (vma_wants_writenotify) */
		ent &= ~(uint64_t)_PAGE_RW;
	}
	get_page(page);
	folio_add_file_rmap_pte(vm->pm, page);
	mlock_vma_page(page, vma);	/* folio_add_file_rmap_ptes() */
	mm->rss_stat[MM_FILEPAGES]++;
	set_pte(vm->pt, epa, ent);
}

unsigned filemap_map_pages(struct vm_fault *vmf, uint64_t start_pgoff, uint64_t end_pgoff)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	struct file *f = vma->vm_file;
	struct address_space *as = &f->f_mapping;
	uint64_t file_end, index = start_pgoff;
	unsigned ret = 0;
	struct page *page;

	if (!as->i_size)
		return 0;
	file_end = ((as->i_size + PAGE_SIZE - 1) >> PAGE_SHIFT) - 1;
	if (end_pgoff > file_end)
		end_pgoff = file_end;
	/* next_uptodate_folio(): only pages already in the cache */
	while (index <= end_pgoff && (page = xa_find(&as->i_pages, &index, end_pgoff))) {
		uint64_t addr = vma->vm_start + ((index - vma->vm_pgoff) << PAGE_SHIFT);
		uint64_t epa;

		if (xa_is_value(page)) {
			index++;	/* a shadow: the page is not here */
			continue;
		}
		if (addr == vmf->address) {
			epa = vmf->epa;
		} else if (pte_alloc(vm->pt, mm->pgd, addr, &epa)) {
			break;
		} else if (filemap_find_page(f, index) != page) {
			index++;	/* reclaimed while the table was allocated */
			continue;
		}
		if (pt_read(vm->pt, epa) == 0) {
			map_file_page(vma, epa, page, false);
			if (addr == vmf->address)
				ret = VM_FAULT_NOPAGE;
			else
				f->pc->around_mapped++;
		}
		index++;
	}
	return ret;
}

/* do_fault_around(): the window of fault_around_bytes around the fault,
 * aligned to its size, clamped to the VMA and to one page table. */
static unsigned do_fault_around(struct vm_fault *vmf, uint64_t nr_pages)
{
	struct vm_area_struct *vma = vmf->vma;
	const struct pt_format *fmt = vma->vm_mm->vm->pt->fmt;
	const uint64_t ptrs = pt_ptrs_per_table(fmt, fmt->levels - 1);	/* PTRS_PER_PTE */
	uint64_t pte_off = (vmf->address >> PAGE_SHIFT) & (ptrs - 1);
	uint64_t vma_off = vmf->pgoff - vma->vm_pgoff;
	uint64_t from_pte, to_pte, lim;

	from_pte = pte_off & ~(nr_pages - 1);
	if (pte_off - (pte_off < vma_off ? pte_off : vma_off) > from_pte)
		from_pte = pte_off - (pte_off < vma_off ? pte_off : vma_off);
	to_pte = from_pte + nr_pages;
	if (to_pte > ptrs)
		to_pte = ptrs;
	lim = pte_off + vma_pages(vma) - vma_off;
	if (to_pte > lim)
		to_pte = lim;
	to_pte--;
	return filemap_map_pages(vmf, vmf->pgoff + from_pte - pte_off,
				 vmf->pgoff + to_pte - pte_off);
}

static uint64_t fault_around_pages(const struct vm_ctx *vm)
{
	uint64_t n = vm->cfg->fault_around_bytes >> PAGE_SHIFT;

	/* the debugfs setter keeps a power of two, at least one page */
	while (n & (n - 1))
		n &= n - 1;
	return n ? n : 1;
}

/* vmf_error(): what a failed filemap_get_page() makes of the fault: OOM
 * for want of a frame, SIGBUS for a page past EOF (-ENXIO) or a failed
 * host read (-EIO), as filemap_fault() answers. */
static unsigned vmf_error(int err)
{
	return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
}

/*
 * do_cow_fault(): the first write to a page of a private file mapping.
 * The private copy is made at once from the page cache page (read in if
 * needed) and mapped writable: the cache page itself is never mapped by
 * this PTE, so a later write through a shared mapping of the file is not
 * seen here.
 */
static unsigned do_cow_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct vm_ctx *vm = mm->vm;
	struct page *cow, *page;
	unsigned ret = 0;
	uint64_t ent;
	bool major;
	int err;

	/* vmf_anon_prepare(), then folio_prealloc() before __do_fault() */
	if (anon_vma_prepare(vma))
		return VM_FAULT_OOM;
	cow = alloc_user_page(mm, GFP_HIGHUSER_MOVABLE, GFP_KERNEL);
	if (!cow)
		return VM_FAULT_OOM;
	err = filemap_get_page(vma->vm_file, vmf->pgoff, &page, &major);
	if (err) {
		put_page(vm->pm, cow);
		return vmf_error(err);
	}
	if (major)
		ret = count_major_fault(vmf);
	if (vm->cfg->contents)	/* else the bytes are not kept */
		memcpy(page_host(vm->pm, cow), page_host(vm->pm, page), PAGE_SIZE);
	if (!pt_entry_none(pt_read(vm->pt, vmf->epa))) {
		/* vmf_pte_changed(): filled while the allocations reclaimed */
		put_page(vm->pm, cow);
		return ret;
	}
	/* finish_fault() -> set_pte_range(): a new exclusive anonymous page,
	 * dirty and writable (maybe_mkwrite) */
	page_add_new_anon_rmap(cow, vma, vmf->address);
	folio_add_lru_vma(vm, cow, vma);	/* mlock_new_folio() in a VM_LOCKED VMA */
	mm->rss_stat[MM_ANONPAGES]++;
	ent = page_to_phys(vm->pm, cow) | vma->vm_page_prot | _PAGE_DIRTY;
	if (vma->vm_flags & VM_WRITE)
		ent |= _PAGE_RW;
	set_pte(vm->pt, vmf->epa, ent);
	if (vmf->st)
		vmf->st->cow++;
	MM_EV(mm, "fault", "addr=%#llx kind=cow_file pfn=%#lx", (unsigned long long)vmf->address,
	      page_to_pfn(vm->pm, cow));
	update_hiwater_rss(mm);
	return ret;
}

unsigned do_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	bool shared = vma->vm_flags & VM_SHARED;
	struct page *page;
	bool major;
	unsigned ret = 0;
	int err;

	if (write && !shared)
		return do_cow_fault(vmf);
	if (!write) {
		uint64_t nr = fault_around_pages(mm->vm);

		/* should_fault_around(): a window of more than one page */
		if (nr > 1 && do_fault_around(vmf, nr) == VM_FAULT_NOPAGE)
			return 0;
	}
	err = filemap_get_page(vma->vm_file, vmf->pgoff, &page, &major);
	if (err)
		return vmf_error(err);
	if (major)
		ret = count_major_fault(vmf);
	if (write) {
		/* do_shared_fault(): the page cache page itself, now dirty */
		map_file_page(vma, vmf->epa, page, true);
		set_page_dirty(page);
	} else {
		/* do_read_fault() */
		map_file_page(vma, vmf->epa, page, false);
	}
	update_hiwater_rss(mm);
	return ret;
}

void filemap_page_mkwrite(struct vm_area_struct *vma, struct page *page)
{
	if (vma->vm_file && (vma->vm_flags & VM_SHARED) && page_file(page))
		set_page_dirty(page);
}

/* ---- checker ---- */

/* One file: found by its name (and inode), its pages, counts and i_mmap. */
static int check_file(struct page_cache *pc, struct file *f, const struct page_pins *pins,
		      struct vmsim_error *err)
{
	struct address_space *as = &f->f_mapping;
	unsigned long pages = 0, dirty = 0, maps = 0;
	struct vm_area_struct *vma;
	struct file *named = filemap_lookup(pc, f->f_path);
	struct page *page;
	uint64_t index;

	if (!named || (named != f && named->f_seq > f->f_seq))
		return verr(err, -EFAULT, "page cache: %s is not found by its name", f->f_path);
	if (f->host_backed) {
		struct stat st = { .st_dev = makedev(f->dev_major, f->dev_minor),
				   .st_ino = (ino_t)f->i_ino };

		if (find_inode(pc, &st) != f)
			return verr(err, -EFAULT, "page cache: %s is not found by its inode",
				    f->f_path);
	}
	if (xa_check(&as->i_pages, err))
		return -EFAULT;
	xa_for_each(&as->i_pages, index, page) {
		if (xa_is_value(page))
			continue;	/* a shadow entry (workingset.c) */
		pages++;
		if (page->mapping != as || page->index != index)
			return verr(err, -EFAULT, "page cache: %s page %llu has mapping/index wrong",
				    f->f_path, (unsigned long long)index);
		/* the cache's reference, the mappings' and the LRU batches' */
		if (page_ref_count(page) != page_mapcount(page) + 1 + (int)page_pins(pins, page))
			return verr(err, -EFAULT,
				    "page cache: %s page %llu: refcount %d, mapcount %d, %u in "
				    "LRU batches", f->f_path, (unsigned long long)index,
				    page_ref_count(page), page_mapcount(page), page_pins(pins, page));
		if (check_page_lru(pc->vm, page, pins, err))
			return -EFAULT;
		if (test_page_flag(page, PG_dirty))
			dirty++;
	}
	if (pages != as->nrpages || dirty != as->nr_dirty)
		return verr(err, -EFAULT, "page cache: %s counts %lu pages / %lu dirty, has %lu / %lu",
			    f->f_path, as->nrpages, as->nr_dirty, pages, dirty);
	list_for_each_entry(vma, &as->i_mmap, shared) {
		maps++;
		if (vma->vm_file != f)
			return verr(err, -EFAULT, "page cache: %s i_mmap holds a VMA of another file",
				    f->f_path);
	}
	if (maps != as->i_mmap_count)
		return verr(err, -EFAULT, "page cache: %s counts %lu mappings, has %lu", f->f_path,
			    as->i_mmap_count, maps);
	if (f->nr_holes > f->holes_cap)
		return verr(err, -EFAULT, "page cache: %s has %zu holes in room for %zu",
			    f->f_path, f->nr_holes, f->holes_cap);
	for (size_t i = 0; i < f->nr_holes; i++)
		if (f->holes[i].first > f->holes[i].last ||
		    (i && f->holes[i - 1].last + 1 >= f->holes[i].first))
			return verr(err, -EFAULT, "page cache: %s hole %zu (pages %llu-%llu) is "
				    "empty, out of order or touches the one before", f->f_path, i,
				    (unsigned long long)f->holes[i].first,
				    (unsigned long long)f->holes[i].last);
	return 0;
}

/*
 * Every file (@all, or when files came or went since the last check: the
 * hashes and the file counts too), else those marked since; the marks are
 * cleared when nothing was found wrong.
 */
static int check_files(struct page_cache *pc, bool all, struct vmsim_error *err)
{
	unsigned long files = 0, host_files = 0;
	struct page_pins *pins;
	struct file *f;
	int ret = 0;

	if (!pc)
		return 0;
	all = all || pc->check_dirty;
	if (all && (htab_check(&pc->by_name, err) || htab_check(&pc->by_inode, err)))
		return -EFAULT;
	if (!(pins = page_pins_collect(pc->vm)))
		return verr(err, -ENOMEM, "out of host memory");
	list_for_each_entry(f, &pc->files, f_list) {
		files++;
		host_files += f->host_backed;
		if ((all || f->check_dirty) && (ret = check_file(pc, f, pins, err)))
			break;
	}
	page_pins_free(pins);
	if (ret)
		return ret;
	if (all && (files != pc->nr_files || files != pc->by_name.nr ||
		    host_files != pc->by_inode.nr))
		return verr(err, -EFAULT, "page cache: %lu files (nr_files %lu), %lu host files; "
			    "hashed: %zu by name, %zu by inode", files, pc->nr_files, host_files,
			    pc->by_name.nr, pc->by_inode.nr);
	list_for_each_entry(f, &pc->files, f_list)
		f->check_dirty = false;
	pc->check_dirty = false;
	return 0;
}

int page_cache_check(struct page_cache *pc, struct vmsim_error *err)
{
	return check_files(pc, true, err);
}

int page_cache_check_dirty(struct page_cache *pc, struct vmsim_error *err)
{
	return check_files(pc, false, err);
}
