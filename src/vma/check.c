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
 *     when the VMA allows some access), or is a swap entry naming a slot
 *     in use in an anonymous VMA; rss_stat equals the PTEs counted per
 *     kind -- a huge PMD counting as the PTEs of its pages, and lying in
 *     one private anonymous VMA (check_huge_pmd()) --, MM_SWAPENTS the swap
 *     entries;
 *   - each VMA's anon_vma chain is well formed, and each anonymous page
 *     it maps has an anon_vma on that chain and the VMA's linear index
 *     (the reverse map finds it: vma/rmap.h), a page of a huge page its
 *     folio's, whether a PMD or a PTE maps it;
 *   - the kernel half of the root is init_mm's.
 *
 * The cross-mm rule: every frame a user PTE maps (the zero page aside)
 * has _mapcount + 1 == the PTEs mapping it in all mms, and _refcount ==
 * those plus one per shared-memory object holding it, plus one for the
 * page cache or the swap cache, plus one per LRU batch slot holding it
 * (page_pins_collect()); a frame nothing maps any more is unmapped, and, if still a
 * user page, holds only the cache's or its object's reference.  A huge
 * page is checked whole: each of its pages is mapped by its PTEs plus
 * the PMDs that map the whole (counted at the head, in _entire_mapcount),
 * and the head's _refcount is every mapping of every page plus its LRU
 * batch slots; it is on the LRU as one folio (its head; tails never); the
 * huge zero page holds one reference per mm that took one, plus its own,
 * and is on no LRU list.  The same
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
 *
 * lru_check() is the LRU lists' checker: each list walked (bounded), its
 * pages' flags naming it, the sizes recounted per zone, every page
 * carrying PG_lru found on its list, nothing isolated between operations.
 */
#include "vma/mm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "util/error.h"
#include "vma/filemap.h"
#include "vma/memcontrol.h"
#include "vma/swap.h"
#include "vma/swapfile.h"
#include "vma/writeback.h"
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
	struct vm_ctx *vm = mm->vm;
	struct vm_area_struct *vma = c->vma;
	uint64_t pfn = (pte & vm->pt->fmt->entry_addr_mask) >> PAGE_SHIFT;
	struct page *page;

	if (!vma || va < vma->vm_start || va >= vma->vm_end) {
		vma = c->vma = find_vma(mm, va);
		if (!vma || vma->vm_start > va)
			return verr(c->err, -EFAULT, "mm: PTE %#" PRIx64 " at %#" PRIx64
				    " outside every VMA", pte, va);
	}
	if (is_swap_pte(pte)) {
		swp_entry_t entry = pte_to_swp_entry(vm->pt->fmt, pte);

		if (non_swap_entry(entry) || !get_swap_device(vm, entry, NULL) ||
		    !swap_swapcount(vm, entry))
			return verr(c->err, -EFAULT, "mm: PTE %#" PRIx64 " at %#" PRIx64
				    " is a swap entry of no slot in use", pte, va);
		if (!vma->anon_vma)
			return verr(c->err, -EFAULT, "mm: swap PTE at %#" PRIx64
				    " in a VMA without anonymous memory", va);
		c->rss[MM_SWAPENTS]++;
		return 0;
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
	if (!pfn_valid(vm->pm, (unsigned long)pfn))
		return verr(c->err, -EFAULT, "mm: PTE at %#" PRIx64 " maps pfn %#" PRIx64
			    " beyond RAM", va, pfn);
	page = pfn_to_page(vm->pm, (unsigned long)pfn);
	if (page == vm->zero_page) {
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
		vec_push(vm->ha, c->frames,
			 pfn << FRAME_SHIFT | (pte_locks(vma) ? FRAME_LOCKED : 0));
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
	struct vm_ctx *vm = mm->vm;
	const uint64_t va = addr & HPAGE_PMD_MASK(vm);
	struct u64vec *frames = c->frames;
	int ret;

	if ((ret = check_huge_pmd(mm, addr, epa, e, folio, c->err)))
		return ret;
	c->frames = NULL;
	for (uint64_t a = addr; a < next && !ret; a += PAGE_SIZE)
		ret = check_pte(c, a, epa, huge_pmd_pte(mm, e, folio, a - va));
	c->frames = frames;
	if (!ret && frames && !is_huge_zero_folio(vm, folio))
		vec_push(vm->ha, frames,
			 (uint64_t)page_to_pfn(vm->pm, folio) << FRAME_SHIFT | FRAME_PMD |
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
	const struct vm_ctx *vm = mm->vm;
	const struct pt_ctx *pt = vm->pt;
	unsigned n = pt_ptrs_per_table(pt->fmt, 0), esz = pt->fmt->entry_size;

	for (unsigned j = pt->kernel_pgd_boundary; j < n; j++)
		if (pt_read(pt, mm->pgd + (uint64_t)j * esz) !=
		    pt_read(pt, vm->kernel_pgd + (uint64_t)j * esz))
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
	c.nx = mm->vm->pt->fmt->nx_bit && mm->vm->cfg->nxe;
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
 * checks that it is).  Besides those, the page cache or the swap cache
 * holds one reference, and each LRU batch slot one (@pins).  A frame
 * nothing maps any more that is no longer a user page (freed, perhaps
 * reused) only has to be unmapped.  A user page is on its LRU list or in
 * a batch (check_page_lru()).
 */
static int check_frame(struct vm_ctx *vm, uint64_t pfn, const struct frame_count *fc,
		       bool full, const struct page_pins *pins, struct vmsim_error *err)
{
	struct page *page = pfn_to_page(vm->pm, (unsigned long)pfn);
	long file = page_file(page) ? 1 : 0, cache = file + PageSwapCache(page);
	long maps = fc->maps, objrefs = fc->objrefs, locked = fc->locked;
	bool shmem = test_page_flag(page, PG_swapbacked) && !PageAnon(page) && !file &&
		     !PageSwapCache(page);
	long other;
	const long stale = vm->pm->mlock_stale > 0 ? vm->pm->mlock_stale : 0;

	/* each locked mapping holds a lock; more only where mremap left them */
	if ((locked || PageMlocked(page)) &&
	    (!PageMlocked(page) || page->mlock_count < locked ||
	     page->mlock_count - locked > stale))
		return verr(err, -EFAULT, "mlock: frame %#" PRIx64 " is %sPG_mlocked with "
			    "mlock_count %u, but %ld VM_LOCKED mappings map it and mremap left %ld "
			    "locks", pfn, PageMlocked(page) ? "" : "not ", page->mlock_count, locked,
			    vm->pm->mlock_stale);

	if (fc->pmds)
		return verr(err, -EFAULT, "mm: a huge PMD maps frame %#" PRIx64 ", which heads no "
			    "huge page", pfn);
	if (!full)
		objrefs = shmem;
	else if (shmem != (objrefs > 0))
		return verr(err, -EFAULT, "mm: frame %#" PRIx64 ": %s, but %ld shared-memory "
			    "objects hold it", pfn, shmem ? "a shmem page" : "not a shmem page",
			    objrefs);
	if (!maps && !objrefs && !cache && !PageAnon(page)) {
		if (page_mapcount(page))
			return verr(err, -EFAULT, "mm: frame %#" PRIx64 ": mapcount %d, but no "
				    "mappings", pfn, page_mapcount(page));
		return 0;
	}
	other = objrefs + cache + page_pins(pins, page);
	if (page_mapcount(page) != maps || page_ref_count(page) != maps + other)
		return verr(err, -EFAULT, "mm: frame %#" PRIx64 ": mapcount %d refcount %d,"
			    " but %ld mappings and %ld other references", pfn,
			    page_mapcount(page), page_ref_count(page), maps, other);
	if (!page_ref_count(page))
		return 0;	/* an anonymous page all let go of: freed */
	return check_page_lru(vm, page, pins, err);
}

/* ---- the references the LRU batches hold ---- */

struct page_pins {
	uint64_t *pfns;		/* sorted, one per batch slot (a page is in one at most) */
	size_t n, cap;
	struct vm_ctx *vm;
	bool oom;
};

static void pin_note(void *arg, struct page *page, bool lru_add)
{
	struct page_pins *p = arg;

	(void)lru_add;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		uint64_t *v = host_realloc(p->vm->ha, p->pfns, p->cap * sizeof(*v),
					   cap * sizeof(*v));

		if (!v) {
			p->oom = true;
			return;
		}
		p->pfns = v;
		p->cap = cap;
	}
	p->pfns[p->n++] = page_to_pfn(p->vm->pm, page);
}

struct page_pins *page_pins_collect(struct vm_ctx *vm)
{
	struct page_pins *p = host_zalloc(vm->ha, sizeof(*p));

	if (!p)
		return NULL;
	p->vm = vm;
	lru_for_each_batched(vm, pin_note, p);
	for (unsigned i = 0; i < vm->wb_nr; i++)
		pin_note(p, vm->wb_queue[i], false);
	if (p->oom) {
		page_pins_free(p);
		return NULL;
	}
	if (p->n > 1)
		qsort(p->pfns, p->n, sizeof(p->pfns[0]), cmp_u64);
	return p;
}

unsigned page_pins(const struct page_pins *p, const struct page *page)
{
	uint64_t pfn = page_to_pfn(p->vm->pm, page);
	size_t lo = 0, hi = p->n;
	unsigned n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->pfns[mid] < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < p->n && p->pfns[lo] == pfn; lo++)
		n++;
	return n;
}

void page_pins_free(struct page_pins *p)
{
	struct host_arena *ha;

	if (!p)
		return;
	ha = p->vm->ha;
	host_free(ha, p->pfns, p->cap * sizeof(*p->pfns));
	host_free(ha, p, sizeof(*p));
}

/* ---- the LRU lists ---- */

int check_page_lru(struct vm_ctx *vm, struct page *page, const struct page_pins *pins,
		   struct vmsim_error *err)
{
	const unsigned long pfn = page_to_pfn(vm->pm, page);
	const unsigned pinned = pins ? page_pins(pins, page) : 0;
	struct lruvec *lruvec;
	enum lru_list lru;

	if (!vm->cpu_fbatches)
		return 0;
	if (PageActive(page) && PageUnevictable(page))
		return verr(err, -EFAULT, "lru: pfn %#lx is both active and unevictable", pfn);
	if (!PageLRU(page)) {
		/* in lru_add (on no list), or in a move batch (on its list
		 * with PG_lru taken), or nowhere: isolated, which nothing
		 * is between operations */
		if (!pinned)
			return verr(err, -EFAULT, "lru: user page pfn %#lx is on no LRU list and in "
				    "no batch", pfn);
		return 0;
	}
	lru = folio_lru_list(page);
	if (PageMlocked(page) != (lru == LRU_UNEVICTABLE))
		return verr(err, -EFAULT, "lru: pfn %#lx is %s but on the %s list", pfn,
			    PageMlocked(page) ? "mlocked" : "not mlocked", lru_list_name(lru));
	if (lru == LRU_UNEVICTABLE)
		return 0;	/* counted, on no list (lruvec_add_folio()) */
	lruvec = folio_lruvec(vm->pm, page);
	/* its neighbours on list @lru are pages of that list or its head,
	 * and link back: classified before anything behind them is read */
	for (int i = 0; i < 2; i++) {
		struct list_head *nb = i ? page->lru.prev : page->lru.next;
		struct page *q = nb == &lruvec->lists[lru] ? NULL : lru_link_page(vm->pm, nb);

		if (nb != &lruvec->lists[lru] && !q)
			return verr(err, -EFAULT, "lru: pfn %#lx on list %s: %s link points outside "
				    "mem_map and its list", pfn, lru_list_name(lru), i ? "prev" : "next");
		if (q && (folio_lru_list(q) != lru || folio_lruvec(vm->pm, q) != lruvec))
			return verr(err, -EFAULT, "lru: pfn %#lx on list %s is linked to pfn %#lx, "
				    "whose flags name %s%s", pfn, lru_list_name(lru),
				    page_to_pfn(vm->pm, q), lru_list_name(folio_lru_list(q)),
				    folio_lruvec(vm->pm, q) != lruvec ? " of another lruvec" : "");
		if ((i ? nb->next : nb->prev) != &page->lru)
			return verr(err, -EFAULT, "lru: pfn %#lx on list %s: its %s does not link back",
				    pfn, lru_list_name(lru), i ? "prev" : "next");
	}
	return 0;
}

/* One lruvec's lists against the pages' flags and the sizes it keeps;
 * @seen gets each page walked. */
static int check_lruvec(struct vm_ctx *vm, struct lruvec *lruvec, struct frame_map *seen,
			struct vmsim_error *err)
{
	unsigned long counted[MAX_NR_ZONES][NR_LRU_LISTS], size[NR_LRU_LISTS] = { 0 };
	enum lru_list lru;

	memset(counted, 0, sizeof(counted));
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		for (lru = 0; lru < NR_LRU_LISTS; lru++)
			size[lru] += lruvec->lru_zone_size[z][lru];
	for (lru = 0; lru < LRU_UNEVICTABLE; lru++) {
		struct list_head *head = &lruvec->lists[lru], *pos = head->next;
		unsigned long steps = 0;

		while (pos != head) {
			struct page *page = lru_link_page(vm->pm, pos);
			struct frame_count *fc;
			unsigned long pfn;

			/* a walk longer than the list's size is a cycle or a
			 * count gone wrong: either is reported below */
			if (!page || ++steps > size[lru] + 1)
				return verr(err, -EFAULT, "lru: list %s is broken, cyclic or longer than "
					    "its %lu pages", lru_list_name(lru), size[lru]);
			pfn = page_to_pfn(vm->pm, page);
			if (pos->next->prev != pos)
				return verr(err, -EFAULT, "lru: list %s is broken at pfn %#lx",
					    lru_list_name(lru), pfn);
			if (!(fc = frame_get(vm->ha, seen, pfn)))
				return verr(err, -ENOMEM, "out of host memory");
			if (fc->maps++)
				return verr(err, -EFAULT, "lru: pfn %#lx is on two lists", pfn);
			if (folio_lru_list(page) != lru)
				return verr(err, -EFAULT, "lru: pfn %#lx on list %s has the flags of %s",
					    pfn, lru_list_name(lru), lru_list_name(folio_lru_list(page)));
			if (folio_lruvec(vm->pm, page) != lruvec)
				return verr(err, -EFAULT, "lru: pfn %#lx is on another lruvec's list", pfn);
			if (PageBuddy(page) || page_ref_count(page) <= 0)
				return verr(err, -EFAULT, "lru: pfn %#lx on list %s is free", pfn,
					    lru_list_name(lru));
			if (PageTail(page))
				return verr(err, -EFAULT, "lru: pfn %#lx on list %s is a tail page",
					    pfn, lru_list_name(lru));
			counted[page_zonenum(page)][lru] += folio_nr_pages(page);
			pos = pos->next;
		}
	}
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		for (lru = 0; lru < LRU_UNEVICTABLE; lru++)
			if (counted[z][lru] != lruvec->lru_zone_size[z][lru])
				return verr(err, -EFAULT, "lru: node %d zone %u list %s holds %lu pages, "
					    "counted %lu", lruvec->pgdat->node_id, z, lru_list_name(lru),
					    counted[z][lru], lruvec->lru_zone_size[z][lru]);
	return 0;
}

/* The frames of @z whose struct pages were initialized: every one but
 * those of the deferred ranges (which are never read, so a large machine
 * costs what its initialized part does).  @fn stops the walk non-zero. */
static int for_each_initialized_pfn(struct phys_mem *pm, struct zone *z,
				    int (*fn)(struct page *page, void *arg), void *arg)
{
	unsigned long pfn = z->zone_start_pfn, end = z->zone_start_pfn + z->spanned_pages;

	while (pfn < end) {
		unsigned long stop = end;
		int ret;

		for (unsigned r = 0; r < z->nr_deferred; r++) {
			const struct deferred_range *d = &z->deferred[r];

			if (d->next_pfn >= d->end_pfn)
				continue;
			if (pfn >= d->next_pfn && pfn < d->end_pfn) {
				pfn = d->end_pfn;
				stop = 0;
				break;
			}
			if (d->next_pfn > pfn && d->next_pfn < stop)
				stop = d->next_pfn;
		}
		for (; pfn < stop && pfn < pm->max_pfn; pfn++)
			if ((ret = fn(&pm->mem_map[pfn], arg)))
				return ret;
		if (stop == end || pfn >= pm->max_pfn)
			break;
	}
	return 0;
}

struct lru_scan {
	struct vm_ctx *vm;
	struct frame_map *seen;		/* the pages on the lists */
	struct page_pins *pins;
	unsigned long unevictable[MAX_NUMNODES][MAX_NR_ZONES];
	unsigned long pfn;
	const char *why;
};

static int lru_scan_page(struct page *page, void *arg)
{
	struct lru_scan *ls = arg;
	struct phys_mem *pm = ls->vm->pm;
	unsigned long pfn = page_to_pfn(pm, page);
	const struct frame_map *fm = ls->seen;
	bool listed = false;

	if (!(page->flags & ((1ULL << PG_lru) | (1ULL << PG_active) | (1ULL << PG_unevictable))))
		return 0;
	if (fm->cap)
		for (size_t i = frame_hash(pfn + 1, fm->cap); fm->v[i].key; i = (i + 1) & (fm->cap - 1))
			if (fm->v[i].key == pfn + 1) {
				listed = true;
				break;
			}
	ls->pfn = pfn;
	if (PageLRU(page) && PageUnevictable(page)) {
		ls->unevictable[page_to_nid(page)][page_zonenum(page)] += folio_nr_pages(page);
		return 0;
	}
	if (PageLRU(page) && !listed) {
		ls->why = "has PG_lru but is on no list";
		return 1;
	}
	if (!PageLRU(page) && !listed && !page_pins(ls->pins, page)) {
		ls->why = "has LRU flags off every list and batch";
		return 1;
	}
	return 0;
}

/* The lruvecs of node @nid: the node's own (every page's without the
 * memory controller, none with it), then each cgroup's in
 * mem_cgroup_iter() order; NULL after the last. */
static struct lruvec *next_lruvec(struct vm_ctx *vm, unsigned nid, struct lruvec *prev,
				  struct mem_cgroup **pos)
{
	if (!prev) {
		*pos = NULL;
		return &vm->pm->node_data[nid].__lruvec;
	}
	if (!vm->memcg || !(*pos = mem_cgroup_iter(vm->memcg->root, *pos)))
		return NULL;
	return mem_cgroup_lruvec(vm, *pos, nid);
}

#define for_each_node_lruvec(vm, nid, lruvec, pos) \
	for ((lruvec) = next_lruvec(vm, nid, NULL, &(pos)); (lruvec); \
	     (lruvec) = next_lruvec(vm, nid, lruvec, &(pos)))

int lru_check(struct vm_ctx *vm, struct vmsim_error *err)
{
	struct mem_cgroup *pos;
	struct lruvec *lruvec;
	struct frame_map seen = { 0 };
	struct lru_scan ls = { .vm = vm, .seen = &seen };
	int ret = 0;

	if (!vm->cpu_fbatches)
		return 0;
	if (!(ls.pins = page_pins_collect(vm)))
		return verr(err, -ENOMEM, "out of host memory");
	for (size_t i = 1; i < ls.pins->n; i++)
		if (ls.pins->pfns[i] == ls.pins->pfns[i - 1]) {
			ret = verr(err, -EFAULT, "lru: pfn %#" PRIx64 " is in two LRU batches",
				   ls.pins->pfns[i]);
			goto out;
		}
	for (unsigned nid = 0; nid < vm->pm->nr_nodes; nid++) {
		struct pglist_data *pgdat = &vm->pm->node_data[nid];

		for_each_node_lruvec(vm, nid, lruvec, pos)
			if ((ret = check_lruvec(vm, lruvec, &seen, err)))
				goto out;
		if (node_page_state(pgdat, NR_ISOLATED_ANON) || node_page_state(pgdat, NR_ISOLATED_FILE)) {
			ret = verr(err, -EFAULT, "lru: node %u has pages isolated between operations", nid);
			goto out;
		}
	}
	/* every page with PG_lru was on its list (or is unevictable, which
	 * is only counted); no other page keeps list flags */
	for (unsigned nid = 0; nid < vm->pm->nr_nodes; nid++)
		for (unsigned z = 0; z < MAX_NR_ZONES; z++)
			if (for_each_initialized_pfn(vm->pm, &vm->pm->node_data[nid].node_zones[z],
						     lru_scan_page, &ls)) {
				ret = verr(err, -EFAULT, "lru: pfn %#lx %s", ls.pfn, ls.why);
				goto out;
			}
	for (unsigned nid = 0; nid < vm->pm->nr_nodes; nid++) {
		struct pglist_data *pgdat = &vm->pm->node_data[nid];
		long total[NR_LRU_LISTS] = { 0 };

		/* a cgroup's lruvec counts its own lists (lruvec_page_state()) */
		for_each_node_lruvec(vm, nid, lruvec, pos) {
			if (lruvec == &pgdat->__lruvec)
				continue;
			for (enum lru_list lru = 0; lru < NR_LRU_LISTS; lru++) {
				unsigned long sum = 0;

				for (unsigned z = 0; z < MAX_NR_ZONES; z++)
					sum += lruvec->lru_zone_size[z][lru];
				if (lruvec->vm_stat[NR_LRU_BASE + lru] != (long)sum) {
					ret = verr(err, -EFAULT, "lru: cgroup %u node %u %s is %ld, its "
						   "lists hold %lu", lruvec->memcg->id, nid,
						   node_stat_name((enum node_stat_item)(NR_LRU_BASE + lru)),
						   lruvec->vm_stat[NR_LRU_BASE + lru], sum);
					goto out;
				}
			}
		}
		for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &pgdat->node_zones[z];
			unsigned long size[NR_LRU_LISTS] = { 0 };

			for_each_node_lruvec(vm, nid, lruvec, pos)
				for (enum lru_list lru = 0; lru < NR_LRU_LISTS; lru++)
					size[lru] += lruvec->lru_zone_size[z][lru];
			if (size[LRU_UNEVICTABLE] != ls.unevictable[nid][z]) {
				ret = verr(err, -EFAULT, "lru: node %u zone %s counts %lu unevictable "
					   "pages, %lu are", nid, zone->name, size[LRU_UNEVICTABLE],
					   ls.unevictable[nid][z]);
				goto out;
			}
			for (enum lru_list lru = 0; lru < NR_LRU_LISTS; lru++) {
				if (zone->vm_stat[NR_ZONE_LRU_BASE + lru] != (long)size[lru]) {
					ret = verr(err, -EFAULT, "lru: zone %s %s: %ld, the lruvecs say %lu",
						   zone->name,
						   zone_stat_name((enum zone_stat_item)(NR_ZONE_LRU_BASE + lru)),
						   zone->vm_stat[NR_ZONE_LRU_BASE + lru], size[lru]);
					goto out;
				}
				total[lru] += zone->vm_stat[NR_ZONE_LRU_BASE + lru];
			}
		}
		for (enum lru_list lru = 0; lru < NR_LRU_LISTS; lru++)
			if (pgdat->vm_stat[NR_LRU_BASE + lru] != total[lru]) {
				ret = verr(err, -EFAULT, "lru: node %u %s is %ld, its zones hold %ld", nid,
					   node_stat_name((enum node_stat_item)(NR_LRU_BASE + lru)),
					   pgdat->vm_stat[NR_LRU_BASE + lru], total[lru]);
				goto out;
			}
	}
	if (writeback_pending(vm))
		ret = verr(err, -EFAULT, "writeback: %u writes pending between operations",
			   writeback_pending(vm));
out:
	frame_map_free(vm->ha, &seen);
	page_pins_free(ls.pins);
	return ret;
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
static int check_folio(struct vm_ctx *vm, struct page *head, const struct frame_map *fm,
		       const struct page_pins *pins, struct vmsim_error *err)
{
	const unsigned long hpfn = page_to_pfn(vm->pm, head), nr = 1UL << compound_order(head);
	const long pmds = frame_at(fm, hpfn).pmds;
	long refs = 0, locked = frame_at(fm, hpfn).pmds_locked, other;

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
	if (PageMlocked(head) && head->mlock_count > locked + (long)vm->thp.mlock_stale)
		return verr(err, -EFAULT, "mlock: huge page at %#lx has mlock_count %u, but %ld "
			    "VM_LOCKED mappings map it and mremap left %lu locks on huge pages", hpfn,
			    head->mlock_count, locked, vm->thp.mlock_stale);
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
	other = (PageSwapCache(head) ? (long)nr : 0) + (pins ? page_pins(pins, head) : 0);
	if (folio_entire_mapcount(head) != pmds || page_ref_count(head) != refs + pmds + other)
		return verr(err, -EFAULT, "mm: huge page at %#lx: %d PMD mappings and refcount %d,"
			    " but %ld PMD and %ld PTE mappings and %ld other references", hpfn,
			    folio_entire_mapcount(head), page_ref_count(head), pmds, refs, other);
	for (unsigned long k = 1; k < nr; k++)
		if (head[k].flags & ((1ULL << PG_lru) | (1ULL << PG_active) | (1ULL << PG_unevictable)))
			return verr(err, -EFAULT, "lru: frame %#lx, a tail page, has LRU flags",
				    hpfn + k);
	return check_page_lru(vm, head, pins, err);
}

/*
 * The rule over the frames @pfns names (sorted or not, repeats allowed;
 * emptied): each page once, a huge page once as a whole, whichever of its
 * pages were named.
 */
static int check_frames(struct vm_ctx *vm, struct u64vec *pfns, const struct frame_map *fm,
			bool full, const struct page_pins *pins, struct vmsim_error *err)
{
	int ret = 0;

	for (size_t i = 0; i < pfns->n; i++) {
		struct page *page = pfn_to_page(vm->pm, (unsigned long)pfns->v[i]);

		if (PageCompound(page))
			pfns->v[i] = page_to_pfn(vm->pm, compound_head(page));
	}
	vec_sort(pfns);
	for (size_t i = 0; i < pfns->n && !ret; i++) {
		struct page *page = pfn_to_page(vm->pm, (unsigned long)pfns->v[i]);

		if (i && pfns->v[i] == pfns->v[i - 1])
			continue;
		if (PageHead(page))
			ret = check_folio(vm, page, fm, pins, err);
		else {
			const struct frame_count fc = frame_at(fm, pfns->v[i]);

			ret = check_frame(vm, pfns->v[i], &fc, full, pins, err);
		}
	}
	vec_free(vm->ha, pfns);
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
	struct vm_ctx *vm;
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
	struct host_arena *ha = t->vm->ha;
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
		struct mm_rec **v = host_realloc(t->vm->ha, t->dirty, t->capdirty * sizeof(*v),
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
	struct mm_track *t = mm->vm->mm_track;
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
	struct mm_track *t = mm->vm->mm_track;
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
		rec_free(t->vm->ha, r);
		t->lost = true;
	}
}

void mm_track_note_user(struct mm_struct *mm)
{
	struct mm_track *t = mm->vm->mm_track;
	struct mm_rec *r = t ? rec_find(t, mm) : NULL;

	if (r && r->dirty)
		r->users++;
}

bool mm_track_lost(const struct vm_ctx *vm)
{
	return vm->mm_track && vm->mm_track->lost;
}

int mm_track_start(struct vm_ctx *vm)
{
	struct mm_track *t;

	if (vm->mm_track)
		return 0;
	t = host_zalloc(vm->ha, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->vm = vm;
	t->lost = true;		/* nothing recorded yet: the first check is full */
	vm->mm_track = t;
	return 0;
}

/* Drop every record (and the counts) of @t. */
static void track_reset(struct mm_track *t)
{
	struct host_arena *ha = t->vm->ha;

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

void mm_track_stop(struct vm_ctx *vm)
{
	struct mm_track *t = vm->mm_track;

	if (!t)
		return;
	track_reset(t);
	host_free(vm->ha, t->buckets, t->nbuckets * sizeof(*t->buckets));
	host_free(vm->ha, t->dirty, t->capdirty * sizeof(*t->dirty));
	host_free(vm->ha, t, sizeof(*t));
	vm->mm_track = NULL;
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
	struct host_arena *ha = t->vm->ha;
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

int check_mms_tracked(struct vm_ctx *vm, struct vmsim_error *err)
{
	struct mm_track *t = vm->mm_track;
	struct host_arena *ha = vm->ha;
	struct u64vec touched = { 0 };
	struct page_pins *pins = NULL;
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
	if (!ret && touched.n && !(pins = page_pins_collect(vm)))
		ret = verr(err, -ENOMEM, "out of host memory");
	if (!ret)
		ret = check_frames(vm, &touched, &t->counts, false, pins, err);
	page_pins_free(pins);
	vec_free(ha, &touched);
	if (!ret)
		ret = check_huge_zero_page(vm, t->huge_zero_refs, false, err);
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
static int count_object(struct vm_ctx *vm, struct frame_map *fm, struct u64vec *seen,
			const struct shmem_object *obj)
{
	for (size_t i = 0; i < seen->n; i++)
		if (seen->v[i] == (uintptr_t)obj)
			return 0;
	vec_push(vm->ha, seen, (uintptr_t)obj);
	for (unsigned long i = 0; i < obj->nr_pages; i++) {
		struct frame_count *fc;

		if (!shmem_slot_page(obj->pages[i]))
			continue;
		fc = frame_get(vm->ha, fm, page_to_pfn(vm->pm, obj->pages[i]));
		if (!fc)
			return -ENOMEM;
		fc->objrefs++;
	}
	return seen->oom ? -ENOMEM : 0;
}

int check_mms(struct vm_ctx *vm, struct mm_struct *const *mms, const int *users, size_t n,
	      struct vmsim_error *err)
{
	struct mm_track *t = vm->mm_track;
	struct host_arena *ha = vm->ha;
	struct frame_map fm = { 0 };
	struct u64vec objs = { 0 };
	struct mm_track fresh = { .vm = vm };
	struct page_pins *pins = NULL;
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
					locks += !PageCompound(pfn_to_page(vm->pm, (unsigned long)
									   FRAME_PFN(now.v[j])));
				}
			}
		}
		huge_zero_refs += (mm->flags & (1UL << MMF_HUGE_ZERO_PAGE)) != 0;
		for_each_vma(mm, vma)
			if (!ret && vma->shm && count_object(vm, &fm, &objs, vma->shm))
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
	if (!ret && !(pins = page_pins_collect(vm)))
		ret = verr(err, -ENOMEM, "out of host memory");
	for (size_t i = 0; i < fm.cap && !ret; i++)
		if (fm.v[i].key)
			vec_push(ha, &keys, fm.v[i].key - 1);
	if (!ret && keys.oom)
		ret = verr(err, -ENOMEM, "out of host memory");
	if (!ret)
		ret = check_frames(vm, &keys, &fm, true, pins, err);
	vec_free(ha, &keys);
	page_pins_free(pins);
	if (!ret)
		ret = check_huge_zero_page(vm, huge_zero_refs, true, err);
	/* every lock is a locked mapping's or one mremap left, on pages no VMA
	 * maps any more too; without those (the usual case) each frame's count
	 * was exact above, and the zones' checker finds unmapped mlocked pages
	 * (huge pages, whose counts may fall short, are left out of both) */
	if (!ret && vm->pm->mlock_stale &&
	    (long)((held = mlock_count_sum(vm->pm)) - locks) != vm->pm->mlock_stale)
		ret = verr(err, -EFAULT, "mlock: the mlock_counts of all PG_mlocked pages sum to %lu,"
			   " VM_LOCKED mappings make %lu and mremap left %ld", held, locks,
			   vm->pm->mlock_stale);
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
