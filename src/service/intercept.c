#include "intercept.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "fault.h"
#include "listener.h"
#include "procfs.h"
#include "state.h"
#include "zseccomp.h"

#define NOTIFY_BUF_BYTES 512   /* more than any struct seccomp_notif{,_resp} so far */
/* No notification has this id: ids start at a random 64-bit value. */
#define NO_SUCH_NOTIFICATION 0x7a72756e2d636865ULL

/* ---- zrun create ---- */

int intercept_prepare_spec(struct spec *spec, const char *note, struct zrun_error *err)
{
	static const char *const names[] = { "bind", "listen", NULL };

	if (spec->linux_ == NULL && (spec->linux_ = calloc(1, sizeof(*spec->linux_))) == NULL)
		return zrun_error_set(err, ENOMEM, "linux");
	if (zseccomp_add_notify(spec->linux_, names, note, err) < 0)
		return zrun_error_prefix(err, "--intercept: config.json");
	return 0;
}

int intercept_check_kernel(int notify_fd, struct zrun_error *err)
{
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif_resp resp = { .id = NO_SUCH_NOTIFICATION, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
	struct seccomp_notif_addfd addfd = { .id = NO_SUCH_NOTIFICATION, .flags = SECCOMP_ADDFD_FLAG_SETFD,
					      .srcfd = (uint32_t)notify_fd };

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return zrun_error_set(err, errno, "--intercept: this kernel has no seccomp user notification (SECCOMP_GET_NOTIF_SIZES, Linux 5.0)");
	/* An answer to a notification that is not pending: ENOENT from a
	 * kernel that knows the flag or the ioctl, EINVAL/ENOTTY otherwise. */
	if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0 || errno != ENOENT)
		return zrun_error_set(err, errno, "--intercept: this kernel has no SECCOMP_USER_NOTIF_FLAG_CONTINUE (Linux 5.5)");
	int r = ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
	int e = errno;
	/* the tests' stand-in for a kernel without it (fault.h) */
	if (fault_check("intercept-addfd", NULL) < 0) {
		r = -1;
		e = errno;
	}
	if (r >= 0 || e != ENOENT)
		return zrun_error_set(err, e, "--intercept: this kernel has no SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SETFD (Linux 5.9)");
	return 0;
}

/* ---- the supervisor ---- */

/* An address as bind(2) sees it. A v4-mapped IPv6 address is taken as the
 * IPv4 one; v6only says whether an IPv6 wildcard leaves IPv4 alone. */
struct bind_addr {
	int family;              /* AF_INET or AF_INET6 */
	bool any;                /* 0.0.0.0 or :: */
	unsigned char addr[16];  /* 4 bytes for AF_INET */
	uint16_t port;           /* host order */
	bool v6only;
	bool reuseport;
};

struct shared {
	int fd;
	unsigned long inode;
	struct bind_addr addr;
	bool tcp;
};

/* A bind this version got the shared socket for: its fd in process tgid. */
struct claim {
	bool used;
	pid_t tgid;
	int fd;
	size_t listener;
	struct bind_addr asked;
};

struct intercepted {
	bool used;
	char id[STATE_ID_MAX + 1];
	int notify_fd;
	struct claim claims[INTERCEPT_CLAIMS_MAX];
};

struct interceptor {
	struct shared l[LISTENER_MAX];
	size_t n;
	struct intercepted v[INTERCEPT_POLL_MAX];
	int slot[INTERCEPT_POLL_MAX];  /* version index of each polled fd */
	uint32_t native_arch;
};

static bool from_sockaddr(const struct sockaddr_storage *ss, socklen_t len, struct bind_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		out->family = AF_INET;
		memcpy(out->addr, &in->sin_addr, 4);
		out->any = in->sin_addr.s_addr == htonl(INADDR_ANY);
		out->port = ntohs(in->sin_port);
		return true;
	}
	/* 24: SIN6_LEN_RFC2133, the shortest sockaddr_in6 bind(2) takes */
	if (ss->ss_family == AF_INET6 && len >= 24) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		out->port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			out->family = AF_INET;
			memcpy(out->addr, &in6->sin6_addr.s6_addr[12], 4);
			out->any = memcmp(out->addr, "\0\0\0\0", 4) == 0;
		} else {
			out->family = AF_INET6;
			memcpy(out->addr, &in6->sin6_addr, 16);
			out->any = IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
		}
		return true;
	}
	return false;
}

/* The socket-level facts of a socket we hold: its v6only and reuseport. */
static void socket_flags(int fd, struct bind_addr *a)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (a->family == AF_INET6 && getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) == 0)
		a->v6only = v != 0;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &v, &len) == 0)
		a->reuseport = v != 0;
}

struct interceptor *intercept_new(const int *fds, size_t n)
{
	struct interceptor *ic = calloc(1, sizeof(*ic));

	if (ic == NULL)
		return NULL;
	ic->native_arch = seccomp_arch_native();
	for (size_t i = 0; i < n && i < LISTENER_MAX; i++) {
		struct shared *l = &ic->l[ic->n++];
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		l->fd = fds[i];
		l->inode = listener_inode(fds[i]);
		l->tcp = getsockname(fds[i], (struct sockaddr *)&ss, &len) == 0 && from_sockaddr(&ss, len, &l->addr);
		if (l->tcp)
			socket_flags(fds[i], &l->addr);
	}
	for (size_t i = 0; i < INTERCEPT_POLL_MAX; i++)
		ic->v[i].notify_fd = -1;
	return ic;
}

int intercept_add(struct interceptor *ic, const char *id, int notify_fd)
{
	struct intercepted *free_slot = NULL;

	for (size_t i = 0; i < INTERCEPT_POLL_MAX; i++) {
		struct intercepted *v = &ic->v[i];
		if (v->used && strcmp(v->id, id) == 0) {
			close(v->notify_fd);
			v->used = false;
		}
		if (!v->used && free_slot == NULL)
			free_slot = v;
	}
	if (free_slot == NULL) {
		close(notify_fd);
		return -1;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	snprintf(free_slot->id, sizeof(free_slot->id), "%s", id);
	free_slot->notify_fd = notify_fd;
	return 0;
}

size_t intercept_pollfds(struct interceptor *ic, struct pollfd *p, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < INTERCEPT_POLL_MAX && n < max; i++) {
		if (!ic->v[i].used)
			continue;
		p[n] = (struct pollfd){ .fd = ic->v[i].notify_fd, .events = POLLIN };
		ic->slot[n++] = i;
	}
	return n;
}

/* ---- answering ---- */

static void respond(int nfd, uint64_t id, int error, uint32_t flags)
{
	/* the kernel reads its own struct size: give it zeroes past ours */
	union { struct seccomp_notif_resp r; char pad[NOTIFY_BUF_BYTES]; } u;

	memset(&u, 0, sizeof(u));
	u.r.id = id;
	u.r.error = error;
	u.r.flags = flags;
	ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &u.r);
}

/* Run the call as the program made it. Safe here in spite of the TOCTOU
 * caveat of seccomp_unotify(2): we never let through a call that we would
 * otherwise refuse, so a program that rewrites its memory after we read
 * it gains nothing it could not do without us. */
static void let_through(int nfd, uint64_t id)
{
	respond(nfd, id, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

static bool id_valid(int nfd, uint64_t id)
{
	return ioctl(nfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (tgid < 0 && fgets(line, sizeof(line), f))
		if (strncmp(line, "Tgid:", 5) == 0)
			tgid = (pid_t)strtol(line + 5, NULL, 10);
	fclose(f);
	return tgid;
}

/* O_CLOEXEC of the program's fd, which the installed one keeps. */
static unsigned fd_cloexec(pid_t pid, int fd)
{
	char path[64], line[128];
	unsigned flags = 0;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "flags:", 6) == 0)
			flags = (unsigned)strtoul(line + 6, NULL, 8);
	fclose(f);
	return flags & O_CLOEXEC;
}

static bool claim_live(const struct interceptor *ic, const struct claim *c)
{
	return c->used && procfs_socket_inode(c->tgid, c->fd) == ic->l[c->listener].inode;
}

/* Would bind(2) refuse b because of a (the program's view of its own
 * binds, as the kernel would judge them without zrun)? */
static bool overlap(const struct bind_addr *a, const struct bind_addr *b)
{
	if (a->port != b->port)
		return false;
	bool a4 = a->family == AF_INET || (a->any && !a->v6only);
	bool b4 = b->family == AF_INET || (b->any && !b->v6only);
	bool a4any = a->any && a4, b4any = b->any && b4;
	if (a4 && b4 && (a4any || b4any ||
			 (a->family == AF_INET && b->family == AF_INET && memcmp(a->addr, b->addr, 4) == 0)))
		return true;
	if (a->family == AF_INET6 && b->family == AF_INET6 &&
	    (a->any || b->any || memcmp(a->addr, b->addr, 16) == 0))
		return true;
	return false;
}

static bool same_address(const struct bind_addr *a, const struct bind_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

/* How well listener l serves a bind of a: 0 not at all. A wildcard bind
 * is the program asking for "this port": it gets the service's listener
 * whatever its address (the operator chose where the service listens). */
static int match_score(const struct bind_addr *a, const struct shared *l)
{
	const struct bind_addr *s = &l->addr;

	if (!l->tcp || a->port != s->port)
		return 0;
	if (same_address(a, s))
		return 4;
	if (a->any)
		return a->family == s->family ? 3 : 2;
	if (a->family == s->family && s->any)
		return 3;
	if (a->family == AF_INET && s->family == AF_INET6 && s->any && !s->v6only)
		return 1;   /* a dual-stack listener covers the IPv4 address */
	return 0;
}

static bool listener_taken(const struct interceptor *ic, const struct intercepted *v, size_t l)
{
	for (int i = 0; i < INTERCEPT_CLAIMS_MAX; i++)
		if (v->claims[i].used && v->claims[i].listener == l && claim_live(ic, &v->claims[i]))
			return true;
	return false;
}

enum bind_answer { LET_THROUGH, ADDR_IN_USE, INSTALL, ALREADY };

/* What to do with a bind of asked on fd of tgid; *which: the listener. */
static enum bind_answer decide_bind(struct interceptor *ic, struct intercepted *v, pid_t tgid, int fd,
				    unsigned long fd_ino, const struct bind_addr *asked, size_t *which)
{
	for (int i = 0; i < INTERCEPT_CLAIMS_MAX; i++) {
		struct claim *c = &v->claims[i];
		if (!c->used)
			continue;
		if (!claim_live(ic, c)) {
			c->used = false;
			continue;
		}
		/* our answer came too late (a signal restarted the bind):
		 * the fd already is the shared socket */
		if (c->tgid == tgid && c->fd == fd && fd_ino == ic->l[c->listener].inode)
			return ALREADY;
		if (!overlap(asked, &c->asked))
			continue;
		/* an SO_REUSEPORT group of the program's: all get the one queue */
		if (asked->reuseport && c->asked.reuseport && same_address(asked, &c->asked)) {
			*which = c->listener;
			return INSTALL;
		}
		return ADDR_IN_USE;
	}
	int best = 0;
	for (size_t l = 0; l < ic->n; l++) {
		int score = match_score(asked, &ic->l[l]);
		if (score > best && !listener_taken(ic, v, l)) {
			best = score;
			*which = l;
		}
	}
	return best > 0 ? INSTALL : LET_THROUGH;
}

/* Put the shared socket at the program's fd, then answer bind with 0.
 * Two steps, not SECCOMP_ADDFD_FLAG_SEND: that answers with the new fd's
 * number, and bind must return 0 (busybox's xbind dies on anything else). */
static int install(struct interceptor *ic, struct intercepted *v, uint64_t id, pid_t tid, pid_t tgid, int fd,
		   int prog_sock, size_t l, const struct bind_addr *asked)
{
	/* O_NONBLOCK belongs to the open file, which every version shares:
	 * set it when the program's own socket had it (an event loop must
	 * never block in accept), never clear it (a blocking accept loop
	 * sees EAGAIN when another version took the connection, as with
	 * socket activation). */
	int fl = fcntl(prog_sock, F_GETFL);
	int shared_fl = fcntl(ic->l[l].fd, F_GETFL);
	if (fl >= 0 && shared_fl >= 0 && (fl & O_NONBLOCK) && !(shared_fl & O_NONBLOCK))
		fcntl(ic->l[l].fd, F_SETFL, shared_fl | O_NONBLOCK);
	struct seccomp_notif_addfd addfd = {
		.id = id, .flags = SECCOMP_ADDFD_FLAG_SETFD, .srcfd = (uint32_t)ic->l[l].fd,
		.newfd = (uint32_t)fd, .newfd_flags = fd_cloexec(tid, fd),
	};
	if (ioctl(v->notify_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0)
		return -1;   /* the program is gone or was interrupted */
	for (int i = 0; i < INTERCEPT_CLAIMS_MAX; i++) {
		struct claim *c = &v->claims[i];
		if (c->used && !claim_live(ic, c))
			c->used = false;
		if (!c->used) {
			*c = (struct claim){ .used = true, .tgid = tgid, .fd = fd, .listener = l, .asked = *asked };
			break;
		}
	}
	respond(v->notify_fd, id, 0, 0);
	return 0;
}

/* bind(fd, addr, len): args 0, 1, 2. */
static void on_bind(struct interceptor *ic, struct intercepted *v, const struct seccomp_notif *req)
{
	int fd = (int)req->data.args[0];
	socklen_t len = (socklen_t)req->data.args[2];
	struct sockaddr_storage ss;
	struct bind_addr asked;

	if (len < sizeof(sa_family_t) || len > sizeof(ss) || fd < 0) {
		let_through(v->notify_fd, req->id);
		return;
	}
	memset(&ss, 0, sizeof(ss));
	struct iovec local = { .iov_base = &ss, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)req->data.args[1], .iov_len = len };
	ssize_t got = process_vm_readv(req->pid, &local, 1, &remote, 1, 0);
	/* The documented order (seccomp_unotify(2)): read, then check that
	 * the notification (so the pid) is still the one we read from. */
	if (!id_valid(v->notify_fd, req->id))
		return;
	if (got != (ssize_t)len || !from_sockaddr(&ss, len, &asked) || asked.port == 0) {
		let_through(v->notify_fd, req->id);
		return;
	}
	pid_t tgid = tgid_of(req->pid);
	int pidfd = tgid > 0 ? (int)syscall(SYS_pidfd_open, tgid, 0) : -1;
	/* our copy of the program's socket: install() only reads its flags */
	_cleanup_close_ int sock = pidfd >= 0 ? (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0) : -1;
	if (pidfd >= 0)
		close(pidfd);
	if (!id_valid(v->notify_fd, req->id))
		return;
	int type = 0, proto = 0, domain = 0;
	socklen_t ol = sizeof(int);
	bool stream = sock >= 0 && getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &ol) == 0 && type == SOCK_STREAM &&
		      (ol = sizeof(int), getsockopt(sock, SOL_SOCKET, SO_PROTOCOL, &proto, &ol)) == 0 &&
		      proto == IPPROTO_TCP &&
		      (ol = sizeof(int), getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &ol)) == 0 &&
		      domain == ss.ss_family;
	if (!stream) {   /* UDP, a unix socket, a bad fd: none of ours */
		let_through(v->notify_fd, req->id);
		return;
	}
	if (asked.family == AF_INET6 || ss.ss_family == AF_INET6) {
		int v6only = 0;
		ol = sizeof(v6only);
		if (getsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &ol) == 0)
			asked.v6only = v6only != 0;
	}
	ol = sizeof(int);
	int reuse = 0;
	if (getsockopt(sock, SOL_SOCKET, SO_REUSEPORT, &reuse, &ol) == 0)
		asked.reuseport = reuse != 0;
	size_t which = 0;
	switch (decide_bind(ic, v, tgid, fd, listener_inode(sock), &asked, &which)) {
	case LET_THROUGH:
		let_through(v->notify_fd, req->id);
		break;
	case ADDR_IN_USE:
		respond(v->notify_fd, req->id, -EADDRINUSE, 0);
		break;
	case ALREADY:
		respond(v->notify_fd, req->id, 0, 0);
		break;
	case INSTALL:
		install(ic, v, req->id, req->pid, tgid, fd, sock, which, &asked);
		break;
	}
}

/* listen(fd, backlog): the shared socket already listens; a second
 * listen would only set its backlog to the program's (Python's 5). */
static void on_listen(struct interceptor *ic, struct intercepted *v, const struct seccomp_notif *req)
{
	unsigned long ino = procfs_socket_inode(req->pid, (int)req->data.args[0]);

	if (!id_valid(v->notify_fd, req->id))
		return;
	for (size_t l = 0; ino != 0 && l < ic->n; l++) {
		if (ic->l[l].inode == ino) {
			respond(v->notify_fd, req->id, 0, 0);
			return;
		}
	}
	let_through(v->notify_fd, req->id);
}

static void on_notification(struct interceptor *ic, struct intercepted *v)
{
	union { struct seccomp_notif n; char pad[NOTIFY_BUF_BYTES]; } u;

	/* the kernel wants it zeroed, and may write more than we know of */
	memset(&u, 0, sizeof(u));
	if (ioctl(v->notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &u.n) < 0)
		return;   /* ENOENT: the caller was interrupted or is gone */
	if (u.n.data.arch != ic->native_arch) {
		/* a 32-bit bind comes through socketcall(2): not ours to read */
		let_through(v->notify_fd, u.n.id);
		return;
	}
	if (u.n.data.nr == __NR_bind)
		on_bind(ic, v, &u.n);
	else if (u.n.data.nr == __NR_listen)
		on_listen(ic, v, &u.n);
	else
		let_through(v->notify_fd, u.n.id);
}

void intercept_handle(struct interceptor *ic, const struct pollfd *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct intercepted *v = &ic->v[ic->slot[i]];
		if (!v->used || p[i].revents == 0)
			continue;
		if (p[i].revents & POLLIN) {
			on_notification(ic, v);
		} else if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			/* no task uses the filter any more: the version is gone */
			close(v->notify_fd);
			v->used = false;
		}
	}
}
