/*
 * Config rules of the kern layer, and the table of every layer's rules.
 *
 * The kernel's virtual layout (layout.*) is checked the way the kernel
 * would refuse it: on x86_64 every region canonical, aligned to the entry
 * that maps it and in address order, the direct map, vmemmap and kernel
 * image each fitting their window; on x86_32 everything inside 32 bits,
 * the fixmap, CPU entry area, LDT and pkmap stacked below fixaddr_top
 * above the direct map (mem_init()'s BUG_ONs, made before they could
 * fire).  The process defaults (process.*) are what spawn and exec hand
 * each task: its rlimits and mmap_min_addr.
 *
 * machine_config_rules[] lists the rules of every layer in the order
 * their messages take precedence when a config breaks several.
 * Invariant: every rule of phys_config.c, mmu_config.c, vma_config.c and
 * this file is in it once, so every caller of config_finalize() with this
 * table validates the same way.
 */
#include "kern/kern_config.h"

#include <inttypes.h>

#include "mmu/mmu_config.h"
#include "phys/phys_config.h"
#include "util/parse.h"
#include "vma/vma_config.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define PAGE 4096ULL

/* Canonical under @c's paging: bits 63..47 (63..56 with LA57) all equal. */
static bool canonical(const struct vmsim_config *c, uint64_t v)
{
	unsigned b = c->paging == PAGING_LA57 ? 56 : 47;
	uint64_t top = v >> b;

	return top == 0 || top == (~0ULL >> b);
}

static int layout32_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	/* the keys the rest derives from first, then the given derived ones */
	static const int addrs[] = { CFG_TASK_SIZE, CFG_PAGE_OFFSET, CFG_FIXADDR_TOP,
				     CFG_VMALLOC_START, CFG_VMALLOC_END };
	int ret;

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		uint64_t v = config_key_value(c, addrs[i]);

		if ((addrs[i] == CFG_VMALLOC_START || addrs[i] == CFG_VMALLOC_END) &&
		    !config_given(c, (enum cfg_key_id)addrs[i]))
			continue;
		if (v > 0xffffffffULL)
			return config_error(c, err, addrs[i], -1,
					    "%s 0x%" PRIx64 " does not fit in 32 bits",
					    config_key_path(addrs[i]), v);
		ret = config_check_align(c, err, addrs[i], PAGE, " (the page size)");
		if (ret)
			return ret;
	}
	ret = config_check_align(c, err, CFG_PAGE_OFFSET, c->paging == PAGING_PAE ? GiB : 4 * MiB,
				 c->paging == PAGING_PAE ? " (a PDPT entry: KERNEL_PGD_BOUNDARY)"
							 : " (a page-directory entry)");
	if (!ret)
		ret = config_check_align(c, err, CFG_VMALLOC_RESERVE, PAGE, " (the page size)");
	if (ret)
		return ret;
	if (!c->page_offset)
		return config_error(c, err, CFG_PAGE_OFFSET, -1,
				    "layout.page_offset must not be 0");
	if (c->task_size > c->page_offset)
		return config_error(c, err, CFG_TASK_SIZE, CFG_PAGE_OFFSET,
				    "layout.task_size 0x%" PRIx64 " is above layout.page_offset 0x%"
				    PRIx64, c->task_size, c->page_offset);
	/* early_ioremap_init(): the fixmap's first slot ends on a PMD boundary */
	if ((c->fixaddr_top + PAGE) & ((1ULL << config_pmd_shift(c)) - 1))
		return config_error(c, err, CFG_FIXADDR_TOP, -1,
				    "layout.fixaddr_top 0x%" PRIx64 " + 4KiB is not aligned to %s",
				    c->fixaddr_top, config_pmd_shift(c) == 22 ? "4MiB" : "2MiB");
	if (!config_is_pow2(c->last_pkmap))
		return config_error(c, err, CFG_LAST_PKMAP, -1,
				    "layout.last_pkmap %u is not a power of two", c->last_pkmap);
	/* fixmap, CPU entry area, LDT and pkmap stack down from fixaddr_top;
	 * each must land below the one above it without wrapping, and above
	 * the direct map's start (mem_init()'s BUG_ONs, before they can fire) */
	if (c->fixaddr_tot_start >= c->fixaddr_top ||
	    c->cpu_entry_area_base >= c->fixaddr_tot_start ||
	    c->ldt_base >= c->cpu_entry_area_base || c->pkmap_base >= c->ldt_base ||
	    c->pkmap_base <= c->page_offset)
		return config_error(c, err, CFG_FIXADDR_TOP, CFG_PAGE_OFFSET,
				    "the fixmap and CPU entry area below layout.fixaddr_top 0x%"
				    PRIx64 " leave no room for pkmap above layout.page_offset 0x%"
				    PRIx64, c->fixaddr_top, c->page_offset);
	if (c->vmalloc_end > c->pkmap_base)
		return config_error(c, err, CFG_VMALLOC_END, -1,
				    "layout.vmalloc.end 0x%" PRIx64 " is above PKMAP_BASE 0x%" PRIx64,
				    c->vmalloc_end, c->pkmap_base);
	if (c->vmalloc_end <= c->page_offset || !c->maxmem)
		return config_error(c, err, CFG_VMALLOC_END, CFG_VMALLOC_RESERVE,
				    "no lowmem is left: VMALLOC_END 0x%" PRIx64 " - PAGE_OFFSET 0x%"
				    PRIx64 " - vmalloc_reserve 0x%" PRIx64 " <= 0", c->vmalloc_end,
				    c->page_offset, c->vmalloc_reserve);
	if (c->vmalloc_start >= c->vmalloc_end)
		return config_error(c, err, CFG_VMALLOC_START, CFG_VMALLOC_END,
				    "layout.vmalloc.start 0x%" PRIx64 " is not below "
				    "layout.vmalloc.end 0x%" PRIx64, c->vmalloc_start, c->vmalloc_end);
	if (c->vmalloc_start < c->high_memory)
		return config_error(c, err, CFG_VMALLOC_START, -1,
				    "layout.vmalloc.start 0x%" PRIx64 " is below high_memory 0x%"
				    PRIx64, c->vmalloc_start, c->high_memory);
	return 0;
}

static int layout64_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	static const struct { int id; uint64_t align; const char *why; } al[] = {
		{ CFG_TASK_SIZE, PAGE, " (the page size)" },
		{ CFG_PAGE_OFFSET, GiB, " (the direct map uses 1GiB pages)" },
		{ CFG_VMALLOC_START, GiB, " (a PUD entry)" },
		{ CFG_VMALLOC_END, GiB, " (a PUD entry)" },
		{ CFG_VMEMMAP, GiB, " (a PUD entry)" },
		{ CFG_KERNEL_MAP, 2 * MiB, " (a PMD entry)" },
		{ CFG_MODULES_START, 2 * MiB, " (a PMD entry)" },
		{ CFG_MODULES_END, 2 * MiB, " (a PMD entry)" },
		{ CFG_FIXADDR_TOP, PAGE, " (the page size)" },
	};
	/* the kernel half in address order, each ending below the next */
	static const int order[] = { CFG_PAGE_OFFSET, CFG_VMALLOC_START, CFG_VMALLOC_END,
				     CFG_VMEMMAP, CFG_KERNEL_MAP, CFG_MODULES_START,
				     CFG_MODULES_END, CFG_FIXADDR_TOP };
	uint64_t memmap = (c->mem_size / PAGE) * 64;	/* sizeof(struct page) */
	const uint64_t user_top = c->paging == PAGING_LA57 ? 0x00fffffffffff000ULL
							   : 0x00007ffffffff000ULL;
	char b1[32];
	int ret;

	for (size_t i = 0; i < sizeof(al) / sizeof(al[0]); i++) {
		uint64_t v = config_key_value(c, al[i].id);

		if (!canonical(c, v))
			return config_error(c, err, al[i].id, -1,
					    "%s 0x%" PRIx64 " is not canonical (%s)",
					    config_key_path(al[i].id), v,
					    c->paging == PAGING_LA57 ? "57-bit" : "48-bit");
		ret = config_check_align(c, err, al[i].id, al[i].align, al[i].why);
		if (ret)
			return ret;
	}
	/* TASK_SIZE_MAX: (1 << __VIRTUAL_MASK_SHIFT) - PAGE_SIZE */
	if (c->task_size > user_top)
		return config_error(c, err, CFG_TASK_SIZE, -1,
				    "layout.task_size 0x%" PRIx64 " is above the user half (0x%"
				    PRIx64 ")", c->task_size, user_top);
	if (c->page_offset < ~(user_top | 0xfff))
		return config_error(c, err, CFG_PAGE_OFFSET, -1,
				    "layout.page_offset 0x%" PRIx64 " is not in the kernel half",
				    c->page_offset);
	for (size_t i = 1; i < sizeof(order) / sizeof(order[0]); i++) {
		uint64_t lo = config_key_value(c, order[i - 1]), hi = config_key_value(c, order[i]);

		if (lo >= hi)
			return config_error(c, err, order[i], order[i - 1],
					    "%s 0x%" PRIx64 " must be above %s 0x%" PRIx64,
					    config_key_path(order[i]), hi,
					    config_key_path(order[i - 1]), lo);
	}
	if (c->vmalloc_start - c->page_offset < c->mem_size)
		return config_error(c, err, CFG_MEM_SIZE, CFG_VMALLOC_START,
				    "the direct map of %s at 0x%" PRIx64
				    " runs into layout.vmalloc.start", fmt_size(c->mem_size, b1),
				    c->page_offset);
	if (c->kernel_map - c->vmemmap < memmap)
		return config_error(c, err, CFG_KERNEL_MAP, CFG_VMEMMAP,
				    "the vmemmap of %s at 0x%" PRIx64 " runs into layout.kernel_map",
				    fmt_size(c->mem_size, b1), c->vmemmap);
	/* the text mapping maps physical 0.. at kernel_map; modules follow */
	if (c->modules_start - c->kernel_map < c->kernel_start + c->kernel_size)
		return config_error3(c, err, CFG_KERNEL_SIZE, CFG_KERNEL_START, CFG_MODULES_START,
				     "the kernel image (ending at %s) does not fit between "
				     "layout.kernel_map 0x%" PRIx64 " and layout.modules.start 0x%"
				     PRIx64,
				     fmt_size(c->kernel_start + c->kernel_size, b1), c->kernel_map,
				     c->modules_start);
	/* VSYSCALL_PAGE is a fixmap slot, so FIXADDR_TOP is above it, and
	 * early_ioremap_init() wants fix_to_virt(0) + PAGE_SIZE PMD aligned */
	if (c->fixaddr_top <= 0xffffffffff600000ULL || ((c->fixaddr_top + PAGE) & (2 * MiB - 1)))
		return config_error(c, err, CFG_FIXADDR_TOP, -1,
				    "layout.fixaddr_top 0x%" PRIx64 " must be above the vsyscall page "
				    "0xffffffffff600000 with fixaddr_top + 4KiB aligned to 2MiB",
				    c->fixaddr_top);
	if (c->modules_end > c->fixaddr_tot_start)
		return config_error(c, err, CFG_MODULES_END, CFG_FIXADDR_TOP,
				    "layout.modules.end 0x%" PRIx64 " runs into the fixmap at 0x%"
				    PRIx64, c->modules_end, c->fixaddr_tot_start);
	return 0;
}

int process_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	char b1[32];
	int ret = config_check_align(c, err, CFG_MMAP_MIN_ADDR, PAGE, " (the page size)");

	if (ret)
		return ret;
	if (!config_is_64(c) && c->stack_rlimit != CFG_UNLIMITED && c->stack_rlimit > 0xffffffffULL)
		return config_error(c, err, CFG_STACK_RLIMIT, CFG_ARCH,
				    "process.stack_rlimit %s does not fit a 32-bit rlimit "
				    "(use unlimited)",
				    fmt_size(c->stack_rlimit, b1));
	if (!config_is_64(c) && c->memlock_rlimit != CFG_UNLIMITED && c->memlock_rlimit > 0xffffffffULL)
		return config_error(c, err, CFG_MEMLOCK_RLIMIT, CFG_ARCH,
				    "process.memlock_rlimit %s does not fit a 32-bit rlimit "
				    "(use unlimited)",
				    fmt_size(c->memlock_rlimit, b1));
	if (c->mmap_min_addr >= c->mmap_base)
		return config_error(c, err, CFG_MMAP_MIN_ADDR, CFG_TASK_SIZE,
				    "process.mmap_min_addr 0x%" PRIx64 " is not below mmap_base 0x%"
				    PRIx64, c->mmap_min_addr, c->mmap_base);
	return 0;
}

int layout_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	return config_is_64(c) ? layout64_config_check(c, err) : layout32_config_check(c, err);
}

const struct config_rule machine_config_rules[] = {
	{ "cpu", cpu_config_check },			/* mmu */
	{ "swap", swap_config_check },			/* vma */
	{ "memory", memory_config_check },		/* phys */
	{ "layout", layout_config_check },		/* kern */
	{ "reserve", reserve_config_check },		/* phys */
	{ "kernel_image", kernel_image_config_check },	/* phys */
	{ "zones", zones_config_check },		/* phys */
	{ "tlb", tlb_config_check },			/* mmu */
	{ "process", process_config_check },		/* kern */
	{ "pagecache", pagecache_config_check },	/* vma */
	{ NULL, NULL },
};
