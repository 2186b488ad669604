/* fd passing (fdmsg.c) and the runtime's receivers built on it: a message
 * with more fds than the receiver takes, in one SCM_RIGHTS header or in
 * several, or one cut short, leaves no fd open in the receiver. The fd
 * table is counted through /proc/self/fd before and after. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdmsg.h"
#include "init.h"
#include "terminal.h"
#include "unit.h"

/* n fds (copies of /dev/null) in one SCM_RIGHTS header, or one header each
 * when split: written by hand, so that a sender bug cannot hide a receiver's */
static int send_raw(int sock, const void *buf, size_t len, size_t n, int split)
{
	union { char b[CMSG_SPACE(sizeof(int)) * 8]; struct cmsghdr align; } control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.b };
	int fds[8];

	memset(&control, 0, sizeof(control));
	for (size_t i = 0; i < n; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	mh.msg_controllen = split ? CMSG_SPACE(sizeof(int)) * n : CMSG_SPACE(sizeof(int) * n);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	for (size_t i = 0; i < n; i++) {
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (split ? 1 : n));
		memcpy(CMSG_DATA(cm), split ? &fds[i] : fds, sizeof(int) * (split ? 1 : n));
		if (!split)
			break;
		cm = CMSG_NXTHDR(&mh, cm);
	}
	ssize_t r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	return r == (ssize_t)len ? 0 : -1;
}

static void pair(int sv[2], int type)
{
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
}

TEST(more_fds_than_taken_are_all_closed)
{
	int sv[2], got[2];
	size_t n = 99;

	pair(sv, SOCK_SEQPACKET);
	int before = unit_open_fds();
	for (int split = 0; split <= 1; split++) {
		CHECK_INT(send_raw(sv[0], "L1", 2, 3, split), 0);
		errno = 0;
		CHECK_INT(fdmsg_recv(sv[1], (char[8]){ 0 }, 8, got, 1, &n, 0), -1);
		CHECK_INT(errno, EBADMSG);
		CHECK_INT(n, 0);
		CHECK_INT(unit_open_fds(), before);
	}
	close(sv[0]);
	close(sv[1]);
}

TEST(the_count_asked_for_is_handed_over)
{
	int sv[2], got[4], fds[2] = { 0, 1 };
	size_t n = 0;
	char buf[8];

	pair(sv, SOCK_SEQPACKET);
	int before = unit_open_fds();
	CHECK_INT(fdmsg_send(sv[0], "F", 1, fds, 2), 1);
	CHECK_INT(fdmsg_recv(sv[1], buf, sizeof(buf), got, 4, &n, 0), 1);
	CHECK_INT(n, 2);
	CHECK(n == 2 && (fcntl(got[0], F_GETFD) & FD_CLOEXEC) && (fcntl(got[1], F_GETFD) & FD_CLOEXEC));
	fdmsg_close(got, n);
	CHECK_INT(unit_open_fds(), before);
	CHECK_INT(fdmsg_send(sv[0], "P", 1, NULL, 0), 1);
	CHECK_INT(fdmsg_recv(sv[1], buf, sizeof(buf), got, 4, &n, MSG_DONTWAIT), 1);
	CHECK_INT(n, 0);
	errno = 0;
	CHECK_INT(fdmsg_send(sv[0], "F", 1, fds, FDMSG_FDS_MAX + 1), -1);
	CHECK_INT(errno, EINVAL);
	close(sv[0]);
	close(sv[1]);
}

TEST(a_message_cut_short_closes_its_fd)
{
	int sv[2], got;
	size_t n = 99;
	char buf[4];

	pair(sv, SOCK_SEQPACKET);
	int before = unit_open_fds();
	CHECK_INT(send_raw(sv[0], "Lsomething-long", 15, 1, 0), 0);
	errno = 0;
	CHECK_INT(fdmsg_recv(sv[1], buf, sizeof(buf), &got, 1, &n, 0), -1);
	CHECK_INT(errno, EBADMSG);
	CHECK_INT(unit_open_fds(), before);
	close(sv[0]);
	close(sv[1]);
}

/* The receivers of the runtime, each given two fds where it takes one. */
TEST(terminal_recv_fd_with_two_fds_leaks_none)
{
	int sv[2];
	struct zrun_error err = { 0 };

	pair(sv, SOCK_STREAM);
	int before = unit_open_fds();
	CHECK_INT(send_raw(sv[0], "/dev/pts/0", 10, 2, 0), 0);
	int fd = terminal_recv_fd(sv[1], &err);
	CHECK_INT(fd, -1);
	if (fd >= 0)
		close(fd);
	CHECK_INT(unit_open_fds(), before);
	close(sv[0]);
	close(sv[1]);
}

TEST(sync_recv_fd_with_two_fds_leaks_none)
{
	int sv[2], passed = -1;
	struct sync_msg msg;

	memset(&msg, 0, sizeof(msg));
	pair(sv, SOCK_SEQPACKET);
	int before = unit_open_fds();
	for (int split = 0; split <= 1; split++) {
		CHECK_INT(send_raw(sv[0], &msg, sizeof(msg), 2, split), 0);
		int r = sync_recv_fd(sv[1], &msg, 1000, &passed);
		if (r == 0 && passed >= 0)
			close(passed);  /* one handed over is the caller's to close */
		CHECK_INT(unit_open_fds(), before);
	}
	close(sv[0]);
	close(sv[1]);
}

/* sd_notify's datagram (probe_notify.c): the sender's pid comes with it,
 * and fds a version sends along with READY=1 are closed, not kept. */
TEST(a_notify_datagram_gives_its_sender_and_keeps_no_fd)
{
	int sv[2], one = 1;
	char buf[32] = { 0 };
	pid_t sender = -1;

	pair(sv, SOCK_DGRAM);
	CHECK_INT(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	int before = unit_open_fds();
	CHECK_INT(send_raw(sv[0], "READY=1", 7, 3, 1), 0);
	CHECK_INT(fdmsg_recv_cred(sv[1], buf, sizeof(buf) - 1, &sender, MSG_DONTWAIT), 7);
	CHECK_STR(buf, "READY=1");
	CHECK_INT(sender, getpid());
	CHECK_INT(unit_open_fds(), before);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	RUN(more_fds_than_taken_are_all_closed);
	RUN(the_count_asked_for_is_handed_over);
	RUN(a_message_cut_short_closes_its_fd);
	RUN(terminal_recv_fd_with_two_fds_leaks_none);
	RUN(sync_recv_fd_with_two_fds_leaks_none);
	RUN(a_notify_datagram_gives_its_sender_and_keeps_no_fd);
	UNIT_DONE();
}
