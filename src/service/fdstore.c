#include "fdstore.h"
#include "clock.h"
#include "fdmsg.h"

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

#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 5000
#define STABLE_MS 10000   /* a supervisor that lived this long starts the backoff anew */

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

void fdstore_keep(const struct fdstore *g, char kind, const char *id, int fd)
{
	char msg[STATE_ID_MAX + 2];

	if (g == NULL || g->sock < 0 || id[0] == '\0')
		return;
	snprintf(msg, sizeof(msg), "%c%s", kind, id);
	fdmsg_send(g->sock, msg, strlen(msg), &fd, 1);
}

/* An fd from the supervisor: kept under its kind and id (a restarted version
 * replaces its old one). false at the end of the stream or on an error. */
static bool take_fd(struct fdstore *g, int sock)
{
	char buf[STATE_ID_MAX + 2];
	int fd = -1;
	size_t nfds;
	ssize_t n = fdmsg_recv(sock, buf, sizeof(buf) - 1, &fd, 1, &nfds, 0);

	if (n < 0 && errno == EBADMSG)
		return true;   /* refused, its fds closed: the next one counts */
	if (n <= 0)
		return false;
	if (nfds != 1)
		return true;
	buf[n] = '\0';
	char kind = buf[0];
	const char *id = buf + 1;
	if (n >= 2 && kind == FDSTORE_LISTENER) {
		/* the next supervisor must start with the new socket, not the dead one */
		char *end;
		unsigned long i = strtoul(id, &end, 10);
		if (*end == '\0' && i < g->n_listeners)
			dup3(fd, g->listeners[i], O_CLOEXEC);
		close(fd);
		return true;
	}
	if (n < 2 || (kind != FDSTORE_LOG && kind != FDSTORE_NOTIFY)) {
		close(fd);
		return true;
	}
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
		return true;
	}
	*slot = (struct fdstore_fd){ .used = true, .kind = kind, .fd = fd };
	snprintf(slot->id, sizeof(slot->id), "%s", id);
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

void fdstore_main(struct fdstore *g, void (*worker)(struct fdstore *g, void *arg), void *arg)
{
	int fails = 0;
	bool stopping = false;
	int sfd = fdstore_daemon_signals("zrun-fdstore");
	for (;;) {
		int sp[2];
		if (sfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
			_exit(1);
		long started = now_ms();
		pid_t supervisor = fork();
		if (supervisor == 0) {
			close(sp[0]);
			close(sfd);
			g->sock = sp[1];
			worker(g, arg);
			_exit(1);
		}
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
