/* The parts of version.h that only read and mark what is on disk (a
 * version's state and its stop mark), apart from version.c: the
 * supervisor (zrun-daemon) needs these and none of version.c's create,
 * which would link the whole container runtime into it. */
#include "version.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

void version_mark_stopping(const char *root, const char *service, const char *id)
{
	char name[STATE_ID_MAX + 16], path[PATH_MAX];

	snprintf(name, sizeof(name), "stop-%s", id);
	if (service_path(path, sizeof(path), root, service, name) == 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
}

bool version_is_stopping(const char *root, const char *service, const char *id)
{
	char name[STATE_ID_MAX + 16], path[PATH_MAX];

	snprintf(name, sizeof(name), "stop-%s", id);
	return service_path(path, sizeof(path), root, service, name) == 0 && access(path, F_OK) == 0;
}

void version_clear_stopping(const char *root, const char *service, const char *id)
{
	char name[STATE_ID_MAX + 16], path[PATH_MAX];

	snprintf(name, sizeof(name), "stop-%s", id);
	if (service_path(path, sizeof(path), root, service, name) == 0)
		unlink(path);
}

int version_load(const char *root, const char *id, struct container_state *st,
		 struct version_config *vc, struct zrun_error *err)
{
	if (state_validate_id(id, err) < 0 || state_read(root, id, st, err) < 0)
		return -1;
	if (version_config_from_state(st, vc) < 0) {
		state_clear(st);
		return zrun_error_set(err, 0, "container %s is not a version of a service", id);
	}
	return 0;
}
