/* cgroup_v1: the driver for hosts with one hierarchy per controller (and
 * hybrid hosts, whose cgroup2 mount it ignores). Hierarchies come from
 * /proc/self/mountinfo; the container joins every one of them, name=systemd
 * included (so ps and kill-all see the same set as runc), and limits go to the
 * controller that owns them. */
#include "cgroup_driver.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MOUNTINFO_LINE_MAX 8192

static const char *const known_controllers[] = {
	"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
	"net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc", "debug", NULL,
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* Keep the controller names (and "name=X") of a v1 mount's super options. */
static char *controllers_of(const char *super_opts)
{
	char *copy = strdup(super_opts), *tok, *save = NULL;
	char *out = calloc(1, strlen(super_opts) + 1);

	if (copy == NULL || out == NULL) {
		free(copy);
		free(out);
		return NULL;
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		bool keep = strncmp(tok, "name=", 5) == 0;
		for (size_t i = 0; !keep && known_controllers[i] != NULL; i++)
			keep = strcmp(tok, known_controllers[i]) == 0;
		if (!keep)
			continue;
		if (out[0] != '\0')
			strcat(out, ",");
		strcat(out, tok);
	}
	free(copy);
	return out;
}

static bool under_root(const char *mount_point, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	return strncmp(mount_point, root, n) == 0 && mount_point[n] == '/';
}

static bool list_has(const char *list, const char *name)
{
	size_t name_len = strlen(name);

	for (const char *p = list; p != NULL && *p != '\0';) {
		const char *end = strchrnul(p, ',');
		if ((size_t)(end - p) == name_len && strncmp(p, name, name_len) == 0)
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}

struct cgroup_hierarchy *v1_find(struct cgroup *cg, const char *controller)
{
	for (size_t i = 0; i < cg->hier_len; i++)
		if (list_has(cg->hier[i].controllers, controller))
			return &cg->hier[i];
	return NULL;
}

/* Add one mountinfo line's hierarchy to cg (if it is a v1 cgroup mount under
 * the cgroup mount root and not already there). dev is "major:minor". */
static int add_mount(struct cgroup *cg, char **devs, char *line, struct zrun_error *err)
{
	char *f[6], *sep, *save = NULL, *fstype, *super;
	struct cgroup_hierarchy *h;
	int i;

	for (i = 0; i < 6; i++) {
		f[i] = strtok_r(i == 0 ? line : NULL, " ", &save);
		if (f[i] == NULL)
			return 0;
	}
	while ((sep = strtok_r(NULL, " ", &save)) != NULL && strcmp(sep, "-") != 0)
		;
	fstype = strtok_r(NULL, " ", &save);
	if (sep == NULL || fstype == NULL || strcmp(fstype, "cgroup") != 0)
		return 0;
	if (strtok_r(NULL, " ", &save) == NULL || (super = strtok_r(NULL, " \n", &save)) == NULL)
		return 0;
	unescape_octal(f[3]);
	unescape_octal(f[4]);
	if (!under_root(f[4], cg->mount))
		return 0;
	for (size_t j = 0; j < cg->hier_len; j++)
		if (strcmp(devs[j], f[2]) == 0)
			return 0; /* the same hierarchy mounted twice */
	h = &cg->hier[cg->hier_len];
	h->controllers = controllers_of(super);
	if (h->controllers != NULL && h->controllers[0] == '\0') {
		/* No controller zrun knows and no name=: neither state.json nor
		 * /proc/self/cgroup could tell this hierarchy's path apart. */
		free(h->controllers);
		h->controllers = NULL;
		return 0;
	}
	h->mount_point = strdup(f[4]);
	h->mount_root = strdup(f[3]);
	devs[cg->hier_len] = strdup(f[2]);
	cg->hier_len++;
	if (h->controllers == NULL || h->mount_point == NULL || h->mount_root == NULL ||
	    devs[cg->hier_len - 1] == NULL)
		return zrun_error_set(err, ENOMEM, "cgroup: /proc/self/mountinfo");
	return 0;
}

/* This cgroup's directory in h: its path below the hierarchy root, made
 * relative to the part of the hierarchy that is mounted (inside a container
 * the mount root may be the container's own cgroup rather than "/"). */
static int hierarchy_dir(struct cgroup_hierarchy *h, struct zrun_error *err)
{
	const char *rel = h->path;
	size_t n = strlen(h->mount_root);

	if (strcmp(h->mount_root, "/") != 0 && strncmp(rel, h->mount_root, n) == 0 &&
	    (rel[n] == '/' || rel[n] == '\0'))
		rel += n;
	if (asprintf(&h->dir, "%s%s", h->mount_point, rel) < 0) {
		h->dir = NULL;
		return zrun_error_set(err, ENOMEM, "cgroup %s", h->path);
	}
	return 0;
}

static void free_hierarchy(struct cgroup_hierarchy *h)
{
	free(h->controllers);
	free(h->mount_point);
	free(h->mount_root);
	free(h->path);
	free(h->dir);
	memset(h, 0, sizeof(*h));
}

/* h's path from what create recorded: the entry naming one of its
 * controllers. 1 when found, 0 when the container has no cgroup there. */
static int recorded_path(struct cgroup *cg, struct cgroup_hierarchy *h, struct zrun_error *err)
{
	for (size_t i = 0; i < cg->recorded_len; i++) {
		const struct spec_kv *kv = &cg->recorded[i];
		if (kv->key == NULL || kv->value == NULL || !cg_lists_overlap(kv->key, h->controllers))
			continue;
		if (kv->value[0] != '/')
			return zrun_error_set(err, 0, "cgroup %s: saved path of %s \"%s\": not absolute",
					      cg->path, kv->key, kv->value);
		h->path = cgroup_normalize(kv->value, "saved path", false, err);
		return h->path != NULL ? 1 : -1;
	}
	return 0;
}

/* h's path: recorded at create, below the caller's own cgroup in h for a
 * relative cgroupsPath, else the one path of every hierarchy. 0 when the
 * container has no cgroup in h. */
static int hierarchy_path(struct cgroup *cg, struct cgroup_hierarchy *h, struct zrun_error *err)
{
	char *base, *full;

	if (cg->recorded_len > 0)
		return recorded_path(cg, h, err);
	if (cg->relative == NULL) {
		h->path = strdup(cg->path);
		return h->path != NULL ? 1 : zrun_error_set(err, ENOMEM, "cgroup %s", cg->path);
	}
	base = cgroup_relative_base(cg->self_cgroup, h->controllers, err);
	if (base == NULL)
		return -1;
	if (asprintf(&full, "%s%s", strcmp(base, "/") == 0 ? "" : base, cg->relative) < 0) {
		free(base);
		return zrun_error_set(err, ENOMEM, "cgroup %s", cg->relative);
	}
	h->path = cgroup_normalize(full, "linux.cgroupsPath", false, err);
	free(full);
	free(base);
	return h->path != NULL ? 1 : -1;
}

/* Give every hierarchy its path and directory, drop those the container
 * has no cgroup in, and fill cg->path (when relative) and cg->paths. */
static int resolve_hierarchies(struct cgroup *cg, struct zrun_error *err)
{
	struct cgroup_hierarchy *main_h;
	size_t kept = 0;

	for (size_t i = 0; i < cg->hier_len; i++) {
		int r = hierarchy_path(cg, &cg->hier[i], err);
		if (r < 0)
			return -1;
		if (r == 0)
			free_hierarchy(&cg->hier[i]);
		else if (kept++ != i) {
			cg->hier[kept - 1] = cg->hier[i];
			memset(&cg->hier[i], 0, sizeof(cg->hier[i])); /* one owner */
		}
	}
	cg->hier_len = kept;
	if (kept == 0)
		return zrun_error_set(err, 0, "cgroup %s: none of its recorded hierarchies is mounted under %s",
				      cg->path, cg->mount);
	main_h = v1_find(cg, "memory");
	if (main_h == NULL)
		main_h = &cg->hier[0];
	if (cg->path == NULL && (cg->path = strdup(main_h->path)) == NULL)
		return zrun_error_set(err, ENOMEM, "cgroup %s", main_h->path);
	cg->paths = calloc(kept, sizeof(*cg->paths));
	if (cg->paths == NULL)
		return zrun_error_set(err, ENOMEM, "cgroup %s", cg->path);
	for (size_t i = 0; i < kept; i++) {
		cg->paths[i].key = cg->hier[i].controllers;
		cg->paths[i].value = cg->hier[i].path;
		if (hierarchy_dir(&cg->hier[i], err) < 0)
			return -1;
	}
	return 0;
}

static int v1_init(struct cgroup *cg, struct zrun_error *err)
{
	char line[MOUNTINFO_LINE_MAX];
	char *devs[64] = { 0 };
	size_t cap = sizeof(devs) / sizeof(devs[0]);
	const char *name = cg->path != NULL ? cg->path : cg->relative;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = 0;

	if (f == NULL)
		return zrun_error_set(err, errno, "cgroup %s: /proc/self/mountinfo: open", name);
	cg->hier = calloc(cap, sizeof(*cg->hier));
	if (cg->hier == NULL)
		ret = zrun_error_set(err, ENOMEM, "cgroup %s", name);
	while (ret == 0 && cg->hier_len < cap && fgets(line, sizeof(line), f) != NULL)
		ret = add_mount(cg, devs, line, err);
	fclose(f);
	for (size_t i = 0; i < cap; i++)
		free(devs[i]);
	if (ret == 0 && cg->hier_len == 0)
		ret = zrun_error_set(err, 0, "cgroup %s: no cgroup v1 hierarchy is mounted under %s",
				     name, cg->mount);
	return ret < 0 ? -1 : resolve_hierarchies(cg, err);
}

static void v1_release(struct cgroup *cg)
{
	for (size_t i = 0; i < cg->hier_len; i++)
		free_hierarchy(&cg->hier[i]);
	free(cg->hier);
	cg->hier = NULL;
	cg->hier_len = 0;
}

/* Copy the parent's value of each empty cpuset file into dir. */
static int cpuset_fill_one(struct cgroup *cg, char *dir, struct zrun_error *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char *slash = strrchr(dir, '/');

	for (size_t i = 0; i < 2; i++) {
		char value[4096];
		ssize_t n = cg_read(dir, files[i], value, sizeof(value));
		if (n != 0)
			continue; /* already set, or not readable: attach will say */
		*slash = '\0';
		n = cg_read(dir, files[i], value, sizeof(value));
		*slash = '/';
		if (n > 0 && cg_write(cg, dir, files[i], value, err) < 0)
			return -1;
	}
	return 0;
}

/* A new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and
 * attaching a task to it fails with ENOSPC: fill each empty level from its
 * parent, from the top down. */
static int cpuset_fill_levels(struct cgroup *cg, struct cgroup_hierarchy *h, struct zrun_error *err)
{
	size_t base = strlen(h->mount_point);
	char dir[PATH_MAX];

	if (strlen(h->dir) >= sizeof(dir))
		return zrun_error_set(err, ENAMETOOLONG, "cgroup %s", cg->path);
	strcpy(dir, h->dir);
	for (size_t pos = base + 1;; pos++) {
		char saved = dir[pos];
		if (saved != '/' && saved != '\0')
			continue;
		dir[pos] = '\0';
		if (cpuset_fill_one(cg, dir, err) < 0)
			return -1;
		dir[pos] = saved;
		if (saved == '\0')
			return 0;
	}
}

static int v1_create(struct cgroup *cg, struct zrun_error *err)
{
	for (size_t i = 0; i < cg->hier_len; i++) {
		struct cgroup_hierarchy *h = &cg->hier[i];
		if (cg_mkdir_p(cg, h->mount_point, h->dir + strlen(h->mount_point), err) < 0)
			return -1;
		if (list_has(h->controllers, "cpuset") && cpuset_fill_levels(cg, h, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_add_pid(struct cgroup *cg, pid_t pid, struct zrun_error *err)
{
	char value[24];

	snprintf(value, sizeof(value), "%d", (int)pid);
	for (size_t i = 0; i < cg->hier_len; i++) {
		struct zrun_error one;
		/* Name the hierarchy: cgroup.procs alone does not say which. */
		if (cg_write(cg, cg->hier[i].dir, "cgroup.procs", value, &one) < 0)
			return zrun_error_set(err, one.errno_value, "cgroup %s: %s/cgroup.procs: write %s",
					      cg->path, cg->hier[i].controllers, value);
	}
	return 0;
}

/* The hierarchy whose tree lists the container's processes: the freezer's,
 * so that what kill_all freezes is what it lists. */
static const char *v1_pids_dir(struct cgroup *cg)
{
	static const char *const order[] = { "freezer", "pids", "memory", NULL };

	for (size_t i = 0; order[i] != NULL; i++) {
		struct cgroup_hierarchy *h = v1_find(cg, order[i]);
		if (h != NULL)
			return h->dir;
	}
	return cg->hier[0].dir;
}

static int v1_freeze(struct cgroup *cg, bool frozen, struct zrun_error *err)
{
	struct cgroup_hierarchy *h = v1_find(cg, "freezer");
	const char *want = frozen ? "FROZEN" : "THAWED";
	uint64_t deadline = (uint64_t)now_ms() + CGROUP_FREEZE_TIMEOUT_MS;
	unsigned pause_ms = 1;
	char state[64] = "";

	if (h == NULL)
		return zrun_error_set(err, 0, "cgroup %s: the freezer controller is not mounted",
				      cg->path);
	for (;;) {
		ssize_t n;
		/* Rewriting the target each round unsticks a FREEZING state, as
		 * runc does: a task in an uninterruptible sleep can miss one. */
		if (cg_write(cg, h->dir, "freezer.state", want, err) < 0)
			return -1;
		n = cg_read(h->dir, "freezer.state", state, sizeof(state));
		if (n < 0)
			return zrun_error_set(err, (int)-n, "cgroup %s: freezer.state: read", cg->path);
		if (strcmp(state, want) == 0)
			return 0;
		if ((uint64_t)now_ms() >= deadline)
			return zrun_error_set(err, ETIMEDOUT, "cgroup %s: freezer.state: still %s after %d ms, wanted %s",
					      cg->path, state, CGROUP_FREEZE_TIMEOUT_MS, want);
		sleep_ms(pause_ms);
		if (pause_ms < 16)
			pause_ms *= 2;
	}
}

static int v1_kill_all(struct cgroup *cg, int sig, struct zrun_error *err)
{
	if (sig != SIGKILL || v1_find(cg, "freezer") != NULL)
		return cg_kill_frozen(cg, sig, err);
	/* No freezer: a few rounds catch children forked while we killed. */
	for (int round = 0; round < 3; round++) {
		pid_t *pids;
		size_t n;
		int ret = cgroup_pids(cg, &pids, &n, err);
		if (ret == 0)
			ret = cg_signal_pids(cg, pids, n, sig, err);
		free(pids);
		if (ret < 0)
			return -1;
		if (n == 0)
			break;
	}
	return 0;
}

static bool v1_is_empty(struct cgroup *cg)
{
	pid_t *pids;
	size_t n;

	if (cgroup_pids(cg, &pids, &n, NULL) < 0)
		return false;
	free(pids);
	return n == 0;
}

static int v1_destroy(struct cgroup *cg, struct zrun_error *err)
{
	int ret = 0;

	/* Every hierarchy, even after a failure: leave as little as possible. */
	for (size_t i = 0; i < cg->hier_len; i++) {
		struct zrun_error one;
		if (cg_remove_tree(cg, cg->hier[i].dir, ret == 0 ? err : &one) < 0)
			ret = -1;
	}
	return ret;
}

const struct cgroup_driver cgroup_v1_driver = {
	.init = v1_init,
	.create = v1_create,
	.apply = v1_apply,
	.add_pid = v1_add_pid,
	.pids_dir = v1_pids_dir,
	.freeze = v1_freeze,
	.kill_all = v1_kill_all,
	.is_empty = v1_is_empty,
	.destroy = v1_destroy,
	.release = v1_release,
};
