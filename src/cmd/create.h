/* The options create and run share (runc's flags), parsed into
 * container_create_opts. */
#ifndef ZRUN_CMD_CREATE_H
#define ZRUN_CMD_CREATE_H

#include "cli.h"
#include "container.h"
#include "version.h"

enum { OPT_PID_FILE = 300, OPT_CONSOLE_SOCKET, OPT_NO_PIVOT, OPT_NO_NEW_KEYRING,
       OPT_PRESERVE_FDS, OPT_DETACH, OPT_NO_SUBREAPER, OPT_KEEP,
       OPT_SERVICE, OPT_LISTEN, OPT_PROBE, OPT_PROBE_DELAY, OPT_PROBE_PERIOD, OPT_PROBE_TIMEOUT,
       OPT_PROBE_SUCCESS, OPT_PROBE_FAILURE, OPT_STOP_SIGNAL, OPT_GRACE, OPT_NET, OPT_INTERCEPT };

/* Everything create and run take from the command line. */
struct create_cli {
	struct container_create_opts create;
	struct version_opts version;
};

#define CREATE_CLI_OPTS \
	{ "bundle", 'b', required_argument, "DIR", "bundle directory (default: the current directory)" }, \
	{ "pid-file", OPT_PID_FILE, required_argument, "FILE", "write the init's pid to FILE" }, \
	{ "console-socket", OPT_CONSOLE_SOCKET, required_argument, "PATH", "unix socket that receives the pty master" }, \
	{ "no-pivot", OPT_NO_PIVOT, no_argument, NULL, "use MS_MOVE + chroot instead of pivot_root" }, \
	{ "no-new-keyring", OPT_NO_NEW_KEYRING, no_argument, NULL, "keep the caller's session keyring" }, \
	{ "preserve-fds", OPT_PRESERVE_FDS, required_argument, "N", "pass N more fds (3 .. 3+N-1) to the container" }, \
	{ "service", OPT_SERVICE, required_argument, "NAME", "make this container a version of service NAME" }, \
	{ "listen", OPT_LISTEN, required_argument, "[N=]URL", "the service's listener: tcp://HOST:PORT or unix:/PATH (repeatable)" }, \
	{ "probe", OPT_PROBE, required_argument, "KIND", "readiness: accepting (default), http[:PATH], tcp, exec:CMD, notify" }, \
	{ "probe-initial-delay", OPT_PROBE_DELAY, required_argument, "D", "wait D before the first probe (default 0s)" }, \
	{ "probe-period", OPT_PROBE_PERIOD, required_argument, "D", "time between probes once one passed (default 10s; until then every 10 ms for 1 s, then 50 ms)" }, \
	{ "probe-timeout", OPT_PROBE_TIMEOUT, required_argument, "D", "time one probe may take (default 1s)" }, \
	{ "probe-success-threshold", OPT_PROBE_SUCCESS, required_argument, "N", "successes in a row that mean ready (default 1)" }, \
	{ "probe-failure-threshold", OPT_PROBE_FAILURE, required_argument, "N", "failures in a row that abort a swap (default 3)" }, \
	{ "stop-signal", OPT_STOP_SIGNAL, required_argument, "SIG", "signal that starts a graceful stop (default SIGTERM)" }, \
	{ "grace-period", OPT_GRACE, required_argument, "D", "time to drain before SIGKILL (default 30s)" }, \
	{ "net", OPT_NET, required_argument, "MODE", "service (the host's network) or own (the config's); default: own when the config names a network namespace by path" }, \
	{ "intercept", OPT_INTERCEPT, no_argument, NULL, "give the shared listener to a program that binds the service's port itself (bind/listen via seccomp)" }

/* Handles one shared option; returns 1 when key is not one of them. */
int create_opt(struct cli_ctx *ctx, struct create_cli *o, int key, const char *arg);

/* The positional arguments: ID [BUNDLE] (the bundle also by --bundle). */
int create_args(struct cli_ctx *ctx, struct create_cli *o, int argc, char **argv, int first);

#endif
