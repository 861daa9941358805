/*
 * The command list and the global options (see cli.h), and the two
 * commands that only talk about the others: help and version.  Each
 * other command's table sits beside its handler in cmd_*.c.
 */
#include <string.h>

#include "cli.h"
#include "cli_oom.h"
#include "util/hostalloc.h"
#include "util/strbuf.h"
#include "vmsim-config.h"
#include "vmsim/stats.h"

static const struct cli_opt global_opts[] = {
	{ GOPT_CONFIG, "config", ARG_MACHINE, "NAME|FILE",
	  "the machine: a built-in one (x86_64, x86_64-la57, x86_32, x86_32-pae) or a YAML config file; default x86_64" },
	{ GOPT_SET, "set", ARG_TEXT, "KEY=VALUE",
	  "override one config key (memory.size=256MiB, cpu.wp=false, ...); may be repeated" },
	{ GOPT_JSON, "json", ARG_NONE, NULL, "print one JSON document instead of text" },
	{ GOPT_CHECK, "check", ARG_OPTIONAL, "N",
	  "check every invariant after each scenario step, exec and 65536 replayed accesses: "
	  "what changed, and everything every N checks (default 100; 0: only at the end) and "
	  "at the end" },
	{ GOPT_TRACE_EVENTS, "trace-events", ARG_FILE, "FILE",
	  "log every page allocation and free, fault, TLB fill and flush and VMA change to FILE, "
	  "one line each (- for standard error)" },
	{ GOPT_VERBOSE, "verbose", ARG_NONE, NULL, "print the result of every scenario step" },
	{ GOPT_VERSION, "version", ARG_NONE, NULL, "print the version and exit" },
	{ 0 },
};

const struct cli_cmd cli_global = {
	.name = "vmsim-cli",
	.operands = "COMMAND [OPTION]... [ARG]...",
	.operand_kind = ARG_COMMAND,
	.summary = "simulate the x86 MMU and Linux memory management",
	.about = "vmsim-cli boots a simulated x86 machine whose memory is managed as Linux "
		 "manages it: zones and the buddy allocator, slab, page tables in simulated RAM "
		 "walked by a software MMU with a TLB, processes with VMAs, faults, fork and exec. "
		 "It prints the kernel's views of it, runs scenarios, execs real ELF files and "
		 "replays memory traces.\n\n"
		 "Global options come before the command, the command's own options after it. "
		 "Every option takes its value as --opt=VALUE or --opt VALUE, and an optional "
		 "one (--check[=N]) only as --opt=VALUE; -- ends the options. "
		 "An output file (--trace-events, --svg, convert-trace) is written to a temporary "
		 "file beside it and renamed into place only when complete.",
	.opts = global_opts,
};

const struct cli_cmd *const cli_commands[] = {
	&cmd_show, &cmd_layout, &cmd_translate, &cmd_run, &cmd_exec, &cmd_replay, &cmd_mrc,
	&cmd_convert_trace, &cmd_sweep, &cmd_help, &cmd_version, NULL,
};

void cli_view_list(struct strbuf *sb)
{
	long len = vmsim_view_names(NULL, 0);
	size_t size = len >= 0 ? (size_t)len + 1 : 0;
	char *buf = size ? host_alloc(NULL, size) : NULL;

	/* the host may refuse the second rendering too */
	if (buf && vmsim_view_names(buf, size) == len)
		sb_add(sb, buf, (size_t)len);
	else
		sb->oom = true;
	if (buf)
		host_free(NULL, buf, size);
}

size_t cli_view_names(struct strbuf *sb, const char **out, size_t max)
{
	size_t n = 0;

	cli_view_list(sb);
	for (char *p = sb->oom ? NULL : sb->buf; p && *p && n < max;) {
		out[n++] = p;
		p += strcspn(p, ",");
		if (*p)
			*p++ = '\0';
		p += strspn(p, " ");
	}
	return n;
}

bool cli_is_view(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	const char *names[CLI_MAX_VIEWS];
	size_t n = cli_view_names(&sb, names, CLI_MAX_VIEWS);
	bool found = false;

	for (size_t i = 0; i < n && !found; i++)
		found = strcmp(names[i], name) == 0;
	sb_free(&sb);
	return found;
}

const struct cli_cmd *cli_find(const char *name)
{
	for (size_t i = 0; cli_commands[i]; i++)
		if (strcmp(cli_commands[i]->name, name) == 0)
			return cli_commands[i];
	return cli_is_view(name) ? &cmd_show : NULL;
}

/* ---- help ---- */

static int run_help(struct cli *c, int argc, char **argv)
{
	struct cli_getopt g;
	const struct cli_cmd *cmd;

	cli_getopt_init(&g, &cmd_help, argc, argv, false);
	if (cli_getopt(&g))	/* no options but --help */
		return g.status;
	if (argc - g.next > 1)
		return cli_usage_error(&cmd_help, "one command at a time");
	if (argc == g.next) {
		cli_help(stdout, NULL);
		return 0;
	}
	cmd = cli_find(argv[g.next]);
	if (!cmd)
		return cli_host_oom() ? 2 : cli_unknown_command(argv[g.next]);
	cli_help(stdout, cmd);
	return 0;
}

const struct cli_cmd cmd_help = {
	.name = "help",
	.operands = "[COMMAND]",
	.operand_kind = ARG_COMMAND,
	.summary = "describe the CLI, or one command (the same as COMMAND --help)",
	.run = run_help,
};

/* ---- version ---- */

static int run_version(struct cli *c, int argc, char **argv)
{
	struct cli_getopt g;

	cli_getopt_init(&g, &cmd_version, argc, argv, false);
	if (cli_getopt(&g))
		return g.status;
	if (argc != g.next)
		return cli_usage_error(&cmd_version, "takes no arguments");
	printf("vmsim-cli %s\n", VMSIM_VERSION);
	return 0;
}

const struct cli_cmd cmd_version = {
	.name = "version",
	.operands = "",
	.summary = "print the version (the same as --version)",
	.run = run_version,
};
