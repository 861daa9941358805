/*
 * A trace's bytes, decompressed when compressed (see trace_input.h).
 *
 * The compression is told by the first bytes alone, never by the file's
 * name: a pipe has none, and `trace.gz` may well be plain text.  Each
 * decoder runs in a loop that stops as soon as it produced output, so a
 * caller asking for a megabyte gets whatever one refill of the input
 * buffer yields, and the decoder's internal window is all it holds.
 *
 * Invariant: raw_pos <= raw_len <= RAW_BUF; in_member is true from the
 * first byte fed to a gzip member or zstd frame until the decoder reports
 * its end, so input that stops while it is true is truncated, and input
 * that stops while it is false ended cleanly.
 */
#include "util/trace_input.h"

#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_createDStream_advanced: our allocator */
#include <zstd.h>
#include <zstd_errors.h>

#include "util/error.h"
#include "util/hostalloc.h"

#define RAW_BUF (256u << 10)
#define HDR 16u				/* the size in front of a decoder's block */
#define MAGIC_MAX 16u			/* the longest magic number looked at (bzip2: 10) */

/* ---- the decoders' allocations, through hostalloc (sizes kept in front) ---- */

static void *dec_alloc(size_t n)
{
	size_t *p;

	if (n > SIZE_MAX - HDR)
		return NULL;
	p = host_alloc(NULL, n + HDR);
	if (!p)
		return NULL;
	p[0] = n;
	return (char *)p + HDR;
}

static void dec_free(void *q)
{
	size_t *p;

	if (!q)
		return;
	p = (size_t *)((char *)q - HDR);
	host_free(NULL, p, p[0] + HDR);
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	return dec_alloc((size_t)items * size);	/* uInt * uInt fits size_t on LP64 */
}

static void z_free(voidpf opaque, voidpf p)
{
	dec_free(p);
}

static void *lz_alloc(void *opaque, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	return dec_alloc(nmemb * size);
}

static void lz_free(void *opaque, void *p)
{
	dec_free(p);
}

static const lzma_allocator lz_allocator = { lz_alloc, lz_free, NULL };

static void *zs_alloc(void *opaque, size_t size)
{
	return dec_alloc(size);
}

static void zs_free(void *opaque, void *p)
{
	dec_free(p);
}

const char *trace_compression_name(enum trace_compression c)
{
	static const char *const n[] = { NULL, "gzip", "xz", "zstd" };
	return n[c];
}

/* ---- input ---- */

/* Read more raw bytes when all are used.  0, or -EIO. */
static int fill_raw(struct trace_input *in, struct vmsim_error *err)
{
	size_t got;

	if (in->raw_pos < in->raw_len || in->raw_eof)
		return 0;
	got = fread(in->raw, 1, RAW_BUF, in->f);
	in->raw_len = got;
	in->raw_pos = 0;
	in->raw_bytes += got;
	if (got == 0) {
		if (ferror(in->f))
			return verr(err, -EIO, "%s: read error", in->name);
		in->raw_eof = true;
	}
	return 0;
}

static int corrupt(struct trace_input *in, struct vmsim_error *err, const char *why)
{
	/* the bytes read bound where: a decoder may refuse a whole block */
	return verr(err, -EINVAL, "%s: corrupt %s data (%s) within its first %llu bytes",
		    in->name, trace_compression_name(in->comp), why,
		    (unsigned long long)in->raw_bytes);
}

static int truncated(struct trace_input *in, struct vmsim_error *err)
{
	return verr(err, -EINVAL, "%s: truncated %s data: the compressed stream ends early, "
		    "after %llu bytes", in->name, trace_compression_name(in->comp),
		    (unsigned long long)in->raw_bytes);
}

static bool is_zstd(const unsigned char *p, size_t n)
{
	/* a frame, or a skippable frame (0x184D2A50..5F, little-endian) */
	return n >= 4 && ((p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) ||
			  ((p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18));
}

/* Magic numbers we know but do not decode: a clear refusal, not a parse
 * error on binary noise.  NULL when none matches. */
static const char *unsupported(const unsigned char *p, size_t n)
{
	if (n >= 10 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9' &&
	    memcmp(p + 4, "1AY&SY", 6) == 0)
		return "bzip2 -d";
	if (n >= 4 && p[0] == 0x04 && p[1] == 0x22 && p[2] == 0x4d && p[3] == 0x18)
		return "lz4 -d";
	return NULL;
}

static int start_decoder(struct trace_input *in, struct vmsim_error *err)
{
	const unsigned char *p = in->raw;
	size_t n = in->raw_len;

	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
		z_stream *z = dec_alloc(sizeof(*z));

		in->comp = TRACE_GZIP;
		if (!z)
			return verr(err, -ENOMEM, "%s: out of host memory", in->name);
		memset(z, 0, sizeof(*z));
		z->zalloc = z_alloc;
		z->zfree = z_free;
		if (inflateInit2(z, 15 + 16) != Z_OK) {	/* 15 + 16: a gzip wrapper */
			dec_free(z);
			return verr(err, -ENOMEM, "%s: out of host memory", in->name);
		}
		in->dec = z;
	} else if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0) {
		lzma_stream *s = dec_alloc(sizeof(*s));
		const lzma_stream init = LZMA_STREAM_INIT;

		in->comp = TRACE_XZ;
		if (!s)
			return verr(err, -ENOMEM, "%s: out of host memory", in->name);
		*s = init;
		s->allocator = &lz_allocator;
		if (lzma_stream_decoder(s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
			dec_free(s);
			return verr(err, -ENOMEM, "%s: out of host memory", in->name);
		}
		in->dec = s;
	} else if (is_zstd(p, n)) {
		ZSTD_customMem mem = { zs_alloc, zs_free, NULL };

		in->comp = TRACE_ZSTD;
		in->dec = ZSTD_createDStream_advanced(mem);
		if (!in->dec)
			return verr(err, -ENOMEM, "%s: out of host memory", in->name);
	} else if (unsupported(p, n)) {
		return verr(err, -EINVAL, "%s: compressed in a format vmsim does not read (gzip, xz "
			    "and zstd are read): decompress it first (%s)", in->name,
			    unsupported(p, n));
	}
	return 0;
}

int trace_input_open(struct trace_input *in, const char *path, struct vmsim_error *err)
{
	struct stat st;
	int ret;

	memset(in, 0, sizeof(*in));
	in->name = path;
	if (strcmp(path, "-") == 0) {
		in->f = stdin;
	} else {
		in->f = fopen(path, "rb");
		if (!in->f)
			return verr(err, errno == ENOENT ? -ENOENT : -EIO, "%s: %s", path,
				    strerror(errno));
		in->own = true;
	}
	if (fstat(fileno(in->f), &st) == 0 && S_ISREG(st.st_mode))
		in->file_size = (uint64_t)st.st_size;
	in->raw = host_alloc(NULL, RAW_BUF);
	if (!in->raw) {
		trace_input_close(in);
		return verr(err, -ENOMEM, "%s: out of host memory", path);
	}
	/* enough for every magic number, and no more: a plain trace's bytes
	 * then go straight from the file to the reader's buffer */
	while (!in->raw_eof && in->raw_len < MAGIC_MAX) {
		size_t got = fread(in->raw + in->raw_len, 1, MAGIC_MAX - in->raw_len, in->f);

		in->raw_len += got;
		in->raw_bytes += got;
		if (got == 0) {
			if (ferror(in->f)) {
				trace_input_close(in);
				return verr(err, -EIO, "%s: read error", path);
			}
			in->raw_eof = true;
		}
	}
	ret = start_decoder(in, err);
	if (ret)
		trace_input_close(in);
	return ret;
}

void trace_input_close(struct trace_input *in)
{
	if (in->dec) {
		if (in->comp == TRACE_GZIP) {
			inflateEnd(in->dec);
			dec_free(in->dec);
		} else if (in->comp == TRACE_XZ) {
			lzma_end(in->dec);
			dec_free(in->dec);
		} else {
			ZSTD_freeDStream(in->dec);
		}
	}
	if (in->own && in->f)
		fclose(in->f);
	host_free(NULL, in->raw, RAW_BUF);
	memset(in, 0, sizeof(*in));
}

static long read_plain(struct trace_input *in, char *buf, size_t cap, struct vmsim_error *err)
{
	size_t got;

	if (in->raw_pos < in->raw_len) {	/* the bytes read to see the magic */
		got = in->raw_len - in->raw_pos;
		if (got > cap)
			got = cap;
		memcpy(buf, in->raw + in->raw_pos, got);
		in->raw_pos += got;
		return (long)got;
	}
	if (in->raw_eof)
		return 0;
	got = fread(buf, 1, cap, in->f);
	in->raw_bytes += got;
	if (got == 0) {
		if (ferror(in->f))
			return verr(err, -EIO, "%s: read error", in->name);
		in->raw_eof = true;
	}
	return (long)got;
}

/*
 * One decoder step on what input there is: the bytes it produced into
 * [buf, buf + cap), or a negative errno.  *progress says whether it
 * consumed or produced anything; *ended that a member, stream or frame
 * just ended.
 */
static long step(struct trace_input *in, char *buf, size_t cap, bool *ended,
		 struct vmsim_error *err)
{
	size_t avail = in->raw_len - in->raw_pos;

	*ended = false;
	if (in->comp == TRACE_GZIP) {
		z_stream *z = in->dec;
		int ret;

		if (avail)
			in->in_member = true;
		z->next_in = in->raw + in->raw_pos;
		z->avail_in = avail > UINT_MAX ? UINT_MAX : (uInt)avail;
		z->next_out = (Bytef *)buf;
		z->avail_out = cap > UINT_MAX ? UINT_MAX : (uInt)cap;
		ret = inflate(z, Z_NO_FLUSH);
		in->raw_pos += (size_t)(z->next_in - (in->raw + in->raw_pos));
		if (ret == Z_STREAM_END) {
			/* another member may follow, as gzip -d reads them */
			*ended = true;
			in->in_member = false;
			inflateReset(z);
		} else if (ret == Z_MEM_ERROR) {
			return verr(err, -ENOMEM, "%s: out of host memory", in->name);
		} else if (ret != Z_OK && ret != Z_BUF_ERROR) {
			return corrupt(in, err, z->msg ? z->msg : "bad data");
		}
		return (long)((char *)z->next_out - buf);
	}
	if (in->comp == TRACE_XZ) {
		lzma_stream *s = in->dec;
		lzma_ret ret;

		s->next_in = in->raw + in->raw_pos;
		s->avail_in = avail;
		s->next_out = (uint8_t *)buf;
		s->avail_out = cap;
		/* LZMA_CONCATENATED: only LZMA_FINISH says where the input ends */
		ret = lzma_code(s, !avail && in->raw_eof ? LZMA_FINISH : LZMA_RUN);
		in->raw_pos += avail - s->avail_in;
		if (ret == LZMA_STREAM_END) {
			*ended = true;
			in->done = true;
		} else if (ret == LZMA_MEM_ERROR) {
			return verr(err, -ENOMEM, "%s: out of host memory", in->name);
		} else if (ret == LZMA_BUF_ERROR) {
			return truncated(in, err);
		} else if (ret != LZMA_OK) {
			return corrupt(in, err, ret == LZMA_FORMAT_ERROR ? "not an xz stream" :
				       ret == LZMA_OPTIONS_ERROR ? "unsupported options" :
				       "bad data or checksum");
		}
		return (long)(cap - s->avail_out);
	}
	ZSTD_inBuffer zi = { in->raw + in->raw_pos, avail, 0 };
	ZSTD_outBuffer zo = { buf, cap, 0 };
	size_t ret = ZSTD_decompressStream(in->dec, &zo, &zi);

	in->raw_pos += zi.pos;
	if (ZSTD_isError(ret)) {
		if (ZSTD_getErrorCode(ret) == ZSTD_error_memory_allocation)
			return verr(err, -ENOMEM, "%s: out of host memory", in->name);
		return corrupt(in, err, ZSTD_getErrorName(ret));
	}
	if (zi.pos)
		in->in_member = true;
	if (ret == 0) {
		*ended = true;
		in->in_member = false;
	}
	return (long)zo.pos;
}

long trace_input_read(struct trace_input *in, char *buf, size_t cap, struct vmsim_error *err)
{
	if (in->comp == TRACE_PLAIN)
		return read_plain(in, buf, cap, err);
	while (!in->done) {
		size_t before;
		bool ended;
		long got;
		int ret;

		ret = fill_raw(in, err);
		if (ret)
			return ret;
		before = in->raw_pos;
		got = step(in, buf, cap, &ended, err);
		if (got)
			return got;	/* output, or an error */
		if (in->raw_pos == before && !ended && in->raw_pos == in->raw_len && in->raw_eof) {
			/* no input left and the decoder has nothing more */
			if (in->in_member || in->comp == TRACE_XZ)
				return truncated(in, err);
			in->done = true;
		}
	}
	return 0;
}
