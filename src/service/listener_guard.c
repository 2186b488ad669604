#include "listener_guard.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

enum value_kind { V_INT, V_TIMEVAL, V_LINGER };

struct guard_opt {
	int level, name;
	const char *label;
	enum value_kind kind;
};

/* The options of a listening socket that hurt the other versions, each for
 * a reason: its accepted sockets inherit it (sk_clone copies the listener),
 * or it acts on the accept queue itself. In the order they are put back:
 * SO_RCVLOWAT may raise SO_RCVBUF, and setting a buffer size sets its lock
 * (docs/hardening.md lists the options left alone, and why). */
static const struct guard_opt opts[] = {
	/* inherited: linger 0 closes with a reset, the response's tail lost */
	{ SOL_SOCKET, SO_LINGER, "SO_LINGER", V_LINGER },
	/* a blocking accept() gives up (EAGAIN) in every version; inherited
	 * by the accepted sockets' reads and writes */
	{ SOL_SOCKET, SO_RCVTIMEO, "SO_RCVTIMEO", V_TIMEVAL },
	{ SOL_SOCKET, SO_SNDTIMEO, "SO_SNDTIMEO", V_TIMEVAL },
	/* inherited: a read waits for N bytes, a short request hangs */
	{ SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT", V_INT },
	/* inherited: tiny buffers, tiny windows, no autotuning (the lock) */
	{ SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF", V_INT },
	{ SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", V_INT },
	{ SOL_SOCKET, SO_BUF_LOCK, "SO_BUF_LOCK", V_INT },
	/* lets a version bind a socket of its own to the port, which then
	 * takes a share of the connections */
	{ SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT", V_INT },
	/* connections reach the queue only with the client's first bytes: a
	 * protocol where the server speaks first stalls for seconds */
	{ IPPROTO_TCP, TCP_DEFER_ACCEPT, "TCP_DEFER_ACCEPT", V_INT },
	/* data in the SYN (which the network may replay) for versions that
	 * never asked for it */
	{ IPPROTO_TCP, TCP_FASTOPEN, "TCP_FASTOPEN", V_INT },
	/* inherited: tiny segments */
	{ IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG", V_INT },
	/* inherited: connections dropped after N ms of unacknowledged data */
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", V_INT },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))
_Static_assert(N_OPTS <= GUARD_OPT_MAX, "GUARD_OPT_MAX");

static socklen_t value_size(enum value_kind k)
{
	return k == V_TIMEVAL ? sizeof(struct timeval) : k == V_LINGER ? sizeof(struct linger) : sizeof(int);
}

static bool get_opt(int fd, const struct guard_opt *o, union guard_value *v)
{
	socklen_t len = value_size(o->kind);

	memset(v, 0, sizeof(*v));
	return getsockopt(fd, o->level, o->name, v, &len) == 0;
}

/* Put o back to base. */
static int put_opt(int fd, const struct guard_opt *o, const union guard_value *base)
{
	if (o->level == SOL_SOCKET && (o->name == SO_RCVBUF || o->name == SO_SNDBUF)) {
		/* the kernel doubles what it is given; FORCE: past rmem_max */
		int half = base->i / 2;
		int force = o->name == SO_RCVBUF ? SO_RCVBUFFORCE : SO_SNDBUFFORCE;
		if (setsockopt(fd, SOL_SOCKET, force, &half, sizeof(half)) == 0)
			return 0;
		return setsockopt(fd, SOL_SOCKET, o->name, &half, sizeof(half));
	}
	if (o->level == IPPROTO_TCP && o->name == TCP_MAXSEG) {
		/* 0: no clamp (getsockopt shows the default MSS, 536, which
		 * set as a clamp would cap every connection) */
		int zero = 0;
		return setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &zero, sizeof(zero));
	}
	return setsockopt(fd, o->level, o->name, base, value_size(o->kind));
}

/* The listen backlog of a listening TCP socket: tcp_info reports it as
 * tcpi_sacked (what sock_diag and `ss -lnt` show as Send-Q); -1 when fd
 * does not listen or is no TCP socket. */
static int tcp_backlog(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 || ti.tcpi_state != TCP_LISTEN)
		return -1;
	return (int)ti.tcpi_sacked;
}

/* A socket made as listener_open makes l's, on a loopback port 0 (TCP) or
 * an autobound abstract name (unix): the values the service's has. */
static int reference_socket(const struct listener *l)
{
	struct sockaddr_storage a;
	socklen_t len;
	int one = 1, fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.ss_family = l->addr.ss_family;
	if (l->kind == LISTENER_TCP) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (a.ss_family == AF_INET)
			((struct sockaddr_in *)&a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else
			((struct sockaddr_in6 *)&a)->sin6_addr = in6addr_loopback;
		len = a.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	} else {
		len = sizeof(sa_family_t);  /* autobind */
	}
	if (bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, LISTENER_BACKLOG) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void listener_guard_init(struct listener_guard *g, const struct listener *l)
{
	memset(g, 0, sizeof(*g));
	g->backlog = -1;
	int fd = reference_socket(l);
	if (fd < 0)
		return;  /* nothing to compare with: nothing guarded */
	if (l->kind == LISTENER_TCP)
		g->backlog = tcp_backlog(fd);
	for (size_t i = 0; i < N_OPTS; i++)
		if (l->kind == LISTENER_TCP || opts[i].level == SOL_SOCKET)
			g->have[i] = get_opt(fd, &opts[i], &g->base[i]);
	close(fd);
}

/* listen() again with the service's backlog. An app's own listen() on the
 * socket it was given, with a backlog of its own that still queues many
 * connections (Node's server.listen({fd: 3}) calls listen(3, 511), Python's
 * socket.listen() takes min(SOMAXCONN, 128)), is put back without a report:
 * it is what such an app always does, and a status that says "changed by a
 * version" after every Node release only teaches people to ignore it. A
 * backlog below that (listen(3, 1)) drops SYNs for every version: reported. */
#define GUARD_BACKLOG_ORDINARY 128
static bool check_backlog(struct listener_guard *g, int fd, char *how, size_t len)
{
	int was = g->backlog < 0 ? -1 : tcp_backlog(fd);

	if (was < 0 || was == g->backlog)
		return false;
	if (listen(fd, LISTENER_BACKLOG) < 0) {
		snprintf(how, len, "backlog %d, listen failed: %s", was, strerror(errno));
		return true;
	}
	int now = tcp_backlog(fd);
	/* somaxconn changed: the service's backlog is what listen gives now */
	g->backlog = now;
	if (now == was || was >= GUARD_BACKLOG_ORDINARY)
		return false;
	snprintf(how, len, "backlog %d set back to %d", was, now);
	return true;
}

/* A socket filter (SO_ATTACH_FILTER or _BPF) sees every SYN the listener
 * gets: it can drop them all, for every version. */
static bool check_filter(int fd, struct guard_report *r, char *how, size_t len)
{
	socklen_t n = 0;
	int zero = 0, got = getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, NULL, &n);
	/* an eBPF filter cannot be read back: EACCES says there is one */
	bool ebpf = got < 0 && errno == EACCES;
	size_t off = 0;

	if (ebpf || (got == 0 && n > 0)) {
		char what[48];
		if (ebpf)
			snprintf(what, sizeof(what), "an eBPF socket filter");
		else
			snprintf(what, sizeof(what), "a %u-instruction BPF filter", (unsigned)n);
		if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)) == 0) {
			off = (size_t)snprintf(how, len, "removed %s", what);
		} else {
			r->filter_locked = errno == EPERM;
			off = (size_t)snprintf(how, len, "%s could not be removed: %s", what,
					       r->filter_locked ? "locked (SO_LOCK_FILTER)" : strerror(errno));
		}
	}
	return off > 0;
}

/* "ret #0": a reuseport group sends every connection to its socket 0, the
 * one that was in the port first (the group is made when a second socket
 * joins it), the service's: it stays socket 0 unless a shutdown unhashes
 * it (docs/hardening.md, "Left"). */
static int pin_to_first(int fd)
{
	struct sock_filter ret0 = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { .len = 1, .filter = &ret0 };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
}

/* A version that set SO_REUSEPORT on the listener can bind a socket of its
 * own to the port: the kernel then spreads the connections over both, or
 * as a program attached to the group (SO_ATTACH_REUSEPORT_CBPF) says. */
static bool check_reuseport(struct listener_guard *g, int fd, char *how, size_t len)
{
	int zero = 0;
	size_t off = strlen(how);

	if (g->pinned) {
		/* attaching replaces, at once, whatever a version put there */
		pin_to_first(fd);
		return false;
	}
	/* no getsockopt tells of a group or its program: detaching does (0:
	 * there was one; ENOENT: a group, no program; EINVAL: no group) */
	int r = setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &zero, sizeof(zero));
	if (r < 0 && errno != ENOENT)
		return false;
	g->pinned = pin_to_first(fd) == 0;
	if (off < len)
		snprintf(how + off, len - off, "%s%ssocket of a version shares the port (SO_REUSEPORT): %s", off ? "; " : "",
			 r == 0 ? "removed a reuseport program; a " : "a ",
			 g->pinned ? "connections kept to the service's" : "could not keep the connections");
	return true;
}

/* Each watched option back to the reference socket's value. */
static bool check_options(const struct listener_guard *g, int fd, char *how, size_t len)
{
	size_t off = 0;

	for (size_t i = 0; i < N_OPTS && off < len; i++) {
		union guard_value v;
		size_t size = value_size(opts[i].kind);
		if (!g->have[i] || !get_opt(fd, &opts[i], &v) || memcmp(&v, &g->base[i], size) == 0)
			continue;
		int e = put_opt(fd, &opts[i], &g->base[i]) < 0 ? errno : 0;
		off += (size_t)snprintf(how + off, len - off, "%s%s%s%s%s", off ? ", " : "set back: ", opts[i].label,
					e ? " (failed: " : "", e ? strerror(e) : "", e ? ")" : "");
	}
	return off > 0;
}

unsigned listener_guard_check(struct listener_guard *g, const struct listener *l, int fd, struct guard_report *r)
{
	unsigned found = 0;

	memset(r, 0, sizeof(*r));
	if (l->kind == LISTENER_TCP && check_backlog(g, fd, r->how[GUARD_BACKLOG], sizeof(r->how[0])))
		found |= 1u << GUARD_BACKLOG;
	if (check_filter(fd, r, r->how[GUARD_FILTER], sizeof(r->how[0])))
		found |= 1u << GUARD_FILTER;
	if (check_options(g, fd, r->how[GUARD_OPTIONS], sizeof(r->how[0])))
		found |= 1u << GUARD_OPTIONS;
	/* after the options: with SO_REUSEPORT set, ENOENT would not tell */
	if (l->kind == LISTENER_TCP && check_reuseport(g, fd, r->how[GUARD_FILTER], sizeof(r->how[0])))
		found |= 1u << GUARD_FILTER;
	return found;
}
