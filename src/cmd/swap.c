/* zrun swap OLD NEW: start NEW (if only created), probe it ready, then
 * drain and stop OLD; abort with OLD untouched if NEW is never ready.
 * zrun swap --resume|--abort SERVICE: after a swap whose zrun died. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "service.h"
#include "swap.h"

enum { OPT_TIMEOUT = 400, OPT_GRACE_PERIOD, OPT_KEEP_OLD, OPT_WAIT, OPT_FORMAT, OPT_CANARY, OPT_STEP, OPT_RESUME,
       OPT_ABORT };

struct swap_cli {
	struct swap_opts o;
	int after_death;  /* OPT_RESUME or OPT_ABORT: the swap of a service whose zrun died */
};

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct swap_cli *c = data;
	struct swap_opts *o = &c->o;

	switch (key) {
	case OPT_RESUME:
	case OPT_ABORT:
		if (c->after_death && c->after_death != key)
			return zrun_error_set(&ctx->err, 0, "swap: --resume and --abort exclude each other");
		c->after_death = key;
		return 0;
	case OPT_TIMEOUT:
		if (duration_parse(arg, &o->timeout_ms) < 0 || o->timeout_ms == 0)
			return zrun_error_set(&ctx->err, 0, "swap: --timeout \"%s\": expected a duration like 30s", arg);
		return 0;
	case OPT_GRACE_PERIOD:
		if (duration_parse(arg, &o->grace_ms) < 0)
			return zrun_error_set(&ctx->err, 0, "swap: --grace-period \"%s\": expected a duration like 30s", arg);
		return 0;
	case OPT_KEEP_OLD: o->keep_old = true; return 0;
	case OPT_CANARY:
		if (swap_canary_parse(arg, o->canary, &o->n_canary, &ctx->err) < 0)
			return zrun_error_prefix(&ctx->err, "swap");
		return 0;
	case OPT_STEP:
		if (duration_parse(arg, &o->step_ms) < 0 || o->step_ms < 1000)
			return zrun_error_set(&ctx->err, 0, "swap: --step \"%s\": expected a duration of 1s or more, like 60s", arg);
		return 0;
	case OPT_WAIT: o->wait = true; return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0)
			return zrun_error_set(&ctx->err, 0, "swap: --format \"%s\": expected text or json", arg);
		o->json = strcmp(arg, "json") == 0;
		return 0;
	}
	return 0;
}

static int run_swap(struct cli_ctx *ctx, int argc, char **argv)
{
	struct swap_cli c = { .o = { .root = ctx->root, .timeout_ms = 120000, .grace_ms = -1, .out = stdout } };
	struct swap_opts o;
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &c);

	if (r != 0)
		return r > 0 ? 0 : -1;
	o = c.o;
	if (c.after_death) {
		if (cli_expect_args(ctx, argc, first, 1) < 0)
			return -1;
		if (o.n_canary)
			return zrun_error_set(&ctx->err, 0, "swap: --canary starts a swap; --resume and --abort end one");
		const char *service = argv[first];
		if (service_validate_name(service, &ctx->err) < 0)
			return zrun_error_prefix(&ctx->err, "swap");
		if (!service_exists(ctx->root, service))
			return zrun_error_set(&ctx->err, 0, "swap: service %s: no such service", service);
		if (swap_resume(&o, service, c.after_death == OPT_ABORT, &ctx->err) < 0)
			return zrun_error_prefix(&ctx->err, "swap --%s %s", c.after_death == OPT_ABORT ? "abort" : "resume",
						 service);
		return 0;
	}
	if (cli_expect_args(ctx, argc, first, 2) < 0)
		return -1;
	if (swap_canary_steps_check(o.n_canary, o.step_ms, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "swap");
	o.progress = swap_say_progress(o.out, o.json);
	o.old_id = argv[first];
	o.new_id = argv[first + 1];
	if (swap_run(&o, &ctx->err) < 0)
		return -1;
	return 0;
}

static const struct cli_opt swap_table[] = {
	{ "timeout", OPT_TIMEOUT, required_argument, "D", "abort if NEW is not ready within D of the start (default 2m)" },
	{ "grace-period", OPT_GRACE_PERIOD, required_argument, "D", "time OLD may drain before SIGKILL (default: OLD's, 30s)" },
	{ "keep-old", OPT_KEEP_OLD, no_argument, NULL, "stop OLD but keep it (a swap back is a rollback)" },
	{ "wait", OPT_WAIT, no_argument, NULL, "wait for another swap of the service instead of failing" },
	{ "format", OPT_FORMAT, required_argument, "FMT", "text (default) or json: one object per step" },
	{ "canary", OPT_CANARY, required_argument, "SHARES", "give NEW a share of new connections (10%; steps 10%,50%,100% with --step), keep both running: then promote or abort" },
	{ "step", OPT_STEP, required_argument, "D", "with --canary P1%,P2%,...: the supervisor raises NEW's share each D (100%: promote)" },
	{ "resume", OPT_RESUME, no_argument, NULL, "swap --resume SERVICE: finish a swap whose zrun died (as service repair)" },
	{ "abort", OPT_ABORT, no_argument, NULL, "swap --abort SERVICE: undo a swap whose zrun died before OLD was signalled, or an open canary" },
	{ 0 },
};

const struct command cmd_swap = { .name = "swap", .args = "<old-id> <new-id> | --resume|--abort <service>",
	.summary = "replace a running version of a service by another, with no refused connection",
	.opts = swap_table, .run = run_swap };
