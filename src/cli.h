/* cli: what every zrun command shares: the global options, one option
 * parser driven by a table per command, --help text made from that table,
 * and the one place errors are printed (stderr, and --log as runc does). */
#ifndef ZRUN_CLI_H
#define ZRUN_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "error.h"

struct cli_opt {
	const char *name;     /* long name, without "--" */
	int key;              /* short letter, or a value >= 256 for long-only */
	int has_arg;          /* no_argument or required_argument */
	const char *arg_name; /* in help: --bundle DIR */
	const char *help;
};

struct cli_ctx;

struct command {
	const char *name;
	const char *args;     /* positional arguments for the usage line */
	const char *summary;
	const struct cli_opt *opts; /* terminated by { 0 } */
	/* Options are taken anywhere on the line (getopt_long's usual way),
	 * except among a program's own arguments: a command that runs a
	 * program (exec ID CMD ARGS..., ps ID PS-ARGS...) sets how many
	 * positional arguments come before them (1: the id); every word after
	 * those is the program's, as with runc. 0: no program. */
	int program_after;
	/* Returns the exit status, or -1 with ctx->err set. */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
};

struct cli_ctx {
	const char *root;
	const char *log_path;
	bool log_json;
	bool debug;
	bool systemd_cgroup;
	const struct command *cmd;
	struct zrun_error err;
};

/* Parse argv (argv[0] is the command name) with cmd->opts. For each option
 * found, calls on_opt(key, arg, data), which returns -1 with ctx->err set to
 * refuse it. Handles --help itself (returns 1: print nothing more, exit 0).
 * On success returns 0 and sets *first_arg to the index of the first
 * positional argument: argv is reordered so that argv[*first_arg ..] are
 * the positional arguments in the order given, options before them. */
int cli_parse(struct cli_ctx *ctx, int argc, char **argv, int *first_arg,
	      int (*on_opt)(struct cli_ctx *ctx, int key, const char *arg, void *data), void *data);

/* Require exactly `want` positional args (the container id, say). */
int cli_expect_args(struct cli_ctx *ctx, int argc, int first, int want);

/* Parse a non-negative integer option value. */
int cli_parse_uint(struct cli_ctx *ctx, const char *opt, const char *value, unsigned long *out);

void cli_print_help(const struct command *cmd);

/* prefix, msg with control characters written as \xHH, newline. */
void cli_print_line(FILE *f, const char *prefix, const char *msg);

/* Print "zrun: msg" to stderr and, with --log, a log line (json or text). */
void cli_report_error(const struct cli_ctx *ctx, const char *msg);
void cli_log(const struct cli_ctx *ctx, const char *level, const char *msg);

extern const struct command cmd_create, cmd_start, cmd_run, cmd_exec, cmd_state, cmd_kill, cmd_delete,
	cmd_list, cmd_spec, cmd_features, cmd_swap, cmd_service,
	cmd_pause, cmd_resume, cmd_update, cmd_events, cmd_ps,
	cmd_deploy, cmd_rollback, cmd_promote, cmd_abort, cmd_scale, cmd_logs, cmd_checkpoint, cmd_restore;

#endif
