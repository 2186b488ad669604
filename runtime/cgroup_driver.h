/* cgroup_driver: what cgroup.c shares with its two drivers, cgroup_v1.c and
 * cgroup_v2.c: the struct cgroup itself, the driver table, and the file and
 * directory helpers that name the cgroup, the file and the value in errors. */
#ifndef ZRUN_CGROUP_DRIVER_H
#define ZRUN_CGROUP_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

#define CGROUP_DEFAULT_MOUNT "/sys/fs/cgroup"
#define CGROUP_FREEZE_TIMEOUT_MS 5000
#define CGROUP_RMDIR_TIMEOUT_MS 1000

/* One mounted cgroup v1 hierarchy (a controller, co-mounted controllers such
 * as "cpu,cpuacct", or a named one such as "name=systemd"). */
struct cgroup_hierarchy {
	char *controllers;  /* comma-separated, as in the mount options */
	char *mount_point;  /* "/sys/fs/cgroup/memory" */
	char *mount_root;   /* the hierarchy path mounted there, usually "/" */
	char *path;         /* this cgroup's path in the hierarchy, "/zrun/api-v1" */
	char *dir;          /* this cgroup's directory: mount_point + path below mount_root */
};

struct cgroup_driver;

struct cgroup {
	const struct cgroup_driver *driver;
	enum cgroup_version version;
	char *path;         /* resolved absolute path, "/zrun/api-v1"; v1: the memory
			     * hierarchy's (else the first one's), for messages and state */
	char *mount;        /* the cgroup mount root: /sys/fs/cgroup or ZRUN_CGROUP_MOUNT */
	char *dir;          /* v2: mount + path */
	int dir_fd;         /* v2: O_DIRECTORY fd of dir, -1 until created */
	struct cgroup_hierarchy *hier;  /* v1 only */
	size_t hier_len;
	struct spec_kv *paths;  /* v1: each hierarchy's controllers -> path (into hier) */
	/* Inputs of the v1 driver's init, valid during cgroup_open* only:
	 * either a relative cgroupsPath ("/x/y", normalized) with the text of
	 * /proc/self/cgroup it is based on, or the per-hierarchy paths recorded
	 * in state.json, or neither (path holds for every hierarchy). */
	const char *relative;
	const char *self_cgroup;
	const struct spec_kv *recorded;
	size_t recorded_len;
	char **made;        /* directories cgroup_create made, in creation order */
	size_t made_len;
	int claim_fd;       /* the leaf, flock'ed by cgroup_create until cgroup_free */
	uint64_t identity;  /* the leaf's inode number once claimed, else 0 */
};

struct cgroup_driver {
	int (*init)(struct cgroup *cg, struct zrun_error *err); /* after path is set */
	int (*create)(struct cgroup *cg, struct zrun_error *err); /* mkdir, prepare */
	int (*apply)(struct cgroup *cg, const struct spec_resources *r, bool creating,
		     struct zrun_error *err);
	int (*add_pid)(struct cgroup *cg, pid_t pid, struct zrun_error *err);
	const char *(*pids_dir)(struct cgroup *cg); /* dir whose subtree lists the pids */
	int (*freeze)(struct cgroup *cg, bool frozen, struct zrun_error *err);
	int (*kill_all)(struct cgroup *cg, int sig, struct zrun_error *err);
	bool (*is_empty)(struct cgroup *cg);
	int (*destroy)(struct cgroup *cg, struct zrun_error *err);
	void (*release)(struct cgroup *cg);
};

extern const struct cgroup_driver cgroup_v1_driver;

/* cgroup_v1_resources.c: linux.resources onto the v1 hierarchies. */
int v1_apply(struct cgroup *cg, const struct spec_resources *r, bool creating,
	     struct zrun_error *err);
/* The rdma.max line of one linux.resources.rdma entry; -1 if it does not fit. */
int cg_rdma_value(const struct spec_rdma_limit *l, char *buf, size_t size);
/* The hierarchy that holds controller, NULL when it is not mounted. */
struct cgroup_hierarchy *v1_find(struct cgroup *cg, const char *controller);
extern const struct cgroup_driver cgroup_v2_driver;

/* "$ZRUN_CGROUP_MOUNT" or "/sys/fs/cgroup". */
const char *cgroup_mount_root(void);

/* The base of a relative cgroupsPath in one hierarchy, from TEXT, the
 * content of /proc/self/cgroup ("ID:CONTROLLERS:PATH" lines), as runc does:
 * v1 (controllers = a hierarchy's comma list, "cpu,cpuacct", "name=systemd"):
 * the caller's own cgroup in that hierarchy, the line sharing a controller;
 * v2 (controllers NULL): the parent of the caller's "0::" cgroup, since a v2
 * cgroup holding processes (the caller's) cannot enable controllers for a
 * child. malloc'd; NULL with err when TEXT has no such line. Pure. */
char *cgroup_relative_base(const char *text, const char *controllers, struct zrun_error *err);

/* Read /proc/self/cgroup (bounded) into a malloc'd string. */
char *cgroup_read_self(struct zrun_error *err);

/* "/a//b/./c/" -> "/a/b/c", malloc'd; ".." is refused (err names WHAT and
 * PATH), as is nothing but "/" when ROOT_OK is false. */
char *cgroup_normalize(const char *path, const char *what, bool root_ok, struct zrun_error *err);

/* Does the comma-separated list A share a name with the list B? */
bool cg_lists_overlap(const char *a, const char *b);

/* Write value to dir/file. Errors read
 * "cgroup /zrun/api-v1: memory.limit_in_bytes: write 1048576: Device or resource busy". */
int cg_write(const struct cgroup *cg, const char *dir, const char *file, const char *value,
	     struct zrun_error *err);
int cg_write_i64(const struct cgroup *cg, const char *dir, const char *file, int64_t value,
		 struct zrun_error *err);

/* Read dir/file into buf (NUL-terminated, trailing newline removed).
 * Returns the length, or -errno. */
ssize_t cg_read(const char *dir, const char *file, char *buf, size_t size);
bool cg_file_exists(const char *dir, const char *file);

/* mkdir -p mount + path; each directory made is recorded in cg->made. */
int cg_mkdir_p(struct cgroup *cg, const char *mount, const char *path, struct zrun_error *err);
/* rmdir every directory in cg->made, newest first, and forget them. */
void cg_undo_made(struct cgroup *cg);
void cg_forget_made(struct cgroup *cg);

/* Remove dir and every sub-cgroup below it, bottom-up; retries EBUSY up to
 * CGROUP_RMDIR_TIMEOUT_MS. A missing dir is success. */
int cg_remove_tree(const struct cgroup *cg, const char *dir, struct zrun_error *err);

/* Every pid in cgroup.procs of dir and of every directory below it, sorted and
 * without duplicates. A missing dir gives no pids. */
int cg_collect_pids(const struct cgroup *cg, const char *dir, pid_t **pids, size_t *n,
		    struct zrun_error *err);

/* Send sig to each pid; ESRCH is ignored. */
int cg_signal_pids(const struct cgroup *cg, const pid_t *pids, size_t n, int sig,
		   struct zrun_error *err);

/* Signal every process; SIGKILL with the cgroup frozen (then thawed). */
int cg_kill_frozen(struct cgroup *cg, int sig, struct zrun_error *err);

/* cgroup_owner.c: after the driver's create, before any limit is written:
 * lock the leaf (flock, so a second create of the same leaf waits), refuse
 * it when it holds processes, and take its identity. */
int cg_claim(struct cgroup *cg, struct zrun_error *err);

/* Device rules every container gets after its own ("c 1:3 rwm", ...). */
extern const char *const cgroup_default_device_rules[];

#endif
