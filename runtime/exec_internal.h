/* exec_internal: what the two sides of `exec` share. The caller clones a
 * setup process into the container's cgroup; it joins the init's
 * namespaces and forks (CLONE_PARENT, so the caller can wait for it) the
 * process that becomes the program. Both report on one SOCK_SEQPACKET
 * socketpair; the caller reads until EOF, which comes when the program's
 * exec closes the last close-on-exec copy. */
#ifndef ZRUN_EXEC_INTERNAL_H
#define ZRUN_EXEC_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

enum exec_msg_type { EXEC_GO = 1, EXEC_PID, EXEC_ERROR, EXEC_SECCOMP /* + the notify fd */ };

struct exec_msg {
	int type;
	int errno_value;
	pid_t pid;                    /* EXEC_PID: the program's host pid */
	char msg[ZRUN_ERROR_MSG_MAX];
};

/* The namespaces in the order they are joined: the user namespace first
 * (it owns the others), pid before the fork that lands in it, mount late
 * (it also moves root and cwd into the container). */
#define EXEC_NS_COUNT 8

struct exec_child {
	const struct spec *spec;            /* config.json with process = the exec's */
	const struct spec_process *process; /* final, env included */
	const struct spec_seccomp *seccomp; /* linux.seccomp, may be NULL */
	int ns_fds[EXEC_NS_COUNT];          /* in join order; -1 = already ours */
	int ns_types[EXEC_NS_COUNT];        /* enum spec_ns_type of each */
	int sync_fd;                        /* child end of the socketpair */
	int console_fd;                     /* pty master goes here; -1 = no tty */
	int lock_fd;                        /* the caller's state lock: closed at once */
	int preserve_fds;
	pid_t parent;                       /* zrun exec: gone before PDEATHSIG was set = exit */
	int proc_fd;                        /* set by the child: the host's /proc (procfs.h) */
	int root_fd;                        /* the init's root (/proc/PID/root) */
};

int exec_msg_send(int fd, int type, pid_t pid, const struct zrun_error *err);
int exec_msg_send_fd(int fd, int type, int passed);

/* Runs in the cloned setup process; never returns. */
__attribute__((noreturn)) void exec_child_main(const struct exec_child *args);

#endif
