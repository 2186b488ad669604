/* The options create and run share (runc's flags), parsed into
 * container_create_opts. */
#ifndef ZRUN_CMD_CREATE_H
#define ZRUN_CMD_CREATE_H

#include "cli.h"
#include "container.h"

enum { OPT_PID_FILE = 300, OPT_CONSOLE_SOCKET, OPT_NO_PIVOT, OPT_NO_NEW_KEYRING,
       OPT_PRESERVE_FDS, OPT_DETACH, OPT_NO_SUBREAPER, OPT_KEEP };

#define CREATE_CLI_OPTS \
	{ "bundle", 'b', required_argument, "DIR", "bundle directory (default: the current directory)" }, \
	{ "pid-file", OPT_PID_FILE, required_argument, "FILE", "write the init's pid to FILE" }, \
	{ "console-socket", OPT_CONSOLE_SOCKET, required_argument, "PATH", "unix socket that receives the pty master" }, \
	{ "no-pivot", OPT_NO_PIVOT, no_argument, NULL, "use MS_MOVE + chroot instead of pivot_root" }, \
	{ "no-new-keyring", OPT_NO_NEW_KEYRING, no_argument, NULL, "keep the caller's session keyring" }, \
	{ "preserve-fds", OPT_PRESERVE_FDS, required_argument, "N", "pass N more fds (3 .. 3+N-1) to the container" }

/* Handles one shared option; returns 1 when key is not one of them. */
int create_opt(struct cli_ctx *ctx, struct container_create_opts *opts, int key, const char *arg);

#endif
