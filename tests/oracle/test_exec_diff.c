/*
 * The differential exec tests: each binary is run on the host under the
 * oracle (exec_oracle: ptrace, ADDR_NO_RANDOMIZE, empty environment, a
 * fixed stack rlimit) and exec'd in vmsim with the same argv, environment
 * and rlimit; then compared:
 *   - /proc/PID/maps line by line (start, end, perms, offset, name; the
 *     device and inode columns aside),
 *   - ip and sp, and the mm fields of /proc/PID/stat (code, data, brk,
 *     stack, arguments, environment),
 *   - the auxv: the same types in the same order, and equal values for
 *     every address entry (and PHNUM/PHENT/PAGESZ);
 * and, for the traced cases, every brk/mmap/munmap/mprotect/mremap the program
 * made after exec is replayed in vmsim in order, each result compared,
 * and the final maps compared once more.
 *
 * Invariant: every expected value is read from the host kernel while the
 * test runs; nothing is copied from an earlier run.  The test skips when
 * the oracle does (not x86-64 Linux, or ptrace refused).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kern/exec.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "kern/views.h"
#include "util/config.h"
#include "util/error.h"
#include "util/strbuf.h"
#include "vma/filemap.h"
#include "vma/mm.h"

#define MAXL 256

struct map_line {
	uint64_t start, end, off;
	char perms[5];
	char name[256];
};

struct sysc {
	char what[12];
	uint64_t a[6];
	int fd;
	char path[256];
	int64_t res;
};

struct oracle {
	uint64_t ip, sp;
	uint64_t mm[10];	/* in the order of mm_names */
	unsigned nauxv, nmaps, nfinal, nsys;
	uint64_t auxv[32][2];
	struct map_line maps[MAXL], final[MAXL];
	struct sysc sys[MAXL];
};

static const char *const mm_names[10] = {
	"start_code", "end_code", "start_stack", "start_data", "end_data", "start_brk",
	"arg_start", "arg_end", "env_start", "env_end",
};

static int parse_map(const char *l, struct map_line *m)
{
	unsigned long long s, e, o;
	int n = 0;

	memset(m, 0, sizeof(*m));
	if (sscanf(l, "%llx-%llx %4s %llx %*s %*s%n", &s, &e, m->perms, &o, &n) < 4 || !n)
		return -1;
	m->start = s;
	m->end = e;
	m->off = o;
	l += n;
	while (*l == ' ')
		l++;
	snprintf(m->name, sizeof(m->name), "%s", l);
	n = (int)strlen(m->name);
	while (n && (m->name[n - 1] == '\n' || m->name[n - 1] == ' '))
		m->name[--n] = '\0';
	return 0;
}

/* Run the oracle; 77 means skip. */
static int run_oracle(const char *path, const char *rlimit, bool trace, const char *arg0,
		      const char *args, struct oracle *o)
{
	const char *exe = getenv("EXEC_ORACLE");
	char cmd[1024], line[4096];
	FILE *p;
	int st;

	memset(o, 0, sizeof(*o));
	if (!exe)
		return 77;
	snprintf(cmd, sizeof(cmd), "%s --stack-rlimit %s %s %s%s %s %s", exe, rlimit,
		 trace ? "--trace" : "", arg0 ? "--arg0 " : "", arg0 ? arg0 : "", path,
		 args ? args : "");
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long a, b;
		char name[64];

		if (sscanf(line, "rip 0x%llx", &a) == 1) {
			o->ip = a;
		} else if (sscanf(line, "rsp 0x%llx", &a) == 1) {
			o->sp = a;
		} else if (o->nfinal == 0 && sscanf(line, "mm %63s 0x%llx", name, &a) == 2) {
			for (int i = 0; i < 10; i++)
				if (strcmp(name, mm_names[i]) == 0)
					o->mm[i] = a;
		} else if (sscanf(line, "auxv %llu 0x%llx", &a, &b) == 2 && o->nauxv < 32) {
			o->auxv[o->nauxv][0] = a;
			o->auxv[o->nauxv++][1] = b;
		} else if (strncmp(line, "map ", 4) == 0 && o->nmaps < MAXL) {
			if (parse_map(line + 4, &o->maps[o->nmaps]) == 0)
				o->nmaps++;
		} else if (strncmp(line, "final ", 6) == 0 && o->nfinal < MAXL) {
			if (parse_map(line + 6, &o->final[o->nfinal]) == 0)
				o->nfinal++;
		} else if (strncmp(line, "sys ", 4) == 0 && o->nsys < MAXL) {
			struct sysc *s = &o->sys[o->nsys];
			long long res;

			memset(s, 0, sizeof(*s));
			if (sscanf(line, "sys mmap 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64
				   " %d 0x%" SCNx64 " %255s = %lld", &s->a[0], &s->a[1], &s->a[2],
				   &s->a[3], &s->fd, &s->a[5], s->path, &res) == 8) {
				strcpy(s->what, "mmap");
			} else if (sscanf(line, "sys brk 0x%" SCNx64 " = %lld", &s->a[0], &res) == 2) {
				strcpy(s->what, "brk");
			} else if (sscanf(line, "sys munmap 0x%" SCNx64 " 0x%" SCNx64 " = %lld",
					  &s->a[0], &s->a[1], &res) == 3) {
				strcpy(s->what, "munmap");
			} else if (sscanf(line, "sys mprotect 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64
					  " = %lld", &s->a[0], &s->a[1], &s->a[2], &res) == 4) {
				strcpy(s->what, "mprotect");
			} else if (sscanf(line, "sys mremap 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64
					  " 0x%" SCNx64 " 0x%" SCNx64 " = %lld", &s->a[0], &s->a[1],
					  &s->a[2], &s->a[3], &s->a[4], &res) == 6) {
				strcpy(s->what, "mremap");
			} else {
				continue;
			}
			s->res = res;
			o->nsys++;
		}
	}
	st = pclose(p);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
		return 77;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("oracle failed on %s (status %d)", path, st);
	if (!o->nmaps || !o->ip)
		fail_msg("oracle printed no state for %s", path);
	return 0;
}

struct sim {
	struct vmsim_machine *m;
	struct task_struct *t;
	struct exec_result r;
};

static int sim_exec(struct sim *s, const char *path, uint64_t rlimit, const char *arg0,
		    const char *args)
{
	int ret;

	struct vmsim_error err = { 0 };
	const char *sets[] = { "memory.size=512MiB", NULL };
	const char *argv[8] = { arg0 ? arg0 : path };
	char words[256], *save = NULL;
	struct exec_args a = { 0 };
	int argc = 1;

	s->m = vmsim_machine_create("x86_64", sets, &err);
	if (!s->m)
		fail_msg("boot: %s", err.msg);
	assert_int_equal(task_spawn(s->m, "t", NULL, &s->t), 0);
	a.filename = path;
	/* the oracle's shell splits the extra arguments at blanks: so do we */
	snprintf(words, sizeof(words), "%s", args ? args : "");
	for (char *w = strtok_r(words, " ", &save); w && argc < 8; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	a.argv = argv;
	a.argc = argc;
	a.stack_rlimit = rlimit;
	a.has_stack_rlimit = true;	/* the oracle always sets one, 0 included */
	ret = do_execve(s->t, &a, &s->r, &err);
	if (ret)
		fail_msg("vmsim exec %s: %s", path, err.msg);
	return 0;
}

static unsigned sim_maps(struct sim *s, struct map_line *out)
{
	struct strbuf sb = STRBUF_INIT;
	struct view_args va = { .task = "t" };
	unsigned n = 0;
	const char *p;

	assert_int_equal(view_render(s->m, "maps", &va, false, &sb), 0);
	p = sb_str(&sb);
	while (*p && n < MAXL) {
		const char *e = strchr(p, '\n');
		char line[512];
		size_t len = e ? (size_t)(e - p) : strlen(p);

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if (parse_map(line, &out[n]) == 0)
			n++;
		p += len + (e ? 1 : 0);
	}
	sb_free(&sb);
	return n;
}

static void compare_maps(const char *what, const struct map_line *host, unsigned nh,
			 const struct map_line *sim, unsigned ns)
{
	for (unsigned i = 0; i < nh || i < ns; i++) {
		const struct map_line *h = i < nh ? &host[i] : NULL, *v = i < ns ? &sim[i] : NULL;

		if (!h || !v || h->start != v->start || h->end != v->end ||
		    strcmp(h->perms, v->perms) || h->off != v->off || strcmp(h->name, v->name)) {
			char hs[400] = "(none)", vs[400] = "(none)";

			if (h)
				snprintf(hs, sizeof(hs), "%" PRIx64 "-%" PRIx64 " %s %08" PRIx64 " %s",
					 h->start, h->end, h->perms, h->off, h->name);
			if (v)
				snprintf(vs, sizeof(vs), "%" PRIx64 "-%" PRIx64 " %s %08" PRIx64 " %s",
					 v->start, v->end, v->perms, v->off, v->name);
			fail_msg("%s: maps line %u: host '%s', vmsim '%s'", what, i + 1, hs, vs);
		}
	}
}

static bool is_address_aux(uint64_t type)
{
	switch (type) {
	case AT_SYSINFO_EHDR: case AT_PHDR: case AT_BASE: case AT_ENTRY: case AT_RANDOM:
	case AT_EXECFN: case AT_PLATFORM: case AT_PHNUM: case AT_PHENT: case AT_PAGESZ:
	case AT_SYSINFO:
		return true;
	}
	return false;
}

static void compare_exec(const char *what, const struct oracle *o, struct sim *s)
{
	static struct map_line sm[MAXL];
	const struct mm_struct *mm = s->t->mm;
	const uint64_t mine[10] = { mm->start_code, mm->end_code, mm->start_stack, mm->start_data,
				    mm->end_data, mm->start_brk, mm->arg_start, mm->arg_end,
				    mm->env_start, mm->env_end };
	unsigned ns = sim_maps(s, sm);

	compare_maps(what, o->maps, o->nmaps, sm, ns);
	if (o->ip != s->r.ip || o->sp != s->r.sp)
		fail_msg("%s: host ip %#" PRIx64 " sp %#" PRIx64 ", vmsim ip %#" PRIx64 " sp %#" PRIx64,
			 what, o->ip, o->sp, s->r.ip, s->r.sp);
	for (int i = 0; i < 10; i++)
		if (o->mm[i] != mine[i])
			fail_msg("%s: %s host %#" PRIx64 ", vmsim %#" PRIx64, what, mm_names[i], o->mm[i],
				 mine[i]);
	if (o->nauxv != s->r.nr_auxv)
		fail_msg("%s: host has %u auxv entries, vmsim %u", what, o->nauxv, s->r.nr_auxv);
	for (unsigned i = 0; i < o->nauxv; i++) {
		if (o->auxv[i][0] != s->r.auxv[i][0])
			fail_msg("%s: auxv %u is type %" PRIu64 " on the host, %" PRIu64 " in vmsim", what,
				 i, o->auxv[i][0], s->r.auxv[i][0]);
		if (is_address_aux(o->auxv[i][0]) && o->auxv[i][1] != s->r.auxv[i][1])
			fail_msg("%s: %s host %#" PRIx64 ", vmsim %#" PRIx64, what,
				 auxv_name(o->auxv[i][0]), o->auxv[i][1], s->r.auxv[i][1]);
	}
}

/* Replay the recorded calls in vmsim, comparing each result. */
static void replay(const char *what, const struct oracle *o, struct sim *s)
{
	static struct map_line sm[MAXL];
	struct mm_struct *mm = s->t->mm;

	for (unsigned i = 0; i < o->nsys; i++) {
		const struct sysc *c = &o->sys[i];
		int64_t got;

		if (!strcmp(c->what, "brk")) {
			got = (int64_t)sys_brk(mm, c->a[0]);
		} else if (!strcmp(c->what, "munmap")) {
			got = do_munmap(mm, c->a[0], c->a[1]);
		} else if (!strcmp(c->what, "mprotect")) {
			got = do_mprotect(mm, c->a[0], c->a[1], (unsigned long)c->a[2]);
		} else if (!strcmp(c->what, "mremap")) {
			got = do_mremap(mm, c->a[0], c->a[1], c->a[2], (unsigned long)c->a[3], c->a[4]);
		} else {
			struct file *f = NULL;
			struct vmsim_error err = { 0 };

			if (!(c->a[3] & MAP_ANONYMOUS) && c->fd >= 0) {
				if (filemap_open(machine_page_cache(s->m), c->path, NULL, &f, &err))
					fail_msg("%s: call %u: %s", what, i + 1, err.msg);
			}
			got = vm_mmap(mm, f, c->a[0], c->a[1], (unsigned long)c->a[2],
				      (unsigned long)c->a[3], c->a[5]);
			fput(f);
		}
		if (got != c->res)
			fail_msg("%s: call %u (%s 0x%" PRIx64 " 0x%" PRIx64 "): host %" PRId64
				 ", vmsim %" PRId64, what, i + 1, c->what, c->a[0], c->a[1], c->res, got);
	}
	if (o->nfinal)
		compare_maps(what, o->final, o->nfinal, sm, sim_maps(s, sm));
}

static void sim_free(struct sim *s)
{
	struct vmsim_error err = { 0 };

	if (machine_check(s->m, &err) || task_check_all(s->m, &err) ||
	    page_cache_check(s->m->page_cache, &err))
		fail_msg("checker: %s", err.msg);
	vmsim_machine_destroy(s->m);
}

/* One case: exec compared; with @trace the run-on replayed too. */
static void diff_case_args(const char *what, const char *path, const char *rlimit_arg,
			   uint64_t rlimit, bool trace, const char *arg0, const char *args)
{
	static struct oracle o;
	struct sim s;

	if (!path) {
		print_message("skipped: %s: the probe was not built (the compiler cannot link it: "
			      "-m32 needs gcc-multilib)\n", what);
		skip();
	}
	if (access(path, X_OK) != 0) {
		print_message("skipped: %s: %s is not on this host\n", what, path);
		skip();
	}
	if (run_oracle(path, rlimit_arg, trace, arg0, args, &o) == 77) {
		print_message("skipped: %s: the host oracle cannot run here (not x86-64 Linux, or "
			      "ptrace refused)\n", what);
		skip();
	}
	sim_exec(&s, path, rlimit, arg0, args);
	compare_exec(what, &o, &s);
	if (trace)
		replay(what, &o, &s);
	print_message("%s: %u maps lines, %u auxv entries, %u calls replayed: equal\n", what,
		      o.nmaps, o.nauxv, o.nsys);
	sim_free(&s);
}

static void diff_case(const char *what, const char *path, const char *rlimit_arg, uint64_t rlimit,
		      bool trace)
{
	diff_case_args(what, path, rlimit_arg, rlimit, trace, NULL, NULL);
}

static char *probe(const char *name)
{
	static char buf[8][512];
	static int next;
	const char *list = getenv("EXEC_PROBES");
	size_t n = strlen(name);
	char *out = buf[next++ % 8];

	while (list && *list) {
		const char *end = strchr(list, ':');
		size_t len = end ? (size_t)(end - list) : strlen(list);

		if (len > n && strncmp(list, name, n) == 0 && list[n] == '=') {
			snprintf(out, 512, "%.*s", (int)(len - n - 1), list + n + 1);
			return out;
		}
		list += len + (end ? 1 : 0);
	}
	return NULL;
}

#define MiB (1ULL << 20)

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/*
 * An i386 program written by hand (gcc -m32 needs gcc-multilib): text
 * r-x at 0x8048000 with the headers, data rw- at 0x804a100 (page offset
 * 0x100 in the file too) with 0x3000 bytes of bss, entry code
 * "mov eax, 1; xor ebx, ebx; int 0x80" (exit(0)); PT_GNU_STACK rw- unless
 * @no_gnu_stack (then i386's READ_IMPLIES_EXEC applies).  Returns the path.
 */
static const char *make_i386(bool no_gnu_stack)
{
	static char path[2][64];
	static const uint8_t code[] = { 0xb8, 1, 0, 0, 0, 0x31, 0xdb, 0xcd, 0x80 };
	uint8_t img[0x1120];
	const unsigned nph = no_gnu_stack ? 2 : 3, code_off = 52 + 32 * nph;
	char *out = path[no_gnu_stack];
	uint8_t *ph;
	FILE *f;

	memset(img, 0, sizeof(img));
	memcpy(img, "\177ELF\1\1\1", 7);
	put16(img + 16, 2);			/* ET_EXEC */
	put16(img + 18, 3);			/* EM_386 */
	put32(img + 20, 1);
	put32(img + 24, 0x8048000 + code_off);	/* e_entry */
	put32(img + 28, 52);			/* e_phoff */
	put16(img + 40, 52);
	put16(img + 42, 32);
	put16(img + 44, (uint16_t)nph);
	ph = img + 52;
	put32(ph, 1); put32(ph + 4, 0); put32(ph + 8, 0x8048000); put32(ph + 12, 0x8048000);
	put32(ph + 16, code_off + sizeof(code)); put32(ph + 20, code_off + sizeof(code));
	put32(ph + 24, 4 | 1); put32(ph + 28, 0x1000);
	ph += 32;
	put32(ph, 1); put32(ph + 4, 0x1100); put32(ph + 8, 0x804a100); put32(ph + 12, 0x804a100);
	put32(ph + 16, 0x20); put32(ph + 20, 0x3000); put32(ph + 24, 4 | 2); put32(ph + 28, 0x1000);
	ph += 32;
	if (!no_gnu_stack) {
		put32(ph, 0x6474e551); put32(ph + 24, 4 | 2); put32(ph + 28, 16);
	}
	memcpy(img + code_off, code, sizeof(code));
	memset(img + 0x1100, 0x5a, 0x20);
	snprintf(out, 64, "/tmp/vmsim-i386-%d-%d", (int)getpid(), no_gnu_stack);
	f = fopen(out, "wb");
	if (!f || fwrite(img, 1, sizeof(img), f) != sizeof(img))
		fail_msg("cannot write %s", out);
	fclose(f);
	chmod(out, 0755);
	return out;
}

static void test_diff_true_dynamic_pie(void **s) { (void)s; diff_case("true", "/usr/bin/true", "8388608", 8 * MiB, true); }
static void test_diff_true_with_arguments(void **s) { (void)s; diff_case_args("true a bb", "/usr/bin/true", "8388608", 8 * MiB, true, NULL, "a bb --long-option=x"); }
/* argv[0] other than the file name: AT_EXECFN keeps the name execve got */
static void test_diff_true_arg0(void **s) { (void)s; diff_case_args("true as [x]", "/usr/bin/true", "8388608", 8 * MiB, true, "a-much-longer-argv0-than-the-path", NULL); }
static void test_diff_true_rlimit_256m(void **s) { (void)s; diff_case("true 256M", "/usr/bin/true", "268435456", 256 * MiB, true); }
/* RLIMIT_STACK 0: setup_arg_pages() keeps the stack at the pages of the
 * strings (stack_base = vm_end - 0 is above vm_start: no expansion), and
 * mmap_base takes the 128 MiB minimum gap.  Not traced: the program cannot
 * grow its stack past that page and dies. */
static void test_diff_true_rlimit_0(void **s) { (void)s; diff_case("true rlimit 0", "/usr/bin/true", "0", 0, false); }
static void test_diff_true_rlimit_unlimited(void **s) { (void)s; diff_case("true unlimited", "/usr/bin/true", "unlimited", CFG_UNLIMITED, true); }
static void test_diff_ld_so_run_directly(void **s) { (void)s; diff_case("ld.so", "/lib64/ld-linux-x86-64.so.2", "8388608", 8 * MiB, true); }
static void test_diff_probe_pie(void **s) { (void)s; diff_case("pie", probe("pie"), "8388608", 8 * MiB, true); }
static void test_diff_probe_nopie(void **s) { (void)s; diff_case("non-PIE", probe("nopie"), "8388608", 8 * MiB, true); }
static void test_diff_probe_static(void **s) { (void)s; diff_case("static", probe("static"), "8388608", 8 * MiB, true); }
static void test_diff_probe_static_pie(void **s) { (void)s; diff_case("static-pie", probe("static_pie"), "8388608", 8 * MiB, true); }
static void test_diff_probe_execstack(void **s) { (void)s; diff_case("execstack", probe("execstack"), "8388608", 8 * MiB, true); }
static void test_diff_probe_align_2m(void **s) { (void)s; diff_case("p_align 2M", probe("align2m"), "8388608", 8 * MiB, true); }
static void test_diff_probe_align_2m_pie(void **s) { (void)s; diff_case("PIE p_align 2M", probe("align2m_pie"), "8388608", 8 * MiB, true); }
/* every shape of mremap, each answer and the final maps the host's */
static void test_diff_probe_mremap(void **s) { (void)s; diff_case("mremap", probe("mremap"), "8388608", 8 * MiB, true); }

/*
 * Why the host cannot run i386 programs, or NULL when it can.  Kernels
 * built without IA32_EMULATION (or booted with ia32_emulation=false)
 * refuse them in execve with ENOEXEC; the i386 cases then have nothing to
 * compare against and are skipped with this reason.  Probed once, by
 * running the hand-made program (no ptrace, no multilib needed).
 * VMSIM_TEST_PRETEND_NO_IA32 makes the probe answer "missing", so the
 * skip path itself is tested on hosts that do run i386 code.
 */
static const char *ia32_missing(void)
{
	static const char *why;
	static bool probed;
	static char buf[160];
	const char *p;
	int st = 0, err = 0, pfd[2];
	bool ran;
	pid_t pid = -1;

	if (probed)
		return why;
	probed = true;
	if (getenv("VMSIM_TEST_PRETEND_NO_IA32"))
		return why = "IA-32 emulation reported off (VMSIM_TEST_PRETEND_NO_IA32 is set)";
	p = make_i386(false);
	if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		fail_msg("cannot probe i386 execution: %s", strerror(errno));
	if (pid == 0) {
		char *const argv[] = { (char *)p, NULL }, *const envp[] = { NULL };

		execve(p, argv, envp);
		err = errno;
		_exit(write(pfd[1], &err, sizeof(err)) < 0 ? 126 : 127);
	}
	close(pfd[1]);
	/* the pipe closes on a successful execve; a failed one sends errno */
	if (read(pfd[0], &err, sizeof(err)) != (ssize_t)sizeof(err))
		err = 0;
	close(pfd[0]);
	ran = waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	unlink(p);
	if (!ran) {
		snprintf(buf, sizeof(buf), "the host kernel cannot run i386 programs (execve: %s%s)",
			 err ? strerror(err) : "the program did not exit 0",
			 err == ENOEXEC ? ": IA-32 emulation is off" : "");
		why = buf;
	}
	return why;
}

/* The i386 cases need the host to run i386 code: skip with the reason if not. */
static void need_ia32(void)
{
	const char *why = ia32_missing();

	if (why) {
		print_message("skipped: %s\n", why);
		skip();
	}
}

static void test_diff_probe_i386(void **s)
{
	(void)s;
	need_ia32();
	diff_case("i386", probe("i386"), "8388608", 8 * MiB, false);
}
/* i386 system calls have other numbers: these run without the trace */
static void test_diff_i386_by_hand(void **s)
{
	const char *p;

	(void)s;
	need_ia32();
	p = make_i386(false);
	diff_case("i386 (hand-made)", p, "8388608", 8 * MiB, false);
	unlink(p);
}
static void test_diff_i386_read_implies_exec(void **s)
{
	const char *p;

	(void)s;
	need_ia32();
	p = make_i386(true);
	diff_case("i386 without PT_GNU_STACK", p, "8388608", 8 * MiB, false);
	unlink(p);
}

/* Files a case writes next to the test: removed at exit, also when a
 * failed comparison ends the case before its own unlink(). */
static char scratch[4][512];

static void remove_scratch(void)
{
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++)
		if (scratch[i][0])
			unlink(scratch[i]);
}

/* Note @path as scratch (at most four at a time). */
static void add_scratch(const char *path)
{
	static bool registered;

	if (!registered)
		registered = atexit(remove_scratch) == 0;
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++)
		if (!scratch[i][0] || strcmp(scratch[i], path) == 0) {
			snprintf(scratch[i], sizeof(scratch[i]), "%s", path);
			return;
		}
	fail_msg("too many scratch files");
}

/*
 * A 3 MiB file for the placement probe, in the current directory, on a
 * file system whose files the kernel maps at 2 MiB boundaries (ext4 or
 * xfs: thp_get_unmapped_area), which is what vmsim's default
 * vfs.large_folios says.  NULL (with the reason printed) elsewhere.
 */
static const char *big_file(void)
{
	static char path[512];
	static const unsigned long large_folio_fs[] = { 0xEF53 /* ext4 */, 0x58465342 /* xfs */ };
	char cwd[400];
	struct statfs sf;
	FILE *f;
	bool ok = false;

	if (!getcwd(cwd, sizeof(cwd)) || statfs(cwd, &sf) != 0) {
		print_message("skipped: cannot tell the file system of the current directory\n");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(large_folio_fs) / sizeof(large_folio_fs[0]); i++)
		ok |= (unsigned long)sf.f_type == large_folio_fs[i];
	if (!ok) {
		print_message("skipped: %s is on a file system (magic %#lx) that is neither ext4 nor xfs:"
			      " its mmap placement is not the one vfs.large_folios=true models\n", cwd,
			      (unsigned long)sf.f_type);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/oracle-big-%d.bin", cwd, (int)getpid());
	add_scratch(path);
	f = fopen(path, "wb");
	if (!f || fseek(f, 3 * MiB - 1, SEEK_SET) != 0 || fputc(1, f) == EOF || fclose(f) != 0)
		fail_msg("cannot write %s", path);
	return path;
}

static void placement_case(const char *what, const char *kind)
{
	const char *big = big_file();

	if (!big)
		skip();
	diff_case_args(what, probe(kind), "8388608", 8 * MiB, true, NULL, big);
	unlink(big);
}

/* THP alignment of anonymous memory and of a file, MAP_STACK, MAP_32BIT,
 * hints, and the bottom-up fallback when nothing fits below mmap_base */
static void test_diff_placement_static(void **s) { (void)s; placement_case("placement (static)", "place_static"); }
/* the same in a dynamic program that needs libstdc++, more than 2 MiB:
 * ld.so's mapping of it lands on a 2 MiB boundary */
static void test_diff_placement_libstdcxx(void **s) { (void)s; placement_case("placement (libstdc++)", "place_stdcxx"); }

/* An executable script @name in the current directory: "#!" + @line. */
static const char *write_script(char *path, size_t n, const char *name, const char *line)
{
	char cwd[400];
	FILE *f;

	if (!getcwd(cwd, sizeof(cwd)))
		fail_msg("getcwd: %s", strerror(errno));
	snprintf(path, n, "%s/oracle-%s-%d", cwd, name, (int)getpid());
	add_scratch(path);
	f = fopen(path, "w");
	if (!f || fprintf(f, "#!%s\nexit 3\n", line) < 0 || fclose(f) != 0)
		fail_msg("cannot write %s", path);
	chmod(path, 0755);
	return path;
}

/* A "#!" script run by the host: its interpreter (the PIE probe) with the
 * argv binfmt_script builds ("probe -x  y script A B"), AT_EXECFN the
 * script's path; and a script whose interpreter is that script. */
static void test_diff_script(void **s)
{
	const char *pie = probe("pie");
	char line[600], one[512], two[512];

	(void)s;
	if (!pie) {
		print_message("skipped: the PIE probe was not built\n");
		skip();
	}
	snprintf(line, sizeof(line), "%s  -x  y \t", pie);
	write_script(one, sizeof(one), "script", line);
	diff_case_args("#! script", one, "8388608", 8 * MiB, true, NULL, "A B");
	write_script(two, sizeof(two), "script2", one);
	diff_case_args("#! script of a script", two, "8388608", 8 * MiB, true, NULL, "C");
	unlink(two);
	unlink(one);
}

/* --only-i386: the i386 group alone (the skip-path check runs it so) */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_true_dynamic_pie),
		cmocka_unit_test(test_diff_true_with_arguments),
		cmocka_unit_test(test_diff_true_arg0),
		cmocka_unit_test(test_diff_true_rlimit_256m),
		cmocka_unit_test(test_diff_true_rlimit_0),
		cmocka_unit_test(test_diff_true_rlimit_unlimited),
		cmocka_unit_test(test_diff_ld_so_run_directly),
		cmocka_unit_test(test_diff_probe_pie),
		cmocka_unit_test(test_diff_probe_nopie),
		cmocka_unit_test(test_diff_probe_static),
		cmocka_unit_test(test_diff_probe_static_pie),
		cmocka_unit_test(test_diff_probe_execstack),
		cmocka_unit_test(test_diff_probe_align_2m),
		cmocka_unit_test(test_diff_probe_align_2m_pie),
		cmocka_unit_test(test_diff_probe_mremap),
		cmocka_unit_test(test_diff_placement_static),
		cmocka_unit_test(test_diff_placement_libstdcxx),
		cmocka_unit_test(test_diff_script),
	};
	const struct CMUnitTest i386[] = {
		cmocka_unit_test(test_diff_probe_i386),
		cmocka_unit_test(test_diff_i386_by_hand),
		cmocka_unit_test(test_diff_i386_read_implies_exec),
	};
	int failed = 0;

	if (argc < 2 || strcmp(argv[1], "--only-i386") != 0)
		failed += cmocka_run_group_tests(tests, NULL, NULL);
	return failed + cmocka_run_group_tests(i386, NULL, NULL);
}
