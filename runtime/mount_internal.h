/* Shared between mount.c (the mounts loop) and mount_dev.c (/dev and
 * cgroup mounts); not part of the mount interface. */
#ifndef ZRUN_MOUNT_INTERNAL_H
#define ZRUN_MOUNT_INTERNAL_H

#include "mount.h"

unsigned long mount_propagation_flag(const char *name);
unsigned long mount_locked_flags(const char *path);
int mount_remount_bind(const char *target, unsigned long flags, struct zrun_error *err);
int dev_setup(const struct rootfs_config *cfg, int rootfd, struct zrun_error *err);
int mount_cgroup(const struct rootfs_config *cfg, const struct spec_mount *m,
		 const struct mount_options *mo, int rootfd, struct zrun_error *err);

/* mount_idmap.c: make tree, a detached copy (open_tree) of source, an
 * idmapped mount (mount_setattr MOUNT_ATTR_IDMAP) before it is moved into
 * place. */
int mount_idmap_tree(const struct rootfs_config *cfg, const struct spec_mount *m,
		     const struct mount_options *mo, const char *source, int tree,
		     struct zrun_error *err);

#endif
