#include "fdmsg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

ssize_t fdmsg_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDMSG_FDS_MAX)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > FDMSG_FDS_MAX || len == 0) {
		errno = EINVAL;
		return -1;
	}
	if (nfds > 0) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n;
}

void fdmsg_close(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The kernel installs every fd that fits in the control buffer, in as many
 * SCM_RIGHTS headers as the sender used (and drops the rest: MSG_CTRUNC).
 * Each installed one is collected, so none is left open unseen. */
static size_t collect(struct msghdr *mh, int *all)
{
	size_t n = 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len < CMSG_LEN(0))
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && n < FDMSG_FDS_MAX; i++, n++)
			memcpy(&all[n], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}
	return n;
}

/* One recvmsg into buf with room for any fds (and credentials), retried on
 * EINTR; every fd installed is close-on-exec. */
struct received {
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * FDMSG_FDS_MAX)];
		struct cmsghdr align;
	} control;
	struct iovec iov;
	struct msghdr mh;
};

static ssize_t receive(struct received *r, int sock, void *buf, size_t len, int flags)
{
	ssize_t n;

	r->iov = (struct iovec){ .iov_base = buf, .iov_len = len };
	r->mh = (struct msghdr){ .msg_iov = &r->iov, .msg_iovlen = 1, .msg_control = r->control.buf,
				 .msg_controllen = sizeof(r->control.buf) };
	do {
		n = recvmsg(sock, &r->mh, flags | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	return n;
}

ssize_t fdmsg_recv(int sock, void *buf, size_t len, int *fds, size_t max_fds, size_t *nfds, int flags)
{
	struct received r;
	int all[FDMSG_FDS_MAX];

	*nfds = 0;
	ssize_t n = receive(&r, sock, buf, len, flags);
	if (n < 0)
		return -1;
	size_t got = collect(&r.mh, all);
	if (got > max_fds || (r.mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		fdmsg_close(all, got);
		errno = EBADMSG;
		return -1;
	}
	memcpy(fds, all, sizeof(int) * got);
	*nfds = got;
	return n;
}

ssize_t fdmsg_recv_cred(int sock, void *buf, size_t len, pid_t *sender, int flags)
{
	struct received r;
	int fds[FDMSG_FDS_MAX];

	*sender = 0;
	ssize_t n = receive(&r, sock, buf, len, flags);
	if (n < 0)
		return -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&r.mh); cm != NULL; cm = CMSG_NXTHDR(&r.mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred cred;
			memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
			*sender = cred.pid;
		}
	}
	fdmsg_close(fds, collect(&r.mh, fds));
	return n;
}
