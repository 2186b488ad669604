/* cgroup: detection of the host's cgroup version, resolution of a
 * container's cgroup path, and dispatch to the v1 or v2 driver. The file and
 * directory helpers the drivers share live in cgroup_fs.c. */
#include "cgroup.h"
#include "cgroup_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#define PROC_SELF_CGROUP_MAX (64 * 1024)

/* runc's and crun's default allowed devices, written after the spec's own
 * rules (so the spec's leading "deny all" cannot wipe them): the nodes every
 * container gets in /dev, plus mknod of any node. */
const char *const cgroup_default_device_rules[] = {
	"c *:* m", "b *:* m",
	"c 1:3 rwm",   /* /dev/null */
	"c 1:8 rwm",   /* /dev/random */
	"c 1:7 rwm",   /* /dev/full */
	"c 5:0 rwm",   /* /dev/tty */
	"c 1:5 rwm",   /* /dev/zero */
	"c 1:9 rwm",   /* /dev/urandom */
	"c 5:1 rwm",   /* /dev/console */
	"c 136:* rwm", /* /dev/pts/N */
	"c 5:2 rwm",   /* /dev/ptmx */
	"c 10:200 rwm", /* /dev/net/tun */
	NULL,
};

const char *cgroup_mount_root(void)
{
	const char *env = getenv("ZRUN_CGROUP_MOUNT");

	return env != NULL && env[0] != '\0' ? env : CGROUP_DEFAULT_MOUNT;
}

int cgroup_detect_version(struct zrun_error *err)
{
	const char *root = cgroup_mount_root();
	struct statfs st;

	if (statfs(root, &st) < 0)
		return zrun_error_set(err, errno, "cgroup: %s: statfs", root);
	/* A hybrid host has a tmpfs here with v1 hierarchies below it (and
	 * maybe a cgroup2 mount at unified/, which zrun leaves alone). */
	if (st.f_type == CGROUP2_SUPER_MAGIC)
		return CGROUP_V2;
	return CGROUP_V1;
}

char *cgroup_read_self(struct zrun_error *err)
{
	char *buf = malloc(PROC_SELF_CGROUP_MAX);
	size_t len = 0;
	int fd;

	if (buf == NULL) {
		zrun_error_set(err, ENOMEM, "cgroup: /proc/self/cgroup");
		return NULL;
	}
	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		zrun_error_set(err, errno, "cgroup: /proc/self/cgroup: open");
		free(buf);
		return NULL;
	}
	while (len < PROC_SELF_CGROUP_MAX - 1) {
		ssize_t n = read(fd, buf + len, PROC_SELF_CGROUP_MAX - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			zrun_error_set(err, errno, "cgroup: /proc/self/cgroup: read");
			close(fd);
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* Does the comma-separated list contain name[0..name_len) exactly? */
static bool list_has_n(const char *list, const char *name, size_t name_len)
{
	for (const char *p = list; *p != '\0';) {
		const char *end = strchrnul(p, ',');
		if ((size_t)(end - p) == name_len && strncmp(p, name, name_len) == 0)
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}

bool cg_lists_overlap(const char *a, const char *b)
{
	for (const char *p = a; *p != '\0';) {
		const char *end = strchrnul(p, ',');
		if (end > p && list_has_n(b, p, (size_t)(end - p)))
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}

/* Is line[0..len) of /proc/self/cgroup the one for CONTROLLERS (NULL: v2)?
 * *path gets where its path starts. */
static bool self_line_matches(const char *line, size_t len, const char *controllers,
			      const char **path)
{
	const char *c1 = memchr(line, ':', len);
	const char *c2 = c1 != NULL ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
	char *ctrls;
	bool match;

	if (c2 == NULL)
		return false;
	*path = c2 + 1;
	if (controllers == NULL) /* v2: "0::/path" */
		return c1 == line + 1 && line[0] == '0' && c2 == c1 + 1;
	ctrls = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
	match = ctrls != NULL && ctrls[0] != '\0' && controllers[0] != '\0' &&
		cg_lists_overlap(ctrls, controllers);
	free(ctrls);
	return match;
}

/* Is ".." one of path's components? */
static bool has_dotdot(const char *path)
{
	for (const char *p = strstr(path, ".."); p != NULL; p = strstr(p + 2, ".."))
		if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return true;
	return false;
}

char *cgroup_relative_base(const char *text, const char *controllers, struct zrun_error *err)
{
	const char *what = controllers != NULL ? controllers : "cgroup v2 (0::)";

	for (const char *line = text; *line != '\0';) {
		const char *eol = strchrnul(line, '\n'), *path;
		char *base;
		if (!self_line_matches(line, (size_t)(eol - line), controllers, &path)) {
			line = *eol == '\n' ? eol + 1 : eol;
			continue;
		}
		base = strndup(path, (size_t)(eol - path));
		if (base == NULL) {
			zrun_error_set(err, ENOMEM, "cgroup: /proc/self/cgroup");
			return NULL;
		}
		/* Inside a cgroup namespace, a cgroup outside its root reads
		 * "/../x": nothing below it can be named from here. */
		if (base[0] != '/' || has_dotdot(base)) {
			zrun_error_set(err, 0, "cgroup: /proc/self/cgroup: the caller's %s cgroup \"%s\" is outside its cgroup namespace",
				       what, base);
			free(base);
			return NULL;
		}
		if (controllers == NULL) {
			char *slash = strrchr(base, '/');
			slash[slash == base ? 1 : 0] = '\0'; /* "/a/b" -> "/a", "/a" -> "/" */
		}
		return base;
	}
	zrun_error_set(err, 0, "cgroup: /proc/self/cgroup: no %s line", what);
	return NULL;
}

char *cgroup_normalize(const char *path, const char *what, bool root_ok, struct zrun_error *err)
{
	size_t len = strlen(path);
	char *out = malloc(len + 2);
	const char *p = path;
	size_t o = 0;

	if (out == NULL) {
		zrun_error_set(err, ENOMEM, "cgroup: %s", what);
		return NULL;
	}
	while (*p != '\0') {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		/* ".." would let a config.json name a cgroup outside the place
		 * it claims. */
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			zrun_error_set(err, 0, "cgroup: %s \"%s\": \"..\" is not allowed in a cgroup path",
				       what, path);
			free(out);
			return NULL;
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = *end == '/' ? end + 1 : end;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	if (!root_ok && strcmp(out, "/") == 0) {
		zrun_error_set(err, 0, "cgroup: %s \"%s\": the root cgroup cannot hold a container",
			       what, path);
		free(out);
		return NULL;
	}
	return out;
}

/* The inputs besides the version: one absolute PATH for every hierarchy, a
 * RELATIVE path below the caller's cgroup in each (v1 only: on v2 the caller
 * resolves it to PATH), or the per-hierarchy paths RECORDED at create. */
struct open_input {
	const char *path;
	const char *relative, *self_cgroup;
	const struct spec_kv *recorded;
	size_t recorded_len;
};

static struct cgroup *open_cgroup(enum cgroup_version version, const struct open_input *in,
				  struct zrun_error *err)
{
	struct cgroup *cg = calloc(1, sizeof(*cg));

	if (cg != NULL)
		cg->dir_fd = cg->claim_fd = -1; /* before any cgroup_free */
	if (cg == NULL || (cg->mount = strdup(cgroup_mount_root())) == NULL ||
	    (in->path != NULL && (cg->path = strdup(in->path)) == NULL)) {
		zrun_error_set(err, ENOMEM, "cgroup %s", in->path != NULL ? in->path : "");
		cgroup_free(cg);
		return NULL;
	}
	cg->version = version;
	cg->driver = version == CGROUP_V2 ? &cgroup_v2_driver : &cgroup_v1_driver;
	cg->relative = in->relative;
	cg->self_cgroup = in->self_cgroup;
	cg->recorded = in->recorded;
	cg->recorded_len = in->recorded_len;
	if (cg->driver->init(cg, err) < 0) {
		cgroup_free(cg);
		return NULL;
	}
	/* The inputs belong to the caller: no pointer to them outlives this. */
	cg->relative = cg->self_cgroup = NULL;
	cg->recorded = NULL;
	cg->recorded_len = 0;
	return cg;
}

/* A relative cgroupsPath: below the caller's own cgroup of each v1
 * hierarchy (resolved by the v1 driver), or beside the caller's v2 cgroup
 * (cgroup_relative_base). */
static struct cgroup *open_relative(const char *cgroups_path, enum cgroup_version version,
				    struct zrun_error *err)
{
	char *rel = cgroup_normalize(cgroups_path, "linux.cgroupsPath", true, err);
	char *self = NULL, *base = NULL, *full = NULL;
	struct cgroup *cg = NULL;
	struct open_input in = { 0 };

	if (rel == NULL)
		return NULL;
	if (strcmp(rel, "/") == 0) {
		zrun_error_set(err, 0, "cgroup: linux.cgroupsPath \"%s\": names the caller's own cgroup",
			       cgroups_path);
	} else if ((self = cgroup_read_self(err)) == NULL) {
		/* err is set */
	} else if (version == CGROUP_V1) {
		in.relative = rel;
		in.self_cgroup = self;
		cg = open_cgroup(version, &in, err);
	} else if ((base = cgroup_relative_base(self, NULL, err)) != NULL) {
		if (asprintf(&full, "%s%s", strcmp(base, "/") == 0 ? "" : base, rel) < 0) {
			full = NULL;
			zrun_error_set(err, ENOMEM, "cgroup: linux.cgroupsPath");
		} else {
			in.path = full;
			cg = open_cgroup(version, &in, err);
		}
	}
	free(full);
	free(base);
	free(self);
	free(rel);
	return cg;
}

struct cgroup *cgroup_open(const char *cgroups_path, const char *id, const char *root,
			   struct zrun_error *err)
{
	struct open_input in = { 0 };
	struct cgroup *cg;
	char *full = NULL, *norm, parent[PATH_MAX];
	int version = cgroup_detect_version(err);

	if (version < 0)
		return NULL;
	if (cgroups_path != NULL && cgroups_path[0] != '\0' && cgroups_path[0] != '/')
		return open_relative(cgroups_path, (enum cgroup_version)version, err);
	if (cgroups_path == NULL || cgroups_path[0] == '\0') {
		if (id == NULL || id[0] == '\0' || strchr(id, '/') != NULL ||
		    strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
			zrun_error_set(err, 0, "cgroup: container id \"%s\" cannot name a cgroup",
				       id != NULL ? id : "");
			return NULL;
		}
		if (cgroup_default_parent(root != NULL ? root : CGROUP_ROOT_DEFAULT, parent,
					  sizeof(parent), err) < 0)
			return NULL;
		if (asprintf(&full, "%s/%s", parent, id) < 0)
			full = NULL;
	} else {
		full = strdup(cgroups_path);
	}
	if (full == NULL) {
		zrun_error_set(err, ENOMEM, "cgroup: linux.cgroupsPath");
		return NULL;
	}
	norm = cgroup_normalize(full, "linux.cgroupsPath", false, err);
	free(full);
	if (norm == NULL)
		return NULL;
	in.path = norm;
	cg = open_cgroup((enum cgroup_version)version, &in, err);
	free(norm);
	return cg;
}

struct cgroup *cgroup_open_recorded(const char *path, const struct spec_kv *paths, size_t n,
				    struct zrun_error *err)
{
	struct open_input in = { 0 };
	struct cgroup *cg;
	char *norm;
	int version;

	if (path == NULL || path[0] != '/') {
		zrun_error_set(err, 0, "cgroup: saved path \"%s\": not absolute",
			       path != NULL ? path : "");
		return NULL;
	}
	version = cgroup_detect_version(err);
	if (version < 0)
		return NULL;
	norm = cgroup_normalize(path, "saved path", false, err);
	if (norm == NULL)
		return NULL;
	in.path = norm;
	in.recorded = paths;
	in.recorded_len = version == CGROUP_V1 ? n : 0;
	cg = open_cgroup((enum cgroup_version)version, &in, err);
	free(norm);
	return cg;
}

struct cgroup *cgroup_open_resolved(const char *resolved_path, struct zrun_error *err)
{
	return cgroup_open_recorded(resolved_path, NULL, 0, err);
}

const struct spec_kv *cgroup_recorded_paths(const struct cgroup *cg, size_t *n)
{
	*n = cg->version == CGROUP_V1 ? cg->hier_len : 0;
	return *n > 0 ? cg->paths : NULL;
}

const char *cgroup_v1_dir(const struct cgroup *cg, const char *mount_point)
{
	for (size_t i = 0; cg != NULL && cg->version == CGROUP_V1 && i < cg->hier_len; i++)
		if (strcmp(cg->hier[i].mount_point, mount_point) == 0)
			return cg->hier[i].dir;
	return NULL;
}

const char *cgroup_path(const struct cgroup *cg)
{
	return cg->path;
}

enum cgroup_version cgroup_version(const struct cgroup *cg)
{
	return cg->version;
}

int cgroup_create(struct cgroup *cg, const struct spec_resources *resources, struct zrun_error *err)
{
	int r = cg->driver->create(cg, err);

	/* A delete of the root's last container may rmdir the shared default
	 * parent between our mkdir of it and of the leaf: make it again. */
	for (int tries = 0; r < 0 && err != NULL && err->errno_value == ENOENT && tries < 3; tries++) {
		cg_undo_made(cg);
		r = cg->driver->create(cg, err);
	}
	/* Claimed before the first limit is written: limits written into a
	 * cgroup another container runs in would be its limits too. */
	if (r < 0 || cg_claim(cg, err) < 0 || cg->driver->apply(cg, resources, true, err) < 0) {
		if (cg->dir_fd >= 0) {
			close(cg->dir_fd);
			cg->dir_fd = -1;
		}
		cg_undo_made(cg);
		return -1;
	}
	cg_forget_made(cg);
	return 0;
}

int cgroup_update(struct cgroup *cg, const struct spec_resources *resources, struct zrun_error *err)
{
	if (resources == NULL)
		return 0;
	return cg->driver->apply(cg, resources, false, err);
}

int cgroup_dir_fd(struct cgroup *cg)
{
	return cg->version == CGROUP_V2 ? cg->dir_fd : -1;
}

int cgroup_add_pid(struct cgroup *cg, pid_t pid, struct zrun_error *err)
{
	return cg->driver->add_pid(cg, pid, err);
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct zrun_error *err)
{
	return cg_collect_pids(cg, cg->driver->pids_dir(cg), pids, n, err);
}

/* Signal every process; for SIGKILL with the cgroup frozen, so that nothing
 * forks a child we have not seen between reading the list and killing. */
int cg_kill_frozen(struct cgroup *cg, int sig, struct zrun_error *err)
{
	struct zrun_error freeze_err;
	pid_t *pids = NULL;
	size_t n = 0;
	bool frozen = false;
	int ret;

	if (cgroup_pids(cg, &pids, &n, err) < 0)
		return -1;
	free(pids);
	if (n == 0)
		return 0;
	/* A freeze that does not complete (a task stuck in D state) must not
	 * stop the kill: kill unfrozen, which catches all but a racing fork. */
	if (sig == SIGKILL)
		frozen = cg->driver->freeze(cg, true, &freeze_err) == 0;
	ret = cgroup_pids(cg, &pids, &n, err);
	if (ret == 0)
		ret = cg_signal_pids(cg, pids, n, sig, err);
	free(pids);
	if (sig == SIGKILL) {
		/* Thaw even when killing failed (a frozen container is worse) and
		 * when freezing timed out half way; killed tasks die on thaw. */
		struct zrun_error thaw_err;
		if (cg->driver->freeze(cg, false, &thaw_err) < 0 && frozen && ret == 0) {
			if (err != NULL)
				*err = thaw_err;
			ret = -1;
		}
	}
	return ret;
}

int cgroup_kill_all(struct cgroup *cg, int sig, struct zrun_error *err)
{
	return cg->driver->kill_all(cg, sig, err);
}

bool cgroup_is_empty(struct cgroup *cg)
{
	return cg->driver->is_empty(cg);
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct zrun_error *err)
{
	return cg->driver->freeze(cg, frozen, err);
}

int cgroup_destroy(struct cgroup *cg, struct zrun_error *err)
{
	if (cg->dir_fd >= 0) {
		close(cg->dir_fd);
		cg->dir_fd = -1;
	}
	return cg->driver->destroy(cg, err);
}

void cgroup_free(struct cgroup *cg)
{
	if (cg == NULL)
		return;
	if (cg->driver != NULL)
		cg->driver->release(cg);
	if (cg->dir_fd >= 0)
		close(cg->dir_fd);
	if (cg->claim_fd >= 0)
		close(cg->claim_fd);
	cg_forget_made(cg);
	free(cg->paths);
	free(cg->path);
	free(cg->mount);
	free(cg->dir);
	free(cg);
}
