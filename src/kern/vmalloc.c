/*
 * vmalloc, vmap and the vmap-area allocator (see vmalloc.h), after
 * mm/vmalloc.c.
 *
 * Invariant (vmalloc_check()): the busy, free and lazy lists are each in
 * address order, and together their areas tile [VMALLOC_START,
 * VMALLOC_END) exactly, with no overlap; free areas are coalesced (no two
 * touch).  A busy VM_ALLOC area maps page i of its range to pages[i] with
 * a 4 KiB kernel PTE, and its guard page has no PTE.  No lazy or free
 * range has a PTE (vfree clears them at once; only the TLB flush waits).
 * nr_vmalloc_pages is the sum of nr_pages over busy VM_ALLOC areas, and
 * vmap_lazy_nr the pages on the lazy list, never above lazy_max after an
 * operation returns.
 *
 * Why the lazy list: a range freed by vfree may still sit in some CPU's
 * TLB.  Instead of a TLB shootdown per vfree, the kernel keeps the range
 * out of circulation until lazy_max_pages() worth has accumulated, then
 * flushes once for all of them; a range is reused only after that flush.
 */
#include "kern/vmalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kern/kpgtable.h"
#include "util/error.h"

static struct vmap_state *vs(const struct vmsim_machine *m)
{
	return m->vmap;
}

static struct vmap_area *va_of(struct list_head *l)
{
	return list_entry(l, struct vmap_area, list);
}

static struct vmap_area *va_new(struct vmsim_machine *m, uint64_t start, uint64_t end)
{
	struct vmap_area *va = host_zalloc(&m->ha, sizeof(*va));

	if (va) {
		va->va_start = start;
		va->va_end = end;
		INIT_LIST_HEAD(&va->list);
	}
	return va;
}

static void va_free(struct vmsim_machine *m, struct vmap_area *va)
{
	host_free(&m->ha, va, sizeof(*va));
}

/* Insert @va in address order; new areas are mostly above the others, so
 * the search runs from the tail. */
static void insert_vmap_area(struct list_head *head, struct vmap_area *va)
{
	struct list_head *pos = head->prev;

	while (pos != head && va_of(pos)->va_start > va->va_start)
		pos = pos->prev;
	list_add(&va->list, pos);
}

/* merge_or_add_vmap_area(): put @va on the free list, merged with the free
 * neighbours it touches. */
static void merge_or_add_vmap_area(struct vmsim_machine *m, struct vmap_area *va)
{
	struct vmap_state *s = vs(m);
	struct list_head *head = &s->free;

	insert_vmap_area(head, va);
	s->nr_free++;
	if (va->list.next != head) {
		struct vmap_area *next = va_of(va->list.next);

		if (next->va_start == va->va_end) {
			va->va_end = next->va_end;
			list_del(&next->list);
			va_free(m, next);
			s->nr_free--;
		}
	}
	if (va->list.prev != head) {
		struct vmap_area *prev = va_of(va->list.prev);

		if (prev->va_end == va->va_start) {
			prev->va_end = va->va_end;
			list_del(&va->list);
			va_free(m, va);
			s->nr_free--;
		}
	}
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* find_vmap_lowest_match(): the lowest free area that holds @size bytes at
 * an @align-ed start inside [vstart, vend); *nva_start gets that start. */
static struct vmap_area *find_vmap_lowest_match(struct vmap_state *s, uint64_t size,
						uint64_t align, uint64_t vstart, uint64_t vend,
						uint64_t *nva_start)
{
	struct list_head *pos;

	for (pos = s->free.next; pos != &s->free; pos = pos->next) {
		struct vmap_area *va = va_of(pos);
		uint64_t a = align_up(va->va_start > vstart ? va->va_start : vstart, align);

		if (va->va_start >= vend)
			break;
		if (a < vstart || a + size < a || a + size > va->va_end || a + size > vend)
			continue;
		*nva_start = a;
		return va;
	}
	return NULL;
}

/* adjust_va_to_fit_type(): carve [nva_start, +size) out of free area @va
 * (FL: all of it, LE: its left end, RE: its right end, NE: the middle,
 * which splits it in two).  -ENOMEM if the split needs an area and the
 * host has none. */
static int adjust_va_to_fit_type(struct vmsim_machine *m, struct vmap_area *va,
				 uint64_t nva_start, uint64_t size)
{
	struct vmap_state *s = vs(m);

	if (va->va_start == nva_start && va->va_end == nva_start + size) {
		list_del(&va->list);
		va_free(m, va);
		s->nr_free--;
	} else if (va->va_start == nva_start) {
		va->va_start += size;
	} else if (va->va_end == nva_start + size) {
		va->va_end = nva_start;
	} else {
		struct vmap_area *lva = va_new(m, va->va_start, nva_start);

		if (!lva)
			return -ENOMEM;
		va->va_start = nva_start + size;
		list_add_tail(&lva->list, &va->list);	/* just before @va */
		s->nr_free++;
	}
	return 0;
}

/* __purge_vmap_area_lazy(): one TLB flush over the span of every lazily
 * freed area, then their ranges become free again. */
static void purge_vmap_area_lazy(struct vmsim_machine *m)
{
	struct vmap_state *s = vs(m);
	uint64_t start, end;

	if (list_empty(&s->lazy))
		return;
	kspace_mark_dirty(m);
	start = va_of(s->lazy.next)->va_start;
	end = va_of(s->lazy.prev)->va_end;
	flush_tlb_kernel_range(m, start, end);
	while (!list_empty(&s->lazy)) {
		struct vmap_area *va = va_of(s->lazy.next);

		list_del(&va->list);
		s->nr_lazy--;
		merge_or_add_vmap_area(m, va);
	}
	s->vmap_lazy_nr = 0;
	s->nr_purges++;
}

void vm_unmap_aliases(struct vmsim_machine *m)
{
	purge_vmap_area_lazy(m);
}

/* alloc_vmap_area(): a busy area of @size bytes in [vstart, vend); on no
 * room, purge the lazy areas once and retry, as the kernel does. */
static struct vmap_area *alloc_vmap_area(struct vmsim_machine *m, uint64_t size, uint64_t align,
					 uint64_t vstart, uint64_t vend)
{
	struct vmap_state *s = vs(m);
	struct vmap_area *va, *fva;
	uint64_t nva_start = 0;
	bool purged = false;

	kspace_mark_dirty(m);
	va = va_new(m, 0, 0);
	if (!va)
		return NULL;
	for (;;) {
		fva = find_vmap_lowest_match(s, size, align, vstart, vend, &nva_start);
		if (fva || purged)
			break;
		purge_vmap_area_lazy(m);
		purged = true;
	}
	if (!fva || adjust_va_to_fit_type(m, fva, nva_start, size)) {
		/* "vmap allocation for size %lu failed: use vmalloc=<size>" */
		va_free(m, va);
		return NULL;
	}
	va->va_start = nva_start;
	va->va_end = nva_start + size;
	insert_vmap_area(&s->busy, va);
	s->nr_busy++;
	return va;
}

/* __get_vm_area_node(): a vm_struct and its range, guard page added. */
static struct vm_struct *get_vm_area(struct vmsim_machine *m, uint64_t size, uint64_t align,
				     unsigned long flags, uint64_t start, uint64_t end,
				     const char *caller)
{
	struct vm_struct *vm;
	struct vmap_area *va;

	size = PAGE_ALIGN(size);
	if (!size)
		return NULL;
	vm = host_zalloc(&m->ha, sizeof(*vm));
	if (!vm)
		return NULL;
	if (!(flags & VM_NO_GUARD))
		size += PAGE_SIZE;
	va = alloc_vmap_area(m, size, align < PAGE_SIZE ? PAGE_SIZE : align, start, end);
	if (!va) {
		host_free(&m->ha, vm, sizeof(*vm));
		return NULL;
	}
	/* setup_vmalloc_vm() */
	vm->addr = va->va_start;
	vm->size = va->va_end - va->va_start;
	vm->flags = flags;
	snprintf(vm->caller, sizeof(vm->caller), "%s", caller ? caller : "");
	va->vm = vm;
	return vm;
}

/* The busy area containing @addr (__find_vmap_area()). */
static struct vmap_area *find_vmap_area(struct vmap_state *s, uint64_t addr)
{
	struct list_head *pos;

	for (pos = s->busy.next; pos != &s->busy; pos = pos->next) {
		struct vmap_area *va = va_of(pos);

		if (addr < va->va_start)
			break;
		if (addr < va->va_end)
			return va;
	}
	return NULL;
}

struct vm_struct *find_vm_area(struct vmsim_machine *m, uint64_t addr)
{
	struct vmap_area *va = find_vmap_area(vs(m), addr);

	return va ? va->vm : NULL;
}

bool is_vmalloc_addr(const struct vmsim_machine *m, uint64_t addr)
{
	return addr >= m->cfg.vmalloc_start && addr < m->cfg.vmalloc_end;
}

struct page *vmalloc_to_page(struct vmsim_machine *m, uint64_t addr)
{
	uint64_t pte;

	if (!is_vmalloc_addr(m, addr))
		return NULL;
	pte = kernel_pte(m, addr & PAGE_MASK);
	if (!(pte & _PAGE_PRESENT))
		return NULL;
	return pfn_to_page(&m->pm, (unsigned long)(pt_entry_addr(&m->pt, m->pt.fmt->levels - 1, pte)
						   >> PAGE_SHIFT));
}

/*
 * remove_vm_area() + free_unmap_vmap_area(): take the area holding @addr
 * off the busy list, clear its PTEs (no flush) and park its range on the
 * lazy list.  Returns its vm_struct (the caller frees it), NULL if none.
 */
static struct vm_struct *remove_vm_area(struct vmsim_machine *m, uint64_t addr)
{
	struct vmap_state *s = vs(m);
	struct vmap_area *va;
	struct vm_struct *vm;
	uint64_t old;

	if (addr & (PAGE_SIZE - 1))
		return NULL;	/* "Trying to vfree() bad address" */
	kspace_mark_dirty(m);
	va = find_vmap_area(s, addr);
	if (!va || !va->vm)
		return NULL;
	vm = va->vm;
	va->vm = NULL;
	list_del(&va->list);
	s->nr_busy--;
	/* vunmap_range_noflush(): the guard page has no PTE to clear */
	for (uint64_t a = va->va_start; a < va->va_end; a += PAGE_SIZE)
		kernel_clear_pte(m, a, &old);
	/* free_vmap_area_noflush() */
	insert_vmap_area(&s->lazy, va);
	s->nr_lazy++;
	s->vmap_lazy_nr += (unsigned long)((va->va_end - va->va_start) >> PAGE_SHIFT);
	return vm;
}

static void free_vm_struct(struct vmsim_machine *m, struct vm_struct *vm)
{
	if (vm->pages)
		host_free(&m->ha, vm->pages, sizeof(*vm->pages) * vm->nr_pages);
	host_free(&m->ha, vm, sizeof(*vm));
}

/* The drain the kernel schedules once too much is lazily freed. */
static void maybe_drain(struct vmsim_machine *m)
{
	if (vs(m)->vmap_lazy_nr > vs(m)->lazy_max)
		purge_vmap_area_lazy(m);
}

int vfree(struct vmsim_machine *m, uint64_t addr)
{
	struct vm_struct *vm;

	if (!addr)
		return 0;
	vm = remove_vm_area(m, addr);
	if (!vm)
		return -EINVAL;	/* "Trying to vfree() nonexistent vm area" */
	for (unsigned i = 0; i < vm->nr_pages; i++)
		if (vm->pages[i])
			__free_page(&m->pm, vm->pages[i]);
	if (vm->flags & VM_ALLOC)
		vs(m)->nr_vmalloc_pages -= vm->nr_pages;
	free_vm_struct(m, vm);
	maybe_drain(m);
	return 0;
}

int vunmap(struct vmsim_machine *m, uint64_t addr)
{
	struct vm_struct *vm = remove_vm_area(m, addr);

	if (!vm)
		return -EINVAL;	/* "Trying to vunmap() nonexistent vm area" */
	/* the pages belong to the caller: only the bookkeeping goes */
	host_free(&m->ha, vm, sizeof(*vm));
	maybe_drain(m);
	return 0;
}

uint64_t __vmalloc_node_range(struct vmsim_machine *m, uint64_t size, uint64_t align,
			      uint64_t start, uint64_t end, gfp_t gfp, uint64_t prot,
			      unsigned long vm_flags, const char *caller)
{
	struct vm_struct *vm;
	unsigned nr;
	gfp_t page_gfp;

	size = PAGE_ALIGN(size);
	if (!size || (size >> PAGE_SHIFT) > m->pm.totalram_pages)
		return 0;	/* "vmalloc error: size %lu, exceeds total pages" */
	vm = get_vm_area(m, size, align, VM_ALLOC | VM_UNINITIALIZED | vm_flags, start, end,
			 caller);
	if (!vm)
		return 0;
	nr = (unsigned)(size >> PAGE_SHIFT);
	vm->pages = host_zalloc(&m->ha, sizeof(*vm->pages) * nr);
	if (!vm->pages) {
		free_vm_struct(m, remove_vm_area(m, vm->addr));
		return 0;
	}
	vm->nr_pages = nr;
	vs(m)->nr_vmalloc_pages += nr;
	/* __vmalloc_area_node(): highmem is fine, the pages are only reached
	 * through this mapping */
	page_gfp = gfp | __GFP_NOWARN;
	if (!(page_gfp & (__GFP_DMA | __GFP_DMA32)))
		page_gfp |= __GFP_HIGHMEM;
	for (unsigned i = 0; i < nr; i++) {
		vm->pages[i] = alloc_pages(&m->pm, page_gfp, 0);
		/* "vmalloc error: size %lu, page order 0, failed to allocate
		 * pages", or no frame for a page table: give everything back */
		if (!vm->pages[i] ||
		    kernel_set_pte(m, vm->addr + ((uint64_t)i << PAGE_SHIFT),
				   page_to_phys(&m->pm, vm->pages[i]), prot)) {
			vfree(m, vm->addr);
			return 0;
		}
	}
	vm->flags &= ~(unsigned long)VM_UNINITIALIZED;
	return vm->addr;
}

uint64_t vmalloc(struct vmsim_machine *m, uint64_t size, const char *caller)
{
	return __vmalloc_node_range(m, size, 1, vs(m)->start, vs(m)->end, GFP_KERNEL,
				    __PAGE_KERNEL, 0, caller);
}

uint64_t vzalloc(struct vmsim_machine *m, uint64_t size, const char *caller)
{
	return __vmalloc_node_range(m, size, 1, vs(m)->start, vs(m)->end,
				    GFP_KERNEL | __GFP_ZERO, __PAGE_KERNEL, 0, caller);
}

uint64_t vmap(struct vmsim_machine *m, struct page **pages, unsigned count, unsigned long flags,
	      uint64_t prot, const char *caller)
{
	struct vm_struct *vm;

	if (!count || count > m->pm.totalram_pages)
		return 0;
	vm = get_vm_area(m, (uint64_t)count << PAGE_SHIFT, 1, flags, vs(m)->start, vs(m)->end,
			 caller);
	if (!vm)
		return 0;
	for (unsigned i = 0; i < count; i++) {
		if (kernel_set_pte(m, vm->addr + ((uint64_t)i << PAGE_SHIFT),
				   page_to_phys(&m->pm, pages[i]), prot)) {
			vunmap(m, vm->addr);
			return 0;
		}
	}
	return vm->addr;
}

unsigned long vmalloc_used_pages(const struct vmsim_machine *m)
{
	return m->vmap ? m->vmap->nr_vmalloc_pages : 0;
}

/* lazy_max_pages(): fls(num_online_cpus()) * 32 MiB of pages */
static unsigned long lazy_max_pages(unsigned ncpus)
{
	unsigned log = 0;

	while (ncpus >> log)
		log++;
	return log * ((32UL << 20) >> PAGE_SHIFT);
}

int vmalloc_init(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct vmap_state *s = host_zalloc(&m->ha, sizeof(*s));
	struct vmap_area *va;

	if (!s)
		return verr(err, -ENOMEM, "out of host memory for vmalloc");
	INIT_LIST_HEAD(&s->busy);
	INIT_LIST_HEAD(&s->free);
	INIT_LIST_HEAD(&s->lazy);
	s->start = m->cfg.vmalloc_start;
	s->end = m->cfg.vmalloc_end;
	s->lazy_max = lazy_max_pages(m->nr_cpus ? m->nr_cpus : 1);
	m->vmap = s;
	/* vmap_init_free_space(): the whole range is one free area */
	if (s->end > s->start) {
		va = va_new(m, s->start, s->end);
		if (!va) {
			vmalloc_finish(m);
			return verr(err, -ENOMEM, "out of host memory for vmalloc");
		}
		list_add(&va->list, &s->free);
		s->nr_free = 1;
	}
	return 0;
}

void vmalloc_finish(struct vmsim_machine *m)
{
	struct vmap_state *s = m->vmap;

	if (!s)
		return;
	while (!list_empty(&s->busy)) {
		struct vmap_area *va = va_of(s->busy.next);
		struct vm_struct *vm = va->vm;

		list_del(&va->list);
		for (unsigned i = 0; vm && (vm->flags & VM_ALLOC) && i < vm->nr_pages; i++)
			if (vm->pages[i])
				__free_page(&m->pm, vm->pages[i]);
		if (vm)
			free_vm_struct(m, vm);
		va_free(m, va);
	}
	while (!list_empty(&s->lazy)) {
		struct vmap_area *va = va_of(s->lazy.next);

		list_del(&va->list);
		va_free(m, va);
	}
	while (!list_empty(&s->free)) {
		struct vmap_area *va = va_of(s->free.next);

		list_del(&va->list);
		va_free(m, va);
	}
	host_free(&m->ha, s, sizeof(*s));
	m->vmap = NULL;
}

/* ---- /proc/vmallocinfo ---- */

static const char *vm_type(const struct vm_struct *v)
{
	return (v->flags & VM_ALLOC) ? "vmalloc" : (v->flags & VM_MAP) ? "vmap" : "other";
}

/* One busy area as JSON: its range, size, caller, pages and their nodes. */
static void vm_area_json(struct vmsim_machine *m, const struct vm_struct *v,
			 const unsigned *counters, struct json_writer *jw)
{
	json_object_begin(jw);
	json_key_hex(jw, "start", v->addr);
	json_key_hex(jw, "end", v->addr + v->size);
	json_key_u64(jw, "size", v->size);
	json_key_str(jw, "type", vm_type(v));
	json_key_str(jw, "caller", v->caller);
	json_key_u64(jw, "nr_pages", v->nr_pages);
	json_key(jw, "node_pages");
	json_array_begin(jw);
	for (unsigned n = 0; n < m->pm.nr_nodes; n++)
		json_u64(jw, counters[n]);
	json_array_end(jw);
	json_object_end(jw);
}

void vmallocinfo_render(struct vmsim_machine *m, struct json_writer *jw, struct strbuf *sb)
{
	struct vmap_state *s = vs(m);
	/* %pK prints a pointer's full width: 16 hex digits, 8 on 32-bit */
	int w = config_is_64(&m->cfg) ? 16 : 8;
	/* show_numa_info() needs CONFIG_NUMA: on for the x86_64 machines,
	 * and for any machine with more than one node */
	bool numa = config_is_64(&m->cfg) || m->pm.nr_nodes > 1;
	struct list_head *pos;

	if (jw)
		json_array_begin(jw);
	for (pos = s->busy.next; pos != &s->busy; pos = pos->next) {
		struct vm_struct *v = va_of(pos)->vm;
		unsigned counters[MAX_NUMNODES] = { 0 };

		if (!v)
			continue;
		for (unsigned i = 0; i < v->nr_pages; i++)
			counters[page_to_nid(v->pages[i])]++;
		if (jw) {
			vm_area_json(m, v, counters, jw);
			continue;
		}
		sb_printf(sb, "0x%0*" PRIx64 "-0x%0*" PRIx64 " %7" PRIu64, w, v->addr, w,
			  v->addr + v->size, v->size);
		if (v->caller[0])
			sb_printf(sb, " %s", v->caller);
		if (v->nr_pages)
			sb_printf(sb, " pages=%u", v->nr_pages);
		if (v->flags & VM_IOREMAP)
			sb_puts(sb, " ioremap");
		if (v->flags & VM_ALLOC)
			sb_puts(sb, " vmalloc");
		if (v->flags & VM_MAP)
			sb_puts(sb, " vmap");
		if (v->flags & VM_USERMAP)
			sb_puts(sb, " user");
		if (numa && !(v->flags & VM_UNINITIALIZED))
			for (unsigned n = 0; n < m->pm.nr_nodes; n++)
				if (counters[n])
					sb_printf(sb, " N%u=%u", n, counters[n]);
		sb_putc(sb, '\n');
	}
	/* show_purge_info(): lazily freed ranges come last */
	for (pos = s->lazy.next; pos != &s->lazy; pos = pos->next) {
		struct vmap_area *va = va_of(pos);

		if (jw) {
			json_object_begin(jw);
			json_key_hex(jw, "start", va->va_start);
			json_key_hex(jw, "end", va->va_end);
			json_key_u64(jw, "size", va->va_end - va->va_start);
			json_key_str(jw, "type", "unpurged vm_area");
			json_object_end(jw);
			continue;
		}
		sb_printf(sb, "0x%0*" PRIx64 "-0x%0*" PRIx64 " %7" PRIu64 " unpurged vm_area\n", w,
			  va->va_start, w, va->va_end, va->va_end - va->va_start);
	}
	if (jw)
		json_array_end(jw);
}

/* ---- checker ---- */

struct pte_check {
	struct vmsim_machine *m;
	struct vmsim_error *err;
	unsigned long seen;
};

/* Every present leaf in the vmalloc range lies in a busy area, not on its
 * guard page, and (VM_ALLOC) maps the frame pages[] says. */
static int check_leaf(void *arg, uint64_t va, unsigned depth, uint64_t entry_pa, uint64_t e,
		      bool leaf)
{
	struct pte_check *c = arg;
	struct vmap_area *a;
	uint64_t pa;

	if (!leaf)
		return 0;
	a = find_vmap_area(vs(c->m), va);
	if (!a || !a->vm)
		return verr(c->err, -EFAULT, "vmalloc: PTE at 0x%" PRIx64 " outside any busy area", va);
	if (depth != c->m->pt.fmt->levels - 1)
		return verr(c->err, -EFAULT, "vmalloc: large page at 0x%" PRIx64, va);
	if (!(a->vm->flags & VM_NO_GUARD) && va == a->va_end - PAGE_SIZE)
		return verr(c->err, -EFAULT, "vmalloc: guard page 0x%" PRIx64 " is mapped", va);
	pa = pt_entry_addr(&c->m->pt, depth, e);
	if (a->vm->flags & VM_ALLOC) {
		unsigned i = (unsigned)((va - a->va_start) >> PAGE_SHIFT);

		if (i >= a->vm->nr_pages || page_to_phys(&c->m->pm, a->vm->pages[i]) != pa)
			return verr(c->err, -EFAULT, "vmalloc: 0x%" PRIx64 " maps 0x%" PRIx64
				    ", not its page %u", va, pa, i);
	}
	c->seen++;
	return 0;
}

static int check_list(struct vmsim_machine *m, struct list_head *head, const char *name,
		      unsigned long want, struct vmsim_error *err)
{
	unsigned long n = 0;
	uint64_t prev_end = 0;

	for (struct list_head *p = head->next; p != head; p = p->next) {
		struct vmap_area *va = va_of(p);

		if (va->va_start >= va->va_end || (va->va_start & (PAGE_SIZE - 1)) ||
		    (va->va_end & (PAGE_SIZE - 1)))
			return verr(err, -EFAULT, "vmalloc: bad %s area 0x%" PRIx64 "-0x%" PRIx64,
				    name, va->va_start, va->va_end);
		if (n && va->va_start < prev_end)
			return verr(err, -EFAULT, "vmalloc: %s list out of order at 0x%" PRIx64,
				    name, va->va_start);
		if (va->va_start < vs(m)->start || va->va_end > vs(m)->end)
			return verr(err, -EFAULT, "vmalloc: %s area 0x%" PRIx64 " outside the range",
				    name, va->va_start);
		prev_end = va->va_end;
		n++;
	}
	if (n != want)
		return verr(err, -EFAULT, "vmalloc: %lu %s areas, counter says %lu", n, name, want);
	return 0;
}

int vmalloc_check(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct vmap_state *s = vs(m);
	struct list_head *heads[3] = { &s->busy, &s->free, &s->lazy };
	struct list_head *pos[3];
	unsigned long pages = 0, lazy = 0, mapped = 0;
	uint64_t at = s->start;
	struct pte_check c = { m, err, 0 };
	int ret;

	if ((ret = check_list(m, &s->busy, "busy", s->nr_busy, err)) ||
	    (ret = check_list(m, &s->free, "free", s->nr_free, err)) ||
	    (ret = check_list(m, &s->lazy, "lazy", s->nr_lazy, err)))
		return ret;
	/* merge the three sorted lists: they must tile the range */
	for (int i = 0; i < 3; i++)
		pos[i] = heads[i]->next;
	for (;;) {
		int k = -1;

		for (int i = 0; i < 3; i++)
			if (pos[i] != heads[i] &&
			    (k < 0 || va_of(pos[i])->va_start < va_of(pos[k])->va_start))
				k = i;
		if (k < 0)
			break;
		struct vmap_area *va = va_of(pos[k]);

		if (va->va_start != at)
			return verr(err, -EFAULT, "vmalloc: range 0x%" PRIx64 " not covered (next area "
				    "at 0x%" PRIx64 ")", at, va->va_start);
		if (k == 1 && pos[k]->next != heads[k] && va_of(pos[k]->next)->va_start == va->va_end)
			return verr(err, -EFAULT, "vmalloc: free areas at 0x%" PRIx64 " not merged",
				    va->va_end);
		if (k == 0) {
			if (!va->vm || va->vm->addr != va->va_start ||
			    va->vm->size != va->va_end - va->va_start)
				return verr(err, -EFAULT, "vmalloc: busy area 0x%" PRIx64
					    " without a matching vm_struct", va->va_start);
			if (va->vm->flags & VM_ALLOC) {
				pages += va->vm->nr_pages;
				mapped += va->vm->nr_pages;
			} else if (va->vm->flags & VM_MAP) {
				mapped += (va->va_end - va->va_start) >> PAGE_SHIFT;
				if (!(va->vm->flags & VM_NO_GUARD))
					mapped--;
			}
		} else if (va->vm) {
			return verr(err, -EFAULT, "vmalloc: free/lazy area 0x%" PRIx64 " has a vm",
				    va->va_start);
		}
		if (k == 2)
			lazy += (unsigned long)((va->va_end - va->va_start) >> PAGE_SHIFT);
		at = va->va_end;
		pos[k] = pos[k]->next;
	}
	if (s->end > s->start && at != s->end)
		return verr(err, -EFAULT, "vmalloc: range ends at 0x%" PRIx64 ", areas at 0x%" PRIx64,
			    s->end, at);
	if (pages != s->nr_vmalloc_pages)
		return verr(err, -EFAULT, "vmalloc: %lu pages in areas, nr_vmalloc_pages %lu", pages,
			    s->nr_vmalloc_pages);
	if (lazy != s->vmap_lazy_nr || lazy > s->lazy_max)
		return verr(err, -EFAULT, "vmalloc: %lu lazy pages, vmap_lazy_nr %lu (max %lu)", lazy,
			    s->vmap_lazy_nr, s->lazy_max);
	if (s->end > s->start) {
		ret = pt_walk_range(&m->pt, m->vm.kernel_pgd, s->start, s->end - 1, check_leaf, &c);
		if (ret)
			return ret;
	}
	if (c.seen != mapped)
		return verr(err, -EFAULT, "vmalloc: %lu PTEs in the range, areas map %lu", c.seen,
			    mapped);
	return 0;
}
