/*
 * vmsim's binary trace format (trace.h, docs/trace-format.md): the magic
 * "VMSIMTR1", then one little-endian 64-bit word per access.  The batch
 * path decodes the words that are whole in the buffer in a tight loop: it
 * is what a replay of a converted trace spends its reading time in.
 *
 * Invariant: r->line counts the words delivered or refused, so a message
 * names the record by its number from 1.
 */
#include <errno.h>
#include <string.h>

#include "util/trace_format.h"

static bool vmsim_probe(const char *buf, size_t len, bool eof)
{
	return len >= 8 && memcmp(buf, TRACE_MAGIC, 8) == 0;
}

static int vmsim_start(struct trace_reader *r, struct vmsim_error *err)
{
	if (r->len - r->pos < 8 || memcmp(r->buf + r->pos, TRACE_MAGIC, 8) != 0)
		return verr(err, -EINVAL, "%s:1: not a vmsim binary trace (no " TRACE_MAGIC
			    " header)", r->name);
	r->pos += 8;
	return 0;
}

static int size_zero(struct trace_reader *r, struct vmsim_error *err)
{
	return trace_bad_record(r, err, "size 0");
}

static int vmsim_next(struct trace_reader *r, struct trace_rec *rec, struct vmsim_error *err)
{
	uint64_t w;
	int ret = trace_next_bytes(r, &w, 8, err);

	if (ret <= 0)
		return ret;
	trace_decode(w, rec);
	if (rec->size == 0)
		return size_zero(r, err);
	return 1;
}

static long vmsim_batch(struct trace_reader *r, struct trace_rec *recs, size_t max,
			struct vmsim_error *err)
{
	size_t avail = (r->len - r->pos) / 8, n;
	const uint8_t *p = (const uint8_t *)r->buf + r->pos;

	if (avail > max)
		avail = max;
	for (n = 0; n < avail; n++, p += 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		trace_decode(w, &recs[n]);
		if (__builtin_expect(recs[n].size == 0, 0)) {
			int ret;

			r->pos += n * 8 + 8;
			r->line += n + 1;
			ret = size_zero(r, err);
			if (!n)
				return ret;
			r->pending = ret;	/* deliver the good ones first */
			return (long)n;
		}
	}
	r->pos += n * 8;
	r->line += n;
	return (long)n;
}

const struct trace_format_ops trace_vmsim_ops = {
	.name = "vmsim",
	.label = "vmsim binary",
	.probe = vmsim_probe,
	.start = vmsim_start,
	.next = vmsim_next,
	.batch = vmsim_batch,
};
