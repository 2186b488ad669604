/* zrun checkpoint, zrun restore: runc commands zrun does not implement
 * (there is no CRIU support). They exist so that containerd and podman,
 * which call them by runc's names, show users a clear refusal instead of
 * "unknown command". */
#include <errno.h>
#include <string.h>

#include "cli.h"

static int run_unsupported(struct cli_ctx *ctx, int argc, char **argv)
{
	/* runc's options (--image-path, --leave-running, ...) are not parsed:
	 * whatever they say, the answer is the same */
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_print_help(ctx->cmd);
			return 0;
		}
	}
	return zrun_error_set(&ctx->err, 0, "%s: not supported by zrun (no CRIU support)", argv[0]);
}

static const struct cli_opt none[] = { { 0 } };

const struct command cmd_checkpoint = { .name = "checkpoint", .args = "CONTAINER",
	.summary = "not supported (zrun has no CRIU support)",
	.opts = none, .run = run_unsupported };
const struct command cmd_restore = { .name = "restore", .args = "CONTAINER",
	.summary = "not supported (zrun has no CRIU support)",
	.opts = none, .run = run_unsupported };
