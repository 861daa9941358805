/*
 * Scalar parsing shared by configs, scenarios and the CLI: numbers (decimal
 * or 0x hex, optional '_' separators), sizes with KiB/MiB/GiB/TiB suffixes,
 * booleans.  Each returns 0 or -EINVAL / -ERANGE and never reads past the
 * string; callers attach the file and line.  Also the two rules every
 * echoed name and quoted input follow, so that a message stays one line:
 * names with control characters are refused, and quoted bytes are escaped.
 */
#ifndef VMSIM_UTIL_PARSE_H
#define VMSIM_UTIL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int parse_u64(const char *s, uint64_t *out);
/* "4GiB", "64KiB", "4096", "0x1000"; also "1.5GiB" is refused (not exact). */
int parse_size(const char *s, uint64_t *out);
int parse_bool(const char *s, bool *out);
/* Does @s hold a control character (0x00-0x1f or 0x7f)?  A name that does
 * (a task, an `as:` name, a file, a config name) is refused where it is
 * given: views and messages print names verbatim, one per line. */
bool has_control_char(const char *s);

/*
 * @n bytes at @p as printable text in @out (always NUL-terminated, at most
 * @cap bytes including the NUL): bytes below 0x20, 0x7f and above are
 * written \xNN, a backslash \\; whatever does not fit is cut at a whole
 * escape.  Returns @out.  For quoting input that may not be text.
 */
char *escape_bytes(const char *p, size_t n, char *out, size_t cap);

/* Format @v as the largest exact binary unit: "4GiB", "96KiB", "4097". */
const char *fmt_size(uint64_t v, char buf[32]);

#endif
