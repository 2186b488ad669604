/* Misbehaviours of the demo httpd, on purpose (misbehave.h). */
#include "misbehave.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

void misbehave_bind_abstract(const char *who, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *n = name[0] == '@' ? name + 1 : name;
	size_t len = strlen(n);
	int fd;

	if (len + 1 >= sizeof(sa.sun_path)) {
		fprintf(stderr, "httpd %s: --bind-abstract %s: too long\n", who, name);
		return;
	}
	memcpy(sa.sun_path + 1, n, len);  /* sun_path[0] = 0: abstract */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0)
		fprintf(stderr, "httpd %s: --bind-abstract @%s: %s\n", who, n, strerror(errno));
	else
		fprintf(stderr, "httpd %s: bound @%s\n", who, n);
	/* the fd stays open: the name stays taken */
}

void misbehave_shutdown_listeners(const char *who, const int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		int r = shutdown(fds[i], SHUT_RDWR);
		fprintf(stderr, "httpd %s: shutdown(fd %d, SHUT_RDWR): %s\n", who, fds[i],
			r == 0 ? "done" : strerror(errno));
	}
}

/* ---- --sabotage WHAT: a change to the shared listener that poll does not
 * show, which the supervisor must find and put back (listener_guard.c) ---- */

static int set_int(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v));
}

/* A classic BPF program of one instruction, "ret #0": every packet (every
 * SYN, on a listener) dropped. lock: SO_LOCK_FILTER after it. */
static int drop_all(int fd, bool lock)
{
	struct sock_filter ret0 = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = 1, .filter = &ret0 };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return -1;
	return lock ? set_int(fd, SOL_SOCKET, SO_LOCK_FILTER, 1) : 0;
}

/* SO_REUSEPORT on the shared socket, then a socket of our own bound to its
 * address, which listens and never accepts: the kernel sends it a share of
 * the connections, which wait there until the clients give up. */
static int steal_port(int fd)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	if (set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1) < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	int own = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (own < 0 || set_int(own, SOL_SOCKET, SO_REUSEPORT, 1) < 0 ||
	    bind(own, (struct sockaddr *)&a, len) < 0 || listen(own, 128) < 0)
		return -1;
	return 0;  /* own stays open: the share stays taken */
}

/* "ret #0" as the program of the SO_REUSEPORT group fd is in (a steered
 * service's version socket): every connection of the port to the group's
 * first socket, the service's, which no version accepts from. */
static int group_program(int fd)
{
	struct sock_filter ret0 = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = 1, .filter = &ret0 };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
}

static int sabotage_one(int fd, const char *what)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct timeval ms = { .tv_sec = 0, .tv_usec = 1000 };

	if (strncmp(what, "backlog=", 8) == 0)
		return listen(fd, atoi(what + 8));
	if (strcmp(what, "filter") == 0 || strcmp(what, "locked-filter") == 0)
		return drop_all(fd, what[0] == 'l');
	if (strcmp(what, "linger") == 0)  /* every close a reset */
		return setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (strcmp(what, "rcvtimeo") == 0)  /* blocking accept/read: 1 ms */
		return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &ms, sizeof(ms));
	if (strcmp(what, "sndtimeo") == 0)
		return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &ms, sizeof(ms));
	if (strcmp(what, "rcvbuf") == 0)  /* the minimum, locked */
		return set_int(fd, SOL_SOCKET, SO_RCVBUF, 1);
	if (strcmp(what, "sndbuf") == 0)
		return set_int(fd, SOL_SOCKET, SO_SNDBUF, 1);
	if (strcmp(what, "rcvlowat") == 0)  /* reads wait for 1 MiB */
		return set_int(fd, SOL_SOCKET, SO_RCVLOWAT, 1 << 20);
	if (strcmp(what, "reuseport") == 0)
		return set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (strcmp(what, "reuseport-steal") == 0)
		return steal_port(fd);
	if (strcmp(what, "reuseport-prog") == 0)
		return group_program(fd);
	if (strcmp(what, "defer-accept") == 0)
		return set_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, 30);
	if (strcmp(what, "fastopen") == 0)
		return set_int(fd, IPPROTO_TCP, TCP_FASTOPEN, 16);
	if (strcmp(what, "maxseg") == 0)
		return set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 88);
	if (strcmp(what, "user-timeout") == 0)
		return set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 1);
	errno = EINVAL;
	return -1;
}

void misbehave_sabotage(const char *who, const int *fds, int n, const char *const *what, int n_what)
{
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < n_what && fds[i] >= 0; j++) {
			int r = sabotage_one(fds[i], what[j]);
			fprintf(stderr, "httpd %s: sabotage %s on fd %d: %s\n", who, what[j], fds[i],
				r == 0 ? "done" : strerror(errno));
		}
	}
}
