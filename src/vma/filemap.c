/*
 * The page cache and the file-fault paths (see filemap.h): mm/filemap.c's
 * address_space with its radix tree, filemap_fault's read of a missing
 * page, filemap_map_pages for fault-around, and the do_read_fault /
 * do_shared_fault / do_fault_around logic of mm/memory.c.
 *
 * Invariant: every page in a file's i_pages has page->mapping pointing at
 * that address_space and page->index equal to its key, holds exactly one
 * reference for the cache (plus one per PTE that maps it, _mapcount + 1
 * PTEs), and counts in nr_dirty iff PG_dirty is set; nrpages equals the
 * tree's entries; a file's i_mmap holds exactly the linked VMAs whose
 * vm_file it is.  page_cache_check() verifies it.
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

#include "kern/machine.h"
#include "mmu/mmu.h"
#include "phys/gfp.h"
#include "phys/mmzone.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "vma/mm.h"

struct i_mmap_node {
	struct list_head list;
	struct vm_area_struct *vma;
};

/* ---- the machine's cache ---- */

void page_cache_init(struct page_cache *pc, struct vmsim_machine *m)
{
	memset(pc, 0, sizeof(*pc));
	pc->m = m;
	INIT_LIST_HEAD(&pc->files);
	pc->next_ino = 1;
}

struct page_cache *machine_page_cache(struct vmsim_machine *m)
{
	if (!m->page_cache) {
		struct page_cache *pc = host_alloc(&m->ha, sizeof(*pc));

		if (!pc)
			return NULL;
		page_cache_init(pc, m);
		m->page_cache = pc;
	}
	return m->page_cache;
}

/* truncate_inode_pages(): drop the cache's reference on every page. */
static void truncate_inode_pages(struct file *f)
{
	struct address_space *as = &f->f_mapping;
	struct phys_mem *pm = &f->pc->m->pm;
	struct page *page;
	uint64_t index;

	xa_for_each(&as->i_pages, index, page) {
		xa_erase(&as->i_pages, index);
		if (test_page_flag(page, PG_dirty))
			as->nr_dirty--;
		clear_page_flag(page, PG_dirty);
		clear_page_flag(page, PG_uptodate);
		page->mapping = NULL;
		as->nrpages--;
		put_page(pm, page);
	}
	xa_destroy(&as->i_pages);
}

static void file_free(struct file *f)
{
	struct host_arena *ha = &f->pc->m->ha;
	struct i_mmap_node *n, *tmp;

	truncate_inode_pages(f);
	list_for_each_entry_safe(n, tmp, &f->f_mapping.i_mmap, list) {
		list_del(&n->list);
		host_free(ha, n, sizeof(*n));
	}
	if (f->data)
		host_free(ha, (void *)f->data, f->data_len);
	list_del(&f->f_list);
	f->pc->nr_files--;
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

void page_cache_destroy(struct vmsim_machine *m)
{
	struct page_cache *pc = m->page_cache;

	if (!pc)
		return;
	page_cache_finish(pc);
	m->page_cache = NULL;
	host_free(&m->ha, pc, sizeof(*pc));
}

/* The cache goes with its last file, so that a machine with no file left
 * holds nothing here and needs no teardown call. */
static void page_cache_put(struct page_cache *pc)
{
	struct vmsim_machine *m = pc->m;

	if (pc->nr_files || m->page_cache != pc)
		return;
	m->page_cache = NULL;
	host_free(&m->ha, pc, sizeof(*pc));
}

void fput(struct file *f)
{
	struct page_cache *pc;

	if (!f || --f->f_count > 0)
		return;
	/* The last user is gone: Linux would keep the clean pages until
	 * reclaim; vmsim, which has no reclaim, evicts them now (dirty
	 * pages of a host file have nowhere to go: they are dropped). */
	pc = f->pc;
	file_free(f);
	page_cache_put(pc);
}

static struct file *file_alloc(struct page_cache *pc, const char *name, struct vmsim_error *err)
{
	struct host_arena *ha = &pc->m->ha;
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
	f->pc = pc;
	f->f_count = 1;
	xa_init(&f->f_mapping.i_pages, ha);
	INIT_LIST_HEAD(&f->f_mapping.i_mmap);
	f->f_mapping.host = f;
	list_add_tail(&f->f_list, &pc->files);
	pc->nr_files++;
	return f;
}

struct file *filemap_lookup(struct page_cache *pc, const char *name)
{
	struct file *f;

	if (!pc)
		return NULL;
	list_for_each_entry(f, &pc->files, f_list)
		if (strcmp(f->f_path, name) == 0)
			return f;
	return NULL;
}

static int __filemap_open(struct page_cache *pc, const char *host_path, const char *name,
			  struct file **out, struct vmsim_error *err)
{
	char real[PATH_MAX];
	struct stat st;
	struct file *f;
	void *data = NULL;
	int fd;

	*out = NULL;
	/* O_NONBLOCK: a FIFO named by a hostile PT_INTERP must not hang us;
	 * it is refused below as not a regular file */
	fd = open(host_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return verr(err, -errno, "%s: %s", host_path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return verr(err, -e, "%s: %s", host_path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? verr(err, -EISDIR, "%s: is a directory", host_path) :
		       verr(err, -EACCES, "%s: not a regular file", host_path);
	}
	/* the same inode opened twice is one cached file */
	list_for_each_entry(f, &pc->files, f_list) {
		if (f->host_backed && f->i_ino == (uint64_t)st.st_ino &&
		    f->dev_major == major(st.st_dev) && f->dev_minor == minor(st.st_dev)) {
			close(fd);
			*out = get_file(f);
			return 0;
		}
	}
	/* the bytes are read once, as the disk would give them; pages are
	 * copied from here into frames on first use */
	if (st.st_size > 0) {
		size_t len = (size_t)st.st_size, got = 0;

		data = host_alloc(&pc->m->ha, len);
		if (!data) {
			close(fd);
			return verr(err, -ENOMEM, "%s: out of memory for %zu bytes", host_path, len);
		}
		while (got < len) {
			ssize_t n = read(fd, (uint8_t *)data + got, len - got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				int e = n < 0 ? errno : EIO;

				close(fd);
				host_free(&pc->m->ha, data, len);
				return verr(err, -e, "%s: read: %s", host_path, strerror(e));
			}
			got += (size_t)n;
		}
	}
	close(fd);
	if (!name)
		name = realpath(host_path, real) ? real : host_path;
	f = file_alloc(pc, name, err);
	if (!f) {
		if (data)
			host_free(&pc->m->ha, data, (size_t)st.st_size);
		return -ENOMEM;
	}
	f->data = data;
	f->data_len = (size_t)st.st_size;
	f->host_backed = true;
	f->f_mapping.i_size = (uint64_t)st.st_size;
	f->i_ino = (uint64_t)st.st_ino;
	f->dev_major = major(st.st_dev);
	f->dev_minor = minor(st.st_dev);
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
		void *d = host_alloc(&pc->m->ha, len);

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
	return xa_load(&f->f_mapping.i_pages, index);
}

/* Copy page @index of the backing bytes into @dst, zeros past EOF. */
static void read_backing(const struct file *f, uint64_t index, uint8_t *dst)
{
	uint64_t off = index << PAGE_SHIFT;
	size_t n = 0;

	if (off < f->data_len)
		n = f->data_len - off < PAGE_SIZE ? (size_t)(f->data_len - off) : PAGE_SIZE;
	if (n)
		memcpy(dst, f->data + off, n);
	memset(dst + n, 0, PAGE_SIZE - n);
}

int filemap_get_page(struct file *f, uint64_t index, struct page **out, bool *major)
{
	struct address_space *as = &f->f_mapping;
	struct page_cache *pc = f->pc;
	struct phys_mem *pm = &pc->m->pm;
	struct page *page;

	pc->lookups++;
	*major = false;
	page = xa_load(&as->i_pages, index);
	if (page) {
		pc->hits++;
		*out = page;
		return 0;
	}
	/* filemap_fault: a page wholly past i_size is SIGBUS */
	if (index >= (as->i_size + PAGE_SIZE - 1) >> PAGE_SHIFT)
		return -ENXIO;
	page = alloc_page(pm, GFP_HIGHUSER_MOVABLE);
	if (!page)
		return -ENOMEM;
	read_backing(f, index, page_host(pm, page));
	page->mapping = as;
	page->index = index;
	set_page_flag(page, PG_uptodate);
	if (xa_store(&as->i_pages, index, page, NULL)) {
		page->mapping = NULL;
		put_page(pm, page);
		return -ENOMEM;
	}
	as->nrpages++;
	pc->reads++;
	*major = true;
	*out = page;
	return 0;
}

void filemap_read(struct file *f, uint64_t off, void *buf, size_t len)
{
	uint8_t *dst = buf;

	while (len) {
		uint64_t index = off >> PAGE_SHIFT;
		size_t in = (size_t)(off & (PAGE_SIZE - 1));
		size_t n = PAGE_SIZE - in < len ? PAGE_SIZE - in : len;
		struct page *page = filemap_find_page(f, index);

		if (page) {
			memcpy(dst, (uint8_t *)page_host(&f->pc->m->pm, page) + in, n);
		} else {
			for (size_t i = 0; i < n; i++)
				dst[i] = off + i < f->data_len ? f->data[off + i] : 0;
		}
		dst += n;
		off += n;
		len -= n;
	}
}

void set_page_dirty(struct page *page)
{
	struct file *f = page_file(page);

	if (!f || test_page_flag(page, PG_dirty))
		return;
	set_page_flag(page, PG_dirty);
	f->f_mapping.nr_dirty++;
}

void clear_page_dirty(struct page *page)
{
	struct file *f = page_file(page);

	if (!f || !test_page_flag(page, PG_dirty))
		return;
	clear_page_flag(page, PG_dirty);
	f->f_mapping.nr_dirty--;
}

/* ---- i_mmap ---- */

int i_mmap_insert(struct vm_area_struct *vma)
{
	struct file *f = vma->vm_file;
	struct i_mmap_node *n;

	if (!f)
		return 0;
	n = host_alloc(&f->pc->m->ha, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->vma = vma;
	list_add_tail(&n->list, &f->f_mapping.i_mmap);
	f->f_mapping.i_mmap_count++;
	return 0;
}

void i_mmap_remove(struct vm_area_struct *vma)
{
	struct file *f = vma->vm_file;
	struct i_mmap_node *n;

	if (!f)
		return;
	list_for_each_entry(n, &f->f_mapping.i_mmap, list) {
		if (n->vma == vma) {
			list_del(&n->list);
			f->f_mapping.i_mmap_count--;
			host_free(&f->pc->m->ha, n, sizeof(*n));
			return;
		}
	}
}

bool i_mmap_contains(const struct file *f, const struct vm_area_struct *vma)
{
	const struct i_mmap_node *n;

	list_for_each_entry(n, &f->f_mapping.i_mmap, list)
		if (n->vma == vma)
			return true;
	return false;
}

/* ---- writeback ---- */

struct mkclean_walk {
	struct vmsim_machine *m;
	uint64_t pfn;
	bool changed;
};

static int mkclean_pte(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct mkclean_walk *w = arg;

	if ((pte & _PAGE_PRESENT) && (pte & w->m->pt.fmt->entry_addr_mask) >> PAGE_SHIFT == w->pfn &&
	    (pte & (_PAGE_RW | _PAGE_DIRTY))) {
		set_pte(&w->m->pt, epa, pte & ~(uint64_t)(_PAGE_RW | _PAGE_DIRTY));
		w->changed = true;
	}
	(void)va;
	return 0;
}

/* folio_mkclean(): every shared mapping of @page write-protected and
 * clean (page_mkclean_one), so that the next write is seen again. */
static void page_mkclean(struct file *f, struct page *page)
{
	struct vmsim_machine *m = f->pc->m;
	struct i_mmap_node *n;

	list_for_each_entry(n, &f->f_mapping.i_mmap, list) {
		struct vm_area_struct *vma = n->vma;
		struct mkclean_walk w = { m, page_to_pfn(&m->pm, page), false };
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

/* do_set_pte(): map @page at the PTE @epa, charging it to the mm. */
static void map_file_page(struct vm_area_struct *vma, uint64_t epa, struct page *page, bool write)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vmsim_machine *m = mm->m;
	uint64_t ent = page_to_phys(&m->pm, page) | vma->vm_page_prot;

	if (write) {
		ent |= _PAGE_RW | _PAGE_DIRTY;
	} else {
		/* private: read-only until the COW; shared: write-protected
		 * so that the first write is seen (vma_wants_writenotify) */
		ent &= ~(uint64_t)_PAGE_RW;
	}
	get_page(page);
	page->_mapcount++;
	mlock_vma_page(page, vma);	/* folio_add_file_rmap_ptes() */
	mm->rss_stat[MM_FILEPAGES]++;
	set_pte(&m->pt, epa, ent);
}

unsigned filemap_map_pages(struct vm_fault *vmf, uint64_t start_pgoff, uint64_t end_pgoff)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct vmsim_machine *m = mm->m;
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

		if (addr == vmf->address) {
			epa = vmf->epa;
		} else if (pte_alloc(&m->pt, mm->pgd, addr, &epa)) {
			break;
		}
		if (pt_read(&m->pt, epa) == 0) {
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
	const struct pt_format *fmt = vma->vm_mm->m->pt.fmt;
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

static uint64_t fault_around_pages(const struct vmsim_machine *m)
{
	uint64_t n = m->cfg.fault_around_bytes >> PAGE_SHIFT;

	/* the debugfs setter keeps a power of two, at least one page */
	while (n & (n - 1))
		n &= n - 1;
	return n ? n : 1;
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

	if (!write) {
		uint64_t nr = fault_around_pages(mm->m);

		/* should_fault_around(): a window of more than one page */
		if (nr > 1 && do_fault_around(vmf, nr) == VM_FAULT_NOPAGE)
			return 0;
	}
	err = filemap_get_page(vma->vm_file, vmf->pgoff, &page, &major);
	if (err)
		return err == -ENXIO ? VM_FAULT_SIGBUS : VM_FAULT_OOM;
	if (major && vmf->st)
		vmf->st->maj_flt++;	/* the page had to be read: VM_FAULT_MAJOR */
	if (write && shared) {
		/* do_shared_fault(): the page cache page itself, now dirty */
		map_file_page(vma, vmf->epa, page, true);
		set_page_dirty(page);
	} else {
		/* do_read_fault(); a private write maps the cache page first
		 * and the retried write copies it (do_wp_page) */
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

void filemap_zap_pte(struct vm_area_struct *vma, struct page *page, uint64_t pte)
{
	if (vma->vm_file && (pte & _PAGE_DIRTY) && page_file(page))
		set_page_dirty(page);
}

/* ---- checker ---- */

int page_cache_check(struct page_cache *pc, struct vmsim_error *err)
{
	struct file *f;

	if (!pc)
		return 0;
	list_for_each_entry(f, &pc->files, f_list) {
		struct address_space *as = &f->f_mapping;
		unsigned long pages = 0, dirty = 0, maps = 0;
		struct i_mmap_node *n;
		struct page *page;
		uint64_t index;

		if (xa_check(&as->i_pages, err))
			return -EFAULT;
		xa_for_each(&as->i_pages, index, page) {
			pages++;
			if (page->mapping != as || page->index != index)
				return verr(err, -EFAULT, "page cache: %s page %llu has mapping/index wrong",
					    f->f_path, (unsigned long long)index);
			if (page_ref_count(page) != page_mapcount(page) + 1)
				return verr(err, -EFAULT,
					    "page cache: %s page %llu: refcount %d, mapcount %d",
					    f->f_path, (unsigned long long)index, page_ref_count(page),
					    page_mapcount(page));
			if (test_page_flag(page, PG_dirty))
				dirty++;
		}
		if (pages != as->nrpages || dirty != as->nr_dirty)
			return verr(err, -EFAULT, "page cache: %s counts %lu pages / %lu dirty, has %lu / %lu",
				    f->f_path, as->nrpages, as->nr_dirty, pages, dirty);
		list_for_each_entry(n, &as->i_mmap, list) {
			maps++;
			if (n->vma->vm_file != f)
				return verr(err, -EFAULT, "page cache: %s i_mmap holds a VMA of another file",
					    f->f_path);
		}
		if (maps != as->i_mmap_count)
			return verr(err, -EFAULT, "page cache: %s counts %lu mappings, has %lu", f->f_path,
				    as->i_mmap_count, maps);
	}
	return 0;
}
