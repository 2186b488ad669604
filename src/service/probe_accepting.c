/* The `accepting` probe: a version is ready when one of its processes waits
 * for connections on a service listener: the listener is in one of its
 * epoll sets (a "tfd:" line of /proc/PID/fdinfo, from the moment the app
 * calls listen({fd: 3}) in Node), or a thread is blocked in accept/poll on
 * it (/proc/PID/task/TID/syscall). This is what pm2 learns from a cluster
 * worker's `listen`, for any language. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_container.h"
#include "probe.h"
#include "procfs.h"

static bool is_listener(const struct probe_target *t, unsigned long ino)
{
	for (size_t i = 0; i < t->svc->n_listeners; i++)
		if (t->inodes[i] == ino && ino != 0)
			return true;
	return false;
}

/* An epoll fd whose interest list holds a listener. */
static bool epoll_watches_listener(const struct probe_target *t, pid_t pid)
{
	char dir[64], line[256];
	bool found = false;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", pid);
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	struct dirent *de;
	while (!found && (de = readdir(d)) != NULL) {
		char path[600];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "re");
		if (f == NULL)
			continue;
		while (!found && fgets(line, sizeof(line), f)) {
			char *ino = strstr(line, " ino:");
			if (strncmp(line, "tfd:", 4) == 0 && ino)
				found = is_listener(t, strtoul(ino + 5, NULL, 16));
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* poll/ppoll: read the pollfd array out of the process. */
static bool poll_watches_listener(const struct probe_target *t, pid_t pid, unsigned long addr,
				  unsigned long nfds)
{
	struct pollfd fds[256];

	if (nfds == 0 || nfds > 256)
		return false;
	struct iovec local = { fds, nfds * sizeof(struct pollfd) };
	struct iovec remote = { (void *)addr, nfds * sizeof(struct pollfd) };
	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)local.iov_len)
		return false;
	for (unsigned long i = 0; i < nfds; i++)
		if ((fds[i].events & POLLIN) && fds[i].fd >= 0 && is_listener(t, procfs_socket_inode(pid, fds[i].fd)))
			return true;
	return false;
}

/* A thread blocked in accept(2)/accept4(2) or poll on a listener. */
static bool thread_waits_on_listener(const struct probe_target *t, pid_t pid)
{
	char dir[64];
	bool found = false;

	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	struct dirent *de;
	while (!found && (de = readdir(d)) != NULL) {
		char path[600], buf[256];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/syscall", dir, de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		long nr;
		unsigned long a0, a1;
		if (sscanf(buf, "%ld %lx %lx", &nr, &a0, &a1) != 3)
			continue;
		if (nr == SYS_accept || nr == SYS_accept4)
			found = is_listener(t, procfs_socket_inode(pid, (long)a0));
		else if (nr == SYS_poll || nr == SYS_ppoll)
			found = poll_watches_listener(t, pid, a0, a1);
	}
	closedir(d);
	return found;
}

static int version_pids(const struct probe_target *t, pid_t **pids, size_t *n)
{
	struct zrun_error ignored;
	struct cgroup *cg = container_state_cgroup(t->st, &ignored);

	if (cg == NULL)
		return -1;
	int r = cgroup_pids(cg, pids, n, &ignored);
	cgroup_free(cg);
	return r;
}

bool probe_accepting(const struct probe_target *t)
{
	pid_t *pids = NULL;
	size_t n = 0;
	bool found = false;

	if (version_pids(t, &pids, &n) < 0)
		return false;
	for (size_t i = 0; i < n && !found; i++)
		found = epoll_watches_listener(t, pids[i]) || thread_waits_on_listener(t, pids[i]);
	free(pids);
	return found;
}

bool probe_version_holds(const struct probe_target *t, unsigned long inode)
{
	pid_t *pids = NULL;
	size_t n = 0;
	bool found = false;
	char want[64];

	if (inode == 0 || version_pids(t, &pids, &n) < 0)
		return false;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	for (size_t i = 0; i < n && !found; i++) {
		char dir[64];
		snprintf(dir, sizeof(dir), "/proc/%d/fd", pids[i]);
		DIR *d = opendir(dir);
		if (d == NULL)
			continue;
		struct dirent *de;
		while (!found && (de = readdir(d)) != NULL) {
			char link[64];
			ssize_t len = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
			if (len > 0) {
				link[len] = '\0';
				found = strcmp(link, want) == 0;
			}
		}
		closedir(d);
	}
	free(pids);
	return found;
}
