#include "listener_watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BROKEN_RETRY_MS 1000
#define RECORD_MAX_BYTES (LISTENER_MAX * 160)

static int record_path(char *buf, size_t len, const char *root, const char *service)
{
	return service_path(buf, len, root, service, "listeners.record");
}

/* One line per listener: "INDEX REPAIRS LAST_S HOW...". */
void listener_watch_read(const char *root, const char *service, struct listener_record *out, size_t n)
{
	char path[PATH_MAX], line[256];

	memset(out, 0, n * sizeof(*out));
	if (record_path(path, sizeof(path), root, service) < 0)
		return;
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned i;
		int repairs, used = 0;
		long long last;
		if (sscanf(line, "%u %d %lld %n", &i, &repairs, &last, &used) != 3 || i >= n || used == 0)
			continue;
		out[i].repairs = repairs;
		out[i].last_s = last;
		snprintf(out[i].how, sizeof(out[i].how), "%.*s", (int)strcspn(line + used, "\n"), line + used);
	}
	fclose(f);
}

static void record_write(const struct listener_watch *w)
{
	char path[PATH_MAX], text[RECORD_MAX_BYTES];
	size_t off = 0;
	struct zrun_error ignored;

	for (size_t i = 0; i < w->svc->n_listeners && off < sizeof(text); i++)
		if (w->rec[i].repairs)
			off += (size_t)snprintf(text + off, sizeof(text) - off, "%zu %d %lld %s\n", i,
						w->rec[i].repairs, w->rec[i].last_s, w->rec[i].how);
	if (off < sizeof(text) && record_path(path, sizeof(path), w->root, w->svc->name) == 0)
		state_write_file(path, text, off, 0600, false, NULL, &ignored);
}

void listener_watch_init(struct listener_watch *w, const char *root, const struct service *svc, const int *fds)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->root, sizeof(w->root), "%s", root);
	w->svc = svc;
	w->fds = fds;
	/* a keeper started again goes on counting */
	listener_watch_read(root, svc->name, w->rec, svc->n_listeners);
}

size_t listener_watch_pollfds(struct listener_watch *w, struct pollfd *p, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < w->svc->n_listeners && n < max; i++)
		p[n++] = (struct pollfd){ .fd = w->broken[i] ? -1 : w->fds[i], .events = POLLRDHUP };
	return n;
}

int listener_watch_timeout_ms(const struct listener_watch *w)
{
	for (size_t i = 0; i < w->svc->n_listeners; i++)
		if (w->broken[i])
			return BROKEN_RETRY_MS;
	return -1;
}

static void repair(struct listener_watch *w, size_t i, const struct guardian *g)
{
	struct zrun_error err;
	struct listener_record *r = &w->rec[i];

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
		char id[16];
		snprintf(r->how, sizeof(r->how), "new socket (running versions keep the dead one)");
		snprintf(id, sizeof(id), "%zu", i);
		guardian_keep(g, GUARDIAN_LISTENER, id, w->fds[i]);
	}
	record_write(w);
}

void listener_watch_handle(struct listener_watch *w, const struct pollfd *p, size_t n, const struct guardian *g)
{
	for (size_t i = 0; i < w->svc->n_listeners; i++) {
		bool seen = p == NULL || (i < n && (p[i].revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)));
		if (w->broken[i] || seen)
			repair(w, i, g);
	}
}
