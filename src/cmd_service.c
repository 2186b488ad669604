/* zrun service list | status NAME: what services exist and how they are. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "keeper.h"
#include "service.h"
#include "swap.h"
#include "version.h"

struct service_opts { bool json; };

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct service_opts *o = data;

	if (key == 'f') {
		if (strcmp(arg, "json") != 0 && strcmp(arg, "table") != 0 && strcmp(arg, "text") != 0)
			return zrun_error_set(&ctx->err, 0, "service: --format \"%s\": expected text or json", arg);
		o->json = strcmp(arg, "json") == 0;
	}
	return 0;
}

static void print_versions(const char *root, const char *name, struct json_writer *w)
{
	char **ids;
	size_t n;
	struct zrun_error ignored;

	if (service_versions(root, name, &ids, &n, &ignored) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct container_state st;
		struct version_config vc;
		if (version_load(root, ids[i], &st, &vc, &ignored) < 0)
			continue;
		enum container_status s = state_live_status(root, &st);
		int pid = s == STATUS_STOPPED ? 0 : st.pid;
		if (w) {
			json_w_object_begin(w);
			json_w_key(w, "id");
			json_w_string(w, ids[i]);
			json_w_key(w, "pid");
			json_w_int(w, pid);
			json_w_key(w, "status");
			json_w_string(w, state_status_name(s));
			json_w_key(w, "probe");
			json_w_string(w, probe_kind_name(vc.probe.kind));
			json_w_object_end(w);
		} else {
			printf("  %-24s pid %-8d %-8s probe %s\n", ids[i], pid, state_status_name(s),
			       probe_kind_name(vc.probe.kind));
		}
		state_clear(&st);
	}
	service_free_ids(ids, n);
}

/* The next zrun command after a keeper died recovers the listeners from a
 * running version and starts a new keeper (keeper_fetch does both). */
static void recover_keeper(const char *root, struct service *svc, FILE *out)
{
	struct zrun_error err;
	int fds[LISTENER_MAX];

	if (keeper_alive(svc))
		return;
	char name[SERVICE_NAME_MAX];
	snprintf(name, sizeof(name), "%s", svc->name);  /* service_load clears svc */
	int lock = service_lock(root, name, "service.lock", false, &err);
	if (lock < 0)
		return;
	pid_t dead = svc->keeper_pid;
	if (service_load(root, name, svc, &err) == 0 && !keeper_alive(svc) &&
	    keeper_fetch(root, svc, fds, &err) == 0) {
		for (size_t i = 0; i < svc->n_listeners; i++)
			close(fds[i]);
		if (out)
			fprintf(out, "keeper %d was gone: listeners recovered, new keeper %d\n", dead, svc->keeper_pid);
	} else if (out && !keeper_alive(svc)) {
		fprintf(out, "keeper %d is gone and could not be restarted: %s\n", dead, err.msg);
	}
	close(lock);
}

static int status_one(struct cli_ctx *ctx, const char *name, bool json)
{
	struct service svc;
	FILE *out = json ? NULL : stdout;

	if (service_load(ctx->root, name, &svc, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "service status");
	/* A swap whose zrun died is finished or undone here, unless a swap
	 * holds the service (it repairs before it starts). */
	int lock = service_lock(ctx->root, name, "swap.lock", true, &ctx->err);
	if (lock >= 0) {
		swap_repair(ctx->root, name, out, false, &ctx->err);
		close(lock);
	}
	recover_keeper(ctx->root, &svc, out);
	char *last = swap_describe(ctx->root, name);
	if (json) {
		struct json_writer w;
		json_w_init(&w, false);
		json_w_object_begin(&w);
		json_w_key(&w, "name");
		json_w_string(&w, name);
		json_w_key(&w, "keeper_pid");
		json_w_int(&w, svc.keeper_pid);
		json_w_key(&w, "keeper");
		json_w_string(&w, keeper_alive(&svc) ? "running" : "gone");
		json_w_key(&w, "listeners");
		json_w_array_begin(&w);
		for (size_t i = 0; i < svc.n_listeners; i++) {
			json_w_object_begin(&w);
			json_w_key(&w, "name");
			json_w_string(&w, svc.listeners[i].name);
			json_w_key(&w, "url");
			json_w_string(&w, svc.listeners[i].url);
			json_w_object_end(&w);
		}
		json_w_array_end(&w);
		json_w_key(&w, "versions");
		json_w_array_begin(&w);
		print_versions(ctx->root, name, &w);
		json_w_array_end(&w);
		json_w_key(&w, "last_swap");
		json_w_string(&w, last ? last : "");
		json_w_object_end(&w);
		char *text = json_w_finish(&w);
		if (text)
			printf("%s\n", text);
		free(text);
	} else {
		printf("service %s\n", name);
		for (size_t i = 0; i < svc.n_listeners; i++)
			printf("  listener %s %s\n", svc.listeners[i].name, svc.listeners[i].url);
		printf("  keeper pid %d (%s)\n", svc.keeper_pid, keeper_alive(&svc) ? "running" : "gone: recovered by the next create or swap");
		printf("versions:\n");
		print_versions(ctx->root, name, NULL);
		if (last)
			printf("last swap: %s\n", last);
	}
	free(last);
	return 0;
}

static int list_all(struct cli_ctx *ctx, bool json)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/.services", ctx->root);
	DIR *d = opendir(dir);
	struct dirent *de;
	struct json_writer w;

	json_w_init(&w, false);
	json_w_array_begin(&w);
	if (!json)
		printf("%-24s %-8s %s\n", "SERVICE", "VERSIONS", "LISTENERS");
	while (d && (de = readdir(d)) != NULL) {
		struct service svc;
		struct zrun_error ignored;
		char **ids;
		size_t nv = 0;
		if (de->d_name[0] == '.' || service_load(ctx->root, de->d_name, &svc, &ignored) < 0)
			continue;
		if (service_versions(ctx->root, de->d_name, &ids, &nv, &ignored) == 0)
			service_free_ids(ids, nv);
		if (json) {
			json_w_object_begin(&w);
			json_w_key(&w, "name");
			json_w_string(&w, svc.name);
			json_w_key(&w, "versions");
			json_w_uint(&w, nv);
			json_w_key(&w, "keeper");
			json_w_string(&w, keeper_alive(&svc) ? "running" : "gone");
			json_w_key(&w, "listeners");
			json_w_array_begin(&w);
			for (size_t i = 0; i < svc.n_listeners; i++)
				json_w_string(&w, svc.listeners[i].url);
			json_w_array_end(&w);
			json_w_object_end(&w);
		} else {
			printf("%-24s %-8zu", svc.name, nv);
			for (size_t i = 0; i < svc.n_listeners; i++)
				printf(" %s", svc.listeners[i].url);
			printf("\n");
		}
	}
	if (d)
		closedir(d);
	json_w_array_end(&w);
	char *text = json_w_finish(&w);
	if (json && text)
		printf("%s\n", text);
	free(text);
	return 0;
}

static int run_service(struct cli_ctx *ctx, int argc, char **argv)
{
	struct service_opts o = { 0 };
	int first, r = cli_parse(ctx, argc, argv, &first, on_opt, &o);

	if (r != 0)
		return r > 0 ? 0 : -1;
	if (argc - first >= 1 && strcmp(argv[first], "list") == 0 && argc - first == 1)
		return list_all(ctx, o.json);
	if (argc - first == 2 && strcmp(argv[first], "status") == 0) {
		if (service_validate_name(argv[first + 1], &ctx->err) < 0)
			return zrun_error_prefix(&ctx->err, "service status");
		return status_one(ctx, argv[first + 1], o.json);
	}
	return zrun_error_set(&ctx->err, 0, "service: expected `list` or `status NAME` (see zrun service --help)");
}

static const struct cli_opt service_table[] = {
	{ "format", 'f', required_argument, "FMT", "text (default) or json" },
	{ 0 },
};

const struct command cmd_service = { .name = "service", .args = "list | status <name>",
	.summary = "list services, or show one: listeners, keeper, versions, last swap",
	.opts = service_table, .run = run_service };
