/*
 * Memory cgroups, cgroup v2 (mm/memcontrol.c and mm/page_counter.c of
 * Linux 6.12; see memcontrol.h).
 *
 * A charge (try_charge_memcg()) first takes what this CPU's stock holds
 * for the cgroup; otherwise it charges a batch of MEMCG_CHARGE_BATCH
 * pages to the cgroup's page counter and its ancestors' and keeps the
 * surplus in the stock, so that memory.current moves in batches as it
 * does on Linux.  A cgroup that has no room reclaims from its own subtree
 * (try_to_free_mem_cgroup_pages), drains the stocks, retries
 * MAX_RECLAIM_RETRIES times, and then calls its OOM killer; a charge
 * that went above memory.high is paid for by reclaim when the task
 * returns to user mode.  Pages charged to the root cgroup are not
 * counted in its page counter ("LRU pages aren't accounted at the root
 * level"), so the root's usage is its children's.
 *
 * Invariants (mem_cgroup_check() and the kern layer's page checker):
 *  - every cgroup's memory.usage equals the pages charged to it (pages
 *    whose memcg id is its id, the root excepted), plus what the stocks
 *    hold for it, plus its children's usage;
 *  - by_id[] holds exactly the live cgroups at their ids, and the phys
 *    layer's lruvec table points at each one's lruvecs;
 *  - a cgroup's statistics are the sums of the pages charged to it in each
 *    state (the same updates as the node counters, through its lruvecs).
 *
 * Not modelled: cgroup v1 (memsw, soft limits, oom_control), memory.low
 * and memory.min protection (their events stay 0), kernel memory of slab
 * objects, socket and percpu accounting, zswap, moving charges, removing
 * a cgroup, and the time memory.high throttling would sleep (its length
 * is computed and logged as an event).
 */
#include "vma/memcontrol.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "mmu/pgtable.h"
#include "util/hostalloc.h"
#include "vma/vm_ctx.h"
#include "phys/buddy.h"
#include "phys/mm_inline.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "vma/mm.h"
#include "vma/swap.h"

#define SWAP_CLUSTER_MAX 32UL
/* CONFIG_HZ of the reference kernels (Debian: 250), for the length of
 * memory.high throttling */
#define HZ 250UL

static inline struct memcg_state *memcg_state(struct vm_ctx *vm)
{
	return vm->memcg;
}

/* ---- page counters (mm/page_counter.c) ---- */

static void page_counter_init(struct page_counter *counter, struct page_counter *parent,
			      unsigned long max)
{
	*counter = (struct page_counter){ .max = max, .high = max, .parent = parent };
}

static inline unsigned long page_counter_read(const struct page_counter *counter)
{
	return counter->usage;
}

static void page_counter_cancel(struct page_counter *counter, unsigned long nr_pages)
{
	counter->usage -= nr_pages < counter->usage ? nr_pages : counter->usage;
}

/* page_counter_charge(): charge regardless of the limits. */
static void page_counter_charge(struct page_counter *counter, unsigned long nr_pages)
{
	for (struct page_counter *c = counter; c; c = c->parent) {
		c->usage += nr_pages;
		if (c->usage > c->watermark)
			c->watermark = c->usage;
	}
}

/* page_counter_try_charge(): charge, or fail at the first counter that
 * would go past its max (*fail), undoing the ones below it. */
static bool page_counter_try_charge(struct page_counter *counter, unsigned long nr_pages,
				    struct page_counter **fail)
{
	struct page_counter *c;

	for (c = counter; c; c = c->parent) {
		unsigned long next = c->usage + nr_pages;

		if (next > c->max) {
			c->failcnt++;
			*fail = c;
			for (struct page_counter *u = counter; u != c; u = u->parent)
				page_counter_cancel(u, nr_pages);
			return false;
		}
		c->usage = next;
		if (next > c->watermark)
			c->watermark = next;
	}
	return true;
}

static void page_counter_uncharge(struct page_counter *counter, unsigned long nr_pages)
{
	for (struct page_counter *c = counter; c; c = c->parent)
		page_counter_cancel(c, nr_pages);
}

#define mem_cgroup_from_counter(counter, member) \
	container_of(counter, struct mem_cgroup, member)

/* ---- the tree ---- */

bool mem_cgroup_is_descendant(const struct mem_cgroup *memcg, const struct mem_cgroup *root)
{
	for (; memcg; memcg = memcg->parent)
		if (memcg == root)
			return true;
	return false;
}

struct mem_cgroup *mem_cgroup_iter(struct mem_cgroup *root, struct mem_cgroup *prev)
{
	/* css_next_descendant_pre(): first child, else the next sibling of
	 * the nearest ancestor (up to @root) that has one */
	if (!prev)
		return root;
	if (!list_empty(&prev->children))
		return list_first_entry(&prev->children, struct mem_cgroup, sibling);
	for (struct mem_cgroup *pos = prev; pos != root; pos = pos->parent)
		if (pos->sibling.next != &pos->parent->children)
			return list_entry(pos->sibling.next, struct mem_cgroup, sibling);
	return NULL;
}

struct mem_cgroup *mem_cgroup_iter_reclaim(struct mem_cgroup *root, struct mem_cgroup *prev,
					   unsigned nid)
{
	struct mem_cgroup *pos;

	if (prev) {
		/* the walk ends at the end of the subtree: the next starts
		 * at the top (a new generation) */
		pos = mem_cgroup_iter(root, prev);
		if (!pos)
			root->reclaim_pos[nid] = NULL;
		return pos;
	}
	/* after the cgroup the last walk stopped at; one that stopped at the
	 * last cgroup leaves this walk the whole subtree */
	pos = root->reclaim_pos[nid] ? mem_cgroup_iter(root, root->reclaim_pos[nid]) : NULL;
	return pos ? pos : root;
}

void mem_cgroup_iter_break(struct mem_cgroup *root, struct mem_cgroup *prev, unsigned nid)
{
	root->reclaim_pos[nid] = prev;
}

struct mem_cgroup *mem_cgroup_from_id(struct vm_ctx *vm, unsigned id)
{
	struct memcg_state *st = memcg_state(vm);

	return st && id < st->nr_ids ? st->by_id[id] : NULL;
}

struct mem_cgroup *folio_memcg(struct vm_ctx *vm, const struct page *page)
{
	return mem_cgroup_from_id(vm, page_memcg_id(page));
}

struct lruvec *mem_cgroup_lruvec(struct vm_ctx *vm, struct mem_cgroup *memcg, unsigned nid)
{
	struct memcg_state *st = memcg_state(vm);

	if (!st)
		return &vm->pm->node_data[nid].__lruvec;
	if (!memcg)
		memcg = st->root;
	return &memcg->lruvecs[nid];
}

unsigned long mem_cgroup_lruvec_state(const struct vm_ctx *vm, const struct lruvec *lruvec,
				      enum node_stat_item idx)
{
	struct mem_cgroup *iter;
	long sum = 0;

	(void)vm;
	/* every page is charged to some cgroup or to none (the root's own):
	 * the root's subtree is the whole node */
	if (!lruvec->memcg || mem_cgroup_is_root(lruvec->memcg))
		return node_page_state(lruvec->pgdat, idx);
	for_each_mem_cgroup_tree(iter, lruvec->memcg)
		sum += iter->lruvecs[lruvec->pgdat->node_id].vm_stat[idx];
	return sum > 0 ? (unsigned long)sum : 0;
}

struct mem_cgroup *mem_cgroup_child(struct mem_cgroup *parent, const char *name)
{
	struct mem_cgroup *c;

	list_for_each_entry(c, &parent->children, sibling)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int cgroup_path_next(const char **path, char name[CGROUP_NAME_MAX + 1])
{
	const char *p = *path;
	size_t len;

	while (*p == '/')
		p++;
	len = strcspn(p, "/");
	if (!len)
		return 0;
	if (len > CGROUP_NAME_MAX)
		return -EINVAL;
	memcpy(name, p, len);
	name[len] = '\0';
	*path = p + len;
	return 1;
}

struct mem_cgroup *mem_cgroup_lookup(struct vm_ctx *vm, const char *path)
{
	struct mem_cgroup *memcg = memcg_state(vm)->root;
	char name[CGROUP_NAME_MAX + 1];
	int ret;

	while ((ret = cgroup_path_next(&path, name)) > 0) {
		memcg = mem_cgroup_child(memcg, name);
		if (!memcg)
			return NULL;
	}
	return ret ? NULL : memcg;
}

void mem_cgroup_path(const struct mem_cgroup *memcg, char *buf, size_t len)
{
	const struct mem_cgroup *chain[64];
	size_t n = 0, used = 0;

	if (!len)
		return;
	for (; memcg && !mem_cgroup_is_root(memcg) && n < 64; memcg = memcg->parent)
		chain[n++] = memcg;
	buf[0] = '\0';
	if (!n) {
		snprintf(buf, len, "/");
		return;
	}
	while (n-- && used < len)
		used += (size_t)snprintf(buf + used, len - used, "/%s", chain[n]->name);
}

/* Make room for id @id in by_id[] and the phys layer's lruvec table. */
static int grow_ids(struct memcg_state *st, unsigned id)
{
	struct host_arena *ha = st->vm->ha;
	unsigned n = st->nr_ids ? st->nr_ids : 8;
	struct mem_cgroup **by_id;
	struct lruvec **lruvecs;

	while (n <= id)
		n *= 2;
	if (n > MEM_CGROUP_ID_MAX + 1)
		n = MEM_CGROUP_ID_MAX + 1;
	by_id = host_realloc(ha, st->by_id, st->nr_ids * sizeof(*by_id), n * sizeof(*by_id));
	if (!by_id)
		return -ENOMEM;
	memset(by_id + st->nr_ids, 0, (n - st->nr_ids) * sizeof(*by_id));
	st->by_id = by_id;
	lruvecs = host_realloc(ha, st->vm->pm->memcg.lruvecs, st->nr_ids * sizeof(*lruvecs),
			       n * sizeof(*lruvecs));
	if (!lruvecs)
		return -ENOMEM;
	memset(lruvecs + st->nr_ids, 0, (n - st->nr_ids) * sizeof(*lruvecs));
	st->vm->pm->memcg.lruvecs = lruvecs;
	st->nr_ids = n;
	return 0;
}

/* mem_cgroup_alloc(): the lowest free id (xa_alloc() from 1), lruvecs on
 * every node, counters under @parent's. */
static int mem_cgroup_alloc(struct memcg_state *st, struct mem_cgroup *parent, const char *name,
			    struct mem_cgroup **out)
{
	struct vm_ctx *vm = st->vm;
	unsigned id = 1;
	struct mem_cgroup *memcg;

	while (id < st->nr_ids && st->by_id[id])
		id++;
	if (id > MEM_CGROUP_ID_MAX)
		return -ENOSPC;
	if (id >= st->nr_ids && grow_ids(st, id))
		return -ENOMEM;
	memcg = host_zalloc(vm->ha, sizeof(*memcg));
	if (!memcg)
		return -ENOMEM;
	memcg->name = host_strdup(vm->ha, name);
	memcg->lruvecs = host_zalloc(vm->ha, vm->pm->nr_nodes * sizeof(*memcg->lruvecs));
	if (!memcg->name || !memcg->lruvecs) {
		if (memcg->name)
			host_free(vm->ha, memcg->name, strlen(memcg->name) + 1);
		if (memcg->lruvecs)
			host_free(vm->ha, memcg->lruvecs,
				  vm->pm->nr_nodes * sizeof(*memcg->lruvecs));
		host_free(vm->ha, memcg, sizeof(*memcg));
		return -ENOMEM;
	}
	memcg->id = (unsigned short)id;
	memcg->parent = parent;
	INIT_LIST_HEAD(&memcg->children);
	INIT_LIST_HEAD(&memcg->sibling);
	INIT_LIST_HEAD(&memcg->tasks);
	for (unsigned nid = 0; nid < vm->pm->nr_nodes; nid++) {
		lruvec_init(&memcg->lruvecs[nid], &vm->pm->node_data[nid], memcg);
		memcg->lruvecs[nid].parent = parent ? &parent->lruvecs[nid] : NULL;
	}
	page_counter_init(&memcg->memory, parent ? &parent->memory : NULL, st->page_counter_max);
	page_counter_init(&memcg->swap, parent ? &parent->swap : NULL, st->page_counter_max);
	if (parent)
		list_add_tail(&memcg->sibling, &parent->children);
	st->by_id[id] = memcg;
	vm->pm->memcg.lruvecs[id] = memcg->lruvecs;
	st->nr_memcgs++;
	*out = memcg;
	return 0;
}

static void mem_cgroup_free(struct memcg_state *st, struct mem_cgroup *memcg)
{
	struct vm_ctx *vm = st->vm;

	st->by_id[memcg->id] = NULL;
	vm->pm->memcg.lruvecs[memcg->id] = NULL;
	list_del(&memcg->sibling);
	st->nr_memcgs--;
	host_free(vm->ha, memcg->lruvecs, vm->pm->nr_nodes * sizeof(*memcg->lruvecs));
	host_free(vm->ha, memcg->name, strlen(memcg->name) + 1);
	host_free(vm->ha, memcg, sizeof(*memcg));
}

int mem_cgroup_create(struct vm_ctx *vm, struct mem_cgroup *parent, const char *name,
		      struct mem_cgroup **out)
{
	struct memcg_state *st = memcg_state(vm);

	/* a cgroupfs directory name: no '/', not "." or "..", not empty */
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strlen(name) > 255)
		return -EINVAL;
	if (!parent)
		parent = st->root;
	if (mem_cgroup_child(parent, name))
		return -EEXIST;
	return mem_cgroup_alloc(st, parent, name, out);
}

/* ---- statistics and events ---- */

unsigned long memcg_page_state(const struct vm_ctx *vm, const struct mem_cgroup *memcg,
			       int idx)
{
	struct mem_cgroup *root = (struct mem_cgroup *)memcg, *iter;
	long sum = 0;

	for_each_mem_cgroup_tree(iter, root) {
		if (idx < NR_VM_NODE_STAT_ITEMS)
			for (unsigned nid = 0; nid < vm->pm->nr_nodes; nid++)
				sum += iter->lruvecs[nid].vm_stat[idx];
		else
			sum += iter->state[idx - NR_VM_NODE_STAT_ITEMS];
	}
	return sum > 0 ? (unsigned long)sum : 0;
}

void mod_memcg_state(struct mem_cgroup *memcg, enum memcg_stat_item idx, long val)
{
	memcg->state[idx - NR_VM_NODE_STAT_ITEMS] += val;
}

void count_memcg_events(struct mem_cgroup *memcg, enum vm_event_item idx, unsigned long count)
{
	/* a page charged to no cgroup, or the node's own lruvec: none */
	if (memcg)
		memcg->events[idx] += count;
}

unsigned long memcg_events(const struct mem_cgroup *memcg, enum vm_event_item idx)
{
	struct mem_cgroup *root = (struct mem_cgroup *)memcg, *iter;
	unsigned long sum = 0;

	for_each_mem_cgroup_tree(iter, root)
		sum += iter->events[idx];
	return sum;
}

struct mem_cgroup *get_mem_cgroup_from_mm(struct vm_ctx *vm, struct mm_struct *mm)
{
	struct memcg_state *st = memcg_state(vm);
	struct mem_cgroup *memcg = NULL;

	if (!mm && st->ops.current_mm)
		mm = st->ops.current_mm(vm);
	if (mm && st->ops.mm_memcg)
		memcg = st->ops.mm_memcg(vm, mm);
	return memcg ? memcg : st->root;
}

void count_memcg_event_mm(struct vm_ctx *vm, struct mm_struct *mm, enum vm_event_item idx)
{
	if (vm->memcg)
		count_memcg_events(get_mem_cgroup_from_mm(vm, mm), idx, 1);
}

const char *const memcg_memory_event_names[MEMCG_NR_MEMORY_EVENTS] = {
	[MEMCG_LOW] = "low", [MEMCG_HIGH] = "high", [MEMCG_MAX] = "max", [MEMCG_OOM] = "oom",
	[MEMCG_OOM_KILL] = "oom_kill", [MEMCG_OOM_GROUP_KILL] = "oom_group_kill",
	[MEMCG_SWAP_HIGH] = "swap_high", [MEMCG_SWAP_MAX] = "swap_max",
	[MEMCG_SWAP_FAIL] = "swap_fail",
};

void memcg_memory_event(struct mem_cgroup *memcg, enum memcg_memory_event event)
{
	memcg->memory_events_local[event]++;
	do {
		memcg->memory_events[event]++;
	} while ((memcg = parent_mem_cgroup(memcg)) && !mem_cgroup_is_root(memcg));
}

void memcg_memory_event_mm(struct vm_ctx *vm, struct mm_struct *mm,
			   enum memcg_memory_event event)
{
	struct memcg_state *st = memcg_state(vm);
	struct mem_cgroup *memcg = st && st->ops.mm_memcg ? st->ops.mm_memcg(vm, mm) : NULL;

	if (memcg)
		memcg_memory_event(memcg, event);
}

/* ---- the per-CPU stock ---- */

static struct memcg_stock_pcp *this_stock(struct vm_ctx *vm)
{
	return &memcg_state(vm)->stock[vm->pm->this_cpu];
}

/* consume_stock(): take @nr_pages from this CPU's stock of @memcg. */
static bool consume_stock(struct vm_ctx *vm, struct mem_cgroup *memcg, unsigned nr_pages)
{
	struct memcg_stock_pcp *stock = this_stock(vm);

	if (nr_pages > MEMCG_CHARGE_BATCH)
		return false;
	if (stock->cached == memcg && stock->nr_pages >= nr_pages) {
		stock->nr_pages -= nr_pages;
		return true;
	}
	return false;
}

/* drain_stock(): the stock goes back to its cgroup's counters. */
static void drain_stock(struct memcg_stock_pcp *stock)
{
	struct mem_cgroup *old = stock->cached;

	if (!old)
		return;
	if (stock->nr_pages) {
		page_counter_uncharge(&old->memory, stock->nr_pages);
		stock->nr_pages = 0;
	}
	stock->cached = NULL;
}

/* refill_stock(): keep @nr_pages charged pages of @memcg on this CPU; a
 * stock of another cgroup is drained first, one above the batch size
 * entirely. */
static void refill_stock(struct vm_ctx *vm, struct mem_cgroup *memcg, unsigned nr_pages)
{
	struct memcg_stock_pcp *stock = this_stock(vm);

	if (stock->cached != memcg) {
		drain_stock(stock);
		stock->cached = memcg;
	}
	stock->nr_pages += nr_pages;
	if (stock->nr_pages > MEMCG_CHARGE_BATCH)
		drain_stock(stock);
}

void drain_all_stock(struct vm_ctx *vm, struct mem_cgroup *root)
{
	struct memcg_state *st = memcg_state(vm);

	for (unsigned cpu = 0; cpu < vm->pm->nr_cpus && cpu < CFG_MAX_CPUS; cpu++) {
		struct memcg_stock_pcp *stock = &st->stock[cpu];

		if (stock->cached && stock->nr_pages && mem_cgroup_is_descendant(stock->cached, root))
			drain_stock(stock);
	}
}

unsigned long memcg_stock_pages(const struct vm_ctx *vm, const struct mem_cgroup *memcg)
{
	const struct memcg_state *st = vm->memcg;
	unsigned long n = 0;

	for (unsigned cpu = 0; cpu < CFG_MAX_CPUS; cpu++)
		if (st->stock[cpu].cached == memcg)
			n += st->stock[cpu].nr_pages;
	return n;
}

/* ---- limits ---- */

unsigned long mem_cgroup_margin(const struct mem_cgroup *memcg)
{
	unsigned long count = page_counter_read(&memcg->memory), limit = memcg->memory.max;

	return count < limit ? limit - count : 0;
}

unsigned long mem_cgroup_get_max(const struct vm_ctx *vm, const struct mem_cgroup *memcg)
{
	/* cgroup v2 with swappiness > 0: swap counts up to what exists */
	unsigned long max = memcg->memory.max;
	unsigned long swap = vm->pm->total_swap_pages > 0 ?
			     (unsigned long)vm->pm->total_swap_pages : 0;

	max += memcg->swap.max < swap ? memcg->swap.max : swap;
	return max;
}

/* reclaim_high(): @memcg and each ancestor below the root that is above
 * memory.high reclaims from its subtree. */
static unsigned long reclaim_high(struct vm_ctx *vm, struct mem_cgroup *memcg,
				  unsigned long nr_pages, gfp_t gfp_mask)
{
	unsigned long nr_reclaimed = 0;

	do {
		if (page_counter_read(&memcg->memory) <= memcg->memory.high)
			continue;
		memcg_memory_event(memcg, MEMCG_HIGH);
		nr_reclaimed += try_to_free_mem_cgroup_pages(vm, memcg, nr_pages, gfp_mask,
							     MEMCG_RECLAIM_MAY_SWAP);
	} while ((memcg = parent_mem_cgroup(memcg)) && !mem_cgroup_is_root(memcg));
	return nr_reclaimed;
}

#define MEMCG_MAX_HIGH_DELAY_JIFFIES (2UL * HZ)
#define MEMCG_DELAY_PRECISION_SHIFT 20
#define MEMCG_DELAY_SCALING_SHIFT 14

static uint64_t calculate_overage(unsigned long usage, unsigned long high)
{
	uint64_t overage;

	if (usage <= high)
		return 0;
	if (!high)
		high = 1;	/* a threshold of one page, not a division by 0 */
	overage = (uint64_t)(usage - high) << MEMCG_DELAY_PRECISION_SHIFT;
	return overage / high;
}

static uint64_t mem_find_max_overage(struct mem_cgroup *memcg)
{
	uint64_t max_overage = 0;

	do {
		uint64_t overage = calculate_overage(page_counter_read(&memcg->memory),
						     memcg->memory.high);

		if (overage > max_overage)
			max_overage = overage;
	} while ((memcg = parent_mem_cgroup(memcg)) && !mem_cgroup_is_root(memcg));
	return max_overage;
}

static uint64_t swap_find_max_overage(struct mem_cgroup *memcg)
{
	uint64_t max_overage = 0;

	do {
		uint64_t overage = calculate_overage(page_counter_read(&memcg->swap),
						     memcg->swap.high);

		if (overage)
			memcg_memory_event(memcg, MEMCG_SWAP_HIGH);
		if (overage > max_overage)
			max_overage = overage;
	} while ((memcg = parent_mem_cgroup(memcg)) && !mem_cgroup_is_root(memcg));
	return max_overage;
}

/* calculate_high_delay(): the jiffies a task that charged @nr_pages would
 * sleep for an overage of @max_overage, growing with its square. */
static unsigned long calculate_high_delay(unsigned long nr_pages, uint64_t max_overage)
{
	uint64_t penalty_jiffies;

	if (!max_overage)
		return 0;
	penalty_jiffies = max_overage * max_overage * HZ;
	penalty_jiffies >>= MEMCG_DELAY_PRECISION_SHIFT;
	penalty_jiffies >>= MEMCG_DELAY_SCALING_SHIFT;
	return (unsigned long)(penalty_jiffies * nr_pages / MEMCG_CHARGE_BATCH);
}

void mem_cgroup_handle_over_high(struct vm_ctx *vm, gfp_t gfp_mask)
{
	struct memcg_state *st = memcg_state(vm);
	unsigned long *over = &st->nr_pages_over_high[vm->pm->this_cpu];
	unsigned long nr_pages = *over, penalty_jiffies, nr_reclaimed;
	int nr_retries = MAX_RECLAIM_RETRIES;
	struct mem_cgroup *memcg;
	bool in_retry = false;

	if (!nr_pages)
		return;
	memcg = get_mem_cgroup_from_mm(vm, NULL);
	*over = 0;
retry_reclaim:
	/* a dying task need not pay: its memory comes back anyway */
	if (st->ops.current_is_dying && st->ops.current_is_dying(vm))
		return;
	/* at least the batch first, then only what keeps the cgroup out of
	 * trouble */
	nr_reclaimed = reclaim_high(vm, memcg, in_retry ? SWAP_CLUSTER_MAX : nr_pages, gfp_mask);
	penalty_jiffies = calculate_high_delay(nr_pages, mem_find_max_overage(memcg));
	penalty_jiffies += calculate_high_delay(nr_pages, swap_find_max_overage(memcg));
	if (penalty_jiffies > MEMCG_MAX_HIGH_DELAY_JIFFIES)
		penalty_jiffies = MEMCG_MAX_HIGH_DELAY_JIFFIES;
	if (penalty_jiffies <= HZ / 100)
		return;
	if (nr_reclaimed || nr_retries--) {
		in_retry = true;
		goto retry_reclaim;
	}
	/* Linux sleeps here (schedule_timeout_killable); the simulator has
	 * no clock, so the throttling is only reported */
	EV(vm->pm->events, "memcg_throttle", "memcg=%u penalty_jiffies=%lu", memcg->id,
	   penalty_jiffies);
}

/* ---- charging ---- */

/* mem_cgroup_oom(): a cgroup OOM for an allocation of @order; true when
 * the OOM killer made progress. */
static bool mem_cgroup_oom(struct vm_ctx *vm, struct mem_cgroup *memcg, gfp_t mask,
			   int order)
{
	struct memcg_state *st = memcg_state(vm);

	if (order > PAGE_ALLOC_COSTLY_ORDER)
		return false;
	memcg_memory_event(memcg, MEMCG_OOM);
	/* mem_cgroup_out_of_memory(): room may have appeared meanwhile */
	if (mem_cgroup_margin(memcg) >= (1UL << order))
		return true;
	if (st->ops.current_is_dying && st->ops.current_is_dying(vm))
		return true;
	return st->ops.out_of_memory && st->ops.out_of_memory(vm, memcg, mask, order);
}

static unsigned get_order_pages(unsigned nr_pages)
{
	unsigned order = 0;

	while ((1U << order) < nr_pages)
		order++;
	return order;
}

int try_charge_memcg(struct vm_ctx *vm, struct mem_cgroup *memcg, gfp_t gfp_mask,
		     unsigned int nr_pages)
{
	struct memcg_state *st = memcg_state(vm);
	unsigned int batch = nr_pages > MEMCG_CHARGE_BATCH ? nr_pages : MEMCG_CHARGE_BATCH;
	int nr_retries = MAX_RECLAIM_RETRIES;
	struct mem_cgroup *mem_over_limit;
	struct page_counter *counter;
	unsigned long nr_reclaimed;
	bool passed_oom = false, drained = false, raised_max_event = false;
	unsigned long *over;

retry:
	if (consume_stock(vm, memcg, nr_pages))
		return 0;
	if (page_counter_try_charge(&memcg->memory, batch, &counter))
		goto done_restock;
	mem_over_limit = mem_cgroup_from_counter(counter, memory);
	if (batch > nr_pages) {
		batch = nr_pages;
		goto retry;
	}
	/* reclaim's own allocations may go over the limit for a while */
	if (vm->pm->memalloc)
		goto force;
	if (!(gfp_mask & __GFP_DIRECT_RECLAIM))
		goto nomem;
	memcg_memory_event(mem_over_limit, MEMCG_MAX);
	raised_max_event = true;
	nr_reclaimed = try_to_free_mem_cgroup_pages(vm, mem_over_limit, nr_pages, gfp_mask,
						    MEMCG_RECLAIM_MAY_SWAP);
	if (mem_cgroup_margin(mem_over_limit) >= nr_pages)
		goto retry;
	if (!drained) {
		drain_all_stock(vm, mem_over_limit);
		drained = true;
		goto retry;
	}
	if (gfp_mask & __GFP_NORETRY)
		goto nomem;
	/* reclaim freed something: retry before killing (small charges) */
	if (nr_reclaimed && nr_pages <= (1U << PAGE_ALLOC_COSTLY_ORDER))
		goto retry;
	if (nr_retries--)
		goto retry;
	if (gfp_mask & __GFP_RETRY_MAYFAIL)
		goto nomem;
	/* a task the OOM killer passed over is dying: no endless loop */
	if (passed_oom && st->ops.current_is_dying && st->ops.current_is_dying(vm))
		goto nomem;
	/* keep retrying while the cgroup's OOM killer makes progress */
	if (mem_cgroup_oom(vm, mem_over_limit, gfp_mask, (int)get_order_pages(nr_pages))) {
		passed_oom = true;
		nr_retries = MAX_RECLAIM_RETRIES;
		goto retry;
	}
nomem:
	/* no reserve for atomic allocations in a cgroup: they go through */
	if (!(gfp_mask & (__GFP_NOFAIL | __GFP_HIGH)))
		return -ENOMEM;
force:
	if (!raised_max_event)
		memcg_memory_event(mem_over_limit, MEMCG_MAX);
	page_counter_charge(&memcg->memory, nr_pages);
	return 0;

done_restock:
	if (batch > nr_pages)
		refill_stock(vm, memcg, batch - nr_pages);
	/* above memory.high: the task pays when it returns to user mode */
	over = &st->nr_pages_over_high[vm->pm->this_cpu];
	for (struct mem_cgroup *c = memcg; c; c = parent_mem_cgroup(c)) {
		if (page_counter_read(&c->memory) > c->memory.high ||
		    page_counter_read(&c->swap) > c->swap.high) {
			*over += batch;
			break;
		}
	}
	/* and at once, when it has run up more than a batch */
	if (*over > MEMCG_CHARGE_BATCH && !vm->pm->memalloc && (gfp_mask & __GFP_DIRECT_RECLAIM))
		mem_cgroup_handle_over_high(vm, gfp_mask);
	return 0;
}

/* try_charge(): the root cgroup is never limited nor counted. */
static int try_charge(struct vm_ctx *vm, struct mem_cgroup *memcg, gfp_t gfp,
		      unsigned nr_pages)
{
	if (mem_cgroup_is_root(memcg))
		return 0;
	return try_charge_memcg(vm, memcg, gfp, nr_pages);
}

/* charge_memcg(): charge @page to @memcg, then commit_charge(): the page
 * now belongs to @memcg.  0 or -ENOMEM. */
static int charge_memcg(struct vm_ctx *vm, struct page *page, struct mem_cgroup *memcg,
			gfp_t gfp)
{
	int ret = try_charge(vm, memcg, gfp, folio_nr_pages(page));

	if (ret)
		return ret;
	set_page_memcg_id(page, memcg->id);
	return 0;
}

int mem_cgroup_charge(struct vm_ctx *vm, struct page *page, struct mm_struct *mm,
		      gfp_t gfp)
{
	if (!vm->memcg)
		return 0;
	return charge_memcg(vm, page, get_mem_cgroup_from_mm(vm, mm), gfp);
}

void memcg_uncharge(struct mem_cgroup *memcg, unsigned int nr_pages)
{
	page_counter_uncharge(&memcg->memory, nr_pages);
}

/*
 * __memcg_kmem_charge_page(): the page allocator's __GFP_ACCOUNT page is
 * charged to current's cgroup (obj_cgroup_charge_pages()); the kernel
 * itself and the root cgroup charge nothing.  0 or -ENOMEM.
 */
static int memcg_kmem_charge_page(struct phys_mem *pm, struct page *page, gfp_t gfp,
				  unsigned order)
{
	struct vm_ctx *vm = pm->hooks_ctx;
	struct memcg_state *st = memcg_state(vm);
	struct mem_cgroup *memcg = st->ops.current_memcg ? st->ops.current_memcg(vm) : NULL;
	unsigned nr = 1U << order;
	int ret;

	/* memcg_kmem_online() is false with cgroup.memory=nokmem */
	if (!memcg || mem_cgroup_is_root(memcg) || st->nokmem)
		return 0;
	ret = try_charge_memcg(vm, memcg, gfp, nr);
	if (ret)
		return ret;
	mod_memcg_state(memcg, MEMCG_KMEM, nr);
	set_page_memcg_id(page, memcg->id);
	page->flags |= 1ULL << PAGE_MEMCG_KMEM_BIT;
	return 0;
}

/*
 * mem_cgroup_uncharge() (uncharge_folio() + uncharge_batch()), called by
 * the page allocator for a page with a memcg id that is being freed, or
 * __memcg_kmem_uncharge_page() for a kernel page.  Every statistic the
 * page took is given back by now (mm_inline.h).
 */
static void memcg_uncharge_page(struct phys_mem *pm, struct page *page, unsigned order)
{
	struct vm_ctx *vm = pm->hooks_ctx;
	struct mem_cgroup *memcg = folio_memcg(vm, page);
	unsigned nr = PageHead(page) ? folio_nr_pages(page) : 1U << order;
	bool kmem = PageMemcgKmem(page);

	set_page_memcg_id(page, 0);
	page->flags &= ~(1ULL << PAGE_MEMCG_KMEM_BIT);
	if (!memcg) {
		bad_page(pm, page, "charged to a memory cgroup that does not exist");
		return;
	}
	if (kmem) {
		/* obj_cgroup_uncharge_pages(): into this CPU's stock */
		mod_memcg_state(memcg, MEMCG_KMEM, -(long)nr);
		refill_stock(vm, memcg, nr);
		return;
	}
	/* LRU pages aren't accounted at the root level */
	if (!mem_cgroup_is_root(memcg))
		memcg_uncharge(memcg, nr);
}

struct mem_cgroup *mem_cgroup_get_oom_group(struct vm_ctx *vm, struct task_struct *victim,
					    struct mem_cgroup *oom_domain)
{
	struct memcg_state *st = memcg_state(vm);
	struct mem_cgroup *oom_group = NULL, *memcg;

	if (!oom_domain)
		oom_domain = st->root;
	memcg = st->ops.task_memcg ? st->ops.task_memcg(victim) : NULL;
	if (!memcg || mem_cgroup_is_root(memcg) || !mem_cgroup_is_descendant(memcg, oom_domain))
		return NULL;
	/* the highest cgroup with oom.group set, from the victim's up to
	 * the one that ran out */
	for (; memcg; memcg = parent_mem_cgroup(memcg)) {
		if (memcg->oom_group)
			oom_group = memcg;
		if (memcg == oom_domain)
			break;
	}
	return oom_group;
}

/* ---- the control files ---- */

void memory_max_write(struct vm_ctx *vm, struct mem_cgroup *memcg, unsigned long max)
{
	unsigned nr_reclaims = MAX_RECLAIM_RETRIES;
	bool drained = false;

	memcg->memory.max = max;
	for (;;) {
		unsigned long nr_pages = page_counter_read(&memcg->memory);

		if (nr_pages <= max)
			break;
		if (!drained) {
			drain_all_stock(vm, memcg);
			drained = true;
			continue;
		}
		if (nr_reclaims) {
			if (!try_to_free_mem_cgroup_pages(vm, memcg, nr_pages - max, GFP_KERNEL,
							  MEMCG_RECLAIM_MAY_SWAP))
				nr_reclaims--;
			continue;
		}
		memcg_memory_event(memcg, MEMCG_OOM);
		if (!memcg_state(vm)->ops.out_of_memory ||
		    !memcg_state(vm)->ops.out_of_memory(vm, memcg, GFP_KERNEL, 0))
			break;
	}
}

void memory_high_write(struct vm_ctx *vm, struct mem_cgroup *memcg, unsigned long high)
{
	unsigned nr_retries = MAX_RECLAIM_RETRIES;
	bool drained = false;

	memcg->memory.high = high;
	for (;;) {
		unsigned long nr_pages = page_counter_read(&memcg->memory), reclaimed;

		if (nr_pages <= high)
			break;
		if (!drained) {
			drain_all_stock(vm, memcg);
			drained = true;
			continue;
		}
		reclaimed = try_to_free_mem_cgroup_pages(vm, memcg, nr_pages - high, GFP_KERNEL,
							 MEMCG_RECLAIM_MAY_SWAP);
		if (!reclaimed && !nr_retries--)
			break;
	}
}

void swap_max_write(struct mem_cgroup *memcg, unsigned long max)
{
	memcg->swap.max = max;
}

/* ---- swap ---- */

int mem_cgroup_try_charge_swap(struct vm_ctx *vm, struct page *page, unsigned type,
			       unsigned long offset)
{
	unsigned nr_pages = folio_nr_pages(page);
	struct page_counter *counter;
	struct mem_cgroup *memcg;

	if (!vm->memcg)
		return 0;
	memcg = folio_memcg(vm, page);
	if (!memcg)
		return 0;
	if (!type && !offset) {
		/* no slot: swap is full (folio_alloc_swap() charges "entry 0") */
		memcg_memory_event(memcg, MEMCG_SWAP_FAIL);
		return 0;
	}
	if (!mem_cgroup_is_root(memcg) &&
	    !page_counter_try_charge(&memcg->swap, nr_pages, &counter)) {
		memcg_memory_event(memcg, MEMCG_SWAP_MAX);
		memcg_memory_event(memcg, MEMCG_SWAP_FAIL);
		return -ENOMEM;
	}
	swap_cgroup_record(vm, type, offset, memcg->id, nr_pages);
	mod_memcg_state(memcg, MEMCG_SWAP, (long)nr_pages);
	return 0;
}

void mem_cgroup_uncharge_swap(struct vm_ctx *vm, unsigned type, unsigned long offset,
			      unsigned nr_pages)
{
	struct mem_cgroup *memcg;
	unsigned short id;

	if (!vm->memcg)
		return;
	id = swap_cgroup_record(vm, type, offset, 0, nr_pages);
	memcg = id ? mem_cgroup_from_id(vm, id) : NULL;
	if (!memcg)
		return;
	if (!mem_cgroup_is_root(memcg))
		page_counter_uncharge(&memcg->swap, nr_pages);
	mod_memcg_state(memcg, MEMCG_SWAP, -(long)nr_pages);
}

int mem_cgroup_swapin_charge_folio(struct vm_ctx *vm, struct page *page,
				   struct mm_struct *mm, gfp_t gfp, unsigned type,
				   unsigned long offset)
{
	struct mem_cgroup *memcg;

	if (!vm->memcg)
		return 0;
	memcg = mem_cgroup_from_id(vm, lookup_swap_cgroup_id(vm, type, offset));
	if (!memcg)
		memcg = get_mem_cgroup_from_mm(vm, mm);
	/* cgroup v2: the slot keeps its swap charge until it is freed */
	return charge_memcg(vm, page, memcg, gfp);
}

long mem_cgroup_get_nr_swap_pages(struct vm_ctx *vm, struct mem_cgroup *memcg)
{
	long nr_swap_pages = vm->pm->nr_swap_pages;

	for (; memcg && !mem_cgroup_is_root(memcg); memcg = parent_mem_cgroup(memcg)) {
		long left = (long)memcg->swap.max - (long)page_counter_read(&memcg->swap);

		if (left < nr_swap_pages)
			nr_swap_pages = left;
	}
	return nr_swap_pages;
}

bool mem_cgroup_swap_full(struct vm_ctx *vm, struct page *page)
{
	struct mem_cgroup *memcg;

	/* vm_swap_full(): less than half the slots free */
	if (vm->pm->nr_swap_pages * 2 < vm->pm->total_swap_pages)
		return true;
	if (!vm->memcg)
		return false;
	for (memcg = folio_memcg(vm, page); memcg && !mem_cgroup_is_root(memcg);
	     memcg = parent_mem_cgroup(memcg)) {
		unsigned long usage = page_counter_read(&memcg->swap);

		if (usage * 2 >= memcg->swap.high || usage * 2 >= memcg->swap.max)
			return true;
	}
	return false;
}

/* ---- life cycle ---- */

/* @memcg and everything below it, children first. */
static void free_subtree(struct memcg_state *st, struct mem_cgroup *memcg)
{
	while (!list_empty(&memcg->children))
		free_subtree(st, list_first_entry(&memcg->children, struct mem_cgroup, sibling));
	mem_cgroup_free(st, memcg);
}

int mem_cgroup_init(struct vm_ctx *vm, const struct memcg_task_ops *ops)
{
	struct memcg_state *st = host_zalloc(vm->ha, sizeof(*st));
	int ret;

	if (!st)
		return -ENOMEM;
	st->vm = vm;
	st->ops = *ops;
	/* PAGE_COUNTER_MAX: LONG_MAX / PAGE_SIZE of the simulated kernel */
	st->page_counter_max = (config_is_64(vm->cfg) ? (unsigned long)LLONG_MAX
						      : (unsigned long)INT32_MAX) / PAGE_SIZE;
	vm->memcg = st;
	ret = mem_cgroup_alloc(st, NULL, "", &st->root);
	if (ret) {
		mem_cgroup_finish(vm);
		return ret;
	}
	/* uncharged pages live in the root cgroup's lruvecs */
	vm->pm->memcg.lruvecs[0] = st->root->lruvecs;
	vm->pm->memcg.uncharge = memcg_uncharge_page;
	vm->pm->memcg.kmem_charge = memcg_kmem_charge_page;
	return 0;
}

void mem_cgroup_finish(struct vm_ctx *vm)
{
	struct memcg_state *st = vm->memcg;

	if (!st)
		return;
	for (unsigned cpu = 0; cpu < CFG_MAX_CPUS; cpu++)
		drain_stock(&st->stock[cpu]);
	swap_cgroup_finish(vm);
	if (st->root)
		free_subtree(st, st->root);
	host_free(vm->ha, st->by_id, st->nr_ids * sizeof(*st->by_id));
	host_free(vm->ha, vm->pm->memcg.lruvecs, st->nr_ids * sizeof(*vm->pm->memcg.lruvecs));
	vm->pm->memcg.lruvecs = NULL;
	vm->pm->memcg.uncharge = NULL;
	vm->pm->memcg.kmem_charge = NULL;
	host_free(vm->ha, st, sizeof(*st));
	vm->memcg = NULL;
}

/* ---- checker ---- */

/* Each cgroup's swap counter against the slots recorded for it and its
 * descendants; its MEMCG_SWAP statistic against its own. */
static int check_swap_charges(struct vm_ctx *vm, struct vmsim_error *err)
{
	struct memcg_state *st = vm->memcg;
	size_t size = st->nr_ids * sizeof(unsigned long);
	unsigned long *own = host_zalloc(vm->ha, size);
	struct mem_cgroup *iter;
	int ret = 0;

	if (!own)
		return verr(err, -ENOMEM, "out of host memory");
	swap_cgroup_count(vm, own, st->nr_ids);
	for (unsigned id = 1; id < st->nr_ids && !ret; id++)
		if (own[id] && !st->by_id[id])
			ret = verr(err, -EFAULT, "memcg: %lu swap slots charged to dead cgroup %u",
				   own[id], id);
	for_each_mem_cgroup_tree(iter, st->root) {
		unsigned long children = 0;
		struct mem_cgroup *c;

		if (ret)
			break;
		list_for_each_entry(c, &iter->children, sibling)
			children += c->swap.usage;
		if ((long)own[iter->id] != iter->state[MEMCG_SWAP - NR_VM_NODE_STAT_ITEMS])
			ret = verr(err, -EFAULT, "memcg %u: %lu swap slots recorded, swap statistic %ld",
				   iter->id, own[iter->id],
				   iter->state[MEMCG_SWAP - NR_VM_NODE_STAT_ITEMS]);
		else if (!mem_cgroup_is_root(iter) && iter->swap.usage != own[iter->id] + children)
			ret = verr(err, -EFAULT, "memcg %u: swap usage %lu, %lu slots of its own and "
				   "%lu of its children", iter->id, iter->swap.usage, own[iter->id],
				   children);
	}
	host_free(vm->ha, own, size);
	return ret;
}

int mem_cgroup_check(struct vm_ctx *vm, struct vmsim_error *err)
{
	struct memcg_state *st = vm->memcg;
	unsigned long seen = 0;
	struct mem_cgroup *iter;
	int ret;

	if (!st)
		return 0;
	if (!st->root || st->root->id != 1 || st->by_id[1] != st->root ||
	    vm->pm->memcg.lruvecs[0] != st->root->lruvecs)
		return verr(err, -EFAULT, "memcg: the root cgroup is not id 1");
	for_each_mem_cgroup_tree(iter, st->root) {
		unsigned long children = 0;
		struct mem_cgroup *c;

		seen++;
		if (iter->id >= st->nr_ids || st->by_id[iter->id] != iter ||
		    vm->pm->memcg.lruvecs[iter->id] != iter->lruvecs)
			return verr(err, -EFAULT, "memcg %u: not at its id", iter->id);
		list_for_each_entry(c, &iter->children, sibling) {
			if (c->parent != iter || c->memory.parent != &iter->memory)
				return verr(err, -EFAULT, "memcg %u: a child whose parent is not it",
					    iter->id);
			children += c->memory.usage;
		}
		if (iter->memory.usage < children)
			return verr(err, -EFAULT, "memcg %u: usage %lu below its children's %lu",
				    iter->id, iter->memory.usage, children);
		if (iter->memory.watermark < iter->memory.usage)
			return verr(err, -EFAULT, "memcg %u: peak %lu below usage %lu", iter->id,
				    iter->memory.watermark, iter->memory.usage);
		for (unsigned nid = 0; nid < vm->pm->nr_nodes; nid++)
			for (unsigned i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
				if (iter->lruvecs[nid].vm_stat[i] < 0)
					return verr(err, -EFAULT, "memcg %u: node %u statistic %u is negative",
						    iter->id, nid, i);
	}
	if (seen != st->nr_memcgs)
		return verr(err, -EFAULT, "memcg: %lu cgroups in the tree, %lu allocated", seen,
			    st->nr_memcgs);
	ret = check_swap_charges(vm, err);
	if (ret)
		return ret;
	for (unsigned cpu = 0; cpu < CFG_MAX_CPUS; cpu++) {
		const struct memcg_stock_pcp *stock = &st->stock[cpu];

		if (stock->cached && (mem_cgroup_is_root(stock->cached) ||
				      st->by_id[stock->cached->id] != stock->cached))
			return verr(err, -EFAULT, "memcg: cpu %u stocks a dead or root cgroup", cpu);
		if (stock->nr_pages > MEMCG_CHARGE_BATCH)
			return verr(err, -EFAULT, "memcg: cpu %u stocks %u pages", cpu,
				    stock->nr_pages);
	}
	return 0;
}
