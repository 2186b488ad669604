/* cgroup: detection of the host's cgroup version, resolution of a
 * container's cgroup path, and dispatch to the v1 or v2 driver. The file and
 * directory helpers the drivers share live in cgroup_fs.c. */
#include "cgroup.h"
#include "cgroup_driver.h"

#include <errno.h>
#include <fcntl.h>
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

/* Read /proc/self/cgroup (bounded) into a malloc'd string. */
static char *read_proc_self_cgroup(struct zrun_error *err)
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

/* Does the comma-separated list contain name exactly? */
static bool list_has(const char *list, const char *name)
{
	size_t name_len = strlen(name);
	const char *p = list;

	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == name_len && strncmp(p, name, len) == 0)
			return true;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return false;
}

char *cgroup_self_path(const char *controller, struct zrun_error *err)
{
	char *text = read_proc_self_cgroup(err);
	char *line, *save = NULL, *found = NULL;

	if (text == NULL)
		return NULL;
	/* Lines read "hierarchy-id:controllers:path"; v2 is "0::/path". */
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *ctrl = strchr(line, ':');
		char *path = ctrl != NULL ? strchr(ctrl + 1, ':') : NULL;
		if (path == NULL)
			continue;
		*path++ = '\0';
		ctrl++;
		if (controller == NULL ? (strcmp(line, "0:") == 0 || ctrl[0] == '\0')
				       : list_has(ctrl, controller)) {
			found = strdup(path);
			if (found == NULL)
				zrun_error_set(err, ENOMEM, "cgroup: /proc/self/cgroup");
			free(text);
			return found;
		}
	}
	free(text);
	zrun_error_set(err, 0, "cgroup: /proc/self/cgroup: no %s line",
		       controller != NULL ? controller : "cgroup v2 (0::)");
	return NULL;
}

/* "/a//b/./c/" -> "/a/b/c"; ".." anywhere is refused, since it would let a
 * config.json name a cgroup outside the place it claims. */
static char *normalize_path(const char *path, const char *what, struct zrun_error *err)
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
	return out;
}

static struct cgroup *open_normalized(const char *path, enum cgroup_version version,
				      const char *what, struct zrun_error *err)
{
	struct cgroup *cg;
	char *norm = normalize_path(path, what, err);

	if (norm == NULL)
		return NULL;
	if (strcmp(norm, "/") == 0) {
		zrun_error_set(err, 0, "cgroup: %s \"%s\": the root cgroup cannot hold a container",
			       what, path);
		free(norm);
		return NULL;
	}
	cg = calloc(1, sizeof(*cg));
	if (cg == NULL || (cg->mount = strdup(cgroup_mount_root())) == NULL) {
		zrun_error_set(err, ENOMEM, "cgroup %s", norm);
		free(cg);
		free(norm);
		return NULL;
	}
	cg->path = norm;
	cg->version = version;
	cg->dir_fd = -1;
	cg->driver = version == CGROUP_V2 ? &cgroup_v2_driver : &cgroup_v1_driver;
	if (cg->driver->init(cg, err) < 0) {
		cgroup_free(cg);
		return NULL;
	}
	return cg;
}

/* The caller's own cgroup, the base of a relative cgroupsPath. On v1 every
 * hierarchy may differ; memory (else pids) is the one that matters most. */
static char *self_base(enum cgroup_version version, struct zrun_error *err)
{
	char *base;

	if (version == CGROUP_V2)
		return cgroup_self_path(NULL, err);
	base = cgroup_self_path("memory", err);
	if (base == NULL)
		base = cgroup_self_path("pids", err);
	return base;
}

struct cgroup *cgroup_open(const char *cgroups_path, const char *id, struct zrun_error *err)
{
	struct cgroup *cg;
	char *full = NULL;
	int version = cgroup_detect_version(err);

	if (version < 0)
		return NULL;
	if (cgroups_path == NULL || cgroups_path[0] == '\0') {
		if (id == NULL || id[0] == '\0' || strchr(id, '/') != NULL ||
		    strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
			zrun_error_set(err, 0, "cgroup: container id \"%s\" cannot name a cgroup",
				       id != NULL ? id : "");
			return NULL;
		}
		if (asprintf(&full, "/zrun/%s", id) < 0)
			full = NULL;
	} else if (cgroups_path[0] == '/') {
		full = strdup(cgroups_path);
	} else {
		/* Normalize first, so ".." is refused in the user's own words. */
		char *rel = normalize_path(cgroups_path, "linux.cgroupsPath", err), *base;
		if (rel == NULL)
			return NULL;
		if (strcmp(rel, "/") == 0) {
			free(rel);
			zrun_error_set(err, 0, "cgroup: linux.cgroupsPath \"%s\": names the caller's own cgroup",
				       cgroups_path);
			return NULL;
		}
		base = self_base((enum cgroup_version)version, err);
		if (base == NULL) {
			free(rel);
			return NULL;
		}
		if (asprintf(&full, "%s%s", base, rel) < 0)
			full = NULL;
		free(base);
		free(rel);
	}
	if (full == NULL) {
		zrun_error_set(err, ENOMEM, "cgroup: linux.cgroupsPath");
		return NULL;
	}
	cg = open_normalized(full, (enum cgroup_version)version, "linux.cgroupsPath", err);
	free(full);
	return cg;
}

struct cgroup *cgroup_open_resolved(const char *resolved_path, struct zrun_error *err)
{
	int version;

	if (resolved_path == NULL || resolved_path[0] != '/') {
		zrun_error_set(err, 0, "cgroup: saved path \"%s\": not absolute",
			       resolved_path != NULL ? resolved_path : "");
		return NULL;
	}
	version = cgroup_detect_version(err);
	if (version < 0)
		return NULL;
	return open_normalized(resolved_path, (enum cgroup_version)version, "saved path", err);
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
	if (cg->driver->create(cg, err) < 0 || cg->driver->apply(cg, resources, true, err) < 0) {
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
	cg_forget_made(cg);
	free(cg->path);
	free(cg->mount);
	free(cg->dir);
	free(cg);
}
