/* procfs: writes to the /proc files of the process itself (sysctls,
 * oom_score_adj, LSM exec labels) through a handle on the host's procfs
 * taken before the container's mounts exist, never through the container's
 * /proc, whose files a bind mount can redirect to another file
 * (CVE-2025-52881: a label or sysctl write landing in /proc/sys/kernel/
 * core_pattern). */
#ifndef ZRUN_PROCFS_H
#define ZRUN_PROCFS_H

#include "error.h"

/* An O_PATH fd of "/proc" as this process sees it now, checked to be the
 * root of a procfs mount, numbered MIN_FD or above (clear of the fds a
 * program is to get). */
int procfs_open(int min_fd, struct zrun_error *err);

/* Writes VALUE to PATH under PROC_FD ("self/oom_score_adj", "sys/net/..."),
 * resolved without leaving that procfs mount (RESOLVE_NO_XDEV: a file a bind
 * mount covers is refused) and without magic links. WHAT names the setting
 * in the error. */
int procfs_write(int proc_fd, const char *path, const char *value, const char *what,
		 struct zrun_error *err);

/* 0 when PATH exists under PROC_FD (resolved the same way), else -1. */
int procfs_exists(int proc_fd, const char *path);

#endif
