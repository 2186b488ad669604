/* swap: replace the running version of a service (one container, or a
 * replica group) by another with no refused connection. One engine: a
 * 1 -> 1 swap is the one-replica case of a group swap. An explicit state
 * machine, written to the service dir at every step (created -> starting ->
 * probing -> ready -> draining -> done, or aborted; swap_record.h), so a
 * later zrun can see where a killed swap stopped and finish it (from
 * draining on: NEW is ready) or undo it (before: OLD was never signalled).
 * Invariant: a ready version accepts at every instant. */
#ifndef ZRUN_SWAP_H
#define ZRUN_SWAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "swap_members.h"
#include "swap_record.h"

struct swap_opts {
	const char *root;
	const char *old_id, *new_id;  /* swap_run's two versions */
	long timeout_ms;        /* deadline of the whole command, from t0_ms (default 2 min) */
	long t0_ms;             /* CLOCK_MONOTONIC ms the command began (0: now) */
	long grace_ms;          /* < 0: each OLD member's own grace period */
	bool keep_old;
	int max_starting;       /* NEW's members started at once; 0: all */
	bool wait;              /* wait for another swap of the service instead of failing */
	bool json;              /* one JSON object per step */
	bool progress;          /* a "waiting" line each second a wait lasts */
	FILE *out;
	/* a canary: NEW's shares, in percent (n_canary 0: a plain swap), one
	 * each step_ms after the first */
	unsigned canary[SWAP_CANARY_STEPS_MAX];
	size_t n_canary;
	long step_ms;
};

/* Swap version old_id for new_id. */
int swap_run(const struct swap_opts *o, struct zrun_error *err);

/* Swap the running replicas old_ids (group old_group) for the created
 * replicas new_ids (group new_group): start all of NEW, probe them all
 * ready, then drain all of OLD at once. Any NEW not ready: all of NEW
 * goes, OLD untouched. */
int swap_group_run(const struct swap_opts *o, const char *service, const char *old_group, char **old_ids,
		   size_t n_old, const char *new_group, char **new_ids, size_t n_new, struct zrun_error *err);

/* Canary releases (swap --canary): the swap stops once NEW is ready and
 * holds opts->canary[0] percent of new connections, OLD the rest, both
 * running, the record at "canary" (a resting state: no zrun runs it,
 * nothing to repair). Only a steered service can split its connections:
 * swap_canary_check says why not (-1) for any other. While a canary is
 * open every other swap of the service is refused (swap_canary_refuse). */
int swap_canary_check(const char *root, const char *service, struct zrun_error *err);
int swap_canary_refuse(const char *root, const char *service, struct zrun_error *err);

/* Finish the open canary of service: OLD drains and goes, as in a swap
 * (the record's --keep-old). */
int swap_promote(const struct swap_opts *o, const char *service, struct zrun_error *err);

/* Undo the open canary of service: NEW out of the slots (OLD gets them
 * all), stopped and deleted; the record says aborted, and why (reason). */
int swap_canary_abort(const struct swap_opts *o, const char *service, const char *reason, struct zrun_error *err);

/* The next step of the open canary, if one is due (swap_canary_next_share,
 * step_ms after the last): NEW's share raised, or at 100% the promote.
 * 1 when it promoted (the canary is over), 0 when it stepped or nothing
 * was due, -1 with err. */
int swap_canary_step(const struct swap_opts *o, const char *service, struct zrun_error *err);

/* Watch the open canary of service until it ends (swap_canary.c): NEW
 * probed at its period, the canary aborted when NEW exits (or is
 * restarted) or fails its probe, the shares stepped. One watcher at a
 * time (a lock; a second waits for the first). Run by the supervisor as
 * `zrun service canary-watch NAME`. */
int swap_canary_watch(const char *root, const char *service, FILE *out, struct zrun_error *err);

/* Finish or undo a swap of the service whose zrun died. Prints what it did
 * to out (may be NULL). 0 when done or nothing was left to do; -1 when
 * the record cannot be read or names an unknown state. */
int swap_repair(const char *root, const char *service, FILE *out, bool json, struct zrun_error *err);

/* swap_repair under the service's swap lock (o->wait: wait for it, else
 * fail when a swap command holds it): what a command that repairs and
 * starts nothing takes (swap --resume, --abort, a canary's watcher). */
int swap_repair_locked(const struct swap_opts *o, const char *service, struct zrun_error *err);

/* `zrun swap --resume|--abort SERVICE`: after a swap's zrun died, finish
 * it from its record (what swap_repair does: a swap stopped before OLD was
 * signalled is undone, one stopped while draining is finished), or, with
 * abort, undo it, which only a swap that had not signalled OLD can be. An
 * open canary: abort undoes it; resume is refused, naming promote and
 * abort. A swap whose zrun is alive is refused; after a finished one, a
 * line says there is nothing to do. */
int swap_resume(const struct swap_opts *o, const char *service, bool abort, struct zrun_error *err);

/* true when the last swap of the service stopped mid-way (its zrun died),
 * or its record cannot be read: swap_repair has work to do or an error to
 * tell. Reads only. */
bool swap_interrupted(const char *root, const char *service);

/* true when a swap of the service under way (its zrun alive) is starting
 * a version: its new name (a version id, or a replica group) into NAME.
 * One read of the record. */
bool swap_starting(const char *root, const char *service, char *name, size_t len);

/* The last swap record of a service as one line ("api-v1 -> api-v2: done"),
 * or NULL when there is none. malloc'd. */
char *swap_describe(const char *root, const char *service);

#endif
