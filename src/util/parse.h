/*
 * Scalar parsing shared by configs, scenarios and the CLI: numbers (decimal
 * or 0x hex, optional '_' separators), sizes with KiB/MiB/GiB/TiB suffixes,
 * booleans.  Each returns 0 or -EINVAL / -ERANGE and never reads past the
 * string; callers attach the file and line.
 */
#ifndef VMSIM_UTIL_PARSE_H
#define VMSIM_UTIL_PARSE_H

#include <stdbool.h>
#include <stdint.h>

int parse_u64(const char *s, uint64_t *out);
/* "4GiB", "64KiB", "4096", "0x1000"; also "1.5GiB" is refused (not exact). */
int parse_size(const char *s, uint64_t *out);
int parse_bool(const char *s, bool *out);
/* Format @v as the largest exact binary unit: "4GiB", "96KiB", "4097". */
const char *fmt_size(uint64_t v, char buf[32]);

#endif
