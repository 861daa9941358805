/*
 * Config rules of the vma layer (see vma_config.h): the swap area
 * sys_swapon() gets at boot must be one mkswap could write, and the
 * fault-around window one the sysctl would take.
 *
 * Invariant: a config these rules accept gives swapfile.c an area of
 * whole pages with room for its header, and filemap.c a fault-around
 * window of a power-of-two number of pages within one page table.
 */
#include "vma/vma_config.h"

#include <inttypes.h>

#include "util/parse.h"

#define PAGE 4096ULL

int swap_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	char b1[32];

	/* mkswap's limits: whole pages, at least ten of them */
	if (c->swap_size & (PAGE - 1))
		return config_error(c, err, CFG_SWAP_SIZE, -1,
				    "swap.size 0x%" PRIx64 " is not a multiple of the page size (4KiB)",
				    c->swap_size);
	if (c->swap_size && c->swap_size < 10 * PAGE)
		return config_error(c, err, CFG_SWAP_SIZE, -1,
				    "swap.size %s is too small for a swap area (at least 40KiB)",
				    fmt_size(c->swap_size, b1));
	return 0;
}

int pagecache_config_check(const struct vmsim_config *c, struct vmsim_error *err)
{
	char b1[32];

	/* fault_around_bytes_set(): at most one page table's worth, a power of
	 * two number of pages; 0 means one page, which is no fault-around at
	 * all (the kernel's max(val, PAGE_SIZE); config_derive() makes it so) */
	if ((c->fault_around_bytes && !config_is_pow2(c->fault_around_bytes)) ||
	    c->fault_around_bytes > (config_is_64(c) ? 512 : 1024) * PAGE)
		return config_error(c, err, CFG_FAULT_AROUND_BYTES, -1,
				    "pagecache.fault_around_bytes %s must be a power of two from 4KiB "
				    "to %s", fmt_size(c->fault_around_bytes, b1),
				    config_is_64(c) ? "2MiB" : "4MiB");
	return 0;
}
