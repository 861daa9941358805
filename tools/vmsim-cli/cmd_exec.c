/*
 * vmsim-cli exec [--sysroot DIR] [--arg A]... [--env K=V]... [--arg0 NAME]
 *                [--stack-rlimit N|unlimited] ELF
 *
 * Spawns a task, execs ELF into it (kern/exec.c) and prints the address
 * space the kernel would have built: /proc/PID/maps, the initial ip and
 * sp, the mm fields of /proc/PID/stat and the auxiliary vector.  argv is
 * [ELF, A...] (argv[0] replaced by --arg0), the environment is empty
 * unless --env gives it, as for the host oracle the tests compare with.
 * Invariant: nothing is printed on stdout unless the exec succeeded; a
 * failure is one line on stderr and exit status 2.
 */
#include "cmd_exec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/exec.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "kern/views.h"
#include "util/config.h"
#include "util/error.h"
#include "util/parse.h"
#include "util/strbuf.h"
#include "vma/mm.h"

#define MAX_STRINGS 256

static int usage(const char *why)
{
	fprintf(stderr, "vmsim-cli exec: %s\n"
		"usage: vmsim-cli exec [--sysroot DIR] [--arg A]... [--env K=V]... [--arg0 NAME]\n"
		"                      [--stack-rlimit N|unlimited] ELF\n", why);
	return 2;
}

static int parse_rlimit(const char *v, uint64_t *out)
{
	char *end;

	if (strcmp(v, "unlimited") == 0 || strcmp(v, "infinity") == 0) {
		*out = CFG_UNLIMITED;
		return 0;
	}
	errno = 0;
	*out = strtoull(v, &end, 0);
	if (errno || end == v)
		return -EINVAL;
	/* sizes may carry a unit */
	if (strcmp(end, "KiB") == 0 || strcmp(end, "K") == 0)
		*out <<= 10;
	else if (strcmp(end, "MiB") == 0 || strcmp(end, "M") == 0)
		*out <<= 20;
	else if (strcmp(end, "GiB") == 0 || strcmp(end, "G") == 0)
		*out <<= 30;
	else if (*end)
		return -EINVAL;
	return *out ? 0 : -EINVAL;
}

static void print_mm(struct strbuf *sb, const struct mm_struct *mm, bool json)
{
	const struct { const char *name; uint64_t v; } f[] = {
		{ "start_code", mm->start_code }, { "end_code", mm->end_code },
		{ "start_data", mm->start_data }, { "end_data", mm->end_data },
		{ "start_brk", mm->start_brk }, { "brk", mm->brk },
		{ "start_stack", mm->start_stack }, { "arg_start", mm->arg_start },
		{ "arg_end", mm->arg_end }, { "env_start", mm->env_start },
		{ "env_end", mm->env_end }, { "mmap_base", mm->mmap_base },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (json)
			sb_printf(sb, "%s\"%s\": \"0x%" PRIx64 "\"", i ? ", " : "", f[i].name, f[i].v);
		else
			sb_printf(sb, "%-12s 0x%" PRIx64 "\n", f[i].name, f[i].v);
	}
}

int cmd_exec(struct vmsim_machine *m, int argc, char **argv, bool json)
{
	const char *args[MAX_STRINGS], *envs[MAX_STRINGS];
	const char *sysroot = NULL, *arg0 = NULL, *elf = NULL;
	char host[4096];
	int nargs = 1, nenvs = 0, ret;
	uint64_t rlimit = 0;
	struct exec_args ea = { 0 };
	struct exec_result r;
	struct vmsim_error err = { 0 };
	struct task_struct *t;
	struct strbuf sb = STRBUF_INIT;
	struct view_args va = { .task = "exec" };

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--sysroot") == 0 || strcmp(a, "--arg") == 0 ||
		    strcmp(a, "--env") == 0 || strcmp(a, "--arg0") == 0 ||
		    strcmp(a, "--stack-rlimit") == 0) {
			if (!v)
				return usage("option needs a value");
			i++;
			if (a[2] == 's' && a[3] == 'y') {
				sysroot = v;
			} else if (strcmp(a, "--arg") == 0) {
				if (nargs == MAX_STRINGS)
					return usage("too many --arg");
				args[nargs++] = v;
			} else if (strcmp(a, "--env") == 0) {
				if (nenvs == MAX_STRINGS)
					return usage("too many --env");
				if (!strchr(v, '='))
					return usage("--env takes KEY=VALUE");
				envs[nenvs++] = v;
			} else if (strcmp(a, "--arg0") == 0) {
				arg0 = v;
			} else if (parse_rlimit(v, &rlimit)) {
				return usage("--stack-rlimit takes a size (8MiB, 0x800000) or 'unlimited'");
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "vmsim-cli exec: unknown option '%s'\n", a);
			return 2;
		} else if (elf) {
			return usage("one ELF file only (program arguments go in --arg)");
		} else {
			elf = a;
		}
	}
	if (!elf)
		return usage("which ELF file?");
	args[0] = arg0 ? arg0 : elf;
	/* the file is looked up under the sysroot as the interpreter is */
	if (sysroot && elf[0] == '/')
		snprintf(host, sizeof(host), "%s%s", sysroot, elf);
	else
		snprintf(host, sizeof(host), "%s", elf);
	ret = task_spawn(m, "exec", NULL, &t);
	if (ret) {
		fprintf(stderr, "vmsim-cli exec: cannot create a task: %s\n", strerror(-ret));
		return 2;
	}
	ea.filename = elf;
	ea.host_path = host;
	ea.sysroot = sysroot;
	ea.argv = args;
	ea.argc = nargs;
	ea.envp = envs;
	ea.envc = nenvs;
	ea.stack_rlimit = rlimit;
	ret = do_execve(t, &ea, &r, &err);
	if (ret) {
		fprintf(stderr, "vmsim-cli: exec: %s\n", err.msg[0] ? err.msg : strerror(-ret));
		return 2;
	}
	/* --check: every invariant after the exec */
	if (machine_checking(m) && machine_check(m, &err)) {
		fprintf(stderr, "vmsim-cli: exec: invariant violated: %s\n", err.msg);
		return 1;
	}
	if (json) {
		sb_puts(&sb, "{\"file\": ");
		sb_json_str(&sb, elf);
		sb_puts(&sb, ", \"interp\": ");
		sb_json_str(&sb, r.interp);
		sb_printf(&sb, ", \"ip\": \"0x%" PRIx64 "\", \"sp\": \"0x%" PRIx64 "\", \"mm\": {",
			  r.ip, r.sp);
		print_mm(&sb, t->mm, true);
		sb_puts(&sb, "}, \"auxv\": [");
		for (unsigned i = 0; i < r.nr_auxv; i++)
			sb_printf(&sb, "%s{\"type\": \"%s\", \"value\": \"0x%" PRIx64 "\"}", i ? ", " : "",
				  auxv_name(r.auxv[i][0]), r.auxv[i][1]);
		sb_puts(&sb, "], \"maps\": ");
		view_render(m, "maps", &va, true, &sb);
		sb_puts(&sb, "}\n");
	} else {
		sb_printf(&sb, "exec %s%s%s\n", elf, r.interp[0] ? " with interpreter " : "", r.interp);
		view_render(m, "maps", &va, false, &sb);
		sb_printf(&sb, "\nip           0x%" PRIx64 "\nsp           0x%" PRIx64 "\n", r.ip, r.sp);
		print_mm(&sb, t->mm, false);
		sb_puts(&sb, "\nauxv\n");
		for (unsigned i = 0; i < r.nr_auxv; i++)
			sb_printf(&sb, "  %-20s 0x%" PRIx64 "\n", auxv_name(r.auxv[i][0]), r.auxv[i][1]);
	}
	fputs(sb_str(&sb), stdout);
	sb_free(&sb);
	return 0;
}
