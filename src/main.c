/* zrun: global options, command dispatch, and the one error printer. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cloned_binary.h"
#include "daemon.h"
#include "hooks.h"
#include "rootless.h"
#include "state.h"
#include "supervisor.h"

static const struct command *const commands[] = {
	&cmd_create, &cmd_start, &cmd_run, &cmd_exec, &cmd_state, &cmd_kill, &cmd_delete,
	&cmd_list, &cmd_spec, &cmd_features, &cmd_swap, &cmd_service,
	&cmd_pause, &cmd_resume, &cmd_update, &cmd_events, &cmd_ps, &cmd_deploy, &cmd_rollback, &cmd_promote, &cmd_abort, &cmd_scale, &cmd_logs,
	&cmd_checkpoint, &cmd_restore,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: zrun [global options] COMMAND [options] [arguments]\n\n"
		"zrun is an OCI container runtime (runc-compatible) that swaps versions\n"
		"of a network service with zero downtime.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "  %-10s %s\n", "help", "print this help, or with COMMAND its options (as COMMAND --help)");
	fprintf(out,
		"\nGlobal options:\n"
		"  --root DIR             state directory (default /run/zrun; for other users\n"
		"                         $XDG_RUNTIME_DIR/zrun, else /tmp/zrun-UID)\n"
		"  --log FILE             also write errors to FILE\n"
		"  --log-format FORMAT    text or json (json lines, as runc writes them)\n"
		"  --debug                verbose logging\n"
		"  --systemd-cgroup       the systemd cgroup driver: a transient scope per container\n"
		"  -v, --version          print the version\n"
		"  -h, --help             show this help\n\n"
		"Run 'zrun help COMMAND' or 'zrun COMMAND --help' for a command's options.\n");
}

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_IGNORED, OPT_IGNORED_ARG };

static int parse_globals(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
		/* runc flags that mean nothing to zrun, accepted so callers work */
		{ "rootless", required_argument, NULL, OPT_IGNORED_ARG },
		{ "criu", required_argument, NULL, OPT_IGNORED_ARG },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	opterr = 0;
	for (;;) {
		/* leading ':' : a missing value is ':' rather than '?' */
		int c = getopt_long(argc, argv, "+:vh", opts, NULL);
		switch (c) {
		case -1:
			return optind;
		case OPT_ROOT: ctx->root = optarg; break;
		case OPT_LOG: ctx->log_path = optarg; break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
				return zrun_error_set(&ctx->err, 0, "--log-format: \"%s\" is not text or json", optarg);
			ctx->log_json = strcmp(optarg, "json") == 0;
			break;
		case OPT_DEBUG: ctx->debug = true; break;
		case OPT_SYSTEMD: ctx->systemd_cgroup = true; break;
		case OPT_IGNORED_ARG: break;
		case 'v':
			printf("zrun version %s\nspec: 1.2.0\n", ZRUN_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			return zrun_error_set(&ctx->err, 0, "global option %s needs a value (see zrun --help)",
					      argv[optind - 1]);
		default:
			return zrun_error_set(&ctx->err, 0, "unknown global option %s (see zrun --help)",
					      argv[optind - 1]);
		}
	}
}

/* Warnings from runtime/ (a failing poststart or poststop hook). */
static void report_warning(const char *msg, void *data)
{
	cli_print_line(stderr, "zrun: warning: ", msg);
	cli_log(data, "warning", msg);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* `zrun help [COMMAND]`, as git and systemctl users type it: the usage, or
 * exactly what `zrun COMMAND --help` prints (the command's own parser
 * prints it, so the two cannot drift apart). Nothing under --root. */
static int run_help(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct command *cmd;

	if (argc == 1) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("Usage: zrun [global options] help [COMMAND]\n\n"
		       "print zrun's usage, or with COMMAND what 'zrun COMMAND --help' prints\n");
		return 0;
	}
	if (argc > 2)
		return zrun_error_set(&ctx->err, 0, "help: expects at most one command, saw %d (see zrun --help)",
				      argc - 1);
	cmd = find_command(argv[1]);
	if (cmd == NULL)
		return zrun_error_set(&ctx->err, 0, "help: unknown command \"%s\" (see zrun --help)", argv[1]);
	ctx->cmd = cmd;
	char *args[] = { argv[1], (char *)"--help", NULL };
	return cmd->run(ctx, 2, args);
}

int main(int argc, char **argv)
{
	/* An ordinary user's state lives in a directory of theirs (rootless.h). */
	static char default_root[PATH_MAX];
	rootless_default_root(default_root, sizeof(default_root));
	struct cli_ctx ctx = { .root = default_root };

	/* the per-service daemons, when no zrun-daemon is beside this zrun
	 * (daemon.h) */
	if (argc > 0)
		daemon_main(argc, argv);
	int first = parse_globals(&ctx, argc, argv);

	if (first >= 0 && first < argc && strcmp(argv[first], "help") == 0) {
		if (run_help(&ctx, argc - first, argv + first) < 0) {
			cli_report_error(&ctx, ctx.err.msg);
			return 1;
		}
		return 0;
	}
	/* A command that forks a container init or enters a container must
	 * never let it reach the host binary (CVE-2019-5736): run from a sealed
	 * copy. Commands that only read or signal skip the copy (~2 ms). */
	if (first >= 0 && first < argc && !cloned_binary_needless(argv[first]) &&
	    cloned_binary_ensure(argv, &ctx.err) < 0) {
		cli_report_error(&ctx, ctx.err.msg);
		return 1;
	}

	static char host_path[PATH_MAX];
	cloned_binary_host_path(host_path, sizeof(host_path));
	supervisor_set_zrun_path(host_path);
	hooks_set_warn_handler(report_warning, &ctx);

	if (first < 0) {
		cli_report_error(&ctx, ctx.err.msg);
		return 1;
	}
	if (first >= argc) {
		usage(stderr);
		return 1;
	}
	const char *name = argv[first];
	const struct command *cmd = find_command(name);
	if (cmd == NULL) {
		zrun_error_set(&ctx.err, 0, "unknown command \"%s\" (see zrun --help)", name);
		cli_report_error(&ctx, ctx.err.msg);
		return 1;
	}
	ctx.cmd = cmd;
	/* spec and features never read or write under --root. */
	if (cmd != &cmd_spec && cmd != &cmd_features && state_check_root(ctx.root, &ctx.err) < 0) {
		cli_report_error(&ctx, ctx.err.msg);
		return 1;
	}
	int rc = cmd->run(&ctx, argc - first, argv + first);
	if (rc < 0) {
		cli_report_error(&ctx, ctx.err.msg);
		return 1;
	}
	return rc;
}
