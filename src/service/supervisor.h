/* supervisor: the restartable per-service process (`zrun-supervisor NAME`),
 * as the zrun commands see it: start it (with its fdstore), fetch the
 * listeners from it, hand it a version's log pipe or notify fd, ask it to
 * rescan or quit, all over supervisor.sock (protocol.h). The process itself
 * is supervisor_daemon.h: it serves supervisor.sock, restarts versions,
 * drains their logs, answers --intercept's seccomp notifications and
 * re-arms listeners a version broke. It may die: it runs under the fdstore
 * (fdstore.h), the process that must never die, which holds a copy of every
 * fd and starts a new supervisor with them. If both die, the listeners are
 * recovered from a running version (pidfd_getfd) and a new pair starts. */
#ifndef ZRUN_SUPERVISOR_H
#define ZRUN_SUPERVISOR_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "service.h"

/* Start a supervisor holding fds and record it (pid, start time) in svc and
 * service.json. The supervisor waits for that record before it holds the
 * listeners on its own, and exits if this zrun dies first: no supervisor ever
 * holds the port without a record that names it. */
int supervisor_spawn(const char *root, struct service *svc, const int *fds, struct zrun_error *err);

/* Fetch the listeners (svc->n_listeners fds, O_CLOEXEC) from the supervisor;
 * when it is gone, recover them from a running version and restart it. */
int supervisor_fetch(const char *root, struct service *svc, int *fds, struct zrun_error *err);

/* The listeners from a supervisor that answers, and nothing else (no
 * recovery): 0, or -1. For a look at them (service status). */
int supervisor_peek(const char *root, const struct service *svc, int *fds);

/* Ask the supervisor to exit (the service's last version is gone). */
void supervisor_stop(const char *root, const struct service *svc);

/* Hand the supervisor a version's stdout/stderr pipe (read end; the caller
 * keeps its copy): it drains it into ID.log in the service's log dir (service_log.h). */
int supervisor_send_log(const char *root, const struct service *svc, const char *id, int fd);

/* Hand the supervisor a version's seccomp notify fd (--intercept; the caller
 * keeps its copy): it answers the version's bind and listen calls. */
int supervisor_send_notify(const char *root, const struct service *svc, const char *id, int fd);

/* Ask the supervisor to look at the versions again (one was started). */
void supervisor_rescan(const char *root, const char *service);

/* true when the supervisor recorded in svc is alive. */
bool supervisor_alive(const struct service *svc);

#endif
