/*
 * Tests of the JSON writer (util/json.c): commas and nesting decided by
 * the writer, string escaping (control characters, quotes, ill-formed
 * UTF-8 replaced per maximal subpart as Unicode's best practice says),
 * numbers at their limits, addresses as "0x" strings, misuse detected,
 * and a streaming writer whose buffer stays bounded however long the
 * document grows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

/* The JSON text of one string value @s. */
static void quoted(const char *s, struct strbuf *sb)
{
	struct json_writer w;

	sb_reset(sb);
	json_init(&w, sb);
	json_str(&w, s);
	assert_int_equal(json_finish(&w), 0);
}

static void expect_quoted(const char *s, const char *want)
{
	struct strbuf sb = STRBUF_INIT;

	quoted(s, &sb);
	if (strcmp(sb_str(&sb), want) != 0)
		fail_msg("json_str(%s): got %s, want %s", s, sb_str(&sb), want);
	sb_free(&sb);
}

static void test_json_nesting_and_commas(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;

	(void)state;
	json_init(&w, &sb);
	json_object_begin(&w);
	json_key_str(&w, "name", "x86_64");
	json_key(&w, "zones");
	json_array_begin(&w);
	for (int i = 0; i < 3; i++) {
		json_object_begin(&w);
		json_key_u64(&w, "node", (uint64_t)i);
		json_key(&w, "empty");
		json_array_begin(&w);
		json_array_end(&w);
		json_key(&w, "o");
		json_object_begin(&w);
		json_object_end(&w);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_key_bool(&w, "t", true);
	json_key(&w, "n");
	json_null(&w);
	json_key(&w, "flags");
	json_words(&w, " P  RW A ");
	json_object_end(&w);
	assert_int_equal(json_finish(&w), 0);
	assert_string_equal(sb_str(&sb),
			    "{\"name\":\"x86_64\",\"zones\":[{\"node\":0,\"empty\":[],\"o\":{}},"
			    "{\"node\":1,\"empty\":[],\"o\":{}},{\"node\":2,\"empty\":[],\"o\":{}}],"
			    "\"t\":true,\"n\":null,\"flags\":[\"P\",\"RW\",\"A\"]}");
	sb_free(&sb);
}

static void test_json_numbers_at_their_limits(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;

	(void)state;
	json_init(&w, &sb);
	json_array_begin(&w);
	json_u64(&w, 0);
	json_u64(&w, UINT64_MAX);
	json_i64(&w, INT64_MIN);
	json_i64(&w, -1);
	json_i64(&w, INT64_MAX);
	json_hex(&w, 0);
	json_hex(&w, 0xffff880000123456ULL);
	json_hex(&w, UINT64_MAX);
	json_double(&w, 1.5, 3);
	json_double(&w, NAN, 3);
	json_double(&w, INFINITY, 3);
	json_double(&w, 1e300, 6);
	json_array_end(&w);
	assert_int_equal(json_finish(&w), 0);
	assert_string_equal(sb_str(&sb),
			    "[0,18446744073709551615,-9223372036854775808,-1,9223372036854775807,"
			    "\"0x0\",\"0xffff880000123456\",\"0xffffffffffffffff\",1.500,null,null,"
			    "1.0000000000000001e+300]");
	sb_free(&sb);
}

static void test_json_escapes_control_and_quotes(void **state)
{
	(void)state;
	expect_quoted("a\"b\\c", "\"a\\\"b\\\\c\"");
	expect_quoted("\n\t\r\b\f", "\"\\n\\t\\r\\b\\f\"");
	expect_quoted("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	expect_quoted("", "\"\"");
	expect_quoted("/dev/zero (deleted)", "\"/dev/zero (deleted)\"");
}

static void test_json_keeps_wellformed_utf8(void **state)
{
	(void)state;
	/* 2-, 3- and 4-byte characters at the edges of Table 3-7 */
	expect_quoted("\xc2\x80 \xdf\xbf", "\"\xc2\x80 \xdf\xbf\"");
	expect_quoted("\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf",
		      "\"\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf\"");
	expect_quoted("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf", "\"\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"");
	expect_quoted("caf\xc3\xa9", "\"caf\xc3\xa9\"");
}

/* Each maximal ill-formed subpart is one U+FFFD, as Python's
 * bytes.decode("utf-8", "replace") does (the CLI test compares with it). */
static void test_json_replaces_illformed_utf8(void **state)
{
	(void)state;
	expect_quoted("\x80", "\"\\ufffd\"");
	expect_quoted("a\xff" "b", "\"a\\ufffdb\"");
	expect_quoted("\xc0\xaf", "\"\\ufffd\\ufffd\"");		/* overlong '/' */
	expect_quoted("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	expect_quoted("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");	/* overlong 3-byte */
	expect_quoted("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* a surrogate */
	expect_quoted("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");	/* > U+10FFFF */
	expect_quoted("\xf5\x80", "\"\\ufffd\\ufffd\"");
	/* truncated sequences: the lead and its good continuations are one */
	expect_quoted("\xe2\x82" "A", "\"\\ufffdA\"");
	expect_quoted("\xf0\x9f\x98" "A", "\"\\ufffdA\"");
	expect_quoted("\xf0\x9f\x98", "\"\\ufffd\"");
	expect_quoted("\xe2", "\"\\ufffd\"");
	expect_quoted("\xe2\x82\xac\xe2\x82", "\"\xe2\x82\xac\\ufffd\"");
	/* every byte 0x80..0xff alone */
	for (unsigned c = 0x80; c <= 0xff; c++) {
		char s[2] = { (char)c, 0 };

		expect_quoted(s, "\"\\ufffd\"");
	}
}

static void test_json_keys_are_escaped(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;

	(void)state;
	json_init(&w, &sb);
	json_object_begin(&w);
	json_key_u64(&w, "task.a\"b\xff.rss_pages", 3);
	json_object_end(&w);
	assert_int_equal(json_finish(&w), 0);
	assert_string_equal(sb_str(&sb), "{\"task.a\\\"b\\ufffd.rss_pages\":3}");
	sb_free(&sb);
}

/* Run @fn on a fresh writer and return json_finish(). */
static int finish_after(void (*fn)(struct json_writer *w))
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	int ret;

	json_init(&w, &sb);
	fn(&w);
	ret = json_finish(&w);
	sb_free(&sb);
	return ret;
}

static void value_without_key(struct json_writer *w)
{
	json_object_begin(w);
	json_u64(w, 1);
	json_object_end(w);
}

static void key_in_array(struct json_writer *w)
{
	json_array_begin(w);
	json_key(w, "a");
	json_u64(w, 1);
	json_array_end(w);
}

static void key_without_value(struct json_writer *w)
{
	json_object_begin(w);
	json_key(w, "a");
	json_object_end(w);
}

static void wrong_close(struct json_writer *w)
{
	json_object_begin(w);
	json_array_end(w);
}

static void unclosed(struct json_writer *w)
{
	json_array_begin(w);
	json_u64(w, 1);
}

static void two_documents(struct json_writer *w)
{
	json_u64(w, 1);
	json_u64(w, 2);
}

static void nothing(struct json_writer *w)
{
	(void)w;
}

static void too_deep(struct json_writer *w)
{
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_array_begin(w);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_array_end(w);
}

static void deepest(struct json_writer *w)
{
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_array_begin(w);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_array_end(w);
}

static void test_json_misuse_is_reported(void **state)
{
	(void)state;
	assert_int_equal(finish_after(value_without_key), -EINVAL);
	assert_int_equal(finish_after(key_in_array), -EINVAL);
	assert_int_equal(finish_after(key_without_value), -EINVAL);
	assert_int_equal(finish_after(wrong_close), -EINVAL);
	assert_int_equal(finish_after(unclosed), -EINVAL);
	assert_int_equal(finish_after(two_documents), -EINVAL);
	assert_int_equal(finish_after(nothing), -EINVAL);
	assert_int_equal(finish_after(too_deep), -EINVAL);
	assert_int_equal(finish_after(deepest), 0);
}

static void test_json_embeds_a_finished_document(void **state)
{
	struct strbuf sb = STRBUF_INIT, part_sb = STRBUF_INIT;
	struct json_writer w, part;

	(void)state;
	sb_puts(&part_sb, "not JSON: ");	/* text before the part is not taken */
	json_init(&part, &part_sb);
	json_array_begin(&part);
	json_key_str(&part, "x", "y");		/* misuse: the part is refused */
	json_init(&w, &sb);
	json_object_begin(&w);
	json_key(&w, "part");
	json_embed(&w, &part);
	json_object_end(&w);
	assert_int_equal(json_finish(&w), -EINVAL);

	sb_reset(&sb);
	sb_reset(&part_sb);
	sb_puts(&part_sb, "not JSON: ");
	json_init(&part, &part_sb);
	json_array_begin(&part);
	json_hex(&part, 0x1000);
	json_array_end(&part);
	assert_int_equal(json_finish(&part), 0);
	json_init(&w, &sb);
	json_object_begin(&w);
	json_key(&w, "part");
	json_embed(&w, &part);
	json_key_u64(&w, "after", 1);
	json_object_end(&w);
	assert_int_equal(json_finish(&w), 0);
	assert_string_equal(sb_str(&sb), "{\"part\":[\"0x1000\"],\"after\":1}");
	sb_free(&sb);
	sb_free(&part_sb);
}

/* A million rows stream through a buffer that never holds more than a
 * chunk and one row, and the file gets the same text a buffer would. */
static void test_json_stream_stays_bounded(void **state)
{
	struct strbuf sb = STRBUF_INIT, whole = STRBUF_INIT;
	struct json_writer w, ref;
	FILE *f = tmpfile();
	size_t max_len = 0, got;
	char *text;

	(void)state;
	assert_non_null(f);
	json_init_stream(&w, &sb, f);
	json_init(&ref, &whole);
	json_object_begin(&w);
	json_object_begin(&ref);
	json_key(&w, "rows");
	json_key(&ref, "rows");
	json_array_begin(&w);
	json_array_begin(&ref);
	for (uint64_t i = 0; i < 1000000; i++) {
		struct json_writer *both[2] = { &w, &ref };

		for (int k = 0; k < 2; k++) {
			json_object_begin(both[k]);
			json_key_u64(both[k], "accesses", i * 1000);
			json_key_hex(both[k], "va", i << 12);
			json_object_end(both[k]);
		}
		if (sb.len > max_len)
			max_len = sb.len;
	}
	json_array_end(&w);
	json_array_end(&ref);
	json_object_end(&w);
	json_object_end(&ref);
	assert_int_equal(json_finish(&w), 0);
	assert_int_equal(json_finish(&ref), 0);
	if (max_len >= JSON_CHUNK + 128)
		fail_msg("the streaming buffer grew to %zu bytes", max_len);
	assert_true(whole.len > 20 * JSON_CHUNK);
	assert_int_equal(ftell(f), (long)whole.len);
	rewind(f);
	text = malloc(whole.len);
	assert_non_null(text);
	got = fread(text, 1, whole.len, f);
	assert_int_equal(got, whole.len);
	assert_memory_equal(text, whole.buf, whole.len);
	free(text);
	fclose(f);
	sb_free(&sb);
	sb_free(&whole);
}

/* A FILE that refuses writes makes json_finish() fail with -EIO. */
static void test_json_stream_write_error(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	if (!f) {
		print_message("no /dev/full on this host\n");
		skip();
	}
	json_init_stream(&w, &sb, f);
	json_array_begin(&w);
	json_str(&w, "x");
	json_array_end(&w);
	assert_int_equal(json_finish(&w), -EIO);
	fclose(f);
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_nesting_and_commas),
		cmocka_unit_test(test_json_numbers_at_their_limits),
		cmocka_unit_test(test_json_escapes_control_and_quotes),
		cmocka_unit_test(test_json_keeps_wellformed_utf8),
		cmocka_unit_test(test_json_replaces_illformed_utf8),
		cmocka_unit_test(test_json_keys_are_escaped),
		cmocka_unit_test(test_json_misuse_is_reported),
		cmocka_unit_test(test_json_embeds_a_finished_document),
		cmocka_unit_test(test_json_stream_stays_bounded),
		cmocka_unit_test(test_json_stream_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
