/* health: how a service and each of its versions are, in pm2's terms, for
 * `service status` and `service list`: a version is serving, starting,
 * restarting, crashed, stopping or down; the service is serving, degraded
 * (something restarts or crashed, or fewer serve than its replicas) or down
 * (none serves). With each version its uptime, restarts, CPU time and
 * memory: the resident memory of its processes, what ps and pm2 show, beside
 * what its cgroup is charged (file pages that were cached before the
 * version ran, its program's text above all, are charged to whoever read
 * them first: a Node app shows 10 MiB charged against 53 MB resident). */
#ifndef ZRUN_HEALTH_H
#define ZRUN_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"
#include "supervise.h"

struct service_version;

enum version_health { VH_SERVING, VH_STARTING, VH_RESTARTING, VH_CRASHED, VH_STOPPING, VH_DOWN };
enum service_health { SH_SERVING, SH_DEGRADED, SH_DOWN };

struct version_report {
	char id[STATE_ID_MAX + 1];
	char group[STATE_ID_MAX + 1]; /* the version: ID without a replica's .rN */
	const char *service;          /* points into the service_version read */
	enum version_health health;
	enum container_status status;
	int pid;                      /* 0 when stopped */
	long uptime_s;
	uint64_t cpu_ns;
	uint64_t memory_bytes;        /* resident: the sum over its processes */
	uint64_t cgroup_memory_bytes; /* what its cgroup is charged */
	struct supervise_info sup;    /* restarts, last exit, the supervisor's word */
	bool stopping;                /* zrun is stopping it (version_is_stopping) */
};

const char *version_health_name(enum version_health h);
const char *service_health_name(enum service_health h);

/* One report per version of SV (service_versions_read: each state is read
 * once, by the caller), in order; NULL when N is 0 or out of memory. The
 * reports point into SV (their service name): free them (free()) first. */
struct version_report *health_reports(const char *root, const struct service_version *sv, size_t n);

/* The service's health from its versions' (replicas: how many should serve,
 * 0 when unknown). Only the deployed version's (current, "" when none:
 * all) restarts and crashes make it degraded; SERVICE (NULL: every report)
 * picks the reports of one service out of a list of all: a crashed version that a
 * deploy replaced is history, shown but not held against the service. */
enum service_health health_of_service(const struct version_report *v, size_t n, const char *service, int replicas,
				      const char *current);

/* One line for status: "restarting (3 restarts, last exit 2)". */
void health_describe(const struct version_report *v, char *buf, size_t len);

#endif
