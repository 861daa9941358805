/*
 * bench_exec: the cost of exec and of file faults in vmsim beside the
 * host kernel doing the same work in the same run.
 *
 *  1. execs per second of /usr/bin/true in vmsim (headers, the new mm,
 *     stack and strings, every PT_LOAD, its interpreter, the vDSO, the
 *     auxv written, the old mm torn down), the files' pages cached as
 *     they are on the host; reference: posix_spawn + waitpid of the same
 *     binary.  Goal: vmsim's time per exec at most 0.25x the host's.
 *  2. read faults on a cached file: a 16 MiB file mapped private
 *     read-only, every page touched (fault-around maps 16 pages a fault,
 *     as on the host), unmapped; per fault; reference: the host's minor
 *     faults doing the same on the same file (ru_minflt).  Goal: vmsim's
 *     time per fault at most 0.5x the host's.
 *
 * Prints figure, reference and ratio (time per operation, vmsim/host).
 * Not a test: nothing is asserted.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kern/exec.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "util/error.h"
#include "vma/filemap.h"
#include "vma/mm.h"

/* <sys/mman.h> would clash with the simulator's MAP_* names: the host's
 * calls are declared here (the flag values are Linux's on both sides). */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int munmap(void *addr, size_t len);

extern char **environ;

#define FILE_PAGES 4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void ratio_line(const char *what, double ops, const char *unit, double ref_ops)
{
	printf("%-34s %12.0f %s   reference %12.0f %s   ratio %.3f\n", what, ops, unit, ref_ops,
	       unit, ref_ops / ops);
}

static int bench_exec(void)
{
	const char *path = "/usr/bin/true";
	const char *argv[] = { path };
	char *const host_argv[] = { (char *)path, NULL };
	struct vmsim_error err = { 0 };
	const char *sets[] = { "memory.size=512MiB", NULL };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	struct exec_args a = { .filename = path, .argv = argv, .argc = 1 };
	struct exec_result r;
	struct task_struct *t;
	struct file *keep[2] = { NULL, NULL };
	double t0, sim, host;
	int n = 0, hn = 0, ret;

	if (!m) {
		fprintf(stderr, "boot: %s\n", err.msg);
		return 1;
	}
	if (access(path, X_OK) != 0) {
		printf("exec: %s not available, skipped\n", path);
		vmsim_machine_destroy(m);
		return 0;
	}
	if (task_spawn(m, "bench", NULL, &t))
		return 1;
	/* warm: the first exec reads the files into the page cache; keep
	 * them open so that later execs find their pages, as the host does */
	ret = do_execve(t, &a, &r, &err);
	if (ret) {
		printf("exec: %s, skipped\n", err.msg);
		vmsim_machine_destroy(m);
		return 0;
	}
	filemap_open(machine_page_cache(&m->vm), path, NULL, &keep[0], &err);
	if (r.interp[0])
		filemap_open(machine_page_cache(&m->vm), r.interp, NULL, &keep[1], &err);
	t0 = now();
	do {
		for (int i = 0; i < 50; i++, n++)
			if (do_execve(t, &a, &r, &err)) {
				fprintf(stderr, "exec: %s\n", err.msg);
				return 1;
			}
	} while (now() - t0 < 1.0);
	sim = (now() - t0) / n;

	t0 = now();
	do {
		for (int i = 0; i < 10; i++, hn++) {
			pid_t pid;
			int st;

			if (posix_spawn(&pid, path, NULL, NULL, host_argv, environ) != 0)
				return 1;
			waitpid(pid, &st, 0);
		}
	} while (now() - t0 < 1.0);
	host = (now() - t0) / hn;
	ratio_line("exec /usr/bin/true (+ld.so, vDSO)", 1.0 / sim, "exec/s ", 1.0 / host);
	printf("%-34s %12.2f us     reference %12.2f us     (goal: ratio <= 0.25)\n",
	       "  time per exec", sim * 1e6, host * 1e6);
	fput(keep[0]);
	fput(keep[1]);
	vmsim_machine_destroy(m);
	return 0;
}

static int bench_faults(void)
{
	char path[64];
	const size_t len = (size_t)FILE_PAGES * 4096;
	struct vmsim_error err = { 0 };
	const char *sets[] = { "memory.size=512MiB", NULL };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	struct task_struct *t;
	struct file *f;
	char *buf = malloc(len);
	double sim = 0, host = 0;
	long faults = 0, hfaults = 0, f0;
	int fd, rounds = 0, hrounds = 0;
	volatile char sink = 0;

	if (!m || !buf)
		return 1;
	snprintf(path, sizeof(path), "/tmp/vmsim-bench-%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 1;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(i >> 12);
	if (write(fd, buf, len) != (ssize_t)len)
		return 1;
	fsync(fd);
	if (task_spawn(m, "bench", NULL, &t) ||
	    filemap_open(machine_page_cache(&m->vm), path, NULL, &f, &err))
		return 1;
	/* vmsim: a first pass reads every page into the cache */
	for (int pass = 0;; pass++) {
		int64_t va = vm_mmap(t->mm, f, 0, len, PROT_READ, MAP_PRIVATE, 0);
		long nf = 0;
		double s;

		if (va < 0) {
			printf("file faults: vm_mmap of a file: %s, skipped\n", strerror((int)-va));
			goto host_only;
		}
		s = now();
		for (uint64_t p = 0; p < FILE_PAGES; p++) {
			struct access_result ar = { 0 };
			char c;

			task_access(t, (uint64_t)va + p * 4096, MMU_READ, &c, 1, &ar);
			nf += ar.faults;
			sink ^= c;
		}
		if (pass) {
			sim += now() - s;
			faults += nf;
			rounds++;
		}
		do_munmap(t->mm, (uint64_t)va, len);
		if (pass && sim > 1.0)
			break;
	}
host_only:
	/* the host: the same file, already in its page cache */
	for (int pass = 0;; pass++) {
		char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		double s;

		if (p == (void *)-1)
			return 1;
		f0 = minflt();
		s = now();
		for (size_t i = 0; i < len; i += 4096)
			sink ^= p[i];
		if (pass) {
			host += now() - s;
			hfaults += minflt() - f0;
			hrounds++;
		}
		munmap(p, len);
		if (pass && host > 1.0)
			break;
	}
	if (faults && hfaults) {
		double per = sim / (double)faults, hper = host / (double)hfaults;

		ratio_line("file read faults (cached pages)", 1.0 / per, "fault/s", 1.0 / hper);
		printf("%-34s %12.1f ns     reference %12.1f ns     (goal: ratio <= 0.5)\n",
		       "  time per fault", per * 1e9, hper * 1e9);
		printf("%-34s %12.1f        reference %12.1f\n", "  pages per fault",
		       (double)FILE_PAGES * rounds / (double)faults,
		       (double)FILE_PAGES * hrounds / (double)hfaults);
		ratio_line("  pages touched", FILE_PAGES * rounds / sim, "page/s ",
			   FILE_PAGES * hrounds / host);
	}
	(void)sink;
	close(fd);
	unlink(path);
	free(buf);
	fput(f);
	vmsim_machine_destroy(m);
	return 0;
}

int main(void)
{
	if (bench_exec())
		return 1;
	return bench_faults();
}
