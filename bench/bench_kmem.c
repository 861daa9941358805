/*
 * Kernel address-space benchmark: operations per second and cost per call
 * of the kernel address-space paths, each beside a reference measured
 * in the same run:
 *
 *   vmalloc(64 KiB) + vfree       vs 16 x (alloc_page + __free_page), the
 *                                   frames alone (x86_64 and x86_32)
 *   kmap + kunmap, one highmem page (the slot stays cached: the kernel's
 *     fast path)                  vs kmap + kunmap of a lowmem page (direct map)
 *   kmap + kunmap over 4096 pages (slot turnover, a wrap flush every
 *     ~1024 maps)
 *   kmap_atomic + kunmap_atomic, one highmem page (map, unmap, invlpg)
 *
 * The vmalloc loop includes the lazy purge the kernel does every 32 MiB of
 * freed areas, so its average carries that cost as Linux's does.
 * Not a test: numbers vary with the host.  Invariant checked at the end of
 * the vmalloc loops: every frame is back (free count as before the loop).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kern/highmem.h"
#include "kern/machine.h"
#include "kern/vmalloc.h"

static volatile uint64_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct vmsim_machine *machine(const char *arch)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create(arch, NULL, &err);

	if (!m) {
		fprintf(stderr, "bench_kmem: %s\n", err.msg);
		exit(2);
	}
	return m;
}

static void report(const char *what, double secs, long n, const char *ref, double ref_secs,
		   long ref_n)
{
	double ns = secs * 1e9 / (double)n, rns = ref_secs * 1e9 / (double)ref_n;

	printf("%-40s %11.0f pairs/s %9.1f ns/pair | %-30s %9.1f ns | ratio %6.2f\n", what,
	       (double)n / secs, ns, ref, rns, ns / rns);
}

static void bench_vmalloc(const char *arch, long n)
{
	struct vmsim_machine *m = machine(arch);
	unsigned long free0;
	double t0, t1, t2;
	char what[64];

	/* warm: the page tables of the first areas exist from here on */
	for (int i = 0; i < 1000; i++)
		vfree(m, vmalloc(m, 64 * 1024, "warm"));
	free0 = nr_free_pages(&m->pm);
	t0 = now();
	for (long i = 0; i < n; i++) {
		uint64_t v = vmalloc(m, 64 * 1024, "bench");

		if (!v) {
			fprintf(stderr, "bench_kmem: vmalloc failed\n");
			exit(1);
		}
		vfree(m, v);
	}
	t1 = now();
	for (long i = 0; i < n; i++) {
		struct page *p[16];

		for (int j = 0; j < 16; j++)
			p[j] = alloc_page(&m->pm, GFP_KERNEL | __GFP_HIGHMEM);
		for (int j = 0; j < 16; j++)
			__free_page(&m->pm, p[j]);
	}
	t2 = now();
	vm_unmap_aliases(m);
	if (nr_free_pages(&m->pm) != free0)
		fprintf(stderr, "bench_kmem: %s: free count not restored\n", arch);
	snprintf(what, sizeof(what), "%s vmalloc(64 KiB) + vfree", arch);
	report(what, t1 - t0, n, "16 x alloc_page + __free_page", t2 - t1, n);
	printf("%-40s %lu purges of the lazy list\n", "", m->vmap->nr_purges);
	vmsim_machine_destroy(m);
}

static void bench_kmap(long n)
{
	struct vmsim_machine *m = machine("x86_32");
	struct page *hi = alloc_page(&m->pm, GFP_HIGHUSER), *lo = alloc_page(&m->pm, GFP_KERNEL);
	enum { NP = 4096 };
	struct page **many = malloc(sizeof(*many) * NP);
	double t0, t1, t2, t3, t4;

	for (int i = 0; i < NP; i++)
		many[i] = alloc_page(&m->pm, GFP_HIGHUSER);
	t0 = now();
	for (long i = 0; i < n; i++) {
		sink += kmap(m, hi);
		kunmap(m, hi);
	}
	t1 = now();
	for (long i = 0; i < n; i++) {
		sink += kmap(m, lo);
		kunmap(m, lo);
	}
	t2 = now();
	for (long i = 0; i < n; i++) {
		struct page *p = many[i & (NP - 1)];

		sink += kmap(m, p);
		kunmap(m, p);
	}
	t3 = now();
	for (long i = 0; i < n; i++) {
		uint64_t a = kmap_atomic(m, 0, hi);

		sink += a;
		kunmap_atomic(m, 0, a);
	}
	t4 = now();
	report("x86_32 kmap + kunmap, one highmem page", t1 - t0, n, "kmap + kunmap of lowmem",
	       t2 - t1, n);
	report("x86_32 kmap + kunmap, 4096 pages", t3 - t2, n, "kmap + kunmap of lowmem", t2 - t1,
	       n);
	printf("%-40s %lu wraps (flush_all_zero_pkmaps)\n", "", m->highmem->nr_flush_all_zero);
	report("x86_32 kmap_atomic + kunmap_atomic", t4 - t3, n, "kmap + kunmap of lowmem",
	       t2 - t1, n);
	free(many);
	vmsim_machine_destroy(m);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;

	if (n <= 0)
		n = 200000;
	printf("bench_kmem: %ld pairs per measurement\n", n);
	bench_vmalloc("x86_64", n);
	bench_vmalloc("x86_32", n);
	bench_kmap(n);
	return 0;
}
