/*
 * Tests of the hash table (util/htab.c) and its hash (util/siphash.c):
 * SipHash-2-4 against the published test vectors, a randomized run of
 * inserts, removals and lookups against a plain array with htab_check()
 * after every change, keys that all share one hash (still correct, only
 * slow), the cost of 10^5 operations counted in probed slots (a constant
 * per operation, whatever the size), shrinking, and a failed allocation
 * that leaves the table as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/hostalloc.h"
#include "util/htab.h"
#include "vmsim/error.h"

static void test_siphash_reference_vectors(void **state)
{
	/* the SipHash paper's key 00 01 .. 0f and messages 00 01 .. (len-1) */
	static const struct { size_t len; uint64_t want; } v[] = {
		{ 0, 0x726fdb47dd0e0e31ULL },
		{ 1, 0x74f839c593dc67fdULL },
		{ 8, 0x93f5f5799a932462ULL },
		{ 15, 0xa129ca6149be45e5ULL },
	};
	siphash_key_t key;
	uint8_t msg[16];

	(void)state;
	for (unsigned i = 0; i < 16; i++)
		msg[i] = (uint8_t)i;
	key.key[0] = 0x0706050403020100ULL;
	key.key[1] = 0x0f0e0d0c0b0a0908ULL;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (siphash(msg, v[i].len, &key) != v[i].want)
			fail_msg("length %zu: %#llx, expected %#llx", v[i].len,
				 (unsigned long long)siphash(msg, v[i].len, &key),
				 (unsigned long long)v[i].want);
}

struct item {
	uint64_t key;
};

static uint64_t rng = 0x243f6a8885a308d3ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void check(const struct htab *h)
{
	struct vmsim_error err = { 0 };

	if (htab_check(h, &err))
		fail_msg("%s", err.msg);
}

/* How many items under @key the table holds (each compared by key). */
static size_t count(struct htab *h, uint64_t (*hash)(struct htab *, uint64_t), uint64_t key)
{
	struct htab_iter it;
	struct item *x;
	size_t n = 0;

	htab_for_each_possible(h, hash(h, key), it, x)
		n += x->key == key;
	return n;
}

static uint64_t real_hash(struct htab *h, uint64_t key)
{
	return htab_hash_u64(h, key);
}

static uint64_t one_hash(struct htab *h, uint64_t key)
{
	(void)h;
	(void)key;
	return 42;
}

/* Random inserts (keys repeat: a multiset) and removals against an array. */
static void run_model(uint64_t (*hash)(struct htab *, uint64_t), unsigned ops, unsigned keys)
{
	struct item *pool = calloc(ops, sizeof(*pool));
	struct item **live = calloc(ops, sizeof(*live));
	size_t nlive = 0, used = 0;
	struct htab h;

	assert_non_null(pool);
	assert_non_null(live);
	htab_init(&h, NULL);
	for (unsigned op = 0; op < ops; op++) {
		if (nlive && next() % 3 == 0) {
			size_t i = next() % nlive;
			struct item *x = live[i];

			assert_true(htab_remove(&h, hash(&h, x->key), x));
			assert_false(htab_remove(&h, hash(&h, x->key), x));
			live[i] = live[--nlive];
		} else {
			struct item *x = &pool[used++];

			x->key = next() % keys;
			assert_int_equal(htab_insert(&h, hash(&h, x->key), x), 0);
			live[nlive++] = x;
		}
		check(&h);
		assert_int_equal(h.nr, nlive);
		if (op % 16 == 0) {
			uint64_t k = next() % keys;
			size_t want = 0;

			for (size_t i = 0; i < nlive; i++)
				want += live[i]->key == k;
			if (count(&h, hash, k) != want)
				fail_msg("op %u key %llu: %zu items, expected %zu", op,
					 (unsigned long long)k, count(&h, hash, k), want);
		}
	}
	while (nlive) {
		struct item *x = live[--nlive];
		assert_true(htab_remove(&h, hash(&h, x->key), x));
	}
	assert_null(h.slots);
	htab_destroy(&h);
	free(pool);
	free(live);
}

static void test_htab_random_against_array(void **state)
{
	(void)state;
	run_model(real_hash, 6000, 500);
}

static void test_htab_all_keys_one_hash(void **state)
{
	(void)state;
	run_model(one_hash, 600, 40);
}

/* 10^5 distinct keys: inserts and lookups cost a few probes each on
 * average, so the total is linear; a table that scanned would need ~10^10. */
static void test_htab_probes_stay_constant(void **state)
{
	enum { N = 100000 };
	struct item *pool = calloc(N, sizeof(*pool));
	struct htab h;

	(void)state;
	assert_non_null(pool);
	htab_init(&h, NULL);
	for (unsigned i = 0; i < N; i++) {
		pool[i].key = (uint64_t)i * 4096;
		assert_int_equal(htab_insert(&h, htab_hash_u64(&h, pool[i].key), &pool[i]), 0);
	}
	check(&h);
	h.probes = 0;
	for (unsigned i = 0; i < N; i++)
		if (count(&h, real_hash, pool[i].key) != 1)
			fail_msg("key %u", i);
	/* at load <= 1/2, a search walks ~2.5 slots; 4 leaves room */
	if (h.probes > 4ULL * N)
		fail_msg("%lu probes for %d lookups", h.probes, N);
	for (unsigned i = 0; i < N - 10; i++)
		assert_true(htab_remove(&h, htab_hash_u64(&h, pool[i].key), &pool[i]));
	check(&h);
	/* ten items left: the slots shrank with them */
	assert_true(h.mask + 1 <= 128);
	htab_destroy(&h);
	free(pool);
}

static void test_htab_oom_leaves_table_unchanged(void **state)
{
	struct item it[5] = { { 1 }, { 2 }, { 3 }, { 4 }, { 5 } };
	struct htab h;

	(void)state;
	htab_init(&h, NULL);
	host_fail_at(1, HOST_FAIL_PERSISTENT);
	assert_int_equal(htab_insert(&h, htab_hash_u64(&h, 1), &it[0]), -ENOMEM);
	host_fail_at(0, HOST_FAIL_ONCE);
	assert_int_equal(h.nr, 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(htab_insert(&h, htab_hash_u64(&h, it[i].key), &it[i]), 0);
	/* the fifth item needs 16 slots */
	host_fail_at(1, HOST_FAIL_PERSISTENT);
	assert_int_equal(htab_insert(&h, htab_hash_u64(&h, 5), &it[4]), -ENOMEM);
	host_fail_at(0, HOST_FAIL_ONCE);
	assert_int_equal(h.nr, 4);
	check(&h);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(count(&h, real_hash, it[i].key), 1);
	htab_destroy(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_reference_vectors),
		cmocka_unit_test(test_htab_random_against_array),
		cmocka_unit_test(test_htab_all_keys_one_hash),
		cmocka_unit_test(test_htab_probes_stay_constant),
		cmocka_unit_test(test_htab_oom_leaves_table_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
