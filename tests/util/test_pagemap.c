/*
 * Tests of the page-number map (util/pagemap.c): a randomized run of
 * inserts, removals and lookups against a plain array with
 * pagemap_check() after every change, and the length of the runs that
 * lookups walk on a dense range of pages (a program's footprint) under
 * many hash keys (a multiplier that folds such a range onto a few runs,
 * 0xf5f54f8395ee1c6d, walks hundreds of slots a lookup).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/pagemap.h"
#include "vmsim/error.h"

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_pagemap_matches_model(void **state)
{
	enum { KEYS = 512 };
	static uint64_t model[KEYS];	/* value + 1 per key, 0: absent */
	struct vmsim_error err = { 0 };
	struct pagemap pm;
	uint64_t seed = 42;

	(void)state;
	memset(model, 0, sizeof(model));
	assert_int_equal(pagemap_init(&pm, 4), 0);
	for (int i = 0; i < 20000; i++) {
		uint64_t k = xorshift(&seed) % KEYS, r = xorshift(&seed);
		struct pagemap_slot *s;
		bool added;

		if (r % 3 == 0) {
			assert_int_equal(pagemap_remove(&pm, 0x10000 + k), model[k] != 0);
			model[k] = 0;
		} else {
			s = pagemap_insert(&pm, 0x10000 + k, r, &added);
			assert_non_null(s);
			assert_int_equal(added, model[k] == 0);
			if (added)
				model[k] = r + 1;
			assert_int_equal(s->val + 1, model[k]);
		}
		if (pagemap_check(&pm, &err))
			fail_msg("step %d: %s", i, err.msg);
	}
	for (uint64_t k = 0; k < KEYS; k++) {
		struct pagemap_slot *s = pagemap_find(&pm, 0x10000 + k);

		if ((s != NULL) != (model[k] != 0) || (s && s->val + 1 != model[k]))
			fail_msg("key %llu", (unsigned long long)k);
	}
	pagemap_destroy(&pm);
}

/* Slots a lookup of every key walks, on average, with the map half full
 * of 4096 consecutive pages. */
static double dense_probes(uint64_t xor)
{
	struct pagemap pm;
	uint64_t probes = 0;
	bool added;

	assert_int_equal(pagemap_init(&pm, 4096), 0);
	pm.xor = xor;
	for (uint64_t k = 0; k < 4096; k++)
		assert_non_null(pagemap_insert(&pm, 0x10000 + k, k, &added));
	for (uint64_t k = 0; k < 4096; k++)
		for (uint64_t i = pagemap_home(&pm, 0x10000 + k);; i = (i + 1) & pm.mask) {
			probes++;
			if (pm.slots[i].key == 0x10000 + k)
				break;
		}
	pagemap_destroy(&pm);
	return (double)probes / 4096;
}

static void test_pagemap_dense_range_short_runs(void **state)
{
	uint64_t seed = 12345;
	double worst;

	(void)state;
	worst = dense_probes(0);
	for (int i = 0; i < 200; i++) {
		double p = dense_probes(xorshift(&seed));

		if (p > worst)
			worst = p;
	}
	/* Fibonacci hashing spreads a dense range: a slot or two a lookup */
	if (worst > 3)
		fail_msg("%.1f slots per lookup under the worst key", worst);
	printf("worst key: %.2f slots per lookup\n", worst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pagemap_matches_model),
		cmocka_unit_test(test_pagemap_dense_range_short_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
