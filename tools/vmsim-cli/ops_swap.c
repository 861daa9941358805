/*
 * Scenario ops of swap and reclaim (see scenario.h):
 *   swapon      { size, priority }   value: the new area's type (0, 1, ...)
 *   swapoff     { area }             area: a type number or a /proc/swaps name
 *   drop_caches 1                    echo 1 > /proc/sys/vm/drop_caches
 *   sysctl      { vm.swappiness, vm.page-cluster }
 * and the reclaim part of `expect`: { vmstat: { NAME: VALUE, ... } } with
 * /proc/vmstat's names (pswpout, pgscan_kswapd, nr_inactive_file, ...),
 * and { swap_free, swap_total } in pages.
 *
 * A swapon or swapoff the kernel would refuse is the step's outcome (the
 * errno, with the reason); swapoff of an area whose pages memory cannot
 * hold is ENOMEM and leaves the area on.  Invariant: the ops change the
 * machine only through sys_swapon(), sys_swapoff(), drop_pagecache() and
 * the sysctl values reclaim reads (m->cfg.swappiness, page_cluster).
 */
#include <errno.h>
#include <string.h>

#include "kern/machine.h"
#include "scenario.h"
#include "util/error.h"
#include "vma/filemap.h"
#include "vma/swapfile.h"

static const char *const swapon_keys[] = { "size", "priority", NULL };
static const char *const swapoff_keys[] = { "area", NULL };
static const char *const sysctl_keys[] = { "vm.swappiness", "vm.page-cluster", NULL };

/* A refused call: the errno and the kernel's reason. */
static void refused(struct scn_step *st, int err, const struct vmsim_error *e)
{
	scn_error(st, err);
	snprintf(st->why, sizeof(st->why), "%.*s", (int)sizeof(st->why) - 1, e->msg);
}

static int op_swapon(struct scn *s, struct scn_step *st)
{
	struct vmsim_machine *m = scn_machine(s);
	struct vmsim_error e = { 0 };
	uint64_t size, prio = 0;
	unsigned type;
	int ret, has_prio;

	if ((ret = scn_arg_u64(s, st, "size", true, &size)) < 0)
		return ret;
	if ((has_prio = scn_arg_u64(s, st, "priority", false, &prio)) < 0)
		return has_prio;
	if (has_prio == 0 && prio > 32767)
		return scn_bad(s, st, scn_arg(st, "priority"), "priority: 0..32767 "
			       "(SWAP_FLAG_PRIO_MASK), or none for the next default");
	ret = sys_swapon(&m->vm, size, (int)prio, has_prio == 0, &type, &e);
	if (ret)
		refused(st, ret, &e);
	else
		scn_value(st, type);
	return 0;
}

static int op_swapoff(struct scn *s, struct scn_step *st)
{
	struct vmsim_machine *m = scn_machine(s);
	const struct ynode *n = scn_arg(st, "area");
	struct vmsim_error e = { 0 };
	uint64_t type;
	int ret;

	if (!n || n->type != YNODE_SCALAR)
		return scn_bad(s, st, n ? n : st->args, "area: a swap type (0, 1, ...) or a "
			       "/proc/swaps name such as /dev/swap0");
	if (n->scalar[0] == '/') {
		int t = swap_type_of_name(&m->vm, n->scalar);

		if (t < 0) {
			/* swapoff(2) of a path that is no active area */
			snprintf(e.msg, sizeof(e.msg), "swapoff: %s is no swap area", n->scalar);
			refused(st, -EINVAL, &e);
			return 0;
		}
		type = (uint64_t)t;
	} else if (scn_node_u64(s, st, n, &type)) {
		return -EINVAL;
	}
	ret = sys_swapoff(&m->vm, type < MAX_SWAPFILES ? (unsigned)type : MAX_SWAPFILES, &e);
	if (ret)
		refused(st, ret, &e);
	else
		st->out.kind = OUT_NONE;
	return 0;
}

/* drop_caches_sysctl_handler() for 1: clean page cache pages nothing maps
 * leave, with the shadow entries; the value is the pages dropped.  2 and 3
 * also shrink the slab caches' reclaimable objects, which vmsim has no
 * shrinkers for. */
static int op_drop_caches(struct scn *s, struct scn_step *st)
{
	uint64_t v;

	if (!st->args || st->args->type != YNODE_SCALAR || scn_node_u64(s, st, st->args, &v))
		return scn_bad(s, st, st->args, "drop_caches: 1 (the page cache)");
	if (v != 1)
		return scn_bad(s, st, st->args, "drop_caches: only 1 (the page cache); vmsim has "
			       "no slab shrinkers for 2 and 3");
	scn_value(st, drop_pagecache(&scn_machine(s)->vm));
	return 0;
}

/* The vm sysctls reclaim reads, changed at run time. */
static int op_sysctl(struct scn *s, struct scn_step *st)
{
	struct vmsim_config *c = &scn_machine(s)->cfg;
	uint64_t v;
	int ret;

	if ((ret = scn_arg_u64(s, st, "vm.swappiness", false, &v)) < 0)
		return ret;
	if (ret == 0) {
		if (v > 200)
			return scn_bad(s, st, scn_arg(st, "vm.swappiness"), "vm.swappiness: 0..200");
		c->swappiness = (unsigned)v;
	}
	if ((ret = scn_arg_u64(s, st, "vm.page-cluster", false, &v)) < 0)
		return ret;
	if (ret == 0) {
		if (v > 31)
			return scn_bad(s, st, scn_arg(st, "vm.page-cluster"), "vm.page-cluster: 0..31");
		c->page_cluster = (unsigned)v;
	}
	st->out.kind = OUT_NONE;
	return 0;
}

const struct scn_op scn_ops_swap[] = {
	{ "swapon", op_swapon, swapon_keys },
	{ "swapoff", op_swapoff, swapoff_keys },
	{ "drop_caches", op_drop_caches, NULL },
	{ "sysctl", op_sysctl, sysctl_keys },
	{ NULL, NULL, NULL },
};

/* ---- expect ---- */

static const char *const reclaim_expect_keys[] = { "vmstat", "swap_free", "swap_total", NULL };

static int expect_reclaim(struct scn *s, struct scn_step *st)
{
	struct vmsim_machine *m = scn_machine(s);
	const struct ynode *n = scn_arg(st, "vmstat");
	uint64_t want;
	int ret;

	if ((ret = scn_arg_u64(s, st, "swap_free", false, &want)) < 0)
		return ret;
	if (ret == 0)
		scn_expect_count(s, st, "swap_free", want, m->pm.nr_swap_pages);
	if ((ret = scn_arg_u64(s, st, "swap_total", false, &want)) < 0)
		return ret;
	if (ret == 0)
		scn_expect_count(s, st, "swap_total", want, m->pm.total_swap_pages);
	if (!n)
		return 0;
	if (n->type != YNODE_MAP || !n->n)
		return scn_bad(s, st, n, "vmstat: a mapping of /proc/vmstat names to values");
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = ymap_key(n, i);
		unsigned long got;

		if (vmstat_read(&m->pm, k->scalar, &got))
			return scn_bad(s, st, k, "vmstat: no counter '%s' (the /proc/vmstat names "
				       "vmsim keeps: pswpout, pgscan_kswapd, nr_inactive_file, ...)",
				       k->scalar);
		if (scn_node_u64(s, st, ymap_val(n, i), &want))
			return -EINVAL;
		scn_expect_count(s, st, k->scalar, want, got);
	}
	return 0;
}

const struct scn_expect_part scn_expect_reclaim = { reclaim_expect_keys, expect_reclaim };
