/*
 * Transparent huge pages against the host kernel: the same sequence of
 * mmap, MADV_HUGEPAGE, reads and writes, fork with a child's write, the
 * parent's write after the child exited, a partial munmap and a partial
 * mprotect runs here on the host and in a simulated machine with the
 * host's THP settings, and the smaps numbers of the region (Rss, Pss,
 * Shared_Dirty, Private_Dirty, AnonHugePages, THPeligible) must agree at
 * every step.  MADV_HUGEPAGE is applied in the simulation by setting
 * VM_HUGEPAGE on the VMA, which is what the system call does.
 *
 * Skipped, with the reason, when the host has no transparent huge pages
 * (or "never"), or when it could not allocate one where the sequence needs
 * it (memory too fragmented: the kernel falls back, which the numbers
 * would show as a difference that says nothing about vmsim).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "kern/views.h"
#include "vma/mm.h"
#include "vmsim/machine.h"

#define MiB (1UL << 20)

/* The smaps numbers of one VMA (kB, THPeligible 0/1). */
struct smaps_nums {
	long rss, pss, shared_dirty, private_dirty, anon_huge, eligible;
};

#define NSTEPS 16

struct run {
	struct smaps_nums s[NSTEPS];
	const char *what[NSTEPS];
	unsigned n;
};

/* The numbers of the VMA starting at @start in smaps text @text. */
static bool parse_smaps(const char *text, unsigned long start, struct smaps_nums *out)
{
	char head[32];
	const char *p = text;
	bool in = false, found = false;

	snprintf(head, sizeof(head), "%lx-", start);
	memset(out, 0, sizeof(*out));
	for (; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		long v;

		if (strchr(p, '-') && strchr(p, '-') < strchr(p, ' ') && strncmp(p, "VmFlags", 7)) {
			in = strncmp(p, head, strlen(head)) == 0;
			found |= in;
			continue;
		}
		if (!in || !strchr(p, ':'))
			continue;
		v = strtol(strchr(p, ':') + 1, NULL, 10);
		if (!strncmp(p, "Rss:", 4))
			out->rss = v;
		else if (!strncmp(p, "Pss:", 4))
			out->pss = v;
		else if (!strncmp(p, "Shared_Dirty:", 13))
			out->shared_dirty = v;
		else if (!strncmp(p, "Private_Dirty:", 14))
			out->private_dirty = v;
		else if (!strncmp(p, "AnonHugePages:", 14))
			out->anon_huge = v;
		else if (!strncmp(p, "THPeligible:", 12))
			out->eligible = v;
	}
	return found;
}

static void record(struct run *r, const char *what, const struct smaps_nums *n)
{
	assert_true(r->n < NSTEPS);
	r->what[r->n] = what;
	r->s[r->n++] = *n;
}

/* ---- the host ---- */

static char host_text[1 << 20];

static void host_smaps(unsigned long start, struct smaps_nums *n)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	size_t len;

	assert_non_null(f);
	len = fread(host_text, 1, sizeof(host_text) - 1, f);
	host_text[len] = '\0';
	fclose(f);
	assert_true(parse_smaps(host_text, start, n));
}

static void host_record(struct run *r, const char *what, unsigned long start)
{
	struct smaps_nums n;

	host_smaps(start, &n);
	record(r, what, &n);
}

/* 0, or the reason to skip. */
static const char *host_run(struct run *r)
{
	uint8_t *p, *raw = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile uint8_t *v;
	struct smaps_nums n;
	int fd[2], go[2];	/* child -> parent: its numbers; parent -> child: done */
	pid_t pid;

	assert_true(raw != MAP_FAILED);
	/* 4 MiB on a 2 MiB boundary, the rest given back */
	p = (uint8_t *)(((uintptr_t)raw + 2 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1));
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	munmap(p + 4 * MiB, (size_t)(raw + 8 * MiB - (p + 4 * MiB)));
	if (madvise(p, 4 * MiB, MADV_HUGEPAGE))
		return "madvise(MADV_HUGEPAGE) failed";
	v = p;
	host_record(r, "fresh", (unsigned long)p);
	(void)v[0];
	host_record(r, "read", (unsigned long)p);
	v[0] = 1;
	host_record(r, "write", (unsigned long)p);
	if (r->s[r->n - 1].anon_huge != 2048)
		return "the host could not allocate a huge page (fragmented memory)";
	v[2 * MiB] = 1;
	host_record(r, "write second", (unsigned long)p);
	if (r->s[r->n - 1].anon_huge != 4096)
		return "the host could not allocate a second huge page";
	/* fork: the child writes into the second huge page */
	if (pipe(fd) || pipe(go))
		return "pipe failed";
	pid = fork();
	if (pid == 0) {
		char c;

		v[2 * MiB + 4096] = 2;
		host_smaps((unsigned long)p, &n);
		if (write(fd[1], &n, sizeof(n)) != sizeof(n))
			_exit(1);
		/* alive until the parent has looked */
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(fd[0], &n, sizeof(n)), sizeof(n));
	record(r, "child after its write", &n);
	host_record(r, "parent with the child", (unsigned long)p);
	assert_int_equal(write(go[1], "x", 1), 1);
	waitpid(pid, NULL, 0);
	close(fd[0]);
	close(fd[1]);
	close(go[0]);
	close(go[1]);
	host_record(r, "parent after the child", (unsigned long)p);
	v[2 * MiB + 8192] = 3;
	host_record(r, "parent write after the child", (unsigned long)p);
	/* a partial munmap and a partial mprotect */
	munmap(p + MiB, 4096);
	host_record(r, "munmap: below", (unsigned long)p);
	host_record(r, "munmap: above", (unsigned long)(p + MiB + 4096));
	mprotect(p + 3 * MiB, MiB, PROT_READ);
	host_record(r, "mprotect: writable part", (unsigned long)(p + MiB + 4096));
	host_record(r, "mprotect: read-only part", (unsigned long)(p + 3 * MiB));
	munmap(p, 4 * MiB);
	return NULL;
}

/* ---- the simulation ---- */

static void sim_record(struct run *r, const char *what, struct task_struct *t, uint64_t start)
{
	struct view_args a = { .task = task_name(t) };
	struct strbuf sb = { 0 };
	struct smaps_nums n;

	assert_int_equal(view_render(vm_machine(t->mm->vm), "smaps", &a, false, &sb), 0);
	assert_true(parse_smaps(sb_str(&sb), (unsigned long)start, &n));
	sb_free(&sb);
	record(r, what, &n);
}

static void sim_access(struct task_struct *t, uint64_t va, enum mmu_access acc, uint8_t val)
{
	struct access_result res;
	struct vmsim_error err = { 0 };

	assert_int_equal(task_access(t, va, acc, &val, 1, &res), 0);
	assert_int_equal(res.segv, 0);
	if (machine_check(vm_machine(t->mm->vm), &err))
		fail_msg("checker: %s", err.msg);
}

static void sim_run(struct run *r, const char *enabled, const char *zero)
{
	char s1[64], s2[64];
	const char *sets[] = { "memory.size=1GiB", s1, s2, NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;
	struct task_struct *t, *c;
	const uint64_t p = 0x40000000;
	struct vm_area_struct *vma;

	snprintf(s1, sizeof(s1), "transparent_hugepage.enabled=%s", enabled);
	snprintf(s2, sizeof(s2), "transparent_hugepage.use_zero_page=%s", zero);
	m = vmsim_machine_create("x86_64", sets, &err);
	if (!m)
		fail_msg("boot: %s", err.msg);
	assert_int_equal(task_spawn(m, "a", NULL, &t), 0);
	assert_int_equal(vm_mmap(t->mm, NULL, p, 4 * MiB, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0), (int64_t)p);
	vma = vma_lookup(t->mm, p);
	vma->vm_flags |= VM_HUGEPAGE;		/* madvise(MADV_HUGEPAGE) */
	sim_record(r, "fresh", t, p);
	sim_access(t, p, MMU_READ, 0);
	sim_record(r, "read", t, p);
	sim_access(t, p, MMU_WRITE, 1);
	sim_record(r, "write", t, p);
	sim_access(t, p + 2 * MiB, MMU_WRITE, 1);
	sim_record(r, "write second", t, p);
	assert_int_equal(do_fork(t, "b", 0, &c), 0);
	sim_access(c, p + 2 * MiB + 4096, MMU_WRITE, 2);
	sim_record(r, "child after its write", c, p);
	sim_record(r, "parent with the child", t, p);
	do_exit(c);
	sim_record(r, "parent after the child", t, p);
	sim_access(t, p + 2 * MiB + 8192, MMU_WRITE, 3);
	sim_record(r, "parent write after the child", t, p);
	assert_int_equal(do_munmap(t->mm, p + MiB, 4096), 0);
	sim_record(r, "munmap: below", t, p);
	sim_record(r, "munmap: above", t, p + MiB + 4096);
	assert_int_equal(do_mprotect(t->mm, p + 3 * MiB, MiB, PROT_READ), 0);
	sim_record(r, "mprotect: writable part", t, p + MiB + 4096);
	sim_record(r, "mprotect: read-only part", t, p + 3 * MiB);
	if (machine_check(m, &err))
		fail_msg("checker: %s", err.msg);
	vmsim_machine_destroy(m);
}

/* The word in brackets of a sysfs choice file, or NULL. */
static const char *sysfs_choice(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[256], *a, *b;

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	a = strchr(line, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!b)
		return NULL;
	snprintf(buf, len, "%.*s", (int)(b - a - 1), a + 1);
	return buf;
}

static void test_thp_matches_the_host(void **state)
{
	struct run host = { 0 }, sim = { 0 };
	char enabled[32], zero[8] = "1";
	const char *why;
	FILE *f;

	(void)state;
	if (!sysfs_choice("/sys/kernel/mm/transparent_hugepage/enabled", enabled, sizeof(enabled))) {
		printf("skipped: the host has no transparent huge pages\n");
		skip();
	}
	if (!strcmp(enabled, "never")) {
		printf("skipped: the host's transparent huge pages are off (never)\n");
		skip();
	}
	f = fopen("/sys/kernel/mm/transparent_hugepage/use_zero_page", "r");
	if (f) {
		if (!fgets(zero, sizeof(zero), f))
			strcpy(zero, "1");
		fclose(f);
	}
	why = host_run(&host);
	if (why) {
		printf("skipped: %s\n", why);
		skip();
	}
	sim_run(&sim, enabled, zero[0] == '1' ? "true" : "false");
	assert_int_equal(sim.n, host.n);
	for (unsigned i = 0; i < host.n; i++) {
		const struct smaps_nums *h = &host.s[i], *s = &sim.s[i];

		if (memcmp(h, s, sizeof(*h)))
			fail_msg("%s: host Rss %ld Pss %ld Shared_Dirty %ld Private_Dirty %ld "
				 "AnonHugePages %ld THPeligible %ld; vmsim %ld %ld %ld %ld %ld %ld",
				 host.what[i], h->rss, h->pss, h->shared_dirty, h->private_dirty,
				 h->anon_huge, h->eligible, s->rss, s->pss, s->shared_dirty,
				 s->private_dirty, s->anon_huge, s->eligible);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thp_matches_the_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
