/* zrun create [options] ID: make the container and leave its init waiting. */
#include "create.h"

#include <stdio.h>

static int version_opt(struct cli_ctx *ctx, struct version_opts *v, int key, const char *arg)
{
	switch (key) {
	case OPT_SERVICE: v->service = arg; return 0;
	case OPT_LISTEN:
		if (v->n_listen == LISTENER_MAX)
			return zrun_error_set(&ctx->err, 0, "%s: at most %d --listen", ctx->cmd->name, LISTENER_MAX);
		v->listen[v->n_listen++] = arg;
		return 0;
	case OPT_PROBE: v->probe = arg; return 0;
	case OPT_PROBE_DELAY: v->probe_initial_delay = arg; return 0;
	case OPT_PROBE_PERIOD: v->probe_period = arg; return 0;
	case OPT_PROBE_TIMEOUT: v->probe_timeout = arg; return 0;
	case OPT_PROBE_SUCCESS: v->probe_success_threshold = arg; return 0;
	case OPT_PROBE_FAILURE: v->probe_failure_threshold = arg; return 0;
	case OPT_STOP_SIGNAL: v->stop_signal = arg; return 0;
	case OPT_GRACE: v->grace_period = arg; return 0;
	case OPT_NET: v->net = arg; return 0;
	case OPT_INTERCEPT: v->intercept = true; return 0;
	default: return 1;
	}
}

int create_args(struct cli_ctx *ctx, struct create_cli *o, int argc, char **argv, int first)
{
	if (argc - first == 2) {
		o->create.bundle = argv[first + 1];
	} else if (cli_expect_args(ctx, argc, first, 1) < 0) {
		return -1;
	}
	o->create.id = argv[first];
	o->create.root = ctx->root;
	o->create.systemd_cgroup = ctx->systemd_cgroup;
	return 0;
}

int create_opt(struct cli_ctx *ctx, struct create_cli *o, int key, const char *arg)
{
	struct container_create_opts *opts = &o->create;
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
		return version_opt(ctx, &o->version, key, arg);
	}
}

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	int r = create_opt(ctx, data, key, arg);
	return r == 1 ? zrun_error_set(&ctx->err, 0, "create: unexpected option") : r;
}

static int run_create(struct cli_ctx *ctx, int argc, char **argv)
{
	struct create_cli o = { .create = { .bundle = "." } };
	pid_t pid;
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &o);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (create_args(ctx, &o, argc, argv, first) < 0)
		return -1;
	char note[400] = "";
	o.version.note = note;
	o.version.note_len = sizeof(note);
	if (version_create(&o.create, &o.version, &pid, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "create %s", o.create.id);
	if (note[0])
		fprintf(stderr, "zrun: create %s: %s\n", o.create.id, note);
	return 0;
}

static const struct cli_opt create_opts[] = { CREATE_CLI_OPTS, { 0 } };

const struct command cmd_create = {
	.name = "create", .args = "<container-id> [bundle]",
	.summary = "create a container; its program waits until `zrun start`",
	.opts = create_opts, .run = run_create,
};
