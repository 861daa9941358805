/*
 * vmsim-cli layout [--svg FILE]: print every region of the machine's
 * virtual address space (start, last byte, size, what maps it), and
 * optionally draw it as an SVG picture: the "layout" view and its picture
 * (vmsim_view(), vmsim_view_svg()) of the booted machine, so it shows the
 * live numbers of a fresh boot.
 * Invariant: FILE is written whole (through a temporary, util/outfile.c)
 * before anything is printed, or not at all and nothing is printed; both
 * are rendered before either is written.
 */
#include <stdio.h>

#include "cli.h"
#include "cli_oom.h"
#include "vmsim/vmsim.h"

enum { OPT_SVG = 256 };

static const struct cli_opt layout_opts[] = {
	{ OPT_SVG, "svg", ARG_FILE, "FILE", "also draw the map as an SVG picture into FILE" },
	{ 0 },
};

/* The picture @pic into @path; 0, or 2 with the one line printed. */
static int write_svg(struct cli *c, const char *pic, const char *path)
{
	struct outfile o;
	int ret = cli_output(c, &o, path);

	if (ret)
		return ret;
	fputs(pic, o.f);
	return cli_output_commit(&o);
}

static int run_layout(struct cli *c, int argc, char **argv)
{
	const char *svg = NULL;
	struct vmsim_view_opts vo = { .json = c->json };
	struct vmsim_error err = { 0 }, perr = { 0 };
	char *map, *pic = NULL;
	long len, plen = 0;
	struct vmsim_machine *m;
	struct cli_getopt g;
	int k, ret = 0;

	cli_getopt_init(&g, &cmd_layout, argc, argv, false);
	while ((k = cli_getopt(&g)) > 0) {
		if (svg)
			return cli_usage_error(&cmd_layout, "one --svg only");
		svg = g.arg;
	}
	if (k < 0)
		return g.status;
	if (argc != g.next)
		return cli_usage_error(&cmd_layout, "takes no arguments, only --svg FILE");
	m = cli_boot(c);
	if (!m)
		return 2;
	/* both rendered before either is written: out of host memory leaves
	 * no output at all (main() says why) */
	len = cli_view(m, "layout", &vo, &map, &err);
	if (svg)
		plen = cli_view(m, "layout", NULL, &pic, &perr);
	if (cli_host_oom()) {
		ret = 2;
	} else if (len < 0 || plen < 0) {
		fprintf(stderr, "vmsim-cli: %s\n", len < 0 ? err.msg : perr.msg);
		ret = 2;
	} else if (svg)
		ret = write_svg(c, pic, svg);
	if (!ret) {
		fputs(map, stdout);
		if (c->json)
			fputc('\n', stdout);
	}
	cli_view_free(map, len);
	cli_view_free(pic, plen);
	vmsim_machine_destroy(m);
	return ret;
}

const struct cli_cmd cmd_layout = {
	.name = "layout",
	.operands = "",
	.summary = "print the virtual address-space map, kernel and user regions",
	.operand_kind = ARG_NONE,
	.about = "Every region of the booted machine's address space: its first and last byte, "
		 "its size and what maps it (the direct map, vmalloc, pkmap, fixmap, the user "
		 "half, ...), with the live numbers of the configuration. With --svg the same map "
		 "is drawn as a picture; the file is written whole before the map is printed.",
	.opts = layout_opts,
	.run = run_layout,
};
