#include "swap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_container.h"
#include "clock.h"
#include "event.h"
#include "fault.h"
#include "json.h"
#include "supervisor.h"
#include "probe.h"
#include "version.h"

enum swap_state { SW_CREATED, SW_STARTING, SW_PROBING, SW_READY, SW_DRAINING, SW_DONE, SW_ABORTED };
static const char *const state_names[] = { "created", "starting", "probing", "ready", "draining", "done", "aborted" };

struct swap_record {
	char old_id[STATE_ID_MAX + 1], new_id[STATE_ID_MAX + 1];
	enum swap_state state;
	pid_t pid;
	unsigned long long pid_start;
	bool keep_old;
	bool group;             /* old/new name replica groups (zrun deploy --replicas) */
	char reason[512];
};

struct swap_run {
	const struct swap_opts *o;
	char service[SERVICE_NAME_MAX];
	struct swap_record rec;
	struct container_state old_st, new_st;
	struct version_config old_vc, new_vc;
	long t0;
	int notify_fd;          /* notify probe: NEW's NOTIFY_SOCKET, bound before NEW starts */
};

/* Where a step's line goes: out (NULL: nowhere), as JSON or text, with
 * times from t0. */
struct swap_say {
	FILE *out;
	bool json;
	long t0;
};

static int record_write(const char *root, const char *service, const struct swap_record *r,
			struct zrun_error *err)
{
	char path[PATH_MAX];
	struct json_writer w;

	json_w_init(&w, false);
	json_w_object_begin(&w);
	json_w_key(&w, "old");
	json_w_string(&w, r->old_id);
	json_w_key(&w, "new");
	json_w_string(&w, r->new_id);
	json_w_key(&w, "state");
	json_w_string(&w, state_names[r->state]);
	json_w_key(&w, "pid");
	json_w_int(&w, r->pid);
	json_w_key(&w, "pid_start");
	json_w_uint(&w, r->pid_start);
	json_w_key(&w, "keep_old");
	json_w_bool(&w, r->keep_old);
	json_w_key(&w, "group");
	json_w_bool(&w, r->group);
	json_w_key(&w, "reason");
	json_w_string(&w, r->reason);
	json_w_object_end(&w);
	char *json = json_w_finish(&w);
	if (json == NULL)
		return zrun_error_set(err, ENOMEM, "swap record");
	service_path(path, sizeof(path), root, service, "swap.json");
	int r2 = state_write_file(path, json, strlen(json), 0600, false, "swap-record-write", err);
	free(json);
	return r2;
}

/* The record of a swap that ended (done, aborted) while it could not be
 * written (ENOSPC): without it a later repair would take the swap for one
 * whose zrun died mid-way and undo it, deleting a NEW the user created.
 * Unlinking needs no space. */
static void record_end(const char *root, const char *service, const struct swap_record *r)
{
	struct zrun_error ignored;
	char path[PATH_MAX];

	if (record_write(root, service, r, &ignored) < 0 &&
	    service_path(path, sizeof(path), root, service, "swap.json") == 0)
		unlink(path);
}

static int record_read(const char *root, const char *service, struct swap_record *r)
{
	char path[PATH_MAX], *buf = NULL, *s = NULL;
	size_t len;
	struct zrun_error err;
	int64_t pid = 0;
	uint64_t start = 0;

	memset(r, 0, sizeof(*r));
	service_path(path, sizeof(path), root, service, "swap.json");
	if (access(path, F_OK) < 0 || json_read_file(path, 64 * 1024, &buf, &len, &err) < 0)
		return -1;
	yajl_val t = json_parse(buf, len, 64 * 1024, 8, path, &err);
	free(buf);
	if (t == NULL)
		return -1;
	struct json_ctx c;
	json_ctx_init(&c, path, &err);
	if (json_get_string(&c, t, "old", &s) == 1)
		snprintf(r->old_id, sizeof(r->old_id), "%s", s);
	free(s);
	s = NULL;
	if (json_get_string(&c, t, "new", &s) == 1)
		snprintf(r->new_id, sizeof(r->new_id), "%s", s);
	free(s);
	s = NULL;
	if (json_get_string(&c, t, "state", &s) == 1)
		for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
			if (strcmp(s, state_names[i]) == 0)
				r->state = (enum swap_state)i;
	free(s);
	s = NULL;
	if (json_get_string(&c, t, "reason", &s) == 1)
		snprintf(r->reason, sizeof(r->reason), "%s", s);
	free(s);
	json_get_int(&c, t, "pid", 0, INT32_MAX, &pid);
	json_get_uint(&c, t, "pid_start", UINT64_MAX, &start);
	json_get_bool(&c, t, "keep_old", &r->keep_old);
	json_get_bool(&c, t, "group", &r->group);
	r->pid = (pid_t)pid;
	r->pid_start = start;
	yajl_tree_free(t);
	return 0;
}

/* The tests stop a swap dead at a step: ZRUN_TEST_FAULT=swap-<state>
 * (fault.h). */
static void swap_fault_point(enum swap_state s)
{
	char name[64];
	snprintf(name, sizeof(name), "swap-%s", state_names[s]);
	fault_point(name);
}

static int enter(struct swap_run *w, enum swap_state s, struct zrun_error *err)
{
	w->rec.state = s;
	if (record_write(w->o->root, w->service, &w->rec, err) < 0)
		return -1;
	swap_fault_point(s);
	return 0;
}

/* Wait until pid is gone, at most timeout_ms. Works for non-children (pidfd). */
static bool wait_exit(pid_t pid, unsigned long long start_time, long timeout_ms)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	long deadline = now_ms() + timeout_ms;

	if (pidfd < 0 || state_pid_start_time(pid) != start_time) {
		if (pidfd >= 0)
			close(pidfd);
		return state_pid_start_time(pid) != start_time;
	}
	while (now_ms() < deadline) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		long left = deadline - now_ms();
		if (poll(&p, 1, (int)(left > 100 ? 100 : left)) > 0)
			break;
		if (state_pid_start_time(pid) != start_time)
			break;
	}
	close(pidfd);
	return state_pid_start_time(pid) != start_time;
}

/* Every version in keep is there, running and not being stopped: proven
 * ready by the swap and still serving. false names the first that is not. */
static bool versions_ready(const char *root, const char *const *keep, size_t n_keep, char *gone, size_t len)
{
	struct zrun_error ignored;

	for (size_t i = 0; i < n_keep; i++) {
		struct container_state st;
		struct version_config vc;
		if (version_load(root, keep[i], &st, &vc, &ignored) < 0) {
			snprintf(gone, len, "%s is gone", keep[i]);
			return false;
		}
		enum container_status s = state_live_status(root, &st);
		state_clear(&st);
		if (s != STATUS_RUNNING || version_is_stopping(root, vc.service, keep[i])) {
			snprintf(gone, len, "%s is %s", keep[i], s == STATUS_RUNNING ? "being stopped" : state_status_name(s));
			return false;
		}
	}
	return true;
}

int swap_signal_guarded(const char *root, char **ids, size_t n, const char *const *keep,
			size_t n_keep, char *why, size_t len)
{
	struct zrun_error ignored;

	/* version_delete marks a version stopping before it kills it, so a
	 * NEW deleted now is either seen here (not ready: OLD untouched) or
	 * killed after OLD got its signal, by a user who asked for that. */
	if (n_keep && !versions_ready(root, keep, n_keep, why, len))
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct container_state st;
		struct version_config vc;
		if (version_load(root, ids[i], &st, &vc, &ignored) < 0)
			continue;
		/* before any signal: the supervisor must not restart what a swap stops */
		version_mark_stopping(root, vc.service, ids[i]);
		if (state_live_status(root, &st) == STATUS_RUNNING)
			kill(st.pid, vc.stop_signal);
		state_clear(&st);
	}
	return 0;
}

/* Stop a version gracefully: its stop signal (already sent when signalled),
 * the grace period, then SIGKILL to every process of its cgroup. With keep
 * (the NEW that takes over): -1 when one of keep is not ready before the
 * signal (nothing was done; why says which), 1 when one went while this
 * version drained (not SIGKILLed: what is left of it may still serve). */
static int stop_version(const char *root, const char *id, const struct container_state *st,
			const struct version_config *vc, long grace_ms, bool signalled, const char *const *keep,
			size_t n_keep, const struct swap_say *o)
{
	long t = now_ms();
	char why[300];
	char *ids[1] = { (char *)id };

	if (!signalled && swap_signal_guarded(root, ids, 1, keep, n_keep, why, sizeof(why)) < 0) {
		event_say(o->out, o->json, "aborted", id, now_ms() - o->t0, "not signalled: %s", why);
		return -1;
	}
	if (state_live_status(root, st) != STATUS_STOPPED) {
		event_say(o->out, o->json, "draining", id, now_ms() - o->t0, "signal %d sent, draining (grace period %.1f s)",
		    vc->stop_signal, (double)grace_ms / 1000);
		long deadline = t + grace_ms;
		bool exited = false;
		while (!(exited = wait_exit(st->pid, st->pid_start_time, 100)) && now_ms() < deadline) {
			if (n_keep && !versions_ready(root, keep, n_keep, why, sizeof(why))) {
				event_say(o->out, o->json, "aborted", id, now_ms() - o->t0,
				    "%s while %s drained: %s is not killed", why, id, id);
				return 1;
			}
		}
		if (exited)
			event_say(o->out, o->json, "drained", id, now_ms() - o->t0, "drained in %.2f s", (double)(now_ms() - t) / 1000);
		else
			event_say(o->out, o->json, "killed", id, now_ms() - o->t0, "still running after %.1f s: SIGKILL",
			    (double)grace_ms / 1000);
	}
	struct zrun_error ignored;
	struct cgroup *cg = container_state_cgroup(st, &ignored);
	if (cg) {
		cgroup_kill_all(cg, SIGKILL, &ignored);
		for (int i = 0; i < 200 && !cgroup_is_empty(cg); i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		cgroup_free(cg);
	}
	return 0;
}

static int abort_swap(struct swap_run *w, const char *reason, struct zrun_error *err)
{
	const struct swap_opts *o = w->o;
	struct zrun_error ignored;

	char old[400];
	snprintf(w->rec.reason, sizeof(w->rec.reason), "%s", reason);
	version_old_after_abort(o->root, o->old_id, old, sizeof(old));
	event_say(o->out, o->json, "aborted", o->new_id, now_ms() - w->t0, "%s; %s", reason, old);
	struct swap_say sy = { o->out, o->json, w->t0 };
	stop_version(o->root, o->new_id, &w->new_st, &w->new_vc, 2000, false, NULL, 0, &sy);
	if (version_delete(o->root, o->new_id, true, &ignored) < 0)
		event_say(o->out, o->json, "aborted", o->new_id, now_ms() - w->t0, "delete: %s", ignored.msg);
	w->rec.state = SW_ABORTED;
	record_end(o->root, w->service, &w->rec);
	return zrun_error_set(err, 0, "swap %s -> %s aborted: %s", o->old_id, o->new_id, reason);
}

/* The swap record could not be written before NEW was started: nothing
 * was touched, NEW stays as the user made it. */
static int record_failed(struct swap_run *w, struct zrun_error *err)
{
	char reason[ZRUN_ERROR_MSG_MAX];

	snprintf(reason, sizeof(reason), "%s", err->msg);
	snprintf(w->rec.reason, sizeof(w->rec.reason), "the swap record could not be written: %s", reason);
	w->rec.state = SW_ABORTED;
	record_end(w->o->root, w->service, &w->rec);
	return zrun_error_set(err, 0, "swap %s -> %s aborted: the swap record could not be written: %s; %s and %s untouched",
			      w->o->old_id, w->o->new_id, reason, w->o->old_id, w->o->new_id);
}

/* NEW went (deleted, exited) before or while OLD drained. */
static int new_gone(struct swap_run *w, int stopped, const char *why, struct zrun_error *err)
{
	const struct swap_opts *o = w->o;

	snprintf(w->rec.reason, sizeof(w->rec.reason), "%s %s", o->new_id,
		 stopped < 0 ? "went before OLD was signalled: OLD kept" : "went while OLD drained: OLD not killed");
	w->rec.state = SW_ABORTED;
	record_end(o->root, w->service, &w->rec);
	if (stopped < 0)
		return zrun_error_set(err, 0, "swap %s -> %s aborted: %s; %s keeps serving, untouched", o->old_id,
				      o->new_id, why, o->old_id);
	return zrun_error_set(err, 0, "swap %s -> %s aborted: %s went while %s drained; %s was signalled but not killed",
			      o->old_id, o->new_id, o->new_id, o->old_id, o->old_id);
}

static int fill_target(struct swap_run *w, struct probe_target *t, struct service *svc, struct zrun_error *err)
{
	int fds[LISTENER_MAX];

	if (service_load(w->o->root, w->service, svc, err) < 0 || supervisor_fetch(w->o->root, svc, fds, err) < 0)
		return -1;
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < svc->n_listeners; i++) {
		t->inodes[i] = listener_inode(fds[i]);
		close(fds[i]);
	}
	t->id = w->o->new_id;
	t->root = w->o->root;
	t->notify_fd = w->notify_fd;
	t->notified = false;
	t->st = &w->new_st;
	t->init_pid = w->new_st.pid;
	t->svc = svc;
	return 0;
}

/* Probe NEW until ready (Kubernetes semantics); -1 with reason on failure. */
static int probe_until_ready(struct swap_run *w, char *reason, size_t len, struct zrun_error *err)
{
	const struct probe_spec *p = &w->new_vc.probe;
	struct probe_target t;
	struct service svc;
	long deadline = w->t0 + w->o->timeout_ms;
	int ok = 0, bad = 0, tries = 0;
	long t_probe = now_ms();

	if (fill_target(w, &t, &svc, err) < 0) {
		snprintf(reason, len, "%s", err->msg);
		return -1;
	}
	int pidfd = (int)syscall(SYS_pidfd_open, w->new_st.pid, 0);
	long next = now_ms() + p->initial_delay_ms;
	for (;;) {
		/* Sleep until the next probe, waking at once if NEW exits. */
		while (now_ms() < next) {
			long left = next - now_ms();
			struct pollfd pf = { .fd = pidfd, .events = POLLIN };
			if (pidfd >= 0 && poll(&pf, 1, (int)(left > 200 ? 200 : left)) > 0)
				break;
			if (pidfd < 0) {
				struct timespec ts = { 0, 20 * 1000 * 1000 };
				nanosleep(&ts, NULL);
			}
			if (state_pid_start_time(w->new_st.pid) != w->new_st.pid_start_time || now_ms() > deadline)
				break;
		}
		if (state_pid_start_time(w->new_st.pid) != w->new_st.pid_start_time) {
			snprintf(reason, len, "%s exited during probing", w->o->new_id);
			break;
		}
		if (now_ms() > deadline) {
			snprintf(reason, len, "not ready before the %.1f s timeout", (double)w->o->timeout_ms / 1000);
			break;
		}
		next = now_ms() + p->period_ms;
		tries++;
		char why[512] = "";
		if (probe_once(p, &t, why, sizeof(why)) == PROBE_PASS) {
			bad = 0;
			if (++ok >= p->success_threshold) {
				if (pidfd >= 0)
					close(pidfd);
				event_say(w->o->out, w->o->json, "ready", w->o->new_id, now_ms() - w->t0,
				    "ready after %d probe%s (%ld ms)", tries, tries == 1 ? "" : "s", now_ms() - t_probe);
				return 0;
			}
		} else {
			ok = 0;
			if (++bad >= p->failure_threshold) {
				snprintf(reason, len, "%s probe failed %d times: %s", probe_kind_name(p->kind), bad, why);
				break;
			}
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return -1;
}

static int load_versions(struct swap_run *w, struct zrun_error *err)
{
	const struct swap_opts *o = w->o;

	if (strcmp(o->old_id, o->new_id) == 0)
		return zrun_error_set(err, 0, "cannot swap %s with itself", o->old_id);
	if (version_load(o->root, o->old_id, &w->old_st, &w->old_vc, err) < 0)
		return zrun_error_prefix(err, "swap %s", o->old_id);
	if (version_load(o->root, o->new_id, &w->new_st, &w->new_vc, err) < 0)
		return zrun_error_prefix(err, "swap %s", o->new_id);
	if (strcmp(w->old_vc.service, w->new_vc.service) != 0)
		return zrun_error_set(err, 0, "%s is a version of service %s but %s is of service %s",
				      o->old_id, w->old_vc.service, o->new_id, w->new_vc.service);
	snprintf(w->service, sizeof(w->service), "%s", w->old_vc.service);
	enum container_status s = state_live_status(o->root, &w->old_st);
	if (s != STATUS_RUNNING)
		return zrun_error_set(err, 0, "%s is %s, not running: nothing to swap from", o->old_id,
				      state_status_name(s));
	s = state_live_status(o->root, &w->new_st);
	if (s != STATUS_CREATED && s != STATUS_RUNNING)
		return zrun_error_set(err, 0, "%s is %s: it must be created or running", o->new_id,
				      state_status_name(s));
	return 0;
}

static int take_swap_lock(struct swap_run *w, struct zrun_error *err)
{
	int lock = service_lock(w->o->root, w->service, "swap.lock", !w->o->wait, err);
	if (lock == -2) {
		struct swap_record r;
		if (record_read(w->o->root, w->service, &r) == 0)
			return zrun_error_set(err, 0, "another swap of service %s is in progress (%s -> %s, pid %d); use --wait to queue",
					      w->service, r.old_id, r.new_id, r.pid);
		return zrun_error_set(err, 0, "another swap of service %s is in progress", w->service);
	}
	return lock;
}

static int swap_steps(struct swap_run *w, struct zrun_error *err)
{
	const struct swap_opts *o = w->o;
	char reason[700];

	snprintf(w->rec.old_id, sizeof(w->rec.old_id), "%s", o->old_id);
	snprintf(w->rec.new_id, sizeof(w->rec.new_id), "%s", o->new_id);
	w->rec.pid = getpid();
	w->rec.pid_start = state_pid_start_time(getpid());
	w->rec.keep_old = o->keep_old;
	if (enter(w, SW_CREATED, err) < 0)
		return -1;
	if (w->new_vc.probe.kind == PROBE_NOTIFY) {
		/* bound before NEW starts, so its READY=1 is not lost */
		w->notify_fd = probe_notify_bind(o->root, o->new_id, &w->new_vc, err);
		if (w->notify_fd < 0) {
			snprintf(reason, sizeof(reason), "%s", err->msg);
			return abort_swap(w, reason, err);
		}
		if (state_live_status(o->root, &w->new_st) != STATUS_CREATED)
			event_say(o->out, o->json, "probing", o->new_id, now_ms() - w->t0,
			    "already running: a READY=1 it sent before this swap is not seen");
	}
	if (state_live_status(o->root, &w->new_st) == STATUS_CREATED) {
		if (enter(w, SW_STARTING, err) < 0)
			return record_failed(w, err);
		if (container_start(o->root, o->new_id, err) < 0) {
			snprintf(reason, sizeof(reason), "start: %s", err->msg);
			return abort_swap(w, reason, err);
		}
		event_say(o->out, o->json, "started", o->new_id, now_ms() - w->t0, "started (pid %d)", w->new_st.pid);
	}
	if (enter(w, SW_PROBING, err) < 0) {
		snprintf(reason, sizeof(reason), "the swap record could not be written: %s", err->msg);
		return abort_swap(w, reason, err);
	}
	if (probe_until_ready(w, reason, sizeof(reason), err) < 0)
		return abort_swap(w, reason, err);
	if (enter(w, SW_READY, err) < 0 || enter(w, SW_DRAINING, err) < 0) {
		snprintf(reason, sizeof(reason), "the swap record could not be written: %s", err->msg);
		return abort_swap(w, reason, err);
	}
	/* A swap never removes the last serving version: NEW must still be
	 * there and ready when OLD gets its signal and while it drains. */
	long grace = o->grace_ms >= 0 ? o->grace_ms : w->old_vc.grace_period_ms;
	const char *keep[1] = { o->new_id };
	struct swap_say sy = { o->out, o->json, w->t0 };
	int stopped = stop_version(o->root, o->old_id, &w->old_st, &w->old_vc, grace, false, keep, 1, &sy);
	if (stopped != 0) {
		char why[300];
		versions_ready(o->root, keep, 1, why, sizeof(why));
		return new_gone(w, stopped, why, err);
	}
	if (!o->keep_old) {
		if (version_delete(o->root, o->old_id, true, err) < 0)
			return -1;
		event_say(o->out, o->json, "deleted", o->old_id, now_ms() - w->t0, "deleted");
	}
	if (enter(w, SW_DONE, err) < 0) {
		record_end(o->root, w->service, &w->rec);
		return -1;
	}
	event_say(o->out, o->json, "done", o->new_id, now_ms() - w->t0, "serving; swap from %s done in %.2f s",
	    o->old_id, (double)(now_ms() - w->t0) / 1000);
	return 0;
}

int swap_run(const struct swap_opts *o, struct zrun_error *err)
{
	struct swap_run w;
	int r;

	memset(&w, 0, sizeof(w));
	w.o = o;
	w.notify_fd = -1;
	w.t0 = now_ms();
	r = load_versions(&w, err);
	if (r == 0) {
		int lock = take_swap_lock(&w, err);
		if (lock < 0) {
			r = -1;
		} else {
			r = swap_repair(o->root, w.service, o->out, o->json, err);
			if (r == 0) {
				/* a repair may have changed either version: read them again */
				state_clear(&w.old_st);
				state_clear(&w.new_st);
				r = load_versions(&w, err);
			}
			if (r == 0)
				r = swap_steps(&w, err);
			close(lock);
		}
	}
	if (w.notify_fd >= 0)
		close(w.notify_fd);
	state_clear(&w.old_st);
	state_clear(&w.new_st);
	return r;
}

int swap_repair(const char *root, const char *service, FILE *out, bool json, struct zrun_error *err)
{
	struct swap_record r;
	struct container_state st;
	struct version_config vc;
	struct zrun_error ignored;

	(void)err;
	if (record_read(root, service, &r) < 0 || r.state == SW_DONE || r.state == SW_ABORTED)
		return 0;
	if (r.pid > 0 && state_pid_start_time(r.pid) == r.pid_start && r.pid != getpid())
		return 0;  /* that swap is still running */
	struct swap_say sy = { out, json, now_ms() };
	if (r.group)
		return swap_group_repair(root, service, r.old_id, r.new_id, r.state < SW_DRAINING, r.keep_old, out, json);
	if (r.state < SW_DRAINING) {
		/* OLD was never signalled: undo by removing NEW. */
		event_say(out, json, "repair", r.new_id, 0, "a swap %s -> %s stopped while %s: undoing it",
		    r.old_id, r.new_id, state_names[r.state]);
		if (version_load(root, r.new_id, &st, &vc, &ignored) == 0) {
			stop_version(root, r.new_id, &st, &vc, 2000, false, NULL, 0, &sy);
			state_clear(&st);
			version_delete(root, r.new_id, true, &ignored);
		}
		snprintf(r.reason, sizeof(r.reason), "interrupted while %s; undone", state_names[r.state]);
		r.state = SW_ABORTED;
	} else {
		/* NEW was ready and OLD draining: finish, if NEW still serves. */
		event_say(out, json, "repair", r.old_id, 0, "a swap %s -> %s stopped while draining: finishing it",
		    r.old_id, r.new_id);
		const char *keep[1] = { r.new_id };
		int stopped = 0;
		if (version_load(root, r.old_id, &st, &vc, &ignored) == 0) {
			stopped = stop_version(root, r.old_id, &st, &vc, vc.grace_period_ms, false, keep, 1, &sy);
			if (stopped < 0)  /* OLD serves on: the supervisor may restart it again */
				version_clear_stopping(root, vc.service, r.old_id);
			state_clear(&st);
			if (!r.keep_old && stopped == 0)
				version_delete(root, r.old_id, true, &ignored);
		}
		snprintf(r.reason, sizeof(r.reason), "interrupted while draining; %s",
			 stopped == 0 ? "finished" : stopped < 0 ? "NEW was gone: OLD kept" : "NEW went while OLD drained");
		r.state = stopped == 0 ? SW_DONE : SW_ABORTED;
	}
	record_end(root, service, &r);
	return 0;
}

bool swap_interrupted(const char *root, const char *service)
{
	struct swap_record r;

	if (record_read(root, service, &r) < 0 || r.state == SW_DONE || r.state == SW_ABORTED)
		return false;
	return !(r.pid > 0 && state_pid_start_time(r.pid) == r.pid_start);
}

char *swap_describe(const char *root, const char *service)
{
	struct swap_record r;
	char buf[2600];

	if (record_read(root, service, &r) < 0)
		return NULL;
	char hint[200] = "";
	if (swap_interrupted(root, service))
		snprintf(hint, sizeof(hint), " (swap interrupted at %s; run `zrun service repair %s`)",
			 state_names[r.state], service);
	snprintf(buf, sizeof(buf), "%s -> %s: %s%s%s%s", r.old_id, r.new_id, state_names[r.state], hint,
		 r.reason[0] ? ": " : "", r.reason);
	return strdup(buf);
}

/* ---- what zrun deploy's replica groups use (swap_group.c) ---- */

int swap_note(const char *root, const char *service, const char *old_group, const char *new_group,
	      const char *state, bool keep_old, const char *reason, struct zrun_error *err)
{
	struct swap_record r = { .keep_old = keep_old, .group = true };

	snprintf(r.old_id, sizeof(r.old_id), "%s", old_group);
	snprintf(r.new_id, sizeof(r.new_id), "%s", new_group);
	snprintf(r.reason, sizeof(r.reason), "%s", reason ? reason : "");
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(state, state_names[i]) == 0)
			r.state = (enum swap_state)i;
	r.pid = getpid();
	r.pid_start = state_pid_start_time(r.pid);
	if (record_write(root, service, &r, err) < 0)
		return -1;
	swap_fault_point(r.state);
	return 0;
}

int swap_stop_version(const char *root, const char *id, long grace_ms, bool signalled, const char *const *keep,
		      size_t n_keep, FILE *out, bool json)
{
	struct container_state st;
	struct version_config vc;
	struct zrun_error ignored;
	struct swap_say sy = { out, json, now_ms() };

	if (version_load(root, id, &st, &vc, &ignored) < 0)
		return 0;
	int r = stop_version(root, id, &st, &vc, grace_ms < 0 ? vc.grace_period_ms : grace_ms, signalled, keep,
			     n_keep, &sy);
	state_clear(&st);
	return r;
}

int swap_start_and_probe(const char *root, const char *id, long timeout_ms, FILE *out, bool json,
			 struct zrun_error *err)
{
	struct swap_opts o = { .root = root, .old_id = "", .new_id = id, .timeout_ms = timeout_ms,
			       .out = out, .json = json };
	struct swap_run w;
	char reason[700];
	int r = -1;

	memset(&w, 0, sizeof(w));
	w.o = &o;
	w.notify_fd = -1;
	w.t0 = now_ms();
	if (version_load(root, id, &w.new_st, &w.new_vc, err) < 0)
		return -1;
	snprintf(w.service, sizeof(w.service), "%s", w.new_vc.service);
	if (w.new_vc.probe.kind == PROBE_NOTIFY && (w.notify_fd = probe_notify_bind(root, id, &w.new_vc, err)) < 0)
		goto out;
	if (state_live_status(root, &w.new_st) == STATUS_CREATED) {
		if (container_start(root, id, err) < 0)
			goto out;
		event_say(out, json, "started", id, now_ms() - w.t0, "started (pid %d)", w.new_st.pid);
	}
	if (probe_until_ready(&w, reason, sizeof(reason), err) < 0) {
		zrun_error_set(err, 0, "%s not ready: %s", id, reason);
		goto out;
	}
	r = 0;
out:
	if (w.notify_fd >= 0)
		close(w.notify_fd);
	state_clear(&w.new_st);
	return r;
}
