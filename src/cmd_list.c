/* zrun list [--format table|json] [-q]: every container under --root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "state.h"

struct list_opts { bool json, quiet; };

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct list_opts *o = data;

	if (key == 'q') {
		o->quiet = true;
	} else if (key == 'f') {
		if (strcmp(arg, "json") != 0 && strcmp(arg, "table") != 0)
			return zrun_error_set(&ctx->err, 0, "list: --format: \"%s\" is not table or json", arg);
		o->json = strcmp(arg, "json") == 0;
	}
	return 0;
}

static void print_table(const char *root, struct container_state *sts, size_t n)
{
	int w[4] = { 2, 3, 6, 6 };
	char pid[32];

	for (size_t i = 0; i < n; i++) {
		int l = (int)strlen(sts[i].id);
		if (l > w[0]) w[0] = l;
		l = (int)strlen(sts[i].bundle);
		if (l > w[3]) w[3] = l;
	}
	w[1] = 10;
	w[2] = 7;
	printf("%-*s   %-*s   %-*s   %-*s   %-30s   %s\n", w[0], "ID", w[1], "PID", w[2], "STATUS",
	       w[3], "BUNDLE", "CREATED", "OWNER");
	for (size_t i = 0; i < n; i++) {
		enum container_status s = state_live_status(root, &sts[i]);
		snprintf(pid, sizeof(pid), "%d", s == STATUS_STOPPED ? 0 : sts[i].pid);
		printf("%-*s   %-*s   %-*s   %-*s   %-30s   %s\n", w[0], sts[i].id, w[1], pid, w[2],
		       state_status_name(s), w[3], sts[i].bundle, sts[i].created, sts[i].owner);
	}
}

static int run_list(struct cli_ctx *ctx, int argc, char **argv)
{
	struct list_opts o = { 0 };
	char **ids;
	size_t n, have = 0;
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &o);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (cli_expect_args(ctx, argc, first, 0) < 0)
		return -1;
	if (state_list(ctx->root, &ids, &n, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "list");
	struct container_state *sts = calloc(n ? n : 1, sizeof(*sts));
	if (sts == NULL) { /* not an empty list: that would say there is none */
		for (size_t i = 0; i < n; i++)
			free(ids[i]);
		free(ids);
		return zrun_error_set(&ctx->err, ENOMEM, "list");
	}
	for (size_t i = 0; i < n; i++) {
		struct zrun_error ignored;
		if (state_read(ctx->root, ids[i], &sts[have], &ignored) == 0)
			have++;
	}
	if (o.quiet) {
		for (size_t i = 0; i < have; i++)
			printf("%s\n", sts[i].id);
	} else if (o.json) {
		printf("[");
		for (size_t i = 0; i < have; i++) {
			char *j = state_to_oci_json(ctx->root, &sts[i], false);
			printf("%s%s", i ? "," : "", j ? j : "{}");
			free(j);
		}
		printf("]\n");
	} else {
		print_table(ctx->root, sts, have);
	}
	for (size_t i = 0; i < have; i++)
		state_clear(&sts[i]);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(sts);
	return 0;
}

static const struct cli_opt list_table[] = {
	{ "format", 'f', required_argument, "FORMAT", "table (default) or json" },
	{ "quiet", 'q', no_argument, NULL, "print only the container ids" },
	{ 0 },
};

const struct command cmd_list = { .name = "list", .args = "",
	.summary = "list the containers under --root", .opts = list_table, .run = run_list };
