/* cgroup_systemd: the systemd cgroup driver (--systemd-cgroup), as runc and
 * crun have it: a container's cgroup is a transient scope unit that systemd
 * makes through its D-Bus API (StartTransientUnit with Delegate=yes and the
 * init's pid), in the slice that linux.cgroupsPath "slice:prefix:name"
 * names. The resources systemd owns are unit properties; cgroup.c writes
 * the rest (and those again) to the scope's cgroup with the v1/v2 driver. */
#ifndef ZRUN_CGROUP_SYSTEMD_H
#define ZRUN_CGROUP_SYSTEMD_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "spec.h"

#define SYSTEMD_UNIT_NAME_MAX 256 /* systemd's UNIT_NAME_MAX */
#define SYSTEMD_DEFAULT_SLICE "system.slice"
#define SYSTEMD_DEFAULT_PREFIX "zrun"

struct systemd_scope {
	char slice[SYSTEMD_UNIT_NAME_MAX];  /* "system.slice" */
	char unit[SYSTEMD_UNIT_NAME_MAX];   /* "docker-ID.scope" */
	char path[PATH_MAX];                /* "/system.slice/docker-ID.scope" */
};

/* runc's reading of linux.cgroupsPath for the systemd driver: "slice:prefix:name"
 * gives the unit "prefix-name.scope" (just "name" when prefix is empty, as
 * runc) in "slice" (SLICE_DEFAULT, else system.slice, when empty). NULL or ""
 * is SLICE_DEFAULT (or system.slice) : "zrun" : ID. Anything else is refused
 * with runc's words. Pure. */
int systemd_scope_parse(const char *cgroups_path, const char *id, const char *slice_default,
			struct systemd_scope *s, struct zrun_error *err);

/* systemd's slice naming: "a-b-c.slice" lives at "/a.slice/a-b.slice/a-b-c.slice",
 * "-.slice" is the root "/". Pure. */
int systemd_slice_path(const char *slice, char *out, size_t size, struct zrun_error *err);

/* 0 when systemd is this host's init (sd_booted: /run/systemd/system is a
 * directory), else -1 saying so. */
int systemd_check_booted(struct zrun_error *err);

/* StartTransientUnit s->unit in s->slice with PIDs=[pid], Delegate=yes and
 * the resources systemd owns as properties, and wait until its job is
 * done. On failure no unit of ours is left. */
int systemd_scope_start(const struct systemd_scope *s, pid_t pid, const struct spec_resources *r,
			enum cgroup_version version, struct zrun_error *err);

/* SetUnitProperties (runtime) with the resources systemd owns (update). */
int systemd_scope_set(const char *unit, const struct spec_resources *r,
		      enum cgroup_version version, struct zrun_error *err);

/* StopUnit and wait for it; a unit systemd no longer knows is success.
 * Also clears a "failed" state so that the name can be used again. */
int systemd_scope_stop(const char *unit, struct zrun_error *err);

#endif
