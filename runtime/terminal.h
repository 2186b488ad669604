/* terminal: process.terminal. The init opens a pty in the container's own
 * devpts, sends the master to --console-socket (SCM_RIGHTS, as containerd's
 * shim expects) and makes the peer its controlling terminal and stdio. */
#ifndef ZRUN_TERMINAL_H
#define ZRUN_TERMINAL_H

#include "error.h"
#include "spec.h"

/* Connect to the console socket at path (parent side, before clone). */
int terminal_connect(const char *path, struct zrun_error *err);

/* In the init, after pivot: allocate the pty and wire it up. */
int terminal_setup(int console_socket_fd, const struct spec_process *process, struct zrun_error *err);

/* Send fd over a unix socket with SCM_RIGHTS (one byte of payload: name). */
int terminal_send_fd(int sock, int fd, const char *name);

#endif
