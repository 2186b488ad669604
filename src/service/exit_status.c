#include "exit_status.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "procfs.h"

/* PIDFD_GET_INFO (Linux 6.15): the exit status of a reaped process, for any
 * holder of a pidfd; the supervisor is not the parent of the inits it watches. */
struct zrun_pidfd_info {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
	uint32_t coredump_mask, spare;
};
#define ZRUN_PIDFD_GET_INFO _IOWR(0xFF, 11, struct zrun_pidfd_info)
#define ZRUN_PIDFD_INFO_EXIT (1ULL << 3)

int exit_status_of(pid_t pid, unsigned long long start, int pidfd)
{
	struct procfs_stat ps;

	if (procfs_stat(pid, &ps) == 0 && ps.has_exit_code && ps.start_time == start)
		return ps.exit_code;
	struct zrun_pidfd_info info = { .mask = ZRUN_PIDFD_INFO_EXIT };
	if (pidfd >= 0 && ioctl(pidfd, ZRUN_PIDFD_GET_INFO, &info) == 0 && (info.mask & ZRUN_PIDFD_INFO_EXIT))
		return info.exit_code;
	return -1;
}

void exit_status_describe(int status, char *buf, size_t len)
{
	if (status < 0)
		snprintf(buf, len, "unknown");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
}
