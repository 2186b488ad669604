/* rootpath: resolving paths inside a container rootfs without ever leaving
 * it. Every lookup is openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
 * relative to a rootfs fd, so "..", absolute symlinks and /proc magic links
 * planted in an image stay inside (or fail). */
#ifndef ZRUN_ROOTPATH_H
#define ZRUN_ROOTPATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Open path (inside root) with open_flags (O_PATH, O_DIRECTORY, ...).
 * Returns an O_CLOEXEC fd or -1 with errno set. */
int rootpath_open(int rootfd, const char *path, int open_flags);

/* Make path and its missing parents as directories (mode) inside root and
 * return an O_PATH fd of it. Symlinks on the way, even dangling ones, are
 * followed as if root were "/": their missing targets are made inside. */
int rootpath_mkdir_all(int rootfd, const char *path, mode_t mode, struct zrun_error *err);

/* Make path as an empty regular file (parents as directories) unless it
 * exists; return an O_PATH fd of it. */
int rootpath_mkfile(int rootfd, const char *path, struct zrun_error *err);

/* Split "/a/b/c" into the parent's O_PATH fd (made if missing) and "c". */
int rootpath_parent(int rootfd, const char *path, char *base, size_t base_len, struct zrun_error *err);

/* Resolve root.path once, relative to the bundle directory (an absolute
 * root.path is taken as it is), to an O_PATH directory fd; *resolved gets
 * the path the kernel reports for that fd (state.json, hooks). Every later
 * use of the rootfs goes through this fd, so swapping the directory or a
 * symlink on the way while create runs cannot change which one it is. */
int rootpath_open_rootfs(const char *bundle, const char *root_path, char *resolved,
			 size_t resolved_len, struct zrun_error *err);

/* "/proc/self/fd/N" for fd, the path that mount(2) follows to the object. */
void rootpath_fd_path(char *buf, size_t len, int fd);

#endif
