/* rootless: what zrun does differently when it runs without the host's
 * root: the default state root, the container's user namespace and its id
 * maps (from /etc/subuid and /etc/subgid, written through newuidmap and
 * newgidmap), and the answer to "may this container have a cgroup". */
#ifndef ZRUN_ROOTLESS_H
#define ZRUN_ROOTLESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

enum rootless_mode {
	ROOTLESS_NO = 0,     /* root of the host's user namespace */
	ROOTLESS_USER,       /* an ordinary user (euid != 0) */
	ROOTLESS_USERNS,     /* uid 0 of a user namespace that is not the host's
			      * (rootless podman runs its runtime there) */
};

/* Decided once per process from geteuid() and /proc/self/uid_map. */
enum rootless_mode rootless_mode(void);

/* The state root an ordinary user gets when no --root is given:
 * $XDG_RUNTIME_DIR/zrun when that is an absolute path to a directory of
 * theirs, else /tmp/zrun-UID (state_check_root refuses it if someone else
 * made it). Root gets "/run/zrun"; uid 0 of another user namespace the
 * XDG_RUNTIME_DIR it owns (rootless podman sets it), else "/run/zrun".
 * Never fails: BUF is at least PATH_MAX bytes. */
void rootless_default_root(char *buf, size_t len);

/* One entry of /etc/subuid or /etc/subgid ("name:start:count", or the
 * uid/gid in digits instead of the name). */
struct rootless_subid {
	uint32_t start, count;
};

/* Parse the TEXT of a subid file for NAME or ID (the first entry that
 * names either, as newuidmap takes it). 1 when found, 0 when not. Pure. */
int rootless_subid_find(const char *text, const char *name, uint32_t id, struct rootless_subid *out);

/* An ordinary user's container always gets a new user namespace (as crun
 * adds one): without it nothing of create works unprivileged. A new user
 * namespace with no linux.uidMappings / gidMappings gets crun's: 0 -> the
 * user's own id, 1.. -> the user's range in /etc/subuid and /etc/subgid, or
 * only the own id when the user has none. Other modes: no change. */
int rootless_adjust_spec(struct spec *spec, struct zrun_error *err);

/* The container's processes run in a user namespace other than the host's:
 * a new or joined one of linux.namespaces, or the one zrun itself runs in
 * (rootless podman's): no mknod (devices are bound), setgroups may be
 * denied. */
bool rootless_in_user_ns(const struct spec *spec);

/* An ordinary user's container cannot mknod (the kernel refuses it in a
 * user namespace): each linux.devices node is the host's own, bound. Refuse
 * before anything exists a node the host does not have, that is another
 * device, or that the user cannot open (binding it would give nothing). */
int rootless_check_devices(const struct spec *spec, struct zrun_error *err);

/* Write the maps of the new user namespace of PID: directly when they are
 * a single line mapping the caller's own id (the kernel allows that to
 * anyone, with setgroups denied for gid_map), else through newuidmap and
 * newgidmap, which check them against /etc/subuid and /etc/subgid. Root
 * writes them directly. */
int rootless_write_maps(pid_t pid, const struct spec_linux *lx, struct zrun_error *err);

/* An ordinary user cannot copy a mount tree of the host's (open_tree needs
 * CAP_SYS_ADMIN over the host's mount namespace): with a user namespace
 * (new, or joined before the clone) and a new mount namespace, the init,
 * root of both, binds root.path itself and checks that it is the directory
 * create resolved (mount.h, rootfs_bind). */
bool rootless_rootfs_bound_by_init(const struct spec *spec);

/* An ordinary user may not unshare a time namespace owned by the host's
 * user namespace (create does, for root): with a new user namespace, the
 * init is cloned into a new time namespace of it, as crun does; its
 * offsets can then no longer be set. */
bool rootless_time_ns_at_clone(const struct spec *spec);

/* An ordinary user joining another container's user namespace (a pod
 * sharing its network or pid namespace): create joins it before the clone,
 * as crun does, so that the container's new namespaces belong to it (the
 * user owns it), not to the host's, where the user may make none. */
bool rootless_user_ns_joined_here(const struct spec *spec);
int rootless_join_user_ns(const char *path, struct zrun_error *err);

struct cgroup;

/* cgroup_open(), and without root the choice runc and crun make: a cgroup
 * the user cannot make is done without (CGROUP_NONE: linux.resources not
 * applied), except that a cgroupsPath given explicitly is refused, saying
 * why; on cgroup v2 a caller inside a delegated subtree gets zrun/<id>
 * beside its own cgroup (docs/rootless.md). */
struct cgroup *rootless_cgroup_open(const char *cgroups_path, const char *id, const char *root,
				    struct zrun_error *err);

#endif
