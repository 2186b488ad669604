#include "listener_watch.h"
#include "clock.h"
#include "steer_service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BROKEN_RETRY_MS 1000
/* what no poll event tells is looked at once a second, and at each wake-up
 * at most every GUARD_MIN_MS (a busy log pipe wakes the supervisor often) */
#define GUARD_PERIOD_MS 1000
#define GUARD_MIN_MS 100
#define RECORD_MAX_BYTES (LISTENER_MAX * LW_KINDS * 256)

static const char *const kind_names[LW_KINDS] = { "shutdown", "backlog", "filter", "options" };

static int record_path(char *buf, size_t len, const char *root, const char *service)
{
	return service_path(buf, len, root, service, "listeners.record");
}

/* One line per listener and kind: "INDEX KIND REPAIRS LAST_S HOW...";
 * "INDEX REPAIRS LAST_S HOW..." (a shutdown) as supervisors before the kinds
 * wrote it. */
static void parse_record_line(const char *line, struct listener_record (*out)[LW_KINDS], size_t n)
{
	unsigned i;
	int repairs, used = 0, k = LW_SHUTDOWN;
	long long last;
	char kind[16];

	if (sscanf(line, "%u %15[a-z] %d %lld %n", &i, kind, &repairs, &last, &used) == 4 && used > 0) {
		for (k = 0; k < LW_KINDS && strcmp(kind, kind_names[k]) != 0; k++)
			;
		if (k == LW_KINDS)
			return;
	} else if (sscanf(line, "%u %d %lld %n", &i, &repairs, &last, &used) != 3 || used == 0) {
		return;
	}
	if (i >= n)
		return;
	out[i][k].repairs = repairs;
	out[i][k].last_s = last;
	snprintf(out[i][k].how, sizeof(out[i][k].how), "%.*s", (int)strcspn(line + used, "\n"), line + used);
}

void listener_watch_read(const char *root, const char *service, struct listener_record (*out)[LW_KINDS], size_t n)
{
	char path[PATH_MAX], line[320];

	memset(out, 0, n * sizeof(*out));
	if (record_path(path, sizeof(path), root, service) < 0)
		return;
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f))
		parse_record_line(line, out, n);
	fclose(f);
}

static void record_write(const struct listener_watch *w)
{
	char path[PATH_MAX], text[RECORD_MAX_BYTES];
	size_t off = 0;
	struct zrun_error ignored;

	for (size_t i = 0; i < w->svc->n_listeners && off < sizeof(text); i++)
		for (int k = 0; k < LW_KINDS && off < sizeof(text); k++)
			if (w->rec[i][k].repairs)
				off += (size_t)snprintf(text + off, sizeof(text) - off, "%zu %s %d %lld %s\n", i,
							kind_names[k], w->rec[i][k].repairs, w->rec[i][k].last_s,
							w->rec[i][k].how);
	if (off < sizeof(text) && record_path(path, sizeof(path), w->root, w->svc->name) == 0)
		state_write_file(path, text, off, 0600, false, NULL, &ignored);
}

static void note(struct listener_watch *w, size_t i, int kind, const char *how)
{
	struct listener_record *r = &w->rec[i][kind];

	r->repairs++;
	r->last_s = (long long)time(NULL);
	snprintf(r->how, sizeof(r->how), "%s", how);
}

void listener_watch_init(struct listener_watch *w, const char *root, const struct service *svc, const int *fds)
{
	/* Only the entries of the service's listeners: the tables are sized
	 * for LISTENER_MAX, and a page written is memory the supervisor keeps
	 * for the service's life; the rest is never read. */
	memset(w->broken, 0, sizeof(w->broken));
	w->last_guard_ms = 0;
	snprintf(w->root, sizeof(w->root), "%s", root);
	w->svc = svc;
	w->fds = fds;
	/* a supervisor started again goes on counting */
	listener_watch_read(root, svc->name, w->rec, svc->n_listeners);
	for (size_t i = 0; i < svc->n_listeners; i++)
		listener_guard_init(&w->guard[i], &svc->listeners[i]);
	for (size_t i = 0; i < LISTENER_MAX; i++) {
		struct zrun_error ignored;
		bool steered = i < svc->n_listeners && svc->steered;
		w->steer_prog[i] = steered ? steer_program(svc->steer_maps[i], &ignored) : -1;
		if (!steered || steer_service_open(svc, i, &w->steer[i], &ignored) < 0)
			w->steer[i] = (struct steer){ .prog_fd = -1, .socks_map = -1, .slots_map = -1, .counts_map = -1,
						      .probe_map = -1 };
	}
	/* parked by the supervisor before: not a version's shutdown to repair */
	w->parked = listener_watch_parked(root, svc->name);
}

bool listener_watch_parked(const char *root, const char *service)
{
	char path[PATH_MAX];

	return service_path(path, sizeof(path), root, service, "parked") == 0 && access(path, F_OK) == 0;
}

void listener_watch_park(struct listener_watch *w, bool park)
{
	char path[PATH_MAX];
	struct zrun_error ignored;

	if (park == w->parked || service_path(path, sizeof(path), w->root, w->svc->name, "parked") < 0)
		return;
	/* the mark first: a supervisor that dies in between finds it and
	 * parks or listens again, never "repairs" */
	if (park && state_write_file(path, "", 0, 0600, false, NULL, &ignored) < 0)
		return;
	for (size_t i = 0; i < w->svc->n_listeners; i++) {
		/* a unix socket cannot listen again after a shutdown: it stays */
		if (w->svc->listeners[i].kind != LISTENER_TCP)
			continue;
		if (park)
			shutdown(w->fds[i], SHUT_RDWR);
		else if (!listener_listening(w->fds[i]) && listen(w->fds[i], LISTENER_BACKLOG) == 0 &&
			 w->steer[i].socks_map >= 0)
			steer_hold(&w->steer[i], w->fds[i], &ignored);
	}
	w->parked = park;
	if (!park)
		unlink(path);
}

size_t listener_watch_pollfds(struct listener_watch *w, struct pollfd *p, size_t max)
{
	size_t n = 0;

	/* steered: POLLIN is a connection held in the service's socket */
	for (size_t i = 0; i < w->svc->n_listeners && n < max; i++)
		p[n++] = (struct pollfd){ .fd = w->broken[i] || w->parked ? -1 : w->fds[i],
					  .events = POLLRDHUP | (w->steer[i].socks_map >= 0 && !w->hold_quiet[i] ? POLLIN : 0) };
	return n;
}

int listener_watch_timeout_ms(const struct listener_watch *w)
{
	uint64_t since = (uint64_t)now_ms() - w->last_guard_ms;
	int t = since >= GUARD_PERIOD_MS ? 0 : (int)(GUARD_PERIOD_MS - since);

	for (size_t i = 0; i < w->svc->n_listeners; i++)
		if (w->broken[i] && BROKEN_RETRY_MS < t)
			return BROKEN_RETRY_MS;
	return t;
}

/* A new socket at fds[i]: the fdstore keeps it for the next supervisor. */
static void keep_new_socket(const struct listener_watch *w, size_t i, const struct fdstore *g)
{
	char id[16];

	snprintf(id, sizeof(id), "%zu", i);
	fdstore_keep(g, PROTO_KEEP_LISTENER, id, w->fds[i]);
}

static void repair(struct listener_watch *w, size_t i, const struct fdstore *g)
{
	struct zrun_error err;
	struct listener_record *r = &w->rec[i][LW_SHUTDOWN];

	if (listener_listening(w->fds[i])) {
		w->broken[i] = false;
		return;
	}
	int how = listener_repair(&w->svc->listeners[i], w->fds[i], &err);
	if (!w->broken[i])
		r->repairs++;
	r->last_s = (long long)time(NULL);
	w->broken[i] = how < 0;
	if (how < 0) {
		snprintf(r->how, sizeof(r->how), "failed: %s", err.msg);
	} else if (how == 0) {
		snprintf(r->how, sizeof(r->how), "listening again (listen)");
	} else {
		snprintf(r->how, sizeof(r->how), "new socket (running versions keep the dead one)");
		keep_new_socket(w, i, g);
	}
	record_write(w);
}

/* Put back what a version changed on listener i that poll does not tell. */
static bool guard(struct listener_watch *w, size_t i, const struct fdstore *g)
{
	struct guard_report rep;
	unsigned found = listener_guard_check(&w->guard[i], &w->svc->listeners[i], w->fds[i], &rep);

	if (rep.filter_locked) {
		/* a filter nobody can remove drops the port for everyone: a new
		 * socket; the running versions' accept fails on the old one */
		struct zrun_error err;
		char *how = rep.how[GUARD_FILTER];
		if (listener_replace(&w->svc->listeners[i], w->fds[i], &err) == 0) {
			snprintf(how, sizeof(rep.how[0]), "locked filter: new socket (running versions keep the old one)");
			keep_new_socket(w, i, g);
		} else {
			snprintf(how, sizeof(rep.how[0]), "locked filter, no new socket: %.60s", err.msg);
		}
	}
	for (int k = 0; k < GUARD_KINDS; k++)
		if (found & (1u << k))
			note(w, i, 1 + k, rep.how[k]);
	return found != 0;
}

/* A steered listener: the service's socket back in the array at each look
 * (it leaves it whenever it stops listening: a repair, a park), and the
 * connections it holds given to the serving versions. A wake for held
 * connections that no version can take yet waits for the next look. */
static void hold(struct listener_watch *w, size_t i, bool due, bool woke)
{
	struct zrun_error ignored;

	if (due)
		steer_hold(&w->steer[i], w->fds[i], &ignored);
	if (due || woke)
		steer_service_unhold(&w->steer[i], w->fds[i]);
	w->hold_quiet[i] = woke;
}

void listener_watch_handle(struct listener_watch *w, const struct pollfd *p, size_t n, const struct fdstore *g)
{
	uint64_t now = (uint64_t)now_ms();
	bool due = now - w->last_guard_ms >= GUARD_MIN_MS, changed = false;

	if (w->parked)
		return;
	for (size_t i = 0; i < w->svc->n_listeners; i++) {
		bool seen = p == NULL || (i < n && (p[i].revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)));
		if (w->broken[i] || seen)
			repair(w, i, g);
		/* steered: no version holds the service's socket (each has its
		 * own), so none can change it; and it has SO_REUSEPORT and a
		 * group program on purpose, which the guard would take away. A
		 * version can replace the group's program from its own socket:
		 * ours goes back at each look (attaching replaces, at once). */
		if (due && !w->broken[i] && !w->svc->steered)
			changed |= guard(w, i, g);
		if (due && w->svc->steered && w->steer_prog[i] >= 0)
			setsockopt(w->fds[i], SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &w->steer_prog[i],
				   sizeof(w->steer_prog[i]));
		if (w->steer[i].socks_map >= 0)
			hold(w, i, due, p != NULL && i < n && (p[i].revents & POLLIN));
	}
	if (due)
		w->last_guard_ms = now;
	if (changed)
		record_write(w);
}
