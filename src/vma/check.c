/*
 * check_mm(): the consistency checker of one address space, run after
 * every scenario step under --check and after every operation in the
 * randomized tests.
 *
 * It verifies, independently of the code that maintains them:
 *   - the red-black tree is valid and holds exactly the VMAs of the list,
 *     in the same order; VMAs are page aligned, non-empty, disjoint, below
 *     task_size, and point back at their mm; every rb_subtree_gap is the
 *     largest gap below a VMA of that subtree, recomputed from the list;
 *   - total_vm, data_vm, exec_vm, stack_vm, locked_vm and map_count equal
 *     the sums over the VMAs (locked_vm plus what mremap(MREMAP_DONTUNMAP)
 *     left counted, locked_vm_dontunmap); VM_LOCKONFAULT comes only with
 *     VM_LOCKED, and special mappings (VM_SPECIAL) are never locked;
 *   - a VMA of shared anonymous memory is on its object's i_mmap, which
 *     holds one entry per user of the object;
 *   - every non-zero user PTE lies in a VMA, grants no more than the VMA
 *     (RW only with VM_WRITE, executable only with VM_EXEC, present only
 *     when the VMA allows some access), and rss_stat equals the PTEs
 *     counted per kind.
 * Frame refcounts against all mappings of all tasks, and PG_mlocked and
 * mlock_count against the VM_LOCKED mappings (mlock_census_check()), are
 * checked one level up (task_check_all() in kern/task.c), where every mm
 * is known.
 */
#include "vma/mm.h"

#include <errno.h>
#include <inttypes.h>

#include "kern/machine.h"
#include "util/error.h"
#include "vma/filemap.h"

struct pte_check {
	struct mm_struct *mm;
	struct vm_area_struct *vma;	/* the VMA the last PTE was in */
	long rss[NR_MM_COUNTERS];
	struct vmsim_error *err;
	bool nx;
};

static int check_pte(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct pte_check *c = arg;
	struct mm_struct *mm = c->mm;
	struct vmsim_machine *m = mm->m;
	struct vm_area_struct *vma = c->vma;
	uint64_t pfn = (pte & m->pt.fmt->entry_addr_mask) >> PAGE_SHIFT;
	struct page *page;

	if (!vma || va < vma->vm_start || va >= vma->vm_end) {
		vma = c->vma = find_vma(mm, va);
		if (!vma || vma->vm_start > va)
			return verr(c->err, -EFAULT, "mm: PTE %#" PRIx64 " at %#" PRIx64
				    " outside every VMA", pte, va);
	}
	if (!(pte & _PAGE_PRESENT)) {
		if (!(pte & _PAGE_PROTNONE))
			return verr(c->err, -EFAULT, "mm: non-present PTE %#" PRIx64 " at %#" PRIx64
				    " that is not PROT_NONE", pte, va);
		if (vma->vm_flags & VM_ACCESS_FLAGS)
			return verr(c->err, -EFAULT, "mm: PROT_NONE PTE at %#" PRIx64
				    " in an accessible VMA", va);
	} else {
		if (!(vma->vm_flags & VM_ACCESS_FLAGS))
			return verr(c->err, -EFAULT, "mm: present PTE at %#" PRIx64
				    " in a PROT_NONE VMA", va);
		if ((pte & _PAGE_RW) && !(vma->vm_flags & VM_WRITE))
			return verr(c->err, -EFAULT, "mm: writable PTE at %#" PRIx64
				    " in a VMA without VM_WRITE", va);
		if (c->nx && !(pte & _PAGE_NX) && !(vma->vm_flags & VM_EXEC))
			return verr(c->err, -EFAULT, "mm: executable PTE at %#" PRIx64
				    " in a VMA without VM_EXEC", va);
		if (!(pte & _PAGE_USER))
			return verr(c->err, -EFAULT, "mm: user PTE at %#" PRIx64 " without U/S", va);
	}
	if (!pfn_valid(&m->pm, (unsigned long)pfn))
		return verr(c->err, -EFAULT, "mm: PTE at %#" PRIx64 " maps pfn %#" PRIx64
			    " beyond RAM", va, pfn);
	page = pfn_to_page(&m->pm, (unsigned long)pfn);
	if (page == m->zero_page) {
		if ((pte & _PAGE_RW) || (vma->vm_flags & VM_SHARED))
			return verr(c->err, -EFAULT, "mm: zero page mapped %s at %#" PRIx64,
				    pte & _PAGE_RW ? "writable" : "in a shared VMA", va);
		return 0;
	}
	if (PageBuddy(page) || page_ref_count(page) <= 0)
		return verr(c->err, -EFAULT, "mm: PTE at %#" PRIx64 " maps free frame %#" PRIx64,
			    va, pfn);
	if (PageAnon(page))
		c->rss[MM_ANONPAGES]++;
	else if (test_page_flag(page, PG_swapbacked))
		c->rss[MM_SHMEMPAGES]++;
	else
		c->rss[MM_FILEPAGES]++;
	(void)epa;
	return 0;
}

/* Every VMA's rb_subtree_gap under @n is the largest gap below a VMA of
 * its subtree, recomputed from the list: *max gets @n's.  0 or -EFAULT. */
static int check_subtree_gaps(const struct rb_node *n, uint64_t *max, struct vmsim_error *err)
{
	const struct vm_area_struct *vma;
	uint64_t l = 0, r = 0, want;
	int ret;

	*max = 0;
	if (!n)
		return 0;
	if ((ret = check_subtree_gaps(n->rb_left, &l, err)) ||
	    (ret = check_subtree_gaps(n->rb_right, &r, err)))
		return ret;
	vma = rb_entry(n, struct vm_area_struct, vm_rb);
	want = vma_compute_gap(vma);
	if (l > want)
		want = l;
	if (r > want)
		want = r;
	if (vma->rb_subtree_gap != want)
		return verr(err, -EFAULT, "mm: VMA %#" PRIx64 "-%#" PRIx64 " caches a subtree gap "
			    "of %#" PRIx64 ", its subtree has %#" PRIx64, vma->vm_start, vma->vm_end,
			    vma->rb_subtree_gap, want);
	*max = want;
	return 0;
}

int check_mm(struct mm_struct *mm, struct vmsim_error *err)
{
	unsigned long total = 0, data = 0, exec = 0, stack = 0, locked = 0;
	struct pte_check c = { .mm = mm, .err = err };
	struct vm_area_struct *vma, *prev = NULL;
	struct rb_node *rb;
	char msg[160];
	uint64_t gap;
	long n;
	int count = 0;

	n = rb_check(&mm->mm_rb, msg, sizeof(msg));
	if (n < 0)
		return verr(err, -EFAULT, "mm: VMA tree: %s", msg);
	rb = rb_first(&mm->mm_rb);
	for_each_vma(mm, vma) {
		if (!rb || rb_entry(rb, struct vm_area_struct, vm_rb) != vma)
			return verr(err, -EFAULT, "mm: VMA %#" PRIx64 "-%#" PRIx64
				    " is on the list but not at that place in the tree",
				    vma->vm_start, vma->vm_end);
		rb = rb_next(rb);
		if (vma->vm_mm != mm)
			return verr(err, -EFAULT, "mm: VMA %#" PRIx64 " belongs to another mm",
				    vma->vm_start);
		if ((vma->vm_start | vma->vm_end) & ~PAGE_MASK || vma->vm_start >= vma->vm_end ||
		    vma->vm_end > mm->task_size)
			return verr(err, -EFAULT, "mm: bad VMA bounds %#" PRIx64 "-%#" PRIx64,
				    vma->vm_start, vma->vm_end);
		if (prev && prev->vm_end > vma->vm_start)
			return verr(err, -EFAULT, "mm: VMAs %#" PRIx64 "-%#" PRIx64 " and %#" PRIx64
				    "-%#" PRIx64 " overlap or are out of order", prev->vm_start,
				    prev->vm_end, vma->vm_start, vma->vm_end);
		if (((vma->vm_flags & VM_LOCKONFAULT) && !(vma->vm_flags & VM_LOCKED)) ||
		    ((vma->vm_flags & VM_LOCKED) && (vma->vm_flags & VM_SPECIAL)))
			return verr(err, -EFAULT, "mm: VMA %#" PRIx64 " has lock flags %#lx with "
				    "flags %#lx", vma->vm_start, vma->vm_flags & VM_LOCKED_MASK,
				    vma->vm_flags);
		if (vma->shm && (!i_mmap_contains(vma) ||
				 vma->shm->i_mmap_count != vma->shm->refcount))
			return verr(err, -EFAULT, "mm: shared VMA %#" PRIx64 " missing from its object's"
				    " i_mmap (%lu entries, %lu users)", vma->vm_start,
				    vma->shm->i_mmap_count, vma->shm->refcount);
		unsigned long np = vma_pages(vma), f = vma->vm_flags;
		total += np;
		if ((f & (VM_EXEC | VM_WRITE | VM_STACK)) == VM_EXEC)
			exec += np;
		else if (f & VM_STACK)
			stack += np;
		else if ((f & (VM_WRITE | VM_SHARED | VM_STACK)) == VM_WRITE)
			data += np;
		if (f & VM_LOCKED)
			locked += np;
		prev = vma;
		count++;
	}
	if (rb)
		return verr(err, -EFAULT, "mm: the tree holds VMAs the list does not");
	if (n != count || count != mm->map_count)
		return verr(err, -EFAULT, "mm: map_count %d, list %d, tree %ld", mm->map_count,
			    count, n);
	if (check_subtree_gaps(mm->mm_rb.rb_node, &gap, err))
		return -EFAULT;
	if (total != mm->total_vm || data != mm->data_vm || exec != mm->exec_vm ||
	    stack != mm->stack_vm || locked + mm->locked_vm_dontunmap != mm->locked_vm)
		return verr(err, -EFAULT, "mm: counters total/data/exec/stack/locked %lu/%lu/%lu/%lu/%lu,"
			    " VMAs say %lu/%lu/%lu/%lu/%lu", mm->total_vm, mm->data_vm, mm->exec_vm,
			    mm->stack_vm, mm->locked_vm, total, data, exec, stack,
			    locked + mm->locked_vm_dontunmap);
	if (mm->hiwater_vm < mm->total_vm)
		return verr(err, -EFAULT, "mm: hiwater_vm %lu below total_vm %lu", mm->hiwater_vm,
			    mm->total_vm);
	c.nx = mm->m->pt.fmt->nx_bit && mm->m->cfg.nxe;
	if (walk_pte_range(mm, 0, mm->task_size, check_pte, &c))
		return -EFAULT;
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		if (c.rss[i] != mm->rss_stat[i])
			return verr(err, -EFAULT, "mm: rss counter %d is %ld, the page tables map %ld",
				    i, mm->rss_stat[i], c.rss[i]);
	return 0;
}
