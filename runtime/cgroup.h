/* cgroup: one interface over two drivers, cgroup v2 (unified) and cgroup v1
 * (one hierarchy per controller), chosen at run time. It owns a container's
 * cgroup from creation to removal: limits from linux.resources, joining,
 * listing and killing its processes, freezing, stats, removal. */
#ifndef ZRUN_CGROUP_H
#define ZRUN_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

enum cgroup_version { CGROUP_V1 = 1, CGROUP_V2 = 2 };

struct cgroup;  /* opaque: driver + resolved path */

/* Which driver this host needs: v2 when /sys/fs/cgroup is a cgroup2 mount,
 * v1 otherwise (a hybrid host's v1 controllers; its unified mount is unused).
 * ZRUN_CGROUP_MOUNT (env) overrides /sys/fs/cgroup, for tests only. */
int cgroup_detect_version(struct zrun_error *err);

/* The default state directory, whose containers keep the parent "/zrun". */
#define CGROUP_ROOT_DEFAULT "/run/zrun"

/* The parent cgroup of ROOT's containers that have no linux.cgroupsPath:
 * "/zrun" for the default root, "/zrun-<8 hex digits>" (FNV-1a of the
 * canonical root path) for any other, so that two roots never share a
 * container's cgroup. cgroup_owner.c. */
int cgroup_default_parent(const char *root, char *buf, size_t size, struct zrun_error *err);

/* Resolve a container's cgroup path without touching the filesystem.
 * cgroups_path is linux.cgroupsPath: absolute = from the hierarchy root,
 * NULL = "<cgroup_default_parent(root)>/<id>", relative = as runc: on v1 below the caller's own
 * cgroup in each hierarchy (which may differ from one to the next), on v2
 * beside the caller's cgroup (below its parent). cgroup_path() is then
 * absolute, like "/zrun/api-v1". */
struct cgroup *cgroup_open(const char *cgroups_path, const char *id, const char *root,
			   struct zrun_error *err);

/* Re-open a container's cgroup from what create recorded in state.json:
 * PATH (cgroup_path()) and, on v1, the per-hierarchy paths (from
 * cgroup_recorded_paths(); n = 0 means PATH in every hierarchy, as state
 * written before they were recorded). A hierarchy mounted since, with no
 * recorded path, is left alone: the container was never in it. */
struct cgroup *cgroup_open_recorded(const char *path, const struct spec_kv *paths, size_t n,
				    struct zrun_error *err);

/* cgroup_open_recorded(resolved_path, NULL, 0). */
struct cgroup *cgroup_open_resolved(const char *resolved_path, struct zrun_error *err);

/* v1: each hierarchy's controllers ("cpu,cpuacct", "name=systemd") -> the
 * container's path in it, to record in state.json; owned by cg. v2: none
 * (*n = 0; cgroup_path() is the whole story). */
const struct spec_kv *cgroup_recorded_paths(const struct cgroup *cg, size_t *n);

/* v1: the container's directory in the hierarchy mounted at mount_point
 * ("/sys/fs/cgroup/memory"), NULL when it has none (or on v2). */
const char *cgroup_v1_dir(const struct cgroup *cg, const char *mount_point);

const char *cgroup_path(const struct cgroup *cg);  /* the resolved absolute path */
enum cgroup_version cgroup_version(const struct cgroup *cg);

/* Make the cgroup (and missing parents; on v2 enable the needed controllers in
 * each parent's cgroup.subtree_control), claim it and apply resources (may
 * be NULL). The claim: the leaf is locked (flock) until cgroup_free, so a
 * second create of it waits, and refused when it already holds a process
 * ("cgroup /x is not empty"), before any limit is written; its identity
 * (cgroup_identity) is taken. On failure nothing it made is left. v1 devices: "deny a", the spec's rules,
 * then the default devices (null, zero, full, tty, random, urandom, console,
 * pts, ptmx, tun); linux.devices nodes must be in resources->devices to be
 * allowed. v2 devices: the same rules as an eBPF program (cgroup_v2_devices). */
int cgroup_create(struct cgroup *cg, const struct spec_resources *resources, struct zrun_error *err);

/* The identity of the leaf cgroup_create claimed (its inode number, which
 * kernfs never hands to a directory made after it was removed), to record
 * in state.json; 0 before the claim. */
uint64_t cgroup_identity(const struct cgroup *cg);

/* Is the leaf still the one whose identity create recorded? 0 when it is
 * (or IDENTITY is 0: recorded by a zrun before identities); -1 with
 * errno_value ENOENT when it is gone, ESTALE when it was made again since. */
int cgroup_check_identity(struct cgroup *cg, uint64_t identity, struct zrun_error *err);

/* After a container's cgroup is destroyed: rmdir ROOT's default parent
 * ("/zrun-<hash>", never "/zrun") when that is the cgroup's parent and no
 * other container is left in it. Best effort. */
void cgroup_remove_default_parent(struct cgroup *cg, const char *root);

/* Apply resources to an existing cgroup (update); device rules, when given,
 * replace the previous ones on both drivers. */
int cgroup_update(struct cgroup *cg, const struct spec_resources *resources, struct zrun_error *err);

/* v2: an O_DIRECTORY|O_CLOEXEC fd of the cgroup for clone3 CLONE_INTO_CGROUP,
 * owned by cg (do not close). v1: -1. Valid after cgroup_create. */
int cgroup_dir_fd(struct cgroup *cg);

/* Move pid into the cgroup (every v1 hierarchy, or the v2 one). */
int cgroup_add_pid(struct cgroup *cg, pid_t pid, struct zrun_error *err);

/* Every pid in the cgroup (recursively on v1/v2 sub-cgroups), sorted, each
 * once; a cgroup that does not exist has none. *pids is malloc'd. */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct zrun_error *err);

/* Send sig to every process in the cgroup; for SIGKILL, freeze first (or use
 * cgroup.kill on v2) so nothing escapes by forking. Succeeds on an empty cgroup. */
int cgroup_kill_all(struct cgroup *cg, int sig, struct zrun_error *err);

/* true when no process is left in the cgroup. */
bool cgroup_is_empty(struct cgroup *cg);

/* freeze (pause) or thaw (resume); waits until the state is reached. */
int cgroup_freeze(struct cgroup *cg, bool frozen, struct zrun_error *err);

/* Remove the cgroup directories (after its processes are gone; retries
 * briefly while the kernel still counts exiting tasks). ENOENT is success. */
int cgroup_destroy(struct cgroup *cg, struct zrun_error *err);

/* Counters of a cgroup, in runc's `events --stats` units (nanoseconds,
 * bytes). Every array is bounded; what does not fit is left out. */
#define CGROUP_STATS_CPUS_MAX 1024
#define CGROUP_STATS_RAW_MAX 128
#define CGROUP_STATS_BLKIO_MAX 256
#define CGROUP_STATS_HUGETLB_MAX 8

struct cgroup_memory_entry {
	uint64_t limit, usage, max, failcnt;
};

struct cgroup_blkio_entry {
	uint64_t major, minor, value;
	char op[16];            /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
};

struct cgroup_stats {
	uint64_t cpu_total_ns, cpu_kernel_ns, cpu_user_ns;
	uint64_t cpu_percpu_ns[CGROUP_STATS_CPUS_MAX];
	size_t cpu_percpu_len;  /* 0 on v2 (no per-cpu counters) */
	uint64_t throttling_periods, throttled_periods, throttled_time_ns;

	uint64_t memory_cache;
	struct cgroup_memory_entry memory_usage, memory_swap, memory_kernel, memory_kernel_tcp;
	struct { char name[64]; uint64_t value; } memory_raw[CGROUP_STATS_RAW_MAX];
	size_t memory_raw_len;  /* memory.stat as it is */

	uint64_t pids_current, pids_limit; /* limit 0 = no limit */

	struct cgroup_blkio_entry io_service_bytes[CGROUP_STATS_BLKIO_MAX];
	size_t io_service_bytes_len;
	struct cgroup_blkio_entry io_serviced[CGROUP_STATS_BLKIO_MAX];
	size_t io_serviced_len;

	struct { char size[16]; uint64_t usage, max, failcnt; } hugetlb[CGROUP_STATS_HUGETLB_MAX];
	size_t hugetlb_len;

	uint64_t oom_kills;     /* memory.events / memory.oom_control oom_kill */
};

/* Fill *stats (zeroed first) from the cgroup's files. A controller that is
 * absent leaves its counters 0; a cgroup that is gone is an error. */
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *stats, struct zrun_error *err);

/* The OOM kill count alone (cheap, for polling): memory.events oom_kill on
 * v2, memory.oom_control oom_kill on v1. -1 with err when unreadable. */
int cgroup_oom_kills(struct cgroup *cg, uint64_t *count, struct zrun_error *err);

/* v2 devices: build, load and attach (BPF_F_ALLOW_MULTI) a
 * BPF_PROG_TYPE_CGROUP_DEVICE program enforcing default deny, the rules in
 * order (the last match wins, as on v1) and then the default device list;
 * programs attached before (an earlier update) are detached once the new
 * one is in place. cgroup_ebpf.c. */
int cgroup_v2_devices(struct cgroup *cg, const struct spec_resources *resources,
		      struct zrun_error *err);

void cgroup_free(struct cgroup *cg);

#endif
