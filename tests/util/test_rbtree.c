/*
 * Tests of the intrusive red-black tree (src/util/rbtree.c): insertion
 * orders that exercise every rebalancing case, erasure of leaves, inner
 * nodes and the root, traversal both ways, rb_replace_node, and a long
 * randomized run against a sorted array, with rb_check() (colours, black
 * heights, parent links) after every operation; and an augmented tree
 * (subtree maxima) whose cached values are checked after random inserts,
 * erases and value changes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/rbtree.h"

struct item {
	struct rb_node rb;
	long key;
};

static void insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = it->key < rb_entry(parent, struct item, rb)->key ? &parent->rb_left
								       : &parent->rb_right;
	}
	rb_link_node(&it->rb, parent, link);
	rb_insert_color(&it->rb, root);
}

static struct item *search(struct rb_root *root, long key)
{
	struct rb_node *n = root->rb_node;

	while (n) {
		struct item *it = rb_entry(n, struct item, rb);
		if (key == it->key)
			return it;
		n = key < it->key ? n->rb_left : n->rb_right;
	}
	return NULL;
}

/* The tree is valid and its in-order keys are @keys[0..n), both ways. */
static void check_tree(struct rb_root *root, const long *keys, size_t n)
{
	char msg[160];
	long c = rb_check(root, msg, sizeof(msg));
	struct rb_node *p;
	size_t i = 0;

	if (c < 0)
		fail_msg("rb_check: %s", msg);
	assert_int_equal(c, n);
	for (p = rb_first(root); p; p = rb_next(p), i++) {
		assert_true(i < n);
		assert_int_equal(rb_entry(p, struct item, rb)->key, keys[i]);
	}
	assert_int_equal(i, n);
	for (p = rb_last(root); p; p = rb_prev(p))
		assert_int_equal(rb_entry(p, struct item, rb)->key, keys[--i]);
	assert_int_equal(i, 0);
}

static int height(const struct rb_node *n)
{
	int l, r;

	if (!n)
		return 0;
	l = height(n->rb_left);
	r = height(n->rb_right);
	return 1 + (l > r ? l : r);
}

static void test_rbtree_empty(void **state)
{
	struct rb_root root = RB_ROOT;
	struct item a = { .key = 1 };

	(void)state;
	assert_null(rb_first(&root));
	assert_null(rb_last(&root));
	check_tree(&root, NULL, 0);
	insert(&root, &a);
	check_tree(&root, (long[]){ 1 }, 1);
	assert_true(rb_is_black(&a.rb));
	rb_erase(&a.rb, &root);
	assert_true(RB_EMPTY_ROOT(&root));
}

static void test_rbtree_ascending_and_descending_inserts_stay_balanced(void **state)
{
	enum { N = 1023 };
	struct item *items = calloc(N, sizeof(*items));
	long *keys = calloc(N, sizeof(*keys));
	struct rb_root root = RB_ROOT;

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		root = RB_ROOT;
		for (long i = 0; i < N; i++) {
			items[i].key = pass ? N - 1 - i : i;
			insert(&root, &items[i]);
		}
		for (long i = 0; i < N; i++)
			keys[i] = i;
		check_tree(&root, keys, N);
		/* height bound of a red-black tree: 2 log2(n + 1) = 20 */
		assert_true(height(root.rb_node) <= 20);
	}
	free(items);
	free(keys);
}

static void test_rbtree_erase_root_inner_and_leaf(void **state)
{
	struct item it[7];
	struct rb_root root = RB_ROOT;
	long order[] = { 40, 20, 60, 10, 30, 50, 70 };

	(void)state;
	for (int i = 0; i < 7; i++) {
		it[i].key = order[i];
		insert(&root, &it[i]);
	}
	check_tree(&root, (long[]){ 10, 20, 30, 40, 50, 60, 70 }, 7);
	rb_erase(&search(&root, 40)->rb, &root);	/* the root: two children */
	check_tree(&root, (long[]){ 10, 20, 30, 50, 60, 70 }, 6);
	rb_erase(&search(&root, 10)->rb, &root);	/* a leaf */
	check_tree(&root, (long[]){ 20, 30, 50, 60, 70 }, 5);
	rb_erase(&search(&root, 60)->rb, &root);	/* inner */
	check_tree(&root, (long[]){ 20, 30, 50, 70 }, 4);
	assert_null(search(&root, 60));
}

static void test_rbtree_replace_node_keeps_shape(void **state)
{
	struct item it[5], repl = { .key = 3 };
	struct rb_root root = RB_ROOT;

	(void)state;
	for (int i = 0; i < 5; i++) {
		it[i].key = i + 1;
		insert(&root, &it[i]);
	}
	rb_replace_node(&it[2].rb, &repl.rb, &root);
	check_tree(&root, (long[]){ 1, 2, 3, 4, 5 }, 5);
	assert_ptr_equal(search(&root, 3), &repl);
}

static void test_rbtree_random_against_sorted_array(void **state)
{
	enum { N = 600, OPS = 20000 };
	struct item *items = calloc(N, sizeof(*items));
	bool *in = calloc(N, sizeof(*in));
	long *keys = calloc(N, sizeof(*keys));
	struct rb_root root = RB_ROOT;
	unsigned seed = 12345;

	(void)state;
	for (long i = 0; i < N; i++)
		items[i].key = i * 7 % N;	/* distinct keys, scattered */
	for (int op = 0; op < OPS; op++) {
		long i;
		size_t n = 0;

		seed = seed * 1103515245 + 12345;
		i = (long)((seed >> 8) % N);
		if (in[i])
			rb_erase(&items[i].rb, &root);
		else
			insert(&root, &items[i]);
		in[i] = !in[i];
		if (op % 97 && op < OPS - 1)
			continue;	/* the full check is O(n): every 97th op */
		for (long k = 0; k < N; k++)	/* keys in order: key k belongs to item k*... */
			for (long j = 0; j < N; j++)
				if (items[j].key == k && in[j]) {
					keys[n++] = k;
					break;
				}
		check_tree(&root, keys, n);
	}
	/* and the structural check after every single operation on a smaller set */
	root = RB_ROOT;
	memset(in, 0, N * sizeof(*in));
	for (int op = 0; op < 5000; op++) {
		char msg[160];
		long i;

		seed = seed * 1103515245 + 12345;
		i = (long)((seed >> 8) % 64);
		if (in[i])
			rb_erase(&items[i].rb, &root);
		else
			insert(&root, &items[i]);
		in[i] = !in[i];
		if (rb_check(&root, msg, sizeof(msg)) < 0)
			fail_msg("op %d: %s", op, msg);
	}
	free(items);
	free(in);
	free(keys);
}

static void test_rbtree_check_detects_corruption(void **state)
{
	struct item it[3];
	struct rb_root root = RB_ROOT;
	char msg[160];

	(void)state;
	for (int i = 0; i < 3; i++) {
		it[i].key = i;
		insert(&root, &it[i]);
	}
	assert_true(rb_check(&root, msg, sizeof(msg)) == 3);
	/* paint the root red: invalid */
	root.rb_node->__rb_parent_color &= ~(uintptr_t)1;
	assert_true(rb_check(&root, msg, sizeof(msg)) < 0);
	root.rb_node->__rb_parent_color |= 1;
	/* break a parent link */
	struct rb_node *leaf = root.rb_node->rb_left;
	uintptr_t saved = leaf->__rb_parent_color;
	leaf->__rb_parent_color = (uintptr_t)leaf | (saved & 1);
	assert_true(rb_check(&root, msg, sizeof(msg)) < 0);
	leaf->__rb_parent_color = saved;
	/* two black children under a black root with a red sibling path */
	rb_entry(root.rb_node->rb_left, struct item, rb)->rb.__rb_parent_color |= 1;
	assert_true(rb_check(&root, msg, sizeof(msg)) < 0);
}

/* ---- augmented: each node caches the largest val in its subtree ---- */

struct aitem {
	struct rb_node rb;
	long key, val, subtree_max;
};

static long subtree_max(const struct rb_node *n)
{
	return n ? rb_entry(n, struct aitem, rb)->subtree_max : -1;
}

static bool aitem_compute(struct rb_node *n)
{
	struct aitem *a = rb_entry(n, struct aitem, rb);
	long max = a->val, old = a->subtree_max;

	if (subtree_max(n->rb_left) > max)
		max = subtree_max(n->rb_left);
	if (subtree_max(n->rb_right) > max)
		max = subtree_max(n->rb_right);
	a->subtree_max = max;
	return max != old;
}

static const struct rb_augment_callbacks aitem_cb = { aitem_compute };

static void ainsert(struct rb_root *root, struct aitem *it)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = it->key < rb_entry(parent, struct aitem, rb)->key ? &parent->rb_left
									: &parent->rb_right;
	}
	rb_link_node(&it->rb, parent, link);
	it->subtree_max = -1;	/* a leaf of no weight, as rb_insert_augmented() wants */
	rb_insert_augmented(&it->rb, root, &aitem_cb);
}

/* Every cached value is the true subtree maximum; returns that of @n. */
static long check_aug(const struct rb_node *n)
{
	const struct aitem *a;
	long l, r, max;

	if (!n)
		return -1;
	a = rb_entry(n, struct aitem, rb);
	l = check_aug(n->rb_left);
	r = check_aug(n->rb_right);
	max = a->val > l ? a->val : l;
	max = max > r ? max : r;
	if (a->subtree_max != max)
		fail_msg("key %ld: cached %ld, subtree max %ld", a->key, a->subtree_max, max);
	return max;
}

/* Random inserts, erases and value changes: after each, the tree is valid
 * and every cached maximum is right (every rebalancing case is hit). */
static void test_rbtree_augmented_values_follow_every_change(void **state)
{
	enum { N = 3000 };
	struct aitem *items = calloc(N, sizeof(*items));
	bool *in = calloc(N, sizeof(*in));
	struct rb_root root = RB_ROOT;
	unsigned long x = 12345;
	char msg[160];

	(void)state;
	for (int op = 0; op < 30000; op++) {
		int i;

		x = x * 6364136223846793005UL + 1442695040888963407UL;
		i = (int)((x >> 33) % N);
		if (!in[i]) {
			items[i].key = (long)((x >> 13) % 100000);
			items[i].val = (long)((x >> 40) % 1000000);
			ainsert(&root, &items[i]);
			in[i] = true;
		} else if ((x >> 20) & 1) {
			rb_erase_augmented(&items[i].rb, &root, &aitem_cb);
			in[i] = false;
		} else {
			items[i].val = (long)((x >> 40) % 1000000);
			rb_augment_propagate(&items[i].rb, &aitem_cb);
		}
		if (rb_check(&root, msg, sizeof(msg)) < 0)
			fail_msg("op %d: %s", op, msg);
		check_aug(root.rb_node);
	}
	free(items);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rbtree_empty),
		cmocka_unit_test(test_rbtree_ascending_and_descending_inserts_stay_balanced),
		cmocka_unit_test(test_rbtree_erase_root_inner_and_leaf),
		cmocka_unit_test(test_rbtree_replace_node_keeps_shape),
		cmocka_unit_test(test_rbtree_random_against_sorted_array),
		cmocka_unit_test(test_rbtree_check_detects_corruption),
		cmocka_unit_test(test_rbtree_augmented_values_follow_every_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
