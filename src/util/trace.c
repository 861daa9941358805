/*
 * Trace reading and writing (see trace.h).  The lackey parser is written
 * for speed: one big buffer refilled with fread, lines found with memchr,
 * hex decoded through a table; it costs a few tens of nanoseconds a line,
 * which is what bounds a replay.
 *
 * Invariant: r->pos <= r->len <= TRACE_BUF; a partial line at the end of
 * the buffer is moved to its start before the next refill, so every line
 * the parser sees is whole (or the file's last, unterminated one).
 */
#include "util/trace.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"
#include "util/hostalloc.h"
#include "util/parse.h"

#define TRACE_BUF (1u << 20)
#define TRACE_MAX_LINE 4096

/* 0..15 for a hex digit, 0xff otherwise (branch-light: the parser's inner loop) */
static inline unsigned hexval(unsigned char c)
{
	unsigned d = (unsigned)c - '0';

	if (d < 10)
		return d;
	d = ((unsigned)c | 0x20) - 'a';
	return d < 6 ? d + 10 : 0xff;
}

const char *trace_type_name(enum trace_type t)
{
	static const char *const n[] = { "I", "L", "S", "M" };
	return n[t & 3];
}

/* Move the unparsed tail to the front and read more.  0, or -EIO. */
int trace_refill(struct trace_reader *r, struct vmsim_error *err)
{
	size_t rest = r->len - r->pos, got;

	if (r->eof)
		return 0;
	memmove(r->buf, r->buf + r->pos, rest);
	r->len = rest;
	r->pos = 0;
	got = fread(r->buf + r->len, 1, TRACE_BUF - r->len, r->f);
	r->len += got;
	r->bytes_read += got;
	if (got == 0) {
		if (ferror(r->f))
			return verr(err, -EIO, "%s: read error", r->name);
		r->eof = true;
	}
	return 0;
}

int trace_open(struct trace_reader *r, const char *path, int fmt, struct vmsim_error *err)
{
	struct stat st;
	int ret;

	memset(r, 0, sizeof(*r));
	r->name = path;
	if (strcmp(path, "-") == 0) {
		r->f = stdin;
	} else {
		r->f = fopen(path, "rb");
		if (!r->f)
			return verr(err, errno == ENOENT ? -ENOENT : -EIO, "%s: %s", path,
				    strerror(errno));
		r->own = true;
	}
	if (fstat(fileno(r->f), &st) == 0 && S_ISREG(st.st_mode))
		r->total_bytes = (uint64_t)st.st_size;
	r->buf = host_alloc(NULL, TRACE_BUF);
	if (!r->buf) {
		trace_close(r);
		return verr(err, -ENOMEM, "%s: out of host memory", path);
	}
	/* fill until the magic can be seen (a pipe may deliver little at once) */
	while (!r->eof && r->len < 8) {
		ret = trace_refill(r, err);
		if (ret) {
			trace_close(r);
			return ret;
		}
	}
	if (r->len >= 8 && memcmp(r->buf, TRACE_MAGIC, 8) == 0) {
		r->fmt = TRACE_BINARY;
		r->pos = 8;
	} else if (fmt == TRACE_PAGES || (fmt < 0 && trace_pages_detect(r->buf, r->len))) {
		r->fmt = TRACE_PAGES;
	} else {
		r->fmt = TRACE_LACKEY;
	}
	if (fmt >= 0 && (int)r->fmt != fmt) {
		trace_close(r);
		return verr(err, -EINVAL, "%s:1: not a %s trace", path,
			    fmt == TRACE_BINARY ? "vmsim binary (no VMSIMTR1 header)"
			    : fmt == TRACE_PAGES ? "page-number (it is a vmsim binary trace)"
						 : "lackey (it is a vmsim binary trace)");
	}
	if (r->fmt != TRACE_BINARY) {
		/* read the first record now: a file that is not a trace fails
		 * here, on its first bad line, before anything is replayed */
		ret = trace_next(r, &r->peek, err);
		if (ret < 0) {
			trace_close(r);
			return ret;
		}
		r->has_peek = ret == 1;
	}
	return 0;
}

void trace_close(struct trace_reader *r)
{
	if (r->own && r->f)
		fclose(r->f);
	host_free(NULL, r->buf, TRACE_BUF);
	r->f = NULL;
	r->buf = NULL;
}

/* "TRACE:LINE: what: 'text'", the text escaped: a file that is not a
 * trace at all (an ELF binary, say) still gives one printable line. */
static int bad_line(struct trace_reader *r, struct vmsim_error *err, const char *what,
		    const char *p, const char *end)
{
	size_t n = (size_t)(end - p);
	char text[4 * 60 + 1];

	if (n > 60)
		n = 60;
	return verr(err, -EINVAL, "%s:%llu: %s: '%s'", r->name, (unsigned long long)r->line,
		    what, escape_bytes(p, n, text, sizeof(text)));
}

/* Parse one lackey line [p, end).  1 = record, 0 = skipped line, <0 error. */
static int parse_lackey(struct trace_reader *r, const char *p, const char *end,
			struct trace_rec *rec, struct vmsim_error *err)
{
	const char *line = p;
	uint64_t addr = 0, size = 0;
	unsigned digits = 0;

	if (end > p && end[-1] == '\r')
		end--;
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
		return bad_line(r, err, "expected I, L, S or M", line, end);
	}
	p++;
	if (p == end || *p != ' ')
		return bad_line(r, err, "expected a space after the access type", line, end);
	while (p < end && *p == ' ')
		p++;
	for (; p < end && hexval((unsigned char)*p) != 0xff; p++, digits++)
		addr = (addr << 4) | hexval((unsigned char)*p);
	if (digits == 0 || digits > 16)
		return bad_line(r, err, "expected a hex address of 1 to 16 digits", line, end);
	if (p == end || *p != ',')
		return bad_line(r, err, "expected ',' after the address", line, end);
	p++;
	for (digits = 0; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		size = size * 10 + (uint64_t)(*p - '0');
		if (size > TRACE_MAX_SIZE)
			return bad_line(r, err, "access size too large", line, end);
	}
	if (digits == 0 || size == 0)
		return bad_line(r, err, "expected a size of 1 or more bytes", line, end);
	while (p < end && *p == ' ')
		p++;
	if (p != end)
		return bad_line(r, err, "unexpected text after the size", line, end);
	rec->addr = addr;
	rec->size = (uint32_t)size;
	return 1;
}

int trace_next(struct trace_reader *r, struct trace_rec *rec, struct vmsim_error *err)
{
	int ret;

	if (r->fmt == TRACE_BINARY) {
		uint64_t w;

		if (r->len - r->pos < 8) {
			ret = trace_refill(r, err);
			if (ret)
				return ret;
			if (r->len - r->pos < 8) {
				if (r->len != r->pos)
					return verr(err, -EINVAL, "%s: record %llu: truncated (%zu bytes)",
						    r->name, (unsigned long long)r->line + 1,
						    r->len - r->pos);
				return 0;
			}
		}
		memcpy(&w, r->buf + r->pos, 8);
		r->pos += 8;
		r->line++;
		trace_decode(w, rec);
		if (rec->size == 0)
			return verr(err, -EINVAL, "%s: record %llu: size 0", r->name,
				    (unsigned long long)r->line);
		return 1;
	}
	if (r->has_peek) {
		*rec = r->peek;
		r->has_peek = false;
		return 1;
	}
	if (r->fmt == TRACE_PAGES)
		return trace_pages_next(r, rec, err);
	for (;;) {
		const char *p = r->buf + r->pos, *end = r->buf + r->len;
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl) {
			if (r->eof) {
				if (p == end)
					return 0;
				nl = end;	/* last line without a newline */
			} else {
				if (r->len - r->pos > TRACE_MAX_LINE) {
					r->line++;
					return verr(err, -EINVAL, "%s:%llu: line longer than %d bytes",
						    r->name, (unsigned long long)r->line,
						    TRACE_MAX_LINE);
				}
				ret = trace_refill(r, err);
				if (ret)
					return ret;
				continue;
			}
		}
		r->line++;
		r->pos = (size_t)(nl - r->buf) + (nl < end);
		ret = parse_lackey(r, p, nl, rec, err);
		if (ret)
			return ret;
	}
}

long trace_read_batch(struct trace_reader *r, struct trace_rec *recs, size_t max,
		      struct vmsim_error *err)
{
	size_t n = 0;
	int ret;

	if (r->pending) {
		/* the error behind the last batch (err was filled then) */
		ret = r->pending;
		r->pending = 0;
		return ret;
	}
	if (r->fmt == TRACE_BINARY) {
		/* whole words in the buffer decode in a tight loop */
		size_t avail = (r->len - r->pos) / 8;
		const uint8_t *p = (const uint8_t *)r->buf + r->pos;

		if (avail > max)
			avail = max;
		for (; n < avail; n++, p += 8) {
			uint64_t w;

			memcpy(&w, p, 8);
			trace_decode(w, &recs[n]);
			if (__builtin_expect(recs[n].size == 0, 0)) {
				r->pos += n * 8 + 8;
				r->line += n + 1;
				ret = verr(err, -EINVAL, "%s: record %llu: size 0", r->name,
					   (unsigned long long)r->line);
				if (!n)
					return ret;
				r->pending = ret;	/* deliver the good ones first */
				return (long)n;
			}
		}
		r->pos += n * 8;
		r->line += n;
		if (n)
			return (long)n;
	}
	/* text, or a binary word split across a refill: one at a time */
	for (; n < max; n++) {
		ret = trace_next(r, &recs[n], err);
		if (ret < 0) {
			if (!n)
				return ret;
			r->pending = ret;	/* deliver the good ones first */
			break;
		}
		if (ret == 0)
			break;
	}
	return (long)n;
}

static int writer_open(struct trace_writer *w, const char *path, const char *const *inputs,
		       struct vmsim_error *err)
{
	int ret;

	w->n = 0;
	w->records = 0;
	ret = outfile_open(&w->out, path, inputs, err);
	if (ret)
		return ret;
	if (fwrite(TRACE_MAGIC, 1, 8, w->out.f) != 8) {
		ret = verr(err, -EIO, "%s: %s", path, strerror(errno));
		outfile_abort(&w->out);
	}
	return ret;
}

int trace_writer_open(struct trace_writer *w, const char *path, struct vmsim_error *err)
{
	return writer_open(w, path, NULL, err);
}

static int flush_words(struct trace_writer *w, struct vmsim_error *err)
{
	if (w->n && fwrite(w->buf, 8, w->n, w->out.f) != w->n)
		return verr(err, -EIO, "%s: %s", w->out.path, strerror(errno));
	w->n = 0;
	return 0;
}

int trace_write(struct trace_writer *w, const struct trace_rec *rec, struct vmsim_error *err)
{
	uint64_t hi = rec->addr >> 47;

	/* only canonical addresses (bits 63..47 all equal) survive the encoding */
	if (hi != 0 && hi != 0x1ffff)
		return verr(err, -ERANGE, "trace: address %#llx is not canonical",
			    (unsigned long long)rec->addr);
	if (rec->size == 0 || rec->size > TRACE_MAX_SIZE)
		return verr(err, -ERANGE, "trace: size %u out of range", rec->size);
	w->buf[w->n++] = trace_encode(rec);
	w->records++;
	if (w->n == sizeof(w->buf) / sizeof(w->buf[0]))
		return flush_words(w, err);
	return 0;
}

int trace_writer_close(struct trace_writer *w, struct vmsim_error *err)
{
	int ret = flush_words(w, err);

	if (ret) {
		outfile_abort(&w->out);
		return ret;
	}
	return outfile_commit(&w->out, err);
}

void trace_writer_abort(struct trace_writer *w)
{
	outfile_abort(&w->out);
}

long long trace_convert(const char *in, const char *out, struct vmsim_error *err)
{
	const char *inputs[] = { in, NULL };
	struct trace_reader r;
	struct trace_writer w;
	struct trace_rec rec;
	int ret;

	ret = trace_open(&r, in, TRACE_LACKEY, err);
	if (ret)
		return ret;
	ret = writer_open(&w, out, inputs, err);
	if (ret) {
		trace_close(&r);
		return ret;
	}
	while ((ret = trace_next(&r, &rec, err)) == 1) {
		ret = trace_write(&w, &rec, err);
		if (ret)
			break;
	}
	trace_close(&r);
	if (ret < 0) {
		trace_writer_abort(&w);	/* no partial output; an older file stays */
		return ret;
	}
	ret = trace_writer_close(&w, err);
	return ret < 0 ? ret : (long long)w.records;
}
