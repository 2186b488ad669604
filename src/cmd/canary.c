/* zrun promote SERVICE: finish the open canary of a service (its new
 * version gets every connection, the old one drains and goes); zrun abort
 * SERVICE: undo it (the old version gets every connection back, the new
 * one is stopped and deleted). The canary itself: swap --canary. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "service.h"
#include "swap.h"

enum { OPT_GRACE_PERIOD = 420, OPT_WAIT, OPT_FORMAT, OPT_REASON };

struct canary_cli {
	struct swap_opts o;
	const char *reason;
};

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct canary_cli *c = data;

	switch (key) {
	case OPT_GRACE_PERIOD:
		if (duration_parse(arg, &c->o.grace_ms) < 0)
			return zrun_error_set(&ctx->err, 0, "%s: --grace-period \"%s\": expected a duration like 30s",
					      ctx->cmd->name, arg);
		return 0;
	case OPT_WAIT: c->o.wait = true; return 0;
	case OPT_REASON: c->reason = arg; return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0)
			return zrun_error_set(&ctx->err, 0, "%s: --format \"%s\": expected text or json", ctx->cmd->name, arg);
		c->o.json = strcmp(arg, "json") == 0;
		return 0;
	}
	return 0;
}

static int run_canary(struct cli_ctx *ctx, int argc, char **argv, bool promote)
{
	struct canary_cli c = { .o = { .root = ctx->root, .timeout_ms = 120000, .grace_ms = -1, .out = stdout },
				.reason = "asked by `zrun abort`" };
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &c);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 1) < 0)
		return -1;
	const char *service = argv[first];
	c.o.progress = swap_say_progress(c.o.out, c.o.json);
	if (service_validate_name(service, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "%s", ctx->cmd->name);
	if (!service_exists(ctx->root, service))
		return zrun_error_set(&ctx->err, 0, "%s %s: no such service", ctx->cmd->name, service);
	r = promote ? swap_promote(&c.o, service, &ctx->err) : swap_canary_abort(&c.o, service, c.reason, &ctx->err);
	return r < 0 ? zrun_error_prefix(&ctx->err, "%s %s", ctx->cmd->name, service) : 0;
}

static int run_promote(struct cli_ctx *ctx, int argc, char **argv)
{
	return run_canary(ctx, argc, argv, true);
}

static int run_abort(struct cli_ctx *ctx, int argc, char **argv)
{
	return run_canary(ctx, argc, argv, false);
}

static const struct cli_opt promote_table[] = {
	{ "grace-period", OPT_GRACE_PERIOD, required_argument, "D", "time the old version may drain before SIGKILL (default: its own)" },
	{ "wait", OPT_WAIT, no_argument, NULL, "wait for another swap command of the service instead of failing" },
	{ "format", OPT_FORMAT, required_argument, "FMT", "text (default) or json: one object per step" },
	{ 0 },
};

static const struct cli_opt abort_table[] = {
	{ "reason", OPT_REASON, required_argument, "TEXT", "why, for service status and the swap record" },
	{ "wait", OPT_WAIT, no_argument, NULL, "wait for another swap command of the service instead of failing" },
	{ "format", OPT_FORMAT, required_argument, "FMT", "text (default) or json: one object per step" },
	{ 0 },
};

const struct command cmd_promote = { .name = "promote", .args = "<service>",
	.summary = "finish a service's canary: its new version gets every connection, the old one drains",
	.opts = promote_table, .run = run_promote };

const struct command cmd_abort = { .name = "abort", .args = "<service>",
	.summary = "undo a service's canary: its old version gets every connection, the new one goes",
	.opts = abort_table, .run = run_abort };
