#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "exit_status.h"
#include "json.h"
#include "service.h"
#include "service_log.h"
#include "swap_record.h"
#include "version.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 30000
#define HEALTHY_MS 10000
#define RESCAN_MS 1000
#define PARK_HOLD_MS 5000  /* after a fetch: the version being made is not in the state yet */


enum watch_state { W_RUNNING, W_BACKOFF, W_RESTARTING, W_EXITED, W_GAVE_UP };
static const char *const watch_state_names[] = { "running", "backoff", "restarting", "exited", "crash-loop" };

struct watch {
	bool used;
	char id[STATE_ID_MAX + 1];
	pid_t pid;
	unsigned long long start;
	int pidfd;                 /* the init, while running */
	enum watch_state state;
	enum restart_policy policy;
	int max;
	int restarts, streak;      /* all restarts; those since the last healthy run */
	long backoff_ms, due_ms, started_ms;
	char last_exit[64], message[160];
	pid_t child;               /* `zrun service restart ID`, while it runs */
	int child_fd;
};

enum slot_kind { SLOT_INIT, SLOT_CHILD, SLOT_LOG };

struct supervisor {
	char root[PATH_MAX], service[SERVICE_NAME_MAX], zrun[PATH_MAX];
	struct watch w[SUPERVISE_WATCH_MAX];
	struct log_sink logs[SUPERVISE_LOG_MAX];
	long next_rescan_ms;
	bool down;                 /* versions, all dead, none to be restarted */
	long park_hold_ms;         /* not parked before this (a version is being made) */
	/* what each polled fd is, in the order supervise_pollfds gave them */
	struct { enum slot_kind kind; int index; } slots[SUPERVISE_POLL_MAX];
	pid_t canary_watch;        /* `zrun service canary-watch`, while a canary is open */
};

struct supervisor *supervise_new(const char *root, const char *service, const char *zrun_path)
{
	struct supervisor *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	snprintf(s->root, sizeof(s->root), "%s", root);
	snprintf(s->service, sizeof(s->service), "%s", service);
	snprintf(s->zrun, sizeof(s->zrun), "%s", zrun_path);
	s->next_rescan_ms = now_ms();
	return s;
}

/* ---- the record status reads ---- */

static void save_record(struct supervisor *s)
{
	struct json_writer jw;
	char path[PATH_MAX], tmp[PATH_MAX + 8];

	json_w_init(&jw, false);
	json_w_object_begin(&jw);
	for (int i = 0; i < SUPERVISE_WATCH_MAX; i++) {
		const struct watch *w = &s->w[i];
		if (!w->used)
			continue;
		json_w_key(&jw, w->id);
		json_w_object_begin(&jw);
		json_w_key(&jw, "state");
		json_w_string(&jw, watch_state_names[w->state]);
		json_w_key(&jw, "restarts");
		json_w_int(&jw, w->restarts);
		json_w_key(&jw, "last_exit");
		json_w_string(&jw, w->last_exit);
		json_w_key(&jw, "message");
		json_w_string(&jw, w->message);
		json_w_object_end(&jw);
	}
	json_w_object_end(&jw);
	char *text = json_w_finish(&jw);
	if (text == NULL || service_path(path, sizeof(path), s->root, s->service, "supervise.json") < 0) {
		free(text);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	if (fd >= 0) {
		bool ok = write(fd, text, len) == (ssize_t)len;
		close(fd);
		if (!ok || rename(tmp, path) < 0)
			unlink(tmp);
	}
	free(text);
}

struct supervise_record {
	char path[PATH_MAX];
	yajl_val tree;
};

struct supervise_record *supervise_record_read(const char *root, const char *service)
{
	struct supervise_record *r = calloc(1, sizeof(*r));
	struct zrun_error err;
	char *buf = NULL;
	size_t len;

	if (r == NULL || service_path(r->path, sizeof(r->path), root, service, "supervise.json") < 0 ||
	    access(r->path, F_OK) < 0 || json_read_file(r->path, 1024 * 1024, &buf, &len, &err) < 0) {
		free(r);
		return NULL;
	}
	r->tree = json_parse(buf, len, 1024 * 1024, 8, r->path, &err);
	free(buf);
	if (r->tree == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void supervise_record_free(struct supervise_record *r)
{
	if (r != NULL)
		yajl_tree_free(r->tree);
	free(r);
}

int supervise_record_info(const struct supervise_record *r, const char *id, struct supervise_info *out)
{
	char *str = NULL;
	struct zrun_error err;
	struct json_ctx c;
	int64_t n = 0;

	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return -1;
	const char *key[] = { id, NULL };
	yajl_val v = yajl_tree_get(r->tree, key, yajl_t_object);
	if (v == NULL)
		return -1;
	json_ctx_init(&c, r->path, &err);
	if (json_get_int(&c, v, "restarts", 0, INT32_MAX, &n) == 1)
		out->restarts = (int)n;
	if (json_get_string(&c, v, "state", &str) == 1)
		snprintf(out->state, sizeof(out->state), "%s", str);
	free(str);
	str = NULL;
	if (json_get_string(&c, v, "last_exit", &str) == 1)
		snprintf(out->last_exit, sizeof(out->last_exit), "%s", str);
	free(str);
	str = NULL;
	if (json_get_string(&c, v, "message", &str) == 1)
		snprintf(out->message, sizeof(out->message), "%s", str);
	free(str);
	return 0;
}

int supervise_add_log(struct supervisor *s, const char *id, int fd)
{
	struct log_sink *l = NULL;

	for (int i = 0; i < SUPERVISE_LOG_MAX; i++) {
		if (s->logs[i].used && strcmp(s->logs[i].id, id) == 0) {
			/* a restarted version: what its old pipe still holds goes first */
			log_sink_drain(&s->logs[i]);
			log_sink_close(&s->logs[i]);
		}
	}
	for (int i = 0; i < SUPERVISE_LOG_MAX && l == NULL; i++)
		if (!s->logs[i].used)
			l = &s->logs[i];
	if (l == NULL) {
		/* refused, not dropped: the supervisor answers 'E' and the create
		 * fails, where a pipe without a reader would block the version
		 * once it wrote 64 KiB */
		close(fd);
		return -1;
	}
	log_sink_open(l, s->root, s->service, id, fd);
	return 0;
}

/* ---- watching versions ---- */

static struct watch *find(struct supervisor *s, const char *id)
{
	for (int i = 0; i < SUPERVISE_WATCH_MAX; i++)
		if (s->w[i].used && strcmp(s->w[i].id, id) == 0)
			return &s->w[i];
	return NULL;
}

static struct watch *add(struct supervisor *s, const char *id)
{
	for (int i = 0; i < SUPERVISE_WATCH_MAX; i++) {
		struct watch *w = &s->w[i];
		if (!w->used) {
			memset(w, 0, sizeof(*w));
			w->used = true;
			w->pidfd = w->child_fd = -1;
			w->backoff_ms = BACKOFF_FIRST_MS;
			snprintf(w->id, sizeof(w->id), "%s", id);
			return w;
		}
	}
	return NULL;
}

static void watch_running(struct watch *w, pid_t pid, unsigned long long start)
{
	if (w->pidfd >= 0)
		close(w->pidfd);
	w->pid = pid;
	w->start = start;
	w->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	w->state = W_RUNNING;
	w->started_ms = now_ms();
	w->message[0] = '\0';
	/* the pid may already be gone (or reused): check after the pidfd */
	if (state_pid_start_time(pid) != start && w->pidfd >= 0) {
		close(w->pidfd);
		w->pidfd = -1;
	}
}

/* The wait status of a version's init that exited (exit_status.h). */
static int exit_status(const struct watch *w)
{
	return exit_status_of(w->pid, w->start, w->pidfd);
}

/* Is id the new version of the service's open canary? */
static bool in_canary(const struct supervisor *s, const char *id)
{
	struct swap_record r;
	struct zrun_error ignored;
	bool yes = false;

	if (swap_record_read(s->root, s->service, &r, &ignored) != 1)
		return false;
	for (size_t i = 0; r.state == SWAP_CANARY && i < r.n_new; i++)
		yes |= strcmp(r.new_ids[i], id) == 0;
	swap_record_clear(&r);
	return yes;
}

/* The version's init is gone (status -1: unknown). Restart it or say why not. */
static void exited(struct supervisor *s, struct watch *w, int status)
{
	long now = now_ms();

	if (w->pidfd >= 0)
		close(w->pidfd);
	w->pidfd = -1;
	exit_status_describe(status, w->last_exit, sizeof(w->last_exit));
	bool failed = status != 0;
	if (version_is_stopping(s->root, s->service, w->id)) {
		w->state = W_EXITED;
		snprintf(w->message, sizeof(w->message), "stopped by zrun");
	} else if (in_canary(s, w->id)) {
		/* a canary that crashes has failed: its watcher aborts it (OLD
		 * still serves), a restart would only hide the crash */
		w->state = W_EXITED;
		snprintf(w->message, sizeof(w->message), "exited (%s) during its canary: not restarted, the canary is aborted",
			 w->last_exit);
	} else if (w->policy == RESTART_NO || (w->policy == RESTART_ON_FAILURE && !failed)) {
		w->state = W_EXITED;
		snprintf(w->message, sizeof(w->message), "exited (%s); restart policy: not restarted", w->last_exit);
	} else {
		if (w->started_ms && now - w->started_ms >= HEALTHY_MS) {
			w->backoff_ms = BACKOFF_FIRST_MS;
			w->streak = 0;
		}
		if (w->policy == RESTART_ON_FAILURE && w->max > 0 && w->streak >= w->max) {
			w->state = W_GAVE_UP;
			snprintf(w->message, sizeof(w->message), "crash loop: stopped after %d restarts (last %s)",
				 w->max, w->last_exit);
		} else {
			w->state = W_BACKOFF;
			w->due_ms = now + w->backoff_ms;
			snprintf(w->message, sizeof(w->message), "%s; restart in %ld ms", w->last_exit, w->backoff_ms);
			w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
		}
	}
	save_record(s);
}

/* `zrun --root ROOT service WHAT ARG` as a child, its output into the log
 * of version log_id (its lines carry no time: `zrun logs` gives them the
 * previous line's). Its pid, or -1. */
static pid_t spawn_zrun(const struct supervisor *s, const char *log_id, const char *what, const char *arg)
{
	int log = service_log_open(s->root, s->service, log_id);
	pid_t pid = fork();

	if (pid == 0) {
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 0);
		dup2(log >= 0 ? log : null, 1);
		dup2(log >= 0 ? log : null, 2);
		syscall(SYS_close_range, 3, ~0U, 0);
		const char *zrun = s->zrun[0] == '/' ? s->zrun : "/proc/self/exe";
		execl(zrun, "zrun", "--root", s->root, "service", what, arg, (char *)NULL);
		_exit(127);
	}
	if (log >= 0)
		close(log);
	return pid;
}

/* `zrun --root ROOT service restart ID`, its output into the version's log. */
static void spawn_restart(struct supervisor *s, struct watch *w)
{
	if (version_is_stopping(s->root, s->service, w->id)) {
		w->state = W_EXITED;
		snprintf(w->message, sizeof(w->message), "stopped by zrun");
		save_record(s);
		return;
	}
	pid_t pid = spawn_zrun(s, w->id, "restart", w->id);
	if (pid < 0) {
		w->due_ms = now_ms() + w->backoff_ms;
		return;
	}
	w->child = pid;
	w->child_fd = (int)syscall(SYS_pidfd_open, pid, 0);
	w->state = W_RESTARTING;
	w->streak++;
	w->restarts++;
	/* through a copy: inlined into supervise_handle, gcc -O1 (the ASan
	 * build) sees two members of one struct and warns they may overlap */
	char last[sizeof(w->last_exit)];
	snprintf(last, sizeof(last), "%s", w->last_exit);
	snprintf(w->message, sizeof(w->message), "restarting (restart %d, after %s)", w->restarts, last);
	save_record(s);
}

static void child_done(struct supervisor *s, struct watch *w)
{
	int status = 0;

	if (waitpid(w->child, &status, WNOHANG) == 0)
		return;
	close(w->child_fd);
	w->child_fd = -1;
	w->child = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		w->state = W_EXITED;   /* the rescan sees it running */
		s->next_rescan_ms = 0;
		return;
	}
	/* could not come back: as another failure, with backoff */
	w->started_ms = 0;
	exited(s, w, 1 << 8);
	snprintf(w->message + strlen(w->message), sizeof(w->message) - strlen(w->message), " (restart failed, see its log)");
	save_record(s);
}

/* While a canary is open, one `zrun service canary-watch` child: started
 * at the look after the canary opened (swap --canary asks for a rescan)
 * or after the last one ended; reaped here. Its lines go to the log of the
 * canary's first new version. */
static void canary_look(struct supervisor *s)
{
	struct swap_record r;
	struct zrun_error ignored;

	if (s->canary_watch > 0 && waitpid(s->canary_watch, NULL, WNOHANG) != 0)
		s->canary_watch = 0;
	if (s->canary_watch > 0 || swap_record_read(s->root, s->service, &r, &ignored) != 1)
		return;
	/* and for an abort or a promote of the canary that died, which it
	 * finishes */
	if ((r.state == SWAP_CANARY || swap_canary_end_died(&r)) && r.n_new > 0) {
		pid_t pid = spawn_zrun(s, r.new_ids[0], "canary-watch", s->service);
		s->canary_watch = pid > 0 ? pid : 0;
	}
	swap_record_clear(&r);
}

void supervise_rescan(struct supervisor *s)
{
	struct service_version *v;
	size_t n, live = 0;
	struct zrun_error ignored;
	bool changed = false;

	s->next_rescan_ms = now_ms() + RESCAN_MS;
	/* each of the service's states read once (its members, service.h) */
	if (service_versions_read(s->root, s->service, &v, &n, &ignored) < 0)
		return;
	for (int i = 0; i < SUPERVISE_WATCH_MAX; i++) {
		struct watch *w = &s->w[i];
		bool present = false;
		for (size_t j = 0; j < n && !present; j++)
			present = w->used && strcmp(v[j].id, w->id) == 0;
		if (w->used && !present && w->child == 0) {
			if (w->pidfd >= 0)
				close(w->pidfd);
			w->used = false;
			changed = true;
		}
	}
	for (size_t j = 0; j < n; j++) {
		const char *id = v[j].id;
		struct container_state *st = &v[j].st;
		const struct version_config *vc = &v[j].vc;
		enum container_status status = state_live_status(s->root, st);
		struct watch *w = find(s, id);
		live += status != STATUS_STOPPED;
		if (w == NULL && status != STATUS_CREATED && (w = add(s, id)) != NULL) {
			changed = true;
			w->state = W_EXITED;
			w->policy = vc->restart;
			w->max = vc->restart_max;
			if (status == STATUS_STOPPED && !version_is_stopping(s->root, s->service, id)) {
				/* exited before we watched it (a program that fails at
				 * once, within a rescan of its start): its status while
				 * it is a zombie no one reaped, else unknown */
				w->pid = st->pid;
				w->start = st->pid_start_time;
				exited(s, w, exit_status(w));
			}
		}
		if (w && status == STATUS_RUNNING && (w->state != W_RUNNING || w->pid != st->pid) &&
		    w->state != W_RESTARTING) {
			w->policy = vc->restart;
			w->max = vc->restart_max;
			watch_running(w, st->pid, st->pid_start_time);
			changed = true;
		}
	}
	bool pending = false;
	for (int i = 0; i < SUPERVISE_WATCH_MAX; i++)
		pending |= s->w[i].used && (s->w[i].state == W_BACKOFF || s->w[i].state == W_RESTARTING);
	s->down = n > 0 && live == 0 && !pending;
	service_versions_free(v, n);
	canary_look(s);
	if (changed)
		save_record(s);
}

bool supervise_down(const struct supervisor *s)
{
	return s->down && now_ms() >= s->park_hold_ms;
}

void supervise_fetched(struct supervisor *s)
{
	s->down = false;
	s->park_hold_ms = now_ms() + PARK_HOLD_MS;
}

size_t supervise_pollfds(struct supervisor *s, struct pollfd *p, size_t max)
{
	size_t n = 0;

	for (int i = 0; i < SUPERVISE_WATCH_MAX && n < max && n < SUPERVISE_POLL_MAX; i++) {
		struct watch *w = &s->w[i];
		if (w->used && w->state == W_RUNNING && w->pidfd >= 0) {
			p[n] = (struct pollfd){ .fd = w->pidfd, .events = POLLIN };
			s->slots[n].kind = SLOT_INIT;
			s->slots[n++].index = i;
		}
		if (w->used && w->child_fd >= 0 && n < max && n < SUPERVISE_POLL_MAX) {
			p[n] = (struct pollfd){ .fd = w->child_fd, .events = POLLIN };
			s->slots[n].kind = SLOT_CHILD;
			s->slots[n++].index = i;
		}
	}
	for (int i = 0; i < SUPERVISE_LOG_MAX && n < max && n < SUPERVISE_POLL_MAX; i++) {
		if (s->logs[i].used) {
			p[n] = (struct pollfd){ .fd = s->logs[i].pipe_fd, .events = POLLIN };
			s->slots[n].kind = SLOT_LOG;
			s->slots[n++].index = i;
		}
	}
	return n;
}

int supervise_timeout_ms(const struct supervisor *s)
{
	long now = now_ms(), next = s->next_rescan_ms;

	for (int i = 0; i < SUPERVISE_WATCH_MAX; i++)
		if (s->w[i].used && s->w[i].state == W_BACKOFF && s->w[i].due_ms < next)
			next = s->w[i].due_ms;
	return next <= now ? 0 : (int)(next - now);
}

void supervise_handle(struct supervisor *s, const struct pollfd *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i].revents == 0)
			continue;
		int k = s->slots[i].index;
		if (s->slots[i].kind == SLOT_LOG) {
			if (log_sink_drain(&s->logs[k]))
				log_sink_close(&s->logs[k]);
		} else if (s->slots[i].kind == SLOT_CHILD) {
			child_done(s, &s->w[k]);
		} else if (s->w[k].state == W_RUNNING) {
			exited(s, &s->w[k], exit_status(&s->w[k]));
			s->next_rescan_ms = 0;  /* the last one gone: the service is down now */
		}
	}
	long now = now_ms();
	for (int i = 0; i < SUPERVISE_WATCH_MAX; i++)
		if (s->w[i].used && s->w[i].state == W_BACKOFF && s->w[i].due_ms <= now)
			spawn_restart(s, &s->w[i]);
	if (now >= s->next_rescan_ms)
		supervise_rescan(s);
}

void supervise_shutdown(struct supervisor *s)
{
	if (s->canary_watch > 0) {
		/* its work is done again by the next supervisor's watcher */
		kill(s->canary_watch, SIGKILL);
		waitpid(s->canary_watch, NULL, 0);
	}
	for (int i = 0; i < SUPERVISE_WATCH_MAX; i++) {
		struct watch *w = &s->w[i];
		if (w->used && w->child > 0) {
			kill(w->child, SIGKILL);
			waitpid(w->child, NULL, 0);
		}
	}
	for (int i = 0; i < SUPERVISE_LOG_MAX; i++)
		if (s->logs[i].used) {
			log_sink_drain(&s->logs[i]);
			log_sink_close(&s->logs[i]);
		}
}
