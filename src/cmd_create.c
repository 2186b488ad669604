/* zrun create [options] ID: make the container and leave its init waiting. */
#include "cmd_create.h"

#include <stdio.h>

int create_opt(struct cli_ctx *ctx, struct container_create_opts *opts, int key, const char *arg)
{
	unsigned long n;

	switch (key) {
	case 'b': opts->bundle = arg; return 0;
	case OPT_PID_FILE: opts->pid_file = arg; return 0;
	case OPT_CONSOLE_SOCKET: opts->console_socket = arg; return 0;
	case OPT_NO_PIVOT: opts->no_pivot = true; return 0;
	case OPT_NO_NEW_KEYRING: opts->no_new_keyring = true; return 0;
	case OPT_PRESERVE_FDS:
		if (cli_parse_uint(ctx, "preserve-fds", arg, &n) < 0)
			return -1;
		if (n > 1024)
			return zrun_error_set(&ctx->err, 0, "%s: --preserve-fds %lu is too many", ctx->cmd->name, n);
		opts->preserve_fds = (int)n;
		return 0;
	default:
		return 1;
	}
}

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	int r = create_opt(ctx, data, key, arg);
	return r == 1 ? zrun_error_set(&ctx->err, 0, "create: unexpected option") : r;
}

static int run_create(struct cli_ctx *ctx, int argc, char **argv)
{
	struct container_create_opts opts = { .root = ctx->root, .bundle = "." };
	pid_t pid;
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &opts);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 1) < 0)
		return -1;
	opts.id = argv[first];
	opts.systemd_cgroup = ctx->systemd_cgroup;
	if (container_create(&opts, false, &pid, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "create %s", opts.id);
	return 0;
}

static const struct cli_opt create_opts[] = { CREATE_CLI_OPTS, { 0 } };

const struct command cmd_create = {
	.name = "create", .args = "<container-id>",
	.summary = "create a container; its program waits until `zrun start`",
	.opts = create_opts, .run = run_create,
};
