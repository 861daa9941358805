/*
 * bench_memory: the host cost of simulated physical memory.
 *
 *  1. boot a 64 GiB x86_64 machine: wall time (goal < 1 s) and host RSS
 *     growth before any frame is touched (goal <= 16 MiB): RAM and mem_map
 *     are lazy mappings and deferred struct page init leaves free
 *     max-order blocks unwritten;
 *  2. allocate 1 GiB of frames and write every byte: RSS growth against
 *     the 1 GiB written (goal <= 1.08x; the overhead is the struct pages
 *     initialized on the way, 48 bytes per 4 KiB = 1.2%).
 *
 * Prints figure, reference and ratio.  Not a test: nothing is asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kern/kern_config.h"
#include "phys/mmzone.h"
#include "util/config.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Resident set size in bytes, from /proc/self/statm. */
static double rss(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

int main(void)
{
	const double MiB = 1024.0 * 1024.0, GiB = 1024.0 * MiB;
	struct vmsim_config cfg;
	struct vmsim_error err = { 0 };
	struct host_arena ha;
	struct phys_mem pm;
	struct page *blocks[256];
	double r0, r1, r2, t0, boot;
	unsigned n = 0;

	if (config_builtin(&cfg, "x86_64", machine_config_rules, &err))
		return 1;
	cfg.mem_size = 64ULL << 30;
	if (config_finalize(&cfg, machine_config_rules, &err)) {
		fprintf(stderr, "config: %s\n", err.msg);
		return 1;
	}
	host_arena_init(&ha);
	r0 = rss();
	t0 = now();
	if (phys_init(&pm, &cfg, &ha, &err)) {
		fprintf(stderr, "phys_init: %s\n", err.msg);
		return 1;
	}
	boot = now() - t0;
	r1 = rss();
	pm.page_poisoning = false;
	printf("64 GiB x86_64 boot time      %10.4f s     reference %8.4f s     ratio %.3f\n",
	       boot, 1.0, boot / 1.0);
	printf("64 GiB x86_64 boot RSS       %10.2f MiB   reference %8.2f MiB   ratio %.3f\n",
	       (r1 - r0) / MiB, 16.0, (r1 - r0) / MiB / 16.0);

	/* 1 GiB = 256 max-order (4 MiB) blocks, every byte written */
	for (n = 0; n < 256; n++) {
		blocks[n] = alloc_pages(&pm, GFP_KERNEL, 10);
		if (!blocks[n]) {
			fprintf(stderr, "allocation %u failed\n", n);
			return 1;
		}
		memset(page_host(&pm, blocks[n]), 0x5a, PAGE_SIZE << 10);
	}
	r2 = rss();
	printf("RSS after writing 1 GiB      %10.2f MiB   reference %8.2f MiB   ratio %.3f\n",
	       (r2 - r0) / MiB, 1024.0, (r2 - r0) / GiB);
	while (n--)
		__free_pages(&pm, blocks[n], 10);
	phys_finish(&pm);
	host_arena_finish(&ha);
	return 0;
}
