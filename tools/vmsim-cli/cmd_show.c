/*
 * vmsim-cli show VIEW, and VIEW as a command of its own (vmsim-cli
 * buddyinfo): one of the kernel's views of a freshly booted machine, in
 * the kernel's text format or as JSON, through vmsim_view().  Invariant: nothing
 * is printed unless the whole view rendered; out of host memory, nothing
 * at all (main() prints the one line).
 */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "cli_oom.h"
#include "util/strbuf.h"
#include "vmsim/vmsim.h"

/* "no view 'X'; did you mean 'Y'? (views: ...)"; nothing when the host
 * refuses the memory to list them (main() says why). */
static int unknown_view(const char *name)
{
	struct strbuf sb = STRBUF_INIT, all = STRBUF_INIT;
	const char *names[CLI_MAX_VIEWS], *near;
	size_t n = cli_view_names(&sb, names, CLI_MAX_VIEWS);

	near = cli_nearest(name, names, n);
	cli_view_list(&all);
	if (!cli_host_oom() && near)
		fprintf(stderr, "vmsim-cli: no view '%s'; did you mean '%s'? (views: %s)\n", name,
			near, sb_str(&all));
	else if (!cli_host_oom())
		fprintf(stderr, "vmsim-cli: no view '%s' (views: %s)\n", name, sb_str(&all));
	sb_free(&sb);
	sb_free(&all);
	return 2;
}

/* View @name through vmsim_view() (cli_view()).  0, or 2 with the reason
 * printed (nothing out of host memory: main() says why). */
static int show_view(struct vmsim_machine *m, const char *name, bool json)
{
	struct vmsim_view_opts o = { .json = json };
	struct vmsim_error err = { 0 };
	char *buf;
	long len = cli_view(m, name, &o, &buf, &err);

	if (len >= 0 && !cli_host_oom()) {
		fputs(buf, stdout);
		if (json)
			putchar('\n');
	} else if (len < 0 && !cli_host_oom()) {
		fprintf(stderr, "vmsim-cli: %s\n", err.msg);
	}
	cli_view_free(buf, len);
	return len < 0 || cli_host_oom() ? 2 : 0;
}

static int run_show(struct cli *c, int argc, char **argv)
{
	bool shortcut = strcmp(argv[0], "show") != 0;
	struct vmsim_machine *m;
	struct cli_getopt g;
	const char *name;
	int ret;

	cli_getopt_init(&g, &cmd_show, argc, argv, false);
	if (cli_getopt(&g))	/* no options but --help */
		return g.status;
	if (shortcut && argc != g.next)
		return cli_usage_error(&cmd_show, "'%s' takes no arguments", argv[0]);
	if (!shortcut && argc - g.next != 1)
		return cli_usage_error(&cmd_show, "%s", argc == g.next ? "which view?" :
				       "one view at a time");
	name = shortcut ? argv[0] : argv[g.next];
	if (!cli_is_view(name))
		return cli_host_oom() ? 2 : unknown_view(name);
	m = cli_boot(c);
	if (!m)
		return 2;
	ret = show_view(m, name, c->json);
	vmsim_machine_destroy(m);
	return ret;
}

const struct cli_cmd cmd_show = {
	.name = "show",
	.operands = "VIEW",
	.summary = "print one of the kernel's views of the machine after boot",
	.operand_kind = ARG_VIEWS,
	.about = "VIEW is one of the views listed by 'vmsim-cli help' (buddyinfo, zoneinfo, "
		 "meminfo, vmstat, swaps, slabinfo, vmallocinfo, pagetable, tlb, stats, ...), in the kernel's "
		 "text format, or as JSON with --json. A view's name is also a command of its own: "
		 "'vmsim-cli buddyinfo' is 'vmsim-cli show buddyinfo'.",
	.run = run_show,
};
