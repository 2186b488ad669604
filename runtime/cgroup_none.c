/* cgroup_none: the "cgroup" of a container that has none: one created by an
 * ordinary user where no cgroup is delegated to them (a cgroup v1 host, or
 * v2 without a user slice). As runc and crun do there, linux.resources is
 * not applied; the container's processes are found through its init: every
 * process in the init's pid namespace when it has its own, else the init. */
#include "cgroup.h"
#include "cgroup_driver.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procfs.h"

static int none_ok(struct cgroup *cg, struct zrun_error *err)
{
	(void)cg;
	(void)err;
	return 0;
}

/* create: runc and crun ignore linux.resources where a rootless container
 * cannot have a cgroup (runc: unless cgroupsPath is set, which create
 * refuses before this); update has nothing to write them to. */
static int none_apply(struct cgroup *cg, const struct spec_resources *r, bool creating,
		      struct zrun_error *err)
{
	(void)cg;
	if (creating || r == NULL)
		return 0;
	return zrun_error_set(err, 0, "linux.resources: the container has no cgroup to apply them to "
			      CGROUP_NONE_WHY);
}

static int none_add_pid(struct cgroup *cg, pid_t pid, struct zrun_error *err)
{
	(void)err;
	/* create's first call names the init; an exec'd process joins its pid
	 * namespace and is found there. */
	if (cg->init_pid <= 0)
		cgroup_set_init(cg, pid, 0);
	return 0;
}

static const char *none_pids_dir(struct cgroup *cg)
{
	(void)cg;
	return NULL;
}

static int none_freeze(struct cgroup *cg, bool frozen, struct zrun_error *err)
{
	(void)cg;
	return zrun_error_set(err, 0, "the container has no cgroup to %s " CGROUP_NONE_WHY,
			      frozen ? "freeze" : "thaw");
}

/* The init, when it is still the process create made (not a zombie, not a
 * reused pid): its pid namespace's inode, 0 when it is gone. */
static int init_pidns(const struct cgroup *cg, struct stat *ns)
{
	struct procfs_stat ps;
	char path[64];

	if (cg->init_pid <= 0 || procfs_stat(cg->init_pid, &ps) < 0 || ps.state == 'Z' ||
	    ps.state == 'X' || (cg->init_start_time != 0 && ps.start_time != cg->init_start_time))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)cg->init_pid);
	return stat(path, ns) == 0 ? 1 : 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static int add(pid_t **pids, size_t *n, size_t *cap, pid_t pid)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		pid_t *p = realloc(*pids, c * sizeof(*p));
		if (p == NULL)
			return -1;
		*pids = p;
		*cap = c;
	}
	(*pids)[(*n)++] = pid;
	return 0;
}

/* Every process of /proc whose pid namespace is NS (a zombie has none). */
static int scan_pidns(const struct stat *ns, pid_t **pids, size_t *n, struct zrun_error *err)
{
	DIR *d = opendir("/proc");
	size_t cap = 0;
	struct dirent *e;

	if (d == NULL)
		return zrun_error_set(err, errno, "/proc");
	while ((e = readdir(d)) != NULL) {
		char path[300], *end;
		struct stat st;
		long pid = strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/pid", pid);
		if (stat(path, &st) < 0 || st.st_dev != ns->st_dev || st.st_ino != ns->st_ino)
			continue;
		if (add(pids, n, &cap, (pid_t)pid) < 0) {
			closedir(d);
			return zrun_error_set(err, ENOMEM, "processes of the container");
		}
	}
	closedir(d);
	if (*n > 1)
		qsort(*pids, *n, sizeof(**pids), cmp_pid);
	return 0;
}

static int none_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct zrun_error *err)
{
	struct stat ns, own;
	size_t cap = 0;

	*pids = NULL;
	*n = 0;
	if (!init_pidns(cg, &ns))
		return 0;
	/* Sharing our pid namespace, the container is its init alone: its
	 * children are not told apart from anyone else's. */
	if (stat("/proc/self/ns/pid", &own) == 0 && own.st_dev == ns.st_dev && own.st_ino == ns.st_ino)
		return add(pids, n, &cap, cg->init_pid) < 0 ? zrun_error_set(err, ENOMEM, "pids") : 0;
	return scan_pidns(&ns, pids, n, err);
}

static int none_kill_all(struct cgroup *cg, int sig, struct zrun_error *err)
{
	pid_t *pids = NULL;
	size_t n = 0;

	if (none_pids(cg, &pids, &n, err) < 0)
		return -1;
	/* Killing the init of a pid namespace kills all of it (what forks
	 * after the scan too); then the rest, for the shared-namespace case. */
	if (sig == SIGKILL && n > 0 && kill(cg->init_pid, SIGKILL) < 0 && errno != ESRCH) {
		free(pids);
		return zrun_error_set(err, errno, "kill %d", (int)cg->init_pid);
	}
	int r = cg_signal_pids(cg, pids, n, sig, err);
	free(pids);
	return r;
}

static bool none_is_empty(struct cgroup *cg)
{
	struct stat ns;

	return !init_pidns(cg, &ns);
}

static void none_release(struct cgroup *cg)
{
	(void)cg;
}

const struct cgroup_driver cgroup_none_driver = {
	.init = none_ok,
	.create = none_ok,
	.apply = none_apply,
	.add_pid = none_add_pid,
	.pids = none_pids,
	.pids_dir = none_pids_dir,
	.freeze = none_freeze,
	.kill_all = none_kill_all,
	.is_empty = none_is_empty,
	.destroy = none_ok,
	.release = none_release,
};

void cgroup_set_init(struct cgroup *cg, pid_t pid, unsigned long long start_time)
{
	struct procfs_stat ps;

	cg->init_pid = pid;
	cg->init_start_time = start_time;
	if (start_time == 0 && pid > 0 && procfs_stat(pid, &ps) == 0)
		cg->init_start_time = ps.start_time;
}

/* Can the user make DIR: its nearest existing ancestor is writable. */
static bool can_make(const char *dir)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return false;
	for (;;) {
		if (access(path, F_OK) == 0)
			return access(path, W_OK) == 0;
		char *slash = strrchr(path, '/');
		if (slash == NULL || slash == path)
			return false;
		*slash = '\0';
	}
}

bool cgroup_can_create(const struct cgroup *cg)
{
	if (cg->version == CGROUP_NONE)
		return true;
	if (cg->version == CGROUP_V2)
		return can_make(cg->dir);
	for (size_t i = 0; i < cg->hier_len; i++)
		if (!can_make(cg->hier[i].dir))
			return false;
	return true;
}
