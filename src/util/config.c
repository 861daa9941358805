/*
 * Machine config defaults and the values Linux derives from them (see
 * config.h).  Parsing of YAML and --set lives in config_load.c, the
 * validation rules in the layers that own the keys (util/config_rule.h);
 * this file owns what a config *means*.
 *
 * Invariant: config_derive() is a pure function of the keys (given or
 * default); a derived key the user gave (x86_32 vmalloc.start/end) is left
 * alone, everything else derived is recomputed every time, so finalizing
 * twice gives the same struct.  The formulas follow Linux 6.12; the x86_32
 * ones were checked against arch/x86/include/asm/fixmap.h,
 * pgtable_32_areas.h, cpu_entry_area.h and arch/x86/mm/init_32.c (see
 * docs/config.md for the numbers and where the seeds' "896 MiB" differs).
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
	config_defaults_paging(c, arch, config_default_paging(arch));
}

void config_defaults_paging(struct vmsim_config *c, enum vmsim_arch arch, unsigned paging)
{
	memset(c, 0, sizeof(*c));
	c->arch = arch;
	c->paging = paging;
	c->nodes = 1;
	c->nr_reserve = 1;
	c->reserve[0] = (struct cfg_reserve){ .start = 0, .size = 1 * MiB, .name = "bios" };
	c->max_order = 10;
	c->pcp = true;
	c->contents = true;
	c->cpu_count = 1;
	c->wp = true;
	c->pse = true;
	c->l1d = (struct cfg_tlb){ 64, 4 };
	c->l1i = (struct cfg_tlb){ 128, 8 };
	c->l2 = (struct cfg_tlb){ 1536, 12 };
	c->l1d_large = (struct cfg_tlb){ 32, 4 };
	c->l1i_large = (struct cfg_tlb){ 8, 8 };
	c->pml5e_cache = (struct cfg_tlb){ 2, 2 };
	c->pml4e_cache = (struct cfg_tlb){ 2, 2 };
	c->pdpte_cache = (struct cfg_tlb){ 4, 4 };
	c->pde_cache = (struct cfg_tlb){ 32, 4 };
	c->cost_l1_hit = 1;
	c->cost_l2_hit = 7;
	c->cost_walk_ref = 12;
	c->stack_rlimit = 8 * MiB;
	c->mmap_min_addr = 64 * KiB;
	c->seed = 1;
	/* MLOCK_LIMIT since Linux 5.16; no CAP_IPC_LOCK: an ordinary user */
	c->memlock_rlimit = 8 * MiB;
	c->fault_around_bytes = 64 * KiB;
	c->read_ahead_kb = 128;		/* VM_READAHEAD_PAGES */
	c->max_sectors_kb = 1280;	/* BLK_DEF_MAX_SECTORS_CAP */
	/* ext4, the reference machines' root file system, maps large files
	 * at 2 MiB boundaries (thp_get_unmapped_area) */
	c->large_folios = true;
	c->vdso_pages[0] = 4;
	c->vdso_pages[1] = 2;
	c->vdso_pages[2] = 2;
	c->swappiness = 60;
	c->page_cluster = 3;
	c->kswapd_interval = 1024;
	c->zone_dma_end = 16 * MiB;
	/* CONFIG_TRANSPARENT_HUGEPAGE_MADVISE, as Debian builds it (and as
	 * the reference host runs: "always [madvise] never"); the defrag
	 * default is the kernel's DEFRAG_REQ_MADV_FLAG */
	c->thp_enabled = THP_ENABLED_MADVISE;
	c->thp_defrag = THP_DEFRAG_MADVISE;
	c->thp_use_zero_page = true;

	if (arch == ARCH_X86_64) {
		/* the layout of the paging mode: the seeds' 4-level one, and
		 * Linux 6.12's under 5-level paging before KASLR:
		 * __PAGE_OFFSET_BASE_L5 (page_64_types.h), VMALLOC_BASE_L5 +
		 * VMALLOC_SIZE_TB_L5 (12800 TiB) and VMEMMAP_BASE_L5
		 * (pgtable_64_types.h), TASK_SIZE_MAX (1 << 56) - PAGE_SIZE;
		 * CPUs with LA57 have 52 physical address bits */
		static const struct layout64 {
			const char *name;
			unsigned phys_bits;
			uint64_t task_size, page_offset, vmalloc_start, vmalloc_end, vmemmap;
		} l4 = { "x86_64", 46, 0x00007ffffffff000ULL, 0xffff880000000000ULL,
			 0xffffc90000000000ULL, 0xffffe90000000000ULL, 0xffffea0000000000ULL },
		  l5 = { "x86_64-la57", 52, 0x00fffffffffff000ULL, 0xff11000000000000ULL,
			 0xffa0000000000000ULL, 0xffd2000000000000ULL, 0xffd4000000000000ULL };
		const struct layout64 *l = paging == PAGING_LA57 ? &l5 : &l4;

		strcpy(c->name, l->name);
		c->mem_size = 4 * GiB;
		c->kernel_start = 16 * MiB;
		c->kernel_size = 32 * MiB;
		c->zone_dma32_end = 4 * GiB;
		c->nxe = true;
		c->phys_bits = l->phys_bits;
		c->task_size = l->task_size;
		c->page_offset = l->page_offset;
		c->vmalloc_start = l->vmalloc_start;
		c->vmalloc_end = l->vmalloc_end;
		c->vmemmap = l->vmemmap;
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
		c->fixaddr_top = 0xfffff000ULL;	/* __FIXADDR_TOP */
		c->last_pkmap = 1024;		/* LAST_PKMAP without PAE */
		c->vmalloc_reserve = 128 * MiB;	/* __VMALLOC_RESERVE = 128 << 20 */
		if (paging == PAGING_PAE) {
			/* CONFIG_X86_PAE: NX, 36 physical address bits (the
			 * PAE CPUs' usual MAXPHYADDR), LAST_PKMAP 512 (one
			 * page table of 512 entries, highmem_32.h) */
			strcpy(c->name, "x86_32-pae");
			c->nxe = true;
			c->phys_bits = 36;
			c->last_pkmap = 512;
		}
	}
}

uint64_t config_mmap_base(const struct vmsim_config *c, uint64_t rlim)
{
	/* arch/x86/mm/mmap.c mmap_base(): gap = rlimit + stack_guard_gap (+ the
	 * random pad, 0 here) unless that overflows an unsigned long ("values
	 * close to RLIM_INFINITY"), clamped to [128 MiB, task_size/6*5]. */
	const uint64_t guard = 256 * PAGE_SIZE_4K;
	const uint64_t ulong_max = config_is_64(c) ? UINT64_MAX : UINT32_MAX;
	/* arch_pick_mmap_layout(): below task_size_64bit(0), the
	 * DEFAULT_MAP_WINDOW under 5-level paging */
	const uint64_t top = config_map_window(c);
	uint64_t gap = rlim > ulong_max ? ulong_max : rlim;
	uint64_t gap_min = 128 * MiB, gap_max = top / 6 * 5;

	if (gap <= ulong_max - guard)	/* gap + pad > gap in unsigned long */
		gap += guard;
	if (gap < gap_min)
		gap = gap_min;
	else if (gap > gap_max)
		gap = gap_max;
	if (gap > top)			/* only for a task_size below 128 MiB */
		return 0;
	return (top - gap + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
}

/*
 * The fixmap (arch/x86/include/asm/fixmap.h, enum fixed_addresses) for the
 * config we model: X86_LOCAL_APIC, X86_IO_APIC, PCI_MMCONFIG and (x86_32)
 * HIGHMEM/KMAP_LOCAL on; PARAVIRT_XXL, ACPI_APEI_GHES, OHCI1394 and
 * INTEL_TXT off; NR_CPUS = cpu.count.  Slot i maps at FIXADDR_TOP - i pages.
 *
 *   x86_32: FIX_HOLE, FIX_DBGP_BASE, FIX_EARLYCON_MEM_BASE, FIX_APIC_BASE,
 *           FIX_IO_APIC_BASE_0..+MAX_IO_APICS-1 (64),
 *           FIX_KMAP_BEGIN..END (KM_MAX_IDX 16 * NR_CPUS), FIX_PCIE_MCFG
 *   x86_64: VSYSCALL_PAGE = (FIXADDR_TOP - VSYSCALL_ADDR) >> PAGE_SHIFT,
 *           FIX_DBGP_BASE, FIX_EARLYCON_MEM_BASE, FIX_APIC_BASE,
 *           FIX_IO_APIC_BASE_0.. (128); no kmap slots (no HIGHMEM)
 *   then __end_of_permanent_fixed_addresses (FIXADDR_START), the 512 boot
 *   slots FIX_BTMAP_END..BEGIN, moved up so they do not straddle a page
 *   table (the kernel's exact expression: the test uses PTRS_PER_PTE, the
 *   correction uses TOTAL_FIX_BTMAPS), FIX_WP_TEST (x86_32 only), and
 *   __end_of_fixed_addresses (FIXADDR_TOT_START).
 */
static void derive_fixmap(struct vmsim_config *c)
{
	const uint64_t km_max_idx = 16, total_btmaps = 64 * 8;
	const uint64_t vsyscall_addr = 0xffffffffff600000ULL;
	uint64_t ptrs_per_pte, permanent, btmap_end, total;

	if (config_is_64(c)) {
		ptrs_per_pte = 512;	/* PTRS_PER_PTE */
		c->fix_kmap_slots = 0;
		/* fixaddr_top is validated to lie above VSYSCALL_ADDR; guard
		 * the subtraction anyway so an unvalidated struct cannot wrap */
		permanent = c->fixaddr_top >= vsyscall_addr
			? (c->fixaddr_top - vsyscall_addr) / PAGE_SIZE_4K : 0;
		permanent += 1 + 1 + 1 + 1 + 128;	/* VSYSCALL_PAGE itself, DBGP, EARLYCON, APIC, IO-APICs */
	} else {
		ptrs_per_pte = c->paging == PAGING_PAE ? 512 : 1024;
		c->fix_kmap_slots = (unsigned)km_max_idx;
		permanent = 1 + 1 + 1 + 1 + 64 + km_max_idx * c->cpu_count + 1;
	}
	if ((permanent ^ (permanent + total_btmaps - 1)) & ~(ptrs_per_pte - 1))
		btmap_end = permanent + total_btmaps - (permanent & (total_btmaps - 1));
	else
		btmap_end = permanent;
	total = btmap_end + total_btmaps;		/* FIX_BTMAP_BEGIN + 1 */
	if (!config_is_64(c))
		total += 1;				/* FIX_WP_TEST */
	c->fixaddr_start = c->fixaddr_top - permanent * PAGE_SIZE_4K;
	c->fixaddr_tot_start = c->fixaddr_top - total * PAGE_SIZE_4K;
}

/*
 * Pages of one x86_32 struct cpu_entry_area (asm/cpu_entry_area.h): gdt,
 * guard_entry_stack, entry_stack_page, guard_doublefault_stack,
 * doublefault_stack (1 page each), tss (struct tss_struct: x86_hw_tss + the
 * 8 KiB I/O bitmap twice, page aligned: 5 pages), cpu_debug_store (1) and
 * cpu_debug_buffers (BTS 64 KiB + PEBS 64 KiB: 32).
 */
#define CEA_PAGES_PER_CPU_32 43

/*
 * hugepage_init() (mm/huge_memory.c): on a machine whose page allocator
 * manages less than 512 MiB (totalram_pages(): RAM less the memblock
 * reservations and the kernel image) every transparent_hugepage flag
 * starts cleared -- enabled and defrag "never", use_zero_page 0.  A key
 * given is what an administrator writes to sysfs after boot, so it
 * stands; the others follow the rule.
 */
static void derive_thp(struct vmsim_config *c)
{
	uint64_t reserved = c->kernel_size;
	bool small;

	for (unsigned i = 0; i < c->nr_reserve && i < CFG_MAX_RESERVE; i++)
		reserved += c->reserve[i].size;
	small = c->mem_size < reserved || c->mem_size - reserved < 512 * MiB;
	if (!config_given(c, CFG_THP_ENABLED))
		c->thp_enabled = small ? THP_ENABLED_NEVER : THP_ENABLED_MADVISE;
	if (!config_given(c, CFG_THP_DEFRAG))
		c->thp_defrag = small ? THP_DEFRAG_NEVER : THP_DEFRAG_MADVISE;
	if (!config_given(c, CFG_THP_USE_ZERO_PAGE))
		c->thp_use_zero_page = !small;
}

void config_derive(struct vmsim_config *c)
{
	derive_fixmap(c);
	derive_thp(c);
	if (c->arch == ARCH_X86_32) {
		/* pgtable_32_areas.h (PMD_SIZE = 4 MiB, 2 MiB with PAE): the
		 * CPU entry area sits below the fixmap (+1 page for the
		 * read-only IDT), one PMD for the LDT below it, then the pkmap
		 * PMD; vmalloc ends two pages below PKMAP_BASE.  MAXMEM leaves
		 * __VMALLOC_RESERVE (128 MiB) of vmalloc space below
		 * VMALLOC_END. */
		const uint64_t pmd_mask = ~((1ULL << config_pmd_shift(c)) - 1);
		uint64_t cea_pages = (uint64_t)CEA_PAGES_PER_CPU_32 * c->cpu_count;
		uint64_t vend, mm;

		c->cpu_entry_area_base = (c->fixaddr_tot_start - PAGE_SIZE_4K * (cea_pages + 1)) & pmd_mask;
		c->ldt_base = (c->cpu_entry_area_base - PAGE_SIZE_4K) & pmd_mask;
		c->pkmap_base = (c->ldt_base - PAGE_SIZE_4K) & pmd_mask;
		vend = c->pkmap_base - 2 * PAGE_SIZE_4K;
		if (!config_given(c, CFG_VMALLOC_END))
			c->vmalloc_end = vend;
		/* MAXMEM follows VMALLOC_END, which is what `vmalloc=`-style
		 * tuning of the end moves; guard against a nonsense layout
		 * (validation reports it) rather than wrap. */
		mm = c->vmalloc_end - c->page_offset;
		mm = c->vmalloc_end > c->page_offset && mm > c->vmalloc_reserve
			? mm - c->vmalloc_reserve : 0;
		c->maxmem = mm & ~(PAGE_SIZE_4K - 1);	/* MAXMEM_PFN << PAGE_SHIFT */
		/* find_low_pfn_range(): all RAM is lowmem if it fits, else
		 * max_low_pfn = MAXMEM_PFN and the rest is HIGHMEM. */
		c->lowmem_end = c->mem_size < c->maxmem ? c->mem_size : c->maxmem;
		c->high_memory = c->page_offset + c->lowmem_end;
		/* VMALLOC_START = high_memory + VMALLOC_OFFSET (8 MiB) */
		if (!config_given(c, CFG_VMALLOC_START))
			c->vmalloc_start = c->high_memory + 8 * MiB;
	} else {
		c->cpu_entry_area_base = 0;
		c->ldt_base = 0;
		c->maxmem = c->mem_size;
		c->lowmem_end = c->mem_size;
		c->high_memory = c->page_offset + c->mem_size;
		c->pkmap_base = 0;
	}
	c->mmap_base = config_mmap_base(c, c->stack_rlimit);
	/* fault_around_bytes_set(): max(val, PAGE_SIZE); one page = off */
	if (c->fault_around_bytes == 0)
		c->fault_around_bytes = PAGE_SIZE_4K;
}
