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
 * and, for the traced cases, what the program did after exec is replayed
 * in vmsim as the oracle prints it (oracle_trace.c), in the order the
 * host kernel ran it, every thread's calls in one sequence: the pages its
 * threads touched (a user access of the task each, so that faults give
 * VMAs their anon_vmas as on the host), each memory call with its result
 * compared (a file mapped with its descriptor's access mode), the VMAs and
 * their VmFlags compared after every call, and the VMAs at exit.
 *
 * Invariant: every expected value is read from the host kernel while the
 * test runs; nothing is copied from an earlier run.  A case skips with the
 * reason when the oracle does (not x86-64 Linux, ptrace or a setting
 * refused), when its program is not on the host or its probe was not
 * built, or when a multi-threaded program ran fewer threads than it needs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
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
#include "mmu/mmu.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "kern/views.h"
#include "util/config.h"
#include "util/error.h"
#include "util/strbuf.h"
#include "vma/filemap.h"
#include "vma/mm.h"

#define MAXL 1024	/* VMAs of one state */

struct map_line {
	uint64_t start, end, off;
	char perms[5];
	char name[256];
	char flags[128];	/* VmFlags, when the line came with them */
};

/* What the oracle prints about the new image, before the trace. */
struct exec_state {
	uint64_t ip, sp;
	uint64_t mm[10];	/* in the order of mm_names */
	unsigned nauxv, nmaps;
	uint64_t auxv[32][2];
	struct map_line maps[MAXL];
};

/* The oracle's output, read line by line while the test replays it. */
struct oracle {
	FILE *p;
	char line[8192];
	bool pending;		/* line holds a trace line not yet taken */
	struct exec_state x;
};

/*
 * What a case leaves behind when it fails midway (cmocka jumps out of it):
 * the oracle's pipe (with its reader gone the oracle ends, and its program
 * with it), the machine, and the files the test wrote.  diff_teardown()
 * after every case releases what is still there.
 */
static struct oracle *live_oracle;
struct sim;
static struct sim *live_sim;

/* Files a case writes (at most four at a time): diff_teardown() removes
 * them, also when a failed comparison ended the case early. */
static char scratch[4][512];

/* Note @path as scratch. */
static void add_scratch(const char *path)
{
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++)
		if (!scratch[i][0] || strcmp(scratch[i], path) == 0) {
			snprintf(scratch[i], sizeof(scratch[i]), "%s", path);
			return;
		}
	fail_msg("too many scratch files");
}

static void remove_scratch(void)
{
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++)
		if (scratch[i][0]) {
			unlink(scratch[i]);
			scratch[i][0] = '\0';
		}
}

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

static bool is_trace_line(const char *l)
{
	static const char *const kinds[] = { "touch ", "sys ", "vec ", "vmas ", "final ", "exit " };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(l, kinds[i], strlen(kinds[i])) == 0)
			return true;
	return false;
}

/* The next line of the oracle's output (without its newline), or NULL at its end. */
static const char *oracle_line(struct oracle *o)
{
	size_t n;

	if (o->pending) {
		o->pending = false;
		return o->line;
	}
	if (!fgets(o->line, sizeof(o->line), o->p))
		return NULL;
	n = strlen(o->line);
	if (n && o->line[n - 1] == '\n')
		o->line[--n] = '\0';
	return o->line;
}

/* Start the oracle and read the exec state; the trace (if any) is left
 * for oracle_line().  77 means skip, with the oracle's reason in @why. */
static int oracle_open(struct oracle *o, const char *path, const char *opts, const char *arg0,
		       const char *args, char *why, size_t whylen)
{
	const char *exe = getenv("EXEC_ORACLE");
	struct exec_state *x = &o->x;
	char cmd[2048];
	const char *line;

	memset(o, 0, sizeof(*o));
	snprintf(why, whylen, "EXEC_ORACLE is not set");
	if (!exe)
		return 77;
	snprintf(cmd, sizeof(cmd), "%s %s %s%s %s %s", exe, opts, arg0 ? "--arg0 " : "",
		 arg0 ? arg0 : "", path, args ? args : "");
	o->p = popen(cmd, "r");
	assert_non_null(o->p);
	live_oracle = o;
	while ((line = oracle_line(o))) {
		unsigned long long a, b;
		char name[64];

		if (strncmp(line, "SKIP: ", 6) == 0) {
			snprintf(why, whylen, "%s", line + 6);
			while (oracle_line(o))
				;
			live_oracle = NULL;
			pclose(o->p);
			return 77;
		}
		if (is_trace_line(line)) {
			o->pending = true;
			break;
		}
		if (sscanf(line, "rip 0x%llx", &a) == 1) {
			x->ip = a;
		} else if (sscanf(line, "rsp 0x%llx", &a) == 1) {
			x->sp = a;
		} else if (sscanf(line, "mm %63s 0x%llx", name, &a) == 2) {
			for (int i = 0; i < 10; i++)
				if (strcmp(name, mm_names[i]) == 0)
					x->mm[i] = a;
		} else if (sscanf(line, "auxv %llu 0x%llx", &a, &b) == 2 && x->nauxv < 32) {
			x->auxv[x->nauxv][0] = a;
			x->auxv[x->nauxv++][1] = b;
		} else if (strncmp(line, "map ", 4) == 0 && x->nmaps < MAXL) {
			if (parse_map(line + 4, &x->maps[x->nmaps]) == 0)
				x->nmaps++;
		}
	}
	if (!x->nmaps || !x->ip) {
		int st;

		live_oracle = NULL;
		st = pclose(o->p);

		fail_msg("oracle printed no state for %s (status %d)", path, st);
	}
	return 0;
}

/* The oracle's end: it must have exited 0 (the skips came earlier). */
static void oracle_close(struct oracle *o, const char *what)
{
	int st;

	while (oracle_line(o))
		;
	live_oracle = NULL;
	st = pclose(o->p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s: the oracle failed (status %d)", what, st);
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
	const char *argv[16] = { arg0 ? arg0 : path };
	char words[512], *save = NULL;
	struct exec_args a = { 0 };
	int argc = 1;

	s->m = vmsim_machine_create("x86_64", sets, &err);
	if (!s->m)
		fail_msg("boot: %s", err.msg);
	live_sim = s;
	assert_int_equal(task_spawn(s->m, "t", NULL, &s->t), 0);
	a.filename = path;
	/* the oracle's shell splits the extra arguments at blanks: so do we */
	snprintf(words, sizeof(words), "%s", args ? args : "");
	for (char *w = strtok_r(words, " ", &save); w && argc < 16; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	a.argv = argv;
	a.argc = argc;
	a.stack_rlimit = rlimit;
	a.has_stack_rlimit = true;	/* the oracle always sets one, 0 included */
	ret = do_execve(s->t, &a, &s->r, &err);
	if (ret)
		fail_msg("vmsim exec %s: %s", path, err.msg);
	/* the checkers after every replayed call: what the call changed,
	 * and every 100 calls the whole machine */
	assert_int_equal(machine_check_start(s->m, 100), 0);
	return 0;
}

/* Lines of a rendered view, one at a time. */
static const char *next_view_line(const char **p, char *line, size_t size)
{
	const char *e;
	size_t len;

	if (!**p)
		return NULL;
	e = strchr(*p, '\n');
	len = e ? (size_t)(e - *p) : strlen(*p);
	snprintf(line, size, "%.*s", (int)len, *p);
	*p += len + (e ? 1 : 0);
	return line;
}

static unsigned sim_maps(struct sim *s, struct map_line *out)
{
	struct strbuf sb = STRBUF_INIT;
	struct view_args va = { .task = "t" };
	unsigned n = 0;
	const char *p;
	char line[512];

	assert_int_equal(view_render(s->m, "maps", &va, false, &sb), 0);
	p = sb_str(&sb);
	while (n < MAXL && next_view_line(&p, line, sizeof(line)))
		if (parse_map(line, &out[n]) == 0)
			n++;
	sb_free(&sb);
	return n;
}

/* The maps, each line with its smaps VmFlags (the gate VMA, which smaps
 * leaves out, without). */
static unsigned sim_vmas(struct sim *s, struct map_line *out)
{
	struct strbuf sb = STRBUF_INIT;
	struct view_args va = { .task = "t" };
	unsigned n = sim_maps(s, out), i = 0;
	const char *p;
	char line[512];
	struct map_line m;

	assert_int_equal(view_render(s->m, "smaps", &va, false, &sb), 0);
	p = sb_str(&sb);
	while (next_view_line(&p, line, sizeof(line))) {
		if (strncmp(line, "VmFlags:", 8) == 0) {
			if (i < n)
				snprintf(out[i].flags, sizeof(out[i].flags), "%.127s", line + 8);
		} else if (isxdigit((unsigned char)line[0]) && !isupper((unsigned char)line[0]) &&
			   parse_map(line, &m) == 0) {
			for (i = 0; i < n && out[i].start != m.start; i++)
				;
		}
	}
	sb_free(&sb);
	return n;
}

/* Does the word list @flags hold @word? */
static bool has_flag(const char *flags, const char *word)
{
	size_t n = strlen(word);

	for (const char *f = flags; (f = strstr(f, word)); f += n)
		if ((f == flags || f[-1] == ' ' || f[-1] == '[') &&
		    (f[n] == ' ' || f[n] == ']' || f[n] == '\0'))
			return true;
	return false;
}

/* The VmFlags mnemonics vmsim's smaps prints (show_smap_vma_flags);
 * others the host may print (sd, mt, ss, sl, ...) are not compared. */
static const char *const vm_flag_words[] = {
	"rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "um", "pf", "uw", "lo", "io", "sr",
	"rr", "dc", "de", "lf", "ac", "nr", "ht", "sf", "ar", "wf", "dd", "mm", "hg", "nh", "mg",
};

static void fmt_map(char *buf, size_t size, const struct map_line *m)
{
	if (!m)
		snprintf(buf, size, "(none)");
	else
		snprintf(buf, size, "%" PRIx64 "-%" PRIx64 " %s %08" PRIx64 " %s%s%s%s", m->start,
			 m->end, m->perms, m->off, m->name, m->flags[0] ? " [" : "", m->flags,
			 m->flags[0] ? "]" : "");
}

/* Line by line: start, end, perms, offset, name (device and inode
 * aside); and VmFlags where both sides have them. */
static void compare_maps(const char *what, const struct map_line *host, unsigned nh,
			 const struct map_line *sim, unsigned ns)
{
	for (unsigned i = 0; i < nh || i < ns; i++) {
		const struct map_line *h = i < nh ? &host[i] : NULL, *v = i < ns ? &sim[i] : NULL;
		const char *differs = NULL;

		if (!h || !v || h->start != v->start || h->end != v->end ||
		    strcmp(h->perms, v->perms) || h->off != v->off || strcmp(h->name, v->name))
			differs = "";
		for (size_t k = 0; !differs && h->flags[0] && v->flags[0] &&
		     k < sizeof(vm_flag_words) / sizeof(vm_flag_words[0]); k++)
			if (has_flag(h->flags, vm_flag_words[k]) != has_flag(v->flags, vm_flag_words[k]))
				differs = vm_flag_words[k];
		if (differs) {
			char hs[512], vs[512];

			fmt_map(hs, sizeof(hs), h);
			fmt_map(vs, sizeof(vs), v);
			fail_msg("%s: maps line %u%s%s: host '%s', vmsim '%s'", what, i + 1,
				 differs[0] ? ", VmFlags " : "", differs, hs, vs);
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

static void compare_exec(const char *what, const struct exec_state *o, struct sim *s)
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

/* ---- the trace ---- */

/* One recorded call: "sys tN NAME ARG... = RES [ACC PATH]". */
struct sysc {
	int thread;
	char what[32];
	uint64_t a[6];
	unsigned nargs;
	int64_t res;
	int accmode;		/* mmap: open(2)'s access mode of the descriptor, or -1 */
	char path[4096];
};

/* "O_RDONLY" ... as open(2)'s access mode (O_ACCMODE: 3, the mode that
 * neither reads nor writes), "-" as -1; -2 for anything else. */
static int parse_accmode(const char *s, size_t n)
{
	static const char *const names[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };

	if (n == 1 && *s == '-')
		return -1;
	for (int i = 0; i < 4; i++)
		if (strlen(names[i]) == n && !strncmp(s, names[i], n))
			return i;
	return -2;
}

static int parse_call(const char *line, struct sysc *c)
{
	const char *p;
	char *end;
	int n = 0;

	memset(c, 0, sizeof(*c));
	if (sscanf(line, "sys t%d %31s%n", &c->thread, c->what, &n) != 2)
		return -1;
	for (p = line + n; *p == ' '; p++) {
		p++;
		if (*p == '=')
			break;
		if (c->nargs == 6)
			return -1;
		c->a[c->nargs++] = *p == '-' ? (uint64_t)strtoll(p, &end, 0) : strtoull(p, &end, 0);
		if (end == p)
			return -1;
		p = end - 1;
	}
	if (*p != '=')
		return -1;
	c->res = strtoll(p + 1, &end, 10);
	if (end == p + 1)
		return -1;
	c->accmode = -1;
	if (*end == ' ') {
		const char *sp = strchr(end + 1, ' ');

		if (!sp || (c->accmode = parse_accmode(end + 1, (size_t)(sp - end - 1))) == -2)
			return -1;
		snprintf(c->path, sizeof(c->path), "%s", sp + 1);
	}
	return 0;
}

/* Where the replay is: what is compared next, and what it has done. */
struct replay {
	const char *what;
	struct oracle *o;
	struct sim *s;
	unsigned calls, touched, states, threads;
	struct sysc last;		/* the call just replayed */
	bool final;
	int exit_status;		/* -1: not seen; 256+N: killed by signal N */
	int want_exit;			/* ... and what it must be */
	struct map_line host[MAXL], sim[MAXL];
	unsigned nhost;
	const char *missing;		/* the call vmsim cannot replay yet, which ended it */
	unsigned char *vec;		/* mincore's vector in vmsim, for the "vec" line */
	size_t vec_len;
};

static void replay_touch(struct replay *rp, const char *line)
{
	unsigned long long addr, pages;
	char kind;

	if (sscanf(line, "touch 0x%llx %llu %c", &addr, &pages, &kind) != 3)
		fail_msg("%s: bad oracle line '%s'", rp->what, line);
	for (unsigned long long i = 0; i < pages; i++) {
		struct access_result r = { 0 };
		uint64_t va = addr + i * PAGE_SIZE;

		if (task_access(rp->s->t, va, kind == 'w' ? MMU_WRITE : MMU_READ, NULL, 1, &r) || r.segv)
			fail_msg("%s: after call %u: the program %s %#" PRIx64 " on the host; vmsim %s",
				 rp->what, rp->calls, kind == 'w' ? "wrote" : "read", va,
				 r.segv ? "raised SIGSEGV" : "ran out of memory");
		rp->touched++;
	}
}

static int64_t replay_mmap(struct replay *rp, const struct sysc *c)
{
	struct file *f = NULL;
	struct vmsim_error err = { 0 };
	int64_t got;

	if (!(c->a[3] & MAP_ANONYMOUS) && (int)c->a[4] >= 0 &&
	    filemap_open(machine_page_cache(&rp->s->m->vm), c->path, NULL, &f, &err))
		fail_msg("%s: call %u: %s", rp->what, rp->calls, err.msg);
	if (f && c->accmode < 0)
		fail_msg("%s: call %u: a file mapping without its access mode", rp->what, rp->calls);
	got = vm_mmap_fmode(rp->s->t->mm, f, f ? OPEN_FMODE(c->accmode) : 0, c->a[0], c->a[1],
			    (unsigned long)c->a[2], (unsigned long)c->a[3], c->a[5]);
	fput(f);
	return got;
}

static int64_t replay_brk(struct replay *rp, const struct sysc *c)
{
	return (int64_t)sys_brk(rp->s->t->mm, c->a[0]);
}

static int64_t replay_munmap(struct replay *rp, const struct sysc *c)
{
	return do_munmap(rp->s->t->mm, c->a[0], c->a[1]);
}

static int64_t replay_mprotect(struct replay *rp, const struct sysc *c)
{
	return do_mprotect(rp->s->t->mm, c->a[0], c->a[1], (unsigned long)c->a[2]);
}

static int64_t replay_mremap(struct replay *rp, const struct sysc *c)
{
	return do_mremap(rp->s->t->mm, c->a[0], c->a[1], c->a[2], (unsigned long)c->a[3], c->a[4]);
}

static int64_t replay_madvise(struct replay *rp, const struct sysc *c)
{
	return do_madvise(rp->s->t->mm, c->a[0], c->a[1], (int)c->a[2], NULL);
}

#ifdef VMSIM_REPLAY_MLOCK
static int64_t replay_mlock(struct replay *rp, const struct sysc *c)
{
	return sys_mlock(rp->s->t->mm, c->a[0], c->a[1], NULL);
}

static int64_t replay_mlock2(struct replay *rp, const struct sysc *c)
{
	return sys_mlock2(rp->s->t->mm, c->a[0], c->a[1], (int)c->a[2], NULL);
}

static int64_t replay_munlock(struct replay *rp, const struct sysc *c)
{
	return sys_munlock(rp->s->t->mm, c->a[0], c->a[1]);
}

static int64_t replay_mlockall(struct replay *rp, const struct sysc *c)
{
	return sys_mlockall(rp->s->t->mm, (int)c->a[0], NULL);
}

static int64_t replay_munlockall(struct replay *rp, const struct sysc *c)
{
	(void)c;
	return sys_munlockall(rp->s->t->mm);
}

static int64_t replay_msync(struct replay *rp, const struct sysc *c)
{
	return sys_msync(rp->s->t->mm, c->a[0], c->a[1], (int)c->a[2]);
}

/* The vector goes to rp->vec for the "vec" line that follows (at most
 * the oracle's 65536 pages: a longer one is not printed, and the bytes
 * past the buffer are the kernel's EFAULT). */
static int64_t replay_mincore(struct replay *rp, const struct sysc *c)
{
	const uint64_t pages = (c->a[1] + PAGE_SIZE - 1) / PAGE_SIZE;
	int64_t got;

	free(rp->vec);
	rp->vec_len = pages < (1u << 16) ? (size_t)pages : (1u << 16);
	rp->vec = calloc(1, rp->vec_len + 1);
	assert_non_null(rp->vec);
	got = sys_mincore(rp->s->t->mm, c->a[0], c->a[1], rp->vec, rp->vec_len);
	if (got)
		rp->vec_len = 0;
	return got;
}
#endif

/*
 * The calls the tracer records that the replay knows, each with what runs
 * it in vmsim.  NULL: a call vmsim has not got yet, though it is coming
 * (mlock, mincore and msync: VMSIM_REPLAY_MLOCK, which tests/oracle's
 * meson.build defines once src/vma/mlock.c is there); a program that
 * makes one has its case skipped with the call named, its calls before it
 * compared.  A recorded call not in the table fails the case.
 */
typedef int64_t replay_fn(struct replay *rp, const struct sysc *c);
#ifdef VMSIM_REPLAY_MLOCK
#define MLOCK_FAMILY(fn) fn
#else
#define MLOCK_FAMILY(fn) NULL
#endif
static const struct {
	const char *name;
	replay_fn *fn;
} replayable[] = {
	{ "brk", replay_brk }, { "mmap", replay_mmap }, { "munmap", replay_munmap },
	{ "mprotect", replay_mprotect }, { "mremap", replay_mremap }, { "madvise", replay_madvise },
	{ "mlock", MLOCK_FAMILY(replay_mlock) }, { "mlock2", MLOCK_FAMILY(replay_mlock2) },
	{ "munlock", MLOCK_FAMILY(replay_munlock) }, { "mlockall", MLOCK_FAMILY(replay_mlockall) },
	{ "munlockall", MLOCK_FAMILY(replay_munlockall) }, { "msync", MLOCK_FAMILY(replay_msync) },
	{ "mincore", MLOCK_FAMILY(replay_mincore) },
};

/* Replay one "sys" line and compare its result; a call vmsim has not got
 * yet sets rp->missing instead (the replay ends there). */
static void replay_call(struct replay *rp, const char *line)
{
	struct sysc *c = &rp->last;
	struct vmsim_error err = { 0 };
	size_t i, n = sizeof(replayable) / sizeof(replayable[0]);
	int64_t got;

	if (parse_call(line, c))
		fail_msg("%s: bad oracle line '%s'", rp->what, line);
	rp->calls++;
	if ((unsigned)c->thread + 1 > rp->threads)
		rp->threads = (unsigned)c->thread + 1;
	for (i = 0; i < n && strcmp(replayable[i].name, c->what); i++)
		;
	if (i == n)
		fail_msg("%s: call %u (%s, thread %d): vmsim has no %s to replay", rp->what,
			 rp->calls, line, c->thread, c->what);
	if (!replayable[i].fn) {
		rp->missing = replayable[i].name;
		return;
	}
	got = replayable[i].fn(rp, c);
	if (got != c->res)
		fail_msg("%s: call %u (thread %d: %s 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64
			 "): host %" PRId64 ", vmsim %" PRId64, rp->what, rp->calls, c->thread,
			 c->what, c->a[0], c->a[1], c->a[2], c->res, got);
	if (machine_check_point(rp->s->m, &err))
		fail_msg("%s: call %u (%s): checker: %s", rp->what, rp->calls, c->what, err.msg);
}

/* "vec DIGITS" after a mincore: its vector, digit by digit ("vec -": too
 * long to print). */
static void compare_vec(struct replay *rp, const char *line)
{
	const char *digits = line + 4;
	size_t n = strlen(digits);

	if (!strcmp(digits, "-"))
		return;
	if (n != rp->vec_len)
		fail_msg("%s: call %u (mincore): host vector of %zu pages, vmsim %zu", rp->what,
			 rp->calls, n, rp->vec_len);
	for (size_t i = 0; i < n; i++)
		if (digits[i] != "0123456789abcdef"[rp->vec[i] & 0xf])
			fail_msg("%s: call %u (mincore 0x%" PRIx64 "): page %zu is %c on the host, %x "
				 "in vmsim (vector %s)", rp->what, rp->calls, rp->last.a[0], i, digits[i],
				 rp->vec[i] & 0xf, digits);
}

/* "vmas N" / "final N" and the N lines after it: the host's VMAs now. */
static void read_state(struct replay *rp, unsigned n)
{
	rp->nhost = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *line = oracle_line(rp->o), *rb = NULL;
		struct map_line *m = &rp->host[rp->nhost];

		if (!line || strncmp(line, "vma [", 5) || !(rb = strchr(line, ']')) ||
		    parse_map(rb + 2, m))
			fail_msg("%s: bad oracle state line '%s'", rp->what, line ? line : "(end)");
		snprintf(m->flags, sizeof(m->flags), "%.*s", (int)(rb - line - 5), line + 5);
		if (rp->nhost < MAXL)
			rp->nhost++;
	}
}

static void compare_state(struct replay *rp, const char *when)
{
	char what[256];

	snprintf(what, sizeof(what), "%s: %s", rp->what, when);
	compare_maps(what, rp->host, rp->nhost, rp->sim, sim_vmas(rp->s, rp->sim));
	rp->states++;
}

/* Replay the oracle's trace in order, comparing as it goes. */
static void replay(struct replay *rp)
{
	const char *line;
	unsigned n;
	int v;

	rp->exit_status = -1;
	while ((line = oracle_line(rp->o))) {
		char when[160];

		snprintf(when, sizeof(when), "after call %u (%s, thread %d)", rp->calls,
			 rp->last.what, rp->last.thread);
		if (!strncmp(line, "touch ", 6)) {
			replay_touch(rp, line);
		} else if (!strncmp(line, "sys ", 4)) {
			replay_call(rp, line);
			if (rp->missing)
				return;
		} else if (!strncmp(line, "vec ", 4)) {
			compare_vec(rp, line);
		} else if (!strcmp(line, "vmas same")) {
			compare_state(rp, when);
		} else if (sscanf(line, "vmas %u", &n) == 1) {
			read_state(rp, n);
			compare_state(rp, when);
		} else if (sscanf(line, "final %u", &n) == 1) {
			read_state(rp, n);
			compare_state(rp, "at exit");
			rp->final = true;
		} else if (sscanf(line, "exit status %d", &v) == 1) {
			rp->exit_status = v;
		} else if (sscanf(line, "exit signal %d", &v) == 1) {
			rp->exit_status = 256 + v;
		} else {
			fail_msg("%s: unknown oracle line '%s'", rp->what, line);
		}
	}
	/* a trace cut short by a crash is no comparison */
	if (rp->exit_status < 0)
		fail_msg("%s: the oracle did not see the program end", rp->what);
	if (rp->exit_status != rp->want_exit)
		fail_msg("%s: the program ended with %s %d, not status %d", rp->what,
			 rp->exit_status > 255 ? "signal" : "status",
			 rp->exit_status > 255 ? rp->exit_status - 256 : rp->exit_status,
			 rp->want_exit);
	if (!rp->final)
		fail_msg("%s: the oracle printed no final state", rp->what);
}

/* diff_teardown() after every case releases what is still there. */
static int diff_teardown(void **state)
{
	(void)state;
	if (live_oracle)
		pclose(live_oracle->p);
	if (live_sim)
		vmsim_machine_destroy(live_sim->m);
	remove_scratch();
	live_oracle = NULL;
	live_sim = NULL;
	return 0;
}

static void sim_free(struct sim *s)
{
	struct vmsim_error err = { 0 };

	if (machine_check(s->m, &err) || task_check_all(s->m, &err) ||
	    page_cache_check(s->m->vm.page_cache, &err))
		fail_msg("checker: %s", err.msg);
	/* an always-on check that fired refused something the host did */
	if (s->m->pm.vmstat.vm_bug)
		fail_msg("vmsim reported %llu failed VM_BUG_ON/VM_WARN_ON checks",
			 (unsigned long long)s->m->pm.vmstat.vm_bug);
	live_sim = NULL;
	vmsim_machine_destroy(s->m);
}

/* One differential case. */
struct diff_opts {
	const char *what, *path;
	const char *rlimit_arg;		/* the oracle's --stack-rlimit */
	uint64_t rlimit;		/* ... and vmsim's */
	bool trace;			/* replay what the program does after exec */
	const char *arg0, *args;	/* argv[0] when not the path; more arguments */
	const char *oracle_opts;	/* more options for the oracle */
	unsigned threads;		/* skip unless the program ran this many threads */
	int exit_status;		/* how the traced program must end */
};

/* Exec compared; with @trace the run-on replayed and compared too. */
static void diff_run(const struct diff_opts *d)
{
	static struct oracle o;
	static struct replay rp;
	static struct sim s;
	char opts[512], why[256];

	if (!d->path) {
		print_message("skipped: %s: the probe was not built (the compiler cannot link it, "
			      "as -m32 without gcc-multilib, or the C library's headers lack what "
			      "it calls)\n", d->what);
		skip();
	}
	if (access(d->path, X_OK) != 0) {
		print_message("skipped: %s: %s is not on this host\n", d->what, d->path);
		skip();
	}
	snprintf(opts, sizeof(opts), "--stack-rlimit %s %s %s", d->rlimit_arg,
		 d->trace ? "--trace" : "", d->oracle_opts ? d->oracle_opts : "");
	if (oracle_open(&o, d->path, opts, d->arg0, d->args, why, sizeof(why)) == 77) {
		print_message("skipped: %s: the host oracle cannot run here: %s\n", d->what, why);
		skip();
	}
	sim_exec(&s, d->path, d->rlimit, d->arg0, d->args);
	compare_exec(d->what, &o.x, &s);
	free(rp.vec);	/* a failed case's, if any */
	memset(&rp, 0, sizeof(rp));
	rp.what = d->what;
	rp.o = &o;
	rp.s = &s;
	rp.want_exit = d->exit_status;
	if (d->trace)
		replay(&rp);
	oracle_close(&o, d->what);
	if (rp.missing) {
		sim_free(&s);
		print_message("skipped: %s: the program called %s (call %u, thread %d), which vmsim "
			      "cannot replay yet; its %u calls before it were equal\n", d->what,
			      rp.missing, rp.calls, rp.last.thread, rp.calls - 1);
		skip();
	}
	print_message("%s: %u maps lines, %u auxv entries, %u calls of %u threads and %u touched "
		      "pages replayed, %u states: equal\n", d->what, o.x.nmaps, o.x.nauxv, rp.calls,
		      rp.threads, rp.touched, rp.states);
	sim_free(&s);
	if (rp.threads < d->threads) {
		print_message("skipped: %s: the program ran %u thread(s) on this host, not %u: its "
			      "calls were compared, but not as a multi-threaded program's\n", d->what,
			      rp.threads, d->threads);
		skip();
	}
}

static void diff_case_args(const char *what, const char *path, const char *rlimit_arg,
			   uint64_t rlimit, bool trace, const char *arg0, const char *args)
{
	const struct diff_opts d = { .what = what, .path = path, .rlimit_arg = rlimit_arg,
				     .rlimit = rlimit, .trace = trace, .arg0 = arg0, .args = args };

	diff_run(&d);
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
	add_scratch(out);
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
/* with no program to run it prints its usage and exits 1 */
static void test_diff_ld_so_run_directly(void **s)
{
	const struct diff_opts d = { .what = "ld.so", .path = "/lib64/ld-linux-x86-64.so.2",
				     .rlimit_arg = "8388608", .rlimit = 8 * MiB, .trace = true,
				     .exit_status = 1 };

	(void)s;
	diff_run(&d);
}
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
 * Does VMSIM_TEST_PRETEND_MISSING (a comma-separated list) name @what?
 * The host capabilities a case probes for (ia32, thp, ptrace: the oracle
 * reads the same list) and the host programs it runs (xz, zstd) can be
 * reported missing so, and the skip paths are tested on hosts that have
 * them (check_skips.py).
 */
static bool pretend_missing(const char *what)
{
	const char *list = getenv("VMSIM_TEST_PRETEND_MISSING");
	size_t n = strlen(what);

	for (const char *p = list; p && *p; p += strcspn(p, ","), p += *p == ',')
		if (strncmp(p, what, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/*
 * Cases whose calls depend on a kernel built with transparent huge pages,
 * as vmsim models it (MADV_HUGEPAGE and MADV_NOHUGEPAGE are EINVAL
 * without; files and 2 MiB anonymous mappings are not THP-aligned): skip
 * with the reason on a host without them.  The mode (always, madvise,
 * never) does not matter here: it decides faults, not the VMAs compared.
 */
static void need_thp(const char *what)
{
	static const char knob[] = "/sys/kernel/mm/transparent_hugepage/enabled";

	const bool missing = pretend_missing("thp") || access(knob, R_OK) != 0;

	if (missing) {
		print_message("skipped: %s: the host kernel has no transparent huge pages (%s: %s)\n",
			      what, knob, pretend_missing("thp") ? "VMSIM_TEST_PRETEND_MISSING has thp" :
			      strerror(errno));
		skip();
	}
}

/* every advice that splits, merges, drops or fills: each answer, the pages
 * and the VMAs with their VmFlags after each call the host's */
static void test_diff_probe_madvise(void **s)
{
	(void)s;
	need_thp("madvise");
	diff_case("madvise", probe("madvise"), "8388608", 8 * MiB, true);
}

/* the mlock family over one VMA, holes and the 8 MiB RLIMIT_MEMLOCK,
 * mlockall, mincore's vectors and msync's flags: each answer, each vector
 * and the VMAs with their VmFlags after each call the host's */
static void test_diff_probe_mlock(void **s)
{
	const struct diff_opts d = { .what = "mlock", .path = probe("mlock"),
				     .rlimit_arg = "8388608", .rlimit = 8 * MiB, .trace = true,
				     .oracle_opts = "--memlock-rlimit 8388608" };

	(void)s;
	diff_run(&d);
}

/* Four threads allocating at once, their calls in the order the host ran them. */
static void test_diff_probe_threads(void **s)
{
	const struct diff_opts d = { .what = "threads", .path = probe("threads"),
				     .rlimit_arg = "8388608", .rlimit = 8 * MiB, .trace = true,
				     .threads = 5 };

	(void)s;
	diff_run(&d);
}

/*
 * A text file for the compressors to work on: 60000 lines of eight words
 * drawn by a fixed LCG (2.7 MB: several blocks for each thread).  Returns
 * its path (a scratch file).
 */
static const char *make_text(void)
{
	static const char *const words[] = { "alpha", "beta", "gamma", "delta", "page",
					     "frame", "vma", "merge", "split", "thread" };
	static char path[64];
	uint64_t x = 1;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/vmsim-oracle-text-%d", (int)getpid());
	add_scratch(path);
	f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s", path);
	for (int line = 0; line < 60000; line++)
		for (int w = 0; w < 8; w++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			fprintf(f, "%s%c", words[(x >> 33) % 10], w == 7 ? '\n' : ' ');
		}
	if (fclose(f))
		fail_msg("cannot write %s", path);
	return path;
}

/* A real multi-threaded program of the host: @prog with @opts on the text. */
static void diff_host_threads(const char *what, const char *prog, const char *opts)
{
	const char *text;
	char args[256];

	if (pretend_missing(strrchr(prog, '/') + 1) || access(prog, X_OK) != 0) {
		print_message("skipped: %s: %s is not installed on this host\n", what, prog);
		skip();
	}
	text = make_text();
	snprintf(args, sizeof(args), "%s %s", opts, text);
	{
		const struct diff_opts d = { .what = what, .path = prog, .rlimit_arg = "8388608",
					     .rlimit = 8 * MiB, .trace = true, .args = args,
					     .threads = 2 };

		diff_run(&d);
	}
}

/* xz's multi-threaded encoder: a thread per block, each with its own
 * arena, the main thread reading and writing. */
static void test_diff_xz_two_threads(void **s)
{
	(void)s;
	diff_host_threads("xz -T2", "/usr/bin/xz", "-T2 -1 --block-size=262144 -c");
}
/* zstd's worker pool: threads that exit give their stacks back (madvise). */
static void test_diff_zstd_two_threads(void **s)
{
	(void)s;
	diff_host_threads("zstd -T2", "/usr/bin/zstd", "-q -T2 -c");
}

/*
 * Why the host cannot run i386 programs, or NULL when it can.  Kernels
 * built without IA32_EMULATION (or booted with ia32_emulation=false)
 * refuse them in execve with ENOEXEC; the i386 cases then have nothing to
 * compare against and are skipped with this reason.  Probed once, by
 * running the hand-made program (no ptrace, no multilib needed).
 * VMSIM_TEST_PRETEND_MISSING=ia32 makes the probe answer "missing".
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
	if (pretend_missing("ia32"))
		return why = "IA-32 emulation reported off (VMSIM_TEST_PRETEND_MISSING has ia32)";
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
}
static void test_diff_i386_read_implies_exec(void **s)
{
	const char *p;

	(void)s;
	need_ia32();
	p = make_i386(true);
	diff_case("i386 without PT_GNU_STACK", p, "8388608", 8 * MiB, false);
}

/* A new scratch file "oracle-@name-PID@suffix" in the current directory,
 * its path in @path, open for writing. */
static FILE *scratch_open(char *path, size_t n, const char *name, const char *suffix)
{
	char cwd[400];

	if (!getcwd(cwd, sizeof(cwd)))
		fail_msg("getcwd: %s", strerror(errno));
	snprintf(path, n, "%s/oracle-%s-%d%s", cwd, name, (int)getpid(), suffix);
	add_scratch(path);
	return fopen(path, "wb");
}

/* A scratch file of @size bytes, named after @name: its path, in @path. */
static const char *scratch_file(char *path, size_t n, const char *name, uint64_t size)
{
	FILE *f = scratch_open(path, n, name, ".bin");

	if (!f || fseek(f, (long)size - 1, SEEK_SET) != 0 || fputc(1, f) == EOF || fclose(f) != 0)
		fail_msg("cannot write %s", path);
	return path;
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
	return scratch_file(path, sizeof(path), "big", 3 * MiB);
}

static void placement_case(const char *what, const char *kind)
{
	const char *big;

	need_thp(what);
	big = big_file();

	if (!big)
		skip();
	diff_case_args(what, probe(kind), "8388608", 8 * MiB, true, NULL, big);
}

/* THP alignment of anonymous memory and of a file, MAP_STACK, MAP_32BIT,
 * hints, and the bottom-up fallback when nothing fits below mmap_base */
static void test_diff_placement_static(void **s) { (void)s; placement_case("placement (static)", "place_static"); }
/* the same in a dynamic program that needs libstdc++, more than 2 MiB:
 * ld.so's mapping of it lands on a 2 MiB boundary */
static void test_diff_placement_libstdcxx(void **s) { (void)s; placement_case("placement (libstdc++)", "place_stdcxx"); }

/*
 * A file mapped through descriptors of each access mode: every answer
 * (EACCES where the mode forbids), the VMAs with their VmFlags (a read-only
 * shared mapping has no sh and no mw) and what mprotect, MADV_REMOVE, msync
 * and mremap make of them, the host's.  The scratch file's file system must
 * punch holes (MADV_REMOVE), as vmsim's files do.
 */
static void test_diff_probe_fmode(void **s)
{
	static char path[512];
	const char *prog = probe("fmode");
	int fd;

	(void)s;
	scratch_file(path, sizeof(path), "fmode", 4 * PAGE_SIZE);
	/* what MADV_REMOVE asks of the file system (vfs_fallocate) */
	fd = open(path, O_RDWR);
	if (fd < 0 || fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) != 0) {
		print_message("skipped: fmode: %s: its file system cannot punch a hole: %s\n", path,
			      strerror(errno));
		if (fd >= 0)
			close(fd);
		skip();
	}
	close(fd);
	diff_case_args("fmode", prog, "8388608", 8 * MiB, true, NULL, path);
}

/* An executable script @name in the current directory: "#!" + @line. */
static const char *write_script(char *path, size_t n, const char *name, const char *line)
{
	FILE *f = scratch_open(path, n, name, "");

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
}

#define DIFF_TEST(f) cmocka_unit_test_teardown(f, diff_teardown)

/* --only-i386: the i386 group alone (the skip-path check runs it so) */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		DIFF_TEST(test_diff_true_dynamic_pie),
		DIFF_TEST(test_diff_true_with_arguments),
		DIFF_TEST(test_diff_true_arg0),
		DIFF_TEST(test_diff_true_rlimit_256m),
		DIFF_TEST(test_diff_true_rlimit_0),
		DIFF_TEST(test_diff_true_rlimit_unlimited),
		DIFF_TEST(test_diff_ld_so_run_directly),
		DIFF_TEST(test_diff_probe_pie),
		DIFF_TEST(test_diff_probe_nopie),
		DIFF_TEST(test_diff_probe_static),
		DIFF_TEST(test_diff_probe_static_pie),
		DIFF_TEST(test_diff_probe_execstack),
		DIFF_TEST(test_diff_probe_align_2m),
		DIFF_TEST(test_diff_probe_align_2m_pie),
		DIFF_TEST(test_diff_probe_mremap),
		DIFF_TEST(test_diff_probe_madvise),
		DIFF_TEST(test_diff_probe_mlock),
		DIFF_TEST(test_diff_probe_threads),
		DIFF_TEST(test_diff_probe_fmode),
		DIFF_TEST(test_diff_xz_two_threads),
		DIFF_TEST(test_diff_zstd_two_threads),
		DIFF_TEST(test_diff_placement_static),
		DIFF_TEST(test_diff_placement_libstdcxx),
		DIFF_TEST(test_diff_script),
	};
	const struct CMUnitTest i386[] = {
		DIFF_TEST(test_diff_probe_i386),
		DIFF_TEST(test_diff_i386_by_hand),
		DIFF_TEST(test_diff_i386_read_implies_exec),
	};
	int failed = 0;

	if (argc < 2 || strcmp(argv[1], "--only-i386") != 0)
		failed += cmocka_run_group_tests(tests, NULL, NULL);
	return failed + cmocka_run_group_tests(i386, NULL, NULL);
}
