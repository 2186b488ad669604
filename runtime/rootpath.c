#include "rootpath.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int rootpath_open(int rootfd, const char *path, int open_flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(open_flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	const char *rel = path;
	long fd;

	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	do {
		fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	} while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	return (int)fd;
}

void rootpath_fd_path(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

int rootpath_open_rootfs(const char *bundle, const char *root_path, char *resolved,
			 size_t resolved_len, struct zrun_error *err)
{
	char link[64], shown[8192];
	int bundle_fd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (root_path[0] == '/')
		snprintf(shown, sizeof(shown), "%s", root_path);
	else
		snprintf(shown, sizeof(shown), "%s/%s", bundle, root_path);
	if (bundle_fd < 0)
		return zrun_error_set(err, errno, "bundle %s", bundle);
	int fd = openat(bundle_fd, root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int e = errno;
	close(bundle_fd);
	if (fd < 0)
		return zrun_error_set(err, e, "root.path %s", shown);
	rootpath_fd_path(link, sizeof(link), fd);
	ssize_t n = readlink(link, resolved, resolved_len - 1);
	if (n < 0 || (size_t)n >= resolved_len - 1) {
		e = n < 0 ? errno : ENAMETOOLONG;
		close(fd);
		return zrun_error_set(err, e, "root.path %s", shown);
	}
	resolved[n] = '\0';
	return fd;
}

/* Symlinks followed while making one path, as the kernel's MAXSYMLINKS. */
#define ROOTPATH_MAX_LINKS 40

static int reopen_dir(int rootfd, const char *resolved)
{
	return rootpath_open(rootfd, resolved[0] ? resolved : "/", O_PATH | O_DIRECTORY);
}

/* Walk path one component at a time from the root, making what is missing.
 * A symlink met on the way (absolute, or climbing with "..") is read and
 * its target walked in turn from the root or the current directory, never
 * above the root: a dangling "/evil -> /tmp/x" in an image makes
 * <rootfs>/tmp/x, never the host's /tmp/x. "resolved" holds the path walked
 * so far, free of symlinks, so ".." can be taken lexically. */
int rootpath_mkdir_all(int rootfd, const char *path, mode_t mode, struct zrun_error *err)
{
	char todo[4096], next[4096], resolved[4096] = "", target[4096];
	int links = 0, dirfd;

	if (strlen(path) >= sizeof(todo))
		return zrun_error_set(err, ENAMETOOLONG, "%s", path);
	dirfd = rootpath_open(rootfd, path, O_PATH | O_DIRECTORY);
	if (dirfd >= 0)
		return dirfd;
	if (errno != ENOENT)
		return zrun_error_set(err, errno, "%s", path);
	dirfd = reopen_dir(rootfd, resolved);
	if (dirfd < 0)
		return zrun_error_set(err, errno, "%s: the root", path);
	strcpy(todo, path);
	char *rest = todo;
	while (*rest) {
		char *comp = rest;
		while (*comp == '/')
			comp++;
		if (*comp == '\0')
			break;
		char *end = strchr(comp, '/');
		rest = end ? end + 1 : comp + strlen(comp);
		if (end)
			*end = '\0';
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			char *slash = strrchr(resolved, '/');
			if (slash)
				*slash = '\0';
			close(dirfd);
			dirfd = reopen_dir(rootfd, resolved);
			if (dirfd < 0)
				return zrun_error_set(err, errno, "%s: %s", path, resolved);
			continue;
		}
		size_t rlen = strlen(resolved), clen = strlen(comp);
		if (rlen + clen + 2 > sizeof(resolved))
			goto too_long;
		struct stat st;
		if (fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				goto fail_errno;
			if (mkdirat(dirfd, comp, mode) < 0 && errno != EEXIST)
				goto fail_errno;
		} else if (S_ISLNK(st.st_mode)) {
			if (++links > ROOTPATH_MAX_LINKS) {
				errno = ELOOP;
				goto fail_errno;
			}
			ssize_t n = readlinkat(dirfd, comp, target, sizeof(target) - 1);
			if (n < 0)
				goto fail_errno;
			target[n] = '\0';
			if ((size_t)snprintf(next, sizeof(next), "%s/%s", target, rest) >= sizeof(next))
				goto too_long;
			strcpy(todo, next);
			rest = todo;
			if (target[0] == '/') {
				resolved[0] = '\0';
				close(dirfd);
				dirfd = reopen_dir(rootfd, resolved);
				if (dirfd < 0)
					return zrun_error_set(err, errno, "%s: the root", path);
			}
			continue;
		} else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			goto fail_errno;
		}
		int child = openat(dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0)
			goto fail_errno;
		close(dirfd);
		dirfd = child;
		resolved[rlen] = '/';
		memcpy(resolved + rlen + 1, comp, clen + 1);
	}
	return dirfd;
too_long:
	errno = ENAMETOOLONG;
fail_errno:;
	int e = errno;
	close(dirfd);
	return zrun_error_set(err, e, "mkdir %s (at %s)", path, resolved[0] ? resolved : "/");
}

int rootpath_parent(int rootfd, const char *path, char *base, size_t base_len, struct zrun_error *err)
{
	char parent[4096];
	const char *slash = strrchr(path, '/');
	size_t plen;

	if (slash == NULL || strlen(slash + 1) == 0 || strlen(slash + 1) >= base_len)
		return zrun_error_set(err, EINVAL, "%s: not a file path", path);
	plen = (size_t)(slash - path);
	if (plen >= sizeof(parent))
		return zrun_error_set(err, ENAMETOOLONG, "%s", path);
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	strcpy(base, slash + 1);
	if (strcmp(base, "..") == 0 || strcmp(base, ".") == 0)
		return zrun_error_set(err, EINVAL, "%s: not a file path", path);
	return rootpath_mkdir_all(rootfd, plen ? parent : "/", 0755, err);
}

int rootpath_mkfile(int rootfd, const char *path, struct zrun_error *err)
{
	char base[256];
	int fd = rootpath_open(rootfd, path, O_PATH);

	if (fd >= 0)
		return fd;
	int parent = rootpath_parent(rootfd, path, base, sizeof(base), err);
	if (parent < 0)
		return -1;
	/* O_PATH fds cannot be used with openat(O_CREAT): reopen the dir. */
	char dirpath[64];
	rootpath_fd_path(dirpath, sizeof(dirpath), parent);
	int dirfd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(parent);
	if (dirfd < 0)
		return zrun_error_set(err, errno, "%s", path);
	int f = openat(dirfd, base, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (f < 0 && errno != EEXIST && errno != ELOOP) {
		int e = errno;
		close(dirfd);
		return zrun_error_set(err, e, "create %s", path);
	}
	if (f >= 0)
		close(f);
	close(dirfd);
	fd = rootpath_open(rootfd, path, O_PATH);
	if (fd < 0)
		return zrun_error_set(err, errno, "%s", path);
	return fd;
}
