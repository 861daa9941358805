/*
 * Boot-time kernel page tables (see kpgtable.h): the CPUs' MMUs are set up
 * first, then init_mm's root is filled the way Linux's
 * init_memory_mapping() / split_mem_range() fill it, then every CPU loads
 * it into CR3.  Invariant after boot: __va(pa) translates to pa in kernel
 * mode for every lowmem pa, and the user half of the kernel root is empty.
 */
#include "kern/kpgtable.h"

#include <errno.h>
#include <string.h>

#include "mmu/mmu.h"
#include "util/error.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

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

	pt_ctx_init(&m->pt, &m->pm, &m->cfg);
	m->pt.root_changed = pae_root_changed;
	m->pt.root_changed_arg = m;
	m->cpus = host_zalloc(&m->ha, sizeof(*m->cpus) * n);
	if (!m->cpus)
		return verr(err, -ENOMEM, "out of host memory for %u CPUs", n);
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
}

int mm_pgd_alloc(struct vmsim_machine *m, uint64_t *root)
{
	return pgd_alloc(&m->pt, m->vm.kernel_pgd, root);
}

void mm_pgd_free(struct vmsim_machine *m, uint64_t root)
{
	pgd_free(&m->pt, root);
}

void flush_tlb_all(struct vmsim_machine *m)
{
	for (unsigned i = 0; i < m->nr_cpus; i++)
		tlb_flush_all(&m->cpus[i]);
}
