/* The event log (see events.h).  Invariant: seq counts the lines written. */
#include "util/events.h"

#include <stdarg.h>

void ev_emit(struct event_log *ev, const char *kind, const char *fmt, ...)
{
	va_list ap;

	fprintf(ev->f, "%llu %s", (unsigned long long)++ev->seq, kind);
	if (ev->task)
		fprintf(ev->f, " task=%s", ev->task);
	fputc(' ', ev->f);
	va_start(ap, fmt);
	vfprintf(ev->f, fmt, ap);
	va_end(ap);
	fputc('\n', ev->f);
}
