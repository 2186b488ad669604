/* deploy: the service operations a deploy script calls. `deploy` is the
 * idempotent "reload or start": with no running version it creates and
 * starts one (N replicas) and waits until each is ready; otherwise it
 * creates the next version (SERVICE-1, SERVICE-2, ... or --id) and swaps
 * to it. `rollback` swaps back to the kept previous version; `scale` adds
 * or removes replicas of the current one. Replica k > 0 of version api-3 is
 * the container api-3.rk; replica 0 is api-3 itself. */
#ifndef ZRUN_DEPLOY_H
#define ZRUN_DEPLOY_H

#include <stdbool.h>
#include <stdio.h>

#include "capacity.h"
#include "error.h"
#include "swap_record.h"
#include "version.h"

struct deploy_opts {
	const char *root;
	const char *service, *bundle;
	const char *id;               /* --id, else SERVICE-<n+1> */
	struct version_opts vo;       /* listeners, probe, restart ... (service, group set here) */
	/* unset (0, -1, 0, 0): the service record's, else 1, off, 2 minutes,
	 * all (deploy_settings.c); deploy_run fills them in */
	int replicas;
	int keep_old;
	long timeout_ms;              /* as zrun swap's */
	int max_starting;             /* new replicas started at once (the rest as they are ready) */
	long grace_ms;                /* as zrun swap's; < 0: the version's own */
	bool wait, json;
	bool systemd_cgroup;          /* the global --systemd-cgroup */
	FILE *out;
	/* --canary (and --step): swap to the new version as a canary (swap.h) */
	unsigned canary[SWAP_CANARY_STEPS_MAX];
	size_t n_canary;
	long step_ms;
};

int deploy_run(struct deploy_opts *o, struct zrun_error *err);

/* How many new replicas start at once for a --max-starting setting (0:
 * the default, DEPLOY_STARTING_PER_CPU per online CPU; DEPLOY_REPLICAS_MAX
 * and more: all). */
int deploy_max_starting(int setting);

/* Swap back to the kept previous version (recreated from its bundle). */
int deploy_rollback(const char *root, const char *service, long timeout_ms, bool json, FILE *out,
		    struct zrun_error *err);

/* Run n replicas of the current version: new ones are probed ready before
 * scale returns; removed ones drain gracefully (highest index first). */
int deploy_scale(const char *root, const char *service, int n, long timeout_ms, bool json, FILE *out,
		 struct zrun_error *err);

/* The running containers of the service, and the group they belong to
 * (the service's current, else that of the first running one). */
int deploy_running(const char *root, const char *service, char *group, size_t group_len, char ***ids,
		   size_t *n, struct zrun_error *err);

/* What deploy remembers (deploy_settings.c): the service record keeps
 * every setting of the last deploy (the version's settings, replicas,
 * --keep-old, --timeout); a later deploy reuses each one that no flag (or,
 * for a version's settings, annotation) gives, and says which ones a flag
 * changed, one line each. */
/* Fill what o leaves unset (replicas 0, keep_old -1, timeout_ms 0) from
 * svc's record, else the defaults, and the base of the version settings
 * (o->vo.base points at base afterwards). */
void deploy_settings_resolve(struct deploy_opts *o, const struct service *svc, struct version_config *base);

/* One "changed" line per setting that differs from svc's record (none for
 * a service deployed for the first time); now: the new version's. */
void deploy_settings_report(const struct deploy_opts *o, const struct service *svc, const struct version_config *now,
			    const char *group, long elapsed_ms);

/* Record the settings of the deploy that succeeded into svc (o NULL: a
 * rollback; the version's settings only). */
void deploy_settings_record(struct service *svc, const struct deploy_opts *o, const struct version_config *now);

#endif
