/* fdstore: the supervisor's parent. It holds a copy of every fd the supervisor
 * holds for the service (supervisor.sock's listening socket, the listeners,
 * the read end of each version's log pipe, each --intercept version's
 * seccomp notify fd) and does nothing else, so that when the supervisor dies it
 * starts a new one at once with all of them: the port and supervisor.sock never
 * close, a version writing to its log never finds the pipe without a reader
 * (SIGPIPE, EPIPE: the death of a Go, Python or Node program that logs),
 * and a version's later bind() is still answered (a notify fd without a
 * holder fails every intercepted call with ENOSYS). */
#ifndef ZRUN_FDSTORE_H
#define ZRUN_FDSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "capacity.h"
#include "protocol.h"
#include "state.h"

/* The fdstore and each supervisor are fresh images of the zrun binary
 * (exec'd, not forks of the command that made the service: a fork kept
 * that command's heap, ~640 KB PSS per service, and its command line in
 * ps). argv is {"zrun-fdstore" or "zrun-supervisor", NAME}, the state root
 * and the listener count are in the environment, and the fds they hold are
 * passed across exec at
 * these numbers: the only fds of either without close-on-exec. */
#define DAEMON_ROOT_ENV "ZRUN_SERVICE_ROOT"
#define DAEMON_LISTENERS_ENV "ZRUN_SERVICE_LISTENERS"   /* how many listeners from DAEMON_FD_LISTENERS */
#define DAEMON_FDSTORE "zrun-fdstore"
#define DAEMON_SUPERVISOR "zrun-supervisor"
#define DAEMON_FD_SOCK 3       /* supervisor.sock, listening */
#define DAEMON_FD_PARENT 4     /* fdstore: the commit pipe from the zrun that made it
				* (supervisor_spawn); supervisor: its line to the fdstore */
#define DAEMON_FD_LISTENERS 5  /* the service's listeners, in order, from here up */

/* A kept fd: kind is PROTO_KEEP_LOG or PROTO_KEEP_NOTIFY. */
struct fdstore_fd {
	bool used;
	enum proto_op kind;
	char id[STATE_ID_MAX + 1];
	int fd;
};

struct fdstore {
	struct fdstore_fd kept[FDSTORE_FD_MAX]; /* a new supervisor starts with these */
	int sock;                                 /* the supervisor's end to its fdstore, or -1 */
	const int *listeners;                     /* the service's listener fds, */
	size_t n_listeners;                       /* the same numbers in the supervisor */
};

/* In a child: exec image (DAEMON_FDSTORE, DAEMON_SUPERVISOR) for service
 * name under root (absolute), with sock, parent and the n listeners moved
 * to the DAEMON_FD_* numbers and every other fd closed but keep (>= 0: an
 * fd that close-on-exec ends, a report pipe). Returns only on failure
 * (errno). */
int fdstore_exec(const char *image, const char *root, const char *name, int sock, int parent,
		 const int *listeners, size_t n, int keep);

/* The fdstore image (zrun-fdstore NAME): waits for the record that names
 * it (the commit, see supervisor_spawn), then runs a supervisor image, and
 * again after each death that was not a clean exit (status 0), with a
 * backoff while it keeps dying; exits when the supervisor exits cleanly.
 * SIGTERM/SIGINT are passed to the supervisor. Never returns. */
__attribute__((noreturn)) void fdstore_run(const char *root, const char *name);

/* For the fdstore and the supervisor: name the process (ps, pgrep), take
 * SIGTERM, SIGINT and SIGHUP through the signalfd returned, ignore SIGPIPE. */
int fdstore_daemon_signals(const char *name);

/* In the supervisor: give the fdstore a copy of version ID's fd of KIND
 * (PROTO_KEEP_LOG, PROTO_KEEP_NOTIFY; or PROTO_KEEP_LISTENER with id "N");
 * it replaces one of the same kind and id. */
void fdstore_keep(const struct fdstore *g, enum proto_op kind, const char *id, int fd);

#endif
