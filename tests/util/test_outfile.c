/*
 * Output files through a temporary and rename: the target keeps its old
 * contents until the commit and after any failure, no temporary survives
 * a commit, an abort or outfile_unlink_temps(), an input is never
 * replaced (by name, hard link or symbolic link), a device (/dev/full) is
 * written in place, and every failure is one "PATH: strerror" message.
 * Every file but /dev/full is in a scratch folder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/outfile.h"

static char tmpdir[] = "/tmp/vmsim-outfile-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char bufs[4][256];
	static int i;
	char *p = bufs[i++ % 4];

	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static const char *get(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Files in tmpdir whose names start with '.': temporaries. */
static int temporaries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_outfile_replaces_only_at_commit(void **state)
{
	struct vmsim_error err = { 0 };
	const char *p = path_of("a.txt");
	struct outfile o;

	put(p, "old\n");
	assert_int_equal(outfile_open(&o, p, NULL, &err), 0);
	fputs("new\n", o.f);
	fflush(o.f);
	assert_string_equal(get(p), "old\n");	/* a reader still sees the old file */
	assert_int_equal(temporaries(), 1);
	assert_int_equal(outfile_commit(&o, &err), 0);
	assert_string_equal(get(p), "new\n");
	assert_int_equal(temporaries(), 0);
	assert_null(o.f);
}

static void test_outfile_abort_keeps_the_old_file(void **state)
{
	struct vmsim_error err = { 0 };
	const char *p = path_of("b.txt"), *q = path_of("fresh.txt");
	struct outfile o;

	put(p, "old\n");
	assert_int_equal(outfile_open(&o, p, NULL, &err), 0);
	fputs("half", o.f);
	outfile_abort(&o);
	assert_string_equal(get(p), "old\n");
	assert_int_equal(temporaries(), 0);
	outfile_abort(&o);	/* twice is harmless */
	/* a file that did not exist is not created by an aborted write */
	assert_int_equal(outfile_open(&o, q, NULL, &err), 0);
	outfile_abort(&o);
	assert_null(get(q));
}

static void test_outfile_refuses_an_input(void **state)
{
	struct vmsim_error err = { 0 };
	const char *in = path_of("in.txt"), *hard = path_of("hard.txt"), *soft = path_of("soft.txt");
	const char *inputs[] = { path_of("other"), in, NULL };
	struct outfile o;

	put(in, "input\n");
	assert_int_equal(link(in, hard), 0);
	assert_int_equal(symlink(in, soft), 0);
	assert_int_equal(outfile_open(&o, in, inputs, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is the input file"));
	assert_non_null(strstr(err.msg, in));
	memset(&err, 0, sizeof(err));
	assert_int_equal(outfile_open(&o, hard, inputs, &err), -EINVAL);
	memset(&err, 0, sizeof(err));
	assert_int_equal(outfile_open(&o, soft, inputs, &err), -EINVAL);
	assert_string_equal(get(in), "input\n");
	assert_int_equal(temporaries(), 0);
	unlink(hard);
	unlink(soft);
}

static void test_outfile_open_errors_name_the_path(void **state)
{
	struct vmsim_error err = { 0 };
	const char *missing = path_of("no/such/dir/x");
	char want[300];
	struct outfile o;

	assert_int_equal(outfile_open(&o, missing, NULL, &err), -ENOENT);
	snprintf(want, sizeof(want), "%s: %s", missing, strerror(ENOENT));
	assert_string_equal(err.msg, want);
	memset(&err, 0, sizeof(err));
	assert_int_equal(outfile_open(&o, tmpdir, NULL, &err), -EISDIR);
	memset(&err, 0, sizeof(err));
	assert_int_equal(outfile_open(&o, "", NULL, &err), -ENOENT);
}

/* /dev/full is written in place (never replaced) and its ENOSPC, met by a
 * write long before the commit, is the commit's message. */
static void test_outfile_write_error_is_reported(void **state)
{
	struct vmsim_error err = { 0 };
	struct outfile o;
	struct stat st;
	char big[3 * BUFSIZ];

	if (access("/dev/full", W_OK) != 0) {
		fprintf(stderr, "SKIP: no writable /dev/full\n");
		skip();
	}
	assert_int_equal(outfile_open(&o, "/dev/full", NULL, &err), 0);
	assert_string_equal(o.tmp, "");
	memset(big, 'x', sizeof(big));
	fwrite(big, 1, sizeof(big), o.f);	/* fails inside stdio */
	assert_int_equal(outfile_commit(&o, &err), -ENOSPC);
	assert_string_equal(err.msg, "/dev/full: No space left on device");
	/* small: the failure comes at the flush */
	memset(&err, 0, sizeof(err));
	assert_int_equal(outfile_open(&o, "/dev/full", NULL, &err), 0);
	fputs("x", o.f);
	assert_int_equal(outfile_commit(&o, &err), -ENOSPC);
	assert_int_equal(stat("/dev/full", &st), 0);
	assert_true(S_ISCHR(st.st_mode));	/* written in place, never replaced */
}

static void test_outfile_keeps_modes_and_links(void **state)
{
	struct vmsim_error err = { 0 };
	const char *p = path_of("mode.txt"), *l = path_of("link.txt"), *n = path_of("new.txt");
	struct outfile o;
	struct stat st;
	mode_t um = umask(022);

	put(p, "old\n");
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(symlink("mode.txt", l), 0);
	/* through the link: the file it names is replaced, the link stays */
	assert_int_equal(outfile_open(&o, l, NULL, &err), 0);
	fputs("new\n", o.f);
	assert_int_equal(outfile_commit(&o, &err), 0);
	assert_int_equal(lstat(l, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_string_equal(get(p), "new\n");
	/* a new file: 0666 less the umask, as fopen() would make it */
	assert_int_equal(outfile_open(&o, n, NULL, &err), 0);
	assert_int_equal(outfile_commit(&o, &err), 0);
	assert_int_equal(stat(n, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	umask(um);
	unlink(l);
}

/* What a fatal-signal handler does: every live temporary goes, the
 * targets stay as they were. */
static void test_outfile_unlink_temps(void **state)
{
	struct vmsim_error err = { 0 };
	const char *p = path_of("s1.txt"), *q = path_of("s2.txt");
	struct outfile a, b;

	put(p, "old\n");
	assert_int_equal(outfile_open(&a, p, NULL, &err), 0);
	assert_int_equal(outfile_open(&b, q, NULL, &err), 0);
	assert_int_equal(temporaries(), 2);
	outfile_unlink_temps();
	assert_int_equal(temporaries(), 0);
	assert_string_equal(get(p), "old\n");
	outfile_abort(&a);
	outfile_abort(&b);
	assert_null(get(q));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outfile_replaces_only_at_commit),
		cmocka_unit_test(test_outfile_abort_keeps_the_old_file),
		cmocka_unit_test(test_outfile_refuses_an_input),
		cmocka_unit_test(test_outfile_open_errors_name_the_path),
		cmocka_unit_test(test_outfile_write_error_is_reported),
		cmocka_unit_test(test_outfile_keeps_modes_and_links),
		cmocka_unit_test(test_outfile_unlink_temps),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
