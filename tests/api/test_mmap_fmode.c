/*
 * The open mode of a mapped file, through the public API: every access
 * mode (O_RDONLY, O_WRONLY, O_RDWR) x map type (MAP_SHARED, MAP_PRIVATE,
 * MAP_SHARED_VALIDATE) x prot, then mprotect to every prot and
 * MADV_REMOVE.  Each case prints one line: mmap's errno, or the VMA's
 * smaps VmFlags, what mprotect answered for prot 0..7 and what
 * MADV_REMOVE answered.  The known answers are the lines a 6.18 x86-64
 * host printed (ext4 file); the same lines are then asked of this host's
 * kernel and compared too.  Invariant: vmsim and the kernel run the same
 * calls through one sequence, only the backend differs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vmsim/vmsim.h>

#define PAGE 4096u
#define NPROT 8

static const char *const mode_names[] = { "O_RDONLY", "O_WRONLY", "O_RDWR" };
static const struct {
	int type;
	const char *name;
} types[] = { { MAP_SHARED, "MAP_SHARED" }, { MAP_PRIVATE, "MAP_PRIVATE" },
	      { MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE" } };

/* The calls made on one backend: 0 or -errno, mmap's address in *out. */
struct backend {
	int (*mmap)(void *ctx, int mode, int type, int prot, uint64_t *out);
	int (*mprotect)(void *ctx, uint64_t addr, int prot);
	int (*madvise_remove)(void *ctx, uint64_t addr);
	void (*munmap)(void *ctx, uint64_t addr);
	/* the smaps text of the task, NUL-terminated, in buf */
	void (*smaps)(void *ctx, char *buf, size_t size);
	void *ctx;
};

static char path[64];
static char smaps_buf[1 << 18];

static const char *res_name(int r)
{
	return r ? strerrorname_np(-r) : "0";
}

/* The VmFlags of the VMA starting at @addr, from smaps @text. */
static void vmflags_of(const char *text, uint64_t addr, char *out, size_t n)
{
	char head[32];
	const char *p, *f;
	size_t len;

	snprintf(head, sizeof(head), "%llx-", (unsigned long long)addr);
	p = strstr(text, head);
	if (!p || (p != text && p[-1] != '\n'))
		fail_msg("no VMA at %#llx in smaps", (unsigned long long)addr);
	f = strstr(p, "VmFlags:");
	if (!f)
		fail_msg("no VmFlags for %#llx", (unsigned long long)addr);
	f += 8;
	while (*f == ' ')
		f++;
	len = strcspn(f, "\n");
	while (len && f[len - 1] == ' ')
		len--;
	snprintf(out, n, "%.*s", (int)len, f);
}

/* One case's line, as the header comment says. */
static void describe(const struct backend *b, int mode, int t, int prot, char *line, size_t n)
{
	char flags[128];
	uint64_t addr;
	int r = b->mmap(b->ctx, mode, types[t].type, prot, &addr);
	size_t k;

	k = (size_t)snprintf(line, n, "%s %s %d:", mode_names[mode], types[t].name, prot);
	if (r) {
		snprintf(line + k, n - k, " %s", res_name(r));
		return;
	}
	b->smaps(b->ctx, smaps_buf, sizeof(smaps_buf));
	vmflags_of(smaps_buf, addr, flags, sizeof(flags));
	k += (size_t)snprintf(line + k, n - k, " [%s] mprotect", flags);
	for (int q = 0; q < NPROT; q++)
		k += (size_t)snprintf(line + k, n - k, " %s", res_name(b->mprotect(b->ctx, addr, q)));
	snprintf(line + k, n - k, " remove %s", res_name(b->madvise_remove(b->ctx, addr)));
	b->munmap(b->ctx, addr);
}

/* ---- the host kernel ---- */

static int host_mmap(void *ctx, int mode, int type, int prot, uint64_t *out)
{
	int fd = open(path, mode), err;
	void *p;

	(void)ctx;
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	p = mmap(NULL, PAGE, prot, type, fd, 0);
	err = errno;
	close(fd);
	if (p == MAP_FAILED)
		return -err;
	*out = (uint64_t)(uintptr_t)p;
	return 0;
}

static int host_mprotect(void *ctx, uint64_t addr, int prot)
{
	(void)ctx;
	return mprotect((void *)(uintptr_t)addr, PAGE, prot) ? -errno : 0;
}

static int host_madvise_remove(void *ctx, uint64_t addr)
{
	(void)ctx;
	return madvise((void *)(uintptr_t)addr, PAGE, MADV_REMOVE) ? -errno : 0;
}

static void host_munmap(void *ctx, uint64_t addr)
{
	(void)ctx;
	munmap((void *)(uintptr_t)addr, PAGE);
}

static void host_smaps(void *ctx, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	size_t n;

	(void)ctx;
	if (!f)
		fail_msg("/proc/self/smaps: %s", strerror(errno));
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* ---- vmsim ---- */

struct sim {
	struct vmsim_machine *m;
	struct vmsim_task *t;
};

static int sim_mmap(void *ctx, int mode, int type, int prot, uint64_t *out)
{
	struct sim *s = ctx;
	static const int acc[] = { VMSIM_O_RDONLY, VMSIM_O_WRONLY, VMSIM_O_RDWR };

	return vmsim_mmap_file(s->t, 0, PAGE, prot, type, path, acc[mode], 0, out);
}

static int sim_mprotect(void *ctx, uint64_t addr, int prot)
{
	return vmsim_mprotect(((struct sim *)ctx)->t, addr, PAGE, prot);
}

static int sim_madvise_remove(void *ctx, uint64_t addr)
{
	return vmsim_madvise(((struct sim *)ctx)->t, addr, PAGE, MADV_REMOVE);
}

static void sim_munmap(void *ctx, uint64_t addr)
{
	assert_int_equal(vmsim_munmap(((struct sim *)ctx)->t, addr, PAGE), 0);
}

static void sim_smaps(void *ctx, char *buf, size_t size)
{
	struct sim *s = ctx;
	struct vmsim_view_opts vo = { .task = "a" };
	struct vmsim_error err = { 0 };

	if (vmsim_view(s->m, "smaps", &vo, buf, size, &err) < 0)
		fail_msg("smaps: %s", err.msg);
}

/*
 * The known answers: what a 6.18 host printed, by group.  A NULL VmFlags
 * is mmap's EACCES; where the VMA lacks VM_MAYWRITE, mprotect to any
 * PROT_WRITE protection is EACCES and every other is 0.
 */
static const struct {
	bool no_maywrite;
	const char *remove;		/* MADV_REMOVE's answer */
	const char *vmflags[NPROT];	/* by prot */
} known[] = {
	/* O_RDONLY, MAP_SHARED(_VALIDATE): no sh, no mw; PROT_WRITE refused */
	{ true, "EACCES", { "mr me ms", "rd mr me ms", NULL, NULL, "ex mr me ms", "rd ex mr me ms",
			    NULL, NULL } },
	/* O_RDONLY or O_RDWR, MAP_PRIVATE: copy on write, any prot */
	{ false, "EACCES", { "mr mw me", "rd mr mw me", "wr mr mw me ac", "rd wr mr mw me ac",
			     "ex mr mw me", "rd ex mr mw me", "wr ex mr mw me ac",
			     "rd wr ex mr mw me ac" } },
	/* O_RDWR, MAP_SHARED(_VALIDATE): everything, MADV_REMOVE too */
	{ false, "0", { "sh mr mw me ms", "rd sh mr mw me ms", "wr sh mr mw me ms",
			"rd wr sh mr mw me ms", "ex sh mr mw me ms", "rd ex sh mr mw me ms",
			"wr ex sh mr mw me ms", "rd wr ex sh mr mw me ms" } },
};

/* The known line of a case; O_WRONLY is EACCES whatever the type. */
static void known_line(int mode, int t, int prot, char *line, size_t n)
{
	const bool private = types[t].type == MAP_PRIVATE;
	const int g = private ? 1 : mode == 0 ? 0 : 2;
	const char *flags = mode == 1 ? NULL : known[g].vmflags[prot];
	size_t k = (size_t)snprintf(line, n, "%s %s %d:", mode_names[mode], types[t].name, prot);

	if (!flags) {
		snprintf(line + k, n - k, " EACCES");
		return;
	}
	k += (size_t)snprintf(line + k, n - k, " [%s] mprotect", flags);
	for (int q = 0; q < NPROT; q++)
		k += (size_t)snprintf(line + k, n - k, " %s",
				      known[g].no_maywrite && (q & PROT_WRITE) ? "EACCES" : "0");
	snprintf(line + k, n - k, " remove %s", known[g].remove);
}

static int setup(void **state)
{
	static const char block[2 * PAGE];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/vmsim-fmode-%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void run_against(const struct backend *b, const struct backend *ref)
{
	char got[512], want[512];

	for (int mode = 0; mode < 3; mode++)
		for (int t = 0; t < 3; t++)
			for (int prot = 0; prot < NPROT; prot++) {
				describe(b, mode, t, prot, got, sizeof(got));
				if (ref)
					describe(ref, mode, t, prot, want, sizeof(want));
				else
					known_line(mode, t, prot, want, sizeof(want));
				if (strcmp(got, want))
					fail_msg("%s\n  want %s", got, want);
			}
}

static struct sim sim_boot(void)
{
	struct vmsim_error err = { 0 };
	static const char *const small[] = { "memory.size=256MiB", NULL };
	struct vmsim_spawn_opts o = { .stack_size = 128 * 1024 };
	struct sim s = { vmsim_machine_create("x86_64", small, &err), NULL };

	if (!s.m)
		fail_msg("x86_64: %s", err.msg);
	assert_int_equal(vmsim_task_spawn(s.m, "a", &o, &s.t), 0);
	return s;
}

static void test_known_answers(void **state)
{
	struct sim s = sim_boot();
	const struct backend b = { sim_mmap, sim_mprotect, sim_madvise_remove, sim_munmap,
				   sim_smaps, &s };

	(void)state;
	run_against(&b, NULL);
	assert_int_equal(vmsim_machine_check(s.m, NULL), 0);
	vmsim_machine_destroy(s.m);
}

/* This host's kernel gives the same lines (where it can: a file system
 * without MADV_REMOVE, hole punching, answers otherwise). */
static void test_same_as_this_host(void **state)
{
	struct sim s = sim_boot();
	const struct backend b = { sim_mmap, sim_mprotect, sim_madvise_remove, sim_munmap,
				   sim_smaps, &s };
	const struct backend host = { host_mmap, host_mprotect, host_madvise_remove, host_munmap,
				      host_smaps, NULL };
	uint64_t a;

	(void)state;
	if (host_mmap(NULL, 2, MAP_SHARED, PROT_READ | PROT_WRITE, &a) ||
	    host_madvise_remove(NULL, a)) {
		print_message("skipped: %s's file system cannot punch holes through MADV_REMOVE\n",
			      path);
		skip();
	}
	host_munmap(NULL, a);
	run_against(&b, &host);
	vmsim_machine_destroy(s.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_same_as_this_host),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
