/*
 * Trace readers and the binary format: known records from lackey text,
 * the course formats, reference strings and ChampSim records (built byte
 * by byte at their documented offsets), every malformed-line or record
 * message with its number, detection (no format's probe claims another's
 * sample), lines that straddle the reader's buffer, binary round
 * trips of canonical addresses, the converter, and compressed input (gzip,
 * xz, zstd) that reads as the plain text, or fails when cut or damaged.
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

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "util/trace.h"
#include "util/trace_format.h"

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

/* Read all of @path: the record count and a sum over every field, or the
 * error; @fmt as for trace_open. */
struct digest {
	uint64_t count, sum;
	int ret;			/* 0 at a clean end, else the error */
	int fmt;			/* the format the reader chose */
	struct vmsim_error err;
};

static struct digest digest(const char *path, int fmt)
{
	struct digest d = { 0 };
	struct trace_reader r;
	struct trace_rec recs[64];
	long got;

	d.ret = trace_open(&r, path, fmt, &d.err);
	if (d.ret)
		return d;
	d.fmt = (int)r.fmt;
	while ((got = trace_read_batch(&r, recs, 64, &d.err)) > 0)
		for (long i = 0; i < got; i++) {
			d.count++;
			d.sum = d.sum * 31 + recs[i].addr * 7 + recs[i].size * 3 + recs[i].type;
		}
	d.ret = (int)got;
	trace_close(&r);
	return d;
}

/* The records of @text in format @fmt (detected) must be @want. */
static void expect_records(const char *name, const char *text, int fmt,
			   const struct trace_rec *want, size_t n)
{
	char path[256];
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	struct trace_rec rec;

	snprintf(path, sizeof(path), "%s", write_file(name, text, strlen(text)));
	assert_int_equal(trace_open(&r, path, -1, &err), 0);
	if ((int)r.fmt != fmt)
		fail_msg("%s: detected as %s, want %s", name, trace_format_name(r.fmt),
			 trace_format_name((enum trace_format)fmt));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(trace_next(&r, &rec, &err), 1);
		if (rec.addr != want[i].addr || rec.size != want[i].size || rec.type != want[i].type)
			fail_msg("%s: record %zu: %s %#llx,%u, want %s %#llx,%u", name, i,
				 trace_type_name(rec.type), (unsigned long long)rec.addr, rec.size,
				 trace_type_name(want[i].type), (unsigned long long)want[i].addr,
				 want[i].size);
	}
	assert_int_equal(trace_next(&r, &rec, &err), 0);
	trace_close(&r);
}

static void test_trace_course_formats_known_records(void **state)
{
	const struct trace_rec rw[] = {
		{ 0x41f7a0, 1, TRACE_L }, { 0x13f5e2c0, 1, TRACE_S }, { 0x7fff0000, 1, TRACE_S },
		{ 0xffffffffff600000ULL, 1, TRACE_L },
	};
	const struct trace_rec ls[] = {
		{ 0x1fff000c, 1, TRACE_L }, { 0x7ff0, 1, TRACE_S }, { 0xabc, 1, TRACE_L },
	};

	expect_records("a.rw", "\n0041f7a0 R\n0x13F5E2C0 w\n\n\t7fff0000\tW \r\n"
		       "ffffffffff600000 r", TRACE_RW, rw, 4);
	expect_records("a.ls", "l 0x1fff000c\ns 7ff0 3\n\nl\t0XABC  12\r\n", TRACE_LS, ls, 3);
}

/* Every malformed line names the file and the line, in each text format,
 * and an override that does not fit fails on the first line. */
static void test_trace_course_formats_errors_name_the_line(void **state)
{
	static const struct { const char *text; int fmt; const char *msg; } cases[] = {
		{ "1000 R\n1000 X\n", -1, "bad:2: expected a hex address, then R or W: '1000 X'" },
		{ "1000 R\n1000R\n", -1, "bad:2: expected a hex address, then R or W: '1000R'" },
		{ "1000 R\n0x R\n", -1, "bad:2: expected a hex address, then R or W: '0x R'" },
		{ "1000 W\n\n1000 R W\n", -1,
		  "bad:3: expected a hex address, then R or W: '1000 R W'" },
		{ "1000 R\n12345678901234567 R\n", -1,
		  "bad:2: expected a hex address, then R or W: '12345678901234567 R'" },
		{ "l 1000\nx 1000\n", -1, "bad:2: expected l or s, then a hex address: 'x 1000'" },
		{ "l 1000\nl\n", -1, "bad:2: expected l or s, then a hex address: 'l'" },
		{ "l 1000\ns 1000 zz\n", -1,
		  "bad:2: expected l or s, then a hex address: 's 1000 zz'" },
		{ "s 1000\nL 1000\n", -1, "bad:2: expected l or s, then a hex address: 'L 1000'" },
		{ "l 1000\n", TRACE_RW, "bad:1: expected a hex address, then R or W: 'l 1000'" },
		{ "1000 R\n", TRACE_LS, "bad:1: expected l or s, then a hex address: '1000 R'" },
		{ "1000 R\n", TRACE_LACKEY, "bad:1: expected I, L, S or M: '1000 R'" },
		{ "1000 R\n", TRACE_BINARY, "bad:1: not a vmsim binary trace (no VMSIMTR1 header)" },
		{ "1000 R\n", TRACE_CHAMPSIM, "bad: record 1: truncated (7 of 64 bytes)" },
		{ "1000 R\n", TRACE_PAGES, "bad:1: expected a page number: 'R'" },
		{ "7 0 1\n2 x 3\n", -1, "bad:2: expected a page number: 'x'" },
		{ "# c\n7 0 1\n\n12q 3\n", -1,
		  "bad:4: expected a page number with an optional r or w: '12q'" },
		{ "7 0 1\n1,2ww\n", -1,
		  "bad:2: expected a page number with an optional r or w: '2ww'" },
		{ "1 17179869184\n", -1,
		  "bad:1: page number too large (at most 17179869183): '17179869184'" },
		{ "7 0 1 2\n", TRACE_RW, "bad:1: expected a hex address, then R or W: '7 0 1 2'" },
		{ "7 0 1 2\n", TRACE_LACKEY, "bad:1: expected I, L, S or M: '7 0 1 2'" },
	};
	char cwd[4096];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct digest d;

		write_file("bad", cases[i].text, strlen(cases[i].text));
		assert_int_equal(chdir(tmpdir), 0);
		d = digest("bad", cases[i].fmt);
		assert_int_equal(chdir(cwd), 0);
		if (d.ret != -EINVAL || strcmp(d.err.msg, cases[i].msg) != 0)
			fail_msg("case %zu: %d \"%s\", want \"%s\"", i, d.ret, d.err.msg, cases[i].msg);
	}
}

/* Reference strings: several records a line, separators, comments, the
 * r and w suffixes, the largest page. */
static void test_trace_pages_known_records(void **state)
{
	const struct trace_rec want[] = {
		{ TRACE_PAGES_BASE + 7 * 4096, 1, TRACE_L }, { TRACE_PAGES_BASE, 1, TRACE_L },
		{ TRACE_PAGES_BASE + 1 * 4096, 1, TRACE_L }, { TRACE_PAGES_BASE + 2 * 4096, 1, TRACE_S },
		{ TRACE_PAGES_BASE + 3 * 4096, 1, TRACE_S }, { TRACE_PAGES_BASE + 4 * 4096, 1, TRACE_L },
		{ TRACE_PAGES_BASE + (17179869183ULL << 12), 1, TRACE_L },
		{ TRACE_PAGES_BASE + 5 * 4096, 1, TRACE_L },
	};

	char long_line[6000];
	struct digest d;

	expect_records("a.pages", "# Silberschatz\n\n 7 0,1\t2w\r\n3W 4r # tail 9 9\n"
		       "17179869183\n#\n5", TRACE_PAGES, want, 8);
	/* a line is at most TRACE_MAX_LINE bytes, in this format as in the others */
	memcpy(long_line, "1 2\n", 4);
	for (size_t i = 4; i + 1 < sizeof(long_line); i += 2)
		memcpy(long_line + i, "7 ", 2);
	d = digest(write_file("long.pages", long_line, sizeof(long_line) - 1), -1);
	assert_int_equal(d.fmt, TRACE_PAGES);
	assert_int_equal(d.ret, -EINVAL);
	assert_non_null(strstr(d.err.msg, "long.pages:2: line longer than 4096 bytes"));
}

/* A page list bigger than the reader's buffer, lines of 0 to 40 numbers:
 * every number, in order, whatever line the refills cut through. */
static void test_trace_pages_across_refills(void **state)
{
	size_t cap = 4u << 20, len = 0, n = 0, i;
	char *text = malloc(cap);
	uint64_t *pages = malloc(sizeof(*pages) * (cap / 2));
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	struct trace_rec rec;
	char path[256];
	uint64_t x = 88172645463325252ULL;

	assert_non_null(text);
	assert_non_null(pages);
	while (len < cap - 4096) {
		unsigned k = (unsigned)(x % 41);

		for (unsigned j = 0; j < k; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			pages[n] = x % 100000;
			len += (size_t)snprintf(text + len, cap - len, "%s%llu%s", j ? " " : "",
						(unsigned long long)pages[n], x & 64 ? "w" : "");
			pages[n] |= (x & 64) << 57;	/* bit 63: a write */
			n++;
		}
		text[len++] = '\n';
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
	}
	snprintf(path, sizeof(path), "%s", write_file("big.pages", text, len));
	assert_int_equal(trace_open(&r, path, -1, &err), 0);
	assert_int_equal(r.fmt, TRACE_PAGES);
	for (i = 0; i < n; i++) {
		uint64_t page = pages[i] & ~(1ULL << 63);

		if (trace_next(&r, &rec, &err) != 1 || rec.addr != TRACE_PAGES_BASE + (page << 12) ||
		    rec.type != (pages[i] >> 63 ? TRACE_S : TRACE_L))
			fail_msg("number %zu of %zu: %#llx %s, want page %llu (%s)", i, n,
				 (unsigned long long)rec.addr, err.msg, (unsigned long long)page,
				 pages[i] >> 63 ? "w" : "r");
	}
	assert_int_equal(trace_next(&r, &rec, &err), 0);
	trace_close(&r);
	free(text);
	free(pages);
}

/* ---- ChampSim: records built byte by byte at the offsets of
 * ChampSim's input_instr, so the layout itself is what is tested ---- */

#define CS_REC 64

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void cs_record(unsigned char *b, uint64_t ip, unsigned branch, unsigned taken,
		      const uint64_t dst[2], const uint64_t src[4])
{
	memset(b, 0, CS_REC);
	put64(b, ip);
	b[8] = (unsigned char)branch;
	b[9] = (unsigned char)taken;
	b[10] = 25;	/* registers: a flags destination, sources; not used */
	b[12] = 6;
	b[13] = 26;
	for (int i = 0; i < 2; i++)
		put64(b + 16 + 8 * i, dst[i]);
	for (int i = 0; i < 4; i++)
		put64(b + 32 + 8 * i, src[i]);
}

static void test_trace_champsim_known_records(void **state)
{
	static const uint64_t none2[2], none4[4];
	static const uint64_t dst[2] = { 0x601000, 0x601008 };
	static const uint64_t src[4] = { 0x7ffd1000, 0, 0xffff880000002000ULL, 0 };
	unsigned char data[3 * CS_REC];
	const struct trace_rec want[] = {
		{ 0x401000, 1, TRACE_I }, { 0x7ffd1000, 1, TRACE_L },
		{ 0xffff880000002000ULL, 1, TRACE_L }, { 0x601000, 1, TRACE_S },
		{ 0x601008, 1, TRACE_S },
		{ 0x401004, 1, TRACE_I },
		{ 0xffffffff81000000ULL, 1, TRACE_I }, { 0x7ffd1000, 1, TRACE_L },
		{ 0xffff880000002000ULL, 1, TRACE_L },
	};
	char path[256];
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	struct trace_rec rec;

	cs_record(data, 0x401000, 0, 0, dst, src);
	cs_record(data + CS_REC, 0x401004, 1, 1, none2, none4);
	cs_record(data + 2 * CS_REC, 0xffffffff81000000ULL, 1, 0, none2, src);
	snprintf(path, sizeof(path), "%s", write_file("a.champsim", (const char *)data,
						      sizeof(data)));
	assert_int_equal(trace_open(&r, path, -1, &err), 0);
	assert_int_equal(r.fmt, TRACE_CHAMPSIM);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(trace_next(&r, &rec, &err), 1);
		if (rec.addr != want[i].addr || rec.type != want[i].type || rec.size != 1)
			fail_msg("record %zu: %s %#llx", i, trace_type_name(rec.type),
				 (unsigned long long)rec.addr);
	}
	assert_int_equal(trace_next(&r, &rec, &err), 0);
	trace_close(&r);
	/* batches give the same */
	{
		struct digest d = digest(path, -1);

		assert_int_equal(d.ret, 0);
		assert_int_equal(d.count, sizeof(want) / sizeof(want[0]));
	}
}

/* A bad or cut record names its number, after the good ones before it. */
static void test_trace_champsim_errors_name_the_record(void **state)
{
	static const uint64_t none2[2], none4[4];
	static const uint64_t bad_src[4] = { 0, 0, 0, 0x0000800000000000ULL };
	static const uint64_t bad_dst[2] = { 0, 0x1234567812345678ULL };
	static const struct {
		uint64_t ip;
		unsigned branch, taken, cut;
		const uint64_t *dst, *src;
		const char *msg;
	} cases[] = {
		{ 0x401000, 0, 0, 10, none2, none4, "record 3: truncated (10 of 64 bytes)" },
		{ 0x401000, 0, 0, 63, none2, none4, "record 3: truncated (63 of 64 bytes)" },
		{ 0x401000, 2, 0, 0, none2, none4, "record 3: is_branch is 2, not 0 or 1" },
		{ 0x401000, 1, 7, 0, none2, none4, "record 3: branch_taken is 7, not 0 or 1" },
		{ 0, 0, 0, 0, none2, none4, "record 3: instruction pointer 0" },
		{ 0x0000800000000000ULL, 0, 0, 0, none2, none4,
		  "record 3: instruction pointer 0x800000000000 is not a canonical x86-64 address" },
		{ 0x401000, 0, 0, 0, none2, bad_src,
		  "record 3: source_memory[3] 0x800000000000 is not a canonical x86-64 address" },
		{ 0x401000, 0, 0, 0, bad_dst, none4, "record 3: destination_memory[1] "
		  "0x1234567812345678 is not a canonical x86-64 address" },
	};
	static const uint64_t src[4] = { 0x7ffd1000 };
	unsigned char data[3 * CS_REC];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].cut ? 2 * CS_REC + cases[i].cut : sizeof(data);
		char path[256];
		struct digest d;

		cs_record(data, 0x401000, 0, 0, none2, src);
		cs_record(data + CS_REC, 0x401004, 0, 0, none2, src);
		cs_record(data + 2 * CS_REC, cases[i].ip, cases[i].branch, cases[i].taken,
			  cases[i].dst, cases[i].src);
		snprintf(path, sizeof(path), "%s", write_file("bad.champsim", (const char *)data, len));
		d = digest(path, -1);
		assert_int_equal(d.fmt, TRACE_CHAMPSIM);
		assert_int_equal(d.ret, -EINVAL);
		assert_int_equal(d.count, 4);	/* two records' I and L, then the error */
		if (!strstr(d.err.msg, cases[i].msg))
			fail_msg("case %zu: \"%s\", want \"%s\"", i, d.err.msg, cases[i].msg);
	}
}

/* Detection: each format's sample is taken for what it is, and no other
 * format's probe claims it, pair by pair, so the table's order does not
 * decide: the look-alikes are here (an rw address of decimal digits, a
 * page list after a comment, "1000 12" and "1000w" against "1000 W"). */
static void test_trace_detection(void **state)
{
	static const struct { const char *text; size_t len; int fmt; } cases[] = {
		{ "==1== Lackey\nI  1000,4\n", 0, TRACE_LACKEY },
		{ "\n L 1000,4\n", 0, TRACE_LACKEY },
		{ "I  04016c0,3\n", 0, TRACE_LACKEY },
		{ "1000 R\n", 0, TRACE_RW },
		{ "0x1000 W\n", 0, TRACE_RW },
		{ "10000000 r\n", 0, TRACE_RW },
		{ "1000 w\n7 0 1\n", 0, TRACE_RW },
		{ "l 0x1000\n", 0, TRACE_LS },
		{ "s 1000 12\n", 0, TRACE_LS },
		{ "7 0 1 2 0 3\n", 0, TRACE_PAGES },
		{ "# a reference string\n\n7,0,1\n", 0, TRACE_PAGES },
		{ "1000w\n", 0, TRACE_PAGES },
		{ "1000 12\n", 0, TRACE_PAGES },
		{ "7", 0, TRACE_PAGES },
		{ "VMSIMTR1\x01\0\0\0\0\0\x01\x40", 16, TRACE_BINARY },
		{ NULL, 64, TRACE_CHAMPSIM },	/* a record built below */
		{ "L 1000 4\n", 0, -1 },		/* no ls in capitals: lackey's error */
		{ "# comment\n", 0, -1 },		/* nothing claims it: lackey's error */
		{ "7 0 x\n", 0, -1 },		/* not all pages: lackey's error */
		{ "0041f7a0 12\n", 0, -1 },		/* hex is no page number */
		{ "7 0 2x\n", 0, -1 },
		{ "123456789012 1\n", 0, -1 },	/* 12 digits: above every page */
		{ "", 0, -1 },			/* empty: no records */
	};
	unsigned char cs[64] = { 0x00, 0x10, 0x40 };	/* ip 0x401000, no operands */

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *text = cases[i].text ? cases[i].text : (const char *)cs;
		size_t len = cases[i].len ? cases[i].len : strlen(text);
		int want = cases[i].fmt < 0 ? TRACE_LACKEY : cases[i].fmt;
		char path[256];
		struct vmsim_error err = { 0 };
		struct trace_reader r;
		int ret;

		for (int f = 0; f < TRACE_NR_FORMATS; f++)
			if (trace_format_probe((enum trace_format)f, text, len, true) !=
			    (f == cases[i].fmt))
				fail_msg("case %zu: the %s probe says %s", i,
					 trace_format_name((enum trace_format)f),
					 f == cases[i].fmt ? "no" : "yes");
		snprintf(path, sizeof(path), "%s", write_file("detect", text, len));
		ret = trace_open(&r, path, -1, &err);
		if (ret == 0) {
			if ((int)r.fmt != want)
				fail_msg("case %zu: %s", i, trace_format_name(r.fmt));
			trace_close(&r);
		} else if (cases[i].fmt >= 0 || !strstr(err.msg, "detect:1: expected")) {
			fail_msg("case %zu: %s", i, err.msg);
		}
	}
	for (int f = 0; f < TRACE_NR_FORMATS; f++)
		assert_int_equal(trace_format_by_name(trace_format_name((enum trace_format)f)), f);
	assert_int_equal(trace_format_by_name("pcap"), -1);
}

/* ---- compressed input ---- */

static char *sample_text(size_t *len, unsigned n)
{
	size_t cap = (size_t)n * 40;
	char *text = malloc(cap);

	assert_non_null(text);
	*len = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t addr = (uint64_t)i * 0x9e3779b1u & 0xffffffffffULL;

		*len += (size_t)snprintf(text + *len, cap - *len, "%s%llx,%u\n",
					 i % 3 ? " L " : "I  ", (unsigned long long)addr, 1 + i % 8);
	}
	return text;
}

enum { GZ, XZ, ZST, NR_COMP };
static const char *const comp_name[] = { "gzip", "xz", "zstd" };

/* @src compressed as @c, in a malloc'ed buffer; *len in and out. */
static unsigned char *compress_as(int c, const char *src, size_t *len)
{
	size_t cap = *len + *len / 2 + 4096;
	unsigned char *out = malloc(cap);

	assert_non_null(out);
	if (c == GZ) {
		z_stream z = { 0 };

		assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
				 Z_OK);
		z.next_in = (Bytef *)src;
		z.avail_in = (uInt)*len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		*len = z.total_out;
		deflateEnd(&z);
	} else if (c == XZ) {
		size_t pos = 0;

		assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL,
							 (const uint8_t *)src, *len, out, &pos, cap),
				 LZMA_OK);
		*len = pos;
	} else {
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		size_t n;

		/* with the checksum, as the zstd tool writes by default */
		ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
		n = ZSTD_compress2(cc, out, cap, src, *len);
		assert_false(ZSTD_isError(n));
		ZSTD_freeCCtx(cc);
		*len = n;
	}
	return out;
}

/* A trace bigger than the reader's buffers reads the same compressed as
 * plain, in each compression, and two concatenated streams read as one. */
static void test_trace_compressed_reads_as_plain(void **state)
{
	size_t len, clen;
	char *text = sample_text(&len, 120000);	/* ~2.3 MB: several refills */
	char path[256];
	struct digest plain, d;

	snprintf(path, sizeof(path), "%s", write_file("plain", text, len));
	plain = digest(path, -1);
	assert_int_equal(plain.ret, 0);
	assert_int_equal(plain.count, 120000);
	for (int c = 0; c < NR_COMP; c++) {
		unsigned char *z, *twice;
		struct trace_reader r;
		struct vmsim_error err = { 0 };

		clen = len;
		z = compress_as(c, text, &clen);
		snprintf(path, sizeof(path), "%s", write_file("z", (const char *)z, clen));
		d = digest(path, -1);
		if (d.ret || d.count != plain.count || d.sum != plain.sum)
			fail_msg("%s: %d %s, %llu records", comp_name[c], d.ret, d.err.msg,
				 (unsigned long long)d.count);
		assert_int_equal(d.fmt, TRACE_LACKEY);
		assert_int_equal(trace_open(&r, path, -1, &err), 0);
		assert_string_equal(trace_compression_name(r.in.comp), comp_name[c]);
		trace_close(&r);

		twice = malloc(2 * clen);
		assert_non_null(twice);
		memcpy(twice, z, clen);
		memcpy(twice + clen, z, clen);
		snprintf(path, sizeof(path), "%s", write_file("z2", (const char *)twice, 2 * clen));
		d = digest(path, -1);
		if (d.ret || d.count != 2 * plain.count)
			fail_msg("%s twice: %d %s, %llu records", comp_name[c], d.ret, d.err.msg,
				 (unsigned long long)d.count);
		free(twice);
		free(z);
	}
	free(text);
}

/* Compressed input cut anywhere or with a byte changed never reads as a
 * clean, shorter trace: it ends in an error naming the file. */
static void test_trace_compressed_damage_is_an_error(void **state)
{
	size_t len;
	char *text = sample_text(&len, 3000);

	for (int c = 0; c < NR_COMP; c++) {
		size_t clen = len;
		unsigned char *z = compress_as(c, text, &clen);
		size_t step = clen / 97 + 1;

		for (size_t cut = 1; cut < clen; cut += step) {
			char path[256];
			struct digest d;

			snprintf(path, sizeof(path), "%s", write_file("cut", (const char *)z, cut));
			d = digest(path, -1);
			if (d.ret != -EINVAL || !strstr(d.err.msg, "cut"))
				fail_msg("%s cut at %zu of %zu: %d \"%s\", %llu records", comp_name[c],
					 cut, clen, d.ret, d.err.msg, (unsigned long long)d.count);
			if (cut > 16 && !strstr(d.err.msg, "truncated") && !strstr(d.err.msg, "corrupt"))
				fail_msg("%s cut at %zu: \"%s\"", comp_name[c], cut, d.err.msg);
		}
		for (size_t at = 20; at + 8 < clen; at += step) {
			char path[256];
			struct digest d;

			z[at] ^= 0x5a;
			snprintf(path, sizeof(path), "%s", write_file("flip", (const char *)z, clen));
			z[at] ^= 0x5a;
			d = digest(path, -1);
			if (d.ret != -EINVAL || !strstr(d.err.msg, "flip"))
				fail_msg("%s byte %zu changed: %d \"%s\"", comp_name[c], at, d.ret,
					 d.err.msg);
		}
		free(z);
	}
	free(text);
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
		cmocka_unit_test(test_trace_course_formats_known_records),
		cmocka_unit_test(test_trace_course_formats_errors_name_the_line),
		cmocka_unit_test(test_trace_pages_known_records),
		cmocka_unit_test(test_trace_pages_across_refills),
		cmocka_unit_test(test_trace_champsim_known_records),
		cmocka_unit_test(test_trace_champsim_errors_name_the_record),
		cmocka_unit_test(test_trace_detection),
		cmocka_unit_test(test_trace_compressed_reads_as_plain),
		cmocka_unit_test(test_trace_compressed_damage_is_an_error),
		cmocka_unit_test(test_trace_convert_lackey_to_binary),
		cmocka_unit_test(test_trace_batch_matches_single_and_defers_errors),
		cmocka_unit_test(test_trace_not_a_trace_fails_at_open),
		cmocka_unit_test(test_trace_missing_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
