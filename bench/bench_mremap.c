/*
 * bench_mremap: mremap() moving a populated 1 GiB anonymous region, beside
 * the time it took to populate it (one write per page through the fault
 * path), in the same run: the ratio is move / populate.  A move takes the
 * page tables along, not the pages, so it should cost a small fraction of
 * the population (target <= 0.05 when the ends are 2 MiB-aligned).
 *
 *   PMD-aligned   source and destination 2 MiB-aligned: whole PTE tables
 *                 are relinked (move_normal_pmd), 512 of them
 *   PUD-aligned   both 1 GiB-aligned: the one PMD table is relinked
 *                 (move_normal_pud)
 *   unaligned     the destination 4 KiB off: every PTE moves (move_ptes)
 *
 * The host kernel does the same (mmap, write per page, mremap FIXED) for
 * comparison.  Not a test: nothing is asserted.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "vma/mm.h"
#include "vmsim/machine.h"

#define GIB (1ULL << 30)
#define PAGES (GIB >> 12)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct result {
	double populate, move;
};

/* Populate 1 GiB at @src in a fresh machine, then move it to @dst. */
static struct result sim_run(uint64_t src, uint64_t dst)
{
	const char *sets[] = { "memory.size=2GiB", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	struct access_result ar;
	struct task_struct *t;
	struct result r;
	uint8_t one = 1;
	int64_t got;
	double t0;

	if (!m || task_spawn(m, "bench", NULL, &t)) {
		fprintf(stderr, "boot: %s\n", err.msg);
		exit(1);
	}
	if (vm_mmap(t->mm, NULL, src, GIB, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0) != (int64_t)src) {
		fprintf(stderr, "mmap failed\n");
		exit(1);
	}
	t0 = now();
	for (uint64_t i = 0; i < PAGES; i++)
		task_access(t, src + (i << 12), MMU_WRITE, &one, 1, &ar);
	r.populate = now() - t0;
	t0 = now();
	got = do_mremap(t->mm, src, GIB, GIB, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	r.move = now() - t0;
	if (got != (int64_t)dst || get_mm_rss(t->mm) != PAGES) {
		fprintf(stderr, "mremap: %lld, rss %lu\n", (long long)got, get_mm_rss(t->mm));
		exit(1);
	}
	vmsim_machine_destroy(m);
	return r;
}

static struct result host_run(uint64_t dst_off)
{
	struct result r = { 1, 0 };
	char *p, *q, *d;
	double t0;

	/* a 2 GiB-aligned reservation keeps the host's ends where we want */
	p = mmap(NULL, 5 * GIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return r;
	q = (char *)(((uintptr_t)p + GIB - 1) & ~(uintptr_t)(GIB - 1));
	d = q + 2 * GIB + dst_off;
	if (mmap(q, GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	    MAP_FAILED)
		return r;
	t0 = now();
	for (uint64_t i = 0; i < PAGES; i++)
		q[i << 12] = 1;
	r.populate = now() - t0;
	t0 = now();
	if (mremap(q, GIB, GIB, MREMAP_MAYMOVE | MREMAP_FIXED, d) == MAP_FAILED)
		r.move = -1;
	else
		r.move = now() - t0;
	munmap(p, 5 * GIB);
	return r;
}

static void report(const char *what, struct result s, struct result h)
{
	printf("%-14s sim: populate %7.1f ms  move %8.3f ms  ratio %.4f (target <= 0.05)%s"
	       "   host: populate %7.1f ms  move %8.3f ms  ratio %.4f\n",
	       what, s.populate * 1e3, s.move * 1e3, s.move / s.populate,
	       s.move / s.populate <= 0.05 ? "" : "  MISSED", h.populate * 1e3, h.move * 1e3,
	       h.move / h.populate);
}

int main(void)
{
	const bool host = !getenv("BENCH_SIM_ONLY");
	const struct result none = { 1, 0 };

	printf("mremap of a populated 1 GiB anonymous region, x86_64\n");
	report("PMD-aligned", sim_run(0x40200000, 0x100200000),
	       host ? host_run(2ULL << 20) : none);
	report("PUD-aligned", sim_run(0x40000000, 0x100000000), host ? host_run(0) : none);
	report("unaligned", sim_run(0x40000000, 0x100001000), host ? host_run(4096) : none);
	return 0;
}
