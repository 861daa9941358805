/*
 * bench_slab: throughput of kmalloc/kfree against the host's allocator
 * (jemalloc when built with it, else libc malloc) measured in the same
 * run, so the ratio is stable across machines.
 *
 *  1. kmalloc + kfree pairs of 32, 256 and 4096 bytes vs malloc + free
 *     of the same size (goal: at most 2x the reference's time);
 *  2. the same sizes through a window of 256 live objects (free the
 *     oldest, allocate the next), which walks the partial/full lists and
 *     grows and shrinks slabs, vs malloc the same way;
 *  3. kmem_cache_alloc + kmem_cache_free pairs of a 200-byte cache.
 *
 * Each object's first byte is written, as a caller would.  Each side
 * runs several rounds, alternating, and keeps its best (the host is
 * shared).  Prints ops/s of each side and the time ratio.  Not a test:
 * nothing is asserted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kern/kern_config.h"
#include "phys/mmzone.h"
#include "phys/slab.h"
#include "util/config.h"
#include "vmsim-config.h"

#define WINDOW 256

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *volatile sink;

static double run_kmalloc_pairs(struct phys_mem *pm, size_t size, long n)
{
	double t = now();

	for (long i = 0; i < n; i++) {
		char *p = kmalloc(pm, size, GFP_KERNEL);

		p[0] = (char)i;
		sink = p;
		kfree(pm, p);
	}
	return now() - t;
}

static double run_malloc_pairs(size_t size, long n)
{
	double t = now();

	for (long i = 0; i < n; i++) {
		char *p = malloc(size);

		p[0] = (char)i;
		sink = p;
		free(p);
	}
	return now() - t;
}

static double run_kmalloc_window(struct phys_mem *pm, size_t size, long n)
{
	char *win[WINDOW] = { 0 };
	double t = now();

	for (long i = 0; i < n; i++) {
		unsigned slot = (unsigned)(i % WINDOW);

		kfree(pm, win[slot]);
		win[slot] = kmalloc(pm, size, GFP_KERNEL);
		win[slot][0] = (char)i;
	}
	for (unsigned s = 0; s < WINDOW; s++)
		kfree(pm, win[s]);
	return now() - t;
}

static double run_malloc_window(size_t size, long n)
{
	char *win[WINDOW] = { 0 };
	double t = now();

	for (long i = 0; i < n; i++) {
		unsigned slot = (unsigned)(i % WINDOW);

		free(win[slot]);
		win[slot] = malloc(size);
		win[slot][0] = (char)i;
	}
	for (unsigned s = 0; s < WINDOW; s++)
		free(win[s]);
	return now() - t;
}

static double run_cache_pairs(struct kmem_cache *s, long n)
{
	double t = now();

	for (long i = 0; i < n; i++) {
		char *p = kmem_cache_alloc(s, GFP_KERNEL);

		p[0] = (char)i;
		sink = p;
		kmem_cache_free(s, p);
	}
	return now() - t;
}

/*
 * The host is shared, so one long run mostly measures the neighbours:
 * each side runs ROUNDS times, alternating, and keeps its best time.
 */
#define ROUNDS 7
#define BEST(tvar, call)                                     \
	do {                                                 \
		double t1_ = (call);                         \
		if (t1_ < (tvar))                            \
			(tvar) = t1_;                        \
	} while (0)

static void report(const char *what, long n, double t, double ref)
{
	printf("%-36s %12.0f ops/s   reference %12.0f ops/s   time ratio %.2fx\n", what, n / t,
	       n / ref, t / ref);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000000;
	static const size_t sizes[] = { 32, 256, 4096 };
	struct vmsim_config cfg;
	struct vmsim_error err = { 0 };
	struct host_arena ha;
	struct phys_mem pm;
	struct kmem_cache *s;
	char what[64];
	double t, ref;

	if (config_builtin(&cfg, "x86_64", machine_config_rules, &err))
		return 1;
	host_arena_init(&ha);
	if (phys_init(&pm, &cfg, &ha, &err) || kmem_cache_init(&pm)) {
		fprintf(stderr, "bench_slab: boot failed: %s\n", err.msg);
		return 1;
	}
	pm.page_poisoning = false;
	printf("bench_slab: best of %d rounds of %ld operations, %s reference\n", ROUNDS, n,
#if VMSIM_HAVE_JEMALLOC
	       "jemalloc"
#else
	       "host malloc"
#endif
	);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		/* warm both sides once so neither pays first-touch costs */
		run_kmalloc_pairs(&pm, sizes[k], n / 100);
		run_malloc_pairs(sizes[k], n / 100);
		t = ref = 1e30;
		for (int r = 0; r < ROUNDS; r++) {
			BEST(t, run_kmalloc_pairs(&pm, sizes[k], n));
			BEST(ref, run_malloc_pairs(sizes[k], n));
		}
		snprintf(what, sizeof(what), "kmalloc+kfree %zu B", sizes[k]);
		report(what, n, t, ref);
	}
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		long nw = n / 4;

		run_kmalloc_window(&pm, sizes[k], nw / 100);
		run_malloc_window(sizes[k], nw / 100);
		t = ref = 1e30;
		for (int r = 0; r < ROUNDS; r++) {
			BEST(t, run_kmalloc_window(&pm, sizes[k], nw));
			BEST(ref, run_malloc_window(sizes[k], nw));
		}
		snprintf(what, sizeof(what), "window of %d, %zu B", WINDOW, sizes[k]);
		report(what, nw, t, ref);
	}
	s = kmem_cache_create(&pm, "bench", 200, 0, SLAB_HWCACHE_ALIGN);
	if (!s)
		return 1;
	run_cache_pairs(s, n / 100);
	t = ref = 1e30;
	for (int r = 0; r < ROUNDS; r++) {
		BEST(t, run_cache_pairs(s, n));
		BEST(ref, run_malloc_pairs(200, n));
	}
	report("kmem_cache_alloc+free 200 B", n, t, ref);
	printf("slab pages %lu, errors %lu\n", slab_total_pages(&pm), pm.slab->nr_errors);
	kmem_cache_destroy(s);
	kmem_cache_finish(&pm);
	phys_finish(&pm);
	host_arena_finish(&ha);
	return 0;
}
