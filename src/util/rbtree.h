/*
 * Intrusive red-black trees, as in the kernel's <linux/rbtree.h>.
 *
 * The owner embeds a struct rb_node and writes its own descent (so the
 * comparison is inlined at each tree); rb_link_node() then hangs the new
 * node at the leaf found and rb_insert_color() rebalances.  The parent
 * pointer and the colour share one word (nodes are at least 4-byte
 * aligned, so bit 0 is free): bit 0 = 1 means black.
 *
 * Invariants (rb_check() verifies them): the root is black; a red node has
 * no red child; every path from a node down to a leaf crosses the same
 * number of black nodes; parent links match child links.
 */
#ifndef VMSIM_UTIL_RBTREE_H
#define VMSIM_UTIL_RBTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/list.h"	/* container_of */

struct rb_node {
	uintptr_t __rb_parent_color;	/* parent | colour (bit 0: 1 = black) */
	struct rb_node *rb_right;
	struct rb_node *rb_left;
} __attribute__((aligned(sizeof(long))));

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_ROOT (struct rb_root) { NULL }
#define RB_RED 0
#define RB_BLACK 1

#define rb_entry(ptr, type, member) container_of(ptr, type, member)
#define rb_entry_safe(ptr, type, member) \
	((ptr) ? rb_entry(ptr, type, member) : NULL)

static inline struct rb_node *rb_parent(const struct rb_node *n)
{
	return (struct rb_node *)(n->__rb_parent_color & ~(uintptr_t)3);
}

static inline bool rb_is_black(const struct rb_node *n)
{
	return n->__rb_parent_color & 1;
}

static inline bool RB_EMPTY_ROOT(const struct rb_root *r)
{
	return r->rb_node == NULL;
}

/* A node that is in no tree points at itself (RB_CLEAR_NODE). */
static inline void RB_CLEAR_NODE(struct rb_node *n)
{
	n->__rb_parent_color = (uintptr_t)n;
}

static inline bool RB_EMPTY_NODE(const struct rb_node *n)
{
	return n->__rb_parent_color == (uintptr_t)n;
}

/* Hang @node (red, no children) at *@link below @parent; the caller then
 * calls rb_insert_color(). */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->__rb_parent_color = (uintptr_t)parent;	/* red */
	node->rb_left = node->rb_right = NULL;
	*link = node;
}

/* Rebalance after rb_link_node(). */
void rb_insert_color(struct rb_node *node, struct rb_root *root);
/* Unlink @node and rebalance.  The node may then be freed or reinserted. */
void rb_erase(struct rb_node *node, struct rb_root *root);
/* Put @new where @victim is (same key position); no rebalancing. */
void rb_replace_node(struct rb_node *victim, struct rb_node *new_node, struct rb_root *root);

/*
 * Augmented trees: each node caches a value computed from the node and
 * its children's cached values (a subtree maximum, say).  compute()
 * recomputes @node's value from its children's and returns true when it
 * changed.  The augmented insert and erase keep every cached value right
 * through the rebalancing.
 */
struct rb_augment_callbacks {
	bool (*compute)(struct rb_node *node);
};

/* rb_insert_color() for an augmented tree: the caller hangs @node with
 * rb_link_node() and sets its value to what a leaf of no weight has (0 for
 * a maximum); its real value and its ancestors' are computed here. */
void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *aug);
/* rb_erase() for an augmented tree. */
void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *aug);
/* @node's own part of its value changed (not the tree's shape): recompute
 * it and its ancestors, stopping where a value stays the same. */
void rb_augment_propagate(struct rb_node *node, const struct rb_augment_callbacks *aug);

/* In-order traversal; NULL at the ends. */
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/*
 * Structural check for tests and checkers: colours, black heights, parent
 * links.  Returns the number of nodes, or -1 with a reason in @msg.
 */
long rb_check(const struct rb_root *root, char *msg, size_t len);

#endif
