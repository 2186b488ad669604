/* state: what zrun knows about a container between commands. One directory
 * per container under the root (default /run/zrun), state.json written
 * atomically (temp, rename; no fsync: see state_write_file), and a lock file
 * that every command that changes the container holds with flock. */
#ifndef ZRUN_STATE_H
#define ZRUN_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

#define STATE_ID_MAX 1024
#define STATE_MAX_BYTES (1024 * 1024)

enum container_status {
	STATUS_CREATING, STATUS_CREATED, STATUS_RUNNING, STATUS_PAUSED, STATUS_STOPPED
};

struct container_state {
	char *id;
	pid_t pid;                         /* host pid of the container's init */
	unsigned long long pid_start_time; /* /proc/PID/stat starttime: guards pid reuse */
	enum container_status status;      /* as last written */
	char *bundle;                      /* absolute */
	char *rootfs;                      /* absolute */
	char *created;                     /* RFC 3339, UTC, nanoseconds */
	char *owner;
	char *cgroup_path;                 /* resolved, absolute in the hierarchy */
	/* cgroup v1: each hierarchy's controllers -> the container's path in
	 * it, as create made them (cgroup_recorded_paths); none on v2 and in
	 * state written before they were recorded. */
	struct spec_kv *cgroup_paths;
	size_t cgroup_paths_len;
	/* The leaf's identity when create claimed it (cgroup_identity); kill
	 * and delete act on the cgroup only while it is still that one. 0 in
	 * state written before create claimed it, or by an older zrun. */
	unsigned long long cgroup_identity;
	/* --systemd-cgroup: the scope unit that holds the cgroup, which delete
	 * stops; NULL for the cgroupfs driver. */
	char *systemd_unit;
	struct spec_kv *annotations;
	size_t annotations_len;
	/* Service layer data the runtime stores but never interprets:
	 * a JSON object text kept verbatim under "zrun" in state.json. */
	char *extra_json;
};

/* An id is [A-Za-z0-9_+.-]+ (runc's ^[\w+-\.]+$ without its ','), does not
 * start with '.', is not a name zrun uses under --root (services.json), and
 * is at most NAME_MAX bytes. */
int state_validate_id(const char *id, struct zrun_error *err);

/* ROOT, when it exists, is a directory owned by the effective user and
 * writable by nobody else (else -1 with a message saying why). */
int state_check_root(const char *root, struct zrun_error *err);

/* Make ROOT and its missing parents (mode 0700). */
int state_create_root(const char *root, struct zrun_error *err);

/* Create ROOT (0700) if needed and ROOT/ID exclusively: an existing id fails
 * with "container ID already exists". */
int state_create_dir(const char *root, const char *id, struct zrun_error *err);

/* Take the container's lock (blocking). Returns the lock fd (close to release). */
int state_lock(const char *root, const char *id, struct zrun_error *err);

int state_write(const char *root, const struct container_state *st, struct zrun_error *err);

/* Fails with "container ID does not exist" when there is no state. */
int state_read(const char *root, const char *id, struct container_state *st, struct zrun_error *err);

/* The state.json text buf[0..len) (capped at STATE_MAX_BYTES, as read by
 * state_read); origin names it in messages. Exposed for the fuzzer. */
int state_parse_json(const char *buf, size_t len, const char *origin, struct container_state *st,
		     struct zrun_error *err);

/* The recovery file of a container: its init's pid and start time, its
 * resolved cgroup path and identity and its systemd scope (NULL, "": none),
 * written once by create next to state.json and read
 * only when state.json cannot be (delete --force). state_read_recovery
 * returns -1 when it is missing or malformed, or names the root cgroup. */
#define STATE_RECOVERY_FILE "recovery"
int state_write_recovery(const char *root, const char *id, pid_t pid, const char *cgroup_path,
			 unsigned long long cgroup_identity, const char *systemd_unit, struct zrun_error *err);
int state_read_recovery(const char *root, const char *id, pid_t *pid, unsigned long long *start_time,
			unsigned long long *cgroup_identity, char *cgroup_path, size_t cgroup_path_len,
			char *systemd_unit, size_t unit_len);

/* Remove ROOT/ID and everything in it. ENOENT is success. */
int state_remove(const char *root, const char *id, struct zrun_error *err);

/* Path of a file in the container's state dir (static buffer per call site is
 * not used: writes into buf of size len). */
int state_path(char *buf, size_t len, const char *root, const char *id, const char *file);

/* The status as it is now: a dead or reused pid means stopped; a live init
 * that still waits on its exec fifo is created; a frozen cgroup is paused. */
enum container_status state_live_status(const char *root, const struct container_state *st);
const char *state_status_name(enum container_status status);

/* Read /proc/PID/stat starttime; 0 when the process does not exist or is a zombie. */
unsigned long long state_pid_start_time(pid_t pid);

/* The ids of all containers under root, sorted. */
int state_list(const char *root, char ***ids, size_t *n, struct zrun_error *err);

/* The runc `state` JSON of a container (status is the live one). malloc'd. */
char *state_to_oci_json(const char *root, const struct container_state *st, bool pretty);

void state_clear(struct container_state *st);

/* --pid-file: the pid, written to a temp file and renamed into place. */
int state_write_pid_file(const char *path, pid_t pid, struct zrun_error *err);

/* TEXT[0..len) written to PATH.tmp in full, then renamed over PATH: a
 * reader (or a zrun killed half-way) sees the old file or the new one,
 * never a part. DURABLE: fsync before the rename, for a file meant to
 * outlive a crash of the machine; state under --root is not (it describes
 * processes that do not survive one, and /run is emptied at boot). MODE is
 * the new file's. FAULT names a fault-injection point for each write
 * (fault.h), or is NULL. Errors name PATH and the errno. */
int state_write_file(const char *path, const char *text, size_t len, mode_t mode, bool durable,
		     const char *fault, struct zrun_error *err);

/* Current time in RFC 3339 with nanoseconds, as runc writes "created". */
void state_now_rfc3339(char *buf, size_t len);

#endif
