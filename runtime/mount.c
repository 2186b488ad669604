#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mount_internal.h"
#include "rootpath.h"

struct option_flag {
	const char *name;
	bool clear;            /* the option clears the flag ("rw", "suid") */
	unsigned long flag;
};

static const struct option_flag option_flags[] = {
	{ "ro", false, MS_RDONLY }, { "rw", true, MS_RDONLY },
	{ "nosuid", false, MS_NOSUID }, { "suid", true, MS_NOSUID },
	{ "nodev", false, MS_NODEV }, { "dev", true, MS_NODEV },
	{ "noexec", false, MS_NOEXEC }, { "exec", true, MS_NOEXEC },
	{ "sync", false, MS_SYNCHRONOUS }, { "async", true, MS_SYNCHRONOUS },
	{ "dirsync", false, MS_DIRSYNC },
	{ "remount", false, MS_REMOUNT },
	{ "mand", false, MS_MANDLOCK }, { "nomand", true, MS_MANDLOCK },
	{ "noatime", false, MS_NOATIME }, { "atime", true, MS_NOATIME },
	{ "nodiratime", false, MS_NODIRATIME }, { "diratime", true, MS_NODIRATIME },
	{ "relatime", false, MS_RELATIME }, { "norelatime", true, MS_RELATIME },
	{ "strictatime", false, MS_STRICTATIME }, { "nostrictatime", true, MS_STRICTATIME },
	{ "lazytime", false, MS_LAZYTIME }, { "nolazytime", true, MS_LAZYTIME },
	{ "iversion", false, MS_I_VERSION }, { "noiversion", true, MS_I_VERSION },
	{ "silent", false, MS_SILENT }, { "loud", true, MS_SILENT },
	{ "nosymfollow", false, MS_NOSYMFOLLOW }, { "symfollow", true, MS_NOSYMFOLLOW },
	/* mount(8)'s rw,suid,dev,exec,async are already the flags' defaults. */
	{ "defaults", false, 0 },
};

/* The recursive options (config.md "Linux mount options"): set or cleared on
 * the mount and every mount below it with mount_setattr(AT_RECURSIVE), as
 * runc does. An atime value replaces the mount's atime mode as a whole. */
static const struct {
	const char *name;
	bool clear;
	unsigned long long attr;
} recursive_flags[] = {
	{ "rro", false, MOUNT_ATTR_RDONLY }, { "rrw", true, MOUNT_ATTR_RDONLY },
	{ "rnosuid", false, MOUNT_ATTR_NOSUID }, { "rsuid", true, MOUNT_ATTR_NOSUID },
	{ "rnodev", false, MOUNT_ATTR_NODEV }, { "rdev", true, MOUNT_ATTR_NODEV },
	{ "rnoexec", false, MOUNT_ATTR_NOEXEC }, { "rexec", true, MOUNT_ATTR_NOEXEC },
	{ "rnodiratime", false, MOUNT_ATTR_NODIRATIME }, { "rdiratime", true, MOUNT_ATTR_NODIRATIME },
	{ "rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW }, { "rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW },
};
static const struct {
	const char *name;
	unsigned long long atime;
} recursive_atime[] = {
	{ "rnoatime", MOUNT_ATTR_NOATIME }, { "rstrictatime", MOUNT_ATTR_STRICTATIME },
	{ "rrelatime", MOUNT_ATTR_RELATIME }, { "ratime", MOUNT_ATTR_RELATIME },
	{ "rnostrictatime", MOUNT_ATTR_RELATIME }, { "rnorelatime", MOUNT_ATTR_STRICTATIME },
};

static const struct option_flag propagation_flags[] = {
	{ "private", false, MS_PRIVATE }, { "rprivate", false, MS_PRIVATE | MS_REC },
	{ "shared", false, MS_SHARED }, { "rshared", false, MS_SHARED | MS_REC },
	{ "slave", false, MS_SLAVE }, { "rslave", false, MS_SLAVE | MS_REC },
	{ "unbindable", false, MS_UNBINDABLE }, { "runbindable", false, MS_UNBINDABLE | MS_REC },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

unsigned long mount_propagation_flag(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(propagation_flags); i++)
		if (strcmp(name, propagation_flags[i].name) == 0)
			return propagation_flags[i].flag;
	return 0;
}

static int data_append(struct mount_options *out, const char *opt, struct zrun_error *err)
{
	size_t len = strlen(out->data), add = strlen(opt);

	if (len + add + 2 > sizeof(out->data))
		return zrun_error_set(err, E2BIG, "mount options too long");
	if (len)
		out->data[len++] = ',';
	memcpy(out->data + len, opt, add + 1);
	return 0;
}

int mount_parse_options(char *const *options, struct mount_options *out, struct zrun_error *err)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; options && options[i]; i++) {
		const char *o = options[i];
		bool known = false;

		if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
			out->bind = true;
			out->recursive = o[0] == 'r';
			continue;
		}
		if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) {
			out->idmap = true;
			out->idmap_recursive = o[0] == 'r';
			continue;
		}
		/* Accepted and not needed here: tmpcopyup is later work. */
		if (strcmp(o, "tmpcopyup") == 0)
			continue;
		for (size_t j = 0; j < ARRAY_LEN(option_flags) && !known; j++) {
			if (strcmp(o, option_flags[j].name) != 0)
				continue;
			known = true;
			if (option_flags[j].clear) {
				out->flags &= ~option_flags[j].flag;
				out->clear |= option_flags[j].flag;
			} else {
				out->flags |= option_flags[j].flag;
				out->clear &= ~option_flags[j].flag;
			}
		}
		for (size_t j = 0; j < ARRAY_LEN(recursive_flags) && !known; j++) {
			if (strcmp(o, recursive_flags[j].name) != 0)
				continue;
			known = true;
			if (recursive_flags[j].clear) {
				out->rec_clr |= recursive_flags[j].attr;
				out->rec_set &= ~recursive_flags[j].attr;
			} else {
				out->rec_set |= recursive_flags[j].attr;
				out->rec_clr &= ~recursive_flags[j].attr;
			}
		}
		for (size_t j = 0; j < ARRAY_LEN(recursive_atime) && !known; j++) {
			if (strcmp(o, recursive_atime[j].name) != 0)
				continue;
			known = true;
			out->rec_set = (out->rec_set & ~MOUNT_ATTR__ATIME) | recursive_atime[j].atime;
			out->rec_clr |= MOUNT_ATTR__ATIME;
		}
		unsigned long prop = mount_propagation_flag(o);
		if (prop) {
			out->propagation = prop;
			known = true;
		}
		if (!known && data_append(out, o, err) < 0)
			return -1;
	}
	return 0;
}

/* Flags a bind remount must keep: the kernel refuses (EPERM) to drop
 * nosuid/nodev/noexec/atime flags that are locked on a mount. */
unsigned long mount_locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	return f;
}

int mount_remount_bind(const char *target, unsigned long flags, struct zrun_error *err)
{
	unsigned long keep = mount_locked_flags(target) & ~MS_RDONLY;

	if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | keep | flags, NULL) < 0) {
		/* Retry with everything the mount already has (a locked ro, say). */
		unsigned long all = mount_locked_flags(target);
		if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | all | flags, NULL) < 0)
			return zrun_error_set(err, errno, "remount");
	}
	return 0;
}

static int bind_mount(const struct rootfs_config *cfg, const struct spec_mount *m,
		      const struct mount_options *mo, int rootfd, struct zrun_error *err)
{
	char source[4096], target[64];
	struct stat st;
	int fd, src, tree;

	if (m->source == NULL)
		return zrun_error_set(err, 0, "bind mount needs a source");
	if (m->source[0] == '/')
		snprintf(source, sizeof(source), "%s", m->source);
	else
		snprintf(source, sizeof(source), "%s/%s", cfg->bundle, m->source);
	/* The source is looked up once: its type picks the destination's and
	 * the same fd is what gets bound (three lookups could meet three
	 * different objects if the path changes meanwhile). */
	src = open(source, O_PATH | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0) {
		int e = errno;
		if (src >= 0)
			close(src);
		return zrun_error_set(err, e, "source %s", source);
	}
	fd = S_ISDIR(st.st_mode) ? rootpath_mkdir_all(rootfd, m->destination, 0755, err)
				 : rootpath_mkfile(rootfd, m->destination, err);
	if (fd < 0) {
		close(src);
		return -1;
	}
	tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
				  (mo->recursive ? AT_RECURSIVE : 0));
	int e = errno;
	close(src);
	if (tree < 0) {
		close(fd);
		return zrun_error_set(err, e, "bind %s", source);
	}
	if ((mo->idmap || m->uid_mappings_len) && mount_idmap_tree(cfg, m, mo, source, tree, err) < 0) {
		close(tree);
		close(fd);
		return -1;
	}
	int r = move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	e = errno;
	close(fd);
	if (r < 0) {
		close(tree);
		return zrun_error_set(err, e, "bind %s", source);
	}
	/* tree now names the bind mount itself: no second lookup of the
	 * destination to find what to remount. */
	rootpath_fd_path(target, sizeof(target), tree);
	unsigned long flags = mo->flags & ~MS_REMOUNT;
	if (flags && mount_remount_bind(target, flags, err) < 0) {
		close(tree);
		return -1;
	}
	if (mo->propagation && mount(NULL, target, NULL, mo->propagation, NULL) < 0) {
		e = errno;
		close(tree);
		return zrun_error_set(err, e, "propagation");
	}
	close(tree);
	return 0;
}

static int fs_mount(const struct rootfs_config *cfg, const struct spec_mount *m,
		    const struct mount_options *mo, int rootfd, struct zrun_error *err)
{
	char target[64];
	const char *type = m->type;
	int fd = rootpath_mkdir_all(rootfd, m->destination, 0755, err);

	if (fd < 0)
		return -1;
	rootpath_fd_path(target, sizeof(target), fd);
	const char *source = m->source ? m->source : type;
	const char *label = cfg->spec->linux_ ? cfg->spec->linux_->mount_label : NULL;
	struct mount_options labelled;
	/* linux.mountLabel: an SELinux context for the filesystems zrun makes
	 * (as runc: not proc, sysfs, mqueue, whose labels are the kernel's). */
	if (label && label[0] && strcmp(type, "proc") && strcmp(type, "sysfs") && strcmp(type, "mqueue")) {
		char opt[4200];
		labelled = *mo;
		snprintf(opt, sizeof(opt), "context=\"%s\"", label);
		if (data_append(&labelled, opt, err) < 0) {
			close(fd);
			return -1;
		}
		mo = &labelled;
	}
	int r = mount(source, target, type, mo->flags & ~MS_REMOUNT, mo->data[0] ? mo->data : NULL);
	if (r < 0 && errno == EPERM && cfg->in_user_ns &&
	    (strcmp(type, "sysfs") == 0 || strcmp(type, "mqueue") == 0)) {
		/* A user namespace that does not own the net/ipc namespace may not
		 * mount sysfs/mqueue: bind the host's instead, as runc does. */
		const char *host = type[0] == 's' ? "/sys" : "/dev/mqueue";
		r = mount(host, target, NULL, MS_BIND | MS_REC, NULL);
		if (r == 0 && (mo->flags & MS_RDONLY)) {
			int fd2 = rootpath_open(rootfd, m->destination, O_PATH);
			if (fd2 >= 0) {
				char t2[64];
				rootpath_fd_path(t2, sizeof(t2), fd2);
				mount_remount_bind(t2, MS_RDONLY, err);
				close(fd2);
			}
		}
	}
	if (r < 0) {
		int e = errno;
		close(fd);
		return zrun_error_set(err, e, "mount %s", type);
	}
	close(fd);
	if (mo->propagation) {
		fd = rootpath_open(rootfd, m->destination, O_PATH);
		if (fd < 0)
			return zrun_error_set(err, errno, "open after mount");
		rootpath_fd_path(target, sizeof(target), fd);
		r = mount(NULL, target, NULL, mo->propagation, NULL);
		int e = errno;
		close(fd);
		if (r < 0)
			return zrun_error_set(err, e, "propagation");
	}
	return 0;
}

/* The recursive options, once the mount (and, for rbind, its submounts) is
 * in place. */
static int apply_recursive(int rootfd, const struct spec_mount *m, const struct mount_options *mo,
			   struct zrun_error *err)
{
	if (mo->rec_set == 0 && mo->rec_clr == 0)
		return 0;
	int fd = rootpath_open(rootfd, m->destination, O_PATH);
	if (fd < 0)
		return zrun_error_set(err, errno, "open after mount");
	struct mount_attr attr = { .attr_set = mo->rec_set, .attr_clr = mo->rec_clr };
	int r = mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr));
	int e = errno;
	close(fd);
	return r < 0 ? zrun_error_set(err, e, "recursive mount options (mount_setattr)") : 0;
}

static int mount_one(const struct rootfs_config *cfg, const struct spec_mount *m, int rootfd,
		     struct zrun_error *err)
{
	struct mount_options mo;
	int r;

	if (mount_parse_options(m->options, &mo, err) < 0)
		return -1;
	if (m->type && strcmp(m->type, "bind") == 0)
		mo.bind = true;
	if (mo.bind)
		r = bind_mount(cfg, m, &mo, rootfd, err);
	else if (m->type == NULL || m->type[0] == '\0')
		return zrun_error_set(err, 0, "mount type is missing (and not a bind mount)");
	else if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)
		r = mount_cgroup(cfg, m, &mo, rootfd, err);
	else
		r = fs_mount(cfg, m, &mo, rootfd, err);
	return r < 0 ? -1 : apply_recursive(rootfd, m, &mo, err);
}

int rootfs_validate(const struct spec *spec, bool no_pivot, struct zrun_error *err)
{
	const struct spec_linux *lx = spec->linux_;
	const char *what = NULL;

	if (spec_namespace_find(spec, SPEC_NS_MOUNT))
		return 0;
	if (spec->mounts_len)
		what = "mounts";
	else if (lx && lx->devices_len)
		what = "linux.devices";
	else if (lx && lx->masked_paths && lx->masked_paths[0])
		what = "linux.maskedPaths";
	else if (lx && lx->readonly_paths && lx->readonly_paths[0])
		what = "linux.readonlyPaths";
	else if (spec->root.readonly)
		what = "root.readonly";
	else if (lx && lx->rootfs_propagation)
		what = "linux.rootfsPropagation";
	else if (no_pivot)
		return zrun_error_set(err, 0, "--no-pivot: needs a mount namespace in linux.namespaces");
	if (what == NULL)
		return 0;
	return zrun_error_set(err, 0, "config.json: %s: needs a mount namespace in linux.namespaces "
			      "(without one it would be made in the host's mount table and outlive "
			      "the container)", what);
}

int rootfs_clone(int rootfs_fd, struct zrun_error *err)
{
	int tree = open_tree(rootfs_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
					    AT_RECURSIVE);

	return tree < 0 ? zrun_error_set(err, errno, "root.path: copy of the rootfs (open_tree)") : tree;
}

int rootfs_make_cwd(const struct spec *spec, int rootfs_fd, struct zrun_error *err)
{
	/* A missing process.cwd is made inside the rootfs, as runc does; before
	 * root.readonly takes effect. */
	const char *cwd = spec->process ? spec->process->cwd : NULL;

	if (cwd && cwd[0] == '/') {
		int cwdfd = rootpath_mkdir_all(rootfs_fd, cwd, 0755, err);
		if (cwdfd < 0)
			return zrun_error_prefix(err, "process.cwd");
		close(cwdfd);
	}
	return 0;
}

int rootfs_chroot(int rootfs_fd, struct zrun_error *err)
{
	if (fchdir(rootfs_fd) < 0)
		return zrun_error_set(err, errno, "chdir to the rootfs");
	if (chroot(".") < 0)
		return zrun_error_set(err, errno, "chroot");
	return chdir("/") < 0 ? zrun_error_set(err, errno, "chdir /") : 0;
}

/* The mount that fd is on is shared: what is mounted on it also appears on
 * its peers, in other namespaces (the host's, perhaps). */
static bool mount_is_shared(int fd)
{
	struct statx stx;
	char line[8192];
	bool shared = true;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
		return true;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (f == NULL)
		return true;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long id;
		if (sscanf(line, "%llu", &id) != 1 || id != stx.stx_mnt_id)
			continue;
		char *dash = strstr(line, " - "), *tag = strstr(line, " shared:");
		shared = tag && dash && tag < dash;
		break;
	}
	fclose(f);
	return shared;
}

/* Attach the rootfs copy create made (rootfs_clone) where root.path was.
 * The path names only the place: what is attached, mounted in and made
 * the root is the directory create resolved, through its fd; a directory
 * swapped in meanwhile is merely covered, in a namespace of the
 * container's own. */
static int attach_rootfs(const struct rootfs_config *cfg, struct zrun_error *err)
{
	char tree[64];
	int at = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (at < 0)
		return zrun_error_set(err, errno, "root.path %s%s", cfg->rootfs,
				      cfg->joined_ns ? " in the joined mount namespace" : "");
	if (cfg->joined_ns && mount_is_shared(at)) {
		close(at);
		return zrun_error_set(err, 0, "root.path %s: a shared mount in the joined mount namespace: "
				      "what zrun mounts there would propagate out of it", cfg->rootfs);
	}
	int r = move_mount(cfg->rootfs_fd, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	int e = errno;
	close(at);
	if (r < 0)
		return zrun_error_set(err, e, "attach rootfs %s", cfg->rootfs);
	/* A copy of a shared mount is its peer: a slave before anything is
	 * mounted in it, so that nothing propagates back to the host. */
	rootpath_fd_path(tree, sizeof(tree), cfg->rootfs_fd);
	if (mount(NULL, tree, NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return zrun_error_set(err, errno, "make rootfs %s rslave", cfg->rootfs);
	return 0;
}

int rootfs_prepare(const struct rootfs_config *cfg, struct zrun_error *err)
{
	const struct spec *spec = cfg->spec;
	const char *prop = spec->linux_ ? spec->linux_->rootfs_propagation : NULL;
	int rootfd = cfg->rootfs_fd;

	/* Never let our mounts propagate back to the host: the whole tree, the
	 * old root included, becomes rslave first whatever rootfsPropagation
	 * says (that is applied to the new root after pivot, in rootfs_finish).
	 * This also makes detaching the old root after pivot_root safe. A
	 * joined namespace is not ours to change: only the rootfs copy becomes
	 * a slave there (attach_rootfs). */
	if (prop && mount_propagation_flag(prop) == 0)
		return zrun_error_set(err, 0, "linux.rootfsPropagation: unknown value \"%s\"", prop);
	if (!cfg->joined_ns && mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return zrun_error_set(err, errno, "make / rslave");
	if (attach_rootfs(cfg, err) < 0)
		return -1;
	for (size_t i = 0; i < spec->mounts_len; i++) {
		if (mount_one(cfg, &spec->mounts[i], rootfd, err) < 0)
			return zrun_error_prefix(err, "mounts[%zu] %s", i, spec->mounts[i].destination);
	}
	if (dev_setup(cfg, rootfd, err) < 0 || rootfs_make_cwd(spec, rootfd, err) < 0)
		return -1;
	return 0;
}

int rootfs_pivot(const struct rootfs_config *cfg, struct zrun_error *err)
{
	/* In a joined namespace pivot_root would also move the root of each of
	 * its processes whose root is its / (runc 1.1.5 does it: an `unshare
	 * --mount` sleeper found itself in the container's rootfs) and
	 * detaching the old root would take theirs away: chroot there. As
	 * with --no-pivot, the namespace's root stays under the chroot. */
	if (cfg->joined_ns)
		return rootfs_chroot(cfg->rootfs_fd, err);
	if (cfg->no_pivot) {
		if (fchdir(cfg->rootfs_fd) < 0)
			return zrun_error_set(err, errno, "chdir %s", cfg->rootfs);
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return zrun_error_set(err, errno, "move rootfs to /");
		if (chroot(".") < 0)
			return zrun_error_set(err, errno, "chroot");
		return chdir("/") < 0 ? zrun_error_set(err, errno, "chdir /") : 0;
	}
	if (fchdir(cfg->rootfs_fd) < 0)
		return zrun_error_set(err, errno, "chdir %s", cfg->rootfs);
	/* pivot_root(".", ".") stacks the old root on top of the new one. It is
	 * already rslave (rootfs_prepare), so detaching it never unmounts
	 * anything on the host. No rslave again here: mount(".") resolves to the
	 * new root, and MS_REC would turn the container's own rshared mounts
	 * into private ones. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return zrun_error_set(err, errno, "pivot_root %s", cfg->rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return zrun_error_set(err, errno, "detach old root");
	if (chdir("/") < 0)
		return zrun_error_set(err, errno, "chdir /");
	return 0;
}

/* Puts the detached mount MNT (open_tree, fsmount) over the path FD is
 * open on. Masks and read-only paths are made after pivot_root, where the
 * only /proc is the container's, if it has one at all: no /proc/self/fd
 * path may name the target (without a /proc mount, masks were silently
 * left out and readonlyPaths failed with ENOENT). */
static int attach_over(int mnt, int fd)
{
	int r = move_mount(mnt, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	int e = errno;

	close(mnt);
	errno = e;
	return r;
}

/* A read-only tmpfs, detached (for a masked directory). */
static int empty_ro_tmpfs(void)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);

	if (fs < 0)
		return -1;
	int mnt = -1;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	int e = errno;
	close(fs);
	errno = e;
	return mnt;
}

static int mask_path(int rootfd, const char *path, int devnull_fd, struct zrun_error *err)
{
	struct stat st;
	int fd = rootpath_open(rootfd, path, O_PATH | O_NOFOLLOW);

	if (fd < 0)
		return errno == ENOENT ? 0 : zrun_error_set(err, errno, "maskedPaths: %s", path);
	int mnt = -1;
	if (fstat(fd, &st) == 0)
		mnt = S_ISDIR(st.st_mode) ? empty_ro_tmpfs()
					  : open_tree(devnull_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	int r = mnt < 0 ? -1 : attach_over(mnt, fd);
	int e = errno;
	close(fd);
	return r < 0 ? zrun_error_set(err, e, "maskedPaths: %s", path) : 0;
}

/* A recursive bind of PATH over itself whose top mount is read-only, as
 * runc makes it. mount_setattr only adds MOUNT_ATTR_RDONLY: the flags a
 * user namespace may not clear (nosuid, nodev of a locked mount) stay. */
static int readonly_path(int rootfd, const char *path, struct zrun_error *err)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	int fd = rootpath_open(rootfd, path, O_PATH);

	if (fd < 0)
		return errno == ENOENT ? 0 : zrun_error_set(err, errno, "readonlyPaths: %s", path);
	int r = -1, tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (tree >= 0 && mount_setattr(tree, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0) {
		int e = errno;
		close(tree);
		tree = -1;
		errno = e;
	}
	if (tree >= 0)
		r = attach_over(tree, fd);
	int e = errno;
	close(fd);
	return r < 0 ? zrun_error_set(err, e, "readonlyPaths: %s", path) : 0;
}

int rootfs_finish(const struct rootfs_config *cfg, struct zrun_error *err)
{
	const struct spec_linux *lx = cfg->spec->linux_;
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (rootfd < 0)
		return zrun_error_set(err, errno, "open /");
	/* Mask with the container's own /dev/null, opened without following a
	 * symlink and checked to be the null device: a node swapped for a
	 * symlink would bind something else over the path (CVE-2025-31133). */
	int devnull_fd = rootpath_open(rootfd, "/dev/null", O_PATH | O_NOFOLLOW);
	struct stat st;
	if (lx && lx->masked_paths && (devnull_fd < 0 || fstat(devnull_fd, &st) < 0 ||
	    !S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)) {
		if (devnull_fd >= 0)
			close(devnull_fd);
		close(rootfd);
		return zrun_error_set(err, 0, "maskedPaths: /dev/null in the container is not the null device");
	}
	for (size_t i = 0; lx && lx->masked_paths && lx->masked_paths[i]; i++) {
		if (mask_path(rootfd, lx->masked_paths[i], devnull_fd, err) < 0)
			goto fail;
	}
	for (size_t i = 0; lx && lx->readonly_paths && lx->readonly_paths[i]; i++) {
		if (readonly_path(rootfd, lx->readonly_paths[i], err) < 0)
			goto fail;
	}
	close(rootfd);
	if (devnull_fd >= 0)
		close(devnull_fd);
	if (cfg->spec->root.readonly && mount_remount_bind("/", MS_RDONLY, err) < 0)
		return zrun_error_prefix(err, "root.readonly");
	if (lx && lx->rootfs_propagation &&
	    mount(NULL, "/", NULL, mount_propagation_flag(lx->rootfs_propagation), NULL) < 0)
		return zrun_error_set(err, errno, "linux.rootfsPropagation %s", lx->rootfs_propagation);
	return 0;
fail:
	close(rootfd);
	if (devnull_fd >= 0)
		close(devnull_fd);
	return -1;
}
