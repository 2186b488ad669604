/* The watcher of an open canary (swap.h, swap_canary_watch): a child of
 * the service's supervisor, `zrun service canary-watch NAME`, for as long
 * as the canary is open. A child and not the supervisor's own loop: a
 * probe may take its whole timeout (1 s by default), and the supervisor
 * answers fetches, drains logs and restarts versions meanwhile; the child
 * is a zrun, so it aborts, steps and promotes with the commands' own code
 * under the swap lock. The supervisor starts a new one at its next look
 * when one dies; the watcher's lock makes a new one wait for an old one
 * left by a killed supervisor, so there is never more than one at work. */
#include "swap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "event.h"
#include "service.h"

#define WATCH_LOOK_MS 250  /* how often the record is read again (a promote, an abort) */

enum watch_look { CANARY_OPEN, CANARY_OVER, CANARY_END_DIED };

/* Is the canary named new_name still the open one? (r filled when it is) */
static enum watch_look still_open(const char *root, const char *service, const char *new_name, struct swap_record *r)
{
	struct zrun_error ignored;
	int got = swap_record_read(root, service, r, &ignored);
	bool ours = got == 1 && strcmp(r->new_name, new_name) == 0;
	enum watch_look look = ours && r->state == SWAP_CANARY ? CANARY_OPEN : CANARY_OVER;

	/* an abort or a promote of this canary whose zrun died: finished
	 * here, as the next swap command would */
	if (ours && look == CANARY_OVER && swap_canary_end_died(r))
		look = CANARY_END_DIED;
	if (got == 1 && look != CANARY_OPEN)
		swap_record_clear(r);
	return look;
}

static int give_up(const struct swap_opts *o, const char *service, const char *why, struct zrun_error *err)
{
	struct swap_opts wait = *o;
	char reason[800];

	/* behind a user's promote or abort, if one runs: it finds NEW gone
	 * too, or this finds the canary over */
	wait.wait = true;
	snprintf(reason, sizeof(reason), "%s during the canary", why);
	return swap_canary_abort(&wait, service, reason, err);
}

/* canary: the record read when the watch began, whose member ids the
 * members point at until the end. */
static int watch(const struct swap_opts *o, const char *service, const struct swap_record *canary,
		 struct zrun_error *err)
{
	char why[700];
	struct zrun_error load_err;
	struct swap_record now;
	struct swap_members *m = swap_members_load(o->root, canary->new_ids, canary->n_new, &load_err);

	if (m == NULL)  /* NEW deleted under the canary */
		return give_up(o, service, load_err.msg, err);
	int rc = 0;
	for (;;) {
		bool failed = swap_members_watch(m, WATCH_LOOK_MS, why, sizeof(why)) < 0;
		/* the record first: NEW gone because an abort took it out is no
		 * failure of NEW's, and that abort, if it died, is finished */
		enum watch_look look = still_open(o->root, service, canary->new_name, &now);
		if (look == CANARY_END_DIED) {
			struct swap_opts wait = *o;
			wait.wait = true;
			rc = swap_repair_locked(&wait, service, err);
		}
		if (look != CANARY_OPEN)
			break;
		if (failed) {
			swap_record_clear(&now);
			rc = give_up(o, service, why, err);
			break;
		}
		bool due = swap_canary_next_share(&now) && wall_ms() >= now.step_at_ms + now.step_ms;
		swap_record_clear(&now);
		struct zrun_error step_err;
		/* -1: the lock is busy (a user's promote or abort), or a step
		 * failed: the next look tries again, or sees the canary over */
		if (due && swap_canary_step(o, service, &step_err) == 1)
			break;
	}
	swap_members_free(m);
	return rc;
}

int swap_canary_watch(const char *root, const char *service, FILE *out, struct zrun_error *err)
{
	struct swap_opts o = { .root = root, .timeout_ms = 120000, .grace_ms = -1, .out = out };
	struct swap_record r;
	int lock = service_lock(root, service, "canary-watch.lock", false, err);

	if (lock < 0)
		return -1;
	int rc = 0;
	if (swap_record_read(root, service, &r, err) < 0) {
		rc = -1;
	} else if (swap_canary_end_died(&r)) {
		/* started for it by the supervisor (supervise.c, canary_look) */
		event_say(out, false, "repair", r.new_name, 0, "the %s of the canary of %s died: finishing it",
			  r.state == SWAP_DRAINING ? "promote" : "abort", r.new_name);
		o.wait = true;
		rc = swap_repair_locked(&o, service, err);
		swap_record_clear(&r);
	} else if (r.state != SWAP_CANARY) {
		swap_record_clear(&r);
	} else {
		event_say(out, false, "watching", r.new_name, 0, "canary of %s at %u%%: probing it, aborting on a failure",
			  r.new_name, r.canary_percent);
		rc = watch(&o, service, &r, err);
		swap_record_clear(&r);
	}
	close(lock);
	return rc;
}
