#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool is_procfs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

int procfs_open(int min_fd, struct zrun_error *err)
{
	int fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return zrun_error_set(err, errno, "open /proc");
	struct stat st;
	/* The root directory of a procfs mount has inode 1. */
	if (!is_procfs(fd) || fstat(fd, &st) < 0 || st.st_ino != 1) {
		close(fd);
		return zrun_error_set(err, 0, "/proc is not the root of a procfs mount");
	}
	if (fd >= min_fd)
		return fd;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
	int e = errno;
	close(fd);
	return high >= 0 ? high : zrun_error_set(err, e, "open /proc: dup");
}

static int procfs_openat(int proc_fd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC | O_NOCTTY),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	do {
		fd = syscall(SYS_openat2, proc_fd, path, &how, sizeof(how));
	} while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	if (fd >= 0 && !is_procfs((int)fd)) {
		close((int)fd);
		errno = EXDEV;
		return -1;
	}
	return (int)fd;
}

int procfs_exists(int proc_fd, const char *path)
{
	int fd = procfs_openat(proc_fd, path, O_PATH);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int procfs_write(int proc_fd, const char *path, const char *value, const char *what,
		 struct zrun_error *err)
{
	int fd = procfs_openat(proc_fd, path, O_WRONLY);

	if (fd < 0)
		return zrun_error_set(err, errno, "%s: open /proc/%s", what, path);
	ssize_t n = write(fd, value, strlen(value));
	int e = errno;
	close(fd);
	if (n < 0)
		return zrun_error_set(err, e, "%s: write \"%s\" to /proc/%s", what, value, path);
	return 0;
}

int procfs_stat(pid_t pid, struct procfs_stat *out)
{
	/* 52 fields of at most 20 digits each, and a name of at most 64 bytes
	 * (TASK_COMM_LEN is 16; a kernel thread's name can be longer) */
	char path[64], buf[2048];
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ' || p[2] == '\0')
		return -1;
	out->state = p[2];
	/* p at the space before field 3; each turn moves to the next one */
	p++;
	for (int field = 3; field <= 52; field++) {
		if (field == 22)
			out->start_time = strtoull(p + 1, NULL, 10);
		else if (field == 52) {
			out->exit_code = (int)strtol(p + 1, NULL, 10);
			out->has_exit_code = true;
		}
		if (field < 52 && (p = strchr(p + 1, ' ')) == NULL)
			break;
	}
	return 0;
}

unsigned long procfs_socket_inode(pid_t pid, long fd)
{
	char path[64], link[64];
	unsigned long ino = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd/%ld", (int)pid, fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return sscanf(link, "socket:[%lu]", &ino) == 1 ? ino : 0;
}

/* A field of /proc/PID/status ("SigCgt:\t0000000000004a02\n"): the text
 * after "NAME:" and the blanks, up to the line's end, into out. */
static int status_field(const char *status, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name);

	for (const char *p = status; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, nl) != 0 || p[nl] != ':')
			continue;
		p += nl + 1;
		p += strspn(p, " \t");
		size_t n = strcspn(p, "\n");
		snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
		return 0;
	}
	return -1;
}

int procfs_signal_dropped(pid_t pid, int sig)
{
	char path[64], buf[4096], nspid[256], caught[32], ignored[32], blocked[32];

	if (pid <= 0 || sig < 1 || sig > 64)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (status_field(buf, "NSpid", nspid, sizeof(nspid)) < 0 || status_field(buf, "SigCgt", caught, sizeof(caught)) < 0 ||
	    status_field(buf, "SigIgn", ignored, sizeof(ignored)) < 0 ||
	    status_field(buf, "SigBlk", blocked, sizeof(blocked)) < 0)
		return -1;
	unsigned long long bit = 1ULL << (sig - 1);
	/* a blocked signal is queued whatever its action (a signalfd reads
	 * it: the demo httpd) */
	if (strtoull(blocked, NULL, 16) & bit)
		return 0;
	if (strtoull(ignored, NULL, 16) & bit)
		return 2;
	/* "NSpid:\t4242\t1": pid 1 of a namespace below this one */
	const char *tab = strrchr(nspid, '\t');
	bool init = tab && strcmp(tab + 1, "1") == 0;
	return init && !(strtoull(caught, NULL, 16) & bit) ? 1 : 0;
}
