/*
 * The public API as an outside program sees it: only <vmsim/vmsim.h>,
 * linked against the shared libvmsim.  Proves the exported symbols are
 * enough to boot machines, allocate and free frames and render views.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmsim/vmsim.h>

static char *render(struct vmsim_machine *m, const char *what, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(vmsim_show(m, what, json, f), 0);
	fclose(f);
	return buf;
}

static void test_api_boot_both_builtins(void **state)
{
	const char *names[] = { "x86_64", "x86_32", "x86_64-la57", "x86_32-pae" };

	for (size_t i = 0; i < 4; i++) {
		struct vmsim_error err = { 0 };
		struct vmsim_machine *m = vmsim_machine_create(names[i], NULL, &err);
		char *info;

		assert_non_null(m);
		assert_int_equal(err.code, 0);
		info = render(m, "info", 0);
		assert_non_null(strstr(info, names[i]));
		free(info);
		vmsim_machine_destroy(m);
	}
}

static void test_api_sets_override_config(void **state)
{
	const char *sets[] = { "memory.size=64MiB", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	char *mi;
	unsigned long total = 0;

	assert_non_null(m);
	mi = render(m, "meminfo", 0);
	assert_int_equal(sscanf(mi, "MemTotal: %lu kB", &total), 1);
	/* 64 MiB minus the BIOS MiB and the 32 MiB kernel image */
	assert_int_equal(total, (64 - 1 - 32) * 1024);
	free(mi);
	vmsim_machine_destroy(m);
}

static void test_api_bad_config_names_the_problem(void **state)
{
	struct vmsim_error err = { 0 };
	const char *sets[] = { "memory.size=lots", NULL };

	assert_null(vmsim_machine_create("tests/no-such-config.yaml", NULL, &err));
	assert_true(err.code < 0);
	assert_non_null(strstr(err.msg, "no-such-config.yaml"));

	memset(&err, 0, sizeof(err));
	assert_null(vmsim_machine_create("x86_64", sets, &err));
	assert_true(err.code < 0);
	assert_non_null(strstr(err.msg, "memory.size"));
}

static void test_api_alloc_free_roundtrip(void **state)
{
	const char *sets[] = { "memory.size=64MiB", NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create("x86_64", sets, &err);
	char *before, *after;
	uint64_t pfn[8];

	assert_non_null(m);
	before = render(m, "buddyinfo", 0);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(vmsim_alloc_pages(m, "GFP_KERNEL|__GFP_DMA", i, &pfn[i]), 0);
		assert_int_equal(pfn[i] & ((1u << i) - 1), 0);	/* naturally aligned */
	}
	assert_int_equal(vmsim_alloc_pages(m, "GFP_BOGUS", 0, &pfn[0]), -EINVAL);
	assert_int_equal(vmsim_alloc_pages(m, NULL, 11, &pfn[0]), -EINVAL);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(vmsim_free_pages(m, pfn[i], i), 0);
	/* a second free of the same block is refused, not corruption */
	assert_int_equal(vmsim_free_pages(m, pfn[0], 0), -EINVAL);
	assert_int_equal(vmsim_free_pages(m, 1ULL << 40, 0), -EINVAL);
	after = render(m, "buddyinfo", 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
	vmsim_machine_destroy(m);
}

static void test_api_unknown_view_and_json(void **state)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create(NULL, NULL, &err);
	char *j;

	assert_non_null(m);
	assert_int_equal(vmsim_show(m, "nonsense", 0, stdout), -ENOENT);
	j = render(m, "buddyinfo", 1);
	assert_true(j[0] == '[');
	free(j);
	vmsim_machine_destroy(m);
	vmsim_machine_destroy(NULL);
}

/* libyaml allocates through four functions of its own, called through its
 * PLT: in a program linking libvmsim they resolve to libvmsim's, which
 * count (and can fail) them with the simulator's host allocations. */
static void test_api_yaml_allocates_through_libvmsim(void **state)
{
	const char *names[] = { "yaml_malloc", "yaml_realloc", "yaml_free", "yaml_strdup" };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;
	unsigned long refused = vmsim_host_oom_count();

	for (size_t i = 0; i < 4; i++) {
		void *p = dlsym(RTLD_DEFAULT, names[i]);
		Dl_info di;

		assert_non_null(p);
		assert_true(dladdr(p, &di));
		if (!strstr(di.dli_fname, "libvmsim"))
			fail_msg("%s resolves to %s", names[i], di.dli_fname);
	}
	/* the parser works through them, and nothing was refused */
	m = vmsim_machine_create("configs/x86_32.yaml", NULL, &err);
	assert_non_null(m);
	vmsim_machine_destroy(m);
	assert_int_equal(vmsim_host_oom_count(), refused);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_boot_both_builtins),
		cmocka_unit_test(test_api_sets_override_config),
		cmocka_unit_test(test_api_bad_config_names_the_problem),
		cmocka_unit_test(test_api_alloc_free_roundtrip),
		cmocka_unit_test(test_api_unknown_view_and_json),
		cmocka_unit_test(test_api_yaml_allocates_through_libvmsim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
