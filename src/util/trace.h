/*
 * Memory-access traces: a streaming reader for the formats below, detected
 * from the content (docs/trace-format.md), and a writer for vmsim's binary
 * format.  Input compressed with gzip, xz or zstd is decompressed on the
 * fly (trace_input.h); each format lives in its own trace_<name>.c behind
 * the small interface of trace_format.h.
 *
 * Lackey lines:   "I  04016c0,3"   instruction fetch
 *                 " L 1ffefff8a8,8" load      " S ..." store
 *                 " M 04222cac,4"  modify (a load, then a store)
 *                 "==PID== ..."    Valgrind's own messages, skipped
 * addresses are hex without 0x, sizes decimal.
 * Course formats: "0041f7a0 R" / "0x0041f7a0 W" (rw) and "l 0x1fff0" /
 * "s 1fff0" (ls): one access per line, no size (1 byte).
 * ChampSim: 64-byte input_instr records, an I for the instruction pointer
 * and an L or S per memory operand.
 * Reference strings (pages): the textbooks' page numbers, "7 0 1 2w", one
 * or many per line, each a one-byte access to that page.
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
#include "util/trace_input.h"
#include "vmsim/error.h"
#include "vmsim/replay.h"

enum trace_type { TRACE_I, TRACE_L, TRACE_S, TRACE_M };
/* The formats, in the order of TRACE_FORMAT_WORDS (--format's words). */
enum trace_format { TRACE_LACKEY, TRACE_BINARY, TRACE_RW, TRACE_LS, TRACE_CHAMPSIM,
		    TRACE_PAGES, TRACE_NR_FORMATS };
#define TRACE_FORMAT_WORDS VMSIM_TRACE_FORMATS	/* vmsim/replay.h */

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

#define TRACE_QUEUE 8		/* records one input record can give (ChampSim: 7) */

struct trace_format_ops;

struct trace_reader {
	struct trace_input in;		/* the bytes, decompressed */
	const char *name;		/* for messages; "-" is stdin */
	enum trace_format fmt;
	const struct trace_format_ops *ops;
	char *buf;			/* read buffer */
	size_t len, pos;		/* bytes in buf, parse position */
	bool eof;
	uint64_t line;			/* text: lines consumed; binary: records */
	uint64_t bytes_read;		/* of the file (compressed, if it is) */
	uint64_t total_bytes;		/* file size when known, else 0 */
	int pending;			/* an error found after a batch's good records */
	unsigned qlen, qpos;		/* records decoded, not yet delivered */
	struct trace_rec queue[TRACE_QUEUE];
	/* a format with several records a line: what is left of the line
	 * (valid until its next trace_next_line()) */
	const char *rest, *rest_end;
};

/*
 * Open @path ("-" for standard input).  @fmt is the format, or -1 to detect
 * it from the content (lackey when nothing else fits).  The first record is
 * read here, so a file that is not a trace fails at open with its first bad
 * line ("TRACE:LINE: ...").  Returns 0 or a negative errno with @err filled.
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

/* Any trace (@fmt as for trace_open) -> binary; returns records written or
 * a negative errno.  @out may not be @in (-EINVAL); on any error an
 * existing @out is kept. */
long long trace_convert(const char *in, int fmt, const char *out, struct vmsim_error *err);

const char *trace_type_name(enum trace_type t);
/* The format's --format word ("lackey"), and its name in reports
 * ("Valgrind lackey"). */
const char *trace_format_name(enum trace_format fmt);
const char *trace_format_label(enum trace_format fmt);
/* The format a --format word names, or -1. */
int trace_format_by_name(const char *name);

#endif
