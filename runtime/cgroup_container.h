/* cgroup_container: the commands that act on a live container through its
 * cgroup: pause/resume (the freezer), update (linux.resources), and opening
 * the cgroup of a container for stats, events and ps. Each checks the
 * container's status first and says in the user's words why it cannot act. */
#ifndef ZRUN_CGROUP_CONTAINER_H
#define ZRUN_CGROUP_CONTAINER_H

#include <stdbool.h>

#include "cgroup.h"
#include "error.h"
#include "spec.h"
#include "state.h"

/* Freeze (pause) a running container or thaw (resume) a paused one, and
 * record "paused" / "running" in state.json. */
int container_pause(const char *root, const char *id, bool pause, struct zrun_error *err);

/* Apply resources to a created, running or paused container's cgroup. */
int container_update(const char *root, const char *id, const struct spec_resources *resources,
		     struct zrun_error *err);

/* The cgroup a container's create made, as state.json records it (every
 * command that acts on an existing container's cgroup opens it this way,
 * never from the caller's cgroup of now). */
struct cgroup *container_state_cgroup(const struct container_state *st, struct zrun_error *err);

/* The cgroup of a container that is not stopped; *status gets its live
 * status. NULL with err set ("container not running") otherwise. */
struct cgroup *container_cgroup(const char *root, const char *id, enum container_status *status,
				struct zrun_error *err);

#endif
