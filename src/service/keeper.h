/* keeper: the tiny per-service process that holds the listening sockets
 * for as long as the service has a version, so the port never closes
 * between versions. One poll loop over its unix socket and a signalfd; it
 * hands the listeners out over SCM_RIGHTS. It runs under a guardian
 * (guardian.h) that forks a new one with the same fds if it dies; if both
 * die, the listeners are recovered from a running version (pidfd_getfd)
 * and a new keeper starts. */
#ifndef ZRUN_KEEPER_H
#define ZRUN_KEEPER_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "service.h"

/* Start a keeper holding fds and record it (pid, start time) in svc and
 * service.json. The keeper waits for that record before it holds the
 * listeners on its own, and exits if this zrun dies first: no keeper ever
 * holds the port without a record that names it. */
int keeper_spawn(const char *root, struct service *svc, const int *fds, struct zrun_error *err);

/* Fetch the listeners (svc->n_listeners fds, O_CLOEXEC) from the keeper;
 * when it is gone, recover them from a running version and restart it. */
int keeper_fetch(const char *root, struct service *svc, int *fds, struct zrun_error *err);

/* The listeners from a keeper that answers, and nothing else (no
 * recovery): 0, or -1. For a look at them (service status). */
int keeper_peek(const char *root, const struct service *svc, int *fds);

/* Ask the keeper to exit (the service's last version is gone). */
void keeper_stop(const char *root, const struct service *svc);

/* Hand the keeper a version's stdout/stderr pipe (read end; the caller
 * keeps its copy): it drains it into logs/ID.log. */
int keeper_send_log(const char *root, const struct service *svc, const char *id, int fd);

/* Hand the keeper a version's seccomp notify fd (--intercept; the caller
 * keeps its copy): it answers the version's bind and listen calls. */
int keeper_send_notify(const char *root, const struct service *svc, const char *id, int fd);

/* Ask the keeper to look at the versions again (one was started). */
void keeper_rescan(const char *root, const char *service);

/* true when the keeper recorded in svc is alive. */
bool keeper_alive(const struct service *svc);

#endif
