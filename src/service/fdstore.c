#include "fdstore.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdmsg.h"
#include "fds.h"
#include "service.h"

#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 5000
#define STABLE_MS 10000   /* a supervisor that lived this long starts the backoff anew */
/* The kept fds a new supervisor starts with are queued on its line before
 * it runs, one message each: ~0.8 KB of socket buffer per message, more
 * than the default allows for a full table (FDSTORE_FD_MAX). */
#define LINE_SNDBUF_BYTES (1024 * 1024)

extern char **environ;

int fdstore_daemon_signals(const char *name)
{
	sigset_t set;

	prctl(PR_SET_NAME, name, 0, 0, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC);
}

int fdstore_exec(const char *image, const char *root, const char *name, int sock, int parent,
		 const int *listeners, size_t n, int keep)
{
	int src[2 + LISTENER_MAX], high[2 + LISTENER_MAX], want[3 + LISTENER_MAX];
	size_t k = 0;

	if (n > LISTENER_MAX) {
		errno = EINVAL;
		return -1;
	}
	/* out of the way of the numbers below, close-on-exec still */
	if (keep >= 0 && (keep = fcntl(keep, F_DUPFD_CLOEXEC, DAEMON_FD_LISTENERS + LISTENER_MAX)) < 0)
		return -1;
	src[k++] = sock;
	src[k++] = parent;
	for (size_t i = 0; i < n; i++)
		src[k++] = listeners[i];
	/* first above every target number, then down to it: dup2 onto its own
	 * number would leave close-on-exec set */
	for (size_t i = 0; i < k; i++)
		if ((high[i] = fcntl(src[i], F_DUPFD_CLOEXEC, DAEMON_FD_LISTENERS + LISTENER_MAX)) < 0)
			return -1;
	for (size_t i = 0; i < k; i++) {
		int target = i == 0 ? DAEMON_FD_SOCK : i == 1 ? DAEMON_FD_PARENT : DAEMON_FD_LISTENERS + (int)i - 2;
		if (dup2(high[i], target) < 0)
			return -1;
		want[i] = target;
	}
	if (keep >= 0)
		want[k++] = keep;
	fds_close_except(3, want, k);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	char count[16];
	snprintf(count, sizeof(count), "%zu", n);
	if (setenv(DAEMON_ROOT_ENV, root, 1) < 0 || setenv(DAEMON_LISTENERS_ENV, count, 1) < 0)
		return -1;
	char *argv[] = { (char *)image, (char *)name, NULL };
	/* this very binary (a sealed copy when zrun runs from one): the
	 * daemons and the command that made them speak one protocol */
	execve("/proc/self/exe", argv, environ);
	return -1;
}

void fdstore_keep(const struct fdstore *g, enum proto_op kind, const char *id, int fd)
{
	struct proto_msg m = { .op = kind, .fds = { fd }, .nfds = 1 };

	if (g == NULL || g->sock < 0)
		return;
	snprintf(m.id, sizeof(m.id), "%s", id);
	proto_send(g->sock, &m, g->n_listeners);
}

/* Keep fd as kind/id: it replaces one of the same kind and id (a restarted
 * version's). */
static void keep(struct fdstore *g, enum proto_op kind, const char *id, int fd)
{
	struct fdstore_fd *slot = NULL;

	for (int i = 0; i < FDSTORE_FD_MAX; i++) {
		struct fdstore_fd *k = &g->kept[i];
		if (k->used && k->kind == kind && strcmp(k->id, id) == 0) {
			close(k->fd);
			k->used = false;
		}
		if (!k->used && slot == NULL)
			slot = k;
	}
	if (slot == NULL) {
		close(fd);
		return;
	}
	*slot = (struct fdstore_fd){ .used = true, .kind = kind, .fd = fd };
	snprintf(slot->id, sizeof(slot->id), "%s", id);
}

/* An fd from the supervisor (protocol.h, PROTO_KEEP). false at the end of
 * the stream or on an error. */
static bool take_fd(struct fdstore *g, int sock)
{
	struct proto_msg m;

	if (proto_recv(sock, PROTO_KEEP, g->n_listeners, &m, 0) < 0)
		return errno == EBADMSG;   /* refused, its fds closed: the next one counts */
	if (m.op == PROTO_KEEP_LISTENER) {
		/* the next supervisor must start with the new socket, not the
		 * dead one; at the same number, without close-on-exec (it is
		 * passed across the supervisor's exec) */
		dup3(m.fds[0], g->listeners[atoi(m.id)], 0);
		close(m.fds[0]);
	} else if (m.op == PROTO_KEEP_LOG || m.op == PROTO_KEEP_NOTIFY) {
		keep(g, m.op, m.id, m.fds[0]);
	}
	return true;
}

/* Until the supervisor exits: its status. Kept fds that report POLLHUP are let
 * go: a log pipe whose writers are all gone (the supervisor drains its own
 * copy), a notify fd whose filter no task uses any more. */
static int watch_supervisor(struct fdstore *g, pid_t supervisor, int pidfd, int sock, int sfd, bool *stopping)
{
	bool sock_ended = false;

	for (;;) {
		struct pollfd p[3 + FDSTORE_FD_MAX] = {
			{ .fd = pidfd, .events = POLLIN }, { .fd = sock_ended ? -1 : sock, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN } };
		int slot[FDSTORE_FD_MAX];
		nfds_t n = 3;
		for (int i = 0; i < FDSTORE_FD_MAX; i++)
			if (g->kept[i].used) {
				slot[n - 3] = i;
				p[n++] = (struct pollfd){ .fd = g->kept[i].fd, .events = 0 };
			}
		if (poll(p, n, -1) < 0 && errno != EINTR)
			return -1;
		if (p[0].revents) {
			int status = 0;
			waitpid(supervisor, &status, 0);
			/* pipes it sent just before it died are still queued */
			struct pollfd q = { .fd = sock, .events = POLLIN };
			while (!sock_ended && poll(&q, 1, 0) > 0 && (q.revents & POLLIN) && take_fd(g, sock))
				;
			return status;
		}
		if ((p[1].revents & (POLLIN | POLLHUP)) && !take_fd(g, sock))
			sock_ended = true;
		if (p[2].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGHUP) {
				*stopping = true;
				kill(supervisor, SIGTERM);
			}
		}
		for (nfds_t i = 3; i < n; i++)
			if (p[i].revents & (POLLHUP | POLLERR)) {
				close(g->kept[slot[i - 3]].fd);
				g->kept[slot[i - 3]].used = false;
			}
	}
}

/* Queue every kept fd on the new supervisor's line, then the end mark: it
 * reads them when it starts (supervisor_daemon.c). Never blocks: the
 * fdstore waits on no supervisor. */
static void queue_kept(const struct fdstore *g, int line)
{
	int size = LINE_SNDBUF_BYTES;

	if (setsockopt(line, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(line, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	for (int i = 0; i < FDSTORE_FD_MAX; i++) {
		const struct fdstore_fd *k = &g->kept[i];
		if (!k->used)
			continue;
		struct proto_msg m = { .op = k->kind, .fds = { k->fd }, .nfds = 1 };
		snprintf(m.id, sizeof(m.id), "%s", k->id);
		proto_send(line, &m, g->n_listeners);
	}
	proto_send_op(line, PROTO_KEEP_END);
}

/* Fork and exec a supervisor image with its line (sp[1]) to this fdstore. */
static pid_t start_supervisor(const struct fdstore *g, const char *root, const char *name, int sp[2])
{
	queue_kept(g, sp[0]);
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		fdstore_exec(DAEMON_SUPERVISOR, root, name, DAEMON_FD_SOCK, sp[1], g->listeners, g->n_listeners, -1);
		_exit(127);
	}
	return pid;
}

static __attribute__((noreturn)) void fdstore_loop(struct fdstore *g, const char *root, const char *name, int sfd)
{
	int fails = 0;
	bool stopping = false;

	for (;;) {
		int sp[2];
		if (sfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
			_exit(1);
		long started = now_ms();
		pid_t supervisor = start_supervisor(g, root, name, sp);
		close(sp[1]);
		int pidfd = supervisor > 0 ? (int)syscall(SYS_pidfd_open, supervisor, 0) : -1;
		int status = pidfd >= 0 ? watch_supervisor(g, supervisor, pidfd, sp[0], sfd, &stopping) : -1;
		if (pidfd >= 0)
			close(pidfd);
		close(sp[0]);
		if (stopping || (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0))
			_exit(0);
		/* It died: again at once, then slower while it keeps dying. */
		fails = now_ms() - started > STABLE_MS ? 1 : fails + 1;
		long wait_ms = fails <= 1 ? 0 : BACKOFF_FIRST_MS << (fails - 2 < 7 ? fails - 2 : 7);
		if (wait_ms > BACKOFF_MAX_MS)
			wait_ms = BACKOFF_MAX_MS;
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		if (wait_ms > 0 && poll(&p, 1, (int)wait_ms) > 0) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGHUP)
				_exit(0);
		}
	}
}

/* Before it holds anything for long: wait for the zrun that made it to
 * record it in service.json ('C' on the commit pipe). EOF instead means
 * that zrun died first: no record names this fdstore, no command would
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

void fdstore_run(const char *root, const char *name)
{
	static struct fdstore g;   /* static: the kept table is not on the stack */
	static int listeners[LISTENER_MAX];
	const char *count = getenv(DAEMON_LISTENERS_ENV);
	char *end;
	unsigned long n = count ? strtoul(count, &end, 10) : 0;

	int sfd = fdstore_daemon_signals(DAEMON_FDSTORE);
	wait_for_commit(DAEMON_FD_PARENT);
	/* a service already gone (ended right after it was made) is left alone */
	if (!service_exists(root, name))
		_exit(0);
	/* the listeners are the n fds from DAEMON_FD_LISTENERS up (no service
	 * record read: ~20 KB less of memory held for the service's life) */
	if (count == NULL || *end != '\0' || n == 0 || n > LISTENER_MAX)
		_exit(1);
	for (size_t i = 0; i < n; i++) {
		listeners[i] = DAEMON_FD_LISTENERS + (int)i;
		if (fcntl(listeners[i], F_GETFD) < 0)
			_exit(1);
	}
	/* field by field: a compound literal would write all of the kept
	 * table (~260 KB of ids), the fdstore's memory per service */
	g.sock = -1;
	g.listeners = listeners;
	g.n_listeners = n;
	fdstore_loop(&g, root, name, sfd);
}
