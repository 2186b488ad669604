/* listener_watch: the keeper's watch over the service's listeners. Every
 * version holds the same listening sockets, so one that calls shutdown(2)
 * on its fd 3 (a C idiom to wake acceptor threads while draining) stops
 * the socket for all of them. The keeper polls its copies, notices that at
 * once (POLLHUP / POLLRDHUP) and puts the listener back (listener_repair),
 * and keeps a record, ROOT/.services/NAME/listeners.record, that `service
 * status` shows. */
#ifndef ZRUN_LISTENER_WATCH_H
#define ZRUN_LISTENER_WATCH_H

#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "guardian.h"
#include "service.h"

/* What happened to one listener, as the record keeps it. */
struct listener_record {
	int repairs;             /* times it was found shut down */
	long long last_s;        /* when, last (seconds since the epoch) */
	char how[96];            /* "listening again", "new socket", "failed: ..." */
};

struct listener_watch {
	char root[PATH_MAX];
	const struct service *svc;
	const int *fds;          /* the keeper's listener fds (svc->n_listeners) */
	struct listener_record rec[LISTENER_MAX];
	bool broken[LISTENER_MAX];  /* could not be put back: retried on a timer */
};

void listener_watch_init(struct listener_watch *w, const char *root, const struct service *svc, const int *fds);

/* The fds to poll (events POLLRDHUP; HUP and ERR always come), and how long
 * poll may sleep (-1: no timer). */
size_t listener_watch_pollfds(struct listener_watch *w, struct pollfd *p, size_t max);
int listener_watch_timeout_ms(const struct listener_watch *w);

/* After poll: repair what was shut down (and retry the broken ones); p
 * NULL: look at every listener. A new socket goes to the guardian too, so
 * the next keeper holds it. */
void listener_watch_handle(struct listener_watch *w, const struct pollfd *p, size_t n, const struct guardian *g);

/* For status: the record of each of the n listeners (zeroed when none). */
void listener_watch_read(const char *root, const char *service, struct listener_record *out, size_t n);

#endif
