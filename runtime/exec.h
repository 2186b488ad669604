/* exec: a new process in a running container (runc exec). It joins every
 * namespace and the cgroup of the container's init, and gets the process
 * settings of config.json (or of an OCI process JSON, as containerd sends
 * it) with the caller's overrides, the container's seccomp filter, and
 * optionally a pty in the container's devpts. */
#ifndef ZRUN_EXEC_H
#define ZRUN_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct container_exec_opts {
	const char *root;             /* state root */
	const char *id;
	/* --process FILE: the whole process, as an OCI process JSON; the
	 * per-field overrides below are then ignored (as runc does). */
	const char *process_file;
	char *const *args;            /* COMMAND ARGS, NULL-terminated (no process_file) */
	/* Overrides of config.json's process; unset = keep the container's. */
	bool tty;
	const char *cwd;
	char *const *env;             /* K=V, NULL-terminated; replace same-named ones */
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
	const gid_t *additional_gids; /* appended */
	size_t additional_gids_len;
	char *const *caps;            /* added to bounding, effective, permitted (and ambient) */
	bool no_new_privs;
	const char *apparmor;
	const char *process_label;
	/* How the process is run. */
	bool detach;                  /* the caller will not wait: no terminal relay */
	const char *pid_file;         /* written (atomically) once the program runs */
	const char *console_socket;   /* receives the pty master (SCM_RIGHTS) */
	int preserve_fds;             /* fds 3 .. 3+N-1 are passed on */
};

/* Start the process. On success *pid is its host pid, a child of the
 * caller (wait for it with container_wait_console), and the program has been
 * exec'd. When the process has a terminal and no console socket was given
 * (foreground), *console_master is the pty master for the caller to relay
 * (container_wait_console), else -1. Setup errors (a missing program, a bad
 * cwd) fail here with one message, and nothing is left running. */
int container_exec(const struct container_exec_opts *opts, pid_t *pid, int *console_master,
		   struct zrun_error *err);

#endif
