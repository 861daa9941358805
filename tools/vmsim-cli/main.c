/*
 * vmsim-cli: the command-line front end.  Global options may appear before
 * or after the command word; the rest of the arguments belong to the command.
 *
 * Exit status: 0 success; 1 a scenario expectation failed; 2 bad input
 * (usage, config, scenario, ELF, trace) with one line naming the file and
 * line on stderr.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/views.h"
#include "scenario_run.h"
#include "util/strbuf.h"
#include "util/trace.h"
#include "vmsim-config.h"

#ifdef VMSIM_HAVE_CMD_TRANSLATE
#include "cmd_translate.h"
#endif
#ifdef VMSIM_HAVE_CMD_LAYOUT
#include "cmd_layout.h"
#endif
#ifdef VMSIM_HAVE_CMD_REPLAY
#include "cmd_replay.h"
#endif
#ifdef VMSIM_HAVE_CMD_EXEC
#include "cmd_exec.h"
#endif

#define MAX_SETS 64
#define CHECK_EVERY_DEFAULT 100	/* --check: a full check every 100 points */

static void usage(FILE *f)
{
	struct strbuf views = STRBUF_INIT;

	view_names(&views);
	fprintf(f,
		"usage: vmsim-cli [-c CONFIG|NAME] [--set KEY=VALUE]... [--json] COMMAND [ARGS]\n"
		"\n"
		"  -c, --config C     a built-in machine (x86_64, x86_32) or a YAML config file;\n"
		"                     default x86_64\n"
		"  --set KEY=VALUE    override one config key (memory.size=256MiB, cpu.wp=false, ...)\n"
		"  --json             print one JSON document instead of text\n"
		"  --check[=N]        check every invariant after each scenario step, exec and\n"
		"                     65536 replayed accesses: what changed, and everything\n"
		"                     every N checks (default %u; 0: only at the end) and at the end\n"
		"  --trace-events F   log every page allocation, free, fault, TLB fill and flush\n"
		"                     and VMA change to F, one line each (- for stderr)\n"
		"\n"
		"commands:\n"
		"  info                      machine summary: arch, paging, RAM, zones, layout\n"
		"  buddyinfo | zoneinfo | meminfo | ...   a kernel view after boot\n"
		"  show VIEW                 any view (%s)\n"
		"  run SCENARIO.yaml         run a scenario; print its shows and a summary\n"
#ifdef VMSIM_HAVE_CMD_TRANSLATE
		"  translate [--access read|write|fetch] [--mode user|kernel] [--explain] ADDR\n"
		"                            one translation, level by level with --explain\n"
#endif
#ifdef VMSIM_HAVE_CMD_LAYOUT
		"  layout [--svg FILE]       the virtual address-space map\n"
#endif
#ifdef VMSIM_HAVE_CMD_EXEC
		"  exec [--sysroot DIR] [--arg A]... [--env K=V]... [--arg0 NAME]\n"
		"       [--stack-rlimit N|unlimited] ELF     load a real ELF as Linux's exec does\n"
#endif
#ifdef VMSIM_HAVE_CMD_REPLAY
		"  replay [--format lackey|vmsim] [--task-layout flat|exec:ELF] [--interval N] [-q]\n"
		"         TRACE|-           replay a memory trace through the TLB, walks and faults\n"
#endif
		"  convert-trace IN OUT      a lackey trace to vmsim's binary format\n"
		"  help                      this text\n"
		"\n"
		"exit status: 0 ok, 1 a scenario expectation failed, 2 bad input\n",
		CHECK_EVERY_DEFAULT, sb_str(&views));
	sb_free(&views);
}

struct cli {
	const char *config;
	const char *sets[MAX_SETS + 1];
	unsigned nr_sets;
	bool json;
	bool check;
	unsigned check_every;	/* --check=N */
	struct event_log events;	/* --trace-events; events.f NULL when off */
	int argc;		/* command and its arguments */
	char **argv;
};

/* Pull the global options out of argv; leave the command and its args. */
static int parse_globals(struct cli *c, int argc, char **argv)
{
	static char *rest[4096];
	int n = 0;

	if (argc > 4096) {
		fprintf(stderr, "vmsim-cli: too many arguments\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			while (++i < argc)
				rest[n++] = argv[i];
			break;
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "vmsim-cli: %s needs a machine name or config file\n", a);
				return 2;
			}
			c->config = argv[i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			c->config = a + 9;
		} else if (strcmp(a, "--set") == 0 || strncmp(a, "--set=", 6) == 0) {
			const char *kv = a[5] == '=' ? a + 6 : (++i < argc ? argv[i] : NULL);

			if (!kv) {
				fprintf(stderr, "vmsim-cli: --set needs KEY=VALUE\n");
				return 2;
			}
			if (c->nr_sets == MAX_SETS) {
				fprintf(stderr, "vmsim-cli: at most %d --set options\n", MAX_SETS);
				return 2;
			}
			c->sets[c->nr_sets++] = kv;
		} else if (strcmp(a, "--json") == 0) {
			c->json = true;
		} else if (strcmp(a, "--check") == 0 || strncmp(a, "--check=", 8) == 0) {
			char *end;
			unsigned long every = CHECK_EVERY_DEFAULT;

			if (a[7] == '=') {
				errno = 0;
				every = strtoul(a + 8, &end, 10);
				if (errno || end == a + 8 || *end || a[8] == '-' || every > 1000000000UL) {
					fprintf(stderr, "vmsim-cli: --check=N takes a count of checks "
							"(0: a full check only at the end)\n");
					return 2;
				}
			}
			c->check = true;
			c->check_every = (unsigned)every;
		} else if (strcmp(a, "--trace-events") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "vmsim-cli: --trace-events needs a file name\n");
				return 2;
			}
			if (c->events.f && c->events.f != stderr)
				fclose(c->events.f);
			c->events.f = strcmp(argv[i], "-") == 0 ? stderr : fopen(argv[i], "w");
			if (!c->events.f) {
				fprintf(stderr, "vmsim-cli: %s: %s\n", argv[i], strerror(errno));
				return 2;
			}
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			rest[n++] = (char *)"help";
		} else if (strcmp(a, "--version") == 0) {
			rest[n++] = (char *)"version";
		} else {
			rest[n++] = argv[i];
		}
	}
	c->sets[c->nr_sets] = NULL;
	c->argc = n;
	c->argv = rest;
	return 0;
}

static struct vmsim_machine *boot(struct cli *c)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create(c->config, c->sets, &err);

	if (!m)
		fprintf(stderr, "vmsim-cli: %s\n", err.msg[0] ? err.msg : "cannot boot the machine");
	else if (c->events.f)
		machine_set_event_log(m, &c->events);
	return m;
}

static int cmd_view(struct cli *c, const char *name)
{
	struct vmsim_machine *m = boot(c);
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if (!m)
		return 2;
	ret = view_render(m, name, NULL, c->json, &sb);
	if (ret == -ENOENT) {
		struct strbuf names = STRBUF_INIT;
		view_names(&names);
		fprintf(stderr, "vmsim-cli: no view '%s' (views: %s)\n", name, sb_str(&names));
		sb_free(&names);
	} else if (ret || sb.oom) {
		fprintf(stderr, "vmsim-cli: %s: %s\n", name, sb.oom ? "out of host memory" : sb_str(&sb));
	} else {
		fputs(sb_str(&sb), stdout);
		if (c->json)
			putchar('\n');
	}
	sb_free(&sb);
	vmsim_machine_destroy(m);
	return ret || sb.oom ? 2 : 0;
}

static int cmd_run(struct cli *c)
{
	struct vmsim_error err = { 0 };
	struct scenario_result res;
	int ret;

	if (c->argc != 2) {
		fprintf(stderr, "usage: vmsim-cli run SCENARIO.yaml\n");
		return 2;
	}
	struct scenario_opts o = {
		.config = c->config, .sets = c->sets, .json = c->json, .check = c->check,
		.check_every = c->check_every, .events = c->events.f ? &c->events : NULL,
	};

	ret = scenario_run(c->argv[1], &o, stdout, &err, &res);
	fflush(stdout);
	if (ret) {
		fprintf(stderr, "vmsim-cli: %s\n", err.msg[0] ? err.msg : strerror(-ret));
		return 2;
	}
	return res.failed ? 1 : 0;
}

/* Lackey text -> vmsim binary trace (docs/trace-format.md). */
static int cmd_convert_trace(struct cli *c)
{
	struct vmsim_error err = { 0 };
	long long n;

	if (c->argc != 3) {
		fprintf(stderr, "usage: vmsim-cli convert-trace IN.lackey OUT.vmt\n");
		return 2;
	}
	n = trace_convert(c->argv[1], c->argv[2], &err);
	if (n < 0) {
		fprintf(stderr, "vmsim-cli: %s\n", err.msg);
		return 2;
	}
	if (!c->json)
		printf("%s: %lld accesses written to %s\n", c->argv[1], n, c->argv[2]);
	else
		printf("{\"accesses\":%lld}\n", n);
	return 0;
}

#if defined(VMSIM_HAVE_CMD_TRANSLATE) || defined(VMSIM_HAVE_CMD_LAYOUT) || \
	defined(VMSIM_HAVE_CMD_REPLAY) || defined(VMSIM_HAVE_CMD_EXEC)
typedef int (*machine_cmd)(struct vmsim_machine *m, int argc, char **argv, bool json);

/* The kernel's reports (bad_page(), VM_BUG_ON*()): on stderr as the
 * kernel logs them; the command then fails. */
static void kernel_report(void *ctx, const char *msg)
{
	++*(unsigned *)ctx;
	fprintf(stderr, "%s\n", msg);
}

static int with_machine(struct cli *c, machine_cmd fn)
{
	struct vmsim_machine *m = boot(c);
	unsigned reports = 0;
	int ret;

	if (!m)
		return 2;
	m->pm.bad_page_hook = kernel_report;
	m->pm.bad_page_ctx = &reports;
	if (c->check && machine_check_start(m, c->check_every)) {
		fprintf(stderr, "vmsim-cli: out of host memory\n");
		vmsim_machine_destroy(m);
		return 2;
	}
	ret = fn(m, c->argc - 1, c->argv + 1, c->json);
	if (reports && !ret)
		ret = 1;
	m->pm.bad_page_hook = NULL;	/* teardown reports nothing to the user */
	vmsim_machine_destroy(m);
	return ret;
}
#endif

static int cli_main(struct cli *c, int argc, char **argv);

int main(int argc, char **argv)
{
	struct cli c = { .config = "x86_64" };
	int ret = cli_main(&c, argc, argv);

	if (c.events.f && c.events.f != stderr)
		fclose(c.events.f);
	return ret;
}

static int cli_main(struct cli *c, int argc, char **argv)
{
	const char *cmd;
	int ret = parse_globals(c, argc, argv);

	if (ret)
		return ret;
	if (c->argc == 0) {
		usage(stderr);
		return 2;
	}
	cmd = c->argv[0];
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "version") == 0) {
		printf("vmsim-cli %s\n", VMSIM_VERSION);
		return 0;
	}
	if (strcmp(cmd, "run") == 0)
		return cmd_run(c);
	if (strcmp(cmd, "convert-trace") == 0)
		return cmd_convert_trace(c);
	if (strcmp(cmd, "show") == 0) {
		if (c->argc != 2) {
			fprintf(stderr, "usage: vmsim-cli show VIEW\n");
			return 2;
		}
		return cmd_view(c, c->argv[1]);
	}
#ifdef VMSIM_HAVE_CMD_TRANSLATE
	if (strcmp(cmd, "translate") == 0)
		return with_machine(c, cmd_translate);
#endif
#ifdef VMSIM_HAVE_CMD_LAYOUT
	if (strcmp(cmd, "layout") == 0)
		return with_machine(c, cmd_layout);
#endif
#ifdef VMSIM_HAVE_CMD_REPLAY
	if (strcmp(cmd, "replay") == 0)
		return with_machine(c, cmd_replay);
#endif
#ifdef VMSIM_HAVE_CMD_EXEC
	if (strcmp(cmd, "exec") == 0)
		return with_machine(c, cmd_exec);
#endif
	if (c->argc == 1) {
		/* a view name used as a command: vmsim-cli buddyinfo */
		struct strbuf probe = STRBUF_INIT;
		bool known;

		view_names(&probe);
		known = false;
		for (const char *p = sb_str(&probe); *p;) {
			size_t len = strcspn(p, ",");
			if (len == strlen(cmd) && strncmp(p, cmd, len) == 0)
				known = true;
			p += len;
			while (*p == ',' || *p == ' ')
				p++;
		}
		sb_free(&probe);
		if (known)
			return cmd_view(c, cmd);
	}
	fprintf(stderr, "vmsim-cli: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
