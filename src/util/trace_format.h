/*
 * What a trace format plugs into the reader (trace.c): one struct
 * trace_format_ops per format, each in its own trace_<name>.c, listed in
 * trace.c's table by its enum trace_format value.  The reader owns the
 * buffer, the line and record counting and the messages' shape; a format
 * owns its syntax.
 *
 * Invariant: a format's next() returns 1 with one record, 0 at the end, or
 * a negative errno with @err filled through trace_bad_line() (text:
 * "TRACE:LINE: what: 'text'") or trace_bad_record() (binary: "TRACE:
 * record N: what"); it reads only through trace_next_line() or
 * trace_next_bytes(), which never hand out bytes past the buffer.
 */
#ifndef VMSIM_UTIL_TRACE_FORMAT_H
#define VMSIM_UTIL_TRACE_FORMAT_H

#include <string.h>

#include "util/error.h"
#include "util/trace.h"

/* A one-line-one-record syntax: 1 with *rec filled, 0 for a line to skip
 * (blank), -1 for a line in another form. */
typedef int (*trace_line_parser)(const char *p, const char *end, struct trace_rec *rec);

struct trace_format_ops {
	const char *name;	/* the --format word, and "format" in JSON */
	const char *label;	/* in reports: "vmsim binary" */
	/* A format whose every line is one record (or blank) gives only its
	 * line parser and the message for a line it refuses, "TRACE:LINE:
	 * @bad_line: 'text'"; the reader then probes (the first line that is
	 * not blank parses) and reads with it, and probe and next stay NULL. */
	trace_line_parser parse_line;
	const char *bad_line;
	/* Does the start of the (decompressed) data look like this format?
	 * [buf, buf + len) is all of it when @eof, else at least TRACE_PROBE
	 * bytes. */
	bool (*probe)(const char *buf, size_t len, bool eof);
	/* After the choice, before the first record: a header to check and
	 * skip (NULL: none).  0 or a negative errno with @err filled. */
	int (*start)(struct trace_reader *r, struct vmsim_error *err);
	int (*next)(struct trace_reader *r, struct trace_rec *rec, struct vmsim_error *err);
	/* Optional fast path: like trace_read_batch() on records that are
	 * whole in the buffer; 0 when none is, the slow path does the rest. */
	long (*batch)(struct trace_reader *r, struct trace_rec *recs, size_t max,
		      struct vmsim_error *err);
};

extern const struct trace_format_ops trace_lackey_ops, trace_vmsim_ops, trace_rw_ops,
	trace_ls_ops, trace_champsim_ops, trace_pages_ops;

/* How much of the data detection looks at (fewer bytes at a short end). */
#define TRACE_PROBE 4096u
/* The longest text line (longer ones are an error). */
#define TRACE_MAX_LINE 4096

/* Does the start of the data, as for a probe, look like format @fmt?  Its
 * probe, or for a line format: the first line that is not blank parses.
 * Detection asks each format in turn; no two claim the same data. */
bool trace_format_probe(enum trace_format fmt, const char *buf, size_t len, bool eof);

/* trace_next_line() when the buffer holds no whole line. */
int trace_next_line_slow(struct trace_reader *r, const char **p, const char **end,
			 struct vmsim_error *err);

/* The next line of text, without its "\n" or "\r\n": 1 with [*p, *end),
 * valid until the next call; 0 at the end; or a negative errno.  Inline:
 * a text format's inner loop. */
static inline int trace_next_line(struct trace_reader *r, const char **lp, const char **lend,
				  struct vmsim_error *err)
{
	const char *p = r->buf + r->pos, *end = r->buf + r->len;
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (__builtin_expect(!nl, 0))
		return trace_next_line_slow(r, lp, lend, err);
	r->line++;
	r->pos = (size_t)(nl - r->buf) + 1;
	if (nl > p && nl[-1] == '\r')
		nl--;
	*lp = p;
	*lend = nl;
	return 1;
}
/* The next @n-byte record into @out: 1; 0 at a clean end; or -EINVAL for a
 * record cut short ("record N: truncated (K of @n bytes)"). */
int trace_next_bytes(struct trace_reader *r, void *out, size_t n, struct vmsim_error *err);

/* "TRACE:LINE: what: 'text'" for the current line, the text escaped. */
int trace_bad_line(struct trace_reader *r, struct vmsim_error *err, const char *what,
		   const char *p, const char *end);
/* "TRACE: record N: what" for the current record. */
int trace_bad_record(struct trace_reader *r, struct vmsim_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Text probes: the first line that is not blank, [*p, *end); false when
 * the data holds none whole (or has a NUL: binary data is never text). */
bool trace_probe_first_line(const char *buf, size_t len, bool eof, const char **p,
			    const char **end);

/* 0..15 for a hex digit, 0xff otherwise (branch-light: parsers' inner loops) */
static inline unsigned trace_hexval(unsigned char c)
{
	unsigned d = (unsigned)c - '0';

	if (d < 10)
		return d;
	d = ((unsigned)c | 0x20) - 'a';
	return d < 6 ? d + 10 : 0xff;
}

/* A hex address of 1 to 16 digits at *p, with an optional 0x when
 * @allow_0x; *p moves past it.  false (and *p unmoved) if there is none. */
static inline bool trace_parse_hex(const char **pp, const char *end, bool allow_0x,
				   uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	unsigned digits = 0;

	if (allow_0x && end - p > 2 && p[0] == '0' && (p[1] | 0x20) == 'x' &&
	    trace_hexval((unsigned char)p[2]) != 0xff)
		p += 2;
	for (; p < end && trace_hexval((unsigned char)*p) != 0xff; p++, digits++)
		v = (v << 4) | trace_hexval((unsigned char)*p);
	if (digits == 0 || digits > 16)
		return false;
	*pp = p;
	*out = v;
	return true;
}

static inline const char *trace_skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

#endif
