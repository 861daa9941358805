/*
 * The JSON writer (see json.h).  Invariant: between calls, sb holds a
 * prefix of one well-formed document (or, streaming, the part not yet
 * written out); the bits of w->object and w->nonempty below w->depth
 * describe exactly the open containers, so every comma and close is
 * decided here and nowhere else.
 */
#include "util/json.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static void init(struct json_writer *w, struct strbuf *sb, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->sb = sb;
	w->stream = f;
	w->start = sb->len;
}

void json_init(struct json_writer *w, struct strbuf *sb)
{
	init(w, sb, NULL);
}

void json_init_stream(struct json_writer *w, struct strbuf *sb, FILE *f)
{
	init(w, sb, f);
}

static void flush(struct json_writer *w)
{
	struct strbuf *sb = w->sb;

	if (!w->stream || sb->len == w->start || sb->oom)
		return;
	if (fwrite(sb->buf + w->start, 1, sb->len - w->start, w->stream) != sb->len - w->start)
		w->io_error = true;
	sb_reset(sb);
	w->start = 0;
}

static bool in_object(const struct json_writer *w)
{
	return w->depth && (w->object >> (w->depth - 1) & 1);
}

/* Before a value: the comma it needs in an array (in an object the key
 * wrote it).  False, with nothing written, when no value may come now. */
static bool value_start(struct json_writer *w)
{
	uint64_t bit;

	if (w->misuse)
		return false;
	if (w->depth == 0) {
		if (w->done)
			w->misuse = true;	/* a second top-level value */
		return !w->misuse;
	}
	if (in_object(w)) {
		if (!w->key_pending) {
			w->misuse = true;
			return false;
		}
		w->key_pending = false;
		return true;
	}
	bit = 1ULL << (w->depth - 1);
	if (w->nonempty & bit)
		sb_putc(w->sb, ',');
	w->nonempty |= bit;
	return true;
}

/* After a complete value: the document may be done; a long buffer goes out. */
static void value_end(struct json_writer *w)
{
	if (w->depth == 0)
		w->done = true;
	if (w->stream && w->sb->len >= JSON_CHUNK)
		flush(w);
}

/*
 * The length of the well-formed UTF-8 sequence at @s (1..4), or 0 when
 * it is ill-formed; then *bad is the length of its maximal ill-formed
 * subpart (the lead byte and the continuation bytes that were still
 * possible), which becomes one U+FFFD.  Table 3-7 of the Unicode
 * standard: no overlongs, no surrogates, nothing above U+10FFFF.
 */
static size_t utf8_seq(const unsigned char *s, size_t *bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else {
		*bad = 1;
		return 0;
	}
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < n; i++) {
		/* the string's NUL fails this test, so no read runs past it */
		if (s[i] < lo || s[i] > hi) {
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

static void quote(struct strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)str, *run = s;

	sb_putc(sb, '"');
	while (*s) {
		unsigned char c = *s;
		size_t n = 1, bad = 0;
		const char *esc = NULL;
		char u[8];

		if (c >= 0x80)
			n = utf8_seq(s, &bad);
		else if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\t')
			esc = "\\t";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\b')
			esc = "\\b";
		else if (c == '\f')
			esc = "\\f";
		else if (c < 0x20 || c == 0x7f) {
			snprintf(u, sizeof(u), "\\u%04x", c);
			esc = u;
		}
		if (!esc && n) {
			s += n;		/* plain text, copied in one run below */
			continue;
		}
		sb_add(sb, (const char *)run, (size_t)(s - run));
		if (esc) {
			sb_puts(sb, esc);
			s++;
		} else {
			sb_puts(sb, "\\ufffd");
			s += bad;
		}
		run = s;
	}
	sb_add(sb, (const char *)run, (size_t)(s - run));
	sb_putc(sb, '"');
}

static void container_begin(struct json_writer *w, bool object)
{
	uint64_t bit;

	if (!value_start(w))
		return;
	if (w->depth == JSON_MAX_DEPTH) {
		w->misuse = true;
		return;
	}
	bit = 1ULL << w->depth;
	w->depth++;
	w->object = object ? w->object | bit : w->object & ~bit;
	w->nonempty &= ~bit;
	sb_putc(w->sb, object ? '{' : '[');
}

static void container_end(struct json_writer *w, bool object)
{
	if (w->misuse)
		return;
	if (w->depth == 0 || in_object(w) != object || w->key_pending) {
		w->misuse = true;
		return;
	}
	w->depth--;
	sb_putc(w->sb, object ? '}' : ']');
	value_end(w);
}

void json_object_begin(struct json_writer *w)
{
	container_begin(w, true);
}

void json_object_end(struct json_writer *w)
{
	container_end(w, true);
}

void json_array_begin(struct json_writer *w)
{
	container_begin(w, false);
}

void json_array_end(struct json_writer *w)
{
	container_end(w, false);
}

void json_key(struct json_writer *w, const char *key)
{
	uint64_t bit;

	if (w->misuse)
		return;
	if (!in_object(w) || w->key_pending || !key) {
		w->misuse = true;
		return;
	}
	bit = 1ULL << (w->depth - 1);
	if (w->nonempty & bit)
		sb_putc(w->sb, ',');
	w->nonempty |= bit;
	quote(w->sb, key);
	sb_putc(w->sb, ':');
	w->key_pending = true;
}

/* A scalar whose text is @text (@n bytes). */
static void scalar(struct json_writer *w, const char *text, size_t n)
{
	if (!value_start(w))
		return;
	sb_add(w->sb, text, n);
	value_end(w);
}

void json_str(struct json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	if (!value_start(w))
		return;
	quote(w->sb, s);
	value_end(w);
}

/* Decimal digits of @v, right-aligned in @buf[24]; returns the first. */
static char *u64_digits(uint64_t v, char *end)
{
	char *p = end;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return p;
}

void json_u64(struct json_writer *w, uint64_t v)
{
	char buf[24], *p = u64_digits(v, buf + sizeof(buf));

	scalar(w, p, (size_t)(buf + sizeof(buf) - p));
}

void json_i64(struct json_writer *w, int64_t v)
{
	char buf[24], *p;

	/* the magnitude as unsigned, so INT64_MIN does not overflow */
	p = u64_digits(v < 0 ? 0 - (uint64_t)v : (uint64_t)v, buf + sizeof(buf));
	if (v < 0)
		*--p = '-';
	scalar(w, p, (size_t)(buf + sizeof(buf) - p));
}

void json_bool(struct json_writer *w, bool v)
{
	scalar(w, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json_writer *w)
{
	scalar(w, "null", 4);
}

void json_hex(struct json_writer *w, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[24], *p = buf + sizeof(buf);

	*--p = '"';
	do
		*--p = digits[v & 15];
	while (v >>= 4);
	*--p = 'x';
	*--p = '0';
	*--p = '"';
	scalar(w, p, (size_t)(buf + sizeof(buf) - p));
}

void json_double(struct json_writer *w, double v, int decimals)
{
	char buf[64];
	int n;

	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		/* beyond 1e40 or so: the exponent form is still a JSON number */
		n = snprintf(buf, sizeof(buf), "%.17g", v);
	}
	scalar(w, buf, (size_t)n);
}

void json_words(struct json_writer *w, const char *s)
{
	char word[64];

	json_array_begin(w);
	while (s && *s) {
		size_t n = strcspn(s, " ");

		if (n) {
			/* a longer word is cut rather than dropped: the flag
			 * names this serves are a few letters long */
			size_t k = n < sizeof(word) ? n : sizeof(word) - 1;

			memcpy(word, s, k);
			word[k] = '\0';
			json_str(w, word);
		}
		s += n;
		while (*s == ' ')
			s++;
	}
	json_array_end(w);
}

void json_embed(struct json_writer *w, const struct json_writer *part)
{
	if (part->stream || !part->done || part->misuse || part->depth) {
		w->misuse = true;
		return;
	}
	scalar(w, sb_str(part->sb) + part->start, part->sb->len - part->start);
}

void json_embed_text(struct json_writer *w, const char *json)
{
	scalar(w, json, strlen(json));
}

void json_key_str(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_str(w, s);
}

void json_key_u64(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_u64(w, v);
}

void json_key_i64(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_i64(w, v);
}

void json_key_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}

void json_key_hex(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_hex(w, v);
}

int json_finish(struct json_writer *w)
{
	if (w->misuse || w->depth || !w->done)
		return -EINVAL;
	if (w->sb->oom)
		return -ENOMEM;
	flush(w);
	if (w->stream && fflush(w->stream))
		w->io_error = true;
	return w->io_error ? -EIO : 0;
}
