/* /dev inside the container (default devices, linux.devices, symlinks) and
 * cgroup mounts (cgroup2, or a tmpfs of v1 hierarchies). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_driver.h"
#include "mount_internal.h"
#include "rootpath.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

struct default_device {
	const char *path;
	unsigned major, minor;
};

static const struct default_device default_devices[] = {
	{ "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 }, { "/dev/full", 1, 7 },
	{ "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static const char *const dev_symlinks[][2] = {
	{ "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
	{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
};

/* In a user namespace mknod is refused: bind the host's node instead. */
static int bind_host_device(int rootfd, const char *path, struct zrun_error *err)
{
	char target[64];
	int fd = rootpath_mkfile(rootfd, path, err);

	if (fd < 0)
		return -1;
	rootpath_fd_path(target, sizeof(target), fd);
	int r = mount(path, target, NULL, MS_BIND, NULL);
	int e = errno;
	close(fd);
	return r < 0 ? zrun_error_set(err, e, "bind device %s", path) : 0;
}

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symlink";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFIFO: return "a fifo";
	default: return "a socket";
	}
}

/* config-linux.md "Devices": "If a file already exists at path that does
 * not match the requested device, the runtime MUST generate an error."
 * Replacing it instead would also destroy a file of the bundle's rootfs on
 * the host (a device at /etc/passwd). 0 when path is free or already holds
 * that device. */
static int device_path_free(int rootfd, const char *path, mode_t type, unsigned maj,
			    unsigned min, struct zrun_error *err)
{
	char base[256];
	struct stat st;
	int parent = rootpath_parent(rootfd, path, base, sizeof(base), err);

	if (parent < 0)
		return -1;
	int r = fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW);
	int e = errno;
	close(parent);
	if (r < 0)
		return e == ENOENT ? 0 : zrun_error_set(err, e, "%s", path);
	if ((st.st_mode & S_IFMT) == type && (type == S_IFIFO || st.st_rdev == makedev(maj, min)))
		return 0;
	if (type == S_IFIFO)
		return zrun_error_set(err, 0, "%s is %s, not the requested fifo", path, file_kind(st.st_mode));
	return zrun_error_set(err, 0, "%s is %s, not the requested %c %u:%u device", path,
			      file_kind(st.st_mode), type == S_IFBLK ? 'b' : 'c', maj, min);
}

static int make_device(int rootfd, const char *path, mode_t type, unsigned maj, unsigned min,
		       mode_t perm, uid_t uid, gid_t gid, bool in_user_ns, struct zrun_error *err)
{
	char base[256], dirpath[64];

	if (in_user_ns)
		return bind_host_device(rootfd, path, err);
	int parent = rootpath_parent(rootfd, path, base, sizeof(base), err);
	if (parent < 0)
		return -1;
	rootpath_fd_path(dirpath, sizeof(dirpath), parent);
	int dirfd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(parent);
	if (dirfd < 0)
		return zrun_error_set(err, errno, "%s", path);
	unlinkat(dirfd, base, 0);   /* replace whatever the image had there */
	int r = mknodat(dirfd, base, type | perm, makedev(maj, min));
	if (r == 0 && fchmodat(dirfd, base, perm, 0) < 0)
		r = -1;
	if (r == 0 && fchownat(dirfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		r = -1;
	int e = errno;
	close(dirfd);
	return r < 0 ? zrun_error_set(err, e, "mknod %s", path) : 0;
}

static mode_t device_type(char t)
{
	switch (t) {
	case 'b': return S_IFBLK;
	case 'p': return S_IFIFO;
	default: return S_IFCHR;
	}
}

int dev_setup(const struct rootfs_config *cfg, int rootfd, struct zrun_error *err)
{
	const struct spec_linux *lx = cfg->spec->linux_;
	int devfd;

	for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
		const struct default_device *d = &default_devices[i];
		if (make_device(rootfd, d->path, S_IFCHR, d->major, d->minor, 0666, 0, 0,
				cfg->in_user_ns, err) < 0)
			return zrun_error_prefix(err, "default devices");
	}
	for (size_t i = 0; lx && i < lx->devices_len; i++) {
		const struct spec_device *d = &lx->devices[i];
		mode_t perm = d->has_file_mode ? (d->file_mode & 07777) : 0666;
		if (device_path_free(rootfd, d->path, device_type(d->type), (unsigned)d->major,
				     (unsigned)d->minor, err) < 0 ||
		    make_device(rootfd, d->path, device_type(d->type), (unsigned)d->major,
				(unsigned)d->minor, perm, d->has_uid ? d->uid : 0,
				d->has_gid ? d->gid : 0, cfg->in_user_ns, err) < 0)
			return zrun_error_prefix(err, "linux.devices[%zu]", i);
	}
	devfd = rootpath_mkdir_all(rootfd, "/dev", 0755, err);
	if (devfd < 0)
		return -1;
	char dirpath[64];
	rootpath_fd_path(dirpath, sizeof(dirpath), devfd);
	int dfd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(devfd);
	if (dfd < 0)
		return zrun_error_set(err, errno, "/dev");
	for (size_t i = 0; i < sizeof(dev_symlinks) / sizeof(dev_symlinks[0]); i++) {
		if (symlinkat(dev_symlinks[i][0], dfd, dev_symlinks[i][1]) < 0 && errno != EEXIST) {
			int e = errno;
			close(dfd);
			return zrun_error_set(err, e, "symlink /dev/%s", dev_symlinks[i][1]);
		}
	}
	/* /dev/ptmx points into the container's own devpts instance. */
	struct stat st;
	if (fstatat(dfd, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
		unlinkat(dfd, "ptmx", 0);
		if (symlinkat("pts/ptmx", dfd, "ptmx") < 0) {
			int e = errno;
			close(dfd);
			return zrun_error_set(err, e, "symlink /dev/ptmx");
		}
	}
	close(dfd);
	return 0;
}

static int bind_dir(int rootfd, const char *source, const char *dest, bool readonly,
		    struct zrun_error *err)
{
	char target[64];
	int fd = rootpath_mkdir_all(rootfd, dest, 0755, err);

	if (fd < 0)
		return -1;
	rootpath_fd_path(target, sizeof(target), fd);
	int r = mount(source, target, NULL, MS_BIND | MS_REC, NULL);
	int e = errno;
	close(fd);
	if (r < 0)
		return zrun_error_set(err, e, "bind %s", source);
	if (!readonly)
		return 0;
	fd = rootpath_open(rootfd, dest, O_PATH);
	if (fd < 0)
		return zrun_error_set(err, errno, "%s", dest);
	rootpath_fd_path(target, sizeof(target), fd);
	r = mount_remount_bind(target, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
	close(fd);
	return r;
}

/* v1: a tmpfs holding, for each host hierarchy, a bind of this container's
 * own cgroup directory, so the container sees itself as the root. */
static int mount_cgroup_v1(const struct rootfs_config *cfg, const struct spec_mount *m,
			   const struct mount_options *mo, int rootfd, struct zrun_error *err)
{
	char target[64], line[4096];
	bool ro = (mo->flags & MS_RDONLY) != 0;
	int fd = rootpath_mkdir_all(rootfd, m->destination, 0755, err);

	if (fd < 0)
		return -1;
	rootpath_fd_path(target, sizeof(target), fd);
	int r = mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
	int e = errno;
	close(fd);
	if (r < 0)
		return zrun_error_set(err, e, "tmpfs for cgroup");
	/* The host's hierarchies, listed before any is bound: each bind adds a
	 * cgroup entry to mountinfo, which a reader still going through it
	 * could meet again (if the rootfs was under /sys/fs/cgroup/). */
	char mnts[32][1024];
	size_t n = 0;
	FILE *mi = fopen("/proc/self/mountinfo", "re");
	if (mi == NULL)
		return zrun_error_set(err, errno, "/proc/self/mountinfo");
	while (n < 32 && fgets(line, sizeof(line), mi)) {
		char fstype[64];
		/* mountinfo: id parent maj:min root mountpoint opts ... - fstype src superopts */
		char *sep = strstr(line, " - ");
		if (sep == NULL || sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup") != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %1023s", mnts[n]) == 1 &&
		    strncmp(mnts[n], "/sys/fs/cgroup/", 15) == 0)
			n++;
	}
	fclose(mi);
	for (size_t i = 0; i < n; i++) {
		char source[2048], dest[2048];
		const char *name = strrchr(mnts[i], '/');
		/* Each hierarchy's own directory: a relative cgroupsPath puts the
		 * container at a different path in each. */
		const char *dir = cgroup_v1_dir(cfg->cgroup, mnts[i]);
		if (dir != NULL)
			snprintf(source, sizeof(source), "%s", dir);
		else
			snprintf(source, sizeof(source), "%s%s", mnts[i], cfg->cgroup_path ? cfg->cgroup_path : "");
		snprintf(dest, sizeof(dest), "%s%s", m->destination, name);
		if (access(source, F_OK) < 0)
			continue;
		if (bind_dir(rootfd, source, dest, ro, err) < 0)
			return -1;
	}
	/* co-mounted hierarchies are also reachable by each name (cpu -> cpu,cpuacct) */
	static const char *const links[][2] = { { "cpu,cpuacct", "cpu" }, { "cpu,cpuacct", "cpuacct" },
		{ "net_cls,net_prio", "net_cls" }, { "net_cls,net_prio", "net_prio" } };
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", m->destination, links[i][0]);
		int t = rootpath_open(rootfd, path, O_PATH);
		if (t < 0)
			continue;
		close(t);
		snprintf(path, sizeof(path), "%s/%s", m->destination, links[i][1]);
		t = rootpath_open(rootfd, path, O_PATH);
		if (t >= 0) {
			close(t);
			continue;
		}
		int parent = rootpath_open(rootfd, m->destination, O_RDONLY | O_DIRECTORY);
		if (parent >= 0) {
			if (symlinkat(links[i][0], parent, links[i][1]) < 0 && errno != EEXIST) {
				e = errno;
				close(parent);
				return zrun_error_set(err, e, "cgroup symlink %s", links[i][1]);
			}
			close(parent);
		}
	}
	if (ro) {
		fd = rootpath_open(rootfd, m->destination, O_PATH);
		if (fd < 0)
			return zrun_error_set(err, errno, "%s", m->destination);
		rootpath_fd_path(target, sizeof(target), fd);
		r = mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
		e = errno;
		close(fd);
		if (r < 0)
			return zrun_error_set(err, e, "remount cgroup tmpfs read-only");
	}
	return 0;
}

int mount_cgroup(const struct rootfs_config *cfg, const struct spec_mount *m,
		 const struct mount_options *mo, int rootfd, struct zrun_error *err)
{
	struct statfs sfs;
	const char *base = cgroup_mount_root();

	if (statfs(base, &sfs) < 0)
		return zrun_error_set(err, errno, "%s", base);
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return mount_cgroup_v1(cfg, m, mo, rootfd, err);
	char target[64];
	unsigned long flags = (mo->flags & ~MS_REMOUNT) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (!cfg->new_cgroup_ns) {
		/* Without a cgroup namespace a cgroup2 mount shows the host's whole
		 * tree: show only the container's own cgroup. */
		char source[4096];
		snprintf(source, sizeof(source), "%s%s", base, cfg->cgroup_path ? cfg->cgroup_path : "");
		return bind_dir(rootfd, source, m->destination, (mo->flags & MS_RDONLY) != 0, err);
	}
	int fd = rootpath_mkdir_all(rootfd, m->destination, 0755, err);
	if (fd < 0)
		return -1;
	rootpath_fd_path(target, sizeof(target), fd);
	int r = mount("cgroup2", target, "cgroup2", flags, NULL);
	int e = errno;
	close(fd);
	return r < 0 ? zrun_error_set(err, e, "mount cgroup2") : 0;
}
