/*
 * check_mm(): the consistency checker of one address space, run after
 * every scenario step under --check and after every operation in the
 * randomized tests; and the cross-mm rule that a frame's counts are its
 * mappings, checked over every mm (check_mms) or, incrementally, over the
 * mms a step changed (check_mms_tracked).
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
 *     counted per kind -- a huge PMD counting as the PTEs of its pages,
 *     and lying in one private anonymous VMA (check_huge_pmd());
 *   - each VMA's anon_vma chain is well formed, and each anonymous page
 *     it maps has an anon_vma on that chain and the VMA's linear index
 *     (the reverse map finds it: vma/rmap.h), a page of a huge page its
 *     folio's, whether a PMD or a PTE maps it;
 *   - the kernel half of the root is init_mm's.
 *
 * The cross-mm rule: every frame a user PTE maps (the zero page aside)
 * has _mapcount + 1 == the PTEs mapping it in all mms, and _refcount ==
 * those plus one per shared-memory object holding it plus one for the
 * page cache; a frame nothing maps any more is unmapped, and, if still a
 * user page, holds only the cache's or its object's reference.  A huge
 * page is checked whole: each of its pages is mapped by its PTEs plus
 * the PMDs that map the whole (counted at the head, in _entire_mapcount),
 * and the head's _refcount is every mapping of every page; the huge zero
 * page holds one reference per mm that took one, plus its own.  The same
 * counts give the mlock rule: a frame VM_LOCKED VMAs map is PG_mlocked
 * with an mlock_count of at least those mappings; what the counts hold
 * beyond them, on all frames together, is the locks mremap's DONTUNMAP
 * left (phys_mem.mlock_stale: none, unless it ran, and then each count is
 * exact).  A huge page's lock follows the kernel's events, which leave its
 * count short where a PMD is split or some of its pages unmapped in a
 * locked VMA ("reclaim will fix it"): it is held only to the zones' rules
 * and to no more locks than its locked mappings (check_folio()).  The full
 * pass counts every mm's PTEs and huge PMDs.  The incremental pass keeps,
 * per mm, the sorted frames its PTEs and huge PMDs mapped at the last
 * check (each marked when a locked VMA maps it) and, per frame, the sums
 * over all mms (the shadow counts): after a step it re-walks only the mms
 * marked dirty (mm_track_dirty(), called by every path that changes an
 * mm) and the mms that went away, moves the shadow counts by the
 * difference, and checks the rules on every frame those mms map or
 * mapped (the mlock sum over all frames only in the full pass).  Every
 * full pass also compares each clean mm with its record: a difference is
 * a change no path marked.
 *
 * The anon_vma rule (anon_vma_check(), vma/rmap.c): every anon_vma's tree
 * and its counters against the chains of all VMAs of all mms.  Only the
 * full pass checks it: an anon_vma's VMAs may lie in mms no step marked;
 * the incremental pass still checks the chains and the pages' rmap of
 * every marked mm (check_mm()).
 */
#include "vma/mm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kern/machine.h"
#include "util/error.h"
#include "vma/filemap.h"
#include "vma/rmap.h"

/* A growable array of u64 (frames). */
struct u64vec {
	uint64_t *v;
	size_t n, cap;
	bool oom;
};

static void vec_push(struct host_arena *ha, struct u64vec *a, uint64_t x)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 64;
		uint64_t *v = host_realloc(ha, a->v, a->cap * sizeof(*v), cap * sizeof(*v));

		if (!v) {
			a->oom = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = x;
}

static void vec_free(struct host_arena *ha, struct u64vec *a)
{
	host_free(ha, a->v, a->cap * sizeof(*a->v));
	*a = (struct u64vec){ 0 };
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void vec_sort(struct u64vec *a)
{
	if (a->n > 1)
		qsort(a->v, a->n, sizeof(a->v[0]), cmp_u64);
}

/* A mapping of a frame, as the frame lists hold it: pfn << FRAME_SHIFT,
 * FRAME_PMD for a huge PMD (of the huge page the frame heads) rather than a
 * PTE, FRAME_LOCKED when it lies in a VMA whose mappings hold locks
 * (pte_locks()). */
#define FRAME_PMD 1
#define FRAME_LOCKED 2
#define FRAME_SHIFT 2
#define FRAME_PFN(x) ((x) >> FRAME_SHIFT)

struct pte_check {
	struct mm_struct *mm;
	struct vm_area_struct *vma;	/* the VMA the last PTE was in */
	long rss[NR_MM_COUNTERS];
	struct vmsim_error *err;
	struct u64vec *frames;		/* NULL, or gets each mapping (FRAME_PMD) */
	bool nx;
};

/* Do @vma's mappings hold locks on what they map (mlock_vma_page()'s
 * rule: a VM_LOCKED VMA that is not special)?  A page of a huge page is
 * counted towards its folio's rule (check_folio()), not a page's. */
static inline bool pte_locks(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & (VM_LOCKED | VM_SPECIAL)) == VM_LOCKED;
}

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
	/* a page of a huge page: the head holds the references */
	if (PageBuddy(page) || page_ref_count(compound_head(page)) <= 0)
		return verr(c->err, -EFAULT, "mm: PTE at %#" PRIx64 " maps free frame %#" PRIx64,
			    va, pfn);
	if (c->frames)
		vec_push(&m->ha, c->frames, pfn << FRAME_SHIFT | (pte_locks(vma) ? FRAME_LOCKED : 0));
	if (PageAnon(page)) {
		if (check_vma_rmap(vma, page, va, c->err))
			return -EFAULT;
		c->rss[MM_ANONPAGES]++;
	} else if (test_page_flag(page, PG_swapbacked))
		c->rss[MM_SHMEMPAGES]++;
	else
		c->rss[MM_FILEPAGES]++;
	(void)epa;
	return 0;
}

/* A huge PMD (a look-only walk also shows a corrupted one with the page
 * its deposited table records): its own rules (check_huge_pmd()), the
 * rules of each PTE it stands for (rights, rss), and one PMD mapping of
 * the huge page for the frame rule. */
static int check_pmd(void *arg, uint64_t addr, uint64_t next, uint64_t epa, uint64_t e,
		     struct page *folio)
{
	struct pte_check *c = arg;
	struct mm_struct *mm = c->mm;
	struct vmsim_machine *m = mm->m;
	const uint64_t va = addr & HPAGE_PMD_MASK(m);
	struct u64vec *frames = c->frames;
	int ret;

	if ((ret = check_huge_pmd(mm, addr, epa, e, folio, c->err)))
		return ret;
	c->frames = NULL;
	for (uint64_t a = addr; a < next && !ret; a += PAGE_SIZE)
		ret = check_pte(c, a, epa, huge_pmd_pte(mm, e, folio, a - va));
	c->frames = frames;
	if (!ret && frames && !is_huge_zero_folio(m, folio))
		vec_push(&m->ha, frames, (uint64_t)page_to_pfn(&m->pm, folio) << FRAME_SHIFT | FRAME_PMD |
			 (pte_locks(c->vma) ? FRAME_LOCKED : 0));
	return ret;
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

/* The first root entry of @mm's kernel half that is not init_mm's, or -1. */
static long kernel_half_differs(const struct mm_struct *mm)
{
	const struct vmsim_machine *m = mm->m;
	const struct pt_ctx *pt = &m->pt;
	unsigned n = pt_ptrs_per_table(pt->fmt, 0), esz = pt->fmt->entry_size;

	for (unsigned j = pt->kernel_pgd_boundary; j < n; j++)
		if (pt_read(pt, mm->pgd + (uint64_t)j * esz) !=
		    pt_read(pt, m->kernel_pgd + (uint64_t)j * esz))
			return j;
	return -1;
}

/* check_mm(), handing each frame the PTEs map to @frames (may be NULL). */
static int check_mm_frames(struct mm_struct *mm, struct u64vec *frames, struct vmsim_error *err)
{
	unsigned long total = 0, data = 0, exec = 0, stack = 0, locked = 0;
	struct pte_check c = { .mm = mm, .err = err, .frames = frames };
	const struct mm_walk_ops ops = { .pte_entry = check_pte, .pmd_entry = check_pmd };
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
		if (check_vma_rmap(vma, NULL, 0, err))
			return -EFAULT;
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
	if ((n = kernel_half_differs(mm)) >= 0)
		return verr(err, -EFAULT, "mm: root entry %ld differs from init_mm's kernel half", n);
	c.nx = mm->m->pt.fmt->nx_bit && mm->m->cfg.nxe;
	if (walk_page_range_ro(mm, 0, mm->task_size, &ops, &c))
		return -EFAULT;
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		if (c.rss[i] != mm->rss_stat[i])
			return verr(err, -EFAULT, "mm: rss counter %d is %ld, the page tables map %ld",
				    i, mm->rss_stat[i], c.rss[i]);
	if (frames && frames->oom)
		return verr(err, -ENOMEM, "out of host memory");
	return 0;
}

int check_mm(struct mm_struct *mm, struct vmsim_error *err)
{
	return check_mm_frames(mm, NULL, err);
}

/* ---- frame counts: maps and object references per frame ---- */

/* Open addressing on pfn + 1 (0: empty slot), linear probing.  Entries
 * whose counts fall to zero stay: the next full pass starts afresh. */
struct frame_count {
	uint64_t key;
	int32_t maps;		/* PTEs mapping the frame, all mms */
	int32_t pmds;		/* huge PMDs mapping the huge page it heads */
	int32_t objrefs;	/* shared-memory objects holding it (full pass) */
	int32_t locked;		/* of @maps, those of VM_LOCKED VMAs */
	int32_t pmds_locked;	/* of @pmds, those of VM_LOCKED VMAs */
};

struct frame_map {
	struct frame_count *v;
	size_t cap, n;		/* cap: 0 or a power of two */
};

static inline size_t frame_hash(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

/* The entry of @pfn, made if missing; NULL when out of host memory. */
static struct frame_count *frame_get(struct host_arena *ha, struct frame_map *fm, uint64_t pfn)
{
	uint64_t key = pfn + 1;
	size_t i;

	if (2 * (fm->n + 1) > fm->cap) {
		size_t cap = fm->cap ? 2 * fm->cap : 1024;
		struct frame_count *v = host_zalloc(ha, cap * sizeof(*v));

		if (!v)
			return NULL;
		for (size_t j = 0; j < fm->cap; j++) {
			if (!fm->v[j].key)
				continue;
			for (i = frame_hash(fm->v[j].key, cap); v[i].key; i = (i + 1) & (cap - 1))
				;
			v[i] = fm->v[j];
		}
		host_free(ha, fm->v, fm->cap * sizeof(*fm->v));
		fm->v = v;
		fm->cap = cap;
	}
	for (i = frame_hash(key, fm->cap); fm->v[i].key; i = (i + 1) & (fm->cap - 1))
		if (fm->v[i].key == key)
			return &fm->v[i];
	fm->v[i].key = key;
	fm->n++;
	return &fm->v[i];
}

/* The counts of @pfn: zeroes when the map has none. */
static struct frame_count frame_at(const struct frame_map *fm, uint64_t pfn)
{
	const struct frame_count none = { 0 };

	if (!fm->cap)
		return none;
	for (size_t i = frame_hash(pfn + 1, fm->cap); fm->v[i].key; i = (i + 1) & (fm->cap - 1))
		if (fm->v[i].key == pfn + 1)
			return fm->v[i];
	return none;
}

static void frame_map_free(struct host_arena *ha, struct frame_map *fm)
{
	host_free(ha, fm->v, fm->cap * sizeof(*fm->v));
	*fm = (struct frame_map){ 0 };
}

/*
 * The rules for one frame, given the PTEs mapping it (@fc->maps, @fc->locked
 * of them in VM_LOCKED VMAs) and, in the full pass, the shared-memory
 * objects holding it (@fc->objrefs; @full false in the incremental pass,
 * where a shmem page is taken as held by one object and the full pass
 * checks that it is).  A frame nothing maps any more that is no longer a
 * user page (freed, perhaps reused) only has to be unmapped.
 */
static int check_frame(struct vmsim_machine *m, uint64_t pfn, const struct frame_count *fc,
		       bool full, struct vmsim_error *err)
{
	struct page *page = pfn_to_page(&m->pm, (unsigned long)pfn);
	long file = page_file(page) ? 1 : 0, maps = fc->maps, objrefs = fc->objrefs;
	long locked = fc->locked;
	bool shmem = test_page_flag(page, PG_swapbacked) && !PageAnon(page) && !file;
	const long stale = m->pm.mlock_stale > 0 ? m->pm.mlock_stale : 0;

	/* each locked mapping holds a lock; more only where mremap left them */
	if ((locked || PageMlocked(page)) &&
	    (!PageMlocked(page) || page->mlock_count < locked ||
	     page->mlock_count - locked > stale))
		return verr(err, -EFAULT, "mlock: frame %#" PRIx64 " is %sPG_mlocked with "
			    "mlock_count %u, but %ld VM_LOCKED mappings map it and mremap left %ld "
			    "locks", pfn, PageMlocked(page) ? "" : "not ", page->mlock_count, locked,
			    m->pm.mlock_stale);

	if (fc->pmds)
		return verr(err, -EFAULT, "mm: a huge PMD maps frame %#" PRIx64 ", which heads no "
			    "huge page", pfn);
	if (!full)
		objrefs = shmem;
	else if (shmem != (objrefs > 0))
		return verr(err, -EFAULT, "mm: frame %#" PRIx64 ": %s, but %ld shared-memory "
			    "objects hold it", pfn, shmem ? "a shmem page" : "not a shmem page",
			    objrefs);
	if (!maps && !objrefs && !file && !PageAnon(page)) {
		if (page_mapcount(page))
			return verr(err, -EFAULT, "mm: frame %#" PRIx64 ": mapcount %d, but no "
				    "mappings", pfn, page_mapcount(page));
		return 0;
	}
	if (page_mapcount(page) != maps || page_ref_count(page) != maps + objrefs + file)
		return verr(err, -EFAULT, "mm: frame %#" PRIx64 ": mapcount %d refcount %d,"
			    " but %ld mappings and %ld other references", pfn,
			    page_mapcount(page), page_ref_count(page), maps, objrefs + file);
	return 0;
}

/*
 * The rule for the compound page headed by @head, counted in @fm: each of
 * its pages is mapped by the PTEs counted for it plus the PMDs counted at
 * the head (a PMD naming a tail page is wrong), _entire_mapcount is those
 * PMDs, and the head's _refcount is every mapping of every page -- no
 * object or cache holds a huge page.  One that nothing maps any more and
 * that is no user page (a kernel allocation reusing the frames) only has
 * to be unmapped.
 */
static int check_folio(struct vmsim_machine *m, struct page *head, const struct frame_map *fm,
		       struct vmsim_error *err)
{
	const unsigned long hpfn = page_to_pfn(&m->pm, head), nr = 1UL << compound_order(head);
	const long pmds = frame_at(fm, hpfn).pmds;
	long refs = 0, locked = frame_at(fm, hpfn).pmds_locked;

	for (unsigned long k = 0; k < nr; k++) {
		const struct frame_count fc = frame_at(fm, hpfn + k);

		if (k && fc.pmds)
			return verr(err, -EFAULT, "mm: a huge PMD maps frame %#lx, a tail page",
				    hpfn + k);
		if (fc.objrefs)
			return verr(err, -EFAULT, "mm: frame %#lx of the huge page at %#lx is held by "
				    "a shared-memory object", hpfn + k, hpfn);
		if (k && PageMlocked(head + k))
			return verr(err, -EFAULT, "mlock: frame %#lx, a tail page, is PG_mlocked",
				    hpfn + k);
		refs += fc.maps;
		locked += fc.locked;
	}
	/* each lock came with a mapping of a locked VMA, and each such
	 * mapping that goes takes one (munlock_vma_folio()): never more locks
	 * than locked mappings, but for those mremap's DONTUNMAP left */
	if (PageMlocked(head) && head->mlock_count > locked + (long)m->thp.mlock_stale)
		return verr(err, -EFAULT, "mlock: huge page at %#lx has mlock_count %u, but %ld "
			    "VM_LOCKED mappings map it and mremap left %lu locks on huge pages", hpfn,
			    head->mlock_count, locked, m->thp.mlock_stale);
	if (!refs && !pmds && !PageAnon(head)) {
		for (unsigned long k = 0; k < nr; k++)
			if (head[k]._mapcount != -1)
				return verr(err, -EFAULT, "mm: frame %#lx: mapcount %d, but no mappings",
					    hpfn + k, head[k]._mapcount + 1);
		return 0;
	}
	for (unsigned long k = 0; k < nr; k++)
		if (page_mapcount(head + k) != frame_at(fm, hpfn + k).maps + pmds)
			return verr(err, -EFAULT, "mm: frame %#lx of the huge page at %#lx: mapcount "
				    "%d, but %d PTE and %ld PMD mappings", hpfn + k, hpfn,
				    page_mapcount(head + k), frame_at(fm, hpfn + k).maps, pmds);
	if (folio_entire_mapcount(head) != pmds || page_ref_count(head) != refs + pmds)
		return verr(err, -EFAULT, "mm: huge page at %#lx: %d PMD mappings and refcount %d,"
			    " but %ld PMD and %ld PTE mappings", hpfn, folio_entire_mapcount(head),
			    page_ref_count(head), pmds, refs);
	return 0;
}

/*
 * The rule over the frames @pfns names (sorted or not, repeats allowed;
 * emptied): each page once, a huge page once as a whole, whichever of its
 * pages were named.
 */
static int check_frames(struct vmsim_machine *m, struct u64vec *pfns, const struct frame_map *fm,
			bool full, struct vmsim_error *err)
{
	int ret = 0;

	for (size_t i = 0; i < pfns->n; i++) {
		struct page *page = pfn_to_page(&m->pm, (unsigned long)pfns->v[i]);

		if (PageCompound(page))
			pfns->v[i] = page_to_pfn(&m->pm, compound_head(page));
	}
	vec_sort(pfns);
	for (size_t i = 0; i < pfns->n && !ret; i++) {
		struct page *page = pfn_to_page(&m->pm, (unsigned long)pfns->v[i]);

		if (i && pfns->v[i] == pfns->v[i - 1])
			continue;
		if (PageHead(page))
			ret = check_folio(m, page, fm, err);
		else {
			const struct frame_count fc = frame_at(fm, pfns->v[i]);

			ret = check_frame(m, pfns->v[i], &fc, full, err);
		}
	}
	vec_free(&m->ha, pfns);
	return ret;
}

/* ---- per-mm records and the dirty set ---- */

struct mm_rec {
	struct mm_struct *mm;		/* NULL once the mm is gone */
	struct mm_rec *next;		/* hash chain */
	uint64_t *frames;		/* sorted: each mapping, FRAME_* (with
					 * repeats), zero page left out */
	size_t n;
	uint64_t sig;			/* mm_sig() at the last check */
	int users;			/* tasks seen using it in this pass */
	bool dirty;			/* on the dirty list */
	bool huge_zero;			/* it held a huge zero page reference */
};

struct mm_track {
	struct vmsim_machine *m;
	struct mm_rec **buckets;	/* by mm address */
	size_t nbuckets, nrecs;
	struct mm_rec **dirty;		/* marked since the last check (gone ones too) */
	size_t ndirty, capdirty;
	struct mm_struct *last;		/* the mm marked last: a repeat costs a compare */
	struct frame_map counts;	/* the shadow: maps per frame, all mms */
	long huge_zero_refs;		/* the records with huge_zero */
	bool lost;			/* something could not be recorded */
};

static inline size_t mm_hash(const struct mm_struct *mm, size_t n)
{
	return (size_t)(((uintptr_t)mm >> 6) * 0x9e3779b97f4a7c15ULL >> 20) & (n - 1);
}

/* A digest of what check_mm() verifies about @mm besides the PTEs: the
 * VMAs and the counters.  Equal digests are taken as "unchanged". */
static uint64_t mm_sig(const struct mm_struct *mm)
{
	const struct vm_area_struct *vma;
	uint64_t h = 0xcbf29ce484222325ULL;

#define MIX(x) (h = (h ^ (uint64_t)(x)) * 0x100000001b3ULL)
	for_each_vma(mm, vma) {
		MIX(vma->vm_start);
		MIX(vma->vm_end);
		MIX(vma->rb_subtree_gap);
		MIX(vma->vm_flags);
		MIX(vma->vm_pgoff);
		MIX(vma->vm_page_prot);
		MIX((uintptr_t)vma->vm_file);
		MIX((uintptr_t)vma->shm);
		MIX((uintptr_t)vma->anon_vma);
	}
	MIX(mm->map_count);
	MIX(mm->total_vm);
	MIX(mm->data_vm);
	MIX(mm->exec_vm);
	MIX(mm->stack_vm);
	MIX(mm->locked_vm);
	MIX(mm->locked_vm_dontunmap);
	MIX(mm->hiwater_vm);
	MIX(mm->mm_users);
	MIX(mm->flags);
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		MIX(mm->rss_stat[i]);
#undef MIX
	return h;
}

static struct mm_rec *rec_find(struct mm_track *t, const struct mm_struct *mm)
{
	struct mm_rec *r;

	if (!t->nbuckets)
		return NULL;
	for (r = t->buckets[mm_hash(mm, t->nbuckets)]; r; r = r->next)
		if (r->mm == mm)
			return r;
	return NULL;
}

static void rec_free(struct host_arena *ha, struct mm_rec *r)
{
	host_free(ha, r->frames, r->n * sizeof(r->frames[0]));
	host_free(ha, r, sizeof(*r));
}

/* Hash a new record of @mm in; NULL when out of host memory. */
static struct mm_rec *rec_add(struct mm_track *t, struct mm_struct *mm)
{
	struct host_arena *ha = &t->m->ha;
	struct mm_rec *r;
	size_t b;

	if (t->nrecs >= t->nbuckets) {
		size_t nb = t->nbuckets ? 2 * t->nbuckets : 64;
		struct mm_rec **nv = host_zalloc(ha, nb * sizeof(*nv));

		if (!nv)
			return NULL;
		for (size_t i = 0; i < t->nbuckets; i++)
			while (t->buckets[i]) {
				struct mm_rec *x = t->buckets[i];

				t->buckets[i] = x->next;
				b = mm_hash(x->mm, nb);
				x->next = nv[b];
				nv[b] = x;
			}
		host_free(ha, t->buckets, t->nbuckets * sizeof(*t->buckets));
		t->buckets = nv;
		t->nbuckets = nb;
	}
	r = host_zalloc(ha, sizeof(*r));
	if (!r)
		return NULL;
	r->mm = mm;
	b = mm_hash(mm, t->nbuckets);
	r->next = t->buckets[b];
	t->buckets[b] = r;
	t->nrecs++;
	return r;
}

static void rec_unhash(struct mm_track *t, struct mm_rec *r)
{
	struct mm_rec **pp = &t->buckets[mm_hash(r->mm, t->nbuckets)];

	while (*pp != r)
		pp = &(*pp)->next;
	*pp = r->next;
	r->next = NULL;
	t->nrecs--;
}

static bool push_dirty(struct mm_track *t, struct mm_rec *r)
{
	if (t->ndirty == t->capdirty) {
		size_t cap = t->capdirty ? 2 * t->capdirty : 16;
		struct mm_rec **v = host_realloc(&t->m->ha, t->dirty, t->capdirty * sizeof(*v),
						 cap * sizeof(*v));

		if (!v)
			return false;
		t->dirty = v;
		t->capdirty = cap;
	}
	t->dirty[t->ndirty++] = r;
	r->dirty = true;
	return true;
}

void mm_track_dirty(struct mm_struct *mm)
{
	struct mm_track *t = mm->m->mm_track;
	struct mm_rec *r;

	if (!t || t->last == mm)
		return;
	r = rec_find(t, mm);
	if (!r)
		r = rec_add(t, mm);
	if (!r || (!r->dirty && !push_dirty(t, r))) {
		t->lost = true;
		return;
	}
	t->last = mm;
}

void mm_track_release(struct mm_struct *mm)
{
	struct mm_track *t = mm->m->mm_track;
	struct mm_rec *r;

	if (!t)
		return;
	if (t->last == mm)
		t->last = NULL;	/* the next mm at this address is another */
	r = rec_find(t, mm);
	if (!r)
		return;
	rec_unhash(t, r);
	r->mm = NULL;		/* its frames leave the counts at the next check */
	if (!r->dirty && !push_dirty(t, r)) {
		rec_free(&t->m->ha, r);
		t->lost = true;
	}
}

void mm_track_note_user(struct mm_struct *mm)
{
	struct mm_track *t = mm->m->mm_track;
	struct mm_rec *r = t ? rec_find(t, mm) : NULL;

	if (r && r->dirty)
		r->users++;
}

bool mm_track_lost(const struct vmsim_machine *m)
{
	return m->mm_track && m->mm_track->lost;
}

int mm_track_start(struct vmsim_machine *m)
{
	struct mm_track *t;

	if (m->mm_track)
		return 0;
	t = host_zalloc(&m->ha, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->m = m;
	t->lost = true;		/* nothing recorded yet: the first check is full */
	m->mm_track = t;
	return 0;
}

/* Drop every record (and the counts) of @t. */
static void track_reset(struct mm_track *t)
{
	struct host_arena *ha = &t->m->ha;

	for (size_t i = 0; i < t->ndirty; i++)
		if (!t->dirty[i]->mm)
			rec_free(ha, t->dirty[i]);	/* gone: in no bucket */
	for (size_t i = 0; i < t->nbuckets; i++)
		while (t->buckets[i]) {
			struct mm_rec *r = t->buckets[i];

			t->buckets[i] = r->next;
			rec_free(ha, r);
		}
	t->nrecs = 0;
	t->ndirty = 0;
	t->last = NULL;
	frame_map_free(ha, &t->counts);
}

void mm_track_stop(struct vmsim_machine *m)
{
	struct mm_track *t = m->mm_track;

	if (!t)
		return;
	track_reset(t);
	host_free(&m->ha, t->buckets, t->nbuckets * sizeof(*t->buckets));
	host_free(&m->ha, t->dirty, t->capdirty * sizeof(*t->dirty));
	host_free(&m->ha, t, sizeof(*t));
	m->mm_track = NULL;
}

/* ---- the incremental pass ---- */

/* Give @r the frames of @now (sorted), which it takes over. */
static int rec_take(struct host_arena *ha, struct mm_rec *r, struct u64vec *now)
{
	uint64_t *v = NULL;

	/* exactly n entries: the record is freed by its size */
	if (now->n) {
		v = host_realloc(ha, now->v, now->cap * sizeof(now->v[0]), now->n * sizeof(now->v[0]));
		if (!v)
			return -ENOMEM;
	} else {
		vec_free(ha, now);
	}
	host_free(ha, r->frames, r->n * sizeof(r->frames[0]));
	r->frames = v;
	r->n = now->n;
	*now = (struct u64vec){ 0 };
	return 0;
}

/*
 * Move @r from its recorded frames to @now (sorted; taken over), moving
 * the counts by the difference and adding every frame of either to
 * @touched.
 */
static int rec_update(struct mm_track *t, struct mm_rec *r, struct u64vec *now,
		      struct u64vec *touched)
{
	struct host_arena *ha = &t->m->ha;
	size_t i = 0, j = 0;

	while (i < r->n || j < now->n) {
		uint64_t x = j == now->n || (i < r->n && r->frames[i] < now->v[j]) ? r->frames[i]
										    : now->v[j];
		long delta = 0;
		struct frame_count *fc;

		for (; i < r->n && r->frames[i] == x; i++)
			delta--;
		for (; j < now->n && now->v[j] == x; j++)
			delta++;
		vec_push(ha, touched, FRAME_PFN(x));
		if (!delta)
			continue;
		fc = frame_get(ha, &t->counts, FRAME_PFN(x));
		if (!fc)
			return -ENOMEM;
		if (x & FRAME_PMD) {
			fc->pmds += (int32_t)delta;
			if (x & FRAME_LOCKED)
				fc->pmds_locked += (int32_t)delta;
		} else {
			fc->maps += (int32_t)delta;
			if (x & FRAME_LOCKED)
				fc->locked += (int32_t)delta;
		}
	}
	if (touched->oom)
		return -ENOMEM;
	return rec_take(ha, r, now);
}

int check_mms_tracked(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct mm_track *t = m->mm_track;
	struct host_arena *ha = &m->ha;
	struct u64vec touched = { 0 };
	int ret = 0;

	for (size_t i = 0; i < t->ndirty && !ret; i++) {
		struct mm_rec *r = t->dirty[i];
		struct u64vec now = { 0 };
		const bool huge_zero = r->mm && (r->mm->flags & (1UL << MMF_HUGE_ZERO_PAGE));

		t->huge_zero_refs += (long)huge_zero - (long)r->huge_zero;
		r->huge_zero = huge_zero;
		if (r->mm) {
			struct mm_struct *mm = r->mm;

			if (r->users != mm->mm_users)
				ret = verr(err, -EFAULT, "mm of root %#" PRIx64 ": mm_users %d, %d tasks "
					   "use it", mm->pgd, mm->mm_users, r->users);
			if (!ret)
				ret = check_mm_frames(mm, &now, err);
			if (!ret) {
				vec_sort(&now);
				r->sig = mm_sig(mm);
			}
		}
		if (!ret && (ret = rec_update(t, r, &now, &touched)) == -ENOMEM)
			verr(err, -ENOMEM, "out of host memory");
		vec_free(ha, &now);
	}
	if (!ret)
		ret = check_frames(m, &touched, &t->counts, false, err);
	vec_free(ha, &touched);
	if (!ret)
		ret = check_huge_zero_page(m, t->huge_zero_refs, false, err);
	/* a failed pass leaves records half moved: the next one starts afresh */
	if (ret)
		t->lost = true;
	for (size_t i = 0; i < t->ndirty; i++) {
		struct mm_rec *r = t->dirty[i];

		r->dirty = false;
		r->users = 0;
		if (!r->mm)
			rec_free(ha, r);
	}
	t->ndirty = 0;
	t->last = NULL;
	return ret;
}

/* ---- the full pass ---- */

/* Count @obj's pages once (@seen: the objects counted so far). */
static int count_object(struct vmsim_machine *m, struct frame_map *fm, struct u64vec *seen,
			const struct shmem_object *obj)
{
	for (size_t i = 0; i < seen->n; i++)
		if (seen->v[i] == (uintptr_t)obj)
			return 0;
	vec_push(&m->ha, seen, (uintptr_t)obj);
	for (unsigned long i = 0; i < obj->nr_pages; i++) {
		struct frame_count *fc;

		if (!obj->pages[i])
			continue;
		fc = frame_get(&m->ha, fm, page_to_pfn(&m->pm, obj->pages[i]));
		if (!fc)
			return -ENOMEM;
		fc->objrefs++;
	}
	return seen->oom ? -ENOMEM : 0;
}

int check_mms(struct vmsim_machine *m, struct mm_struct *const *mms, const int *users, size_t n,
	      struct vmsim_error *err)
{
	struct mm_track *t = m->mm_track;
	struct host_arena *ha = &m->ha;
	struct frame_map fm = { 0 };
	struct u64vec objs = { 0 };
	struct mm_track fresh = { .m = m };
	struct u64vec keys = { 0 };
	long huge_zero_refs = 0;
	unsigned long locks = 0, held;
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		struct mm_struct *mm = mms[i];
		struct u64vec now = { 0 };
		struct vm_area_struct *vma;
		struct mm_rec *r, *old;

		if (users[i] != mm->mm_users) {
			ret = verr(err, -EFAULT, "mm of root %#" PRIx64 ": mm_users %d, %d tasks use it",
				   mm->pgd, mm->mm_users, users[i]);
			break;
		}
		ret = check_mm_frames(mm, &now, err);
		for (size_t j = 0; j < now.n && !ret; j++) {
			struct frame_count *fc = frame_get(ha, &fm, FRAME_PFN(now.v[j]));

			if (!fc) {
				ret = verr(err, -ENOMEM, "out of host memory");
			} else if (now.v[j] & FRAME_PMD) {
				fc->pmds++;
				fc->pmds_locked += (now.v[j] & FRAME_LOCKED) != 0;
			} else {
				fc->maps++;
				if (now.v[j] & FRAME_LOCKED) {
					fc->locked++;
					/* the exact sum is of small pages' locks */
					locks += !PageCompound(pfn_to_page(&m->pm, (unsigned long)
									   FRAME_PFN(now.v[j])));
				}
			}
		}
		huge_zero_refs += (mm->flags & (1UL << MMF_HUGE_ZERO_PAGE)) != 0;
		for_each_vma(mm, vma)
			if (!ret && vma->shm && count_object(m, &fm, &objs, vma->shm))
				ret = verr(err, -ENOMEM, "out of host memory");
		vec_sort(&now);
		/* a clean mm must look as it did at the last check */
		old = t && !t->lost ? rec_find(t, mm) : NULL;
		if (!ret && t && !t->lost && !(old && old->dirty) &&
		    (!old || old->sig != mm_sig(mm) || old->n != now.n ||
		     (now.n && memcmp(old->frames, now.v, now.n * sizeof(now.v[0])))))
			ret = verr(err, -EFAULT, "mm of root %#" PRIx64 " changed since the last check "
				   "without being marked for it (an untracked change)", mm->pgd);
		if (!ret && t) {
			r = rec_add(&fresh, mm);
			if (!r || rec_take(ha, r, &now))
				ret = verr(err, -ENOMEM, "out of host memory");
			else {
				r->sig = mm_sig(mm);
				r->huge_zero = (mm->flags & (1UL << MMF_HUGE_ZERO_PAGE)) != 0;
			}
		}
		vec_free(ha, &now);
	}
	/* the anon_vmas, whose VMAs may lie in any of the mms */
	if (!ret)
		ret = anon_vma_check(mms, n, err);
	for (size_t i = 0; i < fm.cap && !ret; i++)
		if (fm.v[i].key)
			vec_push(ha, &keys, fm.v[i].key - 1);
	if (!ret && keys.oom)
		ret = verr(err, -ENOMEM, "out of host memory");
	if (!ret)
		ret = check_frames(m, &keys, &fm, true, err);
	vec_free(ha, &keys);
	if (!ret)
		ret = check_huge_zero_page(m, huge_zero_refs, true, err);
	/* every lock is a locked mapping's or one mremap left, on pages no VMA
	 * maps any more too; without those (the usual case) each frame's count
	 * was exact above, and the zones' checker finds unmapped mlocked pages
	 * (huge pages, whose counts may fall short, are left out of both) */
	if (!ret && m->pm.mlock_stale &&
	    (long)((held = mlock_count_sum(&m->pm)) - locks) != m->pm.mlock_stale)
		ret = verr(err, -EFAULT, "mlock: the mlock_counts of all PG_mlocked pages sum to %lu,"
			   " VM_LOCKED mappings make %lu and mremap left %ld", held, locks,
			   m->pm.mlock_stale);
	vec_free(ha, &objs);
	if (t) {
		/* the records of this pass replace the old ones */
		track_reset(t);
		host_free(ha, t->buckets, t->nbuckets * sizeof(*t->buckets));
		t->buckets = fresh.buckets;
		t->nbuckets = fresh.nbuckets;
		t->nrecs = fresh.nrecs;
		frame_map_free(ha, &fresh.counts);
		t->counts = fm;
		t->huge_zero_refs = huge_zero_refs;
		t->lost = ret != 0;
		fm = (struct frame_map){ 0 };
	} else {
		track_reset(&fresh);
		host_free(ha, fresh.buckets, fresh.nbuckets * sizeof(*fresh.buckets));
	}
	frame_map_free(ha, &fm);
	return ret;
}
