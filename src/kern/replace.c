/*
 * Page replacement in N frames (see replace.h): the frame table, loading
 * and evicting pages through the kernel, and the textbook policies.
 *
 * Policies, as the textbooks define them:
 *   fifo            the page loaded longest ago (a ring of the N frames)
 *   lru             the page referenced longest ago (a recency list)
 *   opt             Belady's MIN: the page whose next reference is
 *                   farthest (never, first), from a next-use pass
 *   clock           second chance: the hand skips (and clears) pages
 *                   whose Accessed bit is set, takes the first clear one
 *   enhanced-clock  (Accessed, Dirty) classes, Stallings' two-step scan:
 *                   a pass for (0,0) that changes nothing, then a pass for
 *                   (0,1) that clears Accessed bits, repeated
 *   nru             a random page of the lowest class 2A + D; a tick
 *                   every --refresh references clears every Accessed bit
 *   aging           8-bit counters shifted right each tick with the
 *                   Accessed bit entering at the top; the page with the
 *                   smallest counter goes (the bits of the current tick
 *                   count as the newest, so a page just loaded is not
 *                   taken first); ties: the lowest frame
 *   lfu             the page with the fewest references since it was
 *                   loaded; ties: the one loaded earliest
 *   random          a uniformly random frame (seeded xorshift64*)
 *   wsclock         Tanenbaum's WSClock: the hand clears Accessed bits
 *                   (noting the time), takes the first clean page older
 *                   than tau and schedules a write of each dirty one
 *                   (done at once: Dirty cleared, a disk write counted);
 *                   after a full turn the first clean page, else the one
 *                   at the hand
 *   linux           not a textbook policy: the kernel's own reclaim (the
 *                   active/inactive lists of mm/vmscan.c) in a memory
 *                   cgroup of N pages, with a swap area
 *
 * A page is loaded into the frame its victim left (fifo, clock and
 * wsclock then move the hand past it), so the frames' order is the
 * textbooks' pictures.
 */
#include "kern/replace.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "kern/cgroup.h"
#include "kern/machine.h"
#include "kern/task.h"
#include "mmu/mmu.h"
#include "mmu/pgtable.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "vma/huge_mm.h"
#include "vma/memcontrol.h"
#include "vma/mm.h"
#include "vma/swapfile.h"

/* ---- the page table's bits ---- */

static uint64_t frame_va(const struct replace_frame *f)
{
	return f->vpn << 12;
}

static uint64_t frame_pte(const struct replace *rs, uint32_t s)
{
	return pt_read(&rs->m->pt, rs->f[s].epa);
}

/* Clear @bits in slot @s's PTE and flush its TLB entry, so the next
 * reference walks and the MMU sets them again. */
static void frame_clear_bits(struct replace *rs, uint32_t s, uint64_t bits)
{
	uint64_t pte = frame_pte(rs, s);

	set_pte(&rs->m->pt, rs->f[s].epa, pte & ~bits);
	flush_tlb_mm_range(rs->t->mm, frame_va(&rs->f[s]), frame_va(&rs->f[s]) + PAGE_SIZE);
	rs->st.bit_clears++;
}

/* ptep_test_and_clear_young(), then the flush. */
static bool frame_test_and_clear_young(struct replace *rs, uint32_t s)
{
	if (!(frame_pte(rs, s) & _PAGE_ACCESSED))
		return false;
	frame_clear_bits(rs, s, _PAGE_ACCESSED);
	return true;
}

/* (A, D) as a class 0..3. */
static unsigned frame_class(const struct replace *rs, uint32_t s)
{
	uint64_t pte = frame_pte(rs, s);

	return (pte & _PAGE_ACCESSED ? 2u : 0u) + (pte & _PAGE_DIRTY ? 1u : 0u);
}

uint64_t replace_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

uint32_t replace_random_below(uint64_t *state, uint32_t n)
{
	__extension__ typedef unsigned __int128 u128;

	return (uint32_t)(((u128)replace_random(state) * n) >> 64);
}

static uint32_t random_below(struct replace *rs, uint32_t n)
{
	return replace_random_below(&rs->rng, n);
}

static uint32_t ring_next(const struct replace *rs, uint32_t s)
{
	return s + 1 == rs->p.frames ? 0 : s + 1;
}

/* ---- a min-heap of slots by (key, key2): lfu, opt ---- */

static bool heap_less(const struct replace *rs, uint32_t a, uint32_t b)
{
	const struct replace_frame *x = &rs->f[a], *y = &rs->f[b];

	return x->key < y->key || (x->key == y->key && x->key2 < y->key2);
}

static void heap_set(struct replace *rs, uint32_t pos, uint32_t s)
{
	rs->heap[pos] = s;
	rs->f[s].heap = pos;
}

static void heap_up(struct replace *rs, uint32_t pos)
{
	uint32_t s = rs->heap[pos];

	while (pos > 0 && heap_less(rs, s, rs->heap[(pos - 1) / 2])) {
		heap_set(rs, pos, rs->heap[(pos - 1) / 2]);
		pos = (pos - 1) / 2;
	}
	heap_set(rs, pos, s);
}

static void heap_down(struct replace *rs, uint32_t pos)
{
	uint32_t s = rs->heap[pos], n = rs->nr_used;

	for (;;) {
		uint32_t c = 2 * pos + 1;

		if (c >= n)
			break;
		if (c + 1 < n && heap_less(rs, rs->heap[c + 1], rs->heap[c]))
			c++;
		if (!heap_less(rs, rs->heap[c], s))
			break;
		heap_set(rs, pos, rs->heap[c]);
		pos = c;
	}
	heap_set(rs, pos, s);
}

/* Slot @s's keys changed (or it is new at the end): restore the order. */
static void heap_fix(struct replace *rs, uint32_t s)
{
	uint32_t pos = rs->f[s].heap;

	heap_up(rs, pos);
	heap_down(rs, rs->f[s].heap);
}

/* ---- fifo, random ---- */

static uint32_t fifo_victim(struct replace *rs)
{
	uint32_t s = rs->hand;

	rs->hand = ring_next(rs, s);
	return s;
}

static uint32_t random_victim(struct replace *rs)
{
	return random_below(rs, (uint32_t)rs->p.frames);
}

/* ---- lru ---- */

static void lru_unlink(struct replace *rs, uint32_t s)
{
	struct replace_frame *f = &rs->f[s];

	if (f->prev != REPLACE_NONE)
		rs->f[f->prev].next = f->next;
	else
		rs->lru_head = f->next;
	if (f->next != REPLACE_NONE)
		rs->f[f->next].prev = f->prev;
	else
		rs->lru_tail = f->prev;
}

static void lru_push(struct replace *rs, uint32_t s)
{
	struct replace_frame *f = &rs->f[s];

	f->prev = REPLACE_NONE;
	f->next = rs->lru_head;
	if (rs->lru_head != REPLACE_NONE)
		rs->f[rs->lru_head].prev = s;
	else
		rs->lru_tail = s;
	rs->lru_head = s;
}

static void lru_reference(struct replace *rs, uint32_t s)
{
	if (rs->lru_head == s)
		return;
	lru_unlink(rs, s);
	lru_push(rs, s);
}

static uint32_t lru_victim(struct replace *rs)
{
	uint32_t s = rs->lru_tail;

	lru_unlink(rs, s);
	return s;
}

/* ---- lfu ---- */

static void lfu_reference(struct replace *rs, uint32_t s)
{
	rs->f[s].key++;
	heap_down(rs, rs->f[s].heap);	/* a bigger key sinks */
}

static void lfu_admit(struct replace *rs, uint32_t s)
{
	rs->f[s].key = 1;
	rs->f[s].key2 = rs->loads;
	heap_fix(rs, s);
}

/* The heap's root leaves; @s is refilled by admit (same slot). */
static uint32_t heap_victim(struct replace *rs)
{
	return rs->heap[0];
}

/* ---- opt ---- */

/* The touch being replayed: its next use, as a min-heap key (the
 * farthest next use is the smallest key; never again is 0). */
static uint64_t opt_key(const struct replace *rs)
{
	uint64_t i = *rs->touch - 1;

	return i < rs->nr_touches ? ~rs->next_use[i] : 0;
}

static void opt_reference(struct replace *rs, uint32_t s)
{
	rs->f[s].key = opt_key(rs);
	heap_fix(rs, s);
}

static void opt_admit(struct replace *rs, uint32_t s)
{
	rs->f[s].key = opt_key(rs);
	rs->f[s].key2 = 0;
	heap_fix(rs, s);
}

/* ---- clock, enhanced clock ---- */

static uint32_t clock_victim(struct replace *rs)
{
	for (;;) {
		uint32_t s = rs->hand;

		rs->hand = ring_next(rs, s);
		if (!frame_test_and_clear_young(rs, s))
			return s;
	}
}

static uint32_t eclock_victim(struct replace *rs)
{
	for (;;) {
		uint32_t s = rs->hand;

		/* (1) a page neither referenced nor modified; no bit changes */
		for (uint64_t i = 0; i < rs->p.frames; i++, s = ring_next(rs, s))
			if (frame_class(rs, s) == 0) {
				rs->hand = ring_next(rs, s);
				return s;
			}
		/* (2) not referenced but modified; clear A of every page passed */
		for (uint64_t i = 0; i < rs->p.frames; i++, s = ring_next(rs, s)) {
			if (frame_class(rs, s) == 1) {
				rs->hand = ring_next(rs, s);
				return s;
			}
			frame_test_and_clear_young(rs, s);
		}
		/* every A is clear now: (1) and (2) again find one */
	}
}

/* ---- nru, aging: the tick ---- */

static void nru_tick(struct replace *rs)
{
	for (uint32_t s = 0; s < rs->nr_used; s++)
		frame_test_and_clear_young(rs, s);
}

static uint32_t nru_victim(struct replace *rs)
{
	unsigned best = 4;
	uint32_t choice = 0, count = 0;

	/* one pass, a uniform pick among the lowest class (reservoir) */
	for (uint32_t s = 0; s < rs->nr_used; s++) {
		unsigned c = frame_class(rs, s);

		if (c < best) {
			best = c;
			count = 1;
			choice = s;
		} else if (c == best && random_below(rs, ++count) == 0) {
			choice = s;
		}
	}
	return choice;
}

static void aging_tick(struct replace *rs)
{
	for (uint32_t s = 0; s < rs->nr_used; s++)
		rs->f[s].key = (rs->f[s].key >> 1) |
			       (frame_test_and_clear_young(rs, s) ? 0x80 : 0);
}

static void aging_admit(struct replace *rs, uint32_t s)
{
	rs->f[s].key = 0;
}

static uint32_t aging_victim(struct replace *rs)
{
	uint64_t best = UINT64_MAX;
	uint32_t choice = 0;

	for (uint32_t s = 0; s < rs->nr_used; s++) {
		uint64_t v = rs->f[s].key | (frame_pte(rs, s) & _PAGE_ACCESSED ? 0x100 : 0);

		if (v < best) {
			best = v;
			choice = s;
		}
	}
	return choice;
}

/* ---- wsclock ---- */

static void wsclock_admit(struct replace *rs, uint32_t s)
{
	rs->f[s].key = rs->st.references;	/* time of last use */
}

static uint32_t wsclock_victim(struct replace *rs)
{
	const uint64_t now = rs->st.references;
	uint32_t s = rs->hand, clean = REPLACE_NONE;
	bool writes = false;

	for (uint64_t i = 0; i < rs->p.frames; i++, s = ring_next(rs, s)) {
		uint64_t pte = frame_pte(rs, s);

		if (pte & _PAGE_ACCESSED) {
			frame_clear_bits(rs, s, _PAGE_ACCESSED);
			rs->f[s].key = now;
			continue;
		}
		if (now - rs->f[s].key > rs->p.tau) {
			if (!(pte & _PAGE_DIRTY)) {
				rs->hand = ring_next(rs, s);
				return s;
			}
			/* schedule the write; it completes before the hand is back */
			frame_clear_bits(rs, s, _PAGE_DIRTY);
			rs->st.disk_writes++;
			writes = true;
			continue;
		}
		if (clean == REPLACE_NONE && !(pte & _PAGE_DIRTY))
			clean = s;
	}
	if (writes) {
		/* the pages written are clean and old now: the first one */
		for (uint64_t i = 0; i < rs->p.frames; i++, s = ring_next(rs, s))
			if (!(frame_pte(rs, s) & (_PAGE_ACCESSED | _PAGE_DIRTY)) &&
			    now - rs->f[s].key > rs->p.tau)
				break;
	} else if (clean != REPLACE_NONE) {
		s = clean;	/* all in the working set: any clean page */
	}
	rs->hand = ring_next(rs, s);
	return s;
}

/* ---- the table ---- */

static const struct replace_ops replace_fifo = {
	.name = "fifo", .about = "first in, first out: the page loaded longest ago",
	.available = true, .victim = fifo_victim,
};
static const struct replace_ops replace_lru = {
	.name = "lru", .about = "least recently used: the page referenced longest ago",
	.flags = REPLACE_REFS, .available = true,
	.reference = lru_reference, .victim = lru_victim, .admit = lru_push,
};
static const struct replace_ops replace_opt = {
	.name = "opt", .about = "Belady's MIN: the page used again farthest in the future",
	.flags = REPLACE_REFS | REPLACE_FUTURE, .available = true,
	.reference = opt_reference, .victim = heap_victim, .admit = opt_admit,
};
static const struct replace_ops replace_clock = {
	.name = "clock", .about = "second chance on the Accessed bit, a hand over the frames",
	.available = true, .victim = clock_victim,
};
static const struct replace_ops replace_eclock = {
	.name = "enhanced-clock", .about = "clock over (Accessed, Dirty) classes, clean pages first",
	.available = true, .victim = eclock_victim,
};
static const struct replace_ops replace_nru = {
	.name = "nru", .about = "not recently used: a random page of the lowest (A, D) class",
	.flags = REPLACE_TICKS, .available = true, .victim = nru_victim, .tick = nru_tick,
};
static const struct replace_ops replace_aging = {
	.name = "aging", .about = "8-bit aging counters fed by the Accessed bit at each tick",
	.flags = REPLACE_TICKS, .available = true,
	.victim = aging_victim, .admit = aging_admit, .tick = aging_tick,
};
static const struct replace_ops replace_lfu = {
	.name = "lfu", .about = "least frequently used since loaded, the earliest loaded on ties",
	.flags = REPLACE_REFS, .available = true,
	.reference = lfu_reference, .victim = heap_victim, .admit = lfu_admit,
};
static const struct replace_ops replace_rand = {
	.name = "random", .about = "a uniformly random frame (seeded)",
	.available = true, .victim = random_victim,
};
static const struct replace_ops replace_wsclock = {
	.name = "wsclock", .about = "WSClock: clean pages outside the working set window tau",
	.available = true, .victim = wsclock_victim, .admit = wsclock_admit,
};
static int linux_setup(struct replace *rs, struct vmsim_error *err);
static const struct replace_ops replace_linux = {
	.name = "linux", .about = "the kernel's own reclaim in a memory cgroup of N frames",
	.flags = REPLACE_KERNEL | REPLACE_FOOTPRINT, .available = true, .setup = linux_setup,
};

const struct replace_ops *const replace_policies[] = {
	&replace_fifo, &replace_lru, &replace_opt, &replace_clock, &replace_eclock, &replace_nru,
	&replace_aging, &replace_lfu, &replace_rand, &replace_wsclock, &replace_linux, NULL,
};

const struct replace_ops *replace_find(const char *name)
{
	for (size_t i = 0; replace_policies[i]; i++)
		if (strcmp(replace_policies[i]->name, name) == 0)
			return replace_policies[i];
	return NULL;
}

/* ---- loading and evicting ---- */

/* Unmap every page of the task: the run starts with nothing resident. */
static void unmap_all(struct task_struct *t)
{
	struct vm_area_struct *vma;

	for_each_vma(t->mm, vma) {
		zap_page_range(vma, vma->vm_start, vma->vm_end);
		flush_tlb_mm_range(t->mm, vma->vm_start, vma->vm_end);
	}
}

int replace_init(struct replace *rs, const struct replace_ops *ops,
		 const struct replace_params *p, struct vmsim_machine *m, struct task_struct *t,
		 const uint64_t *touch, struct vmsim_error *err)
{
	memset(rs, 0, sizeof(*rs));
	if (!ops->available)
		return verr(err, -ENOSYS, "%s", ops->missing);
	if (p->frames < 1 || p->frames > REPLACE_MAX_FRAMES)
		return verr(err, -EINVAL, "--frames must be 1 to %llu",
			    (unsigned long long)REPLACE_MAX_FRAMES);
	rs->ops = ops;
	rs->m = m;
	rs->t = t;
	rs->p = *p;
	rs->touch = touch;
	rs->rng = p->seed ? p->seed : 0x9e3779b97f4a7c15ULL;	/* xorshift needs non-zero */
	rs->lru_head = rs->lru_tail = REPLACE_NONE;
	rs->next_tick = (ops->flags & REPLACE_TICKS) ? p->refresh : 0;
	if (ops->setup) {
		if (pagemap_init(&rs->seen, 16))
			return verr(err, -ENOMEM, "out of host memory");
		return ops->setup(rs, err);
	}
	rs->f = host_zalloc(NULL, p->frames * sizeof(*rs->f));
	if (ops->victim == heap_victim)
		rs->heap = host_alloc(NULL, p->frames * sizeof(*rs->heap));
	if (!rs->f || (ops->victim == heap_victim && !rs->heap) ||
	    pagemap_init(&rs->map, p->frames) ||
	    pagemap_init(&rs->seen, 16)) {
		replace_destroy(rs);
		return verr(err, -ENOMEM, "out of host memory");
	}
	/* pure demand paging: a fault loads its own page only, so no
	 * fault-around window maps neighbours past the policy's count, and no
	 * transparent huge page maps 512 at once outside the frames (sysfs
	 * "never": a huge page, the huge zero page too, is no page frame) */
	m->cfg.fault_around_bytes = PAGE_SIZE;
	hugepage_set_enabled(&m->vm, THP_ENABLED_NEVER);
	unmap_all(t);
	return 0;
}

void replace_destroy(struct replace *rs)
{
	if (rs->f)
		host_free(NULL, rs->f, rs->p.frames * sizeof(*rs->f));
	if (rs->heap)
		host_free(NULL, rs->heap, rs->p.frames * sizeof(*rs->heap));
	if (rs->next_use)
		host_free(NULL, rs->next_use, rs->next_use_cap * sizeof(*rs->next_use));
	pagemap_destroy(&rs->map);
	pagemap_destroy(&rs->seen);
	rs->f = NULL;
	rs->heap = NULL;
	rs->next_use = NULL;
}

void replace_reference(struct replace *rs, uint64_t vpn)
{
	struct pagemap_slot *ms = pagemap_find(&rs->map, vpn);

	if (ms)		/* else a page this layer does not hold (none in a sound run) */
		rs->ops->reference(rs, (uint32_t)ms->val);
}

void replace_do_tick(struct replace *rs)
{
	rs->st.ticks++;
	rs->next_tick += rs->p.refresh;
	rs->ops->tick(rs);
}

/* Evict slot @s's page: its PTE cleared, the TLB flushed, a write to disk
 * when it was dirty. */
static void evict(struct replace *rs, uint32_t s)
{
	struct mm_struct *mm = rs->t->mm;
	uint64_t va = frame_va(&rs->f[s]), pte = frame_pte(rs, s);
	struct vm_area_struct *vma = find_vma(mm, va);

	rs->st.evictions++;
	if (pte & _PAGE_DIRTY) {
		rs->st.dirty_evictions++;
		rs->st.disk_writes++;
	}
	if (vma && vma->vm_start <= va)
		zap_page_range(vma, va, va + PAGE_SIZE);
	flush_tlb_mm_range(mm, va, va + PAGE_SIZE);
	pagemap_remove(&rs->map, rs->f[s].vpn);
}

/* The PTE that maps @va now (the fault handler just made it), or 0. */
static uint64_t pte_addr(struct replace *rs, uint64_t va)
{
	struct pt_path path;

	pt_lookup(&rs->m->pt, rs->t->mm->pgd, va, &path);
	return path.leaf && path.n == rs->m->pt.fmt->levels ? path.epa[path.n - 1] : 0;
}

int replace_fault(struct replace *rs, uint64_t va)
{
	uint64_t vpn = va >> 12, epa;
	struct pagemap_slot *ms = rs->map.slots ? pagemap_find(&rs->map, vpn) : NULL;
	bool added;
	uint32_t s;

	if (rs->ops->flags & REPLACE_KERNEL) {
		/* the kernel's reclaim keeps the other counts; a page's first
		 * fault is its first use */
		if (!pagemap_insert(&rs->seen, vpn, 0, &added))
			return -ENOMEM;
		rs->st.references++;
		rs->st.first_faults += added;
		return 0;
	}
	if (ms) {
		/* resident: a protection fault (copy-on-write) is a reference */
		rs->st.references++;
		if (rs->ops->flags & REPLACE_REFS)
			rs->ops->reference(rs, (uint32_t)ms->val);
		goto tick;
	}
	epa = pte_addr(rs, va);
	if (!epa)
		return 0;	/* a large page, or no PTE: not a page of the frames */
	if (!pagemap_insert(&rs->seen, vpn, 0, &added))
		return -ENOMEM;
	rs->st.references++;
	rs->st.faults++;
	rs->st.first_faults += added;
	if (rs->nr_used < rs->p.frames) {
		s = rs->nr_used++;
		if (rs->heap)
			rs->f[s].heap = s;
	} else {
		s = rs->ops->victim(rs);
		evict(rs, s);
		if (rs->heap) {
			/* the victim's heap place gets the new page's keys */
			rs->f[s].key = 0;
			rs->f[s].key2 = 0;
		}
	}
	/* cannot fail: the map was made for N pages (replace_init) */
	pagemap_insert(&rs->map, vpn, s, &added);
	rs->f[s].vpn = vpn;
	rs->f[s].epa = epa;
	rs->loads++;
	if (rs->heap)
		rs->heap[rs->f[s].heap] = s;
	if (rs->ops->admit)
		rs->ops->admit(rs, s);
tick:
	if (rs->st.references == rs->next_tick)
		replace_do_tick(rs);
	return 0;
}

/* ---- OPT's pass over the future ---- */

struct opt_pass {
	struct replace *rs;
	struct pagemap last;		/* vpn -> its latest touch so far */
	int err;
};

static void opt_touch(void *arg, uint64_t vpn)
{
	struct opt_pass *op = arg;
	struct replace *rs = op->rs;
	struct pagemap_slot *ms;
	uint64_t i = rs->nr_touches;
	bool added;

	if (op->err)
		return;
	if (i == rs->next_use_cap) {
		uint64_t cap = i ? i * 2 : 4096;
		uint64_t *n = host_realloc(NULL, rs->next_use, i * sizeof(*n), cap * sizeof(*n));

		if (!n) {
			op->err = -ENOMEM;
			return;
		}
		rs->next_use = n;
		rs->next_use_cap = cap;
	}
	ms = pagemap_insert(&op->last, vpn, i, &added);
	if (!ms) {
		op->err = -ENOMEM;
		return;
	}
	if (!added) {
		rs->next_use[ms->val] = i;
		ms->val = i;
	}
	rs->next_use[i] = UINT64_MAX;
	rs->nr_touches++;
}

/* One pass over the trace at @path: @fn on each page touch, with @op
 * (its map made here).  @who names the policy that needs the file. */
static int trace_pass(const char *path, int fmt, const char *who,
		      void (*fn)(void *arg, uint64_t vpn), struct opt_pass *op,
		      struct vmsim_error *err)
{
	struct trace_reader r;
	struct trace_rec recs[256];
	struct stat st;
	long got;
	int ret;

	if (strcmp(path, "-") == 0 || stat(path, &st) || !S_ISREG(st.st_mode))
		return verr(err, -EINVAL, "%s: give a file, not %s", who,
			    strcmp(path, "-") == 0 ? "standard input" : "a pipe or a device");
	ret = trace_open(&r, path, fmt, err);
	if (ret)
		return ret;
	if (pagemap_init(&op->last, 4096)) {
		trace_close(&r);
		return verr(err, -ENOMEM, "out of host memory");
	}
	while ((got = trace_read_batch(&r, recs, 256, err)) > 0 && !op->err)
		for (long i = 0; i < got; i++)
			trace_rec_touches(&recs[i], fn, op);
	trace_close(&r);
	if (op->err) {
		pagemap_destroy(&op->last);
		return verr(err, op->err, "out of host memory");
	}
	if (got < 0) {
		pagemap_destroy(&op->last);
		return (int)got;
	}
	return 0;
}

int replace_opt_prepare(struct replace *rs, const char *path, int fmt, struct vmsim_error *err)
{
	struct opt_pass op = { .rs = rs };
	int ret = trace_pass(path, fmt, "--policy opt reads the trace twice (the future first)",
			     opt_touch, &op, err);

	if (!ret)
		pagemap_destroy(&op.last);
	return ret;
}

/* ---- linux: the kernel's reclaim in a memory cgroup of N frames ---- */

const char *const replace_reclaim_name[NR_REPLACE_RECLAIM] = {
	"pgscan", "pgsteal", "pgactivate", "pgdeactivate", "pgrefill", "pswpin", "pswpout",
	"nr_vmscan_write", "pgmajfault", "workingset_refault_anon", "workingset_refault_file",
	"workingset_activate_anon", "workingset_activate_file", "workingset_restore_anon",
	"workingset_restore_file",
};

/* The counters now: the cgroup's memory.stat events (its reclaim is
 * cgroup reclaim, which the machine's pgscan_* do not count) and
 * workingset items, the machine's swap I/O and pageouts (only this task
 * swaps). */
static void reclaim_counters(struct replace *rs, uint64_t v[NR_REPLACE_RECLAIM])
{
	const struct mem_cgroup *memcg = rs->memcg;
	const unsigned long *ev = rs->m->pm.vmstat.event;

	v[RR_PGSCAN] = memcg_events(memcg, PGSCAN_KSWAPD) + memcg_events(memcg, PGSCAN_DIRECT) +
		       memcg_events(memcg, PGSCAN_KHUGEPAGED);
	v[RR_PGSTEAL] = memcg_events(memcg, PGSTEAL_KSWAPD) + memcg_events(memcg, PGSTEAL_DIRECT) +
			memcg_events(memcg, PGSTEAL_KHUGEPAGED);
	v[RR_PGACTIVATE] = memcg_events(memcg, PGACTIVATE);
	v[RR_PGDEACTIVATE] = memcg_events(memcg, PGDEACTIVATE);
	v[RR_PGREFILL] = memcg_events(memcg, PGREFILL);
	v[RR_PSWPIN] = ev[PSWPIN];
	v[RR_PSWPOUT] = ev[PSWPOUT];
	v[RR_VMSCAN_WRITE] = global_node_page_state(&rs->m->pm, NR_VMSCAN_WRITE);
	v[RR_PGMAJFAULT] = memcg_events(memcg, PGMAJFAULT);
	for (unsigned i = 0; i < 6; i++)
		v[RR_WS_REFAULT_ANON + i] = memcg_page_state(&rs->m->vm, memcg,
							     WORKINGSET_REFAULT_ANON + (int)i);
}

/*
 * The machine for the kernel's reclaim in N frames: a cgroup "replay" of
 * memory.max N pages holding the task, in which only user pages are
 * charged (cgroup.memory=nokmem: the textbooks count no page tables or
 * stacks); pure demand paging as for the other policies, and swap
 * readahead off (vm.page-cluster 0), so a page fault reads one page.  The
 * swap area comes with the footprint pass.
 */
static int linux_setup(struct replace *rs, struct vmsim_error *err)
{
	struct vmsim_machine *m = rs->m;
	int ret;

	m->cfg.fault_around_bytes = PAGE_SIZE;
	hugepage_set_enabled(&m->vm, THP_ENABLED_NEVER);
	m->cfg.page_cluster = 0;
	m->vm.memcg->nokmem = true;
	unmap_all(rs->t);
	ret = cgroup_mkdir(m, "replay", &rs->memcg);
	if (!ret)
		ret = cgroup_attach_task(rs->t, rs->memcg);
	if (ret) {
		replace_destroy(rs);
		return verr(err, ret, "--policy linux: cannot put the task in a memory cgroup: %s",
			    ret == -ENOMEM ? "out of host memory" : "refused");
	}
	memory_max_write(&m->vm, rs->memcg, rs->p.frames);
	reclaim_counters(rs, rs->reclaim_base);
	return 0;
}

static void count_page(void *arg, uint64_t vpn)
{
	struct opt_pass *op = arg;
	bool added;

	if (!op->err && !pagemap_insert(&op->last, vpn, 0, &added))
		op->err = -ENOMEM;
}

int replace_footprint_prepare(struct replace *rs, const char *path, int fmt,
			      struct vmsim_error *err)
{
	struct opt_pass op = { .rs = rs };
	unsigned type;
	int ret = trace_pass(path, fmt, "--policy linux reads the trace twice (its pages first, "
			     "to size the swap area)", count_page, &op, err);

	if (ret)
		return ret;
	/* every page the trace touches, a slot each, plus room for the
	 * clusters the allocator keeps partly used (and the header) */
	rs->swap_pages = op.last.nr + op.last.nr / 4 + 1024;
	pagemap_destroy(&op.last);
	return sys_swapon(&rs->m->vm, rs->swap_pages << PAGE_SHIFT, -1, false, &type, err);
}

const struct replace_stats *replace_stats(struct replace *rs)
{
	if (rs->memcg) {
		uint64_t now[NR_REPLACE_RECLAIM];

		reclaim_counters(rs, now);
		for (unsigned i = 0; i < NR_REPLACE_RECLAIM; i++)
			rs->reclaim[i] = now[i] - rs->reclaim_base[i];
		/* a fault loads a page: its first use, or a read from swap */
		rs->st.faults = rs->st.first_faults + rs->reclaim[RR_PGMAJFAULT];
		rs->st.evictions = rs->reclaim[RR_PGSTEAL];
		/* dirty: written out (pageout()); to disk: what the swap
		 * area stored (a page of zeroes is only a zeromap bit) */
		rs->st.dirty_evictions = rs->reclaim[RR_VMSCAN_WRITE];
		rs->st.disk_writes = rs->reclaim[RR_PSWPOUT];
	}
	return &rs->st;
}

/* ---- the checker ---- */

static int count_present(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	(void)va;
	(void)epa;
	if (pte & _PAGE_PRESENT)
		++*(uint64_t *)arg;
	return 0;
}

int replace_check(struct replace *rs, struct vmsim_error *err)
{
	uint64_t present = 0, n = 0;

	/* the kernel's reclaim keeps the cgroup within its N pages */
	if (rs->memcg && rs->memcg->memory.usage > rs->p.frames)
		return verr(err, -EFAULT, "replace: the cgroup holds %lu pages of %llu",
			    rs->memcg->memory.usage, (unsigned long long)rs->p.frames);
	if (!rs->f)
		return 0;
	if (rs->nr_used > rs->p.frames || rs->map.nr != rs->nr_used)
		return verr(err, -EFAULT, "replace: %u frames used of %llu, %zu pages in the map",
			    rs->nr_used, (unsigned long long)rs->p.frames, rs->map.nr);
	for (uint32_t s = 0; s < rs->nr_used; s++) {
		const struct replace_frame *f = &rs->f[s];
		struct pagemap_slot *ms = pagemap_find(&rs->map, f->vpn);
		uint64_t epa = pte_addr(rs, frame_va(f));

		if (!ms || ms->val != s)
			return verr(err, -EFAULT, "replace: frame %u holds page %#llx, which the map "
				    "does not name", s, (unsigned long long)f->vpn);
		if (!epa || epa != f->epa || !(pt_read(&rs->m->pt, epa) & _PAGE_PRESENT))
			return verr(err, -EFAULT, "replace: frame %u: page %#llx is not mapped by "
				    "the PTE at %#llx", s, (unsigned long long)f->vpn,
				    (unsigned long long)f->epa);
		if (rs->heap && (f->heap >= rs->nr_used || rs->heap[f->heap] != s ||
				 (f->heap && heap_less(rs, s, rs->heap[(f->heap - 1) / 2]))))
			return verr(err, -EFAULT, "replace: frame %u out of its heap place %u", s,
				    f->heap);
	}
	for (uint32_t s = rs->lru_head; s != REPLACE_NONE && n <= rs->nr_used; s = rs->f[s].next)
		n++;
	if ((rs->ops->flags & REPLACE_REFS) && !rs->heap && n != rs->nr_used)
		return verr(err, -EFAULT, "replace: %llu pages on the recency list, %u resident",
			    (unsigned long long)n, rs->nr_used);
	walk_pte_range(rs->t->mm, 0, rs->t->mm->task_size, count_present, &present);
	if (present != rs->nr_used)
		return verr(err, -EFAULT, "replace: %llu present user PTEs, %u resident pages",
			    (unsigned long long)present, rs->nr_used);
	return pagemap_check(&rs->map, err);
}
