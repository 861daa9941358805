/*
 * vmsim-cli exec [--sysroot DIR] [--arg A]... [--env K=V]... [--arg0 NAME]
 *                [--stack-rlimit SIZE|unlimited] [--show VIEW,...] [--] ELF [ARG]...
 *
 * Spawns a task, execs ELF into it (vmsim_task_exec(), as the scenario op
 * exec does) and prints the address
 * space the kernel would have built: the --show views of the task
 * (/proc/PID/maps by default), the initial ip and sp, the mm fields of
 * /proc/PID/stat and the auxiliary vector.  argv is [ELF, A..., ARG...]
 * (argv[0] replaced by --arg0), the environment is empty unless --env
 * gives it, as for the host oracle the tests compare with.
 * Invariant: nothing is printed on stdout unless the exec succeeded and
 * the whole report rendered; a failure is one line on stderr and exit
 * status 2 (out of host memory: main()'s line, nothing of its own).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_oom.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "vmsim/vmsim.h"

#define MAX_STRINGS 256
#define MAX_SHOW 8

enum { OPT_SYSROOT = 256, OPT_ARG, OPT_ENV, OPT_ARG0, OPT_RLIMIT, OPT_SHOW };

static const struct cli_opt exec_opts[] = {
	{ OPT_SYSROOT, "sysroot", ARG_DIR, "DIR",
	  "read an absolute ELF path, and the interpreter, under DIR" },
	{ OPT_ARG, "arg", ARG_TEXT, "A",
	  "append A to the program's arguments; may be repeated (the operands after ELF come "
	  "after these)" },
	{ OPT_ENV, "env", ARG_TEXT, "KEY=VALUE",
	  "add KEY=VALUE to the environment, which is otherwise empty; may be repeated" },
	{ OPT_ARG0, "arg0", ARG_TEXT, "NAME", "argv[0] (default ELF as given)" },
	{ OPT_RLIMIT, "stack-rlimit", ARG_TEXT, "SIZE|unlimited",
	  "RLIMIT_STACK for the exec (8MiB, 0x800000, unlimited; default the config's "
	  "process.stack_rlimit); 0 is a limit too: the stack keeps the pages of its strings "
	  "and cannot grow" },
	{ OPT_SHOW, "show", ARG_VIEWS, "VIEW[,VIEW]...",
	  "the views of the new task to print, in order (default maps): maps, smaps, status, "
	  "pagetable or any other view; may be repeated" },
	{ 0 },
};

/* What the command line asks for. */
struct exec_req {
	const char *args[MAX_STRINGS + 1], *envs[MAX_STRINGS + 1];	/* NULL-terminated */
	int nargs, nenvs;
	const char *sysroot, *arg0, *elf;
	uint64_t rlimit;
	bool has_rlimit;
	char show[MAX_SHOW][32];	/* the --show views, in order */
	int nshow;
};

static int parse_rlimit(struct exec_req *q, const char *v)
{
	q->has_rlimit = true;
	if (strcmp(v, "unlimited") == 0 || strcmp(v, "infinity") == 0) {
		q->rlimit = VMSIM_UNLIMITED;
		return 0;
	}
	if (cli_size(&cmd_exec, "--stack-rlimit", v, &q->rlimit))
		return 2;
	if (q->rlimit == VMSIM_UNLIMITED)
		return cli_usage_error(&cmd_exec, "--stack-rlimit %s is RLIM_INFINITY: say 'unlimited'",
				       v);
	return 0;
}

/* --show VIEW,VIEW: each a known view, at most MAX_SHOW in all. */
static int parse_show(struct exec_req *q, const char *v)
{
	for (const char *p = v;; p++) {
		size_t len = strcspn(p, ",");
		bool known;

		if (q->nshow == MAX_SHOW)
			return cli_usage_error(&cmd_exec, "--show: at most %d views", MAX_SHOW);
		if (len < sizeof(q->show[0])) {
			memcpy(q->show[q->nshow], p, len);
			q->show[q->nshow][len] = '\0';
		}
		known = len < sizeof(q->show[0]) && cli_is_view(q->show[q->nshow]);
		if (!known && cli_host_oom())
			return 2;	/* no list of views to look in; main() says why */
		if (!known)
			return cli_usage_error(&cmd_exec, "--show: no view '%.*s'", (int)len, p);
		q->nshow++;
		p += strcspn(p, ",");
		if (!*p)
			return 0;
	}
}

static int add_arg(struct exec_req *q, const char *v)
{
	if (q->nargs == MAX_STRINGS)
		return cli_usage_error(&cmd_exec, "at most %d arguments", MAX_STRINGS - 1);
	q->args[q->nargs++] = v;
	return 0;
}

static int add_env(struct exec_req *q, const char *v)
{
	if (q->nenvs == MAX_STRINGS)
		return cli_usage_error(&cmd_exec, "at most %d --env", MAX_STRINGS);
	if (!strchr(v, '='))
		return cli_usage_error(&cmd_exec, "--env takes KEY=VALUE, not '%s'", v);
	q->envs[q->nenvs++] = v;
	return 0;
}

/* true to go on; false to stop with exit status *status (0 after --help) */
static bool parse_exec(struct exec_req *q, int argc, char **argv, int *status)
{
	struct cli_getopt g;
	int k, ret = 0;

	q->nargs = 1;
	cli_getopt_init(&g, &cmd_exec, argc, argv, false);
	while (!ret && (k = cli_getopt(&g)) > 0) {
		if (k == OPT_SYSROOT)
			q->sysroot = g.arg;
		else if (k == OPT_ARG)
			ret = add_arg(q, g.arg);
		else if (k == OPT_ENV)
			ret = add_env(q, g.arg);
		else if (k == OPT_ARG0)
			q->arg0 = g.arg;
		else if (k == OPT_RLIMIT)
			ret = parse_rlimit(q, g.arg);
		else
			ret = parse_show(q, g.arg);
	}
	*status = ret ? ret : g.status;
	if (ret || k < 0)
		return false;
	if (g.next == argc) {
		*status = cli_usage_error(&cmd_exec, "which ELF file?");
		return false;
	}
	q->elf = argv[g.next];
	for (int i = g.next + 1; i < argc && !ret; i++)
		ret = add_arg(q, argv[i]);
	*status = ret;
	q->args[0] = q->arg0 ? q->arg0 : q->elf;
	q->args[q->nargs] = NULL;
	q->envs[q->nenvs] = NULL;
	if (!q->nshow)
		strcpy(q->show[q->nshow++], "maps");
	return !ret;
}

struct mm_field {
	const char *name;
	uint64_t v;
};

/* The mm fields /proc/PID/stat shows, in its order, and mmap_base. */
static unsigned mm_fields(struct vmsim_task *t, struct mm_field f[12])
{
	struct vmsim_mm_info mm;

	vmsim_task_mm_info(t, &mm);
	const struct mm_field all[] = {
		{ "start_code", mm.start_code }, { "end_code", mm.end_code },
		{ "start_data", mm.start_data }, { "end_data", mm.end_data },
		{ "start_brk", mm.start_brk }, { "brk", mm.brk },
		{ "start_stack", mm.start_stack }, { "arg_start", mm.arg_start },
		{ "arg_end", mm.arg_end }, { "env_start", mm.env_start },
		{ "env_end", mm.env_end }, { "mmap_base", mm.mmap_base },
	};

	memcpy(f, all, sizeof(all));
	return sizeof(all) / sizeof(all[0]);
}

/* The report as one JSON document: the addresses as "0x" strings, each
 * --show view under its name as the view writes it.  0, or 2 with the one
 * line printed (none when the host ran out of memory). */
static int exec_json(struct vmsim_machine *m, struct vmsim_task *t, const struct exec_req *q,
		     const struct vmsim_exec_info *r, struct strbuf *sb)
{
	struct vmsim_view_opts vo = { .task = "exec", .json = 1 };
	struct vmsim_error err = { 0 };
	struct json_writer jw;
	struct mm_field f[12];
	unsigned n = mm_fields(t, f);
	int ret = 0;

	json_init(&jw, sb);
	json_object_begin(&jw);
	json_key_str(&jw, "file", q->elf);
	json_key_str(&jw, "interp", r->interp[0] ? r->interp : NULL);
	json_key_hex(&jw, "ip", r->ip);
	json_key_hex(&jw, "sp", r->sp);
	json_key(&jw, "mm");
	json_object_begin(&jw);
	for (unsigned i = 0; i < n; i++)
		json_key_hex(&jw, f[i].name, f[i].v);
	json_object_end(&jw);
	json_key(&jw, "auxv");
	json_array_begin(&jw);
	for (unsigned i = 0; i < r->nr_auxv; i++) {
		json_object_begin(&jw);
		json_key_str(&jw, "type", vmsim_auxv_name(r->auxv[i][0]));
		json_key_hex(&jw, "value", r->auxv[i][1]);
		json_object_end(&jw);
	}
	json_array_end(&jw);
	for (int i = 0; i < q->nshow && !ret; i++) {
		char *v;
		long len = cli_view(m, q->show[i], &vo, &v, &err);

		json_key(&jw, q->show[i]);
		if (len >= 0)
			json_embed_text(&jw, v);
		else if (!cli_host_oom())	/* @err: "VIEW: why" */
			fprintf(stderr, "vmsim-cli: exec: %s\n", err.msg);
		ret = len < 0 ? (int)len : 0;
		cli_view_free(v, len);
	}
	json_object_end(&jw);
	if (!ret) {
		ret = json_finish(&jw);
		if (ret && !cli_host_oom())
			fprintf(stderr, "vmsim-cli: exec: the JSON report came out malformed\n");
	}
	sb_putc(sb, '\n');
	return ret ? 2 : 0;
}

/* Each --show view of the new task into @sb, as text blocks separated by
 * a blank line.  0, or 2 with the one line printed (none when the host ran
 * out of memory). */
static int show_views(struct vmsim_machine *m, const struct exec_req *q, struct strbuf *sb)
{
	struct vmsim_view_opts vo = { .task = "exec" };
	struct vmsim_error err = { 0 };
	int ret = 0;

	for (int i = 0; i < q->nshow && !ret; i++) {
		char *v;
		long len = cli_view(m, q->show[i], &vo, &v, &err);

		if (len < 0) {
			/* the views were checked when parsed: @err is "VIEW: why" */
			if (!cli_host_oom())
				fprintf(stderr, "vmsim-cli: exec: %s\n", err.msg);
			ret = 2;
		} else {
			sb_printf(sb, "%s%s", i ? "\n" : "", v);
		}
		cli_view_free(v, len);
	}
	return ret;
}

static int run_exec(struct cli *c, int argc, char **argv)
{
	struct exec_req q = { 0 };
	char host[4096];
	int ret;
	struct vmsim_exec_opts eo = { 0 };
	struct vmsim_exec_info r;
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;
	struct vmsim_task *t;
	struct strbuf sb = STRBUF_INIT;
	const char *elf;
	bool json = c->json;

	if (!parse_exec(&q, argc, argv, &ret))
		return ret;
	elf = q.elf;
	/* the file is looked up under the sysroot as the interpreter is */
	if (q.sysroot && elf[0] == '/')
		snprintf(host, sizeof(host), "%s%s", q.sysroot, elf);
	else
		snprintf(host, sizeof(host), "%s", elf);
	cli_input(c, host);
	m = cli_boot(c);
	if (!m)
		return 2;
	ret = vmsim_task_spawn(m, "exec", NULL, &t);
	if (ret && !cli_host_oom())
		fprintf(stderr, "vmsim-cli exec: cannot create a task: %s\n", strerror(-ret));
	if (ret) {
		vmsim_machine_destroy(m);
		return 2;
	}
	eo.path = elf;
	eo.host_path = host;
	eo.sysroot = q.sysroot;
	eo.argv = q.args;
	eo.envp = q.envs;
	eo.stack_rlimit = q.rlimit;
	eo.has_stack_rlimit = q.has_rlimit;
	ret = vmsim_task_exec(t, &eo, &r, &err);
	if (ret) {
		if (!cli_host_oom())
			fprintf(stderr, "vmsim-cli: exec: %s\n", err.msg[0] ? err.msg : strerror(-ret));
		ret = 2;
	} else if (c->check && vmsim_machine_check(m, &err)) {
		/* --check: every invariant after the exec */
		if (!cli_host_oom())
			fprintf(stderr, "vmsim-cli: exec: invariant violated: %s\n", err.msg);
		ret = 1;
	} else if (json) {
		ret = exec_json(m, t, &q, &r, &sb);
	} else {
		struct mm_field f[12];
		unsigned n = mm_fields(t, f);

		sb_printf(&sb, "exec %s%s%s\n", elf, r.interp[0] ? " with interpreter " : "", r.interp);
		ret = show_views(m, &q, &sb);
		sb_printf(&sb, "\nip           0x%" PRIx64 "\nsp           0x%" PRIx64 "\n", r.ip, r.sp);
		for (unsigned i = 0; i < n; i++)
			sb_printf(&sb, "%-12s 0x%" PRIx64 "\n", f[i].name, f[i].v);
		sb_puts(&sb, "\nauxv\n");
		for (unsigned i = 0; i < r.nr_auxv; i++)
			sb_printf(&sb, "  %-20s 0x%" PRIx64 "\n", vmsim_auxv_name(r.auxv[i][0]),
				  r.auxv[i][1]);
	}
	/* out of host memory anywhere above: no report, main() says why */
	if (ret || sb.oom || cli_host_oom()) {
		sb_free(&sb);
		vmsim_machine_destroy(m);
		return ret == 1 ? 1 : 2;
	}
	fputs(sb_str(&sb), stdout);
	sb_free(&sb);
	vmsim_machine_destroy(m);
	return 0;
}

const struct cli_cmd cmd_exec = {
	.name = "exec",
	.operands = "[--] ELF [ARG]...",
	.summary = "load a real ELF file as Linux's execve does and show the new task",
	.operand_kind = ARG_FILE,
	.about = "Spawns a task and execs ELF into it as load_elf_binary would, with its "
		 "PT_INTERP, then prints what the kernel built: the views asked for with --show "
		 "(default /proc/PID/maps), the initial ip and sp, the mm fields of /proc/PID/stat "
		 "and the auxiliary vector. argv is ELF (or --arg0), then the --arg values, then "
		 "the ARG operands; write -- before ELF when an ARG starts with '-'. The "
		 "environment is empty unless --env gives it. Nothing is printed unless the exec "
		 "succeeded. With --check every invariant is checked after the exec; a broken one, "
		 "or a BUG the kernel reported, makes the exit status 1.",
	.opts = exec_opts,
	.run = run_exec,
};
