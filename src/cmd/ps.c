/* ps: the processes of a container, as host pids: --format json prints the
 * JSON array containerd reads; table runs ps(1) (default "-ef", or the args
 * after the id) and keeps its header and the lines of the container's pids. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_container.h"
#include "cli.h"
#include "state.h"

#define PS_OUTPUT_MAX (16 * 1024 * 1024)

struct ps_opts { bool json; };

static int ps_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct ps_opts *o = data;

	if (key != 'f')
		return 0;
	if (strcmp(arg, "json") != 0 && strcmp(arg, "table") != 0)
		return zrun_error_set(&ctx->err, 0, "ps: --format: \"%s\" is not table or json", arg);
	o->json = strcmp(arg, "json") == 0;
	return 0;
}

/* Run ps with args; *out is its malloc'd, NUL-terminated stdout. */
static int run_ps(struct cli_ctx *ctx, char **args, char **out)
{
	int p[2], status;
	size_t len = 0, cap = 64 * 1024;
	char *buf = malloc(cap);
	pid_t pid;

	if (buf == NULL || pipe2(p, O_CLOEXEC) < 0) {
		free(buf);
		return zrun_error_set(&ctx->err, errno, "pipe");
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		free(buf);
		return zrun_error_set(&ctx->err, e, "fork");
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execvp("ps", args);
		fprintf(stderr, "zrun: ps: exec ps: %s\n", strerror(errno));
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t n;
		if (len + 1 == cap) {
			char *b = cap < PS_OUTPUT_MAX ? realloc(buf, cap * 2) : NULL;
			if (b == NULL)
				break; /* bounded: the rest is dropped */
			buf = b;
			cap *= 2;
		}
		n = read(p[0], buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	buf[len] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(buf);
		return zrun_error_set(&ctx->err, 0, "ps %s exited with status %d", args[1] ? args[1] : "",
				      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	*out = buf;
	return 0;
}

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Print the header and the lines whose PID column is one of pids. */
static int print_table(struct cli_ctx *ctx, char *text, const pid_t *pids, size_t n)
{
	char *save = NULL, *header = strtok_r(text, "\n", &save), *line;
	int col = -1, i = 0;

	if (header == NULL)
		return zrun_error_set(&ctx->err, 0, "ps printed nothing");
	{
		char copy[4096], *s2 = NULL;
		snprintf(copy, sizeof(copy), "%s", header);
		for (char *f = strtok_r(copy, " \t", &s2); f != NULL; f = strtok_r(NULL, " \t", &s2), i++)
			if (strcmp(f, "PID") == 0)
				col = i;
	}
	if (col < 0)
		return zrun_error_set(&ctx->err, 0, "couldn't find PID field in ps output");
	printf("%s\n", header);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char copy[4096], *s2 = NULL, *f = NULL;
		snprintf(copy, sizeof(copy), "%s", line);
		f = strtok_r(copy, " \t", &s2);
		for (i = 0; f != NULL && i < col; i++)
			f = strtok_r(NULL, " \t", &s2);
		if (f != NULL && has_pid(pids, n, strtol(f, NULL, 10)))
			printf("%s\n", line);
	}
	return 0;
}

static int list_pids(struct cli_ctx *ctx, const char *id, pid_t **pids, size_t *n)
{
	struct container_state st;
	struct cgroup *cg;
	int r;

	if (state_validate_id(id, &ctx->err) < 0 || state_read(ctx->root, id, &st, &ctx->err) < 0)
		return -1;
	cg = container_state_cgroup(&st, &ctx->err);
	state_clear(&st);
	if (cg == NULL)
		return -1;
	r = cgroup_pids(cg, pids, n, &ctx->err);
	cgroup_free(cg);
	return r;
}

static int run_ps_cmd(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ps_opts o = { 0 };
	pid_t *pids = NULL;
	size_t n = 0;
	int first, r = cli_parse(ctx, argc, argv, &first, ps_opt, &o);
	const char *id;

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (argc - first < 1)
		return cli_expect_args(ctx, argc, first, 1);
	id = argv[first];
	if (o.json && argc - first > 1)
		return zrun_error_set(&ctx->err, 0, "ps %s: ps arguments cannot be used with --format json", id);
	if (list_pids(ctx, id, &pids, &n) < 0)
		return zrun_error_prefix(&ctx->err, "ps %s", id);
	if (o.json) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
	} else {
		/* ps, then the user's args (default -ef), NULL-terminated. */
		int extra = argc - first - 1;
		char **args = calloc((size_t)(extra > 0 ? extra : 1) + 2, sizeof(*args));
		char *out = NULL;
		if (args == NULL) {
			free(pids);
			return zrun_error_set(&ctx->err, ENOMEM, "ps %s", id);
		}
		args[0] = "ps";
		if (extra > 0)
			memcpy(args + 1, argv + first + 1, (size_t)extra * sizeof(*args));
		else
			args[1] = "-ef";
		fflush(stdout);
		r = run_ps(ctx, args, &out);
		free(args);
		if (r == 0)
			r = print_table(ctx, out, pids, n);
		free(out);
		if (r < 0) {
			free(pids);
			return zrun_error_prefix(&ctx->err, "ps %s", id);
		}
	}
	free(pids);
	return 0;
}

static const struct cli_opt ps_table[] = {
	{ "format", 'f', required_argument, "FORMAT", "table (ps output) or json (array of pids)" },
	{ 0 },
};

const struct command cmd_ps = { .name = "ps", .args = "<container-id> [ps options]",
	.summary = "list the processes of a container", .opts = ps_table, .program_after = 1,
	.run = run_ps_cmd };
