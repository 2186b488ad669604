/* steer_service: a service's connections steered in the kernel (steer.h).
 * Decided when the service is made: every listener TCP, the program loads,
 * no --intercept, ZRUN_STEER not "off"; else one shared socket, and the
 * service record says why. In a steered service the supervisor holds each
 * listener's first socket of the group (it keeps the port and the group,
 * and gets no connection); each version gets a socket of its own as fd 3,
 * 4, ... and a connection only while it is in the serving set (holds
 * slots): from when its probe passes until its stop signal. */
#ifndef ZRUN_STEER_SERVICE_H
#define ZRUN_STEER_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "service.h"
#include "steer.h"

/* At a service's making: steered or shared, and why (svc->steered,
 * svc->steer_why). */
void steer_service_choose(struct service *svc, const struct listener *ls, size_t nls, bool intercept);

/* The service's own socket of listener l: a steered service's is the first
 * socket of the group (SO_REUSEPORT). */
int steer_service_listener_open(const struct service *svc, const struct listener *l, struct zrun_error *err);

/* After the service's sockets are open: each group's maps and program,
 * attached; their ids into svc (saved with it). */
int steer_service_setup(struct service *svc, const int *fds, struct zrun_error *err);

/* A version's own sockets (own[i], O_CLOEXEC, one per listener, made in the
 * namespace of fds[i]), put in the socket arrays with no slot; vc records
 * their indexes and inodes. first (the service's first version), or no
 * version serving: it serves at once (as from the shared socket: there is
 * nothing to prove it against, and nobody else to take it). A version made
 * again by a restart (vc names the indexes of its last run) takes over the
 * slots its last run held. */
int steer_service_join(const struct service *svc, const int *fds, struct version_config *vc, bool first, int *own,
		       struct zrun_error *err);

/* Add the versions ids to the serving set (the slots spread evenly over
 * every socket in it), or take them out. No-op for a shared service. */
int steer_service_serve(const char *root, const char *service, char **ids, size_t n, struct zrun_error *err);
int steer_service_unserve(const char *root, const char *service, char **ids, size_t n, struct zrun_error *err);

/* A canary: the new side's members get percent of the slots together,
 * the old side's the rest (each side's split evenly among its members
 * that have a socket in the group). Every slot names a live socket at
 * every instant (steer_set_shares changes one slot at a time). -1 when
 * the service is not steered or a side has no socket left. */
int steer_service_split(const char *root, const char *service, char **old_ids, size_t n_old, char **new_ids,
			size_t n_new, unsigned percent, struct zrun_error *err);

/* The connections held in the service's socket fd (STEER_HOLD: their
 * slot's version was killed, or none served yet), given to the serving
 * versions once every slot names a socket again (a restart took the
 * killed one's over): 1 when some were, 0 when none waits or a slot still
 * names nothing, -1 when the socket could not listen again. */
int steer_service_unhold(const struct steer *s, int fd);

/* Listener i's maps (steer_close them). */
int steer_service_open(const struct service *svc, size_t i, struct steer *s, struct zrun_error *err);

/* A version's share (percent of the slots) and the connections steered to
 * it, on the first listener. -1 when it has no socket in the group. */
int steer_service_share(const struct service *svc, const struct version_config *vc, unsigned *percent,
			uint64_t *count);

#endif
