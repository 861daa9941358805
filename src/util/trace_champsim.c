/*
 * ChampSim traces, the format of the public research trace collections
 * (DPC-3, CRC-2, the SPEC and CloudSuite sets): a headerless sequence of
 * 64-byte `input_instr` records, little-endian, as ChampSim's tracer
 * writes them (inc/trace_instruction.h):
 *
 *     offset  size  field
 *          0     8  ip                       instruction pointer
 *          8     1  is_branch                0 or 1
 *          9     1  branch_taken             0 or 1
 *         10     2  destination_registers[2]
 *         12     4  source_registers[4]
 *         16    16  destination_memory[2]    store addresses, 0 = none
 *         32    32  source_memory[4]         load addresses, 0 = none
 *
 * A record gives an I for the ip, then an L per source operand, then an S
 * per destination operand: the order an instruction reads and writes.
 * The record holds no access sizes; each access is one byte, so none
 * crosses a page.
 *
 * Invariant: a record is checked whole before any of its accesses is
 * delivered: is_branch and branch_taken are 0 or 1, the ip is not 0 and
 * every address is canonical x86-64; anything else names the record.
 * Detection asks the same of the first record.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/trace_format.h"

#define CHAMPSIM_REC 64
#define NR_DST 2
#define NR_SRC 4

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static bool canonical(uint64_t a)
{
	uint64_t hi = a >> 47;

	return hi == 0 || hi == 0x1ffff;
}

/* Is the record well formed?  If not, @why (@cap bytes) says why. */
static bool check(const unsigned char *b, char *why, size_t cap)
{
	uint64_t ip = le64(b);

	if (ip == 0) {
		snprintf(why, cap, "instruction pointer 0");
		return false;
	}
	if (!canonical(ip)) {
		snprintf(why, cap, "instruction pointer %#llx is not a canonical x86-64 address",
			 (unsigned long long)ip);
		return false;
	}
	if (b[8] > 1 || b[9] > 1) {
		snprintf(why, cap, "%s is %u, not 0 or 1", b[8] > 1 ? "is_branch" : "branch_taken",
			 b[8] > 1 ? b[8] : b[9]);
		return false;
	}
	for (unsigned i = 0; i < NR_DST + NR_SRC; i++) {
		uint64_t a = le64(b + 16 + 8 * i);

		if (!canonical(a)) {
			snprintf(why, cap, "%s_memory[%u] %#llx is not a canonical x86-64 address",
				 i < NR_DST ? "destination" : "source", i < NR_DST ? i : i - NR_DST,
				 (unsigned long long)a);
			return false;
		}
	}
	return true;
}

/* The first record is well formed: a record in text or in another binary
 * format fails its checks (a NUL-free text never has a canonical ip; an
 * ELF header's first word is no canonical address), and a bad record
 * further on is an error naming it rather than a wrong guess. */
static bool champsim_probe(const char *buf, size_t len, bool eof)
{
	char why[128];

	return len >= CHAMPSIM_REC && check((const unsigned char *)buf, why, sizeof(why));
}

static int champsim_next(struct trace_reader *r, struct trace_rec *rec,
			 struct vmsim_error *err)
{
	unsigned char b[CHAMPSIM_REC];
	char why[128];
	unsigned n = 0;
	int ret = trace_next_bytes(r, b, sizeof(b), err);

	if (ret <= 0)
		return ret;
	if (!check(b, why, sizeof(why)))
		return trace_bad_record(r, err, "%s", why);
	rec->type = TRACE_I;
	rec->addr = le64(b);
	rec->size = 1;
	/* the rest wait in the reader's queue, which is empty when next() runs */
	for (unsigned i = 0; i < NR_SRC; i++) {
		uint64_t a = le64(b + 32 + 8 * i);

		if (a)
			r->queue[n++] = (struct trace_rec){ .addr = a, .size = 1, .type = TRACE_L };
	}
	for (unsigned i = 0; i < NR_DST; i++) {
		uint64_t a = le64(b + 16 + 8 * i);

		if (a)
			r->queue[n++] = (struct trace_rec){ .addr = a, .size = 1, .type = TRACE_S };
	}
	r->qpos = 0;
	r->qlen = n;
	return 1;
}

const struct trace_format_ops trace_champsim_ops = {
	.name = "champsim",
	.label = "ChampSim",
	.probe = champsim_probe,
	.next = champsim_next,
};
