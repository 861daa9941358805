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

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "mmu/pgformat.h"
#include "phys/mm_inline.h"
#include "phys/slab.h"
#include "vma/filemap.h"
#include "vma/rmap.h"
#include "vma/mmdebug.h"

/* ---- objects (vm_area_cachep: slab objects in simulated RAM) ---- */

struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = kmem_cache_alloc(mm->vm->vm_area_cachep,
						      GFP_KERNEL | __GFP_ZERO);

	if (!vma)
		return NULL;
	vma->vm_mm = mm;
	INIT_LIST_HEAD(&vma->vm_list);
	INIT_LIST_HEAD(&vma->shared);
	INIT_LIST_HEAD(&vma->anon_vma_chain);
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
	/* the anon_vma pointer is copied, the chain is not: the caller links
	 * it (anon_vma_clone for a split or mremap's copy, anon_vma_fork for
	 * fork) */
	INIT_LIST_HEAD(&vma->anon_vma_chain);
	RB_CLEAR_NODE(&vma->vm_rb);
	if (vma->shm)
		vma->shm->refcount++;
	if (vma->vm_file)
		get_file(vma->vm_file);
	/* the copy maps the file or shared object too: an i_mmap entry */
	i_mmap_insert(vma);
	return vma;
}

static void shmem_put(struct mm_struct *mm, struct shmem_object *obj)
{
	if (!obj || --obj->refcount)
		return;
	/* the object's own reference on each page it holds: the pages
	 * leave its cache (shmem_truncate_range()) */
	for (unsigned long i = 0; i < obj->nr_pages; i++)
		if (obj->pages[i])
			shmem_remove_page(mm->vm, obj, i);	/* a page, or a swap entry */
	host_free(mm->vm->ha, obj->pages, obj->nr_pages * sizeof(obj->pages[0]));
	host_free(mm->vm->ha, obj, sizeof(*obj));
}

void vm_area_free(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;

	i_mmap_remove(vma);
	/* free_pgtables() of an unmapped VMA and anon_vma_merge() of one a
	 * merge removed unlink its chain; here, for every VMA that goes */
	unlink_anon_vmas(vma);
	shmem_put(mm, vma->shm);
	fput(vma->vm_file);
	kmem_cache_free(mm->vm->vm_area_cachep, vma);
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
	mm_track_dirty(vma->vm_mm);	/* the tree changed */
	rb_augment_propagate(&vma->vm_rb, &vma_gap_callbacks);
}


/* The VMAs around list position @at (the entry @vma would follow). */
static inline void link_neighbours(struct mm_struct *mm, struct list_head *at,
				   struct vm_area_struct **prev, struct vm_area_struct **next)
{
	*prev = at == &mm->mmap_list ? NULL : list_entry(at, struct vm_area_struct, vm_list);
	*next = at->next == &mm->mmap_list ? NULL :
		list_entry(at->next, struct vm_area_struct, vm_list);
}

/* vma_link()'s VM_BUG_ON_VMA()s, each with its own report, once the one
 * combined test on the fast path failed. */
static __attribute__((cold, noinline)) bool vma_link_bad(struct mm_struct *mm,
							 struct vm_area_struct *vma,
							 struct list_head *at)
{
	struct vm_area_struct *prev, *next;

	link_neighbours(mm, at, &prev, &next);
	return VM_BUG_ON_VMA(vma->vm_start >= vma->vm_end, vma, mm) ||
	       VM_BUG_ON_VMA(!RB_EMPTY_NODE(&vma->vm_rb), vma, mm) ||
	       VM_BUG_ON_VMA(prev && prev->vm_end > vma->vm_start, vma, mm) ||
	       VM_BUG_ON_VMA(next && next->vm_start < vma->vm_end, vma, mm);
}

/*
 * A VMA that is empty or already linked, or that would overlap a
 * neighbour (find_vma_links() finding one: BUG() in __insert_vm_struct()),
 * is reported and left out of the tree.
 */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct rb_node **link = &mm->mm_rb.rb_node, *parent = NULL, *prev_node = NULL;
	struct vm_area_struct *v, *prev, *next;
	struct list_head *at;

	mm_track_dirty(mm);
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
	at = prev_node ? &rb_entry(prev_node, struct vm_area_struct, vm_rb)->vm_list
		       : &mm->mmap_list;
	link_neighbours(mm, at, &prev, &next);
	if (DEBUG_VM &&
	    __builtin_expect((vma->vm_start >= vma->vm_end) | !RB_EMPTY_NODE(&vma->vm_rb) |
			     (prev && prev->vm_end > vma->vm_start) |
			     (next && next->vm_start < vma->vm_end), 0) &&
	    vma_link_bad(mm, vma, at))
		return;
	list_add(&vma->vm_list, at);
	vma->vm_mm = mm;
	/* the gap below the next VMA now ends at this one: brought up to
	 * date while it is the only stale value, then the new leaf joins
	 * (each step assumes every other cached gap is right) */
	if (next)
		vma_gap_update(next);
	rb_link_node(&vma->vm_rb, parent, link);
	vma->rb_subtree_gap = 0;
	rb_insert_augmented(&vma->vm_rb, &mm->mm_rb, &vma_gap_callbacks);
	mm->map_count++;
}

static __attribute__((cold, noinline)) bool vma_unlink_bad(struct mm_struct *mm,
							   struct vm_area_struct *vma)
{
	return VM_BUG_ON_VMA(RB_EMPTY_NODE(&vma->vm_rb), vma, mm) ||
	       VM_BUG_ON_VMA(vma->vm_mm != mm, vma, mm);
}

void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *next;

	/* a VMA that is not in this mm's tree is reported and left alone */
	if (DEBUG_VM && __builtin_expect(RB_EMPTY_NODE(&vma->vm_rb) | (vma->vm_mm != mm), 0) &&
	    vma_unlink_bad(mm, vma))
		return;
	next = vma_next(vma);
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

/*
 * vma_had_uncowed_parents(): a VMA whose chain holds more than its own
 * anon_vma existed at a fork (or was split from one that did) and may
 * still share pages with the parent.  Merging more memory into it would
 * widen the family that shares the root anon_vma, so the kernel refuses.
 */
static bool vma_had_uncowed_parents(const struct vm_area_struct *vma)
{
	return vma && vma->anon_vma && !list_is_singular(&vma->anon_vma_chain);
}

/*
 * is_mergeable_anon_vma(): may memory whose anon_vma is @src_anon join
 * @tgt?  @src owns that memory: the VMA whose flags change, the VMA that
 * mremap copies from (vmg->copied_from), or NULL for new memory.  When
 * only one side has an anon_vma, the other takes it (dup_anon_vma) unless
 * the side that has it was forked; when both have one, it must be the
 * same.
 */
static bool is_mergeable_anon_vma(struct anon_vma *src_anon, const struct vm_area_struct *src,
				  const struct vm_area_struct *tgt)
{
	struct anon_vma *tgt_anon = tgt->anon_vma;

	if (!tgt_anon && src_anon)
		return !vma_had_uncowed_parents(src);
	if (tgt_anon && !src_anon)
		return !vma_had_uncowed_parents(tgt);
	return src_anon == tgt_anon;
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

/* May a range starting at @pgoff, with @src_anon of @src, go right before @next? */
static bool can_vma_merge_before(const struct vm_area_struct *next, unsigned long vm_flags,
				 struct anon_vma *src_anon, const struct vm_area_struct *src,
				 struct file *file, uint64_t pgoff, uint64_t pglen,
				 struct shmem_object *shm)
{
	return is_mergeable_vma(next, vm_flags, file, shm) &&
	       is_mergeable_anon_vma(src_anon, src, next) && next->vm_pgoff == pgoff + pglen;
}

/* May a range starting at @pgoff, with @src_anon of @src, go right after @prev? */
static bool can_vma_merge_after(const struct vm_area_struct *prev, unsigned long vm_flags,
				struct anon_vma *src_anon, const struct vm_area_struct *src,
				struct file *file, uint64_t pgoff, struct shmem_object *shm)
{
	return is_mergeable_vma(prev, vm_flags, file, shm) &&
	       is_mergeable_anon_vma(src_anon, src, prev) &&
	       prev->vm_pgoff + vma_pages(prev) == pgoff;
}

/* Merging with both neighbours also needs them compatible with each other
 * (can_vma_merge_right()). */
static bool anon_vmas_compatible(const struct vm_area_struct *prev,
				 const struct vm_area_struct *next)
{
	return !prev->anon_vma || !next->anon_vma || prev->anon_vma == next->anon_vma;
}

/*
 * dup_anon_vma(): @dst is about to cover anonymous memory of @src; if
 * only @src has an anon_vma, @dst takes it and @src's chain.  *@dup is
 * set to @dst when it did, so that a later failure can undo it.  -ENOMEM.
 */
static int dup_anon_vma(struct vm_area_struct *dst, struct vm_area_struct *src,
			struct vm_area_struct **dup)
{
	if (src && src->anon_vma && !dst->anon_vma) {
		dst->anon_vma = src->anon_vma;
		if (anon_vma_clone(dst, src))
			return -ENOMEM;
		*dup = dst;
	}
	return 0;
}

/* vma_complete() of a merge: @gone, now covered by @keep, leaves the mm
 * (its chain unlinked as anon_vma_merge() does, its file reference and
 * i_mmap entry dropped). */
static void remove_merged_vma(struct mm_struct *mm, struct vm_area_struct *keep,
			      struct vm_area_struct *gone)
{
	if (gone->vm_flags & VM_SOFTDIRTY)
		keep->vm_flags |= VM_SOFTDIRTY;
	vma_unlink(mm, gone);
	vm_area_free(gone);
}

/* vma_set_range() of a linked VMA's start: a new vm_pgoff is a new key in
 * the anon_vma trees it is on, and a new vm_start a new gap below it. */
static void vma_set_start(struct vm_area_struct *vma, uint64_t start, uint64_t pgoff)
{
	anon_vma_interval_tree_pre_update_vma(vma);
	vma->vm_start = start;
	vma->vm_pgoff = pgoff;
	anon_vma_interval_tree_post_update_vma(vma);
	vma_gap_update(vma);
}

struct vm_area_struct *vma_merge_new(struct mm_struct *mm, struct vm_area_struct *prev,
				     struct vm_area_struct *next, uint64_t addr, uint64_t end,
				     unsigned long vm_flags, struct anon_vma *src_anon,
				     struct vm_area_struct *copied_from, struct file *file,
				     uint64_t pgoff, struct shmem_object *shm)
{
	uint64_t pglen = (end - addr) >> PAGE_SHIFT;
	struct vm_area_struct *target, *anon_dup = NULL;
	bool merge_prev, merge_next;

	if (vm_flags & VM_SPECIAL)
		return NULL;
	merge_prev = prev && prev->vm_end == addr &&
		     can_vma_merge_after(prev, vm_flags, src_anon, copied_from, file, pgoff, shm);
	merge_next = next && next->vm_start == end &&
		     can_vma_merge_before(next, vm_flags, src_anon, copied_from, file, pgoff, pglen,
					  shm) &&
		     (!merge_prev || anon_vmas_compatible(prev, next));
	if (!merge_prev && !merge_next)
		return NULL;
	/* vma_expand(): the VMA that grows takes the anon_vma of what it
	 * swallows (next, or the VMA the range is copied from) */
	target = merge_prev ? prev : next;
	if ((merge_prev && merge_next && dup_anon_vma(target, next, &anon_dup)) ||
	    dup_anon_vma(target, copied_from, &anon_dup)) {
		if (anon_dup)
			unlink_anon_vmas(anon_dup);
		return NULL;
	}
	if (merge_prev) {
		if (merge_next) {
			/* prev, the new range and next become one */
			prev->vm_end = next->vm_end;
			remove_merged_vma(mm, prev, next);
		} else {
			prev->vm_end = end;
			if ((next = vma_next(prev)))
				vma_gap_update(next);
		}
	} else {
		/* next grows down over the range; its key (vm_start) changes
		 * but its place in the order does not */
		vma_set_start(next, addr, pgoff);
	}
	vmacache_invalidate(mm);
	return target;
}

struct vm_area_struct *vma_merge_existing(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma_prev(vma), *next = vma_next(vma), *anon_dup = NULL;
	bool merge_left, merge_right;

	if (vma->vm_flags & VM_SPECIAL)
		return vma;
	merge_left = prev && prev->vm_end == vma->vm_start &&
		     can_vma_merge_after(prev, vma->vm_flags, vma->anon_vma, vma, vma->vm_file,
					 vma->vm_pgoff, vma->shm);
	merge_right = next && next->vm_start == vma->vm_end &&
		      can_vma_merge_before(next, vma->vm_flags, vma->anon_vma, vma, vma->vm_file,
					   vma->vm_pgoff, vma_pages(vma), vma->shm) &&
		      (!merge_left || anon_vmas_compatible(prev, next));
	if (merge_left && merge_right) {
		/* prev extends over vma and next, both deleted; the anon_vma
		 * to take, if prev has none, is next's or else vma's */
		if (dup_anon_vma(prev, next->anon_vma ? next : vma, &anon_dup))
			return vma;	/* out of memory: left unmerged */
		prev->vm_end = next->vm_end;
		remove_merged_vma(mm, prev, vma);
		remove_merged_vma(mm, prev, next);
		vma = prev;
	} else if (merge_left) {
		if (dup_anon_vma(prev, vma, &anon_dup))
			return vma;
		prev->vm_end = vma->vm_end;
		remove_merged_vma(mm, prev, vma);
		vma = prev;
	} else if (merge_right) {
		uint64_t start = vma->vm_start, pgoff = vma->vm_pgoff;

		if (dup_anon_vma(next, vma, &anon_dup))
			return vma;
		remove_merged_vma(mm, next, vma);
		vma_set_start(next, start, pgoff);
		vma = next;
	}
	vmacache_invalidate(mm);
	return vma;
}

/*
 * vma_merge_existing_range() for flags: [start, end) of @vma, with
 * @new_flags, joins @vma's neighbours where it reaches @vma's edge and they
 * match (the anon_vma rules of vma_merge_existing()).  Returns the VMA that
 * now holds the range, or NULL when no merge applies (*@err 0) or the
 * anon_vma could not be shared for want of memory (*@err -ENOMEM); nothing
 * changed then.
 */
static struct vm_area_struct *vma_merge_existing_range(struct mm_struct *mm,
							struct vm_area_struct *vma,
							uint64_t start, uint64_t end,
							unsigned long new_flags, int *err)
{
	struct vm_area_struct *prev = vma_prev(vma), *next = vma_next(vma), *anon_dup = NULL;
	const bool left_side = start == vma->vm_start, right_side = end == vma->vm_end;
	const uint64_t pgoff = vma->vm_pgoff + ((start - vma->vm_start) >> PAGE_SHIFT);
	const uint64_t pglen = (end - start) >> PAGE_SHIFT;
	bool merge_left, merge_right;

	*err = 0;
	/* special mappings, and a range inside the VMA, never merge */
	if ((new_flags & VM_SPECIAL) || (vma->vm_ops && vma->vm_ops->name) ||
	    (!left_side && !right_side))
		return NULL;
	merge_left = left_side && prev && prev->vm_end == start &&
		     can_vma_merge_after(prev, new_flags, vma->anon_vma, vma, vma->vm_file, pgoff,
					 vma->shm);
	/* can_vma_merge_right(): prev and next must be able to share one
	 * anon_vma to become one VMA; otherwise prev alone takes it */
	merge_right = right_side && next && next->vm_start == end &&
		      can_vma_merge_before(next, new_flags, vma->anon_vma, vma, vma->vm_file, pgoff,
					   pglen, vma->shm) &&
		      (!merge_left || anon_vmas_compatible(prev, next));
	if (!merge_left && !merge_right)
		return NULL;
	if (merge_left && merge_right) {
		/* prev grows over vma and next, which go; if prev has no
		 * anon_vma it takes next's or else vma's */
		if ((*err = dup_anon_vma(prev, next->anon_vma ? next : vma, &anon_dup)))
			return NULL;
		prev->vm_end = next->vm_end;
		remove_merged_vma(mm, prev, vma);
		remove_merged_vma(mm, prev, next);
		return prev;
	}
	if (merge_left) {
		/* prev grows to end; vma shrinks from below or goes
		 * (commit_merge(): no huge PMD of vma may straddle end) */
		if ((*err = dup_anon_vma(prev, vma, &anon_dup)))
			return NULL;
		if (!right_side)
			vma_adjust_trans_huge(prev, prev->vm_start, end, (long)(end - vma->vm_start));
		prev->vm_end = end;
		if (right_side)
			remove_merged_vma(mm, prev, vma);
		else
			vma_set_start(vma, end, vma->vm_pgoff + pglen);
		vmacache_invalidate(mm);
		return prev;
	}
	/* next grows down to start; vma shrinks from above or goes (the
	 * order of the list and tree does not change; no huge PMD of vma may
	 * straddle start) */
	if ((*err = dup_anon_vma(next, vma, &anon_dup)))
		return NULL;
	if (!left_side)
		vma_adjust_trans_huge(vma, vma->vm_start, start, 0);
	if (left_side)
		remove_merged_vma(mm, next, vma);
	else
		vma->vm_end = start;
	vma_set_start(next, start, pgoff);
	vmacache_invalidate(mm);
	return next;
}

int vma_modify_flags(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t start,
		     uint64_t end, unsigned long new_flags, struct vm_area_struct **out)
{
	struct vm_area_struct *merged;
	int ret;

	/* First, try to merge (vma_modify(): out of memory there is -ENOMEM,
	 * not a reason to split instead). */
	merged = vma_merge_existing_range(mm, vma, start, end, new_flags, &ret);
	if (ret)
		return ret;
	if (merged) {
		*out = merged;
		return 0;
	}
	/* Then split off what lies outside the range; the kernel's
	 * split_vma() refuses to go past the map count limit, vmsim's leaves
	 * that check to its callers */
	if (vma->vm_start < start) {
		if (mm->map_count >= sysctl_max_map_count)
			return -ENOMEM;
		ret = split_vma(mm, vma, start, 1);
		if (ret)
			return ret;
	}
	if (vma->vm_end > end) {
		if (mm->map_count >= sysctl_max_map_count)
			return -ENOMEM;
		ret = split_vma(mm, vma, end, 0);
		if (ret)
			return ret;
	}
	*out = vma;
	return 0;
}

int split_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr, int new_below)
{
	struct vm_area_struct *n;

	/* __split_vma(): WARN_ON(vma->vm_start >= addr); WARN_ON(vma->vm_end <= addr) */
	if (DEBUG_VM && __builtin_expect((vma->vm_start >= addr) | (vma->vm_end <= addr), 0) &&
	    (VM_WARN_ON(vma->vm_start >= addr, mm->vm->pm) ||
	     VM_WARN_ON(vma->vm_end <= addr, mm->vm->pm)))
		return -EINVAL;
	/* special_mapping_split(): [vdso] and [vvar] keep their size */
	if (vma->vm_ops && vma->vm_ops->name)
		return -EINVAL;
	n = vm_area_dup(vma);
	if (!n)
		return -ENOMEM;
	/* __split_vma(): no huge PMD may straddle the new boundary */
	vma_adjust_trans_huge(vma, vma->vm_start, addr, 0);
	if (new_below) {
		/* vma_link(n) below refreshes vma's gap: n becomes its prev */
		n->vm_end = addr;
	} else {
		n->vm_start = addr;
		n->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
	}
	if (anon_vma_clone(n, vma)) {
		vm_area_free(n);
		return -ENOMEM;
	}
	if (new_below)
		vma_set_start(vma, addr, vma->vm_pgoff + ((addr - n->vm_start) >> PAGE_SHIFT));
	else
		vma->vm_end = addr;
	/* vma's key moved (new_below) but its order did not: insert n at its
	 * own place */
	vma_link(mm, n);
	vmacache_invalidate(mm);
	return 0;
}

/* ---- find_mergeable_anon_vma (mm/vma.c) ---- */

/* anon_vma_compatible(): @a directly below @b, alike but for the access
 * bits, at consecutive offsets. */
static bool anon_vma_compatible(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_end == b->vm_start && a->vm_file == b->vm_file && a->shm == b->shm &&
	       !((a->vm_flags ^ b->vm_flags) & ~(VM_ACCESS_FLAGS | VM_SOFTDIRTY)) &&
	       b->vm_pgoff == a->vm_pgoff + ((b->vm_start - a->vm_start) >> PAGE_SHIFT);
}

/* reusable_anon_vma(): @old's anon_vma, when @a and @b fit and @old's chain
 * is its own alone. */
static struct anon_vma *reusable_anon_vma(const struct vm_area_struct *old,
					  const struct vm_area_struct *a,
					  const struct vm_area_struct *b)
{
	if (anon_vma_compatible(a, b) && old->anon_vma && list_is_singular(&old->anon_vma_chain))
		return old->anon_vma;
	return NULL;
}

struct anon_vma *find_mergeable_anon_vma(struct vm_area_struct *vma)
{
	struct vm_area_struct *next = vma_next(vma), *prev = vma_prev(vma);
	struct anon_vma *anon_vma = NULL;

	/* Try next first. */
	if (next)
		anon_vma = reusable_anon_vma(next, vma, next);
	/* Try prev next. */
	if (!anon_vma && prev)
		anon_vma = reusable_anon_vma(prev, prev, vma);
	return anon_vma;
}

/* ---- counters and protections ---- */

void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages)
{
	mm_track_dirty(mm);
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
	if (!(vm_flags & VM_EXEC) && mm->vm->pt->fmt->nx_bit && mm->vm->cfg->nxe)
		prot |= _PAGE_NX;
	return prot;
}
