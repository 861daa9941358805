/*
 * The "#!" line parse of fs/binfmt_script.c (kern/binfmt_script.c), with
 * the answers a 6.18 host gave for each line (the argv its interpreter
 * received, or execve's errno): blanks around the interpreter and at the
 * end of the line, one argument with its inner blanks, a NUL ending the
 * line early, a line without a newline, and the 256-byte buffer: a path
 * that does not end within it is refused, an argument is cut at byte 254.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "kern/binfmt_script.h"

#define PA "/tmp/pl/pa"

static void parse(const char *text, size_t len, int want, const char *name, const char *arg)
{
	struct script_line l;
	int ret = load_script((const uint8_t *)text, len, &l);

	if (ret != want)
		fail_msg("'%.40s': load_script %d, want %d", text, ret, want);
	if (ret)
		return;
	assert_string_equal(l.i_name, name);
	if (arg) {
		assert_true(l.has_arg);
		assert_string_equal(l.i_arg, arg);
	} else {
		assert_false(l.has_arg);
	}
}

#define P(s, want, name, arg) parse(s, sizeof(s) - 1, want, name, arg)

static void test_script_line_words(void **state)
{
	(void)state;
	/* one argument: the rest of the line, inner blanks kept, trailing
	 * blanks dropped */
	P("#!" PA "  -a  b \t \nrest\n", 0, PA, "-a  b");
	P("#!  " PA "\n", 0, PA, NULL);
	P("#!" PA, 0, PA, NULL);			/* no newline, file shorter than 256 */
	P("#!" PA "   \n", 0, PA, NULL);
	P("#!\t" PA "\t-x\n", 0, PA, "-x");
	/* a NUL ends the line: nothing after it, or an argument cut there */
	P("#!" PA "\0 x\n", 0, PA, NULL);
	P("#!" PA " x\0y z\n", 0, PA, "x");
	/* no interpreter */
	P("#!\n", -ENOEXEC, NULL, NULL);
	P("#!   \t\n", -ENOEXEC, NULL, NULL);
	/* not a script at all: another format's turn */
	P("hello\n", 1, NULL, NULL);
	P("#", 1, NULL, NULL);
	P("", 1, NULL, NULL);
	{
		/* an empty file has no bytes at all */
		struct script_line l;

		assert_int_equal(load_script(NULL, 0, &l), 1);
	}
	P("\x7f" "ELF", 1, NULL, NULL);
}

static void test_script_line_buffer_limits(void **state)
{
	char buf[400];

	(void)state;
	/* an argument longer than the buffer is cut: 13 + 242 bytes */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "#!" PA " ");
	memset(buf + strlen(buf), 'x', 300);
	buf[strlen(buf)] = '\n';
	{
		char want[300];

		memset(want, 0, sizeof(want));
		memset(want, 'x', 255 - 13);
		parse(buf, strlen(buf), 0, PA, want);
	}
	/* a path that runs past byte 255: refused, never truncated */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "#!" PA);
	memset(buf + strlen(buf), '/', 300);
	buf[strlen(buf)] = '\n';
	parse(buf, strlen(buf), -ENOEXEC, NULL, NULL);
	/* blanks filling the buffer: no interpreter */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "#!");
	memset(buf + 2, ' ', 300);
	strcpy(buf + 302, PA "\n");
	parse(buf, strlen(buf), -ENOEXEC, NULL, NULL);
	/* the newline as the 256th byte: the whole argument */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "#!" PA);
	memset(buf + 12, ' ', 241);
	strcpy(buf + 253, "ab\n");
	parse(buf, strlen(buf), 0, PA, "ab");
	/* one byte further: no newline in the buffer, the last byte goes */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "#!" PA);
	memset(buf + 12, ' ', 242);
	strcpy(buf + 254, "abc\n");
	parse(buf, strlen(buf), 0, PA, "a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script_line_words),
		cmocka_unit_test(test_script_line_buffer_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
