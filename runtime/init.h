/* init: the container's first process, between clone and exec. It joins or
 * finishes its namespaces, builds the root filesystem, becomes the
 * configured user with the configured privileges, reports "ready" to the
 * creating zrun, and waits on the exec fifo for `start` before it execs the
 * user's program. Shared by container.c (parent side) and init.c. */
#ifndef ZRUN_INIT_H
#define ZRUN_INIT_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

/* SYNC_HOOKS: init -> create, "mounts done, before pivot_root": create runs
 * prestart and createRuntime, then answers SYNC_GO followed by one payload
 * message holding the state JSON for the init's own hooks ("creating" NUL
 * "created"). SYNC_SECCOMP: init -> create, carries the seccomp notify fd
 * (SCM_RIGHTS) that create forwards to linux.seccomp.listenerPath. */
enum sync_type { SYNC_GO = 1, SYNC_READY, SYNC_ERROR, SYNC_HOOKS, SYNC_SECCOMP };

/* One message on the create <-> init socketpair (SOCK_SEQPACKET). */
struct sync_msg {
	int type;
	int errno_value;
	char msg[ZRUN_ERROR_MSG_MAX];
};

struct init_args {
	const struct spec *spec;
	const char *rootfs;          /* absolute host path, for messages */
	int rootfs_fd;               /* the rootfs (a detached copy with a mount namespace) */
	const char *bundle;          /* absolute host path */
	bool no_pivot;
	bool no_new_keyring;
	int sync_fd;                 /* the init's end of the socketpair */
	int lock_fd;                 /* create's state lock: closed at once, or it stays held */
	int fifo_fd;                 /* exec.fifo, opened O_RDWR */
	int console_socket_fd;       /* -1 = none */
	int preserve_fds;
	const int *extra_fds;
	int extra_fds_len;
	const int *stdio_fds;        /* NULL, or 3 fds for 0, 1, 2 (-1 = keep) */
	char **env;                  /* final environment for exec */
	int listen_pid_slot;         /* env index the init fills with LISTEN_PID=<its pid>; -1 none */
	int ns_fds[SPEC_NS_COUNT];   /* joined namespaces (user, net, ipc, uts, mnt, cgroup); -1 = none */
	bool new_cgroup_ns;          /* unshare(CLONE_NEWCGROUP) once in the cgroup */
	const char *cgroup_path;     /* resolved, for cgroup mounts */
	const struct cgroup *cgroup; /* the same, with v1's per-hierarchy directories */
	int proc_fd;                 /* set by the init: the host's /proc (procfs.h) */
};

/* Runs in the cloned child; never returns. */
__attribute__((noreturn)) void init_main(const struct init_args *args);

/* Helpers for the two sides. */
int sync_send(int fd, int type, const struct zrun_error *err);
int sync_recv(int fd, struct sync_msg *msg, int timeout_ms);
/* The same, with one fd passed along (SCM_RIGHTS); *passed is -1 when the
 * message carried none. */
int sync_send_fd(int fd, int type, int passed);
int sync_recv_fd(int fd, struct sync_msg *msg, int timeout_ms, int *passed);

#endif
