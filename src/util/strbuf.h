/*
 * A growable text buffer for views and reports.  Out of host memory sets
 * sb->oom and further appends do nothing, so a caller checks once at the end.
 */
#ifndef VMSIM_UTIL_STRBUF_H
#define VMSIM_UTIL_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;		/* NUL-terminated when len > 0 */
	size_t len, cap;
	bool oom;
};

#define STRBUF_INIT { NULL, 0, 0, false }

void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
/* Append the @n bytes at @s (which need not be NUL-terminated). */
void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_reset(struct strbuf *sb);	/* empty it, keep the memory */
void sb_free(struct strbuf *sb);
static inline const char *sb_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

#endif
