/* pause, resume: freeze and thaw every process of a container. */
#include "cgroup_container.h"
#include "cli.h"

static int no_opts(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	(void)key; (void)arg; (void)data;
	return zrun_error_set(&ctx->err, 0, "%s: unexpected option", ctx->cmd->name);
}

static int run_pause_resume(struct cli_ctx *ctx, int argc, char **argv, bool pause)
{
	int first, r = cli_parse(ctx, argc, argv, &first, no_opts, NULL);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 1) < 0)
		return -1;
	if (container_pause(ctx->root, argv[first], pause, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "%s %s", pause ? "pause" : "resume", argv[first]);
	return 0;
}

static int run_pause(struct cli_ctx *ctx, int argc, char **argv)
{
	return run_pause_resume(ctx, argc, argv, true);
}

static int run_resume(struct cli_ctx *ctx, int argc, char **argv)
{
	return run_pause_resume(ctx, argc, argv, false);
}

static const struct cli_opt none[] = { { 0 } };

const struct command cmd_pause = { .name = "pause", .args = "<container-id>",
	.summary = "suspend every process of a container (cgroup freezer)", .opts = none, .run = run_pause };
const struct command cmd_resume = { .name = "resume", .args = "<container-id>",
	.summary = "resume a paused container", .opts = none, .run = run_resume };
