/* zrun run [options] ID: create + start, then (unless --detach) wait for
 * the program, forward signals to it, delete the container and exit with
 * the program's status. */
#include "create.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "terminal.h"

struct run_opts {
	struct create_cli cli;
	bool detach;
	bool keep;
};

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct run_opts *o = data;
	int r = create_opt(ctx, &o->cli, key, arg);

	if (r != 1)
		return r;
	if (key == 'd')
		o->detach = true;
	else if (key == OPT_KEEP)
		o->keep = true;
	return 0;
}

static int run_run(struct cli_ctx *ctx, int argc, char **argv)
{
	struct run_opts o = { .cli = { .create = { .bundle = "." } } };
	struct zrun_error ignored;
	pid_t pid;
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &o);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (create_args(ctx, &o.cli, argc, argv, first) < 0)
		return -1;
	struct container_create_opts *c = &o.cli.create;
	/* process.terminal in the foreground without --console-socket: the
	 * init sends the pty master to us and we relay it. */
	int relay[2] = { -1, -1 }, master = -1;
	if (!o.detach && c->console_socket == NULL) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, relay) < 0)
			return zrun_error_set(&ctx->err, errno, "run %s: socketpair", c->id);
		c->console_relay = true;
		c->console_relay_fd = relay[1];
	}
	char note[400] = "";
	o.cli.version.note = note;
	o.cli.version.note_len = sizeof(note);
	r = version_create(c, &o.cli.version, &pid, &ctx->err);
	if (r == 0 && note[0])
		fprintf(stderr, "zrun: run %s: %s\n", c->id, note);
	if (relay[1] >= 0)
		close(relay[1]);
	if (r < 0) {
		if (relay[0] >= 0)
			close(relay[0]);
		return zrun_error_prefix(&ctx->err, "run %s", c->id);
	}
	if (relay[0] >= 0) {
		/* Sent during create when the process has a terminal. */
		master = terminal_recv_fd(relay[0], &ctx->err);
		close(relay[0]);
		if (master < 0 && ctx->err.errno_value != ENODATA && ctx->err.errno_value != EAGAIN) {
			version_delete(ctx->root, c->id, true, &ignored);
			return zrun_error_prefix(&ctx->err, "run %s", c->id);
		}
		zrun_error_clear(&ctx->err);
	}
	if (!o.detach)
		container_wait_prepare();
	if (container_start(ctx->root, c->id, &ctx->err) < 0) {
		if (master >= 0)
			close(master);
		version_delete(ctx->root, c->id, true, &ignored);
		return zrun_error_prefix(&ctx->err, "run %s", c->id);
	}
	if (o.detach)
		return 0;
	int status = container_wait_console(pid, master);
	if (!o.keep && version_delete(ctx->root, c->id, true, &ctx->err) < 0)
		cli_report_error(ctx, ctx->err.msg);
	return status;
}

static const struct cli_opt run_opts[] = {
	CREATE_CLI_OPTS,
	{ "detach", 'd', no_argument, NULL, "return once the program runs" },
	{ "keep", OPT_KEEP, no_argument, NULL, "do not delete the container when it exits" },
	{ "no-subreaper", OPT_NO_SUBREAPER, no_argument, NULL, "accepted for runc compatibility" },
	{ 0 },
};

const struct command cmd_run = {
	.name = "run", .args = "<container-id> [bundle]",
	.summary = "create and start a container, wait for it and exit with its status",
	.opts = run_opts, .run = run_run,
};
