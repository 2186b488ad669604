/* listener_watch: the supervisor's watch over the service's listeners. Every
 * version holds the same listening sockets, so one that calls shutdown(2)
 * on its fd 3 (a C idiom to wake acceptor threads while draining) stops
 * the socket for all of them. The supervisor polls its copies, notices that at
 * once (POLLHUP / POLLRDHUP) and puts the listener back (listener_repair).
 * What no poll event tells, a backlog shrunk with listen(), a BPF filter,
 * options the accepted sockets inherit, it looks at on each wake-up and at
 * least once a second (listener_guard.c). It keeps a record,
 * ROOT/.services/NAME/listeners.record, that `service status` shows.
 * It also parks the TCP listeners of a service that is down (every version
 * dead, none to be restarted): shut down, so that clients are refused at
 * once instead of waiting in a backlog nobody accepts from, and listening
 * again (listen(2) re-arms the same socket, which the fdstore and any later
 * version share) as soon as a version may serve. */
#ifndef ZRUN_LISTENER_WATCH_H
#define ZRUN_LISTENER_WATCH_H

#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdstore.h"
#include "listener_guard.h"
#include "service.h"

/* What a version did to a listener: shut it down, or what listener_guard
 * finds (LW_BACKLOG = 1 + GUARD_BACKLOG, ...). */
enum lw_kind { LW_SHUTDOWN, LW_BACKLOG, LW_FILTER, LW_OPTIONS, LW_KINDS };

/* What happened to one listener, of one kind, as the record keeps it. */
struct listener_record {
	int repairs;             /* times it was found so */
	long long last_s;        /* when, last (seconds since the epoch) */
	char how[192];           /* "listening again", "new socket", "failed: ..." */
};

struct listener_watch {
	char root[PATH_MAX];
	const struct service *svc;
	const int *fds;          /* the supervisor's listener fds (svc->n_listeners) */
	struct listener_record rec[LISTENER_MAX][LW_KINDS];
	bool broken[LISTENER_MAX];  /* could not be put back: retried on a timer */
	struct listener_guard guard[LISTENER_MAX];
	int steer_prog[LISTENER_MAX]; /* steered: the group's program, attached at each look; -1 */
	struct steer steer[LISTENER_MAX]; /* steered: the group's maps (its fds -1 when not) */
	bool hold_quiet[LISTENER_MAX];    /* steered: held connections and no version serving: no POLLIN until the next look */
	uint64_t last_guard_ms;  /* CLOCK_MONOTONIC */
	bool parked;             /* the TCP listeners are shut down: the service is down */
};

void listener_watch_init(struct listener_watch *w, const char *root, const struct service *svc, const int *fds);

/* The fds to poll (events POLLRDHUP; HUP and ERR always come), and how long
 * poll may sleep (the guard's next look at the latest). */
size_t listener_watch_pollfds(struct listener_watch *w, struct pollfd *p, size_t max);
int listener_watch_timeout_ms(const struct listener_watch *w);

/* After poll: repair what was shut down (and retry the broken ones), and
 * when it is due, put back what a version changed; p NULL: look at every
 * listener. A new socket goes to the fdstore too, so the next supervisor
 * holds it. */
void listener_watch_handle(struct listener_watch *w, const struct pollfd *p, size_t n, const struct fdstore *g);

/* Park (shut down) the TCP listeners, or listen again; a no-op when they are
 * so already. The mark ROOT/.services/NAME/parked says it to status and to
 * the next supervisor (which must not take the shutdown for a version's). */
void listener_watch_park(struct listener_watch *w, bool park);
bool listener_watch_parked(const char *root, const char *service);

/* For status: the record of each of the n listeners (zeroed when none). */
void listener_watch_read(const char *root, const char *service, struct listener_record (*out)[LW_KINDS], size_t n);

#endif
