/*
 * Memory-access traces: a streaming reader for Valgrind lackey's text
 * (`valgrind --tool=lackey --trace-mem=yes`) and for vmsim's own binary
 * format, and a writer for the latter.
 *
 * Lackey lines:   "I  04016c0,3"   instruction fetch
 *                 " L 1ffefff8a8,8" load      " S ..." store
 *                 " M 04222cac,4"  modify (a load, then a store)
 *                 "==PID== ..."    Valgrind's own messages, skipped
 * addresses are hex without 0x, sizes decimal.
 *
 * Binary format (docs/trace-format.md): the 8 bytes "VMSIMTR1", then one
 * little-endian 64-bit word per access:
 *     bits 63..62 type (0 I, 1 L, 2 S, 3 M) | 61..48 size (1..16383)
 *     | 47..0 address bits 47..0, sign-extended from bit 47 on reading
 * so any canonical x86-64 (and every x86-32) address round-trips.
 *
 * Invariant: a reader never allocates per record and never reads past its
 * buffer; a malformed record stops the stream with an error naming the
 * line (text) or record number (binary), the line's text quoted with its
 * control bytes escaped.
 */
#ifndef VMSIM_UTIL_TRACE_H
#define VMSIM_UTIL_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/outfile.h"
#include "vmsim/error.h"

enum trace_type { TRACE_I, TRACE_L, TRACE_S, TRACE_M };
enum trace_format { TRACE_LACKEY, TRACE_BINARY, TRACE_PAGES };

#define TRACE_MAGIC "VMSIMTR1"
#define TRACE_MAX_SIZE 16383u
/* A reference string's page N is the 4 KiB page at this base + N * 4096
 * (trace_pages.c). */
#define TRACE_PAGES_BASE 0x10000000ULL

struct trace_rec {
	uint64_t addr;
	uint32_t size;
	enum trace_type type;
};

struct trace_reader {
	FILE *f;
	bool own;			/* fclose at the end */
	const char *name;		/* for messages; "-" is stdin */
	enum trace_format fmt;
	char *buf;			/* read buffer */
	size_t len, pos;		/* bytes in buf, parse position */
	bool eof;
	uint64_t line;			/* text: lines consumed; binary: records */
	uint64_t bytes_read;
	uint64_t total_bytes;		/* file size when known, else 0 */
	int pending;			/* an error found after a batch's good records */
	bool has_peek;			/* lackey: trace_open() read the first record */
	struct trace_rec peek;
};

/*
 * Open @path ("-" for standard input).  @fmt is the format, or -1 to detect
 * it (the binary magic, else lackey).  A lackey trace's first record is read
 * here, so a file that is not a trace fails at open with its first bad line
 * ("TRACE:LINE: ...").  Returns 0 or a negative errno with @err filled.
 */
int trace_open(struct trace_reader *r, const char *path, int fmt, struct vmsim_error *err);
void trace_close(struct trace_reader *r);

/*
 * Next record: 1 with *rec filled, 0 at the end, or a negative errno with
 * @err filled ("TRACE:LINE: message").
 */
int trace_next(struct trace_reader *r, struct trace_rec *rec, struct vmsim_error *err);

/*
 * Up to @max records into @recs: the count (0 at the end), or a negative
 * errno with @err filled.  The same records trace_next() would give, with
 * one call per batch instead of per record: the replay loop's fast path.
 */
long trace_read_batch(struct trace_reader *r, struct trace_rec *recs, size_t max,
		      struct vmsim_error *err);

/* Binary writer: through an outfile, so the file appears whole at close
 * or not at all. */
struct trace_writer {
	struct outfile out;
	uint64_t buf[4096];
	unsigned n;
	uint64_t records;
};

int trace_writer_open(struct trace_writer *w, const char *path, struct vmsim_error *err);
int trace_write(struct trace_writer *w, const struct trace_rec *rec, struct vmsim_error *err);
/* Write what is buffered and put the file in place; 0 or -EIO/-ENOSPC... */
int trace_writer_close(struct trace_writer *w, struct vmsim_error *err);
/* Drop the file being written; an older file of that name stays. */
void trace_writer_abort(struct trace_writer *w);

static inline uint64_t trace_encode(const struct trace_rec *rec)
{
	return ((uint64_t)rec->type << 62) | ((uint64_t)rec->size << 48) |
	       (rec->addr & 0xffffffffffffULL);
}

static inline void trace_decode(uint64_t w, struct trace_rec *rec)
{
	rec->type = (enum trace_type)(w >> 62);
	rec->size = (uint32_t)(w >> 48) & TRACE_MAX_SIZE;
	/* sign-extend bit 47: canonical x86-64 addresses */
	rec->addr = (uint64_t)((int64_t)(w << 16) >> 16);
}

/* Lackey text -> binary; returns records written or a negative errno.
 * @out may not be @in (-EINVAL); on any error an existing @out is kept. */
long long trace_convert(const char *in, const char *out, struct vmsim_error *err);

const char *trace_type_name(enum trace_type t);

/* For the readers of other formats (trace_*.c): move the unparsed tail to
 * the buffer's start and read more (0, or -EIO with @err filled). */
int trace_refill(struct trace_reader *r, struct vmsim_error *err);

/* Reference strings (trace_pages.c): does the first line with a token
 * hold only page numbers?  The next record, as trace_next(). */
bool trace_pages_detect(const char *buf, size_t len);
int trace_pages_next(struct trace_reader *r, struct trace_rec *rec, struct vmsim_error *err);

#endif
