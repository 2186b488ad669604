/* zrun scale SERVICE N: run N replicas of the service's current version. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "deploy.h"

enum { OPT_TIMEOUT = 520 };

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	if (key == OPT_TIMEOUT && (duration_parse(arg, data) < 0 || *(long *)data == 0))
		return zrun_error_set(&ctx->err, 0, "scale: --timeout \"%s\": expected a duration like 30s", arg);
	return 0;
}

static int run_scale(struct cli_ctx *ctx, int argc, char **argv)
{
	long timeout_ms = 120000;
	char *end;
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &timeout_ms);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 2) < 0)
		return -1;
	const char *name = argv[first], *count = argv[first + 1];
	long n = strtol(count, &end, 10);
	if (*count == '\0' || *end != '\0' || n < 1 || n > DEPLOY_REPLICAS_MAX)
		return zrun_error_set(&ctx->err, 0, "scale %s: \"%s\": expected a number of replicas from 1 to %d",
				      name, count, DEPLOY_REPLICAS_MAX);
	if (service_validate_name(name, &ctx->err) < 0 ||
	    deploy_scale(ctx->root, name, (int)n, timeout_ms, false, stdout, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "scale %s", name);
	return 0;
}

static const struct cli_opt scale_table[] = {
	{ "timeout", OPT_TIMEOUT, required_argument, "D", "time a new replica may take to be ready (default 2m)" },
	{ 0 },
};

const struct command cmd_scale = { .name = "scale", .args = "<service> <replicas>",
	.summary = "add or remove replicas of a service's current version",
	.opts = scale_table, .run = run_scale };
