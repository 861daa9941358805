/*
 * "#!" scripts (fs/binfmt_script.c): the interpreter line of a file that
 * exec runs.  The line is read from the first BINPRM_BUF_SIZE bytes of the
 * file (the rest of a shorter file reads as NUL), as prepare_binprm()
 * reads them; the interpreter path is never taken truncated, its one
 * optional argument may be.
 */
#ifndef VMSIM_KERN_BINFMT_SCRIPT_H
#define VMSIM_KERN_BINFMT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BINPRM_BUF_SIZE 256	/* include/linux/binfmts.h */

struct script_line {
	char i_name[BINPRM_BUF_SIZE];	/* the interpreter, as the line names it */
	char i_arg[BINPRM_BUF_SIZE];	/* its optional argument (may hold blanks) */
	bool has_arg;
};

/*
 * load_script()'s parse of the @len bytes of a file at @data: 1 when they
 * do not start with "#!" (not a script: another binary format's turn),
 * 0 with the interpreter in @out, or -ENOEXEC for a "#!" line that names
 * no interpreter or whose interpreter path does not end within the first
 * BINPRM_BUF_SIZE bytes.  Pure: reads only the bytes given.
 */
int load_script(const uint8_t *data, size_t len, struct script_line *out);

#endif
