/* guardian: the keeper's parent. It holds a copy of every fd the keeper
 * holds for the service (keeper.sock's listening socket, the listeners,
 * the read end of each version's log pipe, each --intercept version's
 * seccomp notify fd) and does nothing else, so that when the keeper dies it
 * forks a new one at once with all of them: the port and keeper.sock never
 * close, a version writing to its log never finds the pipe without a reader
 * (SIGPIPE, EPIPE: the death of a Go, Python or Node program that logs),
 * and a version's later bind() is still answered (a notify fd without a
 * holder fails every intercepted call with ENOSYS). */
#ifndef ZRUN_GUARDIAN_H
#define ZRUN_GUARDIAN_H

#include <stdbool.h>

#include "capacity.h"
#include "state.h"

/* What a kept fd is, by the tag the keeper sends it with. */
#define GUARDIAN_LOG 'L'      /* the read end of a version's stdout/stderr pipe */
#define GUARDIAN_NOTIFY 'S'   /* a version's seccomp notify fd (--intercept) */
/* a new socket for listener N (id "N"): the keeper replaced one a version
 * shut down; the guardian puts it at its own copy's fd number */
#define GUARDIAN_LISTENER 'A'

struct guardian_fd {
	bool used;
	char kind;                 /* GUARDIAN_LOG or GUARDIAN_NOTIFY */
	char id[STATE_ID_MAX + 1];
	int fd;
};

struct guardian {
	struct guardian_fd kept[GUARDIAN_FD_MAX]; /* a new keeper starts with these */
	int sock;                                 /* the keeper's end to its guardian, or -1 */
	const int *listeners;                     /* the service's listener fds, */
	size_t n_listeners;                       /* the same numbers in the keeper */
};

/* Runs the keeper as WORKER(g, arg) in a child, and again after each death
 * that was not a clean exit (status 0), with a backoff while it keeps
 * dying; exits when the keeper exits cleanly. SIGTERM/SIGINT are passed to
 * the keeper. Never returns. */
__attribute__((noreturn)) void guardian_main(struct guardian *g, void (*worker)(struct guardian *g, void *arg),
					     void *arg);

/* For the guardian and the keeper: name the process (ps, pgrep), take
 * SIGTERM, SIGINT and SIGHUP through the signalfd returned, ignore SIGPIPE. */
int guardian_daemon_signals(const char *name);

/* In the keeper: give the guardian a copy of version ID's fd of KIND
 * (GUARDIAN_LOG, GUARDIAN_NOTIFY); it replaces one of the same kind and id. */
void guardian_keep(const struct guardian *g, char kind, const char *id, int fd);

#endif
