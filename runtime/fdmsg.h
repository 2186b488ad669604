/* fdmsg: one message with fds over a unix socket (SCM_RIGHTS), both ways.
 * Every fd passing in zrun goes through here, so that a receiver never
 * keeps an fd it did not ask for: a message with more fds than the caller
 * takes, or one cut short, is refused and every fd it brought is closed. */
#ifndef ZRUN_FDMSG_H
#define ZRUN_FDMSG_H

#include <stddef.h>
#include <sys/types.h>

/* The most fds one message carries (a service's listeners are the most
 * sent; the kernel's own cap, SCM_MAX_FD, is 253). */
#define FDMSG_FDS_MAX 64

/* Send len bytes (len >= 1: a stream socket cannot carry fds alone) and
 * nfds fds in one sendmsg, retried on EINTR, never raising SIGPIPE. The
 * bytes sent, or -1 (errno; EINVAL for nfds > FDMSG_FDS_MAX). */
ssize_t fdmsg_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds);

/* Receive one message: at most len bytes into buf, its fds (O_CLOEXEC)
 * into fds[0..*nfds), retried on EINTR; flags are recvmsg's (MSG_DONTWAIT).
 * The bytes received (0: the peer is gone). -1 with errno EBADMSG, every
 * received fd closed, when the message carried more than max_fds fds or was
 * truncated (bytes beyond len, or fds beyond FDMSG_FDS_MAX): the caller
 * sees either the whole message or nothing. */
ssize_t fdmsg_recv(int sock, void *buf, size_t len, int *fds, size_t max_fds, size_t *nfds, int flags);

/* Receive one datagram on a socket with SO_PASSCRED (sd_notify's
 * NOTIFY_SOCKET): at most len bytes into buf, the sender's pid into *sender
 * (0 when no credentials came). It takes no fd: any the datagram carried is
 * closed. The bytes received, or -1 (errno). */
ssize_t fdmsg_recv_cred(int sock, void *buf, size_t len, pid_t *sender, int flags);

/* Close fds[0..n) (a received set the caller does not take). */
void fdmsg_close(const int *fds, size_t n);

#endif
