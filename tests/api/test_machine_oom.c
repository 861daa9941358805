/*
 * Host out-of-memory at every point of machine creation: fail the N-th host
 * allocation for N = 0, 1, 2, ... until creation succeeds.  Each failing
 * round must return NULL with -ENOMEM and leave nothing allocated (the ASan
 * build's leak checker proves the latter); the final round must boot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "kern/machine.h"
#include "util/hostalloc.h"

static void oom_sweep(const char *config)
{
	const char *sets[] = { "memory.size=64MiB", NULL };
	struct vmsim_machine *m = NULL;
	long n;

	for (n = 1; n < 100000 && !m; n++) {
		struct vmsim_error err = { 0 };

		host_fail_at((unsigned long)n, HOST_FAIL_PERSISTENT);
		m = vmsim_machine_create(config, sets, &err);
		host_fail_at(0, HOST_FAIL_ONCE);
		if (!m && err.code != -ENOMEM)
			fail_msg("round %ld: error %d (%s), expected -ENOMEM", n, err.code, err.msg);
	}
	assert_non_null(m);
	assert_true(n > 1);	/* creation does allocate: the sweep tested something */
	{
		struct vmsim_error err = { 0 };
		assert_int_equal(machine_check(m, &err), 0);
	}
	vmsim_machine_destroy(m);
}

static void test_machine_create_survives_oom_x86_64(void **state)
{
	oom_sweep("x86_64");
}

static void test_machine_create_survives_oom_x86_32(void **state)
{
	oom_sweep("x86_32");
}

static void test_machine_create_survives_oom_config_file(void **state)
{
	oom_sweep("configs/x86_32.yaml");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_create_survives_oom_x86_64),
		cmocka_unit_test(test_machine_create_survives_oom_x86_32),
		cmocka_unit_test(test_machine_create_survives_oom_config_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
