/*
 * What the MMU tests share: a machine with one user root table loaded in
 * cpu 0's CR3.
 */
#ifndef VMSIM_TESTS_MMU_TEST_H
#define VMSIM_TESTS_MMU_TEST_H

#include "kern/kpgtable.h"
#include "kern/machine.h"
#include "mmu/mmu.h"

struct rig {
	struct vmsim_machine *m;
	struct vmsim_cpu *cpu;
	uint64_t root;
};

static inline void rig_init(struct rig *r, const char *name, const char **sets)
{
	struct vmsim_error err = { 0 };

	r->m = vmsim_machine_create(name, sets, &err);
	if (!r->m)
		fail_msg("%s", err.msg);
	r->cpu = &r->m->cpus[0];
	assert_int_equal(mm_pgd_alloc(r->m, &r->root), 0);
	mmu_load_cr3(r->cpu, r->root, 0, false);
}

static inline void rig_finish(struct rig *r)
{
	mmu_load_cr3(r->cpu, r->m->vm.kernel_pgd, 0, false);
	pt_free_empty(&r->m->pt, r->root, 0, r->m->cfg.task_size - 1);
	mm_pgd_free(r->m, r->root);
	vmsim_machine_destroy(r->m);
}

#endif
