/*
 * The "#!" line of a script, parsed exactly as fs/binfmt_script.c
 * load_script() does (Linux 6.12, unchanged to 6.18) on the first
 * BINPRM_BUF_SIZE bytes of the file, NUL-padded:
 *
 *   - the line ends at the first newline in those bytes; without one, the
 *     interpreter path must still end (a blank or a NUL) before the last
 *     byte, otherwise it might be truncated: -ENOEXEC; the line then runs
 *     to the last byte, which is dropped (an argument may be truncated);
 *   - blanks (space, tab) after "#!" and at the end of the line are
 *     skipped; the interpreter is the first word; the argument, if any, is
 *     the rest of the line from the next non-blank: ONE string, inner
 *     blanks included, cut at a NUL;
 *   - no interpreter at all is -ENOEXEC.
 *
 * Invariant: only the bytes given are read; the results are NUL-terminated.
 * The argv rewriting and the nesting limit are exec's (kern/exec.c).
 */
#include "kern/binfmt_script.h"

#include <errno.h>
#include <string.h>

static inline bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

/* The first non-blank in [first, last], or NULL. */
static const char *next_non_spacetab(const char *first, const char *last)
{
	for (; first <= last; first++)
		if (!spacetab(*first))
			return first;
	return NULL;
}

/* The first blank or NUL in [first, last], or NULL. */
static const char *next_terminator(const char *first, const char *last)
{
	for (; first <= last; first++)
		if (spacetab(*first) || !*first)
			return first;
	return NULL;
}

int load_script(const uint8_t *data, size_t len, struct script_line *out)
{
	char buf[BINPRM_BUF_SIZE];
	const char *buf_end = buf + sizeof(buf) - 1;
	const char *i_name, *i_sep, *i_arg, *i_end;

	memset(buf, 0, sizeof(buf));
	if (len)
		memcpy(buf, data, len < sizeof(buf) ? len : sizeof(buf));
	memset(out, 0, sizeof(*out));

	/* Not ours to exec if we don't start with "#!". */
	if (buf[0] != '#' || buf[1] != '!')
		return 1;
	/* Either a newline (nothing is truncated) or a blank/NUL after the
	 * interpreter path within the buffer. */
	i_end = memchr(buf, '\n', sizeof(buf));
	if (!i_end) {
		i_end = next_non_spacetab(buf + 2, buf_end);
		if (!i_end)
			return -ENOEXEC;	/* Entire buf is spaces/tabs */
		/* no later space/tab/NUL: the path may be truncated */
		if (!next_terminator(i_end, buf_end))
			return -ENOEXEC;
		i_end = buf_end;
	}
	/* Trim any trailing spaces/tabs from i_end */
	while (spacetab(i_end[-1]))
		i_end--;
	/* Skip over leading spaces/tabs */
	i_name = next_non_spacetab(buf + 2, i_end);
	if (!i_name || i_name == i_end)
		return -ENOEXEC;	/* No interpreter name found */
	/* Is there an optional argument? */
	i_arg = NULL;
	i_sep = next_terminator(i_name, i_end);
	if (i_sep && *i_sep != '\0')
		i_arg = next_non_spacetab(i_sep, i_end);

	/* the kernel writes NULs at i_end and i_sep; so do we, in the copy */
	buf[i_end - buf] = '\0';
	if (i_arg) {
		buf[i_sep - buf] = '\0';
		strcpy(out->i_arg, i_arg);
		out->has_arg = true;
	}
	strcpy(out->i_name, i_name);
	return 0;
}
