/* Idmapped bind mounts (runtime-spec 1.2 mounts[].uidMappings/gidMappings,
 * options "idmap"/"ridmap"): a detached copy of the source (open_tree) gets
 * the ids of a throwaway user namespace made from the mappings
 * (mount_setattr MOUNT_ATTR_IDMAP), then is moved onto the target. As runc
 * does, a mapping {containerID, hostID, size} is written as that user
 * namespace's map, and "idmap" without mappings takes linux.uidMappings. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap.h"
#include "mount_internal.h"

/* The child's pid as the mounted /proc numbers it: the init may sit in a
 * new pid namespace while /proc (before pivot_root) is still the host's,
 * so the pid clone3 returned would name another process there. */
static pid_t proc_pid_of_child(int ready_fd)
{
	char buf[32];
	ssize_t n;

	do {
		n = read(ready_fd, buf, sizeof(buf) - 1);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)atoi(buf);
}

/* A user namespace with the given maps, held by an fd; its only process
 * (which never runs any code of interest) is killed at once. */
static int userns_fd(const struct spec_id_mapping *uid, size_t nu, const struct spec_id_mapping *gid,
		     size_t ng, struct zrun_error *err)
{
	struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	int ready[2];

	if (pipe2(ready, O_CLOEXEC) < 0)
		return zrun_error_set(err, errno, "idmapped mount: pipe");
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		int e = errno;
		close(ready[0]);
		close(ready[1]);
		return zrun_error_set(err, e, "idmapped mount: new user namespace");
	}
	if (pid == 0) {
		char self[32];
		ssize_t n = readlink("/proc/self", self, sizeof(self));
		if (n > 0 && write(ready[1], self, (size_t)n) < 0)
			_exit(1);
		close(ready[1]);
		for (;;)
			pause();
	}
	close(ready[1]);
	pid_t proc_pid = proc_pid_of_child(ready[0]);
	close(ready[0]);
	int fd = -1;
	if (proc_pid <= 0)
		zrun_error_set(err, 0, "idmapped mount: the user namespace holder did not report");
	else if (idmap_write(proc_pid, "uid_map", uid, nu, "idmapped mount: uidMappings", err) == 0 &&
		 idmap_write(proc_pid, "gid_map", gid, ng, "idmapped mount: gidMappings", err) == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/user", proc_pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			zrun_error_set(err, errno, "idmapped mount: open %s", path);
	}
	kill((pid_t)pid, SIGKILL);
	while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd;
}

int mount_idmap_tree(const struct rootfs_config *cfg, const struct spec_mount *m,
		     const struct mount_options *mo, const char *source, int tree,
		     struct zrun_error *err)
{
	const struct spec_linux *lx = cfg->spec->linux_;
	const struct spec_id_mapping *uid = m->uid_mappings, *gid = m->gid_mappings;
	size_t nu = m->uid_mappings_len, ng = m->gid_mappings_len;

	if (nu == 0 && lx) {
		uid = lx->uid_mappings;
		nu = lx->uid_mappings_len;
		gid = lx->gid_mappings;
		ng = lx->gid_mappings_len;
	}
	if (nu == 0 || ng == 0)
		return zrun_error_set(err, 0, "idmapped mount: needs uidMappings and gidMappings "
				      "(on the mount, or linux.uidMappings with a user namespace)");
	int ns = userns_fd(uid, nu, gid, ng, err);
	if (ns < 0)
		return -1;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned)ns };
	int r = mount_setattr(tree, "", AT_EMPTY_PATH | (mo->idmap_recursive ? AT_RECURSIVE : 0),
			      &attr, sizeof(attr));
	int e = errno;
	close(ns);
	if (r < 0)
		return zrun_error_set(err, e, "idmapped mount of %s: the kernel or the filesystem "
				      "refuses idmapped mounts", source);
	return 0;
}
