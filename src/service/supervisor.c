#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_container.h"
#include "fault.h"
#include "fdmsg.h"
#include "fdstore.h"
#include "protocol.h"

static int supervisor_addr(const char *root, const char *name, struct sockaddr_un *addr)
{
	char path[PATH_MAX];

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (service_path(path, sizeof(path), root, name, "supervisor.sock") < 0 ||
	    strlen(path) >= sizeof(addr->sun_path))
		return -1;
	strcpy(addr->sun_path, path);
	return 0;
}

bool supervisor_alive(const struct service *svc)
{
	return svc->supervisor_pid > 0 && state_pid_start_time(svc->supervisor_pid) == svc->supervisor_start_time;
}

/* The record names the supervisor (pid, start time) before the supervisor holds
 * the listeners on its own: see wait_for_commit. */
static int commit_supervisor(const char *root, struct service *svc, pid_t supervisor, int commit_fd,
			 struct zrun_error *err)
{
	svc->supervisor_pid = supervisor;
	svc->supervisor_start_time = state_pid_start_time(supervisor);
	fault_point("supervisor-before-record");
	if (service_save(root, svc, err) < 0) {
		close(commit_fd);
		return -1;
	}
	fault_point("supervisor-before-commit");
	ssize_t n = write(commit_fd, "C", 1);
	close(commit_fd);
	if (n != 1)
		return zrun_error_set(err, errno, "supervisor of service %s", svc->name);
	return 0;
}

/* In the grandchild of supervisor_spawn (its own session, reparented to
 * init): its pid on the report pipe, then exec the fdstore image with
 * supervisor.sock, the commit pipe and the listeners. If exec fails, its
 * errno follows the pid (close-on-exec closes the pipe when it succeeds):
 * both from this process, so the two never swap places. */
static __attribute__((noreturn)) void exec_fdstore(const char *root, const struct service *svc, int sock,
						  int commit, const int *fds, int report)
{
	pid_t self = getpid();

	if (write(report, &self, sizeof(self)) != sizeof(self))
		_exit(127);
	if (chdir("/") == 0)
		fdstore_exec(DAEMON_FDSTORE, root, svc->name, sock, commit, fds, svc->n_listeners, report);
	int e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* The fdstore's pid from the report pipe, once it runs the fdstore image:
 * 0 and *pid, or -1 with its exec's errno (0: it did not start). */
static int read_report(int report, pid_t *pid)
{
	int e = 0;

	if (read(report, pid, sizeof(*pid)) != sizeof(*pid) || *pid <= 0)
		return -1;
	if (read(report, &e, sizeof(e)) == sizeof(e)) {
		errno = e;
		return -1;
	}
	return 0;
}

int supervisor_spawn(const char *root, struct service *svc, const int *fds, struct zrun_error *err)
{
	struct sockaddr_un addr;
	int report[2], commit[2];
	char abs_root[PATH_MAX];

	if (realpath(root, abs_root) == NULL)
		snprintf(abs_root, sizeof(abs_root), "%s", root);
	/* the supervisor restarts versions with this zrun (by path: it is the
	 * host's binary, run on the host, never inside a container) */
	if (svc->zrun_path[0] == '\0' && realpath("/proc/self/exe", svc->zrun_path) == NULL)
		svc->zrun_path[0] = '\0';
	/* zrun runs from a sealed memfd copy (cloned_binary.c): the supervisor
	 * then execs that same copy through /proc/self/exe */
	if (strncmp(svc->zrun_path, "/memfd:", 7) == 0)
		svc->zrun_path[0] = '\0';
	if (supervisor_addr(root, svc->name, &addr) < 0)
		return zrun_error_set(err, ENAMETOOLONG, "supervisor socket of %s", svc->name);
	unlink(addr.sun_path);
	int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(sock, 64) < 0) {
		int e = errno;
		if (sock >= 0)
			close(sock);
		return zrun_error_set(err, e, "supervisor socket %s", addr.sun_path);
	}
	if (pipe2(report, O_CLOEXEC) < 0) {
		close(sock);
		return zrun_error_set(err, errno, "pipe");
	}
	if (pipe2(commit, O_CLOEXEC) < 0) {
		int e = errno;
		close(sock);
		close(report[0]);
		close(report[1]);
		return zrun_error_set(err, e, "pipe");
	}
	pid_t mid = fork();
	if (mid < 0) {
		int e = errno;
		close(sock);
		close(report[0]);
		close(report[1]);
		close(commit[0]);
		close(commit[1]);
		return zrun_error_set(err, e, "fork supervisor");
	}
	if (mid == 0) {
		/* Detach: new session, reparented to init/subreaper, no stdio. */
		setsid();
		close(commit[1]);
		close(report[0]);
		pid_t k = fork();
		if (k == 0)
			exec_fdstore(abs_root, svc, sock, commit[0], fds, report[1]);
		_exit(k < 0);
	}
	close(sock);
	close(report[1]);
	close(commit[0]);
	pid_t fdstore = 0;
	int r = read_report(report[0], &fdstore);
	int e = errno;
	close(report[0]);
	waitpid(mid, NULL, 0);
	if (r < 0) {
		close(commit[1]);
		return zrun_error_set(err, fdstore > 0 ? e : 0, "supervisor of service %s did not start%s", svc->name,
				      fdstore > 0 ? ": exec " DAEMON_FDSTORE : "");
	}
	return commit_supervisor(root, svc, fdstore, commit[1], err);
}

static int connect_supervisor(const char *root, const char *name)
{
	struct sockaddr_un addr;

	if (supervisor_addr(root, name, &addr) < 0)
		return -1;
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

static int fetch_from_supervisor(const char *root, const struct service *svc, int *fds)
{
	struct proto_msg m;
	int s = connect_supervisor(root, svc->name);

	if (s < 0)
		return -1;
	struct pollfd p = { .fd = s, .events = POLLIN };
	/* a reply with another count than the service's listeners is refused
	 * by proto_recv, its fds closed: none is used, none kept */
	int r = proto_send_op(s, PROTO_FETCH) == 0 && poll(&p, 1, PROTO_REPLY_TIMEOUT_MS) > 0 &&
		proto_recv(s, PROTO_REPLY, svc->n_listeners, &m, 0) == 0 ? 0 : -1;
	close(s);
	if (r == 0 && m.op != PROTO_LISTENERS) {
		fdmsg_close(m.fds, m.nfds);
		r = -1;
	}
	if (r == 0)
		memcpy(fds, m.fds, sizeof(int) * m.nfds);
	return r;
}

static bool same_address(int fd, const struct listener *l)
{
	struct sockaddr_storage a = { 0 }; /* zeroed: an unfilled family is AF_UNSPEC */
	socklen_t len = sizeof(a);
	int listening = 0;
	socklen_t ol = sizeof(listening);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ol) < 0 || !listening)
		return false;
	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0 || a.ss_family != l->addr.ss_family)
		return false;
	if (l->kind == LISTENER_UNIX)
		return strcmp(((struct sockaddr_un *)&a)->sun_path, l->path) == 0;
	return len == l->addr_len && memcmp(&a, &l->addr, len) == 0;
}

/* Look through the fds of pid for sockets listening on the service's
 * addresses and copy them (pidfd_getfd); 0 when all were found. */
static int recover_from_pid(pid_t pid, const struct service *svc, int *fds)
{
	char dir[64];
	int found = 0;

	for (size_t i = 0; i < svc->n_listeners; i++)
		fds[i] = -1;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -1;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		close(pidfd);
		return -1;
	}
	for (int target = 0; target < 65536 && found < (int)svc->n_listeners; target++) {
		char name[16], link[64];
		snprintf(name, sizeof(name), "%d", target);
		ssize_t n = readlinkat(dfd, name, link, sizeof(link) - 1);
		if (n < 0) {
			if (errno == ENOENT && target > 1024)
				break;
			continue;
		}
		link[n] = '\0';
		if (strncmp(link, "socket:", 7) != 0)
			continue;
		int fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0);
		if (fd < 0)
			continue;
		bool used = false;
		for (size_t i = 0; i < svc->n_listeners && !used; i++) {
			if (fds[i] < 0 && same_address(fd, &svc->listeners[i])) {
				fds[i] = fd;
				found++;
				used = true;
			}
		}
		if (!used)
			close(fd);
	}
	close(dfd);
	close(pidfd);
	if (found == (int)svc->n_listeners)
		return 0;
	for (size_t i = 0; i < svc->n_listeners; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return -1;
}

static int recover(const char *root, struct service *svc, int *fds, struct zrun_error *err)
{
	char **ids;
	size_t n;

	if (service_versions(root, svc->name, &ids, &n, err) < 0)
		return -1;
	int r = -1;
	for (size_t i = 0; i < n && r < 0; i++) {
		struct container_state st;
		struct zrun_error ignored;
		if (state_read(root, ids[i], &st, &ignored) < 0)
			continue;
		struct cgroup *cg = container_state_cgroup(&st, &ignored);
		pid_t *pids = NULL;
		size_t np = 0;
		if (cg && cgroup_pids(cg, &pids, &np, &ignored) == 0)
			for (size_t j = 0; j < np && r < 0; j++)
				r = recover_from_pid(pids[j], svc, fds);
		free(pids);
		cgroup_free(cg);
		state_clear(&st);
	}
	service_free_ids(ids, n);
	if (r < 0)
		return zrun_error_set(err, 0, "service %s: its supervisor is gone and no running version holds its listeners",
				      svc->name);
	return 0;
}

int supervisor_peek(const char *root, const struct service *svc, int *fds)
{
	return fetch_from_supervisor(root, svc, fds);
}

int supervisor_fetch(const char *root, struct service *svc, int *fds, struct zrun_error *err)
{
	if (fetch_from_supervisor(root, svc, fds) == 0)
		return 0;
	/* The supervisor is gone: take the sockets from a version and start anew. */
	if (recover(root, svc, fds, err) < 0)
		return -1;
	/* One that does not answer goes, with its fdstore or supervisor: the two
	 * share a process group of their own (supervisor_spawn's setsid). */
	if (supervisor_alive(svc)) {
		pid_t group = getpgid(svc->supervisor_pid);
		kill(group > 1 && group != getpgrp() ? -group : svc->supervisor_pid, SIGKILL);
	}
	if (supervisor_spawn(root, svc, fds, err) < 0) {
		for (size_t i = 0; i < svc->n_listeners; i++)
			close(fds[i]);
		return -1;
	}
	return 0;
}

void supervisor_stop(const char *root, const struct service *svc)
{
	int s = connect_supervisor(root, svc->name);

	if (s >= 0) {
		if (proto_send_op(s, PROTO_QUIT) < 0 && supervisor_alive(svc))
			kill(svc->supervisor_pid, SIGTERM);
		close(s);
	} else if (supervisor_alive(svc)) {
		kill(svc->supervisor_pid, SIGTERM);
	}
	/* Bounded wait so the caller can say the service is gone. */
	for (int i = 0; i < 200 && supervisor_alive(svc); i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* One request (op, with id and fd where its type has them; the caller
 * keeps fd): 0 when the supervisor answered with the request's own reply,
 * -1 when it refused or did not answer. */
static int supervisor_request(const char *root, const struct service *svc, enum proto_op op, const char *id,
			      int fd)
{
	struct proto_msg m = { .op = op, .fds = { fd }, .nfds = fd >= 0 ? 1 : 0 }, reply;
	int s = connect_supervisor(root, svc->name);

	if (s < 0)
		return -1;
	snprintf(m.id, sizeof(m.id), "%s", id ? id : "");
	struct pollfd p = { .fd = s, .events = POLLIN };
	int r = proto_send(s, &m, svc->n_listeners) == 0 && poll(&p, 1, PROTO_REPLY_TIMEOUT_MS) > 0 &&
		proto_recv(s, PROTO_REPLY, svc->n_listeners, &reply, 0) == 0 ? 0 : -1;
	close(s);
	if (r == 0) {
		fdmsg_close(reply.fds, reply.nfds);
		r = reply.op == proto_types[op].reply ? 0 : -1;
	}
	return r;
}

int supervisor_send_log(const char *root, const struct service *svc, const char *id, int fd)
{
	return supervisor_request(root, svc, PROTO_LOG, id, fd);
}

int supervisor_send_notify(const char *root, const struct service *svc, const char *id, int fd)
{
	return supervisor_request(root, svc, PROTO_NOTIFY, id, fd);
}

void supervisor_rescan(const char *root, const char *service)
{
	struct service svc = { .n_listeners = 0 };

	snprintf(svc.name, sizeof(svc.name), "%s", service);
	supervisor_request(root, &svc, PROTO_RESCAN, NULL, -1);
}
