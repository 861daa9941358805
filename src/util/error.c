/* Error reporting (see error.h). */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>

int verr(struct vmsim_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err || err->code)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int verr_at(struct vmsim_error *err, int code, const char *file, int line,
	    int col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || err->code)
		return code;
	err->code = code;
	if (col > 0)
		n = snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: ", file, line, col);
	else
		n = snprintf(err->msg, sizeof(err->msg), "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		return code;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}
