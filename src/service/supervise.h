/* supervise: what the supervisor does for the versions of its service besides
 * holding the listeners: it watches each running version's init through a
 * pidfd and restarts one that exits against its restart policy (backoff
 * 100 ms doubling to 30 s, reset after 10 s of healthy running; a crash
 * loop stops at MAX and says so), and it drains the versions' stdout and
 * stderr pipes into size-capped, rotated, timestamped files ID.log in the
 * service's log dir (service_log.h). All of it is
 * driven from the supervisor's one poll loop: no threads, every child reaped. */
#ifndef ZRUN_SUPERVISE_H
#define ZRUN_SUPERVISE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "capacity.h"
#include "service_log.h"

struct supervisor;

struct supervisor *supervise_new(const char *root, const char *service, const char *zrun_path);

/* The fds to poll (after the supervisor's own), and how long poll may sleep. */
size_t supervise_pollfds(struct supervisor *s, struct pollfd *p, size_t max);
int supervise_timeout_ms(const struct supervisor *s);
/* After poll: p/n as filled by supervise_pollfds, with revents. Then the
 * timers (restarts that are due, the periodic rescan). */
void supervise_handle(struct supervisor *s, const struct pollfd *p, size_t n);

/* A version's stdout/stderr pipe (read end; owned from now on, closed on
 * failure). -1 when the log table (SUPERVISE_LOG_MAX) is full. */
int supervise_add_log(struct supervisor *s, const char *id, int fd);
/* Look at the service's versions again (a version was created or started). */
void supervise_rescan(struct supervisor *s);
/* The same, every state of the root read again (a rescan asked for: the
 * periodic one reads only what changed, version_index.h). */
void supervise_rescan_all(struct supervisor *s);

/* The service is down: it has versions, every one dead, none to be
 * restarted (as of the last rescan), and no version was fetched listeners
 * for in the last seconds. Its listeners are then parked (listener_watch). */
bool supervise_down(const struct supervisor *s);
/* A client fetched the listeners: a version is being made, listen again. */
void supervise_fetched(struct supervisor *s);

/* The supervisor exits: end and reap restart children, flush logs. */
void supervise_shutdown(struct supervisor *s);

/* For status: the supervisor's record of a version (restarts, last exit, its
 * supervision state) from ROOT/.services/NAME/supervise.json. */
struct supervise_info {
	int restarts;
	char state[32];        /* running, backoff, restarting, exited, crash-loop */
	char last_exit[64];    /* "exit 2", "signal 9", "unknown" or "" */
	char message[160];
};
int supervise_info(const char *root, const char *service, const char *id, struct supervise_info *out);

#endif
