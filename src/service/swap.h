/* swap: replace a running version of a service by another with no refused
 * connection. An explicit state machine, written to the service dir at
 * every step (created -> starting -> probing -> ready -> draining -> done,
 * or aborted), so a later zrun can see where a killed swap stopped and
 * finish it (from draining on: NEW is ready) or undo it (before: OLD was
 * never signalled). Invariant: a ready version accepts at every instant. */
#ifndef ZRUN_SWAP_H
#define ZRUN_SWAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

struct swap_opts {
	const char *root;
	const char *old_id, *new_id;
	long timeout_ms;        /* whole swap deadline (default 2 min) */
	long grace_ms;          /* < 0: OLD's own grace period */
	bool keep_old;
	bool wait;              /* wait for another swap of the service instead of failing */
	bool json;              /* one JSON object per step */
	FILE *out;
};

int swap_run(const struct swap_opts *o, struct zrun_error *err);

/* Finish or undo a swap of the service whose zrun process died. Prints
 * what it did to out (may be NULL). 0 when nothing was left to do. */
int swap_repair(const char *root, const char *service, FILE *out, bool json, struct zrun_error *err);

/* ---- replica groups (zrun deploy --replicas N; swap_group.c) ---- */

/* Swap the running replicas old_ids (group old_group) for the created
 * replicas new_ids (group new_group): start all of NEW, probe each ready,
 * then drain all of OLD at once. Any NEW not ready: all of NEW goes, OLD
 * untouched. Same record, lock, repair and invariant as swap_run. */
int swap_group_run(const struct swap_opts *o, const char *service, const char *old_group, char **old_ids,
		   size_t n_old, const char *new_group, char **new_ids, size_t n_new, struct zrun_error *err);
int swap_group_repair(const char *root, const char *service, const char *old_group, const char *new_group,
		      bool undo, bool keep_old, FILE *out, bool json);

/* The containers of a group (sorted ids; service_free_ids them). */
void swap_group_members(const char *root, const char *service, const char *group, char ***ids, size_t *n);

/* Write the swap record for a group swap at a step (state name). */
int swap_note(const char *root, const char *service, const char *old_group, const char *new_group,
	      const char *state, bool keep_old, const char *reason, struct zrun_error *err);
/* Mark, signal (unless signalled: swap_signal_guarded did), wait up to
 * grace_ms (< 0: its own), SIGKILL its cgroup. keep: the versions that
 * take over, which must stay ready: -1 (nothing done) when one is not
 * ready before the signal, 1 (not SIGKILLed) when one goes during it. */
int swap_stop_version(const char *root, const char *id, long grace_ms, bool signalled, const char *const *keep,
		      size_t n_keep, FILE *out, bool json);
/* When every version of keep is running and not being stopped, mark and
 * signal (stop signal) each of ids; else -1 with why, nothing done. */
int swap_signal_guarded(const char *root, char **ids, size_t n, const char *const *keep,
			size_t n_keep, char *why, size_t len);
/* Start a created version (notify socket bound first) and probe it until
 * ready, within timeout_ms; the error says why not. */
int swap_start_and_probe(const char *root, const char *id, long timeout_ms, FILE *out, bool json,
			 struct zrun_error *err);

/* true when the last swap of the service stopped mid-way (its zrun died):
 * swap_repair has work to do. Reads only. */
bool swap_interrupted(const char *root, const char *service);

/* The last swap record of a service as one line ("api-v1 -> api-v2: done"),
 * or NULL when there is none. malloc'd. */
char *swap_describe(const char *root, const char *service);

#endif
