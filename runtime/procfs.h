/* procfs: writes to the /proc files of the process itself (sysctls,
 * oom_score_adj, LSM exec labels) through a handle on the host's procfs
 * taken before the container's mounts exist, never through the container's
 * /proc, whose files a bind mount can redirect to another file
 * (CVE-2025-52881: a label or sysctl write landing in /proc/sys/kernel/
 * core_pattern); and the one reader of /proc/PID/stat. */
#ifndef ZRUN_PROCFS_H
#define ZRUN_PROCFS_H

#include <stdbool.h>
#include <sys/types.h>

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

/* The fields of /proc/PID/stat that zrun uses (proc(5)). */
struct procfs_stat {
	char state;                    /* field 3: R, S, D, Z, X, ... */
	unsigned long long start_time; /* field 22: clock ticks after boot; with
					* the pid, it names one process (a
					* reused pid has another) */
	bool has_exit_code;            /* field 52 present (Linux 3.5+) */
	int exit_code;                 /* field 52: the wait status, as
					* waitpid gives it, of a zombie */
};

/* Reads /proc/PID/stat of this process's /proc. The fields are counted
 * from the last ')', since the command name (field 2) may hold spaces and
 * parentheses. -1 when the process does not exist (or the file is not what
 * proc(5) says). */
int procfs_stat(pid_t pid, struct procfs_stat *out);

/* Does the kernel drop signal SIG sent to PID from here? 0 when PID blocks
 * it (SigBlk: it is queued, as a signalfd reader wants); 2 when PID ignores
 * it (SigIgn); 1 when PID is pid 1 of a pid namespace below ours and has no
 * handler for it (SigCgt): the kernel does not give such an init a signal
 * whose action is the default (pid_namespaces(7)), so a SIGTERM to python
 * or node as a container's init does nothing. 0 when it is delivered, -1
 * when /proc does not say. */
int procfs_signal_dropped(pid_t pid, int sig);

/* The inode of the socket behind fd FD of process PID (its /proc/PID/fd
 * link reads "socket:[N]"); 0 when that is not a socket or not there. */
unsigned long procfs_socket_inode(pid_t pid, long fd);

#endif
