#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
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
#include "fds.h"
#include "fdstore.h"
#include "intercept.h"
#include "listener_watch.h"
#include "supervise.h"

#define SUPERVISOR_REPLY_TIMEOUT_MS 2000

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

static int send_fds(int sock, const int *fds, size_t n)
{
	return fdmsg_send(sock, "F", 1, fds, n) < 0 ? -1 : 0;
}

/* A request is one whole message: a tag alone ('F' fetch, 'Q' quit, 'P'
 * ping, 'R' look at the versions again) with no fd, or 'L'/'S' followed by
 * a valid container id (it names ID.log: "L../../x" would have written
 * outside logs/) with exactly one fd. Truncated (fdmsg_recv refuses those,
 * closing their fds), NUL-bearing or otherwise malformed messages are
 * refused with 'E'. */
static bool request_valid(const char *buf, size_t len, size_t nfds)
{
	struct zrun_error ignored;

	if (memchr(buf, '\0', len) != NULL)
		return false;
	switch (buf[0]) {
	case 'F': case 'Q': case 'P': case 'R':
		return len == 1 && nfds == 0;
	case 'L': case 'S':
		return len > 1 && nfds == 1 && state_validate_id(buf + 1, &ignored) == 0;
	default:
		return false;
	}
}

/* Serve one client (see request_valid; 'S' is answered 'S', or 'E' when the
 * supervisor cannot take the notify fd). Returns 1 to quit. */
static int serve_client(int client, const int *fds, size_t n, struct supervisor *sup,
			struct interceptor *ic, const struct fdstore *g)
{
	struct pollfd p = { .fd = client, .events = POLLIN };
	char buf[STATE_ID_MAX + 2];
	int got[SUPERVISOR_RECV_FDS];
	size_t nfds;

	if (poll(&p, 1, SUPERVISOR_REPLY_TIMEOUT_MS) <= 0)
		return 0;
	ssize_t len = fdmsg_recv(client, buf, sizeof(buf) - 1, got, SUPERVISOR_RECV_FDS, &nfds, MSG_DONTWAIT);
	if (len < 0 && errno == EBADMSG)
		send(client, "E", 1, MSG_NOSIGNAL);
	if (len < 0)
		return 0;
	int fd = nfds == 1 ? got[0] : -1;
	buf[len] = '\0';
	if (len < 1 || !request_valid(buf, (size_t)len, nfds)) {
		fdmsg_close(got, nfds);
		if (len >= 1)
			send(client, "E", 1, MSG_NOSIGNAL);
		return 0;
	}
	if (buf[0] == 'L') {
		/* the fdstore keeps a copy only of a pipe the supervisor took:
		 * a full table is answered 'E', never 'L' with the pipe closed */
		int r = sup ? supervise_add_log(sup, buf + 1, fd) : (close(fd), -1);
		if (r == 0)
			fdstore_keep(g, FDSTORE_LOG, buf + 1, fd);
		fd = -1;
		send(client, r == 0 ? "L" : "E", 1, MSG_NOSIGNAL);
	} else if (buf[0] == 'S') {
		int r = ic ? intercept_add(ic, buf + 1, fd) : (close(fd), -1);
		if (r == 0)
			fdstore_keep(g, FDSTORE_NOTIFY, buf + 1, fd);
		fd = -1;
		send(client, r == 0 ? "S" : "E", 1, MSG_NOSIGNAL);
	} else if (buf[0] == 'F') {
		if (sup)
			supervise_fetched(sup);
		send_fds(client, fds, n);
	} else if (buf[0] == 'P') {
		send(client, "P", 1, MSG_NOSIGNAL);
	} else if (buf[0] == 'R' && sup) {
		supervise_rescan(sup);
		send(client, "R", 1, MSG_NOSIGNAL);
	}
	if (fd >= 0)
		close(fd);
	return buf[0] == 'Q';
}

/* What a supervisor is started with, and its fdstore keeps for the next one. */
struct supervisor_args {
	int listen_sock;
	const int *fds;
	size_t n;
	const char *root;          /* absolute */
	const struct service *svc;
};

/* The fdstore is gone (killed on its own): this supervisor is the service's
 * supervisor of record now, so that `service status` and the next command see
 * it alive, not a dead pid to recover from. */
static void become_supervisor_of_record(const struct supervisor_args *a)
{
	struct zrun_error ignored;
	struct service svc;
	int lock = service_lock(a->root, a->svc->name, "service.lock", false, &ignored);

	if (lock < 0)
		return;
	if (service_load(a->root, a->svc->name, &svc, &ignored) == 0) {
		svc.supervisor_pid = getpid();
		svc.supervisor_start_time = state_pid_start_time(svc.supervisor_pid);
		service_save(a->root, &svc, &ignored);
	}
	close(lock);
}

static __attribute__((noreturn)) void supervisor_main(const struct supervisor_args *a, struct supervisor *sup,
						  struct interceptor *ic, const struct fdstore *g)
{
	int listen_sock = a->listen_sock;
	const int *fds = a->fds;
	size_t n = a->n;
	int sfd = fdstore_daemon_signals("zrun-supervisor");
	int fdstore = (int)syscall(SYS_pidfd_open, getppid(), 0);
	struct listener_watch lw;
	listener_watch_init(&lw, a->root, a->svc, fds);
	/* a listener shut down while no supervisor ran (it died) is seen at once */
	listener_watch_handle(&lw, NULL, 0, g);
	for (;;) {
		struct pollfd p[3 + SUPERVISE_POLL_MAX + INTERCEPT_POLL_MAX + LISTENER_MAX] = {
			{ .fd = listen_sock, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		size_t ns = sup ? supervise_pollfds(sup, p + 2, SUPERVISE_POLL_MAX) : 0;
		size_t ni = ic ? intercept_pollfds(ic, p + 2 + ns, INTERCEPT_POLL_MAX) : 0;
		p[2 + ns + ni] = (struct pollfd){ .fd = fdstore, .events = POLLIN };
		struct pollfd *pl = p + 3 + ns + ni;
		size_t nl = listener_watch_pollfds(&lw, pl, LISTENER_MAX);
		int timeout = sup ? supervise_timeout_ms(sup) : -1, lt = listener_watch_timeout_ms(&lw);
		if (lt >= 0 && (timeout < 0 || lt < timeout))
			timeout = lt;
		int r = poll(p, 3 + ns + ni + nl, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		/* a version shut a listener down: put it back before anything */
		listener_watch_handle(&lw, pl, nl, g);
		if (p[1].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGHUP) {
				if (sup)
					supervise_shutdown(sup);
				_exit(0);
			}
		}
		/* a program waits in bind/listen: answer it first */
		if (ic)
			intercept_handle(ic, p + 2 + ns, ni);
		if (sup)
			supervise_handle(sup, p + 2, ns);
		if (fdstore >= 0 && p[2 + ns + ni].revents) {
			close(fdstore);
			fdstore = -1;
			become_supervisor_of_record(a);
		}
		if (p[0].revents & POLLIN) {
			int client = accept4(listen_sock, NULL, NULL, SOCK_CLOEXEC);
			if (client < 0)
				continue;
			int quit = serve_client(client, fds, n, sup, ic, g);
			close(client);
			if (quit) {
				if (sup)
					supervise_shutdown(sup);
				_exit(0);
			}
		}
		/* no version left to serve: refuse clients until one may */
		listener_watch_park(&lw, sup && supervise_down(sup));
	}
}

/* The supervisor must hold nothing of the zrun that forked it (above all no
 * flock'd lock file: that lock would stay taken for the supervisor's life). */
/* Every fd above 2 but the socket and the listeners, whatever its number
 * (RLIMIT_NOFILE may be far above 1024). */
static void close_other_fds(int keep_sock, const int *fds, size_t n)
{
	int keep[LISTENER_MAX + 1];
	size_t k = 0;

	keep[k++] = keep_sock;
	for (size_t i = 0; i < n && k < LISTENER_MAX + 1; i++)
		keep[k++] = fds[i];
	fds_close_except(3, keep, k);
}

/* In the fdstore's child: a supervisor, with the log pipes and notify fds
 * the fdstore kept (a supervisor that died left them there). */
static void supervisor_worker(struct fdstore *g, void *arg)
{
	const struct supervisor_args *a = arg;
	struct supervisor *sup = supervise_new(a->root, a->svc->name, a->svc->zrun_path);
	struct interceptor *ic = intercept_new(a->fds, a->n);

	if (sup)
		supervise_rescan(sup);
	for (int i = 0; i < FDSTORE_FD_MAX; i++) {
		struct fdstore_fd *k = &g->kept[i];
		if (!k->used)
			continue;
		if (k->kind == FDSTORE_LOG && sup)
			supervise_add_log(sup, k->id, k->fd);
		else if (k->kind == FDSTORE_NOTIFY && ic)
			intercept_add(ic, k->id, k->fd);
		else
			close(k->fd);
		k->used = false;
	}
	supervisor_main(a, sup, ic, g);
}

bool supervisor_alive(const struct service *svc)
{
	return svc->supervisor_pid > 0 && state_pid_start_time(svc->supervisor_pid) == svc->supervisor_start_time;
}

/* In the fdstore, before it holds anything for long: wait for the zrun
 * that forked it to record it in service.json ('C'). EOF instead means
 * that zrun died first: no record names this supervisor, no command would
 * ever find or stop it, and it would hold the port for good (every later
 * create: EADDRINUSE). It goes instead. */
static void wait_for_commit(int commit_fd)
{
	char c = 0;
	ssize_t n;

	do
		n = read(commit_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != 'C')
		_exit(0);
	close(commit_fd);
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
	/* zrun runs from a sealed memfd copy (cloned_binary.c): the supervisor,
	 * a fork of it, then execs that same copy through /proc/self/exe */
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
		pid_t k = fork();
		if (k != 0) {
			if (write(report[1], &k, sizeof(k)) < 0)
				_exit(1);
			_exit(0);
		}
		wait_for_commit(commit[0]);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		if (chdir("/") < 0)
			_exit(1);
		close_other_fds(sock, fds, svc->n_listeners);
		struct supervisor_args a = { .listen_sock = sock, .fds = fds, .n = svc->n_listeners,
					 .root = abs_root, .svc = svc };
		struct fdstore g = { .sock = -1, .listeners = fds, .n_listeners = svc->n_listeners };
		fdstore_main(&g, supervisor_worker, &a);
	}
	close(sock);
	close(report[1]);
	close(commit[0]);
	pid_t supervisor = 0;
	ssize_t r = read(report[0], &supervisor, sizeof(supervisor));
	close(report[0]);
	waitpid(mid, NULL, 0);
	if (r != sizeof(supervisor) || supervisor <= 0) {
		close(commit[1]);
		return zrun_error_set(err, 0, "supervisor of service %s did not start", svc->name);
	}
	return commit_supervisor(root, svc, supervisor, commit[1], err);
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
	char tag;
	size_t nfds = 0;
	int s = connect_supervisor(root, svc->name);

	if (s < 0)
		return -1;
	struct pollfd p = { .fd = s, .events = POLLIN };
	if (send(s, "F", 1, MSG_NOSIGNAL) != 1 || poll(&p, 1, SUPERVISOR_REPLY_TIMEOUT_MS) <= 0 ||
	    fdmsg_recv(s, &tag, 1, fds, svc->n_listeners, &nfds, 0) <= 0) {
		close(s);
		return -1;
	}
	close(s);
	if (nfds != svc->n_listeners) {
		/* fewer than the service has: none is used, none kept */
		fdmsg_close(fds, nfds);
		return -1;
	}
	return 0;
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
		if (send(s, "Q", 1, MSG_NOSIGNAL) != 1 && supervisor_alive(svc))
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

/* One request with an optional fd; waits for the one-byte answer, which
 * goes to *answer_out when not NULL. */
static int supervisor_request(const char *root, const char *name, const char *msg, size_t len, int fd,
			  char *answer_out)
{
	char answer;
	int s = connect_supervisor(root, name);

	if (s < 0)
		return -1;
	struct pollfd p = { .fd = s, .events = POLLIN };
	int r = (fdmsg_send(s, msg, len, &fd, fd >= 0 ? 1 : 0) == (ssize_t)len &&
		 poll(&p, 1, SUPERVISOR_REPLY_TIMEOUT_MS) > 0 &&
		 recv(s, &answer, 1, 0) == 1) ? 0 : -1;
	close(s);
	if (r == 0 && answer_out)
		*answer_out = answer;
	return r;
}

int supervisor_send_log(const char *root, const struct service *svc, const char *id, int fd)
{
	char msg[STATE_ID_MAX + 2], answer = 0;

	snprintf(msg, sizeof(msg), "L%s", id);
	if (supervisor_request(root, svc->name, msg, strlen(msg), fd, &answer) < 0)
		return -1;
	return answer == 'L' ? 0 : -1;
}

int supervisor_send_notify(const char *root, const struct service *svc, const char *id, int fd)
{
	char msg[STATE_ID_MAX + 2], answer = 0;

	snprintf(msg, sizeof(msg), "S%s", id);
	if (supervisor_request(root, svc->name, msg, strlen(msg), fd, &answer) < 0)
		return -1;
	return answer == 'S' ? 0 : -1;
}

void supervisor_rescan(const char *root, const char *service)
{
	supervisor_request(root, service, "R", 1, -1, NULL);
}
