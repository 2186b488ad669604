#include "health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_container.h"
#include "procfs.h"
#include "service.h"
#include "swap.h"
#include "version.h"

static const char *const version_names[] = { "serving", "starting", "restarting", "crashed", "stopping", "down" };
static const char *const service_names[] = { "serving", "degraded", "down" };

const char *version_health_name(enum version_health h)
{
	return version_names[h];
}

const char *service_health_name(enum service_health h)
{
	return service_names[h];
}

/* Resident bytes of pid (/proc/PID/statm: pages), 0 when it is gone. */
static uint64_t resident_bytes(pid_t pid)
{
	char path[64];
	unsigned long long size = 0, resident = 0;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static long uptime_s(pid_t pid)
{
	struct procfs_stat ps;
	struct timespec now;

	if (procfs_stat(pid, &ps) < 0)
		return 0;
	clock_gettime(CLOCK_BOOTTIME, &now);
	return now.tv_sec - (long)(ps.start_time / (unsigned long long)sysconf(_SC_CLK_TCK));
}

/* Uptime of the init; CPU, charge and the resident memory of every process
 * of the version's cgroup. */
static void usage(const struct container_state *st, struct version_report *v)
{
	struct zrun_error ignored;
	pid_t *pids = NULL;
	size_t np = 0;

	v->uptime_s = uptime_s(st->pid);
	struct cgroup *cg = container_state_cgroup(st, &ignored);
	struct cgroup_stats *cs = calloc(1, sizeof(*cs));
	if (cg && cs && cgroup_stats(cg, cs, &ignored) == 0) {
		v->cpu_ns = cs->cpu_total_ns;
		v->cgroup_memory_bytes = cs->memory_usage.usage;
	}
	if (cg && cgroup_pids(cg, &pids, &np, &ignored) == 0)
		for (size_t i = 0; i < np; i++)
			v->memory_bytes += resident_bytes(pids[i]);
	free(pids);
	free(cs);
	cgroup_free(cg);
}

/* The version that a swap (or deploy) under way starts: "OLD -> NEW: probing". */
static bool being_started(const char *root, const char *service, const char *id, const char *group)
{
	char *last = swap_describe(root, service);
	bool yes = false;

	if (last && !swap_interrupted(root, service)) {
		char *arrow = strstr(last, " -> "), *colon = arrow ? strstr(arrow, ": ") : NULL;
		if (colon) {
			const char *fresh = arrow + 4, *state = colon + 2;
			size_t len = (size_t)(colon - fresh);
			bool named = (strlen(id) == len && strncmp(fresh, id, len) == 0) ||
				     (strlen(group) == len && strncmp(fresh, group, len) == 0);
			yes = named && (strncmp(state, "created", 7) == 0 || strncmp(state, "starting", 8) == 0 ||
					strncmp(state, "probing", 7) == 0);
		}
	}
	free(last);
	return yes;
}

static enum version_health stopped_health(const struct version_report *v, bool stopping)
{
	const struct supervise_info *s = &v->sup;

	if (strcmp(s->state, "backoff") == 0 || strcmp(s->state, "restarting") == 0)
		return VH_RESTARTING;
	if (strcmp(s->state, "crash-loop") == 0)
		return VH_CRASHED;
	if (stopping || strcmp(s->message, "stopped by zrun") == 0)
		return VH_DOWN;
	/* exited on its own: "exit 0" ended, anything else crashed */
	if (s->last_exit[0] && strcmp(s->last_exit, "exit 0") != 0 && strcmp(s->last_exit, "unknown") != 0)
		return VH_CRASHED;
	return VH_DOWN;
}

static void report_one(const char *root, const struct service_version *sv, struct version_report *v)
{
	const char *service = sv->vc.service, *group = version_group(&sv->vc, sv->id);

	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", sv->id);
	snprintf(v->group, sizeof(v->group), "%s", group);
	v->service = service;
	supervise_info(root, service, sv->id, &v->sup);
	v->status = state_live_status(root, &sv->st);
	bool stopping = version_is_stopping(root, service, sv->id);
	if (v->status == STATUS_RUNNING) {
		v->pid = sv->st.pid;
		usage(&sv->st, v);
		if (stopping)
			v->health = VH_STOPPING;
		else if (strcmp(v->sup.state, "restarting") == 0)
			v->health = VH_RESTARTING;
		else if (being_started(root, service, sv->id, group))
			v->health = VH_STARTING;
		else
			v->health = VH_SERVING;
	} else if (v->status == STATUS_CREATED || v->status == STATUS_CREATING) {
		v->pid = sv->st.pid;
		v->health = VH_STARTING;
	} else if (v->status == STATUS_PAUSED) {
		v->pid = sv->st.pid;
		v->health = VH_DOWN;
	} else {
		v->health = stopped_health(v, stopping);
	}
}

struct version_report *health_reports(const char *root, const struct service_version *sv, size_t n)
{
	struct version_report *v = n ? calloc(n, sizeof(*v)) : NULL;

	for (size_t i = 0; v && i < n; i++)
		report_one(root, &sv[i], &v[i]);
	return v;
}

enum service_health health_of_service(const struct version_report *v, size_t n, const char *service, int replicas,
				      const char *current)
{
	int serving = 0;
	bool trouble = false;

	for (size_t i = 0; v != NULL && i < n; i++) {
		if (service != NULL && strcmp(v[i].service, service) != 0)
			continue;
		serving += v[i].health == VH_SERVING;
		if (current[0] == '\0' || strcmp(v[i].group, current) == 0)
			trouble |= v[i].health == VH_RESTARTING || v[i].health == VH_CRASHED;
	}
	if (serving == 0)
		return SH_DOWN;
	return (trouble || serving < replicas) ? SH_DEGRADED : SH_SERVING;
}

void health_describe(const struct version_report *v, char *buf, size_t len)
{
	const char *name = version_health_name(v->health);

	if (v->health == VH_RESTARTING)
		snprintf(buf, len, "%s (%d restart%s so far)", name, v->sup.restarts, v->sup.restarts == 1 ? "" : "s");
	else if (v->health == VH_CRASHED && v->sup.last_exit[0])
		snprintf(buf, len, "%s (%s)", name, v->sup.last_exit);
	else
		snprintf(buf, len, "%s", name);
}
