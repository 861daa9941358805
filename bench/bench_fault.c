/*
 * bench_fault: the process layer's hot paths beside the host kernel doing
 * the same work in the same run, with the ratio (simulated / host time per
 * operation; below 1 means the simulation is faster than the real thing):
 *
 *   demand-zero write fault   mmap anonymous, write one byte per page
 *                             (x86_64 and x86_32 machines)
 *   COW fault                 fork, the child writes every page
 *   mmap + munmap 4 KiB       also with 1000 VMAs present
 *   brk +4 KiB / -4 KiB       sbrk pairs
 *   teardown of 1 GiB         munmap of 1 GiB that was written, per page
 *   madvise(MADV_DONTNEED)    of a populated 64 MiB range, per page, against
 *                             munmap of the same populated range in the same
 *                             run (the ratio here is dontneed / munmap, on
 *                             each side; the host's is printed for reference)
 *   fault in a memory cgroup  the demand-zero write fault of a task in a
 *                             cgroup (no limit: every page charged through
 *                             the per-CPU stock) against the same fault of a
 *                             task in the root cgroup (charged nothing), in
 *                             the same run: the cost of the charge
 *   THP fault                 a write fault that maps a 2 MiB huge page
 *                             (transparent_hugepage.enabled: always),
 *                             against zeroing 2 MiB of host memory with
 *                             the stores the page allocator zeroes with
 *                             (streaming 16-byte stores, a fence per
 *                             4 KiB): the rest of the fault's cost
 *
 * The simulated side runs through the same calls a scenario uses
 * (task_access with the fault path, vm_mmap, do_munmap, sys_brk, do_fork).
 * Targets: fault <= 0.5, COW <= 0.5, mmap+munmap <= 0.2 (0.25 with 1000
 * VMAs), brk <= 0.25, teardown <= 0.5; madvise(MADV_DONTNEED) per page at
 * most what munmap costs (ratio <= 1); the THP fault at most 1.2 times its
 * zeroing.  Not a test: nothing is asserted.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kern/cgroup.h"
#include "kern/machine.h"
#include "phys/clear_frame.h"
#include "util/hostalloc.h"
#include "kern/task.h"
#include "vma/mm.h"
#include "vmsim/machine.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *what, double sim_ns, double host_ns, double target)
{
	printf("%-34s sim %8.1f ns   host %8.1f ns   ratio %5.2f  (target <= %.2f)%s\n", what,
	       sim_ns, host_ns, sim_ns / host_ns, target, sim_ns / host_ns <= target ? "" : "  MISSED");
}

static struct vmsim_machine *boot_with(const char *arch, const char *mem, const char *extra)
{
	char set[64];
	const char *sets[] = { set, extra, NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;

	snprintf(set, sizeof(set), "memory.size=%s", mem);
	m = vmsim_machine_create(arch, sets, &err);
	if (!m) {
		fprintf(stderr, "boot: %s\n", err.msg);
		exit(1);
	}
	return m;
}

static struct vmsim_machine *boot(const char *arch, const char *mem)
{
	return boot_with(arch, mem, NULL);
}

static struct task_struct *spawn(struct vmsim_machine *m, const char *name)
{
	struct task_struct *t;

	if (task_spawn(m, name, NULL, &t)) {
		fprintf(stderr, "spawn failed\n");
		exit(1);
	}
	return t;
}

/* ---- demand-zero write faults ---- */

/* One round of @pages demand-zero write faults of @t: seconds. */
static double fault_round(struct task_struct *t, unsigned long pages)
{
	int64_t a = vm_mmap(t->mm, NULL, 0, pages * 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, 0);
	struct access_result r;
	double t0 = now(), dt;
	uint8_t one = 1;

	/* one byte written per page, as the host loop does */
	for (unsigned long i = 0; i < pages; i++)
		task_access(t, (uint64_t)a + i * 4096, MMU_WRITE, &one, 1, &r);
	dt = now() - t0;
	do_munmap(t->mm, (uint64_t)a, pages * 4096);
	return dt;
}

static double sim_fault(const char *arch, unsigned long pages, int rounds)
{
	struct vmsim_machine *m = boot(arch, "1GiB");
	struct task_struct *t = spawn(m, "bench");
	double best = 1e9;

	for (int k = 0; k < rounds; k++) {
		double dt = fault_round(t, pages);

		if (dt < best)
			best = dt;
	}
	vmsim_machine_destroy(m);
	return best / (double)pages * 1e9;
}

/* The same faults by a task in a cgroup of its own (each page charged:
 * the root charges nothing) and by one in the root, rounds interleaved
 * so that both see the same host: ns per fault of each.  (perf: the
 * charge's own functions are a few percent of the fault; the host's
 * page clearing and the walk dominate both.) */
static void sim_fault_charged(unsigned long pages, int rounds, double *cg_ns, double *root_ns)
{
	struct vmsim_machine *m = boot("x86_64", "1GiB");
	struct task_struct *t = spawn(m, "bench"), *u = spawn(m, "root");
	struct mem_cgroup *box;
	double best_cg = 1e9, best_root = 1e9;

	if (cgroup_mkdir(m, "box", &box) || cgroup_attach_task(t, box)) {
		fprintf(stderr, "bench_fault: no cgroup\n");
		exit(1);
	}
	for (int k = 0; k < rounds; k++) {
		/* each goes first every other round: the host's memory is
		 * warmest for the second */
		double dt, du;

		if (k & 1) {
			du = fault_round(u, pages);
			dt = fault_round(t, pages);
		} else {
			dt = fault_round(t, pages);
			du = fault_round(u, pages);
		}

		if (dt < best_cg)
			best_cg = dt;
		if (du < best_root)
			best_root = du;
	}
	vmsim_machine_destroy(m);
	*cg_ns = best_cg / (double)pages * 1e9;
	*root_ns = best_root / (double)pages * 1e9;
}

static double host_fault(unsigned long pages, int rounds)
{
	double best = 1e9;

	if (getenv("BENCH_SIM_ONLY"))
		return 1;
	for (int k = 0; k < rounds; k++) {
		volatile char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		double t0 = now(), dt;

		for (unsigned long i = 0; i < pages; i++)
			p[i * 4096] = 1;
		dt = now() - t0;
		if (dt < best)
			best = dt;
		munmap((void *)p, pages * 4096);
	}
	return best / (double)pages * 1e9;
}

/* ---- COW after fork ---- */

static double sim_cow(unsigned long pages, int rounds)
{
	struct vmsim_machine *m = boot("x86_64", "1GiB");
	struct task_struct *t = spawn(m, "parent"), *c;
	struct access_result r;
	double best = 1e9;
	int64_t a = vm_mmap(t->mm, NULL, 0, pages * 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, 0);

	for (unsigned long i = 0; i < pages; i++)
		task_access(t, (uint64_t)a + i * 4096, MMU_WRITE, NULL, 1, &r);
	for (int k = 0; k < rounds; k++) {
		double t0, dt;

		uint8_t two = 2;

		do_fork(t, "child", 0, &c);
		t0 = now();
		for (unsigned long i = 0; i < pages; i++)
			task_access(c, (uint64_t)a + i * 4096, MMU_WRITE, &two, 1, &r);
		dt = now() - t0;
		if (dt < best)
			best = dt;
		do_exit(c);
	}
	vmsim_machine_destroy(m);
	return best / (double)pages * 1e9;
}

static double host_cow(unsigned long pages, int rounds)
{
	char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	double best = 1e9;

	memset(p, 1, pages * 4096);
	for (int k = 0; k < rounds; k++) {
		int fd[2];
		double dt = 0;

		if (pipe(fd))
			return 0;
		pid_t pid = fork();
		if (pid == 0) {
			double t0 = now();
			for (unsigned long i = 0; i < pages; i++)
				p[i * 4096] = 2;
			dt = now() - t0;
			if (write(fd[1], &dt, sizeof(dt)) != sizeof(dt))
				_exit(1);
			_exit(0);
		}
		if (read(fd[0], &dt, sizeof(dt)) != sizeof(dt))
			dt = 1e9;
		waitpid(pid, NULL, 0);
		close(fd[0]);
		close(fd[1]);
		if (dt < best)
			best = dt;
	}
	munmap(p, pages * 4096);
	return best / (double)pages * 1e9;
}

/* ---- mmap + munmap ---- */

/* 1000 VMAs that cannot merge (alternating protections, one page each,
 * with holes) well away from where the benchmark maps. */
static double sim_mmap_pairs(unsigned long n, bool crowd)
{
	struct vmsim_machine *m = boot("x86_64", "256MiB");
	struct task_struct *t = spawn(m, "bench");
	double t0, dt;

	if (crowd)
		for (int i = 0; i < 1000; i++)
			vm_mmap(t->mm, NULL, 0x100000000ULL + (uint64_t)i * 8192, 4096,
				i & 1 ? PROT_READ : PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
	t0 = now();
	for (unsigned long i = 0; i < n; i++) {
		int64_t a = vm_mmap(t->mm, NULL, 0, 4096, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, 0);
		do_munmap(t->mm, (uint64_t)a, 4096);
	}
	dt = now() - t0;
	vmsim_machine_destroy(m);
	return dt / (double)n * 1e9;
}

static double host_mmap_pairs(unsigned long n, bool crowd)
{
	char *crowd_base = NULL;
	double t0, dt;

	if (crowd) {
		crowd_base = mmap(NULL, 2000 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (int i = 0; i < 1000; i++)
			mmap(crowd_base + (size_t)i * 8192, 4096, i & 1 ? PROT_READ : PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	}
	t0 = now();
	for (unsigned long i = 0; i < n; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap(p, 4096);
	}
	dt = now() - t0;
	if (crowd)
		munmap(crowd_base, 2000 * 4096);
	return dt / (double)n * 1e9;
}

/* ---- brk ---- */

static double sim_brk(unsigned long n)
{
	struct vmsim_machine *m = boot("x86_64", "256MiB");
	struct task_struct *t = spawn(m, "bench");
	uint64_t b = t->mm->brk;
	double t0, dt;

	sys_brk(t->mm, b + 4096);	/* a heap VMA exists, as in a program */
	b += 4096;
	t0 = now();
	for (unsigned long i = 0; i < n; i++) {
		sys_brk(t->mm, b + 4096);
		sys_brk(t->mm, b);
	}
	dt = now() - t0;
	vmsim_machine_destroy(m);
	return dt / (double)n * 1e9;
}

static double host_brk(unsigned long n)
{
	double t0, dt;

	sbrk(4096);
	t0 = now();
	for (unsigned long i = 0; i < n; i++) {
		sbrk(4096);
		sbrk(-4096);
	}
	dt = now() - t0;
	return dt / (double)n * 1e9;
}

/* ---- teardown of 1 GiB written ---- */

static double sim_teardown(void)
{
	const unsigned long pages = (1UL << 30) / 4096;
	struct vmsim_machine *m = boot("x86_64", "2GiB");
	struct task_struct *t = spawn(m, "bench");
	struct access_result r;
	int64_t a = vm_mmap(t->mm, NULL, 0, pages * 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, 0);
	double t0, dt;

	for (unsigned long i = 0; i < pages; i++)
		task_access(t, (uint64_t)a + i * 4096, MMU_WRITE, NULL, 1, &r);
	t0 = now();
	do_munmap(t->mm, (uint64_t)a, pages * 4096);
	dt = now() - t0;
	vmsim_machine_destroy(m);
	return dt / (double)pages * 1e9;
}

static double host_teardown(void)
{
	const unsigned long pages = (1UL << 30) / 4096;
	char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	double t0, dt;

	for (unsigned long i = 0; i < pages; i++)
		p[i * 4096] = 1;
	t0 = now();
	munmap(p, pages * 4096);
	dt = now() - t0;
	return dt / (double)pages * 1e9;
}

/* ---- madvise(MADV_DONTNEED) against munmap of a populated range ---- */

/*
 * Best per-page times of dropping @pages written pages with DONTNEED and
 * with munmap, each on a freshly populated range.  The order of the frames
 * a range gets flips from one round to the next (the free lists hand the
 * last freed frame out first), which changes the cost of freeing them; the
 * rounds run D M M D, so each call sees both orders.
 */
static void sim_dontneed(unsigned long pages, int rounds, double *dontneed, double *unmap)
{
	struct vmsim_machine *m = boot("x86_64", "1GiB");
	struct task_struct *t = spawn(m, "bench");
	const uint64_t len = pages * 4096;
	struct access_result r;

	*dontneed = *unmap = 1e30;
	for (int k = 0; k < 4 * rounds; k++) {
		const bool use_munmap = (k ^ (k >> 1)) & 1;
		int64_t a = vm_mmap(t->mm, NULL, 0, len, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, 0);
		double t0, dt;

		for (unsigned long i = 0; i < pages; i++)
			task_access(t, (uint64_t)a + i * 4096, MMU_WRITE, NULL, 1, &r);
		t0 = now();
		if (use_munmap)
			do_munmap(t->mm, (uint64_t)a, len);
		else
			do_madvise(t->mm, (uint64_t)a, len, MADV_DONTNEED, NULL);
		dt = (now() - t0) / (double)pages * 1e9;
		if (use_munmap) {
			if (dt < *unmap)
				*unmap = dt;
		} else {
			if (dt < *dontneed)
				*dontneed = dt;
			do_munmap(t->mm, (uint64_t)a, len);
		}
	}
	vmsim_machine_destroy(m);
}

static void host_dontneed(unsigned long pages, int rounds, double *dontneed, double *unmap)
{
	const size_t len = pages * 4096;

	*dontneed = *unmap = 1e30;
	for (int k = 0; k < 4 * rounds; k++) {
		const bool use_munmap = (k ^ (k >> 1)) & 1;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		double t0, dt;

		for (unsigned long i = 0; i < pages; i++)
			p[i * 4096] = 1;
		t0 = now();
		if (use_munmap)
			munmap(p, len);
		else
			madvise(p, len, MADV_DONTNEED);
		dt = (now() - t0) / (double)pages * 1e9;
		if (use_munmap) {
			if (dt < *unmap)
				*unmap = dt;
		} else {
			if (dt < *dontneed)
				*dontneed = dt;
			munmap(p, len);
		}
	}
}

static void report_dontneed(unsigned long pages, int rounds)
{
	double sd, su, hd, hu;

	sim_dontneed(pages, rounds, &sd, &su);
	host_dontneed(pages, rounds, &hd, &hu);
	printf("%-34s sim %8.1f ns   munmap %8.1f ns   ratio %5.2f  (target <= 1.00)%s\n",
	       "madvise(DONTNEED), per page", sd, su, sd / su, sd / su <= 1.0 ? "" : "  MISSED");
	printf("%-34s host %7.1f ns   munmap %8.1f ns   ratio %5.2f  (reference)\n", "", hd, hu,
	       hd / hu);
}

/* ---- THP fault vs zeroing 2 MiB ---- */

#define THP_SIZE (2UL << 20)

/*
 * A write to each 2 MiB of a 64 MiB mapping (one huge-page fault each),
 * and, alternating with it so that both see the same load of the machine,
 * the zeroing of 64 MiB of resident host memory 4 KiB at a time, memory
 * the host maps as the simulated RAM is mapped (MADV_HUGEPAGE).  Per
 * 2 MiB, best round of each; round 0 of the faults, the first touch of
 * the host memory behind the simulated frames, is left out.
 */
static void thp_fault_vs_zero(unsigned long n, int rounds, double *sim_ns, double *zero_ns)
{
	struct vmsim_machine *m = boot_with("x86_64", "1GiB", "transparent_hugepage.enabled=always");
	struct task_struct *t = spawn(m, "bench");
	uint8_t *buf = host_map_lazy_huge(n * THP_SIZE);
	struct access_result r;
	double best_sim = 1e9, best_zero = 1e9;
	struct page **held = calloc(1024, sizeof(*held));
	unsigned nheld = 0;

	/* every PMD-size block handed out and freed once: from now on the
	 * allocator zeroes each frame it hands out (a frame never used since
	 * boot is known to hold zeroes and is skipped) */
	while (held && nheld < 1024 && (held[nheld] = alloc_pages(&m->pm, GFP_HIGHUSER_MOVABLE, 9)))
		nheld++;
	while (nheld)
		__free_pages(&m->pm, held[--nheld], 9);
	free(held);
	if (!buf) {
		fprintf(stderr, "out of host memory\n");
		exit(1);
	}
	memset(buf, 1, n * THP_SIZE);
	for (int k = 0; k <= rounds; k++) {
		int64_t a = vm_mmap(t->mm, NULL, 0, n * THP_SIZE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, 0);
		double t0 = now(), dt;
		uint8_t one = 1;

		for (unsigned long i = 0; i < n; i++)
			task_access(t, (uint64_t)a + i * THP_SIZE, MMU_WRITE, &one, 1, &r);
		dt = now() - t0;
		if (m->pm.vmstat.event[THP_FAULT_ALLOC] != (unsigned long)(k + 1) * n) {
			fprintf(stderr, "thp fault: %lu huge pages for %lu faults\n",
				m->pm.vmstat.event[THP_FAULT_ALLOC], (unsigned long)(k + 1) * n);
			exit(1);
		}
		if (k && dt < best_sim)
			best_sim = dt;
		do_munmap(t->mm, (uint64_t)a, n * THP_SIZE);
		t0 = now();
		for (unsigned long i = 0; i < n * THP_SIZE; i += 4096)
			clear_frame(buf + i);
		dt = now() - t0;
		if (dt < best_zero)
			best_zero = dt;
	}
	host_unmap_lazy(buf, n * THP_SIZE);
	vmsim_machine_destroy(m);
	*sim_ns = best_sim / (double)n * 1e9;
	*zero_ns = best_zero / (double)n * 1e9;
}

static bool want(int argc, char **argv, const char *name)
{
	return argc < 2 || strstr(name, argv[1]) != NULL;
}

int main(int argc, char **argv)
{
	const unsigned long pages = 16384;	/* 64 MiB */

	printf("bench_fault: per operation, best of several rounds; ratio = sim / host\n");
	if (want(argc, argv, "fault64"))
		report("demand-zero write fault (x86_64)", sim_fault("x86_64", pages, 5),
		       host_fault(pages, 5), 0.5);
	if (want(argc, argv, "fault32"))
		report("demand-zero write fault (x86_32)", sim_fault("x86_32", pages, 5),
		       host_fault(pages, 5), 0.5);
	if (want(argc, argv, "memcg")) {
		/* the ratio here is in a cgroup / in the root, both simulated */
		double root, cg;

		sim_fault_charged(pages, 9, &cg, &root);

		printf("%-34s cgroup %5.1f ns   root %5.1f ns   ratio %5.2f\n",
		       "demand-zero fault, charged", cg, root, cg / root);
	}
	if (want(argc, argv, "cow"))
		report("COW fault after fork", sim_cow(pages, 5), host_cow(pages, 5), 0.5);
	if (want(argc, argv, "mmap4k"))
		report("mmap + munmap 4 KiB", sim_mmap_pairs(200000, false),
		       host_mmap_pairs(200000, false), 0.2);
	if (want(argc, argv, "mmap1000"))
		report("mmap + munmap, 1000 VMAs present", sim_mmap_pairs(200000, true),
		       host_mmap_pairs(200000, true), 0.25);
	if (want(argc, argv, "brk"))
		report("brk +4 KiB / -4 KiB pair", sim_brk(200000), host_brk(200000), 0.25);
	if (want(argc, argv, "teardown"))
		report("teardown of 1 GiB written, per page", sim_teardown(), host_teardown(), 0.5);
	if (want(argc, argv, "dontneed"))
		report_dontneed(pages, 20);
	if (want(argc, argv, "thp")) {
		double sim, zero;

		/* "host" here is the zeroing of 2 MiB, not a host fault */
		thp_fault_vs_zero(32, 15, &sim, &zero);
		report("THP fault vs zeroing 2 MiB", sim, zero, 1.2);
	}
	return 0;
}
