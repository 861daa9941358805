/*
 * bench_api: the cost of the public API over the internal call it wraps,
 * in the same run (ratio = API time / internal time; target <= 1.1):
 *
 *   vmsim_read, 1 byte         vs task_access() of the same byte
 *   vmsim_write, 8 bytes       vs task_access() of the same 8 bytes
 *   vmsim_replay_batch, 256    vs replay_one() over the same records
 *   vmsim_replay_access        vs replay_one() of the same record, inlined
 *                              in the loop: a call and the replay's state
 *                              loaded again, against a TLB hit of ~2 ns
 *   vmsim_translate (kernel)   vs translate() on CPU 0, inlined the same
 *                              way: the call is most of the difference
 *
 * Every access hits the TLB on pages already faulted in, the path a
 * replay or a long-running program spends its time on.  The two sides
 * alternate in many short rounds and the best round of each counts, so a
 * noisy neighbour does not decide the ratio.  Both are linked statically, as
 * the CLI links them: a program using libvmsim.so pays one PLT jump more
 * per call.  Not a test: nothing is asserted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "kern/replay.h"
#include "kern/task.h"
#include "vmsim/vmsim.h"

#define PAGES 16
#define OPS 20000
#define ROUNDS 201
#define BATCH 256

static volatile uint64_t sink;

struct bench {
	struct vmsim_machine *m;
	struct task_struct *t;
	struct replay rp;
	struct vmsim_replay *vrp;
	uint64_t base;
};

typedef void (*op_fn)(struct bench *b, unsigned long n);

static void api_read1(struct bench *b, unsigned long n)
{
	struct vmsim_outcome o;
	uint8_t c = 0;

	for (unsigned long i = 0; i < n; i++) {
		vmsim_read((struct vmsim_task *)b->t, b->base + (i % PAGES) * 4096 + (i & 63), &c, 1,
			   &o);
		sink += c;
	}
}

static void int_read1(struct bench *b, unsigned long n)
{
	struct access_result r;
	uint8_t c = 0;

	for (unsigned long i = 0; i < n; i++) {
		task_access(b->t, b->base + (i % PAGES) * 4096 + (i & 63), MMU_READ, &c, 1, &r);
		sink += c;
	}
}

static void api_write8(struct bench *b, unsigned long n)
{
	struct vmsim_outcome o;

	for (unsigned long i = 0; i < n; i++)
		vmsim_write((struct vmsim_task *)b->t, b->base + (i % PAGES) * 4096 + (i & 63) * 8, &i,
			    8, &o);
}

static void int_write8(struct bench *b, unsigned long n)
{
	struct access_result r;

	for (unsigned long i = 0; i < n; i++)
		task_access(b->t, b->base + (i % PAGES) * 4096 + (i & 63) * 8, MMU_WRITE, &i, 8, &r);
}

static void api_replay(struct bench *b, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		vmsim_replay_access(b->vrp, b->base + (i % PAGES) * 4096, 8, VMSIM_REC_L);
}

static void int_replay(struct bench *b, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		struct trace_rec rec = { b->base + (i % PAGES) * 4096, 8, TRACE_L };

		replay_one(&b->rp, &rec);
	}
}

static struct vmsim_rec api_recs[BATCH];
static struct trace_rec int_recs[BATCH];

static void make_recs(void)
{
	for (unsigned i = 0; i < BATCH; i++) {
		uint64_t a = (i % PAGES) * 4096 + (i * 8 & 0xff8);

		api_recs[i] = (struct vmsim_rec){ a, 8, i % 3 ? VMSIM_REC_L : VMSIM_REC_S };
		int_recs[i] = (struct trace_rec){ a, 8, i % 3 ? TRACE_L : TRACE_S };
	}
}

static void api_batch(struct bench *b, unsigned long n)
{
	for (unsigned long i = 0; i < n; i += BATCH)
		vmsim_replay_batch(b->vrp, api_recs, BATCH);
}

static void int_batch(struct bench *b, unsigned long n)
{
	/* the loop of `vmsim-cli replay`: stop when memory ran out */
	for (unsigned long i = 0; i < n; i += BATCH)
		for (unsigned j = 0; j < BATCH && !b->rp.oom; j++)
			replay_one(&b->rp, &int_recs[j]);
}

static void api_translate(struct bench *b, unsigned long n)
{
	struct vmsim_translation r;

	for (unsigned long i = 0; i < n; i++) {
		vmsim_translate(b->m, NULL, 0xffff880000000000ULL + (i % PAGES) * 4096, NULL, &r);
		sink += r.pa;
	}
}

static void int_translate(struct bench *b, unsigned long n)
{
	struct vmsim_cpu *cpu = &b->m->cpus[0];
	struct vmsim_fault f;
	uint64_t pa = 0;

	for (unsigned long i = 0; i < n; i++) {
		translate(cpu, 0xffff880000000000ULL + (i % PAGES) * 4096, MMU_READ, MMU_KERNEL, &pa, &f);
		sink += pa;
	}
}

/* One round of @fn (after @before): ns per op, kept in *best when lower. */
static void round_of(struct bench *b, op_fn fn, void (*before)(struct bench *b), double *best)
{
	double t0, ns;

	if (before)
		before(b);
	t0 = bench_now();
	fn(b, OPS);
	ns = (bench_now() - t0) * 1e9 / OPS;
	if (ns < *best)
		*best = ns;
}

/* Best-of-ROUNDS ns per op of each side, alternating. */
static void compare(struct bench *b, const char *what, op_fn api, op_fn internal, const char *ref,
		    void (*before)(struct bench *b))
{
	double best_api = 1e30, best_int = 1e30;

	for (int r = 0; r < ROUNDS; r++) {
		round_of(b, api, before, &best_api);
		round_of(b, internal, before, &best_int);
	}
	printf("%-26s %7.2f ns | %-22s %7.2f ns | ratio %5.3f (target <= 1.1%s)\n", what, best_api,
	       ref, best_int, best_api / best_int, best_api / best_int <= 1.1 ? ", met" : ", MISSED");
}

/* The kernel's translations run on cpu 0's current tables: the kernel's. */
static void kernel_tables(struct bench *b)
{
	struct vmsim_fault f;
	uint64_t pa;

	if (b->m->cpus[0].cr3 != b->m->vm.kernel_pgd)
		mmu_load_cr3(&b->m->cpus[0], b->m->vm.kernel_pgd, 0, false);
	for (unsigned p = 0; p < PAGES; p++)
		translate(&b->m->cpus[0], 0xffff880000000000ULL + p * 4096, MMU_READ, MMU_KERNEL, &pa,
			  &f);
}

static void task_tables(struct bench *b)
{
	context_switch(b->m, 0, b->t);
}

int main(void)
{
	struct bench b = { 0 };
	struct vmsim_task *vt;
	uint64_t zero = 0;

	b.m = bench_boot("bench_api", "256MiB");
	if (vmsim_task_spawn(b.m, "bench", NULL, &vt) ||
	    vmsim_mmap(vt, 0, PAGES * 4096, VMSIM_PROT_READ | VMSIM_PROT_WRITE,
		       VMSIM_MAP_PRIVATE | VMSIM_MAP_ANONYMOUS, NULL, 0, &b.base)) {
		fprintf(stderr, "bench_api: cannot set up the task\n");
		return 1;
	}
	b.t = (struct task_struct *)vt;
	make_recs();
	for (unsigned i = 0; i < BATCH; i++) {
		api_recs[i].addr += b.base;
		int_recs[i].addr += b.base;
	}
	for (unsigned p = 0; p < PAGES; p++)
		vmsim_write(vt, b.base + p * 4096, &zero, 8, NULL);	/* faulted in */
	replay_init(&b.rp, b.m, b.t, REPLAY_TASK);
	if (vmsim_replay_open(b.m, vt, VMSIM_REPLAY_TASK, &b.vrp)) {
		fprintf(stderr, "bench_api: cannot open a replay\n");
		return 1;
	}
	printf("bench_api: %d ops a round, best of %d rounds each, %d pages in the TLB\n", OPS,
	       ROUNDS,
	       PAGES);
	compare(&b, "vmsim_read, 1 byte", api_read1, int_read1, "task_access, 1 byte", task_tables);
	compare(&b, "vmsim_write, 8 bytes", api_write8, int_write8, "task_access, 8 bytes",
		task_tables);
	compare(&b, "vmsim_replay_batch, 256", api_batch, int_batch, "replay_one x 256",
		task_tables);
	compare(&b, "vmsim_replay_access", api_replay, int_replay, "replay_one (inlined)",
		task_tables);
	compare(&b, "vmsim_translate, kernel", api_translate, int_translate, "translate() (inlined)",
		kernel_tables);
	vmsim_replay_close(b.vrp);
	vmsim_machine_destroy(b.m);
	return 0;
}
