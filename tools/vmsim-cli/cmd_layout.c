/*
 * vmsim-cli layout [--svg FILE]: print every region of the machine's
 * virtual address space (start, last byte, size, what maps it), and
 * optionally draw it as an SVG picture.  The map comes from the booted
 * machine (kern/layout.c), so it shows the live numbers of a fresh boot.
 * Invariant: nothing is written to FILE unless the whole picture rendered.
 */
#include "cmd_layout.h"
#include "cli_oom.h"

#include <stdio.h>
#include <string.h>

#include "kern/layout.h"
#include "util/strbuf.h"

static int usage(void)
{
	fprintf(stderr, "usage: vmsim-cli layout [--svg FILE]\n");
	return 2;
}

int cmd_layout(struct vmsim_machine *m, int argc, char **argv, bool json)
{
	const char *svg = NULL;
	struct strbuf sb = STRBUF_INIT, pic = STRBUF_INIT;
	int ret = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--svg") == 0 && i + 1 < argc && !svg)
			svg = argv[++i];
		else
			return usage();
	}
	/* both rendered before either is written: out of host memory
	 * leaves no half-done output */
	layout_render(m, json, &sb);
	if (svg)
		layout_svg(m, &pic);
	if (cli_host_oom()) {
		sb_free(&sb);
		sb_free(&pic);
		return 2;
	}
	fputs(sb_str(&sb), stdout);
	if (json)
		fputc('\n', stdout);
	if (svg) {
		FILE *f = fopen(svg, "w");

		if (!f || fputs(sb_str(&pic), f) == EOF || fclose(f) != 0) {
			fprintf(stderr, "vmsim-cli: %s: cannot write the SVG\n", svg);
			ret = 2;
		}
	}
	sb_free(&sb);
	sb_free(&pic);
	return ret;
}
