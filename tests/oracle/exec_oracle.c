/*
 * exec_oracle: what the host kernel does on execve, captured for the
 * differential tests.  It runs PROG under ptrace with ADDR_NO_RANDOMIZE,
 * an empty environment and a fixed RLIMIT_STACK, stops it right after
 * execve (the SIGTRAP the kernel sends a PTRACE_TRACEME child) and prints
 *
 *   rip 0x..  / rsp 0x..
 *   mm start_code 0x.. (and the other /proc/PID/stat mm fields, 26-51)
 *   auxv TYPE 0x..       (from /proc/PID/auxv, AT_NULL excluded)
 *   map LINE             (/proc/PID/maps, verbatim)
 *
 * With --trace it lets the program run on, stopping at every system call
 * (PTRACE_SYSCALL), and prints each brk/mmap/munmap/mprotect/mremap with its
 * arguments and result ("sys mmap ADDR LEN PROT FLAGS FD OFF PATH = RES"),
 * then the maps once more at exit_group ("final LINE").
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
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/user.h>
#include <sys/wait.h>

#define SKIP 77

static void usage(void)
{
	fprintf(stderr, "usage: exec_oracle [--stack-rlimit N|unlimited] [--trace] [--arg0 NAME] "
			"PROG [ARG]...\n");
	exit(2);
}

static void print_file_lines(pid_t pid, const char *what, const char *prefix)
{
	char path[64], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "exec_oracle: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
			line[--n] = '\0';
		printf("%s %s\n", prefix, line);
	}
	fclose(f);
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

static const char *sys_name(long nr)
{
	switch (nr) {
	case 9: return "mmap";
	case 10: return "mprotect";
	case 11: return "munmap";
	case 12: return "brk";
	case 25: return "mremap";
	}
	return NULL;
}

/* Run the stopped tracee to its exit, printing the memory system calls. */
static int trace(pid_t pid)
{
	struct user_regs_struct r;
	bool entry = true;
	long nr = -1;
	unsigned long long a[6] = { 0 };
	char fdpath[PATH_MAX];
	int status;

	if (ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) < 0)
		return 1;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0)
			return 1;
		if (waitpid(pid, &status, 0) < 0)
			return 1;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return 0;
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != (SIGTRAP | 0x80))
			continue;	/* a signal stop: the PTRACE_SYSCALL above resumes it */
		if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0)
			return 1;
		if (entry) {
			nr = (long)r.orig_rax;
			a[0] = r.rdi; a[1] = r.rsi; a[2] = r.rdx;
			a[3] = r.r10; a[4] = r.r8; a[5] = r.r9;
			fdpath[0] = '\0';
			if (nr == 9 && !(a[3] & 0x20) && (int)a[4] >= 0) {
				char link[64];
				ssize_t n;

				snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, (int)a[4]);
				n = readlink(link, fdpath, sizeof(fdpath) - 1);
				fdpath[n > 0 ? n : 0] = '\0';
			}
			if (nr == 231 || nr == 60) {	/* exit_group, exit: the final maps */
				print_file_lines(pid, "maps", "final");
				printf("final-mm\n");
				print_stat(pid);
			}
		} else if (sys_name(nr)) {
			const char *name = sys_name(nr);
			long long res = (long long)r.rax;

			if (nr == 9)
				printf("sys mmap 0x%llx 0x%llx 0x%llx 0x%llx %d 0x%llx %s = %lld\n",
				       a[0], a[1], a[2], a[3], (int)a[4], a[5],
				       fdpath[0] ? fdpath : "-", res);
			else if (nr == 12)
				printf("sys brk 0x%llx = %lld\n", a[0], res);
			else if (nr == 11)
				printf("sys munmap 0x%llx 0x%llx = %lld\n", a[0], a[1], res);
			else if (nr == 25)
				printf("sys mremap 0x%llx 0x%llx 0x%llx 0x%llx 0x%llx = %lld\n", a[0],
				       a[1], a[2], a[3], a[4], res);
			else
				printf("sys %s 0x%llx 0x%llx 0x%llx = %lld\n", name, a[0], a[1], a[2], res);
		}
		entry = !entry;
	}
}

int main(int argc, char **argv)
{
	struct rlimit rl = { 8ULL << 20, 8ULL << 20 };
	const char *arg0 = NULL;
	bool do_trace = false, is32 = false;
	struct user_regs_struct r;
	int i, status, pfd[2];
	pid_t pid;
	char why = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--trace") == 0) {
			do_trace = true;
		} else if (strcmp(argv[i], "--stack-rlimit") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "unlimited") == 0)
				rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
			else
				rl.rlim_cur = rl.rlim_max = strtoull(argv[i], NULL, 0);
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
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		char *const envp[] = { NULL };
		/* a hard limit below the wanted one cannot be raised without
		 * privilege: report it as a skip rather than trace something else */
		if (setrlimit(RLIMIT_STACK, &rl) < 0)
			why = 'r';
		else if (personality(ADDR_NO_RANDOMIZE) < 0)
			why = 'p';
		else if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
			why = 't';
		if (why) {
			if (write(pfd[1], &why, 1) < 0)
				_exit(SKIP);
			_exit(SKIP);
		}
		/* argv: [arg0 or PROG, ARG...]: argv[i] itself becomes argv[0] */
		const char *path = argv[i];

		if (arg0)
			argv[i] = (char *)arg0;
		execve(path, argv + i, envp);
		{
			char msg[2] = { 'e', (char)errno };	/* errno values fit */
			ssize_t w = write(pfd[1], msg, sizeof(msg));

			(void)w;
			_exit(1);
		}
	}
	close(pfd[1]);
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	if (read(pfd[0], &why, 1) == 1 || !WIFSTOPPED(status)) {
		if (WIFSTOPPED(status))
			kill(pid, SIGKILL);
		switch (why) {
		case 'r': printf("SKIP: setrlimit(RLIMIT_STACK) refused\n"); return SKIP;
		case 'p': printf("SKIP: personality(ADDR_NO_RANDOMIZE) refused\n"); return SKIP;
		case 't': printf("SKIP: ptrace(PTRACE_TRACEME) not permitted here\n"); return SKIP;
		}
		{
			char e = 0;

			if (why == 'e' && read(pfd[0], &e, 1) == 1)
				fprintf(stderr, "exec_oracle: %s: execve: %s\n", argv[i], strerror(e));
			else
				fprintf(stderr, "exec_oracle: %s: execve failed\n", argv[i]);
		}
		return 1;
	}
	if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0) {
		kill(pid, SIGKILL);
		printf("SKIP: PTRACE_GETREGS: %s\n", strerror(errno));
		return SKIP;
	}
	printf("rip 0x%llx\nrsp 0x%llx\n", (unsigned long long)r.rip, (unsigned long long)r.rsp);
	print_stat(pid);
	print_auxv(pid, is32);
	print_file_lines(pid, "maps", "map");
	fflush(stdout);
	if (do_trace) {
		int ret = trace(pid);

		fflush(stdout);
		if (ret) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		return ret;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 0;
}

#else
int main(void)
{
	printf("SKIP: the exec oracle needs an x86-64 Linux host\n");
	return 77;
}
#endif
