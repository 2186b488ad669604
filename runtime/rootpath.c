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

int rootpath_mkdir_all(int rootfd, const char *path, mode_t mode, struct zrun_error *err)
{
	char partial[4096];
	size_t len = strlen(path);
	int fd;

	if (len >= sizeof(partial))
		return zrun_error_set(err, ENAMETOOLONG, "%s", path);
	fd = rootpath_open(rootfd, path, O_PATH | O_DIRECTORY);
	if (fd >= 0)
		return fd;
	if (errno == ENOTDIR)
		return zrun_error_set(err, ENOTDIR, "%s", path);
	/* Walk from the top, making each missing component inside the root. */
	for (size_t i = 1; i <= len; i++) {
		if (i != len && path[i] != '/')
			continue;
		memcpy(partial, path, i);
		partial[i] = '\0';
		char *slash = strrchr(partial, '/');
		if (slash == NULL || slash[1] == '\0')
			continue;
		fd = rootpath_open(rootfd, partial, O_PATH | O_DIRECTORY);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno != ENOENT)
			return zrun_error_set(err, errno, "%s", partial);
		*slash = '\0';
		int parent = rootpath_open(rootfd, partial[0] ? partial : "/", O_PATH | O_DIRECTORY);
		if (parent < 0)
			return zrun_error_set(err, errno, "%s", partial[0] ? partial : "/");
		if (mkdirat(parent, slash + 1, mode) < 0 && errno != EEXIST) {
			int e = errno;
			close(parent);
			*slash = '/';
			return zrun_error_set(err, e, "mkdir %s", partial);
		}
		close(parent);
	}
	fd = rootpath_open(rootfd, path, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return zrun_error_set(err, errno, "%s", path);
	return fd;
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
