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
 * never from the caller's cgroup of now), and only while it is still the
 * one create claimed (cgroup_check_identity): NULL with err otherwise, so
 * nothing signals, freezes or limits a cgroup made again by another. */
struct cgroup *container_state_cgroup(const struct container_state *st, struct zrun_error *err);

/* As container_state_cgroup; *not_ours tells a cgroup that is gone or is
 * another's now (the container has no cgroup left to act on) from a
 * failure to open it. */
struct cgroup *container_owned_cgroup(const struct container_state *st, bool *not_ours,
				      struct zrun_error *err);

/* delete's last cgroup step: SIGKILL what is left in CG (the container's,
 * from container_owned_cgroup), remove it and then ROOT's default parent
 * when that is empty. A create that died before claiming the leaf only
 * removes it when nothing runs in it. */
int container_cgroup_remove(const char *root, const struct container_state *st, struct cgroup *cg,
			    struct zrun_error *err);

/* The cgroup of a container that is not stopped; *status gets its live
 * status. NULL with err set ("container not running") otherwise. */
struct cgroup *container_cgroup(const char *root, const char *id, enum container_status *status,
				struct zrun_error *err);

#endif
