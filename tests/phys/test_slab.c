/*
 * Tests of the slab allocator and kmalloc (src/phys/slab.c): the boot
 * caches and their geometry, object placement inside the slab frames and
 * the free-pointer bytes in simulated RAM (both pointer widths), growth,
 * partial/full transitions and shrinking, alignment rules, SLAB_POISON,
 * every kmalloc size 1..8192 against an independent statement of the
 * size classes, large kmallocs, ksize, error detection (double free,
 * interior and foreign pointers, wrong cache, destroyed cache, corrupted
 * free pointer), minimum-order fallback, simulated and host OOM, and a
 * randomized run against a model with check_slab_caches() after every
 * mutation.  Each object the random run holds carries a pattern that is
 * verified at free, so overlapping objects could not go unnoticed.
 */
#include "phys_test.h"

#include <stdio.h>

#include "phys/slab.h"
#include "util/error.h"

struct slab_machine {
	struct test_machine *tm;
	struct phys_mem *pm;
};

static void assert_slab_ok(struct phys_mem *pm)
{
	struct vmsim_error err = { 0 };

	if (check_slab_caches(pm, &err))
		fail_msg("check_slab_caches: %s", err.msg);
	if (check_free_lists(pm, &err))
		fail_msg("check_free_lists: %s", err.msg);
}

static struct slab_machine sm_boot(const char *arch, uint64_t mem)
{
	struct slab_machine sm;

	sm.tm = tm_boot(arch, mem, NULL);
	sm.pm = &sm.tm->pm;
	assert_int_equal(sm.tm->cfg.cpu_count, 1);
	assert_int_equal(kmem_cache_init(sm.pm), 0);
	assert_slab_ok(sm.pm);
	return sm;
}

static void sm_free(struct slab_machine sm)
{
	kmem_cache_finish(sm.pm);
	assert_null(sm.pm->slab);
	tm_free(sm.tm);
}

static uint64_t read_le(const void *p, unsigned width)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* ---- boot caches -------------------------------------------------- */

struct geometry {
	const char *name;
	unsigned size, objperslab, pagesperslab;
};

/* 1 CPU: min_objects = 4 * (fls(1) + 1) = 8, slub_max_order 3 */
static const struct geometry boot_geometry[] = {
	{ "kmalloc-8", 8, 512, 1 },     { "kmalloc-16", 16, 256, 1 },
	{ "kmalloc-32", 32, 128, 1 },   { "kmalloc-64", 64, 64, 1 },
	{ "kmalloc-96", 96, 42, 1 },    { "kmalloc-128", 128, 32, 1 },
	{ "kmalloc-192", 192, 21, 1 },  { "kmalloc-256", 256, 16, 1 },
	{ "kmalloc-512", 512, 8, 1 },   { "kmalloc-1k", 1024, 8, 2 },
	{ "kmalloc-2k", 2048, 8, 4 },   { "kmalloc-4k", 4096, 8, 8 },
	{ "kmalloc-8k", 8192, 4, 8 },   { "dma-kmalloc-96", 96, 42, 1 },
	{ "dma-kmalloc-8k", 8192, 4, 8 }, { "kmem_cache", 128, 32, 1 },
};

static void check_boot(const char *arch)
{
	struct slab_machine sm = sm_boot(arch, 256 * MiB);
	unsigned long before = nr_free_pages(sm.pm);
	const char *order[] = { "dma-kmalloc-8k", "dma-kmalloc-4k" };
	struct kmem_cache *s;
	int i = 0;

	for (size_t k = 0; k < sizeof(boot_geometry) / sizeof(boot_geometry[0]); k++) {
		const struct geometry *g = &boot_geometry[k];
		struct slabinfo si;

		s = kmem_cache_find(sm.pm, g->name);
		if (!s)
			fail_msg("%s: no cache %s", arch, g->name);
		get_slabinfo(s, &si);
		if (si.objsize != g->size || si.objects_per_slab != g->objperslab ||
		    (1u << si.cache_order) != g->pagesperslab || si.num_objs || si.num_slabs)
			fail_msg("%s %s: %u %u %u %lu %lu", arch, g->name, si.objsize,
				 si.objects_per_slab, 1u << si.cache_order, si.num_objs, si.num_slabs);
	}
	/* newest first, as /proc/slabinfo lists them */
	list_for_each_entry(s, &sm.pm->slab->slab_caches, list) {
		if (i < 2)
			assert_string_equal(s->name, order[i]);
		i++;
	}
	assert_int_equal(i, 1 + 2 * 13);
	assert_string_equal(list_last_entry(&sm.pm->slab->slab_caches, struct kmem_cache,
					    list)->name, "kmem_cache");
	/* nothing allocated until the first object is asked for */
	assert_int_equal(slab_total_pages(sm.pm), 0);
	assert_true(sm.pm->slab->twins_pending);
	/* the first allocation gives every boot cache its kmem_cache object:
	 * 27 of 32 in one kmem_cache slab, plus the kmalloc-32 slab */
	void *p = kmalloc(sm.pm, 32, GFP_KERNEL);
	assert_non_null(p);
	assert_false(sm.pm->slab->twins_pending);
	assert_int_equal(slab_total_pages(sm.pm), 2);
	assert_int_equal(nr_free_pages(sm.pm), before - 2);
	s = kmem_cache_find(sm.pm, "kmem_cache");
	assert_int_equal(s->node.total_objects, 32);
	assert_int_equal(s->stat.alloc, 27);
	assert_ptr_equal(virt_to_cache(sm.pm, s->obj), s);
	/* the twin describes the cache in the kernel's field order */
	{
		struct kmem_cache *k32 = kmem_cache_find(sm.pm, "kmalloc-32");
		const uint8_t *t = k32->obj;
		bool is64 = strcmp(arch, "x86_64") == 0;

		assert_int_equal(read_le(t + (is64 ? 24 : 12), 4), 32);	/* size */
		assert_int_equal(read_le(t + (is64 ? 28 : 16), 4), 32);	/* object_size */
		assert_int_equal(read_le(t + (is64 ? 40 : 28), 4), 16);	/* offset */
		assert_int_equal(read_le(t + (is64 ? 44 : 32), 4), 128);	/* oo */
	}
	assert_int_equal(kfree(sm.pm, p), 0);
	assert_slab_ok(sm.pm);
	sm_free(sm);
}

static void test_slab_boot_caches(void **state)
{
	(void)state;
	check_boot("x86_64");
	check_boot("x86_32");
}

/* ---- placement and free pointers ----------------------------------- */

static void check_placement(const char *arch)
{
	struct slab_machine sm = sm_boot(arch, 256 * MiB);
	struct phys_mem *pm = sm.pm;
	unsigned w = strcmp(arch, "x86_64") == 0 ? 8 : 4;
	struct kmem_cache *s = kmem_cache_create(pm, "foo", 120, 8, 0);
	uint8_t *x, *y, *base;
	struct page *slab;
	uint64_t bka;

	assert_non_null(s);
	assert_int_equal(s->size, 120);
	/* ALIGN_DOWN(120 / 2, sizeof(void *)) */
	unsigned off = w == 8 ? 56 : 60;

	assert_int_equal(s->offset, off);
	assert_int_equal(s->objects, 34);
	assert_int_equal(s->order, 0);
	assert_int_equal(s->fp_size, w);
	assert_int_equal(s->min_partial, 5);
	x = kmem_cache_alloc(s, GFP_KERNEL);
	y = kmem_cache_alloc(s, GFP_KERNEL);
	assert_non_null(x);
	slab = virt_to_slab(pm, x);
	assert_non_null(slab);
	base = page_host(pm, slab);
	bka = ptr_to_kaddr(pm, base);
	/* the kernel address of the direct map: PAGE_OFFSET + phys */
	assert_true(bka == pm->cfg->page_offset + page_to_phys(pm, slab));
	assert_ptr_equal(kaddr_to_ptr(pm, bka), base);
	assert_ptr_equal(x, base);
	assert_ptr_equal(y, base + 120);
	assert_true(PageSlab(slab));
	assert_ptr_equal(slab->mapping, s);
	assert_int_equal(slab_inuse(slab), 2);
	assert_int_equal(slab_objects(slab), 34);
	assert_true(slab->index == bka + 240);
	/* free pointers in RAM: object i points to i + 1, the last to 0 */
	for (unsigned i = 2; i < 34; i++) {
		uint64_t fp = read_le(base + i * 120 + off, w);
		uint64_t want = i == 33 ? 0 : bka + (i + 1) * 120;

		if (fp != want)
			fail_msg("%s object %u: fp 0x%llx want 0x%llx", arch, i,
				 (unsigned long long)fp, (unsigned long long)want);
	}
	/* an allocated object keeps the stale pointer (no init_on_alloc) */
	assert_true(read_le(x + off, w) == bka + 120);
	/* free x: LIFO, its free pointer is the old head */
	assert_int_equal(kmem_cache_free(s, x), 0);
	assert_true(slab->index == bka);
	assert_true(read_le(x + off, w) == bka + 240);
	assert_ptr_equal(kmem_cache_alloc(s, GFP_KERNEL), x);
	assert_slab_ok(pm);
	/* __GFP_ZERO zeroes the object, free pointer included */
	assert_int_equal(kmem_cache_free(s, x), 0);
	memset(x, 0x5c, off);	/* the bytes before the free pointer */
	x = kmem_cache_alloc(s, GFP_KERNEL | __GFP_ZERO);
	for (unsigned i = 0; i < 120; i++)
		assert_int_equal(x[i], 0);
	assert_int_equal(kmem_cache_free(s, x), 0);
	assert_int_equal(kmem_cache_free(s, y), 0);
	assert_int_equal(kmem_cache_destroy(s), 0);
	assert_slab_ok(pm);
	sm_free(sm);
}

static void test_slab_object_placement(void **state)
{
	(void)state;
	check_placement("x86_64");
	check_placement("x86_32");
}

static void test_slab_alignment_and_offsets(void **state)
{
	struct slab_machine sm = sm_boot("x86_64", 256 * MiB);
	static const struct {
		unsigned size, align;
		slab_flags_t flags;
		unsigned want_size, want_align, want_offset;
	} cases[] = {
		{ 100, 0, SLAB_HWCACHE_ALIGN, 128, 64, 48 },
		{ 20, 0, SLAB_HWCACHE_ALIGN, 32, 32, 8 },	/* 20 <= 32: half a line */
		{ 12, 0, SLAB_HWCACHE_ALIGN, 16, 16, 0 },
		{ 100, 256, 0, 256, 256, 48 },
		{ 1, 0, 0, 8, 8, 0 },
		{ 13, 4, 0, 16, 8, 0 },			/* never below ARCH_SLAB_MINALIGN */
		{ 120, 0, SLAB_POISON, 128, 8, 120 },	/* free pointer after the object */
		{ 64, 0, SLAB_TYPESAFE_BY_RCU, 72, 8, 64 },
		{ 5888, 0, SLAB_HWCACHE_ALIGN, 5888, 64, 2944 },	/* task_struct-like */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[16];
		struct kmem_cache *s;

		snprintf(name, sizeof(name), "c%zu", i);
		s = kmem_cache_create(sm.pm, name, cases[i].size, cases[i].align, cases[i].flags);
		if (!s)
			fail_msg("case %zu: create failed %d", i, sm.pm->slab->last_err);
		if (s->size != cases[i].want_size || s->align != cases[i].want_align ||
		    s->offset != cases[i].want_offset)
			fail_msg("case %zu: size %u align %u offset %u", i, s->size, s->align, s->offset);
		for (int k = 0; k < 3; k++) {
			uint8_t *o = kmem_cache_alloc(s, GFP_KERNEL);

			assert_non_null(o);
			assert_int_equal(ptr_to_kaddr(sm.pm, o) % s->align, 0);
		}
		assert_slab_ok(sm.pm);
	}
	/* 5888 bytes: order 3, 5 objects (as the host's task_struct) */
	assert_int_equal(kmem_cache_find(sm.pm, "c8")->order, 3);
	assert_int_equal(kmem_cache_find(sm.pm, "c8")->objects, 5);
	/* bad arguments */
	assert_null(kmem_cache_create(sm.pm, "bad", 0, 0, 0));
	assert_int_equal(sm.pm->slab->last_err, -EINVAL);
	assert_null(kmem_cache_create(sm.pm, "bad", 64, 24, 0));
	assert_int_equal(sm.pm->slab->last_err, -EINVAL);
	assert_null(kmem_cache_create(sm.pm, "bad", 64, 0, 0x80000000u));
	assert_int_equal(sm.pm->slab->last_err, -EINVAL);
	assert_null(kmem_cache_create(sm.pm, "bad", 64, 0, SLAB_KMALLOC));
	assert_null(kmem_cache_create(sm.pm, "c0", 64, 0, 0));
	assert_int_equal(sm.pm->slab->last_err, -EEXIST);
	assert_null(kmem_cache_create(sm.pm, "", 64, 0, 0));
	assert_null(kmem_cache_create(sm.pm, "huge", 8u << 20, 0, 0));
	sm_free(sm);
}

/* ---- growth, lists, shrink ------------------------------------------ */

static void test_slab_growth_and_shrink(void **state)
{
	struct slab_machine sm = sm_boot("x86_64", 256 * MiB);
	struct phys_mem *pm = sm.pm;
	struct kmem_cache *s = kmem_cache_create(pm, "grow", 120, 0, 0);
	unsigned long free0 = nr_free_pages(pm), pages0 = slab_total_pages(pm);
	void *obj[7 * 34];

	(void)state;
	assert_non_null(s);
	for (unsigned i = 0; i < 7 * 34; i++) {
		obj[i] = kmem_cache_alloc(s, GFP_KERNEL);
		assert_non_null(obj[i]);
		/* a slab fills, moves to full; the next allocation grows */
		assert_int_equal(s->node.nr_slabs, i / 34 + 1);
		assert_int_equal(s->node.nr_partial, (i + 1) % 34 ? 1 : 0);
		assert_int_equal(s->node.nr_slabs - s->node.nr_partial, (i + 1) / 34);
		assert_slab_ok(pm);
	}
	assert_int_equal(slab_total_pages(pm), pages0 + 7);
	assert_int_equal(nr_free_pages(pm), free0 - 7);
	assert_int_equal(s->stat.alloc_slab, 7);
	/* each slab's objects are contiguous inside its own frame */
	for (unsigned i = 0; i < 7 * 34; i++)
		assert_ptr_equal(obj[i], (uint8_t *)obj[i - i % 34] + (i % 34) * 120);
	/* free slab by slab: a full slab becomes partial; empty ones are
	 * kept while fewer than min_partial (5) slabs are partial */
	for (unsigned i = 0; i < 7 * 34; i++) {
		assert_int_equal(kmem_cache_free(s, obj[i]), 0);
		assert_slab_ok(pm);
		if (i % 34 == 0)
			assert_int_equal(s->node.nr_partial, i / 34 < 5 ? i / 34 + 1 : 5);
	}
	assert_int_equal(s->node.nr_slabs, 4);
	assert_int_equal(s->node.nr_partial, 4);
	assert_int_equal(s->stat.free_slab, 3);
	{
		struct slabinfo si;

		get_slabinfo(s, &si);
		assert_int_equal(si.active_objs, 0);
		assert_int_equal(si.num_objs, 4 * 34);
	}
	assert_int_equal(kmem_cache_shrink(s), 4);
	assert_int_equal(s->node.nr_slabs, 0);
	assert_int_equal(slab_total_pages(pm), pages0);
	assert_int_equal(nr_free_pages(pm), free0);
	assert_slab_ok(pm);
	/* destroy gives the kmem_cache object and the name back */
	assert_int_equal(kmem_cache_destroy(s), 0);
	assert_null(kmem_cache_find(pm, "grow"));
	assert_ptr_equal(kmem_cache_find_dead(pm, "grow"), s);
	assert_slab_ok(pm);
	sm_free(sm);
}

static void test_slab_partial_list_order(void **state)
{
	struct slab_machine sm = sm_boot("x86_64", 256 * MiB);
	struct kmem_cache *s = kmem_cache_create(sm.pm, "po", 2048, 0, 0);
	void *a[16];
	struct page *sa, *sb;

	(void)state;
	/* 2048: order 2, 8 objects; two full slabs */
	assert_int_equal(s->order, 2);
	for (int i = 0; i < 16; i++)
		a[i] = kmem_cache_alloc(s, GFP_KERNEL);
	sa = virt_to_slab(sm.pm, a[0]);
	sb = virt_to_slab(sm.pm, a[8]);
	assert_true(sa != sb);
	assert_true(PageHead(sa));
	assert_ptr_equal(virt_to_slab(sm.pm, (uint8_t *)a[7] + 100), sa);	/* tail page */
	assert_int_equal(s->node.nr_partial, 0);
	/* freeing into full slabs: each goes to the partial tail */
	kmem_cache_free(s, a[8]);
	kmem_cache_free(s, a[0]);
	assert_ptr_equal(list_first_entry(&s->node.partial, struct page, lru), sb);
	/* allocation takes the head: slab b again */
	assert_ptr_equal(kmem_cache_alloc(s, GFP_KERNEL), a[8]);
	assert_ptr_equal(list_first_entry(&s->node.partial, struct page, lru), sa);
	assert_ptr_equal(kmem_cache_alloc(s, GFP_KERNEL), a[0]);
	assert_int_equal(s->node.nr_partial, 0);
	assert_slab_ok(sm.pm);
	sm_free(sm);
}

/* ---- SLAB_POISON -------------------------------------------------- */

static void test_slab_poison_catches_write_after_free(void **state)
{
	struct slab_machine sm = sm_boot("x86_64", 256 * MiB);
	struct kmem_cache *s = kmem_cache_create(sm.pm, "poisoned", 64, 0, SLAB_POISON);
	uint8_t *o = kmem_cache_alloc(s, GFP_KERNEL);
	unsigned long errs = sm.pm->slab->nr_errors;

	(void)state;
	assert_non_null(o);
	assert_int_equal(kmem_cache_free(s, o), 0);
	for (int i = 0; i < 63; i++)
		assert_int_equal(o[i], POISON_FREE);
	assert_int_equal(o[63], POISON_END);
	assert_ptr_equal(kmem_cache_alloc(s, GFP_KERNEL), o);
	assert_int_equal(sm.pm->slab->nr_errors, errs);
	kmem_cache_free(s, o);
	o[10] = 0;			/* use after free */
	assert_ptr_equal(kmem_cache_alloc(s, GFP_KERNEL), o);
	assert_int_equal(sm.pm->slab->nr_errors, errs + 1);
	assert_non_null(strstr(sm.pm->slab->err_msg, "Poison overwritten"));
	assert_slab_ok(sm.pm);
	sm_free(sm);
}

/* ---- kmalloc ------------------------------------------------------- */

/* The size classes stated independently: the smallest of these at least
 * as big as the request (kmalloc-96 and -192 between the powers). */
static unsigned expected_class(size_t size)
{
	static const unsigned classes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512,
					    1024, 2048, 4096, 8192 };

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (size <= classes[i])
			return classes[i];
	return 0;
}

static void test_slab_kmalloc_every_size(void **state)
{
	struct slab_machine sm = sm_boot("x86_64", 256 * MiB);
	struct phys_mem *pm = sm.pm;

	(void)state;
	for (size_t size = 1; size <= 8192; size++) {
		unsigned cls = expected_class(size);
		char want[32];
		struct kmem_cache *s = kmalloc_slab(pm, size, GFP_KERNEL);
		struct kmem_cache *d = kmalloc_slab(pm, size, GFP_KERNEL | GFP_DMA);
		uint8_t *p;

		if (cls >= 1024)
			snprintf(want, sizeof(want), "kmalloc-%uk", cls / 1024);
		else
			snprintf(want, sizeof(want), "kmalloc-%u", cls);
		if (!s || strcmp(s->name, want) != 0)
			fail_msg("size %zu: cache %s, expected %s", size, s ? s->name : "NULL", want);
		if (!d || strcmp(d->name + 4, want) != 0 || strncmp(d->name, "dma-", 4) != 0)
			fail_msg("size %zu: dma cache %s", size, d ? d->name : "NULL");
		p = kmalloc(pm, size, GFP_KERNEL);
		if (!p || virt_to_cache(pm, p) != s || ksize(pm, p) != cls)
			fail_msg("size %zu: object in %s, ksize %zu", size,
				 p && virt_to_cache(pm, p) ? virt_to_cache(pm, p)->name : "-",
				 p ? ksize(pm, p) : 0);
		/* kmalloc power-of-two caches are naturally aligned */
		if ((cls & (cls - 1)) == 0 && ptr_to_kaddr(pm, p) % cls)
			fail_msg("size %zu: 0x%llx not aligned to %u", size,
				 (unsigned long long)ptr_to_kaddr(pm, p), cls);
		memset(p, 0xab, size);
		assert_int_equal(kfree(pm, p), 0);
		if (size % 512 == 0)
			assert_slab_ok(pm);
	}
	assert_null(kmalloc_slab(pm, 0, GFP_KERNEL));
	assert_null(kmalloc_slab(pm, 8193, GFP_KERNEL));
	assert_null(kmalloc(pm, 0, GFP_KERNEL));
	assert_int_equal(pm->slab->nr_errors, 0);
	sm_free(sm);
}

static void test_slab_kmalloc_large(void **state)
{
	struct slab_machine sm = sm_boot("x86_64", 256 * MiB);
	struct phys_mem *pm = sm.pm;
	static const struct { size_t size; unsigned order; } cases[] = {
		{ 8193, 2 }, { 16384, 2 }, { 16385, 3 }, { 20000, 3 }, { 1 << 20, 8 },
		{ 4 << 20, 10 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long free0;
		uint8_t *p;
		struct page *page;

		kfree(pm, kmalloc(pm, 8, GFP_KERNEL));	/* boot twins out of the way */
		free0 = nr_free_pages(pm);
		p = kmalloc(pm, cases[i].size, GFP_KERNEL);
		assert_non_null(p);
		page = pfn_to_page(pm, (unsigned long)((p - pm->ram) >> PAGE_SHIFT));
		assert_int_equal((p - pm->ram) % (PAGE_SIZE << cases[i].order), 0);
		assert_false(PageSlab(page));
		assert_true(PageHead(page));
		assert_int_equal(compound_order(page), cases[i].order);
		assert_int_equal(ksize(pm, p), PAGE_SIZE << cases[i].order);
		assert_int_equal(nr_free_pages(pm), free0 - (1UL << cases[i].order));
		assert_int_equal(pm->slab->nr_large_kmalloc_pages, 1UL << cases[i].order);
		assert_null(virt_to_slab(pm, p));
		/* the interior of a large allocation is not a kmalloc pointer */
		assert_int_equal(kfree(pm, p + PAGE_SIZE), -EINVAL);
		assert_int_equal(ksize(pm, p + PAGE_SIZE), 0);
		assert_int_equal(kfree(pm, p), 0);
		assert_int_equal(nr_free_pages(pm), free0);
		assert_int_equal(kfree(pm, p), -EINVAL);	/* double free */
		assert_slab_ok(pm);
	}
	assert_null(kmalloc(pm, (4 << 20) + 1, GFP_KERNEL));	/* above MAX_PAGE_ORDER */
	assert_null(kmalloc(pm, SIZE_MAX, GFP_KERNEL));
	assert_null(kmalloc(pm, SIZE_MAX / 2 + 2, GFP_KERNEL));
	/* kzalloc zeroes the whole large block too */
	{
		uint8_t *p = kmalloc(pm, 10000, GFP_KERNEL);

		memset(p, 0x77, 16384);
		kfree(pm, p);
		p = kzalloc(pm, 10000, GFP_KERNEL);
		for (int i = 0; i < 16384; i++)
			assert_int_equal(p[i], 0);
		kfree(pm, p);
	}
	sm_free(sm);
}

static void test_slab_kmalloc_dma_and_highmem_flags(void **state)
{
	struct slab_machine sm = sm_boot("x86_32", 1024 * MiB);
	struct phys_mem *pm = sm.pm;
	void *d = kmalloc(pm, 100, GFP_KERNEL | GFP_DMA);
	void *h = kmalloc(pm, 100, GFP_HIGHUSER);
	struct page *pd, *ph;

	(void)state;
	assert_non_null(d);
	assert_non_null(h);
	assert_string_equal(virt_to_cache(pm, d)->name, "dma-kmalloc-128");
	assert_string_equal(virt_to_cache(pm, h)->name, "kmalloc-128");
	pd = virt_to_slab(pm, d);
	ph = virt_to_slab(pm, h);
	assert_int_equal(page_zonenum(pd), ZONE_DMA);
	/* __GFP_HIGHMEM is dropped: slab memory must be direct-mapped */
	assert_int_equal(page_zonenum(ph), ZONE_NORMAL);
	assert_true(page_to_pfn(pm, ph) < pm->max_low_pfn);
	/* 32-bit kernel addresses, 4-byte free pointers */
	assert_true(ptr_to_kaddr(pm, h) >= 0xC0000000ULL && ptr_to_kaddr(pm, h) < 0x100000000ULL);
	assert_null(kaddr_to_ptr(pm, 0xC0000000ULL + ((uint64_t)pm->max_low_pfn << PAGE_SHIFT)));
	assert_null(kaddr_to_ptr(pm, 0xBFFFF000ULL));
	kfree(pm, d);
	kfree(pm, h);
	assert_slab_ok(pm);
	sm_free(sm);
}

/* ---- errors -------------------------------------------------------- */

static void test_slab_errors_detected(void **state)
{
	struct slab_machine sm = sm_boot("x86_64", 256 * MiB);
	struct phys_mem *pm = sm.pm;
	struct kmem_cache *a = kmem_cache_create(pm, "a", 64, 0, 0);
	struct kmem_cache *b = kmem_cache_create(pm, "b", 64, 0, 0);
	uint8_t *x = kmem_cache_alloc(a, GFP_KERNEL), *y = kmem_cache_alloc(a, GFP_KERNEL);
	uint8_t *k = kmalloc(pm, 64, GFP_KERNEL);
	struct page *pg = alloc_pages(pm, GFP_KERNEL, 0);
	unsigned long errs = pm->slab->nr_errors;
	int local = 0;

	(void)state;
	assert_non_null(x);
	assert_non_null(pg);
	/* double free */
	assert_int_equal(kmem_cache_free(a, x), 0);
	assert_int_equal(kmem_cache_free(a, x), -EINVAL);
	assert_non_null(strstr(pm->slab->err_msg, "Object already free"));
	assert_int_equal(kfree(pm, x), -EINVAL);
	/* interior pointer */
	assert_int_equal(kmem_cache_free(a, y + 8), -EINVAL);
	assert_non_null(strstr(pm->slab->err_msg, "Invalid object pointer"));
	assert_int_equal(kfree(pm, y + 1), -EINVAL);
	/* an object of another cache */
	assert_int_equal(kmem_cache_free(b, y), -EINVAL);
	assert_non_null(strstr(pm->slab->err_msg, "Wrong slab cache"));
	/* not slab memory: a page from the buddy allocator, a host pointer */
	assert_int_equal(kmem_cache_free(a, page_host(pm, pg)), -EINVAL);
	assert_int_equal(kfree(pm, page_host(pm, pg)), -EINVAL);
	assert_int_equal(page_ref_count(pg), 1);
	assert_int_equal(kfree(pm, &local), -EINVAL);
	/* ksize answers only for allocated object starts */
	assert_int_equal(ksize(pm, x), 0);		/* free object */
	assert_int_equal(ksize(pm, y), 64);
	assert_int_equal(ksize(pm, y + 8), 0);
	assert_int_equal(pm->slab->nr_errors, errs + 8);
	assert_int_equal(a->stat.errors, 5);
	assert_int_equal(b->stat.errors, 1);
	/* nothing was corrupted by all that */
	assert_slab_ok(pm);
	assert_ptr_equal(kmem_cache_alloc(a, GFP_KERNEL), x);
	/* destroy with live objects is refused and the cache keeps working */
	assert_int_equal(kmem_cache_destroy(a), -EBUSY);
	assert_non_null(strstr(pm->slab->err_msg, "Objects remaining in a"));
	assert_ptr_equal(kmem_cache_find(pm, "a"), a);
	assert_int_equal(kmem_cache_free(a, x), 0);
	assert_int_equal(kmem_cache_free(a, y), 0);
	assert_int_equal(kmem_cache_destroy(a), 0);
	/* a destroyed cache refuses everything */
	errs = pm->slab->nr_errors;
	assert_null(kmem_cache_alloc(a, GFP_KERNEL));
	assert_int_equal(kmem_cache_free(a, k), -EINVAL);
	assert_int_equal(kmem_cache_destroy(a), -EINVAL);
	assert_int_equal(pm->slab->nr_errors, errs + 3);
	/* the boot caches cannot be destroyed */
	assert_int_equal(kmem_cache_destroy(kmem_cache_find(pm, "kmalloc-64")), -EINVAL);
	assert_int_equal(kmem_cache_destroy(pm->slab->kmem_cache), -EINVAL);
	/* the name can be used again */
	assert_non_null(kmem_cache_create(pm, "a", 32, 0, 0));
	assert_null(kmem_cache_find_dead(pm, "a"));
	assert_int_equal(kfree(pm, NULL), 0);
	assert_int_equal(kmem_cache_free(b, NULL), 0);
	kfree(pm, k);
	__free_pages(pm, pg, 0);
	assert_slab_ok(pm);
	sm_free(sm);
}

static void test_slab_corrupt_freepointer(void **state)
{
	struct slab_machine sm = sm_boot("x86_64", 256 * MiB);
	struct phys_mem *pm = sm.pm;
	struct kmem_cache *s = kmem_cache_create(pm, "c", 64, 0, 0);
	uint8_t *x = kmem_cache_alloc(s, GFP_KERNEL), *y;
	uint64_t bogus = 0x1234;
	struct page *slab = virt_to_slab(pm, x);
	unsigned long errs = pm->slab->nr_errors;

	(void)state;
	kmem_cache_free(s, x);
	memcpy(x + s->offset, &bogus, 8);	/* write after free */
	/* the chain is not followed: the damaged slab gives up its free
	 * objects (leaked, as SLUB's "Freelist cleared") and a new slab
	 * serves the allocation */
	y = kmem_cache_alloc(s, GFP_KERNEL);
	assert_non_null(y);
	assert_int_equal(pm->slab->nr_errors, errs + 1);
	assert_non_null(strstr(pm->slab->err_msg, "Freepointer corrupt: 0x1234"));
	assert_true(virt_to_slab(pm, y) != slab);
	assert_int_equal(slab_inuse(slab), slab_objects(slab));
	assert_null(slab->index);
	assert_slab_ok(pm);
	/* a free pointer to itself (a cycle): the checker sees it, the
	 * allocator refuses to follow it */
	{
		struct vmsim_error err = { 0 };
		uint8_t *z = kmem_cache_alloc(s, GFP_KERNEL);
		struct page *zs = virt_to_slab(pm, z);
		uint64_t self = ptr_to_kaddr(pm, z);

		kmem_cache_free(s, z);
		memcpy(z + s->offset, &self, 8);
		assert_int_equal(check_slab_caches(pm, &err), -EFAULT);
		assert_non_null(strstr(err.msg, "cycle"));
		z = kmem_cache_alloc(s, GFP_KERNEL);
		assert_non_null(z);
		assert_true(virt_to_slab(pm, z) != zs);
		assert_int_equal(pm->slab->nr_errors, errs + 2);
		assert_slab_ok(pm);
	}
	sm_free(sm);
}

/* ---- order fallback and OOM ---------------------------------------- */

static void test_slab_min_order_fallback(void **state)
{
	struct slab_machine sm = sm_boot("x86_64", 64 * MiB);
	struct phys_mem *pm = sm.pm;
	struct kmem_cache *s = kmalloc_slab(pm, 8192, GFP_KERNEL);
	struct page **blocks = calloc(1UL << 16, sizeof(*blocks));
	size_t n = 0;
	uint8_t *p;
	struct page *slab;

	(void)state;
	kfree(pm, kmalloc(pm, 8, GFP_KERNEL));
	/* take every free page as order-1 blocks, ignoring watermarks */
	while ((blocks[n] = alloc_pages(pm, GFP_KERNEL | __GFP_MEMALLOC, 1)))
		n++;
	/* give back the ones whose order-1 buddy stays taken: free memory
	 * is then plenty, but nothing of order 2 or above */
	for (size_t i = 0; i < n; i++)
		if (!((page_to_pfn(pm, blocks[i]) >> 1) & 1)) {
			__free_pages(pm, blocks[i], 1);
			blocks[i] = NULL;
		}
	for (unsigned o = 2; o <= pm->max_order; o++)
		for (unsigned t = 0; t < MAX_NR_ZONES; t++)
			assert_int_equal(tz(pm, t)->free_area[o].nr_free, 0);
	assert_int_equal(s->order, 3);
	assert_int_equal(s->min_order, 1);
	p = kmalloc(pm, 8192, GFP_KERNEL);
	assert_non_null(p);
	slab = virt_to_slab(pm, p);
	assert_int_equal(slab_order(slab), 1);
	assert_int_equal(slab_objects(slab), 1);
	assert_int_equal(s->stat.order_fallback, 1);
	assert_slab_ok(pm);
	assert_int_equal(kfree(pm, p), 0);
	assert_slab_ok(pm);
	for (size_t i = 0; i < n; i++)
		if (blocks[i])
			__free_pages(pm, blocks[i], 1);
	free(blocks);
	assert_slab_ok(pm);
	sm_free(sm);
}

static void test_slab_oom_returns_null(void **state)
{
	struct slab_machine sm = sm_boot("x86_64", 64 * MiB);
	struct phys_mem *pm = sm.pm;
	static const size_t sizes[] = { 32, 4096, 8192, 65536 };

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t cap = 1 << 21, n = 0;
		void **objs = malloc(cap * sizeof(*objs));
		unsigned long free0;
		struct kmem_cache *s = kmalloc_slab(pm, sizes[k], GFP_KERNEL);
		unsigned long fails0 = s ? s->stat.alloc_fail : 0;

		kfree(pm, kmalloc(pm, 8, GFP_KERNEL));
		if (s)
			kmem_cache_shrink(s);
		free0 = nr_free_pages(pm);
		while (n < cap && (objs[n] = kmalloc(pm, sizes[k], GFP_KERNEL)))
			n++;
		assert_true(n < cap);
		assert_true(n > 0);
		/* a second attempt fails cleanly too */
		assert_null(kmalloc(pm, sizes[k], GFP_KERNEL));
		if (s)
			assert_true(s->stat.alloc_fail >= fails0 + 2);
		assert_slab_ok(pm);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(kfree(pm, objs[i]), 0);
		if (s)
			kmem_cache_shrink(s);
		assert_int_equal(nr_free_pages(pm), free0);
		assert_slab_ok(pm);
		free(objs);
	}
	/* creating caches when simulated memory is gone: those whose name
	 * and kmem_cache object still fit in existing slabs succeed, the
	 * first that needs a new slab fails with ENOMEM */
	{
		struct page **pages = malloc((1 << 15) * sizeof(*pages));
		struct kmem_cache *made[64];
		size_t n = 0, k = 0;

		while (n < (1 << 15) && (pages[n] = alloc_pages(pm, GFP_KERNEL | __GFP_MEMALLOC, 0)))
			n++;
		assert_true(n < (1 << 15));
		for (;;) {
			char name[16];

			assert_true(k < 64);
			snprintf(name, sizeof(name), "oom%zu", k);
			made[k] = kmem_cache_create(pm, name, 64, 0, 0);
			if (!made[k])
				break;
			k++;
		}
		assert_int_equal(pm->slab->last_err, -ENOMEM);
		assert_slab_ok(pm);
		while (k)
			assert_int_equal(kmem_cache_destroy(made[--k]), 0);
		while (n)
			__free_pages(pm, pages[--n], 0);
		free(pages);
		assert_slab_ok(pm);
	}
	sm_free(sm);
}

/* Host OOM: kmem_cache_init and kmem_cache_create fail cleanly for every
 * N-th host allocation and leak nothing. */
static void test_slab_host_oom(void **state)
{
	struct test_machine *tm = tm_boot("x86_64", 64 * MiB, NULL);
	struct phys_mem *pm = &tm->pm;
	size_t live0 = tm->ha.live;
	unsigned long free0 = nr_free_pages(pm);
	int ret = -1;

	(void)state;
	for (long n = 1; n <= 200 && ret; n++) {
		host_fail_at((unsigned long)n, HOST_FAIL_PERSISTENT);
		ret = kmem_cache_init(pm);
		host_fail_at(0, HOST_FAIL_ONCE);
		if (ret) {
			assert_int_equal(ret, -ENOMEM);
			assert_null(pm->slab);
			assert_int_equal(tm->ha.live, live0);
			assert_int_equal(nr_free_pages(pm), free0);
		}
	}
	assert_int_equal(ret, 0);
	{
		size_t live1 = tm->ha.live;
		struct kmem_cache *s = NULL;

		for (long n = 1; n <= 20 && !s; n++) {
			host_fail_at((unsigned long)n, HOST_FAIL_PERSISTENT);
			s = kmem_cache_create(pm, "oomtest", 100, 0, 0);
			host_fail_at(0, HOST_FAIL_ONCE);
			if (!s) {
				assert_int_equal(pm->slab->last_err, -ENOMEM);
				assert_int_equal(tm->ha.live, live1);
			}
		}
		assert_non_null(s);
		assert_int_equal(kmem_cache_destroy(s), 0);
	}
	kmem_cache_finish(pm);
	assert_int_equal(tm->ha.live, live0);
	assert_int_equal(nr_free_pages(pm), free0);
	tm_free(tm);
}

/* ---- randomized against a model ------------------------------------ */

struct live_obj {
	uint8_t *p;
	struct kmem_cache *cache;	/* NULL: kmalloc */
	size_t size;
	uint32_t tag;
};

static void fill(struct live_obj *o)
{
	for (size_t i = 0; i < o->size; i++)
		o->p[i] = (uint8_t)(o->tag + i * 7);
}

static void verify(const struct live_obj *o, unsigned step)
{
	for (size_t i = 0; i < o->size; i++)
		if (o->p[i] != (uint8_t)(o->tag + i * 7))
			fail_msg("step %u: object 0x%llx byte %zu overwritten", step,
				 (unsigned long long)(uintptr_t)o->p, i);
}

static void run_random(const char *arch, uint64_t seed, unsigned steps)
{
	struct slab_machine sm = sm_boot(arch, 128 * MiB);
	struct phys_mem *pm = sm.pm;
	struct kmem_cache *own[3];
	struct live_obj *live = calloc(steps, sizeof(*live));
	unsigned nlive = 0;
	unsigned long model_alloc[3] = { 0 }, nfrees = 0, errs0 = pm->slab->nr_errors;

	own[0] = kmem_cache_create(pm, "r_vma", 200, 0, SLAB_HWCACHE_ALIGN);
	own[1] = kmem_cache_create(pm, "r_small", 24, 0, 0);
	own[2] = kmem_cache_create(pm, "r_poison", 300, 0, SLAB_POISON);
	for (int i = 0; i < 3; i++)
		assert_non_null(own[i]);
	for (unsigned step = 0; step < steps; step++) {
		uint64_t r = rng_next(&seed);

		if (nlive && (r % 100) < 45) {
			unsigned i = (unsigned)((r >> 8) % nlive);
			struct live_obj o = live[i];

			verify(&o, step);
			if (o.cache) {
				assert_int_equal(kmem_cache_free(o.cache, o.p), 0);
				for (int c = 0; c < 3; c++)
					if (own[c] == o.cache)
						model_alloc[c]--;
			} else {
				assert_int_equal(kfree(pm, o.p), 0);
			}
			/* the freed object is now refused a second time */
			assert_int_equal(o.cache ? kmem_cache_free(o.cache, o.p) : kfree(pm, o.p),
					 -EINVAL);
			nfrees++;
			live[i] = live[--nlive];
		} else if ((r % 100) < 60 && (r >> 60) == 0) {
			unsigned c = (unsigned)((r >> 8) % 3);

			kmem_cache_shrink(own[c]);
		} else {
			struct live_obj o = { 0 };

			o.tag = (uint32_t)(r >> 32);
			if ((r >> 20) & 1) {
				unsigned c = (unsigned)((r >> 21) % 3);

				o.cache = own[c];
				o.size = own[c]->object_size;
				o.p = kmem_cache_alloc(own[c], (r >> 23) & 1 ? GFP_KERNEL | __GFP_ZERO
									      : GFP_KERNEL);
				assert_non_null(o.p);
				model_alloc[c]++;
			} else {
				/* mostly small, sometimes up to 3 pages (large kmalloc) */
				o.size = (r >> 24) % 16 ? 1 + (r >> 30) % 700 : 1 + (r >> 30) % 12288;
				o.p = kmalloc(pm, o.size, GFP_KERNEL);
				assert_non_null(o.p);
				assert_true(ksize(pm, o.p) >= o.size);
			}
			fill(&o);
			live[nlive++] = o;
		}
		assert_slab_ok(pm);
		for (int c = 0; c < 3; c++) {
			struct slabinfo si;

			get_slabinfo(own[c], &si);
			if (si.active_objs != model_alloc[c])
				fail_msg("step %u: %s active %lu, model %lu", step, own[c]->name,
					 si.active_objs, model_alloc[c]);
		}
	}
	for (unsigned i = 0; i < nlive; i++) {
		verify(&live[i], steps);
		if (live[i].cache)
			kmem_cache_free(live[i].cache, live[i].p);
		else
			kfree(pm, live[i].p);
	}
	/* the only errors are the deliberate second frees */
	assert_int_equal(pm->slab->nr_errors, errs0 + nfrees);
	for (int c = 0; c < 3; c++)
		assert_int_equal(kmem_cache_destroy(own[c]), 0);
	assert_int_equal(pm->slab->nr_large_kmalloc_pages, 0);
	assert_slab_ok(pm);
	free(live);
	sm_free(sm);
}

static void test_slab_random_vs_model(void **state)
{
	(void)state;
	run_random("x86_64", 0x9e3779b97f4a7c15ULL, 6000);
	run_random("x86_32", 424242, 4000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slab_boot_caches),
		cmocka_unit_test(test_slab_object_placement),
		cmocka_unit_test(test_slab_alignment_and_offsets),
		cmocka_unit_test(test_slab_growth_and_shrink),
		cmocka_unit_test(test_slab_partial_list_order),
		cmocka_unit_test(test_slab_poison_catches_write_after_free),
		cmocka_unit_test(test_slab_kmalloc_every_size),
		cmocka_unit_test(test_slab_kmalloc_large),
		cmocka_unit_test(test_slab_kmalloc_dma_and_highmem_flags),
		cmocka_unit_test(test_slab_errors_detected),
		cmocka_unit_test(test_slab_corrupt_freepointer),
		cmocka_unit_test(test_slab_min_order_fallback),
		cmocka_unit_test(test_slab_oom_returns_null),
		cmocka_unit_test(test_slab_host_oom),
		cmocka_unit_test(test_slab_random_vs_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
