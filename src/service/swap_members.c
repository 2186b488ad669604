#include "swap_members.h"

#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_container.h"
#include "event.h"
#include "exit_status.h"
#include "fault.h"
#include "probe.h"
#include "procfs.h"
#include "service_log.h"
#include "steer_service.h"
#include "supervisor.h"
#include "version.h"

#define ABORT_GRACE_MS 2000      /* what an aborted NEW gets to stop */
#define PROGRESS_EVERY_MS 1000   /* a wait says so once a second */
#define TICK_MS 100              /* how often a drain looks at keep again */

struct member {
	const char *id;
	struct container_state st;
	struct version_config vc;
	struct probe_target t;
	int pidfd;
	long next_ms, t_probe, t_first;  /* t_first: when the first probe was due */
	bool passed;                     /* a probe passed: startup is over */
	int ok, bad, tries;
	bool ready;
	bool deferred;                   /* created, its start held back (max_starting) */
};

struct swap_members {
	const char *root;
	size_t n;
	size_t max_starting;    /* started and not yet ready at once; 0: all */
	bool fetched;           /* svc and the targets' listener inodes */
	struct service svc;
	int netns_fd;           /* the listeners' network namespace when not ours */
	struct steer steer;     /* a steered service: the first listener's maps */
	bool unserved;          /* ready members get no connection yet (a canary) */
	bool watching;          /* swap_members_watch began */
	struct member *v;
};

bool swap_say_progress(FILE *out, bool json)
{
	return out != NULL && (json || isatty(fileno(out)));
}

static int pidfd_of(const struct container_state *st)
{
	int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);

	/* opened after the pid was reused: not this version's init */
	if (fd >= 0 && state_pid_start_time(st->pid) != st->pid_start_time) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool exited(const struct container_state *st)
{
	return state_pid_start_time(st->pid) != st->pid_start_time;
}

struct swap_members *swap_members_load(const char *root, char **ids, size_t n, struct zrun_error *err)
{
	struct swap_members *m = calloc(1, sizeof(*m));

	if (m == NULL || (m->v = calloc(n + 1, sizeof(struct member))) == NULL) {
		free(m);
		zrun_error_set(err, ENOMEM, "swap");
		return NULL;
	}
	m->root = root;
	m->netns_fd = -1;
	m->steer = (struct steer){ .prog_fd = -1, .socks_map = -1, .slots_map = -1, .counts_map = -1, .probe_map = -1 };
	for (size_t i = 0; i < n; i++) {
		struct member *v = &m->v[i];
		v->id = ids[i];
		v->pidfd = v->t.notify_fd = v->t.netns_fd = -1;
		if (version_load(root, ids[i], &v->st, &v->vc, err) < 0) {
			zrun_error_prefix(err, "%s", ids[i]);
			swap_members_free(m);
			return NULL;
		}
		m->n++;
	}
	return m;
}

void swap_members_free(struct swap_members *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].pidfd >= 0)
			close(m->v[i].pidfd);
		if (m->v[i].t.notify_fd >= 0)
			close(m->v[i].t.notify_fd);
		state_clear(&m->v[i].st);
	}
	if (m->netns_fd >= 0)
		close(m->netns_fd);
	steer_close(&m->steer);
	free(m->v);
	free(m);
}

void swap_members_unserved(struct swap_members *m)
{
	m->unserved = true;
}

bool swap_members_any_created(const struct swap_members *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (state_live_status(m->root, &m->v[i].st) == STATUS_CREATED)
			return true;
	return false;
}

void swap_members_max_starting(struct swap_members *m, size_t n)
{
	m->max_starting = n;
}

/* Start one created member (its init is blocked on the exec fifo). */
static int start_member(struct swap_members *m, struct member *v, const struct swap_say *say, struct zrun_error *err)
{
	v->deferred = false;
	if (container_start(m->root, v->id, err) < 0)
		return zrun_error_prefix(err, "start %s", v->id);
	event_say(say->out, say->json, "started", v->id, now_ms() - say->t0, "started (pid %d)", v->st.pid);
	return 0;
}

int swap_members_start(struct swap_members *m, const struct swap_say *say, struct zrun_error *err)
{
	size_t started = 0, held = 0;

	for (size_t i = 0; i < m->n; i++) {
		struct member *v = &m->v[i];
		if (v->vc.probe.kind != PROBE_NOTIFY || v->t.notify_fd >= 0)
			continue;
		v->t.notify_fd = probe_notify_bind(m->root, v->id, &v->vc, err);
		if (v->t.notify_fd < 0)
			return -1;
		if (state_live_status(m->root, &v->st) != STATUS_CREATED)
			event_say(say->out, say->json, "probing", v->id, now_ms() - say->t0,
				  "already running: a READY=1 it sent before this swap is not seen");
	}
	/* A running member is not starting: it counts as ready to start. */
	for (size_t i = 0; i < m->n; i++) {
		struct member *v = &m->v[i];
		if (state_live_status(m->root, &v->st) != STATUS_CREATED)
			continue;
		if (m->max_starting > 0 && started >= m->max_starting) {
			v->deferred = true;
			held++;
			continue;
		}
		if (start_member(m, v, say, err) < 0)
			return -1;
		started++;
	}
	if (held > 0)
		event_say(say->out, say->json, "starting", m->v[0].id, now_ms() - say->t0,
			  "%zu more start as these are ready, %zu at a time (--max-starting)", held, m->max_starting);
	return 0;
}

/* The listeners' inodes, which the accepting and connection probes look
 * for, fetched once for all members (they are one service's). */
static int fill_targets(struct swap_members *m, struct zrun_error *err)
{
	int fds[LISTENER_MAX];
	unsigned long inodes[LISTENER_MAX] = { 0 };

	if (m->n == 0 || m->fetched)
		return 0;
	if (service_load(m->root, m->v[0].vc.service, &m->svc, err) < 0 || supervisor_fetch(m->root, &m->svc, fds, err) < 0)
		return -1;
	/* a pod's listeners: probes connect from their namespace */
	m->netns_fd = m->svc.n_listeners ? listener_netns_of(fds[0]) : -1;
	for (size_t i = 0; i < m->svc.n_listeners; i++) {
		inodes[i] = listener_inode(fds[i]);
		close(fds[i]);
	}
	if (m->svc.steered && steer_service_open(&m->svc, 0, &m->steer, err) < 0)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		struct member *v = &m->v[i];
		memcpy(v->t.inodes, inodes, sizeof(inodes));
		/* steered: each version has sockets of its own, the ones its
		 * probes must find it on */
		for (int k = 0; m->svc.steered && k < v->vc.n_steer && k < LISTENER_MAX; k++)
			v->t.inodes[k] = v->vc.steer_inode[k];
		if (m->svc.steered && v->vc.n_steer > 0 && v->vc.steer_index[0] >= 0) {
			v->t.steer = &m->steer;
			v->t.steer_index = (unsigned)v->vc.steer_index[0];
		}
		v->t.id = v->id;
		v->t.root = m->root;
		v->t.notified = false;
		v->t.st = &v->st;
		v->t.init_pid = v->st.pid;
		v->t.svc = &m->svc;
		v->t.netns_fd = m->netns_fd;
	}
	m->fetched = true;
	return 0;
}

/* v's probes begin now: its first one after the initial delay. */
static void probe_begin(struct member *v)
{
	v->t_probe = now_ms();
	v->next_ms = v->t_first = v->t_probe + probe_first_delay_ms(&v->vc.probe);
	v->ok = v->bad = v->tries = 0;
	v->ready = v->passed = false;
	if (v->pidfd < 0)
		v->pidfd = pidfd_of(&v->st);
}

/* One member became ready: the next held back one starts, its probes begin. */
static int start_next(struct swap_members *m, const struct swap_say *say, struct zrun_error *err)
{
	for (size_t i = 0; i < m->n; i++) {
		struct member *v = &m->v[i];
		if (!v->deferred)
			continue;
		if (start_member(m, v, say, err) < 0)
			return -1;
		probe_begin(v);
		return 0;
	}
	return 0;
}

/* Probe v once; 1 ready, 0 not yet, -1 failed (reason set). */
static int probe_member(struct member *v, const struct swap_say *say, char *last, size_t last_len,
			char *reason, size_t len)
{
	const struct probe_spec *p = &v->vc.probe;
	long now = now_ms();

	v->next_ms = now + probe_next_delay_ms(p, v->passed, now - v->t_first);
	v->tries++;
	last[0] = '\0';
	if (probe_once(p, &v->t, last, last_len) == PROBE_PASS) {
		snprintf(last, last_len, "ready");
		v->bad = 0;
		v->passed = true;
		if (++v->ok < p->success_threshold)
			return 0;
		v->ready = true;
		event_say(say->out, say->json, "ready", v->id, now_ms() - say->t0, "ready after %d probe%s (%ld ms)",
			  v->tries, v->tries == 1 ? "" : "s", now_ms() - v->t_probe);
		return 1;
	}
	v->ok = 0;
	/* starting: only the startup budget ends it (probe.h) */
	if (!v->passed) {
		if (!probe_startup_over(p, now_ms() - v->t_first))
			return 0;
		snprintf(reason, len, "%s probe failed %d times in %ld ms (failure threshold %d x period %ld ms): %s",
			 probe_kind_name(p->kind), v->tries, now_ms() - v->t_first, p->failure_threshold,
			 p->period_ms, last);
		return -1;
	}
	if (++v->bad < p->failure_threshold)
		return 0;
	snprintf(reason, len, "%s probe failed %d times: %s", probe_kind_name(p->kind), v->bad, last);
	return -1;
}

struct progress {
	long last_line_ms;      /* when this wait last printed */
	int probes;
	const char *last_id;    /* the last probe: whose, and its answer */
	char last[512];
};

static void say_waiting(const struct swap_members *m, const char *label, const struct swap_say *say,
			struct progress *pr)
{
	long now = now_ms();
	size_t ready = 0;

	if (!say->progress || now - pr->last_line_ms < PROGRESS_EVERY_MS)
		return;
	pr->last_line_ms = now;
	for (size_t i = 0; i < m->n; i++)
		ready += m->v[i].ready;
	char count[64] = "";
	if (m->n > 1)
		snprintf(count, sizeof(count), "%zu of %zu ready, ", ready, m->n);
	event_say(say->out, say->json, "waiting", label, now - say->t0, "waiting for %s to be ready: %s%d probe%s, last: %s%s%s",
		  label, count, pr->probes, pr->probes == 1 ? "" : "s", m->n > 1 && pr->last_id ? pr->last_id : "",
		  m->n > 1 && pr->last_id ? ": " : "", pr->probes ? pr->last : "none yet");
}

/* Sleep until the earliest of: the next probe due, the deadline, the next
 * progress line; wake at once when a member's init exits. The member that
 * exited, else NULL. */
static struct member *sleep_until(struct swap_members *m, long until)
{
	struct pollfd pf[m->n + 1];
	struct member *who[m->n + 1];
	nfds_t k = 0;

	for (size_t i = 0; i < m->n; i++) {
		struct member *v = &m->v[i];
		if (v->ready)
			continue;
		if (exited(&v->st))
			return v;
		if (v->pidfd >= 0) {
			pf[k] = (struct pollfd){ .fd = v->pidfd, .events = POLLIN };
			who[k++] = v;
		}
	}
	long left = until - now_ms();
	if (left <= 0)
		return NULL;
	/* without pidfds (an old kernel) exits are seen by polling */
	if (poll(pf, k, (int)(left > 200 ? 200 : left)) > 0)
		for (nfds_t i = 0; i < k; i++)
			if (pf[i].revents)
				return who[i];
	return NULL;
}

static struct member *next_due(struct swap_members *m)
{
	struct member *due = NULL;

	for (size_t i = 0; i < m->n; i++)
		if (!m->v[i].ready && !m->v[i].deferred && (due == NULL || m->v[i].next_ms < due->next_ms))
			due = &m->v[i];
	return due;
}

/* How a member that exited while probed ended, and the last line it
 * wrote: the first thing a user needs (an app that binds the port itself
 * says EADDRINUSE there), where "exited during probing" sent them looking.
 * The supervisor drains the version's pipe on its own wake-up: wait for
 * the line a little. */
static void gone_reason(const struct swap_members *m, const struct member *v, char *buf, size_t len)
{
	char how[32], last[300] = "";
	int status = exit_status_of(v->st.pid, v->st.pid_start_time, v->pidfd);

	exit_status_describe(status, how, sizeof(how));
	for (int i = 0; i < 10; i++) {
		if (service_log_last_line(m->root, v->vc.service, v->id, v->st.created, last, sizeof(last)) == 0)
			break;
		last[0] = '\0';
		usleep(20 * 1000);
	}
	/* Python, Go, nginx: "Address already in use"; Node: EADDRINUSE */
	bool bound = strstr(last, "ddress already in use") || strstr(last, "EADDRINUSE");
	if (last[0])
		snprintf(buf, len, "%s exited during probing (%s); its last line: %s (all of it: `zrun logs %s`)%s", v->id,
			 how, last, v->id,
			 bound ? "; a program that binds the service's port itself needs --intercept (docs/intercept.md)"
			       : "");
	else
		snprintf(buf, len, "%s exited during probing (%s)", v->id, how);
}

static int not_ready(const struct swap_members *m, const struct member *v, const char *reason,
		     struct zrun_error *err)
{
	if (m->n == 1)
		return zrun_error_set(err, 0, "%s", reason);
	return zrun_error_set(err, 0, "%s not ready: %s", v->id, reason);
}

/* All proven ready: a steered service sends them connections from now on
 * (beside the versions that serve already, until those are stopped). */
static int serve_ready(struct swap_members *m, struct zrun_error *err)
{
	char **ids = calloc(m->n + 1, sizeof(*ids));

	if (ids == NULL)
		return zrun_error_set(err, ENOMEM, "steering");
	for (size_t i = 0; i < m->n; i++)
		ids[i] = (char *)m->v[i].id;
	int r = m->svc.steered && !m->unserved ? steer_service_serve(m->root, m->svc.name, ids, m->n, err) : 0;
	free(ids);
	return r;
}

int swap_members_probe(struct swap_members *m, const char *label, long timeout_ms, const struct swap_say *say,
		       struct zrun_error *err)
{
	struct progress pr = { .last_line_ms = now_ms() };
	long deadline_ms = say->t0 + timeout_ms;
	char reason[700];
	size_t left = m->n;

	if (fill_targets(m, err) < 0)
		return -1;
	for (size_t i = 0; i < m->n; i++)
		if (!m->v[i].deferred)
			probe_begin(&m->v[i]);
	while (left > 0) {
		struct member *v = next_due(m);
		/* cannot be: while one is held back, a started one is probed */
		if (v == NULL)
			return zrun_error_set(err, 0, "%s: nothing left to probe", label);
		long until = v->next_ms < deadline_ms ? v->next_ms : deadline_ms;
		if (until > pr.last_line_ms + PROGRESS_EVERY_MS && say->progress)
			until = pr.last_line_ms + PROGRESS_EVERY_MS;
		struct member *gone = sleep_until(m, until);
		if (gone) {
			gone_reason(m, gone, reason, sizeof(reason));
			return not_ready(m, gone, reason, err);
		}
		if (now_ms() > deadline_ms) {
			/* what the last probe saw, as the waiting line says it: a
			 * bare timeout told a user nothing of why (a program that
			 * listens on a port of its own is "not accepting ...") */
			snprintf(reason, sizeof(reason), "not ready before the %.1f s timeout (%d probe%s, last: %s)",
				 (double)timeout_ms / 1000, pr.probes, pr.probes == 1 ? "" : "s",
				 pr.probes ? pr.last : "none yet");
			return not_ready(m, v, reason, err);
		}
		if (v->next_ms <= now_ms()) {
			int r = probe_member(v, say, pr.last, sizeof(pr.last), reason, sizeof(reason));
			pr.probes++;
			pr.last_id = v->id;
			if (r < 0)
				return not_ready(m, v, reason, err);
			if (r > 0) {
				left--;
				pr.last_line_ms = now_ms();
				if (start_next(m, say, err) < 0)
					return -1;
			}
		}
		say_waiting(m, label, say, &pr);
	}
	return serve_ready(m, err);
}

/* The watch's first look: the probe targets, each member's next probe a
 * period from now (it passed its probes already: failure_threshold
 * failures in a row fail it, as after a startup), its pidfd. */
static int watch_begin(struct swap_members *m, char *reason, size_t len)
{
	struct zrun_error err;

	if (fill_targets(m, &err) < 0) {
		snprintf(reason, len, "%s", err.msg);
		return -1;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct member *v = &m->v[i];
		v->next_ms = now_ms() + v->vc.probe.period_ms;
		v->passed = true;
		v->ready = false;  /* sleep_until looks at the members not ready */
		v->bad = 0;
		if (v->pidfd < 0)
			v->pidfd = pidfd_of(&v->st);
	}
	m->watching = true;
	return 0;
}

int swap_members_watch(struct swap_members *m, long wait_ms, char *reason, size_t len)
{
	char last[512];
	long until = now_ms() + wait_ms;

	if (!m->watching && watch_begin(m, reason, len) < 0)
		return 0;  /* the supervisor did not answer: look again later */
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].next_ms < until)
			until = m->v[i].next_ms;
	struct member *gone = sleep_until(m, until);
	if (gone) {
		snprintf(reason, len, "%s exited", gone->id);
		return -1;
	}
	for (size_t i = 0; i < m->n; i++) {
		struct member *v = &m->v[i];
		if (v->next_ms > now_ms())
			continue;
		v->next_ms = now_ms() + v->vc.probe.period_ms;
		last[0] = '\0';
		if (probe_once(&v->vc.probe, &v->t, last, sizeof(last)) == PROBE_PASS) {
			v->bad = 0;
		} else if (++v->bad >= v->vc.probe.failure_threshold) {
			snprintf(reason, len, "%s failed its %s probe %d times in a row: %s", v->id,
				 probe_kind_name(v->vc.probe.kind), v->bad, last);
			return -1;
		}
	}
	return 0;
}

/* Every version in keep is there, running and not being stopped: proven
 * ready by the swap and still serving. false names the first that is not. */
static bool versions_ready(const char *root, char **keep, size_t n_keep, char *gone, size_t len)
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

struct stopping {
	const char *id;
	struct container_state st;
	struct version_config vc;
	bool loaded, draining;  /* draining: signalled, its init not yet gone */
	int pidfd;
	long t, deadline;
};

/* Mark and signal one; a created one is not signalled: its init waits in
 * the exec fifo and would ignore the signal for the whole grace period. */
static void stop_begin(const char *root, struct stopping *s, long grace_ms, const struct swap_say *say)
{
	struct zrun_error ignored;

	s->pidfd = -1;
	if (version_load(root, s->id, &s->st, &s->vc, &ignored) < 0)
		return;
	s->loaded = true;
	/* before any signal: the supervisor must not restart what is stopped */
	version_mark_stopping(root, s->vc.service, s->id);
	if (state_live_status(root, &s->st) != STATUS_RUNNING)
		return;
	long grace = grace_ms < 0 ? s->vc.grace_period_ms : grace_ms;
	s->pidfd = pidfd_of(&s->st);
	kill(s->st.pid, s->vc.stop_signal);
	s->t = now_ms();
	s->deadline = s->t + grace;
	s->draining = true;
	event_say(say->out, say->json, "draining", s->id, s->t - say->t0, "signal %d sent, draining (grace period %.1f s)",
		  s->vc.stop_signal, (double)grace / 1000);
	/* python or node as the container's init, with no handler: the
	 * signal did nothing, and the wait that follows looked like a hang */
	int dropped = procfs_signal_dropped(s->st.pid, s->vc.stop_signal);
	if (dropped > 0)
		event_say(say->out, say->json, "signal-dropped", s->id, s->t - say->t0,
			  "its init %s signal %d%s: it runs until SIGKILL at the end of the grace period (handle the signal "
			  "in the program, or start it under an init such as tini)",
			  dropped == 2 ? "ignores" : "(pid 1 of the container) has no handler for", s->vc.stop_signal,
			  dropped == 2 ? " (SIG_IGN)" : ", so the kernel drops it");
}

/* One look at the draining ones: the drained say so, the overdue are
 * SIGKILLed below. The time to sleep until the next deadline, 0 when none
 * is draining any more. */
static long stop_look(struct stopping *s, size_t n, const struct swap_say *say)
{
	long now = now_ms(), sleep_ms = 0;

	for (size_t i = 0; i < n; i++) {
		if (!s[i].draining)
			continue;
		if (exited(&s[i].st)) {
			s[i].draining = false;
			event_say(say->out, say->json, "drained", s[i].id, now - say->t0, "drained in %.2f s",
				  (double)(now - s[i].t) / 1000);
		} else if (now >= s[i].deadline) {
			s[i].draining = false;
			event_say(say->out, say->json, "killed", s[i].id, now - say->t0, "still running after %.1f s: SIGKILL",
				  (double)(s[i].deadline - s[i].t) / 1000);
		} else if (sleep_ms == 0 || s[i].deadline - now < sleep_ms) {
			sleep_ms = s[i].deadline - now;
		}
	}
	return sleep_ms;
}

static void stop_wait(struct stopping *s, size_t n, long sleep_ms)
{
	struct pollfd pf[n + 1];
	nfds_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i].draining && s[i].pidfd >= 0)
			pf[k++] = (struct pollfd){ .fd = s[i].pidfd, .events = POLLIN };
	poll(pf, k, (int)(sleep_ms > TICK_MS ? TICK_MS : sleep_ms));
}

/* SIGKILL every process left in each cgroup (all at once), then wait up
 * to 2 s in all for them to go. */
static void stop_kill(struct stopping *s, size_t n)
{
	struct zrun_error ignored;
	struct cgroup *cg[n + 1];

	for (size_t i = 0; i < n; i++) {
		cg[i] = s[i].loaded ? container_state_cgroup(&s[i].st, &ignored) : NULL;
		if (cg[i])
			cgroup_kill_all(cg[i], SIGKILL, &ignored);
	}
	long deadline = now_ms() + 2000;
	for (size_t i = 0; i < n; i++) {
		while (cg[i] && !cgroup_is_empty(cg[i]) && now_ms() < deadline) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		if (cg[i])
			cgroup_free(cg[i]);
	}
}

static int unserve(const char *root, char **ids, size_t n, char *why, size_t len)
{
	struct container_state st;
	struct version_config vc;
	struct zrun_error err;

	if (version_load(root, ids[0], &st, &vc, &err) < 0)
		return 0;  /* gone: nothing to take out */
	state_clear(&st);
	if (steer_service_unserve(root, vc.service, ids, n, &err) < 0) {
		snprintf(why, len, "%s", err.msg);
		return -1;
	}
	return 0;
}

int swap_members_stop(const char *root, char **ids, size_t n, long grace_ms, char **keep, size_t n_keep,
		      const struct swap_say *say, char *why, size_t len)
{
	struct stopping *s;
	int r = 0;

	/* version_delete marks a version stopping before it kills it, so a
	 * NEW deleted now is either seen here (not ready: OLD untouched) or
	 * killed after OLD got its signal, by a user who asked for that. */
	if (n_keep && !versions_ready(root, keep, n_keep, why, len))
		return -1;
	if (n == 0 || (s = calloc(n, sizeof(*s))) == NULL)
		return 0;
	/* a steered service: out of the serving set before the stop signal,
	 * so no new connection reaches a version that stops accepting; those
	 * in its queue move to a serving one when its socket closes */
	if (unserve(root, ids, n, why, len) < 0) {
		free(s);
		return -1;
	}
	/* killed here: the versions hold no slot and have no stop signal yet */
	fault_point("stop-after-unserve");
	for (size_t i = 0; i < n; i++) {
		s[i].id = ids[i];
		stop_begin(root, &s[i], grace_ms, say);
	}
	for (long sleep_ms; (sleep_ms = stop_look(s, n, say)) > 0;) {
		if (n_keep && !versions_ready(root, keep, n_keep, why, len)) {
			for (size_t i = 0; i < n; i++)
				if (s[i].draining)
					event_say(say->out, say->json, "aborted", s[i].id, now_ms() - say->t0,
						  "%s while %s drained: %s is not killed", why, s[i].id, s[i].id);
			r = 1;
			break;
		}
		stop_wait(s, n, sleep_ms);
	}
	if (r == 0)
		stop_kill(s, n);
	for (size_t i = 0; i < n; i++) {
		if (s[i].pidfd >= 0)
			close(s[i].pidfd);
		if (s[i].loaded)
			state_clear(&s[i].st);
	}
	free(s);
	return r;
}

void swap_members_remove(const char *root, char **ids, size_t n, const struct swap_say *say)
{
	struct zrun_error ignored;
	char why[8];

	swap_members_stop(root, ids, n, ABORT_GRACE_MS, NULL, 0, say, why, sizeof(why));
	for (size_t i = 0; i < n; i++)
		if (ids[i])
			version_delete(root, ids[i], true, &ignored);
}

int swap_start_and_probe(const char *root, const char *id, long timeout_ms, FILE *out, bool json,
			 struct zrun_error *err)
{
	struct swap_say say = { .out = out, .json = json, .t0 = now_ms() };
	char *ids[1] = { (char *)id };
	struct swap_members *m = swap_members_load(root, ids, 1, err);
	int r = -1;

	if (m && swap_members_start(m, &say, err) == 0 && swap_members_probe(m, id, timeout_ms, &say, err) == 0)
		r = 0;
	else if (m)
		zrun_error_prefix(err, "%s not ready", id);
	swap_members_free(m);
	return r;
}
