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
 * Invariant: a token is parsed only when it is whole in the buffer (or
 * the file ends): trace_pages_next() refills before a token that could
 * reach the buffer's end, so a number is never cut in two.  r->line counts
 * the newlines passed; the current line is r->line + 1.
 */
#include "util/trace.h"

#include <errno.h>
#include <string.h>

#include "util/error.h"
#include "util/parse.h"

#define PAGES_MAX ((1ULL << 34) - 1)	/* base + page * 4 KiB stays below 2^47 */
#define PAGES_TOKEN 64			/* longer than any valid token */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\f' || c == '\v';
}

/* Is a token of this form: digits, then an optional r or w? */
static size_t token_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && !is_blank(*q) && *q != '\n' && *q != '#')
		q++;
	return (size_t)(q - p);
}

bool trace_pages_detect(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	/* the first line that has a token decides: every token on it a page */
	for (;;) {
		bool any = false;

		while (p < end && *p != '\n') {
			size_t n, d = 0;

			if (is_blank(*p)) {
				p++;
				continue;
			}
			if (*p == '#') {
				while (p < end && *p != '\n')
					p++;
				break;
			}
			n = token_len(p, end);
			while (d < n && p[d] >= '0' && p[d] <= '9')
				d++;
			if (d == 0 || d > 11 || (n != d && (n != d + 1 || !strchr("rRwW", p[d]))))
				return false;
			any = true;
			p += n;
		}
		if (any)
			return true;
		if (p >= end)
			return false;
		p++;
	}
}

/* "TRACE:LINE: what: 'token'". */
static int bad_token(struct trace_reader *r, struct vmsim_error *err, const char *what,
		     const char *p, size_t n)
{
	char text[4 * 24 + 1];

	if (n > 24)
		n = 24;
	return verr(err, -EINVAL, "%s:%llu: %s: '%s'", r->name, (unsigned long long)r->line + 1,
		    what, escape_bytes(p, n, text, sizeof(text)));
}

int trace_pages_next(struct trace_reader *r, struct trace_rec *rec, struct vmsim_error *err)
{
	for (;;) {
		const char *p, *end;
		uint64_t page = 0;
		size_t n, d;
		int ret;

		if (r->len - r->pos < PAGES_TOKEN && !r->eof) {
			ret = trace_refill(r, err);
			if (ret)
				return ret;
		}
		p = r->buf + r->pos;
		end = r->buf + r->len;
		if (p == end)
			return 0;
		if (*p == '\n') {
			r->line++;
			r->pos++;
			continue;
		}
		if (is_blank(*p)) {
			r->pos++;
			continue;
		}
		if (*p == '#') {
			/* to the newline, a buffer at a time for a long comment */
			for (;;) {
				const char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);

				if (nl) {
					r->pos = (size_t)(nl - r->buf);
					break;
				}
				r->pos = r->len;
				if (r->eof)
					break;
				ret = trace_refill(r, err);
				if (ret)
					return ret;
			}
			continue;
		}
		n = token_len(p, end);
		if (n >= PAGES_TOKEN)
			return bad_token(r, err, "expected a page number", p, n);
		for (d = 0; d < n && p[d] >= '0' && p[d] <= '9'; d++) {
			page = page * 10 + (uint64_t)(p[d] - '0');
			if (page > PAGES_MAX)
				return bad_token(r, err, "page number too large (at most 17179869183)",
						 p, n);
		}
		if (d == 0)
			return bad_token(r, err, "expected a page number", p, n);
		rec->type = TRACE_L;
		if (d < n) {
			if (n != d + 1 || !strchr("rRwW", p[d]))
				return bad_token(r, err, "expected a page number with an optional r or w",
						 p, n);
			if (p[d] == 'w' || p[d] == 'W')
				rec->type = TRACE_S;
		}
		r->pos += n;
		rec->addr = TRACE_PAGES_BASE + (page << 12);
		rec->size = 1;
		return 1;
	}
}
