#include "state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "fault.h"
#include "json.h"
#include "procfs.h"

static const char *const status_names[] = {
	[STATUS_CREATING] = "creating", [STATUS_CREATED] = "created",
	[STATUS_RUNNING] = "running", [STATUS_PAUSED] = "paused",
	[STATUS_STOPPED] = "stopped",
};

const char *state_status_name(enum container_status status)
{
	return status_names[status];
}

/* Files zrun keeps directly under --root besides the containers' dirs
 * (src/service/service_dump.c writes services.json through a .tmp and a rename). */
static const char *const reserved_ids[] = { "services.json", "services.json.tmp" };

int state_validate_id(const char *id, struct zrun_error *err)
{
	size_t len = strlen(id);

	if (len == 0)
		return zrun_error_set(err, 0, "container id must not be empty");
	/* The id names a directory under --root: a longer one fails later
	 * with a bare ENAMETOOLONG that echoes it twice. */
	if (len > STATE_ID_MAX || len > NAME_MAX)
		return zrun_error_set(err, 0, "container id is longer than %d bytes",
				      STATE_ID_MAX < NAME_MAX ? STATE_ID_MAX : NAME_MAX);
	for (const char *p = id; *p; p++) {
		if (!isalnum((unsigned char)*p) && strchr("_+.-", *p) == NULL)
			return zrun_error_set(err, 0,
				"invalid container id \"%s\": only letters, digits and _+.- are allowed", id);
	}
	/* The id is a directory name under --root, next to zrun's own files:
	 * ".services" holds every service's record and supervisor socket (deleting
	 * a container of that name wiped them), "services.json" is what
	 * `service save` writes. Dot names are zrun's, "." and ".." too. */
	if (id[0] == '.')
		return zrun_error_set(err, 0, "invalid container id \"%s\": must not start with '.' "
				      "(names zrun keeps for itself under --root)", id);
	for (size_t i = 0; i < sizeof(reserved_ids) / sizeof(reserved_ids[0]); i++) {
		if (strcmp(id, reserved_ids[i]) == 0)
			return zrun_error_set(err, 0, "invalid container id \"%s\": a name zrun uses "
					      "for its own files under --root", id);
	}
	return 0;
}

int state_path(char *buf, size_t len, const char *root, const char *id, const char *file)
{
	int n = file ? snprintf(buf, len, "%s/%s/%s", root, id, file)
		     : snprintf(buf, len, "%s/%s", root, id);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int state_check_root(const char *root, struct zrun_error *err)
{
	struct stat st;

	if (stat(root, &st) < 0)
		return errno == ENOENT ? 0 : zrun_error_set(err, errno, "--root %s", root);
	if (!S_ISDIR(st.st_mode))
		return zrun_error_set(err, ENOTDIR, "--root %s", root);
	/* Whoever can write the root can plant a state.json whose pid and
	 * cgroup zrun would then signal, kill and remove as root, or a
	 * supervisor.sock it would connect to: a shared /tmp-like dir (even
	 * sticky: a new name is enough) or another user's dir is refused. */
	if (st.st_uid != geteuid())
		return zrun_error_set(err, 0, "--root %s: owned by uid %u, not by this user (uid %u): "
				      "its owner could plant containers there", root,
				      (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return zrun_error_set(err, 0, "--root %s: writable by %s (mode %04o): others could "
				      "plant containers there (chmod go-w, or use another directory)",
				      root, (st.st_mode & S_IWOTH) ? "everyone" : "its group",
				      (unsigned)(st.st_mode & 07777));
	return 0;
}

int state_create_root(const char *root, struct zrun_error *err)
{
	char path[4096];

	/* Like runc, make the missing parents too: containerd's runc shim
	 * passes ROOT/NAMESPACE and leaves ROOT to the runtime. */
	if (root[0] == '\0')
		return zrun_error_set(err, 0, "--root: empty path");
	if (snprintf(path, sizeof(path), "%s", root) >= (int)sizeof(path))
		return zrun_error_set(err, ENAMETOOLONG, "root %s", root);
	for (char *p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return zrun_error_set(err, errno, "create root %s", path);
		if (c == '\0')
			break;
		*p = c;
	}
	return 0;
}

int state_create_dir(const char *root, const char *id, struct zrun_error *err)
{
	char path[4096];

	if (state_create_root(root, err) < 0)
		return -1;
	struct stat st;
	if (stat(root, &st) < 0)
		return zrun_error_set(err, errno, "root %s", root);
	if (!S_ISDIR(st.st_mode))
		return zrun_error_set(err, ENOTDIR, "root %s", root);
	if (state_path(path, sizeof(path), root, id, NULL) < 0)
		return zrun_error_set(err, ENAMETOOLONG, "state dir of %s", id);
	/* Made whole under a name no id can have (ids never start with a
	 * dot), then renamed into place: a create killed at any instant
	 * leaves no state dir without its lock, which no command would see or
	 * remove and which would hold the id forever. */
	char tmp[4096], lock[4200];
	int n = snprintf(tmp, sizeof(tmp), "%s/.new-%d-%s", root, (int)getpid(), id);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return zrun_error_set(err, ENAMETOOLONG, "state dir of %s", id);
	if (mkdir(tmp, 0711) < 0 && !(errno == EEXIST && rmdir(tmp) == 0 && mkdir(tmp, 0711) == 0))
		return zrun_error_set(err, errno, "create state dir %s", tmp);
	/* The lock file is made here and only here: state_lock never creates
	 * it, or a command racing a delete would put it back into the dir that
	 * delete is removing (rmdir: "Directory not empty"). */
	snprintf(lock, sizeof(lock), "%s/lock", tmp);
	int fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int e = errno;
		rmdir(tmp);
		return zrun_error_set(err, e, "create %s", lock);
	}
	close(fd);
	int r = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
	/* an empty dir of that id: what a zrun before this one could leave */
	if (r < 0 && errno == EEXIST && rmdir(path) == 0)
		r = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
	if (r < 0) {
		int e = errno;
		unlink(lock);
		rmdir(tmp);
		if (e == EEXIST || e == ENOTEMPTY)
			return zrun_error_set(err, 0, "container %s already exists", id);
		return zrun_error_set(err, e, "create state dir %s", path);
	}
	return 0;
}

int state_lock(const char *root, const char *id, struct zrun_error *err)
{
	char path[4096];
	int fd;

	if (state_path(path, sizeof(path), root, id, "lock") < 0)
		return zrun_error_set(err, ENAMETOOLONG, "lock of %s", id);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return zrun_error_set(err, 0, "container %s does not exist", id);
		return zrun_error_set(err, errno, "open %s", path);
	}
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		close(fd);
		return zrun_error_set(err, e, "lock %s", path);
	}
	/* The holder we waited for may have deleted the container. */
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_nlink == 0) {
		close(fd);
		return zrun_error_set(err, 0, "container %s does not exist", id);
	}
	return fd;
}

static void gen_kv(struct json_writer *w, const char *k, const char *v)
{
	json_w_key(w, k);
	json_w_string(w, v ? v : "");
}

static void gen_map(struct json_writer *w, const char *name, const struct spec_kv *kv, size_t n)
{
	json_w_key(w, name);
	json_w_object_begin(w);
	for (size_t i = 0; i < n; i++)
		gen_kv(w, kv[i].key, kv[i].value);
	json_w_object_end(w);
}

static void gen_value(struct json_writer *w, yajl_val v, int depth);

static char *state_to_json(const struct container_state *st, struct zrun_error *err)
{
	struct json_writer w;
	yajl_val extra = NULL;

	/* The service layer's object under "zrun": written from its parsed
	 * tree, never pasted in as text, so that state.json is valid JSON
	 * whatever the caller handed in; what is not one JSON object is
	 * refused. */
	if (st->extra_json != NULL) {
		extra = json_parse(st->extra_json, strlen(st->extra_json), STATE_MAX_BYTES, 32, "service data", err);
		if (extra == NULL)
			return NULL;
		if (!YAJL_IS_OBJECT(extra)) {
			yajl_tree_free(extra);
			zrun_error_set(err, 0, "service data: not a JSON object");
			return NULL;
		}
	}
	json_w_init(&w, false);
	json_w_object_begin(&w);
	gen_kv(&w, "id", st->id);
	json_w_key(&w, "pid");
	json_w_int(&w, st->pid);
	json_w_key(&w, "pid_start_time");
	json_w_uint(&w, st->pid_start_time);
	gen_kv(&w, "status", state_status_name(st->status));
	gen_kv(&w, "bundle", st->bundle);
	gen_kv(&w, "rootfs", st->rootfs);
	gen_kv(&w, "created", st->created);
	gen_kv(&w, "owner", st->owner);
	gen_kv(&w, "cgroup_path", st->cgroup_path);
	if (st->cgroup_paths_len > 0)
		gen_map(&w, "cgroup_paths", st->cgroup_paths, st->cgroup_paths_len);
	if (st->cgroup_identity != 0) {
		json_w_key(&w, "cgroup_identity");
		json_w_uint(&w, st->cgroup_identity);
	}
	if (st->systemd_unit != NULL)
		gen_kv(&w, "systemd_unit", st->systemd_unit);
	gen_map(&w, "annotations", st->annotations, st->annotations_len);
	if (extra != NULL) {
		json_w_key(&w, "zrun");
		gen_value(&w, extra, 0);
		yajl_tree_free(extra);
	}
	json_w_object_end(&w);
	char *json = json_w_finish(&w);
	if (json == NULL)
		zrun_error_set(err, ENOMEM, "state of %s", st->id);
	return json;
}

int state_write_file(const char *path, const char *text, size_t len, mode_t mode, bool durable,
		     const char *fault, struct zrun_error *err)
{
	char tmp[PATH_MAX + 8];

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return zrun_error_set(err, ENAMETOOLONG, "write %s", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return zrun_error_set(err, errno, "write %s", tmp);
	size_t off = 0;
	while (off < len) {
		ssize_t n = fault && fault_check(fault, NULL) < 0 ? -1 : write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off < len || (durable && fsync(fd) < 0)) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return zrun_error_set(err, e, "write %s", tmp);
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return zrun_error_set(err, e, "write %s", path);
	}
	return 0;
}

/* No fsync: see state_write_file(). It was 3 of them per `run`, 0.4-0.8 ms
 * each where /run is on a disk (docs/decisions.md). */
int state_write(const char *root, const struct container_state *st, struct zrun_error *err)
{
	char path[4096];

	if (state_path(path, sizeof(path), root, st->id, "state.json") < 0)
		return zrun_error_set(err, ENAMETOOLONG, "state of %s", st->id);
	char *json = state_to_json(st, err);
	if (json == NULL)
		return zrun_error_prefix(err, "state of %s", st->id);
	/* Never write what state_read() would refuse: the container would be
	 * left running with no command able to see, signal or delete it. */
	size_t len = strlen(json);
	if (len > STATE_MAX_BYTES) {
		size_t ann = 0;
		for (size_t i = 0; i < st->annotations_len; i++)
			ann += strlen(st->annotations[i].key) + strlen(st->annotations[i].value);
		free(json);
		return zrun_error_set(err, 0, "state of %s: would be %zu bytes, over the %d bytes "
				      "zrun reads back (config.json annotations: %zu bytes)",
				      st->id, len, STATE_MAX_BYTES, ann);
	}
	int ret = state_write_file(path, json, len, 0600, false, "state-write", err);
	free(json);
	return ret;
}

/* "PID STARTTIME iIDENTITY [uUNIT ]CGROUP_PATH": a few bytes no later
 * write touches, so a corrupt state.json still leaves delete --force the
 * init and the cgroup (and the cgroup's identity: not one made again by
 * another; and the systemd scope, which must be stopped, not only emptied:
 * systemd may miss the empty event of a cgroup removed at once and keep the
 * unit "active" for good). An older zrun wrote no "iIDENTITY" and no
 * "uUNIT" (its path starts with '/'). */
int state_write_recovery(const char *root, const char *id, pid_t pid, const char *cgroup_path,
			 unsigned long long cgroup_identity, const char *systemd_unit, struct zrun_error *err)
{
	char path[4096], text[PATH_MAX + 320];
	int n;

	if (state_path(path, sizeof(path), root, id, STATE_RECOVERY_FILE) < 0)
		return zrun_error_set(err, ENAMETOOLONG, "recovery of %s", id);
	n = snprintf(text, sizeof(text), "%d %llu i%llu %s%s%s%s\n", pid, state_pid_start_time(pid), cgroup_identity,
		     systemd_unit ? "u" : "", systemd_unit ? systemd_unit : "", systemd_unit ? " " : "", cgroup_path);
	if (n < 0 || (size_t)n >= sizeof(text))
		return zrun_error_set(err, ENAMETOOLONG, "recovery of %s", id);
	return state_write_file(path, text, (size_t)n, 0600, false, NULL, err);
}

int state_read_recovery(const char *root, const char *id, pid_t *pid, unsigned long long *start_time,
			unsigned long long *cgroup_identity, char *cgroup_path, size_t cgroup_path_len,
			char *systemd_unit, size_t unit_len)
{
	char path[4096], text[PATH_MAX + 320];
	int fd, pos = 0;
	ssize_t n;

	if (state_path(path, sizeof(path), root, id, STATE_RECOVERY_FILE) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0 || text[n - 1] != '\n')
		return -1;
	text[n - 1] = '\0';
	if (sscanf(text, "%d %llu %n", pid, start_time, &pos) != 2 || pos == 0)
		return -1;
	*cgroup_identity = 0;
	if (text[pos] == 'i') {
		int more = 0;
		if (sscanf(text + pos, "i%llu %n", cgroup_identity, &more) != 1 || more == 0)
			return -1;
		pos += more;
	}
	systemd_unit[0] = '\0';
	if (text[pos] == 'u') {
		size_t len = strcspn(text + pos + 1, " ");
		if (len == 0 || len >= unit_len || text[pos + 1 + len] != ' ')
			return -1;
		snprintf(systemd_unit, unit_len, "%.*s", (int)len, text + pos + 1);
		pos += (int)len + 2;
	}
	const char *cg = text + pos;
	/* Never the hierarchy's root nor a climb out of it: this path gets
	 * SIGKILL sent to everything in it. "": no cgroup (cgroup_open_none). */
	if ((cg[0] != '\0' && (cg[0] != '/' || cg[1] == '\0' || strstr(cg, "/..") != NULL)) ||
	    strlen(cg) >= cgroup_path_len)
		return -1;
	strcpy(cgroup_path, cg);
	return 0;
}

static char *tree_str(yajl_val root, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(root, path, yajl_t_string);
	const char *str = v ? YAJL_GET_STRING(v) : NULL;
	return strdup(str ? str : "");
}

static long long tree_int(yajl_val root, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = yajl_tree_get(root, path, yajl_t_number);
	return (v && YAJL_IS_INTEGER(v)) ? YAJL_GET_INTEGER(v) : 0;
}

/* -1 for a name zrun never writes. */
static int status_from_name(const char *s)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (strcmp(s, status_names[i]) == 0)
			return (int)i;
	return -1;
}

/* The object KEY of tree as key/value strings (a value that is not a
 * string reads ""). 0, or -1 when out of memory. */
static int tree_map(yajl_val tree, const char *key, struct spec_kv **kv, size_t *len)
{
	const char *path[] = { key, NULL };
	yajl_val obj = yajl_tree_get(tree, path, yajl_t_object);
	size_t n;

	*kv = NULL;
	*len = 0;
	if (obj == NULL || !YAJL_IS_OBJECT(obj) || obj->u.object.len == 0)
		return 0;
	n = obj->u.object.len;
	*kv = calloc(n, sizeof(**kv));
	if (*kv == NULL)
		return -1;
	*len = n;
	for (size_t i = 0; i < n; i++) {
		yajl_val v = obj->u.object.values[i];
		(*kv)[i].key = strdup(obj->u.object.keys[i]);
		(*kv)[i].value = strdup(YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "");
		if ((*kv)[i].key == NULL || (*kv)[i].value == NULL)
			return -1;
	}
	return 0;
}

/* 0, -1 when out of memory, -2 when what zrun needs to manage the
 * container is missing (no id, an unknown status, no absolute cgroup
 * path): such a file is as corrupt as a truncated one. */
static int state_from_tree(yajl_val tree, struct container_state *st)
{
	char *status;
	int known = -1;

	st->id = tree_str(tree, "id");
	st->pid = (pid_t)tree_int(tree, "pid");
	st->pid_start_time = (unsigned long long)tree_int(tree, "pid_start_time");
	status = tree_str(tree, "status");
	known = status ? status_from_name(status) : -1;
	st->status = known >= 0 ? (enum container_status)known : STATUS_STOPPED;
	free(status);
	st->bundle = tree_str(tree, "bundle");
	st->rootfs = tree_str(tree, "rootfs");
	st->created = tree_str(tree, "created");
	st->owner = tree_str(tree, "owner");
	st->cgroup_path = tree_str(tree, "cgroup_path");
	st->cgroup_identity = (unsigned long long)tree_int(tree, "cgroup_identity");
	/* absent (the cgroupfs driver, or state of an older zrun): NULL */
	st->systemd_unit = tree_str(tree, "systemd_unit");
	if (st->systemd_unit != NULL && st->systemd_unit[0] == '\0') {
		free(st->systemd_unit);
		st->systemd_unit = NULL;
	}
	if (tree_map(tree, "cgroup_paths", &st->cgroup_paths, &st->cgroup_paths_len) < 0 ||
	    tree_map(tree, "annotations", &st->annotations, &st->annotations_len) < 0)
		return -1;
	if (!st->id || !st->bundle || !st->rootfs || !st->created || !st->owner || !st->cgroup_path)
		return -1;
	/* "": a container without a cgroup (cgroup_open_none). */
	if (st->id[0] == '\0' || known < 0 || (st->cgroup_path[0] != '/' && st->cgroup_path[0] != '\0'))
		return -2;
	return 0;
}

static void gen_value(struct json_writer *w, yajl_val v, int depth)
{
	if (depth > 32 || v == NULL) {
		json_w_null(w);
	} else if (YAJL_IS_OBJECT(v)) {
		json_w_object_begin(w);
		for (size_t i = 0; i < v->u.object.len; i++) {
			json_w_key(w, v->u.object.keys[i]);
			gen_value(w, v->u.object.values[i], depth + 1);
		}
		json_w_object_end(w);
	} else if (YAJL_IS_ARRAY(v)) {
		json_w_array_begin(w);
		for (size_t i = 0; i < v->u.array.len; i++)
			gen_value(w, v->u.array.values[i], depth + 1);
		json_w_array_end(w);
	} else if (YAJL_IS_STRING(v)) {
		json_w_string(w, YAJL_GET_STRING(v));
	} else if (YAJL_IS_NUMBER(v)) {
		/* the number's own text, which yajl's lexer accepted as JSON */
		json_w_raw(w, YAJL_GET_NUMBER(v));
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		json_w_bool(w, YAJL_IS_TRUE(v));
	} else {
		json_w_null(w);
	}
}

/* The "zrun" object, handed to the service layer as the text of it. */
static char *extract_extra(yajl_val tree)
{
	const char *path[] = { "zrun", NULL };
	yajl_val v = yajl_tree_get(tree, path, yajl_t_any);
	struct json_writer w;

	if (v == NULL)
		return NULL;
	json_w_init(&w, false);
	gen_value(&w, v, 0);
	return json_w_finish(&w);
}

int state_parse_json(const char *buf, size_t len, const char *origin, struct container_state *st,
		     struct zrun_error *err)
{
	yajl_val tree;

	memset(st, 0, sizeof(*st));
	tree = json_parse(buf, len, STATE_MAX_BYTES, 64, origin, err);
	if (tree == NULL)
		return -1;
	if (!YAJL_IS_OBJECT(tree)) {
		yajl_tree_free(tree);
		return zrun_error_set(err, 0, "%s: corrupt state file", origin);
	}
	int r = state_from_tree(tree, st);
	if (r == 0)
		st->extra_json = extract_extra(tree);
	yajl_tree_free(tree);
	if (r < 0)
		state_clear(st);
	if (r == -2)
		return zrun_error_set(err, 0, "%s: corrupt state file (no id, status or cgroup_path)",
				      origin);
	if (r < 0)
		return zrun_error_set(err, ENOMEM, "%s", origin);
	return 0;
}

int state_read(const char *root, const char *id, struct container_state *st, struct zrun_error *err)
{
	char path[4096];
	char *buf = NULL;
	size_t len = 0;

	memset(st, 0, sizeof(*st));
	if (state_path(path, sizeof(path), root, id, "state.json") < 0)
		return zrun_error_set(err, ENAMETOOLONG, "state of %s", id);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return zrun_error_set(err, 0, "container %s does not exist", id);
	if (json_read_file(path, STATE_MAX_BYTES, &buf, &len, err) < 0)
		return -1;
	int r = state_parse_json(buf, len, path, st, err);
	free(buf);
	return r;
}

static int remove_tree_at(int dirfd)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;
	int ret = 0;

	if (d == NULL) {
		close(dirfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno == EISDIR || errno == EPERM) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (sub < 0 || remove_tree_at(sub) < 0 || unlinkat(dirfd, de->d_name, AT_REMOVEDIR) < 0)
				ret = -1;
		} else {
			ret = -1;
		}
	}
	closedir(d);
	return ret;
}

int state_remove(const char *root, const char *id, struct zrun_error *err)
{
	char path[4096];
	int fd;

	if (state_path(path, sizeof(path), root, id, NULL) < 0)
		return zrun_error_set(err, ENAMETOOLONG, "state of %s", id);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : zrun_error_set(err, errno, "open %s", path);
	if (remove_tree_at(fd) < 0 || (rmdir(path) < 0 && errno != ENOENT))
		return zrun_error_set(err, errno, "remove %s", path);
	return 0;
}

unsigned long long state_pid_start_time(pid_t pid)
{
	struct procfs_stat ps;

	if (procfs_stat(pid, &ps) < 0 || ps.state == 'Z' || ps.state == 'X')
		return 0;
	return ps.start_time;
}

/* A create in progress holds the container's lock from before it writes
 * "creating" until it writes "created" or removes everything: a lock that
 * nobody holds means that create died. (A caller that holds the lock itself
 * sees it held: start and delete handle "creating" on their own.) */
static bool creator_alive(const char *root, const char *id)
{
	char path[4096];
	bool alive = false;

	if (state_path(path, sizeof(path), root, id, "lock") < 0)
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		alive = true;
	close(fd);
	return alive;
}

enum container_status state_live_status(const char *root, const struct container_state *st)
{
	char fifo[4096];

	if (st->status == STATUS_STOPPED)
		return STATUS_STOPPED;
	if (st->status == STATUS_CREATING)
		return creator_alive(root, st->id) ? STATUS_CREATING : STATUS_STOPPED;
	if (st->pid <= 0 || state_pid_start_time(st->pid) != st->pid_start_time)
		return STATUS_STOPPED;
	if (st->status == STATUS_PAUSED)
		return st->status;
	if (state_path(fifo, sizeof(fifo), root, st->id, "exec.fifo") == 0 && access(fifo, F_OK) == 0) {
		/* A start killed after its fifo write leaves the fifo behind: the
		 * init is still created only while it holds the fifo open (ENXIO:
		 * no reader, it has exec'd the program). */
		int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		if (fd >= 0 || errno != ENXIO)
			return STATUS_CREATED;
	}
	return STATUS_RUNNING;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list(const char *root, char ***ids, size_t *n, struct zrun_error *err)
{
	DIR *d = opendir(root);
	struct dirent *de;
	size_t cap = 0;

	*ids = NULL;
	*n = 0;
	if (d == NULL)
		return errno == ENOENT ? 0 : zrun_error_set(err, errno, "open root %s", root);
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		if (de->d_name[0] == '.')
			continue;
		if (state_path(path, sizeof(path), root, de->d_name, "state.json") < 0 || access(path, F_OK) < 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(*ids, cap * sizeof(char *));
			if (grown == NULL)
				goto oom;
			*ids = grown;
		}
		if (((*ids)[*n] = strdup(de->d_name)) == NULL)
			goto oom;
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(*ids, *n, sizeof(char *), cmp_str);
	return 0;
oom:
	/* a partial list would read as containers that do not exist */
	closedir(d);
	for (size_t i = 0; i < *n; i++)
		free((*ids)[i]);
	free(*ids);
	*ids = NULL;
	*n = 0;
	return zrun_error_set(err, ENOMEM, "read root %s", root);
}

char *state_to_oci_json(const char *root, const struct container_state *st, bool pretty)
{
	enum container_status status = state_live_status(root, st);
	struct json_writer w;

	/* indented as runc's json.MarshalIndent(state, "", "  ") */
	if (pretty)
		json_w_init_indent(&w, "  ");
	else
		json_w_init(&w, false);
	json_w_object_begin(&w);
	gen_kv(&w, "ociVersion", "1.2.0");
	gen_kv(&w, "id", st->id);
	json_w_key(&w, "pid");
	json_w_int(&w, status == STATUS_STOPPED ? 0 : st->pid);
	gen_kv(&w, "status", state_status_name(status));
	gen_kv(&w, "bundle", st->bundle);
	gen_kv(&w, "rootfs", st->rootfs);
	gen_kv(&w, "created", st->created);
	gen_kv(&w, "owner", st->owner);
	gen_map(&w, "annotations", st->annotations, st->annotations_len);
	json_w_object_end(&w);
	return json_w_finish(&w);
}

void state_clear(struct container_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	free(st->cgroup_path);
	free(st->systemd_unit);
	for (size_t i = 0; i < st->cgroup_paths_len; i++) {
		free(st->cgroup_paths[i].key);
		free(st->cgroup_paths[i].value);
	}
	free(st->cgroup_paths);
	for (size_t i = 0; i < st->annotations_len; i++) {
		free(st->annotations[i].key);
		free(st->annotations[i].value);
	}
	free(st->annotations);
	free(st->extra_json);
	memset(st, 0, sizeof(*st));
}

void state_now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", base, ts.tv_nsec);
}

int state_write_pid_file(const char *path, pid_t pid, struct zrun_error *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", pid);

	if (state_write_file(path, buf, (size_t)n, 0644, false, NULL, err) < 0)
		return zrun_error_set(err, err->errno_value, "pid file %s", path);
	return 0;
}
