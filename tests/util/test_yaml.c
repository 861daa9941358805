/*
 * Tests of the YAML tree loader (util/yaml.c): node types, positions and
 * quoting, the refusals (duplicate keys, anchors/aliases, several
 * documents, NUL bytes, deep nesting, non-scalar keys), syntax errors with
 * their position, files, and OOM at every host allocation.  Invariant
 * checked: on error the doc is empty and the message is one line
 * "NAME:LINE:COL: ...".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	assert_int_equal(ydoc_load_file(&d, "tests/util", &err), -EIO);
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

static void test_yaml_survives_every_oom(void **state)
{
	const char *text = "a: 1\nb: { c: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], d: x }\n"
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
		cmocka_unit_test(test_yaml_survives_every_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
