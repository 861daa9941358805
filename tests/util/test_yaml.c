/*
 * Tests of the YAML tree loader (util/yaml.c): node types, positions and
 * quoting, the refusals (duplicate keys, anchors/aliases, several
 * documents, NUL bytes, deep nesting, non-scalar keys), syntax errors with
 * their position, files (and the paths refused before reading: FIFOs,
 * devices, files over the size cap), duplicate keys in long mappings and
 * a 2 * 10^5-key mapping, and OOM at every host allocation.  Invariant
 * checked: on error the doc is empty and the message is one line
 * "NAME:LINE:COL: ...".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/hostalloc.h"
#include "util/yaml.h"

static int load(struct ydoc *d, const char *text, struct vmsim_error *err)
{
	memset(err, 0, sizeof(*err));
	return ydoc_load_string(d, "t.yaml", text, strlen(text), err);
}

static void load_bad(const char *text, const char *msg)
{
	struct ydoc d;
	struct vmsim_error err;
	int ret = load(&d, text, &err);

	if (ret != -EINVAL)
		fail_msg("'%s': ret %d (%s)", text, ret, err.msg);
	assert_null(d.root);
	assert_null(d.file);
	assert_null(strchr(err.msg, '\n'));
	if (strcmp(err.msg, msg) != 0)
		fail_msg("'%s':\n  expected: %s\n  got:      %s", text, msg, err.msg);
}

static void test_yaml_tree_types_and_positions(void **state)
{
	const char *text = "a: 1\nb:\n  c: \"x y\"\n  d: [1, 2, {e: f}]\n'g': ~\n";
	struct ydoc d;
	struct vmsim_error err;
	struct ynode *b, *dn, *e;

	assert_int_equal(load(&d, text, &err), 0);
	assert_string_equal(d.file, "t.yaml");
	assert_int_equal(d.root->type, YNODE_MAP);
	assert_int_equal(d.root->n, 3);
	assert_int_equal(ymap_key(d.root, 0)->line, 1);
	assert_int_equal(ymap_key(d.root, 0)->col, 1);
	assert_string_equal(ymap_val(d.root, 0)->scalar, "1");
	assert_int_equal(ymap_val(d.root, 0)->col, 4);
	assert_false(ymap_val(d.root, 0)->quoted);
	b = ymap_get(d.root, "b");
	assert_non_null(b);
	assert_int_equal(b->type, YNODE_MAP);
	assert_int_equal(b->line, 3);
	assert_int_equal(b->col, 3);
	assert_string_equal(ymap_get(b, "c")->scalar, "x y");
	assert_true(ymap_get(b, "c")->quoted);
	dn = ymap_get(b, "d");
	assert_int_equal(dn->type, YNODE_SEQ);
	assert_int_equal(dn->n, 3);
	assert_int_equal(dn->line, 4);
	assert_int_equal(dn->col, 6);
	assert_int_equal(dn->items[1]->col, 10);
	e = dn->items[2];
	assert_int_equal(e->type, YNODE_MAP);
	assert_string_equal(ymap_get(e, "e")->scalar, "f");
	assert_string_equal(ymap_get(d.root, "g")->scalar, "~");
	assert_null(ymap_get(d.root, "zz"));
	assert_null(ymap_get(dn, "e"));		/* not a mapping */
	assert_null(ymap_get(NULL, "e"));
	ydoc_free(&d);
	ydoc_free(&d);				/* idempotent */
	ydoc_free(NULL);
	(void)state;
}

static void test_yaml_empty_documents(void **state)
{
	struct ydoc d;
	struct vmsim_error err;

	assert_int_equal(load(&d, "", &err), 0);
	assert_null(d.root);
	ydoc_free(&d);
	assert_int_equal(load(&d, "# only a comment\n", &err), 0);
	assert_null(d.root);
	ydoc_free(&d);
	/* an explicit empty document holds one empty plain scalar (null) */
	assert_int_equal(load(&d, "---\n...\n", &err), 0);
	assert_int_equal(d.root->type, YNODE_SCALAR);
	assert_string_equal(d.root->scalar, "");
	assert_false(d.root->quoted);
	ydoc_free(&d);
	(void)state;
}

static void test_yaml_refusals(void **state)
{
	load_bad("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a'");
	load_bad("x: { k: 1, k: 2 }\n", "t.yaml:1:12: duplicate key 'k'");
	load_bad("a: &x 1\nb: *x\n", "t.yaml:1:4: YAML anchors are not supported");
	load_bad("a: &x {b: 1}\n", "t.yaml:1:4: YAML anchors are not supported");
	load_bad("a: [1, &y [2]]\n", "t.yaml:1:8: YAML anchors are not supported");
	load_bad("a: *x\n", "t.yaml:1:4: YAML aliases are not supported");
	load_bad("a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document per file");
	/* an empty first document does not let a second one in */
	load_bad("---\n---\nb: 2\n", "t.yaml:2:1: only one YAML document per file");
	load_bad("\"a\\nb\": 1\n\"a\\nb\": 2\n", "t.yaml:2:1: duplicate key 'a b'");
	load_bad("? [a, b]\n: 1\n", "t.yaml:1:3: mapping key must be a scalar, not a sequence");
	load_bad("? {a: 1}\n: 1\n", "t.yaml:1:3: mapping key must be a scalar, not a mapping");
	(void)state;
}

static void test_yaml_syntax_errors_name_the_position(void **state)
{
	load_bad("a: [1, 2\n", "t.yaml:2:1: YAML syntax error: did not find expected ',' or ']' "
		 "while parsing a flow sequence");
	load_bad("a: b: c\n", "t.yaml:1:5: YAML syntax error: mapping values are not allowed in "
		 "this context");
	load_bad("a:\n  b: 1\n c: 2\n", "t.yaml:3:2: YAML syntax error: did not find expected key "
		 "while parsing a block mapping");
	load_bad("a: \"unterminated\n", "t.yaml:2:1: YAML syntax error: found unexpected end of "
		 "stream while scanning a quoted scalar");
	load_bad("\t- a\n", "t.yaml:1:1: YAML syntax error: found character that cannot start any "
		 "token while scanning for the next token");
	(void)state;
}

static void test_yaml_nul_byte_refused(void **state)
{
	static const char text[] = "a: \"x\\0y\"\n";
	struct ydoc d;
	struct vmsim_error err = { 0 };

	assert_int_equal(ydoc_load_string(&d, "t.yaml", text, sizeof(text) - 1, &err), -EINVAL);
	assert_string_equal(err.msg, "t.yaml:1:4: NUL byte in a scalar");
	assert_null(d.root);
	(void)state;
}

static void test_yaml_depth_limit(void **state)
{
	char text[512];
	size_t n = 0;
	struct ydoc d;
	struct vmsim_error err;

	for (int i = 0; i < 65; i++)
		text[n++] = '[';
	for (int i = 0; i < 65; i++)
		text[n++] = ']';
	text[n] = '\0';
	assert_int_equal(load(&d, text, &err), -EINVAL);
	assert_string_equal(err.msg, "t.yaml:1:65: nesting deeper than 64 levels");
	text[64] = text[65] = ' ';	/* 64 levels: fine */
	assert_int_equal(load(&d, text, &err), 0);
	ydoc_free(&d);
	(void)state;
}

static void test_yaml_files(void **state)
{
	struct ydoc d;
	struct vmsim_error err = { 0 };
	char path[] = "/tmp/vmsim-test-yaml-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	assert_int_equal(ydoc_load_file(&d, "tests/util/no-such-file.yaml", &err), -ENOENT);
	assert_string_equal(err.msg, "tests/util/no-such-file.yaml: No such file or directory");
	memset(&err, 0, sizeof(err));
	assert_int_equal(ydoc_load_file(&d, "tests/util", &err), -EINVAL);
	assert_string_equal(err.msg, "tests/util: is a directory; a config or scenario must be a "
			    "regular file");
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	/* bigger than the loader's first 16 KiB buffer */
	for (int i = 0; i < 3000; i++)
		fprintf(f, "key%04d: value%d\n", i, i);
	fclose(f);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ydoc_load_file(&d, path, &err), 0);
	assert_int_equal(d.root->n, 3000);
	assert_string_equal(ymap_get(d.root, "key2999")->scalar, "value2999");
	assert_int_equal(ymap_get(d.root, "key2999")->line, 3000);
	ydoc_free(&d);
	remove(path);
	(void)state;
}

/* Paths that would hang or exhaust the host are refused before reading. */
static void test_yaml_files_bounded(void **state)
{
	char dir[] = "/tmp/vmsim-test-yaml-XXXXXX", fifo[64], big[64];
	struct vmsim_error err = { 0 };
	struct ydoc d;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* a FIFO with no writer: opening it must not wait */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(ydoc_load_file(&d, fifo, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "/fifo: is a FIFO; a config or scenario must be a "
				"regular file"));
	assert_null(d.root);
	verr_clear(&err);
	assert_int_equal(ydoc_load_file(&d, "/dev/zero", &err), -EINVAL);
	assert_string_equal(err.msg, "/dev/zero: is a character device; a config or scenario "
			    "must be a regular file");
	/* one byte over the cap (a sparse file: nothing is written) */
	snprintf(big, sizeof(big), "%s/big.yaml", dir);
	fd = open(big, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)YDOC_MAX_FILE + 1), 0);
	close(fd);
	verr_clear(&err);
	assert_int_equal(ydoc_load_file(&d, big, &err), -EFBIG);
	assert_non_null(strstr(err.msg, "/big.yaml: 67108865 bytes; a config or scenario may "
				"have at most 64 MiB"));
	/* at the cap it is read (all NULs here: a clean syntax error) */
	assert_int_equal(truncate(big, (off_t)YDOC_MAX_FILE), 0);
	verr_clear(&err);
	assert_int_equal(ydoc_load_file(&d, big, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "/big.yaml:1:1: "));
	remove(big);
	remove(fifo);
	rmdir(dir);
}

/* Duplicates past the first keys are found through the mapping's hash set,
 * wherever the first copy is. */
static void test_yaml_duplicate_keys_in_long_mappings(void **state)
{
	char text[4096];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "k%d: %d\n", i, i);
	snprintf(text + n, sizeof(text) - n, "k3: again\n");
	load_bad(text, "t.yaml:21:1: duplicate key 'k3'");
	snprintf(text + n, sizeof(text) - n, "k17: again\n");
	load_bad(text, "t.yaml:21:1: duplicate key 'k17'");
	/* the ninth key, the first one looked up in the set */
	n = 0;
	for (int i = 0; i < 8; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "k%d: %d\n", i, i);
	snprintf(text + n, sizeof(text) - n, "k0: again\n");
	load_bad(text, "t.yaml:9:1: duplicate key 'k0'");
	/* a nested long mapping has its own set */
	load_bad("a: 1\nm: {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, a: 11}\n",
		 "t.yaml:2:66: duplicate key 'a'");
}

/* 2 * 10^5 keys in one mapping.  Comparing each key with all earlier ones
 * took minutes at this size; through the hash set it is a fraction of a
 * second, far inside the test's timeout. */
static void test_yaml_many_keys_load_in_linear_time(void **state)
{
	enum { N = 200000 };
	char *text = malloc((size_t)N * 24);
	struct vmsim_error err = { 0 };
	size_t n = 0;
	struct ydoc d;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < N; i++)
		n += (size_t)sprintf(text + n, "key%d: %d\n", i, i);
	assert_int_equal(ydoc_load_string(&d, "big.yaml", text, n, &err), 0);
	assert_int_equal(d.root->n, N);
	assert_string_equal(ymap_val(d.root, N - 1)->scalar, "199999");
	ydoc_free(&d);
	n += (size_t)sprintf(text + n, "key123456: dup\n");
	assert_int_equal(ydoc_load_string(&d, "big.yaml", text, n, &err), -EINVAL);
	assert_string_equal(err.msg, "big.yaml:200001:1: duplicate key 'key123456'");
	free(text);
}

static void test_yaml_survives_every_oom(void **state)
{
	/* b's mapping is long enough to use a hash set of its keys */
	const char *text = "a: 1\nb: { c: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], d: x, d1: 1, d2: 2,"
			   " d3: 3, d4: 4, d5: 5, d6: 6, d7: 7, d8: 8, d9: 9 }\n"
			   "e: [ {f: 1}, {g: 2} ]\nh: 'quoted'\n";
	long n;

	for (n = 1; n <= 10000; n++) {
		struct ydoc d;
		struct vmsim_error err;
		int ret;

		host_fail_at((unsigned long)n, HOST_FAIL_PERSISTENT);
		ret = load(&d, text, &err);
		host_fail_at(0, HOST_FAIL_ONCE);
		if (!ret) {
			assert_int_equal(d.root->n, 4);
			ydoc_free(&d);
			break;
		}
		if (ret != -ENOMEM)
			fail_msg("n=%ld: %d %s", n, ret, err.msg);
		assert_null(d.root);
		assert_string_equal(err.msg, "t.yaml: out of host memory");
	}
	assert_true(n > 20);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_tree_types_and_positions),
		cmocka_unit_test(test_yaml_empty_documents),
		cmocka_unit_test(test_yaml_refusals),
		cmocka_unit_test(test_yaml_syntax_errors_name_the_position),
		cmocka_unit_test(test_yaml_nul_byte_refused),
		cmocka_unit_test(test_yaml_depth_limit),
		cmocka_unit_test(test_yaml_files),
		cmocka_unit_test(test_yaml_files_bounded),
		cmocka_unit_test(test_yaml_duplicate_keys_in_long_mappings),
		cmocka_unit_test(test_yaml_many_keys_load_in_linear_time),
		cmocka_unit_test(test_yaml_survives_every_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
