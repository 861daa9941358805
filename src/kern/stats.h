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
	/* or, with @fn, each counter to @fn until it returns non-zero (kept
	 * in @stop; the counters after it are skipped) */
	int (*fn)(const char *name, uint64_t v, void *arg);
	void *arg;
	int stop;
};

/* Emit one counter; @fmt builds the name (printf style). */
void stat_u64(struct stat_sink *s, uint64_t v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

typedef void (*stats_fn)(struct vmsim_machine *m, struct stat_sink *s);

/* A counter under its name, for every rendering that lists a structure's
 * counters (stats, the tlb and status views, replay), so that one
 * quantity has one name everywhere. */
struct stat_field {
	const char *name;
	uint64_t v;
};

struct tlb_stats;
struct fault_stats;

#define TLB_STAT_FIELDS 6	/* hits misses fills evictions flushes invlpg */
void tlb_stat_fields(const struct tlb_stats *t, struct stat_field f[TLB_STAT_FIELDS]);
#define FAULT_STAT_FIELDS 8	/* min_flt demand_zero zero_page cow cow_reuse stack_grow segv sigbus */
void fault_stat_fields(const struct fault_stats *fs, struct stat_field f[FAULT_STAT_FIELDS]);
/* @n fields as members of the open JSON object. */
void json_stat_fields(struct json_writer *jw, const struct stat_field *f, unsigned n);

/* Every registered counter to @fn, in the rendering's order: 0, or the
 * first non-zero value @fn returned (which ended the walk). */
int stats_foreach(struct vmsim_machine *m, int (*fn)(const char *name, uint64_t v, void *arg),
		  void *arg);
/* Every registered counter: text lines into @sb, or with @jw one object. */
void stats_render(struct vmsim_machine *m, struct json_writer *jw, struct strbuf *sb);

#endif
