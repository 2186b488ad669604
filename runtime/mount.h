/* mount: the container's root filesystem. Propagation, the rootfs bind,
 * every config.json mount with its options, /dev (devices, symlinks),
 * pivot_root (or chroot), masked and read-only paths, a read-only root.
 * Every destination inside the rootfs is resolved with openat2
 * RESOLVE_IN_ROOT and mounted through its fd, so a symlink planted in the
 * image can never point a mount outside the rootfs. */
#ifndef ZRUN_MOUNT_H
#define ZRUN_MOUNT_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

struct cgroup;

struct rootfs_config {
	const struct spec *spec;
	const char *rootfs;        /* absolute host path, for messages only */
	int rootfs_fd;             /* rootfs_clone()'s detached copy of the rootfs */
	bool joined_ns;            /* the mount namespace is joined, not our own */
	const char *bundle;        /* absolute host path (relative bind sources) */
	const char *cgroup_path;   /* the container's cgroup, for cgroup mounts */
	const struct cgroup *cgroup; /* the same: v1 has one directory per hierarchy */
	bool in_user_ns;           /* mknod is impossible: bind host devices */
	bool new_cgroup_ns;
	bool no_pivot;
};

/* In create, before the init is cloned: refuse what cannot be done without
 * a mount namespace of the container's own (mounts, devices, masked paths,
 * ...: they would be made in the host's mount table and outlive it). */
int rootfs_validate(const struct spec *spec, bool no_pivot, struct zrun_error *err);

/* In create, in the namespace where root.path was resolved: a detached copy
 * (open_tree OPEN_TREE_CLONE, recursive) of the rootfs directory rootfs_fd,
 * which the init attaches in its mount namespace: an fd from create's
 * namespace cannot be mounted on or bound from there (EINVAL). */
int rootfs_clone(int rootfs_fd, struct zrun_error *err);

/* Without a mount namespace: make cwd inside the rootfs directory
 * rootfs_fd (as rootfs_prepare does), nothing else. */
int rootfs_make_cwd(const struct spec *spec, int rootfs_fd, struct zrun_error *err);

/* chroot into the directory rootfs_fd and chdir("/"). */
int rootfs_chroot(int rootfs_fd, struct zrun_error *err);

/* Before pivot: propagation, attaching the rootfs copy, mounts, devices. */
int rootfs_prepare(const struct rootfs_config *cfg, struct zrun_error *err);

/* pivot_root into the rootfs (chroot with no_pivot or a joined namespace). */
int rootfs_pivot(const struct rootfs_config *cfg, struct zrun_error *err);

/* After pivot: masked paths, read-only paths, read-only root, propagation. */
int rootfs_finish(const struct rootfs_config *cfg, struct zrun_error *err);

/* Parse mount options into flags and the data string (exposed for tests). */
struct mount_options {
	unsigned long flags;       /* MS_* to set */
	unsigned long clear;       /* MS_* explicitly cleared (rw, suid, ...) */
	unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (| MS_REC) */
	bool bind, recursive;
	bool idmap, idmap_recursive; /* "idmap" / "ridmap": an idmapped bind mount */
	unsigned long long rec_set, rec_clr; /* MOUNT_ATTR_* of "rro", "rnosuid", ... */
	char data[4096];
};
int mount_parse_options(char *const *options, struct mount_options *out, struct zrun_error *err);

#endif
