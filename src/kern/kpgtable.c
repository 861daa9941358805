/*
 * The kernel's page tables (see kpgtable.h): at boot the CPUs' MMUs are
 * set up first, then init_mm's root is filled the way Linux's
 * init_memory_mapping() / split_mem_range() fill it, then every CPU loads
 * it into CR3; after boot the kernel PTE helpers edit it, and
 * arch_sync_kernel_mappings() carries a new root entry into every copy of
 * the kernel half.
 *
 * Invariants: after boot __va(pa) translates to pa in kernel mode for
 * every lowmem pa, and the user half of the kernel root is empty.  Every
 * root on pgd_list (and every task's root and every CPU's CR3) holds the
 * same kernel-half root entries as init_mm's root once a helper here
 * returns, so a kernel mapping made once is visible from every address
 * space, as arch_sync_kernel_mappings() guarantees in Linux.  x86_64 never
 * needs a copy after boot (the vmalloc PUDs are preallocated here and the
 * fixmap shares the kernel image's top entry), so the sync finds nothing
 * to do.
 */
#include "kern/kpgtable.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "kern/task.h"
#include "mmu/mmu.h"
#include "util/error.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* tlb_single_page_flush_ceiling: above this many pages, flush everything */
#define FLUSH_CEILING 33

static int build_kernel_tables(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct pt_ctx *pt = &m->pt;
	const struct vmsim_config *c = &m->cfg;
	uint64_t root;
	int ret;

	ret = pt_alloc_table(pt, GFP_PGTABLE_KERNEL, &root);
	if (ret)
		return verr(err, ret, "no memory for the kernel page directory");
	m->vm.kernel_pgd = root;
	m->kernel_pgd_page = pfn_to_page(&m->pm, (unsigned long)(root >> PAGE_SHIFT));

	if (config_is_64(c)) {
		/* direct map: gbpages on (direct_gbpages, CPUs with pdpe1gb) */
		ret = pt_map_range(pt, root, c->page_offset, 0, c->mem_size, __PAGE_KERNEL_LARGE,
				   _KERNPG_TABLE, 30);
		if (ret)
			goto fail;
		/* kernel image: level2_kernel_pgt maps physical 0 at
		 * __START_KERNEL_map with 2 MiB pages; cleanup_highmap() keeps
		 * [_text, roundup(_brk_end, PMD_SIZE)) */
		uint64_t start = c->kernel_start & ~(2 * MiB - 1);
		uint64_t end = (c->kernel_start + c->kernel_size + 2 * MiB - 1) & ~(2 * MiB - 1);

		if (end > c->mem_size)
			end = c->mem_size & ~(2 * MiB - 1);
		if (end > start) {
			ret = pt_map_range(pt, root, c->kernel_map + start, start, end - start,
					   __PAGE_KERNEL_LARGE_EXEC, _KERNPG_TABLE, 21);
			if (ret)
				goto fail;
		}
		/* preallocate_vmalloc_pages(): every root entry of the vmalloc
		 * range points at a PUD table from boot on, so processes that
		 * copied the kernel half see later vmalloc mappings */
		if (c->vmalloc_end > c->vmalloc_start) {
			uint64_t span = pt_entry_span(pt->fmt, 0), epa;

			for (uint64_t va = c->vmalloc_start & ~(span - 1);
			     va < c->vmalloc_end && va >= (c->vmalloc_start & ~(span - 1)); va += span) {
				ret = pt_alloc_entry(pt, root, va, 1, _KERNPG_TABLE, &epa);
				if (ret)
					goto fail;
			}
		}
	} else {
		/* lowmem: PMD-sized pages where aligned (4 MiB with CR4.PSE;
		 * 2 MiB under PAE, which needs no PSE), 4 KiB for the tail.
		 * Under PAE the one kernel PDPTE's PMD table is made here and
		 * every process shares it (SHARED_KERNEL_PMD) */
		const bool large = !pt->fmt->large_needs_pse || c->pse;
		const unsigned shift = large ? config_pmd_shift(c) : 12;
		/* kernel_physical_mapping_init(): a page that overlaps the
		 * kernel image (is_x86_32_kernel_text(), up to __init_end) is
		 * executable, the rest of lowmem NX -- which only PAE has */
		uint64_t text = (c->kernel_start + c->kernel_size + (1ULL << shift) - 1) &
				~((1ULL << shift) - 1);

		if (text > c->lowmem_end)
			text = c->lowmem_end;
		ret = pt_map_range(pt, root, c->page_offset, 0, text, __PAGE_KERNEL_LARGE_EXEC,
				   _KERNPG_TABLE, shift);
		if (!ret && text < c->lowmem_end)
			ret = pt_map_range(pt, root, c->page_offset + text, text, c->lowmem_end - text,
					   __PAGE_KERNEL_LARGE, _KERNPG_TABLE, shift);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	pt_free_tree(pt, root);
	m->vm.kernel_pgd = 0;
	m->kernel_pgd_page = NULL;
	return verr(err, ret, "cannot build the kernel page tables: %s",
		    ret == -ENOMEM ? "out of simulated memory" : "bad layout");
}

/*
 * PAE: a root entry changed.  Linux follows pud_populate() with
 * flush_tlb_mm() and pud_clear() in free_pmd_range() with a full flush,
 * both a CR3 write where the mm runs: that is what loads the PDPTE
 * registers again.
 */
static void pae_root_changed(void *arg, uint64_t root)
{
	struct vmsim_machine *m = arg;

	for (unsigned i = 0; i < m->nr_cpus; i++) {
		struct vmsim_cpu *cpu = &m->cpus[i];

		if ((cpu->cr3 & cpu->fmt->root_addr_mask & ~(uint64_t)(PAGE_SIZE - 1)) == root)
			mmu_load_cr3(cpu, cpu->cr3, cpu->pcid, false);
	}
}

int kernel_mmu_boot(struct vmsim_machine *m, struct vmsim_error *err)
{
	unsigned n = m->cfg.cpu_count ? m->cfg.cpu_count : 1;
	int ret;

	m->pgd_list = host_zalloc(&m->ha, sizeof(*m->pgd_list));
	if (!m->pgd_list)
		return verr(err, -ENOMEM, "out of host memory for pgd_list");
	pt_ctx_init(&m->pt, &m->pm, &m->cfg);
	m->pt.root_changed = pae_root_changed;
	m->pt.root_changed_arg = m;
	m->cpus = host_zalloc(&m->ha, sizeof(*m->cpus) * n);
	if (!m->cpus) {
		kernel_mmu_shutdown(m);
		return verr(err, -ENOMEM, "out of host memory for %u CPUs", n);
	}
	for (m->nr_cpus = 0; m->nr_cpus < n; m->nr_cpus++) {
		ret = mmu_cpu_init(&m->cpus[m->nr_cpus], (int)m->nr_cpus, &m->pm, &m->cfg, &m->ha,
				   err);
		if (ret)
			goto fail;
	}
	ret = build_kernel_tables(m, err);
	if (ret)
		goto fail;
	for (unsigned i = 0; i < m->nr_cpus; i++)
		if (!mmu_load_cr3(&m->cpus[i], m->vm.kernel_pgd, 0, false)) {
			ret = verr(err, -EINVAL, "the kernel's PDPT has a reserved bit set");
			goto fail;
		}
	return 0;
fail:
	kernel_mmu_shutdown(m);
	return ret;
}

void kernel_mmu_shutdown(struct vmsim_machine *m)
{
	struct kernel_pgd_list *l = m->pgd_list;

	if (m->kernel_pgd_page)
		pt_free_tree(&m->pt, m->vm.kernel_pgd);
	m->vm.kernel_pgd = 0;
	m->kernel_pgd_page = NULL;
	if (m->cpus) {
		unsigned n = m->cfg.cpu_count ? m->cfg.cpu_count : 1;

		for (unsigned i = 0; i < m->nr_cpus; i++)
			mmu_cpu_finish(&m->cpus[i]);
		host_free(&m->ha, m->cpus, sizeof(*m->cpus) * n);
	}
	m->cpus = NULL;
	m->nr_cpus = 0;
	if (l) {
		if (l->roots)
			host_free(&m->ha, l->roots, sizeof(*l->roots) * l->cap);
		host_free(&m->ha, l, sizeof(*l));
		m->pgd_list = NULL;
	}
}

/* ---- the copies of the kernel half ---- */

int kernel_pgd_check(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct kernel_pgd_list *l = m->pgd_list;
	struct pt_ctx *pt = &m->pt;
	unsigned n = pt_ptrs_per_table(pt->fmt, 0), esz = pt->fmt->entry_size;

	if (!l)
		return 0;
	for (unsigned i = 0; i < l->nr; i++)
		for (unsigned j = pt->kernel_pgd_boundary; j < n; j++)
			if (pt_read(pt, l->roots[i] + (uint64_t)j * esz) !=
			    pt_read(pt, m->vm.kernel_pgd + (uint64_t)j * esz))
				return verr(err, -EFAULT, "pgd_list: root 0x%" PRIx64 " entry %u "
					    "differs from init_mm's kernel half", l->roots[i], j);
	for (struct list_head *p = m->tasks.next; p && p != &m->tasks; p = p->next) {
		struct task_struct *t = list_entry(p, struct task_struct, tasks);

		for (unsigned j = pt->kernel_pgd_boundary; t->mm && j < n; j++)
			if (pt_read(pt, task_pgd(t) + (uint64_t)j * esz) !=
			    pt_read(pt, m->vm.kernel_pgd + (uint64_t)j * esz))
				return verr(err, -EFAULT, "task %s: page-table root entry %u differs "
					    "from init_mm's kernel half", t->comm, j);
	}
	return 0;
}

int pgd_list_add(struct vmsim_machine *m, uint64_t root)
{
	struct kernel_pgd_list *l = m->pgd_list;

	if (l->nr == l->cap) {
		unsigned nc = l->cap ? 2 * l->cap : 16;
		uint64_t *n = host_realloc(&m->ha, l->roots, sizeof(*n) * l->cap, sizeof(*n) * nc);

		if (!n)
			return -ENOMEM;
		l->roots = n;
		l->cap = nc;
	}
	l->roots[l->nr++] = root;
	/* a root copied before the last kernel-half change catches up now */
	pgd_sync_kernel(&m->pt, root, m->vm.kernel_pgd);
	return 0;
}

void pgd_list_del(struct vmsim_machine *m, uint64_t root)
{
	struct kernel_pgd_list *l = m->pgd_list;

	for (unsigned i = 0; i < l->nr; i++) {
		if (l->roots[i] == root) {
			l->roots[i] = l->roots[--l->nr];
			return;
		}
	}
}

static void sync_root(struct vmsim_machine *m, uint64_t root, uint64_t start, uint64_t end)
{
	struct pt_ctx *pt = &m->pt;
	uint64_t span = pt_entry_span(pt->fmt, 0);

	if (root == m->vm.kernel_pgd || root == 0)
		return;
	for (uint64_t va = start & ~(span - 1); va < end; va += span) {
		uint64_t k = pt_read(pt, pgd_offset(pt, m->vm.kernel_pgd, va));
		uint64_t epa = pgd_offset(pt, root, va);

		if (pt_read(pt, epa) != k) {
			set_pte(pt, epa, k);
			m->pgd_list->syncs++;
		}
		if (va + span < va)
			break;
	}
}

void arch_sync_kernel_mappings(struct vmsim_machine *m, uint64_t start, uint64_t end)
{
	struct kernel_pgd_list *l = m->pgd_list;

	for (unsigned i = 0; i < l->nr; i++)
		sync_root(m, l->roots[i], start, end);
	/* every task's mm: the process layer's own list of roots */
	if (m->tasks.next)
		for (struct list_head *p = m->tasks.next; p != &m->tasks; p = p->next) {
			struct task_struct *t = list_entry(p, struct task_struct, tasks);

			if (t->mm)
				sync_root(m, task_pgd(t), start, end);
		}
	/* roots in use that nobody registered still see the change */
	for (unsigned c = 0; c < m->nr_cpus; c++)
		sync_root(m, m->cpus[c].cr3, start, end);
}

/* ---- kernel PTEs ---- */

int kernel_set_pte(struct vmsim_machine *m, uint64_t va, uint64_t pa, uint64_t prot)
{
	struct pt_ctx *pt = &m->pt;
	uint64_t top = pgd_offset(pt, m->vm.kernel_pgd, va), before = pt_read(pt, top);
	int ret;

	kspace_mark_dirty(m);
	ret = pt_map(pt, m->vm.kernel_pgd, va, pa, PAGE_SHIFT, prot, _KERNPG_TABLE);
	if (ret)
		return ret;
	/* ARCH_PAGE_TABLE_SYNC_MASK: a new top-level entry must reach every
	 * copy of the kernel half */
	if (pt_read(pt, top) != before)
		arch_sync_kernel_mappings(m, va, va + PAGE_SIZE);
	return 0;
}

void kernel_clear_pte(struct vmsim_machine *m, uint64_t va, uint64_t *old)
{
	struct pt_path p;

	*old = 0;
	kspace_mark_dirty(m);
	pt_lookup(&m->pt, m->vm.kernel_pgd, va, &p);
	if (!p.leaf || p.n != m->pt.fmt->levels)
		return;
	*old = p.e[p.n - 1];
	pte_clear(&m->pt, p.epa[p.n - 1]);
}

uint64_t kernel_pte(struct vmsim_machine *m, uint64_t va)
{
	struct pt_path p;

	pt_lookup(&m->pt, m->vm.kernel_pgd, va, &p);
	if (!p.leaf || p.n != m->pt.fmt->levels)
		return 0;
	return p.e[p.n - 1];
}

/* ---- process roots ---- */

int mm_pgd_alloc(struct vmsim_machine *m, uint64_t *root)
{
	return pgd_alloc(&m->pt, m->vm.kernel_pgd, root);
}

void mm_pgd_free(struct vmsim_machine *m, uint64_t root)
{
	pgd_free(&m->pt, root);
}

/* ---- TLB flushes of kernel addresses ---- */

void flush_tlb_all(struct vmsim_machine *m)
{
	for (unsigned i = 0; i < m->nr_cpus; i++)
		tlb_flush_all(&m->cpus[i]);
}

void flush_tlb_one_kernel(struct vmsim_machine *m, uint64_t va)
{
	for (unsigned c = 0; c < m->nr_cpus; c++)
		invlpg(&m->cpus[c], va);
}

void flush_tlb_kernel_range(struct vmsim_machine *m, uint64_t start, uint64_t end)
{
	if (end <= start)
		return;
	if ((end - start) >> PAGE_SHIFT > FLUSH_CEILING) {
		for (unsigned c = 0; c < m->nr_cpus; c++)
			tlb_flush_all(&m->cpus[c]);
		return;
	}
	for (uint64_t va = start & PAGE_MASK; va < end; va += PAGE_SIZE)
		flush_tlb_one_kernel(m, va);
}
