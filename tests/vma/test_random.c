/*
 * Randomized test of the process layer against an independent model.
 *
 * Several tasks (spawned and forked) receive thousands of random mmap
 * (fixed and top-down, private and shared), munmap, mprotect, mremap
 * (in place, moving, fixed, DONTUNMAP, across VMAs, shared duplicates),
 * madvise, brk, read, write, fork, exit, mlock / mlock2 / munlock,
 * mlockall / munlockall, mincore and msync operations.  The model knows,
 * per task and per page, only what a program could observe: mapped or
 * not, the protection, the flags madvise sets (smaps' VmFlags), whether it
 * is locked (and on fault only), whether it is resident (a private page
 * written since it was mapped, or faulted in writable by a lock; a shared
 * page accessed or prefaulted since this task mapped or inherited it) and
 * the 8 bytes it holds at the page start, which for shared memory live in
 * a "cell" every sharer sees; per task, whether mlockall(MCL_FUTURE) is in
 * force and what locked_vm still counts after mremap(MREMAP_DONTUNMAP)
 * unlocked a VMA.  It predicts each call's result from the kernel's rules,
 * RLIMIT_MEMLOCK and CAP_IPC_LOCK included.  After every operation:
 *   - the whole-machine checker (tree vs list, counters vs VMAs, PTEs vs
 *     VMAs, frame refcounts/mapcounts vs all mappings, mlock counts vs
 *     locked mappings, buddy lists);
 *   - every task's VMAs against the model, page by page, both ways
 *     (protection, shared or private, madvise's flags, lock flags), and
 *     mm->def_flags;
 *   - total_vm, locked_vm and rss_stat[MM_ANONPAGES] against the model;
 *   - the bytes of every resident page, read through the page tables
 *     without faulting, against the model.
 */
#include "vma_test.h"

#define NTASK 4
#define MAXPAGES 2048		/* model pages per task */

/* the vm_flags madvise sets, which the model follows page by page */
#define MADV_FLAGS (VM_DONTCOPY | VM_WIPEONFORK | VM_RAND_READ | VM_SEQ_READ | VM_HUGEPAGE | \
		    VM_NOHUGEPAGE)

struct mpage {
	uint64_t va;
	unsigned prot;		/* PROT_* */
	unsigned long mflags;	/* MADV_FLAGS of its VMA */
	bool resident;		/* private: written since mapped (an anonymous
				 * frame); shared: touched by this task */
	uint64_t value;		/* private: its first 8 bytes */
	int cell;		/* shared: index in cells[], else -1 */
	bool locked, onfault;	/* VM_LOCKED, VM_LOCKONFAULT */
};

#define MAXCELLS 20000
static uint64_t cells[MAXCELLS];	/* the bytes of shared pages */
static int ncells;

struct mtask {
	struct task_struct *t;
	char name[16];
	struct mpage p[MAXPAGES];
	unsigned n;
	uint64_t brk;		/* the model's break (page aligned heap end) */
	unsigned long def;	/* mm->def_flags: what mlockall(MCL_FUTURE) set */
	unsigned long locked_extra;	/* locked_vm beyond the locked pages:
					 * what DONTUNMAP unlocked without
					 * unaccounting it */
};

/* The run's RLIMIT_MEMLOCK in pages and CAP_IPC_LOCK. */
static uint64_t lim_pages;
static bool cap_ipc_lock;

static struct mtask tasks[NTASK];
static unsigned seed = 1;

static unsigned rnd(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) % n;
}

static struct mpage *mfind(struct mtask *mt, uint64_t va)
{
	for (unsigned i = 0; i < mt->n; i++)
		if (mt->p[i].va == va)
			return &mt->p[i];
	return NULL;
}

static void mremove(struct mtask *mt, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < mt->n;)
		if (mt->p[i].va >= start && mt->p[i].va < end)
			mt->p[i] = mt->p[--mt->n];
		else
			i++;
}

static void madd(struct mtask *mt, uint64_t start, uint64_t end, unsigned prot, bool shared)
{
	mremove(mt, start, end);
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		assert_true(mt->n < MAXPAGES);
		/* new mappings take mm->def_flags (mlockall(MCL_FUTURE)) */
		mt->p[mt->n++] = (struct mpage){ va, prot, 0, false, 0, -1, (mt->def & VM_LOCKED) != 0,
						 (mt->def & VM_LOCKONFAULT) != 0 };
		if (shared) {
			assert_true(ncells < MAXCELLS);
			cells[ncells] = 0;
			mt->p[mt->n - 1].cell = ncells++;
		}
	}
}

static uint64_t mvalue(const struct mpage *p)
{
	return p->cell >= 0 ? cells[p->cell] : p->value;
}

/* The window where fixed mappings go, and the heap's start. */
#define WIN 0x10000000ULL
#define WIN_PAGES 96
#define HEAP 0x20000000ULL

static void compare(struct mtask *mt)
{
	struct mm_struct *mm = mt->t->mm;
	struct vmsim_machine *m = vm_machine(mm->vm);
	struct vm_area_struct *vma;
	unsigned long pages = 0, resident = 0, shresident = 0, locked = 0;

	for_each_vma(mm, vma) {
		for (uint64_t va = vma->vm_start; va < vma->vm_end; va += PAGE_SIZE) {
			struct mpage *p = mfind(mt, va);
			unsigned prot = (vma->vm_flags & VM_READ ? PROT_READ : 0) |
					(vma->vm_flags & VM_WRITE ? PROT_WRITE : 0);

			if (!p)
				fail_msg("%s: %#llx mapped, the model has nothing", mt->name,
					 (unsigned long long)va);
			if (p->prot != prot)
				fail_msg("%s: %#llx prot %u, model %u", mt->name,
					 (unsigned long long)va, prot, p->prot);
			if (!!(vma->vm_flags & VM_SHARED) != (p->cell >= 0))
				fail_msg("%s: %#llx shared %d, model %d", mt->name,
					 (unsigned long long)va, !!(vma->vm_flags & VM_SHARED),
					 p->cell >= 0);
			if ((vma->vm_flags & MADV_FLAGS) != p->mflags)
				fail_msg("%s: %#llx madvise flags %#lx, model %#lx", mt->name,
					 (unsigned long long)va, vma->vm_flags & MADV_FLAGS, p->mflags);
			if (!!(vma->vm_flags & VM_LOCKED) != p->locked ||
			    !!(vma->vm_flags & VM_LOCKONFAULT) != p->onfault)
				fail_msg("%s: %#llx lock flags %#lx, model %d/%d", mt->name,
					 (unsigned long long)va, vma->vm_flags & VM_LOCKED_MASK,
					 p->locked, p->onfault);
			locked += p->locked;
			pages++;
		}
	}
	if (pages != mt->n)
		fail_msg("%s: %lu pages mapped, the model has %u", mt->name, pages, mt->n);
	assert_int_equal(mm->total_vm, pages);
	assert_int_equal(mm->locked_vm, locked + mt->locked_extra);
	assert_int_equal(mm->def_flags, mt->def);
	for (unsigned i = 0; i < mt->n; i++) {
		struct mpage *p = &mt->p[i];
		uint64_t pte = mm_pte_lookup(mm, p->va), v = 0;

		if (!p->resident)
			continue;
		if (p->cell >= 0)
			shresident++;
		else
			resident++;
		/* present, or PROT_NONE keeping its frame */
		if (!(pte & (_PAGE_PRESENT | _PAGE_PROTNONE)))
			fail_msg("%s: %#llx resident in the model, no PTE", mt->name,
				 (unsigned long long)p->va);
		memcpy(&v, phys_to_host(&m->pm, pte & m->pt.fmt->entry_addr_mask), sizeof(v));
		if (v != mvalue(p))
			fail_msg("%s: %#llx holds %#llx, the model %#llx", mt->name,
				 (unsigned long long)p->va, (unsigned long long)v,
				 (unsigned long long)mvalue(p));
	}
	assert_int_equal(get_mm_counter(mm, MM_ANONPAGES), resident);
	assert_int_equal(get_mm_counter(mm, MM_SHMEMPAGES), shresident);
}

/* ---- locks in the model ---- */

/* locked_vm as the model counts it */
static unsigned long mlocked_pages(const struct mtask *mt)
{
	unsigned long n = mt->locked_extra;

	for (unsigned i = 0; i < mt->n; i++)
		n += mt->p[i].locked;
	return n;
}

/* mlock_future_ok(): may @npages more be locked? */
static bool may_lock(const struct mtask *mt, unsigned long flags, uint64_t npages)
{
	return !(flags & VM_LOCKED) || cap_ipc_lock || mlocked_pages(mt) + npages <= lim_pages;
}

/* __mm_populate() of the mapped pages of [start, end), in address order:
 * a private writable page gets a frame (COW broken), a shared accessible
 * one is mapped; pages locked on fault are left alone.  A PROT_NONE page
 * is an error: with @ignore_errors its VMA is skipped, else the prefault
 * stops there.  false when it stopped. */
static void mpopulate_page(struct mpage *p)
{
	if (!p->onfault && p->prot != PROT_NONE && (p->cell >= 0 || (p->prot & PROT_WRITE)))
		p->resident = true;
}

static bool mpopulate(struct mtask *mt, uint64_t start, uint64_t end, bool ignore_errors)
{
	if (ignore_errors) {
		/* the order does not matter: every page the model has */
		for (unsigned i = 0; i < mt->n; i++)
			if (mt->p[i].va >= start && mt->p[i].va < end)
				mpopulate_page(&mt->p[i]);
		return true;
	}
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		struct mpage *p = mfind(mt, va);

		if (p && !p->onfault && p->prot == PROT_NONE)
			return false;
		if (p)
			mpopulate_page(p);
	}
	return true;
}

static struct mtask *pick(void)
{
	for (;;) {
		struct mtask *mt = &tasks[rnd(NTASK)];
		if (mt->t)
			return mt;
	}
}

static void op_mmap_fixed(struct mtask *mt)
{
	uint64_t start = WIN + (uint64_t)rnd(WIN_PAGES) * PAGE_SIZE;
	uint64_t len = (uint64_t)(1 + rnd(8)) * PAGE_SIZE;
	unsigned prot = rnd(4) == 0 ? PROT_NONE : rnd(2) ? PROT_READ | PROT_WRITE : PROT_READ;
	bool shared = rnd(4) == 0;

	if (start + len > WIN + WIN_PAGES * PAGE_SIZE)
		len = WIN + WIN_PAGES * PAGE_SIZE - start;
	if (shared && ncells + 8 >= MAXCELLS)
		shared = false;
	/* after mlockall(MCL_FUTURE) the new pages count before the old go */
	if (!may_lock(mt, mt->def, len >> PAGE_SHIFT)) {
		assert_int_equal(vm_mmap(mt->t->mm, NULL, start, len, prot,
					 (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED, 0),
				 -EAGAIN);
		return;
	}
	assert_int_equal(vm_mmap(mt->t->mm, NULL, start, len, prot,
				 (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED, 0),
			 (int64_t)start);
	madd(mt, start, start + len, prot, shared);
	if (mt->def & VM_LOCKED)
		mpopulate(mt, start, start + len, true);
}

static void op_mmap_any(struct mtask *mt)
{
	uint64_t len = (uint64_t)(1 + rnd(4)) * PAGE_SIZE;
	int64_t r;

	if (mt->n + 4 >= MAXPAGES)
		return;
	r = vm_mmap(mt->t->mm, NULL, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (!may_lock(mt, mt->def, len >> PAGE_SHIFT)) {
		assert_int_equal(r, -EAGAIN);
		return;
	}
	assert_true(r > 0);
	/* wherever it went, the model had nothing there, and it is below
	 * mmap_base */
	for (uint64_t va = (uint64_t)r; va < (uint64_t)r + len; va += PAGE_SIZE)
		if (mfind(mt, va))
			fail_msg("top-down mmap at %#llx overlaps a mapped page", (unsigned long long)va);
	assert_true((uint64_t)r + len <= mt->t->mm->mmap_base);
	madd(mt, (uint64_t)r, (uint64_t)r + len, PROT_READ | PROT_WRITE, false);
	if (mt->def & VM_LOCKED)
		mpopulate(mt, (uint64_t)r, (uint64_t)r + len, true);
}

static void op_munmap(struct mtask *mt)
{
	uint64_t start, len;

	if (mt->n && rnd(3) == 0) {
		start = mt->p[rnd(mt->n)].va;	/* somewhere mapped, wherever it is */
		len = (uint64_t)(1 + rnd(6)) * PAGE_SIZE;
	} else {
		start = WIN + (uint64_t)rnd(WIN_PAGES) * PAGE_SIZE;
		len = (uint64_t)(1 + rnd(16)) * PAGE_SIZE;
	}
	assert_int_equal(do_munmap(mt->t->mm, start, len), 0);
	mremove(mt, start, start + len);
	/* the heap lost pages too if the range reached it */
	if (start < mt->brk && start + len > HEAP) {
		/* the program no longer owns its break range consistently;
		 * keep the model's idea of it (brk does not look at VMAs) */
	}
}

static void op_mprotect(struct mtask *mt)
{
	uint64_t start = WIN + (uint64_t)rnd(WIN_PAGES) * PAGE_SIZE;
	uint64_t len = (uint64_t)(1 + rnd(8)) * PAGE_SIZE, va;
	unsigned prot = rnd(4) == 0 ? PROT_NONE : rnd(2) ? PROT_READ | PROT_WRITE : PROT_READ;
	int want = 0, ret;

	/* the model: pages from start until the first hole change; a hole
	 * anywhere in the range means -ENOMEM */
	if (!mfind(mt, start))
		want = -ENOMEM;
	for (va = start; va < start + len; va += PAGE_SIZE)
		if (!mfind(mt, va)) {
			want = -ENOMEM;
			break;
		}
	ret = do_mprotect(mt->t->mm, start, len, prot);
	assert_int_equal(ret, want);
	if (mfind(mt, start))
		for (uint64_t a = start; a < va; a += PAGE_SIZE) {
			struct mpage *p = mfind(mt, a);

			/* a private locked page made writable breaks COW now */
			if (p->locked && !p->onfault && p->cell < 0 && !(p->prot & PROT_WRITE) &&
			    (prot & PROT_WRITE))
				p->resident = true;
			p->prot = prot;
		}
}

/* ---- mremap ---- */

/* Take the model pages of [start, end) out into @out (at most @max). */
static unsigned mtake(struct mtask *mt, uint64_t start, uint64_t end, struct mpage *out,
		      unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < mt->n;)
		if (mt->p[i].va >= start && mt->p[i].va < end) {
			assert_true(n < max);
			out[n++] = mt->p[i];
			mt->p[i] = mt->p[--mt->n];
		} else {
			i++;
		}
	return n;
}

/* Put pages back, each @shift bytes away; @fresh: as DONTUNMAP leaves the
 * source: mapped, no page (private: zeros; shared: the same memory). */
static void mput(struct mtask *mt, const struct mpage *pg, unsigned n, int64_t shift, bool fresh)
{
	for (unsigned i = 0; i < n; i++) {
		assert_true(mt->n < MAXPAGES);
		mt->p[mt->n] = pg[i];
		mt->p[mt->n].va = (uint64_t)((int64_t)pg[i].va + shift);
		if (fresh) {
			mt->p[mt->n].resident = false;
			if (mt->p[mt->n].cell < 0)
				mt->p[mt->n].value = 0;
		}
		mt->n++;
	}
}

/* A private VMA grew over [start, end): new pages with the flags of @like
 * (madvise's and the lock), faulted in when it is locked. */
static void mgrow(struct mtask *mt, uint64_t start, uint64_t end, const struct mpage *like)
{
	madd(mt, start, end, like->prot, false);
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		struct mpage *p = mfind(mt, va);

		p->mflags = like->mflags;
		p->locked = like->locked;
		p->onfault = like->onfault;
	}
	if (like->locked)
		mpopulate(mt, start, end, true);
}

static bool mrange_free(struct mtask *mt, uint64_t start, uint64_t end)
{
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		if (mfind(mt, va))
			return false;
	return true;
}

/* A source VMA of an mremap, as it was before the call, and where its
 * part of the range went. */
struct msrc {
	uint64_t start, end;		/* the VMA */
	uint64_t from, dst, len;	/* its part of the range, and the destination */
	bool locked;
};

/*
 * MREMAP_DONTUNMAP unlocks the locked source VMA whole, range or not, and
 * locked_vm keeps counting it.  The VMA is what was left of it when its
 * part moved: MREMAP_FIXED first unmapped the destination, which may have
 * cut the VMA outside the range.  The copy may have joined it: copy_vma()
 * gives the copy of anonymous memory never faulted in (no anon_vma, which
 * the model does not follow) the offset of its new place, so that it
 * merges with what it lands next to, its source included; then the copy
 * is unlocked too.  Called once the destination's pages are in the model.
 */
static void mdontunmap_unlock(struct mtask *mt, const struct msrc *src, bool fixed)
{
	const struct vm_area_struct *v = vma_lookup(mt->t->mm, src->from);
	uint64_t lo = src->start, hi = src->end;

	if (!src->locked)
		return;
	if (fixed) {
		if (src->dst + src->len <= src->from && src->dst + src->len > lo)
			lo = src->dst + src->len;
		if (src->dst >= src->from + src->len && src->dst < hi)
			hi = src->dst;
	}
	assert_non_null(v);
	if (v->vm_start < lo || v->vm_end > hi) {
		/* merged with its copy */
		assert_true(v->vm_start <= src->dst && src->dst < v->vm_end);
		lo = v->vm_start;
		hi = v->vm_end;
	}
	for (uint64_t va = lo; va < hi; va += PAGE_SIZE) {
		struct mpage *p = mfind(mt, va);

		if (p)
			p->locked = p->onfault = false;
	}
	mt->locked_extra += (hi - lo) >> PAGE_SHIFT;
}

static void op_mremap(struct mtask *mt)
{
	static struct mpage moved[MAXPAGES];
	struct mm_struct *mm = mt->t->mm;
	uint64_t addr, old_len = (uint64_t)(1 + rnd(6)) * PAGE_SIZE;
	uint64_t new_len = (uint64_t)(1 + rnd(8)) * PAGE_SIZE, new_addr = 0, eff;
	const unsigned kind = rnd(6);
	unsigned long flags = MREMAP_MAYMOVE;
	struct vm_area_struct *vma;
	struct msrc src[16];
	struct mpage *p0, like;
	int64_t want = 0, r;
	unsigned n, nsrc = 0;
	bool locked_src = false;

	if (!mt->n || mt->n + 16 >= MAXPAGES)
		return;
	addr = rnd(10) ? mt->p[rnd(mt->n)].va : WIN + (uint64_t)rnd(WIN_PAGES) * PAGE_SIZE;
	switch (kind) {
	case 0:
		flags = 0;			/* in place only */
		break;
	case 2:
		flags |= MREMAP_FIXED;
		break;
	case 3:
		flags |= MREMAP_DONTUNMAP;	/* a hint, or none */
		new_len = old_len;
		break;
	case 4:
		flags |= MREMAP_FIXED | MREMAP_DONTUNMAP;
		new_len = old_len;
		break;
	case 5:
		old_len = 0;			/* duplicate (shared only) */
		break;
	}
	if ((flags & MREMAP_FIXED) || ((flags & MREMAP_DONTUNMAP) && rnd(2)))
		new_addr = WIN + (uint64_t)rnd(WIN_PAGES) * PAGE_SIZE;
	if (rnd(4) == 0 && (flags & MREMAP_FIXED))
		new_len = old_len;		/* a move across VMAs */
	p0 = mfind(mt, addr);
	vma = find_vma(mm, addr);
	/* the model does not follow a shared object past a VMA's end, so
	 * shared memory neither grows nor duplicates beyond its VMA */
	if (p0 && p0->cell >= 0 && old_len && new_len > old_len)
		return;
	if (!old_len && p0 && (p0->cell < 0 || new_len > vma->vm_end - addr))
		return;
	/* the answer the kernel gives, in its order of checks */
	if ((flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) &&
	    addr + old_len > new_addr && new_addr + new_len > addr) {
		want = -EINVAL;
	} else if ((flags & MREMAP_FIXED) && old_len == new_len) {
		want = p0 ? 0 : -EFAULT;	/* remap_move: no gap at the start */
	} else if (!p0) {
		want = -EFAULT;
	} else if (new_len > old_len || (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))) {
		eff = old_len < new_len ? old_len : new_len;
		if (eff > vma->vm_end - addr)
			want = -EFAULT;
		else if (new_len > old_len && p0->locked &&
			 !may_lock(mt, VM_LOCKED, (new_len - old_len) >> PAGE_SHIFT))
			want = -EAGAIN;		/* a locked mapping's growth */
		else if (new_len > old_len && !(flags & MREMAP_MAYMOVE) &&
			 (addr + old_len != vma->vm_end ||
			  !mrange_free(mt, vma->vm_end, vma->vm_end + new_len - old_len)))
			want = -ENOMEM;
	}
	/* the source VMAs as they are now, for DONTUNMAP's unlocking */
	for (; !want && vma && vma->vm_start < addr + old_len && nsrc < 16; vma = vma_next(vma)) {
		const uint64_t from = vma->vm_start > addr ? vma->vm_start : addr;
		const uint64_t to = vma->vm_end < addr + old_len ? vma->vm_end : addr + old_len;

		src[nsrc++] = (struct msrc){ vma->vm_start, vma->vm_end, from, from - addr + new_addr,
					     to - from, (vma->vm_flags & VM_LOCKED) != 0 };
		locked_src |= src[nsrc - 1].locked;
	}
	/* DONTUNMAP across several VMAs, locked ones among them: each source
	 * VMA is cut by the destinations unmapped before its part moves, and
	 * may merge with its copy; the model leaves that to the scenarios */
	if ((flags & MREMAP_DONTUNMAP) && locked_src && nsrc > 1)
		return;
	r = do_mremap(mm, addr, old_len, new_len, flags, new_addr);
	if (want) {
		assert_int_equal(r, want);
		return;
	}
	if (r < 0)
		fail_msg("mremap(%#llx, %#llx, %#llx, %#lx, %#llx) = %lld", (unsigned long long)addr,
			 (unsigned long long)old_len, (unsigned long long)new_len, flags,
			 (unsigned long long)new_addr, (long long)r);
	eff = old_len < new_len ? old_len : new_len;
	like = *p0;	/* p0 moves about as pages come and go */
	if (!old_len) {
		/* a second mapping of the same shared pages, faulted in when
		 * locked (the growth from nothing) */
		for (uint64_t off = 0; off < new_len; off += PAGE_SIZE) {
			struct mpage c = *mfind(mt, addr + off);

			mput(mt, &c, 1, (int64_t)((uint64_t)r - addr), true);
		}
		if (like.locked)
			mpopulate(mt, (uint64_t)r, (uint64_t)r + new_len, true);
	} else if ((flags & MREMAP_FIXED) && old_len == new_len) {
		/* every VMA of the range, each keeping its distance; each
		 * clears only its own destination, not the gaps' */
		assert_int_equal(r, new_addr);
		n = mtake(mt, addr, addr + old_len, moved, MAXPAGES);
		for (unsigned i = 0; i < n; i++)
			mremove(mt, moved[i].va - addr + new_addr, moved[i].va - addr + new_addr + PAGE_SIZE);
		if (flags & MREMAP_DONTUNMAP)
			mput(mt, moved, n, 0, true);
		mput(mt, moved, n, (int64_t)(new_addr - addr), false);
		if ((flags & MREMAP_DONTUNMAP) && nsrc)
			mdontunmap_unlock(mt, src, true);
	} else if ((uint64_t)r == addr && !(flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))) {
		/* in place */
		if (new_len < old_len)
			mremove(mt, addr + new_len, addr + old_len);
		else
			mgrow(mt, addr + old_len, addr + new_len, &like);
	} else {
		/* a move of part of one VMA, shrunk first or grown after */
		if (flags & MREMAP_FIXED)
			mremove(mt, new_addr, new_addr + new_len);
		else if (!(flags & MREMAP_DONTUNMAP) || !new_addr)
			assert_true(mrange_free(mt, (uint64_t)r, (uint64_t)r + new_len));
		mremove(mt, addr + eff, addr + old_len);
		n = mtake(mt, addr, addr + eff, moved, MAXPAGES);
		if (flags & MREMAP_DONTUNMAP)
			mput(mt, moved, n, 0, true);
		mput(mt, moved, n, (int64_t)((uint64_t)r - addr), false);
		if (new_len > eff)
			mgrow(mt, (uint64_t)r + eff, (uint64_t)r + new_len, &like);
		if (flags & MREMAP_DONTUNMAP) {
			src[0].dst = (uint64_t)r;
			mdontunmap_unlock(mt, src, flags & MREMAP_FIXED);
		}
	}
}

/* The model's madvise: the pages in address order take the advice until
 * one whose VMA refuses it (EINVAL, for the whole VMA alike: locked memory
 * refuses to drop its pages except to MADV_DONTNEED_LOCKED); a page not
 * mapped makes the result ENOMEM, at once for populate. */
static void op_madvise(struct mtask *mt)
{
	static const int advice[] = {
		MADV_DONTNEED, MADV_FREE, MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK,
		MADV_KEEPONFORK, MADV_RANDOM, MADV_SEQUENTIAL, MADV_NORMAL, MADV_HUGEPAGE,
		MADV_NOHUGEPAGE, MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_WILLNEED,
		MADV_COLD, MADV_PAGEOUT, MADV_REMOVE, MADV_DONTNEED_LOCKED,
	};
	const int adv = advice[rnd(sizeof(advice) / sizeof(advice[0]))];
	uint64_t start, len;
	bool hole = false;
	int want = 0;

	if (mt->n && rnd(2) == 0)
		start = mt->p[rnd(mt->n)].va;
	else
		start = WIN + (uint64_t)rnd(WIN_PAGES) * PAGE_SIZE;
	len = (uint64_t)(1 + rnd(8)) * PAGE_SIZE;
	if (adv == MADV_REMOVE && rnd(4)) {
		/* mostly on shared memory, where it can succeed */
		for (unsigned k = 0, i = rnd(mt->n + 1); k < mt->n; k++)
			if (mt->p[(i + k) % mt->n].cell >= 0) {
				start = mt->p[(i + k) % mt->n].va;
				len = (uint64_t)(1 + rnd(2)) * PAGE_SIZE;
				break;
			}
	}
	for (uint64_t va = start; va < start + len && !want; va += PAGE_SIZE) {
		struct mpage *p = mfind(mt, va);
		bool shared;

		if (!p) {
			hole = true;
			if (adv == MADV_POPULATE_READ || adv == MADV_POPULATE_WRITE)
				want = -ENOMEM;
			continue;
		}
		shared = p->cell >= 0;
		switch (adv) {
		case MADV_FREE:
			/* lazily freed: no memory pressure here makes reclaim
			 * free it, so it keeps its bytes; locked memory is
			 * refused (madvise_dontneed_free_valid_vma()) */
			if (shared || p->locked)
				want = -EINVAL;
			break;
		case MADV_DONTNEED:
			if (p->locked) {
				want = -EINVAL;
				break;
			}
			/* fall through */
		case MADV_DONTNEED_LOCKED:
			p->resident = false;
			if (!shared)
				p->value = 0;
			break;
		case MADV_REMOVE:
			if (!shared || p->locked) {
				want = -EINVAL;
				break;
			}
			/* the hole is in the object: every sharer loses the page */
			cells[p->cell] = 0;
			for (unsigned i = 0; i < NTASK; i++)
				for (unsigned k = 0; tasks[i].t && k < tasks[i].n; k++)
					if (tasks[i].p[k].cell == p->cell)
						tasks[i].p[k].resident = false;
			break;
		case MADV_WIPEONFORK:
			if (shared)
				want = -EINVAL;
			else
				p->mflags |= VM_WIPEONFORK;
			break;
		case MADV_KEEPONFORK: p->mflags &= ~VM_WIPEONFORK; break;
		case MADV_DONTFORK: p->mflags |= VM_DONTCOPY; break;
		case MADV_DOFORK: p->mflags &= ~VM_DONTCOPY; break;
		case MADV_RANDOM: p->mflags = (p->mflags & ~VM_SEQ_READ) | VM_RAND_READ; break;
		case MADV_SEQUENTIAL: p->mflags = (p->mflags & ~VM_RAND_READ) | VM_SEQ_READ; break;
		case MADV_NORMAL: p->mflags &= ~(VM_RAND_READ | VM_SEQ_READ); break;
		case MADV_HUGEPAGE: p->mflags = (p->mflags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE; break;
		case MADV_NOHUGEPAGE: p->mflags = (p->mflags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE; break;
		case MADV_POPULATE_READ:
			if (p->prot == PROT_NONE)
				want = -EINVAL;
			else if (shared)
				p->resident = true;	/* private: the zero page */
			break;
		case MADV_POPULATE_WRITE:
			if (!(p->prot & PROT_WRITE))
				want = -EINVAL;
			else
				p->resident = true;
			break;
		case MADV_COLD:
		case MADV_PAGEOUT:
			if (p->locked)
				want = -EINVAL;	/* can_madv_lru_vma() */
			break;
		default:	/* WILLNEED: nothing a program sees here */
			break;
		}
	}
	if (!want && hole)
		want = -ENOMEM;
	assert_int_equal(do_madvise(mt->t->mm, start, len, adv, &mt->t->fst), want);
}

static void op_brk(struct mtask *mt)
{
	struct mm_struct *mm = mt->t->mm;
	uint64_t want = HEAP + (uint64_t)rnd(48) * PAGE_SIZE + (rnd(2) ? rnd(4096) : 0);
	uint64_t newend = PAGE_ALIGN(want), got;
	bool ok = true;

	/* growth must find the new pages (and one more) unmapped, and fit
	 * RLIMIT_MEMLOCK after mlockall(MCL_FUTURE) */
	for (uint64_t va = mt->brk; va < newend + PAGE_SIZE; va += PAGE_SIZE)
		if (newend > mt->brk && mfind(mt, va))
			ok = false;
	if (newend > mt->brk && !may_lock(mt, mt->def, (newend - mt->brk) >> PAGE_SHIFT))
		ok = false;
	/* shrinking needs a VMA holding the part given back, starting below
	 * the old break */
	if (newend < mt->brk) {
		bool any = false;
		for (uint64_t va = newend; va < mt->brk; va += PAGE_SIZE)
			if (mfind(mt, va))
				any = true;
		ok = any;
	}
	got = sys_brk(mm, want);
	if (newend == mt->brk) {
		assert_int_equal(got, want);
		return;
	}
	if (!ok) {
		/* refused: the old break stands */
		assert_int_not_equal(got, want);
		return;
	}
	assert_int_equal(got, want);
	if (newend > mt->brk) {
		madd(mt, mt->brk, newend, PROT_READ | PROT_WRITE, false);
		if (mt->def & VM_LOCKED)
			mpopulate(mt, mt->brk, newend, true);
	} else {
		mremove(mt, newend, mt->brk);
	}
	mt->brk = newend;
}

static void op_access(struct mtask *mt)
{
	struct mpage *p;
	uint64_t va, v;
	int segv;

	if (mt->n == 0 || rnd(8) == 0) {
		/* somewhere probably unmapped */
		va = WIN + (uint64_t)rnd(WIN_PAGES + 8) * PAGE_SIZE;
	} else {
		va = mt->p[rnd(mt->n)].va;
	}
	p = mfind(mt, va);
	if (rnd(2)) {
		v = ((uint64_t)seed << 16) | rnd(65536);
		segv = vt_write(mt->t, va, v);
		if (!p) {
			assert_int_equal(segv, SEGV_MAPERR);
		} else if (!(p->prot & PROT_WRITE)) {
			assert_int_equal(segv, SEGV_ACCERR);
		} else {
			assert_int_equal(segv, 0);
			p->resident = true;
			if (p->cell >= 0)
				cells[p->cell] = v;
			else
				p->value = v;
		}
	} else {
		segv = vt_read(mt->t, va, &v);
		if (!p) {
			assert_int_equal(segv, SEGV_MAPERR);
		} else if (p->prot == PROT_NONE) {
			assert_int_equal(segv, SEGV_ACCERR);
		} else {
			assert_int_equal(segv, 0);
			assert_int_equal(v, mvalue(p));	/* 0 until written */
			if (p->cell >= 0)
				p->resident = true;	/* the shared page is mapped now */
		}
	}
}

static void op_fork(struct mtask *mt)
{
	for (unsigned i = 0; i < NTASK; i++) {
		struct mtask *c = &tasks[i];

		if (c->t)
			continue;
		snprintf(c->name, sizeof(c->name), "t%u", rnd(1000000));
		if (task_find(vm_machine(mt->t->mm->vm), c->name))
			return;
		assert_int_equal(do_fork(mt->t, c->name, 0, &c->t), 0);
		c->n = 0;
		for (unsigned k = 0; k < mt->n; k++) {
			struct mpage *p = &c->p[c->n];

			/* DONTFORK: not in the child at all */
			if (mt->p[k].mflags & VM_DONTCOPY)
				continue;
			*p = mt->p[k];
			c->n++;
			/* shared memory is faulted in again by the child;
			 * WIPEONFORK memory starts empty there; no lock is
			 * inherited */
			if (p->cell >= 0)
				p->resident = false;
			if (p->mflags & VM_WIPEONFORK) {
				p->resident = false;
				p->value = 0;
			}
			p->locked = p->onfault = false;
		}
		/* nor mlockall(MCL_FUTURE), nor what DONTUNMAP left counted */
		c->def = 0;
		c->locked_extra = 0;
		c->brk = mt->brk;
		return;
	}
}

/* A range of the window: its first page and length in pages; sometimes
 * an address inside the first page, with the length ending in the last. */
static void win_range(unsigned max, uint64_t *addr, uint64_t *bytes, uint64_t *start,
		      uint64_t *end)
{
	uint64_t off = rnd(3) == 0 ? rnd(PAGE_SIZE) : 0;

	*start = WIN + (uint64_t)rnd(WIN_PAGES) * PAGE_SIZE;
	*end = *start + (uint64_t)(1 + rnd(max)) * PAGE_SIZE;
	if (*end > WIN + (WIN_PAGES + 4) * PAGE_SIZE)
		*end = WIN + (WIN_PAGES + 4) * PAGE_SIZE;
	*addr = *start + off;
	*bytes = *end - *addr;
}

static void op_mlock(struct mtask *mt)
{
	const unsigned kind = rnd(3);	/* mlock, mlock2(MLOCK_ONFAULT), munlock */
	struct mm_struct *mm = mt->t->mm;
	uint64_t addr, bytes, start, end, va, held = 0;
	int want = 0, ret;

	win_range(12, &addr, &bytes, &start, &end);
	for (va = start; va < end; va += PAGE_SIZE)
		held += mfind(mt, va) && mfind(mt, va)->locked;
	if (kind != 2 && lim_pages == 0 && !cap_ipc_lock)
		want = -EPERM;
	else if (kind != 2 && !cap_ipc_lock &&
		 mlocked_pages(mt) + ((end - start) >> PAGE_SHIFT) - held > lim_pages)
		want = -ENOMEM;	/* pages already locked are not charged twice */
	if (!want) {
		/* VMA by VMA until a hole */
		for (va = start; va < end; va += PAGE_SIZE) {
			struct mpage *p = mfind(mt, va);

			if (!p) {
				want = -ENOMEM;
				break;
			}
			p->locked = kind != 2;
			p->onfault = kind == 1;
		}
		/* then the prefault, which a PROT_NONE page stops */
		if (!want && kind == 0 && !mpopulate(mt, start, end, false))
			want = -ENOMEM;
	}
	if (kind == 0)
		ret = sys_mlock(mm, addr, bytes, &mt->t->fst);
	else if (kind == 1)
		ret = sys_mlock2(mm, addr, bytes, MLOCK_ONFAULT, &mt->t->fst);
	else
		ret = sys_munlock(mm, addr, bytes);
	if (ret != want)
		fail_msg("%s: %s %#llx+%#llx: %d, the model says %d", mt->name,
			 kind == 0 ? "mlock" : kind == 1 ? "mlock2" : "munlock",
			 (unsigned long long)addr, (unsigned long long)bytes, ret, want);
}

static void op_mlockall(struct mtask *mt)
{
	static const int choice[] = {
		0, MCL_ONFAULT, 8, MCL_CURRENT, MCL_FUTURE, MCL_CURRENT | MCL_FUTURE,
		MCL_CURRENT | MCL_ONFAULT, MCL_FUTURE | MCL_ONFAULT,
		MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT, -1 /* munlockall */,
	};
	const int flags = choice[rnd(sizeof(choice) / sizeof(choice[0]))];
	struct mm_struct *mm = mt->t->mm;
	int want = 0;

	if (flags < 0) {
		assert_int_equal(sys_munlockall(mm), 0);
		mt->def = 0;
		for (unsigned i = 0; i < mt->n; i++)
			mt->p[i].locked = mt->p[i].onfault = false;
		return;
	}
	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		want = -EINVAL;
	else if (lim_pages == 0 && !cap_ipc_lock)
		want = -EPERM;
	else if ((flags & MCL_CURRENT) && !cap_ipc_lock && mt->n > lim_pages)
		want = -ENOMEM;	/* total_vm over the limit */
	assert_int_equal(sys_mlockall(mm, flags, &mt->t->fst), want);
	if (want)
		return;
	mt->def = flags & MCL_FUTURE ? VM_LOCKED | (flags & MCL_ONFAULT ? VM_LOCKONFAULT : 0) : 0;
	if (!(flags & MCL_CURRENT))
		return;
	for (unsigned i = 0; i < mt->n; i++) {
		mt->p[i].locked = true;
		mt->p[i].onfault = (flags & MCL_ONFAULT) != 0;
	}
	mpopulate(mt, 0, mm->task_size, true);
}

static void op_mincore(struct mtask *mt)
{
	uint64_t addr, bytes, start, end, va;
	unsigned char vec[16];
	int want = 0, ret;

	win_range(12, &addr, &bytes, &start, &end);
	if (addr != start)
		want = -EINVAL;
	for (va = start; va < end && !want; va += PAGE_SIZE)
		if (!mfind(mt, va))
			want = -ENOMEM;
	ret = sys_mincore(mt->t->mm, addr, bytes, vec, sizeof(vec));
	if (ret != want)
		fail_msg("%s: mincore %#llx+%#llx: %d, the model says %d", mt->name,
			 (unsigned long long)addr, (unsigned long long)bytes, ret, want);
	/* a page the model knows resident is; one never mapped by this task
	 * through a PTE may be too (the zero page, the shared object) */
	for (va = start; va < end && !ret; va += PAGE_SIZE)
		if (mfind(mt, va)->resident && !vec[(va - start) >> PAGE_SHIFT])
			fail_msg("%s: mincore says %#llx is not resident", mt->name,
				 (unsigned long long)va);
}

static void op_msync(struct mtask *mt)
{
	static const int choice[] = {
		0, MS_ASYNC, MS_SYNC, MS_INVALIDATE, MS_ASYNC | MS_INVALIDATE,
		MS_SYNC | MS_INVALIDATE, MS_ASYNC | MS_SYNC, 8,
	};
	const int flags = choice[rnd(sizeof(choice) / sizeof(choice[0]))];
	uint64_t addr, bytes, start, end, va;
	bool hole = false;
	int want = 0;

	win_range(12, &addr, &bytes, &start, &end);
	if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) || addr != start ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		want = -EINVAL;
	/* VMA by VMA: a hole is ENOMEM at the end (at once for MS_ASYNC
	 * alone), locked memory under MS_INVALIDATE is EBUSY */
	for (va = start; va < end && !want; va += PAGE_SIZE) {
		struct mpage *p = mfind(mt, va);

		if (!p) {
			hole = true;
			if (flags == MS_ASYNC)
				want = -ENOMEM;
		} else if ((flags & MS_INVALIDATE) && p->locked) {
			want = -EBUSY;
		}
	}
	if (!want && hole)
		want = -ENOMEM;
	assert_int_equal(sys_msync(mt->t->mm, addr, bytes, flags), want);
}

static void op_exit(struct mtask *mt)
{
	unsigned alive = 0;

	for (unsigned i = 0; i < NTASK; i++)
		alive += tasks[i].t != NULL;
	if (alive < 2)
		return;
	do_exit(mt->t);
	mt->t = NULL;
	mt->n = 0;
}

/* @memlock: RLIMIT_MEMLOCK ("unlimited" or a size); @cap: CAP_IPC_LOCK */
static void run(const char *arch, unsigned nops, unsigned s, const char *memlock, bool cap)
{
	char lim[64], capset[64];
	const char *sets[] = { "memory.size=256MiB", lim, capset, NULL };
	struct vmsim_error err = { 0 };
	struct vmsim_machine *m;
	struct vt_free before, after;

	snprintf(lim, sizeof(lim), "process.memlock_rlimit=%s", memlock);
	snprintf(capset, sizeof(capset), "process.cap_ipc_lock=%s", cap ? "true" : "false");
	m = vmsim_machine_create(arch, sets, &err);
	if (!m)
		fail_msg("boot %s: %s", arch, err.msg);
	lim_pages = m->cfg.memlock_rlimit >> PAGE_SHIFT;
	cap_ipc_lock = cap;
	seed = s;
	ncells = 0;
	memset(tasks, 0, sizeof(tasks));
	tasks[0].t = vt_spawn(m, "warm", HEAP, 0);
	do_exit(tasks[0].t);
	vt_free_snapshot(m, &before);
	snprintf(tasks[0].name, sizeof(tasks[0].name), "t0");
	tasks[0].t = vt_spawn(m, "t0", HEAP, 0);
	tasks[0].brk = HEAP;
	for (unsigned op = 0; op < nops; op++) {
		struct mtask *mt = pick();
		unsigned k = rnd(100);

		if (k < 18)
			op_mmap_fixed(mt);
		else if (k < 23)
			op_mmap_any(mt);
		else if (k < 33)
			op_munmap(mt);
		else if (k < 43)
			op_mprotect(mt);
		else if (k < 50)
			op_brk(mt);
		else if (k < 56)
			op_mremap(mt);
		else if (k < 62)
			op_madvise(mt);
		else if (k < 68)
			op_mlock(mt);
		else if (k < 70)
			op_mlockall(mt);
		else if (k < 73)
			op_mincore(mt);
		else if (k < 76)
			op_msync(mt);
		else if (k < 96)
			op_access(mt);
		else if (k < 98)
			op_fork(mt);
		else
			op_exit(mt);
		vt_check(m);
		for (unsigned i = 0; i < NTASK; i++)
			if (tasks[i].t)
				compare(&tasks[i]);
	}
	for (unsigned i = 0; i < NTASK; i++)
		if (tasks[i].t)
			do_exit(tasks[i].t);
	vt_check(m);
	vt_free_snapshot(m, &after);
	assert_int_equal(after.total, before.total);
	assert_int_equal(global_zone_page_state(&m->pm, NR_MLOCK), 0);
	assert_int_equal(m->pm.mlock_stale, 0);
	vmsim_machine_destroy(m);
}

static void test_random_ops_x86_64(void **state)
{
	(void)state;
	run("x86_64", 4000, 1, "256KiB", false);
	run("x86_64", 4000, 77, "0", true);
	run("x86_64", 3000, 3, "0", false);
}

static void test_random_ops_x86_32(void **state)
{
	(void)state;
	run("x86_32", 3000, 5, "unlimited", false);
}

static void test_random_ops_pae(void **state)
{
	(void)state;
	run("x86_32-pae", 3000, 11, "unlimited", false);
	run("x86_32-pae", 2000, 13, "0", true);
}

static void test_random_ops_la57(void **state)
{
	(void)state;
	run("x86_64-la57", 3000, 17, "256KiB", false);
	run("x86_64-la57", 2000, 19, "0", true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops_x86_64),
		cmocka_unit_test(test_random_ops_x86_32),
		cmocka_unit_test(test_random_ops_pae),
		cmocka_unit_test(test_random_ops_la57),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
