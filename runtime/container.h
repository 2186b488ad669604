/* container: the lifecycle of one container as runc defines it: create
 * (init cloned into its namespaces and cgroup, blocked on the exec fifo),
 * start, kill, delete, and the foreground run. This is the parent side;
 * the container's own setup runs in init.c. */
#ifndef ZRUN_CONTAINER_H
#define ZRUN_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"
#include "state.h"

struct container_create_opts {
	const char *root;            /* state root, e.g. /run/zrun */
	const char *id;
	const char *bundle;          /* bundle dir (made absolute by create) */
	const char *pid_file;        /* NULL = none */
	const char *console_socket;  /* NULL = none */
	/* A foreground run without --console-socket: a connected socket of the
	 * caller's that receives the pty master, which the caller relays. */
	bool console_relay;
	int console_relay_fd;
	bool no_pivot;
	bool no_new_keyring;
	bool systemd_cgroup;
	int preserve_fds;            /* fds 3 .. 3+N-1 are passed on */
	/* The service layer hands extra fds (listeners) and environment to a
	 * version: extra_fds[i] becomes fd 3+preserve_fds+i in the container. */
	const int *extra_fds;
	int extra_fds_len;
	char *const *extra_env;      /* NULL-terminated, added to process.env */
	/* Socket activation: LISTEN_PID=<the program's pid, as it sees it> is
	 * added after extra_env. Only the init knows that pid (1 in its own pid
	 * namespace, else its host pid), so the init fills it in. */
	bool set_listen_pid;
	const char *extra_state_json;/* stored under "zrun" in state.json */
	/* NULL: the container inherits create's stdio. Else 3 fds that become
	 * its 0, 1, 2 (-1: inherit that one); the service layer's log pipes. */
	const int *stdio_fds;
	/* Called in the parent after the spec is loaded and before anything is
	 * made, so a caller can adjust it (the service layer reads annotations). */
	int (*adjust_spec)(struct spec *spec, void *data, struct zrun_error *err);
	void *adjust_data;
	/* NULL: a seccomp notify fd goes to linux.seccomp.listenerPath. Else
	 * it is handed to this (the service layer's supervisor takes it); called
	 * before create returns, while the init waits on the exec fifo. */
	int (*seccomp_notify)(int fd, pid_t pid, void *data, struct zrun_error *err);
	void *seccomp_notify_data;
};

/* Create the container; on success *pid is the init's host pid and the
 * container is "created". On failure nothing is left behind. The init is
 * the caller's child: `run` waits for it (container_wait_console); after
 * `create` exits it is reparented (to a subreaper such as containerd's
 * shim, or to pid 1). */
int container_create(const struct container_create_opts *opts, pid_t *pid, struct zrun_error *err);

/* Release a created container's init (runc's exec-fifo contract). */
int container_start(const char *root, const char *id, struct zrun_error *err);

/* Send sig to the init, or with all to every process of its cgroup. */
int container_kill(const char *root, const char *id, int sig, bool all, struct zrun_error *err);

/* Remove a stopped container (or, with force, kill it first). */
int container_delete(const char *root, const char *id, bool force, struct zrun_error *err);

/* container_recover.c: delete --force of a container whose state.json cannot
 * be read (the caller holds its lock): SIGKILL the init and the cgroup the
 * recovery file names, remove the cgroup, then the state dir. */
int container_delete_unreadable(const char *root, const char *id, struct zrun_error *err);

/* Block the signals container_wait_console forwards, so that one arriving between
 * start and the wait is queued for the program instead of killing the
 * caller. Call it after create (the init must not inherit the mask). */
void container_wait_prepare(void);

/* Wait for a child init (run) or exec'd process, forwarding signals to it;
 * returns the exit code the runtime should exit with (status, or
 * 128+signal). MASTER, when >= 0: a pty master relayed to stdin and
 * stdout, which gets our window size; closed at the end. */
int container_wait_console(pid_t pid, int master);

/* Parse "SIGKILL", "KILL", "9" into a signal number; -1 when unknown. */
int signal_parse(const char *name);

#endif
