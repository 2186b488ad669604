/* service: the versions of one app that share listeners. A service lives
 * in ROOT/.services/NAME/ (service.json, the supervisor's socket, the swap
 * record and locks); each version is an ordinary container whose state
 * carries its service settings under "zrun". */
#ifndef ZRUN_SERVICE_H
#define ZRUN_SERVICE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "listener.h"
#include "state.h"
#include "steer.h"

#define SERVICE_NAME_MAX 64

enum probe_kind { PROBE_ACCEPTING, PROBE_HTTP, PROBE_TCP, PROBE_EXEC, PROBE_NOTIFY };

struct probe_spec {
	enum probe_kind kind;
	char target[512];          /* http: path; exec: command line */
	long initial_delay_ms, period_ms, timeout_ms;
	int success_threshold, failure_threshold;
};

enum restart_policy { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };

/* What a version carries about its service (state.json "zrun"). */
struct version_config {
	char service[SERVICE_NAME_MAX];
	struct probe_spec probe;
	int stop_signal;
	long grace_period_ms;
	bool own_netns;
	/* The network namespace the config names by path (a Kubernetes pod's),
	 * when the version keeps it: a service made by this version makes its
	 * listeners there. Only at create; not persisted. */
	char listen_netns[256];
	/* --intercept: bind(2)/listen(2) of the service's addresses get the
	 * shared listener (intercept.c) instead of LISTEN_FDS */
	bool intercept;
	/* zrun deploy: the version (replica group) this container is a replica
	 * of: "api-3" for api-3 and api-3.r1, api-3.r2 ...; "" = its own id. */
	char group[STATE_ID_MAX + 1];
	enum restart_policy restart;   /* done by the supervisor */
	int restart_max;               /* on-failure:MAX; 0 = no limit */
	/* notify probe: NEW's NOTIFY_SOCKET, "@zrun-notify-" and 32 random hex
	 * digits made at each create, so no other version can bind it first */
	char notify_socket[48];
	/* made with --systemd-cgroup: the supervisor's restarts, scale's
	 * replicas and a restore make their versions with it too */
	bool systemd_cgroup;
	/* a steered service (steer_service.h): this version's own socket of
	 * each listener's group, its index in the group's socket array (-1:
	 * none), its inode (what the accepting probe looks for) and its cookie
	 * (whether the index is still this socket's: a stopped version's index
	 * goes to the next version made) */
	int n_steer;
	int steer_index[LISTENER_MAX];
	unsigned long steer_inode[LISTENER_MAX];
	unsigned long long steer_cookie[LISTENER_MAX];
};

struct service {
	char name[SERVICE_NAME_MAX];
	struct listener listeners[LISTENER_MAX];
	size_t n_listeners;
	pid_t supervisor_pid;
	unsigned long long supervisor_start_time;
	/* zrun deploy's record (empty for services made by create alone) */
	char current[STATE_ID_MAX + 1];   /* the version (group) deploy made last */
	char previous[STATE_ID_MAX + 1];  /* the one it replaced, when kept (rollback) */
	unsigned long seq;                /* ids SERVICE-1, SERVICE-2, ... */
	int replicas;                     /* of current; 0 = not deployed */
	char zrun_path[PATH_MAX];         /* the zrun the supervisor runs for restarts */
	/* connections: steered in the kernel (a socket per version, the
	 * group's maps by id) or one shared socket, and why (steer_service.h) */
	bool steered;
	char steer_why[256];
	uint32_t steer_maps[LISTENER_MAX][STEER_MAPS];
	/* what the next deploy reuses unless a flag changes it */
	bool keep_old;                    /* deploy --keep-old */
	long timeout_ms;                  /* deploy --timeout; 0 = not recorded */
	int max_starting;                 /* deploy --max-starting; 0 = not recorded */
	struct version_config settings;   /* of current; settings.service "" = not recorded */
};

int service_validate_name(const char *name, struct zrun_error *err);
/* ROOT/.services/NAME[/file] */
int service_path(char *buf, size_t len, const char *root, const char *name, const char *file);

int service_load(const char *root, const char *name, struct service *svc, struct zrun_error *err);
int service_save(const char *root, const struct service *svc, struct zrun_error *err);
bool service_exists(const char *root, const char *name);
/* Remove the files of the service dir but its locks (their holders go on
 * in the same dir), after its supervisor is gone. */
void service_clear(const char *root, const char *name);
/* Remove the service dir (after its supervisor is gone). */
int service_remove(const char *root, const char *name, struct zrun_error *err);

/* A POSIX record lock (fcntl F_SETLK/F_SETLKW, not flock: service.c says
 * why) on ROOT/.services/NAME/FILE (made with the dir if needed). Returns
 * its fd, closed to release it. nonblock: -2 when another process holds
 * it. A record lock belongs to the process: taking it again from the same
 * process does not wait, and closing any fd of the file releases it. */
int service_lock(const char *root, const char *name, const char *file, bool nonblock,
		 struct zrun_error *err);

/* A service's members: ROOT/.services/NAME/members/ID, a symlink to the
 * version's state dir (../../../ID), made when the version is created and
 * removed when it is deleted, so a service's versions are found without
 * reading every state under ROOT (each supervisor looks every second: at N
 * services that was N x N state reads a second). The dir is made with the
 * service; a service made by an older zrun has none, and its versions are
 * found by reading every state, as before. The state stays the truth: a
 * member whose state is gone or names another service is not a version.
 * member_add returns 1 when it made the link, 0 when there was one (or the
 * service has no members dir), -1 on error. */
int service_members_init(const char *root, const char *name, struct zrun_error *err);
int service_member_add(const char *root, const char *name, const char *id, struct zrun_error *err);
void service_member_remove(const char *root, const char *name, const char *id);

/* The ids of the containers of a service, sorted. */
int service_versions(const char *root, const char *name, char ***ids, size_t *n, struct zrun_error *err);
void service_free_ids(char **ids, size_t n);

/* The versions of service NAME (of every service when NAME is NULL), sorted
 * by id, with their state and settings: each state.json under ROOT is read
 * once, so a command over many services or versions stays linear in them.
 * Free with service_versions_free. */
struct service_version {
	char *id;
	struct container_state st;
	struct version_config vc;
};
int service_versions_read(const char *root, const char *name, struct service_version **v,
			  size_t *n, struct zrun_error *err);
void service_versions_free(struct service_version *v, size_t n);

/* Version settings to and from the "zrun" object of a container's state. */
char *version_config_json(const struct version_config *vc);
int version_config_from_state(const struct container_state *st, struct version_config *vc);
void version_config_defaults(struct version_config *vc);
/* The settings deploy records of a version: what belongs to that one
 * version (its group, notify socket, steered sockets) left out. */
void version_config_settings(struct version_config *settings, const struct version_config *vc);

/* "--probe" values: accepting | http[:PATH] | tcp | exec:CMD | notify */
int probe_parse(const char *spec, struct probe_spec *p, struct zrun_error *err);
/* A duration the way Go writes one ("30s", "500ms", "2m", "1.5s", "1m30s";
 * units h, m, s, ms, us, ns) or a plain number of seconds ("30"), from 0 to
 * 7 days, into milliseconds (truncated). -1 for anything else. The one
 * parser of every duration zrun reads (flags, annotations, events --interval). */
int duration_parse(const char *s, long *ms);
const char *probe_kind_name(enum probe_kind k);

/* "--restart" values: no | on-failure[:MAX] | always */
int restart_parse(const char *spec, enum restart_policy *policy, int *max, struct zrun_error *err);
/* "on-failure:5" back (buf of 32). */
const char *restart_format(enum restart_policy policy, int max, char *buf, size_t len);

/* The group of a version: vc->group, else its own id. */
const char *version_group(const struct version_config *vc, const char *id);

#endif
