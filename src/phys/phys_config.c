/*
 * Config rules of the physical-memory layer (see phys_config.h): what
 * phys_init() can lay out.  RAM must be addressable by the paging mode
 * (MAX_PHYSMEM_BITS under PAE, MAXPHYADDR on x86_64) and split into nodes
 * of whole max-order blocks; the boot reservations (reserve, the kernel
 * image) must be whole pages inside RAM that do not collide; zone bounds
 * must ascend and the watermark and per-CPU list knobs must fit lowmem.
 *
 * Invariant: a config these rules accept boots phys_init() without a
 * partial block, an overlapping reservation or an empty lowmem, and
 * leaves the buddy allocator able to hand out THREAD_SIZE blocks.
 */
#include "phys/phys_config.h"

#include <inttypes.h>
#include <stdio.h>

#include "util/parse.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define PAGE 4096ULL

int memory_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	/* PAE: MAX_PHYSMEM_BITS 36 (sparsemem.h), below MAXPHYADDR */
	uint64_t limit = config_is_64(c) ? 1ULL << c->phys_bits
			 : c->paging == PAGING_PAE ? 1ULL << (c->phys_bits < 36 ? c->phys_bits : 36)
			 : 4 * GiB;
	uint64_t block = PAGE << c->max_order;
	char b1[32], b2[32];

	if (c->mem_size & (PAGE - 1))
		return config_error(c, err, CFG_MEM_SIZE, -1,
				    "memory.size 0x%" PRIx64 " is not a multiple of the page size (4KiB)",
				    c->mem_size);
	if (c->mem_size > limit) {
		if (!config_is_64(c) && c->paging != PAGING_PAE)
			return config_error(c, err, CFG_MEM_SIZE, CFG_ARCH,
					    "memory.size %s is more than x86_32 without PAE can "
					    "address (4GiB)", fmt_size(c->mem_size, b1));
		if (!config_is_64(c))
			return config_error(c, err, CFG_MEM_SIZE, CFG_CPU_PAGING,
					    "memory.size %s is more than a PAE kernel can address "
					    "(MAX_PHYSMEM_BITS: %s)", fmt_size(c->mem_size, b1),
					    fmt_size(limit, b2));
		return config_error(c, err, CFG_MEM_SIZE, CFG_CPU_PHYS_BITS,
				    "memory.size %s is more than %u physical address bits can address (%s)",
				    fmt_size(c->mem_size, b1), c->phys_bits, fmt_size(limit, b2));
	}
	/* fork/spawn/exec take THREAD_SIZE from the buddy allocator: a
	 * smaller max_order could boot but never create a task */
	if (c->max_order < config_thread_size_order(c))
		return config_error(c, err, CFG_MAX_ORDER, CFG_ARCH,
				    "buddy.max_order %u is below THREAD_SIZE_ORDER %u: %s's %s kernel "
				    "stacks could never be allocated (at least %u)", c->max_order,
				    config_thread_size_order(c), config_arch_name(c->arch),
				    config_is_64(c) ? "16KiB" : "8KiB", config_thread_size_order(c));
	/* every later rule adds the image's start and size */
	if (c->kernel_start + c->kernel_size < c->kernel_start)
		return config_error(c, err, CFG_KERNEL_SIZE, CFG_KERNEL_START,
				    "kernel_image.start 0x%" PRIx64 " + kernel_image.size 0x%" PRIx64
				    " wraps past 2^64", c->kernel_start, c->kernel_size);
	if (c->mem_size % c->nodes || (c->mem_size / c->nodes) % block)
		return config_error(c, err, CFG_MEM_NODES, CFG_MEM_SIZE,
				    "memory.size %s does not split into %u node(s) of whole %s "
				    "max-order blocks", fmt_size(c->mem_size, b1), c->nodes,
				    fmt_size(block, b2));
	return 0;
}

int reserve_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	char b1[32], b2[32], b3[32];

	for (unsigned i = 0; i < c->nr_reserve; i++) {
		const struct cfg_reserve *r = &c->reserve[i];
		const struct cfg_src *src = config_given(c, CFG_RESERVE) ? &r->src
			: config_given(c, CFG_MEM_SIZE) ? &c->src[CFG_MEM_SIZE] : NULL;

		if ((r->start | r->size) & (PAGE - 1))
			return config_error_at(c, err, src, "reserve '%s' [0x%" PRIx64 ", +0x%" PRIx64
					       ") is not page aligned (4KiB)", r->name, r->start,
					       r->size);
		if (r->start >= c->mem_size || c->mem_size - r->start < r->size)
			/* start + size may wrap: say it as start and size */
			return config_error_at(c, err, src, "reserve '%s' [0x%" PRIx64 ", +%s) lies "
					       "beyond the end of RAM (%s)", r->name, r->start,
					       fmt_size(r->size, b2), fmt_size(c->mem_size, b3));
		for (unsigned j = 0; j < i; j++) {
			const struct cfg_reserve *o = &c->reserve[j];

			if (r->start < o->start + o->size && o->start < r->start + r->size)
				return config_error_at(c, err, src,
						       "reserve '%s' overlaps reserve '%s' [%s, %s)",
						       r->name, o->name, fmt_size(o->start, b1),
						       fmt_size(o->start + o->size, b2));
		}
	}
	return 0;
}

int kernel_image_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	uint64_t end = c->kernel_start + c->kernel_size;
	char b1[32], b2[32], b3[32], b4[32];
	int ret;

	/* CONFIG_PHYSICAL_ALIGN: x86_64 maps its text with 2 MiB pages */
	ret = config_check_align(c, err, CFG_KERNEL_START, config_is_64(c) ? 2 * MiB : PAGE,
				 config_is_64(c) ? " (CONFIG_PHYSICAL_ALIGN)" : " (the page size)");
	if (!ret)
		ret = config_check_align(c, err, CFG_KERNEL_SIZE, PAGE, " (the page size)");
	if (ret)
		return ret;
	if (end > c->mem_size)
		return config_error(c, err, CFG_MEM_SIZE, CFG_KERNEL_START,
				    "memory.size %s is smaller than the end of the kernel image (%s)",
				    fmt_size(c->mem_size, b1), fmt_size(end, b2));
	if (end > c->lowmem_end)
		return config_error3(c, err, CFG_KERNEL_START, CFG_KERNEL_SIZE, CFG_VMALLOC_RESERVE,
				     "kernel_image ends at %s, above the end of lowmem (0x%" PRIx64 ")",
				     fmt_size(end, b1), c->lowmem_end);
	for (unsigned i = 0; i < c->nr_reserve; i++) {
		const struct cfg_reserve *r = &c->reserve[i];
		char m[sizeof(err->msg)];

		if (!(c->kernel_start < r->start + r->size && r->start < end))
			continue;
		snprintf(m, sizeof(m), "kernel_image [%s, %s) overlaps reserve '%s' [%s, %s)",
			 fmt_size(c->kernel_start, b1), fmt_size(end, b2), r->name,
			 fmt_size(r->start, b3), fmt_size(r->start + r->size, b4));
		/* at the image if the user placed it, else at the reserve */
		if (config_given(c, CFG_KERNEL_START) || config_given(c, CFG_KERNEL_SIZE) ||
		    !config_given(c, CFG_RESERVE))
			return config_error(c, err, CFG_KERNEL_START, CFG_KERNEL_SIZE, "%s", m);
		return config_error_at(c, err, &r->src, "%s", m);
	}
	return 0;
}

/*
 * Zones are upper bounds: DMA < DMA32 <= 4 GiB (x86_64), DMA <= the lowmem
 * limit MAXMEM (x86_32).  A bound above the end of RAM is fine: that zone
 * and those above it are simply empty, as on a small real machine.
 */
int zones_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	char b1[32], b2[32];
	int ret = config_check_align(c, err, CFG_ZONE_DMA, PAGE, " (the page size)");

	if (ret)
		return ret;
	if (config_is_64(c)) {
		ret = config_check_align(c, err, CFG_ZONE_DMA32, PAGE, " (the page size)");
		if (ret)
			return ret;
		if (c->zone_dma_end >= c->zone_dma32_end)
			return config_error(c, err, CFG_ZONE_DMA, CFG_ZONE_DMA32,
					    "zones.DMA %s must be below zones.DMA32 %s",
					    fmt_size(c->zone_dma_end, b1),
					    fmt_size(c->zone_dma32_end, b2));
	} else if (c->zone_dma_end > c->maxmem) {
		return config_error(c, err, CFG_ZONE_DMA, -1,
				    "zones.DMA %s is above the end of lowmem (MAXMEM 0x%" PRIx64 ")",
				    fmt_size(c->zone_dma_end, b1), c->maxmem);
	}
	if (c->min_free_kbytes && c->min_free_kbytes >= c->lowmem_end / KiB)
		return config_error(c, err, CFG_MIN_FREE_KBYTES, -1,
				    "buddy.min_free_kbytes %" PRIu64 " is not below lowmem (%s)",
				    c->min_free_kbytes, fmt_size(c->lowmem_end, b1));
	/* the sysctl's handler refuses 1..7 (MIN_PERCPU_PAGELIST_HIGH_FRACTION) */
	if (c->pcp_high_fraction && c->pcp_high_fraction < 8)
		return config_error(c, err, CFG_PCP_HIGH_FRACTION, -1,
				    "buddy.percpu_pagelist_high_fraction %u must be 0 (auto) or at "
				    "least 8", c->pcp_high_fraction);
	return 0;
}
