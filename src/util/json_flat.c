/*
 * The flat JSON reader (json_flat.h): a recursive-descent parser whose
 * depth is bounded by JSON_MAX_DEPTH, over a text it never writes.
 *
 * Invariant: p <= end at every step; the path buffer holds the dotted
 * path of the value being parsed, and is cut back to its parent's length
 * when the value ends.
 */
#include "util/json_flat.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "util/error.h"
#include "util/json.h"
#include "util/strbuf.h"

struct jp {
	const char *name, *start, *p, *end;
	struct strbuf path, val;
	json_flat_fn fn;
	void *ctx;
	struct vmsim_error *err;
};

static int bad(struct jp *j, const char *what)
{
	int line = 1, col = 1;

	for (const char *q = j->start; q < j->p; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	return verr_at(j->err, -EINVAL, j->name, line, col, "%s", what);
}

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool lit(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return false;
	j->p += n;
	return true;
}

static int hex4(struct jp *j, unsigned *out)
{
	unsigned v = 0;

	if (j->end - j->p < 4)
		return bad(j, "short \\u escape");
	for (int i = 0; i < 4; i++, j->p++) {
		char c = *j->p;
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
			     (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (unsigned)((c | 0x20) - 'a' + 10) : 16;

		if (d == 16)
			return bad(j, "bad \\u escape");
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static void put_utf8(struct strbuf *sb, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sb_add(sb, b, n);
}

/* A string at j->p (the opening quote) decoded into @sb (appended). */
static int string(struct jp *j, struct strbuf *sb)
{
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p;

		if (c < 0x20)
			return bad(j, "control character in a string");
		if (c != '\\') {
			sb_add(sb, j->p++, 1);
			continue;
		}
		if (++j->p == j->end)
			break;
		c = (unsigned char)*j->p++;
		switch (c) {
		case '"': case '\\': case '/': sb_putc(sb, (char)c); break;
		case 'b': sb_putc(sb, '\b'); break;
		case 'f': sb_putc(sb, '\f'); break;
		case 'n': sb_putc(sb, '\n'); break;
		case 'r': sb_putc(sb, '\r'); break;
		case 't': sb_putc(sb, '\t'); break;
		case 'u': {
			unsigned hi, lo;
			uint32_t cp;

			if (hex4(j, &hi))
				return -EINVAL;
			cp = hi;
			if (hi >= 0xd800 && hi < 0xdc00 && lit(j, "\\u")) {
				if (hex4(j, &lo))
					return -EINVAL;
				if (lo < 0xdc00 || lo > 0xdfff)
					return bad(j, "unpaired surrogate");
				cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
			} else if (hi >= 0xd800 && hi < 0xe000) {
				return bad(j, "unpaired surrogate");
			}
			put_utf8(sb, cp);
			break;
		}
		default:
			j->p--;
			return bad(j, "bad escape");
		}
	}
	if (j->p == j->end)
		return bad(j, "unterminated string");
	j->p++;
	return 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number(struct jp *j)
{
	const char *s = j->p;
	size_t digits;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	for (digits = 0; j->p < j->end && *j->p >= '0' && *j->p <= '9'; j->p++)
		digits++;
	if (digits == 0 || (digits > 1 && j->p[-(long)digits] == '0'))
		return bad(j, "bad number");
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		for (digits = 0; j->p < j->end && *j->p >= '0' && *j->p <= '9'; j->p++)
			digits++;
		if (!digits)
			return bad(j, "bad number");
	}
	if (j->p < j->end && (*j->p | 0x20) == 'e') {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		for (digits = 0; j->p < j->end && *j->p >= '0' && *j->p <= '9'; j->p++)
			digits++;
		if (!digits)
			return bad(j, "bad number");
	}
	sb_reset(&j->val);
	sb_add(&j->val, s, (size_t)(j->p - s));
	return 0;
}

static int value(struct jp *j, int depth, bool emit);

static int scalar_out(struct jp *j, bool emit, enum json_kind kind, const char *text)
{
	if (!emit)
		return 0;
	if (j->path.oom || j->val.oom)
		return -ENOMEM;
	return j->fn(j->ctx, sb_str(&j->path), kind, text);
}

/* An object's or array's members; @emit: scalars reach the callback. */
static int container(struct jp *j, int depth, bool emit, bool is_object)
{
	char close = is_object ? '}' : ']';
	size_t base = j->path.len;
	int ret;

	if (depth >= JSON_MAX_DEPTH)
		return bad(j, "nested too deep");
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		ws(j);
		if (is_object) {
			if (j->p == j->end || *j->p != '"')
				return bad(j, "expected a member name");
			if (base)
				sb_putc(&j->path, '.');
			ret = string(j, &j->path);
			if (ret)
				return ret;
			ws(j);
			if (j->p == j->end || *j->p != ':')
				return bad(j, "expected ':'");
			j->p++;
		}
		ret = value(j, depth + 1, emit);
		if (ret)
			return ret;
		j->path.len = base;	/* back to the parent's path */
		if (j->path.buf)
			j->path.buf[base] = '\0';
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		return bad(j, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int value(struct jp *j, int depth, bool emit)
{
	ws(j);
	if (j->p == j->end)
		return bad(j, "expected a value");
	switch (*j->p) {
	case '{':
		return container(j, depth, emit, true);
	case '[':
		return container(j, depth, false, false);
	case '"': {
		int ret;

		sb_reset(&j->val);
		ret = string(j, &j->val);
		return ret ? ret : scalar_out(j, emit, JSON_STRING, sb_str(&j->val));
	}
	case 't':
		if (lit(j, "true"))
			return scalar_out(j, emit, JSON_TRUE, "true");
		break;
	case 'f':
		if (lit(j, "false"))
			return scalar_out(j, emit, JSON_FALSE, "false");
		break;
	case 'n':
		if (lit(j, "null"))
			return scalar_out(j, emit, JSON_NULL, "null");
		break;
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
			int ret = number(j);

			return ret ? ret : scalar_out(j, emit, JSON_NUMBER, sb_str(&j->val));
		}
	}
	return bad(j, "expected a value");
}

int json_flatten(const char *name, const char *text, size_t len, json_flat_fn fn, void *ctx,
		 struct vmsim_error *err)
{
	struct jp j = { .name = name, .start = text, .p = text, .end = text + len, .fn = fn,
			.ctx = ctx, .err = err, .path = STRBUF_INIT, .val = STRBUF_INIT };
	int ret = value(&j, 0, true);

	if (!ret) {
		ws(&j);
		if (j.p != j.end)
			ret = bad(&j, "text after the document");
	}
	if (!ret && (j.path.oom || j.val.oom))
		ret = -ENOMEM;
	sb_free(&j.path);
	sb_free(&j.val);
	return ret;
}
