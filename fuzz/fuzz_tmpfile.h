/*
 * For fuzz targets whose code under test reads files: the input bytes as a
 * temporary file.  @path is a mkstemps() template ending in @suffix_len
 * characters of suffix; true when the file holds exactly @data.
 */
#ifndef VMSIM_FUZZ_TMPFILE_H
#define VMSIM_FUZZ_TMPFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static inline bool fuzz_tmpfile(char *path, int suffix_len, const uint8_t *data, size_t size)
{
	int fd = mkstemps(path, suffix_len);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, data, size) == (ssize_t)size;
	close(fd);
	if (!ok)
		unlink(path);
	return ok;
}

#endif
