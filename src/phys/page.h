/*
 * struct page: one per physical frame, in mem_map[] (phys_mem->mem_map).
 *
 * Layout (48 bytes; Linux's is 64):
 *   flags    32 bits: PG_* in bits 0..23, zone index 24..26, node 27..31
 *   private  32 bits: buddy order while PageBuddy; slab: inuse/objects;
 *            page[1] of a compound block: its order (Linux: folio order)
 *   lru      free-area list link (buddy), slab list link, later LRU;
 *            tail page of a compound block: lru.next = &head->lru (Linux
 *            overlays compound_head on lru.next the same way); a
 *            PG_mlocked page, which sits on no list (Linux: the
 *            unevictable "list" that does not exist), keeps mlock_count,
 *            the number of VM_LOCKED mappings, in the place of lru.prev
 *   mapping  address_space / anon marker; slab: its kmem_cache
 *   index    page offset in the mapping; slab: first free object address
 *   _refcount, _mapcount (-1 = not mapped, as in Linux)
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
	PG_anon,		/* Linux: PAGE_MAPPING_ANON in ->mapping */
	PG_zero,		/* the shared zero page */
	PG_guard,		/* vmalloc guard / poisoned (debug) */
	PG_tail,		/* Linux: bit 0 of compound_head */
	PG_poisoned,		/* free frame filled with PAGE_POISON (page_poison=1) */
	PG_mlocked,		/* mapped by a VM_LOCKED VMA (unevictable) */
	__NR_PAGEFLAGS
};

#define PAGE_ZONE_SHIFT 24
#define PAGE_ZONE_MASK 0x7u
#define PAGE_NODE_SHIFT 27
#define PAGE_NODE_MASK 0x1fu

struct page {
	uint32_t flags;
	uint32_t private;
	union {
		struct list_head lru;
		struct {
			void *__filler;		/* lru.next: never a tail mark */
			unsigned int mlock_count;
		};
	};
	void *mapping;
	uint64_t index;
	int32_t _refcount;
	int32_t _mapcount;
};

_Static_assert(sizeof(struct page) <= 48, "struct page must stay within 48 bytes");
_Static_assert(__NR_PAGEFLAGS <= PAGE_ZONE_SHIFT, "page flags overlap the zone/node links");

static inline bool test_page_flag(const struct page *p, enum pageflags f)
{
	return (p->flags >> f) & 1u;
}

static inline void set_page_flag(struct page *p, enum pageflags f)
{
	p->flags |= 1u << f;
}

static inline void clear_page_flag(struct page *p, enum pageflags f)
{
	p->flags &= ~(1u << f);
}

#define PageReserved(p) test_page_flag(p, PG_reserved)
#define PageBuddy(p) test_page_flag(p, PG_buddy)
#define PageSlab(p) test_page_flag(p, PG_slab)
#define PageTable(p) test_page_flag(p, PG_table)
#define PageHead(p) test_page_flag(p, PG_head)
#define PageDirty(p) test_page_flag(p, PG_dirty)
#define PageAnon(p) test_page_flag(p, PG_anon)
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
	p->flags |= (zone << PAGE_ZONE_SHIFT) | (nid << PAGE_NODE_SHIFT);
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

/* Order of a compound block's head (0 for a page that is not a head). */
static inline unsigned compound_order(const struct page *p)
{
	return PageHead(p) ? p[1].private : 0;
}

static inline int page_ref_count(const struct page *p)
{
	return p->_refcount;
}

static inline int page_mapcount(const struct page *p)
{
	return p->_mapcount + 1;
}

static inline unsigned buddy_order(const struct page *p)
{
	return p->private;
}

#endif
