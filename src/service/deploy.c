#include "deploy.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "event.h"
#include "supervisor.h"
#include "swap.h"

static void replica_id(char *buf, size_t len, const char *group, int k)
{
	if (k == 0)
		snprintf(buf, len, "%s", group);
	else
		snprintf(buf, len, "%s.r%d", group, k);
}

/* The replica index of id in group: 0 for the group id itself. */
static int replica_index(const char *group, const char *id)
{
	size_t gl = strlen(group);
	if (strcmp(id, group) == 0)
		return 0;
	if (strncmp(id, group, gl) == 0 && strncmp(id + gl, ".r", 2) == 0)
		return atoi(id + gl + 2);
	return INT_MAX;
}

static bool container_exists(const char *root, const char *id)
{
	char path[PATH_MAX];
	return state_path(path, sizeof(path), root, id, NULL) == 0 && access(path, F_OK) == 0;
}

int deploy_running(const char *root, const char *service, char *group, size_t group_len, char ***out,
		   size_t *n_out, struct zrun_error *err)
{
	struct service svc;
	struct zrun_error ignored;
	char **ids;
	size_t n;

	*out = NULL;
	*n_out = 0;
	group[0] = '\0';
	if (service_load(root, service, &svc, &ignored) < 0)
		memset(&svc, 0, sizeof(svc));
	if (service_versions(root, service, &ids, &n, err) < 0)
		return -1;
	char **running = calloc(n + 1, sizeof(char *));
	char **groups = calloc(n + 1, sizeof(char *));
	size_t nr = 0;
	bool oom = running == NULL || groups == NULL;
	for (size_t i = 0; !oom && i < n; i++) {
		struct container_state st;
		struct version_config vc;
		if (version_load(root, ids[i], &st, &vc, &ignored) < 0)
			continue;
		if (state_live_status(root, &st) == STATUS_RUNNING) {
			groups[nr] = strdup(version_group(&vc, ids[i]));
			running[nr] = strdup(ids[i]);
			if (groups[nr] == NULL || running[nr] == NULL)
				oom = true;
			else if (strcmp(groups[nr], svc.current) == 0 || group[0] == '\0')
				snprintf(group, group_len, "%s", groups[nr]);
			nr++;
		}
		state_clear(&st);
	}
	service_free_ids(ids, n);
	*out = oom ? NULL : calloc(nr + 1, sizeof(char *));
	for (size_t i = 0; i < nr; i++) {
		if (*out && strcmp(groups[i], group) == 0)
			(*out)[(*n_out)++] = running[i];
		else
			free(running[i]);
		free(groups[i]);
	}
	free(running);
	free(groups);
	return *out ? 0 : zrun_error_set(err, ENOMEM, "versions of %s", service);
}

static void say(FILE *out, bool json, const char *service, long t0, const char *fmt, const char *a, int n)
{
	char msg[1200];

	if (out == NULL)
		return;
	snprintf(msg, sizeof(msg), fmt, a, n, n == 1 ? "" : "s", (double)(now_ms() - t0) / 1000);
	event_write(out, json, &(struct event){ .step = "deployed", .version = a, .label = service,
						 .elapsed_ms = now_ms() - t0, .message = msg });
}

/* Remove the replicas made so far (ids is filled from its start), all at
 * once: a never-started one is killed without waiting. */
static void remove_ids(const char *root, char **ids, size_t n)
{
	struct swap_say quiet = { .t0 = now_ms() };
	size_t made = 0;

	while (made < n && ids[made])
		made++;
	swap_members_remove(root, ids, made, &quiet);
}

/* Drop a kept version that is no longer the rollback target. */
static void forget_group(const char *root, const char *service, const char *group)
{
	char **ids;
	size_t n;
	struct zrun_error ignored;

	swap_group_members(root, service, group, &ids, &n);
	for (size_t i = 0; i < n; i++)
		version_delete(root, ids[i], true, &ignored);
	service_free_ids(ids, n);
}

/* The service record after a deploy, rollback or scale: what runs, what is
 * kept; and with now, the settings of what runs (o: a deploy's, with its
 * replicas, --keep-old and --timeout). */
static void record(const char *root, const char *service, const char *current, const char *previous,
		   int replicas, unsigned long seq, const struct deploy_opts *o, const struct version_config *now)
{
	struct service svc;
	struct zrun_error ignored;
	int lock = service_lock(root, service, "service.lock", false, &ignored);

	if (service_load(root, service, &svc, &ignored) == 0) {
		snprintf(svc.current, sizeof(svc.current), "%s", current);
		snprintf(svc.previous, sizeof(svc.previous), "%s", previous);
		if (now)
			deploy_settings_record(&svc, o, now);
		svc.replicas = replicas;
		if (seq > svc.seq)
			svc.seq = seq;
		service_save(root, &svc, &ignored);
	}
	if (lock >= 0)
		close(lock);
	supervisor_rescan(root, service);
}

/* Before anything is created: the service's swap lock (a deploy refused
 * because a swap runs must leave nothing behind), and the repair of a
 * swap whose zrun died (it may remove the version that would be OLD).
 * wait: the command's --wait (NULL: it has none, it never queues).
 * Returns the lock's fd (-1: no service yet), or -2 with err set. Kept to
 * the end: swap_run's own lock on the file is this process's, not a wait. */
static int hold_swap(const char *root, const char *service, const bool *wait, FILE *out, bool json,
		     struct zrun_error *err)
{
	if (!service_exists(root, service))
		return -1;
	int lock = service_lock(root, service, "swap.lock", wait == NULL || !*wait, err);
	if (lock == -2) {
		zrun_error_set(err, 0, "another swap of service %s is in progress%s", service,
			       wait ? "; use --wait to queue" : ", try again when it has finished");
		return -2;
	}
	if (lock < 0)
		return -2;
	if (swap_repair(root, service, out, json, err) < 0 || swap_canary_refuse(root, service, err) < 0) {
		close(lock);
		return -2;
	}
	return lock;
}

/* Start the replicas of a first deploy (max_starting at a time, the rest
 * as those are ready) and probe them all ready, within timeout_ms of t0
 * (the deploy's start: the timeout bounds it all). */
static int start_all(const char *root, const char *group, char **ids, size_t n, int max_starting, long timeout_ms,
		     long t0, FILE *out, bool json, struct zrun_error *err)
{
	struct swap_say sy = { .out = out, .json = json, .progress = swap_say_progress(out, json), .t0 = t0 };
	struct swap_members *m = swap_members_load(root, ids, n, err);
	int r = -1;

	if (m)
		swap_members_max_starting(m, (size_t)max_starting);
	if (m && swap_members_start(m, &sy, err) == 0 && swap_members_probe(m, group, timeout_ms, &sy, err) == 0)
		r = 0;
	else if (m && n == 1)
		zrun_error_prefix(err, "%s not ready", ids[0]);
	swap_members_free(m);
	return r;
}

static int next_group(const struct deploy_opts *o, const struct service *svc, char *group, size_t len,
		      unsigned long *seq, struct zrun_error *err)
{
	*seq = 0;
	if (o->id) {
		if (state_validate_id(o->id, err) < 0)
			return -1;
		snprintf(group, len, "%s", o->id);
		return container_exists(o->root, group) ? zrun_error_set(err, 0, "container %s already exists", group) : 0;
	}
	for (*seq = svc->seq + 1;; (*seq)++) {
		snprintf(group, len, "%s-%lu", o->service, *seq);
		if (!container_exists(o->root, group))
			return 0;
	}
}

/* The settings the new version got (flags, annotations, the record). */
static int new_settings(const char *root, const char *id, struct version_config *vc, struct zrun_error *err)
{
	struct container_state st;

	if (version_load(root, id, &st, vc, err) < 0)
		return -1;
	state_clear(&st);
	return 0;
}

static bool has_members(const char *root, const char *service, const char *group)
{
	char **ids;
	size_t n = 0;

	if (group[0] == '\0')
		return false;
	swap_group_members(root, service, group, &ids, &n);
	service_free_ids(ids, n);
	return n > 0;
}

/* After a deploy swapped (or started) group: the one version kept for
 * rollback, and every other version that is neither running nor kept
 * removed, so that no version is left listed but out of reach: the old
 * previous when another one is kept or --keep-old is off, and a current
 * that had stopped (nothing ran) unless it is the one kept. */
static const char *keep_what(const struct deploy_opts *o, const struct service *svc, size_t n_old,
			     const char *old_group, const char *group)
{
	const char *kept = "";

	if (o->keep_old && n_old)
		kept = old_group;
	else if (o->keep_old)
		kept = has_members(o->root, o->service, svc->current) ? svc->current : svc->previous;
	if (svc->previous[0] && strcmp(svc->previous, kept) != 0 && strcmp(svc->previous, group) != 0)
		forget_group(o->root, o->service, svc->previous);
	if (n_old == 0 && svc->current[0] && strcmp(svc->current, kept) != 0 && strcmp(svc->current, group) != 0)
		forget_group(o->root, o->service, svc->current);
	return kept;
}

int deploy_run(struct deploy_opts *o, struct zrun_error *err)
{
	struct service svc;
	struct zrun_error ignored;
	char group[STATE_ID_MAX + 1], old_group[STATE_ID_MAX + 1], id[STATE_ID_MAX + 16];
	char *new_ids[DEPLOY_REPLICAS_MAX + 1] = { 0 };
	char **old = NULL;
	size_t n_old = 0;
	unsigned long seq;
	long t0 = now_ms();
	int r = -1;

	if (service_validate_name(o->service, err) < 0)
		return -1;
	bool existed = service_exists(o->root, o->service);
	int lock = service_lock(o->root, o->service, "deploy.lock", false, err);
	if (lock < 0)
		return -1;
	int swap_lock = hold_swap(o->root, o->service, &o->wait, o->out, o->json, err);
	if (swap_lock == -2) {
		if (!existed)
			service_remove(o->root, o->service, &ignored);
		close(lock);
		return -1;
	}
	if (!existed || service_load(o->root, o->service, &svc, &ignored) < 0)
		memset(&svc, 0, sizeof(svc));
	struct version_config base, now;
	deploy_settings_resolve(o, &svc, &base);
	if (deploy_running(o->root, o->service, old_group, sizeof(old_group), &old, &n_old, err) < 0 ||
	    next_group(o, &svc, group, sizeof(group), &seq, err) < 0)
		goto out;
	/* before anything is created: a canary splits with a running version */
	if (o->n_canary && n_old == 0) {
		zrun_error_set(err, 0, "--canary: service %s has no running version to share connections with "
			       "(deploy it without --canary first)", o->service);
		goto out;
	}
	if (o->n_canary && swap_canary_check(o->root, o->service, err) < 0)
		goto out;
	o->vo.service = o->service;
	o->vo.group = group;
	for (int k = 0; k < o->replicas; k++) {
		struct container_create_opts c = { .root = o->root, .bundle = o->bundle,
						   .systemd_cgroup = o->systemd_cgroup };
		pid_t pid;
		replica_id(id, sizeof(id), group, k);
		c.id = id;
		if (container_exists(o->root, id)) {
			zrun_error_set(err, 0, "container %s already exists", id);
			goto undo;
		}
		if (version_create(&c, &o->vo, &pid, err) < 0) {
			zrun_error_prefix(err, "create %s", id);
			goto undo;
		}
		new_ids[k] = strdup(id);
		if (new_ids[k] == NULL) {
			struct zrun_error ignored;
			/* not in new_ids, so undo would not remove it */
			version_delete(o->root, id, true, &ignored);
			zrun_error_set(err, ENOMEM, "create %s", id);
			goto undo;
		}
	}
	if (new_settings(o->root, new_ids[0], &now, err) < 0)
		goto undo;
	deploy_settings_report(o, &svc, &now, group, now_ms() - t0);
	if (n_old == 0) {
		/* start: every replica proven ready, or none stays */
		if (start_all(o->root, group, new_ids, (size_t)o->replicas, deploy_max_starting(o->max_starting),
			      o->timeout_ms, t0, o->out, o->json, err) < 0)
			goto undo;
		say(o->out, o->json, o->service, t0, "%s started: %d replica%s ready in %.2f s", group, o->replicas);
	} else {
		struct swap_opts so = { .root = o->root, .timeout_ms = o->timeout_ms, .t0_ms = t0, .grace_ms = o->grace_ms,
					.keep_old = o->keep_old, .max_starting = deploy_max_starting(o->max_starting),
					.wait = o->wait, .json = o->json,
					.progress = swap_say_progress(o->out, o->json), .out = o->out,
					.n_canary = o->n_canary, .step_ms = o->step_ms };
		memcpy(so.canary, o->canary, sizeof(so.canary));
		/* a failed swap has removed NEW itself */
		if (swap_group_run(&so, o->service, old_group, old, n_old, group, new_ids, (size_t)o->replicas, err) < 0)
			goto out;
		/* a canary: the record names NEW as current already (an abort
		 * gives OLD back the name, swap_canary_abort) */
		say(o->out, o->json, o->service, t0,
		    o->n_canary ? "%s in canary: %d replica%s, ready in %.2f s" : "%s serving: %d replica%s, deployed in %.2f s",
		    group, o->replicas);
	}
	const char *kept = keep_what(o, &svc, n_old, old_group, group);
	record(o->root, o->service, group, kept, o->replicas, seq, o, &now);
	r = 0;
	goto out;
undo:
	remove_ids(o->root, new_ids, (size_t)o->replicas);
out:
	/* the whole array: it starts zeroed, and k < o->replicas would trust
	 * a field that the calls above could (for all a reader knows) change */
	for (size_t k = 0; k < sizeof(new_ids) / sizeof(new_ids[0]); k++)
		free(new_ids[k]);
	service_free_ids(old, n_old);
	if (!service_exists(o->root, o->service))
		service_remove(o->root, o->service, &ignored);
	if (swap_lock >= 0)
		close(swap_lock);
	close(lock);
	return r;
}

/* Make a kept (stopped) version created again, from its own bundle. */
static int recreate(const char *root, const char *id, struct zrun_error *err)
{
	struct version_config vc;
	char bundle[PATH_MAX];
	int s = version_load_live(root, id, &vc, bundle, sizeof(bundle), err);

	if (s < 0)
		return -1;
	if (s == STATUS_CREATED)
		return 0;
	if (s == STATUS_RUNNING)
		return zrun_error_set(err, 0, "%s is running", id);
	return version_recreate(root, id, bundle, &vc, err);
}

/* A kept version comes back from its bundle: one whose bundle was removed
 * cannot, and is refused before anything of it is deleted. */
static int kept_bundles_exist(const char *root, char **ids, size_t n, struct zrun_error *err)
{
	struct container_state st;
	char path[PATH_MAX + 16];

	for (size_t i = 0; i < n; i++) {
		if (state_read(root, ids[i], &st, err) < 0)
			return -1;
		snprintf(path, sizeof(path), "%s/config.json", st.bundle);
		int gone = access(path, R_OK) == 0 ? 0 : errno;
		state_clear(&st);
		if (gone)
			return zrun_error_set(err, gone, "the kept version %s cannot come back: %s", ids[i], path);
	}
	return 0;
}

int deploy_rollback(const char *root, const char *service, long timeout_ms, bool json, FILE *out,
		    struct zrun_error *err)
{
	struct service svc;
	char cur[STATE_ID_MAX + 1], prev[STATE_ID_MAX + 1];
	char **old = NULL, **ids = NULL;
	size_t n_old = 0, n = 0;
	long t0 = now_ms();

	if (service_load(root, service, &svc, err) < 0)
		return -1;
	/* in a canary the version to go back to is the one still serving */
	if (swap_canary_refuse(root, service, err) < 0) {
		struct swap_opts so = { .root = root, .grace_ms = -1, .json = json, .out = out };
		return swap_canary_abort(&so, service, "rolled back by `zrun rollback`", err);
	}
	if (svc.previous[0] == '\0')
		return zrun_error_set(err, 0, "service %s has no previous version kept (deploy with --keep-old keeps it)",
				      service);
	snprintf(prev, sizeof(prev), "%s", svc.previous);
	int lock = service_lock(root, service, "deploy.lock", false, err);
	if (lock < 0)
		return -1;
	int swap_lock = hold_swap(root, service, NULL, out, json, err);
	int r = swap_lock == -2 ? -1 : deploy_running(root, service, cur, sizeof(cur), &old, &n_old, err);
	if (r == 0 && n_old == 0)
		r = zrun_error_set(err, 0, "service %s has no running version to roll back from", service);
	if (r == 0) {
		swap_group_members(root, service, prev, &ids, &n);
		if (n == 0)
			r = zrun_error_set(err, 0, "the previous version %s of service %s is gone", prev, service);
	}
	r = r == 0 ? kept_bundles_exist(root, ids, n, err) : r;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = recreate(root, ids[i], err);
	if (r == 0) {
		struct swap_opts so = { .root = root, .timeout_ms = timeout_ms, .t0_ms = t0, .grace_ms = -1, .keep_old = true,
					.max_starting = deploy_max_starting(svc.max_starting), .json = json, .progress = swap_say_progress(out, json), .out = out };
		r = swap_group_run(&so, service, cur, old, n_old, prev, ids, n, err);
	}
	if (r == 0) {
		struct version_config now;
		struct zrun_error ignored;
		bool known = new_settings(root, prev, &now, &ignored) == 0;
		say(out, json, service, t0, "rolled back to %s: %d replica%s, in %.2f s", prev, (int)n);
		record(root, service, prev, cur, (int)n, 0, NULL, known ? &now : NULL);
	} else if (n > 0) {
		/* Past this point the kept version may be half gone (a failed
		 * recreate deleted it, a failed swap removes NEW): all of it goes,
		 * and the record stops promising it. */
		char why[ZRUN_ERROR_MSG_MAX];
		snprintf(why, sizeof(why), "%s", err->msg);
		forget_group(root, service, prev);
		record(root, service, cur, "", svc.replicas, 0, NULL, NULL);
		zrun_error_set(err, 0, "%s; %s removed, %s keeps serving", why, prev, cur);
	}
	service_free_ids(old, n_old);
	service_free_ids(ids, n);
	if (swap_lock >= 0)
		close(swap_lock);
	close(lock);
	return r;
}

static int cmp_replica(const void *a, const void *b, void *group)
{
	int x = replica_index(group, *(char *const *)a), y = replica_index(group, *(char *const *)b);
	return (x > y) - (x < y);
}

/* Create add copies of replica first (the next free indexes) and start and
 * probe them all at once; when one is not ready, all the new ones go. */
static int scale_up(const char *root, const char *group, const char *first, int add, int max_starting,
		    long timeout_ms, long t0, FILE *out, bool json, struct zrun_error *err)
{
	struct container_state st;
	struct version_config vc;
	char id[STATE_ID_MAX + 16];
	char *made[DEPLOY_REPLICAS_MAX + 1] = { 0 };
	int r = version_load(root, first, &st, &vc, err), n = 0;

	if (r < 0)
		return -1;
	snprintf(vc.group, sizeof(vc.group), "%s", group);
	for (int k = 1; r == 0 && n < add && n < DEPLOY_REPLICAS_MAX; k++) {
		replica_id(id, sizeof(id), group, k);
		if (container_exists(root, id))
			continue;
		r = version_create_from(root, id, st.bundle, &vc, NULL, 0, err);
		if (r == 0 && (made[n] = strdup(id)) == NULL) {
			struct zrun_error ignored;
			version_delete(root, id, true, &ignored);
			r = zrun_error_set(err, ENOMEM, "create %s", id);
		}
		n += r == 0;
	}
	state_clear(&st);
	if (r == 0)
		r = start_all(root, group, made, (size_t)n, max_starting, timeout_ms, t0, out, json, err);
	if (r < 0)
		remove_ids(root, made, (size_t)n);
	for (int k = 0; k < n; k++)
		free(made[k]);
	return r;
}

int deploy_scale(const char *root, const char *service, int n, long timeout_ms, bool json, FILE *out,
		 struct zrun_error *err)
{
	struct service svc;
	struct zrun_error ignored;
	char group[STATE_ID_MAX + 1];
	char **ids = NULL;
	size_t m = 0;
	long t0 = now_ms();

	if (service_load(root, service, &svc, err) < 0)
		return -1;
	int lock = service_lock(root, service, "deploy.lock", false, err);
	if (lock < 0)
		return -1;
	/* not while a swap runs or a canary is open: the replicas to copy and
	 * the shares of the steered group are theirs to change */
	int swap_lock = hold_swap(root, service, NULL, out, json, err);
	if (swap_lock == -2) {
		close(lock);
		return -1;
	}
	int r = deploy_running(root, service, group, sizeof(group), &ids, &m, err);
	if (r == 0 && m == 0)
		r = zrun_error_set(err, 0, "service %s has no running version to scale", service);
	if (r == 0)
		qsort_r(ids, m, sizeof(char *), cmp_replica, group);
	/* up: copies of replica 0 (its bundle and settings), all proven ready */
	if (r == 0 && (int)m < n)
		r = scale_up(root, group, ids[0], n - (int)m, deploy_max_starting(svc.max_starting), timeout_ms, t0, out, json, err);
	/* down: the highest replicas drain gracefully, all at once */
	if (r == 0 && (int)m > n) {
		struct swap_say sy = { .out = out, .json = json, .t0 = t0 };
		char why[8];
		swap_members_stop(root, ids + n, m - (size_t)n, -1, NULL, 0, &sy, why, sizeof(why));
		for (size_t k = (size_t)n; k < m; k++)
			version_delete(root, ids[k], true, &ignored);
	}
	if (r == 0) {
		say(out, json, service, t0, "%s scaled to %d replica%s in %.2f s", group, n);
		record(root, service, group, svc.previous, n, 0, NULL, NULL);
	}
	service_free_ids(ids, m);
	if (swap_lock >= 0)
		close(swap_lock);
	close(lock);
	return r;
}
