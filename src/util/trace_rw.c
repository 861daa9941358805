/*
 * The course format "ADDR R|W": one access per line, a hex address (with
 * or without 0x) and R for a read or W for a write, as the classic
 * operating-systems assignments hand out ("0041f7a0 R", "0x13f5e2c0 w").
 * The record has no size: each access is one byte, so none crosses a page.
 *
 * Invariant: a line is one record, or blank, or an error quoting it.
 */
#include <errno.h>

#include "util/trace_format.h"

/* 1 with *rec filled, 0 for a blank line, -1 for a line in another form. */
static int parse_rw(const char *p, const char *end, struct trace_rec *rec)
{
	uint64_t addr;

	p = trace_skip_blanks(p, end);
	if (p == end)
		return 0;
	if (!trace_parse_hex(&p, end, true, &addr))
		return -1;
	if (p == end || (*p != ' ' && *p != '\t'))
		return -1;
	p = trace_skip_blanks(p, end);
	if (p == end || ((*p | 0x20) != 'r' && (*p | 0x20) != 'w'))
		return -1;
	rec->type = (*p | 0x20) == 'r' ? TRACE_L : TRACE_S;
	if (trace_skip_blanks(p + 1, end) != end)
		return -1;
	rec->addr = addr;
	rec->size = 1;
	return 1;
}

const struct trace_format_ops trace_rw_ops = {
	.name = "rw",
	.label = "ADDR R|W",
	.parse_line = parse_rw,
	.bad_line = "expected a hex address, then R or W",
};
