/*
 * exec_oracle: what the host kernel does on execve, and after it, captured
 * for the differential tests.  It runs PROG with ADDR_NO_RANDOMIZE, an
 * empty environment, stdin and stdout on /dev/null (its output must not
 * mix with ours), a fixed RLIMIT_STACK (and RLIMIT_MEMLOCK when asked) and
 * without CAP_IPC_LOCK and CAP_SYS_RAWIO (vmsim's tasks have neither, and
 * both change what memory calls answer), seized by ptrace; it stops the
 * program at its exec event and prints
 *
 *   rip 0x..  / rsp 0x..
 *   mm start_code 0x.. (and the other /proc/PID/stat mm fields, 26-51)
 *   auxv TYPE 0x..       (from /proc/PID/auxv, AT_NULL excluded)
 *   map LINE             (/proc/PID/maps, verbatim)
 *
 * With --trace it lets the program run to its end and prints every memory
 * system call of every thread, with the pages touched between them and the
 * VMAs after each, then the VMAs at exit (oracle_trace.c has the format).
 *
 * Invariant: everything printed is read from the host kernel at run time;
 * nothing is computed here.  Exit status 0 on success, 77 (meson's skip)
 * when the host is not x86-64 Linux or ptrace is refused, 1 otherwise.
 *
 * Built without sanitizers (tests/oracle/meson.build): ASan's shadow
 * mappings and interceptors in the tracer are harmless, but a sanitized
 * child would run the runtime's own start-up between fork and execve.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__) && defined(__x86_64__)
#include <linux/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "oracle.h"

#define SKIP 77

static void usage(void)
{
	fprintf(stderr, "usage: exec_oracle [--stack-rlimit N|unlimited] [--memlock-rlimit N] "
			"[--trace] [--arg0 NAME] PROG [ARG]...\n");
	exit(2);
}

/* /proc/PID/stat fields 26..51 (1-based, proc(5)): the mm's boundaries. */
static void print_stat(pid_t pid)
{
	static const struct { int field; const char *name; } want[] = {
		{ 26, "start_code" }, { 27, "end_code" }, { 28, "start_stack" },
		{ 45, "start_data" }, { 46, "end_data" }, { 47, "start_brk" },
		{ 48, "arg_start" }, { 49, "arg_end" }, { 50, "env_start" }, { 51, "env_end" },
	};
	char path[64], buf[4096], *p, *save = NULL;
	unsigned long long v[64] = { 0 };
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0) {
		fprintf(stderr, "exec_oracle: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
	buf[n] = '\0';
	/* the command name (field 2) may hold spaces: resume after its ')' */
	p = strrchr(buf, ')');
	if (!p)
		exit(1);
	field = 3;
	for (char *tok = strtok_r(p + 2, " \n", &save); tok && field < 64;
	     tok = strtok_r(NULL, " \n", &save), field++)
		v[field] = strtoull(tok, NULL, 10);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		printf("mm %s 0x%llx\n", want[i].name, v[want[i].field]);
}

/* /proc/PID/auxv holds the task's own words: 4 bytes for an i386 task. */
static void print_auxv(pid_t pid, bool is32)
{
	char path[64];
	uint64_t pair[2];
	uint32_t pair32[2];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "exec_oracle: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (;;) {
		if (is32) {
			if (read(fd, pair32, sizeof(pair32)) != (ssize_t)sizeof(pair32))
				break;
			pair[0] = pair32[0];
			pair[1] = pair32[1];
		} else if (read(fd, pair, sizeof(pair)) != (ssize_t)sizeof(pair)) {
			break;
		}
		if (pair[0] == 0)
			break;
		printf("auxv %llu 0x%llx\n", (unsigned long long)pair[0],
		       (unsigned long long)pair[1]);
	}
	close(fd);
}

/* What the child is told before execve, and why it may give up. */
struct launch {
	struct rlimit stack, memlock;
	bool set_memlock;
	const char *path;
	char **argv;
};

/*
 * The child: its limits, personality and capabilities as the tests want
 * them, then "k" on @report and a wait for @go (closed once the parent has
 * seized it), then execve.  A setting the host refuses is reported as one
 * letter (a skip); a failed execve as "e" and the errno.
 */
static void child(const struct launch *l, int report, int go)
{
	char *const envp[] = { NULL };
	char why = 0, c;
	int null;

	/* a hard limit below the wanted one cannot be raised without
	 * privilege: report it as a skip rather than trace something else */
	if (setrlimit(RLIMIT_STACK, &l->stack) < 0)
		why = 'r';
	else if (l->set_memlock && setrlimit(RLIMIT_MEMLOCK, &l->memlock) < 0)
		why = 'm';
	else if (personality(ADDR_NO_RANDOMIZE) < 0)
		why = 'p';
	/* out of the bounding set, so that execve does not grant them to
	 * root; without CAP_SETPCAP a task has neither to lose (ambient
	 * capabilities aside, cleared here) */
	if (!why && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		why = 'c';
	if (!why && ((prctl(PR_CAPBSET_DROP, CAP_IPC_LOCK, 0, 0, 0) < 0 ||
		      prctl(PR_CAPBSET_DROP, CAP_SYS_RAWIO, 0, 0, 0) < 0) &&
		     (errno != EPERM || geteuid() == 0)))
		why = 'c';
	null = open("/dev/null", O_RDWR);
	if (!why && (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0))
		why = 'n';
	if (why) {
		if (write(report, &why, 1) < 0)
			_exit(SKIP);
		_exit(SKIP);
	}
	if (null > 1)
		close(null);
	c = 'k';
	if (write(report, &c, 1) != 1 || read(go, &c, 1) < 0)
		_exit(1);
	execve(l->path, l->argv, envp);
	{
		char msg[2] = { 'e', (char)errno };	/* errno values fit */
		ssize_t w = write(report, msg, sizeof(msg));

		(void)w;
		_exit(1);
	}
}

/* Is ptrace reported missing by VMSIM_TEST_PRETEND_MISSING (a comma
 * list, shared with test_exec_diff), so that the skip path is tested on
 * hosts where ptrace works? */
static bool pretend_no_ptrace(void)
{
	const char *env = getenv("VMSIM_TEST_PRETEND_MISSING");
	char list[256], *save = NULL;

	snprintf(list, sizeof(list), "%s", env ? env : "");
	for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save))
		if (strcmp(w, "ptrace") == 0)
			return true;
	return false;
}

/* The oracle's reason for a child that gave up, or NULL. */
static const char *skip_reason(char why)
{
	switch (why) {
	case 'r': return "setrlimit(RLIMIT_STACK) refused";
	case 'm': return "setrlimit(RLIMIT_MEMLOCK) refused";
	case 'p': return "personality(ADDR_NO_RANDOMIZE) refused";
	case 'c': return "cannot drop CAP_IPC_LOCK and CAP_SYS_RAWIO from the bounding set";
	case 'n': return "cannot open /dev/null";
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct launch l = { .stack = { 8ULL << 20, 8ULL << 20 } };
	const long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE |
			  PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT;
	bool do_trace = false, is32 = false;
	const char *arg0 = NULL;
	struct user_regs_struct r;
	int i, status, rep[2], go[2];
	pid_t pid;
	char why = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--trace") == 0) {
			do_trace = true;
		} else if (strcmp(argv[i], "--stack-rlimit") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "unlimited") == 0)
				l.stack.rlim_cur = l.stack.rlim_max = RLIM_INFINITY;
			else
				l.stack.rlim_cur = l.stack.rlim_max = strtoull(argv[i], NULL, 0);
		} else if (strcmp(argv[i], "--memlock-rlimit") == 0 && i + 1 < argc) {
			l.memlock.rlim_cur = l.memlock.rlim_max = strtoull(argv[++i], NULL, 0);
			l.set_memlock = true;
		} else if (strcmp(argv[i], "--arg0") == 0 && i + 1 < argc) {
			arg0 = argv[++i];
		} else {
			usage();
		}
	}
	if (i >= argc)
		usage();
	if (access(argv[i], X_OK) != 0) {
		fprintf(stderr, "exec_oracle: %s: %s\n", argv[i], strerror(errno));
		return 1;
	}
	{
		/* the ELF class decides the auxv word size */
		unsigned char id[5] = { 0 };
		int fd = open(argv[i], O_RDONLY);

		if (fd >= 0) {
			if (read(fd, id, sizeof(id)) == (ssize_t)sizeof(id))
				is32 = id[4] == 1;
			close(fd);
		}
	}
	/* argv: [arg0 or PROG, ARG...]: argv[i] itself becomes argv[0] */
	l.path = argv[i];
	l.argv = argv + i;
	if (pipe2(rep, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (arg0)
			argv[i] = (char *)arg0;
		close(rep[0]);
		close(go[1]);	/* or its read would never see EOF */
		child(&l, rep[1], go[0]);
	}
	close(rep[1]);
	close(go[0]);
	if (read(rep[0], &why, 1) != 1 || why != 'k') {
		waitpid(pid, &status, 0);
		if (skip_reason(why)) {
			printf("SKIP: %s\n", skip_reason(why));
			return SKIP;
		}
		fprintf(stderr, "exec_oracle: the child failed before execve\n");
		return 1;
	}
	if (pretend_no_ptrace() || ptrace(PTRACE_SEIZE, pid, 0, opts) < 0) {
		printf("SKIP: ptrace(PTRACE_SEIZE) not permitted here: %s\n", pretend_no_ptrace() ?
		       "VMSIM_TEST_PRETEND_MISSING has ptrace" : strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return SKIP;
	}
	close(go[1]);	/* the child reads EOF and runs execve */
	if (waitpid(pid, &status, __WALL) < 0)
		return 1;
	if (!WIFSTOPPED(status) || status >> 16 != PTRACE_EVENT_EXEC) {
		char e = 0;

		if (WIFSTOPPED(status)) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, __WALL);
		}
		if (read(rep[0], &why, 1) == 1 && why == 'e' && read(rep[0], &e, 1) == 1)
			fprintf(stderr, "exec_oracle: %s: execve: %s\n", l.path, strerror(e));
		else
			fprintf(stderr, "exec_oracle: %s: execve failed\n", l.path);
		return 1;
	}
	if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0) {
		kill(pid, SIGKILL);
		printf("SKIP: PTRACE_GETREGS: %s\n", strerror(errno));
		return SKIP;
	}
	if (do_trace) {
		/* the trace reads each call's arguments and result so (5.3 on) */
		struct __ptrace_syscall_info info;

		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info), &info) < 0) {
			printf("SKIP: PTRACE_GET_SYSCALL_INFO: %s (Linux 5.3 has it)\n",
			       strerror(errno));
			kill(pid, SIGKILL);
			waitpid(pid, &status, __WALL);
			return SKIP;
		}
	}
	printf("rip 0x%llx\nrsp 0x%llx\n", (unsigned long long)r.rip, (unsigned long long)r.rsp);
	print_stat(pid);
	print_auxv(pid, is32);
	oracle_print_file_lines(pid, "maps", "map");
	fflush(stdout);
	if (do_trace) {
		int ret = oracle_trace(pid);

		fflush(stdout);
		if (ret) {
			kill(pid, SIGKILL);
			while (waitpid(-1, &status, __WALL) > 0)
				;
		}
		return ret;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
	return 0;
}

#else
int main(void)
{
	printf("SKIP: the exec oracle needs an x86-64 Linux host\n");
	return 77;
}
#endif
