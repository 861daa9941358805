/*
 * Fuzz target: the bytes are a machine config file.  Loading must either
 * fail with one message line and a negative errno, or produce a config
 * that finalizes; a finalized config must survive config_dump_yaml() and
 * load back to the same values (the writer's promise).  Any crash, leak
 * (ASan) or broken promise (abort) is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/kern_config.h"
#include "util/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const char *msg)
{
	if (!ok) {
		fprintf(stderr, "fuzz_config: %s (%s)\n", what, msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmsim_config c, r;	/* large: keep them off the stack */
	struct vmsim_error err = { 0 };
	char *text = NULL;
	int ret;

	ret = config_load_string(&c, "fuzz.yaml", (const char *)data, size, &err);
	if (!ret)
		ret = config_finalize(&c, machine_config_rules, &err);
	if (ret) {
		check(ret < 0 && ret == err.code && err.msg[0] && !strchr(err.msg, '\n'),
		      "error without one message line", err.msg);
		return 0;
	}
	ret = config_dump_yaml(&c, &text, &err);
	check(ret == 0, "dump failed", err.msg);
	ret = config_load_string(&r, "dump.yaml", text, strlen(text), &err);
	if (!ret)
		ret = config_finalize(&r, machine_config_rules, &err);
	check(ret == 0, "dump does not load back", err.msg);
	check(r.arch == c.arch && r.mem_size == c.mem_size && r.nr_reserve == c.nr_reserve &&
	      r.kernel_start == c.kernel_start && r.vmalloc_start == c.vmalloc_start &&
	      r.vmalloc_end == c.vmalloc_end && r.mmap_base == c.mmap_base &&
	      r.lowmem_end == c.lowmem_end && r.stack_rlimit == c.stack_rlimit &&
	      strcmp(r.name, c.name) == 0 && r.l2.entries == c.l2.entries,
	      "dump loads back to different values", text);
	free(text);
	return 0;
}
