/* container_recover: what delete --force does when state.json cannot be read
 * (truncated, garbage, emptied by a full disk or a hand): the recovery file
 * create wrote next to it still names the init and the cgroup, so the
 * container is killed and removed rather than left running forever with
 * nothing able to reach it. */
#include "container.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "state.h"

/* SIGKILL the init through a pidfd taken before its start time is checked,
 * so a reused pid is never hit; then wait (bounded) until it is gone. */
static int kill_init(pid_t pid, unsigned long long start_time, struct zrun_error *err)
{
	int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;

	if (pidfd < 0)
		return 0;
	if (state_pid_start_time(pid) == start_time)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	close(pidfd);
	for (int waited_ms = 0; state_pid_start_time(pid) == start_time; waited_ms += 5) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		if (waited_ms >= 10000)
			return zrun_error_set(err, 0, "container init %d did not exit after SIGKILL", pid);
		nanosleep(&ts, NULL);
	}
	return 0;
}

int container_delete_unreadable(const char *root, const char *id, struct zrun_error *err)
{
	char cgroup_path[PATH_MAX], unit[320];
	unsigned long long start_time, identity;
	pid_t pid;

	if (state_read_recovery(root, id, &pid, &start_time, &identity, cgroup_path, sizeof(cgroup_path), unit,
				sizeof(unit)) == 0) {
		struct cgroup *cg = cgroup_open_resolved(cgroup_path, err);
		struct zrun_error not_ours;

		/* a systemd scope: cgroup_destroy stops it (the cgroup's rmdir
		 * alone could leave the unit "active" with no cgroup) */
		if (cg == NULL || (unit[0] && cgroup_set_systemd_unit(cg, unit, err) < 0)) {
			cgroup_free(cg);
			return -1;
		}
		cgroup_set_init(cg, pid, start_time);
		int r = kill_init(pid, start_time, err);
		/* What the init left behind (no pid namespace) dies too, unless
		 * the cgroup is gone or another's now: then it is left alone. */
		bool ours = cgroup_check_identity(cg, identity, &not_ours) == 0;
		if (r == 0 && ours)
			r = cgroup_kill_all(cg, SIGKILL, err);
		if (r == 0 && ours)
			r = cgroup_destroy(cg, err);
		cgroup_free(cg);
		if (r < 0)
			return zrun_error_prefix(err, "delete %s (unreadable state)", id);
	}
	/* No recovery file (a create that died before its clone, or older
	 * zrun): nothing was started that zrun could still name. */
	return state_remove(root, id, err);
}
