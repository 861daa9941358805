/*
 * Scenario ops of the slab allocator (src/phys/slab.c):
 *   kmalloc            { size, gfp }               value: kernel address
 *   kzalloc            { size, gfp }               value: kernel address
 *   kfree              { addr }
 *   ksize              { addr }                    value: usable size
 *   kmem_cache_create  { name, size, align, flags } value: the cache's
 *                      struct kmem_cache address (an object of "kmem_cache")
 *   kmem_cache_alloc   { cache, gfp }              value: kernel address
 *   kmem_cache_free    { cache, addr }
 *   kmem_cache_shrink  { cache }                   value: slabs freed
 *   kmem_cache_destroy { cache }
 *   get_freepointer    { cache, addr }             value: the free pointer
 *                      stored in a free object (read from simulated RAM)
 *   slabinfo           { cache, expect: { active_objs, num_objs, ... } }
 *                      checks one cache's numbers (or slab_pages without
 *                      cache)
 * Addresses are the direct map's kernel virtual addresses.  A call the
 * allocator refuses (double free, foreign pointer, destroyed cache, live
 * objects at destroy) or cannot serve gives `error: EINVAL/EBUSY/ENOMEM`
 * and prints the allocator's one-line report; a cache name no step ever
 * created is a scenario error (exit 2).
 *
 * Invariant: whatever the arguments, an op leaves the allocator as
 * check_slab_caches() wants it; a refused call changes nothing but the
 * error counters.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "kern/gfpnames.h"
#include "kern/machine.h"
#include "ops.h"
#include "phys/slab.h"
#include "scenario.h"
#include "util/strbuf.h"

#define ZERO_SIZE_PTR 16	/* kmalloc(0): Linux's ((void *)16) */

static struct phys_mem *pm_of(struct scn *s)
{
	return &scn_machine(s)->pm;
}

/* Print the allocator's last report under the step (text), or keep it
 * with the step's output (JSON). */
static void report(struct scn *s, struct scn_step *st)
{
	const char *msg = pm_of(s)->slab->err_msg;
	struct json_writer *jw = scn_output(s);

	if (jw) {
		json_object_begin(jw);
		json_key_str(jw, "message", msg);
		json_object_end(jw);
	} else {
		scn_printf(s, "# step %d: %s\n", st->index, msg);
	}
}

/* The outcome of a library call that returns 0 or a negative errno. */
static void set_result(struct scn *s, struct scn_step *st, int ret)
{
	if (ret) {
		scn_error(st, ret);
		report(s, st);
	} else {
		st->out.kind = OUT_NONE;
	}
}

static int arg_gfp(struct scn *s, struct scn_step *st, gfp_t *gfp)
{
	const char *gfps = NULL, *bad;
	int ret;

	*gfp = GFP_KERNEL;
	if ((ret = scn_arg_str(s, st, "gfp", false, &gfps)) < 0)
		return ret;
	if (gfps && gfp_parse(gfps, gfp, &bad))
		return scn_bad(s, st, scn_arg(st, "gfp"), "unknown GFP flag at '%s'", bad);
	return 0;
}

/*
 * The cache named by `cache:`.  A destroyed one is returned too (the call
 * on it is what reports the error); one whose kmem_cache_create failed
 * makes the step not run; a name never created is bad input.
 */
static int arg_cache(struct scn *s, struct scn_step *st, struct kmem_cache **out)
{
	struct phys_mem *pm = pm_of(s);
	const char *name;
	int ret;

	if ((ret = scn_arg_str(s, st, "cache", true, &name)) < 0)
		return ret;
	*out = kmem_cache_find(pm, name);
	if (!*out)
		*out = kmem_cache_find_dead(pm, name);
	if (*out)
		return 0;
	ret = scn_check_lost(s, st, SCN_CACHE, name, scn_arg(st, "cache"));
	if (ret)
		return ret;
	return scn_bad(s, st, scn_arg(st, "cache"), "no cache '%s' (kmem_cache_create it "
		       "first, or name a kmalloc-N cache)", name);
}

/* `addr:` as a host pointer into lowmem; NULL with st->out set to
 * -EINVAL when the address is outside the direct map. */
static int arg_object(struct scn *s, struct scn_step *st, void **out, uint64_t *ka)
{
	int ret;

	if ((ret = scn_arg_u64(s, st, "addr", true, ka)) < 0)
		return ret;
	*out = kaddr_to_ptr(pm_of(s), *ka);
	return 0;
}

static int do_kmalloc(struct scn *s, struct scn_step *st, bool zero)
{
	struct phys_mem *pm = pm_of(s);
	uint64_t size;
	gfp_t gfp;
	void *p;
	int ret;

	if ((ret = scn_arg_u64(s, st, "size", true, &size)) < 0 || (ret = arg_gfp(s, st, &gfp)))
		return ret;
	if (size == 0) {
		scn_value(st, ZERO_SIZE_PTR);
		return 0;
	}
	p = kmalloc(pm, (size_t)size, zero ? gfp | __GFP_ZERO : gfp);
	if (!p) {
		scn_error(st, -ENOMEM);
		return 0;
	}
	scn_value(st, ptr_to_kaddr(pm, p));
	return 0;
}

static int op_kmalloc(struct scn *s, struct scn_step *st)
{
	return do_kmalloc(s, st, false);
}

static int op_kzalloc(struct scn *s, struct scn_step *st)
{
	return do_kmalloc(s, st, true);
}

static int op_kfree(struct scn *s, struct scn_step *st)
{
	struct phys_mem *pm = pm_of(s);
	uint64_t ka;
	void *p;
	int ret;

	if ((ret = arg_object(s, st, &p, &ka)))
		return ret;
	if (ka == 0 || ka == ZERO_SIZE_PTR) {
		st->out.kind = OUT_NONE;	/* kfree(NULL), kfree(ZERO_SIZE_PTR) */
		return 0;
	}
	if (!p) {
		snprintf(pm->slab->err_msg, sizeof(pm->slab->err_msg),
			 "kfree: 0x%llx is not a direct-map address", (unsigned long long)ka);
		pm->slab->nr_errors++;
		set_result(s, st, -EINVAL);
		return 0;
	}
	set_result(s, st, kfree(pm, p));
	return 0;
}

static int op_ksize(struct scn *s, struct scn_step *st)
{
	uint64_t ka;
	void *p;
	size_t n;
	int ret;

	if ((ret = arg_object(s, st, &p, &ka)))
		return ret;
	n = p ? ksize(pm_of(s), p) : 0;
	if (!n)
		scn_error(st, -EINVAL);
	else
		scn_value(st, n);
	return 0;
}

static const struct { const char *name; slab_flags_t flag; } flag_names[] = {
	{ "SLAB_HWCACHE_ALIGN", SLAB_HWCACHE_ALIGN }, { "SLAB_POISON", SLAB_POISON },
	{ "SLAB_CACHE_DMA", SLAB_CACHE_DMA }, { "SLAB_CACHE_DMA32", SLAB_CACHE_DMA32 },
	{ "SLAB_PANIC", SLAB_PANIC }, { "SLAB_TYPESAFE_BY_RCU", SLAB_TYPESAFE_BY_RCU },
	{ "SLAB_RECLAIM_ACCOUNT", SLAB_RECLAIM_ACCOUNT }, { "SLAB_ACCOUNT", SLAB_ACCOUNT },
};

/* One flag name, with or without the SLAB_ prefix, any case. */
static bool parse_flag(const char *name, slab_flags_t *out)
{
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (strcasecmp(name, flag_names[i].name) == 0 ||
		    strcasecmp(name, flag_names[i].name + 5) == 0) {
			*out |= flag_names[i].flag;
			return true;
		}
	return false;
}

static int arg_flags(struct scn *s, struct scn_step *st, slab_flags_t *flags)
{
	const struct ynode *n = scn_arg(st, "flags");

	*flags = 0;
	if (!n)
		return 0;
	if (n->type == YNODE_SCALAR && *n->scalar == '\0')
		return 0;
	if (n->type == YNODE_SCALAR) {
		if (!parse_flag(n->scalar, flags))
			return scn_bad(s, st, n, "unknown slab flag '%s' (hwcache_align, poison, "
				       "cache_dma, cache_dma32, typesafe_by_rcu, reclaim_account, "
				       "account, panic)", n->scalar);
		return 0;
	}
	if (n->type != YNODE_SEQ)
		return scn_bad(s, st, n, "flags: a list of SLAB_ flag names");
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *f = n->items[i];

		if (f->type != YNODE_SCALAR || !parse_flag(f->scalar, flags))
			return scn_bad(s, st, f, "unknown slab flag '%s' (hwcache_align, poison, "
				       "cache_dma, cache_dma32, typesafe_by_rcu, reclaim_account, "
				       "account, panic)", f->type == YNODE_SCALAR ? f->scalar : "?");
	}
	return 0;
}

static int op_kmem_cache_create(struct scn *s, struct scn_step *st)
{
	struct phys_mem *pm = pm_of(s);
	const char *name;
	uint64_t size, align = 0;
	slab_flags_t flags;
	struct kmem_cache *c;
	int ret;

	if ((ret = scn_arg_str(s, st, "name", true, &name)) < 0 ||
	    (ret = scn_arg_u64(s, st, "size", true, &size)) < 0 ||
	    (ret = scn_arg_u64(s, st, "align", false, &align)) < 0 ||
	    (ret = arg_flags(s, st, &flags)))
		return ret;
	if (size > UINT32_MAX || align > UINT32_MAX) {
		scn_error(st, -EINVAL);
		scn_note_lost(s, st, SCN_CACHE, name);
		return 0;
	}
	c = kmem_cache_create(pm, name, (unsigned)size, (unsigned)align, flags);
	if (!c) {
		scn_error(st, pm->slab->last_err ? pm->slab->last_err : -ENOMEM);
		scn_note_lost(s, st, SCN_CACHE, name);	/* later steps naming it are not run */
		return 0;
	}
	scn_value(st, ptr_to_kaddr(pm, c->obj));
	return 0;
}

static int op_kmem_cache_alloc(struct scn *s, struct scn_step *st)
{
	struct kmem_cache *c;
	gfp_t gfp;
	void *p;
	int ret;

	if ((ret = arg_cache(s, st, &c)) || (ret = arg_gfp(s, st, &gfp)))
		return ret;
	p = kmem_cache_alloc(c, gfp);
	if (!p) {
		if (c->dead) {
			scn_error(st, -EINVAL);
			report(s, st);
		} else {
			scn_error(st, -ENOMEM);
		}
		return 0;
	}
	scn_value(st, ptr_to_kaddr(pm_of(s), p));
	return 0;
}

static int op_kmem_cache_free(struct scn *s, struct scn_step *st)
{
	struct phys_mem *pm = pm_of(s);
	struct kmem_cache *c;
	uint64_t ka;
	void *p;
	int ret;

	if ((ret = arg_cache(s, st, &c)) || (ret = arg_object(s, st, &p, &ka)))
		return ret;
	if (!p && ka) {
		snprintf(pm->slab->err_msg, sizeof(pm->slab->err_msg),
			 "kmem_cache_free: 0x%llx is not a direct-map address", (unsigned long long)ka);
		pm->slab->nr_errors++;
		set_result(s, st, -EINVAL);
		return 0;
	}
	set_result(s, st, kmem_cache_free(c, p));
	return 0;
}

static int op_kmem_cache_shrink(struct scn *s, struct scn_step *st)
{
	struct kmem_cache *c;
	int ret;

	if ((ret = arg_cache(s, st, &c)))
		return ret;
	if (c->dead) {
		scn_error(st, -EINVAL);
		return 0;
	}
	scn_value(st, kmem_cache_shrink(c));
	return 0;
}

static int op_kmem_cache_destroy(struct scn *s, struct scn_step *st)
{
	struct kmem_cache *c;
	int ret;

	if ((ret = arg_cache(s, st, &c)))
		return ret;
	set_result(s, st, kmem_cache_destroy(c));
	return 0;
}

/* The free pointer of a free object, as SLUB's get_freepointer() reads
 * it: -EINVAL when @addr is not a free object of the cache. */
static int op_get_freepointer(struct scn *s, struct scn_step *st)
{
	struct phys_mem *pm = pm_of(s);
	struct kmem_cache *c;
	struct page *slab;
	uint64_t ka, v = 0, fp;
	void *p;
	int ret;

	if ((ret = arg_cache(s, st, &c)) || (ret = arg_object(s, st, &p, &ka)))
		return ret;
	slab = p ? virt_to_slab(pm, p) : NULL;
	if (!slab || slab->mapping != c) {
		scn_error(st, -EINVAL);
		return 0;
	}
	/* walk the slab's chain: only a free object has a free pointer */
	for (unsigned n = 0; (fp = n ? v : slab->index) && fp != ka; n++) {
		uint8_t *o = kaddr_to_ptr(pm, fp);

		if (!o || n > slab_objects(slab)) {	/* corrupted chain */
			fp = 0;
			break;
		}
		v = 0;
		memcpy(&v, o + c->offset, c->fp_size);
	}
	if (!fp) {
		scn_error(st, -EINVAL);
		return 0;
	}
	v = 0;
	memcpy(&v, (uint8_t *)p + c->offset, c->fp_size);
	scn_value(st, v);
	return 0;
}

/* `slabinfo: { cache: C, expect: { KEY: N, ... } }`: a cache's numbers. */
static int op_slabinfo(struct scn *s, struct scn_step *st)
{
	static const char *const cache_keys[] = {
		"active_objs", "num_objs", "objsize", "objperslab", "pagesperslab", "num_slabs",
		"partial", "full", "object_size", "align", "offset", "allocs", "frees", "errors",
		NULL,
	};
	struct phys_mem *pm = pm_of(s);
	struct kmem_cache *c = NULL;
	struct slabinfo si;
	const struct ynode *e = st->expect;
	int ret;

	st->expect_done = true;
	if (scn_arg(st, "cache") && (ret = arg_cache(s, st, &c)))
		return ret;
	if (!e || e->type != YNODE_MAP || e->n == 0)
		return scn_bad(s, st, st->node, "slabinfo: give expect: { active_objs: N, ... }");
	if (c)
		get_slabinfo(c, &si);
	for (size_t i = 0; i < e->n; i++) {
		const struct ynode *k = ymap_key(e, i);
		uint64_t want, got = 0;
		bool per_cache = false;

		if (scn_node_u64(s, st, ymap_val(e, i), &want))
			return -EINVAL;
		for (const char *const *ck = cache_keys; *ck; ck++)
			per_cache |= strcmp(*ck, k->scalar) == 0;
		if (per_cache && !c)
			return scn_bad(s, st, k, "slabinfo: '%s' needs a cache", k->scalar);
		if (strcmp(k->scalar, "slab_pages") == 0)
			got = slab_total_pages(pm);
		else if (strcmp(k->scalar, "errors") == 0)
			got = c->stat.errors;
		else if (!per_cache)
			return scn_bad(s, st, k, "slabinfo: unknown quantity '%s' (slab_pages, "
				       "active_objs, num_objs, objsize, objperslab, pagesperslab, "
				       "num_slabs, partial, full, object_size, align, offset, allocs, "
				       "frees, errors)", k->scalar);
		else if (strcmp(k->scalar, "active_objs") == 0)
			got = si.active_objs;
		else if (strcmp(k->scalar, "num_objs") == 0)
			got = si.num_objs;
		else if (strcmp(k->scalar, "objsize") == 0)
			got = si.objsize;
		else if (strcmp(k->scalar, "objperslab") == 0)
			got = si.objects_per_slab;
		else if (strcmp(k->scalar, "pagesperslab") == 0)
			got = 1u << si.cache_order;
		else if (strcmp(k->scalar, "num_slabs") == 0)
			got = si.num_slabs;
		else if (strcmp(k->scalar, "partial") == 0)
			got = c->node.nr_partial;
		else if (strcmp(k->scalar, "full") == 0)
			got = c->node.nr_slabs - c->node.nr_partial;
		else if (strcmp(k->scalar, "object_size") == 0)
			got = c->object_size;
		else if (strcmp(k->scalar, "align") == 0)
			got = c->align;
		else if (strcmp(k->scalar, "offset") == 0)
			got = c->offset;
		else if (strcmp(k->scalar, "allocs") == 0)
			got = c->stat.alloc;
		else if (strcmp(k->scalar, "frees") == 0)
			got = c->stat.free;
		scn_expect_count(s, st, k->scalar, want, got);
	}
	st->out.kind = OUT_NONE;
	return 0;
}

static const char *const kmalloc_keys[] = { "size", "gfp", NULL };
static const char *const addr_keys[] = { "addr", NULL };
static const char *const create_keys[] = { "name", "size", "align", "flags", NULL };
static const char *const alloc_keys[] = { "cache", "gfp", NULL };
static const char *const cache_addr_keys[] = { "cache", "addr", NULL };
static const char *const cache_keys[] = { "cache", NULL };

const struct scn_op scn_ops_slab[] = {
	{ "kmalloc", op_kmalloc, kmalloc_keys },
	{ "kzalloc", op_kzalloc, kmalloc_keys },
	{ "kfree", op_kfree, addr_keys },
	{ "ksize", op_ksize, addr_keys },
	{ "kmem_cache_create", op_kmem_cache_create, create_keys },
	{ "kmem_cache_alloc", op_kmem_cache_alloc, alloc_keys },
	{ "kmem_cache_free", op_kmem_cache_free, cache_addr_keys },
	{ "kmem_cache_shrink", op_kmem_cache_shrink, cache_keys },
	{ "kmem_cache_destroy", op_kmem_cache_destroy, cache_keys },
	{ "get_freepointer", op_get_freepointer, cache_addr_keys },
	{ "slabinfo", op_slabinfo, cache_keys },
	{ NULL, NULL, NULL },
};
