/*
 * Page replacement in N frames (src/kern/replace.c) on the real page
 * tables of a replayed task.
 *
 * Known answers from the textbooks: Silberschatz's reference string at 3
 * frames (FIFO 15 faults, LRU 12, OPT 9), Belady's anomaly (FIFO on
 * 1 2 3 4 1 2 5 1 2 3 4 5: 9 faults in 3 frames, 10 in 4), the clock
 * worked by hand.  Then every policy against a model written here with
 * nothing but arrays and linear scans (reference bits set on every
 * reference, as the textbooks draw them), on random strings with reads
 * and writes: the same faults, evictions, writes to disk and resident
 * pages, with the checker (resident set == present PTEs) after every
 * reference.  Last, linux (the kernel's reclaim in a memory cgroup) on
 * loops whose answers do not depend on the details of reclaim.
 */
#include "kern_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kern/replace.h"
#include "kern/replay.h"
#include "kern/task.h"
#include "vma/mm.h"

struct ref {
	unsigned page;
	bool write;
};

struct run {
	struct replace_stats st;
	unsigned resident[64];		/* the pages resident at the end, by frame */
	unsigned nr_resident;
};

/* The string as a pages trace in a temporary file (OPT reads it). */
static void write_string(char *path, const struct ref *refs, size_t n)
{
	int fd;
	FILE *f;

	strcpy(path, "/tmp/vmsim-test-replace-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%u%s%c", refs[i].page, refs[i].write ? "w" : "", i % 10 == 9 ? '\n' : ' ');
	assert_int_equal(fclose(f), 0);
}

/* Replay @refs through @policy in @frames frames, on a machine with @sets;
 * the checker after each. */
static void replay_string_on(const char *const *sets, const char *policy,
			     const struct replace_params *p, const struct ref *refs, size_t n,
			     struct run *out)
{
	struct vmsim_machine *m = boot_with("x86_64", sets);
	struct vmsim_error err = { 0 };
	struct spawn_args sa = { 0 };
	struct task_struct *t;
	struct replay rp;
	struct replace rs;
	char path[64] = "";

	assert_int_equal(task_spawn(m, "replay", &sa, &t), 0);
	replay_init(&rp, m, t, REPLAY_FLAT);
	if (replace_init(&rs, replace_find(policy), p, m, t, &rp.page_touches, &err))
		fail_msg("%s: %s", policy, err.msg);
	if (replace_find(policy)->flags & REPLACE_FUTURE) {
		write_string(path, refs, n);
		if (replace_opt_prepare(&rs, path, TRACE_PAGES, &err))
			fail_msg("%s: %s", policy, err.msg);
		unlink(path);
		assert_int_equal(rs.nr_touches, n);
	}
	if (replace_find(policy)->flags & REPLACE_FOOTPRINT) {
		write_string(path, refs, n);
		if (replace_footprint_prepare(&rs, path, TRACE_PAGES, &err))
			fail_msg("%s: %s", policy, err.msg);
		unlink(path);
	}
	rp.rs = &rs;
	for (size_t i = 0; i < n; i++) {
		struct trace_rec rec = { TRACE_PAGES_BASE + ((uint64_t)refs[i].page << 12), 1,
					 refs[i].write ? TRACE_S : TRACE_L };

		replay_one(&rp, &rec);
		assert_false(rp.oom);
		if (replace_check(&rs, &err))
			fail_msg("%s, reference %zu (page %u): %s", policy, i, refs[i].page, err.msg);
	}
	check(m);
	out->st = *replace_stats(&rs);
	out->nr_resident = rs.nr_used;
	for (uint32_t s = 0; s < rs.nr_used; s++)
		out->resident[s] = (unsigned)((rs.f[s].vpn << 12) - TRACE_PAGES_BASE) >> 12;
	replace_destroy(&rs);
	vmsim_machine_destroy(m);
}

static void replay_string(const char *policy, const struct replace_params *p,
			  const struct ref *refs, size_t n, struct run *out)
{
	static const char *const sets[] = { "memory.size=64MiB", NULL };

	replay_string_on(sets, policy, p, refs, n, out);
}

static size_t parse_string(const char *s, struct ref *refs)
{
	size_t n = 0;

	for (char *end; *s; s = end) {
		refs[n].page = (unsigned)strtoul(s, &end, 10);
		refs[n].write = *end == 'w';
		end += *end == 'w';
		while (*end == ' ')
			end++;
		n++;
	}
	return n;
}

/* @string in @frames frames, a tick every @refresh references: the
 * number of references. */
static size_t run_string(const char *policy, uint64_t frames, uint64_t refresh,
			 const char *string, struct run *r)
{
	struct replace_params p = { .frames = frames, .refresh = refresh, .tau = 1000, .seed = 1 };
	struct ref refs[64];
	size_t n = parse_string(string, refs);

	replay_string(policy, &p, refs, n, r);
	return n;
}

static uint64_t faults_of(const char *policy, uint64_t frames, const char *string)
{
	struct run r;
	size_t n = run_string(policy, frames, 1000, string, &r);

	assert_int_equal(r.st.references, n);
	/* the first @frames faults fill empty frames, every later one evicts */
	assert_int_equal(r.st.evictions, r.st.faults > frames ? r.st.faults - frames : 0);
	return r.st.faults;
}

#define SILBERSCHATZ "7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1"
#define BELADY "1 2 3 4 1 2 5 1 2 3 4 5"

/* Operating System Concepts, figures 10.12, 10.15 and 10.16 (9.x in
 * older editions): the same 20 references in 3 frames. */
static void test_replace_silberschatz_fifo_lru_opt(void **state)
{
	assert_int_equal(faults_of("fifo", 3, SILBERSCHATZ), 15);
	assert_int_equal(faults_of("lru", 3, SILBERSCHATZ), 12);
	assert_int_equal(faults_of("opt", 3, SILBERSCHATZ), 9);
}

/* Belady's anomaly: FIFO faults more with more frames; LRU and OPT, stack
 * algorithms, cannot. */
/* The frames are 4 KiB pages whatever the machine's THP setting: under
 * "always" (with the huge zero page) the same references fault as often,
 * each page one frame. */
static void test_replace_frames_take_no_huge_page(void **state)
{
	static const char *const sets[] = { "memory.size=64MiB", "transparent_hugepage.enabled=always",
					    "transparent_hugepage.use_zero_page=true", NULL };
	struct replace_params p = { .frames = 3, .refresh = 1000, .tau = 1000, .seed = 1 };
	struct ref refs[64];
	size_t n = parse_string(SILBERSCHATZ, refs);
	struct run r;

	(void)state;
	replay_string_on(sets, "lru", &p, refs, n, &r);
	assert_int_equal(r.st.references, n);
	assert_int_equal(r.st.faults, 12);
	assert_int_equal(r.nr_resident, 3);
}

static void test_replace_belady_anomaly_fifo_only(void **state)
{
	assert_int_equal(faults_of("fifo", 3, BELADY), 9);
	assert_int_equal(faults_of("fifo", 4, BELADY), 10);
	assert_int_equal(faults_of("lru", 3, BELADY), 10);
	assert_int_equal(faults_of("lru", 4, BELADY), 8);
	assert_int_equal(faults_of("opt", 3, BELADY), 7);
	assert_int_equal(faults_of("opt", 4, BELADY), 6);
}

/*
 * The clock by hand, 3 frames, the use bit set on loading and on every
 * reference, the hand moving past the frame it fills:
 *
 *   ref  frames (use)        hand  note
 *   1    1*  -   -            0    fault
 *   2    1*  2*  -            0    fault
 *   3    1*  2*  3*           0    fault
 *   2    1*  2*  3*           0    hit
 *   4    4*  2   3            1    fault: a full turn clears 1 2 3, then takes 1
 *   1    4*  1*  3            2    fault: 2 has no second chance left
 *   3    4*  1*  3*           2    hit: the bit is set again (the MMU's walk,
 *                                  after the flush that cleared it)
 *   5    4   1   5*           0    fault: 3, 4, 1 cleared, then 3 goes
 *
 * 6 faults where LRU takes 7 (it evicts 3 for the 1 and then needs it).
 */
static void test_replace_clock_by_hand(void **state)
{
	struct run r;
	run_string("clock", 3, 1000, "1 2 3 2 4 1 3 5", &r);
	assert_int_equal(r.st.faults, 6);
	assert_int_equal(r.st.evictions, 3);
	assert_int_equal(r.nr_resident, 3);
	assert_int_equal(r.resident[0], 4);
	assert_int_equal(r.resident[1], 1);
	assert_int_equal(r.resident[2], 5);
	assert_int_equal(faults_of("lru", 3, "1 2 3 2 4 1 3 5"), 7);
}

/* Writes: a page written is dirty until evicted; the eviction writes it
 * to disk.  FIFO in 2 frames: 1w 2 3 (evicts 1: dirty) 1 (evicts 2:
 * clean) 2w (evicts 3) 3 (evicts 1) 1 (evicts 2w: dirty). */
static void test_replace_dirty_evictions_are_disk_writes(void **state)
{
	struct run r;
	run_string("fifo", 2, 1000, "1w 2 3 1 2w 3 1", &r);
	assert_int_equal(r.st.faults, 7);
	assert_int_equal(r.st.evictions, 5);
	assert_int_equal(r.st.dirty_evictions, 2);
	assert_int_equal(r.st.disk_writes, 2);
}

/* Enhanced clock takes the clean page before the dirty one, where the
 * plain clock takes whatever the hand reaches: 2 frames, 1w 2 then 3
 * (both referenced: both cleared; then (0,0) is 2, the clean one). */
static void test_replace_enhanced_clock_prefers_clean(void **state)
{
	struct run r;
	run_string("enhanced-clock", 2, 1000, "1w 2 3", &r);
	assert_int_equal(r.st.dirty_evictions, 0);
	assert_int_equal(r.resident[0], 1);
	assert_int_equal(r.resident[1], 3);
	run_string("clock", 2, 1000, "1w 2 3", &r);
	assert_int_equal(r.st.dirty_evictions, 1);
	assert_int_equal(r.resident[0], 3);
}

/*
 * Aging keeps 8 ticks of history.  3 frames, a tick after every
 * reference (--refresh 1), 1 2 1 then 3 seven times, then 4:
 *   page 1 (frame 0) was last referenced 8 ticks before the fault: 0x01
 *   page 2 (frame 1) 9 ticks before: its bit has left the counter: 0x00
 * so 4 replaces 2.  Counters of 7 bits would tie both at 0 and take
 * frame 0.
 */
static void test_replace_aging_keeps_eight_ticks(void **state)
{
	struct run r;
	size_t n = run_string("aging", 3, 1, "1 2 1 3 3 3 3 3 3 3 4", &r);
	assert_int_equal(r.st.faults, 4);
	assert_int_equal(r.st.ticks, n);
	assert_int_equal(r.resident[0], 1);
	assert_int_equal(r.resident[1], 4);
	assert_int_equal(r.resident[2], 3);
}

/* ---- the model: arrays and scans, bits set by every reference ---- */

struct model {
	const char *policy;
	struct replace_params p;
	unsigned nr;			/* frames used */
	unsigned page[64];
	bool used[64], dirty[64];
	uint64_t loaded[64], last[64], count[64], age[64], lastuse[64];
	unsigned hand;
	uint64_t rng, refs, loads;
	struct replace_stats st;
};

/* The same seeded generator as the policies (its sequence is part of
 * what random and nru do). */
static unsigned model_below(struct model *md, unsigned n)
{
	return replace_random_below(&md->rng, n);
}

static unsigned model_next(const struct model *md, unsigned s)
{
	return (s + 1) % (unsigned)md->p.frames;
}

/* OPT: the next reference of @page after position @i (a big number for never). */
static uint64_t next_ref(const struct ref *refs, size_t n, size_t i, unsigned page)
{
	for (size_t j = i + 1; j < n; j++)
		if (refs[j].page == page)
			return j;
	return UINT64_MAX;
}

static unsigned model_victim(struct model *md, const struct ref *refs, size_t n, size_t i)
{
	const char *p = md->policy;
	unsigned v = 0, F = (unsigned)md->p.frames;

	if (!strcmp(p, "fifo") || !strcmp(p, "lfu") || !strcmp(p, "lru")) {
		for (unsigned s = 1; s < F; s++) {
			bool better = !strcmp(p, "fifo") ? md->loaded[s] < md->loaded[v]
				    : !strcmp(p, "lru") ? md->last[s] < md->last[v]
				    : md->count[s] < md->count[v] ||
				      (md->count[s] == md->count[v] && md->loaded[s] < md->loaded[v]);
			if (better)
				v = s;
		}
	} else if (!strcmp(p, "opt")) {
		uint64_t far = 0;

		for (unsigned s = 0; s < F; s++) {
			uint64_t nx = next_ref(refs, n, i, md->page[s]);

			if (nx >= far) {
				far = nx;
				v = s;
			}
		}
	} else if (!strcmp(p, "random")) {
		v = model_below(md, F);
	} else if (!strcmp(p, "clock")) {
		while (md->used[md->hand]) {
			md->used[md->hand] = false;
			md->hand = model_next(md, md->hand);
		}
		v = md->hand;
		md->hand = model_next(md, v);
	} else if (!strcmp(p, "enhanced-clock")) {
		for (;;) {
			unsigned s = md->hand;
			bool found = false;

			for (unsigned k = 0; k < F && !found; k++, s = found ? s : model_next(md, s))
				found = !md->used[s] && !md->dirty[s];
			for (unsigned k = 0; k < F && !found; k++) {
				found = !md->used[s] && md->dirty[s];
				if (!found) {
					md->used[s] = false;
					s = model_next(md, s);
				}
			}
			if (found) {
				v = s;
				md->hand = model_next(md, s);
				break;
			}
		}
	} else if (!strcmp(p, "nru")) {
		unsigned best = 4, cnt = 0;

		for (unsigned s = 0; s < F; s++) {
			unsigned c = md->used[s] * 2u + md->dirty[s];

			if (c < best) {
				best = c;
				cnt = 1;
				v = s;
			} else if (c == best && model_below(md, ++cnt) == 0) {
				v = s;
			}
		}
	} else if (!strcmp(p, "aging")) {
		uint64_t best = UINT64_MAX;

		for (unsigned s = 0; s < F; s++) {
			uint64_t a = md->age[s] | (md->used[s] ? 0x100 : 0);

			if (a < best) {
				best = a;
				v = s;
			}
		}
	} else if (!strcmp(p, "wsclock")) {
		unsigned s = md->hand, clean = ~0u;
		bool writes = false, done = false;

		for (unsigned k = 0; k < F && !done; k++) {
			if (md->used[s]) {
				md->used[s] = false;
				md->lastuse[s] = md->refs;
			} else if (md->refs - md->lastuse[s] > md->p.tau) {
				if (!md->dirty[s]) {
					done = true;
					break;
				}
				md->dirty[s] = false;
				md->st.disk_writes++;
				writes = true;
			} else if (clean == ~0u && !md->dirty[s]) {
				clean = s;
			}
			s = model_next(md, s);
		}
		if (!done && writes) {
			for (unsigned k = 0; k < F; k++, s = model_next(md, s))
				if (!md->used[s] && !md->dirty[s] && md->refs - md->lastuse[s] > md->p.tau)
					break;
		} else if (!done && clean != ~0u) {
			s = clean;
		}
		v = s;
		md->hand = model_next(md, s);
	}
	return v;
}

static void model_tick(struct model *md)
{
	for (unsigned s = 0; s < md->nr; s++) {
		if (!strcmp(md->policy, "aging"))
			md->age[s] = (md->age[s] >> 1) | (md->used[s] ? 0x80 : 0);
		md->used[s] = false;
	}
}

static void model_run(struct model *md, const struct ref *refs, size_t n)
{
	md->rng = md->p.seed ? md->p.seed : 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < n; i++) {
		unsigned s;

		md->refs++;
		for (s = 0; s < md->nr && md->page[s] != refs[i].page; s++)
			;
		if (s == md->nr) {
			md->st.faults++;
			if (md->nr < md->p.frames) {
				s = md->nr++;
			} else {
				s = model_victim(md, refs, n, i);
				md->st.evictions++;
				if (md->dirty[s]) {
					md->st.dirty_evictions++;
					md->st.disk_writes++;
				}
			}
			md->page[s] = refs[i].page;
			md->loaded[s] = md->loads++;
			md->count[s] = 0;
			md->age[s] = 0;
			md->dirty[s] = false;
			md->lastuse[s] = md->refs;
		}
		md->used[s] = true;
		md->dirty[s] |= refs[i].write;
		md->last[s] = md->refs;
		md->count[s]++;
		if (md->p.refresh && md->refs % md->p.refresh == 0 &&
		    (!strcmp(md->policy, "nru") || !strcmp(md->policy, "aging")))
			model_tick(md);
	}
}

static void test_replace_every_policy_matches_the_model(void **state)
{
	static const char *const policies[] = { "fifo", "lru", "opt", "clock", "enhanced-clock",
						"nru", "aging", "lfu", "random", "wsclock" };
	uint64_t seed = 12345;
	unsigned cases = 0;

	for (int round = 0; round < 6; round++) {
		struct ref refs[400];
		size_t n = 150 + (size_t)round * 40;
		unsigned pages = 4 + (unsigned)round * 3, cur = 0;

		/* locality: mostly near the last page, sometimes anywhere */
		for (size_t i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			if ((seed >> 60) < 4)
				cur = (unsigned)(seed >> 33) % pages;
			else
				cur = (cur + (unsigned)((seed >> 40) % 3)) % pages;
			refs[i].page = cur;
			refs[i].write = ((seed >> 20) & 7) < 3;
		}
		for (size_t k = 0; k < sizeof(policies) / sizeof(policies[0]); k++) {
			for (uint64_t frames = 1; frames <= 7; frames += 2 + (uint64_t)round % 2) {
				struct replace_params p = { .frames = frames, .refresh = 3 + (uint64_t)round,
							    .tau = 2 + (uint64_t)round * 2,
							    .seed = 7 + (uint64_t)round };
				struct model md = { .policy = policies[k], .p = p };
				struct run r;

				replay_string(policies[k], &p, refs, n, &r);
				model_run(&md, refs, n);
				if (r.st.faults != md.st.faults || r.st.evictions != md.st.evictions ||
				    (strcmp(policies[k], "opt") &&
				     (r.st.dirty_evictions != md.st.dirty_evictions ||
				      r.st.disk_writes != md.st.disk_writes)))
					fail_msg("%s, %llu frames, round %d: faults %llu/%llu, evictions "
						 "%llu/%llu, dirty %llu/%llu, writes %llu/%llu (replay/model)",
						 policies[k], (unsigned long long)frames, round,
						 (unsigned long long)r.st.faults,
						 (unsigned long long)md.st.faults,
						 (unsigned long long)r.st.evictions,
						 (unsigned long long)md.st.evictions,
						 (unsigned long long)r.st.dirty_evictions,
						 (unsigned long long)md.st.dirty_evictions,
						 (unsigned long long)r.st.disk_writes,
						 (unsigned long long)md.st.disk_writes);
				if (strcmp(policies[k], "opt"))
					for (unsigned s = 0; s < md.nr; s++)
						if (r.resident[s] != md.page[s])
							fail_msg("%s, %llu frames, round %d: frame %u holds "
								 "%u, the model's %u", policies[k],
								 (unsigned long long)frames, round, s,
								 r.resident[s], md.page[s]);
				cases++;
			}
		}
	}
	print_message("%u runs agreed with the model\n", cases);
}

/*
 * linux: the kernel's reclaim in a cgroup of N pages.  A loop over N + 1
 * written pages faults at every reference, as LRU does: each round reads
 * back from swap what the last one pushed out (the checker after each
 * reference: the cgroup within its N pages).  A loop over N - 32 pages
 * faults on first use only.
 */
static void test_replace_linux_reclaims_in_a_cgroup(void **state)
{
	static struct ref refs[10 * 129];
	struct replace_params p = { .frames = 128 };
	struct run r;
	size_t n = 0;

	(void)state;
	for (unsigned round = 0; round < 10; round++)
		for (unsigned i = 0; i < 129; i++)
			refs[n++] = (struct ref){ i, true };
	replay_string("linux", &p, refs, n, &r);
	assert_int_equal(r.st.references, 1290);
	assert_int_equal(r.st.first_faults, 129);
	assert_int_equal(r.st.faults, 1290);
	assert_int_equal(r.st.evictions, r.st.dirty_evictions);
	assert_true(r.st.evictions >= 1290 - 128);
	n = 0;
	for (unsigned round = 0; round < 10; round++)
		for (unsigned i = 0; i < 96; i++)
			refs[n++] = (struct ref){ i, true };
	replay_string("linux", &p, refs, n, &r);
	assert_int_equal(r.st.faults, 96);
	assert_int_equal(r.st.evictions, 0);
	assert_null(replace_find("lru2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_silberschatz_fifo_lru_opt),
		cmocka_unit_test(test_replace_frames_take_no_huge_page),
		cmocka_unit_test(test_replace_belady_anomaly_fifo_only),
		cmocka_unit_test(test_replace_clock_by_hand),
		cmocka_unit_test(test_replace_dirty_evictions_are_disk_writes),
		cmocka_unit_test(test_replace_enhanced_clock_prefers_clean),
		cmocka_unit_test(test_replace_aging_keeps_eight_ticks),
		cmocka_unit_test(test_replace_every_policy_matches_the_model),
		cmocka_unit_test(test_replace_linux_reclaims_in_a_cgroup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
