/* fdstore: the supervisor's parent. It holds a copy of every fd the supervisor
 * holds for the service (supervisor.sock's listening socket, the listeners,
 * the read end of each version's log pipe, each --intercept version's
 * seccomp notify fd) and does nothing else, so that when the supervisor dies it
 * forks a new one at once with all of them: the port and supervisor.sock never
 * close, a version writing to its log never finds the pipe without a reader
 * (SIGPIPE, EPIPE: the death of a Go, Python or Node program that logs),
 * and a version's later bind() is still answered (a notify fd without a
 * holder fails every intercepted call with ENOSYS). */
#ifndef ZRUN_FDSTORE_H
#define ZRUN_FDSTORE_H

#include <stdbool.h>

#include "capacity.h"
#include "state.h"

/* What a kept fd is, by the tag the supervisor sends it with. */
#define FDSTORE_LOG 'L'      /* the read end of a version's stdout/stderr pipe */
#define FDSTORE_NOTIFY 'S'   /* a version's seccomp notify fd (--intercept) */
/* a new socket for listener N (id "N"): the supervisor replaced one a version
 * shut down; the fdstore puts it at its own copy's fd number */
#define FDSTORE_LISTENER 'A'

struct fdstore_fd {
	bool used;
	char kind;                 /* FDSTORE_LOG or FDSTORE_NOTIFY */
	char id[STATE_ID_MAX + 1];
	int fd;
};

struct fdstore {
	struct fdstore_fd kept[FDSTORE_FD_MAX]; /* a new supervisor starts with these */
	int sock;                                 /* the supervisor's end to its fdstore, or -1 */
	const int *listeners;                     /* the service's listener fds, */
	size_t n_listeners;                       /* the same numbers in the supervisor */
};

/* Runs the supervisor as WORKER(g, arg) in a child, and again after each death
 * that was not a clean exit (status 0), with a backoff while it keeps
 * dying; exits when the supervisor exits cleanly. SIGTERM/SIGINT are passed to
 * the supervisor. Never returns. */
__attribute__((noreturn)) void fdstore_main(struct fdstore *g, void (*worker)(struct fdstore *g, void *arg),
					     void *arg);

/* For the fdstore and the supervisor: name the process (ps, pgrep), take
 * SIGTERM, SIGINT and SIGHUP through the signalfd returned, ignore SIGPIPE. */
int fdstore_daemon_signals(const char *name);

/* In the supervisor: give the fdstore a copy of version ID's fd of KIND
 * (FDSTORE_LOG, FDSTORE_NOTIFY); it replaces one of the same kind and id. */
void fdstore_keep(const struct fdstore *g, char kind, const char *id, int fd);

#endif
