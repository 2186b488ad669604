/* listener_guard: what a version may set on the listening socket it shares
 * with the other versions, and the supervisor puts back. A listener's backlog,
 * its packet filter and the options its accepted sockets inherit belong to
 * the service, not to one version: listen(3, 1) shrinks the accept queue of
 * every version, a BPF filter drops or steers their connections, a linger
 * of 0 or a receive timeout set on fd 3 reaches every connection the others
 * accept. None of these can be waited for (no poll event), so the supervisor
 * compares each listener with a fresh socket made the same way, often
 * (listener_watch.c: at each wake-up and on a 1 s timer). */
#ifndef ZRUN_LISTENER_GUARD_H
#define ZRUN_LISTENER_GUARD_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "listener.h"

#define GUARD_OPT_MAX 16

/* What the supervisor found changed and put back. */
enum guard_kind { GUARD_BACKLOG, GUARD_FILTER, GUARD_OPTIONS, GUARD_KINDS };

union guard_value {
	int i;
	struct timeval tv;
	struct linger lg;
};

/* The values a listener of this kind has when zrun made it. */
struct listener_guard {
	int backlog;             /* TCP: sk_max_ack_backlog after listen(LISTENER_BACKLOG); -1 unknown */
	bool pinned;             /* a version's socket joined the port: ours takes every connection */
	bool have[GUARD_OPT_MAX];
	union guard_value base[GUARD_OPT_MAX];
};

struct guard_report {
	char how[GUARD_KINDS][192];
	bool filter_locked;      /* SO_LOCK_FILTER: only a new socket gets rid of it */
};

/* Measure a fresh socket made like l's (bound to a loopback port 0 or an
 * autobound abstract name, listening). */
void listener_guard_init(struct listener_guard *g, const struct listener *l);

/* Compare fd with the guard and put back what differs; returns a mask of
 * (1 << enum guard_kind) found changed, with r->how saying what was done. */
unsigned listener_guard_check(struct listener_guard *g, const struct listener *l, int fd, struct guard_report *r);

#endif
