/*
 * The machine's statistics registry: every counter of every layer under
 * one stable name ("pgalloc_normal", "cpu0.tlb.l1d.misses", ...), rendered
 * as "name value" lines (like /proc/vmstat) or as one flat JSON object with
 * the same names.  Each layer contributes a function listed in stats.c;
 * names are documented in docs/output-formats.md.
 */
#ifndef VMSIM_KERN_STATS_H
#define VMSIM_KERN_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/json.h"
#include "util/strbuf.h"

struct vmsim_machine;

struct stat_sink {
	struct json_writer *jw;	/* members of one object; NULL: text lines */
	struct strbuf *sb;
};

/* Emit one counter; @fmt builds the name (printf style). */
void stat_u64(struct stat_sink *s, uint64_t v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

typedef void (*stats_fn)(struct vmsim_machine *m, struct stat_sink *s);

/* Every registered counter: text lines into @sb, or with @jw one object. */
void stats_render(struct vmsim_machine *m, struct json_writer *jw, struct strbuf *sb);

#endif
