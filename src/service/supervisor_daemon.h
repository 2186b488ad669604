/* supervisor_daemon: the supervisor's own process (zrun-supervisor NAME,
 * exec'd by its fdstore, fdstore.h): it serves supervisor.sock (protocol.h),
 * restarts versions and drains their logs (supervise.h), answers
 * --intercept's seccomp notifications (intercept.h) and re-arms listeners a
 * version broke (listener_watch.h), all from one poll loop. The commands'
 * side of it (spawn, fetch, stop, send) is supervisor.h. */
#ifndef ZRUN_SUPERVISOR_DAEMON_H
#define ZRUN_SUPERVISOR_DAEMON_H

/* Run the supervisor of service name under root (absolute) with the fds
 * its fdstore passed (fdstore.h, DAEMON_FD_*) and the kept fds queued on its
 * line. Never returns: exit 0 when told to quit or the service is gone. */
__attribute__((noreturn)) void supervisor_daemon_run(const char *root, const char *name);

#endif
