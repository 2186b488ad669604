/* The one swap engine: a swap of a version for another is the one-replica
 * case of a swap of replica groups. Start NEW's members, probe them all
 * ready, drain OLD's members, each step first written to the record
 * (swap_record.c); what it does to several containers at once is in
 * swap_members.c. */
#include "swap.h"

#include "clock.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "fault.h"
#include "json.h"
#include "service.h"
#include "steer_service.h"
#include "supervisor.h"
#include "version.h"

struct swap_run {
	const struct swap_opts *o;
	char service[SERVICE_NAME_MAX];
	struct swap_record rec;
	struct swap_say say;
};

/* Test builds and tests can stop a swap dead at a step (fault injection). */
static void swap_fault_point(enum swap_state s)
{
	char name[64];
	snprintf(name, sizeof(name), "swap-%s", swap_state_name(s));
	fault_point(name);
}

static int enter(struct swap_run *w, enum swap_state s, struct zrun_error *err)
{
	w->rec.state = s;
	if (swap_record_write(w->o->root, w->service, &w->rec, err) < 0)
		return -1;
	swap_fault_point(s);
	return 0;
}

/* The record of a swap that ended (done, aborted) while it could not be
 * written (ENOSPC): without it a later repair would take the swap for one
 * whose zrun died mid-way and undo it, deleting a NEW the user created.
 * Unlinking needs no space. */
static void record_end(const char *root, const char *service, const struct swap_record *r)
{
	struct zrun_error ignored;
	char path[PATH_MAX];

	if (swap_record_write(root, service, r, &ignored) < 0 &&
	    service_path(path, sizeof(path), root, service, "swap.json") == 0)
		unlink(path);
}

static void end_as(struct swap_run *w, enum swap_state s, const char *reason)
{
	snprintf(w->rec.reason, sizeof(w->rec.reason), "%s", reason);
	w->rec.state = s;
	record_end(w->o->root, w->service, &w->rec);
}

static int abort_swap(struct swap_run *w, const char *reason, struct zrun_error *err)
{
	const struct swap_record *r = &w->rec;
	char old[400];

	version_old_after_abort(w->o->root, r->old_name, old, sizeof(old));
	event_say(w->say.out, w->say.json, "aborted", r->new_name, now_ms() - w->say.t0, "%s; %s", reason, old);
	swap_members_remove(w->o->root, r->new_ids, r->n_new, &w->say);
	end_as(w, SWAP_ABORTED, reason);
	return zrun_error_set(err, 0, "swap %s -> %s aborted: %s", r->old_name, r->new_name, reason);
}

/* The swap record could not be written before NEW was started: nothing
 * was touched, NEW stays as the user made it. */
static int record_failed(struct swap_run *w, struct zrun_error *err)
{
	char reason[ZRUN_ERROR_MSG_MAX], why[ZRUN_ERROR_MSG_MAX + 64];

	snprintf(reason, sizeof(reason), "%s", err->msg);
	snprintf(why, sizeof(why), "the swap record could not be written: %s", reason);
	end_as(w, SWAP_ABORTED, why);
	return zrun_error_set(err, 0, "swap %s -> %s aborted: %s; %s and %s untouched", w->rec.old_name,
			      w->rec.new_name, why, w->rec.old_name, w->rec.new_name);
}

static int abort_with(struct swap_run *w, const char *what, struct zrun_error *err)
{
	char reason[ZRUN_ERROR_MSG_MAX + 64];

	snprintf(reason, sizeof(reason), "%s%s", what, err->msg);
	return abort_swap(w, reason, err);
}

/* NEW went (deleted, exited) before (stopped < 0) or while OLD drained. */
static int new_gone(struct swap_run *w, int stopped, const char *why, struct zrun_error *err)
{
	const struct swap_record *r = &w->rec;

	if (stopped < 0) {
		/* OLD untouched: what is left of NEW goes, as in any abort */
		swap_members_remove(w->o->root, r->new_ids, r->n_new, &w->say);
		end_as(w, SWAP_ABORTED, "the new version went before the old one was signalled: the old one kept");
		return zrun_error_set(err, 0, "swap %s -> %s aborted: %s; %s keeps serving, untouched", r->old_name,
				      r->new_name, why, r->old_name);
	}
	end_as(w, SWAP_ABORTED, "the new version went while the old one drained: the old one not killed");
	return zrun_error_set(err, 0, "swap %s -> %s aborted: %s while %s drained; %s was signalled but not killed",
			      r->old_name, r->new_name, why, r->old_name, r->old_name);
}

/* Start and probe NEW; -1 when the swap was aborted. */
static int bring_up_new(struct swap_run *w, struct zrun_error *err)
{
	const struct swap_opts *o = w->o;
	struct swap_members *m = swap_members_load(o->root, w->rec.new_ids, w->rec.n_new, err);
	int r = -1;

	if (m == NULL)
		return abort_with(w, "", err);
	if (o->n_canary)
		swap_members_unserved(m);
	swap_members_max_starting(m, o->max_starting > 0 ? (size_t)o->max_starting : 0);
	if (swap_members_any_created(m) && enter(w, SWAP_STARTING, err) < 0)
		r = record_failed(w, err);
	else if (swap_members_start(m, &w->say, err) < 0)
		r = abort_with(w, "", err);
	else if (enter(w, SWAP_PROBING, err) < 0)
		r = abort_with(w, "the swap record could not be written: ", err);
	else if (swap_members_probe(m, w->rec.new_name, o->timeout_ms, &w->say, err) < 0)
		r = abort_with(w, "", err);
	else
		r = 0;
	swap_members_free(m);
	return r;
}

/* NEW is ready: OLD drains and goes (a swap's end, or a canary's promote). */
static int drain_old(struct swap_run *w, struct zrun_error *err)
{
	const struct swap_opts *o = w->o;
	struct swap_record *r = &w->rec;
	struct zrun_error ignored;
	char why[300];

	if (enter(w, SWAP_DRAINING, err) < 0)
		return abort_with(w, "the swap record could not be written: ", err);
	/* A swap never removes the last serving version: NEW must still be
	 * there and ready when OLD gets its signal and while it drains. */
	int stopped = swap_members_stop(o->root, r->old_ids, r->n_old, o->grace_ms, r->new_ids, r->n_new, &w->say,
					why, sizeof(why));
	if (stopped != 0)
		return new_gone(w, stopped, why, err);
	for (size_t i = 0; !r->keep_old && i < r->n_old; i++) {
		if (version_delete(o->root, r->old_ids[i], true, r->n_old == 1 ? err : &ignored) < 0 && r->n_old == 1)
			return -1;
		event_say(w->say.out, w->say.json, "deleted", r->old_ids[i], now_ms() - w->say.t0, "deleted");
	}
	if (enter(w, SWAP_DONE, err) < 0) {
		record_end(o->root, w->service, r);
		return -1;
	}
	char n[64] = "";
	if (r->group)
		snprintf(n, sizeof(n), " with %zu replica%s", r->n_new, r->n_new == 1 ? "" : "s");
	event_say(w->say.out, w->say.json, "done", r->new_name, now_ms() - w->say.t0,
		  "serving%s; swap from %s done in %.2f s", n, r->old_name, (double)(now_ms() - w->say.t0) / 1000);
	return 0;
}

/* NEW is ready and has no slot yet: give it its first share, OLD the
 * rest, and rest in "canary" with both running. The shares go before the
 * record says canary: a zrun killed between the two left a record at
 * probing, whose repair takes NEW out again (only ready versions ever get
 * connections, and OLD all of them once more). */
static int canary_open(struct swap_run *w, struct zrun_error *err)
{
	const struct swap_opts *o = w->o;
	struct swap_record *r = &w->rec;

	r->canary_percent = o->canary[0];
	memcpy(r->canary_steps, o->canary, o->n_canary * sizeof(o->canary[0]));
	r->n_canary_steps = o->n_canary;
	r->step_ms = o->step_ms;
	r->step_at_ms = wall_ms();
	if (steer_service_split(o->root, w->service, r->old_ids, r->n_old, r->new_ids, r->n_new, r->canary_percent,
				err) < 0)
		return abort_with(w, "the canary's share could not be given: ", err);
	/* killed here: NEW (ready) holds its share, the record says probing,
	 * and a repair takes NEW out again */
	fault_point("canary-shares-given");
	snprintf(r->reason, sizeof(r->reason), "%s gets %u%% of new connections, %s %u%%", r->new_name,
		 r->canary_percent, r->old_name, 100 - r->canary_percent);
	if (enter(w, SWAP_CANARY, err) < 0)
		return abort_with(w, "the swap record could not be written: ", err);
	/* the supervisor watches the canary from its next look (swap_canary.h) */
	supervisor_rescan(o->root, w->service);
	event_say(w->say.out, w->say.json, "canary", r->new_name, now_ms() - w->say.t0,
		  "%s; `zrun promote %s` or `zrun abort %s`", r->reason, w->service, w->service);
	return 0;
}

static int swap_steps(struct swap_run *w, struct zrun_error *err)
{
	const struct swap_opts *o = w->o;
	struct swap_record *r = &w->rec;

	r->pid = getpid();
	r->pid_start = state_pid_start_time(r->pid);
	r->keep_old = o->keep_old;
	if (enter(w, SWAP_CREATED, err) < 0)
		return record_failed(w, err);
	if (bring_up_new(w, err) < 0)
		return -1;
	if (o->n_canary)
		return canary_open(w, err);
	if (enter(w, SWAP_READY, err) < 0)
		return abort_with(w, "the swap record could not be written: ", err);
	return drain_old(w, err);
}

static int take_swap_lock(const struct swap_opts *o, const char *service, struct zrun_error *err)
{
	struct zrun_error ignored;
	struct swap_record r;
	int lock = service_lock(o->root, service, "swap.lock", !o->wait, err);

	if (lock != -2)
		return lock;
	if (swap_record_read(o->root, service, &r, &ignored) == 1) {
		zrun_error_set(err, 0, "another swap of service %s is in progress (%s -> %s, pid %d); use --wait to queue",
			       service, r.old_name, r.new_name, r.pid);
		swap_record_clear(&r);
		return -1;
	}
	return zrun_error_set(err, 0, "another swap of service %s is in progress; use --wait to queue", service);
}

static int load_one(const char *root, const char *id, struct version_config *vc, enum container_status *s,
		    struct zrun_error *err)
{
	struct container_state st;

	if (version_load(root, id, &st, vc, err) < 0)
		return zrun_error_prefix(err, "swap %s", id);
	*s = state_live_status(root, &st);
	state_clear(&st);
	return 0;
}

/* The checks of a 1 -> 1 swap: two versions of one service, OLD running,
 * NEW created or running. */
static int check_versions(const struct swap_opts *o, char *service, size_t len, struct zrun_error *err)
{
	struct version_config ovc, nvc;
	enum container_status os, ns;

	if (strcmp(o->old_id, o->new_id) == 0)
		return zrun_error_set(err, 0, "cannot swap %s with itself", o->old_id);
	if (load_one(o->root, o->old_id, &ovc, &os, err) < 0 || load_one(o->root, o->new_id, &nvc, &ns, err) < 0)
		return -1;
	if (strcmp(ovc.service, nvc.service) != 0)
		return zrun_error_set(err, 0, "%s is a version of service %s but %s is of service %s",
				      o->old_id, ovc.service, o->new_id, nvc.service);
	snprintf(service, len, "%s", ovc.service);
	if (os != STATUS_RUNNING)
		return zrun_error_set(err, 0, "%s is %s, not running: nothing to swap from", o->old_id,
				      state_status_name(os));
	if (ns != STATUS_CREATED && ns != STATUS_RUNNING)
		return zrun_error_set(err, 0, "%s is %s: it must be created or running", o->new_id,
				      state_status_name(ns));
	return 0;
}

static char **strv_dup(char *const *ids, size_t n)
{
	char **v = calloc(n + 1, sizeof(char *));

	for (size_t i = 0; v && i < n; i++)
		if ((v[i] = strdup(ids[i])) == NULL) {
			json_strv_free(v);
			return NULL;
		}
	return v;
}

/* A canary rests between two zrun commands: its record names a zrun
 * that has exited, and it is neither interrupted nor to be repaired. */
static bool resting(enum swap_state s)
{
	return s == SWAP_DONE || s == SWAP_ABORTED || s == SWAP_CANARY;
}

int swap_canary_refuse(const char *root, const char *service, struct zrun_error *err)
{
	struct swap_record r;
	struct zrun_error ignored;

	if (swap_record_read(root, service, &r, &ignored) != 1)
		return 0;
	int refused = r.state == SWAP_CANARY ? -1 : 0;
	if (refused)
		zrun_error_set(err, 0, "service %s has a canary open (%s -> %s, %s at %u%%): `zrun promote %s` or "
			       "`zrun abort %s` first", service, r.old_name, r.new_name, r.new_name, r.canary_percent,
			       service, service);
	swap_record_clear(&r);
	return refused;
}

int swap_canary_check(const char *root, const char *service, struct zrun_error *err)
{
	struct service svc;

	if (service_load(root, service, &svc, err) < 0)
		return -1;
	if (!svc.steered)
		return zrun_error_set(err, 0, "--canary: service %s has one shared socket, not one per version (%s): "
				      "only steered connections can be split", service, svc.steer_why);
	return 0;
}

/* Under the service's swap lock: repair a swap whose zrun died, then run
 * this one. one: a 1 -> 1 swap, whose versions are checked again after
 * the repair (it may have changed either). */
static int run_locked(struct swap_run *w, bool one, struct zrun_error *err)
{
	const struct swap_opts *o = w->o;
	int lock = take_swap_lock(o, w->service, err);
	int r = -1;

	if (lock < 0)
		return -1;
	if (swap_repair(o->root, w->service, o->out, o->json, err) == 0 &&
	    swap_canary_refuse(o->root, w->service, err) == 0 &&
	    (!one || check_versions(o, w->service, sizeof(w->service), err) == 0)) {
		if (w->rec.old_ids == NULL || w->rec.new_ids == NULL)
			r = zrun_error_set(err, ENOMEM, "swap");
		else
			r = swap_steps(w, err);
	}
	close(lock);
	return r;
}

static void run_init(struct swap_run *w, const struct swap_opts *o)
{
	memset(w, 0, sizeof(*w));
	w->o = o;
	w->say = (struct swap_say){ .out = o->out, .json = o->json, .progress = o->progress,
				    .t0 = o->t0_ms ? o->t0_ms : now_ms() };
}

int swap_run(const struct swap_opts *o, struct zrun_error *err)
{
	struct swap_run w;
	char *old[1] = { (char *)o->old_id }, *new[1] = { (char *)o->new_id };

	run_init(&w, o);
	if (check_versions(o, w.service, sizeof(w.service), err) < 0 ||
	    (o->n_canary && swap_canary_check(o->root, w.service, err) < 0))
		return -1;
	snprintf(w.rec.old_name, sizeof(w.rec.old_name), "%s", o->old_id);
	snprintf(w.rec.new_name, sizeof(w.rec.new_name), "%s", o->new_id);
	w.rec.old_ids = strv_dup(old, 1);
	w.rec.new_ids = strv_dup(new, 1);
	w.rec.n_old = w.rec.n_new = 1;
	int r = run_locked(&w, true, err);
	swap_record_clear(&w.rec);
	return r;
}

int swap_group_run(const struct swap_opts *o, const char *service, const char *old_group, char **old_ids,
		   size_t n_old, const char *new_group, char **new_ids, size_t n_new, struct zrun_error *err)
{
	struct swap_run w;

	run_init(&w, o);
	snprintf(w.service, sizeof(w.service), "%s", service);
	snprintf(w.rec.old_name, sizeof(w.rec.old_name), "%s", old_group);
	snprintf(w.rec.new_name, sizeof(w.rec.new_name), "%s", new_group);
	w.rec.group = true;
	w.rec.old_ids = strv_dup(old_ids, n_old);
	w.rec.new_ids = strv_dup(new_ids, n_new);
	w.rec.n_old = n_old;
	w.rec.n_new = n_new;
	int r = run_locked(&w, false, err);
	swap_record_clear(&w.rec);
	return r;
}

/* The open canary of the service, under its swap lock (its fd, or -1
 * with err: busy, no canary). */
static int canary_locked(struct swap_run *w, const char *service, struct zrun_error *err)
{
	int lock = take_swap_lock(w->o, service, err);

	snprintf(w->service, sizeof(w->service), "%s", service);
	if (lock < 0)
		return -1;
	int got = swap_record_read(w->o->root, service, &w->rec, err);
	if (got == 1 && w->rec.state == SWAP_CANARY) {
		w->rec.pid = getpid();
		w->rec.pid_start = state_pid_start_time(w->rec.pid);
		return lock;
	}
	if (got >= 0) {
		char *last = swap_describe(w->o->root, service);
		zrun_error_set(err, 0, "service %s has no canary open (last swap: %s)", service, last ? last : "none");
		free(last);
	}
	swap_record_clear(&w->rec);
	close(lock);
	return -1;
}

/* A canary by deploy recorded NEW as the service's current version: OLD
 * is again, and is no longer the one kept for rollback. */
static void canary_undeploy(const char *root, const char *service, const struct swap_record *r)
{
	struct service svc;
	struct zrun_error ignored;
	int lock = service_lock(root, service, "service.lock", false, &ignored);

	if (service_load(root, service, &svc, &ignored) == 0 && strcmp(svc.current, r->new_name) == 0) {
		snprintf(svc.current, sizeof(svc.current), "%s", r->old_name);
		if (strcmp(svc.previous, r->old_name) == 0)
			svc.previous[0] = '\0';
		service_save(root, &svc, &ignored);
	}
	if (lock >= 0)
		close(lock);
}

/* A canary by deploy promoted: NEW is the service's current version. The
 * deploy names it so once the canary is open; one killed between its swap
 * record (canary) and its service record left the old one named, with its
 * replica count and settings: status said the old one was deployed, and
 * the next deploy made the old count of replicas. */
static void canary_deployed(const char *root, const char *service, const struct swap_record *r)
{
	struct service svc;
	struct container_state st;
	struct version_config vc;
	struct zrun_error ignored;

	if (!r->group || r->canary_percent == 0 || r->n_new == 0)
		return;
	int lock = service_lock(root, service, "service.lock", false, &ignored);
	if (service_load(root, service, &svc, &ignored) == 0 && strcmp(svc.current, r->old_name) == 0 &&
	    version_load(root, r->new_ids[0], &st, &vc, &ignored) == 0) {
		state_clear(&st);
		snprintf(svc.current, sizeof(svc.current), "%s", r->new_name);
		if (r->keep_old)
			snprintf(svc.previous, sizeof(svc.previous), "%s", r->old_name);
		svc.replicas = (int)r->n_new;
		version_config_settings(&svc.settings, &vc);
		service_save(root, &svc, &ignored);
	}
	if (lock >= 0)
		close(lock);
}

int swap_promote(const struct swap_opts *o, const char *service, struct zrun_error *err)
{
	struct swap_run w;

	run_init(&w, o);
	int lock = canary_locked(&w, service, err);
	if (lock < 0)
		return -1;
	event_say(w.say.out, w.say.json, "promote", w.rec.new_name, 0, "promoting %s from %u%%: %s drains", w.rec.new_name,
		  w.rec.canary_percent, w.rec.old_name);
	/* the reason said the canary's shares: a done swap that still said
	 * "NEW gets 10% ..." told status readers the split was still on */
	snprintf(w.rec.reason, sizeof(w.rec.reason), "canary promoted from %u%% by `zrun promote`", w.rec.canary_percent);
	/* straight to draining: NEW was proven ready when the canary opened,
	 * and a repair finishes a swap killed from draining on */
	int r = drain_old(&w, err);
	if (r == 0)
		canary_deployed(o->root, service, &w.rec);
	swap_record_clear(&w.rec);
	close(lock);
	return r;
}

int swap_canary_abort(const struct swap_opts *o, const char *service, const char *reason, struct zrun_error *err)
{
	struct swap_run w;
	char why[600];

	run_init(&w, o);
	int lock = canary_locked(&w, service, err);
	if (lock < 0)
		return -1;
	struct swap_record *r = &w.rec;
	snprintf(why, sizeof(why), "canary aborted at %u%%: %s", r->canary_percent, reason);
	/* The record leaves "canary" before NEW leaves the slots: an abort
	 * killed after that left NEW running with no share under a record
	 * that still called it a canary at its share (service status said so),
	 * and a promote from there took OLD out of slots no one else held:
	 * every connection waited, unanswered. "ready" with this zrun's pid is
	 * what a repair undoes (NEW goes, OLD keeps every slot). */
	r->state = SWAP_READY;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
	if (swap_record_write(o->root, w.service, r, err) < 0) {
		swap_record_clear(&w.rec);
		close(lock);
		return zrun_error_prefix(err, "the canary is still open");
	}
	event_say(w.say.out, w.say.json, "aborted", r->new_name, 0, "%s; %s gets every new connection again", why,
		  r->old_name);
	/* NEW out of the slots first (swap_members_stop), so OLD has them all
	 * before NEW gets its stop signal */
	fault_point("canary-abort-begin");
	swap_members_remove(o->root, r->new_ids, r->n_new, &w.say);
	fault_point("canary-abort-removed");
	end_as(&w, SWAP_ABORTED, why);
	if (r->group)
		canary_undeploy(o->root, service, r);
	swap_record_clear(&w.rec);
	close(lock);
	return 0;
}

int swap_canary_step(const struct swap_opts *o, const char *service, struct zrun_error *err)
{
	struct swap_run w;

	run_init(&w, o);
	int lock = canary_locked(&w, service, err);
	if (lock < 0)
		return -1;
	struct swap_record *r = &w.rec;
	unsigned next = swap_canary_next_share(r);
	int rc = 0;
	if (next == 0 || wall_ms() < r->step_at_ms + r->step_ms) {
		rc = 0;  /* not due (a user's promote or abort may have come first) */
	} else if (next == 100) {
		event_say(w.say.out, w.say.json, "promote", r->new_name, 0, "step to 100%%: promoting %s, %s drains",
			  r->new_name, r->old_name);
		snprintf(r->reason, sizeof(r->reason), "canary promoted from %u%% at its last step", r->canary_percent);
		rc = drain_old(&w, err) < 0 ? -1 : 1;
		if (rc == 1)
			canary_deployed(o->root, service, r);
	} else if (steer_service_split(o->root, w.service, r->old_ids, r->n_old, r->new_ids, r->n_new, next, err) < 0) {
		rc = -1;
	} else {
		r->canary_percent = next;
		r->step_at_ms = wall_ms();
		snprintf(r->reason, sizeof(r->reason), "%s gets %u%% of new connections, %s %u%%", r->new_name, next,
			 r->old_name, 100 - next);
		event_say(w.say.out, w.say.json, "canary", r->new_name, 0, "step: %s", r->reason);
		rc = swap_record_write(o->root, w.service, r, err) < 0 ? -1 : 0;
	}
	swap_record_clear(&w.rec);
	close(lock);
	return rc;
}

/* A swap whose zrun died: before draining, OLD was never signalled, so
 * NEW goes; from draining on NEW was ready, so OLD is drained, if every
 * member of NEW still serves. */
static void repair_record(const char *root, const char *service, struct swap_record *r,
			  const struct swap_say *say)
{
	struct zrun_error ignored;
	const char *at = swap_state_name(r->state);
	char why[300];

	if (r->state < SWAP_DRAINING) {
		event_say(say->out, say->json, "repair", r->new_name, 0, "a swap %s -> %s stopped while %s: undoing it",
			  r->old_name, r->new_name, at);
		swap_members_remove(root, r->new_ids, r->n_new, say);
		if (swap_record_canary_aborting(r)) {
			/* the abort's own reason, and OLD the current version again */
			size_t len = strlen(r->reason);
			snprintf(r->reason + len, sizeof(r->reason) - len, " (interrupted; finished by a repair)");
			if (r->group)
				canary_undeploy(root, service, r);
		} else {
			snprintf(r->reason, sizeof(r->reason), "interrupted while %s; undone", at);
		}
		r->state = SWAP_ABORTED;
		return;
	}
	event_say(say->out, say->json, "repair", r->old_name, 0, "a swap %s -> %s stopped while draining: finishing it",
		  r->old_name, r->new_name);
	int stopped = r->n_new == 0 ? -1 : swap_members_stop(root, r->old_ids, r->n_old, -1, r->new_ids, r->n_new, say,
							      why, sizeof(why));
	for (size_t i = 0; i < r->n_old; i++) {
		struct container_state st;
		struct version_config vc;
		if (version_load(root, r->old_ids[i], &st, &vc, &ignored) < 0)
			continue;
		state_clear(&st);
		if (stopped < 0)  /* OLD serves on: the supervisor may restart it again */
			version_clear_stopping(root, vc.service, r->old_ids[i]);
		else if (stopped == 0 && !r->keep_old && version_delete(root, r->old_ids[i], true, &ignored) == 0)
			event_say(say->out, say->json, "deleted", r->old_ids[i], now_ms() - say->t0, "deleted");
	}
	if (stopped == 0)  /* a promote of a canary by deploy, finished */
		canary_deployed(root, service, r);
	snprintf(r->reason, sizeof(r->reason), "interrupted while draining; %s",
		 stopped == 0 ? "finished" : stopped < 0 ? "NEW was gone: OLD kept" : "NEW went while OLD drained");
	r->state = stopped == 0 ? SWAP_DONE : SWAP_ABORTED;
}

int swap_repair(const char *root, const char *service, FILE *out, bool json, struct zrun_error *err)
{
	struct swap_record r;
	int got = swap_record_read(root, service, &r, err);

	if (got <= 0)
		return got;
	if (!resting(r.state) && !(swap_record_owner_alive(&r) && r.pid != getpid())) {
		struct swap_say say = { .out = out, .json = json, .t0 = now_ms() };
		repair_record(root, service, &r, &say);
		record_end(root, service, &r);
		/* the last line says how it ended, as a swap's does: a resume
		 * used to end on OLD's SIGKILL line, with nothing after it */
		event_say(out, json, "repaired", r.new_name, now_ms() - say.t0, "swap %s -> %s %s: %s", r.old_name,
			  r.new_name, swap_state_name(r.state), r.reason);
	}
	swap_record_clear(&r);
	return 0;
}

int swap_repair_locked(const struct swap_opts *o, const char *service, struct zrun_error *err)
{
	int lock = take_swap_lock(o, service, err);

	if (lock < 0)
		return -1;
	int r = swap_repair(o->root, service, o->out, o->json, err);
	close(lock);
	return r;
}

/* a swap not finished (a canary is at rest too) whose zrun is gone */
static bool record_dead(const struct swap_record *r)
{
	return !resting(r->state) && !swap_record_owner_alive(r);
}

/* swap_resume under the swap lock: before, a resume read and repaired the
 * record with no lock, and a swap started meanwhile got its record
 * overwritten by the resume's end ("aborted", naming the dead swap). */
static int resume_locked(const struct swap_opts *o, const char *service, bool abort, struct zrun_error *err)
{
	struct swap_record r;
	const char *verb = abort ? "abort" : "resume";
	int got = swap_record_read(o->root, service, &r, err);

	if (got < 0)
		return -1;
	if (got == 0)
		return zrun_error_set(err, 0, "service %s has no swap to %s", service, verb);
	enum swap_state state = r.state;
	bool dead = record_dead(&r);
	pid_t pid = r.pid;
	char line[2 * STATE_ID_MAX + 16];
	snprintf(line, sizeof(line), "%s -> %s", r.old_name, r.new_name);
	swap_record_clear(&r);
	if (state == SWAP_CANARY && !abort)
		return zrun_error_set(err, 0, "service %s has a canary open (%s), not an interrupted swap: `zrun promote %s` "
				      "finishes it, `zrun abort %s` undoes it", service, line, service, service);
	if (state == SWAP_CANARY)
		return 1;
	if (state == SWAP_DONE || state == SWAP_ABORTED) {
		if (o->out)
			fprintf(o->out, "nothing to %s: the last swap of %s (%s) is %s\n", verb, service, line,
				swap_state_name(state));
		return 0;
	}
	if (!dead)
		return zrun_error_set(err, 0, "the swap %s of service %s is under way (its zrun, pid %d, runs it)", line,
				      service, (int)pid);
	if (abort && state >= SWAP_DRAINING)
		return zrun_error_set(err, 0, "the swap %s of service %s stopped while draining: the old side was "
				      "signalled, so it can only be finished: `zrun swap --resume %s`", line, service, service);
	return swap_repair(o->root, service, o->out, o->json, err);
}

int swap_resume(const struct swap_opts *o, const char *service, bool abort, struct zrun_error *err)
{
	int lock = take_swap_lock(o, service, err);

	if (lock < 0)
		return -1;
	int r = resume_locked(o, service, abort, err);
	close(lock);
	/* 1: an open canary to abort, which takes the lock itself */
	return r == 1 ? swap_canary_abort(o, service, "asked by `zrun swap --abort`", err) : r;
}

bool swap_interrupted(const char *root, const char *service)
{
	struct swap_record r;
	struct zrun_error err;
	int got = swap_record_read(root, service, &r, &err);

	if (got < 0)
		return true;  /* the repair says what is wrong with the record */
	bool dead = got == 1 && record_dead(&r);
	swap_record_clear(&r);
	return dead;
}

bool swap_starting(const char *root, const char *service, char *name, size_t len)
{
	struct swap_record r;
	struct zrun_error err;
	bool yes = false;

	if (swap_record_read(root, service, &r, &err) != 1)
		return false;
	if (!record_dead(&r) && (r.state == SWAP_CREATED || r.state == SWAP_STARTING || r.state == SWAP_PROBING)) {
		snprintf(name, len, "%s", r.new_name);
		yes = true;
	}
	swap_record_clear(&r);
	return yes;
}

char *swap_describe(const char *root, const char *service)
{
	struct swap_record r;
	struct zrun_error err;
	char buf[2600];
	int got = swap_record_read(root, service, &r, &err);

	if (got == 0)
		return NULL;
	if (got < 0) {
		snprintf(buf, sizeof(buf), "unreadable: %s", err.msg);
		return strdup(buf);
	}
	char hint[200] = "";
	if (swap_interrupted(root, service) && swap_record_canary_aborting(&r))
		snprintf(hint, sizeof(hint), " (abort of the canary interrupted; run `zrun service repair %s`)", service);
	else if (swap_interrupted(root, service))
		snprintf(hint, sizeof(hint), " (swap interrupted at %s; run `zrun service repair %s`)",
			 swap_state_name(r.state), service);
	snprintf(buf, sizeof(buf), "%s -> %s: %s%s%s%s", r.old_name, r.new_name, swap_state_name(r.state), hint,
		 r.reason[0] ? ": " : "", r.reason);
	swap_record_clear(&r);
	return strdup(buf);
}
