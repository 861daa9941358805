/*
 * Memory cgroups (mm/memcontrol.c, mm/page_counter.c; cgroup v2): a tree
 * of cgroups, each with page counters for memory and swap (memory.max,
 * memory.high, memory.swap.max), per-node lruvecs, statistics and memory
 * events; pages are charged when they are faulted in or added to the
 * page cache and uncharged when they are freed.  A cgroup at its limit
 * reclaims from its own lruvecs and, when that frees nothing, invokes the
 * OOM killer on itself.
 *
 * The tasks are the kern layer's: which cgroup a task is in, which task
 * owns an mm, who is running, and the OOM killer itself come in through
 * struct memcg_task_ops, handed down at boot; reclaim is mm/vmscan.c's
 * try_to_free_mem_cgroup_pages() (vma/vmscan.c).
 *
 * A page's cgroup is its memcg id (page.h), 1..MEM_CGROUP_ID_MAX; the
 * root cgroup is id 1 and always exists.
 */
#ifndef VMSIM_VMA_MEMCONTROL_H
#define VMSIM_VMA_MEMCONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "phys/gfp.h"
#include "phys/mmzone.h"
#include "util/list.h"
#include "vma/swap_cgroup.h"

struct vm_ctx;
struct mm_struct;
struct task_struct;
struct page;

#define MEM_CGROUP_ID_MAX	65535u	/* USHRT_MAX: ids fit 16 bits */
#define MEMCG_CHARGE_BATCH	64u	/* pages charged at once into the per-CPU stock */
#ifndef MAX_RECLAIM_RETRIES
#define MAX_RECLAIM_RETRIES	16
#endif

/* try_to_free_mem_cgroup_pages() reclaim_options */
#define MEMCG_RECLAIM_MAY_SWAP		(1 << 1)
#define MEMCG_RECLAIM_PROACTIVE		(1 << 2)

/*
 * A hierarchical counter (mm/page_counter.c): usage is charged to the
 * counter and every ancestor; a charge fails at the first one it would
 * take past its max.  watermark is the highest usage seen (memory.peak),
 * failcnt the charges refused.
 */
struct page_counter {
	unsigned long usage;
	unsigned long max;
	unsigned long high;
	unsigned long watermark;
	unsigned long failcnt;
	struct page_counter *parent;
};

/* memory.events, memory.swap.events */
enum memcg_memory_event {
	MEMCG_LOW,
	MEMCG_HIGH,
	MEMCG_MAX,
	MEMCG_OOM,
	MEMCG_OOM_KILL,
	MEMCG_OOM_GROUP_KILL,
	MEMCG_SWAP_HIGH,
	MEMCG_SWAP_MAX,
	MEMCG_SWAP_FAIL,
	MEMCG_NR_MEMORY_EVENTS,
};

/* Per-cgroup counters beyond the node items (enum memcg_stat_item). */
enum memcg_stat_item {
	MEMCG_SWAP = NR_VM_NODE_STAT_ITEMS,
	MEMCG_SOCK,
	MEMCG_PERCPU_B,
	MEMCG_VMALLOC,
	MEMCG_KMEM,
	MEMCG_ZSWAP_B,
	MEMCG_ZSWAPPED,
	MEMCG_NR_STAT,
};

#define MEMCG_NR_LOCAL_STAT (MEMCG_NR_STAT - NR_VM_NODE_STAT_ITEMS)

struct mem_cgroup {
	unsigned short id;		/* mem_cgroup_id(): 1 for the root */
	char *name;			/* its directory name; "" for the root */
	struct mem_cgroup *parent;	/* NULL for the root */
	struct list_head children;	/* in creation order */
	struct list_head sibling;	/* on parent->children */
	struct page_counter memory, swap;
	bool oom_group;			/* memory.oom.group */
	/* memory.events (counted here and in every ancestor below the
	 * root) and memory.events.local (here only) */
	unsigned long memory_events[MEMCG_NR_MEMORY_EVENTS];
	unsigned long memory_events_local[MEMCG_NR_MEMORY_EVENTS];
	long state[MEMCG_NR_LOCAL_STAT];	/* this cgroup's own, not its subtree's */
	unsigned long events[NR_VM_EVENT_ITEMS];	/* count_memcg_events(), own */
	struct lruvec *lruvecs;		/* [nid]: mem_cgroup_lruvec() */
	struct list_head tasks;		/* the kern layer's tasks in it, in the
					 * order they joined (css_set->tasks) */
	/* mem_cgroup_reclaim_iter per node: the cgroup of this subtree a
	 * partial reclaim walk last stopped at (NULL: start at the top) */
	struct mem_cgroup *reclaim_pos[CFG_MAX_NODES];
	unsigned long nr_tasks;
};

/*
 * What the memory controller asks the task layer (kern), set at boot.
 * "current" is the task whose system call or fault is running, else the
 * task running on the allocating CPU, else none (the kernel itself).
 */
struct memcg_task_ops {
	/* mem_cgroup_from_task(@mm->owner): the cgroup @mm's memory is
	 * charged to; NULL when the mm has no owner */
	struct mem_cgroup *(*mm_memcg)(struct vm_ctx *vm, struct mm_struct *mm);
	/* current->mm, or NULL */
	struct mm_struct *(*current_mm)(struct vm_ctx *vm);
	/* mem_cgroup_from_task(@p): the cgroup task @p is in */
	struct mem_cgroup *(*task_memcg)(const struct task_struct *p);
	/* mem_cgroup_from_task(current): kernel memory's cgroup; NULL for
	 * the kernel itself */
	struct mem_cgroup *(*current_memcg)(struct vm_ctx *vm);
	/* task_is_dying(): current is an OOM victim, has a fatal signal
	 * pending, or is exiting */
	bool (*current_is_dying)(struct vm_ctx *vm);
	/* out_of_memory() for a cgroup (kern/oom_kill.c): true when a victim
	 * was killed or current is dying and will free its memory */
	bool (*out_of_memory)(struct vm_ctx *vm, struct mem_cgroup *memcg, gfp_t gfp,
			      int order);
};

/* struct memcg_stock_pcp: charges a CPU holds for one cgroup */
struct memcg_stock_pcp {
	struct mem_cgroup *cached;
	unsigned int nr_pages;
};

struct memcg_state {
	struct vm_ctx *vm;
	struct mem_cgroup *root;	/* root_mem_cgroup */
	struct mem_cgroup **by_id;	/* [id] (mem_cgroup_from_id()); nr_ids slots */
	unsigned nr_ids;
	unsigned long nr_memcgs;
	unsigned long page_counter_max;	/* PAGE_COUNTER_MAX of the arch */
	struct memcg_stock_pcp stock[CFG_MAX_CPUS];
	/* current->memcg_nr_pages_over_high per CPU: charges above
	 * memory.high that the task on that CPU pays for by reclaiming when
	 * it returns to user mode (mem_cgroup_handle_over_high()) */
	unsigned long nr_pages_over_high[CFG_MAX_CPUS];
	struct memcg_task_ops ops;
	/* swap_cgroup.c: the cgroup of every swap slot, per swap type */
	struct swap_cgroup_ctrl swap_cgroup[SWAP_CGROUP_TYPES];
	/* cgroup.memory=nokmem: kernel memory (__GFP_ACCOUNT: page tables,
	 * stacks) is charged to no cgroup from now on */
	bool nokmem;
};

/* ---- life cycle ---- */

/* The root cgroup and the hooks into phys (memcg_hooks); -ENOMEM. */
int mem_cgroup_init(struct vm_ctx *vm, const struct memcg_task_ops *ops);
/* Everything freed; every page must be uncharged already. */
void mem_cgroup_finish(struct vm_ctx *vm);

/* A new empty cgroup @name under @parent (mem_cgroup_css_alloc()), with
 * no limits.  -EEXIST, -EINVAL (bad name), -ENOSPC (no id), -ENOMEM. */
int mem_cgroup_create(struct vm_ctx *vm, struct mem_cgroup *parent, const char *name,
		      struct mem_cgroup **out);
/* The child of @parent called @name, or NULL. */
struct mem_cgroup *mem_cgroup_child(struct mem_cgroup *parent, const char *name);
/* The longest name of a cgroup (NAME_MAX of its kernfs directory). */
#define CGROUP_NAME_MAX 255
/* The next name of the path *@path ("/a//b/"): 1 with it in @name and
 * *@path past it, 0 at the end, -EINVAL for a name that is too long. */
int cgroup_path_next(const char **path, char name[CGROUP_NAME_MAX + 1]);
/* The cgroup at @path ("/", "/a/b", or "a/b" from the root), or NULL. */
struct mem_cgroup *mem_cgroup_lookup(struct vm_ctx *vm, const char *path);
/* Its path as cgroupfs shows it ("/" for the root, "/a/b"); @len bytes. */
void mem_cgroup_path(const struct mem_cgroup *memcg, char *buf, size_t len);

static inline bool mem_cgroup_is_root(const struct mem_cgroup *memcg)
{
	return memcg->parent == NULL;
}

static inline struct mem_cgroup *parent_mem_cgroup(const struct mem_cgroup *memcg)
{
	return memcg->parent;
}

/* Is @memcg @root or below it? */
bool mem_cgroup_is_descendant(const struct mem_cgroup *memcg, const struct mem_cgroup *root);
/* Pre-order walk of @root's subtree, @root first (mem_cgroup_iter());
 * NULL after the last. */
struct mem_cgroup *mem_cgroup_iter(struct mem_cgroup *root, struct mem_cgroup *prev);
#define for_each_mem_cgroup_tree(iter, root) \
	for ((iter) = mem_cgroup_iter(root, NULL); (iter); (iter) = mem_cgroup_iter(root, iter))

/* mem_cgroup_iter() with a reclaim cookie for node @nid: reclaimers of
 * @root's subtree share one walk, each resuming after the cgroup the last
 * one stopped at (mem_cgroup_iter_break() records it) and ending at the
 * end of the subtree, where the next walk starts over; NULL @prev starts. */
struct mem_cgroup *mem_cgroup_iter_reclaim(struct mem_cgroup *root, struct mem_cgroup *prev,
					   unsigned nid);
void mem_cgroup_iter_break(struct mem_cgroup *root, struct mem_cgroup *prev, unsigned nid);

struct mem_cgroup *mem_cgroup_from_id(struct vm_ctx *vm, unsigned id);
/* The cgroup a page is charged to, NULL if none (folio_memcg()). */
struct mem_cgroup *folio_memcg(struct vm_ctx *vm, const struct page *page);
/* @memcg's lruvec on node @nid (mem_cgroup_lruvec()); NULL: the root;
 * the node's own lruvec on a machine without the memory controller. */
struct lruvec *mem_cgroup_lruvec(struct vm_ctx *vm, struct mem_cgroup *memcg,
				 unsigned nid);
/* lruvec_page_state() as the kernel reads it for reclaim: a cgroup's
 * lruvec counts its whole subtree on that node (the root's, the node). */
unsigned long mem_cgroup_lruvec_state(const struct vm_ctx *vm, const struct lruvec *lruvec,
				      enum node_stat_item idx);

/* get_mem_cgroup_from_mm(): the cgroup of @mm's owner; for a NULL @mm,
 * current's mm's; the root when there is none. */
struct mem_cgroup *get_mem_cgroup_from_mm(struct vm_ctx *vm, struct mm_struct *mm);

/* ---- charging ---- */

/*
 * mem_cgroup_charge(): charge the new page @page (order 0 or a compound
 * head) to @mm's cgroup (current's for a NULL @mm, as page-cache
 * insertions are charged), reclaiming or invoking the cgroup's OOM killer
 * if it is at its limit.  0, or -ENOMEM: the caller frees the page.
 */
int mem_cgroup_charge(struct vm_ctx *vm, struct page *page, struct mm_struct *mm,
		      gfp_t gfp);
/* try_charge_memcg(): @nr_pages against @memcg and its ancestors (through
 * the per-CPU stock).  0 or -ENOMEM. */
int try_charge_memcg(struct vm_ctx *vm, struct mem_cgroup *memcg, gfp_t gfp_mask,
		     unsigned int nr_pages);
/* Give back @nr_pages charged to @memcg (memcg_uncharge()). */
void memcg_uncharge(struct mem_cgroup *memcg, unsigned int nr_pages);
/* drain_all_stock(): every CPU's stock of @root's subtree goes back. */
void drain_all_stock(struct vm_ctx *vm, struct mem_cgroup *root);
/* The pages @memcg's stock holds on every CPU (memory.current counts them). */
unsigned long memcg_stock_pages(const struct vm_ctx *vm, const struct mem_cgroup *memcg);

/* mem_cgroup_handle_over_high(): current returns to user mode; if its
 * charges took some cgroup above memory.high, reclaim from it. */
void mem_cgroup_handle_over_high(struct vm_ctx *vm, gfp_t gfp_mask);

/* mem_cgroup_margin(): pages @memcg may still be charged with. */
unsigned long mem_cgroup_margin(const struct mem_cgroup *memcg);
/* mem_cgroup_get_max(): memory.max plus what swap may take, for the OOM
 * killer's totalpages. */
unsigned long mem_cgroup_get_max(const struct vm_ctx *vm, const struct mem_cgroup *memcg);
/* mem_cgroup_get_oom_group(): the highest cgroup from @victim's up to
 * @oom_domain (NULL: the root) with memory.oom.group set, or NULL. */
struct mem_cgroup *mem_cgroup_get_oom_group(struct vm_ctx *vm, struct task_struct *victim,
					    struct mem_cgroup *oom_domain);

/* ---- swap (cgroup v2: memory.swap.*) ---- */

/*
 * __mem_cgroup_try_charge_swap(): the page @page (its cgroup's) is going
 * to swap slot (@type, @offset): charge the slot to the page's cgroup's
 * swap counter and record it.  Slot (0, 0), the swap header, means no
 * slot could be had: a swap_fail event.  0, or -ENOMEM over memory.swap.max
 * (swap_max and swap_fail events): the caller frees the slot.
 */
int mem_cgroup_try_charge_swap(struct vm_ctx *vm, struct page *page, unsigned type,
			       unsigned long offset);
/* __mem_cgroup_uncharge_swap(): @nr_pages slots from (@type, @offset) are
 * freed: their charge goes back to the cgroup recorded for them. */
void mem_cgroup_uncharge_swap(struct vm_ctx *vm, unsigned type, unsigned long offset,
			      unsigned nr_pages);
/* mem_cgroup_swapin_charge_folio(): charge a page read back from slot
 * (@type, @offset) to the cgroup that swapped it out (if it still
 * exists), else to @mm's.  0 or -ENOMEM, as mem_cgroup_charge(). */
int mem_cgroup_swapin_charge_folio(struct vm_ctx *vm, struct page *page,
				   struct mm_struct *mm, gfp_t gfp, unsigned type,
				   unsigned long offset);
/* mem_cgroup_get_nr_swap_pages(): the swap slots @memcg may still take:
 * the free slots, and no more than any ancestor's memory.swap.max allows. */
long mem_cgroup_get_nr_swap_pages(struct vm_ctx *vm, struct mem_cgroup *memcg);
/* mem_cgroup_swap_full(): swap is half full, for the machine or for the
 * page's cgroup or an ancestor (reclaim then frees swap-cache slots). */
bool mem_cgroup_swap_full(struct vm_ctx *vm, struct page *page);

/* ---- statistics and events ---- */

/* A cgroup counter (enum memcg_stat_item or node item) of @memcg's whole
 * subtree (memcg_page_state()), in its unit (pages, KiB, bytes). */
unsigned long memcg_page_state(const struct vm_ctx *vm, const struct mem_cgroup *memcg,
			       int idx);
/* mod_memcg_state(): a cgroup counter that has no node (MEMCG_KMEM, ...). */
void mod_memcg_state(struct mem_cgroup *memcg, enum memcg_stat_item idx, long val);
/* count_memcg_events(): @count events of @memcg (none for NULL). */
void count_memcg_events(struct mem_cgroup *memcg, enum vm_event_item idx, unsigned long count);
/* count_memcg_event_mm(): one event of the cgroup of @mm's owner. */
void count_memcg_event_mm(struct vm_ctx *vm, struct mm_struct *mm, enum vm_event_item idx);
/* memcg_events(): events of @memcg's subtree. */
unsigned long memcg_events(const struct mem_cgroup *memcg, enum vm_event_item idx);
/* memcg_memory_event(): a memory.events event of @memcg, counted in it
 * and every ancestor below the root (memory.events is hierarchical). */
void memcg_memory_event(struct mem_cgroup *memcg, enum memcg_memory_event event);
/* memcg_memory_event_mm(): the event of @mm's owner's cgroup. */
void memcg_memory_event_mm(struct vm_ctx *vm, struct mm_struct *mm,
			   enum memcg_memory_event event);

/* memory.events: low high max oom oom_kill oom_group_kill. */
extern const char *const memcg_memory_event_names[MEMCG_NR_MEMORY_EVENTS];

/* ---- the control files ---- */

/* memory.max (memory_max_write()): set it, then reclaim and, if that
 * fails, OOM-kill until usage fits.  @max in pages. */
void memory_max_write(struct vm_ctx *vm, struct mem_cgroup *memcg, unsigned long max);
/* memory.high (memory_high_write()): set it and reclaim down to it. */
void memory_high_write(struct vm_ctx *vm, struct mem_cgroup *memcg, unsigned long high);
/* memory.swap.max */
void swap_max_write(struct mem_cgroup *memcg, unsigned long max);

/* ---- checker ---- */

/* Each cgroup's counters against each other: usage of a counter equals
 * its own charges plus its children's, the stock and ids consistent.
 * (The pages themselves are counted by the kern layer's checker, which
 * sees every page a task maps or a file caches.)  0 or -EFAULT. */
struct vmsim_error;
int mem_cgroup_check(struct vm_ctx *vm, struct vmsim_error *err);

#endif
