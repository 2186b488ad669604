/* zrun exec [options] ID [COMMAND ARGS...]: run a new process in a running
 * container; in the foreground, wait for it and exit with its status. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container.h"
#include "exec.h"

#define EXEC_LIST_MAX 256  /* --env, --cap, --additional-gids each */

enum { OPT_CWD = 256, OPT_NO_NEW_PRIVS, OPT_APPARMOR, OPT_PROCESS_LABEL,
       OPT_PID_FILE, OPT_CONSOLE_SOCKET, OPT_PRESERVE_FDS };

struct exec_cli {
	struct container_exec_opts exec;
	char *env[EXEC_LIST_MAX + 1];
	size_t n_env;
	char *caps[EXEC_LIST_MAX + 1];
	size_t n_caps;
	gid_t gids[EXEC_LIST_MAX];
};

static int parse_id(struct cli_ctx *ctx, const char *opt, const char *s, unsigned *out)
{
	unsigned long v;

	if (cli_parse_uint(ctx, opt, s, &v) < 0)
		return -1;
	if (v > 0xfffffffeUL)
		return zrun_error_set(&ctx->err, 0, "exec: --%s: %s is out of range", opt, s);
	*out = (unsigned)v;
	return 0;
}

/* --user UID[:GID], numbers only (as runc). */
static int parse_user(struct cli_ctx *ctx, struct container_exec_opts *e, const char *arg)
{
	char uid[32];
	const char *colon = strchr(arg, ':');
	size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
	unsigned v = 0;

	if (len == 0 || len >= sizeof(uid))
		return zrun_error_set(&ctx->err, 0, "exec: --user %s: expected UID[:GID]", arg);
	memcpy(uid, arg, len);
	uid[len] = '\0';
	if (parse_id(ctx, "user", uid, &v) < 0)
		return -1;
	e->has_uid = true;
	e->uid = v;
	if (colon) {
		if (parse_id(ctx, "user", colon + 1, &v) < 0)
			return -1;
		e->has_gid = true;
		e->gid = v;
	}
	return 0;
}

static int add_to(struct cli_ctx *ctx, char **list, size_t *n, const char *opt, const char *arg)
{
	if (*n == EXEC_LIST_MAX)
		return zrun_error_set(&ctx->err, 0, "exec: at most %d --%s", EXEC_LIST_MAX, opt);
	list[(*n)++] = (char *)arg;
	return 0;
}

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct exec_cli *o = data;
	struct container_exec_opts *e = &o->exec;
	unsigned long n;
	unsigned gid = 0;

	switch (key) {
	case 'p': e->process_file = arg; return 0;
	case 't': e->tty = true; return 0;
	case OPT_CWD: e->cwd = arg; return 0;
	case 'e': return add_to(ctx, o->env, &o->n_env, "env", arg);
	case 'u': return parse_user(ctx, e, arg);
	case 'g':
		if (e->additional_gids_len == EXEC_LIST_MAX)
			return zrun_error_set(&ctx->err, 0, "exec: at most %d --additional-gids", EXEC_LIST_MAX);
		if (parse_id(ctx, "additional-gids", arg, &gid) < 0)
			return -1;
		o->gids[e->additional_gids_len++] = gid;
		return 0;
	case 'c': return add_to(ctx, o->caps, &o->n_caps, "cap", arg);
	case OPT_NO_NEW_PRIVS: e->no_new_privs = true; return 0;
	case OPT_APPARMOR: e->apparmor = arg; return 0;
	case OPT_PROCESS_LABEL: e->process_label = arg; return 0;
	case 'd': e->detach = true; return 0;
	case OPT_PID_FILE: e->pid_file = arg; return 0;
	case OPT_CONSOLE_SOCKET: e->console_socket = arg; return 0;
	case OPT_PRESERVE_FDS:
		if (cli_parse_uint(ctx, "preserve-fds", arg, &n) < 0)
			return -1;
		if (n > 1024)
			return zrun_error_set(&ctx->err, 0, "exec: --preserve-fds %lu is too many", n);
		e->preserve_fds = (int)n;
		return 0;
	default:
		return zrun_error_set(&ctx->err, 0, "exec: unexpected option");
	}
}

static int run_exec(struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_free_ struct exec_cli *o = calloc(1, sizeof(*o));
	int first, master;
	pid_t pid;

	if (o == NULL)
		return zrun_error_set(&ctx->err, ENOMEM, "exec");
	int r = cli_parse(ctx, argc, argv, &first, on_opt, o);
	if (r != 0)
		return r > 0 ? 0 : -1;
	struct container_exec_opts *e = &o->exec;
	int nargs = argc - first;
	if (nargs < 1 || (e->process_file == NULL && nargs < 2))
		return zrun_error_set(&ctx->err, 0, "exec: expects %s (see zrun exec --help)", ctx->cmd->args);
	if (e->process_file && nargs > 1)
		return zrun_error_set(&ctx->err, 0, "exec: --process and a COMMAND exclude each other");
	e->root = ctx->root;
	e->id = argv[first];
	e->args = argv + first + 1;
	e->env = o->env;
	e->caps = o->caps;
	e->additional_gids = o->gids;
	if (container_exec(e, &pid, &master, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "exec %s", e->id);
	if (e->detach)
		return 0;
	return container_wait_console(pid, master);
}

static const struct cli_opt exec_opts[] = {
	{ "process", 'p', required_argument, "FILE", "the process as an OCI process JSON (instead of COMMAND)" },
	{ "tty", 't', no_argument, NULL, "allocate a pty in the container" },
	{ "cwd", OPT_CWD, required_argument, "DIR", "working directory in the container" },
	{ "env", 'e', required_argument, "K=V", "set an environment variable (repeatable)" },
	{ "user", 'u', required_argument, "UID[:GID]", "run as this user" },
	{ "additional-gids", 'g', required_argument, "GID", "add a supplementary group (repeatable)" },
	{ "cap", 'c', required_argument, "CAP", "add a capability (repeatable)" },
	{ "no-new-privs", OPT_NO_NEW_PRIVS, no_argument, NULL, "set no_new_privs" },
	{ "apparmor", OPT_APPARMOR, required_argument, "PROFILE", "AppArmor profile of the process" },
	{ "process-label", OPT_PROCESS_LABEL, required_argument, "LABEL", "SELinux label of the process" },
	{ "detach", 'd', no_argument, NULL, "return once the process runs" },
	{ "pid-file", OPT_PID_FILE, required_argument, "FILE", "write the process's pid to FILE" },
	{ "console-socket", OPT_CONSOLE_SOCKET, required_argument, "PATH", "unix socket that receives the pty master" },
	{ "preserve-fds", OPT_PRESERVE_FDS, required_argument, "N", "pass N more fds (3 .. 3+N-1) to the process" },
	{ 0 },
};

const struct command cmd_exec = {
	.name = "exec", .args = "<container-id> [COMMAND [ARGS...]]",
	.summary = "run a new process in a running container",
	.opts = exec_opts, .program_after = 1, .run = run_exec,
};
