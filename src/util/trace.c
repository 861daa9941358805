/*
 * Trace reading and writing (see trace.h): the reader's buffer and the
 * dispatch to the formats (trace_<name>.c, through trace_format.h).  Text
 * is parsed for speed: one big buffer refilled from the (decompressed)
 * input, lines found with memchr; a line costs a few tens of nanoseconds,
 * which is what bounds a replay.
 *
 * Detection (trace_open with fmt -1) asks each format's probe, in the
 * table's order, about the first TRACE_PROBE bytes; lackey, the oldest
 * format, takes what no probe claims, so a file that is not a trace at all
 * fails on its first line with lackey's message.
 *
 * Invariant: r->pos <= r->len <= TRACE_BUF; a partial line or record at
 * the end of the buffer is moved to its start before the next refill, so
 * every line a format sees is whole (or the input's last, unterminated
 * one) and every record it asks for is whole or reported truncated.
 */
#include "util/trace.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "util/error.h"
#include "util/hostalloc.h"
#include "util/parse.h"
#include "util/trace_format.h"

#define TRACE_BUF (1u << 20)

/* By enum trace_format; detection asks them in this order. */
static const struct trace_format_ops *const formats[TRACE_NR_FORMATS] = {
	[TRACE_LACKEY] = &trace_lackey_ops,
	[TRACE_BINARY] = &trace_vmsim_ops,
	[TRACE_RW] = &trace_rw_ops,
	[TRACE_LS] = &trace_ls_ops,
	[TRACE_CHAMPSIM] = &trace_champsim_ops,
	[TRACE_PAGES] = &trace_pages_ops,
};

const char *trace_type_name(enum trace_type t)
{
	static const char *const n[] = { "I", "L", "S", "M" };
	return n[t & 3];
}

const char *trace_format_name(enum trace_format fmt)
{
	return formats[fmt]->name;
}

const char *trace_format_label(enum trace_format fmt)
{
	return formats[fmt]->label;
}

int trace_format_by_name(const char *name)
{
	for (int i = 0; i < TRACE_NR_FORMATS; i++)
		if (strcmp(formats[i]->name, name) == 0)
			return i;
	return -1;
}

/* Move the unparsed tail to the front and read more.  0, or -errno. */
static int refill(struct trace_reader *r, struct vmsim_error *err)
{
	size_t rest = r->len - r->pos;
	long got;

	if (r->eof)
		return 0;
	memmove(r->buf, r->buf + r->pos, rest);
	r->len = rest;
	r->pos = 0;
	got = trace_input_read(&r->in, r->buf + r->len, TRACE_BUF - r->len, err);
	if (got < 0)
		return (int)got;
	r->len += (size_t)got;
	r->bytes_read = r->in.raw_bytes;
	if (got == 0)
		r->eof = true;
	return 0;
}

int trace_next_line_slow(struct trace_reader *r, const char **lp, const char **lend,
			 struct vmsim_error *err)
{
	int ret;

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
				ret = refill(r, err);
				if (ret)
					return ret;
				continue;
			}
		}
		r->line++;
		r->pos = (size_t)(nl - r->buf) + (nl < end);
		if (nl > p && nl[-1] == '\r')
			nl--;
		*lp = p;
		*lend = nl;
		return 1;
	}
}

int trace_next_bytes(struct trace_reader *r, void *out, size_t n, struct vmsim_error *err)
{
	int ret;

	if (r->len - r->pos < n) {
		ret = refill(r, err);
		if (ret)
			return ret;
		if (r->len - r->pos < n) {
			if (r->len != r->pos) {
				r->line++;
				return trace_bad_record(r, err, "truncated (%zu of %zu bytes)",
							r->len - r->pos, n);
			}
			return 0;
		}
	}
	memcpy(out, r->buf + r->pos, n);
	r->pos += n;
	r->line++;
	return 1;
}

int trace_bad_line(struct trace_reader *r, struct vmsim_error *err, const char *what,
		   const char *p, const char *end)
{
	size_t n = (size_t)(end - p);
	char text[4 * 60 + 1];

	if (n > 60)
		n = 60;
	return verr(err, -EINVAL, "%s:%llu: %s: '%s'", r->name, (unsigned long long)r->line,
		    what, escape_bytes(p, n, text, sizeof(text)));
}

int trace_bad_record(struct trace_reader *r, struct vmsim_error *err, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return verr(err, -EINVAL, "%s: record %llu: %s", r->name, (unsigned long long)r->line,
		    what);
}

bool trace_probe_first_line(const char *buf, size_t len, bool eof, const char **lp,
			    const char **lend)
{
	const char *p = buf, *end = buf + len;

	if (memchr(buf, '\0', len))
		return false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e;

		if (!nl && !eof)
			return false;	/* a line longer than the probe: no verdict */
		e = nl ? nl : end;
		if (e > p && e[-1] == '\r')
			e--;
		if (trace_skip_blanks(p, e) < e) {
			*lp = p;
			*lend = e;
			return true;
		}
		p = nl ? nl + 1 : end;
	}
	return false;
}

bool trace_format_probe(enum trace_format fmt, const char *buf, size_t len, bool eof)
{
	const struct trace_format_ops *ops = formats[fmt];
	const char *p, *end;
	struct trace_rec rec;

	if (ops->probe)
		return ops->probe(buf, len, eof);
	/* a line format: its first line that is not blank parses */
	return trace_probe_first_line(buf, len, eof, &p, &end) && ops->parse_line(p, end, &rec) == 1;
}

/* A line format's next(): the next line that is a record. */
static int next_line_record(struct trace_reader *r, struct trace_rec *rec,
			    struct vmsim_error *err)
{
	const char *p, *end;
	int ret;

	while ((ret = trace_next_line(r, &p, &end, err)) == 1) {
		ret = r->ops->parse_line(p, end, rec);
		if (ret < 0)
			return trace_bad_line(r, err, r->ops->bad_line, p, end);
		if (ret)
			return ret;
	}
	return ret;
}

static int format_next(struct trace_reader *r, struct trace_rec *rec, struct vmsim_error *err)
{
	return r->ops->next ? r->ops->next(r, rec, err) : next_line_record(r, rec, err);
}

/* The format of the data in the buffer: the first probe that claims it. */
static enum trace_format detect(const struct trace_reader *r)
{
	for (int i = 0; i < TRACE_NR_FORMATS; i++)
		if (trace_format_probe((enum trace_format)i, r->buf, r->len, r->eof))
			return (enum trace_format)i;
	return TRACE_LACKEY;
}

int trace_open(struct trace_reader *r, const char *path, int fmt, struct vmsim_error *err)
{
	enum trace_format seen;
	int ret;

	memset(r, 0, sizeof(*r));
	r->name = path;
	ret = trace_input_open(&r->in, path, err);
	if (ret)
		return ret;
	r->total_bytes = r->in.file_size;
	r->buf = host_alloc(NULL, TRACE_BUF);
	if (!r->buf) {
		trace_close(r);
		return verr(err, -ENOMEM, "%s: out of host memory", path);
	}
	/* fill until the probes can see enough (a pipe may deliver little at once) */
	while (!r->eof && r->len < TRACE_PROBE) {
		ret = refill(r, err);
		if (ret) {
			trace_close(r);
			return ret;
		}
	}
	seen = detect(r);
	if (fmt >= 0 && (int)seen != fmt && seen == TRACE_BINARY) {
		/* the magic is certain: the override is a mistake */
		trace_close(r);
		return verr(err, -EINVAL, "%s:1: not a %s trace (it is a vmsim binary trace)", path,
			    trace_format_label((enum trace_format)fmt));
	}
	r->fmt = fmt >= 0 ? (enum trace_format)fmt : seen;
	r->ops = formats[r->fmt];
	ret = r->ops->start ? r->ops->start(r, err) : 0;
	if (!ret) {
		/* the first record now: a file that is not a trace fails here,
		 * on its first bad line, before anything is replayed */
		struct trace_rec first;

		ret = format_next(r, &first, err);
		if (ret == 1) {
			/* before what next() queued behind it */
			memmove(&r->queue[1], &r->queue[0], r->qlen * sizeof(r->queue[0]));
			r->queue[0] = first;
			r->qlen++;
		}
	}
	if (ret < 0) {
		trace_close(r);
		return ret;
	}
	return 0;
}

void trace_close(struct trace_reader *r)
{
	trace_input_close(&r->in);
	host_free(NULL, r->buf, TRACE_BUF);
	r->buf = NULL;
}

int trace_next(struct trace_reader *r, struct trace_rec *rec, struct vmsim_error *err)
{
	if (r->qpos < r->qlen) {
		*rec = r->queue[r->qpos++];
		if (r->qpos == r->qlen)
			r->qpos = r->qlen = 0;
		return 1;
	}
	return format_next(r, rec, err);
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
	if (r->ops->batch && r->qpos == r->qlen) {
		long got = r->ops->batch(r, recs, max, err);

		if (got)
			return got;
	}
	/* one at a time: text, queued records, a record split across a refill */
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

long long trace_convert(const char *in, int fmt, const char *out, struct vmsim_error *err)
{
	const char *inputs[] = { in, NULL };
	struct trace_reader r;
	struct trace_writer w;
	struct trace_rec rec;
	int ret;

	ret = trace_open(&r, in, fmt, err);
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
