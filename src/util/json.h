/*
 * The one JSON writer every view and command prints through.  It writes
 * into a struct strbuf and keeps the document's shape itself: which
 * containers are open, whether a comma is due, whether an object member
 * has its key.  Callers only say what comes next.
 *
 * What it guarantees about the text (docs/output-formats.md):
 *   - every string is escaped: '"', '\\', control characters, DEL; bytes
 *     that do not form well-formed UTF-8 become U+FFFD (written "\ufffd"),
 *     one per maximal ill-formed subpart, as Unicode's best practice and
 *     Python's errors="replace" do, so the output is always valid UTF-8;
 *   - addresses are "0x..." strings (json_hex), never numbers, so no digit
 *     is lost in a reader that keeps numbers as doubles;
 *   - a document is one value; json_finish() says whether it came out
 *     whole (balanced, one top-level value, no host-memory failure, every
 *     byte written).
 *
 * A writer made by json_init_stream() also owns a FILE: whenever the
 * buffer holds JSON_CHUNK bytes it writes them out and empties it, so a
 * document of any length (a replay's interval rows) costs bounded host
 * memory.  A misuse (a value in an object without a key, a key in an
 * array, a close that does not match) is a caller bug: the writer stops
 * writing and json_finish() returns -EINVAL.
 */
#ifndef VMSIM_UTIL_JSON_H
#define VMSIM_UTIL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/strbuf.h"

#define JSON_MAX_DEPTH 32	/* deepest nesting; vmsim's documents use 6 */
#define JSON_CHUNK 65536	/* a streaming writer flushes at this many bytes */

struct json_writer {
	struct strbuf *sb;
	FILE *stream;		/* NULL: the document stays in sb */
	size_t start;		/* where in sb the document began */
	unsigned depth;		/* open containers */
	uint64_t object;	/* bit d: container at depth d+1 is an object */
	uint64_t nonempty;	/* bit d: container at depth d+1 has a member */
	bool key_pending;	/* a key was written, its value is next */
	bool done;		/* the top-level value is complete */
	bool misuse;
	bool io_error;
};

/* A writer appending one document to @sb (after what it holds). */
void json_init(struct json_writer *w, struct strbuf *sb);
/* A writer that streams through @sb, its own buffer, to @f (see above). */
void json_init_stream(struct json_writer *w, struct strbuf *sb, FILE *f);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);

/* The key of the next member of the open object. */
void json_key(struct json_writer *w, const char *key);

void json_str(struct json_writer *w, const char *s);	/* NULL writes null */
void json_u64(struct json_writer *w, uint64_t v);
void json_i64(struct json_writer *w, int64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);
/* An address or raw hardware value: the string "0x" + lowercase hex. */
void json_hex(struct json_writer *w, uint64_t v);
/* A real number with @decimals digits after the point; NaN and the
 * infinities, which JSON cannot spell, are written null. */
void json_double(struct json_writer *w, double v, int decimals);
/* An array of the space-separated words of @s ("P RW A" -> ["P","RW","A"]). */
void json_words(struct json_writer *w, const char *s);
/* The finished document of another (non-streaming) writer, as one value. */
void json_embed(struct json_writer *w, const struct json_writer *part);
/* A finished document given as its text (what vmsim_view() renders), as
 * one value: the caller vouches that it is one JSON value. */
void json_embed_text(struct json_writer *w, const char *json);

/* A member: key and value in one call. */
void json_key_str(struct json_writer *w, const char *key, const char *s);
void json_key_u64(struct json_writer *w, const char *key, uint64_t v);
void json_key_i64(struct json_writer *w, const char *key, int64_t v);
void json_key_bool(struct json_writer *w, const char *key, bool v);
void json_key_hex(struct json_writer *w, const char *key, uint64_t v);

/*
 * End the document: 0 when one complete value was written (and, when
 * streaming, flushed to the FILE); -EINVAL for a misuse or an incomplete
 * document, -ENOMEM when the buffer ran out of host memory, -EIO when the
 * FILE refused a write.
 */
int json_finish(struct json_writer *w);

#endif
