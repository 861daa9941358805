/*
 * View slabinfo: /proc/slabinfo as mm/slab_common.c prints it
 * (print_slabinfo_header(), cache_show()), one line per live cache,
 * newest first as slab_caches is ordered.  SLUB has no per-cache
 * tunables, so those columns are zeros as in Linux; active_slabs equals
 * num_slabs because SLUB counts every slab as active.
 *
 * JSON: { "caches": [ {name, the same columns, object_size, align,
 * offset, allocs, frees, slab allocs/frees, errors} ], "slab_pages",
 * "reclaimable_pages", "large_kmalloc_pages", "errors" } — the text's
 * numbers plus the statistics only /sys/kernel/slab would show.
 *
 * Invariant: text and JSON come from the same get_slabinfo() numbers, so
 * the two never disagree; rendering changes no allocator state.
 */
#include "kern/views.h"

#include <errno.h>

#include "kern/machine.h"
#include "phys/slab.h"

static void cache_show(const struct kmem_cache *s, struct strbuf *sb)
{
	struct slabinfo si;

	get_slabinfo(s, &si);
	sb_printf(sb, "%-17s %6lu %6lu %6u %4u %4d", s->name, si.active_objs, si.num_objs,
		  si.objsize, si.objects_per_slab, 1 << si.cache_order);
	sb_printf(sb, " : tunables %4u %4u %4u", 0u, 0u, 0u);
	sb_printf(sb, " : slabdata %6lu %6lu %6lu", si.active_slabs, si.num_slabs, 0UL);
	sb_putc(sb, '\n');
}

static void cache_json(const struct kmem_cache *s, struct json_writer *jw)
{
	struct slabinfo si;

	get_slabinfo(s, &si);
	json_object_begin(jw);
	json_key_str(jw, "name", s->name);
	json_key_u64(jw, "active_objs", si.active_objs);
	json_key_u64(jw, "num_objs", si.num_objs);
	json_key_u64(jw, "objsize", si.objsize);
	json_key_u64(jw, "objperslab", si.objects_per_slab);
	json_key_u64(jw, "pagesperslab", 1u << si.cache_order);
	json_key_u64(jw, "active_slabs", si.active_slabs);
	json_key_u64(jw, "num_slabs", si.num_slabs);
	json_key_u64(jw, "object_size", s->object_size);
	json_key_u64(jw, "align", s->align);
	json_key_u64(jw, "offset", s->offset);
	json_key_u64(jw, "order", s->order);
	json_key_u64(jw, "allocs", s->stat.alloc);
	json_key_u64(jw, "frees", s->stat.free);
	json_key_u64(jw, "alloc_slab", s->stat.alloc_slab);
	json_key_u64(jw, "free_slab", s->stat.free_slab);
	json_key_u64(jw, "alloc_fail", s->stat.alloc_fail);
	json_key_u64(jw, "errors", s->stat.errors);
	json_object_end(jw);
}

static int slabinfo(struct vmsim_machine *m, const struct view_args *a, struct json_writer *jw,
		    struct strbuf *sb)
{
	struct slab_state *ss = m->pm.slab;
	const struct kmem_cache *s;

	(void)a;
	if (!ss) {
		sb_puts(sb, "the slab allocator is not initialized");
		return -ENODEV;
	}
	if (jw) {
		json_object_begin(jw);
		json_key(jw, "caches");
		json_array_begin(jw);
		list_for_each_entry(s, &ss->slab_caches, list)
			cache_json(s, jw);
		json_array_end(jw);
		json_key_u64(jw, "slab_pages", ss->nr_slab_pages);
		json_key_u64(jw, "reclaimable_pages", ss->nr_slab_reclaimable);
		json_key_u64(jw, "large_kmalloc_pages", ss->nr_large_kmalloc_pages);
		json_key_u64(jw, "errors", ss->nr_errors);
		json_object_end(jw);
		return 0;
	}
	sb_puts(sb, "slabinfo - version: 2.1\n");
	sb_puts(sb, "# name            <active_objs> <num_objs> <objsize> <objperslab> "
		    "<pagesperslab>");
	sb_puts(sb, " : tunables <limit> <batchcount> <sharedfactor>");
	sb_puts(sb, " : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	list_for_each_entry(s, &ss->slab_caches, list)
		cache_show(s, sb);
	return 0;
}

const struct view views_slab[] = {
	{ "slabinfo", slabinfo },
	{ NULL, NULL },
};
