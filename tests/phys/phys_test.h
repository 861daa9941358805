/*
 * Shared helpers of the phys tests: booting test machines of a chosen
 * size, snapshots of buddyinfo, and the checker wrapped as an assertion.
 * Each test machine is heap-allocated so a failed test leaks nothing but
 * its own mappings (cmocka restarts nothing anyway).
 */
#ifndef VMSIM_TESTS_PHYS_TEST_H
#define VMSIM_TESTS_PHYS_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kern/kern_config.h"
#include "phys/mmzone.h"
#include "util/config.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

struct test_machine {
	struct vmsim_config cfg;
	struct host_arena ha;
	struct phys_mem pm;
};

/* Boot @arch with @mem bytes of RAM (0 = the built-in size); @tweak, if
 * given, edits the config before config_finalize().  The per-CPU page
 * lists are off (buddy.pcp: false) unless @tweak turns them on: most phys
 * tests state exact buddy-list answers, which pcp lists would move
 * (test_pcp.c tests them).  Returns NULL only
 * when the host refuses the address space (-ENOMEM: e.g. 64 GiB under
 * valgrind), so big-machine tests can skip; any other failure fails. */
static inline struct test_machine *tm_try_boot(const char *arch, uint64_t mem,
					       void (*tweak)(struct vmsim_config *))
{
	struct test_machine *tm = calloc(1, sizeof(*tm));
	struct vmsim_error err = { 0 };
	int ret;

	assert_non_null(tm);
	assert_int_equal(config_builtin(&tm->cfg, arch, machine_config_rules, &err), 0);
	if (mem)
		tm->cfg.mem_size = mem;
	tm->cfg.pcp = false;
	if (tweak)
		tweak(&tm->cfg);
	if (config_finalize(&tm->cfg, machine_config_rules, &err)) {
		free(tm);
		fail_msg("config_finalize: %s", err.msg);
	}
	host_arena_init(&tm->ha);
	ret = phys_init(&tm->pm, &tm->cfg, &tm->ha, &err);
	if (ret) {
		host_arena_finish(&tm->ha);
		free(tm);
		if (ret == -ENOMEM)
			return NULL;
		fail_msg("phys_init: %d %s", ret, err.msg);
	}
	tm->pm.page_poisoning = false;
	return tm;
}

static inline struct test_machine *tm_boot(const char *arch, uint64_t mem,
					   void (*tweak)(struct vmsim_config *))
{
	struct test_machine *tm = tm_try_boot(arch, mem, tweak);

	if (!tm)
		fail_msg("phys_init: host refused the mappings");
	return tm;
}

static inline void tm_free(struct test_machine *tm)
{
	phys_finish(&tm->pm);
	host_arena_finish(&tm->ha);
	free(tm);
}

static inline void assert_lists_ok(struct phys_mem *pm)
{
	struct vmsim_error err = { 0 };

	if (check_free_lists(pm, &err))
		fail_msg("check_free_lists: %s", err.msg);
}

/* alloc_pages() that must succeed: refcount 1, lists still consistent. */
static inline struct page *alloc_checked(struct phys_mem *pm, gfp_t gfp, unsigned order)
{
	struct page *p = alloc_pages(pm, gfp, order);

	if (!p)
		fail_msg("alloc order %u: NULL", order);
	assert_int_equal(page_ref_count(p), 1);
	assert_lists_ok(pm);
	return p;
}

/* __free_pages() that must be accepted (no bad_page report). */
static inline void free_checked(struct phys_mem *pm, struct page *p, unsigned order)
{
	unsigned long bad = pm->vmstat.bad_page;

	__free_pages(pm, p, order);
	assert_int_equal(pm->vmstat.bad_page, bad);
	assert_lists_ok(pm);
}

/* xorshift64: the randomized tests' reproducible sequence (state @s != 0). */
static inline uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline struct zone *tz(struct phys_mem *pm, enum zone_type t)
{
	return &pm->node_data[0].node_zones[t];
}

/* Compare a zone's nr_free[0..max_order] with @expect (11 entries). */
static inline void assert_buddyinfo(struct phys_mem *pm, enum zone_type t,
				    const unsigned long expect[11], const char *step)
{
	struct zone *z = tz(pm, t);

	for (unsigned o = 0; o <= 10; o++)
		if (z->free_area[o].nr_free != expect[o])
			fail_msg("%s: zone %s order %u: nr_free %lu, expected %lu", step,
				 z->name, o, z->free_area[o].nr_free, expect[o]);
}

/* pfn of the head of zone @t's order-@o free list, or ~0 when empty. */
static inline unsigned long list_head_pfn(struct phys_mem *pm, enum zone_type t, unsigned o)
{
	struct free_area *a = &tz(pm, t)->free_area[o];

	if (list_empty(&a->free_list))
		return ~0UL;
	return page_to_pfn(pm, list_first_entry(&a->free_list, struct page, lru));
}

#endif
