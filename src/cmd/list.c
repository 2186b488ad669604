/* zrun list [--format table|json] [-q]: every container under --root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
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

/* A container whose state.json cannot be read (truncated, garbage, empty)
 * is still listed, as "unknown": hidden, nothing would ever delete it. */
static const char *status_of(const char *root, const struct container_state *st, bool unreadable)
{
	return unreadable ? "unknown" : state_status_name(state_live_status(root, st));
}

static void print_table(const char *root, struct container_state *sts, const bool *unreadable,
			size_t n)
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
		const char *s = status_of(root, &sts[i], unreadable[i]);
		snprintf(pid, sizeof(pid), "%d", strcmp(s, "stopped") == 0 ? 0 : sts[i].pid);
		printf("%-*s   %-*s   %-*s   %-*s   %-30s   %s\n", w[0], sts[i].id, w[1], pid, w[2],
		       s, w[3], sts[i].bundle, sts[i].created, sts[i].owner);
	}
}

/* One array: each container's OCI state, or, for a state that cannot be
 * read, what is known of it with status "unknown". -1: out of memory
 * (nothing printed: an empty list would say there is no container). */
static int print_json(const char *root, const struct container_state *sts, const bool *unreadable, size_t n)
{
	struct json_writer w;

	json_w_init(&w, false);
	json_w_array_begin(&w);
	for (size_t i = 0; i < n; i++) {
		if (!unreadable[i]) {
			char *j = state_to_oci_json(root, &sts[i], false);
			json_w_raw(&w, j ? j : "{}");
			free(j);
			continue;
		}
		json_w_object_begin(&w);
		json_w_key(&w, "ociVersion");
		json_w_string(&w, "1.2.0");
		json_w_key(&w, "id");
		json_w_string(&w, sts[i].id);
		json_w_key(&w, "pid");
		json_w_int(&w, 0);
		json_w_key(&w, "status");
		json_w_string(&w, "unknown");
		json_w_key(&w, "bundle");
		json_w_string(&w, "");
		json_w_key(&w, "created");
		json_w_string(&w, "");
		json_w_key(&w, "owner");
		json_w_string(&w, "");
		json_w_object_end(&w);
	}
	json_w_array_end(&w);
	char *doc = json_w_finish(&w);
	if (doc == NULL)
		return -1;
	printf("%s\n", doc);
	free(doc);
	return 0;
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
	bool *unreadable = calloc(n ? n : 1, sizeof(*unreadable));
	if (sts == NULL || unreadable == NULL) { /* not an empty list: that would say there is none */
		for (size_t i = 0; i < n; i++)
			free(ids[i]);
		free(ids);
		free(sts);
		free(unreadable);
		return zrun_error_set(&ctx->err, ENOMEM, "list");
	}
	for (size_t i = 0; i < n; i++) {
		struct zrun_error ignored;
		if (state_read(ctx->root, ids[i], &sts[have], &ignored) < 0) {
			struct container_state *st = &sts[have];
			/* A directory no zrun made (its name is printed as is). */
			if (state_validate_id(ids[i], &ignored) < 0)
				continue;
			st->id = strdup(ids[i]);
			st->bundle = strdup("");
			st->created = strdup("");
			st->owner = strdup("");
			if (!st->id || !st->bundle || !st->created || !st->owner) {
				state_clear(st);
				continue;
			}
			unreadable[have] = true;
		}
		have++;
	}
	if (o.quiet) {
		for (size_t i = 0; i < have; i++)
			printf("%s\n", sts[i].id);
	} else if (o.json) {
		if (print_json(ctx->root, sts, unreadable, have) < 0)
			r = zrun_error_set(&ctx->err, ENOMEM, "list");
	} else {
		print_table(ctx->root, sts, unreadable, have);
	}
	for (size_t i = 0; i < have; i++)
		state_clear(&sts[i]);
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(sts);
	free(unreadable);
	return r;
}

static const struct cli_opt list_table[] = {
	{ "format", 'f', required_argument, "FORMAT", "table (default) or json" },
	{ "quiet", 'q', no_argument, NULL, "print only the container ids" },
	{ 0 },
};

const struct command cmd_list = { .name = "list", .args = "",
	.summary = "list the containers under --root", .opts = list_table, .run = run_list };
