/*
 * The event log (--trace-events FILE): one line per page allocation and
 * free, fault, TLB fill and flush, VMA change, each with a sequence number,
 * the event's kind and key=value fields ("task=a addr=0x7ffff7ff0000"), so
 * a reader can follow why something happened.  docs/output-formats.md lists
 * the kinds and fields.
 *
 * Every layer holds a `struct event_log *` that is NULL when logging is off;
 * the hot paths test that pointer and nothing else.
 */
#ifndef VMSIM_UTIL_EVENTS_H
#define VMSIM_UTIL_EVENTS_H

#include <stdint.h>
#include <stdio.h>

/* A subscriber of the public API: the event as vmsim_event_fn gets it. */
typedef void (*event_fn)(uint64_t seq, const char *kind, const char *task, const char *fields,
			 void *arg);

struct event_log {
	FILE *f;		/* or NULL with @fn */
	event_fn fn;		/* NULL, or called with each event */
	void *fn_arg;
	uint64_t seq;		/* events written so far */
	const char *task;	/* the current task's name, or NULL (kernel) */
};

/* Write "SEQ KIND[ task=T] FIELDS\n" to @f, and hand the event to @fn. */
void ev_emit(struct event_log *ev, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define EV(ev, kind, ...)                                   \
	do {                                                \
		if (__builtin_expect((ev) != NULL, 0))      \
			ev_emit((ev), (kind), __VA_ARGS__); \
	} while (0)

#endif
