/*
 * bench_buddy: throughput of the buddy allocator's hot paths against the
 * host's own allocator (jemalloc when built with it, else libc malloc)
 * measured in the same run, so the ratio is stable across machines.
 *
 *  1. order-0 alloc_pages + __free_pages pairs vs malloc(4096) + free on
 *     the default machine, where they go through the per-CPU page lists
 *     (the target), and for comparison with `buddy.pcp: false`: (a) on a
 *     fresh machine, where every order-0 page comes from splitting a
 *     max-order block and every free merges it back, and (b) warm, with
 *     one order-0 page held so the order-0 list is never empty;
 *  2. mixed orders 0-10 through a window of 64 live blocks (free the
 *     oldest, allocate the next) vs malloc(4096 << order) the same way,
 *     default machine.
 *
 * Each measurement alternates the two sides ROUNDS times and keeps each
 * side's best time, so a busy host (other jobs) disturbs the ratio less.
 * Prints ops/s of each side and the time ratio (goal: order-0 <= 2x,
 * mixed <= 4x the reference's time).  Not a test: nothing is asserted but
 * that every page comes back (after drain_all_pages()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kern/kern_config.h"
#include "phys/mmzone.h"
#include "util/config.h"

#define WINDOW 64
#define ROUNDS 5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *volatile sink;

static double run_pairs(struct phys_mem *pm, long n)
{
	double t = now();

	for (long i = 0; i < n; i++) {
		struct page *p = alloc_pages(pm, GFP_KERNEL, 0);

		sink = p;
		__free_pages(pm, p, 0);
	}
	return now() - t;
}

static double run_malloc_pairs(long n)
{
	double t = now();

	for (long i = 0; i < n; i++) {
		void *p = malloc(4096);

		sink = p;
		free(p);
	}
	return now() - t;
}

static double run_mixed(struct phys_mem *pm, const unsigned char *orders, long n)
{
	struct page *win[WINDOW] = { 0 };
	unsigned char word[WINDOW] = { 0 };
	double t = now();

	for (long i = 0; i < n; i++) {
		unsigned slot = (unsigned)(i % WINDOW);

		if (win[slot])
			__free_pages(pm, win[slot], word[slot]);
		word[slot] = orders[i];
		win[slot] = alloc_pages(pm, GFP_KERNEL, orders[i]);
	}
	for (unsigned s = 0; s < WINDOW; s++)
		if (win[s])
			__free_pages(pm, win[s], word[s]);
	return now() - t;
}

static double run_malloc_mixed(const unsigned char *orders, long n)
{
	void *win[WINDOW] = { 0 };
	double t = now();

	for (long i = 0; i < n; i++) {
		unsigned slot = (unsigned)(i % WINDOW);

		free(win[slot]);
		win[slot] = malloc((size_t)4096 << orders[i]);
		sink = win[slot];
	}
	for (unsigned s = 0; s < WINDOW; s++)
		free(win[s]);
	return now() - t;
}

static void report(const char *what, long n, double t, double ref, double target)
{
	printf("%-44s %12.0f ops/s   reference %12.0f ops/s   time ratio %.2fx", what, n / t,
	       n / ref, t / ref);
	if (target > 0)
		printf(" (target <= %.0fx%s)", target, t / ref <= target ? ", met" : ", MISSED");
	printf("\n");
}

static double best(double a, double b)
{
	return a < b ? a : b;
}

/* ROUNDS alternations of the pair loop and malloc's; the best of each. */
static void bench_pairs(struct phys_mem *pm, long n, const char *what, double target)
{
	double t = 1e9, ref = 1e9;

	for (int r = 0; r < ROUNDS; r++) {
		ref = best(ref, run_malloc_pairs(n));
		t = best(t, run_pairs(pm, n));
	}
	report(what, n, t, ref, target);
}

static int boot(struct phys_mem *pm, struct vmsim_config *cfg, struct host_arena *ha, bool pcp)
{
	struct vmsim_error err = { 0 };

	if (config_builtin(cfg, "x86_64", machine_config_rules, &err))
		return -1;
	cfg->pcp = pcp;
	if (phys_init(pm, cfg, ha, &err)) {
		fprintf(stderr, "phys_init: %s\n", err.msg);
		return -1;
	}
	pm->page_poisoning = false;
	return 0;
}

/* Every page back in the buddy lists, and no bad_page() report. */
static bool all_back(struct phys_mem *pm)
{
	drain_all_pages(pm, NULL);
	return nr_free_pages(pm) == pm->totalram_pages && !pm->vmstat.bad_page;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 4000000;
	long nm = n / 4;
	struct vmsim_config cfg, cfg_off;
	struct host_arena ha;
	struct phys_mem pm, pm_off;
	unsigned char *orders = malloc((size_t)nm);
	uint64_t s = 88172645463325252ULL;
	struct page *held;
	struct zone *z;
	double t, ref;

	host_arena_init(&ha);
	if (!orders || boot(&pm, &cfg, &ha, true) || boot(&pm_off, &cfg_off, &ha, false))
		return 1;
	z = pm.node_data[0].zonelist[gfp_zone(&pm, GFP_KERNEL)][0];
	printf("machine: x86_64 4 GiB, max_order %u, GFP_KERNEL from %s (pcp batch %d, high %d..%d);"
	       " %ld pairs, %ld mixed ops\n", pm.max_order, z->name, z->pageset_batch,
	       z->pageset_high_min, z->pageset_high_max, n, nm);

	/* warm both sides up once */
	run_pairs(&pm, n / 10);
	run_malloc_pairs(n / 10);

	bench_pairs(&pm, n, "order-0 pair (per-CPU lists, the default)", 2);
	bench_pairs(&pm_off, n, "order-0 pair, pcp off, fresh (split/merge)", 0);
	held = alloc_pages(&pm_off, GFP_KERNEL, 0);	/* its buddy stays on list 0 */
	bench_pairs(&pm_off, n, "order-0 pair, pcp off, warm list", 0);
	__free_pages(&pm_off, held, 0);

	for (long i = 0; i < nm; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		orders[i] = (unsigned char)(s % 11);
	}
	t = ref = 1e9;
	for (int r = 0; r < ROUNDS; r++) {
		ref = best(ref, run_malloc_mixed(orders, nm));
		t = best(t, run_mixed(&pm, orders, nm));
	}
	report("mixed orders 0-10, 64 live", nm, t, ref, 4);

	if (!all_back(&pm) || !all_back(&pm_off)) {
		fprintf(stderr, "bench_buddy: free count not restored\n");
		return 1;
	}
	phys_finish(&pm);
	phys_finish(&pm_off);
	host_arena_finish(&ha);
	free(orders);
	return 0;
}
