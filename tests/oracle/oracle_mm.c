/*
 * What the oracle reads of a stopped tracee's address space: the VMAs
 * with their VmFlags (/proc/TID/smaps), the anonymous pages present
 * (/proc/TID/pagemap) and a mincore vector (the tracee's memory).
 *
 * Invariant: each function reads the host kernel at the moment it is
 * called, with every thread of the tracee stopped (the tracer sees to
 * that), so what is printed is one consistent state; a read that fails
 * ends the oracle with exit status 1 rather than print half a state.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "oracle.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096ULL

static FILE *open_proc(pid_t tid, const char *what)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)tid, what);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "exec_oracle: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return f;
}

static void *grow(void *p, size_t *cap, size_t want, size_t size)
{
	if (want <= *cap)
		return p;
	*cap = want > 2 * *cap ? want : 2 * *cap;
	p = realloc(p, *cap * size);
	if (!p) {
		fprintf(stderr, "exec_oracle: out of memory\n");
		exit(1);
	}
	return p;
}

static void chomp(char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
}

void oracle_print_file_lines(pid_t tid, const char *what, const char *prefix)
{
	char line[4096];
	FILE *f = open_proc(tid, what);

	while (fgets(line, sizeof(line), f)) {
		chomp(line);
		printf("%s %s\n", prefix, line);
	}
	fclose(f);
}

/* ---- resident anonymous pages ---- */

/* /proc/PID/pagemap bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT	(1ULL << 63)
#define PM_FILE		(1ULL << 61)	/* page-cache page, or shared anonymous */
#define PM_EXCLUSIVE	(1ULL << 56)	/* mapped by this task only */

static void resident_add(struct resident *r, uint64_t addr, unsigned char kind)
{
	size_t cap = r->cap;

	r->addr = grow(r->addr, &cap, r->n + 1, sizeof(*r->addr));
	r->kind = grow(r->kind, &r->cap, r->n + 1, sizeof(*r->kind));
	r->addr[r->n] = addr;
	r->kind[r->n++] = kind;
}

/* Private, not PROT_NONE (its pages were seen before it became so), and
 * not a special mapping, whose pages the program does not fault in. */
static bool vma_wanted(const char *perms, const char *name)
{
	if (perms[3] != 'p' || strncmp(perms, "---", 3) == 0)
		return false;
	return name[0] != '[' || strcmp(name, "[heap]") == 0 || strcmp(name, "[stack]") == 0;
}

void resident_read(pid_t tid, struct resident *r)
{
	char path[64], line[4096];
	FILE *maps = open_proc(tid, "maps");
	uint64_t ent[512];
	int fd;

	r->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "exec_oracle: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), maps)) {
		unsigned long long start, end;
		char perms[8] = "", name[4096] = "";
		int n = 0;

		chomp(line);
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s%n", &start, &end, perms, &n) < 3 || !n)
			continue;
		sscanf(line + n, " %4095[^\n]", name);
		if (!vma_wanted(perms, name))
			continue;
		for (uint64_t a = start; a < end;) {
			size_t want = (size_t)((end - a) / PAGE), got;
			ssize_t rd;

			if (want > 512)
				want = 512;
			rd = pread(fd, ent, want * sizeof(ent[0]), (off_t)(a / PAGE * sizeof(ent[0])));
			if (rd <= 0) {
				fprintf(stderr, "exec_oracle: %s at %#llx: %s\n", path,
					(unsigned long long)a, rd ? strerror(errno) : "short read");
				exit(1);
			}
			got = (size_t)rd / sizeof(ent[0]);
			for (size_t i = 0; i < got; i++) {
				if (!(ent[i] & PM_PRESENT) || (ent[i] & PM_FILE))
					continue;
				resident_add(r, a + i * PAGE,
					     ent[i] & PM_EXCLUSIVE ? PAGE_WRITTEN : PAGE_READ);
			}
			a += got * PAGE;
		}
	}
	close(fd);
	fclose(maps);
}

static void print_run(uint64_t start, uint64_t pages, unsigned char kind)
{
	if (pages)
		printf("touch 0x%llx %llu %c\n", (unsigned long long)start,
		       (unsigned long long)pages, kind == PAGE_WRITTEN ? 'w' : 'r');
}

void resident_print_touches(const struct resident *before, const struct resident *now)
{
	uint64_t run_start = 0, run_pages = 0;
	unsigned char run_kind = PAGE_ABSENT;
	size_t j = 0;

	for (size_t i = 0; i < now->n; i++) {
		uint64_t a = now->addr[i];
		unsigned char was = PAGE_ABSENT;

		while (j < before->n && before->addr[j] < a)
			j++;
		if (j < before->n && before->addr[j] == a)
			was = before->kind[j];
		if (now->kind[i] <= was)
			continue;
		if (run_pages && run_kind == now->kind[i] && run_start + run_pages * PAGE == a) {
			run_pages++;
			continue;
		}
		print_run(run_start, run_pages, run_kind);
		run_start = a;
		run_pages = 1;
		run_kind = now->kind[i];
	}
	print_run(run_start, run_pages, run_kind);
}

void resident_free(struct resident *r)
{
	free(r->addr);
	free(r->kind);
	memset(r, 0, sizeof(*r));
}

/* ---- VMAs and their flags ---- */

static void state_append(struct vma_state *s, const char *line)
{
	size_t n = strlen(line);

	s->text = grow(s->text, &s->cap, s->len + n + 2, 1);
	memcpy(s->text + s->len, line, n);
	s->len += n;
	s->text[s->len++] = '\n';
	s->text[s->len] = '\0';
}

void vma_state_print(pid_t tid, const char *header, struct vma_state *last, int always)
{
	struct vma_state now = { 0 };
	char line[4096], head[4096] = "", out[8192];
	FILE *f = open_proc(tid, "smaps");

	/* each VMA: its maps line, then fields, VmFlags last */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char c;

		chomp(line);
		/* field names start with a capital; addresses with [0-9a-f] */
		if (isxdigit((unsigned char)line[0]) && !isupper((unsigned char)line[0]) &&
		    sscanf(line, "%llx-%llx %c", &s, &e, &c) == 3) {
			snprintf(head, sizeof(head), "%s", line);
		} else if (strncmp(line, "VmFlags:", 8) == 0 && head[0]) {
			const char *fl = line + 8;

			while (*fl == ' ')
				fl++;
			snprintf(out, sizeof(out), "vma [%s] %s", fl, head);
			state_append(&now, out);
			now.n++;
			head[0] = '\0';
		}
	}
	fclose(f);
	if (!always && last->text && now.len == last->len && memcmp(now.text, last->text, now.len) == 0) {
		printf("%s same\n", header);
		free(now.text);
		return;
	}
	printf("%s %u\n%s", header, now.n, now.text ? now.text : "");
	free(last->text);
	*last = now;
}

/* ---- mincore ---- */

#define VEC_MAX (1u << 16)	/* pages: longer vectors are not printed */

void print_mincore_vec(pid_t tid, uint64_t vec, uint64_t len)
{
	uint64_t pages = (len + PAGE - 1) / PAGE;
	static unsigned char buf[VEC_MAX];
	struct iovec local = { buf, 0 }, remote = { (void *)(uintptr_t)vec, 0 };

	if (pages > VEC_MAX) {
		printf("vec -\n");
		return;
	}
	local.iov_len = remote.iov_len = (size_t)pages;
	if (pages && process_vm_readv(tid, &local, 1, &remote, 1, 0) != (ssize_t)pages) {
		fprintf(stderr, "exec_oracle: reading mincore's vector at %#llx: %s\n",
			(unsigned long long)vec, strerror(errno));
		exit(1);
	}
	fputs("vec ", stdout);
	for (uint64_t i = 0; i < pages; i++)
		putchar("0123456789abcdef"[buf[i] & 0xf]);
	putchar('\n');
}
