/* cgroup_owner: which container a cgroup belongs to. A --root's default
 * parent cgroup (so that two roots with the same ids never share a leaf),
 * the claim create makes on its leaf (locked, refused when it holds
 * processes) and the identity it records, which kill and delete check
 * before they signal or remove anything. */
#include "cgroup.h"
#include "cgroup_driver.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a create waits for another create of the same leaf. */
#define CLAIM_WAIT_MS 10000

/* PATH made canonical into BUF: realpath when it exists, else by its text
 * ("//a/./b/" -> "/a/b"), so a root that is not made yet names the same
 * parent as it will once it is. */
static void canonical(const char *path, char *buf, size_t size)
{
	char *norm;

	if (realpath(path, buf) != NULL)
		return;
	norm = path[0] == '/' ? cgroup_normalize(path, "root", true, NULL) : NULL;
	snprintf(buf, size, "%s", norm != NULL ? norm : path);
	free(norm);
}

/* FNV-1a, 32 bits: short enough to read in a path, and a collision between
 * two roots only makes them share a parent: the claim below still keeps
 * their containers in leaves of their own. */
static uint32_t fnv1a32(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

int cgroup_default_parent(const char *root, char *buf, size_t size, struct zrun_error *err)
{
	char canon[PATH_MAX], def[PATH_MAX];
	int n;

	/* The canonical path: "/run/zrun/", "/run//zrun" and a symlink to it
	 * are one root, one world. */
	canonical(root, canon, sizeof(canon));
	canonical(CGROUP_ROOT_DEFAULT, def, sizeof(def));
	if (strcmp(canon, def) == 0)
		n = snprintf(buf, size, "/zrun");
	else
		n = snprintf(buf, size, "/zrun-%08x", fnv1a32(canon));
	if (n < 0 || (size_t)n >= size)
		return zrun_error_set(err, ENAMETOOLONG, "cgroup: default parent of root %s", root);
	return 0;
}

/* Every pid below the leaf, whatever created it: another container's init,
 * or a process a user moved there. */
static int leaf_pid_count(struct cgroup *cg, size_t *n, struct zrun_error *err)
{
	pid_t *pids = NULL;
	int r = cgroup_pids(cg, &pids, n, err);

	free(pids);
	return r;
}

static bool made_here(const struct cgroup *cg, const char *dir)
{
	for (size_t i = 0; i < cg->made_len; i++)
		if (strcmp(cg->made[i], dir) == 0)
			return true;
	return false;
}

/* Open and lock the leaf; refuse it when a process is in it. */
static int lock_empty_leaf(struct cgroup *cg, const char *dir, struct zrun_error *err)
{
	size_t n = 0;

	if (cg->claim_fd >= 0)
		close(cg->claim_fd);
	cg->claim_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->claim_fd < 0)
		return zrun_error_set(err, errno, "cgroup %s: open %s", cg->path, dir);
	/* Two creates of one leaf at once: the second waits here until the
	 * first has its init inside, then finds it busy. Not a blocking
	 * flock: the first's init shares the lock until it execs (at start),
	 * so a waiter looks at the leaf meanwhile and stops at a process. */
	for (long deadline = now_ms() + CLAIM_WAIT_MS;;) {
		if (leaf_pid_count(cg, &n, err) < 0)
			return -1;
		if (n > 0 || flock(cg->claim_fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return zrun_error_set(err, errno, "cgroup %s: lock %s", cg->path, dir);
		if (now_ms() >= deadline)
			return zrun_error_set(err, 0, "cgroup %s: another create of it has not finished after %d ms",
					      cg->path, CLAIM_WAIT_MS);
		sleep_ms(2);
	}
	if (n == 0 && leaf_pid_count(cg, &n, err) < 0) /* under the lock now */
		return -1;
	/* runc refuses the same way ("container's cgroup is not empty"):
	 * sharing a leaf would let one container's kill --all, delete --force
	 * and limits reach the other's processes. A pod's parent cgroup is
	 * not a leaf: its containers each have their own below it. */
	if (n > 0)
		return zrun_error_set(err, 0, "cgroup %s is not empty: %zu process%s already in it (another container's?); give this container a cgroup of its own (linux.cgroupsPath)",
				      cg->path, n, n == 1 ? "" : "es");
	return 0;
}

/* A leaf that was there before (a stopped container's of another root,
 * whose delete is still to come) would keep its identity and be that
 * container's too: made again, it gets one of its own. One with
 * sub-cgroups cannot be removed and is kept as it is. */
static int remake_leaf(struct cgroup *cg, const char *dir, bool *remade, struct zrun_error *err)
{
	*remade = false;
	if (rmdir(dir) < 0)
		return errno == EBUSY || errno == ENOTEMPTY ? 0
			: zrun_error_set(err, errno, "cgroup %s: rmdir %s", cg->path, dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return zrun_error_set(err, errno, "cgroup %s: mkdir %s", cg->path, dir);
	*remade = true;
	if (cg->dir_fd >= 0) { /* v2: CLONE_INTO_CGROUP needs the new one */
		close(cg->dir_fd);
		cg->dir_fd = open(cg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg->dir_fd < 0)
			return zrun_error_set(err, errno, "cgroup %s: open %s", cg->path, cg->dir);
	}
	return 0;
}

int cg_claim(struct cgroup *cg, struct zrun_error *err)
{
	const char *dir = cg->driver->pids_dir(cg);
	bool fresh = made_here(cg, dir), remade = false;
	struct stat st;

	if (lock_empty_leaf(cg, dir, err) < 0)
		return -1;
	if (!fresh) {
		if (remake_leaf(cg, dir, &remade, err) < 0)
			return -1;
		/* Another create may have made it between our rmdir and mkdir:
		 * lock it again, and wait for that one to finish. */
		if (remade && lock_empty_leaf(cg, dir, err) < 0)
			return -1;
	}
	if (fstat(cg->claim_fd, &st) < 0)
		return zrun_error_set(err, errno, "cgroup %s: stat %s", cg->path, dir);
	cg->identity = (uint64_t)st.st_ino;
	return 0;
}

uint64_t cgroup_identity(const struct cgroup *cg)
{
	return cg->identity;
}

int cgroup_check_identity(struct cgroup *cg, uint64_t identity, struct zrun_error *err)
{
	const char *dir = cg->driver->pids_dir(cg);
	struct stat st;

	if (identity == 0)
		return 0; /* recorded by a zrun before identities: trust the path */
	if (stat(dir, &st) < 0) {
		zrun_error_set(err, 0, "cgroup %s: gone (%s)", cg->path, strerror(errno));
		if (err != NULL)
			err->errno_value = ENOENT;
		return -1;
	}
	/* kernfs numbers a new directory afresh (a cyclic id): a leaf removed
	 * and made again by someone else has another inode. */
	if ((uint64_t)st.st_ino != identity) {
		zrun_error_set(err, 0, "cgroup %s is not the one this container's create made (inode %llu, recorded %llu): another's now, left alone",
			       cg->path, (unsigned long long)st.st_ino, (unsigned long long)identity);
		if (err != NULL)
			err->errno_value = ESTALE;
		return -1;
	}
	cg->identity = identity;
	return 0;
}

/* rmdir the parent of DIR; best effort (it still has other children). */
static void rmdir_parent(const char *dir)
{
	char parent[PATH_MAX];
	char *slash;

	if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
		return;
	slash = strrchr(parent, '/');
	if (slash == NULL || slash == parent)
		return;
	*slash = '\0';
	rmdir(parent);
}

void cgroup_remove_default_parent(struct cgroup *cg, const char *root)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(cg->path, '/');
	size_t len = slash != NULL ? (size_t)(slash - cg->path) : 0;

	/* Only a root's own parent, never "/zrun" (shared with what older
	 * zruns made) nor one a config.json named. */
	if (cgroup_default_parent(root, parent, sizeof(parent), NULL) < 0 ||
	    strcmp(parent, "/zrun") == 0 || strlen(parent) != len ||
	    strncmp(cg->path, parent, len) != 0)
		return;
	if (cg->version == CGROUP_V2) {
		rmdir_parent(cg->dir);
		return;
	}
	for (size_t i = 0; i < cg->hier_len; i++)
		rmdir_parent(cg->hier[i].dir);
}
