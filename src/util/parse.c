/*
 * Scalar parsing (see parse.h).  Invariant: a function either stores a value
 * that the whole string spelled exactly, or returns an error and leaves *out
 * untouched; nothing is rounded, truncated or read past the NUL.
 */
#include "util/parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;
	bool any = false;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++) {
		unsigned d;

		if (*s == '_' && any)
			continue;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*out = v;
	return 0;
}

static const struct { const char *sfx; unsigned shift; } units[] = {
	{ "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 },
	{ "K", 10 }, { "M", 20 }, { "G", 30 }, { "T", 40 },
	{ "B", 0 },
};

int parse_size(const char *s, uint64_t *out)
{
	char num[64];
	size_t len;
	unsigned shift = 0;
	uint64_t v;
	int ret;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	/* hex numbers end in digits a-f, never in a unit; only strip a unit
	 * from a decimal number */
	if (!(num[0] == '0' && (num[1] == 'x' || num[1] == 'X'))) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t sl = strlen(units[i].sfx);
			if (len > sl && strcmp(num + len - sl, units[i].sfx) == 0) {
				shift = units[i].shift;
				num[len - sl] = '\0';
				/* allow "4 GiB" */
				while (len - sl > 0 && num[len - sl - 1] == ' ')
					num[--len - sl] = '\0';
				break;
			}
		}
	}
	ret = parse_u64(num, &v);
	if (ret)
		return ret;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *t[] = { "true", "yes", "on", "1" };
	static const char *f[] = { "false", "no", "off", "0" };

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, t[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, f[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

bool has_control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

char *escape_bytes(const char *p, size_t n, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!cap)
		return out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		size_t need = c == '\\' ? 2 : (c < 0x20 || c >= 0x7f) ? 4 : 1;

		if (o + need >= cap)
			break;
		if (need == 4) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			if (need == 2)
				out[o++] = '\\';
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

const char *fmt_size(uint64_t v, char buf[32])
{
	static const char *names[] = { "TiB", "GiB", "MiB", "KiB" };
	static const unsigned shifts[] = { 40, 30, 20, 10 };

	for (size_t i = 0; i < 4; i++) {
		if (v && (v & ((1ULL << shifts[i]) - 1)) == 0) {
			snprintf(buf, 32, "%llu%s", (unsigned long long)(v >> shifts[i]),
				 names[i]);
			return buf;
		}
	}
	snprintf(buf, 32, "%llu", (unsigned long long)v);
	return buf;
}
