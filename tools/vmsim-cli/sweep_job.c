/*
 * One job of a sweep (sweep.h): this program exec'd with the argv the
 * sweep wrote to DIR/job-N.args, in the directory the sweep ran in, so a
 * job is the same run wherever it runs (here under -j, under GNU parallel,
 * as a Slurm array task).
 *
 * Invariant: DIR/job-N.json appears (renamed from a temporary) only after
 * the job exited with 0 or 1, when its report is whole; DIR/job-N.err is
 * kept only when the job said something on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "sweep.h"
#include "util/error.h"
#include "util/hostalloc.h"
#include "util/parse.h"

#define MAX_ARGV 512

int sweep_read_file(const char *path, char **buf, size_t *len, size_t *cap,
		    struct vmsim_error *err)
{
	FILE *f = fopen(path, "rb");
	size_t got;

	*buf = NULL;
	*len = *cap = 0;
	if (!f)
		return verr(err, -errno, "%s: %s", path, strerror(errno));
	do {
		if (*cap - *len < 4096) {
			size_t nc = *cap ? *cap * 2 : 65536;
			char *nb = host_realloc(NULL, *buf, *cap, nc);

			if (!nb) {
				fclose(f);
				host_free(NULL, *buf, *cap);
				*buf = NULL;
				return verr(err, -ENOMEM, "%s: out of host memory", path);
			}
			*buf = nb;
			*cap = nc;
		}
		got = fread(*buf + *len, 1, *cap - *len - 1, f);
		*len += got;
	} while (got);
	if (ferror(f)) {
		fclose(f);
		host_free(NULL, *buf, *cap);
		*buf = NULL;
		return verr(err, -EIO, "%s: read error", path);
	}
	fclose(f);
	(*buf)[*len] = '\0';
	return 0;
}

int sweep_job_start(const char *dir, uint64_t n, const char *self, struct sweep_job *j,
		    pid_t *pid)
{
	struct vmsim_error err = { 0 };
	char path[4096], *args, *argv[MAX_ARGV + 2];
	size_t len, cap, argc = 0;
	int fd, ret;

	j->n = n;
	snprintf(path, sizeof(path), "%s/job-%llu.args", dir, (unsigned long long)n);
	snprintf(j->out_path, sizeof(j->out_path), "%s/job-%llu.json", dir, (unsigned long long)n);
	snprintf(j->err_path, sizeof(j->err_path), "%s/job-%llu.err", dir, (unsigned long long)n);
	ret = sweep_read_file(path, &args, &len, &cap, &err);
	if (ret) {
		fprintf(stderr, "vmsim-cli: sweep: %s\n", err.msg);
		return 2;
	}
	/* the directory, then the arguments, each NUL-ended */
	argv[argc++] = (char *)"vmsim-cli";
	for (size_t i = strlen(args) + 1; i < len && argc <= MAX_ARGV; i += strlen(args + i) + 1)
		argv[argc++] = args + i;
	argv[argc] = NULL;
	if (len == 0 || args[len - 1] != '\0' || argc > MAX_ARGV || argc < 3) {
		fprintf(stderr, "vmsim-cli: sweep: %s: not a job's arguments\n", path);
		host_free(NULL, args, cap);
		return 2;
	}
	ret = outfile_open(&j->out, j->out_path, NULL, &err);
	fd = ret ? -1 : open(j->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (ret || fd < 0) {
		fprintf(stderr, "vmsim-cli: sweep: %s\n", ret ? err.msg : strerror(errno));
		if (!ret)
			outfile_abort(&j->out);
		host_free(NULL, args, cap);
		return 2;
	}
	fflush(NULL);	/* nothing of ours buffered twice */
	*pid = fork();
	if (*pid == 0) {
		if (dup2(j->out.fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0 ||
		    chdir(args) != 0) {
			dprintf(fd, "vmsim-cli: sweep: job %llu: %s\n", (unsigned long long)n,
				strerror(errno));
			_exit(2);
		}
		signal(SIGPIPE, SIG_DFL);
		execv(self, argv);
		dprintf(STDERR_FILENO, "vmsim-cli: sweep: %s: %s\n", self, strerror(errno));
		_exit(2);
	}
	close(fd);
	host_free(NULL, args, cap);
	if (*pid < 0) {
		fprintf(stderr, "vmsim-cli: sweep: fork: %s\n", strerror(errno));
		outfile_abort(&j->out);
		return 2;
	}
	return 0;
}

/* The first line of @path, for the message of a failed job. */
static void first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

int sweep_job_finish(struct sweep_job *j, int status)
{
	struct vmsim_error err = { 0 };
	struct stat st;
	char line[512];
	int ret = 0;

	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1) {
		if (outfile_commit(&j->out, &err)) {
			fprintf(stderr, "vmsim-cli: %s\n", err.msg);
			ret = 2;
		}
	} else {
		outfile_abort(&j->out);
		first_line(j->err_path, line, sizeof(line));
		if (WIFEXITED(status))
			fprintf(stderr, "vmsim-cli: sweep: job %llu failed (exit status %d): %s\n",
				(unsigned long long)j->n, WEXITSTATUS(status), line);
		else
			fprintf(stderr, "vmsim-cli: sweep: job %llu killed by signal %d (%s)\n",
				(unsigned long long)j->n, WTERMSIG(status), strsignal(WTERMSIG(status)));
		ret = 2;
	}
	if (stat(j->err_path, &st) == 0 && st.st_size == 0)
		unlink(j->err_path);
	return ret;
}

int sweep_job_main(struct cli *c, int argc, char **argv)
{
	struct sweep_job j;
	char self[4096];
	uint64_t n;
	pid_t pid;
	int status;
	ssize_t len;

	if (argc != 3 || parse_u64(argv[2], &n) || n == 0)
		return cli_usage_error(&cmd_sweep, "sweep job takes the sweep's directory and a job "
				       "number from 1");
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0) {
		fprintf(stderr, "vmsim-cli: sweep: cannot find this program: %s\n", strerror(errno));
		return 2;
	}
	self[len] = '\0';
	if (sweep_job_start(argv[1], n, self, &j, &pid))
		return 2;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "vmsim-cli: sweep: waitpid: %s\n", strerror(errno));
			outfile_abort(&j.out);
			return 2;
		}
	if (sweep_job_finish(&j, status))
		return 2;
	return WEXITSTATUS(status);
}

bool sweep_dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

void sweep_dir_remove(const char *dir, uint64_t nr_jobs)
{
	static const char *const ext[] = { "args", "json", "err" };
	char path[4096];

	for (uint64_t k = 1; k <= nr_jobs; k++)
		for (unsigned i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/job-%llu.%s", dir, (unsigned long long)k,
				 ext[i]);
			unlink(path);
		}
	snprintf(path, sizeof(path), "%s/jobs.tsv", dir);
	unlink(path);
	rmdir(dir);
}
