/* spec: config.json (OCI runtime-spec 1.2) parsed into plain C structs.
 * The parser caps input size and nesting depth before yajl sees a byte,
 * ignores unknown fields (as the spec says), validates once, and names the
 * JSON path of whatever is wrong ("process.args: must be ..."). */
#ifndef ZRUN_SPEC_H
#define ZRUN_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define SPEC_MAX_BYTES (4 * 1024 * 1024) /* config.json larger than this is refused */
#define SPEC_MAX_DEPTH 64                /* JSON nesting deeper than this is refused */

struct spec_kv {              /* annotations, sysctl, unified, ... */
	char *key;
	char *value;
};

struct spec_rlimit {
	char *type;           /* "RLIMIT_NOFILE" as written */
	int resource;         /* RLIMIT_* value, resolved at parse time */
	uint64_t soft, hard;
};

struct spec_capabilities {    /* each a NULL-terminated array of "CAP_*" names; NULL = absent */
	char **bounding, **effective, **inheritable, **permitted, **ambient;
};

struct spec_user {
	uid_t uid;
	gid_t gid;
	bool has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t additional_gids_len;
	char *username;       /* Windows field, kept only to ignore */
};

struct spec_console_size {
	unsigned height, width;
};

struct spec_scheduler {        /* process.scheduler, for sched_setattr(2) */
	int policy;           /* SCHED_* value, resolved at parse time */
	int nice;
	int priority;
	uint64_t flags;       /* SCHED_FLAG_* bits */
	uint64_t runtime_ns, deadline_ns, period_ns;
};

struct spec_process {
	bool terminal;
	bool has_console_size;
	struct spec_console_size console_size;
	struct spec_user user;
	char **args;          /* NULL-terminated, at least one element */
	char **env;           /* NULL-terminated, may be empty */
	char *cwd;            /* absolute */
	struct spec_capabilities *capabilities; /* NULL = absent */
	struct spec_rlimit *rlimits;
	size_t rlimits_len;
	bool no_new_privileges;
	char *apparmor_profile;
	char *selinux_label;
	bool has_oom_score_adj;
	int oom_score_adj;
	bool has_io_priority;
	int io_priority_class; /* IOPRIO_CLASS_RT 1, BE 2, IDLE 3 */
	int io_priority;      /* 0..7 */
	struct spec_scheduler *scheduler; /* NULL = absent */
};

struct spec_root {
	char *path;           /* as written (relative to the bundle or absolute) */
	bool readonly;
};

struct spec_mount {
	char *destination;    /* absolute path inside the container */
	char *type;           /* may be NULL (bind mounts) */
	char *source;         /* may be NULL */
	char **options;       /* NULL-terminated, may be empty */
	struct spec_id_mapping *uid_mappings, *gid_mappings; /* idmapped mount; NULL = none */
	size_t uid_mappings_len, gid_mappings_len;
};

struct spec_hook {
	char *path;
	char **args;          /* NULL-terminated, may be NULL */
	char **env;           /* NULL-terminated, may be NULL */
	bool has_timeout;
	int timeout_s;
};

struct spec_hook_list {
	struct spec_hook *hooks;
	size_t len;
};

struct spec_hooks {
	struct spec_hook_list prestart, create_runtime, create_container,
		start_container, poststart, poststop;
};

enum spec_ns_type {
	SPEC_NS_PID, SPEC_NS_NETWORK, SPEC_NS_MOUNT, SPEC_NS_IPC,
	SPEC_NS_UTS, SPEC_NS_USER, SPEC_NS_CGROUP, SPEC_NS_TIME,
	SPEC_NS_COUNT
};

struct spec_namespace {
	enum spec_ns_type type;
	char *path;           /* NULL = create a new one */
};

struct spec_id_mapping {
	uint32_t container_id, host_id, size;
};

struct spec_device {           /* linux.devices */
	char *path;
	char type;            /* 'c', 'b', 'u', 'p' */
	int64_t major, minor;
	bool has_file_mode;
	mode_t file_mode;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
};

struct spec_device_cgroup {    /* linux.resources.devices[] */
	bool allow;
	char type;            /* 'a', 'c', 'b'; 'a' when absent */
	bool has_major, has_minor;   /* absent = wildcard */
	int64_t major, minor;
	char *access;         /* "rwm" subset; NULL = "rwm" */
};

struct spec_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct spec_weight_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
};

struct spec_hugepage_limit {
	char *page_size;      /* "2MB" */
	uint64_t limit;
};

struct spec_net_priority {     /* linux.resources.network.priorities[] */
	char *name;           /* interface */
	uint32_t priority;
};

struct spec_rdma_limit {       /* linux.resources.rdma, one per device */
	char *device;
	bool has_hca_handles, has_hca_objects;
	uint32_t hca_handles, hca_objects;
};

/* Every optional number has a has_ flag: absent means "leave the default". */
struct spec_resources {
	struct spec_device_cgroup *devices;
	size_t devices_len;

	bool has_memory_limit, has_memory_reservation, has_memory_swap,
		has_memory_kernel, has_memory_kernel_tcp, has_memory_swappiness,
		has_disable_oom_killer, has_use_hierarchy;
	int64_t memory_limit, memory_reservation, memory_swap,
		memory_kernel, memory_kernel_tcp; /* -1 = unlimited */
	uint64_t memory_swappiness;
	bool disable_oom_killer, use_hierarchy;

	bool has_cpu_shares, has_cpu_quota, has_cpu_burst, has_cpu_period,
		has_cpu_realtime_runtime, has_cpu_realtime_period, has_cpu_idle;
	uint64_t cpu_shares, cpu_period, cpu_realtime_period, cpu_burst;
	int64_t cpu_quota, cpu_realtime_runtime, cpu_idle;
	char *cpu_cpus;       /* cpuset, NULL = absent */
	char *cpu_mems;

	bool has_pids_limit;
	int64_t pids_limit;   /* <= 0 = unlimited */

	bool has_blkio_weight, has_blkio_leaf_weight;
	uint16_t blkio_weight, blkio_leaf_weight;
	struct spec_weight_device *blkio_weight_device;
	size_t blkio_weight_device_len;
	struct spec_throttle_device *blkio_throttle_read_bps, *blkio_throttle_write_bps,
		*blkio_throttle_read_iops, *blkio_throttle_write_iops;
	size_t blkio_throttle_read_bps_len, blkio_throttle_write_bps_len,
		blkio_throttle_read_iops_len, blkio_throttle_write_iops_len;

	struct spec_hugepage_limit *hugepage_limits;
	size_t hugepage_limits_len;

	bool has_network_class_id;
	uint32_t network_class_id;
	struct spec_net_priority *network_priorities;
	size_t network_priorities_len;

	struct spec_rdma_limit *rdma;
	size_t rdma_len;

	struct spec_kv *unified;
	size_t unified_len;
};

struct spec_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	char *op;             /* "SCMP_CMP_EQ", ... */
};

struct spec_seccomp_syscall {
	char **names;         /* NULL-terminated, non-empty */
	char *action;         /* "SCMP_ACT_ERRNO", ... */
	bool has_errno_ret;
	unsigned errno_ret;
	struct spec_seccomp_arg *args;
	size_t args_len;
};

struct spec_seccomp {
	char *default_action;
	bool has_default_errno_ret;
	unsigned default_errno_ret;
	char **architectures; /* NULL-terminated, may be NULL */
	char **flags;         /* NULL-terminated, may be NULL */
	char *listener_path;
	char *listener_metadata;
	struct spec_seccomp_syscall *syscalls;
	size_t syscalls_len;
};

struct spec_time_offset {
	int64_t secs;
	uint32_t nanosecs;
};

struct spec_linux {
	struct spec_namespace *namespaces;
	size_t namespaces_len;
	struct spec_id_mapping *uid_mappings, *gid_mappings;
	size_t uid_mappings_len, gid_mappings_len;
	struct spec_device *devices;
	size_t devices_len;
	char *cgroups_path;   /* NULL = default */
	struct spec_resources *resources; /* NULL = absent */
	char *rootfs_propagation;          /* NULL = default (rslave, as runc) */
	char **masked_paths;  /* NULL-terminated, may be NULL */
	char **readonly_paths;
	char *mount_label;
	struct spec_kv *sysctl;
	size_t sysctl_len;
	struct spec_seccomp *seccomp; /* NULL = absent */
	bool has_time_offsets;
	struct spec_time_offset time_boottime, time_monotonic;
	bool has_intel_rdt;   /* present but unsupported: rejected at create */
	bool has_personality;
	char *personality_domain; /* "LINUX" or "LINUX32", checked at parse time */
};

struct spec {
	char *oci_version;
	struct spec_root root;
	struct spec_process *process; /* NULL allowed by the spec; create requires it */
	char *hostname;
	char *domainname;
	struct spec_mount *mounts;
	size_t mounts_len;
	struct spec_hooks hooks;
	struct spec_kv *annotations;
	size_t annotations_len;
	struct spec_linux *linux_; /* NULL = absent */
};

/* Parse a config.json held in memory (len bytes, need not be NUL-terminated).
 * `origin` names the document in messages ("bundles/api/config.json").
 * Returns a spec owned by the caller (spec_free), or NULL with err set. */
struct spec *spec_parse(const char *json, size_t len, const char *origin, struct zrun_error *err);

/* Read and parse BUNDLE/config.json; refuses files over SPEC_MAX_BYTES. */
struct spec *spec_load_bundle(const char *bundle_dir, struct zrun_error *err);

/* Parse one OCI "process" object (as `exec --process` receives it). */
struct spec_process *spec_parse_process(const char *json, size_t len, const char *origin,
					struct zrun_error *err);

/* Parse one OCI LinuxResources object (as `update --resources` receives it). */
struct spec_resources *spec_parse_resources_doc(const char *json, size_t len, const char *origin,
						struct zrun_error *err);
void spec_resources_destroy(struct spec_resources *r); /* frees r itself too */

void spec_free(struct spec *spec);
void spec_process_free(struct spec_process *process);

/* Helpers used by the rest of runtime/. */
const char *spec_annotation(const struct spec *spec, const char *key); /* NULL if absent */
const struct spec_namespace *spec_namespace_find(const struct spec *spec, enum spec_ns_type type);
const char *spec_ns_type_name(enum spec_ns_type type);   /* "pid", "network", ... */
int spec_ns_clone_flag(enum spec_ns_type type);           /* CLONE_NEWPID, ... */

/* The default config.json that `zrun spec` writes (runc's defaults). */
char *spec_default_json(bool rootless);

#endif
