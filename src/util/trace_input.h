/*
 * The bytes of a trace: a file or standard input, decompressed on the fly
 * when it starts with the magic number of gzip (1f 8b), xz (fd '7zXZ' 00)
 * or zstd (28 b5 2f fd, or a skippable frame), whatever its name.  The
 * trace readers (trace.c) see only decompressed bytes.
 *
 * Streaming: a fixed input buffer and the decoder's own window, whatever
 * the trace's length.  Concatenated gzip members, xz streams and zstd
 * frames decode as one stream, as gzip -d, xz -d and zstd -d do.
 *
 * Invariant: trace_input_read() gives every byte the compressed data
 * holds, in order, and then either 0 (the stream ended where a member,
 * stream or frame ends) or an error naming the file and the compressed
 * byte where the data went bad or ran out.  The decoders' allocations go
 * through hostalloc, so running out of host memory is counted as such.
 */
#ifndef VMSIM_UTIL_TRACE_INPUT_H
#define VMSIM_UTIL_TRACE_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmsim/error.h"

enum trace_compression { TRACE_PLAIN, TRACE_GZIP, TRACE_XZ, TRACE_ZSTD };

struct trace_input {
	FILE *f;
	bool own;			/* fclose at the end */
	const char *name;		/* for messages; "-" is standard input */
	enum trace_compression comp;
	unsigned char *raw;		/* compressed (or plain, at the start) bytes */
	size_t raw_len, raw_pos;
	bool raw_eof;
	uint64_t raw_bytes;		/* bytes read from the file so far */
	uint64_t file_size;		/* a regular file's size, else 0 */
	void *dec;			/* the decoder's state */
	bool in_member;			/* inside a gzip member / xz stream / zstd frame */
	bool done;			/* nothing more to give */
};

/* Open @path ("-" for standard input) and detect its compression.  0, or
 * a negative errno with @err filled ("PATH: reason"). */
int trace_input_open(struct trace_input *in, const char *path, struct vmsim_error *err);
void trace_input_close(struct trace_input *in);

/* Up to @cap decompressed bytes into @buf: their count, 0 at the end, or a
 * negative errno with @err filled. */
long trace_input_read(struct trace_input *in, char *buf, size_t cap, struct vmsim_error *err);

/* "gzip", "xz", "zstd", or NULL for a plain file. */
const char *trace_compression_name(enum trace_compression c);

#endif
