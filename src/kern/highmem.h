/*
 * High memory on x86_32 (mm/highmem.c, arch/x86/include/asm/highmem.h):
 * frames above lowmem have no direct-map address, so the kernel maps them
 * on demand:
 *
 *   kmap()/kunmap()         the pkmap area: LAST_PKMAP slots from
 *                           PKMAP_BASE, one page table, reference counted;
 *                           a freed slot stays mapped until the slot
 *                           search wraps and flush_all_zero_pkmaps()
 *                           clears every unused one with one TLB flush
 *   kmap_local_page()/      per-CPU fixmap slots FIX_KMAP_BEGIN + idx +
 *   kmap_atomic()           KM_MAX_IDX * cpu, used as a stack (unmap in
 *                           reverse order), flushed one page at a time
 *
 * On a lowmem page, and on x86_64 (no HIGHMEM), every one of them returns
 * the direct-map address and changes nothing.
 */
#ifndef VMSIM_KERN_HIGHMEM_H
#define VMSIM_KERN_HIGHMEM_H

#include <stdbool.h>
#include <stdint.h>

#include "kern/machine.h"
#include "util/list.h"

#define PA_HASH_ORDER 7		/* page_address_htable: 128 buckets */

/* One page_address_htable entry: a kmapped highmem page and its address. */
struct page_address_map {
	struct page *page;
	uint64_t virtual;
	struct list_head list;
};

/* kmap_local state of one CPU (Linux keeps it per task, the task pinned to
 * its CPU while it holds slots; one CPU runs one context here). */
struct kmap_ctrl {
	int idx;			/* slots in use */
	uint64_t pteval[16];		/* KM_MAX_IDX */
};

struct highmem_state {
	unsigned last_pkmap;		/* LAST_PKMAP */
	int *pkmap_count;		/* 0 free, 1 unused but mapped, n+1 n users */
	unsigned last_pkmap_nr;		/* where the slot search resumes */
	struct page_address_map *page_address_maps;	/* LAST_PKMAP entries */
	struct list_head page_address_pool;		/* unused entries */
	struct list_head page_address_htable[1u << PA_HASH_ORDER];
	struct kmap_ctrl *kmap_ctrl;	/* per CPU */
	unsigned fix_kmap_begin, km_max_idx;
	/* statistics */
	unsigned long nr_kmap, nr_flush_all_zero, nr_kmap_local;
};

int highmem_init(struct vmsim_machine *m, struct vmsim_error *err);
void highmem_finish(struct vmsim_machine *m);

bool PageHighMem(const struct vmsim_machine *m, const struct page *page);

/* page_address() with HASHED_PAGE_VIRTUAL: the direct-map address of a
 * lowmem page, the pkmap address of a kmap()ed highmem page, else 0. */
uint64_t highmem_page_address(struct vmsim_machine *m, const struct page *page);

/*
 * kmap(): the page's kernel address, held until kunmap().  A highmem page
 * gets a pkmap slot (the one it already has, else a new one).  0 when all
 * LAST_PKMAP slots are held (the kernel would sleep until a kunmap; a
 * simulated machine has nobody to wait for).
 */
uint64_t kmap(struct vmsim_machine *m, struct page *page);
/* kunmap(): drop the hold.  -EINVAL if the page is not kmapped (the
 * kernel BUG()s). */
int kunmap(struct vmsim_machine *m, struct page *page);

/*
 * kmap_local_page() on @cpu: a lowmem page's direct-map address, or the
 * next fixmap slot of that CPU's stack.  0 when the CPU's KM_MAX_IDX slots
 * are all in use (the kernel BUG()s).  kmap_atomic() is the same call (it
 * also disables preemption and page faults, which nothing here models).
 */
uint64_t kmap_local_page(struct vmsim_machine *m, unsigned cpu, struct page *page);
static inline uint64_t kmap_atomic(struct vmsim_machine *m, unsigned cpu, struct page *page)
{
	return kmap_local_page(m, cpu, page);
}
/* kunmap_local(): release @addr, which must be the CPU's last slot
 * (-EINVAL otherwise; the kernel WARNs); a direct-map or pkmap address is
 * accepted and changes nothing. */
int kunmap_local(struct vmsim_machine *m, unsigned cpu, uint64_t addr);
static inline int kunmap_atomic(struct vmsim_machine *m, unsigned cpu, uint64_t addr)
{
	return kunmap_local(m, cpu, addr);
}

/* PKMAP_ADDR(nr) / PKMAP_NR(addr) */
static inline uint64_t PKMAP_ADDR(const struct vmsim_machine *m, unsigned nr)
{
	return m->cfg.pkmap_base + ((uint64_t)nr << 12);
}
static inline unsigned PKMAP_NR(const struct vmsim_machine *m, uint64_t addr)
{
	return (unsigned)((addr - m->cfg.pkmap_base) >> 12);
}

/* Checker: every pkmap slot's count agrees with its PTE and with
 * page_address_htable; every CPU's kmap_local stack agrees with the fixmap
 * PTEs.  0, or -EFAULT with the first violation in @err. */
int highmem_check(struct vmsim_machine *m, struct vmsim_error *err);

#endif
