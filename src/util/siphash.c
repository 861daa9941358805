/*
 * SipHash-2-4 (see siphash.h), written from the specification: the state
 * v0..v3 starts as the key xor the constants "somepseudorandomlygenerated
 * bytes"; every 8-byte little-endian word of the message goes through two
 * SipRounds, the last word also carries the length in its top byte, and
 * four more rounds finish.  The published test vectors (key 00..0f,
 * messages 00, 00 01, ...) are checked by tests/util/test_htab.c.
 */
#include "util/siphash.h"

#include <string.h>
#include <sys/auxv.h>

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3) do { \
	v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32); \
	v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32); \
} while (0)

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

uint64_t siphash(const void *data, size_t len, const siphash_key_t *key)
{
	const uint8_t *p = data, *end = p + (len & ~(size_t)7);
	uint64_t v0 = key->key[0] ^ 0x736f6d6570736575ULL;
	uint64_t v1 = key->key[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = key->key[0] ^ 0x6c7967656e657261ULL;
	uint64_t v3 = key->key[1] ^ 0x7465646279746573ULL;
	uint64_t b = (uint64_t)len << 56, m;

	for (; p != end; p += 8) {
		m = le64(p);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (unsigned i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

void siphash_host_key(siphash_key_t *key)
{
	const uint8_t *r = (const uint8_t *)getauxval(AT_RANDOM);

	if (r) {
		key->key[0] = le64(r);
		key->key[1] = le64(r + 8);
	} else {
		/* no auxiliary vector entry: still a good hash, only not secret */
		key->key[0] = 0x0706050403020100ULL;
		key->key[1] = 0x0f0e0d0c0b0a0908ULL;
	}
}
