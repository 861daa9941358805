/*
 * The public API of trace files (include/vmsim/replay.h): a struct
 * vmsim_trace is util/trace.c's reader, its records handed out as struct
 * vmsim_rec (the same layout as struct trace_rec, checked below, so a
 * batch is read in place); conversion to the binary format is
 * trace_convert()'s.
 * Invariant: a record handed out passed the reader's checks (1..16383
 * bytes, a known type), so vmsim_replay_batch() takes it as it is.
 */
#include <errno.h>
#include <stddef.h>

#include "util/error.h"
#include "util/hostalloc.h"
#include "util/trace.h"
#include "util/trace_input.h"
#include "vmsim/replay.h"

_Static_assert(sizeof(struct vmsim_rec) == sizeof(struct trace_rec) &&
	       offsetof(struct vmsim_rec, addr) == offsetof(struct trace_rec, addr) &&
	       offsetof(struct vmsim_rec, size) == offsetof(struct trace_rec, size) &&
	       offsetof(struct vmsim_rec, type) == offsetof(struct trace_rec, type) &&
	       sizeof(enum vmsim_rec_type) == sizeof(enum trace_type) &&
	       (int)VMSIM_REC_I == TRACE_I && (int)VMSIM_REC_L == TRACE_L &&
	       (int)VMSIM_REC_S == TRACE_S && (int)VMSIM_REC_M == TRACE_M,
	       "a vmsim_rec is a trace_rec");

struct vmsim_trace {
	struct trace_reader r;
};

/* --format's word as trace_open() takes it: 0, or -EINVAL with @err. */
static int format_of(const char *format, int *fmt, struct vmsim_error *err)
{
	*fmt = format ? trace_format_by_name(format) : -1;
	if (format && *fmt < 0)
		return verr(err, -EINVAL, "trace: no format '%s' (" TRACE_FORMAT_WORDS ")", format);
	return 0;
}

int vmsim_trace_open(const char *path, const char *format, struct vmsim_trace **out,
		     struct vmsim_error *err)
{
	struct vmsim_trace *tr;
	int fmt, ret;

	if (!out || !path)
		return verr(err, -EINVAL, "trace: no file");
	*out = NULL;
	ret = format_of(format, &fmt, err);
	if (ret)
		return ret;
	tr = host_zalloc(NULL, sizeof(*tr));
	ret = tr ? trace_open(&tr->r, path, fmt, err) : verr(err, -ENOMEM, "out of host memory");
	if (!ret)
		*out = tr;
	else if (tr)
		host_free(NULL, tr, sizeof(*tr));
	return ret;
}

void vmsim_trace_close(struct vmsim_trace *tr)
{
	if (tr) {
		trace_close(&tr->r);
		host_free(NULL, tr, sizeof(*tr));
	}
}

long vmsim_trace_read(struct vmsim_trace *tr, struct vmsim_rec *recs, size_t n,
		      struct vmsim_error *err)
{
	if (!tr || (!recs && n))
		return verr(err, -EINVAL, "trace: no trace or no room");
	return trace_read_batch(&tr->r, (struct trace_rec *)(void *)recs, n, err);
}

int vmsim_trace_info(const struct vmsim_trace *tr, struct vmsim_trace_info *info)
{
	if (!tr || !info)
		return -EINVAL;
	*info = (struct vmsim_trace_info){
		.format = trace_format_name(tr->r.fmt),
		.label = trace_format_label(tr->r.fmt),
		.compression = trace_compression_name(tr->r.in.comp),
		.bytes_read = tr->r.bytes_read,
		.total_bytes = tr->r.total_bytes,
	};
	return 0;
}

long long vmsim_trace_convert(const char *in, const char *format, const char *out,
			      struct vmsim_error *err)
{
	int fmt, ret;

	if (!in || !out)
		return verr(err, -EINVAL, "trace: no input or no output");
	ret = format_of(format, &fmt, err);
	return ret ? ret : trace_convert(in, fmt, out, err);
}
