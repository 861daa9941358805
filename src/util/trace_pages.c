/*
 * Reference strings, the traces of the textbooks (`--format pages`): page
 * numbers separated by blanks, commas or newlines, one or many per line,
 * as in Silberschatz's
 *
 *     7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1
 *
 * Each number (decimal, 0 to PAGES_MAX) is one reference to that page: a
 * one-byte read at TRACE_PAGES_BASE + page * 4096, or a write when the
 * number carries a `w` suffix (`3w`; `r` says read explicitly).  `#`
 * starts a comment to the end of the line.  The base keeps page 0 above
 * mmap_min_addr, so the flat replay layout can map every page of a string.
 *
 * Invariant: a line is read whole (trace_next_line()), and what is left of
 * it after the records delivered is [r->rest, r->rest_end), so a number is
 * never cut in two and an error names the line the token is on.
 */
#include <errno.h>
#include <string.h>

#include "util/trace_format.h"

#define PAGES_MAX ((1ULL << 34) - 1)	/* base + page * 4 KiB stays below 2^47 */
#define PAGES_DIGITS 11			/* PAGES_MAX has 11 */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\f' || c == '\v';
}

/* The next token's start in [p, end), or end at a comment or the end. */
static const char *next_token(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p < end && *p == '#' ? end : p;
}

static size_t token_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && !is_blank(*q) && *q != '\n' && *q != '#')
		q++;
	return (size_t)(q - p);
}

/* Digits, then an optional r or w: the digits' count, or 0 if not so. */
static size_t page_digits(const char *p, size_t n)
{
	size_t d = 0;

	while (d < n && p[d] >= '0' && p[d] <= '9')
		d++;
	if (d == 0 || (d < n && (n != d + 1 || !strchr("rRwW", p[d]))))
		return 0;
	return d;
}

/* The first line with a token decides: every token on it a page number.
 * NUL bytes are binary data.  A first line longer than the probe is
 * judged by its whole tokens: a line that long is refused at reading,
 * as a page list's own error. */
static bool pages_probe(const char *buf, size_t len, bool eof)
{
	const char *p = buf, *end = buf + len;

	if (memchr(buf, '\0', len))
		return false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		bool any = false;

		for (p = next_token(p, e); p < e; p = next_token(p, e)) {
			size_t n = token_len(p, e);

			if (p + n == end && !eof)
				break;		/* cut by the probe's end */
			if (!page_digits(p, n) || page_digits(p, n) > PAGES_DIGITS)
				return false;
			any = true;
			p += n;
		}
		if (any || !nl)
			return any;
		p = nl + 1;
	}
	return false;
}

static int pages_next(struct trace_reader *r, struct trace_rec *rec, struct vmsim_error *err)
{
	const char *p;
	uint64_t page = 0;
	size_t n, d;
	int ret;

	while ((p = next_token(r->rest, r->rest_end)) == r->rest_end) {
		ret = trace_next_line(r, &r->rest, &r->rest_end, err);
		if (ret <= 0)
			return ret;
	}
	n = token_len(p, r->rest_end);
	d = page_digits(p, n);
	if (!d)
		return trace_bad_line(r, err, n > 1 && p[0] >= '0' && p[0] <= '9' ?
					      "expected a page number with an optional r or w" :
					      "expected a page number", p, p + n);
	for (size_t i = 0; i < d; i++) {
		page = page * 10 + (uint64_t)(p[i] - '0');
		if (page > PAGES_MAX)
			return trace_bad_line(r, err, "page number too large (at most 17179869183)",
					      p, p + n);
	}
	r->rest = p + n;
	rec->type = d < n && (p[d] | 0x20) == 'w' ? TRACE_S : TRACE_L;
	rec->addr = TRACE_PAGES_BASE + (page << 12);
	rec->size = 1;
	return 1;
}

const struct trace_format_ops trace_pages_ops = {
	.name = "pages",
	.label = "page numbers",
	.probe = pages_probe,
	.next = pages_next,
};
