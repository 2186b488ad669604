#include "steer_service.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


void steer_service_choose(struct service *svc, const struct listener *ls, size_t nls, bool intercept)
{
	struct zrun_error why;

	svc->steered = false;
	if (intercept) {
		snprintf(svc->steer_why, sizeof(svc->steer_why),
			 "its first version takes the listeners from bind(2) (--intercept), which gives the shared socket");
		return;
	}
	for (size_t i = 0; i < nls; i++)
		if (steer_supported(&ls[i], &why) < 0) {
			snprintf(svc->steer_why, sizeof(svc->steer_why), "%s", why.msg);
			return;
		}
	svc->steered = nls > 0;
	svc->steer_why[0] = '\0';
}

int steer_service_listener_open(const struct service *svc, const struct listener *l, struct zrun_error *err)
{
	return svc->steered ? steer_group_open(l, err) : listener_open(l, err);
}

int steer_service_open(const struct service *svc, size_t i, struct steer *s, struct zrun_error *err)
{
	if (!svc->steered || i >= svc->n_listeners)
		return zrun_error_set(err, 0, "service %s: connections are not steered", svc->name);
	return steer_open_ids(s, svc->steer_maps[i], err);
}

int steer_service_setup(struct service *svc, const int *fds, struct zrun_error *err)
{
	for (size_t i = 0; svc->steered && i < svc->n_listeners; i++) {
		struct steer s;
		/* the service's socket holds no slot: it keeps the port and the
		 * group (and so the program and its maps) between versions, and
		 * gets a connection only to hold it (STEER_HOLD) */
		int r = steer_create(&s, err) < 0 ? -1 : 0;
		if (r == 0)
			r = steer_attach(&s, fds[i], err) < 0 || steer_hold(&s, fds[i], err) < 0 ||
			    steer_serve(&s, NULL, 0, err) < 0 || steer_map_ids(&s, svc->steer_maps[i], err) < 0 ? -1 : 0;
		steer_close(&s);
		if (r < 0)
			return zrun_error_prefix(err, "listener %s", svc->listeners[i].url);
	}
	return 0;
}

/* In slots, every slot that names from names to instead. */
static int take_over(const struct steer *s, unsigned from, unsigned to, struct zrun_error *err)
{
	unsigned percent[STEER_SOCKS_MAX], index[STEER_SOCKS_MAX], share[STEER_SOCKS_MAX];
	size_t n = 0;

	if (steer_get_shares(s, percent, err) < 0)
		return -1;
	if (percent[from] == 0)
		return 0;
	percent[to] += percent[from];
	percent[from] = 0;
	for (unsigned i = 0; i < STEER_SOCKS_MAX; i++)
		if (percent[i] > 0) {
			index[n] = i;
			share[n++] = percent[i];
		}
	return steer_set_shares(s, index, share, n, err);
}

/* A free index that no slot names: a slot naming a free index is one of a
 * version that went without leaving the set (killed); its socket is gone,
 * and a new version given that index would get those connections before
 * its probe passed. */
static int unnamed_free_index(const struct steer *s, struct zrun_error *err)
{
	unsigned percent[STEER_SOCKS_MAX];

	if (steer_get_shares(s, percent, err) < 0)
		return -1;
	for (unsigned i = 0; i < STEER_SOCKS_MAX; i++)
		if (percent[i] == 0 && !steer_has(s, i))
			return (int)i;
	return zrun_error_set(err, 0, "steering: %d sockets in the group already", STEER_SOCKS_MAX);
}

/* Does a socket in the group hold slots? (none: no version serves, and a
 * new one serves at once, as it would have from the shared socket) */
static bool serving(const struct steer *s)
{
	unsigned percent[STEER_SOCKS_MAX];
	struct zrun_error ignored;

	if (steer_get_shares(s, percent, &ignored) < 0)
		return true;
	for (unsigned i = 0; i < STEER_SOCKS_MAX; i++)
		if (percent[i] > 0 && steer_has(s, i))
			return true;
	return false;
}

/* Does every slot name a socket, and one at least? (a slot naming a
 * killed version's index waits for its restart to take it over) */
static bool all_slots_live(const struct steer *s)
{
	unsigned percent[STEER_SOCKS_MAX];
	struct zrun_error ignored;
	bool any = false;

	if (steer_get_shares(s, percent, &ignored) < 0)
		return false;
	for (unsigned i = 0; i < STEER_SOCKS_MAX; i++) {
		if (percent[i] > 0 && !steer_has(s, i))
			return false;
		any |= percent[i] > 0;
	}
	return any;
}

int steer_service_unhold(const struct steer *s, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct zrun_error ignored;

	/* only when every slot names a socket: a held connection whose slot
	 * names a killed replica's index would come back here while this
	 * socket is out of the group, and be reset */
	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN) || !all_slots_live(s))
		return 0;
	/* a listener that stops listening hands its queue to the program
	 * (select-or-migrate), which gives each connection to its slot's
	 * socket; listen(2) puts it back in the group, and in the array */
	if (shutdown(fd, SHUT_RD) < 0 || listen(fd, LISTENER_BACKLOG) < 0)
		return -1;
	return steer_hold(s, fd, &ignored) < 0 ? -1 : 1;
}

static int join_one(const struct service *svc, size_t i, int fd, struct version_config *vc, bool first, int *own,
		    struct zrun_error *err)
{
	struct steer s;
	int last = i < (size_t)vc->n_steer ? vc->steer_index[i] : -1;

	if (steer_service_open(svc, i, &s, err) < 0)
		return -1;
	/* the version's socket is made where the service's is: a pod's
	 * namespace (SIOCGSKNS), or here */
	int ns = listener_netns_of(fd), back = -1;
	if (ns >= 0 && (back = listener_netns_enter(NULL, ns, err)) < 0) {
		close(ns);
		steer_close(&s);
		return -1;
	}
	*own = steer_socket_open(&svc->listeners[i], err);
	listener_netns_leave(back);
	if (ns >= 0)
		close(ns);
	int index = *own < 0 ? -1 : unnamed_free_index(&s, err);
	int r = index < 0 || steer_add(&s, (unsigned)index, *own, err) < 0 ? -1 : 0;
	if (r == 0 && (first || !serving(&s)))
		r = steer_serve(&s, (unsigned[]){ (unsigned)index }, 1, err);
	else if (r == 0 && last >= 0 && last != index && !steer_has(&s, (unsigned)last))
		r = take_over(&s, (unsigned)last, (unsigned)index, err);
	uint64_t cookie = r == 0 ? steer_cookie(&s, (unsigned)index) : 0;
	steer_close(&s);
	if (r < 0) {
		if (*own >= 0)
			close(*own);
		*own = -1;
		return zrun_error_prefix(err, "listener %s", svc->listeners[i].url);
	}
	vc->steer_index[i] = index;
	vc->steer_inode[i] = listener_inode(*own);
	vc->steer_cookie[i] = cookie;
	return 0;
}

int steer_service_join(const struct service *svc, const int *fds, struct version_config *vc, bool first, int *own,
		       struct zrun_error *err)
{
	for (size_t i = 0; i < svc->n_listeners; i++) {
		if (join_one(svc, i, fds[i], vc, first, &own[i], err) < 0) {
			while (i--) {
				close(own[i]);
				own[i] = -1;
			}
			return -1;
		}
	}
	vc->n_steer = (int)svc->n_listeners;
	return 0;
}

/* The serving set of listener i changed: in (add) or out. cookie[k] is
 * the socket index[k] was given to: an index whose socket is another's now
 * (the version stopped, its index went to a version made since) is left
 * alone, or deleting a stopped version would take the slots of the one
 * serving. */
static int change_set(const struct service *svc, size_t i, const int *index, const uint64_t *cookie, size_t n,
		      bool add, struct zrun_error *err)
{
	unsigned percent[STEER_SOCKS_MAX], set[STEER_SOCKS_MAX];
	size_t m = 0;
	struct steer s;

	if (steer_service_open(svc, i, &s, err) < 0)
		return -1;
	int r = steer_get_shares(&s, percent, err);
	for (size_t k = 0; r == 0 && k < n; k++)
		if (index[k] >= 0 && index[k] < STEER_SOCKS_MAX && steer_cookie(&s, (unsigned)index[k]) == cookie[k])
			percent[index[k]] = add ? 1 : 0;
	/* a slot naming a socket gone (a version killed without leaving the
	 * set) is given back to the others */
	for (unsigned k = 0; r == 0 && k < STEER_SOCKS_MAX; k++)
		if (percent[k] > 0 && steer_has(&s, k))
			set[m++] = k;
	if (r == 0)
		r = steer_serve(&s, set, m, err);
	steer_close(&s);
	return r;
}

/* The index and cookie each of ids was given in listener i's group, at
 * [i * n + k] (-1: none, or the version is gone). */
static void read_indexes(const char *root, const struct service *svc, char **ids, size_t n, int *index,
			 uint64_t *cookie)
{
	for (size_t k = 0; k < n; k++) {
		struct container_state st;
		struct version_config vc;
		struct zrun_error ignored;
		for (size_t i = 0; i < LISTENER_MAX; i++)
			index[i * n + k] = -1;
		/* state.json, not version.h: version.c calls this module */
		if (state_read(root, ids[k], &st, &ignored) < 0)
			continue;
		int got = version_config_from_state(&st, &vc);
		state_clear(&st);
		if (got < 0)
			continue;
		for (int i = 0; i < vc.n_steer && (size_t)i < svc->n_listeners; i++) {
			index[(size_t)i * n + k] = vc.steer_index[i];
			cookie[(size_t)i * n + k] = vc.steer_cookie[i];
		}
	}
}

static int serve(const char *root, const char *service, char **ids, size_t n, bool add, struct zrun_error *err)
{
	struct service svc;
	int *index = NULL;
	uint64_t *cookie = NULL;

	if (n == 0 || service_load(root, service, &svc, err) < 0)
		return n == 0 ? 0 : -1;
	if (!svc.steered)
		return 0;
	index = calloc(n * LISTENER_MAX, sizeof(*index));
	cookie = calloc(n * LISTENER_MAX, sizeof(*cookie));
	if (index == NULL || cookie == NULL) {
		free(index);
		free(cookie);
		return zrun_error_set(err, ENOMEM, "steering");
	}
	read_indexes(root, &svc, ids, n, index, cookie);
	int r = 0;
	for (size_t i = 0; r == 0 && i < svc.n_listeners; i++)
		r = change_set(&svc, i, index + i * n, cookie + i * n, n, add, err);
	free(index);
	free(cookie);
	return r < 0 ? zrun_error_prefix(err, "service %s", service) : 0;
}

int steer_service_serve(const char *root, const char *service, char **ids, size_t n, struct zrun_error *err)
{
	return serve(root, service, ids, n, true, err);
}

int steer_service_unserve(const char *root, const char *service, char **ids, size_t n, struct zrun_error *err)
{
	return serve(root, service, ids, n, false, err);
}

int steer_service_share(const struct service *svc, const struct version_config *vc, unsigned *percent,
			uint64_t *count)
{
	unsigned all[STEER_SOCKS_MAX];
	struct zrun_error ignored;
	struct steer s;

	if (!svc->steered || vc->n_steer == 0 || vc->steer_index[0] < 0 || steer_service_open(svc, 0, &s, &ignored) < 0)
		return -1;
	/* a stopped version's index may be another's socket now */
	if (steer_cookie(&s, (unsigned)vc->steer_index[0]) != vc->steer_cookie[0]) {
		steer_close(&s);
		return -1;
	}
	int r = steer_get_shares(&s, all, &ignored);
	*percent = r == 0 ? all[vc->steer_index[0]] : 0;
	*count = steer_count(&s, (unsigned)vc->steer_index[0]);
	steer_close(&s);
	return r;
}

/* Of the n sockets (index, cookie) of one side, those still in the group
 * (a stopped version's index may be another's socket now) into live. */
static size_t live_of(const struct steer *s, const int *index, const uint64_t *cookie, size_t n, unsigned *live)
{
	size_t m = 0;

	for (size_t k = 0; k < n; k++)
		if (index[k] >= 0 && index[k] < STEER_SOCKS_MAX && steer_cookie(s, (unsigned)index[k]) == cookie[k])
			live[m++] = (unsigned)index[k];
	return m;
}

/* Listener i: the old side first, the new side last, so that a step up
 * only moves slots from old to new: a slot (a hash of the 4-tuple) that
 * went to NEW stays NEW's until an abort. */
static int split_one(const struct service *svc, size_t i, const int *index, const uint64_t *cookie, size_t n_old,
		     size_t n_new, unsigned percent, struct zrun_error *err)
{
	unsigned live[2 * SERVICE_VERSIONS_MAX], share[2 * SERVICE_VERSIONS_MAX], set[2 * SERVICE_VERSIONS_MAX];
	struct steer s;
	size_t n = 0;

	if (steer_service_open(svc, i, &s, err) < 0)
		return -1;
	size_t lo = live_of(&s, index, cookie, n_old, live);
	size_t ln = live_of(&s, index + n_old, cookie + n_old, n_new, live + lo);
	int r = 0;
	if (ln == 0 || (lo == 0 && percent < STEER_SLOTS))
		r = zrun_error_set(err, 0, "the %s version has no socket in the group (not running)", ln == 0 ? "new" : "old");
	for (size_t k = 0; r == 0 && k < lo + ln; k++) {
		bool is_new = k >= lo;
		unsigned side = is_new ? percent : STEER_SLOTS - percent, count = is_new ? (unsigned)ln : (unsigned)lo;
		size_t at = is_new ? k - lo : k;
		unsigned p = side / count + (at < side % count ? 1 : 0);
		if (p > 0) {
			set[n] = live[k];
			share[n++] = p;
		}
	}
	if (r == 0)
		r = steer_set_shares(&s, set, share, n, err);
	steer_close(&s);
	return r < 0 ? zrun_error_prefix(err, "listener %s", svc->listeners[i].url) : 0;
}

int steer_service_split(const char *root, const char *service, char **old_ids, size_t n_old, char **new_ids,
			size_t n_new, unsigned percent, struct zrun_error *err)
{
	struct service svc;
	size_t n = n_old + n_new;

	if (service_load(root, service, &svc, err) < 0)
		return -1;
	if (!svc.steered)
		return zrun_error_set(err, 0, "service %s: connections are not steered (%s)", service, svc.steer_why);
	if (n == 0 || n > 2 * SERVICE_VERSIONS_MAX || percent == 0 || percent > STEER_SLOTS)
		return zrun_error_set(err, 0, "service %s: steering: %zu versions, a share of %u%%", service, n, percent);
	int *index = calloc(n * LISTENER_MAX, sizeof(*index));
	uint64_t *cookie = calloc(n * LISTENER_MAX, sizeof(*cookie));
	char **ids = calloc(n + 1, sizeof(*ids));
	int r = index && cookie && ids ? 0 : zrun_error_set(err, ENOMEM, "steering");
	for (size_t k = 0; r == 0 && k < n; k++)
		ids[k] = k < n_old ? old_ids[k] : new_ids[k - n_old];
	if (r == 0)
		read_indexes(root, &svc, ids, n, index, cookie);
	for (size_t i = 0; r == 0 && i < svc.n_listeners; i++)
		r = split_one(&svc, i, index + i * n, cookie + i * n, n_old, n_new, percent, err);
	free(index);
	free(cookie);
	free(ids);
	return r < 0 ? zrun_error_prefix(err, "service %s", service) : 0;
}
