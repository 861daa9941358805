/*
 * bench_scale: does the cost of an input grow linearly with its size?
 *
 * Each workload runs at two sizes, n and 10n, and prints the time per
 * element at both and their ratio.  Linear work keeps the ratio near 1
 * (caches and allocator growth move it a little; a tree's log n adds a
 * little more); a scan repeated per element (quadratic) shows as a ratio
 * near 10.  The two sizes run in the same process, each the best of three
 * runs, so the ratio is a same-run figure.
 *
 *   yaml keys       one mapping of n keys loaded (duplicate-key check)
 *   forks + exits   n CLONE_VM children of one task forked by name, then
 *                   the parent exits (reparenting) and the children exit
 *   mmap VMAs       n one-page anonymous mmaps without a hint, alternating
 *                   rw-/r-- so that none merge, placed top-down (the gap
 *                   search), then unmapped; n stays below max_map_count
 *                   (65530), so the sizes are 6500 and 65000
 *   files           n scenario-declared files created and looked up by name
 *   scenario steps  vmsim-cli runs a scenario of n alloc_pages steps kept
 *                   with `as:` and n free_pages steps that use the names
 *   trace records   a binary trace of n accesses replayed (streamed)
 *
 * Not a test: nothing is asserted (tests/ guards the same paths with
 * counted probes and 10^5-element cases).
 *
 * usage: bench_scale [PATH_TO_VMSIM_CLI]   (default: next to this binary,
 *        ../tools/vmsim-cli/vmsim-cli; the scenario line is skipped when
 *        there is none)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kern/machine.h"
#include "kern/replay.h"
#include "kern/task.h"
#include "util/trace.h"
#include "util/yaml.h"
#include "vma/filemap.h"
#include "vma/mm.h"

#include "bench.h"

extern char **environ;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double best3(double (*fn)(unsigned long), unsigned long n)
{
	double best = fn(n);

	for (int i = 0; i < 2; i++) {
		double t = fn(n);

		if (t < best)
			best = t;
	}
	return best;
}

/* @fn(n) and @fn(10n), each timing @per elements per unit of n. */
static void line(const char *what, double (*fn)(unsigned long), unsigned long n, unsigned per)
{
	double small = best3(fn, n) / (double)(n * per) * 1e9;
	double large = best3(fn, 10 * n) / (double)(10 * n * per) * 1e9;

	n *= per;

	printf("%-16s n=%-8lu %9.0f ns/elt   10n=%-8lu %9.0f ns/elt   ratio %.2f\n", what, n, small,
	       10 * n, large, large / small);
	fflush(stdout);
}

static struct vmsim_machine *boot(const char *mem)
{
	return bench_boot("bench_scale", mem);
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_scale: %s: %s\n", what, msg);
	exit(1);
}

/* ---- yaml ---- */

static double yaml_keys(unsigned long n)
{
	char *text = malloc(n * 28 + 1);
	struct vmsim_error err = { 0 };
	struct ydoc d;
	size_t len = 0;
	double t0;

	if (!text)
		die("yaml", "out of memory");
	for (unsigned long i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "key%lu: %lu\n", i, i);
	t0 = now();
	if (ydoc_load_string(&d, "bench.yaml", text, len, &err))
		die("yaml", err.msg);
	t0 = now() - t0;
	ydoc_free(&d);
	free(text);
	return t0;
}

/* ---- tasks ---- */

static double forks(unsigned long n)
{
	struct vmsim_machine *m = boot("4GiB");
	struct task_struct *p, **kids = malloc(n * sizeof(*kids));
	char name[32];
	double t0;

	if (!kids || task_spawn(m, "parent", NULL, &p))
		die("forks", "setup failed");
	t0 = now();
	for (unsigned long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "c%lu", i);
		/* a scenario's fork step looks the child's name up first */
		if (task_find(m, name) || do_fork(p, name, CLONE_VM, &kids[i]))
			die("forks", "fork failed");
	}
	do_exit(p);
	for (unsigned long i = 0; i < n; i++)
		do_exit(kids[i]);
	t0 = now() - t0;
	free(kids);
	vmsim_machine_destroy(m);
	return t0;
}

/* ---- VMAs ---- */

static double vmas(unsigned long n)
{
	struct vmsim_machine *m = boot("256MiB");
	struct task_struct *t;
	uint64_t lowest = UINT64_MAX;
	double t0;

	if (task_spawn(m, "t", NULL, &t))
		die("vmas", "spawn failed");
	t0 = now();
	for (unsigned long i = 0; i < n; i++) {
		int64_t a = vm_mmap(t->mm, NULL, 0, 4096, PROT_READ | (i & 1 ? 0 : PROT_WRITE),
				    MAP_PRIVATE | MAP_ANONYMOUS, 0);

		if (a < 0)
			die("vmas", "mmap failed");
		if ((uint64_t)a < lowest)
			lowest = (uint64_t)a;
	}
	if ((unsigned long)t->mm->map_count != n)
		die("vmas", "the mappings merged");
	if (do_munmap(t->mm, lowest, n * 4096))
		die("vmas", "munmap failed");
	t0 = now() - t0;
	vmsim_machine_destroy(m);
	return t0;
}

/* ---- files ---- */

static double files(unsigned long n)
{
	struct vmsim_machine *m = boot("256MiB");
	struct vmsim_error err = { 0 };
	struct file **f = malloc(n * sizeof(*f));
	char name[32];
	double t0;

	if (!f)
		die("files", "out of memory");
	t0 = now();
	for (unsigned long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "/data/f%lu", i);
		/* a scenario's file argument is looked up before it is made */
		if (filemap_lookup(machine_page_cache(&m->vm), name) ||
		    filemap_create(machine_page_cache(&m->vm), name, "x", 1, 4096, &f[i], &err))
			die("files", err.msg[0] ? err.msg : "a file exists twice");
	}
	for (unsigned long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "/data/f%lu", i);
		if (filemap_lookup(machine_page_cache(&m->vm), name) != f[i])
			die("files", "lookup failed");
	}
	for (unsigned long i = 0; i < n; i++)
		fput(f[i]);
	t0 = now() - t0;
	free(f);
	vmsim_machine_destroy(m);
	return t0;
}

/* ---- scenario (through vmsim-cli) ---- */

static char cli[PATH_MAX];

static double scenario(unsigned long n)
{
	char path[] = "/tmp/vmsim-bench-scale-XXXXXX";
	char *const argv[] = { cli, "run", path, NULL };
	int fd = mkstemp(path), status;
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	posix_spawn_file_actions_t fa;
	double t0;
	pid_t pid;

	if (!f)
		die("scenario", strerror(errno));
	fprintf(f, "machine: x86_64\nsteps:\n");
	for (unsigned long i = 0; i < n; i++)
		fprintf(f, "  - alloc_pages: { order: 0, as: p%lu }\n", i);
	for (unsigned long i = 0; i < n; i++)
		fprintf(f, "  - free_pages: { page: $p%lu }\n", i);
	fclose(f);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	t0 = now();
	if (posix_spawn(&pid, cli, &fa, NULL, argv, environ) ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("scenario", "vmsim-cli run failed");
	t0 = now() - t0;
	posix_spawn_file_actions_destroy(&fa);
	remove(path);
	return t0;
}

/* ---- trace ---- */

static double trace(unsigned long n)
{
	char path[] = "/tmp/vmsim-bench-scale-XXXXXX";
	struct vmsim_machine *m = boot("256MiB");
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	struct trace_writer w;
	struct trace_rec recs[4096];
	struct task_struct *t;
	struct replay rp;
	int fd = mkstemp(path);
	long got;
	double t0;

	if (fd < 0 || task_spawn(m, "t", NULL, &t))
		die("trace", "setup failed");
	close(fd);
	if (trace_writer_open(&w, path, &err))
		die("trace", err.msg);
	for (unsigned long i = 0; i < n; i++) {
		/* 4096 pages (16 MiB) walked with a stride: faults at first,
		 * then TLB misses and hits */
		struct trace_rec rec = { .addr = 0x10000000ULL + ((i * 4099) % 4096) * 4096 + (i & 63),
					 .size = 8, .type = i % 3 ? TRACE_L : TRACE_S };

		if (trace_write(&w, &rec, &err))
			die("trace", err.msg);
	}
	if (trace_writer_close(&w, &err))
		die("trace", err.msg);
	t0 = now();
	if (trace_open(&r, path, -1, &err))
		die("trace", err.msg);
	replay_init(&rp, m, t, REPLAY_FLAT);
	while ((got = trace_read_batch(&r, recs, sizeof(recs) / sizeof(recs[0]), &err)) > 0)
		for (long i = 0; i < got; i++)
			replay_one(&rp, &recs[i]);
	if (got < 0)
		die("trace", err.msg);
	trace_close(&r);
	t0 = now() - t0;
	remove(path);
	vmsim_machine_destroy(m);
	return t0;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		snprintf(cli, sizeof(cli), "%s", argv[1]);
	} else {
		ssize_t k = readlink("/proc/self/exe", cli, sizeof(cli) - 64);
		char *slash;

		cli[k > 0 ? k : 0] = '\0';
		slash = strrchr(cli, '/');
		if (slash)
			strcpy(slash, "/../tools/vmsim-cli/vmsim-cli");
	}
	printf("time per element at n and 10n (best of 3); linear keeps the ratio near 1\n");
	line("yaml keys", yaml_keys, 100000, 1);
	line("forks + exits", forks, 10000, 1);
	line("mmap VMAs", vmas, 6500, 1);
	line("files", files, 10000, 1);
	if (access(cli, X_OK) == 0)
		line("scenario steps", scenario, 10000, 2);
	else
		printf("%-16s skipped: no vmsim-cli at %s\n", "scenario steps", cli);
	line("trace records", trace, 100000, 1);
	return 0;
}
