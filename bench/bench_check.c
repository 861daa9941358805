/*
 * bench_check: what --check costs, measured in the same run against the
 * same work unchecked.
 *
 *  1. 1000 forks of a task with 16 written pages (each fork a step): no
 *     check; a machine_check_point() after each with a full pass only at
 *     the end (--check=0) and with one every 100 points (plain --check);
 *     a full machine_check() after each (--check=1, what --check was
 *     before it became incremental).  Seconds and the ratio to no check.
 *  2. One step on a large machine (default 64 TiB, or the size given as
 *     the first argument): a write fault per step, then the point's time
 *     and, for comparison, a full pass's.
 *
 * Each side is the best of ROUNDS.  Not a test: nothing is asserted but
 * that every check passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "vma/mm.h"
#include "vmsim/machine.h"

#include "bench.h"

#define FORKS 1000
#define ROUNDS 3

enum mode { NO_CHECK, POINTS_ONLY, POINTS, FULL };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct vmsim_machine *boot(const char *mem)
{
	return bench_boot("bench_check", mem);
}

static void check(struct vmsim_machine *m, enum mode mode)
{
	struct vmsim_error err = { 0 };
	int ret = mode == POINTS || mode == POINTS_ONLY ? machine_check_point(m, &err) :
		  mode == FULL ? machine_check(m, &err) : 0;

	if (ret) {
		fprintf(stderr, "bench_check: check failed: %s\n", err.msg);
		exit(1);
	}
}

static void write_page(struct task_struct *t, uint64_t va)
{
	struct access_result r;
	uint64_t v = va;

	if (task_access(t, va, MMU_WRITE, &v, sizeof(v), &r) || r.segv) {
		fprintf(stderr, "bench_check: write at %#llx failed\n", (unsigned long long)va);
		exit(1);
	}
}

/* 1000 forks, checked after each as @mode says; seconds. */
static double forks(enum mode mode)
{
	struct vmsim_machine *m = boot("4GiB");
	struct spawn_args a = { .stack_size = 64 << 10 };
	struct task_struct *p, *c;
	double t;
	int64_t buf;

	if (mode != NO_CHECK && machine_check_start(m, mode == POINTS ? 100 : mode == FULL ? 1 : 0))
		exit(1);
	if (task_spawn(m, "parent", &a, &p))
		exit(1);
	buf = vm_mmap(p->mm, NULL, 0, 64 << 10, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, 0);
	for (int i = 0; i < 16; i++)
		write_page(p, (uint64_t)buf + ((uint64_t)i << 12));
	check(m, mode);
	t = now();
	for (int i = 0; i < FORKS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", i);
		if (do_fork(p, name, 0, &c))
			exit(1);
		check(m, mode);
	}
	if (mode == POINTS || mode == POINTS_ONLY)
		check(m, FULL);		/* the end of a run */
	t = now() - t;
	vmsim_machine_destroy(m);
	return t;
}

static double best(double (*fn)(enum mode), enum mode mode)
{
	double b = 1e9;

	for (int r = 0; r < ROUNDS; r++) {
		double t = fn(mode);

		if (t < b)
			b = t;
	}
	return b;
}

/* Per step on a big machine: a write fault, then the check. */
static void big(const char *mem)
{
	double t0 = now(), boot_s, step = 1e9, point = 1e9, full = 1e9;
	struct vmsim_machine *m = boot(mem);
	struct spawn_args a = { .stack_size = 64 << 10 };
	struct task_struct *t;
	int64_t buf;

	boot_s = now() - t0;
	if (machine_check_start(m, 0) || task_spawn(m, "t", &a, &t))
		exit(1);
	buf = vm_mmap(t->mm, NULL, 0, 64 << 20, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, 0);
	check(m, POINTS);	/* the first point is a full pass */
	for (int i = 0; i < 200; i++) {
		double s = now(), c;

		write_page(t, (uint64_t)buf + ((uint64_t)i << 12));
		c = now();
		if (c - s < step)
			step = c - s;
		if (i % 50 == 49) {
			check(m, FULL);
			if (now() - c < full)
				full = now() - c;
		} else {
			check(m, POINTS);
			if (now() - c < point)
				point = now() - c;
		}
	}
	printf("%s machine (boot %.2f s): a write fault %.1f us; the check after it: "
	       "incremental %.1f us, full %.3f s (%.0fx)\n", mem, boot_s, step * 1e6, point * 1e6,
	       full, full / point);
	vmsim_machine_destroy(m);
}

int main(int argc, char **argv)
{
	double none = best(forks, NO_CHECK), points = best(forks, POINTS);
	double only = best(forks, POINTS_ONLY), full;

	printf("bench_check: best of %d rounds (full: one round)\n", ROUNDS);
	printf("%d forks, no check                           %8.3f s\n", FORKS, none);
	printf("%d forks, --check=0 (points, full at the end) %8.3f s  %6.1fx\n", FORKS, only,
	       only / none);
	printf("%d forks, --check (full every 100 points)     %8.3f s  %6.1fx\n", FORKS, points,
	       points / none);
	full = forks(FULL);
	printf("%d forks, --check=1 (full every step)         %8.3f s  %6.1fx\n", FORKS, full,
	       full / none);
	big(argc > 1 ? argv[1] : "64TiB");
	return 0;
}
