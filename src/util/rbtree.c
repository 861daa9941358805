/*
 * Red-black tree rebalancing (insert and erase) for intrusive trees.
 *
 * Invariant after every public call: the tree is a valid red-black tree
 * (black root, no red node with a red child, equal black height on every
 * path), and each node's parent pointer names the node whose child it is.
 * The owners do the ordered descent themselves; this file never compares
 * keys, so one implementation serves every tree.
 *
 * The algorithm is the textbook one (CLRS ch. 13) with the cases named as
 * in lib/rbtree.c; the rotations keep parent pointers up to date because
 * erase and rb_next() walk upward.
 *
 * Augmented trees (lib/rbtree_augmented.h's idea): each node may cache a
 * value computed from itself and its children's values.  A rotation
 * changes the subtrees of exactly the two rotated nodes, so it recomputes
 * those two; an insert recomputes upward from the new leaf, an erase from
 * where the splice happened (all the way through a successor that moved
 * up), each until a value stays the same; then they rebalance.  After every augmented
 * call each node's value is what compute() would give it.
 */
#include "util/rbtree.h"

#include <stdio.h>

static inline void rb_set_parent(struct rb_node *n, struct rb_node *p)
{
	n->__rb_parent_color = (uintptr_t)p | (n->__rb_parent_color & 1);
}

static inline void rb_set_color(struct rb_node *n, int color)
{
	n->__rb_parent_color = (n->__rb_parent_color & ~(uintptr_t)1) | (uintptr_t)color;
}

static inline bool rb_is_red(const struct rb_node *n)
{
	return n && !rb_is_black(n);
}

/* Make @new take @old's place under old's parent (or as the root). */
static inline void change_child(struct rb_node *old, struct rb_node *new_node,
				struct rb_node *parent, struct rb_root *root)
{
	if (!parent)
		root->rb_node = new_node;
	else if (parent->rb_left == old)
		parent->rb_left = new_node;
	else
		parent->rb_right = new_node;
}

/*
 *     x                y
 *    / \     left     / \
 *   a   y    ---->   x   c
 *      / \          / \
 *     b   c        a   b
 */
/* After a rotation that put @y where @x was: x's subtree changed, y's now
 * holds what x's held, so both values are recomputed and nothing above. */
static inline void augment_rotate(struct rb_node *x, struct rb_node *y,
				  const struct rb_augment_callbacks *aug)
{
	if (aug) {
		aug->compute(x);
		aug->compute(y);
	}
}

static void rotate_left(struct rb_node *x, struct rb_root *root,
			const struct rb_augment_callbacks *aug)
{
	struct rb_node *y = x->rb_right, *p = rb_parent(x);

	x->rb_right = y->rb_left;
	if (y->rb_left)
		rb_set_parent(y->rb_left, x);
	y->rb_left = x;
	rb_set_parent(y, p);
	change_child(x, y, p, root);
	rb_set_parent(x, y);
	augment_rotate(x, y, aug);
}

static void rotate_right(struct rb_node *x, struct rb_root *root,
			 const struct rb_augment_callbacks *aug)
{
	struct rb_node *y = x->rb_left, *p = rb_parent(x);

	x->rb_left = y->rb_right;
	if (y->rb_right)
		rb_set_parent(y->rb_right, x);
	y->rb_right = x;
	rb_set_parent(y, p);
	change_child(x, y, p, root);
	rb_set_parent(x, y);
	augment_rotate(x, y, aug);
}

static void insert_color(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *aug)
{
	struct rb_node *parent, *gparent, *uncle;

	while ((parent = rb_parent(node)) && rb_is_red(parent)) {
		/* a red parent is never the root, so the grandparent exists */
		gparent = rb_parent(parent);
		if (parent == gparent->rb_left) {
			uncle = gparent->rb_right;
			if (rb_is_red(uncle)) {
				/* Case 1: recolour and continue two levels up */
				rb_set_color(uncle, RB_BLACK);
				rb_set_color(parent, RB_BLACK);
				rb_set_color(gparent, RB_RED);
				node = gparent;
				continue;
			}
			if (node == parent->rb_right) {
				/* Case 2: turn the zig-zag into a line */
				rotate_left(parent, root, aug);
				node = parent;
				parent = rb_parent(node);
			}
			/* Case 3: rotate the grandparent */
			rb_set_color(parent, RB_BLACK);
			rb_set_color(gparent, RB_RED);
			rotate_right(gparent, root, aug);
		} else {
			uncle = gparent->rb_left;
			if (rb_is_red(uncle)) {
				rb_set_color(uncle, RB_BLACK);
				rb_set_color(parent, RB_BLACK);
				rb_set_color(gparent, RB_RED);
				node = gparent;
				continue;
			}
			if (node == parent->rb_left) {
				rotate_right(parent, root, aug);
				node = parent;
				parent = rb_parent(node);
			}
			rb_set_color(parent, RB_BLACK);
			rb_set_color(gparent, RB_RED);
			rotate_left(gparent, root, aug);
		}
	}
	rb_set_color(root->rb_node, RB_BLACK);
}

void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	insert_color(node, root, NULL);
}

void rb_augment_propagate(struct rb_node *node, const struct rb_augment_callbacks *aug)
{
	/* a node whose value did not change leaves its ancestors' as they are */
	for (; node && aug->compute(node); node = rb_parent(node))
		;
}

void rb_insert_augmented(struct rb_node *node, struct rb_root *root,
			 const struct rb_augment_callbacks *aug)
{
	/* the ancestors only gained a leaf: where a value does not change,
	 * none above it does (unlike erase, where a node moves up) */
	rb_augment_propagate(node, aug);
	insert_color(node, root, aug);
}

/*
 * Restore the black height after a black node was removed from below
 * @parent (on the side where @node, possibly NULL, now hangs).
 */
static void erase_color(struct rb_node *node, struct rb_node *parent, struct rb_root *root,
			const struct rb_augment_callbacks *aug)
{
	struct rb_node *sib;

	while (node != root->rb_node && !rb_is_red(node)) {
		if (parent->rb_left == node) {
			sib = parent->rb_right;
			if (rb_is_red(sib)) {
				/* Case 1: make the sibling black */
				rb_set_color(sib, RB_BLACK);
				rb_set_color(parent, RB_RED);
				rotate_left(parent, root, aug);
				sib = parent->rb_right;
			}
			if (!rb_is_red(sib->rb_left) && !rb_is_red(sib->rb_right)) {
				/* Case 2: push the deficit up */
				rb_set_color(sib, RB_RED);
				node = parent;
				parent = rb_parent(node);
				continue;
			}
			if (!rb_is_red(sib->rb_right)) {
				/* Case 3: the near nephew is red: rotate it out */
				rb_set_color(sib->rb_left, RB_BLACK);
				rb_set_color(sib, RB_RED);
				rotate_right(sib, root, aug);
				sib = parent->rb_right;
			}
			/* Case 4: the far nephew is red */
			rb_set_color(sib, rb_is_black(parent) ? RB_BLACK : RB_RED);
			rb_set_color(parent, RB_BLACK);
			rb_set_color(sib->rb_right, RB_BLACK);
			rotate_left(parent, root, aug);
			node = root->rb_node;
			break;
		} else {
			sib = parent->rb_left;
			if (rb_is_red(sib)) {
				rb_set_color(sib, RB_BLACK);
				rb_set_color(parent, RB_RED);
				rotate_right(parent, root, aug);
				sib = parent->rb_left;
			}
			if (!rb_is_red(sib->rb_left) && !rb_is_red(sib->rb_right)) {
				rb_set_color(sib, RB_RED);
				node = parent;
				parent = rb_parent(node);
				continue;
			}
			if (!rb_is_red(sib->rb_left)) {
				rb_set_color(sib->rb_right, RB_BLACK);
				rb_set_color(sib, RB_RED);
				rotate_left(sib, root, aug);
				sib = parent->rb_left;
			}
			rb_set_color(sib, rb_is_black(parent) ? RB_BLACK : RB_RED);
			rb_set_color(parent, RB_BLACK);
			rb_set_color(sib->rb_left, RB_BLACK);
			rotate_right(parent, root, aug);
			node = root->rb_node;
			break;
		}
	}
	if (node)
		rb_set_color(node, RB_BLACK);
}

static void erase(struct rb_node *node, struct rb_root *root,
		  const struct rb_augment_callbacks *aug)
{
	struct rb_node *child, *parent, *moved = NULL;
	int color;

	if (!node->rb_left || !node->rb_right) {
		/* at most one child: splice the node out */
		child = node->rb_left ? node->rb_left : node->rb_right;
		parent = rb_parent(node);
		color = rb_is_black(node);
		if (child)
			rb_set_parent(child, parent);
		change_child(node, child, parent, root);
	} else {
		/* two children: the successor (leftmost of the right subtree,
		 * which has no left child) takes the node's place and colour;
		 * the rebalancing happens where the successor was */
		struct rb_node *succ = node->rb_right, *left;

		while ((left = succ->rb_left))
			succ = left;
		child = succ->rb_right;
		parent = rb_parent(succ);
		color = rb_is_black(succ);
		if (parent == node) {
			parent = succ;
		} else {
			if (child)
				rb_set_parent(child, parent);
			parent->rb_left = child;
			succ->rb_right = node->rb_right;
			rb_set_parent(node->rb_right, succ);
		}
		succ->rb_left = node->rb_left;
		rb_set_parent(node->rb_left, succ);
		change_child(node, succ, rb_parent(node), root);
		succ->__rb_parent_color = node->__rb_parent_color;
		moved = succ;
	}
	/* the subtrees from where the splice happened up to the root lost
	 * @node: recompute them before the rotations (which keep values right
	 * locally).  Up to a successor that moved into @node's place every
	 * value is recomputed (its cached one belongs to its old place);
	 * above it, or above a plain splice, the first value that stays the
	 * same ends the walk */
	if (aug) {
		struct rb_node *n = parent;

		if (moved) {
			for (; n != moved; n = rb_parent(n))
				aug->compute(n);
			aug->compute(moved);
			n = rb_parent(moved);
		}
		rb_augment_propagate(n, aug);
	}
	if (color == RB_BLACK)
		erase_color(child, parent, root, aug);
}

void rb_erase(struct rb_node *node, struct rb_root *root)
{
	erase(node, root, NULL);
}

void rb_erase_augmented(struct rb_node *node, struct rb_root *root,
			const struct rb_augment_callbacks *aug)
{
	erase(node, root, aug);
}

void rb_replace_node(struct rb_node *victim, struct rb_node *new_node, struct rb_root *root)
{
	struct rb_node *parent = rb_parent(victim);

	*new_node = *victim;
	if (victim->rb_left)
		rb_set_parent(victim->rb_left, new_node);
	if (victim->rb_right)
		rb_set_parent(victim->rb_right, new_node);
	change_child(victim, new_node, parent, root);
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_left)
		n = n->rb_left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_right)
		n = n->rb_right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	struct rb_node *parent;

	if (node->rb_right) {
		node = node->rb_right;
		while (node->rb_left)
			node = node->rb_left;
		return (struct rb_node *)node;
	}
	/* up until we come from a left child */
	while ((parent = rb_parent(node)) && node == parent->rb_right)
		node = parent;
	return parent;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	struct rb_node *parent;

	if (node->rb_left) {
		node = node->rb_left;
		while (node->rb_right)
			node = node->rb_right;
		return (struct rb_node *)node;
	}
	while ((parent = rb_parent(node)) && node == parent->rb_left)
		node = parent;
	return parent;
}

/* Black height of the subtree at @n, or -1 on a violation (reported). */
static long check_node(const struct rb_node *n, const struct rb_node *parent, long *count,
		       char *msg, size_t len)
{
	long l, r;

	if (!n)
		return 1;
	if (rb_parent(n) != parent) {
		snprintf(msg, len, "node %p: parent link %p, expected %p", (const void *)n,
			 (const void *)rb_parent(n), (const void *)parent);
		return -1;
	}
	if (rb_is_red(n) && (rb_is_red(n->rb_left) || rb_is_red(n->rb_right))) {
		snprintf(msg, len, "node %p: red node with a red child", (const void *)n);
		return -1;
	}
	(*count)++;
	if ((l = check_node(n->rb_left, n, count, msg, len)) < 0 ||
	    (r = check_node(n->rb_right, n, count, msg, len)) < 0)
		return -1;
	if (l != r) {
		snprintf(msg, len, "node %p: black heights %ld (left) and %ld (right)",
			 (const void *)n, l, r);
		return -1;
	}
	return l + rb_is_black(n);
}

long rb_check(const struct rb_root *root, char *msg, size_t len)
{
	long count = 0;

	if (root->rb_node && rb_is_red(root->rb_node)) {
		snprintf(msg, len, "the root is red");
		return -1;
	}
	if (check_node(root->rb_node, NULL, &count, msg, len) < 0)
		return -1;
	return count;
}
