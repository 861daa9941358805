/*
 * bench_buddy: throughput of the buddy allocator's hot paths against the
 * host's own allocator (jemalloc when built with it, else libc malloc)
 * measured in the same run, so the ratio is stable across machines.
 *
 *  1. order-0 alloc_pages + __free_pages pairs vs malloc(4096) + free,
 *     (a) on a fresh machine, where every order-0 page comes from
 *     splitting a max-order block and every free merges it back (the
 *     worst case without Linux's per-CPU lists), and (b) warm, with one
 *     order-0 page held so the order-0 list is never empty;
 *  2. mixed orders 0-10 through a window of 64 live blocks (free the
 *     oldest, allocate the next) vs malloc(4096 << order) the same way.
 *
 * Each measurement alternates the two sides ROUNDS times and keeps each
 * side's best time, so a busy host (other jobs) disturbs the ratio less.
 * Prints ops/s of each side and the time ratio (goal: order-0 <= 2x,
 * mixed <= 4x the reference's time).  Not a test: nothing is asserted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

static void report(const char *what, long n, double t, double ref)
{
	printf("%-34s %12.0f ops/s   reference %12.0f ops/s   time ratio %.2fx\n",
	       what, n / t, n / ref, t / ref);
}

static double best(double a, double b)
{
	return a < b ? a : b;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 4000000;
	long nm = n / 4;
	struct vmsim_config cfg;
	struct vmsim_error err = { 0 };
	struct host_arena ha;
	struct phys_mem pm;
	unsigned char *orders = malloc((size_t)nm);
	uint64_t s = 88172645463325252ULL;
	struct page *held;
	double t, ref;

	if (!orders || config_builtin(&cfg, "x86_64", &err))
		return 1;
	host_arena_init(&ha);
	if (phys_init(&pm, &cfg, &ha, &err)) {
		fprintf(stderr, "phys_init: %s\n", err.msg);
		return 1;
	}
	pm.page_poisoning = false;
	printf("machine: x86_64 4 GiB, max_order %u; %ld pairs, %ld mixed ops\n",
	       pm.max_order, n, nm);

	/* warm both sides up once */
	run_pairs(&pm, n / 10);
	run_malloc_pairs(n / 10);

	t = ref = 1e9;
	for (int r = 0; r < ROUNDS; r++) {
		ref = best(ref, run_malloc_pairs(n));
		t = best(t, run_pairs(&pm, n));
	}
	report("order-0 pair, fresh (split/merge)", n, t, ref);

	held = alloc_pages(&pm, GFP_KERNEL, 0);	/* its buddy stays on list 0 */
	t = ref = 1e9;
	for (int r = 0; r < ROUNDS; r++) {
		ref = best(ref, run_malloc_pairs(n));
		t = best(t, run_pairs(&pm, n));
	}
	report("order-0 pair, warm list", n, t, ref);
	__free_pages(&pm, held, 0);

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
	report("mixed orders 0-10, 64 live", nm, t, ref);

	if (nr_free_pages(&pm) != pm.totalram_pages || pm.vmstat.bad_page) {
		fprintf(stderr, "bench_buddy: free count not restored\n");
		return 1;
	}
	phys_finish(&pm);
	host_arena_finish(&ha);
	free(orders);
	return 0;
}
