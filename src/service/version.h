/* version: creating and deleting the containers that are versions of a
 * service. Creating the first version makes the service (its listeners and
 * supervisor); later versions get the same listeners from the supervisor. Deleting
 * the last version ends the supervisor and removes the service. */
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
	const char *net;                     /* "service" or "own"; default: own when the
					      * config names a network namespace by path,
					      * else service */
	const char *restart;                 /* --restart no|on-failure[:MAX]|always */
	const char *group;                   /* zrun deploy: the replica group */
	bool intercept;                      /* --intercept (else annotation zrun.intercept) */
	bool no_intercept;                   /* deploy --no-intercept */
	/* deploy: the settings a flag or an annotation does not give come from
	 * here (the service's record) instead of the defaults; NULL = defaults */
	const struct version_config *base;
	/* filled with what the caller should tell the user, or left "" (the
	 * network namespace the config names, left for the host's) */
	char *note;
	size_t note_len;
};

/* container_create, plus the service part when the version belongs to one
 * (by flag or annotation). Leaves nothing behind on failure. */
int version_create(const struct container_create_opts *opts, const struct version_opts *vo, pid_t *pid,
		   struct zrun_error *err);

/* container_delete, then end the service when its last version is gone. */
int version_delete(const char *root, const char *id, bool force, struct zrun_error *err);

/* Create version id of the service named in vc from bundle, with the
 * settings already resolved (scale, restarts, rollback, restore). ls/nls:
 * the listeners when the service may not exist yet (restore), else 0. */
int version_create_from(const char *root, const char *id, const char *bundle, const struct version_config *vc,
			const struct listener *ls, size_t nls, struct zrun_error *err);

/* The settings (VC) and bundle path of version ID, and its live status (an
 * enum container_status): what recreating it needs. -1 when it cannot be
 * read. */
int version_load_live(const char *root, const char *id, struct version_config *vc, char *bundle, size_t len,
		      struct zrun_error *err);

/* Delete version id and create it again from bundle with vc (a restart, a
 * rollback), its service kept meanwhile. */
int version_recreate(const char *root, const char *id, const char *bundle, const struct version_config *vc,
		     struct zrun_error *err);

/* The supervisor restarts a version that exited: recreate it from its bundle
 * and settings (the service stays) and start it. */
int version_restart(const char *root, const char *id, struct zrun_error *err);

/* A version that zrun itself stops (a swap drains or aborts it, scale or
 * delete removes it) is marked first, so the supervisor does not restart it.
 * The mark goes when the version is created again. */
void version_mark_stopping(const char *root, const char *service, const char *id);
bool version_is_stopping(const char *root, const char *service, const char *id);
void version_clear_stopping(const char *root, const char *service, const char *id);

/* Call these under service.lock. A service with no version left (a create
 * or delete killed mid-way) is an orphan; ending it stops its supervisor and
 * removes the service: 1 when it was one, 0 when not, -1 on error. */
bool version_service_is_orphan(const char *root, const char *name);
int version_end_orphan(const char *root, const char *name, struct zrun_error *err);

/* After an aborted swap, the truth about OLD for its message: "ID keeps
 * serving, untouched" only when it runs and the listeners listen; else
 * what is wrong with it (it exited, a listener is down). */
void version_old_after_abort(const char *root, const char *id, char *buf, size_t len);

/* Read a version's settings; fails when id is not a version of a service. */
int version_load(const char *root, const char *id, struct container_state *st,
		 struct version_config *vc, struct zrun_error *err);

#endif
