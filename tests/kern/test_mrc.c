/*
 * Miss-ratio curves (src/kern/mrc.c) against direct simulation: the
 * stack-distance histogram must give, for every frame count, exactly the
 * faults of an LRU memory of that size simulated reference by reference
 * (a plain array with last-use times), and OPT's runs the faults of a
 * MIN simulated by scanning the future.  Strings long enough to make the
 * Fenwick tree renumber its times several times, with the structure
 * checker after it.  SHARDS at 10% must land near the exact curve on a
 * trace with many pages.
 */
#include "kern_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kern/mrc.h"

static uint64_t lru_sim(const uint64_t *refs, size_t n, unsigned frames)
{
	uint64_t page[512], last[512], faults = 0;
	unsigned used = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned s, v = 0;

		for (s = 0; s < used && page[s] != refs[i]; s++)
			;
		if (s == used) {
			faults++;
			if (used < frames) {
				s = used++;
			} else {
				for (unsigned k = 1; k < used; k++)
					if (last[k] < last[v])
						v = k;
				s = v;
			}
			page[s] = refs[i];
		}
		last[s] = i;
	}
	return faults;
}

static uint64_t opt_sim(const uint64_t *refs, size_t n, unsigned frames)
{
	uint64_t page[512], faults = 0;
	unsigned used = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned s, v = 0;
		size_t far = 0;

		for (s = 0; s < used && page[s] != refs[i]; s++)
			;
		if (s < used)
			continue;
		faults++;
		if (used < frames) {
			page[used++] = refs[i];
			continue;
		}
		for (unsigned k = 0; k < used; k++) {
			size_t j = i + 1;

			while (j < n && refs[j] != page[k])
				j++;
			if (j >= far) {
				far = j;
				v = k;
			}
		}
		page[v] = refs[i];
	}
	return faults;
}

static void make_string(uint64_t *refs, size_t n, unsigned pages, uint64_t seed)
{
	uint64_t cur = 0;

	for (size_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		if ((seed >> 61) == 0)
			cur = (seed >> 20) % pages;
		else
			cur = (cur + (seed >> 40) % 5) % pages;
		refs[i] = cur * 7919 + 100;	/* scattered page numbers */
	}
}

static void feed(struct mrc *mc, const uint64_t *refs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct trace_rec rec = { refs[i] << 12, 4, TRACE_L };

		assert_int_equal(mrc_record(mc, &rec), 0);
	}
}

static void test_mrc_lru_matches_simulation_for_every_size(void **state)
{
	static uint64_t refs[12000];
	struct vmsim_error err = { 0 };

	for (int round = 0; round < 4; round++) {
		unsigned pages = 20 + (unsigned)round * 60;
		size_t n = 3000 + (size_t)round * 3000;
		struct mrc_opts o = { .sample = 1, .opt = true };
		struct mrc mc;

		make_string(refs, n, pages, 99 + (uint64_t)round);
		assert_int_equal(mrc_init(&mc, &o, &err), 0);
		feed(&mc, refs, n);
		if (mattson_check(&mc.small, &err))
			fail_msg("round %d: %s", round, err.msg);
		assert_int_equal(mrc_finish(&mc, &err), 0);
		assert_int_equal(mc.refs, n);
		for (unsigned f = 1; f <= mrc_footprint(&mc) + 1; f++) {
			uint64_t want = lru_sim(refs, n, f), got = mrc_lru_faults_exact(&mc, f);

			if (got != want || (uint64_t)llround(mrc_lru_faults(&mc, f)) != want)
				fail_msg("round %d, %u frames: %llu faults, LRU simulated %llu", round, f,
					 (unsigned long long)got, (unsigned long long)want);
		}
		for (unsigned f = 1; f <= mrc_footprint(&mc); f += 1 + f / 4) {
			uint64_t want = opt_sim(refs, n, f), got = mrc_opt_faults(&mc, f);

			if (got != want)
				fail_msg("round %d, %u frames: OPT %llu faults, simulated %llu", round, f,
					 (unsigned long long)got, (unsigned long long)want);
		}
		mrc_destroy(&mc);
	}
}

/* The time clock wraps the tree many times over: renumbering keeps each
 * page's rank, so distances stay exact (checked above on 12000
 * references over a tree of 4096 times), and the structure holds. */
static void test_mrc_renumbering_keeps_the_structure(void **state)
{
	struct mattson ms;
	struct vmsim_error err = { 0 };
	uint64_t seed = 5;

	assert_int_equal(mattson_init(&ms), 0);
	for (int i = 0; i < 50000; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		assert_true(mattson_access(&ms, (seed >> 33) % 3000) >= 0);
		if (i % 4999 == 0 && mattson_check(&ms, &err))
			fail_msg("after %d references: %s", i, err.msg);
	}
	assert_true(ms.cap <= 2 * mattson_footprint(&ms) + 4096);
	mattson_destroy(&ms);
}

/* Stack distances by hand: a b c a -> the second a is at distance 3;
 * a a -> 1; b after a b c a -> 3 (c, a, b). */
static void test_mrc_distances_by_hand(void **state)
{
	struct mattson ms;

	assert_int_equal(mattson_init(&ms), 0);
	assert_int_equal(mattson_access(&ms, 1), 0);
	assert_int_equal(mattson_access(&ms, 2), 0);
	assert_int_equal(mattson_access(&ms, 3), 0);
	assert_int_equal(mattson_access(&ms, 1), 3);
	assert_int_equal(mattson_access(&ms, 1), 1);
	assert_int_equal(mattson_access(&ms, 2), 3);
	assert_int_equal(mattson_access(&ms, 3), 3);
	assert_int_equal(mattson_access(&ms, 3), 1);
	mattson_destroy(&ms);
}

/* SHARDS at 10% on 20000 pages: the estimate is close to the exact curve
 * (the paper reports mean absolute errors of about 0.01 at this rate). */
static void test_mrc_shards_is_close(void **state)
{
	static uint64_t refs[300000];
	struct mrc_opts o = { .sample = 0.1, .exact_too = true };
	struct vmsim_error err = { 0 };
	struct mrc mc;
	double mae = 0;
	uint64_t fp;

	make_string(refs, 300000, 20000, 3);
	assert_int_equal(mrc_init(&mc, &o, &err), 0);
	feed(&mc, refs, 300000);
	assert_int_equal(mrc_finish(&mc, &err), 0);
	fp = mattson_footprint(&mc.exact);
	assert_true(mattson_footprint(&mc.small) < fp / 5);	/* it did sample */
	for (uint64_t f = 1; f <= fp; f++)
		mae += fabs(mrc_lru_faults(&mc, f) - (double)mrc_lru_faults_exact(&mc, f)) / 300000.0;
	mae /= (double)fp;
	print_message("SHARDS 10%%: mean absolute miss-ratio error %.5f over %llu sizes\n", mae,
		      (unsigned long long)fp);
	assert_true(mae < 0.02);
	assert_true(fabs((double)mrc_footprint(&mc) - (double)fp) < 0.1 * (double)fp);
	mrc_destroy(&mc);
}

/* On a trace of a few pages the sample can hold the hottest: 40
 * references cycling over 5 pages, sampled at 50%, stand for more faults
 * and TLB misses than there are references; the estimates stop there. */
static void test_mrc_shards_estimate_at_most_the_references(void **state)
{
	struct mrc_opts o = { .sample = 0.5, .exact_too = true };
	struct vmsim_error err = { 0 };
	struct mrc mc;
	uint64_t refs[40];
	double most = 0;

	for (int i = 0; i < 40; i++)
		refs[i] = (uint64_t)(i % 5);
	assert_int_equal(mrc_init(&mc, &o, &err), 0);
	feed(&mc, refs, 40);
	assert_int_equal(mrc_finish(&mc, &err), 0);
	for (uint64_t f = 1; f <= 8; f++) {
		double a = mrc_lru_faults(&mc, f), b = mrc_tlb_misses(&mc, f, false),
		       c = mrc_tlb_misses(&mc, f, true);

		assert_true(a <= 40 && b <= 40 && c <= 40);
		most = fmax(most, mattson_faults(&mc.small, f, 0.5));
	}
	print_message("the largest raw estimate: %.1f for 40 references\n", most);
	assert_true(most > 40);	/* the case happened */
	mrc_destroy(&mc);
}

/* The 2 MiB curve counts 512 pages as one: a sweep over 1024 pages in
 * 2 huge pages misses twice per sweep with one entry, never with two. */
static void test_mrc_tlb_reach_of_huge_pages(void **state)
{
	struct mrc_opts o = { .sample = 1 };
	struct vmsim_error err = { 0 };
	struct mrc mc;

	assert_int_equal(mrc_init(&mc, &o, &err), 0);
	for (int sweep = 0; sweep < 3; sweep++)
		for (uint64_t p = 0; p < 1024; p++) {
			struct trace_rec rec = { 0x40000000 + (p << 12), 8, TRACE_L };

			assert_int_equal(mrc_record(&mc, &rec), 0);
		}
	assert_int_equal(mrc_finish(&mc, &err), 0);
	assert_int_equal(mrc_footprint_huge(&mc), 2);
	assert_int_equal((uint64_t)mrc_tlb_misses(&mc, 1, true), 6);
	assert_int_equal((uint64_t)mrc_tlb_misses(&mc, 2, true), 2);
	assert_int_equal((uint64_t)mrc_tlb_misses(&mc, 1023, false), 3072);
	assert_int_equal((uint64_t)mrc_tlb_misses(&mc, 1024, false), 1024);
	mrc_destroy(&mc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mrc_distances_by_hand),
		cmocka_unit_test(test_mrc_lru_matches_simulation_for_every_size),
		cmocka_unit_test(test_mrc_renumbering_keeps_the_structure),
		cmocka_unit_test(test_mrc_shards_is_close),
		cmocka_unit_test(test_mrc_shards_estimate_at_most_the_references),
		cmocka_unit_test(test_mrc_tlb_reach_of_huge_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
