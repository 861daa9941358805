/*
 * Helpers shared by the tests of src/kern's address-space modules: boot a
 * built-in machine with overrides, kernel-mode accesses that return the
 * fault code, free-frame accounting that sees through page-table pages,
 * and the checker run after each mutation.
 */
#ifndef VMSIM_TESTS_KERN_TEST_H
#define VMSIM_TESTS_KERN_TEST_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kern/kpgtable.h"
#include "kern/maccess.h"
#include "kern/machine.h"
#include "mmu/mmu.h"

static inline struct vmsim_machine *boot_with(const char *name, const char *const *sets)
{
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m = vmsim_machine_create(name, sets, &err);

	if (!m)
		fail_msg("boot %s: %s", name, err.msg);
	return m;
}

static inline struct vmsim_machine *boot(const char *name)
{
	return boot_with(name, NULL);
}

/* machine_check() must pass (after every mutation). */
static inline void check(struct vmsim_machine *m)
{
	struct vmsim_error err = { 0 };

	if (machine_check(m, &err))
		fail_msg("machine_check: %s", err.msg);
}

#define NO_FAULT 0xffffffffu

/* kread of @size bytes: the value, or ~0 with *code = error code */
static inline uint64_t rd(struct vmsim_machine *m, uint64_t va, unsigned size, uint32_t *code)
{
	struct vmsim_fault f;
	uint64_t v;

	*code = NO_FAULT;
	if (kread(m, va, size, &v, &f)) {
		*code = f.error_code;
		return ~0ULL;
	}
	return v;
}

static inline uint32_t wr(struct vmsim_machine *m, uint64_t va, unsigned size, uint64_t v)
{
	struct vmsim_fault f;

	if (kwrite(m, va, size, v, &f))
		return f.error_code;
	return NO_FAULT;
}

/* Free frames plus the page-table pages allocated since boot: kernel page
 * tables are never freed (as in Linux), so "everything returned" means
 * this number is back where it was. */
static inline unsigned long frames_accounted(struct vmsim_machine *m)
{
	return nr_free_pages_with_pcp(&m->pm) + m->pt.nr_tables;
}

#endif
