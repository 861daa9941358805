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

static void cache_json(const struct kmem_cache *s, struct strbuf *sb)
{
	struct slabinfo si;

	get_slabinfo(s, &si);
	sb_puts(sb, "{\"name\":");
	sb_json_str(sb, s->name);
	sb_printf(sb, ",\"active_objs\":%lu,\"num_objs\":%lu,\"objsize\":%u,\"objperslab\":%u,"
		      "\"pagesperslab\":%d,\"active_slabs\":%lu,\"num_slabs\":%lu,"
		      "\"object_size\":%u,\"align\":%u,\"offset\":%u,\"order\":%u,"
		      "\"allocs\":%lu,\"frees\":%lu,\"alloc_slab\":%lu,\"free_slab\":%lu,"
		      "\"alloc_fail\":%lu,\"errors\":%lu}",
		  si.active_objs, si.num_objs, si.objsize, si.objects_per_slab, 1 << si.cache_order,
		  si.active_slabs, si.num_slabs, s->object_size, s->align, s->offset, s->order,
		  s->stat.alloc, s->stat.free, s->stat.alloc_slab, s->stat.free_slab,
		  s->stat.alloc_fail, s->stat.errors);
}

static int slabinfo(struct vmsim_machine *m, const struct view_args *a, bool json,
		    struct strbuf *sb)
{
	struct slab_state *ss = m->pm.slab;
	const struct kmem_cache *s;
	bool first = true;

	(void)a;
	if (!ss) {
		sb_puts(sb, "the slab allocator is not initialized");
		return -ENODEV;
	}
	if (json) {
		sb_puts(sb, "{\"caches\":[");
		list_for_each_entry(s, &ss->slab_caches, list) {
			if (!first)
				sb_putc(sb, ',');
			cache_json(s, sb);
			first = false;
		}
		sb_printf(sb, "],\"slab_pages\":%lu,\"reclaimable_pages\":%lu,"
			      "\"large_kmalloc_pages\":%lu,\"errors\":%lu}",
			  ss->nr_slab_pages, ss->nr_slab_reclaimable, ss->nr_large_kmalloc_pages,
			  ss->nr_errors);
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
