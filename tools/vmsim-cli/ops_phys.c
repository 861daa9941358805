/*
 * Scenario ops of physical memory and the generic ones:
 *   alloc_pages { order, zone | gfp, node }   value: physical address
 *   free_pages  { page, order }                order defaults to the alloc's
 *   drain_pages { zone, node }                 every zone when no zone
 *   show        VIEW | { what, task, addr }
 *   expect      { free_pages } | { zone, node, free, nr_free, managed, pcp }
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "kern/gfpnames.h"
#include "kern/machine.h"
#include "kern/views.h"
#include "ops.h"
#include "scenario.h"
#include "util/strbuf.h"

static int op_alloc_pages(struct scn *s, struct scn_step *st)
{
	struct phys_mem *pm = &scn_machine(s)->pm;
	uint64_t order = 0, node = 0;
	const char *zone = NULL, *gfps = NULL, *bad;
	gfp_t gfp = GFP_KERNEL;
	struct page *page;
	int ret;

	if ((ret = scn_arg_u64(s, st, "order", false, &order)) < 0 ||
	    (ret = scn_arg_str(s, st, "zone", false, &zone)) < 0 ||
	    (ret = scn_arg_str(s, st, "gfp", false, &gfps)) < 0 ||
	    (ret = scn_arg_u64(s, st, "node", false, &node)) < 0)
		return ret;
	if (order > pm->max_order)
		return scn_bad(s, st, scn_arg(st, "order"), "order %llu is above max_order %u",
			       (unsigned long long)order, pm->max_order);
	if (zone && gfps)
		return scn_bad(s, st, scn_arg(st, "gfp"), "give zone or gfp, not both");
	if (zone && gfp_for_zone(zone, &gfp))
		return scn_bad(s, st, scn_arg(st, "zone"), "zone '%s': DMA, DMA32, Normal or HighMem",
			       zone);
	if (gfps && gfp_parse(gfps, &gfp, &bad))
		return scn_bad(s, st, scn_arg(st, "gfp"), "unknown GFP flag at '%s'", bad);
	if (node >= pm->nr_nodes)
		return scn_bad(s, st, scn_arg(st, "node"), "node %llu: the machine has %u node(s)",
			       (unsigned long long)node, pm->nr_nodes);
	page = alloc_pages_node(pm, (int)node, gfp, (unsigned)order);
	if (!page) {
		scn_error(st, -ENOMEM);
		return 0;
	}
	scn_value(st, page_to_phys(pm, page));
	if (scn_note_alloc(s, st->out.value, (unsigned)order))
		return -ENOMEM;
	return 0;
}

static int op_free_pages(struct scn *s, struct scn_step *st)
{
	struct phys_mem *pm = &scn_machine(s)->pm;
	uint64_t pa, order;
	unsigned known;
	struct page *page;
	int ret;

	if ((ret = scn_arg_u64(s, st, "page", true, &pa)) < 0)
		return ret;
	ret = scn_arg_u64(s, st, "order", false, &order);
	if (ret < 0)
		return ret;
	if (ret == 1) {
		if (scn_alloc_order(s, pa, &known, false))
			return scn_bad(s, st, scn_arg(st, "page"), "no alloc_pages step returned "
				       "0x%llx; give its order", (unsigned long long)pa);
		order = known;
	}
	/* a page that is free, reserved, not a block's head or of another
	 * order: Linux would report "Bad page state" (or free a neighbour's
	 * pages); the call is refused instead */
	if ((pa & (PAGE_SIZE - 1)) || order > pm->max_order ||
	    !free_pages_allowed(pm, (unsigned long)(pa >> PAGE_SHIFT), (unsigned)order)) {
		scn_error(st, -EINVAL);
		return 0;
	}
	page = pfn_to_page(pm, (unsigned long)(pa >> PAGE_SHIFT));
	scn_alloc_order(s, pa, &known, true);
	__free_pages(pm, page, (unsigned)order);
	st->out.kind = OUT_NONE;
	return 0;
}

static int op_show(struct scn *s, struct scn_step *st)
{
	struct view_args va = { 0 };
	const char *what = NULL;
	struct strbuf sb = STRBUF_INIT;
	struct json_writer *jw;
	uint64_t addr;
	int ret;

	if (st->args && st->args->type == YNODE_SCALAR) {
		what = st->args->scalar;
	} else if (st->args && st->args->type == YNODE_MAP) {
		struct task_struct *t;

		if ((ret = scn_arg_str(s, st, "what", true, &what)) < 0 ||
		    (ret = scn_arg_str(s, st, "cgroup", false, &va.cgroup)) < 0 ||
		    (ret = scn_arg_str(s, st, "task", false, &va.task)) < 0 ||
		    (ret = scn_arg_task(s, st, "task", false, &t)) < 0)
			return ret;
		ret = scn_arg_u64(s, st, "addr", false, &addr);
		if (ret < 0)
			return ret;
		if (ret == 0) {
			va.has_addr = true;
			va.addr = addr;
		}
	} else {
		return scn_bad(s, st, st->args, "show: a view name, or { what: VIEW, task: T } "
			       "or { what: VIEW, cgroup: C }");
	}
	jw = scn_output(s);
	if (jw) {
		json_object_begin(jw);
		json_key_str(jw, "view", what);
		json_key(jw, "data");
		ret = view_json(scn_machine(s), what, &va, jw, &sb);
		json_object_end(jw);
	} else {
		ret = view_render(scn_machine(s), what, &va, false, &sb);
	}
	if (ret == -ENOENT) {
		struct strbuf names = STRBUF_INIT;
		view_names(&names);
		ret = scn_bad(s, st, st->args, "no view '%s' (views: %s)", what, sb_str(&names));
		sb_free(&names);
		sb_free(&sb);
		return ret;
	}
	if (ret) {
		ret = scn_bad(s, st, st->args, "show %s: %s", what, sb_str(&sb));
		sb_free(&sb);
		return ret;
	}
	if (sb.oom) {
		sb_free(&sb);
		return -ENOMEM;
	}
	if (!jw) {
		scn_printf(s, "# step %d: show %s\n", st->index, what);
		scn_print(s, sb_str(&sb));
	}
	sb_free(&sb);
	return 0;
}

static struct zone *find_zone(struct phys_mem *pm, unsigned nid, const char *name)
{
	for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
		struct zone *z = &pm->node_data[nid].node_zones[t];
		if (z->name && strcasecmp(z->name, name) == 0)
			return z;
	}
	return NULL;
}

/* `zone` (+ `node`) of a step: NULL and 0 when the step names no zone,
 * -EINVAL after a message when it names one that is not there. */
static int step_zone(struct scn *s, struct scn_step *st, struct zone **out)
{
	struct phys_mem *pm = &scn_machine(s)->pm;
	const char *zname = NULL;
	uint64_t nid = 0;
	int ret;

	*out = NULL;
	if ((ret = scn_arg_str(s, st, "zone", false, &zname)) < 0 ||
	    (ret = scn_arg_u64(s, st, "node", false, &nid)) < 0)
		return ret;
	if (nid >= pm->nr_nodes)
		return scn_bad(s, st, scn_arg(st, "node"), "node %llu: the machine has %u node(s)",
			       (unsigned long long)nid, pm->nr_nodes);
	if (zname) {
		*out = find_zone(pm, (unsigned)nid, zname);
		if (!*out || !populated_zone(*out))
			return scn_bad(s, st, scn_arg(st, "zone"), "no populated zone '%s' on node %llu",
				       zname, (unsigned long long)nid);
	}
	return 0;
}

/* drain_all_pages(): the per-CPU lists of one zone, or of all, back to the
 * buddy lists.  The outcome is the number of pages drained. */
static int op_drain_pages(struct scn *s, struct scn_step *st)
{
	struct phys_mem *pm = &scn_machine(s)->pm;
	unsigned long before = nr_free_pages(pm);
	struct zone *z;
	int ret;

	if ((ret = step_zone(s, st, &z)) < 0)
		return ret;
	drain_all_pages(pm, z);
	scn_value(st, nr_free_pages(pm) - before);
	return 0;
}

static void expect_num(struct scn *s, struct scn_step *st, const char *what,
		       unsigned long want, unsigned long got)
{
	char w[96];

	if (want != got) {
		snprintf(w, sizeof(w), "%s %lu", what, want);
		scn_mismatch(s, st, w, "%lu", got);
	}
}

/* The phys part of `expect`: free_pages, zone (+node): free, managed, nr_free. */
static int expect_phys(struct scn *s, struct scn_step *st)
{
	struct phys_mem *pm = &scn_machine(s)->pm;
	uint64_t v;
	const struct ynode *n;
	struct zone *z;
	int ret;

	if ((ret = step_zone(s, st, &z)) < 0)
		return ret;
	if (scn_arg_u64(s, st, "free_pages", false, &v) == 0) {
		expect_num(s, st, "free_pages", v, nr_free_pages(pm));
		scn_checked(s);
	}
	if ((scn_arg(st, "free") || scn_arg(st, "nr_free") || scn_arg(st, "managed") ||
	     scn_arg(st, "pcp")) && !z)
		return scn_bad(s, st, st->args, "free, nr_free, managed and pcp need a zone");
	if ((ret = scn_arg_u64(s, st, "free", false, &v)) == 0) {
		expect_num(s, st, "free", v, z->free_pages);
		scn_checked(s);
	} else if (ret < 0)
		return ret;
	if ((ret = scn_arg_u64(s, st, "managed", false, &v)) == 0) {
		expect_num(s, st, "managed", v, z->managed_pages);
		scn_checked(s);
	} else if (ret < 0)
		return ret;
	if ((ret = scn_arg_u64(s, st, "pcp", false, &v)) == 0) {
		expect_num(s, st, "pcp", v, zone_pcp_pages(pm, z));
		scn_checked(s);
	} else if (ret < 0)
		return ret;
	n = scn_arg(st, "nr_free");
	if (n) {
		char want[256], got[256];
		size_t wu = 0, gu = 0;
		bool same = true;

		if (n->type != YNODE_SEQ || n->n != pm->max_order + 1)
			return scn_bad(s, st, n, "nr_free: a list of %u counts, orders 0..%u",
				       pm->max_order + 1, pm->max_order);
		for (size_t o = 0; o < n->n; o++) {
			if (scn_node_u64(s, st, n->items[o], &v))
				return -EINVAL;
			same &= v == z->free_area[o].nr_free;
			wu += (size_t)snprintf(want + wu, sizeof(want) - wu, "%s%llu", o ? " " : "[",
					       (unsigned long long)v);
			gu += (size_t)snprintf(got + gu, sizeof(got) - gu, "%s%lu", o ? " " : "[",
					       z->free_area[o].nr_free);
		}
		snprintf(want + wu, sizeof(want) - wu, "]");
		snprintf(got + gu, sizeof(got) - gu, "]");
		if (!same)
			scn_mismatch(s, st, want, "%s", got);
		scn_checked(s);
	}
	return 0;
}

/* `expect: { key: value, ... }`: every key must belong to some part. */
static int op_expect(struct scn *s, struct scn_step *st)
{
	size_t nparts;
	const struct scn_expect_part *const *parts = scn_expect_parts(&nparts);
	int ret;

	st->expect_done = true;
	if (!st->args || st->args->type != YNODE_MAP || st->args->n == 0)
		return scn_bad(s, st, st->args, "expect: a mapping of quantities to check");
	for (size_t i = 0; i < st->args->n; i++) {
		const struct ynode *k = ymap_key(st->args, i);
		bool known = false;
		struct strbuf all = STRBUF_INIT;

		for (size_t p = 0; p < nparts && !known; p++)
			for (const char *const *key = parts[p]->keys; *key && !known; key++)
				known = strcmp(*key, k->scalar) == 0;
		if (known)
			continue;
		for (size_t p = 0; p < nparts; p++)
			for (const char *const *key = parts[p]->keys; *key; key++)
				sb_printf(&all, "%s%s", all.len ? ", " : "", *key);
		ret = scn_bad(s, st, k, "expect: unknown quantity '%s' (%s)", k->scalar, sb_str(&all));
		sb_free(&all);
		return ret;
	}
	for (size_t p = 0; p < nparts; p++) {
		ret = parts[p]->fn(s, st);
		if (ret)
			return ret;
	}
	return 0;
}

static const char *const alloc_keys[] = { "order", "zone", "gfp", "node", NULL };
static const char *const free_keys[] = { "page", "order", NULL };
static const char *const drain_keys[] = { "zone", "node", NULL };
static const char *const show_keys[] = { "what", "task", "addr", "cgroup", NULL };
static const char *const expect_keys[] = { "free_pages", "zone", "node", "free", "nr_free",
					   "managed", "pcp", NULL };

const struct scn_expect_part scn_expect_phys = { expect_keys, expect_phys };

const struct scn_op scn_ops_phys[] = {
	{ "alloc_pages", op_alloc_pages, alloc_keys },
	{ "free_pages", op_free_pages, free_keys },
	{ "drain_pages", op_drain_pages, drain_keys },
	{ "show", op_show, show_keys },
	{ "expect", op_expect, NULL },	/* keys: every part's */
	{ NULL, NULL, NULL },
};
