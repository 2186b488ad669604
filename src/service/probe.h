/* probe: proving a new version ready, never assuming it. One attempt of
 * one probe kind against one version; the swap counts successes and
 * failures with Kubernetes' thresholds. An http or tcp probe counts only
 * when the connection was accepted by the version under test (sock_diag
 * gives the server side's inode; it must be in that version's fd tables),
 * because the shared accept queue may hand the probe to the old version. */
#ifndef ZRUN_PROBE_H
#define ZRUN_PROBE_H

#include <stdbool.h>
#include <sys/types.h>

#include "service.h"
#include "state.h"
#include "steer.h"

struct probe_target {
	const char *id;               /* the version */
	const char *root;             /* the state root, for exec probes */
	const struct container_state *st; /* the version's state: its cgroup */
	pid_t init_pid;
	const struct service *svc;
	unsigned long inodes[LISTENER_MAX]; /* the listeners' socket inodes */
	int netns_fd;                 /* the listeners' network namespace when not
				       * ours (a pod's: listener_netns_of), or -1 */
	int notify_fd;                /* notify: the bound NOTIFY_SOCKET, or -1 */
	/* a steered service: the first listener's maps and the version's index
	 * there, so that an http/tcp probe's connection reaches the version,
	 * which holds no slot before it is ready (NULL: shared socket) */
	const struct steer *steer;
	unsigned steer_index;
	bool notified;                /* notify: READY=1 seen (stays true) */
};

enum probe_result { PROBE_FAIL = 0, PROBE_PASS = 1 };

/* One attempt, bounded by p->timeout_ms. On failure, reason says why. */
enum probe_result probe_once(const struct probe_spec *p, struct probe_target *t,
			     char *reason, size_t reason_len);

/* When to probe. Until the first success a version is starting
 * (Kubernetes' startupProbe idea): the first probe goes PROBE_FIRST_MS
 * after start (or after the initial delay), then one every
 * PROBE_STARTUP_FAST_MS for the first second and every
 * PROBE_STARTUP_SLOW_MS after that, but never less often than the
 * period. Startup fails when no probe passed within the budget the
 * configured schedule gave (failure_threshold x period after the first
 * probe), so an app that never gets ready is given up at the same time as
 * with one probe per period. After the first success the period applies
 * and failure_threshold failures in a row fail.
 * Why 10 ms: a swap waits for the probe after the app listens, half a step
 * on average; at 50 ms that was ~25 ms of the < 50 ms zrun may add to a
 * deploy (issue 15), at 10 ms it is ~5 ms. An accepting probe of a Node
 * app costs ~0.3 ms of CPU (its cgroup's fdinfo and task files), ~3% of a
 * core while a version starts; most apps listen within the first second,
 * and one that takes longer is probed every 50 ms. An exec probe starts a
 * process in the version (a few ms of CPU each, taken from the app that is
 * starting), so it keeps PROBE_STARTUP_EXEC_MS. */
#define PROBE_FIRST_MS 10
#define PROBE_STARTUP_FAST_MS 10
#define PROBE_STARTUP_SLOW_MS 50
#define PROBE_STARTUP_EXEC_MS 50
#define PROBE_STARTUP_FAST_FOR_MS 1000

/* The wait before the first probe. */
long probe_first_delay_ms(const struct probe_spec *p);
/* The wait after a probe made since_first_ms after the first one; passed:
 * whether any probe passed yet. */
long probe_next_delay_ms(const struct probe_spec *p, bool passed, long since_first_ms);
/* Whether startup has used up its budget (no probe passed yet). */
bool probe_startup_over(const struct probe_spec *p, long since_first_ms);

#define PROBE_RESPONSE_MAX 8192  /* an http probe reads at most this much */

/* The status of the HTTP response in buf[0..len) (no NUL needed): 0 and
 * *status when it starts "HTTP/d.d NNN", else -1. *complete tells whether
 * the head and its Content-Length body are all there. */
int probe_parse_http_status(const char *buf, size_t len, int *status, bool *complete);

/* Is a process of the version accepting on one of the listeners? (the
 * `accepting` probe; also used to tell whether an old version serves) */
bool probe_accepting(const struct probe_target *t);

/* Does a process of the version hold the socket with this inode? */
bool probe_version_holds(const struct probe_target *t, unsigned long inode);

/* notify: a new NOTIFY_SOCKET name for a version, "@zrun-notify-" and 32
 * random hex digits (an abstract unix datagram socket of the service's
 * network namespace); create keeps it in vc->notify_socket. */
int probe_notify_new_name(char *buf, size_t len, struct zrun_error *err);
/* Bind the version's NOTIFY_SOCKET (SOCK_DGRAM, SO_PASSCRED, non-blocking):
 * the fd, or -1. */
int probe_notify_bind(const char *root, const char *id, const struct version_config *vc, struct zrun_error *err);
enum probe_result probe_notify(struct probe_target *t, char *reason, size_t len);

#endif
