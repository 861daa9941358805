/*
 * The flat JSON reader: what the writer writes reads back under its dotted
 * paths with its kinds (strings decoded, numbers as written), arrays are
 * skipped, and every malformed document is refused with its line and
 * column, nesting past the limit included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/json.h"
#include "util/json_flat.h"
#include "util/strbuf.h"

/* What the callback saw: "path=kind:text;" per scalar. */
static int collect(void *ctx, const char *path, enum json_kind kind, const char *text)
{
	static const char kinds[] = "SNTFZ";

	sb_printf(ctx, "%s=%c:%s;", path, kinds[kind], text);
	return 0;
}

static void test_json_flat_reads_back_the_writer(void **state)
{
	struct strbuf doc = STRBUF_INIT, got = STRBUF_INIT;
	struct vmsim_error err = { 0 };
	struct json_writer jw;

	json_init(&jw, &doc);
	json_object_begin(&jw);
	json_key_str(&jw, "trace", "a \"quoted\"\tname\xc3\xa9");
	json_key(&jw, "tlb");
	json_object_begin(&jw);
	json_key(&jw, "l1d");
	json_object_begin(&jw);
	json_key_u64(&jw, "misses", 18446744073709551615ULL);
	json_object_end(&jw);
	json_object_end(&jw);
	json_key(&jw, "rows");
	json_array_begin(&jw);
	json_u64(&jw, 1);
	json_object_begin(&jw);
	json_key_u64(&jw, "hidden", 2);
	json_object_end(&jw);
	json_array_end(&jw);
	json_key(&jw, "seconds");
	json_double(&jw, 0.000553, 6);
	json_key_i64(&jw, "delta", -5);
	json_key_bool(&jw, "oom", false);
	json_key_str(&jw, "none", NULL);
	json_object_end(&jw);
	assert_int_equal(json_finish(&jw), 0);

	assert_int_equal(json_flatten("doc", doc.buf, doc.len, collect, &got, &err), 0);
	assert_string_equal(sb_str(&got),
			    "trace=S:a \"quoted\"\tname\xc3\xa9;tlb.l1d.misses=N:18446744073709551615;"
			    "seconds=N:0.000553;delta=N:-5;oom=F:false;none=Z:null;");
	sb_free(&doc);
	sb_free(&got);
}

static void test_json_flat_decodes_escapes(void **state)
{
	static const char doc[] = " { \"k\\u00e9y\" : \"\\ud83d\\ude00\\/\\n\\u0041\", "
				  "\"t\": true, \"e\": 1.5e-3, \"z\": \"\" }\n";
	struct strbuf got = STRBUF_INIT;
	struct vmsim_error err = { 0 };

	assert_int_equal(json_flatten("doc", doc, sizeof(doc) - 1, collect, &got, &err), 0);
	assert_string_equal(sb_str(&got), "k\xc3\xa9y=S:\xf0\x9f\x98\x80/\nA;t=T:true;e=N:1.5e-3;z=S:;");
	sb_free(&got);
}

static void test_json_flat_refuses_bad_documents(void **state)
{
	static const struct { const char *doc, *msg; } cases[] = {
		{ "", "d:1:1: expected a value" },
		{ "{\"a\": 1,}", "d:1:9: expected a member name" },
		{ "{\"a\" 1}", "d:1:6: expected ':'" },
		{ "{\"a\": 1 \"b\": 2}", "d:1:9: expected ',' or '}'" },
		{ "[1, 2", "d:1:6: expected ',' or ']'" },
		{ "{\"a\": 01}", "d:1:9: bad number" },
		{ "{\"a\": 1.}", "d:1:9: bad number" },
		{ "{\"a\": -}", "d:1:8: bad number" },
		{ "{\"a\": tru}", "d:1:7: expected a value" },
		{ "{\"a\": \"x\ty\"}", "d:1:9: control character in a string" },
		{ "{\"a\": \"\\q\"}", "d:1:9: bad escape" },
		{ "{\"a\": \"\\ud800x\"}", "d:1:14: unpaired surrogate" },
		{ "{\"a\": \"\\u12g4\"}", "d:1:12: bad \\u escape" },
		{ "{\"a\": \"abc", "d:1:11: unterminated string" },
		{ "{}\n{}", "d:2:1: text after the document" },
		{ "{\n  \"a\":\n  [1,,2]}", "d:3:6: expected a value" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf got = STRBUF_INIT;
		struct vmsim_error err = { 0 };
		int ret = json_flatten("d", cases[i].doc, strlen(cases[i].doc), collect, &got, &err);

		if (ret != -EINVAL || strcmp(err.msg, cases[i].msg) != 0)
			fail_msg("case %zu: %d \"%s\", want \"%s\"", i, ret, err.msg, cases[i].msg);
		sb_free(&got);
	}
}

/* Nesting is bounded: a document deeper than JSON_MAX_DEPTH is an error,
 * never a deep recursion; one just within it reads. */
static void test_json_flat_nesting_is_bounded(void **state)
{
	char doc[8 * JSON_MAX_DEPTH + 16];
	struct strbuf got = STRBUF_INIT;
	struct vmsim_error err = { 0 };
	size_t n = 0;

	for (int d = 0; d < JSON_MAX_DEPTH; d++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "{\"a\":");
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "1");
	for (int d = 0; d < JSON_MAX_DEPTH; d++)
		doc[n++] = '}';
	assert_int_equal(json_flatten("d", doc, n, collect, &got, &err), 0);
	sb_free(&got);

	n = 0;
	for (int d = 0; d <= JSON_MAX_DEPTH; d++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "[");
	assert_int_equal(json_flatten("d", doc, n, collect, &got, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "nested too deep"));
	sb_free(&got);
}

/* The callback's error ends the walk and is returned. */
static int stop_at_b(void *ctx, const char *path, enum json_kind kind, const char *text)
{
	(*(int *)ctx)++;
	return strcmp(path, "b") == 0 ? -ERANGE : 0;
}

static void test_json_flat_callback_stops_the_walk(void **state)
{
	static const char doc[] = "{\"a\": 1, \"b\": 2, \"c\": 3}";
	struct vmsim_error err = { 0 };
	int calls = 0;

	assert_int_equal(json_flatten("d", doc, sizeof(doc) - 1, stop_at_b, &calls, &err), -ERANGE);
	assert_int_equal(calls, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_flat_reads_back_the_writer),
		cmocka_unit_test(test_json_flat_decodes_escapes),
		cmocka_unit_test(test_json_flat_refuses_bad_documents),
		cmocka_unit_test(test_json_flat_nesting_is_bounded),
		cmocka_unit_test(test_json_flat_callback_stops_the_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
