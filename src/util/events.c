/* The event log (see events.h).  Invariant: seq counts the events emitted. */
#include "util/events.h"

#include <stdarg.h>

void ev_emit(struct event_log *ev, const char *kind, const char *fmt, ...)
{
	va_list ap;

	if (ev->fn) {
		char fields[512];

		va_start(ap, fmt);
		vsnprintf(fields, sizeof(fields), fmt, ap);
		va_end(ap);
		ev->fn(ev->seq + 1, kind, ev->task, fields, ev->fn_arg);
		if (!ev->f) {
			ev->seq++;
			return;
		}
	}
	fprintf(ev->f, "%llu %s", (unsigned long long)++ev->seq, kind);
	if (ev->task)
		fprintf(ev->f, " task=%s", ev->task);
	fputc(' ', ev->f);
	va_start(ap, fmt);
	vfprintf(ev->f, fmt, ap);
	va_end(ap);
	fputc('\n', ev->f);
}
