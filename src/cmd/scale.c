/* zrun scale SERVICE N: run N replicas of the service's current version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "deploy.h"

enum { OPT_TIMEOUT = 520, OPT_FORMAT };

struct scale_opts {
	long timeout_ms;
	bool json;
};

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct scale_opts *o = data;

	if (key == OPT_TIMEOUT && (duration_parse(arg, &o->timeout_ms) < 0 || o->timeout_ms == 0))
		return zrun_error_set(&ctx->err, 0, "scale: --timeout \"%s\": expected a duration like 30s", arg);
	/* its lines are deploy's and rollback's, which scripts read as JSON */
	if (key == OPT_FORMAT) {
		if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0)
			return zrun_error_set(&ctx->err, 0, "scale: --format \"%s\": expected text or json", arg);
		o->json = strcmp(arg, "json") == 0;
	}
	return 0;
}

static int run_scale(struct cli_ctx *ctx, int argc, char **argv)
{
	struct scale_opts o = { .timeout_ms = 120000 };
	char *end;
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &o);

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
	    deploy_scale(ctx->root, name, (int)n, o.timeout_ms, o.json, stdout, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "scale %s", name);
	return 0;
}

static const struct cli_opt scale_table[] = {
	{ "timeout", OPT_TIMEOUT, required_argument, "D", "time a new replica may take to be ready (default 2m)" },
	{ "format", OPT_FORMAT, required_argument, "FMT", "text (default) or json: one object per step" },
	{ 0 },
};

const struct command cmd_scale = { .name = "scale", .args = "<service> <replicas>",
	.summary = "add or remove replicas of a service's current version",
	.opts = scale_table, .run = run_scale };
