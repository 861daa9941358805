/*
 * VMAs: allocation, the address-sorted list and red-black tree of an mm,
 * lookup (find_vma and friends, with a small per-mm cache), merging and
 * splitting (mm/vma.c, mm/mmap.c), and the vm counters.
 *
 * Invariant kept by every function here: the list and the tree hold the
 * same VMAs in the same order, VMAs are page aligned and disjoint, every
 * VMA's rb_subtree_gap is the largest gap below a VMA of its subtree
 * (anything that moves a vm_start, or the vm_end before one, calls
 * vma_gap_update()), and the lookup cache only holds VMAs that are linked
 * and unchanged since they were cached (anything that moves a boundary or
 * unlinks calls vmacache_invalidate()).
 */
#include "vma/mm.h"

#include <errno.h>
#include <string.h>

#include "kern/machine.h"
#include "mmu/pgformat.h"
#include "phys/mm_inline.h"
#include "phys/slab.h"
#include "vma/filemap.h"

/* ---- objects (vm_area_cachep, anon_vma_cachep: slab objects in simulated RAM) ---- */

struct anon_vma *anon_vma_alloc(struct vmsim_machine *m)
{
	return kmem_cache_alloc(m->anon_vma_cachep, GFP_KERNEL | __GFP_ZERO);
}

struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = kmem_cache_alloc(mm->m->vm_area_cachep,
						      GFP_KERNEL | __GFP_ZERO);

	if (!vma)
		return NULL;
	vma->vm_mm = mm;
	INIT_LIST_HEAD(&vma->vm_list);
	INIT_LIST_HEAD(&vma->shared);
	RB_CLEAR_NODE(&vma->vm_rb);
	return vma;
}

struct vm_area_struct *vm_area_dup(struct vm_area_struct *orig)
{
	struct vm_area_struct *vma = vm_area_alloc(orig->vm_mm);

	if (!vma)
		return NULL;
	*vma = *orig;
	INIT_LIST_HEAD(&vma->vm_list);
	INIT_LIST_HEAD(&vma->shared);
	RB_CLEAR_NODE(&vma->vm_rb);
	if (vma->anon_vma)
		vma->anon_vma->refcount++;
	if (vma->shm)
		vma->shm->refcount++;
	if (vma->vm_file) {
		/* the copy maps the file too: a reference and an i_mmap entry */
		get_file(vma->vm_file);
		i_mmap_insert(vma);
	}
	return vma;
}

static void put_anon_vma(struct mm_struct *mm, struct anon_vma *av)
{
	if (av && --av->refcount == 0)
		kmem_cache_free(mm->m->anon_vma_cachep, av);
}

static void shmem_put(struct mm_struct *mm, struct shmem_object *obj)
{
	if (!obj || --obj->refcount)
		return;
	/* the object's own reference on each page it holds */
	for (unsigned long i = 0; i < obj->nr_pages; i++)
		if (obj->pages[i]) {
			/* shmem_delete_from_page_cache() */
			lruvec_stat_mod_folio(&mm->m->pm, obj->pages[i], NR_FILE_PAGES, -1);
			lruvec_stat_mod_folio(&mm->m->pm, obj->pages[i], NR_SHMEM, -1);
			put_page(&mm->m->pm, obj->pages[i]);
		}
	host_free(&mm->m->ha, obj->pages, obj->nr_pages * sizeof(obj->pages[0]));
	host_free(&mm->m->ha, obj, sizeof(*obj));
}

void unlink_anon_vmas(struct vm_area_struct *vma)
{
	put_anon_vma(vma->vm_mm, vma->anon_vma);
	vma->anon_vma = NULL;
}

void vm_area_free(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;

	put_anon_vma(mm, vma->anon_vma);
	shmem_put(mm, vma->shm);
	if (vma->vm_file) {
		i_mmap_remove(vma);
		fput(vma->vm_file);
	}
	kmem_cache_free(mm->m->vm_area_cachep, vma);
}

/* ---- tree and list ---- */

uint64_t vma_compute_gap(const struct vm_area_struct *vma)
{
	const struct vm_area_struct *prev = vma_prev(vma);
	uint64_t gap_end = vm_start_gap(vma), gap_start = prev ? vm_end_gap(prev) : 0;

	return gap_end > gap_start ? gap_end - gap_start : 0;
}

static uint64_t subtree_gap(const struct rb_node *n)
{
	return n ? rb_entry(n, struct vm_area_struct, vm_rb)->rb_subtree_gap : 0;
}

/* vma_compute_subtree_gap(): the node's own gap or its children's. */
static bool vma_gap_compute(struct rb_node *n)
{
	struct vm_area_struct *vma = rb_entry(n, struct vm_area_struct, vm_rb);
	uint64_t max = vma_compute_gap(vma), old = vma->rb_subtree_gap;

	if (subtree_gap(n->rb_left) > max)
		max = subtree_gap(n->rb_left);
	if (subtree_gap(n->rb_right) > max)
		max = subtree_gap(n->rb_right);
	vma->rb_subtree_gap = max;
	return max != old;
}

static const struct rb_augment_callbacks vma_gap_callbacks = { vma_gap_compute };

void vma_gap_update(struct vm_area_struct *vma)
{
	rb_augment_propagate(&vma->vm_rb, &vma_gap_callbacks);
}

void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct rb_node **link = &mm->mm_rb.rb_node, *parent = NULL, *prev_node = NULL;
	struct vm_area_struct *v, *next;

	while (*link) {
		parent = *link;
		v = rb_entry(parent, struct vm_area_struct, vm_rb);
		if (vma->vm_start < v->vm_start) {
			link = &parent->rb_left;
		} else {
			prev_node = parent;	/* last node we went right of */
			link = &parent->rb_right;
		}
	}
	/* the list position follows from the descent: right after the
	 * greatest VMA below, or first; the gaps the tree caches are
	 * computed from the list neighbours, so the list changes first */
	if (prev_node)
		list_add(&vma->vm_list,
			 &rb_entry(prev_node, struct vm_area_struct, vm_rb)->vm_list);
	else
		list_add(&vma->vm_list, &mm->mmap_list);
	vma->vm_mm = mm;
	/* the gap below the next VMA now ends at this one: brought up to
	 * date while it is the only stale value, then the new leaf joins
	 * (each step assumes every other cached gap is right) */
	if ((next = vma_next(vma)))
		vma_gap_update(next);
	rb_link_node(&vma->vm_rb, parent, link);
	vma->rb_subtree_gap = 0;
	rb_insert_augmented(&vma->vm_rb, &mm->mm_rb, &vma_gap_callbacks);
	mm->map_count++;
}

void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *next = vma_next(vma);

	/* out of the tree while the list still has it (so the erase sees
	 * consistent gaps), then off the list; then the gap below the next
	 * VMA reaches down to the one before */
	rb_erase_augmented(&vma->vm_rb, &mm->mm_rb, &vma_gap_callbacks);
	RB_CLEAR_NODE(&vma->vm_rb);
	list_del_init(&vma->vm_list);
	if (next)
		vma_gap_update(next);
	mm->map_count--;
	vmacache_invalidate(mm);
}

/* ---- lookup ---- */

/* Linux hashes by page number; the cache is tiny and per mm. */
#define VMACACHE_HASH(addr) (((addr) >> PAGE_SHIFT) & (VMACACHE_SIZE - 1))

struct vm_area_struct *find_vma(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma = mm->vmacache[VMACACHE_HASH(addr)], *found = NULL;
	struct rb_node *n;

	if (vma && vma->vm_start <= addr && vma->vm_end > addr)
		return vma;
	n = mm->mm_rb.rb_node;
	while (n) {
		vma = rb_entry(n, struct vm_area_struct, vm_rb);
		if (vma->vm_end > addr) {
			found = vma;
			if (vma->vm_start <= addr)
				break;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	if (found && found->vm_start <= addr)
		mm->vmacache[VMACACHE_HASH(addr)] = found;
	return found;
}

struct vm_area_struct *find_vma_prev(struct mm_struct *mm, uint64_t addr,
				     struct vm_area_struct **pprev)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	*pprev = vma ? vma_prev(vma) : mm_last_vma(mm);
	return vma;
}

struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	if (vma && end <= vma->vm_start)
		vma = NULL;
	return vma;
}

/* ---- merging (mm/vma.c: is_mergeable_vma, can_vma_merge_before/after) ---- */

/* The anon_vmas of two VMAs allow them to become one: one side has none
 * yet, or both are the same (Linux also requires a singular chain, which
 * holds here because the rmap chains are not modelled). */
static bool is_mergeable_anon_vma(const struct anon_vma *a, const struct anon_vma *b)
{
	return !a || !b || a == b;
}

static bool is_mergeable_vma(const struct vm_area_struct *vma, unsigned long vm_flags,
			     struct file *file, struct shmem_object *shm)
{
	/* VM_SOFTDIRTY never blocks a merge; every other flag must match */
	if ((vma->vm_flags ^ vm_flags) & ~VM_IGNORE_MERGE)
		return false;
	if (vma->vm_file != file || vma->shm != shm)
		return false;
	if (vma->vm_ops && vma->vm_ops->name)	/* special mappings stay apart */
		return false;
	return true;
}

/* May a range starting at @pgoff be placed right before @vma? */
static bool can_vma_merge_before(const struct vm_area_struct *vma, unsigned long vm_flags,
				 struct anon_vma *anon_vma, struct file *file, uint64_t pgoff,
				 uint64_t pglen, struct shmem_object *shm)
{
	return is_mergeable_vma(vma, vm_flags, file, shm) &&
	       is_mergeable_anon_vma(anon_vma, vma->anon_vma) && vma->vm_pgoff == pgoff + pglen;
}

/* May a range starting at @pgoff be placed right after @vma? */
static bool can_vma_merge_after(const struct vm_area_struct *vma, unsigned long vm_flags,
				struct anon_vma *anon_vma, struct file *file, uint64_t pgoff,
				struct shmem_object *shm)
{
	return is_mergeable_vma(vma, vm_flags, file, shm) &&
	       is_mergeable_anon_vma(anon_vma, vma->anon_vma) &&
	       vma->vm_pgoff + vma_pages(vma) == pgoff;
}

/* @keep absorbs @gone (adjacent, mergeable): the combined anon_vma is the
 * one that exists, and @gone is unlinked and freed. */
static void absorb_anon_vma(struct mm_struct *mm, struct vm_area_struct *keep,
			    struct vm_area_struct *gone)
{
	if (!keep->anon_vma && gone->anon_vma) {
		keep->anon_vma = gone->anon_vma;
		keep->anon_vma->refcount++;
	}
	if (gone->vm_flags & VM_SOFTDIRTY)
		keep->vm_flags |= VM_SOFTDIRTY;
}

struct vm_area_struct *vma_merge_new(struct mm_struct *mm, struct vm_area_struct *prev,
				     struct vm_area_struct *next, uint64_t addr, uint64_t end, unsigned long vm_flags,
				     struct anon_vma *anon_vma, struct file *file,
				     uint64_t pgoff, struct shmem_object *shm)
{
	uint64_t pglen = (end - addr) >> PAGE_SHIFT;
	bool merge_prev, merge_next;

	merge_prev = prev && prev->vm_end == addr &&
		     can_vma_merge_after(prev, vm_flags, anon_vma, file, pgoff, shm);
	merge_next = next && next->vm_start == end &&
		     can_vma_merge_before(next, vm_flags, anon_vma, file, pgoff, pglen, shm);
	if (merge_prev && merge_next && !is_mergeable_anon_vma(prev->anon_vma, next->anon_vma))
		merge_next = false;	/* prev wins (cases 2/5 of vma_merge) */
	if (merge_prev) {
		if (!prev->anon_vma && anon_vma) {
			prev->anon_vma = anon_vma;
			anon_vma->refcount++;
		}
		if (merge_next) {
			/* case 1: prev, the new range and next become one */
			prev->vm_end = next->vm_end;
			absorb_anon_vma(mm, prev, next);
			vma_unlink(mm, next);
			vm_area_free(next);
		} else {
			prev->vm_end = end;	/* case 2 */
			if ((next = vma_next(prev)))
				vma_gap_update(next);
		}
		vmacache_invalidate(mm);
		return prev;
	}
	if (merge_next) {
		/* case 3: next grows down over the range; its key (vm_start)
		 * changes but its place in the order does not */
		if (!next->anon_vma && anon_vma) {
			next->anon_vma = anon_vma;
			anon_vma->refcount++;
		}
		next->vm_start = addr;
		next->vm_pgoff = pgoff;
		vma_gap_update(next);
		vmacache_invalidate(mm);
		return next;
	}
	return NULL;
}

struct vm_area_struct *vma_merge_existing(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma_prev(vma), *next = vma_next(vma);

	if (next && next->vm_start == vma->vm_end &&
	    can_vma_merge_before(next, vma->vm_flags, vma->anon_vma, vma->vm_file,
				 vma->vm_pgoff, vma_pages(vma), vma->shm) &&
	    !(prev && prev->vm_end == vma->vm_start &&
	      can_vma_merge_after(prev, vma->vm_flags, vma->anon_vma, vma->vm_file,
				  vma->vm_pgoff, vma->shm) &&
	      !is_mergeable_anon_vma(prev->anon_vma, next->anon_vma))) {
		vma->vm_end = next->vm_end;
		absorb_anon_vma(mm, vma, next);
		vma_unlink(mm, next);
		vm_area_free(next);
	}
	if (prev && prev->vm_end == vma->vm_start &&
	    can_vma_merge_after(prev, vma->vm_flags, vma->anon_vma, vma->vm_file,
				vma->vm_pgoff, vma->shm)) {
		prev->vm_end = vma->vm_end;
		absorb_anon_vma(mm, prev, vma);
		vma_unlink(mm, vma);
		vm_area_free(vma);
		vma = prev;
	}
	vmacache_invalidate(mm);
	return vma;
}

int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr, int new_below)
{
	struct vm_area_struct *n;

	/* special_mapping_split(): [vdso] and [vvar] keep their size */
	if (vma->vm_ops && vma->vm_ops->name)
		return -EINVAL;
	n = vm_area_dup(vma);
	if (!n)
		return -ENOMEM;
	if (new_below) {
		/* vma_link(n) below refreshes vma's gap: n becomes its prev */
		n->vm_end = addr;
		vma->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
		vma->vm_start = addr;
	} else {
		n->vm_start = addr;
		n->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
		vma->vm_end = addr;
	}
	/* vma's key moved (new_below) but its order did not: insert n at its
	 * own place */
	vma_link(mm, n);
	vmacache_invalidate(mm);
	return 0;
}

/* ---- counters and protections ---- */

void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages)
{
	mm->total_vm += (unsigned long)npages;
	/* is_exec_mapping / is_stack_mapping / is_data_mapping (mm/internal.h) */
	if ((flags & (VM_EXEC | VM_WRITE | VM_STACK)) == VM_EXEC)
		mm->exec_vm += (unsigned long)npages;
	else if (flags & VM_STACK)
		mm->stack_vm += (unsigned long)npages;
	else if ((flags & (VM_WRITE | VM_SHARED | VM_STACK)) == VM_WRITE)
		mm->data_vm += (unsigned long)npages;
	if (flags & VM_LOCKED)
		mm->locked_vm += (unsigned long)npages;
}

uint64_t vma_page_prot(const struct vm_area_struct *vma)
{
	uint64_t prot = vm_get_page_prot(vma->vm_mm, vma->vm_flags);

	/* vma_wants_writenotify(): a shared file mapping keeps its pages
	 * write-protected so that the first write marks the page dirty */
	if (vma->vm_file && (vma->vm_flags & VM_SHARED))
		prot &= ~(uint64_t)_PAGE_RW;
	return prot;
}

unsigned long calc_vm_prot_bits(unsigned long prot)
{
	return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
	       (prot & PROT_EXEC ? VM_EXEC : 0);
}

uint64_t vm_get_page_prot(const struct mm_struct *mm, unsigned long vm_flags)
{
	/* protection_map[] of arch/x86/mm/pgprot.c: user pages, NX unless
	 * executable, RW only for shared writable (private writable is
	 * PAGE_COPY: the first write faults and breaks COW), and for no
	 * access at all PAGE_NONE (not present, _PAGE_PROTNONE) */
	uint64_t prot;

	if (!(vm_flags & VM_ACCESS_FLAGS))
		return _PAGE_PROTNONE | _PAGE_ACCESSED;
	prot = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED;
	if ((vm_flags & (VM_WRITE | VM_SHARED)) == (VM_WRITE | VM_SHARED))
		prot |= _PAGE_RW;
	/* NX only where the format has it and EFER.NXE is on (Linux drops
	 * it from __supported_pte_mask otherwise: it would be reserved) */
	if (!(vm_flags & VM_EXEC) && mm->m->pt.fmt->nx_bit && mm->m->cfg.nxe)
		prot |= _PAGE_NX;
	return prot;
}
