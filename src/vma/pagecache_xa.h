/*
 * A radix tree keyed by page index, the shape of Linux's XArray
 * (lib/xarray.c): 64 slots a node (XA_CHUNK_SHIFT 6), the root grown one
 * level at a time as higher indices arrive and shrunk when only slot 0 of
 * the top node is left.  The page cache keeps each file's pages in one
 * (address_space->i_pages), the swap cache each swap area's.  Entries are
 * non-NULL pointers the caller owns, or value entries (xa_mk_value(): an
 * integer with bit 0 set, never a pointer) such as workingset shadows.
 */
#ifndef VMSIM_VMA_PAGECACHE_XA_H
#define VMSIM_VMA_PAGECACHE_XA_H

#include <stdbool.h>
#include <stdint.h>

struct host_arena;
struct vmsim_error;

#define XA_CHUNK_SHIFT	6
#define XA_CHUNK_SIZE	(1u << XA_CHUNK_SHIFT)
#define XA_CHUNK_MASK	(XA_CHUNK_SIZE - 1)

struct xa_node {
	uint8_t shift;			/* index bits below this node's slots */
	uint8_t offset;			/* slot in the parent */
	uint8_t count;			/* non-NULL slots */
	struct xa_node *parent;
	void *slots[XA_CHUNK_SIZE];
};

struct xarray {
	struct xa_node *xa_head;	/* NULL when empty */
	struct host_arena *ha;
	unsigned long nr_entries;
	unsigned long nr_nodes;
};

/* Value entries: @v (up to 63 bits) stored in place of a pointer. */
static inline void *xa_mk_value(uint64_t v)
{
	return (void *)(uintptr_t)((v << 1) | 1);
}

static inline uint64_t xa_to_value(const void *entry)
{
	return (uint64_t)(uintptr_t)entry >> 1;
}

static inline bool xa_is_value(const void *entry)
{
	return (uintptr_t)entry & 1;
}

void xa_init(struct xarray *xa, struct host_arena *ha);
/* Free every node; the entries are the caller's (erase or walk first). */
void xa_destroy(struct xarray *xa);

/* The entry at @index, NULL if none. */
void *xa_load(const struct xarray *xa, uint64_t index);
/* Store non-NULL @entry at @index; *old (may be NULL) gets what was
 * there.  0 or -ENOMEM (nothing changed then). */
int xa_store(struct xarray *xa, uint64_t index, void *entry, void **old);
/* Remove and return the entry at @index (NULL if none); empty nodes go. */
void *xa_erase(struct xarray *xa, uint64_t index);
/* The first entry with index in [*index, max]; *index gets its index.
 * NULL when there is none (then *index is unspecified). */
void *xa_find(const struct xarray *xa, uint64_t *index, uint64_t max);

/* Structure check: counts, parent links, no empty non-root node, root
 * shrunk.  0 or -EFAULT with the problem in @err. */
int xa_check(const struct xarray *xa, struct vmsim_error *err);

#define xa_for_each(xa, index, entry) \
	for ((index) = 0, (entry) = xa_find((xa), &(index), UINT64_MAX); (entry); \
	     (entry) = (index) == UINT64_MAX ? NULL : ((index)++, xa_find((xa), &(index), UINT64_MAX)))

#endif
