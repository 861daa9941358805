/*
 * The page cache's radix tree (see pagecache_xa.h).
 *
 * Invariant: every node below the root has count > 0 and count equals its
 * non-NULL slots; a node's children have shift = its shift - 6 and point
 * back to it with their slot number; leaves (shift 0) hold entries; the
 * root covers indices [0, 64 << root shift) and has at least one slot
 * other than slot 0 in use unless its shift is 0 (the tree is as short as
 * its highest index allows).  xa_check() verifies all of it.
 */
#include "vma/pagecache_xa.h"

#include <errno.h>
#include <string.h>

#include "util/error.h"
#include "util/hostalloc.h"

void xa_init(struct xarray *xa, struct host_arena *ha)
{
	memset(xa, 0, sizeof(*xa));
	xa->ha = ha;
}

static struct xa_node *xa_node_alloc(struct xarray *xa, unsigned shift, struct xa_node *parent,
				     unsigned offset)
{
	struct xa_node *n = host_zalloc(xa->ha, sizeof(*n));

	if (!n)
		return NULL;
	n->shift = (uint8_t)shift;
	n->parent = parent;
	n->offset = (uint8_t)offset;
	xa->nr_nodes++;
	return n;
}

static void xa_node_free(struct xarray *xa, struct xa_node *n)
{
	host_free(xa->ha, n, sizeof(*n));
	xa->nr_nodes--;
}

static void destroy_node(struct xarray *xa, struct xa_node *n)
{
	if (n->shift)
		for (unsigned i = 0; i < XA_CHUNK_SIZE; i++)
			if (n->slots[i])
				destroy_node(xa, n->slots[i]);
	xa_node_free(xa, n);
}

void xa_destroy(struct xarray *xa)
{
	if (xa->xa_head)
		destroy_node(xa, xa->xa_head);
	xa->xa_head = NULL;
	xa->nr_entries = 0;
}

/* The largest index a tree whose root has @shift can hold. */
static uint64_t max_index(unsigned shift)
{
	unsigned bits = shift + XA_CHUNK_SHIFT;

	return bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1;
}

void *xa_load(const struct xarray *xa, uint64_t index)
{
	struct xa_node *n = xa->xa_head;

	if (!n || index > max_index(n->shift))
		return NULL;
	while (n->shift) {
		n = n->slots[(index >> n->shift) & XA_CHUNK_MASK];
		if (!n)
			return NULL;
	}
	return n->slots[index & XA_CHUNK_MASK];
}

int xa_store(struct xarray *xa, uint64_t index, void *entry, void **old)
{
	struct xa_node *n, *created[24];
	unsigned nc = 0, slot;

	if (old)
		*old = NULL;
	if (!entry)
		return -EINVAL;
	if (!xa->xa_head) {
		/* the first root is made as tall as @index needs: growing an
		 * empty leaf would leave it behind, empty, in slot 0 */
		unsigned shift = 0;

		while (index > max_index(shift))
			shift += XA_CHUNK_SHIFT;
		xa->xa_head = xa_node_alloc(xa, shift, NULL, 0);
		if (!xa->xa_head)
			return -ENOMEM;
		created[nc++] = xa->xa_head;
	}
	/* xas_expand(): new roots above the old one until @index fits */
	while (index > max_index(xa->xa_head->shift)) {
		struct xa_node *root = xa->xa_head;
		struct xa_node *top = xa_node_alloc(xa, root->shift + XA_CHUNK_SHIFT, NULL, 0);

		if (!top)
			goto nomem;
		top->slots[0] = root;
		top->count = 1;
		root->parent = top;
		root->offset = 0;
		xa->xa_head = top;
		created[nc++] = top;
	}
	n = xa->xa_head;
	while (n->shift) {
		struct xa_node *child;

		slot = (index >> n->shift) & XA_CHUNK_MASK;
		child = n->slots[slot];
		if (!child) {
			child = xa_node_alloc(xa, n->shift - XA_CHUNK_SHIFT, n, slot);
			if (!child)
				goto nomem;
			n->slots[slot] = child;
			n->count++;
			created[nc++] = child;
		}
		n = child;
	}
	slot = index & XA_CHUNK_MASK;
	if (old)
		*old = n->slots[slot];
	if (!n->slots[slot]) {
		n->count++;
		xa->nr_entries++;
	}
	n->slots[slot] = entry;
	return 0;
nomem:
	/* undo: the nodes made for this store hold nothing else */
	while (nc--) {
		struct xa_node *c = created[nc];

		if (c->parent) {
			c->parent->slots[c->offset] = NULL;
			c->parent->count--;
		}
		if (xa->xa_head == c) {
			xa->xa_head = c->shift && c->count == 1 ? c->slots[0] : NULL;
			if (xa->xa_head)
				xa->xa_head->parent = NULL;
		}
		xa_node_free(xa, c);
	}
	return -ENOMEM;
}

/* xas_shrink(): drop top nodes that only use slot 0. */
static void xa_shrink(struct xarray *xa)
{
	struct xa_node *root = xa->xa_head;

	while (root && root->shift && root->count == 1 && root->slots[0]) {
		struct xa_node *child = root->slots[0];

		child->parent = NULL;
		child->offset = 0;
		xa_node_free(xa, root);
		xa->xa_head = root = child;
	}
}

void *xa_erase(struct xarray *xa, uint64_t index)
{
	struct xa_node *n = xa->xa_head;
	void *entry;
	unsigned slot;

	if (!n || index > max_index(n->shift))
		return NULL;
	while (n->shift) {
		n = n->slots[(index >> n->shift) & XA_CHUNK_MASK];
		if (!n)
			return NULL;
	}
	slot = index & XA_CHUNK_MASK;
	entry = n->slots[slot];
	if (!entry)
		return NULL;
	n->slots[slot] = NULL;
	n->count--;
	xa->nr_entries--;
	/* xas_delete_node(): empty nodes leave their parents */
	while (n && n->count == 0) {
		struct xa_node *parent = n->parent;

		if (parent) {
			parent->slots[n->offset] = NULL;
			parent->count--;
		} else {
			xa->xa_head = NULL;
		}
		xa_node_free(xa, n);
		n = parent;
	}
	xa_shrink(xa);
	return entry;
}

static void *find_in(const struct xa_node *n, uint64_t base, uint64_t *index, uint64_t max)
{
	unsigned first = 0;
	uint64_t span = 1ULL << n->shift;	/* indices per slot */

	if (*index > base)
		first = (unsigned)((*index - base) >> n->shift);
	for (unsigned i = first; i < XA_CHUNK_SIZE; i++) {
		uint64_t lo = base + (uint64_t)i * span;

		if (lo > max)
			return NULL;
		if (!n->slots[i])
			continue;
		if (!n->shift) {
			if (lo < *index)
				continue;
			*index = lo;
			return n->slots[i];
		}
		void *e = find_in(n->slots[i], lo, index, max);
		if (e)
			return e;
	}
	return NULL;
}

void *xa_find(const struct xarray *xa, uint64_t *index, uint64_t max)
{
	const struct xa_node *root = xa->xa_head;

	if (!root || *index > max || *index > max_index(root->shift))
		return NULL;
	return find_in(root, 0, index, max);
}

static int check_node(const struct xarray *xa, const struct xa_node *n, unsigned long *entries,
		      unsigned long *nodes, struct vmsim_error *err)
{
	unsigned used = 0;

	(*nodes)++;
	for (unsigned i = 0; i < XA_CHUNK_SIZE; i++) {
		const struct xa_node *c = n->slots[i];

		if (!c)
			continue;
		used++;
		if (!n->shift) {
			(*entries)++;
			continue;
		}
		if (c->parent != n || c->offset != i || c->shift + XA_CHUNK_SHIFT != n->shift)
			return verr(err, -EFAULT, "xarray: node at shift %u slot %u has bad links",
				    n->shift, i);
		if (check_node(xa, c, entries, nodes, err))
			return -EFAULT;
	}
	if (used != n->count)
		return verr(err, -EFAULT, "xarray: node at shift %u counts %u slots, has %u",
			    n->shift, n->count, used);
	if (!used)
		return verr(err, -EFAULT, "xarray: empty node at shift %u left in the tree", n->shift);
	return 0;
}

int xa_check(const struct xarray *xa, struct vmsim_error *err)
{
	unsigned long entries = 0, nodes = 0;
	const struct xa_node *root = xa->xa_head;

	if (!root)
		return xa->nr_entries || xa->nr_nodes ?
		       verr(err, -EFAULT, "xarray: empty tree counts %lu entries, %lu nodes",
			    xa->nr_entries, xa->nr_nodes) : 0;
	if (root->parent)
		return verr(err, -EFAULT, "xarray: root has a parent");
	if (check_node(xa, root, &entries, &nodes, err))
		return -EFAULT;
	if (entries != xa->nr_entries || nodes != xa->nr_nodes)
		return verr(err, -EFAULT, "xarray: counts %lu entries / %lu nodes, found %lu / %lu",
			    xa->nr_entries, xa->nr_nodes, entries, nodes);
	if (root->shift && root->count == 1 && root->slots[0])
		return verr(err, -EFAULT, "xarray: root at shift %u not shrunk", root->shift);
	return 0;
}
