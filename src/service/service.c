#include "service.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"

int service_validate_name(const char *name, struct zrun_error *err)
{
	size_t len = strlen(name);

	if (len == 0 || len >= SERVICE_NAME_MAX)
		return zrun_error_set(err, 0, "service name must be 1-%d characters", SERVICE_NAME_MAX - 1);
	if (name[0] == '.')
		return zrun_error_set(err, 0, "invalid service name \"%s\"", name);
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("_.-", *p) == NULL)
			return zrun_error_set(err, 0,
				"invalid service name \"%s\": only letters, digits and _.- are allowed", name);
	return 0;
}

int service_path(char *buf, size_t len, const char *root, const char *name, const char *file)
{
	int n = file ? snprintf(buf, len, "%s/.services/%s/%s", root, name, file)
		     : snprintf(buf, len, "%s/.services/%s", root, name);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static int ensure_dir(const char *root, const char *name, struct zrun_error *err)
{
	char path[PATH_MAX];

	if (state_create_root(root, err) < 0)
		return -1;
	/* Twice: service_remove of another service may rmdir an empty
	 * .services between the two mkdirs. */
	for (int tries = 0;; tries++) {
		snprintf(path, sizeof(path), "%s/.services", root);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return zrun_error_set(err, errno, "create %s", path);
		service_path(path, sizeof(path), root, name, NULL);
		if (mkdir(path, 0700) == 0 || errno == EEXIST)
			return 0;
		if (errno != ENOENT || tries > 0)
			return zrun_error_set(err, errno, "create %s", path);
	}
}

bool service_exists(const char *root, const char *name)
{
	char path[PATH_MAX];

	return service_path(path, sizeof(path), root, name, "service.json") == 0 && access(path, F_OK) == 0;
}

int service_save(const char *root, const struct service *svc, struct zrun_error *err)
{
	struct json_writer w;
	char path[PATH_MAX], item[700];

	if (ensure_dir(root, svc->name, err) < 0)
		return -1;
	json_w_init(&w, false);
	json_w_object_begin(&w);
	json_w_key(&w, "name");
	json_w_string(&w, svc->name);
	json_w_key(&w, "listeners");
	json_w_array_begin(&w);
	for (size_t i = 0; i < svc->n_listeners; i++) {
		snprintf(item, sizeof(item), "%s=%s", svc->listeners[i].name, svc->listeners[i].url);
		json_w_string(&w, item);
	}
	json_w_array_end(&w);
	json_w_key(&w, "supervisor_pid");
	json_w_int(&w, svc->supervisor_pid);
	json_w_key(&w, "supervisor_start_time");
	json_w_uint(&w, svc->supervisor_start_time);
	json_w_key(&w, "current");
	json_w_string(&w, svc->current);
	json_w_key(&w, "previous");
	json_w_string(&w, svc->previous);
	json_w_key(&w, "seq");
	json_w_uint(&w, svc->seq);
	json_w_key(&w, "replicas");
	json_w_int(&w, svc->replicas);
	json_w_key(&w, "zrun_path");
	json_w_string(&w, svc->zrun_path);
	json_w_key(&w, "connections");
	json_w_string(&w, svc->steered ? "steered" : "shared");
	json_w_key(&w, "connections_why");
	json_w_string(&w, svc->steer_why);
	if (svc->steered) {
		json_w_key(&w, "steer_maps");
		json_w_array_begin(&w);
		for (size_t i = 0; i < svc->n_listeners; i++)
			for (size_t k = 0; k < STEER_MAPS; k++)
				json_w_uint(&w, svc->steer_maps[i][k]);
		json_w_array_end(&w);
	}
	json_w_object_end(&w);
	char *json = json_w_finish(&w);
	if (json == NULL)
		return zrun_error_set(err, ENOMEM, "service %s", svc->name);
	service_path(path, sizeof(path), root, svc->name, "service.json");
	int r = state_write_file(path, json, strlen(json), 0600, false, NULL, err);
	free(json);
	return r;
}

/* How connections reach the versions; a record of an older zrun (no
 * "connections") is a shared socket. */
static void load_steering(struct json_ctx *c, yajl_val tree, struct service *svc, size_t n_listeners)
{
	char *s = NULL;
	yajl_val maps = NULL;

	snprintf(svc->steer_why, sizeof(svc->steer_why), "the service was made by an older zrun");
	if (json_get_string(c, tree, "connections", &s) == 1)
		svc->steered = strcmp(s, "steered") == 0;
	free(s);
	s = NULL;
	if (json_get_string(c, tree, "connections_why", &s) == 1)
		snprintf(svc->steer_why, sizeof(svc->steer_why), "%s", s);
	free(s);
	if (!svc->steered || json_get_array(c, tree, "steer_maps", &maps) != 1 ||
	    n_listeners > LISTENER_MAX || maps->u.array.len != n_listeners * STEER_MAPS) {
		svc->steered = false;
		return;
	}
	for (size_t i = 0; i < maps->u.array.len; i++) {
		uint64_t id = 0;
		if (json_val_uint(c, maps->u.array.values[i], UINT32_MAX, &id) < 0) {
			svc->steered = false;
			return;
		}
		svc->steer_maps[i / STEER_MAPS][i % STEER_MAPS] = (uint32_t)id;
	}
}

/* Optional fields (zrun deploy's): absent in services made by create. */
static void load_deploy_record(struct json_ctx *c, yajl_val tree, struct service *svc)
{
	char *s = NULL;
	uint64_t u = 0;
	int64_t n = 0;

	if (json_get_string(c, tree, "current", &s) == 1)
		snprintf(svc->current, sizeof(svc->current), "%s", s);
	free(s);
	s = NULL;
	if (json_get_string(c, tree, "previous", &s) == 1)
		snprintf(svc->previous, sizeof(svc->previous), "%s", s);
	free(s);
	s = NULL;
	if (json_get_string(c, tree, "zrun_path", &s) == 1)
		snprintf(svc->zrun_path, sizeof(svc->zrun_path), "%s", s);
	free(s);
	if (json_get_uint(c, tree, "seq", UINT32_MAX, &u) == 1)
		svc->seq = (unsigned long)u;
	if (json_get_int(c, tree, "replicas", 0, 1000, &n) == 1)
		svc->replicas = (int)n;
}

int service_load(const char *root, const char *name, struct service *svc, struct zrun_error *err)
{
	char path[PATH_MAX];
	char *buf = NULL, **urls = NULL;
	size_t len;
	int64_t pid = 0;
	uint64_t start = 0;

	memset(svc, 0, sizeof(*svc));
	if (service_validate_name(name, err) < 0)
		return -1;
	if (!service_exists(root, name))
		return zrun_error_set(err, 0, "service %s does not exist", name);
	service_path(path, sizeof(path), root, name, "service.json");
	if (json_read_file(path, 64 * 1024, &buf, &len, err) < 0)
		return -1;
	yajl_val tree = json_parse(buf, len, 64 * 1024, 8, path, err);
	free(buf);
	if (tree == NULL)
		return -1;
	struct json_ctx c;
	json_ctx_init(&c, path, err);
	int r = json_get_strv(&c, tree, "listeners", &urls);
	if (r >= 0)
		r = json_get_int(&c, tree, "supervisor_pid", 0, INT32_MAX, &pid);
	if (r >= 0)
		r = json_get_uint(&c, tree, "supervisor_start_time", UINT64_MAX, &start);
	if (r >= 0)
		load_deploy_record(&c, tree, svc);
	if (r >= 0) {
		size_t n = 0;
		while (urls && urls[n])
			n++;
		load_steering(&c, tree, svc, n);
	}
	yajl_tree_free(tree);
	if (r < 0) {
		json_strv_free(urls);
		return -1;
	}
	snprintf(svc->name, sizeof(svc->name), "%s", name);
	svc->supervisor_pid = (pid_t)pid;
	svc->supervisor_start_time = start;
	for (size_t i = 0; urls && urls[i] && i < LISTENER_MAX; i++) {
		if (listener_parse(urls[i], (int)i, &svc->listeners[i], err) < 0) {
			json_strv_free(urls);
			return zrun_error_prefix(err, "%s", path);
		}
		svc->n_listeners++;
	}
	json_strv_free(urls);
	return 0;
}

/* Everything in the service dir: the records, locks, socket, stop
 * markers, the supervisor's record and logs/ (one level down). */
static int remove_dir_files(const char *dir)
{
	char path[PATH_MAX + 512];
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (unlink(path) < 0 && (errno == EISDIR || errno == EPERM)) {
			DIR *sub = opendir(path);
			struct dirent *se;
			char file[sizeof(path) + 260];
			while (sub && (se = readdir(sub)) != NULL)
				if (se->d_name[0] != '.' || (strcmp(se->d_name, ".") && strcmp(se->d_name, "..")))
					if (snprintf(file, sizeof(file), "%s/%s", path, se->d_name) < (int)sizeof(file))
						unlink(file);
			if (sub)
				closedir(sub);
			rmdir(path);
		}
	}
	if (d)
		closedir(d);
	return rmdir(dir);
}

void service_clear(const char *root, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX + 260];
	struct dirent *de;

	service_path(dir, sizeof(dir), root, name, NULL);
	DIR *d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || (len > 5 && strcmp(de->d_name + len - 5, ".lock") == 0))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path))
			unlink(path);
	}
	if (d)
		closedir(d);
}

int service_remove(const char *root, const char *name, struct zrun_error *err)
{
	char dir[PATH_MAX];

	service_path(dir, sizeof(dir), root, name, NULL);
	if (remove_dir_files(dir) < 0 && errno != ENOENT)
		return zrun_error_set(err, errno, "remove %s", dir);
	/* The last service gone: no empty .services left under --root. */
	snprintf(dir, sizeof(dir), "%s/.services", root);
	rmdir(dir);
	return 0;
}

/* A POSIX record lock, not flock: a version's init is forked by create
 * while the lock is held and keeps create's fds until it execs (at
 * `zrun start`), and a flock would stay taken through that inherited open
 * file for as long as the version is only created. Record locks belong to
 * the process and are not inherited by fork. */
int service_lock(const char *root, const char *name, const char *file, bool nonblock,
		 struct zrun_error *err)
{
	char path[PATH_MAX];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (ensure_dir(root, name, err) < 0)
		return -1;
	service_path(path, sizeof(path), root, name, file);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return zrun_error_set(err, errno, "open %s", path);
	while (fcntl(fd, nonblock ? F_SETLK : F_SETLKW, &fl) < 0) {
		int e = errno;
		if (e == EINTR)
			continue;
		close(fd);
		if (e == EAGAIN || e == EACCES)
			return -2;
		return zrun_error_set(err, e, "lock %s", path);
	}
	return fd;
}

int service_versions(const char *root, const char *name, char ***ids, size_t *n, struct zrun_error *err)
{
	char **all;
	size_t nall;

	*ids = NULL;
	*n = 0;
	if (state_list(root, &all, &nall, err) < 0)
		return -1;
	*ids = calloc(nall + 1, sizeof(char *));
	for (size_t i = 0; i < nall; i++) {
		struct container_state st;
		struct version_config vc;
		struct zrun_error ignored;
		if (*ids && state_read(root, all[i], &st, &ignored) == 0) {
			if (version_config_from_state(&st, &vc) == 0 && strcmp(vc.service, name) == 0) {
				/* the list is handed over whole or not at all */
				if (((*ids)[*n] = strdup(all[i])) == NULL) {
					service_free_ids(*ids, *n);
					*ids = NULL;
				} else {
					(*n)++;
				}
			}
			state_clear(&st);
		}
		free(all[i]);
	}
	free(all);
	if (*ids == NULL)
		*n = 0;
	return *ids ? 0 : zrun_error_set(err, ENOMEM, "versions of %s", name);
}

void service_free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

void version_config_defaults(struct version_config *vc)
{
	memset(vc, 0, sizeof(*vc));
	/* Kubernetes' readiness probe defaults. */
	vc->probe.kind = PROBE_ACCEPTING;
	vc->probe.initial_delay_ms = 0;
	vc->probe.period_ms = 10000;
	vc->probe.timeout_ms = 1000;
	vc->probe.success_threshold = 1;
	vc->probe.failure_threshold = 3;
	vc->stop_signal = SIGTERM;
	vc->grace_period_ms = 30000;
	for (size_t i = 0; i < LISTENER_MAX; i++)
		vc->steer_index[i] = -1;
}

static const char *const kind_names[] = { "accepting", "http", "tcp", "exec", "notify" };

const char *probe_kind_name(enum probe_kind k)
{
	return kind_names[k];
}

char *version_config_json(const struct version_config *vc)
{
	struct json_writer w;

	json_w_init(&w, false);
	json_w_object_begin(&w);
	json_w_key(&w, "service");
	json_w_string(&w, vc->service);
	json_w_key(&w, "probe");
	json_w_string(&w, kind_names[vc->probe.kind]);
	json_w_key(&w, "probe_target");
	json_w_string(&w, vc->probe.target);
	json_w_key(&w, "initial_delay_ms");
	json_w_int(&w, vc->probe.initial_delay_ms);
	json_w_key(&w, "period_ms");
	json_w_int(&w, vc->probe.period_ms);
	json_w_key(&w, "timeout_ms");
	json_w_int(&w, vc->probe.timeout_ms);
	json_w_key(&w, "success_threshold");
	json_w_int(&w, vc->probe.success_threshold);
	json_w_key(&w, "failure_threshold");
	json_w_int(&w, vc->probe.failure_threshold);
	json_w_key(&w, "stop_signal");
	json_w_int(&w, vc->stop_signal);
	json_w_key(&w, "grace_period_ms");
	json_w_int(&w, vc->grace_period_ms);
	json_w_key(&w, "own_netns");
	json_w_bool(&w, vc->own_netns);
	json_w_key(&w, "intercept");
	json_w_bool(&w, vc->intercept);
	json_w_key(&w, "group");
	json_w_string(&w, vc->group);
	json_w_key(&w, "restart");
	json_w_int(&w, vc->restart);
	json_w_key(&w, "restart_max");
	json_w_int(&w, vc->restart_max);
	json_w_key(&w, "notify_socket");
	json_w_string(&w, vc->notify_socket);
	if (vc->n_steer > 0) {
		json_w_key(&w, "steer_index");
		json_w_array_begin(&w);
		for (int i = 0; i < vc->n_steer; i++)
			json_w_int(&w, vc->steer_index[i]);
		json_w_array_end(&w);
		json_w_key(&w, "steer_inode");
		json_w_array_begin(&w);
		for (int i = 0; i < vc->n_steer; i++)
			json_w_uint(&w, vc->steer_inode[i]);
		json_w_array_end(&w);
	}
	json_w_object_end(&w);
	return json_w_finish(&w);
}

static int get_long(struct json_ctx *c, yajl_val t, const char *key, long *out)
{
	int64_t v;
	int r = json_get_int(c, t, key, 0, INT32_MAX, &v);
	if (r == 1)
		*out = (long)v;
	return r;
}

/* A version's own sockets (a steered service's): both arrays, of one
 * length, or none. */
static void load_version_steering(struct json_ctx *c, yajl_val t, struct version_config *vc)
{
	yajl_val index = NULL, inode = NULL;

	if (json_get_array(c, t, "steer_index", &index) != 1 || json_get_array(c, t, "steer_inode", &inode) != 1 ||
	    index->u.array.len != inode->u.array.len || index->u.array.len > LISTENER_MAX)
		return;
	for (size_t i = 0; i < index->u.array.len; i++) {
		int64_t x;
		uint64_t ino;
		if (json_val_int(c, index->u.array.values[i], -1, STEER_SOCKS_MAX - 1, &x) < 0 ||
		    json_val_uint(c, inode->u.array.values[i], UINT64_MAX, &ino) < 0)
			return;
		vc->steer_index[i] = (int)x;
		vc->steer_inode[i] = (unsigned long)ino;
	}
	vc->n_steer = (int)index->u.array.len;
}

int version_config_from_state(const struct container_state *st, struct version_config *vc)
{
	struct zrun_error err;
	struct json_ctx c;
	char *service = NULL, *kind = NULL, *target = NULL, *group = NULL, *notify = NULL;
	long n;

	version_config_defaults(vc);
	if (st->extra_json == NULL)
		return -1;
	yajl_val t = json_parse(st->extra_json, strlen(st->extra_json), 64 * 1024, 8, "state", &err);
	if (t == NULL)
		return -1;
	json_ctx_init(&c, "state", &err);
	int r = json_get_string(&c, t, "service", &service);
	if (r == 1) {
		snprintf(vc->service, sizeof(vc->service), "%s", service);
		if (json_get_string(&c, t, "probe", &kind) == 1)
			for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
				if (strcmp(kind, kind_names[i]) == 0)
					vc->probe.kind = (enum probe_kind)i;
		if (json_get_string(&c, t, "probe_target", &target) == 1)
			snprintf(vc->probe.target, sizeof(vc->probe.target), "%s", target);
		get_long(&c, t, "initial_delay_ms", &vc->probe.initial_delay_ms);
		get_long(&c, t, "period_ms", &vc->probe.period_ms);
		get_long(&c, t, "timeout_ms", &vc->probe.timeout_ms);
		if (get_long(&c, t, "success_threshold", &n) == 1)
			vc->probe.success_threshold = (int)n;
		if (get_long(&c, t, "failure_threshold", &n) == 1)
			vc->probe.failure_threshold = (int)n;
		if (get_long(&c, t, "stop_signal", &n) == 1)
			vc->stop_signal = (int)n;
		get_long(&c, t, "grace_period_ms", &vc->grace_period_ms);
		json_get_bool(&c, t, "own_netns", &vc->own_netns);
		json_get_bool(&c, t, "intercept", &vc->intercept);
		if (json_get_string(&c, t, "group", &group) == 1)
			snprintf(vc->group, sizeof(vc->group), "%s", group);
		if (get_long(&c, t, "restart", &n) == 1 && n <= RESTART_ALWAYS)
			vc->restart = (enum restart_policy)n;
		if (get_long(&c, t, "restart_max", &n) == 1)
			vc->restart_max = (int)n;
		if (json_get_string(&c, t, "notify_socket", &notify) == 1 && strlen(notify) < sizeof(vc->notify_socket))
			snprintf(vc->notify_socket, sizeof(vc->notify_socket), "%s", notify);
	}
	if (r == 1)
		load_version_steering(&c, t, vc);
	free(notify);
	free(group);
	free(service);
	free(kind);
	free(target);
	yajl_tree_free(t);
	return r == 1 ? 0 : -1;
}

int duration_parse(const char *s, long *ms)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0' || *s == '-')
		return -1;
	v = strtod(s, &end);
	if (end == s)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		v *= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60000;
	else if (strcmp(end, "h") == 0)
		v *= 3600000;
	else if (strcmp(end, "ms") != 0)
		return -1;
	/* Written so that NaN ("nan", "nanms") fails too: converting it to
	 * long is undefined (found by tests/fuzz/fuzz_probe_spec). */
	if (!(v >= 0 && v <= 86400000.0 * 7))
		return -1;
	*ms = (long)v;
	return 0;
}

int probe_parse(const char *spec, struct probe_spec *p, struct zrun_error *err)
{
	if (strcmp(spec, "accepting") == 0) {
		p->kind = PROBE_ACCEPTING;
	} else if (strcmp(spec, "tcp") == 0) {
		p->kind = PROBE_TCP;
	} else if (strcmp(spec, "notify") == 0) {
		p->kind = PROBE_NOTIFY;
	} else if (strcmp(spec, "http") == 0 || strncmp(spec, "http:", 5) == 0) {
		p->kind = PROBE_HTTP;
		const char *path = spec[4] == ':' ? spec + 5 : "/";
		if (path[0] != '/' || strlen(path) >= sizeof(p->target) || strpbrk(path, " \r\n"))
			return zrun_error_set(err, 0, "--probe %s: http:PATH needs a path starting with /", spec);
		snprintf(p->target, sizeof(p->target), "%s", path);
	} else if (strncmp(spec, "exec:", 5) == 0 && spec[5] != '\0') {
		p->kind = PROBE_EXEC;
		if (strlen(spec + 5) >= sizeof(p->target))
			return zrun_error_set(err, 0, "--probe %s: command too long", spec);
		snprintf(p->target, sizeof(p->target), "%s", spec + 5);
	} else {
		return zrun_error_set(err, 0,
			"--probe %s: expected accepting, http[:PATH], tcp, exec:COMMAND or notify", spec);
	}
	return 0;
}

int restart_parse(const char *spec, enum restart_policy *policy, int *max, struct zrun_error *err)
{
	char *end;

	*max = 0;
	if (strcmp(spec, "no") == 0) {
		*policy = RESTART_NO;
	} else if (strcmp(spec, "always") == 0) {
		*policy = RESTART_ALWAYS;
	} else if (strcmp(spec, "on-failure") == 0) {
		*policy = RESTART_ON_FAILURE;
	} else if (strncmp(spec, "on-failure:", 11) == 0) {
		long v = strtol(spec + 11, &end, 10);
		if (spec[11] == '\0' || *end != '\0' || v < 1 || v > 1000000)
			return zrun_error_set(err, 0, "--restart %s: MAX must be a whole number from 1", spec);
		*policy = RESTART_ON_FAILURE;
		*max = (int)v;
	} else {
		return zrun_error_set(err, 0, "--restart \"%s\": expected no, on-failure[:MAX] or always", spec);
	}
	return 0;
}

const char *restart_format(enum restart_policy policy, int max, char *buf, size_t len)
{
	if (policy == RESTART_ON_FAILURE && max > 0)
		snprintf(buf, len, "on-failure:%d", max);
	else
		snprintf(buf, len, "%s", policy == RESTART_NO ? "no" : policy == RESTART_ALWAYS ? "always" : "on-failure");
	return buf;
}

const char *version_group(const struct version_config *vc, const char *id)
{
	return vc->group[0] ? vc->group : id;
}
