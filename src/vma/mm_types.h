/*
 * The process address space: struct mm_struct and struct vm_area_struct,
 * with the kernel's field names (include/linux/mm_types.h), the VM_* flags
 * (include/linux/mm.h) and the mm counters.
 *
 * Every VMA of an mm is, at the same time,
 *   - on mm->mmap_list, sorted by address (Linux before 6.1: vm_next/vm_prev),
 *   - in mm->mm_rb, a red-black tree keyed by vm_start (util/rbtree.h),
 *     augmented with rb_subtree_gap: the largest free gap (vm_start_gap()
 *     minus the previous VMA's vm_end_gap()) below any VMA of the subtree,
 * and the two always hold the same VMAs in the same order; VMAs never
 * overlap and are page aligned.  check_mm() (vma/check.c) verifies this,
 * the counters and the page tables after every scenario step.
 */
#ifndef VMSIM_VMA_MM_TYPES_H
#define VMSIM_VMA_MM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "phys/page.h"
#include "util/list.h"
#include "util/rbtree.h"

struct vm_ctx;
struct file;		/* vma/filemap.h */

/* The mode of an open file description (include/linux/fs.h): what a
 * descriptor may do to its file.  A simulated file is one object shared
 * by every opener, so the mode travels with the call that maps it. */
typedef unsigned int fmode_t;
#define FMODE_READ	0x1u
#define FMODE_WRITE	0x2u
#define FMODE_EXEC	0x20u	/* open_exec(): an executable or its interpreter */
/* open(2)'s access mode (O_RDONLY 0, O_WRONLY 1, O_RDWR 2; 3 reads and
 * writes nothing) as FMODE_READ|FMODE_WRITE: OPEN_FMODE() */
#define OPEN_FMODE(flag)	((fmode_t)(((flag) + 1) & 3))
struct task_struct;	/* kern/task.h */

/* vm_flags (include/linux/mm.h), with the kernel's values: the bit
 * numbers are what /proc/PID/smaps orders its VmFlags mnemonics by */
#define VM_NONE		0x00000000UL
#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL
#define VM_MAYREAD	0x00000010UL
#define VM_MAYWRITE	0x00000020UL
#define VM_MAYEXEC	0x00000040UL
#define VM_MAYSHARE	0x00000080UL
#define VM_GROWSDOWN	0x00000100UL
#define VM_UFFD_MISSING	0x00000200UL
#define VM_PFNMAP	0x00000400UL
#define VM_UFFD_WP	0x00001000UL
#define VM_LOCKED	0x00002000UL
#define VM_IO		0x00004000UL
#define VM_SEQ_READ	0x00008000UL	/* MADV_SEQUENTIAL */
#define VM_RAND_READ	0x00010000UL	/* MADV_RANDOM */
#define VM_DONTCOPY	0x00020000UL	/* MADV_DONTFORK: fork leaves it out */
#define VM_DONTEXPAND	0x00040000UL
#define VM_LOCKONFAULT	0x00080000UL	/* with VM_LOCKED: lock pages as they fault in */
#define VM_ACCOUNT	0x00100000UL
#define VM_NORESERVE	0x00200000UL
#define VM_HUGETLB	0x00400000UL
#define VM_SYNC		0x00800000UL
#define VM_ARCH_1	0x01000000UL	/* x86: VM_PAT */
#define VM_WIPEONFORK	0x02000000UL	/* MADV_WIPEONFORK: the child gets it empty */
#define VM_DONTDUMP	0x04000000UL	/* MADV_DONTDUMP */
#define VM_SOFTDIRTY	0x08000000UL
#define VM_MIXEDMAP	0x10000000UL
#define VM_HUGEPAGE	0x20000000UL	/* MADV_HUGEPAGE */
#define VM_NOHUGEPAGE	0x40000000UL	/* MADV_NOHUGEPAGE (and MAP_STACK) */
#define VM_MERGEABLE	0x80000000UL	/* MADV_MERGEABLE: KSM may merge its pages */
#define VM_STACK	VM_GROWSDOWN
#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE | VM_EXEC)
#define VM_LOCKED_MASK	(VM_LOCKED | VM_LOCKONFAULT)
/* mappings that are never merged, whose pages are not normal memory, and
 * that mlock leaves unlocked (the rmap never mlocks their pages) */
#define VM_SPECIAL	(VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP)
/* flags that never block a merge (VM_IGNORE_MERGE) */
#define VM_IGNORE_MERGE VM_SOFTDIRTY

/* PROT_* and MAP_* (uapi/asm-generic/mman*.h, x86); the host's <sys/mman.h>
 * has the same values on x86 Linux, so whichever comes first wins */
#ifndef PROT_NONE
#define PROT_NONE	0x0
#endif
#ifndef PROT_READ
#define PROT_READ	0x1
#endif
#ifndef PROT_WRITE
#define PROT_WRITE	0x2
#endif
#ifndef PROT_EXEC
#define PROT_EXEC	0x4
#endif
#ifndef PROT_GROWSDOWN
#define PROT_GROWSDOWN	0x01000000
#endif

#ifndef MAP_SHARED
#define MAP_SHARED	0x01
#endif
#ifndef MAP_PRIVATE
#define MAP_PRIVATE	0x02
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_TYPE
#define MAP_TYPE	0x0f
#endif
#ifndef MAP_FIXED
#define MAP_FIXED	0x10
#endif
#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS	0x20
#endif
#ifndef MAP_32BIT
#define MAP_32BIT	0x40
#endif
#ifndef MAP_GROWSDOWN
#define MAP_GROWSDOWN	0x0100
#endif
#ifndef MAP_DENYWRITE
#define MAP_DENYWRITE	0x0800
#endif
#ifndef MAP_EXECUTABLE
#define MAP_EXECUTABLE	0x1000
#endif
#ifndef MAP_LOCKED
#define MAP_LOCKED	0x2000
#endif
#ifndef MAP_NORESERVE
#define MAP_NORESERVE	0x4000
#endif
#ifndef MAP_POPULATE
#define MAP_POPULATE	0x8000
#endif
#ifndef MAP_NONBLOCK
#define MAP_NONBLOCK	0x10000
#endif
#ifndef MAP_STACK
#define MAP_STACK	0x20000
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB	0x40000
#endif
#ifndef MAP_SYNC
#define MAP_SYNC	0x80000
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
/* flags MAP_SHARED_VALIDATE accepts (LEGACY_MAP_MASK | MAP_SYNC) */
#ifndef LEGACY_MAP_MASK
#define LEGACY_MAP_MASK (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | \
			 MAP_EXECUTABLE | MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | \
			 MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB)
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif

/* mremap() flags (uapi/linux/mman.h) */
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE	1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED	2
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/* mm->flags bits (include/linux/sched/coredump.h) */
#define MMF_OOM_SKIP		21	/* the OOM killer is done with it (reaped or exiting) */
#define MMF_HUGE_ZERO_PAGE	23	/* holds a reference on the huge zero page */
#define MMF_DISABLE_THP		24	/* prctl(PR_SET_THP_DISABLE) */
/* the bits fork copies to the child (MMF_INIT_MASK) */
#define MMF_INIT_MASK		(1UL << MMF_DISABLE_THP)
/* mlock2(), mlockall() and msync() flags (uapi/asm-generic/mman*.h) */
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT	0x01
#endif
#ifndef MCL_CURRENT
#define MCL_CURRENT	1
#define MCL_FUTURE	2
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT	4
#endif
#ifndef MS_ASYNC
#define MS_ASYNC	1
#define MS_INVALIDATE	2
#define MS_SYNC		4
#endif

/* rss_stat counters (enum in mm_types_task.h) */
enum { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES, NR_MM_COUNTERS };

/* Linux's _PAGE_PROTNONE: a PROT_NONE page keeps its frame in a PTE with
 * P clear and this bit set (the hardware ignores every other bit of a
 * non-present entry). */
#define _PAGE_PROTNONE	(1ULL << 8)

/* The reverse map of anonymous pages (vma/rmap.h). */
struct anon_vma;
struct anon_vma_chain;

/* Shared anonymous memory (shmem_zero_setup: "/dev/zero (deleted)"): the
 * pages of the object, by page offset, held with one reference each, and
 * the VMAs mapping it (the shmem inode's i_mmap: hole punching unmaps the
 * pages from all of them). */
struct shmem_object {
	unsigned long refcount;		/* VMAs using it */
	unsigned long nr_pages;		/* size of pages[] */
	struct page **pages;		/* each: NULL, a page (holding a reference),
					 * or a swap entry (shmem_is_swap()) */
	unsigned long ino;		/* for the maps line */
	struct list_head i_mmap;	/* the VMAs mapping it (vma->shared) */
	unsigned long i_mmap_count;	/* equals refcount */
};

/* A swapped-out page of a shmem object: its swp_entry_t's value in the
 * slot, tagged with bit 0 as swp_to_radix_entry() tags it (pages are
 * aligned, so bit 0 of a real one is clear). */
static inline bool shmem_is_swap(const struct page *p)
{
	return ((uintptr_t)p & 1) != 0;
}

static inline uint64_t shmem_swap_val(const struct page *p)
{
	return (uint64_t)((uintptr_t)p >> 1);
}

static inline struct page *shmem_swap_slot(uint64_t val)
{
	return (struct page *)(uintptr_t)(val << 1 | 1);
}

/* The page a shmem slot holds, NULL for none or a swap entry. */
static inline struct page *shmem_slot_page(struct page *p)
{
	return shmem_is_swap(p) ? NULL : p;
}

struct vm_area_struct;
struct vm_operations_struct {
	const char *(*name)(struct vm_area_struct *vma);	/* special mappings */
};

struct vm_area_struct {
	uint64_t vm_start;		/* first byte */
	uint64_t vm_end;		/* first byte after */
	struct mm_struct *vm_mm;
	struct list_head vm_list;	/* on mm->mmap_list, by address */
	struct rb_node vm_rb;		/* in mm->mm_rb, keyed by vm_start */
	uint64_t rb_subtree_gap;	/* the largest free gap below a VMA of this
					 * subtree (Linux 4.x): the gap search skips
					 * subtrees whose gaps are all too small */
	unsigned long vm_flags;
	uint64_t vm_page_prot;		/* PTE bits for present pages */
	uint64_t vm_pgoff;		/* offset in PAGE_SIZE units (anon: vm_start >> 12) */
	struct file *vm_file;
	struct list_head shared;	/* on vm_file->f_mapping.i_mmap or shm->i_mmap
					 * (Linux: shared.rb) */
	struct list_head anon_vma_chain;	/* its anon_vma_chains (vma/rmap.h), newest first */
	struct anon_vma *anon_vma;	/* where its new anonymous pages go */
	struct shmem_object *shm;	/* shared anonymous: its pages */
	const struct vm_operations_struct *vm_ops;
	unsigned long swap_readahead_info;	/* last swap-in fault: address, window, hits */
};

/* Per-task fault statistics (task_struct min_flt and friends). */
struct fault_stats {
	unsigned long min_flt;		/* faults handled without I/O */
	unsigned long maj_flt;
	unsigned long cow;		/* copy-on-write copies made */
	unsigned long cow_reuse;	/* write faults that reused the only mapping */
	unsigned long zero_page;	/* read faults answered with the zero page */
	unsigned long demand_zero;	/* zeroed frames mapped */
	unsigned long stack_grow;	/* faults that grew a VM_GROWSDOWN VMA */
	unsigned long segv;		/* SIGSEGV delivered */
	unsigned long sigbus;		/* SIGBUS delivered (a file page past EOF) */
};

#define VMACACHE_SIZE 4

struct mm_struct {
	struct vm_ctx *vm;		/* the mm layer's context this mm lives in */
	struct list_head mm_list;	/* on vm->mm_list, every mm of the machine */
	struct list_head mmap_list;	/* VMAs by address (Linux: mm->mmap) */
	struct rb_root mm_rb;
	int map_count;			/* VMAs */
	/* per-mm lookup cache (Linux's vmacache, per thread there), indexed
	 * by the address's PMD number, invalidated by a sequence number */
	struct vm_area_struct *vmacache[VMACACHE_SIZE];
	uint64_t vmacache_seqnum;

	uint64_t pgd;			/* page-table root (physical address) */
	unsigned long ctx_id;		/* mm->context.ctx_id: PCID choice */
	uint64_t tlb_gen;		/* mm->context.tlb_gen: bumped by every flush */
	uint64_t cpu_bitmap;		/* mm_cpumask(): CPUs that may cache it (tlbflush.c) */

	uint64_t task_size;
	uint64_t mmap_base;
	uint64_t mmap_legacy_base;	/* bottom-up start: TASK_UNMAPPED_BASE (+ random) */
	uint64_t mmap_min_addr;
	uint64_t stack_rlimit;		/* RLIMIT_STACK of the owner */
	uint64_t memlock_rlimit;	/* RLIMIT_MEMLOCK of the owner in bytes (UINT64_MAX: unlimited) */
	bool cap_ipc_lock;		/* the owner is capable(CAP_IPC_LOCK) */
	uint64_t stack_guard_gap;	/* 256 pages */

	unsigned long hiwater_rss, hiwater_vm;	/* VmHWM, VmPeak */
	unsigned long total_vm, locked_vm, pinned_vm;
	/* pages locked_vm still counts although no VM_LOCKED VMA maps them:
	 * mremap(MREMAP_DONTUNMAP) clears VM_LOCKED from the source VMA
	 * without unaccounting it, as Linux does (check_mm adds them back) */
	unsigned long locked_vm_dontunmap;
	unsigned long data_vm, exec_vm, stack_vm;
	long rss_stat[NR_MM_COUNTERS];

	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;

	struct list_head mmlist;	/* on the swap mmlist once it swapped (init_mm.mmlist) */
	int mm_users;			/* tasks using the address space */
	int mm_count;			/* references to the struct (mm_users counts 1) */
	unsigned long def_flags;	/* VM_LOCKED_MASK after mlockall(MCL_FUTURE) */
	/* CONFIG_MEMCG: the task whose memory cgroup this mm's pages are
	 * charged to (kern/cgroup.c keeps it; opaque here) */
	struct task_struct *owner;
	unsigned long flags;		/* 1 << MMF_* */
};


static inline unsigned long get_mm_counter(const struct mm_struct *mm, int member)
{
	return mm->rss_stat[member] > 0 ? (unsigned long)mm->rss_stat[member] : 0;
}

static inline unsigned long get_mm_rss(const struct mm_struct *mm)
{
	return get_mm_counter(mm, MM_FILEPAGES) + get_mm_counter(mm, MM_ANONPAGES) +
	       get_mm_counter(mm, MM_SHMEMPAGES);
}

static inline void update_hiwater_rss(struct mm_struct *mm)
{
	unsigned long rss = get_mm_rss(mm);

	if (mm->hiwater_rss < rss)
		mm->hiwater_rss = rss;
}

static inline void update_hiwater_vm(struct mm_struct *mm)
{
	if (mm->hiwater_vm < mm->total_vm)
		mm->hiwater_vm = mm->total_vm;
}

static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (unsigned long)((vma->vm_end - vma->vm_start) >> PAGE_SHIFT);
}

/* Private anonymous memory: the kernel's !vma->vm_ops (files, shared
 * anonymous memory and special mappings all have operations). */
static inline bool vma_is_anonymous(const struct vm_area_struct *vma)
{
	return !vma->vm_file && !vma->shm && !vma->vm_ops;
}

/* vma_has_recency(): whether accesses through @vma say a page is in use;
 * MADV_SEQUENTIAL and MADV_RANDOM mappings tell reclaim not to count
 * theirs. */
static inline bool vma_has_recency(const struct vm_area_struct *vma)
{
	return !(vma->vm_flags & (VM_SEQ_READ | VM_RAND_READ));
}

static inline bool is_cow_mapping(unsigned long flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

/* The lowest address a VMA may be approached to: for a stack that grows
 * down, the guard gap below it (vm_start_gap()). */
static inline uint64_t vm_start_gap(const struct vm_area_struct *vma)
{
	uint64_t start = vma->vm_start;

	if (vma->vm_flags & VM_GROWSDOWN) {
		uint64_t gap = vma->vm_mm->stack_guard_gap;
		start = start > gap ? start - gap : 0;
	}
	return start;
}

static inline uint64_t vm_end_gap(const struct vm_area_struct *vma)
{
	return vma->vm_end;	/* no VM_GROWSUP on x86 */
}

static inline struct vm_area_struct *vma_next(const struct vm_area_struct *vma)
{
	struct list_head *n = vma->vm_list.next;
	return n == &vma->vm_mm->mmap_list ? NULL : list_entry(n, struct vm_area_struct, vm_list);
}

static inline struct vm_area_struct *vma_prev(const struct vm_area_struct *vma)
{
	struct list_head *p = vma->vm_list.prev;
	return p == &vma->vm_mm->mmap_list ? NULL : list_entry(p, struct vm_area_struct, vm_list);
}

static inline struct vm_area_struct *mm_first_vma(const struct mm_struct *mm)
{
	return list_empty(&mm->mmap_list) ? NULL :
	       list_first_entry(&mm->mmap_list, struct vm_area_struct, vm_list);
}

static inline struct vm_area_struct *mm_last_vma(const struct mm_struct *mm)
{
	return list_empty(&mm->mmap_list) ? NULL :
	       list_last_entry(&mm->mmap_list, struct vm_area_struct, vm_list);
}

#define for_each_vma(mm, vma) list_for_each_entry(vma, &(mm)->mmap_list, vm_list)

#endif
