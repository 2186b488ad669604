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
#include "health.h"
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

/* Uptime as pm2 shows it: 45s, 12m, 3h, 2d. */
static void format_uptime(long s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%lds", s);
	else if (s < 3600)
		snprintf(buf, len, "%ldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%ldh", s / 3600);
	else
		snprintf(buf, len, "%ldd", s / 86400);
}

/* SV is the version as read (its state and settings), V its report. */
static void json_version(struct json_writer *w, const struct service *svc,
			 const struct service_version *sv, const struct version_report *v)
{
	char restart[32], health[96];
	unsigned share = 0;
	uint64_t steered = 0;

	restart_format(sv->vc.restart, sv->vc.restart_max, restart, sizeof(restart));
	health_describe(v, health, sizeof(health));
	json_w_object_begin(w);
	json_w_kv_string(w, "id", v->id);
	json_w_kv_string(w, "version", v->group);
	json_w_kv_int(w, "pid", v->pid);
	json_w_kv_string(w, "status", state_status_name(v->status));
	json_w_kv_string(w, "health", version_health_name(v->health));
	json_w_kv_string(w, "health_text", health);
	json_w_kv_bool(w, "ready", v->status == STATUS_RUNNING && !v->stopping);
	json_w_kv_string(w, "probe", probe_kind_name(sv->vc.probe.kind));
	json_w_kv_string(w, "restart", restart);
	json_w_kv_int(w, "restarts", v->sup.restarts);
	json_w_kv_string(w, "last_exit", v->sup.last_exit);
	json_w_kv_string(w, "supervision", v->sup.message);
	json_w_kv_int(w, "uptime_s", v->uptime_s);
	json_w_kv_uint(w, "cpu_ns", v->cpu_ns);
	json_w_kv_uint(w, "memory_bytes", v->memory_bytes);
	json_w_kv_uint(w, "cgroup_memory_bytes", v->cgroup_memory_bytes);
	if (steer_service_share(svc, &sv->vc, &share, &steered) == 0) {
		json_w_kv_int(w, "share_percent", share);
		json_w_kv_uint(w, "connections_steered", steered);
	}
	json_w_object_end(w);
}

static void print_version(const struct service *svc, const struct service_version *sv, const struct version_report *v)
{
	char restart[32], health[96], up[16], cpu[32], mem[32];
	unsigned share = 0;
	uint64_t steered = 0;

	restart_format(sv->vc.restart, sv->vc.restart_max, restart, sizeof(restart));
	health_describe(v, health, sizeof(health));
	format_uptime(v->uptime_s, up, sizeof(up));
	/* the unit against its number, the padding after both ("cpu 0.00   s"
	 * read as a column of its own) */
	snprintf(cpu, sizeof(cpu), "%.2fs", (double)v->cpu_ns / 1e9);
	snprintf(mem, sizeof(mem), "%.1fMiB", (double)v->memory_bytes / 1048576.0);
	printf("  %-20s %-30s pid %-7d up %-4s cpu %-8s mem %-9s restarts %-3d probe %s, restart %s%s%s\n", v->id,
	       health, v->pid, v->status == STATUS_RUNNING ? up : "-", cpu, mem, v->sup.restarts,
	       probe_kind_name(sv->vc.probe.kind), restart, v->sup.message[0] ? "; " : "", v->sup.message);
	if (steer_service_share(svc, &sv->vc, &share, &steered) == 0)
		printf("  %-20s share %u%%, %llu connection%s steered to it\n", "", share, (unsigned long long)steered,
		       steered == 1 ? "" : "s");
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
	/* a fetch would make the supervisor listen again for a version to come */
	if (listener_watch_parked(root, svc->name) || supervisor_peek(root, svc, fds) < 0)
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

static void print_listeners(const char *root, const struct service *svc, const bool *listening,
			    const struct listener_record (*rec)[LW_KINDS], struct json_writer *w)
{
	long long now = (long long)time(NULL);
	bool parked = listener_watch_parked(root, svc->name);

	for (size_t i = 0; i < svc->n_listeners; i++) {
		if (w) {
			json_w_object_begin(w);
			json_w_key(w, "name");
			json_w_string(w, svc->listeners[i].name);
			json_w_key(w, "url");
			json_w_string(w, svc->listeners[i].url);
			json_w_key(w, "listening");
			json_w_bool(w, listening[i]);
			json_w_key(w, "refusing");
			json_w_bool(w, parked && svc->listeners[i].kind == LISTENER_TCP);
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
		       listening[i] ? "" : parked ? " (refusing connections: no version serves)" : " (NOT LISTENING)");
		for (int k = 0; k < LW_KINDS; k++)
			if (rec[i][k].repairs)
				printf("; %s %d time%s, last %llds ago: %s", change_text[k], rec[i][k].repairs,
				       rec[i][k].repairs == 1 ? "" : "s", now - rec[i][k].last_s, rec[i][k].how);
		printf("\n");
	}
}

/* The open canary, if any: who gets what share, and what comes next. */
static void print_canary(const char *root, const char *name, struct json_writer *w)
{
	struct swap_record r;
	struct zrun_error ignored;
	char steps[128] = "", next[160] = "";

	int got = swap_record_read(root, name, &r, &ignored);

	if (got != 1 || r.state != SWAP_CANARY) {
		if (got == 1)
			swap_record_clear(&r);
		if (w) {
			json_w_key(w, "canary");
			json_w_null(w);
		}
		return;
	}
	swap_canary_format(r.canary_steps, r.n_canary_steps, steps, sizeof(steps));
	if (r.step_ms > 0)
		snprintf(next, sizeof(next), "; steps %s, one each %.0f s", steps, (double)r.step_ms / 1000);
	if (w) {
		json_w_key(w, "canary");
		json_w_object_begin(w);
		json_w_kv_string(w, "old", r.old_name);
		json_w_kv_string(w, "new", r.new_name);
		json_w_kv_int(w, "new_share_percent", r.canary_percent);
		json_w_kv_int(w, "old_share_percent", 100 - r.canary_percent);
		json_w_kv_string(w, "steps", steps);
		json_w_kv_int(w, "step_ms", r.step_ms);
		json_w_object_end(w);
	} else {
		printf("  canary: %s gets %u%% of new connections, %s %u%%%s (`zrun promote %s` or `zrun abort %s`)\n",
		       r.new_name, r.canary_percent, r.old_name, 100 - r.canary_percent, next, name, name);
	}
	swap_record_clear(&r);
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
	/* The versions read once, for the orphan check and the listing. */
	struct service_version *v = NULL;
	size_t nv = 0;
	struct zrun_error read_err;
	bool read_ok = service_versions_read(ctx->root, name, &v, &nv, &read_err) == 0;
	bool orphan = read_ok && nv == 0;
	bool repair = orphan || !supervisor_alive(&svc) || swap_interrupted(ctx->root, name);
	struct version_report *rep = health_reports(ctx->root, v, nv);
	enum service_health health = health_of_service(rep, rep ? nv : 0, NULL, svc.replicas, svc.current);
	if (json) {
		struct json_writer w;
		json_w_init(&w, false);
		json_w_object_begin(&w);
		json_w_key(&w, "name");
		json_w_string(&w, name);
		json_w_key(&w, "health");
		json_w_string(&w, service_health_name(health));
		json_w_key(&w, "supervisor_pid");
		json_w_int(&w, svc.supervisor_pid);
		json_w_key(&w, "supervisor");
		json_w_string(&w, supervisor_alive(&svc) ? "running" : "gone");
		json_w_key(&w, "listeners");
		json_w_array_begin(&w);
		print_listeners(ctx->root, &svc, listening, rec, &w);
		json_w_array_end(&w);
		json_w_kv_string(&w, "connections", svc.steered ? "steered" : "shared");
		json_w_kv_string(&w, "connections_why", svc.steer_why);
		json_w_key(&w, "current");
		json_w_string(&w, svc.current);
		json_w_key(&w, "previous");
		json_w_string(&w, svc.previous);
		json_w_key(&w, "replicas");
		json_w_int(&w, svc.replicas);
		json_w_key(&w, "versions");
		json_w_array_begin(&w);
		for (size_t i = 0; rep && i < nv; i++)
			json_version(&w, &svc, &v[i], &rep[i]);
		json_w_array_end(&w);
		json_w_key(&w, "last_swap");
		json_w_string(&w, last ? last : "");
		print_canary(ctx->root, name, &w);
		json_w_key(&w, "repair_needed");
		json_w_bool(&w, repair);
		json_w_object_end(&w);
		char *text = json_w_finish(&w);
		if (text)
			printf("%s\n", text);
		free(text);
	} else {
		printf("service %s: %s\n", name, service_health_name(health));
		print_listeners(ctx->root, &svc, listening, rec, NULL);
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
		for (size_t i = 0; rep && i < nv; i++)
			print_version(&svc, &v[i], &rep[i]);
		print_canary(ctx->root, name, NULL);
		if (last)
			printf("last swap: %s\n", last);
		if (orphan)
			printf("no version left: a create or delete was killed mid-way\n");
		if (repair)
			printf("needs repair: run `zrun service repair %s`\n", name);
	}
	free(rep);
	service_versions_free(v, nv);
	free(last);
	/* as `systemctl status`: 3 when not running; 2 when degraded */
	return health == SH_DOWN ? 3 : health == SH_DEGRADED ? 2 : 0;
}

static int list_all(struct cli_ctx *ctx, bool json)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/.services", ctx->root);
	DIR *d = opendir(dir);
	struct dirent *de;
	struct json_writer w;
	struct service_version *all = NULL;
	size_t nall = 0;
	struct zrun_error read_err;

	/* Every state read once for all services, then counted per service. */
	if (service_versions_read(ctx->root, NULL, &all, &nall, &read_err) < 0)
		nall = 0;
	struct version_report *rep = health_reports(ctx->root, all, nall);
	json_w_init(&w, false);
	json_w_array_begin(&w);
	if (!json)
		printf("%-24s %-9s %-8s %s\n", "SERVICE", "HEALTH", "VERSIONS", "LISTENERS");
	while (d && (de = readdir(d)) != NULL) {
		struct service svc;
		struct zrun_error ignored;
		size_t nv = 0;
		if (de->d_name[0] == '.' || service_load(ctx->root, de->d_name, &svc, &ignored) < 0)
			continue;
		for (size_t i = 0; i < nall; i++)
			nv += strcmp(all[i].vc.service, de->d_name) == 0;
		const char *health = service_health_name(health_of_service(rep, rep ? nall : 0, de->d_name, svc.replicas,
									   svc.current));
		if (json) {
			json_w_object_begin(&w);
			json_w_key(&w, "name");
			json_w_string(&w, svc.name);
			json_w_key(&w, "health");
			json_w_string(&w, health);
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
			printf("%-24s %-9s %-8zu", svc.name, health, nv);
			for (size_t i = 0; i < svc.n_listeners; i++)
				printf(" %s", svc.listeners[i].url);
			printf("\n");
		}
	}
	if (d)
		closedir(d);
	free(rep);
	service_versions_free(all, nall);
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
	/* the supervisor's child while a canary is open (swap.h) */
	if (argc - first == 2 && strcmp(argv[first], "canary-watch") == 0) {
		if (service_validate_name(argv[first + 1], &ctx->err) < 0 ||
		    swap_canary_watch(ctx->root, argv[first + 1], stdout, &ctx->err) < 0)
			return zrun_error_prefix(&ctx->err, "service canary-watch %s", argv[first + 1]);
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
