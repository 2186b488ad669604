/* The swap of replica groups (zrun deploy --replicas N): the same state
 * machine as swap.c (created -> starting -> probing -> ready -> draining ->
 * done | aborted, written to swap.json with "group": true), over several
 * containers per side. Invariant: OLD's replicas keep accepting until every
 * replica of NEW is proven ready; only then are they all signalled. */
#include "swap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "service.h"
#include "version.h"

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void line(const struct swap_opts *o, const char *step, const char *id, long t0, const char *msg)
{
	if (o->out == NULL)
		return;
	if (o->json)
		fprintf(o->out, "{\"step\":\"%s\",\"version\":\"%s\",\"elapsed_ms\":%ld,\"message\":\"%s\"}\n",
			step, id, now_ms() - t0, msg);
	else
		fprintf(o->out, "%s: %s\n", id, msg);
	fflush(o->out);
}

/* Stop every replica of NEW and remove it; OLD is not touched. */
static void remove_all(const char *root, char **ids, size_t n, FILE *out, bool json)
{
	struct zrun_error ignored;

	for (size_t i = 0; i < n; i++) {
		swap_stop_version(root, ids[i], 2000, out, json);
		version_delete(root, ids[i], true, &ignored);
	}
}

/* Drain all of OLD at once (each waits its grace period in turn, but all
 * got their signal together), then delete unless kept. */
static void drain_all(const char *root, char **ids, size_t n, long grace_ms, bool keep, FILE *out, bool json)
{
	struct zrun_error ignored;

	for (size_t i = 0; i < n; i++) {
		struct container_state st;
		struct version_config vc;
		if (version_load(root, ids[i], &st, &vc, &ignored) < 0)
			continue;
		version_mark_stopping(root, vc.service, ids[i]);
		if (state_live_status(root, &st) == STATUS_RUNNING)
			kill(st.pid, vc.stop_signal);
		state_clear(&st);
	}
	for (size_t i = 0; i < n; i++) {
		swap_stop_version(root, ids[i], grace_ms, out, json);
		if (!keep)
			version_delete(root, ids[i], true, &ignored);
	}
}

int swap_group_run(const struct swap_opts *o, const char *service, const char *old_group, char **old_ids,
		   size_t n_old, const char *new_group, char **new_ids, size_t n_new, struct zrun_error *err)
{
	long t0 = now_ms();
	char msg[1024];
	int lock = service_lock(o->root, service, "swap.lock", !o->wait, err);

	if (lock == -2)
		return zrun_error_set(err, 0, "another swap of service %s is in progress; use --wait to queue", service);
	if (lock < 0)
		return -1;
	swap_repair(o->root, service, o->out, o->json, err);
	int r = swap_note(o->root, service, old_group, new_group, "starting", o->keep_old, NULL, err);
	for (size_t i = 0; r == 0 && i < n_new; i++) {
		/* each replica: started, then proven ready; OLD keeps serving */
		if (i == 0)
			swap_note(o->root, service, old_group, new_group, "probing", o->keep_old, NULL, err);
		long left = o->timeout_ms - (now_ms() - t0);
		if (left <= 0 || swap_start_and_probe(o->root, new_ids[i], left, o->out, o->json, err) < 0) {
			if (left <= 0)
				zrun_error_set(err, 0, "not ready before the %.1f s timeout", (double)o->timeout_ms / 1000);
			char reason[ZRUN_ERROR_MSG_MAX];
			snprintf(reason, sizeof(reason), "%s", err->msg);
			char old[400];
			version_old_after_abort(o->root, old_group, old, sizeof(old));
			snprintf(msg, sizeof(msg), "%s; %s", reason, old);
			line(o, "aborted", new_group, t0, msg);
			remove_all(o->root, new_ids, n_new, o->out, o->json);
			struct zrun_error ignored;
			swap_note(o->root, service, old_group, new_group, "aborted", o->keep_old, reason, &ignored);
			close(lock);
			return zrun_error_set(err, 0, "swap %s -> %s aborted: %s", old_group, new_group, reason);
		}
	}
	if (r == 0)
		r = swap_note(o->root, service, old_group, new_group, "ready", o->keep_old, NULL, err);
	if (r == 0)
		r = swap_note(o->root, service, old_group, new_group, "draining", o->keep_old, NULL, err);
	if (r == 0) {
		drain_all(o->root, old_ids, n_old, o->grace_ms, o->keep_old, o->out, o->json);
		r = swap_note(o->root, service, old_group, new_group, "done", o->keep_old, NULL, err);
		snprintf(msg, sizeof(msg), "serving with %zu replica%s; swap from %s done in %.2f s", n_new,
			 n_new == 1 ? "" : "s", old_group, (double)(now_ms() - t0) / 1000);
		line(o, "done", new_group, t0, msg);
	}
	close(lock);
	return r;
}

void swap_group_members(const char *root, const char *service, const char *group, char ***out, size_t *n)
{
	char **ids;
	size_t all;
	struct zrun_error ignored;

	*out = NULL;
	*n = 0;
	if (service_versions(root, service, &ids, &all, &ignored) < 0)
		return;
	for (size_t i = 0; i < all; i++) {
		struct container_state st;
		struct version_config vc;
		if (version_load(root, ids[i], &st, &vc, &ignored) == 0) {
			if (strcmp(version_group(&vc, ids[i]), group) == 0) {
				char *keep = ids[i];
				ids[i] = NULL;
				ids[(*n)++] = keep;
			}
			state_clear(&st);
		}
		if (ids[i] && i >= *n) {
			free(ids[i]);
			ids[i] = NULL;
		}
	}
	*out = ids;
}

int swap_group_repair(const char *root, const char *service, const char *old_group, const char *new_group,
		      bool undo, bool keep_old, FILE *out, bool json)
{
	struct zrun_error ignored;
	char **ids;
	size_t n;

	if (out)
		fprintf(out, "%s: a swap %s -> %s stopped: %s it\n", undo ? new_group : old_group, old_group,
			new_group, undo ? "undoing" : "finishing");
	swap_group_members(root, service, undo ? new_group : old_group, &ids, &n);
	if (undo)
		remove_all(root, ids, n, out, json);
	else
		drain_all(root, ids, n, -1, keep_old, out, json);
	service_free_ids(ids, n);
	return swap_note(root, service, old_group, new_group, undo ? "aborted" : "done", keep_old,
			 undo ? "interrupted; undone" : "interrupted while draining; finished", &ignored) < 0 ? 0 : 0;
}
