#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capabilities.h"
#include "cgroup.h"
#include "cgroup_container.h"
#include "fault.h"
#include "hooks.h"
#include "idmap.h"
#include "init.h"
#include "lsm.h"
#include "mount.h"
#include "passwd.h"
#include "procattr.h"
#include "procfs.h"
#include "rootless.h"
#include "rootpath.h"
#include "zseccomp.h"
#include "terminal.h"

#define CREATE_TIMEOUT_MS (120 * 1000)

/* Everything create has made so far, undone in reverse on failure. */
struct create_ctx {
	const struct container_create_opts *opts;
	struct spec *spec;
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	int rootfs_fd;             /* root.path resolved once (or its copy) */
	bool rootfs_bind;          /* not a copy: the init binds it (rootless.h) */
	bool state_dir_made;
	int lock_fd;
	struct cgroup *cg;
	bool cgroup_made;
	int ns_fds[SPEC_NS_COUNT];
	int fifo_fd, console_fd;
	int sync[2];
	char **env;
	int listen_pid_slot;          /* see init_args */
	pid_t pid;
};

static void ctx_init(struct create_ctx *c, const struct container_create_opts *opts)
{
	memset(c, 0, sizeof(*c));
	c->opts = opts;
	c->lock_fd = c->fifo_fd = c->console_fd = c->rootfs_fd = -1;
	c->sync[0] = c->sync[1] = -1;
	for (int i = 0; i < SPEC_NS_COUNT; i++)
		c->ns_fds[i] = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void ctx_release(struct create_ctx *c, bool failed)
{
	struct zrun_error ignored;

	if (failed && c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (failed && c->cgroup_made) {
		cgroup_kill_all(c->cg, SIGKILL, &ignored);
		cgroup_destroy(c->cg, &ignored);
	}
	if (failed && c->state_dir_made)
		state_remove(c->opts->root, c->opts->id, &ignored);
	cgroup_free(c->cg);
	for (int i = 0; i < SPEC_NS_COUNT; i++)
		close_fd(&c->ns_fds[i]);
	close_fd(&c->fifo_fd);
	close_fd(&c->console_fd);
	close_fd(&c->sync[0]);
	close_fd(&c->sync[1]);
	close_fd(&c->lock_fd);
	close_fd(&c->rootfs_fd);
	free(c->env);
	spec_free(c->spec);
}

/* Every id map against the kernel's limits, before anything exists: a map
 * the kernel would refuse fails here with its JSON path, not as EINVAL
 * from a write to uid_map halfway through create. */
static int validate_id_maps(const struct spec *s, struct zrun_error *err)
{
	const struct spec_linux *lx = s->linux_;
	char what[64];

	if (lx && (idmap_check(lx->uid_mappings, lx->uid_mappings_len, "linux.uidMappings", err) < 0 ||
		   idmap_check(lx->gid_mappings, lx->gid_mappings_len, "linux.gidMappings", err) < 0))
		return -1;
	for (size_t i = 0; i < s->mounts_len; i++) {
		const struct spec_mount *m = &s->mounts[i];
		snprintf(what, sizeof(what), "mounts[%zu].uidMappings", i);
		if (idmap_check(m->uid_mappings, m->uid_mappings_len, what, err) < 0)
			return -1;
		snprintf(what, sizeof(what), "mounts[%zu].gidMappings", i);
		if (idmap_check(m->gid_mappings, m->gid_mappings_len, what, err) < 0)
			return -1;
	}
	return 0;
}

static int validate_spec(struct create_ctx *c, struct zrun_error *err)
{
	const struct spec *s = c->spec;
	const struct spec_linux *lx = s->linux_;

	if (s->process == NULL)
		return zrun_error_set(err, 0, "config.json: process: is required to create a container");
	caps_warn_unknown(s->process->capabilities);
	if (lx && lx->seccomp && zseccomp_validate(lx->seccomp, err) < 0)
		return -1;
	if (lx && lx->has_intel_rdt)
		return zrun_error_set(err, 0, "config.json: linux.intelRdt: not supported by zrun");
	if (lsm_validate(s, err) < 0)
		return zrun_error_prefix(err, "config.json");
	if ((s->hostname || s->domainname) && !spec_namespace_find(s, SPEC_NS_UTS))
		return zrun_error_set(err, 0, "config.json: hostname: needs a private uts namespace");
	/* lx: namespaces are linux.namespaces, so a user one means a linux
	 * section; said here for the analyzer, which cannot see that */
	if (lx && spec_namespace_find(s, SPEC_NS_USER) && !spec_namespace_find(s, SPEC_NS_USER)->path &&
	    (lx->uid_mappings_len == 0 || lx->gid_mappings_len == 0))
		return zrun_error_set(err, 0, "config.json: linux.uidMappings: a new user namespace needs uid and gid mappings");
	if (validate_id_maps(s, err) < 0)
		return zrun_error_prefix(err, "config.json");
	/* `zrun spec` (as runc spec) writes "terminal": true, so a new user's
	 * first create or service version ends here: say which setting */
	if (s->process->terminal && c->opts->console_socket == NULL && !c->opts->console_relay)
		return zrun_error_set(err, 0, "cannot allocate a tty without --console-socket when detached "
					      "(config.json: process.terminal is true; set it to false)");
	if (rootless_check_devices(s, err) < 0)
		return -1;
	return rootfs_validate(s, c->opts->no_pivot, err);
}

/* root.path is resolved here, once, to an fd that every later step uses
 * (the init attaches, mounts in and pivots to that directory): a rootfs
 * swapped for another directory or a symlink while create runs cannot
 * change which directory the container gets. */
static int resolve_paths(struct create_ctx *c, struct zrun_error *err)
{
	if (realpath(c->opts->bundle, c->bundle) == NULL)
		return zrun_error_set(err, errno, "bundle %s", c->opts->bundle);
	c->spec = spec_load_bundle(c->bundle, err);
	if (c->spec == NULL)
		return -1;
	if (c->opts->adjust_spec && c->opts->adjust_spec(c->spec, c->opts->adjust_data, err) < 0)
		return -1;
	if (rootless_adjust_spec(c->spec, err) < 0)
		return -1;
	int fd = rootpath_open_rootfs(c->bundle, c->spec->root.path, c->rootfs, sizeof(c->rootfs), err);
	if (fd < 0)
		return -1;
	/* With a mount namespace (new or joined) the init mounts in the rootfs
	 * from there, where an fd of ours cannot be mounted on: it gets a
	 * detached copy of this very directory. */
	c->rootfs_bind = rootless_rootfs_bound_by_init(c->spec);
	if (spec_namespace_find(c->spec, SPEC_NS_MOUNT) && !c->rootfs_bind) {
		int tree = rootfs_clone(fd, err);
		close(fd);
		if (tree < 0)
			return -1;
		fd = tree;
	}
	/* Above the fds the program will get (stdio, --preserve-fds, the
	 * listeners), as the init places its own. */
	c->rootfs_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3 + c->opts->preserve_fds + c->opts->extra_fds_len);
	int e = errno;
	close(fd);
	return c->rootfs_fd < 0 ? zrun_error_set(err, e, "root.path %s", c->rootfs) : 0;
}

/* pid and time namespaces apply to children: join or make them here, in
 * the short-lived create process, so the cloned init lands inside. */
static int parent_namespaces(struct create_ctx *c, struct zrun_error *err)
{
	bool user_joined = rootless_user_ns_joined_here(c->spec);

	if (user_joined &&
	    rootless_join_user_ns(spec_namespace_find(c->spec, SPEC_NS_USER)->path, err) < 0)
		return -1;
	for (size_t i = 0; c->spec->linux_ && i < c->spec->linux_->namespaces_len; i++) {
		const struct spec_namespace *ns = &c->spec->linux_->namespaces[i];
		if (ns->path == NULL || (user_joined && ns->type == SPEC_NS_USER))
			continue;
		int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return zrun_error_set(err, errno, "linux.namespaces: %s namespace %s",
					      spec_ns_type_name(ns->type), ns->path);
		if (ns->type == SPEC_NS_PID || ns->type == SPEC_NS_TIME) {
			int r = setns(fd, spec_ns_clone_flag(ns->type));
			int e = errno;
			close(fd);
			if (r < 0)
				return zrun_error_set(err, e, "join %s namespace %s",
						      spec_ns_type_name(ns->type), ns->path);
			continue;
		}
		c->ns_fds[ns->type] = fd;
	}
	const struct spec_namespace *t = spec_namespace_find(c->spec, SPEC_NS_TIME);
	const struct spec_linux *lx = c->spec->linux_;
	if (t && t->path == NULL && rootless_time_ns_at_clone(c->spec)) {
		/* Its offsets can only be written before a process is in it:
		 * by an unshare of ours, which needs root. */
		if (lx && lx->has_time_offsets)
			return zrun_error_set(err, 0, "linux.timeOffsets: without root zrun makes the time "
					      "namespace at the clone, when its offsets can no longer be set");
		return 0;
	}
	if (t && t->path == NULL && unshare(CLONE_NEWTIME) < 0)
		return zrun_error_set(err, errno, "new time namespace");
	if (t && t->path == NULL && lx && lx->has_time_offsets) {
		/* Offsets can only be set before any process enters the new
		 * namespace: the init is cloned into it next. */
		char buf[128];
		int n = snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
				 (long long)lx->time_monotonic.secs, lx->time_monotonic.nanosecs,
				 (long long)lx->time_boottime.secs, lx->time_boottime.nanosecs);
		int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, buf, (size_t)n) != n) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return zrun_error_set(err, e, "linux.timeOffsets");
		}
		close(fd);
	}
	return 0;
}

static int build_env(struct create_ctx *c, struct zrun_error *err)
{
	size_t n = 0, m = 0;
	char **penv = c->spec->process->env;

	while (penv && penv[n])
		n++;
	while (c->opts->extra_env && c->opts->extra_env[m])
		m++;
	/* one more slot, NULL until the init fills in LISTEN_PID */
	c->env = calloc(n + m + 2, sizeof(char *));
	if (c->env == NULL)
		return zrun_error_set(err, ENOMEM, "environment");
	for (size_t i = 0; i < n; i++)
		c->env[i] = penv[i];
	for (size_t i = 0; i < m; i++)
		c->env[n + i] = c->opts->extra_env[i];
	c->listen_pid_slot = c->opts->set_listen_pid ? (int)(n + m) : -1;
	return 0;
}

static uint64_t clone_flags(const struct spec *s)
{
	static const enum spec_ns_type at_clone[] = { SPEC_NS_USER, SPEC_NS_PID, SPEC_NS_NETWORK,
		SPEC_NS_IPC, SPEC_NS_UTS, SPEC_NS_MOUNT };
	uint64_t flags = 0;

	for (size_t i = 0; i < sizeof(at_clone) / sizeof(at_clone[0]); i++) {
		const struct spec_namespace *ns = spec_namespace_find(s, at_clone[i]);
		if (ns && ns->path == NULL)
			flags |= (uint64_t)spec_ns_clone_flag(at_clone[i]);
	}
	const struct spec_namespace *t = spec_namespace_find(s, SPEC_NS_TIME);
	if (t && t->path == NULL && rootless_time_ns_at_clone(s))
		flags |= CLONE_NEWTIME;
	return flags;
}

/* From here, outside the init's user namespace (procattr.h says why); the
 * init waits for SYNC_GO, so it is set before the init does anything. */
static int set_oom_score_adj(struct create_ctx *c, struct zrun_error *err)
{
	if (!c->spec->process->has_oom_score_adj)
		return 0;
	int proc_fd = procfs_open(0, err);
	if (proc_fd < 0)
		return -1;
	int r = procattr_apply_oom_score_adj(c->spec->process, proc_fd, c->pid, err);
	close(proc_fd);
	return r;
}

static int spawn_init(struct create_ctx *c, struct zrun_error *err)
{
	const struct spec_namespace *userns = spec_namespace_find(c->spec, SPEC_NS_USER);
	const struct spec_namespace *cgns = spec_namespace_find(c->spec, SPEC_NS_CGROUP);
	struct clone_args ca = { .flags = clone_flags(c->spec), .exit_signal = SIGCHLD };
	int cgfd = cgroup_dir_fd(c->cg);

	if (cgfd >= 0) {
		/* v2: born in its cgroup; no migration, no window outside it. */
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgfd;
	}
	struct init_args a = {
		.spec = c->spec, .rootfs = c->rootfs, .rootfs_fd = c->rootfs_fd, .bundle = c->bundle,
		.rootfs_bind = c->rootfs_bind,
		.dumpable_until_go = rootless_mode() == ROOTLESS_USER && userns && userns->path == NULL,
		.no_pivot = c->opts->no_pivot, .no_new_keyring = c->opts->no_new_keyring,
		.sync_fd = c->sync[1], .lock_fd = c->lock_fd, .fifo_fd = c->fifo_fd, .console_socket_fd = c->console_fd,
		.preserve_fds = c->opts->preserve_fds, .extra_fds = c->opts->extra_fds,
		.extra_fds_len = c->opts->extra_fds_len, .env = c->env, .listen_pid_slot = c->listen_pid_slot,
		.stdio_fds = c->opts->stdio_fds,
		.new_cgroup_ns = cgns && cgns->path == NULL, .cgroup_path = cgroup_path(c->cg),
		.cgroup = c->cg,
	};
	memcpy(a.ns_fds, c->ns_fds, sizeof(a.ns_fds));
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0)
		return zrun_error_set(err, errno, "clone the container init");
	if (pid == 0) {
		close(c->sync[0]);
		init_main(&a);
	}
	c->pid = (pid_t)pid;
	close_fd(&c->sync[1]);
	if (cgfd < 0 && cgroup_add_pid(c->cg, c->pid, err) < 0)
		return -1;
	if (userns && userns->path == NULL && rootless_write_maps(c->pid, c->spec->linux_, err) < 0)
		return zrun_error_prefix(err, "user namespace");
	return set_oom_score_adj(c, err);
}

static char *create_state_json(struct create_ctx *c, enum container_status status);

/* SYNC_HOOKS: the init has its mounts and waits before pivot_root. */
static int run_runtime_hooks(struct create_ctx *c, struct zrun_error *err)
{
	char *creating = create_state_json(c, STATUS_CREATING);
	char *created = create_state_json(c, STATUS_CREATED);
	int r = -1;

	if (creating == NULL || created == NULL) {
		zrun_error_set(err, ENOMEM, "hooks: state");
		goto out;
	}
	if (hooks_run(&c->spec->hooks.prestart, "prestart", creating, err) < 0 ||
	    hooks_run(&c->spec->hooks.create_runtime, "createRuntime", creating, err) < 0)
		goto out;
	size_t a = strlen(creating) + 1, b = strlen(created) + 1;
	if (a + b >= HOOK_STATE_MAX) {
		zrun_error_set(err, E2BIG, "hooks: the state JSON is over %d bytes", HOOK_STATE_MAX);
		goto out;
	}
	char *both = malloc(a + b);
	if (both == NULL) {
		zrun_error_set(err, ENOMEM, "hooks: state");
		goto out;
	}
	memcpy(both, creating, a);
	memcpy(both + a, created, b);
	if (sync_send(c->sync[0], SYNC_GO, NULL) < 0 ||
	    send(c->sync[0], both, a + b, MSG_NOSIGNAL) != (ssize_t)(a + b))
		zrun_error_set(err, errno, "container init exited before its hooks");
	else
		r = 0;
	free(both);
out:
	free(creating);
	free(created);
	return r;
}

/* SYNC_SECCOMP: the init's notify fd, for linux.seccomp.listenerPath. */
static int forward_seccomp_fd(struct create_ctx *c, int fd, struct zrun_error *err)
{
	const struct spec_seccomp *sc = c->spec->linux_ ? c->spec->linux_->seccomp : NULL;
	char *state = create_state_json(c, STATUS_CREATING);
	int r;

	if (fd < 0 || sc == NULL || state == NULL)
		r = zrun_error_set(err, fd < 0 ? EPROTO : ENOMEM, "linux.seccomp: notify fd from the init");
	else if (c->opts->seccomp_notify)
		r = c->opts->seccomp_notify(fd, c->pid, c->opts->seccomp_notify_data, err);
	else
		r = zseccomp_send_listener(sc, fd, c->pid, state, err);
	free(state);
	return r;
}

static int wait_ready(struct create_ctx *c, struct zrun_error *err)
{
	struct sync_msg msg;
	int passed;

	if (sync_send(c->sync[0], SYNC_GO, NULL) < 0)
		return zrun_error_set(err, errno, "container init exited before setup");
again:
	if (sync_recv_fd(c->sync[0], &msg, CREATE_TIMEOUT_MS, &passed) < 0) {
		if (errno == ETIMEDOUT)
			return zrun_error_set(err, 0, "container init did not finish its setup in %d s",
					      CREATE_TIMEOUT_MS / 1000);
		int status = 0;
		waitpid(c->pid, &status, 0);
		c->pid = 0;
		return zrun_error_set(err, 0, "container init exited during setup (%s %d)",
			WIFSIGNALED(status) ? "signal" : "status",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	if (msg.type == SYNC_ERROR) {
		zrun_error_clear(err);
		snprintf(err->msg, sizeof(err->msg), "%s", msg.msg);
		err->errno_value = msg.errno_value;
		return -1;
	}
	int r = 0;
	if (msg.type == SYNC_HOOKS)
		r = run_runtime_hooks(c, err);
	else if (msg.type == SYNC_SECCOMP)
		r = forward_seccomp_fd(c, passed, err);
	if (passed >= 0)
		close(passed);
	if (r < 0)
		return -1;
	if (msg.type == SYNC_HOOKS || msg.type == SYNC_SECCOMP)
		goto again;
	return msg.type == SYNC_READY ? 0 : zrun_error_set(err, EPROTO, "container init");
}

/* Written twice: "creating" (pid 0) as soon as the cgroup path is known, so
 * `state` and `list` show a container whose create is in progress (and a
 * delete knows which cgroup to clean if that create died), then "created". */
static void fill_state(struct create_ctx *c, enum container_status status, struct container_state *st,
		       char *created, size_t created_len);

static int record_state(struct create_ctx *c, enum container_status status, struct zrun_error *err)
{
	struct container_state st;
	char created[64];

	fill_state(c, status, &st, created, sizeof(created));
	return state_write(c->opts->root, &st, err);
}

/* The runtime-spec state a hook or a seccomp agent gets (pid: the init). */
static char *create_state_json(struct create_ctx *c, enum container_status status)
{
	struct container_state st;
	char created[64];

	fill_state(c, status, &st, created, sizeof(created));
	return hooks_state_json(&st, status, c->pid);
}

static void fill_state(struct create_ctx *c, enum container_status status, struct container_state *stp,
		       char *created, size_t created_len)
{
	struct container_state st = { 0 };
	static char owner[256];   /* static: *stp outlives this frame, as getpwuid's name did */

	passwd_user_name(geteuid(), owner, sizeof(owner));

	state_now_rfc3339(created, created_len);
	st.id = (char *)c->opts->id;
	st.pid = status == STATUS_CREATING ? 0 : c->pid;
	st.pid_start_time = state_pid_start_time(st.pid);
	st.status = status;
	st.bundle = c->bundle;
	st.rootfs = c->rootfs;
	st.created = created;
	st.owner = owner;
	st.cgroup_path = (char *)cgroup_path(c->cg);
	/* Every hierarchy's path as made now: later commands must not recompute
	 * a relative cgroupsPath from a caller that may sit elsewhere by then. */
	st.cgroup_paths = (struct spec_kv *)cgroup_recorded_paths(c->cg, &st.cgroup_paths_len);
	st.cgroup_identity = cgroup_identity(c->cg);
	st.systemd_unit = (char *)cgroup_systemd_unit(c->cg);
	st.annotations = c->spec->annotations;
	st.annotations_len = c->spec->annotations_len;
	st.extra_json = (char *)c->opts->extra_state_json;
	*stp = st;
}

static int create_steps(struct create_ctx *c, struct zrun_error *err)
{
	char fifo[PATH_MAX];

	if (resolve_paths(c, err) < 0 || validate_spec(c, err) < 0 || build_env(c, err) < 0)
		return -1;
	if (state_create_dir(c->opts->root, c->opts->id, err) < 0)
		return -1;
	c->state_dir_made = true;
	if (fault_check("create-after-state-dir", err) < 0)
		return -1;
	c->lock_fd = state_lock(c->opts->root, c->opts->id, err);
	if (c->lock_fd < 0)
		return -1;
	const char *cgroups_path = c->spec->linux_ ? c->spec->linux_->cgroups_path : NULL;
	c->cg = c->opts->systemd_cgroup
		? cgroup_open_systemd(cgroups_path, c->opts->id, c->opts->systemd_slice, err)
		: rootless_cgroup_open(cgroups_path, c->opts->id, c->opts->root, err);
	if (c->cg == NULL || record_state(c, STATUS_CREATING, err) < 0)
		return -1;
	if (fault_check("create-after-creating-state", err) < 0)
		return -1;
	if (cgroup_create(c->cg, c->spec->linux_ ? c->spec->linux_->resources : NULL, err) < 0)
		return -1;
	c->cgroup_made = true;
	/* The claimed leaf's identity, before any process of ours is in it:
	 * from now on delete acts on this cgroup only while it is this one. */
	if (record_state(c, STATUS_CREATING, err) < 0 || fault_check("create-after-cgroup", err) < 0)
		return -1;
	if (parent_namespaces(c, err) < 0)
		return -1;
	state_path(fifo, sizeof(fifo), c->opts->root, c->opts->id, "exec.fifo");
	if (mkfifo(fifo, 0600) < 0)
		return zrun_error_set(err, errno, "exec fifo %s", fifo);
	c->fifo_fd = open(fifo, O_RDWR | O_CLOEXEC);
	if (c->fifo_fd < 0)
		return zrun_error_set(err, errno, "exec fifo %s", fifo);
	if (fault_check("create-after-fifo", err) < 0)
		return -1;
	if (c->opts->console_socket) {
		c->console_fd = terminal_connect(c->opts->console_socket, err);
		if (c->console_fd < 0)
			return -1;
	} else if (c->opts->console_relay && c->spec->process->terminal) {
		c->console_fd = fcntl(c->opts->console_relay_fd, F_DUPFD_CLOEXEC, 0);
		if (c->console_fd < 0)
			return zrun_error_set(err, errno, "console relay");
	}
	if (fault_check("create-socketpair", NULL) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sync) < 0)
		return zrun_error_set(err, errno, "socketpair");
	if (spawn_init(c, err) < 0 ||
	    state_write_recovery(c->opts->root, c->opts->id, c->pid, cgroup_path(c->cg),
				 cgroup_identity(c->cg), cgroup_systemd_unit(c->cg), err) < 0 ||
	    fault_check("create-after-clone", err) < 0 ||
	    wait_ready(c, err) < 0 || fault_check("create-after-ready", err) < 0)
		return -1;
	if (c->opts->pid_file && state_write_pid_file(c->opts->pid_file, c->pid, err) < 0)
		return -1;
	if (hooks_after_create(&c->spec->hooks)) {
		char path[PATH_MAX];
		state_path(path, sizeof(path), c->opts->root, c->opts->id, "hooks.json");
		if (hooks_save(path, &c->spec->hooks, err) < 0)
			return -1;
	}
	if (record_state(c, STATUS_CREATED, err) < 0)
		return -1;
	/* The init waits for this (EOF: we died before "created", it exits). */
	sync_send(c->sync[0], SYNC_GO, NULL);
	fault_point("create-after-created-state");
	return 0;
}

int container_create(const struct container_create_opts *opts, pid_t *pid, struct zrun_error *err)
{
	struct create_ctx c;
	int r;

	if (state_validate_id(opts->id, err) < 0)
		return -1;
	ctx_init(&c, opts);
	r = create_steps(&c, err);
	if (r == 0)
		*pid = c.pid;
	ctx_release(&c, r < 0);
	return r;
}

/* The hooks create kept for start and delete; NULL when there are none. */
static struct spec *load_hooks(const char *root, const char *id)
{
	char path[PATH_MAX];
	struct zrun_error ignored;

	state_path(path, sizeof(path), root, id, "hooks.json");
	struct spec *s = hooks_load(path, &ignored);
	if (s == NULL && ignored.msg[0])
		hooks_warn(ignored.msg);
	return s;
}

/* With startContainer hooks, start waits for their verdict: the init takes
 * our byte, runs them, then either execs (its fifo fd is close-on-exec, so
 * the fifo loses its last writer: EOF here) or writes "F" and the error. */
static int wait_start_hooks(const char *fifo, const struct container_state *st, int wfd,
			    struct zrun_error *err)
{
	int rfd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int avail;

	if (rfd < 0) {
		close(wfd);
		return zrun_error_set(err, errno, "open %s", fifo);
	}
	/* Read only once the init has consumed our byte, or we could take it;
	 * if it dies first, what is left is our "0" or its "F..." verdict. */
	while (ioctl(wfd, FIONREAD, &avail) == 0 && avail > 0 &&
	       state_pid_start_time(st->pid) == st->pid_start_time) {
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	close(wfd);
	char buf[ZRUN_ERROR_MSG_MAX];
	size_t len = 0;
	for (;;) {
		struct pollfd p = { .fd = rfd, .events = POLLIN };
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		ssize_t n = read(rfd, buf + len, sizeof(buf) - 1 - len);
		if (n > 0)
			len += (size_t)n;
		if (n == 0 || len == sizeof(buf) - 1 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
	}
	close(rfd);
	buf[len] = '\0';
	if (len > 0 && buf[0] == '0')
		return zrun_error_set(err, 0, "container init exited before it started");
	if (len > 0 && buf[0] == 'F')
		return zrun_error_set(err, 0, "%s; the container has stopped", buf + 1);
	return 0;
}

int container_start(const char *root, const char *id, struct zrun_error *err)
{
	struct container_state st;
	char fifo[PATH_MAX];
	int lock, fd, r = -1;

	if (state_validate_id(id, err) < 0)
		return -1;
	lock = state_lock(root, id, err);
	if (lock < 0)
		return -1;
	if (state_read(root, id, &st, err) < 0)
		goto out_lock;
	switch (state_live_status(root, &st)) {
	case STATUS_CREATED:
		break;
	case STATUS_STOPPED:
		zrun_error_set(err, 0, "cannot start a container that has stopped");
		goto out;
	case STATUS_CREATING:
		/* We hold the lock: the create that wrote "creating" is gone. */
		zrun_error_set(err, 0, "cannot start a container whose create did not finish; delete it");
		goto out;
	default:
		zrun_error_set(err, 0, "cannot start an already running container");
		goto out;
	}
	state_path(fifo, sizeof(fifo), root, id, "exec.fifo");
	fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		zrun_error_set(err, errno == ENXIO ? 0 : errno, "container init is not waiting on %s%s",
			       fifo, errno == ENXIO ? ": it has exited" : "");
		goto out;
	}
	if (fault_check("start-before-fifo-write", err) < 0) {
		close(fd);
		goto out;
	}
	if (write(fd, "0", 1) != 1) {
		zrun_error_set(err, errno, "write exec fifo");
		close(fd);
		goto out;
	}
	fault_point("start-after-fifo-write");
	struct spec *hooks = load_hooks(root, id);
	int verdict = 0;
	if (hooks && hooks->hooks.start_container.len)
		verdict = wait_start_hooks(fifo, &st, fd, err);
	else
		close(fd);
	unlink(fifo);
	st.status = STATUS_RUNNING;
	r = state_write(root, &st, err);
	if (verdict < 0)
		r = -1;
	if (r == 0 && hooks && hooks->hooks.poststart.len) {
		/* runtime-spec: a failing poststart hook is a warning, no more. */
		char *json = hooks_state_json(&st, STATUS_RUNNING, st.pid);
		if (json)
			hooks_run_warn(&hooks->hooks.poststart, "poststart", json);
		free(json);
	}
	spec_free(hooks);
out:
	state_clear(&st);
out_lock:
	close(lock);
	return r;
}

/* Signal the init through a pidfd taken before its start time is checked:
 * a pid that was reused between the check and kill() cannot be hit. */
static int signal_init(const struct container_state *st, int sig, struct zrun_error *err)
{
	int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);

	if (pidfd < 0)
		return errno == ESRCH ? zrun_error_set(err, 0, "container not running")
				      : zrun_error_set(err, errno, "pidfd_open %d", st->pid);
	int r = 0;
	if (state_pid_start_time(st->pid) != st->pid_start_time)
		r = zrun_error_set(err, 0, "container not running");
	else if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		r = zrun_error_set(err, errno, "kill %d", st->pid);
	close(pidfd);
	return r;
}

int container_kill(const char *root, const char *id, int sig, bool all, struct zrun_error *err)
{
	struct container_state st;
	int r = -1;

	if (state_validate_id(id, err) < 0 || state_read(root, id, &st, err) < 0)
		return -1;
	enum container_status status = state_live_status(root, &st);
	bool live;
	if (all) {
		bool not_ours;
		struct cgroup *cg = container_owned_cgroup(&st, &not_ours, err);
		if (cg) {
			r = cgroup_kill_all(cg, sig, err);
			cgroup_free(cg);
		} else if (not_ours) {
			/* Its cgroup is gone or another's: only its own init. */
			live = status != STATUS_STOPPED && status != STATUS_CREATING && st.pid > 0;
			r = live ? signal_init(&st, sig, err) : 0;
		}
	} else if (status == STATUS_STOPPED) {
		zrun_error_set(err, 0, "container not running");
	} else if (status == STATUS_CREATING || st.pid <= 0) {
		/* pid 0 would signal our own process group */
		zrun_error_set(err, 0, "container is still being created");
	} else {
		r = signal_init(&st, sig, err);
	}
	state_clear(&st);
	return r;
}

/* Wait (bounded) until pid is gone or a zombie. */
static bool wait_gone(pid_t pid, unsigned long long start_time, int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 5) {
		if (state_pid_start_time(pid) != start_time)
			return true;
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return state_pid_start_time(pid) != start_time;
}

int container_delete(const char *root, const char *id, bool force, struct zrun_error *err)
{
	struct container_state st;
	int lock, r = -1;

	if (state_validate_id(id, err) < 0)
		return -1;
	lock = state_lock(root, id, err);
	if (lock < 0)
		return (force && strstr(err->msg, "does not exist")) ? 0 : -1;
	if (state_read(root, id, &st, err) < 0) {
		/* A create that died before writing state leaves only the dir. */
		if (strstr(err->msg, "does not exist")) {
			close(lock);
			return state_remove(root, id, err) == 0 && force ? 0 : -1;
		}
		/* Unreadable (truncated, garbage, emptied): --force still removes
		 * what the recovery file names, or the container could never go. */
		r = force ? container_delete_unreadable(root, id, err)
			  : zrun_error_prefix(err, "delete %s (delete --force removes it)", id);
		close(lock);
		return r;
	}
	enum container_status status = state_live_status(root, &st);
	/* We hold the lock, so a "creating" container's create has died: what
	 * it made (cgroup, maybe an init in it) is cleaned like a stopped one. */
	if (status == STATUS_CREATING)
		status = STATUS_STOPPED;
	if ((status == STATUS_RUNNING || status == STATUS_PAUSED) && !force) {
		zrun_error_set(err, 0, "cannot delete container %s that is not stopped: %s",
			       id, state_status_name(status));
		goto out;
	}
	/* A cgroup that is gone or another's now is left alone: only the
	 * container's own init is killed and its state removed. */
	bool not_ours;
	struct cgroup *cg = container_owned_cgroup(&st, &not_ours, err);
	if (cg == NULL && !not_ours)
		goto out;
	if (status != STATUS_STOPPED) {
		if (status == STATUS_PAUSED && cg)
			cgroup_freeze(cg, false, err);
		if (st.pid > 0)
			kill(st.pid, SIGKILL);
		if (cg)
			cgroup_kill_all(cg, SIGKILL, err);
		if (!wait_gone(st.pid, st.pid_start_time, 10000)) {
			zrun_error_set(err, 0, "container init %d did not exit after SIGKILL", st.pid);
			cgroup_free(cg);
			goto out;
		}
	}
	/* Processes the init left behind (no pid namespace) die with it. */
	r = cg ? container_cgroup_remove(root, &st, cg, err) : 0;
	cgroup_free(cg);
	fault_point("delete-after-cgroup-destroy");
	struct spec *hooks = r == 0 ? load_hooks(root, id) : NULL;
	if (r == 0)
		r = state_remove(root, id, err);
	/* runtime-spec: poststop runs once the container is gone; a failure
	 * is a warning and the deletion stands. */
	if (r == 0 && hooks && hooks->hooks.poststop.len) {
		char *json = hooks_state_json(&st, STATUS_STOPPED, 0);
		if (json)
			hooks_run_warn(&hooks->hooks.poststop, "poststop", json);
		free(json);
	}
	spec_free(hooks);
out:
	state_clear(&st);
	close(lock);
	return r;
}
