/*
 * struct page: one per physical frame, in mem_map[] (phys_mem->mem_map).
 *
 * Layout (56 bytes; Linux's is 64):
 *   flags    64 bits: PG_* in bits 0..31, the allocation order of a
 *            block's head 32..35, a kernel page's memory cgroup charge
 *            36, zone index 40..42, node 43..47, the memory cgroup the
 *            page is charged to 48..63 (its memcg id, 0 = none; Linux:
 *            folio->memcg_data, a pointer)
 *   lru      free-area list link (buddy), slab list link, LRU list link;
 *            tail page of a compound block: lru.next = &head->lru (Linux
 *            overlays compound_head on lru.next the same way);
 *            a PG_mlocked page keeps mlock_count, the number of VM_LOCKED
 *            mappings, in the place of lru.prev (see below)
 *   mapping  address_space; anonymous: anon_vma | PAGE_MAPPING_ANON;
 *            slab: its kmem_cache
 *   index    page offset in the mapping; slab: first free object address;
 *            page[1] of a compound block: _entire_mapcount, the mappings
 *            of the whole block by one PMD (Linux: struct folio overlays
 *            page[1] the same way), -1 = none
 *   private  buddy order while PageBuddy; slab: inuse/objects; page[1]
 *            of a compound block: its order (Linux: folio order); a
 *            swap-cache page: its swp_entry_t (Linux: folio->swap)
 *   _refcount, _mapcount (-1 = not mapped, as in Linux); in a compound
 *            block the head's _refcount counts for the whole block and each
 *            page's _mapcount counts the PTEs that map that page
 *
 * A frame whose struct page was never initialized (deferred init, see
 * buddy.c) is all zeroes; it is always inside a free max-order block that
 * nobody can reach until the allocator hands the block out.
 */
#ifndef VMSIM_PHYS_PAGE_H
#define VMSIM_PHYS_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/list.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)

enum pageflags {
	PG_locked,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_active,
	PG_slab,
	PG_reserved,
	PG_private,
	PG_writeback,
	PG_head,		/* first page of a compound (__GFP_COMP) block */
	PG_swapbacked,
	PG_buddy,		/* Linux: page_type PGTY_buddy */
	PG_table,		/* Linux: page_type PGTY_table (page-table page) */
	PG_zero,		/* the shared zero page */
	PG_guard,		/* vmalloc guard / poisoned (debug) */
	PG_tail,		/* Linux: bit 0 of compound_head */
	PG_poisoned,		/* free frame filled with PAGE_POISON (page_poison=1) */
	PG_workingset,		/* was active before eviction, or refaulted into it */
	PG_unevictable,		/* on the unevictable list (mlocked, ...) */
	PG_mlocked,		/* mapped by a VM_LOCKED VMA (unevictable) */
	PG_swapcache,		/* in the swap cache: ->private holds its swp_entry_t */
	PG_reclaim,		/* written back for reclaim: rotate to the inactive
				 * tail when done (PG_readahead while in the swap
				 * cache for a read ahead, as Linux aliases them) */
	PG_anon_exclusive,	/* an anonymous page only one PTE (or, for the
				 * pages of a huge page, one PMD) may map (Linux:
				 * PG_mappedtodisk on anon pages); it decides
				 * copy-on-write reuse */
	__NR_PAGEFLAGS
};

#define PAGE_ZONE_SHIFT 40
#define PAGE_ZONE_MASK 0x7ULL
#define PAGE_NODE_SHIFT 43
#define PAGE_NODE_MASK 0x1fULL

struct page {
	uint64_t flags;
	union {
		struct list_head lru;
		/* a PG_mlocked page (struct folio's overlay, same places) */
		struct {
			void *__filler;		/* lru.next: never a tail mark */
			unsigned int mlock_count;	/* lru.prev */
		};
	};
	void *mapping;
	uint64_t index;
	uint64_t private;
	int32_t _refcount;
	int32_t _mapcount;
};

/*
 * mlock_count and the LRU.  As in Linux since 5.18, a PG_mlocked page
 * belongs on the unevictable LRU, and that "list" is only a size:
 * lruvec_add_folio() and lruvec_del_folio() count an LRU_UNEVICTABLE folio
 * in the lruvec but never link it (list_add/list_del are skipped for it),
 * so its lru.next and lru.prev are free and lru.prev holds mlock_count.
 * Whatever keeps LRU lists here must do the same: a PG_mlocked page is
 * PG_lru and PG_unevictable and counted in LRU_UNEVICTABLE, but never
 * linked, never list_del()ed, and never scanned by reclaim; isolating it
 * (folio_isolate_lru) clears PG_lru without touching the list, and while
 * it is off the LRU mlock_folio()/munlock_folio() leave mlock_count alone
 * (the kernel's count may then undercount: "reclaim will fix it"), and
 * putting it back (__mlock_folio) sets mlock_count = !!PG_mlocked.  With
 * no LRU, every PG_mlocked page counts as on the unevictable list, so
 * mlock_count is exact (check_mms() in vma/check.c holds it to that).
 */

/*
 * The order a block was allocated at, plus one, in bits 32..35 of its head
 * page's flags (0: not the head of a block the allocator handed out).
 * Linux keeps this only with CONFIG_PAGE_OWNER (page_owner->order); here it
 * is always kept, so that a free of the wrong order -- which on Linux
 * silently frees a neighbour's pages or leaks its own -- is refused.
 * prep_new_page() sets it; freeing clears it with the other flags.
 */
#define PAGE_ALLOC_ORDER_SHIFT 32
#define PAGE_ALLOC_ORDER_MASK 0xfULL

/*
 * The memory cgroup a page is charged to, as its id (mem_cgroup_id(),
 * 1..MEM_CGROUP_ID_MAX: the kernel's ids are 16 bits, which is also what
 * the swap_cgroup map and the workingset shadow entries record), in the
 * top 16 bits of flags.  0: not charged.  Freeing clears it with the
 * other flags, after the memory controller has uncharged the page.
 */
#define PAGE_MEMCG_SHIFT 48
#define PAGE_MEMCG_MASK 0xffffULL

static inline unsigned page_memcg_id(const struct page *p)
{
	return (unsigned)((p->flags >> PAGE_MEMCG_SHIFT) & PAGE_MEMCG_MASK);
}

static inline void set_page_memcg_id(struct page *p, unsigned id)
{
	p->flags = (p->flags & ~(PAGE_MEMCG_MASK << PAGE_MEMCG_SHIFT)) |
		   ((uint64_t)id << PAGE_MEMCG_SHIFT);
}

/* MEMCG_DATA_KMEM: the charge is kernel memory (a __GFP_ACCOUNT page: a
 * kernel stack, a process's page table), given back to the cgroup's
 * stock when the page is freed. */
#define PAGE_MEMCG_KMEM_BIT 36

static inline bool PageMemcgKmem(const struct page *p)
{
	return (p->flags >> PAGE_MEMCG_KMEM_BIT) & 1;
}

_Static_assert(sizeof(struct page) <= 56, "struct page must stay within 56 bytes");
_Static_assert(__NR_PAGEFLAGS <= PAGE_ALLOC_ORDER_SHIFT, "page flags overlap the allocation order");
_Static_assert(PAGE_ALLOC_ORDER_SHIFT + 4 <= PAGE_MEMCG_KMEM_BIT &&
	       PAGE_MEMCG_KMEM_BIT < PAGE_ZONE_SHIFT,
	       "the allocation order, the kmem bit and the zone/node links overlap");

/* The order @p was allocated at as a block's head, or -1. */
static inline int page_alloc_order(const struct page *p)
{
	return (int)((p->flags >> PAGE_ALLOC_ORDER_SHIFT) & PAGE_ALLOC_ORDER_MASK) - 1;
}

static inline void set_page_alloc_order(struct page *p, unsigned order)
{
	p->flags = (p->flags & ~(PAGE_ALLOC_ORDER_MASK << PAGE_ALLOC_ORDER_SHIFT)) |
		   ((uint64_t)(order + 1) << PAGE_ALLOC_ORDER_SHIFT);
}

static inline bool test_page_flag(const struct page *p, enum pageflags f)
{
	return (p->flags >> f) & 1;
}

static inline void set_page_flag(struct page *p, enum pageflags f)
{
	p->flags |= 1ULL << f;
}

static inline void clear_page_flag(struct page *p, enum pageflags f)
{
	p->flags &= ~(1ULL << f);
}

#define PageReserved(p) test_page_flag(p, PG_reserved)
#define PageBuddy(p) test_page_flag(p, PG_buddy)
#define PageSlab(p) test_page_flag(p, PG_slab)
#define PageTable(p) test_page_flag(p, PG_table)
#define PageHead(p) test_page_flag(p, PG_head)
#define PageDirty(p) test_page_flag(p, PG_dirty)
#define PageLRU(p) test_page_flag(p, PG_lru)
#define PageActive(p) test_page_flag(p, PG_active)
#define PageSwapCache(p) test_page_flag(p, PG_swapcache)
#define PageSwapBacked(p) test_page_flag(p, PG_swapbacked)
#define PageUnevictable(p) test_page_flag(p, PG_unevictable)
#define PageMlocked(p) test_page_flag(p, PG_mlocked)
#define PageWriteback(p) test_page_flag(p, PG_writeback)
#define PageReclaim(p) test_page_flag(p, PG_reclaim)
#define PageWorkingset(p) test_page_flag(p, PG_workingset)
#define PageReferenced(p) test_page_flag(p, PG_referenced)
#define PageAnonExclusive(p) test_page_flag(p, PG_anon_exclusive)
#define PG_readahead PG_reclaim

/* Clear @f and say whether it was set (TestClearPageX). */
static inline bool test_clear_page_flag(struct page *p, enum pageflags f)
{
	bool was = test_page_flag(p, f);

	clear_page_flag(p, f);
	return was;
}
/* An anonymous page's ->mapping is its anon_vma with bit 0 set (pointers
 * are aligned, so bit 0 of a real address_space or cache is clear). */
#define PAGE_MAPPING_ANON	0x1UL
#define PAGE_MAPPING_MOVABLE	0x2UL
#define PAGE_MAPPING_FLAGS	(PAGE_MAPPING_ANON | PAGE_MAPPING_MOVABLE)
#define PageMlocked(p) test_page_flag(p, PG_mlocked)

static inline unsigned page_zonenum(const struct page *p)
{
	return (p->flags >> PAGE_ZONE_SHIFT) & PAGE_ZONE_MASK;
}

static inline unsigned page_to_nid(const struct page *p)
{
	return (p->flags >> PAGE_NODE_SHIFT) & PAGE_NODE_MASK;
}

static inline void set_page_links(struct page *p, unsigned zone, unsigned nid)
{
	p->flags &= ~((PAGE_ZONE_MASK << PAGE_ZONE_SHIFT) | (PAGE_NODE_MASK << PAGE_NODE_SHIFT));
	p->flags |= ((uint64_t)zone << PAGE_ZONE_SHIFT) | ((uint64_t)nid << PAGE_NODE_SHIFT);
}

#define PageTail(p) test_page_flag(p, PG_tail)
#define PageCompound(p) (PageHead(p) || PageTail(p))

/* The head page of the compound block @p belongs to, or @p itself. */
static inline struct page *compound_head(struct page *p)
{
	if (PageTail(p))
		return container_of(p->lru.next, struct page, lru);
	return p;
}

/* PageAnon(): is @p's folio anonymous?  A page of a compound block (a
 * huge page) is when its head is: only the head holds ->mapping, as only
 * the folio does in Linux (folio_test_anon(page_folio(page))). */
static inline bool PageAnon(const struct page *p)
{
	return ((uintptr_t)compound_head((struct page *)p)->mapping & PAGE_MAPPING_ANON) != 0;
}

/* Order of a compound block's head (0 for a page that is not a head). */
static inline unsigned compound_order(const struct page *p)
{
	return PageHead(p) ? (unsigned)p[1].private : 0;
}

/* The pages of the folio @p heads: 1, or the compound block's. */
static inline unsigned long folio_nr_pages(const struct page *p)
{
	return 1UL << compound_order(p);
}

static inline int page_ref_count(const struct page *p)
{
	return p->_refcount;
}

/* The mappings of the whole compound block headed by @head by one PMD
 * (folio_entire_mapcount()); 0 for a page that heads no block. */
static inline int folio_entire_mapcount(const struct page *head)
{
	return PageHead(head) ? (int)(int64_t)head[1].index + 1 : 0;
}

static inline void folio_set_entire_mapcount(struct page *head, int mapcount)
{
	head[1].index = (uint64_t)(int64_t)(mapcount - 1);
}

/* The mappings of page @p: the PTEs that map it, plus those of its
 * compound block by a PMD (page_mapcount() as Linux 6.12 has it). */
static inline int page_mapcount(const struct page *p)
{
	int mapcount = p->_mapcount + 1;

	if (__builtin_expect(PageCompound(p), 0))
		mapcount += folio_entire_mapcount(compound_head((struct page *)p));
	return mapcount;
}

/* folio_mapped(): does any mapping (PMD, or PTE of any of its pages) map
 * the folio @head heads (or the page @head)? */
static inline bool folio_mapped(const struct page *head)
{
	if (!PageHead(head))
		return page_mapcount(head) > 0;
	if (folio_entire_mapcount(head))
		return true;
	for (unsigned long i = 0; i < folio_nr_pages(head); i++)
		if (head[i]._mapcount >= 0)
			return true;
	return false;
}

static inline unsigned buddy_order(const struct page *p)
{
	return (unsigned)p->private;
}

#endif
