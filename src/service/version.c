#include "version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "spec.h"
#include "intercept.h"
#include "steer_service.h"
#include "supervisor.h"
#include "probe.h"
#include "capacity.h"
#include "logfiles.h"

/* A setting from the flag, else the bundle's annotation, else NULL. */
static const char *setting(const char *flag, const struct spec *spec, const char *annotation)
{
	return flag ? flag : spec_annotation(spec, annotation);
}

static int parse_duration_setting(const char *value, const char *what, long *out, struct zrun_error *err)
{
	if (value && duration_parse(value, out) < 0)
		return zrun_error_set(err, 0, "%s \"%s\": expected a duration like 500ms, 2s or 1m", what, value);
	return 0;
}

static int parse_count_setting(const char *value, const char *what, int *out, struct zrun_error *err)
{
	char *end;

	if (value == NULL)
		return 0;
	long v = strtol(value, &end, 10);
	if (*value == '\0' || *end != '\0' || v < 1 || v > 1000)
		return zrun_error_set(err, 0, "%s \"%s\": expected a whole number from 1 to 1000", what, value);
	*out = (int)v;
	return 0;
}

/* The network namespace a version runs in. A namespace the config names by
 * path (every Kubernetes pod's) is kept, and a service this version makes
 * listens there: dropping it would silently give a pod the host's network.
 * A new, empty one (no path) is dropped for the service's by default. Either
 * way --net (zrun.net) decides; leaving a named one for the host's is said. */
static int net_setting(const struct version_opts *vo, const struct spec *spec, struct version_config *vc,
		       struct zrun_error *err)
{
	const struct spec_namespace *ns = spec_namespace_find(spec, SPEC_NS_NETWORK);
	const char *named = ns && ns->path && ns->path[0] ? ns->path : NULL;
	const char *s = setting(vo->net, spec, "zrun.net");

	if (s && strcmp(s, "own") != 0 && strcmp(s, "service") != 0)
		return zrun_error_set(err, 0, "--net \"%s\": expected service or own", s);
	/* no flag or annotation: a named namespace is kept; else the
	 * record's setting (deploy remembers) or the default */
	if (s)
		vc->own_netns = strcmp(s, "own") == 0;
	else if (named)
		vc->own_netns = true;
	if (named && strlen(named) >= sizeof(vc->listen_netns))
		return zrun_error_set(err, ENAMETOOLONG, "network namespace path %s", named);
	if (named && vc->own_netns)
		snprintf(vc->listen_netns, sizeof(vc->listen_netns), "%s", named);
	if (named && !vc->own_netns && vo->note)
		snprintf(vo->note, vo->note_len,
			 "joins the host's network namespace (--net service): the config's network namespace %s is not used",
			 named);
	return 0;
}

/* The settings a bundle may carry as annotations (docs/service.md). */
static const char *const known_annotations[] = {
	"zrun.service", "zrun.listen", "zrun.probe", "zrun.probe.initial-delay", "zrun.probe.period",
	"zrun.probe.timeout", "zrun.probe.success-threshold", "zrun.probe.failure-threshold",
	"zrun.stop-signal", "zrun.grace-period", "zrun.net", "zrun.intercept", "zrun.restart", NULL,
};

/* zrun.* is zrun's: a name it does not know is a typo or a setting that
 * is not an annotation (zrun.replicas), and ignoring it would run the
 * version with settings its author did not ask for. */
static int check_annotations(const struct spec *spec, struct zrun_error *err)
{
	for (size_t i = 0; spec && i < spec->annotations_len; i++) {
		const char *key = spec->annotations[i].key;
		size_t k = 0;
		if (strncmp(key, "zrun.", 5) != 0)
			continue;
		while (known_annotations[k] && strcmp(known_annotations[k], key) != 0)
			k++;
		if (known_annotations[k] == NULL)
			return zrun_error_set(err, 0, "annotation %s: not a zrun setting (docs/service.md lists them; "
					      "replicas, keep-old and timeout are flags of zrun deploy)", key);
	}
	return 0;
}

/* The base: the record's settings (deploy) or the defaults; what belongs
 * to one version only is not carried over. */
static void base_config(const struct version_opts *vo, struct version_config *vc)
{
	if (vo->base == NULL) {
		version_config_defaults(vc);
		return;
	}
	*vc = *vo->base;
	vc->group[0] = '\0';
	vc->notify_socket[0] = '\0';
}

static int build_config(const struct version_opts *vo, const struct spec *spec, struct version_config *vc,
			struct zrun_error *err)
{
	const char *s;

	if (check_annotations(spec, err) < 0)
		return -1;
	base_config(vo, vc);
	snprintf(vc->service, sizeof(vc->service), "%s", setting(vo->service, spec, "zrun.service"));
	if ((s = setting(vo->probe, spec, "zrun.probe")) && probe_parse(s, &vc->probe, err) < 0)
		return -1;
	if (parse_duration_setting(setting(vo->probe_initial_delay, spec, "zrun.probe.initial-delay"),
				   "--probe-initial-delay", &vc->probe.initial_delay_ms, err) < 0 ||
	    parse_duration_setting(setting(vo->probe_period, spec, "zrun.probe.period"),
				   "--probe-period", &vc->probe.period_ms, err) < 0 ||
	    parse_duration_setting(setting(vo->probe_timeout, spec, "zrun.probe.timeout"),
				   "--probe-timeout", &vc->probe.timeout_ms, err) < 0 ||
	    parse_count_setting(setting(vo->probe_success_threshold, spec, "zrun.probe.success-threshold"),
				"--probe-success-threshold", &vc->probe.success_threshold, err) < 0 ||
	    parse_count_setting(setting(vo->probe_failure_threshold, spec, "zrun.probe.failure-threshold"),
				"--probe-failure-threshold", &vc->probe.failure_threshold, err) < 0 ||
	    parse_duration_setting(setting(vo->grace_period, spec, "zrun.grace-period"),
				   "--grace-period", &vc->grace_period_ms, err) < 0)
		return -1;
	if (vc->probe.period_ms < 10 || vc->probe.timeout_ms < 10)
		return zrun_error_set(err, 0, "probe period and timeout must be at least 10ms");
	s = setting(vo->stop_signal, spec, "zrun.stop-signal");
	if (s == NULL)
		s = spec_annotation(spec, "org.opencontainers.image.stopSignal");
	if (s && (vc->stop_signal = signal_parse(s)) < 0)
		return zrun_error_set(err, 0, "--stop-signal \"%s\": unknown signal", s);
	if (net_setting(vo, spec, vc, err) < 0)
		return -1;
	s = spec_annotation(spec, "zrun.intercept");
	if (s && strcmp(s, "true") != 0 && strcmp(s, "false") != 0)
		return zrun_error_set(err, 0, "annotation zrun.intercept \"%s\": expected true or false", s);
	if (vo->intercept || vo->no_intercept)
		vc->intercept = vo->intercept;
	else if (s)
		vc->intercept = strcmp(s, "true") == 0;
	s = setting(vo->restart, spec, "zrun.restart");
	if (s && restart_parse(s, &vc->restart, &vc->restart_max, err) < 0)
		return -1;
	if (vo->group)
		snprintf(vc->group, sizeof(vc->group), "%s", vo->group);
	/* NOTIFY_SOCKET is an abstract socket of the service's namespace */
	if (vc->own_netns && vc->probe.kind == PROBE_NOTIFY)
		return zrun_error_set(err, 0, "--probe notify needs --net service: NOTIFY_SOCKET is an abstract unix socket of the service's network namespace");
	return 0;
}

/* --listen flags, else the annotation zrun.listen (comma-separated). */
static int collect_listeners(const struct version_opts *vo, const struct spec *spec,
			     struct listener *out, size_t *n, struct zrun_error *err)
{
	char buf[4096];
	*n = 0;
	for (size_t i = 0; i < vo->n_listen; i++)
		if (listener_parse(vo->listen[i], (int)i, &out[(*n)++], err) < 0)
			return -1;
	const char *ann = spec_annotation(spec, "zrun.listen");
	if (*n > 0 || ann == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", ann);
	for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (*n == LISTENER_MAX)
			return zrun_error_set(err, 0, "zrun.listen: more than %d listeners", LISTENER_MAX);
		if (listener_parse(tok, (int)*n, &out[*n], err) < 0)
			return zrun_error_prefix(err, "annotation zrun.listen");
		(*n)++;
	}
	return 0;
}

/* A version joins the service's network namespace (the one zrun runs in):
 * drop the bundle's own network namespace unless --net own. */
static int join_service_netns(struct spec *spec, void *data, struct zrun_error *err)
{
	const struct version_config *vc = data;
	struct spec_linux *lx = spec->linux_;

	(void)err;
	if (vc->own_netns || lx == NULL)
		return 0;
	for (size_t i = 0; i < lx->namespaces_len; i++) {
		if (lx->namespaces[i].type != SPEC_NS_NETWORK)
			continue;
		free(lx->namespaces[i].path);
		memmove(&lx->namespaces[i], &lx->namespaces[i + 1],
			(lx->namespaces_len - i - 1) * sizeof(lx->namespaces[0]));
		lx->namespaces_len--;
		break;
	}
	return 0;
}

/* What create_in_service hands container_create's hooks. */
struct version_hooks {
	const struct version_config *vc;
	const char *root;
	const struct service *svc;
	const char *id;
};

static int adjust_version_spec(struct spec *spec, void *data, struct zrun_error *err)
{
	const struct version_hooks *h = data;
	char sock[PATH_MAX];

	if (join_service_netns(spec, (void *)h->vc, err) < 0)
		return -1;
	if (!h->vc->intercept)
		return 0;
	if (service_path(sock, sizeof(sock), h->root, h->svc->name, "supervisor.sock") < 0)
		return zrun_error_set(err, ENAMETOOLONG, "supervisor socket of %s", h->svc->name);
	return intercept_prepare_spec(spec, sock, err);
}

/* --intercept: the version's notify fd goes to the supervisor, which answers
 * its bind and listen calls for as long as the service lives. */
static int give_notify_fd(int fd, pid_t pid, void *data, struct zrun_error *err)
{
	const struct version_hooks *h = data;

	(void)pid;
	if (intercept_check_kernel(fd, err) < 0)
		return -1;
	if (supervisor_send_notify(h->root, h->svc, h->id, fd) < 0)
		return zrun_error_set(err, 0, "--intercept: the supervisor of service %s did not take the seccomp notify fd",
				      h->svc->name);
	return 0;
}

/* Under service.lock, a service without a version is an orphan: every
 * create holds that lock until its version exists, every delete until the
 * service has ended. What makes one: a create killed after the service
 * record and before its version's state, a delete killed after the last
 * version went and before the service did. On error: not an orphan. */
bool version_service_is_orphan(const char *root, const char *name)
{
	struct zrun_error ignored;
	char **ids;
	size_t n;

	if (service_versions(root, name, &ids, &n, &ignored) < 0)
		return false;
	service_free_ids(ids, n);
	return n == 0;
}

/* End a service: its supervisor (and fdstore), its unix socket files, its
 * records. keep_locks: the caller holds service.lock and goes on to make
 * the service anew in the same dir. */
static void end_service(const char *root, const struct service *svc, bool keep_locks)
{
	struct zrun_error ignored;

	supervisor_stop(root, svc);
	fault_point("service-end-after-supervisor-stop");
	for (size_t i = 0; i < svc->n_listeners; i++)
		if (svc->listeners[i].kind == LISTENER_UNIX)
			unlink(svc->listeners[i].path);
	if (keep_locks)
		service_clear(root, svc->name);
	else
		service_remove(root, svc->name, &ignored);
}

/* Open the listeners of a new service, in this process's network namespace. stale: a supervisor of an orphan was
 * just told to go (or a supervisor of a killed create is going by itself):
 * its sockets may close a few ms after, so EADDRINUSE is retried for up
 * to a second before it is an error. */
static int open_listeners_here(const struct service *svc, const struct listener *ls, size_t nls, int *fds, bool stale,
			       struct zrun_error *err)
{
	for (size_t i = 0; i < nls; i++) {
		for (int tries = 0;; tries++) {
			fds[i] = steer_service_listener_open(svc, &ls[i], err);
			if (fds[i] >= 0 || !stale || err->errno_value != EADDRINUSE || tries >= 100)
				break;
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		if (fds[i] < 0) {
			while (i--)
				close(fds[i]);
			return -1;
		}
	}
	return 0;
}

/* The same in the network namespace netns names (a pod's), or here when "". */
static int open_listeners(const struct service *svc, const struct listener *ls, size_t nls, const char *netns, int *fds,
			  bool stale, struct zrun_error *err)
{
	int back = -1;
	if (netns[0] && (back = listener_netns_enter(netns, -1, err)) < 0)
		return -1;
	int r = open_listeners_here(svc, ls, nls, fds, stale, err);
	listener_netns_leave(back);
	return r;
}

/* Join an existing service: its listener fds from the supervisor. 1: it is an
 * orphan that cannot be joined (its supervisor gone, or other listeners named):
 * the caller ends it and makes the service anew. */
static int join_service(const char *root, struct service *svc, const struct listener *ls, size_t nls,
			int *fds, struct zrun_error *err)
{
	char name[SERVICE_NAME_MAX];

	snprintf(name, sizeof(name), "%s", svc->name);
	if (service_load(root, name, svc, err) < 0)
		return -1;
	bool fits = nls == 0 || listener_sets_equal(ls, nls, svc->listeners, svc->n_listeners);
	if (version_service_is_orphan(root, name)) {
		if (fits && supervisor_alive(svc) && supervisor_fetch(root, svc, fds, err) == 0)
			return 0;
		return 1;
	}
	if (!fits)
		return zrun_error_set(err, 0, "listens on %s%s; this version names %s%s (a service's versions share its listeners)",
			svc->listeners[0].url, svc->n_listeners > 1 ? ", ..." : "",
			ls[0].url, nls > 1 ? ", ..." : "");
	return supervisor_fetch(root, svc, fds, err);
}

/* Get the service's listener fds: from its supervisor, or by making the
 * service when this is its first version (or it was an orphan). *made
 * says which. */
static int service_fds(const char *root, struct service *svc, const struct listener *ls, size_t nls,
		       const struct version_config *vc, int *fds, bool *made, struct zrun_error *err)
{
	char sock[PATH_MAX];
	bool stale = service_path(sock, sizeof(sock), root, svc->name, "supervisor.sock") == 0 &&
		     access(sock, F_OK) == 0;

	*made = false;
	if (service_exists(root, svc->name)) {
		int r = join_service(root, svc, ls, nls, fds, err);
		if (r <= 0)
			return r;
		end_service(root, svc, true);
		stale = true;
	}
	if (nls == 0)
		return zrun_error_set(err, 0, "does not exist yet: its first version needs --listen [NAME=]tcp://HOST:PORT or unix:/PATH");
	memcpy(svc->listeners, ls, nls * sizeof(*ls));
	svc->n_listeners = nls;
	steer_service_choose(svc, ls, nls, vc->intercept);
	if (open_listeners(svc, ls, nls, vc->listen_netns, fds, stale, err) < 0)
		return -1;
	if (steer_service_setup(svc, fds, err) < 0) {
		for (size_t i = 0; i < nls; i++)
			close(fds[i]);
		return -1;
	}
	fault_point("service-after-listen");
	/* The record first, naming no supervisor yet: from here on `service
	 * status` sees the service and a later create or `service repair`
	 * can end it, whatever point this zrun dies at. */
	svc->supervisor_pid = 0;
	svc->supervisor_start_time = 0;
	int r = service_members_init(root, svc->name, err);
	if (r == 0)
		r = service_save(root, svc, err);
	fault_point("service-after-record");
	if (r < 0 || supervisor_spawn(root, svc, fds, err) < 0) {
		for (size_t i = 0; i < nls; i++)
			close(fds[i]);
		if (supervisor_alive(svc))
			supervisor_stop(root, svc);
		struct zrun_error ignored;
		service_remove(root, svc->name, &ignored);
		return -1;
	}
	fault_point("service-after-supervisor");
	*made = true;
	return 0;
}

static void end_service_if_empty(const char *root, const char *name)
{
	struct service svc;
	struct zrun_error ignored;

	if (!version_service_is_orphan(root, name) || service_load(root, name, &svc, &ignored) < 0)
		return;
	end_service(root, &svc, false);
}

int version_end_orphan(const char *root, const char *name, struct zrun_error *err)
{
	struct service svc;

	if (!version_service_is_orphan(root, name))
		return 0;
	if (service_load(root, name, &svc, err) < 0) {
		/* no record at all (a create killed before it): only the dir */
		memset(&svc, 0, sizeof(svc));
		snprintf(svc.name, sizeof(svc.name), "%s", name);
	}
	end_service(root, &svc, false);
	return 1;
}

/* A version deleted with an unreadable state.json took the name of its
 * service with it: end every service left without a version, or the last
 * one's supervisor would hold its port forever. Under each service's lock, so
 * a first version being created (its record made, its state not yet
 * written) is waited for, never mistaken for an empty service. */
static void end_empty_services(const char *root)
{
	char dir[PATH_MAX];
	struct dirent *de;
	struct zrun_error ignored;

	snprintf(dir, sizeof(dir), "%s/.services", root);
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (service_validate_name(de->d_name, &ignored) < 0 || !service_exists(root, de->d_name))
			continue;
		int lock = service_lock(root, de->d_name, "service.lock", false, &ignored);
		end_service_if_empty(root, de->d_name);
		if (lock >= 0)
			close(lock);
	}
	closedir(d);
}

/* Versions made by zrun deploy (a group) write stdout and stderr into a
 * pipe whose read end the supervisor holds and drains into ID.log in the service's log dir (service_log.h). */
static int log_pipe(const char *root, const struct service *svc, const char *id, int stdio[3],
		    struct zrun_error *err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return zrun_error_set(err, errno, "%s: log pipe", id);
	if (supervisor_send_log(root, svc, id, p[0]) < 0) {
		close(p[0]);
		close(p[1]);
		return zrun_error_set(err, 0, "%s: the supervisor did not take its log pipe (at most %d versions log at once)",
				      id, SUPERVISE_LOG_MAX);
	}
	close(p[0]);
	stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	stdio[1] = p[1];
	stdio[2] = p[1];
	return 0;
}

/* The socket-activation environment of a version (LISTEN_FDS, LISTEN_FDNAMES,
 * LISTEN_PID, NOTIFY_SOCKET) in ENV's buffers. */
struct version_env {
	/* LISTEN_FDNAMES: "preserved" for each --preserve-fds fd (at most
	 * 1024), then the listeners' names (at most 63 characters each) */
	char fds[32], names[1024 * 10 + LISTENER_MAX * 65 + 32], notify[96];
	char *list[4];
	bool listen_pid;
};

static int version_env_fill(struct version_env *e, const struct service *svc, struct version_config *vc,
			    int preserve_fds, struct zrun_error *err)
{
	/* sd_listen_fds(3): LISTEN_FDS counts every fd passed from fd 3 on, as
	 * systemd counts its fd store and OpenFile= fds with the sockets. The
	 * --preserve-fds fds are 3..3+N-1 (runc's contract) and the listeners
	 * follow, so both are counted, and LISTEN_FDNAMES tells them apart:
	 * sd_listen_fds_with_names() finds a listener by its name. */
	int preserved = preserve_fds > 0 ? preserve_fds : 0;
	snprintf(e->fds, sizeof(e->fds), "LISTEN_FDS=%zu", (size_t)preserved + svc->n_listeners);
	size_t off = (size_t)snprintf(e->names, sizeof(e->names), "LISTEN_FDNAMES=");
	for (int i = 0; i < preserved && i < 1024; i++)
		off += (size_t)snprintf(e->names + off, sizeof(e->names) - off, "%spreserved", i ? ":" : "");
	for (size_t i = 0; i < svc->n_listeners && off < sizeof(e->names); i++)
		off += (size_t)snprintf(e->names + off, sizeof(e->names) - off, "%s%s",
					i || preserved ? ":" : "", svc->listeners[i].name);
	e->notify[0] = '\0';
	e->listen_pid = false;
	if (vc->probe.kind == PROBE_NOTIFY) {
		/* a new name at each create (a restart too): see probe_notify.c */
		if (probe_notify_new_name(vc->notify_socket, sizeof(vc->notify_socket), err) < 0)
			return -1;
		snprintf(e->notify, sizeof(e->notify), "NOTIFY_SOCKET=%s", vc->notify_socket);
	}
	char **l = e->list;
	if (!vc->intercept) { /* intercept: the program binds its own port and
			       * gets the shared socket there: no socket
			       * activation, or it would take fd 3 instead */
		*l++ = e->fds;
		*l++ = e->names;
		/* LISTEN_PID: the init adds it (container_create_opts.set_listen_pid) */
		e->listen_pid = true;
	}
	if (e->notify[0])
		*l++ = e->notify;
	*l = NULL;
	return 0;
}

/* A service holds at most SERVICE_VERSIONS_MAX versions, the size of the
 * supervisor's tables (capacity.h): one more is refused here, at its create,
 * not dropped later by the supervisor. id itself (a restart) is not counted. */
static int service_has_room(const char *root, const char *service, const char *id, struct zrun_error *err)
{
	char **ids;
	size_t n, others = 0;

	if (service_versions(root, service, &ids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		others += strcmp(ids[i], id) != 0;
	service_free_ids(ids, n);
	if (others >= SERVICE_VERSIONS_MAX)
		return zrun_error_set(err, 0, "service %s: has %zu versions, at most %d at once: delete one first",
				      service, others, SERVICE_VERSIONS_MAX);
	return 0;
}

/* A steered service: the version gets sockets of its own (fds[i] become
 * them; the service's are closed here, the supervisor keeps them). */
static int own_sockets(const struct service *svc, struct version_config *vc, bool first, int *fds,
		       struct zrun_error *err)
{
	int own[LISTENER_MAX];

	if (!svc->steered) {
		vc->n_steer = 0;
		return 0;
	}
	if (vc->intercept)
		return zrun_error_set(err, 0, "service %s steers connections to each version's own socket; --intercept "
				      "needs the shared socket (ZRUN_STEER=off when its first version is made)", svc->name);
	if (steer_service_join(svc, fds, vc, first, own, err) < 0)
		return zrun_error_prefix(err, "service %s", svc->name);
	for (size_t i = 0; i < svc->n_listeners; i++) {
		close(fds[i]);
		fds[i] = own[i];
	}
	return 0;
}

/* Creates the version with the caller's options plus the service's fds,
 * environment, log pipe and hooks, which live in this frame: they go in a
 * copy of the options, so none of them is left in the caller's (a pointer
 * into a dead stack frame, or to the freed state JSON). */
static int create_in_service(const struct container_create_opts *caller, struct version_config *vc,
			     const struct listener *ls, size_t nls, pid_t *pid,
			     struct zrun_error *err)
{
	struct container_create_opts opts = *caller;
	struct service svc = { 0 };
	int fds[LISTENER_MAX];
	struct version_env env;
	bool made;

	for (size_t i = 0; i < LISTENER_MAX; i++)
		fds[i] = -1;
	snprintf(svc.name, sizeof(svc.name), "%s", vc->service);
	int lock = service_lock(opts.root, svc.name, "service.lock", false, err);
	if (lock < 0)
		return -1;
	if (service_fds(opts.root, &svc, ls, nls, vc, fds, &made, err) < 0) {
		struct zrun_error ignored;
		/* the lock made the service dir: do not leave it for a service
		 * that was never made */
		if (!service_exists(opts.root, svc.name))
			service_remove(opts.root, svc.name, &ignored);
		close(lock);
		return zrun_error_prefix(err, "service %s", vc->service);
	}
	if ((!made && service_has_room(opts.root, svc.name, opts.id, err) < 0) ||
	    version_env_fill(&env, &svc, vc, opts.preserve_fds, err) < 0 || own_sockets(&svc, vc, made, fds, err) < 0) {
		for (size_t i = 0; i < svc.n_listeners; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		if (made)
			end_service_if_empty(opts.root, svc.name);
		close(lock);
		return -1;
	}
	/* A version made again from its record (restart, scale, restore) has
	 * no --systemd-cgroup of its own: the record says which driver. */
	opts.systemd_cgroup = opts.systemd_cgroup || vc->systemd_cgroup;
	vc->systemd_cgroup = opts.systemd_cgroup;
	char *state_json = version_config_json(vc);
	int stdio[3] = { -1, -1, -1 };
	struct version_hooks hooks = { .vc = vc, .root = opts.root, .svc = &svc, .id = opts.id };
	version_clear_stopping(opts.root, svc.name, opts.id);
	/* a version whose log the supervisor cannot take is refused: it would
	 * otherwise write to this zrun's stdout, or block on a full pipe */
	int r = 0;
	if (vc->group[0] && opts.stdio_fds == NULL && (r = log_pipe(opts.root, &svc, opts.id, stdio, err)) == 0)
		opts.stdio_fds = stdio;
	opts.extra_fds = fds;
	opts.extra_fds_len = vc->intercept ? 0 : (int)svc.n_listeners;
	opts.extra_env = env.list;
	opts.set_listen_pid = env.listen_pid;
	if (vc->intercept) {
		opts.seccomp_notify = give_notify_fd;
		opts.seccomp_notify_data = &hooks;
	}
	opts.extra_state_json = state_json;
	/* Under systemd each service's versions sit in a slice of their own,
	 * so `systemctl status zrun-NAME.slice` shows them together. */
	char slice[SERVICE_NAME_MAX + 16];
	if (opts.systemd_cgroup && opts.systemd_slice == NULL) {
		snprintf(slice, sizeof(slice), "zrun-%s.slice", svc.name);
		opts.systemd_slice = slice;
	}
	opts.adjust_spec = adjust_version_spec;
	opts.adjust_data = &hooks;
	/* a member before its state: a create killed between the two leaves
	 * a link to nothing, which no reader takes for a version */
	int member = r == 0 ? service_member_add(opts.root, svc.name, opts.id, err) : 0;
	if (member < 0)
		r = -1;
	if (r == 0)
		r = state_json ? container_create(&opts, pid, err) : zrun_error_set(err, ENOMEM, "state");
	if (r < 0 && member == 1)
		service_member_remove(opts.root, svc.name, opts.id);
	free(state_json);
	if (opts.stdio_fds == stdio) {
		if (stdio[0] >= 0)
			close(stdio[0]);
		close(stdio[1]);
	}
	for (size_t i = 0; i < svc.n_listeners; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (r < 0 && made)
		end_service_if_empty(opts.root, svc.name);
	close(lock);
	return r;
}

int version_create(const struct container_create_opts *opts, const struct version_opts *vo, pid_t *pid,
		   struct zrun_error *err)
{
	struct version_config vc;
	struct listener ls[LISTENER_MAX];
	size_t nls = 0;
	/* The id first, as runc: a bad id is the error, whatever the bundle. */
	if (state_validate_id(opts->id, err) < 0)
		return -1;
	struct spec *spec = spec_load_bundle(opts->bundle, err);
	if (spec == NULL)
		return -1;
	const char *service = setting(vo->service, spec, "zrun.service");
	/* Kubernetes gives a pod's annotations to its pause container too: that
	 * sandbox never serves, so it is never a version. */
	const char *ctype = spec_annotation(spec, "io.kubernetes.cri.container-type");
	if (vo->service == NULL && ctype && strcmp(ctype, "sandbox") == 0)
		service = NULL;
	if (service == NULL) {
		spec_free(spec);
		if (vo->n_listen || vo->probe || vo->intercept)
			return zrun_error_set(err, 0, "--listen, --probe and --intercept need --service NAME (or the zrun.service annotation)");
		return container_create(opts, pid, err);
	}
	int r = service_validate_name(service, err);
	if (r == 0)
		r = build_config(vo, spec, &vc, err);
	if (r == 0)
		r = collect_listeners(vo, spec, ls, &nls, err);
	spec_free(spec);
	if (r < 0)
		return -1;
	return create_in_service(opts, &vc, ls, nls, pid, err);
}

/* The service whose dir holds a stop mark of id (version_mark_stopping). */
static void service_of_stop_mark(const char *root, const char *id, char *service, size_t len)
{
	char dir[PATH_MAX], name[STATE_ID_MAX + 16];
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/.services", root);
	snprintf(name, sizeof(name), "stop-%s", id);
	DIR *d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		char path[PATH_MAX];
		if (de->d_name[0] != '.' && service_validate_name(de->d_name, NULL) == 0 &&
		    service_path(path, sizeof(path), root, de->d_name, name) == 0 && access(path, F_OK) == 0) {
			snprintf(service, len, "%s", de->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
}

int version_delete(const char *root, const char *id, bool force, struct zrun_error *err)
{
	struct container_state st;
	struct version_config vc;
	char service[SERVICE_NAME_MAX] = "";
	struct zrun_error ignored;

	if (state_validate_id(id, err) < 0)
		return -1;
	bool unreadable = false;
	if (state_read(root, id, &st, &ignored) == 0) {
		if (version_config_from_state(&st, &vc) == 0)
			snprintf(service, sizeof(service), "%s", vc.service);
		state_clear(&st);
	} else {
		unreadable = strstr(ignored.msg, "does not exist") == NULL;
		/* A delete of this version killed after its state went: its stop
		 * mark names the service, which this delete ends if it is empty. */
		service_of_stop_mark(root, id, service, sizeof(service));
	}
	if (service[0]) {
		version_mark_stopping(root, service, id);
		/* a steered service: out of the serving set before it goes (its
		 * socket closes with it, and a slot naming it would drop) */
		char *one[1] = { (char *)id };
		steer_service_unserve(root, service, one, 1, &ignored);
	}
	int r = container_delete(root, id, force, err);
	fault_point("version-delete-after-container");
	if (r < 0 && !service[0])
		return -1;
	if (service[0]) {
		int lock = service_lock(root, service, "service.lock", false, &ignored);
		if (r == 0)
			service_member_remove(root, service, id);
		/* its mark and all but the last replaced versions' logs go with
		 * it, or every swap leaves ~3 MiB of RAM (/run) and a file */
		logfiles_prune(root, service, LOGFILES_KEEP_REPLACED);
		end_service_if_empty(root, service);
		/* last: a delete killed before this finds the service by it */
		version_clear_stopping(root, service, id);
		if (lock >= 0)
			close(lock);
	} else if (unreadable) {
		end_empty_services(root);
	}
	return r;
}

int version_create_from(const char *root, const char *id, const char *bundle, const struct version_config *vc,
			const struct listener *ls, size_t nls, struct zrun_error *err)
{
	struct container_create_opts opts = { .root = root, .id = id, .bundle = bundle };
	struct version_config copy = *vc;
	pid_t pid;

	if (state_validate_id(id, err) < 0)
		return -1;
	return create_in_service(&opts, &copy, ls, nls, &pid, err);
}

/* The bundle a version is made again from still holds a config and its
 * rootfs: checked before the stopped version is deleted, so that a bundle
 * removed since the deploy leaves the version listed, stopped, with the
 * reason in the supervisor's record, not a service without any version. */
static int bundle_still_there(const char *bundle, struct zrun_error *err)
{
	char rootfs[PATH_MAX * 2];
	struct spec *spec = spec_load_bundle(bundle, err);

	if (spec == NULL)
		return -1;
	const char *path = spec->root.path ? spec->root.path : "rootfs";
	snprintf(rootfs, sizeof(rootfs), "%s%s%s", path[0] == '/' ? "" : bundle, path[0] == '/' ? "" : "/", path);
	spec_free(spec);
	if (access(rootfs, F_OK) < 0)
		return zrun_error_set(err, errno, "bundle %s: root %s", bundle, rootfs);
	return 0;
}

int version_recreate(const char *root, const char *id, const char *bundle, const struct version_config *vc,
		     struct zrun_error *err)
{
	/* Under service.lock from the delete to the new state: between the two
	 * a service whose only version this is has none, and a create or
	 * `service repair` would end it as an orphan. (create_in_service takes
	 * the lock again: a record lock of this process, so it does not wait.) */
	if (bundle_still_there(bundle, err) < 0)
		return -1;
	int lock = service_lock(root, vc->service, "service.lock", false, err);
	if (lock < 0)
		return -1;
	int r = container_delete(root, id, true, err);
	if (r == 0)
		r = version_create_from(root, id, bundle, vc, NULL, 0, err);
	close(lock);
	return r;
}

int version_load_live(const char *root, const char *id, struct version_config *vc, char *bundle, size_t len,
		      struct zrun_error *err)
{
	struct container_state st;

	if (version_load(root, id, &st, vc, err) < 0)
		return -1;
	snprintf(bundle, len, "%s", st.bundle);
	enum container_status s = state_live_status(root, &st);
	state_clear(&st);
	return (int)s;
}

int version_restart(const char *root, const char *id, struct zrun_error *err)
{
	struct version_config vc;
	char bundle[PATH_MAX];
	int s = version_load_live(root, id, &vc, bundle, sizeof(bundle), err);

	if (s < 0)
		return -1;
	if (s == STATUS_RUNNING)
		return zrun_error_set(err, 0, "%s is running", id);
	if (version_is_stopping(root, vc.service, id))
		return zrun_error_set(err, 0, "%s is being stopped by zrun: not restarted", id);
	/* container_delete, not version_delete: the service (its supervisor and
	 * listeners) must stay while its only version comes back. */
	if (version_recreate(root, id, bundle, &vc, err) < 0)
		return -1;
	return container_start(root, id, err);
}

void version_old_after_abort(const char *root, const char *id, char *buf, size_t len)
{
	struct container_state st;
	struct version_config vc;
	struct service svc;
	struct zrun_error ignored;
	int fds[LISTENER_MAX];

	if (version_load(root, id, &st, &vc, &ignored) < 0) {
		snprintf(buf, len, "%s was not signalled, but it is gone: no version serves the service", id);
		return;
	}
	enum container_status s = state_live_status(root, &st);
	state_clear(&st);
	if (s != STATUS_RUNNING) {
		snprintf(buf, len, "%s was not signalled, but it is %s (it exited by itself): no version serves the service",
			 id, state_status_name(s));
		return;
	}
	/* a version may have shut the shared listener down (the supervisor puts
	 * it back, listener_watch.c): say so rather than "serving" */
	if (service_load(root, vc.service, &svc, &ignored) == 0 && supervisor_peek(root, &svc, fds) == 0) {
		const char *down = NULL;
		for (size_t i = 0; i < svc.n_listeners; i++) {
			if (down == NULL && !listener_listening(fds[i]))
				down = svc.listeners[i].name;
			close(fds[i]);
		}
		if (down) {
			snprintf(buf, len, "%s was not signalled and runs, but listener %s is not listening", id, down);
			return;
		}
	}
	snprintf(buf, len, "%s keeps serving, untouched", id);
}
