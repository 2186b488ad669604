/* version: creating and deleting the containers that are versions of a
 * service. Creating the first version makes the service (its listeners and
 * keeper); later versions get the same listeners from the keeper. Deleting
 * the last version ends the keeper and removes the service. */
#ifndef ZRUN_VERSION_H
#define ZRUN_VERSION_H

#include "container.h"
#include "service.h"

struct version_opts {
	const char *service;                 /* --service (else annotation zrun.service) */
	const char *listen[LISTENER_MAX];    /* --listen, repeatable */
	size_t n_listen;
	const char *probe;                   /* --probe */
	const char *probe_initial_delay, *probe_period, *probe_timeout;
	const char *probe_success_threshold, *probe_failure_threshold;
	const char *stop_signal, *grace_period;
	const char *net;                     /* "service" (default) or "own" */
};

/* container_create, plus the service part when the version belongs to one
 * (by flag or annotation). Leaves nothing behind on failure. */
int version_create(struct container_create_opts *opts, const struct version_opts *vo, bool keep_child,
		   pid_t *pid, struct zrun_error *err);

/* container_delete, then end the service when its last version is gone. */
int version_delete(const char *root, const char *id, bool force, struct zrun_error *err);

/* Read a version's settings; fails when id is not a version of a service. */
int version_load(const char *root, const char *id, struct container_state *st,
		 struct version_config *vc, struct zrun_error *err);

#endif
