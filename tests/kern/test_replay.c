/*
 * The replay engine (src/kern/replay.c, replay.h): each trace record
 * touches every page it covers, in order, with the access its type makes
 * (M: a read then a write), through the task's TLB, walk and faults.
 * Known answers: the pages a record spans follow from its address and
 * size alone, so the touches, faults and resident pages are exact.
 */
#include "kern_test.h"

#include "kern/replay.h"
#include "kern/task.h"
#include "vma/mm.h"

struct rig {
	struct vmsim_machine *m;
	struct task_struct *t;
	struct replay rp;
};

static void rig_up(struct rig *r)
{
	struct spawn_args a = { 0 };

	r->m = boot("x86_64");
	assert_int_equal(task_spawn(r->m, "replay", &a, &r->t), 0);
	replay_init(&r->rp, r->m, r->t, REPLAY_FLAT);
}

/* Is @va mapped writable and dirty in the task's page tables? */
static bool page_written(struct rig *r, uint64_t va)
{
	struct vmsim_fault f;
	uint64_t pa;

	return translate(r->rp.cpu, va, MMU_WRITE, MMU_USER, &pa, &f);
}

/* "S 10000002,16383" covers 0x10000002..0x10004000: five pages, every
 * one written, the three in the middle included. */
static void test_replay_store_spanning_five_pages_touches_each(void **state)
{
	struct trace_rec rec = { 0x10000002, 16383, TRACE_S };
	struct rig r;

	rig_up(&r);
	replay_one(&r.rp, &rec);
	assert_int_equal(r.rp.accesses, 1);
	assert_int_equal(r.rp.crossings, 1);
	assert_int_equal(r.rp.page_touches, 5);
	assert_int_equal(r.t->fst.demand_zero, 5);
	assert_int_equal(get_mm_rss(r.t->mm), 5);
	for (uint64_t va = 0x10000000; va <= 0x10004000; va += 0x1000)
		if (!page_written(&r, va))
			fail_msg("page %#llx was not written", (unsigned long long)va);
	check(r.m);
	vmsim_machine_destroy(r.m);
}

/* Span counts: one page, two, three; M doubles the touches. */
static void test_replay_page_counts_by_span(void **state)
{
	static const struct { uint64_t addr; uint32_t size; enum trace_type type; unsigned pages; } c[] = {
		{ 0x20000000, 8, TRACE_L, 1 },		/* inside one page */
		{ 0x20000ffc, 4, TRACE_L, 1 },		/* ends on the page's last byte */
		{ 0x20000ffd, 4, TRACE_L, 2 },		/* one byte over */
		{ 0x20000fff, 4098, TRACE_S, 3 },	/* 1 + 4096 + 1 bytes */
		{ 0x20000000, 16383, TRACE_I, 4 },	/* page-aligned: 3 pages and 4095 bytes */
		{ 0x20000001, 16383, TRACE_S, 4 },	/* ends on the fourth page's last byte */
		{ 0x20000002, 16383, TRACE_M, 5 },	/* M: read and write of each of 5 */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct trace_rec rec = { c[i].addr, c[i].size, c[i].type };
		unsigned per_page = c[i].type == TRACE_M ? 2 : 1;
		struct rig r;

		rig_up(&r);
		replay_one(&r.rp, &rec);
		if (r.rp.page_touches != c[i].pages * per_page)
			fail_msg("case %zu: %llu touches, want %u", i,
				 (unsigned long long)r.rp.page_touches, c[i].pages * per_page);
		assert_int_equal(r.rp.crossings, c[i].pages > 1);
		/* loads and fetches map the zero page; stores and modifies
		 * get a frame per page */
		assert_int_equal(get_mm_rss(r.t->mm),
				 c[i].type == TRACE_S || c[i].type == TRACE_M ? c[i].pages : 0);
		check(r.m);
		vmsim_machine_destroy(r.m);
	}
}

/* An access at the top of the address space wraps to page 0, as the
 * address arithmetic does: two touches, neither coverable by a user
 * mapping, and the loop ends. */
static void test_replay_wrapping_access_ends_on_page_zero(void **state)
{
	struct trace_rec rec = { 0xfffffffffffff800ULL, 4096, TRACE_L };
	struct rig r;

	rig_up(&r);
	replay_one(&r.rp, &rec);
	assert_int_equal(r.rp.page_touches, 2);
	assert_int_equal(r.rp.unmappable, 2);
	assert_int_equal(get_mm_rss(r.t->mm), 0);
	vmsim_machine_destroy(r.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_store_spanning_five_pages_touches_each),
		cmocka_unit_test(test_replay_page_counts_by_span),
		cmocka_unit_test(test_replay_wrapping_access_ends_on_page_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
