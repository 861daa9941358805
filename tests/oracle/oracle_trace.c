/*
 * The oracle's tracer: it runs a program, stopped at its exec event, to
 * its end under ptrace (seized, every thread followed through
 * PTRACE_O_TRACECLONE) and prints the memory system calls of all its
 * threads in the order the kernel made them, with what the program did
 * to its memory in between:
 *
 *   touch ADDR NPAGES w|r              pages its stores (w) or loads (r) faulted in
 *   sys tN NAME ARG... = RES [ACC PATH]  a call by thread N (numbered as met), its
 *                                      result (-errno on failure); for mmap the
 *                                      descriptor's access mode (O_RDONLY, O_WRONLY,
 *                                      O_RDWR, from fdinfo's flags) and its file's
 *                                      path, "- -" for none
 *   vec DIGITS                         after mincore: the vector it wrote
 *   vmas N, then N "vma" lines         after a call: the VMAs, if they changed
 *   vmas same                          ... or not
 *   final N, then N "vma" lines        the VMAs when the program exits
 *   exit status N | exit signal N      how it ended
 *
 * One call at a time.  A thread stopped at the entry of a memory call
 * waits for its turn; a turn starts when no other call is running and
 * every other thread is stopped (PTRACE_INTERRUPT stops the running
 * ones).  Then the present pages are read (the difference from the last
 * reading is printed as touches: what the threads' loads and stores did
 * since), the call runs alone, and at its exit the result, the pages and
 * the VMAs are read before any other thread moves.  The kernel serializes
 * these calls on mmap_lock anyway; turns only decide which of two
 * concurrent calls goes first, and make the order printed the order in
 * which they ran.  Page faults are not calls: the threads fault freely
 * between turns, and their effect shows at the next turn.
 *
 * Invariant: everything printed is read from the host kernel (arguments
 * and results from PTRACE_GET_SYSCALL_INFO, the rest from /proc and the
 * tracee's memory) while every thread of the tracee is stopped; nothing
 * is computed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "oracle.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#define PR_SET_VMA_CODE 0x53564d41	/* prctl(PR_SET_VMA, ...) names or changes VMAs */

/* The calls that read or change the address space (x86-64 numbers), and
 * how many arguments each has.  mmap prints its file's path as well. */
static const struct {
	long nr;
	const char *name;
	int nargs;
} memory_calls[] = {
	{ 9, "mmap", 6 }, { 10, "mprotect", 3 }, { 11, "munmap", 2 }, { 12, "brk", 1 },
	{ 25, "mremap", 5 }, { 26, "msync", 3 }, { 27, "mincore", 3 }, { 28, "madvise", 3 },
	{ 30, "shmat", 3 }, { 67, "shmdt", 1 }, { 149, "mlock", 2 }, { 150, "munlock", 2 },
	{ 151, "mlockall", 1 }, { 152, "munlockall", 0 }, { 157, "prctl", 5 },
	{ 216, "remap_file_pages", 5 }, { 237, "mbind", 6 }, { 325, "mlock2", 3 },
	{ 329, "pkey_mprotect", 4 }, { 440, "process_madvise", 5 },
	{ 450, "set_mempolicy_home_node", 4 }, { 462, "mseal", 3 },
};

#define NR_MMAP		9
#define NR_MINCORE	27
#define NR_PRCTL	157
#define NR_EXIT		60
#define NR_EXIT_GROUP	231

enum tstate {
	T_STARTING,	/* cloned; its first stop not seen yet */
	T_RUNNING,	/* resumed by us */
	T_STOPPED,	/* in a ptrace stop, held or about to be resumed */
};

struct thread {
	pid_t tid;
	int idx;		/* in the order the tracer met the threads */
	enum tstate state;
	bool interrupted;	/* a PTRACE_INTERRUPT is on its way */
	bool exiting;		/* past PTRACE_EVENT_EXIT: it stops no more */
	int inject;		/* the signal to deliver when it is resumed */
	unsigned long turn;	/* waits for a turn (0: does not): the queue order */
	bool final;		/* its turn is the program's exit */
	int call;		/* memory_calls[] index of the call it is in, or -1 */
	unsigned long long a[6];
	char path[PATH_MAX];
	const char *accmode;	/* mmap's descriptor, as open(2) names its mode */
};

static struct thread **threads;
static size_t nthreads;
static int next_idx;
static unsigned long next_turn = 1;
static struct thread *inflight;	/* the call that has its turn */
static bool done;		/* the final state is printed: let everything run */
static struct resident base;	/* the pages present at the last reading */
static struct vma_state shape;	/* the VMAs last printed */

static struct thread *find_thread(pid_t tid)
{
	for (size_t i = 0; i < nthreads; i++)
		if (threads[i]->tid == tid)
			return threads[i];
	return NULL;
}

static struct thread *add_thread(pid_t tid, enum tstate state)
{
	struct thread *t = calloc(1, sizeof(*t)), **n;

	n = realloc(threads, (nthreads + 1) * sizeof(*threads));
	if (!t || !n) {
		fprintf(stderr, "exec_oracle: out of memory\n");
		exit(1);
	}
	threads = n;
	t->tid = tid;
	t->idx = next_idx++;
	t->state = state;
	t->call = -1;
	threads[nthreads++] = t;
	return t;
}

static void remove_thread(struct thread *t)
{
	for (size_t i = 0; i < nthreads; i++) {
		if (threads[i] == t) {
			threads[i] = threads[--nthreads];
			break;
		}
	}
	if (inflight == t)
		inflight = NULL;
	free(t);
}

/* Resume a stopped thread with its pending signal.  ESRCH: it was killed
 * meanwhile (exit_group), and waitpid() will report it. */
static int resume(struct thread *t)
{
	int sig = t->inject;

	t->inject = 0;
	t->state = T_RUNNING;
	if (ptrace(done ? PTRACE_CONT : PTRACE_SYSCALL, t->tid, 0, sig) < 0 && errno != ESRCH) {
		fprintf(stderr, "exec_oracle: resuming thread %d: %s\n", (int)t->tid, strerror(errno));
		return -1;
	}
	return 0;
}

static bool turns_pending(void)
{
	if (inflight)
		return true;
	for (size_t i = 0; i < nthreads; i++)
		if (threads[i]->turn)
			return true;
	return false;
}

/* A thread that stopped: held while a turn is pending or running (the
 * others must keep still), else resumed. */
static int park_or_resume(struct thread *t)
{
	if (!done && turns_pending())
		return 0;
	return resume(t);
}

static int resume_all(void)
{
	for (size_t i = 0; i < nthreads; i++) {
		struct thread *t = threads[i];

		if (t->state == T_STOPPED && !t->turn && resume(t))
			return -1;
	}
	return 0;
}

static int call_index(long nr, const unsigned long long *a)
{
	for (size_t i = 0; i < sizeof(memory_calls) / sizeof(memory_calls[0]); i++)
		if (memory_calls[i].nr == nr)
			return nr == NR_PRCTL && a[0] != PR_SET_VMA_CODE ? -1 : (int)i;
	return -1;
}

static unsigned live_threads(void)
{
	unsigned n = 0;

	for (size_t i = 0; i < nthreads; i++)
		n += !threads[i]->exiting;
	return n;
}

/* The pages the threads touched since the last reading. */
static void read_touches(pid_t tid)
{
	struct resident now = { 0 };

	resident_read(tid, &now);
	resident_print_touches(&base, &now);
	resident_free(&base);
	base = now;
}

/* The access mode of descriptor @fd of @tid, from the "flags:" line of
 * /proc/TID/fdinfo/FD (octal open(2) flags), or NULL when it is not open. */
static const char *fd_accmode(pid_t tid, int fd)
{
	static const char *const names[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	char name[64], line[128];
	const char *mode = NULL;
	unsigned long flags;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%d/fdinfo/%d", (int)tid, fd);
	f = fopen(name, "r");
	if (!f)
		return NULL;
	while (!mode && fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %lo", &flags) == 1)
			mode = names[flags & 3];
	fclose(f);
	return mode;
}

static void print_call(const struct thread *t, long long res)
{
	const int i = t->call;

	printf("sys t%d %s", t->idx, memory_calls[i].name);
	for (int k = 0; k < memory_calls[i].nargs; k++) {
		if (memory_calls[i].nr == NR_MMAP && k == 4)
			printf(" %d", (int)t->a[k]);
		else
			printf(" 0x%llx", t->a[k]);
	}
	printf(" = %lld", res);
	if (memory_calls[i].nr == NR_MMAP)
		printf(" %s %s", t->path[0] ? t->accmode : "-", t->path[0] ? t->path : "-");
	putchar('\n');
}

/* The turn of the first waiting thread, once every other thread is
 * stopped: read the pages, then run its call alone (or, for the exit,
 * print the final state and let everything go). */
static int take_turn(void)
{
	struct thread *q = NULL;
	bool still = true;

	if (done || inflight)
		return 0;
	for (size_t i = 0; i < nthreads; i++)
		if (threads[i]->turn && (!q || threads[i]->turn < q->turn))
			q = threads[i];
	if (!q)
		return 0;
	for (size_t i = 0; i < nthreads; i++) {
		struct thread *t = threads[i];

		if (t == q || t->exiting || t->state == T_STOPPED)
			continue;
		still = false;
		if (t->state == T_RUNNING && !t->interrupted) {
			if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 && errno != ESRCH) {
				fprintf(stderr, "exec_oracle: PTRACE_INTERRUPT: %s\n", strerror(errno));
				return -1;
			}
			t->interrupted = true;
		}
	}
	if (!still)
		return 0;
	q->turn = 0;
	read_touches(q->tid);
	if (q->final) {
		vma_state_print(q->tid, "final", &shape, 1);
		fflush(stdout);
		done = true;
		/* the calls still waiting never ran before this state: let them
		 * go (exit_group kills them first, or they run untraced) */
		for (size_t i = 0; i < nthreads; i++)
			threads[i]->turn = 0;
		return resume_all();
	}
	inflight = q;
	return resume(q);
}

/* The call that had its turn is back: its result, and the state it left. */
static int end_turn(struct thread *t, long long res)
{
	struct resident after = { 0 };

	print_call(t, res);
	if (memory_calls[t->call].nr == NR_MINCORE && res == 0)
		print_mincore_vec(t->tid, t->a[2], t->a[1]);
	/* what the call itself faulted in or dropped is not a touch */
	resident_read(t->tid, &after);
	resident_free(&base);
	base = after;
	vma_state_print(t->tid, "vmas", &shape, 0);
	fflush(stdout);
	inflight = NULL;
	t->call = -1;
	return turns_pending() ? 0 : resume_all();
}

static int syscall_stop(struct thread *t)
{
	struct __ptrace_syscall_info info;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof(info), &info) <= 0) {
		fprintf(stderr, "exec_oracle: PTRACE_GET_SYSCALL_INFO: %s\n", strerror(errno));
		return -1;
	}
	if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
		if (t == inflight)
			return end_turn(t, info.exit.rval);
		t->call = -1;
		return park_or_resume(t);
	}
	if (info.op != PTRACE_SYSCALL_INFO_ENTRY || done)
		return park_or_resume(t);
	for (int k = 0; k < 6; k++)
		t->a[k] = info.entry.args[k];
	t->call = call_index((long)info.entry.nr, t->a);
	if (t->call >= 0) {
		t->path[0] = '\0';
		if (info.entry.nr == NR_MMAP && !(t->a[3] & 0x20) && (int)t->a[4] >= 0) {
			char link[64];
			ssize_t n;

			snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)t->tid, (int)t->a[4]);
			n = readlink(link, t->path, sizeof(t->path) - 1);
			t->path[n > 0 ? n : 0] = '\0';
			t->accmode = fd_accmode(t->tid, (int)t->a[4]);
			if (!t->accmode)
				t->path[0] = '\0';	/* closed in between: a bad descriptor */
		}
		t->turn = next_turn++;
		return 0;
	}
	if (info.entry.nr == NR_EXIT_GROUP || (info.entry.nr == NR_EXIT && live_threads() == 1)) {
		t->final = true;
		t->turn = next_turn++;
		return 0;
	}
	return park_or_resume(t);
}

static void print_exit(int status)
{
	if (WIFEXITED(status))
		printf("exit status %d\n", WEXITSTATUS(status));
	else
		printf("exit signal %d\n", WTERMSIG(status));
}

int oracle_trace(pid_t pid)
{
	struct thread *t = add_thread(pid, T_STOPPED);

	resident_read(pid, &base);
	if (resume(t))
		return 1;
	while (nthreads) {
		int status, event, sig;
		pid_t tid;

		if (take_turn())
			return 1;
		tid = waitpid(-1, &status, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		t = find_thread(tid);
		if (!t)		/* a new thread's first stop, before its clone event */
			t = add_thread(tid, T_STOPPED);
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (tid == pid)
				print_exit(status);
			remove_thread(t);
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		t->state = T_STOPPED;
		t->interrupted = false;
		event = status >> 16;
		sig = WSTOPSIG(status);
		if (event == PTRACE_EVENT_CLONE) {
			unsigned long child;

			if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0 && !find_thread((pid_t)child))
				add_thread((pid_t)child, T_STARTING);
		} else if (event == PTRACE_EVENT_EXIT) {
			/* it writes its clear_child_tid and is gone: never held */
			t->exiting = true;
			if (resume(t))
				return 1;
			continue;
		} else if (event == PTRACE_EVENT_EXEC && !done) {
			fprintf(stderr, "exec_oracle: the program ran execve again: its trace ends\n");
			return 1;
		} else if (event == 0 && sig == (SIGTRAP | 0x80)) {
			if (syscall_stop(t))
				return 1;
			continue;
		} else if (event == 0) {
			t->inject = sig;	/* a signal on its way to the program */
		}
		/* PTRACE_EVENT_STOP: our interrupt, a new thread's first stop,
		 * or a group-stop, which the program does not need here */
		if (park_or_resume(t))
			return 1;
	}
	resident_free(&base);
	free(shape.text);
	free(threads);
	return 0;
}
