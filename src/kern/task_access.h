/*
 * The body of task_access() (task.h), inline: task.c's task_access() is
 * this, and the public vmsim_read/write/fetch (api_task.c) inline it too,
 * so the API's access costs one call, as the internal one does.  One
 * source for both.
 */
#ifndef VMSIM_KERN_TASK_ACCESS_H
#define VMSIM_KERN_TASK_ACCESS_H

#include <errno.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "mmu/mmu.h"
#include "phys/mmzone.h"
#include "phys/page.h"
#include "vma/mm_types.h"

/* A user store to @pa that only a corrupted mapping can make (a page
 * table, the zero page, the simulator's own frames): counted, reported on
 * the console, and true so that it is dropped (task.c). */
bool task_store_refused(struct vmsim_machine *m, const struct task_struct *t, uint64_t va,
			uint64_t pa);

/* always_inline: left to itself GCC keeps one out-of-line copy per file,
 * which puts the second call back (bench_api) */
static inline __attribute__((always_inline)) int
task_access_inline(struct task_struct *t, uint64_t va, enum mmu_access acc, void *buf, size_t size,
		   struct access_result *r)
{
	struct vmsim_machine *m = vm_machine(t->mm->vm);
	struct vmsim_cpu *cpu = &m->cpus[0];
	uint8_t *p = buf;

	memset(r, 0, sizeof(*r));
	/* a task with SIGKILL pending runs no more instructions */
	if (t->sigkill) {
		r->killed = true;
		return 0;
	}
	if (buf && !m->cfg.contents)
		return -EOPNOTSUPP;	/* memory.contents none: no bytes to read or write */
	if (m->current[0] != t || cpu->cr3 != t->mm->pgd)
		context_switch(m, 0, t);
	while (size) {
		size_t chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
		struct vmsim_fault f;
		uint8_t *host;
		uint64_t pa;
		int tries;

		if (chunk > size)
			chunk = size;
		for (tries = 0;; tries++) {
			int ret;

			if (translate(cpu, va, acc, MMU_USER, &pa, &f))
				break;
			r->faults++;
			/* a fault that a handled fault does not cure twice
			 * over is a bad PTE someone wrote by hand */
			task_enter_kernel(t);
			ret = tries < 4 ? do_user_addr_fault(t, &f) : SEGV_ACCERR;
			task_leave_kernel(m);
			/* SIGKILL arrived (the OOM killer chose it): the task
			 * dies on its way back, the access never completes */
			if (t->sigkill) {
				r->killed = true;
				return 0;
			}
			/* the fault returns to user mode: memory.high's
			 * reclaim, and other victims die, before the access
			 * is retried */
			exit_to_user_mode(m);
			if (ret < 0)
				return ret;
			if (ret == FAULT_SIGBUS) {
				r->sigbus = BUS_ADRERR;
				r->segv_addr = f.addr;
				t->fst.sigbus++;
				return 0;
			}
			if (ret) {
				r->segv = ret;
				r->segv_addr = f.gp ? va : f.addr;
				t->fst.segv++;
				return 0;
			}
		}
		if (!buf) {
			/* a read-modify-write that stores what it read (lock
			 * or [x], 0): the write access without new data; or
			 * an access whose bytes nobody looks at */
		} else if ((host = phys_to_host_range(&m->pm, pa, chunk))) {
			if (acc == MMU_WRITE) {
				if (!task_store_refused(m, t, va, pa)) {
					memcpy(host, p, chunk);
					/* a hand-edited PTE may point at a
					 * free frame */
					frame_mark_touched(&m->pm, pa >> PAGE_SHIFT);
				}
			} else {
				memcpy(p, host, chunk);
			}
		} else if (acc != MMU_WRITE) {
			memset(p, 0xff, chunk);	/* no RAM there: the bus reads ones */
		}
		if (p)
			p += chunk;
		va += chunk;
		size -= chunk;
	}
	kswapd_tick(m);
	return 0;
}

#endif
