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
 *     left counted, locked_vm_dontunmap);
 *   - a VMA of shared anonymous memory is on its object's i_mmap, which
 *     holds one entry per user of the object;
 *   - every non-zero user PTE lies in a VMA, grants no more than the VMA
 *     (RW only with VM_WRITE, executable only with VM_EXEC, present only
 *     when the VMA allows some access), or is a swap entry naming a slot
 *     in use in an anonymous VMA; rss_stat equals the PTEs counted per
 *     kind, MM_SWAPENTS the swap entries.
 * Frame refcounts against all mappings of all tasks are checked one level
 * up (task_check_all() in kern/task.c), where every mm is known; the
 * references other than mappings come from page_census() here.
 *
 * lru_check() is the LRU lists' checker: each list walked (bounded), its
 * pages' flags naming it, the sizes recounted per zone, every page
 * carrying PG_lru found on its list, every page a PTE maps on a list or
 * in an lru_add batch, nothing isolated between operations.
 */
#include "vma/mm.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "kern/machine.h"
#include "util/error.h"
#include "vma/filemap.h"
#include "vma/swap.h"
#include "vma/swapfile.h"
#include "vma/writeback.h"

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
	if (is_swap_pte(pte)) {
		swp_entry_t entry = pte_to_swp_entry(m->pt.fmt, pte);

		if (non_swap_entry(entry) || !get_swap_device(m, entry, NULL) ||
		    !swap_swapcount(m, entry))
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

/* ---- the references that are not mappings ---- */

struct census_batch {
	void (*fn)(void *arg, struct page *page);
	void *arg;
};

static void census_batched(void *arg, struct page *page, bool lru_add)
{
	struct census_batch *cb = arg;

	(void)lru_add;
	cb->fn(cb->arg, page);
}

void page_census(struct vmsim_machine *m, void (*fn)(void *arg, struct page *page), void *arg)
{
	struct census_batch cb = { fn, arg };
	struct page_cache *pc = m->page_cache;

	if (pc) {
		struct file *f;

		list_for_each_entry(f, &pc->files, f_list) {
			struct page *page;
			uint64_t index;

			xa_for_each(&f->f_mapping.i_pages, index, page)
				if (!xa_is_value(page))
					fn(arg, page);
		}
	}
	for (unsigned t = 0; m->swap && t < MAX_SWAPFILES; t++) {
		struct swap_info_struct *si = m->swap->swap_info[t];
		struct page *page;
		uint64_t index;

		if (!si)
			continue;
		xa_for_each(&si->swap_cache, index, page)
			if (!xa_is_value(page))
				fn(arg, page);
	}
	for (unsigned i = 0; i < m->wb_nr; i++)
		fn(arg, m->wb_queue[i]);
	lru_for_each_batched(m, census_batched, &cb);
}

/* ---- the LRU lists ---- */

struct lru_census {
	struct vmsim_machine *m;
	uint8_t *where;		/* per pfn: 0 nowhere, 1 on a list, 2 lru_add batch, 3 move batch */
	const char *err;
	unsigned long pfn;
};

static void note_batched(void *arg, struct page *page, bool lru_add)
{
	struct lru_census *lc = arg;
	unsigned long pfn = page_to_pfn(&lc->m->pm, page);

	if (lc->where[pfn] == 2 || lc->where[pfn] == 3) {
		lc->err = "is in two LRU batches";
		lc->pfn = pfn;
	}
	lc->where[pfn] = lru_add ? 2 : 3;
}

/* One lruvec's lists against the pages' flags and the sizes it keeps. */
static int check_lruvec(struct lru_census *lc, struct lruvec *lruvec, struct vmsim_error *err)
{
	struct vmsim_machine *m = lc->m;
	unsigned long counted[MAX_NR_ZONES][NR_LRU_LISTS];
	enum lru_list lru;

	memset(counted, 0, sizeof(counted));
	for (lru = 0; lru < LRU_UNEVICTABLE; lru++) {
		struct list_head *head = &lruvec->lists[lru], *pos = head->next;
		unsigned long steps = 0;

		while (pos != head) {
			struct page *page = list_entry(pos, struct page, lru);
			unsigned long pfn;

			if (pos < &m->pm.mem_map[0].lru || pos > &m->pm.mem_map[m->pm.max_pfn - 1].lru ||
			    ++steps > m->pm.max_pfn)
				return verr(err, -EFAULT, "lru: list %s is broken or cyclic",
					    lru_list_name(lru));
			pfn = page_to_pfn(&m->pm, page);
			if (pos->next->prev != pos)
				return verr(err, -EFAULT, "lru: list %s is broken at pfn %#lx",
					    lru_list_name(lru), pfn);
			if (lc->where[pfn] == 1 || lc->where[pfn] == 2)
				return verr(err, -EFAULT, "lru: pfn %#lx is on two lists (or a list and "
					    "the lru_add batch)", pfn);
			if (!PageLRU(page) && lc->where[pfn] != 3)
				return verr(err, -EFAULT, "lru: pfn %#lx is on list %s without PG_lru "
					    "and in no batch", pfn, lru_list_name(lru));
			if (folio_lru_list(page) != lru)
				return verr(err, -EFAULT, "lru: pfn %#lx on list %s has the flags of %s",
					    pfn, lru_list_name(lru), lru_list_name(folio_lru_list(page)));
			if (folio_lruvec(&m->pm, page) != lruvec)
				return verr(err, -EFAULT, "lru: pfn %#lx is on another lruvec's list", pfn);
			if (PageBuddy(page) || page_ref_count(page) <= 0)
				return verr(err, -EFAULT, "lru: pfn %#lx on list %s is free", pfn,
					    lru_list_name(lru));
			lc->where[pfn] = 1;
			counted[page_zonenum(page)][lru]++;
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

int lru_check(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct lru_census lc = { .m = m };
	unsigned long unevictable[MAX_NUMNODES][MAX_NR_ZONES];
	int ret = 0;

	if (!m->cpu_fbatches)
		return 0;
	lc.where = host_zalloc(&m->ha, m->pm.max_pfn);
	if (!lc.where)
		return verr(err, -ENOMEM, "out of host memory");
	memset(unevictable, 0, sizeof(unevictable));
	lru_for_each_batched(m, note_batched, &lc);
	if (lc.err) {
		ret = verr(err, -EFAULT, "lru: pfn %#lx %s", lc.pfn, lc.err);
		goto out;
	}
	for (unsigned nid = 0; nid < m->pm.nr_nodes; nid++) {
		struct pglist_data *pgdat = &m->pm.node_data[nid];

		if ((ret = check_lruvec(&lc, &pgdat->__lruvec, err)))
			goto out;
		if (node_page_state(pgdat, NR_ISOLATED_ANON) || node_page_state(pgdat, NR_ISOLATED_FILE)) {
			ret = verr(err, -EFAULT, "lru: node %u has pages isolated between operations", nid);
			goto out;
		}
	}
	/* every page with PG_lru was on its list (or is unevictable, which
	 * is only counted); no other page keeps list flags */
	for (unsigned long pfn = 0; pfn < m->pm.max_pfn; pfn++) {
		struct page *page = &m->pm.mem_map[pfn];

		if (PageLRU(page) && PageUnevictable(page)) {
			unevictable[page_to_nid(page)][page_zonenum(page)]++;
			continue;
		}
		if (PageLRU(page) && lc.where[pfn] != 1) {
			ret = verr(err, -EFAULT, "lru: pfn %#lx has PG_lru but is on no list", pfn);
			goto out;
		}
		if (!PageLRU(page) && lc.where[pfn] == 0 &&
		    (page->flags & ((1ULL << PG_active) | (1ULL << PG_unevictable)))) {
			ret = verr(err, -EFAULT, "lru: pfn %#lx has LRU flags off every list", pfn);
			goto out;
		}
	}
	for (unsigned nid = 0; nid < m->pm.nr_nodes; nid++) {
		struct pglist_data *pgdat = &m->pm.node_data[nid];
		long total[NR_LRU_LISTS] = { 0 };

		for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &pgdat->node_zones[z];

			if (pgdat->__lruvec.lru_zone_size[z][LRU_UNEVICTABLE] != unevictable[nid][z]) {
				ret = verr(err, -EFAULT, "lru: node %u zone %s counts %lu unevictable "
					   "pages, %lu are", nid, zone->name,
					   pgdat->__lruvec.lru_zone_size[z][LRU_UNEVICTABLE],
					   unevictable[nid][z]);
				goto out;
			}
			for (enum lru_list lru = 0; lru < NR_LRU_LISTS; lru++) {
				if (zone->vm_stat[NR_ZONE_LRU_BASE + lru] !=
				    (long)pgdat->__lruvec.lru_zone_size[z][lru]) {
					ret = verr(err, -EFAULT, "lru: zone %s %s: %ld, the lruvec says %lu",
						   zone->name, zone_stat_name[NR_ZONE_LRU_BASE + lru],
						   zone->vm_stat[NR_ZONE_LRU_BASE + lru],
						   pgdat->__lruvec.lru_zone_size[z][lru]);
					goto out;
				}
				total[lru] += zone->vm_stat[NR_ZONE_LRU_BASE + lru];
			}
		}
		for (enum lru_list lru = 0; lru < NR_LRU_LISTS; lru++)
			if (pgdat->vm_stat[NR_LRU_BASE + lru] != total[lru]) {
				ret = verr(err, -EFAULT, "lru: node %u %s is %ld, its zones hold %ld", nid,
					   node_stat_name[NR_LRU_BASE + lru],
					   pgdat->vm_stat[NR_LRU_BASE + lru], total[lru]);
				goto out;
			}
	}
	if (writeback_pending(m))
		ret = verr(err, -EFAULT, "writeback: %u writes pending between operations",
			   writeback_pending(m));
out:
	host_free(&m->ha, lc.where, m->pm.max_pfn);
	return ret;
}
