/* zrun deploy SERVICE BUNDLE: start the service, or swap it to a new
 * version of BUNDLE (the idempotent step of a deploy script), with the
 * settings of the last deploy unless a flag changes one; zrun
 * rollback SERVICE: swap back to the kept previous version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"
#include "deploy.h"

enum { OPT_REPLICAS = 500, OPT_MAX_STARTING, OPT_ID, OPT_RESTART, OPT_TIMEOUT, OPT_KEEP_OLD, OPT_NO_KEEP_OLD,
       OPT_NO_INTERCEPT, OPT_WAIT, OPT_FORMAT, OPT_CANARY, OPT_STEP };

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct deploy_opts *o = data;
	struct create_cli cc = { 0 };
	char *end;

	switch (key) {
	case OPT_REPLICAS: {
		long n = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || n < 1 || n > DEPLOY_REPLICAS_MAX)
			return zrun_error_set(&ctx->err, 0, "%s: --replicas \"%s\": expected a whole number from 1 to %d",
					      ctx->cmd->name, arg, DEPLOY_REPLICAS_MAX);
		o->replicas = (int)n;
		return 0;
	}
	case OPT_MAX_STARTING: {
		if (strcmp(arg, "all") == 0) {
			o->max_starting = DEPLOY_REPLICAS_MAX;
			return 0;
		}
		long n = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || n < 1 || n > DEPLOY_REPLICAS_MAX)
			return zrun_error_set(&ctx->err, 0, "%s: --max-starting \"%s\": expected all or a whole number from 1 to %d",
					      ctx->cmd->name, arg, DEPLOY_REPLICAS_MAX);
		o->max_starting = (int)n;
		return 0;
	}
	case OPT_ID: o->id = arg; return 0;
	case OPT_RESTART: {
		enum restart_policy p;
		int max;
		if (restart_parse(arg, &p, &max, &ctx->err) < 0)
			return zrun_error_prefix(&ctx->err, "%s", ctx->cmd->name);
		o->vo.restart = arg;
		return 0;
	}
	case OPT_TIMEOUT:
		if (duration_parse(arg, &o->timeout_ms) < 0 || o->timeout_ms == 0)
			return zrun_error_set(&ctx->err, 0, "%s: --timeout \"%s\": expected a duration like 30s", ctx->cmd->name, arg);
		return 0;
	case OPT_GRACE:
		if (duration_parse(arg, &o->grace_ms) < 0)
			return zrun_error_set(&ctx->err, 0, "%s: --grace-period \"%s\": expected a duration like 30s", ctx->cmd->name, arg);
		o->vo.grace_period = arg;
		return 0;
	case OPT_KEEP_OLD: o->keep_old = 1; return 0;
	case OPT_NO_KEEP_OLD: o->keep_old = 0; return 0;
	case OPT_NO_INTERCEPT: o->vo.intercept = false; o->vo.no_intercept = true; return 0;
	case OPT_WAIT: o->wait = true; return 0;
	case OPT_CANARY:
		if (swap_canary_parse(arg, o->canary, &o->n_canary, &ctx->err) < 0)
			return zrun_error_prefix(&ctx->err, "%s", ctx->cmd->name);
		return 0;
	case OPT_STEP:
		if (duration_parse(arg, &o->step_ms) < 0 || o->step_ms < 1000)
			return zrun_error_set(&ctx->err, 0, "%s: --step \"%s\": expected a duration of 1s or more, like 60s",
					      ctx->cmd->name, arg);
		return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0)
			return zrun_error_set(&ctx->err, 0, "%s: --format \"%s\": expected text or json", ctx->cmd->name, arg);
		o->json = strcmp(arg, "json") == 0;
		return 0;
	}
	cc.version = o->vo;
	int r = create_opt(ctx, &cc, key, arg);
	o->vo = cc.version;
	if (key == OPT_INTERCEPT)
		o->vo.no_intercept = false;
	return r == 1 ? zrun_error_set(&ctx->err, 0, "%s: unexpected option", ctx->cmd->name) : r;
}

static int run_deploy(struct cli_ctx *ctx, int argc, char **argv)
{
	/* unset: the service record's (deploy_settings.c) */
	struct deploy_opts o = { .root = ctx->root, .keep_old = -1, .grace_ms = -1, .out = stdout,
				 .systemd_cgroup = ctx->systemd_cgroup };
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &o);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 2) < 0)
		return -1;
	if (swap_canary_steps_check(o.n_canary, o.step_ms, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "deploy");
	o.service = argv[first];
	o.bundle = argv[first + 1];
	if (deploy_run(&o, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "deploy %s", o.service);
	return 0;
}

static int run_rollback(struct cli_ctx *ctx, int argc, char **argv)
{
	struct deploy_opts o = { .root = ctx->root, .timeout_ms = 120000, .grace_ms = -1 };
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &o);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 1) < 0)
		return -1;
	if (service_validate_name(argv[first], &ctx->err) < 0 ||
	    deploy_rollback(ctx->root, argv[first], o.timeout_ms, o.json, stdout, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "rollback %s", argv[first]);
	return 0;
}

static const struct cli_opt deploy_table[] = {
	{ "listen", OPT_LISTEN, required_argument, "[N=]URL", "the service's listener, for its first deploy (repeatable)" },
	{ "replicas", OPT_REPLICAS, required_argument, "N", "containers of the version, all accepting (default: the last deploy's, else 1)" },
	{ "max-starting", OPT_MAX_STARTING, required_argument, "N", "start N new replicas at a time, the next as one is ready (default: the last deploy's, else 4 per CPU)" },
	{ "id", OPT_ID, required_argument, "ID", "the new version's id (default SERVICE-<n+1>)" },
	{ "restart", OPT_RESTART, required_argument, "POLICY", "no, on-failure[:MAX] (default) or always; done by the supervisor" },
	{ "probe", OPT_PROBE, required_argument, "KIND", "readiness: accepting (default), http[:PATH], tcp, exec:CMD, notify" },
	{ "probe-initial-delay", OPT_PROBE_DELAY, required_argument, "D", "wait D before the first probe (default 0s)" },
	{ "probe-period", OPT_PROBE_PERIOD, required_argument, "D", "time between probes once one passed (default 10s; until then every 10 ms for 1 s, then 50 ms)" },
	{ "probe-timeout", OPT_PROBE_TIMEOUT, required_argument, "D", "time one probe may take (default 1s)" },
	{ "probe-success-threshold", OPT_PROBE_SUCCESS, required_argument, "N", "successes in a row that mean ready (default 1)" },
	{ "probe-failure-threshold", OPT_PROBE_FAILURE, required_argument, "N", "failures in a row that abort (default 3)" },
	{ "stop-signal", OPT_STOP_SIGNAL, required_argument, "SIG", "signal that starts a graceful stop (default SIGTERM)" },
	{ "grace-period", OPT_GRACE, required_argument, "D", "time to drain before SIGKILL (default 30s)" },
	{ "net", OPT_NET, required_argument, "MODE", "service (default) or own" },
	{ "intercept", OPT_INTERCEPT, no_argument, NULL, "the program binds the service's port itself: give it the shared listener" },
	{ "no-intercept", OPT_NO_INTERCEPT, no_argument, NULL, "undo a remembered --intercept" },
	{ "timeout", OPT_TIMEOUT, required_argument, "D", "abort if the new version is not ready within D of the start: it bounds the whole deploy (default 2m)" },
	{ "keep-old", OPT_KEEP_OLD, no_argument, NULL, "stop the old version but keep it, for zrun rollback" },
	{ "no-keep-old", OPT_NO_KEEP_OLD, no_argument, NULL, "remove the old version (the default; undoes a remembered --keep-old)" },
	{ "wait", OPT_WAIT, no_argument, NULL, "wait for another swap of the service instead of failing" },
	{ "format", OPT_FORMAT, required_argument, "FMT", "text (default) or json" },
	{ "canary", OPT_CANARY, required_argument, "SHARES", "swap as a canary: the new version gets a share of new connections (10%; steps 10%,50%,100% with --step), then promote or abort" },
	{ "step", OPT_STEP, required_argument, "D", "with --canary P1%,P2%,...: the supervisor raises the share each D (100%: promote)" },
	{ 0 },
};

static const struct cli_opt rollback_table[] = {
	{ "timeout", OPT_TIMEOUT, required_argument, "D", "abort if the previous version is not ready within D of the start (default 2m)" },
	{ "format", OPT_FORMAT, required_argument, "FMT", "text (default) or json" },
	{ 0 },
};

const struct command cmd_deploy = { .name = "deploy", .args = "<service> <bundle>",
	.summary = "start a service, or swap it to a new version of bundle (reload or start)",
	.opts = deploy_table, .run = run_deploy };

const struct command cmd_rollback = { .name = "rollback", .args = "<service>",
	.summary = "swap a service back to its previous version (kept by deploy --keep-old), or undo its open canary",
	.opts = rollback_table, .run = run_rollback };
