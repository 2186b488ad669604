/* rootless: the state root, user namespace and id maps of a zrun run
 * without the host's root (rootless.h). crun is the model: the same default
 * maps from /etc/subuid, the same helpers (newuidmap, newgidmap). */
#include "rootless.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "idmap.h"
#include "passwd.h"

#define SUBID_FILE_MAX (256 * 1024)
#define HELPER_OUTPUT_MAX 512

extern char **environ;

/* The identity map of the host's user namespace: "0 0 4294967295". */
static bool in_initial_userns(void)
{
	char buf[128];
	unsigned long a, b, n;
	int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (len <= 0)
		return true; /* no /proc: nothing else to go by */
	buf[len] = '\0';
	return sscanf(buf, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 && n == 4294967295UL;
}

enum rootless_mode rootless_mode(void)
{
	static int mode = -1;

	if (mode < 0)
		mode = geteuid() != 0 ? ROOTLESS_USER : in_initial_userns() ? ROOTLESS_NO : ROOTLESS_USERNS;
	return (enum rootless_mode)mode;
}

bool rootless_in_user_ns(const struct spec *spec)
{
	return spec_namespace_find(spec, SPEC_NS_USER) != NULL || rootless_mode() == ROOTLESS_USERNS;
}

void rootless_default_root(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	/* pam_systemd's per-user tmpfs, as podman and crun use it; a value
	 * that is not an absolute directory is ignored as they ignore it. In
	 * a user namespace (rootless podman's), uid 0 is the user: runc's rule,
	 * the directory must be that uid's. */
	bool xdg_ok = xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
		      st.st_uid == geteuid();
	if (rootless_mode() != ROOTLESS_NO && xdg_ok && snprintf(buf, len, "%s/zrun", xdg) < (int)len)
		return;
	if (geteuid() == 0)
		snprintf(buf, len, "/run/zrun");
	else
		snprintf(buf, len, "/tmp/zrun-%u", (unsigned)geteuid());
}

int rootless_subid_find(const char *text, const char *name, uint32_t id, struct rootless_subid *out)
{
	char idtext[16];

	snprintf(idtext, sizeof(idtext), "%u", id);
	for (const char *p = text; *p != '\0';) {
		const char *end = strchrnul(p, '\n');
		const char *colon = memchr(p, ':', (size_t)(end - p));
		size_t klen = colon ? (size_t)(colon - p) : 0;
		unsigned long start, count;
		char tail;

		if (colon && ((name && strlen(name) == klen && strncmp(p, name, klen) == 0) ||
			      (strlen(idtext) == klen && strncmp(p, idtext, klen) == 0)) &&
		    sscanf(colon + 1, "%lu:%lu%c", &start, &count, &tail) >= 2 &&
		    count > 0 && start <= UINT32_MAX && count <= UINT32_MAX - start) {
			out->start = (uint32_t)start;
			out->count = (uint32_t)count;
			return 1;
		}
		p = *end == '\n' ? end + 1 : end;
	}
	return 0;
}

/* The user's range in FILE; 0 when the file or the entry is missing. */
static int subid_lookup(const char *file, const char *name, uint32_t id, struct rootless_subid *out)
{
	char *text = malloc(SUBID_FILE_MAX);
	size_t len = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	int found = 0;

	if (text != NULL && fd >= 0) {
		ssize_t n;
		while (len < SUBID_FILE_MAX - 1 &&
		       ((n = read(fd, text + len, SUBID_FILE_MAX - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
			len += n > 0 ? (size_t)n : 0;
		text[len] = '\0';
		found = rootless_subid_find(text, name, id, out);
	}
	if (fd >= 0)
		close(fd);
	free(text);
	return found;
}

/* 0 -> own id (1), then 1.. -> the subordinate range when there is one. */
static int default_map(const char *file, const char *name, uint32_t own, struct spec_id_mapping **m,
		       size_t *n, struct zrun_error *err)
{
	struct rootless_subid sub;
	int has_sub = subid_lookup(file, name, own, &sub);

	*m = calloc(2, sizeof(**m));
	if (*m == NULL)
		return zrun_error_set(err, ENOMEM, "user namespace: %s", file);
	(*m)[0] = (struct spec_id_mapping){ .container_id = 0, .host_id = own, .size = 1 };
	if (has_sub)
		(*m)[1] = (struct spec_id_mapping){ .container_id = 1, .host_id = sub.start, .size = sub.count };
	*n = has_sub ? 2 : 1;
	return 0;
}

static int add_user_namespace(struct spec_linux *lx, struct zrun_error *err)
{
	struct spec_namespace *ns = realloc(lx->namespaces, (lx->namespaces_len + 1) * sizeof(*ns));

	if (ns == NULL)
		return zrun_error_set(err, ENOMEM, "user namespace");
	lx->namespaces = ns;
	/* First, as runc and crun list it: it owns every other new one. */
	memmove(ns + 1, ns, lx->namespaces_len * sizeof(*ns));
	ns[0] = (struct spec_namespace){ .type = SPEC_NS_USER, .path = NULL };
	lx->namespaces_len++;
	return 0;
}

int rootless_adjust_spec(struct spec *spec, struct zrun_error *err)
{
	if (rootless_mode() != ROOTLESS_USER)
		return 0;
	if (spec->linux_ == NULL && (spec->linux_ = calloc(1, sizeof(*spec->linux_))) == NULL)
		return zrun_error_set(err, ENOMEM, "config.json: linux");
	struct spec_linux *lx = spec->linux_;
	const struct spec_namespace *user = spec_namespace_find(spec, SPEC_NS_USER);
	if (user == NULL && add_user_namespace(lx, err) < 0)
		return -1;
	user = spec_namespace_find(spec, SPEC_NS_USER);
	if (user->path != NULL || lx->uid_mappings_len > 0 || lx->gid_mappings_len > 0)
		return 0;
	/* from /etc/passwd itself, not getpwuid(): a static zrun cannot load
	 * glibc's NSS modules (passwd.h) */
	char name[256];
	passwd_user_name(geteuid(), name, sizeof(name));
	if (default_map("/etc/subuid", name[0] ? name : NULL, geteuid(), &lx->uid_mappings, &lx->uid_mappings_len,
			err) < 0 ||
	    default_map("/etc/subgid", name[0] ? name : NULL, getegid(), &lx->gid_mappings, &lx->gid_mappings_len,
			err) < 0)
		return -1;
	return 0;
}

int rootless_check_devices(const struct spec *spec, struct zrun_error *err)
{
	const struct spec_linux *lx = spec->linux_;

	for (size_t i = 0; rootless_mode() == ROOTLESS_USER && lx && i < lx->devices_len; i++) {
		const struct spec_device *d = &lx->devices[i];
		struct stat st;
		if (d->type == 'p')
			continue; /* a fifo is made, not bound */
		mode_t type = d->type == 'b' ? S_IFBLK : S_IFCHR;
		if (stat(d->path, &st) < 0)
			return zrun_error_set(err, errno, "linux.devices[%zu] %s: without root the host's "
					      "node is bound into the container", i, d->path);
		if ((st.st_mode & S_IFMT) != type || major(st.st_rdev) != d->major ||
		    minor(st.st_rdev) != d->minor)
			return zrun_error_set(err, 0, "linux.devices[%zu] %s: the host's node is not the "
					      "requested %c %lld:%lld, and without root it cannot be made",
					      i, d->path, d->type == 'b' ? 'b' : 'c', (long long)d->major,
					      (long long)d->minor);
		if (access(d->path, R_OK) < 0 && access(d->path, W_OK) < 0)
			return zrun_error_set(err, 0, "linux.devices[%zu] %s: uid %u cannot open the host's "
					      "node (mode %04o, owner uid %u): without root a container "
					      "gets only the devices its user can open", i, d->path,
					      (unsigned)geteuid(), (unsigned)(st.st_mode & 07777),
					      (unsigned)st.st_uid);
	}
	return 0;
}

/* Run HELPER PID C H S ...; its own words on failure (newuidmap says which
 * range /etc/subuid does not allow). */
static int run_map_helper(const char *helper, pid_t pid, const struct spec_id_mapping *m, size_t n,
			  const char *what, struct zrun_error *err)
{
	char args[IDMAP_MAX_LINES * 3 + 3][16], out[HELPER_OUTPUT_MAX];
	char *argv[IDMAP_MAX_LINES * 3 + 3];
	size_t a = 0;
	int pipefd[2], status = 0;
	pid_t child;

	if (n > IDMAP_MAX_LINES)
		return zrun_error_set(err, 0, "%s: %zu mappings, the kernel takes at most %d", what, n,
				      IDMAP_MAX_LINES);
	argv[a++] = (char *)helper;
	snprintf(args[a], sizeof(args[a]), "%d", (int)pid);
	argv[a] = args[a];
	a++;
	for (size_t i = 0; i < n; i++) {
		uint32_t v[3] = { m[i].container_id, m[i].host_id, m[i].size };
		for (int k = 0; k < 3; k++, a++) {
			snprintf(args[a], sizeof(args[a]), "%u", v[k]);
			argv[a] = args[a];
		}
	}
	argv[a] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return zrun_error_set(err, errno, "%s: pipe", helper);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	int r = posix_spawnp(&child, helper, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (r != 0) {
		close(pipefd[0]);
		return zrun_error_set(err, r, "%s: %s (install the uidmap package, or give only your "
				      "own id in %s)", what, helper, what);
	}
	ssize_t len = 0, got;
	while (len < (ssize_t)sizeof(out) - 1 &&
	       ((got = read(pipefd[0], out + len, sizeof(out) - 1 - (size_t)len)) > 0 ||
		(got < 0 && errno == EINTR)))
		len += got > 0 ? got : 0;
	close(pipefd[0]);
	out[len] = '\0';
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	out[strcspn(out, "\n")] = '\0';
	return zrun_error_set(err, 0, "%s: %s failed: %s", what, helper,
			      out[0] ? out : "no reason given");
}

/* A single line mapping the caller's own id: the kernel's unprivileged case. */
static bool own_id_only(const struct spec_id_mapping *m, size_t n, uint32_t own)
{
	return n == 1 && m[0].host_id == own && m[0].size == 1;
}

static int deny_setgroups(pid_t pid, struct zrun_error *err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return zrun_error_set(err, errno, "open %s", path);
	ssize_t w = write(fd, "deny", 4);
	int e = errno;
	close(fd);
	return w == 4 ? 0 : zrun_error_set(err, e, "write %s", path);
}

int rootless_write_maps(pid_t pid, const struct spec_linux *lx, struct zrun_error *err)
{
	const char *uw = "linux.uidMappings", *gw = "linux.gidMappings";

	if (rootless_mode() != ROOTLESS_USER)
		return idmap_write(pid, "uid_map", lx->uid_mappings, lx->uid_mappings_len, uw, err) < 0 ||
		       idmap_write(pid, "gid_map", lx->gid_mappings, lx->gid_mappings_len, gw, err) < 0 ? -1 : 0;
	if (own_id_only(lx->uid_mappings, lx->uid_mappings_len, geteuid())) {
		if (idmap_write(pid, "uid_map", lx->uid_mappings, 1, uw, err) < 0)
			return -1;
	} else if (run_map_helper("newuidmap", pid, lx->uid_mappings, lx->uid_mappings_len, uw, err) < 0) {
		return -1;
	}
	/* Without CAP_SETGID the kernel takes a gid_map only once setgroups
	 * is denied (CVE-2014-8989: dropping a group could grant access). */
	if (own_id_only(lx->gid_mappings, lx->gid_mappings_len, getegid()))
		return deny_setgroups(pid, err) < 0 ||
		       idmap_write(pid, "gid_map", lx->gid_mappings, 1, gw, err) < 0 ? -1 : 0;
	return run_map_helper("newgidmap", pid, lx->gid_mappings, lx->gid_mappings_len, gw, err);
}

bool rootless_rootfs_bound_by_init(const struct spec *spec)
{
	const struct spec_namespace *user = spec_namespace_find(spec, SPEC_NS_USER);
	const struct spec_namespace *mnt = spec_namespace_find(spec, SPEC_NS_MOUNT);

	return rootless_mode() == ROOTLESS_USER && user && mnt && mnt->path == NULL;
}

bool rootless_time_ns_at_clone(const struct spec *spec)
{
	const struct spec_namespace *user = spec_namespace_find(spec, SPEC_NS_USER);

	return rootless_mode() == ROOTLESS_USER && user && user->path == NULL;
}

bool rootless_user_ns_joined_here(const struct spec *spec)
{
	const struct spec_namespace *user = spec_namespace_find(spec, SPEC_NS_USER);

	return rootless_mode() == ROOTLESS_USER && user && user->path != NULL;
}

int rootless_join_user_ns(const char *path, struct zrun_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return zrun_error_set(err, errno, "linux.namespaces: user namespace %s", path);
	int r = setns(fd, CLONE_NEWUSER);
	int e = errno;
	close(fd);
	return r < 0 ? zrun_error_set(err, e, "join user namespace %s", path) : 0;
}

/* cgroup v2 delegates a subtree to a user (systemd's user@UID.service): a
 * caller inside one gets zrun/<id> beside its own cgroup, where a relative
 * cgroupsPath goes, when the user can make it there. */
static struct cgroup *open_beside_caller(const char *id, const char *root)
{
	struct zrun_error ignored;
	char *rel = NULL;

	if (asprintf(&rel, "zrun/%s", id) < 0)
		return NULL;
	struct cgroup *cg = cgroup_open(rel, id, root, &ignored);
	free(rel);
	if (cg != NULL && !cgroup_can_create(cg)) {
		cgroup_free(cg);
		cg = NULL;
	}
	return cg;
}

struct cgroup *rootless_cgroup_open(const char *cgroups_path, const char *id, const char *root,
				    struct zrun_error *err)
{
	struct cgroup *cg = cgroup_open(cgroups_path, id, root, err);

	if (cg == NULL || rootless_mode() == ROOTLESS_NO || cgroup_can_create(cg))
		return cg;
	if (cgroups_path != NULL && cgroups_path[0] != '\0') {
		zrun_error_set(err, 0, "linux.cgroupsPath %s: cgroup %s cannot be made by uid %u "
			       "(no cgroup is delegated to this user); remove linux.cgroupsPath "
			       "to run without a cgroup and its limits",
			       cgroups_path, cgroup_path(cg), (unsigned)geteuid());
		cgroup_free(cg);
		return NULL;
	}
	bool v2 = cgroup_version(cg) == CGROUP_V2;
	cgroup_free(cg);
	cg = v2 ? open_beside_caller(id, root) : NULL;
	return cg != NULL ? cg : cgroup_open_none(err);
}
