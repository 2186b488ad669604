#include "service.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capacity.h"
#include "json.h"
#include "record.h"

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

static const char *const kind_names[] = { "accepting", "http", "tcp", "exec", "notify", NULL };

/* A steered service's version: its own socket of each listener's group as
 * [index, inode, cookie]; null for the rest (and in the deploy settings,
 * which never carry a version's sockets). */
static void write_version_steer(struct json_writer *w, const void *obj)
{
	const struct version_config *vc = obj;

	if (vc->n_steer <= 0) {
		json_w_null(w);
		return;
	}
	json_w_array_begin(w);
	for (int i = 0; i < vc->n_steer; i++) {
		json_w_array_begin(w);
		json_w_int(w, vc->steer_index[i]);
		json_w_uint(w, vc->steer_inode[i]);
		json_w_uint(w, vc->steer_cookie[i]);
		json_w_array_end(w);
	}
	json_w_array_end(w);
}

static int read_version_steer(struct json_ctx *c, yajl_val v, void *obj)
{
	struct version_config *vc = obj;

	if (!YAJL_IS_ARRAY(v) || v->u.array.len > LISTENER_MAX)
		return json_fail(c, "expected at most %d [index, inode, cookie]", LISTENER_MAX);
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val one = v->u.array.values[i];
		int64_t index;
		uint64_t inode, cookie;
		if (!YAJL_IS_ARRAY(one) || one->u.array.len != 3)
			return json_fail(c, "expected [index, inode, cookie] per listener");
		if (json_val_int(c, one->u.array.values[0], -1, STEER_SOCKS_MAX - 1, &index) < 0 ||
		    json_val_uint(c, one->u.array.values[1], UINT64_MAX, &inode) < 0 ||
		    json_val_uint(c, one->u.array.values[2], UINT64_MAX, &cookie) < 0)
			return -1;
		vc->steer_index[i] = (int)index;
		vc->steer_inode[i] = (unsigned long)inode;
		vc->steer_cookie[i] = cookie;
	}
	vc->n_steer = (int)v->u.array.len;
	return 0;
}

/* The "zrun" object of a version's state, and the settings deploy keeps in
 * service.json: one description for both directions. */
static const struct record_field version_fields[] = {
	REC_FIELD_STRING(struct version_config, service, "service"),
	{ .key = "probe", .type = REC_ENUM, .offset = offsetof(struct version_config, probe.kind), .names = kind_names },
	REC_FIELD_STRING(struct version_config, probe.target, "probe_target"),
	REC_FIELD_LONG(struct version_config, probe.initial_delay_ms, "initial_delay_ms", 0, INT32_MAX),
	REC_FIELD_LONG(struct version_config, probe.period_ms, "period_ms", 0, INT32_MAX),
	REC_FIELD_LONG(struct version_config, probe.timeout_ms, "timeout_ms", 0, INT32_MAX),
	REC_FIELD_INT(struct version_config, probe.success_threshold, "success_threshold", 0, INT32_MAX),
	REC_FIELD_INT(struct version_config, probe.failure_threshold, "failure_threshold", 0, INT32_MAX),
	REC_FIELD_INT(struct version_config, stop_signal, "stop_signal", 0, 64),
	REC_FIELD_LONG(struct version_config, grace_period_ms, "grace_period_ms", 0, INT32_MAX),
	REC_FIELD_BOOL(struct version_config, own_netns, "own_netns"),
	REC_FIELD_BOOL(struct version_config, intercept, "intercept"),
	REC_FIELD_STRING(struct version_config, group, "group"),
	REC_FIELD_INT(struct version_config, restart, "restart", RESTART_NO, RESTART_ALWAYS),
	REC_FIELD_INT(struct version_config, restart_max, "restart_max", 0, INT32_MAX),
	REC_FIELD_STRING(struct version_config, notify_socket, "notify_socket"),
	REC_FIELD_BOOL(struct version_config, systemd_cgroup, "systemd_cgroup"),
	{ .key = "steer", .type = REC_CUSTOM, .write = write_version_steer, .read = read_version_steer },
	{ 0 },
};

/* listeners: ["NAME=URL", ...] */
static void write_listeners(struct json_writer *w, const void *obj)
{
	const struct service *svc = obj;
	char item[700];

	json_w_array_begin(w);
	for (size_t i = 0; i < svc->n_listeners; i++) {
		snprintf(item, sizeof(item), "%s=%s", svc->listeners[i].name, svc->listeners[i].url);
		json_w_string(w, item);
	}
	json_w_array_end(w);
}

static int read_listeners(struct json_ctx *c, yajl_val v, void *obj)
{
	struct service *svc = obj;
	char **urls = NULL;

	if (json_val_strv(c, v, &urls) < 0)
		return -1;
	svc->n_listeners = 0;
	for (size_t i = 0; urls[i]; i++) {
		if (i == LISTENER_MAX || listener_parse(urls[i], (int)i, &svc->listeners[i], c->err) < 0) {
			json_strv_free(urls);
			return i == LISTENER_MAX ? json_fail(c, "more than %d listeners", LISTENER_MAX)
						 : zrun_error_prefix(c->err, "%s", c->origin);
		}
		svc->n_listeners++;
	}
	json_strv_free(urls);
	return 0;
}

/* connections: "steered" or "shared"; a record of an older zrun has none
 * (service_load's default: shared) */
static void write_connections(struct json_writer *w, const void *obj)
{
	json_w_string(w, ((const struct service *)obj)->steered ? "steered" : "shared");
}

static int read_connections(struct json_ctx *c, yajl_val v, void *obj)
{
	struct service *svc = obj;
	char *s = NULL;

	if (json_val_string(c, v, &s) < 0)
		return -1;
	svc->steered = strcmp(s, "steered") == 0;
	free(s);
	return 0;
}

/* steer_maps: a steered service's maps by id, STEER_MAPS per listener, in
 * the listeners' order (the program is held by the group, the maps by the
 * program: ids, no bpffs pin) */
static void write_steer_maps(struct json_writer *w, const void *obj)
{
	const struct service *svc = obj;

	if (!svc->steered) {
		json_w_null(w);
		return;
	}
	json_w_array_begin(w);
	for (size_t i = 0; i < svc->n_listeners; i++)
		for (size_t k = 0; k < STEER_MAPS; k++)
			json_w_uint(w, svc->steer_maps[i][k]);
	json_w_array_end(w);
}

static int read_steer_maps(struct json_ctx *c, yajl_val v, void *obj)
{
	struct service *svc = obj;

	/* "listeners" comes first in the table: their count is known */
	if (!YAJL_IS_ARRAY(v) || v->u.array.len != svc->n_listeners * STEER_MAPS)
		return json_fail(c, "expected %d map ids per listener", STEER_MAPS);
	for (size_t i = 0; i < v->u.array.len; i++) {
		uint64_t id;
		if (json_val_uint(c, v->u.array.values[i], UINT32_MAX, &id) < 0)
			return -1;
		svc->steer_maps[i / STEER_MAPS][i % STEER_MAPS] = (uint32_t)id;
	}
	return 0;
}

/* service.json. The deploy record (current ... settings) is absent in
 * services made by create alone, and in those of an older zrun: reading
 * keeps the zeroes then. */
static const struct record_field service_fields[] = {
	REC_FIELD_STRING(struct service, name, "name"),
	{ .key = "listeners", .type = REC_CUSTOM, .write = write_listeners, .read = read_listeners },
	REC_FIELD_INT(struct service, supervisor_pid, "supervisor_pid", 0, INT32_MAX),
	{ .key = "supervisor_start_time", .type = REC_U64, .offset = offsetof(struct service, supervisor_start_time) },
	REC_FIELD_STRING(struct service, current, "current"),
	REC_FIELD_STRING(struct service, previous, "previous"),
	{ .key = "seq", .type = REC_ULONG, .offset = offsetof(struct service, seq), .max = UINT32_MAX },
	REC_FIELD_INT(struct service, replicas, "replicas", 0, 1000),
	REC_FIELD_STRING(struct service, zrun_path, "zrun_path"),
	{ .key = "connections", .type = REC_CUSTOM, .write = write_connections, .read = read_connections },
	REC_FIELD_STRING(struct service, steer_why, "connections_why"),
	{ .key = "steer_maps", .type = REC_CUSTOM, .write = write_steer_maps, .read = read_steer_maps },
	REC_FIELD_BOOL(struct service, keep_old, "keep_old"),
	REC_FIELD_LONG(struct service, timeout_ms, "timeout_ms", 0, INT32_MAX),
	REC_FIELD_INT(struct service, max_starting, "max_starting", 0, DEPLOY_REPLICAS_MAX),
	{ .key = "settings", .type = REC_OBJECT, .offset = offsetof(struct service, settings), .fields = version_fields },
	{ 0 },
};

int service_save(const char *root, const struct service *svc, struct zrun_error *err)
{
	struct json_writer w;
	char path[PATH_MAX];

	if (ensure_dir(root, svc->name, err) < 0)
		return -1;
	json_w_init(&w, false);
	record_write(&w, service_fields, svc);
	char *json = json_w_finish(&w);
	if (json == NULL)
		return zrun_error_set(err, ENOMEM, "service %s", svc->name);
	service_path(path, sizeof(path), root, svc->name, "service.json");
	int r = state_write_file(path, json, strlen(json), 0600, false, NULL, err);
	free(json);
	return r;
}

int service_load(const char *root, const char *name, struct service *svc, struct zrun_error *err)
{
	char path[PATH_MAX];
	char *buf = NULL;
	size_t len;

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
	snprintf(svc->steer_why, sizeof(svc->steer_why), "the service was made by an older zrun");
	int r = record_read(&c, tree, service_fields, svc);
	/* steered with no maps named: the group can not be reached, so shared */
	for (size_t i = 0; r == 0 && svc->steered && i < svc->n_listeners; i++)
		for (size_t k = 0; k < STEER_MAPS; k++)
			if (svc->steer_maps[i][k] == 0)
				svc->steered = false;
	yajl_tree_free(tree);
	if (r < 0)
		return -1;
	/* the dir names the service, whatever the file says */
	snprintf(svc->name, sizeof(svc->name), "%s", name);
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

	for (int tries = 0;; tries++) {
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
		/* The holder waited for may have ended the service meanwhile
		 * (service_remove unlinks the lock files with the dir): a lock
		 * on that unlinked file excludes no one, and the dir is gone
		 * (a create then failed making its members dir). Lock the file
		 * the path names now. */
		struct stat held, named;
		if (fstat(fd, &held) == 0 && stat(path, &named) == 0 && held.st_ino == named.st_ino &&
		    held.st_dev == named.st_dev)
			return fd;
		close(fd);
		if (tries >= 100)
			return zrun_error_set(err, 0, "lock %s: the service was removed under it 100 times", path);
	}
}

int service_members_init(const char *root, const char *name, struct zrun_error *err)
{
	char path[PATH_MAX];

	if (service_path(path, sizeof(path), root, name, "members") < 0)
		return zrun_error_set(err, ENAMETOOLONG, "service %s: members dir", name);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return zrun_error_set(err, errno, "create %s", path);
	return 0;
}

int service_member_add(const char *root, const char *name, const char *id, struct zrun_error *err)
{
	char path[PATH_MAX], target[PATH_MAX];

	if (service_path(path, sizeof(path), root, name, "members") < 0 ||
	    snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", id) >= (int)(sizeof(path) - strlen(path)))
		return zrun_error_set(err, ENAMETOOLONG, "service %s: member %s", name, id);
	snprintf(target, sizeof(target), "../../../%s", id);
	if (symlink(target, path) == 0)
		return 1;
	if (errno == EEXIST || errno == ENOENT)  /* ENOENT: an older service, no members dir */
		return 0;
	return zrun_error_set(err, errno, "create %s", path);
}

void service_member_remove(const char *root, const char *name, const char *id)
{
	char path[PATH_MAX];

	if (service_path(path, sizeof(path), root, name, "members") == 0 &&
	    snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", id) < (int)(sizeof(path) - strlen(path)))
		unlink(path);
}

/* The ids to read for service name: its members (state_list follows each
 * link to ROOT/ID/state.json), or every container under root. */
static int candidate_ids(const char *root, const char *name, char ***all, size_t *nall, struct zrun_error *err)
{
	char members[PATH_MAX];

	if (name != NULL && service_path(members, sizeof(members), root, name, "members") == 0 &&
	    access(members, F_OK) == 0)
		return state_list(members, all, nall, err);
	return state_list(root, all, nall, err);
}

int service_versions_read(const char *root, const char *name, struct service_version **out,
			  size_t *n, struct zrun_error *err)
{
	char **all;
	size_t nall;
	struct service_version *v;

	*out = NULL;
	*n = 0;
	if (candidate_ids(root, name, &all, &nall, err) < 0)
		return -1;
	v = calloc(nall + 1, sizeof(*v));
	for (size_t i = 0; i < nall; i++) {
		struct zrun_error ignored;
		/* Each state read once, whatever the number of services: the
		 * caller groups them (service list read all N states per
		 * service, N x N). A member is checked against its state. */
		if (v != NULL && state_read(root, all[i], &v[*n].st, &ignored) == 0) {
			if (version_config_from_state(&v[*n].st, &v[*n].vc) == 0 &&
			    (name == NULL || strcmp(v[*n].vc.service, name) == 0)) {
				v[*n].id = all[i];
				all[i] = NULL;
				(*n)++;
			} else {
				state_clear(&v[*n].st);
			}
		}
		free(all[i]);
	}
	free(all);
	if (v == NULL) {
		*n = 0;
		return zrun_error_set(err, ENOMEM, "versions of %s", name != NULL ? name : "services");
	}
	*out = v;
	return 0;
}

void service_versions_free(struct service_version *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].id);
		state_clear(&v[i].st);
	}
	free(v);
}

int service_versions(const char *root, const char *name, char ***ids, size_t *n, struct zrun_error *err)
{
	struct service_version *v;
	size_t nv;

	*ids = NULL;
	*n = 0;
	if (service_versions_read(root, name, &v, &nv, err) < 0)
		return -1;
	*ids = calloc(nv + 1, sizeof(char *));
	if (*ids == NULL) {
		service_versions_free(v, nv);
		return zrun_error_set(err, ENOMEM, "versions of %s", name);
	}
	for (size_t i = 0; i < nv; i++) {
		(*ids)[i] = v[i].id; /* handed over */
		v[i].id = NULL;
	}
	*n = nv;
	service_versions_free(v, nv);
	return 0;
}

void service_free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

void version_config_settings(struct version_config *settings, const struct version_config *vc)
{
	*settings = *vc;
	settings->group[0] = '\0';
	settings->notify_socket[0] = '\0';
	settings->n_steer = 0;
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
}

const char *probe_kind_name(enum probe_kind k)
{
	return kind_names[k];
}

char *version_config_json(const struct version_config *vc)
{
	struct json_writer w;

	json_w_init(&w, false);
	record_write(&w, version_fields, vc);
	return json_w_finish(&w);
}

int version_config_from_state(const struct container_state *st, struct version_config *vc)
{
	struct zrun_error err;
	struct json_ctx c;

	version_config_defaults(vc);
	if (st->extra_json == NULL)
		return -1;
	yajl_val t = json_parse(st->extra_json, strlen(st->extra_json), 64 * 1024, 8, "state", &err);
	if (t == NULL)
		return -1;
	json_ctx_init(&c, "state", &err);
	int r = record_read(&c, t, version_fields, vc);
	yajl_tree_free(t);
	/* a container that is no version of a service has no "service" */
	return r == 0 && vc->service[0] ? 0 : -1;
}

/* One term of a duration: digits with at most one '.', as Go writes them.
 * strtod alone would also take " 5", "+5", "0x10", "1e3", "inf" and "nan". */
static int duration_number(const char *s, double *v, const char **end)
{
	const char *p = s;
	int dots = 0, digits = 0;

	for (; isdigit((unsigned char)*p) || *p == '.'; p++) {
		if (*p == '.')
			dots++;
		else
			digits++;
	}
	if (digits == 0 || dots > 1 || p - s > 32)
		return -1;
	char num[40];
	memcpy(num, s, (size_t)(p - s));
	num[p - s] = '\0';
	*v = strtod(num, NULL);
	*end = p;
	return 0;
}

int duration_parse(const char *s, long *ms)
{
	/* "ms" before "m", "us" and "ns" before "s": the first that matches */
	static const struct { const char *unit; double ms; } units[] = {
		{ "ms", 1 }, { "us", 0.001 }, { "µs", 0.001 }, { "ns", 0.000001 },
		{ "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	const double max_ms = 86400000.0 * 7;
	double total = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (const char *p = s; *p != '\0';) {
		double v;
		const char *end;
		size_t i;
		if (duration_number(p, &v, &end) < 0)
			return -1;
		/* a number alone is seconds ("30"); within "1m30s" it needs a unit */
		if (*end == '\0' && p == s) {
			total = v * 1000;
			break;
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strncmp(end, units[i].unit, strlen(units[i].unit)) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[i].ms;
		if (!(total <= max_ms)) /* checked at each term: the sum stays finite */
			return -1;
		p = end + strlen(units[i].unit);
	}
	if (!(total >= 0 && total <= max_ms))
		return -1;
	*ms = (long)total;
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
