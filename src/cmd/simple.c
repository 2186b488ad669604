/* The one-argument lifecycle commands: start, state, kill, delete. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "state.h"
#include "supervisor.h"
#include "version.h"

static int no_opts(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	(void)key; (void)arg; (void)data;
	return zrun_error_set(&ctx->err, 0, "%s: unexpected option", ctx->cmd->name);
}

static int run_start(struct cli_ctx *ctx, int argc, char **argv)
{
	int first, r = cli_parse(ctx, argc, argv, &first, no_opts, NULL);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 1) < 0)
		return -1;
	if (container_start(ctx->root, argv[first], &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "start %s", argv[first]);
	/* a version: its supervisor watches it from now, not from its next
	 * look (up to a second later), so that a program that fails at once
	 * (a bind refused) is seen crash with its exit status, not just gone */
	struct container_state st;
	struct version_config vc;
	struct zrun_error ignored;
	if (version_load(ctx->root, argv[first], &st, &vc, &ignored) == 0) {
		if (vc.service[0])
			supervisor_rescan(ctx->root, vc.service);
		state_clear(&st);
	}
	return 0;
}

static int run_state(struct cli_ctx *ctx, int argc, char **argv)
{
	struct container_state st;
	int first, r = cli_parse(ctx, argc, argv, &first, no_opts, NULL);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 1) < 0)
		return -1;
	if (state_validate_id(argv[first], &ctx->err) < 0 ||
	    state_read(ctx->root, argv[first], &st, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "state %s", argv[first]);
	char *json = state_to_oci_json(ctx->root, &st, true);
	state_clear(&st);
	if (json == NULL)
		return zrun_error_set(&ctx->err, 0, "state %s: out of memory", argv[first]);
	printf("%s\n", json);
	free(json);
	return 0;
}

struct kill_opts { bool all; };

static int kill_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	(void)ctx; (void)arg;
	if (key == 'a')
		((struct kill_opts *)data)->all = true;
	return 0;
}

static int run_kill(struct cli_ctx *ctx, int argc, char **argv)
{
	struct kill_opts o = { 0 };
	int first, sig = SIGTERM, r = cli_parse(ctx, argc, argv, &first, kill_opt, &o);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (argc - first == 2) {
		sig = signal_parse(argv[first + 1]);
		if (sig < 0)
			return zrun_error_set(&ctx->err, 0, "kill %s: unknown signal \"%s\"", argv[first], argv[first + 1]);
	} else if (cli_expect_args(ctx, argc, first, 1) < 0) {
		return -1;
	}
	if (container_kill(ctx->root, argv[first], sig, o.all, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "kill %s", argv[first]);
	return 0;
}

struct delete_opts { bool force; };

static int delete_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	(void)ctx; (void)arg;
	if (key == 'f')
		((struct delete_opts *)data)->force = true;
	return 0;
}

static int run_delete(struct cli_ctx *ctx, int argc, char **argv)
{
	struct delete_opts o = { 0 };
	int first, r = cli_parse(ctx, argc, argv, &first, delete_opt, &o);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 1) < 0)
		return -1;
	if (version_delete(ctx->root, argv[first], o.force, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "delete %s", argv[first]);
	return 0;
}

static const struct cli_opt none[] = { { 0 } };
static const struct cli_opt kill_table[] = {
	{ "all", 'a', no_argument, NULL, "send the signal to every process in the container's cgroup" },
	{ 0 },
};
static const struct cli_opt delete_table[] = {
	{ "force", 'f', no_argument, NULL, "kill the container first if it is running" },
	{ 0 },
};

const struct command cmd_start = { .name = "start", .args = "<container-id>",
	.summary = "start the program of a created container", .opts = none, .run = run_start };
const struct command cmd_state = { .name = "state", .args = "<container-id>",
	.summary = "print the state of a container as JSON", .opts = none, .run = run_state };
const struct command cmd_kill = { .name = "kill", .args = "<container-id> [signal]",
	.summary = "send a signal (default SIGTERM) to a container", .opts = kill_table, .run = run_kill };
const struct command cmd_delete = { .name = "delete", .args = "<container-id>",
	.summary = "delete a stopped container (with --force, any)", .opts = delete_table, .run = run_delete };
