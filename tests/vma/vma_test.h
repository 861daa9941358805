/*
 * Shared helpers of the process-layer tests: a booted machine, tasks by
 * name, accesses with their SIGSEGV outcome, and the whole-machine checker
 * (check_mm of every mm, frame refcounts vs mappings, buddy lists) wrapped
 * as an assertion that runs after every mutation.
 */
#ifndef VMSIM_TESTS_VMA_TEST_H
#define VMSIM_TESTS_VMA_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/task.h"
#include "phys/slab.h"
#include "vma/mm.h"
#include "vma/rmap.h"
#include "vmsim/machine.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static inline struct vmsim_machine *vt_boot(const char *arch, const char *mem)
{
	char set[64];
	const char *sets[] = { set, NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;

	snprintf(set, sizeof(set), "memory.size=%s", mem);
	m = vmsim_machine_create(arch, sets, &err);
	if (!m)
		fail_msg("boot %s: %s", arch, err.msg);
	return m;
}

static inline void vt_check(struct vmsim_machine *m)
{
	struct vmsim_error err = { 0 };

	if (machine_check(m, &err))
		fail_msg("checker: %s", err.msg);
}

static inline struct task_struct *vt_spawn(struct vmsim_machine *m, const char *name,
					   uint64_t start_brk, uint64_t stack)
{
	struct spawn_args a = { .start_brk = start_brk, .stack_size = stack };
	struct task_struct *t = NULL;

	assert_int_equal(task_spawn(m, name, &a, &t), 0);
	vt_check(m);
	return t;
}

/* mmap that must succeed; returns the address */
static inline uint64_t vt_mmap(struct task_struct *t, uint64_t addr, uint64_t len,
			       unsigned long prot, unsigned long flags)
{
	int64_t r = vm_mmap(t->mm, NULL, addr, len, prot, flags | MAP_ANONYMOUS, 0);

	if (r < 0)
		fail_msg("mmap(%#llx, %#llx): %lld", (unsigned long long)addr,
			 (unsigned long long)len, (long long)r);
	vt_check(vm_machine(t->mm->vm));
	return (uint64_t)r;
}

/* The signal an access got: 0 (none), SEGV_MAPERR / SEGV_ACCERR, or
 * FAULT_SIGBUS. */
static inline int vt_signal(const struct access_result *r)
{
	return r->sigbus ? FAULT_SIGBUS : r->segv;
}

/* 0 (ok), SEGV_MAPERR / SEGV_ACCERR, or FAULT_SIGBUS */
static inline int vt_write(struct task_struct *t, uint64_t va, uint64_t v)
{
	struct access_result r;

	assert_int_equal(task_access(t, va, MMU_WRITE, &v, sizeof(v), &r), 0);
	vt_check(vm_machine(t->mm->vm));
	return vt_signal(&r);
}

static inline int vt_read(struct task_struct *t, uint64_t va, uint64_t *v)
{
	struct access_result r;

	*v = 0;
	assert_int_equal(task_access(t, va, MMU_READ, v, sizeof(*v), &r), 0);
	vt_check(vm_machine(t->mm->vm));
	return vt_signal(&r);
}

static inline uint64_t vt_read_ok(struct task_struct *t, uint64_t va)
{
	uint64_t v;

	assert_int_equal(vt_read(t, va, &v), 0);
	return v;
}

/* Every task exits (the newest first), the machine is checked then
 * destroyed: the end of most tests. */
static inline void vt_teardown(struct vmsim_machine *m)
{
	while (!list_empty(&m->tasks)) {
		do_exit(list_last_entry(&m->tasks, struct task_struct, tasks));
		vt_check(m);
	}
	vmsim_machine_destroy(m);
}

/* The frame a present PTE maps at @va, or NULL. */
static inline struct page *vt_frame_of(struct task_struct *t, uint64_t va)
{
	uint64_t pte = mm_pte_lookup(t->mm, va);

	if (!(pte & _PAGE_PRESENT))
		return NULL;
	const struct vm_ctx *vm = t->mm->vm;

	return pfn_to_page(vm->pm,
			   (unsigned long)((pte & vm->pt->fmt->entry_addr_mask) >> PAGE_SHIFT));
}

/* "start-end perms" of every VMA, for comparing layouts in one string */
static inline const char *vt_layout(struct mm_struct *mm, char *buf, size_t len)
{
	struct vm_area_struct *vma;
	size_t used = 0;

	buf[0] = '\0';
	for_each_vma(mm, vma) {
		int n = snprintf(buf + used, len - used, "%s%llx-%llx %c%c%c", used ? " " : "",
				 (unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end,
				 vma->vm_flags & VM_READ ? 'r' : '-', vma->vm_flags & VM_WRITE ? 'w' : '-',
				 vma->vm_flags & VM_EXEC ? 'x' : '-');
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

#define assert_layout(mm, want) do {						\
	char _b[2048];								\
	const char *_g = vt_layout(mm, _b, sizeof(_b));				\
	if (strcmp(_g, want) != 0)						\
		fail_msg("layout\n  got:  %s\n  want: %s", _g, want);		\
} while (0)

/* Free pages per zone and order, after giving empty slabs and the per-CPU
 * lists back. */
struct vt_free { unsigned long nr[MAX_NR_ZONES][NR_ORDERS_LIMIT]; unsigned long total; };

static inline void vt_free_snapshot(struct vmsim_machine *m, struct vt_free *f)
{
	memset(f, 0, sizeof(*f));
	if (m->task_struct_cachep) {
		kmem_cache_shrink(m->task_struct_cachep);
		kmem_cache_shrink(m->mm_cachep);
		kmem_cache_shrink(m->vm.vm_area_cachep);
		kmem_cache_shrink(m->vm.anon_vma_cachep);
		kmem_cache_shrink(m->vm.anon_vma_chain_cachep);
	}
	/* the per-CPU lists back to the buddy lists, so that equal blocks
	 * per order mean every frame came back and merged */
	drain_all_pages(&m->pm, NULL);
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		for (unsigned o = 0; o <= m->pm.max_order; o++)
			f->nr[z][o] = m->pm.node_data[0].node_zones[z].free_area[o].nr_free;
	f->total = nr_free_pages(&m->pm);
}

/* What rmap_walk_anon() finds for a page: the first four VMAs with the
 * page's address in each, and how many in all. */
struct vt_rmap_hits {
	struct vm_area_struct *vma[4];
	uint64_t addr[4];
	unsigned n;
};

static inline int vt_note_rmap_hit(struct vm_area_struct *vma, uint64_t addr, void *arg)
{
	struct vt_rmap_hits *h = arg;

	if (h->n < 4) {
		h->vma[h->n] = vma;
		h->addr[h->n] = addr;
	}
	h->n++;
	return 0;
}

static inline struct vt_rmap_hits vt_rmap_of(struct page *page)
{
	struct vt_rmap_hits h = { 0 };

	assert_int_equal(rmap_walk_anon(page, vt_note_rmap_hit, &h), 0);
	return h;
}

/* Every frame is free again, as in @before: the machine goes. */
static inline void vt_destroy_all_freed(struct vmsim_machine *m, const struct vt_free *before)
{
	struct vt_free after;

	vt_free_snapshot(m, &after);
	assert_int_equal(after.total, before->total);
	vmsim_machine_destroy(m);
}

#endif
