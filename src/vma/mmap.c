/*
 * mmap, munmap and brk (mm/mmap.c, mm/vma.c, arch/x86/kernel/sys_x86_64.c):
 * where a new mapping goes (get_unmapped_area, top-down from mmap_base),
 * how it is validated (do_mmap's errno for each bad argument), how it joins
 * its neighbours (vma_merge), and how any range is removed again (split at
 * both ends, unlink, free the frames and the page tables that became empty,
 * flush the TLB).
 *
 * Invariant at the end of every call: the VMA list and tree agree, the mm
 * counters equal the sums over the VMAs (vm_stat_account on every change),
 * and no present PTE lies outside a VMA.  Failed calls change nothing,
 * except where the kernel itself leaves partial work (a munmap that fails
 * on the second split leaves the first).  Calls that return an address
 * return an errno only as -MAX_ERRNO..-1 (IS_ERR_VALUE); any other value is
 * an address, even one at 2^63 or above, as in the kernel.
 */
#include "vma/mm.h"

#include <errno.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "util/err.h"
#include "util/errname.h"
#include "vma/filemap.h"
#include "vma/rmap.h"
#include "vma/tlbflush.h"

#define PMD_SIZE_THP (2ULL << 20)

/* ---- get_unmapped_area ---- */

/*
 * The gap search (unmapped_area_topdown / unmapped_area of Linux 4.x,
 * which the maple tree's gap tracking replaced with the same results): the
 * gap below a VMA runs from the previous VMA's vm_end_gap() (0 for the
 * first) to vm_start_gap(), and the tail gap from the last VMA's end up.
 * A search wants the highest (top-down) or lowest (bottom-up) gap that
 * still holds @length once clipped to [low, high).  Each VMA caches in
 * rb_subtree_gap the largest gap below any VMA of its subtree, so the
 * descent skips every subtree whose gaps are all too small, and those
 * wholly outside [low, high): O(log n) VMAs visited instead of all of them.
 */
struct gap_query {
	uint64_t length, low, high;
	bool topdown;			/* the highest gap, else the lowest */
};

/* The gap below @vma, clipped to [low, high), is [*start, *end) and holds
 * q->length. */
static bool gap_fits(const struct vm_area_struct *vma, const struct gap_query *q,
		     uint64_t *start, uint64_t *end)
{
	const struct vm_area_struct *prev = vma_prev(vma);

	*start = prev ? vm_end_gap(prev) : 0;
	*end = vm_start_gap(vma);
	if (*start < q->low)
		*start = q->low;
	if (*end > q->high)
		*end = q->high;
	return *end > *start && *end - *start >= q->length;
}

/* The VMA under @n whose gap fits, the rightmost for a top-down search
 * and the leftmost for a bottom-up one, or NULL; its clipped gap in
 * [*start, *end). */
static struct vm_area_struct *find_gap(struct rb_node *n, const struct gap_query *q,
				       uint64_t *start, uint64_t *end)
{
	struct rb_node *near, *far;
	struct vm_area_struct *vma, *r;
	bool right, left;

	if (!n)
		return NULL;
	vma = rb_entry(n, struct vm_area_struct, vm_rb);
	if (vma->rb_subtree_gap < q->length)
		return NULL;
	/* gaps to the right start at vma's end or above; gaps to the left
	 * end below its start */
	right = vma->vm_end + q->length <= q->high;
	left = vma->vm_start >= q->low + q->length;
	near = q->topdown ? n->rb_right : n->rb_left;
	far = q->topdown ? n->rb_left : n->rb_right;
	if ((q->topdown ? right : left) && (r = find_gap(near, q, start, end)))
		return r;
	if (gap_fits(vma, q, start, end))
		return vma;
	if (q->topdown ? left : right)
		return find_gap(far, q, start, end);
	return NULL;
}

/* The tail gap, above every VMA, clipped to [low, high): [*start, *end)
 * holds q->length. */
static bool tail_gap_fits(struct mm_struct *mm, const struct gap_query *q, uint64_t *start,
			  uint64_t *end)
{
	struct vm_area_struct *last = mm_last_vma(mm);

	*start = last ? vm_end_gap(last) : 0;
	if (*start < q->low)
		*start = q->low;
	*end = q->high;
	return *end > *start && *end - *start >= q->length;
}

/*
 * unmapped_area_topdown(): the highest gap in [low, high) that holds @len
 * (no alignment: THP placement pads the length itself, see
 * __thp_get_unmapped_area()).  The mapping goes at the top of the gap.
 * -ENOMEM if none.
 */
static int64_t unmapped_area_topdown(struct mm_struct *mm, uint64_t len, uint64_t low,
				     uint64_t high)
{
	struct gap_query q = { len, low, high, true };
	uint64_t start, end;

	if (high < low || high - low < len)
		return -ENOMEM;
	if (!tail_gap_fits(mm, &q, &start, &end) &&
	    !find_gap(mm->mm_rb.rb_node, &q, &start, &end))
		return -ENOMEM;
	return (int64_t)(end - len);
}

/* unmapped_area(): bottom-up, the lowest gap in [low, high) that holds
 * @len, the mapping at its bottom.  -ENOMEM if none. */
static int64_t unmapped_area(struct mm_struct *mm, uint64_t len, uint64_t low, uint64_t high)
{
	struct gap_query q = { len, low, high, false };
	uint64_t start, end;

	if (high < low || high - low < len)
		return -ENOMEM;
	if (!find_gap(mm->mm_rb.rb_node, &q, &start, &end) &&
	    !tail_gap_fits(mm, &q, &start, &end))
		return -ENOMEM;
	return (int64_t)start;
}

/* in_32bit_syscall(): a 32-bit kernel or a compat task, whose task_size
 * lies below 4 GiB. */
static bool in_32bit_syscall(const struct mm_struct *mm)
{
	return !config_is_64(mm->vm->cfg) || mm->task_size <= (1ULL << 32);
}

/* DEFAULT_MAP_WINDOW of a 64-bit task: where mmap() searches unless a
 * hint lies above it (5-level paging: 47 bits of the 56); a 32-bit task's
 * is its task size. */
static uint64_t map_window(const struct mm_struct *mm)
{
	const uint64_t w = config_map_window(mm->vm->cfg);

	return in_32bit_syscall(mm) || w > mm->task_size ? mm->task_size : w;
}

/* mmap_address_hint_valid() (arch/x86/mm/mmap.c): the hint fits below
 * TASK_SIZE and does not straddle DEFAULT_MAP_WINDOW -- a mapping is
 * either all below 47 bits or all above. */
static bool mmap_address_hint_valid(const struct mm_struct *mm, uint64_t addr, uint64_t len)
{
	const uint64_t w = map_window(mm);

	if (mm->task_size - len < addr)
		return false;
	return (addr > w) == (addr + len > w);
}

/* The lowest address a search may return: the arch's PAGE_SIZE floor, or
 * mmap_min_addr above it (unmapped_area*()). */
static uint64_t search_floor(const struct mm_struct *mm)
{
	return mm->mmap_min_addr > PAGE_SIZE ? mm->mmap_min_addr : PAGE_SIZE;
}

/*
 * arch_get_unmapped_area() of arch/x86/kernel/sys_x86_64.c (and the
 * generic one of a 32-bit kernel): bottom-up from mmap_legacy_base
 * (TASK_UNMAPPED_BASE, a third of the task size), or in [1 GiB, 2 GiB)
 * for MAP_32BIT; a hint is honoured when the range is free.  The search
 * ends at DEFAULT_MAP_WINDOW unless the hint is above it
 * (find_start_end(): task_size_64bit(addr > DEFAULT_MAP_WINDOW)).
 */
static int64_t arch_get_unmapped_area(struct mm_struct *mm, uint64_t addr, uint64_t len,
				      unsigned long flags)
{
	uint64_t begin = mm->mmap_legacy_base, low;
	uint64_t end = addr > map_window(mm) ? mm->task_size : map_window(mm);
	struct vm_area_struct *vma;

	if (flags & MAP_FIXED)
		return (int64_t)addr;
	if (!in_32bit_syscall(mm) && (flags & MAP_32BIT)) {
		/* find_start_end(): the small code model's first 2 GiB, with
		 * the heap's first GiB left out */
		begin = 0x40000000ULL;
		end = 0x80000000ULL;
	}
	if (len > end)
		return -ENOMEM;
	if (addr) {
		addr = PAGE_ALIGN(addr);
		vma = find_vma(mm, addr);
		if (end - len >= addr && (!vma || addr + len <= vm_start_gap(vma)))
			return (int64_t)addr;
	}
	low = begin > search_floor(mm) ? begin : search_floor(mm);
	return unmapped_area(mm, len, low, end);
}

/* arch_get_unmapped_area_topdown(): below mmap_base, highest first; when
 * nothing fits there, bottom-up from mmap_legacy_base ("A failed mmap()
 * very likely causes application failure, so fall back to the bottom-up
 * function here"). */
static int64_t arch_get_unmapped_area_topdown(struct mm_struct *mm, const uint64_t addr0,
					      uint64_t len, unsigned long flags)
{
	uint64_t addr = addr0;
	int64_t r;

	if (len > mm->task_size)
		return -ENOMEM;
	if (flags & MAP_FIXED)
		return (int64_t)addr;
	/* for MAP_32BIT mappings we force the legacy mmap base */
	if (!in_32bit_syscall(mm) && (flags & MAP_32BIT))
		return arch_get_unmapped_area(mm, addr0, len, flags);
	if (addr) {
		/* a hint is honoured when [addr, addr+len) is free, guard
		 * gaps included (mmap_address_hint_valid + find_vma) */
		struct vm_area_struct *vma, *prev;

		addr &= PAGE_MASK;
		if (mmap_address_hint_valid(mm, addr, len)) {
			vma = find_vma_prev(mm, addr, &prev);
			if ((!vma || addr + len <= vm_start_gap(vma)) &&
			    (!prev || addr >= vm_end_gap(prev)))
				return (int64_t)addr;
		}
	}
	/* a hint above DEFAULT_MAP_WINDOW opens the whole address space:
	 * high_limit += TASK_SIZE_MAX - DEFAULT_MAP_WINDOW */
	r = unmapped_area_topdown(mm, len, search_floor(mm),
				  mm->mmap_base + (addr > map_window(mm) ? mm->task_size -
									   map_window(mm) : 0));
	if (!IS_ERR_VALUE(r))
		return r;
	/* bottomup: with the hint, which is tried again there */
	return arch_get_unmapped_area(mm, addr0, len, flags);
}

/*
 * __thp_get_unmapped_area() (mm/huge_memory.c): look for @len + 2 MiB and
 * place the mapping inside it where its file offset @off and its address
 * agree modulo 2 MiB, so that the page cache's (or the anonymous) huge
 * pages can be mapped by PMDs.  0 when it does not apply: a 32-bit task,
 * less than one aligned 2 MiB of the file in the range, or no room for the
 * padded length (the caller then searches for @len alone).
 */
static uint64_t __thp_get_unmapped_area(struct mm_struct *mm, uint64_t addr, uint64_t len,
					uint64_t off, unsigned long flags)
{
	const uint64_t size = PMD_SIZE_THP;
	uint64_t off_end = off + len, off_align = (off + size - 1) & ~(size - 1);
	uint64_t len_pad, ret, off_sub;
	int64_t r;

	if (in_32bit_syscall(mm))
		return 0;
	if (off_end <= off_align || off_end - off_align < size)
		return 0;
	len_pad = len + size;
	if (len_pad < len || off + len_pad < off)
		return 0;
	r = arch_get_unmapped_area_topdown(mm, addr, len_pad, flags);
	/* The failure might be due to length padding. */
	if (IS_ERR_VALUE(r))
		return 0;
	ret = (uint64_t)r;
	/* Do not try to align to THP boundary if allocation at the address
	 * hint succeeds (for the padded length: a hint with room for the
	 * mapping but not for the padding is not honoured). */
	if (ret == addr)
		return addr;
	off_sub = (off - ret) & (size - 1);
	/* MMF_TOPDOWN (vmsim's only layout): an already aligned result
	 * moves up by 2 MiB, to the top of the padded range */
	if (!off_sub)
		return ret + size;
	return ret + off_sub;
}

/* thp_get_unmapped_area(): the aligned placement, else the plain one. */
static int64_t thp_get_unmapped_area(struct mm_struct *mm, uint64_t addr, uint64_t len,
				     uint64_t pgoff, unsigned long flags)
{
	uint64_t ret = __thp_get_unmapped_area(mm, addr, len, pgoff << PAGE_SHIFT, flags);

	if (ret)
		return (int64_t)ret;
	return arch_get_unmapped_area_topdown(mm, addr, len, flags);
}

int64_t get_unmapped_area(struct mm_struct *mm, struct file *file, uint64_t addr,
			  uint64_t len, uint64_t pgoff, unsigned long flags)
{
	int64_t r;

	if (len > mm->task_size)
		return -ENOMEM;
	/* Always treat pgoff as zero for anonymous memory. */
	if (!file)
		pgoff = 0;
	if (file) {
		/* the file system's f_op->get_unmapped_area: ext4, xfs and
		 * others with large folios use thp_get_unmapped_area(); the
		 * rest have none (vfs.large_folios) */
		r = mm->vm->cfg->large_folios ? thp_get_unmapped_area(mm, addr, len, pgoff, flags) :
					      arch_get_unmapped_area_topdown(mm, addr, len, flags);
	} else if (flags & MAP_SHARED) {
		/* shmem_get_unmapped_area(): shmem huge pages are "never" by
		 * default (shmem_enabled), so the plain placement */
		r = arch_get_unmapped_area_topdown(mm, addr, len, flags);
	} else if (!addr && len % PMD_SIZE_THP == 0) {
		/* Ensures that larger anonymous mappings are THP aligned
		 * (CONFIG_TRANSPARENT_HUGEPAGE; whatever the sysfs setting) */
		r = thp_get_unmapped_area(mm, addr, len, pgoff, flags);
	} else {
		r = arch_get_unmapped_area_topdown(mm, addr, len, flags);
	}
	/* MAP_FIXED returns the address as given: one in the kernel half or
	 * at 2^63 and above is refused here (ENOMEM), and one in
	 * -MAX_ERRNO..-1 comes back as that "errno", as Linux returns it */
	if (IS_ERR_VALUE(r))
		return r;
	addr = (uint64_t)r;
	if (addr > mm->task_size - len)
		return -ENOMEM;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	/* security_mmap_addr(): an unprivileged task may not map below
	 * mmap_min_addr */
	if (addr < mm->mmap_min_addr)
		return -EPERM;
	return (int64_t)addr;
}

/* ---- do_mmap ---- */

/* round_hint_to_min(): a hint below mmap_min_addr moves up to it. */
static uint64_t round_hint_to_min(const struct mm_struct *mm, uint64_t hint)
{
	hint &= PAGE_MASK;
	if (hint && hint < mm->mmap_min_addr)
		return PAGE_ALIGN(mm->mmap_min_addr);
	return hint;
}

static struct shmem_object *shmem_zero_setup(struct mm_struct *mm, uint64_t len)
{
	struct shmem_object *obj = host_zalloc(mm->vm->ha, sizeof(*obj));

	if (!obj)
		return NULL;
	obj->nr_pages = (unsigned long)(len >> PAGE_SHIFT);
	obj->pages = host_zalloc(mm->vm->ha, obj->nr_pages * sizeof(obj->pages[0]));
	if (!obj->pages) {
		host_free(mm->vm->ha, obj, sizeof(*obj));
		return NULL;
	}
	obj->refcount = 1;
	INIT_LIST_HEAD(&obj->i_mmap);
	/* the inode number /proc/PID/maps shows for "/dev/zero (deleted)" */
	obj->ino = ++mm->vm->last_ctx_id;
	return obj;
}

/* mmap_region(): the range is validated and placed; replace what is there,
 * then extend a neighbour or link a new VMA. */
static int64_t mmap_region(struct mm_struct *mm, struct file *file, uint64_t addr, uint64_t len,
			   unsigned long vm_flags, uint64_t pgoff)
{
	struct vm_area_struct *vma, *prev, *next;
	struct shmem_object *shm = NULL;
	int ret;

	/* Clear old maps (MAP_FIXED replaces whatever was there) */
	if (find_vma_intersection(mm, addr, addr + len)) {
		ret = do_munmap(mm, addr, len);
		if (ret)
			return ret;
	}
	/* accountable_mapping(): private writable memory is charged */
	if ((vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE)
		vm_flags |= VM_ACCOUNT;
	next = find_vma_prev(mm, addr, &prev);
	/* shared anonymous memory is a new shmem object each time: never
	 * merged; files and private memory are */
	if (!(vm_flags & VM_SHARED) || file) {
		vma = vma_merge_new(mm, prev, next, addr, addr + len, vm_flags, NULL, NULL, file,
				    pgoff, NULL);
		if (vma)
			goto out;
	}
	vma = vm_area_alloc(mm);
	if (!vma)
		return -ENOMEM;
	if (file) {
		vma->vm_file = get_file(file);
	} else if (vm_flags & VM_SHARED) {
		shm = shmem_zero_setup(mm, len);
		if (!shm) {
			vm_area_free(vma);
			return -ENOMEM;
		}
	}
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = vm_flags;
	vma->vm_pgoff = pgoff;
	vma->shm = shm;
	i_mmap_insert(vma);	/* the file's or the new object's */
	vma->vm_page_prot = vma_page_prot(vma);
	vma_link(mm, vma);
out:
	vm_stat_account(mm, vm_flags, (long)(len >> PAGE_SHIFT));
	update_hiwater_vm(mm);
	/* every new mapping starts soft-dirty (it never blocks a merge) */
	vma->vm_flags |= VM_SOFTDIRTY;
	return (int64_t)addr;
}

static int64_t __do_mmap(struct mm_struct *mm, struct file *file, fmode_t f_mode, uint64_t addr,
			 uint64_t len, unsigned long prot, unsigned long flags, uint64_t pgoff,
			 uint64_t *populate)
{
	unsigned long vm_flags;
	int64_t r;

	*populate = 0;
	if (!len)
		return -EINVAL;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if (!(flags & MAP_FIXED))
		addr = round_hint_to_min(mm, addr);
	len = PAGE_ALIGN(len);
	if (!len)
		return -ENOMEM;	/* it wrapped; too long for the task is get_unmapped_area's */
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (mm->map_count > sysctl_max_map_count)
		return -ENOMEM;
	/* the address first (an unaligned or kernel-half MAP_FIXED address
	 * fails there), then the map type, in do_mmap()'s order */
	r = get_unmapped_area(mm, file, addr, len, pgoff, flags);
	if (IS_ERR_VALUE(r))
		return r;
	addr = (uint64_t)r;
	if ((flags & MAP_FIXED_NOREPLACE) && find_vma_intersection(mm, addr, addr + len))
		return -EEXIST;
	if (!file && (flags & MAP_TYPE) != MAP_SHARED && (flags & MAP_TYPE) != MAP_PRIVATE)
		return -EINVAL;	/* anonymous: only the two legacy types */
	if (file) {
		switch (flags & MAP_TYPE) {
		case MAP_SHARED:
			/* legacy: unknown flags are ignored */
			flags &= LEGACY_MAP_MASK | MAP_FIXED_NOREPLACE;
			break;
		case MAP_SHARED_VALIDATE:
			/* flags_mask: no MAP_SYNC without DAX */
			if (flags & ~(unsigned long)(LEGACY_MAP_MASK | MAP_FIXED_NOREPLACE))
				return -EOPNOTSUPP;
			break;
		case MAP_PRIVATE:
			break;
		default:
			return -EINVAL;
		}
	}
	vm_flags = calc_vm_prot_bits(prot) | mm->def_flags | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	/* calc_vm_flag_bits() */
	if (flags & MAP_GROWSDOWN)
		vm_flags |= VM_GROWSDOWN;
	if (flags & MAP_LOCKED)
		vm_flags |= VM_LOCKED;
	/* a thread stack gets no huge pages (6.7 on, kernels with
	 * CONFIG_TRANSPARENT_HUGEPAGE: both x86 kernels, whether or not the
	 * CPU can map one, see vma/huge_memory.c) */
	if (flags & MAP_STACK)
		vm_flags |= VM_NOHUGEPAGE;
	if ((flags & MAP_LOCKED) && !can_do_mlock(mm))
		return -EPERM;
	/* RLIMIT_MEMLOCK: MAP_LOCKED, or every mapping after MCL_FUTURE */
	if (!mlock_future_ok(mm, vm_flags, len))
		return -EAGAIN;
	if (file) {
		if ((flags & MAP_TYPE) != MAP_PRIVATE) {
			/* a shared mapping writes through to the file: only
			 * through a descriptor open for writing */
			if ((prot & PROT_WRITE) && !(f_mode & FMODE_WRITE))
				return -EACCES;
			vm_flags |= VM_SHARED | VM_MAYSHARE;
			/* ... and without one it never may: no VM_MAYWRITE (a
			 * later mprotect(PROT_WRITE) is -EACCES) and, never
			 * written, no VM_SHARED (maps still shows 's') */
			if (!(f_mode & FMODE_WRITE))
				vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
		}
		/* every file mapping, private ones too, reads the file */
		if (!(f_mode & FMODE_READ))
			return -EACCES;
		if (vm_flags & VM_GROWSDOWN)
			return -EINVAL;
	} else if ((flags & MAP_TYPE) == MAP_SHARED) {
		if (vm_flags & VM_GROWSDOWN)
			return -EINVAL;
		pgoff = 0;
		vm_flags |= VM_SHARED | VM_MAYSHARE;
	} else {
		pgoff = addr >> PAGE_SHIFT;
	}
	/* overcommit heuristic (mode 0) honours MAP_NORESERVE */
	if (flags & MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;
	/* may_expand_vm(): RLIMIT_AS is unlimited here, nothing to refuse */
	r = mmap_region(mm, file, addr, len, vm_flags, pgoff);
	if (!IS_ERR_VALUE(r) && ((vm_flags & VM_LOCKED) ||
		       (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE))
		*populate = len;
	return r;
}

int64_t do_mmap(struct mm_struct *mm, struct file *file, fmode_t f_mode, uint64_t addr,
		uint64_t len, unsigned long prot, unsigned long flags, uint64_t pgoff,
		uint64_t *populate)
{
	int64_t r = __do_mmap(mm, file, f_mode, addr, len, prot, flags, pgoff, populate);

	if (!IS_ERR_VALUE(r))
		MM_EV(mm, "mmap", "start=%#llx end=%#llx prot=%#lx flags=%#lx%s", (unsigned long long)r,
		      (unsigned long long)(r + PAGE_ALIGN(len)), prot, flags, file ? " file" : "");
	else {
		char eb[24];

		MM_EV(mm, "mmap", "addr=%#llx len=%#llx prot=%#lx flags=%#lx error=%s",
		      (unsigned long long)addr, (unsigned long long)len, prot, flags,
		      errno_str((int)r, eb));
	}
	return r;
}

int64_t vm_mmap_fmode(struct mm_struct *mm, struct file *file, fmode_t f_mode, uint64_t addr,
		      uint64_t len, unsigned long prot, unsigned long flags, uint64_t offset)
{
	uint64_t populate;
	int64_t r;

	/* sys_mmap on x86_64: the offset must be page aligned */
	if (offset & ~PAGE_MASK)
		return -EINVAL;
	/* ksys_mmap_pgoff(): without MAP_ANONYMOUS the fd must name a file */
	if (!file && !(flags & MAP_ANONYMOUS))
		return -EBADF;
	r = do_mmap(mm, file, f_mode, addr, len, prot, flags, offset >> PAGE_SHIFT, &populate);
	/* failures of the prefault are ignored: the mapping stays */
	if (!IS_ERR_VALUE(r) && populate)
		mm_populate(mm, (uint64_t)r, populate);
	return r;
}

int64_t vm_mmap(struct mm_struct *mm, struct file *file, uint64_t addr, uint64_t len,
		unsigned long prot, unsigned long flags, uint64_t offset)
{
	return vm_mmap_fmode(mm, file, FMODE_READ | FMODE_WRITE, addr, len, prot, flags, offset);
}

/* ---- munmap ---- */

/* Remove every VMA inside [start, end) (split already), release their
 * pages and the page tables of the hole that results, flush. */
static void unmap_region(struct mm_struct *mm, struct vm_area_struct *first, uint64_t end)
{
	struct vm_area_struct *vma = first, *next, *prev = vma_prev(first);
	uint64_t start = first->vm_start, floor, ceiling;

	while (vma && vma->vm_start < end) {
		next = vma_next(vma);
		zap_page_range(vma, vma->vm_start, vma->vm_end);
		vm_stat_account(mm, vma->vm_flags, -(long)vma_pages(vma));
		vma_unlink(mm, vma);
		vm_area_free(vma);
		vma = next;
	}
	/* free_pgtables(): tables covering only the hole between the
	 * neighbours, which no VMA can have entries in */
	floor = prev ? prev->vm_end : 0;
	ceiling = vma ? vma->vm_start : mm->task_size;
	/* freed tables reach lazy CPUs too (they may walk them) */
	__flush_tlb_mm_range(mm, start, end, PAGE_SHIFT,
			     free_pgtables_range(mm, start, end, floor, ceiling));
}

static int __do_munmap(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	struct vm_area_struct *vma, *last;
	uint64_t end;
	int ret;

	if ((start & ~PAGE_MASK) || start > mm->task_size || len > mm->task_size - start)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (len == 0)
		return -EINVAL;
	vma = find_vma(mm, start);
	if (!vma || vma->vm_start >= end)
		return 0;
	if (start > vma->vm_start) {
		/* a split when the map count is already at its limit would
		 * leave one VMA too many */
		if (end < vma->vm_end && mm->map_count >= sysctl_max_map_count)
			return -ENOMEM;
		ret = split_vma(mm, vma, start, 1);
		if (ret)
			return ret;
	}
	last = find_vma(mm, end);
	if (last && end > last->vm_start) {
		ret = split_vma(mm, last, end, 1);
		if (ret)
			return ret;
	}
	/* the splits may have replaced the first VMA's lower part */
	unmap_region(mm, find_vma(mm, start), end);
	return 0;
}

int do_munmap(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	int r = __do_munmap(mm, start, len);

	MM_EV(mm, "munmap", "start=%#llx end=%#llx%s%s", (unsigned long long)start,
	      (unsigned long long)(start + PAGE_ALIGN(len)), r ? " error=" : "", r ? errno_name(r) : "");
	return r;
}

/* ---- brk ---- */

/* do_brk_flags(): an anonymous data mapping at [addr, addr+len), merged
 * into @prev (a VMA at or above start_brk ending at addr) if it can. */
static int do_brk_flags(struct mm_struct *mm, struct vm_area_struct *prev, uint64_t addr,
			uint64_t len)
{
	unsigned long flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
			      VM_ACCOUNT | mm->def_flags;
	struct vm_area_struct *vma = NULL;

	if (mm->map_count > sysctl_max_map_count)
		return -ENOMEM;
	if (prev && prev->vm_end == addr)
		vma = vma_merge_new(mm, prev, NULL, addr, addr + len, flags, NULL, NULL, NULL,
				    addr >> PAGE_SHIFT, NULL);
	if (!vma) {
		vma = vm_area_alloc(mm);
		if (!vma)
			return -ENOMEM;
		vma->vm_start = addr;
		vma->vm_end = addr + len;
		vma->vm_pgoff = addr >> PAGE_SHIFT;
		vma->vm_flags = flags;
		vma->vm_page_prot = vma_page_prot(vma);
		vma_link(mm, vma);
	}
	vm_stat_account(mm, flags, (long)(len >> PAGE_SHIFT));
	update_hiwater_vm(mm);
	vma->vm_flags |= VM_SOFTDIRTY;
	return 0;
}

static uint64_t __sys_brk(struct mm_struct *mm, uint64_t brk)
{
	const uint64_t origbrk = mm->brk;
	uint64_t newbrk, oldbrk;
	struct vm_area_struct *vma, *next, *prev;

	if (brk < mm->start_brk)
		return origbrk;
	newbrk = PAGE_ALIGN(brk);
	oldbrk = PAGE_ALIGN(mm->brk);
	if (oldbrk == newbrk) {
		mm->brk = brk;
		return brk;
	}
	/* Always allow shrinking brk. */
	if (brk <= mm->brk) {
		/* the VMA that holds the part to give back must start below
		 * the old break, or the range belongs to someone else */
		vma = find_vma(mm, newbrk);
		if (!vma || vma->vm_start >= oldbrk)
			return origbrk;
		mm->brk = brk;
		if (do_munmap(mm, newbrk, oldbrk - newbrk)) {
			mm->brk = origbrk;
			return origbrk;
		}
		return brk;
	}
	/* check_brk_limits(): the range must be mappable at all, and locked
	 * memory (mlockall(MCL_FUTURE)) within RLIMIT_MEMLOCK */
	if (newbrk - oldbrk > mm->task_size || oldbrk > mm->task_size - (newbrk - oldbrk) ||
	    oldbrk < mm->mmap_min_addr || !mlock_future_ok(mm, mm->def_flags, newbrk - oldbrk))
		return origbrk;
	/* refuse growth that comes within a page (plus a stack's guard gap)
	 * of the next mapping */
	next = find_vma(mm, oldbrk);
	if (next && next->vm_start < newbrk + PAGE_SIZE + mm->stack_guard_gap &&
	    newbrk + PAGE_SIZE > vm_start_gap(next))
		return origbrk;
	/* vma_prev_limit(start_brk): only a VMA reaching above start_brk
	 * (the heap) is extended, never the bss below it */
	prev = next ? vma_prev(next) : mm_last_vma(mm);
	if (prev && prev->vm_end <= mm->start_brk)
		prev = NULL;
	if (do_brk_flags(mm, prev, oldbrk, newbrk - oldbrk) < 0)
		return origbrk;
	mm->brk = brk;
	if (mm->def_flags & VM_LOCKED)
		mm_populate(mm, oldbrk, newbrk - oldbrk);
	return brk;
}

uint64_t sys_brk(struct mm_struct *mm, uint64_t brk)
{
	uint64_t old = mm->brk, r = __sys_brk(mm, brk);

	MM_EV(mm, "brk", "asked=%#llx old=%#llx new=%#llx", (unsigned long long)brk,
	      (unsigned long long)old, (unsigned long long)r);
	return r;
}

/* ---- stack growth ---- */

int expand_downwards(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t address)
{
	struct vm_area_struct *prev;
	uint64_t size, grow;

	if (!(vma->vm_flags & VM_GROWSDOWN))
		return -EFAULT;
	address &= PAGE_MASK;
	if (address < mm->mmap_min_addr || address < PAGE_SIZE)
		return -EPERM;
	/* Enforce stack_guard_gap against an accessible VMA below */
	prev = vma_prev(vma);
	if (prev && !(prev->vm_flags & VM_GROWSDOWN) && (prev->vm_flags & VM_ACCESS_FLAGS) &&
	    address - prev->vm_end < mm->stack_guard_gap)
		return -ENOMEM;
	/* We must make sure the anon_vma is allocated (its tree is keyed by
	 * the vm_pgoff that growing changes). */
	if (anon_vma_prepare(vma))
		return -ENOMEM;
	if (address >= vma->vm_start)
		return 0;
	size = vma->vm_end - address;
	grow = (vma->vm_start - address) >> PAGE_SHIFT;
	if (grow > vma->vm_pgoff)
		return -ENOMEM;
	/* acct_stack_growth(): the whole stack within RLIMIT_STACK, a locked
	 * stack's growth within RLIMIT_MEMLOCK */
	if (mm->stack_rlimit != UINT64_MAX && size > mm->stack_rlimit)
		return -ENOMEM;
	if (!mlock_future_ok(mm, vma->vm_flags, grow << PAGE_SHIFT))
		return -ENOMEM;
	vm_stat_account(mm, vma->vm_flags, (long)grow);
	update_hiwater_vm(mm);
	anon_vma_interval_tree_pre_update_vma(vma);
	vma->vm_start = address;
	vma->vm_pgoff -= grow;
	anon_vma_interval_tree_post_update_vma(vma);
	vma_gap_update(vma);
	vmacache_invalidate(mm);
	return 0;
}
