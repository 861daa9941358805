/*
 * Fuzz target: any bytes as a trace (any format, compressed or not,
 * detected); every record is read until the end or the first error, which
 * must be a clean message naming the line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_tmpfile.h"
#include "util/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/vmsim-fuzz-XXXXXX";
	struct vmsim_error err = { 0 };
	struct trace_reader r;
	struct trace_rec rec;
	int ret;

	if (!fuzz_tmpfile(path, 0, data, size))
		return 0;
	if (trace_open(&r, path, -1, &err) == 0) {
		while ((ret = trace_next(&r, &rec, &err)) == 1)
			;
		if (ret < 0 && (!err.msg[0] || strchr(err.msg, '\n')))
			__builtin_trap();	/* an error must be one line */
		trace_close(&r);
	}
	unlink(path);
	return 0;
}
