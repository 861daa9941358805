/*
 * Filling a struct vmsim_error.  The first error wins: once set, later calls
 * leave it alone, so the innermost, most precise message is the one shown.
 */
#ifndef VMSIM_UTIL_ERROR_H
#define VMSIM_UTIL_ERROR_H

#include "vmsim/error.h"

/* Set @err (if non-NULL and clear) and return @code (a negative errno). */
int verr(struct vmsim_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, prefixed with "FILE:LINE:COL: " (col 0 omits the column). */
int verr_at(struct vmsim_error *err, int code, const char *file, int line,
	    int col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static inline void verr_clear(struct vmsim_error *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

#endif
