/*
 * SipHash-2-4 (lib/siphash.c, after Aumasson and Bernstein): a keyed
 * 64-bit hash of a byte string.  The hash tables (util/htab.h) key it with
 * bytes the host kernel gave the process (AT_RANDOM), so input crafted to
 * make many keys collide cannot be written without knowing the key: no
 * YAML file, scenario or trace can turn a table lookup into a scan.
 */
#ifndef VMSIM_UTIL_SIPHASH_H
#define VMSIM_UTIL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t key[2];
} siphash_key_t;

/* SipHash-2-4 of @len bytes at @data under @key. */
uint64_t siphash(const void *data, size_t len, const siphash_key_t *key);

/* A key from the 16 random bytes the host kernel put in this process's
 * auxiliary vector (AT_RANDOM); a fixed key when there are none. */
void siphash_host_key(siphash_key_t *key);

#endif
