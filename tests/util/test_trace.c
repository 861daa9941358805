/*
 * Trace readers and the binary format: known records from lackey text,
 * every malformed-line message with its line number, lines that straddle
 * the reader's buffer, binary round trips of canonical addresses, and the
 * converter.
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
#include <unistd.h>

#include "util/trace.h"

static char tmpdir[] = "/tmp/vmsim-trace-XXXXXX";

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

static const char *write_file(const char *name, const char *text, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

static void test_trace_lackey_known_records(void **state)
{
	static const char text[] =
		"==1234== Lackey, an example Valgrind tool\n"
		"I  04016c0,3\n"
		" S 1ffefff8a8,8\n"
		" L 04222cac,8\n"
		"\n"
		" M 0421e1a0,4\r\n"
		"I  ffffffffff600000,1";	/* last line without a newline */
	const struct trace_rec want[] = {
		{ 0x4016c0, 3, TRACE_I }, { 0x1ffefff8a8, 8, TRACE_S },
		{ 0x4222cac, 8, TRACE_L }, { 0x421e1a0, 4, TRACE_M },
		{ 0xffffffffff600000ULL, 1, TRACE_I },
	};
	const char *path = write_file("a.lackey", text, sizeof(text) - 1);
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	struct trace_rec rec;

	assert_int_equal(trace_open(&r, path, -1, &err), 0);
	assert_int_equal(r.fmt, TRACE_LACKEY);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(trace_next(&r, &rec, &err), 1);
		assert_int_equal(rec.addr, want[i].addr);
		assert_int_equal(rec.size, want[i].size);
		assert_int_equal(rec.type, want[i].type);
	}
	assert_int_equal(trace_next(&r, &rec, &err), 0);
	assert_int_equal(r.line, 7);
	trace_close(&r);
}

static void test_trace_lackey_errors_name_the_line(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "I  1000,4\n X 1000,4\n", "bad.lackey:2: expected I, L, S or M: ' X 1000,4'" },
		{ " L1000,4\n", "bad.lackey:1: expected a space after the access type: ' L1000,4'" },
		{ " L zz,4\n", "bad.lackey:1: expected a hex address of 1 to 16 digits: ' L zz,4'" },
		{ " L 12345678901234567,4\n",
		  "bad.lackey:1: expected a hex address of 1 to 16 digits: ' L 12345678901234567,4'" },
		{ " L 1000 4\n", "bad.lackey:1: expected ',' after the address: ' L 1000 4'" },
		{ " L 1000,\n", "bad.lackey:1: expected a size of 1 or more bytes: ' L 1000,'" },
		{ " L 1000,0\n", "bad.lackey:1: expected a size of 1 or more bytes: ' L 1000,0'" },
		{ " L 1000,99999\n", "bad.lackey:1: access size too large: ' L 1000,99999'" },
		{ "\n\n S 1000,4 x\n", "bad.lackey:3: unexpected text after the size: ' S 1000,4 x'" },
	};

	char cwd[4096];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256];
		struct vmsim_error err = { 0 };
		struct trace_reader r;
		struct trace_rec rec;
		int ret;

		write_file("bad.lackey", cases[i].text, strlen(cases[i].text));
		assert_int_equal(chdir(tmpdir), 0);
		snprintf(path, sizeof(path), "bad.lackey");
		/* a bad first record fails the open itself */
		ret = trace_open(&r, path, -1, &err);
		if (ret == 0) {
			while ((ret = trace_next(&r, &rec, &err)) == 1)
				;
			trace_close(&r);
		}
		assert_int_equal(ret, -EINVAL);
		if (strcmp(err.msg, cases[i].msg) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg, cases[i].msg);
	}
	assert_int_equal(chdir(cwd), 0);
}

/* Many lines of varying length: several refills with lines cut at the
 * buffer's end must read back exactly. */
static void test_trace_lackey_lines_across_refills(void **state)
{
	const unsigned n = 200000;
	size_t cap = (size_t)n * 40, len = 0;
	char *text = malloc(cap);
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	struct trace_rec rec;
	const char *path;
	uint64_t sum = 0, want = 0;
	unsigned count = 0;

	assert_non_null(text);
	for (unsigned i = 0; i < n; i++) {
		uint64_t addr = (uint64_t)i * 0x9e3779b1u & 0xffffffffffULL;
		unsigned size = 1 + i % 16;

		len += (size_t)snprintf(text + len, cap - len, "%s%llx,%u\n",
					i % 3 ? " L " : "I  ", (unsigned long long)addr, size);
		want += addr * 31 + size;
	}
	path = write_file("big.lackey", text, len);
	free(text);
	assert_int_equal(trace_open(&r, path, TRACE_LACKEY, &err), 0);
	while (trace_next(&r, &rec, &err) == 1) {
		sum += rec.addr * 31 + rec.size;
		count++;
	}
	assert_int_equal(err.code, 0);
	trace_close(&r);
	assert_int_equal(count, n);
	assert_true(sum == want);
}

static void test_trace_binary_roundtrip_canonical(void **state)
{
	const struct trace_rec recs[] = {
		{ 0x0, 1, TRACE_I }, { 0x7ffffffff000ULL, 8, TRACE_S },
		{ 0xffff880000001000ULL, 4, TRACE_L }, { 0xffffffffff600000ULL, 16383, TRACE_M },
		{ 0xc0001000, 2, TRACE_L },
	};
	struct vmsim_error err = { 0 };
	struct trace_writer w;
	struct trace_reader r;
	struct trace_rec rec, bad = { 0x0000800000000000ULL, 4, TRACE_L };
	char path[256];

	snprintf(path, sizeof(path), "%s/t.vmt", tmpdir);
	assert_int_equal(trace_writer_open(&w, path, &err), 0);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(trace_write(&w, &recs[i], &err), 0);
	assert_int_equal(trace_write(&w, &bad, &err), -ERANGE);	/* non-canonical */
	bad.addr = 0x1000;
	bad.size = 0;
	assert_int_equal(trace_write(&w, &bad, &err), -ERANGE);
	assert_int_equal(trace_writer_close(&w, &err), 0);

	memset(&err, 0, sizeof(err));
	assert_int_equal(trace_open(&r, path, -1, &err), 0);
	assert_int_equal(r.fmt, TRACE_BINARY);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(trace_next(&r, &rec, &err), 1);
		assert_int_equal(rec.addr, recs[i].addr);
		assert_int_equal(rec.size, recs[i].size);
		assert_int_equal(rec.type, recs[i].type);
	}
	assert_int_equal(trace_next(&r, &rec, &err), 0);
	trace_close(&r);

	/* asking for the other format is refused up front */
	assert_int_equal(trace_open(&r, path, TRACE_LACKEY, &err), -EINVAL);
}

static void test_trace_binary_truncated_record(void **state)
{
	char data[8 + 8 + 3];
	struct trace_rec rec = { 0x1000, 4, TRACE_L };
	uint64_t wv = trace_encode(&rec);
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	const char *path;

	memcpy(data, TRACE_MAGIC, 8);
	memcpy(data + 8, &wv, 8);
	memset(data + 16, 0, 3);
	path = write_file("trunc.vmt", data, sizeof(data));
	assert_int_equal(trace_open(&r, path, -1, &err), 0);
	assert_int_equal(trace_next(&r, &rec, &err), 1);
	assert_int_equal(trace_next(&r, &rec, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "record 2: truncated (3 of 8 bytes)"));
	trace_close(&r);
}

static void test_trace_convert_lackey_to_binary(void **state)
{
	static const char text[] = "==1== x\nI  400000,4\n L 7ff000,8\n S 7ff008,8\n M 601000,4\n";
	const char *in = write_file("c.lackey", text, sizeof(text) - 1);
	char inp[256], out[256];
	struct vmsim_error err = { 0 };
	struct trace_reader a, b;
	struct trace_rec ra, rb;
	int n = 0;

	snprintf(inp, sizeof(inp), "%s", in);
	snprintf(out, sizeof(out), "%s/c.vmt", tmpdir);
	assert_int_equal(trace_convert(inp, TRACE_LACKEY, out, &err), 4);
	assert_int_equal(trace_open(&a, inp, TRACE_LACKEY, &err), 0);
	assert_int_equal(trace_open(&b, out, TRACE_BINARY, &err), 0);
	while (trace_next(&a, &ra, &err) == 1) {
		assert_int_equal(trace_next(&b, &rb, &err), 1);
		assert_memory_equal(&ra, &rb, sizeof(ra));
		n++;
	}
	assert_int_equal(trace_next(&b, &rb, &err), 0);
	assert_int_equal(n, 4);
	trace_close(&a);
	trace_close(&b);

	/* a bad input leaves no output file behind */
	in = write_file("d.lackey", "I  400000,4\n Q 1,1\n", 19);
	snprintf(inp, sizeof(inp), "%s", in);
	snprintf(out, sizeof(out), "%s/d.vmt", tmpdir);
	memset(&err, 0, sizeof(err));
	assert_int_equal(trace_convert(inp, TRACE_LACKEY, out, &err), -EINVAL);
	assert_int_equal(access(out, F_OK), -1);
}

/* Batches give exactly the records trace_next() gives, and a bad line in
 * the middle of a batch comes after the good records before it. */
static void test_trace_batch_matches_single_and_defers_errors(void **state)
{
	static const char text[] = "I  1000,4\n L 2000,8\n S 3000,2\n bad\n L 4000,1\n";
	const char *path = write_file("batch.lackey", text, sizeof(text) - 1);
	char p2[256];
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	struct trace_rec recs[8];

	snprintf(p2, sizeof(p2), "%s", path);
	assert_int_equal(trace_open(&r, p2, -1, &err), 0);
	assert_int_equal(trace_read_batch(&r, recs, 8, &err), 3);
	assert_int_equal(recs[2].addr, 0x3000);
	assert_int_equal(recs[2].type, TRACE_S);
	assert_int_equal(trace_read_batch(&r, recs, 8, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "batch.lackey:4: expected I, L, S or M: ' bad'"));
	trace_close(&r);

	/* binary: a batch of 2 of 5, then 3, then the end */
	{
		struct trace_writer w;
		char out[256];

		snprintf(out, sizeof(out), "%s/batch.vmt", tmpdir);
		assert_int_equal(trace_writer_open(&w, out, &err), 0);
		for (unsigned i = 0; i < 5; i++) {
			struct trace_rec rec = { 0x1000 * (i + 1), 4, TRACE_L };
			assert_int_equal(trace_write(&w, &rec, &err), 0);
		}
		assert_int_equal(trace_writer_close(&w, &err), 0);
		assert_int_equal(trace_open(&r, out, -1, &err), 0);
		assert_int_equal(trace_read_batch(&r, recs, 2, &err), 2);
		assert_int_equal(trace_read_batch(&r, recs, 8, &err), 3);
		assert_int_equal(recs[2].addr, 0x5000);
		assert_int_equal(trace_read_batch(&r, recs, 8, &err), 0);
		trace_close(&r);
	}
}

/* A file that is not a trace fails at open, on its first bad line, with
 * the line's bytes escaped: one printable line whatever the file holds. */
static void test_trace_not_a_trace_fails_at_open(void **state)
{
	static const char elf[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0\n";
	static const char yaml[] = "# a scenario\nmachine: x86_64\nsteps:\n  - show: buddyinfo\n";
	static const char later[] = "==1== Lackey\n\n==1== more\n\tL 1000,4\n";
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	char path[256];

	snprintf(path, sizeof(path), "%s", write_file("elf", elf, sizeof(elf) - 1));
	assert_int_equal(trace_open(&r, path, -1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "elf:1: expected I, L, S or M: "
				      "'\\x7fELF\\x02\\x01\\x01\\x00\\x00"));
	for (const char *c = err.msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			fail_msg("control byte 0x%02x in \"%s\"", (unsigned char)*c, err.msg);

	memset(&err, 0, sizeof(err));
	snprintf(path, sizeof(path), "%s", write_file("s.yaml", yaml, sizeof(yaml) - 1));
	assert_int_equal(trace_open(&r, path, -1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "s.yaml:1: expected I, L, S or M: '# a scenario'"));

	/* Valgrind's lines and blank lines are skipped: the first record
	 * line is what is checked, and it names its own line */
	memset(&err, 0, sizeof(err));
	snprintf(path, sizeof(path), "%s", write_file("tab.lackey", later, sizeof(later) - 1));
	assert_int_equal(trace_open(&r, path, -1, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "tab.lackey:4: expected I, L, S or M: '\\x09L 1000,4'"));

	/* a good first record is kept for the first trace_next(), and the
	 * line count is the file's */
	{
		static const char ok[] = "==1== Lackey\n L 2000,4\n S 3000,8\n";
		struct trace_rec rec;

		snprintf(path, sizeof(path), "%s", write_file("ok.lackey", ok, sizeof(ok) - 1));
		assert_int_equal(trace_open(&r, path, -1, &err), 0);
		assert_int_equal(trace_next(&r, &rec, &err), 1);
		assert_int_equal(rec.addr, 0x2000);
		assert_int_equal(rec.type, TRACE_L);
		assert_int_equal(trace_next(&r, &rec, &err), 1);
		assert_int_equal(rec.addr, 0x3000);
		assert_int_equal(trace_next(&r, &rec, &err), 0);
		assert_int_equal(r.line, 3);
		trace_close(&r);
	}
}

static void test_trace_missing_file(void **state)
{
	struct vmsim_error err = { 0 };
	struct trace_reader r;

	assert_int_equal(trace_open(&r, "/nonexistent/x.lackey", -1, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/x.lackey"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_lackey_known_records),
		cmocka_unit_test(test_trace_lackey_errors_name_the_line),
		cmocka_unit_test(test_trace_lackey_lines_across_refills),
		cmocka_unit_test(test_trace_binary_roundtrip_canonical),
		cmocka_unit_test(test_trace_binary_truncated_record),
		cmocka_unit_test(test_trace_convert_lackey_to_binary),
		cmocka_unit_test(test_trace_batch_matches_single_and_defers_errors),
		cmocka_unit_test(test_trace_not_a_trace_fails_at_open),
		cmocka_unit_test(test_trace_missing_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
