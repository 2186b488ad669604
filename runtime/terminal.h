/* terminal: process.terminal and exec --tty. The process opens a pty in
 * the container's own devpts, sends the master to --console-socket
 * (SCM_RIGHTS, as containerd's shim expects) or to a foreground zrun that
 * relays it (container_wait_console), and makes the peer its controlling
 * terminal and stdio. */
#ifndef ZRUN_TERMINAL_H
#define ZRUN_TERMINAL_H

#include "error.h"
#include "spec.h"

/* Connect to the console socket at path (parent side, before clone). */
int terminal_connect(const char *path, struct zrun_error *err);

/* In the process, once / is the container's (after pivot, or after joining
 * its mount namespace): allocate the pty and wire it up. */
int terminal_setup(int console_socket_fd, const struct spec_process *process, struct zrun_error *err);

/* Send fd over a unix socket with SCM_RIGHTS (one byte of payload: name). */
int terminal_send_fd(int sock, int fd, const char *name);

/* Receive a fd sent with terminal_send_fd, without blocking (the sender
 * has already sent it). The fd is close-on-exec. Nothing sent: -1 with
 * err->errno_value ENODATA (every sender gone) or EAGAIN. */
int terminal_recv_fd(int sock, struct zrun_error *err);

#endif
