/*
 * Tests of scalar parsing (util/parse.c): numbers, sizes with binary
 * suffixes, booleans and the size formatter.  Invariant checked: a value is
 * stored only when the whole string spells it exactly; otherwise *out is
 * left untouched and the error says why (-EINVAL bad text, -ERANGE too big).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "util/parse.h"

#define SENTINEL 0x5a5a5a5a5a5a5a5aULL

static void u64_ok(const char *s, uint64_t want)
{
	uint64_t v = SENTINEL;
	int ret = parse_u64(s, &v);

	if (ret || v != want)
		fail_msg("parse_u64(\"%s\") = %d, 0x%llx; want 0x%llx", s, ret,
			 (unsigned long long)v, (unsigned long long)want);
}

static void u64_bad(const char *s, int want)
{
	uint64_t v = SENTINEL;
	int ret = parse_u64(s, &v);

	if (ret != want || v != SENTINEL)
		fail_msg("parse_u64(\"%s\") = %d (want %d), out changed: %d", s ? s : "NULL", ret,
			 want, v != SENTINEL);
}

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = SENTINEL;
	int ret = parse_size(s, &v);

	if (ret || v != want)
		fail_msg("parse_size(\"%s\") = %d, 0x%llx; want 0x%llx", s, ret,
			 (unsigned long long)v, (unsigned long long)want);
}

static void size_bad(const char *s, int want)
{
	uint64_t v = SENTINEL;
	int ret = parse_size(s, &v);

	if (ret != want || v != SENTINEL)
		fail_msg("parse_size(\"%s\") = %d (want %d)", s ? s : "NULL", ret, want);
}

static void test_parse_u64_decimal_and_hex(void **state)
{
	u64_ok("0", 0);
	u64_ok("4096", 4096);
	u64_ok("010", 10);	/* no octal: a leading zero is decimal */
	u64_ok("0x1000", 0x1000);
	u64_ok("0XfFfF", 0xffff);
	u64_ok("1_000_000", 1000000);
	u64_ok("0xffff_8800_0000_0000", 0xffff880000000000ULL);
	u64_ok("18446744073709551615", UINT64_MAX);
	u64_ok("0xffffffffffffffff", UINT64_MAX);
	(void)state;
}

static void test_parse_u64_rejects_bad_text(void **state)
{
	u64_bad(NULL, -EINVAL);
	u64_bad("", -EINVAL);
	u64_bad("0x", -EINVAL);
	u64_bad("_1", -EINVAL);
	u64_bad("0x_1", -EINVAL);
	u64_bad("-1", -EINVAL);
	u64_bad("+1", -EINVAL);
	u64_bad(" 1", -EINVAL);
	u64_bad("1 ", -EINVAL);
	u64_bad("12a", -EINVAL);
	u64_bad("0x12g", -EINVAL);
	u64_bad("1.0", -EINVAL);
	u64_bad("18446744073709551616", -ERANGE);
	u64_bad("0x10000000000000000", -ERANGE);
	u64_bad("99999999999999999999999", -ERANGE);
	(void)state;
}

static void test_parse_size_suffixes(void **state)
{
	size_ok("4096", 4096);
	size_ok("0x1000", 4096);
	size_ok("64KiB", 64 << 10);
	size_ok("16MiB", 16 << 20);
	size_ok("4GiB", 4ULL << 30);
	size_ok("2TiB", 2ULL << 40);
	size_ok("4 GiB", 4ULL << 30);
	size_ok("8M", 8 << 20);
	size_ok("1K", 1024);
	size_ok("4096B", 4096);
	size_ok("0KiB", 0);
	size_ok("0x1B", 0x1b);		/* hex digits, not a byte suffix */
	size_ok("16777215TiB", 16777215ULL << 40);
	(void)state;
}

static void test_parse_size_rejects_bad_text(void **state)
{
	size_bad(NULL, -EINVAL);
	size_bad("", -EINVAL);
	size_bad("GiB", -EINVAL);
	size_bad(" GiB", -EINVAL);
	size_bad("1.5GiB", -EINVAL);	/* not exact */
	size_bad("4GB", -EINVAL);
	size_bad("4gib", -EINVAL);
	size_bad("4 KiB ", -EINVAL);
	size_bad("0x10MiB", -EINVAL);	/* units only on decimal numbers */
	size_bad("-4KiB", -EINVAL);
	size_bad("16777216TiB", -ERANGE);	/* 2^64 */
	size_bad("18446744073709551616", -ERANGE);
	/* longer than the internal buffer: refused, not truncated */
	size_bad("1000000000000000000000000000000000000000000000000000000000000000000KiB", -EINVAL);
	(void)state;
}

static void test_parse_bool_words(void **state)
{
	static const char *yes[] = { "true", "True", "YES", "on", "1" };
	static const char *no[] = { "false", "FALSE", "no", "Off", "0" };
	bool b;

	for (size_t i = 0; i < 5; i++) {
		b = false;
		assert_int_equal(parse_bool(yes[i], &b), 0);
		assert_true(b);
		b = true;
		assert_int_equal(parse_bool(no[i], &b), 0);
		assert_false(b);
	}
	b = true;
	assert_int_equal(parse_bool("maybe", &b), -EINVAL);
	assert_int_equal(parse_bool("", &b), -EINVAL);
	assert_int_equal(parse_bool("2", &b), -EINVAL);
	assert_int_equal(parse_bool(NULL, &b), -EINVAL);
	assert_true(b);
	(void)state;
}

static void test_parse_fmt_size_picks_largest_exact_unit(void **state)
{
	char buf[32];

	assert_string_equal(fmt_size(0, buf), "0");
	assert_string_equal(fmt_size(4097, buf), "4097");
	assert_string_equal(fmt_size(96 << 10, buf), "96KiB");
	assert_string_equal(fmt_size(1ULL << 20, buf), "1MiB");
	assert_string_equal(fmt_size(3ULL << 30, buf), "3GiB");
	assert_string_equal(fmt_size(64ULL << 40, buf), "64TiB");
	assert_string_equal(fmt_size(1536ULL << 20, buf), "1536MiB");
	assert_string_equal(fmt_size(UINT64_MAX, buf), "18446744073709551615");
	/* what it prints parses back to the same value */
	for (int i = 0; i < 64; i++) {
		uint64_t v = (1ULL << i) + ((i & 1) ? 1ULL << (i / 2) : 0), back;
		assert_int_equal(parse_size(fmt_size(v, buf), &back), 0);
		assert_int_equal(back, v);
	}
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_decimal_and_hex),
		cmocka_unit_test(test_parse_u64_rejects_bad_text),
		cmocka_unit_test(test_parse_size_suffixes),
		cmocka_unit_test(test_parse_size_rejects_bad_text),
		cmocka_unit_test(test_parse_bool_words),
		cmocka_unit_test(test_parse_fmt_size_picks_largest_exact_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
