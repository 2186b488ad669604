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
	const char *rootfs;        /* absolute host path */
	const char *bundle;        /* absolute host path (relative bind sources) */
	const char *cgroup_path;   /* the container's cgroup, for cgroup mounts */
	const struct cgroup *cgroup; /* the same: v1 has one directory per hierarchy */
	bool in_user_ns;           /* mknod is impossible: bind host devices */
	bool new_cgroup_ns;
	bool no_pivot;
};

/* Before pivot: propagation, rootfs bind, mounts, devices. Opens and keeps
 * *devnull_fd (host /dev/null, checked to be char 1:3) for masking. */
int rootfs_prepare(const struct rootfs_config *cfg, int *devnull_fd, struct zrun_error *err);

/* pivot_root into the rootfs (or MS_MOVE + chroot with no_pivot). */
int rootfs_pivot(const struct rootfs_config *cfg, struct zrun_error *err);

/* After pivot: masked paths, read-only paths, read-only root, propagation. */
int rootfs_finish(const struct rootfs_config *cfg, int devnull_fd, struct zrun_error *err);

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
