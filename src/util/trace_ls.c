/*
 * The course format "l|s ADDR": one access per line, l for a load or s
 * for a store, then a hex address with or without 0x ("l 0x1fff000c",
 * "s 7ff0").  Some course traces add a third field, a decimal count (the
 * cycles since the previous access); it is accepted and has no effect.
 * The record has no size: each access is one byte, so none crosses a page.
 *
 * Invariant: a line is one record, or blank, or an error quoting it.
 */
#include <errno.h>

#include "util/trace_format.h"

/* 1 with *rec filled, 0 for a blank line, -1 for a line in another form. */
static int parse_ls(const char *p, const char *end, struct trace_rec *rec)
{
	uint64_t addr;
	char t;

	p = trace_skip_blanks(p, end);
	if (p == end)
		return 0;
	t = *p;			/* lower case: "L 1000,4" is lackey's */
	if (t != 'l' && t != 's')
		return -1;
	p++;
	if (p == end || (*p != ' ' && *p != '\t'))
		return -1;
	p = trace_skip_blanks(p, end);
	if (!trace_parse_hex(&p, end, true, &addr))
		return -1;
	if (p < end && *p != ' ' && *p != '\t')
		return -1;
	p = trace_skip_blanks(p, end);
	if (p < end && *p >= '0' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		p = trace_skip_blanks(p, end);
	}
	if (p != end)
		return -1;
	rec->type = t == 'l' ? TRACE_L : TRACE_S;
	rec->addr = addr;
	rec->size = 1;
	return 1;
}

const struct trace_format_ops trace_ls_ops = {
	.name = "ls",
	.label = "l|s ADDR",
	.parse_line = parse_ls,
	.bad_line = "expected l or s, then a hex address",
};
