/*
 * Valgrind lackey's text (`valgrind --tool=lackey --trace-mem=yes`):
 * "I  04016c0,3", " L 1ffefff8a8,8", " S ...", " M ..." (a load, then a
 * store), and Valgrind's own "==PID== ..." lines, skipped.  Addresses are
 * 1 to 16 hex digits without 0x, sizes decimal, 1 to TRACE_MAX_SIZE.
 *
 * Invariant: a line is a record, blank or Valgrind's, or an error quoting
 * it; lackey separates with spaces only, so a tab is an error.
 */
#include <errno.h>

#include "util/trace_format.h"

/* "==" (Valgrind's) or an access type, a space, hex digits and a comma. */
static bool lackey_probe(const char *buf, size_t len, bool eof)
{
	const char *p, *end;
	uint64_t addr;

	if (!trace_probe_first_line(buf, len, eof, &p, &end))
		return false;
	if (end - p >= 2 && p[0] == '=' && p[1] == '=')
		return true;
	while (p < end && *p == ' ')
		p++;
	if (p == end || (*p != 'I' && *p != 'L' && *p != 'S' && *p != 'M'))
		return false;
	p++;
	if (p == end || *p != ' ')
		return false;
	while (p < end && *p == ' ')
		p++;
	return trace_parse_hex(&p, end, false, &addr) && p < end && *p == ',';
}

/* Parse one line [p, end).  1 = record, 0 = skipped line, <0 error. */
static int parse_lackey(struct trace_reader *r, const char *p, const char *end,
			struct trace_rec *rec, struct vmsim_error *err)
{
	const char *line = p;
	uint64_t addr, size = 0;
	unsigned digits;

	if (end - p >= 2 && p[0] == '=' && p[1] == '=')
		return 0;		/* ==PID== Valgrind's messages */
	while (p < end && *p == ' ')
		p++;
	if (p == end)
		return 0;		/* blank line */
	switch (*p) {
	case 'I': rec->type = TRACE_I; break;
	case 'L': rec->type = TRACE_L; break;
	case 'S': rec->type = TRACE_S; break;
	case 'M': rec->type = TRACE_M; break;
	default:
		return trace_bad_line(r, err, "expected I, L, S or M", line, end);
	}
	p++;
	if (p == end || *p != ' ')
		return trace_bad_line(r, err, "expected a space after the access type", line, end);
	while (p < end && *p == ' ')
		p++;
	if (!trace_parse_hex(&p, end, false, &addr))
		return trace_bad_line(r, err, "expected a hex address of 1 to 16 digits", line, end);
	if (p == end || *p != ',')
		return trace_bad_line(r, err, "expected ',' after the address", line, end);
	p++;
	for (digits = 0; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		size = size * 10 + (uint64_t)(*p - '0');
		if (size > TRACE_MAX_SIZE)
			return trace_bad_line(r, err, "access size too large", line, end);
	}
	if (digits == 0 || size == 0)
		return trace_bad_line(r, err, "expected a size of 1 or more bytes", line, end);
	while (p < end && *p == ' ')
		p++;
	if (p != end)
		return trace_bad_line(r, err, "unexpected text after the size", line, end);
	rec->addr = addr;
	rec->size = (uint32_t)size;
	return 1;
}

static int lackey_next(struct trace_reader *r, struct trace_rec *rec, struct vmsim_error *err)
{
	const char *p, *end;
	int ret;

	while ((ret = trace_next_line(r, &p, &end, err)) == 1) {
		ret = parse_lackey(r, p, end, rec, err);
		if (ret)
			return ret;
	}
	return ret;
}

/* The replay's fast path: lines parsed in one loop, no call per record. */
static long lackey_batch(struct trace_reader *r, struct trace_rec *recs, size_t max,
			 struct vmsim_error *err)
{
	size_t n = 0;

	while (n < max) {
		int ret = lackey_next(r, &recs[n], err);

		if (ret <= 0) {
			if (ret < 0 && !n)
				return ret;
			if (ret < 0)
				r->pending = ret;	/* deliver the good ones first */
			break;
		}
		n++;
	}
	return (long)n;
}

const struct trace_format_ops trace_lackey_ops = {
	.name = "lackey",
	.label = "lackey",
	.probe = lackey_probe,
	.next = lackey_next,
	.batch = lackey_batch,
};
