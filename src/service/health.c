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

/* What the service's own files say of all its versions, read once per
 * service (not per version): its supervise.json, and the version (or
 * replica group) a swap or deploy under way starts. */
struct service_files {
	const char *service;
	struct supervise_record *sup;
	bool starting;
	char starting_name[STATE_ID_MAX + 1];
};

static const struct service_files *files_of(const char *root, const char *service, struct service_files *f,
					    size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(f[i].service, service) == 0)
			return &f[i];
	struct service_files *s = &f[(*n)++];
	s->service = service;
	s->sup = supervise_record_read(root, service);
	s->starting = swap_starting(root, service, s->starting_name, sizeof(s->starting_name));
	return s;
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

static void report_one(const char *root, const struct service_version *sv, const struct service_files *f,
		       struct version_report *v)
{
	const char *service = sv->vc.service, *group = version_group(&sv->vc, sv->id);

	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", sv->id);
	snprintf(v->group, sizeof(v->group), "%s", group);
	v->service = service;
	supervise_record_info(f->sup, sv->id, &v->sup);
	v->status = state_live_status(root, &sv->st);
	v->stopping = version_is_stopping(root, service, sv->id);
	bool stopping = v->stopping;
	if (v->status == STATUS_RUNNING) {
		v->pid = sv->st.pid;
		usage(&sv->st, v);
		if (stopping)
			v->health = VH_STOPPING;
		else if (strcmp(v->sup.state, "restarting") == 0)
			v->health = VH_RESTARTING;
		else if (f->starting && (strcmp(f->starting_name, sv->id) == 0 || strcmp(f->starting_name, group) == 0))
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
	struct service_files *files = n ? calloc(n, sizeof(*files)) : NULL;
	size_t n_files = 0;

	if (files == NULL) {
		free(v);
		return NULL;
	}
	for (size_t i = 0; v && i < n; i++)
		report_one(root, &sv[i], files_of(root, sv[i].vc.service, files, &n_files), &v[i]);
	for (size_t i = 0; i < n_files; i++)
		supervise_record_free(files[i].sup);
	free(files);
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
