/* zrun service list | status NAME: what services exist and how they are. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "repair.h"
#include "supervisor.h"
#include "listener_watch.h"
#include "service.h"
#include "steer_service.h"
#include "swap.h"
#include "version.h"
#include "service_dump.h"
#include "supervise.h"
#include "cgroup.h"
#include "cgroup_container.h"
#include <time.h>

struct service_opts { bool json; const char *file; };

enum { OPT_FILE = 560 };

static int on_opt(struct cli_ctx *ctx, int key, const char *arg, void *data)
{
	struct service_opts *o = data;

	if (key == 'f') {
		if (strcmp(arg, "json") != 0 && strcmp(arg, "table") != 0 && strcmp(arg, "text") != 0)
			return zrun_error_set(&ctx->err, 0, "service: --format \"%s\": expected text or json", arg);
		o->json = strcmp(arg, "json") == 0;
	} else if (key == OPT_FILE) {
		o->file = arg;
	}
	return 0;
}

struct version_usage { long uptime_s; uint64_t cpu_ns, memory_bytes; };

/* Uptime of the init, cpu and memory of the version's cgroup. */
static void version_usage(const struct container_state *st, enum container_status s, struct version_usage *u)
{
	struct zrun_error ignored;
	char path[64], buf[1024];

	memset(u, 0, sizeof(*u));
	if (s != STATUS_RUNNING)
		return;
	snprintf(path, sizeof(path), "/proc/%d/stat", st->pid);
	FILE *f = fopen(path, "re");
	if (f) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		char *p = strrchr(buf, ')');
		for (int k = 2; p && k < 22; k++)
			p = strchr(p + 1, ' ');
		struct timespec now;
		clock_gettime(CLOCK_BOOTTIME, &now);
		if (p)
			u->uptime_s = now.tv_sec - (long)(strtoull(p + 1, NULL, 10) / (unsigned long long)sysconf(_SC_CLK_TCK));
	}
	struct cgroup *cg = container_state_cgroup(st, &ignored);
	struct cgroup_stats *cs = calloc(1, sizeof(*cs));
	if (cg && cs && cgroup_stats(cg, cs, &ignored) == 0) {
		u->cpu_ns = cs->cpu_total_ns;
		u->memory_bytes = cs->memory_usage.usage;
	}
	free(cs);
	cgroup_free(cg);
}

static void print_versions(const char *root, const struct service *svc, struct json_writer *w)
{
	const char *name = svc->name;
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
		struct supervise_info si;
		struct version_usage u;
		char restart[32];
		supervise_info(root, name, ids[i], &si);
		version_usage(&st, s, &u);
		restart_format(vc.restart, vc.restart_max, restart, sizeof(restart));
		unsigned share = 0;
		uint64_t steered = 0;
		bool has_share = steer_service_share(svc, &vc, &share, &steered) == 0;
		if (w) {
			json_w_object_begin(w);
			json_w_key(w, "id");
			json_w_string(w, ids[i]);
			json_w_key(w, "version");
			json_w_string(w, version_group(&vc, ids[i]));
			json_w_key(w, "pid");
			json_w_int(w, pid);
			json_w_key(w, "status");
			json_w_string(w, state_status_name(s));
			json_w_key(w, "ready");
			json_w_bool(w, s == STATUS_RUNNING && !version_is_stopping(root, name, ids[i]));
			json_w_key(w, "probe");
			json_w_string(w, probe_kind_name(vc.probe.kind));
			json_w_key(w, "restart");
			json_w_string(w, restart);
			json_w_key(w, "restarts");
			json_w_int(w, si.restarts);
			json_w_key(w, "last_exit");
			json_w_string(w, si.last_exit);
			json_w_key(w, "supervision");
			json_w_string(w, si.message);
			json_w_key(w, "uptime_s");
			json_w_int(w, u.uptime_s);
			json_w_key(w, "cpu_ns");
			json_w_uint(w, u.cpu_ns);
			json_w_key(w, "memory_bytes");
			json_w_uint(w, u.memory_bytes);
			if (has_share) {
				json_w_key(w, "share_percent");
				json_w_int(w, share);
				json_w_key(w, "connections_steered");
				json_w_uint(w, steered);
			}
			json_w_object_end(w);
		} else {
			printf("  %-20s pid %-7d %-8s restarts %-3d up %-6lds cpu %-7.2fs mem %-6.1fMiB probe %s, restart %s%s%s\n",
			       ids[i], pid, state_status_name(s), si.restarts, (long)u.uptime_s,
			       (double)u.cpu_ns / 1e9, (double)u.memory_bytes / 1048576.0, probe_kind_name(vc.probe.kind),
			       restart, si.message[0] ? "; " : "", si.message);
			if (has_share)
				printf("  %-20s share %u%%, %llu connections steered to it\n", "", share,
				       (unsigned long long)steered);
		}
		state_clear(&st);
	}
	service_free_ids(ids, n);
}

/* Whether each listener takes connections now (the supervisor's copies), and
 * what the supervisor did when a version shut one down. */
static void listener_health(const char *root, const struct service *svc, bool *listening,
			    struct listener_record (*rec)[LW_KINDS])
{
	int fds[LISTENER_MAX];

	listener_watch_read(root, svc->name, rec, svc->n_listeners);
	for (size_t i = 0; i < svc->n_listeners; i++)
		listening[i] = false;
	if (supervisor_peek(root, svc, fds) < 0)
		return;
	for (size_t i = 0; i < svc->n_listeners; i++) {
		listening[i] = listener_listening(fds[i]);
		close(fds[i]);
	}
}

/* What the supervisor found a version did to a listener, as status says it. */
static const char *const change_text[LW_KINDS] = {
	"shut down by a version", "backlog changed by a version", "filter attached by a version",
	"options changed by a version",
};
static const char *const change_key[LW_KINDS] = { "shutdown", "backlog", "filter", "options" };

static void json_changes(struct json_writer *w, const struct listener_record *rec)
{
	json_w_key(w, "changes");
	json_w_array_begin(w);
	for (int k = 0; k < LW_KINDS; k++) {
		if (!rec[k].repairs)
			continue;
		json_w_object_begin(w);
		json_w_key(w, "kind");
		json_w_string(w, change_key[k]);
		json_w_key(w, "count");
		json_w_int(w, rec[k].repairs);
		json_w_key(w, "last_s");
		json_w_int(w, rec[k].last_s);
		json_w_key(w, "repair");
		json_w_string(w, rec[k].how);
		json_w_object_end(w);
	}
	json_w_array_end(w);
}

static void print_listeners(const struct service *svc, const bool *listening,
			    const struct listener_record (*rec)[LW_KINDS], struct json_writer *w)
{
	long long now = (long long)time(NULL);

	for (size_t i = 0; i < svc->n_listeners; i++) {
		if (w) {
			json_w_object_begin(w);
			json_w_key(w, "name");
			json_w_string(w, svc->listeners[i].name);
			json_w_key(w, "url");
			json_w_string(w, svc->listeners[i].url);
			json_w_key(w, "listening");
			json_w_bool(w, listening[i]);
			json_w_key(w, "shutdowns_repaired");
			json_w_int(w, rec[i][LW_SHUTDOWN].repairs);
			json_w_key(w, "last_shutdown_s");
			json_w_int(w, rec[i][LW_SHUTDOWN].last_s);
			json_w_key(w, "repair");
			json_w_string(w, rec[i][LW_SHUTDOWN].how);
			json_changes(w, rec[i]);
			json_w_object_end(w);
			continue;
		}
		printf("  listener %s %s%s", svc->listeners[i].name, svc->listeners[i].url,
		       listening[i] ? "" : " (NOT LISTENING)");
		for (int k = 0; k < LW_KINDS; k++)
			if (rec[i][k].repairs)
				printf("; %s %d time%s, last %llds ago: %s", change_text[k], rec[i][k].repairs,
				       rec[i][k].repairs == 1 ? "" : "s", now - rec[i][k].last_s, rec[i][k].how);
		printf("\n");
	}
}

static int status_one(struct cli_ctx *ctx, const char *name, bool json)
{
	bool listening[LISTENER_MAX];
	struct listener_record rec[LISTENER_MAX][LW_KINDS];

	struct service svc;

	if (service_load(ctx->root, name, &svc, &ctx->err) < 0)
		return zrun_error_prefix(&ctx->err, "service status");
	/* Read-only: no lock, no signal, no repair. A status that finished a
	 * killed swap waited out OLD's grace period and could delete what a
	 * user had just created; it says what `service repair` would do. */
	listener_health(ctx->root, &svc, listening, rec);
	char *last = swap_describe(ctx->root, name);
	bool orphan = version_service_is_orphan(ctx->root, name);
	bool repair = orphan || !supervisor_alive(&svc) || swap_interrupted(ctx->root, name);
	if (json) {
		struct json_writer w;
		json_w_init(&w, false);
		json_w_object_begin(&w);
		json_w_key(&w, "name");
		json_w_string(&w, name);
		json_w_key(&w, "supervisor_pid");
		json_w_int(&w, svc.supervisor_pid);
		json_w_key(&w, "supervisor");
		json_w_string(&w, supervisor_alive(&svc) ? "running" : "gone");
		json_w_key(&w, "listeners");
		json_w_array_begin(&w);
		print_listeners(&svc, listening, rec, &w);
		json_w_array_end(&w);
		json_w_key(&w, "connections");
		json_w_string(&w, svc.steered ? "steered" : "shared");
		json_w_key(&w, "connections_why");
		json_w_string(&w, svc.steer_why);
		json_w_key(&w, "current");
		json_w_string(&w, svc.current);
		json_w_key(&w, "previous");
		json_w_string(&w, svc.previous);
		json_w_key(&w, "replicas");
		json_w_int(&w, svc.replicas);
		json_w_key(&w, "versions");
		json_w_array_begin(&w);
		print_versions(ctx->root, &svc, &w);
		json_w_array_end(&w);
		json_w_key(&w, "last_swap");
		json_w_string(&w, last ? last : "");
		json_w_key(&w, "repair_needed");
		json_w_bool(&w, repair);
		json_w_object_end(&w);
		char *text = json_w_finish(&w);
		if (text)
			printf("%s\n", text);
		free(text);
	} else {
		printf("service %s\n", name);
		print_listeners(&svc, listening, rec, NULL);
		if (svc.steered)
			printf("  connections: steered in the kernel (a socket per version; a version gets connections "
			       "from when its probe passes until its stop signal)\n");
		else
			printf("  connections: one shared socket (%s)\n", svc.steer_why);
		printf("  supervisor pid %d (%s)\n", svc.supervisor_pid, supervisor_alive(&svc) ? "running" : "gone");
		if (svc.current[0])
			printf("  deployed %s (%d replica%s)%s%s\n", svc.current, svc.replicas, svc.replicas == 1 ? "" : "s",
			       svc.previous[0] ? ", kept for rollback: " : "", svc.previous);
		printf("versions:\n");
		print_versions(ctx->root, &svc, NULL);
		if (last)
			printf("last swap: %s\n", last);
		if (orphan)
			printf("no version left: a create or delete was killed mid-way\n");
		if (repair)
			printf("needs repair: run `zrun service repair %s`\n", name);
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
			json_w_key(&w, "supervisor");
			json_w_string(&w, supervisor_alive(&svc) ? "running" : "gone");
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
	if (argc - first == 2 && strcmp(argv[first], "repair") == 0) {
		if (service_repair(ctx->root, argv[first + 1], stdout, &ctx->err) < 0)
			return zrun_error_prefix(&ctx->err, "service repair");
		return 0;
	}
	if (argc - first == 2 && strcmp(argv[first], "restart") == 0) {
		if (version_restart(ctx->root, argv[first + 1], &ctx->err) < 0)
			return zrun_error_prefix(&ctx->err, "service restart %s", argv[first + 1]);
		return 0;
	}
	if (argc - first == 1 && strcmp(argv[first], "save") == 0)
		return service_dump_save(ctx->root, o.file, stdout, &ctx->err) < 0 ? -1 : 0;
	if (argc - first == 1 && strcmp(argv[first], "restore") == 0)
		return service_dump_restore(ctx->root, o.file, stdout, &ctx->err) < 0 ? -1 : 0;
	return zrun_error_set(&ctx->err, 0, "service: expected list, status NAME, repair NAME, save, restore or restart ID (see zrun service --help)");
}

static const struct cli_opt service_table[] = {
	{ "format", 'f', required_argument, "FMT", "text (default) or json" },
	{ "file", OPT_FILE, required_argument, "PATH", "save/restore: the file (default ROOT/services.json)" },
	{ 0 },
};

const struct command cmd_service = { .name = "service",
	.args = "list | status <name> | repair <name> | save | restore | restart <version-id>",
	.summary = "list services, show one (listeners, supervisor, versions, last swap), or repair one",
	.opts = service_table, .run = run_service };
