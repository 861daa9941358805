/*
 * Scenario ops of the kernel address space (src/kern/vmalloc.c,
 * highmem.c, fixmap.c, maccess.c):
 *   vmalloc          { size, caller }         value: the area's address
 *   vzalloc          { size, caller }         the same, zeroed
 *   vfree            { addr }                 error EINVAL: no area there
 *   vm_unmap_aliases                          purge lazily freed areas now
 *   vmalloc_to_page  { addr }                 value: the physical address
 *   kmap             { page }                 value: kernel address
 *   kunmap           { page }                 error EINVAL: not kmapped
 *   kmap_atomic      { page, cpu }            value: kernel address
 *   kunmap_atomic    { addr, cpu }            error EINVAL: not the last slot
 *   kmap_local       { page, cpu }            (kmap_local_page)
 *   kunmap_local     { addr, cpu }
 *   set_fixmap       { idx, phys }            value: the slot's address
 *   clear_fixmap     { idx }
 *   kread            { addr, size }           value: the bytes read
 *   kwrite           { addr, size, value }
 * `page` is the physical address an alloc_pages step returned (an
 * allocated frame, else error EINVAL).  kmap fails with EAGAIN when every
 * pkmap slot is held (the kernel would sleep), kmap_atomic with EBUSY when
 * the CPU's KM_MAX_IDX slots are taken (the kernel BUG()s).  kread/kwrite
 * are CPL-0 accesses through cpu 0's MMU: a page fault is the outcome
 * `fault: [...]` with the x86 error code (an oops in the kernel), a
 * non-canonical address `error: EFAULT` (#GP).
 * Invariant: every op either completes through the library call or leaves
 * the machine as it was and reports why in its outcome.
 */
#include <errno.h>
#include <stdio.h>

#include "kern/fixmap.h"
#include "kern/highmem.h"
#include "kern/maccess.h"
#include "kern/machine.h"
#include "kern/vmalloc.h"
#include "ops.h"
#include "scenario.h"

/* The allocated frame at physical address @key's value, or NULL (and the
 * step's outcome set to EINVAL). */
static int arg_page(struct scn *s, struct scn_step *st, const char *key, struct page **out)
{
	struct phys_mem *pm = &scn_machine(s)->pm;
	struct page *page;
	uint64_t pa;
	int ret = scn_arg_u64(s, st, key, true, &pa);

	*out = NULL;
	if (ret < 0)
		return ret;
	if ((pa & (PAGE_SIZE - 1)) || !pfn_valid(pm, (unsigned long)(pa >> PAGE_SHIFT))) {
		scn_error(st, -EINVAL);
		return 0;
	}
	page = pfn_to_page(pm, (unsigned long)(pa >> PAGE_SHIFT));
	if (page_ref_count(page) <= 0 || PageBuddy(page)) {
		scn_error(st, -EINVAL);
		return 0;
	}
	*out = page;
	return 0;
}

static int get_cpu(struct scn *s, struct scn_step *st, unsigned *cpu)
{
	uint64_t c = 0;
	int ret = scn_arg_u64(s, st, "cpu", false, &c);

	if (ret < 0)
		return ret;
	if (c >= scn_machine(s)->nr_cpus)
		return scn_bad(s, st, scn_arg(st, "cpu"), "cpu %llu: the machine has %u CPU(s)",
			       (unsigned long long)c, scn_machine(s)->nr_cpus);
	*cpu = (unsigned)c;
	return 0;
}

static int do_vmalloc(struct scn *s, struct scn_step *st, bool zero)
{
	struct vmsim_machine *m = scn_machine(s);
	const char *caller = NULL;
	char def[32];
	uint64_t size, addr;
	int ret;

	if ((ret = scn_arg_u64(s, st, "size", true, &size)) < 0 ||
	    (ret = scn_arg_str(s, st, "caller", false, &caller)) < 0)
		return ret;
	if (!caller) {
		/* the kernel prints its caller's symbol; a step has a number */
		snprintf(def, sizeof(def), "step%d", st->index);
		caller = def;
	}
	addr = zero ? vzalloc(m, size, caller) : vmalloc(m, size, caller);
	if (!addr)
		scn_error(st, -ENOMEM);
	else
		scn_value(st, addr);
	return 0;
}

static int op_vmalloc(struct scn *s, struct scn_step *st)
{
	return do_vmalloc(s, st, false);
}

static int op_vzalloc(struct scn *s, struct scn_step *st)
{
	return do_vmalloc(s, st, true);
}

static int op_vfree(struct scn *s, struct scn_step *st)
{
	uint64_t addr;
	int ret = scn_arg_u64(s, st, "addr", true, &addr);

	if (ret < 0)
		return ret;
	ret = vfree(scn_machine(s), addr);
	if (ret)
		scn_error(st, ret);
	return 0;
}

static int op_vm_unmap_aliases(struct scn *s, struct scn_step *st)
{
	(void)st;
	vm_unmap_aliases(scn_machine(s));
	return 0;
}

static int op_vmalloc_to_page(struct scn *s, struct scn_step *st)
{
	struct vmsim_machine *m = scn_machine(s);
	struct page *page;
	uint64_t addr;
	int ret = scn_arg_u64(s, st, "addr", true, &addr);

	if (ret < 0)
		return ret;
	page = vmalloc_to_page(m, addr);
	if (!page)
		scn_error(st, -EFAULT);
	else
		scn_value(st, page_to_phys(&m->pm, page));
	return 0;
}

static int op_kmap(struct scn *s, struct scn_step *st)
{
	struct page *page;
	uint64_t addr;
	int ret = arg_page(s, st, "page", &page);

	if (ret < 0 || !page)
		return ret;
	addr = kmap(scn_machine(s), page);
	if (!addr)
		scn_error(st, -EAGAIN);
	else
		scn_value(st, addr);
	return 0;
}

static int op_kunmap(struct scn *s, struct scn_step *st)
{
	struct page *page;
	int ret = arg_page(s, st, "page", &page);

	if (ret < 0 || !page)
		return ret;
	ret = kunmap(scn_machine(s), page);
	if (ret)
		scn_error(st, ret);
	return 0;
}

static int op_kmap_local(struct scn *s, struct scn_step *st)
{
	struct page *page;
	unsigned cpu = 0;
	uint64_t addr;
	int ret = get_cpu(s, st, &cpu);

	if (ret < 0)
		return ret;
	ret = arg_page(s, st, "page", &page);
	if (ret < 0 || !page)
		return ret;
	addr = kmap_local_page(scn_machine(s), cpu, page);
	if (!addr)
		scn_error(st, -EBUSY);
	else
		scn_value(st, addr);
	return 0;
}

static int op_kunmap_local(struct scn *s, struct scn_step *st)
{
	unsigned cpu = 0;
	uint64_t addr;
	int ret = get_cpu(s, st, &cpu);

	if (ret < 0 || (ret = scn_arg_u64(s, st, "addr", true, &addr)) < 0)
		return ret;
	ret = kunmap_local(scn_machine(s), cpu, addr);
	if (ret)
		scn_error(st, ret);
	return 0;
}

static int op_set_fixmap(struct scn *s, struct scn_step *st)
{
	struct vmsim_machine *m = scn_machine(s);
	uint64_t idx, phys;
	int ret;

	if ((ret = scn_arg_u64(s, st, "idx", true, &idx)) < 0 ||
	    (ret = scn_arg_u64(s, st, "phys", true, &phys)) < 0)
		return ret;
	ret = idx > ~0u ? -EINVAL : set_fixmap(m, (unsigned)idx, phys);
	if (ret)
		scn_error(st, ret);
	else
		scn_value(st, __fix_to_virt(m, (unsigned)idx));
	return 0;
}

static int op_clear_fixmap(struct scn *s, struct scn_step *st)
{
	uint64_t idx;
	int ret = scn_arg_u64(s, st, "idx", true, &idx);

	if (ret < 0)
		return ret;
	ret = idx > ~0u ? -EINVAL : clear_fixmap(scn_machine(s), (unsigned)idx);
	if (ret)
		scn_error(st, ret);
	return 0;
}

static int get_size(struct scn *s, struct scn_step *st, unsigned *size)
{
	uint64_t v;
	int ret = scn_arg_u64(s, st, "size", true, &v);

	if (ret < 0)
		return ret;
	if (v != 1 && v != 2 && v != 4 && v != 8)
		return scn_bad(s, st, scn_arg(st, "size"), "size %llu: 1, 2, 4 or 8 bytes",
			       (unsigned long long)v);
	*size = (unsigned)v;
	return 0;
}

static void set_fault(struct scn_step *st, const struct vmsim_fault *f)
{
	if (f->gp) {
		scn_error(st, -EFAULT);
		return;
	}
	st->out.kind = OUT_FAULT;
	st->out.fault_code = f->error_code;
}

static int op_kread(struct scn *s, struct scn_step *st)
{
	struct vmsim_fault f;
	uint64_t addr, v;
	unsigned size = 0;
	int ret;

	if ((ret = scn_arg_u64(s, st, "addr", true, &addr)) < 0 ||
	    (ret = get_size(s, st, &size)) < 0)
		return ret;
	if (kread(scn_machine(s), addr, size, &v, &f))
		set_fault(st, &f);
	else
		scn_value(st, v);
	return 0;
}

static int op_kwrite(struct scn *s, struct scn_step *st)
{
	struct vmsim_fault f;
	uint64_t addr, v;
	unsigned size = 0;
	int ret;

	if ((ret = scn_arg_u64(s, st, "addr", true, &addr)) < 0 ||
	    (ret = get_size(s, st, &size)) < 0 || (ret = scn_arg_u64(s, st, "value", true, &v)) < 0)
		return ret;
	if (size < 8 && (v >> (8 * size)))
		return scn_bad(s, st, scn_arg(st, "value"), "value 0x%llx does not fit in %u bytes",
			       (unsigned long long)v, size);
	ret = kwrite(scn_machine(s), addr, size, v, &f);
	if (ret == -EPERM)
		scn_error(st, ret);	/* the simulator's own structures */
	else if (ret)
		set_fault(st, &f);
	return 0;
}

static const char *const vmalloc_keys[] = { "size", "caller", NULL };
static const char *const addr_keys[] = { "addr", NULL };
static const char *const none_keys[] = { NULL };
static const char *const page_keys[] = { "page", NULL };
static const char *const page_cpu_keys[] = { "page", "cpu", NULL };
static const char *const addr_cpu_keys[] = { "addr", "cpu", NULL };
static const char *const setfix_keys[] = { "idx", "phys", NULL };
static const char *const idx_keys[] = { "idx", NULL };
static const char *const kread_keys[] = { "addr", "size", NULL };
static const char *const kwrite_keys[] = { "addr", "size", "value", NULL };

const struct scn_op scn_ops_kmem[] = {
	{ "vmalloc", op_vmalloc, vmalloc_keys },
	{ "vzalloc", op_vzalloc, vmalloc_keys },
	{ "vfree", op_vfree, addr_keys },
	{ "vm_unmap_aliases", op_vm_unmap_aliases, none_keys },
	{ "vmalloc_to_page", op_vmalloc_to_page, addr_keys },
	{ "kmap", op_kmap, page_keys },
	{ "kunmap", op_kunmap, page_keys },
	{ "kmap_atomic", op_kmap_local, page_cpu_keys },
	{ "kunmap_atomic", op_kunmap_local, addr_cpu_keys },
	{ "kmap_local", op_kmap_local, page_cpu_keys },
	{ "kunmap_local", op_kunmap_local, addr_cpu_keys },
	{ "set_fixmap", op_set_fixmap, setfix_keys },
	{ "clear_fixmap", op_clear_fixmap, idx_keys },
	{ "kread", op_kread, kread_keys },
	{ "kwrite", op_kwrite, kwrite_keys },
	{ NULL, NULL, NULL },
};
