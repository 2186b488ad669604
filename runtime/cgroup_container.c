/* cgroup_container: pause/resume, update and the cgroup of a live container
 * (see cgroup_container.h). Status changes are made under the container's
 * lock, so a concurrent delete or start sees either side of them. */
#include "cgroup_container.h"

#include <signal.h>
#include <unistd.h>

#include "fault.h"

struct cgroup *container_owned_cgroup(const struct container_state *st, bool *not_ours,
				      struct zrun_error *err)
{
	struct cgroup *cg = cgroup_open_recorded(st->cgroup_path, st->cgroup_paths,
						 st->cgroup_paths_len, err);

	if (not_ours != NULL)
		*not_ours = false;
	if (cg != NULL && cgroup_check_identity(cg, st->cgroup_identity, err) < 0) {
		if (not_ours != NULL)
			*not_ours = true;
		cgroup_free(cg);
		return NULL;
	}
	return cg;
}

struct cgroup *container_state_cgroup(const struct container_state *st, struct zrun_error *err)
{
	return container_owned_cgroup(st, NULL, err);
}

int container_cgroup_remove(const char *root, const struct container_state *st, struct cgroup *cg,
			    struct zrun_error *err)
{
	/* A create that died before its claim recorded no identity: the leaf
	 * it named may be another container's, so only an empty one goes. */
	bool claimed = st->cgroup_identity != 0 || st->status != STATUS_CREATING;

	if (!claimed && !cgroup_is_empty(cg))
		return 0;
	if (claimed)
		cgroup_kill_all(cg, SIGKILL, err);
	fault_point("delete-after-kill");
	if (cgroup_destroy(cg, err) < 0)
		return -1;
	cgroup_remove_default_parent(cg, root);
	return 0;
}

struct cgroup *container_cgroup(const char *root, const char *id, enum container_status *status,
				struct zrun_error *err)
{
	struct container_state st;
	struct cgroup *cg = NULL;

	if (state_validate_id(id, err) < 0 || state_read(root, id, &st, err) < 0)
		return NULL;
	*status = state_live_status(root, &st);
	if (*status == STATUS_STOPPED)
		zrun_error_set(err, 0, "container not running");
	else if (*status == STATUS_CREATING)
		zrun_error_set(err, 0, "container is still being created");
	else
		cg = container_state_cgroup(&st, err);
	state_clear(&st);
	return cg;
}

int container_pause(const char *root, const char *id, bool pause, struct zrun_error *err)
{
	struct container_state st;
	struct cgroup *cg;
	enum container_status status;
	int lock, r = -1;

	if (state_validate_id(id, err) < 0)
		return -1;
	lock = state_lock(root, id, err);
	if (lock < 0)
		return -1;
	if (state_read(root, id, &st, err) < 0) {
		close(lock);
		return -1;
	}
	status = state_live_status(root, &st);
	if (pause && status == STATUS_PAUSED) {
		zrun_error_set(err, 0, "container already paused");
	} else if (pause && status != STATUS_RUNNING) {
		zrun_error_set(err, 0, "container not running (status %s)", state_status_name(status));
	} else if (!pause && status != STATUS_PAUSED) {
		zrun_error_set(err, 0, "container not paused (status %s)", state_status_name(status));
	} else if ((cg = container_state_cgroup(&st, err)) != NULL) {
		r = cgroup_freeze(cg, pause, err);
		if (r == 0) {
			st.status = pause ? STATUS_PAUSED : STATUS_RUNNING;
			r = state_write(root, &st, err);
			/* Never leave a frozen container recorded as running. */
			if (r < 0 && pause)
				cgroup_freeze(cg, false, NULL);
		} else if (pause) {
			cgroup_freeze(cg, false, NULL); /* half frozen helps nobody */
		}
		cgroup_free(cg);
	}
	state_clear(&st);
	close(lock);
	return r;
}

int container_update(const char *root, const char *id, const struct spec_resources *resources,
		     struct zrun_error *err)
{
	enum container_status status;
	struct cgroup *cg;
	int lock, r;

	if (state_validate_id(id, err) < 0)
		return -1;
	lock = state_lock(root, id, err);
	if (lock < 0)
		return -1;
	cg = container_cgroup(root, id, &status, err);
	r = cg != NULL ? cgroup_update(cg, resources, err) : -1;
	cgroup_free(cg);
	close(lock);
	return r;
}
