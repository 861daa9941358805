/*
 * Control groups and memory ownership (kernel/cgroup/cgroup.c,
 * kernel/exit.c mm_update_next_owner(), kernel/fork.c mm_init_owner();
 * see cgroup.h), and the checker that recounts every charged page.
 *
 * Invariants: every task is on exactly one cgroup's task list, the one
 * task->cgroups names, in the order it joined; a cgroup with tasks has no
 * children unless it is the root; an mm's owner is a task using it while
 * any task does.
 */
#include "kern/cgroup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kern/machine.h"
#include "kern/oom.h"
#include "kern/task.h"
#include "mmu/mmu.h"
#include "phys/mm_inline.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "vma/filemap.h"
#include "vma/memcontrol.h"
#include "vma/mm.h"
#include "vma/swapfile.h"

/* ---- what the memory controller asks of tasks ---- */

static struct mem_cgroup *ops_mm_memcg(struct vm_ctx *vm, struct mm_struct *mm)
{
	(void)vm;
	return mm->owner ? mm->owner->cgroups : NULL;
}

static struct mm_struct *ops_current_mm(struct vm_ctx *vm)
{
	struct task_struct *t = get_current(vm_machine(vm));

	return t ? t->mm : NULL;
}

static struct mem_cgroup *ops_task_memcg(const struct task_struct *p)
{
	return p->cgroups;
}

static struct mem_cgroup *ops_current_memcg(struct vm_ctx *vm)
{
	struct task_struct *t = get_current(vm_machine(vm));

	return t ? t->cgroups : NULL;
}

static bool ops_current_is_dying(struct vm_ctx *vm)
{
	struct task_struct *t = get_current(vm_machine(vm));

	return t && (t->oom_victim || t->sigkill || t->exiting);
}

static bool ops_out_of_memory(struct vm_ctx *vm, struct mem_cgroup *memcg, gfp_t gfp, int order)
{
	return mem_cgroup_out_of_memory(vm_machine(vm), memcg, gfp, order);
}

int cgroup_init(struct vmsim_machine *m, struct vmsim_error *err)
{
	const struct memcg_task_ops ops = {
		.mm_memcg = ops_mm_memcg,
		.current_mm = ops_current_mm,
		.task_memcg = ops_task_memcg,
		.current_memcg = ops_current_memcg,
		.current_is_dying = ops_current_is_dying,
		.out_of_memory = ops_out_of_memory,
	};

	if (mem_cgroup_init(&m->vm, &ops))
		return verr(err, -ENOMEM, "out of host memory");
	return 0;
}

void cgroup_finish(struct vmsim_machine *m)
{
	mem_cgroup_finish(&m->vm);
}

/* ---- the tree ---- */

int cgroup_mkdir(struct vmsim_machine *m, const char *path, struct mem_cgroup **out)
{
	struct mem_cgroup *memcg = m->vm.memcg->root;
	char name[CGROUP_NAME_MAX + 1];
	int ret;

	while ((ret = cgroup_path_next(&path, name)) > 0) {
		struct mem_cgroup *child = mem_cgroup_child(memcg, name);

		if (!child) {
			/* no internal processes: the memory controller can be
			 * enabled for children only where no task lives */
			if (memcg->nr_tasks && !mem_cgroup_is_root(memcg))
				return -EBUSY;
			ret = mem_cgroup_create(&m->vm, memcg, name, &child);
			if (ret)
				return ret;
		}
		memcg = child;
	}
	if (ret < 0)
		return ret;
	*out = memcg;
	return 0;
}

static void join(struct task_struct *t, struct mem_cgroup *memcg)
{
	t->cgroups = memcg;
	list_add_tail(&t->cg_list, &memcg->tasks);
	memcg->nr_tasks++;
}

static void leave(struct task_struct *t)
{
	list_del_init(&t->cg_list);
	t->cgroups->nr_tasks--;
	t->cgroups = NULL;
}

int cgroup_attach_task(struct task_struct *t, struct mem_cgroup *memcg)
{
	if (!mem_cgroup_is_root(memcg) && !list_empty(&memcg->children))
		return -EBUSY;
	if (t->cgroups == memcg)
		return 0;
	leave(t);
	join(t, memcg);
	return 0;
}

void cgroup_fork(struct task_struct *child, struct task_struct *parent)
{
	struct vmsim_machine *m = vm_machine(child->mm->vm);

	join(child, parent ? parent->cgroups : m->vm.memcg->root);
}

/*
 * mm_update_next_owner(): @t, which owns its mm, is going; another user
 * of the mm becomes the owner: a child first, then a sibling, then any
 * task.  With no other user the mm is about to go and has none.
 */
static void mm_update_next_owner(struct vmsim_machine *m, struct task_struct *t)
{
	struct mm_struct *mm = t->mm;
	struct task_struct *c;

	if (mm->owner != t)
		return;
	if (mm->mm_users <= 1) {
		mm->owner = NULL;
		return;
	}
	list_for_each_entry(c, &t->children, sibling)
		if (c->mm == mm)
			goto assign;
	if (t->parent)
		list_for_each_entry(c, &t->parent->children, sibling)
			if (c != t && c->mm == mm)
				goto assign;
	list_for_each_entry(c, &m->tasks, tasks)
		if (c != t && c->mm == mm)
			goto assign;
	mm->owner = NULL;
	return;
assign:
	mm->owner = c;
}

void cgroup_exit(struct task_struct *t)
{
	struct vmsim_machine *m = vm_machine(t->mm->vm);

	mm_update_next_owner(m, t);
	if (t->cgroups)
		leave(t);
}

/* ---- the checker ---- */

struct charged_pages {
	struct vmsim_machine *m;
	unsigned long *pfns;
	size_t n, cap;
	bool oom;
};

static void add_pfn(struct charged_pages *cp, unsigned long pfn)
{
	if (cp->n == cp->cap) {
		size_t cap = cp->cap ? 2 * cp->cap : 512;
		unsigned long *p = host_realloc(&cp->m->ha, cp->pfns, cp->cap * sizeof(*p),
						cap * sizeof(*p));

		if (!p) {
			cp->oom = true;
			return;
		}
		cp->pfns = p;
		cp->cap = cap;
	}
	cp->pfns[cp->n++] = pfn;
}

static int collect_mapped(void *arg, uint64_t va, uint64_t epa, uint64_t pte)
{
	struct charged_pages *cp = arg;
	uint64_t pfn = (pte & cp->m->pt.fmt->entry_addr_mask) >> PAGE_SHIFT;
	struct page *page;

	if (!pfn_valid(&cp->m->pm, (unsigned long)pfn))
		return 0;
	page = pfn_to_page(&cp->m->pm, (unsigned long)pfn);
	/* the zero pages belong to no cgroup */
	if (page != cp->m->vm.zero_page && !is_huge_zero_folio(&cp->m->vm, compound_head(page)))
		add_pfn(cp, (unsigned long)pfn);
	(void)va;
	(void)epa;
	return 0;
}

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* The page states the checker recounts, per node and cgroup id. */
enum {
	C_ANON, C_MAPPED, C_FILE, C_SHMEM, C_DIRTY, C_SWAPCACHE, C_ANON_THPS, C_STACK, C_TABLES,
	NR_C
};
static const enum node_stat_item c_item[NR_C] = {
	NR_ANON_MAPPED, NR_FILE_MAPPED, NR_FILE_PAGES, NR_SHMEM, NR_FILE_DIRTY, NR_SWAPCACHE,
	NR_ANON_THPS, NR_KERNEL_STACK_KB, NR_PAGETABLE,
};

static void add_deposited(void *arg, uint64_t table)
{
	add_pfn(arg, (unsigned long)(table >> PAGE_SHIFT));
}

/* The page-table pages below @table (depth @depth) of a process's half,
 * the tables a bad entry still holds included (mm_pgtables_bytes()'s). */
static void collect_tables(struct charged_pages *cp, uint64_t table, unsigned depth)
{
	const struct pt_ctx *pt = &cp->m->pt;
	const struct pt_format *f = pt->fmt;
	unsigned n = depth ? pt_ptrs_per_table(f, depth) : pt->kernel_pgd_boundary;

	if (depth + 1 >= f->levels)
		return;
	/* the tables deposited for huge PMDs are the mm's too */
	if (depth == cp->m->vm.thp.pmd_depth)
		pgtable_trans_huge_for_each_deposited(pt, table, add_deposited, cp);
	for (unsigned i = 0; i < n; i++) {
		uint64_t epa = table + (uint64_t)i * f->entry_size;
		uint64_t child = pt_held_table(pt, depth, epa, pt_read(pt, epa));

		if (!child)
			continue;
		add_pfn(cp, (unsigned long)(child >> PAGE_SHIFT));
		collect_tables(cp, child, depth + 1);
	}
}

/* The page tables tasks hold, which may be charged: the roots and tables
 * of their mms; sorted, each once.  (Their stacks are counted apart: a
 * stack is one charge on its first page.) */
static void collect_tables_of_tasks(struct vmsim_machine *m, struct charged_pages *cp)
{
	struct task_struct *t;

	list_for_each_entry(t, &m->tasks, tasks) {
		/* a shared mm is walked once per task; duplicates go below */
		add_pfn(cp, (unsigned long)(t->mm->pgd >> PAGE_SHIFT));
		collect_tables(cp, t->mm->pgd, 0);
	}
	if (cp->n)
		qsort(cp->pfns, cp->n, sizeof(*cp->pfns), cmp_ul);
}

/* Every page the checker can reach: mapped by a task, cached by a file,
 * held by a shared-memory object, in a swap cache; sorted, each once. */
static void collect_pages(struct vmsim_machine *m, struct charged_pages *cp)
{
	struct task_struct *t;
	struct file *f;

	list_for_each_entry(t, &m->tasks, tasks) {
		struct vm_area_struct *vma;

		walk_pte_range(t->mm, 0, t->mm->task_size, collect_mapped, cp);
		for_each_vma(t->mm, vma)
			for (unsigned long i = 0; vma->shm && i < vma->shm->nr_pages; i++)
				if (vma->shm->pages[i] && !shmem_is_swap(vma->shm->pages[i]))
					add_pfn(cp, page_to_pfn(&m->pm, vma->shm->pages[i]));
	}
	if (m->vm.page_cache)
		list_for_each_entry(f, &m->vm.page_cache->files, f_list) {
			struct page *page;
			uint64_t index;

			xa_for_each(&f->f_mapping.i_pages, index, page)
				if (!xa_is_value(page))	/* not a shadow entry */
					add_pfn(cp, page_to_pfn(&m->pm, page));
		}
	for (unsigned type = 0; m->vm.swap && type < MAX_SWAPFILES; type++) {
		struct swap_info_struct *si = m->vm.swap->swap_info[type];
		uint64_t index;
		void *entry;

		if (si)
			xa_for_each(&si->swap_cache, index, entry)
				if (!xa_is_value(entry))
					add_pfn(cp, page_to_pfn(&m->pm, entry));
	}
	if (cp->n)
		qsort(cp->pfns, cp->n, sizeof(*cp->pfns), cmp_ul);
}

/* A page of a file's cache or of a shared-memory object (NR_FILE_PAGES
 * counts those and the swap cache, NR_SHMEM the second kind). */
static bool page_in_cache(const struct page *page)
{
	return page_file(page) || PageSwapCache(page) ||
	       (test_page_flag(page, PG_swapbacked) && !PageAnon(page));
}

static bool page_is_shmem(const struct page *page)
{
	return !page_file(page) && !PageSwapCache(page) && test_page_flag(page, PG_swapbacked) &&
	       !PageAnon(page);
}

int cgroup_check(struct vmsim_machine *m, struct vmsim_error *err)
{
	struct memcg_state *st = m->vm.memcg;
	struct charged_pages cp = { .m = m }, kp = { .m = m };
	unsigned nodes = m->pm.nr_nodes;
	unsigned long *own = NULL, *count = NULL, *kmem = NULL;
	size_t own_size = 0, count_size = 0;
	struct mem_cgroup *iter;
	int ret = 0;

	if (!st || !m->tasks.next)
		return 0;
	if ((ret = mem_cgroup_check(&m->vm, err)))
		return ret;
	collect_pages(m, &cp);
	collect_tables_of_tasks(m, &kp);
	own_size = st->nr_ids * sizeof(*own);
	count_size = (size_t)st->nr_ids * nodes * NR_C * sizeof(*count);
	own = host_zalloc(&m->ha, own_size);
	kmem = host_zalloc(&m->ha, own_size);
	count = host_zalloc(&m->ha, count_size);
	if (cp.oom || kp.oom || !own || !kmem || !count) {
		ret = verr(err, -ENOMEM, "out of host memory");
		goto out;
	}
	for (size_t i = 0; i < kp.n; i++) {
		struct page *page = pfn_to_page(&m->pm, kp.pfns[i]);
		unsigned id = page_memcg_id(page);
		unsigned long *c;

		if (i && kp.pfns[i] == kp.pfns[i - 1])
			continue;
		if (id && (!mem_cgroup_from_id(&m->vm, id) || !PageMemcgKmem(page))) {
			ret = verr(err, -EFAULT, "memcg: kernel pfn %#lx is charged to cgroup id %u as "
				   "%s", kp.pfns[i], id, PageMemcgKmem(page) ? "kernel memory, which does "
				   "not exist" : "user memory");
			goto out;
		}
		if (id)
			kmem[id]++;
		c = &count[(((size_t)(id ? id : 1) * nodes) + page_to_nid(page)) * NR_C];
		if (page->private)
			c[C_TABLES]++;
	}
	{
		/* each stack: one charge, on its first page (the kernel's
		 * account_kernel_stack() goes by that page too) */
		struct task_struct *t;

		list_for_each_entry(t, &m->tasks, tasks) {
			struct page *head = t->stack_page;
			unsigned id = page_memcg_id(head);

			if (id && (!mem_cgroup_from_id(&m->vm, id) || !PageMemcgKmem(head))) {
				ret = verr(err, -EFAULT, "memcg: the stack of %s is charged to cgroup "
					   "id %u wrongly", task_name(t), id);
				goto out;
			}
			if (id)
				kmem[id] += 1UL << t->stack_order;
			count[(((size_t)(id ? id : 1) * nodes) + page_to_nid(head)) * NR_C + C_STACK] +=
				(PAGE_SIZE << t->stack_order) >> 10;
		}
	}
	for (size_t i = 0, folio_end = 0; i < cp.n; i++) {
		struct page *page, *head;
		unsigned id, nid;
		unsigned long *c;

		if (i && cp.pfns[i] == cp.pfns[i - 1])
			continue;
		page = pfn_to_page(&m->pm, cp.pfns[i]);
		/* a huge page is one charge of all its pages, on its head */
		head = compound_head(page);
		id = page_memcg_id(head);
		nid = page_to_nid(page);
		/* a page charged to none counts in the root cgroup */
		if (id && !mem_cgroup_from_id(&m->vm, id)) {
			ret = verr(err, -EFAULT, "memcg: pfn %#lx is charged to cgroup id %u, which "
				   "does not exist", cp.pfns[i], id);
			goto out;
		}
		if (cp.pfns[i] >= folio_end) {
			const unsigned long hpfn = page_to_pfn(&m->pm, head);

			own[id] += 1UL << compound_order(head);
			folio_end = hpfn + (1UL << compound_order(head));
			c = &count[(((size_t)(id ? id : 1) * nodes) + nid) * NR_C];
			if (PageHead(head) && PageAnon(head) && folio_entire_mapcount(head) > 0)
				c[C_ANON_THPS] += 1UL << compound_order(head);
		}
		c = &count[(((size_t)(id ? id : 1) * nodes) + nid) * NR_C];
		if (PageAnon(page) && page_mapcount(page) > 0)
			c[C_ANON]++;
		if (!PageAnon(page) && page_mapcount(page) > 0)
			c[C_MAPPED]++;
		if (page_in_cache(page))
			c[C_FILE]++;
		if (page_is_shmem(page))
			c[C_SHMEM]++;
		if (PageSwapCache(page))
			c[C_SWAPCACHE]++;
		if (page_file(page) && PageDirty(page))
			c[C_DIRTY]++;
	}
	for_each_mem_cgroup_tree(iter, st->root) {
		unsigned long usage = own[iter->id] + kmem[iter->id] +
				      memcg_stock_pages(&m->vm, iter);
		struct mem_cgroup *child;
		char path[256];

		mem_cgroup_path(iter, path, sizeof(path));
		list_for_each_entry(child, &iter->children, sibling)
			usage += child->memory.usage;
		if (mem_cgroup_is_root(iter))
			usage -= own[iter->id];	/* the root counts its children only */
		if (iter->memory.usage != usage) {
			ret = verr(err, -EFAULT, "memcg %s: memory.current %lu pages, but it holds %lu "
				   "charged pages, %lu of kernel memory, %lu in stock and its "
				   "children's", path, iter->memory.usage, own[iter->id], kmem[iter->id],
				   memcg_stock_pages(&m->vm, iter));
			goto out;
		}
		if (iter->state[MEMCG_KMEM - NR_VM_NODE_STAT_ITEMS] != (long)kmem[iter->id]) {
			ret = verr(err, -EFAULT, "memcg %s: kernel memory %ld pages, %lu are charged", path,
				   iter->state[MEMCG_KMEM - NR_VM_NODE_STAT_ITEMS], kmem[iter->id]);
			goto out;
		}
		for (unsigned nid = 0; nid < nodes; nid++)
			for (unsigned k = 0; k < NR_C; k++) {
				/* the root's tables include the kernel's own,
				 * which no task holds */
				if (k == C_TABLES && mem_cgroup_is_root(iter))
					continue;
				/* uncharged pages count in the root's lruvecs */
				unsigned long want = count[((size_t)iter->id * nodes + nid) * NR_C + k];
				long got = iter->lruvecs[nid].vm_stat[c_item[k]];

				if (got < 0 || (unsigned long)got != want) {
					ret = verr(err, -EFAULT, "memcg %s: node %u item %d is %ld, "
						   "%lu pages are in that state", path, nid,
						   (int)c_item[k], got, want);
					goto out;
				}
			}
	}
	for (unsigned nid = 0; nid < nodes; nid++)
		for (unsigned k = 0; k < C_TABLES; k++) {
			unsigned long want = 0;

			for (unsigned id = 1; id < st->nr_ids; id++)
				want += count[((size_t)id * nodes + nid) * NR_C + k];
			if (node_page_state(&m->pm.node_data[nid], c_item[k]) != want) {
				ret = verr(err, -EFAULT, "node %u: item %d is %lu, %lu pages are in that "
					   "state", nid, (int)c_item[k],
					   node_page_state(&m->pm.node_data[nid], c_item[k]), want);
				goto out;
			}
		}
out:
	host_free(&m->ha, cp.pfns, cp.cap * sizeof(*cp.pfns));
	host_free(&m->ha, kp.pfns, kp.cap * sizeof(*kp.pfns));
	if (own)
		host_free(&m->ha, own, own_size);
	if (kmem)
		host_free(&m->ha, kmem, own_size);
	if (count)
		host_free(&m->ha, count, count_size);
	return ret;
}
