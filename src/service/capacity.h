/* capacity: every fixed-size table of the service layer, in one place, sized
 * from each other so that no table fills before the limit a command checks.
 * A command that would go past a limit is refused with an error that names
 * it; a table never drops an entry (a log pipe, a watch, a kept fd) while
 * its caller is told the request succeeded. */
#ifndef ZRUN_CAPACITY_H
#define ZRUN_CAPACITY_H

/* Listeners of one service (--listen, zrun.listen): each is an fd handed to
 * every version from 3 up and a line of LISTEN_FDNAMES; create refuses more. */
#define LISTENER_MAX 16

/* Replicas of one version (deploy/scale --replicas, refused beyond). */
#define DEPLOY_REPLICAS_MAX 64
/* deploy --max-starting's default: new replicas started at once per online
 * CPU (the rest as those are ready). bench/scale, 64 node replicas on 2
 * cores: 8 at a time deployed in 2.9 s against 7.9 s all at once, and the
 * old replicas' p99 during the redeploy was 54 ms against 387 ms
 * (docs/scale.md). */
#define DEPLOY_STARTING_PER_CPU 4

/* Versions (containers) of one service at once: a swap of a full replica
 * group holds the old group and the new one. create refuses one more. Every
 * per-version table below is sized from it. */
#define SERVICE_VERSIONS_MAX (2 * DEPLOY_REPLICAS_MAX)

/* The supervisor's tables: a watch per running version, a log pipe per
 * version made by deploy (the supervisor answers 'E' when the log table is
 * full, and create fails, instead of closing the pipe the version writes
 * to). Its polled fds: the init's pidfd, a restart child, a log pipe. */
#define SUPERVISE_WATCH_MAX SERVICE_VERSIONS_MAX
#define SUPERVISE_LOG_MAX SERVICE_VERSIONS_MAX
#define SUPERVISE_POLL_MAX (3 * SERVICE_VERSIONS_MAX)

/* Versions made with --intercept, each with a seccomp notify fd the supervisor
 * polls (intercept_add fails when full, and so does create). */
#define INTERCEPT_POLL_MAX SERVICE_VERSIONS_MAX
/* Live bind claims of one intercepted version (sockets it bound to a
 * service address and got the shared listener for). */
#define INTERCEPT_CLAIMS_MAX 32

/* The fdstore keeps a copy of each log pipe and notify fd: one of each per
 * version at most, so it never fills before the supervisor's tables. */
#define FDSTORE_FD_MAX (SUPERVISE_LOG_MAX + INTERCEPT_POLL_MAX)

/* Log files `zrun logs -f` follows: those of the versions there are and of
 * the replaced groups kept (LOGFILES_KEEP_REPLACED). */
#define LOGS_FOLLOW_MAX (SERVICE_VERSIONS_MAX + 2 * DEPLOY_REPLICAS_MAX)

#endif
