/*
 * Machine config defaults and the values Linux derives from them (see
 * config.h).  Parsing and validation of YAML and --set live in
 * config_load.c; this file owns what a config *means*.
 */
#include "util/config.h"

#include <errno.h>
#include <string.h>

#include "util/error.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define PAGE_SIZE_4K 4096ULL

void config_defaults(struct vmsim_config *c, enum vmsim_arch arch)
{
	memset(c, 0, sizeof(*c));
	c->arch = arch;
	c->nodes = 1;
	c->nr_reserve = 1;
	c->reserve[0] = (struct cfg_reserve){ .start = 0, .size = 1 * MiB, .name = "bios" };
	c->max_order = 10;
	c->cpu_count = 1;
	c->wp = true;
	c->pse = true;
	c->l1d = (struct cfg_tlb){ 64, 4 };
	c->l1i = (struct cfg_tlb){ 128, 8 };
	c->l2 = (struct cfg_tlb){ 1536, 12 };
	c->l1d_large = (struct cfg_tlb){ 32, 4 };
	c->l1i_large = (struct cfg_tlb){ 8, 8 };
	c->stack_rlimit = 8 * MiB;
	c->mmap_min_addr = 64 * KiB;
	c->seed = 1;
	c->fault_around_bytes = 64 * KiB;
	c->vdso_pages[0] = 4;
	c->vdso_pages[1] = 2;
	c->vdso_pages[2] = 2;
	c->zone_dma_end = 16 * MiB;

	if (arch == ARCH_X86_64) {
		strcpy(c->name, "x86_64");
		c->mem_size = 4 * GiB;
		c->kernel_start = 16 * MiB;
		c->kernel_size = 32 * MiB;
		c->zone_dma32_end = 4 * GiB;
		c->nxe = true;
		c->phys_bits = 46;
		c->task_size = 0x00007ffffffff000ULL;
		c->page_offset = 0xffff880000000000ULL;
		c->vmalloc_start = 0xffffc90000000000ULL;
		c->vmalloc_end = 0xffffe90000000000ULL;
		c->vmemmap = 0xffffea0000000000ULL;
		c->kernel_map = 0xffffffff80000000ULL;
		c->modules_start = 0xffffffffa0000000ULL;
		c->modules_end = 0xffffffffff000000ULL;
		/* round_up(VSYSCALL_ADDR + PAGE_SIZE, PMD_SIZE) - PAGE_SIZE */
		c->fixaddr_top = 0xffffffffff7ff000ULL;
	} else {
		strcpy(c->name, "x86_32");
		c->mem_size = 1 * GiB;
		c->kernel_start = 1 * MiB;
		c->kernel_size = 8 * MiB;
		c->nxe = false;		/* no NX bit without PAE */
		c->phys_bits = 32;
		c->task_size = 0xc0000000ULL;
		c->page_offset = 0xc0000000ULL;
		c->fixaddr_top = 0xfffff000ULL;
		c->last_pkmap = 1024;
	}
}

uint64_t config_mmap_base(const struct vmsim_config *c, uint64_t rlim)
{
	/* arch/x86/mm/mmap.c mmap_base(): gap = rlimit + stack_guard_gap (+ the
	 * random pad, 0 here), clamped to [128 MiB, task_size/6*5]. */
	const uint64_t guard = 256 * PAGE_SIZE_4K;
	uint64_t gap = rlim, gap_min = 128 * MiB, gap_max = c->task_size / 6 * 5;

	if (gap + guard >= gap)	/* no overflow */
		gap += guard;
	if (gap < gap_min)
		gap = gap_min;
	else if (gap > gap_max)
		gap = gap_max;
	return (c->task_size - gap + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
}

/*
 * x86_32 fixmap: arch/x86/include/asm/fixmap.h counts the permanent slots
 * (FIX_HOLE, FIX_APIC_BASE, FIX_IO_APIC_BASE_0..MAX_IO_APICS-1, the per-CPU
 * kmap_local slots FIX_KMAP_BEGIN..END = KM_MAX_IDX * NR_CPUS, FIX_TEXT_POKE1/0)
 * and then the boot-time btmap slots (NR_FIX_BTMAPS 64 * FIX_BTMAPS_SLOTS 8),
 * aligned so they do not straddle a page-table page.
 */
static void derive_fixmap(struct vmsim_config *c)
{
	const unsigned km_max_idx = 16, max_io_apics = 128;
	const unsigned btmaps = 64 * 8;
	const unsigned ptrs_per_pte = config_is_64(c) ? 512 : 1024;
	unsigned permanent, end, btmap_end, total;

	c->fix_kmap_slots = km_max_idx;
	/* FIX_HOLE, FIX_APIC_BASE, IO-APICs, kmap, TEXT_POKE1, TEXT_POKE0 */
	permanent = 1 + 1 + max_io_apics + km_max_idx * c->cpu_count + 2;
	end = permanent;
	/* FIX_BTMAP_END: round up so that the btmap area does not cross a
	 * page-table boundary (the kernel's exact expression). */
	if ((end ^ (end + btmaps - 1)) & ~(ptrs_per_pte - 1))
		btmap_end = end + ptrs_per_pte - (end & (ptrs_per_pte - 1));
	else
		btmap_end = end;
	total = btmap_end + btmaps;
	c->fixaddr_start = c->fixaddr_top - (uint64_t)permanent * PAGE_SIZE_4K;
	c->fixaddr_tot_start = c->fixaddr_top - (uint64_t)total * PAGE_SIZE_4K;
}

void config_derive(struct vmsim_config *c)
{
	derive_fixmap(c);
	if (c->arch == ARCH_X86_32) {
		/* pgtable_32_areas.h: PKMAP_BASE below the fixmap, aligned to a
		 * page-directory entry (4 MiB without PAE); vmalloc ends two
		 * pages below it; lowmem ends 128 MiB (__VMALLOC_RESERVE) below
		 * that (MAXMEM in init_32.c). */
		const uint64_t pmd_mask = ~((4 * MiB) - 1);
		uint64_t maxmem;

		c->pkmap_base = (c->fixaddr_tot_start - PAGE_SIZE_4K * (c->last_pkmap + 1)) & pmd_mask;
		c->vmalloc_end = c->pkmap_base - 2 * PAGE_SIZE_4K;
		maxmem = c->vmalloc_end - c->page_offset - 128 * MiB;
		c->lowmem_end = c->mem_size < maxmem ? c->mem_size : maxmem;
		c->high_memory = c->page_offset + c->lowmem_end;
		/* VMALLOC_START = high_memory + VMALLOC_OFFSET (8 MiB) */
		c->vmalloc_start = c->high_memory + 8 * MiB;
	} else {
		c->lowmem_end = c->mem_size;
		c->high_memory = c->page_offset + c->mem_size;
		c->pkmap_base = 0;
	}
	c->mmap_base = config_mmap_base(c, c->stack_rlimit);
}
