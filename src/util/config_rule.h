/*
 * Validation rules of the machine config, and what a rule may use.
 *
 * The key table, the parser and the error positions are util's
 * (config_load.c); the rules that say which values make a machine belong
 * to the layer that owns the keys (memory and zones to phys, cpu and tlb
 * to mmu, swap and the page cache to vma, the kernel's layout and the
 * process limits to kern).  util cannot call upward, so config_finalize()
 * runs a table of rules it is given: kern builds the one table that lists
 * every layer's rules, in the order their messages take precedence
 * (machine_config_rules[], kern/kern_config.c).
 *
 * A rule sees a derived config (config_derive() has run) whose every key
 * passed the parser's range checks and every rule before it in the
 * table.  It returns 0, or a negative errno with @err holding one line
 * that names where the key at fault was given (config_error*()).
 */
#ifndef VMSIM_UTIL_CONFIG_RULE_H
#define VMSIM_UTIL_CONFIG_RULE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/config.h"

typedef int config_rule_fn(const struct vmsim_config *c, struct vmsim_error *err);

/* One row of a rule table; a table ends with a row whose check is NULL. */
struct config_rule {
	const char *name;	/* the group of keys it checks: "cpu", "tlb", ... */
	config_rule_fn *check;
};

/*
 * An error about keys @a, @b, @k3 (enum cfg_key_id, -1: none), -EINVAL: the
 * message is placed at the first of them that was given ("FILE:LINE:COL: ",
 * "--set KEY=VALUE: "), since that is what the user can change; at the
 * config file when none was.
 */
int config_error3(const struct vmsim_config *c, struct vmsim_error *err, int a, int b, int k3,
		  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define config_error(c, err, a, b, ...) config_error3(c, err, a, b, -1, __VA_ARGS__)

/* The same at a position recorded by the parser (a reserve entry's own
 * position, c->src[id]); @src NULL or not given: the config file. */
int config_error_at(const struct vmsim_config *c, struct vmsim_error *err,
		    const struct cfg_src *src, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "KEY 0xVALUE is not aligned to SIZE@why" unless key @id's value is a
 * multiple of @align (a power of two); 0 when it is. */
int config_check_align(const struct vmsim_config *c, struct vmsim_error *err, int id,
		       uint64_t align, const char *why);

/* Key @id's dotted path ("tlb.l1d.entries") and its value as a number. */
const char *config_key_path(int id);
uint64_t config_key_value(const struct vmsim_config *c, int id);

/* "x86_32", "x86_64"; a cpu.paging value's name ("2level", "pae", ...). */
const char *config_arch_name(enum vmsim_arch arch);
const char *config_paging_name(unsigned paging);

static inline bool config_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

#endif
