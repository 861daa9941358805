/*
 * bench_decompress: what reading a compressed trace costs, beside the same
 * trace read plain, in the same run (these machines drift, so only
 * same-run ratios mean anything).
 *
 *   read     trace_read_batch() over the whole trace        gzip/xz/zstd vs plain
 *   replay   read + TLB + walks + faults through one task    gzip/xz/zstd vs plain
 *
 * The trace is lackey text: the records of tests/traces/true-start.lackey
 * (run from the source root; or a lackey file named on the command line)
 * written again and again to ~40 MB, each copy's addresses changed in
 * their low bits, so the compressors meet a real trace's entropy rather
 * than one long repeat.  It is compressed here with each library's
 * default level (gzip 6, xz 6, zstd 3), as the command-line tools would.
 * Best of 3.
 *
 * usage: bench_decompress [LACKEY_TRACE]
 */
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "bench.h"

static void die(const char *what)
{
	fprintf(stderr, "bench_decompress: %s\n", what);
	exit(1);
}

static void spill(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		die("cannot write a temporary file");
}

/* @src compressed by compressor @c (0 gzip, 1 xz, 2 zstd) into a malloc'ed buffer. */
static unsigned char *compress_as(int c, const char *src, size_t len, size_t *out_len)
{
	size_t cap = len + len / 2 + 65536;
	unsigned char *out = malloc(cap);

	if (!out)
		die("out of memory");
	if (c == 0) {
		z_stream z = { 0 };

		if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			die("deflateInit2");
		z.next_in = (Bytef *)src;
		z.avail_in = (uInt)len;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		if (deflate(&z, Z_FINISH) != Z_STREAM_END)
			die("deflate");
		*out_len = z.total_out;
		deflateEnd(&z);
	} else if (c == 1) {
		*out_len = 0;
		if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)src, len, out,
					    out_len, cap) != LZMA_OK)
			die("lzma_easy_buffer_encode");
	} else {
		ZSTD_CCtx *cc = ZSTD_createCCtx();

		ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
		*out_len = ZSTD_compress2(cc, out, cap, src, len);
		if (ZSTD_isError(*out_len))
			die("ZSTD_compress2");
		ZSTD_freeCCtx(cc);
	}
	return out;
}

static double read_only(const char *path, unsigned long long *n)
{
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	struct trace_rec recs[256];
	uint64_t sum = 0;
	double t0 = bench_now();
	long got;

	*n = 0;
	if (trace_open(&r, path, -1, &err))
		die(err.msg);
	while ((got = trace_read_batch(&r, recs, 256, &err)) > 0)
		for (long i = 0; i < got; i++, (*n)++)
			sum += recs[i].addr ^ recs[i].size;	/* keep the work */
	trace_close(&r);
	if (got < 0)
		die(err.msg);
	if (sum == 42)
		fputc(' ', stderr);
	return bench_now() - t0;
}

/* The records of @src printed as lackey lines again and again up to @want
 * bytes, copy k's addresses XORed with a hash of (k, line) in bits 3..11. */
static char *varied_copies(const char *src, size_t want, size_t *len)
{
	struct vmsim_error err = { 0 };
	size_t cap = want + 4096, n = 0;
	char *text = malloc(cap);
	static const char *const pre[] = { "I  ", " L ", " S ", " M " };

	if (!text)
		die("out of memory");
	for (uint64_t k = 0; n < want; k++) {
		struct trace_reader r;
		struct trace_rec rec;
		uint64_t line = 0;

		if (trace_open(&r, src, TRACE_LACKEY, &err))
			die(err.msg);
		while (n < want && trace_next(&r, &rec, &err) == 1) {
			uint64_t h = (k * 0x9e3779b97f4a7c15ULL) ^ (++line * 0xc2b2ae3d27d4eb4fULL);

			h ^= h >> 29;
			n += (size_t)snprintf(text + n, cap - n, "%s%llx,%u\n", pre[rec.type],
					      (unsigned long long)(rec.addr ^ (h & 0xff8)), rec.size);
		}
		trace_close(&r);
	}
	*len = n;
	return text;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "plain", "gzip", "xz", "zstd" };
	char dir[] = "/tmp/vmsim-bench-XXXXXX", paths[4][320];
	const char *src = argc > 1 ? argv[1] : "tests/traces/true-start.lackey";
	double rd[4], rp[4];
	unsigned long long n[4];
	size_t total, clen[4];
	char *text;

	if (!mkdtemp(dir))
		die("mkdtemp");
	text = varied_copies(src, 40000000, &total);
	for (int c = 0; c < 4; c++) {
		unsigned char *z = c ? compress_as(c - 1, text, total, &clen[c]) : NULL;

		snprintf(paths[c], sizeof(paths[c]), "%s/trace.%s", dir, names[c]);
		spill(paths[c], c ? (const void *)z : text, c ? clen[c] : total);
		if (!c)
			clen[c] = total;
		free(z);
		rd[c] = rp[c] = 1e30;
	}
	for (int round = 0; round < 3; round++)
		for (int c = 0; c < 4; c++) {
			double a = read_only(paths[c], &n[c]), b = bench_replay_trace("bench_decompress", paths[c], NULL, NULL);

			rd[c] = a < rd[c] ? a : rd[c];
			rp[c] = b < rp[c] ? b : rp[c];
		}
	printf("trace: %s's records, varied, to %.1f MB, %llu accesses\n", src, total / 1e6, n[0]);
	printf("%-6s %10s %9s %12s %8s %12s %8s\n", "", "bytes", "ratio", "read M/s", "vs plain",
	       "replay M/s", "vs plain");
	for (int c = 0; c < 4; c++) {
		if (n[c] != n[0])
			die("a compressed trace read differently");
		printf("%-6s %10zu %8.1fx %12.1f %7.2fx %12.1f %7.2fx\n", names[c], clen[c],
		       (double)total / (double)clen[c], n[c] / rd[c] / 1e6, rd[c] / rd[0],
		       n[c] / rp[c] / 1e6, rp[c] / rp[0]);
	}
	for (int c = 0; c < 4; c++)
		unlink(paths[c]);
	rmdir(dir);
	free(text);
	return 0;
}
