#include "repair.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "supervisor.h"
#include "service.h"
#include "swap.h"
#include "version.h"

/* A supervisor gone: the listeners from a running version, a new supervisor. */
static int recover_supervisor(const char *root, const char *name, FILE *out, bool *done, struct zrun_error *err)
{
	struct service svc;
	int fds[LISTENER_MAX];

	if (service_load(root, name, &svc, err) < 0)
		return -1;
	if (supervisor_alive(&svc))
		return 0;
	pid_t dead = svc.supervisor_pid;
	if (supervisor_fetch(root, &svc, fds, err) < 0)
		return -1;
	for (size_t i = 0; i < svc.n_listeners; i++)
		close(fds[i]);
	fprintf(out, "%s: supervisor %d was gone: listeners recovered, new supervisor %d\n", name, dead, svc.supervisor_pid);
	*done = true;
	return 0;
}

int service_repair(const char *root, const char *name, FILE *out, struct zrun_error *err)
{
	char dir[PATH_MAX];
	bool done = false;

	if (service_validate_name(name, err) < 0)
		return -1;
	if (service_path(dir, sizeof(dir), root, name, NULL) < 0 || access(dir, F_OK) < 0)
		return zrun_error_set(err, 0, "service %s does not exist", name);
	int swap_lock = service_lock(root, name, "swap.lock", true, err);
	if (swap_lock == -2)
		return zrun_error_set(err, 0, "a swap of service %s is running: it repairs what it finds itself", name);
	if (swap_lock < 0)
		return -1;
	if (swap_interrupted(root, name)) {
		/* a record it cannot read is told, never guessed at */
		if (swap_repair(root, name, out, false, err) < 0) {
			close(swap_lock);
			return -1;
		}
		done = true;
	}
	int lock = service_lock(root, name, "service.lock", false, err);
	int r = lock < 0 ? -1 : 0;
	if (r == 0) {
		r = version_end_orphan(root, name, err);
		if (r == 1)
			fprintf(out, "%s: no version left (a create or delete was killed): supervisor stopped, service removed\n",
				name);
		else if (r == 0)
			r = recover_supervisor(root, name, out, &done, err);
		close(lock);
	}
	close(swap_lock);
	if (r == 0 && !done)
		fprintf(out, "%s: nothing to repair\n", name);
	return r < 0 ? -1 : 0;
}
