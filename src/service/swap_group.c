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
#include <unistd.h>

#include "clock.h"
#include "event.h"
#include "service.h"
#include "version.h"

/* Stop every replica of NEW and remove it; OLD is not touched. */
static void remove_all(const char *root, char **ids, size_t n, FILE *out, bool json)
{
	struct zrun_error ignored;

	for (size_t i = 0; i < n; i++) {
		swap_stop_version(root, ids[i], 2000, false, NULL, 0, out, json);
		version_delete(root, ids[i], true, &ignored);
	}
}

/* Drain all of OLD at once (each waits its grace period in turn, but all
 * got their signal together), then delete unless kept. keep: NEW's
 * replicas, which must all be ready when OLD is signalled (else -1, OLD
 * untouched, why says which is not) and stay so (else 1: OLD's replicas
 * left are not killed). */
static int drain_all(const char *root, char **ids, size_t n, char **keep, size_t n_keep,
		     long grace_ms, bool keep_old, FILE *out, bool json, char *why, size_t len)
{
	struct zrun_error ignored;

	if (swap_signal_guarded(root, ids, n, (const char *const *)keep, n_keep, why, len) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (swap_stop_version(root, ids[i], grace_ms, true, (const char *const *)keep, n_keep, out, json) != 0) {
			snprintf(why, len, "a replica of the new version went while the old one drained");
			return 1;
		}
		if (!keep_old)
			version_delete(root, ids[i], true, &ignored);
	}
	return 0;
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
			event_say(o->out, o->json, "aborted", new_group, now_ms() - t0, "%s", msg);
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
	char why[300];
	int drained = r == 0 ? drain_all(o->root, old_ids, n_old, new_ids, n_new, o->grace_ms, o->keep_old,
					 o->out, o->json, why, sizeof(why)) : 0;
	if (drained != 0) {
		struct zrun_error ignored;
		if (drained < 0)  /* OLD untouched: NEW goes, as in any abort */
			remove_all(o->root, new_ids, n_new, o->out, o->json);
		swap_note(o->root, service, old_group, new_group, "aborted", o->keep_old, why, &ignored);
		close(lock);
		return zrun_error_set(err, 0, "swap %s -> %s aborted: %s; %s", old_group, new_group, why,
				      drained < 0 ? "the old version keeps serving, untouched" : "the old one was signalled");
	}
	if (r == 0) {
		r = swap_note(o->root, service, old_group, new_group, "done", o->keep_old, NULL, err);
		snprintf(msg, sizeof(msg), "serving with %zu replica%s; swap from %s done in %.2f s", n_new,
			 n_new == 1 ? "" : "s", old_group, (double)(now_ms() - t0) / 1000);
		event_say(o->out, o->json, "done", new_group, now_ms() - t0, "%s", msg);
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

	event_say(out, json, "repair", undo ? new_group : old_group, 0, "a swap %s -> %s stopped: %s it", old_group,
		  new_group, undo ? "undoing" : "finishing");
	swap_group_members(root, service, undo ? new_group : old_group, &ids, &n);
	int drained = 0;
	char why[300];
	if (undo) {
		remove_all(root, ids, n, out, json);
	} else {
		/* finish only while every replica of NEW still serves */
		char **keep;
		size_t n_keep;
		swap_group_members(root, service, new_group, &keep, &n_keep);
		drained = n_keep == 0 ? -1 : drain_all(root, ids, n, keep, n_keep, -1, keep_old, out, json,
						    why, sizeof(why));
		service_free_ids(keep, n_keep);
	}
	service_free_ids(ids, n);
	return swap_note(root, service, old_group, new_group, undo || drained ? "aborted" : "done", keep_old,
			 undo ? "interrupted; undone" : drained == 0 ? "interrupted while draining; finished" :
			 "interrupted while draining; the new version was gone: the old one kept", &ignored) < 0 ? 0 : 0;
}
